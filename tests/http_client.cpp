#include "tests/http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <stdexcept>

namespace closebook::test {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

}  // namespace

std::string HttpResponse::header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? "" : it->second;
}

std::string request_bytes(const HttpRequest& r, const char* connection) {
  std::string out = r.method + " " + r.target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  if (!r.token.empty()) out += "Authorization: Bearer " + r.token + "\r\n";
  for (const auto& [name, value] : r.headers) out += name + ": " + value + "\r\n";
  if (!r.body.empty() || r.method == "POST" || r.method == "PATCH") {
    if (!r.content_type.empty()) out += "Content-Type: " + r.content_type + "\r\n";
    out += "Content-Length: " + std::to_string(r.body.size()) + "\r\n";
  }
  if (connection != nullptr) out += std::string("Connection: ") + connection + "\r\n";
  out += "\r\n" + r.body;
  return out;
}

Connection::Connection(uint16_t port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw std::runtime_error("socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd_);
    throw std::runtime_error("connect to 127.0.0.1:" + std::to_string(port));
  }
}

Connection::~Connection() {
  if (fd_ >= 0) ::close(fd_);
}

bool Connection::send_all(const std::string& bytes) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

HttpResponse Connection::read_response(std::chrono::milliseconds timeout) {
  HttpResponse out;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  size_t header_end = std::string::npos, body_length = 0;
  bool have_length = false;
  for (;;) {
    if (header_end == std::string::npos) {
      header_end = buffered_.find("\r\n\r\n");
      if (header_end != std::string::npos) {
        const std::string head = buffered_.substr(0, header_end);
        out.status = std::stoi(head.substr(9, 3));
        size_t pos = head.find("\r\n");
        while (pos != std::string::npos && pos < head.size()) {
          const size_t next = head.find("\r\n", pos + 2);
          const std::string line = head.substr(pos + 2, next == std::string::npos ? std::string::npos : next - pos - 2);
          const size_t colon = line.find(':');
          if (colon != std::string::npos) {
            std::string value = line.substr(colon + 1);
            value.erase(0, value.find_first_not_of(' '));
            out.headers[lower(line.substr(0, colon))] = value;
          }
          pos = next;
        }
        if (out.headers.count("content-length")) {
          have_length = true;
          body_length = std::stoul(out.headers["content-length"]);
        }
      }
    }
    if (header_end != std::string::npos && have_length && buffered_.size() >= header_end + 4 + body_length) {
      out.body = buffered_.substr(header_end + 4, body_length);
      buffered_.erase(0, header_end + 4 + body_length);
      return out;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd p{fd_, POLLIN, 0};
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
    char buf[65536];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) break;
    buffered_.append(buf, static_cast<size_t>(n));
  }
  if (header_end != std::string::npos && !have_length) {  // closed-delimited body
    out.body = buffered_.substr(header_end + 4);
    buffered_.clear();
    return out;
  }
  return HttpResponse{};  // no complete response
}

bool Connection::closed_by_peer(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd p{fd_, POLLIN, 0};
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    char buf[4096];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) return true;
    buffered_.append(buf, static_cast<size_t>(n));
  }
}

HttpResponse http(uint16_t port, const HttpRequest& request) {
  Connection c(port);
  if (!c.send_all(request_bytes(request, "close"))) return {};
  return c.read_response();
}

}  // namespace closebook::test
