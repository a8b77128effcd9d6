// closebook-verify bundle: checks an evidence bundle offline with the log's verifier key only,
// and recomputes every amount from the entries it carries. It shares no code with the writer
// but the evidence/ primitives: the pricing and invoice formulas are implemented again here,
// from docs/matching.md §3 and docs/close.md §2, so a bug in one shows against the other.
#include <kj/exception.h>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "evidence/checkpoint.h"
#include "evidence/date.h"
#include "evidence/decimal.h"
#include "evidence/keys.h"
#include "evidence/merkle.h"
#include "evidence/signoff_check.h"
#include "evidence/subject_map.h"
#include "verify/bundle_fields.h"
#include "verify/completeness.h"
#include "verify/rules.h"
#include "verify/verify.h"

namespace closebook::verify {
namespace {

using json = nlohmann::ordered_json;
using K = schema::Entry::Kind;

// R4: the roles a bundle names its entries by (docs/evidence.md §1), each the name of one kind.
const std::map<std::string, K::Which> kRoles = {
    {"priced_line", K::PRICED_LINE},     {"rule_version", K::RULE_VERSION},      {"fx_lock", K::FX_LOCK},
    {"fx_rate", K::FX_RATE},             {"usage", K::USAGE_RECORD},             {"match_result", K::MATCH_RESULT},
    {"match_run", K::MATCH_RUN},         {"vendor_invoice_line", K::INVOICE_LINE}, {"exception", K::EXCEPTION},
    {"exception_update", K::EXCEPTION_UPDATE}, {"sign_off", K::SIGN_OFF},        {"key_event", K::KEY_EVENT},
    {"invoice", K::INVOICE},             {"credit", K::CREDIT},                  {"period_reopen", K::PERIOD_REOPEN},
    {"journal_posting", K::JOURNAL_POSTING}, {"posting_ack", K::POSTING_ACK},    {"partner", K::PARTNER},
    {"dispute", K::DISPUTE},             {"tenant_edge", K::TENANT_EDGE},        {"invoice_chunk", K::INVOICE_CHUNK},
    {"line_cost", K::LINE_COST},         {"signoff_summary", K::SIGN_OFF_SUMMARY}};

std::string text(capnp::Text::Reader t) { return std::string(t.cStr(), t.size()); }


// The value a field has when an entry written before the field existed is decoded.
bool is_default(const json& v) {
  return (v.is_string() && (v == "" || v == "0")) || (v.is_number() && v == 0) || (v.is_boolean() && v == false) ||
         (v.is_array() && v.empty()) || (v.is_object() && v.empty()) || v.is_null();
}

// The bundle's JSON of an entry is its decoding, except that fields the schema gained after the
// bundle was written (so at their default) may be missing: bundles outlive schema extensions.
bool json_matches(const json& decoded, const json& bundled) {
  if (!decoded.is_object() || !bundled.is_object()) {
    if (!decoded.is_array() || !bundled.is_array()) return decoded == bundled;
    if (decoded.size() != bundled.size()) return false;
    for (size_t i = 0; i < decoded.size(); ++i) {
      if (!json_matches(decoded[i], bundled[i])) return false;
    }
    return true;
  }
  for (auto it = bundled.begin(); it != bundled.end(); ++it) {
    if (!decoded.contains(it.key()) || !json_matches(decoded[it.key()], it.value())) return false;
  }
  for (auto it = decoded.begin(); it != decoded.end(); ++it) {
    if (!bundled.contains(it.key()) && !is_default(it.value())) return false;
  }
  return true;
}

class BundleChecker {
 public:
  BundleChecker(const VerifierKey& key, BundleReport& report) : key_(key), report_(report) {}

