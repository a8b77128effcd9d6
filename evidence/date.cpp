// Date and Period parsing, formatting and day arithmetic; see date.h for accepted formats.
#include "evidence/date.h"

#include <cassert>
#include <optional>

namespace closebook {
namespace {

constexpr const char* kExpectedDate =
    "expected YYYY-MM-DD, YYYY-MM-DDThh:mm:ss[Z|+hh:mm] or M/D/YYYY, e.g. 2026-10-01";

// Howard Hinnant, "chrono-Compatible Low-Level Date Algorithms", days_from_civil:
// https://howardhinnant.github.io/date_algorithms.html#days_from_civil
// Shifts the year to start in March so the leap day is the last day of the year, then counts
// 400-year eras (146097 days each). Exact for the whole proleptic Gregorian calendar.
constexpr int64_t days_from_civil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;                                    // [0, 399]
  const int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;  // [0, 365]
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;            // [0, 146096]
  return era * 146097 + doe - 719468;
}
static_assert(days_from_civil(1970, 1, 1) == 0);
static_assert(days_from_civil(2000, 3, 1) == 11017);  // Hinnant's worked example

constexpr int64_t kDaysMin = days_from_civil(Date::kYearMin, 1, 1);
constexpr int64_t kDaysMax = days_from_civil(Date::kYearMax, 12, 31);

bool is_digit(char c) { return c >= '0' && c <= '9'; }

size_t count_digits(std::string_view text, size_t from) {
  size_t end = from;
  while (end < text.size() && is_digit(text[end])) ++end;
  return end - from;
}

// Reads a date or time left to right; every read either consumes a whole token or nothing.
class Cursor {
 public:
  explicit Cursor(std::string_view text) : text_(text) {}

  bool done() const { return pos_ == text_.size(); }
  size_t digit_run() const { return count_digits(text_, pos_); }
  bool eat(char c) {
    if (done() || text_[pos_] != c) return false;
    pos_ += 1;
    return true;
  }
  bool eat(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }
  // A run of min..max digits (at most 9, so it fits an int); nullopt if the run is shorter
  // or longer, so "2026-1-05" and "2026-010-05" both fail.
  std::optional<int> number(size_t min, size_t max) {
    assert(min >= 1 && max <= 9 && min <= max);
    const size_t run = digit_run();
    if (run < min || run > max) return std::nullopt;
    int value = 0;
    for (size_t i = 0; i < run; ++i) value = value * 10 + (text_[pos_ + i] - '0');
    pos_ += run;
    return value;
  }
  // A number in [low, high]; nullopt otherwise.
  std::optional<int> number_in(size_t min, size_t max, int low, int high) {
    const std::optional<int> value = number(min, max);
    if (!value || *value < low || *value > high) return std::nullopt;
    return value;
  }

 private:
  std::string_view text_;
  size_t pos_ = 0;
};

// The text in double quotes with non-printable bytes as \xNN, so fuzzed input stays readable.
std::string quote(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (const char c : text.substr(0, Date::kTextBytesMax)) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte < 0x7f && byte != '"' && byte != '\\') {
      out.push_back(c);
    } else {
      out += "\\x";
      out.push_back(kHex[byte >> 4]);
      out.push_back(kHex[byte & 0xf]);
    }
  }
  if (text.size() > Date::kTextBytesMax) out += "...";
  return out + "\"";
}

Error not_a_date(std::string_view text, const std::string& hint) {
  return Error::invalid(quote(text) + " is not a date (" + hint + ")");
}

void append_padded(std::string& out, int value, int width) {
  assert(value >= 0 && width <= 4);
  std::string digits = std::to_string(value);
  if (static_cast<int>(digits.size()) < width) {
    out.append(static_cast<size_t>(width) - digits.size(), '0');
  }
  out += digits;
}

// ISO 8601 time after the 'T': hh:mm[:ss[.fraction]] then nothing, Z, or +hh:mm / -hh:mm.
bool read_iso_time(Cursor& cursor) {
  const bool hour_minute = cursor.number_in(2, 2, 0, 23) && cursor.eat(':') &&
                           cursor.number_in(2, 2, 0, 59);
  if (!hour_minute) return false;
  if (cursor.eat(':')) {
    if (!cursor.number_in(2, 2, 0, 60)) return false;  // 60: a leap second
    if (cursor.eat('.') && !cursor.number(1, 9)) return false;
  }
  if (cursor.done() || cursor.eat('Z')) return cursor.done();
  if (!cursor.eat('+') && !cursor.eat('-')) return false;
  // Extended form only (RFC 3339): a basic "+hhmm" after an extended date mixes the two.
  const bool offset = cursor.number_in(2, 2, 0, 23) && cursor.eat(':') &&
                      cursor.number_in(2, 2, 0, 59);
  return offset && cursor.done();
}

