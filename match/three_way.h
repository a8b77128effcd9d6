// The three-way match (docs/matching.md §8): per key — vendor and subscription (or tenant and SKU when a
// feed has no subscription) — the vendor invoice, the usage feed and the priced partner lines
// of a period are compared by the vendor's own amount formulas, by days and by quantity
// basis. The run appends a MatchRun, one MatchResult per key and an Exception per finding.
// See docs/matching.md §8.
#pragma once

#include <functional>
#include <map>
#include <string>

#include "ledger/ledger.h"
#include "match/config.h"

namespace closebook::match {

struct MatchOptions {
  std::string period;  // YYYY-MM
  CloseConfig config = CloseConfig::defaults();
  std::function<void(uint64_t done, uint64_t total)> progress;  // keys matched, every 1,000
};

struct MatchPlan {
  std::vector<ledger::Draft> drafts;  // the MatchRun, FX locks, then per key its exceptions and result
  uint64_t key_count = 0;
  uint64_t matched_count = 0;
  uint64_t exception_count = 0;
  std::map<Category, uint64_t> exceptions_by_category;
  uint64_t planned_at_size = 0;
};

// Matches the period in `snapshot`. Deterministic: the same ledger gives the same drafts, so
// matching unchanged inputs twice appends nothing the second time. Refuses (invalid) a period
// whose usage has not been priced yet.
Result<MatchPlan> plan_match(const ledger::Snapshot& snapshot, const MatchOptions& options);

}  // namespace closebook::match
