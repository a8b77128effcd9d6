// Partner-scoped disclosure (docs/evidence.md §5, R34): a partner's bundle of its invoice proves
// the quantities, sell prices, usage, credits and the sign-off covering it, and still verifies
// offline, without carrying the distributor's cost, margin, rule versions, the period's totals or
// other partners' outstanding exceptions; an auditor's bundle of the same invoice carries all of
// it. Each way of lying with a sealed part is refused with its reason.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "close/bundle.h"
#include "close/credit.h"
#include "close/invoice.h"
#include "close/keys.h"
#include "close/signoff.h"
#include "match/book.h"
#include "match/pricing.h"
#include "match/three_way.h"
#include "tests/test_util.h"
#include "verify/verify.h"

namespace closebook {
namespace {

using json = nlohmann::ordered_json;
using Drafts = std::vector<ledger::Draft>;
using Tamper = std::function<void(Drafts&)>;
constexpr const char* kInvoice = "INV-2026-10-P001";

class DisclosureTest : public ::testing::Test {
 protected:
  void SetUp() override { ledger_ = test::new_ledger(dir_, log_key_); }

  // The sample period closed as the writer closes it, with a forger's hand on the pricing
  // batch or the sign-off batch when given.
  void close_period(const Tamper& on_pricing = nullptr, const Tamper& on_sign_off = nullptr) {
    test::load_period(*ledger_, log_key_, test::bundled_sample(), "2026-10");
    auto priced = match::plan_pricing(snap(), {"2026-10"}).value();
    if (on_pricing) on_pricing(priced.drafts);
    append(priced.drafts);
    auto matched = match::plan_match(snap(), {"2026-10"}).value();
    append(matched.drafts);
    Drafts key;
    key.push_back(close::plan_key_change(snap(), {KeyAction::REGISTER, KeyRole::FINANCE, finance_.verifier(), {}, ""}).value());
    append(key);
    const std::string text = close::build_statement(snap(), "2026-10", "").value().text();
    auto plan = close::plan_signoff(snap(), text, close::sign_statement(text, finance_).value(), {1}).value();
    close::add_log_signature(plan, log_key_);
    if (on_sign_off) on_sign_off(plan.drafts);
    append(plan.drafts);
    auto invoices = close::plan_invoices(snap(), "2026-10").value();
    append(invoices.drafts);
  }
  ledger::Snapshot snap() { return ledger_->snapshot().value(); }
  void append(Drafts& drafts) { ASSERT_TRUE(ledger_->append(drafts, log_key_).ok()); }
  std::string bundle(close::Audience audience) {
    return close::build_bundle(snap(), close::BundleSubject::kInvoice, kInvoice, audience).value();
  }
  Result<verify::BundleReport> check(const std::string& text) { return verify::check_bundle(text, log_key_.verifier()); }
  static std::string saved(const json& b) { return b.dump(2) + "\n"; }

  // What the distributor does not show P001, as the ledger has it: each of P001's invoiced lines'
  // cost and margin, the rule versions' cost prices, and the sign-off summary's lines.
  std::set<std::string> secrets() {
    std::set<std::string> out;
    auto s = snap();
    for (uint64_t i = 0; i < s.size(); ++i) {
      auto e = s.entry(i).value();
      auto k = e.reader().getKind();
      if (k.isLineCost()) {
        out.insert("\"costAmount\": \"" + std::string(k.getLineCost().getCostAmount().cStr()) + "\"");
        out.insert("\"marginAmount\": \"" + std::string(k.getLineCost().getMarginAmount().cStr()) + "\"");
      }
      if (k.isRuleVersion()) out.insert("\"costUnitPrice\": \"" + std::string(k.getRuleVersion().getCostUnitPrice().cStr()) + "\"");
      if (k.isSignOffSummary()) {
        for (auto line : k.getSignOffSummary().getLines()) out.insert(line.cStr());
      }
    }
    return out;
  }

