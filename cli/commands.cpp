#include <boost/program_options.hpp>
#include <kj/exception.h>
#include <string_view>
#include <cstdlib>
#include <iostream>

#include "cli/cli.h"

namespace closebook::cli {
namespace po = boost::program_options;

namespace {

constexpr const char* kUsage = R"(usage: closebook [--ledger DIR] <command> [options]

commands:
  init [--origin NAME]                 create a ledger and its log key
  keygen --out FILE --name NAME        make an Ed25519 key pair (FILE, FILE.pub)
  load partners|tenants|rules|fx FILE  append reference data (atomic, idempotent)
  ingest invoice|usage FILE [--format F | --profile P] [--period YYYY-MM]
                                       append a vendor feed (atomic, idempotent); formats
                                       and profiles: `closebook ingest --help`
  price --period YYYY-MM [--config F]  price the period's usage: lines, FX locks, exceptions
  match --period YYYY-MM [--config F]  three-way match: vendor invoice, usage, priced lines
  exceptions list --period P [--status S] [--category C] [--format table|csv|json]
  exceptions summary --period P [--format table|csv]   counts and amounts by category
  exceptions show ID
  margin --period P [--by partner|sku] [--format table|csv] [--provisional]
  shadow --period P --legacy FILE [--csv OUT]   diff legacy billing against priced lines
  exceptions assign ID --owner O | ack ID | resolve ID --note N [--evidence F] | waive ID --reason R
  keys register --pub FILE.pub [--role finance] | rotate --name N --pub FILE.pub | revoke --name N --reason R | list
  signoff statement --period P [--override-reason R]    the statement finance signs
  sign --key FILE STATEMENT            sign a statement offline (no ledger needed)
  signoff submit --period P --statement F --signature F  verify and record the sign-off
  signoff checkpoint --period P        the period's checkpoint, cosigned by finance
  invoice --period P                   issue a signed period's partner invoices (GST per ATO)
  invoice show ID [--format json|csv]
  credit --lines ID,... --amount A|--qty Q --reason R [--vendor-credit REF]   reopens a signed period
  lineage --line ID [--format table|json]   every entry behind a priced line
  journal --period P [--format json|xero] [--out DIR]   the balanced GL journal, one per currency
  journal ack --period P --gl-ref REF [--journal ID]    record the GL's posting (idempotent)
  bundle --invoice ID | --line ID [--out FILE]   an evidence bundle closebook-verify checks offline
  log vkey                             the log's signed-note verifier key
  log checkpoint [--size N]            a signed checkpoint (the latest by default)
  log checkpoints                      tree sizes that have a signed checkpoint
  log entry I [--format raw|base64|json]
  log prove inclusion I [--size N]     RFC 9162 inclusion proof (JSON)
  log prove consistency M [--size N]   RFC 9162 consistency proof (JSON)
  publish --to DIR                     the log as C2SP tlog-tiles static files, for any web server
  reindex                              rebuild every secondary index from the entries
  backup --to DIR                      a live, consistent, compacted copy (with the API tokens)
  restore --from DIR [--key VKEY]      verify a backup, then make it the ledger at --ledger
  tokens create --role R [--name N]    an API bearer token (shown once): admin, ops, finance, gl, auditor, partner:<id>
  tokens list | tokens revoke ID
  serve [--listen HOST:PORT] [--threads N] [--config FILE] ...   closebookd, the HTTP API (docs/api.yaml)
  witness serve --key FILE --log VKEY --state DIR [--listen HOST:PORT]   a C2SP tlog-witness for the log
  witness vkey FILE.pub                the witness key's cosigner vkey, for a tlog-policy file

--ledger defaults to $CLOSEBOOK_LEDGER, then ./closebook-data.
Passphrases come from --passphrase-file FILE, $CLOSEBOOK_PASSPHRASE, or a prompt.
)";

std::string default_ledger_dir() {
  const char* env = std::getenv("CLOSEBOOK_LEDGER");
  return env != nullptr && *env != '\0' ? env : "./closebook-data";
}

}  // namespace

