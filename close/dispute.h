// Partner disputes (docs/close.md §6): a partner disputes one of its priced lines with a reason and an
// amount. The Dispute entry and a DISPUTE exception citing it and the line's whole lineage are
// appended together, so the queue owns the follow-up and the evidence is already gathered.
// See docs/close.md §6.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "evidence/decimal.h"
#include "ledger/ledger.h"
#include "match/config.h"
#include "match/findings.h"

namespace closebook::close {

inline constexpr size_t kDisputeReasonBytesMax = 2000;

struct DisputeRequest {
  std::string partner_id;  // the partner disputing; must own the line
  std::string line_id;
  std::string reason;
  Decimal amount;          // in the line's billing currency, in cents, > 0, at most the line's sell amount
  std::string currency;    // optional; if given, must be the line's
  std::string raised_by;   // who (the API token's name)
};

struct DisputePlan {
  std::vector<ledger::Draft> drafts;  // Dispute, then its Exception
  uint64_t planned_at_size = 0;
  std::string dispute_id, exception_id, period, amount;  // amount: in cents, as recorded
  std::optional<uint64_t> recorded_at;  // the same dispute was raised before, at this entry: no drafts
};

// "DSP-2026-10-1a2b3c4d5e6f7a8b", from the partner, line, amount (in cents) and reason: the
// same dispute sent twice is one dispute. A line of another partner is NotFound, as for a line
// that does not exist.
Result<DisputePlan> plan_dispute(const ledger::Snapshot& snapshot, const DisputeRequest& request,
                                 const match::CloseConfig& config);

struct DisputeView {
  match::Ref entry;
  std::string dispute_id, partner_id, line_id, period, reason, amount, currency, raised_by, exception_id;
  int64_t recorded_at_ms = 0;
};

// Disputes, oldest first; of one partner if `partner_id` is set, of one period if `period` is.
Result<std::vector<DisputeView>> list_disputes(const ledger::Snapshot& snapshot, const std::string& partner_id,
                                               const std::string& period);

}  // namespace closebook::close
