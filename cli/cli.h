// The `closebook` command line. main() only calls run(); each command lives in a
// *_commands.cpp file and returns an exit status mapped from the error code (exit_code()).
#pragma once

#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "evidence/note.h"
#include "evidence/result.h"
#include "ledger/ledger.h"
#include "match/config.h"

namespace closebook::cli {

struct Context {
  std::string ledger_dir;          // --ledger, $CLOSEBOOK_LEDGER or ./closebook-data
  std::vector<std::string> args;   // the command's own arguments
  std::ostream& out;
  std::ostream& err;
};

int run(int argc, const char* const* argv);

// Exit statuses, stable for scripts: 0 ok, 1 usage, then one per error code.
int exit_code(Code code);
// Prints "closebook: <message>" and returns exit_code(error.code).
int report(const Context& ctx, const Error& error);

int cmd_init(const Context& ctx);
int cmd_keygen(const Context& ctx);
int cmd_load(const Context& ctx);
int cmd_ingest(const Context& ctx);
int cmd_price(const Context& ctx);
int cmd_match(const Context& ctx);
int cmd_exceptions(const Context& ctx);
int cmd_margin(const Context& ctx);
int cmd_shadow(const Context& ctx);
int cmd_log(const Context& ctx);
int cmd_publish(const Context& ctx);
int cmd_reindex(const Context& ctx);
int cmd_backup(const Context& ctx);
int cmd_restore(const Context& ctx);
int cmd_keys(const Context& ctx);
int cmd_sign(const Context& ctx);
int cmd_signoff(const Context& ctx);
int cmd_invoice(const Context& ctx);
int cmd_credit(const Context& ctx);
int cmd_lineage(const Context& ctx);
int cmd_journal(const Context& ctx);
int cmd_bundle(const Context& ctx);
int cmd_tokens(const Context& ctx);
int cmd_serve(const Context& ctx);
int cmd_witness(const Context& ctx);

// Reads a passphrase from --passphrase-file, $CLOSEBOOK_PASSPHRASE, or the terminal.
// Callers wipe it (sodium_memzero) once used.
Result<std::string> read_passphrase(const std::string& passphrase_file, bool confirm);
// A read-only view of the ledger for reports: the ledger and one snapshot of it.
struct ReadView {
  std::unique_ptr<ledger::Ledger> ledger;
  std::optional<ledger::Snapshot> snapshot;  // always set; optional only for late construction
  const ledger::Snapshot& operator*() const { return *snapshot; }
};
Result<ReadView> open_read_view(const Context& ctx);

// The close configuration: --config FILE, else $CLOSEBOOK_CONFIG, else DIR/closebook.json if
// present, else the defaults (match/config.h).
Result<match::CloseConfig> load_close_config(const Context& ctx, const std::string& config_file);

// Opens a sealed key file (from keygen) with its passphrase (read as read_passphrase does).
Result<SigningKey> open_key_file(const std::string& key_file, const std::string& passphrase_file);

// Asks for the passphrase and opens the ledger's log key with it.
Result<SigningKey> unlock_log_key(const ledger::Ledger& ledger, const std::string& passphrase_file);

}  // namespace closebook::cli
