#include "match/three_way.h"

#include <algorithm>
#include <cassert>
#include <deque>
#include <optional>
#include <set>

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

using Kind = schema::Entry::Kind;

// Quantities compared over days keep 6 places, amounts 2, both half-even (docs/matching.md §8).
constexpr int kQuantityScale = 6;
constexpr int kAmountScale = 2;
constexpr int kShareScale = 12;  // an amortised share before the key total is rounded

Decimal one() { return Decimal::from_int(1); }

// ---------------------------------------------------------------------------------------
// Keys

struct PricedInfo {
  Ref ref;
  std::string vendor, subscription, partner, tenant, sku, currency, cost_currency;
  Decimal quantity, cost, sell, cost_unit;
  Date from, to;  // the days it charges, inclusive
  bool consumed = false;  // its quantity is consumption, not seats
};

Result<PricedInfo> priced_info(const ledger::Snapshot& snapshot, const DecodedEntry& e) {
  auto p = e.reader().getKind().getPricedLine();
  CB_TRY(LineCostInfo cost, line_cost(snapshot, p));
  PricedInfo info;
  info.ref = Ref{e.reader().getIndex(), e.hash()};
  info.vendor = text_of(p.getVendor());
  info.subscription = text_of(p.getSubscriptionId());
  info.partner = text_of(p.getPartnerId());
  info.tenant = text_of(p.getTenantId());
  info.sku = text_of(p.getSkuId());
  info.currency = text_of(p.getCurrency());
  info.cost_currency = cost.cost_currency;
  info.consumed = p.getQuantityBasis() == schema::UsageRecord::QuantityBasis::CONSUMED;
  CB_TRY(info.quantity, decimal_of(p.getQuantity()));
  info.cost = cost.cost_amount;
  CB_TRY(info.sell, decimal_of(p.getSellAmount()));
  info.cost_unit = cost.cost_unit;
  CB_TRY(info.from, Date::parse(text_of(p.getFromDate())));
  CB_TRY(info.to, Date::parse(text_of(p.getToDate())));
  return info;
}

struct Key {
  std::string id;  // charge_key(): the vendor's subscription, else its tenant and SKU
  std::string vendor, subscription, sku, tenant_ref;
  std::vector<VendorLine*> lines;   // this period's invoice lines, duplicates included
  std::vector<VendorLine> earlier;  // other periods' lines whose charge window reaches into it
  std::vector<const UsageGroup*> usage;
  std::vector<PricedInfo> priced;
  std::vector<Finding> findings;
  int compared_from = 0;  // the first day the legs are compared (after TIMING's leading days)
};

// What a key's vendor lines say about each day of the period.
struct Coverage {
  std::vector<bool> covered;          // a charge window includes the day
  std::vector<Decimal> seats;         // net quantity charged for the day
  Decimal consumed;                   // quantities, each line's share by days of its window
  Decimal amount;                     // amounts, likewise, exact until the key total is rounded
  std::vector<const VendorLine*> counted, credits, outside;
  std::optional<Decimal> unit_bc;     // the vendor's unit price per month: its first whole-cycle charge's, else its first charge's
  const VendorLine* unit_line = nullptr;
  bool unit_partial = false;
};

// The vendor's price of one unit for one month in its billing currency: an annual charge's
// unit price is for 12, and a unit price the vendor prorated over part of a cycle is scaled
// back to the whole cycle.
Result<Decimal> monthly_unit(const VendorLine& l, bool in_billing_currency = true) {
  Decimal unit = l.unit;
  if (l.partial_cycle() && !l.quantity_prorated()) {
    CB_TRY(Decimal cycle_days, unit.mul(Decimal::from_int(l.cycle_days())));
    CB_TRY(unit, cycle_days.div(Decimal::from_int(l.window_days()), kShareScale, Rounding::kHalfEven));
  }
  if (in_billing_currency) {
    CB_TRY(unit, billing_unit(l, unit, l.rate));
  }
  return unit.div(Decimal::from_int(l.months_per_cycle()), kShareScale, Rounding::kHalfEven);
}

class Matcher {
 public:
  Matcher(const ledger::Snapshot& snapshot, const MatchOptions& options, const Period& period)
      : snapshot_(snapshot), options_(options), period_(period), days_(period.days()) {}

  Result<MatchPlan> run();

 private:
  Status load();
  void resolve(VendorLine& l) const;
  std::string tenant_label(const std::string& vendor, const std::string& ref, const Date& date) const;
  Key& key_for(const std::string& id, const std::string& vendor, const std::string& subscription,
               const std::string& sku, const std::string& tenant_ref);
  Status find_duplicates();
  Status report_duplicate(const std::vector<VendorLine*>& group);
  Status check_fx();
  struct Lock;
  const Lock* lock_for(const std::string& base, const std::string& quote);
  Status add_earlier_lines(Key& k);
  Result<Coverage> cover(const Key& k) const;
  bool pricing_explains(const Key& k) const;
  bool usage_unresolved(const Key& k) const;
  std::optional<TenantMatch> key_tenant(const Key& k) const;
  Status match_key(Key& k);
  // What every check of a key reads besides the key.
  struct KeyView {
    const Coverage& c;
    std::optional<TenantMatch> tenant;
    Finding base;          // the key's fields and evidence, for each finding to start from
    std::string currency;  // the vendor's billing currency
  };
  enum class Next { kGoOn, kEnd };
  using Check = Result<Next> (Matcher::*)(Key& k, const KeyView& view);
  static const Check kKeyChecks[];
  Result<Next> check_tenant(Key& k, const KeyView& view);
  Result<Next> check_outside(Key& k, const KeyView& view);
  Result<Next> check_partner(Key& k, const KeyView& view);
  Result<Next> check_cost(Key& k, const KeyView& view);
  Result<Next> check_unpriced(Key& k, const KeyView& view);
  Result<Next> check_orphan(Key& k, const KeyView& view);
  Result<Next> check_sku(Key& k, const KeyView& view);
  Result<Next> check_credit(Key& k, const KeyView& view);
  Result<Next> check_quantity(Key& k, const KeyView& view);
  Result<Next> check_priced_cost(Key& k, const KeyView& view);
  Result<int> check_before_cycle(Key& k, const Coverage& c, const std::vector<Decimal>& used, const Finding& base);
  Result<std::optional<Decimal>> priced_from(const PricedInfo& p, int from) const;
  Result<Decimal> priced_quantity_from(const Key& k, int from) const;
  Result<Decimal> usage_quantity(const Key& k) const;
  const VendorLine* vendor_line_for(const Coverage& c, const PricedInfo& p) const;
  Date day_date(int day) const { return Date::from_days(period_.first_day().days_since_epoch() + day); }
  Status add_result(const Key& k, const Coverage& c, const std::optional<TenantMatch>& tenant);
  Status fill_run();

  Finding base_finding(const Key& k, const std::optional<TenantMatch>& tenant) const;
  Status add_totals(const std::string& currency, const Decimal* vendor, const Decimal* cost, const Decimal* sell);
  Result<Decimal> round_amount(const Decimal& d) const { return d.round(kAmountScale, Rounding::kHalfEven); }
  bool beyond_tolerance(const Decimal& amount) const { return options_.config.tolerance < amount.abs(); }
  int day_of(const Date& d) const {
    return static_cast<int>(d.days_since_epoch() - period_.first_day().days_since_epoch());
  }

  const ledger::Snapshot& snapshot_;
  const MatchOptions& options_;
  const Period period_;
  const int days_;
  std::optional<TenantGraph> graph_;
  std::optional<PriceBook> book_;
  std::map<std::string, UsageGroup> usage_;
  // A deque: read one by one from the period's entries, a vector's doubling would hold two
  // copies of a million ~1.1 KB lines at once while it grows.
  std::deque<VendorLine> lines_;
  std::map<std::string, PricedInfo> priced_;     // lineId -> its latest entry
  struct Lock {
    Decimal rate;
    std::string date, source;
    std::optional<Ref> entry;        // the FxLock entry already in the ledger
    std::optional<size_t> position;  // or the one appended with this run
  };
  std::map<std::string, Lock> locks_;  // "BASE/QUOTE" -> the period's lock
  bool has_exceptions_ = false;
  std::map<std::string, Key> keys_;
  std::set<std::string> priced_tenant_skus_;  // "vendor|tenant|sku" with a priced line
  std::vector<Finding> run_findings_;         // not tied to one key: FX variances
  std::set<uint64_t> fx_lines_;               // invoice lines an FX variance covers
  struct Totals {
    Decimal vendor, cost, sell;
  };
  std::map<std::string, Totals> totals_;
  std::set<Hash> files_;
  MatchPlan plan_;
};

