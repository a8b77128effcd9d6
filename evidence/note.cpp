#include "evidence/note.h"

#include <sodium.h>

#include <cassert>
#include <cstring>

namespace closebook {
namespace {

constexpr std::string_view kSigPrefix = "\xE2\x80\x94 ";  // U+2014 EM DASH, then a space

bool is_ascii_space(unsigned char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

// Unicode white space that can appear in UTF-8 text (U+0085, U+00A0, U+1680, U+2000–U+200A,
// U+2028, U+2029, U+202F, U+205F, U+3000), which Go's unicode.IsSpace also refuses in names.
bool has_unicode_space(std::string_view s) {
  for (size_t i = 0; i + 1 < s.size(); ++i) {
    const auto c0 = static_cast<unsigned char>(s[i]);
    const auto c1 = static_cast<unsigned char>(s[i + 1]);
    if (c0 == 0xC2 && (c1 == 0x85 || c1 == 0xA0)) return true;
    if (i + 2 >= s.size()) continue;
    const auto c2 = static_cast<unsigned char>(s[i + 2]);
    if (c0 == 0xE1 && c1 == 0x9A && c2 == 0x80) return true;
    if (c0 == 0xE2 && c1 == 0x80 && (c2 <= 0x8A || c2 == 0xA8 || c2 == 0xA9 || c2 == 0xAF)) {
      return true;
    }
    if (c0 == 0xE2 && c1 == 0x81 && c2 == 0x9F) return true;
    if (c0 == 0xE3 && c1 == 0x80 && c2 == 0x80) return true;
  }
  return false;
}

bool valid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t extra = 0;
    uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      extra = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + extra >= s.size()) return false;  // truncated sequence
    for (size_t k = 1; k <= extra; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = cp << 6 | (cc & 0x3F);
    }
    const bool overlong = (extra == 1 && cp < 0x80) || (extra == 2 && cp < 0x800) ||
                          (extra == 3 && cp < 0x10000);
    const bool surrogate = cp >= 0xD800 && cp <= 0xDFFF;
    if (overlong || surrogate || cp > 0x10FFFF) return false;
    i += extra + 1;
  }
  return true;
}

uint32_t read_be32(const uint8_t* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | uint32_t{p[3]};
}

// Which signature lines make a note malformed, and which are merely someone else's.
//
// C2SP signed-note (c2sp.org/signed-note, "Format" and "Signatures"): a signature line is
// "em dash, space, key name, space, base64-encoded signature, newline"; "Key names MUST be
// non-empty and MUST NOT contain any Unicode spaces or plus (U+002B) characters"; a signature
// is "the base64 encoding of 4+n bytes", the key ID then the signature; and "Verifiers MUST
// ignore signatures from unknown keys, even if they share a name or ID (but not both) with a
// known key". Go's golang.org/x/mod/sumdb/note Open (x/mod v0.7.0, note.go) is the reference
// we interoperate with, and on every line but the trusted key's own we match it exactly:
//   - a line without the "— " prefix, without a space after the name, with an invalid name
//     (isValidName: non-empty, valid UTF-8, no unicode.IsSpace, no '+'), with an empty or
//     undecodable base64 part, or decoding to fewer than 5 bytes makes the whole note
//     malformed — whoever's line it is (errMalformedNote);
//   - a well-formed line whose (name, key hash) is not a known key's is collected in
//     UnverifiedSigs and otherwise ignored, whatever its signature bytes are: verify_note
//     skips it.
// So only well-formed lines of unknown keys are ignored; what Go refuses stays refused. Two
// details where an earlier, stricter parse refused notes Go accepts (a witness's line must
// not make us refuse a checkpoint Go verifies; tests: NoteParse.
// AcceptsWitnessLinesGoAccepts and the witness cases of tests/interop/run.sh):
//   - DEL (U+007F) in a key name: neither the spec nor isValidName forbids it (control
//     characters below U+0020 are refused for the whole note, by the spec and by Open);
//   - non-zero unused bits in the base64's last symbol before the padding: Go's
//     base64.StdEncoding (not Strict) ignores them, as RFC 4648 §3.5 allows.
// A line that is well-formed but claims the trusted key is never ignored: verify_note checks
// it (the spec: "If the key name and ID match a known key, verifiers MUST verify"). Where we
// are deliberately stricter than Go, only ever on the trusted key's own lines: two of them
// are refused as ambiguous (Go verifies the first and skips the rest), and one whose base64
// is not canonical is refused (RFC 4648 §3.5 lets a decoder reject non-zero pad bits; Go
// ignores them). The signed evidence then has one byte form: no byte of a checkpoint the
// trusted key vouches for can change and still verify (BundleTest.
// EverySingleByteChangeToABundleIsRejected; NoteVerify.RefusesANonCanonicalTrustedLine).
// No honest signer writes such lines: Go's encoder and ours write canonical base64.

