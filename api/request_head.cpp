// An HTTP/1.1 request head read strictly (request_head.h). Written by hand: Pistache's own
// parser is what this guards against, and the rules are few and exact — RFC 9112 §3 (request
// line), §5 (field lines, no obs-fold), §6.3 (one Content-Length, none with Transfer-Encoding),
// RFC 9110 §5.6.2 (tokens), §7.2 (Host).
#include "api/request_head.h"

#include <algorithm>

#include "match/csv.h"
#include "match/fields.h"

namespace closebook::api {
namespace {

HeadRefused refuse(int status, std::string message) { return HeadRefused{status, std::move(message)}; }

// tchar (RFC 9110 §5.6.2).
bool is_tchar(unsigned char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}
bool is_token(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return is_tchar(static_cast<unsigned char>(c)); });
}
// A field value's bytes: VCHAR, obs-text, SP and HTAB; no other control.
bool is_field_value(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char ch) {
    const auto c = static_cast<unsigned char>(ch);
    return c == '\t' || (c >= 0x20 && c != 0x7f);
  });
}
bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Host = uri-host [ ":" port ] (RFC 9110 §7.2): an IP-literal in brackets or a reg-name /
// IPv4 of unreserved, sub-delims and percent signs, and a port of at most 65535.
bool valid_host(std::string_view host) {
  std::string_view name = host, port;
  if (!host.empty() && host.front() == '[') {
    const size_t close = host.find(']');
    if (close == std::string_view::npos) return false;
    name = host.substr(1, close - 1);
    const std::string_view rest = host.substr(close + 1);
    if (!rest.empty() && rest.front() != ':') return false;
    if (!rest.empty()) port = rest.substr(1);
    if (name.empty() || !std::all_of(name.begin(), name.end(), [](char c) {
          return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' || c == '.';
        })) {
      return false;
    }
  } else {
    const size_t colon = host.rfind(':');
    if (colon != std::string_view::npos) {
      name = host.substr(0, colon);
      port = host.substr(colon + 1);
      if (port.empty()) return false;  // "host:" says there is a port and gives none
    }
    if (name.empty()) return false;
    const std::string_view allowed = "-._~!$&'()*+,;=%";
    if (!std::all_of(name.begin(), name.end(), [&](char c) {
          return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                 allowed.find(c) != std::string_view::npos;
        })) {
      return false;
    }
  }
  if (port.empty()) return true;
  return all_digits(port) && port.size() <= 5 && std::stoul(std::string(port)) <= 65535;
}

// "METHOD SP request-target SP HTTP/1.x" (RFC 9112 §3). The target in origin-form, or in
// absolute-form (which a server must accept, §3.2.2), taken back to origin-form.
std::optional<HeadRefused> read_request_line(std::string_view line, const HeadLimits& limits, RequestHead& head) {
  const size_t first = line.find(' ');
  const size_t last = line.rfind(' ');
  if (first == std::string_view::npos || first == last) return refuse(400, "the request line is not \"METHOD target HTTP/1.1\"");
  const std::string_view method = line.substr(0, first), target = line.substr(first + 1, last - first - 1),
                         version = line.substr(last + 1);
  if (!is_token(method)) return refuse(400, "the request method is not a token");
  if (target.size() > limits.max_target_bytes) {
    return refuse(414, "the request target is longer than " + std::to_string(limits.max_target_bytes) + " bytes");
  }
  if (target.empty() || !std::all_of(target.begin(), target.end(), [](char ch) {
        const auto c = static_cast<unsigned char>(ch);
        return c > 0x20 && c < 0x7f;
      })) {
    return refuse(400, "the request target is empty or holds spaces or control bytes");
  }
  if (version == "HTTP/1.1") {
    head.http10 = false;
  } else if (version == "HTTP/1.0") {
    head.http10 = true;
  } else if (version.size() == 8 && version.substr(0, 5) == "HTTP/" && version[6] == '.' && all_digits(version.substr(5, 1)) &&
             all_digits(version.substr(7, 1))) {
    return refuse(505, "closebookd speaks HTTP/1.1 (and 1.0), not " + std::string(version));
  } else {
    return refuse(400, "the request line does not end with an HTTP version");
  }
  head.method = std::string(method);
  std::string_view origin = target;
  if (origin.front() != '/') {
    const size_t scheme = origin.find("://");
    const std::string_view scheme_name = scheme == std::string_view::npos ? "" : origin.substr(0, scheme);
    if (match::lower(scheme_name) != "http" && match::lower(scheme_name) != "https") {
      return refuse(400, "the request target is neither a path nor an http(s) URL");
    }
    origin.remove_prefix(scheme + 3);
    const size_t path = origin.find_first_of("/?");
    if (!valid_host(origin.substr(0, path))) return refuse(400, "the request target's host is malformed");
    origin = path == std::string_view::npos ? "/" : origin.substr(path);
    head.target = origin.front() == '?' ? "/" + std::string(origin) : std::string(origin);
    return std::nullopt;
  }
  head.target = std::string(origin);
  return std::nullopt;
}