  Status run(std::string_view text) {
    const json b = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (b.is_discarded()) return failed("R1: the bundle is not JSON");
    // One canonical form (closebook's own: 2-space indent, fields in order, a final newline),
    // so no byte of a bundle can change without the check noticing.
    if (b.dump(2) + "\n" != text) return failed("R1: the bundle is not in canonical form (re-indented or edited?)");
    if (b.is_object() && b.contains("format") && b["format"] == "closebook-bundle-v1") {
      return failed("R1: a closebook-bundle-v1 bundle carries no tenant edges nor the SKU's other rule versions, so it cannot "
                    "prove who owns its lines or that their rule applied; ask for a new bundle (closebook-bundle-v3)");
    }
    if (b.is_object() && b.contains("format") && b["format"] == "closebook-bundle-v2") {
      return failed("R1: a closebook-bundle-v2 bundle does not prove it is complete: it could leave out a later credit, "
                    "reopen, dispute or key revocation unnoticed; ask for a new bundle (closebook-bundle-v3)");
    }
    CB_CHECK(only_keys(b, {"format", "subject", "tree_size", "checkpoint", "entries", "sign_offs", "subjects", "buckets", "withheld"},
                       "the bundle"));
    if (b["format"] != "closebook-bundle-v3") return failed("R1: the bundle's format is not closebook-bundle-v3");
    CB_CHECK(only_keys(b["subject"], {"kind", "id"}, "subject"));
    if (!b["subject"]["kind"].is_string() || !b["subject"]["id"].is_string()) return failed("R1: the subject is malformed");
    report_.subject_kind = b["subject"]["kind"].get<std::string>();
    if (report_.subject_kind != "invoice" && report_.subject_kind != "line") return failed("R1: the subject is neither an invoice nor a line");
    report_.subject_id = b["subject"]["id"].get<std::string>();
    CB_CHECK(check_checkpoint(b));
    CB_CHECK(load_entries(b["entries"]));
    CB_TRY(CompletenessReport complete, check_completeness(b, entries_, size_, root_, subjects_root_));
    report_.subjects_proven = complete.subjects;
    report_.withheld = complete.withheld.size();
    withheld_ = std::move(complete.withheld);
    CB_CHECK(check_references());
    CB_CHECK(replay_keys());
    CB_CHECK(check_sign_offs(b["sign_offs"]));
    CB_CHECK(recompute());
    CB_CHECK(check_subject());
    CB_CHECK(check_line_partners());
    return {};
  }

 private:
  Status check_checkpoint(const json& b) {
    if (!b["checkpoint"].is_string() || !b["tree_size"].is_number_unsigned()) return failed("R2: checkpoint or tree_size is malformed");
    auto cp = open_checkpoint(b["checkpoint"].get<std::string>(), key_);
    if (!cp.ok()) return failed("R2: the checkpoint: " + cp.error().message);
    if (cp->checkpoint.size != b["tree_size"].get<uint64_t>()) return failed("R2: tree_size is not the checkpoint's size");
    size_ = cp->checkpoint.size;
    root_ = cp->checkpoint.root;
    auto subjects = subjects_root_of(cp->checkpoint.extensions);
    if (!subjects.ok() || !subjects->has_value()) {
      return failed("R33: the checkpoint carries no valid closebook-subjects/v2 line, so nothing proves the bundle complete");
    }
    subjects_root_ = **subjects;
    report_.origin = cp->checkpoint.origin;
    report_.checkpoint = b["checkpoint"].get<std::string>();
    report_.tree_size = size_;
    return {};
  }

  // Each entry: canonical bytes whose leaf hash is stated, whose index is its position, whose
  // JSON is exactly its decoding, and which the checkpoint's tree includes at that index.
  Status load_entries(const json& list) {
    if (!list.is_array() || list.empty()) return failed("R3: the bundle has no entries");
    for (const json& item : list) {
      CB_CHECK(only_keys(item, {"index", "role", "hash", "bytes", "json", "inclusion"}, "an entry"));
      if (!item["index"].is_number_unsigned() || !item["bytes"].is_string() || !item["hash"].is_string() ||
          !item["role"].is_string()) {
        return failed("R3: an entry is malformed");
      }
      const uint64_t index = item["index"].get<uint64_t>();
      const std::string where = "entry " + std::to_string(index);
      auto bytes = from_base64(item["bytes"].get<std::string>());
      if (!bytes.ok() || to_base64(as_bytes(*bytes)) != item["bytes"].get<std::string>()) {
        return failed("R3: " + where + ": bytes are not canonical base64");
      }
      const auto role = kRoles.find(item["role"].get<std::string>());
      if (role == kRoles.end()) return failed("R4: " + where + ": unknown role \"" + item["role"].get<std::string>() + "\"");
      auto entry = DecodedEntry::decode(*bytes);
      if (!entry.ok()) return failed("R3: " + where + ": " + entry.error().message);
      if (entry->reader().getKind().which() != role->second) {
        return failed("R4: " + where + " is labelled " + role->first + " but is a " + kind_name(entry->reader()) + " entry");
      }
      if (entry->reader().getIndex() != index) return failed("R3: " + where + ": its envelope says index " + std::to_string(entry->reader().getIndex()));
      if (to_hex(entry->hash()) != item["hash"].get<std::string>()) return failed("R3: " + where + ": the stated hash is not its leaf hash");
      if (index >= size_) return failed("R3: " + where + " is beyond the checkpoint's tree size");
      CB_TRY(std::vector<Hash> proof, hashes(item["inclusion"], where + " inclusion"));
      if (!verify_inclusion(entry->hash(), index, size_, proof, root_).ok()) {
        return failed("R3: " + where + ": the inclusion proof does not lead to the checkpoint's root");
      }
      // Only an entry of the log is decoded further.
      const json decoded = json::parse(entry_json(entry->reader()), nullptr, /*allow_exceptions=*/false);
      if (decoded.is_discarded() || !json_matches(decoded, item["json"])) return failed("R3: " + where + ": the JSON is not its decoding");
      if (!entries_.emplace(index, std::move(*entry)).second) return failed("R3: " + where + " is in the bundle twice");
    }
    report_.entries = entries_.size();
    return {};
  }

