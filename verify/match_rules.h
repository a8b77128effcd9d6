// The three-way match re-derived (docs/evidence.md R25–R32, written from their text and from
// docs/matching.md §1, §2 and §8 and docs/close.md §3, §6, not from the matcher's code): vendor
// invoice lines read by their format's table of charge types; each match result's key, tenant
// and partner resolved again from the tenant edges; its vendor and usage quantities and vendor
// amount recomputed from the rows it cites; the findings the evidence decides
// (PARTNER_MISMATCH, FX_VARIANCE, SKU_MISMATCH, COST_RATE_MISMATCH by the vendor's own
// arithmetic) and the legs and evidence of findings; and, with the whole ledger, that each run
// compared every row of its period once and counted its findings.
#pragma once

#include <functional>
#include <memory>

#include "evidence/entry.h"
#include "evidence/result.h"

namespace closebook::verify {

class MatchRules {
 public:
  // As Rules::Lookup: an earlier entry by index, or null if it is not known.
  using Lookup = std::function<const DecodedEntry*(uint64_t index)>;

  MatchRules(Lookup lookup, bool complete);
  ~MatchRules();
  MatchRules(const MatchRules&) = delete;
  MatchRules& operator=(const MatchRules&) = delete;

  // Checks `entry` (in ledger order, before record()) by the rules of its kind.
  Status check(const DecodedEntry& entry);
  // Keeps what later checks need of it.
  void record(const DecodedEntry& entry);
  // With the whole ledger, after its last entry: every match run's coverage and count (R28, R29).
  Status finish();

 private:
  class State;
  std::unique_ptr<State> state_;
};

}  // namespace closebook::verify
