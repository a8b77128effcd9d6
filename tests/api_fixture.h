// A real closebookd for the API tests: a ledger with the sample period priced and matched and a
// finance key registered, tokens for every role made with the real CLI, and the daemon started
// as its own process on a free port of 127.0.0.1.
#pragma once

#include <gtest/gtest.h>
#include <sys/types.h>

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "evidence/note.h"
#include "tests/http_client.h"
#include "tests/test_util.h"

namespace closebook::test {

using Json = nlohmann::json;

class ApiTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Starts closebookd with extra flags; waits until it listens.
  void start_daemon(const std::vector<std::string>& flags = {});
  // SIGTERM, then its exit status.
  int stop_daemon();

  RunResult cli(std::vector<std::string> args) const;
  std::string token(const std::string& role) const { return tokens_.at(role); }

  HttpResponse get(const std::string& role, const std::string& target) const;
  HttpResponse send(const std::string& role, const std::string& method, const std::string& target,
                    const std::string& body, std::vector<std::pair<std::string, std::string>> headers = {}) const;
  static Json json(const HttpResponse& r);

  uint64_t ledger_size() const;
  // Finance signs the period's statement offline with alice_, whose secret the server never
  // sees, and submits it over HTTP.
  HttpResponse sign_off_over_http();
  // Issues the signed period's invoices with the CLI.
  void issue_invoices() const;

  TempDir tmp_;
  std::string dir_, passphrase_file_;
  SigningKey log_key_ = SigningKey::generate("closebook.test/api").value();
  SigningKey alice_ = SigningKey::generate("alice@finance").value();
  std::map<std::string, std::string> tokens_;  // role -> token
  pid_t daemon_ = -1;
  uint16_t port_ = 0;
  int daemon_runs_ = 0;
};

}  // namespace closebook::test
