// Vendor feeds: Partner Center NCE files load as Partner Center writes them; generic invoices
// and usage load; every bad value is refused with file, line and field; loads are atomic and
// idempotent, and identical rows in one file stay distinct charges.
#include <gtest/gtest.h>
#include <sodium.h>

#include <cctype>
#include <map>

#include "evidence/keyfile.h"
#include "ledger/ledger.h"
#include "match/feeds.h"
#include "match/vendor_lines.h"
#include "tests/test_util.h"

namespace closebook {
namespace {


// Partner Center's own quirks: BOM, CRLF, extra columns, Tier2MpnId, mixed ChargeType casing,
// M/D/YYYY dates, 22-digit prices, a quoted comma in a name.
const std::string kNceHeader =
    "\xEF\xBB\xBFPartnerId,CustomerId,CustomerName,CustomerDomainName,CustomerCountry,InvoiceNumber,"
    "MpnId,Tier2MpnId,OrderId,OrderDate,ProductId,SkuId,AvailabilityId,SkuName,ProductName,ChargeType,"
    "UnitPrice,Quantity,Subtotal,TaxTotal,Total,Currency,PriceAdjustmentDescription,PublisherName,"
    "PublisherId,SubscriptionDescription,SubscriptionId,ChargeStartDate,ChargeEndDate,TermAndBillingCycle,"
    "EffectiveUnitPrice,UnitType,AlternateId,BillableQuantity,BillingFrequency,PricingCurrency,"
    "PCToBCExchangeRate,PCToBCExchangeRateDate,MeterDescription,ReservationOrderId,CreditReasonCode,"
    "SubscriptionStartDate,SubscriptionEndDate,ReferenceId,ProductQualifiers,PromotionId,ProductCategory\r\n";

std::string nce_row(const std::string& customer, const std::string& name, const std::string& charge,
                    const std::string& quantity, const std::string& subtotal) {
  return "a1b2c3d4-0000-4000-8000-000000000001," + customer + ",\"" + name +
         "\",contoso.onmicrosoft.com,AU,G012345678,1234567,6120431,ord-1,10/1/2026,CFQ7TTC0LCHC,0002,"
         "CFQ7TTC0K7Q8,Microsoft 365 Business Premium,Microsoft 365 Business Premium," + charge +
         ",32.670000000000000000000," + quantity + "," + subtotal + ",3.27,35.94,AUD,,Microsoft Corporation,"
         "MSFT,M365 BP,9D2C0D0B-AAAA-4BBB-8CCC-000000000001,10/1/2026,10/31/2026,1 Month,"
         "21.46999999999999999999,Licenses,alt-1," + quantity + ",Monthly,USD,1.521838,2026-10-01,,,,"
         "10/1/2026,9/30/2027,ref-1,,,Microsoft 365\r\n";
}


// One row in Partner Center's published column order (kNceHeader), from a cycleCharge of 10
// Business Premium licences for October with `values` replacing columns by name.
std::string published_row(const std::map<std::string, std::string>& values) {
  std::map<std::string, std::string> v = {
      {"PartnerId", "a1b2c3d4-0000-4000-8000-000000000001"}, {"CustomerId", "de6799dd-16e2-4542-8982-fcd5407b50a3"},
      {"CustomerName", "Harbour Dental"}, {"CustomerDomainName", "contoso.onmicrosoft.com"}, {"CustomerCountry", "AU"},
      {"InvoiceNumber", "G012345678"}, {"MpnId", "1234567"}, {"Tier2MpnId", "6120431"}, {"OrderId", "ord-1"},
      {"OrderDate", "10/1/2026"}, {"ProductId", "CFQ7TTC0LCHC"}, {"SkuId", "0002"}, {"AvailabilityId", "CFQ7TTC0K7Q8"},
      {"SkuName", "Microsoft 365 Business Premium"}, {"ProductName", "Microsoft 365 Business Premium"},
      {"ChargeType", "cycleCharge"}, {"UnitPrice", "32.67"}, {"Quantity", "10"}, {"Subtotal", "326.70"},
      {"TaxTotal", "32.67"}, {"Total", "359.37"}, {"Currency", "AUD"}, {"PublisherName", "Microsoft Corporation"},
      {"PublisherId", "MSFT"}, {"SubscriptionDescription", "M365 BP"},
      {"SubscriptionId", "9d2c0d0b-aaaa-4bbb-8ccc-000000000001"}, {"ChargeStartDate", "10/1/2026"},
      {"ChargeEndDate", "10/31/2026"}, {"TermAndBillingCycle", "One-Year commitment, monthly billing"},
      {"EffectiveUnitPrice", "32.67"}, {"UnitType", "Licenses"}, {"AlternateId", "alt-1"}, {"BillableQuantity", "10"},
      {"BillingFrequency", "Monthly"}, {"PricingCurrency", "AUD"}, {"PCToBCExchangeRate", "1"},
      {"PCToBCExchangeRateDate", "2026-10-01"}, {"SubscriptionStartDate", "10/1/2026"},
      {"SubscriptionEndDate", "9/30/2027"}, {"ReferenceId", "ref-1"}, {"ProductCategory", "Microsoft 365"}};
  for (const auto& [column, value] : values) v[column] = value;
  std::string header = kNceHeader.substr(3, kNceHeader.size() - 5), row;
  for (size_t from = 0, to; from <= header.size(); from = to + 1) {
    to = header.find(',', from);
    if (to == std::string::npos) to = header.size();
    const std::string& value = v[header.substr(from, to - from)];
    // RFC 4180: a value with a comma is quoted, as Partner Center quotes its own.
    row += std::string(from == 0 ? "" : ",") + (value.find(',') == std::string::npos ? value : "\"" + value + "\"");
  }
  return row + "\r\n";
}

class FeedsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ledger_ = test::new_ledger(tmp_ / "l", key_);
  }

