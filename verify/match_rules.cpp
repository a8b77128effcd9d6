// R25–R30 and R32 of docs/evidence.md §2 (match_rules.h). Each check cites its rule number in its error.
#include "verify/match_rules.h"

#include "verify/line_cost.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "evidence/date.h"
#include "evidence/decimal.h"
#include "verify/rule_text.h"

namespace closebook::verify {
namespace {

using K = schema::Entry::Kind;
using IdType = schema::TenantEdge::IdType;
using Basis = schema::UsageRecord::QuantityBasis;
using Category = schema::Category;

// docs/matching.md §1: what a charge type means in the match.
enum class Role { kPerCycle, kChange, kRefund, kCredit, kConsumption };

struct Format {
  const char* name;
  std::vector<std::pair<const char*, Role>> types;
  bool closed;  // a type it does not list is refused (Partner Center); else a change within a cycle
};

// The formats' charge types, from docs/matching.md §1's tables (lower-case, as stored).
const std::vector<Format>& formats() {
  static const std::vector<Format> all = {
      {"microsoft-nce",
       {{"new", Role::kPerCycle}, {"renew", Role::kPerCycle}, {"cyclecharge", Role::kPerCycle}, {"addquantity", Role::kChange},
        {"removequantity", Role::kChange}, {"movequantity", Role::kChange}, {"convert", Role::kChange},
        {"changebillingplan", Role::kChange}, {"extendterm", Role::kChange}, {"cancel", Role::kRefund},
        {"cancelimmediate", Role::kRefund}, {"customercredit", Role::kCredit}, {"creditnote", Role::kCredit}},
       true},
      {"generic",
       {{"cyclecharge", Role::kPerCycle}, {"renew", Role::kPerCycle}, {"new", Role::kPerCycle}, {"removequantity", Role::kRefund},
        {"cancel", Role::kRefund}, {"cancelimmediate", Role::kRefund}, {"customercredit", Role::kCredit},
        {"usage", Role::kConsumption}},
       false},
  };
  return all;
}

constexpr const char* kPartnerCenter = "microsoft-nce";

bool is_currency(const std::string& c) {
  return c.size() == 3 && std::all_of(c.begin(), c.end(), [](char ch) { return ch >= 'A' && ch <= 'Z'; });
}

// A vendor invoice line as the match reads it (R25).
struct Charge {
  uint64_t index = 0;
  std::string vendor, format, period, tenant_ref, domain, name, mpn, subscription, sku, type, currency, pricing, invoice;
  std::string identity;  // what the vendor bills by (DUPLICATE_CHARGE), line and invoice numbers aside
  Role role = Role::kPerCycle;
  bool usage_based = false;
  int months = 1;  // of its billing cycle: Partner Center's annual 12, triennial 36; else 1
  Date start, end;
  Decimal quantity, billable, amount, unit_price, effective, rate;
};

Result<Decimal> optional_dec(const char* rule, capnp::Text::Reader t, const Decimal& otherwise, const std::string& what) {
  if (t.size() == 0) return otherwise;
  return dec(rule, t, what);
}

Result<Role> role_of(const Format& f, const std::string& type, bool usage_based, const std::string& where) {
  if (type.empty() || type != lower(type)) return broke("R25", where + ": charge type \"" + type + "\" is not stored lower-case");
  if (usage_based) return Role::kConsumption;  // a Partner Center meter is consumption whatever its type
  for (const auto& [name, role] : f.types) {
    if (type == name) return role;
  }
  if (f.closed) return broke("R25", where + ": charge type \"" + type + "\" is not one of " + f.name + "'s");
  return Role::kChange;
}

Status check_form(const Charge& c, schema::InvoiceLine::Reader l, const std::string& where) {
  if (c.vendor.empty() || c.vendor != lower(c.vendor)) return broke("R25", where + ": vendor \"" + c.vendor + "\" is not lower-case");
  if (c.end < c.start) return broke("R25", where + ": its charge ends before it starts");
  if (!is_currency(c.currency) || (!c.pricing.empty() && !is_currency(c.pricing))) {
    return broke("R25", where + ": its currencies are not ISO 4217 codes");
  }
  if (c.rate.sign() <= 0) return broke("R25", where + ": its FX rate is not more than zero");
  const std::string frequency = text(l.getBillingFrequency());
  if (c.format != kPartnerCenter) {
    if (c.usage_based || !frequency.empty() || l.getProductId().size() != 0) {
      return broke("R25", where + ": a " + c.format + " line names a billing plan, a product or a meter");
    }
    return {};
  }
  if (c.vendor != "microsoft") return broke("R25", where + ": a Partner Center line of vendor " + c.vendor);
  const bool plan = frequency == "monthly" || frequency == "annual" || frequency == "triennial";
  if (c.usage_based ? !frequency.empty() : !plan) {
    return broke("R25", where + (c.usage_based ? ": a meter with billing plan \"" : ": a licence with billing plan \"") + frequency + "\"");
  }
  if (c.sku.size() <= l.getProductId().size() + 1 || c.sku.compare(0, l.getProductId().size() + 1, text(l.getProductId()) + ":") != 0) {
    return broke("R25", where + ": its SKU " + c.sku + " is not ProductId:SkuId of product " + text(l.getProductId()));
  }
  if (c.tenant_ref != lower(c.tenant_ref) || c.subscription != lower(c.subscription)) {
    return broke("R25", where + ": its customer or subscription id is not stored lower-case");
  }
  return {};
}

Result<Charge> charge_of(uint64_t index, schema::InvoiceLine::Reader l) {
  const std::string where = "vendor invoice line " + std::to_string(index);
  Charge c;
  c.index = index;
  c.vendor = text(l.getVendor());
  c.format = text(l.getFormat());
  const auto f = std::find_if(formats().begin(), formats().end(), [&](const Format& x) { return c.format == x.name; });
  if (f == formats().end()) return broke("R25", where + ": format \"" + c.format + "\" is not one the match knows");
  c.usage_based = l.getUsageBased();
  c.type = text(l.getChargeType());
  CB_TRY(c.role, role_of(*f, c.type, c.usage_based, where));
  CB_TRY(Period period, iso_period(l.getPeriod(), where + " period"));
  c.period = period.to_string();
  CB_TRY(c.start, iso_date(l.getChargeStartDate(), where + " chargeStartDate"));
  CB_TRY(c.end, iso_date(l.getChargeEndDate(), where + " chargeEndDate"));
  CB_TRY(c.quantity, dec("R25", l.getQuantity(), where + " quantity"));
  CB_TRY(c.amount, dec("R25", l.getSubtotal(), where + " subtotal"));
  CB_TRY(c.unit_price, dec("R25", l.getUnitPrice(), where + " unitPrice"));
  // Partner Center's optional columns: without them the unit price and quantity are billed as is.
  CB_TRY(c.billable, optional_dec("R25", l.getBillableQuantity(), c.quantity, where + " billableQuantity"));
  CB_TRY(c.effective, optional_dec("R25", l.getEffectiveUnitPrice(), c.unit_price, where + " effectiveUnitPrice"));
  CB_TRY(c.rate, optional_dec("R25", l.getFxRate(), Decimal::from_int(1), where + " fxRate"));
  c.tenant_ref = text(l.getTenantRef());
  c.domain = text(l.getCustomerDomain());
  c.name = text(l.getCustomerName());
  c.mpn = text(l.getResellerMpnId());
  c.subscription = text(l.getSubscriptionId());
  c.sku = text(l.getSkuId());
  c.currency = text(l.getCurrency());
  c.pricing = text(l.getPricingCurrency());
  c.invoice = text(l.getInvoiceNumber());
  c.identity = c.vendor + "|" + c.tenant_ref + "|" + c.subscription + "|" + c.sku + "|" + c.type + "|" + c.start.to_iso() + "|" +
               c.end.to_iso() + "|" + c.quantity.to_string() + "|" + c.billable.to_string() + "|" + c.unit_price.to_string() + "|" +
               c.effective.to_string() + "|" + c.amount.to_string() + "|" + text(l.getOrderId()) + "|" + c.currency;
  CB_CHECK(check_form(c, l, where));
  const std::string frequency = text(l.getBillingFrequency());
  c.months = frequency == "annual" ? 12 : frequency == "triennial" ? 36 : 1;
  return c;
}

bool overlap(const Charge& a, const Charge& b) { return !(a.end < b.start || b.end < a.start); }

// docs/matching.md §8.2 check 1: the copies among the period's own lines — a line identical to an
// earlier one in everything the vendor bills by, or a second per-cycle charge of a subscription's
// SKU over days an earlier one already covers. The first of each stays; copies leave every other
// comparison.
using Copies = std::map<uint64_t, uint64_t>;  // a copy -> the charge it copies

Copies copies(const std::vector<const Charge*>& lines) {
  std::vector<const Charge*> order = lines;
  std::sort(order.begin(), order.end(), [](const Charge* a, const Charge* b) { return a->index < b->index; });
  std::map<std::string, uint64_t> billed;                    // identity -> its first line
  std::map<std::string, std::vector<const Charge*>> cycles;  // subscription (else tenant) and SKU -> per-cycle charges
  Copies out;
  for (const Charge* c : order) {
    if (auto [first, fresh] = billed.emplace(c->identity, c->index); !fresh) {
      out.emplace(c->index, first->second);
      continue;
    }
    if (c->role != Role::kPerCycle || c->amount.sign() < 0) continue;
    auto& earlier = cycles[c->vendor + "|" + (c->subscription.empty() ? c->tenant_ref : c->subscription) + "|" + c->sku];
    auto covered = std::find_if(earlier.begin(), earlier.end(), [&](const Charge* e) { return overlap(*e, *c); });
    if (covered != earlier.end()) {
      out.emplace(c->index, (*covered)->index);
    } else {
      earlier.push_back(c);
    }
  }
  return out;
}

// Days of [from, to] within the period.
int64_t days_within(const Date& from, const Date& to, const Period& p) {
  const int64_t first = std::max(from.days_since_epoch(), p.first_day().days_since_epoch());
  const int64_t last = std::min(to.days_since_epoch(), p.last_day().days_since_epoch());
  return last < first ? 0 : last - first + 1;
}

// The day a line's tenant resolves on (docs/matching.md §8.1): its first charge day within the
// period; a line wholly outside the period, its first charge day.
Date resolution_day(const Charge& c, const Period& p) {
  const Date first = std::max(c.start, p.first_day());
  return first <= c.end && first <= p.last_day() ? first : c.start;
}

// Seats a line charges on each day it covers: refunds and negative amounts count negative, changes
// within a cycle are signed by their amount (docs/matching.md §8.1).
Decimal signed_seats(const Charge& c) {
  const Decimal seats = c.quantity.abs();
  if (c.role == Role::kRefund || c.amount.sign() < 0) return seats.negated();
  return seats;
}

// ------------------------------------------------------------------------------------
// The vendor's arithmetic (docs/matching.md §8.1; docs/evidence.md R32), for the book price.

// Days of the billing cycle of `months` months that ends on `end`: it began the day after `end`,
// `months` months earlier, on that day of the month or the month's last day if it is shorter.
int64_t whole_cycle_days(const Date& end, int months) {
  const Date after = Date::from_days(end.days_since_epoch() + 1);
  const int month_number = after.year * 12 + (after.month - 1) - months;
  const int year = month_number / 12, month = month_number % 12 + 1;
  if (year < Date::kYearMin) return after.days_since_epoch() - Date{Date::kYearMin, 1, 1}.days_since_epoch();
  const int day = std::min<int>(after.day, Date::days_in_month(year, month));
  const Date began{year, static_cast<uint8_t>(month), static_cast<uint8_t>(day)};
  return after.days_since_epoch() - began.days_since_epoch();
}

int64_t window_days(const Charge& c) { return c.end.days_since_epoch() - c.start.days_since_epoch() + 1; }

// Refunds count negative (docs/matching.md §8.1): a positive quantity of a refund, or of a line
// with a negative amount, is negated.
Decimal signed_value(const Charge& c, const Decimal& v) {
  const bool refund = c.role == Role::kRefund || c.amount.sign() < 0;
  return refund && v.sign() > 0 ? v.negated() : v;
}

// The quantity the vendor's formula multiplies: Partner Center's BillableQuantity (a meter's
// consumption too), the generic Quantity.
Decimal billed_quantity(const Charge& c) { return signed_value(c, c.format == kPartnerCenter ? c.billable : c.quantity); }

// Partner Center prorated the quantity, not the unit price.
bool quantity_prorated(const Charge& c) {
  return signed_value(c, c.billable).abs() < signed_value(c, c.usage_based ? c.billable : c.quantity).abs();
}

bool partial_cycle(const Charge& c) { return !c.usage_based && window_days(c) < whole_cycle_days(c.end, c.months); }

// The unit in the billing currency: Partner Center cuts a licence's to cents; a meter's and a
// generic line's are exact.
Result<Decimal> unit_in_billing(const Charge& c, const Decimal& unit, const Decimal& rate) {
  CB_TRY(Decimal converted, unit.mul(rate));
  if (c.format == kPartnerCenter && !c.usage_based) return converted.round(2, Rounding::kDown);
  return converted;
}

// What the vendor's formula gives for the line at `cycle_unit` (per billing cycle, in the
// pricing currency) converted at `rate`, prorated as the vendor prorated the line.
Result<Decimal> amount_by_formula(const Charge& c, const Decimal& cycle_unit, const Decimal& rate) {
  const Decimal quantity = billed_quantity(c);
  if (c.format == kPartnerCenter && c.usage_based) {
    CB_TRY(Decimal exact, cycle_unit.mul(quantity));
    CB_TRY(Decimal cut, exact.round(2, Rounding::kDown));
    CB_TRY(Decimal converted, cut.mul(rate));
    return converted.round(2, Rounding::kDown);
  }
  Decimal unit = cycle_unit;
  if (partial_cycle(c) && !quantity_prorated(c)) {
    CB_TRY(Decimal unit_days, cycle_unit.mul(Decimal::from_int(window_days(c))));
    CB_TRY(unit, unit_days.div(Decimal::from_int(whole_cycle_days(c.end, c.months)), 12, Rounding::kHalfEven));
  }
  CB_TRY(Decimal unit_bc, unit_in_billing(c, unit, rate));
  CB_TRY(Decimal exact, unit_bc.mul(quantity));
  return exact.round(2, c.format == kPartnerCenter ? Rounding::kDown : Rounding::kHalfUp);
}

// The vendor's price of one unit for one month (docs/matching.md §8.1 `unit`): a unit price
// prorated over part of a cycle scaled back to the whole cycle, in the billing currency unless
// asked for the pricing currency's, ÷ the months of the cycle (12 places, half-even).
Result<Decimal> monthly_unit(const Charge& c, bool in_billing_currency) {
  Decimal unit = c.effective;
  if (partial_cycle(c) && !quantity_prorated(c)) {
    CB_TRY(Decimal cycle, unit.mul(Decimal::from_int(whole_cycle_days(c.end, c.months))));
    CB_TRY(unit, cycle.div(Decimal::from_int(window_days(c)), 12, Rounding::kHalfEven));
  }
  if (in_billing_currency) {
    CB_TRY(unit, unit_in_billing(c, unit, c.rate));
  }
  return unit.div(Decimal::from_int(c.months), 12, Rounding::kHalfEven);
}

// Seats a line charges (a meter's consumption): negative for a refund.
Decimal signed_quantity(const Charge& c) { return signed_value(c, c.usage_based ? c.billable : c.quantity); }

struct Use {
  uint64_t index;
  Date day;
  Decimal quantity;
  Basis basis;
  std::string vendor, tenant_ref, subscription, sku;
};

struct Priced {
  uint64_t index;
  std::string tenant, partner, cadence, sku, cost_currency;
  Date from, to;
  Decimal quantity, cost_unit;
};

struct Edge {
  uint64_t index;
  std::string tenant, partner;
  Date from;
  std::optional<Date> to;
};

std::string edge_key(const std::string& vendor, IdType type, const std::string& value) {
  return lower(vendor) + "|" + std::to_string(static_cast<int>(type)) + "|" + (type == IdType::NAME ? value : lower(value));
}

using Tries = std::vector<std::pair<IdType, std::string>>;

// docs/matching.md §2 and §8.1: how each kind of row names its customer, in the order tried.
Tries tries_of(const Charge& c) {
  if (c.format == kPartnerCenter) return {{IdType::CUSTOMER_ID, c.tenant_ref}, {IdType::DOMAIN, c.domain}, {IdType::NAME, c.name}};
  return {{IdType::CUSTOMER_ID, c.tenant_ref}, {IdType::ORG_ID, c.tenant_ref}, {IdType::DOMAIN, c.tenant_ref}, {IdType::NAME, c.tenant_ref}};
}

std::string list(const std::vector<uint64_t>& ids) {
  std::string out;
  for (uint64_t i : ids) out += (out.empty() ? "" : ",") + std::to_string(i);
  return "[" + out + "]";
}

// A DUPLICATE_CHARGE cites the charges copied and their copies, in ledger order.
std::vector<uint64_t> copied_and_copies(const Copies& copied) {
  std::set<uint64_t> both;
  for (const auto& [copy, of] : copied) {
    both.insert(copy);
    both.insert(of);
  }
  return {both.begin(), both.end()};
}

std::vector<uint64_t> indexes(capnp::List<schema::EntryRef>::Reader refs) {
  std::vector<uint64_t> out;
  for (auto r : refs) out.push_back(r.getIndex());
  return out;
}

}  // namespace

class MatchRules::State {
 public:
  State(Lookup lookup, bool complete) : get_(std::move(lookup)), complete_(complete) {}

