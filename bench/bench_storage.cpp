// Micro-benchmarks of what a close writes and reads, each beside the machine's bound for the
// same bytes (docs/performance.md §2):
//   - BM_BoundLmdbAppend: raw LMDB, MDB_APPEND of the same entry bytes under 8-byte keys, one
//     synced commit per batch — the storage bound for ledger appends;
//   - BM_BoundSyncedCommit: one 300-byte put and a synced commit — the fsync'd commit rate;
//   - BM_LedgerAppend: the ledger's append of the same entries (entry, tree nodes, indexes,
//     content hashes, a signed checkpoint, one synced commit);
//   - BM_CsvParseNce: the feed reader on a generated Partner Center invoice.
// Scratch ledgers live under $TMPDIR (the disk being measured) and are removed.
#include <benchmark/benchmark.h>
#include <lmdb.h>
#include <sodium.h>

#include <cstdlib>
#include <filesystem>
#include <stdexcept>

#include "data/sample/generator/generator.h"
#include "evidence/entry.h"
#include "evidence/keyfile.h"
#include "evidence/merkle.h"
#include "ledger/indexes.h"
#include "ledger/ledger.h"
#include "match/csv.h"
#include "bench/usage_entry.h"

namespace closebook {
namespace {

namespace fs = std::filesystem;

// A directory that removes itself.
class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = (fs::temp_directory_path() / "closebook-bench.XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~ScratchDir() { fs::remove_all(path_); }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

void check(int rc, const char* what) {
  if (rc != 0) throw std::runtime_error(std::string(what) + ": " + mdb_strerror(rc));
}

// The bytes a ledger would store for `count` usage rows.
std::vector<std::string> usage_entries(uint64_t count) {
  std::vector<std::string> out;
  out.reserve(count);
  for (uint64_t i = 0; i < count; ++i) out.push_back(bench::usage_entry_bytes(i));
  return out;
}

MDB_env* open_env(const std::string& dir) {
  MDB_env* env = nullptr;
  check(mdb_env_create(&env), "env create");
  check(mdb_env_set_mapsize(env, size_t{8} << 30), "mapsize");
  check(mdb_env_open(env, dir.c_str(), MDB_NOTLS, 0600), "env open");
  return env;
}

std::string key_of(uint64_t i) {
  std::string k(8, '\0');
  for (int b = 7; b >= 0; --b, i >>= 8) k[static_cast<size_t>(b)] = static_cast<char>(i & 0xff);
  return k;
}

// Batches of `range(0)` entries appended with MDB_APPEND, one synced commit per batch; with
// `hash`, also one SHA-256 per entry and one per tree node (a tree of n leaves has n - 1
// interior nodes): the bound for hashing and storing the same bytes together.
void lmdb_append_bound(benchmark::State& state, bool hash) {
  const auto batch = static_cast<uint64_t>(state.range(0));
  const std::vector<std::string> entries = usage_entries(batch);
  ScratchDir dir;
  MDB_env* env = open_env(dir.path());
  uint64_t next = 0, bytes = 0;
  Hash previous{};
  for (auto _ : state) {
    MDB_txn* txn = nullptr;
    MDB_dbi dbi;
    check(mdb_txn_begin(env, nullptr, 0, &txn), "begin");
    check(mdb_dbi_open(txn, nullptr, 0, &dbi), "dbi");
    for (const std::string& e : entries) {
      const std::string k = key_of(next++);
      if (hash) previous = node_hash(previous, leaf_hash(as_bytes(e)));
      MDB_val key{k.size(), const_cast<char*>(k.data())}, value{e.size(), const_cast<char*>(e.data())};
      check(mdb_put(txn, dbi, &key, &value, MDB_APPEND), "put");
      bytes += e.size();
    }
    check(mdb_txn_commit(txn), "commit");
  }
  benchmark::DoNotOptimize(previous);
  mdb_env_close(env);
  state.SetItemsProcessed(static_cast<int64_t>(next));
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}
void BM_BoundLmdbAppend(benchmark::State& state) { lmdb_append_bound(state, false); }
BENCHMARK(BM_BoundLmdbAppend)->Arg(1)->Arg(100)->Arg(10000)->UseRealTime()->Unit(benchmark::kMicrosecond);
void BM_BoundLmdbAppendAndHash(benchmark::State& state) { lmdb_append_bound(state, true); }
BENCHMARK(BM_BoundLmdbAppendAndHash)->Arg(10000)->UseRealTime()->Unit(benchmark::kMicrosecond);

// The bound for the same records the ledger writes, with nothing of closebook's own work: per
// entry its bytes (MDB_APPEND), its tree nodes (MDB_APPEND, hashed as the tree grows), its
// content key (32 random bytes, as SHA-256 makes them) and its secondary-index keys (a DUPSORT
// table), one synced commit per batch. The entries' encodings and keys are made beforehand.
void BM_BoundLmdbSameRecords(benchmark::State& state) {
  const auto batch = static_cast<uint64_t>(state.range(0));
  const std::vector<std::string> entries = usage_entries(batch);
  std::vector<std::vector<std::string>> index_keys;
  for (const std::string& e : entries) {
    std::vector<std::string> keys;
    for (const auto& k : ledger::index_keys(DecodedEntry::decode(e).value().reader())) {
      keys.push_back(ledger::index_db_key(k.name, k.value));
    }
    index_keys.push_back(std::move(keys));
  }
  ScratchDir dir;
  MDB_env* env = nullptr;
  check(mdb_env_create(&env), "env create");
  check(mdb_env_set_mapsize(env, size_t{8} << 30), "mapsize");
  check(mdb_env_set_maxdbs(env, 8), "maxdbs");
  check(mdb_env_open(env, dir.path().c_str(), MDB_NOTLS, 0600), "env open");
  TreeBuilder tree;
  uint64_t next = 0;
  for (auto _ : state) {
    MDB_txn* txn = nullptr;
    MDB_dbi entries_db, nodes_db, content_db, index_db;
    check(mdb_txn_begin(env, nullptr, 0, &txn), "begin");
    check(mdb_dbi_open(txn, "entries", MDB_CREATE, &entries_db), "dbi");
    check(mdb_dbi_open(txn, "nodes", MDB_CREATE, &nodes_db), "dbi");
    check(mdb_dbi_open(txn, "content", MDB_CREATE, &content_db), "dbi");
    check(mdb_dbi_open(txn, "index", MDB_CREATE | MDB_DUPSORT | MDB_DUPFIXED, &index_db), "dbi");
    for (uint64_t i = 0; i < batch; ++i) {
      const std::string& e = entries[i];
      const std::string k = key_of(next++);
      MDB_val key{k.size(), const_cast<char*>(k.data())}, value{e.size(), const_cast<char*>(e.data())};
      check(mdb_put(txn, entries_db, &key, &value, MDB_APPEND), "put entry");
      tree.append(leaf_hash(as_bytes(e)), [&](uint8_t level, uint64_t index, const Hash& h) {
        const std::string nk = key_of(node_position(level, index));
        MDB_val nkey{nk.size(), const_cast<char*>(nk.data())}, nvalue{h.size(), const_cast<uint8_t*>(h.data())};
        check(mdb_put(txn, nodes_db, &nkey, &nvalue, MDB_APPEND), "put node");
      });
      Hash content = sha256(k);  // random, like a content hash
      MDB_val ckey{content.size(), content.data()};
      check(mdb_put(txn, content_db, &ckey, &key, MDB_NOOVERWRITE), "put content");
      for (const std::string& ik : index_keys[i]) {
        MDB_val ikey{ik.size(), const_cast<char*>(ik.data())};
        check(mdb_put(txn, index_db, &ikey, &key, 0), "put index");
      }
    }
    check(mdb_txn_commit(txn), "commit");
  }
  mdb_env_close(env);
  state.SetItemsProcessed(static_cast<int64_t>(next));
}
BENCHMARK(BM_BoundLmdbSameRecords)->Arg(10000)->UseRealTime()->Unit(benchmark::kMicrosecond);

// The fsync'd commit rate: one small put per synced transaction.
void BM_BoundSyncedCommit(benchmark::State& state) {
  ScratchDir dir;
  MDB_env* env = open_env(dir.path());
  const std::string value_bytes(300, 'v');
  uint64_t next = 0;
  for (auto _ : state) {
    MDB_txn* txn = nullptr;
    MDB_dbi dbi;
    check(mdb_txn_begin(env, nullptr, 0, &txn), "begin");
    check(mdb_dbi_open(txn, nullptr, 0, &dbi), "dbi");
    const std::string k = key_of(next++);
    MDB_val key{k.size(), const_cast<char*>(k.data())}, value{value_bytes.size(), const_cast<char*>(value_bytes.data())};
    check(mdb_put(txn, dbi, &key, &value, MDB_APPEND), "put");
    check(mdb_txn_commit(txn), "commit");
  }
  mdb_env_close(env);
  state.SetItemsProcessed(static_cast<int64_t>(next));
}
BENCHMARK(BM_BoundSyncedCommit)->UseRealTime()->Unit(benchmark::kMicrosecond);

// The ledger's own append: batches of `range(0)` usage rows, each batch one synced commit
// with its signed checkpoint. With a batch of 1 this is the latency from a write to a signed
// checkpoint covering it (the < 10 ms target).
void BM_LedgerAppend(benchmark::State& state) {
  const auto batch = static_cast<uint64_t>(state.range(0));
  ScratchDir dir;
  const SigningKey key = SigningKey::generate("bench.example/ledger").value();
  const std::string sealed =
      seal_signing_key(key, "bench-passphrase", {crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN}).value();
  const std::string ledger_dir = dir.path() + "/ledger";
  if (!ledger::Ledger::init(ledger_dir, key, {key.name(), sealed}).ok()) throw std::runtime_error("init");
  auto ledger = ledger::Ledger::open(ledger_dir, {}).value();
  uint64_t row = 0;
  for (auto _ : state) {
    state.PauseTiming();
    std::vector<ledger::Draft> drafts(batch);
    for (ledger::Draft& d : drafts) bench::fill_usage_record(d.entry(), row++);
    state.ResumeTiming();
    auto receipt = ledger->append(drafts, key);
    if (!receipt.ok()) throw std::runtime_error(receipt.error().to_string());
  }
  state.SetItemsProcessed(static_cast<int64_t>(row));
}
BENCHMARK(BM_LedgerAppend)->Arg(1)->Arg(100)->Arg(10000)->UseRealTime()->Unit(benchmark::kMicrosecond);

// The feed reader on a generated Partner Center invoice of ~10,000 rows (49 columns).
void BM_CsvParseNce(benchmark::State& state) {
  const auto files = sample::generate({.seed = 7, .lines = 10000, .period = {2026, 10}});
  const std::string& nce = files.at("invoice-microsoft-nce.csv");
  uint64_t rows = 0;
  for (auto _ : state) {
    auto doc = csv::Document::parse("invoice-microsoft-nce.csv", nce);
    if (!doc.ok()) throw std::runtime_error(doc.error().to_string());
    rows += doc->rows.size();
  }
  state.SetItemsProcessed(static_cast<int64_t>(rows));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(nce.size()));
}
BENCHMARK(BM_CsvParseNce)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace closebook
