// Reference data loads: the sample set loads, reloads add nothing, and every kind of bad
// file is refused with file, line and field — leaving the ledger exactly as it was.
#include <gtest/gtest.h>
#include <sodium.h>

#include "evidence/keyfile.h"
#include "ledger/ledger.h"
#include "match/reference.h"
#include "tests/test_util.h"

namespace closebook {
namespace {

using match::ReferenceKind;

class ReferenceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ledger_ = test::new_ledger(tmp_ / "l", key_);
  }

  // Plans and appends a load; returns the error if planning or appending failed.
  Result<ledger::AppendReceipt> load(ReferenceKind kind, const std::string& name, const std::string& text) {
    CB_TRY(ledger::Snapshot snap, ledger_->snapshot());
    CB_TRY(match::LoadPlan plan, match::plan_reference_load(kind, name, text, snap));
    return ledger_->append(plan.drafts, key_);
  }

  void load_sample(ReferenceKind kind, const char* file) {
    const std::string path = test::source_dir() + "/data/sample/" + file;
    auto r = load(kind, path, test::read_text(path));
    ASSERT_TRUE(r.ok()) << r.error().to_string();
  }

  void load_all_samples() {
    load_sample(ReferenceKind::kPartners, "partners.csv");
    load_sample(ReferenceKind::kTenants, "tenants.csv");
    load_sample(ReferenceKind::kRules, "rules.csv");
    load_sample(ReferenceKind::kFx, "fx.csv");
  }

  // Expects the load to fail naming file, line and field, and the ledger to be unchanged.
  Error expect_refused(ReferenceKind kind, const std::string& text) {
    auto snap = ledger_->snapshot().value();
    const uint64_t size_before = snap.size();
    const std::string cp_before = snap.latest_checkpoint().value();
    auto r = load(kind, "bad.csv", text);
    EXPECT_FALSE(r.ok());
    auto after = ledger_->snapshot().value();
    EXPECT_EQ(after.size(), size_before);
    EXPECT_EQ(after.latest_checkpoint().value(), cp_before);
    if (r.ok()) return Error::invalid("loaded");
    EXPECT_EQ(r.error().code, Code::kInvalidArgument);
    EXPECT_EQ(r.error().file, "bad.csv");
    return r.error();
  }

  test::TempDir tmp_;
  SigningKey key_ = SigningKey::generate("closebook.test/ref").value();
  std::unique_ptr<ledger::Ledger> ledger_;
};

constexpr const char* kPartnerHeader = "PartnerId,Name,Country,Currency,ResellerMpnId,MarginFloorPct\n";

TEST_F(ReferenceTest, TheSampleSetLoadsIntoTypedEntries) {
  load_all_samples();
  auto snap = ledger_->snapshot().value();
  EXPECT_EQ(snap.lookup("kind", "partner").value().size(), 5u);
  EXPECT_EQ(snap.lookup("kind", "ingest").value().size(), 4u);
  EXPECT_FALSE(snap.lookup("kind", "tenantEdge").value().empty());
  EXPECT_FALSE(snap.lookup("kind", "ruleVersion").value().empty());
  EXPECT_FALSE(snap.lookup("kind", "fxRate").value().empty());
  auto p2 = snap.entry(snap.lookup("partner", "P002").value().front()).value();
  EXPECT_STREQ(p2.reader().getKind().getPartner().getName().cStr(), "Blue Gum Networks, Pty Ltd");
}

TEST_F(ReferenceTest, LoadingTheSameFilesAgainAddsNothing) {
  load_all_samples();
  const std::string cp = ledger_->snapshot().value().latest_checkpoint().value();
  const uint64_t size = ledger_->snapshot().value().size();
  load_all_samples();
  EXPECT_EQ(ledger_->snapshot().value().size(), size);
  EXPECT_EQ(ledger_->snapshot().value().latest_checkpoint().value(), cp);
}

