// Partner invoices (docs/close.md §2): one consolidated invoice per partner per signed period, its
// items the partner's priced lines, with GST. See docs/close.md §2.
#pragma once

#include <string>
#include <vector>

#include "ledger/ledger.h"

namespace closebook::close {

// GST (A New Tax System (Goods and Services Tax) Act 1999): 10 % of each taxable item,
// rounded half-up to the cent per item; the invoice's GST is the sum. Supplies to partners
// outside Australia are GST-free exports (s 38-190).
inline constexpr const char* kGstRate = "0.10";

struct InvoicePlan {
  std::vector<ledger::Draft> drafts;  // one Invoice per partner with lines, by partner id
  uint64_t planned_at_size = 0;
  std::vector<std::string> invoice_ids;                          // of the drafts
  std::vector<std::pair<std::string, uint64_t>> already_issued;  // id, entry: issued before for this sign-off
};

// Refuses a period that is not signed off. An invoice already issued for this sign-off stands:
// issuing again adds nothing.
Result<InvoicePlan> plan_invoices(const ledger::Snapshot& snapshot, const std::string& period);

// The latest Invoice entry with this id.
Result<DecodedEntry> find_invoice(const ledger::Snapshot& snapshot, const std::string& invoice_id);

// "INV-2026-10-P001"; a period invoiced again after a reopen gets "-2", "-3", ...
std::string invoice_id(const std::string& period, const std::string& partner_id, unsigned issue);

std::string invoice_json(const DecodedEntry& invoice);  // pretty JSON
std::string invoice_csv(const DecodedEntry& invoice);   // one row per item, then a total row

}  // namespace closebook::close
