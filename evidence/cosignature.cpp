#include "evidence/cosignature.h"

#include <cstring>

namespace closebook {
namespace {

uint32_t be32(const uint8_t* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | uint32_t{p[3]};
}

}  // namespace

uint32_t cosigner_key_hash(std::string_view name, const PublicKey& key) {
  std::string material(name);
  material.push_back('\n');
  material.push_back(static_cast<char>(kAlgCosignatureV1));
  material.append(reinterpret_cast<const char*>(key.data()), key.size());
  return be32(sha256(material).data());
}

Result<CosignerKey> CosignerKey::parse(std::string_view vkey) {
  CB_TRY(VkeyParts parts, parse_vkey(vkey, kAlgCosignatureV1, cosigner_key_hash));
  return CosignerKey{std::move(parts.name), parts.hash, parts.key};
}

CosignerKey CosignerKey::of(const SigningKey& key) {
  return CosignerKey{key.name(), cosigner_key_hash(key.name(), key.public_key()), key.public_key()};
}

std::string CosignerKey::to_string() const { return format_vkey({name, hash, key}, kAlgCosignatureV1); }

std::string cosignature_message(std::string_view note_text, uint64_t timestamp) {
  return "cosignature/v1\ntime " + std::to_string(timestamp) + "\n" + std::string(note_text);
}

NoteSignature cosign(std::string_view note_text, const SigningKey& key, uint64_t timestamp) {
  const Signature64 sig = key.sign(as_bytes(cosignature_message(note_text, timestamp)));
  NoteSignature out;
  out.name = key.name();
  out.hash = cosigner_key_hash(key.name(), key.public_key());
  for (int shift = 56; shift >= 0; shift -= 8) out.signature.push_back(static_cast<char>((timestamp >> shift) & 0xff));
  out.signature.append(reinterpret_cast<const char*>(sig.data()), sig.size());
  return out;
}

Result<uint64_t> cosignature_time(const Note& note, const CosignerKey& key) {
  std::optional<uint64_t> found;
  for (const NoteSignature& s : note.signatures) {
    if (s.name != key.name || s.hash != key.hash) continue;
    if (found) return Error::corruption("two cosignatures by " + key.name);
    if (s.signature.size() != 8 + 64) return Error::corruption("the cosignature by " + key.name + " is not a timestamp and an Ed25519 signature");
    uint64_t timestamp = 0;
    for (size_t i = 0; i < 8; ++i) timestamp = timestamp << 8 | static_cast<uint8_t>(s.signature[i]);
    if (timestamp > uint64_t{INT64_MAX}) return Error::corruption("the cosignature by " + key.name + " has a timestamp past 2^63 - 1");
    Signature64 sig;
    std::memcpy(sig.data(), s.signature.data() + 8, 64);
    const VerifierKey ed{key.name, key.hash, key.key};
    if (!ed.verify(as_bytes(cosignature_message(note.text, timestamp)), sig)) {
      return Error::corruption("the cosignature by " + key.name + " does not verify");
    }
    found = timestamp;
  }
  if (!found) return Error::not_found("no cosignature by " + key.name);
  return *found;
}

}  // namespace closebook
