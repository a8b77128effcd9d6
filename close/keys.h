// The signer key registry in the ledger: KeyEvent entries that register, rotate and revoke
// the keys finance (and others) sign with (docs/ledger.md §6). See docs/ledger.md §6.
#pragma once

#include <string>

#include "evidence/keys.h"
#include "ledger/ledger.h"

namespace closebook::close {

// Every KeyEvent of the snapshot, replayed.
Result<KeyRegistry> load_key_registry(const ledger::Snapshot& snapshot);

struct KeyChange {
  KeyAction action = KeyAction::REGISTER;
  KeyRole role = KeyRole::FINANCE;
  VerifierKey key;      // register, rotate: the new key; revoke: the key revoked
  Hash replaces{};      // rotate: the id of the key it replaces
  std::string reason;
};

// The KeyEvent entry for a change, checked against the registry as it stands: the same rules
// closebook-verify replays (evidence/keys.h).
Result<ledger::Draft> plan_key_change(const ledger::Snapshot& snapshot, const KeyChange& change);

}  // namespace closebook::close