Status Matcher::load() {
  CB_TRY(graph_, TenantGraph::load(snapshot_));
  CB_TRY(book_, PriceBook::load(snapshot_));
  CB_TRY(usage_, load_usage_groups(snapshot_, period_, options_.config, [&](const DecodedEntry& e) -> Status {
    auto kind = e.reader().getKind();
    switch (kind.which()) {
      case Kind::INVOICE_LINE: {
        if (kind.getInvoiceLine().getPeriod() != period_.to_string()) return {};
        CB_TRY(VendorLine l, vendor_line(e));
        lines_.push_back(std::move(l));
        return {};
      }
      case Kind::PRICED_LINE: {  // a re-priced line supersedes the earlier entry of its id
        CB_TRY(PricedInfo info, priced_info(snapshot_, e));
        const std::string id = text_of(kind.getPricedLine().getLineId());
        const bool withdrawn = info.quantity.is_zero() && kind.getPricedLine().getUsage().size() == 0;
        if (withdrawn) {
          priced_.erase(id);  // pricing replaced it: it bills nothing (docs/matching.md §3)
        } else {
          priced_.insert_or_assign(id, std::move(info));
        }
        return {};
      }
      case Kind::FX_LOCK: {  // fixed once: the first lock of a pair is the period's
        auto f = kind.getFxLock();
        CB_TRY(Decimal rate, decimal_of(f.getRate()));
        locks_.try_emplace(text_of(f.getBase()) + "/" + text_of(f.getQuote()),
                           Lock{rate, text_of(f.getRateDate()), text_of(f.getSource()),
                                Ref{e.reader().getIndex(), e.hash()}, std::nullopt});
        return {};
      }
      case Kind::EXCEPTION: has_exceptions_ = true; return {};
      default: return {};
    }
  }));
  for (VendorLine& l : lines_) resolve(l);
  return {};
}

Date clamp(const Date& d, const Period& p) {
  if (d < p.first_day()) return p.first_day();
  if (p.last_day() < d) return p.last_day();
  return d;
}

// A Partner Center line names its customer three ways; the id decides, then the domain, then
// the name. A generic line has one reference of unknown type. Resolved on the charge's first
// day within the period.
void Matcher::resolve(VendorLine& l) const {
  const Date on = clamp(l.start, period_);
  if (l.arithmetic->customer_id_domain_name) {
    l.tenant = graph_->resolve(l.vendor, IdType::CUSTOMER_ID, l.tenant_ref, on);
    if (!l.tenant && !l.domain.empty()) l.tenant = graph_->resolve(l.vendor, IdType::DOMAIN, l.domain, on);
    if (!l.tenant && !l.name.empty()) l.tenant = graph_->resolve(l.vendor, IdType::NAME, l.name, on);
    return;
  }
  l.tenant = graph_->resolve_any(l.vendor, l.tenant_ref, on);
}

std::string Matcher::tenant_label(const std::string& vendor, const std::string& ref, const Date& date) const {
  auto t = graph_->resolve_any(vendor, ref, date);
  return t ? t->tenant_id : "ref:" + ref;
}

Key& Matcher::key_for(const std::string& id, const std::string& vendor, const std::string& subscription,
                      const std::string& sku, const std::string& tenant_ref) {
  auto [it, added] = keys_.try_emplace(id);
  if (added) {
    it->second.id = id;
    it->second.vendor = vendor;
    it->second.subscription = subscription;
    it->second.sku = sku;
    it->second.tenant_ref = tenant_ref;
  }
  return it->second;
}

// ---------------------------------------------------------------------------------------
// Findings over the whole invoice

// A charge billed twice is one charge and a duplicate: every field the vendor bills by equal
// (the line and invoice numbers aside), or — for a charge made once per billing cycle (new,
// renew, cycleCharge) — a second charge of the subscription's SKU over days an earlier one
// already covers, whatever its order id, quantity or line number. An add/remove pair, and
// seat additions (addQuantity lines), are different charges and are not.
Status Matcher::find_duplicates() {
  std::map<std::string, std::vector<VendorLine*>> same;
  for (VendorLine& l : lines_) same[charge_signature(l)].push_back(&l);
  std::vector<std::vector<VendorLine*>> groups;
  for (auto& [signature, group] : same) {
    if (group.size() >= 2) groups.push_back(group);
  }
  std::map<std::string, std::vector<VendorLine*>> cycles;  // per-cycle charges of one subscription's SKU
  for (VendorLine& l : lines_) {
    if (l.per_cycle() && l.subtotal.sign() > 0 && !l.subscription.empty()) {
      cycles[l.vendor + "|" + l.subscription + "|" + l.sku].push_back(&l);
    }
  }
  for (auto& [subscription, charges] : cycles) {
    std::vector<VendorLine*> kept;  // the first charge of each cycle
    for (VendorLine* l : charges) {
      auto overlaps = [&](const VendorLine* k) { return !(l->end < k->start || k->end < l->start); };
      auto earlier = std::find_if(kept.begin(), kept.end(), overlaps);
      if (earlier == kept.end()) {
        kept.push_back(l);
      } else if (charge_signature(**earlier) != charge_signature(*l)) {  // identical ones are grouped above
        groups.push_back({*earlier, l});
      }
    }
  }
  for (const std::vector<VendorLine*>& group : groups) CB_CHECK(report_duplicate(group));
  return {};
}

// `group` is one charge and its copies, the charge first: every copy is left out of the other
// comparisons and its amount is the money at stake.
Status Matcher::report_duplicate(const std::vector<VendorLine*>& group) {
  const VendorLine& first = *group.front();
  Finding f;
  f.category = Category::DUPLICATE_CHARGE;
  f.vendor = first.vendor;
  f.subscription_id = first.subscription;
  f.sku_id = first.sku;
  if (first.tenant) {
    f.tenant_id = first.tenant->tenant_id;
    f.partner_id = first.tenant->partner_id;
  }
  std::string copies_id;
  Decimal delta;
  std::string where;
  for (size_t i = 0; i < group.size(); ++i) {
    VendorLine& l = *group[i];
    f.evidence.push_back(l.ref);
    where += (where.empty() ? "" : ", ") + l.invoice + " entry " + std::to_string(l.ref.index);
    copies_id += charge_signature(l);
    if (i == 0 || l.copy) continue;  // a line counted as a copy once is not counted again
    l.copy = true;
    CB_TRY(delta, delta.add(l.subtotal));
  }
  if (delta.is_zero()) return {};
  f.subject = "duplicate|" + to_hex(sha256(copies_id));
  f.delta = delta.to_string();
  f.currency = first.currency;
  const bool identical = charge_signature(first) == charge_signature(*group.back());
  f.legs = {FindingLeg{"vendor_invoice", first.quantity.to_string(), first.unit.to_string(), first.subtotal.to_string(),
                       std::to_string(group.size()) + (identical ? " identical " : " overlapping ") + first.charge + " lines"}};
  f.summary = "the same " + first.charge + " of " + first.sku + " (" + first.start.to_iso() + ".." + first.end.to_iso() +
              ", " + first.subtotal.to_string() + " " + first.currency + ") is billed " + std::to_string(group.size()) +
              " times: " + where;
  const std::string id = charge_key(first.vendor, first.subscription,
                                first.tenant ? first.tenant->tenant_id : "ref:" + first.tenant_ref, first.sku, first.consumption());
  key_for(id, first.vendor, first.subscription, first.sku, first.tenant_ref).findings.push_back(std::move(f));
  return {};
}

// The period's FX lock for a pair: the FxLock entry already in the ledger (pricing's), else
// one appended now by the same policy. Null when the ledger has no rate for the pair.
const Matcher::Lock* Matcher::lock_for(const std::string& base, const std::string& quote) {
  const std::string pair = base + "/" + quote;
  if (auto it = locks_.find(pair); it != locks_.end()) return &it->second;
  const FxInfo* fx = book_->fx(base, quote, period_);
  if (fx == nullptr) return nullptr;
  plan_.drafts.push_back(fx_lock_draft(period_, *fx));
  return &(locks_[pair] = Lock{fx->rate, fx->date, fx->source, std::nullopt, plan_.drafts.size() - 1});
}

