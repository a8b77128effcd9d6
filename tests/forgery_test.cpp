// The adversary's test (docs/evidence.md §2, docs/threat-model.md): a forger who holds the log
// key — a malicious server — writes signed, hash-linked, checkpointed entries that are false,
// bypassing every planner of the writer. Each class of falsehood must be refused by both
// verifiers, closebook-verify ledger and closebook-verify bundle, naming the rule it breaks.
#include <gtest/gtest.h>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "close/bundle.h"
#include "close/credit.h"
#include "close/invoice.h"
#include "close/keys.h"
#include "close/lineage.h"
#include "close/signoff.h"
#include "match/feeds.h"
#include "match/fields.h"
#include "match/findings.h"
#include "match/pricing.h"
#include "match/reference.h"
#include "match/three_way.h"
#include "tests/test_util.h"
#include "verify/verify.h"

namespace closebook {
namespace {

using Drafts = std::vector<ledger::Draft>;
using Tamper = std::function<void(ledger::Snapshot&, Drafts&)>;

class ForgeryTest : public ::testing::Test {
 protected:
  void SetUp() override { fresh("l"); }
  // A new ledger holding the bundled sample's reference data and feeds.
  void fresh(const std::string& name) {
    ledger_.reset();
    dir_ = tmp_ / name;
    ledger_ = test::new_ledger(dir_, log_key_);
    test::load_period(*ledger_, log_key_, test::bundled_sample(), "2026-10");
  }
  ledger::Snapshot snap() { return ledger_->snapshot().value(); }
  void append(Drafts& drafts) {
    auto r = ledger_->append(drafts, log_key_);
    ASSERT_TRUE(r.ok()) << r.error().to_string();
  }
  void append(Drafts&& drafts) { append(drafts); }
  // Loads one more rule version, a row of the rules file.
  void load_rule(const std::string& row) {
    const std::string rules =
        "RuleId,Version,Vendor,SkuId,PartnerId,EffectiveFrom,EffectiveTo,CostUnitPrice,CostCurrency,SellMethod,SellValue,"
        "SellCurrency,Unit,MarginFloorPct\n" + row + "\n";
    append(match::plan_reference_load(match::ReferenceKind::kRules, "more-rules.csv", rules, snap()).value().drafts);
  }
  // An entry as the forger finds it: index and hash, to refer to.
  match::Ref ref_of_kind(const std::string& index_name, const std::string& value, schema::Entry::Kind::Which kind) {
    auto s = snap();
    const std::vector<uint64_t> found = s.lookup(index_name, value).value();
    for (uint64_t i : found) {
      auto e = s.entry(i).value();
      if (e.reader().getKind().which() == kind) return {i, e.hash()};
    }
    ADD_FAILURE() << "no " << index_name << " " << value;
    return {};
  }
  static schema::PricedLine::Builder line_of(Drafts& drafts, const std::string& sku, const std::string& partner) {
    for (auto& d : drafts) {
      auto k = d.entry().getKind();
      if (k.isPricedLine() && std::string(k.getPricedLine().getSkuId().cStr()) == sku &&
          std::string(k.getPricedLine().getPartnerId().cStr()) == partner) {
        return k.getPricedLine();
      }
    }
    throw std::runtime_error("no priced line of " + sku + " for " + partner);
  }
  // The line's LineCost (its cost, margin and rule, docs/evidence.md §5): the draft before it.
  static schema::LineCost::Builder cost_of(Drafts& drafts, const std::string& sku, const std::string& partner) {
    for (size_t i = 1; i < drafts.size(); ++i) {
      auto k = drafts[i].entry().getKind();
      if (k.isPricedLine() && std::string(k.getPricedLine().getSkuId().cStr()) == sku &&
          std::string(k.getPricedLine().getPartnerId().cStr()) == partner) {
        return drafts[i - 1].entry().getKind().getLineCost();
      }
    }
    throw std::runtime_error("no priced line of " + sku + " for " + partner);
  }

