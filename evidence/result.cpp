#include "evidence/result.h"

namespace closebook {

const char* code_name(Code code) {
  switch (code) {
    case Code::kInvalidArgument: return "invalid-argument";
    case Code::kNotFound: return "not-found";
    case Code::kCorruption: return "corruption";
    case Code::kIOError: return "io-error";
    case Code::kFull: return "full";
    case Code::kConflict: return "conflict";
    case Code::kPermission: return "permission";
    case Code::kBusy: return "busy";
  }
  return "unknown";
}

std::string Error::to_string() const {
  std::string out;
  if (!file.empty()) {
    out += file;
    if (line != 0) out += ":" + std::to_string(line);
    out += ": ";
  }
  if (entry_index) out += "entry " + std::to_string(*entry_index) + ": ";
  if (!field.empty()) out += "field " + field + ": ";
  out += message;
  return out;
}

}  // namespace closebook
