// The input of the fuzz targets that verify: a verifier key on the first line, then the
// document to check. The seeds carry the key of the document they hold.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>

#include "evidence/note.h"

namespace closebook::fuzz {

// The key and the rest of the input, or nothing when the first line is not a verifier key.
inline std::optional<std::pair<VerifierKey, std::string_view>> split_key_line(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t eol = input.find('\n');
  if (eol == std::string_view::npos) return std::nullopt;
  auto key = VerifierKey::parse(input.substr(0, eol));
  if (!key.ok()) return std::nullopt;
  return std::pair<VerifierKey, std::string_view>(std::move(*key), input.substr(eol + 1));
}

}  // namespace closebook::fuzz