// Go's isValidName, plus Open's rule that the note holds no control character below U+0020
// other than newline (which cannot occur inside a line). Unlike check_key_name (the rule for
// keys closebook makes or is given), DEL is allowed.
// Go's isValidName: not empty, UTF-8, no '+' and no white space; and no control character
// below U+0020 (plus DEL when `refuse_del`).
Status check_name(std::string_view name, bool refuse_del) {
  if (name.empty()) return Error::invalid("key name is empty");
  if (!valid_utf8(name)) return Error::invalid("key name is not valid UTF-8");
  for (char c : name) {
    if (c == '+') return Error::invalid("key name contains '+'");
    if (is_ascii_space(static_cast<unsigned char>(c))) {
      return Error::invalid("key name contains white space");
    }
    const bool control = static_cast<unsigned char>(c) < 0x20 || (refuse_del && c == 0x7F);
    if (control) return Error::invalid("key name contains a control character");
  }
  if (has_unicode_space(name)) return Error::invalid("key name contains white space");
  return {};
}

Status check_signature_name(std::string_view name) { return check_name(name, /*refuse_del=*/false); }

// Go's base64.StdEncoding.DecodeString: RFC 4648 §4, padding required, but the unused low
// bits of the last symbol before the padding are ignored rather than refused. libsodium
// refuses them, so they are cleared first (and `canonical` says whether any were set);
// anything else malformed still fails.
Result<std::string> signature_from_base64(std::string_view text, bool& canonical) {
  static constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string copy(text);
  canonical = true;
  const size_t pad = copy.ends_with("==") ? 2 : copy.ends_with("=") ? 1 : 0;
  if (pad > 0 && copy.size() > pad) {
    char& last = copy[copy.size() - pad - 1];
    const size_t value = kAlphabet.find(last);
    // One byte in the final quantum leaves 4 bits of its second symbol unused, two bytes 2.
    if (value != std::string_view::npos) {
      const char cleared = kAlphabet[value & (pad == 2 ? 0x30u : 0x3Cu)];
      canonical = cleared == last;
      last = cleared;
    }
  }
  return from_base64(copy);
}

Result<NoteSignature> parse_signature_line(std::string_view line) {
  if (line.substr(0, kSigPrefix.size()) != kSigPrefix) {
    return Error::invalid("signature line does not start with \"— \"");
  }
  line.remove_prefix(kSigPrefix.size());
  const size_t space = line.find(' ');
  if (space == std::string_view::npos) return Error::invalid("signature line has no signature");
  NoteSignature sig;
  sig.name = std::string(line.substr(0, space));
  CB_CHECK(check_signature_name(sig.name));
  CB_TRY(std::string raw, signature_from_base64(line.substr(space + 1), sig.canonical));
  // Signatures of other algorithms may be longer; they are carried along untouched and only
  // ever verified against a key of their own type.
  if (raw.size() < 5) return Error::invalid("signature is shorter than a key hash");
  sig.hash = read_be32(reinterpret_cast<const uint8_t*>(raw.data()));
  sig.signature = raw.substr(4);
  return sig;
}

}  // namespace

Status check_key_name(std::string_view name) { return check_name(name, /*refuse_del=*/true); }

Hash key_id(std::string_view name, const PublicKey& key) {
  std::string material(name);
  material.push_back('\n');
  material.push_back(static_cast<char>(kAlgEd25519));
  material.append(reinterpret_cast<const char*>(key.data()), key.size());
  return sha256(material);
}

