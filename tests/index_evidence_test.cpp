// The writer decides only from evidence (docs/ledger.md §7.1, docs/threat-model.md §3.1): every
// index lookup is proven against the subject map the log signs into each checkpoint, so an
// insider with disk access and no log key who edits any table the writer reads gets a refusal
// naming the way back (`closebook reindex`, or a backup), never a wrong answer.
#include <gtest/gtest.h>
#include <lmdb.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "close/bundle.h"
#include "close/credit.h"
#include "close/invoice.h"
#include "close/keys.h"
#include "close/signoff.h"
#include "evidence/checkpoint.h"
#include "evidence/subject_map.h"
#include "ledger/indexes.h"
#include "ledger/layout.h"
#include "ledger/subjects.h"
#include "tests/test_util.h"
#include "verify/verify.h"

namespace closebook {
namespace {

using test::edit_behind_its_back;


// The map's arithmetic against tests/vectors/subjects/map.json, which make_vector.py there
// computes from docs/ledger.md §7.1 with Python's hashlib alone.
TEST(SubjectMap, MatchesTheIndependentlyComputedVector) {
  std::ifstream in(test::source_dir() + "/tests/vectors/subjects/map.json");
  const auto vector = nlohmann::json::parse(in);
  EXPECT_EQ(to_base64(Bytes(subject_root({}))), vector["empty_root_b64"]);
  std::map<uint16_t, std::vector<std::pair<std::string, SubjectHead>>> buckets;
  for (const auto& s : vector["subjects"]) {
    const std::string subject = from_hex(s["subject_hex"].get<std::string>()).value();
    const auto indexes = s["indexes"].get<std::vector<uint64_t>>();
    const SubjectHead head = subject_head_of(indexes);
    EXPECT_EQ(subject_bucket(subject), s["bucket"].get<uint16_t>());
    EXPECT_EQ(to_hex(as_bytes(head.encode())), s["head_hex"]);
    EXPECT_EQ(SubjectHead::decode(head.encode()).value(), head);
    buckets[subject_bucket(subject)].push_back({subject, head});  // the vector lists subjects in ascending order
  }
  std::map<uint16_t, Hash> bucket_hashes;
  for (auto& [bucket, heads] : buckets) {
    SubjectBucketHasher hasher;
    for (const auto& [subject, head] : heads) hasher.add(subject, head);
    bucket_hashes[bucket] = hasher.finish();
  }
  ASSERT_EQ(bucket_hashes.size(), vector["buckets"].size());
  for (const auto& b : vector["buckets"]) {
    EXPECT_EQ(to_hex(bucket_hashes.at(b["bucket"].get<uint16_t>())), b["hash_hex"]);
  }
  const Hash root = subject_root(bucket_hashes);
  EXPECT_EQ(to_base64(Bytes(root)), vector["root_b64"]);
  EXPECT_EQ(subjects_extension(root), vector["extension_line"]);
  const std::vector<std::string> lines = {subjects_extension(root)};
  EXPECT_EQ(subjects_root_of(lines).value(), root);
  const std::vector<std::string> twice = {subjects_extension(root), subjects_extension(root)};
  EXPECT_FALSE(subjects_root_of(twice).ok());
  const std::vector<std::string> malformed = {std::string(kSubjectsExtension) + " not-base64"};
  EXPECT_FALSE(subjects_root_of(malformed).ok());
}

class IndexEvidenceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = tmp_ / "l";
    ledger_ = test::new_ledger(dir_, log_key_);
    test::load_period(*ledger_, log_key_, test::bundled_sample(), "2026-10");
    test::price_and_match(*ledger_, log_key_, "2026-10");
    std::vector<ledger::Draft> key;
    key.push_back(close::plan_key_change(snap(), {KeyAction::REGISTER, KeyRole::FINANCE, alice_.verifier(), {}, ""}).value());
    append(key);
    sign_off();
    auto invoices = close::plan_invoices(snap(), "2026-10").value();
    append(invoices.drafts);
    line_id_ = close::find_invoice(snap(), "INV-2026-10-P001").value().reader().getKind().getInvoice().getItems()[0]
                   .getLineId().cStr();
    close::CreditRequest credit;
    credit.line_ids = {line_id_};
    credit.amount = Decimal::parse("5.00").value();
    credit.reason = "service credit";
    auto plan = close::plan_credit(snap(), credit).value();
    credit_index_ = ledger_->append(plan.drafts, log_key_).value().entries.front().index;
  }

