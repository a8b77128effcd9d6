#include "match/config.h"

#include <array>
#include <cassert>
#include <nlohmann/json.hpp>

namespace closebook::match {
namespace {

struct CategoryInfo {
  Category category;
  const char* name;
  CategoryPolicy policy;  // the default
};

// Defaults: leaks of revenue or margin block sign-off until worked; informational findings
// do not. Owners are team names a deployment renames in its config.
const std::array<CategoryInfo, 16>& categories() {
  using C = Category;
  using S = Severity;
  static const std::array<CategoryInfo, 16> kCategories = {{
      {C::UNBILLED_USAGE, "UNBILLED_USAGE", {"billing-ops", 3, S::HIGH, true}},
      {C::ORPHAN_BILLING, "ORPHAN_BILLING", {"billing-ops", 3, S::HIGH, true}},
      {C::QTY_MISMATCH, "QTY_MISMATCH", {"billing-ops", 5, S::MEDIUM, true}},
      {C::COST_RATE_MISMATCH, "COST_RATE_MISMATCH", {"vendor-management", 10, S::MEDIUM, false}},
      {C::FX_VARIANCE, "FX_VARIANCE", {"treasury", 10, S::LOW, false}},
      {C::DUPLICATE_CHARGE, "DUPLICATE_CHARGE", {"vendor-management", 5, S::HIGH, true}},
      {C::DUPLICATE_SUBSCRIPTION, "DUPLICATE_SUBSCRIPTION", {"billing-ops", 5, S::MEDIUM, false}},
      {C::TENANT_UNRESOLVED, "TENANT_UNRESOLVED", {"billing-ops", 2, S::HIGH, true}},
      {C::PARTNER_MISMATCH, "PARTNER_MISMATCH", {"partner-management", 5, S::HIGH, true}},
      {C::SKU_MISMATCH, "SKU_MISMATCH", {"billing-ops", 5, S::MEDIUM, true}},
      {C::NO_PRICING_RULE, "NO_PRICING_RULE", {"pricing", 3, S::HIGH, true}},
      {C::MARGIN_FLOOR_BREACH, "MARGIN_FLOOR_BREACH", {"pricing", 5, S::MEDIUM, false}},
      {C::CREDIT_NOT_PASSED_ON, "CREDIT_NOT_PASSED_ON", {"billing-ops", 5, S::HIGH, true}},
      {C::TIMING, "TIMING", {"billing-ops", 10, S::INFO, false}},
      {C::CREDIT_RECOVERY, "CREDIT_RECOVERY", {"finance", 10, S::HIGH, true}},
      {C::DISPUTE, "DISPUTE", {"partner-management", 10, S::MEDIUM, false}},
  }};
  return kCategories;
}

Result<Severity> parse_severity(std::string_view name) {
  static const std::pair<std::string_view, Severity> kNames[] = {
      {"info", Severity::INFO}, {"low", Severity::LOW}, {"medium", Severity::MEDIUM},
      {"high", Severity::HIGH}, {"critical", Severity::CRITICAL}};
  for (const auto& [n, s] : kNames) {
    if (n == name) return s;
  }
  return Error::invalid("severity \"" + std::string(name) + "\" is not info, low, medium, high or critical");
}

Status check_keys(const nlohmann::json& obj, const std::vector<std::string>& allowed, const std::string& where) {
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    bool known = false;
    for (const std::string& a : allowed) known = known || it.key() == a;
    if (!known) return Error::invalid("unknown setting \"" + it.key() + "\"").in_field(where);
  }
  return {};
}

Status apply_policy(const nlohmann::json& j, const std::string& where, CategoryPolicy& policy) {
  if (!j.is_object()) return Error::invalid("expected an object").in_field(where);
  CB_CHECK(check_keys(j, {"owner", "due_days", "severity", "blocking"}, where));
  if (j.contains("owner")) {
    if (!j["owner"].is_string() || j["owner"].get<std::string>().empty()) {
      return Error::invalid("owner must be a non-empty string").in_field(where + ".owner");
    }
    policy.owner = j["owner"].get<std::string>();
  }
  if (j.contains("due_days")) {
    const bool ok = j["due_days"].is_number_integer() && j["due_days"].get<int64_t>() >= 0 &&
                    j["due_days"].get<int64_t>() <= 366;
    if (!ok) return Error::invalid("due_days must be a whole number of days, 0 to 366").in_field(where + ".due_days");
    policy.due_days = static_cast<int>(j["due_days"].get<int64_t>());
  }
  if (j.contains("severity")) {
    if (!j["severity"].is_string()) return Error::invalid("severity must be a string").in_field(where + ".severity");
    auto s = parse_severity(j["severity"].get<std::string>());
    if (!s.ok()) return std::move(s).error().in_field(where + ".severity");
    policy.severity = *s;
  }
  if (j.contains("blocking")) {
    if (!j["blocking"].is_boolean()) return Error::invalid("blocking must be true or false").in_field(where + ".blocking");
    policy.blocking = j["blocking"].get<bool>();
  }
  return {};
}

constexpr std::pair<const char*, Cadence> kCadences[] = {
    {"daily", Cadence::DAILY}, {"weekly", Cadence::WEEKLY}, {"monthly", Cadence::MONTHLY}};
static_assert(std::size(kCadences) == static_cast<size_t>(Cadence::MONTHLY) + 1, "one name per cadence");

// A vendor name as feeds store it: lower-case ASCII.
std::string vendor_key(std::string name) {
  for (char& c : name) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return name;
}

Status apply_feeds(const nlohmann::json& feeds, std::map<std::string, Cadence>& cadences) {
  if (!feeds.is_object()) return Error::invalid("expected an object of vendors").in_field("feeds");
  for (auto it = feeds.begin(); it != feeds.end(); ++it) {
    const std::string where = "feeds." + it.key();
    if (it.key().empty() || it.key().size() > 64) return Error::invalid("a vendor name of 1 to 64 characters").in_field("feeds");
    if (!it.value().is_object()) return Error::invalid("expected an object").in_field(where);
    CB_CHECK(check_keys(it.value(), {"cadence"}, where));
    if (!it.value().contains("cadence")) continue;
    const auto& c = it.value()["cadence"];
    auto cadence = c.is_string() ? parse_cadence(c.get<std::string>()) : Result<Cadence>(Error::invalid("must be a string"));
    if (!cadence.ok()) return std::move(cadence).error().in_field(where + ".cadence");
    cadences[vendor_key(it.key())] = *cadence;
  }
  return {};
}

}  // namespace

