// The request head closebookd reads before Pistache (api/request_head.h), on arbitrary bytes:
// every input is read, refused with a 4xx/5xx status of the documented set, or waits for more;
// a head read is framed for Pistache without anything the client sent but its version and
// length, and reading any prefix of the bytes never says more than reading all of them.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "api/request_head.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace closebook::api;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  HeadLimits limits;
  limits.max_head_bytes = 4096;
  const HeadRead r = read_request_head(input, limits);
  if (const auto* why = std::get_if<HeadRefused>(&r)) {
    const int s = why->status;
    if (!(s == 400 || s == 411 || s == 413 || s == 414 || s == 431 || s == 505) || why->message.empty()) std::abort();
    return 0;
  }
  if (const auto* done = std::get_if<std::pair<RequestHead, size_t>>(&r)) {
    const RequestHead& head = done->first;
    if (done->second > input.size() || head.content_length > limits.max_body_bytes || head.target.empty() ||
        head.target.front() != '/') {
      std::abort();
    }
    const std::string framed = framing_head(head);  // a fixed request line and the length, nothing of the client's else
    const bool fixed_line = framed.rfind("GET / HTTP/1.", 0) == 0 || framed.rfind("POST / HTTP/1.", 0) == 0;
    if (!fixed_line || framed.size() > 64) std::abort();
    // The same head with what follows it cut off is read the same way.
    const HeadRead again = read_request_head(input.substr(0, done->second), limits);
    const auto* same = std::get_if<std::pair<RequestHead, size_t>>(&again);
    if (same == nullptr || same->second != done->second || same->first.target != head.target) std::abort();
  }
  return 0;
}
