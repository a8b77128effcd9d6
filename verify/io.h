// File reading for closebook-verify, which must not depend on ledger/ (README, Layout; tests/layering_test.cpp).
#pragma once

#include <functional>
#include <string>

#include "evidence/note.h"
#include "evidence/result.h"

namespace closebook {

inline constexpr size_t kVerifyInputBytesMax = size_t{256} << 20;

Result<std::string> read_whole_file(const std::string& path);
// Reads files by their path under `base`: a directory, or an http:// or https:// URL (with
// libcurl). A missing file (HTTP 404) is NotFound; each read is at most kVerifyInputBytesMax.
std::function<Result<std::string>(const std::string& path)> file_reader(const std::string& base);

// `arg` is a verifier key line, or a file whose first line is one.
Result<VerifierKey> load_verifier_key(const std::string& arg);

}  // namespace closebook
