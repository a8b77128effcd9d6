// The three-way match: the generated periods' injected anomalies are found exactly (no
// misses, no false alarms, the right deltas), the bundled sample's three oddities are found,
// re-running adds nothing, and charge windows reach across periods.
#include <gtest/gtest.h>

#include <set>
#include <sstream>

#include "data/sample/generator/generator.h"
#include "match/feeds.h"
#include "match/queue.h"
#include "match/pricing.h"
#include "match/reference.h"
#include "match/three_way.h"
#include "tests/test_util.h"

namespace closebook {
namespace {

using match::ReferenceKind;

// Category,Vendor,TenantId,SubscriptionId,SkuId,Delta,Currency — expected_exceptions.csv.
using Row = std::string;

class MatchTest : public ::testing::Test {
 protected:
  void SetUp() override { ledger_ = test::new_ledger(tmp_ / "l", key_); }

  void append(const Result<match::LoadPlan>& plan) {
    ASSERT_TRUE(plan.ok()) << plan.error().to_string();
    auto receipt = ledger_->append(const_cast<match::LoadPlan&>(*plan).drafts, key_);
    ASSERT_TRUE(receipt.ok()) << receipt.error().to_string();
  }

  void load_period(const std::map<std::string, std::string>& files, const std::string& period) {
    test::load_period(*ledger_, key_, files, period);
  }
  void feed(const match::Format& format, const std::string& name, const std::string& text, const std::string& period) {
    append(match::plan_feed_load(format, name, text, {period, nullptr}));
  }
  void load_bundled_sample() { load_period(test::bundled_sample(), "2026-10"); }

  uint64_t price(const std::string& period) {
    auto snap = ledger_->snapshot().value();
    auto plan = match::plan_pricing(snap, {period});
    EXPECT_TRUE(plan.ok()) << plan.error().to_string();
    return ledger_->append(plan->drafts, key_).value().new_entry_count;
  }
  Result<ledger::AppendReceipt> match(const std::string& period, match::CloseConfig config = match::CloseConfig::defaults()) {
    auto snap = ledger_->snapshot().value();
    CB_TRY(match::MatchPlan plan, match::plan_match(snap, {period, config}));
    return ledger_->append(plan.drafts, key_);
  }

  std::vector<match::ExceptionState> exceptions(const std::string& period) {
    auto snap = ledger_->snapshot().value();
    return match::list_exceptions(snap, {period, std::nullopt, std::nullopt}).value();
  }
  std::multiset<Row> found(const std::string& period) {
    std::multiset<Row> rows;
    for (const auto& e : exceptions(period)) {
      rows.insert(std::string(match::category_name(e.category)) + "," + e.vendor + "," + e.tenant_id + "," +
                  e.subscription_id + "," + e.sku_id + "," + e.delta + "," + e.currency);
    }
    return rows;
  }
  static std::multiset<Row> expected(const std::string& csv) {
    std::multiset<Row> rows;
    std::istringstream in(csv);
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) rows.insert(line);
    return rows;
  }

  // The MatchResult entries of the period, by subscription.
  std::map<std::string, DecodedEntry> results(const std::string& period) {
    auto snap = ledger_->snapshot().value();
    std::map<std::string, DecodedEntry> out;
    const std::vector<uint64_t> indexes = snap.lookup("period", period).value();
    for (uint64_t i : indexes) {
      auto e = snap.entry(i).value();
      if (e.reader().getKind().isMatchResult()) {
        out.insert_or_assign(std::string(e.reader().getKind().getMatchResult().getSubscriptionId().cStr()), std::move(e));
      }
    }
    return out;
  }

