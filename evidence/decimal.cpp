// Decimal arithmetic on a 128-bit mantissa; see decimal.h for the rounding rules.
//
// Every operation works on magnitudes (unsigned __int128) and signs separately, so the
// overflow check is one comparison: a magnitude is valid iff it is <= 10^38 - 1.
// Intermediates that could pass 2^128 are caught with __builtin_*_overflow; the one that
// must not fail (the exact product of two mantissas) uses a 256-bit Wide; division is long
// division one decimal digit at a time. No float or double is involved anywhere.
//
// Tested against Python's fractions on random operands at the digit and scale limits
// (tests/decimal_test.cpp keeps the vectors).
#include "evidence/decimal.h"

#include <algorithm>
#include <array>
#include <cassert>
#include <optional>
#include <utility>

namespace closebook {
namespace {

using i128 = __int128;
using u128 = unsigned __int128;

constexpr int kPow10Count = Decimal::kDigitsMax + 1;  // 10^0 .. 10^38

constexpr std::array<u128, kPow10Count> make_pow10() {
  std::array<u128, kPow10Count> table{};
  u128 value = 1;
  for (int i = 0; i < kPow10Count; ++i) {
    table[i] = value;
    value *= 10;
  }
  return table;
}
constexpr std::array<u128, kPow10Count> kPow10 = make_pow10();
constexpr u128 kMagnitudeMax = kPow10[Decimal::kDigitsMax] - 1;
static_assert(kMagnitudeMax < (u128(1) << 127), "a valid magnitude must fit a signed i128");

u128 magnitude(i128 value) {
  // |value| <= 10^38 - 1 by the class invariant, so negation cannot overflow.
  return value < 0 ? u128(-value) : u128(value);
}

bool scale_valid(int scale) { return scale >= 0 && scale <= Decimal::kScaleMax; }

// Builds a signed mantissa from a magnitude; nullopt if it exceeds 38 digits.
std::optional<i128> signed_mantissa(u128 value, bool negative) {
  if (value > kMagnitudeMax) return std::nullopt;
  const i128 result = negative ? -i128(value) : i128(value);
  assert((result < 0) == (negative && value != 0));
  return result;
}

// mantissa × 10^by; nullopt if the result exceeds 38 digits.
std::optional<i128> scale_up(i128 mantissa, int by) {
  assert(by >= 0);
  if (mantissa == 0) return i128(0);
  if (by > Decimal::kDigitsMax) return std::nullopt;
  u128 product = 0;
  if (__builtin_mul_overflow(magnitude(mantissa), kPow10[by], &product)) return std::nullopt;
  return signed_mantissa(product, mantissa < 0);
}

// Where a division's remainder lies relative to half the divisor.
enum class Remainder { kZero, kBelowHalf, kHalf, kAboveHalf };

Remainder classify_remainder(u128 remainder, u128 divisor) {
  assert(remainder < divisor);
  if (remainder == 0) return Remainder::kZero;
  const u128 rest = divisor - remainder;  // compares 2r with d without computing 2r
  if (remainder < rest) return Remainder::kBelowHalf;
  if (remainder == rest) return Remainder::kHalf;
  return Remainder::kAboveHalf;
}

// 10 × remainder = digit × divisor + new remainder, for remainder < divisor < 2^127.
// Ten additions instead of one multiply because 10 × remainder may not fit 128 bits; the
// running sum stays below 2 × divisor < 2^128.
unsigned next_quotient_digit(u128& remainder, u128 divisor) {
  assert(remainder < divisor);
  u128 sum = 0;
  unsigned digit = 0;
  for (int i = 0; i < 10; ++i) {
    sum += remainder;
    if (sum >= divisor) {
      sum -= divisor;
      digit += 1;
    }
  }
  remainder = sum;
  assert(digit <= 9 && remainder < divisor);
  return digit;
}

struct Quotient {
  u128 value = 0;  // truncated
  Remainder remainder = Remainder::kZero;
};

// numerator × 10^shift / divisor truncated, with where the remainder lies. shift is in
// -60..60 (scale differences of two decimals plus a target scale). nullopt if the truncated
// quotient exceeds 38 digits.
std::optional<Quotient> divide_shifted(u128 numerator, u128 divisor, int shift) {
  assert(divisor != 0 && divisor <= kMagnitudeMax && numerator <= kMagnitudeMax);
  assert(shift >= -2 * Decimal::kScaleMax && shift <= 2 * Decimal::kScaleMax);
  if (shift < 0) {
    u128 scaled_divisor = 0;
    const bool huge = -shift > Decimal::kDigitsMax ||
                      __builtin_mul_overflow(divisor, kPow10[-shift], &scaled_divisor);
    // A divisor beyond 2^128 exceeds twice any numerator (< 10^38): quotient 0, below half.
    if (huge) return Quotient{0, numerator == 0 ? Remainder::kZero : Remainder::kBelowHalf};
    return Quotient{numerator / scaled_divisor,
                    classify_remainder(numerator % scaled_divisor, scaled_divisor)};
  }
  u128 quotient = numerator / divisor;
  u128 remainder = numerator % divisor;
  for (int i = 0; i < shift; ++i) {  // long division, one decimal digit per step
    if (quotient > kMagnitudeMax / 10) return std::nullopt;
    quotient = quotient * 10 + next_quotient_digit(remainder, divisor);
  }
  if (quotient > kMagnitudeMax) return std::nullopt;
  return Quotient{quotient, classify_remainder(remainder, divisor)};
}

// Rounds a truncated quotient's magnitude. Working on magnitudes makes every mode symmetric
// about zero, which is what each rule in decimal.h means for negative amounts (credit notes).
u128 round_quotient(const Quotient& quotient, Rounding mode) {
  const bool above = quotient.remainder == Remainder::kAboveHalf;
  const bool half = quotient.remainder == Remainder::kHalf;
  switch (mode) {
    case Rounding::kDown:
      return quotient.value;
    case Rounding::kHalfUp:
      return quotient.value + ((above || half) ? 1 : 0);
    case Rounding::kHalfEven: {
      const bool odd = (quotient.value & 1) != 0;
      return quotient.value + ((above || (half && odd)) ? 1 : 0);
    }
  }
  assert(false && "unknown rounding mode");
  return quotient.value;
}

// A value before it is checked against the class invariants; scale may exceed kScaleMax.
struct Raw {
  i128 mantissa = 0;
  int scale = 0;
};

// magnitude × 10^by; nullopt past 2^128. Unlike scale_up this allows more than 38 digits:
// an aligned addend may exceed them and still cancel against the other one.
std::optional<u128> align_magnitude(u128 value, int by) {
  assert(by >= 0);
  if (value == 0) return u128(0);
  u128 aligned = 0;
  if (by > Decimal::kDigitsMax || __builtin_mul_overflow(value, kPow10[by], &aligned)) {
    return std::nullopt;
  }
  return aligned;
}

// Exact a + b (or a - b) at the larger scale; nullopt if the result exceeds 38 digits.
// Works in sign and magnitude: an addend that does not even fit 2^128 after alignment is
// more than 2.4 × 10^38 away from the other (< 10^38), so that sum cannot fit either.
std::optional<Raw> add_raw(const Decimal& a, const Decimal& b, bool subtract) {
  const int scale = std::max(a.scale(), b.scale());
  const std::optional<u128> x = align_magnitude(magnitude(a.mantissa()), scale - a.scale());
  const std::optional<u128> y = align_magnitude(magnitude(b.mantissa()), scale - b.scale());
  if (!x || !y) return std::nullopt;
  const bool x_negative = a.sign() < 0;
  const bool y_negative = (b.sign() < 0) != subtract;
  u128 result = 0;
  bool negative = x_negative;
  if (x_negative == y_negative) {
    if (__builtin_add_overflow(*x, *y, &result)) return std::nullopt;
  } else if (*x >= *y) {
    result = *x - *y;
  } else {
    result = *y - *x;
    negative = y_negative;
  }
  const std::optional<i128> mantissa = signed_mantissa(result, negative);
  if (!mantissa) return std::nullopt;
  return Raw{*mantissa, scale};
}

// A 256-bit magnitude as four 64-bit limbs, least significant first: room for the exact
// product of two 38-digit mantissas (< 10^76 < 2^253), so mul() can drop the product's
// trailing zeros before deciding whether it fits.
using Wide = std::array<uint64_t, 4>;

Wide multiply_wide(u128 a, u128 b) {
  const uint64_t x[2] = {static_cast<uint64_t>(a), static_cast<uint64_t>(a >> 64)};
  const uint64_t y[2] = {static_cast<uint64_t>(b), static_cast<uint64_t>(b >> 64)};
  Wide product{};
  for (int i = 0; i < 2; ++i) {
    u128 carry = 0;
    for (int j = 0; j < 2; ++j) {
      // 64 × 64 + 64 + 64 bits never exceeds 128 bits: (2^64-1)^2 + 2(2^64-1) = 2^128-1.
      const u128 cell = u128(x[i]) * y[j] + product[i + j] + carry;
      product[i + j] = static_cast<uint64_t>(cell);
      carry = cell >> 64;
    }
    product[i + 2] = static_cast<uint64_t>(carry);
  }
  return product;
}

// Divides by 10 in place; returns the remainder (the dropped decimal digit).
unsigned divide_wide_by_10(Wide& value) {
  u128 remainder = 0;
  for (int i = 3; i >= 0; --i) {
    const u128 part = (remainder << 64) | value[i];  // remainder < 10, so this fits
    value[i] = static_cast<uint64_t>(part / 10);
    remainder = part % 10;
  }
  return static_cast<unsigned>(remainder);
}

// The value as a magnitude if it is <= 10^38 - 1.
std::optional<u128> narrow_wide(const Wide& value) {
  if (value[2] != 0 || value[3] != 0) return std::nullopt;
  const u128 narrow = (u128(value[1]) << 64) | value[0];
  if (narrow > kMagnitudeMax) return std::nullopt;
  return narrow;
}

// Exact a × b. Scale starts at a.scale() + b.scale() (up to 60); trailing zeros are dropped
// only while the scale exceeds kScaleMax or the mantissa exceeds 38 digits. The caller
// checks the scale of what remains; nullopt if the mantissa still exceeds 38 digits.
std::optional<Raw> multiply_raw(const Decimal& a, const Decimal& b) {
  Wide product = multiply_wide(magnitude(a.mantissa()), magnitude(b.mantissa()));
  int scale = a.scale() + b.scale();
  std::optional<u128> narrow = narrow_wide(product);
  while (scale > 0 && (scale > Decimal::kScaleMax || !narrow)) {  // at most 60 steps
    Wide reduced = product;
    if (divide_wide_by_10(reduced) != 0) break;  // the next digit is not zero: keep it
    product = reduced;
    scale -= 1;
    narrow = narrow_wide(product);
  }
  if (!narrow) return std::nullopt;
  return Raw{*signed_mantissa(*narrow, a.sign() * b.sign() < 0), scale};
}

std::string u128_to_digits(u128 value) {
  char buffer[kPow10Count];  // a valid magnitude has at most 38 digits
  int length = 0;
  do {
    buffer[length++] = static_cast<char>('0' + static_cast<int>(value % 10));
    value /= 10;
  } while (value != 0 && length < kPow10Count);
  std::string out;
  out.reserve(static_cast<size_t>(length));
  for (int i = length - 1; i >= 0; --i) out.push_back(buffer[i]);
  return out;
}

// "overflow: 1 + 99999999999999999999999999999999999999 needs more than 38 ...": both
// operands, so the line that failed can be found from the message alone.
Error arithmetic_error(const char* kind, const Decimal& a, const char* op, const Decimal& b,
                       const std::string& why) {
  return Error::invalid(std::string(kind) + ": " + a.to_string() + " " + op + " " +
                        b.to_string() + " " + why);
}

Error scale_error(const char* what, int scale) {
  return Error::invalid(std::string(what) + " " + std::to_string(scale) + " is outside 0.." +
                        std::to_string(Decimal::kScaleMax));
}

std::string digits_exceeded() {
  return "needs more than " + std::to_string(Decimal::kDigitsMax) + " significant digits";
}

// ---- parsing -----------------------------------------------------------------------------

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_sign(char c) { return c == '-' || c == '+'; }
bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

// The text in double quotes, non-printable bytes as \xNN, cut at 40 bytes, so a message
// about fuzzed or binary input stays one readable line.
std::string quote(std::string_view text) {
  constexpr size_t kQuotedBytesMax = 40;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  const size_t shown = text.size() < kQuotedBytesMax ? text.size() : kQuotedBytesMax;
  for (size_t i = 0; i < shown; ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte >= 0x20 && byte < 0x7f && byte != '"' && byte != '\\') {
      out.push_back(static_cast<char>(byte));
    } else {
      out += "\\x";
      out.push_back(kHex[byte >> 4]);
      out.push_back(kHex[byte & 0xf]);
    }
  }
  if (shown < text.size()) out += "...";
  return out + "\"";
}

Error not_a_decimal(std::string_view text, const std::string& hint) {
  return Error::invalid(quote(text) + " is not a decimal (" + hint + ")");
}

struct DecimalText {
  bool negative = false;
  std::string_view whole;     // digits before '.', never empty
  std::string_view fraction;  // digits after '.', empty if there is no '.'
};

size_t count_digits(std::string_view text, size_t from) {
  size_t end = from;
  while (end < text.size() && is_digit(text[end])) ++end;
  return end - from;
}

// Grammar: [+-]? digit+ ('.' digit+)? and nothing else; parse() then refuses what is not
// canonical (a '+', leading zeros, a negative zero) with its own message.
std::optional<DecimalText> split_decimal(std::string_view text) {
  DecimalText parts;
  size_t pos = 0;
  if (!text.empty() && is_sign(text[0])) {
    parts.negative = text[0] == '-';
    pos = 1;
  }
  const size_t whole_digits = count_digits(text, pos);
  if (whole_digits == 0) return std::nullopt;
  parts.whole = text.substr(pos, whole_digits);
  pos += whole_digits;
  if (pos == text.size()) return parts;
  if (text[pos] != '.') return std::nullopt;
  const size_t fraction_digits = count_digits(text, pos + 1);
  if (fraction_digits == 0 || pos + 1 + fraction_digits != text.size()) return std::nullopt;
  parts.fraction = text.substr(pos + 1, fraction_digits);
  return parts;
}

bool has_space(std::string_view text) {
  for (size_t i = 0; i < text.size(); ++i) {
    if (is_space(text[i])) return true;
    const bool no_break_space = text.substr(i, 2) == "\xc2\xa0";  // UTF-8 U+00A0
    if (no_break_space) return true;
  }
  return false;
}

// "1.23E+05", "-4e-3": a mantissa and an exponent, as Excel writes large or small numbers.
bool looks_like_exponent(std::string_view text) {
  const size_t e = text.find_first_of("eE");
  if (e == std::string_view::npos || e == 0) return false;
  const std::string_view base = text.substr(0, e);
  std::string_view exponent = text.substr(e + 1);
  if (!exponent.empty() && is_sign(exponent[0])) exponent.remove_prefix(1);
  const bool base_ok = base.find_first_not_of("+-.0123456789") == std::string_view::npos;
  const bool exponent_ok = !exponent.empty() && count_digits(exponent, 0) == exponent.size();
  return base_ok && exponent_ok;
}

// "1,234" "12,345,678.9": digit groups of three after a leading group of one to three.
bool thousands_grouped(std::string_view text) {
  if (!text.empty() && is_sign(text[0])) text.remove_prefix(1);
  const size_t point = text.find('.');
  const std::string_view whole = text.substr(0, point);
  const size_t first = whole.find(',');
  if (first == std::string_view::npos || first == 0 || first > 3) return false;
  if (count_digits(whole, 0) != first) return false;
  for (size_t pos = first; pos < whole.size(); pos += 4) {
    const bool group_ok = whole[pos] == ',' && count_digits(whole, pos + 1) == 3;
    if (!group_ok) return false;
  }
  if (point == std::string_view::npos) return true;
  return point + 1 + count_digits(text, point + 1) == text.size();
}

std::string comma_hint(std::string_view text) {
  const size_t last_comma = text.rfind(',');
  const size_t point = text.find('.');
  const bool single_comma = text.find(',') == last_comma;
  const bool comma_after_point = point != std::string_view::npos && last_comma > point;
  if (comma_after_point) {
    return "use '.' as the decimal separator and remove the thousands separators";
  }
  const bool ambiguous = single_comma && point == std::string_view::npos;
  if (thousands_grouped(text) && ambiguous) {
    return "remove the thousands separator, or if ',' is the decimal separator use '.'";
  }
  if (ambiguous) return "use '.' as the decimal separator";
  return "remove the thousands separators";
}

// Explains why text does not match the grammar, most specific mistake first.
Error diagnose(std::string_view text) {
  if (has_space(text)) return not_a_decimal(text, "remove the whitespace");
  if (looks_like_exponent(text)) {
    return not_a_decimal(text, "Excel exponent notation is not accepted; export the column "
                               "as a number with all its digits");
  }
  if (text.find(',') != std::string_view::npos) return not_a_decimal(text, comma_hint(text));
  const std::string_view unsigned_text = is_sign(text[0]) ? text.substr(1) : text;
  if (unsigned_text.empty()) return not_a_decimal(text, "expected digits after the sign");
  if (unsigned_text[0] == '.') {
    return not_a_decimal(text, "expected a digit before '.', e.g. 0.5 rather than .5");
  }
  if (text.back() == '.') {
    return not_a_decimal(text, "expected digits after '.', e.g. 5 or 5.0 rather than 5.");
  }
  if (text.front() == '(' && text.back() == ')') {
    return not_a_decimal(text, "write negatives with a leading '-', not in parentheses");
  }
  const size_t points = static_cast<size_t>(std::count(text.begin(), text.end(), '.'));
  if (points > 1) return not_a_decimal(text, "expected at most one '.'");
  const size_t bad = text.find_first_not_of("+-.0123456789");
  if (bad == std::string_view::npos) {
    return not_a_decimal(text, "expected a sign only at the start, e.g. -12.50");
  }
  return not_a_decimal(text, "expected digits with an optional leading '-' and one '.', "
                             "e.g. -12.50; found " + quote(text.substr(bad, 1)) +
                                 " at byte " + std::to_string(bad + 1));
}

// The canonical text of a value written as `parts` (docs/ledger.md §5, what to_string()
// prints): no '+', no leading zero before the integer digits except a lone "0", and no sign
// on zero.
std::string canonical_text(const DecimalText& parts) {
  const size_t first = parts.whole.find_first_not_of('0');
  const bool zero = first == std::string_view::npos &&
                    parts.fraction.find_first_not_of('0') == std::string_view::npos;
  std::string out = parts.negative && !zero ? "-" : "";
  out += first == std::string_view::npos ? std::string("0") : std::string(parts.whole.substr(first));
  if (!parts.fraction.empty()) out += "." + std::string(parts.fraction);
  return out;
}

// Text that matches the grammar but is not canonical: "+1", "007", "00.5", "-0", "-0.00".
// Stored decimals are evidence, so one value has one text (covered by DecimalTest.
// RefusesALeadingPlus, RefusesLeadingZeros, RefusesNegativeZero).
std::optional<Error> non_canonical(std::string_view text, const DecimalText& parts) {
  const std::string expected = canonical_text(parts);
  if (expected == text) return std::nullopt;
  const std::string want = "; expected " + quote(expected);
  if (text[0] == '+') {
    return not_a_decimal(text, "found a leading '+': a positive number is written without a sign" + want);
  }
  if (parts.negative && expected[0] != '-') {
    return not_a_decimal(text, "found a negative zero: zero is written without a sign" + want);
  }
  return not_a_decimal(text, "found a leading zero: the integer part is a lone 0 or starts with 1-9" +
                                 want);
}

// Significant digits of whole followed by fraction: leading zeros do not count.
size_t significant_digits(std::string_view whole, std::string_view fraction) {
  const size_t whole_start = whole.find_first_not_of('0');
  if (whole_start != std::string_view::npos) return whole.size() - whole_start + fraction.size();
  const size_t fraction_start = fraction.find_first_not_of('0');
  return fraction_start == std::string_view::npos ? 0 : fraction.size() - fraction_start;
}

// Accumulates digits into a magnitude; the caller has checked there are <= 38 significant.
u128 accumulate_digits(u128 value, std::string_view digits) {
  for (const char c : digits) {
    assert(is_digit(c) && value <= kMagnitudeMax / 10);
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  return value;
}

}  // namespace

const char* rounding_name(Rounding mode) {
  switch (mode) {
    case Rounding::kDown: return "down";
    case Rounding::kHalfUp: return "half-up";
    case Rounding::kHalfEven: return "half-even";
  }
  return "unknown";
}

Decimal::Decimal(__int128 mantissa, int scale) : mantissa_(mantissa), scale_(scale) {
  assert(scale_valid(scale));
  assert(magnitude(mantissa) <= kMagnitudeMax);
}

Result<Decimal> Decimal::parse(std::string_view text) {
  if (text.empty()) {
    return Error::invalid("empty text is not a decimal (expected digits, e.g. 12.50)");
  }
  if (text.size() > kTextBytesMax) {
    return not_a_decimal(text, std::to_string(text.size()) + " bytes; at most " +
                                   std::to_string(kTextBytesMax) + " are accepted");
  }
  const std::optional<DecimalText> parts = split_decimal(text);
  if (!parts) return diagnose(text);
  if (std::optional<Error> error = non_canonical(text, *parts)) return std::move(*error);
  if (parts->fraction.size() > static_cast<size_t>(kScaleMax)) {
    return not_a_decimal(text, std::to_string(parts->fraction.size()) +
                                   " fractional digits; at most " +
                                   std::to_string(kScaleMax) + " are supported");
  }
  const size_t significant = significant_digits(parts->whole, parts->fraction);
  if (significant > static_cast<size_t>(kDigitsMax)) {
    return not_a_decimal(text, std::to_string(significant) + " significant digits; at most " +
                                   std::to_string(kDigitsMax) + " are supported");
  }
  const u128 value = accumulate_digits(accumulate_digits(0, parts->whole), parts->fraction);
  const std::optional<i128> mantissa = signed_mantissa(value, parts->negative);
  assert(mantissa.has_value());
  return Decimal(*mantissa, static_cast<int>(parts->fraction.size()));
}

Result<Decimal> Decimal::from_parts(__int128 mantissa, int scale) {
  if (!scale_valid(scale)) return scale_error("scale", scale);
  const bool negative = mantissa < 0;
  const u128 value = negative ? u128(0) - u128(mantissa) : u128(mantissa);
  if (value > kMagnitudeMax) {
    return Error::invalid("mantissa has more than " + std::to_string(kDigitsMax) + " digits");
  }
  return Decimal(mantissa, scale);
}

Decimal Decimal::from_int(int64_t value) { return Decimal(i128(value), 0); }

Decimal Decimal::zero(int scale) {
  assert(scale_valid(scale));
  return Decimal(0, scale);
}

int Decimal::digits() const {
  const u128 value = magnitude(mantissa_);
  int count = 0;
  while (count < kPow10Count && kPow10[count] <= value) ++count;
  assert(count <= kDigitsMax);
  return count;
}

Decimal Decimal::normalized() const {
  i128 mantissa = mantissa_;
  int scale = scale_;
  while (scale > 0 && mantissa % 10 == 0) {  // at most kScaleMax steps
    mantissa /= 10;
    scale -= 1;
  }
  const Decimal result(mantissa, scale);
  assert(result == *this);
  return result;
}

std::string Decimal::to_string() const {
  std::string digits_text = u128_to_digits(magnitude(mantissa_));
  const auto scale = static_cast<size_t>(scale_);
  if (digits_text.size() <= scale) digits_text.insert(0, scale + 1 - digits_text.size(), '0');
  if (scale > 0) digits_text.insert(digits_text.size() - scale, 1, '.');
  // Zero has no sign: "-0.00" would not be what parse() reads back bit-for-bit.
  if (mantissa_ < 0) digits_text.insert(0, 1, '-');
  assert(digits_text.size() <= kTextBytesMax);
  return digits_text;
}

Result<Decimal> Decimal::add(const Decimal& other) const {
  const std::optional<Raw> sum = add_raw(*this, other, /*subtract=*/false);
  if (!sum) return arithmetic_error("overflow", *this, "+", other, digits_exceeded());
  return Decimal(sum->mantissa, sum->scale);
}

Result<Decimal> Decimal::sub(const Decimal& other) const {
  const std::optional<Raw> difference = add_raw(*this, other, /*subtract=*/true);
  if (!difference) return arithmetic_error("overflow", *this, "-", other, digits_exceeded());
  return Decimal(difference->mantissa, difference->scale);
}

Result<Decimal> Decimal::mul(const Decimal& other) const {
  const std::optional<Raw> product = multiply_raw(*this, other);
  if (!product) return arithmetic_error("overflow", *this, "*", other, digits_exceeded());
  if (product->scale > kScaleMax) {
    return arithmetic_error("precision", *this, "*", other,
                            "needs " + std::to_string(product->scale) +
                                " fractional digits; at most " + std::to_string(kScaleMax) +
                                " are supported");
  }
  const Decimal result(product->mantissa, product->scale);
  assert(result.sign() == sign() * other.sign());
  return result;
}

Result<Decimal> Decimal::div(const Decimal& divisor, int result_scale, Rounding mode) const {
  if (!scale_valid(result_scale)) return scale_error("result scale", result_scale);
  if (divisor.is_zero()) {
    return Error::invalid("division by zero: " + to_string() + " / " + divisor.to_string());
  }
  // (a × 10^-sa) / (b × 10^-sb) × 10^rs = a × 10^(rs + sb - sa) / b
  const int shift = result_scale + divisor.scale_ - scale_;
  const std::optional<Quotient> quotient =
      divide_shifted(magnitude(mantissa_), magnitude(divisor.mantissa_), shift);
  const bool negative = (sign() < 0) != (divisor.sign() < 0);
  std::optional<i128> mantissa;
  if (quotient) mantissa = signed_mantissa(round_quotient(*quotient, mode), negative);
  if (!mantissa) {
    return arithmetic_error("overflow", *this, "/", divisor,
                            "at scale " + std::to_string(result_scale) + " " + digits_exceeded());
  }
  return Decimal(*mantissa, result_scale);
}

Result<Decimal> Decimal::round(int target_scale, Rounding mode) const {
  if (!scale_valid(target_scale)) return scale_error("rounding scale", target_scale);
  if (target_scale >= scale_) return rescale(target_scale);
  const std::optional<Quotient> quotient =
      divide_shifted(magnitude(mantissa_), 1, target_scale - scale_);
  assert(quotient.has_value());  // dropping digits only makes the magnitude smaller
  const std::optional<i128> mantissa =
      signed_mantissa(round_quotient(*quotient, mode), mantissa_ < 0);
  assert(mantissa.has_value());  // rounded <= 10^37: at least one digit was dropped
  return Decimal(*mantissa, target_scale);
}

Result<Decimal> Decimal::rescale(int target_scale) const {
  if (!scale_valid(target_scale)) return scale_error("scale", target_scale);
  if (target_scale < scale_) {
    const u128 divisor = kPow10[scale_ - target_scale];
    if (magnitude(mantissa_) % divisor != 0) {
      return Error::invalid("precision: " + to_string() + " cannot be written with " +
                            std::to_string(target_scale) +
                            " fractional digits without rounding");
    }
    return Decimal(mantissa_ / i128(divisor), target_scale);
  }
  const std::optional<i128> mantissa = scale_up(mantissa_, target_scale - scale_);
  if (!mantissa) {
    return Error::invalid("overflow: " + to_string() + " at scale " +
                          std::to_string(target_scale) + " " + digits_exceeded());
  }
  return Decimal(*mantissa, target_scale);
}

bool operator==(const Decimal& a, const Decimal& b) { return (a <=> b) == 0; }

std::strong_ordering operator<=>(const Decimal& a, const Decimal& b) {
  if (a.sign() != b.sign()) return a.sign() <=> b.sign();
  if (a.scale_ == b.scale_) return a.mantissa_ <=> b.mantissa_;
  // Align the smaller scale up. If that exceeds 38 digits, its magnitude is >= 10^38, larger
  // than any valid mantissa, so the sign alone decides (both signs are equal here).
  const bool a_finer = a.scale_ > b.scale_;
  const Decimal& coarse = a_finer ? b : a;
  const Decimal& fine = a_finer ? a : b;
  const std::optional<i128> aligned = scale_up(coarse.mantissa_, fine.scale_ - coarse.scale_);
  std::strong_ordering coarse_vs_fine = std::strong_ordering::equal;
  if (aligned) {
    coarse_vs_fine = *aligned <=> fine.mantissa_;
  } else {
    coarse_vs_fine = coarse.sign() > 0 ? std::strong_ordering::greater : std::strong_ordering::less;
  }
  return a_finer ? 0 <=> coarse_vs_fine : coarse_vs_fine;
}

}  // namespace closebook
