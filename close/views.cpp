#include "close/views.h"

namespace closebook::close {
namespace {

Json ref_json(const match::Ref& ref) { return {{"index", ref.index}, {"hash", to_hex(ref.hash)}}; }

Json optional_ref_json(const std::optional<match::Ref>& ref) { return ref ? ref_json(*ref) : Json(nullptr); }

}  // namespace

Json hashes_json(const std::vector<Hash>& hashes) {
  Json out = Json::array();
  for (const Hash& h : hashes) out.push_back(to_hex(h));
  return out;
}

Json exception_json(const match::ExceptionState& e) {
  Json j{{"exception_id", e.id}, {"period", e.period}, {"category", match::category_name(e.category)},
         {"severity", match::severity_name(e.severity)}, {"blocking", e.blocking}, {"vendor", e.vendor},
         {"partner_id", e.partner_id}, {"tenant_id", e.tenant_id}, {"subscription_id", e.subscription_id},
         {"sku_id", e.sku_id}, {"delta", e.delta}, {"currency", e.currency}, {"owner", e.owner},
         {"due_date", e.due_date}, {"status", match::status_name(e.status)}, {"summary", e.summary}};
  j["legs"] = Json::array();
  for (const auto& l : e.legs) {
    j["legs"].push_back({{"name", l.name}, {"quantity", l.quantity}, {"unit_price", l.unit_price},
                         {"amount", l.amount}, {"detail", l.detail}});
  }
  j["evidence"] = Json::array();
  for (const auto& r : e.evidence) j["evidence"].push_back(ref_json(r));
  j["history"] = Json::array();
  for (const auto& h : e.history) {
    j["history"].push_back({{"entry", h.ref.index}, {"action", h.action}, {"actor", h.actor}, {"note", h.note},
                            {"recorded_at_ms", h.recorded_at_ms}});
  }
  return j;
}

Result<Json> lineage_json(const ledger::Snapshot& snapshot, const Lineage& lineage) {
  Json entries = Json::array();
  for (const auto& item : lineage.items) {
    CB_TRY(DecodedEntry e, snapshot.entry(item.ref.index));
    entries.push_back({{"role", item.role}, {"index", item.ref.index}, {"hash", to_hex(e.hash())},
                       {"entry", Json::parse(entry_json(e.reader()))}});
  }
  return Json{{"line_id", lineage.line_id}, {"period", lineage.period}, {"entries", std::move(entries)}};
}

Json period_json(const std::string& period, const match::PeriodState& state, const std::vector<JournalView>& journals) {
  Json list = Json::array();
  for (const JournalView& j : journals) {
    list.push_back({{"journal_id", j.id()}, {"entry", j.posting.reader().getIndex()},
                    {"sign_off", j.posting.reader().getKind().getJournalPosting().getSignOff().getIndex()},
                    {"current", j.current}, {"posted", j.ack.has_value()},
                    {"gl_ref", j.ack ? Json(j.gl_ref) : Json(nullptr)}, {"ack_entry", j.ack ? Json(*j.ack) : Json(nullptr)}});
  }
  return {{"period", period},
          {"journals", std::move(list)},
          {"state", state.name()},
          {"match_run", optional_ref_json(state.match_run)},
          {"sign_off", optional_ref_json(state.sign_off)},
          {"last_sign_off", optional_ref_json(state.last_sign_off)},
          {"reopen", optional_ref_json(state.reopen)},
          {"invoice", optional_ref_json(state.invoice)},
          {"posting_ack", optional_ref_json(state.posting_ack)},
          {"sign_off_count", state.sign_off_count},
          {"match_is_current", state.match_run && (!state.last_match_input ||
                                                   *state.last_match_input < state.match_run->index)}};
}

Result<Json> inclusion_proof_json(const ledger::Snapshot& snapshot, uint64_t index, uint64_t size) {
  CB_TRY(std::vector<Hash> proof, snapshot.inclusion_proof(index, size));
  CB_TRY(Hash leaf, snapshot.entry_hash(index));
  return Json{{"index", index}, {"size", size}, {"leaf_hash", to_hex(leaf)}, {"hashes", hashes_json(proof)}};
}

Result<Json> consistency_proof_json(const ledger::Snapshot& snapshot, uint64_t old_size, uint64_t size) {
  CB_TRY(std::vector<Hash> proof, snapshot.consistency_proof(old_size, size));
  return Json{{"old_size", old_size}, {"size", size}, {"hashes", hashes_json(proof)}};
}

}  // namespace closebook::close
