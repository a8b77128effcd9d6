// Vendor feeds: vendor invoices and usage feeds in any registered format (match/formats/), each
// row an InvoiceLine or UsageRecord entry. See docs/matching.md §1.
//
// A feed is an input, never the truth: ingestion checks that every value is well-formed
// (decimals, dates, codes, known charge types), not that the vendor's arithmetic is right or
// that its tenants resolve — those are findings of the match, recorded as exceptions.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "evidence/result.h"
#include "match/formats/format.h"
#include "match/load.h"

namespace closebook::match {

struct FeedOptions {
  // The period the file belongs to ("YYYY-MM"); empty: each invoice line's period is the
  // month its charge starts, each usage record's the month of its usage date.
  std::string period;
  // Called now and then while rows are checked: (rows done, rows in the file).
  std::function<void(uint64_t, uint64_t)> progress;
};

// Parses and checks a whole feed file; nothing is written. Each row's idempotency key is its
// values plus its occurrence among identical rows of the file, so a re-exported file adds
// nothing and two identical rows in one file stay two charges.
Result<LoadPlan> plan_feed_load(const Format& format, const std::string& file_name,
                                std::string_view bytes, const FeedOptions& options);

// The plan of a parsed document whose columns are `spec`'s: `ingest` first, then one entry per
// row built by `spec`, each naming the file (`file_sha`) and its line. plan_feed_load and the
// profiles (match/formats/profile.h) share it.
Result<LoadPlan> plan_rows(const Format& spec, const csv::Document& doc, ledger::Draft ingest, const Hash& file_sha,
                           const FeedOptions& options);
// Invalid, in field --period, unless the period option is empty or YYYY-MM.
Status check_period_option(const FeedOptions& options);

// Refuses (Conflict, at the row's file and line) a plan holding an invoice number of a vendor
// that the ledger already records for another period: the same invoice loaded again under
// another --period would otherwise be billed twice.
Status check_invoices_against_ledger(const ledger::Snapshot& snapshot, const LoadPlan& plan,
                                     const std::string& file_name);

}  // namespace closebook::match
