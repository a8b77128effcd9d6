// Crash safety (docs/ledger.md §7, issue 8): the real `closebook` and `closebookd` are SIGKILLed at
// random points while they ingest, price, match, sign off and write through the API. After
// every kill the ledger must replay with the independent verifier, stand at a signed
// checkpoint (an interrupted batch is wholly in or wholly out), and hold every append the
// process reported as committed. CI runs ≥ 200 points; CLOSEBOOK_CRASH_POINTS=1000 (scripts/crash-soak.sh)
// runs more.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "close/keys.h"
#include "close/signoff.h"
#include "data/sample/generator/generator.h"
#include "ledger/ledger.h"
#include "tests/http_client.h"
#include "tests/test_util.h"
#include "verify/verify.h"

namespace closebook {
namespace {

const std::string kBin = CLOSEBOOK_BIN;
const std::string kDaemon = CLOSEBOOKD_BIN;

int crash_points() {
  const char* env = std::getenv("CLOSEBOOK_CRASH_POINTS");
  return env != nullptr ? std::max(50, std::atoi(env)) : 200;  // fewer cannot show kills on both sides of a commit
}

class CrashTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = tmp_ / "ledger";
    ASSERT_TRUE(ledger::Ledger::init(dir_, key_, {key_.name(), test::cheap_seal(key_)}).ok());
    test::write_text(tmp_ / "pass", "test-passphrase\n");
    ::chmod((tmp_ / "pass").c_str(), 0600);
    files_ = sample::generate({.seed = 5, .lines = 3000});
    for (const std::string kind : {"partners", "tenants", "rules", "fx"}) {
      test::write_text(tmp_ / (kind + ".csv"), files_.at(kind + ".csv"));
      ASSERT_EQ(closebook({"load", kind, tmp_ / (kind + ".csv")}).exit_code, 0);
    }
  }

  test::RunResult closebook(std::vector<std::string> args) {
    args.insert(args.begin(), {"--ledger", dir_});
    args.insert(args.end(), {"--passphrase-file", tmp_ / "pass"});
    return test::run(kBin, args);
  }

  // Runs closebook and SIGKILLs it after `delay`; its exit status and what it printed.
  test::RunResult closebook_killed(std::vector<std::string> args, std::chrono::microseconds delay) {
    args.insert(args.begin(), {"--ledger", dir_});
    args.insert(args.end(), {"--passphrase-file", tmp_ / "pass"});
    const pid_t pid = test::spawn(kBin, args, {}, tmp_ / "out", tmp_ / "err");
    std::this_thread::sleep_for(delay);
    ::kill(pid, SIGKILL);
    test::RunResult r;
    r.exit_code = test::wait_exit(pid);
    r.out = test::read_text(tmp_ / "out");
    r.err = test::read_text(tmp_ / "err");
    return r;
  }

  uint64_t size() { return ledger::Ledger::open(dir_, {.read_only = true}).value()->snapshot().value().size(); }

  // The invariants after a kill: the whole ledger replays, its size is a signed checkpoint's
  // (no batch half in), and `reported_size`, if the process printed one, is covered.
  void check_after_kill(const std::string& what, std::optional<uint64_t> reported_size) {
    auto replayed = verify::replay_ledger(dir_, key_.verifier());
    ASSERT_TRUE(replayed.ok()) << what << ": " << replayed.error().to_string();
    auto ledger = ledger::Ledger::open(dir_, {.read_only = true}).value();
    auto snapshot = ledger->snapshot().value();
    EXPECT_TRUE(snapshot.checkpoint(snapshot.size()).ok()) << what << ": the size is not a signed checkpoint's";
    if (reported_size) {
      EXPECT_GE(snapshot.size(), *reported_size) << what << ": a reported commit is missing";
      EXPECT_TRUE(snapshot.checkpoint(*reported_size).ok()) << what;
    }
  }

  static std::optional<uint64_t> reported_size(const std::string& out) {
    const size_t at = out.find("ledger size ");
    if (at == std::string::npos) return std::nullopt;
    return std::stoull(out.substr(at + 12));
  }

  test::TempDir tmp_;
  std::string dir_;
  SigningKey key_ = SigningKey::generate("closebook.test/crash").value();
  SigningKey finance_ = SigningKey::generate("cfo@finance").value();
  std::map<std::string, std::string> files_;
  std::mt19937_64 random_{20261123};
};

