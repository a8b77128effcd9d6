#include "match/pricing.h"

#include <algorithm>
#include <cassert>
#include <map>
#include <set>
#include <optional>

#include "evidence/date.h"
#include "evidence/decimal.h"
#include "match/book.h"
#include "match/fields.h"
#include "match/period.h"
#include "match/findings.h"
#include "match/tenants.h"
#include "match/usage.h"
#include "match/vendor_lines.h"

namespace closebook::match {
namespace {

// A priced line's link to the LineCost appended before it (pricing writes the cost first).
schema::EntryRef::Builder priced_line_cost(schema::Entry::Builder entry) { return entry.getKind().getPricedLine().getCost(); }

// Quantities prorated by days keep 6 decimal places (half-even); amounts are rounded once,
// half-even, to cents (docs/matching.md §3).
constexpr int kQuantityScale = 6;
constexpr int kAmountScale = 2;

// ---------------------------------------------------------------------------------------
// What the ledger holds, read once.

// What a priced line bills: a subscription's SKU, or a tenant's SKU where the feed has no subscription.
std::string priced_key(capnp::Text::Reader vendor, capnp::Text::Reader subscription, capnp::Text::Reader sku,
                       capnp::Text::Reader tenant) {
  return text_of(vendor) + "|" + text_of(subscription) + "|" + text_of(sku) + (subscription.size() == 0 ? "|" + text_of(tenant) : "");
}

class Inputs {
 public:
  static Result<Inputs> load(const ledger::Snapshot& snapshot, const Period& period, const CloseConfig& config) {
    Inputs in;
    CB_TRY(in.graph_, TenantGraph::load(snapshot));
    CB_TRY(in.book_, PriceBook::load(snapshot));
    CB_TRY(in.groups_, load_usage_groups(snapshot, period, config, [&](const DecodedEntry& e) -> Status {
      if (e.reader().getKind().isPricedLine()) {  // the period's lines as priced before: the latest of each id
        auto l = e.reader().getKind().getPricedLine();
        CB_TRY(Decimal q, decimal_of(l.getQuantity()));
        in.priced_before_.insert_or_assign(text_of(l.getLineId()),
                                           PricedBefore{e.reader().getIndex(), priced_key(l.getVendor(), l.getSubscriptionId(),
                                                                                          l.getSkuId(), l.getTenantId()),
                                                        q.is_zero()});
        return {};
      }
      // The period's invoice lines value what pricing cannot price (money on every exception).
      if (!e.reader().getKind().isInvoiceLine() || e.reader().getKind().getInvoiceLine().getPeriod() != period.to_string()) return {};
      CB_TRY(VendorLine l, vendor_line(e));
      if (!l.credit()) {
        in.charges_[charge_key(l.vendor, l.subscription, l.tenant_ref, l.sku, l.consumption())].push_back(
            Charge{l.start, l.end, l.window_days(), l.subtotal, std::move(l.currency)});
      }
      return {};
    }));
    return in;
  }

  // What the vendor charges for a usage group's days `from`..`to` (inclusive) of the period,
  // each invoice line by its share of days; nullopt when no line of the period charges it.
  Result<std::optional<std::pair<Decimal, std::string>>> vendor_amount(const UsageGroup& g, const Date& from, const Date& to) const {
    auto it = charges_.find(charge_key(g.vendor, g.subscription, g.tenant_ref, g.sku, g.consumed()));
    if (it == charges_.end()) return std::optional<std::pair<Decimal, std::string>>();
    Decimal share_total;
    for (const Charge& l : it->second) {
      const int64_t first = std::max(from.days_since_epoch(), l.start.days_since_epoch());
      const int64_t last = std::min(to.days_since_epoch(), l.end.days_since_epoch());
      if (last < first) continue;
      CB_TRY(Decimal amount_days, l.subtotal.mul(Decimal::from_int(last - first + 1)));
      CB_TRY(Decimal share, amount_days.div(Decimal::from_int(l.window_days), 12, Rounding::kHalfEven));
      CB_TRY(share_total, share_total.add(share));
    }
    CB_TRY(Decimal rounded, share_total.round(kAmountScale, Rounding::kHalfEven));
    return std::optional<std::pair<Decimal, std::string>>(std::make_pair(rounded, it->second.front().currency));
  }

