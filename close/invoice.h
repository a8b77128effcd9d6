// Partner invoices (docs/close.md §2): one consolidated invoice per partner per signed period, its
// items the partner's priced lines, with GST. See docs/close.md §2.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "ledger/ledger.h"
#include "match/config.h"

namespace closebook::close {

// GST (A New Tax System (Goods and Services Tax) Act 1999): 10 % of each taxable item,
// rounded half-up to the cent per item; the invoice's GST is the sum. Supplies to partners
// outside Australia are GST-free exports (s 38-190).
inline constexpr const char* kGstRate = "0.10";

// An invoice of more items than this is written as InvoiceChunk entries of this many items
// and a header that names them (docs/close.md §4): each chunk stays within the 65,535 bytes a
// tlog-tiles entry bundle carries (an item is ~250 bytes), and a line's bundle carries its
// chunk and the header, not the whole invoice.
inline constexpr size_t kItemsPerChunk = 200;

struct InvoicePlan {
  std::vector<ledger::Draft> drafts;  // per partner with lines, by partner id: its chunks, if any, then its Invoice
  uint64_t planned_at_size = 0;
  std::vector<std::string> invoice_ids;                          // of the Invoice drafts
  std::vector<std::pair<std::string, uint64_t>> already_issued;  // id, entry: issued before for this sign-off
};

// Refuses a period that is not signed off. An invoice already issued for this sign-off stands:
// issuing again adds nothing.
// `items_per_chunk` is kItemsPerChunk but in tests, which chunk small invoices.
Result<InvoicePlan> plan_invoices(const ledger::Snapshot& snapshot, const std::string& period,
                                  size_t items_per_chunk = kItemsPerChunk);

// The latest Invoice entry with this id.
Result<DecodedEntry> find_invoice(const ledger::Snapshot& snapshot, const std::string& invoice_id);

// "INV-2026-10-P001"; a period invoiced again after a reopen gets "-2", "-3", ...
std::string invoice_id(const std::string& period, const std::string& partner_id, unsigned issue);

// Each item of the invoice, in order: its own, or its chunks' (each the entry its header names
// by hash; anything else is Corruption).
Status each_item(const ledger::Snapshot& snapshot, const DecodedEntry& invoice,
                 const std::function<Status(schema::InvoiceItem::Reader)>& fn);
uint64_t item_count(schema::Invoice::Reader invoice);

// Pretty JSON, with the seller (the close config's, null when unset) and the buyer (the partner's
// current name and country) a printed tax invoice names (docs/close.md §3).
Result<std::string> invoice_json(const ledger::Snapshot& snapshot, const DecodedEntry& invoice,
                                 const match::Seller& seller = {});
Result<std::string> invoice_csv(const ledger::Snapshot& snapshot, const DecodedEntry& invoice);   // one row per item, then a total row

}  // namespace closebook::close