  ledger::Snapshot snap() { return ledger_->snapshot().value(); }
  void append(std::vector<ledger::Draft>& drafts) { ASSERT_TRUE(ledger_->append(drafts, log_key_).ok()); }
  void sign_off() {
    const std::string text = close::build_statement(snap(), "2026-10", "").value().text();
    auto plan = close::plan_signoff(snap(), text, close::sign_statement(text, alice_).value(), {1}).value();
    close::add_log_signature(plan, log_key_);
    append(plan.drafts);
  }
  Result<std::string> line_bundle() { return close::build_bundle(snap(), close::BundleSubject::kLine, line_id_); }

  // Closes the ledger, edits it raw, and opens it again.
  void edit(const std::function<void(MDB_txn*)>& change) {
    ledger_.reset();
    edit_behind_its_back(dir_, change);
    ledger_ = ledger::Ledger::open(dir_, {}).value();
  }
  static MDB_dbi open_db(MDB_txn* txn, const char* name, unsigned flags = 0) {
    MDB_dbi dbi = 0;
    EXPECT_EQ(mdb_dbi_open(txn, name, flags, &dbi), 0) << name;
    return dbi;
  }
  static void del_index(MDB_txn* txn, const std::string& name, const std::string& value, uint64_t index) {
    const std::string k = ledger::index_db_key(name, value), v = ledger::u64be(index);
    MDB_val key{k.size(), const_cast<char*>(k.data())}, val{v.size(), const_cast<char*>(v.data())};
    ASSERT_EQ(mdb_del(txn, open_db(txn, ledger::kDbIndex, MDB_DUPSORT), &key, &val), 0);
  }
  static void put_raw(MDB_txn* txn, MDB_dbi dbi, const std::string& k, const std::string& v) {
    MDB_val key{k.size(), const_cast<char*>(k.data())}, val{v.size(), const_cast<char*>(v.data())};
    ASSERT_EQ(mdb_put(txn, dbi, &key, &val, 0), 0);
  }
  static std::string head_key(const std::string& subject) {
    const uint16_t b = subject_bucket(subject);
    return std::string{static_cast<char>(b >> 8), static_cast<char>(b & 0xff)} + subject;
  }
  static void expect_refused(const Status& st, const std::string& says) {
    ASSERT_FALSE(st.ok()) << "an edited table must be refused, not believed";
    EXPECT_EQ(st.error().code, Code::kCorruption) << st.error().to_string();
    EXPECT_NE(st.error().message.find(says), std::string::npos) << st.error().to_string();
  }
  template <class T>
  static Status status_of(const Result<T>& r) {
    if (r.ok()) return {};
    return r.error();
  }

  test::TempDir tmp_;
  std::string dir_;
  SigningKey log_key_ = SigningKey::generate("closebook.test/index-evidence").value();
  SigningKey alice_ = SigningKey::generate("alice@finance").value();
  std::unique_ptr<ledger::Ledger> ledger_;
  std::string line_id_;
  uint64_t credit_index_ = 0;
};

// Issue 16 class 9: deleting the credit's index key used to make `closebook bundle` leave the
// credit out, and both verifiers accepted the bundle.
TEST_F(IndexEvidenceTest, ACreditDeletedFromTheIndexIsNeverLeftOutOfABundle) {
  const std::string honest = line_bundle().value();
  ASSERT_NE(honest.find("\"role\": \"credit\""), std::string::npos);
  edit([&](MDB_txn* txn) { del_index(txn, "line", line_id_, credit_index_); });
  expect_refused(status_of(line_bundle()), "closebook reindex");
  ASSERT_TRUE(ledger_->reindex().ok());
  EXPECT_EQ(line_bundle().value(), honest) << "the rebuilt index answers as the honest one did";
}

TEST_F(IndexEvidenceTest, AnEntryAddedToAnIndexIsRefused) {
  edit([&](MDB_txn* txn) {
    const std::string k = ledger::index_db_key("line", line_id_), v = ledger::u64be(credit_index_ + 1);
    put_raw(txn, open_db(txn, ledger::kDbIndex, MDB_DUPSORT), k, v);
  });
  expect_refused(status_of(snap().lookup("line", line_id_)), "does not match the subject map");
  expect_refused(status_of(snap().lookup_last("line", line_id_)), "does not match the subject map");
  ASSERT_TRUE(ledger_->reindex().ok());
  EXPECT_EQ(snap().lookup_last("line", line_id_).value(), credit_index_);
}

