// closebook-verify tiles (verify.h): an entry and its proofs from published tlog-tiles. The
// tiles are not trusted: every hash they give goes into a proof checked against the signed root.
#include "evidence/entry.h"
#include "evidence/merkle.h"
#include "evidence/tiles.h"
#include "verify/verify.h"

namespace closebook::verify {
namespace {

// The entry at `index` from its entry bundle.
Result<std::string> bundled_entry(const TileFetch& fetch, uint64_t index, uint64_t size) {
  const uint64_t n = index / kTileWidth, width = tile_width(kEntryTiles, n, size);
  const std::string path = tile_path(kEntryTiles, n, width);
  CB_TRY(std::string bytes, fetch(path));
  auto entries = decode_entry_bundle(bytes, width);
  if (!entries.ok()) return Error::corruption(path + ": " + entries.error().message);
  return std::move((*entries)[index % kTileWidth]);
}

}  // namespace

Result<TilesReport> check_tiles_entry(const TileFetch& fetch, uint64_t index, const VerifierKey& key,
                                      std::optional<std::string_view> old_note) {
  TilesReport report;
  CB_TRY(std::string note, fetch("checkpoint"));
  CB_TRY(report.checkpoint, check_checkpoint(note, key));
  const uint64_t size = report.checkpoint.size;
  if (index >= size) {
    return Error::not_found("entry " + std::to_string(index) + " is beyond the published tree of size " +
                            std::to_string(size));
  }
  TileNodes nodes(size, fetch);
  if (old_note) {
    CB_TRY(CheckpointReport old_cp, check_checkpoint(*old_note, key));
    if (old_cp.size > size) {
      return Error::corruption("the published checkpoint (size " + std::to_string(size) +
                               ") is older than the one given (size " + std::to_string(old_cp.size) + "): a rollback");
    }
    CB_TRY(std::vector<Hash> proof, consistency_proof(nodes, old_cp.size, size));
    auto consistent = verify_consistency(old_cp.size, size, old_cp.root, report.checkpoint.root, proof);
    if (!consistent.ok()) {
      return Error::corruption("the published checkpoint does not extend the one given: " + consistent.error().message);
    }
    report.old_size = old_cp.size;
  }
  CB_TRY(report.entry, bundled_entry(fetch, index, size));
  CB_TRY(DecodedEntry decoded, DecodedEntry::decode(report.entry));
  if (decoded.reader().getIndex() != index) {
    return Error::corruption("the entry bundle's entry " + std::to_string(index) + " says it is index " +
                             std::to_string(decoded.reader().getIndex()));
  }
  CB_TRY(std::vector<Hash> path, inclusion_proof(nodes, index, size));
  auto included = verify_inclusion(decoded.hash(), index, size, path, report.checkpoint.root);
  if (!included.ok()) {
    return Error::corruption("entry " + std::to_string(index) + " is not included under the checkpoint's root: " +
                             included.error().message);
  }
  report.index = index;
  report.kind = kind_name(decoded.reader());
  report.tiles_fetched = nodes.tiles_fetched() + 1;
  return report;
}

}  // namespace closebook::verify
