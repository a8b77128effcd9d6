// The margin report (docs/matching.md §6): cost, sell and margin of a period's priced lines, by
// partner or by SKU, with the margin floor that applies and the breaches pricing raises —
// either as the ledger records them, or provisionally, priced in memory from the usage loaded
// so far, so a margin leak in an open period shows the day its usage arrives.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "evidence/decimal.h"
#include "ledger/ledger.h"
#include "match/pricing.h"

namespace closebook::match {

struct MarginRow {
  std::string key;       // partner id or SKU id; "*" for a currency's total
  std::string currency;  // rows never add amounts of different currencies
  uint64_t lines = 0;
  Decimal cost, sell, margin;
  std::string margin_pct;  // margin ÷ sell × 100, half-even to 2 places; empty if sell is 0
  // The highest margin floor (%) that applies to one of its lines (the rule's, else the
  // partner's), and the lowest; none when no line has one. Totals state none.
  std::optional<Decimal> floor_pct_max, floor_pct_min;
  uint64_t floor_breaches = 0;  // MARGIN_FLOOR_BREACH exceptions of its lines
};

enum class MarginBy { kPartner, kSku };

// The current version of each priced line of the period: the latest entry per lineId.
Result<std::vector<DecodedEntry>> current_priced_lines(const ledger::Snapshot& snapshot, const std::string& period);

// From the ledger's current priced lines and breach exceptions. Rows sorted by key then
// currency; the last row per currency is the total ("*").
Result<std::vector<MarginRow>> margin_report(const ledger::Snapshot& snapshot, const std::string& period, MarginBy by);

// The same rows from pricing the period in memory now (plan_pricing), writing nothing: what
// `closebook price` would record. Refused as pricing is, for a signed or invoiced period,
// whose ledger report is final.
Result<std::vector<MarginRow>> provisional_margin_report(const ledger::Snapshot& snapshot,
                                                         const PricingOptions& options, MarginBy by);

}  // namespace closebook::match
