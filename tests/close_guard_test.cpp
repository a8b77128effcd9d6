// What a reviewer tried against the signed close: sign-offs bound to another period, missing
// the log's cosignature or short of signers; invoices billing a line twice or without their
// partner; re-pricing a billed period; a credit asked twice or worth nothing; an invoice
// re-issued after reference data changed; bundles carrying unreadable entries. Each must fail.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "close/bundle.h"
#include "close/credit.h"
#include "close/invoice.h"
#include "close/keys.h"
#include "close/signoff.h"
#include "match/pricing.h"
#include "match/reference.h"
#include "tests/test_util.h"
#include "verify/verify.h"

namespace closebook {
namespace {

class CloseGuardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ledger_ = test::new_ledger(tmp_ / "l", log_key_);
    test::load_period(*ledger_, log_key_, test::bundled_sample(), "2026-10");
    test::price_and_match(*ledger_, log_key_, "2026-10");
    std::vector<ledger::Draft> key;
    key.push_back(close::plan_key_change(snap(), {KeyAction::REGISTER, KeyRole::FINANCE, finance_.verifier(), {}, ""}).value());
    append(key);
  }
  ledger::Snapshot snap() { return ledger_->snapshot().value(); }
  void append(std::vector<ledger::Draft>& drafts) { ASSERT_TRUE(ledger_->append(drafts, log_key_).ok()); }

  close::SignOffPlan signoff_plan(uint32_t required = 1) {
    const std::string text = close::build_statement(snap(), "2026-10", "").value().text();
    auto plan = close::plan_signoff(snap(), text, close::sign_statement(text, finance_).value(), {required});
    EXPECT_TRUE(plan.ok()) << plan.error().to_string();
    return std::move(*plan);
  }
  void sign_off() {
    auto plan = signoff_plan();
    close::add_log_signature(plan, log_key_);
    append(plan.drafts);
  }
  void invoice() {
    auto plan = close::plan_invoices(snap(), "2026-10");
    ASSERT_TRUE(plan.ok()) << plan.error().to_string();
    append(plan->drafts);
  }
  std::string replay_error() {
    auto r = verify::replay_ledger(tmp_ / "l", log_key_.verifier());
    return r.ok() ? "" : r.error().message;
  }

  test::TempDir tmp_;
  SigningKey log_key_ = SigningKey::generate("closebook.test/guard").value();
  SigningKey finance_ = SigningKey::generate("erin@finance").value();
  std::unique_ptr<ledger::Ledger> ledger_;
};

TEST_F(CloseGuardTest, ASignOffRecordedUnderAnotherPeriodFailsTheReplay) {
  auto plan = signoff_plan();
  close::add_log_signature(plan, log_key_);
  plan.drafts.back().entry().setEffective("2026-11");
  plan.drafts.back().entry().getKind().getSignOff().setPeriod("2026-11");
  append(plan.drafts);
  EXPECT_NE(replay_error().find("do not name one period"), std::string::npos) << replay_error();
}

TEST_F(CloseGuardTest, ASignOffWithoutTheLogsCosignatureFailsTheReplay) {
  auto plan = signoff_plan();  // add_log_signature never called: the slot is empty
  append(plan.drafts);
  EXPECT_FALSE(replay_error().empty());
}

TEST_F(CloseGuardTest, ASignOffShortOfItsRequiredSignersFailsTheReplay) {
  auto plan = signoff_plan();
  close::add_log_signature(plan, log_key_);
  plan.drafts.back().entry().getKind().getSignOff().setRequiredSignatures(2);
  append(plan.drafts);
  EXPECT_NE(replay_error().find("needs 2 finance signatures"), std::string::npos) << replay_error();
}

TEST_F(CloseGuardTest, AnInvoiceBillingALineTwiceFailsItsBundle) {
  sign_off();
  auto plan = close::plan_invoices(snap(), "2026-10").value();
  auto items = plan.drafts[0].entry().getKind().getInvoice().getItems();
  ASSERT_GE(items.size(), 2u);
  items[1].setLine(items[0].getLine().asReader());
  append(plan.drafts);
  const std::string bundle = close::build_bundle(snap(), close::BundleSubject::kInvoice, plan.invoice_ids[0]).value();
  auto r = verify::check_bundle(bundle, log_key_.verifier());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("twice"), std::string::npos) << r.error().to_string();
}

TEST_F(CloseGuardTest, AnInvoiceBundleWithoutItsPartnerFails) {
  sign_off();
  invoice();
  auto bundle = nlohmann::ordered_json::parse(close::build_bundle(snap(), close::BundleSubject::kInvoice, "INV-2026-10-P001").value());
  auto& entries = bundle["entries"];
  for (auto it = entries.begin(); it != entries.end(); ++it) {
    if ((*it)["role"] == "partner") {
      entries.erase(it);
      break;
    }
  }
  auto r = verify::check_bundle(bundle.dump(2) + "\n", log_key_.verifier());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("partner it bills is not in the bundle"), std::string::npos) << r.error().to_string();
}

