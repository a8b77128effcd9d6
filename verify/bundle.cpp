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
#include "verify/verify.h"

namespace closebook::verify {
namespace {

using json = nlohmann::ordered_json;
using K = schema::Entry::Kind;

Error failed(const std::string& what) { return Error::corruption(what); }

// The roles a bundle names its entries by (docs/evidence.md).
const std::set<std::string> kRoles = {
    "priced_line", "rule_version", "fx_lock", "fx_rate", "usage", "match_result", "match_run", "vendor_invoice_line",
    "exception", "exception_update", "sign_off", "key_event", "invoice", "credit", "period_reopen", "journal_posting",
    "posting_ack", "partner", "dispute"};

std::string text(capnp::Text::Reader t) { return std::string(t.cStr(), t.size()); }

Result<Decimal> dec(capnp::Text::Reader t, const std::string& what) {
  auto d = Decimal::parse(text(t));
  if (!d.ok()) return failed(what + ": \"" + text(t) + "\" is not a decimal");
  return d;
}

Result<std::vector<Hash>> hashes(const json& list, const std::string& what) {
  if (!list.is_array()) return failed(what + " is not a list of hashes");
  std::vector<Hash> out;
  for (const json& h : list) {
    if (!h.is_string()) return failed(what + " holds a non-string");
    auto parsed = hash_from_hex(h.get<std::string>());
    if (!parsed.ok()) return failed(what + ": " + parsed.error().message);
    if (to_hex(*parsed) != h.get<std::string>()) return failed(what + ": a hash is not lower-case hex");
    out.push_back(*parsed);
  }
  return out;
}

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

Status only_keys(const json& obj, std::initializer_list<const char*> keys, const std::string& what) {
  if (!obj.is_object()) return failed(what + " is not an object");
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    bool known = false;
    for (const char* k : keys) known = known || it.key() == k;
    if (!known) return failed(what + " has an unknown field \"" + it.key() + "\"");
  }
  for (const char* k : keys) {
    if (!obj.contains(k)) return failed(what + " has no \"" + k + "\"");
  }
  return {};
}

class BundleChecker {
 public:
  BundleChecker(const VerifierKey& key, BundleReport& report) : key_(key), report_(report) {}

  Status run(std::string_view text) {
    const json b = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (b.is_discarded()) return failed("the bundle is not JSON");
    // One canonical form (closebook's own: 2-space indent, fields in order, a final newline),
    // so no byte of a bundle can change without the check noticing.
    if (b.dump(2) + "\n" != text) return failed("the bundle is not in canonical form (re-indented or edited?)");
    CB_CHECK(only_keys(b, {"format", "subject", "tree_size", "checkpoint", "entries", "sign_offs"}, "the bundle"));
    if (b["format"] != "closebook-bundle-v1") return failed("the bundle's format is not closebook-bundle-v1");
    CB_CHECK(only_keys(b["subject"], {"kind", "id"}, "subject"));
    if (!b["subject"]["kind"].is_string() || !b["subject"]["id"].is_string()) return failed("the subject is malformed");
    report_.subject_kind = b["subject"]["kind"].get<std::string>();
    if (report_.subject_kind != "invoice" && report_.subject_kind != "line") return failed("the subject is neither an invoice nor a line");
    report_.subject_id = b["subject"]["id"].get<std::string>();
    CB_CHECK(check_checkpoint(b));
    CB_CHECK(load_entries(b["entries"]));
    CB_CHECK(check_references());
    CB_CHECK(replay_keys());
    CB_CHECK(check_sign_offs(b["sign_offs"]));
    CB_CHECK(recompute());
    CB_CHECK(check_subject());
    return {};
  }

 private:
  Status check_checkpoint(const json& b) {
    if (!b["checkpoint"].is_string() || !b["tree_size"].is_number_unsigned()) return failed("checkpoint or tree_size is malformed");
    auto cp = open_checkpoint(b["checkpoint"].get<std::string>(), key_);
    if (!cp.ok()) return failed("the checkpoint: " + cp.error().message);
    if (cp->checkpoint.size != b["tree_size"].get<uint64_t>()) return failed("tree_size is not the checkpoint's size");
    size_ = cp->checkpoint.size;
    root_ = cp->checkpoint.root;
    report_.origin = cp->checkpoint.origin;
    report_.tree_size = size_;
    return {};
  }

