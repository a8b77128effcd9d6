// Invoices of any size (docs/close.md §4): a partner billed for 200,000 lines gets one invoice,
// written as InvoiceChunk entries of close::kItemsPerChunk items and a header naming them, each
// entry small enough for a tlog-tiles entry bundle; a line's bundle carries its chunk and the
// header, not the invoice; and closebook-verify recomputes the header's totals from the chunks.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "close/bundle.h"
#include "close/invoice.h"
#include "close/keys.h"
#include "close/signoff.h"
#include "evidence/tiles.h"
#include "match/feeds.h"
#include "match/pricing.h"
#include "match/reference.h"
#include "match/three_way.h"
#include "tests/test_util.h"
#include "verify/verify.h"

namespace closebook {
namespace {

constexpr int kLines = 200'000;

class InvoiceChunkTest : public ::testing::Test {
 protected:
  void SetUp() override { ledger_ = test::new_ledger(dir_ / "ledger", key_); }
  void append(std::vector<ledger::Draft>& drafts) {
    auto r = ledger_->append(drafts, key_);
    ASSERT_TRUE(r.ok()) << r.error().to_string();
  }
  void load(const Result<match::LoadPlan>& plan) {
    ASSERT_TRUE(plan.ok()) << plan.error().to_string();
    append(const_cast<match::LoadPlan&>(*plan).drafts);
  }
  ledger::Snapshot snap() { return ledger_->snapshot().value(); }

  // One partner with `lines` one-seat subscriptions, each charged, counted and priced for October;
  // `forge` edits the invoice drafts before they are signed and appended.
  void close_period(int lines, const std::function<void(std::vector<ledger::Draft>&)>& forge = nullptr) {
    using match::ReferenceKind;
    load(match::plan_reference_load(ReferenceKind::kPartners, "p.csv",
                                    "PartnerId,Name,Country,Currency,ResellerMpnId,MarginFloorPct\nP001,Big Reseller,AU,AUD,,\n", snap()));
    load(match::plan_reference_load(ReferenceKind::kTenants, "t.csv",
                                    "TenantId,PartnerId,Vendor,IdType,IdValue,ValidFrom,ValidTo\nT001,P001,acme,org_id,ACME-1,2020-01-01,\n",
                                    snap()));
    load(match::plan_reference_load(ReferenceKind::kRules, "r.csv",
                                    "RuleId,Version,Vendor,SkuId,PartnerId,EffectiveFrom,EffectiveTo,CostUnitPrice,CostCurrency,"
                                    "SellMethod,SellValue,SellCurrency,Unit,MarginFloorPct\n"
                                    "R1,1,acme,SEAT,*,2020-01-01,,1.00,AUD,fixed,1.50,AUD,Seat/Month,\n",
                                    snap()));
    std::string invoice = "Vendor,InvoiceNumber,LineRef,TenantRef,SubscriptionId,SkuId,ChargeType,ChargeStartDate,ChargeEndDate,"
                          "Quantity,UnitPrice,Subtotal,Currency\n";
    std::string usage = "Vendor,UsageDate,TenantRef,SubscriptionId,SkuId,Quantity,QuantityBasis,UnitType,SourceRef\n";
    for (int i = 0; i < lines; ++i) {
      const std::string sub = "S" + std::to_string(1'000'000 + i);
      invoice += "acme,A-1," + std::to_string(i) + ",ACME-1," + sub + ",SEAT,cycleCharge,2026-10-01,2026-10-31,1,1.00,1.00,AUD\n";
      usage += "acme,2026-10-01,ACME-1," + sub + ",SEAT,1,snapshot,Seat,u" + std::to_string(i) + "\n";
    }
    load(match::plan_feed_load(match::format("generic"), "acme.csv", invoice, {"2026-10", nullptr}));
    load(match::plan_feed_load(match::format("closebook-usage-v1"), "usage.csv", usage, {"2026-10", nullptr}));
    auto priced = match::plan_pricing(snap(), {"2026-10"});
    ASSERT_TRUE(priced.ok()) << priced.error().to_string();
    append(priced->drafts);
    auto matched = match::plan_match(snap(), {"2026-10"});
    ASSERT_TRUE(matched.ok()) << matched.error().to_string();
    append(matched->drafts);
    std::vector<ledger::Draft> keys;
    keys.push_back(close::plan_key_change(snap(), {KeyAction::REGISTER, KeyRole::FINANCE, finance_.verifier(), {}, ""}).value());
    append(keys);
    const std::string text = close::build_statement(snap(), "2026-10", "").value().text();
    auto plan = close::plan_signoff(snap(), text, close::sign_statement(text, finance_).value(), {1});
    ASSERT_TRUE(plan.ok()) << plan.error().to_string();
    close::add_log_signature(*plan, key_);
    append(plan->drafts);
    auto invoices = close::plan_invoices(snap(), "2026-10");
    ASSERT_TRUE(invoices.ok()) << invoices.error().to_string();
    if (forge) forge(invoices->drafts);
    append(invoices->drafts);
  }

