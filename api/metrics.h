// Prometheus metrics for closebookd: requests by route, method and status, their latency as a
// histogram, and failed authentications. The ledger's gauges are added at scrape time.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <tuple>

namespace closebook::api {

class Metrics {
 public:
  // `route` is the route's pattern (e.g. "/v1/invoices/{id}"), never the raw path, so the
  // series stay few whatever clients send.
  void record(const std::string& route, const std::string& method, int status, double seconds);
  void auth_failed();
  // The text exposition format (version 0.0.4) of the counters and histograms.
  std::string text() const;

 private:
  static constexpr std::array<double, 10> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 2.5};
  struct Histogram {
    std::array<uint64_t, kBuckets.size()> counts{};  // cumulative at scrape time, not here
    uint64_t count = 0;
    double sum = 0;
  };
  mutable std::mutex mutex_;
  std::map<std::tuple<std::string, std::string, int>, uint64_t> requests_;
  std::map<std::string, Histogram> latency_;
  uint64_t auth_failures_ = 0;
};

}  // namespace closebook::api
