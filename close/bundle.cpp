#include "close/bundle.h"

#include <map>
#include <set>
#include <tuple>
#include <nlohmann/json.hpp>

#include "close/invoice.h"
#include "close/lineage.h"
#include "close/views.h"
#include "evidence/checkpoint.h"
#include "evidence/subject_map.h"
#include "match/book.h"
#include "match/fields.h"

namespace closebook::close {
namespace {

using match::Ref;
using match::text_of;

class Collection {
 public:
  void add(const std::string& role, uint64_t index) { roles_.try_emplace(index, role); }
  void add(const Lineage& lineage) {
    for (const auto& item : lineage.items) add(item.role, item.ref.index);
  }
  bool has(uint64_t index) const { return roles_.count(index) != 0; }
  const std::map<uint64_t, std::string>& roles() const { return roles_; }

 private:
  std::map<uint64_t, std::string> roles_;  // index -> role, in ledger order
};

// Every entry an invoice rests on: its lines' lineages, its credits and their lines', the
// partner it is billed to.
Status collect_invoice(const ledger::Snapshot& snapshot, const std::string& id, Audience audience, Collection& c) {
  CB_TRY(DecodedEntry invoice, find_invoice(snapshot, id));
  auto inv = invoice.reader().getKind().getInvoice();
  c.add("invoice", invoice.reader().getIndex());
  c.add("sign_off", inv.getSignOff().getIndex());
  CB_TRY(PeriodTrail trail, period_trail(snapshot, text_of(inv.getPeriod())));
  // Every sign-off and reopen of the period: they show the sign-off it was issued on was the
  // one in force (docs/evidence.md R17).
  for (const PeriodTrail::Item& s : trail.sign_offs) {
    c.add("sign_off", s.ref.index);
    if (s.summary && !hidden_from("signoff_summary", audience)) c.add("signoff_summary", s.summary->index);
    for (const Ref& key : s.key_events) c.add("key_event", key.index);
  }
  for (const PeriodTrail::Item& r : trail.reopens) c.add("period_reopen", r.ref.index);
  for (auto chunk : inv.getChunks()) c.add("invoice_chunk", chunk.getIndex());
  auto visit = [&](schema::InvoiceItem::Reader item) -> Status {
    CB_TRY(DecodedEntry line, snapshot.entry(item.getLine().getIndex()));
    if (line.reader().getKind().isCredit()) {
      c.add("credit", item.getLine().getIndex());
      for (auto credited : line.reader().getKind().getCredit().getLines()) {
        CB_TRY(Lineage l, line_lineage_at(snapshot, credited.getIndex(), trail));
        c.add(for_audience(std::move(l), audience));
      }
      return {};
    }
    CB_TRY(Lineage l, line_lineage_at(snapshot, item.getLine().getIndex(), trail));  // the version it bills
    c.add(for_audience(std::move(l), audience));
    return {};
  };
  CB_CHECK(each_item(snapshot, invoice, visit));
  CB_TRY(std::optional<Ref> partner, partner_before(snapshot, trail, text_of(inv.getPartnerId()), invoice.reader().getIndex()));
  if (partner) c.add("partner", partner->index);
  return {};
}

// What proves each bundled line's owner and rule choice (docs/evidence.md R12, R13): the
// tenant edges that give its tenant to its partner, and every rule version of its vendor's SKU
// that could price it (its partner's own and "*"). Nothing of another partner's, and for a
// partner no rule version of a sealed line: the rule choice is checked where the cost is seen.
Status collect_ownership(const ledger::Snapshot& snapshot, Audience audience, Collection& c) {
  std::set<std::pair<std::string, std::string>> owners;  // (tenant, partner)
  std::set<std::tuple<std::string, std::string, std::string>> skus;  // (vendor, sku, partner)
  for (const auto& [index, role] : c.roles()) {
    if (role != "priced_line") continue;
    CB_TRY(DecodedEntry e, snapshot.entry(index));
    auto l = e.reader().getKind().getPricedLine();
    owners.insert({text_of(l.getTenantId()), text_of(l.getPartnerId())});
    if (audience == Audience::kPartner && l.getCost().getHash().size() != 0) continue;
    skus.insert({text_of(l.getVendor()), text_of(l.getSkuId()), text_of(l.getPartnerId())});
  }
  for (const auto& [tenant, partner] : owners) {
    CB_TRY(std::vector<DecodedEntry> edges, match::entries_of_kind(snapshot, "tenant", tenant, schema::Entry::Kind::TENANT_EDGE));
    for (const DecodedEntry& e : edges) {
      if (text_of(e.reader().getKind().getTenantEdge().getPartnerId()) == partner) c.add("tenant_edge", e.reader().getIndex());
    }
  }
  if (skus.empty()) return {};
  CB_TRY(std::vector<uint64_t> rules, snapshot.lookup("kind", "ruleVersion"));
  for (uint64_t i : rules) {
    CB_TRY(DecodedEntry e, snapshot.entry(i));
    auto r = e.reader().getKind().getRuleVersion();
    for (const auto& [vendor, sku, partner] : skus) {
      const bool of_sku = r.getSkuPattern().size() == 0 ? r.getSkuId() == sku : match::sku_matches(text_of(r.getSkuPattern()), sku);
      const bool may_price = r.getVendor() == vendor && of_sku && (r.getPartnerId() == "*" || r.getPartnerId() == partner);
      if (may_price) c.add("rule_version", i);
    }
  }
  return {};
}

// The bundle role of each kind of entry (docs/evidence.md §1).
const char* role_of(schema::Entry::Kind::Which kind) {
  using K = schema::Entry::Kind;
  switch (kind) {
    case K::PRICED_LINE: return "priced_line";
    case K::RULE_VERSION: return "rule_version";
    case K::FX_LOCK: return "fx_lock";
    case K::FX_RATE: return "fx_rate";
    case K::USAGE_RECORD: return "usage";
    case K::MATCH_RESULT: return "match_result";
    case K::MATCH_RUN: return "match_run";
    case K::INVOICE_LINE: return "vendor_invoice_line";
    case K::EXCEPTION: return "exception";
    case K::EXCEPTION_UPDATE: return "exception_update";
    case K::SIGN_OFF: return "sign_off";
    case K::KEY_EVENT: return "key_event";
    case K::INVOICE: return "invoice";
    case K::CREDIT: return "credit";
    case K::PERIOD_REOPEN: return "period_reopen";
    case K::JOURNAL_POSTING: return "journal_posting";
    case K::POSTING_ACK: return "posting_ack";
    case K::PARTNER: return "partner";
    case K::DISPUTE: return "dispute";
    case K::TENANT_EDGE: return "tenant_edge";
    case K::INVOICE_CHUNK: return "invoice_chunk";
    case K::LINE_COST: return "line_cost";
    case K::SIGN_OFF_SUMMARY: return "signoff_summary";
    case K::INGEST: return nullptr;  // loads are not bundled: a bundle's rows cite no ingest
  }
  return nullptr;
}

using SubjectName = std::pair<std::string, std::string>;  // (index name, value)

// The kinds of entry that cite others (docs/ledger.md §7: cites_kind): a bundle proves, kind by
// kind, everything that cites what it carries.
constexpr const char* kCitingKinds[] = {"matchResult", "exception", "invoice", "invoiceChunk", "dispute"};

// The subjects a bundle proves complete because it carries `e` (docs/evidence.md R33): the
// verifier derives the same set from what it is given, and refuses a bundle that lacks one.
void subjects_required_by(schema::Entry::Reader e, std::set<SubjectName>& out) {
  using K = schema::Entry::Kind;
  auto kind = e.getKind();
  const std::string self = std::to_string(e.getIndex());
  auto cited_by_all = [&] {
    for (const char* k : kCitingKinds) out.insert({"cites_kind", self + "/" + k});
  };
  switch (kind.which()) {
    case K::PRICED_LINE: {
      auto l = kind.getPricedLine();
      const std::string period = text_of(l.getPeriod()).substr(0, 7);
      out.insert({"line", text_of(l.getLineId())});      // every version, credit, dispute
      cited_by_all();                                      // every match, exception, invoice, dispute of it
      out.insert({"period_kind", period + "/signOff"});
      out.insert({"period_kind", period + "/periodReopen"});
      break;
    }
    case K::CREDIT: cited_by_all(); break;          // its exceptions and credit note
    case K::INVOICE_CHUNK: cited_by_all(); break;   // its invoice header
    case K::EXCEPTION: out.insert({"exception", text_of(kind.getException().getExceptionId())}); break;
    case K::RULE_VERSION: out.insert({"rule", text_of(kind.getRuleVersion().getRuleId())}); break;
    default: break;
  }
}

// Closes a collection under completeness: every entry filed under a required subject is
// carried — with the lineage of each priced line so brought in, and what it brings in turn —
// or, if kept from the audience, listed as withheld (its hash and inclusion only).
class Completion {
 public:
  Completion(const ledger::Snapshot& snapshot, Audience audience, Collection& c)
      : snapshot_(snapshot), audience_(audience), c_(c) {}

