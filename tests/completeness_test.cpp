// A bundle proves it holds everything about its subject (docs/evidence.md R33): the omission
// attacks of issue 19 — a later credit with its reopen and exception, a dispute, a key
// revocation, an earlier invoice left out of a bundle re-saved in the canonical layout — are
// each refused with the reason, as are the forged proofs that would hide them.
#include <gtest/gtest.h>

#include <set>
#include <nlohmann/json.hpp>

#include "close/bundle.h"
#include "close/credit.h"
#include "close/dispute.h"
#include "close/invoice.h"
#include "close/keys.h"
#include "close/signoff.h"
#include "evidence/checkpoint.h"
#include "evidence/subject_map.h"
#include "match/config.h"
#include "tests/test_util.h"
#include "verify/verify.h"

namespace closebook {
namespace {

using json = nlohmann::ordered_json;

class CompletenessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ledger_ = test::new_ledger(tmp_ / "l", log_key_);
    test::load_period(*ledger_, log_key_, test::bundled_sample(), "2026-10");
    test::price_and_match(*ledger_, log_key_, "2026-10");
    for (const SigningKey* k : {&alice_, &bob_}) {
      std::vector<ledger::Draft> key;
      key.push_back(close::plan_key_change(snap(), {KeyAction::REGISTER, KeyRole::FINANCE, k->verifier(), {}, ""}).value());
      append(std::move(key));
    }
    const std::string text = close::build_statement(snap(), "2026-10", "").value().text();
    auto signoff = close::plan_signoff(snap(), text, close::sign_statement(text, alice_).value(), {1}).value();
    close::add_log_signature(signoff, log_key_);
    append(std::move(signoff.drafts));
    auto invoices = close::plan_invoices(snap(), "2026-10").value();
    append(std::move(invoices.drafts));
    line_id_ = close::find_invoice(snap(), "INV-2026-10-P001").value().reader().getKind().getInvoice().getItems()[0]
                   .getLineId().cStr();
    close::DisputeRequest dispute{"P001", line_id_, "seats never used", Decimal::parse("1.00").value(), "", "pat@p001"};
    auto disputed = close::plan_dispute(snap(), dispute, match::CloseConfig::defaults()).value();
    append(std::move(disputed.drafts));
    close::CreditRequest credit;
    credit.line_ids = {line_id_};
    credit.amount = Decimal::parse("5.00").value();
    credit.reason = "service credit";
    auto credited = close::plan_credit(snap(), credit).value();
    append(std::move(credited.drafts));
    std::vector<ledger::Draft> revoke;
    revoke.push_back(close::plan_key_change(snap(), {KeyAction::REVOKE, KeyRole::FINANCE, bob_.verifier(), {}, "left"}).value());
    append(std::move(revoke));
  }

  ledger::Snapshot snap() { return ledger_->snapshot().value(); }
  void append(std::vector<ledger::Draft> drafts) { ASSERT_TRUE(ledger_->append(drafts, log_key_).ok()); }
  json bundle(close::BundleSubject kind, const std::string& id, close::Audience audience = close::Audience::kStaff) {
    return json::parse(close::build_bundle(snap(), kind, id, audience).value());
  }
  json line_bundle(close::Audience audience = close::Audience::kStaff) {
    return bundle(close::BundleSubject::kLine, line_id_, audience);
  }
  static std::string saved(const json& b) { return b.dump(2) + "\n"; }  // the canonical layout
  Result<verify::BundleReport> check(const json& b) { return verify::check_bundle(saved(b), log_key_.verifier()); }
  void expect_refused(const json& b, const std::string& says) {
    auto r = check(b);
    ASSERT_FALSE(r.ok()) << "the forged bundle must be refused";
    EXPECT_NE(r.error().message.find(says), std::string::npos) << r.error().to_string();
  }

