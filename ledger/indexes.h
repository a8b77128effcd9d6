// Secondary indexes: which (name, value) keys each kind of entry is filed under, so that
// lookups by partner, tenant, period, line or invoice are a few LMDB reads. Indexes are not
// evidence: closebook-verify never reads them, and the writer reads them only as proven
// against the subject map its checkpoints sign (ledger/subjects.h). See docs/ledger.md §7-8.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "evidence/entry.h"

namespace closebook::ledger {

// The version of the keys index_keys() derives. A ledger whose indexes are of another
// version has them rebuilt from its entries when opened for writing (Ledger::open).
// 2: adds "cites" (match results, exceptions, invoices and disputes by the entries they cite).
// 3: adds "period_kind" ("2026-10/pricedLine": the period's entries of one kind), so reading a
//    period's priced lines or exceptions no longer decodes every entry of the period.
// 4: adds the subject map (ledger/subjects.h): every index key and content key has a head
//    that the checkpoints commit to, so an edited index is refused rather than believed.
// 5: adds "cites_kind" ("<index>/<kind>": what cites an entry, by kind), so a bundle proves
//    which of an entry's citers it may withhold (only match results and exceptions); the
//    checkpoints' subjects line becomes closebook-subjects/v2.
inline constexpr std::string_view kIndexVersion = "5";

struct IndexKey {
  std::string name;   // "kind", "partner", "tenant", "period", "line", "invoice", "cites", ...
  std::string value;
};

// Every entry is filed under ("kind", kind_name); the rest depends on the kind.
std::vector<IndexKey> index_keys(schema::Entry::Reader entry);

// The "identity" index value of a vendor identity: vendor "|" id type number "|" id value,
// with vendor and value as normalised in the TenantEdge entry.
std::string identity_key(std::string_view vendor, uint16_t id_type, std::string_view value);

// The LMDB key of an index key: name "\0" value, hashed when too long (layout.h).
std::string index_db_key(std::string_view name, std::string_view value);

}  // namespace closebook::ledger
