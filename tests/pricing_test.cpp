// Pricing: seat-days, rule versions by day, partner precedence, FX locks, and everything
// that cannot be priced becoming an exception rather than a zero.
#include <gtest/gtest.h>
#include <sodium.h>

#include "evidence/keyfile.h"
#include "match/feeds.h"
#include "match/margin.h"
#include "match/pricing.h"
#include "match/reference.h"
#include "tests/test_util.h"

namespace closebook {
namespace {

using match::ReferenceKind;

const std::string kPartners =
    "PartnerId,Name,Country,Currency,ResellerMpnId,MarginFloorPct\n"
    "P1,One,AU,AUD,,5\nP2,Two,AU,AUD,,5\nP3,Three,NZ,NZD,,5\n";
const std::string kTenants =
    "TenantId,PartnerId,Vendor,IdType,IdValue,ValidFrom,ValidTo\n"
    "T1,P1,microsoft,customer_id,aaaa,2026-01-01,\n"
    "T2,P1,acme,org_id,org-2,2026-01-01,2026-10-20\n"
    "T2,P2,acme,org_id,org-2,2026-10-21,\n"
    "T3,P3,acme,org_id,org-3,2026-01-01,\n";
const std::string kRuleHeader =
    "RuleId,Version,Vendor,SkuId,PartnerId,EffectiveFrom,EffectiveTo,CostUnitPrice,CostCurrency,"
    "SellMethod,SellValue,SellCurrency,Unit,MarginFloorPct\n";
const std::string kFx =
    "Date,Base,Quote,Rate,Source\n"
    "2026-09-30,USD,AUD,1.50,RBA\n2026-10-01,USD,AUD,1.60,RBA\n2026-10-02,USD,AUD,9.99,RBA\n";
const std::string kUsageHeader = "Vendor,UsageDate,TenantRef,SubscriptionId,SkuId,Quantity,QuantityBasis,UnitType,SourceRef\n";

class PricingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ledger_ = test::new_ledger(tmp_ / "l", key_);
    load(ReferenceKind::kPartners, kPartners);
    load(ReferenceKind::kTenants, kTenants);
    load(ReferenceKind::kFx, kFx);
  }

  void load(ReferenceKind kind, const std::string& text) {
    auto snap = ledger_->snapshot().value();
    auto plan = match::plan_reference_load(kind, "ref.csv", text, snap);
    ASSERT_TRUE(plan.ok()) << plan.error().to_string();
    ASSERT_TRUE(ledger_->append(plan->drafts, key_).ok());
  }
  void rules(const std::string& rows) { load(ReferenceKind::kRules, kRuleHeader + rows); }
  void usage(const std::string& rows) {
    auto plan = match::plan_feed_load(match::format("closebook-usage-v1"), "u.csv", kUsageHeader + rows, {});
    ASSERT_TRUE(plan.ok()) << plan.error().to_string();
    ASSERT_TRUE(ledger_->append(plan->drafts, key_).ok());
  }

  // Prices 2026-10 and returns the new entries of the pricing batch.
  std::vector<DecodedEntry> price() {
    auto snap = ledger_->snapshot().value();
    auto plan = match::plan_pricing(snap, {"2026-10"});
    EXPECT_TRUE(plan.ok()) << plan.error().to_string();
    auto receipt = ledger_->append(plan->drafts, key_).value();
    std::vector<DecodedEntry> out;
    auto after = ledger_->snapshot().value();
    for (const auto& a : receipt.entries) {
      if (!a.duplicate) out.push_back(after.entry(a.index).value());
    }
    return out;
  }

