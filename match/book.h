// The price book as the ledger holds it: partners, rule versions and FX rates, read once per
// run, with the lookups pricing and the three-way match share (docs/matching.md §3).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "evidence/date.h"
#include "evidence/decimal.h"
#include "ledger/ledger.h"
#include "match/findings.h"

namespace closebook::match {

using SellMethod = schema::RuleVersion::SellMethod;

struct RuleInfo {
  Ref ref;
  std::string rule_id;
  uint32_t version = 0;
  std::string partner;   // "*" = every partner
  std::string from, to;  // ISO, inclusive; `to` empty = open
  std::string pattern;         // a SKU pattern ("*" any run), for a rule of many SKUs; empty: one SKU
  std::string meter_category;  // a pattern rule for usage of this meter category only
  bool cost_from_vendor = false;  // cost-plus on each usage record's own price: `cost` is unused
  Decimal cost;
  std::string cost_currency;
  SellMethod method = SellMethod::FIXED;
  Decimal sell_value;
  std::string sell_currency;
  std::optional<Decimal> floor_pct;
};

// Whether `sku` matches `pattern`, where "*" stands for any run of characters (none too).
bool sku_matches(std::string_view pattern, std::string_view sku);

struct PartnerInfo {
  std::string name, country;
  std::string currency;
  std::string reseller_mpn_id;
  std::optional<Decimal> floor_pct;
};

struct FxInfo {
  Ref ref;
  std::string date, source, base, quote;
  Decimal rate;
};

// How a period's FX rate is chosen; recorded in every FxLock.
inline constexpr const char* kFxPolicy = "latest rate dated on or before the period's first day; ties by source name";

// Entries of `kind` filed under index (name, value), in ledger order.
Result<std::vector<DecodedEntry>> entries_of_kind(const ledger::Snapshot& snapshot, std::string_view name,
                                                  std::string_view value, schema::Entry::Kind::Which kind);

// What a priced line cost, its margin and the rule version that priced it (docs/evidence.md
// §5): on the line itself, or, on a sealed line, on the LineCost entry the line cites.
struct LineCostInfo {
  Ref rule;
  std::string rule_id;
  uint32_t rule_version = 0;
  Decimal cost_unit, cost_amount, margin;
  std::string cost_currency;
};
Result<LineCostInfo> line_cost(const ledger::Snapshot& snapshot, schema::PricedLine::Reader line);

class PriceBook {
 public:
  static Result<PriceBook> load(const ledger::Snapshot& snapshot);

  // A later Partner entry for the same id supersedes the earlier one.
  const PartnerInfo* partner(const std::string& id) const;

  // The rule version that prices `sku` for `partner` on `day` (docs/matching.md §3.1): a rule
  // naming the SKU beats a pattern; a partner's own rule beats "*"; a pattern for the usage's
  // meter category beats one for any; then the latest start; then the highest version; then
  // the rule id (determinism). A pattern for a meter category applies only to usage of it.
  const RuleInfo* rule(const std::string& vendor, const std::string& sku, const std::string& partner,
                       const std::string& day, const std::string& meter_category = "") const;

  // The rule versions that could price `sku` of `vendor` (for usage of `meter_category`), found
  // once: pricing asks for each day of a usage group, and finding them built a key and walked
  // every pattern rule each time.
  class Candidates {
   public:
    // The one rule() chooses, among these, for `partner` on `day`.
    const RuleInfo* best(const std::string& partner, const std::string& day) const;

   private:
    friend class PriceBook;
    std::vector<const RuleInfo*> rules_;
  };
  Candidates candidates(const std::string& vendor, const std::string& sku, const std::string& meter_category = "") const;

  // The rate a period locks for base → quote (kFxPolicy), or nullptr.
  const FxInfo* fx(const std::string& base, const std::string& quote, const Period& period) const;

 private:
  std::map<std::string, PartnerInfo> partners_;
  std::map<std::string, std::vector<RuleInfo>> rules_;     // "vendor|sku" -> versions
  std::map<std::string, std::vector<RuleInfo>> patterns_;  // vendor -> its pattern rules' versions
  std::map<std::string, std::vector<FxInfo>> fx_;       // "BASE/QUOTE" -> rates
};

// The FxLock entry that fixes `fx` for `period`. Pricing and the match build it the same
// way, so whichever runs first appends it and the other finds it.
ledger::Draft fx_lock_draft(const Period& period, const FxInfo& fx);

}  // namespace closebook::match
