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

// What begins the extension line that makes a checkpoint-shaped note a sign-off statement, of
// any version (docs/close.md §1: closebook-signoff/v1, and close::kStatementTag, v2). The log
// key signs statements too, so this line is what keeps a statement from ever passing for one
// of the log's checkpoints.
inline constexpr std::string_view kSignOffExtensionPrefix = "closebook-signoff/";

// A checkpoint whose signature by `key` verifies, parsed from a signed note.
struct VerifiedCheckpoint {
  Checkpoint checkpoint;
  Note note;
};
// Opens one of the log's own checkpoints: signed by `key`, whose name is the origin, and not
// a sign-off statement (Error::invalid if an extension line begins with kSignOffExtensionPrefix). A
// statement is checked as part of its SignOff entry (evidence/signoff_check.h) instead.
Result<VerifiedCheckpoint> open_checkpoint(std::string_view signed_note, const VerifierKey& key);

}  // namespace closebook
