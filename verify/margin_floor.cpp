// R31 (margin_floor.h). Each failure names its rule.
#include "verify/margin_floor.h"

#include "verify/rule_text.h"

namespace closebook::verify {

Status MarginFloors::check_line(uint64_t index, schema::PricedLine::Reader line, capnp::Text::Reader margin_text,
                                schema::RuleVersion::Reader rule, const DecodedEntry* partner, const std::string& where) {
  capnp::Text::Reader pct = rule.getMarginFloorPct();
  if (pct.size() == 0) {
    if (partner == nullptr) {
      if (complete_) return broke("R31", where + ": partner " + text(line.getPartnerId()) + " is not in the ledger");
      return {};  // the partner's floor is not in the bundle
    }
    pct = partner->reader().getKind().getPartner().getMarginFloorPct();
    if (pct.size() == 0) return {};  // no floor at all
  }
  CB_TRY(Decimal floor_pct, dec("R31", pct, where + " margin floor"));
  if (floor_pct.sign() < 0) return broke("R31", where + ": its margin floor " + floor_pct.to_string() + " % is below zero");
  CB_TRY(Decimal sell, dec("R31", line.getSellAmount(), where + " sell amount"));
  if (sell.sign() <= 0) return {};  // nothing sold, no margin to ask for (a withdrawn line)
  CB_TRY(Decimal margin, dec("R31", margin_text, where + " margin"));
  CB_TRY(Decimal exact, sell.mul(floor_pct));
  CB_TRY(Decimal floor_amount, exact.div(Decimal::from_int(100), 2, Rounding::kHalfEven));
  floors_[index] = Floor{floor_amount, margin, margin < floor_amount};
  return {};
}

Status MarginFloors::check_breach(const std::string& where, schema::Exception::Reader x, const DecodedEntry* rule,
                                  const DecodedEntry* line, std::optional<uint64_t> line_rule) {
  auto evidence = x.getEvidence();
  if (evidence.size() != 2) return broke("R31", where + " cites " + std::to_string(evidence.size()) + " entries, not a rule version and a line");
  if (line == nullptr || rule == nullptr) {
    if (complete_) return broke("R31", where + " does not cite a rule version and then a priced line before it");
    return {};  // not in the bundle
  }
  if (!line->reader().getKind().isPricedLine() || !rule->reader().getKind().isRuleVersion()) {
    return broke("R31", where + " does not cite a rule version and then a priced line");
  }
  auto l = line->reader().getKind().getPricedLine();
  if (line_rule && *line_rule != evidence[0].getIndex()) return broke("R31", where + " cites another rule version than its line's");
  if (x.getPartnerId() != l.getPartnerId() || x.getTenantId() != l.getTenantId() || x.getVendor() != l.getVendor() ||
      x.getSubscriptionId() != l.getSubscriptionId() || x.getSkuId() != l.getSkuId() || x.getCurrency() != l.getCurrency()) {
    return broke("R31", where + " is not on its line's partner, tenant, vendor, subscription, SKU and currency");
  }
  const uint64_t at = evidence[1].getIndex();
  breached_.insert(at);
  const auto floor = floors_.find(at);
  if (floor == floors_.end()) {
    if (complete_) return broke("R31", where + ": line " + std::to_string(at) + " has no margin floor");
    return {};  // its partner's floor is not in the bundle
  }
  const Floor& f = floor->second;
  if (!f.below) {
    return broke("R31", where + ": line " + std::to_string(at) + "'s margin " + f.margin.to_string() + " is not below its floor " +
                            f.floor_amount.to_string());
  }
  CB_TRY(Decimal delta, dec("R31", x.getDelta(), where + " delta"));
  CB_TRY(Decimal shortfall, f.floor_amount.sub(f.margin));
  if (!(delta == shortfall)) return broke("R31", where + ": its delta is " + delta.to_string() + "; the shortfall is " + shortfall.to_string());
  if (x.getLegs().size() != 2) return broke("R31", where + ": its legs are not the line as priced and the floor");
  CB_TRY(Decimal sell, dec("R31", l.getSellAmount(), where + " line sell"));
  CB_CHECK(leg_is("R31", where, x.getLegs()[0], "priced", "", text(l.getSellUnitPrice()), sell));
  return leg_is("R31", where, x.getLegs()[1], "floor", "", "", f.floor_amount);
}

Status MarginFloors::finish() const {
  if (!complete_) return {};
  for (const auto& [index, f] : floors_) {
    if (f.below && breached_.count(index) == 0) {
      return broke("R31", "priced line " + std::to_string(index) + ": its margin " + f.margin.to_string() + " is below its floor " +
                              f.floor_amount.to_string() + ", and no MARGIN_FLOOR_BREACH cites it");
    }
  }
  return {};
}

}  // namespace closebook::verify
