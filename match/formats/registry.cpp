// The registry of feed formats. Adding a vendor: its file in match/formats/ defining a Format,
// one line here, its section in docs/matching.md §1, a fuzz seed and a test.
#include <cassert>

#include "match/formats/format.h"

namespace closebook::match {

extern const Format kMicrosoftNce;
extern const Format kGenericInvoice;
extern const Format kClosebookUsage;
extern const Format kMicrosoftAzureDailyRated;

const std::vector<const Format*>& formats() {
  static const std::vector<const Format*> all = {&kMicrosoftNce, &kGenericInvoice, &kClosebookUsage,
                                                     &kMicrosoftAzureDailyRated};
  return all;
}

const Format& format(std::string_view name) {
  for (const Format* f : formats()) {
    if (f->name == name) return *f;
  }
  assert(false && "no such shipped format");
  return *formats().front();
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