  test::TempDir dir_;
  SigningKey key_ = SigningKey::generate("closebook.test/chunks").value();
  SigningKey finance_ = SigningKey::generate("fin@finance").value();
  std::unique_ptr<ledger::Ledger> ledger_;
};

// The same at 500 lines (three chunks), fast, for every run of the tests under a debugger.
TEST_F(InvoiceChunkTest, AFiveHundredItemInvoiceIsThreeChunksAndAHeader) {
  close_period(500);
  auto invoice = close::find_invoice(snap(), "INV-2026-10-P001").value();
  ASSERT_EQ(invoice.reader().getKind().getInvoice().getChunks().size(), 3u);
  std::string line_id;
  auto last_line = [&](schema::InvoiceItem::Reader item) -> Status {
    line_id = item.getLineId().cStr();
    return {};
  };
  ASSERT_TRUE(close::each_item(snap(), invoice, last_line).ok());
  auto bundle = close::build_bundle(snap(), close::BundleSubject::kLine, line_id);
  ASSERT_TRUE(bundle.ok()) << bundle.error().to_string();
  std::vector<std::string> roles;
  const nlohmann::json parsed = nlohmann::json::parse(*bundle);
  for (const auto& e : parsed["entries"]) roles.push_back(e["role"]);
  EXPECT_EQ(std::count(roles.begin(), roles.end(), "invoice_chunk"), 1) << nlohmann::json(roles).dump();
  EXPECT_EQ(std::count(roles.begin(), roles.end(), "invoice"), 1);
  EXPECT_TRUE(verify::check_bundle(*bundle, key_.verifier()).ok());
  auto whole = close::build_bundle(snap(), close::BundleSubject::kInvoice, "INV-2026-10-P001");
  ASSERT_TRUE(whole.ok()) << whole.error().to_string();
  auto checked = verify::check_bundle(*whole, key_.verifier());
  ASSERT_TRUE(checked.ok()) << checked.error().to_string();
  EXPECT_EQ(checked->invoices_recomputed, 1u);
}

// Building an invoice's bundle reads a bounded number of entries and bytes per item, however
// many items: each chunk is decoded once for its 200 lines (it was decoded three times per
// line, ~150 KB a line), and a line's partner version is found without walking back through
// the partner's earlier lines (it decoded every one of them: quadratic in the invoice).
TEST_F(InvoiceChunkTest, AnInvoiceBundleReadsEachEntryAboutOnce) {
  constexpr int kItems = 1'200;
  close_period(kItems);
  ledger::Snapshot snapshot = snap();
  auto bundle = close::build_bundle(snapshot, close::BundleSubject::kInvoice, "INV-2026-10-P001");
  ASSERT_TRUE(bundle.ok()) << bundle.error().to_string();
  const ledger::Snapshot::ReadStats reads = snapshot.read_stats();
  const nlohmann::json parsed = nlohmann::json::parse(*bundle);
  const uint64_t carried = parsed["entries"].size();
  EXPECT_LE(reads.entries, 4 * carried) << reads.entries << " entries read for " << carried << " carried";
  EXPECT_LE(reads.bytes / kItems, 16'000u) << reads.bytes << " bytes read for " << kItems << " items";
}

// A line's bundle carries one chunk of the invoice, so it cannot recompute the totals; the
// header is still checked by what the bundle does carry: a forged issue date is refused.
TEST_F(InvoiceChunkTest, ALinesBundleChecksTheHeaderOfItsChunkedInvoice) {
  close_period(500, [](std::vector<ledger::Draft>& drafts) {
    for (auto& d : drafts) {
      if (d.entry().getKind().isInvoice()) d.entry().getKind().getInvoice().setIssueDate("1999-01-01");
    }
  });
  auto invoice = close::find_invoice(snap(), "INV-2026-10-P001").value();
  std::string line_id;
  auto first_line = [&](schema::InvoiceItem::Reader item) -> Status {
    if (line_id.empty()) line_id = item.getLineId().cStr();
    return {};
  };
  ASSERT_TRUE(close::each_item(snap(), invoice, first_line).ok());
  auto bundle = close::build_bundle(snap(), close::BundleSubject::kLine, line_id);
  ASSERT_TRUE(bundle.ok()) << bundle.error().to_string();
  auto checked = verify::check_bundle(*bundle, key_.verifier());
  ASSERT_FALSE(checked.ok()) << "the line's bundle passed";
  EXPECT_NE(checked.error().message.find("R17:"), std::string::npos) << checked.error().to_string();
}

TEST_F(InvoiceChunkTest, A200000ItemInvoiceIsChunkedVerifiedAndItsLinesBundledWithTheirChunk) {
  close_period(kLines);
  auto invoice = close::find_invoice(snap(), "INV-2026-10-P001");
  ASSERT_TRUE(invoice.ok()) << invoice.error().to_string();
  auto inv = invoice->reader().getKind().getInvoice();
  EXPECT_EQ(inv.getItems().size(), 0u);
  EXPECT_EQ(inv.getItemCount(), static_cast<uint64_t>(kLines));
  EXPECT_EQ(inv.getChunks().size(), (kLines + close::kItemsPerChunk - 1) / close::kItemsPerChunk);
  EXPECT_STREQ(inv.getSubtotal().cStr(), "300000.00");  // 200,000 × 1.50
  EXPECT_STREQ(inv.getGst().cStr(), "30000.00");
  EXPECT_STREQ(inv.getTotal().cStr(), "330000.00");
  // Every entry of it fits a tlog-tiles entry bundle, so the log publishes (docs/ledger.md §9.1).
  EXPECT_LE(snap().entry_bytes(invoice->reader().getIndex()).value().size(), kBundledEntryBytesMax);
  size_t largest_chunk = 0, items = 0;
  for (auto ref : inv.getChunks()) largest_chunk = std::max(largest_chunk, snap().entry_bytes(ref.getIndex()).value().size());
  EXPECT_LE(largest_chunk, kBundledEntryBytesMax);
  auto count = [&](schema::InvoiceItem::Reader) -> Status {
    ++items;
    return {};
  };
  ASSERT_TRUE(close::each_item(snap(), *invoice, count).ok());
  EXPECT_EQ(items, static_cast<size_t>(kLines));

  // A line's bundle: the line's chunk and the header, not the other 999 chunks.
  std::string line_id;
  auto first_line = [&](schema::InvoiceItem::Reader item) -> Status {
    if (line_id.empty()) line_id = item.getLineId().cStr();
    return {};
  };
  ASSERT_TRUE(close::each_item(snap(), *invoice, first_line).ok());
  auto bundle = close::build_bundle(snap(), close::BundleSubject::kLine, line_id);
  ASSERT_TRUE(bundle.ok()) << bundle.error().to_string();
  size_t chunks_carried = 0;
  const nlohmann::json parsed = nlohmann::json::parse(*bundle);
  for (const auto& e : parsed["entries"]) chunks_carried += e["role"] == "invoice_chunk";
  EXPECT_EQ(chunks_carried, 1u) << "a line's bundle carries its chunk, not the invoice";
  EXPECT_LT(bundle->size(), 1'000'000u);  // the header's 1,000 chunk references and one chunk, each as bytes and JSON
  auto checked = verify::check_bundle(*bundle, key_.verifier());
  EXPECT_TRUE(checked.ok()) << checked.error().to_string();

  // The whole ledger verifies: the header's totals recomputed from the chunks (R17).
  ledger_.reset();
  auto replayed = verify::replay_ledger(dir_ / "ledger", key_.verifier());
  ASSERT_TRUE(replayed.ok()) << replayed.error().to_string();
  EXPECT_EQ(replayed->invoices_recomputed, 1u);
}

}  // namespace
}  // namespace closebook
