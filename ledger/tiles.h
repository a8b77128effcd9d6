// Publishing the log as static files per C2SP tlog-tiles (evidence/tiles.h; docs/ledger.md
// §9.1): `checkpoint`, hash tiles and entry bundles, so that any web server, object store or
// CDN serves auditors and partners while the single writer stays on one machine.
#pragma once

#include <cstdint>
#include <string>

#include "ledger/ledger.h"

namespace closebook::ledger {

struct PublishReport {
  uint64_t size = 0;           // the tree size of the checkpoint now published
  uint64_t previous_size = 0;  // the size the directory held before (0 if it was empty)
  uint64_t tiles_written = 0;  // hash tiles and entry bundles written this time
};

// Publishes the snapshot's latest checkpoint into `dir` (created if missing), adding what the
// log grew by since the checkpoint `dir` holds: full tiles are immutable and written once; a
// tile, then the checkpoint, is replaced by rename, so a reader never sees half a file and
// finds every tile the checkpoint it fetched needs. Refuses, writing nothing:
// - a log with no checkpoint, or with an entry over 65,535 bytes (an entry bundle's limit);
// - a `dir` whose checkpoint is not one this ledger signed (another log's, or edited), or is
//   newer than the snapshot's (publishing would roll its readers back).
Result<PublishReport> publish_tiles(const Snapshot& snapshot, const std::string& dir);

}  // namespace closebook::ledger
