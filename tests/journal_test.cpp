// The GL journal (docs/close.md §5): one per GL organisation in its base currency, converted
// at the period's FX lock; every journal of every sign-off listed and acknowledgeable; Xero,
// MYOB and NetSuite files per each GL's published import layout (tests/gl-templates/), each
// balanced in that GL's own terms; the verifier's R19 refusing forged journals; and the
// journals of generated periods checked against an independent recomputation.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <sstream>

#include "close/credit.h"
#include "close/invoice.h"
#include "close/journal_formats.h"
#include "close/keys.h"
#include "close/signoff.h"
#include "data/sample/generator/generator.h"
#include "match/fields.h"
#include "match/period.h"
#include "match/queue.h"
#include "tests/test_util.h"
#include "verify/verify.h"

namespace closebook {
namespace {

using Drafts = std::vector<ledger::Draft>;

Decimal dec(const std::string& s) { return Decimal::parse(s).value(); }
std::string txt(capnp::Text::Reader t) { return t.cStr(); }

// RFC 4180 fields of one line (quotes doubled inside quoted fields).
std::vector<std::string> csv_fields(const std::string& line) {
  std::vector<std::string> out(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted && c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
      out.back() += '"';
      ++i;
    } else if (c == '"') {
      quoted = !quoted;
    } else if (c == ',' && !quoted) {
      out.emplace_back();
    } else {
      out.back() += c;
    }
  }
  return out;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

std::vector<std::string> tab_fields(const std::string& line) {
  std::vector<std::string> out(1);
  for (char c : line) {
    if (c == '\t') {
      out.emplace_back();
    } else {
      out.back() += c;
    }
  }
  return out;
}

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }
std::string fixture(const std::string& name) { return test::read_text(test::source_dir() + "/tests/gl-templates/" + name); }

// What Xero posts for a file, by Xero's rules (the fixture's README): rows of one narration
// and date are one journal; a line with a GST rate adds its tax; every journal must balance.
// The AU rates' percentages are Xero's (Tax Rates, Australia). Returns the GST Xero posts.
Decimal check_in_xero_terms(const std::string& file, const std::string& date) {
  static const std::map<std::string, int> kRatePercent = {
      {"BAS Excluded", 0}, {"GST Free Exports", 0}, {"GST Free Income", 0}, {"GST on Income", 10}, {"GST on Expenses", 10}};
  static const std::set<std::string> kRefused = {"610", "800", "801", "877", "960"};
  const auto rows = lines_of(file);
  EXPECT_EQ(rows.at(0), first_line(fixture("xero-manual-journal.csv")));
  EXPECT_LE(rows.size() - 1, 300u) << "Xero imports at most 300 lines a file";
  std::map<std::string, Decimal> journals;
  Decimal tax_posted;
  for (size_t i = 1; i < rows.size(); ++i) {
    const auto f = csv_fields(rows[i]);
    EXPECT_EQ(f.size(), 10u) << rows[i];
    if (f.size() != 10) continue;
    EXPECT_EQ(f[1], date) << rows[i];
    EXPECT_FALSE(f[0].empty()) << "a narration on every row";
    EXPECT_EQ(kRefused.count(f[3]), 0u) << "a system account: " << rows[i];
    EXPECT_EQ(kRatePercent.count(f[4]), 1u) << "not an AU tax rate: " << rows[i];
    EXPECT_EQ(f[6].empty(), f[7].empty()) << "tracking needs both name and option: " << rows[i];
    const Decimal amount = dec(f[5]);
    EXPECT_EQ(amount.rescale(2).value().to_string(), f[5]) << "two places";
    const Decimal tax = amount.mul(Decimal::from_int(kRatePercent.count(f[4]) ? kRatePercent.at(f[4]) : 0))
                            .value().div(Decimal::from_int(100), 2, Rounding::kHalfUp).value();
    Decimal& sum = journals[f[0] + "|" + f[1]];
    sum = sum.add(amount).value().add(tax).value();
    tax_posted = tax_posted.add(tax).value();
  }
  for (const auto& [journal, sum] : journals) EXPECT_TRUE(sum.is_zero()) << journal << " posts " << sum.to_string() << " in Xero";
  return tax_posted;
}

// MYOB's terms: records end at a blank line; each balances, its GST amounts with its lines.
// Returns the GST the file posts.
Decimal check_in_myob_terms(const std::string& file) {
  const auto rows = lines_of(file);
  EXPECT_EQ(rows.at(0), first_line(fixture("myob-general-journal.txt")));
  const size_t columns = tab_fields(rows.at(0)).size();
  Decimal debit, credit, gst_total;
  std::string number;
  size_t records = 0;
  for (size_t i = 1; i < rows.size(); ++i) {
    if (rows[i].empty()) {
      EXPECT_TRUE(debit == credit) << "record " << number << ": debits " << debit.to_string() << ", credits " << credit.to_string();
      debit = credit = Decimal();
      ++records;
      continue;
    }
    const auto f = tab_fields(rows[i]);
    EXPECT_EQ(f.size(), columns) << rows[i];
    if (f.size() != columns) continue;
    EXPECT_LE(f[0].size(), 13u) << "MYOB's journal number";
    number = f[0];
    EXPECT_TRUE(f[3] == "S" || f[3] == "P") << rows[i];
    EXPECT_TRUE(f[11] == "GST" || f[11] == "EXP" || f[11] == "N-T") << rows[i];
    EXPECT_NE(f[6].empty(), f[8].empty()) << "one of debit or credit: " << rows[i];
    const Decimal gst = f[13].empty() ? Decimal() : dec(f[13]);
    if (f[11] != "GST") {
      EXPECT_TRUE(gst.is_zero()) << rows[i];
    }
    gst_total = gst_total.add(gst).value();
    if (!f[6].empty()) debit = debit.add(dec(f[6])).value().add(gst).value();
    if (!f[8].empty()) credit = credit.add(dec(f[8])).value().add(gst).value();
  }
  EXPECT_TRUE(rows.back().empty()) << "the last record ends with a blank line";
  EXPECT_GT(records, 0u);
  return gst_total;
}

// NetSuite's terms: the lines of one External ID are one journal, each with one of debit or
// credit, balanced; returns the journals' External IDs.
std::set<std::string> check_in_netsuite_terms(const std::string& file, const std::string& date) {
  const auto rows = lines_of(file);
  const auto header = csv_fields(rows.at(0));
  const auto expected = csv_fields(first_line(fixture("netsuite-journal-entry.csv")));
  const bool subsidiary = header.size() == expected.size();
  EXPECT_TRUE(header == expected || (header.size() + 1 == expected.size() && header[1] == "Currency")) << rows[0];
  std::map<std::string, std::pair<Decimal, Decimal>> journals;
  for (size_t i = 1; i < rows.size(); ++i) {
    auto f = csv_fields(rows[i]);
    if (!subsidiary) f.insert(f.begin() + 1, "");
    EXPECT_EQ(f.size(), expected.size()) << rows[i];
    if (f.size() != expected.size()) continue;
    EXPECT_EQ(f[3], date) << rows[i];
    EXPECT_NE(f[6].empty(), f[7].empty()) << "one of debit or credit, the other empty: " << rows[i];
    auto& [debit, credit] = journals[f[0]];
    if (!f[6].empty()) debit = debit.add(dec(f[6])).value();
    if (!f[7].empty()) credit = credit.add(dec(f[7])).value();
  }
  std::set<std::string> ids;
  for (const auto& [id, sides] : journals) {
    EXPECT_TRUE(sides.first == sides.second) << id;
    ids.insert(id);
  }
  return ids;
}

match::JournalConfig two_organisations() {
  match::JournalConfig c;
  c.organisations = {{"AU", "Cloud Distributor Pty Ltd", match::GlSystem::kXero, "AUD", {"AUD"}, {}, "Cloud AU", c.accounts},
                     {"NZ", "Cloud Distributor NZ Ltd", match::GlSystem::kXero, "NZD", {"NZD"}, {}, "Cloud NZ", c.accounts}};
  return c;
}

class JournalTest : public ::testing::Test {
 protected:
  void SetUp() override { open(test::bundled_sample()); }

