// RFC 6962 / RFC 9162 Merkle tree known-answer test vectors (SHA-256).
//
// Hashing: leaf hash  = SHA-256(0x00 || data)
//          node hash  = SHA-256(0x01 || left || right)
//          empty tree = SHA-256("")                       (MTH({}), no prefix)
// Proof hash lists are in RFC 6962 §2.1.1/§2.1.2 = RFC 9162 §2.1.3/§2.1.4
// order: the hash nearest the leaf (inclusion) / nearest the old subtree
// (consistency) first, the hash combined last at the top of the tree last.
// All hashes are lowercase hex, 64 characters.
//
// SOURCES (public; values copied verbatim, then re-verified — see below):
//
//  [CT]  google/certificate-transparency, cpp/merkletree/merkle_tree_test.cc
//        (stored version at commit 0e901cacd1388fa16f78b184612f6cd16e5ceec1):
//        kSHA256EmptyTreeHash, kInputs[8], kSHA256Roots[8],
//        kSHA256Paths[6] (inclusion; 1-based leaf numbers),
//        kSHA256Proofs[4] (consistency).
//  [TD]  transparency-dev/merkle, proof/verify_test.go
//        (stored version at commit 02194e9afb6c1d95b5381350007963aa70fff472):
//        sha256EmptyTreeHash, leaves, roots, inclusionProofs (same as [CT];
//        1-based leaf numbers: the test calls VerifyInclusion(p.leaf-1, ...)),
//        consistencyProofs (the 4 of [CT] plus {6, 7}).
//        The same data, with 0-based "leafIdx", appears as base64 JSON in
//        transparency-dev/merkle testdata/inclusion/<n>/happy-path.json and
//        testdata/consistency/<n>/happy-path.json (e.g. inclusion/1: leafIdx 0,
//        treeSize 8, leafHash "bjQLnP+z..." = 6e340b9c...).
//  [TDH] transparency-dev/merkle, rfc6962/rfc6962_test.go
//        (stored version at commit 78493b07ef9b552e3379abf9e23d4da26fbe797c):
//        TestRFC6962Hasher: empty root, empty-leaf hash, HashLeaf("L123456"),
//        HashChildren("N123", "N456").
//
// COMPUTED (not printed in the sources): kCtLeafHashes[] for leaves 2,3,5,7
// (leaves 0,1,4,6 also appear in the sources as proof elements/roots, noted
// per entry). Computed with SHA-256(0x00 || data).
//
// VERIFICATION (throwaway programs, not committed): every value was
//  - re-derived by an independent RFC 6962 implementation (python3 hashlib;
//    MTH, PATH and PROOF exactly as in RFC 6962 §2.1) from the source values;
//  - re-checked from THIS header by a C++20 program (OpenSSL SHA-256) that
//    recomputes leaves/roots and runs the RFC 9162 §2.1.3.2 / §2.1.4.2
//    verification algorithms on every proof;
//  - reproduced by golang.org/x/mod/sumdb/tlog 0.7.0 (TreeHash,
//    ProveRecord, ProveTree give the same roots and the same proof lists
//    element by element; CheckRecord/CheckTree accept them).
//
// INDEXING: the sources number leaves from 1 in their inclusion vectors; the
// vectors here use 0-BASED leaf indexes (RFC 9162 / tlog convention). The
// source's "leaf 0, size 0" entry (an intentionally invalid path) is omitted.

#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace closebook::testvectors {

// SHA-256("") — the RFC 6962 root of the empty tree.  [CT] kSHA256EmptyTreeHash,
// [TD] sha256EmptyTreeHash, [TDH] "RFC6962 Empty".
inline constexpr std::string_view kEmptyTreeRootHex =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

// The 8 standard CT test leaves.  [CT] kInputs, [TD] leaves.
// Raw bytes (explicit lengths: leaf 0 is empty, leaf 1 is a single NUL byte).
inline constexpr std::array<std::string_view, 8> kCtLeaves = {
    std::string_view{"", 0},
    std::string_view{"\x00", 1},
    std::string_view{"\x10", 1},
    std::string_view{"\x20\x21", 2},
    std::string_view{"\x30\x31", 2},
    std::string_view{"\x40\x41\x42\x43", 4},
    std::string_view{"\x50\x51\x52\x53\x54\x55\x56\x57", 8},
    std::string_view{"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f", 16},
};

// The same leaves as hex, exactly as written in [CT] kInputs / [TD] leaves.
inline constexpr std::array<std::string_view, 8> kCtLeavesHex = {
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
};

