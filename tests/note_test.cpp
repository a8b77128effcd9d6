// C2SP signed notes and tlog checkpoints (evidence/note.h, evidence/checkpoint.h): the
// published Go / C2SP vectors, byte-exact signing, and every malformed or forged note refused.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "evidence/checkpoint.h"
#include "evidence/hash.h"
#include "evidence/note.h"
#include "tests/vectors/signed_note_vectors.h"

namespace closebook {
namespace {

namespace tv = closebook::testvectors;

std::string Unhex(std::string_view hex) {
  auto raw = from_hex(hex);
  EXPECT_TRUE(raw.ok()) << hex;
  return raw.ok() ? *raw : std::string();
}

std::string Str(const PublicKey& key) { return std::string(key.begin(), key.end()); }

VerifierKey ParseKey(std::string_view text) {
  auto key = VerifierKey::parse(text);
  EXPECT_TRUE(key.ok()) << text << ": " << (key.ok() ? "" : key.error().to_string());
  return key.ok() ? *key : VerifierKey{};
}

SigningKey KeyFromSeedHex(std::string name, std::string_view seed_hex) {
  const std::string seed = Unhex(seed_hex);
  auto key = SigningKey::from_seed(std::move(name), as_bytes(seed));
  EXPECT_TRUE(key.ok());
  return std::move(key).value();
}

SigningKey PeterKey() { return KeyFromSeedHex(std::string(tv::kPeterKeyName), tv::kPeterSeedHex); }
SigningKey EnochKey() { return KeyFromSeedHex(std::string(tv::kEnochKeyName), std::string(64, '0')); }

void ExpectCode(const Status& s, Code code, const std::string& what) {
  ASSERT_FALSE(s.ok()) << what << " was accepted";
  EXPECT_EQ(s.error().code, code) << what << ": " << s.error().to_string();
}
template <class T>
void ExpectCode(const Result<T>& r, Code code, const std::string& what) {
  ASSERT_FALSE(r.ok()) << what << " was accepted";
  EXPECT_EQ(r.error().code, code) << what << ": " << r.error().to_string();
}

// A signed note is refused if it does not parse, or parses but does not verify by `key`.
void ExpectNoteRefused(std::string_view signed_note, const VerifierKey& key,
                       const std::string& what) {
  auto note = parse_note(signed_note);
  if (!note.ok()) {
    EXPECT_EQ(note.error().code, Code::kInvalidArgument) << what;
    return;
  }
  ExpectCode(verify_note(*note, key), Code::kCorruption, what);
}

// The note text and signature line, rebuilt with a changed raw signature (key hash || sig).
std::string SignatureLine(std::string_view name, const std::string& raw) {
  return std::string(tv::kNoteSigLinePrefix) + std::string(name) + " " + to_base64(as_bytes(raw)) +
         "\n";
}

std::string PeterRawSignature() {
  auto raw = from_base64(tv::kPeterSignatureBase64);
  EXPECT_TRUE(raw.ok());
  return *raw;
}

// ---------------------------------------------------------------------------------------
// Keys

TEST(NoteKeys, ParsesPeterVerifierKeyFromGoVectors) {
  const VerifierKey key = ParseKey(tv::kPeterVerifierKey);
  EXPECT_EQ(key.name, tv::kPeterKeyName);
  EXPECT_EQ(key.hash, tv::kPeterKeyHash);
  EXPECT_EQ(to_hex(Bytes(key.key)), tv::kPeterPublicKeyHex);
  EXPECT_EQ(key_hash(key.name, key.key), tv::kPeterKeyHash);
  // The key id is the full SHA-256 behind the 4-byte key hash.
  const Hash id = key.id();
  EXPECT_EQ(to_hex(Bytes(id.data(), 4)), tv::kPeterKeyHashHex);
  EXPECT_EQ(id, sha256(std::string(tv::kPeterKeyName) + "\n\x01" + Str(key.key)));
}

TEST(NoteKeys, ParsesEnochAndC2spExampleVerifierKeys) {
  const VerifierKey enoch = ParseKey(tv::kEnochVerifierKey);
  EXPECT_EQ(enoch.name, tv::kEnochKeyName);
  EXPECT_EQ(enoch.hash, tv::kEnochKeyHash);
  EXPECT_EQ(to_hex(Bytes(enoch.key)), tv::kEnochPublicKeyHex);
  const VerifierKey example = ParseKey(tv::kC2spExampleVerifierKey);
  EXPECT_EQ(example.name, tv::kC2spExampleKeyName);
  EXPECT_EQ(example.hash, tv::kC2spExampleKeyHash);
  EXPECT_EQ(to_hex(Bytes(example.key)), tv::kC2spExamplePublicKeyHex);
}

TEST(NoteKeys, VerifierKeyToStringRoundTrips) {
  for (std::string_view text :
       {tv::kPeterVerifierKey, tv::kEnochVerifierKey, tv::kC2spExampleVerifierKey}) {
    EXPECT_EQ(ParseKey(text).to_string(), text);
  }
}

TEST(NoteKeys, SeedsDeriveThePublishedPublicKeys) {
  const SigningKey peter = PeterKey();
  EXPECT_EQ(to_hex(Bytes(peter.public_key())), tv::kPeterPublicKeyHex);
  EXPECT_EQ(peter.verifier().to_string(), tv::kPeterVerifierKey);
  EXPECT_EQ(to_hex(Bytes(peter.seed())), tv::kPeterSeedHex);
  const SigningKey enoch = EnochKey();
  EXPECT_EQ(peter.id(), ParseKey(tv::kPeterVerifierKey).id());
  EXPECT_EQ(enoch.verifier().to_string(), tv::kEnochVerifierKey);
}

TEST(NoteKeys, RejectsVerifierKeyWithWrongAlgorithmByteOrLength) {
  ExpectCode(VerifierKey::parse(tv::kBadVerifierKeyUnknownAlg), Code::kInvalidArgument,
             "algorithm byte 0x65");
  ExpectCode(VerifierKey::parse(tv::kBadVerifierKeyWrongLength), Code::kInvalidArgument,
             "key of wrong length");
  // The Peter key with its type byte changed from 0x01 to 0x02 (key hash left as is).
  auto raw = from_base64("ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW");
  ASSERT_TRUE(raw.ok());
  std::string alg2 = *raw;
  alg2[0] = 0x02;
  ExpectCode(VerifierKey::parse("PeterNeumann+c74f20a3+" + to_base64(as_bytes(alg2))),
             Code::kInvalidArgument, "algorithm byte 0x02");
}

TEST(NoteKeys, RejectsVerifierKeyWhoseHashDoesNotMatch) {
  ExpectCode(VerifierKey::parse("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"),
             Code::kInvalidArgument, "key hash off by one");
  // Enoch's key hash with Peter's key, and Peter's key under Enoch's name.
  ExpectCode(VerifierKey::parse("PeterNeumann+af0cfe78+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"),
             Code::kInvalidArgument, "another key's hash");
  ExpectCode(VerifierKey::parse("EnochRoot+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"),
             Code::kInvalidArgument, "renamed key");
}

TEST(NoteKeys, RejectsMalformedVerifierKeyText) {
  const std::vector<std::string> bad = {
      "",
      "PeterNeumann",
      "PeterNeumann+c74f20a3",
      "+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",             // empty name
      "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  // space in name
      "Peter+Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  // '+' in name
      "PeterNeumann+c74f20a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",    // 7 hex digits
      "PeterNeumann+c74f20a3a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  // 9 hex digits
      "PeterNeumann+c74f20g3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",   // not hex
      "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T",    // bad base64
      "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW ",  // trailing space
      "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW\n",
  };
  for (const std::string& text : bad) {
    ExpectCode(VerifierKey::parse(text), Code::kInvalidArgument, "verifier key \"" + text + "\"");
  }
}

TEST(NoteKeys, KeyNamesRefusePlusWhiteSpaceAndInvalidUtf8) {
  EXPECT_TRUE(check_key_name("example.com/log").ok());
  EXPECT_TRUE(check_key_name("caf\xc3\xa9").ok());
  for (std::string_view name :
       {std::string_view(""), std::string_view("a+b"), std::string_view("a b"),
        std::string_view("a\tb"), std::string_view("a\nb"), std::string_view("a\xc2\xa0" "b"),
        std::string_view("a\xe3\x80\x80" "b"), std::string_view("a\xe2\x80\xa8" "b"),
        std::string_view("\xff"), std::string_view("a\xc3")}) {
    ExpectCode(check_key_name(name), Code::kInvalidArgument, "key name");
    ExpectCode(SigningKey::from_seed(std::string(name), as_bytes(Unhex(tv::kPeterSeedHex))),
               Code::kInvalidArgument, "signing key name");
  }
  ExpectCode(SigningKey::from_seed("ok", as_bytes(std::string(31, 'x'))), Code::kInvalidArgument,
             "31-byte seed");
}

// ---------------------------------------------------------------------------------------
// Signing and verifying the published notes

TEST(NoteSign, Ed25519SignatureReproducesThePublishedPeterNote) {
  const SigningKey peter = PeterKey();
  const Signature64 sig = peter.sign(as_bytes(tv::kPeterNoteText));
  EXPECT_EQ(to_hex(Bytes(sig)), tv::kPeterSignatureHex);

  const NoteSignature line = sign_note_text(tv::kPeterNoteText, peter);
  EXPECT_EQ(line.name, tv::kPeterKeyName);
  EXPECT_EQ(line.hash, tv::kPeterKeyHash);
  EXPECT_EQ(line.line(), tv::kPeterSignatureLine);

  const Note note{std::string(tv::kPeterNoteText), {line}};
  EXPECT_EQ(note.to_string(), tv::kPeterSignedNote);
}

TEST(NoteSign, CoSignedNoteReproducesTheGoExampleByteForByte) {
  const Note note{std::string(tv::kPeterNoteText),
                  {sign_note_text(tv::kPeterNoteText, PeterKey()),
                   sign_note_text(tv::kPeterNoteText, EnochKey())}};
  EXPECT_EQ(note.signatures[1].line(), tv::kEnochSignatureLine);
  EXPECT_EQ(note.to_string(), tv::kPeterEnochSignedNote);
}

TEST(NoteVerify, AcceptsThePublishedPeterNote) {
  auto note = parse_note(tv::kPeterSignedNote);
  ASSERT_TRUE(note.ok()) << note.error().to_string();
  EXPECT_EQ(note->text, tv::kPeterNoteText);
  ASSERT_EQ(note->signatures.size(), 1u);
  EXPECT_EQ(note->signatures[0].name, tv::kPeterKeyName);
  EXPECT_EQ(note->signatures[0].hash, tv::kPeterKeyHash);
  EXPECT_EQ(to_hex(as_bytes(note->signatures[0].signature)), tv::kPeterSignatureHex);
  EXPECT_TRUE(verify_note(*note, ParseKey(tv::kPeterVerifierKey)).ok());
  EXPECT_EQ(note->to_string(), tv::kPeterSignedNote);
}

TEST(NoteVerify, AcceptsTheTwoSignatureNoteWithEitherKey) {
  auto note = parse_note(tv::kPeterEnochSignedNote);
  ASSERT_TRUE(note.ok()) << note.error().to_string();
  ASSERT_EQ(note->signatures.size(), 2u);
  EXPECT_EQ(note->signatures[1].name, tv::kEnochKeyName);
  EXPECT_EQ(note->signatures[1].hash, tv::kEnochKeyHash);
  EXPECT_TRUE(verify_note(*note, ParseKey(tv::kPeterVerifierKey)).ok());
  EXPECT_TRUE(verify_note(*note, ParseKey(tv::kEnochVerifierKey)).ok());
  EXPECT_EQ(note->to_string(), tv::kPeterEnochSignedNote);
}

TEST(NoteVerify, AcceptsTheC2spExampleNote) {
  auto note = parse_note(tv::kC2spExampleSignedNote);
  ASSERT_TRUE(note.ok()) << note.error().to_string();
  EXPECT_EQ(note->text, tv::kC2spExampleNoteText);
  ASSERT_EQ(note->signatures.size(), 1u);
  EXPECT_EQ(to_hex(as_bytes(note->signatures[0].signature)), tv::kC2spExampleSignatureHex);
  EXPECT_TRUE(verify_note(*note, ParseKey(tv::kC2spExampleVerifierKey)).ok());
}

TEST(NoteVerify, ParsesTheC2spCheckpointExampleWhoseKeyIsUnpublished) {
  auto note = parse_note(tv::kCheckpointExampleSignedNote);
  ASSERT_TRUE(note.ok()) << note.error().to_string();
  EXPECT_EQ(note->text, tv::kCheckpointExampleText);
  ASSERT_EQ(note->signatures.size(), 1u);
  EXPECT_EQ(note->signatures[0].name, tv::kCheckpointExampleOrigin);
  EXPECT_EQ(note->signatures[0].hash, tv::kCheckpointExampleKeyHash);
  EXPECT_EQ(note->signatures[0].signature.size(), 64u);
  // Unsigned by any key we hold: verification with another key finds no signature.
  ExpectCode(verify_note(*note, ParseKey(tv::kPeterVerifierKey)), Code::kCorruption, "no key");
}

// C2SP signed-note allows blank lines inside the text: the LAST blank line separates text
// from signatures. The spec's own introductory example has one; Go's note.Open accepts it.
TEST(NoteVerify, ParsesTheC2spIntroExampleWithABlankLineInItsText) {
  auto note = parse_note(tv::kC2spIntroSignedNote);
  ASSERT_TRUE(note.ok()) << note.error().to_string();
  EXPECT_EQ(note->text, tv::kC2spIntroNoteText);
  ASSERT_EQ(note->signatures.size(), 1u);
  EXPECT_EQ(note->signatures[0].name, tv::kC2spIntroKeyName);
  EXPECT_EQ(note->signatures[0].hash, tv::kC2spIntroKeyHash);
}

TEST(NoteVerify, SignsAndVerifiesTextWithBlankLines) {
  const SigningKey peter = PeterKey();
  for (std::string_view text : {std::string_view("a\n\nb\n"), std::string_view("a\n\n\n"),
                                std::string_view("\n"), std::string_view("\n\nc\n")}) {
    const Note note{std::string(text), {sign_note_text(text, peter)}};
    auto parsed = parse_note(note.to_string());
    ASSERT_TRUE(parsed.ok()) << to_hex(as_bytes(text)) << ": " << parsed.error().to_string();
    EXPECT_EQ(parsed->text, text);
    EXPECT_TRUE(verify_note(*parsed, peter.verifier()).ok()) << to_hex(as_bytes(text));
  }
}

// ---------------------------------------------------------------------------------------
// Forgeries and wrong keys

TEST(NoteVerify, RejectsVerificationByAnotherKey) {
  auto note = parse_note(tv::kPeterSignedNote);
  ASSERT_TRUE(note.ok());
  ExpectCode(verify_note(*note, ParseKey(tv::kEnochVerifierKey)), Code::kCorruption, "Enoch");
  ExpectCode(verify_note(*note, ParseKey(tv::kC2spExampleVerifierKey)), Code::kCorruption,
             "example.com/foo");
}

TEST(NoteVerify, RejectsSameNameWithAnotherKey) {
  auto note = parse_note(tv::kPeterSignedNote);
  ASSERT_TRUE(note.ok());
  const VerifierKey enoch = ParseKey(tv::kEnochVerifierKey);
  // Honest key: same name, Enoch's public key, its own (different) key hash.
  VerifierKey impostor{std::string(tv::kPeterKeyName), 0, enoch.key};
  impostor.hash = key_hash(impostor.name, impostor.key);
  ASSERT_NE(impostor.hash, tv::kPeterKeyHash);
  ExpectCode(verify_note(*note, impostor), Code::kCorruption, "same name, other key");
  // Colliding key hash: the signature line is selected, then Ed25519 must refuse it.
  VerifierKey collider{std::string(tv::kPeterKeyName), tv::kPeterKeyHash, enoch.key};
  ExpectCode(verify_note(*note, collider), Code::kCorruption, "same name and hash, other key");
}

TEST(NoteVerify, RejectsEveryFlippedBitOfTheText) {
  const VerifierKey peter = ParseKey(tv::kPeterVerifierKey);
  const std::string good(tv::kPeterSignedNote);
  for (size_t i = 0; i < tv::kPeterNoteText.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string bad = good;
      bad[i] = static_cast<char>(bad[i] ^ (1 << bit));
      ExpectNoteRefused(bad, peter, "text byte " + std::to_string(i) + " bit " + std::to_string(bit));
    }
  }
}

TEST(NoteVerify, RejectsEveryFlippedBitOfTheSignatureAndKeyHash) {
  const VerifierKey peter = ParseKey(tv::kPeterVerifierKey);
  const std::string raw = PeterRawSignature();
  ASSERT_EQ(raw.size(), 68u);
  for (size_t i = 0; i < raw.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string flipped = raw;
      flipped[i] = static_cast<char>(flipped[i] ^ (1 << bit));
      const std::string bad = std::string(tv::kPeterNoteText) + "\n" +
                              SignatureLine(tv::kPeterKeyName, flipped);
      auto note = parse_note(bad);
      ASSERT_TRUE(note.ok()) << i << "/" << bit;
      ExpectCode(verify_note(*note, peter), Code::kCorruption,
                 "signature byte " + std::to_string(i) + " bit " + std::to_string(bit));
    }
  }
}

