// closebook's usage feed: one row per tenant, SKU and day, with its quantity basis
// (docs/matching.md §3).
#include "match/feeds.h"
#include "match/fields.h"
#include "match/formats/format.h"

namespace closebook::match {
namespace {

const std::vector<csv::ColumnSpec>& usage_columns() {
  static const std::vector<csv::ColumnSpec> columns = {
      {"Vendor"}, {"UsageDate"}, {"TenantRef"}, {"SubscriptionId", false}, {"SkuId"},
      {"Quantity"}, {"QuantityBasis"}, {"UnitType"}, {"SourceRef", false}};
  return columns;
}

Status build_usage_record(const RowContext& c) {
  using Basis = schema::UsageRecord::QuantityBasis;
  const csv::RowReader& row = c.row;
  CB_TRY(std::string_view vendor, row.text("Vendor"));
  CB_TRY(Date date, field_date(row, "UsageDate"));
  CB_TRY(std::string_view tenant, row.text("TenantRef"));
  CB_TRY(std::string_view sku, row.text("SkuId"));
  CB_TRY(Decimal quantity, field_non_negative(row, "Quantity"));
  CB_TRY(Basis basis, field_enum<Basis>(row, "QuantityBasis", {{"snapshot", Basis::SNAPSHOT},
                                                                {"peak", Basis::PEAK},
                                                                {"consumed", Basis::CONSUMED}}));
  CB_TRY(std::string_view unit, row.text("UnitType"));
  // Usage dated outside the period is kept as dated: late usage is a TIMING finding of the
  // match, not a bad file.
  const std::string vendor_name = lower(vendor);
  c.draft.entry().setEffective(date.to_iso());
  auto u = c.draft.entry().getKind().initUsageRecord();
  u.setVendor(vendor_name);
  u.setUsageDate(date.to_iso());
  // Microsoft tenant and subscription ids are GUIDs, compared case-insensitively.
  u.setTenantRef(vendor_name == "microsoft" ? lower(tenant) : std::string(tenant));
  const std::string subscription = rows::text(row, "SubscriptionId");
  u.setSubscriptionId(vendor_name == "microsoft" ? lower(subscription) : subscription);
  u.setSkuId(std::string(sku));
  u.setQuantity(quantity.to_string());
  u.setQuantityBasis(basis);
  u.setUnitType(std::string(unit));
  u.setSourceRef(rows::text(row, "SourceRef"));
  return {};
}

}  // namespace

extern const Format kClosebookUsage{"closebook-usage-v1", "closebook's usage feed (one row per tenant, SKU and day)",
                                    schema::Ingest::Source::USAGE, usage_columns, build_usage_record, {}};

}  // namespace closebook::match
