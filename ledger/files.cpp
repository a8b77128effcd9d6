#include "ledger/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace closebook {
namespace {

Error os_error(const std::string& path, const char* doing) {
  const int err = errno;
  std::string msg = std::string("cannot ") + doing + ": " + std::strerror(err);
  Error e = (err == ENOSPC || err == EDQUOT) ? Error::full(msg)
            : (err == ENOENT)                ? Error::not_found(msg)
            : (err == EACCES || err == EPERM) ? Error::permission(msg)
                                             : Error::io(msg);
  e.file = path;
  return e;
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

Result<std::string> read_fd(int fd, const std::string& path, size_t bytes_max) {
  struct stat st;
  if (::fstat(fd, &st) != 0) return os_error(path, "stat");
  if (S_ISDIR(st.st_mode)) return Error::invalid("is a directory, not a file").at(path, 0);
  if (static_cast<uint64_t>(st.st_size) > bytes_max) {
    return Error::invalid("file is larger than " + std::to_string(bytes_max) + " bytes").at(path, 0);
  }
  std::string out;
  out.reserve(static_cast<size_t>(st.st_size));
  char buf[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return os_error(path, "read");
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > bytes_max) break;
  }
  sodium_memzero(buf, sizeof buf);  // it may have held a secret key or passphrase
  if (out.size() > bytes_max) return Error::invalid("file is too large").at(path, 0);
  return out;
}

}  // namespace

Result<std::string> read_file(const std::string& path, size_t bytes_max) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return os_error(path, "open");
  return read_fd(fd.get(), path, bytes_max);
}

Status write_new_file(const std::string& path, std::string_view contents, mode_t mode) {
  Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode));
  if (fd.get() < 0) {
    if (errno == EEXIST) return Error::conflict("file exists; refusing to overwrite it").at(path, 0);
    return os_error(path, "create");
  }
  // The umask may have narrowed `mode`; never widen, but make sure it is exactly `mode`.
  if (::fchmod(fd.get(), mode) != 0) return os_error(path, "chmod");
  size_t done = 0;
  while (done < contents.size()) {
    const ssize_t n = ::write(fd.get(), contents.data() + done, contents.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return os_error(path, "write");
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd.get()) != 0) return os_error(path, "fsync");
  const std::string parent = std::filesystem::path(path).parent_path().string();
  Fd dir(::open(parent.empty() ? "." : parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.get() >= 0) ::fsync(dir.get());  // best effort: the file itself is already durable
  return {};
}

Status fsync_path(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return os_error(path, "open");
  if (::fsync(fd.get()) != 0) return os_error(path, "fsync");
  return {};
}

Status copy_new_file(const std::string& from, const std::string& to, mode_t mode) {
  std::error_code ec;
  if (std::filesystem::exists(to, ec)) return Error::conflict("file exists; refusing to overwrite it").at(to, 0);
  if (!std::filesystem::copy_file(from, to, std::filesystem::copy_options::none, ec)) {
    return Error::io("cannot copy " + from + " to " + to + ": " + ec.message());
  }
  if (::chmod(to.c_str(), mode) != 0) return os_error(to, "chmod");
  CB_CHECK(fsync_path(to));
  const std::string parent = std::filesystem::path(to).parent_path().string();
  return fsync_path(parent.empty() ? "." : parent);
}

Result<std::string> read_secret_file(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (fd.get() < 0) return os_error(path, "open");
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return os_error(path, "stat");
  if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return Error::permission(std::string("secret key file has mode ") + mode +
                             "; it must not be accessible to group or others (chmod 600 " +
                             path + ")")
        .at(path, 0);
  }
  return read_fd(fd.get(), path, 64 * 1024);
}

}  // namespace closebook
