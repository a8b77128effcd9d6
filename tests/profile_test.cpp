// Feed profiles (match/formats/profile.h, docs/matching.md §1.1): every shipped profile loads its
// vendor's file in the vendor's published layout (tests/vendor-layouts/README.md cites each);
// a profile's dates and decimals read as declared; a bad profile or a row that breaks its profile
// is refused with file, line and column, and the ledger is left unchanged.
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

#include "evidence/keyfile.h"
#include "ledger/ledger.h"
#include "match/formats/profile.h"
#include "tests/test_util.h"

namespace closebook {
namespace {

std::string layout(const std::string& name) {
  std::ifstream in(test::source_dir() + "/tests/vendor-layouts/" + name, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

const match::Profile& shipped(const std::string& name) {
  for (const match::Profile& p : match::shipped_profiles()) {
    if (p.name == name) return p;
  }
  throw std::runtime_error("no shipped profile " + name);
}

class ProfileTest : public ::testing::Test {
 protected:
  void SetUp() override { ledger_ = test::new_ledger(tmp_ / "l", key_); }

  Result<ledger::AppendReceipt> load(const match::Profile& profile, const std::string& name, const std::string& text,
                                     const std::string& period = "") {
    CB_TRY(match::LoadPlan plan, match::plan_profile_load(profile, name, text, {period, {}}));
    skipped_ = plan.skipped_rows;
    return ledger_->append(plan.drafts, key_);
  }

  Error expect_refused(const match::Profile& profile, const std::string& text, const std::string& period = "") {
    const std::string before = ledger_->snapshot().value().latest_checkpoint().value();
    auto r = load(profile, "bad.csv", text, period);
    EXPECT_FALSE(r.ok());
    EXPECT_EQ(ledger_->snapshot().value().latest_checkpoint().value(), before) << "a refused file changed the ledger";
    return r.ok() ? Error::invalid("loaded") : r.error();
  }

  DecodedEntry entry(uint64_t i) { return ledger_->snapshot().value().entry(i).value(); }

  static match::Profile parse(const std::string& yaml) {
    auto p = match::parse_profile(yaml, "p.yaml");
    if (!p.ok()) throw std::runtime_error(p.error().to_string());
    return std::move(*p);
  }

  test::TempDir tmp_;
  SigningKey key_ = SigningKey::generate("closebook.test/profiles").value();
  std::unique_ptr<ledger::Ledger> ledger_;
  uint64_t skipped_ = 0;
};

// The daily rated usage file (a format of its own, not a profile): each meter-day is consumption
// of the meter's SKU, with the meter, resource group, tags and Microsoft's price on the record.
TEST_F(ProfileTest, PartnerCentersDailyRatedUsageLoadsEveryMeterDayWithItsMeterAndPrice) {
  auto reader = match::find_reader("microsoft-azure-daily-rated", schema::Ingest::Source::USAGE);
  ASSERT_TRUE(reader.ok()) << reader.error().to_string();
  ASSERT_EQ(reader->profile, nullptr);
  auto plan = match::plan_reader_load(*reader, "daily.csv", layout("microsoft-azure-daily-rated.csv"), {});
  ASSERT_TRUE(plan.ok()) << plan.error().to_string();
  auto r = ledger_->append(plan->drafts, key_);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->new_entry_count, 11u);
  auto u = entry(2).reader().getKind().getUsageRecord();
  EXPECT_STREQ(u.getVendor().cStr(), "microsoft");
  EXPECT_STREQ(u.getUsageDate().cStr(), "2025-06-01");  // written 6/1/2025
  EXPECT_STREQ(u.getTenantRef().cStr(), "a7c4e1d2-9b3f-4c8a-b2e5-1f6d8c3a9e04");
  EXPECT_STREQ(u.getSkuId().cStr(), "DZH318Z0BQ3Q:00T9");
  EXPECT_STREQ(u.getQuantity().cStr(), "24");
  EXPECT_EQ(u.getQuantityBasis(), schema::UsageRecord::QuantityBasis::CONSUMED);
  EXPECT_STREQ(u.getUnitType().cStr(), "1 Hour");
  EXPECT_STREQ(u.getMeterId().cStr(), "2d6b0f3e-7c1a-4b39-9a8e-4f5c6d7e8f90");
  EXPECT_STREQ(u.getMeterCategory().cStr(), "Virtual Machines");
  EXPECT_STREQ(u.getMeterName().cStr(), "D4s v5");
  EXPECT_STREQ(u.getResourceGroup().cStr(), "rg-prod-syd");
  EXPECT_STREQ(u.getTags().cStr(), "{\"env\":\"prod\",\"costcentre\":\"CC-1042\"}");
  EXPECT_STREQ(u.getVendorUnitPrice().cStr(), "0.2108000000");
  EXPECT_STREQ(u.getVendorAmount().cStr(), "7.765452");
  EXPECT_STREQ(u.getVendorCurrency().cStr(), "AUD");
  EXPECT_STREQ(u.getPricingCurrency().cStr(), "USD");
  EXPECT_STREQ(u.getFxRate().cStr(), "1.534917");

  std::string bad = layout("microsoft-azure-daily-rated.csv");
  const size_t at = bad.find(",6/2/2025,");
  ASSERT_NE(at, std::string::npos);
  bad.replace(at, 10, ",6/31/2025,");
  auto refused = match::plan_reader_load(*reader, "bad.csv", bad, {});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().line, 3u);
  EXPECT_EQ(refused.error().field, "UsageDate") << refused.error().to_string();
}

TEST_F(ProfileTest, EveryShippedProfileParsesAndIsListedByName) {
  std::set<std::string> names;
  for (const match::Profile& p : match::shipped_profiles()) {
    names.insert(p.name);
    EXPECT_FALSE(p.source.empty()) << p.name << " cites no source";
    EXPECT_FALSE(p.summary.empty()) << p.name;
    auto found = match::find_reader(p.name, p.target->source);
    ASSERT_TRUE(found.ok()) << found.error().to_string();
    EXPECT_EQ(found->profile, &p);
  }
  EXPECT_EQ(names, (std::set<std::string>{"aws-cur", "aws-marketplace", "backup-seat-report", "sophos"}));
  auto unknown = match::find_reader("datto", schema::Ingest::Source::USAGE);
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().message.find("aws-cur"), std::string::npos) << unknown.error().to_string();
}

// AWS CUR 2.0: usage rows load as consumption of product:usage type per linked account, the
// money rows (tax, credit, refund, fees, the Savings Plan negation) are skipped and counted, and
// the Ingest records the profile and its hash.
TEST_F(ProfileTest, AnAwsCostAndUsageReportLoadsItsUsageRowsAndSkipsItsMoneyRows) {
  const match::Profile& p = shipped("aws-cur");
  auto r = load(p, "cur.csv", layout("aws-cur.csv"));
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->new_entry_count, 7u);  // the ingest and 6 usage rows
  EXPECT_EQ(skipped_, 6u);
  auto ingest = entry(1).reader().getKind().getIngest();
  EXPECT_STREQ(ingest.getFormat().cStr(), "aws-cur");
  EXPECT_EQ(ingest.getRowCount(), 12u);
  EXPECT_EQ(ingest.getSkippedRows(), 6u);
  const Hash profile_sha = sha256(p.text);
  EXPECT_EQ(to_hex(Bytes(ingest.getProfileSha256().begin(), ingest.getProfileSha256().size())), to_hex(profile_sha));
  auto u = entry(2).reader().getKind().getUsageRecord();
  EXPECT_STREQ(u.getVendor().cStr(), "aws");
  EXPECT_STREQ(u.getUsageDate().cStr(), "2025-06-01");
  EXPECT_STREQ(u.getTenantRef().cStr(), "123456789012");
  EXPECT_STREQ(u.getSkuId().cStr(), "AmazonEC2:APS2-BoxUsage:m5.large");
  EXPECT_STREQ(u.getQuantity().cStr(), "24");
  EXPECT_EQ(u.getQuantityBasis(), schema::UsageRecord::QuantityBasis::CONSUMED);
  EXPECT_STREQ(u.getUnitType().cStr(), "Hrs");
  EXPECT_EQ(u.getSource().getLine(), 2u);

