// Backup and restore: a live, consistent copy taken while a writer appends; a restore that
// replays the copy first and refuses a damaged one; and a restored ledger that continues the
// same log (a consistency proof from the backup's checkpoint to the new one verifies).
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "evidence/checkpoint.h"
#include "evidence/merkle.h"
#include "ledger/layout.h"
#include "tests/test_util.h"
#include "verify/verify.h"

namespace closebook {
namespace {

const std::string kBin = CLOSEBOOK_BIN;

ledger::Draft fx(int i, size_t source_bytes = 8) { return test::fx_rate_draft(i, source_bytes); }

TEST(Backup, ALiveBackupIsConsistentAndTheRestoredLedgerContinuesTheSameLog) {
  test::TempDir tmp;
  const SigningKey key = SigningKey::generate("closebook.test/backup").value();
  auto ledger = test::new_ledger(tmp / "live", key);
  std::atomic<bool> stop{false}, failed{false};
  std::atomic<int> appended{0};
  std::thread writer([&] {
    for (int i = 0; !stop; ++i) {
      std::vector<ledger::Draft> batch;
      for (int j = 0; j < 20; ++j) batch.push_back(fx(i * 20 + j));
      if (!ledger->append(batch, key).ok()) {
        failed = true;
        return;
      }
      ++appended;
    }
  });
  while (appended < 5 && !failed) std::this_thread::yield();
  auto receipt = ledger->backup(tmp / "backup");
  while (appended < 10 && !failed) std::this_thread::yield();
  stop = true;
  writer.join();
  ASSERT_FALSE(failed) << "the writer's appends failed";
  ASSERT_TRUE(receipt.ok()) << receipt.error().to_string();
  EXPECT_EQ((receipt->size - 1) % 20, 0u) << "whole batches only";
  EXPECT_LT(receipt->size, ledger->snapshot().value().size()) << "the writer went on";

  // The copy replays on its own, and its checkpoint is the log's for that size.
  auto replayed = verify::replay_ledger(tmp / "backup", key.verifier());
  ASSERT_TRUE(replayed.ok()) << replayed.error().to_string();
  EXPECT_EQ(replayed->entries, receipt->size);
  EXPECT_EQ(test::read_text(tmp / "backup/backup.checkpoint"), receipt->checkpoint);
  EXPECT_EQ(receipt->checkpoint, ledger->snapshot().value().checkpoint(receipt->size).value());

  ASSERT_TRUE(ledger::restore(tmp / "backup", tmp / "restored").ok());
  EXPECT_EQ(ledger::restore(tmp / "backup", tmp / "restored").error().code, Code::kConflict) << "never over a ledger";
  auto restored = ledger::Ledger::open(tmp / "restored", {}).value();
  std::vector<ledger::Draft> more;
  more.push_back(fx(999'999));
  auto grown = restored->append(more, key);
  ASSERT_TRUE(grown.ok()) << grown.error().to_string();
  auto old_head = open_checkpoint(receipt->checkpoint, key.verifier()).value();
  auto new_head = open_checkpoint(grown->checkpoint, key.verifier()).value();
  auto proof = restored->snapshot().value().consistency_proof(old_head.checkpoint.size, new_head.checkpoint.size);
  ASSERT_TRUE(proof.ok());
  EXPECT_TRUE(verify_consistency(old_head.checkpoint.size, new_head.checkpoint.size, old_head.checkpoint.root,
                                 new_head.checkpoint.root, *proof).ok());
}

TEST(Backup, TheCliRestoresOnlyABackupThatReplaysAndNeverOverALedger) {
  test::TempDir tmp;
  const SigningKey key = SigningKey::generate("closebook.test/backup-cli").value();
  {
    auto ledger = test::new_ledger(tmp / "live", key);
    test::load_period(*ledger, key, test::bundled_sample(), "2026-10");
  }
  const std::vector<std::string> env{"CLOSEBOOK_PASSPHRASE=test-passphrase"};
  ASSERT_EQ(test::run(kBin, {"--ledger", tmp / "live", "tokens", "create", "--role", "auditor"}, env).exit_code, 0);
  test::RunResult r = test::run(kBin, {"--ledger", tmp / "live", "backup", "--to", tmp / "backup"}, env);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(std::filesystem::exists(tmp / "backup/tokens.mdb"));
  EXPECT_EQ(test::run(kBin, {"--ledger", tmp / "live", "backup", "--to", tmp / "backup"}, env).exit_code, 7)
      << "a backup never overwrites";

  const std::string vkey = key.verifier().to_string();
  r = test::run(kBin, {"--ledger", tmp / "restored", "restore", "--from", tmp / "backup", "--key", vkey}, env);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(test::run(CLOSEBOOK_VERIFY_BIN, {"ledger", tmp / "restored", "--key", vkey}).exit_code, 0);
  EXPECT_EQ(test::run(kBin, {"--ledger", tmp / "restored", "tokens", "list"}).exit_code, 0) << "tokens came along";
  // Into an existing ledger: refused, and it is left as it was.
  const std::string before = test::read_text(tmp / "restored/data.mdb");
  r = test::run(kBin, {"--ledger", tmp / "restored", "restore", "--from", tmp / "backup", "--key", vkey}, env);
  EXPECT_EQ(r.exit_code, 7) << r.err;
  EXPECT_TRUE(test::read_text(tmp / "restored/data.mdb") == before);
  // Another log's key, or a damaged copy: refused, and nothing is created.
  const std::string other = SigningKey::generate("closebook.test/other").value().verifier().to_string();
  r = test::run(kBin, {"--ledger", tmp / "r2", "restore", "--from", tmp / "backup", "--key", other}, env);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_FALSE(std::filesystem::exists(tmp / "r2"));
  std::string data = test::read_text(tmp / "backup/data.mdb");
  const std::string rate = "1.521838";  // a sample FX rate, inside an entry
  const size_t at = data.find(rate);
  ASSERT_NE(at, std::string::npos);
  data[at + 2] = '9';
  test::write_text(tmp / "backup/data.mdb", data);
  r = test::run(kBin, {"--ledger", tmp / "r3", "restore", "--from", tmp / "backup", "--key", vkey}, env);
  EXPECT_EQ(r.exit_code, 4) << r.out << r.err;
  EXPECT_FALSE(std::filesystem::exists(tmp / "r3"));
}

}  // namespace
}  // namespace closebook
