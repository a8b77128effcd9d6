// Calendar dates and accounting periods (proleptic Gregorian, years 1900..9999).
//
// A Date is a day with no time and no zone: the charge and invoice dates of distributor
// exports are calendar days, and the close works on whole days and whole months. Instants
// (when something was recorded) are UTC milliseconds since the epoch elsewhere (docs/conventions.md §6);
// days_since_epoch() is the bridge, counted from 1970-01-01 = day 0.
//
// Accepted text (Date::parse):
//   YYYY-MM-DD                         ISO 8601 calendar date, e.g. 2026-10-01
//   YYYY-MM-DD[T ]hh:mm[:ss[.f]][zone]  ISO date-time; zone is Z, +hh:mm or -hh:mm. The time
//                                      must be well formed and is then ignored: exports
//                                      write dates as midnight date-times, and the date is
//                                      taken as written (no time-zone conversion).
//   M/D/YYYY or MM/DD/YYYY [time]      US order, as Microsoft Partner Center exports write
//                                      it; time is " h:mm[:ss] AM|PM" or " hh:mm[:ss]".
// Rejected with Error::invalid and a hint: impossible days (2026-02-30), two-digit years,
// Excel serial day numbers (45200), YYYYMMDD without dashes, and anything else.
//
// A Period is one calendar month, written YYYY-MM (docs/conventions.md §6); the close seals periods.
//
// Thread-safety: plain values; use from any thread.
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "evidence/result.h"

namespace closebook {

struct Date {
  static constexpr int kYearMin = 1900;
  static constexpr int kYearMax = 9999;
  // Longest text Date::parse reads ("2026-10-01T00:00:00.000000000+00:00" is 35 bytes).
  static constexpr size_t kTextBytesMax = 40;

  int32_t year = 1970;
  uint8_t month = 1;  // 1..12
  uint8_t day = 1;    // 1..days_in_month(year, month)

  static Result<Date> parse(std::string_view text);
  // Requires kYearMin <= year <= kYearMax and 1 <= month <= 12.
  static int days_in_month(int year, int month);
  static bool is_leap_year(int year);
  // Day 0 is 1970-01-01. Requires days to fall within years kYearMin..kYearMax.
  static Date from_days(int64_t days);

  // True iff year, month and day name a day in 1900-01-01..9999-12-31.
  bool valid() const;
  std::string to_iso() const;      // "2026-10-01"
  int64_t days_since_epoch() const;  // 1970-01-01 = 0, 1969-12-31 = -1
  std::string period() const;      // "2026-10"

  friend auto operator<=>(const Date&, const Date&) = default;  // year, then month, then day
};

struct Period {
  int32_t year = 1970;
  uint8_t month = 1;  // 1..12

  // Exactly "YYYY-MM", year 1900..9999, month 01..12.
  static Result<Period> parse(std::string_view text);
  static Period of(const Date& date) { return Period{date.year, date.month}; }

  bool valid() const;
  std::string to_string() const;  // "2026-10"
  Date first_day() const;
  Date last_day() const;
  int days() const;  // days in the month, 28..31
  bool contains(const Date& date) const { return date.year == year && date.month == month; }
  // The following month. Requires *this < 9999-12.
  Period next() const;

  friend auto operator<=>(const Period&, const Period&) = default;  // year, then month
};

}  // namespace closebook
