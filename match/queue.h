// The exception queue: an exception's current state is its latest Exception entry with every
// ExceptionUpdate for its id applied in ledger order; a change is a new ExceptionUpdate entry,
// checked against the state machine open → acknowledged → resolved | waived (docs/matching.md §5).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "evidence/decimal.h"
#include "ledger/ledger.h"
#include "match/config.h"
#include "match/findings.h"

namespace closebook::match {

using ExceptionStatus = schema::ExceptionStatus;
using UpdateAction = schema::ExceptionUpdate::Action;

const char* status_name(ExceptionStatus status);
Result<ExceptionStatus> parse_status(std::string_view name);
const char* severity_name(Severity severity);

struct HistoryItem {
  Ref ref;
  std::string action;  // "raised", "assign", "acknowledge", ...
  std::string actor, note;
  int64_t recorded_at_ms = 0;
};

struct ExceptionState {
  Ref entry;  // the latest Exception entry for the id
  std::string id, period, vendor, partner_id, tenant_id, subscription_id, sku_id;
  Category category = Category::TIMING;
  Severity severity = Severity::INFO;
  bool blocking = false;
  std::string delta, currency, owner, due_date, summary;
  ExceptionStatus status = ExceptionStatus::OPEN;
  std::vector<FindingLeg> legs;
  std::vector<Ref> evidence;
  std::vector<HistoryItem> history;
};

struct QueueFilter {
  std::string period;  // required
  std::optional<ExceptionStatus> status;
  std::optional<Category> category;
  std::optional<uint64_t> as_of_size;  // the queue as it stood at this ledger size; default now
};

// Exceptions of a period, by id.
Result<std::vector<ExceptionState>> list_exceptions(const ledger::Snapshot& snapshot, const QueueFilter& filter);
Result<ExceptionState> find_exception(const ledger::Snapshot& snapshot, const std::string& id);

struct UpdateRequest {
  UpdateAction action = UpdateAction::ACKNOWLEDGE;
  std::string actor;
  std::string owner;           // assign
  std::string note;            // resolve: the note; waive: the reason
  std::optional<Hash> evidence_sha256;
  std::string evidence_name;
};

// The queue at a glance: per category and currency, how many, how many still open
// (open or acknowledged), how many of those block sign-off, and the sum of their deltas.
struct QueueSummaryRow {
  Category category = Category::TIMING;
  std::string currency;  // empty for exceptions without a valued delta
  uint64_t count = 0, open = 0, blocking_open = 0;
  Decimal amount;
};
Result<std::vector<QueueSummaryRow>> summarize(const std::vector<ExceptionState>& exceptions);

// The ExceptionUpdate entry for a change, or Conflict if the state machine forbids it.
Result<ledger::Draft> plan_update(const ExceptionState& state, const UpdateRequest& request);

}  // namespace closebook::match
