// A deterministic, seeded period of a cloud distributor's close, for tests and benchmarks
// (data/sample/README.md, "Generated periods"): partners, tenants, rules, FX, a Microsoft NCE
// invoice, a generic invoice (Acronis, Datto, Azure consumption), a usage feed, and
// expected_exceptions.csv — the ground truth of every anomaly injected, with the delta a
// correct close finds. Everything else is clean, so the close must find exactly that set.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "evidence/date.h"

namespace closebook::sample {

struct SampleOptions {
  uint64_t seed = 20261031;
  int64_t lines = 200;  // vendor invoice lines, at least; anomalies scale with it (one set per 20,000)
  Period period{2026, 10};
};

// File name -> contents. The same options give byte-identical files on every platform.
std::map<std::string, std::string> generate(const SampleOptions& options);

}  // namespace closebook::sample
