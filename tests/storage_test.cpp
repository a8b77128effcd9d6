// Storage faults (issue 8): a full map, a full disk (a file size limit, which fails writes the
// same way and needs no privileges), a read-only ledger, a ledger of another format, and a
// writer stuck mid-transaction in another process. Each is a clear error, and the ledger is
// left exactly as it was.
#include <gtest/gtest.h>
#include <lmdb.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "ledger/layout.h"
#include "ledger/ledger.h"
#include "tests/test_util.h"
#include "verify/verify.h"

namespace closebook {
namespace {

const std::string kBin = CLOSEBOOK_BIN;

ledger::Draft fx(int i, size_t source_bytes = 8) { return test::fx_rate_draft(i, source_bytes); }

class StorageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = tmp_ / "ledger";
    ASSERT_TRUE(ledger::Ledger::init(dir_, key_, {key_.name(), test::cheap_seal(key_), 1 << 20}).ok());
    test::write_text(tmp_ / "pass", "test-passphrase\n");
    ::chmod((tmp_ / "pass").c_str(), 0600);
  }
  // The ledger replays and has `size` entries.
  void expect_intact(uint64_t size) {
    auto replayed = verify::replay_ledger(dir_, key_.verifier());
    ASSERT_TRUE(replayed.ok()) << replayed.error().to_string();
    EXPECT_EQ(replayed->entries, size);
  }
  test::RunResult closebook(const std::vector<std::string>& args, const std::string& shell_prefix = "",
                            const std::string& runner = "") {
    std::string command = shell_prefix + " exec " + runner + " '" + kBin + "' --ledger '" + dir_ + "'";
    for (const auto& a : args) command += " '" + a + "'";
    return test::run("/bin/bash", {"-c", command});
  }

  test::TempDir tmp_;
  std::string dir_;
  SigningKey key_ = SigningKey::generate("closebook.test/storage").value();
};

TEST_F(StorageTest, AFullMapAtItsCeilingRefusesTheBatchAndKeepsTheLedger) {
  auto ledger = ledger::Ledger::open(dir_, {.map_size_bytes = 1 << 20, .map_size_max = 4 << 20}).value();
  std::vector<ledger::Draft> small;
  for (int i = 0; i < 10; ++i) small.push_back(fx(i));
  ASSERT_TRUE(ledger->append(small, key_).ok());
  std::vector<ledger::Draft> big;  // ~8 MB of entries: more than the 4 MiB ceiling
  for (int i = 0; i < 2000; ++i) big.push_back(fx(1000 + i, 4000));
  auto refused = ledger->append(big, key_);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, Code::kFull);
  EXPECT_NE(refused.error().message.find("ceiling of 4 MiB; nothing of it was written"), std::string::npos)
      << refused.error().message;
  EXPECT_EQ(ledger->snapshot().value().size(), 11u);
  std::vector<ledger::Draft> more;
  more.push_back(fx(99));
  EXPECT_TRUE(ledger->append(more, key_).ok()) << "the ledger still takes what fits";
  ledger.reset();
  expect_intact(12);
}

TEST_F(StorageTest, AFullDiskFailsTheLoadClearlyAndKeepsTheLedger) {
  const auto files = test::bundled_sample();
  for (const std::string kind : {"partners", "tenants"}) test::write_text(tmp_ / (kind + ".csv"), files.at(kind + ".csv"));
  ASSERT_EQ(closebook({"load", "partners", tmp_ / "partners.csv", "--passphrase-file", tmp_ / "pass"}).exit_code, 0);
  const uint64_t before = ledger::Ledger::open(dir_, {.read_only = true}).value()->snapshot().value().size();
  const uint64_t file_blocks = std::filesystem::file_size(dir_ + "/data.mdb") / 1024;
  // The file may not grow: every write past its end fails, as on a full disk.
  const test::RunResult r = closebook({"load", "tenants", tmp_ / "tenants.csv", "--passphrase-file", tmp_ / "pass"},
                                      "ulimit -f " + std::to_string(file_blocks) + "; trap '' XFSZ;");
  EXPECT_TRUE(r.exit_code == 5 || r.exit_code == 6) << r.exit_code << " " << r.err;
  EXPECT_NE(r.err.find("nothing of this batch was written"), std::string::npos) << r.err;
  expect_intact(before);
  EXPECT_EQ(closebook({"load", "tenants", tmp_ / "tenants.csv", "--passphrase-file", tmp_ / "pass"}).exit_code, 0)
      << "with room again, the same load succeeds";
}

