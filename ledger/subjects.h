// The subject map in LMDB (docs/ledger.md §7.1; the arithmetic is evidence/subject_map.h):
//   heads          u16be bucket || subject -> SubjectHead (48 bytes)
//   subject_nodes  u8 level || u16be index -> 32-byte node of the bucket tree (level 0: the
//                  buckets' leaf hashes; level 16: the root); a missing node is an empty one.
// Nothing here is trusted: every head is proven against the root a signed checkpoint carries
// before anyone decides from it — by SubjectWriter when it appends, by prove_bucket when a
// snapshot reads an index.
#pragma once

#include <lmdb.h>

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "evidence/subject_map.h"
#include "evidence/result.h"

namespace closebook::ledger {

struct SubjectTables {
  MDB_dbi heads = 0;
  MDB_dbi nodes = 0;
};

// The subject a content key (an idempotent entry's content hash or idempotency key) is filed under.
std::string content_subject(std::string_view content_key);

Result<std::optional<SubjectHead>> read_subject_head(MDB_txn* txn, const SubjectTables& tables,
                                                     std::string_view subject);

// Recomputes `bucket`'s leaf hash from its heads and, with the stored nodes beside its path,
// the map's root; Corruption unless that is `root`.
Status prove_bucket(MDB_txn* txn, const SubjectTables& tables, uint16_t bucket, const Hash& root);

// A bucket's heads and the path from its leaf to the root: what a bundle carries to prove a
// subject's head (docs/evidence.md R33).
struct SubjectBucketProof {
  uint16_t bucket = 0;
  std::vector<std::pair<std::string, SubjectHead>> heads;  // ascending subject
  std::vector<Hash> path;                                  // kSubjectTreeLevels siblings, leaf level first
};
// Corruption unless the heads and path lead to `root`.
Result<SubjectBucketProof> bucket_proof(MDB_txn* txn, const SubjectTables& tables, uint16_t bucket, const Hash& root);

// The root of the map with no subjects.
const Hash& empty_subjects_root();

// Files entries under subjects inside one write transaction. The buckets it touches are read
// as they were before the transaction changed them, and commit() proves them against the
// root the log last signed before it writes the new root: a head edited on disk is refused,
// never built upon.
class SubjectWriter {
 public:
  SubjectWriter(MDB_txn* txn, SubjectTables tables) : txn_(txn), tables_(tables), touched_(kSubjectBuckets, false) {}

  // Files entry `index` under `subject`: larger than any filed before, or the last one again
  // (an entry with the same index key twice is filed once, as the index holds it once).
  Status file(std::string_view subject, uint64_t index);
  // The subject's head, as this transaction has it so far.
  Result<std::optional<SubjectHead>> head(std::string_view subject);
  // Proves the touched buckets' earlier state against `signed_root`, then writes their new
  // leaf hashes and the nodes above them; returns the new root.
  Result<Hash> commit(const Hash& signed_root);

 private:
  // A subject's head as this transaction has it: read once from the table, then kept here
  // until flushed. A batch files most entries under the same few subjects ("kind", "period"),
  // and looks each content key up before filing it: one table read and one bucket hash per
  // subject, not per use.
  struct Pending {
    uint16_t bucket = 0;
    std::optional<SubjectHead> head;
    bool changed = false;  // to be written by flush()
  };
  // Hashes a std::string and a std::string_view alike, so a lookup builds no string.
  struct SubjectHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  Status touch(uint16_t bucket);
  Result<Pending*> pending(std::string_view subject);
  // Writes the changed heads in key order and forgets every pending head.
  Status flush();
  static constexpr size_t kPendingHeadsMax = 1 << 16;
  MDB_txn* txn_;
  SubjectTables tables_;
  // Leaf hash of each touched bucket before this transaction, in the order first touched; and
  // which buckets those are, by bucket (a batch files hundreds of thousands of subjects, and a
  // tree lookup per subject was a tenth of an append).
  std::vector<std::pair<uint16_t, Hash>> leaves_before_;
  std::vector<bool> touched_;
  std::unordered_map<std::string, Pending, SubjectHash, std::equal_to<>> pending_;  // by subject
};

}  // namespace closebook::ledger
