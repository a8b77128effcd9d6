#include "api/sessions.h"

#include <sodium.h>

#include <algorithm>
#include <cassert>

#include "api/tokens.h"
#include "evidence/hash.h"

namespace closebook::api {
std::string SessionStore::key_of(const std::string& id) {
  return to_hex(sha256(Bytes(reinterpret_cast<const uint8_t*>(id.data()), id.size())));
}

bool SessionStore::expired(const Session& s, Clock::time_point now) const {
  return now - s.used_at > limits_.idle || now - s.opened_at > limits_.lifetime;
}

SessionStore::Opened SessionStore::open(const std::string& token, Clock::time_point now) {
  Opened opened{random_hex(32), random_hex(32)};
  std::lock_guard lock(mutex_);
  if (sessions_.size() >= limits_.max_sessions) {
    std::erase_if(sessions_, [&](const auto& s) { return expired(s.second, now); });
  }
  if (sessions_.size() >= limits_.max_sessions) {
    auto oldest = std::min_element(sessions_.begin(), sessions_.end(),
                                   [](const auto& a, const auto& b) { return a.second.used_at < b.second.used_at; });
    sessions_.erase(oldest);
  }
  sessions_[key_of(opened.id)] = Session{token, opened.csrf, now, now};
  assert(sessions_.size() <= limits_.max_sessions);
  return opened;
}

std::optional<SessionStore::Session> SessionStore::use(const std::string& id, Clock::time_point now) {
  const std::string key = key_of(id);
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(key);
  if (it == sessions_.end()) return std::nullopt;
  if (expired(it->second, now)) {
    sessions_.erase(it);
    return std::nullopt;
  }
  it->second.used_at = now;
  return it->second;
}

void SessionStore::close(const std::string& id) {
  std::lock_guard lock(mutex_);
  sessions_.erase(key_of(id));
}

void SessionStore::close_token(const std::string& token) {
  std::lock_guard lock(mutex_);
  std::erase_if(sessions_, [&](const auto& s) { return s.second.token == token; });
}

std::optional<std::string> session_cookie_of(const Request& request) {
  const std::optional<std::string> cookies = request.header("cookie");
  return cookies ? cookie_value(*cookies, kSessionCookie) : std::nullopt;
}

std::optional<std::string> cookie_value(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    const size_t end = header.find(';');
    std::string_view pair = header.substr(0, end);
    header = end == std::string_view::npos ? std::string_view() : header.substr(end + 1);
    while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
    const size_t eq = pair.find('=');
    if (eq != std::string_view::npos && pair.substr(0, eq) == name) return std::string(pair.substr(eq + 1));
  }
  return std::nullopt;
}

bool equal_in_constant_time(std::string_view a, std::string_view b) {
  return a.size() == b.size() && sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace closebook::api
