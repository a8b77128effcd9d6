// Canonical encoding of ledger entries (evidence/entry.capnp). See docs/ledger.md §2.
//
// An entry's bytes are capnp::canonicalize() of a message whose root is schema::Entry: one
// segment, no segment table, objects in preorder, no padding beyond word alignment. The same
// entry always has the same bytes, so hashes are stable and any reader can check that stored
// bytes are canonical by re-encoding them.
#pragma once

#include <capnp/message.h>

#include <memory>
#include <string>
#include <string_view>

#include "evidence/entry.capnp.h"
#include "evidence/hash.h"
#include "evidence/result.h"

namespace closebook {

inline constexpr size_t kEntryBytesMax = 4 << 20;

// Canonical bytes of an entry (a reader of any message).
std::string canonical_bytes(schema::Entry::Reader entry);

// A decoded, validated entry. Owns its aligned copy of the bytes.
class DecodedEntry {
 public:
  // For bytes from outside (a bundle, a ledger being verified, a request): checks size,
  // alignment, structure, every field's type against the schema, and canonical form — the
  // bytes are exactly what re-encoding the entry gives.
  static Result<DecodedEntry> decode(std::string_view bytes);
  // For bytes this ledger wrote itself (ledger::Snapshot::entry), which were canonical_bytes()
  // output when appended: checks size, alignment, structure and field types, so no accessor
  // throws on a damaged page, but does not re-encode them to prove canonical form — that
  // re-encoding was 40% of reading a period. closebook-verify and bundle checks use decode().
  static Result<DecodedEntry> decode_stored(std::string_view bytes);

  schema::Entry::Reader reader() const { return reader_; }
  std::string_view bytes() const { return {reinterpret_cast<const char*>(words_.get()), size_}; }
  Hash hash() const { return leaf_hash(as_bytes(bytes())); }

 private:
  static Result<DecodedEntry> decode(std::string_view bytes, bool prove_canonical);

  size_t size_ = 0;
  std::unique_ptr<capnp::word[]> words_;
  // Canonical bytes are one segment with no segment table, so they are read as a
  // one-element segment array (FlatArrayMessageReader expects a table).
  std::unique_ptr<kj::ArrayPtr<const capnp::word>> segment_;
  std::unique_ptr<capnp::SegmentArrayMessageReader> message_;
  schema::Entry::Reader reader_;
};

// A 32-byte hash field of an entry (a key id, a reference's hash); all zero if it is not 32 bytes.
Hash hash_of(capnp::Data::Reader data);

// The JSON form of an entry, as `capnp convert canonical:json` prints it (field names from
// the schema, hashes as hex), on one line.
std::string entry_json(schema::Entry::Reader entry);

// SHA-256 over the entry with its envelope's ledger-assigned fields (index, prevHash,
// recordedAt, author, salt) cleared, i.e. over `effective` and the kind: two entries that say the
// same thing have the same content hash, whoever wrote them, which makes loads idempotent.
Hash content_hash(schema::Entry::Reader entry);

// The lower-camel name of the entry's kind, e.g. "ruleVersion".
std::string kind_name(schema::Entry::Reader entry);

}  // namespace closebook
