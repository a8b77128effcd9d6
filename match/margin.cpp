#include "match/margin.h"

#include <map>

#include "match/book.h"
#include "match/fields.h"
#include "match/queue.h"

namespace closebook::match {

Result<std::vector<DecodedEntry>> current_priced_lines(const ledger::Snapshot& snapshot, const std::string& period) {
  CB_TRY(std::vector<uint64_t> indexes, snapshot.lookup("period_kind", period + "/pricedLine"));
  std::map<std::string, DecodedEntry> latest;  // lineId -> entry; later indexes replace earlier
  for (uint64_t i : indexes) {
    CB_TRY(DecodedEntry e, snapshot.entry(i));
    if (!e.reader().getKind().isPricedLine()) continue;
    const std::string id = text_of(e.reader().getKind().getPricedLine().getLineId());
    latest.insert_or_assign(id, std::move(e));
  }
  std::vector<DecodedEntry> out;
  for (auto& [id, e] : latest) out.push_back(std::move(e));
  return out;
}

namespace {

Status add_line(MarginRow& row, const Decimal& cost, schema::PricedLine::Reader l) {
  CB_TRY(Decimal sell, Decimal::parse(text_of(l.getSellAmount())));
  CB_TRY(row.cost, row.cost.add(cost));
  CB_TRY(row.sell, row.sell.add(sell));
  CB_TRY(row.margin, row.sell.sub(row.cost));
  ++row.lines;
  return {};
}

Status finish(MarginRow& row) {
  if (row.sell.is_zero()) return {};
  CB_TRY(Decimal scaled, row.margin.mul(Decimal::from_int(100)));
  CB_TRY(Decimal pct, scaled.div(row.sell, 2, Rounding::kHalfEven));
  row.margin_pct = pct.to_string();
  return {};
}

}  // namespace

Result<std::vector<MarginRow>> margin_report(const ledger::Snapshot& snapshot, const std::string& period, MarginBy by) {
  CB_TRY(std::vector<DecodedEntry> lines, current_priced_lines(snapshot, period));
  std::map<std::pair<std::string, std::string>, MarginRow> rows;  // (key, currency)
  std::map<std::string, MarginRow> totals;                          // currency
  for (const DecodedEntry& e : lines) {
    auto l = e.reader().getKind().getPricedLine();
    const std::string key = text_of(by == MarginBy::kPartner ? l.getPartnerId() : l.getSkuId());
    const std::string currency = text_of(l.getCurrency());
    MarginRow& row = rows[{key, currency}];
    row.key = key;
    row.currency = currency;
    CB_TRY(LineCostInfo cost, line_cost(snapshot, l));
    CB_CHECK(add_line(row, cost.cost_amount, l));
    MarginRow& total = totals[currency];
    total.key = "*";
    total.currency = currency;
    CB_CHECK(add_line(total, cost.cost_amount, l));
  }
  CB_TRY(auto breaches, list_exceptions(snapshot, {period, std::nullopt, Category::MARGIN_FLOOR_BREACH}));
  for (const ExceptionState& b : breaches) {
    const std::string key = by == MarginBy::kPartner ? b.partner_id : b.sku_id;
    if (auto it = rows.find({key, b.currency}); it != rows.end()) ++it->second.floor_breaches;
    if (auto it = totals.find(b.currency); it != totals.end()) ++it->second.floor_breaches;
  }
  std::vector<MarginRow> out;
  for (auto& [k, row] : rows) {
    CB_CHECK(finish(row));
    out.push_back(row);
  }
  for (auto& [currency, total] : totals) {
    CB_CHECK(finish(total));
    out.push_back(total);
  }
  return out;
}

}  // namespace closebook::match
