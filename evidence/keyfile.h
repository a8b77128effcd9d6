// Secret key files: an Ed25519 seed sealed with a passphrase (Argon2id + XSalsa20-Poly1305,
// libsodium crypto_pwhash + crypto_secretbox). Pure transformations of bytes; reading and
// writing the file (mode 0600) is ledger/keystore.h's job. See docs/ledger.md §6.
//
// The file is JSON:
//   {"format":"closebook-secret-key-v1","name":N,"verifier_key":V,
//    "kdf":{"algorithm":"argon2id13","opslimit":O,"memlimit":M,"salt":B64},
//    "cipher":{"algorithm":"xsalsa20poly1305","nonce":B64,"box":B64}}
// where box = secretbox(seed || SHA-256("closebook-secret-key-v1\n" || name), nonce,
//                       Argon2id(passphrase, salt, O, M)):
// the 32-byte Ed25519 seed, then a hash that binds the key's name to the box.
#pragma once

#include <string>
#include <string_view>

#include "evidence/note.h"
#include "evidence/result.h"

namespace closebook {

inline constexpr size_t kPassphraseBytesMin = 8;
inline constexpr size_t kPassphraseBytesMax = 1024;
inline constexpr size_t kKeyFileBytesMax = 64 * 1024;

struct KdfCost {
  unsigned long long opslimit;
  size_t memlimit;
};
// libsodium's "interactive" Argon2id cost: ~0.1 s and 64 MiB here. A key file is opened
// once per command, so a slower cost would be felt at every command.
KdfCost default_kdf_cost();

// Returns the key file text. Refuses passphrases shorter than kPassphraseBytesMin.
Result<std::string> seal_signing_key(const SigningKey& key, std::string_view passphrase,
                                     KdfCost cost = default_kdf_cost());
// A wrong passphrase and a tampered file are both Permission errors: the box does not open.
Result<SigningKey> open_signing_key(std::string_view file_text, std::string_view passphrase);
// The verifier key a sealed key file says it holds, read without the passphrase (it is not
// secret; open_signing_key checks it against the key inside).
Result<VerifierKey> sealed_key_verifier(std::string_view file_text);

}  // namespace closebook
