#include "match/shadow.h"

#include <map>
#include <optional>
#include <tuple>

#include "match/csv.h"
#include "match/fields.h"
#include "match/margin.h"

namespace closebook::match {
namespace {

using Key = std::tuple<std::string, std::string, std::string, std::string, std::string>;  // partner, vendor, sub, sku, ccy

struct Side {
  Decimal quantity, amount;
  std::optional<Decimal> unit_price;  // legacy: its SellUnitPrice, if given
  std::string line_ids;
  bool present = false;
};

Status add(Side& side, const Decimal& quantity, const Decimal& amount) {
  CB_TRY(side.quantity, side.quantity.add(quantity));
  CB_TRY(side.amount, side.amount.add(amount));
  side.present = true;
  return {};
}

Status read_legacy(const std::string& file, std::string_view bytes, const std::string& period,
                   std::map<Key, std::pair<Side, Side>>& sides) {
  static const std::vector<csv::ColumnSpec> columns = {
      {"LineId"}, {"Period"}, {"PartnerId"}, {"TenantRef", false}, {"Vendor"}, {"SkuId"},
      {"SubscriptionId", false}, {"Quantity"}, {"SellUnitPrice", false}, {"SellSubtotal"}, {"Currency"}};
  CB_TRY(csv::Document doc, csv::Document::parse(file, bytes));
  CB_TRY(csv::Columns bound, csv::Columns::bind(doc, columns));
  for (const csv::Row& r : doc.rows) {
    csv::RowReader row(doc, bound, r);
    CB_TRY(std::string_view row_period, row.text("Period"));
    if (row_period != period) continue;  // a legacy export may hold several periods
    CB_TRY(std::string_view line_id, row.text("LineId"));
    CB_TRY(std::string_view partner, row.text("PartnerId"));
    CB_TRY(std::string_view vendor, row.text("Vendor"));
    CB_TRY(std::string_view sku, row.text("SkuId"));
    CB_TRY(Decimal quantity, field_decimal(row, "Quantity"));
    CB_TRY(Decimal amount, field_decimal(row, "SellSubtotal"));
    CB_TRY(auto unit_price, field_optional_decimal(row, "SellUnitPrice"));
    CB_TRY(std::string currency, field_code(row, "Currency", 3));
    std::string subscription(row.optional_text("SubscriptionId"));
    const std::string v = lower(vendor);
    if (v == "microsoft") subscription = lower(subscription);
    Side& legacy = sides[{std::string(partner), v, subscription, std::string(sku), currency}].first;
    CB_CHECK(add(legacy, quantity, amount));
    if (unit_price && !legacy.unit_price) legacy.unit_price = unit_price;
    legacy.line_ids += (legacy.line_ids.empty() ? "" : ";") + std::string(line_id);
  }
  return {};
}

// Sell per unit, to 4 places: the precision legacy systems print.
Result<Decimal> unit_of(const Side& side) {
  if (side.unit_price) return side.unit_price->round(4, Rounding::kHalfEven);
  if (side.quantity.is_zero()) return Decimal();
  return side.amount.div(side.quantity, 4, Rounding::kHalfEven);
}

// missing: only the legacy system bills it; extra: only closebook does; qty: quantities
// differ; price: same quantity, another unit price; amount: same quantity and unit price,
// subtotals apart by more than the tolerance (rounding, proration); same.
Result<std::string> status_of(const Side& legacy, const Side& ours, const Decimal& delta, const Decimal& tolerance) {
  if (!legacy.present) return std::string("extra");
  if (!ours.present) return std::string("missing");
  if (legacy.quantity != ours.quantity) return std::string("qty");
  CB_TRY(Decimal legacy_unit, unit_of(legacy));
  CB_TRY(Decimal ours_unit, unit_of(ours));
  CB_TRY(Decimal unit_gap, legacy_unit.sub(ours_unit));
  if (unit_gap.abs() > Decimal::parse("0.0001").value()) return std::string("price");
  return std::string(delta.abs() > tolerance ? "amount" : "same");
}

}  // namespace

Result<ShadowReport> shadow_period(const ledger::Snapshot& snapshot, const std::string& period,
                                   const std::string& legacy_file, std::string_view legacy_bytes,
                                   const Decimal& tolerance) {
  std::map<Key, std::pair<Side, Side>> sides;
  CB_CHECK(read_legacy(legacy_file, legacy_bytes, period, sides));
  CB_TRY(std::vector<DecodedEntry> lines, current_priced_lines(snapshot, period));
  for (const DecodedEntry& e : lines) {
    auto l = e.reader().getKind().getPricedLine();
    CB_TRY(Decimal quantity, Decimal::parse(text_of(l.getQuantity())));
    CB_TRY(Decimal amount, Decimal::parse(text_of(l.getSellAmount())));
    Side& ours = sides[{text_of(l.getPartnerId()), text_of(l.getVendor()), text_of(l.getSubscriptionId()),
                        text_of(l.getSkuId()), text_of(l.getCurrency())}].second;
    CB_CHECK(add(ours, quantity, amount));
  }
  ShadowReport report;
  report.legacy_sha256 = to_hex(sha256(legacy_bytes));
  std::map<std::string, ShadowReport::Total> totals;
  for (const auto& [key, pair] : sides) {
    const auto& [legacy, ours] = pair;
    ShadowRow row;
    std::tie(row.partner_id, row.vendor, row.subscription_id, row.sku_id, row.currency) = key;
    row.legacy_line_ids = legacy.line_ids;
    row.legacy_quantity = legacy.quantity;
    row.ours_quantity = ours.quantity;
    row.legacy_amount = legacy.amount;
    row.ours_amount = ours.amount;
    CB_TRY(row.amount_delta, ours.amount.sub(legacy.amount));
    CB_TRY(row.status, status_of(legacy, ours, row.amount_delta, tolerance));
    ShadowReport::Total& t = totals[row.currency];
    t.currency = row.currency;
    ++t.rows;
    t.differing += row.status == "same" ? 0 : 1;
    CB_TRY(t.legacy_amount, t.legacy_amount.add(legacy.amount));
    CB_TRY(t.ours_amount, t.ours_amount.add(ours.amount));
    CB_TRY(t.amount_delta, t.ours_amount.sub(t.legacy_amount));
    report.rows.push_back(std::move(row));
  }
  for (auto& [currency, t] : totals) report.totals.push_back(t);
  return report;
}

}  // namespace closebook::match
