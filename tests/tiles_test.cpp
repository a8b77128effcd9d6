// C2SP tlog-tiles: paths, entry bundles, tree nodes read from hash tiles (checked against the
// in-memory tree as oracle), publishing a ledger, and closebook-verify's reading of an entry
// from published tiles, with each forgery of a tile refused. The same tiles served by nginx
// and read by Go's tlog are tests/interop/tiles.sh.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include "evidence/merkle.h"
#include "evidence/tiles.h"
#include "ledger/ledger.h"
#include "ledger/tiles.h"
#include "tests/test_util.h"
#include "verify/io.h"
#include "verify/verify.h"

namespace closebook {
namespace {

namespace fs = std::filesystem;

TEST(TilePathTest, FollowsTlogTiles) {
  EXPECT_EQ(tile_path(0, 1234067, 256), "tile/0/x001/x234/067");  // c2sp.org/tlog-tiles' own example
  EXPECT_EQ(tile_path(0, 0, 170), "tile/0/000.p/170");
  EXPECT_EQ(tile_path(1, 999, 256), "tile/1/999");
  EXPECT_EQ(tile_path(2, 1000, 3), "tile/2/x001/000.p/3");
  EXPECT_EQ(tile_path(kEntryTiles, 5, 256), "tile/entries/005");
  EXPECT_EQ(tile_path(kEntryTiles, 1000000, 1), "tile/entries/x001/x000/000.p/1");
}

TEST(TilePathTest, WidthOfEachTile) {
  EXPECT_EQ(tile_width(0, 0, 170), 170u);
  EXPECT_EQ(tile_width(0, 1, 170), 0u);
  EXPECT_EQ(tile_width(0, 0, 256), 256u);
  EXPECT_EQ(tile_width(0, 1, 257), 1u);
  EXPECT_EQ(tile_width(1, 0, 255), 0u);  // no complete subtree of 256 yet
  EXPECT_EQ(tile_width(1, 0, 256 * 3 + 5), 3u);
  EXPECT_EQ(tile_width(kEntryTiles, 2, 600), 88u);
  EXPECT_EQ(tile_width(2, 0, 65536), 1u);
}

TEST(EntryBundleTest, RoundTripsAndRefusesMalformedBundles) {
  const std::string big(65535, 'b');
  const std::string bytes = encode_entry_bundle({"a", "", big});
  ASSERT_EQ(bytes.size(), 2 + 1 + 2 + 2 + 65535u);
  EXPECT_EQ(bytes.substr(0, 3), std::string("\0\1a", 3));
  auto back = decode_entry_bundle(bytes, 3);
  ASSERT_TRUE(back.ok()) << back.error().to_string();
  EXPECT_EQ(*back, (std::vector<std::string>{"a", "", big}));
  EXPECT_EQ(decode_entry_bundle(bytes, 2).error().code, Code::kCorruption);                    // more than its width
  EXPECT_EQ(decode_entry_bundle(bytes, 4).error().code, Code::kCorruption);                    // fewer
  EXPECT_EQ(decode_entry_bundle(bytes.substr(0, bytes.size() - 1), 3).error().code, Code::kCorruption);  // cut
  EXPECT_EQ(decode_entry_bundle(bytes + std::string(1, '\0'), 3).error().code, Code::kCorruption);            // half a prefix
}

// The tiles of a tree of `size` leaves, made from the oracle's nodes by the rule of
// tlog-tiles (tile N of level L: hashes N·256 … at height 8·L), keyed by path.
std::map<std::string, std::string> tiles_of(const MemoryNodes& tree, uint64_t size) {
  std::map<std::string, std::string> tiles;
  for (int level = 0; level < 8 && (size >> (8 * level)) > 0; ++level) {
    const uint64_t hashes = size >> (8 * level);
    for (uint64_t n = 0; n * 256 < hashes; ++n) {
      const uint64_t width = std::min<uint64_t>(256, hashes - n * 256);
      std::string tile;
      for (uint64_t i = n * 256; i < n * 256 + width; ++i) {
        const Hash h = tree.node(static_cast<uint8_t>(8 * level), i).value();
        tile.append(reinterpret_cast<const char*>(h.data()), h.size());
      }
      tiles[tile_path(level, n, width)] = tile;
    }
  }
  return tiles;
}

TileNodes::Fetch from(const std::map<std::string, std::string>& tiles) {
  return [&tiles](const std::string& path) -> Result<std::string> {
    auto at = tiles.find(path);
    if (at == tiles.end()) return Error::not_found(path);
    return at->second;
  };
}

TEST(TileNodesTest, RootsAndProofsFromTilesAreTheTreesAtEverySize) {
  MemoryNodes tree;
  const uint64_t largest = 65536 + 300;
  for (uint64_t i = 0; i < largest; ++i) tree.add_leaf(sha256("leaf " + std::to_string(i)));
  for (uint64_t size : std::vector<uint64_t>{1, 2, 7, 255, 256, 257, 511, 4096 + 17, 65535, 65536, largest}) {
    SCOPED_TRACE("size " + std::to_string(size));
    const auto tiles = tiles_of(tree, size);
    TileNodes nodes(size, from(tiles));
    EXPECT_EQ(tree_root(nodes, size).value(), tree_root(tree, size).value());
    for (uint64_t index : {uint64_t{0}, size / 3, size / 2, size - 1}) {
      EXPECT_EQ(inclusion_proof(nodes, index, size).value(), inclusion_proof(tree, index, size).value());
    }
    for (uint64_t old_size : {uint64_t{1}, size / 2, size - 1}) {
      if (old_size == 0) continue;
      EXPECT_EQ(consistency_proof(nodes, old_size, size).value(), consistency_proof(tree, old_size, size).value());
    }
  }
}

TEST(TileNodesTest, RefusesATileOfTheWrongSize) {
  MemoryNodes tree;
  for (int i = 0; i < 300; ++i) tree.add_leaf(sha256(std::to_string(i)));
  auto tiles = tiles_of(tree, 300);
  tiles["tile/0/001.p/44"] += "extra";
  TileNodes nodes(300, from(tiles));
  EXPECT_EQ(tree_root(nodes, 300).error().code, Code::kCorruption);
}

class PublishTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ledger_ = test::new_ledger(dir_ / "ledger", key_);
    grow(600);
  }
  void grow(int entries) {
    std::vector<ledger::Draft> drafts;
    for (int i = 0; i < entries; ++i) drafts.push_back(test::fx_rate_draft(next_++));
    ASSERT_TRUE(ledger_->append(drafts, key_).ok());
  }
  ledger::PublishReport publish(const std::string& to) {
    auto report = ledger::publish_tiles(ledger_->snapshot().value(), to);
    EXPECT_TRUE(report.ok()) << report.error().to_string();
    return report.ok() ? *report : ledger::PublishReport{};
  }
  Result<verify::TilesReport> read_entry(const std::string& from, uint64_t index,
                                         std::optional<std::string_view> old = std::nullopt) {
    return verify::check_tiles_entry(file_reader(from), index, key_.verifier(), old);
  }