  void open(const std::map<std::string, std::string>& files) {
    ledger_.reset();
    dir_ = tmp_ / ("l" + std::to_string(++ledgers_));
    ledger_ = test::new_ledger(dir_, log_key_);
    test::load_period(*ledger_, log_key_, files, "2026-10");
    test::price_and_match(*ledger_, log_key_, "2026-10");
    Drafts key;
    key.push_back(close::plan_key_change(snap(), {KeyAction::REGISTER, KeyRole::FINANCE, finance_.verifier(), {}, ""}).value());
    append(key);
  }
  ledger::Snapshot snap() { return ledger_->snapshot().value(); }
  ledger::AppendReceipt append(Drafts& drafts) {
    auto r = ledger_->append(drafts, log_key_);
    EXPECT_TRUE(r.ok()) << r.error().to_string();
    return r.ok() ? *r : ledger::AppendReceipt{};
  }
  void sign_and_invoice(const std::string& override_reason = "") {
    const std::string text = close::build_statement(snap(), "2026-10", override_reason).value().text();
    auto plan = close::plan_signoff(snap(), text, close::sign_statement(text, finance_).value(), {1, override_reason});
    ASSERT_TRUE(plan.ok()) << plan.error().to_string();
    close::add_log_signature(*plan, log_key_);
    append(plan->drafts);
    auto invoices = close::plan_invoices(snap(), "2026-10");
    ASSERT_TRUE(invoices.ok()) << invoices.error().to_string();
    append(invoices->drafts);
  }
  close::JournalPlan journal(const match::JournalConfig& config = {}) {
    auto plan = close::plan_journal(snap(), "2026-10", config);
    EXPECT_TRUE(plan.ok()) << plan.error().to_string();
    if (!plan.ok()) return {};
    append(plan->drafts);
    return std::move(*plan);
  }
  std::vector<close::JournalView> journals() { return close::period_journals(snap(), "2026-10").value(); }
  close::JournalView journal_named(const std::string& id) {
    for (close::JournalView& j : journals()) {
      if (j.id() == id) return std::move(j);
    }
    throw std::runtime_error("no journal " + id);
  }
  Status ack(const std::string& id, const std::string& ref) {
    CB_TRY(close::AckPlan plan, close::plan_posting_ack(snap(), "2026-10", id, ref, ref, "gl"));
    if (!plan.drafts.empty()) append(plan.drafts);
    return {};
  }
  void replay_passes() {
    ledger_.reset();
    auto report = verify::replay_ledger(dir_, log_key_.verifier());
    EXPECT_TRUE(report.ok()) << report.error().to_string();
    ledger_ = ledger::Ledger::open(dir_, {}).value();
  }
  void replay_refuses(const std::string& what) {
    ledger_.reset();
    auto report = verify::replay_ledger(dir_, log_key_.verifier());
    ASSERT_FALSE(report.ok()) << "the ledger passed";
    EXPECT_NE(report.error().message.find("R19:"), std::string::npos) << report.error().to_string();
    EXPECT_NE(report.error().message.find(what), std::string::npos) << report.error().to_string();
    ledger_ = ledger::Ledger::open(dir_, {}).value();
  }
  // The journal's plan as a forger would append it, with one change.
  void forge(const match::JournalConfig& config, const std::function<void(Drafts&)>& change) {
    auto plan = close::plan_journal(snap(), "2026-10", config).value();
    change(plan.drafts);
    append(plan.drafts);
  }