TEST(NoteVerify, RejectsTruncatedOrExtendedSignature) {
  const VerifierKey peter = ParseKey(tv::kPeterVerifierKey);
  const std::string raw = PeterRawSignature();
  for (const std::string& sig : {raw.substr(0, 67), raw + "x", raw.substr(0, 36)}) {
    ExpectNoteRefused(std::string(tv::kPeterNoteText) + "\n" + SignatureLine(tv::kPeterKeyName, sig),
                      peter, "signature of " + std::to_string(sig.size()) + " bytes");
  }
  // Shorter than a key hash plus one byte: malformed.
  ExpectCode(parse_note(std::string(tv::kPeterNoteText) + "\n" +
                        SignatureLine(tv::kPeterKeyName, raw.substr(0, 4))),
             Code::kInvalidArgument, "4-byte signature");
}

// ---------------------------------------------------------------------------------------
// Malformed notes

TEST(NoteParse, RejectsMissingFinalNewline) {
  const std::string good(tv::kPeterSignedNote);
  ExpectCode(parse_note(good.substr(0, good.size() - 1)), Code::kInvalidArgument, "no final \\n");
  ExpectCode(parse_note(good + "x"), Code::kInvalidArgument, "trailing text");
}

TEST(NoteParse, RejectsNoteWithoutBlankLineBeforeSignatures) {
  ExpectCode(parse_note(std::string(tv::kPeterNoteText) + std::string(tv::kPeterSignatureLine)),
             Code::kInvalidArgument, "no blank line");
  ExpectCode(parse_note(std::string(tv::kPeterNoteText) + "\n"), Code::kInvalidArgument,
             "no signatures");
  ExpectCode(parse_note(""), Code::kInvalidArgument, "empty");
  ExpectCode(parse_note(std::string(tv::kPeterSignedNote) + "\n"), Code::kInvalidArgument,
             "blank line after the signatures");
}

