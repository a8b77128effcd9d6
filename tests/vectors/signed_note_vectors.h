// C2SP signed-note (Ed25519, signature type 0x01) and tlog-checkpoint
// known-answer test vectors.
//
// Formats (c2sp.org/signed-note):
//   verifier key  = <name> "+" hex8(key ID) "+" base64(0x01 || pubkey32)
//   signer key    = "PRIVATE+KEY+" <name> "+" hex8(key ID) "+" base64(0x01 || seed32)
//                   (Go golang.org/x/mod/sumdb/note encoding; not part of C2SP)
//   key ID        = SHA-256(name || 0x0A || 0x01 || pubkey32)[:4], big-endian uint32
//   signed note   = text (ends in "\n") || "\n" || signature lines
//   signature line= "\u2014 " <name> " " base64(keyID4 || ed25519sig64) "\n"
//                   (U+2014 EM DASH = bytes E2 80 94)
//   The Ed25519 signature is over the note text only (including its final
//   newline, excluding the blank separator line).
//
// SOURCES (values copied verbatim):
//  [GO]    golang.org/x/mod/sumdb/note/note_test.go and example_test.go
//          (Debian golang-golang-x-mod-dev 0.7.0-1,
//          /usr/share/gocode/src/golang.org/x/mod/sumdb/note/; upstream
//          github.com/golang/mod, same paths): TestNewVerifier, TestNewSigner,
//          TestSign, TestOpen, ExampleSign_add_signatures.
//  [C2SP-N] C2SP/C2SP signed-note.md, tag signed-note/v1.0.0 (commit
//          99fd482db06deca04d3fc80446a030ff9a947e97; unchanged in the
//          examples at b3a911e3f2bd75a6ccdd0bf04e9e1912961c439a): the intro
//          example note and the "Verifier keys / Example" section.
//  [C2SP-C] C2SP/C2SP tlog-checkpoint.md, tag tlog-checkpoint/v1.0.0 (commit
//          99fd482db06deca04d3fc80446a030ff9a947e97; the example is unchanged
//          at c0d0289bb8fc9c07c8ffe10a9ebb9bded4a9b500): the example checkpoint.
//
// DERIVED (marked "derived" below; computed by us from the sourced strings):
// raw public keys / seeds / signatures in hex decoded from the base64 fields,
// key IDs recomputed with the formula above, and the EnochRoot signer key,
// which ExampleSign_add_signatures creates with note.GenerateKey over an
// all-zero random reader (so its seed is 32 zero bytes).
//
// VERIFICATION (throwaway Go program against x/mod/sumdb/note 0.7.0 and
// crypto/ed25519): note.Sign with kPeterSignerKey reproduces
// kPeterSignedNote byte for byte; note.Open verifies kPeterSignedNote,
// kPeterEnochSignedNote (with one or both keys) and kC2spExampleSignedNote
// (also with raw ed25519.Verify over the text); seeds derive the listed public
// keys; every key ID equals SHA-256(name||0x0A||0x01||pubkey)[:4] and the first
// 4 bytes of the matching signature. The spec's introductory signed note and
// the tlog-checkpoint example are signed by keys whose public keys are NOT
// published, so they are parse-only vectors (note.Open reports them as
// "unverified", which is the required behaviour for unknown keys).

#pragma once

#include <cstdint>
#include <string_view>

