// Appending a planned batch: plan against a snapshot, append with the size it was planned at,
// and plan again if another writer got in first (the plan's checks may no longer hold). The
// CLI and closebookd write through this one path.
#pragma once

#include <functional>
#include <utility>

#include "ledger/ledger.h"

namespace closebook::ledger {

// Concurrent writers are rare; a writer that keeps losing the race says so rather than spin.
inline constexpr int kAppendAttemptsMax = 5;

// Plans on the ledger as it is now. Plan needs `std::vector<Draft> drafts` and
// `uint64_t planned_at_size`, which this sets.
template <class Plan>
Result<Plan> plan_on_latest(const Ledger& ledger, const std::function<Result<Plan>(const Snapshot&)>& plan_fn) {
  CB_TRY(Snapshot snapshot, ledger.snapshot());
  CB_TRY(Plan plan, plan_fn(snapshot));
  plan.planned_at_size = snapshot.size();
  return plan;
}

// Appends `plan` (from plan_on_latest), planning again with `plan_fn` when the ledger grew in
// between. `finish`, if given, completes a plan with the log key just before each append (e.g.
// the log's cosignature of a sign-off, which must sign the statement the final plan holds);
// `progress` is AppendOptions::progress.
template <class Plan>
Result<std::pair<Plan, AppendReceipt>> append_planned(
    Ledger& ledger, const SigningKey& log_key, Plan plan,
    const std::function<Result<Plan>(const Snapshot&)>& plan_fn,
    const std::function<void(Plan&, const SigningKey&)>& finish = nullptr,
    const std::function<void(uint64_t, uint64_t)>& progress = nullptr) {
  for (int attempt = 1;; ++attempt) {
    if (finish) finish(plan, log_key);
    auto receipt = ledger.append(plan.drafts, log_key, {.expected_size = plan.planned_at_size, .progress = progress});
    if (receipt.ok()) return std::pair<Plan, AppendReceipt>(std::move(plan), std::move(*receipt));
    if (receipt.error().code != Code::kConflict || attempt == kAppendAttemptsMax) return std::move(receipt).error();
    CB_TRY(plan, plan_on_latest(ledger, plan_fn));
  }
}

}  // namespace closebook::ledger