  Status check(const DecodedEntry& e) {
    const uint64_t index = e.reader().getIndex();
    auto kind = e.reader().getKind();
    switch (kind.which()) {
      case K::INVOICE_LINE: {
        CB_TRY(Charge c, charge_of(index, kind.getInvoiceLine()));
        (void)c;
        return {};
      }
      case K::MATCH_RESULT: return check_result(index, kind.getMatchResult());
      case K::EXCEPTION: return check_legs_and_evidence(index, kind.getException());
      default: return {};
    }
  }

  void record(const DecodedEntry& e) {
    const uint64_t index = e.reader().getIndex();
    auto kind = e.reader().getKind();
    switch (kind.which()) {
      case K::TENANT_EDGE: {
        auto t = kind.getTenantEdge();
        auto from = Date::parse(text(t.getValidFrom()));  // R8 refused a date written otherwise
        if (!from.ok()) return;
        std::optional<Date> to;
        if (auto parsed = Date::parse(text(t.getValidTo())); parsed.ok()) to = *parsed;
        edges_[edge_key(text(t.getVendor()), t.getIdType(), text(t.getIdValue()))].push_back(
            {index, text(t.getTenantId()), text(t.getPartnerId()), *from, to});
        break;
      }
      case K::PARTNER: partners_[text(kind.getPartner().getPartnerId())] = index; break;
      case K::RULE_VERSION: {
        auto v = kind.getRuleVersion();
        auto from = Date::parse(text(v.getEffectiveFrom()));  // R8 refused a date written otherwise
        auto cost = v.getCostFromVendor() ? Result<Decimal>(Decimal()) : Decimal::parse(text(v.getCostUnitPrice()));
        if (!from.ok() || !cost.ok()) return;
        std::optional<Date> to;
        if (auto parsed = Date::parse(text(v.getEffectiveTo())); parsed.ok()) to = *parsed;
        RuleCost rule{rule_seen(index, v, *from, to), *cost, text(v.getCostCurrency())};
        if (v.getSkuPattern().size() == 0) {
          rules_[text(v.getVendor()) + "|" + text(v.getSkuId())].push_back(std::move(rule));
        } else {
          patterns_[text(v.getVendor())].push_back(std::move(rule));
        }
        break;
      }
      case K::INVOICE_LINE: invoice_rows_.push_back({index, text(kind.getInvoiceLine().getPeriod())}); break;
      case K::USAGE_RECORD: usage_rows_.push_back({index, text(kind.getUsageRecord().getUsageDate()).substr(0, 7)}); break;
      case K::EXCEPTION: {
        auto x = kind.getException();
        latest_exception_[text(x.getExceptionId())] = index;
        if (x.getCategory() == Category::FX_VARIANCE) fx_findings_[text(x.getPeriod())].push_back(index);
        break;
      }
      case K::FX_LOCK: {
        auto f = kind.getFxLock();
        locks_.emplace(text(f.getPeriod()) + "|" + text(f.getBase()) + "|" + text(f.getQuote()), index);  // fixed once: the first
        break;
      }
      case K::MATCH_RUN: runs_[index].period = text(kind.getMatchRun().getPeriod()); break;
      case K::MATCH_RESULT: {
        auto r = kind.getMatchResult();
        RunSeen& run = runs_[r.getRun().getIndex()];
        for (auto ref : r.getInvoiceLines()) ++run.cited[ref.getIndex()];
        for (auto ref : r.getUsage()) ++run.cited[ref.getIndex()];
        for (auto id : r.getExceptionIds()) run.findings.insert(text(id));
        break;
      }
      default: break;
    }
  }

