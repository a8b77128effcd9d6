#include "ledger/ledger.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cassert>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <thread>
#include <unordered_set>
#include <sodium.h>

#include "evidence/keyfile.h"
#include "ledger/files.h"
#include "ledger/indexes.h"
#include "ledger/layout.h"

namespace closebook::ledger {
namespace {

MDB_val as_val(std::string_view s) {
  return MDB_val{s.size(), const_cast<char*>(s.data())};
}
std::string_view as_view(const MDB_val& v) {
  return {static_cast<const char*>(v.mv_data), v.mv_size};
}

// Ends the message of an MDB_MAP_FULL error, which append() answers by growing the map; a
// full disk (ENOSPC) is not helped by that.
constexpr std::string_view kMapFullMessage = "the ledger's LMDB map is full";

int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::string today_iso() {
  const auto days = std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now());
  const std::chrono::year_month_day ymd{days};
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return buf;
}

// DIR/writer.lock, flock'd for the length of one append: processes take turns as LMDB's writer
// mutex would make them, but a wait that runs out is an error naming the holder, not a hang.
class WriterLock {
 public:
  static Result<WriterLock> acquire(const std::string& dir, std::chrono::milliseconds wait) {
    const std::string path = (std::filesystem::path(dir) / kWriterLockFile).string();
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return Error::io("cannot open " + path + ": " + std::strerror(errno));
    // Made by whoever writes first (root, say): give it the ledger's owner, or that owner's
    // closebookd could never lock it again.
    struct stat data {};
    if (::stat((std::filesystem::path(dir) / "data.mdb").c_str(), &data) == 0) (void)!::fchown(fd, data.st_uid, data.st_gid);
    WriterLock lock(fd);
    const auto deadline = std::chrono::steady_clock::now() + wait;
    while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      if (errno != EWOULDBLOCK && errno != EINTR) return Error::io("cannot lock " + path + ": " + std::strerror(errno));
      if (std::chrono::steady_clock::now() >= deadline) {
        char holder[32] = {};
        const ssize_t n = ::pread(fd, holder, sizeof holder - 1, 0);
        return Error::busy("could not become the ledger's writer within " + std::to_string(wait.count() / 1000) +
                           " s (the last writer was pid " + std::string(holder, n > 0 ? static_cast<size_t>(n) : 0) +
                           "); nothing was written");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    const std::string pid = std::to_string(::getpid());
    if (::ftruncate(fd, 0) == 0) (void)!::pwrite(fd, pid.data(), pid.size(), 0);
    return lock;
  }
  WriterLock(WriterLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  WriterLock& operator=(WriterLock&&) = delete;
  ~WriterLock() {
    if (fd_ >= 0) ::close(fd_);  // closing releases the flock
  }

 private:
  explicit WriterLock(int fd) : fd_(fd) {}
  int fd_;
};

// Aborts a transaction unless it was committed.
class TxnGuard {
 public:
  explicit TxnGuard(MDB_txn* txn) : txn_(txn) {}
  ~TxnGuard() {
    if (txn_ != nullptr) mdb_txn_abort(txn_);
  }
  TxnGuard(const TxnGuard&) = delete;
  TxnGuard& operator=(const TxnGuard&) = delete;
  MDB_txn* get() const { return txn_; }
  int commit() {
    const int rc = mdb_txn_commit(txn_);
    txn_ = nullptr;  // mdb_txn_commit frees the transaction even when it fails
    return rc;
  }

 private:
  MDB_txn* txn_;
};

Status put(MDB_txn* txn, MDB_dbi dbi, std::string_view key, std::string_view value,
           unsigned flags, const char* what) {
  MDB_val k = as_val(key);
  MDB_val v = as_val(value);
  const int rc = mdb_put(txn, dbi, &k, &v, flags);
  if (rc != 0) return lmdb_error(rc, std::string("write ") + what);
  return {};
}

Result<std::optional<std::string>> get_optional(MDB_txn* txn, MDB_dbi dbi, std::string_view key,
                                                const char* what) {
  MDB_val k = as_val(key);
  MDB_val v;
  const int rc = mdb_get(txn, dbi, &k, &v);
  if (rc == MDB_NOTFOUND) return std::optional<std::string>();
  if (rc != 0) return lmdb_error(rc, std::string("read ") + what);
  return std::optional<std::string>(std::string(as_view(v)));
}

// The number of entries: one past the last key of `entries` (keys have no gaps).
Result<uint64_t> entry_count(MDB_txn* txn, MDB_dbi entries) {
  MDB_cursor* cursor = nullptr;
  int rc = mdb_cursor_open(txn, entries, &cursor);
  if (rc != 0) return lmdb_error(rc, "open cursor on entries");
  MDB_val k, v;
  rc = mdb_cursor_get(cursor, &k, &v, MDB_LAST);
  mdb_cursor_close(cursor);
  if (rc == MDB_NOTFOUND) return uint64_t{0};
  if (rc != 0) return lmdb_error(rc, "read last entry");
  if (k.mv_size != 8) return Error::corruption("entries table has a key that is not 8 bytes");
  return read_u64be(as_view(k)) + 1;
}

std::string new_salt_secret() {
  std::string secret(kSaltSecretBytes, '\0');
  randombytes_buf(secret.data(), secret.size());
  return secret;
}

}  // namespace

namespace {

Error index_edited(std::string_view name, std::string_view value) {
  return Error::corruption("the index under " + std::string(name) + " \"" + std::string(value) +
                           "\" does not match the subject map the log signed (an edited or damaged index): "
                           "rebuild it from the entries with `closebook reindex`");
}

Error no_subject_map(uint64_t size) {
  return Error::corruption("the checkpoint at size " + std::to_string(size) +
                           " carries no subject map of this version (closebook-subjects/v2), so the indexes cannot "
                           "be proven (a ledger from before index version 5): run `closebook reindex` once, with the "
                           "log key's passphrase");
}

}  // namespace

// Everything the append loop carries from one draft to the next.
struct AppendState {
  uint64_t next_index = 0;
  std::optional<Hash> prev_hash;  // the hash of entry next_index - 1; none before entry 0
  int64_t recorded_at_ms = 0;
  TreeBuilder tree;
  std::string last_key;  // the entries table's last key, written or found; empty if none
  std::string_view salt_secret;
};

Error lmdb_error(int rc, const std::string& what) {
  std::string msg = what + ": " + mdb_strerror(rc);
  switch (rc) {
    case MDB_MAP_FULL:
      return Error::full(what + ": " + std::string(kMapFullMessage));
    case ENOSPC:
      return Error::full(what + ": the disk is full");
    case EFBIG:
      return Error::full(what + ": the file size limit was reached");
    case MDB_INVALID:
    case MDB_VERSION_MISMATCH:
    case MDB_CORRUPTED:
    case MDB_PAGE_NOTFOUND:
      return Error::corruption(msg);
    case EACCES:
    case EROFS:
      return Error::permission(msg);
    case ENOENT:
      return Error::not_found(msg);
    default:
      return Error::io(msg);
  }
}

// ---------------------------------------------------------------------------------------
// Snapshot

Snapshot::Snapshot(Snapshot&& other) noexcept
    : map_lock_(std::move(other.map_lock_)),
      ledger_(other.ledger_),
      txn_(other.txn_),
      size_(other.size_),
      owns_txn_(other.owns_txn_),
      subjects_root_(other.subjects_root_),
      proven_buckets_(std::move(other.proven_buckets_)),
      reads_(other.reads_) {
  other.txn_ = nullptr;
}

Snapshot::~Snapshot() {
  if (txn_ != nullptr && owns_txn_) mdb_txn_abort(txn_);
  // map_lock_ is released after the transaction has ended (member destruction order).
}

Result<std::string> Snapshot::get(MDB_dbi dbi, std::string_view key, const char* what) const {
  CB_TRY(auto value, get_optional(txn_, dbi, key, what));
  if (!value) return Error::not_found(std::string("no ") + what);
  return std::move(*value);
}

Result<std::string> Snapshot::entry_bytes(uint64_t index) const {
  if (index >= size_) {
    return Error::not_found("no entry " + std::to_string(index) + " (ledger size " +
                            std::to_string(size_) + ")");
  }
  auto bytes = get(ledger_->entries_, u64be(index), "entry");
  if (!bytes.ok()) return Error::corruption("entry is missing below the ledger size").at_entry(index);
  return bytes;
}

Result<DecodedEntry> Snapshot::entry(uint64_t index) const {
  if (index >= size_) return entry_bytes(index).error();
  // Decoded straight from LMDB's page (valid for this read transaction): one copy, not two.
  const std::string key = u64be(index);
  MDB_val k = as_val(key);
  MDB_val v;
  const int rc = mdb_get(txn_, ledger_->entries_, &k, &v);
  if (rc == MDB_NOTFOUND) return Error::corruption("entry is missing below the ledger size").at_entry(index);
  if (rc != 0) return lmdb_error(rc, "read entry");
  ++reads_.entries;
  reads_.bytes += v.mv_size;
  auto decoded = DecodedEntry::decode_stored(as_view(v));
  if (!decoded.ok()) return std::move(decoded).error().at_entry(index);
  return decoded;
}

Result<Hash> Snapshot::node(uint8_t level, uint64_t index) const {
  auto value = get(ledger_->nodes_, u64be(node_position(level, index)), "tree node");
  if (!value.ok() || value->size() != 32) {
    return Error::corruption("tree node (level " + std::to_string(level) + ", index " +
                             std::to_string(index) + ") is missing or malformed");
  }
  Hash h;
  std::copy(value->begin(), value->end(), h.begin());
  return h;
}

Result<Hash> Snapshot::entry_hash(uint64_t index) const {
  if (index >= size_) return Error::not_found("no entry " + std::to_string(index));
  return node(0, index);
}

Status Snapshot::within(uint64_t size) const {
  if (size <= size_) return {};
  return Error::not_found("tree size " + std::to_string(size) + " is beyond the ledger size " +
                          std::to_string(size_));
}

Result<Hash> Snapshot::root(uint64_t size) const {
  CB_CHECK(within(size));
  return tree_root(*this, size);
}

Result<std::vector<Hash>> Snapshot::inclusion_proof(uint64_t index, uint64_t size) const {
  CB_CHECK(within(size));
  return closebook::inclusion_proof(*this, index, size);
}

Result<std::vector<Hash>> Snapshot::consistency_proof(uint64_t old_size, uint64_t size) const {
  CB_CHECK(within(size));
  return closebook::consistency_proof(*this, old_size, size);
}

Result<std::string> Snapshot::checkpoint(uint64_t size) const {
  CB_TRY(auto note, get_optional(txn_, ledger_->checkpoints_, u64be(size), "checkpoint"));
  if (note) return std::move(*note);
  return Error::not_found("no checkpoint was signed at tree size " + std::to_string(size) +
                          " (see `closebook log checkpoints` for the sizes that have one)");
}

Result<std::string> Snapshot::latest_checkpoint() const { return checkpoint(size_); }

Result<std::vector<uint64_t>> Snapshot::checkpoint_sizes() const {
  MDB_cursor* cursor = nullptr;
  int rc = mdb_cursor_open(txn_, ledger_->checkpoints_, &cursor);
  if (rc != 0) return lmdb_error(rc, "open cursor on checkpoints");
  std::vector<uint64_t> sizes;
  MDB_val k, v;
  for (rc = mdb_cursor_get(cursor, &k, &v, MDB_FIRST); rc == 0;
       rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT)) {
    sizes.push_back(read_u64be(as_view(k)));
  }
  mdb_cursor_close(cursor);
  if (rc != MDB_NOTFOUND) return lmdb_error(rc, "read checkpoints");
  return sizes;
}

Result<std::vector<uint64_t>> Snapshot::lookup(std::string_view name, std::string_view value) const {
  const std::string key = index_db_key(name, value);
  MDB_cursor* cursor = nullptr;
  int rc = mdb_cursor_open(txn_, ledger_->index_, &cursor);
  if (rc != 0) return lmdb_error(rc, "open cursor on index");
  std::vector<uint64_t> out;
  MDB_val k = as_val(key);
  MDB_val v;
  for (rc = mdb_cursor_get(cursor, &k, &v, MDB_SET_KEY); rc == 0;
       rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT_DUP)) {
    out.push_back(read_u64be(as_view(v)));
  }
  mdb_cursor_close(cursor);
  if (rc != MDB_NOTFOUND) return lmdb_error(rc, "read index");
  CB_TRY(std::optional<SubjectHead> head, proven_head(key));
  const bool proven = head ? *head == subject_head_of(out) : out.empty();
  if (!proven) return index_edited(name, value);
  return out;
}

