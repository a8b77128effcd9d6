// Passphrase-sealed signing key files (evidence/keyfile.h): round trips, wrong passphrases,
// every single-character change to the sealed parts, hostile KDF costs, malformed files.
#include "evidence/keyfile.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "evidence/hash.h"
#include "evidence/note.h"
#include "tests/vectors/signed_note_vectors.h"

namespace closebook {
namespace {

namespace tv = closebook::testvectors;

// libsodium's minimum Argon2id cost: milliseconds, so most tests can open many files.
const KdfCost kCheap{crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN};
constexpr std::string_view kPassphrase = "correct horse battery staple";

SigningKey PeterKey() {
  auto seed = from_hex(tv::kPeterSeedHex);
  EXPECT_TRUE(seed.ok());
  auto key = SigningKey::from_seed(std::string(tv::kPeterKeyName), as_bytes(*seed));
  EXPECT_TRUE(key.ok());
  return std::move(key).value();
}

std::string SealPeter(KdfCost cost = kCheap) {
  auto sealed = seal_signing_key(PeterKey(), kPassphrase, cost);
  EXPECT_TRUE(sealed.ok()) << sealed.error().to_string();
  return sealed.ok() ? *sealed : std::string();
}

template <class T>
void ExpectCode(const Result<T>& r, Code code, const std::string& what) {
  ASSERT_FALSE(r.ok()) << what << " was accepted";
  EXPECT_EQ(r.error().code, code) << what << ": " << r.error().to_string();
}

void ExpectOpensAsPeter(const Result<SigningKey>& key) {
  ASSERT_TRUE(key.ok()) << key.error().to_string();
  EXPECT_EQ(key->name(), tv::kPeterKeyName);
  EXPECT_EQ(to_hex(Bytes(key->seed())), tv::kPeterSeedHex);
  EXPECT_EQ(key->verifier().to_string(), tv::kPeterVerifierKey);
}

nlohmann::json Parse(const std::string& text) { return nlohmann::json::parse(text); }

TEST(KeyFile, SealThenOpenRoundTripsTheKey) {
  const std::string file = SealPeter();
  ExpectOpensAsPeter(open_signing_key(file, kPassphrase));
  // The opened key signs exactly as the original (Ed25519 is deterministic).
  auto opened = open_signing_key(file, kPassphrase);
  ASSERT_TRUE(opened.ok());
  const NoteSignature sig = sign_note_text(tv::kPeterNoteText, *opened);
  EXPECT_EQ(sig.line(), tv::kPeterSignatureLine);
}

TEST(KeyFile, RoundTripsWithTheDefaultCost) {
  const KdfCost cost = default_kdf_cost();
  EXPECT_EQ(cost.opslimit, crypto_pwhash_OPSLIMIT_INTERACTIVE);
  EXPECT_EQ(cost.memlimit, crypto_pwhash_MEMLIMIT_INTERACTIVE);
  auto sealed = seal_signing_key(PeterKey(), kPassphrase);
  ASSERT_TRUE(sealed.ok()) << sealed.error().to_string();
  const nlohmann::json doc = Parse(*sealed);
  EXPECT_EQ(doc["kdf"]["opslimit"].get<unsigned long long>(), cost.opslimit);
  EXPECT_EQ(doc["kdf"]["memlimit"].get<size_t>(), cost.memlimit);
  ExpectOpensAsPeter(open_signing_key(*sealed, kPassphrase));
}

TEST(KeyFile, FileHasTheDocumentedShapeAndNoPlaintextSeed) {
  const std::string file = SealPeter();
  const nlohmann::json doc = Parse(file);
  EXPECT_EQ(doc["format"], "closebook-secret-key-v1");
  EXPECT_EQ(doc["name"], tv::kPeterKeyName);
  EXPECT_EQ(doc["verifier_key"], tv::kPeterVerifierKey);
  EXPECT_EQ(doc["kdf"]["algorithm"], "argon2id13");
  EXPECT_EQ(doc["kdf"]["opslimit"].get<unsigned long long>(), kCheap.opslimit);
  EXPECT_EQ(doc["kdf"]["memlimit"].get<size_t>(), kCheap.memlimit);
  EXPECT_EQ(doc["cipher"]["algorithm"], "xsalsa20poly1305");
  auto salt = from_base64(doc["kdf"]["salt"].get<std::string>());
  auto nonce = from_base64(doc["cipher"]["nonce"].get<std::string>());
  auto box = from_base64(doc["cipher"]["box"].get<std::string>());
  ASSERT_TRUE(salt.ok() && nonce.ok() && box.ok());
  EXPECT_EQ(salt->size(), size_t{crypto_pwhash_SALTBYTES});
  EXPECT_EQ(nonce->size(), size_t{crypto_secretbox_NONCEBYTES});
  EXPECT_EQ(box->size(), 64u + crypto_secretbox_MACBYTES);  // seed + name binding + MAC
  const std::string seed = *from_hex(tv::kPeterSeedHex);
  EXPECT_EQ(file.find(tv::kPeterSeedHex), std::string::npos);
  EXPECT_EQ(file.find(to_base64(as_bytes(seed))), std::string::npos);
  EXPECT_EQ(box->find(seed), std::string::npos);
  EXPECT_EQ(file.find("AYEKFALVFGyNhPJEMzD1QIDr"), std::string::npos);  // Go's signer key
}

TEST(KeyFile, EverySealUsesAFreshSaltAndNonce) {
  const nlohmann::json a = Parse(SealPeter());
  const nlohmann::json b = Parse(SealPeter());
  EXPECT_NE(a["kdf"]["salt"], b["kdf"]["salt"]);
  EXPECT_NE(a["cipher"]["nonce"], b["cipher"]["nonce"]);
  EXPECT_NE(a["cipher"]["box"], b["cipher"]["box"]);
}

TEST(KeyFile, WrongPassphraseIsAPermissionError) {
  const std::string file = SealPeter();
  for (std::string_view wrong : {std::string_view("correct horse battery stapler"),
                                 std::string_view("Correct horse battery staple"),
                                 std::string_view("correct horse battery"), std::string_view(""),
                                 std::string_view("correct horse battery staple\n")}) {
    ExpectCode(open_signing_key(file, wrong), Code::kPermission, "\"" + std::string(wrong) + "\"");
  }
}

TEST(KeyFile, SealRefusesShortAndOverlongPassphrases) {
  const SigningKey key = PeterKey();
  ExpectCode(seal_signing_key(key, "", kCheap), Code::kInvalidArgument, "empty");
  ExpectCode(seal_signing_key(key, "1234567", kCheap), Code::kInvalidArgument, "7 bytes");
  EXPECT_TRUE(seal_signing_key(key, "12345678", kCheap).ok()) << "8 bytes is the minimum";
  ExpectCode(seal_signing_key(key, std::string(kPassphraseBytesMax + 1, 'p'), kCheap),
             Code::kInvalidArgument, "1025 bytes");
  auto longest = seal_signing_key(key, std::string(kPassphraseBytesMax, 'p'), kCheap);
  ASSERT_TRUE(longest.ok());
  ExpectOpensAsPeter(open_signing_key(*longest, std::string(kPassphraseBytesMax, 'p')));
}

// Replaces one base64 character of a field and says what opening must then report: a change
// that still decodes to the right length reaches the cipher (Permission); one that does not
// decode, or decodes to another length, is a malformed file (InvalidArgument).
TEST(KeyFile, AnyChangedCharacterInSaltNonceOrBoxIsRefused) {
  const std::string file = SealPeter();
  const nlohmann::json doc = Parse(file);
  struct Field {
    const char* object;
    const char* name;
    size_t bytes;
  };
  const Field fields[] = {{"kdf", "salt", crypto_pwhash_SALTBYTES},
                          {"cipher", "nonce", crypto_secretbox_NONCEBYTES},
                          {"cipher", "box", 64 + crypto_secretbox_MACBYTES}};
  size_t reached_cipher = 0;
  for (const Field& f : fields) {
    const std::string original = doc[f.object][f.name].get<std::string>();
    for (size_t i = 0; i < original.size(); ++i) {
      for (char replacement : {'A', 'B', '/', '='}) {
        if (original[i] == replacement) continue;
        std::string changed = original;
        changed[i] = replacement;
        nlohmann::json tampered = doc;
        tampered[f.object][f.name] = changed;
        auto decoded = from_base64(changed);
        const bool well_formed = decoded.ok() && decoded->size() == f.bytes;
        reached_cipher += well_formed ? 1 : 0;
        ExpectCode(open_signing_key(tampered.dump(2), kPassphrase),
                   well_formed ? Code::kPermission : Code::kInvalidArgument,
                   std::string(f.name) + " char " + std::to_string(i) + " -> " + replacement);
      }
    }
  }
  // Most changes are well-formed base64 of the right length: the AEAD itself refused them.
  EXPECT_GT(reached_cipher, 200u);
}

TEST(KeyFile, HostileKdfCostIsRefusedWithoutRunningArgon2) {
  const nlohmann::json doc = Parse(SealPeter());
  struct Case {
    const char* what;
    const char* field;
    nlohmann::json value;
  };
  const Case cases[] = {
      {"memlimit 1 TiB", "memlimit", nlohmann::json(uint64_t{1} << 40)},
      {"memlimit 1 GiB + 1", "memlimit", nlohmann::json((uint64_t{1} << 30) + 1)},
      {"memlimit max", "memlimit", nlohmann::json(UINT64_MAX)},
      {"memlimit below minimum", "memlimit", nlohmann::json(uint64_t{crypto_pwhash_MEMLIMIT_MIN - 1})},
      {"memlimit negative", "memlimit", nlohmann::json(-1)},
      {"memlimit fractional", "memlimit", nlohmann::json(8192.5)},
      {"memlimit as text", "memlimit", nlohmann::json("8192")},
      {"opslimit 2^40", "opslimit", nlohmann::json(uint64_t{1} << 40)},
      {"opslimit 17", "opslimit", nlohmann::json(17)},
      {"opslimit 0", "opslimit", nlohmann::json(0)},
  };
  for (const Case& c : cases) {
    nlohmann::json hostile = doc;
    hostile["kdf"][c.field] = c.value;
    const auto start = std::chrono::steady_clock::now();
    // InvalidArgument, not IOError: the cost was refused, Argon2id never ran out of memory.
    ExpectCode(open_signing_key(hostile.dump(), kPassphrase), Code::kInvalidArgument, c.what);
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(500)) << c.what;
  }
  // The bounds themselves are accepted (here: the largest opslimit, at minimum memory).
  nlohmann::json edge = doc;
  edge["kdf"]["opslimit"] = 16;
  ExpectCode(open_signing_key(edge.dump(), kPassphrase), Code::kPermission,
             "opslimit 16 derives another key");
}

TEST(KeyFile, NonJsonAndMisshapenFilesAreInvalid) {
  const std::string file = SealPeter();
  const nlohmann::json doc = Parse(file);
  for (const std::string& text :
       {std::string(""), std::string("not json"), std::string("{"), std::string("[]"),
        std::string("null"), std::string("\"closebook-secret-key-v1\""),
        file.substr(0, file.size() / 2), std::string(kKeyFileBytesMax + 1, ' ')}) {
    ExpectCode(open_signing_key(text, kPassphrase), Code::kInvalidArgument,
               "file \"" + text.substr(0, 40) + "\"");
  }
  auto without = [&](const char* object, const char* field) {
    nlohmann::json d = doc;
    if (object == nullptr) {
      d.erase(field);
    } else {
      d[object].erase(field);
    }
    return d.dump();
  };
  auto with = [&](const char* object, const char* field, nlohmann::json value) {
    nlohmann::json d = doc;
    if (object == nullptr) {
      d[field] = std::move(value);
    } else {
      d[object][field] = std::move(value);
    }
    return d.dump();
  };
  const std::pair<std::string, std::string> cases[] = {
      {"no format", without(nullptr, "format")},
      {"other format", with(nullptr, "format", "closebook-secret-key-v2")},
      {"no name", without(nullptr, "name")},
      {"no kdf", without(nullptr, "kdf")},
      {"no cipher", without(nullptr, "cipher")},
      {"kdf not an object", with(nullptr, "kdf", "argon2id13")},
      {"other kdf", with("kdf", "algorithm", "scrypt")},
      {"other cipher", with("cipher", "algorithm", "aes256gcm")},
      {"no salt", without("kdf", "salt")},
      {"no nonce", without("cipher", "nonce")},
      {"no box", without("cipher", "box")},
      {"no opslimit", without("kdf", "opslimit")},
      {"salt not a string", with("kdf", "salt", 5)},
      {"short salt", with("kdf", "salt", to_base64(as_bytes(std::string(15, 's'))))},
      {"short nonce", with("cipher", "nonce", to_base64(as_bytes(std::string(23, 'n'))))},
      {"long box", with("cipher", "box", to_base64(as_bytes(std::string(49, 'b'))))},
      {"name with a space", with(nullptr, "name", "Peter Neumann")},
  };
  for (const auto& [what, text] : cases) {
    ExpectCode(open_signing_key(text, kPassphrase), Code::kInvalidArgument, what);
  }
}

TEST(KeyFile, VerifierKeyThatDoesNotMatchTheSecretIsCorruption) {
  const nlohmann::json doc = Parse(SealPeter());
  nlohmann::json other_key = doc;
  other_key["verifier_key"] = tv::kEnochVerifierKey;
  ExpectCode(open_signing_key(other_key.dump(), kPassphrase), Code::kCorruption, "Enoch's key");
  nlohmann::json missing = doc;
  missing.erase("verifier_key");
  ExpectCode(open_signing_key(missing.dump(), kPassphrase), Code::kCorruption, "no verifier_key");
  // The name is bound too: the same seed under another name is another key.
  nlohmann::json renamed = doc;
  renamed["name"] = "PeterNeumann2";
  ExpectCode(open_signing_key(renamed.dump(), kPassphrase), Code::kCorruption, "renamed");
}

// nlohmann::json::value() throws type_error when a field has another JSON type, and
// open_signing_key calls it on "format", the kdf/cipher "algorithm" and "verifier_key" without
// a handler: {"format": 1} escapes as an exception instead of an InvalidArgument error.
// Reported, not fixed here; enable when open_signing_key checks the types first.
TEST(KeyFile, FieldsOfTheWrongJsonTypeAreInvalidNotThrown) {
  const nlohmann::json doc = Parse(SealPeter());
  nlohmann::json format = doc;
  format["format"] = 1;
  EXPECT_NO_THROW(ExpectCode(open_signing_key(format.dump(), kPassphrase),
                             Code::kInvalidArgument, "numeric format"));
  nlohmann::json algorithm = doc;
  algorithm["kdf"]["algorithm"] = nlohmann::json::array();
  EXPECT_NO_THROW(ExpectCode(open_signing_key(algorithm.dump(), kPassphrase),
                             Code::kInvalidArgument, "array algorithm"));
  nlohmann::json verifier = doc;
  verifier["verifier_key"] = 3;
  EXPECT_NO_THROW(ExpectCode(open_signing_key(verifier.dump(), kPassphrase),
                             Code::kCorruption, "numeric verifier_key"));
}

}  // namespace
}  // namespace closebook

namespace closebook {
namespace {

TEST(KeyFileBinding, RenamingAKeyConsistentlyIsStillRefused) {
  // An editor of the file rewrites name and verifier_key to match: the sealed binding differs.
  const SigningKey key = SigningKey::generate("alice@finance").value();
  const KdfCost cheap{crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN};
  nlohmann::json doc = nlohmann::json::parse(seal_signing_key(key, "a-passphrase", cheap).value());
  const SigningKey renamed = SigningKey::from_seed("mallory@finance", Bytes(key.seed())).value();
  doc["name"] = "mallory@finance";
  doc["verifier_key"] = renamed.verifier().to_string();
  auto opened = open_signing_key(doc.dump(), "a-passphrase");
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().code, Code::kCorruption);
}

}  // namespace
}  // namespace closebook