  // Loading the same export again adds nothing.
  auto again = load(p, "cur.csv", layout("aws-cur.csv"));
  ASSERT_TRUE(again.ok()) << again.error().to_string();
  EXPECT_EQ(again->new_entry_count, 0u);
}

// A line item type the profile neither loads nor skips (AWS adds types) refuses the file at its
// line and column: it is neither counted as usage nor dropped by guess.
TEST_F(ProfileTest, AnUnknownAwsLineItemTypeRefusesTheFileAtItsLineAndColumn) {
  std::string text = layout("aws-cur.csv");
  const size_t at = text.find(",Usage,");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, 7, ",BrandNewType,");
  Error e = expect_refused(shipped("aws-cur"), text);
  EXPECT_EQ(e.file, "bad.csv");
  EXPECT_EQ(e.line, 2u);
  EXPECT_EQ(e.field, "line_item_line_item_type");
  EXPECT_NE(e.message.find("BrandNewType"), std::string::npos) << e.to_string();
}

TEST_F(ProfileTest, AnAwsMarketplaceReportIsAVendorInvoiceForThePeriodGiven) {
  const match::Profile& p = shipped("aws-marketplace");
  Error no_period = expect_refused(p, layout("aws-marketplace.csv"));
  EXPECT_EQ(no_period.field, "--period") << no_period.to_string();

  auto r = load(p, "mp.csv", layout("aws-marketplace.csv"), "2025-06");
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->new_entry_count, 9u);
  auto l = entry(2).reader().getKind().getInvoiceLine();
  EXPECT_STREQ(l.getVendor().cStr(), "aws-marketplace");
  EXPECT_STREQ(l.getFormat().cStr(), "generic");  // matched by the generic invoice's arithmetic
  EXPECT_STREQ(l.getInvoiceNumber().cStr(), "7f3c9a1e2b4d");
  EXPECT_STREQ(l.getTenantRef().cStr(), "123456789012");
  EXPECT_STREQ(l.getSkuId().cStr(), "abc123xyz789prod");
  EXPECT_STREQ(l.getChargeStartDate().cStr(), "2025-06-01");
  EXPECT_STREQ(l.getChargeEndDate().cStr(), "2025-06-30");
  EXPECT_STREQ(l.getSubtotal().cStr(), "1200.00");
  EXPECT_STREQ(l.getCurrency().cStr(), "USD");
}