TEST(NoteParse, RejectsControlCharactersAndInvalidUtf8InText) {
  const std::string sig(tv::kPeterSignatureLine);
  for (std::string_view text : {std::string_view("a\tb\n"), std::string_view("a\rb\n"),
                                std::string_view("a\x7f" "b\n"), std::string_view("a\x00" "b\n", 4),
                                std::string_view("a\x1b[0m\n"), std::string_view("\xff\n"),
                                std::string_view("\xc0\xaf\n"), std::string_view("\xed\xa0\x80\n")}) {
    ExpectCode(parse_note(std::string(text) + "\n" + sig), Code::kInvalidArgument,
               "text " + to_hex(as_bytes(text)));
    ExpectCode(check_note_text(text), Code::kInvalidArgument, "text " + to_hex(as_bytes(text)));
  }
  EXPECT_TRUE(check_note_text("caf\xc3\xa9 \xf0\x9f\x93\x92\n").ok());
}

TEST(NoteParse, RejectsBadBase64InASignatureLine) {
  const std::string text = std::string(tv::kPeterNoteText) + "\n" + std::string(tv::kNoteSigLinePrefix) +
                           std::string(tv::kPeterKeyName) + " ";
  const std::string b64(tv::kPeterSignatureBase64);
  const std::vector<std::string> bad = {
      b64.substr(0, b64.size() - 1),   // missing padding
      b64.substr(1),                   // not a multiple of 4
      "!" + b64.substr(1),             // not in the alphabet
      b64 + "AAAA",                    // data after padding
      b64 + " ",                       // trailing space
      "",                              // empty
      b64.substr(0, 8) + "=" + b64.substr(9),  // padding inside
      b64.substr(0, b64.size() - 1) + "==",    // too much padding
  };
  // Non-zero unused bits before the padding ("N=" for the canonical "M=") parse, as Go's
  // note.Open reads them, but not on the trusted key's own line.
  auto noncanonical = parse_note(text + b64.substr(0, b64.size() - 2) + "N=\n");
  ASSERT_TRUE(noncanonical.ok()) << noncanonical.error().to_string();
  ExpectCode(verify_note(*noncanonical, VerifierKey::parse(tv::kPeterVerifierKey).value()),
             Code::kCorruption, "non-canonical base64 of the trusted key");
  for (const std::string& s : bad) {
    ExpectCode(parse_note(text + s + "\n"), Code::kInvalidArgument, "base64 \"" + s + "\"");
  }
  ExpectCode(parse_note(text + "\n"), Code::kInvalidArgument, "no signature");
  ExpectCode(parse_note(std::string(tv::kPeterNoteText) + "\n- PeterNeumann " + b64 + "\n"),
             Code::kInvalidArgument, "ASCII hyphen instead of em dash");
  ExpectCode(parse_note(std::string(tv::kPeterNoteText) + "\n" + std::string(tv::kNoteSigLinePrefix) +
                        "PeterNeumann\n"),
             Code::kInvalidArgument, "name only");
}

