// The signer key registry: which keys may sign what, replayed from KeyEvent entries in ledger
// order. A signature counts only if its key was registered (and not revoked or rotated away)
// at the entry it signs. Pure: the ledger and closebook-verify feed it the same entries.
// See docs/ledger.md §6.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "evidence/entry.h"
#include "evidence/note.h"
#include "evidence/result.h"

namespace closebook {

using KeyRole = schema::KeyEvent::Role;
using KeyAction = schema::KeyEvent::Action;

const char* key_role_name(KeyRole role);
Result<KeyRole> parse_key_role(std::string_view name);

struct RegisteredKey {
  VerifierKey key;
  KeyRole role = KeyRole::FINANCE;
  uint64_t registered_at = 0;               // index of the KeyEvent that registered it
  Hash registered_hash{};                   // that entry's hash
  std::optional<uint64_t> ended_at;         // index of the revoke or rotate that ended it
  std::string end_reason;
  std::optional<Hash> replaced_by;          // rotate: the new key's id
  Hash registered_by{};                     // the author of the registering entry

  // True while the key may sign: at entries after the one that registered it and before the
  // one that revoked or rotated it away.
  bool active_at(uint64_t index) const {
    return registered_at < index && (!ended_at || index < *ended_at);
  }
};

class KeyRegistry {
 public:
  // Applies one KeyEvent entry (others are ignored). Refuses (invalid) an event the registry
  // cannot accept: a key id that does not match its name and public key, a key registered
  // twice, a rotation or revocation of a key that is not active, a rotation across roles.
  Status apply(const DecodedEntry& entry);

  const RegisteredKey* find(const Hash& key_id) const;
  // The key of `role` named `name` that is active at `index` (names are unique while active).
  const RegisteredKey* active(std::string_view name, KeyRole role, uint64_t index) const;
  std::vector<const RegisteredKey*> all() const;  // by registration

 private:
  std::map<Hash, RegisteredKey> keys_;
  std::vector<Hash> order_;
};

}  // namespace closebook
