// Replays a ledger directory from its documented layout (docs/ledger.md §7) with a reader of
// its own: nothing here comes from ledger/.
#include <capnp/dynamic.h>
#include <capnp/schema.h>
#include <lmdb.h>

#include <bit>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "evidence/checkpoint.h"
#include "evidence/entry.h"
#include "evidence/merkle.h"
#include "evidence/subject_map.h"
#include "verify/index_keys.h"
#include "verify/rules.h"
#include "verify/verify.h"

#include "evidence/keys.h"
#include "evidence/signoff_check.h"

namespace closebook::verify {
namespace {

std::string_view view(const MDB_val& v) { return {static_cast<const char*>(v.mv_data), v.mv_size}; }

uint64_t be64(std::string_view s) {
  uint64_t v = 0;
  for (char c : s) v = v << 8 | static_cast<uint8_t>(c);
  return v;
}

std::string be64_key(uint64_t v) {
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i, v >>= 8) out[static_cast<size_t>(i)] = static_cast<char>(v & 0xff);
  return out;
}

// Entries the rules have read back, kept between adds up to this many (~1 KiB each).
constexpr size_t kEarlierEntriesMax = 16384;

Error bad_entry(uint64_t index, const std::string& what) {
  return Error::corruption(what).at_entry(index);
}

// A read-only LMDB environment and one read transaction over it.
class Reader {
 public:
  ~Reader() {
    if (cursor_ != nullptr) mdb_cursor_close(cursor_);
    if (txn_ != nullptr) mdb_txn_abort(txn_);
    if (env_ != nullptr) mdb_env_close(env_);
  }

  Status open(const std::string& dir) {
    if (int rc = mdb_env_create(&env_); rc != 0) return Error::io(mdb_strerror(rc));
    mdb_env_set_maxdbs(env_, 16);
    int rc = mdb_env_open(env_, dir.c_str(), MDB_RDONLY | MDB_NOTLS, 0);
    if (rc == EACCES || rc == EROFS) {
      // A copy on read-only media has no writable lock file; nobody writes it anyway.
      mdb_env_close(env_);
      mdb_env_create(&env_);
      mdb_env_set_maxdbs(env_, 16);
      rc = mdb_env_open(env_, dir.c_str(), MDB_RDONLY | MDB_NOTLS | MDB_NOLOCK, 0);
    }
    if (rc != 0) return lmdb_failure("cannot open ledger " + dir, rc);
    CB_CHECK(check_file_covers_map(dir));
    // The tables are opened in a transaction of their own and committed, so their handles
    // serve every later transaction (the replay's and its decoding workers').
    if (rc = mdb_txn_begin(env_, nullptr, MDB_RDONLY, &txn_); rc != 0) {
      return lmdb_failure("cannot read ledger", rc);
    }
    for (auto [name, dbi] : {std::pair{"meta", &meta_}, {"entries", &entries_}, {"nodes", &nodes_},
                             {"checkpoints", &checkpoints_}}) {
      if (mdb_dbi_open(txn_, name, 0, dbi) != 0) {
        return Error::corruption(std::string("not a closebook ledger: no \"") + name + "\" table");
      }
    }
    rc = mdb_txn_commit(txn_);
    txn_ = nullptr;
    if (rc != 0) return lmdb_failure("cannot read ledger", rc);
    if (rc = mdb_txn_begin(env_, nullptr, MDB_RDONLY, &txn_); rc != 0) {
      return lmdb_failure("cannot read ledger", rc);
    }
    return {};
  }

  Result<std::string> get(MDB_dbi dbi, std::string_view key) const {
    MDB_val k{key.size(), const_cast<char*>(key.data())};
    MDB_val v;
    const int rc = mdb_get(txn_, dbi, &k, &v);
    if (rc == MDB_NOTFOUND) return Error::not_found("missing");
    if (rc != 0) return lmdb_failure("read", rc);
    return std::string(view(v));
  }