// Splits the usage feed into `parts` files of distinct rows.
std::vector<std::string> split_feed(const std::string& feed, int parts) {
  const size_t header_end = feed.find('\n') + 1;
  const std::string header = feed.substr(0, header_end);
  std::vector<std::string> rows;
  for (size_t at = header_end; at < feed.size();) {
    const size_t next = feed.find('\n', at);
    rows.push_back(feed.substr(at, next - at + 1));
    at = next + 1;
  }
  std::vector<std::string> out(static_cast<size_t>(parts), header);
  for (size_t i = 0; i < rows.size(); ++i) out[i % out.size()] += rows[i];
  return out;
}

TEST_F(CrashTest, KilledAnywhereTheLedgerStaysWholeAndKeepsWhatItReported) {
  const int points = crash_points();
  const int ingest_points = points * 6 / 10, close_points = points / 10, api_points = points - ingest_points - close_points;

  // 1. Ingest: each point feeds a new file of distinct usage rows and is killed at a random
  //    moment of its run; a batch that did not get in is fed again, whole.
  const std::vector<std::string> parts = split_feed(files_.at("usage.csv"), ingest_points);
  const auto started = std::chrono::steady_clock::now();
  test::write_text(tmp_ / "calibrate.csv", parts[0]);
  ASSERT_EQ(closebook({"ingest", "usage", tmp_ / "calibrate.csv", "--period", "2026-10"}).exit_code, 0);
  const auto run_time = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started);
  int interrupted = 0, in_before_kill = 0;
  for (int i = 1; i < ingest_points; ++i) {
    const std::string file = tmp_ / ("usage-" + std::to_string(i) + ".csv");
    test::write_text(file, parts[static_cast<size_t>(i)]);
    const uint64_t before = size();
    const auto delay = std::chrono::microseconds(random_() % static_cast<uint64_t>(run_time.count() * 3 / 2 + 1));
    const test::RunResult r = closebook_killed({"ingest", "usage", file, "--period", "2026-10"}, delay);
    check_after_kill("ingest point " + std::to_string(i), reported_size(r.out));
    const uint64_t after = size();
    if (after == before) {
      ++interrupted;
      ASSERT_EQ(closebook({"ingest", "usage", file, "--period", "2026-10"}).exit_code, 0);
    } else {
      ++in_before_kill;
    }
    // In or out, never in part: feeding it again adds nothing.
    const uint64_t whole = size();
    ASSERT_EQ(closebook({"ingest", "usage", file, "--period", "2026-10"}).exit_code, 0);
    EXPECT_EQ(size(), whole) << "point " << i << ": the batch was not whole";
  }
  std::cout << "ingest: " << ingest_points - 1 << " kills, " << interrupted << " before the commit, " << in_before_kill
            << " after it\n";
  EXPECT_GT(interrupted, 0) << "no kill landed before a commit: the delays are wrong";
  EXPECT_GT(in_before_kill, 0) << "no run finished before its kill: the delays are wrong";

  // 2. The close: pricing and matching killed at random moments, then run to the end.
  for (const std::string name : {"invoice-microsoft-nce.csv", "invoice-generic.csv"}) {
    test::write_text(tmp_ / name, files_.at(name));
  }
  ASSERT_EQ(closebook({"ingest", "invoice", "--format", "microsoft-nce", tmp_ / "invoice-microsoft-nce.csv", "--period", "2026-10"}).exit_code, 0);
  ASSERT_EQ(closebook({"ingest", "invoice", "--format", "generic", tmp_ / "invoice-generic.csv", "--period", "2026-10"}).exit_code, 0);
  for (int i = 0; i < close_points; ++i) {
    const std::string step = i % 2 == 0 ? "price" : "match";
    const auto delay = std::chrono::microseconds(random_() % 400'000);
    const test::RunResult r = closebook_killed({step, "--period", "2026-10"}, delay);
    check_after_kill(step + " point " + std::to_string(i), std::nullopt);
    ASSERT_EQ(closebook({step, "--period", "2026-10"}).exit_code, 0) << "a " << step << " after a kill completes";
  }
  const uint64_t closed = size();
  ASSERT_EQ(closebook({"price", "--period", "2026-10"}).exit_code, 0);
  ASSERT_EQ(closebook({"match", "--period", "2026-10"}).exit_code, 0);
  EXPECT_EQ(size(), closed) << "every interrupted run left nothing half done";

  // 3. Sign-off: finance's signed statement submitted, killed at random moments until one
  //    submission gets in; the period is then signed exactly once.
  {
    auto ledger = ledger::Ledger::open(dir_, {}).value();
    std::vector<ledger::Draft> key;
    key.push_back(close::plan_key_change(ledger->snapshot().value(),
                                         {KeyAction::REGISTER, KeyRole::FINANCE, finance_.verifier(), {}, "CFO"}).value());
    ASSERT_TRUE(ledger->append(key, key_).ok());
  }
  const test::RunResult statement = test::run(kBin, {"--ledger", dir_, "signoff", "statement", "--period", "2026-10", "--override-reason",
                                                                 "generated anomalies are expected"});
  ASSERT_EQ(statement.exit_code, 0) << statement.err;
  test::write_text(tmp_ / "statement.txt", statement.out);
  test::write_text(tmp_ / "statement.sig", close::sign_statement(statement.out, finance_).value());
  bool signed_off = false;
  for (int i = 0; i < close_points && !signed_off; ++i) {
    const uint64_t before = size();
    const auto delay = std::chrono::microseconds(random_() % 200'000);
    const test::RunResult r = closebook_killed({"signoff", "submit", "--period", "2026-10", "--statement",
                                                tmp_ / "statement.txt", "--signature", tmp_ / "statement.sig",
                                                "--override-reason", "generated anomalies are expected"}, delay);
    check_after_kill("sign-off point " + std::to_string(i), std::nullopt);
    EXPECT_TRUE(size() == before || size() == before + 2) << "a sign-off is its summary and itself, in or out";
    signed_off = size() == before + 2;
  }
  if (!signed_off) {
    const test::RunResult r = closebook({"signoff", "submit", "--period", "2026-10", "--statement", tmp_ / "statement.txt",
                                         "--signature", tmp_ / "statement.sig", "--override-reason", "generated anomalies are expected"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  EXPECT_NE(closebook({"signoff", "submit", "--period", "2026-10", "--statement", tmp_ / "statement.txt", "--signature",
                       tmp_ / "statement.sig", "--override-reason", "generated anomalies are expected"}).exit_code, 0)
      << "signed exactly once";

  // 4. API writes: closebookd is killed while a client works the exception queue; every
  //    change it answered 200 for is in the ledger after the restart.
  const test::RunResult tokens = test::run(kBin, {"--ledger", dir_, "tokens", "create", "--role", "ops"});
  ASSERT_EQ(tokens.exit_code, 0);
  const std::string token = tokens.out.substr(0, tokens.out.find('\n'));
  for (int i = 0; i < api_points; ++i) {
    const std::string port_file = tmp_ / ("port-" + std::to_string(i));
    const pid_t daemon = test::spawn(kDaemon, {"--ledger", dir_, "--listen", "127.0.0.1:0", "--port-file", port_file,
                                               "--passphrase-file", tmp_ / "pass", "--access-log", "/dev/null"},
                                     {}, tmp_ / "daemon.out", tmp_ / "daemon.err");
    uint16_t port = 0;
    for (int wait = 0; wait < 500 && port == 0; ++wait) {
      std::error_code ec;
      const std::string text = std::filesystem::exists(port_file, ec) ? test::read_text(port_file) : "";
      if (!text.empty() && text.back() == '\n') port = static_cast<uint16_t>(std::stoi(text));
      if (port == 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ASSERT_NE(port, 0) << test::read_text(tmp_ / "daemon.err");
    const test::HttpResponse list = test::http(port, {"GET", "/v1/exceptions?period=2026-10", token, "", "", {}});
    const std::string id = nlohmann::json::parse(list.body)["exceptions"][0]["exception_id"];
    std::atomic<uint64_t> last_committed{0};
    std::atomic<bool> stop{false};
    std::thread client([&] {
      for (int n = 0; !stop; ++n) {
        test::HttpResponse r;
        try {
          r = test::http(port, {"PATCH", "/v1/exceptions/" + id, token,
                                "{\"action\": \"assign\", \"owner\": \"owner-" + std::to_string(i) + "-" + std::to_string(n) +
                                    "\"}", "application/json", {}});
        } catch (const std::runtime_error&) {
          break;  // the daemon is gone: connections are refused
        }
        if (r.status == 200) last_committed = nlohmann::json::parse(r.body)["recorded_as"].get<uint64_t>() + 1;
        if (r.status == 0) break;  // the daemon is gone
      }
    });
    std::this_thread::sleep_for(std::chrono::microseconds(random_() % 150'000));
    ::kill(daemon, SIGKILL);
    test::wait_exit(daemon);
    stop = true;
    client.join();
    check_after_kill("API point " + std::to_string(i),
                     last_committed > 0 ? std::optional<uint64_t>(last_committed.load()) : std::nullopt);
  }
}

}  // namespace
}  // namespace closebook
