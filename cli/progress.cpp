#include "cli/progress.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <memory>

namespace closebook::cli {
namespace {

// 1234567 -> "1,234,567": counts of a million are read at a glance.
std::string grouped(uint64_t n) {
  std::string digits = std::to_string(n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i != 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string minutes_seconds(double seconds) {
  const auto s = static_cast<uint64_t>(seconds + 0.5);
  const std::string ss = std::to_string(s % 60);
  return std::to_string(s / 60) + ":" + (ss.size() == 1 ? "0" + ss : ss);
}

}  // namespace

std::string progress_line(const std::string& label, const std::string& unit, uint64_t done, uint64_t total,
                          double seconds) {
  const double rate = seconds > 0 ? static_cast<double>(done) / seconds : 0;
  const std::string per_second = grouped(static_cast<uint64_t>(rate)) + " " + unit + "/s";
  if (done >= total) {
    char elapsed[32];
    std::snprintf(elapsed, sizeof elapsed, "%.1f s", seconds);
    return label + ": " + grouped(total) + " " + unit + " in " + elapsed + ", " + per_second;
  }
  std::string line = label + ": " + grouped(done) + "/" + grouped(total) + " " + unit;
  if (rate > 0) line += ", " + per_second + ", " + minutes_seconds(static_cast<double>(total - done) / rate) + " left";
  return line;
}

ProgressFn terminal_progress(const std::string& label, const std::string& unit) {
  if (::isatty(STDERR_FILENO) == 0) return {};
  using Clock = std::chrono::steady_clock;
  // The clock starts at the first report, not when the step starts: a step reads the ledger
  // before it reports anything, and counting that time made the first rates and times left
  // several times too pessimistic. The rate is over the items since the first report.
  struct State {
    bool started = false;
    Clock::time_point first{}, drawn{};
    uint64_t first_done = 0;
  };
  auto state = std::make_shared<State>();
  return [label, unit, state](uint64_t done, uint64_t total) {
    const auto now = Clock::now();
    if (!state->started) state->started = true, state->first = now, state->first_done = done;
    const bool finished = done >= total;
    if (!finished && now - state->drawn < std::chrono::milliseconds(100)) return;
    state->drawn = now;
    const double seconds = std::chrono::duration<double>(now - state->first).count();
    // As if the items before the first report took as long as the ones since.
    const double measured = done > state->first_done && seconds > 0
                                ? seconds * static_cast<double>(done) / static_cast<double>(done - state->first_done)
                                : 0;
    // \r and "erase to end of line" redraw the one line in place.
    std::fprintf(stderr, "\r%s\x1b[K%s", progress_line(label, unit, done, total, measured).c_str(), finished ? "\n" : "");
    std::fflush(stderr);
  };
}

}  // namespace closebook::cli
