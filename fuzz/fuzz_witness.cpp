// The witness's add-checkpoint body (C2SP tlog-witness) and tlog-policy files. The input's
// first line is the log's verifier key the witness trusts (the seeds carry the one that signed
// their checkpoint, so mutations reach the proof and signature checks); the rest is the body,
// and the whole input is also read as a policy. Every input is answered or refused, never a crash.
#include <stdlib.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "evidence/policy.h"
#include "witness/witness.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string state = [] {
    char dir[] = "/tmp/fuzz-witness-XXXXXX";
    return std::string(::mkdtemp(dir) != nullptr ? dir : "/tmp");
  }();
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  (void)closebook::WitnessPolicy::parse(input);
  const size_t eol = input.find('\n');
  if (eol == std::string_view::npos) return 0;
  auto log = closebook::VerifierKey::parse(input.substr(0, eol));
  if (!log.ok()) return 0;
  static const closebook::SigningKey key = closebook::SigningKey::generate("fuzz.test/witness").value();
  closebook::witness::Witness w(state, closebook::SigningKey::from_seed(key.name(), closebook::Bytes(key.seed())).value(),
                                {*log}, [] { return uint64_t{1'790'000'000}; });
  (void)w.add_checkpoint(input.substr(eol + 1));
  std::error_code ec;  // each input meets a witness that has cosigned nothing
  std::filesystem::remove(state + "/" + closebook::to_hex(closebook::sha256(log->name)) + ".checkpoint", ec);
  return 0;
}
