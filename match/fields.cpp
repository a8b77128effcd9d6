#include "match/fields.h"

#include <algorithm>

namespace closebook::match {

std::string lower(std::string_view s) {
  // ASCII only, as std::tolower in the "C" locale closebook runs in, without its per-character
  // locale lookup (a tenth of pricing a period went there).
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

Result<std::string> field_code(const csv::RowReader& row, std::string_view column, size_t letters) {
  CB_TRY(std::string_view text, row.text(column));
  const bool ok = text.size() == letters &&
                  std::all_of(text.begin(), text.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
  if (!ok) {
    return row.error(column, "\"" + std::string(text) + "\" is not a " +
                                 std::to_string(letters) + "-letter upper-case ISO code");
  }
  return std::string(text);
}

Result<Decimal> field_decimal(const csv::RowReader& row, std::string_view column) {
  CB_TRY(std::string_view text, row.text(column));
  auto value = Decimal::parse(text);
  if (!value.ok()) return row.error(column, value.error().message);
  return value;
}

Result<Decimal> field_non_negative(const csv::RowReader& row, std::string_view column) {
  CB_TRY(Decimal value, field_decimal(row, column));
  if (value.sign() < 0) return row.error(column, value.to_string() + " is negative");
  return value;
}

Result<std::optional<Decimal>> field_optional_percent(const csv::RowReader& row, std::string_view column) {
  if (row.optional_text(column).empty()) return std::optional<Decimal>();
  CB_TRY(Decimal pct, field_decimal(row, column));
  if (pct < Decimal::from_int(-100) || pct > Decimal::from_int(100)) {
    return row.error(column, pct.to_string() + " is not a percentage between -100 and 100");
  }
  return std::optional<Decimal>(pct);
}

Result<Date> field_date(const csv::RowReader& row, std::string_view column) {
  CB_TRY(std::string_view text, row.text(column));
  auto date = Date::parse(text);
  if (!date.ok()) return row.error(column, date.error().message);
  return date;
}

Result<std::optional<Date>> field_optional_date(const csv::RowReader& row, std::string_view column) {
  if (row.optional_text(column).empty()) return std::optional<Date>();
  CB_TRY(Date date, field_date(row, column));
  return std::optional<Date>(date);
}

// [from, to] with an open end; `to` must not precede `from`.
Status check_range(const csv::RowReader& row, std::string_view to_column, const Date& from,
                   const std::optional<Date>& to) {
  if (to && *to < from) {
    return row.error(to_column, to->to_iso() + " is before the start " + from.to_iso());
  }
  return {};
}

Result<Decimal> field_rate(const csv::RowReader& row, std::string_view column) {
  CB_TRY(Decimal rate, field_decimal(row, column));
  if (rate.sign() <= 0) return row.error(column, rate.to_string() + " is not a positive rate");
  return rate;
}

Result<std::optional<Decimal>> field_optional_rate(const csv::RowReader& row, std::string_view column) {
  if (row.optional_text(column).empty()) return std::optional<Decimal>();
  CB_TRY(Decimal rate, field_rate(row, column));
  return std::optional<Decimal>(rate);
}

std::string text_of(capnp::Text::Reader t) { return std::string(t.cStr(), t.size()); }

Result<Decimal> decimal_of(capnp::Text::Reader t) { return Decimal::parse(text_of(t)); }

Result<std::optional<Decimal>> optional_decimal_of(capnp::Text::Reader t) {
  if (t.size() == 0) return std::optional<Decimal>();
  CB_TRY(Decimal d, decimal_of(t));
  return std::optional<Decimal>(d);
}

Result<std::string> field_optional_code(const csv::RowReader& row, std::string_view column, size_t letters) {
  if (row.optional_text(column).empty()) return std::string();
  return field_code(row, column, letters);
}

Result<std::optional<Decimal>> field_optional_decimal(const csv::RowReader& row, std::string_view column) {
  if (row.optional_text(column).empty()) return std::optional<Decimal>();
  CB_TRY(Decimal value, field_decimal(row, column));
  return std::optional<Decimal>(value);
}

}  // namespace closebook::match
