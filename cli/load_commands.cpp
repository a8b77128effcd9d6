// load and ingest: input files into the ledger, atomically and idempotently.
#include <algorithm>
#include <iostream>
#include <memory>

#include "cli/append.h"
#include "cli/options.h"
#include "ledger/files.h"
#include "ledger/ledger.h"
#include "match/feeds.h"
#include "match/formats/profile.h"
#include "match/reference.h"

namespace closebook::cli {
namespace {

using PlanFn = std::function<Result<match::LoadPlan>(const ledger::Snapshot&)>;

// Plans against a snapshot, unlocks the log key once the file proved good (a bad file never
// asks for it), and appends; if another writer got in first, plans again.
int plan_and_append(const Context& ctx, const std::string& file, const std::string& passphrase_file,
                    const PlanFn& plan_fn) {
  auto done = append_planned<match::LoadPlan>(ctx, passphrase_file, plan_fn, nullptr, "append " + file);
  if (!done.ok()) return report(ctx, done.error());
  const auto& [plan, receipt] = *done;
  const uint64_t rows_new = receipt.new_entry_count - (receipt.entries[0].duplicate ? 0 : 1);
  ctx.out << "loaded " << file << ": " << plan.row_count << " rows, " << rows_new
          << " new entries, " << plan.row_count - rows_new << " already in the ledger";
  if (plan.skipped_rows > 0) ctx.out << "; " << plan.skipped_rows << " rows skipped by the profile's row filter";
  ctx.out << "\n"
          << "ledger size " << receipt.tree_size << ", root " << to_hex(receipt.root) << "\n";
  return 0;
}

}  // namespace

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
  return plan_and_append(ctx, file, passphrase_file, [&](const ledger::Snapshot& snapshot) {
    return match::plan_reference_load(*kind, file, *bytes, snapshot);
  });
}

// Every registered format with its summary, for --help.
const std::string& format_help() {
  static const std::string help = [] {
    std::string out = "the file's format (usage default: closebook-usage-v1):";
    for (const match::Format* f : match::formats()) {
      out += "\n  " + std::string(f->name) + " (" + (f->source == schema::Ingest::Source::USAGE ? "usage" : "invoice") +
             "): " + std::string(f->summary);
    }
    for (const match::Profile& p : match::shipped_profiles()) {
      out += "\n  " + p.name + " (" + (p.target->source == schema::Ingest::Source::USAGE ? "usage" : "invoice") +
             ", profile): " + p.summary;
    }
    return out;
  }();
  return help;
}

namespace {

// The reader --format or --profile names; a profile read from a file is kept alive beside it.
struct ChosenReader {
  std::unique_ptr<match::Profile> own_profile;
  match::FeedReader reader;
};

Result<ChosenReader> feed_reader(schema::Ingest::Source source, const std::string& format_name, const std::string& profile_file) {
  ChosenReader out;
  if (!profile_file.empty()) {
    if (!format_name.empty()) return Error::invalid("give --format or --profile, not both").in_field("--profile");
    CB_TRY(std::string text, read_file(profile_file));
    CB_TRY(match::Profile p, match::parse_profile(text, profile_file));
    if (p.target->source != source) {
      return Error::invalid("the profile " + p.name + " reads " + (source == schema::Ingest::Source::USAGE ? "invoices" : "usage") +
                            ", not this").in_field("--profile");
    }
    out.own_profile = std::make_unique<match::Profile>(std::move(p));
    out.reader = {out.own_profile->target, out.own_profile.get()};
    return out;
  }
  if (format_name.empty() && source == schema::Ingest::Source::VENDOR_INVOICE) {
    return Error::invalid("ingest invoice needs --format " + match::reader_names(source) + ", or --profile FILE").in_field("--format");
  }
  CB_TRY(out.reader, match::find_reader(format_name.empty() ? "closebook-usage-v1" : format_name, source));
  return out;
}

}  // namespace

int cmd_ingest(const Context& ctx) {
  po::options_description options("ingest options");
  std::string what, file, format_name, profile_file, period, passphrase_file;
  options.add_options()
      ("what", po::value(&what)->required(), "invoice or usage")
      ("file", po::value(&file)->required(), "CSV file")
      ("format", po::value(&format_name), format_help().c_str())
      ("profile", po::value(&profile_file), "a feed profile (YAML, docs/matching.md §1.1) to read the file with, instead of --format")
      ("period", po::value(&period), "the period the file belongs to (YYYY-MM)")
      ("passphrase-file", po::value(&passphrase_file), "the log key's passphrase");
  po::positional_options_description positional;
  positional.add("what", 1).add("file", 1);
  if (std::find(ctx.args.begin(), ctx.args.end(), "--help") != ctx.args.end()) {
    ctx.out << "usage: closebook ingest invoice|usage FILE [--format F | --profile FILE] [--period YYYY-MM]\n"
            << "(docs/matching.md §1; profiles §1.1)\n\n" << options;
    return 0;
  }
  parse_args(ctx.args, options, positional);

  using Source = schema::Ingest::Source;
  if (what != "invoice" && what != "usage") {
    return report(ctx, Error::invalid("ingest: expected invoice or usage, not \"" + what + "\""));
  }
  const Source source = what == "invoice" ? Source::VENDOR_INVOICE : Source::USAGE;
  auto reader = feed_reader(source, format_name, profile_file);
  if (!reader.ok()) return report(ctx, reader.error());
  auto bytes = read_file(file);
  if (!bytes.ok()) return report(ctx, bytes.error());
  const match::FeedOptions feed{period, terminal_progress("ingest " + file, "rows")};
  return plan_and_append(ctx, file, passphrase_file, [&](const ledger::Snapshot& snapshot) -> Result<match::LoadPlan> {
    CB_TRY(match::LoadPlan plan, match::plan_reader_load(reader->reader, file, *bytes, feed));
    CB_CHECK(match::check_invoices_against_ledger(snapshot, plan, file));
    return plan;
  });
}

}  // namespace closebook::cli
