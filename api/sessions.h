// Browser sessions for the portal (docs/portal.md §2): a page signs in once with an API token and
// then holds only an opaque session cookie (HttpOnly, SameSite=Strict), so no script of the page
// can read a credential. The store is memory only: a restart signs every browser out, which is
// what an operator restarting closebookd expects, and nothing secret is written to disk.
//
// A session names the token it was opened with, and every request re-authenticates that token
// against the token store, so `closebook tokens revoke` ends its sessions at the next request.
// Writes made with a session need its CSRF token in `X-CSRF-Token` as well (api/service.cpp).
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "api/http.h"

namespace closebook::api {

inline constexpr const char* kSessionCookie = "closebook_session";

class SessionStore {
 public:
  using Clock = std::chrono::steady_clock;
  struct Limits {
    std::chrono::seconds idle{std::chrono::hours(1)};       // signed out after an hour unused
    std::chrono::seconds lifetime{std::chrono::hours(12)};  // and after a working day in any case
    size_t max_sessions = 10'000;                           // the least recently used goes first
  };
  struct Opened {
    std::string id;    // the cookie's value: 32 random bytes, hex; the store keeps only its hash
    std::string csrf;  // 32 random bytes, hex: the page sends it back on every write
  };
  struct Session {
    std::string token;  // the bearer token it was opened with
    std::string csrf;
    Clock::time_point opened_at, used_at;
  };

  SessionStore() : SessionStore(Limits{}) {}
  explicit SessionStore(Limits limits) : limits_(limits) {}

  Opened open(const std::string& token, Clock::time_point now = Clock::now());
  // The live session of a cookie value, touched; nullopt if unknown, idle too long or too old.
  std::optional<Session> use(const std::string& id, Clock::time_point now = Clock::now());
  void close(const std::string& id);
  // Every session opened with `token`'s id, e.g. when the token proves revoked.
  void close_token(const std::string& token);

 private:
  static std::string key_of(const std::string& id);  // SHA-256 of the cookie value, hex
  bool expired(const Session& s, Clock::time_point now) const;

  const Limits limits_;
  std::mutex mutex_;
  std::map<std::string, Session> sessions_;  // key_of(id) -> session
};

// The session cookie's value in the request's Cookie header, or nullopt.
std::optional<std::string> session_cookie_of(const Request& request);

// The value of cookie `name` in a Cookie header (RFC 6265 §5.4), or nullopt.
std::optional<std::string> cookie_value(std::string_view header, std::string_view name);

// Whether two strings are equal, in time independent of where they differ.
bool equal_in_constant_time(std::string_view a, std::string_view b);

}  // namespace closebook::api