  test::TempDir tmp_;
  int ledgers_ = 0;
  std::string dir_;
  SigningKey log_key_ = SigningKey::generate("closebook.test/journal").value();
  SigningKey finance_ = SigningKey::generate("fay@finance").value();
  std::unique_ptr<ledger::Ledger> ledger_;
};

// The period's FX lock of a pair, read independently of the journal: the first FxLock of
// the pair, direct or else inverse. Returns (rate, divide).
std::optional<std::pair<Decimal, bool>> lock_of(const ledger::Snapshot& s, const std::string& from, const std::string& to) {
  std::optional<std::pair<Decimal, bool>> inverse;
  const std::vector<uint64_t> locks = s.lookup("kind", "fxLock").value();
  for (uint64_t i : locks) {
    auto f = s.entry(i).value().reader().getKind().getFxLock();
    if (txt(f.getPeriod()) != "2026-10") continue;
    if (txt(f.getBase()) == from && txt(f.getQuote()) == to) return std::make_pair(dec(txt(f.getRate())), false);
    if (txt(f.getBase()) == to && txt(f.getQuote()) == from && !inverse) inverse = std::make_pair(dec(txt(f.getRate())), true);
  }
  return inverse;
}

Decimal convert(const Decimal& amount, const std::pair<Decimal, bool>& lock) {
  if (lock.second) return amount.div(lock.first, 2, Rounding::kHalfEven).value();
  return amount.mul(lock.first).value().round(2, Rounding::kHalfEven).value();
}

// What each organisation's journal must sum to, recomputed from the invoices and the priced
// lines they bill, not from the journal: receivable, revenue, GST, cost, by organisation.
struct Sums {
  Decimal receivable, revenue, gst, cost;
};
std::map<std::string, Sums> oracle(const ledger::Snapshot& s, const match::JournalConfig& config) {
  std::map<std::string, Sums> out;
  std::map<std::pair<std::string, std::string>, Decimal> costs;  // (org, "vendor|currency")
  const uint64_t sign_off = match::period_state(s, "2026-10").value().sign_off->index;
  const std::vector<uint64_t> invoices = s.lookup("kind", "invoice").value();
  for (uint64_t i : invoices) {
    DecodedEntry e = s.entry(i).value();
    auto inv = e.reader().getKind().getInvoice();
    if (inv.getSignOff().getIndex() != sign_off) continue;
    const std::string currency = txt(inv.getCurrency());
    const match::GlOrganisation* org = config.organisation_of(txt(inv.getPartnerId()), currency);
    if (org == nullptr) continue;
    Sums& sums = out[org->id];
    Decimal sub = dec(txt(inv.getSubtotal())), gst = dec(txt(inv.getGst()));
    if (currency != org->base_currency) {
      const auto lock = lock_of(s, currency, org->base_currency);
      EXPECT_TRUE(lock.has_value()) << currency << "/" << org->base_currency;
      if (!lock) continue;
      sub = convert(sub, *lock);
      gst = convert(gst, *lock);
    }
    sums.receivable = sums.receivable.add(sub).value().add(gst).value();
    sums.revenue = sums.revenue.add(sub).value();
    sums.gst = sums.gst.add(gst).value();
    auto visit = [&](schema::InvoiceItem::Reader item) -> Status {
      auto line = s.entry(item.getLine().getIndex()).value();
      if (!line.reader().getKind().isPricedLine()) return {};
      auto l = line.reader().getKind().getPricedLine();
      auto sealed = s.entry(l.getCost().getIndex()).value();  // its LineCost (docs/evidence.md §5)
      Decimal& c = costs[{org->id, txt(l.getVendor()) + "|" + currency}];
      c = c.add(dec(txt(sealed.reader().getKind().getLineCost().getCostAmount()))).value();
      return {};
    };
    EXPECT_TRUE(close::each_item(s, e, visit).ok());
  }
  for (const auto& [key, cost] : costs) {
    const match::GlOrganisation* org = nullptr;
    for (const auto& o : config.organisations) {
      if (o.id == key.first) org = &o;
    }
    const std::string currency = key.second.substr(key.second.find('|') + 1);
    Decimal in = cost;
    if (currency != org->base_currency) in = convert(cost, *lock_of(s, currency, org->base_currency));
    out[key.first].cost = out[key.first].cost.add(in).value();
  }
  return out;
}

Sums sums_of(const close::JournalView& j) {
  Sums s;
  for (auto l : j.posting.reader().getKind().getJournalPosting().getLines()) {
    const std::string role = txt(l.getRole());
    const Decimal amount = dec(txt(l.getAmount()));
    if (role == "receivable") s.receivable = s.receivable.add(amount).value();
    if (role == "revenue" || role == "revenueGstFree") s.revenue = s.revenue.sub(amount).value();
    if (role == "gst") s.gst = s.gst.sub(amount).value();
    if (role == "cogs") s.cost = s.cost.add(amount).value();
  }
  return s;
}

TEST_F(JournalTest, OneJournalPerOrganisationInItsBaseCurrencyAtThePeriodsFxLock) {
  EXPECT_FALSE(close::plan_journal(snap(), "2026-10", {}).ok()) << "not signed off";
  sign_and_invoice();
  const uint64_t before = snap().size();
  const close::JournalPlan plan = journal();
  EXPECT_EQ(plan.journal_ids, std::vector<std::string>{"JNL-2026-10-AU"});
  EXPECT_EQ(snap().size(), before + 1) << "the period's AUD/NZD lock exists: pricing locked it";
  EXPECT_EQ(close::plan_journal(snap(), "2026-10", {}).value().drafts.size(), 0u) << "prepared once per sign-off";

  const close::JournalView j = journal_named("JNL-2026-10-AU");
  auto p = j.posting.reader().getKind().getJournalPosting();
  EXPECT_EQ(txt(p.getCurrency()), "AUD");
  EXPECT_EQ(txt(p.getOrganisation()), "AU");
  EXPECT_EQ(p.getPartners().size(), 5u);
  EXPECT_EQ(txt(p.getTotalDebit()), txt(p.getTotalCredit()));
  const auto lock = lock_of(snap(), "NZD", "AUD");
  ASSERT_TRUE(lock.has_value());
  EXPECT_TRUE(lock->second) << "the sample locks AUD/NZD: NZD amounts divide by it";
  size_t converted = 0;
  for (auto l : p.getLines()) {
    const char* rate = txt(l.getRole()) == "revenueGstFree" ? "GST Free Exports" : "BAS Excluded";
    EXPECT_EQ(txt(l.getTaxRate()), rate) << "GST is its own line: no line makes the GL compute it again; exports are G2";
    EXPECT_GT(l.getRefs().size(), 0u);
    if (txt(l.getSourceCurrency()).empty()) continue;
    ++converted;
    EXPECT_EQ(txt(l.getSourceCurrency()), "NZD");
    EXPECT_EQ(dec(txt(l.getFxRate())), lock->first);
    EXPECT_EQ(txt(l.getAmount()), convert(dec(txt(l.getSourceAmount())), *lock).to_string()) << txt(l.getDescription());
  }
  EXPECT_EQ(converted, 2u + 2 * 2) << "P004's receivable and revenue, and two vendors' NZD cost pairs";
  const Sums want = oracle(snap(), {}).at("AU"), got = sums_of(j);
  EXPECT_EQ(got.receivable, want.receivable);
  EXPECT_EQ(got.revenue, want.revenue);
  EXPECT_EQ(got.gst, want.gst);
  EXPECT_EQ(got.cost, want.cost);
  EXPECT_EQ(got.cost.to_string(), "4339.16") << "3868.41 AUD and 870.04 NZD at 1.1047 per AUD, vendor by vendor";
  replay_passes();
}

TEST_F(JournalTest, EachOrganisationBooksItsOwnPartnersInItsBaseCurrency) {
  sign_and_invoice();
  const close::JournalPlan plan = journal(two_organisations());
  EXPECT_EQ(plan.journal_ids, (std::vector<std::string>{"JNL-2026-10-AU", "JNL-2026-10-NZ"}));
  const close::JournalView nz_journal = journal_named("JNL-2026-10-NZ");
  auto nz = nz_journal.posting.reader().getKind().getJournalPosting();
  EXPECT_EQ(txt(nz.getCurrency()), "NZD");
  ASSERT_EQ(nz.getPartners().size(), 1u);
  EXPECT_EQ(txt(nz.getPartners()[0]), "P004");
  for (auto l : nz.getLines()) EXPECT_TRUE(txt(l.getSourceCurrency()).empty()) << "in its own currency: nothing converted";
  // Two journals waiting: an acknowledgement must name one.
  auto unnamed = close::plan_posting_ack(snap(), "2026-10", "", "GL-1", "k", "gl");
  ASSERT_FALSE(unnamed.ok());
  EXPECT_EQ(unnamed.error().field, "--journal");
  ASSERT_TRUE(ack("JNL-2026-10-NZ", "XERO-NZ-1").ok());
  EXPECT_STREQ(match::period_state(snap(), "2026-10").value().name(), "invoiced") << "one of two journals posted";
  ASSERT_TRUE(ack("", "XERO-AU-1").ok()) << "the one left";
  EXPECT_STREQ(match::period_state(snap(), "2026-10").value().name(), "posted");
  replay_passes();
}

TEST_F(JournalTest, AnInvoiceNoOrganisationBooksIsRefusedAndChangesNothing) {
  sign_and_invoice();
  match::JournalConfig config;
  config.organisations.front().currencies = {"AUD"};
  const uint64_t before = snap().size();
  auto plan = close::plan_journal(snap(), "2026-10", config);
  ASSERT_FALSE(plan.ok());
  EXPECT_NE(plan.error().message.find("invoice INV-2026-10-P004 of partner P004 in NZD is booked by no GL organisation"),
            std::string::npos)
      << plan.error().message;
  EXPECT_EQ(plan.error().field, "journal.organisations");
  config.organisations.front().base_currency = "EUR";
  config.organisations.front().currencies = {"AUD", "NZD"};
  auto no_rate = close::plan_journal(snap(), "2026-10", config);
  ASSERT_FALSE(no_rate.ok());
  EXPECT_NE(no_rate.error().message.find("no FX rate AUD/EUR"), std::string::npos) << no_rate.error().message;
  EXPECT_EQ(snap().size(), before);
}

TEST_F(JournalTest, ACreditAddsAJournalAndNeverHidesTheOnesBefore) {
  sign_and_invoice();
  journal();
  // The credit reopens the period; the GL has not posted the first journal yet.
  auto p001 = close::find_invoice(snap(), "INV-2026-10-P001").value().reader().getKind().getInvoice();
  close::CreditRequest credit;
  credit.line_ids = {txt(p001.getItems()[0].getLineId())};
  credit.amount = dec("5.00");
  credit.reason = "service credit";
  auto plan = close::plan_credit(snap(), credit);
  ASSERT_TRUE(plan.ok()) << plan.error().to_string();
  append(plan->drafts);
  auto recovery = match::list_exceptions(snap(), {"2026-10", std::nullopt, match::Category::CREDIT_RECOVERY}).value();
  ASSERT_EQ(recovery.size(), 1u);
  match::UpdateRequest resolve;
  resolve.action = match::UpdateAction::RESOLVE;
  resolve.note = "credit note issued";
  resolve.actor = "test";
  Drafts drafts;
  drafts.push_back(match::plan_update(recovery[0], resolve).value());
  append(drafts);
  sign_and_invoice();
  EXPECT_EQ(journal().journal_ids, std::vector<std::string>{"JNL-2026-10-AU-2"});

  const auto all = journals();
  ASSERT_EQ(all.size(), 2u) << "the first journal stays listed";
  EXPECT_FALSE(all[0].current);
  EXPECT_TRUE(all[1].current);
  EXPECT_EQ(all[1].issue(), 2u);
  const auto waiting = close::unacknowledged_journals(snap()).value();
  ASSERT_EQ(waiting.size(), 2u);
  // The GL posts the first journal after the credit: it is acknowledged, not a 404.
  ASSERT_TRUE(ack("JNL-2026-10-AU", "XERO-MJ-1").ok());
  EXPECT_TRUE(ack("JNL-2026-10-AU", "XERO-MJ-1").ok()) << "again with the same reference: nothing new";
  EXPECT_EQ(close::plan_posting_ack(snap(), "2026-10", "JNL-2026-10-AU", "XERO-MJ-9", "k9", "gl").error().code, Code::kConflict);
  EXPECT_STREQ(match::period_state(snap(), "2026-10").value().name(), "invoiced") << "the credit note's journal is not posted";
  ASSERT_EQ(close::unacknowledged_journals(snap()).value().size(), 1u);
  EXPECT_EQ(close::unacknowledged_journals(snap()).value()[0].id(), "JNL-2026-10-AU-2");
  ASSERT_TRUE(ack("", "XERO-MJ-2").ok()) << "the one unacknowledged journal needs no name";
  EXPECT_STREQ(match::period_state(snap(), "2026-10").value().name(), "posted");
  EXPECT_TRUE(close::unacknowledged_journals(snap()).value().empty());
  // The credit note's journal: the credit, converted nowhere, with no cost (a credit bills no priced line).
  const Sums second = sums_of(journal_named("JNL-2026-10-AU-2"));
  EXPECT_EQ(second.revenue.to_string(), "-5.00");
  EXPECT_EQ(second.gst.to_string(), "-0.50");
  EXPECT_TRUE(second.cost.is_zero());
  replay_passes();
}

TEST_F(JournalTest, XeroFilesImportAsTheTemplateSaysAndBalanceInXerosTerms) {
  sign_and_invoice();
  journal();
  match::JournalConfig config;
  config.tracking_partner = "Partner";
  config.tracking_vendor = "Vendor";
  const close::JournalView j = journal_named("JNL-2026-10-AU");
  const auto files = close::journal_xero(j, config).value();
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0].name, "JNL-2026-10-AU.csv");
  EXPECT_TRUE(check_in_xero_terms(files[0].content, "31/10/2026").is_zero()) << "Xero computes no tax: GST is its own line";
  // GST once: its own lines to the GST account, the invoices' GST exactly.
  Decimal gst;
  for (const std::string& row : lines_of(files[0].content)) {
    const auto f = csv_fields(row);
    if (f.size() == 10 && f[3] == "820") gst = gst.sub(dec(f[5])).value();
  }
  EXPECT_EQ(gst, oracle(snap(), config).at("AU").gst);
  EXPECT_NE(files[0].content.find("Revenue P001 INV-2026-10-P001,200,BAS Excluded,-961.74,Partner,P001,,\n"), std::string::npos)
      << files[0].content;
  EXPECT_NE(files[0].content.find("Cost of sales datto,310,BAS Excluded,282.84,,,Vendor,datto\n"), std::string::npos)
      << "a vendor's line in the vendor category, the second: " << files[0].content;
  EXPECT_EQ(close::journal_xero(journal_named("JNL-2026-10-AU"), config).value()[0].content, files[0].content)
      << "a re-export is byte-identical";
}