// Editing the head together with the index (so the two agree) breaks the bucket's proof, for
// readers and for the writer, which refuses to build a new map on it and writes nothing.
TEST_F(IndexEvidenceTest, AHeadEditedToMatchAnEditedIndexIsRefusedByReadersAndTheWriter) {
  const std::string subject = ledger::index_db_key("kind", "fxRate");
  const std::vector<uint64_t> rates = snap().lookup("kind", "fxRate").value();
  ASSERT_GE(rates.size(), 2u);
  edit([&](MDB_txn* txn) {
    del_index(txn, "kind", "fxRate", rates.back());
    const std::vector<uint64_t> fewer(rates.begin(), rates.end() - 1);
    put_raw(txn, open_db(txn, ledger::kDbHeads), head_key(subject), subject_head_of(fewer).encode());
  });
  expect_refused(status_of(snap().lookup("kind", "fxRate")), "closebook reindex");
  const uint64_t size = snap().size();
  std::vector<ledger::Draft> rate;
  rate.push_back(test::fx_rate_draft(77));
  expect_refused(status_of(ledger_->append(rate, log_key_)), "nothing was written");
  EXPECT_EQ(snap().size(), size);
  ASSERT_TRUE(ledger_->reindex().ok());
  EXPECT_EQ(snap().lookup("kind", "fxRate").value(), rates);
  ASSERT_TRUE(ledger_->append(rate, log_key_).ok());
}

TEST_F(IndexEvidenceTest, AnEditedSubjectNodeIsRefused) {
  const uint16_t bucket = subject_bucket(ledger::index_db_key("kind", "keyEvent"));
  edit([&](MDB_txn* txn) {
    const uint16_t sibling = bucket ^ 1;
    const std::string k{static_cast<char>(0), static_cast<char>(sibling >> 8), static_cast<char>(sibling & 0xff)};
    put_raw(txn, open_db(txn, ledger::kDbSubjectNodes), k, std::string(32, 'x'));
  });
  expect_refused(status_of(close::load_key_registry(snap())), "closebook reindex");
  ASSERT_TRUE(ledger_->reindex().ok());
  ASSERT_TRUE(close::load_key_registry(snap()).ok());
}

// The content table decides whether a row is new. Deleted, a re-sent row would be appended a
// second time; forged, a new row would be taken for one already recorded. Both are refused, and
// since content keys are not derived from entries alone, reindex refuses too: restore a backup.
TEST_F(IndexEvidenceTest, AContentKeyDeletedOrForgedIsRefusedNeverAppendedTwiceOrSkipped) {
  std::vector<ledger::Draft> rate;
  rate.push_back(test::fx_rate_draft(78));
  const Hash content = content_hash(rate[0].reader());
  const uint64_t at = ledger_->append(rate, log_key_).value().entries[0].index;
  const std::string key(reinterpret_cast<const char*>(content.data()), content.size());
  edit([&](MDB_txn* txn) {
    MDB_val k{key.size(), const_cast<char*>(key.data())};
    ASSERT_EQ(mdb_del(txn, open_db(txn, ledger::kDbContent), &k, nullptr), 0);
  });
  const uint64_t size = snap().size();
  std::vector<ledger::Draft> again;
  again.push_back(test::fx_rate_draft(78));
  expect_refused(status_of(ledger_->append(again, log_key_)), "content table disagrees");
  EXPECT_EQ(snap().size(), size);
  expect_refused(ledger_->reindex(), "restore the ledger from a backup");

  edit([&](MDB_txn* txn) { put_raw(txn, open_db(txn, ledger::kDbContent), key, ledger::u64be(at)); });  // as it was
  std::vector<ledger::Draft> fresh;
  fresh.push_back(test::fx_rate_draft(79));
  const Hash fresh_content = content_hash(fresh[0].reader());
  edit([&](MDB_txn* txn) {
    put_raw(txn, open_db(txn, ledger::kDbContent),
            std::string(reinterpret_cast<const char*>(fresh_content.data()), fresh_content.size()), ledger::u64be(at));
  });
  expect_refused(status_of(ledger_->append(fresh, log_key_)), "content table disagrees");
  EXPECT_EQ(snap().size(), size);
}

