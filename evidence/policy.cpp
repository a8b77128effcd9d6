#include "evidence/policy.h"

#include <set>
#include <sstream>

namespace closebook {
namespace {

std::vector<std::string> fields_of(std::string_view line) {
  std::vector<std::string> out;
  std::string current;
  for (char c : line) {
    if (c == ' ' || c == '\t') {
      if (!current.empty()) out.push_back(std::move(current));
      current.clear();
    } else {
      current.push_back(c);
    }
  }
  if (!current.empty()) out.push_back(std::move(current));
  return out;
}

Error at_line(size_t n, const std::string& what) { return Error::invalid("policy line " + std::to_string(n) + ": " + what); }

}  // namespace

int WitnessPolicy::node_of(const std::string& name) const {
  for (size_t i = 0; i < nodes_.size(); ++i) {
    if (nodes_[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

Result<WitnessPolicy> WitnessPolicy::parse(std::string_view text) {
  WitnessPolicy p;
  std::set<std::string> keys;  // the underlying public keys: no witness or log twice
  size_t n = 0;
  for (size_t start = 0; start < text.size();) {
    const size_t end = std::min(text.find('\n', start), text.size());
    const std::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++n;
    for (char c : line) {
      if (static_cast<unsigned char>(c) < 0x20 && c != '\t') return at_line(n, "a control character");
      if (c == 0x7f) return at_line(n, "a control character");
    }
    const std::vector<std::string> f = fields_of(line);
    if (f.empty() || f[0].starts_with("#")) continue;
    if (p.quorum_ != -2) return at_line(n, "nothing may follow the quorum line");
    const std::string& kind = f[0];
    if (kind == "log") {
      if (f.size() < 2 || f.size() > 3) return at_line(n, "expected: log <vkey> [<url>]");
      auto key = VerifierKey::parse(f[1]);
      if (!key.ok()) return at_line(n, key.error().message);
      if (!keys.insert(std::string(reinterpret_cast<const char*>(key->key.data()), 32)).second) return at_line(n, "a key listed twice");
      p.logs_.push_back(*key);
    } else if (kind == "witness") {
      if (f.size() < 3 || f.size() > 4) return at_line(n, "expected: witness <name> <vkey> [<url>]");
      if (f[1] == "none" || p.node_of(f[1]) >= 0) return at_line(n, "the name " + f[1] + " is taken");
      auto key = CosignerKey::parse(f[2]);
      if (!key.ok()) return at_line(n, key.error().message);
      if (!keys.insert(std::string(reinterpret_cast<const char*>(key->key.data()), 32)).second) return at_line(n, "a key listed twice");
      p.nodes_.push_back(Node{f[1], static_cast<int>(p.witnesses_.size()), 0, {}});
      p.witnesses_.push_back({f[1], *key, f.size() == 4 ? f[3] : ""});
    } else if (kind == "group") {
      if (f.size() < 4) return at_line(n, "expected: group <name> all|any|<k> <member>...");
      if (f[1] == "none" || p.node_of(f[1]) >= 0) return at_line(n, "the name " + f[1] + " is taken");
      Node g{f[1], -1, 0, {}};
      std::set<int> seen;
      for (size_t i = 3; i < f.size(); ++i) {
        const int node = p.node_of(f[i]);
        if (node < 0) return at_line(n, "member " + f[i] + " is not defined above");
        if (!seen.insert(node).second) return at_line(n, "member " + f[i] + " listed twice");
        g.members.push_back(node);
      }
      const size_t members = g.members.size();
      if (f[2] == "all") {
        g.threshold = members;
      } else if (f[2] == "any") {
        g.threshold = 1;
      } else {
        const bool decimal = !f[2].empty() && f[2].size() <= 4 && f[2].find_first_not_of("0123456789") == std::string::npos && f[2][0] != '0';
        if (!decimal || std::stoul(f[2]) > members) return at_line(n, "the threshold is all, any or 1 to the number of members");
        g.threshold = std::stoul(f[2]);
      }
      p.nodes_.push_back(std::move(g));
    } else if (kind == "quorum") {
      if (f.size() != 2) return at_line(n, "expected: quorum <name>|none");
      if (f[1] == "none") {
        p.quorum_ = -1;
      } else {
        p.quorum_ = p.node_of(f[1]);
        if (p.quorum_ < 0) return at_line(n, "the quorum " + f[1] + " is not defined above");
      }
    } else {
      return at_line(n, "unknown line \"" + kind + "\"");
    }
  }
  if (p.quorum_ == -2) return Error::invalid("the policy has no quorum line");
  return p;
}

bool WitnessPolicy::satisfied(int node, const std::vector<bool>& cosigned) const {
  const Node& n = nodes_[static_cast<size_t>(node)];
  if (n.witness >= 0) return cosigned[static_cast<size_t>(n.witness)];
  size_t count = 0;
  for (int m : n.members) count += satisfied(m, cosigned) ? 1 : 0;
  return count >= n.threshold;
}

Status WitnessPolicy::check(const Note& note, uint64_t now, std::optional<uint64_t> max_age_seconds) const {
  if (quorum_ == -1) return {};
  constexpr uint64_t kSkewSeconds = 60;
  std::vector<bool> cosigned(witnesses_.size(), false);
  std::vector<std::string> missing;
  for (size_t i = 0; i < witnesses_.size(); ++i) {
    auto t = cosignature_time(note, witnesses_[i].key);
    if (!t.ok()) {
      // A line that does not verify counts as none: whoever relays the note cannot veto it.
      missing.push_back(witnesses_[i].name + (t.error().code == Code::kNotFound ? " (no cosignature)" : " (" + t.error().message + ")"));
    } else if (*t > now + kSkewSeconds) {
      missing.push_back(witnesses_[i].name + " (cosigned in the future)");
    } else if (max_age_seconds && now - std::min(now, *t) > *max_age_seconds) {
      missing.push_back(witnesses_[i].name + " (cosigned " + std::to_string(now - *t) + " s ago, more than " +
                        std::to_string(*max_age_seconds) + " s)");
    } else {
      cosigned[i] = true;
    }
  }
  if (satisfied(quorum_, cosigned)) return {};
  std::string why;
  for (const std::string& m : missing) why += (why.empty() ? "" : ", ") + m;
  return Error::corruption("the checkpoint lacks its policy's quorum of witness cosignatures: " + why);
}

}  // namespace closebook
