// R31 of docs/evidence.md §2, written from docs/matching.md §3: a priced line whose margin is
// below its floor has a MARGIN_FLOOR_BREACH, and a MARGIN_FLOOR_BREACH is raised only on such a
// line, with the shortfall as its delta. The floor is the rule version's `marginFloorPct`, else
// the partner's (its latest Partner entry before the line).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>

#include "evidence/decimal.h"
#include "evidence/entry.h"
#include "evidence/result.h"

namespace closebook::verify {

class MarginFloors {
 public:
  explicit MarginFloors(bool complete) : complete_(complete) {}

  // After R14 holds for the line. `partner` is its partner's latest Partner entry, or null if
  // it is not known here (a bundle need not carry it when the rule names a floor of its own).
  // `margin` is the line's (its LineCost's, when sealed: R34).
  Status check_line(uint64_t index, schema::PricedLine::Reader line, capnp::Text::Reader margin, schema::RuleVersion::Reader rule,
                    const DecodedEntry* partner, const std::string& where);
  // A MARGIN_FLOOR_BREACH exception; `line` is the priced line it cites second (null if unknown)
  // and `line_rule` the index of the rule version that priced it (R34; null if not known here).
  Status check_breach(const std::string& where, schema::Exception::Reader x, const DecodedEntry* rule, const DecodedEntry* line,
                      std::optional<uint64_t> line_rule);
  // With the whole ledger: every line below its floor has a breach.
  Status finish() const;

 private:
  struct Floor {
    Decimal floor_amount, margin;  // the margin the floor asks for, and the line's
    bool below = false;
  };
  const bool complete_;
  std::map<uint64_t, Floor> floors_;  // by the line's index, where its floor is known
  std::set<uint64_t> breached_;       // lines a breach cites
};

}  // namespace closebook::verify
