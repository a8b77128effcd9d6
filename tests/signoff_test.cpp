// Signer keys and sign-off: the statement, offline signatures, what is refused (unknown,
// revoked or rotated-away keys, stale or altered statements, blocking exceptions without an
// override, too few signers), the sealed period, and closebook-verify's replay of it all.
#include <gtest/gtest.h>

#include <set>
#include <sstream>

#include "close/credit.h"
#include "close/invoice.h"
#include "close/lineage.h"
#include "close/keys.h"
#include "close/signoff.h"
#include "data/sample/generator/generator.h"
#include "match/feeds.h"
#include "match/period.h"
#include "match/pricing.h"
#include "match/queue.h"
#include "match/three_way.h"
#include "tests/test_util.h"
#include "verify/verify.h"

namespace closebook {
namespace {

class SignOffTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ledger_ = test::new_ledger(tmp_ / "l", log_key_);
    test::load_period(*ledger_, log_key_, test::bundled_sample(), "2026-10");
    test::price_and_match(*ledger_, log_key_, "2026-10");
  }

  ledger::Snapshot snap() { return ledger_->snapshot().value(); }
  uint64_t size() { return snap().size(); }

  Status key_change(KeyAction action, const SigningKey& key, const Hash& replaces = {}) {
    auto draft = close::plan_key_change(snap(), {action, KeyRole::FINANCE, key.verifier(), replaces, "test"});
    if (!draft.ok()) return std::move(draft).error();
    std::vector<ledger::Draft> drafts;
    drafts.push_back(std::move(*draft));
    auto receipt = ledger_->append(drafts, log_key_);
    if (!receipt.ok()) return std::move(receipt).error();
    return {};
  }

  std::string statement(const std::string& override_reason = "") {
    auto s = close::build_statement(snap(), "2026-10", override_reason);
    EXPECT_TRUE(s.ok()) << s.error().to_string();
    return s->text();
  }
  // What the statement's summary line commits to, as finance reviews it.
  std::string summary(const std::string& override_reason = "") {
    return close::build_statement(snap(), "2026-10", override_reason).value().summary_text();
  }
  static std::string sign(const std::string& text, const SigningKey& key) {
    return close::sign_statement(text, key).value();
  }
  // Plans and appends a sign-off; on failure the ledger must be exactly as it was.
  Result<uint64_t> submit(const std::string& text, const std::string& sigs, uint32_t required = 1,
                          const std::string& override_reason = "") {
    const uint64_t before = size();
    const Hash root_before = snap().root(before).value();
    auto plan = close::plan_signoff(snap(), text, sigs, {required, override_reason});
    if (!plan.ok()) {
      EXPECT_EQ(size(), before);
      EXPECT_EQ(snap().root(before).value(), root_before);
      return std::move(plan).error();
    }
    close::add_log_signature(*plan, log_key_);
    CB_TRY(auto receipt, ledger_->append(plan->drafts, log_key_));
    return receipt.entries.back().index;  // the SignOff, after its summary
  }

  test::TempDir tmp_;
  SigningKey log_key_ = SigningKey::generate("closebook.test/signoff").value();
  SigningKey alice_ = SigningKey::generate("alice@finance").value();
  SigningKey bob_ = SigningKey::generate("bob@finance").value();
  std::unique_ptr<ledger::Ledger> ledger_;
};

