// Witnesses (C2SP tlog-witness, tlog-cosignature, tlog-policy; docs/ledger.md §4.1): a witness
// cosigns a checkpoint only if it extends the one it cosigned last, so a fork or a rollback
// gets no cosignature, and closebook-verify with a policy refuses a checkpoint or a bundle
// without its quorum, or with cosignatures older than a given age.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <filesystem>
#include <thread>

#include "api/server.h"
#include "api/witness_service.h"
#include "close/bundle.h"
#include "evidence/checkpoint.h"
#include "evidence/cosignature.h"
#include "evidence/policy.h"
#include "evidence/subject_map.h"
#include "tests/api_fixture.h"
#include "tests/test_util.h"
#include "verify/verify.h"
#include "witness/client.h"
#include "witness/witness.h"

namespace closebook {
namespace {

class WitnessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    honest_ = test::new_ledger(tmp_ / "honest", log_key_);
    forked_ = test::new_ledger(tmp_ / "forked", log_key_);  // the same log key and origin
    grow(*honest_, 1);
    grow(*forked_, 2);  // the fork: another entry at index 1
    witness_ = make_witness(w1_);
  }

  std::unique_ptr<witness::Witness> make_witness(const SigningKey& key) {
    const std::string dir = tmp_ / "state";
    std::filesystem::create_directories(dir);
    auto copy = SigningKey::from_seed(key.name(), Bytes(key.seed())).value();
    return std::make_unique<witness::Witness>(dir, std::move(copy), std::vector<VerifierKey>{log_key_.verifier()},
                                              [this] { return now_; });
  }
  void grow(ledger::Ledger& l, int seed) {
    std::vector<ledger::Draft> d;
    d.push_back(test::fx_rate_draft(seed));
    ASSERT_TRUE(l.append(d, log_key_).ok());
  }
  static std::string checkpoint(ledger::Ledger& l) { return l.snapshot().value().latest_checkpoint().value(); }
  static uint64_t size(ledger::Ledger& l) { return l.snapshot().value().size(); }
  static std::string body(uint64_t old, const std::vector<Hash>& proof, const std::string& cp) {
    std::string b = "old " + std::to_string(old) + "\n";
    for (const Hash& h : proof) b += to_base64(Bytes(h)) + "\n";
    return b + "\n" + cp;
  }
  // Submits `l`'s latest checkpoint from the size the witness holds, with the proof from it.
  witness::Answer add(ledger::Ledger& l, uint64_t old) {
    const uint64_t n = size(l);
    std::vector<Hash> proof;
    if (old != 0 && old < n) proof = l.snapshot().value().consistency_proof(old, n).value();
    return witness_->add_checkpoint(body(old, proof, checkpoint(l)));
  }
  std::string policy(const std::string& quorum_lines) const {
    return "log " + log_key_.verifier().to_string() + "\nwitness w1 " + CosignerKey::of(w1_).to_string() +
           "\nwitness w2 " + CosignerKey::of(w2_).to_string() + "\n" + quorum_lines;
  }

  test::TempDir tmp_;
  SigningKey log_key_ = SigningKey::generate("closebook.test/witness").value();
  SigningKey w1_ = SigningKey::generate("witness.test/w1").value();
  SigningKey w2_ = SigningKey::generate("witness.test/w2").value();
  std::unique_ptr<ledger::Ledger> honest_, forked_;
  std::unique_ptr<witness::Witness> witness_;
  uint64_t now_ = 1'790'000'000;
};

TEST_F(WitnessTest, ItCosignsACheckpointThatExtendsTheLastAndTheCosignatureVerifies) {
  const witness::Answer first = add(*honest_, 0);
  ASSERT_EQ(first.status, 200) << first.body;
  Note note = parse_note(checkpoint(*honest_) + first.body).value();
  EXPECT_EQ(cosignature_time(note, CosignerKey::of(w1_)).value(), now_);
  const uint64_t cosigned = size(*honest_);
  grow(*honest_, 3);
  now_ += 60;
  const witness::Answer next = add(*honest_, cosigned);
  ASSERT_EQ(next.status, 200) << next.body;
  // The old size it holds, asked from 0 (tlog-witness: a 409 names it).
  const witness::Answer stale = add(*honest_, 0);
  EXPECT_EQ(stale.status, 409);
  EXPECT_EQ(stale.content_type, "text/x.tlog.size");
  EXPECT_EQ(stale.body, std::to_string(size(*honest_)) + "\n");
  // Kept durably: a new witness process on the same state knows the size.
  witness_ = make_witness(w1_);
  EXPECT_EQ(add(*honest_, 0).status, 409);
  EXPECT_EQ(add(*honest_, size(*honest_)).status, 200) << "the same checkpoint again is cosigned again";
}

