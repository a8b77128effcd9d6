#include "evidence/subject_map.h"

#include <array>
#include <cassert>

namespace closebook {
namespace {

uint64_t read_u64be_at(std::string_view s, size_t at) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8; ++i) v = v << 8 | static_cast<uint8_t>(s[at + i]);
  return v;
}

}  // namespace

void SubjectHead::add(uint64_t index) {
  assert(count == 0 || index > last);  // entries are filed in the order they are appended
  // On the stack: an append files every entry under ~8 subjects, and a heap buffer per filing
  // showed in its profile (docs/performance.md §15).
  std::array<uint8_t, 1 + 32 + 8> buffer;
  buffer[0] = kSubjectChainPrefix;
  std::copy(chain.begin(), chain.end(), buffer.begin() + 1);
  for (size_t i = 0; i < 8; ++i) buffer[33 + i] = static_cast<uint8_t>(index >> (56 - 8 * i));
  chain = sha256(Bytes(buffer));
  ++count;
  last = index;
}

std::string SubjectHead::encode() const {
  const auto bytes = encoded();
  return std::string(bytes.begin(), bytes.end());
}

std::array<char, SubjectHead::kEncodedBytes> SubjectHead::encoded() const {
  std::array<char, kEncodedBytes> out;
  for (size_t i = 0; i < 8; ++i) {
    out[i] = static_cast<char>(count >> (56 - 8 * i));
    out[8 + i] = static_cast<char>(last >> (56 - 8 * i));
  }
  std::copy(chain.begin(), chain.end(), out.begin() + 16);
  return out;
}

Result<SubjectHead> SubjectHead::decode(std::string_view bytes) {
  if (bytes.size() != kEncodedBytes) return Error::corruption("a subject head is not 48 bytes");
  SubjectHead head;
  head.count = read_u64be_at(bytes, 0);
  head.last = read_u64be_at(bytes, 8);
  std::copy(bytes.begin() + 16, bytes.end(), head.chain.begin());
  if (head.count == 0) return Error::corruption("a subject head counts no entries");
  return head;
}

SubjectHead subject_head_of(std::span<const uint64_t> indexes) {
  SubjectHead head;
  for (uint64_t index : indexes) head.add(index);
  return head;
}

uint16_t subject_bucket(std::string_view subject) {
  const Hash h = sha256(subject);
  return static_cast<uint16_t>(h[0] << 8 | h[1]);
}

SubjectBucketHasher::SubjectBucketHasher() : buffer_(1, static_cast<char>(kSubjectBucketPrefix)) {}

void SubjectBucketHasher::add(std::string_view subject, const SubjectHead& head) {
  const auto len = static_cast<uint32_t>(subject.size());
  for (int shift = 24; shift >= 0; shift -= 8) buffer_.push_back(static_cast<char>((len >> shift) & 0xff));
  buffer_.append(subject);
  const auto encoded = head.encoded();
  buffer_.append(encoded.data(), encoded.size());
}

Hash SubjectBucketHasher::finish() { return sha256(buffer_); }

const Hash& empty_subject_node(unsigned level) {
  static const std::array<Hash, kSubjectTreeLevels + 1> nodes = [] {
    std::array<Hash, kSubjectTreeLevels + 1> out{};
    const Hash empty_bucket = SubjectBucketHasher().finish();
    out[0] = leaf_hash(Bytes(empty_bucket));
    for (unsigned l = 1; l <= kSubjectTreeLevels; ++l) out[l] = node_hash(out[l - 1], out[l - 1]);
    return out;
  }();
  assert(level <= kSubjectTreeLevels);
  return nodes[level];
}

Hash subject_root(const std::map<uint16_t, Hash>& bucket_hashes) {
  std::map<uint32_t, Hash> level;
  for (const auto& [bucket, hash] : bucket_hashes) level[bucket] = leaf_hash(Bytes(hash));
  for (unsigned l = 0; l < kSubjectTreeLevels; ++l) {
    std::map<uint32_t, Hash> parents;
    for (const auto& [index, hash] : level) {
      if (parents.contains(index >> 1)) continue;
      auto sibling = level.find(index ^ 1);
      const Hash& other = sibling != level.end() ? sibling->second : empty_subject_node(l);
      parents[index >> 1] = (index & 1) == 0 ? node_hash(hash, other) : node_hash(other, hash);
    }
    level = std::move(parents);
  }
  return level.empty() ? empty_subject_node(kSubjectTreeLevels) : level.begin()->second;
}

std::string subject_key(std::string_view name, std::string_view value) {
  std::string key(name);
  key.push_back('\0');
  if (key.size() + value.size() <= kSubjectKeyBytesMax) {
    key.append(value);
  } else {
    key += "#" + to_hex(sha256(value));
  }
  return key;
}

Hash subject_root_from_path(uint16_t bucket, const Hash& bucket_hash, std::span<const Hash> path) {
  assert(path.size() == kSubjectTreeLevels);
  Hash node = leaf_hash(Bytes(bucket_hash));
  uint32_t index = bucket;
  for (const Hash& sibling : path) {
    node = (index & 1) == 0 ? node_hash(node, sibling) : node_hash(sibling, node);
    index >>= 1;
  }
  return node;
}

std::string subjects_extension(const Hash& root) {
  return std::string(kSubjectsExtension) + " " + to_base64(Bytes(root));
}

Result<std::optional<Hash>> subjects_root_of(std::span<const std::string> extensions) {
  std::optional<Hash> root;
  const std::string prefix = std::string(kSubjectsExtension) + " ";
  for (const std::string& line : extensions) {
    if (line != kSubjectsExtension && !line.starts_with(prefix)) continue;
    if (root) return Error::invalid("the checkpoint has two " + std::string(kSubjectsExtension) + " lines");
    auto hash = hash_from_base64(std::string_view(line).substr(std::min(prefix.size(), line.size())));
    if (!hash.ok()) return Error::invalid("the checkpoint's " + std::string(kSubjectsExtension) + " line is not a base64 hash");
    root = *hash;
  }
  return root;
}

}  // namespace closebook
