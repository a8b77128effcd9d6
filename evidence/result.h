// One error type for the whole product (docs/conventions.md §2).
//
// An Error names its kind by a stable Code, and carries the context a user needs to act:
// the file, line and field of bad input, or the ledger index of bad evidence. Exit codes
// (cli/) and HTTP statuses (api/) map from the Code alone, so a Corruption (evidence does
// not verify) is never reported as an InvalidArgument (the user's input is wrong).
//
// Result<T> is a small stand-in for C++23 std::expected: g++ 12 ships <expected> only under
// -std=c++23, and clang 14 (Debian's, used for libFuzzer) cannot compile libstdc++'s version.
//
// Thread-safety: Error and Result are plain values; distinct objects may be used from any
// thread without synchronisation.
#pragma once

#include <cassert>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace closebook {

enum class Code : uint8_t {
  kInvalidArgument = 1,  // the caller's input is wrong (a file, a flag, a request body)
  kNotFound = 2,         // no such entry, file, key or period
  kCorruption = 3,       // stored or supplied evidence does not verify
  kIOError = 4,          // the operating system or storage failed (EIO, permissions, ...)
  kFull = 5,             // disk or LMDB map full
  kConflict = 6,         // the request contradicts the ledger's state (e.g. another writer)
  kPermission = 7,       // refused for safety (a readable secret key, a wrong passphrase)
  kBusy = 8,             // another process holds the ledger's writer for too long
};

// Returns the stable lower-case name of a code, e.g. "corruption".
const char* code_name(Code code);

struct Error {
  Code code = Code::kInvalidArgument;
  std::string message;  // says what was expected and what was found
  std::string file;     // input file, if any
  uint64_t line = 0;    // 1-based line in `file`, 0 if not applicable
  std::string field;    // column or field name, if any
  std::optional<uint64_t> entry_index;  // ledger entry concerned, if any

  // "file:line: field F: message" with only the parts that are set.
  std::string to_string() const;

  static Error invalid(std::string message) { return make(Code::kInvalidArgument, std::move(message)); }
  static Error not_found(std::string message) { return make(Code::kNotFound, std::move(message)); }
  static Error corruption(std::string message) { return make(Code::kCorruption, std::move(message)); }
  static Error io(std::string message) { return make(Code::kIOError, std::move(message)); }
  static Error full(std::string message) { return make(Code::kFull, std::move(message)); }
  static Error conflict(std::string message) { return make(Code::kConflict, std::move(message)); }
  static Error permission(std::string message) { return make(Code::kPermission, std::move(message)); }
  static Error busy(std::string message) { return make(Code::kBusy, std::move(message)); }

  static Error make(Code c, std::string message) {
    Error e;
    e.code = c;
    e.message = std::move(message);
    return e;
  }

  // Fluent context setters, so a lower layer's error gains the caller's context.
  Error&& at(std::string file_name, uint64_t line_number) && {
    file = std::move(file_name);
    line = line_number;
    return std::move(*this);
  }
  Error&& in_field(std::string field_name) && {
    field = std::move(field_name);
    return std::move(*this);
  }
  Error&& at_entry(uint64_t index) && {
    entry_index = index;
    return std::move(*this);
  }
};

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}
  Result(Error error) : v_(std::move(error)) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { assert(ok()); return std::get<0>(v_); }
  const T& value() const& { assert(ok()); return std::get<0>(v_); }
  T&& value() && { assert(ok()); return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const& { assert(!ok()); return std::get<1>(v_); }
  Error&& error() && { assert(!ok()); return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)) {}

  bool ok() const { return !error_.has_value(); }
  explicit operator bool() const { return ok(); }
  const Error& error() const& { assert(!ok()); return *error_; }
  Error&& error() && { assert(!ok()); return std::move(*error_); }

 private:
  std::optional<Error> error_;
};

using Status = Result<void>;

}  // namespace closebook

// Propagates an error: `CB_TRY(x, parse(s));` declares x or returns the error.
#define CB_CONCAT_INNER(a, b) a##b
#define CB_CONCAT(a, b) CB_CONCAT_INNER(a, b)
#define CB_TRY(var, expr) CB_TRY_IMPL(var, expr, CB_CONCAT(cb_result_, __LINE__))
#define CB_TRY_IMPL(var, expr, tmp)                 \
  auto tmp = (expr);                                \
  if (!tmp.ok()) return std::move(tmp).error();     \
  var = std::move(tmp).value()
// Propagates an error from a Status-returning call.
#define CB_CHECK(expr)                                          \
  do {                                                          \
    auto cb_status_ = (expr);                                   \
    if (!cb_status_.ok()) return std::move(cb_status_).error(); \
  } while (0)