TEST_F(WitnessTest, AForkIsRefused) {
  ASSERT_EQ(add(*honest_, 0).status, 200);
  // The same size, another root.
  const witness::Answer same_size = add(*forked_, size(*honest_));
  EXPECT_EQ(same_size.status, 409) << same_size.body;
  EXPECT_NE(same_size.body.find("forked"), std::string::npos);
  // A larger tree that does not extend the cosigned one: no proof from the honest tree exists.
  grow(*forked_, 4);
  const uint64_t old = size(*honest_);
  const std::vector<Hash> proof = forked_->snapshot().value().consistency_proof(old, size(*forked_)).value();
  const witness::Answer larger = witness_->add_checkpoint(body(old, proof, checkpoint(*forked_)));
  EXPECT_EQ(larger.status, 422) << larger.body;
}

// The same tree with another extension line (another subject map) is a second checkpoint of
// one size: a split view of what the log signs.
TEST_F(WitnessTest, AnotherBodyForTheCosignedSizeIsRefused) {
  ASSERT_EQ(add(*honest_, 0).status, 200);
  const auto cp = open_checkpoint(checkpoint(*honest_), log_key_.verifier()).value().checkpoint;
  Checkpoint other = cp;
  other.extensions = {subjects_extension(sha256("another map"))};
  Note note{other.body(), {}};
  note.signatures.push_back(sign_note_text(note.text, log_key_));
  const witness::Answer a = witness_->add_checkpoint(body(size(*honest_), {}, note.to_string()));
  EXPECT_EQ(a.status, 409) << a.body;
}

TEST_F(WitnessTest, ARollbackIsRefused) {
  const std::string older = checkpoint(*honest_);
  const uint64_t older_size = size(*honest_);
  grow(*honest_, 5);
  ASSERT_EQ(add(*honest_, 0).status, 200);
  EXPECT_EQ(witness_->add_checkpoint(body(size(*honest_), {}, older)).status, 400) << "the old size above the checkpoint's";
  EXPECT_EQ(witness_->add_checkpoint(body(older_size, {}, older)).status, 409) << "not the size it cosigned";
}

TEST_F(WitnessTest, BadSubmissionsAreRefusedWithTheProtocolsStatus) {
  const std::string cp = checkpoint(*honest_);
  EXPECT_EQ(witness_->add_checkpoint("").status, 400);
  EXPECT_EQ(witness_->add_checkpoint("old 01\n\n" + cp).status, 400);
  EXPECT_EQ(witness_->add_checkpoint("old 0\nnot-base64\n\n" + cp).status, 400);
  EXPECT_EQ(witness_->add_checkpoint("old 0\n\nnot a note").status, 400);
  auto other = test::new_ledger(tmp_ / "other", SigningKey::generate("closebook.test/other").value());
  EXPECT_EQ(witness_->add_checkpoint(body(0, {}, checkpoint(*other))).status, 404) << "a log it does not witness";
  SigningKey impostor = SigningKey::generate("closebook.test/witness").value();  // the log's name, another key
  auto forged = test::new_ledger(tmp_ / "impostor", impostor);
  EXPECT_EQ(witness_->add_checkpoint(body(0, {}, checkpoint(*forged))).status, 403);
  EXPECT_EQ(witness_->add_checkpoint(body(0, {Hash{}}, cp)).status, 400) << "a proof from size 0";
}

