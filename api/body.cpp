#include "api/body.h"

#include <algorithm>
#include <charconv>

#include "evidence/hash.h"

namespace closebook::api {

std::variant<JsonBody, Reply> JsonBody::parse(const Request& request) {
  const std::string type = request.header("content-type").value_or("");
  std::string media = type.substr(0, type.find(';'));
  media.erase(media.find_last_not_of(" \t") + 1);
  std::transform(media.begin(), media.end(), media.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (media != "application/json") {
    return Reply::error(415, "unsupported_media_type",
                        "the body must be application/json" + (type.empty() ? "" : ", not " + type));
  }
  Json json;
  try {
    json = Json::parse(request.body);  // throws with the position and the reason
  } catch (const Json::exception& e) {
    // parse_error, and out_of_range for a number beyond a double (found by fuzz_api_request).
    return Reply::error(400, "malformed_json", std::string("the body is not JSON: ") + e.what());
  }
  if (!json.is_object()) return Reply::error(400, "invalid", "the body must be a JSON object");
  return JsonBody(std::move(json));
}

Result<std::string> JsonBody::string(const std::string& name, bool required, size_t bytes_max) {
  read_.insert(name);
  const auto it = json_.find(name);
  if (it == json_.end() || it->is_null()) {
    if (required) return Error::invalid("is required").in_field(name);
    return std::string();
  }
  if (!it->is_string()) return Error::invalid(std::string("must be a string, not ") + it->type_name()).in_field(name);
  std::string value = it->get<std::string>();
  if (value.size() > bytes_max) return Error::invalid("must be at most " + std::to_string(bytes_max) + " bytes").in_field(name);
  return value;
}

Status JsonBody::finish() const {
  for (const auto& [name, value] : json_.items()) {
    if (!read_.count(name)) return Error::invalid("is not a field of this request").in_field(name);
  }
  return {};
}

Result<QueryArgs> QueryArgs::parse(const Request& request, std::initializer_list<const char*> allowed) {
  QueryArgs out;
  for (const auto& [name, value] : request.query) {
    bool known = false;
    for (const char* a : allowed) known = known || name == a;
    if (!known) return Error::invalid("is not a parameter of this request").in_field(name);
    out.args_.emplace_back(name, value);
  }
  return out;
}

std::optional<std::string> QueryArgs::get(const std::string& name) const {
  for (const auto& [n, v] : args_) {
    if (n == name) return v;
  }
  return std::nullopt;
}

Result<std::string> QueryArgs::required(const std::string& name) const {
  auto value = get(name);
  if (!value || value->empty()) return Error::invalid("is required").in_field(name);
  return *value;
}

Result<std::optional<uint64_t>> QueryArgs::number(const std::string& name) const {
  auto value = get(name);
  if (!value) return std::optional<uint64_t>();
  CB_TRY(uint64_t n, parse_number(*value, name));
  return std::optional<uint64_t>(n);
}

Result<uint64_t> QueryArgs::required_number(const std::string& name) const {
  CB_TRY(std::string text, required(name));
  return parse_number(text, name);
}

Result<uint64_t> parse_number(std::string_view text, const std::string& name) {
  uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    return Error::invalid("must be a whole number, not \"" + std::string(text.substr(0, 40)) + "\"").in_field(name);
  }
  return value;
}

Status paginate(const QueryArgs& q, Json& list, const std::string& key_field, Json& answer) {
  constexpr uint64_t kDefault = 100, kMax = 1000;
  CB_TRY(std::optional<uint64_t> asked, q.number("limit"));
  const uint64_t limit = asked.value_or(kDefault);
  if (limit == 0 || limit > kMax) return Error::invalid("must be 1 to " + std::to_string(kMax)).in_field("limit");
  size_t from = 0;
  if (auto cursor = q.get("cursor")) {
    auto key = from_hex(*cursor);
    if (!key.ok()) return Error::invalid("is not a cursor this list gave").in_field("cursor");
    while (from < list.size() && list[from][key_field] != *key) ++from;
    if (from == list.size()) return Error::invalid("names no item of this list").in_field("cursor");
    ++from;  // after the item it names
  }
  Json page = Json::array();
  for (size_t i = from; i < list.size() && page.size() < limit; ++i) page.push_back(std::move(list[i]));
  const bool more = from + page.size() < list.size();
  const std::string last = more ? page.back()[key_field].get<std::string>() : "";
  answer["next_cursor"] = more ? Json(to_hex(as_bytes(last))) : Json(nullptr);
  list = std::move(page);
  return {};
}

}  // namespace closebook::api