Result<std::optional<uint64_t>> Snapshot::lookup_last(std::string_view name, std::string_view value) const {
  const std::string key = index_db_key(name, value);
  MDB_cursor* cursor = nullptr;
  int rc = mdb_cursor_open(txn_, ledger_->index_, &cursor);
  if (rc != 0) return lmdb_error(rc, "open cursor on index");
  MDB_val k = as_val(key);
  MDB_val v;
  rc = mdb_cursor_get(cursor, &k, &v, MDB_SET_KEY);
  if (rc == 0) rc = mdb_cursor_get(cursor, &k, &v, MDB_LAST_DUP);
  std::optional<uint64_t> out;
  if (rc == 0) out = read_u64be(as_view(v));
  mdb_cursor_close(cursor);
  if (rc != 0 && rc != MDB_NOTFOUND) return lmdb_error(rc, "read index");
  CB_TRY(std::optional<SubjectHead> head, proven_head(key));
  const bool proven = head ? out == head->last : !out.has_value();
  if (!proven) return index_edited(name, value);
  return out;
}

Result<Hash> Snapshot::subjects_root() const {
  if (subjects_root_) return *subjects_root_;
  CB_TRY(std::string note, checkpoint(size_));
  CB_TRY(VerifiedCheckpoint cp, open_checkpoint(note, ledger_->log_vkey_));
  if (cp.checkpoint.size != size_) return Error::corruption("the checkpoint stored for size " + std::to_string(size_) + " is for another size");
  CB_TRY(std::optional<Hash> root, subjects_root_of(cp.checkpoint.extensions));
  if (!root) return no_subject_map(size_);
  subjects_root_ = *root;
  return *root;
}

