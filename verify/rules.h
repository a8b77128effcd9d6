// The rules of docs/evidence.md §2 that every entry of a close must keep, checked over entries
// fed in ledger order: a priced line's days, usage, quantity, rule version, tenant, FX and
// amounts; credits; invoices; sign-off statements and reopens; journals and their
// acknowledgements; disputes; the exception queue; loads; match results; every entry's
// effective date; the three-way match re-derived (R25–R30 and R32, verify/match_rules.h); and margin floors (R31). One checker serves both verifiers, so they
// cannot drift: `closebook-verify bundle` feeds it a bundle's entries, `closebook-verify ledger`
// every entry of the ledger (`complete`: the rules that need the whole log apply too).
//
// Written from the spec, not from the writer's code: it shares nothing with ledger/, match/ or
// close/ but the evidence/ primitives. Every failure names its rule: "R12: priced line 40 …".
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "evidence/entry.h"
#include "evidence/result.h"

namespace closebook::verify {

struct RuleCounts {
  uint64_t lines_recomputed = 0;
  // A bundle kept from the distributor's costs (R34): lines whose cost, margin and rule choice
  // were not checked (only their sell amount), and v2 sign-offs whose summary was not.
  uint64_t lines_cost_withheld = 0;
  uint64_t lines_usage_withheld = 0;  // their rated usage withheld too: quantity not recomputed
  uint64_t summaries_withheld = 0;
  uint64_t credits_recomputed = 0;
  uint64_t invoices_recomputed = 0;
  uint64_t statements_recomputed = 0;  // sign-off statements rebuilt from the ledger (complete only)
};

class Rules {
 public:
  // An earlier entry by index, or null if the checker may not see it (not in the bundle). The
  // pointer must stay valid until the add() that asked for it returns.
  using Lookup = std::function<const DecodedEntry*(uint64_t index)>;

  Rules(Lookup lookup, bool complete);
  ~Rules();
  Rules(const Rules&) = delete;
  Rules& operator=(const Rules&) = delete;

  // Checks `entry` by every rule that applies to its kind, then records what later rules need
  // of it. Entries come in ledger order; a SignOff's signatures are checked by the caller first.
  Status add(const DecodedEntry& entry);
  // After the last entry: the rules that judge a whole match run (R28, R29; with the whole ledger).
  Status finish();

  const RuleCounts& counts() const;

 private:
  class State;
  std::unique_ptr<State> state_;
};

}  // namespace closebook::verify
