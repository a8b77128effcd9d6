// Tests for match/csv.h: the strict RFC 4180 reader, column binding and RowReader errors.
// Every error test checks the code, file, line and field, and that the message tells the
// user what to fix.
#include "match/csv.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace closebook::csv {
namespace {

using namespace std::string_literals;

constexpr const char* kFile = "feed.csv";

testing::AssertionResult Contains(std::string_view text, std::string_view part) {
  if (text.find(part) != std::string_view::npos) return testing::AssertionSuccess();
  return testing::AssertionFailure() << "\"" << text << "\" does not contain \"" << part << "\"";
}

Document parse_ok(std::string_view text, const Limits& limits = {}) {
  Result<Document> result = Document::parse(kFile, text, limits);
  EXPECT_TRUE(result.ok()) << (result.ok() ? "" : result.error().to_string());
  if (!result.ok()) return {};
  return std::move(result).value();
}

Error parse_error(std::string_view text, const Limits& limits = {}) {
  Result<Document> result = Document::parse(kFile, text, limits);
  EXPECT_FALSE(result.ok()) << "parsed, but an error was expected";
  if (result.ok()) return Error::invalid("(parsed)");
  return std::move(result).error();
}

void expect_context(const Error& error, uint64_t line, std::string_view field = {}) {
  EXPECT_EQ(error.code, Code::kInvalidArgument);
  EXPECT_EQ(error.file, kFile);
  EXPECT_EQ(error.line, line);
  EXPECT_EQ(error.field, field);
}

using Fields = std::vector<std::string>;

// A row's fields as strings, to compare whole rows.
Fields fields_of(const Document& doc, const Row& row) {
  Fields out;
  for (size_t c = 0; c < doc.header.size(); c++) out.emplace_back(doc.field(row, c));
  return out;
}

// ---- Accepted input ---------------------------------------------------------------------

TEST(CsvTest, ParsesHeaderAndRows) {
  const Document doc = parse_ok("PartnerId,Name\nP001,Harbour IT\nP002,Blue Gum\n");
  EXPECT_EQ(doc.file, kFile);
  EXPECT_EQ(doc.header_line, 1u);
  EXPECT_EQ(doc.header, (Fields{"PartnerId", "Name"}));
  ASSERT_EQ(doc.rows.size(), 2u);
  EXPECT_EQ(doc.rows[0].line, 2u);
  EXPECT_EQ(fields_of(doc, doc.rows[0]), (Fields{"P001", "Harbour IT"}));
  EXPECT_EQ(doc.rows[1].line, 3u);
  EXPECT_EQ(fields_of(doc, doc.rows[1]), (Fields{"P002", "Blue Gum"}));
}

TEST(CsvTest, HeaderOnlyFileHasNoRows) {
  EXPECT_TRUE(parse_ok("a,b\n").rows.empty());
  EXPECT_TRUE(parse_ok("a,b").rows.empty());
}

TEST(CsvTest, AcceptsCrlfLfAndMixedLineEnds) {
  const Document doc = parse_ok("a,b\r\n1,2\n3,4\r\n5,6");
  ASSERT_EQ(doc.rows.size(), 3u);
  EXPECT_EQ(fields_of(doc, doc.rows[0]), (Fields{"1", "2"}));
  EXPECT_EQ(fields_of(doc, doc.rows[1]), (Fields{"3", "4"}));
  EXPECT_EQ(fields_of(doc, doc.rows[2]), (Fields{"5", "6"}));
  EXPECT_EQ(doc.rows[2].line, 4u);
}

TEST(CsvTest, StripsUtf8ByteOrderMark) {
  const Document doc = parse_ok("\xEF\xBB\xBFPartnerId,Name\r\nP001,x\r\n");
  EXPECT_EQ(doc.header, (Fields{"PartnerId", "Name"}));
  EXPECT_EQ(doc.rows[0].line, 2u);
}

TEST(CsvTest, QuotedFieldsHoldCommasNewlinesAndDoubledQuotes) {
  const Document doc = parse_ok(
      "Id,Name,Note\n"
      "1,\"Blue Gum Networks, Pty Ltd\",\"first line\nsecond line\"\n"
      "2,\"say \"\"hi\"\"\",\"\"\n"
      "3,\"crlf\r\ninside\",\"\"\"\"\n");
  ASSERT_EQ(doc.rows.size(), 3u);
  EXPECT_EQ(fields_of(doc, doc.rows[0]), (Fields{"1", "Blue Gum Networks, Pty Ltd", "first line\nsecond line"}));
  EXPECT_EQ(fields_of(doc, doc.rows[1]), (Fields{"2", "say \"hi\"", ""}));
  // A line end inside quotes is data, kept exactly as written.
  EXPECT_EQ(fields_of(doc, doc.rows[2]), (Fields{"3", "crlf\r\ninside", "\""}));
}

TEST(CsvTest, RowLineIsThePhysicalLineWhereTheRecordStarts) {
  const Document doc = parse_ok(
      "a,b\n"
      "1,\"two\nthree\nfour\"\n"  // lines 2-4
      "5,six\n"                   // line 5
      "\"seven\r\n\r\neight\",9\r\n"  // lines 6-8, with an empty line inside the quotes
      "10,11\n");                 // line 9
  ASSERT_EQ(doc.rows.size(), 4u);
  EXPECT_EQ(doc.rows[0].line, 2u);
  EXPECT_EQ(doc.rows[1].line, 5u);
  EXPECT_EQ(doc.rows[2].line, 6u);
  EXPECT_EQ(doc.field(doc.rows[2], 0), "seven\r\n\r\neight");
  EXPECT_EQ(doc.rows[3].line, 9u);
}

TEST(CsvTest, SkipsBlankLinesAnywhere) {
  const Document doc = parse_ok("\n\r\na,b\n\n1,2\r\n\r\n\n3,4\n\n\r\n");
  EXPECT_EQ(doc.header_line, 3u);
  ASSERT_EQ(doc.rows.size(), 2u);
  EXPECT_EQ(doc.rows[0].line, 5u);
  EXPECT_EQ(doc.rows[1].line, 8u);
}

TEST(CsvTest, WhitespaceOnlyLineIsARowNotABlankLine) {
  // Only completely empty lines are skipped; "  " is a one-field record.
  const Error error = parse_error("a,b\n  \n");
  expect_context(error, 2);
  EXPECT_TRUE(Contains(error.message, "expected 2, found 1"));
}

TEST(CsvTest, EmptyFieldsAndTrailingComma) {
  const Document doc = parse_ok("a,b,c\n,,\n1,,\n,\"\",3");
  ASSERT_EQ(doc.rows.size(), 3u);
  EXPECT_EQ(fields_of(doc, doc.rows[0]), (Fields{"", "", ""}));
  EXPECT_EQ(fields_of(doc, doc.rows[1]), (Fields{"1", "", ""}));
  EXPECT_EQ(fields_of(doc, doc.rows[2]), (Fields{"", "", "3"}));
}

TEST(CsvTest, HeaderNamesAreTrimmedButValuesAreNot) {
  const Document doc = parse_ok(" PartnerId ,\tName\t\n  P001 , Harbour IT \n");
  EXPECT_EQ(doc.header, (Fields{"PartnerId", "Name"}));
  EXPECT_EQ(fields_of(doc, doc.rows[0]), (Fields{"  P001 ", " Harbour IT "}));
}

TEST(CsvTest, AcceptsMultibyteUtf8) {
  const Document doc = parse_ok("Name,Emoji\nTāmaki Architects,\xF0\x9F\x8C\x8F\nCafé Zürich,€\n");
  EXPECT_EQ(doc.field(doc.rows[0], 0), "Tāmaki Architects");
  EXPECT_EQ(doc.field(doc.rows[0], 1), "\xF0\x9F\x8C\x8F");
  EXPECT_EQ(doc.field(doc.rows[1], 1), "€");
}

TEST(CsvTest, FieldExactlyAtTheLimitIsAccepted) {
  const Limits limits{.field_bytes_max = 8};
  const Document doc = parse_ok("a,b\n12345678,\"1234\"\"567\"\n", limits);
  EXPECT_EQ(fields_of(doc, doc.rows[0]), (Fields{"12345678", "1234\"567"}));
}

TEST(CsvTest, RowsExactlyAtTheLimitAreAccepted) {
  const Limits limits{.rows_max = 2};
  EXPECT_EQ(parse_ok("a\n1\n2\n\n", limits).rows.size(), 2u);
}

// ---- Rejected input ---------------------------------------------------------------------

TEST(CsvTest, EmptyFileIsAnError) {
  for (const std::string& text : {""s, "\xEF\xBB\xBF"s, "\n\r\n\n"s}) {
    const Error error = parse_error(text);
    expect_context(error, 1);
    EXPECT_TRUE(Contains(error.message, "empty"));
    EXPECT_TRUE(Contains(error.message, "header"));
  }
}

TEST(CsvTest, InvalidUtf8NamesLineAndByteAndSuggestsUtf8) {
  // 0x92 is Windows-1252's right single quote, as in "O’Brien" saved from Excel.
  const Error error = parse_error("Id,Name\n1,ok\n2,O\x92" "Brien\n");
  expect_context(error, 3);
  EXPECT_TRUE(Contains(error.message, "invalid UTF-8"));
  EXPECT_TRUE(Contains(error.message, "byte 4 of the line"));
  EXPECT_TRUE(Contains(error.message, "0x92"));
  EXPECT_TRUE(Contains(error.message, "save the file as UTF-8"));
  EXPECT_TRUE(Contains(error.message, "Windows-1252"));
}

TEST(CsvTest, RejectsOverlongSurrogateAndTruncatedUtf8) {
  for (const std::string& bad : {"\xC0\xAF"s, "\xE0\x80\xAF"s, "\xED\xA0\x80"s,
                                 "\xF4\x90\x80\x80"s, "\xE2\x82"s, "\xF8\x88\x80\x80\x80"s}) {
    const Error error = parse_error("a\nx" + bad);
    expect_context(error, 2);
    EXPECT_TRUE(Contains(error.message, "byte 2 of the line")) << error.message;
  }
}

TEST(CsvTest, Utf16FileIsNamedAsSuch) {
  const Error error = parse_error("\xFF\xFE" "a\0,\0b\0"s);
  expect_context(error, 1);
  EXPECT_TRUE(Contains(error.message, "UTF-16"));
  EXPECT_TRUE(Contains(error.message, "UTF-8"));
}

TEST(CsvTest, NulByteIsAnError) {
  const Error error = parse_error("a,b\n1,2\n3,x\0y\n"s);
  expect_context(error, 3);
  EXPECT_TRUE(Contains(error.message, "NUL byte at byte 4 of the line"));
}

TEST(CsvTest, UnterminatedQuoteNamesTheLineWhereItOpened) {
  const Error error = parse_error("Id,Name\n1,ok\n2,\"Blue Gum\n3,never closed\n4,x\n");
  expect_context(error, 3, "Name");
  EXPECT_TRUE(Contains(error.message, "opened on line 3"));
  EXPECT_TRUE(Contains(error.message, "never closed"));
}

TEST(CsvTest, StrayQuoteInUnquotedFieldIsAnError) {
  const Error error = parse_error("Sku,Description\nS1,24\" monitor\n");
  expect_context(error, 2, "Description");
  EXPECT_TRUE(Contains(error.message, "unquoted field"));
  EXPECT_TRUE(Contains(error.message, "doubled"));
}

TEST(CsvTest, TextAfterClosingQuoteIsAnError) {
  const Error error = parse_error("a,b\n1,\"quoted\" tail\n");
  expect_context(error, 2, "b");
  EXPECT_TRUE(Contains(error.message, "unexpected ' ' after the closing quote"));
  EXPECT_TRUE(Contains(error.message, "expected ','"));
}

TEST(CsvTest, TextAfterClosingQuoteOfAMultilineFieldPointsAtTheOpeningQuote) {
  // The quote opened on line 2 is closed by the first quote on line 3.
  const Error error = parse_error("a,b\n1,\"oops\n2,\"x\"\n");
  expect_context(error, 3, "b");
  EXPECT_TRUE(Contains(error.message, "opening quote is on line 2"));
}

TEST(CsvTest, BareCarriageReturnIsAnError) {
  const Error error = parse_error("a,b\r1,2\r");
  expect_context(error, 1);
  EXPECT_TRUE(Contains(error.message, "carriage return"));
  EXPECT_TRUE(Contains(error.message, "CRLF or LF"));
  expect_context(parse_error("a,b\n1,\"2\"\r3\n"), 2, "b");
}

TEST(CsvTest, RowWithMoreFieldsThanHeaderNamesCounts) {
  const Error error = parse_error("Id,Name,Country\nP1,Blue Gum Networks, Pty Ltd,AU\n");
  expect_context(error, 2);
  EXPECT_TRUE(Contains(error.message, "more fields than the header: expected 3, found 4"));
  EXPECT_TRUE(Contains(error.message, "quotes"));
}

TEST(CsvTest, RowWithFewerFieldsThanHeaderNamesCounts) {
  const Error error = parse_error("Id,Name,Country\nP1,x,AU\n\nP2,y\n");
  expect_context(error, 4);
  EXPECT_TRUE(Contains(error.message, "fewer fields than the header: expected 3, found 2"));
}

TEST(CsvTest, DuplicateHeaderNamesIgnoringCaseAndSpaces) {
  const Error error = parse_error("CustomerId,Name, customerid \n1,2,3\n");
  expect_context(error, 1, "customerid");
  EXPECT_TRUE(Contains(error.message, "duplicate column name"));
  EXPECT_TRUE(Contains(error.message, "column 3 \"customerid\""));
  EXPECT_TRUE(Contains(error.message, "column 1 \"CustomerId\""));
}

TEST(CsvTest, EmptyHeaderNameIsAnError) {
  const Error error = parse_error("\n\na,b,  ,d\n1,2,3,4\n");
  expect_context(error, 3);
  EXPECT_TRUE(Contains(error.message, "header column 3 has no name"));
  expect_context(parse_error("a,b,\n"), 1);
}

TEST(CsvTest, UnquotedFieldLargerThanLimitNamesLineAndColumn) {
  const Limits limits{.field_bytes_max = 8};
  const Error error = parse_error("a,b\n1,2\n3,123456789\n", limits);
  expect_context(error, 3, "b");
  EXPECT_TRUE(Contains(error.message, "column 2"));
  EXPECT_TRUE(Contains(error.message, "limit of 8 bytes"));
}

TEST(CsvTest, QuotedFieldLargerThanLimitNamesLineAndColumn) {
  const Limits limits{.field_bytes_max = 8};
  expect_context(parse_error("a,b\n\"1234\"\"5678\",x\n", limits), 2, "a");
  expect_context(parse_error("a,b\n\"12345678\"\"\",x\n", limits), 2, "a");
  // A quoted field that runs on over lines is probably missing its closing quote.
  const Error error = parse_error("a,b\n1,\"abc\ndefgh\n2,\"x\"\n", limits);
  expect_context(error, 2, "b");
  EXPECT_TRUE(Contains(error.message, "spanning lines from line 2; is its closing quote missing?"));
}

TEST(CsvTest, HugeFieldIsRefusedAtTheDefaultLimit) {
  const std::string big(Limits{}.field_bytes_max + 1, 'x');
  expect_context(parse_error("Id,Blob\n1," + big + "\n"), 2, "Blob");
  expect_context(parse_error("Id,Blob\n1,\"" + big + "\"\n"), 2, "Blob");
}

TEST(CsvTest, HeaderFieldLargerThanLimitIsAnError) {
  const Error error = parse_error("a,abcdefghi\n", Limits{.field_bytes_max = 8});
  expect_context(error, 1);
  EXPECT_TRUE(Contains(error.message, "column 2"));
}

TEST(CsvTest, TooManyColumnsIsAnError) {
  const Error error = parse_error("a,b,c,d\n1,2,3,4\n", Limits{.columns_max = 3});
  expect_context(error, 1);
  EXPECT_TRUE(Contains(error.message, "header has 4 columns, more than the limit of 3"));
}

TEST(CsvTest, TooManyRowsIsAnError) {
  const Error error = parse_error("a\n1\n2\n\n3\n", Limits{.rows_max = 2});
  expect_context(error, 5);
  EXPECT_TRUE(Contains(error.message, "more than 2 data rows"));
}

// ---- Columns and RowReader --------------------------------------------------------------

TEST(CsvTest, BindMatchesNamesIgnoringCaseAndSpacesAndIgnoresUnknownColumns) {
  const Document doc = parse_ok("Extra, partnerid ,NAME\nx,P001,Harbour IT\n");
  const ColumnSpec specs[] = {{"PartnerId"}, {"Name"}, {"Country", false}};
  Result<Columns> columns = Columns::bind(doc, specs);
  ASSERT_TRUE(columns.ok()) << columns.error().to_string();
  EXPECT_EQ(columns->index("PartnerId"), 1u);
  EXPECT_EQ(columns->index("Name"), 2u);
  EXPECT_FALSE(columns->has("Country"));
  EXPECT_EQ(columns->header_name("PartnerId"), "partnerid");
}

TEST(CsvTest, MissingRequiredColumnNamesColumnFileAndFoundColumns) {
  const Document doc = parse_ok("\nPartnerId,Name\nP001,x\n");
  const ColumnSpec specs[] = {{"PartnerId"}, {"ResellerMpnId", true, {"Tier2MpnId"}}};
  Result<Columns> columns = Columns::bind(doc, specs);
  ASSERT_FALSE(columns.ok());
  const Error& error = columns.error();
  expect_context(error, 2, "ResellerMpnId");
  EXPECT_TRUE(Contains(error.message, "missing required column \"ResellerMpnId\""));
  EXPECT_TRUE(Contains(error.message, "Tier2MpnId"));
  EXPECT_TRUE(Contains(error.message, kFile));
  EXPECT_TRUE(Contains(error.message, "the header has: PartnerId, Name"));
}

TEST(CsvTest, MissingColumnListIsBounded) {
  std::string header;
  for (int i = 0; i < 100; i++) header += (i ? ",c" : "c") + std::to_string(i);
  const Document doc = parse_ok(header + "\n");
  const ColumnSpec specs[] = {{"Wanted"}};
  Result<Columns> columns = Columns::bind(doc, specs);
  ASSERT_FALSE(columns.ok());
  EXPECT_TRUE(Contains(columns.error().message, "c39 ... and 60 more"));
}

TEST(CsvTest, AliasStandsInForCanonicalName) {
  const Document doc = parse_ok("MpnId,Tier2MpnId\n1000001,6120431\n");
  const ColumnSpec specs[] = {{"ResellerMpnId", true, {"Tier2MpnId"}}};
  Result<Columns> columns = Columns::bind(doc, specs);
  ASSERT_TRUE(columns.ok()) << columns.error().to_string();
  EXPECT_EQ(columns->index("ResellerMpnId"), 1u);
  EXPECT_EQ(columns->header_name("ResellerMpnId"), "Tier2MpnId");
  const RowReader row(doc, *columns, doc.rows[0]);
  EXPECT_EQ(row.optional_text("ResellerMpnId"), "6120431");
  // Errors name the column as the user's file spells it.
  EXPECT_EQ(row.error("ResellerMpnId", "bad").field, "Tier2MpnId");
}

TEST(CsvTest, CanonicalNameWinsOverAlias) {
  const Document doc = parse_ok("Tier2MpnId,ResellerMpnId\n111,222\n");
  const ColumnSpec specs[] = {{"ResellerMpnId", true, {"Tier2MpnId"}}};
  Result<Columns> columns = Columns::bind(doc, specs);
  ASSERT_TRUE(columns.ok());
  EXPECT_EQ(columns->index("ResellerMpnId"), 1u);
}

TEST(CsvTest, TextTrimsAndRequiresAValue) {
  const Document doc = parse_ok("Id,Name,Note\n P1 ,  \t,x\n");
  const ColumnSpec specs[] = {{"Id"}, {"Name"}, {"Note"}, {"Country", false}};
  Result<Columns> columns = Columns::bind(doc, specs);
  ASSERT_TRUE(columns.ok());
  const RowReader row(doc, *columns, doc.rows[0]);
  Result<std::string_view> id = row.text("Id");
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(*id, "P1");
  Result<std::string_view> name = row.text("Name");
  ASSERT_FALSE(name.ok());
  expect_context(name.error(), 2, "Name");
  EXPECT_TRUE(Contains(name.error().message, "empty"));
  EXPECT_EQ(name.error().to_string(), "feed.csv:2: field Name: the value is empty; a value is required");
  Result<std::string_view> country = row.text("Country");
  ASSERT_FALSE(country.ok());
  expect_context(country.error(), 2, "Country");
  EXPECT_TRUE(Contains(country.error().message, "missing"));
}

TEST(CsvTest, OptionalTextIsEmptyWhenAbsentOrBlank) {
  const Document doc = parse_ok("Id,Note\nP1,  \nP2, keep me \n");
  const ColumnSpec specs[] = {{"Id"}, {"Note", false}, {"Country", false}};
  Result<Columns> columns = Columns::bind(doc, specs);
  ASSERT_TRUE(columns.ok());
  EXPECT_EQ(RowReader(doc, *columns, doc.rows[0]).optional_text("Note"), "");
  EXPECT_EQ(RowReader(doc, *columns, doc.rows[0]).optional_text("Country"), "");
  EXPECT_EQ(RowReader(doc, *columns, doc.rows[1]).optional_text("Note"), "keep me");
}

TEST(CsvTest, ErrorCarriesFileLineAndField) {
  const Document doc = parse_ok("Id,Quantity\nA,1\nB,\"12,5\"\n");
  const ColumnSpec specs[] = {{"Id"}, {"Quantity"}};
  Result<Columns> columns = Columns::bind(doc, specs);
  ASSERT_TRUE(columns.ok());
  const RowReader row(doc, *columns, doc.rows[1]);
  EXPECT_EQ(row.line(), 3u);
  const Error error = row.error("Quantity", "\"12,5\" is not a decimal (use '.' as the separator)");
  expect_context(error, 3, "Quantity");
  EXPECT_EQ(error.to_string(),
            "feed.csv:3: field Quantity: \"12,5\" is not a decimal (use '.' as the separator)");
}

// A Partner Center NCE invoice-reconciliation excerpt as downloaded: BOM, CRLF, a customer
// name with a comma, a price adjustment holding doubled quotes, and Tier2MpnId rather than
// ResellerMpnId.
TEST(CsvTest, ReadsPartnerCenterReconciliationExcerpt) {
  const std::string text =
      "\xEF\xBB\xBF"
      "PartnerId,CustomerId,CustomerName,CustomerDomainName,CustomerCountry,InvoiceNumber,"
      "MpnId,Tier2MpnId,OrderId,OrderDate,ProductId,SkuId,AvailabilityId,SkuName,ProductName,"
      "ChargeType,UnitPrice,Quantity,Subtotal,TaxTotal,Total,Currency,"
      "PriceAdjustmentDescription,SubscriptionId,ChargeStartDate,ChargeEndDate,"
      "TermAndBillingCycle,EffectiveUnitPrice,UnitType,BillableQuantity,BillingFrequency,"
      "PricingCurrency,PCToBCExchangeRate,PCToBCExchangeRateDate,ReferenceId\r\n"
      "4d1d3a4e-0c2f-4b44-9a57-1c9f1f0e2a11,570032ed-7e4a-4bb0-9409-2afd36814937,"
      "\"Wattle & Co, Lawyers\",wattlelegal.onmicrosoft.com,AU,G012345678,5123456,6120577,"
      "a1b2c3d4e5f6,10/1/2026 12:00:00 AM,CFQ7TTC0LCHC,0002,CFQ7TTC0MNH7,"
      "Microsoft 365 Business Premium,Microsoft 365 Business Premium,cycleCharge,36.3,12,"
      "392.04,39.2,431.24,AUD,\"[\"\"10.0% Tier 2 Partner Discount\"\"]\","
      "9c4b2a3e-3f1d-4d8e-8a77-5b6c0d1e2f30,10/1/2026,10/31/2026,"
      "\"One-Year commitment, monthly billing\",32.67,Licenses,12,Monthly,AUD,1,10/1/2026,"
      "b7e0c1d2-aaaa-4bbb-8ccc-0123456789ab\r\n";
  const Document doc = parse_ok(text);
  ASSERT_EQ(doc.rows.size(), 1u);
  EXPECT_EQ(doc.header.front(), "PartnerId");  // no BOM glued to the first name
  const ColumnSpec specs[] = {
      {"CustomerId"}, {"CustomerName"}, {"ResellerMpnId", true, {"Tier2MpnId"}},
      {"ProductId"},  {"SkuId"},        {"ChargeType"},  {"EffectiveUnitPrice"},
      {"PriceAdjustmentDescription", false}, {"TermAndBillingCycle", false},
  };
  Result<Columns> columns = Columns::bind(doc, specs);
  ASSERT_TRUE(columns.ok()) << columns.error().to_string();
  const RowReader row(doc, *columns, doc.rows[0]);
  EXPECT_EQ(*row.text("CustomerName"), "Wattle & Co, Lawyers");
  EXPECT_EQ(*row.text("ResellerMpnId"), "6120577");
  EXPECT_EQ(std::string(*row.text("ProductId")) + ":" + std::string(*row.text("SkuId")),
            "CFQ7TTC0LCHC:0002");
  EXPECT_EQ(*row.text("EffectiveUnitPrice"), "32.67");
  EXPECT_EQ(row.optional_text("PriceAdjustmentDescription"),
            "[\"10.0% Tier 2 Partner Discount\"]");
  EXPECT_EQ(row.optional_text("TermAndBillingCycle"), "One-Year commitment, monthly billing");
  EXPECT_EQ(row.line(), 2u);
  EXPECT_EQ(row.error("ResellerMpnId", "not a partner").to_string(),
            "feed.csv:2: field Tier2MpnId: not a partner");
}

// ---- Properties -------------------------------------------------------------------------

std::string quote_if_needed(const std::string& value) {
  const bool needs_quotes = value.find_first_of(",\"\r\n") != std::string::npos;
  if (!needs_quotes) return value;
  std::string out = "\"";
  for (char c : value) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

// Writes random rows the way a correct writer would, with blank lines and mixed line
// ends between them, and checks every field and every row's line comes back unchanged.
TEST(CsvTest, RoundTripsRandomDocuments) {
  std::mt19937 random(20261015);
  const std::vector<std::string> pieces = {"a", "Z", "1", ",", "\"", "\n", "\r\n", " ",
                                           "é", "€", "\xF0\x9F\x8C\x8F", "\r", "x y"};
  for (int round = 0; round < 300; round++) {
    const size_t columns = 2 + random() % 5;
    std::string text;
    uint64_t line = 1;
    auto append = [&](const std::string& s) {
      text += s;
      for (char c : s) line += c == '\n';
    };
    for (size_t c = 0; c < columns; c++) append((c ? ",c" : "c") + std::to_string(c));
    append(random() % 2 ? "\n" : "\r\n");
    struct ExpectedRow {
      uint64_t line;
      Fields fields;
    };
    std::vector<ExpectedRow> expected;
    const size_t rows = random() % 20;
    for (size_t r = 0; r < rows; r++) {
      while (random() % 4 == 0) append(random() % 2 ? "\n" : "\r\n");
      ExpectedRow row{line, {}};
      for (size_t c = 0; c < columns; c++) {
        std::string value;
        for (size_t n = random() % 6; n > 0; n--) value += pieces[random() % pieces.size()];
        append((c ? "," : "") + quote_if_needed(value));
        row.fields.push_back(value);
      }
      expected.push_back(row);
      if (r + 1 < rows || random() % 2) append(random() % 2 ? "\n" : "\r\n");
    }
    const Document doc = parse_ok(text);
    ASSERT_EQ(doc.rows.size(), expected.size()) << text;
    for (size_t r = 0; r < expected.size(); r++) {
      EXPECT_EQ(doc.rows[r].line, expected[r].line) << text;
      EXPECT_EQ(fields_of(doc, doc.rows[r]), expected[r].fields) << text;
    }
  }
}

// Random bytes from CSV's own alphabet must parse or fail cleanly, never crash; the fuzz
// target explores far more, this keeps a cheap guard in every test run.
TEST(CsvTest, NeverCrashesOnRandomInput) {
  std::mt19937 random(7);
  const std::string alphabet = "ab,\"\r\n \xC3\xA9\x80\xFF";
  for (int round = 0; round < 2000; round++) {
    std::string text;
    for (size_t n = random() % 64; n > 0; n--) text += alphabet[random() % alphabet.size()];
    Result<Document> result = Document::parse(kFile, text, Limits{.field_bytes_max = 16,
                                                                  .columns_max = 8,
                                                                  .rows_max = 8});
    if (!result.ok()) {
      EXPECT_EQ(result.error().file, kFile);
      EXPECT_GE(result.error().line, 1u);
      continue;
    }
    for (const Row& row : result->rows) EXPECT_EQ(fields_of(*result, row).size(), result->header.size());
  }
}

// ---- The bundled sample data ------------------------------------------------------------

std::filesystem::path sample_dir() {
#ifdef CLOSEBOOK_SOURCE_DIR
  return std::filesystem::path(CLOSEBOOK_SOURCE_DIR) / "data" / "sample";
#else
  return std::filesystem::path(__FILE__).parent_path().parent_path() / "data" / "sample";
#endif
}

Document load_sample(const std::string& name, std::span<const ColumnSpec> specs) {
  std::ifstream in(sample_dir() / name, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot open " << (sample_dir() / name);
  std::stringstream bytes;
  bytes << in.rdbuf();
  Result<Document> doc = Document::parse(name, bytes.str());
  EXPECT_TRUE(doc.ok()) << doc.error().to_string();
  if (!doc.ok()) return {};
  Result<Columns> columns = Columns::bind(*doc, specs);
  EXPECT_TRUE(columns.ok()) << columns.error().to_string();
  for (const Row& row : doc->rows) {
    for (const ColumnSpec& spec : specs) {
      if (!spec.required || !columns.ok()) continue;
      if (spec.name == "ValidTo" || spec.name == "EffectiveTo") continue;  // empty = open
      EXPECT_TRUE(RowReader(*doc, *columns, row).text(spec.name).ok())
          << name << ":" << row.line << " " << spec.name;
    }
  }
  return std::move(doc).value();
}

TEST(CsvTest, SampleDataLoadsStrictlyAndIsConsistent) {
  const ColumnSpec partner_specs[] = {{"PartnerId"}, {"Name"}, {"Country"}, {"Currency"},
                                      {"ResellerMpnId"}, {"MarginFloorPct"}};
  const ColumnSpec tenant_specs[] = {{"TenantId"}, {"PartnerId"}, {"Vendor"}, {"IdType"},
                                     {"IdValue"}, {"ValidFrom"}, {"ValidTo"}};
  const ColumnSpec rule_specs[] = {
      {"RuleId"}, {"Version"}, {"Vendor"}, {"SkuId"}, {"PartnerId"}, {"EffectiveFrom"},
      {"EffectiveTo"}, {"CostUnitPrice"}, {"CostCurrency"}, {"SellMethod"}, {"SellValue"},
      {"SellCurrency"}, {"Unit"}, {"MarginFloorPct"}};
  const ColumnSpec fx_specs[] = {{"Date"}, {"Base"}, {"Quote"}, {"Rate"}, {"Source"}};
  const Document partners = load_sample("partners.csv", partner_specs);
  const Document tenants = load_sample("tenants.csv", tenant_specs);
  const Document rules = load_sample("rules.csv", rule_specs);
  const Document fx = load_sample("fx.csv", fx_specs);
  EXPECT_EQ(partners.rows.size(), 5u);
  EXPECT_GE(rules.rows.size(), 10u);
  EXPECT_GE(fx.rows.size(), 9u);

  std::set<std::string> partner_ids, tenant_ids;
  for (const Row& row : partners.rows) partner_ids.insert(std::string(partners.field(row, 0)));
  for (const Row& row : tenants.rows) {
    tenant_ids.insert(std::string(tenants.field(row, 0)));
    EXPECT_TRUE(partner_ids.count(std::string(tenants.field(row, 1)))) << "tenants.csv:" << row.line;
  }
  EXPECT_EQ(tenant_ids.size(), 12u);
  for (const Row& row : rules.rows) {
    EXPECT_TRUE(std::string(rules.field(row, 4)) == "*" || partner_ids.count(std::string(rules.field(row, 4)))) << "rules.csv:" << row.line;
  }
}

}  // namespace
}  // namespace closebook::csv
