// C2SP tlog-policy (https://c2sp.org/tlog-policy): which logs and witnesses a verifier trusts
// and the quorum of cosignatures that makes a checkpoint count. Lines:
//   log <vkey> [<url>]
//   witness <name> <cosigner vkey> [<url>]
//   group <name> all|any|<k> <member>...
//   quorum <name>|none
// with '#' comments and blank lines; names are defined before use, each member listed once.
// docs/ledger.md §4.1. Pure parsing and checking, no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "evidence/cosignature.h"
#include "evidence/note.h"
#include "evidence/result.h"

namespace closebook {

struct PolicyWitness {
  std::string name;
  CosignerKey key;
  std::string url;  // the tlog-witness submission prefix; may be empty
};

class WitnessPolicy {
 public:
  static Result<WitnessPolicy> parse(std::string_view text);

  const std::vector<VerifierKey>& logs() const { return logs_; }
  const std::vector<PolicyWitness>& witnesses() const { return witnesses_; }
  bool requires_cosignatures() const { return quorum_ >= 0; }

  // Whether the witnesses that validly cosigned `note` at most `max_age_seconds` before `now`
  // (any age when nullopt; none in the future beyond 60 s of clock skew) make the quorum. Ok,
  // or Corruption naming what is missing.
  Status check(const Note& note, uint64_t now, std::optional<uint64_t> max_age_seconds) const;

 private:
  // A witness or a group, by the name the policy gives it.
  struct Node {
    std::string name;
    int witness = -1;  // index into witnesses_, or -1 for a group
    size_t threshold = 0;
    std::vector<int> members;  // node indexes
  };
  bool satisfied(int node, const std::vector<bool>& cosigned) const;
  int node_of(const std::string& name) const;  // -1 if undefined

  std::vector<VerifierKey> logs_;
  std::vector<PolicyWitness> witnesses_;
  std::vector<Node> nodes_;
  int quorum_ = -2;  // -1: none; -2: not yet given
};

}  // namespace closebook
