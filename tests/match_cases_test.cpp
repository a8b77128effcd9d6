// Match truth, case by case (docs/matching.md §8): the reported monthly seat report that was
// `matched` at 3% of the vendor's charge, feed cadences, NCE proration, duplicate cycle charges,
// money on every exception, and ids that cannot collide.
#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <map>
#include <regex>
#include <set>

#include "close/bundle.h"
#include "close/dispute.h"
#include "match/book.h"
#include "match/feeds.h"
#include "match/formats/profile.h"
#include "match/findings.h"
#include "match/pricing.h"
#include "match/queue.h"
#include "match/reference.h"
#include "match/three_way.h"
#include "tests/test_util.h"
#include "verify/rule_text.h"
#include "verify/verify.h"

namespace closebook {
namespace {

using match::ReferenceKind;

constexpr const char* kCustomer = "0b4f7c1e-3a52-4d6e-9a8b-1c2d3e4f5a6b";
constexpr const char* kSubscription = "5f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0";
constexpr const char* kNceHeader =
    "CustomerId,InvoiceNumber,OrderId,ProductId,SkuId,ChargeType,UnitPrice,EffectiveUnitPrice,Quantity,BillableQuantity,"
    "Subtotal,Currency,PricingCurrency,PCToBCExchangeRate,SubscriptionId,ChargeStartDate,ChargeEndDate,BillingFrequency\n";
constexpr const char* kUsageHeader = "Vendor,UsageDate,TenantRef,SubscriptionId,SkuId,Quantity,QuantityBasis,UnitType,SourceRef\n";


// Partner Center's published column layout (Microsoft Learn, "modern-invoice-reconciliation-file").
constexpr const char* kPublishedNceHeader =
    "PartnerId,CustomerId,CustomerName,CustomerDomainName,CustomerCountry,InvoiceNumber,MpnId,Tier2MpnId,OrderId,OrderDate,"
    "ProductId,SkuId,AvailabilityId,SkuName,ProductName,ChargeType,UnitPrice,Quantity,Subtotal,TaxTotal,Total,Currency,"
    "PriceAdjustmentDescription,PublisherName,PublisherId,SubscriptionDescription,SubscriptionId,ChargeStartDate,"
    "ChargeEndDate,TermAndBillingCycle,EffectiveUnitPrice,UnitType,AlternateId,BillableQuantity,BillingFrequency,"
    "PricingCurrency,PCToBCExchangeRate,PCToBCExchangeRateDate,MeterDescription,ReservationOrderId,CreditReasonCode,"
    "SubscriptionStartDate,SubscriptionEndDate,ReferenceId,ProductQualifiers,PromotionId,ProductCategory\n";

// One row of kSubscription in that layout, `values` by column name over a blank row.
std::string published(const std::map<std::string, std::string>& values) {
  std::map<std::string, std::string> v = {{"CustomerId", kCustomer}, {"SubscriptionId", kSubscription},
                                          {"InvoiceNumber", "G1"}, {"Currency", "AUD"}, {"PricingCurrency", "AUD"},
                                          {"PCToBCExchangeRate", "1"}};
  for (const auto& [column, value] : values) v[column] = value;
  const std::string header(kPublishedNceHeader, std::string(kPublishedNceHeader).size() - 1);
  std::string row;
  for (size_t from = 0, to; from <= header.size(); from = to + 1) {
    to = header.find(',', from);
    if (to == std::string::npos) to = header.size();
    const std::string& value = v[header.substr(from, to - from)];
    // RFC 4180: a value with a comma is quoted, as Partner Center quotes its own.
    row += std::string(from == 0 ? "" : ",") + (value.find(',') == std::string::npos ? value : "\"" + value + "\"");
  }
  return row + "\n";
}

class MatchCasesTest : public ::testing::Test {
 protected:
  void SetUp() override { fresh("l"); }
  // A new ledger with one partner, two tenants and three rules.
  void fresh(const std::string& dir) {
    ledger_.reset();
    ledger_dir_ = tmp_ / dir;
    ledger_ = test::new_ledger(ledger_dir_, key_);
    reference(ReferenceKind::kPartners, "PartnerId,Name,Country,Currency,ResellerMpnId,MarginFloorPct\nP001,One,AU,AUD,,\n");
    reference(ReferenceKind::kTenants,
              std::string("TenantId,PartnerId,Vendor,IdType,IdValue,ValidFrom,ValidTo\nT001,P001,microsoft,customer_id,") +
                  kCustomer + ",2020-01-01,\nT002,P001,dropsuite,org_id,DS-1,2020-01-01,\n");
    reference(ReferenceKind::kRules,
              "RuleId,Version,Vendor,SkuId,PartnerId,EffectiveFrom,EffectiveTo,CostUnitPrice,CostCurrency,SellMethod,"
              "SellValue,SellCurrency,Unit,MarginFloorPct\n"
              "R1,1,microsoft,CFQ7TTC0LFLX:0001,*,2020-01-01,,54.45,AUD,fixed,60.50,AUD,Licence/Month,\n"
              "R2,1,microsoft,CFQ7TTC0LCHC:0002,*,2020-01-01,,32.67,AUD,markup_pct,11,AUD,Licence/Month,\n"
              "R3,1,dropsuite,DS-BACKUP,*,2020-01-01,,2.50,AUD,markup_pct,20,AUD,Seat/Month,\n");
  }
  void reference(ReferenceKind kind, const std::string& csv) {
    append(match::plan_reference_load(kind, "ref.csv", csv, ledger_->snapshot().value()));
  }
  void append(const Result<match::LoadPlan>& plan) {
    ASSERT_TRUE(plan.ok()) << plan.error().to_string();
    ASSERT_TRUE(ledger_->append(const_cast<match::LoadPlan&>(*plan).drafts, key_).ok());
  }
  void feed(const match::Format& format, const std::string& text) {
    append(match::plan_feed_load(format, "feed-" + std::to_string(++files_) + ".csv", text, {"2026-10", nullptr}));
  }
  // One Partner Center row of kSubscription: ROUNDDOWN(ROUNDDOWN(EUP, 2) × billable, 2) is the caller's.
  static std::string nce(const std::string& sku, const std::string& charge, const std::string& order, const std::string& eup,
                         const std::string& quantity, const std::string& billable, const std::string& subtotal,
                         const std::string& from, const std::string& to) {
    const std::string product = sku.substr(0, sku.find(':')), id = sku.substr(sku.find(':') + 1);
    return std::string(kCustomer) + ",G1," + order + "," + product + "," + id + "," + charge + "," + eup + "," + eup + "," +
           quantity + "," + billable + "," + subtotal + ",AUD,AUD,1," + kSubscription + "," + from + "," + to + ",Monthly\n";
  }
  void close(const match::CloseConfig& config = match::CloseConfig::defaults()) {
    auto priced = match::plan_pricing(ledger_->snapshot().value(), {"2026-10", config});
    ASSERT_TRUE(priced.ok()) << priced.error().to_string();
    ASSERT_TRUE(ledger_->append(priced->drafts, key_).ok());
    auto matched = match::plan_match(ledger_->snapshot().value(), {"2026-10", config});
    ASSERT_TRUE(matched.ok()) << matched.error().to_string();
    ASSERT_TRUE(ledger_->append(matched->drafts, key_).ok());
    // Every case's honest close verifies: the verifier re-derives the match (docs/evidence.md R25–R30).
    auto replayed = verify::replay_ledger(ledger_dir_, key_.verifier());
    EXPECT_TRUE(replayed.ok()) << replayed.error().to_string();
  }
  std::vector<match::ExceptionState> exceptions() {
    return match::list_exceptions(ledger_->snapshot().value(), {"2026-10", std::nullopt, std::nullopt}).value();
  }
  std::multiset<std::string> found() {
    std::multiset<std::string> rows;
    for (const auto& e : exceptions()) rows.insert(std::string(match::category_name(e.category)) + " " + e.delta + " " + e.currency);
    return rows;
  }
  // The period's match results and priced lines, by kind.
  std::vector<DecodedEntry> of_kind(schema::Entry::Kind::Which which) {
    auto snap = ledger_->snapshot().value();
    std::vector<DecodedEntry> out;
    const std::vector<uint64_t> entries = snap.lookup("period", "2026-10").value();
    for (uint64_t i : entries) {
      auto e = snap.entry(i).value();
      if (e.reader().getKind().which() == which) out.push_back(std::move(e));
    }
    return out;
  }

