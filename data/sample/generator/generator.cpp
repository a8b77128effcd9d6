// The seeded period generator behind closebook-sample (generator.h).
//
// The expected deltas are derived here from the vendors' published formulas (Partner Center:
// ROUNDDOWN(EffectiveUnitPrice × rate, 2) × BillableQuantity, cut to cents; generic: half-up
// cents) and the pricing rules of docs/matching.md, independently of the matcher's code.
#include "data/sample/generator/generator.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "evidence/date.h"
#include "data/sample/generator/kit.h"
#include "evidence/decimal.h"

namespace closebook::sample {
namespace {

using closebook::Date;
using closebook::Decimal;
using closebook::Period;
using closebook::Rounding;

using namespace kit;  // exact-decimal shorthands, the seeded Rng and the CSV writer

struct Sku {
  std::string vendor, id, name;
  Decimal cost;
  std::string cost_currency;
  bool fixed = false;
  Decimal sell;  // markup % or fixed unit price in AUD
  std::string unit;
  std::string floor;
};

struct Partner {
  std::string id, name, currency, mpn;
};

struct Tenant {
  std::string id;
  const Partner* partner;
  std::string customer_id, domain, name, acronis_org, datto_org;
  const Partner* moves_to = nullptr;  // from `moves_on` on, every edge names this partner
  std::string moves_on;
};

struct Expected {
  std::string category, vendor, tenant, subscription, sku, delta, currency;
  bool operator<(const Expected& o) const {
    return std::tie(category, vendor, tenant, subscription, sku, delta) <
           std::tie(o.category, o.vendor, o.tenant, o.subscription, o.sku, o.delta);
  }
};

class Generator {
 public:
  Generator(uint64_t seed, int64_t lines, Period period) : rng_(seed), target_lines_(lines), period_(period) {}
  void run();
  std::map<std::string, std::string> files() const;

 private:
  void reference();
  void clean_tenant(const Tenant& t);
  void inject();
  std::string tenant_edges() const;
  Tenant& new_tenant(const Partner* partner, bool acronis, bool datto);

  // Partner Center, AUD pricing: one row. `billable` empty = quantity; returns the subtotal.
  Decimal nce(const Tenant& t, const std::string& subscription, const Sku& sku, const std::string& charge,
              const Date& from, const Date& to, const Decimal& quantity, const Decimal& billable,
              const Decimal& unit, const std::string& frequency = "Monthly", const std::string& mpn = "");
  Decimal nce_cycle(const Tenant& t, const std::string& subscription, const Sku& sku, int64_t seats) {
    return nce(t, subscription, sku, "cycleCharge", first(), last(), num(seats), num(seats), sku.cost);
  }
  // The last Partner Center row again, under a new ReferenceId: a charge billed twice.
  void repeat_last_nce() {
    std::vector<std::string> row = last_nce_row_;
    row.back() = rng_.guid();
    nce_csv_.row(row);
    ++invoice_lines_;
  }
  Decimal generic(const std::string& vendor, const std::string& invoice, const std::string& tenant_ref,
                  const std::string& subscription, const Sku& sku, const std::string& charge, const Decimal& quantity,
                  const Decimal& rate);
  void usage(const std::string& vendor, const Date& day, const std::string& tenant_ref, const std::string& subscription,
             const Sku& sku, const Decimal& quantity, const std::string& basis);
  // What the partner billing system bills for a key, in units of the period: the third leg
  // of bench/pandas_match.py's match (closebook prices its own from usage instead).
  void bill(const Tenant& t, const std::string& vendor, const std::string& tenant_ref, const std::string& subscription,
            const Sku& sku, const Decimal& quantity) {
    billing_csv_.row({t.partner->id, tenant_ref, vendor, subscription, sku.id, quantity.to_string()});
  }
  void seats_usage(const Tenant& t, const std::string& subscription, const Sku& sku, int64_t seats) {
    usage("microsoft", first(), t.customer_id, subscription, sku, num(seats), "snapshot");
    usage("microsoft", last(), t.customer_id, subscription, sku, num(seats), "snapshot");
  }
  void expect(const std::string& category, const std::string& vendor, const Tenant* t, const std::string& subscription,
              const std::string& sku, const std::string& delta, const std::string& currency) {
    expected_.push_back(Expected{category, vendor, t ? t->id : "", subscription, sku, delta, currency});
  }
  // Partner pricing of whole-month seats (docs/matching.md §3): markup at 4+ places, cents half-even.
  Decimal sell_amount(const Sku& sku, const Decimal& quantity) const {
    const Decimal unit = sku.fixed ? sku.sell
                                   : divide(mul(sku.cost, add(num(100), sku.sell)), num(100),
                                            std::max(sku.cost.scale(), 4), Rounding::kHalfEven);
    return cents_half_even(mul(unit, quantity));
  }
  Date first() const { return period_.first_day(); }
  Date last() const { return period_.last_day(); }
  Date day(int d) const { return Date::from_days(first().days_since_epoch() + d - 1); }
  std::string sub_id() { return rng_.guid(); }
  const Partner* aud_partner() { return &partners_[static_cast<size_t>(rng_.in(0, 1))]; }