TEST_F(SignOffTest, ASignedStatementIsRecordedAndThePeriodIsSealed) {
  ASSERT_TRUE(key_change(KeyAction::REGISTER, alice_).ok());
  const std::string text = statement();
  // The statement names the period and commits to its summary, which only finance is shown.
  EXPECT_NE(text.find("\nclosebook-signoff/v2\nperiod 2026-10\nsummary "), std::string::npos) << text;
  EXPECT_EQ(text.find("priced "), std::string::npos) << text;
  const std::string reviewed = summary();
  EXPECT_NE(reviewed.find("\nmatch "), std::string::npos) << reviewed;
  EXPECT_NE(reviewed.find("priced NZD lines 3 cost 520.04 sell 613.20 margin 93.16\n"), std::string::npos) << reviewed;
  EXPECT_NE(reviewed.find("outstanding TIMING AUD count 1 blocking 0 amount 645.47\n"), std::string::npos) << reviewed;
  const close::Statement parsed = close::parse_statement(text).value();
  EXPECT_TRUE(close::check_summary(parsed, reviewed).ok());
  std::string edited = reviewed;
  edited.replace(edited.find("645.47"), 6, "645.48");
  EXPECT_FALSE(close::check_summary(parsed, edited).ok()) << "an edited summary is not the one signed";
  EXPECT_EQ(close::build_statement(snap(), "2026-10", "").value().text(), text) << "made again byte for byte";
  auto at = submit(text, sign(text, alice_));
  ASSERT_TRUE(at.ok()) << at.error().to_string();

  // The SignOff rebuilds the period's checkpoint, cosigned by the log and by finance.
  auto entry = snap().entry(*at).value();
  const std::string note_text = close::signoff_note(entry).value();
  auto note = parse_note(note_text).value();
  EXPECT_EQ(note.text, text);
  EXPECT_TRUE(verify_note(note, log_key_.verifier()).ok());
  EXPECT_TRUE(verify_note(note, alice_.verifier()).ok());
  auto so = entry.reader().getKind().getSignOff();
  EXPECT_EQ(so.getTreeSize(), *at - 1);  // the statement's tree, before the summary
  EXPECT_EQ(so.getOutstanding().size(), 0u);  // in the summary, just before it
  auto held = snap().entry(so.getSummary().getIndex()).value();
  ASSERT_TRUE(held.reader().getKind().isSignOffSummary());
  EXPECT_EQ(held.reader().getIndex(), *at - 1);
  EXPECT_EQ(held.reader().getKind().getSignOffSummary().getLines().size(), 1u + 2u + 3u);  // match, 2 priced, 3 outstanding

  // Sealed: pricing, matching and a second sign-off are refused.
  auto priced = match::plan_pricing(snap(), {"2026-10"});
  ASSERT_FALSE(priced.ok());
  EXPECT_NE(priced.error().message.find("is signed off"), std::string::npos);
  EXPECT_FALSE(match::plan_match(snap(), {"2026-10"}).ok());
  EXPECT_FALSE(close::build_statement(snap(), "2026-10", "").ok());
  EXPECT_FALSE(submit(text, sign(text, alice_)).ok());

  // An auditor's replay checks the sign-off's tree head and signers.
  const std::string dir = tmp_ / "l";
  auto report = verify::replay_ledger(dir, log_key_.verifier());
  ASSERT_TRUE(report.ok()) << report.error().to_string();
  EXPECT_EQ(report->sign_offs, 1u);
}

TEST_F(SignOffTest, AStatementNeedsAMatchThatIsNewerThanItsInputs) {
  test::TempDir other;
  auto fresh = test::new_ledger(other / "l", log_key_);
  test::load_period(*fresh, log_key_, test::bundled_sample(), "2026-10");
  auto s = close::build_statement(fresh->snapshot().value(), "2026-10", "");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("is not matched"), std::string::npos);
  EXPECT_FALSE(close::build_statement(snap(), "2026-13", "").ok());
}

