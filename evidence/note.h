// C2SP signed-note (https://c2sp.org/signed-note) with Ed25519 keys, and the key types the
// product signs with. See docs/ledger.md §4.
//
// A note is UTF-8 text ending in "\n" (it may contain blank lines), then a blank line, then one
// line per signature:
//   "— <key name> <base64(key hash (4 bytes, big-endian) || Ed25519 signature (64 bytes))>\n"
// The key hash is the first 4 bytes of SHA-256(name || "\n" || 0x01 || public key); 0x01 is the
// Ed25519 signature type. A verifier key is written "<name>+<hex8 key hash>+<base64(0x01 ||
// public key)>". The format is Go's golang.org/x/mod/sumdb/note, which our interop test uses.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "evidence/hash.h"
#include "evidence/result.h"

namespace closebook {

using PublicKey = std::array<uint8_t, 32>;
using Signature64 = std::array<uint8_t, 64>;

inline constexpr uint8_t kAlgEd25519 = 0x01;
inline constexpr size_t kNoteSignaturesMax = 100;  // as Go's note package
inline constexpr size_t kNoteBytesMax = 1 << 20;

// A key name is non-empty valid UTF-8 with no white space, no control character and no '+'
// (C2SP signed-note; Go's note package refuses the same).
Status check_key_name(std::string_view name);
uint32_t key_hash(std::string_view name, const PublicKey& key);
// The full SHA-256 behind key_hash: the key id recorded as an entry's author.
Hash key_id(std::string_view name, const PublicKey& key);

// A verifier key's text, "<name>+<hex8 key hash>+<base64(alg || 32-byte public key)>", for a
// signature type `alg` whose key hash `hash_of` computes (C2SP signed-note "Verifier keys").
struct VkeyParts {
  std::string name;
  uint32_t hash = 0;
  PublicKey key{};
};
using KeyHashOf = uint32_t (*)(std::string_view name, const PublicKey& key);
Result<VkeyParts> parse_vkey(std::string_view text, uint8_t alg, KeyHashOf hash_of);
std::string format_vkey(const VkeyParts& parts, uint8_t alg);

struct VerifierKey {
  std::string name;
  uint32_t hash = 0;
  PublicKey key{};

  static Result<VerifierKey> parse(std::string_view text);
  std::string to_string() const;
  Hash id() const { return key_id(name, key); }
  // Ed25519 verification of a detached signature.
  bool verify(Bytes message, const Signature64& signature) const;
};

// An Ed25519 signing key in memory. The secret is wiped when the object dies.
class SigningKey {
 public:
  static Result<SigningKey> generate(std::string name);
  // From the 32-byte Ed25519 seed (RFC 8032 private key).
  static Result<SigningKey> from_seed(std::string name, Bytes seed);
  SigningKey(SigningKey&& other) noexcept;
  SigningKey& operator=(SigningKey&& other) noexcept;
  SigningKey(const SigningKey&) = delete;
  SigningKey& operator=(const SigningKey&) = delete;
  ~SigningKey();

  const std::string& name() const { return name_; }
  const PublicKey& public_key() const { return public_; }
  VerifierKey verifier() const;
  Hash id() const { return key_id(name_, public_); }
  Signature64 sign(Bytes message) const;
  // The 32-byte seed, for sealing into a key file. Callers must wipe their copy.
  std::array<uint8_t, 32> seed() const;

 private:
  SigningKey() = default;
  void wipe();
  std::string name_;
  PublicKey public_{};
  std::array<uint8_t, 64> secret_{};  // libsodium layout: seed || public key
};

struct NoteSignature {
  std::string name;
  uint32_t hash = 0;
  std::string signature;  // raw bytes after the key hash: 64 for Ed25519
  // False if the line's base64 had non-zero unused bits (read as Go reads it): tolerated on
  // other keys' lines, refused on the trusted key's own (verify_note).
  bool canonical = true;
  std::string line() const;  // "— name base64\n", always canonical
};

struct Note {
  std::string text;  // ends in "\n"
  std::vector<NoteSignature> signatures;

  // The whole signed note: text, "\n", signature lines.
  std::string to_string() const;
};

Status check_note_text(std::string_view text);
NoteSignature sign_note_text(std::string_view text, const SigningKey& key);
// Parses a signed note as Go's note.Open does (see the comment in note.cpp): a line that is
// not a well-formed signature line makes the note malformed, whoever's it is; a well-formed
// line of any key is kept, for verify_note to check or ignore. Does not verify signatures.
// Note::to_string() of the result writes each signature in canonical base64.
Result<Note> parse_note(std::string_view signed_note);
// Ok if `key` made a valid signature of the note's text, on exactly one line in canonical
// base64; Corruption otherwise. Other keys' signatures are ignored, as C2SP says a verifier
// should.
Status verify_note(const Note& note, const VerifierKey& key);

}  // namespace closebook