  test::TempDir tmp_;
  SigningKey key_ = SigningKey::generate("closebook.test/match").value();
  std::unique_ptr<ledger::Ledger> ledger_;
};

TEST_F(MatchTest, AGeneratedPeriodYieldsExactlyTheInjectedExceptionsWithTheirDeltas) {
  for (uint64_t seed : {11u, 12u}) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    ledger_.reset();
    ledger_ = test::new_ledger(tmp_ / ("l" + std::to_string(seed)), key_);
    const auto files = sample::generate({seed, 1500, Period{2026, 10}});
    load_period(files, "2026-10");
    price("2026-10");
    ASSERT_TRUE(match("2026-10").ok());
    const auto want = expected(files.at("expected_exceptions.csv"));
    EXPECT_EQ(found("2026-10"), want);
    std::set<std::string> categories;
    for (const Row& r : want) categories.insert(r.substr(0, r.find(',')));
    EXPECT_EQ(categories.size(), 14u) << "every category the match and pricing raise is injected";
  }
}

// A long close shows how far it is (cli/progress.h): pricing counts usage groups, the match
// counts keys, the append counts entries, each up to its total.
TEST_F(MatchTest, PricingMatchingAndAppendingReportProgressUpToTheirTotals) {
  load_period(sample::generate({7, 3000, Period{2026, 10}}), "2026-10");
  struct Seen {
    uint64_t calls = 0, last = 0, total = 0;
    std::function<void(uint64_t, uint64_t)> fn() {
      return [this](uint64_t done, uint64_t of) {
        EXPECT_LE(last, done) << "progress never goes back";
        ++calls, last = done, total = of;
      };
    }
  } priced, matched, appended;
  match::PricingOptions pricing{"2026-10"};
  pricing.progress = priced.fn();
  auto price_plan = match::plan_pricing(ledger_->snapshot().value(), pricing);
  ASSERT_TRUE(price_plan.ok()) << price_plan.error().to_string();
  ASSERT_TRUE(ledger_->append(price_plan->drafts, key_, {.progress = appended.fn()}).ok());
  EXPECT_GT(priced.total, 1000u);
  EXPECT_EQ(priced.last, priced.total);
  EXPECT_EQ(priced.calls, priced.total / 1000 + (priced.total % 1000 != 0));
  EXPECT_EQ(appended.total, price_plan->drafts.size());
  EXPECT_EQ(appended.last, appended.total);
  EXPECT_EQ(appended.calls, 1 + (appended.total - 1) / ledger::kProgressEveryEntries + 1);  // 0, 10k, ..., the end

  match::MatchOptions matching{"2026-10"};
  matching.progress = matched.fn();
  auto match_plan = match::plan_match(ledger_->snapshot().value(), matching);
  ASSERT_TRUE(match_plan.ok()) << match_plan.error().to_string();
  EXPECT_EQ(matched.total, match_plan->key_count);
  EXPECT_EQ(matched.last, matched.total);
}

// "period_kind" (index version 3) is the period index split by kind, which is what lets a
// statement read a period's priced lines and exceptions without decoding the rest.
TEST_F(MatchTest, ThePeriodKindIndexIsThePeriodIndexSplitByKind) {
  load_bundled_sample();
  price("2026-10");
  ASSERT_TRUE(match("2026-10").ok());
  auto snap = ledger_->snapshot().value();
  std::map<std::string, std::vector<uint64_t>> by_kind;
  const std::vector<uint64_t> period = snap.lookup("period", "2026-10").value();
  for (uint64_t i : period) by_kind[kind_name(snap.entry(i).value().reader())].push_back(i);
  EXPECT_GE(by_kind.size(), 6u);
  for (const auto& [kind, indexes] : by_kind) {
    EXPECT_EQ(snap.lookup("period_kind", "2026-10/" + kind).value(), indexes) << kind;
    EXPECT_EQ(snap.lookup_last("period_kind", "2026-10/" + kind).value(), indexes.back()) << kind;
  }
  EXPECT_EQ(snap.lookup_last("period_kind", "2026-10/nothing").value(), std::nullopt);
  EXPECT_EQ(snap.lookup_last("period", "2026-10").value(), period.back());
}

TEST_F(MatchTest, AShortMonthAndAYearEndMatchExactlyToo) {
  for (const Period period : {Period{2027, 2}, Period{2026, 12}}) {
    SCOPED_TRACE(period.to_string());
    ledger_.reset();
    ledger_ = test::new_ledger(tmp_ / ("l" + period.to_string()), key_);
    const auto files = sample::generate({5, 600, period});
    load_period(files, period.to_string());
    price(period.to_string());
    ASSERT_TRUE(match(period.to_string()).ok());
    EXPECT_EQ(found(period.to_string()), expected(files.at("expected_exceptions.csv")));
  }
}

