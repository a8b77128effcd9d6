#include "witness/client.h"

#include <curl/curl.h>

#include <memory>

namespace closebook::witness {
namespace {

constexpr size_t kAnswerBytesMax = 64 * 1024;

size_t append_body(char* data, size_t size, size_t count, void* out) {
  auto* body = static_cast<std::string*>(out);
  if (body->size() + size * count > kAnswerBytesMax) return 0;  // curl then fails the transfer
  body->append(data, size * count);
  return size * count;
}

std::string body_for(uint64_t old_size, const std::vector<Hash>& proof, const std::string& checkpoint) {
  std::string body = "old " + std::to_string(old_size) + "\n";
  for (const Hash& h : proof) body += to_base64(Bytes(h)) + "\n";
  return body + "\n" + checkpoint;
}

}  // namespace

// libcurl rather than a hand-written client: TLS, proxies and timeouts are its job.
Result<HttpAnswer> post(const std::string& url, const std::string& body) {
  static const bool initialized = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
  if (!initialized) return Error::io("cannot initialise libcurl");
  std::unique_ptr<CURL, void (*)(CURL*)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) return Error::io("cannot initialise libcurl");
  HttpAnswer answer;
  curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_POST, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, append_body);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &answer.body);
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT, 30L);
  curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
  struct curl_slist* headers = curl_slist_append(nullptr, "Content-Type: text/plain");
  curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, headers);
  const CURLcode rc = curl_easy_perform(curl.get());
  curl_slist_free_all(headers);
  if (rc != CURLE_OK) return Error::io(url + ": " + curl_easy_strerror(rc));
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &answer.status);
  return answer;
}

Result<std::string> submit(const std::string& prefix, const std::string& checkpoint, uint64_t size, uint64_t& known_size,
                           const ProofFrom& proof) {
  const std::string url = prefix + "/add-checkpoint";
  for (int attempt = 0; attempt < 2; ++attempt) {
    std::vector<Hash> hashes;
    if (known_size != 0 && known_size < size) {
      CB_TRY(hashes, proof(known_size));
    }
    CB_TRY(HttpAnswer a, post(url, body_for(known_size, hashes, checkpoint)));
    if (a.status == 200) {
      known_size = size;
      return a.body;
    }
    if (a.status == 409 && attempt == 0 && a.body.size() > 1 && a.body.back() == '\n' &&
        a.body.find_first_not_of("0123456789\n") == std::string::npos) {
      const uint64_t named = std::stoull(a.body);
      if (named <= size && named != known_size) {
        known_size = named;
        continue;
      }
    }
    return Error::conflict("witness " + prefix + " answered " + std::to_string(a.status) + ": " + a.body.substr(0, 200));
  }
  return Error::conflict("witness " + prefix + " keeps naming another size");
}

}  // namespace closebook::witness
