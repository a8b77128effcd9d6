#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <sodium.h>

#include <cstdlib>

#include "cli/cli.h"
#include "evidence/keyfile.h"
#include "ledger/files.h"

namespace closebook::cli {
namespace {

// Reads one line from the controlling terminal with echo off.
Result<std::string> prompt(const char* question) {
  const int fd = ::open("/dev/tty", O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    return Error::invalid(
        "no passphrase: set CLOSEBOOK_PASSPHRASE or pass --passphrase-file (no terminal to ask on)");
  }
  termios old_mode{};
  const bool is_tty = ::tcgetattr(fd, &old_mode) == 0;
  if (is_tty) {
    termios quiet = old_mode;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(fd, TCSAFLUSH, &quiet);
  }
  (void)!::write(fd, question, std::char_traits<char>::length(question));
  std::string line;
  line.reserve(kPassphraseBytesMax + 1);  // no reallocation: no stray copies left to wipe
  char c = 0;
  while (line.size() <= kPassphraseBytesMax && ::read(fd, &c, 1) == 1 && c != '\n') line.push_back(c);
  if (is_tty) ::tcsetattr(fd, TCSAFLUSH, &old_mode);
  (void)!::write(fd, "\n", 1);
  ::close(fd);
  return line;
}

}  // namespace

Result<std::string> read_passphrase(const std::string& passphrase_file, bool confirm) {
  if (!passphrase_file.empty()) {
    // A passphrase file is as secret as the key it opens: the same mode rule applies.
    CB_TRY(std::string text, read_secret_file(passphrase_file));
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    return text;
  }
  if (const char* env = std::getenv("CLOSEBOOK_PASSPHRASE"); env != nullptr && *env != '\0') {
    return std::string(env);
  }
  CB_TRY(std::string first, prompt("passphrase: "));
  if (!confirm) return first;
  CB_TRY(std::string second, prompt("passphrase again: "));
  const bool same = first == second;
  sodium_memzero(second.data(), second.size());
  if (!same) {
    sodium_memzero(first.data(), first.size());
    return Error::invalid("the passphrases do not match");
  }
  return first;
}

Result<SigningKey> unlock_log_key(const ledger::Ledger& ledger, const std::string& passphrase_file) {
  CB_TRY(std::string passphrase, read_passphrase(passphrase_file, /*confirm=*/false));
  auto key = ledger.unlock_log_key(passphrase);
  sodium_memzero(passphrase.data(), passphrase.size());
  return key;
}

Result<SigningKey> open_key_file(const std::string& key_file, const std::string& passphrase_file) {
  CB_TRY(std::string sealed, read_secret_file(key_file));
  CB_TRY(std::string passphrase, read_passphrase(passphrase_file, false));
  auto key = open_signing_key(sealed, passphrase);
  sodium_memzero(passphrase.data(), passphrase.size());
  return key;
}

}  // namespace closebook::cli
