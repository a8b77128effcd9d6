// The GL import files of a journal (docs/close.md §5.2–5.4): one table row per GL, each
// writer in its own file (journal_xero.cpp, journal_myob.cpp, journal_netsuite.cpp). Each
// writes from the JournalPosting entry alone, so a re-export is byte-identical.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "close/journal.h"
#include "evidence/date.h"

namespace closebook::close {

struct GlFile {
  std::string name;     // e.g. JNL-2026-10-AU.csv, JNL-2026-10-AU-2.csv for a second part
  std::string content;
};

using GlWriter = Result<std::vector<GlFile>> (*)(const JournalView& journal, const match::JournalConfig& config);

struct GlFormat {
  const char* name;        // as --format and ?format= take it
  const char* media_type;  // of each file over HTTP
  GlWriter write;
  std::optional<match::GlSystem> gl;  // whose import it is; none for json
};

// The journal's files in `format`. A journal of an organisation is written only for its own
// GL (or as JSON): its account codes are that GL's chart, and a file another GL cannot import
// is refused rather than written. Journals before organisations go to any GL.
Result<std::vector<GlFile>> write_journal(const GlFormat& format, const JournalView& journal, const match::JournalConfig& config);

// nullptr when `name` is none of json, xero, myob, netsuite.
const GlFormat* find_gl_format(std::string_view name);
// "json, xero, myob or netsuite", for errors.
std::string gl_format_names();

Result<std::vector<GlFile>> journal_json_files(const JournalView& journal, const match::JournalConfig& config);
Result<std::vector<GlFile>> journal_xero(const JournalView& journal, const match::JournalConfig& config);
Result<std::vector<GlFile>> journal_myob(const JournalView& journal, const match::JournalConfig& config);
Result<std::vector<GlFile>> journal_netsuite(const JournalView& journal, const match::JournalConfig& config);

// The period's last day, which every GL export dates the journal: Error::corruption naming
// the entry when the stored period is not YYYY-MM.
Result<Date> journal_date(const JournalView& journal);

// "07" for 7: the GLs' dates are zero-padded. dd/mm/yyyy: Xero's and MYOB's (AU) date.
std::string two_digits(int n);
std::string dd_mm_yyyy(const Date& d);

// Lines come in balanced runs (an invoice's lines, a vendor's pair): where the running sum of
// amounts returns to zero a run ends. Error::corruption, naming the entry and line, when a
// stored amount is not a decimal. A GL's file limit splits only between runs.
Result<std::vector<std::vector<unsigned>>> balanced_runs(const JournalView& journal);

// Packs runs into files of at most `max_lines` lines (a run longer than that is a file alone).
std::vector<std::vector<unsigned>> pack_runs(const std::vector<std::vector<unsigned>>& runs, size_t max_lines);

}  // namespace closebook::close