// A ledger written before the subject map: its last checkpoint has no subjects line. Opening it
// for writing rebuilds the tables, reads refuse until `reindex` signs the map into that
// checkpoint (same size and root) with the log key, and the ledger then verifies as before.
TEST_F(IndexEvidenceTest, ALedgerFromBeforeTheSubjectMapIsProvenOnceReindexedWithTheLogKey) {
  const uint64_t size = snap().size();
  const Hash root = snap().root(size).value();
  edit([&](MDB_txn* txn) {
    put_raw(txn, open_db(txn, ledger::kDbMeta), std::string(ledger::kMetaIndexVersion), "3");
    ASSERT_EQ(mdb_drop(txn, open_db(txn, ledger::kDbHeads), 1), 0);
    ASSERT_EQ(mdb_drop(txn, open_db(txn, ledger::kDbSubjectNodes), 1), 0);
    Checkpoint old{log_key_.name(), size, root, {}};  // as closebook signed it before index version 4
    Note note{old.body(), {}};
    note.signatures.push_back(sign_note_text(note.text, log_key_));
    put_raw(txn, open_db(txn, ledger::kDbCheckpoints), ledger::u64be(size), note.to_string());
  });
  expect_refused(status_of(snap().lookup("kind", "keyEvent")), "carries no subject map");
  const Status no_key = ledger_->reindex();
  ASSERT_FALSE(no_key.ok());
  EXPECT_EQ(no_key.error().code, Code::kPermission);
  ASSERT_TRUE(ledger_->reindex(&log_key_).ok());
  const auto cp = open_checkpoint(snap().latest_checkpoint().value(), log_key_.verifier()).value().checkpoint;
  EXPECT_EQ(cp.size, size);
  EXPECT_EQ(cp.root, root);
  EXPECT_TRUE(subjects_root_of(cp.extensions).value().has_value());
  EXPECT_TRUE(snap().lookup("kind", "keyEvent").ok());
  EXPECT_TRUE(verify::replay_ledger(dir_, log_key_.verifier()).ok());
}

// Index version 4 signed a map without `cites_kind` on a closebook-subjects/v1 line: no
// longer read; the one reindex with the log key signs the v2 line in beside it.
TEST_F(IndexEvidenceTest, ALedgerOfIndexVersionFourIsProvenOnceReindexedWithTheLogKey) {
  const uint64_t size = snap().size();
  const Hash root = snap().root(size).value();
  edit([&](MDB_txn* txn) {
    put_raw(txn, open_db(txn, ledger::kDbMeta), std::string(ledger::kMetaIndexVersion), "4");
    Checkpoint old{log_key_.name(), size, root, {"closebook-subjects/v1 " + to_base64(Bytes(sha256("the v4 map")))}};
    Note note{old.body(), {}};
    note.signatures.push_back(sign_note_text(note.text, log_key_));
    put_raw(txn, open_db(txn, ledger::kDbCheckpoints), ledger::u64be(size), note.to_string());
  });
  expect_refused(status_of(snap().lookup("kind", "keyEvent")), "carries no subject map of this version");
  EXPECT_EQ(ledger_->reindex().error().code, Code::kPermission);
  ASSERT_TRUE(ledger_->reindex(&log_key_).ok());
  const auto cp = open_checkpoint(snap().latest_checkpoint().value(), log_key_.verifier()).value().checkpoint;
  EXPECT_EQ(cp.size, size);
  EXPECT_EQ(cp.root, root);
  ASSERT_EQ(cp.extensions.size(), 2u) << "the v1 line stays, for whoever held it";
  EXPECT_TRUE(subjects_root_of(cp.extensions).value().has_value());
  EXPECT_TRUE(line_bundle().ok());
  EXPECT_TRUE(verify::replay_ledger(dir_, log_key_.verifier()).ok());
}