// One finding per vendor invoice and rate: the rate the vendor converted at against the
// period's lock, in basis points; the delta is what its lines would come to at the lock.
Status Matcher::check_fx() {
  std::map<std::string, std::vector<const VendorLine*>> by_rate;
  for (const VendorLine& l : lines_) {
    if (l.copy || l.pricing_currency == l.currency) continue;
    by_rate[l.vendor + "|" + l.invoice + "|" + l.pricing_currency + "/" + l.currency + "|" + l.rate.to_string()]
        .push_back(&l);
  }
  for (const auto& [subject, group] : by_rate) {
    const VendorLine& first = *group.front();
    const Lock* lock = lock_for(first.pricing_currency, first.currency);
    if (lock == nullptr || lock->rate.is_zero()) continue;  // no rate to judge by
    CB_TRY(Decimal gap, first.rate.sub(lock->rate));
    CB_TRY(Decimal gap_bps, gap.mul(Decimal::from_int(10000)));
    // Compared exactly (to 12 places); shown to 2.
    CB_TRY(Decimal exact_bps, gap_bps.div(lock->rate, kShareScale, Rounding::kHalfEven));
    if (!(Decimal::from_int(options_.config.fx_tolerance_bps) < exact_bps.abs())) continue;
    CB_TRY(Decimal bps, exact_bps.round(2, Rounding::kHalfEven));
    Decimal billed, at_lock;
    Finding f;
    std::map<std::string, Decimal> by_subscription;  // what each subscription's lines lose or gain
    for (const VendorLine* l : group) {
      CB_TRY(Decimal amount_at_lock, vendor_amount(*l, l->unit, lock->rate, l->billed_quantity()));
      CB_TRY(billed, billed.add(l->subtotal));
      CB_TRY(at_lock, at_lock.add(amount_at_lock));
      CB_TRY(Decimal line_delta, l->subtotal.sub(amount_at_lock));
      Decimal& sub_delta = by_subscription[l->subscription.empty() ? "tenant " + l->tenant_ref + " " + l->sku : l->subscription];
      CB_TRY(sub_delta, sub_delta.add(line_delta));
      f.evidence.push_back(l->ref);
      fx_lines_.insert(l->ref.index);
    }
    if (lock->entry) f.evidence.push_back(*lock->entry);
    if (lock->position) f.evidence_in_batch.push_back(*lock->position);
    CB_TRY(Decimal delta, billed.sub(at_lock));
    f.category = Category::FX_VARIANCE;
    f.vendor = first.vendor;
    f.subject = "fx|" + subject;
    f.delta = delta.to_string();
    f.currency = first.currency;
    const std::string pair = first.pricing_currency + "/" + first.currency;
    f.legs = {FindingLeg{"vendor_invoice", "", first.rate.to_string(), billed.to_string(), pair + " on " + first.invoice},
              FindingLeg{"fx_lock", "", lock->rate.to_string(), at_lock.to_string(), pair + " " + lock->date + " " + lock->source}};
    for (const auto& [subscription, sub_delta] : by_subscription) {
      f.legs.push_back(FindingLeg{"subscription", "", "", sub_delta.to_string(), subscription});
    }
    f.summary = first.vendor + " invoice " + first.invoice + " converts " + pair + " at " + first.rate.to_string() +
                ", " + bps.to_string() + " bps from the locked " + lock->rate.to_string() + " (" + lock->date + ", " +
                lock->source + ") on " + std::to_string(group.size()) + " lines of " + std::to_string(by_subscription.size()) +
                " subscriptions";
    run_findings_.push_back(std::move(f));
  }
  return {};
}

// ---------------------------------------------------------------------------------------
// One key

// A charge billed in advance (an anniversary cycle, an annual term) covers days of this
// period from an earlier period's invoice: those charges count for this period by days. Not
// their credits or duplicate copies: those were findings of their own period.
Status Matcher::add_earlier_lines(Key& k) {
  if (k.subscription.empty() || (k.usage.empty() && k.priced.empty())) return {};
  std::vector<bool> covered(static_cast<size_t>(days_), false);
  for (const VendorLine* l : k.lines) {
    if (l->copy || l->credit()) continue;
    for (int d = std::max(0, day_of(l->start)); d <= std::min(days_ - 1, day_of(l->end)); ++d) covered[d] = true;
  }
  if (std::all_of(covered.begin(), covered.end(), [](bool b) { return b; })) return {};
  CB_TRY(auto entries, entries_of_kind(snapshot_, "subscription", k.subscription, Kind::INVOICE_LINE));
  std::set<std::string> seen;
  for (const DecodedEntry& e : entries) {
    auto l = e.reader().getKind().getInvoiceLine();
    if (!(text_of(l.getPeriod()) < period_.to_string()) || text_of(l.getVendor()) != k.vendor) continue;
    CB_TRY(VendorLine v, vendor_line(e));
    if (v.credit() || v.end < period_.first_day() || period_.last_day() < v.start) continue;
    if (!seen.insert(charge_signature(v)).second) continue;
    resolve(v);
    files_.insert(v.file);
    k.earlier.push_back(std::move(v));
  }
  return {};
}

Result<Coverage> Matcher::cover(const Key& k) const {
  Coverage c;
  c.covered.assign(static_cast<size_t>(days_), false);
  c.seats.assign(static_cast<size_t>(days_), Decimal());
  std::vector<const VendorLine*> all;
  for (const VendorLine* l : k.lines) all.push_back(l);
  for (const VendorLine& l : k.earlier) all.push_back(&l);
  for (const VendorLine* l : all) {
    if (l->copy) continue;
    const int from = std::max(0, day_of(l->start)), to = std::min(days_ - 1, day_of(l->end));
    if (from > to) {
      c.outside.push_back(l);
      continue;
    }
    const Decimal share_days = Decimal::from_int(to - from + 1), window = Decimal::from_int(l->window_days());
    CB_TRY(Decimal amount_days, l->subtotal.mul(share_days));
    CB_TRY(Decimal share, amount_days.div(window, kShareScale, Rounding::kHalfEven));
    CB_TRY(c.amount, c.amount.add(share));
    if (l->credit()) {
      c.credits.push_back(l);
      continue;
    }
    c.counted.push_back(l);
    CB_TRY(Decimal quantity_days, l->quantity.mul(share_days));
    CB_TRY(Decimal quantity_share, quantity_days.div(window, kShareScale, Rounding::kHalfEven));
    CB_TRY(c.consumed, c.consumed.add(quantity_share));
    for (int d = from; d <= to; ++d) {
      c.covered[d] = true;
      CB_TRY(c.seats[d], c.seats[d].add(l->quantity));
    }
    const bool better_unit = !c.unit_bc || (c.unit_partial && !l->partial_cycle());
    if (better_unit && l->quantity.sign() > 0) {
      CB_TRY(c.unit_bc, monthly_unit(*l));
      c.unit_line = l;
      c.unit_partial = l->partial_cycle();
    }
  }
  return c;
}

// Usage pricing could not price raised its own exception (TENANT_UNRESOLVED,
// NO_PRICING_RULE, a mixed basis): the match does not report the same usage again.
bool Matcher::pricing_explains(const Key& k) const {
  const int64_t first = period_.first_day().days_since_epoch();
  for (const UsageGroup* g : k.usage) {
    const bool mixed = std::any_of(g->records.begin(), g->records.end(),
                                   [&](const UsageInfo& u) { return (u.basis == Basis::CONSUMED) != g->consumed(); });
    if (mixed) return true;
    const std::vector<Decimal> counts = g->daily_counts(period_);
    for (int d = 0; d < days_; ++d) {
      const bool used = g->consumed() ? std::any_of(g->records.begin(), g->records.end(),
                                                    [&](const UsageInfo& u) { return u.date.days_since_epoch() == first + d; })
                                      : counts[d].sign() > 0;
      if (!used) continue;
      const Date date = Date::from_days(first + d);
      auto tenant = graph_->resolve_any(g->vendor, g->tenant_ref, date);
      if (!tenant || book_->partner(tenant->partner_id) == nullptr ||
          book_->rule(g->vendor, g->sku, tenant->partner_id, date.to_iso(), g->meter_category()) == nullptr) {
        return true;
      }
    }
  }
  return false;
}

bool Matcher::usage_unresolved(const Key& k) const {
  for (const UsageGroup* g : k.usage) {
    for (const UsageInfo& u : g->records) {
      if (!graph_->resolve_any(g->vendor, g->tenant_ref, clamp(u.date, period_))) return true;
    }
  }
  return false;
}

