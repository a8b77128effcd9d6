// RFC 9162 Merkle trees (evidence/merkle.h): known answers from the RFC 6962 / CT / Tessera
// vectors, an exhaustive comparison with a from-the-RFC reference for every small tree, tamper
// tests for both proof kinds, the storage numbering of nodes, and random larger trees.
#include "evidence/merkle.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "evidence/hash.h"
#include "tests/vectors/rfc6962_vectors.h"

namespace closebook {
namespace {

namespace tv = closebook::testvectors;

Hash H(std::string_view hex) {
  auto h = hash_from_hex(hex);
  EXPECT_TRUE(h.ok()) << hex;
  return h.ok() ? *h : Hash{};
}

template <class Span>
std::vector<Hash> Hashes(const Span& hexes) {
  std::vector<Hash> out;
  for (std::string_view hex : hexes) out.push_back(H(hex));
  return out;
}

std::vector<std::string> HexList(const std::vector<Hash>& hashes) {
  std::vector<std::string> out;
  for (const Hash& h : hashes) out.push_back(to_hex(h));
  return out;
}

MemoryNodes CtTree(size_t n) {
  MemoryNodes nodes;
  for (size_t i = 0; i < n; ++i) nodes.add_leaf(leaf_hash(as_bytes(tv::kCtLeaves[i])));
  return nodes;
}

// ---------------------------------------------------------------------------------------
// A reference implementation written straight from RFC 9162 §2.1, over the list of leaf
// hashes, with no node storage and no cleverness: MTH, PATH and SUBPROOF as recursions.

uint64_t LargestPowerOfTwoBelow(uint64_t n) {  // k of RFC 9162: k < n <= 2k
  uint64_t k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

Hash RefMth(const std::vector<Hash>& leaves, size_t begin, size_t end) {
  const size_t n = end - begin;
  if (n == 0) return sha256(std::string_view());
  if (n == 1) return leaves[begin];
  const size_t k = LargestPowerOfTwoBelow(n);
  return node_hash(RefMth(leaves, begin, begin + k), RefMth(leaves, begin + k, end));
}

std::vector<Hash> RefPath(const std::vector<Hash>& leaves, size_t m, size_t begin, size_t end) {
  const size_t n = end - begin;
  if (n == 1) return {};
  const size_t k = LargestPowerOfTwoBelow(n);
  std::vector<Hash> path;
  if (m < k) {
    path = RefPath(leaves, m, begin, begin + k);
    path.push_back(RefMth(leaves, begin + k, end));
  } else {
    path = RefPath(leaves, m - k, begin + k, end);
    path.push_back(RefMth(leaves, begin, begin + k));
  }
  return path;
}

std::vector<Hash> RefSubproof(const std::vector<Hash>& leaves, size_t m, size_t begin, size_t end,
                              bool b) {
  const size_t n = end - begin;
  if (m == n) {
    if (b) return {};
    return {RefMth(leaves, begin, end)};
  }
  const size_t k = LargestPowerOfTwoBelow(n);
  std::vector<Hash> proof;
  if (m <= k) {
    proof = RefSubproof(leaves, m, begin, begin + k, b);
    proof.push_back(RefMth(leaves, begin + k, end));
  } else {
    proof = RefSubproof(leaves, m - k, begin + k, end, false);
    proof.push_back(RefMth(leaves, begin, begin + k));
  }
  return proof;
}

// PROOF(m, D[n]); empty for m == 0 (nothing to prove) and m == n.
std::vector<Hash> RefConsistency(const std::vector<Hash>& leaves, size_t m, size_t n) {
  if (m == 0) return {};
  return RefSubproof(leaves, m, 0, n, true);
}

// Distinct, arbitrary leaf hashes: leaf_hash of "leaf <i>".
std::vector<Hash> NumberedLeaves(size_t n) {
  std::vector<Hash> leaves;
  for (size_t i = 0; i < n; ++i) leaves.push_back(leaf_hash(as_bytes("leaf " + std::to_string(i))));
  return leaves;
}

MemoryNodes TreeOf(const std::vector<Hash>& leaves) {
  MemoryNodes nodes;
  for (const Hash& leaf : leaves) nodes.add_leaf(leaf);
  return nodes;
}

void ExpectCorruption(const Status& s, const std::string& what) {
  ASSERT_FALSE(s.ok()) << what << " was accepted";
  EXPECT_EQ(s.error().code, Code::kCorruption) << what << ": " << s.error().to_string();
}

// ---------------------------------------------------------------------------------------
// (a) Known answers.

TEST(MerkleHasher, MatchesTransparencyDevRfc6962HasherVectors) {
  EXPECT_EQ(to_hex(empty_tree_root()), tv::kEmptyTreeRootHex);
  EXPECT_EQ(to_hex(leaf_hash(Bytes())), tv::kCtLeafHashes[0]);  // "RFC6962 Empty Leaf"
  EXPECT_EQ(to_hex(leaf_hash(as_bytes(tv::kHashLeafL123456Input))), tv::kHashLeafL123456Hex);
  // node_hash takes 32-byte children; [TDH] hashes 4-byte strings, so check the same
  // construction SHA-256(0x01 || left || right) directly, and node_hash against it.
  const std::string children = std::string(1, '\x01') + std::string(tv::kHashChildrenLeftInput) +
                               std::string(tv::kHashChildrenRightInput);
  EXPECT_EQ(to_hex(sha256(children)), tv::kHashChildrenHex);
  const Hash l = H(tv::kCtLeafHashes[0]);
  const Hash r = H(tv::kCtLeafHashes[1]);
  std::string concat(1, '\x01');
  concat.append(reinterpret_cast<const char*>(l.data()), 32);
  concat.append(reinterpret_cast<const char*>(r.data()), 32);
  EXPECT_EQ(node_hash(l, r), sha256(concat));
  EXPECT_EQ(to_hex(node_hash(l, r)), tv::kCtRoots[1]);
}

TEST(MerkleKnownAnswer, LeafHashesOfCtInputs) {
  for (size_t i = 0; i < tv::kCtLeaves.size(); ++i) {
    EXPECT_EQ(to_hex(leaf_hash(as_bytes(tv::kCtLeaves[i]))), tv::kCtLeafHashes[i]) << "leaf " << i;
    auto raw = from_hex(tv::kCtLeavesHex[i]);
    ASSERT_TRUE(raw.ok());
    EXPECT_EQ(*raw, std::string(tv::kCtLeaves[i])) << "leaf " << i;
  }
}

TEST(MerkleKnownAnswer, RootsOfSizes0To8) {
  for (size_t n = 0; n <= 8; ++n) {
    MemoryNodes nodes = CtTree(n);
    EXPECT_EQ(to_hex(nodes.root()), tv::CtRootForSize(n)) << "size " << n;
    auto root = tree_root(nodes, n);
    ASSERT_TRUE(root.ok()) << n;
    EXPECT_EQ(to_hex(*root), tv::CtRootForSize(n)) << "size " << n;
  }
  // tree_root reads the first n leaves of a larger tree: roots of old sizes stay provable.
  MemoryNodes all = CtTree(8);
  for (size_t n = 0; n <= 8; ++n) {
    auto root = tree_root(all, n);
    ASSERT_TRUE(root.ok()) << n;
    EXPECT_EQ(to_hex(*root), tv::CtRootForSize(n)) << "size " << n << " read from the size-8 tree";
  }
}

TEST(MerkleKnownAnswer, InclusionProofsEqualCtVectorsAndVerify) {
  MemoryNodes all = CtTree(8);
  for (const auto& v : tv::kCtInclusionProofs) {
    SCOPED_TRACE("leaf " + std::to_string(v.leaf_index) + " size " + std::to_string(v.tree_size));
    const std::vector<Hash> expected = Hashes(v.path);
    auto proof = inclusion_proof(all, v.leaf_index, v.tree_size);
    ASSERT_TRUE(proof.ok());
    EXPECT_EQ(HexList(*proof), HexList(expected));
    const Hash leaf = H(tv::kCtLeafHashes[v.leaf_index]);
    const Hash root = H(tv::CtRootForSize(v.tree_size));
    EXPECT_TRUE(verify_inclusion(leaf, v.leaf_index, v.tree_size, expected, root).ok());
  }
}

TEST(MerkleKnownAnswer, ConsistencyProofsEqualCtVectorsAndVerify) {
  MemoryNodes all = CtTree(8);
  for (const auto& v : tv::kCtConsistencyProofs) {
    SCOPED_TRACE("old " + std::to_string(v.old_size) + " new " + std::to_string(v.new_size));
    const std::vector<Hash> expected = Hashes(v.proof);
    auto proof = consistency_proof(all, v.old_size, v.new_size);
    ASSERT_TRUE(proof.ok());
    EXPECT_EQ(HexList(*proof), HexList(expected));
    const Hash old_root = H(tv::CtRootForSize(v.old_size));
    const Hash new_root = H(tv::CtRootForSize(v.new_size));
    EXPECT_TRUE(verify_consistency(v.old_size, v.new_size, old_root, new_root, expected).ok());
  }
}

TEST(MerkleKnownAnswer, ProofRequestsOutsideTheTreeAreInvalidArguments) {
  MemoryNodes all = CtTree(8);
  auto past_end = inclusion_proof(all, 8, 8);
  ASSERT_FALSE(past_end.ok());
  EXPECT_EQ(past_end.error().code, Code::kInvalidArgument);
  auto empty = inclusion_proof(all, 0, 0);
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().code, Code::kInvalidArgument);
  auto shrinking = consistency_proof(all, 5, 4);
  ASSERT_FALSE(shrinking.ok());
  EXPECT_EQ(shrinking.error().code, Code::kInvalidArgument);
  // Asking for nodes the store does not have is NotFound, not a wrong answer.
  auto beyond = inclusion_proof(all, 3, 9);
  ASSERT_FALSE(beyond.ok());
  EXPECT_EQ(beyond.error().code, Code::kNotFound);
}

// ---------------------------------------------------------------------------------------
// (b) Every small tree against the reference.

TEST(MerkleBruteForce, InclusionProofsEqualRfcPathForEveryIndexOfEverySizeUpTo70) {
  const std::vector<Hash> leaves = NumberedLeaves(70);
  MemoryNodes all = TreeOf(leaves);
  for (size_t n = 1; n <= 70; ++n) {
    const Hash root = RefMth(leaves, 0, n);
    auto got_root = tree_root(all, n);
    ASSERT_TRUE(got_root.ok());
    ASSERT_EQ(*got_root, root) << "size " << n;
    for (size_t i = 0; i < n; ++i) {
      auto proof = inclusion_proof(all, i, n);
      ASSERT_TRUE(proof.ok()) << i << "/" << n;
      ASSERT_EQ(HexList(*proof), HexList(RefPath(leaves, i, 0, n))) << "index " << i << " size " << n;
      ASSERT_TRUE(verify_inclusion(leaves[i], i, n, *proof, root).ok()) << i << "/" << n;
    }
  }
}

TEST(MerkleBruteForce, ConsistencyProofsEqualRfcSubproofForAllSizePairsUpTo70) {
  const std::vector<Hash> leaves = NumberedLeaves(70);
  MemoryNodes all = TreeOf(leaves);
  std::vector<Hash> roots;
  for (size_t n = 0; n <= 70; ++n) roots.push_back(RefMth(leaves, 0, n));
  for (size_t n = 0; n <= 70; ++n) {
    for (size_t m = 0; m <= n; ++m) {
      auto proof = consistency_proof(all, m, n);
      ASSERT_TRUE(proof.ok()) << m << "->" << n;
      ASSERT_EQ(HexList(*proof), HexList(RefConsistency(leaves, m, n))) << m << "->" << n;
      ASSERT_TRUE(verify_consistency(m, n, roots[m], roots[n], *proof).ok()) << m << "->" << n;
    }
  }
}

// ---------------------------------------------------------------------------------------
// (c) Tampering: every single change to a proof or to what it claims must be refused.

// All single-bit flips, single deletions, insertions, element swaps and replacements.
std::vector<std::pair<std::string, std::vector<Hash>>> TamperedProofs(const std::vector<Hash>& p) {
  std::vector<std::pair<std::string, std::vector<Hash>>> out;
  for (size_t i = 0; i < p.size(); ++i) {
    for (size_t bit = 0; bit < 256; ++bit) {
      std::vector<Hash> t = p;
      t[i][bit / 8] = static_cast<uint8_t>(t[i][bit / 8] ^ (1u << (bit % 8)));
      out.emplace_back("flip bit " + std::to_string(bit) + " of hash " + std::to_string(i), t);
    }
    std::vector<Hash> dropped = p;
    dropped.erase(dropped.begin() + static_cast<std::ptrdiff_t>(i));
    out.emplace_back("drop hash " + std::to_string(i), dropped);
    std::vector<Hash> duplicated = p;
    duplicated.insert(duplicated.begin() + static_cast<std::ptrdiff_t>(i), p[i]);
    out.emplace_back("duplicate hash " + std::to_string(i), duplicated);
    for (size_t j = i + 1; j < p.size(); ++j) {
      if (p[i] == p[j]) continue;
      std::vector<Hash> swapped = p;
      std::swap(swapped[i], swapped[j]);
      out.emplace_back("swap hashes " + std::to_string(i) + "," + std::to_string(j), swapped);
    }
  }
  for (size_t at = 0; at <= p.size(); ++at) {
    std::vector<Hash> added = p;
    added.insert(added.begin() + static_cast<std::ptrdiff_t>(at), sha256(std::string_view("extra")));
    out.emplace_back("add a hash at " + std::to_string(at), added);
  }
  std::vector<Hash> reversed(p.rbegin(), p.rend());
  if (reversed != p) out.emplace_back("reverse", reversed);
  out.emplace_back("empty proof", std::vector<Hash>{});
  return out;
}

TEST(MerkleTamper, EveryChangeToAnInclusionProofIsRejected) {
  const std::vector<Hash> leaves = NumberedLeaves(16);
  MemoryNodes all = TreeOf(leaves);
  const std::vector<std::pair<uint64_t, uint64_t>> cases = {
      {0, 2}, {1, 2}, {0, 8}, {5, 8}, {6, 7}, {4, 5}, {2, 3}, {10, 13}, {15, 16}, {12, 13}};
  for (const auto& [index, size] : cases) {
    SCOPED_TRACE("index " + std::to_string(index) + " size " + std::to_string(size));
    const Hash root = RefMth(leaves, 0, size);
    auto proof = inclusion_proof(all, index, size);
    ASSERT_TRUE(proof.ok());
    ASSERT_TRUE(verify_inclusion(leaves[index], index, size, *proof, root).ok());
    for (const auto& [what, tampered] : TamperedProofs(*proof)) {
      if (tampered == *proof) continue;
      ExpectCorruption(verify_inclusion(leaves[index], index, size, tampered, root), what);
    }
    // Another leaf, any other index (in or beyond the tree), and roots of other sizes.
    for (uint64_t other = 0; other < 20; ++other) {
      if (other == index) continue;
      if (other < leaves.size()) {
        ExpectCorruption(verify_inclusion(leaves[other], index, size, *proof, root),
                         "leaf " + std::to_string(other));
      }
      ExpectCorruption(verify_inclusion(leaves[index], other, size, *proof, root),
                       "index changed to " + std::to_string(other));
    }
    // A changed size is refused when checked against the root of that size; an attacker
    // who keeps the old root is the subject of ProofsBindTheNewSizeOnlyThroughTheRoot.
    for (uint64_t other_size = 0; other_size <= 16; ++other_size) {
      if (other_size == size) continue;
      ExpectCorruption(verify_inclusion(leaves[index], index, other_size, *proof,
                                        RefMth(leaves, 0, other_size)),
                       "size changed to " + std::to_string(other_size));
    }
    ExpectCorruption(verify_inclusion(leaves[index], index, size, *proof, leaves[index]),
                     "the leaf as root");
    Hash flipped_root = root;
    flipped_root[31] ^= 1;
    ExpectCorruption(verify_inclusion(leaves[index], index, size, *proof, flipped_root),
                     "flipped root");
    Hash flipped_leaf = leaves[index];
    flipped_leaf[0] ^= 0x80;
    ExpectCorruption(verify_inclusion(flipped_leaf, index, size, *proof, root), "flipped leaf");
  }
}

// RFC 9162 §2.1.3.2 checks a claimed size only through the shape of the path: PATH(0, D[3])
// and PATH(0, D[4]) have the same shape, so the size-3 proof "verifies" as size 4 against the
// size-3 root. The size is bound by the root, so callers must check proofs against the root
// of the size they were given (a signed checkpoint), never a root from elsewhere.
// The same holds for the new size of a consistency proof: PROOF(2, D[5]) checks as 2 -> 6.
TEST(MerkleTamper, ProofsBindTheNewSizeOnlyThroughTheRoot) {
  const std::vector<Hash> leaves = NumberedLeaves(6);
  MemoryNodes all = TreeOf(leaves);
  auto proof = inclusion_proof(all, 0, 3);
  ASSERT_TRUE(proof.ok());
  EXPECT_TRUE(verify_inclusion(leaves[0], 0, 4, *proof, RefMth(leaves, 0, 3)).ok());
  ExpectCorruption(verify_inclusion(leaves[0], 0, 4, *proof, RefMth(leaves, 0, 4)),
                   "size-3 proof against the size-4 root");

  auto cproof = consistency_proof(all, 2, 5);
  ASSERT_TRUE(cproof.ok());
  const Hash r2 = RefMth(leaves, 0, 2);
  EXPECT_TRUE(verify_consistency(2, 6, r2, RefMth(leaves, 0, 5), *cproof).ok());
  ExpectCorruption(verify_consistency(2, 6, r2, RefMth(leaves, 0, 6), *cproof),
                   "2 -> 5 proof against the size-6 root");
}

TEST(MerkleTamper, EveryChangeToAConsistencyProofIsRejected) {
  const std::vector<Hash> leaves = NumberedLeaves(16);
  MemoryNodes all = TreeOf(leaves);
  std::vector<Hash> roots;
  for (size_t n = 0; n <= 16; ++n) roots.push_back(RefMth(leaves, 0, n));
  const std::vector<std::pair<uint64_t, uint64_t>> cases = {
      {1, 2}, {1, 8}, {2, 5}, {4, 8}, {6, 8}, {6, 7}, {3, 16}, {7, 13}, {8, 16}, {15, 16}};
  for (const auto& [m, n] : cases) {
    SCOPED_TRACE("old " + std::to_string(m) + " new " + std::to_string(n));
    auto proof = consistency_proof(all, m, n);
    ASSERT_TRUE(proof.ok());
    ASSERT_TRUE(verify_consistency(m, n, roots[m], roots[n], *proof).ok());
    for (const auto& [what, tampered] : TamperedProofs(*proof)) {
      if (tampered == *proof) continue;
      ExpectCorruption(verify_consistency(m, n, roots[m], roots[n], tampered), what);
    }
    ExpectCorruption(verify_consistency(m, n, roots[n], roots[m], *proof), "swapped roots");
    for (size_t other = 0; other <= 16; ++other) {
      if (other != m) {
        ExpectCorruption(verify_consistency(m, n, roots[other], roots[n], *proof),
                         "old root of size " + std::to_string(other));
        if (other != 0) {  // size 0 is consistent with everything, with an empty proof
          ExpectCorruption(verify_consistency(other, n, roots[m], roots[n], *proof),
                           "old size changed to " + std::to_string(other) + " (same roots)");
          ExpectCorruption(verify_consistency(other, n, roots[other], roots[n], *proof),
                           "old size changed to " + std::to_string(other) + " (its own root)");
        }
      }
      if (other != n) {
        ExpectCorruption(verify_consistency(m, n, roots[m], roots[other], *proof),
                         "new root of size " + std::to_string(other));
        ExpectCorruption(verify_consistency(m, other, roots[m], roots[other], *proof),
                         "new size changed to " + std::to_string(other) + " (its own root)");
      }
    }
    // A changed new size with the same new root can pass (see
    // ProofsBindTheNewSizeOnlyThroughTheRoot), but never one whose tree is a level taller.
    ExpectCorruption(verify_consistency(m, n * 2 + 1, roots[m], roots[n], *proof),
                     "new size with a taller tree (same roots)");
  }
}

TEST(MerkleTamper, TrivialConsistencyCasesAcceptOnlyEmptyProofs) {
  const std::vector<Hash> leaves = NumberedLeaves(5);
  const Hash r5 = RefMth(leaves, 0, 5);
  const Hash r4 = RefMth(leaves, 0, 4);
  const std::vector<Hash> one = {r4};
  EXPECT_TRUE(verify_consistency(5, 5, r5, r5, {}).ok());
  ExpectCorruption(verify_consistency(5, 5, r4, r5, {}), "equal sizes, different roots");
  ExpectCorruption(verify_consistency(5, 5, r5, r5, one), "equal sizes, non-empty proof");
  EXPECT_TRUE(verify_consistency(0, 5, empty_tree_root(), r5, {}).ok());
  ExpectCorruption(verify_consistency(0, 5, empty_tree_root(), r5, one), "old size 0, non-empty");
  ExpectCorruption(verify_consistency(4, 5, r4, r5, {}), "empty proof for 4 -> 5");
  ExpectCorruption(verify_consistency(6, 5, r4, r5, one), "old size above new size");
  ExpectCorruption(verify_inclusion(leaves[0], 0, 0, {}, empty_tree_root()), "index 0 of size 0");
  ExpectCorruption(verify_inclusion(leaves[0], 0, 1, one, leaves[0]), "size 1, one extra hash");
}

// ---------------------------------------------------------------------------------------
// (d) The builder, its resumption, and the storage order of nodes.

TEST(MerkleTreeBuilder, NodePositionKnownAnswersArePostOrder) {
  // The tree of 8 leaves in post-order: leaves 0,1, their parent, leaves 2,3, parent, parent…
  EXPECT_EQ(node_position(0, 0), 0u);
  EXPECT_EQ(node_position(0, 1), 1u);
  EXPECT_EQ(node_position(1, 0), 2u);
  EXPECT_EQ(node_position(0, 2), 3u);
  EXPECT_EQ(node_position(0, 3), 4u);
  EXPECT_EQ(node_position(1, 1), 5u);
  EXPECT_EQ(node_position(2, 0), 6u);
  EXPECT_EQ(node_position(0, 4), 7u);
  EXPECT_EQ(node_position(3, 0), 14u);
  EXPECT_EQ(node_position(4, 0), 30u);
  // The last leaf of a 2^40 tree is followed by its 40 ancestors: 2·2^40 − 1 nodes in all.
  const uint64_t n = uint64_t{1} << 40;
  EXPECT_EQ(node_position(0, n - 1), 2 * n - 1 - 1 - 40);
  EXPECT_EQ(node_position(40, 0), 2 * n - 2);
}

TEST(MerkleTreeBuilder, SinkReportsNodesInPostOrderWithNoGaps) {
  TreeBuilder builder;
  std::vector<std::pair<uint8_t, uint64_t>> reported;
  const std::vector<Hash> leaves = NumberedLeaves(1030);
  for (const Hash& leaf : leaves) {
    builder.append(leaf, [&](uint8_t level, uint64_t index, const Hash& hash) {
      reported.emplace_back(level, index);
      // Every reported node is the hash of the complete subtree it names.
      const size_t width = size_t{1} << level;
      if (index * width + width <= 80) {
        EXPECT_EQ(hash, RefMth(leaves, index * width, index * width + width))
            << "level " << int{level} << " index " << index;
      }
    });
  }
  // 1030 leaves have 2·1030 − popcount(1030) complete nodes.
  ASSERT_EQ(reported.size(), 2 * 1030u - 3u);
  for (size_t i = 0; i < reported.size(); ++i) {
    ASSERT_EQ(node_position(reported[i].first, reported[i].second), i)
        << "level " << int{reported[i].first} << " index " << reported[i].second;
  }
}

TEST(MerkleTreeBuilder, ResumeAtEverySizeUpTo70MatchesAFreshBuilder) {
  const std::vector<Hash> leaves = NumberedLeaves(70);
  MemoryNodes all = TreeOf(leaves);
  TreeBuilder fresh;
  for (size_t n = 0; n <= 70; ++n) {
    if (n > 0) fresh.append(leaves[n - 1], [](uint8_t, uint64_t, const Hash&) {});
    auto resumed = TreeBuilder::resume(all, n);
    ASSERT_TRUE(resumed.ok()) << n;
    EXPECT_EQ(resumed->size(), n);
    EXPECT_EQ(resumed->root(), fresh.root()) << "size " << n;
    EXPECT_EQ(resumed->root(), RefMth(leaves, 0, n)) << "size " << n;
    // Continuing the resumed builder reaches the same final tree and reports the same nodes.
    MemoryNodes prefix = TreeOf(std::vector<Hash>(leaves.begin(), leaves.begin() + n));
    auto continued = TreeBuilder::resume(prefix, n);
    ASSERT_TRUE(continued.ok());
    std::vector<uint64_t> positions;
    for (size_t i = n; i < 70; ++i) {
      continued->append(leaves[i], [&](uint8_t level, uint64_t index, const Hash& hash) {
        positions.push_back(node_position(level, index));
        auto stored = all.node(level, index);
        ASSERT_TRUE(stored.ok());
        EXPECT_EQ(hash, *stored);
      });
    }
    EXPECT_EQ(continued->root(), all.root()) << "resumed at " << n;
    for (size_t i = 1; i < positions.size(); ++i) {
      ASSERT_EQ(positions[i], positions[i - 1] + 1) << "resumed at " << n;
    }
  }
}

TEST(MerkleTreeBuilder, ResumeFailsWhenAStoredNodeIsMissing) {
  MemoryNodes five = TreeOf(NumberedLeaves(5));
  auto resumed = TreeBuilder::resume(five, 6);
  ASSERT_FALSE(resumed.ok());
  EXPECT_EQ(resumed.error().code, Code::kNotFound);
}

// ---------------------------------------------------------------------------------------
// (e) Random trees.

TEST(MerkleRandomTrees, SampledProofsVerifyInTreesUpTo1000Leaves) {
  std::mt19937_64 rng(20240601);
  std::vector<Hash> leaves;
  for (size_t i = 0; i < 1000; ++i) {
    std::string data(rng() % 40, '\0');
    for (char& c : data) c = static_cast<char>(rng());
    leaves.push_back(leaf_hash(as_bytes(data)));
  }
  MemoryNodes all = TreeOf(leaves);
  EXPECT_EQ(all.root(), RefMth(leaves, 0, 1000));
  std::vector<uint64_t> sizes = {1, 2, 511, 512, 513, 999, 1000};
  for (int i = 0; i < 13; ++i) sizes.push_back(1 + rng() % 1000);
  for (uint64_t n : sizes) {
    const Hash root = RefMth(leaves, 0, n);
    auto got = tree_root(all, n);
    ASSERT_TRUE(got.ok());
    ASSERT_EQ(*got, root) << n;
    for (int s = 0; s < 20; ++s) {
      const uint64_t i = rng() % n;
      auto proof = inclusion_proof(all, i, n);
      ASSERT_TRUE(proof.ok());
      EXPECT_EQ(HexList(*proof), HexList(RefPath(leaves, i, 0, n))) << i << "/" << n;
      EXPECT_TRUE(verify_inclusion(leaves[i], i, n, *proof, root).ok()) << i << "/" << n;
      // The proof of leaf i is never a proof of leaf i+1.
      if (i + 1 < n) {
        EXPECT_FALSE(verify_inclusion(leaves[i + 1], i, n, *proof, root).ok()) << i << "/" << n;
      }

      const uint64_t m = rng() % (n + 1);
      auto cproof = consistency_proof(all, m, n);
      ASSERT_TRUE(cproof.ok());
      EXPECT_EQ(HexList(*cproof), HexList(RefConsistency(leaves, m, n))) << m << "->" << n;
      const Hash old_root = RefMth(leaves, 0, m);
      EXPECT_TRUE(verify_consistency(m, n, old_root, root, *cproof).ok()) << m << "->" << n;
      if (m > 0 && m < n) {
        Hash wrong = old_root;
        wrong[static_cast<size_t>(rng() % 32)] ^= 0x10;
        EXPECT_FALSE(verify_consistency(m, n, wrong, root, *cproof).ok()) << m << "->" << n;
      }
    }
  }
}

}  // namespace
}  // namespace closebook
