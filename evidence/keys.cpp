#include "evidence/keys.h"

#include <algorithm>

namespace closebook {
const char* key_role_name(KeyRole role) {
  switch (role) {
    case KeyRole::LOG: return "log";
    case KeyRole::FINANCE: return "finance";
    case KeyRole::OPERATOR: return "operator";
    case KeyRole::WITNESS: return "witness";
  }
  return "?";
}

Result<KeyRole> parse_key_role(std::string_view name) {
  for (KeyRole role : {KeyRole::LOG, KeyRole::FINANCE, KeyRole::OPERATOR, KeyRole::WITNESS}) {
    if (name == key_role_name(role)) return role;
  }
  return Error::invalid("\"" + std::string(name) + "\" is not a key role (log, finance, operator, witness)");
}

Status KeyRegistry::apply(const DecodedEntry& entry) {
  auto r = entry.reader();
  if (!r.getKind().isKeyEvent()) return {};
  auto e = r.getKind().getKeyEvent();
  const uint64_t index = r.getIndex();
  const auto where = [&](const std::string& what) {
    return Error::invalid("key event " + std::to_string(index) + ": " + what);
  };
  const auto pub = e.getPublicKey();
  if (pub.size() != PublicKey().size()) return where("the public key is not 32 bytes");
  VerifierKey key;
  key.name = std::string(e.getName().cStr(), e.getName().size());
  std::copy(pub.begin(), pub.end(), key.key.begin());
  key.hash = key_hash(key.name, key.key);
  const Hash id = key.id();
  if (hash_of(e.getKeyId()) != id) return where("keyId is not SHA-256(name, 0x01, public key)");
  if (e.getVerifierKey() != key.to_string()) return where("verifierKey does not match the name and public key");

  const auto end = [&](const Hash& ended, const std::string& reason) -> Status {
    auto it = keys_.find(ended);
    if (it == keys_.end() || !it->second.active_at(index)) return where("the key is not active");
    it->second.ended_at = index;
    it->second.end_reason = reason;
    return {};
  };
  // The log key is registered by entry 0 and by nothing else.
  if ((e.getRole() == KeyRole::LOG) != (index == 0) && e.getAction() != KeyAction::REVOKE) {
    return where(index == 0 ? "entry 0 must register the log key" : "only entry 0 registers a log key");
  }
  const std::string reason(e.getReason().cStr(), e.getReason().size());
  switch (e.getAction()) {
    case KeyAction::REVOKE:
      return end(id, reason);
    case KeyAction::ROTATE: {
      // The rotated key is named by the KeyEvent that registered it.
      const uint64_t old_index = e.getReplaces().getIndex();
      auto old = std::find_if(keys_.begin(), keys_.end(),
                              [&](const auto& k) { return k.second.registered_at == old_index; });
      if (old == keys_.end() || hash_of(e.getReplaces().getHash()) != old->second.registered_hash) {
        return where("replaces names no registered key");
      }
      if (old->second.role != e.getRole()) return where("a rotation keeps the key's role");
      CB_CHECK(end(old->first, reason.empty() ? "rotated" : reason));
      old->second.replaced_by = id;
      break;
    }
    case KeyAction::REGISTER:
      break;
  }
  if (keys_.count(id) != 0) return where("the key " + key.name + " was registered before");
  for (const auto& [other_id, other] : keys_) {
    if (other.key.name == key.name && other.role == e.getRole() && !other.ended_at) {
      return where("an active " + std::string(key_role_name(other.role)) + " key is already named " + key.name);
    }
  }
  RegisteredKey k;
  k.key = key;
  k.role = e.getRole();
  k.registered_at = index;
  k.registered_hash = entry.hash();
  k.registered_by = hash_of(r.getAuthor());
  keys_.emplace(id, std::move(k));
  order_.push_back(id);
  return {};
}

const RegisteredKey* KeyRegistry::find(const Hash& key_id) const {
  auto it = keys_.find(key_id);
  return it == keys_.end() ? nullptr : &it->second;
}

const RegisteredKey* KeyRegistry::active(std::string_view name, KeyRole role, uint64_t index) const {
  for (const auto& [id, k] : keys_) {
    if (k.key.name == name && k.role == role && k.active_at(index)) return &k;
  }
  return nullptr;
}

std::vector<const RegisteredKey*> KeyRegistry::all() const {
  std::vector<const RegisteredKey*> out;
  for (const Hash& id : order_) out.push_back(&keys_.at(id));
  return out;
}

}  // namespace closebook
