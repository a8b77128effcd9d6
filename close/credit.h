// Credits (docs/close.md §3): an amount or quantity credited back to a partner against priced lines,
// naming them by index and hash. A credit against a signed period reopens it (PeriodReopen)
// and raises a CREDIT_RECOVERY exception, so the next sign-off covers it; the partner's next
// invoice carries it as a credit note. See docs/close.md §3.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "evidence/decimal.h"
#include "ledger/ledger.h"
#include "match/config.h"

namespace closebook::close {

struct CreditRequest {
  std::vector<std::string> line_ids;  // priced lines of one period and partner
  std::optional<Decimal> amount;      // the credit, in the partner's currency, > 0
  std::optional<Decimal> quantity;    // or a quantity per line, valued at each line's sell unit price
  std::string reason;
  std::string vendor_credit_ref;      // the vendor's credit note, if the credit passes one on
  match::CloseConfig config = match::CloseConfig::defaults();
};

struct CreditPlan {
  std::vector<ledger::Draft> drafts;  // Credit, then (if signed) PeriodReopen and CREDIT_RECOVERY
  uint64_t planned_at_size = 0;
  std::string credit_id, period, partner_id, currency;
  Decimal amount;
  bool reopened = false;
  std::optional<uint64_t> recorded_at;  // the same credit was recorded before, at this entry: no drafts
};

// "CR-2026-10-1a2b3c4d": from the lines, amount and reason, so the same credit asked twice
// is one credit.
Result<CreditPlan> plan_credit(const ledger::Snapshot& snapshot, const CreditRequest& request);

}  // namespace closebook::close
