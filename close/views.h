// JSON views of the close's state, shared by the CLI's --format json and closebookd's API so
// both speak the same documents (docs/api.yaml describes them).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "close/journal.h"
#include "close/lineage.h"
#include "ledger/ledger.h"
#include "match/period.h"
#include "match/queue.h"

namespace closebook::close {

using Json = nlohmann::ordered_json;

// A list of hashes as lowercase hex, as every proof document carries them.
Json hashes_json(const std::vector<Hash>& hashes);
Json exception_json(const match::ExceptionState& state);
// The lineage's entries with their roles, hashes and decoded content.
Result<Json> lineage_json(const ledger::Snapshot& snapshot, const Lineage& lineage);
// The period's state and every journal of it, posted or not.
Json period_json(const std::string& period, const match::PeriodState& state, const std::vector<JournalView>& journals);
// The log interface's proof documents (docs/ledger.md §9): a public contract.
Result<Json> inclusion_proof_json(const ledger::Snapshot& snapshot, uint64_t index, uint64_t size);
Result<Json> consistency_proof_json(const ledger::Snapshot& snapshot, uint64_t old_size, uint64_t size);

}  // namespace closebook::close