Result<SubjectBucketProof> Snapshot::subject_bucket_proof(uint16_t bucket) const {
  CB_TRY(Hash root, subjects_root());
  return bucket_proof(txn_, ledger_->subjects_, bucket, root);
}

Result<std::optional<SubjectHead>> Snapshot::proven_head(std::string_view subject) const {
  CB_TRY(Hash root, subjects_root());
  const uint16_t bucket = subject_bucket(subject);
  if (proven_buckets_.empty()) proven_buckets_.resize(kSubjectBuckets);
  if (!proven_buckets_[bucket]) {
    CB_CHECK(prove_bucket(txn_, ledger_->subjects_, bucket, root));
    proven_buckets_[bucket] = true;
  }
  return read_subject_head(txn_, ledger_->subjects_, subject);
}

// ---------------------------------------------------------------------------------------
// Ledger: open and init

Ledger::~Ledger() {
  if (env_ != nullptr) mdb_env_close(env_);
}

Status Ledger::open_databases(MDB_txn* txn, unsigned flags) {
  struct Db {
    const char* name;
    MDB_dbi* dbi;
    unsigned extra;
  };
  const Db dbs[] = {{kDbMeta, &meta_, 0},         {kDbEntries, &entries_, 0},
                    {kDbNodes, &nodes_, 0},       {kDbCheckpoints, &checkpoints_, 0},
                    {kDbContent, &content_, 0},   {kDbIndex, &index_, MDB_DUPSORT | MDB_DUPFIXED}};
  for (const Db& db : dbs) {
    const int rc = mdb_dbi_open(txn, db.name, flags | db.extra, db.dbi);
    if (rc == MDB_NOTFOUND) {
      return Error::corruption(std::string("not a closebook ledger: LMDB database \"") + db.name +
                               "\" is missing");
    }
    if (rc != 0) return lmdb_error(rc, std::string("open database ") + db.name);
  }
  return {};
}

Status Ledger::open_subject_tables(MDB_txn* txn, bool create) {
  for (auto [name, dbi] : {std::pair{kDbHeads, &subjects_.heads}, std::pair{kDbSubjectNodes, &subjects_.nodes}}) {
    const int rc = mdb_dbi_open(txn, name, create ? MDB_CREATE : 0u, dbi);
    if (rc == MDB_NOTFOUND) {
      return Error::corruption(std::string("LMDB database \"") + name + "\" is missing: run `closebook reindex`");
    }
    if (rc != 0) return lmdb_error(rc, std::string("open database ") + name);
  }
  return {};
}

Result<std::unique_ptr<Ledger>> Ledger::open(const std::string& dir, const OpenOptions& options) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    return Error::not_found("no ledger directory " + dir + " (create one with `closebook init`)");
  }
  if (!std::filesystem::exists(std::filesystem::path(dir) / "data.mdb", ec)) {
    return Error::not_found(dir + " holds no ledger (create one with `closebook init`)");
  }
  std::unique_ptr<Ledger> ledger(new Ledger());
  ledger->dir_ = dir;
  ledger->read_only_ = options.read_only;
  ledger->map_size_ = options.map_size_bytes;
  ledger->map_size_max_ = std::max(options.map_size_max, options.map_size_bytes);
  int rc = mdb_env_create(&ledger->env_);
  if (rc != 0) return lmdb_error(rc, "create LMDB environment");
  mdb_env_set_maxdbs(ledger->env_, kDbCountMax);
  mdb_env_set_mapsize(ledger->env_, options.map_size_bytes);
  // MDB_NOTLS: read transactions belong to Snapshot objects, not threads, so a server's
  // worker pool can hand them around.
  const unsigned flags = MDB_NOTLS | (options.read_only ? MDB_RDONLY : 0u);
  rc = mdb_env_open(ledger->env_, dir.c_str(), flags, 0600);
  if (rc != 0) return lmdb_error(rc, "open ledger " + dir).at(dir, 0);
  // Free reader slots left by killed processes: they would pin old pages (and grow the map)
  // and, 126 of them later, refuse new readers.
  int stale = 0;
  mdb_reader_check(ledger->env_, &stale);
  // The databases exist (init made them): open them in a read transaction, so opening never
  // waits behind another process's writer.
  MDB_txn* raw = nullptr;
  rc = mdb_txn_begin(ledger->env_, nullptr, MDB_RDONLY, &raw);
  if (rc != 0) return lmdb_error(rc, "begin transaction on " + dir);
  TxnGuard txn(raw);
  CB_CHECK(ledger->open_databases(txn.get(), 0));
  CB_TRY(auto format, get_optional(txn.get(), ledger->meta_, kMetaFormat, "format"));
  if (!format || *format != kFormat) {
    return Error::corruption(dir + " has ledger format \"" + format.value_or("") +
                             "\"; this closebook reads \"" + std::string(kFormat) + "\"");
  }
  CB_TRY(auto origin, get_optional(txn.get(), ledger->meta_, kMetaOrigin, "origin"));
  CB_TRY(auto vkey, get_optional(txn.get(), ledger->meta_, kMetaLogVkey, "log key"));
  if (!origin || !vkey) return Error::corruption(dir + ": ledger metadata is incomplete");
  ledger->origin_ = *origin;
  CB_TRY(ledger->log_vkey_, VerifierKey::parse(*vkey));
  // The log signs checkpoints for its own origin only (docs/ledger.md §4): metadata that says
  // otherwise was altered, and must not make the log key sign another log's checkpoints.
  if (ledger->log_vkey_.name != ledger->origin_) {
    return Error::corruption(dir + ": the stored origin is not the log key's name");
  }
  CB_TRY(auto index_version, get_optional(txn.get(), ledger->meta_, kMetaIndexVersion, "index version"));
  // A ledger of an older index version gains the subject map's tables when it is rebuilt.
  if (index_version.value_or("1") == kIndexVersion) CB_CHECK(ledger->open_subject_tables(txn.get(), false));
  rc = txn.commit();  // keeps the database handles open for the environment's lifetime
  if (rc != 0) return lmdb_error(rc, "open ledger " + dir);
  CB_CHECK(ledger->load_salt_secret(!options.read_only));
  if (index_version.value_or("1") != kIndexVersion) {
    if (options.read_only) {
      return Error::invalid(dir + " has indexes of version " + index_version.value_or("1") + "; this closebook uses " +
                            std::string(kIndexVersion) + ": open it for writing once (e.g. `closebook reindex`)");
    }
    CB_CHECK(ledger->rebuild_indexes(AppendOptions{}.writer_wait, nullptr, /*at_open=*/true));
  }
  MDB_envinfo info{};
  mdb_env_info(ledger->env_, &info);
  ledger->map_size_ = info.me_mapsize;  // a map grown earlier is larger than asked for
  return ledger;
}