  bool is_subject(const DecodedEntry& e) const {
    auto kind = e.reader().getKind();
    if (report_.subject_kind == "invoice") return kind.isInvoice() && text(kind.getInvoice().getInvoiceId()) == report_.subject_id;
    return kind.isPricedLine() && text(kind.getPricedLine().getLineId()) == report_.subject_id;
  }

  const DecodedEntry* get(uint64_t index) const {
    auto it = entries_.find(index);
    return it == entries_.end() ? nullptr : &it->second;
  }

  // A reference to a bundled entry must carry that entry's hash; `required` ones must be bundled.
  // A sealed part (R34) may be withheld instead, with the hash the reference states.
  Status sealed_ref(schema::EntryRef::Reader r, uint64_t from) {
    if (get(r.getIndex()) == nullptr) {
      const auto w = withheld_.find(r.getIndex());
      if (w == withheld_.end() || w->second != hash_of(r.getHash())) {
        return failed("R5: entry " + std::to_string(from) + " names its sealed part, entry " + std::to_string(r.getIndex()) +
                      ", which the bundle neither carries nor withholds with that hash");
      }
      return {};
    }
    return ref(r, from, true);
  }

  Status ref(schema::EntryRef::Reader r, uint64_t from, bool required) {
    const DecodedEntry* target = get(r.getIndex());
    if (target == nullptr) {
      return required ? failed("R5: entry " + std::to_string(from) + " refers to entry " + std::to_string(r.getIndex()) +
                               ", which the bundle lacks")
                      : Status{};
    }
    if (hash_of(r.getHash()) != target->hash()) {
      return failed("R5: entry " + std::to_string(from) + " refers to entry " + std::to_string(r.getIndex()) +
                    " with another hash than the entry's");
    }
    ++report_.references;
    return {};
  }

