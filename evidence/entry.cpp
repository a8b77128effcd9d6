#include "evidence/entry.h"

#include <algorithm>

#include <capnp/compat/json.h>
#include <capnp/dynamic.h>
#include <capnp/serialize.h>
#include <kj/exception.h>

#include <cassert>
#include <cstring>
#include <map>
#include <stdexcept>
#include <vector>

namespace closebook {
namespace {

std::string words_to_string(kj::ArrayPtr<const capnp::word> words) {
  auto bytes = words.asBytes();
  return std::string(reinterpret_cast<const char*>(bytes.begin()), bytes.size());
}

constexpr uint64_t kTraversalUnlimited = UINT64_MAX;

capnp::ReaderOptions reader_options(uint64_t traversal_limit_words = kEntryBytesMax / sizeof(capnp::word) * 2) {
  capnp::ReaderOptions options;
  options.traversalLimitInWords = traversal_limit_words;
  options.nestingLimit = 16;
  return options;
}

// Checks every present pointer field against its type, so a pointer of the wrong shape (a
// Text without its NUL, a list of the wrong element size, a struct where a list belongs)
// fails here, inside decode(), and not later in some accessor. Structure alone
// (isCanonical) does not check field types.
//
// Written against a plan built once from the schema rather than through capnp's dynamic
// API: reading every field reflectively cost 60% of a decode (StructSchema::Field::getType
// on every field of every entry), and every ledger read decodes. The plan keeps, per struct
// type, the pointer slots to check and how; groups share their parent's sections, and each
// union checks only its active member, as an accessor would.
struct Checks;

struct PointerCheck {
  enum class What : uint8_t { kText, kData, kStruct, kTextList, kDataList, kStructList, kScalarList };
  uint32_t slot = 0;
  What what = What::kText;
  capnp::schema::Type::Which element = capnp::schema::Type::VOID;  // kScalarList
  const Checks* plan = nullptr;                                      // kStruct, kStructList
};

struct UnionCheck {
  uint32_t discriminant_offset = 0;  // in 16-bit units of the data section
  std::vector<Checks> cases;         // by discriminant value; an unknown one checks nothing
};

struct Checks {
  std::vector<PointerCheck> pointers;
  std::vector<UnionCheck> unions;
};

class EntryPlan {
 public:
  EntryPlan() { root_ = plan_for(capnp::Schema::from<schema::Entry>()); }
  const Checks& root() const { return *root_; }

 private:
  const Checks* plan_for(capnp::StructSchema s) {
    auto& slot = plans_[s.getProto().getId()];
    if (!slot) {  // inserted before it is filled, so a recursive type ends
      slot = std::make_unique<Checks>();
      fill(s, *slot);
    }
    return slot.get();
  }

  void fill(capnp::StructSchema s, Checks& out) {
    for (auto field : s.getNonUnionFields()) add(field, out);
    if (s.getUnionFields().size() == 0) return;
    UnionCheck u;
    u.discriminant_offset = s.getProto().getStruct().getDiscriminantOffset();
    for (auto field : s.getUnionFields()) {
      const uint16_t value = field.getProto().getDiscriminantValue();
      if (u.cases.size() <= value) u.cases.resize(value + 1u);
      add(field, u.cases[value]);
    }
    out.unions.push_back(std::move(u));
  }

