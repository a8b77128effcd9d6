// The tenant identity graph resolves vendor identities exactly, over time: renames still
// resolve, a tenant that moves partner resolves to the partner of the day, and an identity
// with no edge stays unresolved.
#include <gtest/gtest.h>
#include <sodium.h>

#include "evidence/keyfile.h"
#include "match/reference.h"
#include "match/tenants.h"
#include "tests/test_util.h"

namespace closebook {
namespace {

using match::IdType;

class TenantGraphTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ledger_ = test::new_ledger(tmp_ / "l", key_);
    for (auto [kind, file] : {std::pair{match::ReferenceKind::kPartners, "partners.csv"},
                              {match::ReferenceKind::kTenants, "tenants.csv"}}) {
      const std::string path = test::source_dir() + "/data/sample/" + file;
      auto snap = ledger_->snapshot().value();
      auto plan = match::plan_reference_load(kind, path, test::read_text(path), snap).value();
      ASSERT_TRUE(ledger_->append(plan.drafts, key_).ok());
    }
    graph_ = std::make_unique<match::TenantGraph>(match::TenantGraph::load(ledger_->snapshot().value()).value());
  }

  std::optional<match::TenantMatch> resolve(IdType type, std::string_view value, const char* date,
                                            std::string_view vendor = "microsoft") {
    return graph_->resolve(vendor, type, value, Date::parse(date).value());
  }

  test::TempDir tmp_;
  SigningKey key_ = SigningKey::generate("closebook.test/tenants").value();
  std::unique_ptr<ledger::Ledger> ledger_;
  std::unique_ptr<match::TenantGraph> graph_;
};

TEST_F(TenantGraphTest, ACustomerIdResolvesCaseInsensitivelyWithItsEdgeAsEvidence) {
  auto m = resolve(IdType::CUSTOMER_ID, "570032ED-7E4A-4BB0-9409-2AFD36814937", "2026-10-20");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->tenant_id, "T003");
  EXPECT_EQ(m->partner_id, "P002");
  auto edge = ledger_->snapshot().value().entry(m->edge.index).value();
  EXPECT_EQ(edge.hash(), m->edge.hash);
  EXPECT_EQ(edge.reader().getKind().which(), schema::Entry::Kind::TENANT_EDGE);
}

TEST_F(TenantGraphTest, ARenamedTenantResolvesByEachNameInItsOwnTime) {
  EXPECT_EQ(resolve(IdType::NAME, "Wattle & Co Lawyers", "2026-10-14")->tenant_id, "T003");
  EXPECT_FALSE(resolve(IdType::NAME, "Wattle & Co Lawyers", "2026-10-15"));
  EXPECT_EQ(resolve(IdType::NAME, "Wattle Legal Pty Ltd", "2026-10-15")->tenant_id, "T003");
  EXPECT_FALSE(resolve(IdType::NAME, "wattle legal pty ltd", "2026-10-15"));  // names are exact
}

TEST_F(TenantGraphTest, ATenantThatMovesPartnerResolvesToThePartnerOfTheDay) {
  EXPECT_EQ(resolve(IdType::CUSTOMER_ID, "fe83a528-2229-4f24-b795-a5b44c878ac3", "2026-10-19")->partner_id, "P002");
  EXPECT_EQ(resolve(IdType::CUSTOMER_ID, "fe83a528-2229-4f24-b795-a5b44c878ac3", "2026-10-20")->partner_id, "P005");
  EXPECT_EQ(resolve(IdType::DOMAIN, "SwanValleyWines.onmicrosoft.com", "2026-10-20")->tenant_id, "T007");
}

TEST_F(TenantGraphTest, UnknownOrOutOfRangeIdentitiesStayUnresolved) {
  EXPECT_FALSE(resolve(IdType::CUSTOMER_ID, "00000000-0000-0000-0000-000000000000", "2026-10-20"));
  EXPECT_FALSE(resolve(IdType::CUSTOMER_ID, "570032ed-7e4a-4bb0-9409-2afd36814937", "2024-02-29"));
  // The same identity under another vendor, or another type, is another identity.
  EXPECT_FALSE(resolve(IdType::CUSTOMER_ID, "570032ed-7e4a-4bb0-9409-2afd36814937", "2026-10-20", "acronis"));
  EXPECT_FALSE(resolve(IdType::DOMAIN, "570032ed-7e4a-4bb0-9409-2afd36814937", "2026-10-20"));
  // Near misses are not guessed.
  EXPECT_FALSE(resolve(IdType::CUSTOMER_ID, "570032ed-7e4a-4bb0-9409-2afd3681493", "2026-10-20"));
}

TEST_F(TenantGraphTest, AReferenceOfUnknownTypeTriesEachIdentityType) {
  auto m = graph_->resolve_any("datto", "148213", Date::parse("2026-10-05").value());
  ASSERT_TRUE(m);
  EXPECT_EQ(m->tenant_id, "T003");
  EXPECT_FALSE(graph_->resolve_any("datto", "999999", Date::parse("2026-10-05").value()));
}

}  // namespace
}  // namespace closebook
