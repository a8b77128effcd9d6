#include "match/feeds.h"
#include "match/fields.h"
#include "match/formats/format.h"

namespace closebook::match::rows {

std::string line_period(const FeedOptions& options, const Date& start) {
  return options.period.empty() ? start.period() : options.period;
}

Result<Window> window(const csv::RowReader& row, std::string_view start_column, std::string_view end_column) {
  CB_TRY(Date start, field_date(row, start_column));
  CB_TRY(Date end, field_date(row, end_column));
  CB_CHECK(check_range(row, end_column, start, end));
  return Window{start, end};
}

std::string text(const csv::RowReader& row, std::string_view column) { return std::string(row.optional_text(column)); }

Result<std::string> decimal_text(const csv::RowReader& row, std::string_view column) {
  CB_TRY(Decimal value, field_decimal(row, column));
  return value.to_string();
}

Result<std::string> optional_decimal_text(const csv::RowReader& row, std::string_view column) {
  CB_TRY(auto value, field_optional_decimal(row, column));
  return value ? value->to_string() : std::string();
}

}  // namespace closebook::match::rows
