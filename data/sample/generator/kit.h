// What both generators (generator.cpp, shapes.cpp) write with: exact-decimal shorthands that
// abort on overflow (generated values are small and known), splitmix64 for the same sequence on
// every platform, and an RFC 4180 CSV writer.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "evidence/decimal.h"

namespace closebook::sample::kit {

using closebook::Decimal;
using closebook::Rounding;

inline Decimal dec(const std::string& text) { return Decimal::parse(text).value(); }
inline Decimal num(int64_t n) { return Decimal::from_int(n); }
inline Decimal add(const Decimal& a, const Decimal& b) { return a.add(b).value(); }
inline Decimal minus(const Decimal& a, const Decimal& b) { return a.sub(b).value(); }
inline Decimal mul(const Decimal& a, const Decimal& b) { return a.mul(b).value(); }
inline Decimal round_to(const Decimal& a, int scale, Rounding mode) { return a.round(scale, mode).value(); }
inline Decimal cents_down(const Decimal& a) { return round_to(a, 2, Rounding::kDown); }
inline Decimal cents_half_up(const Decimal& a) { return round_to(a, 2, Rounding::kHalfUp); }
inline Decimal cents_half_even(const Decimal& a) { return round_to(a, 2, Rounding::kHalfEven); }
inline Decimal divide(const Decimal& a, const Decimal& b, int scale, Rounding mode) { return a.div(b, scale, mode).value(); }

// splitmix64: tiny, and the same sequence on every platform (std distributions are not).
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  int64_t in(int64_t lo, int64_t hi) { return lo + static_cast<int64_t>(next() % static_cast<uint64_t>(hi - lo + 1)); }
  bool one_in(int n) { return next() % static_cast<uint64_t>(n) == 0; }
  std::string hex(int digits) {
    static const char* kHex = "0123456789abcdef";
    std::string s;
    for (int i = 0; i < digits; ++i) s.push_back(kHex[next() % 16]);
    return s;
  }
  std::string guid() { return hex(8) + "-" + hex(4) + "-4" + hex(3) + "-a" + hex(3) + "-" + hex(12); }

 private:
  uint64_t state_;
};

// RFC 4180: quote a field only when it needs it.
inline std::string cell(const std::string& v) {
  if (v.find_first_of(",\"\r\n") == std::string::npos) return v;
  std::string out = "\"";
  for (char c : v) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  return out + "\"";
}

class Csv {
 public:
  explicit Csv(const std::vector<std::string>& header) { row(header); }
  void row(const std::vector<std::string>& fields) {
    for (size_t i = 0; i < fields.size(); ++i) text_ += (i ? "," : "") + cell(fields[i]);
    text_ += "\n";
  }
  const std::string& text() const { return text_; }

 private:
  std::string text_;
};

}  // namespace closebook::sample::kit
