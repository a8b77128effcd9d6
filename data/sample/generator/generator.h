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

// The match-truth oracle (shapes.cpp, data/sample/README.md "Usage shapes"): `keys` keys, one
// tenant each, drawn from the usage shapes real feeds have — daily, weekly and monthly seat
// reports, a count on the 1st, seat changes, starts and ends mid-month, a count carried in
// from the previous period, NCE anniversary cycles and annual terms, peaks, consumption — and
// faulty feeds. Besides the reference data and feeds, `closebook.json` (the feeds' cadences),
// the previous period's `previous-invoice-microsoft-nce.csv` and `previous-usage.csv`, the
// period's `late-usage.csv` (loaded after pricing, before the match),
// `expected_billing.csv` (per key: the quantity, cost and sell a correct close bills) and
// `expected_exceptions.csv` (the one finding of each faulty key, with its delta).
struct ShapeOptions {
  uint64_t seed = 1;
  int64_t keys = 1000;
  Period period{2026, 10};
};
std::map<std::string, std::string> generate_shapes(const ShapeOptions& options);

}  // namespace closebook::sample