  Status check_references() {
    for (const auto& [index, e] : entries_) {
      auto kind = e.reader().getKind();
      switch (kind.which()) {
        case K::PRICED_LINE: {
          auto l = kind.getPricedLine();
          if (l.getCost().getHash().size() == 0) {
            CB_CHECK(ref(l.getRule(), index, true));
          } else {
            CB_CHECK(sealed_ref(l.getCost(), index));
          }
          if (l.getFxLock().getHash().size() != 0) CB_CHECK(ref(l.getFxLock(), index, true));
          for (auto u : l.getUsage()) {
            if (l.getCost().getHash().size() == 0) {
              CB_CHECK(ref(u, index, true));
            } else {
              CB_CHECK(sealed_ref(u, index));  // a rated record may be withheld (R34)
            }
          }
          break;
        }
        case K::FX_LOCK: CB_CHECK(ref(kind.getFxLock().getRateRef(), index, false)); break;
        case K::MATCH_RESULT: {
          auto r = kind.getMatchResult();
          CB_CHECK(ref(r.getRun(), index, false));
          for (auto x : r.getInvoiceLines()) CB_CHECK(ref(x, index, false));
          for (auto x : r.getUsage()) CB_CHECK(ref(x, index, false));
          for (auto x : r.getPricedLines()) CB_CHECK(ref(x, index, false));
          break;
        }
        case K::EXCEPTION:
          for (auto x : kind.getException().getEvidence()) CB_CHECK(ref(x, index, false));
          break;
        case K::EXCEPTION_UPDATE: CB_CHECK(ref(kind.getExceptionUpdate().getException(), index, false)); break;
        case K::SIGN_OFF:
          for (auto s : kind.getSignOff().getSignatures()) CB_CHECK(ref(s.getKeyEvent(), index, true));
          if (kind.getSignOff().getSummary().getHash().size() != 0) CB_CHECK(sealed_ref(kind.getSignOff().getSummary(), index));
          break;
        case K::LINE_COST: CB_CHECK(ref(kind.getLineCost().getRule(), index, true)); break;
        case K::PERIOD_REOPEN:
          CB_CHECK(ref(kind.getPeriodReopen().getCause(), index, false));
          CB_CHECK(ref(kind.getPeriodReopen().getPreviousSignOff(), index, false));
          break;
        case K::CREDIT:
          for (auto x : kind.getCredit().getLines()) CB_CHECK(ref(x, index, true));
          break;
        case K::INVOICE: {
          // The subject invoice brings every line it bills; another (an earlier invoice of a
          // credited line) brings only what the subject's lineage needs.
          const bool subject = is_subject(e);
          CB_CHECK(ref(kind.getInvoice().getSignOff(), index, subject));
          for (auto item : kind.getInvoice().getItems()) CB_CHECK(ref(item.getLine(), index, subject));
          for (auto chunk : kind.getInvoice().getChunks()) CB_CHECK(ref(chunk, index, subject));
          break;
        }
        case K::INVOICE_CHUNK: {
          // A chunk of the subject invoice brings every line it bills; of another (a line's
          // invoice), only the line the subject is.
          const bool subject = report_.subject_kind == "invoice" && text(kind.getInvoiceChunk().getInvoiceId()) == report_.subject_id;
          for (auto item : kind.getInvoiceChunk().getItems()) CB_CHECK(ref(item.getLine(), index, subject));
          break;
        }
        case K::JOURNAL_POSTING:
          CB_CHECK(ref(kind.getJournalPosting().getSignOff(), index, false));
          for (auto line : kind.getJournalPosting().getLines()) {
            for (auto x : line.getRefs()) CB_CHECK(ref(x, index, false));
            if (line.getFxLock().getHash().size() != 0) CB_CHECK(ref(line.getFxLock(), index, true));
          }
          break;
        case K::POSTING_ACK: CB_CHECK(ref(kind.getPostingAck().getPosting(), index, false)); break;
        case K::DISPUTE: CB_CHECK(ref(kind.getDispute().getLine(), index, false)); break;
        case K::KEY_EVENT:
          if (kind.getKeyEvent().getAction() == KeyAction::ROTATE) CB_CHECK(ref(kind.getKeyEvent().getReplaces(), index, true));
          break;
        default: break;
      }
    }
    return {};
  }

  // Entry 0 registers the trusted log key; every key event replays in ledger order.
  Status replay_keys() {
    const DecodedEntry* genesis = get(0);
    if (genesis == nullptr || !genesis->reader().getKind().isKeyEvent()) return failed("R6: the bundle lacks entry 0, the log's key event");
    auto g = genesis->reader().getKind().getKeyEvent();
    if (g.getRole() != KeyRole::LOG || text(g.getVerifierKey()) != key_.to_string()) {
      return failed("R6: entry 0 registers another log key than the one given with --key");
    }
    for (const auto& [index, e] : entries_) {
      if (auto st = registry_.apply(e); !st.ok()) return failed("R6: " + st.error().message);
    }
    return {};
  }

