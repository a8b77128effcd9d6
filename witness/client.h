// The log's side of C2SP tlog-witness: submitting a checkpoint to a witness's add-checkpoint
// with a consistency proof from the size the witness last cosigned.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "evidence/hash.h"
#include "evidence/result.h"

namespace closebook::witness {

// POSTs `body` to `url` (libcurl); the status and the body of the answer.
struct HttpAnswer {
  long status = 0;
  std::string body;
};
Result<HttpAnswer> post(const std::string& url, const std::string& body);

// Asks the witness at `prefix` to cosign `checkpoint` (a signed note of size `size`),
// starting from `known_size` (the size it is believed to hold; 0 when unknown): on 409 once
// more from the size it names. `proof(old)` is the consistency proof from old to `size`.
// Returns the cosignature lines and leaves `known_size` at `size`; an Error otherwise, naming
// the witness's answer (a 422 or 409 on a fork is the witness refusing, not a failure here).
using ProofFrom = std::function<Result<std::vector<Hash>>(uint64_t old_size)>;
Result<std::string> submit(const std::string& prefix, const std::string& checkpoint, uint64_t size, uint64_t& known_size,
                           const ProofFrom& proof);

}  // namespace closebook::witness