  static std::vector<schema::PricedLine::Reader> lines(const std::vector<DecodedEntry>& entries) {
    std::vector<schema::PricedLine::Reader> out;
    for (const auto& e : entries) {
      if (e.reader().getKind().isPricedLine()) out.push_back(e.reader().getKind().getPricedLine());
    }
    return out;
  }
  // Each line's LineCost (docs/evidence.md §5: its cost, margin and rule), in the order of lines().
  static std::vector<schema::LineCost::Reader> costs(const std::vector<DecodedEntry>& entries) {
    std::vector<schema::LineCost::Reader> out;
    for (auto l : lines(entries)) {
      for (const auto& e : entries) {
        if (e.reader().getIndex() == l.getCost().getIndex() && e.reader().getKind().isLineCost()) out.push_back(e.reader().getKind().getLineCost());
      }
    }
    EXPECT_EQ(out.size(), lines(entries).size()) << "every line is sealed with its LineCost";
    return out;
  }
  static std::vector<schema::Exception::Reader> exceptions(const std::vector<DecodedEntry>& entries) {
    std::vector<schema::Exception::Reader> out;
    for (const auto& e : entries) {
      if (e.reader().getKind().isException()) out.push_back(e.reader().getKind().getException());
    }
    return out;
  }

  test::TempDir tmp_;
  SigningKey key_ = SigningKey::generate("closebook.test/pricing").value();
  std::unique_ptr<ledger::Ledger> ledger_;
};

TEST_F(PricingTest, SeatCountsArePricedBySeatDays) {
  rules("R1,1,microsoft,SKU,*,2026-01-01,,10.00,AUD,markup_pct,10,AUD,Seat,\n");
  usage("microsoft,2026-10-01,AAAA,sub-1,SKU,2,snapshot,Seat,s1\n"
        "microsoft,2026-10-20,aaaa,sub-1,SKU,3,snapshot,Seat,s2\n"
        "microsoft,2026-10-31,aaaa,sub-1,SKU,3,peak,Seat,s3\n");
  auto entries = price();
  auto ls = lines(entries);
  auto cs = costs(entries);
  ASSERT_EQ(ls.size(), 1u);
  EXPECT_STREQ(ls[0].getQuantity().cStr(), "2.387097");  // (2 × 19 + 3 × 12) / 31
  EXPECT_EQ(ls[0].getQuantityBasis(), schema::UsageRecord::QuantityBasis::SNAPSHOT);
  EXPECT_STREQ(cs[0].getCostAmount().cStr(), "23.87");
  EXPECT_STREQ(ls[0].getSellUnitPrice().cStr(), "11.0000");
  EXPECT_STREQ(ls[0].getSellAmount().cStr(), "26.26");  // 11 × 2.387097 = 26.258067
  EXPECT_STREQ(cs[0].getMarginAmount().cStr(), "2.39");
  EXPECT_STREQ(ls[0].getTenantId().cStr(), "T1");
  EXPECT_EQ(ls[0].getUsage().size(), 2u);  // the two snapshots it sums
  EXPECT_FALSE(ls[0].hasFxLock());
  EXPECT_TRUE(exceptions(entries).empty());
}

TEST_F(PricingTest, ARuleVersionChangeMidPeriodSplitsTheLineByDays) {
  rules("R1,1,microsoft,SKU,*,2026-01-01,2026-10-14,10.00,AUD,fixed,12,AUD,Seat,\n"
        "R1,2,microsoft,SKU,*,2026-10-15,,11.00,AUD,fixed,13,AUD,Seat,\n");
  usage("microsoft,2026-10-01,aaaa,sub-1,SKU,31,snapshot,Seat,s1\n");
  const auto entries = price();
  auto ls = lines(entries);
  auto cs = costs(entries);
  ASSERT_EQ(ls.size(), 2u);
  EXPECT_EQ(cs[0].getRuleVersion(), 1u);
  EXPECT_EQ(ls[0].getProrationDays(), 14u);
  EXPECT_STREQ(ls[0].getQuantity().cStr(), "14.000000");
  EXPECT_EQ(cs[1].getRuleVersion(), 2u);
  EXPECT_EQ(ls[1].getProrationDays(), 17u);
  EXPECT_STREQ(cs[1].getCostAmount().cStr(), "187.00");
}

