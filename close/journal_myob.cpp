// MYOB AccountRight's general journal import (docs/close.md §5.3; MYOB, "Import and export
// fields", General Journal Entries): tab-delimited with a header row, a blank line after each
// journal record, unsigned amounts in the tax-exclusive debit or credit column. A record per
// balanced run: an invoice's lines (GST reporting S, the revenue line with its tax code and its
// GST amount, so MYOB posts the GST once, as closebook rounded it) or a vendor's cost pair (P).
#include <sstream>

#include "close/journal_formats.h"
#include "evidence/decimal.h"
#include "match/fields.h"

namespace closebook::close {
namespace {

using match::text_of;

constexpr const char* kHeader =
    "Journal Number\tDate\tMemo\tGST (BAS) Reporting\tInclusive\tAccount Number\tDebit Ex-Tax Amount\t"
    "Debit Inc-Tax Amount\tCredit Ex-Tax Amount\tCredit Inc-Tax Amount\tJob\tTax Code\tNon-GST/LCT Amount\t"
    "GST Amount\tLCT Amount\tImport Duty Amount\tCurrency Code\tExchange Rate\tAllocation Memo\tCategory\n";

// A tab-delimited field: tabs and line breaks would split it, so they become spaces; `max`
// is MYOB's field length (Memo and Allocation Memo 255).
std::string field(const std::string& value, size_t max) {
  std::string v = value.substr(0, max);
  for (char& c : v) {
    if (c == '\t' || c == '\n' || c == '\r') c = ' ';
  }
  return v;
}

struct Row {
  std::string account, tax_code, memo;
  Decimal amount, gst;  // amount: signed, tax-exclusive
};

}  // namespace

Result<std::vector<GlFile>> journal_myob(const JournalView& journal, const match::JournalConfig& config) {
  auto p = journal.posting.reader().getKind().getJournalPosting();
  const auto lines = p.getLines();
  const uint64_t at = journal.posting.reader().getIndex();
  CB_TRY(Date last, journal_date(journal));
  const std::string date = dd_mm_yyyy(last);
  // The organisation's codes, or the default chart's for a journal of none (before organisations).
  const match::GlOrganisation* org = config.organisation(text_of(p.getOrganisation()));
  const match::JournalAccounts& codes = org != nullptr ? org->accounts : config.accounts;
  CB_TRY(auto runs, balanced_runs(journal));
  // Journal numbers: YYMM, the sign-off's issue, the record — at most 13 characters, MYOB's
  // DisplayID (MYOB API, GeneralJournal), unique across the period's journals of one file.
  const std::string id = journal.id();
  const std::string prefix = two_digits(last.year % 100) + two_digits(last.month) + std::to_string(journal.issue()) + "-";
  std::ostringstream out;
  out << kHeader;
  unsigned record = 0;
  for (const auto& run : runs) {
    std::vector<Row> rows;
    bool sale = false;
    for (unsigned i : run) {
      auto l = lines[i];
      const std::string role = text_of(l.getRole());
      CB_TRY(Decimal amount, match::decimal_of(l.getAmount()));
      if (role == "gst") {
        // Taken with the revenue line before it: MYOB posts it to its GST collected account.
        if (rows.empty() || rows.back().tax_code != codes.myob_tax_income) {
          return Error::corruption("journal posting line " + std::to_string(i + 1) + ": GST not after a taxable revenue line").at_entry(at);
        }
        CB_TRY(rows.back().gst, rows.back().gst.add(amount));
        continue;
      }
      sale = sale || role == "receivable";
      const std::string tax = role == "revenue" ? codes.myob_tax_income : role == "revenueGstFree" ? codes.myob_tax_export : codes.myob_tax_none;
      rows.push_back({text_of(l.getAccount()), tax, text_of(l.getDescription()), amount, Decimal()});
    }
    const std::string seq = std::to_string(++record);
    const std::string number = prefix + std::string(seq.size() < 5 ? 5 - seq.size() : 0, '0') + seq;
    for (const Row& r : rows) {
      const bool debit = r.amount.sign() > 0;
      const std::string amount = r.amount.abs().to_string();
      out << number << "\t" << date << "\t" << field("closebook " + id + " " + rows.front().memo, 255) << "\t" << (sale ? "S" : "P")
          << "\t\t" << r.account << "\t" << (debit ? amount : "") << "\t\t" << (debit ? "" : amount) << "\t\t\t" << r.tax_code
          << "\t\t" << (r.gst.is_zero() ? "" : r.gst.abs().to_string()) << "\t\t\t\t\t" << field(r.memo, 255) << "\t\n";
    }
    out << "\n";  // "a blank line must be entered between each record"
  }
  return std::vector<GlFile>{{id + ".txt", out.str()}};
}

}  // namespace closebook::close
