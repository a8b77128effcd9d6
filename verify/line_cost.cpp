// R34 (line_cost.h).
#include "verify/line_cost.h"

#include "verify/rule_text.h"

namespace closebook::verify {
namespace {

template <class Fields>
CostFields fields_of(Fields f) {
  return CostFields{f.getRule(), f.getRuleId(), f.getCostUnitPrice(), f.getCostCurrency(), f.getCostAmount(),
                    f.getMarginAmount(), f.getRuleVersion()};
}

}  // namespace

Result<std::optional<CostFields>> cost_fields(schema::PricedLine::Reader l, uint64_t index,
                                              const std::function<const DecodedEntry*(uint64_t)>& get) {
  if (!is_sealed(l)) return std::optional<CostFields>(fields_of(l));
  const std::string where = "priced line " + std::to_string(index) + " (" + text(l.getLineId()) + ")";
  const bool own_fields = l.hasRule() || l.getRuleId().size() != 0 || l.getRuleVersion() != 0 || l.getCostUnitPrice().size() != 0 ||
                          l.getCostCurrency().size() != 0 || l.getCostAmount().size() != 0 || l.getMarginAmount().size() != 0;
  if (own_fields) return broke("R34", where + " is sealed and also states a cost, margin or rule of its own");
  const uint64_t at = l.getCost().getIndex();
  if (at >= index) return broke("R34", where + ": its cost names entry " + std::to_string(at) + ", which is not before it");
  const DecodedEntry* sealed = get(at);
  if (sealed == nullptr) return std::optional<CostFields>();
  if (hash_of(l.getCost().getHash()) != sealed->hash()) {
    return broke("R34", where + ": its cost names entry " + std::to_string(at) + " with another hash than the entry's");
  }
  auto kind = sealed->reader().getKind();
  if (!kind.isLineCost() || kind.getLineCost().getLineId() != l.getLineId()) {
    return broke("R34", where + ": its cost names entry " + std::to_string(at) + ", which is not a LineCost of its lineId");
  }
  return std::optional<CostFields>(fields_of(kind.getLineCost()));
}

}  // namespace closebook::verify