  // Reruns the verifier on the whole ledger (closing it first, reopening it after).
  Result<verify::LedgerReport> replay() {
    ledger_.reset();
    auto r = verify::replay_ledger(dir_, log_key_.verifier());
    ledger_ = ledger::Ledger::open(dir_, {}).value();
    return r;
  }
  void expect_refused(const std::string& rule, const std::string& says) {
    for (close::Audience audience : {close::Audience::kStaff, close::Audience::kPartner}) {
      auto b = close::build_bundle(snap(), close::BundleSubject::kInvoice, kInvoice, audience);
      if (!b.ok()) continue;  // the writer's own reading refuses it first
      auto r = check(*b);
      if (audience == close::Audience::kStaff) {
        ASSERT_FALSE(r.ok()) << "the auditor's bundle passed";
        EXPECT_NE(r.error().message.find(rule + ": "), std::string::npos) << r.error().to_string();
        EXPECT_NE(r.error().message.find(says), std::string::npos) << r.error().to_string();
      }
    }
    auto r = replay();
    ASSERT_FALSE(r.ok()) << "the ledger passed";
    EXPECT_NE(r.error().message.find(rule + ": "), std::string::npos) << r.error().to_string();
    EXPECT_NE(r.error().message.find(says), std::string::npos) << r.error().to_string();
  }

  // Sets line `at` of the sign-off's summary and has finance and the log sign the statement
  // that commits to it: what finance signs when it signs without reading the summary.
  void resign_summary(Drafts& d, unsigned at, const std::string& line) {
    auto summary = d.front().entry().getKind().getSignOffSummary();
    auto lines = summary.getLines();
    lines.set(at, line);
    Hash salt{};
    std::copy(summary.getSalt().begin(), summary.getSalt().end(), salt.begin());
    std::vector<std::string> text;
    for (auto l : lines) text.emplace_back(l.cStr());
    auto so = d.back().entry().getKind().getSignOff();
    Checkpoint head = Checkpoint::parse(so.getStatement().cStr()).value();
    head.extensions[2] = "summary " + to_base64(Bytes(close::summary_digest(salt, text)));
    so.setStatement(head.body());
    const NoteSignature fin = sign_note_text(head.body(), finance_), log = sign_note_text(head.body(), log_key_);
    for (auto sig : so.getSignatures()) {
      const NoteSignature& by = sig.getKeyEvent().getIndex() == 0 ? log : fin;
      sig.setSignature(kj::arrayPtr(reinterpret_cast<const uint8_t*>(by.signature.data()), by.signature.size()));
    }
  }

