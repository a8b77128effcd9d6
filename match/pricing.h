// Pricing a period (docs/matching.md §3): one PricedLine per (vendor identity, subscription, SKU) and
// stretch of days with the same tenant, partner and rule version, each naming its rule
// version, FX lock and the usage records it sums. What cannot be priced becomes an exception
// (NO_PRICING_RULE, TENANT_UNRESOLVED) — never a line priced at zero. See docs/matching.md §3.
#pragma once

#include <functional>
#include <string>

#include "ledger/ledger.h"
#include "match/config.h"
#include "match/load.h"

namespace closebook::match {

struct PricingOptions {
  std::string period;  // YYYY-MM
  CloseConfig config = CloseConfig::defaults();
  std::function<void(uint64_t done, uint64_t total)> progress;  // usage groups priced, every 1,000
};

struct PricingPlan {
  std::vector<ledger::Draft> drafts;  // FX locks, then lines and exceptions, in key order
  uint64_t line_count = 0;
  uint64_t exception_count = 0;
  uint64_t fx_lock_count = 0;
  uint64_t line_cost_count = 0;  // one per line: its sealed cost (docs/evidence.md §5)
  uint64_t planned_at_size = 0;
};

// Prices every usage record of the period in `snapshot`. Deterministic: the same ledger gives
// the same drafts, so pricing twice appends nothing the second time.
Result<PricingPlan> plan_pricing(const ledger::Snapshot& snapshot, const PricingOptions& options);

}  // namespace closebook::match