  // Iterates a table in key order: first call with `first` true.
  bool next(MDB_dbi dbi, bool first, std::string& key, std::string& value) {
    if (first) {
      if (cursor_ != nullptr) mdb_cursor_close(cursor_);
      cursor_ = nullptr;
      if (mdb_cursor_open(txn_, dbi, &cursor_) != 0) return false;
    }
    MDB_val k, v;
    if (mdb_cursor_get(cursor_, &k, &v, first ? MDB_FIRST : MDB_NEXT) != 0) return false;
    key.assign(view(k));
    value.assign(view(v));
    return true;
  }

  MDB_env* env() const { return env_; }
  MDB_txn* txn() const { return txn_; }

  uint64_t count(MDB_dbi dbi) const {
    MDB_stat st{};
    mdb_stat(txn_, dbi, &st);
    return st.ms_entries;
  }

  // A table that a ledger of an older layout may lack (e.g. "heads", from index version 4).
  std::optional<MDB_dbi> optional_table(const char* name) const {
    MDB_dbi dbi = 0;
    if (mdb_dbi_open(txn_, name, 0, &dbi) != 0) return std::nullopt;
    return dbi;
  }

  MDB_dbi meta_ = 0, entries_ = 0, nodes_ = 0, checkpoints_ = 0;

 private:
  // A damaged file is a verification failure (exit 4), not an I/O problem (exit 5).
  static Error lmdb_failure(const std::string& what, int rc) {
    const bool damaged = rc == MDB_INVALID || rc == MDB_CORRUPTED || rc == MDB_PAGE_NOTFOUND ||
                         rc == MDB_VERSION_MISMATCH || rc == MDB_BAD_TXN;
    const std::string msg = what + ": " + mdb_strerror(rc);
    return damaged ? Error::corruption(msg) : Error::io(msg);
  }

  // The data file must hold every page its meta page says is in use; a truncated copy would
  // otherwise be read past its end.
  Status check_file_covers_map(const std::string& dir) const {
    MDB_envinfo info{};
    MDB_stat stat{};
    mdb_env_info(env_, &info);
    mdb_env_stat(env_, &stat);
    std::error_code ec;
    const auto size = std::filesystem::file_size(std::filesystem::path(dir) / "data.mdb", ec);
    const uint64_t needed = (static_cast<uint64_t>(info.me_last_pgno) + 1) * stat.ms_psize;
    if (ec || size < needed) {
      return Error::corruption("data.mdb is truncated: " + std::to_string(ec ? 0 : size) +
                               " bytes, its pages need " + std::to_string(needed));
    }
    return {};
  }