  Result<ledger::AppendReceipt> ingest(const match::Format& format, const std::string& name, const std::string& text,
                                       const std::string& period = "") {
    CB_TRY(match::LoadPlan plan, match::plan_feed_load(format, name, text, {period, {}}));
    return ledger_->append(plan.drafts, key_);
  }

  Error expect_refused(const match::Format& format, const std::string& text) {
    const std::string before = ledger_->snapshot().value().latest_checkpoint().value();
    auto r = ingest(format, "bad.csv", text);
    EXPECT_FALSE(r.ok());
    EXPECT_EQ(ledger_->snapshot().value().latest_checkpoint().value(), before);
    if (r.ok()) return Error::invalid("loaded");
    EXPECT_EQ(r.error().file, "bad.csv");
    return r.error();
  }

  DecodedEntry entry(uint64_t i) { return ledger_->snapshot().value().entry(i).value(); }

  test::TempDir tmp_;
  SigningKey key_ = SigningKey::generate("closebook.test/feeds").value();
  std::unique_ptr<ledger::Ledger> ledger_;
};

TEST_F(FeedsTest, APartnerCenterFileLoadsAsPartnerCenterWritesIt) {
  const std::string file = kNceHeader +
                           nce_row("DE6799DD-16E2-4542-8982-FCD5407B50A3", "Harbour Dental, Pty Ltd", "CycleCharge", "10", "326.70");
  auto r = ingest(match::format("microsoft-nce"), "nce.csv", file);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->new_entry_count, 2u);  // the ingest entry and one line
  auto l = entry(2).reader().getKind().getInvoiceLine();
  EXPECT_STREQ(l.getVendor().cStr(), "microsoft");
  EXPECT_STREQ(l.getTenantRef().cStr(), "de6799dd-16e2-4542-8982-fcd5407b50a3");
  EXPECT_STREQ(l.getCustomerName().cStr(), "Harbour Dental, Pty Ltd");
  EXPECT_STREQ(l.getResellerMpnId().cStr(), "6120431");  // from Tier2MpnId
  EXPECT_STREQ(l.getSkuId().cStr(), "CFQ7TTC0LCHC:0002");
  EXPECT_STREQ(l.getChargeType().cStr(), "cyclecharge");
  EXPECT_STREQ(l.getChargeStartDate().cStr(), "2026-10-01");
  EXPECT_STREQ(l.getChargeEndDate().cStr(), "2026-10-31");
  EXPECT_STREQ(l.getEffectiveUnitPrice().cStr(), "21.46999999999999999999");
  EXPECT_STREQ(l.getUnitPrice().cStr(), "32.670000000000000000000");
  EXPECT_STREQ(l.getFxRate().cStr(), "1.521838");
  EXPECT_STREQ(l.getSubscriptionId().cStr(), "9d2c0d0b-aaaa-4bbb-8ccc-000000000001");
  EXPECT_STREQ(l.getPeriod().cStr(), "2026-10");
  EXPECT_EQ(l.getSource().getLine(), 2u);
  auto ingest_entry = entry(1).reader().getKind().getIngest();
  EXPECT_EQ(ingest_entry.getSource(), schema::Ingest::Source::VENDOR_INVOICE);
  EXPECT_STREQ(ingest_entry.getFormat().cStr(), "microsoft-nce");
  EXPECT_EQ(ingest_entry.getRowCount(), 1u);
}