  test::TempDir tmp_;
  const std::string dir_ = tmp_ / "l";
  SigningKey log_key_ = SigningKey::generate("closebook.test/disclosure").value();
  SigningKey finance_ = SigningKey::generate("controller@finance").value();
  std::unique_ptr<ledger::Ledger> ledger_;
};

TEST_F(DisclosureTest, APartnersBundleProvesItsInvoiceWithoutTheDistributorsCostsOrTotals) {
  close_period();
  const std::string partner = bundle(close::Audience::kPartner);
  auto report = check(partner);
  ASSERT_TRUE(report.ok()) << report.error().to_string();
  // Its lines' sell amounts, its invoice and its sign-off are proven; their cost is not known here.
  EXPECT_GT(report->lines_cost_withheld, 0u);
  EXPECT_EQ(report->lines_recomputed, 0u);
  EXPECT_EQ(report->invoices_recomputed, 1u);
  EXPECT_EQ(report->summaries_withheld, 1u);
  EXPECT_EQ(report->sign_offs, 1u);
  EXPECT_EQ(report->signers.count("controller@finance"), 1u);
  // Nothing of what it is kept from is in the file: no LineCost, rule version, summary, or
  // any line of cost, margin or totals.
  const json b = json::parse(partner);
  std::set<std::string> roles;
  for (const auto& e : b["entries"]) roles.insert(e["role"].get<std::string>());
  for (const char* hidden : {"line_cost", "rule_version", "signoff_summary", "match_result", "exception", "journal_posting"}) {
    EXPECT_EQ(roles.count(hidden), 0u) << hidden;
  }
  EXPECT_EQ(roles.count("priced_line"), 1u);
  EXPECT_EQ(roles.count("usage"), 1u);
  EXPECT_EQ(roles.count("sign_off"), 1u);
  for (const std::string& secret : secrets()) EXPECT_EQ(partner.find(secret), std::string::npos) << secret;
  EXPECT_EQ(partner.find("\"costUnitPrice\": \"1"), std::string::npos);
  EXPECT_EQ(partner.find("P002"), std::string::npos) << "another partner's id";
  // The statement it verifies names only the period and the summary's salted hash.
  for (const auto& e : b["entries"]) {
    if (e["role"] != "sign_off") continue;
    const std::string statement = e["json"]["kind"]["signOff"]["statement"];
    EXPECT_NE(statement.find("closebook-signoff/v2\nperiod 2026-10\nsummary "), std::string::npos) << statement;
    EXPECT_EQ(statement.find("priced"), std::string::npos) << statement;
  }
}

TEST_F(DisclosureTest, AnAuditorsBundleOfTheSameInvoiceCarriesEverythingAndChecksIt) {
  close_period();
  const std::string auditor = bundle(close::Audience::kStaff);
  auto report = check(auditor);
  ASSERT_TRUE(report.ok()) << report.error().to_string();
  EXPECT_EQ(report->withheld, 0u);
  EXPECT_EQ(report->lines_cost_withheld, 0u);
  EXPECT_EQ(report->summaries_withheld, 0u);
  EXPECT_GT(report->lines_recomputed, 0u);
  const json b = json::parse(auditor);
  std::set<std::string> roles;
  for (const auto& e : b["entries"]) roles.insert(e["role"].get<std::string>());
  for (const char* carried : {"line_cost", "rule_version", "signoff_summary"}) EXPECT_EQ(roles.count(carried), 1u) << carried;
  auto replayed = replay();
  ASSERT_TRUE(replayed.ok()) << replayed.error().to_string();
}

TEST_F(DisclosureTest, EveryEntryIsSaltedSoAWithheldHashCannotBeGuessed) {
  close_period();
  // Two ledgers of the same close: every entry's salt differs (each ledger's secret), so the
  // hash a partner is shown of a LineCost is not the hash of any entry it could rebuild.
  test::TempDir other;
  auto second = test::new_ledger(other / "l", log_key_);
  test::load_period(*second, log_key_, test::bundled_sample(), "2026-10");
  auto s = snap();
  auto t = second->snapshot().value();
  ASSERT_GT(t.size(), 1u);
  for (uint64_t i = 0; i < t.size(); ++i) {
    auto a = s.entry(i).value(), b = t.entry(i).value();
    ASSERT_EQ(a.reader().getSalt().size(), 16u) << i;
    EXPECT_NE(std::string(reinterpret_cast<const char*>(a.reader().getSalt().begin()), 16),
              std::string(reinterpret_cast<const char*>(b.reader().getSalt().begin()), 16)) << i;
  }
  // The salt is no part of what the entry says: the same row loaded again is the same entry.
  const uint64_t before = s.size();
  test::load_period(*ledger_, log_key_, test::bundled_sample(), "2026-10");
  EXPECT_EQ(snap().size(), before);
}

TEST_F(DisclosureTest, ASealedPartWithheldUnderAnotherHashOrNotNamedIsRefused) {
  close_period();
  json b = json::parse(bundle(close::Audience::kPartner));
  ASSERT_FALSE(b["withheld"].empty());
  // The LineCost a priced line names, withheld under another hash.
  uint64_t cost = 0;
  for (const auto& e : b["entries"]) {
    if (e["role"] == "priced_line") cost = std::stoull(e["json"]["kind"]["pricedLine"]["cost"]["index"].get<std::string>());
  }
  json forged = b;
  for (auto& w : forged["withheld"]) {
    if (w["index"] == cost) w["hash"] = to_hex(sha256("another entry"));
  }
  auto r = check(saved(forged));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("inclusion proof does not lead"), std::string::npos) << r.error().to_string();
  // Left out: the line names a part the bundle neither carries nor withholds.
  forged = b;
  json kept = json::array();
  for (auto& w : forged["withheld"]) {
    if (w["index"] != cost) kept.push_back(w);
  }
  forged["withheld"] = kept;
  r = check(saved(forged));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("names its sealed part, entry " + std::to_string(cost)), std::string::npos)
      << r.error().to_string();
  // An auditor's bundle cannot pass a carried entry off as a sealed part to withhold it: only
  // what a carried sealed line or sign-off names, with its hash, may be (a tenant edge is not).
  json auditor = json::parse(bundle(close::Audience::kStaff));
  json moved;
  json entries = json::array();
  for (auto& e : auditor["entries"]) {
    if (e["role"] == "tenant_edge" && moved.is_null()) {
      moved = json{{"index", e["index"]}, {"hash", e["hash"]}, {"inclusion", e["inclusion"]}};
    } else {
      entries.push_back(e);
    }
  }
  auditor["entries"] = entries;
  auditor["withheld"].push_back(moved);
  r = check(saved(auditor));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("is no carried entry's sealed part"), std::string::npos) << r.error().to_string();
}

