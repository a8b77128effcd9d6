// closebook-sample --out DIR [--seed N] [--lines N | --shapes KEYS] [--period YYYY-MM]: writes
// a generated period (generator.h) into DIR; --shapes writes the match-truth oracle instead.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "data/sample/generator/generator.h"

namespace {

constexpr const char* kUsage =
    "usage: closebook-sample --out DIR [--seed N] [--lines 1..10000000 | --shapes 1..1000000] [--period YYYY-MM]\n";

bool parse_number(const char* text, int64_t& out) {
  char* end = nullptr;
  out = std::strtoll(text, &end, 10);
  return end != text && *end == '\0';
}

}  // namespace

int main(int argc, char** argv) {
  closebook::sample::SampleOptions options;
  int64_t shapes = 0;
  std::string out;
  for (int i = 1; i < argc; i += 2) {  // every option takes a value
    const std::string arg = argv[i];
    const char* value = i + 1 < argc ? argv[i + 1] : nullptr;
    int64_t n = 0;
    bool ok = value != nullptr;
    if (arg == "--out" && ok) {
      out = value;
    } else if (arg == "--seed" && ok && parse_number(value, n) && n >= 0) {
      options.seed = static_cast<uint64_t>(n);
    } else if (arg == "--lines" && ok && parse_number(value, n) && n >= 1 && n <= 10'000'000) {
      options.lines = n;
    } else if (arg == "--shapes" && ok && parse_number(value, n) && n >= 1 && n <= 1'000'000) {
      shapes = n;
    } else if (arg == "--period" && ok && closebook::Period::parse(value).ok()) {
      options.period = closebook::Period::parse(value).value();
    } else {
      std::cerr << kUsage;
      return 2;
    }
  }
  if (out.empty()) {
    std::cerr << kUsage;
    return 2;
  }
  std::error_code ec;
  std::filesystem::create_directories(out, ec);
  const auto files = shapes > 0 ? closebook::sample::generate_shapes({options.seed, shapes, options.period})
                                 : closebook::sample::generate(options);
  for (const auto& [name, text] : files) {
    const auto path = std::filesystem::path(out) / name;
    std::ofstream file(path, std::ios::binary);
    file << text;
    if (!file.flush()) {
      std::cerr << "closebook-sample: cannot write " << path.string() << "\n";
      return 5;
    }
  }
  return 0;
}
