// Typed CSV fields for input files: each reader returns the value or an error naming the
// file, line and column, with what was expected and what was found (docs/conventions.md §2).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <capnp/blob.h>

#include "evidence/date.h"
#include "evidence/decimal.h"
#include "evidence/result.h"
#include "match/csv.h"

namespace closebook::match {

std::string lower(std::string_view s);
std::string text_of(capnp::Text::Reader t);
// A decimal as a stored entry writes it; empty text is "not given" for the optional one.
Result<Decimal> decimal_of(capnp::Text::Reader t);
Result<std::optional<Decimal>> optional_decimal_of(capnp::Text::Reader t);

// An ISO code of `letters` upper-case letters (country 2, currency 3).
Result<std::string> field_code(const csv::RowReader& row, std::string_view column, size_t letters);
Result<std::string> field_optional_code(const csv::RowReader& row, std::string_view column, size_t letters);
Result<Decimal> field_decimal(const csv::RowReader& row, std::string_view column);
Result<std::optional<Decimal>> field_optional_decimal(const csv::RowReader& row, std::string_view column);
// A rate: a decimal greater than zero.
Result<Decimal> field_rate(const csv::RowReader& row, std::string_view column);
Result<std::optional<Decimal>> field_optional_rate(const csv::RowReader& row, std::string_view column);
Result<Decimal> field_non_negative(const csv::RowReader& row, std::string_view column);
Result<std::optional<Decimal>> field_optional_percent(const csv::RowReader& row, std::string_view column);
Result<Date> field_date(const csv::RowReader& row, std::string_view column);
Result<std::optional<Date>> field_optional_date(const csv::RowReader& row, std::string_view column);
// [from, to] with an open end; `to` must not precede `from`.
Status check_range(const csv::RowReader& row, std::string_view to_column, const Date& from,
                   const std::optional<Date>& to);

// One of `names`, compared case-insensitively.
template <class Enum>
Result<Enum> field_enum(const csv::RowReader& row, std::string_view column,
                        std::initializer_list<std::pair<std::string_view, Enum>> names) {
  CB_TRY(std::string_view text, row.text(column));
  const std::string key = lower(text);
  std::string allowed;
  for (const auto& [name, value] : names) {
    if (key == name) return value;
    allowed += (allowed.empty() ? "" : ", ") + std::string(name);
  }
  return row.error(column, "\"" + std::string(text) + "\" is not one of: " + allowed);
}

}  // namespace closebook::match