TEST_F(DisclosureTest, ASealedLineStatingACostOfItsOwnIsRefused) {
  // A line sealed and also showing a cost: what a partner saw would not be what was checked.
  close_period([](Drafts& d) {
    for (auto& draft : d) {
      auto k = draft.entry().getKind();
      if (k.isPricedLine() && std::string(k.getPricedLine().getPartnerId().cStr()) == "P001") {
        k.getPricedLine().setCostAmount("1.00");
        return;
      }
    }
  });
  auto r = replay();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("R34: "), std::string::npos) << r.error().to_string();
  EXPECT_NE(r.error().message.find("is sealed and also states a cost"), std::string::npos) << r.error().to_string();
}

TEST_F(DisclosureTest, ALineCostOfAnotherLineIsRefused) {
  // Two lines naming one LineCost: the second's cost is another line's. closebook's own reading
  // of the ledger refuses it (the match cannot be planned), and so does the verifier.
  test::load_period(*ledger_, log_key_, test::bundled_sample(), "2026-10");
  auto priced = match::plan_pricing(snap(), {"2026-10"}).value();
  std::optional<size_t> first;
  for (size_t i = 0; i < priced.drafts.size(); ++i) {
    if (!priced.drafts[i].entry().getKind().isPricedLine()) continue;
    if (!first) {
      first = i - 1;
      continue;
    }
    priced.drafts[i].entry().getKind().getPricedLine().initCost();
    priced.drafts[i].link([](schema::Entry::Builder e) { return e.getKind().getPricedLine().getCost(); }, *first);
    break;
  }
  append(priced.drafts);
  auto planned = match::plan_match(snap(), {"2026-10"});
  ASSERT_FALSE(planned.ok());
  EXPECT_NE(planned.error().message.find("which is not its LineCost"), std::string::npos) << planned.error().to_string();
  auto r = replay();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("R34: "), std::string::npos) << r.error().to_string();
  EXPECT_NE(r.error().message.find("which is not a LineCost of its lineId"), std::string::npos) << r.error().to_string();
}

TEST_F(DisclosureTest, ASummaryOtherThanTheOneTheStatementCommitsToIsRefused) {
  // The forger holds the log key, not finance's: it records a summary that says less than
  // the one finance signed the hash of.
  close_period(nullptr, [](Drafts& d) {
    auto lines = d.front().entry().getKind().getSignOffSummary().getLines();
    lines.set(lines.size() - 1, "outstanding TIMING AUD count 0 blocking 0 amount 0.00");
  });
  expect_refused("R34", "is not the salted hash of entry");
}

TEST_F(DisclosureTest, ASummaryOfTheRightHashThatMisstatesThePeriodIsRefusedByTheLedger) {
  // Finance signed (the hash of) totals the ledger does not give: the summary is the one the
  // statement commits to, so only a recomputation from the whole ledger can refuse it.
  close_period(nullptr, [&](Drafts& d) { resign_summary(d, 0, "match 1 keys 1 matched 1"); });
  auto partner = check(bundle(close::Audience::kPartner));
  EXPECT_TRUE(partner.ok()) << "a partner's bundle cannot see the summary: " << partner.error().to_string();
  auto r = replay();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("R18: "), std::string::npos) << r.error().to_string();
  EXPECT_NE(r.error().message.find("does not describe period 2026-10"), std::string::npos) << r.error().to_string();
}

TEST_F(DisclosureTest, ASummaryWithBlockingExceptionsAndNoOverrideIsRefused) {
  // Signed over a blocking exception without an override: what plan_signoff refuses, written
  // by a server holding the log key around it, with finance's signature on the hash.
  close_period(nullptr, [&](Drafts& d) {
    auto lines = d.front().entry().getKind().getSignOffSummary().getLines();
    resign_summary(d, lines.size() - 1, "outstanding TIMING AUD count 1 blocking 1 amount 645.47");
  });
  expect_refused("R18", "exceptions outstanding that block sign-off, and no override");
}

}  // namespace
}  // namespace closebook
