// Micro-benchmarks of the evidence layer: the per-entry costs every append and every
// verification pays. Issue #7 extends this with machine bounds and end-to-end runs.
#include <benchmark/benchmark.h>

#include <random>

#include "evidence/checkpoint.h"
#include "evidence/hash.h"
#include "evidence/merkle.h"
#include "evidence/note.h"

namespace closebook {
namespace {

std::string random_bytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

void BM_LeafHash300B(benchmark::State& state) {
  const std::string entry = random_bytes(300, 1);
  for (auto _ : state) benchmark::DoNotOptimize(leaf_hash(as_bytes(entry)));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * 300);
}
BENCHMARK(BM_LeafHash300B);

void BM_TreeAppend(benchmark::State& state) {
  const Hash leaf = sha256(std::string_view("leaf"));
  for (auto _ : state) {
    TreeBuilder tree;
    for (int64_t i = 0; i < state.range(0); ++i) tree.append(leaf, [](uint8_t, uint64_t, const Hash&) {});
    benchmark::DoNotOptimize(tree.root());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_TreeAppend)->Arg(1 << 20)->Unit(benchmark::kMillisecond);

MemoryNodes& big_tree() {
  static MemoryNodes* nodes = [] {
    auto* n = new MemoryNodes();
    for (uint32_t i = 0; i < (1u << 20) + 12345; ++i) n->add_leaf(sha256(random_bytes(8, i)));
    return n;
  }();
  return *nodes;
}

void BM_InclusionProve(benchmark::State& state) {
  MemoryNodes& nodes = big_tree();
  uint64_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(inclusion_proof(nodes, i % nodes.size(), nodes.size()));
    i += 7919;
  }
}
BENCHMARK(BM_InclusionProve);

void BM_InclusionVerify(benchmark::State& state) {
  MemoryNodes& nodes = big_tree();
  const uint64_t index = 777777;
  const auto proof = inclusion_proof(nodes, index, nodes.size()).value();
  const Hash leaf = nodes.node(0, index).value();
  const Hash root = nodes.root();
  for (auto _ : state) benchmark::DoNotOptimize(verify_inclusion(leaf, index, nodes.size(), proof, root));
}
BENCHMARK(BM_InclusionVerify);

void BM_CheckpointSign(benchmark::State& state) {
  auto key = SigningKey::generate("bench.example/log").value();
  const std::string body = Checkpoint{"bench.example/log", 1000000, sha256(std::string_view("r")), {}}.body();
  for (auto _ : state) benchmark::DoNotOptimize(sign_note_text(body, key));
}
BENCHMARK(BM_CheckpointSign);

void BM_CheckpointVerify(benchmark::State& state) {
  auto key = SigningKey::generate("bench.example/log").value();
  Note note{Checkpoint{"bench.example/log", 1000000, sha256(std::string_view("r")), {}}.body(), {}};
  note.signatures.push_back(sign_note_text(note.text, key));
  const std::string signed_note = note.to_string();
  const VerifierKey vkey = key.verifier();
  for (auto _ : state) benchmark::DoNotOptimize(open_checkpoint(signed_note, vkey));
}
BENCHMARK(BM_CheckpointVerify);

}  // namespace
}  // namespace closebook