TEST_F(FeedsTest, IdenticalRowsInOneFileAreTwoChargesAndAReloadAddsNothing) {
  const std::string row = nce_row("de6799dd-16e2-4542-8982-fcd5407b50a3", "Harbour Dental", "cycleCharge", "10", "326.70");
  const std::string file = kNceHeader + row + row;
  auto first = ingest(match::format("microsoft-nce"), "nce.csv", file).value();
  EXPECT_EQ(first.new_entry_count, 3u);
  auto again = ingest(match::format("microsoft-nce"), "nce.csv", file).value();
  EXPECT_EQ(again.new_entry_count, 0u);
  // A re-export of the same rows (LF line ends, no BOM: another file hash) adds no lines.
  std::string reexport = file.substr(3);
  for (size_t at; (at = reexport.find("\r\n")) != std::string::npos;) reexport.replace(at, 2, "\n");
  auto r = ingest(match::format("microsoft-nce"), "nce-reexport.csv", reexport).value();
  EXPECT_EQ(r.new_entry_count, 1u);  // only its own ingest entry
  // A third identical row in a new file is a new charge.
  auto third = ingest(match::format("microsoft-nce"), "nce-3.csv", kNceHeader + row + row + row).value();
  EXPECT_EQ(third.new_entry_count, 2u);
}

TEST_F(FeedsTest, BadNceValuesNameTheLineAndColumn) {
  const std::string good = nce_row("de6799dd-16e2-4542-8982-fcd5407b50a3", "Harbour Dental", "cycleCharge", "10", "326.70");
  Error e = expect_refused(match::format("microsoft-nce"),
                           kNceHeader + good + nce_row("x", "Y", "cycleCharge", "1.23E+05", "326.70"));
  EXPECT_EQ(e.line, 3u);
  EXPECT_EQ(e.field, "Quantity");
  e = expect_refused(match::format("microsoft-nce"), kNceHeader + nce_row("x", "Y", "refundish", "1", "1"));
  EXPECT_EQ(e.field, "ChargeType");
  std::string swapped = good;
  swapped.replace(swapped.find("10/31/2026"), 10, "9/30/2026");
  e = expect_refused(match::format("microsoft-nce"), kNceHeader + swapped);
  EXPECT_EQ(e.field, "ChargeEndDate");
  e = expect_refused(match::format("microsoft-nce"), "CustomerId,InvoiceNumber\nx,y\n");
  EXPECT_EQ(e.line, 1u);
  EXPECT_NE(e.message.find("ProductId"), std::string::npos) << e.to_string();
}


