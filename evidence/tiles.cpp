// C2SP tlog-tiles paths and bundles (tiles.h). Written by hand: no Debian package reads or
// writes tlog tiles in C++, and the format is a few path and byte rules.
#include "evidence/tiles.h"

#include <cassert>

namespace closebook {
namespace {

// tlog-tiles: N as zero-padded 3-digit path elements, all but the last prefixed with "x".
std::string three_digits(uint64_t n) {
  const unsigned v = static_cast<unsigned>(n % 1000);
  return {static_cast<char>('0' + v / 100), static_cast<char>('0' + v / 10 % 10), static_cast<char>('0' + v % 10)};
}

std::string index_path(uint64_t n) {
  std::string out = three_digits(n);
  for (n /= 1000; n > 0; n /= 1000) out = "x" + three_digits(n) + "/" + out;
  return out;
}

}  // namespace

std::string tile_path(int level, uint64_t n, uint64_t width) {
  assert(width >= 1 && width <= kTileWidth);
  assert(level >= kEntryTiles && level < 8);
  std::string out = "tile/" + (level == kEntryTiles ? std::string("entries") : std::to_string(level)) + "/" +
                    index_path(n);
  if (width < kTileWidth) out += ".p/" + std::to_string(width);
  return out;
}

uint64_t tile_width(int level, uint64_t n, uint64_t size) {
  const unsigned shift = kTileHeight * static_cast<unsigned>(level == kEntryTiles ? 0 : level);
  const uint64_t items = shift >= 64 ? 0 : size >> shift;  // hashes of the level, or entries
  if (n >= items / kTileWidth + (items % kTileWidth ? 1 : 0)) return 0;
  return std::min(kTileWidth, items - n * kTileWidth);
}

std::string encode_entry_bundle(const std::vector<std::string_view>& entries) {
  std::string out;
  for (std::string_view e : entries) {
    assert(e.size() <= kBundledEntryBytesMax);
    out += static_cast<char>(e.size() >> 8);
    out += static_cast<char>(e.size() & 0xff);
    out += e;
  }
  return out;
}

Result<std::vector<std::string>> decode_entry_bundle(std::string_view bytes, uint64_t width) {
  std::vector<std::string> out;
  size_t at = 0;
  while (at < bytes.size()) {
    if (bytes.size() - at < 2) return Error::corruption("entry bundle ends inside a length prefix");
    const size_t length = (size_t{static_cast<uint8_t>(bytes[at])} << 8) | static_cast<uint8_t>(bytes[at + 1]);
    at += 2;
    if (bytes.size() - at < length) {
      return Error::corruption("entry bundle: entry " + std::to_string(out.size()) + " is cut short");
    }
    if (out.size() == width) return Error::corruption("entry bundle holds more than its " + std::to_string(width) + " entries");
    out.emplace_back(bytes.substr(at, length));
    at += length;
  }
  if (out.size() != width) {
    return Error::corruption("entry bundle holds " + std::to_string(out.size()) + " entries, not its width " +
                             std::to_string(width));
  }
  return out;
}

Result<const std::string*> TileNodes::tile(unsigned tile_level, uint64_t n) const {
  auto at = tiles_.find({tile_level, n});
  if (at != tiles_.end()) return &at->second;
  const uint64_t width = tile_width(static_cast<int>(tile_level), n, size_);
  if (width == 0) return Error::not_found("the tree of size " + std::to_string(size_) + " has no tile " +
                                          std::to_string(tile_level) + "/" + std::to_string(n));
  const std::string path = tile_path(static_cast<int>(tile_level), n, width);
  CB_TRY(std::string bytes, fetch_(path));
  if (bytes.size() != width * sizeof(Hash)) {
    return Error::corruption(path + " is " + std::to_string(bytes.size()) + " bytes, not " +
                             std::to_string(width) + " hashes of 32");
  }
  return &tiles_.emplace(std::make_pair(tile_level, n), std::move(bytes)).first->second;
}

Result<Hash> TileNodes::node(uint8_t level, uint64_t index) const {
  const unsigned tile_level = level / kTileHeight, below = level % kTileHeight;
  // The node's descendants at height 8·tile_level: 2^below consecutive hashes, all in one tile
  // since 2^below divides 256.
  const uint64_t first = index << below, count = uint64_t{1} << below;
  CB_TRY(const std::string* bytes, tile(tile_level, first / kTileWidth));
  const uint64_t offset = first % kTileWidth;
  if ((offset + count) * sizeof(Hash) > bytes->size()) {
    return Error::not_found("node (" + std::to_string(level) + ", " + std::to_string(index) +
                            ") is not complete in a tree of size " + std::to_string(size_));
  }
  std::vector<Hash> hashes(count);
  for (uint64_t i = 0; i < count; ++i) {
    std::copy_n(bytes->data() + (offset + i) * sizeof(Hash), sizeof(Hash), hashes[i].begin());
  }
  for (; hashes.size() > 1;) {
    std::vector<Hash> up(hashes.size() / 2);
    for (size_t i = 0; i < up.size(); ++i) up[i] = node_hash(hashes[2 * i], hashes[2 * i + 1]);
    hashes = std::move(up);
  }
  return hashes[0];
}

}  // namespace closebook
