// Progress of a long step on the terminal: done/total, the rate, and the time left at that
// rate (docs/performance.md: a million-line close takes minutes). Shown only when stderr is a terminal,
// so scripts, pipes and logs stay clean; redrawn at most ten times a second.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace closebook::cli {

using ProgressFn = std::function<void(uint64_t done, uint64_t total)>;

// "price 2026-10: 45,000/88,262 keys, 12,345 keys/s, 0:04 left" (without rate and time left
// until `seconds` is known), or when done "price 2026-10: 88,262 keys in 7.2 s, 12,259 keys/s".
std::string progress_line(const std::string& label, const std::string& unit, uint64_t done, uint64_t total,
                          double seconds);

// A reporter for `label`, or an empty function when stderr is not a terminal.
ProgressFn terminal_progress(const std::string& label, const std::string& unit);

}  // namespace closebook::cli
