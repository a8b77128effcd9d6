// load: reference data into the ledger, atomically and idempotently.
#include <sodium.h>

#include <iostream>

#include "cli/options.h"
#include "ledger/files.h"
#include "ledger/ledger.h"
#include "match/reference.h"

namespace closebook::cli {

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
  auto plan = [&]() -> Result<match::LoadPlan> {
    CB_TRY(ledger::Snapshot snapshot, (*ledger)->snapshot());
    return match::plan_reference_load(*kind, file, *bytes, snapshot);
  }();
  if (!plan.ok()) return report(ctx, plan.error());
  // The key is unlocked only after the file proved good: a bad file never asks for it.
  auto passphrase = read_passphrase(passphrase_file, /*confirm=*/false);
  if (!passphrase.ok()) return report(ctx, passphrase.error());
  auto log_key = (*ledger)->unlock_log_key(*passphrase);
  sodium_memzero(passphrase->data(), passphrase->size());
  if (!log_key.ok()) return report(ctx, log_key.error());
  auto receipt = (*ledger)->append(plan->drafts, *log_key);
  if (!receipt.ok()) return report(ctx, receipt.error());

  const uint64_t rows_new = receipt->new_entry_count - (receipt->entries[0].duplicate ? 0 : 1);
  ctx.out << "loaded " << file << ": " << plan->row_count << " rows, " << rows_new
          << " new entries, " << plan->row_count - rows_new << " already in the ledger\n"
          << "ledger size " << receipt->tree_size << ", root " << to_hex(receipt->root) << "\n";
  return 0;
}

}  // namespace closebook::cli