TEST(JournalXeroTest, LargeJournalsSplitIntoFilesOfAtMost300LinesThatEachBalance) {
  ledger::Draft draft;
  draft.entry().setEffective("2026-10");
  auto p = draft.entry().getKind().initJournalPosting();
  p.setPeriod("2026-10");
  p.setJournalId("JNL-2026-10-AU");
  auto lines = p.initLines(3 * 250);  // 250 balanced runs of 3 lines
  for (unsigned i = 0; i < 250; ++i) {
    const char* amounts[] = {"110.00", "-100.00", "-10.00"};
    for (unsigned k = 0; k < 3; ++k) {
      lines[3 * i + k].setAmount(amounts[k]);
      lines[3 * i + k].setTaxRate("BAS Excluded");
      lines[3 * i + k].setAccount("200");
      lines[3 * i + k].setDescription("run " + std::to_string(i));
    }
  }
  const close::JournalView view{DecodedEntry::decode(canonical_bytes(draft.reader())).value(), true, std::nullopt, ""};
  const auto files = close::journal_xero(view, {}).value();
  ASSERT_EQ(files.size(), 3u);
  size_t rows = 0;
  std::set<std::string> narrations;
  for (const close::GlFile& f : files) {
    check_in_xero_terms(f.content, "31/10/2026");
    const auto file_rows = lines_of(f.content);
    rows += file_rows.size() - 1;
    narrations.insert(csv_fields(file_rows[1])[0]);
  }
  EXPECT_EQ(rows, 750u);
  EXPECT_EQ(narrations.size(), 3u) << "each file a journal of its own narration";
  EXPECT_EQ(files[1].name, "JNL-2026-10-AU-2.csv");
}