  test::TempDir tmp_;
  SigningKey key_ = SigningKey::generate("closebook.test/match-cases").value();
  std::unique_ptr<ledger::Ledger> ledger_;
  std::string ledger_dir_;
  int files_ = 0;
};

// The reported case: 32 E3 seats charged for October (1742.40), a seat report of 32 dated
// 10-31. Read as a daily feed the count holds for one day: priced 1.032258 seats, and the key
// said `matched`. Now the priced leg is compared with the vendor's: 1742.40 − 56.21 is at stake.
TEST_F(MatchCasesTest, AMonthEndSeatReportReadAsDailyIsAQuantityMismatchWithTheMoneyAtStake) {
  feed(match::format("microsoft-nce"), std::string(kNceHeader) + nce("CFQ7TTC0LFLX:0001", "cycleCharge", "O1", "54.45", "32", "32",
                                                                "1742.40", "2026-10-01", "2026-10-31"));
  feed(match::format("closebook-usage-v1"), std::string(kUsageHeader) + "microsoft,2026-10-31," + kCustomer + "," + kSubscription +
                               ",CFQ7TTC0LFLX:0001,32,snapshot,Licence/Month,r1\n");
  close();
  const auto results = of_kind(schema::Entry::Kind::MATCH_RESULT);
  ASSERT_EQ(results.size(), 1u);
  auto r = results.front().reader().getKind().getMatchResult();
  EXPECT_EQ(r.getStatus(), schema::MatchResult::Status::MISMATCHED);
  EXPECT_STREQ(r.getPricedQuantity().cStr(), "1.032258");
  // (32 − 1.032258) × 54.45 = 1686.193...: what the vendor charges that the partner is not billed.
  EXPECT_EQ(found(), (std::multiset<std::string>{"QTY_MISMATCH 1686.19 AUD"}));
  const auto e = exceptions().front();
  ASSERT_EQ(e.legs.size(), 3u) << "vendor, usage and priced";
  EXPECT_EQ(e.legs[0].quantity, "32.000000");
  EXPECT_EQ(e.legs[1].quantity, "1.032258");
  EXPECT_EQ(e.legs[2].quantity, "1.032258");
}

// The same feed declared monthly in the close config: one count for the month, priced in full.
TEST_F(MatchCasesTest, AMonthlyCadenceBillsTheReportsCountForTheWholeMonthAndTheBundleVerifies) {
  feed(match::format("microsoft-nce"), std::string(kNceHeader) + nce("CFQ7TTC0LFLX:0001", "cycleCharge", "O1", "54.45", "32", "32",
                                                                "1742.40", "2026-10-01", "2026-10-31"));
  feed(match::format("closebook-usage-v1"), std::string(kUsageHeader) + "microsoft,2026-10-31," + kCustomer + "," + kSubscription +
                               ",CFQ7TTC0LFLX:0001,32,snapshot,Licence/Month,r1\n");
  auto config = match::CloseConfig::parse("c.json", R"({"feeds": {"Microsoft": {"cadence": "monthly"}}})");
  ASSERT_TRUE(config.ok()) << config.error().to_string();
  close(*config);
  EXPECT_TRUE(found().empty());
  const auto lines = of_kind(schema::Entry::Kind::PRICED_LINE);
  ASSERT_EQ(lines.size(), 1u);
  auto l = lines.front().reader().getKind().getPricedLine();
  EXPECT_STREQ(l.getQuantity().cStr(), "32");
  EXPECT_STREQ(l.getCadence().cStr(), "monthly");
  EXPECT_STREQ(l.getSellAmount().cStr(), "1936.00");
  // closebook-verify recomputes the line from its cadence and the report it cites.
  const std::string bundle = close::build_bundle(ledger_->snapshot().value(), close::BundleSubject::kLine, l.getLineId().cStr()).value();
  auto report = verify::check_bundle(bundle, key_.verifier());
  ASSERT_TRUE(report.ok()) << report.error().to_string();
  EXPECT_EQ(report->lines_recomputed, 1u);
}

TEST_F(MatchCasesTest, CadenceSettingsAreCheckedAndBackupVendorsDefaultToMonthly) {
  EXPECT_EQ(match::CloseConfig::defaults().cadence("dropsuite"), match::Cadence::MONTHLY);
  EXPECT_EQ(match::CloseConfig::defaults().cadence("microsoft"), match::Cadence::DAILY);
  for (const char* bad : {R"({"feeds": {"x": {"cadence": "hourly"}}})", R"({"feeds": {"x": {"cadance": "daily"}}})",
                          R"({"feeds": {"x": {"cadence": 7}}})", R"({"feeds": []})", R"({"feeds": {"x": "daily"}})"}) {
    auto parsed = match::CloseConfig::parse("c.json", bad);
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_NE(parsed.error().to_string().find("feeds"), std::string::npos) << parsed.error().to_string();
  }
}

// A weekly report stands for the 6 days before it; a daily one only from its date.
TEST_F(MatchCasesTest, AWeeklyFeedsFirstReportStandsForTheDaysBeforeIt) {
  feed(match::format("microsoft-nce"), std::string(kNceHeader) + nce("CFQ7TTC0LFLX:0001", "cycleCharge", "O1", "54.45", "10", "10",
                                                                "544.50", "2026-10-01", "2026-10-31"));
  feed(match::format("closebook-usage-v1"), std::string(kUsageHeader) + "microsoft,2026-10-05," + kCustomer + "," + kSubscription +
                               ",CFQ7TTC0LFLX:0001,10,snapshot,Licence/Month,w1\n");
  auto config = match::CloseConfig::parse("c.json", R"({"feeds": {"microsoft": {"cadence": "weekly"}}})").value();
  close(config);
  EXPECT_TRUE(found().empty());
  const auto lines = of_kind(schema::Entry::Kind::PRICED_LINE);
  const DecodedEntry& line = lines.front();
  EXPECT_STREQ(line.reader().getKind().getPricedLine().getQuantity().cStr(), "10.000000");
  const std::string bundle = close::build_bundle(ledger_->snapshot().value(), close::BundleSubject::kLine,
                                                 line.reader().getKind().getPricedLine().getLineId().cStr()).value();
  auto report = verify::check_bundle(bundle, key_.verifier());
  ASSERT_TRUE(report.ok()) << report.error().to_string();
  EXPECT_EQ(report->lines_recomputed, 1u);
}

// Partner Center prorates a mid-cycle charge by its unit price (EffectiveUnitPrice × 24/31,
// BillableQuantity = Quantity): the book cost prorated by the same days agrees with it. A
// full month's price for 24 days does not.
TEST_F(MatchCasesTest, AProratedUnitPriceIsNotACostRateMismatchButAFullPriceForPartOfACycleIs) {
  // 32.67 × 24/31 = 25.2929032258...; ROUNDDOWN(25.29 × 6, 2) = 151.74.
  feed(match::format("microsoft-nce"), std::string(kNceHeader) + nce("CFQ7TTC0LCHC:0002", "new", "O1", "25.292903225806", "6", "6",
                                                                "151.74", "2026-10-08", "2026-10-31"));
  feed(match::format("closebook-usage-v1"), std::string(kUsageHeader) + "microsoft,2026-10-08," + kCustomer + "," + kSubscription +
                               ",CFQ7TTC0LCHC:0002,6,snapshot,Licence/Month,n1\n");
  close();
  EXPECT_TRUE(found().empty());

  fresh("full-price");
  feed(match::format("microsoft-nce"), std::string(kNceHeader) + nce("CFQ7TTC0LCHC:0002", "new", "O1", "32.67", "6", "6",
                                                                "196.02", "2026-10-08", "2026-10-31"));
  feed(match::format("closebook-usage-v1"), std::string(kUsageHeader) + "microsoft,2026-10-08," + kCustomer + "," + kSubscription +
                               ",CFQ7TTC0LCHC:0002,6,snapshot,Licence/Month,n1\n");
  close();
  EXPECT_EQ(found(), (std::multiset<std::string>{"COST_RATE_MISMATCH 44.28 AUD"}));  // 196.02 − 151.74
}

// Two cycle charges for one cycle are a duplicate whatever their order ids and quantities; seat
// additions on other days, and an add/remove pair, are not.
TEST_F(MatchCasesTest, ASecondCycleChargeForTheSameCycleIsADuplicateChargeUnderAnotherOrderId) {
  feed(match::format("microsoft-nce"),
       std::string(kNceHeader) +
           nce("CFQ7TTC0LFLX:0001", "cycleCharge", "O1", "54.45", "10", "10", "544.50", "2026-10-01", "2026-10-31") +
           nce("CFQ7TTC0LFLX:0001", "cycleCharge", "O2", "54.45", "12", "12", "653.40", "2026-10-01", "2026-10-31") +
           nce("CFQ7TTC0LFLX:0001", "addQuantity", "O3", "54.45", "2", "1.419355", "77.28", "2026-10-10", "2026-10-31") +
           nce("CFQ7TTC0LFLX:0001", "addQuantity", "O4", "54.45", "1", "0.387097", "21.07", "2026-10-20", "2026-10-31") +
           nce("CFQ7TTC0LFLX:0001", "addQuantity", "O5", "54.45", "3", "0.387097", "21.07", "2026-10-20", "2026-10-31") +
           nce("CFQ7TTC0LFLX:0001", "removeQuantity", "O6", "54.45", "3", "-0.387097", "-21.07", "2026-10-20", "2026-10-31"));
  feed(match::format("closebook-usage-v1"), std::string(kUsageHeader) + "microsoft,2026-10-01," + kCustomer + "," + kSubscription +
                               ",CFQ7TTC0LFLX:0001,10,snapshot,Licence/Month,d1\n" + "microsoft,2026-10-10," + kCustomer + "," +
                               kSubscription + ",CFQ7TTC0LFLX:0001,12,snapshot,Licence/Month,d2\n" + "microsoft,2026-10-20," +
                               kCustomer + "," + kSubscription + ",CFQ7TTC0LFLX:0001,13,snapshot,Licence/Month,d3\n");
  close();
  // Only the second cycle charge is a copy; every leg agrees without it.
  EXPECT_EQ(found(), (std::multiset<std::string>{"DUPLICATE_CHARGE 653.40 AUD"}));
}

// What cannot be priced is valued at what the vendor charges for it.
TEST_F(MatchCasesTest, AnUnpricedSkuCarriesTheVendorsChargeAsItsMoneyAtStake) {
  feed(match::format("generic"),
       "Vendor,InvoiceNumber,LineRef,TenantRef,SubscriptionId,SkuId,ChargeStartDate,ChargeEndDate,Quantity,UnitPrice,Subtotal,Currency\n"
       "dropsuite,DS-10,1,DS-1,DSS-1,DS-ARCHIVE,2026-10-01,2026-10-31,40,1.10,44.00,AUD\n");
  feed(match::format("closebook-usage-v1"), std::string(kUsageHeader) + "dropsuite,2026-10-28,DS-1,DSS-1,DS-ARCHIVE,40,snapshot,Seat/Month,a1\n");
  close();
  EXPECT_EQ(found(), (std::multiset<std::string>{"NO_PRICING_RULE 44.00 AUD"}));
}

// 128-bit ids: 100,000 different findings have 100,000 different ids, and a second dispute on a
// line is a dispute of its own, open, not the first one's state under a shared id.
TEST_F(MatchCasesTest, ExceptionIdsDoNotCollideAtAHundredThousandAndDisputesStayApart) {
  std::set<std::string> ids;
  match::Finding f;
  f.category = match::Category::QTY_MISMATCH;
  for (int i = 0; i < 100000; ++i) {
    f.subject = "microsoft|sub-" + std::to_string(i) + "|quantity";
    const std::string id = match::exception_id("2026-10", f);
    EXPECT_EQ(id.size(), std::string("EX-2026-10-QTY_MISMATCH-").size() + 2 * match::kIdBytes);
    ids.insert(id);
  }
  EXPECT_EQ(ids.size(), 100000u);

  feed(match::format("microsoft-nce"), std::string(kNceHeader) + nce("CFQ7TTC0LFLX:0001", "cycleCharge", "O1", "54.45", "2", "2",
                                                                "108.90", "2026-10-01", "2026-10-31"));
  feed(match::format("closebook-usage-v1"), std::string(kUsageHeader) + "microsoft,2026-10-01," + kCustomer + "," + kSubscription +
                               ",CFQ7TTC0LFLX:0001,2,snapshot,Licence/Month,x1\n");
  close();
  const std::string line = of_kind(schema::Entry::Kind::PRICED_LINE).front().reader().getKind().getPricedLine().getLineId().cStr();
  std::vector<std::string> exception_ids;
  for (const char* reason : {"seat count wrong", "price wrong"}) {
    auto plan = close::plan_dispute(ledger_->snapshot().value(),
                                    {"P001", line, reason, Decimal::parse("10.00").value(), "", "partner"},
                                    match::CloseConfig::defaults());
    ASSERT_TRUE(plan.ok()) << plan.error().to_string();
    ASSERT_TRUE(ledger_->append(plan->drafts, key_).ok());
    exception_ids.push_back(plan->exception_id);
    // The first dispute is waived before the second is raised.
    if (exception_ids.size() == 1) {
      auto state = match::find_exception(ledger_->snapshot().value(), plan->exception_id);
      ASSERT_TRUE(state.ok()) << state.error().to_string();
      match::UpdateRequest waive;
      waive.action = match::UpdateAction::WAIVE;
      waive.actor = "ops";
      waive.note = "raised twice";
      auto draft = match::plan_update(*state, waive);
      ASSERT_TRUE(draft.ok()) << draft.error().to_string();
      std::vector<ledger::Draft> drafts;
      drafts.push_back(std::move(*draft));
      ASSERT_TRUE(ledger_->append(drafts, key_).ok());
    }
  }
  ASSERT_NE(exception_ids[0], exception_ids[1]);
  std::map<std::string, schema::ExceptionStatus> status;
  for (const auto& e : exceptions()) status[e.id] = e.status;
  EXPECT_EQ(status.at(exception_ids[0]), schema::ExceptionStatus::WAIVED);
  EXPECT_EQ(status.at(exception_ids[1]), schema::ExceptionStatus::OPEN);
}

}  // namespace
}  // namespace closebook

