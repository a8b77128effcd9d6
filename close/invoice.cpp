#include "close/invoice.h"

#include <cassert>
#include <map>
#include <set>
#include <nlohmann/json.hpp>
#include <sstream>

#include "evidence/date.h"
#include "evidence/decimal.h"
#include "match/book.h"
#include "match/csv.h"
#include "match/fields.h"
#include "match/findings.h"
#include "match/margin.h"
#include "match/period.h"

namespace closebook::close {
namespace {

using match::text_of;
using GstTreatment = schema::Invoice::GstTreatment;

constexpr int64_t kMsPerDay = 86'400'000;

// One item of an invoice: a priced line, or a credit note (negative).
struct Item {
  match::Ref ref;
  std::string id, description, quantity, unit_price, currency;
  Decimal amount;
};

std::string describe(schema::PricedLine::Reader l) {
  return text_of(l.getVendor()) + " " + text_of(l.getSkuId()) + " for " + text_of(l.getTenantId()) +
         (l.getSubscriptionId().size() ? ", subscription " + text_of(l.getSubscriptionId()) : "") + ", " +
         std::to_string(l.getProrationDays()) + "/" + std::to_string(l.getPeriodDays()) + " days";
}

Result<Item> line_item(const DecodedEntry& e) {
  auto l = e.reader().getKind().getPricedLine();
  Item item{match::Ref{e.reader().getIndex(), e.hash()}, text_of(l.getLineId()), describe(l), text_of(l.getQuantity()),
            text_of(l.getSellUnitPrice()), text_of(l.getCurrency()), {}};
  CB_TRY(item.amount, match::decimal_of(l.getSellAmount()));
  return item;
}

Result<Item> credit_item(const DecodedEntry& e) {
  auto c = e.reader().getKind().getCredit();
  std::string lines;
  for (auto id : c.getLineIds()) lines += (lines.empty() ? "" : ", ") + text_of(id);
  Item item{match::Ref{e.reader().getIndex(), e.hash()}, text_of(c.getCreditId()),
            "credit note for " + lines + ": " + text_of(c.getReason()),
            c.getQuantity().size() ? "-" + text_of(c.getQuantity()) : "", "", text_of(c.getCurrency()), {}};
  CB_TRY(Decimal amount, match::decimal_of(c.getAmount()));
  item.amount = amount.negated();
  return item;
}

// An item as it is written: its amount and GST at cents.
struct Billed {
  const Item* item;
  Decimal amount, gst;
};

void set_item(schema::InvoiceItem::Builder out, const Billed& b) {
  match::set_ref(out.initLine(), b.item->ref);
  out.setLineId(b.item->id);
  out.setDescription(b.item->description);
  out.setQuantity(b.item->quantity);
  out.setUnitPrice(b.item->unit_price);
  out.setAmount(b.amount.to_string());
  out.setGst(b.gst.to_string());
}

Result<std::pair<Decimal, Decimal>> sums(const std::vector<Billed>& billed, size_t from, size_t to) {
  Decimal subtotal, gst;
  for (size_t i = from; i < to; ++i) {
    CB_TRY(subtotal, subtotal.add(billed[i].amount));
    CB_TRY(gst, gst.add(billed[i].gst));
  }
  CB_TRY(Decimal subtotal2, subtotal.rescale(2));
  CB_TRY(Decimal gst2, gst.rescale(2));
  return std::pair<Decimal, Decimal>(subtotal2, gst2);
}

// What an invoice's header and each of its chunks say alike: whose invoice of which period.
template <class InvoiceOrChunk>
void name_invoice(InvoiceOrChunk out, const std::string& id, const std::string& period, const std::string& partner_id,
                  const std::string& currency) {
  out.setInvoiceId(id);
  out.setPeriod(period);
  out.setPartnerId(partner_id);
  out.setCurrency(currency);
}

// The partner's invoice, appended to `drafts`: its header, preceded by its chunks when it has
// more than `items_per_chunk` items (docs/close.md §4).
Status invoice_drafts(const std::string& id, const std::string& period, const std::string& partner_id,
                      const match::PartnerInfo& partner, const std::string& issue_date, const match::Ref& sign_off,
                      const std::vector<Item>& items, size_t items_per_chunk, std::vector<ledger::Draft>& drafts) {
  const bool taxable = partner.country == "AU";
  const Decimal rate = Decimal::parse(kGstRate).value();
  std::vector<Billed> billed;
  for (const Item& item : items) {
    if (item.currency != partner.currency) {
      return Error::invalid(item.id + " is in " + item.currency + ", partner " + partner_id + " is billed in " +
                            partner.currency);
    }
    Decimal gst;
    if (taxable) {
      CB_TRY(Decimal exact, item.amount.mul(rate));
      CB_TRY(gst, exact.round(2, Rounding::kHalfUp));
    }
    CB_TRY(Decimal amount, item.amount.rescale(2));
    CB_TRY(Decimal gst2, gst.rescale(2));
    billed.push_back({&item, amount, gst2});
  }
  const bool chunked = billed.size() > items_per_chunk;
  std::vector<size_t> chunk_positions;
  for (size_t first = 0; chunked && first < billed.size(); first += items_per_chunk) {
    const size_t last = std::min(billed.size(), first + items_per_chunk);
    ledger::Draft draft;
    draft.entry().setEffective(period);
    auto chunk = draft.entry().getKind().initInvoiceChunk();
    name_invoice(chunk, id, period, partner_id, partner.currency);
    chunk.setPosition(static_cast<uint32_t>(chunk_positions.size()));
    chunk.setFirst(first);
    auto list = chunk.initItems(static_cast<unsigned>(last - first));
    for (size_t i = first; i < last; ++i) set_item(list[static_cast<unsigned>(i - first)], billed[i]);
    CB_TRY(auto chunk_sums, sums(billed, first, last));
    chunk.setSubtotal(chunk_sums.first.to_string());
    chunk.setGst(chunk_sums.second.to_string());
    chunk_positions.push_back(drafts.size());
    drafts.push_back(std::move(draft));
  }
  ledger::Draft draft;
  draft.entry().setEffective(period);
  auto inv = draft.entry().getKind().initInvoice();
  name_invoice(inv, id, period, partner_id, partner.currency);
  inv.setIssueDate(issue_date);
  inv.setGstTreatment(taxable ? GstTreatment::TAXABLE : GstTreatment::GST_FREE);
  match::set_ref(inv.initSignOff(), sign_off);
  if (chunked) {
    inv.initChunks(static_cast<unsigned>(chunk_positions.size()));
    for (unsigned i = 0; i < chunk_positions.size(); ++i) {
      draft.link([i](schema::Entry::Builder en) { return en.getKind().getInvoice().getChunks()[i]; }, chunk_positions[i]);
    }
    inv.setItemCount(billed.size());
  } else {
    auto list = inv.initItems(static_cast<unsigned>(billed.size()));
    for (unsigned i = 0; i < billed.size(); ++i) set_item(list[i], billed[i]);
  }
  CB_TRY(auto totals, sums(billed, 0, billed.size()));
  CB_TRY(Decimal total, totals.first.add(totals.second));
  inv.setSubtotal(totals.first.to_string());
  inv.setGst(totals.second.to_string());
  inv.setTotal(total.to_string());
  drafts.push_back(std::move(draft));
  return {};
}

// Entries billed on the period's invoices of earlier sign-offs (this sign-off's own invoices
// are the ones being issued again, idempotently).
Result<std::set<uint64_t>> invoiced_before(const ledger::Snapshot& snapshot, const std::string& period,
                                           uint64_t sign_off_index) {
  CB_TRY(std::vector<DecodedEntry> invoices, match::entries_of_period(snapshot, "invoice", period));
  std::set<uint64_t> out;
  for (const DecodedEntry& e : invoices) {
    auto inv = e.reader().getKind().getInvoice();
    if (inv.getPeriod() != period || inv.getSignOff().getIndex() == sign_off_index) continue;
    auto visit = [&](schema::InvoiceItem::Reader item) -> Status {
      out.insert(item.getLine().getIndex());
      return {};
    };
    CB_CHECK(each_item(snapshot, e, visit));
  }
  return out;
}

}  // namespace

std::string invoice_id(const std::string& period, const std::string& partner_id, unsigned issue) {
  return "INV-" + period + "-" + partner_id + (issue > 1 ? "-" + std::to_string(issue) : "");
}

Result<InvoicePlan> plan_invoices(const ledger::Snapshot& snapshot, const std::string& period, size_t items_per_chunk) {
  assert(items_per_chunk > 0);
  if (!Period::parse(period).ok()) return Error::invalid("the period \"" + period + "\" is not YYYY-MM").in_field("--period");
  CB_TRY(match::PeriodState state, match::period_state(snapshot, period));
  if (!state.sign_off) {
    return Error::invalid("period " + period + " is not signed off (it is " + state.name() +
                          "): invoices are issued from a signed period only");
  }
  CB_TRY(DecodedEntry sign_off, snapshot.entry(state.sign_off->index));
  const std::string issue_date = Date::from_days(sign_off.reader().getRecordedAt() / kMsPerDay).to_iso();
  CB_TRY(std::set<uint64_t> billed, invoiced_before(snapshot, period, state.sign_off->index));
  CB_TRY(match::PriceBook book, match::PriceBook::load(snapshot));
  // What the partner has not been invoiced for yet: priced lines, then credit notes.
  std::map<std::string, std::vector<Item>> by_partner;
  CB_TRY(std::vector<DecodedEntry> lines, match::current_priced_lines(snapshot, period));
  for (const DecodedEntry& e : lines) {
    if (billed.count(e.reader().getIndex()) != 0) continue;
    CB_TRY(Item item, line_item(e));
    by_partner[text_of(e.reader().getKind().getPricedLine().getPartnerId())].push_back(std::move(item));
  }
  CB_TRY(std::vector<DecodedEntry> credits, match::entries_of_period(snapshot, "credit", period));
  for (const DecodedEntry& e : credits) {
    const uint64_t i = e.reader().getIndex();
    auto c = e.reader().getKind().getCredit();
    if (c.getPeriod() != period || billed.count(i) != 0 || i > state.sign_off->index) continue;
    CB_TRY(Item item, credit_item(e));
    by_partner[text_of(c.getPartnerId())].push_back(std::move(item));
  }
  InvoicePlan plan;
  for (const auto& [partner_id, items] : by_partner) {
    const match::PartnerInfo* partner = book.partner(partner_id);
    if (partner == nullptr) return Error::invalid("partner " + partner_id + " of a priced line is not in the ledger");
    const std::string id = invoice_id(period, partner_id, state.sign_off_count);
    // Issued before for this sign-off: it stands as issued, even if reference data changed since.
    auto existing = find_invoice(snapshot, id);
    if (existing.ok() && existing->reader().getKind().getInvoice().getSignOff().getIndex() == state.sign_off->index) {
      plan.already_issued.push_back({id, existing->reader().getIndex()});
      continue;
    }
    CB_CHECK(invoice_drafts(id, period, partner_id, *partner, issue_date, *state.sign_off, items, items_per_chunk, plan.drafts));
    plan.invoice_ids.push_back(id);
  }
  if (plan.drafts.empty() && plan.already_issued.empty()) return Error::invalid("period " + period + " has nothing left to invoice");
  return plan;
}

Status each_item(const ledger::Snapshot& snapshot, const DecodedEntry& invoice,
                 const std::function<Status(schema::InvoiceItem::Reader)>& fn) {
  auto inv = invoice.reader().getKind().getInvoice();
  for (auto item : inv.getItems()) CB_CHECK(fn(item));
  uint32_t position = 0;
  for (auto ref : inv.getChunks()) {
    CB_TRY(DecodedEntry chunk, snapshot.entry(ref.getIndex()));
    // Decided from the entries: the chunk the header names by hash, of this invoice, in order.
    const bool named = chunk.reader().getKind().isInvoiceChunk() && ref.getHash() == capnp::Data::Reader(chunk.hash().data(), chunk.hash().size()) &&
                       chunk.reader().getKind().getInvoiceChunk().getInvoiceId() == inv.getInvoiceId() &&
                       chunk.reader().getKind().getInvoiceChunk().getPosition() == position++;
    if (!named) {
      return Error::corruption("invoice " + text_of(inv.getInvoiceId()) + " names entry " + std::to_string(ref.getIndex()) +
                               " as its chunk " + std::to_string(position - 1) + ", which it is not");
    }
    for (auto item : chunk.reader().getKind().getInvoiceChunk().getItems()) CB_CHECK(fn(item));
  }
  return {};
}

uint64_t item_count(schema::Invoice::Reader inv) { return inv.getChunks().size() ? inv.getItemCount() : inv.getItems().size(); }

Result<DecodedEntry> find_invoice(const ledger::Snapshot& snapshot, const std::string& invoice_id) {
  CB_TRY(std::optional<DecodedEntry> found,
         match::latest_entry(snapshot, "invoice", invoice_id, schema::Entry::Kind::INVOICE));
  if (!found) return Error::not_found("no invoice " + invoice_id);
  return std::move(*found);
}

Result<std::string> invoice_json(const ledger::Snapshot& snapshot, const DecodedEntry& entry, const match::Seller& seller) {
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
  j["seller"] = seller.name.empty() ? nlohmann::ordered_json(nullptr)
                                    : nlohmann::ordered_json{{"name", seller.name}, {"abn", seller.abn}, {"address", seller.address}};
  CB_TRY(std::optional<DecodedEntry> buyer,
         match::latest_entry(snapshot, "partner", text_of(inv.getPartnerId()), schema::Entry::Kind::PARTNER));
  j["buyer"] = {{"partner_id", text_of(inv.getPartnerId())},
                {"name", buyer ? text_of(buyer->reader().getKind().getPartner().getName()) : ""},
                {"country", buyer ? text_of(buyer->reader().getKind().getPartner().getCountry()) : ""}};
  j["items"] = nlohmann::ordered_json::array();
  auto visit = [&](schema::InvoiceItem::Reader item) -> Status {
    j["items"].push_back({{"line_id", text_of(item.getLineId())},
                          {"line", {{"index", item.getLine().getIndex()},
                                    {"hash", to_hex(Bytes(item.getLine().getHash().begin(), item.getLine().getHash().size()))}}},
                          {"description", text_of(item.getDescription())},
                          {"quantity", text_of(item.getQuantity())},
                          {"unit_price", text_of(item.getUnitPrice())},
                          {"amount", text_of(item.getAmount())},
                          {"gst", text_of(item.getGst())}});
    return {};
  };
  CB_CHECK(each_item(snapshot, entry, visit));
  j["subtotal"] = text_of(inv.getSubtotal());
  j["gst"] = text_of(inv.getGst());
  j["total"] = text_of(inv.getTotal());
  // A forged entry may hold text that is not UTF-8: shown replaced, never thrown on.
  return j.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

Result<std::string> invoice_csv(const ledger::Snapshot& snapshot, const DecodedEntry& entry) {
  auto inv = entry.reader().getKind().getInvoice();
  std::ostringstream out;
  out << "InvoiceId,Period,PartnerId,Currency,IssueDate,LineId,Description,Quantity,UnitPrice,Amount,Gst\n";
  using csv::cell;
  const std::string head = cell(text_of(inv.getInvoiceId()), true) + "," + text_of(inv.getPeriod()) + "," +
                           cell(text_of(inv.getPartnerId()), true) + "," + text_of(inv.getCurrency()) + "," +
                           text_of(inv.getIssueDate()) + ",";
  auto visit = [&](schema::InvoiceItem::Reader item) -> Status {
    out << head << cell(text_of(item.getLineId()), true) << "," << cell(text_of(item.getDescription()), true) << ","
        << text_of(item.getQuantity()) << "," << text_of(item.getUnitPrice()) << "," << text_of(item.getAmount()) << ","
        << text_of(item.getGst()) << "\n";
    return {};
  };
  CB_CHECK(each_item(snapshot, entry, visit));
  out << head << "TOTAL," << cell("subtotal " + text_of(inv.getSubtotal()) + ", total incl. GST " + text_of(inv.getTotal()), true)
      << ",,," << text_of(inv.getSubtotal()) << "," << text_of(inv.getGst()) << "\n";
  return out.str();
}

}  // namespace closebook::close