// Every charge type Partner Center documents for new commerce loads, stored lower-case, and
// means what its format says; a type it does not document refuses the file at its line and column.
TEST_F(FeedsTest, EveryNewCommerceChargeTypeLoadsAndAnUnknownOneIsRefusedAtItsLineAndColumn) {
  const std::vector<std::string> types = {"new", "Renew", "cycleCharge", "addQuantity", "removeQuantity", "moveQuantity",
                                          "convert", "changeBillingPlan", "extendTerm", "Cancel", "cancelImmediate",
                                          "customerCredit", "creditNote"};
  std::string file = kNceHeader;
  for (const std::string& t : types) file += published_row({{"ChargeType", t}, {"OrderId", "ord-" + t}});
  auto r = ingest(match::format("microsoft-nce"), "types.csv", file);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->new_entry_count, types.size() + 1);
  std::map<std::string, match::ChargeRole> roles;
  for (size_t i = 0; i < types.size(); ++i) {
    const DecodedEntry e = entry(i + 2);
    auto l = e.reader().getKind().getInvoiceLine();
    std::string expected;
    for (char ch : types[i]) expected += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    EXPECT_EQ(l.getChargeType().cStr(), expected);
    auto v = match::vendor_line(e);
    ASSERT_TRUE(v.ok()) << v.error().to_string();
    roles[expected] = v->role;
  }
  EXPECT_EQ(roles.at("new"), match::ChargeRole::kCycle);
  EXPECT_EQ(roles.at("renew"), match::ChargeRole::kCycle);
  EXPECT_EQ(roles.at("cyclecharge"), match::ChargeRole::kCycle);
  EXPECT_EQ(roles.at("addquantity"), match::ChargeRole::kChange);
  EXPECT_EQ(roles.at("removequantity"), match::ChargeRole::kChange);
  EXPECT_EQ(roles.at("convert"), match::ChargeRole::kChange);
  EXPECT_EQ(roles.at("movequantity"), match::ChargeRole::kChange);
  EXPECT_EQ(roles.at("changebillingplan"), match::ChargeRole::kChange);
  EXPECT_EQ(roles.at("extendterm"), match::ChargeRole::kChange);
  EXPECT_EQ(roles.at("creditnote"), match::ChargeRole::kCredit);
  EXPECT_EQ(roles.at("cancel"), match::ChargeRole::kRefund);
  EXPECT_EQ(roles.at("cancelimmediate"), match::ChargeRole::kRefund);
  EXPECT_EQ(roles.at("customercredit"), match::ChargeRole::kCredit);

  for (const std::string unknown : {"trialConversion", "refundish", "Cycle fee"}) {
    Error e = expect_refused(match::format("microsoft-nce"),
                             kNceHeader + published_row({}) + published_row({{"ChargeType", unknown}}));
    EXPECT_EQ(e.line, 3u) << unknown;
    EXPECT_EQ(e.field, "ChargeType") << unknown;
    EXPECT_NE(e.message.find(unknown), std::string::npos) << e.to_string();
  }
}

// A refunding type counts negative whatever sign Partner Center writes its quantity with; a
// change within a cycle is signed by its amount (removeQuantity is documented as both the
// refund of the original purchase and the charge for the new quantity).
TEST_F(FeedsTest, ARefundTypeCountsNegativeAndAChangeIsSignedByItsAmount) {
  const std::string file = kNceHeader +
                           published_row({{"ChargeType", "cancelImmediate"}, {"Quantity", "4"}, {"BillableQuantity", "4"},
                                          {"Subtotal", "0"}, {"OrderId", "o-1"}}) +
                           published_row({{"ChargeType", "removeQuantity"}, {"Quantity", "8"}, {"BillableQuantity", "8"},
                                          {"Subtotal", "261.36"}, {"OrderId", "o-2"}}) +
                           published_row({{"ChargeType", "removeQuantity"}, {"Quantity", "10"}, {"BillableQuantity", "10"},
                                          {"Subtotal", "-326.70"}, {"OrderId", "o-3"}});
  ASSERT_TRUE(ingest(match::format("microsoft-nce"), "refunds.csv", file).ok());
  auto cancel = match::vendor_line(entry(2)).value();
  EXPECT_EQ(cancel.quantity, Decimal::from_int(-4));
  EXPECT_EQ(cancel.billable, Decimal::from_int(-4));
  EXPECT_EQ(match::vendor_line(entry(3)).value().quantity, Decimal::from_int(8));
  EXPECT_EQ(match::vendor_line(entry(4)).value().quantity, Decimal::from_int(-10));
}

