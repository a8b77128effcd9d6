#include "close/journal.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "close/invoice.h"
#include "evidence/decimal.h"
#include "match/book.h"
#include "match/fields.h"
#include "match/findings.h"
#include "match/period.h"

namespace closebook::close {
namespace {

using match::Ref;
using match::ref_of;
using match::text_of;

// An invoice's currency into its journal's, at the period's FX lock of the pair. Either way
// round: a lock of invoice → journal currency multiplies, one of journal → invoice currency
// divides; both round half-even to the cent (docs/close.md §5).
struct Conversion {
  std::string from;
  Decimal rate;
  bool divide = false;
  std::optional<Ref> lock;              // the FxLock in the ledger, or
  std::optional<size_t> lock_position;  // the one this plan appends (its batch position)

  Result<Decimal> apply(const Decimal& amount) const {
    if (divide) return amount.div(rate, 2, Rounding::kHalfEven);
    CB_TRY(Decimal product, amount.mul(rate));
    return product.round(2, Rounding::kHalfEven);
  }
};

// The period's FX locks: the first FxLock of each pair in the ledger (pricing's or the
// match's), else one this plan appends by the same policy (match::fx_lock_draft).
class Locks {
 public:
  Locks(const ledger::Snapshot& snapshot, const std::string& period, std::vector<ledger::Draft>& drafts)
      : snapshot_(snapshot), period_(period), drafts_(drafts) {}

  Result<const Conversion*> conversion(const std::string& from, const std::string& to) {
    const std::string key = from + "/" + to;
    if (auto it = made_.find(key); it != made_.end()) return &it->second;
    CB_CHECK(load_locked());
    if (locked_.count(key) == 0 && locked_.count(to + "/" + from) == 0) {
      CB_CHECK(lock_now(from, to));
    }
    Conversion c;
    c.from = from;
    auto it = locked_.find(key);
    if (it == locked_.end()) {
      it = locked_.find(to + "/" + from);
      c.divide = true;
    }
    c.rate = it->second.rate;
    c.lock = it->second.lock;
    c.lock_position = it->second.position;
    if (c.rate.sign() <= 0) return Error::invalid("the FX lock " + it->first + " of period " + period_ + " is not positive");
    return &(made_[key] = std::move(c));
  }

 private:
  struct Locked {
    Decimal rate;
    std::optional<Ref> lock;              // in the ledger, or
    std::optional<size_t> position;       // appended by this plan
  };

  Status load_locked() {
    if (loaded_) return {};
    loaded_ = true;
    CB_TRY(std::vector<DecodedEntry> locks, match::entries_of_period(snapshot_, "fxLock", period_));
    for (const DecodedEntry& e : locks) {
      auto f = e.reader().getKind().getFxLock();
      CB_TRY(Decimal rate, match::decimal_of(f.getRate()));
      // Fixed once: the first lock of a pair is the period's.
      locked_.emplace(text_of(f.getBase()) + "/" + text_of(f.getQuote()), Locked{rate, Ref{e.reader().getIndex(), e.hash()}, std::nullopt});
    }
    return {};
  }

  // A direct rate before an inverse one, both by the pricing policy (match::kFxPolicy).
  Status lock_now(const std::string& from, const std::string& to) {
    if (!book_) {
      CB_TRY(match::PriceBook book, match::PriceBook::load(snapshot_));
      book_ = std::move(book);
    }
    CB_TRY(Period period, Period::parse(period_));
    const match::FxInfo* fx = book_->fx(from, to, period);
    if (fx == nullptr) fx = book_->fx(to, from, period);
    if (fx == nullptr) {
      return Error::invalid("no FX rate " + from + "/" + to + " (or " + to + "/" + from + ") dated on or before " +
                            period.first_day().to_iso() + " to convert period " + period_ + "'s " + from +
                            " invoices: load one with `closebook load fx`");
    }
    locked_.emplace(fx->base + "/" + fx->quote, Locked{fx->rate, std::nullopt, drafts_.size()});
    drafts_.push_back(match::fx_lock_draft(period, *fx));
    return {};
  }