TEST_F(SignOffTest, SignaturesByUnknownRevokedOrRotatedAwayKeysAreRefused) {
  const std::string text = statement();
  auto refused = submit(text, sign(text, alice_));
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("not by a registered, unrevoked finance key"), std::string::npos);

  ASSERT_TRUE(key_change(KeyAction::REGISTER, alice_).ok());
  EXPECT_FALSE(key_change(KeyAction::REGISTER, alice_).ok()) << "registered twice";
  ASSERT_TRUE(key_change(KeyAction::REVOKE, alice_).ok());
  EXPECT_FALSE(key_change(KeyAction::REVOKE, alice_).ok()) << "revoked twice";
  EXPECT_FALSE(submit(text, sign(text, alice_)).ok());
  EXPECT_FALSE(key_change(KeyAction::REGISTER, alice_).ok()) << "a revoked key never comes back";

  ASSERT_TRUE(key_change(KeyAction::REGISTER, bob_).ok());
  SigningKey bob2 = SigningKey::generate("bob@finance").value();
  ASSERT_TRUE(key_change(KeyAction::ROTATE, bob2, bob_.id()).ok());
  EXPECT_FALSE(submit(text, sign(text, bob_)).ok());
  auto at = submit(text, sign(text, bob2));
  EXPECT_TRUE(at.ok()) << at.error().to_string();
}

TEST_F(SignOffTest, AStaleOrAlteredStatementIsRefused) {
  ASSERT_TRUE(key_change(KeyAction::REGISTER, alice_).ok());
  // Altered after signing: the signature no longer matches, and the text no longer says
  // what the ledger says.
  std::string text = statement();
  const std::string sig = sign(text, alice_);
  std::string altered = text;
  altered.replace(altered.find("summary ") + 8, 4, "AAAA");
  EXPECT_FALSE(submit(altered, sign(altered, alice_)).ok());
  EXPECT_FALSE(submit(altered, sig).ok());

  // Stale: an exception waived after the statement was made (acknowledging one would not
  // change what the statement says: it is still outstanding).
  auto timing = match::list_exceptions(snap(), {"2026-10", std::nullopt, match::Category::TIMING}).value().front();
  match::UpdateRequest waive;
  waive.action = match::UpdateAction::WAIVE;
  waive.note = "billed in September";
  waive.actor = "test";
  std::vector<ledger::Draft> drafts;
  drafts.push_back(match::plan_update(timing, waive).value());
  ASSERT_TRUE(ledger_->append(drafts, log_key_).ok());
  auto stale = submit(text, sig);
  ASSERT_FALSE(stale.ok());
  EXPECT_NE(stale.error().message.find("make a new statement"), std::string::npos);

  // Stale: a late usage record filed under the period after the statement.
  text = statement();
  auto usage = match::plan_feed_load(match::format("closebook-usage-v1"), "late.csv",
                                     "Vendor,UsageDate,TenantRef,SubscriptionId,SkuId,Quantity,QuantityBasis,UnitType,SourceRef\n"
                                     "datto,2026-10-31,148213,SP-148213-M365-01,DATTO-SAAS-M365-SEAT,16,snapshot,Seat/Month,late\n",
                                     {"2026-10", nullptr});
  ASSERT_TRUE(ledger_->append(usage->drafts, log_key_).ok());
  stale = submit(text, sign(text, alice_));
  ASSERT_FALSE(stale.ok());
  EXPECT_NE(stale.error().message.find("is stale"), std::string::npos);
}

TEST_F(SignOffTest, TheRequiredNumberOfDistinctFinanceSignersIsEnforced) {
  ASSERT_TRUE(key_change(KeyAction::REGISTER, alice_).ok());
  ASSERT_TRUE(key_change(KeyAction::REGISTER, bob_).ok());
  const std::string text = statement();
  const std::string a = sign(text, alice_), b = sign(text, bob_);
  auto one = submit(text, a + a, 2);
  ASSERT_FALSE(one.ok());
  EXPECT_NE(one.error().message.find("needs 2 finance signatures"), std::string::npos);
  auto two = submit(text, a + b, 2);
  ASSERT_TRUE(two.ok()) << two.error().to_string();
  EXPECT_EQ(snap().entry(*two).value().reader().getKind().getSignOff().getSignatures().size(), 3u);
}

