// The real `closebook` and `closebook-verify` binaries: key files, the log interface of
// docs/ledger.md §9 exactly, clear errors and exit codes, and offline verification of their output.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <random>
#include <thread>
#include <nlohmann/json.hpp>

#include "evidence/hash.h"

#include "tests/test_util.h"

namespace closebook {
namespace {

using test::run;
using test::RunResult;

const std::string kBin = CLOSEBOOK_BIN;
const std::string kVerify = CLOSEBOOK_VERIFY_BIN;
const std::vector<std::string> kEnv = {"CLOSEBOOK_PASSPHRASE=cli-test-passphrase"};

std::string sample(const char* name) { return test::source_dir() + "/data/sample/" + name; }

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ledger_ = tmp_ / "ledger";
    RunResult init = cb({"init", "--origin", "closebook.test/cli"});
    ASSERT_EQ(init.exit_code, 0) << init.err;
    for (const char* kind : {"partners", "tenants", "rules", "fx"}) {
      RunResult r = cb({"load", kind, sample((std::string(kind) + ".csv").c_str())});
      ASSERT_EQ(r.exit_code, 0) << r.err;
    }
    vkey_ = cb({"log", "vkey"}).out;
    write(tmp_ / "vkey", vkey_);
  }

  RunResult cb(std::vector<std::string> args, const std::vector<std::string>& env = kEnv) {
    args.insert(args.begin(), {"--ledger", ledger_});
    return run(kBin, args, env);
  }
  void write(const std::string& path, const std::string& text) { test::write_text(path, text); }

  test::TempDir tmp_;
  std::string ledger_;
  std::string vkey_;
};

TEST_F(CliTest, VkeyIsOneSignedNoteVerifierKeyLine) {
  ASSERT_EQ(vkey_.back(), '\n');
  EXPECT_EQ(vkey_.find('\n'), vkey_.size() - 1);
  EXPECT_EQ(vkey_.rfind("closebook.test/cli+", 0), 0u) << vkey_;
}

TEST_F(CliTest, CheckpointIsASignedTlogCheckpoint) {
  RunResult cp = cb({"log", "checkpoint"});
  ASSERT_EQ(cp.exit_code, 0) << cp.err;
  EXPECT_EQ(cp.out.rfind("closebook.test/cli\n", 0), 0u);
  EXPECT_NE(cp.out.find("\n\n\xE2\x80\x94 closebook.test/cli "), std::string::npos);
  write(tmp_ / "cp", cp.out);
  RunResult v = run(kVerify, {"checkpoint", tmp_ / "cp", "--key", tmp_ / "vkey"});
  EXPECT_EQ(v.exit_code, 0) << v.out;
}