TEST_F(ReferenceTest, TheIngestEntryRecordsTheFileSha256AndRowCount) {
  const std::string text = std::string(kPartnerHeader) + "P1,One,AU,AUD,,\nP2,Two,AU,AUD,,\n";
  ASSERT_TRUE(load(ReferenceKind::kPartners, "p.csv", text).ok());
  auto snap = ledger_->snapshot().value();
  auto ingest = snap.entry(snap.lookup("kind", "ingest").value().front()).value();
  auto i = ingest.reader().getKind().getIngest();
  const Hash digest = sha256(text);
  EXPECT_EQ(to_hex(Bytes(i.getFileSha256().begin(), i.getFileSha256().size())), to_hex(digest));
  EXPECT_EQ(i.getRowCount(), 2u);
  EXPECT_STREQ(i.getFileName().cStr(), "p.csv");
}

TEST_F(ReferenceTest, AMissingRequiredColumnIsNamed) {
  Error e = expect_refused(ReferenceKind::kPartners, "PartnerId,Name,Country\nP1,One,AU\n");
  EXPECT_EQ(e.line, 1u);
  EXPECT_NE(e.to_string().find("Currency"), std::string::npos) << e.to_string();
}

TEST_F(ReferenceTest, ABadValueNamesFileLineAndField) {
  Error e = expect_refused(ReferenceKind::kPartners,
                           std::string(kPartnerHeader) + "P1,One,AU,AUD,,8\nP2,Two,AU,AUD,,\"12,5\"\n");
  EXPECT_EQ(e.line, 3u);
  EXPECT_EQ(e.field, "MarginFloorPct");
  EXPECT_NE(e.message.find("12,5"), std::string::npos) << e.to_string();
}

TEST_F(ReferenceTest, BadCodesAndEnumsAreRefused) {
  EXPECT_EQ(expect_refused(ReferenceKind::kPartners, std::string(kPartnerHeader) + "P1,One,Australia,AUD,,\n").field, "Country");
  EXPECT_EQ(expect_refused(ReferenceKind::kPartners, std::string(kPartnerHeader) + "P1,One,AU,aud,,\n").field, "Currency");
  EXPECT_EQ(expect_refused(ReferenceKind::kPartners, std::string(kPartnerHeader) + "P1,One,AU,AUD,,150\n").field, "MarginFloorPct");
}

TEST_F(ReferenceTest, ADuplicateKeyInOneFileIsRefused) {
  Error e = expect_refused(ReferenceKind::kPartners,
                           std::string(kPartnerHeader) + "P1,One,AU,AUD,,\nP1,Uno,AU,AUD,,\n");
  EXPECT_EQ(e.line, 3u);
  EXPECT_NE(e.message.find("line 2"), std::string::npos) << e.to_string();
}

TEST_F(ReferenceTest, AnEmptyFileIsRefused) {
  expect_refused(ReferenceKind::kPartners, "");
  expect_refused(ReferenceKind::kPartners, kPartnerHeader);
}

TEST_F(ReferenceTest, TenantEdgesMustNameAKnownPartner) {
  Error e = expect_refused(ReferenceKind::kTenants,
                           "TenantId,PartnerId,Vendor,IdType,IdValue,ValidFrom,ValidTo\n"
                           "T1,P404,microsoft,domain,a.example,2026-01-01,\n");
  EXPECT_EQ(e.field, "PartnerId");
  EXPECT_NE(e.message.find("load partners first"), std::string::npos);
}

class LoadedReferenceTest : public ReferenceTest {
 protected:
  void SetUp() override {
    ReferenceTest::SetUp();
    load_all_samples();
  }
};

constexpr const char* kTenantHeader = "TenantId,PartnerId,Vendor,IdType,IdValue,ValidFrom,ValidTo\n";

TEST_F(LoadedReferenceTest, OneIdentityCannotMapToTwoTenantsAtOnce) {
  // Same identity, overlapping dates, another tenant: ambiguous, refused (within the file).
  Error e = expect_refused(ReferenceKind::kTenants, std::string(kTenantHeader) +
                                                        "T900,P001,microsoft,domain,x.example,2026-01-01,\n"
                                                        "T901,P001,microsoft,domain,X.EXAMPLE,2026-06-01,\n");
  EXPECT_EQ(e.line, 3u);
  EXPECT_EQ(e.field, "IdValue");
  // And against the ledger.
  ASSERT_TRUE(load(ReferenceKind::kTenants, "t.csv", std::string(kTenantHeader) +
                                                         "T900,P001,microsoft,domain,x.example,2026-01-01,2026-05-31\n")
                  .ok());
  expect_refused(ReferenceKind::kTenants,
                 std::string(kTenantHeader) + "T901,P001,microsoft,domain,x.example,2026-05-01,\n");
  // A hand-over after the first edge ends is fine.
  EXPECT_TRUE(load(ReferenceKind::kTenants, "t2.csv",
                   std::string(kTenantHeader) + "T901,P001,microsoft,domain,x.example,2026-06-01,\n")
                  .ok());
}