namespace closebook {
namespace {

// Pricing again after a rule version that changes the whole month is published: the new
// line replaces the old one for the same days, never bills beside it (docs/evidence.md R15).
TEST_F(MatchCasesTest, RepricingAfterANewRuleVersionBillsEachDayOnce) {
  feed(match::format("microsoft-nce"), std::string(kNceHeader) + nce("CFQ7TTC0LFLX:0001", "cycleCharge", "O1", "54.45", "4", "4",
                                                                "217.80", "2026-10-01", "2026-10-31"));
  feed(match::format("closebook-usage-v1"), std::string(kUsageHeader) + "microsoft,2026-10-01," + kCustomer + "," + kSubscription +
                               ",CFQ7TTC0LFLX:0001,4,snapshot,Licence/Month,r1\n");
  auto priced = match::plan_pricing(ledger_->snapshot().value(), {"2026-10"});
  ASSERT_TRUE(ledger_->append(priced->drafts, key_).ok());
  reference(ReferenceKind::kRules,
            "RuleId,Version,Vendor,SkuId,PartnerId,EffectiveFrom,EffectiveTo,CostUnitPrice,CostCurrency,SellMethod,"
            "SellValue,SellCurrency,Unit,MarginFloorPct\n"
            "R1,2,microsoft,CFQ7TTC0LFLX:0001,*,2026-10-01,,54.45,AUD,fixed,61.00,AUD,Licence/Month,\n");
  close();
  std::map<std::string, std::string> current;  // lineId -> quantity, the latest entry of each
  for (const auto& e : of_kind(schema::Entry::Kind::PRICED_LINE)) {
    auto l = e.reader().getKind().getPricedLine();
    current[l.getLineId().cStr()] = std::string(l.getQuantity().cStr()) + " at " + l.getSellUnitPrice().cStr();
  }
  Decimal billed;
  for (const auto& [id, q] : current) {
    if (q.rfind("0 ", 0) != 0) billed = billed.add(Decimal::parse(q.substr(0, q.find(' '))).value()).value();
  }
  EXPECT_EQ(billed, Decimal::from_int(4)) << "4 seats, billed once";
  ledger_.reset();
  auto replayed = verify::replay_ledger(tmp_ / "l", key_.verifier());
  EXPECT_TRUE(replayed.ok()) << replayed.error().to_string();
}

}  // namespace
}  // namespace closebook