TEST_F(MatchTest, TheGeneratorIsDeterministicAndScalesItsAnomalies) {
  const auto a = sample::generate({3, 500, Period{2026, 10}});
  EXPECT_EQ(a, sample::generate({3, 500, Period{2026, 10}}));
  EXPECT_NE(a.at("usage.csv"), sample::generate({4, 500, Period{2026, 10}}).at("usage.csv"));
  const auto big = sample::generate({3, 40000, Period{2026, 10}});
  EXPECT_EQ(expected(big.at("expected_exceptions.csv")).size(), 2 * expected(a.at("expected_exceptions.csv")).size());
  EXPECT_GE(std::count(big.at("invoice-microsoft-nce.csv").begin(), big.at("invoice-microsoft-nce.csv").end(), '\n') +
                std::count(big.at("invoice-generic.csv").begin(), big.at("invoice-generic.csv").end(), '\n') - 2,
            40000);
}

TEST_F(MatchTest, TheBundledSampleShowsItsThreeDeliberateOddities) {
  load_bundled_sample();
  price("2026-10");
  auto receipt = match("2026-10");
  ASSERT_TRUE(receipt.ok()) << receipt.error().to_string();
  const std::multiset<Row> want = {
      // T012: ROUNDDOWN(32.66999…, 2) = 32.66 against R001's 32.67 on 2 seats.
      "COST_RATE_MISMATCH,microsoft,T012,d283c47e-58cb-4301-b215-8e955fba538b,CFQ7TTC0LCHC:0002,-0.02,AUD",
      // Datto converts at the 09-30 rate, 13.67 bps under the 10-01 lock.
      "FX_VARIANCE,datto,,,,-0.39,AUD",
      // T004's E3 renews 10/15: 10-01..10-14 were billed on September's invoice.
      "TIMING,microsoft,T004,fc773d8f-1e82-413d-abd7-9aadaa0798d8,CFQ7TTC0LFLX:0001,645.47,AUD"};
  EXPECT_EQ(found("2026-10"), want);

  const auto by_subscription = results("2026-10");
  // The add/remove pair of T002 nets out: 14 seats on every leg.
  const auto pair = by_subscription.at("8b9f6088-032e-4bb6-b84b-a919b1233db0").reader().getKind().getMatchResult();
  EXPECT_EQ(pair.getStatus(), schema::MatchResult::Status::MATCHED);
  EXPECT_EQ(std::string(pair.getVendorQuantity().cStr()), "14.000000");
  EXPECT_EQ(std::string(pair.getUsageQuantity().cStr()), "14.000000");
  EXPECT_EQ(pair.getInvoiceLines().size(), 3u);
  // T011's annual renewal: 31/365 of 2138.40 belongs to October.
  const auto annual = by_subscription.at("af9a3012-7e71-4b01-9ad4-ea3cfb5de146").reader().getKind().getMatchResult();
  EXPECT_EQ(std::string(annual.getVendorAmount().cStr()), "181.62");
  EXPECT_EQ(annual.getStatus(), schema::MatchResult::Status::MATCHED);
  // T007 moved partner on 10-20: two priced lines, one vendor line naming the old partner.
  const auto moved = by_subscription.at("e5d76e39-6628-464a-8905-77d5f7d20c4b").reader().getKind().getMatchResult();
  EXPECT_EQ(moved.getPricedLines().size(), 2u);
  EXPECT_EQ(std::string(moved.getPartnerId().cStr()), "P002");
  EXPECT_EQ(moved.getStatus(), schema::MatchResult::Status::MATCHED);

  // The run names its inputs and counts; each result points at it.
  auto snap = ledger_->snapshot().value();
  const uint64_t run_index = receipt->entries.front().index;
  auto run = snap.entry(run_index).value();
  ASSERT_TRUE(run.reader().getKind().isMatchRun());
  auto m = run.reader().getKind().getMatchRun();
  EXPECT_EQ(m.getInputs().size(), 3u);
  EXPECT_EQ(m.getKeyCount(), by_subscription.size());
  EXPECT_EQ(m.getExceptionCount(), 3u);
  EXPECT_EQ(m.getTotals().size(), 2u);  // AUD and NZD
  EXPECT_EQ(pair.getRun().getIndex(), run_index);
  EXPECT_EQ(to_hex(Bytes(pair.getRun().getHash().begin(), pair.getRun().getHash().size())), to_hex(run.hash()));
}

