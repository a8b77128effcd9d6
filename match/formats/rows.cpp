#include <algorithm>

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

int64_t cycle_days(const Date& end, int months) {
  // The cycle ends on `end`; it began the same day of the month, `months` months earlier, the
  // day after (Partner Center's anniversary cycles: 10/15–11/14), clamped to that month's last day.
  const Date next = Date::from_days(end.days_since_epoch() + 1);
  const int total = next.year * 12 + (next.month - 1) - months;
  Date begin;
  begin.year = total / 12;
  if (begin.year < Date::kYearMin) {
    begin = Date{Date::kYearMin, 1, 1};  // a cycle no older than dates go
  } else {
    begin.month = static_cast<uint8_t>(total % 12 + 1);
    begin.day = static_cast<uint8_t>(std::min<int>(next.day, Date::days_in_month(begin.year, begin.month)));
  }
  return next.days_since_epoch() - begin.days_since_epoch();
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
