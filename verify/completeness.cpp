#include "verify/completeness.h"

#include <vector>

#include "evidence/merkle.h"
#include "evidence/subject_map.h"
#include "verify/bundle_fields.h"
#include "verify/index_keys.h"

namespace closebook::verify {
namespace {

using json = nlohmann::ordered_json;
using K = schema::Entry::Kind;
using Subject = std::pair<std::string, std::string>;  // (index name, value)

std::string text(capnp::Text::Reader t) { return std::string(t.cStr(), t.size()); }

std::string describe(const Subject& s) { return "subject " + s.first + " \"" + s.second + "\""; }

// The kinds of entry that cite others (docs/ledger.md §7's table): everything citing a carried
// entry is proven complete kind by kind, so only the citing match results and exceptions may
// be withheld.
constexpr const char* kCitingKinds[] = {"matchResult", "exception", "invoice", "invoiceChunk", "dispute"};

// R33: the subjects a bundle must prove complete because it carries `e`.
void required_by(schema::Entry::Reader e, std::set<Subject>& out) {
  auto kind = e.getKind();
  const std::string self = std::to_string(e.getIndex());
  auto cited_by_all = [&] {
    for (const char* k : kCitingKinds) out.insert({"cites_kind", self + "/" + k});
  };
  switch (kind.which()) {
    case K::PRICED_LINE: {
      auto l = kind.getPricedLine();
      const std::string period = text(l.getPeriod()).substr(0, 7);
      out.insert({"line", text(l.getLineId())});
      cited_by_all();
      out.insert({"period_kind", period + "/signOff"});
      out.insert({"period_kind", period + "/periodReopen"});
      break;
    }
    case K::CREDIT:
    case K::INVOICE_CHUNK: cited_by_all(); break;
    case K::EXCEPTION: out.insert({"exception", text(kind.getException().getExceptionId())}); break;
    case K::RULE_VERSION: out.insert({"rule", text(kind.getRuleVersion().getRuleId())}); break;
    default: break;
  }
}

bool is_index(const json& v) { return v.is_number_unsigned(); }

class Completeness {
 public:
  Completeness(const std::map<uint64_t, DecodedEntry>& entries, uint64_t size, const Hash& root, const Hash& subjects_root)
      : entries_(entries), size_(size), root_(root), subjects_root_(subjects_root) {}

  Result<CompletenessReport> run(const json& b) {
    CB_CHECK(load_buckets(b["buckets"]));
    CB_CHECK(load_withheld(b["withheld"]));
    CB_CHECK(load_subjects(b["subjects"]));
    CB_CHECK(check_required(b["subject"]));
    CB_CHECK(check_filed());
    return CompletenessReport{subjects_.size(), withheld_};
  }

 private:
  // Each bucket: its heads in ascending subject order, each subject of that bucket, and the
  // path from the bucket's hash to the checkpoint's subject root.
  Status load_buckets(const json& list) {
    if (!list.is_array()) return failed("R33: buckets is not a list");
    std::optional<uint32_t> previous;
    for (const json& item : list) {
      CB_CHECK(only_keys(item, {"bucket", "heads", "path"}, "a bucket"));
      if (!is_index(item["bucket"]) || item["bucket"].get<uint64_t>() >= kSubjectBuckets || !item["heads"].is_array()) {
        return failed("R33: a bucket is malformed");
      }
      const auto bucket = static_cast<uint16_t>(item["bucket"].get<uint64_t>());
      const std::string where = "bucket " + std::to_string(bucket);
      if (previous && bucket <= *previous) return failed("R33: the buckets are not in ascending order, each once");
      previous = bucket;
      SubjectBucketHasher hasher;
      std::optional<std::string> last;
      for (const json& h : item["heads"]) {
        CB_CHECK(only_keys(h, {"subject", "head"}, where + " head"));
        if (!h["subject"].is_string() || !h["head"].is_string()) return failed("R33: " + where + ": a head is malformed");
        auto subject = from_base64(h["subject"].get<std::string>());
        auto bytes = from_hex(h["head"].get<std::string>());
        if (!subject.ok() || to_base64(as_bytes(*subject)) != h["subject"].get<std::string>() || !bytes.ok() ||
            to_hex(as_bytes(*bytes)) != h["head"].get<std::string>()) {
          return failed("R1: " + where + ": a head's subject or bytes are not canonical base64 and hex");
        }
        auto head = SubjectHead::decode(*bytes);
        if (!head.ok()) return failed("R33: " + where + ": " + head.error().message);
        if (last && *subject <= *last) return failed("R33: " + where + ": its subjects are not in ascending order, each once");
        if (subject_bucket(*subject) != bucket) return failed("R33: " + where + " holds a subject of another bucket");
        hasher.add(*subject, *head);
        heads_.emplace(*subject, *head);
        last = *subject;
      }
      CB_TRY(std::vector<Hash> path, hashes(item["path"], where + " path"));
      if (path.size() != kSubjectTreeLevels) return failed("R33: " + where + ": its path is not 16 hashes");
      if (subject_root_from_path(bucket, hasher.finish(), path) != subjects_root_) {
        return failed("R33: " + where + " does not lead to the subject map root the checkpoint signs (a head added, removed or edited)");
      }
      buckets_.insert(bucket);
    }
    return {};
  }

