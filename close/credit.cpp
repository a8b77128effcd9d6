#include "close/credit.h"

#include <set>

#include "close/lineage.h"
#include "match/book.h"
#include "match/fields.h"
#include "match/findings.h"
#include "match/period.h"

namespace closebook::close {
namespace {

using match::Ref;
using match::text_of;

struct CreditedLine {
  Ref ref;
  std::string line_id, period, partner, currency;
  Decimal quantity, sell_unit, sell;
};

Result<CreditedLine> current_line(const ledger::Snapshot& snapshot, const std::string& line_id) {
  auto found = current_priced_line(snapshot, line_id);
  if (!found.ok()) return std::move(found).error().in_field("--lines");
  const DecodedEntry& e = *found;
  auto l = e.reader().getKind().getPricedLine();
  CreditedLine c{Ref{e.reader().getIndex(), e.hash()}, line_id, text_of(l.getPeriod()), text_of(l.getPartnerId()),
                 text_of(l.getCurrency()), {}, {}, {}};
  CB_TRY(c.quantity, match::decimal_of(l.getQuantity()));
  CB_TRY(c.sell_unit, match::decimal_of(l.getSellUnitPrice()));
  CB_TRY(c.sell, match::decimal_of(l.getSellAmount()));
  return c;
}

// What earlier credits already gave back on any of these lines.
Result<Decimal> credited_before(const ledger::Snapshot& snapshot, const std::vector<std::string>& line_ids) {
  std::set<uint64_t> seen;
  Decimal total;
  for (const std::string& id : line_ids) {
    CB_TRY(std::vector<uint64_t> indexes, snapshot.lookup("line", id));
    for (uint64_t i : indexes) {
      CB_TRY(DecodedEntry e, snapshot.entry(i));
      if (!e.reader().getKind().isCredit() || !seen.insert(i).second) continue;
      CB_TRY(Decimal amount, match::decimal_of(e.reader().getKind().getCredit().getAmount()));
      CB_TRY(total, total.add(amount));
    }
  }
  return total;
}

}  // namespace

Result<CreditPlan> plan_credit(const ledger::Snapshot& snapshot, const CreditRequest& request) {
  if (request.line_ids.empty()) return Error::invalid("name the priced lines the credit corrects").in_field("--lines");
  if (request.amount.has_value() == request.quantity.has_value()) {
    return Error::invalid("give exactly one of --amount and --qty").in_field("--amount");
  }
  if (request.reason.empty()) return Error::invalid("a credit needs a reason").in_field("--reason");
  std::vector<CreditedLine> lines;
  std::set<std::string> unique;
  for (const std::string& id : request.line_ids) {
    if (!unique.insert(id).second) return Error::invalid("line " + id + " is named twice").in_field("--lines");
    CB_TRY(CreditedLine l, current_line(snapshot, id));
    if (!lines.empty() && (l.period != lines[0].period || l.partner != lines[0].partner || l.currency != lines[0].currency)) {
      return Error::invalid("a credit's lines share one period, partner and currency; " + id + " does not").in_field("--lines");
    }
    lines.push_back(std::move(l));
  }
  Decimal amount, billed;
  for (const CreditedLine& l : lines) {
    CB_TRY(billed, billed.add(l.sell));
    if (!request.quantity) continue;
    if (request.quantity->sign() <= 0 || l.quantity < *request.quantity) {
      return Error::invalid("--qty must be more than 0 and at most line " + l.line_id + "'s quantity " +
                            l.quantity.to_string()).in_field("--qty");
    }
    CB_TRY(Decimal exact, request.quantity->mul(l.sell_unit));
    CB_TRY(Decimal value, exact.round(2, Rounding::kHalfEven));
    CB_TRY(amount, amount.add(value));
  }
  if (request.amount) {
    if (request.amount->sign() <= 0 || request.amount->scale() > 2) {
      return Error::invalid("--amount must be more than 0, in cents at most").in_field("--amount");
    }
    amount = *request.amount;
  }
  if (amount.sign() <= 0) return Error::invalid("the credit comes to " + amount.to_string() + ": nothing to credit").in_field("--qty");
  const CreditedLine& first = lines.front();
  CreditPlan plan;
  plan.period = first.period;
  plan.partner_id = first.partner;
  plan.currency = first.currency;
  CB_TRY(plan.amount, amount.rescale(2));
  std::string key;
  for (const std::string& id : request.line_ids) key += id + "\n";
  key += plan.amount.to_string() + "\n" + (request.quantity ? request.quantity->to_string() : "") + "\n" + request.reason +
         "\n" + request.vendor_credit_ref;
  plan.credit_id = "CR-" + plan.period + "-" + to_hex(Bytes(sha256(key).data(), match::kIdBytes));
  // The same credit asked again is the credit already recorded, not a second one: nothing new.
  CB_TRY(std::vector<uint64_t> same, snapshot.lookup("credit", plan.credit_id));
  if (!same.empty()) {
    plan.recorded_at = same.front();
    return plan;
  }
  {
    CB_TRY(Decimal before, credited_before(snapshot, request.line_ids));
    CB_TRY(Decimal after, before.add(amount));
    if (billed < after) {
      return Error::invalid("the lines were billed " + billed.to_string() + " " + lines[0].currency +
                            " and already credited " + before.to_string() + ": " + amount.to_string() +
                            " more would credit more than was billed")
          .in_field("--amount");
    }
  }

  ledger::Draft credit;
  credit.entry().setEffective(plan.period);
  auto c = credit.entry().getKind().initCredit();
  c.setCreditId(plan.credit_id);
  c.setPeriod(plan.period);
  c.setTargetPeriod(plan.period);
  auto refs = c.initLines(static_cast<unsigned>(lines.size()));
  auto ids = c.initLineIds(static_cast<unsigned>(lines.size()));
  for (unsigned i = 0; i < lines.size(); ++i) {
    match::set_ref(refs[i], lines[i].ref);
    ids.set(i, lines[i].line_id);
  }
  c.setAmount(plan.amount.to_string());
  c.setQuantity(request.quantity ? request.quantity->to_string() : "");
  c.setCurrency(plan.currency);
  c.setReason(request.reason);
  c.setVendorCreditRef(request.vendor_credit_ref);
  c.setPartnerId(plan.partner_id);
  plan.drafts.push_back(std::move(credit));

  // Against a signed period: reopen it, and raise what the next sign-off must settle.
  CB_TRY(match::PeriodState state, match::period_state(snapshot, plan.period));
  if (!state.sign_off) return plan;
  plan.reopened = true;
  ledger::Draft reopen;
  reopen.entry().setEffective(plan.period);
  auto r = reopen.entry().getKind().initPeriodReopen();
  r.setPeriod(plan.period);
  // Every partner's bundle of the period carries its reopens: the reason names no one's credit
  // (the cause does, by reference, for whoever is shown it).
  r.setReason("a credit was booked against the signed period");
  r.initCause();
  reopen.link([](schema::Entry::Builder en) { return en.getKind().getPeriodReopen().getCause(); }, 0);
  match::set_ref(r.initPreviousSignOff(), *state.sign_off);
  plan.drafts.push_back(std::move(reopen));

  match::Finding f;
  f.category = match::Category::CREDIT_RECOVERY;
  f.partner_id = plan.partner_id;
  f.subject = plan.credit_id;
  f.delta = plan.amount.to_string();
  f.currency = plan.currency;
  for (const CreditedLine& l : lines) f.evidence.push_back(l.ref);
  f.evidence_in_batch = {0, 1};
  f.legs = {match::FindingLeg{"credit", request.quantity ? request.quantity->to_string() : "", "", plan.amount.to_string(),
                              request.vendor_credit_ref.empty() ? request.reason : "vendor credit " + request.vendor_credit_ref},
            match::FindingLeg{"signed_off", "", "", billed.to_string(), "sign-off entry " + std::to_string(state.sign_off->index)}};
  f.summary = "credit " + plan.credit_id + " of " + plan.amount.to_string() + " " + plan.currency + " to " + plan.partner_id +
              " against signed period " + plan.period + " (" + request.reason + "): settle it before the period is signed again";
  plan.drafts.push_back(match::exception_draft(plan.period, f, request.config));
  return plan;
}

}  // namespace closebook::close
