// The bad-input corpus (tests/bad-input/README.md): real-world breakage, each refused with a
// clear error that names file, line and field and leaves the ledger exactly as it was, or
// accepted for a documented reason. CSV outputs defuse formula-leading cells.
#include <gtest/gtest.h>

#include <fstream>

#include "match/csv.h"
#include "tests/test_util.h"

namespace closebook {
namespace {

const std::string kBin = CLOSEBOOK_BIN;

struct Case {
  std::string file, command;
  bool accepted;
  std::string message;  // in the error (refused) or the output (accepted)
};

const std::vector<Case> kCases = {
    {"nce-truncated-mid-row.csv", "nce", false, "nce-truncated-mid-row.csv:8: the row has fewer fields than the header"},
    {"nce-utf16.csv", "nce", false, "nce-utf16.csv:1: the file is UTF-16"},
    {"nce-latin1-name.csv", "nce", false, "nce-latin1-name.csv:2: invalid UTF-8 at byte"},
    {"usage-excel-date.csv", "usage", false, "usage-excel-date.csv:2: field UsageDate: \"10/1/26\" is not a date"},
    {"usage-excel-datetime.csv", "usage", true, "1 rows, 1 new entries"},
    {"usage-scientific-quantity.csv", "usage", false, "field Quantity: \"1.23E+05\" is not a decimal (Excel exponent"},
    {"usage-thousands-separator.csv", "usage", false, "field Quantity: \"1,234\" is not a decimal (remove the thousands"},
    {"usage-negative-quantity.csv", "usage", false, "usage-negative-quantity.csv:2: field Quantity: -5 is negative"},
    {"usage-zero-quantity.csv", "usage", true, "1 rows, 1 new entries"},
    {"usage-huge-quantity.csv", "usage", false, "field Quantity: \"99999999999999999999999999999999999999"},
    {"usage-duplicate-header.csv", "usage", false, "usage-duplicate-header.csv:1: field Quantity: duplicate column name"},
    {"usage-unterminated-quote.csv", "usage", false, "field SourceRef: quoted field (column 9) opened on line 2 is never closed"},
    {"usage-ragged-row.csv", "usage", false, "usage-ragged-row.csv:2: the row has more fields than the header"},
    {"usage-nul-byte.csv", "usage", false, "usage-nul-byte.csv:2: NUL byte"},
    {"usage-empty.csv", "usage", false, "usage-empty.csv:1: the file is empty"},
    {"usage-header-only.csv", "usage", false, "usage-header-only.csv:1: the file has a header but no rows"},
    {"usage-10mb-field.csv", "usage", false, "usage-10mb-field.csv:2: field SourceRef: field in column 9 is larger than the limit"},
    {"partners-formula-name.csv", "partners", true, "1 rows, 1 new entries"},
};

TEST(BadInput, EachFileIsRefusedClearlyWithNothingWrittenOrAcceptedAsDocumented) {
  test::TempDir tmp;
  const SigningKey key = SigningKey::generate("closebook.test/bad-input").value();
  test::new_ledger(tmp / "ledger", key).reset();
  const auto sample = test::bundled_sample();
  for (const std::string kind : {"partners", "tenants", "rules", "fx"}) {
    test::write_text(tmp / (kind + ".csv"), sample.at(kind + ".csv"));
    ASSERT_EQ(test::run(kBin, {"--ledger", tmp / "ledger", "load", kind, tmp / (kind + ".csv")},
                        {"CLOSEBOOK_PASSPHRASE=test-passphrase"}).exit_code, 0);
  }
  // The 10 MB field is made here, not checked in.
  {
    const std::string usage = sample.at("usage.csv");
    const std::string header = usage.substr(0, usage.find('\n') + 1);
    std::string row = usage.substr(header.size(), usage.find('\n', header.size()) - header.size());
    row = row.substr(0, row.rfind(',') + 1) + "\"" + std::string(10 << 20, 'x') + "\"\n";
    test::write_text(tmp / "usage-10mb-field.csv", header + row);
  }
  const std::string corpus = test::source_dir() + "/tests/bad-input/";
  for (const Case& c : kCases) {
    const std::string path = c.file == "usage-10mb-field.csv" ? tmp / c.file : corpus + c.file;
    std::vector<std::string> args{"--ledger", tmp / "ledger"};
    if (c.command == "nce") args.insert(args.end(), {"ingest", "invoice", "--format", "microsoft-nce", path, "--period", "2026-10"});
    if (c.command == "usage") args.insert(args.end(), {"ingest", "usage", path, "--period", "2026-10"});
    if (c.command == "partners") args.insert(args.end(), {"load", "partners", path});
    const std::string before = test::run(kBin, {"--ledger", tmp / "ledger", "log", "checkpoint"}).out;
    const test::RunResult r = test::run(kBin, args, {"CLOSEBOOK_PASSPHRASE=test-passphrase"});
    if (c.accepted) {
      EXPECT_EQ(r.exit_code, 0) << c.file << ": " << r.err;
      EXPECT_NE(r.out.find(c.message), std::string::npos) << c.file << ": " << r.out;
      continue;
    }
    EXPECT_EQ(r.exit_code, 2) << c.file << ": " << r.err;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << c.file << ": " << r.err.substr(0, 400);
    EXPECT_EQ(test::run(kBin, {"--ledger", tmp / "ledger", "log", "checkpoint"}).out, before) << c.file << " changed the ledger";
  }
}

TEST(BadInput, CsvOutputsDefuseCellsASpreadsheetWouldRun) {
  for (const std::string formula : {"=HYPERLINK(\"http://evil.example/\",\"click\")", "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"}) {
    const std::string cell = csv::cell(formula, /*text=*/true);
    EXPECT_TRUE(cell.starts_with("'") || cell.starts_with("\"'")) << cell;
  }
  EXPECT_EQ(csv::cell("-12.50", /*text=*/false), "-12.50") << "a number stays a number";
  EXPECT_EQ(csv::cell("Harbour IT", true), "Harbour IT");
}

}  // namespace
}  // namespace closebook
