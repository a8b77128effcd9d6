// Evidence bundles: built from a signed, invoiced period, verified offline with nothing but the
// log's key; any single changed byte is rejected; a ledger whose priced line disagrees with its
// rule version fails the recomputation.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include <nlohmann/json.hpp>

#include "close/bundle.h"
#include "close/invoice.h"
#include "close/journal.h"
#include "close/lineage.h"
#include "close/keys.h"
#include "close/signoff.h"
#include "close/views.h"
#include "match/pricing.h"
#include "match/three_way.h"
#include "tests/test_util.h"
#include "verify/io.h"
#include "verify/verify.h"

namespace closebook {
namespace {

class BundleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ledger_ = test::new_ledger(tmp_ / "l", log_key_);
    test::load_period(*ledger_, log_key_, test::bundled_sample(), "2026-10");
  }
  ledger::Snapshot snap() { return ledger_->snapshot().value(); }
  void append(std::vector<ledger::Draft>& drafts) { ASSERT_TRUE(ledger_->append(drafts, log_key_).ok()); }

  // Prices (letting `tamper` edit the drafts first), matches, registers finance's key and
  // plans finance's sign-off of 2026-10, cosigned by the log, without appending it.
  Result<close::SignOffPlan> plan_period_signoff(const std::function<void(std::vector<ledger::Draft>&)>& tamper) {
    CB_TRY(auto priced, match::plan_pricing(snap(), {"2026-10"}));
    if (tamper) tamper(priced.drafts);
    append(priced.drafts);
    CB_TRY(auto matched, match::plan_match(snap(), {"2026-10"}));
    append(matched.drafts);
    std::vector<ledger::Draft> key;
    CB_TRY(ledger::Draft registered,
           close::plan_key_change(snap(), {KeyAction::REGISTER, KeyRole::FINANCE, finance_.verifier(), {}, ""}));
    key.push_back(std::move(registered));
    append(key);
    CB_TRY(close::Statement statement, close::build_statement(snap(), "2026-10", ""));
    const std::string text = statement.text();
    CB_TRY(std::string signature, close::sign_statement(text, finance_));
    CB_TRY(close::SignOffPlan plan, close::plan_signoff(snap(), text, signature, {1}));
    close::add_log_signature(plan, log_key_);
    return plan;
  }
  void append_invoices() {
    auto invoices = close::plan_invoices(snap(), "2026-10");
    ASSERT_TRUE(invoices.ok());
    append(invoices->drafts);
  }
  // Prices (letting `tamper` edit the drafts first), matches, signs off and invoices 2026-10.
  void close_period(const std::function<void(std::vector<ledger::Draft>&)>& tamper = nullptr) {
    auto plan = plan_period_signoff(tamper);
    ASSERT_TRUE(plan.ok()) << plan.error().to_string();
    append(plan->drafts);
    append_invoices();
  }

  test::TempDir tmp_;
  SigningKey log_key_ = SigningKey::generate("closebook.test/bundle").value();
  SigningKey finance_ = SigningKey::generate("dana@finance").value();
  std::unique_ptr<ledger::Ledger> ledger_;
};

TEST_F(BundleTest, AnInvoiceBundleVerifiesOfflineAndRecomputesEveryAmount) {
  close_period();
  const std::string bundle = close::build_bundle(snap(), close::BundleSubject::kInvoice, "INV-2026-10-P004").value();
  auto report = verify::check_bundle(bundle, log_key_.verifier());
  ASSERT_TRUE(report.ok()) << report.error().to_string();
  EXPECT_EQ(report->subject_id, "INV-2026-10-P004");
  EXPECT_EQ(report->lines_recomputed, 3u);  // P004's three lines, in NZD through the FX locks
  EXPECT_EQ(report->invoices_recomputed, 1u);
  EXPECT_EQ(report->sign_offs, 1u);
  EXPECT_EQ(report->signers, std::set<std::string>{"dana@finance"});
  EXPECT_EQ(close::build_bundle(snap(), close::BundleSubject::kInvoice, "INV-2026-10-P004").value(), bundle)
      << "deterministic";
  // Only the log's key counts: another key, even one named like it, proves nothing.
  auto impostor = SigningKey::generate("closebook.test/bundle").value();
  EXPECT_FALSE(verify::check_bundle(bundle, impostor.verifier()).ok());
  EXPECT_FALSE(close::build_bundle(snap(), close::BundleSubject::kInvoice, "INV-2026-10-P999").ok());
}

