// File I/O with the product's errors: whole-file reads with a size limit, new files written
// durably with a given mode, and secret files that must not be readable by others.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "evidence/result.h"

namespace closebook {

inline constexpr size_t kInputFileBytesMax = size_t{4} << 30;

Result<std::string> read_file(const std::string& path, size_t bytes_max = kInputFileBytesMax);
// Creates `path` (refusing to overwrite), writes, fsyncs the file and its directory.
Status write_new_file(const std::string& path, std::string_view contents, mode_t mode);
// Copies `from` to the new file `to` (refusing to overwrite) with `mode`, and fsyncs it and
// its directory.
Status copy_new_file(const std::string& from, const std::string& to, mode_t mode);
// fsyncs a file or directory that exists.
Status fsync_path(const std::string& path);
// Reads a secret key file; refuses it if group or others can read or write it.
Result<std::string> read_secret_file(const std::string& path);

}  // namespace closebook