  // Entries kept from the bundle's audience: only their hash, proven included.
  Status load_withheld(const json& list) {
    if (!list.is_array()) return failed("R33: withheld is not a list");
    std::optional<uint64_t> previous;
    for (const json& item : list) {
      CB_CHECK(only_keys(item, {"index", "hash", "inclusion"}, "a withheld entry"));
      if (!is_index(item["index"]) || !item["hash"].is_string()) return failed("R33: a withheld entry is malformed");
      const uint64_t index = item["index"].get<uint64_t>();
      const std::string where = "withheld entry " + std::to_string(index);
      if (previous && index <= *previous) return failed("R33: the withheld entries are not in ascending order, each once");
      previous = index;
      if (index >= size_ || entries_.count(index) != 0) return failed("R33: " + where + " is beyond the tree or also carried");
      CB_TRY(std::vector<Hash> hash, hashes(json::array({item["hash"]}), where + " hash"));
      CB_TRY(std::vector<Hash> proof, hashes(item["inclusion"], where + " inclusion"));
      if (!verify_inclusion(hash[0], index, size_, proof, root_).ok()) {
        return failed("R33: " + where + ": the inclusion proof does not lead to the checkpoint's root");
      }
      withheld_.emplace(index, hash[0]);
    }
    return {};
  }

  // Each subject: the entries the log filed under it, which its proven head must chain to, and
  // each of which the bundle carries or withholds.
  Status load_subjects(const json& list) {
    if (!list.is_array()) return failed("R33: subjects is not a list");
    std::set<uint64_t> listed;
    for (const json& item : list) {
      CB_CHECK(only_keys(item, {"name", "value", "indexes"}, "a subject"));
      if (!item["name"].is_string() || !item["value"].is_string() || !item["indexes"].is_array()) {
        return failed("R33: a subject is malformed");
      }
      const Subject s{item["name"].get<std::string>(), item["value"].get<std::string>()};
      if (!subjects_.empty() && s <= subjects_.rbegin()->first) return failed("R33: the subjects are not in ascending order, each once");
      std::vector<uint64_t> indexes;
      for (const json& i : item["indexes"]) {
        if (!is_index(i) || i.get<uint64_t>() >= size_ || (!indexes.empty() && i.get<uint64_t>() <= indexes.back())) {
          return failed("R33: " + describe(s) + ": its indexes are not ascending entries of the tree");
        }
        indexes.push_back(i.get<uint64_t>());
      }
      const std::string key = subject_key(s.first, s.second);
      if (buckets_.count(subject_bucket(key)) == 0) return failed("R33: " + describe(s) + ": the bundle lacks its bucket");
      const auto head = heads_.find(key);
      const bool proven = head == heads_.end() ? indexes.empty() : head->second == subject_head_of(indexes);
      if (!proven) return failed("R33: " + describe(s) + ": the log filed other entries under it than the bundle lists");
      for (uint64_t i : indexes) {
        if (entries_.count(i) == 0 && withheld_.count(i) == 0) {
          return failed("R33: entry " + std::to_string(i) + " is filed under " + describe(s) +
                        " at the checkpoint, and the bundle neither carries nor withholds it");
        }
      }
      // Only the match and the exception queue are ever kept from an audience, and only these
      // subjects file nothing else: an entry withheld under any other is one the holder hid.
      const bool may_withhold = s.first == "exception" ||
                                (s.first == "cites_kind" && (s.second.ends_with("/matchResult") || s.second.ends_with("/exception")));
      for (uint64_t i : indexes) {
        if (!may_withhold && withheld_.count(i) != 0) {
          return failed("R33: entry " + std::to_string(i) + " is withheld, but " + describe(s) +
                        " files only entries every audience sees: the bundle must carry it");
        }
      }
      listed.insert(indexes.begin(), indexes.end());
      subjects_.emplace(s, std::set<uint64_t>(indexes.begin(), indexes.end()));
    }
    const std::map<uint64_t, Hash> sealed = sealed_parts();
    for (const auto& [i, hash] : withheld_) {
      if (listed.count(i) != 0) continue;
      const auto part = sealed.find(i);
      if (part == sealed.end() || part->second != hash) {
        return failed("R33: withheld entry " + std::to_string(i) + " is filed under none of the bundle's subjects and is no carried entry's sealed part");
      }
    }
    return {};
  }