// A bundle closebook-verify could not read (past its input limit) is refused, not written: the
// message says how big it is and what to verify instead.
TEST_F(BundleTest, ABundleLargerThanTheVerifierReadsIsRefusedWithWhatToVerifyInstead) {
  static_assert(close::kBundleBytesMax == kVerifyInputBytesMax);
  close_period();
  const std::string bundle = close::build_bundle(snap(), close::BundleSubject::kInvoice, "INV-2026-10-P004").value();
  EXPECT_TRUE(close::build_bundle(snap(), close::BundleSubject::kInvoice, "INV-2026-10-P004", close::Audience::kStaff,
                                  bundle.size()).ok());
  auto refused = close::build_bundle(snap(), close::BundleSubject::kInvoice, "INV-2026-10-P004", close::Audience::kStaff,
                                     bundle.size() - 1);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, Code::kInvalidArgument);
  EXPECT_NE(refused.error().message.find("the bundle of invoice INV-2026-10-P004 would be "), std::string::npos)
      << refused.error().message;
  EXPECT_NE(refused.error().message.find("MiB; closebook-verify reads at most 1 MiB, so nothing was written"), std::string::npos);
  EXPECT_NE(refused.error().message.find("closebook bundle --line"), std::string::npos);
  // Far past the limit, it stops once the entries' bytes alone pass it, before the rest is built.
  auto early = close::build_bundle(snap(), close::BundleSubject::kInvoice, "INV-2026-10-P004", close::Audience::kStaff, 4'000);
  ASSERT_FALSE(early.ok());
  EXPECT_NE(early.error().message.find("would be more than 1 MiB; closebook-verify reads at most 1 MiB"), std::string::npos)
      << early.error().message;
}

// An invoice bundle reads the period's sign-offs, postings and acknowledgements once for all
// its lines (close::PeriodTrail); each line's lineage must be what the line alone gives,
// journal postings included.
TEST_F(BundleTest, ALineageThroughThePeriodTrailIsTheLineageOfTheLineAlone) {
  close_period();
  auto journal = close::plan_journal(snap(), "2026-10", match::JournalConfig{});
  ASSERT_TRUE(journal.ok()) << journal.error().to_string();
  append(journal->drafts);
  auto s = snap();
  close::PeriodTrail trail = close::period_trail(s, "2026-10").value();
  EXPECT_EQ(trail.sign_offs.size(), 1u);
  EXPECT_EQ(trail.postings.size(), 1u);  // the Australian organisation's, NZD converted at the period's lock
  size_t lines = 0, with_posting = 0;
  const std::vector<uint64_t> priced = s.lookup("period_kind", "2026-10/pricedLine").value();
  for (uint64_t i : priced) {
    const auto alone = close::line_lineage_at(s, i).value();
    const auto shared = close::line_lineage_at(s, i, trail).value();
    ASSERT_EQ(alone.items.size(), shared.items.size()) << i;
    for (size_t k = 0; k < alone.items.size(); ++k) {
      EXPECT_EQ(alone.items[k].role, shared.items[k].role) << i;
      EXPECT_EQ(alone.items[k].ref.index, shared.items[k].ref.index) << i;
      EXPECT_EQ(alone.items[k].ref.hash, shared.items[k].ref.hash) << i;
      with_posting += alone.items[k].role == "journal_posting";
    }
    ++lines;
  }
  EXPECT_GT(lines, 10u);
  EXPECT_GT(with_posting, 0u) << "the postings reach the lines through their invoices";
}

