// What every verifier checks of a SignOff entry, given the key registry replayed up to it and
// the log's tree root at the statement's size: shared by closebook-verify's ledger replay and
// its bundle check, so the two cannot drift. See docs/close.md §1.
#pragma once

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
};

// The statement: a checkpoint of `origin` with the closebook-signoff/v1 line, naming the
// entry's period, at a tree size 0 < size <= the entry's index, with the entry's root. The
// signatures: each by the key the registry has under its key id, registered by the key event
// it cites, active at the entry, and valid over the statement; the log's among them, and at
// least requiredSignatures (at least 1) distinct finance keys. The caller checks `root`
// against the tree.
Result<SignOffCheck> check_signoff_entry(const DecodedEntry& entry, const KeyRegistry& registry, const std::string& origin);

}  // namespace closebook