const char* cadence_name(Cadence cadence) {
  for (const auto& [name, c] : kCadences) {
    if (c == cadence) return name;
  }
  return "daily";
}

Result<Cadence> parse_cadence(std::string_view name) {
  for (const auto& [n, c] : kCadences) {
    if (n == name) return c;
  }
  return Error::invalid("cadence \"" + std::string(name) + "\" is not daily, weekly or monthly");
}

Cadence CloseConfig::cadence(const std::string& vendor) const {
  auto it = cadences.find(vendor);
  return it == cadences.end() ? Cadence::DAILY : it->second;
}

const char* category_name(Category category) {
  for (const CategoryInfo& info : categories()) {
    if (info.category == category) return info.name;
  }
  return "UNKNOWN";
}

Result<Category> parse_category(std::string_view name) {
  for (const CategoryInfo& info : categories()) {
    if (name == info.name) return info.category;
  }
  return Error::invalid("\"" + std::string(name) + "\" is not an exception category (e.g. UNBILLED_USAGE)");
}

const CategoryPolicy& CloseConfig::policy(Category category) const {
  auto it = policies.find(category);
  assert(it != policies.end());
  return it->second;
}

CloseConfig CloseConfig::defaults() {
  CloseConfig config;
  for (const CategoryInfo& info : categories()) config.policies[info.category] = info.policy;
  // Backup vendors report one seat count per customer per month and bill that count.
  config.cadences = {{"datto", Cadence::MONTHLY}, {"dropsuite", Cadence::MONTHLY}};
  return config;
}