// With BillingFrequency blank, the cycle is read from TermAndBillingCycle: its one billing plan,
// a one-month term, or the window of a charge that always covers a whole cycle; what none of
// these decides refuses the file rather than be read as monthly.
TEST_F(FeedsTest, TermAndBillingCycleGivesTheCycleWhenBillingFrequencyIsBlank) {
  struct Case {
    std::string term, charge, start, end, frequency;
  };
  const std::vector<Case> cases = {
      {"One-Year commitment, annual billing", "addQuantity", "10/20/2026", "9/30/2027", "annual"},
      {"One-Year commitment for monthly billing", "addQuantity", "10/20/2026", "10/31/2026", "monthly"},
      {"One-Month commitment for monthly billing", "new", "10/8/2026", "10/31/2026", "monthly"},
      {"1 Month", "cycleCharge", "10/1/2026", "10/31/2026", "monthly"},
      {"1 Year", "renew", "10/1/2026", "9/30/2027", "annual"},
      {"One-Year commitment for monthly/yearly billing", "renew", "10/1/2026", "9/30/2027", "annual"},
      {"One-Year commitment for monthly/yearly billing", "cycleCharge", "10/15/2026", "11/14/2026", "monthly"},
      {"3 Years", "renew", "10/1/2026", "9/30/2029", "triennial"},
      {"Three-Year commitment, triennial billing", "addQuantity", "10/20/2026", "9/30/2029", "triennial"},
  };
  std::string file = kNceHeader;
  for (size_t i = 0; i < cases.size(); ++i) {
    file += published_row({{"TermAndBillingCycle", cases[i].term}, {"BillingFrequency", ""}, {"ChargeType", cases[i].charge},
                           {"ChargeStartDate", cases[i].start}, {"ChargeEndDate", cases[i].end},
                           {"OrderId", "o-" + std::to_string(i)}});
  }
  // BillingFrequency, when Partner Center writes it, decides.
  file += published_row({{"TermAndBillingCycle", "One-Year commitment, monthly billing"}, {"BillingFrequency", "Annual"},
                         {"ChargeType", "renew"}, {"ChargeEndDate", "9/30/2027"}, {"OrderId", "o-bf"}});
  auto r = ingest(match::format("microsoft-nce"), "terms.csv", file);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  for (size_t i = 0; i < cases.size(); ++i) {
    auto l = entry(i + 2).reader().getKind().getInvoiceLine();
    EXPECT_EQ(l.getBillingFrequency().cStr(), cases[i].frequency) << cases[i].term << " " << cases[i].charge;
    EXPECT_FALSE(l.getUsageBased());
  }
  EXPECT_STREQ(entry(cases.size() + 2).reader().getKind().getInvoiceLine().getBillingFrequency().cStr(), "annual");

  // A mid-cycle change of a term billed "monthly/yearly": its cycle cannot be told.
  Error e = expect_refused(match::format("microsoft-nce"),
                           kNceHeader + published_row({{"TermAndBillingCycle", "One-Year commitment for monthly/yearly billing"},
                                                       {"BillingFrequency", ""}, {"ChargeType", "addQuantity"},
                                                       {"ChargeStartDate", "10/20/2026"}}));
  EXPECT_EQ(e.line, 2u);
  EXPECT_EQ(e.field, "TermAndBillingCycle");
  e = expect_refused(match::format("microsoft-nce"), kNceHeader + published_row({{"BillingFrequency", "Fortnightly"}}));
  EXPECT_EQ(e.field, "BillingFrequency");
}

// An Azure plan meter (a MeterDescription, no billing plan) is usage-based: valued by Partner
// Center's usage formula, its consumption the BillableQuantity.
TEST_F(FeedsTest, AnAzurePlanMeterRowIsUsageBased) {
  const std::string file =
      kNceHeader + published_row({{"ProductId", "DZH318Z0BNZ5"}, {"SkuId", "006G"}, {"ChargeType", "New"},
                                  {"SkuName", "Bandwidth Inter-Region - Intra Continent - North America"},
                                  {"UnitPrice", "0.045"}, {"EffectiveUnitPrice", "0.045"}, {"Quantity", "1"},
                                  {"BillableQuantity", "0.005001"}, {"Subtotal", "0"}, {"TermAndBillingCycle", ""},
                                  {"BillingFrequency", ""}, {"UnitType", "1 GB"},
                                  {"MeterDescription", "Bandwidth - Inter-Region Data Transfer"}});
  ASSERT_TRUE(ingest(match::format("microsoft-nce"), "azure.csv", file).ok());
  auto l = entry(2).reader().getKind().getInvoiceLine();
  EXPECT_TRUE(l.getUsageBased());
  EXPECT_STREQ(l.getBillingFrequency().cStr(), "");
  auto v = match::vendor_line(entry(2)).value();
  EXPECT_TRUE(v.consumption());
  EXPECT_FALSE(v.partial_cycle());
  EXPECT_EQ(v.quantity, Decimal::parse("0.005001").value());
}

const std::string kGenericHeader =
    "Vendor,InvoiceNumber,LineRef,TenantRef,SubscriptionId,SkuId,ChargeType,ChargeStartDate,"
    "ChargeEndDate,Quantity,UnitPrice,Subtotal,Currency,PricingCurrency,FxRate\n";