int exit_code(Code code) {
  switch (code) {
    case Code::kInvalidArgument: return 2;
    case Code::kNotFound: return 3;
    case Code::kCorruption: return 4;
    case Code::kIOError: return 5;
    case Code::kFull: return 6;
    case Code::kConflict: return 7;
    case Code::kPermission: return 8;
    case Code::kBusy: return 9;
  }
  return 1;
}

Result<ReadView> open_read_view(const Context& ctx) {
  ReadView view;
  CB_TRY(view.ledger, ledger::Ledger::open(ctx.ledger_dir, {.read_only = true}));
  CB_TRY(ledger::Snapshot snapshot, view.ledger->snapshot());
  view.snapshot.emplace(std::move(snapshot));
  return view;
}

int report(const Context& ctx, const Error& error) {
  ctx.err << "closebook: " << error.to_string() << "\n";
  return exit_code(error.code);
}

int run(int argc, const char* const* argv) {
  // Global options come before the command; everything after it belongs to the command,
  // so commands can have options of their own with the same names.
  Context ctx{default_ledger_dir(), {}, std::cout, std::cerr};
  int i = 1;
  for (; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      std::cout << kUsage;
      return 0;
    }
    if (arg == "--ledger" && i + 1 < argc) {
      ctx.ledger_dir = argv[++i];
    } else if (arg.starts_with("--ledger=")) {
      ctx.ledger_dir = std::string(arg.substr(9));
    } else if (arg.starts_with("-")) {
      std::cerr << "closebook: unknown global option \"" << arg << "\"\n" << kUsage;
      return 1;
    } else {
      break;
    }
  }
  if (i == argc) {
    std::cerr << kUsage;
    return 1;
  }
  const std::string command = argv[i];
  ctx.args.assign(argv + i + 1, argv + argc);
  try {
    if (command == "init") return cmd_init(ctx);
    if (command == "keygen") return cmd_keygen(ctx);
    if (command == "load") return cmd_load(ctx);
    if (command == "ingest") return cmd_ingest(ctx);
    if (command == "price") return cmd_price(ctx);
    if (command == "match") return cmd_match(ctx);
    if (command == "keys") return cmd_keys(ctx);
    if (command == "sign") return cmd_sign(ctx);
    if (command == "signoff") return cmd_signoff(ctx);
    if (command == "invoice") return cmd_invoice(ctx);
    if (command == "credit") return cmd_credit(ctx);
    if (command == "lineage") return cmd_lineage(ctx);
    if (command == "journal") return cmd_journal(ctx);
    if (command == "bundle") return cmd_bundle(ctx);
    if (command == "exceptions") return cmd_exceptions(ctx);
    if (command == "margin") return cmd_margin(ctx);
    if (command == "shadow") return cmd_shadow(ctx);
    if (command == "log") return cmd_log(ctx);
    if (command == "publish") return cmd_publish(ctx);
    if (command == "reindex") return cmd_reindex(ctx);
    if (command == "backup") return cmd_backup(ctx);
    if (command == "restore") return cmd_restore(ctx);
    if (command == "tokens") return cmd_tokens(ctx);
    if (command == "serve") return cmd_serve(ctx);
    if (command == "witness") return cmd_witness(ctx);
    std::cerr << "closebook: unknown command \"" << command << "\"\n" << kUsage;
    return 1;
  } catch (const po::error& e) {
    std::cerr << "closebook " << command << ": " << e.what() << "\n";
    return 1;
  } catch (const kj::Exception& e) {
    // Cap'n Proto refuses a read it cannot do safely (e.g. its traversal limit): report it, never crash.
    std::cerr << "closebook " << command << ": cannot read a ledger entry: " << e.getDescription().cStr() << "\n";
    return exit_code(Code::kCorruption);
  } catch (const std::exception& e) {
    std::cerr << "closebook " << command << ": " << e.what() << "\n";
    return exit_code(Code::kIOError);
  }
}

}  // namespace closebook::cli