TEST_F(BundleTest, EverySingleByteChangeToABundleIsRejected) {
  close_period();
  const std::string line = close::find_invoice(snap(), "INV-2026-10-P003")
                               .value()
                               .reader()
                               .getKind()
                               .getInvoice()
                               .getItems()[0]
                               .getLineId()
                               .cStr();
  const std::string bundle = close::build_bundle(snap(), close::BundleSubject::kLine, line).value();
  ASSERT_TRUE(verify::check_bundle(bundle, log_key_.verifier()).ok());
  const VerifierKey key = log_key_.verifier();
  // Each byte flipped in its lowest bit, on both cores: no change may pass.
  std::atomic<size_t> accepted{0}, first_accepted{SIZE_MAX};
  auto sweep = [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) {
      std::string changed = bundle;
      changed[i] = static_cast<char>(changed[i] ^ 1);
      if (verify::check_bundle(changed, key).ok()) {
        ++accepted;
        size_t expected = SIZE_MAX;
        first_accepted.compare_exchange_strong(expected, i);
      }
    }
  };
  std::thread half(sweep, 0, bundle.size() / 2);
  sweep(bundle.size() / 2, bundle.size());
  half.join();
  EXPECT_EQ(accepted.load(), 0u) << "first accepted change at byte " << first_accepted.load() << " of " << bundle.size();
}

TEST_F(BundleTest, ABundleInAnyOtherLayoutIsRefused) {
  close_period();
  const std::string bundle = close::build_bundle(snap(), close::BundleSubject::kInvoice, "INV-2026-10-P003").value();
  std::string reindented = bundle;
  reindented.insert(reindented.find("\"format\""), " ");
  auto r = verify::check_bundle(reindented, log_key_.verifier());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("canonical"), std::string::npos);
  EXPECT_FALSE(verify::check_bundle(bundle.substr(0, bundle.size() - 1), log_key_.verifier()).ok());
  EXPECT_FALSE(verify::check_bundle("", log_key_.verifier()).ok());
  EXPECT_FALSE(verify::check_bundle("{}\n", log_key_.verifier()).ok());
}

TEST_F(BundleTest, ALineThatDisagreesWithItsRuleVersionFailsTheRecomputation) {
  std::string tampered_line;
  close_period([&](std::vector<ledger::Draft>& drafts) {
    // What a writer with a tampered price book would record: a sell amount its rule version
    // does not give (one cent more), in an otherwise well-formed, signed ledger.
    for (size_t i = 1; i < drafts.size(); ++i) {
      if (!drafts[i].entry().getKind().isPricedLine()) continue;
      auto l = drafts[i].entry().getKind().getPricedLine();
      if (std::string(l.getPartnerId().cStr()) != "P001") continue;
      auto cost = drafts[i - 1].entry().getKind().getLineCost();  // the sealed line's (docs/evidence.md §5)
      const Decimal sell = Decimal::parse(l.getSellAmount().cStr()).value().add(Decimal::parse("0.01").value()).value();
      l.setSellAmount(sell.to_string());
      cost.setMarginAmount(sell.sub(Decimal::parse(cost.getCostAmount().cStr()).value()).value().to_string());
      tampered_line = l.getLineId().cStr();
      break;
    }
  });
  ASSERT_FALSE(tampered_line.empty());
  const std::string bundle = close::build_bundle(snap(), close::BundleSubject::kInvoice, "INV-2026-10-P001").value();
  auto report = verify::check_bundle(bundle, log_key_.verifier());
  ASSERT_FALSE(report.ok());
  EXPECT_NE(report.error().message.find(tampered_line + ") sell amount"), std::string::npos) << report.error().to_string();
  EXPECT_NE(report.error().message.find("recomputed"), std::string::npos);
  // The other partners' bundles still verify: the check is per line, not a blanket refusal.
  EXPECT_TRUE(verify::check_bundle(close::build_bundle(snap(), close::BundleSubject::kInvoice, "INV-2026-10-P003").value(),
                                   log_key_.verifier())
                  .ok());
}

