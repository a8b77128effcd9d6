// log: the stable log interface of docs/ledger.md §9, which scripts and third-party verifiers use.
// Output formats are a public contract (docs/ledger.md §9): change them only compatibly.
#include <charconv>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/options.h"
#include "close/views.h"
#include "ledger/indexes.h"
#include "ledger/ledger.h"
#include "ledger/tiles.h"

namespace closebook::cli {
namespace {

struct LogArgs {
  std::vector<std::string> words;  // positional words after "log"
  std::optional<uint64_t> size;
  std::string format = "raw";
};

LogArgs parse_log_args(const Context& ctx) {
  po::options_description options("log options");
  LogArgs a;
  uint64_t size = 0;
  options.add_options()
      ("words", po::value(&a.words)->multitoken(), "subcommand and its arguments")
      ("size", po::value(&size), "tree size (default: the latest)")
      ("format", po::value(&a.format), "raw, base64 or json (log entry)");
  po::positional_options_description positional;
  positional.add("words", -1);
  po::variables_map vm = parse_args(ctx.args, options, positional);
  if (vm.count("size")) a.size = size;
  return a;
}

Result<uint64_t> parse_index(const std::string& text, const char* what) {
  uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    return Error::invalid(std::string(what) + " \"" + text + "\" is not a whole number");
  }
  return value;
}

Status print_entry(const Context& ctx, const ledger::Snapshot& snap, uint64_t index,
                   const std::string& format) {
  CB_TRY(DecodedEntry entry, snap.entry(index));
  if (format == "raw") {
    ctx.out.write(entry.bytes().data(), static_cast<std::streamsize>(entry.bytes().size()));
  } else if (format == "base64") {
    ctx.out << to_base64(as_bytes(entry.bytes())) << "\n";
  } else if (format == "json") {
    ctx.out << entry_json(entry.reader()) << "\n";
  } else {
    return Error::invalid("--format must be raw, base64 or json, not \"" + format + "\"");
  }
  return {};
}

Status prove(const Context& ctx, const ledger::Snapshot& snap, const LogArgs& a) {
  if (a.words.size() != 3) {
    return Error::invalid("usage: log prove inclusion I [--size N] | log prove consistency M [--size N]");
  }
  const uint64_t size = a.size.value_or(snap.size());
  if (a.words[1] == "inclusion") {
    CB_TRY(uint64_t index, parse_index(a.words[2], "entry index"));
    CB_TRY(close::Json j, close::inclusion_proof_json(snap, index, size));
    ctx.out << j.dump() << "\n";
    return {};
  }
  if (a.words[1] == "consistency") {
    CB_TRY(uint64_t old_size, parse_index(a.words[2], "old size"));
    CB_TRY(close::Json j, close::consistency_proof_json(snap, old_size, size));
    ctx.out << j.dump() << "\n";
    return {};
  }
  return Error::invalid("log prove: expected inclusion or consistency, not \"" + a.words[1] + "\"");
}

Status run_log(const Context& ctx, const LogArgs& a) {
  if (a.words.empty()) return Error::invalid("usage: log vkey|checkpoint|checkpoints|entry|prove");
  CB_TRY(ReadView view, open_read_view(ctx));
  const ledger::Snapshot& snap = *view;
  const std::string& sub = a.words[0];
  const bool takes_no_word = sub == "vkey" || sub == "checkpoint" || sub == "checkpoints";
  if (takes_no_word && a.words.size() != 1) return Error::invalid("log " + sub + " takes no argument");
  if (sub == "vkey") {
    ctx.out << view.ledger->log_key().to_string() << "\n";
  } else if (sub == "checkpoint") {
    CB_TRY(std::string note, snap.checkpoint(a.size.value_or(snap.size())));
    ctx.out << note;
  } else if (sub == "checkpoints") {
    CB_TRY(std::vector<uint64_t> sizes, snap.checkpoint_sizes());
    for (uint64_t s : sizes) ctx.out << s << "\n";
  } else if (sub == "entry") {
    if (a.words.size() != 2) return Error::invalid("usage: log entry I [--format raw|base64|json]");
    CB_TRY(uint64_t index, parse_index(a.words[1], "entry index"));
    CB_CHECK(print_entry(ctx, snap, index, a.format));
  } else if (sub == "prove") {
    CB_CHECK(prove(ctx, snap, a));
  } else {
    return Error::invalid("unknown log command \"" + sub + "\"");
  }
  return {};
}

}  // namespace

// Rebuilds the indexes from the entries; the rebuilt subject map must be the one the log signed.
// The log key is asked for only when the ledger predates the subject map and its last
// checkpoint must be signed again with it.
int cmd_reindex(const Context& ctx) {
  po::options_description options("reindex options");
  std::string passphrase_file;
  options.add_options()("passphrase-file", po::value(&passphrase_file),
                        "the log key's passphrase (only a ledger from before index version 4 needs it)");
  parse_args(ctx.args, options);
  auto ledger = ledger::Ledger::open(ctx.ledger_dir, {});
  if (!ledger.ok()) return report(ctx, ledger.error());
  Status rebuilt = (*ledger)->reindex();
  if (!rebuilt.ok() && rebuilt.error().code == Code::kPermission) {
    auto key = unlock_log_key(**ledger, passphrase_file);
    if (!key.ok()) return report(ctx, key.error());
    rebuilt = (*ledger)->reindex(&*key);
  }
  if (!rebuilt.ok()) return report(ctx, rebuilt.error());
  ctx.out << ctx.ledger_dir << ": indexes rebuilt from the entries and proven against the signed subject map, version "
          << ledger::kIndexVersion << "\n";
  return 0;
}

int cmd_log(const Context& ctx) {
  const LogArgs a = parse_log_args(ctx);
  if (auto st = run_log(ctx, a); !st.ok()) return report(ctx, st.error());
  return 0;
}

// publish --to DIR: the log as static tlog-tiles files (docs/ledger.md §9.1).
int cmd_publish(const Context& ctx) {
  po::options_description options("publish options");
  std::string to;
  options.add_options()("to", po::value(&to)->required(), "the directory a web server or object store serves");
  parse_args(ctx.args, options);
  auto view = open_read_view(ctx);
  if (!view.ok()) return report(ctx, view.error());
  auto published = ledger::publish_tiles(**view, to);
  if (!published.ok()) return report(ctx, published.error());
  ctx.out << "published " << to << ": checkpoint of size " << published->size << " (was "
          << published->previous_size << "), " << published->tiles_written << " tiles written\n";
  return 0;
}

}  // namespace closebook::cli
