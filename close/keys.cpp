#include "close/keys.h"

namespace closebook::close {

// Decided from the entries, never from the index alone: the index is not signed, so an insider
// without the log key could delete a revocation from it and a revoked key would sign off. Every
// entry is read (about 1.5 us each; sign-offs and key changes are rare), and the index must list
// exactly the key events found, else the ledger's indexes were edited or damaged and nothing is
// decided from them (docs/threat-model.md §3.1).
Result<KeyRegistry> load_key_registry(const ledger::Snapshot& snapshot) {
  KeyRegistry registry;
  std::vector<uint64_t> found;
  for (uint64_t i = 0; i < snapshot.size(); ++i) {
    CB_TRY(DecodedEntry e, snapshot.entry(i));
    if (!e.reader().getKind().isKeyEvent()) continue;
    found.push_back(i);
    auto applied = registry.apply(e);
    if (!applied.ok()) return Error::corruption("the ledger's key registry does not replay: " + applied.error().message);
  }
  CB_TRY(std::vector<uint64_t> indexed, snapshot.lookup("kind", "keyEvent"));
  if (indexed != found) {
    return Error::corruption("the ledger's index lists " + std::to_string(indexed.size()) + " key events; its entries hold " +
                             std::to_string(found.size()) + ": the index was edited or damaged (rebuild it with `closebook reindex`)");
  }
  return registry;
}

Result<ledger::Draft> plan_key_change(const ledger::Snapshot& snapshot, const KeyChange& change) {
  CB_TRY(KeyRegistry registry, load_key_registry(snapshot));
  if (change.role == KeyRole::LOG) return Error::invalid("the log key is registered by init, not by keys").in_field("--role");
  ledger::Draft draft;
  auto e = draft.entry().getKind().initKeyEvent();
  e.setAction(change.action);
  e.setRole(change.role);
  e.setName(change.key.name);
  e.setPublicKey(kj::arrayPtr(change.key.key.data(), change.key.key.size()));
  const Hash id = change.key.id();
  e.setKeyId(kj::arrayPtr(id.data(), id.size()));
  e.setVerifierKey(change.key.to_string());
  e.setReason(change.reason);
  if (change.action == KeyAction::ROTATE) {
    const RegisteredKey* old = registry.find(change.replaces);
    if (old == nullptr) return Error::not_found("no registered key to rotate");
    auto replaces = e.initReplaces();
    replaces.setIndex(old->registered_at);
    replaces.setHash(kj::arrayPtr(old->registered_hash.data(), old->registered_hash.size()));
  }
  // Check it as the entry it will become: the next index, replayed like every other.
  draft.entry().setIndex(snapshot.size());
  CB_TRY(DecodedEntry as_entry, DecodedEntry::decode(canonical_bytes(draft.reader())));
  auto applied = registry.apply(as_entry);
  if (!applied.ok()) return Error::invalid(applied.error().message);
  draft.entry().setIndex(0);
  return draft;
}

}  // namespace closebook::close