  // The indexes of the entries of `role` in the bundle (after `after`).
  static std::vector<uint64_t> carried(const json& b, const std::string& role, uint64_t after = 0) {
    std::vector<uint64_t> out;
    for (const auto& e : b["entries"]) {
      if (e["role"] == role && e["index"].get<uint64_t>() >= after) out.push_back(e["index"]);
    }
    return out;
  }
  // Takes entries out of the bundle as a holder of it can: entries, sign-off proofs, withheld.
  static void drop(json& b, const std::vector<uint64_t>& indexes) {
    for (const char* list : {"entries", "sign_offs", "withheld"}) {
      json kept = json::array();
      for (auto& e : b[list]) {
        if (std::find(indexes.begin(), indexes.end(), e["index"].get<uint64_t>()) == indexes.end()) kept.push_back(e);
      }
      b[list] = kept;
    }
  }
  // ... and from every subject's list of what the log filed under it.
  static void unlist(json& b, const std::vector<uint64_t>& indexes) {
    for (auto& s : b["subjects"]) {
      json kept = json::array();
      for (auto& i : s["indexes"]) {
        if (std::find(indexes.begin(), indexes.end(), i.get<uint64_t>()) == indexes.end()) kept.push_back(i);
      }
      s["indexes"] = kept;
    }
  }
  static json* subject(json& b, const std::string& name, const std::string& value) {
    for (auto& s : b["subjects"]) {
      if (s["name"] == name && s["value"] == value) return &s;
    }
    return nullptr;
  }
  // The bucket heads made to agree with a subject's edited list, as an insider without the
  // log key would have to.
  static void rehead(json& b, const std::string& name, const std::string& value) {
    json* s = subject(b, name, value);
    ASSERT_NE(s, nullptr);
    const std::string key = subject_key(name, value);
    const std::string head = to_hex(as_bytes(subject_head_of((*s)["indexes"].get<std::vector<uint64_t>>()).encode()));
    for (auto& bucket : b["buckets"]) {
      for (auto& h : bucket["heads"]) {
        if (h["subject"] == to_base64(as_bytes(key))) h["head"] = head;
      }
    }
  }

  test::TempDir tmp_;
  SigningKey log_key_ = SigningKey::generate("closebook.test/completeness").value();
  SigningKey alice_ = SigningKey::generate("alice@finance").value();
  SigningKey bob_ = SigningKey::generate("bob@finance").value();
  std::unique_ptr<ledger::Ledger> ledger_;
  std::string line_id_;
};

TEST_F(CompletenessTest, EveryAudiencesBundleProvesItIsComplete) {
  for (auto audience : {close::Audience::kStaff, close::Audience::kPartner, close::Audience::kGl}) {
    auto r = check(line_bundle(audience));
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    EXPECT_GE(r->subjects_proven, 6u) << "the line, what cites it and its credit, the period's sign-offs and reopens, the keys";
    if (audience == close::Audience::kPartner) {
      EXPECT_GT(r->withheld, 0u) << "the match and the exceptions are the distributor's, proven included but not shown";
    }
    if (audience == close::Audience::kStaff) {
      EXPECT_EQ(r->withheld, 0u);
    }
  }
  auto invoice = check(bundle(close::BundleSubject::kInvoice, "INV-2026-10-P001"));
  ASSERT_TRUE(invoice.ok()) << invoice.error().to_string();
}

// The attack of issue 19: the later credit, its period reopen and the CREDIT_RECOVERY
// exception deleted and the layout re-saved. Then each proof an insider would have to forge.
TEST_F(CompletenessTest, ALaterCreditItsReopenAndItsExceptionLeftOutAreRefused) {
  json b = line_bundle();
  const std::vector<uint64_t> credit = carried(b, "credit");
  ASSERT_EQ(credit.size(), 1u);
  std::vector<uint64_t> gone = credit;
  for (const char* role : {"period_reopen", "exception", "invoice", "invoice_chunk", "sign_off", "key_event"}) {
    for (uint64_t i : carried(b, role, credit[0])) gone.push_back(i);
  }
  ASSERT_GE(gone.size(), 3u) << "the credit, its reopen and its exception";
  drop(b, gone);
  expect_refused(b, "at the checkpoint, and the bundle neither carries nor withholds it");
  unlist(b, gone);
  expect_refused(b, "the log filed other entries under it than the bundle lists");
  for (const auto& s : b["subjects"]) rehead(b, s["name"], s["value"]);
  expect_refused(b, "does not lead to the subject map root the checkpoint signs");
  // Or the honest bundle with the proof of its own subject taken out.
  json without = line_bundle();
  json kept = json::array();
  for (auto& s : without["subjects"]) {
    if (s["name"] != "line") kept.push_back(s);
  }
  without["subjects"] = kept;
  expect_refused(without, "does not prove it holds every entry of subject line \"" + line_id_ + "\"");
}

