// The match-truth oracle behind closebook-sample --shapes (generator.h): one key per tenant,
// each drawn from the usage shapes real feeds have, with the partner billing a correct close
// must produce for it, computed here from the shape itself — the seats each day, as the
// generator chose them — never from how closebook reads a feed. Faulty keys (a feed that says
// less than the vendor charges) carry the one exception a correct match raises, with its delta
// by docs/matching.md §8.2: (vendor − priced) in units of the period × the vendor's unit price.
#include <algorithm>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "data/sample/generator/generator.h"
#include "data/sample/generator/kit.h"
#include "evidence/decimal.h"

namespace closebook::sample {
namespace {

using closebook::Date;
using closebook::Decimal;
using closebook::Period;
using closebook::Rounding;

using namespace kit;  // exact-decimal shorthands, the seeded Rng and the CSV writer

Decimal sub(const Decimal& a, const Decimal& b) { return minus(a, b); }
Decimal cents_even(const Decimal& a) { return cents_half_even(a); }
Decimal cents_up(const Decimal& a) { return cents_half_up(a); }
// Seat-days in units of the period, as a priced line states them (6 places, half-even).
Decimal per_period(const Decimal& seat_days, int days) { return divide(seat_days, num(days), 6, Rounding::kHalfEven); }

struct Sku {
  std::string vendor, id, unit;
  Decimal cost;               // per unit and month, in `currency`
  std::string currency;       // AUD for Microsoft licences, USD otherwise
  Decimal markup;             // percent
};

class Shapes {
 public:
  Shapes(const ShapeOptions& o) : rng_(o.seed), keys_(o.keys), period_(o.period) {
    prev_ = period_.month == 1 ? Period{period_.year - 1, 12} : Period{period_.year, static_cast<uint8_t>(period_.month - 1)};
  }
  std::map<std::string, std::string> run();

 private:
  Date first() const { return period_.first_day(); }
  Date last() const { return period_.last_day(); }
  Date day(int d) const { return Date::from_days(first().days_since_epoch() + d - 1); }
  int days() const { return period_.days(); }
  Decimal rate(const Sku& s) const { return s.currency == "AUD" ? num(1) : usd_aud_; }

  // One key: a tenant of its own and the vendor identity it is known by.
  struct Key {
    std::string tenant, partner, ref, subscription;
    const Sku* sku;
  };
  Key new_key(const Sku& sku);

  // Partner Center: the subtotal by Microsoft's formula, ROUNDDOWN(ROUNDDOWN(EUP × 1, 2) × Billable, 2).
  Decimal nce(Csv& csv, const Key& k, const std::string& charge, const Date& from, const Date& to, const Decimal& quantity,
              const Decimal& billable, const Decimal& effective_unit, const std::string& frequency = "Monthly");
  // Generic: ROUND_HALF_UP(Quantity × UnitPrice × FxRate, 2), converted at the lock.
  void generic(const Key& k, const std::string& charge, const Decimal& quantity);
  void usage(Csv& csv, const Key& k, const Date& on, const Decimal& quantity, const std::string& basis);
  void usage(const Key& k, int d, const Decimal& quantity, const std::string& basis = "snapshot") {
    usage(usage_csv_, k, day(d), quantity, basis);
  }
  Decimal full_cycle(const Key& k, int64_t seats) {
    return nce(nce_csv_, k, "cycleCharge", first(), last(), num(seats), num(seats), k.sku->cost);
  }
  Decimal billable(int64_t seats, int charged_days) const {
    return divide(num(seats * charged_days), num(days()), 6, Rounding::kHalfUp);
  }

  // The partner billing a correct close produces: `quantity` in units of the period.
  void bill(const Key& k, const Decimal& quantity);
  // A faulty key: its feed says less than the vendor charges. Priced at what the feed says
  // (`priced`), against the vendor's `vendor` (units of the period), with its one exception.
  void fault(const Key& k, const Decimal& vendor, const Decimal& priced, const Decimal& vendor_unit);

