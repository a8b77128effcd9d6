// Vendor feeds as exported, in every registered format (match/formats/): any bytes give a plan
// or an error naming where, never a crash.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "match/feeds.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  // The first byte picks the format, so one corpus covers them all.
  const auto& all = closebook::match::formats();
  const closebook::match::Format& format = *all[data[0] % all.size()];
  const std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  auto plan = closebook::match::plan_feed_load(format, "fuzz.csv", bytes, {"2026-10", nullptr});
  if (!plan.ok()) (void)plan.error().to_string();
  return 0;
}