TEST_F(CompletenessTest, ADisputeLeftOutIsRefused) {
  json b = line_bundle(close::Audience::kPartner);
  const std::vector<uint64_t> disputes = carried(b, "dispute");
  ASSERT_EQ(disputes.size(), 1u);
  drop(b, disputes);
  expect_refused(b, "entry " + std::to_string(disputes[0]) + " is filed under subject");
}

// Left out, the revocation would let a later sign-off by the revoked key pass.
TEST_F(CompletenessTest, AKeyRevocationLeftOutIsRefused) {
  json b = line_bundle(close::Audience::kPartner);
  const std::vector<uint64_t> keys = carried(b, "key_event");
  ASSERT_GE(keys.size(), 4u) << "the log key, alice, bob and bob's revocation";
  drop(b, {keys.back()});
  expect_refused(b, "is filed under subject kind \"keyEvent\"");
}

// Left out, the invoice that already billed the line would let it be billed twice unseen.
TEST_F(CompletenessTest, AnInvoiceOfTheLineLeftOutIsRefused) {
  json b = line_bundle(close::Audience::kPartner);
  std::vector<uint64_t> invoices = carried(b, "invoice");
  for (uint64_t i : carried(b, "invoice_chunk")) invoices.push_back(i);
  ASSERT_FALSE(invoices.empty());
  drop(b, invoices);
  expect_refused(b, "is filed under subject cites");
}

// What the partner may not see is withheld, not left out: its inclusion is proven, and
// leaving it out is refused like any other entry.
TEST_F(CompletenessTest, AWithheldEntryLeftOutIsRefused) {
  json b = line_bundle(close::Audience::kPartner);
  ASSERT_FALSE(b["withheld"].empty());
  EXPECT_TRUE(carried(b, "exception").empty() && carried(b, "match_result").empty());
  // A withheld entry a subject files (the match, the queue), not a sealed part (R34).
  std::set<uint64_t> filed;
  for (const auto& s : b["subjects"]) {
    for (const auto& i : s["indexes"]) filed.insert(i.get<uint64_t>());
  }
  size_t at = 0;
  while (at < b["withheld"].size() && filed.count(b["withheld"][at]["index"].get<uint64_t>()) == 0) ++at;
  ASSERT_LT(at, b["withheld"].size());
  const uint64_t hidden = b["withheld"][at]["index"];
  drop(b, {hidden});
  expect_refused(b, "entry " + std::to_string(hidden) + " is filed under");
  json forged = line_bundle(close::Audience::kPartner);
  forged["withheld"][at]["hash"] = to_hex(sha256("another entry"));
  expect_refused(forged, "withheld entry " + std::to_string(hidden) + ": the inclusion proof does not lead");
}

// The holder of a bundle cannot pass an entry off as withheld to hide it: only the match and
// the queue are ever withheld, and only under the subjects that file them.
TEST_F(CompletenessTest, AnEntryMovedIntoWithheldIsRefused) {
  for (const char* role : {"credit", "dispute", "period_reopen", "priced_line", "invoice", "key_event"}) {
    json b = line_bundle();
    const std::vector<uint64_t> hidden = carried(b, role);
    ASSERT_FALSE(hidden.empty()) << role;
    json moved;
    for (const auto& e : b["entries"]) {
      if (e["index"] == hidden.back()) moved = json{{"index", e["index"]}, {"hash", e["hash"]}, {"inclusion", e["inclusion"]}};
    }
    drop(b, {hidden.back()});
    b["withheld"].push_back(moved);
    expect_refused(b, "entry " + std::to_string(hidden.back()) + " is withheld, but subject");
  }
}