  const ledger::Snapshot& snapshot_;
  const std::string period_;
  std::vector<ledger::Draft>& drafts_;
  bool loaded_ = false;
  std::map<std::string, Locked> locked_;  // "BASE/QUOTE" -> the period's lock
  std::map<std::string, Conversion> made_;                 // "FROM/TO"
  std::optional<match::PriceBook> book_;
};

struct Line {
  std::string role, account, description, tax_rate, partner, vendor;
  Decimal amount;  // positive = debit, in the journal's currency
  std::vector<Ref> refs;
  std::optional<Decimal> source;        // the amount converted, in conversion->from
  const Conversion* conversion = nullptr;
};

// The lines of one organisation's journal (docs/close.md §5 gives the order; the verifier's
// R19 recomputes them).
class JournalBuilder {
 public:
  JournalBuilder(const ledger::Snapshot& snapshot, const match::GlOrganisation& org, Locks& locks)
      : snapshot_(snapshot), org_(org), locks_(locks) {}

  Status add_invoice(const DecodedEntry& e) {
    auto inv = e.reader().getKind().getInvoice();
    const Ref ref{e.reader().getIndex(), e.hash()};
    const std::string partner = text_of(inv.getPartnerId()), id = text_of(inv.getInvoiceId()),
                      currency = text_of(inv.getCurrency());
    const bool taxable = inv.getGstTreatment() == schema::Invoice::GstTreatment::TAXABLE;
    const Conversion* conversion = nullptr;
    if (currency != org_.base_currency) {
      CB_TRY(conversion, locks_.conversion(currency, org_.base_currency));
    }
    CB_TRY(Decimal subtotal, match::decimal_of(inv.getSubtotal()));
    CB_TRY(Decimal gst, match::decimal_of(inv.getGst()));
    CB_TRY(Decimal total, match::decimal_of(inv.getTotal()));
    Decimal subtotal_in = subtotal, gst_in = gst;
    if (conversion != nullptr) {
      CB_TRY(subtotal_in, conversion->apply(subtotal));
      CB_TRY(gst_in, conversion->apply(gst));
    }
    // The receivable is the converted revenue plus the converted GST, so the invoice's lines
    // balance in the journal's currency whatever the rounding.
    CB_TRY(Decimal total_in, subtotal_in.add(gst_in));
    const match::JournalAccounts& a = org_.accounts;
    auto line = [&](const char* role, const std::string& account, const std::string& what, const std::string& rate,
                    const Decimal& amount, const Decimal& source) {
      Line l{role, account, what + " " + partner + " " + id, rate, partner, "", amount, {ref}, std::nullopt, conversion};
      if (conversion != nullptr) l.source = source;
      lines_.push_back(std::move(l));
    };
    line("receivable", a.receivable, "Receivable", a.tax_none, total_in, total);
    line(taxable ? "revenue" : "revenueGstFree", a.revenue, "Revenue", taxable ? a.tax_none : a.tax_export, subtotal_in.negated(), subtotal.negated());
    if (!gst.is_zero()) line("gst", a.gst, "GST collected", a.tax_none, gst_in.negated(), gst.negated());
    // The cost of every priced line the invoice bills (a credit note bills none), by vendor
    // and currency. The lines cite the invoice, not each priced line: it cites them, and a
    // posting that listed a period's lines passed the 4 MiB entry limit at 100,000 lines.
    auto visit = [&](schema::InvoiceItem::Reader item) -> Status {
      CB_TRY(DecodedEntry priced, snapshot_.entry(item.getLine().getIndex()));
      if (!priced.reader().getKind().isPricedLine()) return {};
      auto l = priced.reader().getKind().getPricedLine();
      CB_TRY(match::LineCostInfo cost, match::line_cost(snapshot_, l));
      Cost& c = costs_[{text_of(l.getVendor()), currency}];
      c.conversion = conversion;
      CB_TRY(c.amount, c.amount.add(cost.cost_amount));
      if (c.refs.empty() || c.refs.back().index != ref.index) c.refs.push_back(ref);
      return {};
    };
    return each_item(snapshot_, e, visit);
  }

  Result<std::vector<Line>> finish() {
    const match::JournalAccounts& a = org_.accounts;
    for (const auto& [key, c] : costs_) {
      const std::string& vendor = key.first;
      Decimal in = c.amount;
      if (c.conversion != nullptr) {
        CB_TRY(in, c.conversion->apply(c.amount));
      }
      auto source = c.conversion != nullptr ? std::optional<Decimal>(c.amount) : std::nullopt;
      lines_.push_back(Line{"cogs", a.cogs, "Cost of sales " + vendor, a.tax_none, "", vendor, in, c.refs, source, c.conversion});
      if (source) source = source->negated();
      lines_.push_back(Line{"payable", a.payable, "Payable clearing " + vendor, a.tax_none, "", vendor, in.negated(), c.refs,
                            source, c.conversion});
    }
    return std::move(lines_);
  }

