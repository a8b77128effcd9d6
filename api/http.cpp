#include "api/http.h"

#include "match/csv.h"
#include "match/fields.h"

namespace closebook::api {

std::optional<std::string> Request::header(std::string_view lower_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lower_name) return value;
  }
  return std::nullopt;
}

bool Request::from_own_origin() const {
  const std::optional<std::string> origin = header("origin");
  if (!origin) return true;
  const std::string host = header("host").value_or("");
  return *origin == "http://" + host || *origin == "https://" + host;
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

namespace {

// qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ), in thousandths.
std::optional<int> qvalue(std::string_view q) {
  if (q.empty() || (q[0] != '0' && q[0] != '1') || q.size() > 5 || (q.size() > 1 && q[1] != '.')) return std::nullopt;
  int value = (q[0] - '0') * 1000, scale = 100;
  for (size_t i = 2; i < q.size(); ++i, scale /= 10) {
    if (q[i] < '0' || q[i] > '9') return std::nullopt;
    value += (q[i] - '0') * scale;
  }
  return value > 1000 ? std::nullopt : std::optional<int>(value);
}

}  // namespace

std::optional<int> accept_quality(std::string_view accept, std::string_view media_type) {
  if (csv::trim(accept).empty()) return 1000;  // no preference stated
  const std::string wanted = match::lower(media_type.substr(0, media_type.find(';')));
  const std::string_view wanted_view = csv::trim(wanted);
  const size_t slash = wanted_view.find('/');
  const std::string_view type = wanted_view.substr(0, slash);
  int best_specificity = -1, quality = 0;
  size_t at = 0;
  while (at <= accept.size()) {
    const size_t comma = std::min(accept.find(',', at), accept.size());
    const std::string_view element = csv::trim(accept.substr(at, comma - at));
    at = comma + 1;
    if (element.empty()) continue;  // "#" lists allow empty elements (RFC 9110 §5.6.1)
    const size_t semi = element.find(';');
    const std::string range = match::lower(csv::trim(element.substr(0, semi)));
    const size_t range_slash = range.find('/');
    if (range_slash == std::string::npos || range_slash == 0 || range_slash + 1 == range.size()) return std::nullopt;
    int q = 1000;
    for (size_t p = semi; p != std::string_view::npos;) {
      const size_t next = element.find(';', p + 1);
      const std::string_view param = csv::trim(element.substr(p + 1, next == std::string_view::npos ? std::string_view::npos : next - p - 1));
      if (param.size() >= 2 && (param[0] == 'q' || param[0] == 'Q') && param[1] == '=') {
        auto parsed = qvalue(param.substr(2));
        if (!parsed) return std::nullopt;
        q = *parsed;
      }
      p = next;
    }
    const std::string_view range_type = std::string_view(range).substr(0, range_slash), range_sub = std::string_view(range).substr(range_slash + 1);
    int specificity = -1;
    if (range == wanted_view) specificity = 2;
    else if (range_sub == "*" && range_type == type) specificity = 1;
    else if (range == "*/*") specificity = 0;
    if (specificity > best_specificity) {
      best_specificity = specificity;
      quality = q;
    }
  }
  return quality;
}

}  // namespace closebook::api