  const TenantGraph& graph() const { return *graph_; }
  const std::map<std::string, UsageGroup>& groups() const { return groups_; }

  const PriceBook& book() const { return *book_; }

 private:
  std::optional<TenantGraph> graph_;
  std::optional<PriceBook> book_;
  std::map<std::string, UsageGroup> groups_;  // in key order: deterministic output
  // What vendor_amount reads of an invoice line: its window, amount and currency (~80 bytes,
  // not the ~1.1 KB of a VendorLine; a 1M-line period holds a million).
  struct Charge {
    Date start, end;
    int64_t window_days;  // VendorLine::window_days()
    Decimal subtotal;
    std::string currency;
  };
  std::map<std::string, std::vector<Charge>> charges_;  // the period's invoice lines by charge_key

 public:
  struct PricedBefore {
    uint64_t index;
    std::string key;  // priced_key
    bool zero;
  };
  std::map<std::string, PricedBefore> priced_before_;  // lineId -> its latest entry
};

// ---------------------------------------------------------------------------------------
// Days: who the identity belongs to and which rule prices it, day by day, in stretches.

// The vendor's own price of a unit (docs/matching.md §3.1), what a cost-plus rule costs at.
struct VendorPrice {
  Decimal price;
  std::string currency;
  bool operator==(const VendorPrice&) const = default;
};

struct Stretch {
  int first_day = 0;  // 0-based day of the period
  int day_count = 0;
  std::optional<TenantMatch> tenant;
  const RuleInfo* rule = nullptr;  // null: no effective rule
  // A cost-plus rule's cost: the price its usage records carry; nullopt when they carry none
  // or disagree on one day.
  std::optional<VendorPrice> vendor_price;
};

// The price the records of each day carry (the day before's when a day has none): nullopt
// where no record so far carries one, or two records of the day disagree.
std::vector<std::optional<VendorPrice>> daily_vendor_prices(const UsageGroup& group, const Period& period) {
  std::vector<std::optional<VendorPrice>> out(static_cast<size_t>(period.days()));
  std::vector<bool> seen(out.size(), false), conflict(out.size(), false);
  const int64_t first = period.first_day().days_since_epoch();
  for (const UsageInfo& u : group.records) {
    const int64_t d = u.date.days_since_epoch() - first;
    if (d < 0 || d >= period.days()) continue;
    const std::optional<VendorPrice> price =
        u.vendor_price ? std::optional<VendorPrice>(VendorPrice{*u.vendor_price, u.pricing_currency}) : std::nullopt;
    const size_t day = static_cast<size_t>(d);
    if (seen[day] && out[day] != price) conflict[day] = true;
    seen[day] = true;
    out[day] = price;
  }
  for (size_t day = 0; day < out.size(); ++day) {
    if (conflict[day]) out[day] = std::nullopt;
    else if (!seen[day] && day > 0) out[day] = out[day - 1];
  }
  return out;
}

std::vector<Stretch> stretches_of(const UsageGroup& group, const Inputs& in, const Period& period) {
  std::vector<Stretch> out;
  const int64_t first = period.first_day().days_since_epoch();
  const TenantGraph::AnyResolver resolver = in.graph().resolver_any(group.vendor, group.tenant_ref);
  const std::string meter_category = group.meter_category();
  const std::vector<std::optional<VendorPrice>> prices = daily_vendor_prices(group, period);
  const PriceBook::Candidates rules = in.book().candidates(group.vendor, group.sku, meter_category);
  for (int day = 0; day < period.days(); ++day) {
    const Date date = Date::from_days(first + day);
    auto tenant = resolver.on(date);
    const RuleInfo* rule = tenant ? rules.best(tenant->partner_id, date.to_iso()) : nullptr;
    const std::optional<VendorPrice> price =
        rule != nullptr && rule->cost_from_vendor ? prices[static_cast<size_t>(day)] : std::nullopt;
    const bool same = !out.empty() && out.back().rule == rule && out.back().vendor_price == price &&
                      out.back().tenant.has_value() == tenant.has_value() &&
                      (!tenant || (out.back().tenant->tenant_id == tenant->tenant_id &&
                                   out.back().tenant->partner_id == tenant->partner_id));
    if (same) {
      ++out.back().day_count;
    } else {
      out.push_back(Stretch{day, 1, tenant, rule, price});
    }
  }
  return out;
}

// The quantity a stretch sums, by the usage basis (docs/matching.md §3), and the records it
// rests on. Snapshot counts hold from their date until the next snapshot: seat-days / days in
// the period. Consumption adds up by date. A peak is the period's peak, prorated by days.
struct StretchQuantity {
  Decimal quantity;
  Basis basis = Basis::SNAPSHOT;
  std::vector<Ref> usage;
};

Result<StretchQuantity> quantity_of(const UsageGroup& group, const Stretch& s, const Period& period) {
  const int64_t first = period.first_day().days_since_epoch();
  const int64_t from = first + s.first_day, to = from + s.day_count - 1;  // inclusive
  const Decimal days_in_period = Decimal::from_int(period.days());
  StretchQuantity q;
  if (group.consumed()) {
    q.basis = Basis::CONSUMED;
    for (const UsageInfo& u : group.records) {
      const int64_t d = u.date.days_since_epoch();
      if (d < from || d > to) continue;
      CB_TRY(q.quantity, q.quantity.add(u.quantity));
      q.usage.push_back(u.ref);
    }
    return q;
  }
  if (group.has_snapshots() && group.cadence != Cadence::MONTHLY) {
    // Seat-days: each day counts the snapshot that stands for it (daily or weekly cadence).
    const std::vector<int> current = group.daily_snapshots(period);
    Decimal seat_days;
    for (int day = s.first_day; day < s.first_day + s.day_count; ++day) {
      const int at = current[static_cast<size_t>(day)];
      if (at < 0) continue;
      const UsageInfo& u = group.records[static_cast<size_t>(at)];
      CB_TRY(seat_days, seat_days.add(u.quantity));
      if (q.usage.empty() || q.usage.back().index != u.ref.index) q.usage.push_back(u.ref);
    }
    CB_TRY(q.quantity, seat_days.div(days_in_period, kQuantityScale, Rounding::kHalfEven));
    q.basis = Basis::SNAPSHOT;
    return q;
  }
  // One count for the period — a monthly seat report's, or the peak — prorated by the
  // stretch's days when it is shorter than the period.
  Decimal count;
  if (group.has_snapshots()) {
    const int at = group.daily_snapshots(period).front();
    assert(at >= 0);  // a monthly group has a count dated in the period
    count = group.records[static_cast<size_t>(at)].quantity;
    q.usage.push_back(group.records[static_cast<size_t>(at)].ref);
    q.basis = Basis::SNAPSHOT;
  } else {
    for (const UsageInfo& u : group.records) {
      if (u.quantity > count) count = u.quantity;
      q.usage.push_back(u.ref);
    }
    q.basis = Basis::PEAK;
  }
  CB_TRY(Decimal count_days, count.mul(Decimal::from_int(s.day_count)));
  CB_TRY(q.quantity, count_days.div(days_in_period, kQuantityScale, Rounding::kHalfEven));
  if (s.day_count == period.days()) q.quantity = count;  // a whole month is the count itself
  return q;
}

// ---------------------------------------------------------------------------------------
// Amounts

struct Conversion {
  Decimal rate = Decimal::from_int(1);
  const FxInfo* fx = nullptr;  // null: same currency
  std::string base, quote;
};

struct Amounts {
  Decimal cost_amount, sell_unit, sell_amount, margin;
  std::optional<Conversion> lock;  // the one FX conversion used, if any
};

// Why a stretch cannot be priced, or its amounts.
struct PriceResult {
  std::optional<Amounts> amounts;
  std::string problem;
};

Result<PriceResult> price(const RuleInfo& rule, const VendorPrice& cost, const PartnerInfo& partner, const Decimal& quantity,
                          const Inputs& in, const Period& period) {
  const std::string& currency = partner.currency;
  auto convert = [&](const std::string& from) -> std::optional<Conversion> {
    if (from == currency) return Conversion{};
    const FxInfo* fx = in.book().fx(from, currency, period);
    if (fx == nullptr) return std::nullopt;
    return Conversion{fx->rate, fx, from, currency};
  };
  auto cost_fx = convert(cost.currency);
  if (!cost_fx) return PriceResult{std::nullopt, "no " + cost.currency + "/" + currency + " rate on or before " + period.first_day().to_iso()};
  const bool sell_in_cost_terms = rule.method == SellMethod::MARKUP_PCT;
  auto sell_fx = sell_in_cost_terms ? cost_fx : convert(rule.sell_currency);
  if (!sell_fx) return PriceResult{std::nullopt, "no " + rule.sell_currency + "/" + currency + " rate on or before " + period.first_day().to_iso()};
  if (cost_fx->fx != nullptr && sell_fx->fx != nullptr && cost_fx->fx != sell_fx->fx) {
    return PriceResult{std::nullopt, "the rule needs two FX conversions (cost and sell)"};
  }
  Amounts a;
  a.lock = cost_fx->fx != nullptr ? cost_fx : (sell_fx->fx != nullptr ? sell_fx : std::nullopt);
  CB_TRY(Decimal cost_unit, cost.price.mul(cost_fx->rate));
  CB_TRY(Decimal cost_exact, cost_unit.mul(quantity));
  CB_TRY(a.cost_amount, cost_exact.round(kAmountScale, Rounding::kHalfEven));
  if (sell_in_cost_terms) {
    CB_TRY(Decimal factor, Decimal::from_int(100).add(rule.sell_value));
    CB_TRY(Decimal marked, cost_unit.mul(factor));
    CB_TRY(a.sell_unit, marked.div(Decimal::from_int(100), std::max(cost_unit.scale(), 4), Rounding::kHalfEven));
  } else {
    CB_TRY(a.sell_unit, rule.sell_value.mul(sell_fx->rate));
  }
  CB_TRY(Decimal sell_exact, a.sell_unit.mul(quantity));
  CB_TRY(a.sell_amount, sell_exact.round(kAmountScale, Rounding::kHalfEven));
  CB_TRY(a.margin, a.sell_amount.sub(a.cost_amount));
  return PriceResult{a, ""};
}

// ---------------------------------------------------------------------------------------
// Drafts

// What cannot be priced is valued at what the vendor charges for its days, so the queue sorts
// it by money; with no vendor charge there is no price to value it at, and the summary says so.
void value_by_vendor(Finding& f, const std::optional<std::pair<Decimal, std::string>>& charged) {
  if (!charged) {
    f.delta.clear();
    f.legs.push_back(FindingLeg{"vendor_invoice", "", "", "", "no invoice line of the period charges it"});
    return;
  }
  f.delta = charged->first.to_string();
  f.currency = charged->second;
  f.legs.push_back(FindingLeg{"vendor_invoice", "", "", charged->first.to_string(), "the vendor's charge for these days"});
}

const Decimal kZeroAmount = Decimal::parse("0.00").value();

ledger::Draft line_cost_draft(const std::string& line_id, const Ref& rule, const std::string& rule_id, uint32_t version,
                             const VendorPrice& cost, const Decimal& cost_amount, const Decimal& margin) {
  ledger::Draft draft;
  auto c = draft.entry().getKind().initLineCost();
  c.setLineId(line_id);
  set_ref(c.initRule(), rule);
  c.setRuleId(rule_id);
  c.setRuleVersion(version);
  c.setCostUnitPrice(cost.price.to_string());
  c.setCostCurrency(cost.currency);
  c.setCostAmount(cost_amount.to_string());
  c.setMarginAmount(margin.to_string());
  draft.shrink_to_fit();
  return draft;
}

class PlanBuilder {
 public:
  PlanBuilder(const Inputs& in, const PricingOptions& options, const Period& period)
      : in_(in), options_(options), period_(period) {}