TEST_F(SignOffTest, OpenBlockingExceptionsNeedAnOverrideTheApproverSigned) {
  // A generated period has blocking exceptions (UNBILLED_USAGE, ORPHAN_BILLING, ...).
  test::TempDir other;
  ledger_ = test::new_ledger(other / "l", log_key_);
  test::load_period(*ledger_, log_key_, sample::generate({9, 300, Period{2026, 10}}), "2026-10");
  test::price_and_match(*ledger_, log_key_, "2026-10");
  ASSERT_TRUE(key_change(KeyAction::REGISTER, alice_).ok());
  const std::string plain = statement();
  auto refused = submit(plain, sign(plain, alice_));
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("open blocking exceptions"), std::string::npos);
  EXPECT_FALSE(close::build_statement(snap(), "2026-10", "two\nlines").ok());
  const std::string reason = "CFO approved: vendor disputes open with Microsoft";
  const std::string overridden = statement(reason);
  EXPECT_EQ(overridden.find("override"), std::string::npos) << "the reason is in the summary, not the statement";
  EXPECT_NE(summary(reason).find("\noverride CFO approved: vendor disputes open with Microsoft\n"), std::string::npos);
  auto without_reason = submit(overridden, sign(overridden, alice_));
  ASSERT_FALSE(without_reason.ok()) << "the submission must give the reason the statement was made with";
  EXPECT_NE(without_reason.error().message.find("override reason"), std::string::npos) << without_reason.error().to_string();
  auto at = submit(overridden, sign(overridden, alice_), 1, reason);
  ASSERT_TRUE(at.ok()) << at.error().to_string();
  auto so = snap().entry(*at).value().reader().getKind().getSignOff();
  auto held = snap().entry(so.getSummary().getIndex()).value().reader().getKind().getSignOffSummary();
  EXPECT_EQ(std::string(held.getLines()[held.getLines().size() - 1].cStr()), "override " + reason);
}

TEST_F(SignOffTest, TheVerifierRefusesASignOffWhoseFinanceSignatureDoesNotVerify) {
  // Written around the checks plan_signoff makes, as a compromised writer could: the replay
  // must catch it on its own.
  ASSERT_TRUE(key_change(KeyAction::REGISTER, alice_).ok());
  const std::string text = statement();
  auto plan = close::plan_signoff(snap(), text, sign(text, alice_), {1});
  ASSERT_TRUE(plan.ok()) << plan.error().to_string();
  close::add_log_signature(*plan, log_key_);
  auto finance = plan->drafts.back().entry().getKind().getSignOff().getSignatures()[0];
  ASSERT_EQ(std::string(finance.getKeyName().cStr()), "alice@finance");
  finance.getSignature()[7] ^= 1;
  ASSERT_TRUE(ledger_->append(plan->drafts, log_key_).ok());
  auto report = verify::replay_ledger(tmp_ / "l", log_key_.verifier());
  ASSERT_FALSE(report.ok());
  EXPECT_NE(report.error().message.find("signature by \"alice@finance\" does not verify"), std::string::npos)
      << report.error().to_string();
}

