// Evidence bundles, checked with the key on the input's first line (the seeds carry the key
// of the bundle they hold): every bundle is verified or refused, never a crash.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz/key_line.h"
#include "verify/verify.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto input = closebook::fuzz::split_key_line(data, size);
  if (!input) return 0;
  (void)closebook::verify::check_bundle(input->second, input->first);
  return 0;
}