// A writer holding the log key files the credit under no "line" subject and signs that map:
// a bundle from it would leave the credit out and R33 could not tell (docs/threat-model.md);
// `closebook-verify ledger` rebuilds the map from the entries (L8) and refuses it.
TEST_F(IndexEvidenceTest, AMapSignedWithAnEntryFiledNowhereIsRefusedByTheLedgerVerifier) {
  ASSERT_TRUE(verify::replay_ledger(dir_, log_key_.verifier()).ok());
  const uint64_t size = snap().size();
  const Hash root = snap().root(size).value();
  const std::vector<uint64_t> filed = snap().lookup("line", line_id_).value();
  ASSERT_NE(std::find(filed.begin(), filed.end(), credit_index_), filed.end());
  // The root of the map as stored, from every head: the forger's arithmetic, checked first
  // against the honest ledger's signed root.
  auto root_of_heads = [](MDB_txn* txn, MDB_dbi heads) {
    std::map<uint16_t, SubjectBucketHasher> buckets;
    MDB_cursor* cursor = nullptr;
    EXPECT_EQ(mdb_cursor_open(txn, heads, &cursor), 0);
    MDB_val k, v;
    for (int rc = mdb_cursor_get(cursor, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT)) {
      const std::string key(static_cast<const char*>(k.mv_data), k.mv_size);
      const uint16_t bucket = static_cast<uint16_t>(static_cast<uint8_t>(key[0]) << 8 | static_cast<uint8_t>(key[1]));
      buckets[bucket].add(key.substr(2), SubjectHead::decode({static_cast<const char*>(v.mv_data), v.mv_size}).value());
    }
    mdb_cursor_close(cursor);
    std::map<uint16_t, Hash> hashes;
    for (auto& [bucket, hasher] : buckets) hashes[bucket] = hasher.finish();
    return subject_root(hashes);
  };
  const auto signed_cp = open_checkpoint(snap().latest_checkpoint().value(), log_key_.verifier()).value().checkpoint;
  edit([&](MDB_txn* txn) {
    const MDB_dbi heads = open_db(txn, ledger::kDbHeads);
    ASSERT_EQ(root_of_heads(txn, heads), subjects_root_of(signed_cp.extensions).value().value());
    del_index(txn, "line", line_id_, credit_index_);
    std::vector<uint64_t> fewer;
    for (uint64_t i : filed) {
      if (i != credit_index_) fewer.push_back(i);
    }
    put_raw(txn, heads, head_key(ledger::index_db_key("line", line_id_)), subject_head_of(fewer).encode());
    Checkpoint forged{log_key_.name(), size, root, {subjects_extension(root_of_heads(txn, heads))}};
    Note note{forged.body(), {}};
    note.signatures.push_back(sign_note_text(note.text, log_key_));
    put_raw(txn, open_db(txn, ledger::kDbCheckpoints), ledger::u64be(size), note.to_string());
  });
  auto replayed = verify::replay_ledger(dir_, log_key_.verifier());
  ASSERT_FALSE(replayed.ok());
  EXPECT_NE(replayed.error().message.find("L8: the subject map the latest checkpoint signs is not the one its entries make"),
            std::string::npos)
      << replayed.error().to_string();
}

// The map the writer builds entry by entry is the one rebuilt from scratch: reindex checks the
// rebuilt root against the signed one, and refuses on any difference.
TEST_F(IndexEvidenceTest, TheIncrementalMapIsTheMapRebuiltFromTheEntries) {
  const std::string before = snap().latest_checkpoint().value();
  ASSERT_TRUE(ledger_->reindex().ok());
  EXPECT_EQ(snap().latest_checkpoint().value(), before) << "a proven rebuild signs nothing";
}

// A batch with more distinct subjects than the writer keeps pending (it writes them out part
// way) still files every entry once: shared subjects ("kind", "period") span the write-outs,
// and the map it signs is the one rebuilt from the entries.
TEST_F(IndexEvidenceTest, ABatchOfMoreSubjectsThanTheWriterHoldsIsFiledWhole) {
  const size_t fx_before = snap().lookup("kind", "fxRate").value().size();
  std::vector<ledger::Draft> rates;
  for (int i = 0; i < 70'000; ++i) rates.push_back(test::fx_rate_draft(i));  // a content subject each
  append(rates);
  EXPECT_EQ(snap().lookup("kind", "fxRate").value().size(), fx_before + 70'000);
  const std::string before = snap().latest_checkpoint().value();
  ASSERT_TRUE(ledger_->reindex().ok());
  EXPECT_EQ(snap().latest_checkpoint().value(), before);
}

}  // namespace
}  // namespace closebook
