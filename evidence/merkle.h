// RFC 9162 §2.1 Merkle trees over ledger entries: roots, inclusion and consistency proofs.
// See docs/ledger.md §3.
//
// The tree is stored as the hashes of its complete, aligned subtrees ("nodes"): node
// (level L, index k) is MTH(D[k·2^L : (k+1)·2^L]). Level 0 holds the leaf hashes. Nodes
// never change once written, so any root or proof for any size n is computed from at most
// O(log n) node reads — the right edge of a non-complete tree is hashed on the fly.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "evidence/hash.h"
#include "evidence/result.h"

namespace closebook {

// Reads the hash of a complete subtree. Implemented over LMDB by ledger/, over memory by tests.
class NodeSource {
 public:
  virtual ~NodeSource() = default;
  virtual Result<Hash> node(uint8_t level, uint64_t index) const = 0;
};

// Storage position of node (level, index) in post-order: the order in which an append-only
// tree completes its nodes. Keys in this order only grow, so the node table is append-only.
// pos = 2m − popcount(m) − (ctz(m) − level) − 1, where m = (index + 1) · 2^level.
uint64_t node_position(uint8_t level, uint64_t index);

// MTH(D[begin:end]) for 0 <= begin < end, per RFC 9162 §2.1.1.
Result<Hash> subtree_hash(const NodeSource& nodes, uint64_t begin, uint64_t end);
// The root of the first `size` leaves (the empty-tree root for size 0).
Result<Hash> tree_root(const NodeSource& nodes, uint64_t size);

// RFC 9162 §2.1.3.1: the inclusion path of leaf `index` in the tree of `size` leaves,
// bottom to top.
Result<std::vector<Hash>> inclusion_proof(const NodeSource& nodes, uint64_t index, uint64_t size);
// RFC 9162 §2.1.4.1: the consistency proof from `old_size` to `size` (0 <= old_size <= size).
// Empty when old_size is 0 or equal to size.
Result<std::vector<Hash>> consistency_proof(const NodeSource& nodes, uint64_t old_size,
                                            uint64_t size);

// RFC 9162 §2.1.3.2. Corruption if the proof does not lead from `leaf` to `root`.
Status verify_inclusion(const Hash& leaf, uint64_t index, uint64_t size,
                        std::span<const Hash> proof, const Hash& root);
// RFC 9162 §2.1.4.2, plus the trivial cases: old_size 0 (empty proof, any trees), and
// old_size == size (empty proof, equal roots).
Status verify_consistency(uint64_t old_size, uint64_t size, const Hash& old_root,
                          const Hash& root, std::span<const Hash> proof);

// The right edge of a growing tree (a "compact range" [0, size)): the roots of its perfect
// subtrees, largest first. Appending a leaf reports every node it completes, so a writer can
// store them; root() needs no reads.
class TreeBuilder {
 public:
  using NodeSink = std::function<void(uint8_t level, uint64_t index, const Hash& hash)>;

  TreeBuilder() = default;
  // Rebuilds the right edge of an existing tree of `size` leaves from its stored nodes.
  static Result<TreeBuilder> resume(const NodeSource& nodes, uint64_t size);

  // Appends one leaf hash; calls `sink` for the leaf (level 0) and every node it completes,
  // in post-order (the order of node_position).
  void append(const Hash& leaf, const NodeSink& sink);
  uint64_t size() const { return size_; }
  Hash root() const;

 private:
  uint64_t size_ = 0;
  std::vector<Hash> edge_;  // invariant: edge_.size() == popcount(size_)
};

// Nodes in memory, for tests and for verifiers replaying a ledger.
class MemoryNodes : public NodeSource {
 public:
  void add_leaf(const Hash& leaf);
  uint64_t size() const { return builder_.size(); }
  Hash root() const { return builder_.root(); }
  Result<Hash> node(uint8_t level, uint64_t index) const override;

 private:
  TreeBuilder builder_;
  std::vector<std::vector<Hash>> levels_;
};

}  // namespace closebook