TEST_F(CliTest, CheckpointAtASizeWithoutOneIsANotFound) {
  RunResult r = cb({"log", "checkpoint", "--size", "3"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("no checkpoint was signed at tree size 3"), std::string::npos) << r.err;
}

TEST_F(CliTest, EntryFormatsAgree) {
  RunResult raw = cb({"log", "entry", "2", "--format", "raw"});
  RunResult b64 = cb({"log", "entry", "2", "--format", "base64"});
  RunResult json = cb({"log", "entry", "2", "--format", "json"});
  ASSERT_EQ(raw.exit_code, 0);
  EXPECT_EQ(raw.out.size() % 8, 0u);
  EXPECT_EQ(b64.out, to_base64(as_bytes(raw.out)) + "\n");
  auto j = nlohmann::json::parse(json.out);
  EXPECT_EQ(j["index"], "2");  // Cap'n Proto's JSON writes 64-bit integers as strings
  EXPECT_TRUE(j["kind"].contains("partner"));
  EXPECT_EQ(cb({"log", "entry", "2", "--format", "xml"}).exit_code, 2);
  EXPECT_EQ(cb({"log", "entry", "99999"}).exit_code, 3);
  EXPECT_EQ(cb({"log", "entry", "seven"}).exit_code, 2);
  EXPECT_EQ(cb({"log", "entry", "-1"}).exit_code, 1);  // read as an unknown option: usage
}

TEST_F(CliTest, InclusionProofJsonHasExactlyTheDocumentedFields) {
  RunResult r = cb({"log", "prove", "inclusion", "5"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  std::vector<std::string> keys;
  for (auto it = j.begin(); it != j.end(); ++it) keys.push_back(it.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"hashes", "index", "leaf_hash", "size"}));
  EXPECT_EQ(r.out.rfind("{\"index\":5,\"size\":", 0), 0u) << r.out;
  write(tmp_ / "proof", r.out);
  write(tmp_ / "entry", cb({"log", "entry", "5"}).out);
  write(tmp_ / "cp", cb({"log", "checkpoint"}).out);
  RunResult v = run(kVerify, {"inclusion", "--key", tmp_ / "vkey", "--checkpoint", tmp_ / "cp",
                              "--proof", tmp_ / "proof", "--entry", tmp_ / "entry"});
  EXPECT_EQ(v.exit_code, 0) << v.out;
  // Another entry's bytes do not verify with this proof.
  write(tmp_ / "entry", cb({"log", "entry", "6"}).out);
  v = run(kVerify, {"inclusion", "--key", tmp_ / "vkey", "--checkpoint", tmp_ / "cp", "--proof",
                    tmp_ / "proof", "--entry", tmp_ / "entry"});
  EXPECT_EQ(v.exit_code, 4) << v.out;
}

TEST_F(CliTest, ConsistencyProofBetweenTwoCheckpointsVerifies) {
  RunResult sizes = cb({"log", "checkpoints"});
  ASSERT_EQ(sizes.exit_code, 0);
  const std::string first = sizes.out.substr(0, sizes.out.find('\n'));
  write(tmp_ / "old", cb({"log", "checkpoint", "--size", first}).out);
  write(tmp_ / "new", cb({"log", "checkpoint"}).out);
  RunResult proof = cb({"log", "prove", "consistency", first});
  ASSERT_EQ(proof.exit_code, 0) << proof.err;
  EXPECT_EQ(proof.out.rfind("{\"old_size\":" + first + ",\"size\":", 0), 0u) << proof.out;
  write(tmp_ / "proof", proof.out);
  RunResult v = run(kVerify, {"consistency", "--key", tmp_ / "vkey", "--old", tmp_ / "old", "--new",
                              tmp_ / "new", "--proof", tmp_ / "proof"});
  EXPECT_EQ(v.exit_code, 0) << v.out;
  // Swapping old and new is refused.
  v = run(kVerify, {"consistency", "--key", tmp_ / "vkey", "--old", tmp_ / "new", "--new", tmp_ / "old",
                    "--proof", tmp_ / "proof"});
  EXPECT_EQ(v.exit_code, 4) << v.out;
}

TEST_F(CliTest, VerifyLedgerPassesAndFailsWithAnotherKey) {
  RunResult ok = run(kVerify, {"ledger", ledger_, "--key", tmp_ / "vkey"});
  EXPECT_EQ(ok.exit_code, 0) << ok.out;
  EXPECT_NE(ok.out.find("OK: ledger closebook.test/cli"), std::string::npos);
  RunResult other = run(kBin, {"keygen", "--out", tmp_ / "other.key", "--name", "closebook.test/cli"}, kEnv);
  ASSERT_EQ(other.exit_code, 0) << other.err;
  RunResult bad = run(kVerify, {"ledger", ledger_, "--key", tmp_ / "other.key.pub"});
  EXPECT_EQ(bad.exit_code, 4) << bad.out;
  EXPECT_NE(bad.out.find("FAIL"), std::string::npos);
}

TEST_F(CliTest, VerifyReportsATruncatedLedgerFileAsAFailureNotACrash) {
  std::filesystem::create_directories(tmp_ / "copy");
  const std::string data = test::read_text(ledger_ + "/data.mdb");
  write(tmp_ / "copy/data.mdb", data.substr(0, data.size() / 3));
  RunResult r = run(kVerify, {"ledger", tmp_ / "copy", "--key", tmp_ / "vkey"});
  EXPECT_EQ(r.exit_code, 4) << r.out << r.err;
  EXPECT_EQ(r.out.rfind("FAIL: ", 0), 0u) << r.out;
}

TEST_F(CliTest, VerifyNeverCrashesOnARandomlyDamagedLedgerFile) {
  std::filesystem::create_directories(tmp_ / "copy");
  const std::string data = test::read_text(ledger_ + "/data.mdb");
  std::mt19937 rng(20261123);
  int failures = 0;
  for (int trial = 0; trial < 40; ++trial) {
    std::string damaged = data;
    for (int flips = 0; flips < 8; ++flips) damaged[rng() % damaged.size()] ^= static_cast<char>(1 + rng() % 255);
    write(tmp_ / "copy/data.mdb", damaged);
    std::filesystem::remove(tmp_ / "copy/lock.mdb");
    RunResult r = run(kVerify, {"ledger", tmp_ / "copy", "--key", tmp_ / "vkey"});
    // Flips that land in free pages change nothing that is evidence; anything else must fail.
    ASSERT_TRUE(r.exit_code == 0 || r.exit_code == 4) << "trial " << trial << ": " << r.exit_code << r.out << r.err;
    failures += r.exit_code == 4;
  }
  EXPECT_GT(failures, 0);
}

TEST_F(CliTest, ABadFileNamesLineAndFieldAndChangesNothing) {
  const std::string before = cb({"log", "checkpoint"}).out;
  write(tmp_ / "fx.csv", "Date,Base,Quote,Rate,Source\n2026-11-02,USD,AUD,1.5,RBA\n2026-11-03,USD,AUD,\"1,5\",RBA\n");
  RunResult r = cb({"load", "fx", tmp_ / "fx.csv"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("fx.csv:3: field Rate:"), std::string::npos) << r.err;
  EXPECT_EQ(cb({"log", "checkpoint"}).out, before);
}

TEST_F(CliTest, ReloadingAFileAddsNothing) {
  const std::string before = cb({"log", "checkpoint"}).out;
  RunResult r = cb({"load", "rules", sample("rules.csv")});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("0 new entries"), std::string::npos) << r.out;
  EXPECT_EQ(cb({"log", "checkpoint"}).out, before);
}

TEST_F(CliTest, ConcurrentLoadsCannotPublishOneRuleVersionTwice) {
  const std::string header =
      "RuleId,Version,Vendor,SkuId,PartnerId,EffectiveFrom,EffectiveTo,CostUnitPrice,CostCurrency,"
      "SellMethod,SellValue,SellCurrency,Unit,MarginFloorPct\n";
  for (int round = 0; round < 3; ++round) {
    const std::string id = "R9" + std::to_string(round);
    write(tmp_ / "a.csv", header + id + ",1,microsoft,S,*,2026-01-01,,10.00,AUD,markup_pct,5,AUD,Licence,\n");
    write(tmp_ / "b.csv", header + id + ",1,microsoft,S,*,2026-01-01,,99.00,AUD,markup_pct,5,AUD,Licence,\n");
    RunResult a, b;
    std::thread ta([&] { a = cb({"load", "rules", tmp_ / "a.csv"}); });
    std::thread tb([&] { b = cb({"load", "rules", tmp_ / "b.csv"}); });
    ta.join();
    tb.join();
    EXPECT_EQ((a.exit_code == 0) + (b.exit_code == 0), 1) << a.err << b.err;
    EXPECT_NE((a.exit_code == 0 ? b.err : a.err).find("publish a new version"), std::string::npos);
  }
  EXPECT_EQ(run(kVerify, {"ledger", ledger_, "--key", tmp_ / "vkey"}).exit_code, 0);
}

TEST_F(CliTest, SampleFeedsIngestOnceAndBadFeedsChangeNothing) {
  RunResult r = cb({"ingest", "invoice", "--format", "microsoft-nce", sample("invoice-microsoft-nce.csv"),
                    "--period", "2026-10"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("13 rows, 13 new entries"), std::string::npos) << r.out;
  EXPECT_EQ(r.err, "");  // no progress output when stderr is not a terminal
  ASSERT_EQ(cb({"ingest", "invoice", "--format", "generic", sample("invoice-generic.csv")}).exit_code, 0);
  ASSERT_EQ(cb({"ingest", "usage", sample("usage.csv")}).exit_code, 0);
  const std::string before = cb({"log", "checkpoint"}).out;
  r = cb({"ingest", "usage", sample("usage.csv")});
  EXPECT_NE(r.out.find("0 new entries"), std::string::npos) << r.out;
  write(tmp_ / "u.csv", "Vendor,UsageDate,TenantRef,SkuId,Quantity,QuantityBasis,UnitType\n"
                        "acronis,2026-10-31,org-1,ACR,5,consumed,GB\nacronis,2026-10-31,org-1,ACR,5,average,GB\n");
  r = cb({"ingest", "usage", tmp_ / "u.csv"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("u.csv:3: field QuantityBasis:"), std::string::npos) << r.err;
  EXPECT_EQ(cb({"ingest", "invoice", sample("invoice-generic.csv")}).exit_code, 2);  // no --format
  EXPECT_EQ(cb({"ingest", "invoice", "--format", "sap", sample("invoice-generic.csv")}).exit_code, 2);
  EXPECT_EQ(cb({"log", "checkpoint"}).out, before);
  EXPECT_EQ(run(kVerify, {"ledger", ledger_, "--key", tmp_ / "vkey"}).exit_code, 0);
}

// Shipped profiles load by name, any profile by --profile; --help lists both, and a bad profile
// or a row that breaks it is refused with its file, line and field, changing nothing.
TEST_F(CliTest, FeedProfilesLoadByNameOrFileAndABadOneChangesNothing) {
  const std::string layouts = test::source_dir() + "/tests/vendor-layouts/";
  RunResult help = cb({"ingest", "--help"});
  for (const char* name : {"microsoft-azure-daily-rated", "aws-cur (usage, profile)", "aws-marketplace (invoice, profile)",
                           "sophos", "backup-seat-report", "--profile"}) {
    EXPECT_NE(help.out.find(name), std::string::npos) << name << " is not in:\n" << help.out;
  }
  RunResult r = cb({"ingest", "usage", "--format", "aws-cur", layouts + "aws-cur.csv"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("6 rows, 6 new entries, 0 already in the ledger; 6 rows skipped by the profile's row filter"),
            std::string::npos) << r.out;
  ASSERT_EQ(cb({"ingest", "usage", "--format", "microsoft-azure-daily-rated", layouts + "microsoft-azure-daily-rated.csv"}).exit_code, 0);
  write(tmp_ / "p.yaml", "closebook-profile: 1\nname: nable\ntarget: usage\nsource: a test\ndates: DD/MM/YYYY\ncolumns:\n"
                         "  Vendor: {value: n-able}\n  UsageDate: Day\n  TenantRef: Site\n  SkuId: Module\n"
                         "  Quantity: Devices\n  QuantityBasis: {value: snapshot}\n  UnitType: {value: device}\n");
  write(tmp_ / "n.csv", "Day,Site,Module,Devices\n31/10/2026,site-9,EDR,14\n");
  r = cb({"ingest", "usage", "--profile", tmp_ / "p.yaml", tmp_ / "n.csv"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string before = cb({"log", "checkpoint"}).out;
  write(tmp_ / "n2.csv", "Day,Site,Module,Devices\n10/31/2026,site-9,EDR,14\n");
  r = cb({"ingest", "usage", "--profile", tmp_ / "p.yaml", tmp_ / "n2.csv"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("n2.csv:2: field Day: for UsageDate:"), std::string::npos) << r.err;
  write(tmp_ / "bad.yaml", "closebook-profile: 1\nname: nable\ntarget: usage\nsource: a test\ncolums: {}\n");
  r = cb({"ingest", "usage", "--profile", tmp_ / "bad.yaml", tmp_ / "n.csv"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("bad.yaml:5: field colums: unknown key"), std::string::npos) << r.err;
  EXPECT_EQ(cb({"ingest", "invoice", "--profile", tmp_ / "p.yaml", tmp_ / "n.csv"}).exit_code, 2);  // a usage profile
  EXPECT_EQ(cb({"ingest", "usage", "--format", "aws-cur", "--profile", tmp_ / "p.yaml", tmp_ / "n.csv"}).exit_code, 2);
  EXPECT_EQ(cb({"log", "checkpoint"}).out, before);
  EXPECT_EQ(run(kVerify, {"ledger", ledger_, "--key", tmp_ / "vkey"}).exit_code, 0);
}

TEST_F(CliTest, PricingTheSamplePeriodIsIdempotentAndABadConfigChangesNothing) {
  ASSERT_EQ(cb({"ingest", "usage", sample("usage.csv")}).exit_code, 0);
  write(tmp_ / "bad.json", "{\"exceptions\": {\"NO_PRICING_RULE\": {\"owner\": \"x\", \"due\": 3}}}");
  const std::string before = cb({"log", "checkpoint"}).out;
  RunResult r = cb({"price", "--period", "2026-10", "--config", tmp_ / "bad.json"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("bad.json: field exceptions.NO_PRICING_RULE: unknown setting \"due\""), std::string::npos) << r.err;
  EXPECT_EQ(cb({"price", "--period", "2026-13"}).exit_code, 2);
  EXPECT_EQ(cb({"log", "checkpoint"}).out, before);
  r = cb({"price", "--period", "2026-10"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("priced 2026-10: 21 lines, 0 exceptions, 3 FX locks"), std::string::npos) << r.out;
  r = cb({"price", "--period", "2026-10"});
  EXPECT_NE(r.out.find("; 0 new entries"), std::string::npos) << r.out;
  EXPECT_EQ(run(kVerify, {"ledger", ledger_, "--key", tmp_ / "vkey"}).exit_code, 0);
}

TEST_F(CliTest, MatchRefusesAnUnpricedPeriodThenMatchesOnceAndTheQueueSummarises) {
  ASSERT_EQ(cb({"ingest", "invoice", "--format", "microsoft-nce", sample("invoice-microsoft-nce.csv"), "--period", "2026-10"}).exit_code, 0);
  ASSERT_EQ(cb({"ingest", "invoice", "--format", "generic", sample("invoice-generic.csv"), "--period", "2026-10"}).exit_code, 0);
  ASSERT_EQ(cb({"ingest", "usage", sample("usage.csv"), "--period", "2026-10"}).exit_code, 0);
  const std::string before = cb({"log", "checkpoint"}).out;
  RunResult r = cb({"match", "--period", "2026-10"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("run `closebook price --period 2026-10` before matching"), std::string::npos) << r.err;
  EXPECT_EQ(cb({"log", "checkpoint"}).out, before);
  ASSERT_EQ(cb({"price", "--period", "2026-10"}).exit_code, 0);
  r = cb({"match", "--period", "2026-10"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("matched 2026-10: 19 keys, 18 matched, 3 exceptions; 23 new entries"), std::string::npos) << r.out;
  r = cb({"match", "--period", "2026-10"});
  EXPECT_NE(r.out.find("3 exceptions; 0 new entries"), std::string::npos) << r.out;
  r = cb({"exceptions", "summary", "--period", "2026-10", "--format", "csv"});
  EXPECT_EQ(r.out,
            "Category,Currency,Count,Open,BlockingOpen,Amount\n"
            "COST_RATE_MISMATCH,AUD,1,1,0,-0.02\n"
            "FX_VARIANCE,AUD,1,1,0,-0.39\n"
            "TIMING,AUD,1,1,0,645.47\n");
  EXPECT_EQ(run(kVerify, {"ledger", ledger_, "--key", tmp_ / "vkey"}).exit_code, 0);
}

TEST_F(CliTest, FinanceSignsOffOfflineAndEveryBadSubmissionChangesNothing) {
  ASSERT_EQ(cb({"ingest", "invoice", "--format", "microsoft-nce", sample("invoice-microsoft-nce.csv"), "--period", "2026-10"}).exit_code, 0);
  ASSERT_EQ(cb({"ingest", "invoice", "--format", "generic", sample("invoice-generic.csv"), "--period", "2026-10"}).exit_code, 0);
  ASSERT_EQ(cb({"ingest", "usage", sample("usage.csv"), "--period", "2026-10"}).exit_code, 0);
  ASSERT_EQ(cb({"price", "--period", "2026-10"}).exit_code, 0);
  ASSERT_EQ(cb({"match", "--period", "2026-10"}).exit_code, 0);
  write(tmp_ / "fin.pass", "finance-passphrase\n");
  ASSERT_EQ(chmod((tmp_ / "fin.pass").c_str(), 0600), 0);
  const std::string key = tmp_ / "fin.key";
  ASSERT_EQ(run(kBin, {"keygen", "--out", key, "--name", "carol@finance", "--passphrase-file", tmp_ / "fin.pass"}).exit_code, 0);

  // Keys: a file that is not a verifier key, and a key nobody registered.
  write(tmp_ / "bad.pub", "not a key\n");
  RunResult r = cb({"keys", "register", "--pub", tmp_ / "bad.pub"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("bad.pub: not a verifier key"), std::string::npos) << r.err;
  EXPECT_EQ(cb({"keys", "revoke", "--name", "carol@finance", "--reason", "x"}).exit_code, 3);

  ASSERT_EQ(cb({"signoff", "statement", "--period", "2026-10"}).exit_code, 0);
  write(tmp_ / "stmt", cb({"signoff", "statement", "--period", "2026-10", "--summary-out", tmp_ / "summary"}).out);
  // Signing needs no ledger; it refuses text that is not a statement, signing blind, and a
  // summary other than the one the statement commits to.
  write(tmp_ / "other.txt", "pay 1000000 to mallory\n");
  EXPECT_EQ(run(kBin, {"sign", "--key", key, "--passphrase-file", tmp_ / "fin.pass", "--summary", tmp_ / "summary", tmp_ / "other.txt"})
                .exit_code, 2);
  EXPECT_NE(run(kBin, {"sign", "--key", key, "--passphrase-file", tmp_ / "fin.pass", tmp_ / "stmt"}).exit_code, 0) << "blind";
  write(tmp_ / "edited", "salt " + std::string(64, '0') + "\nmatch 1 keys 1 matched 1\n");
  r = run(kBin, {"sign", "--key", key, "--passphrase-file", tmp_ / "fin.pass", "--summary", tmp_ / "edited", tmp_ / "stmt"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("not the one the statement's summary line commits to"), std::string::npos) << r.err;
  r = run(kBin, {"--ledger", tmp_ / "nowhere", "sign", "--key", key, "--passphrase-file", tmp_ / "fin.pass", "--summary",
                 tmp_ / "summary", tmp_ / "stmt"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("the summary you sign"), std::string::npos) << r.err;
  write(tmp_ / "sig", r.out);

  const std::string before = cb({"log", "checkpoint"}).out;
  r = cb({"signoff", "submit", "--period", "2026-10", "--statement", tmp_ / "stmt", "--signature", tmp_ / "sig"});
  EXPECT_EQ(r.exit_code, 2) << "carol is not a registered finance key yet";
  write(tmp_ / "junk.sig", "— carol@finance AAAA\n");
  EXPECT_EQ(cb({"signoff", "submit", "--period", "2026-10", "--statement", tmp_ / "stmt", "--signature", tmp_ / "junk.sig"}).exit_code, 2);
  EXPECT_EQ(cb({"signoff", "submit", "--period", "2026-11", "--statement", tmp_ / "stmt", "--signature", tmp_ / "sig"}).exit_code, 2);
  EXPECT_EQ(cb({"log", "checkpoint"}).out, before);

  ASSERT_EQ(cb({"keys", "register", "--pub", key + ".pub", "--role", "finance"}).exit_code, 0);
  r = cb({"signoff", "submit", "--period", "2026-10", "--statement", tmp_ / "stmt", "--signature", tmp_ / "sig"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("signed off at entry"), std::string::npos);
  EXPECT_NE(cb({"signoff", "checkpoint", "--period", "2026-10"}).out.find("\n— carol@finance "), std::string::npos);
  r = cb({"price", "--period", "2026-10"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("is signed off"), std::string::npos) << r.err;
  r = run(kVerify, {"ledger", ledger_, "--key", tmp_ / "vkey"});
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("1 sign-offs"), std::string::npos) << r.out;
}

TEST_F(CliTest, TheExceptionQueueListsAndWorksExceptionsAsLedgerEntries) {
  write(tmp_ / "u.csv",
        "Vendor,UsageDate,TenantRef,SubscriptionId,SkuId,Quantity,QuantityBasis,UnitType,SourceRef\n"
        "=cmd,2026-10-31,nobody,sub-x,SKU-X,5,consumed,GB,u1\n"
        "acronis,2026-10-31,88825278-08a8-4728-94af-fd0e00ff815f,sub-y,NO-SUCH-SKU,5,consumed,GB,u2\n");
  ASSERT_EQ(cb({"ingest", "usage", tmp_ / "u.csv"}).exit_code, 0);
  ASSERT_EQ(cb({"price", "--period", "2026-10"}).exit_code, 0);

  RunResult csv = cb({"exceptions", "list", "--period", "2026-10", "--format", "csv"});
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  EXPECT_EQ(csv.out.substr(0, csv.out.find('\n')),
            "ExceptionId,Period,Category,Severity,Vendor,PartnerId,TenantId,SubscriptionId,SkuId,Delta,"
            "Currency,Owner,DueDate,Status,Summary");
  EXPECT_NE(csv.out.find(",'=cmd,"), std::string::npos) << csv.out;  // a formula is never live
  auto all = nlohmann::json::parse(cb({"exceptions", "list", "--period", "2026-10", "--format", "json"}).out);
  ASSERT_EQ(all.size(), 2u);
  std::string unresolved, no_rule;
  for (const auto& e : all) {
    (e["category"] == "TENANT_UNRESOLVED" ? unresolved : no_rule) = e["exception_id"].get<std::string>();
    EXPECT_EQ(e["status"], "open");
  }
  ASSERT_FALSE(unresolved.empty());
  ASSERT_FALSE(no_rule.empty());

  EXPECT_EQ(cb({"exceptions", "ack", unresolved, "--actor", "alice"}).exit_code, 0);
  EXPECT_EQ(cb({"exceptions", "ack", unresolved}).exit_code, 7);  // already acknowledged
  EXPECT_EQ(cb({"exceptions", "assign", unresolved, "--owner", "bob", "--actor", "alice"}).exit_code, 0);
  EXPECT_EQ(cb({"exceptions", "resolve", unresolved}).exit_code, 2);  // a resolution needs a note
  write(tmp_ / "proof.pdf", "tenant edge added for the identity");
  EXPECT_EQ(cb({"exceptions", "resolve", unresolved, "--note", "edge added", "--evidence", tmp_ / "proof.pdf"}).exit_code, 0);
  EXPECT_EQ(cb({"exceptions", "waive", unresolved, "--reason", "late"}).exit_code, 7);  // closed
  EXPECT_EQ(cb({"exceptions", "waive", no_rule, "--reason", "SKU retired; billed manually"}).exit_code, 0);
  EXPECT_EQ(cb({"exceptions", "show", "EX-2026-10-NOPE"}).exit_code, 3);

  auto shown = nlohmann::json::parse(cb({"exceptions", "show", unresolved}).out);
  EXPECT_EQ(shown["status"], "resolved");
  EXPECT_EQ(shown["owner"], "bob");
  ASSERT_EQ(shown["history"].size(), 4u);  // raised, acknowledge, assign, resolve
  EXPECT_EQ(shown["history"][1]["actor"], "alice");
  EXPECT_EQ(shown["history"][3]["note"], "edge added");
  auto open_now = nlohmann::json::parse(cb({"exceptions", "list", "--period", "2026-10", "--status", "open", "--format", "json"}).out);
  EXPECT_TRUE(open_now.empty());
  EXPECT_EQ(cb({"exceptions", "list", "--period", "2026-10", "--category", "NOPE"}).exit_code, 2);
  EXPECT_EQ(run(kVerify, {"ledger", ledger_, "--key", tmp_ / "vkey"}).exit_code, 0);
}

TEST_F(CliTest, ShadowModeDiffsLegacyBillingLineByLineWithoutTouchingTheLedger) {
  ASSERT_EQ(cb({"ingest", "usage", sample("usage.csv")}).exit_code, 0);
  ASSERT_EQ(cb({"price", "--period", "2026-10"}).exit_code, 0);
  const std::string before = cb({"log", "checkpoint"}).out;
  RunResult r = cb({"shadow", "--period", "2026-10", "--legacy", sample("legacy-billing.csv"), "--csv", tmp_ / "shadow.csv"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("total AUD: 18 lines, 4 differ; legacy 4204.67, closebook 4353.54, delta 148.87"),
            std::string::npos) << r.out;
  const std::string csv = test::read_text(tmp_ / "shadow.csv");
  EXPECT_EQ(csv.rfind("PartnerId,Vendor,SubscriptionId,SkuId,Currency,Status,", 0), 0u);
  for (const char* status : {",qty,", ",price,", ",missing,", ",extra,", ",same,"}) {
    EXPECT_NE(csv.find(status), std::string::npos) << status;
  }
  // Same quantity and unit price, a subtotal a cent off past the tolerance: "amount".
  write(tmp_ / "legacy.csv", "LineId,Period,PartnerId,Vendor,SkuId,SubscriptionId,Quantity,SellUnitPrice,SellSubtotal,Currency\n"
                             "L1,2026-10,P001,microsoft,CFQ7TTC0LH16:0001,d0d86acb-812d-45d2-8884-ba509afc6374,4,6.9000,27.62,AUD\n"
                             "L2,2026-09,P001,microsoft,CFQ7TTC0LH16:0001,other,4,6.9000,27.60,AUD\n");
  r = cb({"shadow", "--period", "2026-10", "--legacy", tmp_ / "legacy.csv"});
  EXPECT_NE(r.out.find(" amount "), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("other"), std::string::npos) << "another period's legacy line is not compared";
  write(tmp_ / "legacy.csv", "LineId,Period,PartnerId,Vendor,SkuId,Quantity,SellSubtotal,Currency\nL1,2026-10,P001,microsoft,S,four,1,AUD\n");
  r = cb({"shadow", "--period", "2026-10", "--legacy", tmp_ / "legacy.csv"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("legacy.csv:2: field Quantity:"), std::string::npos) << r.err;
  EXPECT_EQ(cb({"log", "checkpoint"}).out, before);
}

TEST_F(CliTest, AWrongPassphraseIsRefusedAndChangesNothing) {
  write(tmp_ / "fx.csv", "Date,Base,Quote,Rate,Source\n2026-11-02,USD,AUD,1.5,RBA\n");
  RunResult r = cb({"load", "fx", tmp_ / "fx.csv"}, {"CLOSEBOOK_PASSPHRASE=not-the-passphrase"});
  EXPECT_EQ(r.exit_code, 8);
  EXPECT_NE(r.err.find("wrong passphrase"), std::string::npos) << r.err;
}

TEST_F(CliTest, APassphraseFileOthersCanReadIsRefused) {
  write(tmp_ / "pass", "cli-test-passphrase\n");
  ASSERT_EQ(::chmod((tmp_ / "pass").c_str(), 0644), 0);
  write(tmp_ / "fx.csv", "Date,Base,Quote,Rate,Source\n2026-11-02,USD,AUD,1.5,RBA\n");
  RunResult r = cb({"load", "fx", tmp_ / "fx.csv", "--passphrase-file", tmp_ / "pass"}, {});
  EXPECT_EQ(r.exit_code, 8) << r.err;
  ASSERT_EQ(::chmod((tmp_ / "pass").c_str(), 0600), 0);
  r = cb({"load", "fx", tmp_ / "fx.csv", "--passphrase-file", tmp_ / "pass"}, {});
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST_F(CliTest, AGroupReadableLogKeyIsRefused) {
  ASSERT_EQ(::chmod((ledger_ + "/log.key").c_str(), 0640), 0);
  write(tmp_ / "fx.csv", "Date,Base,Quote,Rate,Source\n2026-11-02,USD,AUD,1.5,RBA\n");
  RunResult r = cb({"load", "fx", tmp_ / "fx.csv"});
  EXPECT_EQ(r.exit_code, 8);
  EXPECT_NE(r.err.find("mode 0640"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("chmod 600"), std::string::npos) << r.err;
}

TEST(CliKeygen, WritesASecretFileOnlyItsOwnerCanReadAndAPublicKey) {
  test::TempDir tmp;
  RunResult r = run(kBin, {"keygen", "--out", tmp / "alice.key", "--name", "alice@finance"}, kEnv);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  struct stat st;
  ASSERT_EQ(::stat((tmp / "alice.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  const std::string pub = test::read_text(tmp / "alice.key.pub");
  EXPECT_EQ(pub.rfind("alice@finance+", 0), 0u);
  auto secret = nlohmann::json::parse(test::read_text(tmp / "alice.key"));
  EXPECT_EQ(secret["kdf"]["algorithm"], "argon2id13");
  EXPECT_EQ(secret["cipher"]["algorithm"], "xsalsa20poly1305");
  EXPECT_EQ(secret["verifier_key"].get<std::string>() + "\n", pub);
  // It never overwrites an existing key.
  RunResult again = run(kBin, {"keygen", "--out", tmp / "alice.key", "--name", "alice@finance"}, kEnv);
  EXPECT_EQ(again.exit_code, 7) << again.err;
}

TEST(CliKeygen, RefusesAShortPassphraseAndABadName) {
  test::TempDir tmp;
  EXPECT_EQ(run(kBin, {"keygen", "--out", tmp / "k", "--name", "a"}, {"CLOSEBOOK_PASSPHRASE=short"}).exit_code, 2);
  EXPECT_EQ(run(kBin, {"keygen", "--out", tmp / "k", "--name", "a b"}, kEnv).exit_code, 2);
  EXPECT_FALSE(std::filesystem::exists(tmp / "k"));
}

TEST(CliUsage, UnknownCommandsAndMissingLedgersAreClear) {
  test::TempDir tmp;
  EXPECT_EQ(run(kBin, {"frobnicate"}).exit_code, 1);
  RunResult r = run(kBin, {"--ledger", tmp / "none", "log", "vkey"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("closebook init"), std::string::npos) << r.err;
  EXPECT_EQ(run(kBin, {"--help"}).exit_code, 0);
}

}  // namespace
}  // namespace closebook
