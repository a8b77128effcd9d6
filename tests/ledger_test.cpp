// The LMDB ledger: append, read, proofs, idempotency, atomicity, concurrency, growth, and
// tamper detection by the independent replay in verify/.
#include <gtest/gtest.h>

#include "close/keys.h"
#include <lmdb.h>
#include <sodium.h>

#include <atomic>
#include <filesystem>
#include <functional>
#include <thread>

#include "evidence/keyfile.h"
#include "ledger/indexes.h"
#include "ledger/layout.h"
#include "ledger/ledger.h"
#include "tests/test_util.h"
#include "verify/verify.h"

namespace closebook {
namespace {

using ledger::AppendReceipt;
using ledger::Draft;
using ledger::Ledger;

SigningKey make_key(const std::string& name) { return std::move(SigningKey::generate(name)).value(); }

using test::cheap_seal;

Draft fx_draft(const std::string& date, const std::string& rate) {
  Draft d;
  d.entry().setEffective(date);
  auto f = d.entry().getKind().initFxRate();
  f.setDate(date);
  f.setBase("USD");
  f.setQuote("AUD");
  f.setRate(rate);
  f.setSource("test");
  return d;
}

using test::edit_behind_its_back;

class LedgerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = tmp_ / "ledger";
    ASSERT_TRUE(Ledger::init(dir_, key_, {origin_, cheap_seal(key_)}).ok());
    ledger_ = std::move(Ledger::open(dir_, {})).value();
  }

  std::vector<Draft> fx_batch(int count, int seed) {
    std::vector<Draft> drafts;
    for (int i = 0; i < count; ++i) {
      drafts.push_back(fx_draft("2026-10-01", std::to_string(seed) + "." + std::to_string(1000 + i)));
    }
    return drafts;
  }

  uint64_t size() { return ledger_->snapshot().value().size(); }

  test::TempDir tmp_;
  std::string dir_;
  std::string origin_ = "closebook.test/ledger";
  SigningKey key_ = make_key(origin_);
  std::unique_ptr<Ledger> ledger_;
};

TEST_F(LedgerTest, InitRegistersTheLogKeyAsEntryZeroAndSignsACheckpoint) {
  auto snap = ledger_->snapshot().value();
  ASSERT_EQ(snap.size(), 1u);
  auto e0 = snap.entry(0).value();
  ASSERT_EQ(e0.reader().getKind().which(), schema::Entry::Kind::KEY_EVENT);
  EXPECT_EQ(std::string(e0.reader().getKind().getKeyEvent().getVerifierKey().cStr()),
            key_.verifier().to_string());
  auto cp = open_checkpoint(snap.latest_checkpoint().value(), key_.verifier());
  ASSERT_TRUE(cp.ok()) << cp.error().to_string();
  EXPECT_EQ(cp->checkpoint.size, 1u);
  EXPECT_EQ(cp->checkpoint.root, leaf_hash(as_bytes(e0.bytes())));
}

TEST_F(LedgerTest, InitRefusesADirectoryThatAlreadyHoldsALedger) {
  auto st = Ledger::init(dir_, key_, {origin_, cheap_seal(key_)});
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, Code::kConflict);
}

TEST_F(LedgerTest, AppendChainsHashesAndSignsOneCheckpointPerTransaction) {
  auto batch = fx_batch(10, 1);
  auto receipt = ledger_->append(batch, key_).value();
  EXPECT_EQ(receipt.new_entry_count, 10u);
  EXPECT_EQ(receipt.tree_size, 11u);
  auto snap = ledger_->snapshot().value();
  for (uint64_t i = 1; i < snap.size(); ++i) {
    auto e = snap.entry(i).value();
    EXPECT_EQ(e.reader().getIndex(), i);
    const Hash prev = snap.entry_hash(i - 1).value();
    ASSERT_EQ(e.reader().getPrevHash().size(), 32u);
    EXPECT_TRUE(std::equal(prev.begin(), prev.end(), e.reader().getPrevHash().begin()));
    EXPECT_EQ(snap.entry_hash(i).value(), e.hash());
  }
  EXPECT_EQ(snap.checkpoint_sizes().value(), (std::vector<uint64_t>{1, 11}));
  EXPECT_EQ(snap.root(11).value(), receipt.root);
}