Status Ledger::init(const std::string& dir, const SigningKey& log_key, const InitOptions& options) {
  if (log_key.name() != options.origin) {
    return Error::invalid("the log key must be named after the origin \"" + options.origin + "\"");
  }
  std::error_code ec;
  const bool made_dir = std::filesystem::create_directories(dir, ec);
  if (ec) return Error::io("cannot create ledger directory " + dir + ": " + ec.message());
  if (made_dir) ::chmod(dir.c_str(), 0700);  // an existing directory keeps the owner's choice
  const std::filesystem::path root(dir);
  for (const char* name : {"data.mdb", "lock.mdb"}) {
    if (std::filesystem::exists(root / name, ec)) {
      return Error::conflict(dir + " already holds a ledger (" + name + "); refusing to initialise it again");
    }
  }
  // Creating log.key exclusively is the lock: of two concurrent inits, one fails here, before
  // touching anything, so the cleanup below only ever removes this call's own files.
  auto key_written = write_new_file((root / kLogKeyFile).string(), options.sealed_log_key, 0600);
  if (!key_written.ok()) {
    if (key_written.error().code == Code::kConflict) {
      return Error::conflict(dir + " already holds a ledger (log.key); refusing to initialise it again");
    }
    return key_written;
  }
  Status created = create(dir, log_key, options);
  if (!created.ok()) {
    // Leave no half-made ledger behind: a retry must find the directory as it was.
    for (const char* name : {"data.mdb", "lock.mdb", kLogKeyFile.data()}) std::filesystem::remove(root / name, ec);
  }
  return created;
}

Status Ledger::create(const std::string& dir, const SigningKey& log_key, const InitOptions& options) {
  MDB_env* env = nullptr;
  int rc = mdb_env_create(&env);
  if (rc != 0) return lmdb_error(rc, "create LMDB environment");
  mdb_env_set_maxdbs(env, kDbCountMax);
  mdb_env_set_mapsize(env, options.map_size_bytes);
  rc = mdb_env_open(env, dir.c_str(), MDB_NOTLS, 0600);
  if (rc != 0) {
    mdb_env_close(env);
    return lmdb_error(rc, "create ledger in " + dir);
  }
  {
    Ledger creator;
    creator.env_ = env;  // closed by `creator`
    creator.dir_ = dir;
    MDB_txn* raw = nullptr;
    rc = mdb_txn_begin(env, nullptr, 0, &raw);
    if (rc != 0) return lmdb_error(rc, "begin transaction");
    TxnGuard txn(raw);
    CB_CHECK(creator.open_databases(txn.get(), MDB_CREATE));
    CB_CHECK(creator.open_subject_tables(txn.get(), true));
    CB_CHECK(put(txn.get(), creator.meta_, kMetaFormat, kFormat, 0, "format"));
    CB_CHECK(put(txn.get(), creator.meta_, kMetaOrigin, options.origin, 0, "origin"));
    CB_CHECK(put(txn.get(), creator.meta_, kMetaLogVkey, log_key.verifier().to_string(), 0, "log key"));
    CB_CHECK(put(txn.get(), creator.meta_, kMetaIndexVersion, kIndexVersion, 0, "index version"));
    if (!options.salt_secret.empty() && options.salt_secret.size() != kSaltSecretBytes) {
      return Error::invalid("a ledger's salt secret is 32 bytes");
    }
    CB_CHECK(put(txn.get(), creator.meta_, kMetaSaltSecret, options.salt_secret.empty() ? new_salt_secret() : options.salt_secret,
                 0, "salt secret"));
    rc = txn.commit();
    if (rc != 0) return lmdb_error(rc, "create ledger in " + dir);
  }
  CB_TRY(auto ledger, open(dir, OpenOptions{.read_only = false, .map_size_bytes = options.map_size_bytes}));

  // Entry 0 registers the log key, so the log's identity is itself evidence.
  Draft genesis;
  genesis.entry().setEffective(today_iso());
  auto event = genesis.entry().getKind().initKeyEvent();
  event.setAction(schema::KeyEvent::Action::REGISTER);
  event.setRole(schema::KeyEvent::Role::LOG);
  event.setName(log_key.name());
  event.setPublicKey(kj::arrayPtr(log_key.public_key().data(), log_key.public_key().size()));
  const Hash id = log_key.id();
  event.setKeyId(kj::arrayPtr(id.data(), id.size()));
  event.setVerifierKey(log_key.verifier().to_string());
  CB_TRY(AppendReceipt receipt,
         ledger->append(std::span<Draft>(&genesis, 1), log_key,
                        AppendOptions{.recorded_at_ms = options.recorded_at_ms}));
  assert(receipt.tree_size == 1);
  return {};
}

Result<SigningKey> Ledger::unlock_log_key(std::string_view passphrase) const {
  const std::string path = (std::filesystem::path(dir_) / kLogKeyFile).string();
  CB_TRY(std::string text, read_secret_file(path));
  auto key = open_signing_key(text, passphrase);
  if (!key.ok()) return std::move(key).error().at(path, 0);
  if (key->verifier().to_string() != log_vkey_.to_string()) {
    return Error::corruption("log.key is not the key this ledger was created with").at(path, 0);
  }
  return key;
}

Result<MDB_txn*> Ledger::begin(unsigned flags, std::shared_lock<std::shared_timed_mutex>& hold) const {
  hold = std::shared_lock(map_lock_);
  MDB_txn* txn = nullptr;
  int rc = mdb_txn_begin(env_, nullptr, flags, &txn);
  if (rc == MDB_MAP_RESIZED) {
    // Another process grew the map: adopt its size, then retry.
    hold.unlock();
    CB_CHECK(resize_map(0));
    hold.lock();
    rc = mdb_txn_begin(env_, nullptr, flags, &txn);
  }
  if (rc != 0) {
    hold.unlock();
    return lmdb_error(rc, flags & MDB_RDONLY ? "begin read transaction" : "begin write transaction");
  }
  return txn;
}

