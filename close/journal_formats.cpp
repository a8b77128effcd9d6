#include "close/journal_formats.h"

#include "evidence/decimal.h"
#include "match/fields.h"

namespace closebook::close {

const GlFormat* find_gl_format(std::string_view name) {
  static const GlFormat kFormats[] = {
      {"json", "application/json", journal_json_files, std::nullopt},
      {"xero", "text/csv; charset=utf-8", journal_xero, match::GlSystem::kXero},
      {"myob", "text/plain; charset=utf-8", journal_myob, match::GlSystem::kMyob},
      {"netsuite", "text/csv; charset=utf-8", journal_netsuite, match::GlSystem::kNetSuite},
  };
  for (const GlFormat& f : kFormats) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

std::string gl_format_names() { return "json, xero, myob or netsuite"; }

Result<std::vector<GlFile>> write_journal(const GlFormat& format, const JournalView& journal, const match::JournalConfig& config) {
  const std::string org = match::text_of(journal.posting.reader().getKind().getJournalPosting().getOrganisation());
  if (format.gl && !org.empty()) {
    const match::GlOrganisation* found = config.organisation(org);
    if (found == nullptr) {
      return Error::invalid("journal " + journal.id() + " is of organisation " + org + ", which the configuration no longer names")
          .in_field("--format");
    }
    if (found->gl != *format.gl) {
      return Error::invalid("journal " + journal.id() + " is for organisation " + org + "'s " + match::gl_system_name(found->gl) +
                            " chart of accounts: --format " + match::gl_system_name(found->gl) + " or json")
          .in_field("--format");
    }
  }
  return format.write(journal, config);
}

Result<std::vector<GlFile>> journal_json_files(const JournalView& journal, const match::JournalConfig&) {
  return std::vector<GlFile>{{journal.id() + ".json", journal_json(journal)}};
}

std::string two_digits(int n) { return (n < 10 ? "0" : "") + std::to_string(n); }

std::string dd_mm_yyyy(const Date& d) { return two_digits(d.day) + "/" + two_digits(d.month) + "/" + std::to_string(d.year); }

Result<Date> journal_date(const JournalView& journal) {
  const std::string period = match::text_of(journal.posting.reader().getKind().getJournalPosting().getPeriod());
  auto parsed = Period::parse(period);
  if (!parsed.ok()) {
    return Error::corruption("journal posting period: " + parsed.error().message).at_entry(journal.posting.reader().getIndex());
  }
  return parsed->last_day();
}

// What is read from a stored entry is checked, never trusted: a malformed amount is an error
// naming the entry, not an abort (test: JournalExportCannotLie.MalformedStoredValuesAreErrors).
Result<std::vector<std::vector<unsigned>>> balanced_runs(const JournalView& journal) {
  const auto lines = journal.posting.reader().getKind().getJournalPosting().getLines();
  const uint64_t at = journal.posting.reader().getIndex();
  std::vector<std::vector<unsigned>> runs(1);
  Decimal running;
  for (unsigned i = 0; i < lines.size(); ++i) {
    runs.back().push_back(i);
    auto amount = Decimal::parse(match::text_of(lines[i].getAmount()));
    if (!amount.ok()) {
      return Error::corruption("journal posting line " + std::to_string(i + 1) + " amount: " + amount.error().message).at_entry(at);
    }
    auto sum = running.add(*amount);
    if (!sum.ok()) return Error::corruption("journal posting line " + std::to_string(i + 1) + ": " + sum.error().message).at_entry(at);
    running = *sum;
    if (running.is_zero()) runs.emplace_back();
  }
  if (runs.back().empty()) runs.pop_back();
  if (!running.is_zero()) return Error::corruption("journal posting does not balance: its lines sum to " + running.to_string()).at_entry(at);
  return runs;
}

std::vector<std::vector<unsigned>> pack_runs(const std::vector<std::vector<unsigned>>& runs, size_t max_lines) {
  std::vector<std::vector<unsigned>> files(1);
  for (const auto& run : runs) {
    if (!files.back().empty() && files.back().size() + run.size() > max_lines) files.emplace_back();
    files.back().insert(files.back().end(), run.begin(), run.end());
  }
  return files;
}

}  // namespace closebook::close
