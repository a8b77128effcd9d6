#include "match/feeds.h"

#include <algorithm>
#include <array>
#include <cassert>
#include <cstring>
#include <map>
#include <unordered_map>

#include "match/csv.h"
#include "match/fields.h"

namespace closebook::match {
namespace {

using csv::ColumnSpec;
using csv::RowReader;

constexpr uint64_t kProgressEveryRows = 10'000;

// Partner Center charge types (BRIEF §4), compared case-insensitively and stored lower-case.
constexpr std::array<std::string_view, 9> kNceChargeTypes = {
    "new", "renew", "cyclecharge", "addquantity", "removequantity",
    "cancelimmediate", "convert", "customercredit", "trialconversion"};

struct RowContext {
  const RowReader& row;
  const FeedOptions& options;
  ledger::Draft& draft;
};

std::string line_period(const FeedOptions& options, const Date& start) {
  return options.period.empty() ? start.period() : options.period;
}

// Charge window [start, end], inclusive; the end may not precede the start.
struct Window {
  Date start;
  Date end;
};
Result<Window> field_window(const RowReader& row) {
  CB_TRY(Date start, field_date(row, "ChargeStartDate"));
  CB_TRY(Date end, field_date(row, "ChargeEndDate"));
  CB_CHECK(check_range(row, "ChargeEndDate", start, end));
  return Window{start, end};
}

std::string text(const RowReader& row, std::string_view column) {
  return std::string(row.optional_text(column));
}

// Stores a decimal as written, in its canonical text (evidence/entry.capnp conventions).
Result<std::string> decimal_text(const RowReader& row, std::string_view column) {
  CB_TRY(Decimal value, field_decimal(row, column));
  return value.to_string();
}
Result<std::string> optional_decimal_text(const RowReader& row, std::string_view column) {
  CB_TRY(auto value, field_optional_decimal(row, column));
  return value ? value->to_string() : std::string();
}

// ---------------------------------------------------------------------------------------
// Microsoft NCE invoice reconciliation

const std::vector<ColumnSpec>& nce_columns() {
  static const std::vector<ColumnSpec> columns = {
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
  const RowReader& row = c.row;
  CB_TRY(std::string_view charge_type, row.text("ChargeType"));
  const std::string charge = lower(charge_type);
  if (std::find(kNceChargeTypes.begin(), kNceChargeTypes.end(), charge) == kNceChargeTypes.end()) {
    return row.error("ChargeType", "\"" + std::string(charge_type) +
                                       "\" is not a Partner Center charge type (new, renew, cycleCharge, "
                                       "addQuantity, removeQuantity, cancelImmediate, convert, "
                                       "customerCredit, trialConversion)");
  }
  CB_TRY(Window window, field_window(row));
  const std::string period = line_period(c.options, window.start);
  auto l = c.draft.entry().getKind().initInvoiceLine();
  CB_TRY(std::string_view customer, row.text("CustomerId"));
  CB_TRY(std::string_view invoice, row.text("InvoiceNumber"));
  CB_TRY(std::string_view product, row.text("ProductId"));
  CB_TRY(std::string_view sku, row.text("SkuId"));
  CB_TRY(std::string_view subscription, row.text("SubscriptionId"));
  CB_TRY(std::string unit_price, decimal_text(row, "UnitPrice"));
  CB_TRY(std::string quantity, decimal_text(row, "Quantity"));
  CB_TRY(std::string subtotal, decimal_text(row, "Subtotal"));
  CB_TRY(std::string tax, optional_decimal_text(row, "TaxTotal"));
  CB_TRY(std::string total, optional_decimal_text(row, "Total"));
  CB_TRY(std::string effective_price, optional_decimal_text(row, "EffectiveUnitPrice"));
  CB_TRY(std::string billable, optional_decimal_text(row, "BillableQuantity"));
  CB_TRY(std::string currency, field_code(row, "Currency", 3));
  CB_TRY(std::string pricing_currency, field_optional_code(row, "PricingCurrency", 3));
  CB_TRY(auto fx, field_optional_rate(row, "PCToBCExchangeRate"));
  CB_TRY(auto fx_date, field_optional_date(row, "PCToBCExchangeRateDate"));

  c.draft.entry().setEffective(period);
  l.setVendor("microsoft");
  l.setFormat("microsoft-nce");
  l.setInvoiceNumber(std::string(invoice));
  l.setLineRef(text(row, "LineItemId"));
  // Microsoft identifies a customer by its tenant GUID; compare it case-insensitively.
  l.setTenantRef(lower(customer));
  l.setCustomerName(text(row, "CustomerName"));
  l.setCustomerDomain(lower(row.optional_text("CustomerDomainName")));
  l.setResellerMpnId(text(row, "ResellerMpnId"));
  l.setOrderId(text(row, "OrderId"));
  l.setProductId(std::string(product));
  // The price book names Microsoft SKUs "ProductId:SkuId", as Partner Center's catalogue does.
  l.setSkuId(std::string(product) + ":" + std::string(sku));
  l.setSkuName(text(row, "SkuName"));
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
  l.setReferenceId(text(row, "ReferenceId"));
  l.setPeriod(period);
  return {};
}

// ---------------------------------------------------------------------------------------
// Generic vendor invoice

const std::vector<ColumnSpec>& generic_columns() {
  static const std::vector<ColumnSpec> columns = {
      {"Vendor"}, {"InvoiceNumber"}, {"LineRef"}, {"TenantRef"}, {"SubscriptionId", false},
      {"SkuId"}, {"ChargeType", false}, {"ChargeStartDate"}, {"ChargeEndDate"}, {"Quantity"},
      {"UnitPrice"}, {"Subtotal"}, {"Currency"}, {"PricingCurrency", false}, {"FxRate", false}};
  return columns;
}

Status build_generic_line(const RowContext& c) {
  const RowReader& row = c.row;
  CB_TRY(std::string_view vendor, row.text("Vendor"));
  CB_TRY(std::string_view invoice, row.text("InvoiceNumber"));
  CB_TRY(std::string_view line_ref, row.text("LineRef"));
  CB_TRY(std::string_view tenant, row.text("TenantRef"));
  CB_TRY(std::string_view sku, row.text("SkuId"));
  CB_TRY(Window window, field_window(row));
  const std::string period = line_period(c.options, window.start);
  CB_TRY(std::string quantity, decimal_text(row, "Quantity"));
  CB_TRY(std::string unit_price, decimal_text(row, "UnitPrice"));
  CB_TRY(std::string subtotal, decimal_text(row, "Subtotal"));
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
  const std::string subscription = text(row, "SubscriptionId");
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

// ---------------------------------------------------------------------------------------
// Usage

const std::vector<ColumnSpec>& usage_columns() {
  static const std::vector<ColumnSpec> columns = {
      {"Vendor"}, {"UsageDate"}, {"TenantRef"}, {"SubscriptionId", false}, {"SkuId"},
      {"Quantity"}, {"QuantityBasis"}, {"UnitType"}, {"SourceRef", false}};
  return columns;
}

Status build_usage_record(const RowContext& c) {
  using Basis = schema::UsageRecord::QuantityBasis;
  const RowReader& row = c.row;
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
  const std::string subscription = text(row, "SubscriptionId");
  u.setSubscriptionId(vendor_name == "microsoft" ? lower(subscription) : subscription);
  u.setSkuId(std::string(sku));
  u.setQuantity(quantity.to_string());
  u.setQuantityBasis(basis);
  u.setUnitType(std::string(unit));
  u.setSourceRef(text(row, "SourceRef"));
  return {};
}

// ---------------------------------------------------------------------------------------

struct FormatSpec {
  const char* name;
  schema::Ingest::Source source;
  const std::vector<ColumnSpec>& (*columns)();
  Status (*build)(const RowContext&);
};

const FormatSpec& spec_of(FeedFormat format) {
  using S = schema::Ingest::Source;
  static const FormatSpec kNce{"microsoft-nce", S::VENDOR_INVOICE, nce_columns, build_nce_line};
  static const FormatSpec kGeneric{"generic", S::VENDOR_INVOICE, generic_columns, build_generic_line};
  static const FormatSpec kUsage{"closebook-usage-v1", S::USAGE, usage_columns, build_usage_record};
  switch (format) {
    case FeedFormat::kMicrosoftNce: return kNce;
    case FeedFormat::kGenericInvoice: return kGeneric;
    case FeedFormat::kUsage: return kUsage;
  }
  assert(false);
  return kUsage;
}

void set_source(ledger::Draft& draft, const Hash& file_sha, uint64_t line) {
  auto kind = draft.entry().getKind();
  auto source = kind.which() == schema::Entry::Kind::INVOICE_LINE ? kind.getInvoiceLine().initSource()
                                                                   : kind.getUsageRecord().initSource();
  source.setFileSha256(kj::arrayPtr(file_sha.data(), file_sha.size()));
  source.setLine(line);
}

// The row's identity: its values (without where they were read from) and which occurrence of
// those values it is in the file.
// Hashes are uniformly random: their first 8 bytes are a good bucket hash.
struct HashBuckets {
  size_t operator()(const Hash& h) const {
    size_t out;
    std::memcpy(&out, h.data(), sizeof out);
    return out;
  }
};
using Occurrences = std::unordered_map<Hash, uint64_t, HashBuckets>;

Hash row_identity(ledger::Draft& draft, Occurrences& occurrences) {
  const Hash values = content_hash(draft.reader());
  const uint64_t occurrence = ++occurrences[values];
  return sha256("closebook feed row\n" + to_hex(values) + "\n" + std::to_string(occurrence));
}

}  // namespace

Result<FeedFormat> parse_invoice_format(std::string_view name) {
  if (name == "microsoft-nce") return FeedFormat::kMicrosoftNce;
  if (name == "generic") return FeedFormat::kGenericInvoice;
  return Error::invalid("unknown invoice format \"" + std::string(name) +
                        "\" (expected microsoft-nce or generic)");
}

const char* feed_format_name(FeedFormat format) { return spec_of(format).name; }

Result<LoadPlan> plan_feed_load(FeedFormat format, const std::string& file_name,
                                std::string_view bytes, const FeedOptions& options) {
  const FormatSpec& spec = spec_of(format);
  if (!options.period.empty() && !Period::parse(options.period).ok()) {
    return Error::invalid("the period \"" + options.period + "\" is not YYYY-MM").in_field("--period");
  }
  CB_TRY(csv::Document doc, csv::Document::parse(file_name, bytes));
  if (doc.rows.empty()) return Error::invalid("the file has a header but no rows").at(file_name, doc.header_line);
  CB_TRY(csv::Columns columns, csv::Columns::bind(doc, spec.columns()));
  const Hash file_sha = sha256(bytes);
  LoadPlan plan;
  plan.row_count = doc.rows.size();
  plan.drafts.reserve(doc.rows.size() + 1);
  plan.drafts.push_back(ingest_draft(spec.source, spec.name, file_name, bytes, doc.rows.size(), options.period));
  Occurrences occurrences;
  occurrences.reserve(doc.rows.size());
  uint64_t done = 0;
  for (const csv::Row& r : doc.rows) {
    RowReader row(doc, columns, r);
    ledger::Draft draft;
    CB_CHECK(spec.build(RowContext{row, options, draft}));
    draft.idempotency_key = row_identity(draft, occurrences);
    set_source(draft, file_sha, r.line);
    plan.drafts.push_back(std::move(draft));
    if (options.progress && ++done % kProgressEveryRows == 0) options.progress(done, plan.row_count);
  }
  if (options.progress) options.progress(plan.row_count, plan.row_count);
  assert(plan.drafts.size() == plan.row_count + 1);
  return plan;
}

}  // namespace closebook::match