TEST(NoteParse, RejectsKeyNamesWithPlusOrSpaceInSignatureLines) {
  const std::string raw = PeterRawSignature();
  for (std::string_view name : {"Peter+Neumann", "Peter Neumann", "Peter\xc2\xa0Neumann"}) {
    ExpectCode(parse_note(std::string(tv::kPeterNoteText) + "\n" + SignatureLine(name, raw)),
               Code::kInvalidArgument, std::string(name));
  }
}

TEST(NoteVerify, RefusesTwoSignatureLinesByTheTrustedKey) {
  const VerifierKey peter = VerifierKey::parse(tv::kPeterVerifierKey).value();
  auto twice = parse_note(std::string(tv::kPeterSignedNote) + std::string(tv::kPeterSignatureLine));
  ASSERT_TRUE(twice.ok());  // well-formed: a verifier that does not trust Peter ignores both
  ExpectCode(verify_note(*twice, peter), Code::kCorruption, "duplicate line");
  // Two different signatures under the same name and key hash are just as ambiguous.
  std::string other = PeterRawSignature();
  other[10] = static_cast<char>(other[10] ^ 1);
  auto two = parse_note(std::string(tv::kPeterSignedNote) + SignatureLine(tv::kPeterKeyName, other));
  ASSERT_TRUE(two.ok());
  ExpectCode(verify_note(*two, peter), Code::kCorruption, "second signature by the same key");
}