  void add(capnp::StructSchema::Field field, Checks& out) {
    using T = capnp::schema::Type;
    const capnp::Type type = field.getType();
    if (field.getProto().isGroup()) return fill(type.asStruct(), out);  // the same sections
    PointerCheck c;
    c.slot = field.getProto().getSlot().getOffset();
    switch (type.which()) {
      case T::TEXT: c.what = PointerCheck::What::kText; break;
      case T::DATA: c.what = PointerCheck::What::kData; break;
      case T::STRUCT: c.what = PointerCheck::What::kStruct, c.plan = plan_for(type.asStruct()); break;
      case T::LIST: {
        const capnp::Type element = type.asList().getElementType();
        switch (element.which()) {
          case T::TEXT: c.what = PointerCheck::What::kTextList; break;
          case T::DATA: c.what = PointerCheck::What::kDataList; break;
          case T::STRUCT: c.what = PointerCheck::What::kStructList, c.plan = plan_for(element.asStruct()); break;
          case T::LIST: case T::INTERFACE: case T::ANY_POINTER:
            // Not in the schema; a field of such a type must be added here first.
            throw std::logic_error("entry.capnp: a list of pointers that decode() cannot check");
          default: c.what = PointerCheck::What::kScalarList, c.element = element.which(); break;
        }
        break;
      }
      case T::INTERFACE: case T::ANY_POINTER:
        throw std::logic_error("entry.capnp: a pointer field that decode() cannot check");
      default: return;  // scalars and enums live in the data section: nothing to dereference
    }
    out.pointers.push_back(c);
  }