  Status finish() {
    if (!complete_) return {};
    for (const auto& [index, run] : runs_) {
      const DecodedEntry* e = get_(index);
      if (e == nullptr || !e->reader().getKind().isMatchRun()) continue;  // R23 refuses a result of no run
      CB_CHECK(check_coverage(index, run));
      CB_CHECK(check_run_findings(index, e->reader().getKind().getMatchRun(), run));
    }
    return {};
  }

 private:
  struct RunSeen {
    std::string period;
    std::map<uint64_t, int> cited;  // row -> how many of the run's results cite it
    std::set<std::string> findings;
  };
  struct Row {
    uint64_t index;
    std::string period;
  };
  struct RuleCost {
    RuleSeen seen;
    Decimal cost;  // per month
    std::string currency;
  };

  // ------------------------------------------------------------------------------------
  // What a result cites, as far as it is known.

  struct Cited {
    std::vector<Charge> lines;
    std::vector<Use> uses;
    std::vector<Priced> priced;
    bool all_lines = true, all_uses = true, all_priced = true;
  };

  const DecodedEntry* earlier(uint64_t index, uint64_t before) const { return index < before ? get_(index) : nullptr; }

  Result<Cited> cited_by(uint64_t index, schema::MatchResult::Reader r) {
    Cited c;
    for (auto ref : r.getInvoiceLines()) {
      const DecodedEntry* e = earlier(ref.getIndex(), index);
      if (e == nullptr || !e->reader().getKind().isInvoiceLine()) {
        c.all_lines = false;  // R23 refuses another kind
        continue;
      }
      CB_TRY(Charge line, charge_of(ref.getIndex(), e->reader().getKind().getInvoiceLine()));
      c.lines.push_back(std::move(line));
    }
    for (auto ref : r.getUsage()) {
      const DecodedEntry* e = earlier(ref.getIndex(), index);
      if (e == nullptr || !e->reader().getKind().isUsageRecord()) {
        c.all_uses = false;
        continue;
      }
      auto u = e->reader().getKind().getUsageRecord();
      const std::string where = "match result " + std::to_string(index) + " usage " + std::to_string(ref.getIndex());
      CB_TRY(Date day, iso_date(u.getUsageDate(), where + " usageDate"));
      CB_TRY(Decimal q, dec("R27", u.getQuantity(), where + " quantity"));
      c.uses.push_back({ref.getIndex(), day, q, u.getQuantityBasis(), text(u.getVendor()), text(u.getTenantRef()),
                        text(u.getSubscriptionId()), text(u.getSkuId())});
    }
    for (auto ref : r.getPricedLines()) {
      const DecodedEntry* e = earlier(ref.getIndex(), index);
      if (e == nullptr || !e->reader().getKind().isPricedLine()) {
        c.all_priced = false;
        continue;
      }
      auto l = e->reader().getKind().getPricedLine();
      CB_TRY(std::optional<CostFields> cost, cost_fields(l, ref.getIndex(), get_));
      if (!cost) {
        c.all_priced = false;  // its cost is withheld (R34)
        continue;
      }
      const std::string of = "priced line " + std::to_string(ref.getIndex());
      CB_TRY(Date from, iso_date(l.getFromDate(), of + " fromDate"));
      CB_TRY(Date to, iso_date(l.getToDate(), of + " toDate"));
      CB_TRY(Decimal quantity, dec("R32", l.getQuantity(), of + " quantity"));
      CB_TRY(Decimal cost_unit, dec("R32", cost->cost_unit_price, of + " costUnitPrice"));
      c.priced.push_back({ref.getIndex(), text(l.getTenantId()), text(l.getPartnerId()), text(l.getCadence()), text(l.getSkuId()),
                          text(cost->cost_currency), from, to, quantity, cost_unit});
    }
    return c;
  }

