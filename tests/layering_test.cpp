// The layering is enforced, not only intended: every `#include "folder/..."` of a library
// folder must point down the dependency graph the README states (one line, "Dependencies point
// down only: a → b → c; ..."), and evidence/ — pure transformations of bytes — includes no I/O
// header. Read from the sources, so a new include that points up fails here.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "tests/test_util.h"

namespace closebook {
namespace {

namespace fs = std::filesystem;
using Graph = std::map<std::string, std::set<std::string>>;

std::string read(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// "cli → api → close; cli → verify" → edges cli→api, api→close, cli→verify.
Graph graph_from_readme(const std::string& readme) {
  const std::string marker = "Dependencies point down only: ";
  const size_t at = readme.find(marker);
  EXPECT_NE(at, std::string::npos) << "the README states the dependency graph";
  std::string line = readme.substr(at + marker.size(), readme.find('\n', at) - at - marker.size());
  line = line.substr(0, line.find('.'));
  Graph g;
  std::stringstream chains(line);
  std::string chain;
  while (std::getline(chains, chain, ';')) {
    std::vector<std::string> nodes;
    std::regex word("[a-z]+");
    for (auto it = std::sregex_iterator(chain.begin(), chain.end(), word); it != std::sregex_iterator(); ++it) {
      nodes.push_back(it->str());
    }
    for (size_t i = 0; i + 1 < nodes.size(); ++i) g[nodes[i]].insert(nodes[i + 1]);
    for (const auto& n : nodes) g[n];
  }
  return g;
}

std::set<std::string> reachable(const Graph& g, const std::string& from) {
  std::set<std::string> seen = {from};
  std::vector<std::string> todo = {from};
  while (!todo.empty()) {
    const std::string n = todo.back();
    todo.pop_back();
    for (const auto& next : g.at(n)) {
      if (seen.insert(next).second) todo.push_back(next);
    }
  }
  return seen;
}

TEST(Layering, EveryIncludePointsDownTheReadmesGraph) {
  const fs::path root = test::source_dir();
  const Graph g = graph_from_readme(read(root / "README.md"));
  for (const char* folder : {"evidence", "ledger", "match", "close", "api", "cli", "verify"}) {
    ASSERT_TRUE(g.contains(folder)) << folder << " is in the README's graph";
  }
  const std::regex include_re("#include \"([a-z_]+)/[^\"]+\"");
  size_t checked = 0;
  for (const auto& [folder, unused] : g) {
    const std::set<std::string> allowed = reachable(g, folder);
    for (const auto& file : fs::recursive_directory_iterator(root / folder)) {
      const std::string ext = file.path().extension();
      if (ext != ".h" && ext != ".cpp") continue;
      const std::string text = read(file.path());
      for (auto it = std::sregex_iterator(text.begin(), text.end(), include_re); it != std::sregex_iterator(); ++it) {
        const std::string target = (*it)[1];
        if (!g.contains(target)) continue;  // not a library folder (e.g. generated paths)
        ++checked;
        EXPECT_TRUE(allowed.contains(target))
            << fs::relative(file.path(), root).string() << " includes " << target << "/, which " << folder
            << "/ may not reach (README: dependencies point down only)";
      }
    }
  }
  EXPECT_GT(checked, 100u);
}

TEST(Layering, EvidenceIncludesNoIoHeader) {
  const fs::path root = test::source_dir();
  const std::regex io_re("#include <(fstream|filesystem|iostream|cstdio|stdio\\.h|unistd\\.h|fcntl\\.h|lmdb\\.h|sys/[a-z]+\\.h)>");
  for (const auto& file : fs::recursive_directory_iterator(root / "evidence")) {
    const std::string text = read(file.path());
    std::smatch m;
    EXPECT_FALSE(std::regex_search(text, m, io_re))
        << fs::relative(file.path(), root).string() << " includes " << m.str() << ": evidence/ does no I/O";
  }
}

}  // namespace
}  // namespace closebook
