// closebookd's HTTP server: Pistache 0.0.5 carrying api::Service. It owns the Pistache
// specifics — request limits and timeouts, the access log, and a graceful stop that lets
// in-flight requests finish (see docs/api.md).
#pragma once

#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <memory>
#include <string>

#include "api/service.h"

namespace closebook::api {

inline constexpr size_t kHeaderBytesAllowance = 64 * 1024;

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;  // 0: any free port (see Server::port)
  int threads = 2;
  // Pistache's own buffer for a whole request (headers and body): requests beyond it get
  // Pistache's plain-text 413. Set it above ServiceOptions::max_body_bytes, so a body over
  // that limit but within this one gets the JSON 413 that names the limit.
  size_t max_request_bytes = (size_t{1} << 20) + kHeaderBytesAllowance;
  std::chrono::seconds header_timeout{10};
  std::chrono::seconds body_timeout{30};
  std::chrono::seconds drain_timeout{30};  // how long stop() waits for in-flight requests
  std::ostream* access_log = nullptr;      // one JSON object per line; nullptr: none
};

class Server {
 public:
  // Binds and starts serving on background threads.
  static Result<std::unique_ptr<Server>> start(std::shared_ptr<RequestHandler> service, const ServerOptions& options);
  ~Server();
  uint16_t port() const;
  // Refuses new requests (503), waits up to drain_timeout for those in flight, then stops.
  void stop();

 private:
  struct Impl;
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace closebook::api