// Verifier hardening (issue 8): what published verifier bugs in other ledgers let through.
TEST_F(BundleTest, TruncatedBundlesAreRejectedAtEveryLength) {
  close_period();
  const std::string bundle = close::build_bundle(snap(), close::BundleSubject::kInvoice, "INV-2026-10-P002").value();
  for (size_t length = 0; length < bundle.size(); length += std::max<size_t>(1, bundle.size() / 300)) {
    EXPECT_FALSE(verify::check_bundle(bundle.substr(0, length), log_key_.verifier()).ok()) << "cut at " << length;
  }
}

TEST_F(BundleTest, ABundleResignedByTheServerUnderTheLogsNameIsRejected) {
  close_period();
  std::string bundle = close::build_bundle(snap(), close::BundleSubject::kInvoice, "INV-2026-10-P002").value();
  // A compromised server re-signs the checkpoint with a key of its own, named like the log.
  auto impostor = SigningKey::generate(log_key_.name()).value();
  const std::string note = snap().latest_checkpoint().value();
  const std::string body = note.substr(0, note.find("\n\n") + 1);
  const std::string resigned = Note{body, {sign_note_text(body, impostor)}}.to_string();
  auto j = nlohmann::ordered_json::parse(bundle);
  j["checkpoint"] = resigned;
  const std::string forged = j.dump(2) + "\n";
  EXPECT_FALSE(verify::check_bundle(forged, log_key_.verifier()).ok()) << "the auditor's key, not the bundle's claim";
  EXPECT_FALSE(verify::check_bundle(forged, impostor.verifier()).ok()) << "entry 0 registers another log key";
}

TEST_F(BundleTest, ProofsForAnotherTreeOrAnotherSizeAreRejected) {
  close_period();
  auto s = snap();
  const uint64_t size = s.size(), index = size / 3;
  const std::string note = s.checkpoint(size).value();
  const std::string entry = s.entry_bytes(index).value();
  // The document `closebook log prove inclusion` and GET /v1/proof/inclusion give.
  const auto proof_json = [&](uint64_t i, uint64_t n) { return close::inclusion_proof_json(s, i, n).value().dump(); };
  ASSERT_TRUE(verify::check_inclusion(note, proof_json(index, size), entry, log_key_.verifier()).ok());
  // A proof for an older tree, presented with the newer checkpoint.
  const uint64_t older = s.checkpoint_sizes().value()[1];
  EXPECT_FALSE(verify::check_inclusion(note, proof_json(index < older ? index : 1, older),
                                       s.entry_bytes(index < older ? index : 1).value(), log_key_.verifier()).ok());
  // A proof whose size is edited to the checkpoint's.
  auto edited = nlohmann::json::parse(proof_json(1, older));
  edited["size"] = size;
  EXPECT_FALSE(verify::check_inclusion(note, edited.dump(), s.entry_bytes(1).value(), log_key_.verifier()).ok());
  // Another entry presented with this entry's proof.
  EXPECT_FALSE(verify::check_inclusion(note, proof_json(index, size), s.entry_bytes(index + 1).value(), log_key_.verifier()).ok());
  // Another ledger's checkpoint (another log key, the same name) with this ledger's proof.
  test::TempDir other_dir;
  auto other_key = SigningKey::generate(log_key_.name()).value();
  auto other = test::new_ledger(other_dir / "l", other_key);
  const std::string other_note = other->snapshot().value().latest_checkpoint().value();
  EXPECT_FALSE(verify::check_inclusion(other_note, proof_json(index, size), entry, log_key_.verifier()).ok());
  EXPECT_FALSE(verify::check_inclusion(other_note, proof_json(index, size), entry, other_key.verifier()).ok());
}

