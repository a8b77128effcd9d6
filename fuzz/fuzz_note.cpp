// Signed notes, checkpoints, verifier keys and sign-off statements. The input's first line is
// a verifier key (the seeds carry the one that signed them, so mutations reach the signature
// checks); the rest is the note.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "close/signoff.h"
#include "evidence/checkpoint.h"
#include "evidence/note.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t eol = input.find('\n');
  if (eol == std::string_view::npos) return 0;
  auto key = closebook::VerifierKey::parse(input.substr(0, eol));
  const std::string_view note = input.substr(eol + 1);
  if (auto parsed = closebook::parse_note(note); parsed.ok() && key.ok()) (void)closebook::verify_note(*parsed, *key);
  (void)closebook::Checkpoint::parse(note.substr(0, note.find("\n\n") + 1));
  if (key.ok()) (void)closebook::open_checkpoint(note, *key);
  (void)closebook::close::parse_statement(note);
  return 0;
}
