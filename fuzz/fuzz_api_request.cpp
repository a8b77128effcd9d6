// closebookd's request handling (routing, authentication, roles, query and body parsing, every
// route) against a real ledger holding the bundled sample, priced and matched. Input: a first
// byte choosing the caller (admin, a partner, or no token), a request line "METHOD target",
// a Content-Type line, then the body. Every request gets a reply, and a 500 only for the
// server's own trouble, never for the request.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string_view>

#include "api/body.h"
#include "api/service.h"
#include "tests/test_util.h"

namespace {

std::unique_ptr<closebook::api::Service> g_service;
std::string g_admin, g_partner;

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  using namespace closebook;
  char dir[] = "/tmp/closebook-fuzz-api-XXXXXX";
  if (::mkdtemp(dir) == nullptr) std::abort();
  static std::string made;
  made = dir;
  std::atexit([] { std::filesystem::remove_all(made); });  // libFuzzer exits through exit()
  auto key = SigningKey::generate("closebook.fuzz/api").value();
  auto ledger = test::new_ledger(std::string(dir) + "/ledger", key);
  test::load_period(*ledger, key, test::bundled_sample(), "2026-10");
  test::price_and_match(*ledger, key, "2026-10");
  auto tokens = api::TokenStore::open(std::string(dir) + "/ledger", true).value();
  g_admin = tokens->create(api::parse_role("admin").value(), "fuzz").value().token;
  g_partner = tokens->create(api::parse_role("partner:P001").value(), "fuzz").value().token;
  g_service = std::make_unique<api::Service>(std::move(ledger), std::move(tokens), std::move(key), api::ServiceOptions{});
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace closebook::api;
  if (size < 2) return 0;
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  const size_t line_end = input.find('\n');
  const size_t type_end = line_end == std::string_view::npos ? std::string_view::npos : input.find('\n', line_end + 1);
  if (type_end == std::string_view::npos) return 0;
  const std::string_view line = input.substr(0, line_end);
  const size_t space = line.find(' ');
  if (space == std::string_view::npos) return 0;
  Request request;
  request.method = std::string(line.substr(0, space));
  const std::string_view target = line.substr(space + 1);
  const size_t question = target.find('?');
  auto path = percent_decode(target.substr(0, question), false);
  auto query = parse_query(question == std::string_view::npos ? std::string_view() : target.substr(question + 1));
  if (!path || path->empty() || path->front() != '/' || !query) return 0;  // the server's 400s
  request.path = *path;
  request.query = *query;
  request.headers.emplace_back("content-type", std::string(input.substr(line_end + 1, type_end - line_end - 1)));
  if (data[0] % 3 != 2) request.headers.emplace_back("authorization", "Bearer " + (data[0] % 3 == 0 ? g_admin : g_partner));
  request.headers.emplace_back("idempotency-key", "fuzz");
  request.body = std::string(input.substr(type_end + 1));
  request.peer = "127.0.0.1";
  const Reply reply = g_service->handle(request);
  if (reply.status == 500 && reply.body.find("\"corruption\"") == std::string::npos) {
    std::fprintf(stderr, "500 for %s %s: %s\n", request.method.c_str(), request.path.c_str(), reply.body.c_str());
    std::abort();
  }
  return 0;
}
