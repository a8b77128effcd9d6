#include "evidence/merkle.h"

#include <bit>
#include <cassert>
#include <string>

namespace closebook {
namespace {

bool is_power_of_two(uint64_t n) { return n != 0 && (n & (n - 1)) == 0; }

// The largest power of two strictly less than n (n >= 2): RFC 9162's k.
uint64_t split_point(uint64_t n) {
  assert(n >= 2);
  return std::bit_floor(n - 1);
}

uint8_t level_of(uint64_t power_of_two) {
  return static_cast<uint8_t>(std::countr_zero(power_of_two));
}

Error proof_failure(const std::string& what) { return Error::corruption(what); }

// PATH(m, D[begin:end]) of RFC 9162 §2.1.3.1, appending bottom-up.
Status append_path(const NodeSource& nodes, uint64_t m, uint64_t begin, uint64_t end,
                   std::vector<Hash>& out) {
  const uint64_t n = end - begin;
  if (n <= 1) return {};
  const uint64_t k = split_point(n);
  if (m < k) {
    CB_CHECK(append_path(nodes, m, begin, begin + k, out));
    CB_TRY(Hash right, subtree_hash(nodes, begin + k, end));
    out.push_back(right);
  } else {
    CB_CHECK(append_path(nodes, m - k, begin + k, end, out));
    CB_TRY(Hash left, subtree_hash(nodes, begin, begin + k));
    out.push_back(left);
  }
  return {};
}

// SUBPROOF(m, D[begin:end], b) of RFC 9162 §2.1.4.1.
Status append_subproof(const NodeSource& nodes, uint64_t m, uint64_t begin, uint64_t end,
                       bool whole_old_tree, std::vector<Hash>& out) {
  const uint64_t n = end - begin;
  if (m == n) {
    if (!whole_old_tree) {
      CB_TRY(Hash h, subtree_hash(nodes, begin, end));
      out.push_back(h);
    }
    return {};
  }
  const uint64_t k = split_point(n);
  if (m <= k) {
    CB_CHECK(append_subproof(nodes, m, begin, begin + k, whole_old_tree, out));
    CB_TRY(Hash right, subtree_hash(nodes, begin + k, end));
    out.push_back(right);
  } else {
    CB_CHECK(append_subproof(nodes, m - k, begin + k, end, false, out));
    CB_TRY(Hash left, subtree_hash(nodes, begin, begin + k));
    out.push_back(left);
  }
  return {};
}

}  // namespace

uint64_t node_position(uint8_t level, uint64_t index) {
  assert(level < 64);
  const uint64_t m = (index + 1) << level;
  assert(m >> level == index + 1);  // no overflow
  const uint64_t later_levels = static_cast<uint64_t>(std::countr_zero(m)) - level;
  return 2 * m - static_cast<uint64_t>(std::popcount(m)) - later_levels - 1;
}

Result<Hash> subtree_hash(const NodeSource& nodes, uint64_t begin, uint64_t end) {
  assert(begin < end);
  const uint64_t n = end - begin;
  if (is_power_of_two(n) && begin % n == 0) return nodes.node(level_of(n), begin / n);
  const uint64_t k = split_point(n);
  CB_TRY(Hash left, subtree_hash(nodes, begin, begin + k));
  CB_TRY(Hash right, subtree_hash(nodes, begin + k, end));
  return node_hash(left, right);
}

Result<Hash> tree_root(const NodeSource& nodes, uint64_t size) {
  if (size == 0) return empty_tree_root();
  return subtree_hash(nodes, 0, size);
}

Result<std::vector<Hash>> inclusion_proof(const NodeSource& nodes, uint64_t index, uint64_t size) {
  if (index >= size) {
    return Error::invalid("leaf index " + std::to_string(index) + " is not in a tree of size " +
                          std::to_string(size));
  }
  std::vector<Hash> proof;
  CB_CHECK(append_path(nodes, index, 0, size, proof));
  assert(proof.size() <= 64);
  return proof;
}

Result<std::vector<Hash>> consistency_proof(const NodeSource& nodes, uint64_t old_size,
                                            uint64_t size) {
  if (old_size > size) {
    return Error::invalid("old size " + std::to_string(old_size) + " is larger than size " +
                          std::to_string(size));
  }
  std::vector<Hash> proof;
  if (old_size == 0 || old_size == size) return proof;
  CB_CHECK(append_subproof(nodes, old_size, 0, size, true, proof));
  assert(!proof.empty() && proof.size() <= 128);
  return proof;
}

Status verify_inclusion(const Hash& leaf, uint64_t index, uint64_t size,
                        std::span<const Hash> proof, const Hash& root) {
  if (index >= size) return proof_failure("inclusion proof: leaf index is not below tree size");
  uint64_t fn = index;
  uint64_t sn = size - 1;
  Hash r = leaf;
  for (const Hash& p : proof) {
    if (sn == 0) return proof_failure("inclusion proof has too many hashes");
    if ((fn & 1) != 0 || fn == sn) {
      r = node_hash(p, r);
      if ((fn & 1) == 0) {
        while ((fn & 1) == 0 && fn != 0) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    } else {
      r = node_hash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return proof_failure("inclusion proof has too few hashes");
  if (r != root) return proof_failure("inclusion proof does not lead to the root");
  return {};
}

Status verify_consistency(uint64_t old_size, uint64_t size, const Hash& old_root,
                          const Hash& root, std::span<const Hash> proof) {
  if (old_size > size) return proof_failure("consistency proof: old size is larger than size");
  if (old_size == 0 || old_size == size) {
    if (!proof.empty()) return proof_failure("consistency proof must be empty for these sizes");
    if (old_size == size && old_root != root) {
      return proof_failure("trees of equal size have different roots");
    }
    return {};
  }
  if (proof.empty()) return proof_failure("consistency proof is empty");
  // RFC 9162 §2.1.4.2 step 2: a power-of-two old tree is a complete subtree, so its root is
  // the proof's implicit first element.
  std::vector<Hash> path;
  path.reserve(proof.size() + 1);
  if (is_power_of_two(old_size)) path.push_back(old_root);
  path.insert(path.end(), proof.begin(), proof.end());

  uint64_t fn = old_size - 1;
  uint64_t sn = size - 1;
  while ((fn & 1) != 0) {
    fn >>= 1;
    sn >>= 1;
  }
  Hash fr = path[0];
  Hash sr = path[0];
  for (size_t i = 1; i < path.size(); ++i) {
    const Hash& c = path[i];
    if (sn == 0) return proof_failure("consistency proof has too many hashes");
    if ((fn & 1) != 0 || fn == sn) {
      fr = node_hash(c, fr);
      sr = node_hash(c, sr);
      if ((fn & 1) == 0) {
        while ((fn & 1) == 0 && fn != 0) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    } else {
      sr = node_hash(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return proof_failure("consistency proof has too few hashes");
  if (fr != old_root) return proof_failure("consistency proof does not lead to the old root");
  if (sr != root) return proof_failure("consistency proof does not lead to the new root");
  return {};
}

Result<TreeBuilder> TreeBuilder::resume(const NodeSource& nodes, uint64_t size) {
  TreeBuilder builder;
  uint64_t begin = 0;
  // The perfect subtrees of the right edge follow the set bits of size, largest first.
  for (int bit = 63; bit >= 0; --bit) {
    const uint64_t width = uint64_t{1} << bit;
    if ((size & width) == 0) continue;
    CB_TRY(Hash h, nodes.node(static_cast<uint8_t>(bit), begin >> bit));
    builder.edge_.push_back(h);
    begin += width;
  }
  builder.size_ = size;
  assert(begin == size);
  assert(builder.edge_.size() == static_cast<size_t>(std::popcount(size)));
  return builder;
}

void TreeBuilder::append(const Hash& leaf, const NodeSink& sink) {
  Hash h = leaf;
  uint64_t index = size_;
  uint8_t level = 0;
  sink(level, index, h);
  // A right child completes its parent; keep climbing while we are a right child.
  while ((index & 1) != 0) {
    assert(!edge_.empty());
    h = node_hash(edge_.back(), h);
    edge_.pop_back();
    index >>= 1;
    ++level;
    sink(level, index, h);
  }
  edge_.push_back(h);
  ++size_;
  assert(edge_.size() == static_cast<size_t>(std::popcount(size_)));
}

Hash TreeBuilder::root() const {
  if (edge_.empty()) return empty_tree_root();
  Hash r = edge_.back();
  for (size_t i = edge_.size() - 1; i-- > 0;) r = node_hash(edge_[i], r);
  return r;
}

void MemoryNodes::add_leaf(const Hash& leaf) {
  builder_.append(leaf, [this](uint8_t level, uint64_t index, const Hash& h) {
    if (levels_.size() <= level) levels_.resize(level + 1);
    assert(levels_[level].size() == index);
    levels_[level].push_back(h);
  });
}

Result<Hash> MemoryNodes::node(uint8_t level, uint64_t index) const {
  if (level >= levels_.size() || index >= levels_[level].size()) {
    return Error::not_found("no node at level " + std::to_string(level) + " index " +
                            std::to_string(index));
  }
  return levels_[level][index];
}

}  // namespace closebook
