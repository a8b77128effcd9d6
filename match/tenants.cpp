#include "match/tenants.h"

#include "ledger/indexes.h"
#include "match/fields.h"

namespace closebook::match {
namespace {

std::string key_of(std::string_view vendor, IdType type, std::string_view value) {
  // Same normalisation as the reference load (match/reference.cpp), so keys meet.
  const std::string v = type == IdType::NAME ? std::string(value) : lower(value);
  return ledger::identity_key(lower(vendor), static_cast<uint16_t>(type), v);
}

}  // namespace

Result<TenantGraph> TenantGraph::load(const ledger::Snapshot& snapshot) {
  TenantGraph graph;
  CB_TRY(std::vector<uint64_t> indexes, snapshot.lookup("kind", "tenantEdge"));
  for (uint64_t i : indexes) {
    CB_TRY(DecodedEntry entry, snapshot.entry(i));
    auto e = entry.reader().getKind().getTenantEdge();
    Edge edge{text_of(e.getValidFrom()), text_of(e.getValidTo()),
              TenantMatch{text_of(e.getTenantId()), text_of(e.getPartnerId()), {i, entry.hash()}}};
    graph.edges_[key_of(text_of(e.getVendor()), e.getIdType(), text_of(e.getIdValue()))].push_back(
        std::move(edge));
    ++graph.edge_count_;
  }
  return graph;
}

// Loads refuse overlapping edges to different tenants, so at most one target is valid; the
// latest edge valid on the day is the evidence.
std::optional<TenantMatch> TenantGraph::valid_on(const std::vector<Edge>& edges, const std::string& day) {
  for (auto edge = edges.rbegin(); edge != edges.rend(); ++edge) {
    const bool started = edge->valid_from <= day;
    const bool not_ended = edge->valid_to.empty() || day <= edge->valid_to;
    if (started && not_ended) return edge->match;
  }
  return std::nullopt;
}

std::optional<TenantMatch> TenantGraph::resolve(std::string_view vendor, IdType type,
                                                std::string_view value, const Date& date) const {
  auto it = edges_.find(key_of(vendor, type, value));
  if (it == edges_.end()) return std::nullopt;
  return valid_on(it->second, date.to_iso());
}

constexpr IdType kAnyOrder[] = {IdType::CUSTOMER_ID, IdType::ORG_ID, IdType::DOMAIN, IdType::NAME};

std::optional<TenantMatch> TenantGraph::resolve_any(std::string_view vendor, std::string_view value,
                                                    const Date& date) const {
  return resolver_any(vendor, value).on(date);
}

TenantGraph::AnyResolver TenantGraph::resolver_any(std::string_view vendor, std::string_view value) const {
  AnyResolver r;
  for (IdType type : kAnyOrder) {
    auto it = edges_.find(key_of(vendor, type, value));
    if (it != edges_.end()) r.candidates_.push_back(&it->second);
  }
  return r;
}

std::optional<TenantMatch> TenantGraph::AnyResolver::on(const Date& date) const {
  if (candidates_.empty()) return std::nullopt;
  const std::string day = date.to_iso();
  for (const std::vector<Edge>* edges : candidates_) {
    if (auto match = valid_on(*edges, day)) return match;
  }
  return std::nullopt;
}

}  // namespace closebook::match
