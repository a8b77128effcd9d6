// What every input load produces: a plan of entries checked in full before anything is
// written, then appended in one transaction (docs/ledger.md §8).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ledger/ledger.h"

namespace closebook::match {

struct LoadPlan {
  std::vector<ledger::Draft> drafts;  // drafts[0] is the Ingest entry, then one per row
  uint64_t row_count = 0;             // rows that become entries
  uint64_t skipped_rows = 0;          // rows a feed profile's filter left out (match/formats/profile.h)
  uint64_t planned_at_size = 0;       // the ledger size the rows were checked against
};

// The Ingest entry of one file: what it was, its SHA-256 and row count.
ledger::Draft ingest_draft(schema::Ingest::Source source, std::string_view format,
                           const std::string& file_name, std::string_view bytes, uint64_t rows,
                           std::string_view period);

}  // namespace closebook::match
