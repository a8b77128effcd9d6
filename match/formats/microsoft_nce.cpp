// Microsoft Partner Center: the new-commerce (NCE) invoice reconciliation file, one row per
// charge. Columns and charge types as Partner Center documents them (docs/matching.md §1).
#include <algorithm>
#include <cctype>
#include <iterator>

#include "match/feeds.h"
#include "match/fields.h"
#include "match/formats/format.h"

namespace closebook::match {
namespace {

// Partner Center charge types for new commerce, compared case-insensitively and stored
// lower-case, with what each means to the match (docs/matching.md §1). Sources:
//   https://learn.microsoft.com/en-us/partner-center/billing/recon-file-charge-types, its table
//     "New commerce license-based reconciliation charges" (doc source recon-file-charge-types.md,
//     ms.date 11/08/2022): new "When you buy a new subscription", renew "When you renew your
//     subscription", cycleCharge "Regular recurring charges for your subscription", addQuantity /
//     removeQuantity "Refunds and charges when you add / remove seats", moveQuantity "When you
//     upgrade to an existing subscription", cancelImmediate "When you cancel your subscription",
//     convert "When you change from a free trial to a paid subscription or upgrade to a new
//     subscription", changeBillingPlan "Changing from monthly to yearly billing or vice versa",
//     customerCredit "Credits for Azure, SLA, etc.", extendTerm "When you are given a longer trial
//     period". Refunds are negative rows under the same type, so every change is signed by its amount.
//   The same page's earlier tables (archived in MicrosoftDocs/partner-center-pr.ja-jp and .de-de):
//     Cancel "used when a subscription is canceled" — read as a refund.
//   creditNote is not a ChargeType in any table read (Microsoft issues credit notes as documents
//     of their own), but exports with it have been reported; it is read as what its name says,
//     money credited, never seats.
//   https://learn.microsoft.com/en-us/partner-center/billing/modern-invoice-reconciliation-file
//     (ChargeType "type of charge or credit"; Quantity "use BillableQuantity for reconciliation";
//     the Subtotal formulas for usage-based and licence-based lines; TermAndBillingCycle,
//     BillingFrequency, UnitType, MeterDescription)
// A type not listed here (a legacy "Cycle fee", an undocumented "trialConversion") refuses the
// file: its meaning is not guessed.
constexpr ChargeType kNceChargeTypes[] = {
    {"new", ChargeRole::kCycle, false, "a new purchase: the first (possibly partial) cycle of a subscription"},
    {"renew", ChargeRole::kCycle, true, "a renewal: the first cycle of the renewed term"},
    {"cyclecharge", ChargeRole::kCycle, true, "the periodic charge for a billing cycle of a subscription"},
    {"addquantity", ChargeRole::kChange, false,
     "seats added within a cycle: the refund of the original purchase and the new quantity, each line signed by its amount"},
    {"removequantity", ChargeRole::kChange, false,
     "seats removed within a cycle: the refund of the original purchase and the new quantity, each line signed by its amount"},
    {"movequantity", ChargeRole::kChange, false,
     "seats moved into an existing subscription on an upgrade: the seats charged on the one, refunded on the other, each line signed by its amount"},
    {"convert", ChargeRole::kChange, false,
     "a trial converted to paid, or an upgrade to a new subscription: the new SKU charged, the old one refunded"},
    {"changebillingplan", ChargeRole::kChange, false,
     "monthly billing changed to yearly or back: the new plan's charge and the old plan's refund, each signed by its amount"},
    {"extendterm", ChargeRole::kChange, false, "a longer trial period: a change within the cycle, signed by its amount (usually zero)"},
    {"cancel", ChargeRole::kRefund, false, "a subscription cancelled: a refund of its seats"},
    {"cancelimmediate", ChargeRole::kRefund, false,
     "a subscription cancelled at once: a prorated refund of the unused days"},
    {"customercredit", ChargeRole::kCredit, false, "a credit to the customer (Azure, SLA): money, not seats"},
    {"creditnote", ChargeRole::kCredit, false, "a credit note: money, not seats"},
};

std::string charge_type_names() {
  static const char* const written[] = {"new", "renew", "cycleCharge", "addQuantity", "removeQuantity", "moveQuantity",
                                        "convert", "changeBillingPlan", "extendTerm", "cancel", "cancelImmediate",
                                        "customerCredit", "creditNote"};
  std::string out;
  for (const char* w : written) out += std::string(out.empty() ? "" : ", ") + w;
  return out;
}

bool blank_or_na(std::string_view v) { return v.empty() || v == "na" || v == "n/a" || v == "none"; }

// Months of a term or billing plan as Partner Center spells them ("1 Month", "One-Year", "3 Years",
// "Monthly", "Annual", "Triennial"); 0 when `word` names none.
int plan_months(std::string_view word) {
  if (word == "monthly" || word == "month") return 1;
  if (word == "annual" || word == "annually" || word == "yearly" || word == "year") return 12;
  if (word == "triennial" || word == "triennially") return 36;
  return 0;
}

std::string_view frequency_name(int months) { return months == 12 ? "annual" : months == 36 ? "triennial" : "monthly"; }

// What TermAndBillingCycle says: the term's months and the billing plans it names (0 = none).
struct TermAndCycle {
  int term = 0;
  std::vector<int> billing;  // "monthly/yearly billing" names two: the line does not say which
};

TermAndCycle read_term_and_cycle(std::string_view text) {
  TermAndCycle out;
  std::vector<std::string> words;
  std::string word;
  for (char ch : lower(text)) {
    if (std::isalnum(static_cast<unsigned char>(ch)) != 0 || ch == '/') {
      word += ch;
    } else if (!word.empty()) {
      words.push_back(std::move(word));
      word.clear();
    }
  }
  if (!word.empty()) words.push_back(word);
  auto count = [](std::string_view w) {
    if (w == "1" || w == "one") return 1;
    if (w == "3" || w == "three") return 3;
    return 0;
  };
  for (size_t i = 0; i < words.size(); ++i) {
    // "One-Year" splits into "one" "year"; "1 Month", "3 Years"; "Annual commitment".
    std::string unit = words[i];
    if (unit.size() > 1 && unit.back() == 's') unit.pop_back();
    const int n = i > 0 ? count(words[i - 1]) : 0;
    if (out.term == 0 && (unit == "month" || unit == "year") && n > 0) out.term = n * (unit == "year" ? 12 : 1);
    if (words[i] == "billing" && i > 0) {
      for (size_t from = 0, to; from <= words[i - 1].size(); from = to + 1) {
        to = words[i - 1].find('/', from);
        if (to == std::string::npos) to = words[i - 1].size();
        if (int m = plan_months(std::string_view(words[i - 1]).substr(from, to - from)); m > 0) out.billing.push_back(m);
      }
    }
    if (out.term == 0 && i + 1 < words.size() && words[i + 1] == "commitment" && plan_months(words[i]) > 1) {
      out.term = plan_months(words[i]);  // "Annual commitment, monthly billing"
    }
  }
  return out;
}

// The line's billing cycle, normalised into InvoiceLine.billingFrequency ("monthly", "annual",
// "triennial"; "" on a usage-based line, which has none): BillingFrequency when it names a plan,
// else what TermAndBillingCycle says — its one billing plan; a one-month term, billed monthly;
// else the window of a charge that always covers a whole cycle (renew, cycleCharge). A licence
// line whose cycle none of these decides refuses the file: proration and the book price per
// cycle depend on it, and a guess would be wrong in silence (docs/matching.md §1).
Result<std::string> billing_frequency(const csv::RowReader& row, const rows::Window& window, const ChargeType& type,
                                      bool usage) {
  const std::string written = lower(row.optional_text("BillingFrequency"));
  if (!blank_or_na(written)) {
    const int months = plan_months(written);
    if (months == 0) {
      return row.error("BillingFrequency", "\"" + std::string(row.optional_text("BillingFrequency")) +
                                               "\" is not a Partner Center billing plan (Monthly, Annual, Triennial)");
    }
    return std::string(frequency_name(months));
  }
  if (usage) return std::string();
  const std::string term_text(row.optional_text("TermAndBillingCycle"));
  const TermAndCycle t = read_term_and_cycle(term_text);
  if (t.billing.size() == 1) return std::string(frequency_name(t.billing.front()));
  if (t.billing.empty() && t.term == 1) return std::string("monthly");
  if (type.whole_cycle) {
    const int64_t days = window.end.days_since_epoch() - window.start.days_since_epoch() + 1;
    for (int months : {1, 12, 36}) {
      const bool named = t.billing.empty() || std::find(t.billing.begin(), t.billing.end(), months) != t.billing.end();
      if (named && (t.term == 0 || months <= t.term) && rows::cycle_days(window.end, months) == days) {
        return std::string(frequency_name(months));
      }
    }
  }
  return row.error("TermAndBillingCycle",
                   "BillingFrequency is blank and \"" + term_text +
                       "\" does not say whether the charge is billed monthly, annually or triennially");
}

// A row is usage-based (an Azure plan meter, valued by Partner Center's usage formula) when it
// names a meter (MeterDescription) and no billing plan (BillingFrequency blank): licences are
// bought on a plan, consumption is metered.
bool usage_based(const csv::RowReader& row) {
  return !row.optional_text("MeterDescription").empty() && blank_or_na(lower(row.optional_text("BillingFrequency")));
}

const std::vector<csv::ColumnSpec>& nce_columns() {
  static const std::vector<csv::ColumnSpec> columns = {
      {"CustomerId"}, {"CustomerName", false}, {"CustomerDomainName", false},
      {"InvoiceNumber"}, {"ResellerMpnId", false, {"Tier2MpnId"}}, {"OrderId", false},
      {"ProductId"}, {"SkuId"}, {"SkuName", false}, {"ChargeType"},
      {"UnitPrice"}, {"Quantity"}, {"Subtotal"}, {"TaxTotal", false}, {"Total", false},
      {"Currency"}, {"SubscriptionId"}, {"ChargeStartDate"}, {"ChargeEndDate"},
      {"EffectiveUnitPrice", false}, {"BillableQuantity", false}, {"BillingFrequency", false},
      {"TermAndBillingCycle", false}, {"MeterDescription", false}, {"UnitType", false},
      {"PricingCurrency", false}, {"PCToBCExchangeRate", false},
      {"PCToBCExchangeRateDate", false}, {"ReferenceId", false}, {"LineItemId", false}};
  return columns;
}

Status build_nce_line(const RowContext& c) {
  const csv::RowReader& row = c.row;
  CB_TRY(std::string_view charge_type, row.text("ChargeType"));
  const std::string charge = lower(charge_type);
  const auto type = std::find_if(std::begin(kNceChargeTypes), std::end(kNceChargeTypes),
                                 [&](const ChargeType& t) { return t.name == charge; });
  if (type == std::end(kNceChargeTypes)) {
    return row.error("ChargeType", "\"" + std::string(charge_type) + "\" is not a Partner Center new-commerce charge type (" +
                                       charge_type_names() + ")");
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
  const bool usage = usage_based(row);
  CB_TRY(std::string frequency, billing_frequency(row, window, *type, usage));

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
  l.setBillingFrequency(frequency);
  l.setUsageBased(usage);
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
    // Usage-based lines (Azure plan meters) cut the amount before converting it instead.
    {.unit_cut_to_cents = true, .amount_rounding = Rounding::kDown, .bills_billable_quantity = true,
     .customer_id_domain_name = true, .usage_cut_before_fx = true, .charge_types = kNceChargeTypes,
     .charge_types_closed = true}};

}  // namespace closebook::match