  // Each entry: canonical bytes whose leaf hash is stated, whose index is its position, whose
  // JSON is exactly its decoding, and which the checkpoint's tree includes at that index.
  Status load_entries(const json& list) {
    if (!list.is_array() || list.empty()) return failed("the bundle has no entries");
    for (const json& item : list) {
      CB_CHECK(only_keys(item, {"index", "role", "hash", "bytes", "json", "inclusion"}, "an entry"));
      if (!item["index"].is_number_unsigned() || !item["bytes"].is_string() || !item["hash"].is_string() ||
          !item["role"].is_string()) {
        return failed("an entry is malformed");
      }
      const uint64_t index = item["index"].get<uint64_t>();
      const std::string where = "entry " + std::to_string(index);
      auto bytes = from_base64(item["bytes"].get<std::string>());
      if (!bytes.ok() || to_base64(as_bytes(*bytes)) != item["bytes"].get<std::string>()) {
        return failed(where + ": bytes are not canonical base64");
      }
      if (kRoles.count(item["role"].get<std::string>()) == 0) return failed(where + ": unknown role \"" + item["role"].get<std::string>() + "\"");
      auto entry = DecodedEntry::decode(*bytes);
      if (!entry.ok()) return failed(where + ": " + entry.error().message);
      if (entry->reader().getIndex() != index) return failed(where + ": its envelope says index " + std::to_string(entry->reader().getIndex()));
      if (to_hex(entry->hash()) != item["hash"].get<std::string>()) return failed(where + ": the stated hash is not its leaf hash");
      if (index >= size_) return failed(where + " is beyond the checkpoint's tree size");
      CB_TRY(std::vector<Hash> proof, hashes(item["inclusion"], where + " inclusion"));
      if (!verify_inclusion(entry->hash(), index, size_, proof, root_).ok()) {
        return failed(where + ": the inclusion proof does not lead to the checkpoint's root");
      }
      // Only an entry of the log is decoded further.
      const json decoded = json::parse(entry_json(entry->reader()), nullptr, /*allow_exceptions=*/false);
      if (decoded.is_discarded() || !json_matches(decoded, item["json"])) return failed(where + ": the JSON is not its decoding");
      if (!entries_.emplace(index, std::move(*entry)).second) return failed(where + " is in the bundle twice");
    }
    report_.entries = entries_.size();
    return {};
  }

  bool is_subject(const DecodedEntry& e) const {
    auto kind = e.reader().getKind();
    if (report_.subject_kind == "invoice") return kind.isInvoice() && text(kind.getInvoice().getInvoiceId()) == report_.subject_id;
    return kind.isPricedLine() && text(kind.getPricedLine().getLineId()) == report_.subject_id;
  }

  // Every entry `refs` points at is bundled.
  template <class List>
  bool all_bundled(List refs) const {
    for (auto r : refs) {
      if (get(r.getIndex()) == nullptr) return false;
    }
    return true;
  }

  const DecodedEntry* get(uint64_t index) const {
    auto it = entries_.find(index);
    return it == entries_.end() ? nullptr : &it->second;
  }