  Status run(BundleSubject kind, const std::string& id) {
    required_.insert({"kind", "keyEvent"});
    required_.insert(kind == BundleSubject::kInvoice ? SubjectName{"invoice", id} : SubjectName{"line", id});
    for (bool grew = true; grew;) {
      CB_CHECK(derive_required());
      CB_TRY(grew, bring_in());
    }
    return {};
  }
  const std::map<SubjectName, std::vector<uint64_t>>& subjects() const { return subjects_; }
  const std::set<uint64_t>& withheld() const { return withheld_; }

 private:
  Status derive_required() {
    // Only these kinds require subjects (subjects_required_by): the others are not read again.
    static const std::set<std::string> kRequiring = {"priced_line", "credit", "invoice_chunk", "exception", "rule_version"};
    std::vector<uint64_t> fresh;
    for (const auto& [index, role] : c_.roles()) {
      if (derived_.insert(index).second && kRequiring.count(role) != 0) fresh.push_back(index);
    }
    for (uint64_t index : fresh) {
      CB_TRY(DecodedEntry e, snapshot_.entry(index));
      subjects_required_by(e.reader(), required_);
    }
    return {};
  }

  // Looks up the required subjects not yet looked up; true if any entry was added.
  Result<bool> bring_in() {
    bool grew = false;
    for (const SubjectName& s : required_) {
      if (subjects_.count(s) != 0) continue;
      CB_TRY(std::vector<uint64_t> indexes, snapshot_.lookup(s.first, s.second));
      for (uint64_t i : indexes) {
        if (c_.has(i) || withheld_.count(i) != 0) continue;
        CB_CHECK(add(i));
        grew = true;
      }
      subjects_.emplace(s, std::move(indexes));
    }
    return grew;
  }

