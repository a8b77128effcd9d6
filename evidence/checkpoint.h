// C2SP tlog-checkpoint (https://c2sp.org/tlog-checkpoint): the note text a log signs to
// commit to its size and root. See docs/ledger.md §4.
//
//   <origin>\n<tree size, decimal>\n<base64 root hash>\n[<extension line>\n]...
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "evidence/hash.h"
#include "evidence/note.h"
#include "evidence/result.h"

namespace closebook {

struct Checkpoint {
  std::string origin;
  uint64_t size = 0;
  Hash root{};
  std::vector<std::string> extensions;

  std::string body() const;
  static Result<Checkpoint> parse(std::string_view body);
};

// A checkpoint whose signature by `key` verifies, parsed from a signed note.
struct VerifiedCheckpoint {
  Checkpoint checkpoint;
  Note note;
};
Result<VerifiedCheckpoint> open_checkpoint(std::string_view signed_note, const VerifierKey& key);

}  // namespace closebook
