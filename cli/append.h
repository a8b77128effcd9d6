// Appending a planned batch from the command line: plan against a snapshot, unlock the log
// key only once the plan is good, append with the size it was planned at, and plan again if
// another writer got in first (the plan's checks may no longer hold).
#pragma once

#include <functional>
#include <utility>

#include "cli/cli.h"
#include "ledger/ledger.h"

namespace closebook::cli {

// Concurrent writers are rare; a command that keeps losing the race says so rather than spin.
inline constexpr int kAppendAttemptsMax = 5;

// Plan needs `std::vector<ledger::Draft> drafts` and `uint64_t planned_at_size`. `finish`, if
// given, completes a plan with the unlocked log key (e.g. the log's cosignature of a sign-off).
template <class Plan>
Result<std::pair<Plan, ledger::AppendReceipt>> append_planned(
    const Context& ctx, const std::string& passphrase_file,
    const std::function<Result<Plan>(const ledger::Snapshot&)>& plan_fn,
    const std::function<void(Plan&, const SigningKey&)>& finish = nullptr) {
  CB_TRY(auto ledger, ledger::Ledger::open(ctx.ledger_dir, {}));
  auto plan_now = [&]() -> Result<Plan> {
    CB_TRY(ledger::Snapshot snapshot, ledger->snapshot());
    CB_TRY(Plan plan, plan_fn(snapshot));
    plan.planned_at_size = snapshot.size();
    return plan;
  };
  CB_TRY(Plan plan, plan_now());
  CB_TRY(SigningKey log_key, unlock_log_key(*ledger, passphrase_file));
  for (int attempt = 1;; ++attempt) {
    if (finish) finish(plan, log_key);
    auto receipt = ledger->append(plan.drafts, log_key, {.expected_size = plan.planned_at_size});
    if (receipt.ok()) return std::pair<Plan, ledger::AppendReceipt>(std::move(plan), std::move(*receipt));
    if (receipt.error().code != Code::kConflict || attempt == kAppendAttemptsMax) return std::move(receipt).error();
    CB_TRY(plan, plan_now());
  }
}

}  // namespace closebook::cli
