#include "close/keys.h"

namespace closebook::close {

// Decided from the key events the proven index lists (Snapshot::lookup refuses an index that
// disagrees with the subject map the log signed), so a revocation deleted from the index by an
// insider without the log key is refused, never read as an active key (docs/threat-model.md §3.1).
Result<KeyRegistry> load_key_registry(const ledger::Snapshot& snapshot) {
  KeyRegistry registry;
  CB_TRY(const std::vector<uint64_t> events, snapshot.lookup("kind", "keyEvent"));
  for (uint64_t i : events) {
    CB_TRY(DecodedEntry e, snapshot.entry(i));
    if (!e.reader().getKind().isKeyEvent()) {
      return Error::corruption("the index files entry " + std::to_string(i) + " as a key event; it is not one");
    }
    auto applied = registry.apply(e);
    if (!applied.ok()) return Error::corruption("the ledger's key registry does not replay: " + applied.error().message);
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