TEST_F(ProfileTest, SophosAndABackupSeatReportLoadAsUsage) {
  auto sophos = load(shipped("sophos"), "sophos.csv", layout("sophos.csv"));
  ASSERT_TRUE(sophos.ok()) << sophos.error().to_string();
  EXPECT_EQ(sophos->new_entry_count, 9u);
  auto u = entry(2).reader().getKind().getUsageRecord();
  EXPECT_STREQ(u.getVendor().cStr(), "sophos");
  EXPECT_STREQ(u.getUsageDate().cStr(), "2025-06-30");
  EXPECT_STREQ(u.getSkuId().cStr(), "CIXA1CSAA");
  EXPECT_STREQ(u.getQuantity().cStr(), "42");
  EXPECT_EQ(u.getQuantityBasis(), schema::UsageRecord::QuantityBasis::PEAK);
  EXPECT_STREQ(u.getSourceRef().cStr(), "S-11029384/1");

  auto seats = load(shipped("backup-seat-report"), "seats.csv", layout("backup-seat-report.csv"));
  ASSERT_TRUE(seats.ok()) << seats.error().to_string();
  EXPECT_EQ(seats->new_entry_count, 9u);
  auto s = entry(11).reader().getKind().getUsageRecord();
  EXPECT_STREQ(s.getVendor().cStr(), "datto");
  EXPECT_STREQ(s.getSkuId().cStr(), "Office365:User");
  EXPECT_STREQ(s.getQuantity().cStr(), "42");
  EXPECT_STREQ(s.getSubscriptionId().cStr(), "Classic:Office365:53124");

  // A seat count is never negative: a proration credit in a seat report is money, refused at its line.
  std::string credit = layout("backup-seat-report.csv");
  credit += "Dropsuite,2025-06-01,2025-06-30,2025-06-28,ORG-884290,Southbank Health,southbankhealth.org.au,Google Workspace,,"
            "Unlimited,monthly,User,-3,-3,1.85,AUD,-5.55\r\n";
  Error e = expect_refused(shipped("backup-seat-report"), credit);
  EXPECT_EQ(e.line, 10u);
  EXPECT_EQ(e.field, "BillableSeats") << e.to_string();
}