// Leaf hashes SHA-256(0x00 || leaf).  See "COMPUTED" above.
inline constexpr std::array<std::string_view, 8> kCtLeafHashes = {
    // leaf 0 (empty): = [CT]/[TD] root of size 1; [TDH] "RFC6962 Empty Leaf".
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    // leaf 1: appears as path[0] of the (index 0, size 8) inclusion proof.
    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
    // leaf 2: computed.
    "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
    // leaf 3: computed.
    "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
    // leaf 4: appears as path[0] of the (index 5, size 8) inclusion proof.
    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    // leaf 5: computed.
    "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
    // leaf 6: appears as proof[1] of the (6 -> 7) consistency proof [TD].
    "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
    // leaf 7: computed.
    "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
};

// Roots of the trees made of the first n leaves, n = 1..8 (index n-1).
// [CT] kSHA256Roots, [TD] roots.  Size 0: kEmptyTreeRootHex.
inline constexpr std::array<std::string_view, 8> kCtRoots = {
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",  // size 1
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",  // size 2
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",  // size 3
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",  // size 4
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",  // size 5
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",  // size 6
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",  // size 7
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",  // size 8
};

// Root for tree size n in 0..8 (n == 0 gives the empty-tree root).
constexpr std::string_view CtRootForSize(std::size_t n) {
  return n == 0 ? kEmptyTreeRootHex : kCtRoots[n - 1];
}

// ---------------------------------------------------------------------------
// Inclusion proofs (audit paths).  [CT] kSHA256Paths[1..5], [TD]
// inclusionProofs[1..5]; leaf numbers converted from 1-based to 0-based.
// Verify against kCtLeafHashes[leaf_index] and CtRootForSize(tree_size).

inline constexpr std::array<std::string_view, 3> kInclusionPath_0_8 = {
    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
};
inline constexpr std::array<std::string_view, 3> kInclusionPath_5_8 = {
    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
};
inline constexpr std::array<std::string_view, 1> kInclusionPath_2_3 = {
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
};
inline constexpr std::array<std::string_view, 3> kInclusionPath_1_5 = {
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
};

struct InclusionVector {
  std::uint64_t leaf_index;  // 0-based
  std::uint64_t tree_size;
  std::span<const std::string_view> path;  // hex, bottom to top
};

inline constexpr std::array<InclusionVector, 5> kCtInclusionProofs = {{
    {0, 1, {}},                   // source: {1, 1, nil}
    {0, 8, kInclusionPath_0_8},  // source: {1, 8, ...}
    {5, 8, kInclusionPath_5_8},  // source: {6, 8, ...}
    {2, 3, kInclusionPath_2_3},  // source: {3, 3, ...}
    {1, 5, kInclusionPath_1_5},  // source: {2, 5, ...}
}};

// ---------------------------------------------------------------------------
// Consistency proofs.  [CT] kSHA256Proofs[0..3] = [TD] consistencyProofs[0..3];
// the (6 -> 7) proof is only in [TD] consistencyProofs[4].
// Verify against CtRootForSize(old_size) and CtRootForSize(new_size).

inline constexpr std::array<std::string_view, 3> kConsistencyProof_1_8 = {
    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
};
inline constexpr std::array<std::string_view, 3> kConsistencyProof_6_8 = {
    "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
    "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
};
inline constexpr std::array<std::string_view, 2> kConsistencyProof_2_5 = {
    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
};
inline constexpr std::array<std::string_view, 3> kConsistencyProof_6_7 = {
    "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
    "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
};

struct ConsistencyVector {
  std::uint64_t old_size;
  std::uint64_t new_size;
  std::span<const std::string_view> proof;  // hex
};

inline constexpr std::array<ConsistencyVector, 5> kCtConsistencyProofs = {{
    {1, 1, {}},
    {1, 8, kConsistencyProof_1_8},
    {6, 8, kConsistencyProof_6_8},
    {2, 5, kConsistencyProof_2_5},
    {6, 7, kConsistencyProof_6_7},  // [TD] only
}};

// ---------------------------------------------------------------------------
// Hasher primitives.  [TDH] TestRFC6962Hasher.

// HashLeaf("L123456") = SHA-256(0x00 || "L123456").
inline constexpr std::string_view kHashLeafL123456Input = "L123456";
inline constexpr std::string_view kHashLeafL123456Hex =
    "395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56";

// HashChildren("N123", "N456") = SHA-256(0x01 || "N123" || "N456").
// (Raw 4-byte strings as children, not 32-byte hashes: tests a generic
// byte-string node hasher.)
inline constexpr std::string_view kHashChildrenLeftInput = "N123";
inline constexpr std::string_view kHashChildrenRightInput = "N456";
inline constexpr std::string_view kHashChildrenHex =
    "aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb";

}  // namespace closebook::testvectors