Result<std::string> parse_abn(std::string_view text) {
  std::string digits;
  for (char c : text) {
    if (c == ' ') continue;
    if (c < '0' || c > '9') return Error::invalid("an ABN is 11 digits");
    digits += c;
  }
  if (digits.size() != 11) return Error::invalid("an ABN is 11 digits");
  static constexpr int kWeights[11] = {10, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19};
  int sum = 0;
  for (size_t i = 0; i < 11; ++i) sum += ((digits[i] - '0') - (i == 0 ? 1 : 0)) * kWeights[i];
  if (sum % 89 != 0) return Error::invalid("\"" + std::string(text) + "\" is not a valid ABN (its check digits do not match)");
  return digits.substr(0, 2) + " " + digits.substr(2, 3) + " " + digits.substr(5, 3) + " " + digits.substr(8, 3);
}

namespace {

Status apply_seller(const nlohmann::json& j, Seller& seller) {
  if (!j.is_object()) return Error::invalid("expected an object").in_field("seller");
  CB_CHECK(check_keys(j, {"name", "abn", "address"}, "seller"));
  for (const char* key : {"name", "abn"}) {
    if (!j.contains(key) || !j[key].is_string() || j[key].get<std::string>().empty()) {
      return Error::invalid("must be a non-empty string").in_field(std::string("seller.") + key);
    }
  }
  if (j.contains("address") && !j["address"].is_string()) return Error::invalid("must be a string").in_field("seller.address");
  auto abn = parse_abn(j["abn"].get<std::string>());
  if (!abn.ok()) return std::move(abn).error().in_field("seller.abn");
  seller = Seller{j["name"].get<std::string>(), j.value("address", std::string()), *abn};
  return {};
}

}  // namespace

Result<CloseConfig> CloseConfig::parse(const std::string& file_name, std::string_view json) {
  auto located = [&](Error e) { return std::move(e).at(file_name, 0); };
  const nlohmann::json j = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return located(Error::invalid("not a JSON object"));
  CloseConfig config = defaults();
  if (auto st = check_keys(j, {"tolerance", "fx_tolerance_bps", "exceptions", "journal", "signoff_signatures", "feeds", "seller"}, ""); !st.ok()) return located(st.error());
  if (j.contains("seller")) {
    if (auto st = apply_seller(j["seller"], config.seller); !st.ok()) return located(st.error());
  }
  if (j.contains("feeds")) {
    if (auto st = apply_feeds(j["feeds"], config.cadences); !st.ok()) return located(st.error());
  }
  if (j.contains("tolerance")) {
    auto t = j["tolerance"].is_string() ? Decimal::parse(j["tolerance"].get<std::string>())
                                        : Result<Decimal>(Error::invalid("must be a decimal string such as \"0.01\""));
    if (!t.ok() || t->sign() < 0) return located(Error::invalid("tolerance must be a non-negative decimal string").in_field("tolerance"));
    config.tolerance = *t;
  }
  if (j.contains("fx_tolerance_bps")) {
    const bool ok = j["fx_tolerance_bps"].is_number_unsigned() && j["fx_tolerance_bps"].get<uint64_t>() <= 10'000;
    if (!ok) return located(Error::invalid("must be a whole number of basis points, 0 to 10000").in_field("fx_tolerance_bps"));
    config.fx_tolerance_bps = j["fx_tolerance_bps"].get<uint32_t>();
  }
  if (j.contains("exceptions")) {
    if (!j["exceptions"].is_object()) return located(Error::invalid("expected an object").in_field("exceptions"));
    for (auto it = j["exceptions"].begin(); it != j["exceptions"].end(); ++it) {
      auto category = parse_category(it.key());
      if (!category.ok()) return located(std::move(category).error().in_field("exceptions"));
      auto st = apply_policy(it.value(), "exceptions." + it.key(), config.policies[*category]);
      if (!st.ok()) return located(st.error());
    }
  }
  if (j.contains("signoff_signatures")) {
    const auto& n = j["signoff_signatures"];
    if (!n.is_number_unsigned() || n.get<uint64_t>() < 1 || n.get<uint64_t>() > 100) {
      return located(Error::invalid("must be a whole number from 1 to 100").in_field("signoff_signatures"));
    }
    config.signoff_signatures = n.get<uint32_t>();
  }
  if (j.contains("journal")) {
    if (auto st = apply_journal_config(j["journal"], config.journal); !st.ok()) return located(st.error());
  }
  return config;
}

}  // namespace closebook::match