// One Australian organisation keeping its books in MYOB AccountRight, with MYOB's numbering.
match::JournalConfig myob_organisation() {
  match::JournalConfig c;
  match::GlOrganisation& o = c.organisations.front();
  o.gl = match::GlSystem::kMyob;
  o.accounts.revenue = "4-1000";
  o.accounts.cogs = "5-1000";
  o.accounts.receivable = "1-1210";
  o.accounts.payable = "2-1210";
  o.accounts.gst = "2-1310";
  return c;
}

TEST_F(JournalTest, MyobFilesImportAsTheGeneralJournalLayoutSaysAndCarryTheirGstOnce) {
  sign_and_invoice();
  const match::JournalConfig config = myob_organisation();
  journal(config);
  const close::JournalView j = journal_named("JNL-2026-10-AU");
  const auto files = close::write_journal(*close::find_gl_format("myob"), j, config).value();
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0].name, "JNL-2026-10-AU.txt");
  const Decimal gst = check_in_myob_terms(files[0].content);
  EXPECT_EQ(gst, oracle(snap(), config).at("AU").gst) << "the revenue lines' GST amounts are the invoices' GST";
  for (const std::string& row : lines_of(files[0].content)) {
    const auto f = tab_fields(row);
    if (f.size() < 12) continue;
    EXPECT_NE(f[5], "2-1310") << "MYOB posts the GST to its GST account itself: no GST line";
    if (f[18].find("Revenue P004") == 0) {
      EXPECT_EQ(f[11], "EXP") << "P004's export sale";
    }
    if (f[18].find("Revenue P001") == 0) {
      EXPECT_EQ(f[5], "4-1000");
      EXPECT_EQ(f[11], "GST");
      EXPECT_EQ(f[13], "96.19");
      EXPECT_EQ(f[0], "26101-00001");
      EXPECT_EQ(f[1], "31/10/2026");
    }
  }
  EXPECT_EQ(close::journal_myob(journal_named("JNL-2026-10-AU"), config).value()[0].content, files[0].content);
  // Its codes are MYOB's: Xero's import of them is refused, not written.
  auto xero = close::write_journal(*close::find_gl_format("xero"), j, config);
  ASSERT_FALSE(xero.ok());
  EXPECT_NE(xero.error().message.find("--format myob or json"), std::string::npos) << xero.error().message;
  EXPECT_TRUE(close::write_journal(*close::find_gl_format("json"), j, config).ok());
}

