// The JSON fields of a bundle as closebook-verify reads them (docs/evidence.md R1): every object
// has exactly its fields, and hashes are canonical lower-case hex.
#pragma once

#include <initializer_list>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "evidence/hash.h"
#include "evidence/result.h"

namespace closebook::verify {

inline Error failed(const std::string& what) { return Error::corruption(what); }

inline Result<std::vector<Hash>> hashes(const nlohmann::ordered_json& list, const std::string& what) {
  if (!list.is_array()) return failed("R1: " + what + " is not a list of hashes");
  std::vector<Hash> out;
  for (const auto& h : list) {
    if (!h.is_string()) return failed("R1: " + what + " holds a non-string");
    auto parsed = hash_from_hex(h.get<std::string>());
    if (!parsed.ok()) return failed("R1: " + what + ": " + parsed.error().message);
    if (to_hex(*parsed) != h.get<std::string>()) return failed("R1: " + what + ": a hash is not lower-case hex");
    out.push_back(*parsed);
  }
  return out;
}

inline Status only_keys(const nlohmann::ordered_json& obj, std::initializer_list<const char*> keys, const std::string& what) {
  if (!obj.is_object()) return failed("R1: " + what + " is not an object");
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    bool known = false;
    for (const char* k : keys) known = known || it.key() == k;
    if (!known) return failed("R1: " + what + " has an unknown field \"" + it.key() + "\"");
  }
  for (const char* k : keys) {
    if (!obj.contains(k)) return failed("R1: " + what + " has no \"" + k + "\"");
  }
  return {};
}

}  // namespace closebook::verify
