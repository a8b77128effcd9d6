#include "close/signoff.h"

#include <map>
#include <set>
#include <sstream>

#include "close/keys.h"
#include "match/fields.h"
#include "match/margin.h"
#include "match/period.h"

namespace closebook::close {
namespace {

using match::Category;

struct PricedTotal {
  uint64_t lines = 0;
  Decimal cost, sell, margin;
};

Status check_override(const std::string& reason) {
  if (reason.empty()) return {};
  if (reason.size() > 1000) return Error::invalid("the override reason is longer than 1000 bytes").in_field("--override-reason");
  for (char c : reason) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) {
      return Error::invalid("the override reason must be one line of text").in_field("--override-reason");
    }
  }
  if (reason.front() == ' ' || reason.back() == ' ') {
    return Error::invalid("the override reason must not start or end with a space").in_field("--override-reason");
  }
  return {};
}

std::vector<std::string> words(std::string_view line) {
  std::vector<std::string> out;
  std::istringstream in{std::string(line)};
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

Result<std::map<std::string, PricedTotal>> priced_totals(const ledger::Snapshot& snapshot, const std::string& period) {
  CB_TRY(std::vector<DecodedEntry> lines, match::current_priced_lines(snapshot, period));
  std::map<std::string, PricedTotal> totals;
  for (const DecodedEntry& e : lines) {
    auto l = e.reader().getKind().getPricedLine();
    PricedTotal& t = totals[match::text_of(l.getCurrency())];
    CB_TRY(Decimal cost, match::decimal_of(l.getCostAmount()));
    CB_TRY(Decimal sell, match::decimal_of(l.getSellAmount()));
    ++t.lines;
    CB_TRY(t.cost, t.cost.add(cost));
    CB_TRY(t.sell, t.sell.add(sell));
    CB_TRY(t.margin, t.sell.sub(t.cost));
  }
  return totals;
}

// Credits booked in the period, per currency: count and amount.
Result<std::map<std::string, std::pair<uint64_t, Decimal>>> credit_totals(const ledger::Snapshot& snapshot,
                                                                          const std::string& period) {
  CB_TRY(std::vector<DecodedEntry> credits, match::entries_of_period(snapshot, "credit", period));
  std::map<std::string, std::pair<uint64_t, Decimal>> out;
  for (const DecodedEntry& e : credits) {
    auto c = e.reader().getKind().getCredit();
    if (c.getPeriod() != period) continue;
    auto& [count, amount] = out[match::text_of(c.getCurrency())];
    CB_TRY(Decimal a, match::decimal_of(c.getAmount()));
    ++count;
    CB_TRY(amount, amount.add(a));
  }
  return out;
}

Result<std::vector<match::QueueSummaryRow>> outstanding(const ledger::Snapshot& snapshot, const std::string& period) {
  CB_TRY(auto all, match::list_exceptions(snapshot, {period, {}, {}, {}}));
  std::vector<match::ExceptionState> open;
  for (auto& e : all) {
    if (e.status == match::ExceptionStatus::OPEN || e.status == match::ExceptionStatus::ACKNOWLEDGED) {
      open.push_back(std::move(e));
    }
  }
  return match::summarize(open);
}

// The log's name: its key's, registered by entry 0.
Result<std::string> log_origin(const ledger::Snapshot& snapshot) {
  CB_TRY(DecodedEntry genesis, snapshot.entry(0));
  if (!genesis.reader().getKind().isKeyEvent()) return Error::corruption("entry 0 is not the log's KeyEvent");
  return match::text_of(genesis.reader().getKind().getKeyEvent().getName());
}

}  // namespace

bool Statement::blocked() const {
  for (const auto& row : outstanding) {
    if (row.blocking_open > 0) return true;
  }
  return false;
}

