#include "match/usage.h"

#include <algorithm>
#include <optional>

#include "match/fields.h"

namespace closebook::match {

bool UsageGroup::has_snapshots() const {
  return std::any_of(records.begin(), records.end(), [](const UsageInfo& u) { return u.basis == Basis::SNAPSHOT; });
}

std::vector<int> UsageGroup::daily_snapshots(const Period& period) const {
  if (!has_snapshots()) return {};
  const size_t days = static_cast<size_t>(period.days());
  std::vector<int> out(days, -1);
  const int64_t first = period.first_day().days_since_epoch();
  if (cadence == Cadence::MONTHLY) {
    // One count for the period: the largest dated in it (the first of equals).
    int largest = -1;
    for (size_t i = 0; i < records.size(); ++i) {
      const UsageInfo& u = records[i];
      const bool in_period = period.first_day() <= u.date && u.date <= period.last_day();
      if (u.basis != Basis::SNAPSHOT || !in_period) continue;
      if (largest < 0 || records[static_cast<size_t>(largest)].quantity < u.quantity) largest = static_cast<int>(i);
    }
    std::fill(out.begin(), out.end(), largest);
    return out;
  }
  int current = -1;
  size_t next = 0;
  for (size_t day = 0; day < days; ++day) {
    while (next < records.size() && records[next].date.days_since_epoch() <= first + static_cast<int64_t>(day)) {
      if (records[next].basis == Basis::SNAPSHOT) current = static_cast<int>(next);
      ++next;
    }
    out[day] = current;
  }
  if (cadence == Cadence::WEEKLY) {
    // The days before the period's first count, back to 6 days before it, take that count:
    // a weekly report stands for the week it reports.
    size_t first_counted = 0;
    while (first_counted < days && out[first_counted] < 0) ++first_counted;
    if (first_counted < days) {
      for (size_t day = first_counted >= 6 ? first_counted - 6 : 0; day < first_counted; ++day) out[day] = out[first_counted];
    }
  }
  return out;
}

std::vector<Decimal> UsageGroup::daily_counts(const Period& period) const {
  if (consumed()) return {};
  const size_t days = static_cast<size_t>(period.days());
  if (has_snapshots()) {
    std::vector<Decimal> out(days);
    const std::vector<int> current = daily_snapshots(period);
    for (size_t d = 0; d < days; ++d) {
      if (current[d] >= 0) out[d] = records[static_cast<size_t>(current[d])].quantity;
    }
    return out;
  }
  Decimal peak;
  for (const UsageInfo& u : records) peak = std::max(peak, u.quantity);
  return std::vector<Decimal>(days, peak);
}

std::string UsageGroup::meter_category() const {
  for (const UsageInfo& u : records) {
    if (u.meter_category != records.front().meter_category) return "";
  }
  return records.empty() ? "" : records.front().meter_category;
}

namespace {

struct DecodedUsage {
  UsageGroup group;  // without records
  UsageInfo info;
  std::string key() const { return group.vendor + "|" + group.tenant_ref + "|" + group.subscription + "|" + group.sku; }
};

Result<DecodedUsage> decode_usage(const DecodedEntry& e) {
  auto u = e.reader().getKind().getUsageRecord();
  DecodedUsage d{UsageGroup{text_of(u.getVendor()), text_of(u.getTenantRef()), text_of(u.getSubscriptionId()),
                            text_of(u.getSkuId()), {}},
                 UsageInfo{Ref{e.reader().getIndex(), e.hash()}, {}, {}, {}, u.getQuantityBasis()}};
  CB_TRY(d.info.date, Date::parse(text_of(u.getUsageDate())));
  CB_TRY(d.info.quantity, decimal_of(u.getQuantity()));
  d.info.meter_category = text_of(u.getMeterCategory());
  CB_TRY(d.info.vendor_price, optional_decimal_of(u.getVendorUnitPrice()));
  d.info.pricing_currency = text_of(u.getPricingCurrency());
  d.info.file = hash_of(u.getSource().getFileSha256());
  return d;
}

// A seat count holds until the next snapshot, across periods too: when a subscription's
// first snapshot of the period comes after its first day, the latest earlier snapshot of the
// same identity, subscription and SKU is the count from the first day (and evidence for it).
Status carry_in_count(const ledger::Snapshot& snapshot, const Period& period, UsageGroup& g) {
  const UsageInfo* first = nullptr;
  for (const UsageInfo& u : g.records) {
    if (u.basis == Basis::SNAPSHOT) {
      first = &u;
      break;
    }
  }
  if (first == nullptr || first->date <= period.first_day() || g.subscription.empty()) return {};
  if (g.cadence == Cadence::MONTHLY) return {};  // the period's own count stands for it
  CB_TRY(std::vector<uint64_t> indexes, snapshot.lookup("subscription", g.subscription));
  std::optional<UsageInfo> latest;
  for (auto it = indexes.rbegin(); it != indexes.rend(); ++it) {
    CB_TRY(DecodedEntry e, snapshot.entry(*it));
    if (!e.reader().getKind().isUsageRecord()) continue;
    CB_TRY(DecodedUsage d, decode_usage(e));
    const bool same = d.group.vendor == g.vendor && d.group.tenant_ref == g.tenant_ref && d.group.sku == g.sku;
    if (!same || d.info.basis != Basis::SNAPSHOT || !(d.info.date < period.first_day())) continue;
    if (!latest || latest->date < d.info.date) latest = d.info;
  }
  if (latest) g.records.insert(g.records.begin(), *latest);
  return {};
}

}  // namespace

Result<std::map<std::string, UsageGroup>> load_usage_groups(const ledger::Snapshot& snapshot, const Period& period,
                                                            const CloseConfig& config,
                                                            const std::function<Status(const DecodedEntry&)>& other) {
  std::map<std::string, UsageGroup> groups;
  CB_TRY(std::vector<uint64_t> indexes, snapshot.lookup("period", period.to_string()));
  for (uint64_t i : indexes) {
    CB_TRY(DecodedEntry e, snapshot.entry(i));
    if (e.reader().getKind().which() != schema::Entry::Kind::USAGE_RECORD) {
      if (other) CB_CHECK(other(e));
      continue;
    }
    CB_TRY(DecodedUsage d, decode_usage(e));
    d.group.cadence = config.cadence(d.group.vendor);
    auto [it, added] = groups.try_emplace(d.key(), std::move(d.group));
    it->second.records.push_back(d.info);
  }
  for (auto& [key, g] : groups) {
    std::stable_sort(g.records.begin(), g.records.end(),
                     [](const UsageInfo& a, const UsageInfo& b) { return a.date < b.date; });
    CB_CHECK(carry_in_count(snapshot, period, g));
  }
  return groups;
}

}  // namespace closebook::match