std::optional<TenantMatch> Matcher::key_tenant(const Key& k) const {
  std::optional<TenantMatch> best;
  Date best_start;
  for (const VendorLine* l : k.lines) {
    if (l->tenant && (!best || l->start < best_start)) {
      best = l->tenant;
      best_start = l->start;
    }
  }
  if (best) return best;
  for (const UsageGroup* g : k.usage) {
    if (auto t = graph_->resolve_any(g->vendor, g->tenant_ref, clamp(g->records.front().date, period_))) return t;
  }
  if (!k.priced.empty()) return TenantMatch{k.priced.front().tenant, k.priced.front().partner, {}};
  return std::nullopt;
}

Finding Matcher::base_finding(const Key& k, const std::optional<TenantMatch>& tenant) const {
  Finding f;
  f.vendor = k.vendor;
  f.subscription_id = k.subscription;
  f.sku_id = k.sku;
  if (tenant) {
    f.tenant_id = tenant->tenant_id;
    f.partner_id = tenant->partner_id;
  }
  f.subject = k.id + "|";
  for (const VendorLine* l : k.lines) f.evidence.push_back(l->ref);
  for (const VendorLine& l : k.earlier) f.evidence.push_back(l.ref);
  for (const UsageGroup* g : k.usage) {
    for (const UsageInfo& u : g->records) f.evidence.push_back(u.ref);
  }
  for (const PricedInfo& p : k.priced) f.evidence.push_back(p.ref);
  return f;
}

// The per-key checks of docs/matching.md §8.2, in its order (3 to 12; 1 and 2 run over the
// whole invoice first). A check that answers kEnd is the key's last.
const Matcher::Check Matcher::kKeyChecks[] = {
    &Matcher::check_tenant,    // 3  TENANT_UNRESOLVED (ends)
    &Matcher::check_outside,   // 4  TIMING: charges outside the period
    &Matcher::check_partner,   // 5  PARTNER_MISMATCH
    &Matcher::check_cost,      // 6  COST_RATE_MISMATCH, vendor against book
    &Matcher::check_unpriced,  // 7  UNBILLED_USAGE, DUPLICATE_SUBSCRIPTION (ends)
    &Matcher::check_orphan,    // 8  ORPHAN_BILLING (ends)
    &Matcher::check_sku,       // 9  SKU_MISMATCH
    &Matcher::check_credit,    // 10 CREDIT_NOT_PASSED_ON, credits
    &Matcher::check_quantity,  // 11 the three legs on quantity: QTY_MISMATCH, CREDIT_NOT_PASSED_ON, TIMING
    &Matcher::check_priced_cost,  // 12 COST_RATE_MISMATCH, priced against vendor
};

Status Matcher::match_key(Key& k) {
  CB_CHECK(add_earlier_lines(k));
  CB_TRY(Coverage c, cover(k));
  const std::optional<TenantMatch> tenant = key_tenant(k);
  const std::string currency = k.lines.empty() ? (k.earlier.empty() ? "" : k.earlier.front().currency)
                                               : k.lines.front()->currency;
  const KeyView view{c, tenant, base_finding(k, tenant), currency};
  for (const Check check : kKeyChecks) {
    CB_TRY(Next next, (this->*check)(k, view));
    if (next == Next::kEnd) break;
  }
  return add_result(k, c, tenant);
}

Result<Matcher::Next> Matcher::check_tenant(Key& k, const KeyView& view) {
  const bool invoice_unresolved =
      !k.lines.empty() && std::none_of(k.lines.begin(), k.lines.end(), [](const VendorLine* l) { return l->tenant.has_value(); });
  if (!invoice_unresolved) return Next::kGoOn;
  if (usage_unresolved(k)) return Next::kEnd;  // pricing reported the identity already
  Finding f = view.base;
  f.category = Category::TENANT_UNRESOLVED;
  f.subject += "invoice";
  CB_TRY(Decimal amount, round_amount(view.c.amount));
  f.delta = amount.to_string();
  f.currency = view.currency;
  const VendorLine& l = *k.lines.front();
  f.legs = {FindingLeg{"vendor_invoice", "", "", amount.to_string(),
                       "tenant " + l.tenant_ref + (l.domain.empty() ? "" : " / " + l.domain) +
                           (l.name.empty() ? "" : " / " + l.name)}};
  f.summary = k.vendor + " invoices \"" + l.tenant_ref + "\"" + (l.name.empty() ? "" : " (" + l.name + ")") +
              ", an identity that maps to no tenant on " + clamp(l.start, period_).to_iso();
  k.findings.push_back(std::move(f));
  return Next::kEnd;
}

Result<Matcher::Next> Matcher::check_outside(Key& k, const KeyView& view) {
  if (view.c.outside.empty()) return Next::kGoOn;
  Finding f = view.base;
  f.category = Category::TIMING;
  f.subject += "outside";
  Decimal amount;
  std::string windows;
  for (const VendorLine* l : view.c.outside) {
    CB_TRY(amount, amount.add(l->subtotal));
    windows += (windows.empty() ? "" : ", ") + l->charge + " " + l->start.to_iso() + ".." + l->end.to_iso();
  }
  f.delta = amount.to_string();
  f.currency = view.currency;
  f.legs = {FindingLeg{"vendor_invoice", "", "", amount.to_string(), windows}};
  f.summary = "charged on this period's invoice for days outside " + period_.to_string() + ": " + windows;
  k.findings.push_back(std::move(f));
  return Next::kGoOn;
}

Result<Matcher::Next> Matcher::check_orphan(Key& k, const KeyView& view) {
  const bool vendor_charges =
      std::any_of(view.c.covered.begin(), view.c.covered.end(), [](bool b) { return b; }) || !view.c.credits.empty();
  if (vendor_charges) return Next::kGoOn;
  Finding f = view.base;
  f.category = Category::ORPHAN_BILLING;
  f.subject += "orphan";
  Decimal sell, quantity;
  for (const PricedInfo& p : k.priced) {
    CB_TRY(sell, sell.add(p.sell));
    CB_TRY(quantity, quantity.add(p.quantity));
  }
  f.delta = sell.to_string();
  f.currency = k.priced.front().currency;
  f.legs = {FindingLeg{"vendor_invoice", "0", "", "0", "no invoice line covers " + period_.to_string()},
            FindingLeg{"priced", quantity.to_string(), "", sell.to_string(), std::to_string(k.priced.size()) + " priced lines"}};
  f.summary = "partner billed " + sell.to_string() + " " + f.currency + " for " + k.sku +
              " but no vendor invoice line charges it in " + period_.to_string();
  k.findings.push_back(std::move(f));
  return Next::kEnd;
}

// The vendor charges a SKU the partner is not billed for: a conversion or upgrade.
Result<Matcher::Next> Matcher::check_sku(Key& k, const KeyView& view) {
  std::set<std::string> priced_skus;
  for (const PricedInfo& p : k.priced) priced_skus.insert(p.sku);
  Decimal unbilled;
  std::set<std::string> converted;
  for (const VendorLine* l : view.c.counted) {
    if (priced_skus.count(l->sku) != 0 || l->subtotal.sign() <= 0) continue;
    converted.insert(l->sku);
    const Decimal share_days = Decimal::from_int(std::min(days_ - 1, day_of(l->end)) - std::max(0, day_of(l->start)) + 1);
    CB_TRY(Decimal amount_days, l->subtotal.mul(share_days));
    CB_TRY(Decimal share, amount_days.div(Decimal::from_int(l->window_days()), kShareScale, Rounding::kHalfEven));
    CB_TRY(unbilled, unbilled.add(share));
  }
  if (converted.empty()) return Next::kGoOn;
  Finding f = view.base;
  f.category = Category::SKU_MISMATCH;
  std::string vendor_skus, partner_skus;
  for (const std::string& s : converted) vendor_skus += (vendor_skus.empty() ? "" : ", ") + s;
  for (const std::string& s : priced_skus) partner_skus += (partner_skus.empty() ? "" : ", ") + s;
  f.subject += "sku|" + vendor_skus;
  CB_TRY(Decimal amount, round_amount(unbilled));
  f.delta = amount.to_string();
  f.currency = view.currency;
  f.legs = {FindingLeg{"vendor_invoice", "", "", amount.to_string(), "charges " + vendor_skus},
            FindingLeg{"priced", "", "", "", "bills " + partner_skus}};
  f.summary = "the vendor charges " + vendor_skus + " on subscription " + k.subscription + "; the partner is billed " +
              partner_skus;
  k.findings.push_back(std::move(f));
  return Next::kGoOn;
}

