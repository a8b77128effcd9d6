#include "api/metrics.h"

#include <fmt/format.h>

namespace closebook::api {

void Metrics::record(const std::string& route, const std::string& method, int status, double seconds) {
  std::lock_guard lock(mutex_);
  ++requests_[{route, method, status}];
  Histogram& h = latency_[route];
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) {
      ++h.counts[i];
      break;
    }
  }
  ++h.count;
  h.sum += seconds;
}

void Metrics::auth_failed() {
  std::lock_guard lock(mutex_);
  ++auth_failures_;
}

std::string Metrics::text() const {
  std::lock_guard lock(mutex_);
  std::string out;
  out += "# HELP closebook_http_requests_total HTTP requests by route, method and status.\n";
  out += "# TYPE closebook_http_requests_total counter\n";
  for (const auto& [key, n] : requests_) {
    const auto& [route, method, status] = key;
    out += fmt::format("closebook_http_requests_total{{route=\"{}\",method=\"{}\",status=\"{}\"}} {}\n", route, method,
                       status, n);
  }
  out += "# HELP closebook_http_request_duration_seconds Time to answer a request, by route.\n";
  out += "# TYPE closebook_http_request_duration_seconds histogram\n";
  for (const auto& [route, h] : latency_) {
    uint64_t cumulative = 0;
    for (size_t i = 0; i < kBuckets.size(); ++i) {
      cumulative += h.counts[i];
      out += fmt::format("closebook_http_request_duration_seconds_bucket{{route=\"{}\",le=\"{}\"}} {}\n", route,
                         kBuckets[i], cumulative);
    }
    out += fmt::format("closebook_http_request_duration_seconds_bucket{{route=\"{}\",le=\"+Inf\"}} {}\n", route, h.count);
    out += fmt::format("closebook_http_request_duration_seconds_sum{{route=\"{}\"}} {:.6f}\n", route, h.sum);
    out += fmt::format("closebook_http_request_duration_seconds_count{{route=\"{}\"}} {}\n", route, h.count);
  }
  out += "# HELP closebook_auth_failures_total Requests refused for a missing or bad token.\n";
  out += "# TYPE closebook_auth_failures_total counter\n";
  out += fmt::format("closebook_auth_failures_total {}\n", auth_failures_);
  return out;
}

}  // namespace closebook::api
