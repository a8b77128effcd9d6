#include "close/invoice.h"

#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "evidence/date.h"
#include "evidence/decimal.h"
#include "match/book.h"
#include "match/fields.h"
#include "match/findings.h"
#include "match/margin.h"
#include "match/period.h"

namespace closebook::close {
namespace {

using match::text_of;
using GstTreatment = schema::Invoice::GstTreatment;

constexpr int64_t kMsPerDay = 86'400'000;

std::string describe(schema::PricedLine::Reader l) {
  return text_of(l.getVendor()) + " " + text_of(l.getSkuId()) + " for " + text_of(l.getTenantId()) +
         (l.getSubscriptionId().size() ? ", subscription " + text_of(l.getSubscriptionId()) : "") + ", " +
         std::to_string(l.getProrationDays()) + "/" + std::to_string(l.getPeriodDays()) + " days";
}

Result<ledger::Draft> invoice_draft(const std::string& id, const std::string& period, const std::string& partner_id,
                                    const match::PartnerInfo& partner, const std::string& issue_date,
                                    const match::Ref& sign_off, const std::vector<const DecodedEntry*>& lines) {
  const bool taxable = partner.country == "AU";
  const Decimal rate = Decimal::parse(kGstRate).value();
  ledger::Draft draft;
  draft.entry().setEffective(period);
  auto inv = draft.entry().getKind().initInvoice();
  inv.setInvoiceId(id);
  inv.setPeriod(period);
  inv.setPartnerId(partner_id);
  inv.setCurrency(partner.currency);
  inv.setIssueDate(issue_date);
  inv.setGstTreatment(taxable ? GstTreatment::TAXABLE : GstTreatment::GST_FREE);
  match::set_ref(inv.initSignOff(), sign_off);
  auto items = inv.initItems(static_cast<unsigned>(lines.size()));
  Decimal subtotal, gst_total;
  for (unsigned i = 0; i < lines.size(); ++i) {
    auto l = lines[i]->reader().getKind().getPricedLine();
    if (text_of(l.getCurrency()) != partner.currency) {
      return Error::invalid("priced line " + text_of(l.getLineId()) + " is in " + text_of(l.getCurrency()) + ", partner " +
                            partner_id + " is billed in " + partner.currency);
    }
    CB_TRY(Decimal amount, match::decimal_of(l.getSellAmount()));
    Decimal gst;
    if (taxable) {
      CB_TRY(Decimal exact, amount.mul(rate));
      CB_TRY(gst, exact.round(2, Rounding::kHalfUp));
    }
    CB_TRY(subtotal, subtotal.add(amount));
    CB_TRY(gst_total, gst_total.add(gst));
    match::set_ref(items[i].initLine(), match::Ref{lines[i]->reader().getIndex(), lines[i]->hash()});
    items[i].setLineId(l.getLineId());
    items[i].setDescription(describe(l));
    items[i].setQuantity(l.getQuantity());
    items[i].setUnitPrice(l.getSellUnitPrice());
    items[i].setAmount(amount.to_string());
    items[i].setGst(gst.rescale(2).value().to_string());
  }
  CB_TRY(Decimal total, subtotal.add(gst_total));
  inv.setSubtotal(subtotal.rescale(2).value().to_string());
  inv.setGst(gst_total.rescale(2).value().to_string());
  inv.setTotal(total.rescale(2).value().to_string());
  return draft;
}

}  // namespace

std::string invoice_id(const std::string& period, const std::string& partner_id, unsigned issue) {
  return "INV-" + period + "-" + partner_id + (issue > 1 ? "-" + std::to_string(issue) : "");
}

Result<InvoicePlan> plan_invoices(const ledger::Snapshot& snapshot, const std::string& period) {
  if (!Period::parse(period).ok()) return Error::invalid("the period \"" + period + "\" is not YYYY-MM").in_field("--period");
  CB_TRY(match::PeriodState state, match::period_state(snapshot, period));
  if (!state.sign_off) {
    return Error::invalid("period " + period + " is not signed off (it is " + state.name() +
                          "): invoices are issued from a signed period only");
  }
  CB_TRY(DecodedEntry sign_off, snapshot.entry(state.sign_off->index));
  const std::string issue_date = Date::from_days(sign_off.reader().getRecordedAt() / kMsPerDay).to_iso();
  CB_TRY(match::PriceBook book, match::PriceBook::load(snapshot));
  CB_TRY(std::vector<DecodedEntry> lines, match::current_priced_lines(snapshot, period));
  std::map<std::string, std::vector<const DecodedEntry*>> by_partner;
  for (const DecodedEntry& e : lines) by_partner[text_of(e.reader().getKind().getPricedLine().getPartnerId())].push_back(&e);
  InvoicePlan plan;
  for (const auto& [partner_id, partner_lines] : by_partner) {
    const match::PartnerInfo* partner = book.partner(partner_id);
    if (partner == nullptr) return Error::invalid("partner " + partner_id + " of a priced line is not in the ledger");
    const std::string id = invoice_id(period, partner_id, state.sign_off_count);
    CB_TRY(ledger::Draft draft, invoice_draft(id, period, partner_id, *partner, issue_date, *state.sign_off, partner_lines));
    plan.drafts.push_back(std::move(draft));
    plan.invoice_ids.push_back(id);
  }
  return plan;
}

Result<DecodedEntry> find_invoice(const ledger::Snapshot& snapshot, const std::string& invoice_id) {
  CB_TRY(std::vector<uint64_t> indexes, snapshot.lookup("invoice", invoice_id));
  for (auto it = indexes.rbegin(); it != indexes.rend(); ++it) {
    CB_TRY(DecodedEntry e, snapshot.entry(*it));
    if (e.reader().getKind().isInvoice()) return e;
  }
  return Error::not_found("no invoice " + invoice_id);
}

std::string invoice_json(const DecodedEntry& entry) {
  auto inv = entry.reader().getKind().getInvoice();
  nlohmann::ordered_json j{{"invoice_id", text_of(inv.getInvoiceId())},
                           {"entry", entry.reader().getIndex()},
                           {"entry_hash", to_hex(entry.hash())},
                           {"period", text_of(inv.getPeriod())},
                           {"partner_id", text_of(inv.getPartnerId())},
                           {"currency", text_of(inv.getCurrency())},
                           {"issue_date", text_of(inv.getIssueDate())},
                           {"gst_treatment", inv.getGstTreatment() == GstTreatment::TAXABLE ? "taxable" : "gst_free"},
                           {"sign_off", {{"index", inv.getSignOff().getIndex()},
                                         {"hash", to_hex(Bytes(inv.getSignOff().getHash().begin(), inv.getSignOff().getHash().size()))}}}};
  j["items"] = nlohmann::ordered_json::array();
  for (auto item : inv.getItems()) {
    j["items"].push_back({{"line_id", text_of(item.getLineId())},
                          {"line", {{"index", item.getLine().getIndex()},
                                    {"hash", to_hex(Bytes(item.getLine().getHash().begin(), item.getLine().getHash().size()))}}},
                          {"description", text_of(item.getDescription())},
                          {"quantity", text_of(item.getQuantity())},
                          {"unit_price", text_of(item.getUnitPrice())},
                          {"amount", text_of(item.getAmount())},
                          {"gst", text_of(item.getGst())}});
  }
  j["subtotal"] = text_of(inv.getSubtotal());
  j["gst"] = text_of(inv.getGst());
  j["total"] = text_of(inv.getTotal());
  return j.dump(2) + "\n";
}

std::string invoice_csv(const DecodedEntry& entry) {
  auto inv = entry.reader().getKind().getInvoice();
  // Descriptions hold commas: every text cell is quoted; none starts with = + - @ (CSV injection).
  auto quoted = [](const std::string& v) {
    std::string out = "\"";
    for (char c : v) out += c == '"' ? std::string("\"\"") : std::string(1, c);
    return out + "\"";
  };
  std::ostringstream out;
  out << "InvoiceId,Period,PartnerId,Currency,IssueDate,LineId,Description,Quantity,UnitPrice,Amount,Gst\n";
  const std::string head = text_of(inv.getInvoiceId()) + "," + text_of(inv.getPeriod()) + "," + text_of(inv.getPartnerId()) +
                           "," + text_of(inv.getCurrency()) + "," + text_of(inv.getIssueDate()) + ",";
  for (auto item : inv.getItems()) {
    out << head << text_of(item.getLineId()) << "," << quoted(text_of(item.getDescription())) << ","
        << text_of(item.getQuantity()) << "," << text_of(item.getUnitPrice()) << "," << text_of(item.getAmount()) << ","
        << text_of(item.getGst()) << "\n";
  }
  out << head << "TOTAL," << quoted("subtotal " + text_of(inv.getSubtotal()) + ", total incl. GST " + text_of(inv.getTotal()))
      << ",,," << text_of(inv.getSubtotal()) << "," << text_of(inv.getGst()) << "\n";
  return out.str();
}

}  // namespace closebook::close
