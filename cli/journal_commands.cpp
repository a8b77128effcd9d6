// journal: the GL journal of a signed, invoiced period (JSON or Xero CSV), and the GL's ack.
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "cli/append.h"
#include "cli/options.h"
#include "close/journal.h"
#include "ledger/files.h"

namespace closebook::cli {
namespace {

int journal_post(const Context& ctx, const std::vector<std::string>& args) {
  po::options_description options("journal options");
  std::string period, format = "json", out_dir, config_file, passphrase_file;
  options.add_options()
      ("period", po::value(&period)->required(), "the signed, invoiced period (YYYY-MM)")
      ("format", po::value(&format), "json or xero")
      ("out", po::value(&out_dir), "xero: write the CSV files into this directory")
      ("config", po::value(&config_file), "close configuration (account codes, tax rates)")
      ("passphrase-file", po::value(&passphrase_file), "the log key's passphrase");
  parse_args(args, options);
  if (format != "json" && format != "xero") return report(ctx, Error::invalid("--format must be json or xero"));
  auto config = load_close_config(ctx, config_file);
  if (!config.ok()) return report(ctx, config.error());
  auto done = append_planned<close::JournalPlan>(ctx, passphrase_file, [&](const ledger::Snapshot& snapshot) {
    return close::plan_journal(snapshot, period, config->journal);
  });
  if (!done.ok()) return report(ctx, done.error());
  auto view = open_read_view(ctx);
  if (!view.ok()) return report(ctx, view.error());
  auto journals = close::current_journals(**view, period);  // new and written before
  if (!journals.ok()) return report(ctx, journals.error());
  for (const DecodedEntry& e : *journals) {
    const DecodedEntry* entry = &e;
    if (format == "json") {
      ctx.out << close::journal_json(*entry);
      continue;
    }
    const std::string id = entry->reader().getKind().getJournalPosting().getJournalId().cStr();
    const auto xero = close::journal_xero(*entry);
    if (!xero.ok()) return report(ctx, xero.error());
    const std::vector<std::string>& files = *xero;
    for (size_t f = 0; f < files.size(); ++f) {
      if (out_dir.empty()) {
        ctx.out << files[f];
        continue;
      }
      const std::string path = (std::filesystem::path(out_dir) / (id + (files.size() > 1 ? "-" + std::to_string(f + 1) : "") + ".csv")).string();
      if (auto st = write_new_file(path, files[f], 0644); !st.ok()) return report(ctx, st.error());
      ctx.out << "wrote " << path << "\n";
    }
  }
  return 0;
}

int journal_ack(const Context& ctx, const std::vector<std::string>& args) {
  po::options_description options("journal ack options");
  std::string period, gl_ref, journal_id, actor, passphrase_file;
  options.add_options()
      ("period", po::value(&period)->required(), "YYYY-MM")
      ("gl-ref", po::value(&gl_ref)->required(), "the GL's reference for the posted journal")
      ("journal", po::value(&journal_id), "which journal, when the period has one per currency")
      ("actor", po::value(&actor), "who records it (default $USER)")
      ("passphrase-file", po::value(&passphrase_file), "the log key's passphrase");
  parse_args(args, options);
  const char* user = std::getenv("USER");
  if (actor.empty()) actor = user != nullptr ? user : "unknown";
  auto done = append_planned<close::AckPlan>(ctx, passphrase_file, [&](const ledger::Snapshot& snapshot) {
    return close::plan_posting_ack(snapshot, period, journal_id, gl_ref, gl_ref, actor);
  });
  if (!done.ok()) return report(ctx, done.error());
  if (done->first.already_at) {
    ctx.out << "already acknowledged as " << gl_ref << ": nothing new\n";
  } else {
    ctx.out << "posting acknowledged as " << gl_ref << " at entry " << done->second.entries.front().index << "\n";
  }
  return 0;
}

}  // namespace

int cmd_journal(const Context& ctx) {
  if (!ctx.args.empty() && ctx.args[0] == "ack") {
    return journal_ack(ctx, std::vector<std::string>(ctx.args.begin() + 1, ctx.args.end()));
  }
  return journal_post(ctx, ctx.args);
}

}  // namespace closebook::cli