  MDB_env* env_ = nullptr;
  MDB_txn* txn_ = nullptr;
  MDB_cursor* cursor_ = nullptr;
};

// One entry, read and checked on its own: its key, its strict decode, its leaf hash.
struct Prepared {
  std::string key;
  Result<DecodedEntry> entry = Error::corruption("not read");
  Hash leaf{};
};

Prepared prepare(std::string_view key, std::string_view value) {
  Prepared p{std::string(key), DecodedEntry::decode(value), {}};
  if (p.entry.ok()) p.leaf = p.entry->hash();
  return p;
}

// Reads, decodes and hashes entries ahead of the replay on worker threads: the strict decode
// (structure, field types, canonical re-encoding) and the leaf hash are three quarters of a
// replay and depend on nothing before them, while the replay's own checks are sequential.
//
// Chunk c is the key range [be64(c * kChunkEntries), be64((c + 1) * kChunkEntries)) in LMDB's
// byte order, chunk 0 starting at the very first key, so every key of the table — of any
// length — falls in exactly one chunk and the chunks in order are the table in order. Worker
// k reads chunks k, k + kWorkers, ... in a read transaction of its own (the environment is
// MDB_NOTLS) that must see the same snapshot as the replay's; if a writer committed in
// between, the replay reads by itself. A chunk is handed over in parts of at most
// kPartBytes, and parts wait while kQueuedBytesMax are queued unless the replay needs that
// very part next, so memory stays bounded whatever the entries' sizes. The table ends where a
// worker finds no key at or after its chunk's start; a first key beyond its chunk (a gap) is
// handed over alone and ends the table there, for the replay to report at its index.
class EntryPipeline {
 public:
  static std::unique_ptr<EntryPipeline> start(const Reader& reader) {
    std::vector<MDB_txn*> txns;
    for (unsigned k = 0; k < kWorkers; ++k) {
      MDB_txn* txn = nullptr;
      const bool same = mdb_txn_begin(reader.env(), nullptr, MDB_RDONLY, &txn) == 0 &&
                        mdb_txn_id(txn) == mdb_txn_id(reader.txn());
      if (txn != nullptr) txns.push_back(txn);
      if (!same) {
        for (MDB_txn* t : txns) mdb_txn_abort(t);
        return nullptr;
      }
    }
    return std::unique_ptr<EntryPipeline>(new EntryPipeline(std::move(txns), reader.entries_));
  }
  ~EntryPipeline() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    changed_.notify_all();
    for (std::thread& t : threads_) t.join();
    for (MDB_txn* t : txns_) mdb_txn_abort(t);
  }
  EntryPipeline(const EntryPipeline&) = delete;
  EntryPipeline& operator=(const EntryPipeline&) = delete;

