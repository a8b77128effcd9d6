// Ledger entries as bytes: canonical decoding, the JSON form and the index keys. Cap'n Proto
// refuses what it cannot read safely with an exception, which closebook reports; nothing else
// may escape.
#include <kj/exception.h>

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "evidence/entry.h"
#include "ledger/indexes.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto entry = closebook::DecodedEntry::decode(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!entry.ok()) return 0;
  try {
    (void)closebook::entry_json(entry->reader());
    (void)closebook::kind_name(entry->reader());
    (void)closebook::ledger::index_keys(entry->reader());
  } catch (const kj::Exception&) {
  }
  return 0;
}