Result<Statement> build_statement(const ledger::Snapshot& snapshot, const std::string& period,
                                  const std::string& override_reason) {
  if (!Period::parse(period).ok()) return Error::invalid("the period \"" + period + "\" is not YYYY-MM").in_field("--period");
  CB_CHECK(check_override(override_reason));
  CB_TRY(match::PeriodState state, match::period_state(snapshot, period));
  if (state.sign_off) {
    return Error::invalid("period " + period + " is signed off already (entry " + std::to_string(state.sign_off->index) +
                          "); a credit reopens it");
  }
  if (!state.match_run) return Error::invalid("period " + period + " is not matched: run `closebook match --period " + period + "`");
  if (state.last_match_input && *state.last_match_input > state.match_run->index) {
    return Error::invalid("period " + period + " has changed since its match (entry " +
                          std::to_string(*state.last_match_input) + "): price and match it again");
  }
  CB_TRY(DecodedEntry run, snapshot.entry(state.match_run->index));
  auto m = run.reader().getKind().getMatchRun();
  CB_TRY(auto priced, priced_totals(snapshot, period));

  Statement s;
  s.period = period;
  s.override_reason = override_reason;
  CB_TRY(s.outstanding, outstanding(snapshot, period));
  CB_TRY(s.head.origin, log_origin(snapshot));
  s.head.size = snapshot.size();
  CB_TRY(s.head.root, snapshot.root(snapshot.size()));
  auto& ext = s.head.extensions;
  ext.push_back(std::string(kStatementTag));
  ext.push_back("period " + period);
  ext.push_back("match " + std::to_string(state.match_run->index) + " keys " + std::to_string(m.getKeyCount()) +
                " matched " + std::to_string(m.getMatchedCount()));
  for (const auto& [currency, t] : priced) {
    ext.push_back("priced " + currency + " lines " + std::to_string(t.lines) + " cost " + t.cost.to_string() + " sell " +
                  t.sell.to_string() + " margin " + t.margin.to_string());
  }
  CB_TRY(auto credits, credit_totals(snapshot, period));
  for (const auto& [currency, c] : credits) {
    ext.push_back("credits " + currency + " count " + std::to_string(c.first) + " amount " + c.second.to_string());
  }
  for (const auto& row : s.outstanding) {
    ext.push_back("outstanding " + std::string(match::category_name(row.category)) + " " +
                  (row.currency.empty() ? "-" : row.currency) + " count " + std::to_string(row.open) + " blocking " +
                  std::to_string(row.blocking_open) + " amount " + row.amount.to_string());
  }
  if (!override_reason.empty()) ext.push_back("override " + override_reason);
  return s;
}

Result<Statement> parse_statement(std::string_view text) {
  auto head = Checkpoint::parse(text);
  if (!head.ok()) return Error::invalid("the statement is not a checkpoint: " + head.error().message);
  Statement s;
  s.head = std::move(*head);
  const auto& ext = s.head.extensions;
  if (ext.size() < 3 || ext[0] != kStatementTag) {
    return Error::invalid("the statement has no \"" + std::string(kStatementTag) + "\" line");
  }
  for (size_t i = 1; i < ext.size(); ++i) {
    const std::vector<std::string> w = words(ext[i]);
    if (w.empty()) return Error::invalid("statement line " + std::to_string(i + 4) + " is empty");
    if (w[0] == "period" && w.size() == 2) {
      s.period = w[1];
    } else if (w[0] == "override") {
      if (ext[i].size() <= std::string("override ").size()) return Error::invalid("the statement's override line has no reason");
      s.override_reason = ext[i].substr(std::string("override ").size());
    } else if (w[0] == "outstanding" && w.size() == 9) {
      match::QueueSummaryRow row;
      CB_TRY(row.category, match::parse_category(w[1]));
      row.currency = w[2] == "-" ? "" : w[2];
      row.open = row.count = std::strtoull(w[4].c_str(), nullptr, 10);
      row.blocking_open = std::strtoull(w[6].c_str(), nullptr, 10);
      CB_TRY(row.amount, Decimal::parse(w[8]));
      s.outstanding.push_back(row);
    } else if (w[0] != "match" && w[0] != "priced" && w[0] != "credits") {
      return Error::invalid("statement line " + std::to_string(i + 4) + " (\"" + w[0] + "\") is not a sign-off line");
    }
  }
  if (!Period::parse(s.period).ok()) return Error::invalid("the statement names no period");
  return s;
}