TEST_F(JournalTest, NetSuiteFilesCarryAnExternalIdPerJournalSoARepeatImportIsRefused) {
  sign_and_invoice();
  match::JournalConfig config = two_organisations();
  for (auto& o : config.organisations) o.gl = match::GlSystem::kNetSuite;
  journal(config);
  config.netsuite_date_format = "mm/dd/yyyy";
  const close::GlFormat& netsuite = *close::find_gl_format("netsuite");
  const auto files = close::write_journal(netsuite, journal_named("JNL-2026-10-NZ"), config).value();
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(check_in_netsuite_terms(files[0].content, "10/31/2026"), std::set<std::string>{"closebook-JNL-2026-10-NZ"});
  EXPECT_NE(files[0].content.find("closebook-JNL-2026-10-NZ,Cloud NZ,NZD,10/31/2026,"), std::string::npos) << files[0].content;
  config.organisations[1].subsidiary.clear();
  config.netsuite_date_format = "dd/mm/yyyy";
  const auto plain = close::write_journal(netsuite, journal_named("JNL-2026-10-NZ"), config).value();
  check_in_netsuite_terms(plain[0].content, "31/10/2026");
  EXPECT_EQ(first_line(plain[0].content).find("Subsidiary"), std::string::npos) << "not OneWorld: no subsidiary column";
}

