// Ledger entries as bytes: canonical decoding (decode(), and decode_stored() as the ledger
// reads its own entries back), the JSON form, the index keys, and a journal posting's GL
// import files (they read the stored entry alone). Cap'n Proto refuses what it
// cannot read safely with an exception, which decoding reports as an error; once an entry is
// accepted, nothing that reads it may throw.
#include <kj/exception.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "close/journal_formats.h"
#include "evidence/entry.h"
#include "ledger/indexes.h"

namespace {

void read_everything(const closebook::DecodedEntry& entry) {
  auto failure = kj::runCatchingExceptions([&] {
    (void)closebook::entry_json(entry.reader());
    (void)closebook::kind_name(entry.reader());
    (void)closebook::ledger::index_keys(entry.reader());
    (void)closebook::content_hash(entry.reader());
  });
  if (failure != nullptr) std::abort();  // an accepted entry that throws when read
}

// A journal posting's import files: a malformed amount or period is an error, never a throw.
void write_journal_files(closebook::DecodedEntry entry) {
  auto failure = kj::runCatchingExceptions([&] {
    const closebook::close::JournalView journal{std::move(entry), true, std::nullopt, ""};
    const closebook::match::JournalConfig config;
    (void)closebook::close::journal_json(journal);
    for (const char* format : {"xero", "myob", "netsuite"}) (void)closebook::close::find_gl_format(format)->write(journal, config);
  });
  KJ_IF_MAYBE(e, failure) {
    std::fprintf(stderr, "a journal export threw: %s\n", e->getDescription().cStr());
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto entry = closebook::DecodedEntry::decode(bytes);
  auto stored = closebook::DecodedEntry::decode_stored(bytes);
  if (entry.ok() && !stored.ok()) std::abort();  // the lighter check refused what the full one took
  if (entry.ok()) read_everything(*entry);
  if (entry.ok() && entry->reader().getKind().isJournalPosting()) write_journal_files(std::move(*entry));
  if (stored.ok()) read_everything(*stored);
  return 0;
}