Result<SignOffPlan> plan_signoff(const ledger::Snapshot& snapshot, std::string_view statement_text,
                                 std::string_view signature_lines, const SignOffOptions& options) {
  CB_TRY(Statement claimed, parse_statement(statement_text));
  CB_TRY(std::string origin, log_origin(snapshot));
  if (claimed.head.origin != origin) {
    return Error::invalid("the statement is for log \"" + claimed.head.origin + "\", not " + origin);
  }
  if (claimed.head.size == 0 || claimed.head.size > snapshot.size()) {
    return Error::invalid("the statement's tree size " + std::to_string(claimed.head.size) + " is not in this ledger");
  }
  CB_TRY(Hash root, snapshot.root(claimed.head.size));
  if (root != claimed.head.root) {
    return Error::invalid("the statement's root hash is not this ledger's at size " + std::to_string(claimed.head.size));
  }
  // Stale: the period moved on after the statement was made (an entry filed under it, or an
  // exception worked since). Rebuilt now for the same tree head, it must read the same.
  CB_TRY(std::optional<uint64_t> last_in_period, snapshot.lookup_last("period", claimed.period));
  if (last_in_period && *last_in_period >= claimed.head.size) {
    return Error::invalid("the statement is stale: period " + claimed.period + " has entry " +
                          std::to_string(*last_in_period) + " after it; make a new statement");
  }
  CB_TRY(Statement now, build_statement(snapshot, claimed.period, claimed.override_reason));
  now.head.size = claimed.head.size;
  now.head.root = claimed.head.root;
  if (now.text() != statement_text) {
    return Error::invalid("the statement does not describe period " + claimed.period +
                          " as the ledger has it (an exception was worked, or the text was changed); make a new statement");
  }
  if (now.blocked() && now.override_reason.empty()) {
    return Error::invalid("period " + claimed.period +
                          " has open blocking exceptions: resolve or waive them, or sign a statement made with --override-reason");
  }

  // Signatures: each must verify under a finance key active when the SignOff is appended.
  const std::string signed_text = now.text();
  auto note = parse_note(signed_text + "\n" + std::string(signature_lines));
  if (!note.ok()) return Error::invalid("the signatures are not signed-note signature lines: " + note.error().message);
  CB_TRY(KeyRegistry registry, load_key_registry(snapshot));
  const uint64_t at = snapshot.size();
  SignOffPlan plan;
  std::set<Hash> signers;
  std::vector<const RegisteredKey*> keys;
  for (const NoteSignature& sig : note->signatures) {
    const RegisteredKey* key = registry.active(sig.name, KeyRole::FINANCE, at);
    if (key == nullptr || key->key.hash != sig.hash) {
      return Error::invalid("the signature by \"" + sig.name + "\" is not by a registered, unrevoked finance key");
    }
    Note one{signed_text, {sig}};
    if (!verify_note(one, key->key).ok()) return Error::invalid("the signature by \"" + sig.name + "\" does not verify");
    if (!signers.insert(key->key.id()).second) continue;  // the same key twice counts once
    keys.push_back(key);
    plan.signers.push_back(sig.name);
  }
  if (signers.size() < options.required_signatures) {
    return Error::invalid("sign-off needs " + std::to_string(options.required_signatures) +
                          " finance signatures; the statement has " + std::to_string(signers.size()));
  }

  ledger::Draft draft;
  draft.entry().setEffective(now.period);
  auto so = draft.entry().getKind().initSignOff();
  so.setPeriod(now.period);
  so.setStatement(signed_text);
  so.setTreeSize(now.head.size);
  so.setRootHash(kj::arrayPtr(now.head.root.data(), now.head.root.size()));
  auto sigs = so.initSignatures(static_cast<unsigned>(keys.size() + 1));
  for (unsigned i = 0; i < keys.size(); ++i) {
    const RegisteredKey& k = *keys[i];
    const NoteSignature* sig = nullptr;
    for (const NoteSignature& s : note->signatures) {
      if (s.name == k.key.name && s.hash == k.key.hash) sig = &s;
    }
    sigs[i].initKeyEvent().setIndex(k.registered_at);
    sigs[i].getKeyEvent().setHash(kj::arrayPtr(k.registered_hash.data(), k.registered_hash.size()));
    const Hash id = k.key.id();
    sigs[i].setKeyId(kj::arrayPtr(id.data(), id.size()));
    sigs[i].setKeyName(k.key.name);
    sigs[i].setSignature(kj::arrayPtr(reinterpret_cast<const uint8_t*>(sig->signature.data()), sig->signature.size()));
  }
  plan.log_signature_slot = static_cast<unsigned>(keys.size());
  CB_TRY(plan.log_key_event, snapshot.entry_hash(0));
  auto outstanding_list = so.initOutstanding(static_cast<unsigned>(now.outstanding.size()));
  for (unsigned i = 0; i < now.outstanding.size(); ++i) {
    const auto& row = now.outstanding[i];
    outstanding_list[i].setCategory(row.category);
    outstanding_list[i].setCount(row.open);
    outstanding_list[i].setAmount(row.amount.to_string());
    outstanding_list[i].setCurrency(row.currency);
    outstanding_list[i].setBlocking(row.blocking_open);
  }
  so.setOverrideReason(now.override_reason);
  so.setRequiredSignatures(options.required_signatures);
  plan.drafts.push_back(std::move(draft));
  plan.statement = std::move(now);
  return plan;
}

