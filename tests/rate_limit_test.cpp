#include "api/rate_limit.h"

#include <gtest/gtest.h>

namespace closebook::api {
namespace {

using namespace std::chrono_literals;

// The budget: a burst of per_minute, then one every 60/per_minute seconds; each key its own.
TEST(RateLimiter, ABurstThenOneEveryIntervalPerKey) {
  RateLimiter limiter(6);  // one every 10 s
  const auto t0 = RateLimiter::Clock::time_point{} + 1h;
  for (int i = 0; i < 6; ++i) EXPECT_EQ(limiter.take("a", t0), std::nullopt) << i;
  EXPECT_EQ(limiter.take("a", t0), 10u) << "Retry-After: the next one is 10 s away";
  EXPECT_EQ(limiter.take("b", t0), std::nullopt) << "another key has its own budget";
  EXPECT_EQ(limiter.take("a", t0 + 4s), 6u);
  EXPECT_EQ(limiter.take("a", t0 + 10s), std::nullopt) << "refilled";
  EXPECT_EQ(limiter.take("a", t0 + 10s), 10u);
  // Idle for an hour: the budget is full again, never more than the burst.
  for (int i = 0; i < 6; ++i) EXPECT_EQ(limiter.take("a", t0 + 1h), std::nullopt) << i;
  EXPECT_TRUE(limiter.take("a", t0 + 1h).has_value());
  // A clock read out of order (two threads) never adds tokens.
  EXPECT_TRUE(limiter.take("a", t0).has_value());
}

}  // namespace
}  // namespace closebook::api