TEST_F(WitnessTest, APolicysQuorumAndAgeDecideWhetherACheckpointCounts) {
  const witness::Answer a = add(*honest_, 0);
  ASSERT_EQ(a.status, 200);
  const std::string cosigned = checkpoint(*honest_) + a.body;
  // Parsed back through the signed-note rules the verifier applies.
  Note note = parse_note(cosigned).value();
  ASSERT_EQ(note.signatures.size(), 2u);
  const VerifierKey log = log_key_.verifier();
  EXPECT_TRUE(verify::check_witnessed(cosigned, log, policy("quorum w1\n"), now_, std::nullopt).ok());
  EXPECT_TRUE(verify::check_witnessed(cosigned, log, policy("group g any w1 w2\nquorum g\n"), now_, 600).ok());
  auto both = verify::check_witnessed(cosigned, log, policy("group g all w1 w2\nquorum g\n"), now_, std::nullopt);
  ASSERT_FALSE(both.ok());
  EXPECT_NE(both.error().message.find("w2 (no cosignature)"), std::string::npos) << both.error().message;
  auto stale = verify::check_witnessed(cosigned, log, policy("quorum w1\n"), now_ + 3600, 600);
  ASSERT_FALSE(stale.ok());
  EXPECT_NE(stale.error().message.find("w1 (cosigned 3600 s ago, more than 600 s)"), std::string::npos) << stale.error().message;
  EXPECT_FALSE(verify::check_witnessed(cosigned, log, policy("quorum w1\n"), now_ - 3600, std::nullopt).ok())
      << "a cosignature from the future";
  EXPECT_FALSE(verify::check_witnessed(checkpoint(*honest_), log, policy("quorum w1\n"), now_, std::nullopt).ok())
      << "no cosignature at all";
  EXPECT_TRUE(verify::check_witnessed(checkpoint(*honest_), log, policy("quorum none\n"), now_, std::nullopt).ok());
  // A line by w2's name and key hash that does not verify is no veto: the quorum of "any" holds.
  Note vetoed = note;
  NoteSignature garbage = cosign(note.text, w2_, now_);
  garbage.signature[20] ^= 1;
  vetoed.signatures.push_back(garbage);
  EXPECT_TRUE(verify::check_witnessed(vetoed.to_string(), log, policy("group g any w1 w2\nquorum g\n"), now_, 600).ok());
  // The log cannot be its own witness.
  const std::string self = "witness me " + CosignerKey::of(log_key_).to_string() + "\nquorum me\n";
  Note self_signed = parse_note(checkpoint(*honest_)).value();
  self_signed.signatures.push_back(cosign(self_signed.text, log_key_, now_));
  auto refused_self = verify::check_witnessed(self_signed.to_string(), log, self, now_, 600);
  ASSERT_FALSE(refused_self.ok());
  EXPECT_NE(refused_self.error().message.find("has the log's own key"), std::string::npos);
  // A cosignature line with its signature bytes edited does not count.
  std::string edited = cosigned;
  edited[edited.size() - 5] = edited[edited.size() - 5] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(verify::check_witnessed(edited, log, policy("quorum w1\n"), now_, std::nullopt).ok());
}

TEST(WitnessPolicyTest, MalformedPoliciesAreRefusedWithTheirLine) {
  const std::string w = CosignerKey::of(SigningKey::generate("w.test/a").value()).to_string();
  const std::string w2 = CosignerKey::of(SigningKey::generate("w.test/b").value()).to_string();
  for (const auto& [text, says] : std::vector<std::pair<std::string, std::string>>{
           {"witness a " + w + "\n", "no quorum line"},
           {"quorum a\n", "line 1: the quorum a is not defined above"},
           {"witness a " + w + "\nwitness b " + w + "\nquorum a\n", "line 2: a key listed twice"},
           {"witness a " + w + "\nwitness b " + w2 + "\ngroup g 3 a b\nquorum g\n", "line 3: the threshold"},
           {"witness a " + w + "\ngroup g any a a\nquorum g\n", "line 2: member a listed twice"},
           {"witness a " + w + "\nquorum a\nquorum a\n", "line 3: nothing may follow the quorum line"},
           {"witness a " + SigningKey::generate("w.test/c").value().verifier().to_string() + "\nquorum a\n",
            "line 1: not a key of signature type 0x04"},
           {"frobnicate\nquorum none\n", "line 1: unknown line"},
       }) {
    auto p = WitnessPolicy::parse(text);
    ASSERT_FALSE(p.ok()) << text;
    EXPECT_NE(p.error().message.find(says), std::string::npos) << p.error().message;
  }
  EXPECT_TRUE(WitnessPolicy::parse("# a comment\n\n  witness a " + w + "  \ngroup g any a\nquorum g\n").ok());
}