  // The next entry in key order; false at the end of the table or on a read error (error()).
  bool next(Prepared& out) {
    while (at_ == current_.size()) {
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [&] { return ready_.count(next_) != 0 || next_.first >= end_chunk_; });
      auto it = ready_.find(next_);
      if (it == ready_.end()) return false;
      current_ = std::move(it->second.entries);
      queued_bytes_ -= it->second.bytes;
      next_ = it->second.last ? Position{next_.first + 1, 0} : Position{next_.first, next_.second + 1};
      ready_.erase(it);
      at_ = 0;
      lock.unlock();
      changed_.notify_all();
    }
    out = std::move(current_[at_++]);
    return true;
  }

  Status error() {
    std::lock_guard lock(mutex_);
    return error_;
  }

 private:
  using Position = std::pair<uint64_t, uint64_t>;  // chunk, part
  struct Part {
    std::vector<Prepared> entries;
    uint64_t bytes = 0;
    bool last = false;
  };
  static constexpr unsigned kWorkers = 2;
  static constexpr uint64_t kChunkEntries = 4096, kChunksAhead = 8;
  static constexpr uint64_t kPartBytes = 16 << 20, kQueuedBytesMax = 128 << 20;

  EntryPipeline(std::vector<MDB_txn*> txns, MDB_dbi entries) : txns_(std::move(txns)) {
    for (unsigned k = 0; k < kWorkers; ++k) threads_.emplace_back([this, k, entries] { run(k, entries); });
  }

  void run(unsigned worker, MDB_dbi entries) {
    Status status;
    try {
      status = read_chunks(worker, entries);
    } catch (const std::exception& e) {  // e.g. bad_alloc: a failed check, never a crash
      status = Error::io(std::string("decoding entries: ") + e.what());
    }
    if (!status.ok()) {
      std::lock_guard lock(mutex_);
      if (error_.ok()) error_ = status;
      end_chunk_ = 0;
      changed_.notify_all();
    }
  }

  Status read_chunks(unsigned worker, MDB_dbi entries) {
    MDB_cursor* cursor = nullptr;
    if (int rc = mdb_cursor_open(txns_[worker], entries, &cursor); rc != 0) return Error::io(mdb_strerror(rc));
    std::unique_ptr<MDB_cursor, void (*)(MDB_cursor*)> closer(cursor, mdb_cursor_close);
    for (uint64_t chunk = worker;; chunk += kWorkers) {
      {
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [&] { return chunk < next_.first + kChunksAhead || stop_; });
        if (stop_ || chunk >= end_chunk_) return {};
      }
      CB_CHECK(read_chunk(cursor, chunk));
    }
  }

  Status read_chunk(MDB_cursor* cursor, uint64_t chunk) {
    const std::string first = be64_key(chunk * kChunkEntries), past = be64_key((chunk + 1) * kChunkEntries);
    MDB_val k{first.size(), const_cast<char*>(first.data())}, v;
    int rc = mdb_cursor_get(cursor, &k, &v, chunk == 0 ? MDB_FIRST : MDB_SET_RANGE);
    if (rc == MDB_NOTFOUND) return hand_over(chunk, 0, {}, true, true);  // the table ended before it
    Part part;
    uint64_t part_number = 0;
    for (bool first_key = true; rc == 0; rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT), first_key = false) {
      if (view(k) >= std::string_view(past)) {
        // A first key beyond the chunk is a gap in the keys: the replay reports it there.
        if (!first_key) break;
        part.entries.push_back(prepare(view(k), view(v)));
        return hand_over(chunk, part_number, std::move(part), true, true);
      }
      part.bytes += v.mv_size;
      part.entries.push_back(prepare(view(k), view(v)));
      if (part.bytes >= kPartBytes) {
        CB_CHECK(hand_over(chunk, part_number++, std::move(part), false, false));
        part = Part{};
      }
    }
    if (rc != 0 && rc != MDB_NOTFOUND) return Error::io(std::string("read entries: ") + mdb_strerror(rc));
    return hand_over(chunk, part_number, std::move(part), true, rc == MDB_NOTFOUND);
  }

  // Queues a part; `table_ends` marks its chunk the table's last.
  Status hand_over(uint64_t chunk, uint64_t number, Part part, bool last, bool table_ends) {
    part.last = last;
    std::unique_lock lock(mutex_);
    const Position at{chunk, number};
    changed_.wait(lock, [&] { return stop_ || queued_bytes_ + part.bytes <= kQueuedBytesMax || at == next_; });
    if (stop_) return {};
    if (table_ends) end_chunk_ = std::min(end_chunk_, chunk + 1);
    queued_bytes_ += part.bytes;
    ready_.emplace(at, std::move(part));
    lock.unlock();
    changed_.notify_all();
    return {};
  }

  std::vector<MDB_txn*> txns_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::map<Position, Part> ready_;
  Position next_{0, 0};  // the part the replay takes next
  uint64_t end_chunk_ = UINT64_MAX, queued_bytes_ = 0;
  bool stop_ = false;
  Status error_;
  std::vector<Prepared> current_;
  size_t at_ = 0;
  std::vector<std::thread> threads_;  // last: started once everything they use exists
};

// Checks everything an entry says about its place in the log.
Status check_envelope(const DecodedEntry& entry, uint64_t index, const std::optional<Hash>& prev,
                      int64_t& last_recorded) {
  auto e = entry.reader();
  if (e.getIndex() != index) {
    return bad_entry(index, "L1: entry says it is index " + std::to_string(e.getIndex()));
  }
  const auto ph = e.getPrevHash();
  if (!prev) {
    if (ph.size() != 0) return bad_entry(index, "L2: entry 0 has a prevHash");
  } else if (ph.size() != 32 || std::memcmp(ph.begin(), prev->data(), 32) != 0) {
    return bad_entry(index, "L2: prevHash is not the hash of entry " + std::to_string(index - 1) +
                                " (the hash chain is broken)");
  }
  if (e.getRecordedAt() < last_recorded) return bad_entry(index, "L2: recordedAt goes backwards");
  last_recorded = e.getRecordedAt();
  return {};
}

