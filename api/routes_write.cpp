// The API's writes: exception changes, sign-off with a signature made offline, preparing the
// GL journal and acknowledging its posting (idempotent), and partner disputes. Each is the
// same plan the CLI appends (close/, match/), written through Service::write.
#include "api/body.h"
#include "api/service.h"
#include "close/dispute.h"
#include "close/journal.h"
#include "close/signoff.h"
#include "close/views.h"
#include "evidence/date.h"
#include "match/fields.h"
#include "match/queue.h"

namespace closebook::api {
namespace {

constexpr size_t kIdempotencyKeyBytesMax = 200;

struct DraftsPlan {
  std::vector<ledger::Draft> drafts;
  uint64_t planned_at_size = 0;
};

Result<match::UpdateAction> parse_action(const std::string& text) {
  if (text == "assign") return match::UpdateAction::ASSIGN;
  if (text == "acknowledge") return match::UpdateAction::ACKNOWLEDGE;
  if (text == "resolve") return match::UpdateAction::RESOLVE;
  if (text == "waive") return match::UpdateAction::WAIVE;
  return Error::invalid("must be assign, acknowledge, resolve or waive").in_field("action");
}

Result<Reply> update_exception(Call& call) {
  API_BODY(body, call.request);
  CB_TRY(std::string action_text, body.string("action", true, 20));
  CB_TRY(match::UpdateAction action, parse_action(action_text));
  match::UpdateRequest request;
  request.action = action;
  request.actor = call.actor();
  CB_TRY(request.owner, body.string("owner", action == match::UpdateAction::ASSIGN, 200));
  CB_TRY(std::string note, body.string("note", false, 4000));
  CB_TRY(std::string reason, body.string("reason", false, 4000));
  CB_TRY(std::string evidence_hex, body.string("evidence_sha256", false, 64));
  CB_TRY(request.evidence_name, body.string("evidence_name", false, 200));
  CB_CHECK(body.finish());
  // Each action takes its own fields; another action's field is a mistake, not something to drop.
  if (action == match::UpdateAction::WAIVE && !note.empty()) return Error::invalid("waive takes a reason, not a note").in_field("note");
  if (action != match::UpdateAction::WAIVE && !reason.empty()) return Error::invalid("only waive takes a reason").in_field("reason");
  if (action != match::UpdateAction::ASSIGN && !request.owner.empty()) return Error::invalid("only assign takes an owner").in_field("owner");
  if (action != match::UpdateAction::RESOLVE && (!evidence_hex.empty() || !request.evidence_name.empty())) {
    return Error::invalid("only resolve takes evidence").in_field(evidence_hex.empty() ? "evidence_name" : "evidence_sha256");
  }
  request.note = action == match::UpdateAction::WAIVE ? reason : note;
  if (!evidence_hex.empty()) {
    auto hash = hash_from_hex(evidence_hex);
    if (!hash.ok()) return std::move(hash).error().in_field("evidence_sha256");
    request.evidence_sha256 = *hash;
  }
  const std::string id = call.params[0];
  auto done = call.service.write<DraftsPlan>([&](const ledger::Snapshot& snapshot) -> Result<DraftsPlan> {
    CB_TRY(match::ExceptionState state, match::find_exception(snapshot, id));
    CB_TRY(ledger::Draft draft, match::plan_update(state, request));
    DraftsPlan plan;
    plan.drafts.push_back(std::move(draft));
    return plan;
  });
  if (!done.ok()) return std::move(done).error();
  CB_TRY(ledger::Snapshot snapshot, call.service.snapshot());
  CB_TRY(match::ExceptionState state, match::find_exception(snapshot, id));
  Json out = close::exception_json(state);
  out["recorded_as"] = done->second.entries.front().index;
  return Reply::json(200, out);
}

Result<Reply> signoff(Call& call) {
  API_BODY(body, call.request);
  CB_TRY(std::string statement, body.string("statement", true, 1 << 20));
  CB_TRY(std::string signatures, body.string("signatures", true, 1 << 20));
  CB_TRY(std::string override_reason, body.string("override_reason", false, 1000));
  CB_CHECK(body.finish());
  CB_TRY(close::Statement parsed, close::parse_statement(statement));
  if (parsed.period != call.params[0]) {
    return Error::invalid("the statement is for period " + parsed.period + ", not " + call.params[0]).in_field("statement");
  }
  const close::SignOffOptions options{call.service.config().signoff_signatures, override_reason};
  auto done = call.service.write<close::SignOffPlan>(
      [&](const ledger::Snapshot& snapshot) { return close::plan_signoff(snapshot, statement, signatures, options); },
      [](close::SignOffPlan& plan, const SigningKey& log_key) { close::add_log_signature(plan, log_key); });
  if (!done.ok()) return std::move(done).error();
  const auto& [plan, receipt] = *done;
  return Reply::json(201, {{"period", plan.statement.period}, {"entry", receipt.entries.back().index},
                           {"signers", plan.signers}, {"override_reason", plan.statement.override_reason},
                           {"tree_size", plan.statement.head.size}, {"root_hash", to_hex(plan.statement.head.root)},
                           {"checkpoint", receipt.checkpoint}});
}

Result<Reply> prepare_journal(Call& call) {
  API_BODY(body, call.request);
  CB_TRY(std::string period, body.string("period", true, 7));
  CB_CHECK(body.finish());
  if (!Period::parse(period).ok()) return Error::invalid("must be a period YYYY-MM").in_field("period");
  auto done = call.service.write<close::JournalPlan>([&](const ledger::Snapshot& snapshot) {
    return close::plan_journal(snapshot, period, call.service.config().journal);
  });
  if (!done.ok()) return std::move(done).error();
  CB_TRY(ledger::Snapshot snapshot, call.service.snapshot());
  CB_TRY(std::vector<close::JournalView> journals, close::period_journals(snapshot, period));
  Json list = Json::array();
  for (const close::JournalView& j : journals) list.push_back(Json::parse(close::journal_json(j)));
  return Reply::json(done->second.new_entry_count > 0 ? 201 : 200, {{"period", period}, {"journals", std::move(list)}});
}

// Idempotent: the same Idempotency-Key and body answer the same, however often and however
// concurrently they are sent; the key with another body is a conflict.
Result<Reply> ack_journal(Call& call) {
  const std::string key = call.request.header("idempotency-key").value_or("");
  if (key.empty() || key.size() > kIdempotencyKeyBytesMax) {
    return Error::invalid("an Idempotency-Key header of 1 to 200 bytes is required").in_field("Idempotency-Key");
  }
  API_BODY(body, call.request);
  CB_TRY(std::string period, body.string("period", true, 7));
  CB_TRY(std::string journal_id, body.string("journal_id", false, 200));
  CB_TRY(std::string gl_ref, body.string("gl_ref", true, 200));
  CB_CHECK(body.finish());
  if (!Period::parse(period).ok()) return Error::invalid("must be a period YYYY-MM").in_field("period");
  auto done = call.service.write<close::AckPlan>([&](const ledger::Snapshot& snapshot) {
    return close::plan_posting_ack(snapshot, period, journal_id, gl_ref, key, call.actor());
  });
  if (!done.ok()) return std::move(done).error();
  const auto& [plan, receipt] = *done;
  const uint64_t at = plan.already_at ? *plan.already_at : receipt.entries.front().index;
  return Reply::json(plan.already_at ? 200 : 201, {{"period", period}, {"journal_id", plan.journal_id},
                                                   {"gl_ref", gl_ref}, {"entry", at}});
}

Result<Reply> dispute(Call& call) {
  API_BODY(body, call.request);
  close::DisputeRequest request;
  CB_TRY(request.line_id, body.string("line_id", true, 200));
  CB_TRY(request.reason, body.string("reason", true, close::kDisputeReasonBytesMax));
  CB_TRY(std::string amount, body.string("amount", true, 50));
  CB_TRY(request.currency, body.string("currency", false, 3));
  CB_CHECK(body.finish());
  auto parsed = Decimal::parse(amount);
  if (!parsed.ok()) return std::move(parsed).error().in_field("amount");
  request.amount = *parsed;
  request.partner_id = call.partner_id();
  request.raised_by = call.actor();
  auto done = call.service.write<close::DisputePlan>([&](const ledger::Snapshot& snapshot) {
    return close::plan_dispute(snapshot, request, call.service.config());
  });
  if (!done.ok()) return std::move(done).error();
  const auto& [plan, receipt] = *done;
  const uint64_t at = plan.recorded_at ? *plan.recorded_at : receipt.entries.front().index;
  return Reply::json(plan.recorded_at ? 200 : 201, {{"dispute_id", plan.dispute_id}, {"entry", at},
                                                    {"exception_id", plan.exception_id}, {"period", plan.period},
                                                    {"line_id", request.line_id}, {"amount", plan.amount}});
}

}  // namespace

std::vector<Route> write_routes() {
  constexpr Roles kAdmin = role_bit(Role::kAdmin), kOps = role_bit(Role::kOps), kFinance = role_bit(Role::kFinance);
  return {
      {"PATCH", "/v1/exceptions/{id}", kAdmin | kOps | kFinance, update_exception},
      {"POST", "/v1/periods/{period}/signoff", kAdmin | kFinance, signoff},
      {"POST", "/v1/journal", kAdmin | kOps | kFinance, prepare_journal},
      {"POST", "/v1/journal/ack", kAdmin | role_bit(Role::kGl), ack_journal},
      // A partner disputes its own lines; staff raise disputes through the exception queue.
      {"POST", "/v1/disputes", role_bit(Role::kPartner), dispute},
  };
}

}  // namespace closebook::api
