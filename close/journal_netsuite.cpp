// NetSuite's journal entry CSV import (docs/close.md §5.4; NetSuite Help, "Journal Entry
// Import", Import CSV Records > Transactions > Journal Entry, data handling Add): a row per line,
// the journal's External ID and header fields on every row, its lines consecutive, one of Debit
// or Credit per line and no totals row. The External ID is the journal id, so importing the
// same file again is refused by NetSuite ("This record already exists") instead of posting
// twice. A journal over 1,000 lines (NetSuite imports 10,000 but slows past 1,000) is split
// between balanced runs into journals of their own External ID.
#include <sstream>

#include "close/journal_formats.h"
#include "evidence/decimal.h"
#include "match/csv.h"
#include "match/fields.h"

namespace closebook::close {
namespace {

constexpr size_t kNetSuiteLinesPerJournal = 1000;

}  // namespace

Result<std::vector<GlFile>> journal_netsuite(const JournalView& journal, const match::JournalConfig& config) {
  using match::text_of;
  auto p = journal.posting.reader().getKind().getJournalPosting();
  const auto lines = p.getLines();
  CB_TRY(Date last, journal_date(journal));
  const std::string day = two_digits(last.day), month = two_digits(last.month), year = std::to_string(last.year);
  const std::string date = config.netsuite_date_format == "mm/dd/yyyy" ? month + "/" + day + "/" + year : day + "/" + month + "/" + year;
  const match::GlOrganisation* org = config.organisation(text_of(p.getOrganisation()));
  const std::string subsidiary = org != nullptr ? org->subsidiary : "";
  CB_TRY(auto runs, balanced_runs(journal));
  const auto parts = pack_runs(runs, kNetSuiteLinesPerJournal);
  std::ostringstream csv;
  csv << "External ID," << (subsidiary.empty() ? "" : "Subsidiary,")
      << "Currency,Date,Memo,Journal Entry - Line: Account,Journal Entry - Line: Debit,Journal Entry - Line: Credit,"
         "Journal Entry - Line: Memo\n";
  for (size_t k = 0; k < parts.size(); ++k) {
    const std::string part = parts.size() > 1 ? "-P" + std::to_string(k + 1) : "";
    const std::string external_id = "closebook-" + journal.id() + part;
    const std::string memo = "closebook " + journal.id() + (parts.size() > 1 ? " part " + std::to_string(k + 1) + " of " + std::to_string(parts.size()) : "");
    for (unsigned i : parts[k]) {
      auto l = lines[i];
      CB_TRY(Decimal amount, match::decimal_of(l.getAmount()));
      const std::string magnitude = amount.abs().to_string();
      csv << csv::cell(external_id, true) << "," << (subsidiary.empty() ? "" : csv::cell(subsidiary, true) + ",")
          << csv::cell(text_of(p.getCurrency()), true) << "," << date << "," << csv::cell(memo, true) << ","
          << csv::cell(text_of(l.getAccount()), true) << "," << (amount.sign() > 0 ? magnitude : "") << ","
          << (amount.sign() > 0 ? "" : magnitude) << "," << csv::cell(text_of(l.getDescription()), true) << "\n";
    }
  }
  return std::vector<GlFile>{{journal.id() + ".netsuite.csv", csv.str()}};
}

}  // namespace closebook::close
