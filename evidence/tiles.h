// The log as static files per C2SP tlog-tiles (https://c2sp.org/tlog-tiles; docs/ledger.md
// §9.1): the paths of hash tiles and entry bundles, the bytes of an entry bundle, and a
// NodeSource that reads tree nodes from hash tiles fetched from anywhere. No I/O here: the
// writer (ledger/tiles.h) and the readers (closebook-verify) bring their own.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "evidence/merkle.h"
#include "evidence/result.h"

namespace closebook {

inline constexpr uint64_t kTileWidth = 256;               // tlog-tiles: 2^8 hashes or entries a tile
inline constexpr unsigned kTileHeight = 8;
inline constexpr size_t kBundledEntryBytesMax = 65'535;  // an entry bundle prefixes each with a uint16
inline constexpr int kEntryTiles = -1;                   // the "level" of entry bundles in tile_path

// "tile/0/x001/234.p/7": the path of tile `n` of hash level `level` (kEntryTiles for entry
// bundles, "tile/entries/…"), `width` items wide; a width below kTileWidth names a partial tile.
std::string tile_path(int level, uint64_t n, uint64_t width);

// The width of tile `n` of `level` in a tree of `size` leaves (0 if the tree has no such tile).
uint64_t tile_width(int level, uint64_t n, uint64_t size);

// An entry bundle: each entry prefixed with its length as a big-endian uint16. The caller
// keeps each entry at most kBundledEntryBytesMax bytes.
std::string encode_entry_bundle(const std::vector<std::string_view>& entries);
// Exactly `width` entries, each well formed and nothing after them, or Corruption.
Result<std::vector<std::string>> decode_entry_bundle(std::string_view bytes, uint64_t width);

// Tree nodes read from the hash tiles of a tree of `size` leaves: node (level, index) is
// hashed up from the tile of level ⌊level/8⌋ that holds its 2^(level mod 8) descendants.
// `fetch` returns a tile's bytes by its path (NotFound if absent); each tile is fetched once
// and must be exactly its width × 32 bytes. A tile is not trusted: what it yields is checked
// against a signed root by the proof it goes into.
class TileNodes : public NodeSource {
 public:
  using Fetch = std::function<Result<std::string>(const std::string& path)>;
  TileNodes(uint64_t size, Fetch fetch) : size_(size), fetch_(std::move(fetch)) {}
  Result<Hash> node(uint8_t level, uint64_t index) const override;
  uint64_t tiles_fetched() const { return tiles_.size(); }

 private:
  Result<const std::string*> tile(unsigned tile_level, uint64_t n) const;

  uint64_t size_;
  Fetch fetch_;
  mutable std::map<std::pair<unsigned, uint64_t>, std::string> tiles_;
};

}  // namespace closebook
