#include "match/csv.h"

#include <algorithm>
#include <cassert>
#include <cstdio>
#include <utility>

namespace closebook::csv {
namespace {

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";
// How many header names a "found columns" list shows before "... and N more", so a
// 1024-column header does not become a 20 KB message.
constexpr size_t kListedColumnsMax = 40;

// ASCII-only folding: header names are ASCII in every feed we read, and a locale-aware
// fold would make the same file bind differently on different machines.
std::string fold(std::string_view s) {
  std::string out(trim(s));
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string hex_byte(unsigned char c) {
  char buffer[8];
  std::snprintf(buffer, sizeof buffer, "0x%02X", static_cast<unsigned>(c));
  return buffer;
}

// A character for a message: itself if printable ASCII, else its hex value.
std::string show_char(char c) {
  const auto byte = static_cast<unsigned char>(c);
  if (byte >= 0x20 && byte < 0x7F) return std::string("'") + c + "'";
  return "byte " + hex_byte(byte);
}

// ---- Encoding ---------------------------------------------------------------------------

// Length of the well-formed UTF-8 sequence at `pos`, or 0 if it is not one. Follows
// Unicode Table 3-7, so overlong forms, surrogates and code points past U+10FFFF fail.
size_t utf8_sequence_length(std::string_view s, size_t pos) {
  assert(pos < s.size());
  const auto lead = static_cast<unsigned char>(s[pos]);
  if (lead < 0x80) return 1;
  size_t length = 0;
  unsigned char second_min = 0x80, second_max = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) length = 2;
  else if (lead == 0xE0) { length = 3; second_min = 0xA0; }
  else if (lead == 0xED) { length = 3; second_max = 0x9F; }
  else if (lead >= 0xE1 && lead <= 0xEF) length = 3;
  else if (lead == 0xF0) { length = 4; second_min = 0x90; }
  else if (lead == 0xF4) { length = 4; second_max = 0x8F; }
  else if (lead >= 0xF1 && lead <= 0xF3) length = 4;
  else return 0;
  if (s.size() - pos < length) return 0;
  const auto second = static_cast<unsigned char>(s[pos + 1]);
  if (second < second_min || second > second_max) return 0;
  for (size_t i = 2; i < length; i++) {
    const auto next = static_cast<unsigned char>(s[pos + i]);
    if (next < 0x80 || next > 0xBF) return 0;
  }
  return length;
}

Error encoding_error(const std::string& file, uint64_t line, size_t column, unsigned char c) {
  const bool utf16_bom = line == 1 && column == 1 && (c == 0xFF || c == 0xFE);
  if (utf16_bom) {
    return Error::invalid("the file is UTF-16 (it starts with a UTF-16 byte-order mark); "
                          "save it as UTF-8 (in Excel: \"CSV UTF-8\")").at(file, line);
  }
  return Error::invalid("invalid UTF-8 at byte " + std::to_string(column) + " of the line (" +
                        hex_byte(c) + "); save the file as UTF-8 (in Excel: \"CSV UTF-8\"), "
                        "not Windows-1252 or Latin-1").at(file, line);
}

Error nul_error(const std::string& file, uint64_t line, size_t column) {
  return Error::invalid("NUL byte at byte " + std::to_string(column) + " of the line; a text "
                        "CSV has none (is the file UTF-16 or binary? save it as UTF-8)")
      .at(file, line);
}

// A first pass over the whole input, so the parser below only ever sees valid UTF-8 and
// every encoding error names the physical line and the byte within it.
Status check_encoding(const std::string& file, std::string_view bytes) {
  uint64_t line = 1;
  size_t line_start = 0;
  size_t pos = 0;
  while (pos < bytes.size()) {
    const char c = bytes[pos];
    if (c == '\n') {
      line++;
      line_start = pos + 1;
      pos++;
      continue;
    }
    const size_t column = pos - line_start + 1;
    if (c == '\0') return nul_error(file, line, column);
    const size_t length = utf8_sequence_length(bytes, pos);
    if (length == 0) return encoding_error(file, line, column, static_cast<unsigned char>(c));
    pos += length;
  }
  assert(pos == bytes.size());
  assert(line <= bytes.size() + 1);
  return {};
}

// ---- Records ----------------------------------------------------------------------------

// Where a field is, for messages: its 1-based column number and its header name (empty
// while reading the header itself, or past the header's last column).
struct FieldPlace {
  size_t column = 0;
  std::string_view name;
};

enum class FieldEnd { kComma, kRecord };

// Reads records from valid UTF-8 with no BOM. Tracks the physical line as it consumes
// line ends, including those inside quoted fields.
class Parser {
 public:
  Parser(const std::string& file, std::string_view in, const Limits& limits)
      : file_(file), in_(in), limits_(limits) {}