TEST_F(MatchTest, MatchingUnchangedInputsAgainAddsNothing) {
  load_bundled_sample();
  price("2026-10");
  auto first = match("2026-10");
  ASSERT_TRUE(first.ok());
  EXPECT_GT(first->new_entry_count, 0u);
  auto again = match("2026-10");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->new_entry_count, 0u);
  EXPECT_EQ(again->root, first->root);
}

TEST_F(MatchTest, MatchingBeforePricingIsRefusedAndChangesNothing) {
  load_bundled_sample();
  const uint64_t size = ledger_->snapshot().value().size();
  auto refused = match("2026-10");
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("run `closebook price --period 2026-10`"), std::string::npos);
  EXPECT_EQ(ledger_->snapshot().value().size(), size);
  EXPECT_FALSE(match("2026-13").ok());
}

TEST_F(MatchTest, UsageArrivingAfterPricingIsUnbilledUntilPricedAgain) {
  load_bundled_sample();
  price("2026-10");
  feed(match::format("closebook-usage-v1"), "late.csv",
       "Vendor,UsageDate,TenantRef,SubscriptionId,SkuId,Quantity,QuantityBasis,UnitType,SourceRef\n"
       "microsoft,2026-10-01,de6799dd-16e2-4542-8982-fcd5407b50a3,11111111-2222-3333-4444-555555555555,"
       "CFQ7TTC0LH16:0001,3,snapshot,Licence/Month,late-1\n",
       "2026-10");
  ASSERT_TRUE(match("2026-10").ok());
  // Valued at the book cost of the rule that would price it: 3 seats all month × R004's 5.94.
  EXPECT_EQ(found("2026-10").count(
                "UNBILLED_USAGE,microsoft,T001,11111111-2222-3333-4444-555555555555,CFQ7TTC0LH16:0001,17.82,AUD"),
            1u);
}

TEST_F(MatchTest, TheToleranceDecidesWhatACentIs) {
  load_bundled_sample();
  price("2026-10");
  match::CloseConfig loose = match::CloseConfig::defaults();
  loose.tolerance = Decimal::parse("0.05").value();
  loose.fx_tolerance_bps = 25;
  ASSERT_TRUE(match("2026-10", loose).ok());
  EXPECT_EQ(found("2026-10"),
            (std::multiset<Row>{"TIMING,microsoft,T004,fc773d8f-1e82-413d-abd7-9aadaa0798d8,CFQ7TTC0LFLX:0001,645.47,AUD"}));
}