// A server holding the log key can sign a subject map that files an entry nowhere; what the
// bundle carries is still checked against it, so an entry the map leaves out of a subject it
// belongs to is refused (only `closebook-verify ledger` and witnesses catch an omission of
// what the bundle does not carry: docs/threat-model.md).
TEST_F(CompletenessTest, AnEntryTheSignedSubjectMapDoesNotFileWhereItBelongsIsRefused) {
  json b = line_bundle();
  const std::vector<uint64_t> credit = carried(b, "credit");
  ASSERT_EQ(credit.size(), 1u);
  unlist(b, credit);
  json* line = subject(b, "line", line_id_);
  ASSERT_NE(line, nullptr);
  rehead(b, "line", line_id_);
  // The map with the edited bucket: its nodes up to the root, re-signed into the checkpoint by
  // the log key, and every other bucket's path through them.
  const uint16_t bucket = subject_bucket(subject_key("line", line_id_));
  std::vector<Hash> nodes;  // the edited bucket's node at each level, leaf first, root last
  for (const auto& bk : b["buckets"]) {
    if (bk["bucket"] != bucket) continue;
    SubjectBucketHasher hasher;
    for (const auto& h : bk["heads"]) {
      hasher.add(from_base64(h["subject"].get<std::string>()).value(),
                 SubjectHead::decode(from_hex(h["head"].get<std::string>()).value()).value());
    }
    nodes.push_back(leaf_hash(Bytes(hasher.finish())));
    for (unsigned level = 0; level < kSubjectTreeLevels; ++level) {
      const Hash sibling = hash_from_hex(bk["path"][level].get<std::string>()).value();
      nodes.push_back((bucket >> level & 1) == 0 ? node_hash(nodes.back(), sibling) : node_hash(sibling, nodes.back()));
    }
  }
  ASSERT_EQ(nodes.size(), kSubjectTreeLevels + 1);
  for (auto& bk : b["buckets"]) {
    const auto other = bk["bucket"].get<uint32_t>();
    if (other == bucket) continue;
    const unsigned joins = 31 - static_cast<unsigned>(__builtin_clz(other ^ bucket));  // the level their paths meet below
    bk["path"][joins] = to_hex(nodes[joins]);
  }
  const Hash root = nodes.back();
  Checkpoint cp = open_checkpoint(b["checkpoint"].get<std::string>(), log_key_.verifier()).value().checkpoint;
  cp.extensions = {subjects_extension(root)};
  Note note{cp.body(), {}};
  note.signatures.push_back(sign_note_text(note.text, log_key_));
  b["checkpoint"] = note.to_string();
  expect_refused(b, "belongs under subject line \"" + line_id_ + "\", and the log's subject map does not file it there");
}

TEST_F(CompletenessTest, MalformedProofsAreRefused) {
  json b = line_bundle();
  ASSERT_GE(b["buckets"].size(), 2u);
  std::swap(b["buckets"][0], b["buckets"][1]);
  expect_refused(b, "the buckets are not in ascending order");
  b = line_bundle();
  std::swap(b["subjects"][0], b["subjects"][1]);
  expect_refused(b, "the subjects are not in ascending order");
  b = line_bundle();
  b["buckets"][0]["path"].erase(0);
  expect_refused(b, "its path is not 16 hashes");
  b = line_bundle();
  size_t with_heads = 0;
  while (b["buckets"][with_heads]["heads"].empty()) ++with_heads;
  b["buckets"][with_heads]["bucket"] = b["buckets"][with_heads]["bucket"].get<uint64_t>() ^ 1;
  expect_refused(b, "holds a subject of another bucket");
  b = line_bundle(close::Audience::kPartner);
  b["withheld"].push_back(b["withheld"][0]);
  expect_refused(b, "the withheld entries are not in ascending order, each once");
}

}  // namespace
}  // namespace closebook
