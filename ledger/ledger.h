// The ledger: an append-only log of canonical entries in LMDB, with an RFC 9162 Merkle tree
// and a C2SP checkpoint signed after every write transaction. Layout and invariants:
// ledger/layout.h and docs/ledger.md §7.
//
// Thread-safety: a Ledger may be shared by threads. append() calls are serialised by LMDB's
// writer lock (across processes too); snapshots are LMDB read transactions, never block the
// writer, and see the ledger as of their creation. A Snapshot is used by one thread at a time.
#pragma once

#include <capnp/message.h>
#include <lmdb.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string>
#include <vector>

#include "evidence/checkpoint.h"
#include "evidence/entry.h"
#include "evidence/merkle.h"
#include "evidence/note.h"
#include "evidence/result.h"
#include "evidence/subject_map.h"
#include "ledger/subjects.h"

namespace closebook::ledger {

inline constexpr uint64_t kMapSizeDefault = uint64_t{64} << 30;  // virtual; the file is sparse
inline constexpr uint64_t kMapSizeMax = uint64_t{1} << 40;
inline constexpr size_t kBatchEntriesMax = 2'000'000;

// An entry to append. The caller fills the kind and `effective` (if it has one); the ledger fills index,
// prevHash, recordedAt and (if unset) author.
class Draft {
 public:
  // A small first segment: a batch holds one Draft per input row, and capnp's default first
  // segment (8 KiB) would make a million-row batch cost 8 GiB. A feed row's entry is ~450
  // bytes: 64 words hold it, and a larger entry takes a second segment (128 words cost 20%
  // more memory and time on a 170,000-row usage file, docs/performance.md §5).
  Draft() : message_(std::make_unique<capnp::MallocMessageBuilder>(kFirstSegmentWords)) {
    message_->initRoot<schema::Entry>();
  }
  // A shrunk draft (shrink_to_fit) is read in place; entry() gives it its builder back.
  schema::Entry::Builder entry();
  schema::Entry::Reader reader() {
    if (shrunk()) return capnp::readMessageUnchecked<schema::Entry>(flat_.begin());
    return message_->getRoot<schema::Entry>().asReader();
  }
  // When true (the default) an entry whose content equals an existing entry's is not
  // appended again: the receipt names the existing one.
  bool idempotent = true;
  // What "the same entry" means, when content alone is not it: e.g. a feed row is the same
  // row in a re-exported file (other file hash, same values), while two identical rows in one
  // file are two charges. Unset: the content hash (evidence/entry.h).
  std::optional<Hash> idempotency_key;

  // Where a link's reference sits in the entry: from the entry's root to the EntryRef (which
  // the caller has initialised), found again when it is filled, so a draft may move
  // (shrink_to_fit) after it links.
  using RefPath = std::function<schema::EntryRef::Builder(schema::Entry::Builder)>;
  // Makes the reference at `path` point at the entry of an earlier draft of the same batch (by
  // position in the batch), whose index and hash are only known when the batch is appended —
  // e.g. a priced line citing the FX lock appended with it. Filled before this draft's
  // content hash.
  void link(RefPath path, size_t batch_position) { links_.push_back({std::move(path), batch_position}); }

  // Moves the finished entry into one flat array of its own size, without a message builder,
  // so a plan holding a draft per input row holds the entry's bytes and ~100 more, not the
  // 2 KB of a grown message and its 240-byte builder (docs/performance.md §16). Call it once
  // the entry is built; the ledger seals a shrunk draft and shrinks it again.
  void shrink_to_fit();
  bool shrunk() const { return message_ == nullptr; }

