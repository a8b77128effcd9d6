#include "match/feeds.h"

#include <cassert>
#include <map>
#include <cstring>
#include <unordered_map>

#include "match/csv.h"
#include "match/fields.h"
#include "match/formats/format.h"

namespace closebook::match {
namespace {

constexpr uint64_t kProgressEveryRows = 10'000;

void set_source(ledger::Draft& draft, const Hash& file_sha, uint64_t line) {
  auto kind = draft.entry().getKind();
  auto source = kind.which() == schema::Entry::Kind::INVOICE_LINE ? kind.getInvoiceLine().initSource()
                                                                   : kind.getUsageRecord().initSource();
  source.setFileSha256(kj::arrayPtr(file_sha.data(), file_sha.size()));
  source.setLine(line);
}

// The row's identity: its values (without where they were read from) and which occurrence of
// those values it is in the file.
// Hashes are uniformly random: their first 8 bytes are a good bucket hash.
struct HashBuckets {
  size_t operator()(const Hash& h) const {
    size_t out;
    std::memcpy(&out, h.data(), sizeof out);
    return out;
  }
};
using Occurrences = std::unordered_map<Hash, uint64_t, HashBuckets>;

Hash row_identity(ledger::Draft& draft, Occurrences& occurrences) {
  const Hash values = content_hash(draft.reader());
  const uint64_t occurrence = ++occurrences[values];
  return sha256("closebook feed row\n" + to_hex(values) + "\n" + std::to_string(occurrence));
}

}  // namespace

Result<LoadPlan> plan_feed_load(const Format& spec, const std::string& file_name,
                                std::string_view bytes, const FeedOptions& options) {
  CB_CHECK(check_period_option(options));
  CB_TRY(csv::Document doc, csv::Document::parse(file_name, bytes));
  return plan_rows(spec, doc, ingest_draft(spec.source, spec.name, file_name, bytes, doc.rows.size(), options.period),
                   sha256(bytes), options);
}

Status check_period_option(const FeedOptions& options) {
  if (!options.period.empty() && !Period::parse(options.period).ok()) {
    return Error::invalid("the period \"" + options.period + "\" is not YYYY-MM").in_field("--period");
  }
  return {};
}

Result<LoadPlan> plan_rows(const Format& spec, const csv::Document& doc, ledger::Draft ingest, const Hash& file_sha,
                           const FeedOptions& options) {
  if (doc.rows.empty()) return Error::invalid("the file has a header but no rows").at(doc.file, doc.header_line);
  CB_TRY(csv::Columns columns, csv::Columns::bind(doc, spec.columns()));
  LoadPlan plan;
  plan.row_count = doc.rows.size();
  plan.drafts.reserve(doc.rows.size() + 1);
  plan.drafts.push_back(std::move(ingest));
  Occurrences occurrences;
  occurrences.reserve(doc.rows.size());
  uint64_t done = 0;
  for (const csv::Row& r : doc.rows) {
    csv::RowReader row(doc, columns, r);
    ledger::Draft draft;
    CB_CHECK(spec.build(RowContext{row, options, draft}));
    draft.idempotency_key = row_identity(draft, occurrences);
    set_source(draft, file_sha, r.line);
    draft.shrink_to_fit();
    plan.drafts.push_back(std::move(draft));
    if (options.progress && ++done % kProgressEveryRows == 0) options.progress(done, plan.row_count);
  }
  if (options.progress) options.progress(plan.row_count, plan.row_count);
  assert(plan.drafts.size() == plan.row_count + 1);
  return plan;
}

Status check_invoices_against_ledger(const ledger::Snapshot& snapshot, const LoadPlan& plan,
                                     const std::string& file_name) {
  // One lookup per invoice number, not per row: a file holds a few invoices of many lines.
  std::map<std::pair<std::string, std::string>, std::string> checked;  // (vendor, number) -> period
  for (const ledger::Draft& d : plan.drafts) {
    auto kind = const_cast<ledger::Draft&>(d).reader().getKind();
    if (!kind.isInvoiceLine()) continue;
    auto line = kind.getInvoiceLine();
    const std::string vendor = text_of(line.getVendor()), number = text_of(line.getInvoiceNumber());
    const std::string period = text_of(line.getPeriod());
    auto [it, fresh] = checked.try_emplace({vendor, number}, period);
    if (!fresh) continue;
    CB_TRY(const std::vector<uint64_t> recorded, snapshot.lookup("vendor-invoice", number));
    for (uint64_t i : recorded) {
      CB_TRY(DecodedEntry e, snapshot.entry(i));
      if (!e.reader().getKind().isInvoiceLine()) continue;
      auto earlier = e.reader().getKind().getInvoiceLine();
      if (text_of(earlier.getVendor()) != vendor || text_of(earlier.getPeriod()) == period) continue;
      return Error::conflict("invoice " + number + " of " + vendor + " is already recorded for period " +
                             text_of(earlier.getPeriod()) + " (entry " + std::to_string(i) +
                             "); a vendor invoice belongs to one period, so it is not added again for " + period +
                             "; nothing was written")
          .at(file_name, line.getSource().getLine())
          .in_field("InvoiceNumber");
    }
  }
  return {};
}

}  // namespace closebook::match