// Over HTTP, with a real closebookd: the witness runs as `closebook witness serve`, closebookd
// follows its --witness-policy, each new checkpoint comes back cosigned, and an auditor's
// bundle verifies under the policy; a forked log submitted to the same witness is refused.
class WitnessHttpTest : public test::ApiTest {
 protected:
  void start_witness() {
    const std::string key_file = tmp_ / "w1.key";
    test::write_text(key_file, test::cheap_seal(w1_));
    ::chmod(key_file.c_str(), 0600);
    const std::string port_file = tmp_ / "witness.port";
    witness_ = test::spawn(CLOSEBOOK_BIN,
                           {"witness", "serve", "--key", key_file, "--log", log_key_.verifier().to_string(), "--state",
                            tmp_ / "witness-state", "--listen", "127.0.0.1:0", "--port-file", port_file, "--passphrase-file",
                            passphrase_file_, "--access-log", tmp_ / "witness.log"},
                           {}, tmp_ / "witness.out", tmp_ / "witness.err");
    ASSERT_GT(witness_, 0);
    for (int i = 0; i < 500 && witness_port_ == 0; ++i) {
      if (std::filesystem::exists(port_file) && test::read_text(port_file).ends_with("\n")) {
        witness_port_ = static_cast<uint16_t>(std::stoi(test::read_text(port_file)));
      }
      if (witness_port_ == 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ASSERT_NE(witness_port_, 0) << test::read_text(tmp_ / "witness.err");
  }
  void TearDown() override {
    if (witness_ > 0) {
      ::kill(witness_, SIGTERM);
      EXPECT_EQ(test::wait_exit(witness_), 0);
    }
    ApiTest::TearDown();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(witness_port_); }
  std::string policy_text() const {
    return "log " + log_key_.verifier().to_string() + "\nwitness w1 " + CosignerKey::of(w1_).to_string() + " " + url() +
           "\nquorum w1\n";
  }
  // Polls the API's checkpoint until it is cosigned at `size`: a bound on liveness, not a timing assertion.
  std::string cosigned_at(uint64_t size) {
    for (int i = 0; i < 300; ++i) {
      const std::string note = json(get("auditor", "/v1/checkpoint"))["note"];
      auto checked = verify::check_witnessed(note, log_key_.verifier(), policy_text(), now(), 600);
      if (checked.ok() && Checkpoint::parse(parse_note(note).value().text).value().size == size) return note;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return "";
  }
  static uint64_t now() { return static_cast<uint64_t>(std::time(nullptr)); }

  SigningKey w1_ = SigningKey::generate("witness.test/w1").value();
  pid_t witness_ = -1;
  uint16_t witness_port_ = 0;
};

TEST_F(WitnessHttpTest, EachCheckpointIsCosignedAndABundleVerifiesUnderThePolicy) {
  start_witness();
  ASSERT_EQ(stop_daemon(), 0);
  const std::string policy_file = tmp_ / "policy";
  test::write_text(policy_file, policy_text());
  const std::string pub = tmp_ / "pub";
  start_daemon({"--witness-policy", policy_file, "--publish", pub});
  ASSERT_FALSE(cosigned_at(ledger_size()).empty()) << test::read_text(tmp_ / "witness.err");
  ASSERT_EQ(sign_off_over_http().status, 201);
  issue_invoices();  // written by another process: cosigned too
  const uint64_t size = ledger_size();
  const std::string cosigned = cosigned_at(size);
  ASSERT_FALSE(cosigned.empty());
  // The published tiles' checkpoint gains the cosignature too (bounded polling, not a timing).
  bool published = false;
  for (int i = 0; i < 300 && !published; ++i) {
    published = std::filesystem::exists(pub + "/checkpoint") && test::read_text(pub + "/checkpoint") == cosigned;
    if (!published) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(published) << "the published checkpoint is not the cosigned one";
  ASSERT_EQ(stop_daemon(), 0);  // the ledger to ourselves, to build a bundle
  {
    auto ledger = ledger::Ledger::open(dir_, {}).value();
    const std::string bundle =
        close::build_bundle(ledger->snapshot().value(), close::BundleSubject::kInvoice, "INV-2026-10-P001").value();
    auto report = verify::check_bundle(bundle, log_key_.verifier());
    ASSERT_TRUE(report.ok()) << report.error().to_string();
    EXPECT_TRUE(verify::check_witnessed(report->checkpoint, log_key_.verifier(), policy_text(), now(), 600).ok());
    // A fork of the log, signed by the same log key, is refused by the witness: no cosignature.
    auto fork = test::new_ledger(tmp_ / "fork", log_key_);
    for (int i = 0; i < 3; ++i) {
      std::vector<ledger::Draft> d;
      d.push_back(test::fx_rate_draft(100 + i));
      ASSERT_TRUE(fork->append(d, log_key_).ok());
    }
    const ledger::Snapshot forked = fork->snapshot().value();
    uint64_t known = size;
    auto refused = witness::submit(url(), forked.latest_checkpoint().value(), forked.size(), known,
                                   [&](uint64_t old) { return forked.consistency_proof(old, forked.size()); });
    ASSERT_FALSE(refused.ok());
    EXPECT_NE(refused.error().message.find("answered 4"), std::string::npos) << refused.error().message;
    auto unwitnessed = verify::check_witnessed(forked.latest_checkpoint().value(), log_key_.verifier(), policy_text(), now(), 600);
    ASSERT_FALSE(unwitnessed.ok());
    EXPECT_NE(unwitnessed.error().message.find("lacks its policy's quorum"), std::string::npos);
  }
  start_daemon();
}

}  // namespace
}  // namespace closebook