TEST_F(StorageTest, ALedgerOfAnotherFormatIsRefusedByName) {
  {
    auto ledger = ledger::Ledger::open(dir_, {}).value();  // create the index version etc.
  }
  MDB_env* env = nullptr;
  ASSERT_EQ(mdb_env_create(&env), 0);
  mdb_env_set_maxdbs(env, 8);
  ASSERT_EQ(mdb_env_open(env, dir_.c_str(), 0, 0600), 0);
  MDB_txn* txn = nullptr;
  ASSERT_EQ(mdb_txn_begin(env, nullptr, 0, &txn), 0);
  MDB_dbi meta;
  ASSERT_EQ(mdb_dbi_open(txn, ledger::kDbMeta, 0, &meta), 0);
  std::string k(ledger::kMetaFormat), v = "closebook-ledger-9";
  MDB_val key{k.size(), k.data()}, value{v.size(), v.data()};
  ASSERT_EQ(mdb_put(txn, meta, &key, &value, 0), 0);
  ASSERT_EQ(mdb_txn_commit(txn), 0);
  mdb_env_close(env);
  const test::RunResult r = closebook({"log", "checkpoint"});
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_NE(r.err.find("has ledger format \"closebook-ledger-9\"; this closebook reads \"closebook-ledger-1\""),
            std::string::npos) << r.err;
}

TEST_F(StorageTest, AReadOnlyLedgerIsRefusedForWritingAndStillReadable) {
  // File modes do not bind root: as root, the commands run as nobody, who owns the ledger.
  std::string runner;
  if (::geteuid() == 0) {
    runner = "setpriv --reuid=65534 --regid=65534 --clear-groups";
    for (const auto& p : std::filesystem::recursive_directory_iterator(tmp_.path())) {
      ASSERT_EQ(::chown(p.path().c_str(), 65534, 65534), 0);
    }
    ASSERT_EQ(::chown(tmp_.path().c_str(), 65534, 65534), 0);
  }
  const auto files = test::bundled_sample();
  test::write_text(tmp_ / "fx.csv", files.at("fx.csv"));
  ::chmod((tmp_ / "fx.csv").c_str(), 0644);
  ::chmod(dir_.c_str(), 0500);
  ::chmod((dir_ + "/data.mdb").c_str(), 0400);
  const test::RunResult w = closebook({"load", "fx", tmp_ / "fx.csv", "--passphrase-file", tmp_ / "pass"}, "", runner);
  EXPECT_EQ(w.exit_code, 8) << w.err;
  EXPECT_NE(w.err.find("Permission denied"), std::string::npos) << w.err;
  const test::RunResult r = closebook({"log", "checkpoints"}, "", runner);
  EXPECT_EQ(r.exit_code, 0) << "reading needs no write access: " << r.err;
  ::chmod(dir_.c_str(), 0700);
  ::chmod((dir_ + "/data.mdb").c_str(), 0600);
  expect_intact(1);
}

TEST_F(StorageTest, AWriterStuckInAnotherProcessIsBusyNamingItNotAHang) {
  // Another process holds the writer lock (as a closebook stopped mid-transaction would).
  const std::string lock = dir_ + "/" + std::string(ledger::kWriterLockFile);
  test::write_text(lock, "");
  // -o: the lock is flock's own, not inherited by `sleep`, so it dies with flock.
  const pid_t holder = test::spawn("/usr/bin/flock", {"-x", "-o", lock, "sleep", "30"}, {}, tmp_ / "o", tmp_ / "e");
  ASSERT_GT(holder, 0);
  auto ledger = ledger::Ledger::open(dir_, {}).value();
  std::vector<ledger::Draft> batch;
  batch.push_back(fx(1));
  Result<ledger::AppendReceipt> r = Error::io("not run");
  for (int i = 0; i < 100; ++i) {  // until the holder has its lock
    r = ledger->append(batch, key_, {.writer_wait = std::chrono::milliseconds(200)});
    if (!r.ok() && r.error().code == Code::kBusy) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    ASSERT_FALSE(r.ok() && i > 50) << "the holder never took the lock";
  }
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Code::kBusy);
  EXPECT_NE(r.error().message.find("could not become the ledger's writer within 0 s (the last writer was pid"),
            std::string::npos) << r.error().message;
  ::kill(holder, SIGKILL);
  test::wait_exit(holder);
  EXPECT_TRUE(ledger->append(batch, key_, {.writer_wait = std::chrono::milliseconds(2000)}).ok())
      << "the lock dies with its holder";
}

}  // namespace
}  // namespace closebook
