// A small HTTP/1.1 client over a plain socket, for the API tests: they need byte-level control
// (partial headers, oversized bodies, keep-alive, raw exchanges) that a library client hides.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace closebook::test {

struct HttpResponse {
  int status = 0;                             // 0: no response (connection closed or timed out)
  std::map<std::string, std::string> headers;  // names lower-case
  std::string body;
  std::string header(const std::string& lower_name) const;
};

struct HttpRequest {
  std::string method = "GET";
  std::string target;  // path and query, as sent
  std::string token;   // sent as "Authorization: Bearer <token>" when not empty
  std::string body;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
};

// One request on a new connection (Connection: close).
HttpResponse http(uint16_t port, const HttpRequest& request);

// A connection for raw exchanges: keep-alive, partial requests, timeouts.
class Connection {
 public:
  explicit Connection(uint16_t port);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  bool send_all(const std::string& bytes);
  // Reads one response (by Content-Length), waiting at most `timeout`.
  HttpResponse read_response(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // True once the server has closed the connection (read returns 0 within `timeout`).
  bool closed_by_peer(std::chrono::milliseconds timeout);

 private:
  int fd_ = -1;
  std::string buffered_;
};

// The request's bytes, with a Connection header of `connection` ("close", "keep-alive") or
// none when it is nullptr.
std::string request_bytes(const HttpRequest& request, const char* connection);

}  // namespace closebook::test