Status Ledger::resize_map(uint64_t bytes) const {
  std::unique_lock hold(map_lock_, std::defer_lock);
  if (!hold.try_lock_for(std::chrono::seconds(10))) {
    return Error::busy("cannot resize the ledger map while snapshots stay open in this process; nothing was written");
  }
  // Another thread may have grown the map while we waited: growing it again would waste it.
  if (bytes != 0 && map_size_ >= bytes) return {};
  const int rc = mdb_env_set_mapsize(env_, bytes);
  if (rc != 0) return lmdb_error(rc, "resize the ledger map");
  MDB_envinfo info{};
  mdb_env_info(env_, &info);
  map_size_ = info.me_mapsize;
  return {};
}

Status Ledger::load_salt_secret(bool writable) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    MDB_txn* raw = nullptr;
    int rc = mdb_txn_begin(env_, nullptr, MDB_RDONLY, &raw);
    if (rc != 0) return lmdb_error(rc, "begin transaction on " + dir_);
    TxnGuard txn(raw);
    CB_TRY(auto secret, get_optional(txn.get(), meta_, kMetaSaltSecret, "salt secret"));
    txn.commit();
    if (secret) {
      if (secret->size() != kSaltSecretBytes) return Error::corruption(dir_ + ": the ledger's salt secret is not 32 bytes");
      salt_secret_ = std::move(*secret);
      return {};
    }
    if (!writable || attempt > 0) return {};
    // A ledger made before entry salts: make its secret once. Of two processes doing so, the
    // second's put finds the key and keeps the first's (MDB_NOOVERWRITE); both then read it.
    rc = mdb_txn_begin(env_, nullptr, 0, &raw);
    if (rc != 0) return lmdb_error(rc, "begin transaction on " + dir_);
    TxnGuard write(raw);
    MDB_val k{kMetaSaltSecret.size(), const_cast<char*>(kMetaSaltSecret.data())};
    std::string made = new_salt_secret();
    MDB_val v{made.size(), made.data()};
    rc = mdb_put(write.get(), meta_, &k, &v, MDB_NOOVERWRITE);
    if (rc != 0 && rc != MDB_KEYEXIST) return lmdb_error(rc, "write salt secret");
    rc = write.commit();
    if (rc != 0) return lmdb_error(rc, "write salt secret");
  }
  return {};
}

std::string entry_salt_purpose(uint64_t index, const std::optional<Hash>& prev_hash) {
  std::string message = "closebook-entry-salt/v1\n";  // then u64be(index) and the previous entry's hash
  for (int shift = 56; shift >= 0; shift -= 8) message += static_cast<char>((index >> shift) & 0xFF);
  if (prev_hash) message.append(reinterpret_cast<const char*>(prev_hash->data()), prev_hash->size());
  return message;
}

Result<Hash> Snapshot::derived_salt(std::string_view purpose) const {
  if (ledger_->salt_secret_.empty()) {
    return Error::invalid("the ledger has no salt secret yet: open it for writing once (any closebook write, or `closebook reindex`)");
  }
  return hmac_sha256(as_bytes(ledger_->salt_secret_), purpose);
}

Result<Snapshot> Ledger::snapshot() const {
  std::shared_lock<std::shared_timed_mutex> hold;
  CB_TRY(MDB_txn* txn, begin(MDB_RDONLY, hold));
  Snapshot snap(this, txn, 0, /*owns_txn=*/true);
  snap.map_lock_ = std::move(hold);
  CB_TRY(snap.size_, entry_count(txn, entries_));
  return snap;
}

// ---------------------------------------------------------------------------------------
// Ledger: append

Result<AppendReceipt> Ledger::append(std::span<Draft> drafts, const SigningKey& log_key,
                                     const AppendOptions& options) {
  if (read_only_) return Error::permission("the ledger was opened read-only");
  if (drafts.size() > kBatchEntriesMax) {
    return Error::invalid("a batch holds at most " + std::to_string(kBatchEntriesMax) + " entries");
  }
  if (log_key.verifier().to_string() != log_vkey_.to_string()) {
    return Error::permission("that key is not this ledger's log key");
  }
  CB_TRY(WriterLock writer, WriterLock::acquire(dir_, options.writer_wait));
  for (;;) {
    const uint64_t map_size_seen = map_size_;
    auto receipt = append_once(drafts, log_key, options);
    const bool map_full = !receipt.ok() && receipt.error().code == Code::kFull &&
                          receipt.error().message.ends_with(kMapFullMessage);
    if (!map_full) return receipt;
    if (map_size_seen >= map_size_max_) {
      return Error::full("the batch does not fit: the ledger's map is at its ceiling of " +
                         std::to_string(map_size_max_ >> 20) + " MiB; nothing of it was written");
    }
    // The failed transaction was aborted whole: grow, then retry from scratch. A map full of
    // pages pinned by dead readers is freed instead of grown.
    int stale = 0;
    mdb_reader_check(env_, &stale);
    CB_CHECK(resize_map(std::min(map_size_seen * 2, map_size_max_)));
  }
}

namespace {

// Fills the envelope of `draft` as entry `state.next_index` and returns its canonical bytes.
std::string seal_envelope(Draft& draft, const AppendState& state, const Hash& author) {
  auto e = draft.entry();
  e.setIndex(state.next_index);
  if (state.prev_hash) {
    e.setPrevHash(kj::arrayPtr(state.prev_hash->data(), state.prev_hash->size()));
  } else {
    e.disownPrevHash();
  }
  e.setRecordedAt(state.recorded_at_ms);
  if (e.getAuthor().size() == 0) e.setAuthor(kj::arrayPtr(author.data(), author.size()));
  assert(state.salt_secret.size() == kSaltSecretBytes);
  const Hash salt = hmac_sha256(as_bytes(state.salt_secret), entry_salt_purpose(state.next_index, state.prev_hash));
  e.setSalt(kj::arrayPtr(salt.data(), kEntrySaltBytes));
  return canonical_bytes(e.asReader());
}

// The log key signs only what follows from its own last signature: the stored tree must
// still give the last checkpoint's root and the last entry's hash, or a damaged node would
// be signed into the log for ever. Returns the subject map's root that checkpoint signed.
Result<Hash> check_signed_state(const Snapshot& reader, const DecodedEntry& last, const Hash& last_leaf,
                                const Hash& root, const SigningKey& log_key) {
  const uint64_t size = reader.size();
  if (last.hash() != last_leaf) {
    return Error::corruption("the stored hash of the last entry does not match its bytes; run closebook-verify")
        .at_entry(size - 1);
  }
  CB_TRY(std::string note, reader.checkpoint(size));
  auto signed_cp = open_checkpoint(note, log_key.verifier());
  const bool same_root = signed_cp.ok() && signed_cp->checkpoint.size == size && signed_cp->checkpoint.root == root;
  if (!same_root) {
    return Error::corruption("the stored tree does not match the last signed checkpoint (size " +
                             std::to_string(size) + "); refusing to sign; run closebook-verify");
  }
  CB_TRY(std::optional<Hash> subjects, subjects_root_of(signed_cp->checkpoint.extensions));
  if (!subjects) return no_subject_map(size);
  return *subjects;
}

}  // namespace