TEST_F(MatchTest, AnAnnualChargeCoversTheLaterPeriodsOfItsTerm) {
  load_bundled_sample();
  price("2026-10");
  ASSERT_TRUE(match("2026-10").ok());
  // November: T011's seats, and no invoice line — the October renewal runs to 2027-09-30.
  feed(match::format("closebook-usage-v1"), "nov.csv",
       "Vendor,UsageDate,TenantRef,SubscriptionId,SkuId,Quantity,QuantityBasis,UnitType,SourceRef\n"
       "microsoft,2026-11-01,7fc0393c-0fbe-44e1-9dac-4f75d8b4fa59,af9a3012-7e71-4b01-9ad4-ea3cfb5de146,"
       "CFQ7TTC0LH16:0001,30,snapshot,Licence/Month,nov-1\n"
       "microsoft,2026-11-01,a7e1083a-f10c-4884-ad8b-2a83c7072d5c,d283c47e-58cb-4301-b215-8e955fba538b,"
       "CFQ7TTC0LCHC:0002,3,snapshot,Licence/Month,nov-2\n",
       "2026-11");
  EXPECT_GT(price("2026-11"), 0u);
  ASSERT_TRUE(match("2026-11").ok());
  const auto by_subscription = results("2026-11");
  const auto annual = by_subscription.at("af9a3012-7e71-4b01-9ad4-ea3cfb5de146").reader().getKind().getMatchResult();
  EXPECT_EQ(annual.getStatus(), schema::MatchResult::Status::MATCHED);
  EXPECT_EQ(std::string(annual.getVendorAmount().cStr()), "175.76");  // 2138.40 × 30 / 365
  EXPECT_EQ(annual.getInvoiceLines().size(), 1u);
  // T012's monthly charge ended 10-31: November's seats have no invoice yet.
  std::multiset<Row> orphans;
  for (const Row& r : found("2026-11")) {
    if (r.rfind("ORPHAN_BILLING", 0) == 0) orphans.insert(r.substr(0, r.find(',', r.find("T0"))));
  }
  EXPECT_EQ(orphans, (std::multiset<Row>{"ORPHAN_BILLING,microsoft,T012"}));
}

TEST_F(MatchTest, ASeatCountHoldsIntoTheNextPeriodUntilTheNextSnapshot) {
  load_bundled_sample();
  price("2026-10");
  // November's feed reports T012 only when its count changes, on 11-20: 3 → 4.
  feed(match::format("closebook-usage-v1"), "nov.csv",
       "Vendor,UsageDate,TenantRef,SubscriptionId,SkuId,Quantity,QuantityBasis,UnitType,SourceRef\n"
       "microsoft,2026-11-20,a7e1083a-f10c-4884-ad8b-2a83c7072d5c,d283c47e-58cb-4301-b215-8e955fba538b,"
       "CFQ7TTC0LCHC:0002,4,snapshot,Licence/Month,nov-20\n",
       "2026-11");
  price("2026-11");
  auto snap = ledger_->snapshot().value();
  const std::vector<uint64_t> indexes = snap.lookup("period", "2026-11").value();
  std::vector<std::string> quantities;
  size_t refs = 0;
  for (uint64_t i : indexes) {
    auto e = snap.entry(i).value();
    if (!e.reader().getKind().isPricedLine()) continue;
    quantities.push_back(e.reader().getKind().getPricedLine().getQuantity().cStr());
    refs = e.reader().getKind().getPricedLine().getUsage().size();
  }
  // 3 seats (October's 10-31 snapshot) for 19 days, 4 for 11: (57 + 44) / 30.
  EXPECT_EQ(quantities, std::vector<std::string>{"3.366667"});
  EXPECT_EQ(refs, 2u);
}

TEST_F(MatchTest, AnEarlierInvoicesChargeCoversItsDaysOnceAndItsCreditsStayInItsPeriod) {
  load_bundled_sample();
  // September's invoice: T004's E3 cycle 9/15–10/14 billed twice, and a customer credit.
  const std::string header =
      "CustomerId,InvoiceNumber,ProductId,SkuId,ChargeType,UnitPrice,EffectiveUnitPrice,Quantity,"
      "BillableQuantity,Subtotal,Currency,PricingCurrency,PCToBCExchangeRate,SubscriptionId,ChargeStartDate,"
      "ChargeEndDate,BillingFrequency\n";
  const std::string cycle =
      "39bd560b-19de-415f-918b-0c2b21a46df9,G0SEPT,CFQ7TTC0LFLX,0001,renew,60.50,54.45,25,25,1361.25,AUD,AUD,1,"
      "fc773d8f-1e82-413d-abd7-9aadaa0798d8,9/15/2026,10/14/2026,Monthly\n";
  feed(match::format("microsoft-nce"), "sept.csv",
       header + cycle + cycle +
           "39bd560b-19de-415f-918b-0c2b21a46df9,G0SEPT,CFQ7TTC0LFLX,0001,customerCredit,-100,-100,1,1,-100.00,AUD,"
           "AUD,1,fc773d8f-1e82-413d-abd7-9aadaa0798d8,9/1/2026,9/30/2026,Monthly\n",
       "2026-09");
  price("2026-10");
  ASSERT_TRUE(match("2026-10").ok());
  // T004's TIMING is gone: September's cycle covers 10-01..10-14, counted once; its credit
  // and its duplicate were September's findings, not October's.
  EXPECT_EQ(found("2026-10"),
            (std::multiset<Row>{
                "COST_RATE_MISMATCH,microsoft,T012,d283c47e-58cb-4301-b215-8e955fba538b,CFQ7TTC0LCHC:0002,-0.02,AUD",
                "FX_VARIANCE,datto,,,,-0.39,AUD"}));
  const auto t004 = results("2026-10").at("fc773d8f-1e82-413d-abd7-9aadaa0798d8").reader().getKind().getMatchResult();
  EXPECT_EQ(t004.getInvoiceLines().size(), 2u);  // October's renewal and one of September's copies
  EXPECT_EQ(std::string(t004.getVendorQuantity().cStr()), "25.000000");
}

