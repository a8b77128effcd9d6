// Xero's manual-journal import (docs/close.md §5.2; Xero Central, "Add, import and post manual
// journals"): the ten template columns, dd/mm/yyyy dates, debits positive and credits negative,
// one narration and date per journal, at most 300 lines a file. Every line is BAS Excluded (GST
// export revenue GST Free Exports, 0%) and GST is its own line to the GST account, so Xero
// computes no tax and posts each amount as written: each file balances in Xero's terms as it
// does in the ledger.
#include <sstream>

#include "close/journal_formats.h"
#include "match/csv.h"
#include "match/fields.h"

namespace closebook::close {
namespace {

constexpr size_t kXeroLinesPerFile = 300;  // "you can import up to 300 lines in one template file"

}  // namespace

Result<std::vector<GlFile>> journal_xero(const JournalView& journal, const match::JournalConfig& config) {
  using match::text_of;
  auto p = journal.posting.reader().getKind().getJournalPosting();
  // Fetched once: every fetch of a list counts its whole size against capnp's traversal limit.
  const auto lines = p.getLines();
  CB_TRY(Date last, journal_date(journal));
  const std::string date = dd_mm_yyyy(last);
  CB_TRY(auto runs, balanced_runs(journal));
  const auto files = pack_runs(runs, kXeroLinesPerFile);
  // Partner in the first tracking category and vendor in the second, when the config names
  // them: an invoice's lines share a partner and a vendor's pair its vendor, so each option
  // balances and Xero books nothing to Tracking Transfers.
  const std::string first = !config.tracking_partner.empty() ? config.tracking_partner : config.tracking_vendor;
  const std::string second = !config.tracking_partner.empty() ? config.tracking_vendor : "";
  std::vector<GlFile> out;
  for (size_t f = 0; f < files.size(); ++f) {
    std::ostringstream csv;
    csv << "*Narration,*Date,Description,*AccountCode,*TaxRate,*Amount,TrackingName1,TrackingOption1,TrackingName2,TrackingOption2\n";
    const std::string part = files.size() > 1 ? " (" + std::to_string(f + 1) + "/" + std::to_string(files.size()) + ")" : "";
    const std::string narration = "closebook " + journal.id() + part;
    for (unsigned i : files[f]) {
      auto l = lines[i];
      auto option = [&](const std::string& category) {
        if (category.empty()) return std::string(",");
        const std::string value = category == config.tracking_partner ? text_of(l.getPartner()) : text_of(l.getVendor());
        if (value.empty()) return std::string(",");
        return csv::cell(category, true) + "," + csv::cell(value, true);
      };
      csv << csv::cell(narration, true) << "," << date << "," << csv::cell(text_of(l.getDescription()), true) << ","
          << csv::cell(text_of(l.getAccount()), true) << "," << csv::cell(text_of(l.getTaxRate()), true) << ","
          << text_of(l.getAmount()) << "," << option(first) << "," << option(second) << "\n";
    }
    out.push_back({journal.id() + (files.size() > 1 ? "-" + std::to_string(f + 1) : "") + ".csv", csv.str()});
  }
  return out;
}

}  // namespace closebook::close
