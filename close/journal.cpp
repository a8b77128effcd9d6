#include "close/journal.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "close/invoice.h"
#include "evidence/date.h"
#include "evidence/decimal.h"
#include "match/csv.h"
#include "match/fields.h"
#include "match/findings.h"
#include "match/period.h"

namespace closebook::close {
namespace {

using match::Ref;
using match::ref_of;
using match::text_of;

struct Line {
  std::string account, description, tax_rate;
  Decimal amount;  // positive = debit
  std::vector<Ref> refs;
  int group = 0;   // lines of one group balance among themselves (Xero files split by group)
};

struct Journal {
  std::vector<Line> lines;
  int groups = 0;
};

Status add_to(Line& line, const Decimal& amount, const Ref& ref) {
  CB_TRY(line.amount, line.amount.add(amount));
  if (line.refs.empty() || line.refs.back().index != ref.index) line.refs.push_back(ref);
  return {};
}

// The invoices of the current sign-off, by currency.
Result<std::map<std::string, std::vector<DecodedEntry>>> invoices_by_currency(const ledger::Snapshot& snapshot,
                                                                             const std::string& period,
                                                                             uint64_t sign_off) {
  CB_TRY(std::vector<DecodedEntry> invoices, match::entries_of_period(snapshot, "invoice", period));
  std::map<std::string, std::vector<DecodedEntry>> out;
  for (DecodedEntry& e : invoices) {
    auto inv = e.reader().getKind().getInvoice();
    if (inv.getPeriod() != period || inv.getSignOff().getIndex() != sign_off) continue;
    out[text_of(inv.getCurrency())].push_back(std::move(e));
  }
  return out;
}

Result<Journal> build(const ledger::Snapshot& snapshot, const std::vector<DecodedEntry>& invoices,
                      const match::JournalAccounts& a) {
  Journal j;
  std::map<std::string, std::pair<Line, Line>> cost_by_vendor;  // COGS, AP
  for (const DecodedEntry& e : invoices) {
    auto inv = e.reader().getKind().getInvoice();
    const Ref ref{e.reader().getIndex(), e.hash()};
    const bool taxable = inv.getGstTreatment() == schema::Invoice::GstTreatment::TAXABLE;
    const std::string partner = text_of(inv.getPartnerId()), id = text_of(inv.getInvoiceId());
    CB_TRY(Decimal subtotal, match::decimal_of(inv.getSubtotal()));
    CB_TRY(Decimal gst, match::decimal_of(inv.getGst()));
    CB_TRY(Decimal total, match::decimal_of(inv.getTotal()));
    const int group = j.groups++;
    j.lines.push_back({a.receivable, "Receivable " + partner + " " + id, a.tax_none, total, {ref}, group});
    j.lines.push_back({a.revenue, "Revenue " + partner + " " + id, taxable ? a.tax_income : a.tax_export,
                       subtotal.negated(), {ref}, group});
    if (!gst.is_zero()) j.lines.push_back({a.gst, "GST collected " + partner + " " + id, a.tax_none, gst.negated(), {ref}, group});
    // The cost of every priced line the invoice bills (credit notes have none), by vendor.
    auto visit = [&](schema::InvoiceItem::Reader item) -> Status {
      CB_TRY(DecodedEntry line, snapshot.entry(item.getLine().getIndex()));
      if (!line.reader().getKind().isPricedLine()) return {};
      auto l = line.reader().getKind().getPricedLine();
      CB_TRY(Decimal cost, match::decimal_of(l.getCostAmount()));
      const std::string vendor = text_of(l.getVendor());
      auto& [cogs, ap] = cost_by_vendor[vendor];
      cogs.account = a.cogs;
      cogs.description = "Cost of sales " + vendor;
      cogs.tax_rate = a.tax_none;
      ap.account = a.payable;
      ap.description = "Payable clearing " + vendor;
      ap.tax_rate = a.tax_none;
      // The invoice, not each line: it refs every line it bills, and a posting that listed a
      // period's lines went past the 4 MiB entry limit at 100,000 lines.
      CB_CHECK(add_to(cogs, cost, ref));
      CB_CHECK(add_to(ap, cost.negated(), ref));
      return {};
    };
    CB_CHECK(each_item(snapshot, e, visit));
  }
  for (auto& [vendor, pair] : cost_by_vendor) {
    pair.first.group = pair.second.group = j.groups++;
    j.lines.push_back(std::move(pair.first));
    j.lines.push_back(std::move(pair.second));
  }
  return j;
}

Result<ledger::Draft> posting_draft(const std::string& period, const std::string& id, const std::string& currency,
                                    const Ref& sign_off, const Journal& j) {
  Decimal debit, credit;
  ledger::Draft draft;
  draft.entry().setEffective(period);
  auto p = draft.entry().getKind().initJournalPosting();
  p.setPeriod(period);
  p.setJournalId(id);
  match::set_ref(p.initSignOff(), sign_off);
  p.setCurrency(currency);
  auto lines = p.initLines(static_cast<unsigned>(j.lines.size()));
  for (unsigned i = 0; i < j.lines.size(); ++i) {
    const Line& l = j.lines[i];
    lines[i].setAccount(l.account);
    lines[i].setDescription(l.description);
    lines[i].setTaxRate(l.tax_rate);
    CB_TRY(Decimal amount, l.amount.rescale(2));
    lines[i].setAmount(amount.to_string());
    auto refs = lines[i].initRefs(static_cast<unsigned>(l.refs.size()));
    for (unsigned k = 0; k < l.refs.size(); ++k) match::set_ref(refs[k], l.refs[k]);
    if (l.amount.sign() > 0) {
      CB_TRY(debit, debit.add(l.amount));
    } else {
      CB_TRY(credit, credit.add(l.amount.negated()));
    }
  }
  // Balanced by construction; checked all the same before anything is written.
  if (!(debit == credit)) {
    return Error::corruption("journal " + id + " does not balance: debits " + debit.to_string() + ", credits " +
                             credit.to_string());
  }
  CB_TRY(Decimal d2, debit.rescale(2));
  CB_TRY(Decimal c2, credit.rescale(2));
  p.setTotalDebit(d2.to_string());
  p.setTotalCredit(c2.to_string());
  return draft;
}

}  // namespace

Result<JournalPlan> plan_journal(const ledger::Snapshot& snapshot, const std::string& period,
                                 const match::JournalAccounts& accounts) {
  if (!Period::parse(period).ok()) return Error::invalid("the period \"" + period + "\" is not YYYY-MM").in_field("--period");
  CB_TRY(match::PeriodState state, match::period_state(snapshot, period));
  if (!state.sign_off) return Error::invalid("period " + period + " is not signed off (it is " + state.name() + ")");
  CB_TRY(auto invoices, invoices_by_currency(snapshot, period, state.sign_off->index));
  if (invoices.empty()) return Error::invalid("period " + period + " has no invoices yet: run `closebook invoice --period " + period + "`");
  JournalPlan plan;
  CB_TRY(std::vector<DecodedEntry> posted, current_journals(snapshot, period));
  for (const auto& [currency, list] : invoices) {
    const std::string id = "JNL-" + period + "-" + currency +
                           (state.sign_off_count > 1 ? "-" + std::to_string(state.sign_off_count) : "");
    // Written before for this sign-off: it stands, even if the account map changed since.
    const bool written = std::any_of(posted.begin(), posted.end(), [&](const DecodedEntry& e) {
      return text_of(e.reader().getKind().getJournalPosting().getJournalId()) == id;
    });
    if (written) continue;
    CB_TRY(Journal j, build(snapshot, list, accounts));
    CB_TRY(ledger::Draft draft, posting_draft(period, id, currency, *state.sign_off, j));
    plan.drafts.push_back(std::move(draft));
    plan.journal_ids.push_back(id);
  }
  return plan;
}

Result<std::vector<DecodedEntry>> current_journals(const ledger::Snapshot& snapshot, const std::string& period) {
  CB_TRY(match::PeriodState state, match::period_state(snapshot, period));
  std::vector<DecodedEntry> out;
  if (!state.sign_off) return out;
  CB_TRY(std::vector<DecodedEntry> postings, match::entries_of_period(snapshot, "journalPosting", period));
  for (DecodedEntry& e : postings) {
    auto p = e.reader().getKind().getJournalPosting();
    if (p.getPeriod() == period && p.getSignOff().getIndex() == state.sign_off->index) out.push_back(std::move(e));
  }
  return out;
}

std::string journal_json(const DecodedEntry& entry) {
  auto p = entry.reader().getKind().getJournalPosting();
  nlohmann::ordered_json j{{"journal_id", text_of(p.getJournalId())},
                           {"entry", entry.reader().getIndex()},
                           {"entry_hash", to_hex(entry.hash())},
                           {"period", text_of(p.getPeriod())},
                           {"currency", text_of(p.getCurrency())},
                           {"sign_off", p.getSignOff().getIndex()},
                           {"total_debit", text_of(p.getTotalDebit())},
                           {"total_credit", text_of(p.getTotalCredit())}};
  j["lines"] = nlohmann::ordered_json::array();
  for (auto l : p.getLines()) {
    nlohmann::ordered_json refs = nlohmann::ordered_json::array();
    for (auto r : l.getRefs()) {
      refs.push_back({{"index", r.getIndex()}, {"hash", to_hex(Bytes(r.getHash().begin(), r.getHash().size()))}});
    }
    j["lines"].push_back({{"account", text_of(l.getAccount())}, {"description", text_of(l.getDescription())},
                          {"tax_rate", text_of(l.getTaxRate())}, {"amount", text_of(l.getAmount())}, {"refs", refs}});
  }
  return j.dump(2) + "\n";
}

// What is read from a stored entry is checked, never trusted: a malformed period or amount is
// an error naming the entry, not an abort (test: JournalXeroCannotLie.
// MalformedStoredValuesAreErrorsNotAborts).
Result<std::vector<std::string>> journal_xero(const DecodedEntry& entry) {
  auto p = entry.reader().getKind().getJournalPosting();
  // Fetched once: every fetch of a list counts its whole size against capnp's traversal limit.
  const auto lines = p.getLines();
  const std::string period = text_of(p.getPeriod());
  const uint64_t at = entry.reader().getIndex();
  auto parsed_period = Period::parse(period);
  if (!parsed_period.ok()) {
    return Error::corruption("journal posting period: " + parsed_period.error().message).at_entry(at);
  }
  // Xero's manual-journal import takes dd/mm/yyyy or "dd mmm yyyy", not ISO dates
  // (help.xero.com, "Enter multiple manual journals using an import template"; docs/close.md §5).
  const Date last = parsed_period->last_day();
  const std::string date = std::string(last.day < 10 ? "0" : "") + std::to_string(last.day) + "/" + (last.month < 10 ? "0" : "") +
                           std::to_string(last.month) + "/" + std::to_string(last.year);
  // Lines come in balanced runs (an invoice's, a vendor's): a run ends where the running sum
  // returns to zero, and a file never splits a run, so every file balances on its own.
  std::vector<std::vector<unsigned>> runs(1);
  Decimal running;
  for (unsigned i = 0; i < lines.size(); ++i) {
    runs.back().push_back(i);
    auto amount = Decimal::parse(text_of(lines[i].getAmount()));
    if (!amount.ok()) {
      return Error::corruption("journal posting line " + std::to_string(i + 1) + " amount: " +
                               amount.error().message).at_entry(at);
    }
    auto sum = running.add(*amount);
    if (!sum.ok()) {
      return Error::corruption("journal posting line " + std::to_string(i + 1) + ": " + sum.error().message)
          .at_entry(at);
    }
    running = *sum;
    if (running.is_zero()) runs.emplace_back();
  }
  if (runs.back().empty()) runs.pop_back();
  std::vector<std::vector<unsigned>> files(1);
  for (const auto& run : runs) {
    if (files.back().size() + run.size() > kXeroLinesPerFile && !files.back().empty()) files.emplace_back();
    files.back().insert(files.back().end(), run.begin(), run.end());
  }
  std::vector<std::string> out;
  for (size_t f = 0; f < files.size(); ++f) {
    std::ostringstream csv;
    csv << "*Narration,*Date,Description,*AccountCode,*TaxRate,*Amount\n";
    const std::string narration = "closebook " + text_of(p.getJournalId()) +
                                  (files.size() > 1 ? " (" + std::to_string(f + 1) + "/" + std::to_string(files.size()) + ")" : "");
    for (unsigned i : files[f]) {
      auto l = lines[i];
      csv << csv::cell(narration, true) << "," << date << "," << csv::cell(text_of(l.getDescription()), true) << ","
          << csv::cell(text_of(l.getAccount()), true) << "," << csv::cell(text_of(l.getTaxRate()), true) << ","
          << text_of(l.getAmount()) << "\n";
    }
    out.push_back(csv.str());
  }
  return out;
}

Result<AckPlan> plan_posting_ack(const ledger::Snapshot& snapshot, const std::string& period,
                                 const std::string& journal_id, const std::string& gl_ref,
                                 const std::string& idempotency_key, const std::string& actor) {
  if (gl_ref.empty() || gl_ref.size() > 200) return Error::invalid("the GL reference must be 1 to 200 characters").in_field("--gl-ref");
  CB_TRY(std::vector<DecodedEntry> journals, current_journals(snapshot, period));
  const DecodedEntry* posting = nullptr;
  for (const DecodedEntry& e : journals) {
    if (journal_id.empty() ? journals.size() == 1 : text_of(e.reader().getKind().getJournalPosting().getJournalId()) == journal_id) {
      posting = &e;
    }
  }
  if (posting == nullptr) {
    if (journals.empty()) return Error::not_found("period " + period + " has no journal for its sign-off: prepare it first");
    std::string ids;
    for (const DecodedEntry& e : journals) {
      ids += (ids.empty() ? "" : ", ") + text_of(e.reader().getKind().getJournalPosting().getJournalId());
    }
    if (journal_id.empty()) return Error::invalid("name the journal to acknowledge, one of " + ids).in_field("--journal");
    return Error::not_found("period " + period + " has no journal " + journal_id + " under its current sign-off; it has " + ids)
        .in_field("--journal");
  }
  AckPlan plan;
  plan.journal_id = text_of(posting->reader().getKind().getJournalPosting().getJournalId());
  CB_TRY(std::vector<uint64_t> acks, snapshot.lookup("kind", "postingAck"));
  for (uint64_t i : acks) {
    CB_TRY(DecodedEntry e, snapshot.entry(i));
    auto a = e.reader().getKind().getPostingAck();
    const bool same_posting = a.getPosting().getIndex() == posting->reader().getIndex();
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
  match::set_ref(a.initPosting(), Ref{posting->reader().getIndex(), posting->hash()});
  a.setGlRef(gl_ref);
  a.setIdempotencyKey(idempotency_key);
  a.setActor(actor);
  plan.drafts.push_back(std::move(draft));
  return plan;
}

}  // namespace closebook::close
