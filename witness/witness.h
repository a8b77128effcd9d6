// A C2SP tlog-witness (https://c2sp.org/tlog-witness): it keeps, per log it is configured to
// trust, the latest checkpoint it cosigned, and cosigns a new one (C2SP tlog-cosignature) only
// if a consistency proof shows it extends that one. So a log that forks, or rolls back to an
// older tree, cannot get the cosignatures a verifier's policy asks for (docs/ledger.md §4.1).
// `closebook witness serve` runs it over HTTP (api/witness_service.h).
#pragma once

#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "evidence/cosignature.h"
#include "evidence/note.h"
#include "evidence/result.h"

namespace closebook::witness {

inline constexpr size_t kAddCheckpointBytesMax = 64 * 1024;
inline constexpr size_t kConsistencyLinesMax = 63;

// An add-checkpoint answer: the status and body tlog-witness prescribes.
struct Answer {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

class Witness {
 public:
  using Clock = std::function<uint64_t()>;  // POSIX seconds
  // `state_dir` holds one file per log origin: the latest checkpoint cosigned, written durably
  // (temporary file, fsync, rename, fsync of the directory) before any cosignature is returned.
  Witness(std::string state_dir, SigningKey key, std::vector<VerifierKey> logs, Clock clock);

  // POST <prefix>/add-checkpoint: the body "old <size>\n", proof lines, "\n", the checkpoint.
  // Thread-safe: the check against the stored size and the store are one critical section
  // (and hold a lock file, so two processes on one directory cannot roll each other back).
  Answer add_checkpoint(std::string_view body);

  // The latest checkpoint cosigned for `origin`, if any.
  Result<std::optional<std::string>> latest(std::string_view origin) const;
  CosignerKey cosigner() const { return CosignerKey::of(key_); }

 private:
  std::string state_path(std::string_view origin) const;
  Status store(std::string_view origin, const std::string& note) const;

  std::string state_dir_;
  SigningKey key_;
  std::vector<VerifierKey> logs_;
  Clock clock_;
  std::mutex mu_;
};

}  // namespace closebook::witness
