// What every verifier checks of a SignOff entry, given the key registry replayed up to it and
// the log's tree root at the statement's size: shared by closebook-verify's ledger replay and
// its bundle check, so the two cannot drift. See docs/close.md §1.
#pragma once

#include <optional>
#include <set>
#include <string>

#include "evidence/entry.h"
#include "evidence/keys.h"

namespace closebook {

struct SignOffCheck {
  std::string period;
  uint64_t tree_size = 0;
  Hash root{};                      // the statement's
  std::set<std::string> finance;    // names of the finance keys that signed
  // A closebook-signoff/v2 statement's `summary` line: the salted hash of the summary the
  // entry's `summary` names (docs/close.md §1). Unset for v1, whose lines are the summary.
  std::optional<Hash> summary_digest;
};

// The statement: a checkpoint of `origin` whose first extension line is closebook-signoff/v1
// (the entry then names no summary) or closebook-signoff/v2 followed by exactly the period
// and `summary <base64 of 32 bytes>` lines (the entry then names its summary, with empty
// outstanding and overrideReason), naming the entry's period, at a tree size 0 < size <= the
// entry's index, with the entry's root. The
// signatures: each by the key the registry has under its key id, registered by the key event
// it cites, active at the entry, and valid over the statement; the log's among them, and at
// least requiredSignatures (at least 1) distinct finance keys. The caller checks `root`
// against the tree.
Result<SignOffCheck> check_signoff_entry(const DecodedEntry& entry, const KeyRegistry& registry, const std::string& origin);

}  // namespace closebook
