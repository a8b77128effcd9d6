// The head of an HTTP/1.1 request — request line and header fields — read strictly (RFC 9112
// §2–§6, RFC 9110 §5) before the HTTP library sees any of it. Pistache 0.0.5 parses the
// headers it knows into typed objects and answers what it cannot parse itself, with a plain
// 500 (a malformed Host port, Date, Cache-Control, a trailing comma in Accept), sizes a body
// buffer by Content-Length before checking it (30000000000 is a std::bad_alloc), accepts two
// Content-Length headers, and waits for its timeout on a header line without a colon. So
// closebookd reads each head here first, refuses a bad one with a JSON 4xx naming the
// problem, and gives Pistache only the HTTP version and the validated Content-Length
// (docs/api.md §6). No I/O: the server feeds it what the connection has received so far.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace closebook::api {

struct RequestHead {
  std::string method;
  std::string target;   // origin-form: the path, then "?" and the query if any
  bool http10 = false;  // HTTP/1.0 (else HTTP/1.1)
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-case, values trimmed, in order
  uint64_t content_length = 0;
  bool keep_alive = true;  // HTTP/1.1 without "Connection: close", or HTTP/1.0 with "keep-alive"
};

struct HeadRefused {
  int status = 400;       // 400, 411, 413, 414, 431 or 505
  std::string message;    // what was wrong, for the client
};

struct HeadLimits {
  size_t max_head_bytes = 16 * 1024;   // request line and fields, with their line ends
  size_t max_target_bytes = 8 * 1024;  // the request-target
  uint64_t max_body_bytes = 1 << 20;   // Content-Length
};

// The head at the start of `received`, and how many bytes it took (through its blank line);
// std::monostate while it is incomplete and nothing in it is refused yet; or why it is
// refused. A complete line is judged as soon as it has arrived, so a header line without a
// colon is refused without waiting for the rest.
using HeadRead = std::variant<std::monostate, std::pair<RequestHead, size_t>, HeadRefused>;
HeadRead read_request_head(std::string_view received, const HeadLimits& limits);

// What Pistache is given of a head it frames the body of and answers on: a request line of
// the same HTTP version, and the Content-Length; nothing else a client controls.
std::string framing_head(const RequestHead& head);

}  // namespace closebook::api
