// Tests for evidence/date.h: the accepted export formats, calendar validity (leap years),
// the rejections users will meet (Excel serials, two-digit years), day arithmetic and periods.
#include "evidence/date.h"

#include <gtest/gtest.h>

#include <ostream>
#include <random>
#include <string>

namespace closebook {

void PrintTo(const Date& date, std::ostream* out) {
  *out << static_cast<int>(date.year) << "-" << static_cast<int>(date.month) << "-"
       << static_cast<int>(date.day);
}
void PrintTo(const Period& period, std::ostream* out) {
  *out << static_cast<int>(period.year) << "-" << static_cast<int>(period.month);
}

namespace {

std::string iso(const std::string& text) {
  const Result<Date> date = Date::parse(text);
  EXPECT_TRUE(date.ok()) << text << ": " << date.error().message;
  return date.ok() ? date->to_iso() : "";
}

std::string date_error(const std::string& text) {
  const Result<Date> date = Date::parse(text);
  EXPECT_FALSE(date.ok()) << text << " parsed as " << date->to_iso();
  if (date.ok()) return "";
  EXPECT_EQ(date.error().code, Code::kInvalidArgument);
  return date.error().message;
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

TEST(DateTest, ParsesIsoDates) {
  const Result<Date> date = Date::parse("2026-10-01");
  ASSERT_TRUE(date.ok());
  EXPECT_EQ(date->year, 2026);
  EXPECT_EQ(date->month, 10);
  EXPECT_EQ(date->day, 1);
  EXPECT_EQ(date->to_iso(), "2026-10-01");
  EXPECT_EQ(iso("1900-01-01"), "1900-01-01");
  EXPECT_EQ(iso("9999-12-31"), "9999-12-31");
}

TEST(DateTest, ParsesIsoDateTimesTakingTheDateAsWritten) {
  for (const char* text : {"2026-10-01T00:00:00", "2026-10-01T00:00:00Z",
                           "2026-10-01T00:00:00+00:00", "2026-10-01T00:00", "2026-10-01 00:00:00",
                           "2026-10-01T00:00:00.0000000Z", "2026-10-01T23:59:59-05:00",
                           "2026-10-01T12:30:00+10:00", "2026-10-01T23:59:60Z"}) {
    EXPECT_EQ(iso(text), "2026-10-01") << text;
  }
}

TEST(DateTest, RejectsMalformedTimes) {
  for (const char* text : {"2026-10-01T", "2026-10-01T24:00:00", "2026-10-01T00:60",
                           "2026-10-01T00:00:00+", "2026-10-01T00:00:00Z ", "2026-10-01T0:00",
                           "2026-10-01X00:00", "2026-10-01T00:00:00.", "2026-10-01T00:00:00+5",
                           "2026-10-01T00:00:00+1000", "2026-10-01T00:00:00.1234567890Z"}) {
    EXPECT_TRUE(contains(date_error(text), "ISO date-time")) << text;
  }
}

TEST(DateTest, ParsesUsMonthDayYearFromPartnerCenter) {
  EXPECT_EQ(iso("10/1/2026"), "2026-10-01");
  EXPECT_EQ(iso("1/5/2026"), "2026-01-05");
  EXPECT_EQ(iso("01/05/2026"), "2026-01-05");
  EXPECT_EQ(iso("12/31/2026"), "2026-12-31");
  EXPECT_EQ(iso("10/1/2026 12:00:00 AM"), "2026-10-01");
  EXPECT_EQ(iso("10/1/2026 11:59 PM"), "2026-10-01");
  EXPECT_EQ(iso("10/1/2026 00:00:00"), "2026-10-01");
  EXPECT_TRUE(contains(date_error("10/1/2026 13:00:00 PM"), "M/D/YYYY"));
  EXPECT_TRUE(contains(date_error("10/1/2026 0:00 AM"), "M/D/YYYY"));
  EXPECT_TRUE(contains(date_error("10/1/20266"), "expected M/D/YYYY"));
  EXPECT_TRUE(contains(date_error("100/1/2026"), "expected"));
}

TEST(DateTest, UsDateWithMonthOver12HintsAtMonthFirst) {
  const std::string message = date_error("13/1/2026");
  EXPECT_TRUE(contains(message, "month 13 is not 1..12")) << message;
  EXPECT_TRUE(contains(message, "M/D/YYYY puts the month first")) << message;
}

TEST(DateTest, LeapYearsFollowTheGregorianRules) {
  EXPECT_EQ(iso("2024-02-29"), "2024-02-29");  // divisible by 4
  EXPECT_EQ(iso("2000-02-29"), "2000-02-29");  // divisible by 400
  EXPECT_EQ(iso("2/29/2024"), "2024-02-29");
  EXPECT_EQ(date_error("2023-02-29"),
            "\"2023-02-29\" is not a date (day 29 does not exist: February 2023 has 28 days)");
  // 1900 is divisible by 100 but not by 400: not a leap year (Excel wrongly says it is).
  EXPECT_TRUE(contains(date_error("1900-02-29"), "February 1900 has 28 days"));
  EXPECT_TRUE(contains(date_error("2/29/2100"), "February 2100 has 28 days"));
  EXPECT_TRUE(Date::is_leap_year(2024));
  EXPECT_TRUE(Date::is_leap_year(2000));
  EXPECT_FALSE(Date::is_leap_year(1900));
  EXPECT_FALSE(Date::is_leap_year(2023));
}

TEST(DateTest, RejectsDaysThatDoNotExist) {
  EXPECT_TRUE(contains(date_error("2026-02-30"), "February 2026 has 28 days"));
  EXPECT_TRUE(contains(date_error("2026-04-31"), "April 2026 has 30 days"));
  EXPECT_TRUE(contains(date_error("2026-01-00"), "day 0 does not exist"));
  EXPECT_TRUE(contains(date_error("2026-13-01"), "month 13 is not 1..12"));
  EXPECT_TRUE(contains(date_error("2026-00-10"), "month 0 is not 1..12"));
  EXPECT_TRUE(contains(date_error("1899-12-31"), "year 1899 is outside 1900..9999"));
  EXPECT_TRUE(contains(date_error("0000-01-01"), "outside 1900..9999"));
}

TEST(DateTest, RejectsTwoDigitYears) {
  EXPECT_TRUE(contains(date_error("10/1/26"), "two-digit years are ambiguous"));
  EXPECT_TRUE(contains(date_error("10/1/26"), "expected M/D/YYYY"));
  EXPECT_TRUE(contains(date_error("26-10-01"), "two-digit years are ambiguous"));
  EXPECT_TRUE(contains(date_error("26-10-01"), "expected YYYY-MM-DD"));
}

TEST(DateTest, RejectsExcelSerialNumbers) {
  for (const char* text : {"45200", "45200.5", "1", "2958465"}) {
    const std::string message = date_error(text);
    EXPECT_TRUE(contains(message, "looks like an Excel serial date")) << message;
    EXPECT_TRUE(contains(message, "YYYY-MM-DD")) << message;
  }
}

TEST(DateTest, RejectsOtherShapesNamingTheExpectedFormats) {
  EXPECT_TRUE(contains(date_error(""), "expected YYYY-MM-DD"));
  EXPECT_TRUE(contains(date_error("20261001"), "with '-' between year, month and day"));
  EXPECT_TRUE(contains(date_error("2026-1-5"), "expected YYYY-MM-DD"));
  EXPECT_TRUE(contains(date_error("2026/10/01"), "expected YYYY-MM-DD"));
  EXPECT_TRUE(contains(date_error("01.10.2026"), "M/D/YYYY"));
  EXPECT_TRUE(contains(date_error("Oct 1, 2026"), "expected YYYY-MM-DD"));
  EXPECT_TRUE(contains(date_error(" 2026-10-01"), "expected YYYY-MM-DD"));
  EXPECT_TRUE(contains(date_error("2026-10-01 "), "expected YYYY-MM-DD"));
  EXPECT_TRUE(contains(date_error(std::string(41, '1')), "41 bytes; at most 40"));
  EXPECT_TRUE(contains(date_error(std::string("2026-10-01\0", 11)), "\\x00"));
}

TEST(DateTest, ParseNeverCrashesOnArbitraryBytes) {
  const std::string alphabet = "0123456789-/:.TZ+ APM\xff";
  std::mt19937_64 random(3);
  for (int i = 0; i < 100000; ++i) {
    std::string text(random() % 44, ' ');
    for (char& c : text) c = alphabet[random() % alphabet.size()];
    const Result<Date> date = Date::parse(text);
    if (!date.ok()) continue;
    EXPECT_TRUE(date->valid()) << text;
    EXPECT_EQ(Date::parse(date->to_iso())->days_since_epoch(), date->days_since_epoch());
  }
}

TEST(DateTest, DaysSinceEpochKnownAnswers) {
  EXPECT_EQ(Date::parse("1970-01-01")->days_since_epoch(), 0);
  EXPECT_EQ(Date::parse("1969-12-31")->days_since_epoch(), -1);
  EXPECT_EQ(Date::parse("2000-03-01")->days_since_epoch(), 11017);  // Hinnant's example
  EXPECT_EQ(Date::parse("2024-02-29")->days_since_epoch(), 19782);
  EXPECT_EQ(Date::parse("2026-10-01")->days_since_epoch(), 20727);
  EXPECT_EQ(Date::parse("1900-01-01")->days_since_epoch(), -25567);
  EXPECT_EQ(Date::parse("9999-12-31")->days_since_epoch(), 2932896);
}

// Walks every day from 1970-01-01 to 2100-12-31, checking each against its predecessor by
// the calendar rules directly, so the algorithm is checked against something independent.
TEST(DateTest, DaysSinceEpochRoundTripsEveryDay1970To2100) {
  const int64_t first = Date::parse("1970-01-01")->days_since_epoch();
  const int64_t last = Date::parse("2100-12-31")->days_since_epoch();
  ASSERT_EQ(last, 47846);
  Date previous = Date::from_days(first - 1);
  EXPECT_EQ(previous.to_iso(), "1969-12-31");
  for (int64_t days = first; days <= last; ++days) {
    const Date date = Date::from_days(days);
    ASSERT_TRUE(date.valid());
    ASSERT_EQ(date.days_since_epoch(), days);
    ASSERT_EQ(Date::parse(date.to_iso())->days_since_epoch(), days) << date.to_iso();
    const bool same_month = date.year == previous.year && date.month == previous.month;
    const bool month_rolled = date.day == 1 && previous.day == Date::days_in_month(
                                                                   previous.year, previous.month);
    ASSERT_TRUE((same_month && date.day == previous.day + 1) || month_rolled) << date.to_iso();
    ASSERT_LT(previous, date);
    previous = date;
  }
  EXPECT_EQ(previous.to_iso(), "2100-12-31");
}

TEST(DateTest, FromDaysCoversTheWholeRange) {
  EXPECT_EQ(Date::from_days(-25567).to_iso(), "1900-01-01");
  EXPECT_EQ(Date::from_days(2932896).to_iso(), "9999-12-31");
  EXPECT_EQ(Date::from_days(0).to_iso(), "1970-01-01");
}

TEST(DateTest, DaysInMonth) {
  EXPECT_EQ(Date::days_in_month(2026, 1), 31);
  EXPECT_EQ(Date::days_in_month(2026, 2), 28);
  EXPECT_EQ(Date::days_in_month(2024, 2), 29);
  EXPECT_EQ(Date::days_in_month(1900, 2), 28);
  EXPECT_EQ(Date::days_in_month(2000, 2), 29);
  EXPECT_EQ(Date::days_in_month(2026, 4), 30);
  EXPECT_EQ(Date::days_in_month(2026, 12), 31);
}

TEST(DateTest, ComparesChronologically) {
  EXPECT_LT(*Date::parse("2026-09-30"), *Date::parse("2026-10-01"));
  EXPECT_LT(*Date::parse("2025-12-31"), *Date::parse("2026-01-01"));
  EXPECT_EQ(*Date::parse("10/1/2026"), *Date::parse("2026-10-01T00:00:00Z"));
  EXPECT_EQ(Date::parse("2026-10-01")->period(), "2026-10");
}

// ---- periods ---------------------------------------------------------------------------------

TEST(PeriodTest, ParsesExactlyYearDashMonth) {
  const Result<Period> period = Period::parse("2026-10");
  ASSERT_TRUE(period.ok());
  EXPECT_EQ(period->year, 2026);
  EXPECT_EQ(period->month, 10);
  EXPECT_EQ(period->to_string(), "2026-10");
  EXPECT_EQ(Period::parse("1900-01")->to_string(), "1900-01");
}

TEST(PeriodTest, RejectsAnythingElse) {
  for (const char* text : {"", "2026-1", "2026-010", "26-10", "2026/10", "202610", "2026-10 ",
                           "10/2026"}) {
    const Result<Period> period = Period::parse(text);
    ASSERT_FALSE(period.ok()) << text;
    EXPECT_TRUE(contains(period.error().message, "expected YYYY-MM")) << text;
  }
  EXPECT_TRUE(contains(Period::parse("2026-10-01").error().message, "a month, not a day"));
  EXPECT_TRUE(contains(Period::parse("2026-13").error().message, "month 01..12"));
  EXPECT_TRUE(contains(Period::parse("2026-00").error().message, "month 01..12"));
  EXPECT_TRUE(contains(Period::parse("1899-12").error().message, "year 1900..9999"));
}

TEST(PeriodTest, FirstAndLastDayAndLength) {
  const Period february = *Period::parse("2024-02");
  EXPECT_EQ(february.first_day().to_iso(), "2024-02-01");
  EXPECT_EQ(february.last_day().to_iso(), "2024-02-29");
  EXPECT_EQ(february.days(), 29);
  EXPECT_EQ(Period::parse("2026-02")->days(), 28);
  EXPECT_EQ(Period::parse("2026-10")->last_day().to_iso(), "2026-10-31");
  EXPECT_EQ(Period::parse("2026-11")->days(), 30);
  const Period october = *Period::parse("2026-10");
  EXPECT_EQ(october.last_day().days_since_epoch() - october.first_day().days_since_epoch() + 1,
            october.days());
}

TEST(PeriodTest, NextRollsOverTheYear) {
  EXPECT_EQ(Period::parse("2026-10")->next().to_string(), "2026-11");
  EXPECT_EQ(Period::parse("2026-12")->next().to_string(), "2027-01");
  // Walking months from 1970 to 2100 visits each first day exactly after the last day.
  Period period = *Period::parse("1970-01");
  for (int i = 0; i < 131 * 12 - 1; ++i) {
    const Period following = period.next();
    ASSERT_LT(period, following);
    ASSERT_EQ(following.first_day().days_since_epoch(), period.last_day().days_since_epoch() + 1);
    period = following;
  }
  EXPECT_EQ(period.to_string(), "2100-12");
}

TEST(PeriodTest, OfAndContainsAndComparison) {
  const Date date = *Date::parse("2026-10-15");
  const Period period = Period::of(date);
  EXPECT_EQ(period.to_string(), "2026-10");
  EXPECT_TRUE(period.contains(date));
  EXPECT_FALSE(period.next().contains(date));
  EXPECT_LT(*Period::parse("2025-12"), *Period::parse("2026-01"));
  EXPECT_EQ(*Period::parse("2026-01"), (Period{2026, 1}));
}

}  // namespace
}  // namespace closebook
