// closebookd --publish: the log's tlog-tiles kept current beside the API (docs/ledger.md
// §9.1), so static web servers can serve readers while the one writer stays on its machine.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "tests/api_fixture.h"
#include "verify/io.h"
#include "verify/verify.h"

namespace closebook::test {
namespace {

// The size line of the published checkpoint, or 0 while there is none.
uint64_t published_size(const std::string& dir) {
  if (!std::filesystem::exists(dir + "/checkpoint")) return 0;
  const std::string text = read_text(dir + "/checkpoint");
  const size_t line = text.find('\n') + 1;
  return std::stoull(text.substr(line, text.find('\n', line) - line));
}

// Polls until the published size is `size`; a bound on liveness, not a timing assertion.
bool publishes(const std::string& dir, uint64_t size) {
  for (int i = 0; i < 300; ++i) {
    if (published_size(dir) == size) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

TEST_F(ApiTest, PublishKeepsTheTilesAtTheLatestCheckpoint) {
  ASSERT_EQ(stop_daemon(), 0);
  const std::string pub = tmp_ / "pub";
  start_daemon({"--publish", pub});
  ASSERT_TRUE(publishes(pub, ledger_size())) << "published at start: " << published_size(pub);
  const uint64_t before = ledger_size();
  ASSERT_EQ(sign_off_over_http().status, 201);  // a write through the API
  const uint64_t after = ledger_size();
  ASSERT_GT(after, before);
  ASSERT_TRUE(publishes(pub, after)) << "published after the write: " << published_size(pub);
  EXPECT_EQ(read_text(pub + "/checkpoint"), json(get("auditor", "/v1/checkpoint"))["note"]);
  issue_invoices();  // a write by the CLI, another process: published too
  ASSERT_TRUE(publishes(pub, ledger_size()));
  // The newest entry, read back from the tiles by the auditor's verifier.
  const std::string old_checkpoint = read_text(pub + "/checkpoint");
  auto read = verify::check_tiles_entry(file_reader(pub), ledger_size() - 1, log_key_.verifier(),
                                        std::string_view(old_checkpoint));
  ASSERT_TRUE(read.ok()) << read.error().to_string();
  EXPECT_EQ(read->index, ledger_size() - 1);
}

}  // namespace
}  // namespace closebook::test
