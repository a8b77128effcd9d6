// Canonical Cap'n Proto ledger entries (evidence/entry.h): known-answer encodings checked
// against the stock `capnp convert` tool, the decode round trip, every non-canonical or
// truncated encoding refused, a fixed-seed fuzz loop, content hashes and the JSON form.
#include "evidence/entry.h"

#include <capnp/dynamic.h>
#include <capnp/message.h>
#include <capnp/serialize.h>
#include <gtest/gtest.h>
#include <kj/debug.h>
#include <kj/exception.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "evidence/hash.h"
#include "evidence/note.h"
#include "tests/test_util.h"
#include "tests/vectors/signed_note_vectors.h"

namespace closebook {
namespace {

namespace tv = closebook::testvectors;

capnp::Data::Reader DataOf(const Hash& h) { return capnp::Data::Reader(h.data(), h.size()); }

const Hash kPrevHash = leaf_hash(as_bytes(std::string_view("entry 41")));

Hash PeterKeyId() {
  auto key = VerifierKey::parse(tv::kPeterVerifierKey);
  EXPECT_TRUE(key.ok());
  return key->id();
}

void FillRuleVersion(schema::Entry::Builder e) {
  e.setIndex(42);
  e.setPrevHash(DataOf(kPrevHash));
  e.setRecordedAt(1717200000000);
  e.setEffective("2024-06");
  e.setAuthor(DataOf(PeterKeyId()));
  auto rv = e.getKind().initRuleVersion();
  rv.setRuleId("RV-0001");
  rv.setVersion(3);
  rv.setVendor("microsoft");
  rv.setSkuId("CFQ7TTC0LH18:0001");
  rv.setPartnerId("*");
  rv.setEffectiveFrom("2024-01-01");
  rv.setCostUnitPrice("12.50");
  rv.setCostCurrency("AUD");
  rv.setSellMethod(schema::RuleVersion::SellMethod::MARKUP_PCT);
  rv.setSellValue("15");
  rv.setSellCurrency("AUD");
  rv.setUnit("licence");
  rv.setMarginFloorPct("8.5");
}

void FillKeyEvent(schema::Entry::Builder e) {
  auto key = VerifierKey::parse(tv::kPeterVerifierKey);
  ASSERT_TRUE(key.ok());
  const Hash id = key->id();
  e.setIndex(0);
  e.setRecordedAt(1717200000000);
  e.setAuthor(DataOf(id));
  auto ke = e.getKind().initKeyEvent();
  ke.setAction(schema::KeyEvent::Action::REGISTER);
  ke.setRole(schema::KeyEvent::Role::LOG);
  ke.setName(std::string(tv::kPeterKeyName));
  ke.setPublicKey(capnp::Data::Reader(key->key.data(), key->key.size()));
  ke.setKeyId(DataOf(id));
  ke.setVerifierKey(std::string(tv::kPeterVerifierKey));
  ke.setReason("log key");
}

std::string RuleVersionBytes() {
  capnp::MallocMessageBuilder message;
  FillRuleVersion(message.initRoot<schema::Entry>());
  return canonical_bytes(message.getRoot<schema::Entry>().asReader());
}

// Entries with every kind of list: of structs (invoice items, refs), of texts (exception ids)
// and of data (file hashes), for the mutation oracle below.
std::string ListsBytes(int which) {
  capnp::MallocMessageBuilder message;
  auto e = message.initRoot<schema::Entry>();
  const Hash h = sha256(std::string_view("ref"));
  if (which == 0) {
    test::fill_big_invoice(e, 3);
  } else if (which == 1) {
    e.setEffective("2026-10");
    auto r = e.initKind().initMatchResult();
    r.setPeriod("2026-10");
    r.setSubscriptionId("fad90734-462d-46ad-82e6-5a01995ad40a");
    auto lines = r.initInvoiceLines(2);
    for (auto ref : lines) ref.setIndex(5), ref.setHash(capnp::Data::Reader(h.data(), h.size()));
    auto ids = r.initExceptionIds(2);
    ids.set(0, "EX-2026-10-0001");
    ids.set(1, "EX-2026-10-0002");
  } else {
    e.setEffective("2026-10");
    auto run = e.initKind().initMatchRun();
    run.setPeriod("2026-10");
    auto inputs = run.initInputs(1);
    inputs[0].setIndex(3);
    auto files = run.initInputFileSha256s(2);
    files.set(0, capnp::Data::Reader(h.data(), h.size()));
    files.set(1, capnp::Data::Reader(h.data(), 16));
  }
  return canonical_bytes(e.asReader());
}

std::string KeyEventBytes() {
  capnp::MallocMessageBuilder message;
  FillKeyEvent(message.initRoot<schema::Entry>());
  return canonical_bytes(message.getRoot<schema::Entry>().asReader());
}

std::string WordsToString(kj::ArrayPtr<const capnp::word> words) {
  auto bytes = words.asBytes();
  return std::string(reinterpret_cast<const char*>(bytes.begin()), bytes.size());
}

// Reads any single-segment message (no segment table), canonical or not, with stock capnp.
std::string CanonicalOfRawSegment(const std::string& bytes) {
  std::vector<capnp::word> words(bytes.size() / 8);
  std::memcpy(words.data(), bytes.data(), bytes.size());
  kj::ArrayPtr<const capnp::word> segment(words.data(), words.size());
  capnp::SegmentArrayMessageReader reader(kj::arrayPtr(&segment, 1));
  return canonical_bytes(reader.getRoot<schema::Entry>());
}

void ExpectRejected(std::string_view bytes, const std::string& what) {
  auto decoded = DecodedEntry::decode(bytes);
  ASSERT_FALSE(decoded.ok()) << what << " was accepted";
  EXPECT_EQ(decoded.error().code, Code::kCorruption) << what << ": " << decoded.error().to_string();
}

// Known answers, produced independently of closebook by the stock tool (Cap'n Proto 0.9.2):
// `capnp convert json:canonical -I/usr/include evidence/entry.capnp Entry` on the JSON below
// gives these bytes, and `capnp convert --short canonical:json` on the bytes gives the JSON.
constexpr std::string_view kRuleVersionJson =
    R"({"index":"42","prevHash":"f5bdf27ae55b01d01c5d01f10d7017d3f48dce5b7ddc66ce512c7573a6699330",)"
    R"("recordedAt":"1717200000000","effective":"2024-06",)"
    R"("author":"c74f20a396cc785cf0db7fd5e83a8334c7f4f2ea8da9e5a3c7a1e6344af9d6bf",)"
    R"("kind":{"ruleVersion":{"ruleId":"RV-0001","version":3,"vendor":"microsoft",)"
    R"("skuId":"CFQ7TTC0LH18:0001","partnerId":"*","effectiveFrom":"2024-01-01",)"
    R"("costUnitPrice":"12.50","costCurrency":"AUD","sellMethod":"markupPct","sellValue":"15",)"
    // JsonCodec prints a Bool at its default too: costFromVendor (@16) reads false on every
    // rule version written before it, whose bytes are unchanged (kRuleVersionCanonicalHex).
    R"("sellCurrency":"AUD","unit":"licence","marginFloorPct":"8.5","costFromVendor":false}}})";
constexpr std::string_view kRuleVersionCanonicalHex =
    "00000000030004002a00000000000000009418d18f0100000400000000000000"
    "0d00000002010000190000004200000019000000020100002400000001000c00"
    "f5bdf27ae55b01d01c5d01f10d7017d3f48dce5b7ddc66ce512c7573a6699330"
    "323032342d303600c74f20a396cc785cf0db7fd5e83a8334c7f4f2ea8da9e5a3"
    "c7a1e6344af9d6bf03000000000000002d000000420000002d00000052000000"
    "31000000920000003900000012000000390000005a0000000000000000000000"
    "39000000320000003900000022000000390000001a0000003900000022000000"
    "3900000042000000390000002200000052562d30303031006d6963726f736f66"
    "740000000000000043465137545443304c4831383a3030303100000000000000"
    "2a00000000000000323032342d30312d303100000000000031322e3530000000"
    "4155440000000000313500000000000041554400000000006c6963656e636500"
    "382e350000000000";
constexpr std::string_view kKeyEventJson =
    R"({"index":"0","recordedAt":"1717200000000",)"
    R"("author":"c74f20a396cc785cf0db7fd5e83a8334c7f4f2ea8da9e5a3c7a1e6344af9d6bf",)"
    R"("kind":{"keyEvent":{"action":"register","role":"log","name":"PeterNeumann",)"
    R"("publicKey":"1a5cd907143c384c41e830c5bce12aa8817ec5649aaabf2c31388b35b2d744d6",)"
    R"("keyId":"c74f20a396cc785cf0db7fd5e83a8334c7f4f2ea8da9e5a3c7a1e6344af9d6bf",)"
    R"("verifierKey":"PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",)"
    R"("reason":"log key"}}})";
constexpr std::string_view kKeyEventCanonicalHex =
    "00000000020004000000000000000000009418d18f0100000000000000000000"
    "000000000000000005000000020100001000000000000600c74f20a396cc785c"
    "f0db7fd5e83a8334c7f4f2ea8da9e5a3c7a1e6344af9d6bf150000006a000000"
    "19000000020100002500000002010000310000001a0200000000000000000000"
    "4d0000004200000050657465724e65756d616e6e000000001a5cd907143c384c"
    "41e830c5bce12aa8817ec5649aaabf2c31388b35b2d744d6c74f20a396cc785c"
    "f0db7fd5e83a8334c7f4f2ea8da9e5a3c7a1e6344af9d6bf50657465724e6575"
    "6d616e6e2b63373466323061332b41527063325163555044684d516567777862"
    "7a684b7169426673566b6d71712f4c444534697a577931305457000000000000"
    "6c6f67206b657900";

// ---------------------------------------------------------------------------------------
// Encoding and decoding

TEST(EntryEncoding, CanonicalBytesMatchTheStockCapnpTool) {
  EXPECT_EQ(to_hex(as_bytes(RuleVersionBytes())), kRuleVersionCanonicalHex);
  EXPECT_EQ(to_hex(as_bytes(KeyEventBytes())), kKeyEventCanonicalHex);
  EXPECT_EQ(RuleVersionBytes().size() % 8, 0u);
  // The hash of an entry is its RFC 6962 leaf hash.
  auto decoded = DecodedEntry::decode(RuleVersionBytes());
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->hash(), sha256(std::string(1, '\0') + RuleVersionBytes()));
}

TEST(EntryEncoding, CanonicalBytesDoNotDependOnHowTheMessageWasBuilt) {
  // Fields set in another order, in a message with tiny segments: the same bytes.
  capnp::MallocMessageBuilder scattered(1, capnp::AllocationStrategy::FIXED_SIZE);
  auto e = scattered.initRoot<schema::Entry>();
  auto rv = e.getKind().initRuleVersion();
  rv.setMarginFloorPct("8.5");
  rv.setUnit("licence");
  rv.setSellCurrency("AUD");
  rv.setSellValue("15");
  rv.setCostCurrency("AUD");
  rv.setCostUnitPrice("12.50");
  rv.setEffectiveFrom("2024-01-01");
  rv.setPartnerId("*");
  rv.setSkuId("CFQ7TTC0LH18:0001");
  rv.setVendor("microsoft");
  rv.setVersion(3);
  rv.setRuleId("RV-0001");
  e.setAuthor(DataOf(PeterKeyId()));
  e.setEffective("2024-06");
  e.setRecordedAt(1717200000000);
  e.setPrevHash(DataOf(kPrevHash));
  e.setIndex(42);
  ASSERT_GT(scattered.getSegmentsForOutput().size(), 1u);
  EXPECT_EQ(canonical_bytes(e.asReader()), RuleVersionBytes());
}

TEST(EntryDecode, RoundTripsARuleVersion) {
  const std::string bytes = RuleVersionBytes();
  auto decoded = DecodedEntry::decode(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.error().to_string();
  EXPECT_EQ(decoded->bytes(), bytes);
  const auto e = decoded->reader();
  EXPECT_EQ(e.getIndex(), 42u);
  EXPECT_EQ(std::string(e.getPrevHash().asChars().begin(), 32),
            std::string(kPrevHash.begin(), kPrevHash.end()));
  EXPECT_EQ(e.getRecordedAt(), 1717200000000);
  EXPECT_EQ(std::string(e.getEffective().cStr()), "2024-06");
  ASSERT_TRUE(e.getKind().isRuleVersion());
  const auto rv = e.getKind().getRuleVersion();
  EXPECT_EQ(std::string(rv.getRuleId().cStr()), "RV-0001");
  EXPECT_EQ(rv.getVersion(), 3u);
  EXPECT_EQ(std::string(rv.getSkuId().cStr()), "CFQ7TTC0LH18:0001");
  EXPECT_EQ(std::string(rv.getMarginFloorPct().cStr()), "8.5");
  EXPECT_EQ(rv.getSellMethod(), schema::RuleVersion::SellMethod::MARKUP_PCT);
  EXPECT_FALSE(rv.hasEffectiveTo());
  EXPECT_EQ(canonical_bytes(e), bytes);
}

TEST(EntryDecode, RoundTripsAKeyEventAndSurvivesAMove) {
  auto decoded = DecodedEntry::decode(KeyEventBytes());
  ASSERT_TRUE(decoded.ok()) << decoded.error().to_string();
  // The reader points into memory the DecodedEntry owns; moving it must keep that valid.
  DecodedEntry moved = std::move(decoded).value();
  const auto e = moved.reader();
  ASSERT_TRUE(e.getKind().isKeyEvent());
  const auto ke = e.getKind().getKeyEvent();
  EXPECT_EQ(ke.getAction(), schema::KeyEvent::Action::REGISTER);
  EXPECT_EQ(ke.getRole(), schema::KeyEvent::Role::LOG);
  EXPECT_EQ(std::string(ke.getName().cStr()), tv::kPeterKeyName);
  EXPECT_EQ(to_hex(Bytes(ke.getPublicKey().begin(), ke.getPublicKey().size())),
            tv::kPeterPublicKeyHex);
  EXPECT_EQ(std::string(ke.getVerifierKey().cStr()), tv::kPeterVerifierKey);
  EXPECT_FALSE(e.hasPrevHash());
  EXPECT_EQ(moved.hash(), leaf_hash(as_bytes(KeyEventBytes())));
}

TEST(EntryDecode, RejectsEmptyAndPartialWords) {
  const std::string bytes = RuleVersionBytes();
  ExpectRejected("", "empty");
  for (size_t cut : {1u, 3u, 7u, 9u, 15u}) {
    ExpectRejected(std::string_view(bytes).substr(0, bytes.size() - cut),
                   "cut " + std::to_string(cut) + " bytes");
  }
  ExpectRejected(bytes + "x", "one byte appended");
  ExpectRejected(std::string(8, '\0'), "a null root pointer");
}

TEST(EntryDecode, RejectsEveryTruncationByWholeWords) {
  for (const std::string& bytes : {RuleVersionBytes(), KeyEventBytes()}) {
    for (size_t words = 1; words < bytes.size() / 8; ++words) {
      ExpectRejected(std::string_view(bytes).substr(0, bytes.size() - 8 * words),
                     "truncated by " + std::to_string(words) + " words");
    }
  }
}

TEST(EntryDecode, RejectsATrailingWord) {
  const std::string bytes = RuleVersionBytes();
  ExpectRejected(bytes + std::string(8, '\0'), "zero word appended");
  ExpectRejected(bytes + "12345678", "data word appended");
  ExpectRejected(bytes + bytes, "entry twice");
}

TEST(EntryDecode, RejectsAMultiSegmentEncodingOfTheSameEntry) {
  capnp::MallocMessageBuilder message(1, capnp::AllocationStrategy::FIXED_SIZE);
  FillRuleVersion(message.initRoot<schema::Entry>());
  ASSERT_GT(message.getSegmentsForOutput().size(), 1u);
  kj::Array<capnp::word> flat = capnp::messageToFlatArray(message);
  // It is the same entry to any Cap'n Proto reader...
  capnp::FlatArrayMessageReader reader(flat);
  ASSERT_EQ(canonical_bytes(reader.getRoot<schema::Entry>()), RuleVersionBytes());
  // ...but not its canonical bytes.
  ExpectRejected(WordsToString(flat), "multi-segment message with segment table");
  // Segments concatenated without the table are not it either.
  std::string segments;
  for (auto segment : message.getSegmentsForOutput()) segments += WordsToString(segment);
  ExpectRejected(segments, "segments concatenated");
}

TEST(EntryDecode, RejectsABuilderLayoutWithUntruncatedSections) {
  // Only the first pointer field of RuleVersion set: a builder keeps room for all 14
  // pointers, the canonical form keeps one.
  capnp::MallocMessageBuilder message;
  message.initRoot<schema::Entry>().getKind().initRuleVersion().setRuleId("RV-1");
  ASSERT_EQ(message.getSegmentsForOutput().size(), 1u);
  const std::string raw = WordsToString(message.getSegmentsForOutput()[0]);
  const std::string canonical = canonical_bytes(message.getRoot<schema::Entry>().asReader());
  ASSERT_NE(raw, canonical);
  ASSERT_EQ(CanonicalOfRawSegment(raw), canonical);
  ASSERT_TRUE(DecodedEntry::decode(canonical).ok());
  ExpectRejected(raw, "builder layout (untruncated sections)");
}

TEST(EntryDecode, RejectsObjectsOutOfPreorder) {
  // Every field set, so no section can be truncated, but in reverse order: the builder lays
  // out the same objects, of the same total size, in an order that is not preorder.
  capnp::MallocMessageBuilder message;
  auto e = message.initRoot<schema::Entry>();
  auto rv = e.getKind().initRuleVersion();
  rv.setCostFromVendor(true);
  rv.setMeterCategory("Storage");
  rv.setSkuPattern("CFQ7TTC0*");
  rv.setMarginFloorPct("8.5");
  rv.setUnit("licence");
  rv.setSellCurrency("AUD");
  rv.setSellValue("15");
  rv.setSellMethod(schema::RuleVersion::SellMethod::FIXED);
  rv.setCostCurrency("AUD");
  rv.setCostUnitPrice("12.50");
  rv.setEffectiveTo("2024-12-31");
  rv.setEffectiveFrom("2024-01-01");
  rv.setPartnerId("*");
  rv.setSkuId("CFQ7TTC0LH18:0001");
  rv.setVendor("microsoft");
  rv.setVersion(3);
  rv.setRuleId("RV-0001");
  e.setAuthor(DataOf(PeterKeyId()));
  e.setEffective("2024-06");
  e.setRecordedAt(1717200000000);
  e.setPrevHash(DataOf(kPrevHash));
  e.setIndex(42);
  e.setSalt(capnp::Data::Reader(kPrevHash.data(), 16));  // the last pointer: set, so nothing is truncated
  ASSERT_EQ(message.getSegmentsForOutput().size(), 1u);
  const std::string raw = WordsToString(message.getSegmentsForOutput()[0]);
  const std::string canonical = canonical_bytes(e.asReader());
  ASSERT_EQ(raw.size(), canonical.size());
  ASSERT_NE(raw, canonical);
  ASSERT_EQ(CanonicalOfRawSegment(raw), canonical);
  ASSERT_TRUE(DecodedEntry::decode(canonical).ok());
  ExpectRejected(raw, "objects out of preorder");
}

TEST(EntryDecode, RejectsARootPointerThatSkipsAGap) {
  // The same message with one unused word between the root pointer and the root struct: every
  // other pointer is relative to its own position, so only the root offset changes (0 -> 1).
  const std::string bytes = RuleVersionBytes();
  ASSERT_EQ(bytes.substr(0, 4), std::string(4, '\0'));  // struct pointer, offset 0
  std::string gapped = bytes;
  gapped[0] = 0x04;  // offset 1, in bits 2..31
  gapped.insert(8, std::string(8, '\0'));
  ASSERT_EQ(CanonicalOfRawSegment(gapped), bytes);
  ExpectRejected(gapped, "root pointer past a gap");
  gapped.replace(8, 8, "garbage!");
  ASSERT_EQ(CanonicalOfRawSegment(gapped), bytes);
  ExpectRejected(gapped, "root pointer past a non-zero gap");
}

// The reference for decode()'s field checks: every present field read through capnp's
// dynamic API, which throws on a pointer of the wrong shape. decode() checks the same thing
// against a plan built from the schema (evidence/entry.cpp), six times faster.
void ReadEveryFieldReflectively(capnp::DynamicValue::Reader value, int depth);
void ReadEveryFieldReflectively(capnp::DynamicStruct::Reader object, int depth) {
  KJ_IF_MAYBE(active, object.which()) { ReadEveryFieldReflectively(object.get(*active), depth); }
  for (auto field : object.getSchema().getNonUnionFields()) {
    if (object.has(field)) ReadEveryFieldReflectively(object.get(field), depth);
  }
}
void ReadEveryFieldReflectively(capnp::DynamicValue::Reader value, int depth) {
  switch (value.getType()) {
    case capnp::DynamicValue::TEXT: (void)value.as<capnp::Text>(); break;
    case capnp::DynamicValue::DATA: (void)value.as<capnp::Data>(); break;
    case capnp::DynamicValue::STRUCT: ReadEveryFieldReflectively(value.as<capnp::DynamicStruct>(), depth + 1); break;
    case capnp::DynamicValue::LIST:
      for (auto element : value.as<capnp::DynamicList>()) ReadEveryFieldReflectively(element, depth + 1);
      break;
    default: break;
  }
}

TEST(EntryDecode, RejectsRandomGarbageAndMutationsWithoutCrashing) {
  std::mt19937_64 rng(0x636c6f7365626f6bULL);
  const std::vector<std::string> seeds = {RuleVersionBytes(), KeyEventBytes(), ListsBytes(0), ListsBytes(1), ListsBytes(2)};
  size_t accepted = 0;
  size_t rejected = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string input;
    const int kind = i % 4;
    if (kind == 0) {
      // Pure noise, a whole number of words.
      input.resize(8 * (1 + rng() % 40));
      for (char& c : input) c = static_cast<char>(rng());
    } else {
      input = seeds[rng() % seeds.size()];
      const int edits = 1 + static_cast<int>(rng() % 4);
      for (int k = 0; k < edits; ++k) {
        const size_t at = rng() % input.size();
        switch (rng() % 4) {
          case 0: input[at] = static_cast<char>(input[at] ^ (1 << (rng() % 8))); break;
          case 1: input[at] = static_cast<char>(rng()); break;
          case 2: input.insert(at - at % 8, std::string(8, static_cast<char>(rng()))); break;
          default:
            if (input.size() > 8) input.erase(at - at % 8, 8);
            break;
        }
      }
      if (kind == 3 && input.size() > 1) input.resize(rng() % input.size());
    }
    auto decoded = DecodedEntry::decode(input);
    // What the ledger reads back (no canonical proof) accepts at least what decode() does,
    // and whatever it accepts reads without an exception too.
    auto stored = DecodedEntry::decode_stored(input);
    ASSERT_TRUE(!decoded.ok() || stored.ok()) << to_hex(as_bytes(input));
    if (stored.ok()) {
      ASSERT_TRUE(kj::runCatchingExceptions([&] { ReadEveryFieldReflectively(capnp::toDynamic(stored->reader()), 0); }) ==
                  nullptr)
          << to_hex(as_bytes(input));
      ASSERT_EQ(stored->bytes(), input);
    }
    if (!decoded.ok()) {
      ++rejected;
      ASSERT_EQ(decoded.error().code, Code::kCorruption) << to_hex(as_bytes(input));
      continue;
    }
    ++accepted;
    // Whatever is accepted is canonical (re-encoding gives the very same bytes) and every
    // field of it reads without an exception.
    ASSERT_EQ(canonical_bytes(decoded->reader()), input) << to_hex(as_bytes(input));
    ASSERT_TRUE(kj::runCatchingExceptions([&] { ReadEveryFieldReflectively(capnp::toDynamic(decoded->reader()), 0); }) ==
                nullptr)
        << to_hex(as_bytes(input));
    ASSERT_EQ(decoded->hash(), leaf_hash(as_bytes(input)));
    (void)content_hash(decoded->reader());
    (void)kind_name(decoded->reader());
  }
  // The loop exercised both outcomes (a flipped bit inside a text is still canonical).
  EXPECT_GT(accepted, 100u);
  EXPECT_GT(rejected, 5000u);
}

// Structure and canonical form alone accept a Text whose last byte is not NUL; every
// accessor of that field (and entry_json) would then throw kj::Exception outside any
// handler. Found by the fuzz loop above; decode() checks every field against the schema.
TEST(EntryDecode, RejectsATextWithoutItsNulTerminator) {
  std::string bytes = RuleVersionBytes();
  const size_t at = bytes.find(std::string("2024-06\0", 8));
  ASSERT_NE(at, std::string::npos);
  bytes[at + 7] = '7';  // "2024-067" with no terminator; the list pointer is unchanged
  EXPECT_FALSE(DecodedEntry::decode_stored(bytes).ok());
  auto decoded = DecodedEntry::decode(bytes);
  EXPECT_FALSE(decoded.ok());
  if (decoded.ok()) {
    EXPECT_NO_THROW((void)decoded->reader().getEffective());
    EXPECT_NO_THROW((void)entry_json(decoded->reader()));
  }
}

// Cap'n Proto counts every read against a traversal limit (here twice the largest entry), a
// guard against overlapping pointers that a canonical entry cannot have. Kept after decoding,
// it made a long-lived entry fail once read often enough — a 3 MiB invoice on its third full
// read, a benchmark rendering one entry in a loop (found that way).
TEST(EntryDecode, ADecodedEntryCanBeReadAnyNumberOfTimes) {
  for (bool stored : {false, true}) {
    auto decoded = stored ? DecodedEntry::decode_stored(RuleVersionBytes()) : DecodedEntry::decode(RuleVersionBytes());
    ASSERT_TRUE(decoded.ok());
    // Each read of a text field counts at least a word: past the limit decode() starts with.
    const size_t reads = 2 * kEntryBytesMax / sizeof(capnp::word) + 1000;
    auto all_reads = kj::runCatchingExceptions([&] {
      for (size_t i = 0; i < reads; ++i) ASSERT_EQ(decoded->reader().getEffective(), "2024-06");
      (void)entry_json(decoded->reader());
    });
    EXPECT_TRUE(all_reads == nullptr) << "stored " << stored;
  }
}

// Every entry the ledger accepts (up to 4 MiB) decodes, with every check: the traversal
// limit of a reader, twice the largest entry, once made a 2.8 MB invoice fail here, on the
// third of decode()'s reads (found in review).
TEST(EntryDecode, AnEntryJustUnderTheSizeLimitDecodes) {
  capnp::MallocMessageBuilder message;
  test::fill_big_invoice(message.initRoot<schema::Entry>(), 19'000);
  const std::string bytes = canonical_bytes(message.getRoot<schema::Entry>().asReader());
  ASSERT_GT(bytes.size(), kEntryBytesMax * 9 / 10);
  ASSERT_LE(bytes.size(), kEntryBytesMax);
  for (bool stored : {false, true}) {
    auto decoded = stored ? DecodedEntry::decode_stored(bytes) : DecodedEntry::decode(bytes);
    ASSERT_TRUE(decoded.ok()) << decoded.error().to_string();
    EXPECT_EQ(decoded->reader().getKind().getInvoice().getItems().size(), 19'000u);
    EXPECT_FALSE(entry_json(decoded->reader()).empty());
  }
}

TEST(EntryDecode, AcceptsAnUnknownFutureKind) {
  // The schema only grows: a reader must carry an entry of a kind it does not know.
  std::string bytes = RuleVersionBytes();
  const size_t discriminant = 8 + 2 * 8;  // data word 2 of the root struct
  ASSERT_EQ(bytes[discriminant], 4);      // ruleVersion is the 5th union member
  bytes[discriminant] = 0x40;
  auto decoded = DecodedEntry::decode(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.error().to_string();
  EXPECT_EQ(kind_name(decoded->reader()), "unknown");
}

// ---------------------------------------------------------------------------------------
// Content hashes

// A different value of the same type, for any field of the kinds tested here.
void ChangeField(capnp::DynamicStruct::Builder s, capnp::StructSchema::Field field) {
  const capnp::Type type = field.getType();
  switch (type.which()) {
    case capnp::schema::Type::TEXT: {
      const std::string v = std::string(s.get(field).as<capnp::Text>().cStr()) + "x";
      s.set(field, capnp::Text::Reader(v.c_str()));
      return;
    }
    case capnp::schema::Type::DATA: {
      auto d = s.get(field).as<capnp::Data>();
      std::string v(d.asChars().begin(), d.size());
      v.push_back('x');
      s.set(field, capnp::Data::Reader(reinterpret_cast<const kj::byte*>(v.data()), v.size()));
      return;
    }
    case capnp::schema::Type::BOOL: s.set(field, !s.get(field).as<bool>()); return;
    case capnp::schema::Type::UINT32: s.set(field, s.get(field).as<uint32_t>() + 1); return;
    case capnp::schema::Type::UINT64: s.set(field, s.get(field).as<uint64_t>() + 1); return;
    case capnp::schema::Type::INT64: s.set(field, s.get(field).as<int64_t>() + 1); return;
    case capnp::schema::Type::ENUM: {
      const auto enumerants = type.asEnum().getEnumerants();
      const uint16_t raw = s.get(field).as<capnp::DynamicEnum>().getRaw();
      s.set(field, capnp::DynamicEnum(enumerants[(raw + 1u) % enumerants.size()]));
      return;
    }
    case capnp::schema::Type::STRUCT: {
      auto child = s.get(field).as<capnp::DynamicStruct>();
      ChangeField(child, child.getSchema().getFields()[0]);
      return;
    }
    case capnp::schema::Type::LIST: s.init(field, 1); return;
    default: FAIL() << "field type not handled: " << field.getProto().getName().cStr();
  }
}

template <class Fill>
void ExpectEveryKindFieldChangesTheContentHash(Fill fill) {
  capnp::MallocMessageBuilder base;
  fill(base.initRoot<schema::Entry>());
  const Hash base_hash = content_hash(base.getRoot<schema::Entry>().asReader());
  capnp::DynamicStruct::Builder kind =
      capnp::toDynamic(base.getRoot<schema::Entry>().getKind());
  const capnp::StructSchema::Field which = KJ_ASSERT_NONNULL(kind.which());
  const auto fields = which.getType().asStruct().getFields();
  ASSERT_GT(fields.size(), 5u);
  for (auto field : fields) {
    capnp::MallocMessageBuilder changed;
    fill(changed.initRoot<schema::Entry>());
    auto body = capnp::toDynamic(changed.getRoot<schema::Entry>().getKind())
                    .get(which)
                    .as<capnp::DynamicStruct>();
    ChangeField(body, field);
    EXPECT_NE(content_hash(changed.getRoot<schema::Entry>().asReader()), base_hash)
        << "field " << field.getProto().getName().cStr();
  }
}

TEST(EntryContentHash, ChangesWithEveryRuleVersionField) {
  ExpectEveryKindFieldChangesTheContentHash(FillRuleVersion);
}

TEST(EntryContentHash, ChangesWithEveryKeyEventField) {
  ExpectEveryKindFieldChangesTheContentHash(
      [](schema::Entry::Builder e) { FillKeyEvent(e); });
}

TEST(EntryContentHash, ChangesWithEffectiveAndKind) {
  capnp::MallocMessageBuilder a;
  FillRuleVersion(a.initRoot<schema::Entry>());
  const Hash base = content_hash(a.getRoot<schema::Entry>().asReader());
  a.getRoot<schema::Entry>().setEffective("2024-07");
  EXPECT_NE(content_hash(a.getRoot<schema::Entry>().asReader()), base);
  a.getRoot<schema::Entry>().disownEffective();
  EXPECT_NE(content_hash(a.getRoot<schema::Entry>().asReader()), base);

  // Empty bodies of two kinds differ.
  capnp::MallocMessageBuilder b;
  b.initRoot<schema::Entry>().getKind().initRuleVersion();
  capnp::MallocMessageBuilder c;
  c.initRoot<schema::Entry>().getKind().initPartner();
  EXPECT_NE(content_hash(b.getRoot<schema::Entry>().asReader()),
            content_hash(c.getRoot<schema::Entry>().asReader()));
}

TEST(EntryContentHash, IgnoresLedgerAssignedFields) {
  capnp::MallocMessageBuilder a;
  FillRuleVersion(a.initRoot<schema::Entry>());
  const Hash base = content_hash(a.getRoot<schema::Entry>().asReader());
  auto e = a.getRoot<schema::Entry>();
  e.setIndex(43);
  EXPECT_EQ(content_hash(e.asReader()), base) << "index";
  e.setPrevHash(DataOf(sha256(std::string_view("another"))));
  EXPECT_EQ(content_hash(e.asReader()), base) << "prevHash";
  e.disownPrevHash();
  EXPECT_EQ(content_hash(e.asReader()), base) << "no prevHash";
  e.setRecordedAt(1);
  EXPECT_EQ(content_hash(e.asReader()), base) << "recordedAt";
  // A draft with no envelope at all is hashed in place, without the copy: the same hash.
  e.setIndex(0);
  e.setRecordedAt(0);
  e.disownAuthor();
  ASSERT_FALSE(e.hasPrevHash());
  EXPECT_EQ(content_hash(e.asReader()), base) << "no envelope";
  EXPECT_EQ(content_hash(e.asReader()), sha256(as_bytes(canonical_bytes(e.asReader())))) << "the fast path";
  e.setIndex(43);
  // The entry's own bytes and hash did change.
  EXPECT_NE(canonical_bytes(e.asReader()), RuleVersionBytes());
}

TEST(EntryContentHash, IgnoresTheAuthorAsDocumented) {
  capnp::MallocMessageBuilder a;
  FillRuleVersion(a.initRoot<schema::Entry>());
  const Hash base = content_hash(a.getRoot<schema::Entry>().asReader());
  a.getRoot<schema::Entry>().setAuthor(DataOf(sha256(std::string_view("another key"))));
  EXPECT_EQ(content_hash(a.getRoot<schema::Entry>().asReader()), base);
}

TEST(EntryContentHash, IsSha256OfTheCanonicalEntryWithEnvelopeCleared) {
  capnp::MallocMessageBuilder cleared;
  auto e = cleared.initRoot<schema::Entry>();
  FillRuleVersion(e);
  e.setIndex(0);
  e.disownPrevHash();
  e.setRecordedAt(0);
  e.disownAuthor();
  capnp::MallocMessageBuilder full;
  FillRuleVersion(full.initRoot<schema::Entry>());
  EXPECT_EQ(content_hash(full.getRoot<schema::Entry>().asReader()),
            sha256(as_bytes(canonical_bytes(e.asReader()))));
  EXPECT_NE(content_hash(full.getRoot<schema::Entry>().asReader()),
            sha256(as_bytes(RuleVersionBytes())));
}

// ---------------------------------------------------------------------------------------
// JSON and kind names

TEST(EntryJson, PrintsWhatTheStockCapnpToolPrints) {
  auto rv = DecodedEntry::decode(RuleVersionBytes());
  ASSERT_TRUE(rv.ok());
  EXPECT_EQ(entry_json(rv->reader()), kRuleVersionJson);
  auto ke = DecodedEntry::decode(KeyEventBytes());
  ASSERT_TRUE(ke.ok());
  EXPECT_EQ(entry_json(ke->reader()), kKeyEventJson);
}

TEST(EntryJson, WritesHashesAsHexUnderSchemaFieldNames) {
  capnp::MallocMessageBuilder m;
  FillRuleVersion(m.initRoot<schema::Entry>());
  const std::string json = entry_json(m.getRoot<schema::Entry>().asReader());
  EXPECT_NE(json.find("\"prevHash\":\"" + to_hex(kPrevHash) + "\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"author\":\"" + to_hex(PeterKeyId()) + "\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"ruleVersion\":{"), std::string::npos) << json;
  EXPECT_NE(json.find("\"marginFloorPct\":\"8.5\""), std::string::npos) << json;
  EXPECT_EQ(json.find('\n'), std::string::npos) << "one line";
}

TEST(EntryKindName, NamesKindsInLowerCamelCase) {
  capnp::MallocMessageBuilder m;
  FillRuleVersion(m.initRoot<schema::Entry>());
  EXPECT_EQ(kind_name(m.getRoot<schema::Entry>().asReader()), "ruleVersion");
  m.getRoot<schema::Entry>().getKind().initKeyEvent();
  EXPECT_EQ(kind_name(m.getRoot<schema::Entry>().asReader()), "keyEvent");
  m.getRoot<schema::Entry>().getKind().initExceptionUpdate();
  EXPECT_EQ(kind_name(m.getRoot<schema::Entry>().asReader()), "exceptionUpdate");
  m.getRoot<schema::Entry>().getKind().initDispute();
  EXPECT_EQ(kind_name(m.getRoot<schema::Entry>().asReader()), "dispute");
}

}  // namespace
}  // namespace closebook