// Entry 0 must register the log key the auditor trusts, under the ledger's origin.
Status check_genesis(const DecodedEntry& entry, const VerifierKey& key) {
  auto kind = entry.reader().getKind();
  const bool is_log_key = kind.which() == schema::Entry::Kind::KEY_EVENT &&
                          kind.getKeyEvent().getAction() == schema::KeyEvent::Action::REGISTER &&
                          kind.getKeyEvent().getRole() == schema::KeyEvent::Role::LOG;
  if (!is_log_key) return bad_entry(0, "L3: entry 0 does not register the log key");
  auto event = kind.getKeyEvent();
  const Hash id = key.id();
  const bool same_key = std::string(event.getVerifierKey().cStr()) == key.to_string() &&
                        std::string(event.getName().cStr()) == key.name &&
                        event.getPublicKey() == capnp::Data::Reader(key.key.data(), key.key.size()) &&
                        event.getKeyId() == capnp::Data::Reader(id.data(), id.size());
  if (!same_key) return bad_entry(0, "L3: entry 0 registers another log key than the one given with --key");
  return {};
}

// Compares every node the replayed tree completes with the stored one.
class NodeChecker {
 public:
  explicit NodeChecker(const Reader& reader) : reader_(reader) {}
  void operator()(uint8_t level, uint64_t index, const Hash& h) {
    if (!status_.ok()) return;
    auto stored = reader_.get(reader_.nodes_, be64_key(node_position(level, index)));
    const bool same = stored.ok() && stored->size() == 32 && std::memcmp(stored->data(), h.data(), 32) == 0;
    if (!same) {
      status_ = Error::corruption("L4: stored tree node (level " + std::to_string(level) + ", index " +
                                  std::to_string(index) + ") does not match the entries");
    }
    ++count_;
  }
  const Status& status() const { return status_; }
  uint64_t count() const { return count_; }

 private:
  const Reader& reader_;
  Status status_;
  uint64_t count_ = 0;
};

// Signed notes by tree size.
using Checkpoints = std::map<uint64_t, std::string>;

// L8: the subject map the latest checkpoint signs is the one the entries make — every entry
// filed under each index key of docs/ledger.md §7 and nowhere else — with the content
// subjects (not derived from entries, §7.1) as the heads table stores them. So a writer that
// files an entry under no subject, to keep it out of bundles (R33), is caught here.
class SubjectRebuild {
 public:
  void add(const DecodedEntry& e) {
    const uint64_t index = e.reader().getIndex();
    for (auto& [name, value] : index_keys_of(e.reader())) {
      SubjectHead& head = heads_[subject_key(name, value)];
      if (head.count == 0 || head.last != index) head.add(index);
    }
  }

  Status check(Reader& reader, const Checkpoints& checkpoints, const VerifierKey& key) {
    CB_TRY(VerifiedCheckpoint latest, open_checkpoint(checkpoints.rbegin()->second, key));
    CB_TRY(std::optional<Hash> signed_root, subjects_root_of(latest.checkpoint.extensions));
    if (!signed_root) return {};  // a ledger from before the subject map signs none
    const std::optional<MDB_dbi> stored = reader.optional_table("heads");
    if (!stored) return Error::corruption("L8: the latest checkpoint signs a subject map, and the ledger has no heads table");
    std::string k, v;
    constexpr std::string_view kContent("content\0", 8);
    for (bool first = true; reader.next(*stored, first, k, v); first = false) {
      if (k.size() < 2 || !std::string_view(k).substr(2).starts_with(kContent)) continue;
      auto head = SubjectHead::decode(v);
      if (!head.ok()) return Error::corruption("L8: a stored content head: " + head.error().message);
      heads_.emplace(k.substr(2), *head);
    }
    std::vector<std::pair<uint16_t, const std::pair<const std::string, SubjectHead>*>> sorted;
    sorted.reserve(heads_.size());
    for (const auto& h : heads_) sorted.emplace_back(subject_bucket(h.first), &h);
    std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
      return a.first != b.first ? a.first < b.first : a.second->first < b.second->first;
    });
    std::map<uint16_t, Hash> buckets;
    for (size_t i = 0; i < sorted.size();) {
      SubjectBucketHasher hasher;
      const uint16_t bucket = sorted[i].first;
      for (; i < sorted.size() && sorted[i].first == bucket; ++i) hasher.add(sorted[i].second->first, sorted[i].second->second);
      buckets[bucket] = hasher.finish();
    }
    if (subject_root(buckets) != *signed_root) {
      return Error::corruption("L8: the subject map the latest checkpoint signs is not the one its entries make (an entry "
                               "filed under a subject it does not belong to, or missing from one it does): bundles "
                               "built from it could leave entries out unseen");
    }
    subjects_ = heads_.size();
    return {};
  }
  uint64_t subjects() const { return subjects_; }

 private:
  std::unordered_map<std::string, SubjectHead> heads_;
  uint64_t subjects_ = 0;
};

