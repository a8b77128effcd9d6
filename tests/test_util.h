// Helpers shared by the tests: temporary directories, running the real binaries.
#pragma once

#include <sys/types.h>

#include <lmdb.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "evidence/note.h"
#include "ledger/ledger.h"

namespace closebook::test {

// A fresh directory under $TMPDIR, removed with its contents when the object dies.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Starts a program (no shell) with extra environment entries "K=V", its output to files; -1
// if it cannot start.
pid_t spawn(const std::string& program, const std::vector<std::string>& args, const std::vector<std::string>& env,
            const std::string& out_path, const std::string& err_path);
// Waits for it: its exit status, or 128 + the signal that ended it.
int wait_exit(pid_t pid);

// Runs a program with arguments (no shell), with extra environment entries "K=V".
RunResult run(const std::string& program, const std::vector<std::string>& args,
              const std::vector<std::string>& env = {});

// A key file sealed at libsodium's cheapest Argon2id cost: tests open many ledgers.
std::string cheap_seal(const SigningKey& key);

// An invoice of `items` lines as big as a large partner's (~210 bytes an item): 19,000 items
// make an entry just under the 4 MiB limit.
void fill_big_invoice(schema::Entry::Builder entry, unsigned items);
// Runs `edit` in a raw LMDB write transaction on the ledger in `dir`, as an insider with disk
// access but no log key would: no closebook code checks what it does. The ledger must be closed.
void edit_behind_its_back(const std::string& dir, const std::function<void(MDB_txn*)>& edit);
// A new ledger in `dir` whose log key is `key` (origin = the key's name). Throws on failure.
std::unique_ptr<ledger::Ledger> new_ledger(const std::string& dir, const SigningKey& key);

// The files of a period as closebook-sample writes them (name -> text): the bundled sample.
std::map<std::string, std::string> bundled_sample();
// Loads a period's files into the ledger: reference data, then the feeds with `period`.
// Throws on failure.
void load_period(ledger::Ledger& ledger, const SigningKey& key, const std::map<std::string, std::string>& files,
                 const std::string& period);
// Prices and matches `period`; throws on failure.
void price_and_match(ledger::Ledger& ledger, const SigningKey& key, const std::string& period);

// A small FX rate entry, distinct per `i`; `source_bytes` pads it to make entries larger.
ledger::Draft fx_rate_draft(int i, size_t source_bytes = 8);

std::string read_text(const std::string& path);
void write_text(const std::string& path, const std::string& text);
std::string source_dir();

}  // namespace closebook::test
