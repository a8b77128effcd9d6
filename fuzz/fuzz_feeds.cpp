// Vendor feeds as exported (Partner Center NCE, the generic invoice, usage): any bytes give a
// plan or an error naming where, never a crash.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "match/feeds.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  using closebook::match::FeedFormat;
  // The first byte picks the format, so one corpus covers all three.
  const FeedFormat format = data[0] % 3 == 0 ? FeedFormat::kMicrosoftNce
                            : data[0] % 3 == 1 ? FeedFormat::kGenericInvoice
                                               : FeedFormat::kUsage;
  const std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  auto plan = closebook::match::plan_feed_load(format, "fuzz.csv", bytes, {"2026-10", nullptr});
  if (!plan.ok()) (void)plan.error().to_string();
  return 0;
}