  void microsoft_key();
  void backup_key();    // dropsuite: a monthly seat report
  void rmm_key();       // n-able: weekly snapshots
  void workload_key();  // acronis: peak
  void azure_key();     // consumption

  Rng rng_;
  int64_t keys_;
  Period period_, prev_;
  Decimal usd_aud_ = dec("1.521838");
  std::map<std::string, Sku> skus_;
  int64_t counter_ = 0, usage_rows_ = 0;
  Csv partners_{{"PartnerId", "Name", "Country", "Currency", "ResellerMpnId", "MarginFloorPct"}};
  Csv tenants_{{"TenantId", "PartnerId", "Vendor", "IdType", "IdValue", "ValidFrom", "ValidTo"}};
  Csv rules_{{"RuleId", "Version", "Vendor", "SkuId", "PartnerId", "EffectiveFrom", "EffectiveTo", "CostUnitPrice",
              "CostCurrency", "SellMethod", "SellValue", "SellCurrency", "Unit", "MarginFloorPct"}};
  Csv fx_{{"Date", "Base", "Quote", "Rate", "Source"}};
  const std::vector<std::string> nce_header_{"CustomerId", "CustomerName", "InvoiceNumber", "OrderId", "ProductId", "SkuId",
                                             "ChargeType", "UnitPrice", "Quantity", "Subtotal", "Currency", "SubscriptionId",
                                             "ChargeStartDate", "ChargeEndDate", "EffectiveUnitPrice", "BillableQuantity",
                                             "BillingFrequency", "PricingCurrency", "PCToBCExchangeRate"};
  Csv nce_csv_{nce_header_}, prev_nce_csv_{nce_header_};
  Csv generic_csv_{{"Vendor", "InvoiceNumber", "LineRef", "TenantRef", "SubscriptionId", "SkuId", "ChargeType",
                    "ChargeStartDate", "ChargeEndDate", "Quantity", "UnitPrice", "Subtotal", "Currency", "PricingCurrency",
                    "FxRate"}};
  const std::vector<std::string> usage_header_{"Vendor", "UsageDate", "TenantRef", "SubscriptionId", "SkuId",
                                               "Quantity", "QuantityBasis", "UnitType", "SourceRef"};
  Csv usage_csv_{usage_header_}, prev_usage_csv_{usage_header_}, late_usage_csv_{usage_header_};
  Csv billing_{{"Vendor", "SubscriptionId", "SkuId", "Quantity", "CostAmount", "SellAmount", "Currency", "Shape"}};
  Csv expected_{{"Category", "Vendor", "TenantId", "SubscriptionId", "SkuId", "Delta", "Currency"}};
  std::string shape_;  // the shape of the key being written, for the billing file
};

Shapes::Key Shapes::new_key(const Sku& sku) {
  ++counter_;
  Key k;
  k.tenant = "S" + std::to_string(100000 + counter_);
  k.partner = counter_ % 2 ? "P001" : "P002";
  k.sku = &sku;
  const bool microsoft = sku.vendor == "microsoft";
  k.ref = microsoft ? rng_.guid() : "org-" + std::to_string(counter_);
  k.subscription = rng_.guid();
  tenants_.row({k.tenant, k.partner, sku.vendor, microsoft ? "customer_id" : "org_id", k.ref, "2020-01-01", ""});
  return k;
}

Decimal Shapes::nce(Csv& csv, const Key& k, const std::string& charge, const Date& from, const Date& to,
                    const Decimal& quantity, const Decimal& billable_quantity, const Decimal& effective_unit,
                    const std::string& frequency) {
  const Decimal subtotal = cents_down(mul(cents_down(effective_unit), billable_quantity));
  const std::string product = k.sku->id.substr(0, k.sku->id.find(':')), sku = k.sku->id.substr(k.sku->id.find(':') + 1);
  csv.row({k.ref, "Customer " + k.tenant, "G" + std::to_string(period_.year) + std::to_string(period_.month), rng_.guid(),
           product, sku, charge, effective_unit.to_string(), quantity.to_string(), subtotal.to_string(), "AUD",
           k.subscription, from.to_iso(), to.to_iso(), effective_unit.to_string(), billable_quantity.to_string(), frequency,
           "AUD", "1"});
  return subtotal;
}

void Shapes::generic(const Key& k, const std::string& charge, const Decimal& quantity) {
  const Decimal subtotal = cents_up(mul(mul(quantity, k.sku->cost), usd_aud_));
  generic_csv_.row({k.sku->vendor, k.sku->vendor + "-" + period_.to_string(), "L" + std::to_string(counter_), k.ref,
                    k.subscription, k.sku->id, charge, first().to_iso(), last().to_iso(), quantity.to_string(),
                    k.sku->cost.to_string(), subtotal.to_string(), "AUD", "USD", usd_aud_.to_string()});
}

void Shapes::usage(Csv& csv, const Key& k, const Date& on, const Decimal& quantity, const std::string& basis) {
  csv.row({k.sku->vendor, on.to_iso(), k.ref, k.subscription, k.sku->id, quantity.to_string(), basis, k.sku->unit,
           "U" + std::to_string(counter_) + "-" + on.to_iso() + "-" + std::to_string(++usage_rows_)});
}

void Shapes::bill(const Key& k, const Decimal& quantity) {
  // docs/matching.md §3: cost = unit cost × lock × quantity; markup sell unit at ≥ 4 places.
  const Decimal cost_unit = mul(k.sku->cost, rate(*k.sku));
  const Decimal sell_unit = divide(mul(cost_unit, add(num(100), k.sku->markup)), num(100), std::max(cost_unit.scale(), 4),
                                   Rounding::kHalfEven);
  billing_.row({k.sku->vendor, k.subscription, k.sku->id, quantity.to_string(), cents_even(mul(cost_unit, quantity)).to_string(),
                cents_even(mul(sell_unit, quantity)).to_string(), "AUD", shape_});
}

void Shapes::fault(const Key& k, const Decimal& vendor, const Decimal& priced, const Decimal& vendor_unit) {
  bill(k, priced);
  const Decimal delta = cents_even(mul(sub(vendor, priced), vendor_unit));
  expected_.row({"QTY_MISMATCH", k.sku->vendor, k.tenant, k.subscription, k.sku->id, delta.to_string(), "AUD"});
}

// Microsoft NCE seats (a daily feed, the default cadence) in every shape Partner Center bills.
void Shapes::microsoft_key() {
  static const char* kSkus[] = {"CFQ7TTC0LCHC:0002", "CFQ7TTC0LFLX:0001", "CFQ7TTC0LH16:0001"};
  const Sku& sku = skus_.at(kSkus[rng_.in(0, 2)]);
  const Key k = new_key(sku);
  const int64_t q = rng_.in(1, 40);
  const int n = days();
  const Decimal unit = cents_down(sku.cost);  // the vendor's unit price in AUD
  switch (rng_.in(0, 12)) {
    case 0: {  // a snapshot every day
      shape_ = "daily";
      full_cycle(k, q);
      for (int d = 1; d <= n; ++d) usage(k, d, num(q));
      bill(k, num(q));
      return;
    }
    case 1: {  // one snapshot on the 1st: it holds all month
      shape_ = "first-of-month";
      full_cycle(k, q);
      usage(k, 1, num(q));
      bill(k, num(q));
      return;
    }
    case 2: {  // seats added mid-month: addQuantity with a prorated BillableQuantity
      shape_ = "seat-change";
      const int d = static_cast<int>(rng_.in(2, n));
      const int64_t a = rng_.in(1, 5);
      full_cycle(k, q);
      nce(nce_csv_, k, "addQuantity", day(d), last(), num(a), billable(a, n - d + 1), sku.cost);
      usage(k, 1, num(q));
      usage(k, d, num(q + a));
      bill(k, per_period(num(q * n + a * (n - d + 1)), n));
      return;
    }
    case 3: {  // a subscription that starts mid-month, the quantity prorated
      shape_ = "starts-mid-month";
      const int d = static_cast<int>(rng_.in(2, n));
      nce(nce_csv_, k, "new", day(d), last(), num(q), billable(q, n - d + 1), sku.cost);
      usage(k, d, num(q));
      bill(k, per_period(num(q * (n - d + 1)), n));
      return;
    }
    case 4: {  // a subscription that starts mid-month, the unit price prorated
      shape_ = "starts-mid-month-prorated-price";
      const int d = static_cast<int>(rng_.in(2, n));
      const Decimal prorated = divide(mul(sku.cost, num(n - d + 1)), num(n), 12, Rounding::kHalfUp);
      nce(nce_csv_, k, "new", day(d), last(), num(q), num(q), prorated);
      for (int at = d; at <= n; at += 7) usage(k, at, num(q));
      bill(k, per_period(num(q * (n - d + 1)), n));
      return;
    }
    case 5: {  // cancelled mid-month: the refund of the days after, and a count of 0
      shape_ = "ends-mid-month";
      const int e = static_cast<int>(rng_.in(1, n - 1));  // the last day of use
      full_cycle(k, q);
      nce(nce_csv_, k, "cancelImmediate", day(e + 1), last(), num(q), billable(q, n - e).negated(), sku.cost);
      usage(k, 1, num(q));
      usage(k, e + 1, num(0));
      bill(k, per_period(num(q * e), n));
      return;
    }
    case 6: {  // the count carried in from last month's feed, changed on day d
      shape_ = "carried-in";
      const int d = static_cast<int>(rng_.in(2, n));
      const int64_t a = rng_.in(1, 5);
      full_cycle(k, q);
      nce(nce_csv_, k, "addQuantity", day(d), last(), num(a), billable(a, n - d + 1), sku.cost);
      usage(prev_usage_csv_, k, prev_.last_day(), num(q), "snapshot");
      usage(k, d, num(q + a));
      bill(k, per_period(num(q * (d - 1) + (q + a) * (n - d + 1)), n));
      return;
    }
    case 7: {  // an anniversary cycle from the 15th: last month's invoice billed the 1st to the 14th
      shape_ = "anniversary";
      const Date prev_from = Date::from_days(prev_.first_day().days_since_epoch() + 14);
      const Date next_to = Date::from_days(last().days_since_epoch() + 14);
      nce(prev_nce_csv_, k, "cycleCharge", prev_from, day(14), num(q), num(q), sku.cost);
      nce(nce_csv_, k, "cycleCharge", day(15), next_to, num(q), num(q), sku.cost);
      usage(k, 1, num(q));
      bill(k, num(q));
      return;
    }
    case 8: {  // an annual term bought four months ago, paid up front
      shape_ = "annual-term";
      Date from = first();
      for (int m = 0; m < 4; ++m) from = Date::from_days(from.days_since_epoch() - 1), from.day = 1;
      const Date to = Date::from_days(Date{from.year + 1, from.month, 1}.days_since_epoch() - 1);
      nce(prev_nce_csv_, k, "renew", from, to, num(q), num(q), mul(sku.cost, num(12)), "Annual");
      usage(k, 1, num(q));
      bill(k, num(q));
      return;
    }
    case 9: {  // fault: a monthly seat report dated day r, read by a daily feed's rule
      shape_ = "fault-monthly-report-as-daily";
      const int r = static_cast<int>(rng_.in(2, n));
      full_cycle(k, q);
      usage(k, r, num(q));
      fault(k, num(q), per_period(num(q * (n - r + 1)), n), unit);
      return;
    }
    case 10: {  // fault: seats added from day d reported after pricing ran, one fewer than charged:
                // all three legs differ, and the money at stake is vendor against priced
      shape_ = "fault-usage-after-pricing";
      const int d = static_cast<int>(rng_.in(2, n));
      const int64_t a = rng_.in(1, 5);
      full_cycle(k, q);
      nce(nce_csv_, k, "addQuantity", day(d), last(), num(a + 1), billable(a + 1, n - d + 1), sku.cost);
      usage(k, 1, num(q));
      usage(late_usage_csv_, k, day(d), num(q + a), "snapshot");
      fault(k, per_period(num(q * n + (a + 1) * (n - d + 1)), n), num(q), unit);
      return;
    }
    case 11: {  // fault: usage reported after pricing shows seats the vendor does not charge
      shape_ = "fault-uncharged-usage-after-pricing";
      const int d = static_cast<int>(rng_.in(2, n));
      const int64_t a = rng_.in(1, 5);
      full_cycle(k, q);
      usage(k, 1, num(q));
      usage(late_usage_csv_, k, day(d), num(q + a), "snapshot");
      bill(k, num(q));
      const Decimal used = per_period(num(q * n + a * (n - d + 1)), n);
      expected_.row({"QTY_MISMATCH", sku.vendor, k.tenant, k.subscription, sku.id, cents_even(mul(sub(used, num(q)), unit)).to_string(), "AUD"});
      return;
    }
    default: {  // fault: the vendor charges two seats more than usage, all month
      shape_ = "fault-fewer-seats";
      full_cycle(k, q + 2);
      usage(k, 1, num(q));
      usage(k, n, num(q));
      fault(k, num(q + 2), num(q), unit);
      return;
    }
  }
}

// A backup vendor's monthly seat report: one count per customer, dated any day of the month,
// billed for the whole month (the dropsuite cadence is monthly, config or default).
void Shapes::backup_key() {
  const Sku& sku = skus_.at("DS-M365-BACKUP");
  const Key k = new_key(sku);
  const int64_t q = rng_.in(2, 200);
  generic(k, "cycleCharge", num(q));
  const bool stale = rng_.in(0, 9) == 0;  // fault: the report lags one seat behind the invoice
  shape_ = stale ? "fault-stale-monthly-report" : "monthly-report";
  usage(k, static_cast<int>(rng_.in(1, days())), num(stale ? q - 1 : q));
  if (stale) {
    fault(k, num(q), num(q - 1), mul(sku.cost, usd_aud_));
  } else {
    bill(k, num(q));
  }
}

// An RMM vendor's weekly snapshots (n-able: weekly cadence in the close config): the first
// of the period stands for the 6 days before it.
void Shapes::rmm_key() {
  const Sku& sku = skus_.at("NABLE-RMM-DEV");
  const Key k = new_key(sku);
  const int64_t q = rng_.in(1, 120);
  generic(k, "cycleCharge", num(q));
  const bool late = rng_.in(0, 9) == 0;  // fault: the first report of the month comes on day 9..12
  const int f = static_cast<int>(late ? rng_.in(9, 12) : rng_.in(1, 7));
  shape_ = late ? "fault-weekly-late-first-report" : "weekly";
  for (int d = f; d <= days(); d += 7) usage(k, d, num(q));
  if (late) {
    fault(k, num(q), per_period(num(q * (days() - f + 7)), days()), mul(sku.cost, usd_aud_));
  } else {
    bill(k, num(q));
  }
}

// Workloads billed on the month's peak (Acronis): the largest count, whatever its day.
void Shapes::workload_key() {
  const Sku& sku = skus_.at("ACR-CPC-ADVBKP-WL");
  const Key k = new_key(sku);
  const int64_t q = rng_.in(2, 60);
  shape_ = "peak";
  generic(k, "cycleCharge", num(q));
  usage(k, static_cast<int>(rng_.in(1, 10)), num(q - 1), "peak");
  usage(k, static_cast<int>(rng_.in(11, days())), num(q), "peak");
  bill(k, num(q));
}

// Azure consumption through the generic format: hours summed over the records of the month.
void Shapes::azure_key() {
  const Sku& sku = skus_.at("DZH318Z0BQ3Q:0009");
  const Key k = new_key(sku);
  shape_ = "consumption";
  const Decimal a = dec(std::to_string(rng_.in(1, 900)) + "." + std::to_string(rng_.in(10, 99)));
  const Decimal b = dec(std::to_string(rng_.in(1, 900)) + "." + std::to_string(rng_.in(10, 99)));
  generic(k, "usage", add(a, b));
  usage(k, static_cast<int>(rng_.in(1, 15)), a, "consumed");
  usage(k, static_cast<int>(rng_.in(16, days())), b, "consumed");
  bill(k, add(a, b));
}

std::map<std::string, std::string> Shapes::run() {
  partners_.row({"P001", "Shape Partner One", "AU", "AUD", "7000001", "0"});
  partners_.row({"P002", "Shape Partner Two", "AU", "AUD", "7000002", "0"});
  const std::vector<Sku> skus = {
      {"microsoft", "CFQ7TTC0LCHC:0002", "Licence/Month", dec("32.67"), "AUD", dec("11")},
      {"microsoft", "CFQ7TTC0LFLX:0001", "Licence/Month", dec("54.45"), "AUD", dec("9.5")},
      {"microsoft", "CFQ7TTC0LH16:0001", "Licence/Month", dec("5.94"), "AUD", dec("16")},
      {"microsoft", "DZH318Z0BQ3Q:0009", "1 Hour", dec("0.0986"), "USD", dec("8")},
      {"dropsuite", "DS-M365-BACKUP", "Seat/Month", dec("1.75"), "USD", dec("25")},
      {"n-able", "NABLE-RMM-DEV", "Device/Month", dec("2.10"), "USD", dec("20")},
      {"acronis", "ACR-CPC-ADVBKP-WL", "Workload/Month", dec("4.20"), "USD", dec("15")},
  };
  int rule = 0;
  for (const Sku& s : skus) {
    skus_.emplace(s.id, s);
    rules_.row({"SR" + std::to_string(++rule), "1", s.vendor, s.id, "*", "2020-01-01", "", s.cost.to_string(), s.currency,
                "markup_pct", s.markup.to_string(), "AUD", s.unit, ""});
  }
  fx_.row({first().to_iso(), "USD", "AUD", usd_aud_.to_string(), "RBA F11.1"});
  for (int64_t i = 0; i < keys_; ++i) {
    switch (rng_.in(0, 9)) {
      case 0: backup_key(); break;
      case 1: rmm_key(); break;
      case 2: workload_key(); break;
      case 3: azure_key(); break;
      default: microsoft_key(); break;
    }
  }
  return {{"partners.csv", partners_.text()},
          {"tenants.csv", tenants_.text()},
          {"rules.csv", rules_.text()},
          {"fx.csv", fx_.text()},
          {"closebook.json", R"({"feeds": {"dropsuite": {"cadence": "monthly"}, "n-able": {"cadence": "weekly"}}})" "\n"},
          {"previous-invoice-microsoft-nce.csv", prev_nce_csv_.text()},
          {"previous-usage.csv", prev_usage_csv_.text()},
          {"invoice-microsoft-nce.csv", nce_csv_.text()},
          {"invoice-generic.csv", generic_csv_.text()},
          {"usage.csv", usage_csv_.text()},
          {"late-usage.csv", late_usage_csv_.text()},
          {"expected_billing.csv", billing_.text()},
          {"expected_exceptions.csv", expected_.text()}};
}

}  // namespace

std::map<std::string, std::string> generate_shapes(const ShapeOptions& options) { return Shapes(options).run(); }

}  // namespace closebook::sample
