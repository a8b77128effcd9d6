// The tenant identity graph (docs/matching.md §2): one canonical tenant, many vendor identities, each
// edge (a TenantEdge entry) valid over a date range. Resolution is exact — an identity with
// no edge on that date is unresolved (a TENANT_UNRESOLVED finding), never a fuzzy guess.
// See docs/matching.md §2.
#pragma once

#include <unordered_map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "evidence/date.h"
#include "evidence/entry.h"
#include "ledger/ledger.h"

namespace closebook::match {

using IdType = schema::TenantEdge::IdType;

struct EdgeRef {
  uint64_t index = 0;
  Hash hash{};
};

struct TenantMatch {
  std::string tenant_id;
  std::string partner_id;
  EdgeRef edge;  // the TenantEdge entry that resolved it: evidence for the match
};

class TenantGraph {
 public:
  // Reads every TenantEdge entry of the snapshot.
  static Result<TenantGraph> load(const ledger::Snapshot& snapshot);

  // The tenant an identity of `type` names on `date`. Values compare as TenantEdge stores
  // them: case-insensitively, except names.
  std::optional<TenantMatch> resolve(std::string_view vendor, IdType type, std::string_view value,
                                     const Date& date) const;
  // For a reference of unknown type (a generic invoice's or a usage feed's TenantRef): the
  // first of customer id, org id, domain, name that resolves.
  std::optional<TenantMatch> resolve_any(std::string_view vendor, std::string_view value,
                                         const Date& date) const;
  size_t edge_count() const { return edge_count_; }

 private:
  struct Edge {
    std::string valid_from;  // ISO dates compare as text
    std::string valid_to;    // empty: open-ended
    TenantMatch match;
  };

 public:
  // resolve_any for one reference on many days (pricing walks every day of the period): the
  // edges of each identity type are looked up once, then each day only compares dates.
  class AnyResolver {
   public:
    std::optional<TenantMatch> on(const Date& date) const;

   private:
    friend class TenantGraph;
    std::vector<const std::vector<Edge>*> candidates_;  // per identity type, in resolve_any's order
  };
  AnyResolver resolver_any(std::string_view vendor, std::string_view value) const;

 private:
  static std::optional<TenantMatch> valid_on(const std::vector<Edge>& edges, const std::string& day);
  std::unordered_map<std::string, std::vector<Edge>> edges_;  // identity key -> edges
  size_t edge_count_ = 0;
};

}  // namespace closebook::match