// A row that breaks its profile names the vendor's file, line and column, and what closebook
// column it was read for.
TEST_F(ProfileTest, ABadValueNamesTheVendorsColumnAndChangesNothing) {
  std::string text = layout("sophos.csv");
  const size_t at = text.find(",42,");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, 4, ",4x2,");
  Error e = expect_refused(shipped("sophos"), text);
  EXPECT_EQ(e.line, 2u);
  EXPECT_EQ(e.field, "billableQuantity");
  EXPECT_NE(e.message.find("Quantity"), std::string::npos) << e.to_string();

  // A blank part of a template is refused, not read as another key ("AmazonEC2:").
  std::string cur = layout("aws-cur.csv");
  const size_t type = cur.find("APS2-BoxUsage:m5.large");
  ASSERT_NE(type, std::string::npos);
  cur.replace(type, std::string("APS2-BoxUsage:m5.large").size(), "");
  Error blank = expect_refused(shipped("aws-cur"), cur);
  EXPECT_EQ(blank.line, 2u);
  EXPECT_EQ(blank.field, "line_item_usage_type") << blank.to_string();

  Error missing = expect_refused(shipped("sophos"), "productCode,billableQuantity\nX,1\n");
  EXPECT_EQ(missing.line, 1u);
  EXPECT_EQ(missing.field, "billingEndDate") << missing.to_string();
}

// A profile of a vendor that writes day-first dates, a title line above the header, grouped
// thousands, currency symbols and accounting negatives.
const char* kDayFirstProfile = R"(closebook-profile: 1
name: acme-au
summary: a test vendor
target: invoice
source: tests/profile_test.cpp
header_line: 3
dates: DD/MM/YYYY
decimals: {thousands: ",", symbols: ["A$", "$"], parentheses_negative: true}
rows:
  - {column: Kind, load: [Charge, Credit], skip: [Subtotal], reason: subtotal rows repeat the charges}
columns:
  Vendor: {value: acme}
  InvoiceNumber: Invoice No
  LineRef: {row_number: true}
  TenantRef: {position: 2}
  SkuId: {template: "ACME-{Plan}"}
  ChargeType: {column: Kind, values: {Charge: cyclecharge, Credit: customercredit}}
  ChargeStartDate: From
  ChargeEndDate: To
  Quantity: Seats
  UnitPrice: Price
  Subtotal: Amount
  Currency: {value: AUD}
)";

TEST_F(ProfileTest, ACustomProfileReadsDayFirstDatesGroupedThousandsAndAccountingNegatives) {
  const match::Profile p = parse(kDayFirstProfile);
  const std::string file =
      "ACME Pty Ltd billing export\r\nGenerated 3/11/2026\r\n"
      "Invoice No,Customer,Plan,Kind,From,To,Seats,Price,Amount\r\n"
      "INV-7,T-001,PRO,Charge,01/10/2026,31/10/2026,1200,A$1.50,\"A$1,800.00\"\r\n"
      "INV-7,T-001,PRO,Credit,01/10/2026,31/10/2026,1,($12.50),($12.50)\r\n"
      "INV-7,,,Subtotal,01/10/2026,31/10/2026,,,\"1,787.50\"\r\n";
  auto r = load(p, "acme.csv", file);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->new_entry_count, 3u);
  EXPECT_EQ(skipped_, 1u);
  auto charge = entry(2).reader().getKind().getInvoiceLine();
  EXPECT_STREQ(charge.getTenantRef().cStr(), "T-001");
  EXPECT_STREQ(charge.getSkuId().cStr(), "ACME-PRO");
  EXPECT_STREQ(charge.getChargeStartDate().cStr(), "2026-10-01");
  EXPECT_STREQ(charge.getChargeEndDate().cStr(), "2026-10-31");
  EXPECT_STREQ(charge.getQuantity().cStr(), "1200");
  EXPECT_STREQ(charge.getSubtotal().cStr(), "1800.00");
  EXPECT_STREQ(charge.getLineRef().cStr(), "4");  // the physical line, past the two title lines
  EXPECT_EQ(charge.getSource().getLine(), 4u);
  auto credit = entry(3).reader().getKind().getInvoiceLine();
  EXPECT_STREQ(credit.getChargeType().cStr(), "customercredit");
  EXPECT_STREQ(credit.getSubtotal().cStr(), "-12.50");

  // 31/09 is no day; a month-first date in a day-first file is refused, not swapped.
  Error e = expect_refused(p, "t\r\nt\r\nInvoice No,Customer,Plan,Kind,From,To,Seats,Price,Amount\r\n"
                              "INV-8,T-001,PRO,Charge,10/31/2026,31/10/2026,1,1.50,1.50\r\n");
  EXPECT_EQ(e.line, 4u);
  EXPECT_EQ(e.field, "From") << e.to_string();
}

