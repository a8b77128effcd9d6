// SHA-256 and RFC 6962 hashing (RFC 9162 §2.1.1), through OpenSSL's EVP interface.
// See docs/ledger.md §3.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "evidence/result.h"

namespace closebook {

using Hash = std::array<uint8_t, 32>;
using Bytes = std::span<const uint8_t>;

// Domain-separation prefixes of RFC 6962 §2.1 / RFC 9162 §2.1.1: a leaf can never be
// confused with an interior node (second-preimage resistance).
inline constexpr uint8_t kLeafPrefix = 0x00;
inline constexpr uint8_t kNodePrefix = 0x01;

Hash sha256(Bytes data);
Hash sha256(std::string_view data);
// SHA-256(0x00 || entry): the hash of a ledger entry and of its Merkle leaf.
Hash leaf_hash(Bytes entry);
// SHA-256(0x01 || left || right).
Hash node_hash(const Hash& left, const Hash& right);
// HMAC-SHA256 (RFC 2104) of `message` under `key`: the ledger derives entry salts with it
// (docs/ledger.md §2.1).
Hash hmac_sha256(Bytes key, std::string_view message);
// SHA-256 of the empty string: the root of the empty tree (RFC 9162 §2.1.1).
Hash empty_tree_root();

// Lowercase hex, as the log interface prints hashes.
std::string to_hex(Bytes bytes);
inline std::string to_hex(const Hash& h) { return to_hex(Bytes(h)); }
// Standard base64 with padding (RFC 4648 §4), as C2SP notes and bundles use.
std::string to_base64(Bytes bytes);
// Strict decoders: no whitespace, no missing padding, no trailing garbage.
Result<std::string> from_base64(std::string_view text);
Result<std::string> from_hex(std::string_view text);
Result<Hash> hash_from_hex(std::string_view text);
Result<Hash> hash_from_base64(std::string_view text);

inline Bytes as_bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

}  // namespace closebook
