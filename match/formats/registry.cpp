// The registry of feed formats. Adding a vendor: its file in match/formats/ defining a Format,
// one line here, its section in docs/matching.md §1, a fuzz seed and a test.
#include <cassert>

#include "match/formats/format.h"

namespace closebook::match {

extern const Format kMicrosoftNce;
extern const Format kGenericInvoice;
extern const Format kClosebookUsage;

const std::vector<const Format*>& formats() {
  static const std::vector<const Format*> all = {&kMicrosoftNce, &kGenericInvoice, &kClosebookUsage};
  return all;
}

const Format& format(std::string_view name) {
  for (const Format* f : formats()) {
    if (f->name == name) return *f;
  }
  assert(false && "no such shipped format");
  return *formats().front();
}

std::string format_names(schema::Ingest::Source source) {
  std::vector<std::string_view> names;
  for (const Format* f : formats()) {
    if (f->source == source) names.push_back(f->name);
  }
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += i + 1 == names.size() ? " or " : ", ";
    out += names[i];
  }
  return out;
}

Result<const Format*> find_format(std::string_view name, schema::Ingest::Source source) {
  for (const Format* f : formats()) {
    if (f->name == name && f->source == source) return f;
  }
  const char* what = source == schema::Ingest::Source::USAGE ? "usage" : "invoice";
  return Error::invalid("unknown " + std::string(what) + " format \"" + std::string(name) + "\" (expected " +
                        format_names(source) + ")")
      .in_field("--format");
}

const ChargeType* find_charge_type(const VendorArithmetic& arithmetic, std::string_view charge) {
  for (const ChargeType& t : arithmetic.charge_types) {
    if (t.name == charge) return &t;
  }
  return nullptr;
}

Result<const Format*> format_of_line(std::string_view name) {
  for (const Format* f : formats()) {
    if (f->name == name) return f;
  }
  return Error::corruption("a vendor line records the format \"" + std::string(name) +
                           "\", which this closebook does not read");
}

}  // namespace closebook::match