TEST_F(MatchTest, TheVendorsRateIsJudgedAgainstThePeriodsLockNotALaterBetterRate) {
  load_bundled_sample();
  price("2026-10");
  // A second 10-01 rate whose source sorts first would win a fresh lookup; the lock is fixed.
  auto snap = ledger_->snapshot().value();
  append(match::plan_reference_load(ReferenceKind::kFx, "late-fx.csv",
                                    "Date,Base,Quote,Rate,Source\n2026-10-01,USD,AUD,1.519757,AAA manual\n", snap));
  ASSERT_TRUE(match("2026-10").ok());
  std::multiset<Row> fx;
  for (const Row& r : found("2026-10")) {
    if (r.rfind("FX_VARIANCE", 0) == 0) fx.insert(r);
  }
  EXPECT_EQ(fx, (std::multiset<Row>{"FX_VARIANCE,datto,,,,-0.39,AUD"}));
}

TEST_F(MatchTest, AnAnnualChargesQuantityGapIsValuedPerMonth) {
  load_bundled_sample();
  price("2026-10");
  ASSERT_TRUE(match("2026-10").ok());
  feed(match::format("closebook-usage-v1"), "nov.csv",
       "Vendor,UsageDate,TenantRef,SubscriptionId,SkuId,Quantity,QuantityBasis,UnitType,SourceRef\n"
       "microsoft,2026-11-01,7fc0393c-0fbe-44e1-9dac-4f75d8b4fa59,af9a3012-7e71-4b01-9ad4-ea3cfb5de146,"
       "CFQ7TTC0LH16:0001,31,snapshot,Licence/Month,nov-1\n",
       "2026-11");
  price("2026-11");
  ASSERT_TRUE(match("2026-11").ok());
  // One seat more than the 30 of the annual term, all month: 71.28 a year is 5.94 a month.
  EXPECT_EQ(found("2026-11"),
            (std::multiset<Row>{"QTY_MISMATCH,microsoft,T011,af9a3012-7e71-4b01-9ad4-ea3cfb5de146,CFQ7TTC0LH16:0001,-5.94,AUD"}));
}

TEST_F(MatchTest, CountsAndConsumptionOnOneSubscriptionDoNotCrashTheQuantityCheck) {
  load_bundled_sample();
  // A consumed record on T001's Business Premium subscription, under another SKU.
  feed(match::format("closebook-usage-v1"), "odd.csv",
       "Vendor,UsageDate,TenantRef,SubscriptionId,SkuId,Quantity,QuantityBasis,UnitType,SourceRef\n"
       "microsoft,2026-10-31,de6799dd-16e2-4542-8982-fcd5407b50a3,dc480acf-98b3-4b67-b73c-f9f0d92551b4,"
       "ZZZ:0001,7,consumed,1 Hour,odd-1\n",
       "2026-10");
  price("2026-10");
  auto receipt = match("2026-10");
  ASSERT_TRUE(receipt.ok()) << receipt.error().to_string();
}

}  // namespace
}  // namespace closebook