  Status check_result(uint64_t index, schema::MatchResult::Reader r) {
    const std::string where = "match result " + std::to_string(index);
    CB_TRY(Period period, iso_period(r.getPeriod(), where + " period"));
    CB_TRY(Cited c, cited_by(index, r));
    CB_CHECK(check_key(where, r, c));
    std::vector<const Charge*> own;  // the period's own lines, among which copies are found
    for (const Charge& l : c.lines) {
      if (l.period == text(r.getPeriod())) own.push_back(&l);
    }
    const Copies copied = c.all_lines ? copies(own) : Copies();
    CB_CHECK(check_tenant(where, r, period, c, copied));
    if (c.all_lines) CB_CHECK(check_vendor_leg(where, r, period, c, copied));
    if (c.all_uses) CB_CHECK(check_usage_leg(where, r, period, c));
    CB_CHECK(check_findings(index, where, r, c, copied));
    return {};
  }

  // ------------------------------------------------------------------------------------
  // R26: the key, its tenant and partner, and the key of every finding on it

  Status check_key(const std::string& where, schema::MatchResult::Reader r, const Cited& c) {
    const std::string vendor = text(r.getVendor()), subscription = text(r.getSubscriptionId()), sku = text(r.getSkuId());
    // A consumption row is of its subscription's SKU too (docs/matching.md §8.1: each meter of an
    // Azure plan is a key of its own).
    auto of_key = [&](const std::string& v, const std::string& s, const std::string& k, bool consumption) {
      return v == vendor && s == subscription && ((!subscription.empty() && !consumption) || k == sku);
    };
    bool bills_sku = false;
    for (const Charge& l : c.lines) {
      if (!of_key(l.vendor, l.subscription, l.sku, l.role == Role::kConsumption)) {
        return broke("R26", where + " compares vendor invoice line " + std::to_string(l.index) + " of another key (" + l.vendor + " " +
                                l.subscription + " " + l.sku + ")");
      }
      bills_sku = bills_sku || l.sku == sku;
    }
    for (const Use& u : c.uses) {
      if (!of_key(u.vendor, u.subscription, u.sku, u.basis == Basis::CONSUMED)) {
        return broke("R26", where + " compares usage record " + std::to_string(u.index) + " of another key");
      }
      bills_sku = bills_sku || u.sku == sku;
    }
    for (const Priced& p : c.priced) bills_sku = bills_sku || p.sku == sku;
    const bool all = c.all_lines && c.all_uses && c.all_priced;
    const bool rows = !c.lines.empty() || !c.uses.empty() || !c.priced.empty();
    if (all && rows && !bills_sku) return broke("R26", where + ": none of the rows it compares is of its SKU " + sku);
    return {};
  }

  struct Resolved {
    const Edge* edge = nullptr;
    Date day;
  };

  const Edge* resolve(const std::string& vendor, const Tries& tries, const Date& day) const {
    for (const auto& [type, value] : tries) {
      if (value.empty()) continue;
      auto it = edges_.find(edge_key(vendor, type, value));
      if (it == edges_.end()) continue;
      for (const Edge& e : it->second) {
        if (e.from <= day && (!e.to || day <= *e.to)) return &e;
      }
    }
    return nullptr;
  }

  // The tenant the key's lines resolve to, each on its day; the partner of the earliest.
  Status check_tenant(const std::string& where, schema::MatchResult::Reader r, const Period& period, const Cited& c,
                      const Copies& copied) {
    const std::string tenant = text(r.getTenantId()), partner = text(r.getPartnerId());
    std::optional<Resolved> first;
    bool every_line = c.all_lines;
    for (const Charge& l : c.lines) {
      const Date day = resolution_day(l, period);
      const Edge* e = resolve(l.vendor, tries_of(l), day);
      if (e == nullptr) {
        every_line = false;
        continue;
      }
      if (e->tenant != tenant) {
        return broke("R26", where + " is of tenant " + tenant + "; its vendor invoice line " + std::to_string(l.index) + " resolves on " +
                                day.to_iso() + " to " + e->tenant + " (tenant edge " + std::to_string(e->index) + ")");
      }
      if (copied.count(l.index) == 0 && (!first || day < first->day)) first = Resolved{e, day};
    }
    for (const Priced& p : c.priced) {
      if (p.tenant != tenant) return broke("R26", where + " is of tenant " + tenant + "; it compares priced line " + std::to_string(p.index) + " of " + p.tenant);
    }
    if (first) {
      if (!every_line) return {};  // an unresolved or unknown line might have charged earlier
      if (first->edge->partner != partner) {
        return broke("R26", where + " names partner " + partner + "; its tenant's partner on its first charged day " + first->day.to_iso() +
                                " is " + first->edge->partner + " (tenant edge " + std::to_string(first->edge->index) + ")");
      }
      return {};
    }
    if (!c.lines.empty() || !c.all_priced) return {};  // no line resolves: TENANT_UNRESOLVED says so
    // No vendor line: the partner of its first priced day, else of its usage's first day.
    const Priced* earliest = nullptr;
    for (const Priced& p : c.priced) {
      if (earliest == nullptr || p.from < earliest->from) earliest = &p;
    }
    if (earliest != nullptr && earliest->partner != partner) {
      return broke("R26", where + " names partner " + partner + "; its first priced line " + std::to_string(earliest->index) + " is " + earliest->partner + "'s");
    }
    return {};
  }

  // ------------------------------------------------------------------------------------
  // R27: the vendor leg (quantity and amount) and the usage leg, recomputed

  Status check_vendor_leg(const std::string& where, schema::MatchResult::Reader r, const Period& period, const Cited& c,
                          const Copies& copied) {
    Decimal seat_days, consumed, shares;
    std::string currency;
    for (const Charge& l : c.lines) {
      if (copied.count(l.index) != 0) continue;
      if (!currency.empty() && l.currency != currency) return broke("R27", where + " compares vendor lines in two currencies");
      currency = l.currency;
      const int64_t days = days_within(l.start, l.end, period);
      const int64_t window = window_days(l);
      CB_TRY(Decimal part, l.amount.mul(Decimal::from_int(days)));
      CB_TRY(Decimal share, part.div(Decimal::from_int(window), 12, Rounding::kHalfEven));
      CB_TRY(shares, shares.add(share));
      if (l.role == Role::kCredit) continue;  // money, not seats
      if (l.role == Role::kConsumption) {
        if (l.period == text(r.getPeriod())) {
          CB_TRY(consumed, consumed.add(l.usage_based ? l.billable : l.quantity));
        }
        continue;
      }
      CB_TRY(Decimal seats, signed_seats(l).mul(Decimal::from_int(days)));
      CB_TRY(seat_days, seat_days.add(seats));
    }
    CB_TRY(Decimal per_period, seat_days.div(Decimal::from_int(period.days()), 6, Rounding::kHalfEven));
    CB_TRY(Decimal quantity, per_period.add(consumed));
    CB_CHECK(expect(quantity, r.getVendorQuantity(), where + " vendorQuantity"));
    CB_TRY(Decimal amount, shares.round(2, Rounding::kHalfEven));
    CB_CHECK(expect(amount, r.getVendorAmount(), where + " vendorAmount"));
    if (text(r.getVendorCurrency()) != currency) {
      return broke("R27", where + ": its vendorCurrency \"" + text(r.getVendorCurrency()) + "\" is not its vendor lines' \"" + currency + "\"");
    }
    return {};
  }

  Status expect(const Decimal& computed, capnp::Text::Reader stored, const std::string& what) {
    CB_TRY(Decimal s, dec("R27", stored, what));
    if (!(s == computed)) return broke("R27", what + " is " + s.to_string() + "; recomputed " + computed.to_string());
    return {};
  }

  // The usage leg by basis and cadence (docs/matching.md §3), the cadence its priced lines record;
  // a key without priced lines has a cadence only the close configuration knows, so only its
  // consumption is recomputed.
  Status check_usage_leg(const std::string& where, schema::MatchResult::Reader r, const Period& period, const Cited& c) {
    const auto consumed = std::count_if(c.uses.begin(), c.uses.end(), [](const Use& u) { return u.basis == Basis::CONSUMED; });
    if (consumed != 0 && static_cast<size_t>(consumed) != c.uses.size()) return {};  // mixed: pricing refused it (QTY_MISMATCH)
    Decimal quantity;
    if (c.uses.empty()) {
      quantity = Decimal();
    } else if (consumed != 0) {
      for (const Use& u : c.uses) {
        if (period.contains(u.day)) {
          CB_TRY(quantity, quantity.add(u.quantity));
        }
      }
    } else {
      if (c.priced.empty() || !c.all_priced) return {};
      const std::string cadence = c.priced.front().cadence.empty() ? "daily" : c.priced.front().cadence;
      CB_TRY(quantity, counted(c.uses, period, cadence));
    }
    return expect(quantity, r.getUsageQuantity(), where + " usageQuantity");
  }