// Partner Center's US time after the date: " h:mm[:ss] AM|PM" or " hh:mm[:ss]" (24-hour).
bool read_us_time(Cursor& cursor) {
  const std::optional<int> hour = cursor.eat(' ') ? cursor.number(1, 2) : std::nullopt;
  const bool minute = hour && cursor.eat(':') && cursor.number_in(2, 2, 0, 59);
  if (!minute) return false;
  if (cursor.eat(':') && !cursor.number_in(2, 2, 0, 60)) return false;
  if (cursor.done()) return *hour <= 23;
  const bool meridiem = cursor.eat(" AM") || cursor.eat(" PM");
  return meridiem && cursor.done() && *hour >= 1 && *hour <= 12;
}

const char* month_name(int month) {
  static constexpr const char* kNames[] = {"January", "February", "March",     "April",
                                           "May",     "June",     "July",      "August",
                                           "September", "October", "November", "December"};
  assert(month >= 1 && month <= 12);
  return kNames[month - 1];
}

enum class Order { kIso, kUs };

// Checks the calendar: year range, month range, day within the month.
Result<Date> make_date(std::string_view text, int year, int month, int day, Order order) {
  if (year < Date::kYearMin || year > Date::kYearMax) {
    return not_a_date(text, "year " + std::to_string(year) + " is outside " +
                                std::to_string(Date::kYearMin) + ".." +
                                std::to_string(Date::kYearMax));
  }
  if (month < 1 || month > 12) {
    const bool swapped = order == Order::kUs && day >= 1 && day <= 12;
    return not_a_date(text, "month " + std::to_string(month) + " is not 1..12" +
                                (swapped ? "; M/D/YYYY puts the month first" : ""));
  }
  const int days = Date::days_in_month(year, month);
  if (day < 1 || day > days) {
    return not_a_date(text, "day " + std::to_string(day) + " does not exist: " +
                                month_name(month) + " " + std::to_string(year) + " has " +
                                std::to_string(days) + " days");
  }
  const Date date{year, static_cast<uint8_t>(month), static_cast<uint8_t>(day)};
  assert(date.valid());
  return date;
}

Result<Date> parse_iso(std::string_view text) {
  Cursor cursor(text);
  const std::optional<int> year = cursor.number(4, 4);
  const std::optional<int> month = cursor.eat('-') ? cursor.number(2, 2) : std::nullopt;
  const std::optional<int> day = cursor.eat('-') ? cursor.number(2, 2) : std::nullopt;
  if (!year || !month || !day) return not_a_date(text, "expected YYYY-MM-DD, e.g. 2026-10-01");
  if (!cursor.done()) {
    const bool time_ok = (cursor.eat('T') || cursor.eat(' ')) && read_iso_time(cursor);
    if (!time_ok) {
      return not_a_date(text, "expected YYYY-MM-DD or an ISO date-time such as "
                              "2026-10-01T00:00:00Z");
    }
  }
  return make_date(text, *year, *month, *day, Order::kIso);
}

Result<Date> parse_us(std::string_view text) {
  Cursor cursor(text);
  const std::optional<int> month = cursor.number(1, 2);
  const std::optional<int> day = cursor.eat('/') ? cursor.number(1, 2) : std::nullopt;
  const bool year_next = month && day && cursor.eat('/');
  if (year_next && cursor.digit_run() == 2) {
    return not_a_date(text, "two-digit years are ambiguous; expected M/D/YYYY, e.g. 10/1/2026");
  }
  const std::optional<int> year = year_next ? cursor.number(4, 4) : std::nullopt;
  if (!year) return not_a_date(text, "expected M/D/YYYY, e.g. 10/1/2026");
  if (!cursor.done() && !read_us_time(cursor)) {
    return not_a_date(text, "expected M/D/YYYY, optionally followed by a time such as "
                            "12:00:00 AM");
  }
  return make_date(text, *year, *month, *day, Order::kUs);
}

// Text that is only digits, perhaps with a fraction: an Excel serial day or YYYYMMDD.
Error numeric_date_error(std::string_view text, size_t whole_digits) {
  if (whole_digits == 8 && whole_digits == text.size()) {
    return not_a_date(text, "expected YYYY-MM-DD with '-' between year, month and day");
  }
  if (whole_digits <= 7) {
    return not_a_date(text, "it looks like an Excel serial date; format the column as a "
                            "YYYY-MM-DD date before exporting");
  }
  return not_a_date(text, kExpectedDate);
}

}  // namespace