  // Each sign-off: its tree head extends to the checkpoint, and it is signed by keys active then.
  Status check_sign_offs(const json& list) {
    if (!list.is_array()) return failed("R7: sign_offs is not a list");
    std::set<uint64_t> proven;
    for (const json& item : list) {
      CB_CHECK(only_keys(item, {"index", "tree_size", "consistency"}, "a sign-off"));
      if (!item["index"].is_number_unsigned() || !item["tree_size"].is_number_unsigned()) return failed("R7: a sign-off is malformed");
      const uint64_t index = item["index"].get<uint64_t>();
      const DecodedEntry* e = get(index);
      if (e == nullptr || !e->reader().getKind().isSignOff()) return failed("R7: sign-off " + std::to_string(index) + " is not bundled");
      const std::string where = "sign-off " + std::to_string(index);
      if (e->reader().getKind().getSignOff().getTreeSize() != item["tree_size"].get<uint64_t>()) {
        return failed("R7: " + where + ": tree_size is not the entry's");
      }
      auto checked = check_signoff_entry(*e, registry_, report_.origin);
      if (!checked.ok()) return failed("R7: " + checked.error().message);
      CB_TRY(std::vector<Hash> proof, hashes(item["consistency"], where + " consistency"));
      if (!verify_consistency(checked->tree_size, size_, checked->root, root_, proof).ok()) {
        return failed("R7: " + where + ": its tree head is not consistent with the checkpoint");
      }
      report_.signers.insert(checked->finance.begin(), checked->finance.end());
      proven.insert(index);
    }
    for (const auto& [index, e] : entries_) {
      if (e.reader().getKind().isSignOff() && proven.count(index) == 0) {
        return failed("R7: sign-off " + std::to_string(index) + " has no consistency proof in the bundle");
      }
    }
    report_.sign_offs = proven.size();
    return {};
  }

  // ------------------------------------------------------------------------------------
  // R8–R32, over the bundled entries in ledger order (verify/rules.h): what is not bundled
  // is not known, so the rules that need the whole ledger are closebook-verify ledger's.

  Status recompute() {
    Rules rules([this](uint64_t i) { return get(i); }, /*complete=*/false);
    for (const auto& [index, e] : entries_) CB_CHECK(rules.add(e));
    report_.lines_recomputed = rules.counts().lines_recomputed;
    report_.lines_cost_withheld = rules.counts().lines_cost_withheld;
    report_.lines_usage_withheld = rules.counts().lines_usage_withheld;
    report_.summaries_withheld = rules.counts().summaries_withheld;
    report_.invoices_recomputed = rules.counts().invoices_recomputed;
    return {};
  }

  // The subject is bundled (its references were required, so its amounts were recomputed).
  Status check_subject() {
    for (const auto& [index, e] : entries_) {
      if (!is_subject(e)) continue;
      if (!e.reader().getKind().isInvoice()) return {};
      // R5: the subject invoice's partner is bundled, so its currency and GST treatment are checked (R17).
      const std::string partner = text(e.reader().getKind().getInvoice().getPartnerId());
      for (const auto& [i, p] : entries_) {
        if (i < index && p.reader().getKind().isPartner() && text(p.reader().getKind().getPartner().getPartnerId()) == partner) return {};
      }
      return failed("R5: invoice " + std::to_string(index) + ": the partner it bills is not in the bundle");
    }
    return failed("R7: the bundle does not hold its subject, " + report_.subject_kind + " " + report_.subject_id);
  }

  // R5: each priced line's partner is bundled, whose margin floor R31 reads when the line's
  // rule names none.
  Status check_line_partners() {
    std::map<std::string, uint64_t> first_partner;  // partner id -> its first bundled Partner entry
    for (const auto& [i, p] : entries_) {
      if (p.reader().getKind().isPartner()) first_partner.emplace(text(p.reader().getKind().getPartner().getPartnerId()), i);
    }
    for (const auto& [index, e] : entries_) {
      if (!e.reader().getKind().isPricedLine()) continue;
      auto known = first_partner.find(text(e.reader().getKind().getPricedLine().getPartnerId()));
      if (known == first_partner.end() || known->second > index) {
        return failed("R5: priced line " + std::to_string(index) + ": its partner is not in the bundle");
      }
    }
    return {};
  }

  const VerifierKey& key_;
  BundleReport& report_;
  uint64_t size_ = 0;
  Hash root_{}, subjects_root_{};
  std::map<uint64_t, DecodedEntry> entries_;
  std::map<uint64_t, Hash> withheld_;  // index -> leaf hash, proven included (R33)
  KeyRegistry registry_;
};

}  // namespace

Result<BundleReport> check_bundle(std::string_view bundle_json, const VerifierKey& key) {
  BundleReport report;
  BundleChecker checker(key, report);
  // A bundle is untrusted input: whatever a library refuses to read is a failed check, not a crash.
  try {
    CB_CHECK(checker.run(bundle_json));
  } catch (const kj::Exception& e) {
    return failed(std::string("R3: an entry cannot be read: ") + e.getDescription().cStr());
  } catch (const std::exception& e) {
    return failed(std::string("R1: the bundle cannot be read: ") + e.what());
  }
  return report;
}

}  // namespace closebook::verify
