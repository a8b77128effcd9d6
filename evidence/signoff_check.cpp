#include "evidence/signoff_check.h"

#include <algorithm>
#include <sstream>

#include "evidence/checkpoint.h"

namespace closebook {
Result<SignOffCheck> check_signoff_entry(const DecodedEntry& entry, const KeyRegistry& registry, const std::string& origin) {
  const uint64_t index = entry.reader().getIndex();
  const auto bad = [&](const std::string& what) {
    return Error::corruption("sign-off " + std::to_string(index) + ": " + what).at_entry(index);
  };
  if (!entry.reader().getKind().isSignOff()) return bad("not a SignOff entry");
  auto so = entry.reader().getKind().getSignOff();
  const std::string text(so.getStatement().cStr(), so.getStatement().size());
  auto statement = Checkpoint::parse(text);
  if (!statement.ok()) return bad("the statement is not a checkpoint: " + statement.error().message);
  if (statement->origin != origin) return bad("the statement is for another log");
  const auto& ext = statement->extensions;
  const bool v1 = !ext.empty() && ext[0] == "closebook-signoff/v1", v2 = !ext.empty() && ext[0] == "closebook-signoff/v2";
  if (!(v1 && ext.size() >= 2) && !(v2 && ext.size() == 3)) {
    return bad("the statement is neither closebook-signoff/v1 nor closebook-signoff/v2 (period and summary lines)");
  }
  SignOffCheck out;
  const bool names_summary = so.getSummary().getHash().size() != 0;
  if (v1 && names_summary) return bad("a closebook-signoff/v1 statement has no summary entry, and the entry names one");
  if (v2) {
    if (!names_summary || so.getOutstanding().size() != 0 || so.getOverrideReason().size() != 0) {
      return bad("a closebook-signoff/v2 sign-off names its summary entry and holds no outstanding totals or override of its own");
    }
    auto digest = ext[2].starts_with("summary ") ? from_base64(ext[2].substr(8)) : Result<std::string>(Error::invalid(""));
    if (!digest.ok() || digest->size() != 32 || to_base64(as_bytes(*digest)) != ext[2].substr(8)) {
      return bad("the statement's summary line is not \"summary <base64 of 32 bytes>\"");
    }
    Hash h{};
    std::copy(digest->begin(), digest->end(), h.begin());
    out.summary_digest = h;
  }
  out.period = std::string(so.getPeriod().cStr(), so.getPeriod().size());
  if (ext[1] != "period " + out.period || entry.reader().getEffective() != so.getPeriod()) {
    return bad("the statement, the entry and its effective date do not name one period");
  }
  if (statement->size == 0 || statement->size > index || statement->size != so.getTreeSize()) {
    return bad("the statement's tree size is not the entry's, or not a tree before it");
  }
  if (statement->root != hash_of(so.getRootHash())) return bad("the statement's root is not the entry's");
  out.tree_size = statement->size;
  out.root = statement->root;
  bool log_signed = false;
  for (auto sig : so.getSignatures()) {
    const std::string name(sig.getKeyName().cStr(), sig.getKeyName().size());
    const RegisteredKey* key = registry.find(hash_of(sig.getKeyId()));
    const bool valid_key = key != nullptr && key->key.name == name && key->active_at(index) &&
                           key->registered_at == sig.getKeyEvent().getIndex() &&
                           key->registered_hash == hash_of(sig.getKeyEvent().getHash());
    if (!valid_key) return bad("signed by \"" + name + "\", not a key registered and active at it");
    Signature64 bytes{};
    if (sig.getSignature().size() != bytes.size()) return bad("a signature is not 64 bytes");
    std::copy(sig.getSignature().begin(), sig.getSignature().end(), bytes.begin());
    if (!key->key.verify(as_bytes(text), bytes)) return bad("the signature by \"" + name + "\" does not verify");
    if (key->role == KeyRole::LOG) log_signed = true;
    if (key->role == KeyRole::FINANCE) out.finance.insert(name);
  }
  if (!log_signed) return bad("the log did not cosign the statement");
  const uint32_t required = std::max<uint32_t>(1, so.getRequiredSignatures());
  if (out.finance.size() < required) {
    return bad("it needs " + std::to_string(required) + " finance signatures and has " + std::to_string(out.finance.size()));
  }
  return out;
}

}  // namespace closebook