  // The key registry, the subject itself, and what each carried entry requires.
  Status check_required(const json& subject) {
    std::set<Subject> required{{"kind", "keyEvent"}};
    required.insert({subject["kind"] == "invoice" ? "invoice" : "line", subject["id"].get<std::string>()});
    for (const auto& [index, e] : entries_) required_by(e.reader(), required);
    for (const Subject& s : required) {
      if (subjects_.count(s) == 0) return failed("R33: the bundle does not prove it holds every entry of " + describe(s));
    }
    return {};
  }

  // What the bundle carries is where the log filed it: an entry the writer left out of a
  // subject's chain (so out of what the bundle must carry) is refused here.
  Status check_filed() {
    for (const auto& [index, e] : entries_) {
      for (const Subject& s : index_keys_of(e.reader())) {
        auto it = subjects_.find(s);
        if (it != subjects_.end() && it->second.count(index) == 0) {
          return failed("R33: entry " + std::to_string(index) + " belongs under " + describe(s) +
                        ", and the log's subject map does not file it there");
        }
      }
    }
    return {};
  }

  // R34: what the carried priced lines' `cost` and `usage` (of sealed lines) and sign-offs'
  // `summary` name, with the hashes they state: all a bundle may withhold besides the match
  // and the queue.
  std::map<uint64_t, Hash> sealed_parts() const {
    std::map<uint64_t, Hash> out;
    for (const auto& [index, e] : entries_) {
      auto kind = e.reader().getKind();
      if (kind.isPricedLine() && kind.getPricedLine().getCost().getHash().size() != 0) {
        out.emplace(kind.getPricedLine().getCost().getIndex(), hash_of(kind.getPricedLine().getCost().getHash()));
        // A sealed line's usage records, which may carry the vendor's price.
        for (auto u : kind.getPricedLine().getUsage()) out.emplace(u.getIndex(), hash_of(u.getHash()));
      }
      if (kind.isSignOff() && kind.getSignOff().getSummary().getHash().size() != 0) {
        out.emplace(kind.getSignOff().getSummary().getIndex(), hash_of(kind.getSignOff().getSummary().getHash()));
      }
    }
    return out;
  }

  const std::map<uint64_t, DecodedEntry>& entries_;
  uint64_t size_;
  Hash root_, subjects_root_;
  std::set<uint16_t> buckets_;
  std::map<std::string, SubjectHead> heads_;  // by subject key
  std::map<uint64_t, Hash> withheld_;  // index -> leaf hash
  std::map<Subject, std::set<uint64_t>> subjects_;
};

}  // namespace

Result<CompletenessReport> check_completeness(const json& bundle, const std::map<uint64_t, DecodedEntry>& entries,
                                              uint64_t tree_size, const Hash& root, const Hash& subjects_root) {
  return Completeness(entries, tree_size, root, subjects_root).run(bundle);
}

}  // namespace closebook::verify