TEST_F(SignOffTest, InvoicesComeFromASignedPeriodOnePerPartnerWithGstPerItem) {
  auto unsigned_period = close::plan_invoices(snap(), "2026-10");
  ASSERT_FALSE(unsigned_period.ok());
  EXPECT_NE(unsigned_period.error().message.find("not signed off"), std::string::npos);
  ASSERT_TRUE(key_change(KeyAction::REGISTER, alice_).ok());
  const std::string text = statement();
  ASSERT_TRUE(submit(text, sign(text, alice_)).ok());

  auto plan = close::plan_invoices(snap(), "2026-10");
  ASSERT_TRUE(plan.ok()) << plan.error().to_string();
  EXPECT_EQ(plan->invoice_ids, (std::vector<std::string>{"INV-2026-10-P001", "INV-2026-10-P002", "INV-2026-10-P003",
                                                         "INV-2026-10-P004", "INV-2026-10-P005"}));
  ASSERT_TRUE(ledger_->append(plan->drafts, log_key_).ok());
  auto again = close::plan_invoices(snap(), "2026-10");
  EXPECT_EQ(ledger_->append(again->drafts, log_key_).value().new_entry_count, 0u) << "issuing again adds nothing";

  // P001 (AU): GST is 10 % of each item, half-up to the cent, summed.
  auto p001 = close::find_invoice(snap(), "INV-2026-10-P001").value().reader().getKind().getInvoice();
  Decimal subtotal, gst;
  for (auto item : p001.getItems()) {
    const Decimal amount = Decimal::parse(item.getAmount().cStr()).value();
    const Decimal expected = amount.mul(Decimal::parse("0.1").value()).value().round(2, Rounding::kHalfUp).value();
    EXPECT_EQ(std::string(item.getGst().cStr()), expected.rescale(2).value().to_string());
    subtotal = subtotal.add(amount).value();
    gst = gst.add(expected).value();
  }
  EXPECT_EQ(std::string(p001.getSubtotal().cStr()), "961.74");  // the margin report's sell for P001
  EXPECT_EQ(std::string(p001.getGst().cStr()), gst.rescale(2).value().to_string());
  EXPECT_EQ(std::string(p001.getTotal().cStr()), subtotal.add(gst).value().rescale(2).value().to_string());
  // P004 (NZ, billed in NZD): a GST-free export.
  auto p004 = close::find_invoice(snap(), "INV-2026-10-P004").value();
  EXPECT_EQ(p004.reader().getKind().getInvoice().getGstTreatment(), schema::Invoice::GstTreatment::GST_FREE);
  EXPECT_EQ(std::string(p004.reader().getKind().getInvoice().getGst().cStr()), "0.00");
  const std::string csv = close::invoice_csv(snap(), p004).value();
  EXPECT_EQ(csv.substr(0, csv.find('\n')), "InvoiceId,Period,PartnerId,Currency,IssueDate,LineId,Description,Quantity,UnitPrice,Amount,Gst");
  EXPECT_NE(csv.find("INV-2026-10-P004,2026-10,P004,NZD,"), std::string::npos);
  EXPECT_NE(close::invoice_json(snap(), p004).value().find("\"gst_treatment\": \"gst_free\""), std::string::npos);
  EXPECT_EQ(std::string(match::period_state(snap(), "2026-10").value().name()), "invoiced");
}

