// CSV written for people's spreadsheets (RFC 4180), safe to open: a text cell that a
// spreadsheet would run as a formula (=, +, -, @, tab or CR first) gets a leading apostrophe.
#pragma once

#include <string>
#include <string_view>

namespace closebook::cli {

// `text` false: a decimal, written as it is (a leading '-' is a sign, not a formula).
inline std::string csv_cell(const std::string& value, bool text) {
  std::string v = value;
  const bool formula = text && !v.empty() && std::string_view("=+-@\t\r").find(v[0]) != std::string_view::npos;
  if (formula) v.insert(v.begin(), '\'');
  if (v.find_first_of(",\"\r\n") == std::string::npos) return v;
  std::string quoted = "\"";
  for (char c : v) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

}  // namespace closebook::cli