  // The close as the writer runs it, with the forger's hand at each step.
  void close_period(const Tamper& on_pricing = nullptr, const Tamper& on_invoices = nullptr, const Tamper& on_match = nullptr) {
    auto priced = match::plan_pricing(snap(), {"2026-10"}).value();
    if (on_pricing) {
      auto s = snap();
      on_pricing(s, priced.drafts);
    }
    append(priced.drafts);
    auto matched = match::plan_match(snap(), {"2026-10"}).value();
    if (on_match) {
      auto s = snap();
      on_match(s, matched.drafts);
    }
    append(matched.drafts);
    Drafts key;
    key.push_back(close::plan_key_change(snap(), {KeyAction::REGISTER, KeyRole::FINANCE, finance_.verifier(), {}, ""}).value());
    append(key);
    sign_off(override_);
    auto invoices = close::plan_invoices(snap(), "2026-10").value();
    if (on_invoices) {
      auto s = snap();
      on_invoices(s, invoices.drafts);
    }
    append(invoices.drafts);
  }
  close::SignOffPlan sign_off_plan(const std::string& override_reason) {
    const std::string text = close::build_statement(snap(), "2026-10", override_reason).value().text();
    auto plan = close::plan_signoff(snap(), text, close::sign_statement(text, finance_).value(), {1, override_reason}).value();
    close::add_log_signature(plan, log_key_);
    return plan;
  }
  void sign_off(const std::string& override_reason) {
    auto plan = sign_off_plan(override_reason);
    append(plan.drafts);
  }
  std::string line_id(const std::string& sku, const std::string& partner) {
    auto s = snap();
    const std::vector<uint64_t> entries = s.lookup("period", "2026-10").value();
    for (uint64_t i : entries) {
      auto e = s.entry(i).value();
      if (!e.reader().getKind().isPricedLine()) continue;
      auto l = e.reader().getKind().getPricedLine();
      if (std::string(l.getSkuId().cStr()) == sku && std::string(l.getPartnerId().cStr()) == partner) return l.getLineId().cStr();
    }
    return "";
  }

  // Both verifiers refuse, each naming `rule`: the ledger replay, and the bundle of `subject`.
  void refused(const std::string& rule, close::BundleSubject kind, const std::string& subject) {
    auto bundle = close::build_bundle(snap(), kind, subject);
    ASSERT_TRUE(bundle.ok()) << bundle.error().to_string();
    auto checked = verify::check_bundle(*bundle, log_key_.verifier());
    ASSERT_FALSE(checked.ok()) << "the bundle of " << subject << " passed";
    EXPECT_NE(checked.error().message.find(rule + ":"), std::string::npos) << checked.error().to_string();
    ledger_.reset();
    auto replayed = verify::replay_ledger(dir_, log_key_.verifier());
    ASSERT_FALSE(replayed.ok()) << "the ledger passed";
    EXPECT_NE(replayed.error().message.find(rule + ":"), std::string::npos) << replayed.error().to_string();
    ledger_ = ledger::Ledger::open(dir_, {}).value();
  }

  // Both verifiers accept: the ledger replay, and the bundle of `subject`.
  void accepted(close::BundleSubject kind, const std::string& subject) {
    auto bundle = close::build_bundle(snap(), kind, subject);
    ASSERT_TRUE(bundle.ok()) << bundle.error().to_string();
    auto checked = verify::check_bundle(*bundle, log_key_.verifier());
    EXPECT_TRUE(checked.ok()) << checked.error().to_string();
    ledger_.reset();
    auto replayed = verify::replay_ledger(dir_, log_key_.verifier());
    EXPECT_TRUE(replayed.ok()) << replayed.error().to_string();
    ledger_ = ledger::Ledger::open(dir_, {}).value();
  }

  // Only the ledger replay can refuse it (a rule marked (ledger)): the bundle passes.
  void refused_by_the_ledger(const std::string& rule) {
    auto bundle = close::build_bundle(snap(), close::BundleSubject::kInvoice, "INV-2026-10-P001");
    ASSERT_TRUE(bundle.ok()) << bundle.error().to_string();
    EXPECT_TRUE(verify::check_bundle(*bundle, log_key_.verifier()).ok());
    ledger_.reset();
    auto replayed = verify::replay_ledger(dir_, log_key_.verifier());
    ASSERT_FALSE(replayed.ok()) << "the ledger passed";
    EXPECT_NE(replayed.error().message.find(rule + ":"), std::string::npos) << replayed.error().to_string();
    ledger_ = ledger::Ledger::open(dir_, {}).value();
  }
  // The match's result for T001's Business Premium subscription, as the forger finds it in the drafts.
  static schema::MatchResult::Builder result_of(Drafts& drafts, const std::string& subscription) {
    for (auto& d : drafts) {
      auto k = d.entry().getKind();
      if (k.isMatchResult() && std::string(k.getMatchResult().getSubscriptionId().cStr()) == subscription) return k.getMatchResult();
    }
    throw std::runtime_error("no match result of " + subscription);
  }

