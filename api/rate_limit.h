// A per-key token bucket: `per_minute` requests at once, then one every 60/per_minute seconds.
// closebookd spends one per write (POST, PUT, PATCH, DELETE) by each API token, so a runaway GL
// job or a partner script cannot flood the ledger with entries, which can never be removed.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace closebook::api {

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  explicit RateLimiter(unsigned per_minute) : per_minute_(per_minute) {}

  // Spends one request of `key`'s budget: nullopt if it may go on, else the whole seconds
  // until it may (for Retry-After), at least 1.
  std::optional<unsigned> take(const std::string& key, Clock::time_point now = Clock::now());

 private:
  struct Bucket {
    double tokens = 0;
    Clock::time_point refilled_at;
  };
  const unsigned per_minute_;
  std::mutex mutex_;
  std::map<std::string, Bucket> buckets_;  // one per token id: bounded by the token store
};

}  // namespace closebook::api
