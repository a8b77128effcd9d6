#include "match/queue.h"

#include <algorithm>
#include <map>

#include "match/fields.h"

namespace closebook::match {
namespace {

const char* action_name(UpdateAction action) {
  switch (action) {
    case UpdateAction::ASSIGN: return "assign";
    case UpdateAction::ACKNOWLEDGE: return "acknowledge";
    case UpdateAction::RESOLVE: return "resolve";
    case UpdateAction::WAIVE: return "waive";
    case UpdateAction::REOPEN: return "reopen";
    case UpdateAction::COMMENT: return "comment";
  }
  return "unknown";
}

ExceptionState state_of(const DecodedEntry& entry) {
  auto e = entry.reader().getKind().getException();
  ExceptionState s;
  s.entry = Ref{entry.reader().getIndex(), entry.hash()};
  s.id = text_of(e.getExceptionId());
  s.period = text_of(e.getPeriod());
  s.category = e.getCategory();
  s.severity = e.getSeverity();
  s.blocking = e.getBlocking();
  s.vendor = text_of(e.getVendor());
  s.partner_id = text_of(e.getPartnerId());
  s.tenant_id = text_of(e.getTenantId());
  s.subscription_id = text_of(e.getSubscriptionId());
  s.sku_id = text_of(e.getSkuId());
  s.delta = text_of(e.getDelta());
  s.currency = text_of(e.getCurrency());
  s.owner = text_of(e.getOwner());
  s.due_date = text_of(e.getDueDate());
  s.summary = text_of(e.getSummary());
  s.status = e.getStatus();
  for (auto leg : e.getLegs()) {
    s.legs.push_back({text_of(leg.getName()), text_of(leg.getQuantity()), text_of(leg.getUnitPrice()),
                      text_of(leg.getAmount()), text_of(leg.getDetail())});
  }
  for (auto ref : e.getEvidence()) {
    Ref r{ref.getIndex(), {}};
    std::copy_n(ref.getHash().begin(), std::min<size_t>(32, ref.getHash().size()), r.hash.begin());
    s.evidence.push_back(r);
  }
  s.history.push_back({s.entry, "raised", "", s.summary, entry.reader().getRecordedAt()});
  return s;
}

void apply(ExceptionState& s, const DecodedEntry& entry) {
  auto u = entry.reader().getKind().getExceptionUpdate();
  s.status = u.getStatus();
  if (u.getOwner().size() != 0) s.owner = text_of(u.getOwner());
  if (u.getDueDate().size() != 0) s.due_date = text_of(u.getDueDate());
  s.history.push_back({Ref{entry.reader().getIndex(), entry.hash()}, action_name(u.getAction()),
                       text_of(u.getActor()), text_of(u.getNote()), entry.reader().getRecordedAt()});
}

// The state of one id from its entries (Exception and ExceptionUpdate) in ledger order,
// counting only entries below `size`.
Result<std::optional<ExceptionState>> fold(const ledger::Snapshot& snapshot, const std::string& id, uint64_t size) {
  CB_TRY(std::vector<uint64_t> indexes, snapshot.lookup("exception", id));
  std::optional<ExceptionState> state;
  for (uint64_t i : indexes) {
    if (i >= size) break;
    CB_TRY(DecodedEntry e, snapshot.entry(i));
    const auto kind = e.reader().getKind();
    if (kind.isException()) {
      // A re-raised exception (new values) keeps the history and status it had.
      ExceptionState raised = state_of(e);
      if (state) {
        raised.status = state->status;
        raised.owner = state->owner;
        raised.history.insert(raised.history.begin(), state->history.begin(), state->history.end());
      }
      state = std::move(raised);
    } else if (kind.isExceptionUpdate() && state) {
      apply(*state, e);
    }
  }
  return state;
}

}  // namespace

const char* status_name(ExceptionStatus status) {
  switch (status) {
    case ExceptionStatus::OPEN: return "open";
    case ExceptionStatus::ACKNOWLEDGED: return "acknowledged";
    case ExceptionStatus::RESOLVED: return "resolved";
    case ExceptionStatus::WAIVED: return "waived";
  }
  return "unknown";
}

Result<ExceptionStatus> parse_status(std::string_view name) {
  for (ExceptionStatus s : {ExceptionStatus::OPEN, ExceptionStatus::ACKNOWLEDGED, ExceptionStatus::RESOLVED,
                            ExceptionStatus::WAIVED}) {
    if (name == status_name(s)) return s;
  }
  return Error::invalid("\"" + std::string(name) + "\" is not open, acknowledged, resolved or waived");
}

const char* severity_name(Severity severity) {
  switch (severity) {
    case Severity::INFO: return "info";
    case Severity::LOW: return "low";
    case Severity::MEDIUM: return "medium";
    case Severity::HIGH: return "high";
    case Severity::CRITICAL: return "critical";
  }
  return "unknown";
}

Result<std::vector<ExceptionState>> list_exceptions(const ledger::Snapshot& snapshot, const QueueFilter& filter) {
  CB_TRY(std::vector<uint64_t> indexes, snapshot.lookup("period_kind", filter.period + "/exception"));
  const uint64_t size = filter.as_of_size.value_or(snapshot.size());
  std::map<std::string, bool> ids;  // sorted, unique
  for (uint64_t i : indexes) {
    if (i >= size) break;
    CB_TRY(DecodedEntry e, snapshot.entry(i));
    if (e.reader().getKind().isException()) ids[text_of(e.reader().getKind().getException().getExceptionId())] = true;
  }
  std::vector<ExceptionState> out;
  for (const auto& [id, unused] : ids) {
    CB_TRY(auto state, fold(snapshot, id, size));
    if (!state) continue;
    const bool status_ok = !filter.status || state->status == *filter.status;
    const bool category_ok = !filter.category || state->category == *filter.category;
    if (status_ok && category_ok) out.push_back(std::move(*state));
  }
  return out;
}

Result<ExceptionState> find_exception(const ledger::Snapshot& snapshot, const std::string& id) {
  CB_TRY(auto state, fold(snapshot, id, snapshot.size()));
  if (!state) return Error::not_found("no exception " + id);
  return std::move(*state);
}

namespace {

// Names and notes are shown in tables, CSVs, HTTP replies and logs: no control characters
// (a note may have line breaks and tabs).
Status check_text(const std::string& text, size_t bytes_max, bool multiline, const char* field) {
  if (text.size() > bytes_max) return Error::invalid("is longer than " + std::to_string(bytes_max) + " bytes").in_field(field);
  for (unsigned char c : text) {
    if ((c < 0x20 && !(multiline && (c == '\n' || c == '\t'))) || c == 0x7f) {
      return Error::invalid("must not hold control characters").in_field(field);
    }
  }
  return {};
}

}  // namespace

Result<ledger::Draft> plan_update(const ExceptionState& state, const UpdateRequest& request) {
  CB_CHECK(check_text(request.owner, 200, false, "--owner"));
  CB_CHECK(check_text(request.note, 4000, true, request.action == UpdateAction::WAIVE ? "--reason" : "--note"));
  CB_CHECK(check_text(request.evidence_name, 200, false, "--evidence"));
  const bool closed = state.status == ExceptionStatus::RESOLVED || state.status == ExceptionStatus::WAIVED;
  if (closed) {
    return Error::conflict("exception " + state.id + " is already " + status_name(state.status));
  }
  ExceptionStatus next = state.status;
  switch (request.action) {
    case UpdateAction::ASSIGN:
      if (request.owner.empty()) return Error::invalid("assign needs an owner").in_field("--owner");
      if (request.owner == state.owner) return Error::conflict(state.id + " is already owned by " + state.owner);
      break;
    case UpdateAction::ACKNOWLEDGE:
      if (state.status != ExceptionStatus::OPEN) {
        return Error::conflict(state.id + " is " + status_name(state.status) + ", not open");
      }
      next = ExceptionStatus::ACKNOWLEDGED;
      break;
    case UpdateAction::RESOLVE:
      if (request.note.empty()) return Error::invalid("resolve needs a note saying what was done").in_field("--note");
      next = ExceptionStatus::RESOLVED;
      break;
    case UpdateAction::WAIVE:
      if (request.note.empty()) return Error::invalid("waive needs a reason").in_field("--reason");
      next = ExceptionStatus::WAIVED;
      break;
    default:
      return Error::invalid("unsupported exception action");
  }
  ledger::Draft draft;
  // Each change is its own event: reassigning A, then B, then A again is three entries.
  draft.idempotent = false;
  draft.entry().setEffective(state.period);
  auto u = draft.entry().getKind().initExceptionUpdate();
  set_ref(u.initException(), state.entry);
  u.setExceptionId(state.id);
  u.setAction(request.action);
  u.setStatus(next);
  if (request.action == UpdateAction::ASSIGN) u.setOwner(request.owner);
  u.setNote(request.note);
  if (request.evidence_sha256) {
    u.setEvidenceSha256(kj::arrayPtr(request.evidence_sha256->data(), request.evidence_sha256->size()));
    u.setEvidenceName(request.evidence_name);
  }
  u.setActor(request.actor);
  return draft;
}

Result<std::vector<QueueSummaryRow>> summarize(const std::vector<ExceptionState>& exceptions) {
  std::map<std::pair<Category, std::string>, QueueSummaryRow> rows;
  for (const ExceptionState& e : exceptions) {
    QueueSummaryRow& row = rows[{e.category, e.currency}];
    row.category = e.category;
    row.currency = e.currency;
    ++row.count;
    const bool open = e.status == ExceptionStatus::OPEN || e.status == ExceptionStatus::ACKNOWLEDGED;
    if (open) ++row.open;
    if (open && e.blocking) ++row.blocking_open;
    if (!e.delta.empty()) {
      CB_TRY(Decimal delta, Decimal::parse(e.delta));
      CB_TRY(row.amount, row.amount.add(delta));
    }
  }
  std::vector<QueueSummaryRow> out;
  for (auto& [key, row] : rows) out.push_back(std::move(row));
  return out;
}

}  // namespace closebook::match