namespace closebook::testvectors {

// U+2014 EM DASH + space, the prefix of every signature line.
inline constexpr std::string_view kNoteSigLinePrefix = "\xe2\x80\x94 ";

// ---------------------------------------------------------------------------
// PeterNeumann — [GO] note_test.go TestNewVerifier/TestNewSigner/TestSign,
// example_test.go ExampleSign/ExampleOpen.

inline constexpr std::string_view kPeterKeyName = "PeterNeumann";
inline constexpr std::string_view kPeterKeyHashHex = "c74f20a3";
inline constexpr std::uint32_t kPeterKeyHash = 0xc74f20a3u;
inline constexpr std::string_view kPeterSignerKey =
    "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
inline constexpr std::string_view kPeterVerifierKey =
    "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
// derived: 32-byte Ed25519 public key from the verifier key (after the 0x01 byte).
inline constexpr std::string_view kPeterPublicKeyHex =
    "1a5cd907143c384c41e830c5bce12aa8817ec5649aaabf2c31388b35b2d744d6";
// derived: 32-byte Ed25519 seed (RFC 8032 private key) from the signer key.
inline constexpr std::string_view kPeterSeedHex =
    "810a1402d5146c8d84f2443330f54080ebf98ee17d9c74f6252fc5d5c7283173";

inline constexpr std::string_view kPeterNoteText =
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n";
// base64(keyID4 || sig64) as it appears on the signature line.
inline constexpr std::string_view kPeterSignatureBase64 =
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=";
// derived: the 64-byte Ed25519 signature over kPeterNoteText (deterministic,
// so signing kPeterNoteText with kPeterSeedHex must reproduce it).
inline constexpr std::string_view kPeterSignatureHex =
    "f64992e052f541bf49f7dcbc8010c5506d885ba92cbafca40704959227348b86"
    "52060dd451580b6a5948d5e02afa9fa9d9e0a2da5165be8a13a472c81c099c03";
inline constexpr std::string_view kPeterSignatureLine =
    "\xe2\x80\x94 PeterNeumann "
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
inline constexpr std::string_view kPeterSignedNote =
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
    "\n"
    "\xe2\x80\x94 PeterNeumann "
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";

// ---------------------------------------------------------------------------
// EnochRoot — [GO] note_test.go TestVerifierList/TestOpen (verifier key,
// signature line) and example_test.go ExampleSign_add_signatures (key made by
// note.GenerateKey from an all-zero reader; note co-signed after Peter).

inline constexpr std::string_view kEnochKeyName = "EnochRoot";
inline constexpr std::string_view kEnochKeyHashHex = "af0cfe78";
inline constexpr std::uint32_t kEnochKeyHash = 0xaf0cfe78u;
// derived: note.GenerateKey(all-zero reader, "EnochRoot") output.
inline constexpr std::string_view kEnochSignerKey =
    "PRIVATE+KEY+EnochRoot+af0cfe78+AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
inline constexpr std::string_view kEnochVerifierKey =
    "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
// derived: seed is 32 zero bytes; this is its Ed25519 public key.
inline constexpr std::string_view kEnochPublicKeyHex =
    "3b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b59da29";
inline constexpr std::string_view kEnochSignatureLine =
    "\xe2\x80\x94 EnochRoot "
    "rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";
// kPeterNoteText signed by Peter then Enoch ([GO] ExampleSign_add_signatures
// output; TestOpen uses the same two lines). Opening it with only Peter's key
// must succeed and treat Enoch's line as an unknown (ignored) signature.
inline constexpr std::string_view kPeterEnochSignedNote =
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
    "\n"
    "\xe2\x80\x94 PeterNeumann "
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
    "\xe2\x80\x94 EnochRoot "
    "rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";

// Rejected verifier keys from [GO] TestNewVerifier: wrong key length (with a
// key hash adjusted to match) and unknown algorithm byte (likewise).
inline constexpr std::string_view kBadVerifierKeyWrongLength =
    "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==";
inline constexpr std::string_view kBadVerifierKeyUnknownAlg =
    "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";

// ---------------------------------------------------------------------------
// [C2SP-N] "Verifier keys" > "Example": a fully verifiable vector.

inline constexpr std::string_view kC2spExampleKeyName = "example.com/foo";
inline constexpr std::string_view kC2spExampleKeyHashHex = "530d903a";
inline constexpr std::uint32_t kC2spExampleKeyHash = 0x530d903au;
inline constexpr std::string_view kC2spExampleVerifierKey =
    "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k";
// derived
inline constexpr std::string_view kC2spExamplePublicKeyHex =
    "e932791ae6e7a840a46164c904786426d5e7821dd8b29a00d61cae72afdd4da4";
inline constexpr std::string_view kC2spExampleNoteText = "This is an example message.\n";
inline constexpr std::string_view kC2spExampleSignatureLine =
    "\xe2\x80\x94 example.com/foo "
    "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n";
// derived: raw Ed25519 signature over kC2spExampleNoteText.
inline constexpr std::string_view kC2spExampleSignatureHex =
    "49fcb2b575c891a1d9561194bd539da82fd5812ae937d7a69ce2d8e367700953"
    "80aed9b60d444583595ec6233811f79855e644abb01e31b562eef62277b26903";
inline constexpr std::string_view kC2spExampleSignedNote =
    "This is an example message.\n"
    "\n"
    "\xe2\x80\x94 example.com/foo "
    "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n";

// ---------------------------------------------------------------------------
// [C2SP-N] introductory example. PARSE-ONLY: the public key of
// quasimodo.example/salvatore is not published. Note text contains an empty
// line (allowed: the LAST blank line separates text and signatures) and
// non-ASCII UTF-8 ("è" = C3 A8).

inline constexpr std::string_view kC2spIntroNoteText =
    "Ognuno sta solo sul cuor della terra\n"
    "trafitto da un raggio di sole:\n"
    "\n"
    "ed \xc3\xa8 subito sera.\n";
inline constexpr std::string_view kC2spIntroSignedNote =
    "Ognuno sta solo sul cuor della terra\n"
    "trafitto da un raggio di sole:\n"
    "\n"
    "ed \xc3\xa8 subito sera.\n"
    "\n"
    "\xe2\x80\x94 quasimodo.example/salvatore "
    "NnugSzTjtVAewIS+Z/iJhUPeFDkO/5QQ2i5ddnGITLlC+EhfLW9oJKONrMouFSQU0xMcXxj99ihAQwaqP3ZekRwNtIc=\n";
inline constexpr std::string_view kC2spIntroKeyName = "quasimodo.example/salvatore";
// derived: first 4 bytes of the decoded signature.
inline constexpr std::uint32_t kC2spIntroKeyHash = 0x367ba04bu;

// ---------------------------------------------------------------------------
// [C2SP-C] example checkpoint. PARSE-ONLY: the public key of
// example.com/behind-the-sofa is not published.

inline constexpr std::string_view kCheckpointExampleOrigin = "example.com/behind-the-sofa";
inline constexpr std::uint64_t kCheckpointExampleSize = 20852163u;
inline constexpr std::string_view kCheckpointExampleRootBase64 =
    "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=";
// derived
inline constexpr std::string_view kCheckpointExampleRootHex =
    "0ac5186a91863e8e1d90c808014aa89bf5da8e3ee1d9f07630f0378f68f1ab62";
inline constexpr std::string_view kCheckpointExampleText =
    "example.com/behind-the-sofa\n"
    "20852163\n"
    "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
inline constexpr std::string_view kCheckpointExampleSignatureLine =
    "\xe2\x80\x94 example.com/behind-the-sofa "
    "Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n";
inline constexpr std::string_view kCheckpointExampleSignedNote =
    "example.com/behind-the-sofa\n"
    "20852163\n"
    "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    "\n"
    "\xe2\x80\x94 example.com/behind-the-sofa "
    "Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n";
// derived: first 4 bytes of the decoded signature.
inline constexpr std::uint32_t kCheckpointExampleKeyHash = 0x033de0aeu;

}  // namespace closebook::testvectors