  // Skips completely empty lines; false at the end of input.
  bool next_record_start();
  uint64_t line() const { return line_; }
  size_t position() const { return pos_; }

  // Reads one record, appending each field's unquoted value to `text` and where it ends
  // (counted from the record's start in `text`) to `ends`; returns its field count. Fields
  // past `keep_max` are parsed and counted but not kept, so a bad row costs no memory but
  // still says how many fields it has. `names` are the header names, for messages.
  Result<size_t> read_record(std::string& text, std::vector<uint32_t>& ends,
                             std::span<const std::string> names, size_t keep_max);

 private:
  // Each appends one field's value to `text`; the quoted field's starts at `start`.
  Status read_quoted(std::string& text, size_t start, const FieldPlace& place);
  Status read_unquoted(std::string& text, const FieldPlace& place);
  Result<FieldEnd> end_field(const FieldPlace& place);
  Error error_at(uint64_t line, const FieldPlace& place, std::string message) const;
  // `open_quote_line` is the line of a quoted field's opening quote when the field spans
  // lines (a likely missing closing quote), else 0.
  Error too_large(uint64_t line, const FieldPlace& place, uint64_t open_quote_line) const;

  const std::string& file_;
  std::string_view in_;
  const Limits& limits_;
  size_t pos_ = 0;
  uint64_t line_ = 1;
};

Error Parser::error_at(uint64_t line, const FieldPlace& place, std::string message) const {
  Error error = Error::invalid(std::move(message)).at(file_, line);
  if (!place.name.empty()) error.field = std::string(place.name);
  return error;
}

Error Parser::too_large(uint64_t line, const FieldPlace& place,
                        uint64_t open_quote_line) const {
  std::string message = "field in column " + std::to_string(place.column) +
                        " is larger than the limit of " +
                        std::to_string(limits_.field_bytes_max) + " bytes";
  if (open_quote_line != 0) {
    message += "; it is a quoted field spanning lines from line " +
               std::to_string(open_quote_line) + "; is its closing quote missing?";
  }
  return error_at(line, place, std::move(message));
}

bool Parser::next_record_start() {
  while (pos_ < in_.size()) {
    const bool lf = in_[pos_] == '\n';
    const bool crlf = in_[pos_] == '\r' && pos_ + 1 < in_.size() && in_[pos_ + 1] == '\n';
    if (!lf && !crlf) return true;
    pos_ += lf ? 1 : 2;
    line_++;
  }
  return false;
}

Result<size_t> Parser::read_record(std::string& text, std::vector<uint32_t>& ends,
                                   std::span<const std::string> names, size_t keep_max) {
  assert(pos_ < in_.size());
  const size_t record_start = text.size();
  const size_t ends_before = ends.size();
  size_t count = 0;
  // Bounded: every field but the last consumes a comma, so count <= input bytes + 1.
  for (;;) {
    assert(count <= in_.size());
    const FieldPlace place{count + 1, count < names.size() ? std::string_view(names[count])
                                                           : std::string_view()};
    const size_t field_start = text.size();
    const bool quoted = pos_ < in_.size() && in_[pos_] == '"';
    CB_CHECK(quoted ? read_quoted(text, field_start, place) : read_unquoted(text, place));
    if (count < keep_max) {
      // keep_max fields of at most field_bytes_max each: the caller bounds it under 4 GiB.
      assert(text.size() - record_start <= UINT32_MAX);
      ends.push_back(static_cast<uint32_t>(text.size() - record_start));
    } else {
      text.resize(field_start);
    }
    count++;
    CB_TRY(const FieldEnd end, end_field(place));
    if (end == FieldEnd::kRecord) break;
  }
  assert(ends.size() - ends_before == std::min(count, keep_max));
  (void)ends_before;
  return count;
}

Status Parser::read_unquoted(std::string& text, const FieldPlace& place) {
  const size_t begin = pos_;
  while (pos_ < in_.size()) {
    const char c = in_[pos_];
    if (c == ',' || c == '\n' || c == '\r') break;
    if (c == '"') {
      return error_at(line_, place,
                      "unexpected '\"' inside an unquoted field (column " +
                          std::to_string(place.column) + "); a field containing quotes must "
                          "be enclosed in double quotes, with each quote inside doubled (\"\")");
    }
    pos_++;
  }
  const size_t length = pos_ - begin;
  if (length > limits_.field_bytes_max) return too_large(line_, place, 0);
  text.append(in_.substr(begin, length));
  return {};
}

// Appends the field piece by piece between quotes, checking the limit before each append,
// so an oversized field is refused without ever being copied whole.
Status Parser::read_quoted(std::string& text, size_t start, const FieldPlace& place) {
  assert(in_[pos_] == '"');
  assert(text.size() >= start);
  const auto field_size = [&] { return text.size() - start; };
  const uint64_t quote_line = line_;
  pos_++;
  // Bounded: each pass consumes at least one quote character.
  for (;;) {
    const size_t close = in_.find('"', pos_);
    if (close == std::string_view::npos) {
      return error_at(quote_line, place,
                      "quoted field (column " + std::to_string(place.column) +
                          ") opened on line " + std::to_string(quote_line) +
                          " is never closed; add the closing '\"'");
    }
    const std::string_view piece = in_.substr(pos_, close - pos_);
    if (piece.size() > limits_.field_bytes_max - field_size()) {
      const bool spans_lines = line_ != quote_line || piece.find('\n') != piece.npos;
      return too_large(quote_line, place, spans_lines ? quote_line : 0);
    }
    text.append(piece);
    line_ += static_cast<uint64_t>(std::count(piece.begin(), piece.end(), '\n'));
    pos_ = close + 1;
    const bool doubled = pos_ < in_.size() && in_[pos_] == '"';
    if (!doubled) break;
    if (field_size() >= limits_.field_bytes_max) {
      return too_large(quote_line, place, line_ != quote_line ? quote_line : 0);
    }
    text.push_back('"');
    pos_++;
  }
  assert(field_size() <= limits_.field_bytes_max);
  const bool at_separator = pos_ == in_.size() || in_[pos_] == ',' || in_[pos_] == '\n' ||
                            in_[pos_] == '\r';
  if (at_separator) return {};
  std::string message = "unexpected " + show_char(in_[pos_]) +
                        " after the closing quote of a quoted field (column " +
                        std::to_string(place.column) +
                        "); expected ',' or the end of the line (a quote inside a quoted "
                        "field must be doubled: \"\")";
  if (quote_line != line_) {
    message += "; the field's opening quote is on line " + std::to_string(quote_line) +
               "; is a closing quote missing there?";
  }
  return error_at(line_, place, std::move(message));
}

Result<FieldEnd> Parser::end_field(const FieldPlace& place) {
  if (pos_ == in_.size()) return FieldEnd::kRecord;
  const char c = in_[pos_];
  // read_quoted and read_unquoted stop only at these, or report an error themselves.
  assert(c == ',' || c == '\n' || c == '\r');
  if (c == ',') {
    pos_++;
    return FieldEnd::kComma;
  }
  if (c == '\n') {
    pos_++;
    line_++;
    return FieldEnd::kRecord;
  }
  const bool crlf = pos_ + 1 < in_.size() && in_[pos_ + 1] == '\n';
  if (!crlf) {
    return error_at(line_, place,
                    "carriage return (CR) not followed by a line feed; line ends must be "
                    "CRLF or LF (old Mac CR-only files are not supported)");
  }
  pos_ += 2;
  line_++;
  return FieldEnd::kRecord;
}

// ---- Header and rows --------------------------------------------------------------------

Status check_header_names(const Document& document) {
  std::map<std::string, size_t> seen;  // folded name -> 0-based column
  for (size_t i = 0; i < document.header.size(); i++) {
    const std::string& name = document.header[i];
    if (name.empty()) {
      return Error::invalid("header column " + std::to_string(i + 1) + " has no name; every "
                            "column needs one (is there a stray or trailing comma?)")
          .at(document.file, document.header_line);
    }
    const auto [it, inserted] = seen.emplace(fold(name), i);
    if (!inserted) {
      const size_t first = it->second;
      return Error::invalid("duplicate column name: column " + std::to_string(i + 1) + " \"" +
                            name + "\" and column " + std::to_string(first + 1) + " \"" +
                            document.header[first] +
                            "\" are the same name (names are compared ignoring case and "
                            "surrounding spaces)")
          .at(document.file, document.header_line)
          .in_field(name);
    }
  }
  assert(seen.size() == document.header.size());
  return {};
}

Status read_header(Parser& parser, const Limits& limits, Document& document) {
  if (!parser.next_record_start()) {
    return Error::invalid("the file is empty; expected a header line naming the columns")
        .at(document.file, 1);
  }
  document.header_line = parser.line();
  std::string text;
  std::vector<uint32_t> ends;
  CB_TRY(const size_t count, parser.read_record(text, ends, {}, limits.columns_max));
  if (count > limits.columns_max) {
    return Error::invalid("the header has " + std::to_string(count) +
                          " columns, more than the limit of " +
                          std::to_string(limits.columns_max))
        .at(document.file, document.header_line);
  }
  uint32_t begin = 0;
  for (const uint32_t end : ends) {
    document.header.emplace_back(trim(std::string_view(text).substr(begin, end - begin)));
    begin = end;
  }
  CB_CHECK(check_header_names(document));
  assert(!document.header.empty());
  return {};
}

Error field_count_error(const Document& document, uint64_t line, size_t found) {
  const size_t expected = document.header.size();
  const bool more = found > expected;
  std::string message = "the row has " + std::string(more ? "more" : "fewer") +
                        " fields than the header: expected " + std::to_string(expected) +
                        ", found " + std::to_string(found);
  message += more ? " (is a value containing a comma missing its quotes?)"
                  : " (is a field or a separating comma missing?)";
  return Error::invalid(std::move(message)).at(document.file, line);
}

}  // namespace

// Reads the data rows into `document`'s one buffer (a friend of Document for that).
class RowBuilder {
 public:
  static Status read_rows(Parser& parser, const Limits& limits, Document& document);
};

Status RowBuilder::read_rows(Parser& parser, const Limits& limits, Document& document) {
  const size_t columns = document.header.size();
  while (parser.next_record_start()) {
    const uint64_t line = parser.line();
    const size_t start = parser.position();
    if (document.rows.size() >= limits.rows_max) {
      return Error::invalid("more than " + std::to_string(limits.rows_max) +
                            " data rows (the limit); split the file")
          .at(document.file, line);
    }
    document.start_row(line);
    const Row& row = document.rows.back();
    CB_TRY(const size_t count, parser.read_record(document.text_, document.ends_, document.header, columns));
    if (count != columns) return field_count_error(document, line, count);
    assert(parser.position() > start);  // progress: the loop ends with the input
    assert(document.ends_.size() == row.first_end + columns);
    (void)row;
  }
  return {};
}

Result<Document> Document::parse(std::string file_name, std::string_view bytes,
                                 const Limits& limits) {
  // A row's field ends are 32-bit offsets from its start (Document::ends_).
  assert(limits.columns_max * limits.field_bytes_max <= UINT32_MAX);
  Document document;
  document.file = std::move(file_name);
  if (bytes.substr(0, kUtf8Bom.size()) == kUtf8Bom) bytes.remove_prefix(kUtf8Bom.size());
  CB_CHECK(check_encoding(document.file, bytes));
  {
    Parser parser(document.file, bytes, limits);
    CB_CHECK(read_header(parser, limits, document));
    CB_CHECK(RowBuilder::read_rows(parser, limits, document));
  }
  assert(document.ends_.size() == document.rows.size() * document.header.size());
  for (const Row& row : document.rows) assert(row.line > document.header_line);
  return document;
}

void Document::start_row(uint64_t line) {
  Row row;
  row.line = line;
  row.text_at = text_.size();
  row.first_end = ends_.size();
  rows.push_back(row);
}

std::string_view Document::field(const Row& row, size_t column) const {
  assert(column < header.size());
  assert(row.first_end + column < ends_.size());
  const uint32_t begin = column == 0 ? 0 : ends_[row.first_end + column - 1];
  const uint32_t end = ends_[row.first_end + column];
  return std::string_view(text_).substr(row.text_at + begin, end - begin);
}

void Document::add_row(uint64_t line, std::span<const std::string> fields) {
  assert(fields.size() == header.size());
  start_row(line);
  const uint64_t row_start = text_.size();
  for (const std::string& value : fields) {
    text_ += value;
    assert(text_.size() - row_start <= UINT32_MAX);
    ends_.push_back(static_cast<uint32_t>(text_.size() - row_start));
  }
}

// ---- Columns ----------------------------------------------------------------------------

namespace {

std::string found_columns(const Document& document) {
  std::string list;
  const size_t listed = std::min(document.header.size(), kListedColumnsMax);
  for (size_t i = 0; i < listed; i++) {
    if (i > 0) list += ", ";
    list += document.header[i];
  }
  if (listed < document.header.size()) {
    list += " ... and " + std::to_string(document.header.size() - listed) + " more";
  }
  return list;
}

Error missing_column(const Document& document, const ColumnSpec& spec) {
  std::string message = "missing required column \"" + std::string(spec.name) + "\"";
  if (!spec.aliases.empty()) {
    message += " (also accepted as";
    for (size_t i = 0; i < spec.aliases.size(); i++) {
      message += (i == 0 ? " " : ", ") + std::string(spec.aliases[i]);
    }
    message += ")";
  }
  message += " in " + document.file + "; the header has: " + found_columns(document);
  return Error::invalid(std::move(message))
      .at(document.file, document.header_line)
      .in_field(std::string(spec.name));
}

// The header position of `spec`: its own name first, then its aliases in order.
std::optional<size_t> find_column(const std::map<std::string, size_t, std::less<>>& header,
                                  const ColumnSpec& spec) {
  if (auto it = header.find(fold(spec.name)); it != header.end()) return it->second;
  for (std::string_view alias : spec.aliases) {
    if (auto it = header.find(fold(alias)); it != header.end()) return it->second;
  }
  return std::nullopt;
}

}  // namespace

Result<Columns> Columns::bind(const Document& document, std::span<const ColumnSpec> specs) {
  std::map<std::string, size_t, std::less<>> header;  // folded name -> 0-based column
  for (size_t i = 0; i < document.header.size(); i++) header.emplace(fold(document.header[i]), i);
  // parse() refused duplicates, so folding loses no column.
  assert(header.size() == document.header.size());
  Columns columns;
  for (const ColumnSpec& spec : specs) {
    assert(!trim(spec.name).empty());
    const std::optional<size_t> index = find_column(header, spec);
    if (!index && spec.required) return missing_column(document, spec);
    std::string name = index ? document.header[*index] : std::string(spec.name);
    const bool inserted =
        columns.by_name_.emplace(std::string(spec.name), Binding{index, std::move(name)}).second;
    assert(inserted);  // two specs with one name are a programmer error
    (void)inserted;
  }
  assert(columns.by_name_.size() == specs.size());
  return columns;
}

std::optional<size_t> Columns::index(std::string_view column) const {
  const auto it = by_name_.find(column);
  assert(it != by_name_.end() && "column was not named in the ColumnSpecs given to bind()");
  if (it == by_name_.end()) return std::nullopt;
  return it->second.index;
}

std::string_view Columns::header_name(std::string_view column) const {
  const auto it = by_name_.find(column);
  assert(it != by_name_.end() && "column was not named in the ColumnSpecs given to bind()");
  if (it == by_name_.end()) return column;
  return it->second.header_name;
}

// ---- RowReader --------------------------------------------------------------------------

RowReader::RowReader(const Document& document, const Columns& columns, const Row& row)
    : document_(document), columns_(columns), row_(row) {
  assert(&row_ >= document_.rows.data() && &row_ < document_.rows.data() + document_.rows.size());
}

Result<std::string_view> RowReader::text(std::string_view column) const {
  const std::optional<size_t> index = columns_.index(column);
  if (!index) return error(column, "the column is missing from the file; a value is required");
  const std::string_view value = trim(document_.field(row_, *index));
  if (value.empty()) return error(column, "the value is empty; a value is required");
  return value;
}

std::string_view RowReader::optional_text(std::string_view column) const {
  const std::optional<size_t> index = columns_.index(column);
  if (!index) return {};
  return trim(document_.field(row_, *index));
}

Error RowReader::error(std::string_view column, std::string message) const {
  return Error::invalid(std::move(message))
      .at(document_.file, row_.line)
      .in_field(std::string(columns_.header_name(column)));
}

std::string cell(const std::string& value, bool text) {
  std::string v = value;
  const bool formula = text && !v.empty() && std::string_view("=+-@\t\r").find(v[0]) != std::string_view::npos;
  if (formula) v.insert(v.begin(), '\'');
  if (v.find_first_of(",\"\r\n") == std::string::npos) return v;
  std::string quoted = "\"";
  for (char c : v) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace closebook::csv
