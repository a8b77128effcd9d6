// A published tlog-tiles directory, as closebook-verify tiles reads it from an untrusted web
// server. Input: a verifier key line, then NUL-separated parts: the entry index to prove (in
// decimal), an optional older checkpoint (empty for none), then path and content pairs — the
// files the server holds (`checkpoint`, `tile/...`). A path it lacks is a 404.
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "evidence/tiles.h"
#include "fuzz/key_line.h"
#include "verify/verify.h"

namespace {

std::string_view next_part(std::string_view& rest) {
  const size_t nul = rest.find('\0');
  const std::string_view part = rest.substr(0, nul);
  rest = nul == std::string_view::npos ? std::string_view() : rest.substr(nul + 1);
  return part;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto input = closebook::fuzz::split_key_line(data, size);
  if (!input) return 0;
  std::string_view rest = input->second;
  const std::string_view index_text = next_part(rest), old = next_part(rest);
  uint64_t index = 0;
  if (std::from_chars(index_text.data(), index_text.data() + index_text.size(), index).ec != std::errc()) return 0;
  std::map<std::string, std::string, std::less<>> files;
  while (!rest.empty()) {
    const std::string_view path = next_part(rest);
    files[std::string(path)] = std::string(next_part(rest));
  }
  auto fetch = [&files](const std::string& path) -> closebook::Result<std::string> {
    auto at = files.find(path);
    if (at == files.end()) return closebook::Error::not_found(path + ": 404");
    return at->second;
  };
  (void)closebook::verify::check_tiles_entry(fetch, index, input->first,
                                             old.empty() ? std::nullopt : std::optional<std::string_view>(old));
  for (const auto& [path, content] : files) (void)closebook::decode_entry_bundle(content, 1 + content.size() % 256);
  return 0;
}