  test::TempDir dir_;
  SigningKey key_ = SigningKey::generate("closebook.test/tiles").value();
  std::unique_ptr<ledger::Ledger> ledger_;
  int next_ = 0;
};

TEST_F(PublishTest, EveryEntryVerifiesFromThePublishedTiles) {
  const std::string pub = dir_ / "pub";
  const auto report = publish(pub);
  const uint64_t size = ledger_->snapshot().value().size();
  EXPECT_EQ(report.size, size);
  EXPECT_EQ(report.previous_size, 0u);
  EXPECT_EQ(test::read_text(pub + "/checkpoint"), ledger_->snapshot().value().latest_checkpoint().value());
  for (uint64_t i = 0; i < size; ++i) {
    auto entry = read_entry(pub, i);
    ASSERT_TRUE(entry.ok()) << i << ": " << entry.error().to_string();
    EXPECT_EQ(entry->entry, ledger_->snapshot().value().entry_bytes(i).value());
  }
  EXPECT_TRUE(fs::exists(pub + "/" + tile_path(1, 0, tile_width(1, 0, size))));
  EXPECT_EQ(read_entry(pub, size).error().code, Code::kNotFound);
}

TEST_F(PublishTest, PublishingAgainAddsOnlyWhatTheLogGrewBy) {
  const std::string pub = dir_ / "pub";
  const auto first = publish(pub);
  const std::string old_checkpoint = test::read_text(pub + "/checkpoint");
  const auto full_tile = fs::last_write_time(pub + "/tile/entries/000");
  grow(300);
  const auto second = publish(pub);
  EXPECT_EQ(second.previous_size, first.size);
  const uint64_t size = second.size;
  // From the tile that held the old size on: entry bundles and level-0 tiles 2…size/256, and
  // level 1's only tile.
  EXPECT_EQ(second.tiles_written, 2 * (size / 256 - first.size / 256 + 1) + 1);
  EXPECT_EQ(fs::last_write_time(pub + "/tile/entries/000"), full_tile);
  auto read = read_entry(pub, 700, std::string_view(old_checkpoint));
  ASSERT_TRUE(read.ok()) << read.error().to_string();
  EXPECT_EQ(read->old_size, first.size);
  const auto again = publish(pub);  // nothing new: the partial tiles and the checkpoint, rewritten the same
  EXPECT_EQ(again.previous_size, size);
}