TEST(NoteVerify, IgnoresRepeatedLinesOfAnUnknownKey) {
  const VerifierKey peter = VerifierKey::parse(tv::kPeterVerifierKey).value();
  const std::string witness = SignatureLine("witness.example/w", PeterRawSignature());
  auto note = parse_note(std::string(tv::kPeterSignedNote) + witness + witness);
  ASSERT_TRUE(note.ok()) << note.error().to_string();
  EXPECT_TRUE(verify_note(*note, peter).ok());
}

TEST(NoteParse, AcceptsAtMost100Signatures) {
  const SigningKey peter = PeterKey();
  Note note{std::string(tv::kPeterNoteText), {sign_note_text(tv::kPeterNoteText, peter)}};
  for (int i = 1; i < 100; ++i) {
    note.signatures.push_back(
        NoteSignature{"witness" + std::to_string(i), static_cast<uint32_t>(i), std::string(64, 'x')});
  }
  auto hundred = parse_note(note.to_string());
  ASSERT_TRUE(hundred.ok()) << hundred.error().to_string();
  EXPECT_EQ(hundred->signatures.size(), 100u);
  EXPECT_TRUE(verify_note(*hundred, peter.verifier()).ok());
  note.signatures.push_back(NoteSignature{"witness100", 100, std::string(64, 'x')});
  ExpectCode(parse_note(note.to_string()), Code::kInvalidArgument, "101 signatures");
}