TEST_F(SignOffTest, ACreditReopensASignedPeriodAndTheNextSignOffAndInvoiceCarryIt) {
  ASSERT_TRUE(key_change(KeyAction::REGISTER, alice_).ok());
  std::string text = statement();
  ASSERT_TRUE(submit(text, sign(text, alice_)).ok());
  auto invoices = close::plan_invoices(snap(), "2026-10");
  ASSERT_TRUE(ledger_->append(invoices->drafts, log_key_).ok());
  auto p001 = close::find_invoice(snap(), "INV-2026-10-P001").value().reader().getKind().getInvoice();
  const std::string line_id = p001.getItems()[0].getLineId().cStr();
  const std::string billed = p001.getItems()[0].getAmount().cStr();

  // Bad credits change nothing.
  close::CreditRequest bad;
  bad.line_ids = {line_id};
  bad.reason = "too much";
  bad.amount = Decimal::parse(billed).value().add(Decimal::parse("0.01").value()).value();
  EXPECT_FALSE(close::plan_credit(snap(), bad).ok());
  bad.amount.reset();
  EXPECT_FALSE(close::plan_credit(snap(), bad).ok()) << "neither --amount nor --qty";
  bad.line_ids = {"PL-2026-10-000000000000"};
  bad.amount = Decimal::parse("1").value();
  EXPECT_EQ(close::plan_credit(snap(), bad).error().code, Code::kNotFound);

  close::CreditRequest credit;
  credit.line_ids = {line_id};
  credit.amount = Decimal::parse("5.00").value();
  credit.reason = "service credit";
  credit.vendor_credit_ref = "VCN-1";
  auto plan = close::plan_credit(snap(), credit);
  ASSERT_TRUE(plan.ok()) << plan.error().to_string();
  EXPECT_TRUE(plan->reopened);
  ASSERT_EQ(plan->drafts.size(), 3u);  // Credit, PeriodReopen, CREDIT_RECOVERY
  auto receipt = ledger_->append(plan->drafts, log_key_).value();
  auto again = close::plan_credit(snap(), credit);
  EXPECT_EQ(ledger_->append(again->drafts, log_key_).value().new_entry_count, 0u) << "the same credit twice is one";
  EXPECT_STREQ(match::period_state(snap(), "2026-10").value().name(), "matched");

  // The credit names the line by index and hash.
  auto c = snap().entry(receipt.entries[0].index).value().reader().getKind().getCredit();
  const uint64_t line_index = c.getLines()[0].getIndex();
  EXPECT_EQ(to_hex(Bytes(c.getLines()[0].getHash().begin(), 32)), to_hex(snap().entry_hash(line_index).value()));

  // The next sign-off must settle the CREDIT_RECOVERY (it blocks), then covers the credit.
  text = statement();
  EXPECT_NE(summary().find("\ncredits AUD count 1 amount 5.00\n"), std::string::npos) << summary();
  EXPECT_FALSE(submit(text, sign(text, alice_)).ok());
  auto recovery = match::list_exceptions(snap(), {"2026-10", std::nullopt, match::Category::CREDIT_RECOVERY}).value();
  ASSERT_EQ(recovery.size(), 1u);
  EXPECT_EQ(recovery[0].delta, "5.00");
  match::UpdateRequest resolve;
  resolve.action = match::UpdateAction::RESOLVE;
  resolve.note = "credit note issued";
  resolve.actor = "test";
  std::vector<ledger::Draft> drafts;
  drafts.push_back(match::plan_update(recovery[0], resolve).value());
  ASSERT_TRUE(ledger_->append(drafts, log_key_).ok());
  text = statement();
  ASSERT_TRUE(submit(text, sign(text, alice_)).ok());
  // The partner's next invoice is the credit note alone: its lines were billed before.
  auto next = close::plan_invoices(snap(), "2026-10");
  ASSERT_TRUE(next.ok()) << next.error().to_string();
  EXPECT_EQ(next->invoice_ids, std::vector<std::string>{"INV-2026-10-P001-2"});
  auto note = next->drafts[0].reader().getKind().getInvoice();
  ASSERT_EQ(note.getItems().size(), 1u);
  EXPECT_STREQ(note.getItems()[0].getAmount().cStr(), "-5.00");
  EXPECT_STREQ(note.getGst().cStr(), "-0.50");
  ASSERT_TRUE(ledger_->append(next->drafts, log_key_).ok());

  // The line's lineage holds all of it.
  auto lineage = close::line_lineage(snap(), line_id);
  ASSERT_TRUE(lineage.ok()) << lineage.error().to_string();
  std::multiset<std::string> roles;
  for (const auto& item : lineage->items) roles.insert(item.role);
  for (const char* role : {"priced_line", "rule_version", "usage", "match_result", "match_run", "vendor_invoice_line",
                           "key_event", "credit", "period_reopen", "exception", "exception_update"}) {
    EXPECT_GE(roles.count(role), 1u) << role;
  }
  EXPECT_EQ(roles.count("sign_off"), 2u);
  EXPECT_EQ(roles.count("invoice"), 2u);
  auto report = verify::replay_ledger(tmp_ / "l", log_key_.verifier());
  ASSERT_TRUE(report.ok()) << report.error().to_string();
  EXPECT_EQ(report->sign_offs, 2u);
}

TEST(KeyRegistryTest, KeysAreActiveFromTheEntryAfterTheirRegistrationUntilTheirEnd) {
  RegisteredKey k;
  k.registered_at = 5;
  EXPECT_FALSE(k.active_at(5));
  EXPECT_TRUE(k.active_at(6));
  k.ended_at = 9;
  EXPECT_TRUE(k.active_at(8));
  EXPECT_FALSE(k.active_at(9));
  EXPECT_FALSE(k.active_at(10));
}

}  // namespace
}  // namespace closebook
