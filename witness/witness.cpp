#include "witness/witness.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "evidence/checkpoint.h"
#include "evidence/merkle.h"
#include "ledger/files.h"

namespace closebook::witness {
namespace {

Answer answer(int status, std::string body) { return Answer{status, "text/plain; charset=utf-8", std::move(body) + "\n"}; }

// The request body split as tlog-witness lays it out.
struct Submission {
  uint64_t old_size = 0;
  std::vector<Hash> proof;
  std::string checkpoint;
};

std::optional<uint64_t> decimal(std::string_view s) {
  if (s.empty() || s.size() > 19 || (s.size() > 1 && s[0] == '0')) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return v;
}

Result<Submission> parse_submission(std::string_view body) {
  Submission s;
  size_t at = body.find('\n');
  if (at == std::string_view::npos || !body.starts_with("old ")) return Error::invalid("the body must start with \"old <size>\"");
  auto old = decimal(body.substr(4, at - 4));
  if (!old) return Error::invalid("the old size is not a decimal without leading zeroes");
  s.old_size = *old;
  for (size_t start = at + 1;;) {
    const size_t end = body.find('\n', start);
    if (end == std::string_view::npos) return Error::invalid("the proof lines must end with an empty line");
    const std::string_view line = body.substr(start, end - start);
    start = end + 1;
    if (line.empty()) {
      s.checkpoint = std::string(body.substr(start));
      break;
    }
    if (s.proof.size() == kConsistencyLinesMax) return Error::invalid("more than 63 consistency proof lines");
    auto hash = hash_from_base64(line);
    if (!hash.ok()) return Error::invalid("a consistency proof line is not a base64 hash");
    s.proof.push_back(*hash);
  }
  return s;
}

// Holds an exclusive flock on `path` while alive.
class FileLock {
 public:
  explicit FileLock(const std::string& path) : fd_(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600)) {
    if (fd_ >= 0 && ::flock(fd_, LOCK_EX) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~FileLock() {
    if (fd_ >= 0) ::close(fd_);  // closing releases the lock
  }
  bool held() const { return fd_ >= 0; }

 private:
  int fd_;
};

}  // namespace

Witness::Witness(std::string state_dir, SigningKey key, std::vector<VerifierKey> logs, Clock clock)
    : state_dir_(std::move(state_dir)), key_(std::move(key)), logs_(std::move(logs)), clock_(std::move(clock)) {}

std::string Witness::state_path(std::string_view origin) const {
  return state_dir_ + "/" + to_hex(sha256(origin)) + ".checkpoint";
}

Result<std::optional<std::string>> Witness::latest(std::string_view origin) const {
  const std::string path = state_path(origin);
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return std::optional<std::string>();
  CB_TRY(std::string note, read_file(path, kAddCheckpointBytesMax));
  return std::optional<std::string>(std::move(note));
}

Status Witness::store(std::string_view origin, const std::string& note) const {
  const std::string path = state_path(origin), tmp = path + ".new";
  std::error_code ec;
  std::filesystem::remove(tmp, ec);
  CB_CHECK(write_new_file(tmp, note, 0600));
  if (std::rename(tmp.c_str(), path.c_str()) != 0) return Error::io("cannot rename " + tmp + " to " + path);
  return fsync_path(state_dir_);
}

Answer Witness::add_checkpoint(std::string_view body) {
  if (body.size() > kAddCheckpointBytesMax) return answer(413, "the request is over 64 KiB");
  auto submission = parse_submission(body);
  if (!submission.ok()) return answer(400, submission.error().message);
  auto note = parse_note(submission->checkpoint);
  if (!note.ok()) return answer(400, "the checkpoint is not a signed note: " + note.error().message);
  auto parsed = Checkpoint::parse(note->text);
  if (!parsed.ok()) return answer(400, "not a checkpoint: " + parsed.error().message);
  const std::string origin = parsed->origin;
  std::optional<VerifiedCheckpoint> checkpoint;
  bool known = false;
  for (const VerifierKey& log : logs_) {
    if (log.name != origin) continue;
    known = true;
    auto opened = open_checkpoint(submission->checkpoint, log);
    if (opened.ok()) checkpoint = std::move(*opened);
  }
  if (!known) return answer(404, "this witness does not witness the log " + origin);
  if (!checkpoint) return answer(403, "no signature of the checkpoint verifies under the log's key");
  const uint64_t size = checkpoint->checkpoint.size;
  if (submission->old_size > size) return answer(400, "the old size is larger than the checkpoint's");

  std::lock_guard<std::mutex> in_process(mu_);
  FileLock across_processes(state_dir_ + "/witness.lock");
  if (!across_processes.held()) return answer(500, "cannot lock the witness's state");
  auto stored = latest(origin);
  if (!stored.ok()) return answer(500, "cannot read the witness's state");
  std::optional<Checkpoint> previous;
  if (*stored) {
    auto stored_note = parse_note(**stored);
    auto opened = stored_note.ok() ? Checkpoint::parse(stored_note->text) : Result<Checkpoint>(stored_note.error());
    if (!opened.ok()) return answer(500, "the witness's state is damaged");
    previous = *opened;
  }
  const uint64_t recorded = previous ? previous->size : 0;
  if (submission->old_size != recorded) {
    return Answer{409, "text/x.tlog.size", std::to_string(recorded) + "\n"};
  }
  if (recorded == 0) {
    if (!submission->proof.empty()) return answer(400, "the proof must be empty from size 0");
  } else if (recorded == size) {
    if (previous->root != checkpoint->checkpoint.root) {
      return answer(409, "a different root for the size this witness cosigned: the log forked");
    }
    // The same tree with other extension lines (another subject map) would be two checkpoints
    // of one size, each cosigned: refused, as a split view of what the log signs.
    if (previous->body() != checkpoint->checkpoint.body()) {
      return answer(409, "another checkpoint body for the size this witness cosigned");
    }
  } else if (!verify_consistency(recorded, size, previous->root, checkpoint->checkpoint.root, submission->proof).ok()) {
    return answer(422, "the consistency proof from the cosigned size does not verify");
  }
  if (auto st = store(origin, submission->checkpoint); !st.ok()) return answer(500, "cannot store the checkpoint");
  return Answer{200, "text/plain; charset=utf-8", cosign(note->text, key_, clock_()).line()};
}

}  // namespace closebook::witness