TEST(NoteParse, RejectsNotesLargerThanOneMebibyte) {
  std::string text;
  while (text.size() <= kNoteBytesMax) text += std::string(1023, 'a') + "\n";
  ExpectCode(check_note_text(text), Code::kInvalidArgument, "text over 1 MiB");
  ExpectCode(parse_note(text + "\n" + std::string(tv::kPeterSignatureLine)),
             Code::kInvalidArgument, "note over 1 MiB");
}

TEST(NoteParse, IgnoresSignaturesOfUnknownKeysAndLongerAlgorithms) {
  // A signature of another algorithm (more than 64 bytes) is carried along, not verified.
  const std::string note_text = std::string(tv::kPeterSignedNote) +
                                SignatureLine("other.example/witness", std::string(4 + 72, 'w'));
  auto note = parse_note(note_text);
  ASSERT_TRUE(note.ok()) << note.error().to_string();
  ASSERT_EQ(note->signatures.size(), 2u);
  EXPECT_EQ(note->signatures[1].signature.size(), 72u);
  EXPECT_TRUE(verify_note(*note, ParseKey(tv::kPeterVerifierKey)).ok());
  EXPECT_EQ(note->to_string(), note_text);
}

// ---------------------------------------------------------------------------------------
// Checkpoints

TEST(CheckpointParse, ParsesTheC2spExampleCheckpoint) {
  auto cp = Checkpoint::parse(tv::kCheckpointExampleText);
  ASSERT_TRUE(cp.ok()) << cp.error().to_string();
  EXPECT_EQ(cp->origin, tv::kCheckpointExampleOrigin);
  EXPECT_EQ(cp->size, tv::kCheckpointExampleSize);
  EXPECT_EQ(to_hex(cp->root), tv::kCheckpointExampleRootHex);
  EXPECT_TRUE(cp->extensions.empty());
  EXPECT_EQ(cp->body(), tv::kCheckpointExampleText);
}

