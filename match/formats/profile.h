// Feed profiles: a vendor's CSV mapped, declaratively, onto closebook's generic invoice or its
// usage feed, for a vendor without a reader of its own (docs/matching.md §1.1). A profile is a
// YAML file: which of the vendor's columns (by name or position), constants or templates fill
// each closebook column, how the vendor writes dates and decimals, which header line to read,
// which rows are not charges. `closebook ingest invoice|usage --profile FILE` loads with any
// profile; the shipped ones (match/formats/profiles/*.yaml, built into the binary) load by name
// with --format. The mapped rows go through the target format's own row builder, so a profile's
// lines are checked and matched exactly as that format's; the Ingest entry records the
// profile's name and the SHA-256 of its text, so an auditor can read the file again the same way.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "evidence/result.h"
#include "match/feeds.h"
#include "match/formats/format.h"
#include "match/load.h"

namespace closebook::match {

// How the vendor writes numbers, beyond closebook's plain notation (which is always read, with
// a '+' sign, leading zeros or a bare '.' tolerated as vendors write them).
struct ProfileDecimals {
  std::string thousands;              // a grouping separator to drop ("," or "." or " "); groups of 3 checked
  bool decimal_comma = false;         // "12,50" is 12.50
  std::vector<std::string> symbols;   // currency symbols or codes written with amounts ("$", "A$", "USD")
  bool parentheses_negative = false;  // "(12.50)" is -12.50, as accounting exports write credits
  bool exponent = false;              // "1.2E-5", as some cost exports write tiny amounts
};

// A date as the vendor writes it: `iso` (ISO 8601 date or date-time, docs/matching.md §1), or a
// pattern of YYYY, MM/M, DD/D, MMM (Jan…Dec), hh, mm, ss and literal characters ("DD/MM/YYYY").
struct DatePattern {
  std::string text;        // as the profile wrote it, for messages
  bool iso = false;
  bool day_last = false;   // a pattern without a day names a month: its first day, or its last
};

struct FieldSource {
  enum class From { kColumn, kValue, kTemplate, kRowNumber, kPeriod };
  struct Piece {
    bool column = false;   // a column's value, else literal text
    std::string text;      // the literal, or the column's header name
  };
  std::string target;                        // the closebook column it fills, e.g. "Subtotal"
  From from = From::kColumn;
  std::string column;                        // kColumn by name (header, any case)
  size_t position = 0;                       // kColumn by position, 1-based; 0 when by name
  std::string value;                         // kValue
  std::vector<Piece> pieces;                 // kTemplate
  bool period_last = false;                  // kPeriod: the --period's first day, or its last (a report dated by its month)
  std::map<std::string, std::string> values; // the vendor's value (lower-case) -> closebook's; empty: as written
  std::optional<std::string> when_blank;     // the value when the vendor's is blank
  std::optional<DatePattern> date;           // date columns: how the vendor writes them
  bool end_exclusive = false;                // the vendor's end is the day after (AWS's 00:00 next day)
  bool negate = false;                       // the vendor writes this amount with the opposite sign
};

// Which of the vendor's rows are what the target reads, by one column's value: a row whose value
// is in `skip` is left out (a tax line, a fee the usage model has no place for); with `load`
// given, a row whose value is in neither list refuses the file, so a kind of row the profile
// has never seen (a vendor's new line type) is noticed, never loaded or dropped by guess.
struct RowFilter {
  std::string column;
  std::vector<std::string> load;  // lower-case; empty: every value not skipped loads
  std::vector<std::string> skip;  // lower-case
  std::string reason;             // why the skipped rows are not the target's, for the docs
};

struct Profile {
  std::string name;       // --format takes it; the Ingest entry records it
  std::string summary;    // one line for --help
  std::string source;     // the vendor documentation its columns follow
  std::string assumed;    // what the vendor does not document and the profile assumed
  const Format* target = nullptr;  // the format whose columns and row builder the mapped rows go through
  uint64_t header_line = 1;        // the physical line of the vendor's header; lines before it are skipped
  ProfileDecimals decimals;
  std::vector<RowFilter> rows;
  std::vector<FieldSource> fields;  // one per target column the profile fills
  std::string text;                 // the YAML as read: the Ingest records its SHA-256
};

// Parses and checks a profile. Errors name the profile file, its line and the key.
Result<Profile> parse_profile(std::string_view text, const std::string& file_name);

// The profiles closebook ships, parsed once (asserted valid: tests load each).
const std::vector<Profile>& shipped_profiles();

// What reads a feed: a format of its own, or a profile over one.
struct FeedReader {
  const Format* format = nullptr;
  const Profile* profile = nullptr;
  std::string_view name() const { return profile != nullptr ? std::string_view(profile->name) : format->name; }
};
// The shipped format or profile named `name` that reads `source` files; Invalid, listing them, if none.
Result<FeedReader> find_reader(std::string_view name, schema::Ingest::Source source);
// The formats and shipped profiles of `source`, as "a, b or c".
std::string reader_names(schema::Ingest::Source source);

// As plan_feed_load, through `profile`: the vendor's rows mapped onto the target's columns,
// checked in full, nothing written. Errors name the vendor's file, line and column.
Result<LoadPlan> plan_profile_load(const Profile& profile, const std::string& file_name, std::string_view bytes,
                                   const FeedOptions& options);
Result<LoadPlan> plan_reader_load(const FeedReader& reader, const std::string& file_name, std::string_view bytes,
                                  const FeedOptions& options);

// Exposed for tests and the fuzz target.
Result<Date> parse_profile_date(std::string_view text, const DatePattern& pattern, bool end_exclusive);
Result<std::string> parse_profile_decimal(std::string_view text, const ProfileDecimals& decimals);

}  // namespace closebook::match
