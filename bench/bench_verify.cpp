// The auditor's side in-process, without process start-up: closebook-verify's check of an
// evidence bundle (every entry decoded and proven included, signers replayed, the checkpoint's
// signature checked). The bundles are files named by $CLOSEBOOK_BENCH_BUNDLES (colon-separated)
// with the log's verifier key in $CLOSEBOOK_BENCH_VKEY; bench/close-at-scale passes the line
// and invoice bundles it built. Without them there is nothing to measure and it says so.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>

#include "evidence/note.h"
#include "verify/verify.h"

namespace closebook {
namespace {

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

void register_bundles() {
  const char* bundles = std::getenv("CLOSEBOOK_BENCH_BUNDLES");
  const char* vkey_file = std::getenv("CLOSEBOOK_BENCH_VKEY");
  if (bundles == nullptr || vkey_file == nullptr) {
    std::cerr << "bench_verify: set CLOSEBOOK_BENCH_BUNDLES and CLOSEBOOK_BENCH_VKEY (bench/close-at-scale does)\n";
    return;
  }
  const VerifierKey key = VerifierKey::parse(trimmed(read_all(vkey_file))).value();
  std::stringstream list(bundles);
  for (std::string path; std::getline(list, path, ':');) {
    if (path.empty()) continue;
    const std::string text = read_all(path);
    benchmark::RegisterBenchmark(("BM_BundleVerify/" + path.substr(path.find_last_of('/') + 1)).c_str(),
                                 [text, key](benchmark::State& state) {
                                   uint64_t entries = 0;
                                   for (auto _ : state) {
                                     auto report = verify::check_bundle(text, key);
                                     if (!report.ok()) throw std::runtime_error(report.error().to_string());
                                     entries = report->entries;
                                   }
                                   state.counters["entries"] = static_cast<double>(entries);
                                   state.counters["bytes"] = static_cast<double>(text.size());
                                 })
        ->Unit(benchmark::kMillisecond);
  }
}

}  // namespace
}  // namespace closebook

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  closebook::register_bundles();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
