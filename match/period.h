// A period's place in the close (docs/close.md): open → matched → signed → invoiced → posted, and
// back to open when a credit reopens it. Read from the entries filed under the period.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "ledger/ledger.h"
#include "match/findings.h"

namespace closebook::match {

struct PeriodState {
  std::optional<Ref> match_run;       // the latest MatchRun
  std::optional<Ref> sign_off;        // the latest SignOff, unless a PeriodReopen followed it
  std::optional<Ref> last_sign_off;   // the latest SignOff, reopened or not
  std::optional<Ref> reopen;          // the latest PeriodReopen after it
  std::optional<Ref> invoice;         // the latest Invoice
  std::optional<Ref> posting_ack;     // the latest PostingAck after the sign-off
  unsigned journals = 0;              // journals of the sign-off
  unsigned journals_unposted = 0;     // of them, those no PostingAck acknowledges
  unsigned sign_off_count = 0;        // sign-offs so far: 1, then 2 after a reopen, ...
  // The latest priced line, invoice line or usage record: a match older than it no
  // longer describes the period.
  std::optional<uint64_t> last_match_input;

  // "open", "matched", "signed", "invoiced", "posted" (every journal of the sign-off acknowledged)
  const char* name() const;
};

Result<PeriodState> period_state(const ledger::Snapshot& snapshot, const std::string& period);

// The entries of `kind` (e.g. "signOff") whose effective date is `period`, in ledger order.
// The close's own kinds are few, so this reads a handful of entries however large the period.
Result<std::vector<DecodedEntry>> entries_of_period(const ledger::Snapshot& snapshot, const char* kind,
                                                    const std::string& period);

// The latest entry of kind `which` filed under the index key (name, value), e.g. the current
// version of priced line "PL-…" or invoice "INV-…"; nullopt if there is none.
Result<std::optional<DecodedEntry>> latest_entry(const ledger::Snapshot& snapshot, std::string_view name,
                                                 std::string_view value, schema::Entry::Kind::Which which);

// Invalid, naming the SignOff, if the period is signed off and not reopened: its priced lines,
// match and inputs are sealed.
Status check_period_open(const ledger::Snapshot& snapshot, const std::string& period);

// Invalid, naming the first Invoice, once a period has been invoiced: re-pricing would change
// lines a partner was billed for, and bill them again; corrections are credits.
Status check_period_unbilled(const ledger::Snapshot& snapshot, const std::string& period);

}  // namespace closebook::match