  test::TempDir tmp_;
  std::string dir_;
  std::string override_;  // what finance signs despite blocking exceptions, when a forgery raises them
  SigningKey log_key_ = SigningKey::generate("closebook.test/forgery").value();
  SigningKey finance_ = SigningKey::generate("fay@finance").value();
  std::unique_ptr<ledger::Ledger> ledger_;
};

constexpr const char* kBp = "CFQ7TTC0LCHC:0002";
constexpr const char* kT001Bp = "dc480acf-98b3-4b67-b73c-f9f0d92551b4";  // T001's Business Premium (P001)

// The honest close passes both verifiers: the forgeries below differ from it in one thing each.
TEST_F(ForgeryTest, TheHonestClosePassesBothVerifiers) {
  close_period();
  auto bundle = close::build_bundle(snap(), close::BundleSubject::kInvoice, "INV-2026-10-P001").value();
  ASSERT_TRUE(verify::check_bundle(bundle, log_key_.verifier()).ok());
  ledger_.reset();
  auto replayed = verify::replay_ledger(dir_, log_key_.verifier());
  ASSERT_TRUE(replayed.ok()) << replayed.error().to_string();
  EXPECT_GT(replayed->lines_recomputed, 15u);
  EXPECT_EQ(replayed->statements_recomputed, 1u);
}

TEST_F(ForgeryTest, PeriodDaysOtherThanThePeriodsAreRefused) {  // class 2
  close_period([](ledger::Snapshot&, Drafts& d) { line_of(d, kBp, "P001").setPeriodDays(10); });
  refused("R9", close::BundleSubject::kInvoice, "INV-2026-10-P001");
}

TEST_F(ForgeryTest, ALineRunningPastItsPeriodIsRefused) {  // class 3
  close_period([](ledger::Snapshot&, Drafts& d) { line_of(d, kBp, "P001").setToDate("2026-12-31"); });
  refused("R9", close::BundleSubject::kInvoice, "INV-2026-10-P001");
}

TEST_F(ForgeryTest, ADateWrittenAnotherWayIsRefused) {  // class 4: the rule compared text, days parsed M/D/YYYY
  close_period([](ledger::Snapshot&, Drafts& d) { line_of(d, kBp, "P001").setToDate("10/31/2026"); });
  refused("R8", close::BundleSubject::kInvoice, "INV-2026-10-P001");
}

TEST_F(ForgeryTest, APeakLineCitingNextMonthsUsageIsRefused) {  // class 1
  Drafts late;
  match::LoadPlan plan = match::plan_feed_load(
      match::format("closebook-usage-v1"), "nov.csv",
      "Vendor,UsageDate,TenantRef,SubscriptionId,SkuId,Quantity,QuantityBasis,UnitType,SourceRef\n"
      "acronis,2026-11-05,88825278-08a8-4728-94af-fd0e00ff815f,5552cc85-c1b8-4b52-8281-57ef4f1ab28b,ACR-CPC-ADVBKP-WL,60,peak,"
      "Workload/Month,nov-peak\n",
      {"2026-11", nullptr}).value();
  append(plan.drafts);
  const match::Ref november = ref_of_kind("period", "2026-11", schema::Entry::Kind::USAGE_RECORD);
  close_period([&](ledger::Snapshot&, Drafts& d) {
    auto l = line_of(d, "ACR-CPC-ADVBKP-WL", "P001");
    auto usage = l.initUsage(1);
    match::set_ref(usage[0], november);
  });
  refused("R10", close::BundleSubject::kInvoice, "INV-2026-10-P001");
}

TEST_F(ForgeryTest, AnotherPartnersRuleIsRefused) {  // class 6: P002's own rule on a P001 line
  const match::Ref r002 = ref_of_kind("rule", "R002", schema::Entry::Kind::RULE_VERSION);
  close_period([&](ledger::Snapshot&, Drafts& d) {
    auto c = cost_of(d, kBp, "P001");
    match::set_ref(c.initRule(), r002);
    c.setRuleId("R002");
  });
  refused("R12", close::BundleSubject::kInvoice, "INV-2026-10-P001");
}

TEST_F(ForgeryTest, TheStarRuleWhereThePartnerHasItsOwnIsRefused) {  // class 6: R001 (*) for P002, who has R002
  const match::Ref r001 = ref_of_kind("rule", "R001", schema::Entry::Kind::RULE_VERSION);
  close_period([&](ledger::Snapshot&, Drafts& d) {
    auto c = cost_of(d, kBp, "P002");
    match::set_ref(c.initRule(), r001);
    c.setRuleId("R001");
  });
  refused("R12", close::BundleSubject::kInvoice, "INV-2026-10-P002");
}

TEST_F(ForgeryTest, ATenantBilledToAnotherPartnerIsRefused) {  // class 6: T001 is P001's, billed to P003
  close_period([](ledger::Snapshot&, Drafts& d) { line_of(d, kBp, "P001").setPartnerId("P003"); });
  refused("R13", close::BundleSubject::kInvoice, "INV-2026-10-P003");
}

TEST_F(ForgeryTest, OneUsageCountedByTwoLinesOfAnInvoiceIsRefused) {  // class 5
  override_ = "signed in a hurry";  // the match flags the doubled quantity; finance signs over it
  close_period([](ledger::Snapshot&, Drafts& d) {
    for (size_t i = 0; i < d.size(); ++i) {
      auto k = d[i].entry().getKind();
      if (!k.isPricedLine() || std::string(k.getPricedLine().getSkuId().cStr()) != kBp ||
          std::string(k.getPricedLine().getPartnerId().cStr()) != "P001") {
        continue;
      }
      const std::string again = "PL-2026-10-the-same-seats-again";
      ledger::Draft cost;  // its sealed cost, under its own id (docs/evidence.md §5)
      cost.entry().getKind().setLineCost(d[i - 1].entry().getKind().getLineCost().asReader());
      cost.entry().getKind().getLineCost().setLineId(again);
      d.push_back(std::move(cost));
      ledger::Draft copy;
      copy.entry().setEffective("2026-10");
      copy.entry().getKind().setPricedLine(k.getPricedLine().asReader());
      copy.entry().getKind().getPricedLine().setLineId(again);
      copy.entry().getKind().getPricedLine().initCost();
      copy.link([](schema::Entry::Builder e) { return e.getKind().getPricedLine().getCost(); }, d.size() - 1);
      d.push_back(std::move(copy));
      return;
    }
  });
  refused("R15", close::BundleSubject::kInvoice, "INV-2026-10-P001");
}

// Class 7: credits on another partner's line, in another currency, and one line named twice to
// credit twice what it billed.
TEST_F(ForgeryTest, CreditsThatDoNotFollowTheirLinesAreRefused) {
  close_period();  // the first ledger finds the lines' ids and amounts; each case closes its own
  const std::string theirs = line_id(kBp, "P002");
  const match::Ref their_line = ref_of_kind("line", theirs, schema::Entry::Kind::PRICED_LINE);
  const std::string mine = line_id(kBp, "P001");
  const match::Ref my_line = ref_of_kind("line", mine, schema::Entry::Kind::PRICED_LINE);
  const std::string sell = snap().entry(my_line.index).value().reader().getKind().getPricedLine().getSellAmount().cStr();
  const std::string twice = Decimal::parse(sell).value().mul(Decimal::from_int(2)).value().to_string();
  struct Case {
    std::string name, partner, currency, amount;
    std::vector<std::pair<match::Ref, std::string>> lines;
    std::string subject;
  };
  const std::vector<Case> cases = {
      {"another partner's line", "P001", "AUD", "1.00", {{their_line, theirs}}, theirs},
      {"another currency", "P001", "NZD", "1.00", {{my_line, mine}}, mine},
      {"one line twice", "P001", "AUD", twice, {{my_line, mine}, {my_line, mine}}, mine},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    fresh(c.name.substr(0, c.name.find(' ')) + std::to_string(c.lines.size()) + c.currency);
    close_period();
    const match::Ref line = ref_of_kind("line", c.lines.front().second, schema::Entry::Kind::PRICED_LINE);
    Drafts d(1);
    d[0].entry().setEffective("2026-10");
    auto credit = d[0].entry().getKind().initCredit();
    credit.setCreditId("CR-2026-10-forged");
    credit.setPeriod("2026-10");
    credit.setTargetPeriod("2026-10");
    credit.setPartnerId(c.partner);
    credit.setCurrency(c.currency);
    credit.setAmount(c.amount);
    credit.setReason("forged");
    auto refs = credit.initLines(static_cast<unsigned>(c.lines.size()));
    auto ids = credit.initLineIds(static_cast<unsigned>(c.lines.size()));
    for (unsigned i = 0; i < c.lines.size(); ++i) {
      match::set_ref(refs[i], line);
      ids.set(i, c.lines[i].second);
    }
    append(d);
    refused("R16", close::BundleSubject::kLine, c.subject);
  }
}

TEST_F(ForgeryTest, AnInvoiceDatedOtherThanItsSignOffIsRefused) {  // class 10
  close_period(nullptr, [](ledger::Snapshot&, Drafts& d) {
    for (auto& draft : d) {
      if (draft.entry().getKind().isInvoice()) draft.entry().getKind().getInvoice().setIssueDate("1999-01-01");
    }
  });
  refused("R17", close::BundleSubject::kInvoice, "INV-2026-10-P001");
}

TEST_F(ForgeryTest, AnAudPartnerInvoicedInNzdIsRefused) {  // class 10
  close_period(nullptr, [](ledger::Snapshot&, Drafts& d) {
    for (auto& draft : d) {
      auto inv = draft.entry().getKind().getInvoice();
      if (draft.entry().getKind().isInvoice() && std::string(inv.getPartnerId().cStr()) == "P001") inv.setCurrency("NZD");
    }
  });
  refused("R17", close::BundleSubject::kInvoice, "INV-2026-10-P001");
}

// Class 8: a sign-off made before a credit reopened the period, replayed after it as a new
// SignOff — every signature on it is genuine.
TEST_F(ForgeryTest, ASignOffReplayedAfterTheReopenIsRefused) {
  close_period();
  auto first = snap().entry(ref_of_kind("period", "2026-10", schema::Entry::Kind::SIGN_OFF).index).value();
  auto credit = close::plan_credit(snap(), {{line_id(kBp, "P001")}, Decimal::parse("5.00").value(), std::nullopt, "outage", ""});
  ASSERT_TRUE(credit.ok()) << credit.error().to_string();
  append(credit->drafts);
  Drafts replay(1);
  replay[0].entry().setEffective("2026-10");
  replay[0].entry().getKind().setSignOff(first.reader().getKind().getSignOff());
  // The ledger keeps one entry per content: the forger varies a field that changes nothing
  // (0 and 1 both mean one finance signature).
  auto so = replay[0].entry().getKind().getSignOff();
  so.setRequiredSignatures(so.getRequiredSignatures() == 0 ? 1 : 0);
  append(replay);
  refused("R18", close::BundleSubject::kInvoice, "INV-2026-10-P001");
}

TEST_F(ForgeryTest, ASignOffWhoseOverrideIsNotItsStatementsIsRefused) {  // class 8
  auto priced = match::plan_pricing(snap(), {"2026-10"}).value();
  append(priced.drafts);
  append(match::plan_match(snap(), {"2026-10"}).value().drafts);
  Drafts key;
  key.push_back(close::plan_key_change(snap(), {KeyAction::REGISTER, KeyRole::FINANCE, finance_.verifier(), {}, ""}).value());
  append(key);
  auto plan = sign_off_plan("");
  // A v2 sign-off's override is in its summary, which its statement commits to (R34).
  plan.drafts.back().entry().getKind().getSignOff().setOverrideReason("approved by the board");
  append(plan.drafts);
  append(close::plan_invoices(snap(), "2026-10").value().drafts);
  const std::string says = "names its summary entry and holds no outstanding totals or override of its own";
  auto checked = verify::check_bundle(close::build_bundle(snap(), close::BundleSubject::kInvoice, "INV-2026-10-P001").value(),
                                      log_key_.verifier());
  ASSERT_FALSE(checked.ok());
  EXPECT_NE(checked.error().message.find("R7: sign-off"), std::string::npos) << checked.error().to_string();
  EXPECT_NE(checked.error().message.find(says), std::string::npos) << checked.error().to_string();
  ledger_.reset();
  auto replayed = verify::replay_ledger(dir_, log_key_.verifier());
  ASSERT_FALSE(replayed.ok());
  EXPECT_NE(replayed.error().message.find(says), std::string::npos) << replayed.error().to_string();
  ledger_ = ledger::Ledger::open(dir_, {}).value();
}

TEST_F(ForgeryTest, AnInvoiceOnASupersededSignOffIsRefused) {  // class 8
  close_period();
  const match::Ref signed_first = ref_of_kind("period", "2026-10", schema::Entry::Kind::SIGN_OFF);
  auto credit = close::plan_credit(snap(), {{line_id(kBp, "P001")}, Decimal::parse("5.00").value(), std::nullopt, "outage", ""});
  append(credit->drafts);
  sign_off("recovery in hand");  // the period signed again after the reopen, over its CREDIT_RECOVERY
  // An invoice for P005 issued on the first, superseded sign-off.
  auto issued = snap().entry(ref_of_kind("invoice", "INV-2026-10-P005", schema::Entry::Kind::INVOICE).index).value();
  Drafts d(1);
  d[0].entry().setEffective("2026-10");
  d[0].entry().getKind().setInvoice(issued.reader().getKind().getInvoice());
  auto inv = d[0].entry().getKind().getInvoice();
  inv.setInvoiceId("INV-2026-10-P005-late");
  match::set_ref(inv.initSignOff(), signed_first);
  inv.initItems(0);
  inv.setSubtotal("0");
  inv.setGst("0");
  inv.setTotal("0");
  append(d);
  refused("R17", close::BundleSubject::kInvoice, "INV-2026-10-P005-late");
}

// R25–R30: the three-way match re-derived. A result or finding the forger rewrites no longer
// follows from the rows it compares.

TEST_F(ForgeryTest, AnInvoiceLineWithABillingPlanPartnerCenterDoesNotHaveIsRefused) {  // R25
  // T001's seats added on 10-20, loaded with a billing plan no Partner Center line carries.
  auto plan = match::plan_feed_load(
      match::format("microsoft-nce"), "late-nce.csv",
      "CustomerId,InvoiceNumber,OrderId,ProductId,SkuId,ChargeType,UnitPrice,EffectiveUnitPrice,Quantity,BillableQuantity,"
      "Subtotal,Currency,PricingCurrency,PCToBCExchangeRate,SubscriptionId,ChargeStartDate,ChargeEndDate,BillingFrequency,"
      "Tier2MpnId\n"
      "de6799dd-16e2-4542-8982-fcd5407b50a3,G1,O9,CFQ7TTC0LCHC,0002,addQuantity,32.67,32.67,1,0.387097,12.64,AUD,AUD,1," +
          std::string(kT001Bp) + ",2026-10-20,2026-10-31,Monthly,6120431\n",
      {"2026-10", nullptr});
  ASSERT_TRUE(plan.ok()) << plan.error().to_string();
  for (auto& d : plan->drafts) {
    if (d.entry().getKind().isInvoiceLine()) d.entry().getKind().getInvoiceLine().setBillingFrequency("fortnightly");
  }
  append(plan->drafts);
  override_ = "signed in a hurry";
  close_period();
  refused("R25", close::BundleSubject::kInvoice, "INV-2026-10-P001");
}

TEST_F(ForgeryTest, AMatchResultOfAnotherTenantIsRefused) {  // R26: T001's key reported as T012's
  close_period(nullptr, nullptr, [](ledger::Snapshot&, Drafts& d) { result_of(d, kT001Bp).setTenantId("T012"); });
  refused("R26", close::BundleSubject::kInvoice, "INV-2026-10-P001");
}

TEST_F(ForgeryTest, AVendorQuantityTheInvoiceLinesDoNotChargeIsRefused) {  // R27: 18 seats reported as 17
  close_period(nullptr, nullptr, [](ledger::Snapshot&, Drafts& d) { result_of(d, kT001Bp).setVendorQuantity("17.000000"); });
  refused("R27", close::BundleSubject::kInvoice, "INV-2026-10-P001");
}

TEST_F(ForgeryTest, AUsageRecordNoResultComparesIsRefused) {  // R28: T001's later count of 18 left out
  close_period(nullptr, nullptr, [](ledger::Snapshot&, Drafts& d) {
    auto r = result_of(d, kT001Bp);
    std::vector<std::pair<uint64_t, std::string>> kept;
    for (auto u : r.asReader().getUsage()) kept.emplace_back(u.getIndex(), std::string(reinterpret_cast<const char*>(u.getHash().begin()), u.getHash().size()));
    kept.pop_back();
    auto usage = r.initUsage(static_cast<unsigned>(kept.size()));
    for (unsigned i = 0; i < kept.size(); ++i) {
      usage[i].setIndex(kept[i].first);
      usage[i].setHash(capnp::Data::Reader(reinterpret_cast<const uint8_t*>(kept[i].second.data()), kept[i].second.size()));
    }
  });
  refused_by_the_ledger("R28");
}

TEST_F(ForgeryTest, ARunCountingAFindingItDidNotRaiseIsRefused) {  // R29
  close_period(nullptr, nullptr, [](ledger::Snapshot&, Drafts& d) {
    for (auto& draft : d) {
      auto k = draft.entry().getKind();
      if (k.isMatchRun()) k.getMatchRun().setExceptionCount(k.getMatchRun().getExceptionCount() + 1);
    }
  });
  refused_by_the_ledger("R29");
}

TEST_F(ForgeryTest, ACreditRecoveryUnderstatingWhatItsLinesBilledIsRefused) {  // R30
  close_period();
  auto credit = close::plan_credit(snap(), {{line_id(kBp, "P001")}, Decimal::parse("5.00").value(), std::nullopt, "outage", ""});
  ASSERT_TRUE(credit.ok()) << credit.error().to_string();
  for (auto& d : credit->drafts) {
    auto k = d.entry().getKind();
    if (k.isException() && k.getException().getLegs().size() == 2) k.getException().getLegs()[1].setAmount("0.01");
  }
  append(credit->drafts);
  refused("R30", close::BundleSubject::kLine, line_id(kBp, "P001"));
}

// R31: margin floors. P001's own rule for Microsoft 365 Business Basic names no floor, so
// P001's 8.0 % applies: 6.40 sold on 5.94 is a 7.19 % margin, a breach on each of its lines.
constexpr const char* kBasic = "CFQ7TTC0LH16:0001";
class MarginFloorForgeryTest : public ForgeryTest {
 protected:
  void SetUp() override {
    ForgeryTest::SetUp();
    load_rule("R011,1,microsoft,CFQ7TTC0LH16:0001,P001,2026-01-01,,5.9400,AUD,fixed,6.4000,AUD,Licence/Month,");
  }
  static bool is_breach(ledger::Draft& d) {
    auto k = d.entry().getKind();
    return k.isException() && k.getException().getCategory() == schema::Category::MARGIN_FLOOR_BREACH;
  }
};

TEST_F(MarginFloorForgeryTest, TheHonestBreachesPassBothVerifiers) {
  int breaches = 0;
  close_period([&](ledger::Snapshot&, Drafts& d) {
    for (auto& draft : d) breaches += is_breach(draft);
  });
  EXPECT_EQ(breaches, 2);  // T001's 4 seats and T002's 14
  accepted(close::BundleSubject::kLine, line_id(kBasic, "P001"));
}

TEST_F(MarginFloorForgeryTest, ALineBelowItsFloorWithNoBreachIsRefused) {
  close_period([&](ledger::Snapshot& s, Drafts& d) {
    // Each breach becomes a copy of entry 0, which the ledger does not append again: the
    // batch keeps its positions, which its drafts link to each other by.
    for (auto& draft : d) {
      if (!is_breach(draft)) continue;
      auto genesis = s.entry(0).value();
      draft = ledger::Draft();
      draft.entry().setEffective(genesis.reader().getEffective());
      draft.entry().getKind().setKeyEvent(genesis.reader().getKind().getKeyEvent());
    }
  });
  refused_by_the_ledger("R31");
}

TEST_F(MarginFloorForgeryTest, ABreachUnderstatingItsShortfallIsRefused) {
  close_period([&](ledger::Snapshot&, Drafts& d) {
    for (auto& draft : d) {
      if (is_breach(draft)) draft.entry().getKind().getException().setDelta("0.01");
    }
  });
  refused("R31", close::BundleSubject::kLine, line_id(kBasic, "P001"));
}

TEST_F(MarginFloorForgeryTest, ABreachOnALineAboveItsFloorIsRefused) {  // a partner's good margin made to look bad
  close_period([&](ledger::Snapshot& s, Drafts& d) {
    size_t at = 0;
    while (!(d[at].entry().getKind().isPricedLine() && std::string(d[at].entry().getKind().getPricedLine().getSkuId().cStr()) == kBp &&
             std::string(d[at].entry().getKind().getPricedLine().getPartnerId().cStr()) == "P001")) {
      ++at;
    }
    auto l = d[at].entry().getKind().getPricedLine().asReader();
    match::Finding f;
    f.category = match::Category::MARGIN_FLOOR_BREACH;
    f.vendor = l.getVendor().cStr();
    f.partner_id = l.getPartnerId().cStr();
    f.tenant_id = l.getTenantId().cStr();
    f.subscription_id = l.getSubscriptionId().cStr();
    f.sku_id = l.getSkuId().cStr();
    f.subject = "forged";
    f.legs = {{"priced", "", l.getSellUnitPrice().cStr(), l.getSellAmount().cStr(), ""}, {"floor", "", "", "999.00", ""}};
    f.delta = "1.00";
    f.currency = l.getCurrency().cStr();
    const uint64_t rule_index = d[at - 1].entry().getKind().getLineCost().getRule().getIndex();  // its LineCost's
    auto rule = s.entry(rule_index).value();
    f.evidence = {{rule_index, rule.hash()}};
    f.evidence_in_batch = {at};
    d.push_back(match::exception_draft("2026-10", f, match::CloseConfig::defaults()));
  });
  refused("R31", close::BundleSubject::kLine, line_id(kBp, "P001"));
}

// R29, SKU_MISMATCH: Acronis charges T001's backup subscription for a second SKU that no line
// bills (a conversion), 6 workloads of ACR-CPC-ADVBKP-PLUS for October: 44.29 AUD at stake.
class SkuMismatchForgeryTest : public ForgeryTest {
 protected:
  void SetUp() override {
    ForgeryTest::SetUp();
    const std::string invoice =
        "Vendor,InvoiceNumber,LineRef,TenantRef,SubscriptionId,SkuId,ChargeType,ChargeStartDate,ChargeEndDate,Quantity,"
        "UnitPrice,Subtotal,Currency,PricingCurrency,FxRate\n"
        "acronis,ACR-AU-202610-09999,09999-001,88825278-08a8-4728-94af-fd0e00ff815f,5552cc85-c1b8-4b52-8281-57ef4f1ab28b,"
        "ACR-CPC-ADVBKP-PLUS,cycleCharge,2026-10-01,2026-10-31,6,4.85,44.29,AUD,USD,1.521838\n";
    append(match::plan_feed_load(match::format("generic"), "acronis-plus.csv", invoice, {"2026-10", nullptr}).value().drafts);
    override_ = "the conversion is billed next month";
  }
  static schema::Exception::Builder sku_mismatch(Drafts& d) {
    for (auto& draft : d) {
      auto k = draft.entry().getKind();
      if (k.isException() && k.getException().getCategory() == schema::Category::SKU_MISMATCH) return k.getException();
    }
    throw std::runtime_error("no SKU_MISMATCH");
  }
};

TEST_F(SkuMismatchForgeryTest, TheHonestFindingPassesBothVerifiers) {
  close_period(nullptr, nullptr, [](ledger::Snapshot&, Drafts& d) { EXPECT_STREQ(sku_mismatch(d).getDelta().cStr(), "44.29"); });
  accepted(close::BundleSubject::kLine, line_id("ACR-CPC-ADVBKP-WL", "P001"));
}

TEST_F(SkuMismatchForgeryTest, AFindingUnderstatingTheUnbilledChargeIsRefused) {
  close_period(nullptr, nullptr, [](ledger::Snapshot&, Drafts& d) { sku_mismatch(d).setDelta("0.01"); });
  refused("R29", close::BundleSubject::kLine, line_id("ACR-CPC-ADVBKP-WL", "P001"));
}

// R32, COST_RATE_MISMATCH: the key's finding of check 6 (vendor against the price book) or of
// check 12 (the priced lines' cost against the vendor's), found among the match's drafts.
schema::Exception::Builder cost_rate_mismatch(Drafts& d, const std::string& tenant) {
  for (auto& draft : d) {
    auto k = draft.entry().getKind();
    if (k.isException() && k.getException().getCategory() == schema::Category::COST_RATE_MISMATCH &&
        std::string(k.getException().getTenantId().cStr()) == tenant) {
      return k.getException();
    }
  }
  throw std::runtime_error("no COST_RATE_MISMATCH of " + tenant);
}

// The finding relabelled TIMING, as a forger must do it for R21 to pass: a TIMING id, named
// by its result, which then reads matched (a key whose findings are only TIMING).
void pass_off_as_timing(Drafts& d, const std::string& tenant) {
  auto x = cost_rate_mismatch(d, tenant);
  const std::string old_id = x.getExceptionId().cStr();
  const std::string new_id = "EX-2026-10-TIMING-" + old_id.substr(old_id.size() - 32);
  x.setCategory(schema::Category::TIMING);
  x.setExceptionId(new_id);
  for (auto& draft : d) {
    auto k = draft.entry().getKind();
    if (!k.isMatchResult()) continue;
    auto r = k.getMatchResult();
    for (unsigned i = 0; i < r.getExceptionIds().size(); ++i) {
      if (std::string(r.getExceptionIds()[i].cStr()) != old_id) continue;
      r.getExceptionIds().set(i, new_id);
      if (r.getExceptionIds().size() == 1) r.setStatus(schema::MatchResult::Status::MATCHED);
    }
  }
}

// Check 6 on the sample: T012's Business Premium is charged 32.66 where R001 costs 32.67 (−0.02).
TEST_F(ForgeryTest, ACostRateMismatchUnderstatedIsRefused) {
  close_period(nullptr, nullptr, [](ledger::Snapshot&, Drafts& d) {
    ASSERT_STREQ(cost_rate_mismatch(d, "T012").getDelta().cStr(), "-0.02");
    cost_rate_mismatch(d, "T012").setDelta("-0.01");
  });
  refused("R32", close::BundleSubject::kInvoice, "INV-2026-10-P001");
}

TEST_F(ForgeryTest, ACostRateMismatchPassedOffAsTimingIsRefused) {  // the key then reads matched
  close_period(nullptr, nullptr, [](ledger::Snapshot&, Drafts& d) { pass_off_as_timing(d, "T012"); });
  refused("R32", close::BundleSubject::kInvoice, "INV-2026-10-P001");
}

// Check 12: P001 gets its own Exchange Online rule from 10-16 at 6.50, while Microsoft charges
// T001's subscription 5.94 for the whole month. The vendor's lines come to their book price
// (R004's 5.94 is in effect on their first day), but the line priced from 10-16 rests on a cost
// the vendor does not charge: (5.94 − 6.50) × 4 seats × 16 ÷ 31 = −1.16 AUD.
class PricedCostForgeryTest : public ForgeryTest {
 protected:
  void SetUp() override {
    ForgeryTest::SetUp();
    load_rule("R011,1,microsoft,CFQ7TTC0LH16:0001,P001,2026-10-16,,6.5000,AUD,fixed,7.5000,AUD,Licence/Month,10.0");
    override_ = "the new cost is agreed with Microsoft from November";
  }
};

TEST_F(PricedCostForgeryTest, TheHonestFindingPassesBothVerifiers) {
  close_period(nullptr, nullptr, [](ledger::Snapshot&, Drafts& d) {
    EXPECT_STREQ(cost_rate_mismatch(d, "T001").getDelta().cStr(), "-1.16");
  });
  accepted(close::BundleSubject::kInvoice, "INV-2026-10-P001");
}

TEST_F(PricedCostForgeryTest, AFindingUnderstatingTheGapIsRefused) {
  close_period(nullptr, nullptr, [](ledger::Snapshot&, Drafts& d) { cost_rate_mismatch(d, "T001").setDelta("-0.16"); });
  refused("R32", close::BundleSubject::kInvoice, "INV-2026-10-P001");
}

TEST_F(PricedCostForgeryTest, TheFindingPassedOffAsTimingIsRefused) {
  close_period(nullptr, nullptr, [](ledger::Snapshot&, Drafts& d) { pass_off_as_timing(d, "T001"); });
  refused("R32", close::BundleSubject::kInvoice, "INV-2026-10-P001");
}

// Class 11: a bundle's role that is not its entry's kind (a credit labelled match_result).
TEST_F(ForgeryTest, ARoleThatIsNotItsEntrysKindIsRefused) {
  close_period();
  auto credit = close::plan_credit(snap(), {{line_id(kBp, "P001")}, Decimal::parse("5.00").value(), std::nullopt, "outage", ""});
  append(credit->drafts);
  auto bundle = nlohmann::ordered_json::parse(close::build_bundle(snap(), close::BundleSubject::kLine, line_id(kBp, "P001")).value());
  for (auto& e : bundle["entries"]) {
    if (e["role"] == "credit") e["role"] = "match_result";
  }
  auto checked = verify::check_bundle(bundle.dump(2) + "\n", log_key_.verifier());
  ASSERT_FALSE(checked.ok());
  EXPECT_NE(checked.error().message.find("R4:"), std::string::npos) << checked.error().to_string();
}

}  // namespace
}  // namespace closebook
