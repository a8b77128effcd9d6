#include "close/bundle.h"

#include <map>
#include <set>
#include <tuple>
#include <nlohmann/json.hpp>

#include "close/invoice.h"
#include "close/lineage.h"
#include "close/views.h"
#include "evidence/checkpoint.h"
#include "match/book.h"
#include "match/fields.h"

namespace closebook::close {
namespace {

using match::Ref;
using match::text_of;

class Collection {
 public:
  void add(const std::string& role, uint64_t index) { roles_.try_emplace(index, role); }
  void add(const Lineage& lineage) {
    for (const auto& item : lineage.items) add(item.role, item.ref.index);
  }
  const std::map<uint64_t, std::string>& roles() const { return roles_; }

 private:
  std::map<uint64_t, std::string> roles_;  // index -> role, in ledger order
};

// Every entry an invoice rests on: its lines' lineages, its credits and their lines', the
// partner it is billed to.
Status collect_invoice(const ledger::Snapshot& snapshot, const std::string& id, Audience audience, Collection& c) {
  CB_TRY(DecodedEntry invoice, find_invoice(snapshot, id));
  auto inv = invoice.reader().getKind().getInvoice();
  c.add("invoice", invoice.reader().getIndex());
  c.add("sign_off", inv.getSignOff().getIndex());
  CB_TRY(PeriodTrail trail, period_trail(snapshot, text_of(inv.getPeriod())));
  // Every sign-off and reopen of the period: they show the sign-off it was issued on was the
  // one in force (docs/evidence.md R17).
  for (const PeriodTrail::Item& s : trail.sign_offs) {
    c.add("sign_off", s.ref.index);
    for (const Ref& key : s.key_events) c.add("key_event", key.index);
  }
  for (const PeriodTrail::Item& r : trail.reopens) c.add("period_reopen", r.ref.index);
  for (auto chunk : inv.getChunks()) c.add("invoice_chunk", chunk.getIndex());
  auto visit = [&](schema::InvoiceItem::Reader item) -> Status {
    CB_TRY(DecodedEntry line, snapshot.entry(item.getLine().getIndex()));
    if (line.reader().getKind().isCredit()) {
      c.add("credit", item.getLine().getIndex());
      for (auto credited : line.reader().getKind().getCredit().getLines()) {
        CB_TRY(Lineage l, line_lineage_at(snapshot, credited.getIndex(), trail));
        c.add(for_audience(std::move(l), audience));
      }
      return {};
    }
    CB_TRY(Lineage l, line_lineage_at(snapshot, item.getLine().getIndex(), trail));  // the version it bills
    c.add(for_audience(std::move(l), audience));
    return {};
  };
  CB_CHECK(each_item(snapshot, invoice, visit));
  CB_TRY(std::optional<Ref> partner, partner_before(snapshot, trail, text_of(inv.getPartnerId()), invoice.reader().getIndex()));
  if (partner) c.add("partner", partner->index);
  return {};
}

// What proves each bundled line's owner and rule choice (docs/evidence.md R12, R13): the
// tenant edges that give its tenant to its partner, and every rule version of its vendor's SKU
// that could price it (its partner's own and "*"). Nothing of another partner's.
Status collect_ownership(const ledger::Snapshot& snapshot, Collection& c) {
  std::set<std::pair<std::string, std::string>> owners;  // (tenant, partner)
  std::set<std::tuple<std::string, std::string, std::string>> skus;  // (vendor, sku, partner)
  for (const auto& [index, role] : c.roles()) {
    if (role != "priced_line") continue;
    CB_TRY(DecodedEntry e, snapshot.entry(index));
    auto l = e.reader().getKind().getPricedLine();
    owners.insert({text_of(l.getTenantId()), text_of(l.getPartnerId())});
    skus.insert({text_of(l.getVendor()), text_of(l.getSkuId()), text_of(l.getPartnerId())});
  }
  for (const auto& [tenant, partner] : owners) {
    CB_TRY(std::vector<DecodedEntry> edges, match::entries_of_kind(snapshot, "tenant", tenant, schema::Entry::Kind::TENANT_EDGE));
    for (const DecodedEntry& e : edges) {
      if (text_of(e.reader().getKind().getTenantEdge().getPartnerId()) == partner) c.add("tenant_edge", e.reader().getIndex());
    }
  }
  if (skus.empty()) return {};
  CB_TRY(std::vector<uint64_t> rules, snapshot.lookup("kind", "ruleVersion"));
  for (uint64_t i : rules) {
    CB_TRY(DecodedEntry e, snapshot.entry(i));
    auto r = e.reader().getKind().getRuleVersion();
    for (const auto& [vendor, sku, partner] : skus) {
      const bool of_sku = r.getSkuPattern().size() == 0 ? r.getSkuId() == sku : match::sku_matches(text_of(r.getSkuPattern()), sku);
      const bool may_price = r.getVendor() == vendor && of_sku && (r.getPartnerId() == "*" || r.getPartnerId() == partner);
      if (may_price) c.add("rule_version", i);
    }
  }
  return {};
}

}  // namespace

Result<std::string> build_bundle(const ledger::Snapshot& snapshot, BundleSubject kind, const std::string& id,
                                 Audience audience) {
  Collection c;
  if (kind == BundleSubject::kInvoice) {
    CB_CHECK(collect_invoice(snapshot, id, audience, c));
  } else {
    CB_TRY(Lineage l, line_lineage(snapshot, id));
    c.add(for_audience(std::move(l), audience));
  }
  CB_CHECK(collect_ownership(snapshot, c));
  // The whole key registry, so a verifier replays who could sign when.
  CB_TRY(std::vector<uint64_t> key_events, snapshot.lookup("kind", "keyEvent"));
  for (uint64_t i : key_events) c.add("key_event", i);

  const uint64_t size = snapshot.size();
  CB_TRY(std::string checkpoint, snapshot.checkpoint(size));
  nlohmann::ordered_json entries = nlohmann::ordered_json::array();
  nlohmann::ordered_json sign_offs = nlohmann::ordered_json::array();
  for (const auto& [index, role] : c.roles()) {
    CB_TRY(DecodedEntry e, snapshot.entry(index));
    CB_TRY(std::vector<Hash> proof, snapshot.inclusion_proof(index, size));
    entries.push_back({{"index", index},
                       {"role", role},
                       {"hash", to_hex(e.hash())},
                       {"bytes", to_base64(as_bytes(e.bytes()))},
                       {"json", nlohmann::ordered_json::parse(entry_json(e.reader()))},
                       {"inclusion", hashes_json(proof)}});
    if (e.reader().getKind().isSignOff()) {
      const uint64_t signed_size = e.reader().getKind().getSignOff().getTreeSize();
      CB_TRY(std::vector<Hash> consistency, snapshot.consistency_proof(signed_size, size));
      sign_offs.push_back({{"index", index}, {"tree_size", signed_size}, {"consistency", hashes_json(consistency)}});
    }
  }
  nlohmann::ordered_json bundle{{"format", kBundleFormat},
                                {"subject", {{"kind", kind == BundleSubject::kInvoice ? "invoice" : "line"}, {"id", id}}},
                                {"tree_size", size},
                                {"checkpoint", checkpoint},
                                {"entries", entries},
                                {"sign_offs", sign_offs}};
  return bundle.dump(2) + "\n";
}

}  // namespace closebook::close
