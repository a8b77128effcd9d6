// What every rule reads the same way (verify/rules.cpp, verify/match_rules.cpp): an entry's
// text, its decimals, and its dates and periods as R8 has them written. A failure names its rule.
#pragma once

#include <optional>
#include <string>

#include "evidence/date.h"
#include "evidence/decimal.h"
#include "evidence/entry.h"
#include "evidence/result.h"

namespace closebook::verify {

inline Error broke(const char* rule, const std::string& what) { return Error::corruption(std::string(rule) + ": " + what); }

inline std::string text(capnp::Text::Reader t) { return std::string(t.cStr(), t.size()); }

inline std::string lower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

inline Result<Decimal> dec(const char* rule, capnp::Text::Reader t, const std::string& what) {
  auto d = Decimal::parse(text(t));
  if (!d.ok()) return broke(rule, what + " \"" + text(t) + "\" is not a decimal");
  return d;
}

// R8: a date the rules read is written YYYY-MM-DD, nothing else; a period YYYY-MM.
inline Result<Date> iso_date(capnp::Text::Reader t, const std::string& what) {
  auto d = Date::parse(text(t));
  if (!d.ok() || d->to_iso() != text(t)) return broke("R8", what + " \"" + text(t) + "\" is not a date written YYYY-MM-DD");
  return *d;
}
inline Result<std::optional<Date>> optional_iso_date(capnp::Text::Reader t, const std::string& what) {
  if (t.size() == 0) return std::optional<Date>();
  CB_TRY(Date d, iso_date(t, what));
  return std::optional<Date>(d);
}
inline Result<Period> iso_period(capnp::Text::Reader t, const std::string& what) {
  auto p = Period::parse(text(t));
  if (!p.ok()) return broke("R8", what + " \"" + text(t) + "\" is not a period written YYYY-MM");
  return *p;
}

// A rule version as the precedence of docs/matching.md §3 sees it.
struct RuleSeen {
  uint64_t index;
  std::string rule_id, partner;
  uint32_t version;
  Date from;
  std::optional<Date> to;
  std::string pattern, meter_category;  // a rule of many SKUs (docs/matching.md §3.1)
  bool cost_from_vendor = false;
};

// docs/matching.md §3 and §3.1: a rule naming the SKU beats a pattern; a partner's own rule
// beats "*"; a pattern for a meter category beats one for any; then the later start; then the
// higher version; then the lower rule id.
inline bool outranks(const RuleSeen& a, const RuleSeen& b) {
  if (a.pattern.empty() != b.pattern.empty()) return a.pattern.empty();
  const bool a_own = a.partner != "*", b_own = b.partner != "*";
  if (a_own != b_own) return a_own;
  if (a.meter_category.empty() != b.meter_category.empty()) return !a.meter_category.empty();
  if (a.from != b.from) return b.from < a.from;
  if (a.version != b.version) return a.version > b.version;
  return a.rule_id < b.rule_id;
}

// docs/matching.md §3.1: "*" in a SKU pattern stands for any run of characters, none too;
// every other character stands for itself. (Matched by recursion on each "*": patterns are a
// rule's few characters.)
inline bool pattern_matches(std::string_view pattern, std::string_view sku) {
  const size_t star = pattern.find('*');
  if (star == std::string_view::npos) return pattern == sku;
  if (sku.substr(0, star) != pattern.substr(0, star)) return false;
  const std::string_view rest = pattern.substr(star + 1);
  for (size_t at = star; at <= sku.size(); ++at) {
    if (pattern_matches(rest, sku.substr(at))) return true;
  }
  return false;
}

// The version is in effect on `day` for `partner`: its own rule or "*", from..to inclusive.
inline bool in_effect_for(const RuleSeen& r, const std::string& partner, const Date& day) {
  return (r.partner == "*" || r.partner == partner) && r.from <= day && (!r.to || day <= *r.to);
}

// A pattern version (docs/matching.md §3.1) may price `sku` of usage of `category` (empty for
// a vendor invoice line, which names none): its pattern matches, for that category or any.
inline bool pattern_prices(const RuleSeen& r, std::string_view sku, const std::string& category) {
  return pattern_matches(r.pattern, sku) && (r.meter_category.empty() || r.meter_category == category);
}

// A RuleVersion as the precedence sees it.
inline RuleSeen rule_seen(uint64_t index, schema::RuleVersion::Reader r, const Date& from, const std::optional<Date>& to) {
  return {index, text(r.getRuleId()), text(r.getPartnerId()), r.getVersion(), from, to,
          text(r.getSkuPattern()), text(r.getMeterCategory()), r.getCostFromVendor()};
}

// A leg gives `quantity` × `unit` = `amount` (an empty want: the leg gives nothing there).
inline Status leg_is(const char* rule, const std::string& where, schema::Leg::Reader leg, const char* name,
                     const std::string& quantity, const std::string& unit, const Decimal& amount) {
  auto same = [](capnp::Text::Reader t, const std::string& want) {
    if (want.empty() || t.size() == 0) return t.size() == 0 && want.empty();
    auto d = Decimal::parse(text(t));
    return d.ok() && *d == Decimal::parse(want).value();
  };
  auto a = Decimal::parse(text(leg.getAmount()));
  if (!same(leg.getQuantity(), quantity) || !same(leg.getUnitPrice(), unit) || !a.ok() || !(*a == amount)) {
    return broke(rule, where + ": its " + name + " leg is not " + (quantity.empty() ? "" : quantity + " × ") +
                           (unit.empty() ? "" : unit + " = ") + amount.to_string());
  }
  return {};
}

}  // namespace closebook::verify
