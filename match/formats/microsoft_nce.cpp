// Microsoft Partner Center: the new-commerce (NCE) invoice reconciliation file, one row per
// charge. Columns and charge types as Partner Center documents them (docs/matching.md §1).
#include <algorithm>
#include <array>

#include "match/feeds.h"
#include "match/fields.h"
#include "match/formats/format.h"

namespace closebook::match {
namespace {

// Partner Center charge types (docs/matching.md §1), compared case-insensitively and stored lower-case.
constexpr std::array<std::string_view, 9> kNceChargeTypes = {
    "new", "renew", "cyclecharge", "addquantity", "removequantity",
    "cancelimmediate", "convert", "customercredit", "trialconversion"};

const std::vector<csv::ColumnSpec>& nce_columns() {
  static const std::vector<csv::ColumnSpec> columns = {
      {"CustomerId"}, {"CustomerName", false}, {"CustomerDomainName", false},
      {"InvoiceNumber"}, {"ResellerMpnId", false, {"Tier2MpnId"}}, {"OrderId", false},
      {"ProductId"}, {"SkuId"}, {"SkuName", false}, {"ChargeType"},
      {"UnitPrice"}, {"Quantity"}, {"Subtotal"}, {"TaxTotal", false}, {"Total", false},
      {"Currency"}, {"SubscriptionId"}, {"ChargeStartDate"}, {"ChargeEndDate"},
      {"EffectiveUnitPrice", false}, {"BillableQuantity", false}, {"BillingFrequency", false},
      {"PricingCurrency", false}, {"PCToBCExchangeRate", false},
      {"PCToBCExchangeRateDate", false}, {"ReferenceId", false}, {"LineItemId", false}};
  return columns;
}

Status build_nce_line(const RowContext& c) {
  const csv::RowReader& row = c.row;
  CB_TRY(std::string_view charge_type, row.text("ChargeType"));
  const std::string charge = lower(charge_type);
  if (std::find(kNceChargeTypes.begin(), kNceChargeTypes.end(), charge) == kNceChargeTypes.end()) {
    return row.error("ChargeType", "\"" + std::string(charge_type) +
                                       "\" is not a Partner Center charge type (new, renew, cycleCharge, "
                                       "addQuantity, removeQuantity, cancelImmediate, convert, "
                                       "customerCredit, trialConversion)");
  }
  CB_TRY(rows::Window window, rows::window(row, "ChargeStartDate", "ChargeEndDate"));
  const std::string period = rows::line_period(c.options, window.start);
  auto l = c.draft.entry().getKind().initInvoiceLine();
  CB_TRY(std::string_view customer, row.text("CustomerId"));
  CB_TRY(std::string_view invoice, row.text("InvoiceNumber"));
  CB_TRY(std::string_view product, row.text("ProductId"));
  CB_TRY(std::string_view sku, row.text("SkuId"));
  CB_TRY(std::string_view subscription, row.text("SubscriptionId"));
  CB_TRY(std::string unit_price, rows::decimal_text(row, "UnitPrice"));
  CB_TRY(std::string quantity, rows::decimal_text(row, "Quantity"));
  CB_TRY(std::string subtotal, rows::decimal_text(row, "Subtotal"));
  CB_TRY(std::string tax, rows::optional_decimal_text(row, "TaxTotal"));
  CB_TRY(std::string total, rows::optional_decimal_text(row, "Total"));
  CB_TRY(std::string effective_price, rows::optional_decimal_text(row, "EffectiveUnitPrice"));
  CB_TRY(std::string billable, rows::optional_decimal_text(row, "BillableQuantity"));
  CB_TRY(std::string currency, field_code(row, "Currency", 3));
  CB_TRY(std::string pricing_currency, field_optional_code(row, "PricingCurrency", 3));
  CB_TRY(auto fx, field_optional_rate(row, "PCToBCExchangeRate"));
  CB_TRY(auto fx_date, field_optional_date(row, "PCToBCExchangeRateDate"));

  c.draft.entry().setEffective(period);
  l.setVendor("microsoft");
  l.setFormat("microsoft-nce");
  l.setInvoiceNumber(std::string(invoice));
  l.setLineRef(rows::text(row, "LineItemId"));
  // Microsoft identifies a customer by its tenant GUID; compare it case-insensitively.
  l.setTenantRef(lower(customer));
  l.setCustomerName(rows::text(row, "CustomerName"));
  l.setCustomerDomain(lower(row.optional_text("CustomerDomainName")));
  l.setResellerMpnId(rows::text(row, "ResellerMpnId"));
  l.setOrderId(rows::text(row, "OrderId"));
  l.setProductId(std::string(product));
  // The price book names Microsoft SKUs "ProductId:SkuId", as Partner Center's catalogue does.
  l.setSkuId(std::string(product) + ":" + std::string(sku));
  l.setSkuName(rows::text(row, "SkuName"));
  l.setSubscriptionId(lower(subscription));
  l.setChargeType(charge);
  l.setChargeStartDate(window.start.to_iso());
  l.setChargeEndDate(window.end.to_iso());
  l.setBillingFrequency(lower(row.optional_text("BillingFrequency")));
  l.setUnitPrice(unit_price);
  l.setEffectiveUnitPrice(effective_price);
  l.setQuantity(quantity);
  l.setBillableQuantity(billable);
  l.setSubtotal(subtotal);
  l.setTaxTotal(tax);
  l.setTotal(total);
  l.setCurrency(currency);
  l.setPricingCurrency(pricing_currency);
  if (fx) l.setFxRate(fx->to_string());
  if (fx_date) l.setFxRateDate(fx_date->to_iso());
  l.setReferenceId(rows::text(row, "ReferenceId"));
  l.setPeriod(period);
  return {};
}

}  // namespace

extern const Format kMicrosoftNce{
    "microsoft-nce", "Microsoft Partner Center new-commerce invoice reconciliation file",
    schema::Ingest::Source::VENDOR_INVOICE, nce_columns, build_nce_line,
    // Partner Center cuts the converted unit price and the amount to cents toward zero, bills
    // the prorated BillableQuantity, and names the customer by tenant id, domain, then name.
    {.unit_cut_to_cents = true, .amount_rounding = Rounding::kDown, .bills_billable_quantity = true,
     .customer_id_domain_name = true}};

}  // namespace closebook::match
