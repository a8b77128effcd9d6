#include "evidence/entry.h"

#include <algorithm>

#include <capnp/compat/json.h>
#include <capnp/dynamic.h>
#include <capnp/serialize.h>
#include <kj/exception.h>

#include <cassert>
#include <cstring>

namespace closebook {
namespace {

std::string words_to_string(kj::ArrayPtr<const capnp::word> words) {
  auto bytes = words.asBytes();
  return std::string(reinterpret_cast<const char*>(bytes.begin()), bytes.size());
}

capnp::ReaderOptions reader_options() {
  capnp::ReaderOptions options;
  options.traversalLimitInWords = kEntryBytesMax / sizeof(capnp::word) * 2;
  options.nestingLimit = 16;
  return options;
}

// Reads every present field through the schema, so a pointer of the wrong shape (a Text
// without its NUL, a list of the wrong element size) fails here, inside decode(), and not
// later in some accessor. Structure alone (isCanonical) does not check field types.
void read_every_field(capnp::DynamicStruct::Reader object, int depth);

void read_value(capnp::DynamicValue::Reader value, int depth) {
  switch (value.getType()) {
    case capnp::DynamicValue::TEXT: (void)value.as<capnp::Text>(); break;
    case capnp::DynamicValue::DATA: (void)value.as<capnp::Data>(); break;
    case capnp::DynamicValue::STRUCT: read_every_field(value.as<capnp::DynamicStruct>(), depth + 1); break;
    case capnp::DynamicValue::LIST:
      for (auto element : value.as<capnp::DynamicList>()) read_value(element, depth + 1);
      break;
    default: break;  // scalars and enums live in the data section: nothing to dereference
  }
}

void read_every_field(capnp::DynamicStruct::Reader object, int depth) {
  KJ_REQUIRE(depth < 32, "entry nests too deeply");
  KJ_IF_MAYBE(active, object.which()) { read_value(object.get(*active), depth); }
  for (auto field : object.getSchema().getNonUnionFields()) {
    if (object.has(field)) read_value(object.get(field), depth);
  }
}

}  // namespace

std::string canonical_bytes(schema::Entry::Reader entry) {
  kj::Array<capnp::word> words = capnp::canonicalize(entry);
  return words_to_string(words);
}

Result<DecodedEntry> DecodedEntry::decode(std::string_view bytes) {
  if (bytes.empty() || bytes.size() % sizeof(capnp::word) != 0) {
    return Error::corruption("entry is not a whole number of 8-byte words (" +
                             std::to_string(bytes.size()) + " bytes)");
  }
  if (bytes.size() > kEntryBytesMax) return Error::corruption("entry is larger than 4 MiB");
  DecodedEntry out;
  out.bytes_ = std::string(bytes);
  const size_t word_count = bytes.size() / sizeof(capnp::word);
  out.words_ = std::make_unique<capnp::word[]>(word_count);
  std::memcpy(out.words_.get(), bytes.data(), bytes.size());
  // Cap'n Proto reports malformed input by throwing kj::Exception; nothing else here throws.
  kj::Maybe<kj::Exception> failure = kj::runCatchingExceptions([&]() {
    out.segment_ = std::make_unique<kj::ArrayPtr<const capnp::word>>(
        out.words_.get(), word_count);
    out.message_ = std::make_unique<capnp::SegmentArrayMessageReader>(
        kj::arrayPtr(out.segment_.get(), 1), reader_options());
    out.reader_ = out.message_->getRoot<schema::Entry>();
    // isCanonical() walks the whole message, so every pointer has been bounds-checked.
    if (!out.message_->isCanonical()) KJ_FAIL_REQUIRE("not canonical");
    if (canonical_bytes(out.reader_) != out.bytes_) KJ_FAIL_REQUIRE("not canonical");
    read_every_field(capnp::toDynamic(out.reader_), 0);
  });
  KJ_IF_MAYBE(e, failure) {
    return Error::corruption(std::string("entry is not a canonical Cap'n Proto Entry: ") +
                             e->getDescription().cStr());
  }
  return out;
}

Hash hash_of(capnp::Data::Reader data) {
  Hash h{};
  if (data.size() == h.size()) std::copy(data.begin(), data.end(), h.begin());
  return h;
}

std::string entry_json(schema::Entry::Reader entry) {
  capnp::JsonCodec codec;
  codec.handleByAnnotation<schema::Entry>();
  kj::String json = codec.encode(entry);
  return std::string(json.cStr(), json.size());
}

Hash content_hash(schema::Entry::Reader entry) {
  capnp::MallocMessageBuilder message;
  message.setRoot(entry);
  auto copy = message.getRoot<schema::Entry>();
  copy.setIndex(0);
  copy.disownPrevHash();
  copy.setRecordedAt(0);
  copy.disownAuthor();
  return sha256(as_bytes(canonical_bytes(copy.asReader())));
}

std::string kind_name(schema::Entry::Reader entry) {
  auto fields = capnp::Schema::from<schema::Entry::Kind>().getUnionFields();
  const auto which = static_cast<uint16_t>(entry.getKind().which());
  for (auto field : fields) {
    if (field.getProto().getDiscriminantValue() == which) {
      return std::string(field.getProto().getName().cStr());
    }
  }
  return "unknown";
}

}  // namespace closebook