TEST_F(FeedsTest, AGenericInvoiceLoads) {
  auto r = ingest(match::format("generic"), "g.csv",
                  kGenericHeader + "Acronis,AC-1001,1,org-77,sub-1,ACR-BACKUP-ADV,,2026-10-01,2026-10-31,12,4.1000,49.20,AUD,USD,1.521838\n");
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  auto l = entry(2).reader().getKind().getInvoiceLine();
  EXPECT_STREQ(l.getVendor().cStr(), "acronis");
  EXPECT_STREQ(l.getChargeType().cStr(), "cyclecharge");
  EXPECT_STREQ(l.getTenantRef().cStr(), "org-77");
  Error e = expect_refused(match::format("generic"),
                           kGenericHeader + "Acronis,AC-1001,2,org-77,sub-1,ACR,,2026-10-01,2026-10-31,12,4.10,49.20,AUD,USD,-1\n");
  EXPECT_EQ(e.field, "FxRate");
  e = expect_refused(match::format("generic"),
                     kGenericHeader + "Acronis,AC-1001,2,org-77,sub-1,ACR,,2026-10-01,2026-10-31,12,4.10,49.20,A$,,\n");
  EXPECT_EQ(e.field, "Currency");
}

const std::string kUsageHeader = "Vendor,UsageDate,TenantRef,SubscriptionId,SkuId,Quantity,QuantityBasis,UnitType,SourceRef\n";

TEST_F(FeedsTest, UsageLoadsWithItsBasisAndRefusesNegativeQuantities) {
  auto r = ingest(match::format("closebook-usage-v1"), "u.csv",
                  kUsageHeader + "Microsoft,2026-10-31,DE6799DD-16E2-4542-8982-FCD5407B50A3,SUB-1,CFQ7TTC0LCHC:0002,10,Peak,Licenses,u-1\n"
                                 "acronis,10/31/2026,org-77,sub-1,ACR-STORAGE,120.5,consumed,GB,u-2\n");
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  auto u = entry(2).reader().getKind().getUsageRecord();
  EXPECT_EQ(u.getQuantityBasis(), schema::UsageRecord::QuantityBasis::PEAK);
  EXPECT_STREQ(u.getTenantRef().cStr(), "de6799dd-16e2-4542-8982-fcd5407b50a3");
  EXPECT_STREQ(u.getSubscriptionId().cStr(), "sub-1");
  EXPECT_STREQ(entry(3).reader().getEffective().cStr(), "2026-10-31");
  Error e = expect_refused(match::format("closebook-usage-v1"), kUsageHeader + "acronis,2026-10-31,org-77,s,ACR,-1,consumed,GB,u-3\n");
  EXPECT_EQ(e.field, "Quantity");
  e = expect_refused(match::format("closebook-usage-v1"), kUsageHeader + "acronis,2026-10-31,org-77,s,ACR,1,average,GB,u-3\n");
  EXPECT_EQ(e.field, "QuantityBasis");
}

TEST_F(FeedsTest, AnExplicitPeriodIsRecordedAndValidated) {
  auto r = ingest(match::format("generic"), "g.csv",
                  kGenericHeader + "datto,D-1,1,org-9,,DAT-RMM,,2026-09-20,2026-10-19,3,2,6,AUD,,\n", "2026-10");
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_STREQ(entry(1).reader().getKind().getIngest().getPeriod().cStr(), "2026-10");
  EXPECT_STREQ(entry(2).reader().getKind().getInvoiceLine().getPeriod().cStr(), "2026-10");
  auto bad = match::plan_feed_load(match::format("generic"), "g.csv", kGenericHeader, {"2026-13", {}});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().field, "--period");
}

TEST_F(FeedsTest, ProgressIsReportedUpToTheLastRow) {
  std::string file = kUsageHeader;
  for (int i = 0; i < 25'000; ++i) file += "acronis,2026-10-31,org-77,s,ACR,1,consumed,GB,u-" + std::to_string(i) + "\n";
  uint64_t calls = 0, last = 0;
  auto plan = match::plan_feed_load(match::format("closebook-usage-v1"), "u.csv", file,
                                    {"", [&](uint64_t done, uint64_t total) {
                                       ++calls;
                                       last = done;
                                       EXPECT_EQ(total, 25'000u);
                                     }});
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(calls, 3u);  // at 10k, 20k, and the end
  EXPECT_EQ(last, 25'000u);
}

}  // namespace
}  // namespace closebook
