// Evidence bundles (docs/evidence.md): one JSON file that proves an invoice's or a line's lineage
// offline — the log's signed checkpoint, every lineage entry (canonical bytes, decoded JSON,
// inclusion proof), every key event, and a consistency proof from each sign-off's tree head.
// closebook-verify checks it with nothing but the log's verifier key. See docs/evidence.md.
#pragma once

#include <string>

#include "close/lineage.h"
#include "ledger/ledger.h"

namespace closebook::close {

// v2 carries what proves each line's owner and rule choice: the tenant edges of its tenant and
// every rule version of its vendor's SKU; v3 proves it is complete: every entry filed under the
// subjects it is about, against the subject map its checkpoint signs (docs/evidence.md §1, R33).
// closebook-verify refuses v1 and v2.
inline constexpr const char* kBundleFormat = "closebook-bundle-v3";

enum class BundleSubject { kInvoice, kLine };

// The largest bundle closebook-verify reads (its input limit, verify/io.h; a test ties the
// two). A bundle past it is refused here rather than written for no verifier to read.
inline constexpr size_t kBundleBytesMax = size_t{256} << 20;

// The bundle for the subject at the ledger's latest checkpoint, as pretty JSON, holding the
// lineages as `audience` may see them (lineage.h). InvalidArgument, naming its size and what
// to verify instead, if it would pass `bytes_max`.
Result<std::string> build_bundle(const ledger::Snapshot& snapshot, BundleSubject kind, const std::string& id,
                                 Audience audience = Audience::kStaff, size_t bytes_max = kBundleBytesMax);

}  // namespace closebook::close