Result<Matcher::Next> Matcher::check_credit(Key& k, const KeyView& view) {
  if (view.c.credits.empty()) return Next::kGoOn;
  Finding f = view.base;
  f.category = Category::CREDIT_NOT_PASSED_ON;
  f.subject += "credit";
  Decimal credited;
  for (const VendorLine* l : view.c.credits) {
    CB_TRY(credited, credited.add(l->subtotal));
  }
  CB_TRY(Decimal owed, round_amount(credited.negated()));
  f.delta = owed.to_string();
  f.currency = view.currency;
  f.legs = {FindingLeg{"vendor_invoice", "", "", credited.to_string(), std::to_string(view.c.credits.size()) + " credit lines"},
            FindingLeg{"priced", "", "", "", "billed in full"}};
  f.summary = "the vendor credited " + owed.to_string() + " " + view.currency + " on " + k.sku +
              "; the partner's lines are billed in full";
  k.findings.push_back(std::move(f));
  return Next::kGoOn;
}

// The reseller of record on a Partner Center line must be the tenant's partner that day.
Result<Matcher::Next> Matcher::check_partner(Key& k, const KeyView& view) {
  const Finding& base = view.base;
  Decimal amount;
  std::set<std::string> named;
  std::string expected;
  for (const VendorLine* l : k.lines) {
    if (l->copy || l->mpn.empty() || !l->tenant) continue;
    const PartnerInfo* p = book_->partner(l->tenant->partner_id);
    if (p == nullptr || p->reseller_mpn_id.empty() || p->reseller_mpn_id == l->mpn) continue;
    CB_TRY(amount, amount.add(l->subtotal));
    named.insert(l->mpn);
    expected = l->tenant->partner_id + " (MPN " + p->reseller_mpn_id + ")";
  }
  if (named.empty()) return Next::kGoOn;
  Finding f = base;
  f.category = Category::PARTNER_MISMATCH;
  std::string mpns;
  for (const std::string& m : named) mpns += (mpns.empty() ? "" : ", ") + m;
  f.subject += "partner|" + mpns;
  f.delta = amount.to_string();
  f.currency = k.lines.front()->currency;
  f.legs = {FindingLeg{"vendor_invoice", "", "", amount.to_string(), "reseller MPN " + mpns},
            FindingLeg{"tenant_graph", "", "", "", "partner " + expected}};
  f.summary = "the invoice names reseller MPN " + mpns + " for tenant " + base.tenant_id + ", whose partner is " + expected;
  k.findings.push_back(std::move(f));
  return Next::kGoOn;
}

// The vendor's price against the price book: each line recomputed by the vendor's own
// formula at the rule version's cost (per month, times the months of the billing cycle),
// converted as the vendor converts and prorated as the vendor prorated the line (by its
// BillableQuantity, or by its unit price over the cycle's days). A line off by more than the
// tolerance raises it.
Result<Matcher::Next> Matcher::check_cost(Key& k, const KeyView& view) {
  const Finding& base = view.base;
  Decimal billed, expected;
  std::string vendor_unit, book_unit, rules;
  bool flagged = false;
  for (const VendorLine* l : k.lines) {
    if (l->copy || l->credit() || !l->tenant) continue;
    const RuleInfo* rule = book_->rule(l->vendor, l->sku, l->tenant->partner_id, clamp(l->start, period_).to_iso());
    // A cost-plus rule's cost is the vendor's own price: no book price to hold the line to
    // (check 12 compares the priced cost with it).
    if (rule == nullptr || rule->cost_from_vendor) continue;
    CB_TRY(Decimal cycle_cost, rule->cost.mul(Decimal::from_int(l->months_per_cycle())));
    Decimal rate = l->rate;
    if (rule->cost_currency == l->currency) {
      rate = one();
    } else if (rule->cost_currency != l->pricing_currency) {
      const Lock* lock = lock_for(rule->cost_currency, l->currency);
      if (lock == nullptr) continue;
      rate = lock->rate;
    }
    CB_TRY(Decimal amount_book, amount_at(*l, cycle_cost, rate));
    CB_TRY(Decimal off, l->subtotal.sub(amount_book));
    CB_TRY(billed, billed.add(l->subtotal));
    CB_TRY(expected, expected.add(amount_book));
    if (beyond_tolerance(off) && !flagged) {
      flagged = true;
      CB_TRY(Decimal unit_book, billing_unit(*l, cycle_cost, rate));
      CB_TRY(Decimal unit_vendor, billing_unit(*l, l->unit, l->rate));
      vendor_unit = unit_vendor.to_string();
      book_unit = unit_book.to_string();
      rules = rule->rule_id + " v" + std::to_string(rule->version);
    }
  }
  if (!flagged) return Next::kGoOn;
  CB_TRY(Decimal delta, billed.sub(expected));
  Finding f = base;
  f.category = Category::COST_RATE_MISMATCH;
  f.subject += "cost";
  f.delta = delta.to_string();
  f.currency = k.lines.front()->currency;
  f.legs = {FindingLeg{"vendor_invoice", "", vendor_unit, billed.to_string(), "vendor unit price, billing currency"},
            FindingLeg{"price_book", "", book_unit, expected.to_string(), rules}};
  f.summary = "the vendor charges " + vendor_unit + " per unit where " + rules + " costs " + book_unit + ": " +
              billed.to_string() + " billed against " + expected.to_string();
  k.findings.push_back(std::move(f));
  return Next::kGoOn;
}

// No priced line: the vendor's charge (or usage that arrived after pricing) is not billed —
// unless pricing already explained why, or it is a second subscription for a tenant and SKU
// the partner is billed for once.
Result<Matcher::Next> Matcher::check_unpriced(Key& k, const KeyView& view) {
  if (!k.priced.empty()) return Next::kGoOn;
  const Coverage& c = view.c;
  const Finding& base = view.base;
  const std::optional<TenantMatch>& tenant = view.tenant;
  const std::string& currency = view.currency;
  if (!k.usage.empty() && pricing_explains(k)) return Next::kEnd;
  CB_TRY(Decimal amount, round_amount(c.amount));
  if (!c.counted.empty() && !amount.is_zero()) {
    const bool duplicate = tenant && priced_tenant_skus_.count(k.vendor + "|" + tenant->tenant_id + "|" + k.sku) != 0;
    Finding f = base;
    f.category = duplicate ? Category::DUPLICATE_SUBSCRIPTION : Category::UNBILLED_USAGE;
    f.subject += duplicate ? "second-subscription" : "unbilled";
    f.delta = amount.to_string();
    f.currency = currency;
    f.legs = {FindingLeg{"vendor_invoice", "", "", amount.to_string(), std::to_string(c.counted.size()) + " lines"},
              FindingLeg{"priced", "0", "", "0", "no priced line"}};
    f.summary = duplicate ? "tenant " + tenant->tenant_id + " has a second " + k.vendor + " subscription " +
                                k.subscription + " for " + k.sku + " (" + amount.to_string() + " " + currency +
                                "); the partner is billed for one"
                          : k.vendor + " charges " + amount.to_string() + " " + currency + " for " + k.sku +
                                " that no partner is billed for";
    k.findings.push_back(std::move(f));
    return Next::kEnd;
  }
  if (k.usage.empty()) return Next::kEnd;
  Finding f = base;
  f.category = Category::UNBILLED_USAGE;
  f.subject += "unpriced-usage";
  size_t records = 0;
  for (const UsageGroup* g : k.usage) records += g->records.size();
  // Valued at the book cost of the rule that would price it (pricing_explains found one).
  CB_TRY(Decimal quantity, usage_quantity(k));
  const std::string meter_category = k.usage.empty() ? "" : k.usage.front()->meter_category();
  const RuleInfo* rule = tenant ? book_->rule(k.vendor, k.sku, tenant->partner_id, period_.first_day().to_iso(), meter_category) : nullptr;
  // At the rule's cost; a cost-plus rule's is the usage's own price (its first record's).
  std::optional<std::pair<Decimal, std::string>> unit_cost;
  if (rule != nullptr && !rule->cost_from_vendor) unit_cost = {rule->cost, rule->cost_currency};
  if (rule != nullptr && rule->cost_from_vendor && !k.usage.empty() && k.usage.front()->records.front().vendor_price) {
    const UsageInfo& u = k.usage.front()->records.front();
    unit_cost = {*u.vendor_price, u.pricing_currency};
  }
  if (unit_cost) {
    CB_TRY(Decimal value, unit_cost->first.mul(quantity));
    CB_TRY(Decimal at_cost, round_amount(value));
    f.delta = at_cost.to_string();
    f.currency = unit_cost->second;
  }
  f.legs = {FindingLeg{"usage", quantity.to_string(), unit_cost ? unit_cost->first.to_string() : "", f.delta,
                       std::to_string(records) + " records" + (rule ? ", at " + rule->rule_id + " v" + std::to_string(rule->version) + " cost" : "")},
            FindingLeg{"priced", "0", "", "0", "no priced line"}};
  f.summary = "usage of " + k.sku + " has no priced line: it arrived after pricing; run price again";
  k.findings.push_back(std::move(f));
  return Next::kEnd;
}

