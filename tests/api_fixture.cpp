#include "tests/api_fixture.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "close/keys.h"
#include "close/signoff.h"
#include "ledger/ledger.h"

namespace closebook::test {
namespace {

const std::string kBin = CLOSEBOOK_BIN;
const std::string kDaemon = CLOSEBOOKD_BIN;

}  // namespace

void ApiTest::SetUp() {
  dir_ = tmp_ / "ledger";
  {
    auto ledger = new_ledger(dir_, log_key_);
    load_period(*ledger, log_key_, bundled_sample(), "2026-10");
    price_and_match(*ledger, log_key_, "2026-10");
    auto key = close::plan_key_change(ledger->snapshot().value(),
                                      {KeyAction::REGISTER, KeyRole::FINANCE, alice_.verifier(), {}, "CFO"});
    ASSERT_TRUE(key.ok()) << key.error().to_string();
    std::vector<ledger::Draft> drafts;
    drafts.push_back(std::move(*key));
    ASSERT_TRUE(ledger->append(drafts, log_key_).ok());
  }
  passphrase_file_ = tmp_ / "log.pass";
  write_text(passphrase_file_, "test-passphrase\n");
  ::chmod(passphrase_file_.c_str(), 0600);
  for (const std::string role : {"admin", "ops", "finance", "gl", "auditor", "partner:P001", "partner:P002"}) {
    RunResult r = cli({"tokens", "create", "--role", role, "--name", "test-" + role});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    tokens_[role] = r.out.substr(0, r.out.find('\n'));
  }
  start_daemon();
}

void ApiTest::TearDown() {
  if (daemon_ > 0) {
    EXPECT_EQ(stop_daemon(), 0) << read_text(tmp_ / ("daemon-" + std::to_string(daemon_runs_) + ".err"));
  }
}

void ApiTest::start_daemon(const std::vector<std::string>& flags) {
  ++daemon_runs_;
  const std::string port_file = tmp_ / ("port-" + std::to_string(daemon_runs_));
  std::vector<std::string> args{"--ledger", dir_, "--listen", "127.0.0.1:0", "--port-file", port_file,
                                "--passphrase-file", passphrase_file_, "--threads", "4"};
  args.insert(args.end(), flags.begin(), flags.end());
  const std::string log = tmp_ / ("daemon-" + std::to_string(daemon_runs_));
  daemon_ = spawn(kDaemon, args, {}, log + ".out", log + ".err");
  ASSERT_GT(daemon_, 0);
  for (int i = 0; i < 500 && port_ == 0; ++i) {
    std::error_code ec;
    if (std::filesystem::exists(port_file, ec)) {
      const std::string text = read_text(port_file);
      if (!text.empty() && text.back() == '\n') port_ = static_cast<uint16_t>(std::stoi(text));
    }
    if (port_ == 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_NE(port_, 0) << "closebookd did not start: " << read_text(log + ".err");
}

int ApiTest::stop_daemon() {
  ::kill(daemon_, SIGTERM);
  const int status = wait_exit(daemon_);
  daemon_ = -1;
  port_ = 0;
  return status;
}

RunResult ApiTest::cli(std::vector<std::string> args) const {
  args.insert(args.begin(), {"--ledger", dir_});
  return run(kBin, args, {"CLOSEBOOK_PASSPHRASE=test-passphrase"});
}

HttpResponse ApiTest::get(const std::string& role, const std::string& target) const {
  return http(port_, {"GET", target, role.empty() ? "" : token(role), "", "", {}});
}

HttpResponse ApiTest::send(const std::string& role, const std::string& method, const std::string& target,
                           const std::string& body, std::vector<std::pair<std::string, std::string>> headers) const {
  return http(port_, {method, target, role.empty() ? "" : token(role), body, "application/json", std::move(headers)});
}

Json ApiTest::json(const HttpResponse& r) {
  Json j = Json::parse(r.body, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << "not JSON: " << r.body;
  return j;
}

uint64_t ApiTest::ledger_size() const {
  auto ledger = ledger::Ledger::open(dir_, {.read_only = true});
  EXPECT_TRUE(ledger.ok());
  return (*ledger)->snapshot().value().size();
}

HttpResponse ApiTest::sign_off_over_http() {
  const HttpResponse statement = get("finance", "/v1/periods/2026-10/statement");
  EXPECT_EQ(statement.status, 200) << statement.body;
  const std::string signature = close::sign_statement(statement.body, alice_).value();
  return send("finance", "POST", "/v1/periods/2026-10/signoff",
              Json{{"statement", statement.body}, {"signatures", signature}}.dump());
}

void ApiTest::issue_invoices() const {
  RunResult r = cli({"invoice", "--period", "2026-10"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
}

}  // namespace closebook::test
