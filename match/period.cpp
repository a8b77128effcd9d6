#include "match/period.h"

#include <algorithm>

namespace closebook::match {

const char* PeriodState::name() const {
  if (!sign_off) return match_run ? "matched" : "open";
  if (journals > 0 && journals_unposted == 0) return "posted";
  if (invoice) return "invoiced";
  return "signed";
}

namespace {

using K = schema::Entry::Kind;

Result<std::vector<Ref>> milestones(const ledger::Snapshot& snapshot, const char* kind, const std::string& period) {
  CB_TRY(std::vector<DecodedEntry> entries, entries_of_period(snapshot, kind, period));
  std::vector<Ref> out;
  for (const DecodedEntry& e : entries) out.push_back(Ref{e.reader().getIndex(), e.hash()});
  return out;
}

// What the match reads: a newer one means the period must be matched again.
constexpr const char* kMatchInputs[] = {"pricedLine", "invoiceLine", "usageRecord"};

// How many journals of the sign-off at `sign_off` no PostingAck acknowledges: the period is
// posted when every one of them is, whatever the order the GL posts them in.
Status count_unposted(const ledger::Snapshot& snapshot, const std::string& period, uint64_t sign_off, PeriodState& state) {
  CB_TRY(std::vector<DecodedEntry> postings, entries_of_period(snapshot, "journalPosting", period));
  CB_TRY(std::vector<DecodedEntry> acks, entries_of_period(snapshot, "postingAck", period));
  for (const DecodedEntry& p : postings) {
    if (p.reader().getKind().getJournalPosting().getSignOff().getIndex() != sign_off) continue;
    const uint64_t at = p.reader().getIndex();
    ++state.journals;
    const bool acked = std::any_of(acks.begin(), acks.end(), [&](const DecodedEntry& a) {
      return a.reader().getKind().getPostingAck().getPosting().getIndex() == at;
    });
    if (!acked) ++state.journals_unposted;
  }
  return {};
}

}  // namespace

Result<std::vector<DecodedEntry>> entries_of_period(const ledger::Snapshot& snapshot, const char* kind,
                                                    const std::string& period) {
  CB_TRY(std::vector<uint64_t> indexes, snapshot.lookup("kind", kind));
  std::vector<DecodedEntry> out;
  for (uint64_t i : indexes) {
    CB_TRY(DecodedEntry e, snapshot.entry(i));
    if (e.reader().getEffective() == period) out.push_back(std::move(e));
  }
  return out;
}

Result<PeriodState> period_state(const ledger::Snapshot& snapshot, const std::string& period) {
  PeriodState state;
  CB_TRY(auto runs, milestones(snapshot, "matchRun", period));
  CB_TRY(auto sign_offs, milestones(snapshot, "signOff", period));
  CB_TRY(auto reopens, milestones(snapshot, "periodReopen", period));
  CB_TRY(auto invoices, milestones(snapshot, "invoice", period));
  CB_TRY(auto acks, milestones(snapshot, "postingAck", period));
  if (!runs.empty()) state.match_run = runs.back();
  state.sign_off_count = static_cast<unsigned>(sign_offs.size());
  if (!sign_offs.empty()) {
    state.last_sign_off = sign_offs.back();
    const uint64_t at = sign_offs.back().index;
    if (!reopens.empty() && reopens.back().index > at) {
      state.reopen = reopens.back();
    } else {
      state.sign_off = sign_offs.back();
      if (!invoices.empty() && invoices.back().index > at) state.invoice = invoices.back();
      if (!acks.empty() && acks.back().index > at) state.posting_ack = acks.back();
      CB_CHECK(count_unposted(snapshot, period, at, state));
    }
  }
  // The newest input: the last entry of the period of each kind the match reads.
  for (const char* kind : kMatchInputs) {
    CB_TRY(std::optional<uint64_t> last, snapshot.lookup_last("period_kind", period + "/" + kind));
    if (last && (!state.last_match_input || *state.last_match_input < *last)) state.last_match_input = last;
  }
  return state;
}

Status check_period_unbilled(const ledger::Snapshot& snapshot, const std::string& period) {
  CB_TRY(auto invoices, milestones(snapshot, "invoice", period));
  if (invoices.empty()) return {};
  return Error::invalid("period " + period + " has been invoiced (entry " + std::to_string(invoices.front().index) +
                        "): its lines are billed; a correction is a credit");
}

Result<std::optional<DecodedEntry>> latest_entry(const ledger::Snapshot& snapshot, std::string_view name,
                                                 std::string_view value, schema::Entry::Kind::Which which) {
  CB_TRY(std::vector<uint64_t> indexes, snapshot.lookup(name, value));
  for (auto it = indexes.rbegin(); it != indexes.rend(); ++it) {
    CB_TRY(DecodedEntry e, snapshot.entry(*it));
    if (e.reader().getKind().which() == which) return std::optional<DecodedEntry>(std::move(e));
  }
  return std::optional<DecodedEntry>();
}

Status check_period_open(const ledger::Snapshot& snapshot, const std::string& period) {
  CB_TRY(PeriodState state, period_state(snapshot, period));
  if (!state.sign_off) return {};
  return Error::invalid("period " + period + " is signed off (entry " + std::to_string(state.sign_off->index) +
                        "): its lines are sealed; a credit reopens it");
}

}  // namespace closebook::match
