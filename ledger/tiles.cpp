// tlog-tiles publishing (tiles.h); paths and bundle bytes are evidence/tiles.h.
#include "ledger/tiles.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "evidence/checkpoint.h"
#include "evidence/tiles.h"
#include "ledger/files.h"

namespace closebook::ledger {
namespace {

namespace fs = std::filesystem;

// Writes `path` whole or not at all: a reader never sees half a tile or checkpoint.
Status write_atomically(const std::string& path, const std::string& contents) {
  std::error_code ec;
  fs::create_directories(fs::path(path).parent_path(), ec);
  if (ec) return Error::io("cannot create the directory of " + path + ": " + ec.message());
  const std::string temp = path + ".tmp." + std::to_string(::getpid());
  fs::remove(temp, ec);
  CB_CHECK(write_new_file(temp, contents, 0644));
  fs::rename(temp, path, ec);
  if (ec) return Error::io("cannot rename " + temp + " to " + path + ": " + ec.message());
  return fsync_path(fs::path(path).parent_path().string());
}

// The size of the checkpoint `dir` holds, if this ledger signed exactly those bytes; 0 for a
// directory with none.
Result<uint64_t> published_size(const Snapshot& snapshot, const std::string& dir) {
  const std::string path = dir + "/checkpoint";
  std::error_code ec;
  if (!fs::exists(path, ec)) return uint64_t{0};
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in.good() && !in.eof()) return Error::io("cannot read " + path);
  const auto note = text.str();
  auto parsed = Checkpoint::parse(note.substr(0, note.find("\n\n") + 1));
  auto ours = parsed.ok() ? snapshot.checkpoint(parsed->size) : Result<std::string>(Error::invalid("unparsed"));
  if (parsed.ok() && parsed->size > snapshot.size()) {
    return Error::invalid(path + " is for tree size " + std::to_string(parsed->size) + ", beyond this ledger's " +
                          std::to_string(snapshot.size()) + ": publishing would roll its readers back");
  }
  // The same checkpoint text as ours: its signature lines may be fewer than ours, which gain
  // witnesses' cosignatures after it was published (docs/ledger.md §4.1).
  auto published_note = parse_note(note);
  auto our_note = ours.ok() ? parse_note(*ours) : Result<Note>(Error::invalid("none"));
  if (!published_note.ok() || !our_note.ok() || published_note->text != our_note->text) {
    return Error::invalid(path + " is not a checkpoint this ledger signed; publish into an empty directory");
  }
  return parsed->size;
}

// Tiles n ≥ first of one level, `count` items (hashes of the level, or entries) in all;
// `item` gives the bytes of the i-th.
template <class Item>
Status publish_level(const std::string& dir, int level, uint64_t first, uint64_t count, const Item& item,
                     PublishReport& report) {
  for (uint64_t n = first; n * kTileWidth < count; ++n) {
    const uint64_t width = std::min(kTileWidth, count - n * kTileWidth);
    std::string tile;
    for (uint64_t i = n * kTileWidth; i < n * kTileWidth + width; ++i) {
      CB_TRY(std::string bytes, item(i));
      tile += bytes;
    }
    CB_CHECK(write_atomically(dir + "/" + tile_path(level, n, width), tile));
    ++report.tiles_written;
  }
  return {};
}

}  // namespace

Result<PublishReport> publish_tiles(const Snapshot& snapshot, const std::string& dir) {
  CB_TRY(std::vector<uint64_t> sizes, snapshot.checkpoint_sizes());
  if (sizes.empty()) return Error::invalid("the ledger has no checkpoint to publish");
  PublishReport report;
  report.size = sizes.back();
  CB_TRY(report.previous_size, published_size(snapshot, dir));
  CB_TRY(std::string checkpoint, snapshot.checkpoint(report.size));
  // Every tile from the one that held the previous checkpoint's last item is written again;
  // the full tiles before it were written, whole, before that checkpoint was.
  const uint64_t first_entry = report.previous_size / kTileWidth * kTileWidth;
  for (uint64_t i = first_entry; i < report.size; ++i) {
    CB_TRY(std::string bytes, snapshot.entry_bytes(i));
    if (bytes.size() > kBundledEntryBytesMax) {
      return Error::invalid("entry " + std::to_string(i) + " is " + std::to_string(bytes.size()) +
                            " bytes; a tlog-tiles entry bundle holds entries of at most 65,535");
    }
  }
  CB_CHECK(publish_level(dir, kEntryTiles, first_entry / kTileWidth, report.size, [&](uint64_t i) -> Result<std::string> {
    CB_TRY(std::string bytes, snapshot.entry_bytes(i));
    return encode_entry_bundle({bytes});
  }, report));
  // Hash tiles: level L holds the tree's hashes at height 8·L, one for each 256^L entries.
  for (unsigned level = 0; level < 8 && (report.size >> (kTileHeight * level)) > 0; ++level) {
    const uint8_t height = static_cast<uint8_t>(kTileHeight * level);
    const uint64_t first = (report.previous_size >> height) / kTileWidth;
    CB_CHECK(publish_level(dir, static_cast<int>(level), first, report.size >> height, [&](uint64_t i) -> Result<std::string> {
      CB_TRY(Hash h, snapshot.node(height, i));
      return std::string(reinterpret_cast<const char*>(h.data()), h.size());
    }, report));
  }
  CB_CHECK(write_atomically(dir + "/checkpoint", checkpoint));
  return report;
}

}  // namespace closebook::ledger