Result<Checkpoints> read_checkpoints(Reader& reader) {
  Checkpoints out;
  std::string k, v;
  for (bool first = true; reader.next(reader.checkpoints_, first, k, v); first = false) {
    if (k.size() != 8) return Error::corruption("checkpoint table has a key that is not 8 bytes");
    out.emplace(be64(k), v);
  }
  return out;
}

Status check_checkpoint_at(const std::string& note, uint64_t size, const Hash& root,
                           const std::string& origin, const VerifierKey& key) {
  auto cp = open_checkpoint(note, key);
  const std::string where = "L5: checkpoint at size " + std::to_string(size) + ": ";
  if (!cp.ok()) return Error::corruption(where + cp.error().message);
  if (cp->checkpoint.size != size) return Error::corruption(where + "it claims size " + std::to_string(cp->checkpoint.size));
  if (cp->checkpoint.origin != origin) return Error::corruption(where + "its origin is not the ledger's");
  if (cp->checkpoint.root != root) {
    return Error::corruption(where + "its root is not the Merkle root of the first " +
                             std::to_string(size) + " entries");
  }
  return {};
}

// The stored tree, as a node source: every node it serves is one NodeChecker has already
// compared with the entries (a complete subtree of the entries replayed so far).
class StoredNodes : public NodeSource {
 public:
  explicit StoredNodes(const Reader& reader) : reader_(reader) {}
  Result<Hash> node(uint8_t level, uint64_t index) const override {
    CB_TRY(std::string v, reader_.get(reader_.nodes_, be64_key(node_position(level, index))));
    if (v.size() != 32) return Error::corruption("a stored tree node is not 32 bytes");
    Hash h{};
    std::memcpy(h.data(), v.data(), 32);
    return h;
  }

 private:
  const Reader& reader_;
};


// A SignOff (evidence/signoff_check.h), with its statement's root checked against the tree
// the replay has verified.
Status check_signoff(const DecodedEntry& entry, const KeyRegistry& registry, const NodeSource& nodes,
                     const std::string& origin) {
  auto signed_off = check_signoff_entry(entry, registry, origin);
  if (!signed_off.ok()) return Error::corruption("L6: " + signed_off.error().message).at_entry(entry.reader().getIndex());
  const SignOffCheck& checked = *signed_off;
  CB_TRY(Hash root, tree_root(nodes, checked.tree_size));
  if (root != checked.root) {
    return bad_entry(entry.reader().getIndex(),
                     "L6: the sign-off statement's root is not the ledger's at size " + std::to_string(checked.tree_size));
  }
  return {};
}

// L7: every EntryRef of an entry, found through the schema, names an earlier entry and carries
// its leaf hash (read from the stored tree, whose leaves the replay has compared with the
// entries before this one), unless it is left empty.
class ReferenceCheck {
 public:
  explicit ReferenceCheck(const NodeSource& leaves) : leaves_(leaves) {}

  Status operator()(const DecodedEntry& entry, uint64_t index) {
    auto kind = capnp::toDynamic(entry.reader().getKind());
    KJ_IF_MAYBE(member, kind.which()) {
      if (member->getType().isStruct()) return walk(kind.get(*member).as<capnp::DynamicStruct>(), index);
    }
    return {};
  }

