#include "api/rate_limit.h"

#include <algorithm>
#include <cassert>
#include <cmath>

namespace closebook::api {

std::optional<unsigned> RateLimiter::take(const std::string& key, Clock::time_point now) {
  assert(per_minute_ > 0);
  const double capacity = per_minute_;
  const double per_second = capacity / 60.0;
  std::lock_guard lock(mutex_);
  auto [it, fresh] = buckets_.try_emplace(key, Bucket{capacity, now});
  Bucket& b = it->second;
  if (!fresh) {
    const double elapsed = std::chrono::duration<double>(now - b.refilled_at).count();
    b.tokens = std::min(capacity, b.tokens + std::max(0.0, elapsed) * per_second);
    b.refilled_at = now;
  }
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return std::nullopt;
  }
  return static_cast<unsigned>(std::max(1.0, std::ceil((1.0 - b.tokens) / per_second)));
}

}  // namespace closebook::api
