// R34 (docs/evidence.md §5): a priced line's cost, margin and rule version — on the line, or on
// the LineCost entry a sealed line names. Written from docs/evidence.md, not from the writer.
#pragma once

#include <functional>
#include <optional>

#include "evidence/entry.h"
#include "evidence/result.h"

namespace closebook::verify {

struct CostFields {
  schema::EntryRef::Reader rule;
  capnp::Text::Reader rule_id, cost_unit_price, cost_currency, cost_amount, margin_amount;
  uint32_t rule_version = 0;
};

// A line is sealed when its `cost` names an entry (carries a hash).
inline bool is_sealed(schema::PricedLine::Reader l) { return l.getCost().getHash().size() != 0; }

// The cost fields of priced line `index`: its own when it is not sealed; a sealed line's
// LineCost's when `get` knows that entry; nullopt when it does not (a bundle withholds it from
// its audience). An R34 failure when a sealed line also carries a cost field of its own, or
// names an entry that is not an earlier LineCost of its lineId with the hash it states.
Result<std::optional<CostFields>> cost_fields(schema::PricedLine::Reader l, uint64_t index,
                                              const std::function<const DecodedEntry*(uint64_t)>& get);

}  // namespace closebook::verify
