// closebook-verify: the auditor's checks. Depends on evidence/ only; the ledger directory is
// read with this file's own LMDB reader, following the documented layout (docs/ledger.md §7),
// so a bug or a lie in ledger/ cannot vouch for itself.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <iosfwd>
#include <set>
#include <string>

#include "evidence/hash.h"
#include "evidence/note.h"
#include "evidence/result.h"

namespace closebook::verify {

struct LedgerReport {
  std::string origin;
  uint64_t entries = 0;
  uint64_t checkpoints = 0;
  Hash root{};
  uint64_t sign_offs = 0;  // each checked: statement = a verified tree head, signers registered and active
  bool parallel = false;   // entries were decoded on worker threads (else the ledger changed under it)
  // Recomputed by the rules of docs/evidence.md §2 (verify/rules.h).
  uint64_t lines_recomputed = 0, credits_recomputed = 0, invoices_recomputed = 0, statements_recomputed = 0;
  uint64_t subjects = 0;  // L8: subjects of the map rebuilt from the entries (0: the ledger signs no map)
};

// Replays every entry of the ledger in `dir`: canonical encoding, index sequence, hash chain,
// recordedAt order, stored tree nodes, the Merkle root of every checkpoint and every
// checkpoint's signature by `key` — the key the auditor trusts, never the ledger's own claim —
// and every rule of docs/evidence.md §2 with the whole ledger: every amount recomputed.
// The first failure is returned as Corruption naming the entry or checkpoint.
Result<LedgerReport> replay_ledger(const std::string& dir, const VerifierKey& key);

// Offline checks of the log interface's outputs (docs/ledger.md §9).
struct CheckpointReport {
  std::string origin;
  uint64_t size = 0;
  Hash root{};
};
Result<CheckpointReport> check_checkpoint(std::string_view signed_note, const VerifierKey& key);
// proof_json: {"index","size","leaf_hash","hashes"}; entry: raw entry bytes.
Result<CheckpointReport> check_inclusion(std::string_view signed_note, std::string_view proof_json,
                                         std::string_view entry, const VerifierKey& key);
// proof_json: {"old_size","size","hashes"}.
Result<CheckpointReport> check_consistency(std::string_view old_note, std::string_view new_note,
                                           std::string_view proof_json, const VerifierKey& key);

// An entry read from the log's tlog-tiles (docs/ledger.md §9.1), wherever they are served:
// `fetch` returns a file by its path under the tiles' base ("checkpoint", "tile/…"). The
// checkpoint is verified under `key`; the entry is the one at `index` in its entry bundle,
// canonical and saying it is that index, and included under the checkpoint's root by a proof
// computed from the hash tiles. With `old_note` (a checkpoint the caller already holds, e.g.
// from a witness), the published checkpoint must extend it, proven from the tiles too.
struct TilesReport {
  CheckpointReport checkpoint;
  uint64_t index = 0;
  std::string entry;  // its raw bytes
  std::string kind;   // e.g. "invoice"
  uint64_t old_size = 0;
  uint64_t tiles_fetched = 0;
};
using TileFetch = std::function<Result<std::string>(const std::string& path)>;
Result<TilesReport> check_tiles_entry(const TileFetch& fetch, uint64_t index, const VerifierKey& key,
                                      std::optional<std::string_view> old_note = std::nullopt);

// That a checkpoint of the log `key` signs counts under a C2SP tlog-policy (docs/ledger.md
// §4.1): the policy's quorum of witnesses cosigned it, each no more than `max_age_seconds`
// before `now` when an age is given. A policy that lists logs must list `key`. Corruption,
// naming the witnesses missing or stale, otherwise.
Status check_witnessed(std::string_view signed_note, const VerifierKey& key, std::string_view policy_text, uint64_t now,
                       std::optional<uint64_t> max_age_seconds);

// An evidence bundle (docs/evidence.md), checked offline with the log's key alone.
struct BundleReport {
  std::string subject_kind, subject_id;
  std::string origin;
  uint64_t tree_size = 0;
  uint64_t entries = 0;
  uint64_t references = 0;
  uint64_t sign_offs = 0;
  std::set<std::string> signers;  // finance keys that signed the sign-offs
  uint64_t lines_recomputed = 0;
  uint64_t invoices_recomputed = 0;
  // R34: a partner's bundle withholds the distributor's side of these (their sealed parts).
  uint64_t lines_cost_withheld = 0;   // sell amount checked; cost, margin, rule choice not
  uint64_t lines_usage_withheld = 0;  // and their rated usage (the vendor's price): quantity not recomputed
  uint64_t summaries_withheld = 0;    // sign-off signed and consistent; its summary not recomputed
  uint64_t subjects_proven = 0;  // R33: subjects whose every entry the bundle carries or withholds
  uint64_t withheld = 0;         // entries kept from the bundle's audience, their inclusion proven
  std::string checkpoint;        // the signed checkpoint it is proven at, with any cosignatures
};
Result<BundleReport> check_bundle(std::string_view bundle_json, const VerifierKey& key);

}  // namespace closebook::verify