TEST(JournalConfigTest, ASettingNoGlWouldImportIsRefusedWithItsField) {
  auto refused = [](const std::string& journal, const std::string& field, const std::string& message) {
    auto c = match::CloseConfig::parse("closebook.json", R"({"journal": )" + journal + "}");
    ASSERT_FALSE(c.ok()) << journal;
    EXPECT_EQ(c.error().field, field) << c.error().to_string();
    EXPECT_NE(c.error().message.find(message), std::string::npos) << c.error().to_string();
  };
  refused(R"({"receivable": "610"})", "journal.receivable", "Xero refuses manual journals to its system account 610");
  refused(R"({"tax_income": "GST on Income"})", "journal.tax_income", "GST is its own line");
  refused(R"({"organisations": [{"id": "AU", "gl": "myob", "base_currency": "AUD"}]})", "journal.organisations[0].revenue",
          "not a MYOB account number");
  refused(R"({"organisations": [{"id": "AU", "base_currency": "AUD", "currencies": ["AUD"]},
                                {"id": "NZ", "base_currency": "NZD", "currencies": ["AUD"]}]})",
          "journal.organisations[1].currencies", "currency AUD is booked by two organisations");
  refused(R"({"organisations": [{"id": "au", "base_currency": "AUD"}]})", "journal.organisations[0].id", "A-Z");
  refused(R"({"netsuite_date_format": "yyyy-mm-dd"})", "journal.netsuite_date_format", "dd/mm/yyyy or mm/dd/yyyy");
  auto ok = match::CloseConfig::parse("closebook.json", R"({"journal": {"tracking": {"partner": "Partner"},
      "organisations": [{"id": "AU", "gl": "myob", "base_currency": "AUD", "currencies": ["AUD", "NZD"],
                         "revenue": "4-1000", "cogs": "5-1000", "receivable": "1-1210", "payable": "2-1210", "gst": "2-1310"}]}})");
  ASSERT_TRUE(ok.ok()) << ok.error().to_string();
  EXPECT_EQ(ok->journal.organisations.at(0).accounts.revenue, "4-1000");
  EXPECT_EQ(ok->journal.tracking_partner, "Partner");
}

// R19 refuses what a writer could forge into a journal, each with its reason.
TEST_F(JournalTest, TheVerifierRefusesAConversionOffByACent) {
  sign_and_invoice();
  forge({}, [](Drafts& d) {
    auto lines = d.back().entry().getKind().getJournalPosting().getLines();
    for (unsigned i = 0; i < lines.size(); ++i) {
      if (txt(lines[i].getRole()) == "revenueGstFree") {
        // Revenue one cent short, the receivable before it too: still balanced, totals kept.
        const Decimal cent = dec("0.01");
        lines[i].setAmount(dec(txt(lines[i].getAmount())).add(cent).value().to_string());
        lines[i - 1].setAmount(dec(txt(lines[i - 1].getAmount())).sub(cent).value().to_string());
        auto p = d.back().entry().getKind().getJournalPosting();
        p.setTotalDebit(dec(txt(p.getTotalDebit())).sub(cent).value().to_string());
        p.setTotalCredit(dec(txt(p.getTotalCredit())).sub(cent).value().to_string());
        return;
      }
    }
  });
  replay_refuses("receivable line 9 amount is 555.07; recomputed 555.08");
}

