// load: reference data into the ledger, atomically and idempotently.

#include <iostream>

#include "cli/options.h"
#include "ledger/files.h"
#include "ledger/ledger.h"
#include "match/reference.h"

namespace closebook::cli {

// Concurrent writers are rare; a load that keeps losing the race says so rather than spin.
constexpr int kLoadAttemptsMax = 5;

int cmd_load(const Context& ctx) {
  po::options_description options("load options");
  std::string kind_name, file, passphrase_file;
  options.add_options()
      ("kind", po::value(&kind_name)->required(), "partners, tenants, rules or fx")
      ("file", po::value(&file)->required(), "CSV file")
      ("passphrase-file", po::value(&passphrase_file), "the log key's passphrase");
  po::positional_options_description positional;
  positional.add("kind", 1).add("file", 1);
  parse_args(ctx.args, options, positional);

  auto kind = match::parse_reference_kind(kind_name);
  if (!kind.ok()) return report(ctx, kind.error());
  auto bytes = read_file(file);
  if (!bytes.ok()) return report(ctx, bytes.error());
  auto ledger = ledger::Ledger::open(ctx.ledger_dir, {});
  if (!ledger.ok()) return report(ctx, ledger.error());
  auto plan_against_ledger = [&]() -> Result<match::LoadPlan> {
    CB_TRY(ledger::Snapshot snapshot, (*ledger)->snapshot());
    CB_TRY(match::LoadPlan plan, match::plan_reference_load(*kind, file, *bytes, snapshot));
    plan.planned_at_size = snapshot.size();
    return plan;
  };
  auto plan = plan_against_ledger();
  if (!plan.ok()) return report(ctx, plan.error());
  // The key is unlocked only after the file proved good: a bad file never asks for it.
  auto log_key = unlock_log_key(**ledger, passphrase_file);
  if (!log_key.ok()) return report(ctx, log_key.error());
  // The plan was checked against a snapshot; if another writer got in first, check again.
  Result<ledger::AppendReceipt> receipt = Error::conflict("not appended");
  for (int attempt = 0; attempt < kLoadAttemptsMax; ++attempt) {
    if (attempt > 0) plan = plan_against_ledger();
    if (!plan.ok()) return report(ctx, plan.error());
    receipt = (*ledger)->append(plan->drafts, *log_key, {.expected_size = plan->planned_at_size});
    if (receipt.ok() || receipt.error().code != Code::kConflict) break;
  }
  if (!receipt.ok()) return report(ctx, receipt.error());

  const uint64_t rows_new = receipt->new_entry_count - (receipt->entries[0].duplicate ? 0 : 1);
  ctx.out << "loaded " << file << ": " << plan->row_count << " rows, " << rows_new
          << " new entries, " << plan->row_count - rows_new << " already in the ledger\n"
          << "ledger size " << receipt->tree_size << ", root " << to_hex(receipt->root) << "\n";
  return 0;
}

}  // namespace closebook::cli
