// The subject map: what the log commits to about each subject, beside the entries themselves.
// docs/ledger.md §7.1 specifies it; this file is its pure arithmetic (no I/O).
//
// A subject is a key the ledger files entries under: an index key ("line" + 0x00 + line id,
// see ledger/indexes.h) or a content key. For each subject the map holds a head
//   (count, last, chain): how many entries are filed under it, the last (largest) of their
//   indexes, and chain_n = SHA-256(0x02 || chain_{n-1} || u64be(index_n)) over them in
//   ascending order, chain_0 = 32 zero bytes.
// Subjects fall into 2^16 buckets by the first two bytes of SHA-256(subject). A bucket's hash
// is SHA-256(0x03 || for each head in ascending subject order: u32be(len) || subject ||
// u64be(count) || u64be(last) || chain); the map's root is the RFC 6962 root of the 2^16
// bucket hashes as leaves. Each checkpoint carries the root as the extension line
// "closebook-subjects/v2 <base64 root>", so an edited index is refused by whoever reads it
// (the writer included), and a bundle can later prove it holds all of a subject's entries.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "evidence/hash.h"
#include "evidence/result.h"

namespace closebook {

inline constexpr unsigned kSubjectTreeLevels = 16;
inline constexpr uint32_t kSubjectBuckets = uint32_t{1} << kSubjectTreeLevels;
inline constexpr uint8_t kSubjectChainPrefix = 0x02;
inline constexpr uint8_t kSubjectBucketPrefix = 0x03;
// v2: the map of index version 5, whose `cites_kind` keys let a bundle prove which kinds of entry
// cite a line (docs/ledger.md §7). A checkpoint's v1 line (index version 4) is another map, not
// read: such a ledger is reindexed with the log key once, which signs the v2 line in.
inline constexpr std::string_view kSubjectsExtension = "closebook-subjects/v2";

struct SubjectHead {
  uint64_t count = 0;
  uint64_t last = 0;
  Hash chain{};

  // Files entry `index` (larger than every index before it) under the subject.
  void add(uint64_t index);
  // 48 bytes: u64be count, u64be last, chain.
  static constexpr size_t kEncodedBytes = 48;
  std::string encode() const;
  std::array<char, kEncodedBytes> encoded() const;  // the same, without a heap allocation
  static Result<SubjectHead> decode(std::string_view bytes);
  bool operator==(const SubjectHead&) const = default;
};

// The head of a subject with these entry indexes (ascending).
SubjectHead subject_head_of(std::span<const uint64_t> indexes);

uint16_t subject_bucket(std::string_view subject);

// Accumulates one bucket's hash; add heads in ascending subject (byte) order.
class SubjectBucketHasher {
 public:
  SubjectBucketHasher();
  void add(std::string_view subject, const SubjectHead& head);
  Hash finish();

 private:
  std::string buffer_;
};

// The hash of a subtree of 2^level empty buckets (level 0: one empty bucket's leaf hash).
const Hash& empty_subject_node(unsigned level);

// The map's root from the hashes of its non-empty buckets (every other bucket is empty).
Hash subject_root(const std::map<uint16_t, Hash>& bucket_hashes);

// The subject an index key is filed under: name, 0x00, value; when that would be longer than
// kSubjectKeyBytesMax, name, 0x00, '#', hex SHA-256(value) (docs/ledger.md §7.1; an LMDB key
// is at most 511 bytes, and the heads table prefixes two).
inline constexpr size_t kSubjectKeyBytesMax = 480;
std::string subject_key(std::string_view name, std::string_view value);

// The root reached from `bucket`'s hash and its audit path: the 16 sibling nodes from the
// leaf level up (a bundle's proof that the bucket holds exactly these heads, docs/evidence.md R33).
Hash subject_root_from_path(uint16_t bucket, const Hash& bucket_hash, std::span<const Hash> path);

// The checkpoint extension line for a root, and the root read back from a checkpoint's
// extension lines (nullopt when it has none; invalid when the line is malformed or repeated).
std::string subjects_extension(const Hash& root);
Result<std::optional<Hash>> subjects_root_of(std::span<const std::string> extensions);

}  // namespace closebook