  Rng rng_;
  int64_t target_lines_;
  Period period_;
  std::vector<Partner> partners_;
  std::deque<Tenant> tenants_;  // a deque: references to tenants stay valid as it grows
  std::map<std::string, Sku> skus_;
  std::vector<std::vector<std::string>> rule_rows_;
  int64_t invoice_lines_ = 0;
  Csv partners_csv_{{"PartnerId", "Name", "Country", "Currency", "ResellerMpnId", "MarginFloorPct"}};
  Csv rules_csv_{{"RuleId", "Version", "Vendor", "SkuId", "PartnerId", "EffectiveFrom", "EffectiveTo", "CostUnitPrice",
                  "CostCurrency", "SellMethod", "SellValue", "SellCurrency", "Unit", "MarginFloorPct"}};
  Csv fx_csv_{{"Date", "Base", "Quote", "Rate", "Source"}};
  Csv nce_csv_{{"PartnerId", "CustomerId", "CustomerName", "CustomerDomainName", "InvoiceNumber", "MpnId", "Tier2MpnId",
                "OrderId", "ProductId", "SkuId", "SkuName", "ChargeType", "UnitPrice", "Quantity", "Subtotal", "TaxTotal",
                "Total", "Currency", "SubscriptionId", "ChargeStartDate", "ChargeEndDate", "EffectiveUnitPrice",
                "BillableQuantity", "BillingFrequency", "PricingCurrency", "PCToBCExchangeRate",
                "PCToBCExchangeRateDate", "ReferenceId"}};
  Csv generic_csv_{{"Vendor", "InvoiceNumber", "LineRef", "TenantRef", "SubscriptionId", "SkuId", "ChargeType",
                    "ChargeStartDate", "ChargeEndDate", "Quantity", "UnitPrice", "Subtotal", "Currency",
                    "PricingCurrency", "FxRate"}};
  Csv billing_csv_{{"PartnerId", "TenantRef", "Vendor", "SubscriptionId", "SkuId", "Quantity"}};
  Csv usage_csv_{{"Vendor", "UsageDate", "TenantRef", "SubscriptionId", "SkuId", "Quantity", "QuantityBasis", "UnitType",
                  "SourceRef"}};
  std::vector<std::string> last_nce_row_;
  std::vector<Expected> expected_;
  int64_t generic_lines_ = 0, usage_rows_ = 0;
  const Decimal usd_aud_ = dec("1.521838");
};

void Generator::reference() {
  // Five partners at the smallest size, one per 5,000 lines beyond; every fifth bills in NZD.
  const int64_t partner_count = std::max<int64_t>(5, target_lines_ / 5000);
  for (int64_t i = 0; i < partner_count; ++i) {
    char id[32];
    std::snprintf(id, sizeof id, "P%03lld", static_cast<long long>(i + 1));
    const bool nz = i % 5 == 3;
    Partner p{id, std::string(nz ? "Kiwi" : "Aussie") + " MSP " + std::to_string(i + 1) + (i % 7 == 1 ? ", Pty Ltd" : " Pty Ltd"),
              nz ? "NZD" : "AUD", std::to_string(6100000 + i * 17)};
    partners_.push_back(p);
    partners_csv_.row({p.id, p.name, nz ? "NZ" : "AU", p.currency, p.mpn, "7.5"});
  }
  auto sku = [&](Sku s) { skus_[s.id] = s; };
  sku({"microsoft", "CFQ7TTC0LCHC:0002", "Microsoft 365 Business Premium", dec("32.67"), "AUD", false, dec("11.00"), "Licence/Month", "8.0"});
  sku({"microsoft", "CFQ7TTC0LFLX:0001", "Microsoft 365 E3", dec("57.17"), "AUD", false, dec("9.50"), "Licence/Month", "8.0"});
  sku({"microsoft", "CFQ7TTC0LH16:0001", "Exchange Online (Plan 1)", dec("5.94"), "AUD", true, dec("6.90"), "Licence/Month", "10.0"});
  sku({"microsoft", "CFQ7TTC0LFLZ:0001", "Microsoft 365 E5", dec("89.10"), "AUD", false, dec("8.00"), "Licence/Month", "6.0"});
  sku({"microsoft", "CFQ7TTC0LOWM:0001", "Teams Essentials (promo)", dec("20.00"), "AUD", false, dec("3.00"), "Licence/Month", "8.0"});
  sku({"microsoft", "DZH318Z0BQ3Q:0009", "Azure D2s v5 compute", dec("0.05183999999999999996"), "USD", false, dec("15.00"), "1 Hour", "10.0"});
  sku({"acronis", "ACR-CPC-ADVBKP-WL", "Acronis Advanced Backup workload", dec("4.850000"), "USD", false, dec("25.00"), "Workload/Month", "12.0"});
  sku({"acronis", "ACR-CPC-STORAGE-GB", "Acronis hosted storage", dec("0.052500"), "USD", false, dec("30.00"), "1 GB/Month", "12.0"});
  sku({"datto", "DATTO-SAAS-M365-SEAT", "Datto SaaS Protection seat", dec("2.950000"), "USD", true, dec("5.4900"), "Seat/Month", "15.0"});
  int rule = 0;
  for (const auto& [id, s] : skus_) {
    char rid[32];
    std::snprintf(rid, sizeof rid, "R%03d", ++rule);
    rules_csv_.row({rid, "1", s.vendor, s.id, "*", "2025-01-01", "", s.cost.to_string(), s.cost_currency,
                    s.fixed ? "fixed" : "markup_pct", s.sell.to_string(), "AUD", s.unit, s.floor});
  }
  // A SKU the price book does not know: NO_PRICING_RULE.
  skus_["CFQ7TTC0NORL:0001"] = Sku{"microsoft", "CFQ7TTC0NORL:0001", "Copilot add-on (unpriced)", dec("44.00"), "AUD", true,
                                   dec("49.00"), "Licence/Month", "8.0"};
  const std::string before = Date::from_days(first().days_since_epoch() - 1).to_iso(), on = first().to_iso();
  for (const std::string& d : {before, on}) {
    const bool lock = d == on;
    fx_csv_.row({d, "USD", "AUD", lock ? "1.521838" : "1.519757", "RBA F11.1"});
    fx_csv_.row({d, "USD", "NZD", lock ? "1.681237" : "1.680672", "RBNZ B1"});
    fx_csv_.row({d, "AUD", "NZD", lock ? "1.1047" : "1.1059", "RBA F11.1"});
  }
}

Tenant& Generator::new_tenant(const Partner* partner, bool acronis, bool datto) {
  char id[32];
  std::snprintf(id, sizeof id, "T%06zu", tenants_.size() + 1);
  const std::string n = std::to_string(tenants_.size() + 1);
  Tenant t{id, partner, rng_.guid(), "customer" + n + ".onmicrosoft.com",
           (tenants_.size() % 11 == 3 ? "Harbour & Hills, Dental " : "Customer ") + n, "", ""};
  if (acronis) t.acronis_org = rng_.guid();
  if (datto) t.datto_org = std::to_string(100000 + tenants_.size());
  tenants_.push_back(t);
  return tenants_.back();
}

// Every identity of every tenant, as edges; a move ends one edge and starts another.
std::string Generator::tenant_edges() const {
  Csv csv({"TenantId", "PartnerId", "Vendor", "IdType", "IdValue", "ValidFrom", "ValidTo"});
  const std::string since = "2025-01-01";
  for (const Tenant& t : tenants_) {
    auto edge = [&](const std::string& vendor, const std::string& type, const std::string& value) {
      if (value.empty()) return;
      if (t.moves_to == nullptr) {
        csv.row({t.id, t.partner->id, vendor, type, value, since, ""});
        return;
      }
      const Date on = Date::parse(t.moves_on).value();
      csv.row({t.id, t.partner->id, vendor, type, value, since, Date::from_days(on.days_since_epoch() - 1).to_iso()});
      csv.row({t.id, t.moves_to->id, vendor, type, value, t.moves_on, ""});
    };
    edge("microsoft", "customer_id", t.customer_id);
    edge("microsoft", "domain", t.domain);
    edge("acronis", "org_id", t.acronis_org);
    edge("datto", "org_id", t.datto_org);
  }
  return csv.text();
}

Decimal Generator::nce(const Tenant& t, const std::string& subscription, const Sku& sku, const std::string& charge,
                       const Date& from, const Date& to, const Decimal& quantity, const Decimal& billable,
                       const Decimal& unit, const std::string& frequency, const std::string& mpn) {
  const Decimal subtotal = cents_down(mul(cents_down(unit), billable));
  const Decimal tax = cents_half_up(mul(subtotal, dec("0.10")));
  const auto colon = sku.id.find(':');
  const std::string us_date = std::to_string(from.month) + "/" + std::to_string(from.day) + "/" + std::to_string(from.year);
  const std::string us_end = std::to_string(to.month) + "/" + std::to_string(to.day) + "/" + std::to_string(to.year);
  // The list price is the effective price before a 10 % partner discount.
  const Decimal list = cents_half_up(divide(unit, dec("0.9"), 4, Rounding::kHalfUp));
  const Decimal unit22 = unit.rescale(20).value();
  last_nce_row_ = {"fa06878e-2a67-4e70-bd80-a3981dd033c6", t.customer_id, t.name, t.domain, "G0" + std::to_string(100000000 + period_.year * 100 + period_.month),
                "5123456", mpn.empty() ? t.partner->mpn : mpn, rng_.hex(24), sku.id.substr(0, colon), sku.id.substr(colon + 1),
                sku.name, charge, list.to_string(), quantity.to_string(), subtotal.to_string(), tax.to_string(),
                add(subtotal, tax).to_string(), "AUD", subscription, us_date, us_end, unit22.to_string(),
                billable.to_string(), frequency, "AUD", "1", first().to_iso(), rng_.guid()};
  nce_csv_.row(last_nce_row_);
  ++invoice_lines_;
  return subtotal;
}

Decimal Generator::generic(const std::string& vendor, const std::string& invoice, const std::string& tenant_ref,
                           const std::string& subscription, const Sku& sku, const std::string& charge,
                           const Decimal& quantity, const Decimal& rate) {
  const Decimal subtotal = cents_half_up(mul(mul(quantity, sku.cost), rate));
  generic_csv_.row({vendor, invoice, invoice + "-" + std::to_string(++generic_lines_), tenant_ref, subscription, sku.id,
                    charge, first().to_iso(), last().to_iso(), quantity.to_string(), sku.cost.to_string(),
                    subtotal.to_string(), "AUD", "USD", rate.to_string()});
  ++invoice_lines_;
  return subtotal;
}

void Generator::usage(const std::string& vendor, const Date& on, const std::string& tenant_ref,
                      const std::string& subscription, const Sku& sku, const Decimal& quantity, const std::string& basis) {
  usage_csv_.row({vendor, on.to_iso(), tenant_ref, subscription, sku.id, quantity.to_string(), basis, sku.unit,
                  "SRC-" + std::to_string(++usage_rows_)});
}

// One tenant with nothing wrong: the shapes a real period has, each matching on every leg.
void Generator::clean_tenant(const Tenant& t) {
  static const char* kSeatSkus[] = {"CFQ7TTC0LCHC:0002", "CFQ7TTC0LFLX:0001", "CFQ7TTC0LH16:0001"};
  const int seat_skus = static_cast<int>(rng_.in(1, 3));
  const int offset = static_cast<int>(rng_.in(0, 2));
  for (int i = 0; i < seat_skus; ++i) {
    const Sku& sku = skus_.at(kSeatSkus[(offset + i) % 3]);
    const std::string sub = sub_id();
    const int64_t seats = rng_.in(1, 40);
    const int shape = static_cast<int>(rng_.in(0, 19));
    if (shape == 0) {  // annual term renewing on the 1st: one charge for the year
      const Date to = Date::from_days(Date{first().year + 1, first().month, 1}.days_since_epoch() - 1);
      nce(t, sub, sku, "renew", first(), to, num(seats), num(seats), mul(sku.cost, num(12)), "Annual");
      seats_usage(t, sub, sku, seats);
      bill(t, "microsoft", t.customer_id, sub, sku, num(seats));
    } else if (shape <= 2) {  // seats added mid-month: a prorated addQuantity
      const int d = static_cast<int>(rng_.in(2, period_.days()));
      const int64_t added = rng_.in(1, 3);
      const int days = period_.days() - d + 1;
      nce_cycle(t, sub, sku, seats);
      const Decimal billable = round_to(divide(num(added * days), num(period_.days()), 10, Rounding::kHalfUp), 6, Rounding::kHalfUp);
      nce(t, sub, sku, "addQuantity", day(d), last(), num(added), billable, sku.cost);
      usage("microsoft", first(), t.customer_id, sub, sku, num(seats), "snapshot");
      usage("microsoft", day(d), t.customer_id, sub, sku, num(seats + added), "snapshot");
      usage("microsoft", last(), t.customer_id, sub, sku, num(seats + added), "snapshot");
      bill(t, "microsoft", t.customer_id, sub, sku, add(num(seats), billable));
    } else if (shape == 3) {  // seats added and removed the same day: refund + charge, not a duplicate
      const int d = static_cast<int>(rng_.in(2, period_.days()));
      const int days = period_.days() - d + 1;
      const Decimal billable = round_to(divide(num(2 * days), num(period_.days()), 10, Rounding::kHalfUp), 6, Rounding::kHalfUp);
      nce_cycle(t, sub, sku, seats);
      nce(t, sub, sku, "addQuantity", day(d), last(), num(2), billable, sku.cost);
      nce(t, sub, sku, "removeQuantity", day(d), last(), num(-2), billable.negated(), sku.cost);
      seats_usage(t, sub, sku, seats);
      bill(t, "microsoft", t.customer_id, sub, sku, num(seats));
    } else {
      nce_cycle(t, sub, sku, seats);
      seats_usage(t, sub, sku, seats);
      bill(t, "microsoft", t.customer_id, sub, sku, num(seats));
    }
  }
  const std::string period = period_.to_string();
  if (rng_.one_in(5)) {  // Azure consumption, billed through the generic format
    const Sku& azure = skus_.at("DZH318Z0BQ3Q:0009");
    const std::string sub = sub_id();
    const Decimal hours = dec(std::to_string(rng_.in(500, 5000)) + "." + std::to_string(rng_.in(10, 99)));
    generic("microsoft", "MSAZ-" + period, t.customer_id, sub, azure, "usage", hours, usd_aud_);
    const Decimal part = dec(std::to_string(rng_.in(100, 400)));
    usage("microsoft", day(15), t.customer_id, sub, azure, part, "consumed");
    usage("microsoft", last(), t.customer_id, sub, azure, minus(hours, part), "consumed");
    bill(t, "microsoft", t.customer_id, sub, azure, hours);
  }
  if (!t.acronis_org.empty()) {
    const Sku& workload = skus_.at("ACR-CPC-ADVBKP-WL");
    const Sku& storage = skus_.at("ACR-CPC-STORAGE-GB");
    const std::string wl = sub_id(), st = sub_id();
    const int64_t workloads = rng_.in(1, 30);
    generic("acronis", "ACR-" + period, t.acronis_org, wl, workload, "cycleCharge", num(workloads), usd_aud_);
    usage("acronis", last(), t.acronis_org, wl, workload, num(workloads), "peak");
    bill(t, "acronis", t.acronis_org, wl, workload, num(workloads));
    const Decimal gb = dec(std::to_string(rng_.in(100, 3000)) + "." + std::to_string(rng_.in(100, 999)));
    generic("acronis", "ACR-" + period, t.acronis_org, st, storage, "usage", gb, usd_aud_);
    const Decimal split = dec(std::to_string(rng_.in(10, 99)));
    usage("acronis", last(), t.acronis_org, st, storage, split, "consumed");
    usage("acronis", last(), t.acronis_org, st, storage, minus(gb, split), "consumed");
    bill(t, "acronis", t.acronis_org, st, storage, gb);
  }
  if (!t.datto_org.empty()) {  // billed on the month-end count; usage grew during the month
    const Sku& seat = skus_.at("DATTO-SAAS-M365-SEAT");
    const std::string sub = "SP-" + t.datto_org + "-01";
    const int64_t seats = rng_.in(2, 60);
    generic("datto", "DTO-" + period, t.datto_org, sub, seat, "cycleCharge", num(seats), usd_aud_);
    usage("datto", first(), t.datto_org, sub, seat, num(seats - 1), "snapshot");
    usage("datto", last(), t.datto_org, sub, seat, num(seats), "snapshot");
    bill(t, "datto", t.datto_org, sub, seat, num(seats));
  }
}

// One of each anomaly (more at scale), each on a tenant of its own, with the delta to find.
void Generator::inject() {
  const int64_t rounds = std::max<int64_t>(1, target_lines_ / 20000);
  const Sku& bp = skus_.at("CFQ7TTC0LCHC:0002");
  const Sku& e3 = skus_.at("CFQ7TTC0LFLX:0001");
  const Sku& e5 = skus_.at("CFQ7TTC0LFLZ:0001");
  const Sku& exo = skus_.at("CFQ7TTC0LH16:0001");
  const Sku& datto = skus_.at("DATTO-SAAS-M365-SEAT");
  for (int64_t r = 0; r < rounds; ++r) {
    const int64_t q = rng_.in(3, 30);
    {  // UNBILLED_USAGE: invoiced, no usage, no partner line
      const Tenant& t = new_tenant(aud_partner(), false, false);
      const std::string s = sub_id();
      expect("UNBILLED_USAGE", "microsoft", &t, s, bp.id, nce_cycle(t, s, bp, q).to_string(), "AUD");
    }
    {  // ORPHAN_BILLING: usage priced and billed, the vendor invoices nothing
      const Tenant& t = new_tenant(aud_partner(), false, false);
      const std::string s = sub_id();
      seats_usage(t, s, bp, q);
      expect("ORPHAN_BILLING", "microsoft", &t, s, bp.id, sell_amount(bp, num(q)).to_string(), "AUD");
    }
    {  // QTY_MISMATCH: two seats more on the invoice than in usage, all month
      const Tenant& t = new_tenant(aud_partner(), false, false);
      const std::string s = sub_id();
      nce_cycle(t, s, exo, q + 2);
      seats_usage(t, s, exo, q);
      expect("QTY_MISMATCH", "microsoft", &t, s, exo.id, cents_half_even(mul(num(2), exo.cost)).to_string(), "AUD");
    }
    {  // COST_RATE_MISMATCH: the vendor's effective price is 5 cents above the price book
      const Tenant& t = new_tenant(aud_partner(), false, false);
      const std::string s = sub_id();
      const Decimal billed = nce(t, s, bp, "cycleCharge", first(), last(), num(q), num(q), add(bp.cost, dec("0.05")));
      seats_usage(t, s, bp, q);
      expect("COST_RATE_MISMATCH", "microsoft", &t, s, bp.id, minus(billed, cents_down(mul(bp.cost, num(q)))).to_string(), "AUD");
    }
    {  // FX_VARIANCE: a Datto invoice converted 20 bps below the locked rate
      const std::string invoice = "DTO-FX-" + std::to_string(r + 1);
      const Decimal rate = round_to(mul(usd_aud_, dec("0.998")), 6, Rounding::kHalfEven);
      Decimal billed, at_lock;
      for (int i = 0; i < 2; ++i) {
        const Tenant& t = new_tenant(aud_partner(), false, true);
        const std::string s = "SP-" + t.datto_org + "-01";
        const int64_t seats = rng_.in(5, 50);
        billed = add(billed, generic("datto", invoice, t.datto_org, s, datto, "cycleCharge", num(seats), rate));
        at_lock = add(at_lock, cents_half_up(mul(mul(num(seats), datto.cost), usd_aud_)));
        usage("datto", first(), t.datto_org, s, datto, num(seats), "snapshot");
        usage("datto", last(), t.datto_org, s, datto, num(seats), "snapshot");
      }
      expect("FX_VARIANCE", "datto", nullptr, "", "", minus(billed, at_lock).to_string(), "AUD");
    }
    {  // DUPLICATE_CHARGE: the same cycle charge twice
      const Tenant& t = new_tenant(aud_partner(), false, false);
      const std::string s = sub_id();
      const Decimal once = nce_cycle(t, s, e3, q);
      repeat_last_nce();  // the copy differs in nothing the vendor bills by
      seats_usage(t, s, e3, q);
      expect("DUPLICATE_CHARGE", "microsoft", &t, s, e3.id, once.to_string(), "AUD");
    }
    {  // DUPLICATE_SUBSCRIPTION: a second subscription for a tenant and SKU billed once
      const Tenant& t = new_tenant(aud_partner(), false, false);
      const std::string kept = sub_id(), second = sub_id();
      nce_cycle(t, kept, bp, q);
      seats_usage(t, kept, bp, q);
      expect("DUPLICATE_SUBSCRIPTION", "microsoft", &t, second, bp.id, nce_cycle(t, second, bp, 2).to_string(), "AUD");
    }
    {  // TENANT_UNRESOLVED: a customer the identity graph does not know
      Tenant stranger{"", aud_partner(), rng_.guid(), "stranger" + std::to_string(r) + ".onmicrosoft.com",
                      "Unknown Customer " + std::to_string(r), "", ""};
      const std::string s = sub_id();
      const Decimal billed = nce_cycle(stranger, s, exo, q);
      expect("TENANT_UNRESOLVED", "microsoft", nullptr, s, exo.id, billed.to_string(), "AUD");
    }
    {  // PARTNER_MISMATCH: the invoice names another partner as reseller of record
      const Partner* own = &partners_[0];
      const Tenant& t = new_tenant(own, false, false);
      const std::string s = sub_id();
      const Decimal billed = nce(t, s, bp, "cycleCharge", first(), last(), num(q), num(q), bp.cost, "Monthly", partners_[1].mpn);
      seats_usage(t, s, bp, q);
      expect("PARTNER_MISMATCH", "microsoft", &t, s, bp.id, billed.to_string(), "AUD");
    }
    {  // SKU_MISMATCH: the vendor converted the subscription to E5; usage and the partner still say BP
      const Tenant& t = new_tenant(aud_partner(), false, false);
      const std::string s = sub_id();
      const Decimal billed = nce(t, s, e5, "convert", first(), last(), num(q), num(q), e5.cost);
      seats_usage(t, s, bp, q);
      expect("SKU_MISMATCH", "microsoft", &t, s, bp.id, billed.to_string(), "AUD");
    }
    {  // NO_PRICING_RULE: a SKU the price book does not have
      const Tenant& t = new_tenant(aud_partner(), false, false);
      const Sku& unpriced = skus_.at("CFQ7TTC0NORL:0001");
      const std::string s = sub_id();
      const Decimal billed = nce_cycle(t, s, unpriced, q);  // the money at stake: what the vendor charges for it
      seats_usage(t, s, unpriced, q);
      expect("NO_PRICING_RULE", "microsoft", &t, s, unpriced.id, billed.to_string(), "AUD");
    }
    {  // MARGIN_FLOOR_BREACH: a 3 % markup under an 8 % floor
      const Tenant& t = new_tenant(aud_partner(), false, false);
      const Sku& promo = skus_.at("CFQ7TTC0LOWM:0001");
      const std::string s = sub_id();
      nce_cycle(t, s, promo, q);
      seats_usage(t, s, promo, q);
      const Decimal sell = sell_amount(promo, num(q)), cost = cents_half_even(mul(promo.cost, num(q)));
      const Decimal floor = divide(mul(sell, dec("8.0")), num(100), 2, Rounding::kHalfEven);
      expect("MARGIN_FLOOR_BREACH", "microsoft", &t, s, promo.id, minus(floor, minus(sell, cost)).to_string(), "AUD");
    }
    {  // CREDIT_NOT_PASSED_ON: seats refunded from day 11 that usage still counts
      const Tenant& t = new_tenant(aud_partner(), false, false);
      const std::string s = sub_id();
      const int days = period_.days() - 10;
      const Decimal billable = round_to(divide(num(2 * days), num(period_.days()), 10, Rounding::kHalfUp), 6, Rounding::kHalfUp);
      nce_cycle(t, s, bp, q);
      nce(t, s, bp, "removeQuantity", day(11), last(), num(-2), billable.negated(), bp.cost);
      seats_usage(t, s, bp, q);
      const Decimal gap = divide(num(2 * days), num(period_.days()), 6, Rounding::kHalfEven);
      expect("CREDIT_NOT_PASSED_ON", "microsoft", &t, s, bp.id, cents_half_even(mul(gap, bp.cost)).to_string(), "AUD");
    }
    {  // CREDIT_NOT_PASSED_ON: a customer credit the partner's lines ignore
      const Tenant& t = new_tenant(aud_partner(), false, false);
      const std::string s = sub_id();
      nce_cycle(t, s, e3, q);
      const Decimal credit = nce(t, s, e3, "customerCredit", first(), last(), num(1), num(1), dec("-25.00"));
      seats_usage(t, s, e3, q);
      expect("CREDIT_NOT_PASSED_ON", "microsoft", &t, s, e3.id, credit.negated().to_string(), "AUD");
    }
    {  // TIMING: an anniversary cycle renewing on the 15th; the days before were billed last month
      const Tenant& t = new_tenant(aud_partner(), false, false);
      const std::string s = sub_id();
      const Date to = Date::from_days(Date{last().year + (last().month == 12), static_cast<uint8_t>(last().month % 12 + 1), 14}.days_since_epoch());
      nce(t, s, e3, "renew", day(15), to, num(q), num(q), e3.cost);
      seats_usage(t, s, e3, q);
      const Decimal early = divide(num(14 * q), num(period_.days()), 6, Rounding::kHalfEven);
      expect("TIMING", "microsoft", &t, s, e3.id, cents_half_even(mul(early, e3.cost)).to_string(), "AUD");
    }
    {  // TIMING: last month's late seat addition on this month's invoice
      const Tenant& t = new_tenant(aud_partner(), false, false);
      const std::string s = sub_id();
      nce_cycle(t, s, exo, q);
      const Date prev_last = Date::from_days(first().days_since_epoch() - 1);
      const Date prev_from = Date{prev_last.year, prev_last.month, 21};
      const int prev_days = prev_last.day - 20;
      const Decimal billable = round_to(divide(num(prev_days), num(prev_last.day), 10, Rounding::kHalfUp), 6, Rounding::kHalfUp);
      const Decimal late = nce(t, s, exo, "addQuantity", prev_from, prev_last, num(1), billable, exo.cost);
      seats_usage(t, s, exo, q);
      expect("TIMING", "microsoft", &t, s, exo.id, late.to_string(), "AUD");
    }
  }
}

void Generator::run() {
  reference();
  inject();
  {  // A partner move mid-period: from the 20th the tenant belongs to another partner.
    Tenant& t = new_tenant(&partners_[0], false, false);
    t.moves_to = &partners_[1];
    t.moves_on = day(20).to_iso();
    const std::string s = sub_id();
    nce_cycle(t, s, skus_.at("CFQ7TTC0LCHC:0002"), 12);
    seats_usage(t, s, skus_.at("CFQ7TTC0LCHC:0002"), 12);
  }
  while (invoice_lines_ < target_lines_) {
    const size_t p = static_cast<size_t>(rng_.in(0, static_cast<int64_t>(partners_.size()) - 1));
    const bool aud = partners_[p].currency == "AUD";
    clean_tenant(new_tenant(&partners_[p], rng_.one_in(3), aud && rng_.one_in(4)));
  }
}

std::map<std::string, std::string> Generator::files() const {
  std::vector<Expected> sorted = expected_;
  std::sort(sorted.begin(), sorted.end());
  Csv expected({"Category", "Vendor", "TenantId", "SubscriptionId", "SkuId", "Delta", "Currency"});
  for (const Expected& e : sorted) expected.row({e.category, e.vendor, e.tenant, e.subscription, e.sku, e.delta, e.currency});
  return {{"partners.csv", partners_csv_.text()},
          {"tenants.csv", tenant_edges()},
          {"rules.csv", rules_csv_.text()},
          {"fx.csv", fx_csv_.text()},
          {"invoice-microsoft-nce.csv", nce_csv_.text()},
          {"invoice-generic.csv", generic_csv_.text()},
          {"usage.csv", usage_csv_.text()},
          {"partner-billing.csv", billing_csv_.text()},
          {"expected_exceptions.csv", expected.text()}};
}

}  // namespace

std::map<std::string, std::string> generate(const SampleOptions& options) {
  Generator g(options.seed, options.lines, options.period);
  g.run();
  return g.files();
}

}  // namespace closebook::sample