 private:
  friend class Ledger;
struct AppendState;
  struct Link {
    RefPath path;
    size_t batch_position;
  };
  std::vector<Link> links_;
  static constexpr unsigned kFirstSegmentWords = 64;
  // What seal_envelope adds to a built entry: prevHash and author (32 bytes each) and the
  // salt (16), each a data object of its own; and the 32-byte hash each link fills in.
  static constexpr unsigned kEnvelopeWords = 4 + 4 + 2;
  static constexpr unsigned kLinkWords = 4;
  std::unique_ptr<capnp::MallocMessageBuilder> message_;  // null once shrunk
  kj::Array<capnp::word> flat_;  // a shrunk draft's entry: its root pointer, then its content
};

struct Appended {
  uint64_t index = 0;
  Hash hash{};
  bool duplicate = false;  // the same content was already in the ledger (or earlier in the batch)
};

struct AppendReceipt {
  std::vector<Appended> entries;  // one per draft, in order
  uint64_t new_entry_count = 0;
  uint64_t tree_size = 0;
  Hash root{};
  std::string checkpoint;  // signed note for tree_size; empty if nothing was appended
};

struct BackupReceipt {
  uint64_t size = 0;       // entries in the copy
  std::string checkpoint;  // the copy's latest signed checkpoint, also in DIR/backup.checkpoint
};

struct OpenOptions {
  bool read_only = false;
  uint64_t map_size_bytes = kMapSizeDefault;
  // The map grows (doubling) up to this; a batch that does not fit then is refused as Full.
  uint64_t map_size_max = kMapSizeMax;
};

struct InitOptions {
  std::string origin;             // the log's name; also its key's name
  std::string sealed_log_key;     // evidence/keyfile.h text of `log_key`, written to log.key
  uint64_t map_size_bytes = kMapSizeDefault;
  int64_t recorded_at_ms = 0;     // 0 = now
  // The 32-byte secret entry salts are derived from (docs/ledger.md §2.1); empty = drawn at
  // random. Given only to rebuild another ledger entry by entry with the same salts (a test's
  // forger, who holds that ledger's directory).
  std::string salt_secret;
};

struct AppendOptions {
  int64_t recorded_at_ms = 0;     // 0 = now (clamped so recordedAt never decreases)
  // The ledger size the batch was prepared against. If the ledger has grown since, append()
  // refuses with Conflict and writes nothing: checks made on the older snapshot (an immutable
  // rule version, an unambiguous identity) may no longer hold. Prepare again and retry.
  std::optional<uint64_t> expected_size;
  // How long to wait for another process's write transaction to end before refusing with
  // Busy (LMDB itself would wait forever, e.g. behind a writer stopped mid-transaction).
  std::chrono::milliseconds writer_wait{30'000};
  // Called with (entries written, drafts in the batch) every kProgressEveryEntries and once
  // the batch is written, before the commit: a long batch shows it is moving.
  std::function<void(uint64_t done, uint64_t total)> progress;
};
inline constexpr uint64_t kProgressEveryEntries = 10'000;

class Ledger;
struct AppendState;

// A consistent read view: one LMDB read transaction.
class Snapshot : public NodeSource {
 public:
  Snapshot(Snapshot&& other) noexcept;
  Snapshot& operator=(Snapshot&&) = delete;
  ~Snapshot() override;

  uint64_t size() const { return size_; }
  Result<DecodedEntry> entry(uint64_t index) const;
  Result<std::string> entry_bytes(uint64_t index) const;
  // The entry's hash (its leaf hash), from the tree.
  Result<Hash> entry_hash(uint64_t index) const;
  Result<Hash> node(uint8_t level, uint64_t index) const override;
  Result<Hash> root(uint64_t size) const;
  Result<std::vector<Hash>> inclusion_proof(uint64_t index, uint64_t size) const;
  Result<std::vector<Hash>> consistency_proof(uint64_t old_size, uint64_t size) const;
  // The signed checkpoint stored for exactly `size` (NotFound names the nearest sizes).
  Result<std::string> checkpoint(uint64_t size) const;
  Result<std::string> latest_checkpoint() const;
  Result<std::vector<uint64_t>> checkpoint_sizes() const;
  // Entry indexes under a secondary index key, ascending. Proven against the subject map of
  // the snapshot's signed checkpoint (docs/ledger.md §7.1): an index edited or damaged on disk
  // is a Corruption error naming `closebook reindex`, never a shorter or longer answer.
  Result<std::vector<uint64_t>> lookup(std::string_view name, std::string_view value) const;
  // The last (largest) of them, without reading the others; nullopt if there is none. Proven
  // like lookup(), against the last index the subject's head names.
  Result<std::optional<uint64_t>> lookup_last(std::string_view name, std::string_view value) const;
  // A secret value for `purpose` that only who can read the ledger can derive (the salt of a
  // sign-off statement's summary, docs/close.md §1): HMAC-SHA256 under the ledger's salt
  // secret. Invalid on a ledger not yet opened for writing since the secret was introduced.
  Result<Hash> derived_salt(std::string_view purpose) const;
  // The subject map's root in the snapshot's checkpoint (signature checked).
  Result<Hash> subjects_root() const;
  // A bucket of the subject map with its path to subjects_root(), proven.
  Result<SubjectBucketProof> subject_bucket_proof(uint16_t bucket) const;

