// The margin report (docs/matching.md §6): cost, sell and margin of a period's current priced lines,
// by partner or by SKU, with the margin-floor breaches raised by pricing. See
// docs/matching.md §6.
#pragma once

#include <string>
#include <vector>

#include "evidence/decimal.h"
#include "ledger/ledger.h"

namespace closebook::match {

struct MarginRow {
  std::string key;       // partner id or SKU id
  std::string currency;  // rows never add amounts of different currencies
  uint64_t lines = 0;
  Decimal cost, sell, margin;
  std::string margin_pct;  // margin ÷ sell × 100, half-even to 2 places; empty if sell is 0
  uint64_t floor_breaches = 0;
};

enum class MarginBy { kPartner, kSku };

// The current version of each priced line of the period: the latest entry per lineId.
Result<std::vector<DecodedEntry>> current_priced_lines(const ledger::Snapshot& snapshot, const std::string& period);

// Rows sorted by key then currency; the last row per currency is the total ("*").
Result<std::vector<MarginRow>> margin_report(const ledger::Snapshot& snapshot, const std::string& period, MarginBy by);

}  // namespace closebook::match
