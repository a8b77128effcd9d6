// The terminal progress line of a long close (cli/progress.h).
#include "cli/progress.h"

#include <gtest/gtest.h>
#include <unistd.h>

namespace closebook::cli {
namespace {

TEST(ProgressLine, ShowsDoneOfTotalTheRateAndTheTimeLeft) {
  EXPECT_EQ(progress_line("price 2026-10", "keys", 45'000, 88'262, 3.6),
            "price 2026-10: 45,000/88,262 keys, 12,500 keys/s, 0:03 left");
  EXPECT_EQ(progress_line("ingest usage.csv", "rows", 100'000, 1'700'000, 10),
            "ingest usage.csv: 100,000/1,700,000 rows, 10,000 rows/s, 2:40 left");
}

TEST(ProgressLine, ShowsTheElapsedTimeWhenDone) {
  EXPECT_EQ(progress_line("append", "entries", 522'755, 522'755, 5), "append: 522,755 entries in 5.0 s, 104,551 entries/s");
}

TEST(ProgressLine, HasNoRateOrTimeLeftBeforeThereIsARate) {
  EXPECT_EQ(progress_line("match 2026-10", "keys", 0, 10, 0), "match 2026-10: 0/10 keys");
  EXPECT_EQ(progress_line("ingest usage.csv", "rows", 10'000, 172'750, 0), "ingest usage.csv: 10,000/172,750 rows");
}

TEST(TerminalProgress, IsSilentWhenStderrIsNotATerminal) {
  // ctest runs with stderr on a pipe or file, as scripts and CI do.
  if (::isatty(2) != 0) GTEST_SKIP() << "stderr is a terminal here";
  EXPECT_FALSE(terminal_progress("price", "keys"));
}

}  // namespace
}  // namespace closebook::cli