  // Seat counts in units of the period: the largest count (monthly, or peaks alone), else each
  // day's latest snapshot on or before it (weekly: the first of the 6 days after), ÷ days.
  static Result<Decimal> counted(const std::vector<Use>& uses, const Period& period, const std::string& cadence) {
    const bool snapshots = std::any_of(uses.begin(), uses.end(), [](const Use& u) { return u.basis == Basis::SNAPSHOT; });
    if (cadence == "monthly" || !snapshots) {
      Decimal largest;
      for (const Use& u : uses) {
        if (period.contains(u.day) && (u.basis == Basis::SNAPSHOT) == snapshots) largest = std::max(largest, u.quantity);
      }
      return largest;
    }
    Decimal seat_days;
    for (int64_t d = period.first_day().days_since_epoch(); d <= period.last_day().days_since_epoch(); ++d) {
      const Use* current = nullptr;
      for (const Use& u : uses) {
        const int64_t day = u.day.days_since_epoch();
        if (u.basis != Basis::SNAPSHOT || day > d) continue;
        if (current == nullptr || day > current->day.days_since_epoch() || (day == current->day.days_since_epoch() && u.index > current->index)) current = &u;
      }
      for (const Use& u : uses) {
        const int64_t day = u.day.days_since_epoch();
        if (cadence != "weekly" || u.basis != Basis::SNAPSHOT || day <= d || day > d + 6) continue;
        if (current != nullptr && current->day.days_since_epoch() <= d) break;
        if (current == nullptr || day < current->day.days_since_epoch() || (day == current->day.days_since_epoch() && u.index > current->index)) current = &u;
      }
      if (current != nullptr) {
        CB_TRY(seat_days, seat_days.add(current->quantity));
      }
    }
    return seat_days.div(Decimal::from_int(period.days()), 6, Rounding::kHalfEven);
  }

  // ------------------------------------------------------------------------------------
  // R26 (keys and evidence of a result's findings) and R29 (PARTNER_MISMATCH)

  const DecodedEntry* latest_exception(const std::string& id) const {
    auto it = latest_exception_.find(id);
    return it == latest_exception_.end() ? nullptr : get_(it->second);
  }

  Status check_findings(uint64_t index, const std::string& where, schema::MatchResult::Reader r, const Cited& c,
                        const Copies& copied) {
    std::vector<uint64_t> rows = indexes(r.getInvoiceLines());
    for (uint64_t u : indexes(r.getUsage())) rows.push_back(u);
    for (uint64_t p : indexes(r.getPricedLines())) rows.push_back(p);
    std::map<Category, const DecodedEntry*> named;
    std::vector<const DecodedEntry*> cost_findings;  // a key raises one at most (R32)
    bool all = true;
    for (auto id : r.getExceptionIds()) {
      const DecodedEntry* e = latest_exception(text(id));
      if (e == nullptr || e->reader().getIndex() >= index) {
        all = false;  // R23 refuses an unknown one with the whole ledger
        continue;
      }
      auto x = e->reader().getKind().getException();
      named.emplace(x.getCategory(), e);
      if (x.getCategory() == Category::COST_RATE_MISMATCH) cost_findings.push_back(e);
      const std::string of = where + ": its finding " + text(id);
      if (x.getVendor() != r.getVendor() || x.getTenantId() != r.getTenantId() || x.getPartnerId() != r.getPartnerId() ||
          x.getSubscriptionId() != r.getSubscriptionId() || x.getSkuId() != r.getSkuId()) {
        return broke("R26", of + " is not of its key (vendor, partner, tenant, subscription, SKU)");
      }
      const bool copies_known = x.getCategory() != Category::DUPLICATE_CHARGE || c.all_lines;
      const std::vector<uint64_t> evidence = x.getCategory() == Category::DUPLICATE_CHARGE ? copied_and_copies(copied) : rows;
      if (copies_known && indexes(x.getEvidence()) != evidence) {
        return broke("R26", of + " cites entries " + list(indexes(x.getEvidence())) + ", not " + list(evidence));
      }
    }
    if (!all || !c.all_lines || named.count(Category::TENANT_UNRESOLVED) != 0) return {};
    CB_CHECK(check_partner_mismatch(where, r, c, copied, named.count(Category::PARTNER_MISMATCH) != 0));
    bool explained = false;  // by a finding of another check than 6 and 12, TIMING aside
    for (const auto& [category, e] : named) {
      if (category != Category::TIMING && category != Category::COST_RATE_MISMATCH) explained = true;
    }
    if (cost_findings.size() > 1) return broke("R32", where + " names " + std::to_string(cost_findings.size()) + " COST_RATE_MISMATCHes; a key raises one at most");
    const DecodedEntry* cost_finding = cost_findings.empty() ? nullptr : cost_findings.front();
    CB_TRY(std::optional<bool> book_flagged, check_book_cost(where, r, c, copied, cost_finding));
    if (book_flagged && !*book_flagged) CB_CHECK(check_priced_cost(where, r, c, copied, cost_finding, explained));
    if (!c.all_priced) return {};
    auto sku = named.find(Category::SKU_MISMATCH);
    return check_sku_mismatch(where, r, c, copied, sku == named.end() ? nullptr : sku->second);
  }

  // docs/matching.md §8.2 check 9, reached on a key with priced lines and a charge covering a day
  // of the period (checks 7 and 8 end the others): the vendor charging, with a positive amount,
  // a SKU none of the key's priced lines bills raises SKU_MISMATCH, its delta the period's share
  // of those charges.
  Status check_sku_mismatch(const std::string& where, schema::MatchResult::Reader r, const Cited& c, const Copies& copied,
                            const DecodedEntry* raised) {
    CB_TRY(Period period, iso_period(r.getPeriod(), where + " period"));
    std::set<std::string> billed;
    for (const Priced& p : c.priced) billed.insert(p.sku);
    bool charged = false, converted = false;
    Decimal share;
    std::string currency;
    for (const Charge& l : c.lines) {
      const int64_t days = days_within(l.start, l.end, period);
      if (copied.count(l.index) != 0 || l.role == Role::kCredit || days <= 0) continue;
      charged = true;
      if (billed.count(l.sku) != 0 || l.amount.sign() <= 0) continue;
      converted = true;
      currency = l.currency;
      const int64_t window = window_days(l);
      CB_TRY(Decimal part, l.amount.mul(Decimal::from_int(days)));
      CB_TRY(Decimal of_period, part.div(Decimal::from_int(window), 12, Rounding::kHalfEven));
      CB_TRY(share, share.add(of_period));
    }
    if (c.priced.empty() || !charged) converted = false;  // checks 7 and 8 ended the key
    if (converted != (raised != nullptr)) {
      return broke("R29", where + (converted ? ": the vendor charges a SKU none of its priced lines bills, and no SKU_MISMATCH is raised"
                                             : ": a SKU_MISMATCH is raised, yet its priced lines bill every SKU the vendor charges"));
    }
    if (raised == nullptr) return {};
    auto x = raised->reader().getKind().getException();
    const std::string of = where + ": its SKU_MISMATCH";
    CB_TRY(Decimal amount, share.round(2, Rounding::kHalfEven));
    CB_TRY(Decimal delta, dec("R29", x.getDelta(), of + " delta"));
    if (!(delta == amount) || text(x.getCurrency()) != currency) {
      return broke("R29", of + " is " + delta.to_string() + " " + text(x.getCurrency()) + "; the period's share of the charges is " +
                              amount.to_string() + " " + currency);
    }
    if (x.getLegs().size() != 2) return broke("R29", of + ": its legs are not the vendor's charges and the priced lines");
    return leg_is("R29", of, x.getLegs()[0], "vendor_invoice", "", "", amount);
  }

