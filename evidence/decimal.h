// Exact decimal numbers for money, prices, quantities and exchange rates.
//
// A Decimal is mantissa × 10^-scale with a signed 128-bit mantissa, 0 <= scale <= 30 and at
// most 38 significant digits (|mantissa| <= 10^38 - 1, which always fits in __int128, so
// negation never overflows). No float or double is used anywhere: a binary float cannot hold
// 0.1, and a ledger must reproduce an invoice to the cent.
//
// Rounding rules, stated once for the whole product (docs/conventions.md §6):
// - Sums are exact. add() and sub() never round: the result has the larger scale of the
//   operands, and a result that does not fit 38 digits is an error, never a truncation.
// - Products are exact. mul() adds the scales; only if that exceeds 30 are trailing zeros of
//   the product dropped, and if the value still needs more than 30 fractional digits it is an
//   error. So a line amount is always the exact product of its inputs.
// - Rounding happens only where a rule says it does, by an explicit round() or div() call
//   that names the target scale and one of the modes below, each matching a rule we must
//   reproduce exactly:
//     kDown      toward zero. Excel ROUNDDOWN; Microsoft new-commerce (NCE) line amounts are
//                ROUNDDOWN(EffectiveUnitPrice × PCToBCExchangeRate, 2) × BillableQuantity.
//     kHalfUp    to nearest, halves away from zero. Australian GST: "rounded to the nearest
//                cent (rounding 0.5 cents upwards)", A New Tax System (Goods and Services
//                Tax) Act 1999 s 9-90; ATO ruling GSTR 2001/6. Negative halves (credit
//                notes) mirror positive ones: -0.005 -> -0.01.
//     kHalfEven  to nearest, halves to the even neighbour (banker's rounding). Unbiased over
//                many lines, so it is our default for per-line conversions no rule dictates.
// - Comparison is by value: 1.5 == 1.50. Use identical() for bit-for-bit equality (the
//   scale is part of what is printed, and so of what is hashed into evidence).
//
// Text form (parse/to_string) is plain notation, '.' as decimal separator, a leading '-'
// for negatives, exactly `scale` fractional digits, no exponent and no locale, so
// parse(x.to_string()) is identical() to x, and parse() accepts only that text: parse(t)
// succeeds iff parse(t)->to_string() == t. parse() is strict and safe on any bytes (it is
// fuzzed); its errors say what was expected and what was found.
//
// Thread-safety: Decimal is an immutable value; use from any thread.
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "evidence/result.h"

namespace closebook {

enum class Rounding : uint8_t {
  kDown,      // toward zero (truncate): 2.349 -> 2.34, -2.349 -> -2.34
  kHalfUp,    // nearest, halves away from zero: 2.345 -> 2.35, -2.345 -> -2.35
  kHalfEven,  // nearest, halves to even: 2.345 -> 2.34, 2.355 -> 2.36, -2.345 -> -2.34
};

// Returns "down", "half-up" or "half-even".
const char* rounding_name(Rounding mode);

class Decimal {
 public:
  static constexpr int kScaleMax = 30;   // fractional digits
  static constexpr int kDigitsMax = 38;  // significant digits; 10^38 - 1 < 2^127
  // Longest text parse() reads. 38 digits, a sign, a '.' and the zeros after it fit; longer
  // text is not a number anyone exported, and the bound keeps the parser's work constant.
  static constexpr size_t kTextBytesMax = 64;

  Decimal() = default;  // 0 at scale 0

  // Parses the canonical text of docs/ledger.md §5: "-12.50", "3", "0.05183999999999999996".
  // Keeps the scale as written ("1.50" has scale 2). Rejects, with Error::invalid, anything
  // else: empty text, whitespace, ".5", "5.", a leading '+' ("+3"), leading zeros ("007",
  // "00.5"; "0.5" is fine), a negative zero ("-0", "-0.00"), thousands separators, a comma
  // decimal separator, exponents, > 30 fractional digits, > 38 significant digits. So every
  // value has exactly one text, the one to_string() prints.
  static Result<Decimal> parse(std::string_view text);
  // Rebuilds a stored value; Error::invalid if scale or digit limits are broken.
  static Result<Decimal> from_parts(__int128 mantissa, int scale);
  static Decimal from_int(int64_t value);
  // Requires 0 <= scale <= kScaleMax.
  static Decimal zero(int scale = 0);

  __int128 mantissa() const { return mantissa_; }
  int scale() const { return scale_; }
  int sign() const { return (mantissa_ > 0) - (mantissa_ < 0); }
  bool is_zero() const { return mantissa_ == 0; }
  // Significant digits of the mantissa; 0 for zero.
  int digits() const;
  Decimal negated() const { return Decimal(-mantissa_, scale_); }
  Decimal abs() const { return mantissa_ < 0 ? negated() : *this; }
  // The same value at the smallest scale (trailing fractional zeros dropped): 1.500 -> 1.5.
  Decimal normalized() const;
  // Bit-for-bit equality: same mantissa and same scale (1.5 is not identical to 1.50).
  bool identical(const Decimal& other) const {
    return mantissa_ == other.mantissa_ && scale_ == other.scale_;
  }

  std::string to_string() const;

  // Exact; result scale is max(scale(), other.scale()). Error::invalid on overflow.
  Result<Decimal> add(const Decimal& other) const;
  Result<Decimal> sub(const Decimal& other) const;
  // Exact; result scale is scale() + other.scale(), reduced (by dropping trailing zeros) only
  // as far as needed to fit kScaleMax or 38 digits. Error::invalid if it cannot be exact.
  Result<Decimal> mul(const Decimal& other) const;
  // this / divisor rounded to result_scale by `mode`. Error::invalid on division by zero,
  // result_scale outside 0..kScaleMax, or a quotient beyond 38 digits.
  Result<Decimal> div(const Decimal& divisor, int result_scale, Rounding mode) const;
  // Rounds to target_scale by `mode`; if target_scale >= scale() it only adds zeros (exact),
  // erroring if that overflows. Error::invalid if target_scale is outside 0..kScaleMax.
  Result<Decimal> round(int target_scale, Rounding mode) const;
  // Exact change of scale only: Error::invalid if it would drop a non-zero digit or overflow.
  Result<Decimal> rescale(int target_scale) const;

  // By value, across scales: 1.5 == 1.50 and -0.1 < 0.01. Never overflows.
  friend bool operator==(const Decimal& a, const Decimal& b);
  friend std::strong_ordering operator<=>(const Decimal& a, const Decimal& b);

 private:
  // Requires the invariants: 0 <= scale <= kScaleMax, |mantissa| <= 10^38 - 1.
  Decimal(__int128 mantissa, int scale);

  __int128 mantissa_ = 0;
  int32_t scale_ = 0;
};

}  // namespace closebook
