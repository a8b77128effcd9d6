// Reference files (partners, tenants, rules, FX) checked against a ledger holding the sample's
// partners.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string_view>

#include "ledger/ledger.h"
#include "match/reference.h"

namespace {

std::unique_ptr<closebook::ledger::Ledger> g_ledger;

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  char dir[] = "/tmp/closebook-fuzz-XXXXXX";
  if (::mkdtemp(dir) == nullptr) std::abort();
  static std::string made;
  made = dir;
  std::atexit([] { std::filesystem::remove_all(made); });  // libFuzzer exits through exit()
  const std::string path = std::string(dir) + "/ledger";
  auto key = closebook::SigningKey::generate("closebook.fuzz/reference").value();
  // A sealed key file is needed by init only; its content does not matter here.
  if (!closebook::ledger::Ledger::init(path, key, {key.name(), "unused"}).ok()) std::abort();
  // The sample's partners, so tenant and rule rows get past "unknown partner" to their own checks.
  {
    auto writable = std::move(closebook::ledger::Ledger::open(path, {})).value();
    std::ifstream file(CLOSEBOOK_SOURCE_DIR "/data/sample/partners.csv");
    const std::string partners((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    auto plan = closebook::match::plan_reference_load(closebook::match::ReferenceKind::kPartners, "partners.csv",
                                                      partners, writable->snapshot().value());
    if (!plan.ok() || !writable->append(plan->drafts, key).ok()) std::abort();
  }
  g_ledger = std::move(closebook::ledger::Ledger::open(path, {.read_only = true})).value();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  using closebook::match::ReferenceKind;
  const ReferenceKind kinds[] = {ReferenceKind::kPartners, ReferenceKind::kTenants, ReferenceKind::kRules,
                                 ReferenceKind::kFx};
  const std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  auto snapshot = g_ledger->snapshot().value();
  auto plan = closebook::match::plan_reference_load(kinds[data[0] % 4], "fuzz.csv", bytes, snapshot);
  if (!plan.ok()) (void)plan.error().to_string();
  return 0;
}