  // The rule version pricing the SKU for the partner on `day`, by the precedence of §3 and §3.1:
  // its own versions and the vendor's patterns matching it that name no meter category (an
  // invoice line has none). Nothing known: nullptr, and `known` false.
  const RuleCost* rule_for(const Charge& l, const std::string& partner, const Date& day, bool& known) const {
    const RuleCost* best = nullptr;
    known = false;
    auto consider = [&](const RuleCost& r) {
      known = true;
      if (in_effect_for(r.seen, partner, day) && (best == nullptr || outranks(r.seen, best->seen))) best = &r;
    };
    if (auto it = rules_.find(l.vendor + "|" + l.sku); it != rules_.end()) {
      for (const RuleCost& r : it->second) consider(r);
    }
    if (auto it = patterns_.find(l.vendor); it != patterns_.end()) {
      for (const RuleCost& r : it->second) {
        if (pattern_prices(r.seen, l.sku, "")) consider(r);
      }
    }
    return best;
  }

  // The rate the book cost converts at on the line: 1 in the billing currency, the vendor's own
  // in its pricing currency, else the period's lock; nullopt when there is no lock.
  Result<std::optional<Decimal>> book_rate(const Charge& l, const std::string& cost_currency, const std::string& period,
                                           const std::string& where) const {
    if (cost_currency == l.currency) return std::optional<Decimal>(Decimal::from_int(1));
    if (cost_currency == (l.pricing.empty() ? l.currency : l.pricing)) return std::optional<Decimal>(l.rate);
    const DecodedEntry* e = lock_of(period, cost_currency, l.currency);
    if (e == nullptr) return std::optional<Decimal>();
    CB_TRY(Decimal rate, dec("R32", e->reader().getKind().getFxLock().getRate(), where + " lock rate"));
    return std::optional<Decimal>(rate);
  }

  // The period's FX lock of base into quote (the first, fixed once), or null when none is known.
  const DecodedEntry* lock_of(const std::string& period, const std::string& base, const std::string& quote) const {
    auto lock = locks_.find(period + "|" + base + "|" + quote);
    return lock == locks_.end() ? nullptr : get_(lock->second);
  }

  std::optional<schema::MatchRun::Reader> run_of(schema::MatchResult::Reader r) const {
    const DecodedEntry* run = get_(r.getRun().getIndex());
    if (run == nullptr || !run->reader().getKind().isMatchRun()) return std::nullopt;  // R23 refuses a result of no run
    return run->reader().getKind().getMatchRun();
  }

  // docs/matching.md §8.2 check 6 (R32): each of the period's own lines of the key (not a copy,
  // not a credit, its tenant resolved, a rule version pricing its SKU for the partner on its
  // first day in the period) recomputed by the vendor's formula at the rule's cost per cycle.
  // Any line off by more than the run's tolerance raises COST_RATE_MISMATCH, its delta
  // Σ (amount − recomputed) over those lines and its legs the two sums. Whether it is raised, or
  // nothing when the evidence at hand cannot say.
  Result<std::optional<bool>> check_book_cost(const std::string& where, schema::MatchResult::Reader r, const Cited& c,
                                              const Copies& copied, const DecodedEntry* raised) {
    const std::optional<bool> unknown;
    CB_TRY(Period period, iso_period(r.getPeriod(), where + " period"));
    const auto run = run_of(r);
    if (!run) return unknown;
    CB_TRY(Decimal tolerance, dec("R32", run->getTolerance(), where + " run tolerance"));
    Decimal billed, expected, vendor_unit, book_unit;
    bool flagged = false;
    std::string currency;
    for (const Charge& l : c.lines) {
      if (copied.count(l.index) != 0 || l.role == Role::kCredit || l.period != period.to_string()) continue;
      const Edge* e = resolve(l.vendor, tries_of(l), resolution_day(l, period));
      if (e == nullptr && !complete_) return unknown;  // a bundle without the edge cannot say
      if (e == nullptr) continue;
      const Date day = std::min(std::max(l.start, period.first_day()), period.last_day());
      bool known = false;
      const RuleCost* rule = rule_for(l, e->partner, day, known);
      if (rule == nullptr && !complete_ && !known) return unknown;  // nor one without the rule versions
      // No rule version prices it; or a cost-plus one, whose cost is the vendor's own price.
      if (rule == nullptr || rule->seen.cost_from_vendor) continue;
      CB_TRY(std::optional<Decimal> rate, book_rate(l, rule->currency, period.to_string(), where));
      if (!rate && !complete_) return unknown;
      if (!rate) continue;
      CB_TRY(Decimal cycle_cost, rule->cost.mul(Decimal::from_int(l.months)));
      CB_TRY(Decimal at_book, amount_by_formula(l, cycle_cost, *rate));
      CB_TRY(Decimal off, l.amount.sub(at_book));
      CB_TRY(billed, billed.add(l.amount));
      CB_TRY(expected, expected.add(at_book));
      currency = l.currency;
      if (!flagged && tolerance < off.abs()) {
        flagged = true;
        CB_TRY(vendor_unit, unit_in_billing(l, l.effective, l.rate));
        CB_TRY(book_unit, unit_in_billing(l, cycle_cost, *rate));
      }
    }
    if (!flagged) return std::optional<bool>(false);
    if (raised == nullptr) {
      return broke("R32", where + ": a line recomputed at its rule version's cost differs by more than the tolerance, and no "
                                  "COST_RATE_MISMATCH is raised");
    }
    auto x = raised->reader().getKind().getException();
    const std::string of = where + ": its COST_RATE_MISMATCH";
    CB_TRY(Decimal want, billed.sub(expected));
    CB_CHECK(delta_is(of, x, want, currency, "the lines against their book price"));
    if (x.getLegs().size() != 2) return broke("R32", of + ": its legs are not the vendor's and the price book's");
    CB_CHECK(leg_is("R32", of, x.getLegs()[0], "vendor_invoice", "", vendor_unit.to_string(), billed));
    CB_CHECK(leg_is("R32", of, x.getLegs()[1], "price_book", "", book_unit.to_string(), expected));
    return std::optional<bool>(true);
  }

  Status delta_is(const std::string& of, schema::Exception::Reader x, const Decimal& want, const std::string& currency,
                  const char* what) {
    CB_TRY(Decimal delta, dec("R32", x.getDelta(), of + " delta"));
    if (!(delta == want) || text(x.getCurrency()) != currency) {
      return broke("R32", of + " is " + delta.to_string() + " " + text(x.getCurrency()) + "; " + what + " come to " + want.to_string() +
                              " " + currency);
    }
    return {};
  }

  // The first day the legs are compared (docs/matching.md §8.2 check 11), as a day of the period:
  // on a key counted in seats with usage, when its first covered day is later than the 1st and a
  // counted line starts that day and runs past the period, that day (the days before were billed
  // in a cycle before the period); else the 1st.
  static int64_t compared_from(const Period& period, const Cited& c, const std::vector<const Charge*>& counted) {
    if (c.uses.empty()) return 0;
    const bool consumed = c.uses.front().basis == Basis::CONSUMED;
    const bool one_basis = std::all_of(c.uses.begin(), c.uses.end(), [&](const Use& u) { return (u.basis == Basis::CONSUMED) == consumed; });
    const bool has_unit = std::any_of(counted.begin(), counted.end(), [](const Charge* l) { return signed_quantity(*l).sign() > 0; });
    if (consumed || !one_basis || !has_unit) return 0;
    const int64_t first = period.first_day().days_since_epoch(), days = period.days();
    int64_t covered = days;
    for (const Charge* l : counted) covered = std::min(covered, std::max(l->start.days_since_epoch(), first) - first);
    const bool anniversary = covered > 0 && covered < days && std::any_of(counted.begin(), counted.end(), [&](const Charge* l) {
      return l->start.days_since_epoch() - first == covered && l->end.days_since_epoch() - first >= days;
    });
    return anniversary ? covered : 0;
  }

  // A priced line's quantity on the compared days: in full when it charges none before them,
  // else by its days from then (12 places, half-even); nothing when it charges none of them.
  static Result<std::optional<Decimal>> priced_on_compared_days(const Period& period, const Priced& p, int64_t from) {
    const int64_t first_day = period.first_day().days_since_epoch();
    const int64_t first = std::max<int64_t>(0, p.from.days_since_epoch() - first_day);
    const int64_t last = std::min<int64_t>(period.days() - 1, p.to.days_since_epoch() - first_day);
    const int64_t counted = last - std::max(first, from) + 1;
    if (counted <= 0) return std::optional<Decimal>();
    if (counted == last - first + 1) return std::optional<Decimal>(p.quantity);
    CB_TRY(Decimal q_days, p.quantity.mul(Decimal::from_int(counted)));
    CB_TRY(Decimal q, q_days.div(Decimal::from_int(last - first + 1), 12, Rounding::kHalfEven));
    return std::optional<Decimal>(q);
  }