 private:
  // Whether a struct of this schema can hold an EntryRef at all (most entries hold none).
  bool may_refer(capnp::StructSchema schema) {
    if (schema == capnp::Schema::from<schema::EntryRef>()) return true;
    const uint64_t id = schema.getProto().getId();
    if (auto it = memo_.find(id); it != memo_.end()) return it->second;
    memo_[id] = false;  // no struct of the schema contains itself
    bool found = false;
    for (auto f : schema.getFields()) {
      capnp::Type t = f.getType();
      if (t.isList()) t = t.asList().getElementType();
      if (t.isStruct() && may_refer(t.asStruct())) found = true;
    }
    return memo_[id] = found;
  }

  Status walk(capnp::DynamicStruct::Reader s, uint64_t index) {
    if (!may_refer(s.getSchema())) return {};
    if (s.getSchema() == capnp::Schema::from<schema::EntryRef>()) return check(s.as<schema::EntryRef>(), index);
    for (auto f : s.getSchema().getFields()) {
      const capnp::Type t = f.getType();
      if (t.isStruct()) {
        if (s.has(f)) CB_CHECK(walk(s.get(f).as<capnp::DynamicStruct>(), index));
      } else if (t.isList() && t.asList().getElementType().isStruct() && s.has(f)) {
        for (auto element : s.get(f).as<capnp::DynamicList>()) CB_CHECK(walk(element.as<capnp::DynamicStruct>(), index));
      }
    }
    return {};
  }

  Status check(schema::EntryRef::Reader ref, uint64_t index) {
    if (ref.getIndex() == 0 && ref.getHash().size() == 0) return {};  // left empty: names nothing
    const uint64_t target = ref.getIndex();
    if (target >= index) {
      return bad_entry(index, "L7: entry " + std::to_string(index) + " refers to entry " + std::to_string(target) + ", which is not before it");
    }
    CB_TRY(Hash leaf, leaves_.node(0, target));
    if (ref.getHash().size() != leaf.size() || hash_of(ref.getHash()) != leaf) {
      return bad_entry(index, "L7: entry " + std::to_string(index) + " refers to entry " + std::to_string(target) +
                                  " with another hash than the entry's");
    }
    return {};
  }

  const NodeSource& leaves_;
  std::map<uint64_t, bool> memo_;
};

}  // namespace

