// C2SP tlog-cosignature (https://c2sp.org/tlog-cosignature), Ed25519 cosignature/v1: a
// witness's statement that, as of its timestamp, the checkpoint is the largest consistent tree
// it has seen of the log. A note signature line whose key hash is
//   SHA-256(name || "\n" || 0x04 || public key)[:4]
// and whose signature is u64be(timestamp) || Ed25519 signature over
//   "cosignature/v1\n" "time <timestamp>\n" <the checkpoint's note text>.
// A cosigner key is written as a vkey of signature type 0x04: "<name>+<hex8>+<base64(0x04 ||
// public key)>". docs/ledger.md §4.1; pure arithmetic, no I/O.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "evidence/note.h"
#include "evidence/result.h"

namespace closebook {

inline constexpr uint8_t kAlgCosignatureV1 = 0x04;

struct CosignerKey {
  std::string name;
  uint32_t hash = 0;
  PublicKey key{};

  static Result<CosignerKey> parse(std::string_view vkey);
  static CosignerKey of(const SigningKey& key);
  std::string to_string() const;
};

uint32_t cosigner_key_hash(std::string_view name, const PublicKey& key);

// The message a cosignature/v1 signs for a checkpoint's note text (ending in "\n").
std::string cosignature_message(std::string_view note_text, uint64_t timestamp);

// The cosignature line `key` makes for the note text at `timestamp` (POSIX seconds).
NoteSignature cosign(std::string_view note_text, const SigningKey& key, uint64_t timestamp);

// The timestamp of `key`'s valid cosignature on `note`: NotFound when the note has no line of
// that name and key hash, Corruption when it has one that does not verify (or two).
Result<uint64_t> cosignature_time(const Note& note, const CosignerKey& key);

}  // namespace closebook
