// Appending a planned batch from the command line: the log key is unlocked only once the plan
// is good, so a bad input never asks for the passphrase (ledger/append_planned.h).
#pragma once

#include <functional>
#include <utility>

#include "cli/cli.h"
#include "cli/progress.h"
#include "ledger/append_planned.h"

namespace closebook::cli {

template <class Plan>
Result<std::pair<Plan, ledger::AppendReceipt>> append_planned(
    const Context& ctx, const std::string& passphrase_file,
    const std::function<Result<Plan>(const ledger::Snapshot&)>& plan_fn,
    const std::function<void(Plan&, const SigningKey&)>& finish = nullptr, const std::string& label = "append") {
  CB_TRY(auto ledger, ledger::Ledger::open(ctx.ledger_dir, {}));
  CB_TRY(Plan plan, ledger::plan_on_latest(*ledger, plan_fn));
  CB_TRY(SigningKey log_key, unlock_log_key(*ledger, passphrase_file));
  return ledger::append_planned(*ledger, log_key, std::move(plan), plan_fn, finish, terminal_progress(label, "entries"));
}

}  // namespace closebook::cli
