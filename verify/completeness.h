// R33 (docs/evidence.md): a bundle proves it holds every entry about its subject. The checkpoint
// signs the root of the subject map (docs/ledger.md §7.1); the bundle carries, for each subject
// it must be complete about, the entry indexes filed under it, and the buckets those subjects
// fall in with their heads and paths to that root. Written from docs/evidence.md and
// docs/ledger.md §7.1, not from the writer: which subjects are required, and which subjects an
// entry is filed under, are derived here again from the entries themselves.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "evidence/entry.h"
#include "evidence/hash.h"
#include "evidence/result.h"

namespace closebook::verify {

struct CompletenessReport {
  uint64_t subjects = 0;  // subjects proven complete
  // Entries the bundle withholds from its audience, each proven included: filed under its
  // subjects, or a carried entry's sealed part (R34). Index -> leaf hash.
  std::map<uint64_t, Hash> withheld;
};

// `entries`: the bundle's entries by index, already proven included at `tree_size` (R3);
// `subjects_root`: the checkpoint's closebook-subjects/v2 root. The bundle's "subjects",
// "buckets" and "withheld" fields are checked; every entry filed under a required subject must be
// carried or withheld (withheld ones proven included under `root`).
Result<CompletenessReport> check_completeness(const nlohmann::ordered_json& bundle,
                                              const std::map<uint64_t, DecodedEntry>& entries, uint64_t tree_size,
                                              const Hash& root, const Hash& subjects_root);

}  // namespace closebook::verify