  // A reference to a bundled entry must carry that entry's hash; `required` ones must be bundled.
  Status ref(schema::EntryRef::Reader r, uint64_t from, bool required) {
    const DecodedEntry* target = get(r.getIndex());
    if (target == nullptr) {
      return required ? failed("entry " + std::to_string(from) + " refers to entry " + std::to_string(r.getIndex()) +
                               ", which the bundle lacks")
                      : Status{};
    }
    if (hash_of(r.getHash()) != target->hash()) {
      return failed("entry " + std::to_string(from) + " refers to entry " + std::to_string(r.getIndex()) +
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
          CB_CHECK(ref(l.getRule(), index, true));
          if (l.getFxLock().getHash().size() != 0) CB_CHECK(ref(l.getFxLock(), index, true));
          for (auto u : l.getUsage()) CB_CHECK(ref(u, index, true));
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
          break;
        case K::PERIOD_REOPEN:
          CB_CHECK(ref(kind.getPeriodReopen().getCause(), index, false));
          CB_CHECK(ref(kind.getPeriodReopen().getPreviousSignOff(), index, false));
          break;
        case K::CREDIT:
          for (auto x : kind.getCredit().getLines()) CB_CHECK(ref(x, index, false));
          break;
        case K::INVOICE: {
          // The subject invoice brings every line it bills; another (an earlier invoice of a
          // credited line) brings only what the subject's lineage needs.
          const bool subject = is_subject(e);
          CB_CHECK(ref(kind.getInvoice().getSignOff(), index, subject));
          for (auto item : kind.getInvoice().getItems()) CB_CHECK(ref(item.getLine(), index, subject));
          break;
        }
        case K::JOURNAL_POSTING:
          CB_CHECK(ref(kind.getJournalPosting().getSignOff(), index, false));
          for (auto line : kind.getJournalPosting().getLines()) {
            for (auto x : line.getRefs()) CB_CHECK(ref(x, index, false));
          }
          break;
        case K::POSTING_ACK: CB_CHECK(ref(kind.getPostingAck().getPosting(), index, false)); break;
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
    if (genesis == nullptr || !genesis->reader().getKind().isKeyEvent()) return failed("the bundle lacks entry 0, the log's key event");
    auto g = genesis->reader().getKind().getKeyEvent();
    if (g.getRole() != KeyRole::LOG || text(g.getVerifierKey()) != key_.to_string()) {
      return failed("entry 0 registers another log key than the one given with --key");
    }
    for (const auto& [index, e] : entries_) {
      if (auto st = registry_.apply(e); !st.ok()) return failed(st.error().message);
    }
    return {};
  }

  // Each sign-off: its tree head extends to the checkpoint, and it is signed by keys active then.
  Status check_sign_offs(const json& list) {
    if (!list.is_array()) return failed("sign_offs is not a list");
    std::set<uint64_t> proven;
    for (const json& item : list) {
      CB_CHECK(only_keys(item, {"index", "tree_size", "consistency"}, "a sign-off"));
      if (!item["index"].is_number_unsigned() || !item["tree_size"].is_number_unsigned()) return failed("a sign-off is malformed");
      const uint64_t index = item["index"].get<uint64_t>();
      const DecodedEntry* e = get(index);
      if (e == nullptr || !e->reader().getKind().isSignOff()) return failed("sign-off " + std::to_string(index) + " is not bundled");
      const std::string where = "sign-off " + std::to_string(index);
      if (e->reader().getKind().getSignOff().getTreeSize() != item["tree_size"].get<uint64_t>()) {
        return failed(where + ": tree_size is not the entry's");
      }
      auto checked = check_signoff_entry(*e, registry_, report_.origin);
      if (!checked.ok()) return failed(checked.error().message);
      CB_TRY(std::vector<Hash> proof, hashes(item["consistency"], where + " consistency"));
      if (!verify_consistency(checked->tree_size, size_, checked->root, root_, proof).ok()) {
        return failed(where + ": its tree head is not consistent with the checkpoint");
      }
      report_.signers.insert(checked->finance.begin(), checked->finance.end());
      sign_off_sizes_[index] = checked->tree_size;
      sign_off_periods_[index] = checked->period;
      proven.insert(index);
    }
    for (const auto& [index, e] : entries_) {
      if (e.reader().getKind().isSignOff() && proven.count(index) == 0) {
        return failed("sign-off " + std::to_string(index) + " has no consistency proof in the bundle");
      }
    }
    report_.sign_offs = proven.size();
    return {};
  }

  // ------------------------------------------------------------------------------------
  // Amounts, recomputed (docs/matching.md §3, docs/close.md §2–3)

  Status recompute() {
    for (const auto& [index, e] : entries_) {
      switch (e.reader().getKind().which()) {
        case K::PRICED_LINE: CB_CHECK(recompute_line(index, e.reader().getKind().getPricedLine())); break;
        case K::CREDIT:
          if (all_bundled(e.reader().getKind().getCredit().getLines())) {
            CB_CHECK(recompute_credit(index, e.reader().getKind().getCredit()));
          }
          break;
        case K::INVOICE: {
          bool complete = get(e.reader().getKind().getInvoice().getSignOff().getIndex()) != nullptr;
          for (auto item : e.reader().getKind().getInvoice().getItems()) complete = complete && get(item.getLine().getIndex()) != nullptr;
          if (complete) CB_CHECK(recompute_invoice(index, e.reader().getKind().getInvoice()));
          break;
        }
        default: break;
      }
    }
    return {};
  }

  Result<Decimal> quantity_of(schema::PricedLine::Reader l, uint64_t index) {
    using Basis = schema::UsageRecord::QuantityBasis;
    const std::string where = "priced line " + std::to_string(index);
    auto from = Date::parse(text(l.getFromDate())), to = Date::parse(text(l.getToDate()));
    if (!from.ok() || !to.ok() || to.value() < from.value()) return failed(where + ": no charge days (fromDate, toDate)");
    const int64_t first = from->days_since_epoch(), last = to->days_since_epoch();
    if (static_cast<uint64_t>(last - first + 1) != l.getProrationDays()) return failed(where + ": prorationDays is not its days");
    struct Use {
      int64_t day;
      uint64_t index;
      Decimal quantity;
      Basis basis;
    };
    std::vector<Use> uses;
    for (auto r : l.getUsage()) {
      auto u = get(r.getIndex())->reader().getKind();
      if (!u.isUsageRecord()) return failed(where + " cites entry " + std::to_string(r.getIndex()) + ", not a usage record");
      auto rec = u.getUsageRecord();
      const bool same_basis = (rec.getQuantityBasis() == Basis::CONSUMED) == (l.getQuantityBasis() == Basis::CONSUMED);
      if (rec.getVendor() != l.getVendor() || rec.getSkuId() != l.getSkuId() || rec.getSubscriptionId() != l.getSubscriptionId() ||
          !same_basis) {
        return failed(where + " sums usage record " + std::to_string(r.getIndex()) + " of another vendor, SKU, subscription or basis");
      }
      auto date = Date::parse(text(u.getUsageRecord().getUsageDate()));
      CB_TRY(Decimal q, dec(u.getUsageRecord().getQuantity(), where + " usage"));
      if (!date.ok()) return failed(where + ": a usage date is not a date");
      uses.push_back({date->days_since_epoch(), r.getIndex(), q, u.getUsageRecord().getQuantityBasis()});
    }
    const Decimal period_days = Decimal::from_int(l.getPeriodDays());
    if (l.getQuantityBasis() == Basis::CONSUMED) {
      Decimal q;
      for (const Use& u : uses) {
        if (u.day < first || u.day > last) continue;
        CB_TRY(q, q.add(u.quantity));
      }
      return q;
    }
    // One count for the whole period (docs/evidence.md, quantities): the peak of a peak line;
    // the largest snapshot dated in the period of a monthly seat report.
    // The cadence, as docs/evidence.md names it: empty (lines written before it was recorded) is daily.
    const std::string cadence = text(l.getCadence()).empty() ? "daily" : text(l.getCadence());
    if (cadence != "daily" && cadence != "weekly" && cadence != "monthly") return failed(where + ": cadence \"" + cadence + "\" is not daily, weekly or monthly");
    const bool one_count = l.getQuantityBasis() == Basis::PEAK || cadence == "monthly";
    if (one_count) {
      auto period = Period::parse(text(l.getPeriod()));
      if (!period.ok()) return failed(where + ": its period is not YYYY-MM");
      Decimal count;
      for (const Use& u : uses) {
        const bool in_period = period->first_day().days_since_epoch() <= u.day && u.day <= period->last_day().days_since_epoch();
        if (l.getQuantityBasis() == Basis::PEAK || in_period) count = std::max(count, u.quantity);
      }
      if (l.getProrationDays() == l.getPeriodDays()) return count;
      CB_TRY(Decimal count_days, count.mul(Decimal::from_int(static_cast<int64_t>(l.getProrationDays()))));
      return count_days.div(period_days, 6, Rounding::kHalfEven);
    }
    // Snapshots: each day counts the latest snapshot on or before it (later entry on a tie);
    // on a weekly feed, a day before every snapshot takes the earliest one of the 6 days after it.
    const bool weekly = cadence == "weekly";
    Decimal seat_days;
    for (int64_t d = first; d <= last; ++d) {
      const Use* current = nullptr;
      for (const Use& u : uses) {
        if (u.basis != Basis::SNAPSHOT || u.day > d) continue;
        if (current == nullptr || u.day > current->day || (u.day == current->day && u.index > current->index)) current = &u;
      }
      for (const Use& u : uses) {
        if (current != nullptr && current->day <= d) break;  // a count on or before the day decides
        if (!weekly || u.basis != Basis::SNAPSHOT || u.day <= d || u.day > d + 6) continue;
        if (current == nullptr || u.day < current->day || (u.day == current->day && u.index > current->index)) current = &u;
      }
      if (current == nullptr) continue;
      CB_TRY(seat_days, seat_days.add(current->quantity));
    }
    return seat_days.div(period_days, 6, Rounding::kHalfEven);
  }

  // The rate the line's FX lock gives from `currency` to the line's currency.
  Result<Decimal> rate(schema::PricedLine::Reader l, const std::string& currency, const std::string& where) {
    if (currency == text(l.getCurrency())) return Decimal::from_int(1);
    const DecodedEntry* lock = l.getFxLock().getHash().size() ? get(l.getFxLock().getIndex()) : nullptr;
    if (lock == nullptr || !lock->reader().getKind().isFxLock()) return failed(where + ": no FX lock for " + currency);
    auto f = lock->reader().getKind().getFxLock();
    if (text(f.getBase()) != currency || text(f.getQuote()) != text(l.getCurrency())) {
      return failed(where + ": its FX lock is " + text(f.getBase()) + "/" + text(f.getQuote()) + ", not " + currency + "/" +
                    text(l.getCurrency()));
    }
    // The lock is the period's, and its rate is the recorded FX rate it names.
    const DecodedEntry* fx = get(f.getRateRef().getIndex());
    if (f.getPeriod() != l.getPeriod() || fx == nullptr || !fx->reader().getKind().isFxRate() ||
        fx->reader().getKind().getFxRate().getRate() != f.getRate() || fx->reader().getKind().getFxRate().getDate() != f.getRateDate() ||
        fx->reader().getKind().getFxRate().getBase() != f.getBase() || fx->reader().getKind().getFxRate().getQuote() != f.getQuote()) {
      return failed(where + ": its FX lock is not the period's lock of a bundled FX rate");
    }
    return dec(f.getRate(), where + " FX rate");
  }

  Status expect_equal(const Decimal& computed, capnp::Text::Reader stored, const std::string& what) {
    CB_TRY(Decimal s, dec(stored, what));
    if (!(s == computed)) return failed(what + " is " + s.to_string() + "; recomputed " + computed.to_string());
    return {};
  }

  Status recompute_line(uint64_t index, schema::PricedLine::Reader l) {
    const std::string where = "priced line " + std::to_string(index) + " (" + text(l.getLineId()) + ")";
    const DecodedEntry* rule_entry = get(l.getRule().getIndex());
    if (!rule_entry->reader().getKind().isRuleVersion()) return failed(where + ": its rule is not a rule version");
    auto rule = rule_entry->reader().getKind().getRuleVersion();
    if (rule.getRuleId() != l.getRuleId() || rule.getVersion() != l.getRuleVersion() || rule.getVendor() != l.getVendor() ||
        rule.getSkuId() != l.getSkuId()) {
      return failed(where + ": its rule version is for another rule, vendor or SKU");
    }
    const std::string from = text(l.getFromDate()), to = text(l.getToDate());
    if (text(rule.getEffectiveFrom()) > from || (rule.getEffectiveTo().size() && text(rule.getEffectiveTo()) < to)) {
      return failed(where + ": its rule version is not in effect on " + from + ".." + to);
    }
    CB_TRY(Decimal quantity, quantity_of(l, index));
    CB_CHECK(expect_equal(quantity, l.getQuantity(), where + " quantity"));
    CB_TRY(Decimal cost, dec(rule.getCostUnitPrice(), where + " rule cost"));
    CB_CHECK(expect_equal(cost, l.getCostUnitPrice(), where + " cost unit price"));
    CB_TRY(Decimal cost_rate, rate(l, text(rule.getCostCurrency()), where));
    CB_TRY(Decimal cost_unit, cost.mul(cost_rate));
    CB_TRY(Decimal cost_exact, cost_unit.mul(quantity));
    CB_TRY(Decimal cost_amount, cost_exact.round(2, Rounding::kHalfEven));
    CB_CHECK(expect_equal(cost_amount, l.getCostAmount(), where + " cost amount"));
    CB_TRY(Decimal sell_value, dec(rule.getSellValue(), where + " rule sell value"));
    Decimal sell_unit;
    if (rule.getSellMethod() == schema::RuleVersion::SellMethod::MARKUP_PCT) {
      CB_TRY(Decimal factor, Decimal::from_int(100).add(sell_value));
      CB_TRY(Decimal marked, cost_unit.mul(factor));
      CB_TRY(sell_unit, marked.div(Decimal::from_int(100), std::max(cost_unit.scale(), 4), Rounding::kHalfEven));
    } else {
      CB_TRY(Decimal sell_rate, rate(l, text(rule.getSellCurrency()), where));
      CB_TRY(sell_unit, sell_value.mul(sell_rate));
    }
    CB_CHECK(expect_equal(sell_unit, l.getSellUnitPrice(), where + " sell unit price"));
    CB_TRY(Decimal sell_exact, sell_unit.mul(quantity));
    CB_TRY(Decimal sell_amount, sell_exact.round(2, Rounding::kHalfEven));
    CB_CHECK(expect_equal(sell_amount, l.getSellAmount(), where + " sell amount"));
    CB_TRY(Decimal margin, sell_amount.sub(cost_amount));
    CB_CHECK(expect_equal(margin, l.getMarginAmount(), where + " margin"));
    ++report_.lines_recomputed;
    return {};
  }

  Status recompute_credit(uint64_t index, schema::Credit::Reader c) {
    const std::string where = "credit " + std::to_string(index) + " (" + text(c.getCreditId()) + ")";
    CB_TRY(Decimal amount, dec(c.getAmount(), where + " amount"));
    Decimal billed, valued;
    for (auto r : c.getLines()) {
      auto l = get(r.getIndex())->reader().getKind();
      if (!l.isPricedLine()) return failed(where + " credits entry " + std::to_string(r.getIndex()) + ", not a priced line");
      CB_TRY(Decimal sell, dec(l.getPricedLine().getSellAmount(), where));
      CB_TRY(billed, billed.add(sell));
      if (c.getQuantity().size() == 0) continue;
      CB_TRY(Decimal q, dec(c.getQuantity(), where + " quantity"));
      CB_TRY(Decimal unit, dec(l.getPricedLine().getSellUnitPrice(), where));
      CB_TRY(Decimal exact, q.mul(unit));
      CB_TRY(Decimal value, exact.round(2, Rounding::kHalfEven));
      CB_TRY(valued, valued.add(value));
    }
    if (c.getQuantity().size() != 0) CB_CHECK(expect_equal(valued, c.getAmount(), where + " amount"));
    if (amount.sign() <= 0 || billed < amount) return failed(where + ": credits " + amount.to_string() + " of " + billed.to_string() + " billed");
    // All bundled credits on one line together never exceed what it billed.
    if (c.getLines().size() == 1) {
      Decimal& total = credited_[c.getLines()[0].getIndex()];
      CB_TRY(total, total.add(amount));
      if (billed < total) return failed(where + ": with the other credits on its line, credits " + total.to_string() + " of " + billed.to_string());
    }
    return {};
  }

  Status recompute_invoice(uint64_t index, schema::Invoice::Reader inv) {
    const std::string where = "invoice " + std::to_string(index) + " (" + text(inv.getInvoiceId()) + ")";
    const bool taxable = inv.getGstTreatment() == schema::Invoice::GstTreatment::TAXABLE;
    // Issued under a verified sign-off of its period, billing only what that sign-off covered.
    const uint64_t sign_off = inv.getSignOff().getIndex();
    auto signed_size = sign_off_sizes_.find(sign_off);
    if (signed_size == sign_off_sizes_.end() || sign_off >= index || sign_off_periods_[sign_off] != text(inv.getPeriod())) {
      return failed(where + ": its sign-off is not a verified sign-off of " + text(inv.getPeriod()) + " before it");
    }
    // Taxable exactly when the partner is in Australia (its latest Partner entry, when bundled).
    const DecodedEntry* partner = nullptr;
    for (const auto& [i, e] : entries_) {
      if (i < index && e.reader().getKind().isPartner() && e.reader().getKind().getPartner().getPartnerId() == inv.getPartnerId()) {
        partner = &e;
      }
    }
    if (partner == nullptr && is_subject(*get(index))) return failed(where + ": the partner it bills is not in the bundle");
    if (partner != nullptr) {
      auto p = partner->reader().getKind().getPartner();
      if ((text(p.getCountry()) == "AU") != taxable) {
        return failed(where + ": GST treatment does not follow partner " + text(p.getPartnerId()) + "'s country " + text(p.getCountry()));
      }
    }
    const Decimal gst_rate = Decimal::parse("0.10").value();
    Decimal subtotal, gst;
    std::set<uint64_t> items;
    for (auto item : inv.getItems()) {
      const uint64_t source_index = item.getLine().getIndex();
      auto source = get(source_index)->reader().getKind();
      if (source_index >= signed_size->second || !items.insert(source_index).second) {
        return failed(where + " bills entry " + std::to_string(source_index) + " twice, or one its sign-off did not cover");
      }
      if (!billed_by_.emplace(source_index, index).second && billed_by_[source_index] != index) {
        return failed(where + " bills entry " + std::to_string(source_index) + ", which invoice entry " +
                      std::to_string(billed_by_[source_index]) + " bills too");
      }
      Decimal amount;
      if (source.isPricedLine()) {
        auto l = source.getPricedLine();
        if (l.getPartnerId() != inv.getPartnerId() || l.getCurrency() != inv.getCurrency() || l.getPeriod() != inv.getPeriod()) {
          return failed(where + " bills line " + text(l.getLineId()) + " of another partner, currency or period");
        }
        if (item.getLineId() != l.getLineId() || item.getQuantity() != l.getQuantity() || item.getUnitPrice() != l.getSellUnitPrice()) {
          return failed(where + ": item " + text(item.getLineId()) + " does not name its line's id, quantity and unit price");
        }
        CB_TRY(amount, dec(l.getSellAmount(), where));
      } else if (source.isCredit()) {
        auto c = source.getCredit();
        if (c.getPartnerId() != inv.getPartnerId() || c.getCurrency() != inv.getCurrency() || c.getPeriod() != inv.getPeriod() ||
            item.getLineId() != c.getCreditId()) {
          return failed(where + " carries credit " + text(c.getCreditId()) + " of another partner, currency or period");
        }
        if (!all_bundled(c.getLines())) return failed(where + " carries credit " + text(c.getCreditId()) + " without its lines");
        CB_TRY(Decimal credited, dec(c.getAmount(), where));
        amount = credited.negated();
      } else {
        return failed(where + ": an item bills entry " + std::to_string(item.getLine().getIndex()) + ", neither line nor credit");
      }
      CB_CHECK(expect_equal(amount, item.getAmount(), where + " item " + text(item.getLineId()) + " amount"));
      Decimal item_gst;
      if (taxable) {
        CB_TRY(Decimal exact, amount.mul(gst_rate));
        CB_TRY(item_gst, exact.round(2, Rounding::kHalfUp));
      }
      CB_CHECK(expect_equal(item_gst, item.getGst(), where + " item " + text(item.getLineId()) + " GST"));
      CB_TRY(subtotal, subtotal.add(amount));
      CB_TRY(gst, gst.add(item_gst));
    }
    CB_CHECK(expect_equal(subtotal, inv.getSubtotal(), where + " subtotal"));
    CB_CHECK(expect_equal(gst, inv.getGst(), where + " GST"));
    CB_TRY(Decimal total, subtotal.add(gst));
    CB_CHECK(expect_equal(total, inv.getTotal(), where + " total"));
    ++report_.invoices_recomputed;
    return {};
  }

  // The subject is bundled (its references were required, so its amounts were recomputed).
  Status check_subject() {
    for (const auto& [index, e] : entries_) {
      if (is_subject(e)) return {};
    }
    return failed("the bundle does not hold its subject, " + report_.subject_kind + " " + report_.subject_id);
  }

  const VerifierKey& key_;
  BundleReport& report_;
  uint64_t size_ = 0;
  Hash root_{};
  std::map<uint64_t, DecodedEntry> entries_;
  KeyRegistry registry_;
  std::map<uint64_t, uint64_t> sign_off_sizes_;       // verified sign-off -> its statement's tree size
  std::map<uint64_t, std::string> sign_off_periods_;  // verified sign-off -> its period
  std::map<uint64_t, uint64_t> billed_by_;            // line or credit -> the invoice billing it
  std::map<uint64_t, Decimal> credited_;              // line -> the single-line credits on it
};

}  // namespace

Result<BundleReport> check_bundle(std::string_view bundle_json, const VerifierKey& key) {
  BundleReport report;
  BundleChecker checker(key, report);
  // A bundle is untrusted input: whatever a library refuses to read is a failed check, not a crash.
  try {
    CB_CHECK(checker.run(bundle_json));
  } catch (const kj::Exception& e) {
    return failed(std::string("an entry cannot be read: ") + e.getDescription().cStr());
  } catch (const std::exception& e) {
    return failed(std::string("the bundle cannot be read: ") + e.what());
  }
  return report;
}

}  // namespace closebook::verify
