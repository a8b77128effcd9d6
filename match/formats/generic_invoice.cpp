// The generic vendor invoice: closebook's own layout for a vendor without a reader of its own
// (docs/matching.md §1), one row per charge.
#include "match/feeds.h"
#include "match/fields.h"
#include "match/formats/format.h"

namespace closebook::match {
namespace {

// closebook's own vocabulary; any other ChargeType is read as a change within a cycle, its
// sign its amount's (docs/matching.md §1).
constexpr ChargeType kGenericChargeTypes[] = {
    {"cyclecharge", ChargeRole::kCycle, true, "the charge for a billing cycle (the default)"},
    {"renew", ChargeRole::kCycle, true, "the charge for a renewed term's cycle"},
    {"new", ChargeRole::kCycle, false, "the first charge of a new subscription"},
    {"addquantity", ChargeRole::kChange, false, "seats added within a cycle"},
    {"convert", ChargeRole::kChange, false, "a change of SKU within a cycle"},
    {"removequantity", ChargeRole::kRefund, false, "seats removed within a cycle: a refund"},
    {"cancel", ChargeRole::kRefund, false, "a cancellation: a refund"},
    {"cancelimmediate", ChargeRole::kRefund, false, "a cancellation: a refund"},
    {"customercredit", ChargeRole::kCredit, false, "a credit: money, not seats"},
    {"usage", ChargeRole::kUsage, false, "consumption: the quantity is a total"},
};

const std::vector<csv::ColumnSpec>& generic_columns() {
  static const std::vector<csv::ColumnSpec> columns = {
      {"Vendor"}, {"InvoiceNumber"}, {"LineRef"}, {"TenantRef"}, {"SubscriptionId", false},
      {"SkuId"}, {"ChargeType", false}, {"ChargeStartDate"}, {"ChargeEndDate"}, {"Quantity"},
      {"UnitPrice"}, {"Subtotal"}, {"Currency"}, {"PricingCurrency", false}, {"FxRate", false}};
  return columns;
}

Status build_generic_line(const RowContext& c) {
  const csv::RowReader& row = c.row;
  CB_TRY(std::string_view vendor, row.text("Vendor"));
  CB_TRY(std::string_view invoice, row.text("InvoiceNumber"));
  CB_TRY(std::string_view line_ref, row.text("LineRef"));
  CB_TRY(std::string_view tenant, row.text("TenantRef"));
  CB_TRY(std::string_view sku, row.text("SkuId"));
  CB_TRY(rows::Window window, rows::window(row, "ChargeStartDate", "ChargeEndDate"));
  const std::string period = rows::line_period(c.options, window.start);
  CB_TRY(std::string quantity, rows::decimal_text(row, "Quantity"));
  CB_TRY(std::string unit_price, rows::decimal_text(row, "UnitPrice"));
  CB_TRY(std::string subtotal, rows::decimal_text(row, "Subtotal"));
  CB_TRY(std::string currency, field_code(row, "Currency", 3));
  CB_TRY(std::string pricing_currency, field_optional_code(row, "PricingCurrency", 3));
  CB_TRY(auto fx, field_optional_rate(row, "FxRate"));

  c.draft.entry().setEffective(period);
  auto l = c.draft.entry().getKind().initInvoiceLine();
  const std::string vendor_name = lower(vendor);
  l.setVendor(vendor_name);
  l.setFormat("generic");
  l.setInvoiceNumber(std::string(invoice));
  l.setLineRef(std::string(line_ref));
  // As in the usage feed: Microsoft's tenant and subscription GUIDs compare case-insensitively.
  const bool guids = vendor_name == "microsoft";
  l.setTenantRef(guids ? lower(tenant) : std::string(tenant));
  const std::string subscription = rows::text(row, "SubscriptionId");
  l.setSubscriptionId(guids ? lower(subscription) : subscription);
  l.setSkuId(std::string(sku));
  const std::string charge = lower(row.optional_text("ChargeType"));
  l.setChargeType(charge.empty() ? "cyclecharge" : charge);
  l.setChargeStartDate(window.start.to_iso());
  l.setChargeEndDate(window.end.to_iso());
  l.setUnitPrice(unit_price);
  l.setQuantity(quantity);
  l.setSubtotal(subtotal);
  l.setCurrency(currency);
  l.setPricingCurrency(pricing_currency);
  if (fx) l.setFxRate(fx->to_string());
  l.setPeriod(period);
  return {};
}

}  // namespace

extern const Format kGenericInvoice{"generic", "closebook's generic vendor invoice layout",
                                    schema::Ingest::Source::VENDOR_INVOICE, generic_columns, build_generic_line,
                                    {.unit_cut_to_cents = false, .amount_rounding = Rounding::kHalfUp,
                                     .bills_billable_quantity = false, .customer_id_domain_name = false,
                                     .usage_cut_before_fx = false, .charge_types = kGenericChargeTypes,
                                     .charge_types_closed = false}};

}  // namespace closebook::match
