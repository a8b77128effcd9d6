#include "close/lineage.h"

#include <algorithm>
#include <set>

#include "match/book.h"
#include "match/fields.h"
#include "match/period.h"

namespace closebook::close {
namespace {

using match::Ref;
using match::ref_of;
using match::text_of;
using Kind = schema::Entry::Kind;

class Collector {
 public:
  explicit Collector(Lineage& out) : out_(out) {}
  // An entry reached both through a sealed part and otherwise is not sealed.
  void add(const std::string& role, const Ref& ref, bool sealed = false) {
    auto [at, fresh] = seen_.try_emplace(ref.index, out_.items.size());
    if (fresh) {
      out_.items.push_back({role, ref, sealed});
    } else if (!sealed) {
      out_.items[at->second].sealed = false;
    }
  }
  bool has(uint64_t index) const { return seen_.count(index) != 0; }

 private:
  Lineage& out_;
  std::map<uint64_t, size_t> seen_;  // index -> position in out_.items
};

// Adds the entries filed as citing entry `index` (ledger/indexes.h).
Status add_citing(const ledger::Snapshot& snapshot, uint64_t index, std::set<uint64_t>& out) {
  CB_TRY(std::vector<uint64_t> found, snapshot.lookup("cites", std::to_string(index)));
  out.insert(found.begin(), found.end());
  return {};
}

// A priced line and what it was priced from (docs/evidence.md R5): its rule version, FX lock
// and the rate it fixes, its usage records, and its partner as the line was priced — the floor
// R31 compares its margin with when the rule names none.
Status add_line_core(const ledger::Snapshot& snapshot, PeriodTrail& trail, Collector& c, const DecodedEntry& line) {
  auto l = line.reader().getKind().getPricedLine();
  const uint64_t at = line.reader().getIndex();
  c.add("priced_line", Ref{at, line.hash()});
  CB_TRY(match::LineCostInfo cost, match::line_cost(snapshot, l));  // checks a sealed line's LineCost
  const bool sealed = l.getCost().getHash().size() != 0;
  if (sealed) c.add("line_cost", ref_of(l.getCost()));
  c.add("rule_version", cost.rule, sealed);
  CB_TRY(std::optional<Ref> partner, partner_before(snapshot, trail, text_of(l.getPartnerId()), at));
  if (partner) c.add("partner", *partner);
  if (l.getFxLock().getHash().size() != 0) {
    const Ref lock = ref_of(l.getFxLock());
    c.add("fx_lock", lock);
    CB_TRY(DecodedEntry lock_entry, snapshot.entry(lock.index));
    c.add("fx_rate", ref_of(lock_entry.reader().getKind().getFxLock().getRateRef()));
  }
  // A rated usage record carries the vendor's price (its cost to the distributor): a partner
  // is shown only its hash when the line is sealed (docs/evidence.md §5).
  for (auto u : l.getUsage()) {
    bool rated = false;
    if (sealed) {
      CB_TRY(DecodedEntry record, snapshot.entry(u.getIndex()));
      auto r = record.reader().getKind().getUsageRecord();
      rated = r.getVendorUnitPrice().size() != 0 || r.getVendorAmount().size() != 0;
    }
    c.add("usage", ref_of(u), rated);
  }
  return {};
}

// Invoice chunk `chunk` and the invoice headers citing it (docs/close.md §4), kept in the trail:
// each is read once however many of the chunk's lines are met.
Result<const PeriodTrail::Chunk*> remember_chunk(const ledger::Snapshot& snapshot, PeriodTrail& trail,
                                                 const DecodedEntry& chunk) {
  const uint64_t at = chunk.reader().getIndex();
  PeriodTrail::Chunk met{Ref{at, chunk.hash()}, {}};
  std::set<uint64_t> citing;
  CB_CHECK(add_citing(snapshot, at, citing));
  for (uint64_t h : citing) {
    CB_TRY(DecodedEntry header, snapshot.entry(h));
    if (!header.reader().getKind().isInvoice()) continue;
    met.headers.push_back(Ref{h, header.hash()});
    trail.invoices.emplace(h, Ref{h, header.hash()});
  }
  return &trail.chunks.emplace(at, std::move(met)).first->second;
}

void add_chunk(Collector& c, const PeriodTrail::Chunk& chunk) {
  c.add("invoice_chunk", chunk.ref);
  for (const Ref& h : chunk.headers) c.add("invoice", h);
}

}  // namespace

bool hidden_from(const std::string& role, Audience audience) {
  if (audience == Audience::kStaff) return false;
  // A partner is kept from the distributor's costs and totals (docs/evidence.md §5): a sealed
  // line's LineCost and a sign-off's summary (and, by for_audience, the rules priced it).
  static const std::set<std::string> kStaffOnly = {"match_result", "match_run", "vendor_invoice_line", "exception",
                                                   "exception_update", "journal_posting", "posting_ack",
                                                   "line_cost", "signoff_summary"};
  static const std::set<std::string> kGlMayNot = {"match_result", "match_run", "vendor_invoice_line", "exception",
                                                  "exception_update"};
  return (audience == Audience::kGl ? kGlMayNot : kStaffOnly).count(role) != 0;
}

Lineage for_audience(Lineage lineage, Audience audience) {
  std::erase_if(lineage.items, [&](const LineageItem& item) {
    return hidden_from(item.role, audience) || (item.sealed && audience == Audience::kPartner);
  });
  return lineage;
}

Result<DecodedEntry> current_priced_line(const ledger::Snapshot& snapshot, const std::string& line_id) {
  CB_TRY(std::optional<DecodedEntry> found,
         match::latest_entry(snapshot, "line", line_id, schema::Entry::Kind::PRICED_LINE));
  if (!found) return Error::not_found("no priced line " + line_id);
  return std::move(*found);
}

Result<Lineage> line_lineage(const ledger::Snapshot& snapshot, const std::string& line_id) {
  CB_TRY(DecodedEntry line, current_priced_line(snapshot, line_id));
  return line_lineage_at(snapshot, line.reader().getIndex());
}

Result<PeriodTrail> period_trail(const ledger::Snapshot& snapshot, const std::string& period) {
  PeriodTrail trail;
  trail.period = period;
  CB_TRY(auto sign_offs, match::entries_of_period(snapshot, "signOff", period));
  for (const DecodedEntry& e : sign_offs) {
    PeriodTrail::Item item{Ref{e.reader().getIndex(), e.hash()}, {}, {}};
    auto so = e.reader().getKind().getSignOff();
    for (auto sig : so.getSignatures()) item.key_events.push_back(ref_of(sig.getKeyEvent()));
    if (so.getSummary().getHash().size() != 0) item.summary = ref_of(so.getSummary());
    trail.sign_offs.push_back(std::move(item));
  }
  CB_TRY(auto reopens, match::entries_of_period(snapshot, "periodReopen", period));
  for (const DecodedEntry& e : reopens) {
    trail.reopens.push_back({Ref{e.reader().getIndex(), e.hash()}, {}, {e.reader().getKind().getPeriodReopen().getCause().getIndex()}});
  }
  CB_TRY(auto postings, match::entries_of_period(snapshot, "journalPosting", period));
  for (const DecodedEntry& e : postings) {
    PeriodTrail::Item item{Ref{e.reader().getIndex(), e.hash()}, {}, {}, {}};
    for (auto jl : e.reader().getKind().getJournalPosting().getLines()) {
      for (auto r : jl.getRefs()) item.cites.insert(r.getIndex());
      const bool new_lock = jl.getFxLock().getHash().size() != 0 &&
                            std::none_of(item.fx_locks.begin(), item.fx_locks.end(),
                                         [&](const auto& r) { return r.first.index == jl.getFxLock().getIndex(); });
      if (!new_lock) continue;
      CB_TRY(DecodedEntry lock, snapshot.entry(jl.getFxLock().getIndex()));
      if (!lock.reader().getKind().isFxLock()) {
        return Error::corruption("journal posting line cites entry " + std::to_string(jl.getFxLock().getIndex()) +
                                 " as its FX lock, which is not one").at_entry(e.reader().getIndex());
      }
      item.fx_locks.emplace_back(ref_of(jl.getFxLock()), ref_of(lock.reader().getKind().getFxLock().getRateRef()));
    }
    trail.postings.push_back(std::move(item));
  }
  CB_TRY(auto acks, match::entries_of_period(snapshot, "postingAck", period));
  for (const DecodedEntry& e : acks) {
    trail.acks.push_back({Ref{e.reader().getIndex(), e.hash()}, {}, {e.reader().getKind().getPostingAck().getPosting().getIndex()}});
  }
  return trail;
}

Result<std::optional<Ref>> partner_before(const ledger::Snapshot& snapshot, PeriodTrail& trail,
                                          const std::string& partner_id, uint64_t at) {
  if (!trail.partner_versions) {
    std::map<std::string, std::vector<Ref>> versions;
    CB_TRY(std::vector<uint64_t> all, snapshot.lookup("kind", "partner"));
    for (uint64_t i : all) {
      CB_TRY(DecodedEntry p, snapshot.entry(i));
      if (!p.reader().getKind().isPartner()) return Error::corruption("entry " + std::to_string(i) + " is filed as a partner but is not one");
      versions[text_of(p.reader().getKind().getPartner().getPartnerId())].push_back(Ref{i, p.hash()});
    }
    trail.partner_versions = std::move(versions);
  }
  auto found = trail.partner_versions->find(partner_id);
  if (found == trail.partner_versions->end()) return std::optional<Ref>();
  const std::vector<Ref>& versions = found->second;  // ascending: the index lists in ledger order
  auto after = std::lower_bound(versions.begin(), versions.end(), at,
                                [](const Ref& r, uint64_t index) { return r.index < index; });
  if (after == versions.begin()) return std::optional<Ref>();
  return std::optional<Ref>(*std::prev(after));
}

Result<Lineage> line_lineage_at(const ledger::Snapshot& snapshot, uint64_t index) {
  PeriodTrail none;
  return line_lineage_at(snapshot, index, none);
}

Result<Lineage> line_lineage_at(const ledger::Snapshot& snapshot, uint64_t index, PeriodTrail& given) {
  CB_TRY(DecodedEntry found, snapshot.entry(index));
  if (!found.reader().getKind().isPricedLine()) return Error::invalid("entry " + std::to_string(index) + " is not a priced line");
  // A credit may bill a line of another period than the trail's: that line gets its own.
  PeriodTrail own;
  const std::string period = text_of(found.reader().getKind().getPricedLine().getPeriod());
  if (period != given.period) {
    CB_TRY(own, period_trail(snapshot, period));
  }
  PeriodTrail& trail = period == given.period ? given : own;
  const std::string line_id = text_of(found.reader().getKind().getPricedLine().getLineId());
  std::optional<DecodedEntry> line(std::move(found));
  Lineage out;
  out.line_id = line_id;
  Collector c(out);
  auto l = line->reader().getKind().getPricedLine();
  out.period = text_of(l.getPeriod());
  const uint64_t at = line->reader().getIndex();
  CB_CHECK(add_line_core(snapshot, trail, c, *line));

  // Its credits and disputes, by its id.
  std::set<uint64_t> credits, disputes;
  CB_TRY(std::vector<uint64_t> by_line_id, snapshot.lookup("line", line_id));
  for (uint64_t i : by_line_id) {
    CB_TRY(DecodedEntry e, snapshot.entry(i));
    if (e.reader().getKind().isCredit()) credits.insert(i);
    if (e.reader().getKind().isDispute() && e.reader().getKind().getDispute().getLine().getIndex() == at) disputes.insert(i);
  }
  // What cites it or its credits (match results, exceptions, invoices): index lookups, in
  // ledger order, however large the period.
  std::set<uint64_t> citing_line, citing_credits;
  CB_CHECK(add_citing(snapshot, at, citing_line));
  for (uint64_t i : credits) CB_CHECK(add_citing(snapshot, i, citing_credits));

  // The match results that compared it, with what they compared it against.
  std::set<uint64_t> exception_entries;
  for (uint64_t i : citing_line) {
    if (trail.billed_by(i)) continue;
    CB_TRY(DecodedEntry e, snapshot.entry(i));
    if (!e.reader().getKind().isMatchResult()) continue;
    auto r = e.reader().getKind().getMatchResult();
    c.add("match_result", Ref{i, e.hash()});
    c.add("match_run", ref_of(r.getRun()));
    for (auto v : r.getInvoiceLines()) c.add("vendor_invoice_line", ref_of(v));
    // Exceptions raised on its match key.
    for (auto id : r.getExceptionIds()) {
      CB_TRY(std::vector<uint64_t> raised, snapshot.lookup("exception", text_of(id)));
      exception_entries.insert(raised.begin(), raised.end());
    }
  }
  // Its exceptions: raised on its match key, or citing it or its credits (e.g. a margin-floor
  // breach, a credit recovery, a dispute).
  for (const auto* citing : {&citing_line, &citing_credits}) exception_entries.insert(citing->begin(), citing->end());
  for (uint64_t i : exception_entries) {
    if (trail.billed_by(i)) continue;
    CB_TRY(DecodedEntry e, snapshot.entry(i));
    if (!e.reader().getKind().isException()) continue;
    c.add("exception", Ref{i, e.hash()});
    CB_TRY(std::vector<uint64_t> updates, snapshot.lookup("exception", text_of(e.reader().getKind().getException().getExceptionId())));
    for (uint64_t u : updates) {
      CB_TRY(DecodedEntry ue, snapshot.entry(u));
      if (ue.reader().getKind().isExceptionUpdate()) c.add("exception_update", Ref{u, ue.hash()});
    }
  }
  // Sign-offs of its period after it, and the keys that signed them.
  for (const PeriodTrail::Item& s : trail.sign_offs) {
    if (s.ref.index < at) continue;
    c.add("sign_off", s.ref);
    if (s.summary) c.add("signoff_summary", *s.summary);
    for (const Ref& key : s.key_events) c.add("key_event", key);
  }
  // Invoices billing it or its credit notes.
  std::set<uint64_t> invoices(citing_line);
  invoices.insert(citing_credits.begin(), citing_credits.end());
  for (uint64_t i : invoices) {
    if (auto known = trail.invoices.find(i); known != trail.invoices.end()) {
      c.add("invoice", known->second);
      continue;
    }
    if (auto known = trail.chunks.find(i); known != trail.chunks.end()) {
      add_chunk(c, known->second);
      continue;
    }
    CB_TRY(DecodedEntry e, snapshot.entry(i));
    if (e.reader().getKind().isInvoiceChunk()) {
      CB_TRY(const PeriodTrail::Chunk* met, remember_chunk(snapshot, trail, e));
      add_chunk(c, *met);
      continue;
    }
    if (!e.reader().getKind().isInvoice()) continue;
    c.add("invoice", Ref{i, e.hash()});
    trail.invoices.emplace(i, Ref{i, e.hash()});
  }
  for (uint64_t i : credits) {
    CB_TRY(DecodedEntry e, snapshot.entry(i));
    c.add("credit", Ref{i, e.hash()});
    // The other lines it credits, so that R16 sums the credits of each against what it billed.
    for (auto credited : e.reader().getKind().getCredit().getLines()) {
      if (c.has(credited.getIndex())) continue;
      CB_TRY(DecodedEntry other, snapshot.entry(credited.getIndex()));
      CB_CHECK(add_line_core(snapshot, trail, c, other));
    }
  }
  for (uint64_t i : disputes) {
    CB_TRY(DecodedEntry e, snapshot.entry(i));
    c.add("dispute", Ref{i, e.hash()});
  }
  // Every reopen of the period, whatever reopened it: a verifier proves a later sign-off of the
  // period by the reopen before it (docs/evidence.md R18).
  for (const PeriodTrail::Item& r : trail.reopens) c.add("period_reopen", r.ref);
  // Journal postings that sum it or one of its invoices, and the GL's acknowledgements of them.
  for (const PeriodTrail::Item& p : trail.postings) {
    if (!std::any_of(p.cites.begin(), p.cites.end(), [&](uint64_t i) { return c.has(i); })) continue;
    c.add("journal_posting", p.ref);
    for (const auto& [lock, rate] : p.fx_locks) {
      c.add("fx_lock", lock);
      c.add("fx_rate", rate);
    }
  }
  for (const PeriodTrail::Item& a : trail.acks) {
    if (c.has(*a.cites.begin())) c.add("posting_ack", a.ref);
  }
  return out;
}

}  // namespace closebook::close