// Leading days of the period with usage that a cycle starting inside the period and running
// past its end leaves uncovered: the cycle before was billed on an earlier invoice. They are
// TIMING, and the legs are compared from the first covered day. Returns that day.
Result<int> Matcher::check_before_cycle(Key& k, const Coverage& c, const std::vector<Decimal>& used, const Finding& base) {
  int first_covered = 0;
  while (first_covered < days_ && !c.covered[first_covered]) ++first_covered;
  const bool anniversary = first_covered > 0 && first_covered < days_ &&
                           std::any_of(c.counted.begin(), c.counted.end(), [&](const VendorLine* l) {
                             return day_of(l->start) == first_covered && day_of(l->end) >= days_;
                           });
  if (!anniversary) return 0;
  Decimal uncovered;
  for (int d = 0; d < first_covered; ++d) {
    CB_TRY(uncovered, uncovered.add(used[d]));
  }
  if (uncovered.sign() > 0) {
    CB_TRY(Decimal q, uncovered.div(Decimal::from_int(days_), kQuantityScale, Rounding::kHalfEven));
    CB_TRY(Decimal value, q.mul(*c.unit_bc));
    CB_TRY(Decimal amount, round_amount(value));
    Finding f = base;
    f.category = Category::TIMING;
    f.subject += "before-cycle";
    f.delta = amount.to_string();
    f.currency = c.counted.front()->currency;
    const std::string span = period_.first_day().to_iso() + ".." + day_date(first_covered - 1).to_iso();
    f.legs = {FindingLeg{"usage", q.to_string(), c.unit_bc->to_string(), amount.to_string(), span}};
    f.summary = "usage on " + span + " falls in a charge cycle billed before " + period_.to_string() +
                " (no invoice line in the ledger covers it); the cycle billed in the period starts " +
                day_date(first_covered).to_iso();
    k.findings.push_back(std::move(f));
  }
  return first_covered;
}

// A priced line's quantity on days `from`..the period's end, in units of the period: a line
// that charges days before `from` counts for its days from `from` on (12 places). Nothing when
// it charges none of them.
Result<std::optional<Decimal>> Matcher::priced_from(const PricedInfo& p, int from) const {
  const int first = std::max(0, day_of(p.from)), last = std::min(days_ - 1, day_of(p.to));
  const int counted = last - std::max(first, from) + 1;
  if (counted <= 0) return std::optional<Decimal>();
  if (counted == last - first + 1) return std::optional<Decimal>(p.quantity);
  CB_TRY(Decimal q_days, p.quantity.mul(Decimal::from_int(counted)));
  CB_TRY(Decimal q, q_days.div(Decimal::from_int(last - first + 1), kShareScale, Rounding::kHalfEven));
  return std::optional<Decimal>(q);
}

// The priced lines' quantity on days `from`..the period's end, in units of the period.
Result<Decimal> Matcher::priced_quantity_from(const Key& k, int from) const {
  Decimal total;
  for (const PricedInfo& p : k.priced) {
    CB_TRY(std::optional<Decimal> q, priced_from(p, from));
    if (!q) continue;
    CB_TRY(total, total.add(*q));
  }
  return total.round(kQuantityScale, Rounding::kHalfEven);
}

// Every pair of legs on quantity — vendor ↔ usage, usage ↔ priced, priced ↔ vendor — over the
// days compared (all, less TIMING's leading days), in units of the period: seat-days ÷ days
// for counts (each vendor's cadence decides which days a count stands for), totals for
// consumption. A gap of any pair valued at the vendor's unit price per month beyond the
// tolerance is one finding that shows all three legs; its delta is the money at stake,
// vendor against priced first (docs/matching.md §8.2).
Result<Matcher::Next> Matcher::check_quantity(Key& k, const KeyView& view) {
  const Coverage& c = view.c;
  const Finding& base = view.base;
  if (!c.unit_bc) return Next::kGoOn;  // the vendor charges nothing positive: no unit to value a gap at
  const bool has_usage = !k.usage.empty();
  const bool consumed = has_usage ? k.usage.front()->consumed()
                                  : std::all_of(c.counted.begin(), c.counted.end(), [](const VendorLine* l) { return l->consumption(); });
  const bool one_basis = std::all_of(k.usage.begin(), k.usage.end(), [&](const UsageGroup* g) { return g->consumed() == consumed; });
  if (!one_basis) return Next::kGoOn;  // counts and consumption on one subscription: pricing's finding
  const Decimal days = Decimal::from_int(days_);
  Decimal vendor_q, usage_q;
  int from = 0;
  if (consumed) {
    for (const UsageGroup* g : k.usage) {
      for (const UsageInfo& u : g->records) {
        CB_TRY(usage_q, usage_q.add(u.quantity));
      }
    }
    CB_TRY(vendor_q, c.consumed.round(kQuantityScale, Rounding::kHalfEven));
  } else {
    std::vector<Decimal> used(static_cast<size_t>(days_));
    for (const UsageGroup* g : k.usage) {
      const std::vector<Decimal> counts = g->daily_counts(period_);
      for (int d = 0; d < days_; ++d) {
        CB_TRY(used[d], used[d].add(counts[d]));
      }
    }
    if (has_usage) {
      CB_TRY(from, check_before_cycle(k, c, used, base));
    }
    Decimal vendor_days, usage_days;
    for (int d = from; d < days_; ++d) {
      CB_TRY(vendor_days, vendor_days.add(c.seats[d]));
      CB_TRY(usage_days, usage_days.add(used[d]));
    }
    CB_TRY(vendor_q, vendor_days.div(days, kQuantityScale, Rounding::kHalfEven));
    CB_TRY(usage_q, usage_days.div(days, kQuantityScale, Rounding::kHalfEven));
  }
  k.compared_from = from;
  CB_TRY(Decimal priced_q, priced_quantity_from(k, from));
  auto value = [&](const Decimal& a, const Decimal& b) -> Result<Decimal> {
    CB_TRY(Decimal gap, a.sub(b));
    CB_TRY(Decimal v, gap.mul(*c.unit_bc));
    return round_amount(v);
  };
  CB_TRY(Decimal vendor_priced, value(vendor_q, priced_q));
  CB_TRY(Decimal usage_priced, value(usage_q, priced_q));
  CB_TRY(Decimal vendor_usage, value(vendor_q, usage_q));
  const bool priced_off = beyond_tolerance(vendor_priced);
  const bool usage_off = has_usage && (beyond_tolerance(usage_priced) || beyond_tolerance(vendor_usage));
  if (!priced_off && !usage_off) return Next::kGoOn;
  // The money at stake: what the vendor charges beyond what the partner is billed; else
  // usage the partner is not billed for; else what the vendor charges beyond usage.
  const Decimal delta = priced_off ? vendor_priced : (beyond_tolerance(usage_priced) ? usage_priced : vendor_usage);
  const bool refunded = delta.sign() < 0 && std::any_of(c.counted.begin(), c.counted.end(),
                                                        [](const VendorLine* l) { return l->quantity.sign() < 0; });
  Decimal cost, sell;
  for (const PricedInfo& p : k.priced) {
    CB_TRY(cost, cost.add(p.cost));
    CB_TRY(sell, sell.add(p.sell));
  }
  CB_TRY(Decimal vendor_amount, vendor_q.mul(*c.unit_bc));
  CB_TRY(vendor_amount, round_amount(vendor_amount));
  Finding f = base;
  f.category = refunded ? Category::CREDIT_NOT_PASSED_ON : Category::QTY_MISMATCH;
  f.subject += refunded ? "refund" : "quantity";
  f.delta = (refunded ? delta.negated() : delta).to_string();  // credit not passed on: what the partner is owed
  f.currency = c.counted.front()->currency;
  const std::string basis = consumed ? "consumed" : "seat-days / days from " + day_date(from).to_iso();
  f.legs = {FindingLeg{"vendor_invoice", vendor_q.to_string(), c.unit_bc->to_string(), vendor_amount.to_string(), basis},
            FindingLeg{"usage", has_usage ? usage_q.to_string() : "", "", "", has_usage ? basis : "no usage"},
            FindingLeg{"priced", priced_q.to_string(), "", cost.to_string(), "cost; sell " + sell.to_string()}};
  std::string pairs;
  if (priced_off) pairs = "vendor " + vendor_q.to_string() + " against priced " + priced_q.to_string();
  if (has_usage && beyond_tolerance(usage_priced)) pairs += (pairs.empty() ? "" : "; ") + std::string("usage ") + usage_q.to_string() + " against priced " + priced_q.to_string();
  if (has_usage && beyond_tolerance(vendor_usage)) pairs += (pairs.empty() ? "" : "; ") + std::string("vendor ") + vendor_q.to_string() + " against usage " + usage_q.to_string();
  f.summary = (refunded ? "the vendor refunded units of " + k.sku + " that the partner is still billed for: "
                        : "quantities of " + k.sku + " disagree: ") +
              pairs + " (units of " + period_.to_string() + ", " + f.delta + " " + f.currency + " at stake)";
  k.findings.push_back(std::move(f));
  return Next::kGoOn;
}

