// backup and restore: a live, consistent, compacted copy of the ledger (and its API tokens),
// and a restore that first replays the copy with the independent verifier.
#include <filesystem>
#include <iostream>

#include "api/tokens.h"
#include "cli/options.h"
#include "evidence/checkpoint.h"
#include "evidence/keyfile.h"
#include "ledger/files.h"
#include "ledger/layout.h"
#include "verify/verify.h"

namespace closebook::cli {
namespace {

namespace fs = std::filesystem;
constexpr const char* kTokensFile = "tokens.mdb";

// A verifier key given as a line or as a file holding one.
Result<VerifierKey> verifier_key(const std::string& text_or_file) {
  std::error_code ec;
  std::string text = text_or_file;
  if (fs::is_regular_file(text_or_file, ec)) {
    CB_TRY(text, read_file(text_or_file, 4096));
  }
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  auto key = VerifierKey::parse(text);
  if (!key.ok()) return std::move(key).error().in_field("--key");
  return key;
}

}  // namespace

int cmd_backup(const Context& ctx) {
  po::options_description options("backup options");
  std::string to;
  options.add_options()("to", po::value(&to)->required(), "a new directory for the backup");
  parse_args(ctx.args, options);
  auto ledger = ledger::Ledger::open(ctx.ledger_dir, {.read_only = true});
  if (!ledger.ok()) return report(ctx, ledger.error());
  auto receipt = (*ledger)->backup(to);
  if (!receipt.ok()) return report(ctx, receipt.error());
  std::error_code ec;
  if (fs::exists(fs::path(ctx.ledger_dir) / kTokensFile, ec)) {
    auto tokens = api::TokenStore::open(ctx.ledger_dir, /*create=*/false);
    if (!tokens.ok()) return report(ctx, tokens.error());
    if (auto st = (*tokens)->copy_to((fs::path(to) / kTokensFile).string()); !st.ok()) return report(ctx, st.error());
  }
  ctx.out << "backup of " << ctx.ledger_dir << " in " << to << ": " << receipt->size << " entries, checkpoint:\n"
          << receipt->checkpoint;
  return 0;
}

namespace {

// Checks the restored copy in `staging`: it replays under `key`, its log.key is that key's,
// and backup.checkpoint is its signed checkpoint. Returns the number of entries.
Result<uint64_t> check_restored(const std::string& staging, const std::string& from, const VerifierKey& key) {
  CB_TRY(verify::LedgerReport replayed, verify::replay_ledger(staging, key));
  CB_TRY(std::string sealed, read_file((fs::path(staging) / ledger::kLogKeyFile).string(), 1 << 16));
  auto sealed_key = sealed_key_verifier(sealed);
  if (!sealed_key.ok() || sealed_key->to_string() != key.to_string()) {
    return Error::corruption("log.key is not the log's key").at(from, 0);
  }
  CB_TRY(std::string note, read_file((fs::path(staging) / ledger::kBackupCheckpointFile).string(), 1 << 16));
  auto head = open_checkpoint(note, key);
  if (!head.ok() || head->checkpoint.size != replayed.entries || head->checkpoint.root != replayed.root) {
    return Error::corruption("backup.checkpoint is not the backup's signed checkpoint").at(from, 0);
  }
  return replayed.entries;
}

}  // namespace

int cmd_restore(const Context& ctx) {
  po::options_description options("restore options");
  std::string from, key_text;
  options.add_options()
      ("from", po::value(&from)->required(), "the backup directory")
      ("key", po::value(&key_text), "the log's verifier key you trust (line or file); default: the backup's own");
  parse_args(ctx.args, options);
  std::error_code ec;
  if (fs::exists(ctx.ledger_dir, ec)) return report(ctx, Error::conflict(ctx.ledger_dir + " exists: restore into a new directory"));
  // Copy first, then verify the copy and only the copy, then move it into place: what was
  // checked is what is restored, and a failure leaves nothing behind.
  const std::string staging = ctx.ledger_dir + ".restoring";
  fs::remove_all(staging, ec);
  auto fail = [&](const Error& error) {
    fs::remove_all(staging, ec);
    return report(ctx, error);
  };
  if (auto st = ledger::restore(from, staging); !st.ok()) return fail(st.error());
  for (const char* extra : {kTokensFile, ledger::kBackupCheckpointFile.data()}) {
    if (!fs::exists(fs::path(from) / extra, ec)) continue;
    auto st = copy_new_file((fs::path(from) / extra).string(), (fs::path(staging) / extra).string(), 0600);
    if (!st.ok()) return fail(st.error());
  }
  // Whose key: yours, or the backup's own (which checks it is whole, not whose it is).
  VerifierKey key;
  if (!key_text.empty()) {
    auto k = verifier_key(key_text);
    if (!k.ok()) return fail(k.error());
    key = *k;
  } else {
    auto copy = ledger::Ledger::open(staging, {.read_only = true});
    if (!copy.ok()) return fail(copy.error());
    key = (*copy)->log_key();
    ctx.err << "closebook: note: checking the backup against its own log key; pass --key to check it against yours\n";
  }
  auto entries = check_restored(staging, from, key);
  if (!entries.ok()) return fail(entries.error());
  fs::remove(fs::path(staging) / ledger::kBackupCheckpointFile, ec);
  fs::remove(fs::path(staging) / "lock.mdb", ec);  // made by the checks; LMDB makes it again
  fs::rename(staging, ctx.ledger_dir, ec);
  if (ec) return fail(Error::io("cannot move the restored ledger to " + ctx.ledger_dir + ": " + ec.message()));
  if (auto st = fsync_path(fs::absolute(ctx.ledger_dir).parent_path().string()); !st.ok()) return report(ctx, st.error());
  auto restored = ledger::Ledger::open(ctx.ledger_dir, {});  // brings its indexes up to date
  if (!restored.ok()) return report(ctx, restored.error());
  ctx.out << "restored " << from << " into " << ctx.ledger_dir << ": " << *entries
          << " entries; the log continues from there\n";
  return 0;
}

}  // namespace closebook::cli
