// Strict RFC 4180 reader for the CSV feeds of docs/matching.md §1 and docs/ledger.md §8.
//
// Accepted: UTF-8 with an optional UTF-8 byte-order mark; CRLF, LF or mixed line ends;
// fields quoted with '"' that contain commas, line ends and doubled quotes (""). Rejected,
// with the file, line and (when known) column: invalid UTF-8, NUL bytes, a quote that is
// never closed, a quote inside an unquoted field, text after a closing quote, a bare CR,
// rows with more or fewer fields than the header, empty or duplicate header names, and
// anything past a Limits maximum. Completely empty lines are skipped anywhere.
//
// The reader is written by hand, not on Debian's libcsv (docs/conventions.md §10), because the errors
// must name the physical line where each record starts (a quoted field may span lines)
// and a field must be refused as soon as it passes Limits::field_bytes_max; libcsv
// reports neither the line nor lets us stop a field part-way.
//
// Header names are trimmed of surrounding spaces and tabs; field values are returned
// exactly as written (RowReader::text trims, callers decide). Parsing is O(n) in the
// input size and never reads past `bytes` (it is fuzzed, see tests/).
//
// Thread-safety: a Document, Columns or RowReader is an immutable value once built and
// may be read from any number of threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "evidence/result.h"

namespace closebook::csv {

// docs/conventions.md §4: every field, row and header is bounded; past a limit parse() fails naming it.
struct Limits {
  size_t field_bytes_max = 1 << 20;   // one field, after removing quotes
  size_t columns_max = 1024;          // header columns
  uint64_t rows_max = 50'000'000;     // data rows, header excluded
};

// One data row. Its fields, exactly as many as the header and values as written, live in
// its Document (Document::field), so a row costs 24 bytes and not a string per field.
struct Row {
  uint64_t line = 0;                  // 1-based physical line where the record starts

 private:
  friend class Document;
  friend class RowBuilder;
  uint64_t text_at = 0;               // where its first field starts in Document::text_
  uint64_t first_end = 0;             // its first field's entry in Document::ends_
};

class Document {
 public:
  std::string file;                   // name used in messages, e.g. "partners.csv"
  uint64_t header_line = 0;           // 1 unless blank lines precede the header
  std::vector<std::string> header;    // trimmed, non-empty, unique ignoring ASCII case
  std::vector<Row> rows;              // every row has header.size() fields

  // Parses a whole file held in memory. Errors are Code::kInvalidArgument with the file
  // and line set, and the column's header name as `field` when the column is known.
  static Result<Document> parse(std::string file_name, std::string_view bytes,
                                const Limits& limits = {});

  // Field `column` (< header.size()) of `row`, one of this document's rows.
  std::string_view field(const Row& row, size_t column) const;
  // Adds a row of header.size() fields (a document built by code, e.g. a profile's mapping).
  void add_row(uint64_t line, std::span<const std::string> fields);

 private:
  // Every row's fields, one after another, unquoted; ends_ holds where each field ends,
  // counted from its row's start (a row is at most columns_max × field_bytes_max, 1 GiB).
  // One buffer instead of a std::string per field: a 1M-line invoice file has 28M fields,
  // and 32 bytes of string header each plus the heap cost more than the file itself
  // (docs/performance.md §16).
  std::string text_;
  std::vector<uint32_t> ends_;
  void start_row(uint64_t line);
  friend class RowBuilder;
};

// A column the caller needs. Names match the header ignoring ASCII case and surrounding
// whitespace. An alias is an older or vendor-specific name for the same column (e.g.
// Partner Center's Tier2MpnId for ResellerMpnId); when both appear the canonical name wins.
struct ColumnSpec {
  std::string_view name;
  bool required = true;
  std::vector<std::string_view> aliases = {};
};

// The header positions of a set of ColumnSpecs, bound once per file so rows are read by
// name without searching the header again. Unknown header columns are ignored.
class Columns {
 public:
  // Fails, at the header line, naming the first missing required column and listing the
  // columns the file does have.
  static Result<Columns> bind(const Document& document, std::span<const ColumnSpec> specs);

  // `column` is a ColumnSpec::name given to bind(), spelled exactly as there; asking for
  // any other name is a programmer error (asserted).
  bool has(std::string_view column) const { return index(column).has_value(); }
  std::optional<size_t> index(std::string_view column) const;
  // The header name as written in the file (e.g. "Tier2MpnId"), so messages point at what
  // the user sees; the spec name if the column is absent.
  std::string_view header_name(std::string_view column) const;

 private:
  struct Binding {
    std::optional<size_t> index;      // position in Document::header, if present
    std::string header_name;          // as written in the file, or the spec name
  };
  std::map<std::string, Binding, std::less<>> by_name_;  // key: ColumnSpec::name
};

// Reads one row's fields by column name and builds errors that carry file, line and field.
// Holds references: the Document, Columns and Row must outlive it, and the string_views it
// returns point into the Row.
class RowReader {
 public:
  RowReader(const Document& document, const Columns& columns, const Row& row);

  // The value trimmed of surrounding spaces and tabs; an error if the column is absent
  // or the value is blank.
  Result<std::string_view> text(std::string_view column) const;
  // The trimmed value, or "" if the column is absent or blank.
  std::string_view optional_text(std::string_view column) const;
  // An Error::invalid at this row's file and line, in `column`'s header name, so other
  // modules report their typed-parse errors (decimals, dates) the same way.
  Error error(std::string_view column, std::string message) const;

  uint64_t line() const { return row_.line; }

 private:
  const Document& document_;
  const Columns& columns_;
  const Row& row_;
};

// `s` without surrounding spaces and tabs, as RowReader::text returns values.
std::string_view trim(std::string_view s);

// A cell of CSV written for people's spreadsheets (RFC 4180), safe to open: a text cell a
// spreadsheet would run as a formula (=, +, -, @, tab or CR first) gets a leading apostrophe.
// `text` false: a decimal, written as it is (a leading '-' is a sign, not a formula).
std::string cell(const std::string& value, bool text);

}  // namespace closebook::csv
