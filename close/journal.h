// The GL journal of a signed, invoiced period (docs/close.md §5): one per GL organisation, in
// its base currency, balanced, each line carrying the entries it sums and, when it converts an
// invoice's currency, the period's FX lock; posted once, acknowledged with the GL's reference.
// Every journal of every sign-off stays listed and acknowledgeable: a credit adds a journal.
// The GL import files are made from the entry alone (close/journal_*.cpp).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ledger/ledger.h"
#include "match/config.h"

namespace closebook::close {

struct JournalPlan {
  std::vector<ledger::Draft> drafts;  // FX locks it needs, then one JournalPosting per organisation
  uint64_t planned_at_size = 0;
  std::vector<std::string> journal_ids;
};

// The journals of the invoices issued under the period's current sign-off, one per GL
// organisation that books any of them (match/gl_config.h), each in its base currency:
//   debit  receivable clearing  per invoice: its total (GST included)
//   credit revenue              per invoice: its subtotal
//   credit GST                  per taxable invoice: its GST
//   debit  COGS                 per vendor and invoice currency: the cost of the priced lines billed
//   credit payable clearing     the same
// An invoice in another currency is converted at the period's FX lock for the pair (appended
// by this plan when pricing did not lock it). Refuses a period that is not signed off, has no
// invoices under its sign-off, or has an invoice no organisation books.
Result<JournalPlan> plan_journal(const ledger::Snapshot& snapshot, const std::string& period,
                                 const match::JournalConfig& config);

// A journal of the period and how the GL has acknowledged it.
struct JournalView {
  DecodedEntry posting;
  bool current = false;                // issued under the period's sign-off in force
  std::optional<uint64_t> ack;         // the PostingAck entry
  std::string gl_ref;                  // its reference
  std::string id() const;
  // Which sign-off of its period it is issued under: 1, or k of its id's "-k".
  unsigned issue() const;
};

// Every JournalPosting of the period, of every sign-off, in ledger order.
Result<std::vector<JournalView>> period_journals(const ledger::Snapshot& snapshot, const std::string& period);
// Every journal of the ledger the GL has not acknowledged, oldest first.
Result<std::vector<JournalView>> unacknowledged_journals(const ledger::Snapshot& snapshot);

// One line for people: the journal, which organisation's GL imports it, its totals and
// whether it is posted, e.g. "JNL-2026-10-AU: Xero organisation AU (Australian entity), AUD,
// 27 lines, debits = credits 9683.16, not yet acknowledged".
std::string journal_summary(const JournalView& journal, const match::JournalConfig& config);

// The journal as JSON: its entry, lines and refs, and whether the GL acknowledged it.
std::string journal_json(const JournalView& journal);

// The GL's acknowledgement of a journal of the period (`journal_id` may be empty when exactly
// one of the period's journals is unacknowledged): acking again with the same reference
// records nothing new; another reference for an acknowledged posting is refused (conflict),
// and so is an idempotency key already used for another posting or reference.
struct AckPlan {
  std::vector<ledger::Draft> drafts;
  uint64_t planned_at_size = 0;
  std::string journal_id;
  std::optional<uint64_t> already_at;  // the ack recorded before: no drafts
};
Result<AckPlan> plan_posting_ack(const ledger::Snapshot& snapshot, const std::string& period,
                                 const std::string& journal_id, const std::string& gl_ref,
                                 const std::string& idempotency_key, const std::string& actor);

}  // namespace closebook::close
