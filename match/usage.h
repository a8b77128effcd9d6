// A period's usage as pricing and the three-way match read it: records grouped by vendor
// identity, subscription and SKU, and the seat count they imply on each day
// (docs/matching.md §3).
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "evidence/date.h"
#include "evidence/decimal.h"
#include "ledger/ledger.h"
#include "match/findings.h"

namespace closebook::match {

using Basis = schema::UsageRecord::QuantityBasis;

struct UsageInfo {
  Ref ref;
  Hash file{};  // SHA-256 of the feed file the record came from
  Date date;
  Decimal quantity;
  Basis basis = Basis::SNAPSHOT;
  // What a rated-usage feed says of the meter and its price (empty otherwise): a cost-plus rule
  // prices from vendor_price, in pricing_currency (docs/matching.md §3.1).
  std::string meter_category;
  std::optional<Decimal> vendor_price;
  std::string pricing_currency;
};

// One vendor identity's usage of one subscription and SKU.
struct UsageGroup {
  std::string vendor, tenant_ref, subscription, sku;
  std::vector<UsageInfo> records;  // by date, then ledger order
  Cadence cadence = Cadence::DAILY;  // the vendor's, from the close configuration

  bool consumed() const { return records.front().basis == Basis::CONSUMED; }
  // The meter category every record names, else empty (records of several, or of none).
  std::string meter_category() const;
  bool has_snapshots() const;
  // Seat counts by day of the period, by the cadence (docs/matching.md §3): daily, a count
  // holds from its date until the next (0 before the first); weekly, the period's first count
  // also stands for the 6 days before it; monthly, the largest count dated in the period
  // stands for every day. Without snapshots the period's peak holds on every day. Empty for
  // consumed usage, which has no count.
  std::vector<Decimal> daily_counts(const Period& period) const;
  // The snapshot that gives each day its count (index into `records`), -1 where none; empty
  // without snapshots.
  std::vector<int> daily_snapshots(const Period& period) const;
};

// Usage records dated in `period`, by "vendor|tenantRef|subscription|sku" (key order is the
// deterministic order of everything built from them). A seat count whose first snapshot in
// the period comes after its first day starts with the latest earlier snapshot, carried in
// (not for a monthly feed, whose count of the period stands alone). Each group takes its
// vendor's cadence from `config`. `other` receives every other entry filed under the period,
// so a caller reads the period once.
Result<std::map<std::string, UsageGroup>> load_usage_groups(
    const ledger::Snapshot& snapshot, const Period& period, const CloseConfig& config,
    const std::function<Status(const DecodedEntry&)>& other = nullptr);

}  // namespace closebook::match