TEST_F(ProfileTest, DatesReadAsTheirPatternSays) {
  using match::DatePattern;
  auto date = [](std::string_view text, DatePattern p, bool end_exclusive = false) {
    auto d = match::parse_profile_date(text, p, end_exclusive);
    return d.ok() ? d->to_iso() : "error: " + d.error().message;
  };
  EXPECT_EQ(date("31/10/2026", {"DD/MM/YYYY"}), "2026-10-31");
  EXPECT_EQ(date("1/2/2028", {"D/M/YYYY"}), "2028-02-01");
  EXPECT_EQ(date("29 Feb 2028", {"D MMM YYYY"}), "2028-02-29");
  EXPECT_EQ(date("2026-10", {"YYYY-MM", false, true}), "2026-10-31");
  EXPECT_EQ(date("2026-02", {"YYYY-MM"}), "2026-02-01");
  EXPECT_EQ(date("31/10/2026 23:59:59", {"DD/MM/YYYY hh:mm:ss"}), "2026-10-31");
  // An exclusive end at midnight is the day before; a time past midnight is that day.
  EXPECT_EQ(date("2026-11-01T00:00:00Z", {"iso", true}, true), "2026-10-31");
  EXPECT_EQ(date("2026-11-01T00:00:00.000Z", {"iso", true}, true), "2026-10-31");
  EXPECT_EQ(date("2026-11-01T13:00:00Z", {"iso", true}, true), "2026-11-01");
  for (auto [text, pattern] : std::vector<std::pair<std::string, std::string>>{
           {"29/02/2026", "DD/MM/YYYY"}, {"31/10/26", "DD/MM/YYYY"}, {"2026-10-31", "DD/MM/YYYY"},
           {"31/10/2026 24:00:00", "DD/MM/YYYY hh:mm:ss"}, {"31 Okt 2026", "DD MMM YYYY"}, {"31/10/2026x", "DD/MM/YYYY"}}) {
    EXPECT_EQ(date(text, {pattern}).rfind("error", 0), 0u) << text << " as " << pattern;
  }
  EXPECT_EQ(date("10/31/2026", {"iso", true}).rfind("error", 0), 0u) << "iso means ISO, not Partner Center's M/D/YYYY";
}

