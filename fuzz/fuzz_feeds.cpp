// Vendor feeds as exported, in every registered format (match/formats/) and every shipped feed
// profile (match/formats/profiles/): any bytes give a plan or an error naming where, never a crash.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "match/feeds.h"
#include "match/formats/profile.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  // The first byte picks the format or profile, so one corpus covers them all.
  const auto& formats = closebook::match::formats();
  const auto& profiles = closebook::match::shipped_profiles();
  const size_t pick = data[0] % (formats.size() + profiles.size());
  const std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  const closebook::match::FeedOptions options{"2026-10", nullptr};
  auto plan = pick < formats.size()
                  ? closebook::match::plan_feed_load(*formats[pick], "fuzz.csv", bytes, options)
                  : closebook::match::plan_profile_load(profiles[pick - formats.size()], "fuzz.csv", bytes, options);
  if (!plan.ok()) (void)plan.error().to_string();
  return 0;
}