  // The counted vendor line charging most of the priced line's days in its SKU (a whole cycle
  // before a part of one on a tie, else the first cited), or null.
  static const Charge* vendor_line_for(const std::vector<const Charge*>& counted, const Priced& p) {
    const Charge* best = nullptr;
    int64_t best_days = 0;
    for (const Charge* l : counted) {
      if (l->sku != p.sku || signed_quantity(*l).sign() <= 0) continue;
      const int64_t days = std::min(l->end, p.to).days_since_epoch() - std::max(l->start, p.from).days_since_epoch() + 1;
      const bool better = days > best_days || (days == best_days && best != nullptr && partial_cycle(*best) && !partial_cycle(*l));
      if (days > 0 && better) best = l, best_days = days;
    }
    return best;
  }

  // docs/matching.md §8.2 check 12 (R32), on a key no other check than TIMING explained: each
  // priced line's unit cost against the monthly unit of the vendor line that charges most of its
  // days — in the pricing currency when the rule is priced in it (the gap then valued at the
  // vendor's rate), else in the billing currency through the lock — over its quantity on the
  // compared days, summed and rounded half-even to cents. Beyond the tolerance: COST_RATE_MISMATCH.
  Status check_priced_cost(const std::string& where, schema::MatchResult::Reader r, const Cited& c, const Copies& copied,
                           const DecodedEntry* raised, bool explained) {
    const std::string of = where + ": its COST_RATE_MISMATCH";
    if (explained) {
      if (raised != nullptr) return broke("R32", of + " is raised by neither check 6 (its lines come to their book price) nor check 12 (another finding explains the key)");
      return {};
    }
    if (!c.all_priced) return {};
    CB_TRY(Period period, iso_period(r.getPeriod(), where + " period"));
    const auto run = run_of(r);
    if (!run) return {};
    CB_TRY(Decimal tolerance, dec("R32", run->getTolerance(), where + " run tolerance"));
    std::vector<const Charge*> counted;
    for (const Charge& l : c.lines) {
      if (copied.count(l.index) == 0 && l.role != Role::kCredit && days_within(l.start, l.end, period) > 0) counted.push_back(&l);
    }
    const int64_t from = compared_from(period, c, counted);
    Decimal gap_value;
    std::string currency;
    for (const Priced& p : c.priced) {
      const Charge* l = vendor_line_for(counted, p);
      if (l == nullptr) continue;
      if (l->period == period.to_string() && !l->pricing.empty() && l->pricing != l->currency) {
        if (lock_of(period.to_string(), l->pricing, l->currency) == nullptr) return {};  // R29 refuses a conversion without a lock
        CB_TRY(bool beyond, fx_beyond(where, period, *l, run->getFxToleranceBps()));
        if (beyond) continue;  // a rate gap is FX_VARIANCE's
      }
      CB_TRY(std::optional<Decimal> q, priced_on_compared_days(period, p, from));
      if (!q) continue;
      const bool in_pricing_currency = p.cost_currency == (l->pricing.empty() ? l->currency : l->pricing);
      CB_TRY(Decimal vendor_unit, monthly_unit(*l, !in_pricing_currency));
      Decimal book_unit = p.cost_unit;
      if (!in_pricing_currency && p.cost_currency != l->currency) {
        const DecodedEntry* e = lock_of(period.to_string(), p.cost_currency, l->currency);
        if (e == nullptr && !complete_) return {};
        if (e == nullptr) continue;
        CB_TRY(Decimal rate, dec("R32", e->reader().getKind().getFxLock().getRate(), where + " lock rate"));
        CB_TRY(book_unit, p.cost_unit.mul(rate));
      }
      CB_TRY(Decimal unit_gap, vendor_unit.sub(book_unit));
      if (in_pricing_currency) {
        CB_TRY(unit_gap, unit_gap.mul(l->rate));
      }
      CB_TRY(Decimal line_gap, unit_gap.mul(*q));
      CB_TRY(gap_value, gap_value.add(line_gap));
      currency = l->currency;
    }
    CB_TRY(Decimal delta, gap_value.round(2, Rounding::kHalfEven));
    const bool flagged = tolerance < delta.abs();
    if (flagged != (raised != nullptr)) {
      return broke("R32", where + (flagged ? ": its priced lines' unit cost is " + delta.to_string() + " " + currency +
                                                 " off the vendor's unit price over their quantity, and no COST_RATE_MISMATCH is raised"
                                           : std::string(": a COST_RATE_MISMATCH is raised, yet its lines come to their book price and "
                                                         "its priced lines' unit cost to the vendor's within the tolerance")));
    }
    if (raised == nullptr) return {};
    return delta_is(of, raised->reader().getKind().getException(), delta, currency, "the priced lines' unit cost against the vendor's");
  }

  // docs/matching.md §8.2 check 5: a Partner Center line naming a reseller MPN that is not the MPN
  // of its tenant's partner on its first charge day.
  Status check_partner_mismatch(const std::string& where, schema::MatchResult::Reader r, const Cited& c,
                                const Copies& copied, bool raised) {
    CB_TRY(Period period, iso_period(r.getPeriod(), where + " period"));
    bool mismatch = false;
    for (const Charge& l : c.lines) {
      if (copied.count(l.index) != 0 || l.format != kPartnerCenter || l.mpn.empty()) continue;
      const Edge* e = resolve(l.vendor, tries_of(l), resolution_day(l, period));
      if (e == nullptr) continue;
      auto known = partners_.find(e->partner);
      const DecodedEntry* p = known == partners_.end() ? nullptr : get_(known->second);
      if (p == nullptr) {
        if (complete_) return broke("R29", where + ": partner " + e->partner + " is not in the ledger");
        return {};  // a bundle without the partner cannot say
      }
      if (text(p->reader().getKind().getPartner().getResellerMpnId()) != l.mpn) mismatch = true;
    }
    if (mismatch != raised) {
      return broke("R29", where + (mismatch ? ": a Partner Center line names another reseller MPN than its partner's, and no PARTNER_MISMATCH is raised"
                                            : ": a PARTNER_MISMATCH is raised, yet every line names its partner's reseller MPN"));
    }
    return {};
  }

  // ------------------------------------------------------------------------------------
  // R30: legs and evidence

  Status check_legs_and_evidence(uint64_t index, schema::Exception::Reader x) {
    const std::string where = "exception " + std::to_string(index) + " (" + text(x.getExceptionId()) + ")";
    for (auto leg : x.getLegs()) {
      for (auto value : {leg.getQuantity(), leg.getUnitPrice(), leg.getAmount()}) {
        if (value.size() != 0 && !Decimal::parse(text(value)).ok()) {
          return broke("R30", where + ": its leg " + text(leg.getName()) + " gives \"" + text(value) + "\", not a decimal");
        }
      }
    }
    std::set<uint64_t> cited;
    for (auto ref : x.getEvidence()) {
      if (!cited.insert(ref.getIndex()).second) return broke("R30", where + " cites entry " + std::to_string(ref.getIndex()) + " twice");
    }
    if (x.getCategory() == Category::CREDIT_RECOVERY) return check_recovery(index, where, x);
    if (x.getCategory() == Category::DISPUTE) return check_dispute_finding(index, where, x);
    return {};
  }

  // A leg is known by its place; its name is a label.