TEST_F(ProfileTest, DecimalsReadAsTheProfileDeclares) {
  match::ProfileDecimals plain, quirks;
  quirks.thousands = ",";
  quirks.symbols = {"A$", "$", "USD"};
  quirks.parentheses_negative = true;
  quirks.exponent = true;
  auto num = [](std::string_view text, const match::ProfileDecimals& d) {
    auto v = match::parse_profile_decimal(text, d);
    return v.ok() ? *v : "error";
  };
  EXPECT_EQ(num("12.50", plain), "12.50");
  EXPECT_EQ(num("+12.50", plain), "12.50");
  EXPECT_EQ(num("0012.5", plain), "12.5");
  EXPECT_EQ(num(".5", plain), "0.5");
  EXPECT_EQ(num("-0.00", plain), "0.00");
  EXPECT_EQ(num("1,234.50", plain), "error");
  EXPECT_EQ(num("1.2E-5", plain), "error");
  EXPECT_EQ(num("1,234,567.891", quirks), "1234567.891");
  EXPECT_EQ(num("A$1,800.00", quirks), "1800.00");
  EXPECT_EQ(num("-$12.50", quirks), "-12.50");
  EXPECT_EQ(num("$-12.50", quirks), "-12.50");
  EXPECT_EQ(num("(1,234.50)", quirks), "-1234.50");
  EXPECT_EQ(num("12.50 USD", quirks), "12.50");
  EXPECT_EQ(num("1.2E-5", quirks), "0.000012");
  EXPECT_EQ(num("2.5e3", quirks), "2500");
  EXPECT_EQ(num("1,23,456", quirks), "error");   // Indian grouping is not thousands
  EXPECT_EQ(num("12,34", quirks), "error");
  EXPECT_EQ(num("1.2E-99", quirks), "error");
  match::ProfileDecimals european;
  european.thousands = ".";
  european.decimal_comma = true;
  EXPECT_EQ(num("1.234,56", european), "1234.56");
  EXPECT_EQ(num("1,5", european), "1.5");
}

// A profile that is wrong is refused at its own line and key: a misspelt key is never ignored.
TEST_F(ProfileTest, ABadProfileIsRefusedAtItsLineAndKey) {
  struct Case {
    std::string find, replace, field;
  };
  const std::vector<Case> cases = {
      {"header_line: 3", "header_lines: 3", "header_lines"},
      {"target: invoice", "target: invoices", "target"},
      {"Quantity: Seats", "Quantity: Seat", ""},
      {"  Quantity: Seats\n", "", "columns.Quantity"},
      {"  Currency: {value: AUD}", "  Currency: {value: AUD, colum: X}", "columns.Currency.colum"},
      {"  Currency: {value: AUD}", "  Currency: {value: AUD, column: X}", "columns.Currency"},
      {"  Currency: {value: AUD}", "  Currencies: {value: AUD}", "columns.Currencies"},
      {"dates: DD/MM/YYYY", "dates: DD/MM", "dates"},
      {"  SkuId: {template: \"ACME-{Plan}\"}", "  SkuId: {template: \"ACME-{Plan\"}", "columns.SkuId.template"},
      {"  TenantRef: {position: 2}", "  TenantRef: {position: 0}", "columns.TenantRef.position"},
      {"  SkuId: {template: \"ACME-{Plan}\"}", "  SkuId: {template: \"ACME-{ }\"}", "columns.SkuId.template"},
      {"{column: Kind, load:", "{column: \" \", load:", "rows.column"},
      {"closebook-profile: 1", "closebook-profile: 2", "closebook-profile"},
      {"name: acme-au", "name: generic", "name"},
      {"  Currency: {value: AUD}", "  Currency: {value: AUD}\n  Currency: {value: NZD}", "columns.Currency"},
  };
  for (const Case& c : cases) {
    std::string yaml = kDayFirstProfile;
    const size_t at = yaml.find(c.find);
    ASSERT_NE(at, std::string::npos) << c.find;
    yaml.replace(at, c.find.size(), c.replace);
    auto p = match::parse_profile(yaml, "p.yaml");
    if (c.field.empty()) {  // a column renamed is the vendor's business: found (or not) at load
      EXPECT_TRUE(p.ok()) << c.replace;
      continue;
    }
    ASSERT_FALSE(p.ok()) << c.replace << " was accepted";
    EXPECT_EQ(p.error().file, "p.yaml");
    EXPECT_GT(p.error().line, 0u) << p.error().to_string();
    EXPECT_EQ(p.error().field, c.field) << p.error().to_string();
  }
  auto not_yaml = match::parse_profile("columns: [", "p.yaml");
  ASSERT_FALSE(not_yaml.ok());
  EXPECT_EQ(not_yaml.error().file, "p.yaml");
}

}  // namespace
}  // namespace closebook
