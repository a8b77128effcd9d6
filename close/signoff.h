// Sign-off (docs/close.md §1): a statement of the matched period that finance signs offline, and the
// SignOff entry that records it with the signatures. See docs/close.md §1.
//
// The statement is a C2SP tlog-checkpoint of the ledger with extension lines, so a finance
// signature over it is also a cosignature of the ledger's tree head, verifiable with any
// signed-note implementation:
//
//   <origin>
//   <tree size>
//   <base64 root hash>
//   closebook-signoff/v2
//   period 2026-10
//   summary <base64 SHA-256("closebook-signoff-summary/v1\n" || salt || summary lines joined by "\n")>
//
// The summary, which a partner shown the sign-off does not see (docs/evidence.md §5), is:
//
//   match <MatchRun index> keys <n> matched <n>
//   priced <currency> lines <n> cost <amount> sell <amount> margin <amount>
//   credits <currency> count <n> amount <amount>  (credits booked in the period)
//   outstanding <CATEGORY> <currency|-> count <n> blocking <n> amount <amount>
//   override <reason>                      (only with an override)
//
// and its 32-byte salt is derived from the ledger's salt secret, the tree head and the period,
// so the statement is made again byte for byte at submission. (v1 statements listed the
// summary in the clear; SignOff entries of v1 keep verifying.)
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "evidence/checkpoint.h"
#include "evidence/note.h"
#include "ledger/ledger.h"
#include "match/config.h"
#include "match/queue.h"

namespace closebook::close {

inline constexpr std::string_view kStatementTag = "closebook-signoff/v2";
inline constexpr std::string_view kSummaryTag = "closebook-signoff-summary/v1";

struct Statement {
  Checkpoint head;  // origin, size, root; `extensions` hold the body lines
  std::string period;
  Hash summary_digest{};
  // Known to build_statement, not to parse_statement (the statement shows only the digest).
  std::string override_reason;
  std::vector<match::QueueSummaryRow> outstanding;  // open or acknowledged
  std::vector<std::string> summary_lines;
  Hash summary_salt{};
  std::string text() const { return head.body(); }
  bool blocked() const;  // an outstanding exception blocks sign-off
  // The summary as finance reviews it before signing: "salt <hex>", then its lines.
  std::string summary_text() const;
};

// SHA-256(kSummaryTag "\n" || salt || lines joined by "\n"): the statement's `summary` line.
Hash summary_digest(const Hash& salt, const std::vector<std::string>& lines);

// Checks a summary_text() against the statement it was shown with, for the approver's review:
// its digest must be the statement's `summary` line.
Status check_summary(const Statement& statement, std::string_view summary_text);

// The statement of `period` for the ledger as `snapshot` has it. Refuses a period that is not
// matched, whose match is older than its inputs, or that is signed off already.
Result<Statement> build_statement(const ledger::Snapshot& snapshot, const std::string& period,
                                  const std::string& override_reason);

// Reads statement text strictly (as produced by build_statement).
Result<Statement> parse_statement(std::string_view text);

struct SignOffOptions {
  uint32_t required_signatures = 1;  // distinct active finance keys
  // The reason the statement was made with (--override-reason), which its summary holds and
  // the statement itself does not show.
  std::string override_reason;
};

struct SignOffPlan {
  std::vector<ledger::Draft> drafts;  // the SignOffSummary, then the SignOff (last)
  uint64_t planned_at_size = 0;
  Statement statement;
  std::vector<std::string> signers;
  // Filled by add_log_signature once the log key is unlocked: the log's cosignature.
  unsigned log_signature_slot = 0;
  Hash log_key_event{};  // entry 0's hash
};

// Checks a signed statement against the ledger — it must be what build_statement says now,
// for a tree head of this ledger; every signature must verify under a finance key registered
// and not revoked; blocking exceptions need the override the statement carries — and plans
// the SignOff entry. Nothing is written on any failure.
Result<SignOffPlan> plan_signoff(const ledger::Snapshot& snapshot, std::string_view statement_text,
                                 std::string_view signature_lines, const SignOffOptions& options);

// Signs the statement with the log key into the SignOff, so the entry alone rebuilds the
// cosigned checkpoint (signoff_note).
void add_log_signature(SignOffPlan& plan, const SigningKey& log_key);

// The statement with every signature of a SignOff entry: the period's checkpoint, cosigned.
Result<std::string> signoff_note(const DecodedEntry& sign_off);

// A finance approver's signature line for a statement ("— name base64\n"), made offline.
Result<std::string> sign_statement(std::string_view statement_text, const SigningKey& key);

}  // namespace closebook::close
