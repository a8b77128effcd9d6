// backup and restore: a live, consistent, compacted copy of the ledger (and its API tokens),
// and a restore that first replays the copy with the independent verifier.
#include <filesystem>
#include <iostream>

#include "api/tokens.h"
#include "cli/options.h"
#include "evidence/checkpoint.h"
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

int cmd_restore(const Context& ctx) {
  po::options_description options("restore options");
  std::string from, key_text;
  options.add_options()
      ("from", po::value(&from)->required(), "the backup directory")
      ("key", po::value(&key_text), "the log's verifier key you trust (line or file); default: the backup's own");
  parse_args(ctx.args, options);
  // Whose key: yours, or the backup's own (which checks it is whole, not whose it is).
  VerifierKey key;
  if (!key_text.empty()) {
    auto k = verifier_key(key_text);
    if (!k.ok()) return report(ctx, k.error());
    key = *k;
  } else {
    auto copy = ledger::Ledger::open(from, {.read_only = true});
    if (!copy.ok()) return report(ctx, copy.error());
    key = (*copy)->log_key();
    ctx.err << "closebook: note: checking the backup against its own log key; pass --key to check it against yours\n";
  }
  auto replayed = verify::replay_ledger(from, key);
  if (!replayed.ok()) return report(ctx, std::move(replayed).error().at(from, 0));
  auto note = read_file((fs::path(from) / ledger::kBackupCheckpointFile).string(), 1 << 16);
  if (!note.ok()) return report(ctx, note.error());
  auto head = open_checkpoint(*note, key);
  if (!head.ok() || head->checkpoint.size != replayed->entries || head->checkpoint.root != replayed->root) {
    return report(ctx, Error::corruption("backup.checkpoint is not the backup's signed checkpoint").at(from, 0));
  }
  if (auto st = ledger::restore(from, ctx.ledger_dir); !st.ok()) return report(ctx, st.error());
  std::error_code ec;
  if (fs::exists(fs::path(from) / kTokensFile, ec)) {
    auto st = copy_new_file((fs::path(from) / kTokensFile).string(), (fs::path(ctx.ledger_dir) / kTokensFile).string(), 0600);
    if (!st.ok()) return report(ctx, st.error());
  }
  auto restored = ledger::Ledger::open(ctx.ledger_dir, {});  // brings its indexes up to date
  if (!restored.ok()) return report(ctx, restored.error());
  ctx.out << "restored " << from << " into " << ctx.ledger_dir << ": " << replayed->entries << " entries, root "
          << to_hex(head->checkpoint.root) << "; the log continues from there\n";
  return 0;
}

}  // namespace closebook::cli
