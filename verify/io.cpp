#include "verify/io.h"

#include <filesystem>
#include <fstream>
#include <sstream>

namespace closebook {

Result<std::string> read_whole_file(const std::string& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) return Error::not_found("cannot read " + path + ": " + ec.message());
  if (size > kVerifyInputBytesMax) return Error::invalid(path + " is larger than 256 MiB");
  std::ifstream in(path, std::ios::binary);
  std::ostringstream buf;
  buf << in.rdbuf();
  if (!in.good() && !in.eof()) return Error::io("cannot read " + path);
  return buf.str();
}

Result<VerifierKey> load_verifier_key(const std::string& arg) {
  std::string text = arg;
  std::error_code ec;
  if (std::filesystem::is_regular_file(arg, ec)) {
    CB_TRY(text, read_whole_file(arg));
    text = text.substr(0, text.find('\n'));
  }
  auto key = VerifierKey::parse(text);
  if (!key.ok()) return std::move(key).error().in_field("--key");
  return key;
}

}  // namespace closebook
