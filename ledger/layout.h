// The on-disk layout of a ledger directory — a documented contract (docs/ledger.md §7), so
// closebook-verify can replay a ledger with its own reader and without trusting this code.
//
// DIR/data.mdb, DIR/lock.mdb   one LMDB environment with these named databases:
//   meta         text key -> text value: "format" = kFormat, "origin", "log_vkey",
//                "index_version" = kIndexVersion (ledger/indexes.h; absent means "1")
//   entries      u64be index -> canonical entry bytes              (append-only, MDB_APPEND)
//   nodes        u64be node_position(level, index) -> 32-byte hash (append-only, MDB_APPEND)
//   checkpoints  u64be tree size -> signed note (C2SP tlog-checkpoint)   (append-only)
//   content      32-byte content hash or idempotency key -> u64be index (idempotent loads)
//   index        "<name>\0<value>" -> u64be index, sorted duplicates (secondary indexes)
//   heads, subject_nodes   the subject map over index and content (ledger/subjects.h, §7.1)
// DIR/log.key    the log's sealed Ed25519 key (evidence/keyfile.h), mode 0600
// DIR/writer.lock  flock'd by the process appending, with its pid (layout.h kWriterLockFile)
// A backup (Ledger::backup) is a directory of data.mdb (compacted), log.key and
// backup.checkpoint, the signed checkpoint of the copied size.
//
// Invariants, enforced by Ledger::append in one write transaction:
// - entries are never rewritten or deleted; index i is the i-th entry (0-based, no gaps);
// - the tree size is the entry count: nodes hold exactly the complete subtrees of it;
// - entry i's prevHash is entry i-1's leaf hash; recordedAt never decreases;
// - every transaction that appends entries appends their nodes and one checkpoint for the
//   new size, signed by the log key, whose root is the Merkle root of all entries and whose
//   closebook-subjects/v2 line is the root of the subject map of all entries (§7.1);
// - a checkpoint is never rewritten, except once by `closebook reindex` on a ledger from
//   before the subject map: the last one is signed again, same size and root, with that line.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace closebook::ledger {

inline constexpr std::string_view kFormat = "closebook-ledger-1";

inline constexpr const char* kDbMeta = "meta";
inline constexpr const char* kDbEntries = "entries";
inline constexpr const char* kDbNodes = "nodes";
inline constexpr const char* kDbCheckpoints = "checkpoints";
inline constexpr const char* kDbContent = "content";
inline constexpr const char* kDbIndex = "index";
inline constexpr const char* kDbHeads = "heads";
inline constexpr const char* kDbSubjectNodes = "subject_nodes";
inline constexpr unsigned kDbCountMax = 12;

inline constexpr std::string_view kMetaFormat = "format";
inline constexpr std::string_view kMetaOrigin = "origin";
inline constexpr std::string_view kMetaLogVkey = "log_vkey";
inline constexpr std::string_view kMetaIndexVersion = "index_version";
// 32 random bytes the entry salts are derived from (docs/ledger.md §2.1). Not evidence: it
// hides withheld entries from those shown only their hashes, so it is as secret as the data.
inline constexpr std::string_view kMetaSaltSecret = "salt_secret";
inline constexpr size_t kSaltSecretBytes = 32;
inline constexpr size_t kEntrySaltBytes = 16;

inline constexpr std::string_view kLogKeyFile = "log.key";
inline constexpr std::string_view kBackupCheckpointFile = "backup.checkpoint";
// Held (flock, exclusive) by a process for the length of each write transaction, holding its
// pid: LMDB's own writer mutex has no timeout and names no one.
inline constexpr std::string_view kWriterLockFile = "writer.lock";

// Index keys are subject keys (evidence/subject_map.h subject_key): LMDB's default maximum
// key size is 511 bytes, so values past kSubjectKeyBytesMax are replaced by "#" + hex SHA-256
// of the value, which keeps them exact-match searchable.

inline std::string u64be(uint64_t v) {
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i) {
    out[static_cast<size_t>(i)] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  return out;
}

inline uint64_t read_u64be(std::string_view s) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8 && i < s.size(); ++i) v = v << 8 | static_cast<uint8_t>(s[i]);
  return v;
}

}  // namespace closebook::ledger