void add_log_signature(SignOffPlan& plan, const SigningKey& log_key) {
  auto so = plan.drafts.front().entry().getKind().getSignOff();
  const NoteSignature sig = sign_note_text(plan.statement.text(), log_key);
  auto slot = so.getSignatures()[plan.log_signature_slot];
  auto event = slot.initKeyEvent();  // entry 0 registers the log key
  event.setIndex(0);
  event.setHash(kj::arrayPtr(plan.log_key_event.data(), plan.log_key_event.size()));
  const Hash id = log_key.id();
  slot.setKeyId(kj::arrayPtr(id.data(), id.size()));
  slot.setKeyName(log_key.name());
  slot.setSignature(kj::arrayPtr(reinterpret_cast<const uint8_t*>(sig.signature.data()), sig.signature.size()));
}

Result<std::string> signoff_note(const DecodedEntry& sign_off) {
  if (!sign_off.reader().getKind().isSignOff()) return Error::invalid("not a SignOff entry");
  auto so = sign_off.reader().getKind().getSignOff();
  Note note{match::text_of(so.getStatement()), {}};
  // The log's signature first, as on the ledger's own checkpoints; then finance, in order.
  const auto sigs = so.getSignatures();
  for (unsigned pass = 0; pass < 2; ++pass) {
    for (auto s : sigs) {
      const bool is_log = s.getKeyEvent().getIndex() == 0;
      if (is_log != (pass == 0)) continue;
      NoteSignature line;
      line.name = match::text_of(s.getKeyName());
      const auto id = s.getKeyId();
      line.hash = id.size() >= 4 ? (uint32_t{id[0]} << 24 | uint32_t{id[1]} << 16 | uint32_t{id[2]} << 8 | id[3]) : 0;
      line.signature.assign(reinterpret_cast<const char*>(s.getSignature().begin()), s.getSignature().size());
      note.signatures.push_back(std::move(line));
    }
  }
  return note.to_string();
}

Result<std::string> sign_statement(std::string_view statement_text, const SigningKey& key) {
  CB_TRY(Statement s, parse_statement(statement_text));
  (void)s;  // only a sign-off statement is signed: never arbitrary text
  return sign_note_text(statement_text, key).line();
}

}  // namespace closebook::close
