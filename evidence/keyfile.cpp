#include "evidence/keyfile.h"

#include <sodium.h>

#include <array>
#include <cstring>
#include <nlohmann/json.hpp>

#include "evidence/hash.h"

namespace closebook {
namespace {

constexpr std::string_view kFormat = "closebook-secret-key-v1";
// Upper bounds on what a key file may ask of us, so a hostile file cannot make us spend
// minutes or gigabytes deriving a key.
constexpr unsigned long long kOpsLimitMax = 16;
constexpr size_t kMemLimitMax = size_t{1} << 30;

using SecretKey = std::array<uint8_t, crypto_secretbox_KEYBYTES>;

// The sealed plaintext is seed (32 bytes) || binding (32 bytes): the binding ties the key's
// name to the box, so whoever can edit the file cannot rename the key without the passphrase.
constexpr size_t kPlainBytes = 64;
constexpr size_t kBoxBytes = kPlainBytes + crypto_secretbox_MACBYTES;

Hash name_binding(std::string_view name) {
  return sha256(std::string(kFormat) + "\n" + std::string(name));
}

Status derive_key(std::string_view passphrase, Bytes salt, KdfCost cost, SecretKey& out) {
  if (salt.size() != crypto_pwhash_SALTBYTES) return Error::invalid("key file salt has a wrong size");
  const int rc = crypto_pwhash(out.data(), out.size(), passphrase.data(), passphrase.size(),
                               salt.data(), cost.opslimit, cost.memlimit,
                               crypto_pwhash_ALG_ARGON2ID13);
  if (rc != 0) return Error::io("Argon2id ran out of memory");
  return {};
}

// A string member, or "" when it is absent or not a string (never throws).
std::string string_field(const nlohmann::json& obj, const char* name) {
  auto it = obj.find(name);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

Result<std::string> b64_field(const nlohmann::json& obj, const char* name) {
  auto it = obj.find(name);
  if (it == obj.end() || !it->is_string()) {
    return Error::invalid(std::string("key file has no string field \"") + name + "\"");
  }
  return from_base64(it->get<std::string>());
}

}  // namespace

KdfCost default_kdf_cost() {
  return {crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE};
}

Result<std::string> seal_signing_key(const SigningKey& key, std::string_view passphrase,
                                     KdfCost cost) {
  if (passphrase.size() < kPassphraseBytesMin) {
    return Error::invalid("the passphrase must have at least 8 characters");
  }
  if (passphrase.size() > kPassphraseBytesMax) return Error::invalid("the passphrase is too long");
  std::array<uint8_t, crypto_pwhash_SALTBYTES> salt;
  std::array<uint8_t, crypto_secretbox_NONCEBYTES> nonce;
  randombytes_buf(salt.data(), salt.size());
  randombytes_buf(nonce.data(), nonce.size());
  SecretKey box_key;
  CB_CHECK(derive_key(passphrase, Bytes(salt), cost, box_key));
  std::array<uint8_t, kPlainBytes> plain;
  const std::array<uint8_t, 32> seed = key.seed();
  const Hash binding = name_binding(key.name());
  std::copy(seed.begin(), seed.end(), plain.begin());
  std::copy(binding.begin(), binding.end(), plain.begin() + 32);
  sodium_memzero(const_cast<uint8_t*>(seed.data()), seed.size());
  std::array<uint8_t, kBoxBytes> box;
  crypto_secretbox_easy(box.data(), plain.data(), plain.size(), nonce.data(), box_key.data());
  sodium_memzero(plain.data(), plain.size());
  sodium_memzero(box_key.data(), box_key.size());

  nlohmann::ordered_json doc;
  doc["format"] = kFormat;
  doc["name"] = key.name();
  doc["verifier_key"] = key.verifier().to_string();
  doc["kdf"] = {{"algorithm", "argon2id13"},
                {"opslimit", cost.opslimit},
                {"memlimit", cost.memlimit},
                {"salt", to_base64(Bytes(salt))}};
  doc["cipher"] = {{"algorithm", "xsalsa20poly1305"},
                   {"nonce", to_base64(Bytes(nonce))},
                   {"box", to_base64(Bytes(box))}};
  return doc.dump(2) + "\n";
}

Result<SigningKey> open_signing_key(std::string_view file_text, std::string_view passphrase) {
  if (file_text.size() > kKeyFileBytesMax) return Error::invalid("key file is too large");
  const nlohmann::json doc = nlohmann::json::parse(file_text, nullptr, /*allow_exceptions=*/false);
  const bool shaped = doc.is_object() && string_field(doc, "format") == kFormat &&
                      doc.contains("kdf") && doc["kdf"].is_object() && doc.contains("cipher") &&
                      doc["cipher"].is_object() && doc.contains("name") && doc["name"].is_string();
  if (!shaped) return Error::invalid("not a closebook secret key file (closebook-secret-key-v1)");
  const nlohmann::json& kdf = doc["kdf"];
  const nlohmann::json& cipher = doc["cipher"];
  const bool known = string_field(kdf, "algorithm") == "argon2id13" &&
                     string_field(cipher, "algorithm") == "xsalsa20poly1305" &&
                     kdf.contains("opslimit") && kdf["opslimit"].is_number_unsigned() &&
                     kdf.contains("memlimit") && kdf["memlimit"].is_number_unsigned();
  if (!known) return Error::invalid("key file uses an unknown KDF or cipher");
  const KdfCost cost{kdf["opslimit"].get<unsigned long long>(), kdf["memlimit"].get<size_t>()};
  const bool cost_ok = cost.opslimit >= crypto_pwhash_OPSLIMIT_MIN && cost.opslimit <= kOpsLimitMax &&
                       cost.memlimit >= crypto_pwhash_MEMLIMIT_MIN && cost.memlimit <= kMemLimitMax;
  if (!cost_ok) return Error::invalid("key file asks for an out-of-range Argon2id cost");
  CB_TRY(std::string salt, b64_field(kdf, "salt"));
  CB_TRY(std::string nonce, b64_field(cipher, "nonce"));
  CB_TRY(std::string box, b64_field(cipher, "box"));
  if (nonce.size() != crypto_secretbox_NONCEBYTES || box.size() != kBoxBytes) {
    return Error::invalid("key file nonce or box has a wrong size");
  }
  SecretKey box_key;
  CB_CHECK(derive_key(passphrase, as_bytes(salt), cost, box_key));
  std::array<uint8_t, kPlainBytes> plain;
  const int rc = crypto_secretbox_open_easy(
      plain.data(), reinterpret_cast<const uint8_t*>(box.data()), box.size(),
      reinterpret_cast<const uint8_t*>(nonce.data()), box_key.data());
  sodium_memzero(box_key.data(), box_key.size());
  if (rc != 0) return Error::permission("wrong passphrase (or the key file was altered)");
  const std::string name = doc["name"].get<std::string>();
  const Hash binding = name_binding(name);
  const bool bound = sodium_memcmp(plain.data() + 32, binding.data(), binding.size()) == 0;
  auto key = SigningKey::from_seed(name, Bytes(plain.data(), 32));
  sodium_memzero(plain.data(), plain.size());
  if (!key.ok()) return std::move(key).error();
  if (!bound) return Error::corruption("key file's name was changed after it was sealed");
  if (key->verifier().to_string() != string_field(doc, "verifier_key")) {
    return Error::corruption("key file's verifier_key does not match its secret key");
  }
  return key;
}

Result<VerifierKey> sealed_key_verifier(std::string_view file_text) {
  const nlohmann::json doc = nlohmann::json::parse(file_text, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object() || !doc.contains("verifier_key") || !doc["verifier_key"].is_string()) {
    return Error::invalid("not a closebook key file");
  }
  return VerifierKey::parse(doc["verifier_key"].get<std::string>());
}

}  // namespace closebook
