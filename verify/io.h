// File reading for closebook-verify, which must not depend on ledger/ (README, Layout; tests/layering_test.cpp).
#pragma once

#include <string>

#include "evidence/note.h"
#include "evidence/result.h"

namespace closebook {

inline constexpr size_t kVerifyInputBytesMax = size_t{256} << 20;

Result<std::string> read_whole_file(const std::string& path);
// `arg` is a verifier key line, or a file whose first line is one.
Result<VerifierKey> load_verifier_key(const std::string& arg);

}  // namespace closebook
