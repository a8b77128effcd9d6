// Strict reading of request bodies and query strings: a JSON object whose fields are named and
// typed as the route expects, nothing unknown — so a typo in a field name is
// a 400 naming it, never a silently ignored option. (Pistache keeps one value per query name.)
#pragma once

#include <initializer_list>
#include <optional>
#include <set>
#include <string>
#include <variant>

#include "api/http.h"

namespace closebook::api {

inline constexpr size_t kFieldBytesMax = 64 * 1024;

class JsonBody {
 public:
  // Requires Content-Type application/json (415 otherwise) and an object (400 otherwise).
  static std::variant<JsonBody, Reply> parse(const Request& request);

  // Invalid, naming the field, if it is missing (when required), not a string, or too long.
  Result<std::string> string(const std::string& name, bool required, size_t bytes_max = kFieldBytesMax);
  // Invalid unless every field of the body was read: names the first unknown one.
  Status finish() const;

 private:
  explicit JsonBody(Json json) : json_(std::move(json)) {}
  Json json_;
  std::set<std::string> read_;
};

// In a handler: the request's body as the JsonBody `var`, or return the Reply that refuses it.
#define API_BODY(var, request)                              \
  auto var##_parsed = JsonBody::parse(request);             \
  if (auto* refused = std::get_if<Reply>(&var##_parsed)) return std::move(*refused); \
  JsonBody& var = std::get<JsonBody>(var##_parsed)

class QueryArgs {
 public:
  // Invalid, naming the parameter, for one not in `allowed`.
  static Result<QueryArgs> parse(const Request& request, std::initializer_list<const char*> allowed);
  std::optional<std::string> get(const std::string& name) const;
  Result<std::string> required(const std::string& name) const;
  // A whole number (no sign, no spaces) or nullopt when absent.
  Result<std::optional<uint64_t>> number(const std::string& name) const;
  Result<uint64_t> required_number(const std::string& name) const;

 private:
  std::vector<std::pair<std::string, std::string>> args_;
};

// One page of a list answer (docs/api.md §3): `list` keeps at most `limit` items (default 100,
// at most 1000) after the item the opaque `cursor` names, and `answer["next_cursor"]` names the
// page's last item when more follow (else null). Each item's `key_field` is unique in the list,
// and the next page starts after that item in the list as it is then (items added since sort
// where they belong). A cursor naming no item of the list is invalid.
Status paginate(const QueryArgs& q, Json& list, const std::string& key_field, Json& answer);

// A path or query segment as a whole number; invalid (naming it) otherwise.
Result<uint64_t> parse_number(std::string_view text, const std::string& name);

}  // namespace closebook::api