TEST(CheckpointParse, BodyRoundTripsWithExtensionLines) {
  Checkpoint cp;
  cp.origin = "closebook.example/ledger";
  cp.size = 18446744073709551615u;
  cp.root = sha256(std::string_view("root"));
  cp.extensions = {"ext one", "\xe2\x80\x94 not a signature"};
  const std::string body = cp.body();
  EXPECT_EQ(body, "closebook.example/ledger\n18446744073709551615\n" + to_base64(Bytes(cp.root)) +
                      "\next one\n\xe2\x80\x94 not a signature\n");
  auto parsed = Checkpoint::parse(body);
  ASSERT_TRUE(parsed.ok()) << parsed.error().to_string();
  EXPECT_EQ(parsed->origin, cp.origin);
  EXPECT_EQ(parsed->size, cp.size);
  EXPECT_EQ(parsed->root, cp.root);
  EXPECT_EQ(parsed->extensions, cp.extensions);
  EXPECT_EQ(parsed->body(), body);
}

TEST(CheckpointParse, AcceptsSizeZero) {
  auto cp = Checkpoint::parse("o\n0\n" + to_base64(Bytes(empty_tree_root())) + "\n");
  ASSERT_TRUE(cp.ok()) << cp.error().to_string();
  EXPECT_EQ(cp->size, 0u);
}

TEST(CheckpointParse, RejectsNonCanonicalSizes) {
  const std::string root = std::string(tv::kCheckpointExampleRootBase64);
  for (std::string_view size : {"020852163", "00", "+20852163", "-1", "-0", "2085216a", "0x10",
                                "", " 1", "1 ", "1.0", "1e3", "18446744073709551616",
                                "99999999999999999999"}) {
    ExpectCode(Checkpoint::parse("example.com/log\n" + std::string(size) + "\n" + root + "\n"),
               Code::kInvalidArgument, "size \"" + std::string(size) + "\"");
  }
}

TEST(CheckpointParse, RejectsRootThatIsNot32Bytes) {
  const Hash h = sha256(std::string_view("x"));
  for (const std::string& root : {to_base64(Bytes(h.data(), 31)), to_base64(Bytes(h.data(), 16)),
                                  to_base64(as_bytes(std::string(33, 'r'))), std::string(""),
                                  to_hex(h),
                                  to_base64(Bytes(h)).substr(0, 43)}) {
    ExpectCode(Checkpoint::parse("example.com/log\n5\n" + root + "\n"), Code::kInvalidArgument,
               "root \"" + root + "\"");
  }
}

