#include <algorithm>
#include <nlohmann/json.hpp>

#include "evidence/checkpoint.h"
#include "evidence/entry.h"
#include "evidence/merkle.h"
#include "evidence/policy.h"
#include "verify/verify.h"

namespace closebook::verify {
namespace {

using Json = nlohmann::json;

Result<Json> parse_json(std::string_view text, std::initializer_list<const char*> fields) {
  Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return Error::invalid("proof is not a JSON object");
  for (auto it = j.begin(); it != j.end(); ++it) {
    bool known = false;
    for (const char* f : fields) known = known || it.key() == f;
    if (!known) return Error::invalid("proof has an unknown field \"" + it.key() + "\"");
  }
  for (const char* f : fields) {
    if (!j.contains(f)) return Error::invalid(std::string("proof has no field \"") + f + "\"");
  }
  return j;
}

Result<uint64_t> json_u64(const Json& j, const char* field) {
  if (!j[field].is_number_unsigned()) {
    return Error::invalid(std::string("proof field \"") + field + "\" is not a whole number");
  }
  return j[field].get<uint64_t>();
}

Result<std::vector<Hash>> json_hashes(const Json& j) {
  if (!j["hashes"].is_array() || j["hashes"].size() > 128) {
    return Error::invalid("proof field \"hashes\" is not an array of at most 128 hashes");
  }
  std::vector<Hash> out;
  for (const Json& h : j["hashes"]) {
    if (!h.is_string()) return Error::invalid("proof hash is not a string");
    CB_TRY(Hash hash, hash_from_hex(h.get<std::string>()));
    out.push_back(hash);
  }
  return out;
}

}  // namespace

Result<CheckpointReport> check_checkpoint(std::string_view signed_note, const VerifierKey& key) {
  CB_TRY(VerifiedCheckpoint v, open_checkpoint(signed_note, key));
  return CheckpointReport{v.checkpoint.origin, v.checkpoint.size, v.checkpoint.root};
}

Status check_witnessed(std::string_view signed_note, const VerifierKey& key, std::string_view policy_text, uint64_t now,
                       std::optional<uint64_t> max_age_seconds) {
  CB_TRY(VerifiedCheckpoint v, open_checkpoint(signed_note, key));
  CB_TRY(WitnessPolicy policy, WitnessPolicy::parse(policy_text));
  const bool listed = std::any_of(policy.logs().begin(), policy.logs().end(),
                                  [&](const VerifierKey& l) { return l.to_string() == key.to_string(); });
  if (!policy.logs().empty() && !listed) return Error::invalid("the policy does not list the log key given with --key");
  for (const PolicyWitness& w : policy.witnesses()) {
    // The log cannot witness itself: its key holder could cosign a fork.
    if (w.key.key == key.key) return Error::invalid("the policy's witness " + w.name + " has the log's own key");
  }
  if (max_age_seconds && !policy.requires_cosignatures()) {
    return Error::invalid("--max-age needs a policy whose quorum is witnesses: only their cosignatures carry a time");
  }
  return policy.check(v.note, now, max_age_seconds);
}

Result<CheckpointReport> check_inclusion(std::string_view signed_note, std::string_view proof_json,
                                         std::string_view entry, const VerifierKey& key) {
  CB_TRY(CheckpointReport cp, check_checkpoint(signed_note, key));
  CB_TRY(Json j, parse_json(proof_json, {"index", "size", "leaf_hash", "hashes"}));
  CB_TRY(uint64_t index, json_u64(j, "index"));
  CB_TRY(uint64_t size, json_u64(j, "size"));
  CB_TRY(std::vector<Hash> hashes, json_hashes(j));
  if (!j["leaf_hash"].is_string()) return Error::invalid("proof field \"leaf_hash\" is not a string");
  CB_TRY(Hash claimed_leaf, hash_from_hex(j["leaf_hash"].get<std::string>()));
  if (size != cp.size) {
    return Error::corruption("proof is for tree size " + std::to_string(size) +
                             " but the checkpoint is for " + std::to_string(cp.size));
  }
  // The entry must be a canonical entry at the proven position; its hash is recomputed from
  // its bytes: the proof's own claim is never trusted.
  CB_TRY(DecodedEntry decoded, DecodedEntry::decode(entry));
  if (decoded.reader().getIndex() != index) {
    return Error::corruption("the entry says it is index " + std::to_string(decoded.reader().getIndex()) +
                             " but the proof is for index " + std::to_string(index));
  }
  const Hash leaf = decoded.hash();
  if (leaf != claimed_leaf) return Error::corruption("the entry's hash is not the proof's leaf_hash");
  CB_CHECK(verify_inclusion(leaf, index, size, hashes, cp.root));
  return cp;
}

Result<CheckpointReport> check_consistency(std::string_view old_note, std::string_view new_note,
                                           std::string_view proof_json, const VerifierKey& key) {
  CB_TRY(CheckpointReport old_cp, check_checkpoint(old_note, key));
  CB_TRY(CheckpointReport new_cp, check_checkpoint(new_note, key));
  CB_TRY(Json j, parse_json(proof_json, {"old_size", "size", "hashes"}));
  CB_TRY(uint64_t old_size, json_u64(j, "old_size"));
  CB_TRY(uint64_t size, json_u64(j, "size"));
  CB_TRY(std::vector<Hash> hashes, json_hashes(j));
  if (old_size != old_cp.size || size != new_cp.size) {
    return Error::corruption("proof sizes " + std::to_string(old_size) + " -> " +
                             std::to_string(size) + " do not match the checkpoints' " +
                             std::to_string(old_cp.size) + " -> " + std::to_string(new_cp.size));
  }
  CB_CHECK(verify_consistency(old_size, size, old_cp.root, new_cp.root, hashes));
  return new_cp;
}

}  // namespace closebook::verify