TEST_F(CloseGuardTest, AnInvoicedPeriodIsNotRepricedAndItsInvoicesStandAsIssued) {
  sign_off();
  invoice();
  // A credit reopens the period; pricing it again would re-bill lines already billed.
  close::CreditRequest credit;
  credit.line_ids = {close::find_invoice(snap(), "INV-2026-10-P001").value().reader().getKind().getInvoice().getItems()[0].getLineId().cStr()};
  credit.amount = Decimal::parse("1.00").value();
  credit.reason = "goodwill";
  auto plan = close::plan_credit(snap(), credit).value();
  append(plan.drafts);
  auto priced = match::plan_pricing(snap(), {"2026-10"});
  ASSERT_FALSE(priced.ok());
  EXPECT_NE(priced.error().message.find("has been invoiced"), std::string::npos);
  // The same credit again: nothing new.
  auto again = close::plan_credit(snap(), credit).value();
  EXPECT_TRUE(again.recorded_at.has_value());
  EXPECT_TRUE(again.drafts.empty());
  // A quantity credit worth nothing is refused.
  close::CreditRequest nothing = credit;
  nothing.amount.reset();
  nothing.quantity = Decimal::parse("0.0001").value();
  EXPECT_FALSE(close::plan_credit(snap(), nothing).ok());
}

TEST_F(CloseGuardTest, ReissuingAfterReferenceDataChangedAddsNoSecondInvoice) {
  sign_off();
  invoice();
  // P001 moves to New Zealand in the reference data: the issued invoice stands as issued.
  auto snapshot = snap();
  auto moved = match::plan_reference_load(match::ReferenceKind::kPartners, "p.csv",
                                          "PartnerId,Name,Country,Currency,ResellerMpnId,MarginFloorPct\n"
                                          "P001,Harbour IT Pty Ltd,NZ,AUD,6120431,8.0\n",
                                          snapshot);
  ASSERT_TRUE(moved.ok()) << moved.error().to_string();
  append(moved->drafts);
  auto plan = close::plan_invoices(snap(), "2026-10").value();
  EXPECT_TRUE(plan.drafts.empty());
  EXPECT_EQ(plan.already_issued.size(), 5u);
}

TEST_F(CloseGuardTest, AStatementWithALineAddedOrAnOlderVersionIsRefusedNotThrown) {
  const std::string text = close::build_statement(snap(), "2026-10", "").value().text();
  auto parsed = close::parse_statement(text + "override\n");
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.error().message.find("period, summary"), std::string::npos) << parsed.error().to_string();
  std::string v1 = text;
  v1.replace(v1.find("closebook-signoff/v2"), 20, "closebook-signoff/v1");
  parsed = close::parse_statement(v1);
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.error().message.find("make a new statement"), std::string::npos) << parsed.error().to_string();
}

TEST_F(CloseGuardTest, AnUnreadableEntryInABundleIsAFailedCheckNotACrash) {
  sign_off();
  invoice();
  auto bundle = nlohmann::ordered_json::parse(close::build_bundle(snap(), close::BundleSubject::kInvoice, "INV-2026-10-P003").value());
  // An entry that is not in the log, whose text is not UTF-8: refused before it is decoded.
  ledger::Draft forged;
  forged.entry().setIndex(5);
  forged.entry().getKind().initPartner().setName(std::string("\xff\xfe broken", 9));
  const std::string bytes = canonical_bytes(forged.reader());
  auto& entry = bundle["entries"][1];
  entry["index"] = 5;
  entry["bytes"] = to_base64(as_bytes(bytes));
  entry["hash"] = to_hex(leaf_hash(as_bytes(bytes)));
  auto r = verify::check_bundle(bundle.dump(2) + "\n", log_key_.verifier());
  ASSERT_FALSE(r.ok());
}

TEST(KeyRegistryGuardTest, OnlyEntryZeroRegistersALogKey) {
  KeyRegistry registry;
  auto key = SigningKey::generate("later/log").value();
  ledger::Draft d;
  d.entry().setIndex(7);
  auto e = d.entry().getKind().initKeyEvent();
  e.setAction(KeyAction::REGISTER);
  e.setRole(KeyRole::LOG);
  e.setName(key.name());
  e.setPublicKey(kj::arrayPtr(key.public_key().data(), key.public_key().size()));
  const Hash id = key.id();
  e.setKeyId(kj::arrayPtr(id.data(), id.size()));
  e.setVerifierKey(key.verifier().to_string());
  auto entry = DecodedEntry::decode(canonical_bytes(d.reader())).value();
  auto applied = registry.apply(entry);
  ASSERT_FALSE(applied.ok());
  EXPECT_NE(applied.error().message.find("only entry 0"), std::string::npos);
}

}  // namespace
}  // namespace closebook
