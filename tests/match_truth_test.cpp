// Match truth (docs/matching.md §8): over thousands of generated keys in every usage shape real
// feeds have, each key is priced as the oracle (data/sample/generator/shapes.cpp) bills it, and
// raises nothing — or, where its feed says less than the vendor charges, is priced as the feed
// says and raises exactly one exception naming it, with the money at stake. The oracle computes
// its expectations from the seats it gave each day, not from closebook's reading of the feed.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <sstream>

#include "data/sample/generator/generator.h"
#include "match/feeds.h"
#include "match/pricing.h"
#include "match/queue.h"
#include "match/reference.h"
#include "match/three_way.h"
#include "tests/test_util.h"
#include "verify/verify.h"

namespace closebook {
namespace {

using match::ReferenceKind;

std::vector<std::vector<std::string>> rows_of(const std::string& csv) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream in(csv);
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::vector<std::string> fields;
    std::stringstream cells(line);
    std::string cell;
    while (std::getline(cells, cell, ',')) fields.push_back(cell);
    if (!line.empty() && line.back() == ',') fields.push_back("");
    rows.push_back(fields);
  }
  return rows;
}

class MatchTruthTest : public ::testing::Test {
 protected:
  void append(const Result<match::LoadPlan>& plan) {
    ASSERT_TRUE(plan.ok()) << plan.error().to_string();
    ASSERT_TRUE(ledger_->append(const_cast<match::LoadPlan&>(*plan).drafts, key_).ok());
  }

  // Reference data, the previous period's files, then the period's, as an operator loads them
  // (late-usage.csv comes after pricing: close()).
  void load(const std::map<std::string, std::string>& files, const Period& period) {
    const std::string prev = (period.month == 1 ? Period{period.year - 1, 12} : Period{period.year, static_cast<uint8_t>(period.month - 1)}).to_string();
    const std::pair<ReferenceKind, const char*> refs[] = {{ReferenceKind::kPartners, "partners.csv"},
                                                          {ReferenceKind::kTenants, "tenants.csv"},
                                                          {ReferenceKind::kRules, "rules.csv"},
                                                          {ReferenceKind::kFx, "fx.csv"}};
    for (const auto& [kind, name] : refs) append(match::plan_reference_load(kind, name, files.at(name), ledger_->snapshot().value()));
    const std::tuple<const match::Format&, const char*, std::string> feeds[] = {
        {match::format("microsoft-nce"), "previous-invoice-microsoft-nce.csv", prev},
        {match::format("closebook-usage-v1"), "previous-usage.csv", prev},
        {match::format("microsoft-nce"), "invoice-microsoft-nce.csv", period.to_string()},
        {match::format("generic"), "invoice-generic.csv", period.to_string()},
        {match::format("closebook-usage-v1"), "usage.csv", period.to_string()}};
    for (const auto& [format, name, p] : feeds) {
      if (rows_of(files.at(name)).empty()) continue;
      append(match::plan_feed_load(format, name, files.at(name), {p, nullptr}));
    }
  }

  void close(const std::map<std::string, std::string>& files, const Period& period) {
    auto config = match::CloseConfig::parse("closebook.json", files.at("closebook.json"));
    ASSERT_TRUE(config.ok()) << config.error().to_string();
    auto priced = match::plan_pricing(ledger_->snapshot().value(), {period.to_string(), *config});
    ASSERT_TRUE(priced.ok()) << priced.error().to_string();
    ASSERT_TRUE(ledger_->append(priced->drafts, key_).ok());
    append(match::plan_feed_load(match::format("closebook-usage-v1"), "late-usage.csv", files.at("late-usage.csv"), {period.to_string(), nullptr}));
    auto matched = match::plan_match(ledger_->snapshot().value(), {period.to_string(), *config});
    ASSERT_TRUE(matched.ok()) << matched.error().to_string();
    ASSERT_TRUE(ledger_->append(matched->drafts, key_).ok());
  }

  // Per key (vendor|subscription|sku): the priced lines' quantity, cost and sell, summed.
  std::map<std::string, std::vector<Decimal>> priced(const Period& period) {
    std::map<std::string, std::vector<Decimal>> out;
    auto snap = ledger_->snapshot().value();
    const std::vector<uint64_t> entries = snap.lookup("period", period.to_string()).value();
    for (uint64_t i : entries) {
      auto e = snap.entry(i).value();
      if (!e.reader().getKind().isPricedLine()) continue;
      auto p = e.reader().getKind().getPricedLine();
      auto& sums = out[std::string(p.getVendor().cStr()) + "|" + p.getSubscriptionId().cStr() + "|" + p.getSkuId().cStr()];
      sums.resize(3);
      auto sealed = snap.entry(p.getCost().getIndex()).value();  // its LineCost (docs/evidence.md §5)
      const char* fields[] = {p.getQuantity().cStr(), sealed.reader().getKind().getLineCost().getCostAmount().cStr(), p.getSellAmount().cStr()};
      for (int f = 0; f < 3; ++f) sums[f] = sums[f].add(Decimal::parse(fields[f]).value()).value();
    }
    return out;
  }

