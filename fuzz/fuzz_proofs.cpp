// Proof documents against checkpoints, as closebook-verify reads them. Input: a verifier key
// line, then three parts separated by NUL bytes: a checkpoint, a proof's JSON, and either the
// entry (inclusion) or a second checkpoint (consistency) — the first byte of the key line's
// remainder after the parts decides which.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz/key_line.h"
#include "verify/verify.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto input = closebook::fuzz::split_key_line(data, size);
  if (!input) return 0;
  const closebook::VerifierKey& key = input->first;
  std::string_view rest = input->second;
  std::string_view parts[3];
  for (auto& part : parts) {
    const size_t nul = rest.find('\0');
    part = rest.substr(0, nul);
    rest = nul == std::string_view::npos ? std::string_view() : rest.substr(nul + 1);
  }
  if (parts[1].find("\"old_size\"") != std::string_view::npos) {
    (void)closebook::verify::check_consistency(parts[0], parts[2], parts[1], key);
  } else {
    (void)closebook::verify::check_inclusion(parts[0], parts[1], parts[2], key);
  }
  return 0;
}
