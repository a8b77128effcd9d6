// Evidence bundles, checked with the key on the input's first line (the seeds carry the key
// of the bundle they hold): every bundle is verified or refused, never a crash.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "verify/verify.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t eol = input.find('\n');
  if (eol == std::string_view::npos) return 0;
  auto key = closebook::VerifierKey::parse(input.substr(0, eol));
  if (!key.ok()) return 0;
  (void)closebook::verify::check_bundle(input.substr(eol + 1), *key);
  return 0;
}