// The vendor line that charges most of a priced line's days in the SKU it bills (a whole
// cycle before a partial one on a tie), or null.
const VendorLine* Matcher::vendor_line_for(const Coverage& c, const PricedInfo& p) const {
  const VendorLine* best = nullptr;
  int64_t best_days = 0;
  for (const VendorLine* l : c.counted) {
    if (l->sku != p.sku || l->quantity.sign() <= 0) continue;
    const int64_t days = std::min(l->end, p.to).days_since_epoch() - std::max(l->start, p.from).days_since_epoch() + 1;
    const bool better = days > best_days || (days == best_days && best != nullptr && best->partial_cycle() && !l->partial_cycle());
    if (days > 0 && better) best = l, best_days = days;
  }
  return best;
}

// Priced cost against what the vendor charges, per unit: the unit cost each priced line was
// costed at against the unit price per month of the vendor line that charges its days — in
// the rule's currency when the vendor prices in it, else in the vendor's billing currency —
// valued over the line's quantity on the days compared. A gap beyond the tolerance means the
// partner's line rests on a cost the vendor does not charge.
Result<Matcher::Next> Matcher::check_priced_cost(Key& k, const KeyView& view) {
  // The backstop of a key nothing else (but TIMING) explained.
  const bool explained = std::any_of(k.findings.begin(), k.findings.end(), [](const Finding& f) { return f.category != Category::TIMING; });
  if (explained) return Next::kGoOn;
  const Coverage& c = view.c;
  const Finding& base = view.base;
  Decimal gap_value;
  std::string priced_units, vendor_units, currency;
  for (const PricedInfo& p : k.priced) {
    const VendorLine* l = vendor_line_for(c, p);
    if (l == nullptr || fx_lines_.count(l->ref.index) != 0) continue;  // a rate gap is FX_VARIANCE's
    CB_TRY(std::optional<Decimal> q, priced_from(p, k.compared_from));
    if (!q) continue;  // TIMING's days: billed before the period
    // Compared before the vendor converts or truncates when the rule is priced in the vendor's
    // pricing currency: a cent cut from a prorated unit price is not a rate of its own.
    const bool in_pricing_currency = p.cost_currency == l->pricing_currency;
    CB_TRY(Decimal vendor_unit, monthly_unit(*l, /*in_billing_currency=*/!in_pricing_currency));
    Decimal book_unit = p.cost_unit;
    if (!in_pricing_currency && p.cost_currency != l->currency) {
      const Lock* lock = lock_for(p.cost_currency, l->currency);
      if (lock == nullptr) continue;
      CB_TRY(book_unit, p.cost_unit.mul(lock->rate));
    }
    CB_TRY(Decimal unit_gap, vendor_unit.sub(book_unit));
    if (in_pricing_currency) {
      CB_TRY(unit_gap, unit_gap.mul(l->rate));  // valued at the vendor's own rate
    }
    CB_TRY(Decimal line_gap, unit_gap.mul(*q));
    CB_TRY(gap_value, gap_value.add(line_gap));
    priced_units += (priced_units.empty() ? "" : ", ") + p.cost_unit.to_string() + " " + p.cost_currency;
    vendor_units += (vendor_units.empty() ? "" : ", ") + vendor_unit.to_string() + " " +
                    (in_pricing_currency ? l->pricing_currency : l->currency);
    currency = l->currency;
  }
  CB_TRY(Decimal delta, round_amount(gap_value));
  if (!beyond_tolerance(delta)) return Next::kGoOn;
  Finding f = base;
  f.category = Category::COST_RATE_MISMATCH;
  f.subject += "priced-cost";
  f.delta = delta.to_string();
  f.currency = currency;
  // Several priced lines may rest on several units, in two currencies: the units are named in
  // the legs' detail, and the legs' numeric fields (decimals, docs/evidence.md R30) stay empty.
  f.legs = {FindingLeg{"vendor_invoice", "", "", "", "vendor unit price per month: " + vendor_units},
            FindingLeg{"priced", "", "", "", "unit cost of the priced lines: " + priced_units}};
  f.summary = "the partner's lines of " + k.sku + " are costed at " + priced_units + " where the vendor charges " +
              vendor_units + " per unit and month (" + delta.to_string() + " " + currency + " over the priced quantity)";
  k.findings.push_back(std::move(f));
  return Next::kGoOn;
}

// The key's usage in units of the period: seat-days ÷ days for counts (by each vendor's
// cadence), totals for consumption.
Result<Decimal> Matcher::usage_quantity(const Key& k) const {
  Decimal usage_q;
  for (const UsageGroup* g : k.usage) {
    if (g->consumed()) {
      for (const UsageInfo& u : g->records) {
        CB_TRY(usage_q, usage_q.add(u.quantity));
      }
      continue;
    }
    Decimal seat_days;
    for (const Decimal& n : g->daily_counts(period_)) {
      CB_TRY(seat_days, seat_days.add(n));
    }
    CB_TRY(Decimal q, seat_days.div(Decimal::from_int(days_), kQuantityScale, Rounding::kHalfEven));
    CB_TRY(usage_q, usage_q.add(q));
  }
  return usage_q;
}