void Draft::shrink_to_fit() {
  if (shrunk()) return;
  const schema::Entry::Reader built = message_->getRoot<schema::Entry>().asReader();
  // copyToUnchecked writes the root pointer and the content into exactly this many zeroed
  // words; readMessageUnchecked reads them back (our own bytes: no bounds to check).
  kj::Array<capnp::word> flat = kj::heapArray<capnp::word>(built.totalSize().wordCount + 1);
  std::memset(flat.begin(), 0, flat.size() * sizeof(capnp::word));
  capnp::copyToUnchecked(built, flat);
  flat_ = std::move(flat);
  message_.reset();
  assert(shrunk());
}

schema::Entry::Builder Draft::entry() {
  if (shrunk()) {
    static_assert(kEnvelopeWords * sizeof(capnp::word) >= 2 * sizeof(Hash) + kEntrySaltBytes);
    static_assert(kLinkWords * sizeof(capnp::word) >= sizeof(Hash));
    // One segment with room for the envelope and the links' hashes: sealing allocates no more.
    const size_t words = flat_.size() + kEnvelopeWords + kLinkWords * links_.size();
    auto builder = std::make_unique<capnp::MallocMessageBuilder>(static_cast<unsigned>(words));
    builder->setRoot(capnp::readMessageUnchecked<schema::Entry>(flat_.begin()));
    message_ = std::move(builder);
    flat_ = nullptr;
  }
  return message_->getRoot<schema::Entry>();
}

Status Ledger::resolve_links(Draft& draft, const AppendReceipt& so_far) {
  for (Draft::Link& link : draft.links_) {
    if (link.batch_position >= so_far.entries.size()) {
      return Error::invalid("a draft links to a later draft of its batch");
    }
    const Appended& target = so_far.entries[link.batch_position];
    schema::EntryRef::Builder ref = link.path(draft.entry());
    ref.setIndex(target.index);
    ref.setHash(kj::arrayPtr(target.hash.data(), target.hash.size()));
  }
  return {};
}

Result<std::optional<uint64_t>> Ledger::find_content(MDB_txn* txn, SubjectWriter& subjects,
                                                     const std::string& content_key) const {
  // The write transaction reads its own writes: an earlier draft of this batch is found too.
  CB_TRY(auto existing, get_optional(txn, content_, content_key, "content index"));
  std::optional<uint64_t> found;
  if (existing) found = read_u64be(*existing);
  // The content table decides what is appended, so it answers only as its subject heads do
  // (proven against the signed map when the transaction commits).
  CB_TRY(std::optional<SubjectHead> head, subjects.head(content_subject(content_key)));
  const bool agrees = head ? found == head->last && head->count == 1 : !found.has_value();
  if (!agrees) {
    return Error::corruption("the content table disagrees with the subject map (an edited or damaged "
                             "table); nothing was written; restore the ledger from a backup");
  }
  return found;
}

// Writes one new entry with its tree nodes, content key and index keys; returns its hash.
Result<Hash> Ledger::write_entry(MDB_txn* txn, AppendState& state, SubjectWriter& subjects, Draft& draft,
                                 const std::string& content_key, const Hash& author) {
  const std::string bytes = seal_envelope(draft, state, author);
  if (bytes.size() > kEntryBytesMax) return Error::invalid("entry is larger than 4 MiB");
  const Hash leaf = leaf_hash(as_bytes(bytes));
  const std::string key = u64be(state.next_index);
  // The log's invariants, asserted where they are made (a few compares per entry). The entry
  // as sealed: its index is the next index, which is also its Merkle leaf index; it names the
  // hash of the entry before it as prevHash (entry 0 alone has none); and its key sorts after
  // the last key, as MDB_APPEND requires and readers' index-order scans assume.
  const schema::Entry::Reader sealed = draft.reader();
  assert(sealed.getIndex() == state.next_index && state.tree.size() == state.next_index);
  assert(state.prev_hash.has_value() == (state.next_index > 0));
  assert(sealed.hasPrevHash() == state.prev_hash.has_value());
  assert(!state.prev_hash ||
         (sealed.getPrevHash().size() == state.prev_hash->size() &&
          std::memcmp(sealed.getPrevHash().begin(), state.prev_hash->data(), state.prev_hash->size()) == 0));
  assert(state.last_key.empty() == (state.next_index == 0) && state.last_key < key);
  (void)sealed;  // only read by the assertions
  CB_CHECK(put(txn, entries_, key, bytes, MDB_APPEND, "entry"));
  Status node_status;
  state.tree.append(leaf, [&](uint8_t level, uint64_t index, const Hash& h) {
    if (!node_status.ok()) return;
    const std::string_view hv(reinterpret_cast<const char*>(h.data()), h.size());
    node_status = put(txn, nodes_, u64be(node_position(level, index)), hv, MDB_APPEND, "tree node");
  });
  CB_CHECK(node_status);
  if (draft.idempotent) {
    CB_CHECK(put(txn, content_, content_key, key, MDB_NOOVERWRITE, "content index"));
    CB_CHECK(subjects.file(content_subject(content_key), state.next_index));
  }
  for (const IndexKey& ik : index_keys(draft.reader())) {
    const std::string subject = index_db_key(ik.name, ik.value);
    CB_CHECK(put(txn, index_, subject, key, 0, "index"));
    CB_CHECK(subjects.file(subject, state.next_index));
  }
  state.last_key = key;
  return leaf;
}