uint32_t key_hash(std::string_view name, const PublicKey& key) {
  return read_be32(key_id(name, key).data());
}

Result<VkeyParts> parse_vkey(std::string_view text, uint8_t alg, KeyHashOf hash_of) {
  const size_t plus1 = text.find('+');
  const size_t plus2 = plus1 == std::string_view::npos ? plus1 : text.find('+', plus1 + 1);
  if (plus2 == std::string_view::npos) {
    return Error::invalid("a verifier key has the form <name>+<hex8>+<base64 key>");
  }
  VkeyParts vk;
  vk.name = std::string(text.substr(0, plus1));
  CB_CHECK(check_key_name(vk.name));
  const std::string_view hash_hex = text.substr(plus1 + 1, plus2 - plus1 - 1);
  CB_TRY(std::string hash_raw, from_hex(hash_hex));
  if (hash_raw.size() != 4) return Error::invalid("verifier key hash must be 8 hex digits");
  vk.hash = read_be32(reinterpret_cast<const uint8_t*>(hash_raw.data()));
  CB_TRY(std::string key_raw, from_base64(text.substr(plus2 + 1)));
  if (key_raw.size() != 33 || static_cast<uint8_t>(key_raw[0]) != alg) {
    char type[8];
    std::snprintf(type, sizeof type, "0x%02x", alg);
    return Error::invalid(std::string("not a key of signature type ") + type + " (" +
                          (alg == kAlgEd25519 ? "Ed25519" : "Ed25519 cosignature/v1") + ", 32 bytes)");
  }
  std::memcpy(vk.key.data(), key_raw.data() + 1, 32);
  if (hash_of(vk.name, vk.key) != vk.hash) {
    return Error::invalid("verifier key hash does not match its name and key");
  }
  return vk;
}

std::string format_vkey(const VkeyParts& parts, uint8_t alg) {
  char hex[9];
  std::snprintf(hex, sizeof hex, "%08x", parts.hash);
  std::string raw(1, static_cast<char>(alg));
  raw.append(reinterpret_cast<const char*>(parts.key.data()), parts.key.size());
  return parts.name + "+" + hex + "+" + to_base64(as_bytes(raw));
}

Result<VerifierKey> VerifierKey::parse(std::string_view text) {
  CB_TRY(VkeyParts parts, parse_vkey(text, kAlgEd25519, key_hash));
  return VerifierKey{std::move(parts.name), parts.hash, parts.key};
}

std::string VerifierKey::to_string() const { return format_vkey({name, hash, key}, kAlgEd25519); }

bool VerifierKey::verify(Bytes message, const Signature64& signature) const {
  return crypto_sign_verify_detached(signature.data(), message.data(), message.size(),
                                     key.data()) == 0;
}

Result<SigningKey> SigningKey::generate(std::string name) {
  std::array<uint8_t, 32> seed;
  randombytes_buf(seed.data(), seed.size());
  auto key = from_seed(std::move(name), Bytes(seed));
  sodium_memzero(seed.data(), seed.size());
  return key;
}

Result<SigningKey> SigningKey::from_seed(std::string name, Bytes seed) {
  CB_CHECK(check_key_name(name));
  if (seed.size() != crypto_sign_SEEDBYTES) return Error::invalid("an Ed25519 seed is 32 bytes");
  SigningKey key;
  key.name_ = std::move(name);
  crypto_sign_seed_keypair(key.public_.data(), key.secret_.data(), seed.data());
  return key;
}

SigningKey::SigningKey(SigningKey&& other) noexcept
    : name_(std::move(other.name_)), public_(other.public_), secret_(other.secret_) {
  other.wipe();
}

SigningKey& SigningKey::operator=(SigningKey&& other) noexcept {
  if (this != &other) {
    wipe();
    name_ = std::move(other.name_);
    public_ = other.public_;
    secret_ = other.secret_;
    other.wipe();
  }
  return *this;
}

SigningKey::~SigningKey() { wipe(); }
void SigningKey::wipe() { sodium_memzero(secret_.data(), secret_.size()); }

VerifierKey SigningKey::verifier() const {
  return VerifierKey{name_, key_hash(name_, public_), public_};
}