  std::multiset<std::string> found(const Period& period) {
    std::multiset<std::string> rows;
    const std::vector<match::ExceptionState> listed =
        match::list_exceptions(ledger_->snapshot().value(), {period.to_string(), std::nullopt, std::nullopt}).value();
    for (const auto& e : listed) {
      rows.insert(std::string(match::category_name(e.category)) + "," + e.vendor + "," + e.tenant_id + "," +
                  e.subscription_id + "," + e.sku_id + "," + e.delta + "," + e.currency);
    }
    return rows;
  }

  // Asserts the whole oracle for one generated period; returns the number of keys and faults.
  std::pair<size_t, size_t> check(const sample::ShapeOptions& options) {
    ledger_ = test::new_ledger(tmp_ / ("l" + std::to_string(options.seed) + options.period.to_string()), key_);
    const auto files = sample::generate_shapes(options);
    load(files, options.period);
    close(files, options.period);
    const auto got = priced(options.period);
    const auto billing = rows_of(files.at("expected_billing.csv"));
    std::map<std::string, int> wrong_by_shape;
    for (const auto& row : billing) {  // Vendor,SubscriptionId,SkuId,Quantity,CostAmount,SellAmount,Currency,Shape
      const std::string key = row[0] + "|" + row[1] + "|" + row[2];
      auto it = got.find(key);
      const bool right = it != got.end() && it->second[0] == Decimal::parse(row[3]).value() &&
                         it->second[1] == Decimal::parse(row[4]).value() && it->second[2] == Decimal::parse(row[5]).value();
      if (!right) {
        ++wrong_by_shape[row[7]];
        ADD_FAILURE() << row[7] << " key " << key << ": want quantity " << row[3] << " cost " << row[4] << " sell " << row[5]
                      << ", priced " << (it == got.end() ? "nothing" : it->second[0].to_string() + " cost " + it->second[1].to_string() +
                                                                            " sell " + it->second[2].to_string());
        if (wrong_by_shape[row[7]] > 3) break;
      }
    }
    EXPECT_EQ(got.size(), billing.size()) << "no key priced that the oracle does not bill";
    std::multiset<std::string> want;
    for (const auto& row : rows_of(files.at("expected_exceptions.csv"))) {
      std::string joined;
      for (size_t i = 0; i < row.size(); ++i) joined += (i ? "," : "") + row[i];
      want.insert(joined);
    }
    EXPECT_EQ(found(options.period), want);
    // The verifier re-derives the match from the same entries (docs/evidence.md R25–R30): the
    // honest close of every shape verifies.
    const std::string dir = tmp_ / ("l" + std::to_string(options.seed) + options.period.to_string());
    ledger_.reset();
    auto replayed = verify::replay_ledger(dir, key_.verifier());
    EXPECT_TRUE(replayed.ok()) << replayed.error().to_string();
    return {billing.size(), want.size()};
  }

  test::TempDir tmp_;
  SigningKey key_ = SigningKey::generate("closebook.test/match-truth").value();
  std::unique_ptr<ledger::Ledger> ledger_;
};

// The issue's own case: a monthly seat report priced as one day of the month was `matched`.
TEST_F(MatchTruthTest, TenThousandKeysInEveryUsageShapeArePricedRightOrRaiseTheirGap) {
  const auto [keys, faults] = check({20261203, 10000, Period{2026, 10}});
  EXPECT_EQ(keys, 10000u);
  EXPECT_GT(faults, 500u) << "the oracle injects faulty feeds in every vendor's shape";
}

TEST_F(MatchTruthTest, OtherPeriodsAShortMonthAYearEndAndALeapFebruaryHoldToo) {
  for (const Period period : {Period{2027, 2}, Period{2026, 12}, Period{2028, 2}, Period{2027, 1}}) {
    SCOPED_TRACE(period.to_string());
    check({static_cast<uint64_t>(period.year * 100 + period.month), 1500, period});
  }
}

}  // namespace
}  // namespace closebook