TEST_F(BundleTest, ASignOffByARevokedKeyWrittenPastTheChecksIsRefusedByTheVerifiers) {
  // A sign-off planned while dana's key was active, appended after it was revoked, by a
  // writer that skipped the planned-size check: the ledger holds what plan_signoff refuses.
  auto plan = plan_period_signoff(nullptr);
  ASSERT_TRUE(plan.ok()) << plan.error().to_string();
  std::vector<ledger::Draft> revoke;
  revoke.push_back(close::plan_key_change(snap(), {KeyAction::REVOKE, KeyRole::FINANCE, finance_.verifier(), {}, "left"}).value());
  append(revoke);
  append(plan->drafts);  // no expected_size: past the checks
  append_invoices();
  ledger_.reset();
  auto replayed = verify::replay_ledger(tmp_ / "l", log_key_.verifier());
  ASSERT_FALSE(replayed.ok());
  EXPECT_NE(replayed.error().message.find("signed by \"dana@finance\", not a key registered and active at it"),
            std::string::npos) << replayed.error().message;
  ledger_ = ledger::Ledger::open(tmp_ / "l", {}).value();
  const std::string bundle = close::build_bundle(snap(), close::BundleSubject::kInvoice, "INV-2026-10-P001").value();
  EXPECT_FALSE(verify::check_bundle(bundle, log_key_.verifier()).ok());
}

TEST(BundleVectorTest, ThePublishedBundleVerifiesAndItsTamperedFormsDoNot) {
  const std::string dir = test::source_dir() + "/tests/vectors/bundle/";
  const std::string bundle = test::read_text(dir + "INV-2026-10-P004-v3.json");
  std::string vkey = test::read_text(dir + "log-v3.vkey");
  vkey.erase(vkey.find_last_not_of('\n') + 1);
  const VerifierKey key = VerifierKey::parse(vkey).value();
  auto report = verify::check_bundle(bundle, key);
  ASSERT_TRUE(report.ok()) << report.error().to_string();
  EXPECT_EQ(report->entries, 35u);
  EXPECT_EQ(report->lines_recomputed, 3u);
  EXPECT_EQ(report->subjects_proven, 26u);
  // The storage line's sell amount, edited in its JSON and in nothing else.
  std::string edited = bundle;
  const size_t at = edited.find("\"sellAmount\": \"75.16\"");
  ASSERT_NE(at, std::string::npos);
  edited.replace(at, 21, "\"sellAmount\": \"75.17\"");
  auto refused = verify::check_bundle(edited, key);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("the JSON is not its decoding"), std::string::npos) << refused.error().to_string();
}

// The v1 vector (written before tenant edges were bundled) cannot prove who owns its lines:
// refused with the reason, never accepted without the proof.
TEST(BundleVectorTest, AVersionOneBundleIsRefusedForWhatItCannotProve) {
  const std::string dir = test::source_dir() + "/tests/vectors/bundle/";
  std::string vkey = test::read_text(dir + "log.vkey");
  vkey.erase(vkey.find_last_not_of('\n') + 1);
  auto refused = verify::check_bundle(test::read_text(dir + "INV-2026-10-P004.json"), VerifierKey::parse(vkey).value());
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("R1: a closebook-bundle-v1 bundle"), std::string::npos) << refused.error().to_string();
}

// The v2 vector proves what it carries but not that nothing is missing: refused with the
// reason, never accepted as if complete.
TEST(BundleVectorTest, AVersionTwoBundleIsRefusedForWhatItCannotProve) {
  const std::string dir = test::source_dir() + "/tests/vectors/bundle/";
  std::string vkey = test::read_text(dir + "log-v2.vkey");
  vkey.erase(vkey.find_last_not_of('\n') + 1);
  auto refused = verify::check_bundle(test::read_text(dir + "INV-2026-10-P004-v2.json"), VerifierKey::parse(vkey).value());
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("R1: a closebook-bundle-v2 bundle does not prove it is complete"), std::string::npos)
      << refused.error().to_string();
}

}  // namespace
}  // namespace closebook
