// Reference data loads (docs/ledger.md §8): partners, the tenant identity graph, price-book rule
// versions and FX rates, each turned into ledger entries. See docs/ledger.md §8.
//
// A load is planned in full before anything is written: every row is parsed and checked
// (against the file and against the ledger), and only a clean file yields a plan. The plan is
// then appended in one transaction, so a bad file changes nothing. Entries carry no
// load-specific data, so loading the same rows again appends nothing (ledger idempotency).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "evidence/result.h"
#include "ledger/ledger.h"
#include "match/load.h"

namespace closebook::match {

enum class ReferenceKind { kPartners, kTenants, kRules, kFx };

Result<ReferenceKind> parse_reference_kind(std::string_view name);
const char* reference_kind_name(ReferenceKind kind);

// Parses `bytes` (the contents of `file_name`) and checks it against `snapshot`.
Result<LoadPlan> plan_reference_load(ReferenceKind kind, const std::string& file_name,
                                     std::string_view bytes, const ledger::Snapshot& snapshot);

}  // namespace closebook::match