  std::map<uint64_t, std::unique_ptr<Checks>> plans_;
  const Checks* root_ = nullptr;
};

void check_struct(capnp::AnyStruct::Reader object, const Checks& checks, int depth);

void check_scalar_list(capnp::AnyPointer::Reader p, capnp::schema::Type::Which element) {
  using T = capnp::schema::Type;
  switch (element) {
    case T::BOOL: (void)p.getAs<capnp::List<bool>>(); break;
    case T::INT8: case T::UINT8: (void)p.getAs<capnp::List<uint8_t>>(); break;
    case T::INT16: case T::UINT16: case T::ENUM: (void)p.getAs<capnp::List<uint16_t>>(); break;
    case T::INT32: case T::UINT32: case T::FLOAT32: (void)p.getAs<capnp::List<uint32_t>>(); break;
    case T::INT64: case T::UINT64: case T::FLOAT64: (void)p.getAs<capnp::List<uint64_t>>(); break;
    default: (void)p.getAs<capnp::List<capnp::Void>>(); break;
  }
}

void check_pointer(capnp::AnyPointer::Reader p, const PointerCheck& c, int depth) {
  using What = PointerCheck::What;
  if (p.isNull()) return;  // reads as the default
  switch (c.what) {
    case What::kText: (void)p.getAs<capnp::Text>(); break;
    case What::kData: (void)p.getAs<capnp::Data>(); break;
    case What::kStruct: check_struct(p.getAs<capnp::AnyStruct>(), *c.plan, depth + 1); break;
    case What::kTextList:
      for (auto t : p.getAs<capnp::List<capnp::Text>>()) (void)t;
      break;
    case What::kDataList:
      for (auto d : p.getAs<capnp::List<capnp::Data>>()) (void)d;
      break;
    case What::kStructList: {
      // As capnp's typed accessor does: any list but a bit list reads as a list of structs.
      auto list = p.getAs<capnp::AnyList>();
      KJ_REQUIRE(list.getElementSize() != capnp::ElementSize::BIT, "a bit list where a struct list belongs");
      for (auto element : list.as<capnp::List<capnp::AnyStruct>>()) check_struct(element, *c.plan, depth + 1);
      break;
    }
    case What::kScalarList: check_scalar_list(p, c.element); break;
  }
}

void check_struct(capnp::AnyStruct::Reader object, const Checks& checks, int depth) {
  KJ_REQUIRE(depth < 32, "entry nests too deeply");
  auto pointers = object.getPointerSection();
  for (const PointerCheck& c : checks.pointers) {
    if (c.slot < pointers.size()) check_pointer(pointers[c.slot], c, depth);
  }
  auto data = object.getDataSection();
  for (const UnionCheck& u : checks.unions) {
    const size_t at = size_t{u.discriminant_offset} * 2;
    const uint16_t value = at + 1 < data.size() ? static_cast<uint16_t>(data[at] | data[at + 1] << 8) : 0;
    if (value < u.cases.size()) check_struct(object, u.cases[value], depth);
  }
}

void check_every_field(schema::Entry::Reader entry) {
  static const EntryPlan plan;  // built once, thread-safely, on first use
  check_struct(capnp::toAny(entry), plan.root(), 0);
}

}  // namespace

std::string canonical_bytes(schema::Entry::Reader entry) {
  kj::Array<capnp::word> words = capnp::canonicalize(entry);
  return words_to_string(words);
}

Result<DecodedEntry> DecodedEntry::decode(std::string_view bytes) { return decode(bytes, true); }
Result<DecodedEntry> DecodedEntry::decode_stored(std::string_view bytes) { return decode(bytes, false); }

Result<DecodedEntry> DecodedEntry::decode(std::string_view bytes, bool prove_canonical) {
  if (bytes.empty() || bytes.size() % sizeof(capnp::word) != 0) {
    return Error::corruption("entry is not a whole number of 8-byte words (" +
                             std::to_string(bytes.size()) + " bytes)");
  }
  if (bytes.size() > kEntryBytesMax) return Error::corruption("entry is larger than 4 MiB");
  DecodedEntry out;
  out.size_ = bytes.size();
  const size_t word_count = bytes.size() / sizeof(capnp::word);
  out.words_ = std::make_unique<capnp::word[]>(word_count);
  std::memcpy(out.words_.get(), bytes.data(), bytes.size());
  // Cap'n Proto reports malformed input by throwing kj::Exception; nothing else here throws.
  kj::Maybe<kj::Exception> failure = kj::runCatchingExceptions([&]() {
    out.segment_ = std::make_unique<kj::ArrayPtr<const capnp::word>>(
        out.words_.get(), word_count);
    // isCanonical() walks the whole message under the traversal limit, so every pointer has
    // been bounds-checked, and it proves no two pointers overlap: every object is reached
    // once, in order.
    {
      capnp::SegmentArrayMessageReader bounded(kj::arrayPtr(out.segment_.get(), 1), reader_options());
      if (!bounded.isCanonical()) KJ_FAIL_REQUIRE("not canonical");
    }
    // The traversal limit guards a reader against overlapping pointers, which make a small
    // message read as a huge one; a canonical message has none, so from here a read costs
    // only its own size. Kept, the limit (twice the largest entry) failed a valid 3 MiB
    // invoice on its third full read: here (the re-encoding, the field checks), in a bundle
    // check rendering and recomputing it, or a benchmark rendering one entry in a loop.
    out.message_ = std::make_unique<capnp::SegmentArrayMessageReader>(kj::arrayPtr(out.segment_.get(), 1),
                                                                     reader_options(kTraversalUnlimited));
    out.reader_ = out.message_->getRoot<schema::Entry>();
    if (prove_canonical && canonical_bytes(out.reader_) != out.bytes()) KJ_FAIL_REQUIRE("not canonical");
    check_every_field(out.reader_);
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
  // Setting up the annotated handlers walks the whole schema: a quarter of an invoice bundle's
  // time when it was done per entry. One codec per thread (encode mutates no shared state,
  // but JsonCodec does not promise thread safety).
  struct AnnotatedCodec {
    AnnotatedCodec() { codec.handleByAnnotation<schema::Entry>(); }
    capnp::JsonCodec codec;
  };
  thread_local AnnotatedCodec annotated;
  kj::String json = annotated.codec.encode(entry);
  return std::string(json.cStr(), json.size());
}

Hash content_hash(schema::Entry::Reader entry) {
  // A draft has no envelope yet: its canonical bytes are already the content's. Copying it
  // into a message of its own first cost a third of content_hash (docs/performance.md §5).
  if (entry.getIndex() == 0 && !entry.hasPrevHash() && entry.getRecordedAt() == 0 && !entry.hasAuthor() && !entry.hasSalt()) {
    return sha256(as_bytes(canonical_bytes(entry)));
  }
  capnp::MallocMessageBuilder message;
  message.setRoot(entry);
  auto copy = message.getRoot<schema::Entry>();
  copy.setIndex(0);
  copy.disownPrevHash();
  copy.setRecordedAt(0);
  copy.disownAuthor();
  copy.disownSalt();
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