TEST_F(JournalTest, TheVerifierRefusesARateThatIsNotTheLocks) {
  sign_and_invoice();
  forge({}, [](Drafts& d) {
    for (auto l : d.back().entry().getKind().getJournalPosting().getLines()) {
      if (l.getFxRate().size() != 0) l.setFxRate("1.1046");
    }
  });
  replay_refuses("FX rate is 1.1046; recomputed 1.1047");
}

TEST_F(JournalTest, TheVerifierRefusesATaxRateThatWouldCountGstTwice) {
  sign_and_invoice();
  forge({}, [](Drafts& d) {
    for (auto l : d.back().entry().getKind().getJournalPosting().getLines()) {
      if (txt(l.getRole()) == "revenue") l.setTaxRate("GST on Income");
    }
  });
  replay_refuses("its tax rate GST on Income is not its kind's, BAS Excluded");
}

TEST_F(JournalTest, TheVerifierRefusesAPartnerPostedByTwoJournalsOfASignOff) {
  sign_and_invoice();
  journal(two_organisations());
  // A second journal under the same sign-off re-posting P004 as if another organisation's.
  match::JournalConfig other = two_organisations();
  other.organisations[1].id = "NZ2";
  forge(other, [](Drafts& d) {
    for (auto it = d.begin(); it != d.end();) {
      const bool nz = it->entry().getKind().isJournalPosting() && txt(it->entry().getKind().getJournalPosting().getOrganisation()) == "NZ2";
      it = nz ? it + 1 : d.erase(it);
    }
  });
  replay_refuses("posts partner P004, whom another journal of its sign-off posts");
}

TEST_F(JournalTest, TheVerifierRefusesAJournalLeavingOutAnInvoiceOfItsPartners) {
  sign_and_invoice();
  forge({}, [](Drafts& d) {
    // P004 dropped from the lines (its receivable and revenue, its NZD cost pairs) but not from
    // the partners it claims to post in full.
    auto p = d.back().entry().getKind().getJournalPosting();
    std::vector<unsigned> keep;
    for (unsigned i = 0; i < p.getLines().size(); ++i) {
      if (txt(p.getLines()[i].getSourceCurrency()).empty()) keep.push_back(i);
    }
    capnp::MallocMessageBuilder copy;
    auto old = copy.initRoot<schema::JournalPosting>();
    old.setLines(p.getLines().asReader());
    auto lines = p.initLines(static_cast<unsigned>(keep.size()));
    Decimal debit;
    for (unsigned k = 0; k < keep.size(); ++k) {
      lines.setWithCaveats(k, old.getLines()[keep[k]].asReader());
      const Decimal amount = dec(txt(lines[k].getAmount()));
      if (amount.sign() > 0) debit = debit.add(amount).value();
    }
    p.setTotalDebit(debit.to_string());
    p.setTotalCredit(debit.to_string());
  });
  replay_refuses("does not post invoice entry");
}

// Generated periods (other seeds, sizes and partners than the sample): every journal agrees
// with the recomputation from invoices and priced lines, the replay accepts it, and each GL's
// file balances in that GL's terms.
TEST_F(JournalTest, GeneratedPeriodsJournalsAgreeWithAnIndependentRecomputation) {
  const std::pair<uint64_t, match::JournalConfig> cases[] = {{7, {}}, {31, two_organisations()}, {2026, {}}};
  for (const auto& [seed, config] : cases) {
    SCOPED_TRACE("seed " + std::to_string(seed) + ", organisations " + std::to_string(config.organisations.size()));
    open(sample::generate({seed, 400, Period{2026, 10}}));
    sign_and_invoice("generated: blocking findings accepted for the journal test");
    journal(config);
    const auto want = oracle(snap(), config);
    const auto all = journals();
    EXPECT_EQ(all.size(), want.size());
    size_t converted = 0;
    for (const close::JournalView& j : all) {
      for (auto l : j.posting.reader().getKind().getJournalPosting().getLines()) converted += l.getSourceCurrency().size() != 0;
    }
    EXPECT_EQ(converted > 0, config.organisations.size() == 1) << "one organisation converts the NZD partners' invoices";
    for (const close::JournalView& j : all) {
      const std::string org = txt(j.posting.reader().getKind().getJournalPosting().getOrganisation());
      ASSERT_EQ(want.count(org), 1u) << org;
      const Sums got = sums_of(j);
      EXPECT_EQ(got.receivable, want.at(org).receivable) << org;
      EXPECT_EQ(got.revenue, want.at(org).revenue) << org;
      EXPECT_EQ(got.gst, want.at(org).gst) << org;
      EXPECT_EQ(got.cost, want.at(org).cost) << org;
      const std::vector<close::GlFile> xero = close::journal_xero(j, config).value();
      for (const auto& f : xero) check_in_xero_terms(f.content, "31/10/2026");
      EXPECT_EQ(check_in_myob_terms(close::journal_myob(j, config).value()[0].content), want.at(org).gst);
      check_in_netsuite_terms(close::journal_netsuite(j, config).value()[0].content, "31/10/2026");
    }
    replay_passes();
  }
}

}  // namespace
}  // namespace closebook