TEST_F(PricingTest, APartnersOwnRuleBeatsTheGeneralOneAndAPartnerMoveSplitsTheLine) {
  rules("R1,1,acme,SKU,*,2026-01-01,,1.00,AUD,fixed,2,AUD,Seat,\n"
        "R2,1,acme,SKU,P2,2026-01-01,,1.00,AUD,fixed,3,AUD,Seat,\n");
  usage("acme,2026-10-01,org-2,sub-2,SKU,31,snapshot,Seat,s1\n");
  const auto entries = price();
  auto ls = lines(entries);
  auto cs = costs(entries);
  ASSERT_EQ(ls.size(), 2u);
  EXPECT_STREQ(ls[0].getPartnerId().cStr(), "P1");
  EXPECT_STREQ(cs[0].getRuleId().cStr(), "R1");
  EXPECT_EQ(ls[0].getProrationDays(), 20u);
  EXPECT_STREQ(ls[1].getPartnerId().cStr(), "P2");
  EXPECT_STREQ(cs[1].getRuleId().cStr(), "R2");
  EXPECT_STREQ(ls[1].getSellAmount().cStr(), "33.00");  // 11 seat-days × 3
}

TEST_F(PricingTest, ForeignCostIsConvertedAtTheLockedRateAndTheLockIsCited) {
  rules("R1,1,acme,SKU,*,2026-01-01,,2.00,USD,markup_pct,25,AUD,Seat,\n");
  usage("acme,2026-10-31,org-2,sub-2,SKU,10,peak,Seat,s1\n");
  auto entries = price();
  ASSERT_TRUE(entries[0].reader().getKind().isFxLock());
  auto lock = entries[0].reader().getKind().getFxLock();
  EXPECT_STREQ(lock.getRate().cStr(), "1.60");  // dated on the first day; 10-02's is later
  EXPECT_STREQ(lock.getRateDate().cStr(), "2026-10-01");
  auto ls = lines(entries);
  auto cs = costs(entries);
  ASSERT_EQ(ls.size(), 2u);  // the tenant moved partner on 10-21
  EXPECT_EQ(ls[0].getFxLock().getIndex(), entries[0].reader().getIndex());
  EXPECT_EQ(to_hex(Bytes(ls[0].getFxLock().getHash().begin(), 32)), to_hex(entries[0].hash()));
  EXPECT_STREQ(cs[0].getCostAmount().cStr(), "20.65");  // 2.00 × 1.60 × 10 × 20/31 = 20.645161
}

TEST_F(PricingTest, WhatCannotBePricedIsAnExceptionNotAZero) {
  rules("R1,1,acme,OTHER,*,2026-01-01,,1.00,EUR,fixed,2,AUD,Seat,\n");
  usage("acme,2026-10-31,org-3,sub-3,NORULE,5,consumed,GB,s1\n"
        "acme,2026-10-31,org-404,sub-4,OTHER,5,consumed,GB,s2\n"
        "acme,2026-10-31,org-2,sub-5,OTHER,5,consumed,GB,s3\n");
  auto entries = price();
  EXPECT_TRUE(lines(entries).empty());
  auto ex = exceptions(entries);
  ASSERT_EQ(ex.size(), 3u);
  std::map<std::string, std::string> by_sku;
  for (auto e : ex) by_sku[e.getSkuId().cStr()] += std::string(match::category_name(e.getCategory())) + " " + e.getSummary().cStr() + ";";
  EXPECT_NE(by_sku["NORULE"].find("NO_PRICING_RULE no rule version"), std::string::npos) << by_sku["NORULE"];
  EXPECT_NE(by_sku["OTHER"].find("TENANT_UNRESOLVED"), std::string::npos) << by_sku["OTHER"];
  EXPECT_NE(by_sku["OTHER"].find("no EUR/AUD rate"), std::string::npos) << by_sku["OTHER"];
  for (auto e : ex) {
    EXPECT_EQ(e.getStatus(), schema::ExceptionStatus::OPEN);
    EXPECT_FALSE(std::string(e.getOwner().cStr()).empty());
    EXPECT_STREQ(e.getDueDate().cStr(), e.getCategory() == schema::Category::TENANT_UNRESOLVED ? "2026-11-02" : "2026-11-03");
    EXPECT_GT(e.getEvidence().size(), 0u);
  }
}