Result<Date> Date::parse(std::string_view text) {
  if (text.empty()) {
    return Error::invalid(std::string("empty text is not a date (") + kExpectedDate + ")");
  }
  if (text.size() > kTextBytesMax) {
    return not_a_date(text, std::to_string(text.size()) + " bytes; at most " +
                                std::to_string(kTextBytesMax) + " are accepted");
  }
  const size_t lead = count_digits(text, 0);
  const bool integer = lead == text.size();
  const bool fraction_follows = lead > 0 && !integer && text[lead] == '.';
  const bool with_fraction =
      fraction_follows && lead + 1 + count_digits(text, lead + 1) == text.size();
  if (integer || with_fraction) return numeric_date_error(text, lead);
  if (lead == 4 && text[lead] == '-') return parse_iso(text);
  if (lead >= 1 && lead <= 2 && text[lead] == '/') return parse_us(text);
  const bool two_digit_year = lead == 2 && text[lead] == '-';
  if (two_digit_year) {
    return not_a_date(text, "two-digit years are ambiguous; expected YYYY-MM-DD, e.g. 2026-10-01");
  }
  return not_a_date(text, kExpectedDate);
}

bool Date::is_leap_year(int year) {
  return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

int Date::days_in_month(int year, int month) {
  assert(month >= 1 && month <= 12);
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap_february = month == 2 && is_leap_year(year);
  return leap_february ? 29 : kDays[month - 1];
}

bool Date::valid() const {
  const bool year_ok = year >= kYearMin && year <= kYearMax;
  const bool month_ok = month >= 1 && month <= 12;
  return year_ok && month_ok && day >= 1 && day <= days_in_month(year, month);
}

std::string Date::to_iso() const {
  assert(valid());
  std::string out = period();
  out += '-';
  append_padded(out, day, 2);
  assert(out.size() == 10);
  return out;
}

std::string Date::period() const { return Period::of(*this).to_string(); }

int64_t Date::days_since_epoch() const {
  assert(valid());
  const int64_t days = days_from_civil(year, month, day);
  assert(days >= kDaysMin && days <= kDaysMax);
  return days;
}

// Howard Hinnant's civil_from_days, the inverse of days_from_civil (same source, same eras).
Date Date::from_days(int64_t days) {
  assert(days >= kDaysMin && days <= kDaysMax);
  const int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;                                  // [0, 146096]
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;  // [0, 399]
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);           // [0, 365]
  const int64_t mp = (5 * doy + 2) / 153;                                // [0, 11], March = 0
  const int64_t day = doy - (153 * mp + 2) / 5 + 1;                      // [1, 31]
  const int64_t month = mp < 10 ? mp + 3 : mp - 9;                       // [1, 12]
  const int64_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  const Date date{static_cast<int32_t>(year), static_cast<uint8_t>(month),
                  static_cast<uint8_t>(day)};
  assert(date.valid() && date.days_since_epoch() == days);
  return date;
}

Result<Period> Period::parse(std::string_view text) {
  constexpr const char* kExpected = "expected YYYY-MM, e.g. 2026-10";
  if (text.size() > Date::kTextBytesMax) {
    return Error::invalid(quote(text) + " is not a period (" + kExpected + ")");
  }
  Cursor cursor(text);
  const std::optional<int> year = cursor.number(4, 4);
  const std::optional<int> month = year && cursor.eat('-') ? cursor.number(2, 2) : std::nullopt;
  if (!month) return Error::invalid(quote(text) + " is not a period (" + kExpected + ")");
  if (!cursor.done()) {
    return Error::invalid(quote(text) + " is not a period (" + kExpected +
                          "; a period is a month, not a day)");
  }
  const Period period{*year, static_cast<uint8_t>(*month)};  // two digits: 0..99
  if (!period.valid()) {
    return Error::invalid(quote(text) + " is not a period (year " +
                          std::to_string(Date::kYearMin) + ".." + std::to_string(Date::kYearMax) +
                          ", month 01..12)");
  }
  return period;
}

bool Period::valid() const {
  return year >= Date::kYearMin && year <= Date::kYearMax && month >= 1 && month <= 12;
}

std::string Period::to_string() const {
  assert(valid());
  std::string out;
  append_padded(out, year, 4);
  out += '-';
  append_padded(out, month, 2);
  assert(out.size() == 7);
  return out;
}

Date Period::first_day() const {
  assert(valid());
  return Date{year, month, 1};
}

Date Period::last_day() const {
  assert(valid());
  return Date{year, month, static_cast<uint8_t>(days())};
}

int Period::days() const { return Date::days_in_month(year, month); }

Period Period::next() const {
  assert(valid());
  assert(year < Date::kYearMax || month < 12);  // 9999-12 has no successor
  const Period following = month == 12 ? Period{year + 1, 1}
                                       : Period{year, static_cast<uint8_t>(month + 1)};
  assert(following > *this);
  return following;
}

}  // namespace closebook