TEST_F(PublishTest, RefusesAnotherLogsDirectoryOrARollbackAndWritesNothing) {
  const std::string pub = dir_ / "pub";
  ASSERT_TRUE(ledger_->backup(dir_ / "older").ok());
  grow(10);
  publish(pub);
  const std::string published = test::read_text(pub + "/checkpoint");
  auto older = ledger::Ledger::open(dir_ / "older", {}).value();
  auto rolled_back = ledger::publish_tiles(older->snapshot().value(), pub);
  ASSERT_FALSE(rolled_back.ok());
  EXPECT_NE(rolled_back.error().message.find("roll its readers back"), std::string::npos) << rolled_back.error().message;
  EXPECT_EQ(test::read_text(pub + "/checkpoint"), published);

  const SigningKey other_key = SigningKey::generate("closebook.test/other").value();
  auto other = test::new_ledger(dir_ / "other", other_key);
  std::vector<ledger::Draft> larger;  // larger than what was published, so it is no rollback
  for (int i = 0; i < 700; ++i) larger.push_back(test::fx_rate_draft(i));
  ASSERT_TRUE(other->append(larger, other_key).ok());
  auto foreign = ledger::publish_tiles(other->snapshot().value(), pub);
  ASSERT_FALSE(foreign.ok());
  EXPECT_NE(foreign.error().message.find("not a checkpoint this ledger signed"), std::string::npos)
      << foreign.error().message;
  EXPECT_EQ(test::read_text(pub + "/checkpoint"), published);
}

TEST_F(PublishTest, RefusesAnEntryTooLargeForAnEntryBundleAndWritesNothing) {
  std::vector<ledger::Draft> large;
  large.push_back(test::fx_rate_draft(next_++, 70'000));
  ASSERT_TRUE(ledger_->append(large, key_).ok());
  const std::string pub = dir_ / "pub";
  auto report = ledger::publish_tiles(ledger_->snapshot().value(), pub);
  ASSERT_FALSE(report.ok());
  EXPECT_NE(report.error().message.find("at most 65,535"), std::string::npos) << report.error().message;
  EXPECT_FALSE(fs::exists(pub));
}

// Each forgery of what a server publishes is refused by closebook-verify's tiles reading.
TEST_F(PublishTest, ForgedTilesAreRefused) {
  const std::string pub = dir_ / "pub";
  const std::string earlier = ledger_->snapshot().value().latest_checkpoint().value();
  grow(10);
  publish(pub);
  const std::string bundle_path = pub + "/" + tile_path(kEntryTiles, 1, 256);
  const std::string hashes_path = pub + "/" + tile_path(0, 1, 256);
  const std::string bundle = test::read_text(bundle_path), hashes = test::read_text(hashes_path);
  auto refused = [&](uint64_t index, const char* what) {
    auto r = read_entry(pub, index);
    EXPECT_FALSE(r.ok()) << what;
    if (!r.ok()) {
      EXPECT_EQ(r.error().code, Code::kCorruption) << what << ": " << r.error().to_string();
    }
  };
  // An entry swapped for another (both genuine, both canonical): it is not that index.
  auto entries = decode_entry_bundle(bundle, 256).value();
  std::swap(entries[0], entries[1]);
  test::write_text(bundle_path, encode_entry_bundle({entries.begin(), entries.end()}));
  refused(256, "swapped entries");
  // An entry's byte changed: not canonical, or not the hash the tree holds.
  std::string edited = bundle;
  edited[edited.size() - 3] ^= 1;
  test::write_text(bundle_path, edited);
  refused(511, "an edited entry");
  test::write_text(bundle_path, bundle);
  // A hash of the tree changed: the proof no longer reaches the signed root.
  std::string forged = hashes;
  forged[40] ^= 1;
  test::write_text(hashes_path, forged);
  refused(300, "a forged hash tile");
  test::write_text(hashes_path, hashes);
  // The checkpoint replaced by an older one of the same log, to a reader that saw the newer.
  const std::string checkpoint = test::read_text(pub + "/checkpoint");
  test::write_text(pub + "/checkpoint", earlier);
  auto older = read_entry(pub, 0, std::string_view(checkpoint));
  ASSERT_FALSE(older.ok());
  EXPECT_NE(older.error().message.find("rollback"), std::string::npos) << older.error().message;
  test::write_text(pub + "/checkpoint", checkpoint);
  EXPECT_TRUE(read_entry(pub, 300).ok());
}

}  // namespace
}  // namespace closebook