namespace closebook {
namespace {

// The reported case: an annual renewal with BillingFrequency blank was compared as monthly (its
// 1960.20 against 5 × 32.67). TermAndBillingCycle and the year-long window say it is annual:
// the book's 32.67 × 12 × 5 = 1960.20, and October's share 1960.20 × 31 ÷ 365 matches.
TEST_F(MatchCasesTest, AnAnnualRenewalWithBlankBillingFrequencyIsComparedAsAnnual) {
  feed(match::format("microsoft-nce"),
       std::string(kPublishedNceHeader) +
           published({{"OrderId", "O1"}, {"ProductId", "CFQ7TTC0LCHC"}, {"SkuId", "0002"}, {"ChargeType", "Renew"},
                      {"UnitPrice", "392.04"}, {"EffectiveUnitPrice", "392.04"}, {"Quantity", "5"}, {"BillableQuantity", "5"},
                      {"Subtotal", "1960.20"}, {"ChargeStartDate", "10/1/2026"}, {"ChargeEndDate", "9/30/2027"},
                      {"TermAndBillingCycle", "One-Year commitment for monthly/yearly billing"}, {"BillingFrequency", ""},
                      {"UnitType", "Licenses"}}));
  feed(match::format("closebook-usage-v1"), std::string(kUsageHeader) + "microsoft,2026-10-01," + kCustomer + "," + kSubscription +
                                                ",CFQ7TTC0LCHC:0002,5,snapshot,Licence/Month,a1\n");
  close();
  EXPECT_TRUE(found().empty()) << *found().begin();
  const auto results = of_kind(schema::Entry::Kind::MATCH_RESULT);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results.front().reader().getKind().getMatchResult().getStatus(), schema::MatchResult::Status::MATCHED);
}

// The reported case: an Azure plan meter valued by the licence formula, ROUNDDOWN(0.0684, 2) ×
// 1234.5678 = 74.07, was a false COST_RATE_MISMATCH against the 84.44 Partner Center bills by its
// usage formula, ROUNDDOWN(ROUNDDOWN(0.0684 × 1234.5678, 2) × 1, 2). Read as usage-based (a
// MeterDescription, no billing plan) it matches to the cent; the same row read as a licence does not.
TEST_F(MatchCasesTest, AnAzureMeterIsValuedByTheUsageFormulaToTheCent) {
  const std::string rule =
      "RuleId,Version,Vendor,SkuId,PartnerId,EffectiveFrom,EffectiveTo,CostUnitPrice,CostCurrency,SellMethod,"
      "SellValue,SellCurrency,Unit,MarginFloorPct\nR4,1,microsoft,DZH318Z0BNZ5:006G,*,2020-01-01,,0.0684,AUD,markup_pct,10,AUD,GB,\n";
  const std::string usage = std::string(kUsageHeader) + "microsoft,2026-10-31," + kCustomer + "," + kSubscription +
                            ",DZH318Z0BNZ5:006G,1234.5678,consumed,GB,z1\n";
  auto row = [](bool meter) {
    return published({{"OrderId", "O1"}, {"ProductId", "DZH318Z0BNZ5"}, {"SkuId", "006G"}, {"ChargeType", "New"},
                      {"SkuName", "Tables - LRS"}, {"UnitPrice", "0.0684"}, {"EffectiveUnitPrice", "0.0684"},
                      {"Quantity", "1"}, {"BillableQuantity", "1234.5678"}, {"Subtotal", "84.44"},
                      {"ChargeStartDate", "10/1/2026"}, {"ChargeEndDate", "10/31/2026"}, {"UnitType", "1 GB/Month"},
                      {"BillingFrequency", meter ? "" : "Monthly"},
                      {"MeterDescription", meter ? "Tables - Data Stored (GB/month)" : ""}});
  };
  reference(ReferenceKind::kRules, rule);
  feed(match::format("microsoft-nce"), std::string(kPublishedNceHeader) + row(true));
  feed(match::format("closebook-usage-v1"), usage);
  close();
  EXPECT_TRUE(found().empty()) << *found().begin();

  fresh("as-licence");
  reference(ReferenceKind::kRules, rule);
  feed(match::format("microsoft-nce"), std::string(kPublishedNceHeader) + row(false));
  feed(match::format("closebook-usage-v1"), usage);
  close();
  EXPECT_EQ(found().count("COST_RATE_MISMATCH 10.37 AUD"), 1u);  // 84.44 − 74.07
}

// ---------------------------------------------------------------------------------------
// Azure pricing (docs/matching.md §3.1): rule versions for SKU patterns and meter categories,
// cost-plus on the price Partner Center's daily rated usage carries.

constexpr const char* kAzureRules =
    "RuleId,Version,Vendor,SkuId,PartnerId,EffectiveFrom,EffectiveTo,CostUnitPrice,CostCurrency,SellMethod,SellValue,"
    "SellCurrency,Unit,MarginFloorPct,MeterCategory,CostSource\n"
    "AZ,1,microsoft,DZH318Z0*,*,2020-01-01,,,,markup_pct,15,AUD,unit,,,vendor\n"
    "AZ-STORAGE,1,microsoft,DZH318Z0*,*,2020-01-01,,,,markup_pct,20,AUD,unit,,Storage,vendor\n";

// Rows of kSubscription in the daily rated usage layout (tests/vendor-layouts), `values` by
// column over a blank row.
std::string daily_rated(const std::vector<std::map<std::string, std::string>>& rows) {
  std::ifstream in(test::source_dir() + "/tests/vendor-layouts/microsoft-azure-daily-rated.csv", std::ios::binary);
  std::string header;
  std::getline(in, header);
  if (!header.empty() && header.back() == '\r') header.pop_back();
  std::string out = header + "\n";
  for (const auto& values : rows) {
    std::map<std::string, std::string> v = {{"CustomerId", kCustomer}, {"SubscriptionId", kSubscription}, {"ChargeType", "new"},
                                            {"BillingCurrency", "AUD"}, {"PricingCurrency", "USD"}, {"PCToBCExchangeRate", "1.521838"}};
    for (const auto& [column, value] : values) v[column] = value;
    std::string row;
    for (size_t from = 0, to; from <= header.size(); from = to + 1) {
      to = header.find(',', from);
      if (to == std::string::npos) to = header.size();
      row += std::string(from == 0 ? "" : ",") + v[header.substr(from, to - from)];
    }
    out += row + "\n";
  }
  return out;
}

class AzurePricingTest : public MatchCasesTest {
 protected:
  void SetUp() override {
    MatchCasesTest::SetUp();
    reference(ReferenceKind::kFx, "Date,Base,Quote,Rate,Source\n2026-10-01,USD,AUD,1.521838,RBA F11.1\n");
    reference(ReferenceKind::kRules, kAzureRules);
    // Two days of a D4s v5 VM and a day of page blob storage, each at Microsoft's price in USD.
    auto reader = match::find_reader("microsoft-azure-daily-rated", schema::Ingest::Source::USAGE);
    ASSERT_TRUE(reader.ok());
    auto vm = [](const std::string& day, const std::string& hours) {
      return std::map<std::string, std::string>{{"ProductId", "DZH318Z0BQ3Q"}, {"SkuId", "00T9"}, {"UsageDate", day},
                                                {"ChargeStartDate", "10/1/2026"}, {"ChargeEndDate", "10/31/2026"},
                                                {"MeterCategory", "Virtual Machines"}, {"MeterId", "2d6b0f3e"}, {"MeterName", "D4s v5"},
                                                {"Quantity", hours}, {"UnitType", "1 Hour"}, {"EffectiveUnitPrice", "0.2108000000"}};
    };
    auto storage = std::map<std::string, std::string>{{"ProductId", "DZH318Z0BNZ5"}, {"SkuId", "006G"}, {"UsageDate", "10/1/2026"},
                                                      {"ChargeStartDate", "10/1/2026"}, {"ChargeEndDate", "10/31/2026"},
                                                      {"MeterCategory", "Storage"}, {"MeterId", "9c3e8a1f"}, {"MeterName", "LRS Data Stored"},
                                                      {"Quantity", "3.266129"}, {"UnitType", "1 GB/Month"}, {"EffectiveUnitPrice", "0.0448800000"}};
    append(match::plan_reader_load(*reader, "daily-rated.csv", daily_rated({vm("10/1/2026", "24"), vm("10/2/2026", "23.500004"), storage}),
                                   {}));
  }
  // Partner Center's invoice rows for the two meters, by its usage formula at `vm_price`.
  void invoice(const std::string& vm_price, const std::string& vm_subtotal) {
    auto meter = [](const std::string& product, const std::string& sku, const std::string& price, const std::string& billable,
                    const std::string& subtotal) {
      return published({{"OrderId", "A1"}, {"ProductId", product}, {"SkuId", sku}, {"ChargeType", "New"}, {"UnitPrice", price},
                        {"EffectiveUnitPrice", price}, {"Quantity", "1"}, {"BillableQuantity", billable}, {"Subtotal", subtotal},
                        {"PricingCurrency", "USD"}, {"PCToBCExchangeRate", "1.521838"}, {"ChargeStartDate", "10/1/2026"},
                        {"ChargeEndDate", "10/31/2026"}, {"MeterDescription", "Azure plan meter"}});
    };
    feed(match::format("microsoft-nce"), std::string(kPublishedNceHeader) + meter("DZH318Z0BQ3Q", "00T9", vm_price, "47.500004", vm_subtotal) +
                                             // ROUNDDOWN(ROUNDDOWN(0.04488 × 3.266129, 2) × 1.521838, 2) = 0.21
                                             meter("DZH318Z0BNZ5", "006G", "0.04488", "3.266129", "0.21"));
  }
  schema::PricedLine::Reader line_of(const std::vector<DecodedEntry>& lines, const std::string& sku) {
    for (const DecodedEntry& e : lines) {
      if (std::string(e.reader().getKind().getPricedLine().getSkuId().cStr()) == sku) return e.reader().getKind().getPricedLine();
    }
    ADD_FAILURE() << "no priced line of " << sku;
    return lines.front().reader().getKind().getPricedLine();
  }
};

// Each meter is priced by the pattern rule for its meter category, else the general one, at
// Microsoft's own price (cost-plus), and matches Partner Center's invoice to the cent:
// ROUNDDOWN(ROUNDDOWN(0.2108 × 47.500004, 2) × 1.521838, 2) = 15.23.
TEST_F(AzurePricingTest, MetersArePricedCostPlusByTheirPatternRuleAndMatch) {
  invoice("0.2108", "15.23");
  close();
  EXPECT_TRUE(found().empty()) << *found().begin();
  const auto lines = of_kind(schema::Entry::Kind::PRICED_LINE);
  ASSERT_EQ(lines.size(), 2u);
  auto vm = line_of(lines, "DZH318Z0BQ3Q:00T9");
  const auto snapshot = ledger_->snapshot().value();
  const match::LineCostInfo vm_cost = match::line_cost(snapshot, vm).value();  // sealed (docs/evidence.md §5)
  EXPECT_EQ(vm_cost.rule_id, "AZ");
  EXPECT_EQ(vm_cost.cost_unit.to_string(), "0.2108000000");
  EXPECT_EQ(vm_cost.cost_currency, "USD");
  EXPECT_STREQ(vm.getQuantity().cStr(), "47.500004");
  EXPECT_EQ(vm_cost.cost_amount.to_string(), "15.24");  // ROUND_HALF_EVEN(0.2108 × 1.521838 × 47.500004, 2): the lock's rate
  auto storage = line_of(lines, "DZH318Z0BNZ5:006G");
  const match::LineCostInfo storage_cost = match::line_cost(snapshot, storage).value();
  EXPECT_EQ(storage_cost.rule_id, "AZ-STORAGE");
  EXPECT_EQ(storage_cost.cost_unit.to_string(), "0.0448800000");
  for (const auto& e : of_kind(schema::Entry::Kind::MATCH_RESULT)) {
    EXPECT_EQ(e.reader().getKind().getMatchResult().getStatus(), schema::MatchResult::Status::MATCHED);
  }
  // The line's bundle carries the pattern rules that may price it, and verifies.
  auto bundle = close::build_bundle(ledger_->snapshot().value(), close::BundleSubject::kLine, vm.getLineId().cStr());
  ASSERT_TRUE(bundle.ok()) << bundle.error().to_string();
  auto checked = verify::check_bundle(*bundle, key_.verifier());
  EXPECT_TRUE(checked.ok()) << checked.error().to_string();
  // The partner's bundle of it: the rated usage carries Microsoft's price — the distributor's
  // cost on a cost-plus line — so it is withheld with the LineCost (docs/evidence.md §5); the
  // line's sell amount is still recomputed and its usage proven in the log by hash.
  auto partner = close::build_bundle(ledger_->snapshot().value(), close::BundleSubject::kLine, vm.getLineId().cStr(),
                                     close::Audience::kPartner);
  ASSERT_TRUE(partner.ok()) << partner.error().to_string();
  for (const char* secret : {"vendorUnitPrice", "vendorAmount", "0.2108", "15.24", "costUnitPrice"}) {
    EXPECT_EQ(partner->find(secret), std::string::npos) << secret;
  }
  auto partner_checked = verify::check_bundle(*partner, key_.verifier());
  ASSERT_TRUE(partner_checked.ok()) << partner_checked.error().to_string();
  EXPECT_EQ(partner_checked->lines_usage_withheld, 1u);
  EXPECT_GE(partner_checked->withheld, 3u);  // its LineCost and two days of rated usage
}

// Microsoft invoicing the VM above the price its rated usage carried: the partner's line rests
// on a cost the vendor does not charge (check 12): (0.25 − 0.2108) × 1.521838 × 47.500004 = 2.83.
TEST_F(AzurePricingTest, AnInvoicePriceOtherThanTheRatedUsagesIsACostRateMismatch) {
  invoice("0.25", "18.06");  // ROUNDDOWN(ROUNDDOWN(0.25 × 47.500004, 2) × 1.521838, 2)
  close();
  EXPECT_EQ(found().count("COST_RATE_MISMATCH 2.83 AUD"), 1u) << (found().empty() ? "nothing" : *found().begin());
}

// A forger holding the log key prices the storage meter by the general rule although the
// storage rule outranks it (R12), or at a price its usage does not carry (R14): refused.
class AzureForgeryTest : public AzurePricingTest {
 protected:
  // `edit` changes the storage meter line's LineCost (its cost and rule, docs/evidence.md §5).
  void forge(const std::function<void(schema::LineCost::Builder)>& edit, const std::string& rule) {
    invoice("0.2108", "15.23");
    auto priced = match::plan_pricing(ledger_->snapshot().value(), {"2026-10", match::CloseConfig::defaults()});
    ASSERT_TRUE(priced.ok());
    auto& drafts = priced->drafts;
    for (size_t i = 1; i < drafts.size(); ++i) {
      auto k = drafts[i].entry().getKind();
      if (k.isPricedLine() && std::string(k.getPricedLine().getSkuId().cStr()) == "DZH318Z0BNZ5:006G") {
        edit(drafts[i - 1].entry().getKind().getLineCost());
      }
    }
    ASSERT_TRUE(ledger_->append(priced->drafts, key_).ok());
    auto replayed = verify::replay_ledger(ledger_dir_, key_.verifier());
    ASSERT_FALSE(replayed.ok()) << "accepted";
    EXPECT_NE(replayed.error().message.find(rule + ":"), std::string::npos) << replayed.error().to_string();
  }
};

TEST_F(AzureForgeryTest, TheGeneralRuleWhereTheMeterCategorysOutranksItIsRefused) {
  auto snap = ledger_->snapshot().value();
  const std::vector<uint64_t> az = snap.lookup("rule", "AZ").value();
  ASSERT_EQ(az.size(), 1u);
  const std::optional<match::Ref> general = match::Ref{az[0], snap.entry(az[0]).value().hash()};
  forge([&](schema::LineCost::Builder l) {
    l.getRule().setIndex(general->index);
    l.getRule().setHash(capnp::Data::Reader(general->hash.data(), general->hash.size()));
    l.setRuleId("AZ");
  }, "R12");
}

TEST_F(AzureForgeryTest, ACostPlusLineAtAPriceItsUsageDoesNotCarryIsRefused) {
  forge([](schema::LineCost::Builder l) { l.setCostUnitPrice("0.0400000000"); }, "R14");
}

TEST_F(MatchCasesTest, RulesForPatternsAndCostPlusAreCheckedAsTheyLoad) {
  const std::string header =
      "RuleId,Version,Vendor,SkuId,PartnerId,EffectiveFrom,EffectiveTo,CostUnitPrice,CostCurrency,SellMethod,SellValue,"
      "SellCurrency,Unit,MarginFloorPct,MeterCategory,CostSource\n";
  auto refused = [&](const std::string& row, const std::string& column) {
    auto plan = match::plan_reference_load(ReferenceKind::kRules, "rules.csv", header + row + "\n", ledger_->snapshot().value());
    ASSERT_FALSE(plan.ok()) << row;
    EXPECT_NE(plan.error().to_string().find("field " + column), std::string::npos) << plan.error().to_string();
  };
  refused("AZ,1,microsoft,DZH318Z0*,*,2020-01-01,,0.10,USD,markup_pct,15,AUD,unit,,,vendor", "CostUnitPrice");
  refused("AZ,1,microsoft,DZH318Z0*,*,2020-01-01,,,,fixed,15,AUD,unit,,,vendor", "SellMethod");
  refused("AZ,1,microsoft,DZH318Z0BQ3Q:00T9,*,2020-01-01,,0.10,USD,markup_pct,15,AUD,unit,,Storage,", "MeterCategory");
  refused("AZ,1,microsoft,DZH318Z0*,*,2020-01-01,,0.10,USD,markup_pct,15,AUD,unit,,,both", "CostSource");
  refused("AZ,1,microsoft,DZH318Z0*,*,2020-01-01,,,,markup_pct,15,AUD,unit,,,", "CostUnitPrice");  // a rule's own cost, not given
}

// A refunding charge type counts negative: 10 seats all month, cancelled from 10/21 (Partner
// Center writes the cancelled seats as a positive Quantity), against usage that drops to 0
// then: V = U = P = 10 × 20 ÷ 31, and nothing is raised.
TEST_F(MatchCasesTest, ACancelCountsItsSeatsNegative) {
  feed(match::format("microsoft-nce"),
       std::string(kPublishedNceHeader) +
           published({{"OrderId", "O1"}, {"ProductId", "CFQ7TTC0LFLX"}, {"SkuId", "0001"}, {"ChargeType", "cycleCharge"},
                      {"UnitPrice", "54.45"}, {"EffectiveUnitPrice", "54.45"}, {"Quantity", "10"}, {"BillableQuantity", "10"},
                      {"Subtotal", "544.50"}, {"ChargeStartDate", "10/1/2026"}, {"ChargeEndDate", "10/31/2026"},
                      {"TermAndBillingCycle", "One-Month commitment for monthly billing"}, {"BillingFrequency", "Monthly"}}) +
           // ROUNDDOWN(54.45 × 3.548387, 2) = 193.20 refunded for 11 of 31 days.
           published({{"OrderId", "O2"}, {"ProductId", "CFQ7TTC0LFLX"}, {"SkuId", "0001"}, {"ChargeType", "cancelImmediate"},
                      {"UnitPrice", "54.45"}, {"EffectiveUnitPrice", "54.45"}, {"Quantity", "10"}, {"BillableQuantity", "3.548387"},
                      {"Subtotal", "-193.20"}, {"ChargeStartDate", "10/21/2026"}, {"ChargeEndDate", "10/31/2026"},
                      {"TermAndBillingCycle", "One-Month commitment for monthly billing"}, {"BillingFrequency", "Monthly"}}));
  feed(match::format("closebook-usage-v1"), std::string(kUsageHeader) + "microsoft,2026-10-01," + kCustomer + "," + kSubscription +
                                                ",CFQ7TTC0LFLX:0001,10,snapshot,Licence/Month,c1\nmicrosoft,2026-10-21," + kCustomer +
                                                "," + kSubscription + ",CFQ7TTC0LFLX:0001,0,snapshot,Licence/Month,c2\n");
  close();
  EXPECT_TRUE(found().empty()) << *found().begin();
  const auto results = of_kind(schema::Entry::Kind::MATCH_RESULT);
  ASSERT_EQ(results.size(), 1u);
  auto r = results.front().reader().getKind().getMatchResult();
  EXPECT_EQ(r.getStatus(), schema::MatchResult::Status::MATCHED);
  EXPECT_STREQ(r.getVendorQuantity().cStr(), "6.451613");
}

}  // namespace
}  // namespace closebook

