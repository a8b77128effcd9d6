// Micro-benchmarks of the evidence layer: the per-entry costs every append and every
// verification pays, each beside the machine's bound for the same bytes (BM_Bound*), so
// docs/performance.md reports ratios. Storage, CSV and end-to-end figures are in
// bench_storage.cpp and bench/close-at-scale.
#include <benchmark/benchmark.h>
#include <openssl/evp.h>

#include <random>

#include "evidence/checkpoint.h"
#include "evidence/decimal.h"
#include "evidence/entry.h"
#include "evidence/hash.h"
#include "evidence/merkle.h"
#include "evidence/note.h"
#include "bench/usage_entry.h"

namespace closebook {
namespace {

std::string random_bytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

// The bound for hashing: OpenSSL's SHA-256 over a large buffer (no per-call cost), with the
// digest fetched once — what this CPU's SHA extensions do per byte.
void BM_BoundSha256Throughput(benchmark::State& state) {
  const std::string data = random_bytes(1 << 20, 2);
  EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  unsigned char out[32];
  for (auto _ : state) EVP_Digest(data.data(), data.size(), out, nullptr, md, nullptr);
  EVP_MD_free(md);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(data.size()));
}
BENCHMARK(BM_BoundSha256Throughput);

// The per-call bound for one 301-byte leaf (prefix + entry): a one-shot digest with the
// digest fetched once, reusing one context.
void BM_BoundSha256Of301B(benchmark::State& state) {
  const std::string data = random_bytes(301, 3);
  EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  unsigned char out[32];
  for (auto _ : state) {
    EVP_DigestInit_ex2(ctx, md, nullptr);
    EVP_DigestUpdate(ctx, data.data(), data.size());
    EVP_DigestFinal_ex(ctx, out, nullptr);
    benchmark::DoNotOptimize(out);
  }
  EVP_MD_CTX_free(ctx);
  EVP_MD_free(md);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * 301);
}
BENCHMARK(BM_BoundSha256Of301B);

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

void BM_ConsistencyProve(benchmark::State& state) {
  MemoryNodes& nodes = big_tree();
  uint64_t old_size = 1;
  for (auto _ : state) {
    benchmark::DoNotOptimize(consistency_proof(nodes, old_size, nodes.size()));
    old_size = old_size * 7919 % nodes.size() + 1;
  }
}
BENCHMARK(BM_ConsistencyProve);

void BM_ConsistencyVerify(benchmark::State& state) {
  MemoryNodes& nodes = big_tree();
  const uint64_t old_size = 777777;
  const auto proof = consistency_proof(nodes, old_size, nodes.size()).value();
  const Hash old_root = tree_root(nodes, old_size).value();
  const Hash root = nodes.root();
  for (auto _ : state) benchmark::DoNotOptimize(verify_consistency(old_size, nodes.size(), old_root, root, proof));
}
BENCHMARK(BM_ConsistencyVerify);

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

using bench::usage_entry_bytes;

void BM_EntryEncode(benchmark::State& state) {
  uint64_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(usage_entry_bytes(i++));
  state.counters["bytes/entry"] = static_cast<double>(usage_entry_bytes(0).size());
}
BENCHMARK(BM_EntryEncode);

void BM_EntryDecode(benchmark::State& state) {
  const std::string bytes = usage_entry_bytes(12345);
  for (auto _ : state) benchmark::DoNotOptimize(DecodedEntry::decode(bytes));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(bytes.size()));
}
BENCHMARK(BM_EntryDecode);

void BM_EntryJson(benchmark::State& state) {
  const DecodedEntry entry = DecodedEntry::decode(usage_entry_bytes(12345)).value();
  for (auto _ : state) benchmark::DoNotOptimize(entry_json(entry.reader()));
}
BENCHMARK(BM_EntryJson);

void BM_DecimalParse(benchmark::State& state) {
  const char* texts[] = {"32.67000000000000000000", "588.06", "-12.50", "0.103865443500", "1.519757", "412.750"};
  size_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(Decimal::parse(texts[i++ % 6]));
}
BENCHMARK(BM_DecimalParse);

// A priced line's amount: quantity × unit price, rounded to cents half-even.
void BM_DecimalMultiplyRound(benchmark::State& state) {
  const Decimal quantity = Decimal::parse("412.750").value();
  const Decimal price = Decimal::parse("0.103865443500").value();
  for (auto _ : state) benchmark::DoNotOptimize(quantity.mul(price).value().round(2, Rounding::kHalfEven));
}
BENCHMARK(BM_DecimalMultiplyRound);

}  // namespace
}  // namespace closebook
