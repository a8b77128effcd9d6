// Exact decimals: parse, and every operation on two parsed values, never crash or overflow
// silently (each either gives a value or an error).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "evidence/decimal.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using closebook::Decimal;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const size_t split = text.find(' ');
  auto a = Decimal::parse(text.substr(0, split));
  if (!a.ok()) return 0;
  (void)Decimal::parse(a->to_string()).value();  // what it prints, it reads back
  if (split == std::string_view::npos) return 0;
  auto b = Decimal::parse(text.substr(split + 1));
  if (!b.ok()) return 0;
  (void)a->add(*b);
  (void)a->sub(*b);
  (void)a->mul(*b);
  for (auto mode : {closebook::Rounding::kHalfUp, closebook::Rounding::kHalfEven, closebook::Rounding::kDown}) {
    (void)a->div(*b, 6, mode);
    (void)a->round(2, mode);
  }
  (void)(*a < *b);
  return 0;
}