  Status add(uint64_t index) {
    CB_TRY(DecodedEntry e, snapshot_.entry(index));
    auto kind = e.reader().getKind();
    const char* role = role_of(kind.which());
    if (role == nullptr) return Error::corruption("entry " + std::to_string(index) + " is filed under a bundle's subject but cannot be bundled");
    if (hidden_from(role, audience_)) {
      withheld_.insert(index);
      return {};
    }
    if (kind.isPricedLine()) {
      CB_TRY(Lineage l, line_lineage_at(snapshot_, index));
      c_.add(for_audience(std::move(l), audience_));
    }
    if (kind.isCredit()) {
      for (auto credited : kind.getCredit().getLines()) {
        CB_TRY(Lineage l, line_lineage_at(snapshot_, credited.getIndex()));
        c_.add(for_audience(std::move(l), audience_));
      }
    }
    c_.add(role, index);
    return {};
  }

  const ledger::Snapshot& snapshot_;
  Audience audience_;
  Collection& c_;
  std::set<SubjectName> required_;
  std::set<uint64_t> derived_;
  std::map<SubjectName, std::vector<uint64_t>> subjects_;
  std::set<uint64_t> withheld_;
};

// Adds to `out` the sealed parts (docs/evidence.md §5) carried entry `e` names that the audience
// is not shown — a line's LineCost and rated usage, a sign-off's summary — so the bundle
// withholds them and the verifier proves they are in the log.
void add_sealed_withheld(schema::Entry::Reader e, const Collection& c, std::set<uint64_t>& out) {
  auto kind = e.getKind();
  if (!kind.isPricedLine() && !kind.isSignOff()) return;
  auto sealed = kind.isPricedLine() ? kind.getPricedLine().getCost() : kind.getSignOff().getSummary();
  if (sealed.getHash().size() == 0) return;
  if (!c.has(sealed.getIndex())) out.insert(sealed.getIndex());
  if (!kind.isPricedLine()) return;
  for (auto u : kind.getPricedLine().getUsage()) {
    if (!c.has(u.getIndex())) out.insert(u.getIndex());  // rated usage (lineage.cpp)
  }
}

// The subject proofs (docs/evidence.md §1): each subject with the entries filed under it, and
// each bucket they fall in with its heads and path to the checkpoint's subject root.
// `withheld`: the sealed parts kept from the audience; the subjects' withheld entries join them.
Status add_subject_proofs(const ledger::Snapshot& snapshot, const Completion& done, std::set<uint64_t> withheld_indexes,
                          nlohmann::ordered_json& bundle) {
  nlohmann::ordered_json subjects = nlohmann::ordered_json::array();
  std::set<uint16_t> buckets;
  for (const auto& [name, indexes] : done.subjects()) {
    subjects.push_back({{"name", name.first}, {"value", name.second}, {"indexes", indexes}});
    buckets.insert(subject_bucket(subject_key(name.first, name.second)));
  }
  nlohmann::ordered_json proofs = nlohmann::ordered_json::array();
  for (uint16_t b : buckets) {
    CB_TRY(ledger::SubjectBucketProof proof, snapshot.subject_bucket_proof(b));
    nlohmann::ordered_json heads = nlohmann::ordered_json::array();
    for (const auto& [subject, head] : proof.heads) {
      heads.push_back({{"subject", to_base64(as_bytes(subject))}, {"head", to_hex(as_bytes(head.encode()))}});
    }
    proofs.push_back({{"bucket", b}, {"heads", heads}, {"path", hashes_json(proof.path)}});
  }
  withheld_indexes.insert(done.withheld().begin(), done.withheld().end());
  nlohmann::ordered_json withheld = nlohmann::ordered_json::array();
  for (uint64_t i : withheld_indexes) {
    CB_TRY(Hash hash, snapshot.entry_hash(i));
    CB_TRY(std::vector<Hash> proof, snapshot.inclusion_proof(i, snapshot.size()));
    withheld.push_back({{"index", i}, {"hash", to_hex(hash)}, {"inclusion", hashes_json(proof)}});
  }
  bundle["subjects"] = std::move(subjects);
  bundle["buckets"] = std::move(proofs);
  bundle["withheld"] = std::move(withheld);
  return {};
}

// `bytes` is the bundle's size, or with `at_least` a lower bound on it (building stopped early).
Error too_large(BundleSubject kind, const std::string& id, size_t bytes, bool at_least, size_t bytes_max) {
  const auto mib = [](size_t n) { return std::to_string((n + (size_t{1} << 20) - 1) >> 20); };
  std::string message = "the bundle of " + std::string(kind == BundleSubject::kInvoice ? "invoice " : "line ") + id + " would be " +
                        (at_least ? "more than " : "") + mib(bytes) + " MiB; closebook-verify reads at most " + mib(bytes_max) +
                        " MiB, so nothing was written";
  if (kind == BundleSubject::kInvoice) {
    message += ". Verify its lines' bundles (closebook bundle --line ID), each of which carries the invoice's header and the "
               "line's chunk, or the whole ledger (closebook-verify ledger)";
  }
  return Error::invalid(std::move(message));
}

}  // namespace

Result<std::string> build_bundle(const ledger::Snapshot& snapshot, BundleSubject kind, const std::string& id,
                                 Audience audience, size_t bytes_max) {
  Collection c;
  if (kind == BundleSubject::kInvoice) {
    CB_CHECK(collect_invoice(snapshot, id, audience, c));
  } else {
    CB_TRY(Lineage l, line_lineage(snapshot, id));
    c.add(for_audience(std::move(l), audience));
  }
  // Everything filed under the subjects it is about (the whole key registry among them, so a
  // verifier replays who could sign when), then what proves the owner and rule of every line.
  Completion completion(snapshot, audience, c);
  CB_CHECK(completion.run(kind, id));
  CB_CHECK(collect_ownership(snapshot, audience, c));
  CB_CHECK(completion.run(kind, id));  // the rule versions ownership brought in

  const uint64_t size = snapshot.size();
  CB_TRY(std::string checkpoint, snapshot.checkpoint(size));
  nlohmann::ordered_json entries = nlohmann::ordered_json::array();
  nlohmann::ordered_json sign_offs = nlohmann::ordered_json::array();
  std::set<uint64_t> sealed_withheld;
  // What the entries' base64 bytes and hex hashes alone add to the file: past bytes_max, the
  // bundle is refused before the rest of it is built (a huge invoice's would take many GB).
  size_t bytes_at_least = 0;
  for (const auto& [index, role] : c.roles()) {
    CB_TRY(DecodedEntry e, snapshot.entry(index));
    add_sealed_withheld(e.reader(), c, sealed_withheld);
    CB_TRY(std::vector<Hash> proof, snapshot.inclusion_proof(index, size));
    std::string bytes = to_base64(as_bytes(e.bytes()));
    bytes_at_least += bytes.size() + 2 * sizeof(Hash) * (1 + proof.size());  // hex: two characters a byte
    if (bytes_at_least > bytes_max) return too_large(kind, id, bytes_at_least, /*at_least=*/true, bytes_max);
    entries.push_back({{"index", index},
                       {"role", role},
                       {"hash", to_hex(e.hash())},
                       {"bytes", std::move(bytes)},
                       {"json", nlohmann::ordered_json::parse(entry_json(e.reader()))},
                       {"inclusion", hashes_json(proof)}});
    if (e.reader().getKind().isSignOff()) {
      const uint64_t signed_size = e.reader().getKind().getSignOff().getTreeSize();
      CB_TRY(std::vector<Hash> consistency, snapshot.consistency_proof(signed_size, size));
      sign_offs.push_back({{"index", index}, {"tree_size", signed_size}, {"consistency", hashes_json(consistency)}});
    }
  }
  // Assigned, not listed in an initializer: a list would copy the entries (an invoice's
  // bundle holds hundreds of MB of them) where a move costs nothing.
  nlohmann::ordered_json bundle{{"format", kBundleFormat},
                                {"subject", {{"kind", kind == BundleSubject::kInvoice ? "invoice" : "line"}, {"id", id}}},
                                {"tree_size", size},
                                {"checkpoint", checkpoint}};
  bundle["entries"] = std::move(entries);
  bundle["sign_offs"] = std::move(sign_offs);
  CB_CHECK(add_subject_proofs(snapshot, completion, std::move(sealed_withheld), bundle));
  std::string text = bundle.dump(2) + "\n";
  if (text.size() > bytes_max) return too_large(kind, id, text.size(), /*at_least=*/false, bytes_max);
  return text;
}

}  // namespace closebook::close
