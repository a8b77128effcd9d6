// Microsoft Partner Center: the new-commerce daily rated usage reconciliation file, the usage
// leg of every Azure plan — one row per customer, subscription, meter and day (docs/matching.md §1).
// Columns as Microsoft Learn documents them:
//   https://learn.microsoft.com/en-us/partner-center/billing/daily-rated-usage-recon-files
//   (doc source daily-rated-usage-recon-files.md, ms.date 11/8/2022: 55 columns, PartnerId …
//   BenefitType); the usage amount's formula in the invoice file,
//   https://learn.microsoft.com/en-us/partner-center/billing/modern-invoice-reconciliation-file.
// A meter's SKU is ProductId:SkuId, the form its invoice line and the price book use; its
// MeterId, category, name, resource group and tags stay on the record, with the vendor's own
// effective price, amount, currencies and rate, so an auditor sees what was consumed and
// pricing can start from Microsoft's price.
#include "match/feeds.h"
#include "match/fields.h"
#include "match/formats/format.h"

namespace closebook::match {
namespace {

const std::vector<csv::ColumnSpec>& daily_rated_columns() {
  static const std::vector<csv::ColumnSpec> columns = {
      {"CustomerId"}, {"SubscriptionId"}, {"ProductId"}, {"SkuId"}, {"UsageDate"}, {"Quantity"},
      {"MeterId"}, {"MeterCategory", false}, {"MeterName", false}, {"Unit", false}, {"UnitType", false},
      {"ResourceGroup", false}, {"Tags", false}, {"EffectiveUnitPrice", false}, {"BillingPreTaxTotal", false},
      {"BillingCurrency", false}, {"PricingCurrency", false}, {"PCToBCExchangeRate", false}, {"InvoiceNumber", false},
      {"ChargeType", false}};
  return columns;
}

Status build_daily_rated_usage(const RowContext& c) {
  const csv::RowReader& row = c.row;
  CB_TRY(std::string_view customer, row.text("CustomerId"));
  CB_TRY(std::string_view subscription, row.text("SubscriptionId"));
  CB_TRY(std::string_view product, row.text("ProductId"));
  CB_TRY(std::string_view sku, row.text("SkuId"));
  CB_TRY(Date date, field_date(row, "UsageDate"));
  CB_TRY(Decimal quantity, field_non_negative(row, "Quantity"));
  CB_TRY(std::string_view meter, row.text("MeterId"));
  CB_TRY(std::string unit_price, rows::optional_decimal_text(row, "EffectiveUnitPrice"));
  CB_TRY(std::string amount, rows::optional_decimal_text(row, "BillingPreTaxTotal"));
  CB_TRY(std::string billing_currency, field_optional_code(row, "BillingCurrency", 3));
  CB_TRY(std::string pricing_currency, field_optional_code(row, "PricingCurrency", 3));
  CB_TRY(auto fx, field_optional_rate(row, "PCToBCExchangeRate"));
  // Microsoft's unit of measure: Unit ("1 Hour", "1 GB/Month"), else UnitType.
  std::string unit = rows::text(row, "Unit");
  if (unit.empty()) unit = rows::text(row, "UnitType");
  if (unit.empty()) return row.error("Unit", "a rated meter names its unit (Unit or UnitType)");

  c.draft.entry().setEffective(date.to_iso());
  auto u = c.draft.entry().getKind().initUsageRecord();
  u.setVendor("microsoft");
  u.setUsageDate(date.to_iso());
  // Customer and subscription GUIDs compare case-insensitively, as in the invoice file.
  u.setTenantRef(lower(customer));
  u.setSubscriptionId(lower(subscription));
  u.setSkuId(std::string(product) + ":" + std::string(sku));
  u.setQuantity(quantity.to_string());
  u.setQuantityBasis(schema::UsageRecord::QuantityBasis::CONSUMED);
  u.setUnitType(unit);
  u.setSourceRef(rows::text(row, "InvoiceNumber"));
  u.setMeterId(lower(meter));
  u.setMeterCategory(rows::text(row, "MeterCategory"));
  u.setMeterName(rows::text(row, "MeterName"));
  u.setResourceGroup(rows::text(row, "ResourceGroup"));
  u.setTags(rows::text(row, "Tags"));
  u.setVendorUnitPrice(unit_price);
  u.setVendorAmount(amount);
  u.setVendorCurrency(billing_currency);
  u.setPricingCurrency(pricing_currency);
  if (fx) u.setFxRate(fx->to_string());
  return {};
}

}  // namespace

extern const Format kMicrosoftAzureDailyRated{
    "microsoft-azure-daily-rated", "Partner Center daily rated usage (Azure plan meters, one row per meter and day)",
    schema::Ingest::Source::USAGE, daily_rated_columns, build_daily_rated_usage, {}};

}  // namespace closebook::match
