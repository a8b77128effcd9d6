// A witness over HTTP (C2SP tlog-witness): POST /add-checkpoint answered by witness::Witness,
// GET /healthz. Served by api::Server like closebookd, so it has the same request limits,
// timeouts and access log; `closebook witness serve` runs it.
#pragma once

#include <memory>

#include "api/http.h"
#include "api/metrics.h"
#include "witness/witness.h"

namespace closebook::api {

class WitnessService : public RequestHandler {
 public:
  explicit WitnessService(std::unique_ptr<witness::Witness> witness) : witness_(std::move(witness)) {}
  Reply handle(const Request& request) override;
  std::string route_of(const Request& request) const override;
  Metrics& metrics() override { return metrics_; }

 private:
  std::unique_ptr<witness::Witness> witness_;
  Metrics metrics_;
};

}  // namespace closebook::api
