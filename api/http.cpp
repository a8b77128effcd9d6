#include "api/http.h"

namespace closebook::api {

std::optional<std::string> Request::header(std::string_view lower_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lower_name) return value;
  }
  return std::nullopt;
}

Reply Reply::json(int status, const Json& body) {
  Reply r;
  r.status = status;
  r.body = body.dump(2) + "\n";
  return r;
}

Reply Reply::text(int status, std::string body, std::string content_type) {
  Reply r;
  r.status = status;
  r.content_type = std::move(content_type);
  r.body = std::move(body);
  return r;
}

Reply Reply::error(int status, std::string_view code, std::string_view message) {
  // The message may quote client input: dump() escapes it, and invalid UTF-8 is replaced.
  Json body{{"error", code}, {"message", message}};
  Reply r;
  r.status = status;
  r.body = body.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
  return r;
}

namespace {

std::pair<int, const char*> status_of(Code code) {
  switch (code) {
    case Code::kInvalidArgument: return {400, "invalid"};
    case Code::kNotFound: return {404, "not_found"};
    case Code::kConflict: return {409, "conflict"};
    case Code::kPermission: return {403, "forbidden"};
    case Code::kBusy: return {503, "unavailable"};
    case Code::kFull: return {507, "storage_full"};
    case Code::kCorruption: return {500, "corruption"};
    case Code::kIOError: return {503, "unavailable"};
  }
  return {500, "internal"};
}

}  // namespace

Reply Reply::from(const Error& error) {
  const auto [status, code] = status_of(error.code);
  Json body{{"error", code}, {"message", error.to_string()}};
  if (!error.field.empty()) body["field"] = error.field;
  Reply r;
  r.status = status;
  r.body = body.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
  return r;
}

std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  const auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size()) return std::nullopt;
      const int hi = hex(text[i + 1]), lo = hex(text[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      c = ' ';
    }
    if (c == '\0') return std::nullopt;
    out.push_back(c);
  }
  return out;
}

std::optional<std::vector<std::pair<std::string, std::string>>> parse_query(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> out;
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view part = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (part.empty()) continue;
    const size_t eq = part.find('=');
    auto name = percent_decode(part.substr(0, eq), true);
    auto value = percent_decode(eq == std::string_view::npos ? std::string_view() : part.substr(eq + 1), true);
    if (!name || !value) return std::nullopt;
    out.emplace_back(std::move(*name), std::move(*value));
  }
  return out;
}

}  // namespace closebook::api