  Status price_group(const UsageGroup& group);
  PricingPlan take() { return std::move(plan_); }

 private:
  Status price_stretch(const UsageGroup& group, const Stretch& s, const StretchQuantity& q);
  size_t fx_lock_position(const Conversion& c);
  std::string line_id(const UsageGroup& group, const Stretch& s) const;
  Finding finding(Category category, const UsageGroup& group, const std::string& subject,
                  const std::vector<Ref>& usage) const;
  void add_exception(const Finding& f) {
    plan_.drafts.push_back(exception_draft(period_.to_string(), f, options_.config));
    ++plan_.exception_count;
  }
  Status check_margin_floor(const UsageGroup& group, const Stretch& s, const Amounts& a,
                            const PartnerInfo& partner, size_t line_position);

  const Inputs& in_;
  const PricingOptions& options_;
  const Period period_;
  PricingPlan plan_;
  std::map<const FxInfo*, size_t> fx_locks_;  // rate -> position of its lock in the batch
};

std::string PlanBuilder::line_id(const UsageGroup& group, const Stretch& s) const {
  const Hash h = sha256(group.vendor + "|" + group.tenant_ref + "|" + group.subscription + "|" + group.sku + "|" +
                        std::to_string(s.first_day) + "|" + s.rule->rule_id + "|" +
                        std::to_string(s.rule->version) + "|" + s.tenant->partner_id);
  return "PL-" + period_.to_string() + "-" + to_hex(Bytes(h.data(), kIdBytes));
}

Finding PlanBuilder::finding(Category category, const UsageGroup& group, const std::string& subject,
                             const std::vector<Ref>& usage) const {
  Finding f;
  f.category = category;
  f.vendor = group.vendor;
  f.subscription_id = group.subscription;
  f.sku_id = group.sku;
  f.subject = group.vendor + "|" + group.tenant_ref + "|" + group.subscription + "|" + group.sku + "|" + subject;
  f.evidence = usage;
  return f;
}

size_t PlanBuilder::fx_lock_position(const Conversion& c) {
  auto it = fx_locks_.find(c.fx);
  if (it != fx_locks_.end()) return it->second;
  plan_.drafts.push_back(fx_lock_draft(period_, *c.fx));
  ++plan_.fx_lock_count;
  return fx_locks_[c.fx] = plan_.drafts.size() - 1;
}

Status PlanBuilder::price_group(const UsageGroup& group) {
  const bool consumed = group.records.front().basis == Basis::CONSUMED;
  const bool mixed = std::any_of(group.records.begin(), group.records.end(), [&](const UsageInfo& u) {
    return (u.basis == Basis::CONSUMED) != consumed;
  });
  std::vector<Ref> all_usage;
  for (const UsageInfo& u : group.records) all_usage.push_back(u.ref);
  if (mixed) {
    Finding f = finding(Category::QTY_MISMATCH, group, "mixed-basis", all_usage);
    f.summary = "usage mixes consumed quantities with seat counts; it cannot be priced until the feed is corrected";
    CB_TRY(auto charged, in_.vendor_amount(group, period_.first_day(), period_.last_day()));
    value_by_vendor(f, charged);
    add_exception(f);
    return {};
  }
  for (const Stretch& s : stretches_of(group, in_, period_)) {
    CB_TRY(StretchQuantity q, quantity_of(group, s, period_));
    if (q.quantity.is_zero()) continue;  // nothing used in these days: nothing to price
    CB_CHECK(price_stretch(group, s, q));
  }
  return {};
}

Status PlanBuilder::price_stretch(const UsageGroup& group, const Stretch& s, const StretchQuantity& q) {
  const Date from = Date::from_days(period_.first_day().days_since_epoch() + s.first_day);
  const Date to = Date::from_days(from.days_since_epoch() + s.day_count - 1);
  const std::string days = from.to_iso() + ".." + to.to_iso();
  const FindingLeg usage_leg{"usage", q.quantity.to_string(), "", "", days};
  CB_TRY(auto charged, in_.vendor_amount(group, from, to));
  if (!s.tenant) {
    Finding f = finding(Category::TENANT_UNRESOLVED, group, days, q.usage);
    f.legs = {usage_leg};
    value_by_vendor(f, charged);
    f.summary = group.vendor + " identity \"" + group.tenant_ref + "\" maps to no tenant on " + days;
    add_exception(f);
    return {};
  }
  const PartnerInfo* partner = in_.book().partner(s.tenant->partner_id);
  std::string problem = partner == nullptr ? "partner " + s.tenant->partner_id + " is not in the ledger" : "";
  if (problem.empty() && s.rule == nullptr) problem = "no rule version prices " + group.sku + " for " + s.tenant->partner_id + " on " + days;
  if (problem.empty() && s.rule->cost_from_vendor && !s.vendor_price) {
    problem = "rule " + s.rule->rule_id + " v" + std::to_string(s.rule->version) + " costs from the vendor's price, and the usage of " +
              days + " carries none (or two on one day)";
  }
  VendorPrice cost;  // the unit cost and its currency: the rule's, or the usage's own price (cost-plus)
  std::optional<Amounts> amounts;
  if (problem.empty()) {
    cost = s.rule->cost_from_vendor ? *s.vendor_price : VendorPrice{s.rule->cost, s.rule->cost_currency};
    CB_TRY(PriceResult priced, price(*s.rule, cost, *partner, q.quantity, in_, period_));
    amounts = priced.amounts;
    problem = priced.problem;
  }
  if (!problem.empty()) {
    Finding f = finding(Category::NO_PRICING_RULE, group, days, q.usage);
    f.partner_id = s.tenant->partner_id;
    f.tenant_id = s.tenant->tenant_id;
    f.legs = {usage_leg};
    f.currency = partner != nullptr ? partner->currency : "";
    value_by_vendor(f, charged);
    f.summary = problem + ": " + q.quantity.to_string() + " units unpriced";
    add_exception(f);
    return {};
  }
  const bool locked = amounts->lock.has_value();
  const size_t lock_position = locked ? fx_lock_position(*amounts->lock) : 0;

  // The line is sealed (docs/evidence.md §5): what it cost and the rule that priced it are
  // their own entry, just before it, which a partner is shown only the hash of.
  const std::string id = line_id(group, s);
  plan_.drafts.push_back(line_cost_draft(id, s.rule->ref, s.rule->rule_id, s.rule->version, cost,
                                         amounts->cost_amount, amounts->margin));
  const size_t cost_position = plan_.drafts.size() - 1;
  ++plan_.line_cost_count;

  ledger::Draft draft;
  draft.entry().setEffective(period_.to_string());
  auto l = draft.entry().getKind().initPricedLine();
  l.setLineId(id);
  l.setPeriod(period_.to_string());
  l.setPartnerId(s.tenant->partner_id);
  l.setTenantId(s.tenant->tenant_id);
  l.setVendor(group.vendor);
  l.setSkuId(group.sku);
  l.setSubscriptionId(group.subscription);
  l.setQuantity(q.quantity.to_string());
  l.setQuantityBasis(q.basis);
  l.setProrationDays(static_cast<uint32_t>(s.day_count));
  l.setFromDate(from.to_iso());
  l.setToDate(to.to_iso());
  l.setPeriodDays(static_cast<uint32_t>(period_.days()));
  l.setCadence(cadence_name(group.cadence));
  l.initCost();
  draft.link(priced_line_cost, cost_position);
  if (locked) {
    l.initFxLock();
    draft.link([](schema::Entry::Builder en) { return en.getKind().getPricedLine().getFxLock(); }, lock_position);
  }
  l.setSellUnitPrice(amounts->sell_unit.to_string());
  l.setSellAmount(amounts->sell_amount.to_string());
  l.setCurrency(partner->currency);
  auto usage = l.initUsage(static_cast<unsigned>(q.usage.size()));
  for (unsigned i = 0; i < q.usage.size(); ++i) set_ref(usage[i], q.usage[i]);
  draft.shrink_to_fit();
  plan_.drafts.push_back(std::move(draft));
  ++plan_.line_count;
  return check_margin_floor(group, s, *amounts, *partner, plan_.drafts.size() - 1);
}

// Margin below the floor (the rule's, else the partner's) is an alert, not a block.
Status PlanBuilder::check_margin_floor(const UsageGroup& group, const Stretch& s, const Amounts& a,
                                       const PartnerInfo& partner, size_t line_position) {
  const std::optional<Decimal> floor = s.rule->floor_pct ? s.rule->floor_pct : partner.floor_pct;
  if (!floor || a.sell_amount.sign() <= 0) return {};
  CB_TRY(Decimal floor_exact, a.sell_amount.mul(*floor));
  CB_TRY(Decimal floor_margin, floor_exact.div(Decimal::from_int(100), kAmountScale, Rounding::kHalfEven));
  if (!(a.margin < floor_margin)) return {};
  CB_TRY(Decimal shortfall, floor_margin.sub(a.margin));
  Finding f = finding(Category::MARGIN_FLOOR_BREACH, group, std::to_string(s.first_day), {s.rule->ref});
  f.partner_id = s.tenant->partner_id;
  f.tenant_id = s.tenant->tenant_id;
  f.evidence_in_batch = {line_position};
  f.legs = {FindingLeg{"priced", "", a.sell_unit.to_string(), a.sell_amount.to_string(), "margin " + a.margin.to_string()},
            FindingLeg{"floor", "", "", floor_margin.to_string(), floor->to_string() + "% of sell"}};
  f.delta = shortfall.to_string();
  f.currency = partner.currency;
  f.summary = "margin " + a.margin.to_string() + " is below the " + floor->to_string() + "% floor (" +
              floor_margin.to_string() + ") of rule " + s.rule->rule_id + " v" + std::to_string(s.rule->version);
  add_exception(f);
  return {};
}

// A line priced before that this run does not price again — its rule version, partner or
// stretch changed — would otherwise stay current beside the line that replaces it and bill the
// same days twice. It is withdrawn: an entry of its id with quantity and amounts zero and no
// usage, which supersedes it (docs/matching.md §3, docs/evidence.md R15).
Status withdraw_replaced_lines(const ledger::Snapshot& snapshot, const Inputs& in, const Period& period, PricingPlan& plan) {
  std::set<std::string> ids, keys;
  for (ledger::Draft& d : plan.drafts) {
    auto k = d.entry().getKind();
    if (!k.isPricedLine()) continue;
    auto l = k.getPricedLine().asReader();
    ids.insert(text_of(l.getLineId()));
    keys.insert(priced_key(l.getVendor(), l.getSubscriptionId(), l.getSkuId(), l.getTenantId()));
  }
  for (const auto& [key, group] : in.groups()) {
    if (!group.subscription.empty()) keys.insert(group.vendor + "|" + group.subscription + "|" + group.sku);
  }
  for (const auto& [id, before] : in.priced_before_) {
    if (before.zero || ids.count(id) != 0 || keys.count(before.key) == 0) continue;
    CB_TRY(DecodedEntry old, snapshot.entry(before.index));
    auto old_line = old.reader().getKind().getPricedLine();
    const bool sealed = old_line.getCost().getHash().size() != 0;
    if (sealed) {
      CB_TRY(LineCostInfo c, line_cost(snapshot, old_line));
      plan.drafts.push_back(line_cost_draft(id, c.rule, c.rule_id, c.rule_version, VendorPrice{c.cost_unit, c.cost_currency},
                                            kZeroAmount, kZeroAmount));
      ++plan.line_cost_count;
    }
    ledger::Draft draft;
    draft.entry().setEffective(period.to_string());
    draft.entry().getKind().setPricedLine(old_line);
    auto l = draft.entry().getKind().getPricedLine();
    l.setQuantity("0");
    l.setSellAmount("0.00");
    if (sealed) {
      l.initCost();
      draft.link(priced_line_cost, plan.drafts.size() - 1);
    } else {
      l.setCostAmount("0.00");
      l.setMarginAmount("0.00");
    }
    l.initUsage(0);
    draft.shrink_to_fit();
    plan.drafts.push_back(std::move(draft));
    ++plan.line_count;
  }
  return {};
}

}  // namespace

Result<PricingPlan> plan_pricing(const ledger::Snapshot& snapshot, const PricingOptions& options) {
  auto period = Period::parse(options.period);
  if (!period.ok()) return Error::invalid("the period \"" + options.period + "\" is not YYYY-MM").in_field("--period");
  CB_CHECK(check_period_open(snapshot, options.period));
  CB_CHECK(check_period_unbilled(snapshot, options.period));
  CB_TRY(Inputs in, Inputs::load(snapshot, *period, options.config));
  PlanBuilder builder(in, options, *period);
  uint64_t done = 0;
  for (const auto& [key, group] : in.groups()) {
    CB_CHECK(builder.price_group(group));
    if (options.progress && (++done % 1000 == 0 || done == in.groups().size())) options.progress(done, in.groups().size());
  }
  PricingPlan plan = builder.take();
  CB_CHECK(withdraw_replaced_lines(snapshot, in, *period, plan));
  plan.planned_at_size = snapshot.size();
  assert(plan.drafts.size() == plan.line_count + plan.line_cost_count + plan.exception_count + plan.fx_lock_count);
  return plan;
}

}  // namespace closebook::match