Result<BackupReceipt> Ledger::backup(const std::string& dir) const {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::exists(dir, ec)) return Error::conflict(dir + " exists: a backup goes into a new directory");
  if (!fs::create_directory(dir, ec)) return Error::io("cannot create " + dir + ": " + ec.message());
  fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace, ec);
  {
    // The copy runs in its own read transaction: hold off a map resize meanwhile.
    std::shared_lock hold(map_lock_);
    if (int rc = mdb_env_copy2(env_, dir.c_str(), MDB_CP_COMPACT); rc != 0) return lmdb_error(rc, "copy the ledger to " + dir);
  }
  const std::string data = (fs::path(dir) / "data.mdb").string();
  CB_CHECK(fsync_path(data));
  CB_CHECK(copy_new_file((fs::path(dir_) / kLogKeyFile).string(), (fs::path(dir) / kLogKeyFile).string(), 0600));
  BackupReceipt receipt;
  {
    CB_TRY(auto copy, open(dir, {.read_only = true}));
    CB_TRY(Snapshot snapshot, copy->snapshot());
    receipt.size = snapshot.size();
    CB_TRY(receipt.checkpoint, snapshot.checkpoint(receipt.size));
  }
  fs::remove(fs::path(dir) / "lock.mdb", ec);  // made by opening the copy; not part of it
  CB_CHECK(write_new_file((fs::path(dir) / kBackupCheckpointFile).string(), receipt.checkpoint, 0644));
  CB_CHECK(fsync_path(dir));
  CB_CHECK(fsync_path(fs::absolute(dir).parent_path().string()));  // the new directory's own entry
  return receipt;
}

Status restore(const std::string& backup_dir, const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::exists(dir, ec)) return Error::conflict(dir + " exists: restore into a new directory");
  for (const char* name : {"data.mdb", kLogKeyFile.data()}) {
    if (!fs::exists(fs::path(backup_dir) / name, ec)) return Error::not_found(backup_dir + " holds no " + name + ": not a backup");
  }
  if (!fs::create_directory(dir, ec)) return Error::io("cannot create " + dir + ": " + ec.message());
  fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace, ec);
  for (const char* name : {"data.mdb", kLogKeyFile.data()}) {
    CB_CHECK(copy_new_file((fs::path(backup_dir) / name).string(), (fs::path(dir) / name).string(), 0600));
  }
  return fsync_path(dir);
}

// Secondary indexes are derived from the entries alone, so they can always be rebuilt: this is
// how a ledger written by an older closebook gains the keys a newer one looks up, and how an
// index edited behind the ledger's back is repaired. The subject map is rebuilt with them, from
// the entries and the content table, and must come out as the last checkpoint signed it.
Status Ledger::rebuild_indexes(std::chrono::milliseconds writer_wait, const SigningKey* log_key, bool at_open) {
  CB_TRY(WriterLock writer, WriterLock::acquire(dir_, writer_wait));
  MDB_txn* raw = nullptr;
  if (int rc = mdb_txn_begin(env_, nullptr, 0, &raw); rc != 0) return lmdb_error(rc, "begin the index rebuild");
  TxnGuard guard(raw);
  MDB_txn* txn = guard.get();
  CB_CHECK(open_subject_tables(txn, true));
  for (MDB_dbi dbi : {index_, subjects_.heads, subjects_.nodes}) {
    if (int rc = mdb_drop(txn, dbi, 0); rc != 0) return lmdb_error(rc, "empty the indexes");
  }
  SubjectWriter subjects(txn, subjects_);
  CB_CHECK(file_every_entry(txn, subjects));
  CB_CHECK(file_every_content_key(txn, subjects));
  CB_TRY(const Hash rebuilt, subjects.commit(empty_subjects_root()));
  CB_TRY(const uint64_t size, entry_count(txn, entries_));
  CB_CHECK(match_signed_subjects(txn, size, rebuilt, log_key, at_open));
  CB_CHECK(put(txn, meta_, kMetaIndexVersion, kIndexVersion, 0, "index version"));
  if (int commit = guard.commit(); commit != 0) return lmdb_error(commit, "commit the index rebuild");
  return {};
}

Status Ledger::file_every_entry(MDB_txn* txn, SubjectWriter& subjects) {
  MDB_cursor* cursor = nullptr;
  int rc = mdb_cursor_open(txn, entries_, &cursor);
  if (rc != 0) return lmdb_error(rc, "open cursor on entries");
  MDB_val k, v;
  Status status;
  for (rc = mdb_cursor_get(cursor, &k, &v, MDB_FIRST); rc == 0 && status.ok();
       rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT)) {
    const uint64_t index = read_u64be(as_view(k));
    auto entry = DecodedEntry::decode(as_view(v));
    if (!entry.ok()) {
      status = std::move(entry).error().at_entry(index);
      break;
    }
    const std::string key(as_view(k));
    for (const IndexKey& ik : index_keys(entry->reader())) {
      const std::string subject = index_db_key(ik.name, ik.value);
      status = put(txn, index_, subject, key, 0, "index");
      if (status.ok()) status = subjects.file(subject, index);
      if (!status.ok()) break;
    }
  }
  mdb_cursor_close(cursor);
  CB_CHECK(status);
  if (rc != MDB_NOTFOUND) return lmdb_error(rc, "read entries");
  return {};
}

// Content keys cannot be derived from entries alone (a feed row's key counts its occurrences
// in its file), so the table is taken as it is; the signed map then decides whether it was.
Status Ledger::file_every_content_key(MDB_txn* txn, SubjectWriter& subjects) {
  MDB_cursor* cursor = nullptr;
  int rc = mdb_cursor_open(txn, content_, &cursor);
  if (rc != 0) return lmdb_error(rc, "open cursor on content");
  MDB_val k, v;
  Status status;
  for (rc = mdb_cursor_get(cursor, &k, &v, MDB_FIRST); rc == 0 && status.ok();
       rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT)) {
    status = subjects.file(content_subject(as_view(k)), read_u64be(as_view(v)));
  }
  mdb_cursor_close(cursor);
  CB_CHECK(status);
  if (rc != MDB_NOTFOUND) return lmdb_error(rc, "read content");
  return {};
}

Status Ledger::match_signed_subjects(MDB_txn* txn, uint64_t size, const Hash& rebuilt, const SigningKey* log_key,
                                     bool at_open) {
  CB_TRY(auto note, get_optional(txn, checkpoints_, u64be(size), "checkpoint"));
  if (!note) return Error::corruption("no checkpoint was signed at the ledger's size " + std::to_string(size));
  CB_TRY(VerifiedCheckpoint signed_cp, open_checkpoint(*note, log_vkey_));
  CB_TRY(std::optional<Hash> signed_root, subjects_root_of(signed_cp.checkpoint.extensions));
  if (signed_root) {
    if (*signed_root == rebuilt) return {};
    return Error::corruption("the indexes rebuilt from the entries and the content table are not the subject map "
                             "the log signed at size " + std::to_string(size) +
                             ": the content table or the entries were altered; nothing was changed; restore the "
                             "ledger from a backup (closebook restore)");
  }
  // A ledger from before the subject map: what was checked above still holds (size and root
  // are the ones signed); signing the map in beside them needs the log key.
  if (log_key == nullptr) {
    if (at_open) return {};  // the tables are built; reads refuse until `closebook reindex` signs them in
    return Error::permission("signing the subject map into the last checkpoint needs the log key");
  }
  Checkpoint cp = signed_cp.checkpoint;
  cp.extensions.push_back(subjects_extension(rebuilt));
  Note resigned{cp.body(), {}};
  resigned.signatures.push_back(sign_note_text(resigned.text, *log_key));
  return put(txn, checkpoints_, u64be(size), resigned.to_string(), 0, "checkpoint");
}