// After the blank line: what the fields say together.
std::optional<HeadRefused> check_fields(RequestHead& head, const HeadLimits& limits) {
  int hosts = 0, lengths = 0;
  bool chunked_or_coded = false, close = false, keep_alive = false;
  for (const auto& [name, value] : head.headers) {
    if (name == "host") {
      ++hosts;
      if (!valid_host(value)) return refuse(400, "the Host header is not a host with an optional port of at most 65535");
    } else if (name == "content-length") {
      if (++lengths > 1) return refuse(400, "the request has more than one Content-Length header");
      if (!all_digits(value) || value.size() > 18) return refuse(400, "Content-Length is not a number of bytes");
      head.content_length = std::stoull(value);
    } else if (name == "transfer-encoding") {
      chunked_or_coded = true;
    } else if (name == "connection") {
      const std::string v = match::lower(value);
      close = close || v.find("close") != std::string::npos;
      keep_alive = keep_alive || v.find("keep-alive") != std::string::npos;
    }
  }
  if (!head.http10 && hosts != 1) return refuse(400, "an HTTP/1.1 request has exactly one Host header");
  if (hosts > 1) return refuse(400, "the request has more than one Host header");
  if (chunked_or_coded && lengths > 0) return refuse(400, "the request has both Transfer-Encoding and Content-Length");
  if (chunked_or_coded) return refuse(411, "closebookd takes a request body with a Content-Length, not a Transfer-Encoding");
  if (head.content_length > limits.max_body_bytes) {
    return refuse(413, "the body is " + std::to_string(head.content_length) + " bytes; at most " +
                           std::to_string(limits.max_body_bytes) + " are accepted");
  }
  head.keep_alive = head.http10 ? keep_alive && !close : !close;
  return std::nullopt;
}

}  // namespace

HeadRead read_request_head(std::string_view received, const HeadLimits& limits) {
  RequestHead head;
  size_t at = 0;
  // A server ignores empty lines before the request line (RFC 9112 §2.2).
  while (received.substr(at, 2) == "\r\n") at += 2;
  bool have_request_line = false;
  while (true) {
    const size_t end = received.find('\n', at);
    if (end == std::string_view::npos) {
      if (received.size() > limits.max_head_bytes) {
        return refuse(431, "the request head is longer than " + std::to_string(limits.max_head_bytes) + " bytes");
      }
      return std::monostate{};
    }
    if (end + 1 > limits.max_head_bytes) {
      return refuse(431, "the request head is longer than " + std::to_string(limits.max_head_bytes) + " bytes");
    }
    if (end == at || received[end - 1] != '\r') return refuse(400, "a line of the request head does not end with CRLF");
    const std::string_view line = received.substr(at, end - 1 - at);
    if (line.find('\r') != std::string_view::npos) return refuse(400, "a line of the request head holds a bare CR");
    at = end + 1;
    if (!have_request_line) {
      if (auto bad = read_request_line(line, limits, head)) return *bad;
      have_request_line = true;
      continue;
    }
    if (line.empty()) break;  // the end of the head
    if (line.front() == ' ' || line.front() == '\t') return refuse(400, "a header line is folded (obs-fold)");
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) return refuse(400, "a header line has no colon");
    const std::string_view name = line.substr(0, colon), value = csv::trim(line.substr(colon + 1));
    if (!is_token(name)) return refuse(400, "a header name is not a token (no space before the colon)");
    if (!is_field_value(value)) return refuse(400, "the " + std::string(name) + " header holds a control byte");
    head.headers.emplace_back(match::lower(name), std::string(value));
  }
  if (auto bad = check_fields(head, limits)) return *bad;
  return std::pair<RequestHead, size_t>(std::move(head), at);
}

std::string framing_head(const RequestHead& head) {
  // Neither the method nor the target: Pistache refuses methods it has no name for (a 405 is
  // the service's to give) and would parse the target again.
  std::string out = std::string(head.content_length > 0 ? "POST" : "GET") + (head.http10 ? " / HTTP/1.0\r\n" : " / HTTP/1.1\r\n");
  if (head.content_length > 0) out += "Content-Length: " + std::to_string(head.content_length) + "\r\n";
  return out + "\r\n";
}

}  // namespace closebook::api