 private:
  struct Cost {
    Decimal amount;  // in the invoices' currency
    std::vector<Ref> refs;
    const Conversion* conversion = nullptr;
  };
  const ledger::Snapshot& snapshot_;
  const match::GlOrganisation& org_;
  Locks& locks_;
  std::vector<Line> lines_;
  std::map<std::pair<std::string, std::string>, Cost> costs_;  // (vendor, invoice currency)
};

struct JournalHeader {
  std::string period, id;
  const match::GlOrganisation* org;
  Ref sign_off;
  std::vector<std::string> partners;  // sorted
};

// `out` is line `at` of the draft's posting.
void set_line(schema::JournalLine::Builder out, unsigned at, const Line& l, const Decimal& amount, ledger::Draft& draft) {
  out.setRole(l.role);
  out.setAccount(l.account);
  out.setDescription(l.description);
  out.setTaxRate(l.tax_rate);
  out.setAmount(amount.to_string());
  out.setPartner(l.partner);
  out.setVendor(l.vendor);
  auto refs = out.initRefs(static_cast<unsigned>(l.refs.size()));
  for (unsigned k = 0; k < l.refs.size(); ++k) match::set_ref(refs[k], l.refs[k]);
  if (l.conversion == nullptr) return;
  out.setSourceAmount(l.source->to_string());
  out.setSourceCurrency(l.conversion->from);
  out.setFxRate(l.conversion->rate.to_string());
  if (l.conversion->lock) {
    match::set_ref(out.initFxLock(), *l.conversion->lock);
  } else {
    out.initFxLock();
    draft.link([at](schema::Entry::Builder en) { return en.getKind().getJournalPosting().getLines()[at].getFxLock(); },
               *l.conversion->lock_position);
  }
}

Result<ledger::Draft> posting_draft(const JournalHeader& h, const std::vector<Line>& lines) {
  Decimal debit, credit;
  ledger::Draft draft;
  draft.entry().setEffective(h.period);
  auto p = draft.entry().getKind().initJournalPosting();
  p.setPeriod(h.period);
  p.setJournalId(h.id);
  match::set_ref(p.initSignOff(), h.sign_off);
  p.setCurrency(h.org->base_currency);
  p.setOrganisation(h.org->id);
  auto partners = p.initPartners(static_cast<unsigned>(h.partners.size()));
  for (unsigned i = 0; i < h.partners.size(); ++i) partners.set(i, h.partners[i]);
  auto out = p.initLines(static_cast<unsigned>(lines.size()));
  for (unsigned i = 0; i < lines.size(); ++i) {
    CB_TRY(Decimal amount, lines[i].amount.rescale(2));
    set_line(out[i], i, lines[i], amount, draft);
    if (amount.sign() > 0) {
      CB_TRY(debit, debit.add(amount));
    } else {
      CB_TRY(credit, credit.sub(amount));
    }
  }
  // Balanced by construction; checked all the same before anything is written.
  if (!(debit == credit)) {
    return Error::corruption("journal " + h.id + " does not balance: debits " + debit.to_string() + ", credits " +
                             credit.to_string());
  }
  CB_TRY(Decimal d2, debit.rescale(2));
  CB_TRY(Decimal c2, credit.rescale(2));
  p.setTotalDebit(d2.to_string());
  p.setTotalCredit(c2.to_string());
  return draft;
}

// The invoices of the sign-off, by the organisation that books them (in config order).
Result<std::vector<std::pair<const match::GlOrganisation*, std::vector<DecodedEntry>>>> invoices_by_organisation(
    const ledger::Snapshot& snapshot, const std::string& period, uint64_t sign_off, const match::JournalConfig& config) {
  CB_TRY(std::vector<DecodedEntry> invoices, match::entries_of_period(snapshot, "invoice", period));
  std::map<const match::GlOrganisation*, std::vector<DecodedEntry>> by_org;
  for (DecodedEntry& e : invoices) {
    auto inv = e.reader().getKind().getInvoice();
    if (inv.getPeriod() != period || inv.getSignOff().getIndex() != sign_off) continue;
    const std::string partner = text_of(inv.getPartnerId()), currency = text_of(inv.getCurrency());
    const match::GlOrganisation* org = config.organisation_of(partner, currency);
    if (org == nullptr) {
      return Error::invalid("invoice " + text_of(inv.getInvoiceId()) + " of partner " + partner + " in " + currency +
                            " is booked by no GL organisation: name the partner or the currency in journal.organisations")
          .in_field("journal.organisations");
    }
    by_org[org].push_back(std::move(e));
  }
  std::vector<std::pair<const match::GlOrganisation*, std::vector<DecodedEntry>>> out;
  for (const match::GlOrganisation& org : config.organisations) {
    if (auto it = by_org.find(&org); it != by_org.end()) out.emplace_back(&org, std::move(it->second));
  }
  return out;
}

}  // namespace

std::string JournalView::id() const { return text_of(posting.reader().getKind().getJournalPosting().getJournalId()); }

unsigned JournalView::issue() const {
  auto p = posting.reader().getKind().getJournalPosting();
  const std::string owner = p.getOrganisation().size() != 0 ? text_of(p.getOrganisation()) : text_of(p.getCurrency());
  const std::string prefix = "JNL-" + text_of(p.getPeriod()) + "-" + owner + "-", journal_id = id();
  if (journal_id.compare(0, prefix.size(), prefix) != 0) return 1;
  const std::string k = journal_id.substr(prefix.size());
  const bool number = !k.empty() && k.size() <= 6 && std::all_of(k.begin(), k.end(), [](char c) { return c >= '0' && c <= '9'; });
  return number ? static_cast<unsigned>(std::stoul(k)) : 1;
}

Result<JournalPlan> plan_journal(const ledger::Snapshot& snapshot, const std::string& period,
                                 const match::JournalConfig& config) {
  if (!Period::parse(period).ok()) return Error::invalid("the period \"" + period + "\" is not YYYY-MM").in_field("--period");
  CB_TRY(match::PeriodState state, match::period_state(snapshot, period));
  if (!state.sign_off) return Error::invalid("period " + period + " is not signed off (it is " + state.name() + ")");
  CB_TRY(auto by_org, invoices_by_organisation(snapshot, period, state.sign_off->index, config));
  if (by_org.empty()) {
    return Error::invalid("period " + period + " has no invoices under its sign-off yet: run `closebook invoice --period " + period + "`");
  }
  CB_TRY(std::vector<JournalView> written, period_journals(snapshot, period));
  JournalPlan plan;
  Locks locks(snapshot, period, plan.drafts);
  std::vector<std::pair<JournalHeader, std::vector<Line>>> journals;
  for (const auto& [org, invoices] : by_org) {
    JournalHeader h{period, "JNL-" + period + "-" + org->id + (state.sign_off_count > 1 ? "-" + std::to_string(state.sign_off_count) : ""),
                    org, *state.sign_off, {}};
    // Written before for this sign-off: it stands, even if the config changed since.
    const bool done = std::any_of(written.begin(), written.end(), [&](const JournalView& j) { return j.current && j.id() == h.id; });
    if (done) continue;
    JournalBuilder builder(snapshot, *org, locks);
    std::set<std::string> partners;
    for (const DecodedEntry& e : invoices) {
      CB_CHECK(builder.add_invoice(e));
      partners.insert(text_of(e.reader().getKind().getInvoice().getPartnerId()));
    }
    h.partners.assign(partners.begin(), partners.end());
    CB_TRY(std::vector<Line> lines, builder.finish());
    journals.emplace_back(std::move(h), std::move(lines));
  }
  // The FX locks first (their positions are what the lines link to), then the journals.
  for (const auto& [h, lines] : journals) {
    CB_TRY(ledger::Draft draft, posting_draft(h, lines));
    plan.drafts.push_back(std::move(draft));
    plan.journal_ids.push_back(h.id);
  }
  return plan;
}

Result<std::vector<JournalView>> period_journals(const ledger::Snapshot& snapshot, const std::string& period) {
  CB_TRY(match::PeriodState state, match::period_state(snapshot, period));
  CB_TRY(std::vector<DecodedEntry> postings, match::entries_of_period(snapshot, "journalPosting", period));
  CB_TRY(std::vector<DecodedEntry> acks, match::entries_of_period(snapshot, "postingAck", period));
  std::vector<JournalView> out;
  for (DecodedEntry& e : postings) {
    auto p = e.reader().getKind().getJournalPosting();
    if (p.getPeriod() != period) continue;
    JournalView v{std::move(e), false, std::nullopt, ""};
    v.current = state.sign_off && p.getSignOff().getIndex() == state.sign_off->index;
    for (const DecodedEntry& a : acks) {
      auto ack = a.reader().getKind().getPostingAck();
      if (ack.getPosting().getIndex() != v.posting.reader().getIndex()) continue;
      v.ack = a.reader().getIndex();
      v.gl_ref = text_of(ack.getGlRef());
      break;
    }
    out.push_back(std::move(v));
  }
  return out;
}

Result<std::vector<JournalView>> unacknowledged_journals(const ledger::Snapshot& snapshot) {
  CB_TRY(std::vector<uint64_t> postings, snapshot.lookup("kind", "journalPosting"));
  CB_TRY(std::vector<uint64_t> acks, snapshot.lookup("kind", "postingAck"));
  std::set<uint64_t> acknowledged;
  for (uint64_t i : acks) {
    CB_TRY(DecodedEntry a, snapshot.entry(i));
    acknowledged.insert(a.reader().getKind().getPostingAck().getPosting().getIndex());
  }
  std::map<std::string, match::PeriodState> states;
  std::vector<JournalView> out;
  for (uint64_t i : postings) {
    if (acknowledged.count(i) != 0) continue;
    CB_TRY(DecodedEntry e, snapshot.entry(i));
    const std::string period = text_of(e.reader().getKind().getJournalPosting().getPeriod());
    if (states.count(period) == 0) {
      CB_TRY(states[period], match::period_state(snapshot, period));
    }
    const auto& sign_off = states[period].sign_off;
    const bool current = sign_off && e.reader().getKind().getJournalPosting().getSignOff().getIndex() == sign_off->index;
    out.push_back(JournalView{std::move(e), current, std::nullopt, ""});
  }
  return out;
}

std::string journal_summary(const JournalView& journal, const match::JournalConfig& config) {
  auto p = journal.posting.reader().getKind().getJournalPosting();
  const std::string org_id = text_of(p.getOrganisation());
  std::string who = "the GL";
  if (const match::GlOrganisation* o = config.organisation(org_id)) {
    const char* gl = o->gl == match::GlSystem::kXero ? "Xero" : o->gl == match::GlSystem::kMyob ? "MYOB" : "NetSuite";
    who = std::string(gl) + " organisation " + o->id + " (" + o->name + ")";
  }
  return journal.id() + ": " + who + ", " + text_of(p.getCurrency()) + ", " + std::to_string(p.getLines().size()) +
         " lines, debits = credits " + text_of(p.getTotalDebit()) + ", " +
         (journal.ack ? "acknowledged as " + journal.gl_ref : std::string("not yet acknowledged"));
}

std::string journal_json(const JournalView& view) {
  const DecodedEntry& entry = view.posting;
  auto p = entry.reader().getKind().getJournalPosting();
  nlohmann::ordered_json j{{"journal_id", text_of(p.getJournalId())},
                           {"entry", entry.reader().getIndex()},
                           {"entry_hash", to_hex(entry.hash())},
                           {"period", text_of(p.getPeriod())},
                           {"organisation", text_of(p.getOrganisation())},
                           {"currency", text_of(p.getCurrency())},
                           {"sign_off", p.getSignOff().getIndex()},
                           {"current", view.current},
                           {"posted", view.ack.has_value()},
                           {"gl_ref", view.ack ? nlohmann::ordered_json(view.gl_ref) : nlohmann::ordered_json(nullptr)},
                           {"ack_entry", view.ack ? nlohmann::ordered_json(*view.ack) : nlohmann::ordered_json(nullptr)},
                           {"total_debit", text_of(p.getTotalDebit())},
                           {"total_credit", text_of(p.getTotalCredit())}};
  j["partners"] = nlohmann::ordered_json::array();
  for (auto partner : p.getPartners()) j["partners"].push_back(text_of(partner));
  j["lines"] = nlohmann::ordered_json::array();
  auto ref_json = [](schema::EntryRef::Reader r) {
    return nlohmann::ordered_json{{"index", r.getIndex()}, {"hash", to_hex(Bytes(r.getHash().begin(), r.getHash().size()))}};
  };
  for (auto l : p.getLines()) {
    nlohmann::ordered_json refs = nlohmann::ordered_json::array();
    for (auto r : l.getRefs()) refs.push_back(ref_json(r));
    nlohmann::ordered_json line{{"role", text_of(l.getRole())},       {"account", text_of(l.getAccount())},
                                {"description", text_of(l.getDescription())}, {"tax_rate", text_of(l.getTaxRate())},
                                {"amount", text_of(l.getAmount())},   {"partner", text_of(l.getPartner())},
                                {"vendor", text_of(l.getVendor())},   {"refs", refs}};
    if (l.getSourceCurrency().size() != 0) {
      line["source_amount"] = text_of(l.getSourceAmount());
      line["source_currency"] = text_of(l.getSourceCurrency());
      line["fx_rate"] = text_of(l.getFxRate());
      line["fx_lock"] = ref_json(l.getFxLock());
    }
    j["lines"].push_back(std::move(line));
  }
  // A forged entry may hold text that is not UTF-8: shown replaced, never thrown on.
  return j.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

Result<AckPlan> plan_posting_ack(const ledger::Snapshot& snapshot, const std::string& period,
                                 const std::string& journal_id, const std::string& gl_ref,
                                 const std::string& idempotency_key, const std::string& actor) {
  if (gl_ref.empty() || gl_ref.size() > 200) return Error::invalid("the GL reference must be 1 to 200 characters").in_field("--gl-ref");
  CB_TRY(std::vector<JournalView> journals, period_journals(snapshot, period));
  if (journals.empty()) return Error::not_found("period " + period + " has no journal: prepare it first");
  const JournalView* posting = nullptr;
  if (journal_id.empty()) {
    // The one the GL has not acknowledged yet, or the only journal there is.
    std::vector<const JournalView*> open;
    for (const JournalView& j : journals) {
      if (!j.ack) open.push_back(&j);
    }
    if (open.size() == 1) posting = open.front();
    if (open.empty() && journals.size() == 1) posting = &journals.front();
  } else {
    for (const JournalView& j : journals) {
      if (j.id() == journal_id) posting = &j;
    }
  }
  if (posting == nullptr) {
    std::string ids;
    for (const JournalView& j : journals) ids += (ids.empty() ? "" : ", ") + j.id() + (j.ack ? " (posted)" : "");
    if (journal_id.empty()) return Error::invalid("name the journal to acknowledge, one of " + ids).in_field("--journal");
    return Error::not_found("period " + period + " has no journal " + journal_id + "; it has " + ids).in_field("--journal");
  }
  AckPlan plan;
  plan.journal_id = text_of(posting->posting.reader().getKind().getJournalPosting().getJournalId());
  CB_TRY(std::vector<uint64_t> acks, snapshot.lookup("kind", "postingAck"));
  for (uint64_t i : acks) {
    CB_TRY(DecodedEntry e, snapshot.entry(i));
    auto a = e.reader().getKind().getPostingAck();
    const bool same_posting = a.getPosting().getIndex() == posting->posting.reader().getIndex();
    const bool same_ref = text_of(a.getGlRef()) == gl_ref;
    if (!idempotency_key.empty() && text_of(a.getIdempotencyKey()) == idempotency_key && !(same_posting && same_ref)) {
      return Error::conflict("the idempotency key " + idempotency_key + " was used for another acknowledgement (entry " +
                             std::to_string(i) + ")");
    }
    if (!same_posting) continue;
    if (same_ref) {
      plan.already_at = i;  // acknowledged before with this reference: nothing new
      return plan;
    }
    return Error::conflict("journal " + plan.journal_id + " was acknowledged as " + text_of(a.getGlRef()) + " (entry " +
                           std::to_string(i) + "); refusing a second reference " + gl_ref);
  }
  ledger::Draft draft;
  draft.entry().setEffective(period);
  auto a = draft.entry().getKind().initPostingAck();
  a.setPeriod(period);
  match::set_ref(a.initPosting(), Ref{posting->posting.reader().getIndex(), posting->posting.hash()});
  a.setGlRef(gl_ref);
  a.setIdempotencyKey(idempotency_key);
  a.setActor(actor);
  plan.drafts.push_back(std::move(draft));
  return plan;
}

}  // namespace closebook::close
