// Tests for evidence/decimal.h: exact parsing and printing, the three rounding rules, exact
// arithmetic at the 38-digit and 30-fractional-digit limits, and comparison across scales.
// Known answers for division and multiplication were computed with Python's fractions.
#include "evidence/decimal.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <ostream>
#include <random>
#include <string>
#include <vector>

namespace closebook {

// gtest prints a Decimal in failure messages as its text, not its bytes.
void PrintTo(const Decimal& value, std::ostream* out) {
  *out << value.to_string() << " (scale " << value.scale() << ")";
}

namespace {

constexpr const char* kNines38 = "99999999999999999999999999999999999999";

Decimal dec(const std::string& text) {
  Result<Decimal> parsed = Decimal::parse(text);
  EXPECT_TRUE(parsed.ok()) << text << ": " << parsed.error().message;
  return parsed.ok() ? *parsed : Decimal();
}

// The message of a parse that must fail.
std::string parse_error(const std::string& text) {
  Result<Decimal> parsed = Decimal::parse(text);
  EXPECT_FALSE(parsed.ok()) << text << " parsed as " << parsed->to_string();
  if (parsed.ok()) return "";
  EXPECT_EQ(parsed.error().code, Code::kInvalidArgument);
  return parsed.error().message;
}

std::string show(const Result<Decimal>& result) {
  return result.ok() ? result->to_string() : "error: " + result.error().message;
}

// ---- parsing and printing ------------------------------------------------------------------

TEST(DecimalTest, ParseKeepsTheScaleAsWritten) {
  EXPECT_EQ(dec("1.50").scale(), 2);
  EXPECT_EQ(dec("1.50").mantissa(), 150);
  EXPECT_EQ(dec("12").scale(), 0);
  EXPECT_EQ(dec("-0.50").mantissa(), -50);
  EXPECT_EQ(dec("3.0").to_string(), "3.0");
  EXPECT_EQ(dec("0.5").to_string(), "0.5");
}

// docs/ledger.md §5: one value, one text. These fail against the lenient parse, which read
// "+1", "007" and "-0" as 1, 7 and 0.
TEST(DecimalTest, RefusesALeadingPlus) {
  EXPECT_EQ(parse_error("+1"), "\"+1\" is not a decimal (found a leading '+': a positive "
                               "number is written without a sign; expected \"1\")");
  EXPECT_NE(parse_error("+3.0").find("expected \"3.0\""), std::string::npos);
  EXPECT_NE(parse_error("+007.10").find("expected \"7.10\""), std::string::npos);
  EXPECT_NE(parse_error("+0").find("leading '+'"), std::string::npos);
}

TEST(DecimalTest, RefusesLeadingZeros) {
  EXPECT_EQ(parse_error("012"), "\"012\" is not a decimal (found a leading zero: the integer "
                                "part is a lone 0 or starts with 1-9; expected \"12\")");
  EXPECT_NE(parse_error("00012.5").find("expected \"12.5\""), std::string::npos);
  EXPECT_NE(parse_error("00.5").find("expected \"0.5\""), std::string::npos);
  EXPECT_NE(parse_error("007.10").find("expected \"7.10\""), std::string::npos);
  EXPECT_NE(parse_error("-012").find("expected \"-12\""), std::string::npos);
  EXPECT_NE(parse_error("-00.5").find("expected \"-0.5\""), std::string::npos);
  EXPECT_NE(parse_error("00").find("expected \"0\""), std::string::npos);
  // A lone 0 before the point, and zeros after it, are canonical.
  EXPECT_EQ(dec("0").to_string(), "0");
  EXPECT_EQ(dec("0.05").to_string(), "0.05");
  EXPECT_EQ(dec("10.00").to_string(), "10.00");
}

TEST(DecimalTest, RefusesNegativeZero) {
  EXPECT_EQ(parse_error("-0"), "\"-0\" is not a decimal (found a negative zero: zero is "
                               "written without a sign; expected \"0\")");
  EXPECT_NE(parse_error("-0.00").find("expected \"0.00\""), std::string::npos);
  EXPECT_NE(parse_error("-000.0").find("negative zero"), std::string::npos);
  EXPECT_EQ(dec("-0.01").to_string(), "-0.01");  // a small negative is not zero
}

// Whatever parse() accepts is exactly what to_string() prints for it.
TEST(DecimalTest, AcceptedTextIsCanonical) {
  for (const char* text : {"0", "-1", "1", "0.0", "12.50", "-0.5", "100", "-100.001"}) {
    EXPECT_EQ(dec(text).to_string(), text);
  }
}

TEST(DecimalTest, ToStringRoundTripsBitForBit) {
  for (const char* text : {"0", "1", "-1", "0.00", "12.50", "-0.50",
                           "0.000000000000000000000000000001",
                           "-123456789012345678.90123456789012345678", kNines38,
                           "-99999999999999999999999999999999999999",
                           "0.999999999999999999999999999999"}) {
    const Decimal value = dec(text);
    EXPECT_EQ(value.to_string(), text);
    EXPECT_TRUE(dec(value.to_string()).identical(value)) << text;
  }
}

TEST(DecimalTest, RandomValuesRoundTripBitForBit) {
  std::mt19937_64 random(20261001);  // fixed seed: a failure reproduces
  for (int i = 0; i < 20000; ++i) {
    const unsigned __int128 bits = (static_cast<unsigned __int128>(random()) << 64) | random();
    const unsigned __int128 ten_38 =
        static_cast<unsigned __int128>(10000000000000000000ULL) * 10000000000000000000ULL;
    auto mantissa = static_cast<__int128>(bits % ten_38);
    if (random() % 2 == 0) mantissa = -mantissa;
    const int scale = static_cast<int>(random() % (Decimal::kScaleMax + 1));
    const Result<Decimal> value = Decimal::from_parts(mantissa, scale);
    ASSERT_TRUE(value.ok());
    const Result<Decimal> reparsed = Decimal::parse(value->to_string());
    ASSERT_TRUE(reparsed.ok()) << value->to_string();
    EXPECT_TRUE(reparsed->identical(*value)) << value->to_string();
  }
}

TEST(DecimalTest, ParsesMicrosoft22DigitUnitPricesExactly) {
  const Decimal price = dec("0.05183999999999999996");
  EXPECT_EQ(price.scale(), 20);
  EXPECT_EQ(price.mantissa(), static_cast<__int128>(5183999999999999996LL));
  EXPECT_EQ(price.to_string(), "0.05183999999999999996");
  const Decimal wide = dec("1234.567890123456789012");  // 22 significant digits
  EXPECT_EQ(wide.digits(), 22);
  EXPECT_EQ(wide.to_string(), "1234.567890123456789012");
}

TEST(DecimalTest, AcceptsTheDigitAndScaleLimitsExactly) {
  EXPECT_EQ(dec(kNines38).digits(), 38);
  const Decimal widest = dec("-99999999.999999999999999999999999999999");
  EXPECT_EQ(widest.scale(), 30);
  EXPECT_EQ(widest.digits(), 38);
  EXPECT_EQ(dec("0.000000000000000000000000000001").scale(), 30);
  // Zeros after the point before the first significant digit are not significant digits.
  EXPECT_EQ(dec("0.000000099999999999999999999999").digits(), 23);
}

TEST(DecimalTest, RejectsEmptyText) {
  EXPECT_NE(parse_error("").find("empty"), std::string::npos);
}

TEST(DecimalTest, RejectsWhitespaceAnywhere) {
  for (const char* text : {" 1", "1 ", "1 000", "\t12.5", "12.5\r", "1\xc2\xa0" "000"}) {
    EXPECT_NE(parse_error(text).find("remove the whitespace"), std::string::npos) << text;
  }
}

TEST(DecimalTest, RejectsThousandsSeparatorsAndSaysToRemoveThem) {
  EXPECT_EQ(parse_error("1,234.5"),
            "\"1,234.5\" is not a decimal (remove the thousands separators)");
  EXPECT_NE(parse_error("1,234,567").find("remove the thousands separators"), std::string::npos);
  // One group of three with no '.' could be either convention: the message names both.
  const std::string ambiguous = parse_error("1,234");
  EXPECT_NE(ambiguous.find("thousands separator"), std::string::npos);
  EXPECT_NE(ambiguous.find("use '.'"), std::string::npos);
  EXPECT_NE(parse_error("1.234,50").find("use '.' as the decimal separator"), std::string::npos);
}

TEST(DecimalTest, RejectsCommaDecimalSeparator) {
  EXPECT_EQ(parse_error("12,5"), "\"12,5\" is not a decimal (use '.' as the decimal separator)");
  EXPECT_EQ(parse_error("-0,05"), "\"-0,05\" is not a decimal (use '.' as the decimal separator)");
}

TEST(DecimalTest, RejectsExcelExponentNotation) {
  for (const char* text : {"1.23E+05", "5E-3", "-2.5e10", "1e5"}) {
    const std::string message = parse_error(text);
    EXPECT_NE(message.find("Excel exponent notation is not accepted"), std::string::npos) << text;
    EXPECT_NE(message.find("export the column as a number"), std::string::npos) << text;
  }
}

TEST(DecimalTest, RejectsMissingDigitsAroundThePoint) {
  EXPECT_NE(parse_error(".5").find("expected a digit before '.'"), std::string::npos);
  EXPECT_NE(parse_error("-.5").find("expected a digit before '.'"), std::string::npos);
  EXPECT_NE(parse_error("5.").find("expected digits after '.'"), std::string::npos);
  EXPECT_NE(parse_error("-").find("expected digits after the sign"), std::string::npos);
  EXPECT_NE(parse_error("+").find("expected digits after the sign"), std::string::npos);
}

TEST(DecimalTest, RejectsTooManyFractionalDigits) {
  const std::string message = parse_error("0.0000000000000000000000000000001");  // 31
  EXPECT_NE(message.find("31 fractional digits; at most 30"), std::string::npos) << message;
}

TEST(DecimalTest, RejectsTooManySignificantDigits) {
  const std::string message = parse_error("999999999999999999999999999999999999999");  // 39
  EXPECT_NE(message.find("39 significant digits; at most 38"), std::string::npos) << message;
  EXPECT_FALSE(Decimal::parse("1234567890.1234567890123456789012345678901").ok());
}

TEST(DecimalTest, RejectsEverythingElseNamingWhatWasFound) {
  EXPECT_NE(parse_error("abc").find("found \"a\" at byte 1"), std::string::npos);
  EXPECT_NE(parse_error("$12.50").find("found \"$\" at byte 1"), std::string::npos);
  EXPECT_NE(parse_error("12.50 USD").find("whitespace"), std::string::npos);
  EXPECT_NE(parse_error("1.2.3").find("at most one '.'"), std::string::npos);
  EXPECT_NE(parse_error("--1").find("sign only at the start"), std::string::npos);
  EXPECT_NE(parse_error("+-1").find("sign only at the start"), std::string::npos);
  EXPECT_NE(parse_error("1-").find("sign only at the start"), std::string::npos);
  EXPECT_NE(parse_error("(12.50)").find("leading '-'"), std::string::npos);
  EXPECT_NE(parse_error(std::string("1\0" "2", 3)).find("\\x00"), std::string::npos);
  EXPECT_NE(parse_error(std::string(65, '1')).find("65 bytes; at most 64"), std::string::npos);
}

TEST(DecimalTest, ParseNeverCrashesOnArbitraryBytes) {
  // A cheap in-test fuzz; the libFuzzer target explores further.
  const std::string alphabet = "0123456789+-.,eE $()\t\xc2\xa0\x00\xff";
  std::mt19937_64 random(7);
  for (int i = 0; i < 100000; ++i) {
    std::string text(random() % 72, ' ');
    for (char& c : text) c = alphabet[random() % alphabet.size()];
    const Result<Decimal> parsed = Decimal::parse(text);
    if (!parsed.ok()) continue;
    EXPECT_TRUE(Decimal::parse(parsed->to_string())->identical(*parsed)) << text;
  }
}

TEST(DecimalTest, NegativeZeroPrintsWithoutSign) {
  EXPECT_EQ(Decimal::zero(2).negated().to_string(), "0.00");
  EXPECT_EQ(Decimal::zero(0).negated().sign(), 0);
  EXPECT_EQ(show(dec("-0.004").round(2, Rounding::kHalfUp)), "0.00");
  EXPECT_EQ(show(dec("-0.009").round(2, Rounding::kDown)), "0.00");
  EXPECT_EQ(show(dec("1.25").sub(dec("1.25"))), "0.00");
  EXPECT_EQ(show(dec("-1.5").mul(Decimal::zero(1))), "0.00");
}

TEST(DecimalTest, FactoriesAndAccessors) {
  EXPECT_EQ(Decimal::from_int(-42).to_string(), "-42");
  EXPECT_EQ(Decimal::from_int(INT64_MIN).to_string(), "-9223372036854775808");
  EXPECT_EQ(Decimal::zero(3).to_string(), "0.000");
  EXPECT_EQ(Decimal().to_string(), "0");
  EXPECT_TRUE(Decimal::zero(4).is_zero());
  EXPECT_EQ(dec("-2.5").sign(), -1);
  EXPECT_EQ(dec("2.5").sign(), 1);
  EXPECT_EQ(dec("-2.50").abs().to_string(), "2.50");
  EXPECT_EQ(dec("2.50").negated().to_string(), "-2.50");
  EXPECT_EQ(dec("1.5000").normalized().to_string(), "1.5");
  EXPECT_EQ(dec("100").normalized().to_string(), "100");  // scale never goes negative
  EXPECT_EQ(dec("0.000").normalized().to_string(), "0");
  EXPECT_FALSE(Decimal::from_parts(1, 31).ok());
  EXPECT_FALSE(Decimal::from_parts(1, -1).ok());
  const __int128 ten_38 = static_cast<__int128>(10000000000000000000ULL) * 10000000000000000000ULL;
  EXPECT_FALSE(Decimal::from_parts(ten_38, 0).ok());
  EXPECT_FALSE(Decimal::from_parts(-ten_38, 0).ok());
  EXPECT_TRUE(Decimal::from_parts(ten_38 - 1, 0).ok());
}

// ---- rounding --------------------------------------------------------------------------------

struct RoundingCase {
  const char* input;
  const char* down;
  const char* half_up;
  const char* half_even;
};

TEST(DecimalTest, RoundingTableToCents) {
  const std::vector<RoundingCase> cases = {
      {"2.345", "2.34", "2.35", "2.34"},    {"-2.345", "-2.34", "-2.35", "-2.34"},
      {"2.355", "2.35", "2.36", "2.36"},    {"-2.355", "-2.35", "-2.36", "-2.36"},
      {"2.3450001", "2.34", "2.35", "2.35"}, {"2.3449999", "2.34", "2.34", "2.34"},
      {"2.349", "2.34", "2.35", "2.35"},    {"-2.349", "-2.34", "-2.35", "-2.35"},
      {"0.005", "0.00", "0.01", "0.00"},    {"-0.005", "0.00", "-0.01", "0.00"},
      {"0.015", "0.01", "0.02", "0.02"},    {"0.025", "0.02", "0.03", "0.02"},
      {"9.995", "9.99", "10.00", "10.00"},  {"-9.995", "-9.99", "-10.00", "-10.00"},
      {"2.34", "2.34", "2.34", "2.34"},     {"2.3", "2.30", "2.30", "2.30"},
  };
  for (const RoundingCase& c : cases) {
    const Decimal value = dec(c.input);
    EXPECT_EQ(show(value.round(2, Rounding::kDown)), c.down) << c.input;
    EXPECT_EQ(show(value.round(2, Rounding::kHalfUp)), c.half_up) << c.input;
    EXPECT_EQ(show(value.round(2, Rounding::kHalfEven)), c.half_even) << c.input;
  }
}

TEST(DecimalTest, RoundingToWholeUnitsAndAcrossManyDigits) {
  EXPECT_EQ(show(dec("2.5").round(0, Rounding::kHalfEven)), "2");
  EXPECT_EQ(show(dec("3.5").round(0, Rounding::kHalfEven)), "4");
  EXPECT_EQ(show(dec("-2.5").round(0, Rounding::kHalfUp)), "-3");
  EXPECT_EQ(show(dec("0.05183999999999999996").round(2, Rounding::kDown)), "0.05");
  EXPECT_EQ(show(dec("0.05183999999999999996").round(4, Rounding::kHalfEven)), "0.0518");
  EXPECT_EQ(show(dec("0.000000000000000000000000000005").round(29, Rounding::kHalfEven)),
            "0.00000000000000000000000000000");
  EXPECT_EQ(show(dec("9999999999999999999999999999999999999.5").round(0, Rounding::kHalfUp)),
            "10000000000000000000000000000000000000");
}

TEST(DecimalTest, RoundingToALargerScaleIsExactOrAnError) {
  const Result<Decimal> widened = dec("1.5").round(3, Rounding::kDown);
  ASSERT_TRUE(widened.ok());
  EXPECT_TRUE(widened->identical(dec("1.500")));
  const Result<Decimal> overflow = dec(kNines38).round(1, Rounding::kHalfUp);
  ASSERT_FALSE(overflow.ok());
  EXPECT_NE(overflow.error().message.find("overflow"), std::string::npos);
  EXPECT_FALSE(dec("1").round(31, Rounding::kDown).ok());
  EXPECT_FALSE(dec("1").round(-1, Rounding::kDown).ok());
}

TEST(DecimalTest, RescaleDropsOnlyZeros) {
  EXPECT_TRUE(dec("1.50").rescale(1)->identical(dec("1.5")));
  EXPECT_TRUE(dec("1.5").rescale(4)->identical(dec("1.5000")));
  const Result<Decimal> lossy = dec("1.55").rescale(1);
  ASSERT_FALSE(lossy.ok());
  EXPECT_NE(lossy.error().message.find("without rounding"), std::string::npos);
  EXPECT_FALSE(dec("12345678901234567890123456789.012345678").rescale(10).ok());
}

// ---- business rules --------------------------------------------------------------------------

// Microsoft NCE: ROUNDDOWN(EffectiveUnitPrice × PCToBCExchangeRate, 2) × BillableQuantity.
TEST(DecimalTest, MicrosoftNceLineAmountRoundsDownTheConvertedPrice) {
  const Decimal price = dec("0.05183999999999999996");
  const Decimal rate = dec("1.5234");
  const Decimal quantity = dec("13");
  const Result<Decimal> converted = price.mul(rate);
  ASSERT_TRUE(converted.ok());
  EXPECT_EQ(converted->to_string(), "0.078973055999999999939064");  // exact, scale 24
  const Result<Decimal> unit = converted->round(2, Rounding::kDown);
  ASSERT_TRUE(unit.ok());
  EXPECT_EQ(unit->to_string(), "0.07");
  EXPECT_EQ(show(unit->mul(quantity)), "0.91");
  // Half-up on the converted price would have billed 0.08 × 13 = 1.04.
  EXPECT_EQ(show(converted->round(2, Rounding::kHalfUp)->mul(quantity)), "1.04");
}

// Australian GST: 1/11 of a GST-inclusive price, to the cent, half a cent rounds up.
TEST(DecimalTest, GstIsOneEleventhRoundedHalfUpToTheCent) {
  const Decimal eleven = Decimal::from_int(11);
  EXPECT_EQ(show(dec("100.05").div(eleven, 2, Rounding::kHalfUp)), "9.10");  // 9.0954...
  EXPECT_EQ(show(dec("100.05").div(eleven, 2, Rounding::kDown)), "9.09");
  EXPECT_EQ(show(dec("110.00").div(eleven, 2, Rounding::kHalfUp)), "10.00");
  EXPECT_EQ(show(dec("-100.05").div(eleven, 2, Rounding::kHalfUp)), "-9.10");  // credit note
  EXPECT_EQ(show(dec("0.55").div(eleven, 2, Rounding::kHalfUp)), "0.05");
  EXPECT_EQ(show(dec("1.00").div(eleven, 2, Rounding::kHalfUp)), "0.09");
  // 10% GST on an exclusive price, exactly half a cent: half-up rounds up, half-even not.
  const Decimal tenth = dec("0.1");
  EXPECT_EQ(show(dec("12.25").mul(tenth)->round(2, Rounding::kHalfUp)), "1.23");
  EXPECT_EQ(show(dec("12.25").mul(tenth)->round(2, Rounding::kHalfEven)), "1.22");
  EXPECT_EQ(show(dec("0.05").div(Decimal::from_int(10), 2, Rounding::kHalfUp)), "0.01");
  EXPECT_EQ(show(dec("-0.05").div(Decimal::from_int(10), 2, Rounding::kHalfUp)), "-0.01");
}

// ---- arithmetic ------------------------------------------------------------------------------

TEST(DecimalTest, AddAndSubAreExactAtTheLargerScale) {
  EXPECT_EQ(show(dec("1.5").add(dec("0.25"))), "1.75");
  EXPECT_EQ(show(dec("1.50").add(dec("-3"))), "-1.50");
  EXPECT_EQ(show(dec("0.1").add(dec("0.2"))), "0.3");  // no binary float drift
  EXPECT_EQ(show(dec("0.000000000000000000000000000001").add(dec("1"))),
            "1.000000000000000000000000000001");
  EXPECT_EQ(show(dec("5").sub(dec("7.125"))), "-2.125");
  // An addend beyond 38 digits after alignment may still cancel to a sum that fits.
  EXPECT_EQ(show(dec("10000000000000000000000000000000000000").sub(dec("3729900.0"))),
            "9999999999999999999999999999996270100.0");
}

TEST(DecimalTest, AddOverflowAtThe38DigitEdgeIsAnErrorNamingBothOperands) {
  const Result<Decimal> sum = dec(kNines38).add(dec("1"));
  ASSERT_FALSE(sum.ok());
  EXPECT_EQ(sum.error().code, Code::kInvalidArgument);
  EXPECT_EQ(sum.error().message, std::string("overflow: ") + kNines38 +
                                     " + 1 needs more than 38 significant digits");
  EXPECT_FALSE(dec("-99999999999999999999999999999999999999").sub(dec("1")).ok());
  EXPECT_FALSE(dec(kNines38).add(dec("0.1")).ok());  // 39 digits at scale 1
  EXPECT_FALSE(dec(kNines38).add(dec(kNines38)).ok());  // past 2^127 as well
  EXPECT_EQ(show(dec(kNines38).add(dec("-1"))), "99999999999999999999999999999999999998");
  EXPECT_EQ(show(dec("99999999999999999999999999999999999998").add(dec("1"))), kNines38);
}

TEST(DecimalTest, MulAddsScalesExactly) {
  EXPECT_EQ(show(dec("1.50").mul(dec("2.00"))), "3.0000");
  EXPECT_EQ(show(dec("-0.5").mul(dec("0.5"))), "-0.25");
  EXPECT_EQ(show(dec("9999999999999999999").mul(dec("9999999999999999999"))),
            "99999999999999999980000000000000000001");
  EXPECT_EQ(show(dec("1234567890123456789.5").mul(dec("1234567890123456789.2"))),
            "1524157875323883675883249521836610273.4");  // one trailing zero dropped to fit
  EXPECT_EQ(show(dec(kNines38).mul(dec("0.000000000000000000000000000001"))),
            "99999999.999999999999999999999999999999");
  // 10^39 at scale 19 does not fit; two zeros go, the rest of the scale stays.
  EXPECT_EQ(show(dec("1.0000000000000000000").mul(dec("100000000000000000000"))),
            "100000000000000000000.00000000000000000");
}

TEST(DecimalTest, MulStripsTrailingZerosOnlyPastTheScaleLimit) {
  // 10^-16 × 10^-13 = 10^-29: written at scale 34, it fits at scale 30 once zeros go.
  EXPECT_EQ(show(dec("0.000000000000000100").mul(dec("0.0000000000001000"))),
            "0.000000000000000000000000000010");
  const Result<Decimal> tiny = dec("0.000000000000000000000000000001").mul(dec("0.1"));
  ASSERT_FALSE(tiny.ok());
  EXPECT_EQ(tiny.error().message,
            "precision: 0.000000000000000000000000000001 * 0.1 needs 31 fractional digits; at "
            "most 30 are supported");
}

TEST(DecimalTest, MulOverflowAtThe38DigitEdgeIsAnError) {
  const Result<Decimal> product = dec("10000000000000000000").mul(dec("10000000000000000000"));
  ASSERT_FALSE(product.ok());
  EXPECT_EQ(product.error().message,
            "overflow: 10000000000000000000 * 10000000000000000000 needs more than 38 "
            "significant digits");
  EXPECT_FALSE(dec(kNines38).mul(dec(kNines38)).ok());
  EXPECT_FALSE(dec("-3.14159265358979323846").mul(dec("2.71828182845904523536")).ok());
}

struct DivisionCase {
  const char* dividend;
  const char* divisor;
  int scale;
  Rounding mode;
  const char* quotient;  // nullptr: overflow
};

TEST(DecimalTest, DivisionKnownAnswers) {
  const std::vector<DivisionCase> cases = {
      {"1", "3", 30, Rounding::kHalfEven, "0.333333333333333333333333333333"},
      {"2", "3", 5, Rounding::kHalfUp, "0.66667"},
      {"-2", "3", 5, Rounding::kHalfUp, "-0.66667"},
      {"2", "-3", 5, Rounding::kDown, "-0.66666"},
      {"1234.5678", "1", 2, Rounding::kHalfEven, "1234.57"},
      {kNines38, "99999999999999999999999999999999999998", 30, Rounding::kHalfUp,
       "1.000000000000000000000000000000"},
      {"1", kNines38, 30, Rounding::kHalfUp, "0.000000000000000000000000000000"},
      {"12345678901234567890.123456789", "0.0000000000000000007", 0, Rounding::kHalfEven,
       "17636684144620811271604938270000000000"},
      {"-0.000000000000000000000000000005", "10", 30, Rounding::kHalfUp,
       "-0.000000000000000000000000000001"},
      {"-0.000000000000000000000000000005", "10", 30, Rounding::kHalfEven,
       "0.000000000000000000000000000000"},
      {"123456789012345678901234567890.12345678", "-3.141592653589793238462643383279", 7,
       Rounding::kHalfEven, "-39297516459136011802120072260.6311657"},
      {"1234567.890123456789012345678901234567", "98765432109876543210987654321098765", 30,
       Rounding::kHalfUp, "0.000000000000000000000000000012"},
      {"98765432109876543210987654321098765", "1234567.890123456789012345678901234567", 0,
       Rounding::kDown, "80000000729000006633900060368"},
      {"3.141592653589793238462643383279", "2.718281828459045235360287471352", 30,
       Rounding::kHalfEven,
       "1.155727349790921717910093183313"},
      {"7", "0.0000000000000000000000000003", 8, Rounding::kHalfUp,
       "23333333333333333333333333333.33333333"},
      {"123456789012345678901234567890.12345678", "-3.141592653589793238462643383279", 20,
       Rounding::kHalfEven, nullptr},
      {"1000000000000000000", "0.000000000000000000000000000001", 0, Rounding::kDown, nullptr},
  };
  for (const DivisionCase& c : cases) {
    const Result<Decimal> quotient = dec(c.dividend).div(dec(c.divisor), c.scale, c.mode);
    const std::string where = std::string(c.dividend) + " / " + c.divisor + " " +
                              rounding_name(c.mode);
    if (c.quotient == nullptr) {
      ASSERT_FALSE(quotient.ok()) << where << " = " << quotient->to_string();
      EXPECT_NE(quotient.error().message.find("overflow"), std::string::npos);
    } else {
      EXPECT_EQ(show(quotient), c.quotient) << where;
      if (quotient.ok()) {
        EXPECT_EQ(quotient->scale(), c.scale) << where;
      }
    }
  }
}

TEST(DecimalTest, DivisionByZeroIsAnError) {
  const Result<Decimal> quotient = dec("1.00").div(dec("0.00"), 2, Rounding::kHalfUp);
  ASSERT_FALSE(quotient.ok());
  EXPECT_EQ(quotient.error().message, "division by zero: 1.00 / 0.00");
  EXPECT_FALSE(dec("1").div(dec("3"), 31, Rounding::kHalfUp).ok());
}

// ---- comparison ------------------------------------------------------------------------------

TEST(DecimalTest, ComparesByValueAcrossScales) {
  EXPECT_EQ(dec("1.5"), dec("1.50"));
  EXPECT_FALSE(dec("1.5").identical(dec("1.50")));
  EXPECT_EQ(dec("0"), dec("0.000"));
  EXPECT_LT(dec("-0.1"), dec("0.01"));
  EXPECT_LT(dec("-0.10"), dec("-0.01"));
  EXPECT_GT(dec("2"), dec("1.999999999999999999999999999999"));
  EXPECT_LT(dec("0.000000000000000000000000000001"), dec(kNines38));
  EXPECT_NE(dec("1.5"), dec("1.51"));
}

TEST(DecimalTest, ComparisonNeverOverflowsWhenAligningScales) {
  // Aligning the first to scale 1 needs 39 digits; the comparison must still be right.
  const Decimal big = dec("10000000000000000000000000000000000000");
  const Decimal fine = dec("9999999999999999999999999999999999999.9");
  EXPECT_GT(big, fine);
  EXPECT_LT(fine, big);
  EXPECT_LT(big.negated(), fine.negated());
  EXPECT_GT(fine.negated(), big.negated());
  EXPECT_GT(dec(kNines38), dec("0.999999999999999999999999999999"));
  EXPECT_LT(dec("-99999999999999999999999999999999999999"),
            dec("-0.000000000000000000000000000001"));
}

TEST(DecimalTest, ComparisonAgreesWithSubtraction) {
  std::mt19937_64 random(11);
  const std::vector<std::string> pool = {"0",     "0.00", "1",    "-1",  "1.5",  "1.50",
                                         "-0.1",  "0.01", "2.345", "-2.345", kNines38,
                                         "-99999999999999999999999999999999999999",
                                         "0.000000000000000000000000000001",
                                         "9999999999999999999999999999999999999.9"};
  for (int i = 0; i < 2000; ++i) {
    const Decimal a = dec(pool[random() % pool.size()]);
    const Decimal b = dec(pool[random() % pool.size()]);
    const Result<Decimal> difference = a.sub(b);
    if (!difference.ok()) continue;
    EXPECT_EQ((a <=> b) == 0, difference->sign() == 0) << a.to_string() << " " << b.to_string();
    EXPECT_EQ((a <=> b) < 0, difference->sign() < 0) << a.to_string() << " " << b.to_string();
  }
}

}  // namespace
}  // namespace closebook