  // Entries decoded through entry() so far, and their bytes: how a test shows a read path is
  // linear in what it returns (an operation count, never a time).
  struct ReadStats {
    uint64_t entries = 0;
    uint64_t bytes = 0;
  };
  ReadStats read_stats() const { return reads_; }

 private:
  friend class Ledger;
struct AppendState;
  // `owns_txn` false: a view inside the writer's transaction, which the writer ends.
  Snapshot(const Ledger* ledger, MDB_txn* txn, uint64_t size, bool owns_txn)
      : ledger_(ledger), txn_(txn), size_(size), owns_txn_(owns_txn) {}
  std::shared_lock<std::shared_timed_mutex> map_lock_;  // held while txn_ lives
  Result<std::string> get(MDB_dbi dbi, std::string_view key, const char* what) const;
  // NotFound unless a tree of `size` leaves is within this snapshot.
  Status within(uint64_t size) const;
  // The head of `subject` once its bucket is proven against subjects_root().
  Result<std::optional<SubjectHead>> proven_head(std::string_view subject) const;
  const Ledger* ledger_;
  MDB_txn* txn_;
  uint64_t size_ = 0;
  bool owns_txn_ = true;
  // Proofs already made in this snapshot: a read transaction never sees its data change.
  mutable std::optional<Hash> subjects_root_;
  mutable std::vector<bool> proven_buckets_;
  mutable ReadStats reads_;
};

class Ledger {
 public:
  // Creates a ledger in `dir` (created 0700 if missing; must not already hold a ledger) whose
  // entry 0 registers the log key, and signs the first checkpoint.
  static Status init(const std::string& dir, const SigningKey& log_key, const InitOptions& options);
  static Result<std::unique_ptr<Ledger>> open(const std::string& dir, const OpenOptions& options);
  ~Ledger();
  Ledger(const Ledger&) = delete;
  Ledger& operator=(const Ledger&) = delete;

  const std::string& dir() const { return dir_; }
  const std::string& origin() const { return origin_; }
  const VerifierKey& log_key() const { return log_vkey_; }
  // Reads and opens DIR/log.key; refuses a key that is not this log's.
  Result<SigningKey> unlock_log_key(std::string_view passphrase) const;

  Result<Snapshot> snapshot() const;
  // Drops every secondary index and rebuilds it from the entries, in one write transaction:
  // the way back from an index edited or damaged behind the ledger's back (`closebook reindex`).
  // The rebuilt subject map must be the one the last checkpoint signed (else Corruption: what
  // the log committed to was altered, e.g. the content table); a ledger whose last checkpoint
  // predates the subject map has that checkpoint signed again with it (same size and root),
  // which needs `log_key` (Permission without it).
  Status reindex(const SigningKey* log_key = nullptr) { return rebuild_indexes(AppendOptions{}.writer_wait, log_key, false); }
  // Writes a consistent, compacted copy of the ledger into `dir` (created 0700; it must not
  // exist) while writers go on: LMDB copies one read transaction's view. The copy holds
  // data.mdb, log.key (sealed, as it is) and backup.checkpoint (the copy's signed checkpoint),
  // each fsynced. Restore with ledger::restore.
  Result<BackupReceipt> backup(const std::string& dir) const;
  // Appends the drafts in order, all or nothing, with their tree nodes, indexes and one
  // checkpoint signed by `log_key`. At most kBatchEntriesMax drafts.
  // Adds witness cosignature lines (c2sp.org/tlog-cosignature) to the checkpoint stored for
  // `size`, beside the log's signature; a line of a key already there is not added twice. The
  // caller has verified them under the witnesses' keys; the log's own signature is checked
  // again here. The note's text is never changed (docs/ledger.md §4.1).
  Status add_cosignatures(uint64_t size, const std::vector<NoteSignature>& cosignatures);
  Result<AppendReceipt> append(std::span<Draft> drafts, const SigningKey& log_key,
                               const AppendOptions& options = {});