TEST_F(PricingTest, AMarginBelowTheFloorRaisesABreachCitingTheLine) {
  rules("R1,1,acme,SKU,*,2026-01-01,,10.00,AUD,fixed,10.20,AUD,Seat,10\n");
  usage("acme,2026-10-31,org-2,sub-2,SKU,100,consumed,GB,s1\n");
  auto entries = price();
  auto ls = lines(entries);
  auto cs = costs(entries);
  ASSERT_EQ(ls.size(), 1u);
  EXPECT_STREQ(cs[0].getMarginAmount().cStr(), "20.00");  // sell 1020.00, cost 1000.00
  auto ex = exceptions(entries);
  ASSERT_EQ(ex.size(), 1u);
  EXPECT_EQ(ex[0].getCategory(), schema::Category::MARGIN_FLOOR_BREACH);
  EXPECT_STREQ(ex[0].getDelta().cStr(), "82.00");  // the 10% floor is 102.00
  EXPECT_STREQ(ex[0].getCurrency().cStr(), "AUD");
  EXPECT_FALSE(ex[0].getBlocking());
  ASSERT_EQ(ex[0].getEvidence().size(), 2u);  // the rule version and the priced line
  const DecodedEntry* line_entry = nullptr;
  for (const auto& e : entries) {
    if (e.reader().getKind().isPricedLine()) line_entry = &e;
  }
  ASSERT_NE(line_entry, nullptr);
  EXPECT_EQ(ex[0].getEvidence()[1].getIndex(), line_entry->reader().getIndex());
}

TEST_F(PricingTest, TheMarginReportSumsCurrentLinesAndCountsBreachesPerCurrency) {
  rules("R1,1,acme,SKU,*,2026-01-01,,10.00,AUD,fixed,10.20,AUD,Seat,10\n"
        "R2,1,acme,SKU2,*,2026-01-01,,1.00,AUD,fixed,2.00,AUD,Seat,\n");
  usage("acme,2026-10-31,org-2,sub-2,SKU,100,consumed,GB,s1\nacme,2026-10-31,org-2,sub-3,SKU2,10,consumed,GB,s2\n");
  price();
  auto rows = match::margin_report(ledger_->snapshot().value(), "2026-10", match::MarginBy::kSku).value();
  ASSERT_EQ(rows.size(), 3u);  // two SKUs and the AUD total
  EXPECT_EQ(rows[0].key, "SKU");
  EXPECT_EQ(rows[0].floor_breaches, 1u);
  EXPECT_EQ(rows[0].margin_pct, "1.96");  // 20.00 / 1020.00
  EXPECT_EQ(rows[1].key, "SKU2");
  EXPECT_EQ(rows[1].margin.to_string(), "10.00");
  EXPECT_EQ(rows[2].key, "*");
  EXPECT_EQ(rows[2].lines, 2u);
  EXPECT_EQ(rows[2].cost.to_string(), "1010.00");
  EXPECT_EQ(rows[2].sell.to_string(), "1040.00");
  EXPECT_EQ(rows[2].floor_breaches, 1u);
}

TEST_F(PricingTest, PricingTwiceAppendsNothingTheSecondTime) {
  rules("R1,1,microsoft,SKU,*,2026-01-01,,10.00,AUD,markup_pct,10,AUD,Seat,\n");
  usage("microsoft,2026-10-01,aaaa,sub-1,SKU,2,snapshot,Seat,s1\n");
  EXPECT_FALSE(price().empty());
  EXPECT_TRUE(price().empty());
}

TEST_F(PricingTest, UsageMixingConsumptionWithCountsIsNotPriced) {
  rules("R1,1,acme,SKU,*,2026-01-01,,1.00,AUD,fixed,2,AUD,Seat,\n");
  usage("acme,2026-10-01,org-2,sub-2,SKU,3,snapshot,Seat,s1\nacme,2026-10-05,org-2,sub-2,SKU,3,consumed,Seat,s2\n");
  auto entries = price();
  EXPECT_TRUE(lines(entries).empty());
  ASSERT_EQ(exceptions(entries).size(), 1u);
  EXPECT_EQ(exceptions(entries)[0].getCategory(), schema::Category::QTY_MISMATCH);
}

}  // namespace
}  // namespace closebook
