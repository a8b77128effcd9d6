// Shadow mode (docs/matching.md §7): the legacy billing output of a period beside closebook's priced
// lines, line by line, before cut-over. A report, not a ledger change. See docs/matching.md §7.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "evidence/decimal.h"
#include "ledger/ledger.h"

namespace closebook::match {

// One (partner, vendor, subscription, SKU) with both sides' quantity and sell amount.
struct ShadowRow {
  std::string partner_id, vendor, subscription_id, sku_id, currency;
  std::string legacy_line_ids;  // ";"-joined
  std::string status;           // same, missing (only legacy), extra (only closebook), qty, price, amount
  Decimal legacy_quantity, ours_quantity, legacy_amount, ours_amount, amount_delta;  // delta = ours - legacy
};

struct ShadowReport {
  std::string legacy_sha256;
  std::vector<ShadowRow> rows;  // sorted by key
  // Per currency: lines compared and amounts on each side.
  struct Total {
    std::string currency;
    uint64_t rows = 0, differing = 0;
    Decimal legacy_amount, ours_amount, amount_delta;
  };
  std::vector<Total> totals;
};

// Reads the legacy file (docs/matching.md §7; bad rows refuse it with file, line
// and field) and compares it with the period's current priced lines. Amounts equal within
// `tolerance` count as the same.
Result<ShadowReport> shadow_period(const ledger::Snapshot& snapshot, const std::string& period,
                                   const std::string& legacy_file, std::string_view legacy_bytes,
                                   const Decimal& tolerance);

}  // namespace closebook::match
