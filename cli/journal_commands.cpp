// journal: the GL journals of a signed, invoiced period (JSON, Xero, MYOB, NetSuite), and the GL's ack.
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "cli/append.h"
#include "cli/options.h"
#include "close/journal_formats.h"
#include "ledger/files.h"

namespace closebook::cli {
namespace {

// Which journals of the period to write: one by id, every one, or (the default) those the
// GL has not acknowledged yet — what it has to import.
Result<std::vector<close::JournalView>> chosen_journals(const ledger::Snapshot& snapshot, const std::string& period,
                                                        const std::string& journal_id, bool all) {
  CB_TRY(std::vector<close::JournalView> journals, close::period_journals(snapshot, period));
  std::vector<close::JournalView> out;
  for (close::JournalView& j : journals) {
    const bool wanted = !journal_id.empty() ? j.id() == journal_id : all || !j.ack;
    if (wanted) out.push_back(std::move(j));
  }
  if (!journal_id.empty() && out.empty()) return Error::not_found("period " + period + " has no journal " + journal_id).in_field("--journal");
  return out;
}

int journal_post(const Context& ctx, const std::vector<std::string>& args) {
  po::options_description options("journal options");
  std::string period, format = "json", out_dir, config_file, passphrase_file, journal_id;
  bool all = false;
  options.add_options()
      ("period", po::value(&period)->required(), "the signed, invoiced period (YYYY-MM)")
      ("format", po::value(&format), "json, xero, myob or netsuite")
      ("out", po::value(&out_dir), "write the files into this directory instead of printing them")
      ("journal", po::value(&journal_id), "only this journal (default: those not yet acknowledged)")
      ("all", po::bool_switch(&all), "every journal of the period, acknowledged or not")
      ("config", po::value(&config_file), "close configuration (organisations, account codes, tax rates)")
      ("passphrase-file", po::value(&passphrase_file), "the log key's passphrase");
  parse_args(args, options);
  const close::GlFormat* gl = close::find_gl_format(format);
  if (gl == nullptr) return report(ctx, Error::invalid("--format must be " + close::gl_format_names()).in_field("--format"));
  auto config = load_close_config(ctx, config_file);
  if (!config.ok()) return report(ctx, config.error());
  auto done = append_planned<close::JournalPlan>(ctx, passphrase_file, [&](const ledger::Snapshot& snapshot) {
    return close::plan_journal(snapshot, period, config->journal);
  });
  if (!done.ok()) return report(ctx, done.error());
  auto view = open_read_view(ctx);
  if (!view.ok()) return report(ctx, view.error());
  auto journals = chosen_journals(**view, period, journal_id, all);
  if (!journals.ok()) return report(ctx, journals.error());
  for (const close::JournalView& j : *journals) {
    if (!out_dir.empty()) ctx.out << close::journal_summary(j, config->journal) << "\n";
    auto files = close::write_journal(*gl, j, config->journal);
    if (!files.ok()) return report(ctx, files.error());
    for (const close::GlFile& f : *files) {
      if (out_dir.empty()) {
        ctx.out << f.content;
        continue;
      }
      const std::string path = (std::filesystem::path(out_dir) / f.name).string();
      if (auto st = write_new_file(path, f.content, 0644); !st.ok()) return report(ctx, st.error());
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
