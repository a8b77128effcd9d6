#include "evidence/checkpoint.h"

#include <algorithm>
#include <cassert>
#include <charconv>

namespace closebook {
namespace {

constexpr size_t kExtensionsMax = 64;

// A canonical decimal: digits only, no sign, no leading zero unless the number is 0.
Result<uint64_t> parse_size(std::string_view text) {
  const bool canonical = !text.empty() && (text == "0" || text[0] != '0');
  uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (!canonical || ec != std::errc() || end != text.data() + text.size()) {
    return Error::invalid("checkpoint tree size is not a canonical decimal number");
  }
  return value;
}

}  // namespace

std::string Checkpoint::body() const {
  assert(!origin.empty() && origin.find('\n') == std::string::npos);
  std::string out = origin + "\n" + std::to_string(size) + "\n" + to_base64(Bytes(root)) + "\n";
  for (const std::string& ext : extensions) out += ext + "\n";
  return out;
}

Result<Checkpoint> Checkpoint::parse(std::string_view body) {
  CB_CHECK(check_note_text(body));
  std::vector<std::string_view> lines;
  while (!body.empty()) {
    const size_t eol = body.find('\n');
    lines.push_back(body.substr(0, eol));
    body.remove_prefix(eol + 1);
  }
  if (lines.size() < 3) return Error::invalid("a checkpoint has at least 3 lines");
  if (lines.size() > 3 + kExtensionsMax) return Error::invalid("checkpoint has too many lines");
  Checkpoint cp;
  cp.origin = std::string(lines[0]);
  if (cp.origin.empty()) return Error::invalid("checkpoint origin is empty");
  CB_TRY(cp.size, parse_size(lines[1]));
  CB_TRY(cp.root, hash_from_base64(lines[2]));
  for (size_t i = 3; i < lines.size(); ++i) {
    if (lines[i].empty()) return Error::invalid("checkpoint has an empty extension line");
    cp.extensions.emplace_back(lines[i]);
  }
  return cp;
}

Result<VerifiedCheckpoint> open_checkpoint(std::string_view signed_note, const VerifierKey& key) {
  CB_TRY(Note note, parse_note(signed_note));
  CB_CHECK(verify_note(note, key));
  CB_TRY(Checkpoint cp, Checkpoint::parse(note.text));
  // C2SP tlog-checkpoint: the origin names the log; the log key is named after it. A
  // checkpoint for another log signed by a key we trust is still not this log's checkpoint.
  if (cp.origin != key.name) {
    return Error::corruption("checkpoint origin \"" + cp.origin + "\" is not the key's name \"" +
                             key.name + "\"");
  }
  // Domain separation: the log key also signs sign-off statements, which are this
  // checkpoint's three lines followed by a closebook-signoff/ line (docs/close.md §1). Without this a
  // statement, signed for what finance approved, would verify as a plain log checkpoint. The
  // log's own checkpoints have no extension lines, so every one of them still opens (test:
  // CheckpointOpen.RefusesASignOffStatementAsALogCheckpoint).
  for (const std::string& line : cp.extensions) {
    if (line.starts_with(kSignOffExtensionPrefix)) {
      return Error::invalid("the note is a sign-off statement (it has the extension line " + line +
                            "), not a log checkpoint; it is checked with its SignOff entry");
    }
  }
  return VerifiedCheckpoint{std::move(cp), std::move(note)};
}

}  // namespace closebook