Status Ledger::add_cosignatures(uint64_t size, const std::vector<NoteSignature>& cosignatures) {
  if (read_only_) return Error::permission("the ledger was opened read-only");
  // A writer like any other: one at a time across processes, a stuck one named, not waited on.
  CB_TRY(WriterLock writer, WriterLock::acquire(dir_, AppendOptions{}.writer_wait));
  std::shared_lock<std::shared_timed_mutex> hold;
  CB_TRY(MDB_txn* raw, begin(0, hold));
  TxnGuard txn(raw);
  CB_TRY(auto stored, get_optional(txn.get(), checkpoints_, u64be(size), "checkpoint"));
  if (!stored) return Error::not_found("no checkpoint was signed at tree size " + std::to_string(size));
  CB_TRY(VerifiedCheckpoint cp, open_checkpoint(*stored, log_vkey_));
  bool added = false;
  for (const NoteSignature& c : cosignatures) {
    const bool present = std::any_of(cp.note.signatures.begin(), cp.note.signatures.end(),
                                     [&](const NoteSignature& s) { return s.name == c.name && s.hash == c.hash; });
    if (present) continue;
    if (cp.note.signatures.size() >= kNoteSignaturesMax) return Error::full("the checkpoint has the most signatures a note may carry");
    cp.note.signatures.push_back(c);
    added = true;
  }
  if (!added) return {};
  CB_CHECK(put(txn.get(), checkpoints_, u64be(size), cp.note.to_string(), 0, "checkpoint"));
  if (const int rc = txn.commit(); rc != 0) return lmdb_error(rc, "commit cosignatures");
  return {};
}

Result<AppendReceipt> Ledger::append_once(std::span<Draft> drafts, const SigningKey& log_key,
                                          const AppendOptions& options) {
  std::shared_lock<std::shared_timed_mutex> hold;
  CB_TRY(MDB_txn* raw, begin(0, hold));
  TxnGuard txn(raw);
  CB_TRY(const uint64_t old_size, entry_count(txn.get(), entries_));
  if (options.expected_size && *options.expected_size != old_size) {
    return Error::conflict("the ledger grew from " + std::to_string(*options.expected_size) + " to " +
                           std::to_string(old_size) +
                           " entries while this batch was prepared; prepare it again");
  }
  Snapshot reader(this, txn.get(), old_size, /*owns_txn=*/false);

  AppendState state;
  state.next_index = old_size;
  if (salt_secret_.size() != kSaltSecretBytes) return Error::invalid(dir_ + " is open read-only: nothing can be appended");
  state.salt_secret = salt_secret_;
  CB_TRY(state.tree, TreeBuilder::resume(reader, old_size));
  int64_t last_recorded = 0;
  Hash signed_subjects = empty_subjects_root();
  SubjectWriter subjects(txn.get(), subjects_);
  if (old_size > 0) {
    CB_TRY(state.prev_hash, reader.node(0, old_size - 1));
    CB_TRY(DecodedEntry last, reader.entry(old_size - 1));
    last_recorded = last.reader().getRecordedAt();
    CB_TRY(signed_subjects, check_signed_state(reader, last, *state.prev_hash, state.tree.root(), log_key));
    // From here prev_hash is the hash of the last entry's own bytes, not only a stored node.
    assert(last.hash() == *state.prev_hash && last.reader().getIndex() == old_size - 1);
    state.last_key = u64be(old_size - 1);
  }
  const int64_t wanted = options.recorded_at_ms != 0 ? options.recorded_at_ms : now_ms();
  state.recorded_at_ms = std::max(wanted, last_recorded);  // recordedAt never decreases

  AppendReceipt receipt;
  receipt.entries.reserve(drafts.size());
  const Hash author = log_key.id();
  for (Draft& draft : drafts) {
    if (options.progress && receipt.entries.size() % kProgressEveryEntries == 0) {
      options.progress(receipt.entries.size(), drafts.size());
    }
    // A shrunk draft grows back to be sealed; shrunk again after, the batch's drafts stay as
    // compact while it is written as they were planned.
    struct Reshrink {
      Draft& draft;
      const bool was_shrunk;
      ~Reshrink() {
        if (was_shrunk) draft.shrink_to_fit();
      }
    } reshrink{draft, draft.shrunk()};
    CB_CHECK(resolve_links(draft, receipt));
    const Hash content = draft.idempotency_key ? *draft.idempotency_key : content_hash(draft.reader());
    const std::string content_key(reinterpret_cast<const char*>(content.data()), content.size());
    if (draft.idempotent) {
      CB_TRY(std::optional<uint64_t> existing, find_content(txn.get(), subjects, content_key));
      if (existing) {
        CB_TRY(Hash hash, reader.node(0, *existing));  // stored in this transaction or before
        receipt.entries.push_back({*existing, hash, true});
        continue;
      }
    }
    CB_TRY(Hash leaf, write_entry(txn.get(), state, subjects, draft, content_key, author));
    assert(state.tree.size() == state.next_index + 1);  // the entry is the tree's newest leaf
    receipt.entries.push_back({state.next_index, leaf, false});
    state.prev_hash = leaf;
    ++state.next_index;
    ++receipt.new_entry_count;
  }

  if (options.progress) options.progress(drafts.size(), drafts.size());
  receipt.tree_size = state.next_index;
  receipt.root = state.tree.root();
  assert(state.tree.size() == state.next_index);
  if (receipt.new_entry_count == 0) return receipt;  // nothing to commit: no new checkpoint

  CB_TRY(const Hash subjects_root, subjects.commit(signed_subjects));
  Checkpoint cp{origin_, receipt.tree_size, receipt.root, {subjects_extension(subjects_root)}};
  Note note{cp.body(), {}};
  note.signatures.push_back(sign_note_text(note.text, log_key));
  receipt.checkpoint = note.to_string();
  CB_CHECK(put(txn.get(), checkpoints_, u64be(receipt.tree_size), receipt.checkpoint, MDB_APPEND,
               "checkpoint"));
  const int rc = txn.commit();
  if (rc == EIO) {
    // LMDB reports a short write as EIO: a full disk (or file size limit) looks the same.
    return Error::io("commit: the disk refused the write (full, or failing); nothing of this batch was written");
  }
  if (rc != 0) return lmdb_error(rc, "commit (nothing of this batch was written)");
  return receipt;
}

}  // namespace closebook::ledger