namespace closebook {
namespace {

// A SKU pattern (docs/matching.md §3.1) matches as its std::regex translation does ("*" is
// ".*", every other character itself), for the writer's matcher and the verifier's, over
// every pattern and SKU of up to 5 characters from a small alphabet, and the cases that matter.
TEST(SkuPatternTest, WriterAndVerifierMatchAsTheRegexOracleDoes) {
  const std::string alphabet = "ab:*";
  auto all = [&](size_t most) {
    std::vector<std::string> out{""};
    for (size_t from = 0; from < out.size(); ++from) {
      if (out[from].size() == most) continue;
      for (char c : alphabet) out.push_back(out[from] + c);
    }
    return out;
  };
  const std::vector<std::string> patterns = all(4), skus = all(5);
  size_t checked = 0;
  for (const std::string& pattern : patterns) {
    std::string re;
    for (char c : pattern) re += c == '*' ? std::string(".*") : std::string(1, c);
    const std::regex oracle(re);
    for (const std::string& sku : skus) {
      if (sku.find('*') != std::string::npos) continue;
      const bool want = std::regex_match(sku, oracle);
      ASSERT_EQ(match::sku_matches(pattern, sku), want) << pattern << " " << sku;
      ASSERT_EQ(verify::pattern_matches(pattern, sku), want) << pattern << " " << sku;
      ++checked;
    }
  }
  EXPECT_GT(checked, 10000u);
  EXPECT_TRUE(match::sku_matches("DZH318Z0*", "DZH318Z0BQ3Q:00T9"));
  EXPECT_FALSE(match::sku_matches("DZH318Z0*", "CFQ7TTC0LH16:0001"));
  EXPECT_TRUE(match::sku_matches("*:00T9", "DZH318Z0BQ3Q:00T9"));
}

}  // namespace
}  // namespace closebook
