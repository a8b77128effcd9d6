// The GL journal of a signed, invoiced period (docs/close.md §5): balanced, one per billing currency,
// each line carrying the entries it sums; exported as JSON or as Xero manual-journal CSV;
// posted once, acknowledged with the GL's reference. See docs/close.md §5.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ledger/ledger.h"
#include "match/config.h"

namespace closebook::close {

inline constexpr size_t kXeroLinesPerFile = 300;

struct JournalPlan {
  std::vector<ledger::Draft> drafts;  // one JournalPosting per currency, by currency
  uint64_t planned_at_size = 0;
  std::vector<std::string> journal_ids;
};

// The journal of the invoices issued under the period's current sign-off:
//   debit  receivable  per partner: invoice totals (GST included)
//   credit revenue     per partner: invoice subtotals
//   credit GST         collected on taxable invoices
//   debit  COGS        per vendor: the cost of the priced lines those invoices bill
//   credit payable     per vendor: the same, the AP clearing side
// Refuses a period that is not signed off or whose sign-off has no invoices yet.
Result<JournalPlan> plan_journal(const ledger::Snapshot& snapshot, const std::string& period,
                                 const match::JournalAccounts& accounts);

// The period's JournalPosting entries of its current sign-off.
Result<std::vector<DecodedEntry>> current_journals(const ledger::Snapshot& snapshot, const std::string& period);

std::string journal_json(const DecodedEntry& posting);
// Xero manual-journal CSV files (Narration, Date, Description, AccountCode, TaxRate, Amount;
// positive = debit), each at most kXeroLinesPerFile lines and each balanced on its own.
// Error::corruption (naming the entry) if the posting's period or an amount is malformed.
Result<std::vector<std::string>> journal_xero(const DecodedEntry& posting);

// The GL's acknowledgement of a posting: acking again with the same reference records nothing
// new; another reference for an acknowledged posting is refused (conflict), and so is an
// idempotency key already used for another posting or reference.
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