TEST(CheckpointParse, RejectsEmptyOriginAndTooFewLines) {
  const std::string root = std::string(tv::kCheckpointExampleRootBase64);
  ExpectCode(Checkpoint::parse("\n5\n" + root + "\n"), Code::kInvalidArgument, "empty origin");
  ExpectCode(Checkpoint::parse("example.com/log\n5\n"), Code::kInvalidArgument, "2 lines");
  ExpectCode(Checkpoint::parse("example.com/log\n"), Code::kInvalidArgument, "1 line");
  ExpectCode(Checkpoint::parse(""), Code::kInvalidArgument, "nothing");
  ExpectCode(Checkpoint::parse("example.com/log\n5\n" + root), Code::kInvalidArgument,
             "no final newline");
  ExpectCode(Checkpoint::parse("example.com/log\n5\n" + root + "\n\next\n"),
             Code::kInvalidArgument, "blank extension line");
}

// A log key named after its origin, as C2SP tlog-checkpoint requires.
SigningKey LogKey(std::string name, uint8_t seed_byte) {
  const std::string seed(32, static_cast<char>(seed_byte));
  auto key = SigningKey::from_seed(std::move(name), as_bytes(seed));
  EXPECT_TRUE(key.ok());
  return std::move(key).value();
}

std::string SignedCheckpoint(const Checkpoint& cp, const SigningKey& key) {
  const std::string body = cp.body();
  return Note{body, {sign_note_text(body, key)}}.to_string();
}

Checkpoint ExampleCheckpoint(std::string origin) {
  Checkpoint cp;
  cp.origin = std::move(origin);
  cp.size = 70;
  cp.root = sha256(std::string_view("a root"));
  return cp;
}

TEST(CheckpointOpen, OpensACheckpointSignedByTheLogKey) {
  const SigningKey key = LogKey("closebook.example/ledger", 7);
  const std::string signed_cp = SignedCheckpoint(ExampleCheckpoint(key.name()), key);
  auto opened = open_checkpoint(signed_cp, key.verifier());
  ASSERT_TRUE(opened.ok()) << opened.error().to_string();
  EXPECT_EQ(opened->checkpoint.origin, key.name());
  EXPECT_EQ(opened->checkpoint.size, 70u);
  EXPECT_EQ(opened->checkpoint.root, sha256(std::string_view("a root")));
  EXPECT_EQ(opened->note.to_string(), signed_cp);
}

TEST(CheckpointOpen, RejectsACheckpointWhoseOriginIsNotTheKeyName) {
  const SigningKey key = LogKey("closebook.example/ledger", 7);
  const std::string signed_cp = SignedCheckpoint(ExampleCheckpoint("closebook.example/other"), key);
  ExpectCode(open_checkpoint(signed_cp, key.verifier()), Code::kCorruption, "other origin");
}

TEST(CheckpointOpen, RejectsACheckpointSignedByAnotherKey) {
  const SigningKey key = LogKey("closebook.example/ledger", 7);
  const SigningKey other = LogKey("closebook.example/ledger", 8);  // same name, other secret
  const std::string signed_cp = SignedCheckpoint(ExampleCheckpoint(key.name()), other);
  ExpectCode(open_checkpoint(signed_cp, key.verifier()), Code::kCorruption, "other key");
  // And a signature by the right key over a different size does not carry over.
  Checkpoint bigger = ExampleCheckpoint(key.name());
  bigger.size = 71;
  const std::string good = SignedCheckpoint(ExampleCheckpoint(key.name()), key);
  const std::string spliced =
      bigger.body() + good.substr(ExampleCheckpoint(key.name()).body().size());
  ExpectCode(open_checkpoint(spliced, key.verifier()), Code::kCorruption, "size changed");
}

TEST(CheckpointOpen, RejectsASignedNoteThatIsNotACheckpoint) {
  const SigningKey key = LogKey("closebook.example/ledger", 7);
  const std::string body = "closebook.example/ledger\nnot a size\nnot a root\n";
  const std::string signed_note = Note{body, {sign_note_text(body, key)}}.to_string();
  ExpectCode(open_checkpoint(signed_note, key.verifier()), Code::kInvalidArgument, "not a checkpoint");
}

}  // namespace
}  // namespace closebook

namespace closebook {
namespace {

TEST(NoteParse, RejectsAControlCharacterInASignatureKeyName) {
  auto key = SigningKey::generate("control-test").value();
  Note note{"text\n", {sign_note_text("text\n", key)}};
  std::string signed_note = note.to_string();
  const size_t at = signed_note.find("control-test");
  signed_note[at + 3] = '\x01';
  EXPECT_FALSE(parse_note(signed_note).ok());
}

}  // namespace
}  // namespace closebook
