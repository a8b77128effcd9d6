#include "close/signoff.h"

#include <map>
#include <set>
#include <sstream>

#include "close/keys.h"
#include "match/book.h"
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
    CB_TRY(match::LineCostInfo cost, match::line_cost(snapshot, l));
    CB_TRY(Decimal sell, match::decimal_of(l.getSellAmount()));
    ++t.lines;
    CB_TRY(t.cost, t.cost.add(cost.cost_amount));
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

namespace {

// The statement of `period` for tree head `at` (origin, size, root; no extensions), from what
// `snapshot` holds of the period, which has not changed since `at` (plan_signoff checks).
Result<Statement> build_statement_at(const ledger::Snapshot& snapshot, const std::string& period,
                                     const std::string& override_reason, const Checkpoint& at) {
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
  s.head = at;
  auto& ext = s.summary_lines;
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
  // The salt makes the digest hide the summary from whoever sees the statement alone; derived,
  // not drawn, so the statement is made again the same at submission (docs/close.md §1).
  CB_TRY(s.summary_salt, snapshot.derived_salt(std::string(kSummaryTag) + "\n" + s.head.origin + "\n" +
                                                 std::to_string(s.head.size) + "\n" + to_hex(s.head.root) + "\n" + period));
  s.summary_digest = summary_digest(s.summary_salt, s.summary_lines);
  s.head.extensions = {std::string(kStatementTag), "period " + period,
                       "summary " + to_base64(Bytes(s.summary_digest))};
  return s;
}

}  // namespace

Result<Statement> build_statement(const ledger::Snapshot& snapshot, const std::string& period,
                                  const std::string& override_reason) {
  Checkpoint head;
  CB_TRY(head.origin, log_origin(snapshot));
  head.size = snapshot.size();
  CB_TRY(head.root, snapshot.root(snapshot.size()));
  return build_statement_at(snapshot, period, override_reason, head);
}

Hash summary_digest(const Hash& salt, const std::vector<std::string>& lines) {
  std::string text = std::string(kSummaryTag) + "\n";
  text.append(reinterpret_cast<const char*>(salt.data()), salt.size());
  for (size_t i = 0; i < lines.size(); ++i) text += (i ? "\n" : "") + lines[i];
  return sha256(text);
}

std::string Statement::summary_text() const {
  std::string out = "salt " + to_hex(summary_salt) + "\n";
  for (const std::string& line : summary_lines) out += line + "\n";
  return out;
}

Status check_summary(const Statement& statement, std::string_view summary_text) {
  std::vector<std::string> lines;
  for (size_t at = 0; at < summary_text.size();) {
    const size_t end = summary_text.find('\n', at);
    if (end == std::string_view::npos) return Error::invalid("the summary does not end with a newline");
    lines.emplace_back(summary_text.substr(at, end - at));
    at = end + 1;
  }
  if (lines.empty() || !lines.front().starts_with("salt ")) return Error::invalid("the summary has no salt line");
  CB_TRY(Hash salt, hash_from_hex(lines.front().substr(5)));
  lines.erase(lines.begin());
  if (summary_digest(salt, lines) != statement.summary_digest) {
    return Error::invalid("the summary is not the one the statement's summary line commits to");
  }
  return {};
}

Result<Statement> parse_statement(std::string_view text) {
  auto head = Checkpoint::parse(text);
  if (!head.ok()) return Error::invalid("the statement is not a checkpoint: " + head.error().message);
  Statement s;
  s.head = std::move(*head);
  const auto& ext = s.head.extensions;
  if (!ext.empty() && ext[0] == "closebook-signoff/v1") {
    return Error::invalid("the statement is closebook-signoff/v1, made by an older closebook: make a new statement");
  }
  if (ext.size() != 3 || ext[0] != kStatementTag) {
    return Error::invalid("the statement is not a \"" + std::string(kStatementTag) + "\" statement (its lines after the root: " +
                          std::string(kStatementTag) + ", period, summary)");
  }
  const std::vector<std::string> period = words(ext[1]), summary = words(ext[2]);
  if (period.size() != 2 || period[0] != "period" || !Period::parse(period[1]).ok()) {
    return Error::invalid("the statement's fifth line is not \"period YYYY-MM\"");
  }
  s.period = period[1];
  auto digest = summary.size() == 2 && summary[0] == "summary" ? from_base64(summary[1]) : Result<std::string>(Error::invalid(""));
  if (!digest.ok() || digest->size() != s.summary_digest.size() || ext[2] != "summary " + summary[1]) {
    return Error::invalid("the statement's sixth line is not \"summary <base64 of 32 bytes>\"");
  }
  std::copy(digest->begin(), digest->end(), s.summary_digest.begin());
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
  CB_TRY(Statement now, build_statement_at(snapshot, claimed.period, options.override_reason, claimed.head));
  if (now.text() != statement_text) {
    return Error::invalid("the statement does not describe period " + claimed.period +
                          " as the ledger has it (an exception was worked, the text was changed, or it was made with an "
                          "override reason this submission does not give); make a new statement");
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

  // The summary, then the SignOff citing it: a partner shown the SignOff is shown only the
  // summary's hash (docs/evidence.md §5).
  ledger::Draft summary;
  summary.entry().setEffective(now.period);
  auto sum = summary.entry().getKind().initSignOffSummary();
  sum.setPeriod(now.period);
  auto lines = sum.initLines(static_cast<unsigned>(now.summary_lines.size()));
  for (unsigned i = 0; i < now.summary_lines.size(); ++i) lines.set(i, now.summary_lines[i]);
  sum.setSalt(kj::arrayPtr(now.summary_salt.data(), now.summary_salt.size()));
  plan.drafts.push_back(std::move(summary));

  ledger::Draft draft;
  draft.entry().setEffective(now.period);
  auto so = draft.entry().getKind().initSignOff();
  so.initSummary();
  draft.link([](schema::Entry::Builder en) { return en.getKind().getSignOff().getSummary(); }, 0);
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
  so.setRequiredSignatures(options.required_signatures);
  plan.drafts.push_back(std::move(draft));
  plan.statement = std::move(now);
  return plan;
}

void add_log_signature(SignOffPlan& plan, const SigningKey& log_key) {
  auto so = plan.drafts.back().entry().getKind().getSignOff();
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
