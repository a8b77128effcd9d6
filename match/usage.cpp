#include "match/usage.h"

#include <algorithm>

#include "match/fields.h"

namespace closebook::match {

bool UsageGroup::has_snapshots() const {
  return std::any_of(records.begin(), records.end(), [](const UsageInfo& u) { return u.basis == Basis::SNAPSHOT; });
}

std::vector<int> UsageGroup::daily_snapshots(const Period& period) const {
  if (!has_snapshots()) return {};
  std::vector<int> out(static_cast<size_t>(period.days()), -1);
  const int64_t first = period.first_day().days_since_epoch();
  int current = -1;
  size_t next = 0;
  for (int day = 0; day < period.days(); ++day) {
    while (next < records.size() && records[next].date.days_since_epoch() <= first + day) {
      if (records[next].basis == Basis::SNAPSHOT) current = static_cast<int>(next);
      ++next;
    }
    out[static_cast<size_t>(day)] = current;
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

Result<std::map<std::string, UsageGroup>> load_usage_groups(const ledger::Snapshot& snapshot, const Period& period,
                                                            const std::function<Status(const DecodedEntry&)>& other) {
  std::map<std::string, UsageGroup> groups;
  CB_TRY(std::vector<uint64_t> indexes, snapshot.lookup("period", period.to_string()));
  for (uint64_t i : indexes) {
    CB_TRY(DecodedEntry e, snapshot.entry(i));
    if (e.reader().getKind().which() != schema::Entry::Kind::USAGE_RECORD) {
      if (other) CB_CHECK(other(e));
      continue;
    }
    auto u = e.reader().getKind().getUsageRecord();
    CB_TRY(Date date, Date::parse(text_of(u.getUsageDate())));
    CB_TRY(Decimal quantity, decimal_of(u.getQuantity()));
    UsageGroup g{text_of(u.getVendor()), text_of(u.getTenantRef()), text_of(u.getSubscriptionId()),
                 text_of(u.getSkuId()), {}};
    const std::string key = g.vendor + "|" + g.tenant_ref + "|" + g.subscription + "|" + g.sku;
    auto [it, added] = groups.try_emplace(key, std::move(g));
    Hash file{};
    const auto sha = u.getSource().getFileSha256();
    if (sha.size() == file.size()) std::copy(sha.begin(), sha.end(), file.begin());
    it->second.records.push_back(UsageInfo{Ref{i, e.hash()}, file, date, quantity, u.getQuantityBasis()});
  }
  for (auto& [key, g] : groups) {
    std::stable_sort(g.records.begin(), g.records.end(),
                     [](const UsageInfo& a, const UsageInfo& b) { return a.date < b.date; });
  }
  return groups;
}

}  // namespace closebook::match