TEST_F(LoadedReferenceTest, ValidToBeforeValidFromIsRefused) {
  Error e = expect_refused(ReferenceKind::kTenants, std::string(kTenantHeader) +
                                                        "T900,P001,microsoft,domain,y.example,2026-06-01,2026-05-01\n");
  EXPECT_EQ(e.field, "ValidTo");
}

constexpr const char* kRuleHeader =
    "RuleId,Version,Vendor,SkuId,PartnerId,EffectiveFrom,EffectiveTo,CostUnitPrice,CostCurrency,"
    "SellMethod,SellValue,SellCurrency,Unit,MarginFloorPct\n";

TEST_F(LoadedReferenceTest, APublishedRuleVersionCannotBeRestated) {
  Error e = expect_refused(ReferenceKind::kRules,
                           std::string(kRuleHeader) +
                               "R001,1,microsoft,CFQ7TTC0LCHC:0002,*,2025-04-01,,99.0000,AUD,markup_pct,11.00,AUD,Licence/Month,8.0\n");
  EXPECT_EQ(e.field, "Version");
  EXPECT_NE(e.message.find("publish a new version"), std::string::npos);
  EXPECT_TRUE(load(ReferenceKind::kRules, "r.csv",
                   std::string(kRuleHeader) +
                       "R001,9,microsoft,CFQ7TTC0LCHC:0002,*,2027-01-01,,99.0000,AUD,markup_pct,11.00,AUD,Licence/Month,8.0\n")
                  .ok());
}

TEST_F(LoadedReferenceTest, RuleFieldsAreValidated) {
  const std::string good_tail = ",AUD,markup_pct,11.00,AUD,Licence/Month,8.0\n";
  EXPECT_EQ(expect_refused(ReferenceKind::kRules, std::string(kRuleHeader) +
                                                      "R9,0,microsoft,S,*,2026-01-01,,1.00" + good_tail).field, "Version");
  EXPECT_EQ(expect_refused(ReferenceKind::kRules, std::string(kRuleHeader) +
                                                      "R9,1,microsoft,S,*,2026-01-01,,-1.00" + good_tail).field, "CostUnitPrice");
  EXPECT_EQ(expect_refused(ReferenceKind::kRules, std::string(kRuleHeader) +
                                                      "R9,1,microsoft,S,*,13/45/2026,,1.00" + good_tail).field, "EffectiveFrom");
  EXPECT_EQ(expect_refused(ReferenceKind::kRules, std::string(kRuleHeader) +
                                                      "R9,1,microsoft,S,P404,2026-01-01,,1.00" + good_tail).field, "PartnerId");
  EXPECT_EQ(expect_refused(ReferenceKind::kRules, std::string(kRuleHeader) +
                                                      "R9,1,microsoft,S,*,2026-01-01,,1.00,AUD,discount,1,AUD,Licence,\n").field, "SellMethod");
}

TEST_F(LoadedReferenceTest, ARecordedFxRateCannotBeRestated) {
  Error e = expect_refused(ReferenceKind::kFx, "Date,Base,Quote,Rate,Source\n2026-10-01,USD,AUD,9.9,RBA F11.1\n");
  EXPECT_EQ(e.field, "Rate");
  EXPECT_EQ(expect_refused(ReferenceKind::kFx, "Date,Base,Quote,Rate,Source\n2026-10-09,USD,AUD,0,RBA F11.1\n").field, "Rate");
  EXPECT_EQ(expect_refused(ReferenceKind::kFx, "Date,Base,Quote,Rate,Source\n2026-10-09,USD,AUD,1.23E+00,RBA\n").field, "Rate");
}

}  // namespace
}  // namespace closebook