 private:
  friend class Snapshot;
  Ledger() = default;
  // The rest of init() once log.key is written: the environment, metadata, entry 0.
  static Status create(const std::string& dir, const SigningKey& log_key, const InitOptions& options);
  Status open_databases(MDB_txn* txn, unsigned flags);
  // In its own write transaction, as the ledger's writer.
  // `at_open`: the automatic rebuild of an older index version, which has no key to sign with.
  Status rebuild_indexes(std::chrono::milliseconds writer_wait, const SigningKey* log_key, bool at_open);
  Status file_every_entry(MDB_txn* txn, SubjectWriter& subjects);
  Status file_every_content_key(MDB_txn* txn, SubjectWriter& subjects);
  // Checks the rebuilt map against the last checkpoint, or signs it in (see reindex()).
  Status match_signed_subjects(MDB_txn* txn, uint64_t size, const Hash& rebuilt, const SigningKey* log_key,
                               bool at_open);
  // Reads meta's salt secret; a writer makes it the first time (ledgers made before it).
  Status load_salt_secret(bool writable);
  // Opens the subject map's tables; `create` in a write transaction.
  Status open_subject_tables(MDB_txn* txn, bool create);
  static Status resolve_links(Draft& draft, const AppendReceipt& so_far);
  Result<std::optional<uint64_t>> find_content(MDB_txn* txn, SubjectWriter& subjects,
                                               const std::string& content_key) const;
  Result<Hash> write_entry(MDB_txn* txn, AppendState& state, SubjectWriter& subjects, Draft& draft,
                           const std::string& content_key, const Hash& author);
  Result<AppendReceipt> append_once(std::span<Draft> drafts, const SigningKey& log_key,
                                    const AppendOptions& options);
  // Begins a transaction under a shared hold of map_lock_, adopting a map that another
  // process grew (MDB_MAP_RESIZED).
  Result<MDB_txn*> begin(unsigned flags, std::shared_lock<std::shared_timed_mutex>& hold) const;
  // Sets the map size (0 = adopt the size on disk). LMDB allows this only while this process
  // has no transaction open, so it waits a bounded time for open snapshots to end.
  Status resize_map(uint64_t bytes) const;

  std::string dir_;
  MDB_env* env_ = nullptr;
  bool read_only_ = false;
  mutable std::atomic<uint64_t> map_size_ = 0;  // written under map_lock_, read anywhere
  uint64_t map_size_max_ = kMapSizeMax;
  // Shared by every open transaction of this process; exclusive while the map is resized.
  mutable std::shared_timed_mutex map_lock_;
  MDB_dbi meta_ = 0, entries_ = 0, nodes_ = 0, checkpoints_ = 0, content_ = 0, index_ = 0;
  SubjectTables subjects_;
  std::string origin_;
  VerifierKey log_vkey_;
  std::string salt_secret_;  // empty until made (read-only open of an older ledger)
};

// What entry `index`'s salt is derived for (docs/ledger.md §2.1), after the entry whose hash
// is `prev_hash` (none for entry 0): its first 16 bytes are
// Snapshot::derived_salt(entry_salt_purpose(index, prev_hash)). The chain's hash in it means a
// ledger restored from a backup and appended to again never reuses a salt for other content.
std::string entry_salt_purpose(uint64_t index, const std::optional<Hash>& prev_hash);

// Makes `dir` (which must not exist) a ledger from the backup in `backup_dir`: copies its files
// and fsyncs them. The caller verifies the copy before using it (closebook restore copies into
// a staging directory, replays that, and only then moves it into place).
Status restore(const std::string& backup_dir, const std::string& dir);

// Maps an LMDB return code to an Error with context.
Error lmdb_error(int rc, const std::string& what);

}  // namespace closebook::ledger
