// Findings become Exception entries: categorised, owned, due-dated, with the legs' values,
// the delta and the entries that are their evidence. See docs/matching.md §4.
#pragma once

#include <string>
#include <vector>

#include "ledger/ledger.h"
#include "match/config.h"

namespace closebook::match {

struct Ref {
  uint64_t index = 0;
  Hash hash{};
};

struct FindingLeg {
  std::string name;  // "usage", "vendor_invoice", "priced", "price_book", ...
  std::string quantity;
  std::string unit_price;
  std::string amount;
  std::string detail;
};

struct Finding {
  Category category = Category::TIMING;
  std::string vendor, partner_id, tenant_id, subscription_id, sku_id;
  // What makes this finding one finding, e.g. the vendor identity and days concerned; with
  // the category and period it gives the exception its stable id.
  std::string subject;
  std::vector<FindingLeg> legs;
  std::string delta;  // in `currency`; empty when it cannot be valued
  std::string currency;
  std::string summary;
  std::vector<Ref> evidence;               // entries already in the ledger
  std::vector<size_t> evidence_in_batch;   // drafts of the same batch (positions)
};

// Ids of exceptions, priced lines, credits and disputes end in this many bytes of a SHA-256 of
// what they are about, in hex: 128 bits, so two different subjects never share an id (at 10^9
// ids the chance of any collision is below 10^-20), and a second dispute or finding is never
// merged into an earlier one's state.
constexpr size_t kIdBytes = 16;

// "EX-2026-10-NO_PRICING_RULE-<32 hex>": stable across runs, so re-running adds nothing.
std::string exception_id(const std::string& period, const Finding& finding);

ledger::Draft exception_draft(const std::string& period, const Finding& finding, const CloseConfig& config);

void set_ref(schema::EntryRef::Builder builder, const Ref& ref);
Ref ref_of(schema::EntryRef::Reader reader);

}  // namespace closebook::match