Result<LedgerReport> replay_ledger(const std::string& dir, const VerifierKey& key) {
  Reader reader;
  CB_CHECK(reader.open(dir));
  auto format = reader.get(reader.meta_, "format");
  if (!format.ok() || *format != "closebook-ledger-1") {
    return Error::corruption("not a closebook-ledger-1 directory: " + dir);
  }
  CB_TRY(std::string origin, reader.get(reader.meta_, "origin"));
  CB_TRY(Checkpoints checkpoints, read_checkpoints(reader));

  TreeBuilder tree;
  NodeChecker nodes(reader);
  StoredNodes stored(reader);
  ReferenceCheck references(stored);
  KeyRegistry registry;
  SubjectRebuild subjects;
  uint64_t sign_offs = 0;
  std::optional<Hash> prev;
  int64_t last_recorded = 0;
  uint64_t index = 0;
  uint64_t checked = 0;
  auto next_cp = checkpoints.begin();
  std::unique_ptr<EntryPipeline> pipeline = EntryPipeline::start(reader);
  std::string k, v;
  bool first = true;
  auto next = [&](Prepared& out) {
    if (pipeline) return pipeline->next(out);
    if (!reader.next(reader.entries_, first, k, v)) return false;
    first = false;
    out = prepare(k, v);
    return true;
  };
  // R8–R30 with the whole ledger (verify/rules.h): earlier entries are read back from the
  // snapshot as the rules ask for them, decoded once per add and kept for a while.
  std::map<uint64_t, DecodedEntry> earlier;
  Rules rules(
      [&](uint64_t i) -> const DecodedEntry* {
        if (i >= index) return nullptr;  // a rule only ever reads back
        if (auto it = earlier.find(i); it != earlier.end()) return &it->second;
        auto bytes = reader.get(reader.entries_, be64_key(i));
        if (!bytes.ok()) return nullptr;
        auto decoded = DecodedEntry::decode_stored(*bytes);
        if (!decoded.ok()) return nullptr;
        return &earlier.emplace(i, std::move(*decoded)).first->second;
      },
      /*complete=*/true);
  for (Prepared p; next(p); ++index) {
    if (p.key.size() != 8 || be64(p.key) != index) return bad_entry(index, "L1: entry keys skip or repeat an index");
    if (!p.entry.ok()) return std::move(p.entry).error().at_entry(index);
    const DecodedEntry* entry = &*p.entry;
    CB_CHECK(check_envelope(*entry, index, prev, last_recorded));
    if (index == 0) CB_CHECK(check_genesis(*entry, key));
    if (auto applied = registry.apply(*entry); !applied.ok()) return bad_entry(index, "L6: " + applied.error().message);
    if (entry->reader().getKind().isSignOff()) {
      CB_CHECK(check_signoff(*entry, registry, stored, origin));
      ++sign_offs;
    }
    if (earlier.size() > kEarlierEntriesMax) earlier.clear();  // nothing of the last add is held
    if (auto st = rules.add(*entry); !st.ok()) return Error(st.error()).at_entry(index);
    // After the close's rules, which judge what an entry says; L7 what it points at.
    CB_CHECK(references(*entry, index));
    subjects.add(*entry);
    const Hash leaf = p.leaf;
    tree.append(leaf, std::ref(nodes));
    if (!nodes.status().ok()) return Error(nodes.status().error()).at_entry(index);
    prev = leaf;
    if (next_cp != checkpoints.end() && next_cp->first == index + 1) {
      CB_CHECK(check_checkpoint_at(next_cp->second, index + 1, tree.root(), origin, key));
      ++next_cp;
      ++checked;
    }
  }
  if (pipeline) CB_CHECK(pipeline->error());
  CB_CHECK(rules.finish());
  // Every key of the table was replayed: none beyond the last index, none of another shape.
  if (reader.count(reader.entries_) != index) {
    return Error::corruption("L1: the entries table holds " + std::to_string(reader.count(reader.entries_)) +
                             " keys; the replay read " + std::to_string(index) + " entries with indexes 0.." +
                             std::to_string(index == 0 ? 0 : index - 1));
  }
  if (next_cp != checkpoints.end()) {
    return Error::corruption("L5: checkpoint at size " + std::to_string(next_cp->first) +
                             " is beyond the " + std::to_string(index) + " entries (or checkpoints are out of order)");
  }
  if (index == 0) return Error::corruption("the ledger has no entries");
  if (checkpoints.empty() || checkpoints.rbegin()->first != index) {
    return Error::corruption("L5: the latest state (size " + std::to_string(index) + ") has no signed checkpoint");
  }
  if (reader.count(reader.nodes_) != nodes.count()) {
    return Error::corruption("L4: the node table holds " + std::to_string(reader.count(reader.nodes_)) +
                             " nodes; " + std::to_string(index) + " entries make " +
                             std::to_string(nodes.count()));
  }
  CB_CHECK(subjects.check(reader, checkpoints, key));
  LedgerReport report{origin, index, checked, tree.root(), sign_offs, pipeline != nullptr};
  report.subjects = subjects.subjects();
  report.lines_recomputed = rules.counts().lines_recomputed;
  report.credits_recomputed = rules.counts().credits_recomputed;
  report.invoices_recomputed = rules.counts().invoices_recomputed;
  report.statements_recomputed = rules.counts().statements_recomputed;
  return report;
}

}  // namespace closebook::verify