  // docs/close.md §3: a credit against a signed period raises CREDIT_RECOVERY with the credit and
  // what its lines billed as legs, citing the credited lines, the credit and the reopen it caused.
  Status check_recovery(uint64_t index, const std::string& where, schema::Exception::Reader x) {
    const DecodedEntry* credit = nullptr;
    for (auto ref : x.getEvidence()) {
      const DecodedEntry* e = earlier(ref.getIndex(), index);
      if (e != nullptr && e->reader().getKind().isCredit()) credit = e;
    }
    if (credit == nullptr) {
      if (complete_) return broke("R30", where + " cites no credit");
      return {};  // a bundle without its credit cannot follow the evidence
    }
    auto c = credit->reader().getKind().getCredit();
    std::vector<uint64_t> want = indexes(c.getLines());
    Decimal billed;
    for (uint64_t line : want) {
      const DecodedEntry* l = earlier(line, index);
      if (l == nullptr || !l->reader().getKind().isPricedLine()) return {};  // R16 judges the credit's lines
      CB_TRY(Decimal sell, dec("R30", l->reader().getKind().getPricedLine().getSellAmount(), where + " line sell"));
      CB_TRY(billed, billed.add(sell));
    }
    want.push_back(credit->reader().getIndex());
    for (auto ref : x.getEvidence()) {
      const DecodedEntry* e = earlier(ref.getIndex(), index);
      if (e != nullptr && e->reader().getKind().isPeriodReopen() && e->reader().getKind().getPeriodReopen().getCause().getIndex() == credit->reader().getIndex()) {
        want.push_back(ref.getIndex());
      }
    }
    if (indexes(x.getEvidence()) != want) return broke("R30", where + " does not cite the credited lines, the credit and its reopen");
    CB_TRY(Decimal amount, dec("R30", c.getAmount(), where + " credit amount"));
    if (x.getLegs().size() != 2) return broke("R30", where + ": its legs are not the credit and what its lines billed");
    CB_CHECK(leg_is("R30", where, x.getLegs()[0], "credit", "", "", amount));
    return leg_is("R30", where, x.getLegs()[1], "signed_off", "", "", billed);
  }

  // docs/close.md §6: a DISPUTE's legs are the line as priced and the partner's claim; it cites the
  // Dispute and the line.
  Status check_dispute_finding(uint64_t index, const std::string& where, schema::Exception::Reader x) {
    const DecodedEntry* dispute = nullptr;
    for (auto ref : x.getEvidence()) {
      const DecodedEntry* e = earlier(ref.getIndex(), index);
      if (e == nullptr) return {};
      if (e->reader().getKind().isDispute()) dispute = e;
    }
    if (dispute == nullptr) return broke("R30", where + " cites no dispute");
    auto d = dispute->reader().getKind().getDispute();
    const DecodedEntry* line = earlier(d.getLine().getIndex(), index);
    if (line == nullptr || !line->reader().getKind().isPricedLine()) return {};  // R20 judges the line
    bool cites_line = false;
    for (auto ref : x.getEvidence()) cites_line = cites_line || ref.getIndex() == d.getLine().getIndex();
    if (!cites_line) return broke("R30", where + " does not cite the line its dispute names");
    auto l = line->reader().getKind().getPricedLine();
    CB_TRY(Decimal sell, dec("R30", l.getSellAmount(), where + " line sell"));
    CB_TRY(Decimal claim, dec("R30", d.getAmount(), where + " dispute amount"));
    if (x.getLegs().size() != 2) return broke("R30", where + ": its legs are not the line as priced and the claim");
    CB_CHECK(leg_is("R30", where, x.getLegs()[0], "priced", text(l.getQuantity()), text(l.getSellUnitPrice()), sell));
    return leg_is("R30", where, x.getLegs()[1], "dispute", "", "", claim);
  }

  // ------------------------------------------------------------------------------------
  // R28 and R29 (ledger): a run compared every row of its period once, and counted its findings

  Status check_coverage(uint64_t run_index, const RunSeen& run) {
    const std::string where = "match run " + std::to_string(run_index);
    for (const auto& [row, times] : run.cited) {
      if (times > 1) return broke("R28", where + ": row " + std::to_string(row) + " is compared by " + std::to_string(times) + " of its results");
    }
    for (const auto* rows : {&invoice_rows_, &usage_rows_}) {
      for (const Row& row : *rows) {
        if (row.index >= run_index || row.period != run.period || run.cited.count(row.index) != 0) continue;
        return broke("R28", where + ": row " + std::to_string(row.index) + " of " + run.period + " is compared by none of its results");
      }
    }
    return {};
  }

  Status check_run_findings(uint64_t run_index, schema::MatchRun::Reader run, const RunSeen& seen) {
    const std::string where = "match run " + std::to_string(run_index);
    CB_TRY(Period period, iso_period(run.getPeriod(), where + " period"));
    std::vector<Charge> lines;
    for (const Row& row : invoice_rows_) {
      if (row.index >= run_index || row.period != seen.period) continue;
      const DecodedEntry* e = get_(row.index);
      CB_TRY(Charge c, charge_of(row.index, e->reader().getKind().getInvoiceLine()));
      lines.push_back(std::move(c));
    }
    std::vector<const Charge*> all;
    for (const Charge& c : lines) all.push_back(&c);
    const Copies copied = copies(all);
    // docs/matching.md §8.2 check 2: per vendor invoice and rate, the rate against the lock.
    std::map<std::string, std::vector<const Charge*>> converted;
    for (const Charge& c : lines) {
      if (copied.count(c.index) != 0 || c.pricing.empty() || c.pricing == c.currency) continue;
      converted[c.vendor + "|" + c.invoice + "|" + c.pricing + "|" + c.currency + "|" + c.rate.to_string()].push_back(&c);
    }
    uint64_t variances = 0;
    for (const auto& [group, of_group] : converted) {
      CB_TRY(bool beyond, fx_beyond(where, period, *of_group.front(), run.getFxToleranceBps()));
      if (!beyond) continue;
      ++variances;
      CB_CHECK(fx_finding_raised(where, seen.period, of_group));
    }
    const uint64_t counted = seen.findings.size() + variances;
    if (run.getExceptionCount() != counted) {
      return broke("R29", where + " counts " + std::to_string(run.getExceptionCount()) + " findings; its results name " +
                              std::to_string(seen.findings.size()) + " and its invoices' FX variances are " + std::to_string(variances));
    }
    return {};
  }

  // |rate − lock| ÷ lock × 10 000 beyond the run's basis points, compared exactly.
  Result<bool> fx_beyond(const std::string& where, const Period& period, const Charge& c, uint32_t bps) {
    const DecodedEntry* e = lock_of(period.to_string(), c.pricing, c.currency);
    if (e == nullptr) return broke("R29", where + ": invoice " + c.invoice + " converts " + c.pricing + "/" + c.currency + ", which no FX lock of the period fixes");
    CB_TRY(Decimal locked, dec("R29", e->reader().getKind().getFxLock().getRate(), where + " lock rate"));
    CB_TRY(Decimal gap, c.rate.sub(locked));
    CB_TRY(Decimal scaled, gap.abs().mul(Decimal::from_int(10000)));
    CB_TRY(Decimal allowed, locked.mul(Decimal::from_int(bps)));
    return allowed < scaled;
  }

  Status fx_finding_raised(const std::string& where, const std::string& period, const std::vector<const Charge*>& lines) {
    for (uint64_t at : fx_findings_[period]) {
      const DecodedEntry* e = get_(at);
      if (e == nullptr) continue;
      auto x = e->reader().getKind().getException();
      std::set<uint64_t> cited;
      for (auto ref : x.getEvidence()) cited.insert(ref.getIndex());
      const bool all = std::all_of(lines.begin(), lines.end(), [&](const Charge* c) { return cited.count(c->index) != 0; });
      if (text(x.getVendor()) == lines.front()->vendor && all) return {};
    }
    return broke("R29", where + ": invoice " + lines.front()->invoice + " converts beyond the FX tolerance, and no FX_VARIANCE cites its lines");
  }

  Lookup get_;
  const bool complete_;
  std::map<std::string, std::vector<Edge>> edges_;       // by edge_key: vendor, kind of id, value
  std::map<std::string, uint64_t> partners_;             // id -> its latest Partner entry
  std::map<std::string, uint64_t> latest_exception_;     // exception id -> its latest Exception entry
  std::map<std::string, std::vector<uint64_t>> fx_findings_;  // period -> its FX_VARIANCE entries
  std::map<std::string, uint64_t> locks_;                // "period|base|quote" -> the period's FxLock
  std::map<std::string, std::vector<RuleCost>> rules_;     // "vendor|sku" -> its rule versions
  std::map<std::string, std::vector<RuleCost>> patterns_;  // vendor -> its pattern rules' versions
  std::vector<Row> invoice_rows_, usage_rows_;           // every input row and its period
  std::map<uint64_t, RunSeen> runs_;                     // by the MatchRun's index
};

MatchRules::MatchRules(Lookup lookup, bool complete) : state_(std::make_unique<State>(std::move(lookup), complete)) {}
MatchRules::~MatchRules() = default;
Status MatchRules::check(const DecodedEntry& entry) { return state_->check(entry); }
void MatchRules::record(const DecodedEntry& entry) { state_->record(entry); }
Status MatchRules::finish() { return state_->finish(); }

}  // namespace closebook::verify