TEST_F(LedgerTest, ProofsFromTheLedgerVerifyAgainstItsCheckpoints) {
  for (int round = 0; round < 5; ++round) {
    auto batch = fx_batch(7 + round, round);
    ASSERT_TRUE(ledger_->append(batch, key_).ok());
  }
  auto snap = ledger_->snapshot().value();
  const auto sizes = snap.checkpoint_sizes().value();
  for (uint64_t size : sizes) {
    auto cp = open_checkpoint(snap.checkpoint(size).value(), key_.verifier()).value().checkpoint;
    for (uint64_t i = 0; i < size; ++i) {
      auto proof = snap.inclusion_proof(i, size).value();
      EXPECT_TRUE(verify_inclusion(snap.entry_hash(i).value(), i, size, proof, cp.root).ok());
    }
    for (uint64_t old_size : sizes) {
      if (old_size > size) continue;
      auto old_cp = open_checkpoint(snap.checkpoint(old_size).value(), key_.verifier()).value().checkpoint;
      auto proof = snap.consistency_proof(old_size, size).value();
      EXPECT_TRUE(verify_consistency(old_size, size, old_cp.root, cp.root, proof).ok());
    }
  }
}

// A draft moved into a segment of its own size (as feed plans do per row) seals to the same
// bytes as the grown one: two ledgers with one salt secret and clock get the same hashes.
TEST_F(LedgerTest, AShrunkDraftSealsToTheSameEntry) {
  const std::string secret(32, 's');
  std::vector<AppendReceipt> receipts;
  for (const bool shrink : {false, true}) {
    const std::string dir = tmp_ / (shrink ? "shrunk" : "grown");
    ASSERT_TRUE(Ledger::init(dir, key_, {.origin = origin_, .sealed_log_key = cheap_seal(key_), .recorded_at_ms = 1'000,
                                         .salt_secret = secret}).ok());
    auto ledger = std::move(Ledger::open(dir, {})).value();
    std::vector<Draft> drafts = fx_batch(50, 7);
    drafts.push_back(fx_draft("2026-10-02", std::string(3'000, '1')));  // past the first segment
    if (shrink) {
      for (Draft& d : drafts) d.shrink_to_fit();
    }
    auto receipt = ledger->append(drafts, key_, {.recorded_at_ms = 2'000});
    ASSERT_TRUE(receipt.ok()) << receipt.error().to_string();
    receipts.push_back(std::move(*receipt));
    // The same content the other way (shrunk or not) is found as already there: one content key.
    std::vector<Draft> again = fx_batch(50, 7);
    if (!shrink) {
      for (Draft& d : again) d.shrink_to_fit();
    }
    EXPECT_EQ(ledger->append(again, key_).value().new_entry_count, 0u);
  }
  ASSERT_EQ(receipts[0].entries.size(), 51u);
  for (size_t i = 0; i < receipts[0].entries.size(); ++i) EXPECT_EQ(receipts[0].entries[i].hash, receipts[1].entries[i].hash) << i;
  EXPECT_EQ(receipts[0].root, receipts[1].root);
}

TEST_F(LedgerTest, AppendingTheSameContentAgainAddsNothing) {
  auto first = fx_batch(5, 3);
  auto r1 = ledger_->append(first, key_).value();
  auto again = fx_batch(5, 3);
  auto r2 = ledger_->append(again, key_).value();
  EXPECT_EQ(r2.new_entry_count, 0u);
  EXPECT_TRUE(r2.checkpoint.empty());
  EXPECT_EQ(r2.tree_size, r1.tree_size);
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_TRUE(r2.entries[i].duplicate);
    EXPECT_EQ(r2.entries[i].index, r1.entries[i].index);
    EXPECT_EQ(r2.entries[i].hash, r1.entries[i].hash);
  }
  EXPECT_EQ(ledger_->snapshot().value().checkpoint_sizes().value().size(), 2u);
}

TEST_F(LedgerTest, DuplicatesInsideOneBatchBecomeOneEntry) {
  std::vector<Draft> batch;
  batch.push_back(fx_draft("2026-10-02", "1.5"));
  batch.push_back(fx_draft("2026-10-02", "1.5"));
  auto r = ledger_->append(batch, key_).value();
  EXPECT_EQ(r.new_entry_count, 1u);
  EXPECT_TRUE(r.entries[1].duplicate);
  EXPECT_EQ(r.entries[1].index, r.entries[0].index);
}

TEST_F(LedgerTest, ALinkCitesAnEarlierDraftOfTheSameBatch) {
  auto lock_citing = [](std::vector<Draft>& batch, size_t position) {
    Draft lock;
    lock.entry().setEffective("2026-10");
    auto l = lock.entry().getKind().initFxLock();
    l.setPeriod("2026-10");
    l.setRate("1.5");
    l.initRateRef();
    lock.link([](schema::Entry::Builder e) { return e.getKind().getFxLock().getRateRef(); }, position);
    lock.shrink_to_fit();  // moved after it links: the link finds its reference in the new message
    batch.push_back(std::move(lock));
  };
  std::vector<Draft> batch;
  batch.push_back(fx_draft("2026-10-01", "1.5"));
  lock_citing(batch, 0);
  auto r = ledger_->append(batch, key_).value();
  auto lock = ledger_->snapshot().value().entry(r.entries[1].index).value();
  auto ref = lock.reader().getKind().getFxLock().getRateRef();
  EXPECT_EQ(ref.getIndex(), r.entries[0].index);
  EXPECT_EQ(to_hex(Bytes(ref.getHash().begin(), ref.getHash().size())), to_hex(r.entries[0].hash));

  // The same batch again: the rate is a duplicate, so the link resolves to the same entry and
  // the lock is a duplicate too.
  std::vector<Draft> again;
  again.push_back(fx_draft("2026-10-01", "1.5"));
  lock_citing(again, 0);
  EXPECT_EQ(ledger_->append(again, key_).value().new_entry_count, 0u);
  // Citing another rate makes another lock, though every other field is the same.
  std::vector<Draft> other;
  other.push_back(fx_draft("2026-10-02", "1.5"));
  lock_citing(other, 0);
  EXPECT_EQ(ledger_->append(other, key_).value().new_entry_count, 2u);
}

TEST_F(LedgerTest, NonIdempotentDraftsAreAlwaysAppended) {
  std::vector<Draft> batch;
  batch.push_back(fx_draft("2026-10-02", "1.5"));
  batch.push_back(fx_draft("2026-10-02", "1.5"));
  for (auto& d : batch) d.idempotent = false;
  EXPECT_EQ(ledger_->append(batch, key_).value().new_entry_count, 2u);
}

TEST_F(LedgerTest, AFailingBatchLeavesTheLedgerExactlyAsItWas) {
  auto before = ledger_->snapshot().value().latest_checkpoint().value();
  auto batch = fx_batch(3, 4);
  // An entry over the 4 MiB limit fails the batch after two good entries were written.
  batch[2].entry().getKind().getFxRate().setSource(std::string(kEntryBytesMax + 8, 'x'));
  auto r = ledger_->append(batch, key_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(size(), 1u);
  EXPECT_EQ(ledger_->snapshot().value().latest_checkpoint().value(), before);
  auto ok_batch = fx_batch(3, 4);
  EXPECT_EQ(ledger_->append(ok_batch, key_).value().tree_size, 4u);
}

TEST_F(LedgerTest, ABatchPreparedAgainstAnOlderLedgerIsRefused) {
  const uint64_t prepared_at = size();
  auto other = fx_batch(1, 11);
  ASSERT_TRUE(ledger_->append(other, key_).ok());  // another writer gets in first
  auto batch = fx_batch(2, 12);
  auto r = ledger_->append(batch, key_, {.expected_size = prepared_at});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Code::kConflict);
  EXPECT_EQ(size(), prepared_at + 1);
  EXPECT_TRUE(ledger_->append(batch, key_, {.expected_size = prepared_at + 1}).ok());
}

TEST_F(LedgerTest, AppendRefusesToSignOverADamagedTree) {
  auto batch = fx_batch(3, 13);
  ASSERT_TRUE(ledger_->append(batch, key_).ok());
  ledger_.reset();
  // Damage the last leaf node behind the ledger's back.
  edit_behind_its_back(dir_, [](MDB_txn* txn) {
    MDB_dbi nodes;
    ASSERT_EQ(mdb_dbi_open(txn, ledger::kDbNodes, 0, &nodes), 0);
    const std::string key = ledger::u64be(node_position(0, 3));
    std::string bad(32, 'x');
    MDB_val k{key.size(), const_cast<char*>(key.data())}, v{bad.size(), bad.data()};
    ASSERT_EQ(mdb_put(txn, nodes, &k, &v, 0), 0);
  });

  ledger_ = Ledger::open(dir_, {}).value();
  auto more = fx_batch(1, 14);
  auto r = ledger_->append(more, key_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Code::kCorruption);
  EXPECT_EQ(size(), 4u);
}

TEST_F(LedgerTest, AppendRefusesAKeyThatIsNotTheLogKey) {
  auto other = make_key(origin_);  // same name, different key
  auto batch = fx_batch(1, 5);
  auto r = ledger_->append(batch, other);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Code::kPermission);
  EXPECT_EQ(size(), 1u);
}

TEST_F(LedgerTest, RecordedAtNeverGoesBackwards) {
  auto a = fx_batch(1, 6);
  ASSERT_TRUE(ledger_->append(a, key_, {.recorded_at_ms = 2'000'000'000'000}).ok());
  auto b = fx_batch(1, 7);
  ASSERT_TRUE(ledger_->append(b, key_, {.recorded_at_ms = 1'000}).ok());
  auto snap = ledger_->snapshot().value();
  EXPECT_EQ(snap.entry(2).value().reader().getRecordedAt(), 2'000'000'000'000);
}

TEST_F(LedgerTest, SecondaryIndexesFindEntriesByKindAndKey) {
  auto batch = fx_batch(3, 8);
  ASSERT_TRUE(ledger_->append(batch, key_).ok());
  auto snap = ledger_->snapshot().value();
  EXPECT_EQ(snap.lookup("kind", "fxRate").value(), (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_EQ(snap.lookup("fx", "USD/AUD").value(), (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_EQ(snap.lookup("kind", "keyEvent").value(), (std::vector<uint64_t>{0}));
  EXPECT_TRUE(snap.lookup("fx", "EUR/AUD").value().empty());
}

TEST_F(LedgerTest, IndexesOfAnOlderVersionAreRebuiltWhenOpenedForWriting) {
  auto batch = fx_batch(3, 8);
  ASSERT_TRUE(ledger_->append(batch, key_).ok());
  ledger_.reset();
  // What an older closebook left: no index version, and no index at all.
  edit_behind_its_back(dir_, [](MDB_txn* txn) {
    MDB_dbi meta = 0, index = 0;
    ASSERT_EQ(mdb_dbi_open(txn, ledger::kDbMeta, 0, &meta), 0);
    ASSERT_EQ(mdb_dbi_open(txn, ledger::kDbIndex, MDB_DUPSORT, &index), 0);
    MDB_val k{ledger::kMetaIndexVersion.size(), const_cast<char*>(ledger::kMetaIndexVersion.data())};
    ASSERT_EQ(mdb_del(txn, meta, &k, nullptr), 0);
    ASSERT_EQ(mdb_drop(txn, index, 0), 0);
  });
  auto read_only = Ledger::open(dir_, {.read_only = true});
  ASSERT_FALSE(read_only.ok());
  EXPECT_NE(read_only.error().message.find("open it for writing once"), std::string::npos) << read_only.error().message;
  ledger_ = std::move(Ledger::open(dir_, {})).value();
  auto snap = ledger_->snapshot().value();
  EXPECT_EQ(snap.lookup("kind", "fxRate").value(), (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_EQ(snap.lookup("kind", "keyEvent").value(), (std::vector<uint64_t>{0}));
  EXPECT_TRUE(Ledger::open(dir_, {.read_only = true}).ok()) << "rebuilt once, readable by all";
}

TEST_F(LedgerTest, ASnapshotDoesNotSeeLaterAppends) {
  auto snap = ledger_->snapshot().value();
  auto batch = fx_batch(4, 9);
  ASSERT_TRUE(ledger_->append(batch, key_).ok());
  EXPECT_EQ(snap.size(), 1u);
  EXPECT_FALSE(snap.entry(1).ok());
  EXPECT_EQ(size(), 5u);
}

TEST_F(LedgerTest, ReadersProveAndVerifyWhileAWriterAppends) {
  std::atomic<bool> done{false};
  std::atomic<int> failures{0};
  std::atomic<int> proofs{0};
  auto reader = [&] {
    while (!done) {
      auto snap = ledger_->snapshot().value();
      const uint64_t n = snap.size();
      auto cp = open_checkpoint(snap.latest_checkpoint().value(), key_.verifier());
      if (!cp.ok() || cp->checkpoint.size != n) ++failures;
      const uint64_t i = n / 2;
      auto proof = snap.inclusion_proof(i, n);
      if (!proof.ok() || !verify_inclusion(snap.entry_hash(i).value(), i, n, *proof, cp->checkpoint.root).ok()) {
        ++failures;
      }
      ++proofs;
    }
  };
  std::thread r1(reader), r2(reader);
  for (int round = 0; round < 40; ++round) {
    auto batch = fx_batch(25, 100 + round);
    ASSERT_TRUE(ledger_->append(batch, key_).ok());
  }
  done = true;
  r1.join();
  r2.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_GT(proofs.load(), 0);
  EXPECT_EQ(size(), 1001u);
}

TEST_F(LedgerTest, OpeningReadOnlyRefusesToAppend) {
  auto ro = Ledger::open(dir_, {.read_only = true}).value();
  auto batch = fx_batch(1, 10);
  auto r = ro->append(batch, key_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Code::kPermission);
}

TEST(LedgerOpen, MissingDirectoryIsAClearNotFound) {
  auto r = Ledger::open("/nonexistent/closebook", {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Code::kNotFound);
  EXPECT_NE(r.error().message.find("closebook init"), std::string::npos);
}

TEST(LedgerMap, AFullMapGrowsAndTheAppendSucceeds) {
  test::TempDir tmp;
  const std::string origin = "closebook.test/small";
  auto key = make_key(origin);
  const uint64_t small = uint64_t{1} << 20;  // 1 MiB: far too small for the batch below
  ASSERT_TRUE(Ledger::init(tmp / "l", key, {origin, cheap_seal(key), small}).ok());
  auto ledger = Ledger::open(tmp / "l", {.map_size_bytes = small}).value();
  std::vector<Draft> batch;
  for (int i = 0; i < 5000; ++i) batch.push_back(fx_draft("2026-10-03", "1." + std::to_string(i)));
  auto r = ledger->append(batch, key);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->tree_size, 5001u);
  // The data file cannot outgrow the map, so a file past 1 MiB proves the map was grown.
  EXPECT_GT(std::filesystem::file_size(tmp / "l/data.mdb"), small);
  EXPECT_TRUE(verify::replay_ledger(tmp / "l", key.verifier()).ok());
}

TEST(LedgerMap, GrowingTheMapWaitsForSnapshotsOpenInOtherThreads) {
  // LMDB may resize the map only while the process has no transaction open.
  test::TempDir tmp;
  const std::string origin = "closebook.test/grow";
  auto key = make_key(origin);
  const uint64_t small = uint64_t{1} << 20;
  ASSERT_TRUE(Ledger::init(tmp / "l", key, {origin, cheap_seal(key), small}).ok());
  auto ledger = Ledger::open(tmp / "l", {.map_size_bytes = small}).value();
  std::atomic<bool> holding{false};
  std::thread reader([&] {
    auto snap = ledger->snapshot().value();
    holding = true;
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_EQ(snap.size(), 1u);
  });
  while (!holding) std::this_thread::yield();
  std::vector<Draft> batch;
  for (int i = 0; i < 5000; ++i) batch.push_back(fx_draft("2026-10-04", "2." + std::to_string(i)));
  auto r = ledger->append(batch, key);
  reader.join();
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_GT(std::filesystem::file_size(tmp / "l/data.mdb"), small);
}

// --- Tampering: closebook-verify's replay names what was changed. -------------------------

class TamperTest : public LedgerTest {
 protected:
  void SetUp() override {
    LedgerTest::SetUp();
    for (int round = 0; round < 3; ++round) {
      auto batch = fx_batch(6, 200 + round);
      ASSERT_TRUE(ledger_->append(batch, key_).ok());
    }
    ledger_.reset();  // close before writing behind its back
    ASSERT_TRUE(verify::replay_ledger(dir_, key_.verifier()).ok());
  }

  // Rewrites one value of a named database with raw LMDB, as an insider with disk access could.
  void rewrite(const char* db, const std::string& key, const std::function<void(std::string&)>& change) {
    edit_behind_its_back(dir_, [&](MDB_txn* txn) {
      MDB_dbi dbi;
      ASSERT_EQ(mdb_dbi_open(txn, db, 0, &dbi), 0);
      MDB_val k{key.size(), const_cast<char*>(key.data())}, v;
      ASSERT_EQ(mdb_get(txn, dbi, &k, &v), 0);
      std::string value(static_cast<const char*>(v.mv_data), v.mv_size);
      change(value);
      MDB_val nv{value.size(), value.data()};
      ASSERT_EQ(mdb_put(txn, dbi, &k, &nv, 0), 0);
    });
  }

  Error replay_error() {
    auto r = verify::replay_ledger(dir_, key_.verifier());
    EXPECT_FALSE(r.ok());
    return r.ok() ? Error::invalid("replay passed") : r.error();
  }
};

TEST_F(TamperTest, EveryByteOfAStoredEntryIsCovered) {
  const std::string key = ledger::u64be(7);
  size_t entry_size = 0;
  rewrite(ledger::kDbEntries, key, [&](std::string& v) { entry_size = v.size(); });
  for (size_t byte = 0; byte < entry_size; ++byte) {
    rewrite(ledger::kDbEntries, key, [&](std::string& v) { v[byte] = static_cast<char>(v[byte] ^ 0x01); });
    Error e = replay_error();
    EXPECT_EQ(e.code, Code::kCorruption) << "byte " << byte;
    EXPECT_EQ(e.entry_index, std::optional<uint64_t>(7)) << "byte " << byte << ": " << e.to_string();
    rewrite(ledger::kDbEntries, key, [&](std::string& v) { v[byte] = static_cast<char>(v[byte] ^ 0x01); });
  }
  EXPECT_TRUE(verify::replay_ledger(dir_, key_.verifier()).ok());
}

// Sets (or, with nullopt, deletes) one key of the entries table with raw LMDB, behind the
// ledger's back, as an insider with disk access could; returns the value it replaced.
std::string set_raw_entry(const std::string& dir, const std::string& key, const std::optional<std::string>& value) {
  std::string old;
  edit_behind_its_back(dir, [&](MDB_txn* txn) {
    MDB_dbi entries;
    ASSERT_EQ(mdb_dbi_open(txn, ledger::kDbEntries, 0, &entries), 0);
    MDB_val k{key.size(), const_cast<char*>(key.data())}, v;
    if (mdb_get(txn, entries, &k, &v) == 0) old.assign(static_cast<const char*>(v.mv_data), v.mv_size);
    if (!value) {
      ASSERT_EQ(mdb_del(txn, entries, &k, nullptr), 0);
      return;
    }
    MDB_val nv{value->size(), const_cast<char*>(value->data())};
    ASSERT_EQ(mdb_put(txn, entries, &k, &nv, 0), 0);
  });
  return old;
}

// closebook-verify decodes entries on worker threads in chunks of 4,096 (verify/replay.cpp):
// a ledger of several chunks replays, and damage deep in a later chunk is still reported at
// its entry, whichever worker read it.
TEST_F(LedgerTest, AReplayAcrossManyChunksFindsDamageInALaterOne) {
  auto batch = fx_batch(13'000, 9);
  ASSERT_TRUE(ledger_->append(batch, key_).ok());
  ledger_.reset();
  auto whole = verify::replay_ledger(dir_, key_.verifier());
  ASSERT_TRUE(whole.ok()) << whole.error().to_string();
  EXPECT_EQ(whole->entries, 13'001u);
  EXPECT_TRUE(whole->parallel) << "nothing writes this ledger: the workers see the replay's snapshot";
  for (uint64_t victim : {uint64_t{4096 * 2 + 17}, uint64_t{4096 * 3 - 1}}) {
    SCOPED_TRACE(victim);
    const std::string key = ledger::u64be(victim);
    const std::string saved = set_raw_entry(dir_, key, std::nullopt);
    auto gone = verify::replay_ledger(dir_, key_.verifier());
    ASSERT_FALSE(gone.ok());
    EXPECT_EQ(gone.error().entry_index, std::optional<uint64_t>(victim)) << gone.error().to_string();
    std::string changed = saved;
    changed[changed.size() - 9] ^= 0x01;  // inside its last text field
    set_raw_entry(dir_, key, changed);
    auto flipped = verify::replay_ledger(dir_, key_.verifier());
    ASSERT_FALSE(flipped.ok());
    EXPECT_EQ(flipped.error().entry_index, std::optional<uint64_t>(victim)) << flipped.error().to_string();
    set_raw_entry(dir_, key, saved);
  }
  EXPECT_TRUE(verify::replay_ledger(dir_, key_.verifier()).ok());
}

// Keys the replay must not skip, wherever they sort: a stray key far past the end (closebook
// itself would take the ledger's size from it), odd-length keys inside a full chunk, before
// the first key and past every 8-byte one. Each is refused (found in review: the first two
// once passed).
TEST_F(LedgerTest, AReplayRefusesEveryKeyOutsideTheSequence) {
  auto batch = fx_batch(4200, 3);
  ASSERT_TRUE(ledger_->append(batch, key_).ok());
  ledger_.reset();
  ASSERT_TRUE(verify::replay_ledger(dir_, key_.verifier()).ok());
  for (const std::string& stray : {ledger::u64be(10 * 4096), ledger::u64be(uint64_t{1} << 62), ledger::u64be(4095) + "x",
                                    std::string(3, '\0'), std::string(1, '\x01')}) {
    SCOPED_TRACE(to_hex(as_bytes(stray)));
    set_raw_entry(dir_, stray, std::string(64, 'x'));
    auto r = verify::replay_ledger(dir_, key_.verifier());
    ASSERT_FALSE(r.ok()) << "accepted with " << r->entries << " entries";
    EXPECT_EQ(r.error().code, Code::kCorruption) << r.error().to_string();
    set_raw_entry(dir_, stray, std::nullopt);
  }
  EXPECT_TRUE(verify::replay_ledger(dir_, key_.verifier()).ok());
}

// The largest entry the ledger takes is written, read back and verified (found in review: a
// 2.8 MB invoice was written and read, then refused by closebook-verify).
TEST_F(LedgerTest, AnEntryJustUnderTheSizeLimitIsWrittenReadAndVerified) {
  std::vector<Draft> drafts(1);
  test::fill_big_invoice(drafts[0].entry(), 19'000);
  auto receipt = ledger_->append(drafts, key_);
  ASSERT_TRUE(receipt.ok()) << receipt.error().to_string();
  auto read = ledger_->snapshot().value().entry(1);
  ASSERT_TRUE(read.ok()) << read.error().to_string();
  EXPECT_GT(read->bytes().size(), kEntryBytesMax * 9 / 10);
  ledger_.reset();
  // The replay reads the whole 3.9 MB entry — structure, hash, tree — and then judges it by the
  // close's rules (docs/evidence.md): an invoice with no sign-off is false evidence.
  auto replayed = verify::replay_ledger(dir_, key_.verifier());
  ASSERT_FALSE(replayed.ok());
  EXPECT_NE(replayed.error().to_string().find("entry 1: R17: invoice 1"), std::string::npos) << replayed.error().to_string();
}

TEST_F(TamperTest, AChangedTreeNodeIsFound) {
  rewrite(ledger::kDbNodes, ledger::u64be(node_position(1, 2)), [](std::string& v) { v[0] ^= 0x40; });
  Error e = replay_error();
  EXPECT_EQ(e.code, Code::kCorruption);
  EXPECT_NE(e.message.find("level 1, index 2"), std::string::npos) << e.to_string();
}

TEST_F(TamperTest, AChangedCheckpointIsFound) {
  rewrite(ledger::kDbCheckpoints, ledger::u64be(7), [](std::string& v) { v[v.size() / 2] ^= 0x02; });
  Error e = replay_error();
  EXPECT_EQ(e.code, Code::kCorruption);
  EXPECT_NE(e.message.find("checkpoint at size 7"), std::string::npos) << e.to_string();
}

TEST_F(TamperTest, AConsistentlyRehashedEntryStillFailsTheSignedCheckpoint) {
  // An insider rewrites an entry and recomputes its leaf node: the chain and signed roots
  // still expose it.
  rewrite(ledger::kDbEntries, ledger::u64be(3), [](std::string& v) {
    const size_t at = v.find("200.");
    ASSERT_NE(at, std::string::npos);
    v[at] = '9';
  });
  std::string entry;
  rewrite(ledger::kDbEntries, ledger::u64be(3), [&](std::string& v) { entry = v; });
  rewrite(ledger::kDbNodes, ledger::u64be(node_position(0, 3)), [&](std::string& v) {
    const Hash h = leaf_hash(as_bytes(entry));
    v.assign(reinterpret_cast<const char*>(h.data()), h.size());
  });
  EXPECT_EQ(replay_error().code, Code::kCorruption);
}

TEST_F(TamperTest, ReplayRefusesAKeyOtherThanTheOneTheAuditorTrusts) {
  auto other = make_key(origin_);
  auto r = verify::replay_ledger(dir_, other.verifier());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Code::kCorruption);
}


// The writer decides key validity from entries, through an index proven against the signed
// subject map: an insider without the key deletes a revocation from the index, and the writer
// refuses to answer rather than take the revoked key as active. A rebuilt index answers right again.
TEST_F(LedgerTest, AKeyRevocationHiddenFromTheIndexIsNeverTakenForAnActiveKey) {
  const SigningKey finance = make_key("eve@finance");
  auto registered = close::plan_key_change(ledger_->snapshot().value(), {KeyAction::REGISTER, KeyRole::FINANCE, finance.verifier(), {}, ""});
  ASSERT_TRUE(registered.ok()) << registered.error().to_string();
  std::vector<Draft> one;
  one.push_back(std::move(*registered));
  ASSERT_TRUE(ledger_->append(one, key_).ok());
  auto revoked = close::plan_key_change(ledger_->snapshot().value(), {KeyAction::REVOKE, KeyRole::FINANCE, finance.verifier(), {}, "left"});
  ASSERT_TRUE(revoked.ok()) << revoked.error().to_string();
  one.clear();
  one.push_back(std::move(*revoked));
  const uint64_t revocation = ledger_->append(one, key_).value().entries.front().index;
  ASSERT_EQ(close::load_key_registry(ledger_->snapshot().value()).value().active("eve@finance", KeyRole::FINANCE, revocation + 1), nullptr);
  ledger_.reset();
  edit_behind_its_back(dir_, [&](MDB_txn* txn) {
    MDB_dbi index;
    ASSERT_EQ(mdb_dbi_open(txn, ledger::kDbIndex, MDB_DUPSORT, &index), 0);
    const std::string k = ledger::index_db_key("kind", "keyEvent"), v = ledger::u64be(revocation);
    MDB_val key{k.size(), const_cast<char*>(k.data())}, value{v.size(), const_cast<char*>(v.data())};
    ASSERT_EQ(mdb_del(txn, index, &key, &value), 0);
  });
  ledger_ = Ledger::open(dir_, {}).value();
  auto registry = close::load_key_registry(ledger_->snapshot().value());
  ASSERT_FALSE(registry.ok()) << "a revoked key must not come back active";
  EXPECT_EQ(registry.error().code, Code::kCorruption);
  EXPECT_NE(registry.error().message.find("closebook reindex"), std::string::npos) << registry.error().to_string();
  ASSERT_TRUE(ledger_->reindex().ok());
  auto rebuilt = close::load_key_registry(ledger_->snapshot().value());
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.error().to_string();
  EXPECT_EQ(rebuilt->active("eve@finance", KeyRole::FINANCE, revocation + 1), nullptr);
}

}  // namespace
}  // namespace closebook