Signature64 SigningKey::sign(Bytes message) const {
  Signature64 sig;
  crypto_sign_detached(sig.data(), nullptr, message.data(), message.size(), secret_.data());
  return sig;
}

std::array<uint8_t, 32> SigningKey::seed() const {
  std::array<uint8_t, 32> seed;
  std::memcpy(seed.data(), secret_.data(), seed.size());
  return seed;
}

std::string NoteSignature::line() const {
  std::string raw(4, '\0');
  raw[0] = static_cast<char>(hash >> 24);
  raw[1] = static_cast<char>(hash >> 16);
  raw[2] = static_cast<char>(hash >> 8);
  raw[3] = static_cast<char>(hash);
  raw += signature;
  return std::string(kSigPrefix) + name + " " + to_base64(as_bytes(raw)) + "\n";
}

std::string Note::to_string() const {
  std::string out = text + "\n";
  for (const NoteSignature& sig : signatures) out += sig.line();
  return out;
}

Status check_note_text(std::string_view text) {
  if (text.empty() || text.back() != '\n') return Error::invalid("note text must end in a newline");
  if (text.size() > kNoteBytesMax) return Error::invalid("note is larger than 1 MiB");
  if (!valid_utf8(text)) return Error::invalid("note text is not valid UTF-8");
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\n') || u == 0x7F) {
      return Error::invalid("note text contains a control character");
    }
  }
  return {};
}

NoteSignature sign_note_text(std::string_view text, const SigningKey& key) {
  assert(check_note_text(text).ok());
  const Signature64 sig = key.sign(as_bytes(text));
  return NoteSignature{key.name(), key_hash(key.name(), key.public_key()),
                       std::string(reinterpret_cast<const char*>(sig.data()), sig.size())};
}

Result<Note> parse_note(std::string_view signed_note) {
  if (signed_note.size() > kNoteBytesMax) return Error::invalid("note is larger than 1 MiB");
  // The signature block follows the last blank line; the text itself may contain blank lines.
  const size_t split = signed_note.rfind("\n\n");
  if (split == std::string_view::npos) return Error::invalid("note has no signature block");
  Note note;
  note.text = std::string(signed_note.substr(0, split + 1));
  CB_CHECK(check_note_text(note.text));
  std::string_view sigs = signed_note.substr(split + 2);
  if (sigs.empty() || sigs.back() != '\n') {
    return Error::invalid("note signatures must end in a newline");
  }
  while (!sigs.empty()) {
    if (note.signatures.size() == kNoteSignaturesMax) {
      return Error::invalid("note has more than 100 signatures");
    }
    const size_t eol = sigs.find('\n');
    auto sig = parse_signature_line(sigs.substr(0, eol));
    if (!sig.ok()) {
      return Error::invalid("note signature line " + std::to_string(note.signatures.size() + 1) +
                            ": " + sig.error().message);
    }
    note.signatures.push_back(std::move(sig).value());
    sigs.remove_prefix(eol + 1);
  }
  return note;
}

Status verify_note(const Note& note, const VerifierKey& key) {
  const NoteSignature* mine = nullptr;
  for (const NoteSignature& sig : note.signatures) {
    if (sig.name != key.name || sig.hash != key.hash) continue;  // other keys: ignored (C2SP)
    // Two lines for the trusted key are ambiguous: refuse rather than pick one.
    if (mine != nullptr) return Error::corruption("note carries two signatures by key " + key.name);
    mine = &sig;
  }
  if (mine == nullptr) return Error::corruption("note has no signature by key " + key.name);
  if (!mine->canonical) {
    return Error::corruption("the signature line of key " + key.name +
                             " is not canonical base64 (non-zero bits after its last byte)");
  }
  Signature64 ed25519{};
  const bool well_formed = mine->signature.size() == ed25519.size();
  if (well_formed) std::memcpy(ed25519.data(), mine->signature.data(), ed25519.size());
  if (!well_formed || !key.verify(as_bytes(note.text), ed25519)) {
    return Error::corruption("signature by " + key.name + " does not verify");
  }
  return {};
}

}  // namespace closebook