Status Matcher::add_result(const Key& k, const Coverage& c, const std::optional<TenantMatch>& tenant) {
  std::vector<std::string> ids;
  bool mismatched = false;
  for (const Finding& f : k.findings) {
    plan_.drafts.push_back(exception_draft(period_.to_string(), f, options_.config));
    ++plan_.exception_count;
    ++plan_.exceptions_by_category[f.category];
    ids.push_back(exception_id(period_.to_string(), f));
    mismatched = mismatched || f.category != Category::TIMING;
  }
  CB_TRY(Decimal usage_q, usage_quantity(k));
  Decimal priced_q, cost, sell;
  for (const PricedInfo& p : k.priced) {
    CB_TRY(priced_q, priced_q.add(p.quantity));
    CB_TRY(cost, cost.add(p.cost));
    CB_TRY(sell, sell.add(p.sell));
  }
  // Counts are seat-days ÷ days; consumption is a total. Usage says which; without usage, a
  // vendor's "usage" charges are consumption and everything else counts seats.
  const bool consumed = !k.usage.empty() ? k.usage.front()->consumed()
                                         : !c.counted.empty() && std::all_of(c.counted.begin(), c.counted.end(),
                                                                             [](const VendorLine* l) { return l->consumption(); });
  Decimal vendor_q = c.consumed;
  if (!consumed) {
    Decimal seat_days;
    for (const Decimal& n : c.seats) {
      CB_TRY(seat_days, seat_days.add(n));
    }
    CB_TRY(vendor_q, seat_days.div(Decimal::from_int(days_), kQuantityScale, Rounding::kHalfEven));
  } else {
    CB_TRY(vendor_q, vendor_q.round(kQuantityScale, Rounding::kHalfEven));
  }
  CB_TRY(Decimal vendor_amount, round_amount(c.amount));
  const std::string vendor_currency = k.lines.empty() ? (k.earlier.empty() ? "" : k.earlier.front().currency)
                                                      : k.lines.front()->currency;
  const std::string priced_currency = k.priced.empty() ? "" : k.priced.front().currency;
  if (!vendor_currency.empty()) CB_CHECK(add_totals(vendor_currency, &vendor_amount, nullptr, nullptr));
  if (!priced_currency.empty()) CB_CHECK(add_totals(priced_currency, nullptr, &cost, &sell));

  ledger::Draft draft;
  draft.entry().setEffective(period_.to_string());
  auto r = draft.entry().getKind().initMatchResult();
  r.initRun();
  draft.link([](schema::Entry::Builder en) { return en.getKind().getMatchResult().getRun(); }, 0);
  r.setPeriod(period_.to_string());
  r.setVendor(k.vendor);
  if (tenant) {
    r.setTenantId(tenant->tenant_id);
    r.setPartnerId(tenant->partner_id);
  }
  r.setSubscriptionId(k.subscription);
  r.setSkuId(k.sku);
  r.setStatus(mismatched ? schema::MatchResult::Status::MISMATCHED : schema::MatchResult::Status::MATCHED);
  r.setVendorQuantity(vendor_q.to_string());
  r.setUsageQuantity(usage_q.to_string());
  r.setPricedQuantity(priced_q.to_string());
  r.setVendorAmount(vendor_amount.to_string());
  r.setPricedCost(cost.to_string());
  r.setPricedSell(sell.to_string());
  r.setCurrency(priced_currency);
  r.setVendorCurrency(vendor_currency);
  std::vector<Ref> lines;
  for (const VendorLine* l : k.lines) lines.push_back(l->ref);
  for (const VendorLine& l : k.earlier) lines.push_back(l.ref);
  auto line_refs = r.initInvoiceLines(static_cast<unsigned>(lines.size()));
  for (unsigned i = 0; i < lines.size(); ++i) set_ref(line_refs[i], lines[i]);
  std::vector<Ref> usage;
  for (const UsageGroup* g : k.usage) {
    for (const UsageInfo& u : g->records) usage.push_back(u.ref);
  }
  auto usage_refs = r.initUsage(static_cast<unsigned>(usage.size()));
  for (unsigned i = 0; i < usage.size(); ++i) set_ref(usage_refs[i], usage[i]);
  auto priced_refs = r.initPricedLines(static_cast<unsigned>(k.priced.size()));
  for (unsigned i = 0; i < k.priced.size(); ++i) set_ref(priced_refs[i], k.priced[i].ref);
  auto id_list = r.initExceptionIds(static_cast<unsigned>(ids.size()));
  for (unsigned i = 0; i < ids.size(); ++i) id_list.set(i, ids[i]);
  draft.shrink_to_fit();
  plan_.drafts.push_back(std::move(draft));
  ++plan_.key_count;
  if (!mismatched) ++plan_.matched_count;
  return {};
}

Status Matcher::add_totals(const std::string& currency, const Decimal* vendor, const Decimal* cost, const Decimal* sell) {
  Totals& t = totals_[currency];
  if (vendor) {
    CB_TRY(t.vendor, t.vendor.add(*vendor));
  }
  if (cost) {
    CB_TRY(t.cost, t.cost.add(*cost));
  }
  if (sell) {
    CB_TRY(t.sell, t.sell.add(*sell));
  }
  return {};
}

// The MatchRun (batch position 0): the inputs it read, its counts and totals.
Status Matcher::fill_run() {
  std::vector<std::pair<Ref, Hash>> inputs;  // Ingest entries of the files whose rows were matched
  for (const Hash& file : files_) {
    CB_TRY(auto ingests, entries_of_kind(snapshot_, "file", to_hex(file), Kind::INGEST));
    if (!ingests.empty()) inputs.push_back({Ref{ingests.front().reader().getIndex(), ingests.front().hash()}, file});
  }
  std::sort(inputs.begin(), inputs.end(), [](const auto& a, const auto& b) { return a.first.index < b.first.index; });
  auto run = plan_.drafts[0].entry();
  run.setEffective(period_.to_string());
  auto m = run.getKind().initMatchRun();
  m.setPeriod(period_.to_string());
  m.setTolerance(options_.config.tolerance.to_string());
  m.setFxToleranceBps(options_.config.fx_tolerance_bps);
  auto refs = m.initInputs(static_cast<unsigned>(inputs.size()));
  auto shas = m.initInputFileSha256s(static_cast<unsigned>(inputs.size()));
  for (unsigned i = 0; i < inputs.size(); ++i) {
    set_ref(refs[i], inputs[i].first);
    shas.set(i, kj::arrayPtr(inputs[i].second.data(), inputs[i].second.size()));
  }
  m.setKeyCount(plan_.key_count);
  m.setMatchedCount(plan_.matched_count);
  m.setExceptionCount(plan_.exception_count);
  if (totals_.size() == 1) {
    const auto& [currency, t] = *totals_.begin();
    m.setVendorTotal(t.vendor.to_string());
    m.setPricedCostTotal(t.cost.to_string());
    m.setPricedSellTotal(t.sell.to_string());
    m.setCurrency(currency);
  }
  auto totals = m.initTotals(static_cast<unsigned>(totals_.size()));
  unsigned at = 0;
  for (const auto& [currency, t] : totals_) {
    totals[at].setCurrency(currency);
    totals[at].setVendorAmount(t.vendor.to_string());
    totals[at].setPricedCost(t.cost.to_string());
    totals[at].setPricedSell(t.sell.to_string());
    ++at;
  }
  return {};
}

Result<MatchPlan> Matcher::run() {
  CB_CHECK(load());
  const bool usage_to_price = std::any_of(usage_.begin(), usage_.end(), [](const auto& g) {
    return std::any_of(g.second.records.begin(), g.second.records.end(), [](const UsageInfo& u) { return u.quantity.sign() > 0; });
  });
  if (usage_to_price && priced_.empty() && !has_exceptions_) {
    return Error::invalid("period " + period_.to_string() + " has usage but no priced lines: run `closebook price --period " +
                          period_.to_string() + "` before matching")
        .in_field("--period");
  }
  plan_.drafts.emplace_back();  // the MatchRun, filled last
  CB_CHECK(find_duplicates());
  CB_CHECK(check_fx());

  for (VendorLine& l : lines_) {
    files_.insert(l.file);
    const std::string id =
        charge_key(l.vendor, l.subscription, l.tenant ? l.tenant->tenant_id : "ref:" + l.tenant_ref, l.sku, l.consumption());
    key_for(id, l.vendor, l.subscription, l.sku, l.tenant_ref).lines.push_back(&l);
  }
  for (const auto& [group_key, g] : usage_) {
    for (const UsageInfo& u : g.records) files_.insert(u.file);
    const std::string label = g.subscription.empty() ? tenant_label(g.vendor, g.tenant_ref, clamp(g.records.front().date, period_)) : "";
    key_for(charge_key(g.vendor, g.subscription, label, g.sku, g.consumed()), g.vendor, g.subscription, g.sku, g.tenant_ref).usage.push_back(&g);
  }
  for (const auto& [line_id, info] : priced_) {
    priced_tenant_skus_.insert(info.vendor + "|" + info.tenant + "|" + info.sku);
    key_for(charge_key(info.vendor, info.subscription, info.tenant, info.sku, info.consumed), info.vendor, info.subscription, info.sku, "")
        .priced.push_back(info);
  }
  for (const Finding& f : run_findings_) {
    plan_.drafts.push_back(exception_draft(period_.to_string(), f, options_.config));
    ++plan_.exception_count;
    ++plan_.exceptions_by_category[f.category];
  }
  uint64_t done = 0;
  for (auto& [id, k] : keys_) {
    if (!k.priced.empty()) k.sku = k.priced.front().sku;  // the SKU the partner is billed for
    CB_CHECK(match_key(k));
    if (options_.progress && (++done % 1000 == 0 || done == keys_.size())) options_.progress(done, keys_.size());
  }
  CB_CHECK(fill_run());
  plan_.planned_at_size = snapshot_.size();
  return std::move(plan_);
}

}  // namespace

Result<MatchPlan> plan_match(const ledger::Snapshot& snapshot, const MatchOptions& options) {
  auto period = Period::parse(options.period);
  if (!period.ok()) return Error::invalid("the period \"" + options.period + "\" is not YYYY-MM").in_field("--period");
  CB_CHECK(check_period_open(snapshot, options.period));
  Matcher matcher(snapshot, options, *period);
  return matcher.run();
}

}  // namespace closebook::match
