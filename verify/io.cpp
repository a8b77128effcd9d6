#include "verify/io.h"

#include <curl/curl.h>

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

namespace {

size_t append_body(char* data, size_t size, size_t count, void* out) {
  auto& body = *static_cast<std::string*>(out);
  if (body.size() + size * count > kVerifyInputBytesMax) return 0;  // curl then fails the transfer
  body.append(data, size * count);
  return size * count;
}

// One GET. libcurl rather than a hand-written client: TLS, redirects and proxies are its job.
Result<std::string> http_get(const std::string& url) {
  static const bool initialized = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
  if (!initialized) return Error::io("cannot initialise libcurl");
  std::unique_ptr<CURL, void (*)(CURL*)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) return Error::io("cannot initialise libcurl");
  std::string body;
  curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, append_body);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(curl.get(), CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl.get(), CURLOPT_CONNECTTIMEOUT, 30L);
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT, 300L);
  const CURLcode code = curl_easy_perform(curl.get());
  if (code != CURLE_OK) return Error::io("GET " + url + ": " + curl_easy_strerror(code));
  long status = 0;
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &status);
  if (status == 404) return Error::not_found("GET " + url + ": 404, not published");
  if (status != 200) return Error::io("GET " + url + ": HTTP status " + std::to_string(status));
  return body;
}

}  // namespace

std::function<Result<std::string>(const std::string& path)> file_reader(const std::string& base) {
  std::string root = base;
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  if (root.starts_with("http://") || root.starts_with("https://")) {
    return [root](const std::string& path) { return http_get(root + "/" + path); };
  }
  return [root](const std::string& path) { return read_whole_file(root + "/" + path); };
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
