// The rules of docs/evidence.md §2 (rules.h). Each check cites its rule number in its error.
#include "verify/rules.h"

#include <algorithm>
#include <array>
#include <capnp/schema.h>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "evidence/checkpoint.h"
#include "evidence/date.h"
#include "evidence/decimal.h"
#include "verify/line_cost.h"
#include "verify/margin_floor.h"
#include "verify/match_rules.h"
#include "verify/rule_text.h"

namespace closebook::verify {
namespace {

using K = schema::Entry::Kind;
using Basis = schema::UsageRecord::QuantityBasis;
constexpr int64_t kMsPerDay = 86'400'000;

// "unbilledUsage" (the schema's enumerant) -> "UNBILLED_USAGE" (the statement's name).
std::string category_name(schema::Category c) {
  const auto enumerants = capnp::Schema::from<schema::Category>().getEnumerants();
  const auto at = static_cast<uint16_t>(c);
  if (at >= enumerants.size()) return "UNKNOWN";
  std::string out;
  for (char ch : std::string(enumerants[at].getProto().getName().cStr())) {
    if (ch >= 'A' && ch <= 'Z') {
      out += '_';
      out += ch;
    } else {
      out += static_cast<char>(ch >= 'a' && ch <= 'z' ? ch - 'a' + 'A' : ch);
    }
  }
  return out;
}

bool covers(const Date& from, const std::optional<Date>& to, const Date& a, const Date& b) {
  return from <= a && (!to || b <= *to);
}

struct EdgeSeen {
  uint64_t index;
  std::string tenant, partner, vendor, value;  // value lower-cased unless a name
  schema::TenantEdge::IdType type;
  Date from;
  std::optional<Date> to;
};

std::string edge_key(const std::string& vendor, bool name, const std::string& value) {
  return vendor + (name ? "|name|" : "|id|") + value;
}


struct ExceptionSeen {
  schema::Category category;
  bool blocking = false;
  std::string delta, currency;
  schema::ExceptionStatus status = schema::ExceptionStatus::OPEN;
};

struct CurrentLine {
  uint64_t index = 0;
  std::string currency;
  Decimal cost, sell;
  std::vector<uint64_t> usage;
  int64_t from = 0, to = 0;
};

// What a period's sign-off statement describes, kept as its entries come.
struct PeriodSeen {
  std::map<std::string, CurrentLine> lines;                         // lineId -> its latest entry
  std::map<std::string, std::pair<uint64_t, Decimal>> credits;      // booked here, per currency
  std::map<std::string, ExceptionSeen> exceptions;                  // by id
  std::optional<uint64_t> match_run;
  uint64_t keys = 0, matched = 0;
  std::optional<uint64_t> last_entry, last_summary, summary_before_last, last_sign_off, last_reopen;
  std::vector<uint64_t> sign_offs;                                  // every SignOff, in order
  struct InvoiceSeen {
    uint64_t index, sign_off;
    std::string currency, partner;
  };
  std::vector<InvoiceSeen> invoices;
  std::map<std::string, uint64_t> first_lock;                       // "BASE/QUOTE" -> the period's FxLock
  std::map<uint64_t, std::set<std::string>> journal_partners;       // SignOff -> partners its journals post
};

// "2" of "INV-2026-10-P001-2" after `prefix` "INV-2026-10-P001": the issue (1 when nothing
// follows), or 0 if the rest is not "-<k>" with k >= 2 written plainly.
uint64_t issue_of(const std::string& id, const std::string& prefix) {
  if (id.compare(0, prefix.size(), prefix) != 0) return 0;
  const std::string rest = id.substr(prefix.size());
  if (rest.empty()) return 1;
  if (rest.size() < 2 || rest.size() > 10 || rest[0] != '-' || rest[1] == '0') return 0;
  uint64_t k = 0;
  for (size_t i = 1; i < rest.size(); ++i) {
    if (rest[i] < '0' || rest[i] > '9') return 0;
    k = k * 10 + static_cast<uint64_t>(rest[i] - '0');
  }
  return k >= 2 ? k : 0;
}

// `prefix` followed by 32 lower-case hex digits (16 bytes of a hash), and nothing else.
bool hex_id(const std::string& id, const std::string& prefix) {
  if (id.size() != prefix.size() + 32 || id.compare(0, prefix.size(), prefix) != 0) return false;
  return std::all_of(id.begin() + static_cast<std::ptrdiff_t>(prefix.size()), id.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

}  // namespace

class Rules::State {
 public:
  State(Lookup lookup, bool complete) : get_(lookup), complete_(complete), floors_(complete), match_(std::move(lookup), complete) {}

  Status add(const DecodedEntry& e) {
    const uint64_t index = e.reader().getIndex();
    auto kind = e.reader().getKind();
    CB_CHECK(check_effective(index, e.reader()));
    switch (kind.which()) {
      case K::PRICED_LINE: CB_CHECK(check_line(index, kind.getPricedLine())); break;
      case K::CREDIT: CB_CHECK(check_credit(index, kind.getCredit())); break;
      case K::INVOICE: CB_CHECK(check_invoice(e, kind.getInvoice())); break;
      case K::SIGN_OFF: CB_CHECK(check_sign_off(index, kind.getSignOff())); break;
      case K::PERIOD_REOPEN: CB_CHECK(check_reopen(index, kind.getPeriodReopen())); break;
      case K::JOURNAL_POSTING: CB_CHECK(check_journal(index, kind.getJournalPosting())); break;
      case K::POSTING_ACK: CB_CHECK(check_ack(index, kind.getPostingAck())); break;
      case K::DISPUTE: CB_CHECK(check_dispute(index, kind.getDispute())); break;
      case K::EXCEPTION: CB_CHECK(check_exception(index, kind.getException())); break;
      case K::EXCEPTION_UPDATE: CB_CHECK(check_update(index, kind.getExceptionUpdate())); break;
      case K::INVOICE_LINE:
        if (complete_) CB_CHECK(check_row(index, kind.getInvoiceLine().getSource(), schema::Ingest::Source::VENDOR_INVOICE));
        break;
      case K::USAGE_RECORD:
        if (complete_) CB_CHECK(check_row(index, kind.getUsageRecord().getSource(), schema::Ingest::Source::USAGE));
        break;
      case K::MATCH_RUN:
        if (complete_) CB_CHECK(check_match_inputs(index, kind.getMatchRun()));
        break;
      case K::MATCH_RESULT: CB_CHECK(check_result(index, kind.getMatchResult())); break;
      default: break;
    }
    CB_CHECK(match_.check(e));
    CB_CHECK(record(e));
    match_.record(e);
    return {};
  }

  Status finish() {
    if (complete_ && !chunked_.empty()) {
      return broke("R17", "invoice chunk entry " + std::to_string(*chunked_.begin()) + " is named by no invoice");
    }
    CB_CHECK(floors_.finish());
    return match_.finish();
  }

  RuleCounts counts;

 private:
  // ------------------------------------------------------------------------------------
  // What later rules need of an entry.

  Status record(const DecodedEntry& e) {
    const uint64_t index = e.reader().getIndex();
    auto kind = e.reader().getKind();
    const std::string effective = text(e.reader().getEffective());
    // A sign-off's summary is appended with it, after its statement's tree (R34): only the one
    // a SignOff names is part of it, so the last summary is kept apart.
    if (effective.size() >= 7) {
      PeriodSeen& p = periods_[effective.substr(0, 7)];
      if (kind.isSignOffSummary()) {
        p.summary_before_last = p.last_summary;
        p.last_summary = index;
      } else {
        p.last_entry = index;
      }
    }
    switch (kind.which()) {
      case K::RULE_VERSION: {
        auto r = kind.getRuleVersion();
        CB_TRY(Date from, iso_date(r.getEffectiveFrom(), "rule version " + std::to_string(index) + " effectiveFrom"));
        CB_TRY(auto to, optional_iso_date(r.getEffectiveTo(), "rule version " + std::to_string(index) + " effectiveTo"));
        if (r.getSkuPattern().size() == 0) {
          rules_[text(r.getVendor()) + "|" + text(r.getSkuId())].push_back(rule_seen(index, r, from, to));
        } else {
          patterns_[text(r.getVendor())].push_back(rule_seen(index, r, from, to));
        }
        break;
      }
      case K::TENANT_EDGE: {
        auto t = kind.getTenantEdge();
        CB_TRY(Date from, iso_date(t.getValidFrom(), "tenant edge " + std::to_string(index) + " validFrom"));
        CB_TRY(auto to, optional_iso_date(t.getValidTo(), "tenant edge " + std::to_string(index) + " validTo"));
        const bool name = t.getIdType() == schema::TenantEdge::IdType::NAME;
        EdgeSeen edge{index, text(t.getTenantId()), text(t.getPartnerId()), lower(text(t.getVendor())),
                      name ? text(t.getIdValue()) : lower(text(t.getIdValue())), t.getIdType(), from, to};
        edges_[edge_key(edge.vendor, name, edge.value)].push_back(std::move(edge));
        break;
      }
      case K::PARTNER: partners_[text(kind.getPartner().getPartnerId())] = index; break;
      case K::INGEST: {
        auto g = kind.getIngest();
        LoadSeen& load = loads_[hash_of(g.getFileSha256())];
        load.sources.insert(g.getSource());
        load.row_count = std::max(load.row_count, g.getRowCount());
        break;
      }
      case K::PRICED_LINE: CB_CHECK(record_line(index, kind.getPricedLine())); break;
      case K::CREDIT: {
        auto c = kind.getCredit();
        CB_TRY(Decimal amount, dec("R16", c.getAmount(), "credit " + std::to_string(index) + " amount"));
        std::set<uint64_t> lines;
        for (auto r : c.getLines()) lines.insert(r.getIndex());
        credits_.push_back({lines, amount});
        auto& [count, total] = periods_[text(c.getPeriod())].credits[text(c.getCurrency())];
        ++count;
        CB_TRY(total, total.add(amount));
        break;
      }
      case K::EXCEPTION: {
        auto x = kind.getException();
        auto& seen = periods_[text(x.getPeriod())].exceptions;
        auto it = seen.find(text(x.getExceptionId()));
        ExceptionSeen now{x.getCategory(), x.getBlocking(), text(x.getDelta()), text(x.getCurrency()), x.getStatus()};
        if (it != seen.end()) now.status = it->second.status;  // a re-raised exception keeps its status
        seen[text(x.getExceptionId())] = now;
        latest_exception_[text(x.getExceptionId())] = index;
        break;
      }
      case K::EXCEPTION_UPDATE: {
        auto u = kind.getExceptionUpdate();
        for (auto& [period, p] : periods_) {
          auto it = p.exceptions.find(text(u.getExceptionId()));
          if (it != p.exceptions.end()) it->second.status = u.getStatus();
        }
        break;
      }
      case K::MATCH_RESULT: {
        auto r = kind.getMatchResult();
        RunSeen& run = runs_[r.getRun().getIndex()];
        ++run.results;
        if (r.getStatus() == schema::MatchResult::Status::MATCHED) ++run.matched;
        if (r.getVendorCurrency().size() != 0) {
          CB_TRY(Decimal amount, dec("R23", r.getVendorAmount(), "match result " + std::to_string(index) + " vendorAmount"));
          CB_TRY(run.totals[text(r.getVendorCurrency())][0], run.totals[text(r.getVendorCurrency())][0].add(amount));
        }
        if (r.getCurrency().size() != 0) {
          auto& t = run.totals[text(r.getCurrency())];
          CB_TRY(Decimal cost, dec("R23", r.getPricedCost(), "match result " + std::to_string(index) + " pricedCost"));
          CB_TRY(Decimal sell, dec("R23", r.getPricedSell(), "match result " + std::to_string(index) + " pricedSell"));
          CB_TRY(t[1], t[1].add(cost));
          CB_TRY(t[2], t[2].add(sell));
        }
        break;
      }
      case K::MATCH_RUN: {
        PeriodSeen& p = periods_[text(kind.getMatchRun().getPeriod())];
        p.match_run = index;
        p.keys = kind.getMatchRun().getKeyCount();
        p.matched = kind.getMatchRun().getMatchedCount();
        break;
      }
      case K::SIGN_OFF: {
        PeriodSeen& p = periods_[text(kind.getSignOff().getPeriod())];
        p.last_sign_off = index;
        p.sign_offs.push_back(index);
        break;
      }
      case K::PERIOD_REOPEN: periods_[text(kind.getPeriodReopen().getPeriod())].last_reopen = index; break;
      case K::INVOICE_CHUNK: chunked_.insert(index); break;
      case K::FX_LOCK: {
        auto f = kind.getFxLock();
        periods_[text(f.getPeriod())].first_lock.emplace(text(f.getBase()) + "/" + text(f.getQuote()), index);  // fixed once
        break;
      }
      case K::JOURNAL_POSTING: {
        auto j = kind.getJournalPosting();
        auto& posted = periods_[text(j.getPeriod())].journal_partners[j.getSignOff().getIndex()];
        for (auto partner : j.getPartners()) posted.insert(text(partner));
        break;
      }
      case K::INVOICE: {
        auto inv = kind.getInvoice();
        std::vector<schema::InvoiceItem::Reader> items;
        CB_TRY(bool whole, items_of("invoice " + std::to_string(index), index, inv, items));
        (void)whole;  // what is known of it is billed
        for (auto item : items) billed_by_.emplace(item.getLine().getIndex(), index);
        for (auto chunk : inv.getChunks()) chunked_.erase(chunk.getIndex());
        invoice_ids_.insert(text(inv.getInvoiceId()));
        periods_[text(inv.getPeriod())].invoices.push_back(
            {index, inv.getSignOff().getIndex(), text(inv.getCurrency()), text(inv.getPartnerId())});
        break;
      }
      default: break;
    }
    return {};
  }

  Status record_line(uint64_t index, schema::PricedLine::Reader l) {
    PeriodSeen& p = periods_[text(l.getPeriod())];
    const std::string id = text(l.getLineId());
    CurrentLine c;
    c.index = index;
    c.currency = text(l.getCurrency());
    CB_TRY(std::optional<CostFields> cost, cost_fields(l, index, get_));
    // A bundle may withhold it (R34); only a ledger's statements are summed again, and a
    // ledger withholds nothing.
    if (cost) c.cost = Decimal::parse(text(cost->cost_amount)).value();  // checked by check_line first
    c.sell = Decimal::parse(text(l.getSellAmount())).value();
    c.from = Date::parse(text(l.getFromDate())).value().days_since_epoch();
    c.to = Date::parse(text(l.getToDate())).value().days_since_epoch();
    for (auto u : l.getUsage()) c.usage.push_back(u.getIndex());
    p.lines[id] = std::move(c);
    return {};
  }

  // ------------------------------------------------------------------------------------
  // Priced lines: R9 to R15

  struct Use {
    int64_t day;
    uint64_t index;
    Decimal quantity;
    Basis basis;
    std::string tenant_ref;
    std::string meter_category, vendor_price, pricing_currency;  // a rated record's (docs/matching.md §3.1)
  };

  Status check_line(uint64_t index, schema::PricedLine::Reader l) {
    const std::string where = "priced line " + std::to_string(index) + " (" + text(l.getLineId()) + ")";
    // R9: its days lie in its period, and it says how many.
    CB_TRY(Period period, iso_period(l.getPeriod(), where + " period"));
    CB_TRY(Date from, iso_date(l.getFromDate(), where + " fromDate"));
    CB_TRY(Date to, iso_date(l.getToDate(), where + " toDate"));
    if (to < from || from < period.first_day() || period.last_day() < to) {
      return broke("R9", where + ": its days " + from.to_iso() + ".." + to.to_iso() + " are not days of " + period.to_string());
    }
    const int64_t first = from.days_since_epoch(), last = to.days_since_epoch();
    if (static_cast<int64_t>(l.getProrationDays()) != last - first + 1) return broke("R9", where + ": prorationDays is not the number of its days");
    if (static_cast<int>(l.getPeriodDays()) != period.days()) {
      return broke("R9", where + ": periodDays " + std::to_string(l.getPeriodDays()) + " is not the " +
                             std::to_string(period.days()) + " days of " + period.to_string());
    }
    // R10: the usage it sums. A bundle may withhold a sealed line's usage (R34): then nothing
    // that follows from it is known here but the sell amount.
    std::vector<Use> uses;
    bool usage_withheld = false;
    for (auto r : l.getUsage()) {
      const DecodedEntry* u = get_(r.getIndex());
      if (u == nullptr && !complete_ && is_sealed(l) && r.getIndex() < index) {
        usage_withheld = true;
        continue;
      }
      if (u == nullptr || !u->reader().getKind().isUsageRecord()) {
        return broke("R10", where + " cites entry " + std::to_string(r.getIndex()) + ", not a usage record");
      }
      auto rec = u->reader().getKind().getUsageRecord();
      const bool same_basis = (rec.getQuantityBasis() == Basis::CONSUMED) == (l.getQuantityBasis() == Basis::CONSUMED);
      if (rec.getVendor() != l.getVendor() || rec.getSkuId() != l.getSkuId() || rec.getSubscriptionId() != l.getSubscriptionId() ||
          !same_basis) {
        return broke("R10", where + " sums usage record " + std::to_string(r.getIndex()) + " of another vendor, SKU, subscription or basis");
      }
      CB_TRY(Date date, iso_date(rec.getUsageDate(), where + " usage " + std::to_string(r.getIndex()) + " usageDate"));
      CB_TRY(Decimal q, dec("R10", rec.getQuantity(), where + " usage quantity"));
      uses.push_back({date.days_since_epoch(), r.getIndex(), q, rec.getQuantityBasis(), text(rec.getTenantRef()),
                      text(rec.getMeterCategory()), text(rec.getVendorUnitPrice()), text(rec.getPricingCurrency())});
    }
    if (usage_withheld) {
      CB_TRY(std::optional<CostFields> sealed, cost_fields(l, index, get_));  // R34's shape, whatever is known
      (void)sealed;
      CB_TRY(Decimal stated, dec("R11", l.getQuantity(), where + " quantity"));
      CB_CHECK(check_sell_amount(l, stated, where));
      ++counts.lines_usage_withheld;
      return {};
    }
    CB_TRY(Decimal quantity, quantity_of(l, where, period, first, last, uses));
    CB_CHECK(expect("R11", quantity, l.getQuantity(), where + " quantity"));
    CB_CHECK(check_tenant(l, where, from, to, uses));
    CB_TRY(std::optional<CostFields> cost, cost_fields(l, index, get_));
    if (!cost) {
      // R34: its cost is withheld from this bundle's audience. What it bills still follows
      // from what it shows.
      CB_CHECK(check_sell_amount(l, quantity, where));
      ++counts.lines_cost_withheld;
      return {};
    }
    CB_CHECK(check_rule_choice(l, *cost, where, from, to, uses));
    CB_CHECK(check_amounts(l, *cost, where, quantity, uses));
    CB_CHECK(floors_.check_line(index, l, cost->margin_amount, get_(cost->rule.getIndex())->reader().getKind().getRuleVersion(),
                                partner(l.getPartnerId()), where));
    ++counts.lines_recomputed;
    return {};
  }

  // R14 as far as a line shows it without its cost (R34): the sell amount is its sell unit
  // price times its quantity.
  Status check_sell_amount(schema::PricedLine::Reader l, const Decimal& quantity, const std::string& where) {
    CB_TRY(Decimal sell_unit, dec("R14", l.getSellUnitPrice(), where + " sell unit price"));
    CB_TRY(Decimal sell_exact, sell_unit.mul(quantity));
    CB_TRY(Decimal sell_amount, sell_exact.round(2, Rounding::kHalfEven));
    return expect("R14", sell_amount, l.getSellAmount(), where + " sell amount");
  }

  // R10 and R11: each cited record counts for the line, and the quantity follows from them by
  // the line's basis and cadence.
  Result<Decimal> quantity_of(schema::PricedLine::Reader l, const std::string& where, const Period& period, int64_t first,
                              int64_t last, const std::vector<Use>& uses) {
    const Decimal period_days = Decimal::from_int(l.getPeriodDays());
    const int64_t period_first = period.first_day().days_since_epoch(), period_last = period.last_day().days_since_epoch();
    const std::string cadence = l.getCadence().size() == 0 ? "daily" : text(l.getCadence());
    if (cadence != "daily" && cadence != "weekly" && cadence != "monthly") {
      return broke("R11", where + ": cadence \"" + cadence + "\" is not daily, weekly or monthly");
    }
    auto outside = [&](const Use& u, const std::string& days) {
      return broke("R10", where + " cites usage record " + std::to_string(u.index) + " dated " + Date::from_days(u.day).to_iso() +
                              ", outside " + days);
    };
    if (l.getQuantityBasis() == Basis::CONSUMED) {
      Decimal q;
      for (const Use& u : uses) {
        if (u.day < first || u.day > last) return outside(u, "its days");
        CB_TRY(q, q.add(u.quantity));
      }
      return q;
    }
    const bool one_count = l.getQuantityBasis() == Basis::PEAK || cadence == "monthly";
    if (one_count) {
      Decimal count;
      for (const Use& u : uses) {
        if (u.day < period_first || u.day > period_last) return outside(u, "its period");
        count = std::max(count, u.quantity);
      }
      if (l.getProrationDays() == l.getPeriodDays()) return count;
      CB_TRY(Decimal count_days, count.mul(Decimal::from_int(static_cast<int64_t>(l.getProrationDays()))));
      return count_days.div(period_days, 6, Rounding::kHalfEven);
    }
    // Each day counts the latest snapshot on or before it (the later entry on a tie); on a
    // weekly feed a day before every snapshot takes the earliest of the 6 days after it.
    const bool weekly = cadence == "weekly";
    std::set<uint64_t> counted;
    Decimal seat_days;
    for (int64_t d = first; d <= last; ++d) {
      const Use* current = nullptr;
      for (const Use& u : uses) {
        if (u.basis != Basis::SNAPSHOT || u.day > d) continue;
        if (current == nullptr || u.day > current->day || (u.day == current->day && u.index > current->index)) current = &u;
      }
      for (const Use& u : uses) {
        if (current != nullptr && current->day <= d) break;
        if (!weekly || u.basis != Basis::SNAPSHOT || u.day <= d || u.day > d + 6) continue;
        if (current == nullptr || u.day < current->day || (u.day == current->day && u.index > current->index)) current = &u;
      }
      if (current == nullptr) continue;
      counted.insert(current->index);
      CB_TRY(seat_days, seat_days.add(current->quantity));
    }
    for (const Use& u : uses) {
      if (u.basis == Basis::SNAPSHOT && counted.count(u.index) == 0) {
        return broke("R10", where + " cites usage record " + std::to_string(u.index) + ", a count that stands for none of its days");
      }
    }
    return seat_days.div(period_days, 6, Rounding::kHalfEven);
  }

  // The meter category every usage record names, else empty (docs/matching.md §3.1).
  static std::string meter_category_of(const std::vector<Use>& uses) {
    for (const Use& u : uses) {
      if (u.meter_category != uses.front().meter_category) return "";
    }
    return uses.empty() ? "" : uses.front().meter_category;
  }

  // R12: the rule version priced every day of the line, and is the one the documented
  // precedence picks among the versions known here that may price the vendor's SKU: its own,
  // and the vendor's patterns that match it (for the line's meter category, or any).
  Status check_rule_choice(schema::PricedLine::Reader l, const CostFields& cost, const std::string& where, const Date& from,
                           const Date& to, const std::vector<Use>& uses) {
    const DecodedEntry* entry = get_(cost.rule.getIndex());
    if (entry == nullptr || !entry->reader().getKind().isRuleVersion()) return broke("R12", where + ": its rule is not a rule version");
    auto rule = entry->reader().getKind().getRuleVersion();
    const std::string sku = text(l.getSkuId()), category = meter_category_of(uses);
    const bool of_sku = rule.getSkuPattern().size() == 0
                            ? rule.getSkuId() == l.getSkuId() && rule.getMeterCategory().size() == 0
                            : rule.getSkuId().size() == 0 && pattern_matches(text(rule.getSkuPattern()), sku) &&
                                  (rule.getMeterCategory().size() == 0 || text(rule.getMeterCategory()) == category);
    if (hash_of(cost.rule.getHash()) != entry->hash()) return broke("R12", where + ": it names its rule version with another hash than the entry's");
    if (rule.getRuleId() != cost.rule_id || rule.getVersion() != cost.rule_version || rule.getVendor() != l.getVendor() || !of_sku) {
      return broke("R12", where + ": its rule version is for another rule, vendor, SKU or meter category");
    }
    const std::string partner = text(l.getPartnerId());
    if (rule.getPartnerId() != "*" && text(rule.getPartnerId()) != partner) {
      return broke("R12", where + ": rule " + text(rule.getRuleId()) + " v" + std::to_string(rule.getVersion()) + " is partner " +
                              text(rule.getPartnerId()) + "'s, not " + partner + "'s");
    }
    CB_TRY(Date rule_from, iso_date(rule.getEffectiveFrom(), where + " rule effectiveFrom"));
    CB_TRY(auto rule_to, optional_iso_date(rule.getEffectiveTo(), where + " rule effectiveTo"));
    if (!covers(rule_from, rule_to, from, to)) {
      return broke("R12", where + ": its rule version is not in effect on " + from.to_iso() + ".." + to.to_iso());
    }
    auto stated = Decimal::parse(text(l.getQuantity()));
    const bool withdrawn = l.getUsage().size() == 0 && stated.ok() && stated->is_zero();
    if (withdrawn) return {};  // a withdrawn line bills nothing: no choice to prove
    std::vector<const RuleSeen*> candidates;
    if (auto known = rules_.find(text(l.getVendor()) + "|" + sku); known != rules_.end()) {
      for (const RuleSeen& r : known->second) candidates.push_back(&r);
    }
    if (auto known = patterns_.find(text(l.getVendor())); known != patterns_.end()) {
      for (const RuleSeen& r : known->second) {
        if (pattern_prices(r, sku, category)) candidates.push_back(&r);
      }
    }
    for (int64_t d = from.days_since_epoch(); d <= to.days_since_epoch(); ++d) {
      const Date day = Date::from_days(d);
      const RuleSeen* best = nullptr;
      for (const RuleSeen* r : candidates) {
        if (in_effect_for(*r, partner, day) && (best == nullptr || outranks(*r, *best))) best = r;
      }
      if (best != nullptr && best->index != cost.rule.getIndex()) {
        return broke("R12", where + ": on " + day.to_iso() + " rule " + best->rule_id + " v" + std::to_string(best->version) +
                                " (entry " + std::to_string(best->index) + ") prices " + sku + " for " + partner +
                                ", not the rule the line names");
      }
    }
    return {};
  }

  // R13: a tenant edge known here maps the usage's vendor identity to the line's tenant and
  // partner on every day of the line; with the whole ledger, no edge maps it elsewhere then.
  Status check_tenant(schema::PricedLine::Reader l, const std::string& where, const Date& from, const Date& to,
                      const std::vector<Use>& uses) {
    std::set<std::string> refs;
    for (const Use& u : uses) refs.insert(u.tenant_ref);
    const std::string vendor = lower(text(l.getVendor())), tenant = text(l.getTenantId()), partner = text(l.getPartnerId());
    for (const std::string& ref : refs) {
      // The edges naming the identity: ids, domains and org ids case-insensitively, names exactly.
      std::vector<const EdgeSeen*> naming;
      for (const auto& key : {edge_key(vendor, false, lower(ref)), edge_key(vendor, true, ref)}) {
        auto it = edges_.find(key);
        if (it == edges_.end()) continue;
        for (const EdgeSeen& e : it->second) naming.push_back(&e);
      }
      for (int64_t d = from.days_since_epoch(); d <= to.days_since_epoch(); ++d) {
        const Date day = Date::from_days(d);
        bool owned = false;
        for (const EdgeSeen* edge : naming) {
          const EdgeSeen& e = *edge;
          if (!covers(e.from, e.to, day, day)) continue;
          if (e.tenant == tenant && e.partner == partner) {
            owned = true;
          } else if (complete_) {
            return broke("R13", where + ": on " + day.to_iso() + " identity \"" + ref + "\" is tenant " + e.tenant + " of partner " +
                                    e.partner + " (tenant edge " + std::to_string(e.index) + "), not " + tenant + " of " + partner);
          }
        }
        if (!owned) {
          return broke("R13", where + ": no tenant edge maps identity \"" + ref + "\" to tenant " + tenant + " of partner " + partner +
                                  " on " + day.to_iso());
        }
      }
    }
    return {};
  }

  // R14: the rate the line's FX lock gives from `currency` to the line's currency.
  Result<Decimal> rate(schema::PricedLine::Reader l, const std::string& currency, const std::string& where) {
    if (currency == text(l.getCurrency())) return Decimal::from_int(1);
    const DecodedEntry* lock = l.getFxLock().getHash().size() ? get_(l.getFxLock().getIndex()) : nullptr;
    if (lock == nullptr || !lock->reader().getKind().isFxLock()) return broke("R14", where + ": no FX lock for " + currency);
    auto f = lock->reader().getKind().getFxLock();
    if (text(f.getBase()) != currency || text(f.getQuote()) != text(l.getCurrency())) {
      return broke("R14", where + ": its FX lock is " + text(f.getBase()) + "/" + text(f.getQuote()) + ", not " + currency + "/" +
                              text(l.getCurrency()));
    }
    const DecodedEntry* fx = get_(f.getRateRef().getIndex());
    if (f.getPeriod() != l.getPeriod() || fx == nullptr || !fx->reader().getKind().isFxRate() ||
        fx->reader().getKind().getFxRate().getRate() != f.getRate() || fx->reader().getKind().getFxRate().getDate() != f.getRateDate() ||
        fx->reader().getKind().getFxRate().getBase() != f.getBase() || fx->reader().getKind().getFxRate().getQuote() != f.getQuote() ||
        fx->reader().getKind().getFxRate().getSource() != f.getSource()) {
      return broke("R14", where + ": its FX lock is not the period's lock of an FX rate in the evidence");
    }
    return dec("R14", f.getRate(), where + " FX rate");
  }

  Status expect(const char* rule, const Decimal& computed, capnp::Text::Reader stored, const std::string& what) {
    CB_TRY(Decimal s, dec(rule, stored, what));
    if (!(s == computed)) return broke(rule, what + " is " + s.to_string() + "; recomputed " + computed.to_string());
    return {};
  }

  // R14: the unit cost and its currency — the rule's, or with a cost-plus rule the price and
  // pricing currency every cited usage record carries (docs/matching.md §3.1).
  Result<std::pair<Decimal, std::string>> unit_cost(schema::RuleVersion::Reader rule, const std::string& where,
                                                    const std::vector<Use>& uses) {
    if (!rule.getCostFromVendor()) {
      CB_TRY(Decimal cost, dec("R14", rule.getCostUnitPrice(), where + " rule cost"));
      return std::pair<Decimal, std::string>(cost, text(rule.getCostCurrency()));
    }
    if (uses.empty()) return broke("R14", where + ": a cost-plus line cites no usage record to take its cost from");
    for (const Use& u : uses) {
      if (u.vendor_price != uses.front().vendor_price || u.pricing_currency != uses.front().pricing_currency) {
        return broke("R14", where + ": its usage records carry two vendor prices (" + uses.front().vendor_price + " " +
                                uses.front().pricing_currency + ", " + u.vendor_price + " " + u.pricing_currency + ")");
      }
    }
    auto price = Decimal::parse(uses.front().vendor_price);
    if (!price.ok()) return broke("R14", where + ": its usage's vendorUnitPrice \"" + uses.front().vendor_price + "\" is not a decimal");
    return std::pair<Decimal, std::string>(*price, uses.front().pricing_currency);
  }

  Status check_amounts(schema::PricedLine::Reader l, const CostFields& fields, const std::string& where, const Decimal& quantity,
                       const std::vector<Use>& uses) {
    auto rule = get_(fields.rule.getIndex())->reader().getKind().getRuleVersion();
    CB_TRY(auto unit, unit_cost(rule, where, uses));
    const auto& [cost, cost_currency] = unit;
    CB_CHECK(expect("R14", cost, fields.cost_unit_price, where + " cost unit price"));
    if (cost_currency != text(fields.cost_currency)) {
      return broke("R14", where + ": costCurrency is not " + (rule.getCostFromVendor() ? "its usage's pricing currency" : "its rule's"));
    }
    CB_TRY(Decimal cost_rate, rate(l, cost_currency, where));
    CB_TRY(Decimal cost_unit, cost.mul(cost_rate));
    CB_TRY(Decimal cost_exact, cost_unit.mul(quantity));
    CB_TRY(Decimal cost_amount, cost_exact.round(2, Rounding::kHalfEven));
    CB_CHECK(expect("R14", cost_amount, fields.cost_amount, where + " cost amount"));
    CB_TRY(Decimal sell_value, dec("R14", rule.getSellValue(), where + " rule sell value"));
    Decimal sell_unit;
    if (rule.getSellMethod() == schema::RuleVersion::SellMethod::MARKUP_PCT) {
      CB_TRY(Decimal factor, Decimal::from_int(100).add(sell_value));
      CB_TRY(Decimal marked, cost_unit.mul(factor));
      CB_TRY(sell_unit, marked.div(Decimal::from_int(100), std::max(cost_unit.scale(), 4), Rounding::kHalfEven));
    } else {
      CB_TRY(Decimal sell_rate, rate(l, text(rule.getSellCurrency()), where));
      CB_TRY(sell_unit, sell_value.mul(sell_rate));
    }
    CB_CHECK(expect("R14", sell_unit, l.getSellUnitPrice(), where + " sell unit price"));
    CB_TRY(Decimal sell_exact, sell_unit.mul(quantity));
    CB_TRY(Decimal sell_amount, sell_exact.round(2, Rounding::kHalfEven));
    CB_CHECK(expect("R14", sell_amount, l.getSellAmount(), where + " sell amount"));
    CB_TRY(Decimal margin, sell_amount.sub(cost_amount));
    CB_CHECK(expect("R14", margin, fields.margin_amount, where + " margin"));
    return {};
  }

  // R15 (ledger), when a period is signed off: a usage record counts once. Two current lines
  // of other ids that cite one record must charge different days (a count that holds across a
  // partner move or a rule change is cited by the line on each side). Checked at the sign-off,
  // where it bills: a re-pricing supersedes the lines it replaces in the same batch.
  Status check_billed_once(const std::string& where, const PeriodSeen& p) {
    std::map<uint64_t, std::vector<std::pair<const std::string*, const CurrentLine*>>> by_usage;
    for (const auto& [id, line] : p.lines) {
      for (uint64_t u : line.usage) {
        for (const auto& [other_id, other] : by_usage[u]) {
          if (!(other->to < line.from || line.to < other->from)) {
            return broke("R15", where + ": lines " + *other_id + " and " + id + " both count usage record " + std::to_string(u) +
                                    " for the same days");
          }
        }
        by_usage[u].push_back({&id, &line});
      }
    }
    return {};
  }

  // ------------------------------------------------------------------------------------
  // R16: credits

  Status check_credit(uint64_t index, schema::Credit::Reader c) {
    const std::string where = "credit " + std::to_string(index) + " (" + text(c.getCreditId()) + ")";
    CB_TRY(Decimal amount, dec("R16", c.getAmount(), where + " amount"));
    if (amount.sign() <= 0 || amount.scale() > 2) return broke("R16", where + ": its amount is not more than zero, in cents");
    std::set<uint64_t> lines;
    Decimal billed, valued;
    if (c.getLineIds().size() != c.getLines().size()) {
      return broke("R16", where + " names " + std::to_string(c.getLines().size()) + " lines and " + std::to_string(c.getLineIds().size()) +
                              " line ids");
    }
    for (unsigned at = 0; at < c.getLines().size(); ++at) {
      auto r = c.getLines()[at];
      if (!lines.insert(r.getIndex()).second) return broke("R16", where + " names line entry " + std::to_string(r.getIndex()) + " twice");
      const DecodedEntry* e = get_(r.getIndex());
      if (e == nullptr) {
        if (complete_) return broke("R16", where + " credits entry " + std::to_string(r.getIndex()) + ", which does not exist");
        return {};  // a bundle that does not carry the line cannot check the credit
      }
      if (!e->reader().getKind().isPricedLine()) return broke("R16", where + " credits entry " + std::to_string(r.getIndex()) + ", not a priced line");
      auto l = e->reader().getKind().getPricedLine();
      if (l.getPartnerId() != c.getPartnerId() || l.getCurrency() != c.getCurrency() || l.getPeriod() != c.getTargetPeriod()) {
        return broke("R16", where + " credits line " + text(l.getLineId()) + " of another partner, currency or period");
      }
      if (c.getLineIds()[at] != l.getLineId()) {
        return broke("R16", where + " names line entry " + std::to_string(r.getIndex()) + " as " + text(c.getLineIds()[at]) + "; it is " +
                                text(l.getLineId()));
      }
      CB_TRY(Decimal sell, dec("R16", l.getSellAmount(), where));
      CB_TRY(billed, billed.add(sell));
      if (c.getQuantity().size() == 0) continue;
      CB_TRY(Decimal q, dec("R16", c.getQuantity(), where + " quantity"));
      CB_TRY(Decimal unit, dec("R16", l.getSellUnitPrice(), where));
      CB_TRY(Decimal exact, q.mul(unit));
      CB_TRY(Decimal value, exact.round(2, Rounding::kHalfEven));
      CB_TRY(valued, valued.add(value));
    }
    if (c.getQuantity().size() != 0) CB_CHECK(expect("R16", valued, c.getAmount(), where + " amount"));
    // With every earlier credit on any of its lines, no more than those lines billed.
    Decimal before;
    for (const auto& [credited, earlier] : credits_) {
      const bool shares = std::any_of(credited.begin(), credited.end(), [&](uint64_t i) { return lines.count(i) != 0; });
      if (!shares) continue;
      CB_TRY(before, before.add(earlier));
    }
    CB_TRY(Decimal total, before.add(amount));
    if (billed < total) {
      return broke("R16", where + ": with the credits before it on its lines, credits " + total.to_string() + " of the " +
                              billed.to_string() + " they billed");
    }
    ++counts.credits_recomputed;
    return {};
  }

  // ------------------------------------------------------------------------------------
  // R17: invoices

  // The items an invoice bills (R17): its own, or — when it names chunks, and then carries no
  // items itself — its chunks' in order, each an InvoiceChunk before it of its invoice, period,
  // partner and currency, at its position, counting the items before it, whose subtotal and GST
  // are its items' sums; together `itemCount` items. False when a chunk is not known here.
  Result<bool> items_of(const std::string& where, uint64_t header, schema::Invoice::Reader inv,
                        std::vector<schema::InvoiceItem::Reader>& out) {
    for (auto item : inv.getItems()) out.push_back(item);
    if (inv.getChunks().size() == 0) {
      if (inv.getItemCount() != 0) return broke("R17", where + " counts items it does not carry in chunks");
      return true;
    }
    if (inv.getItems().size() != 0) return broke("R17", where + " carries items and names chunks");
    uint32_t position = 0;
    for (auto ref : inv.getChunks()) {
      // Before the header: a bundle holds later entries too, which a chunk may not be.
      const DecodedEntry* e = ref.getIndex() < header ? get_(ref.getIndex()) : nullptr;
      if (ref.getIndex() >= header) return broke("R17", where + ": its chunk " + std::to_string(position) + " is not an entry before it");
      if (e == nullptr && !complete_) return false;
      if (e == nullptr || !e->reader().getKind().isInvoiceChunk()) {
        return broke("R17", where + ": its chunk " + std::to_string(position) + " is not an invoice chunk before it");
      }
      auto c = e->reader().getKind().getInvoiceChunk();
      if (c.getInvoiceId() != inv.getInvoiceId() || c.getPeriod() != inv.getPeriod() || c.getPartnerId() != inv.getPartnerId() ||
          c.getCurrency() != inv.getCurrency() || c.getPosition() != position || c.getFirst() != out.size() || c.getItems().size() == 0) {
        return broke("R17", where + ": chunk entry " + std::to_string(ref.getIndex()) + " is not its chunk " + std::to_string(position) +
                                " (invoice, period, partner, currency, position, the items before it)");
      }
      Decimal subtotal, gst;
      for (auto item : c.getItems()) {
        CB_TRY(Decimal amount, dec("R17", item.getAmount(), where + " chunk item amount"));
        CB_TRY(Decimal item_gst, dec("R17", item.getGst(), where + " chunk item GST"));
        CB_TRY(subtotal, subtotal.add(amount));
        CB_TRY(gst, gst.add(item_gst));
        out.push_back(item);
      }
      CB_CHECK(expect("R17", subtotal, c.getSubtotal(), where + " chunk " + std::to_string(position) + " subtotal"));
      CB_CHECK(expect("R17", gst, c.getGst(), where + " chunk " + std::to_string(position) + " GST"));
      ++position;
    }
    if (inv.getItemCount() != out.size()) {
      return broke("R17", where + " counts " + std::to_string(inv.getItemCount()) + " items; its chunks carry " + std::to_string(out.size()));
    }
    return true;
  }

  Status check_invoice(const DecodedEntry& entry, schema::Invoice::Reader inv) {
    const uint64_t index = entry.reader().getIndex();
    const std::string where = "invoice " + std::to_string(index) + " (" + text(inv.getInvoiceId()) + ")";
    const std::string period = text(inv.getPeriod());
    const DecodedEntry* sign_off = get_(inv.getSignOff().getIndex());
    std::vector<schema::InvoiceItem::Reader> items_billed;
    // A line's bundle carries the chunk of its line, not every chunk; an invoice of a credited
    // line, not every line it bills. Its header is checked all the same, its items only whole.
    CB_TRY(bool whole, items_of(where, index, inv, items_billed));
    for (auto item : items_billed) {
      if (get_(item.getLine().getIndex()) != nullptr) continue;
      if (complete_) return broke("R17", where + " bills entry " + std::to_string(item.getLine().getIndex()) + ", which does not exist");
      whole = false;
    }
    if (!whole && sign_off == nullptr) return {};  // nor its sign-off: nothing to check it by
    // Issued under the period's sign-off in force: its latest, not superseded by a reopen.
    const PeriodSeen& p = periods_[period];
    const uint64_t signed_at = inv.getSignOff().getIndex();
    if (sign_off == nullptr || !sign_off->reader().getKind().isSignOff() || signed_at >= index ||
        text(sign_off->reader().getKind().getSignOff().getPeriod()) != period) {
      return broke("R17", where + ": its sign-off is not a sign-off of " + period + " before it");
    }
    if (p.last_sign_off != signed_at || (p.last_reopen && *p.last_reopen > signed_at)) {
      return broke("R17", where + ": it is issued on sign-off " + std::to_string(signed_at) + ", which a reopen or a later sign-off of " +
                              period + " superseded");
    }
    const uint64_t signed_size = sign_off->reader().getKind().getSignOff().getTreeSize();
    // Its id: the partner's invoice of the period's k-th sign-off.
    const uint64_t issue = issue_of(text(inv.getInvoiceId()), "INV-" + period + "-" + text(inv.getPartnerId()));
    if (issue == 0) return broke("R17", where + ": its id is not INV-" + period + "-" + text(inv.getPartnerId()) + "[-k]");
    if (complete_) {
      const auto k = static_cast<uint64_t>(std::count_if(p.sign_offs.begin(), p.sign_offs.end(), [&](uint64_t s) { return s <= signed_at; }));
      if (issue != k) {
        return broke("R17", where + ": issued under sign-off " + std::to_string(k) + " of " + period + ", its id says " + std::to_string(issue));
      }
      if (invoice_ids_.count(text(inv.getInvoiceId())) != 0) return broke("R17", where + ": another invoice has its id");
    }
    // Dated the day it was signed off (UTC), in the partner's currency, taxed by its country.
    const std::string signed_day = Date::from_days(sign_off->reader().getRecordedAt() / kMsPerDay).to_iso();
    if (text(inv.getIssueDate()) != signed_day) {
      return broke("R17", where + ": its issue date " + text(inv.getIssueDate()) + " is not the day of its sign-off, " + signed_day);
    }
    const bool taxable = inv.getGstTreatment() == schema::Invoice::GstTreatment::TAXABLE;
    if (auto known = partners_.find(text(inv.getPartnerId())); known != partners_.end()) {
      auto partner = get_(known->second);
      if (partner != nullptr) {
        auto pr = partner->reader().getKind().getPartner();
        if ((text(pr.getCountry()) == "AU") != taxable) {
          return broke("R17", where + ": GST treatment does not follow partner " + text(pr.getPartnerId()) + "'s country " + text(pr.getCountry()));
        }
        if (pr.getCurrency() != inv.getCurrency()) {
          return broke("R17", where + " is in " + text(inv.getCurrency()) + "; partner " + text(pr.getPartnerId()) + " is billed in " +
                                  text(pr.getCurrency()));
        }
      }
    } else if (complete_) {
      return broke("R17", where + " bills partner " + text(inv.getPartnerId()) + ", who is not in the ledger");
    }
    if (!whole) return {};
    const Decimal gst_rate = Decimal::parse("0.10").value();
    Decimal subtotal, gst;
    std::set<uint64_t> items;
    std::map<uint64_t, std::pair<int64_t, int64_t>> usage_days;  // usage record -> the days a line of this invoice counts it
    for (auto item : items_billed) {
      const uint64_t source_index = item.getLine().getIndex();
      auto source = get_(source_index)->reader().getKind();
      if (source_index >= signed_size || !items.insert(source_index).second) {
        return broke("R17", where + " bills entry " + std::to_string(source_index) + " twice, or one its sign-off did not cover");
      }
      if (auto other = billed_by_.find(source_index); other != billed_by_.end()) {
        return broke("R17", where + " bills entry " + std::to_string(source_index) + ", which invoice entry " +
                                std::to_string(other->second) + " bills too");
      }
      Decimal amount;
      if (source.isPricedLine()) {
        auto l = source.getPricedLine();
        if (l.getPartnerId() != inv.getPartnerId() || l.getCurrency() != inv.getCurrency() || l.getPeriod() != inv.getPeriod()) {
          return broke("R17", where + " bills line " + text(l.getLineId()) + " of another partner, currency or period");
        }
        if (item.getLineId() != l.getLineId() || item.getQuantity() != l.getQuantity() || item.getUnitPrice() != l.getSellUnitPrice()) {
          return broke("R17", where + ": item " + text(item.getLineId()) + " does not name its line's id, quantity and unit price");
        }
        CB_CHECK(check_usage_once(where, l, usage_days));
        CB_TRY(amount, dec("R17", l.getSellAmount(), where));
      } else if (source.isCredit()) {
        auto c = source.getCredit();
        if (c.getPartnerId() != inv.getPartnerId() || c.getCurrency() != inv.getCurrency() || c.getPeriod() != inv.getPeriod() ||
            item.getLineId() != c.getCreditId()) {
          return broke("R17", where + " carries credit " + text(c.getCreditId()) + " of another partner, currency or period");
        }
        const std::string quantity = c.getQuantity().size() ? "-" + text(c.getQuantity()) : "";
        if (text(item.getQuantity()) != quantity || item.getUnitPrice().size() != 0) {
          return broke("R17", where + ": credit item " + text(c.getCreditId()) + " does not carry minus the credit's quantity and no unit price");
        }
        CB_TRY(Decimal credited, dec("R17", c.getAmount(), where));
        amount = credited.negated();
      } else {
        return broke("R17", where + ": an item bills entry " + std::to_string(source_index) + ", neither line nor credit");
      }
      CB_CHECK(expect("R17", amount, item.getAmount(), where + " item " + text(item.getLineId()) + " amount"));
      Decimal item_gst;
      if (taxable) {
        CB_TRY(Decimal exact, amount.mul(gst_rate));
        CB_TRY(item_gst, exact.round(2, Rounding::kHalfUp));
      }
      CB_CHECK(expect("R17", item_gst, item.getGst(), where + " item " + text(item.getLineId()) + " GST"));
      CB_TRY(subtotal, subtotal.add(amount));
      CB_TRY(gst, gst.add(item_gst));
    }
    CB_CHECK(expect("R17", subtotal, inv.getSubtotal(), where + " subtotal"));
    CB_CHECK(expect("R17", gst, inv.getGst(), where + " GST"));
    CB_TRY(Decimal total, subtotal.add(gst));
    CB_CHECK(expect("R17", total, inv.getTotal(), where + " total"));
    ++counts.invoices_recomputed;
    return {};
  }

  // R15 within an invoice: two of its lines never count one usage record for the same days.
  Status check_usage_once(const std::string& where, schema::PricedLine::Reader l,
                          std::map<uint64_t, std::pair<int64_t, int64_t>>& usage_days) {
    const int64_t first = Date::parse(text(l.getFromDate())).value().days_since_epoch();
    const int64_t last = Date::parse(text(l.getToDate())).value().days_since_epoch();
    for (auto u : l.getUsage()) {
      auto [it, fresh] = usage_days.try_emplace(u.getIndex(), first, last);
      if (!fresh && !(it->second.second < first || last < it->second.first)) {
        return broke("R15", where + " bills usage record " + std::to_string(u.getIndex()) + " twice (line " + text(l.getLineId()) +
                                " and another of its lines count it for the same days)");
      }
    }
    return {};
  }

  // ------------------------------------------------------------------------------------
  // R18: sign-off statements

  Status check_sign_off(uint64_t index, schema::SignOff::Reader so) {
    const std::string where = "sign-off " + std::to_string(index);
    const std::string period = text(so.getPeriod());
    auto statement = Checkpoint::parse(text(so.getStatement()));
    if (!statement.ok()) return broke("R18", where + ": the statement is not a checkpoint");
    const std::vector<std::string>& ext = statement->extensions;
    PeriodSeen& p = periods_[period];
    // Once per opening of the period, on a statement made after its last reopen.
    if (p.last_sign_off && (!p.last_reopen || *p.last_reopen < *p.last_sign_off)) {
      return broke("R18", where + ": period " + period + " is signed off already (entry " + std::to_string(*p.last_sign_off) +
                              ") and was not reopened since");
    }
    if (p.last_reopen && statement->size <= *p.last_reopen) {
      return broke("R18", where + ": its statement (tree size " + std::to_string(statement->size) + ") was made before period " + period +
                              " was reopened at entry " + std::to_string(*p.last_reopen));
    }
    // The summary: a v1 statement's lines after the period; a v2 statement's summary entry's.
    CB_TRY(std::optional<std::vector<std::string>> summary, summary_of(index, so, ext, where));
    if (!summary) {
      ++counts.summaries_withheld;  // a bundle withholds it from its audience (R34)
      return {};
    }
    std::string override_line;
    bool blocked = false;
    for (const std::string& line : *summary) {
      if (line.rfind("override ", 0) == 0) override_line = line.substr(9);
      const size_t blocking = line.rfind(" blocking ");
      if (line.rfind("outstanding ", 0) == 0 && blocking != std::string::npos && line.compare(blocking + 10, 2, "0 ") != 0) blocked = true;
    }
    if (blocked && override_line.empty()) {
      return broke("R18", where + ": its summary has exceptions outstanding that block sign-off, and no override");
    }
    if (ext[0] == "closebook-signoff/v1") {
      // A v1 entry repeats the override and the outstanding exceptions: they must agree.
      std::vector<std::string> outstanding, recorded;
      for (const std::string& line : *summary) {
        if (line.rfind("outstanding ", 0) == 0) outstanding.push_back(line);
      }
      if (override_line != text(so.getOverrideReason())) {
        return broke("R18", where + ": the statement's override (\"" + override_line + "\") is not the entry's (\"" +
                                text(so.getOverrideReason()) + "\")");
      }
      for (auto t : so.getOutstanding()) {
        recorded.push_back("outstanding " + category_name(t.getCategory()) + " " + (t.getCurrency().size() ? text(t.getCurrency()) : "-") +
                           " count " + std::to_string(t.getCount()) + " blocking " + std::to_string(t.getBlocking()) + " amount " +
                           text(t.getAmount()));
      }
      if (recorded != outstanding) return broke("R18", where + ": the statement's outstanding exceptions are not the entry's");
    }
    if (!complete_) return {};
    // With the whole ledger: nothing of the period came after the statement, and rebuilt from
    // the ledger the statement reads the same.
    // The latest entry of the period but the summary this SignOff names (any other summary counts).
    std::optional<uint64_t> after = p.last_entry;
    const bool own_summary = p.last_summary && so.getSummary().getHash().size() != 0 && *p.last_summary == so.getSummary().getIndex();
    const std::optional<uint64_t> other_summary = own_summary ? p.summary_before_last : p.last_summary;
    if (other_summary && (!after || *other_summary > *after)) after = other_summary;
    if (after && *after >= statement->size) {
      return broke("R18", where + ": period " + period + " has entry " + std::to_string(*after) + " after its statement (size " +
                              std::to_string(statement->size) + "): the statement is stale");
    }
    CB_CHECK(check_billed_once(where, p));
    CB_CHECK(check_run_totals(where, p));
    CB_TRY(std::vector<std::string> expected, summary_lines(period, p, override_line));
    if (expected != *summary) {
      std::string first_difference;
      for (size_t i = 0; i < std::max(expected.size(), summary->size()); ++i) {
        const std::string a = i < summary->size() ? (*summary)[i] : "(none)", b = i < expected.size() ? expected[i] : "(none)";
        if (a != b) {
          first_difference = "it says \"" + a + "\" where the ledger gives \"" + b + "\"";
          break;
        }
      }
      return broke("R18", where + ": the statement does not describe period " + period + " as the ledger has it: " + first_difference);
    }
    ++counts.statements_recomputed;
    return {};
  }

  // R34: a sign-off's summary — the lines after the period of a v1 statement, or the lines of
  // the SignOffSummary a v2 sign-off names, whose salted hash is its statement's summary line;
  // nullopt when a bundle withholds that entry.
  Result<std::optional<std::vector<std::string>>> summary_of(uint64_t index, schema::SignOff::Reader so,
                                                             const std::vector<std::string>& ext, const std::string& where) {
    using Lines = std::optional<std::vector<std::string>>;
    if (ext.size() >= 2 && ext[0] == "closebook-signoff/v1") return Lines(std::vector<std::string>(ext.begin() + 2, ext.end()));
    if (ext.size() != 3 || ext[0] != "closebook-signoff/v2" || ext[1] != "period " + text(so.getPeriod())) {
      return broke("R18", where + ": the statement is neither closebook-signoff/v1 nor v2 of its period");
    }
    const uint64_t at = so.getSummary().getIndex();
    const DecodedEntry* s = at < index ? get_(at) : nullptr;
    if (s == nullptr) {
      if (complete_ || at >= index) return broke("R34", where + ": its summary names entry " + std::to_string(at) + ", which is not before it");
      return Lines();
    }
    if (s->hash() != hash_of(so.getSummary().getHash()) || !s->reader().getKind().isSignOffSummary() ||
        s->reader().getKind().getSignOffSummary().getPeriod() != so.getPeriod()) {
      return broke("R34", where + ": its summary names entry " + std::to_string(at) + ", which is not a SignOffSummary of its period with that hash");
    }
    auto summary = s->reader().getKind().getSignOffSummary();
    if (summary.getSalt().size() != 32) return broke("R34", where + ": its summary's salt is not 32 bytes");
    if (summary.getLines().size() == 0) return broke("R34", where + ": its summary has no lines");
    std::vector<std::string> lines;
    std::string hashed = "closebook-signoff-summary/v1\n";
    hashed.append(reinterpret_cast<const char*>(summary.getSalt().begin()), summary.getSalt().size());
    for (auto line : summary.getLines()) {
      // One line each: a line holding a line break would hash like two (an ambiguous join).
      if (text(line).find('\n') != std::string::npos) return broke("R34", where + ": a line of its summary holds a line break");
      hashed += (lines.empty() ? "" : "\n") + text(line);
      lines.push_back(text(line));
    }
    if ("summary " + to_base64(Bytes(sha256(hashed))) != ext[2]) {
      return broke("R34", where + ": its statement's summary line is not the salted hash of entry " + std::to_string(at) + "'s lines");
    }
    return Lines(std::move(lines));
  }

  // A sign-off's summary lines for a period as the entries so far give it (docs/close.md §1).
  Result<std::vector<std::string>> summary_lines(const std::string& period, const PeriodSeen& p, const std::string& override_reason) {
    std::vector<std::string> out;
    if (!p.match_run) return broke("R18", "period " + period + " was signed off without a match run");
    out.push_back("match " + std::to_string(*p.match_run) + " keys " + std::to_string(p.keys) + " matched " + std::to_string(p.matched));
    struct Totals {
      uint64_t lines = 0;
      Decimal cost, sell;
    };
    std::map<std::string, Totals> priced;
    for (const auto& [id, line] : p.lines) {
      Totals& t = priced[line.currency];
      ++t.lines;
      CB_TRY(t.cost, t.cost.add(line.cost));
      CB_TRY(t.sell, t.sell.add(line.sell));
    }
    for (const auto& [currency, t] : priced) {
      CB_TRY(Decimal margin, t.sell.sub(t.cost));
      out.push_back("priced " + currency + " lines " + std::to_string(t.lines) + " cost " + t.cost.to_string() + " sell " +
                    t.sell.to_string() + " margin " + margin.to_string());
    }
    for (const auto& [currency, c] : p.credits) {
      out.push_back("credits " + currency + " count " + std::to_string(c.first) + " amount " + c.second.to_string());
    }
    struct Open {
      uint64_t count = 0, blocking = 0;
      Decimal amount;
    };
    std::map<std::pair<uint16_t, std::string>, Open> open;
    for (const auto& [id, x] : p.exceptions) {
      if (x.status != schema::ExceptionStatus::OPEN && x.status != schema::ExceptionStatus::ACKNOWLEDGED) continue;
      Open& o = open[{static_cast<uint16_t>(x.category), x.currency}];
      ++o.count;
      if (x.blocking) ++o.blocking;
      if (!x.delta.empty()) {
        CB_TRY(Decimal d, dec("R18", capnp::Text::Reader(x.delta.c_str(), x.delta.size()), "exception " + id + " delta"));
        CB_TRY(o.amount, o.amount.add(d));
      }
    }
    for (const auto& [key, o] : open) {
      out.push_back("outstanding " + category_name(static_cast<schema::Category>(key.first)) + " " + (key.second.empty() ? "-" : key.second) +
                    " count " + std::to_string(o.count) + " blocking " + std::to_string(o.blocking) + " amount " + o.amount.to_string());
    }
    if (!override_reason.empty()) out.push_back("override " + override_reason);
    return out;
  }


  // ------------------------------------------------------------------------------------
  // R18: a reopen reopens the sign-off in force, for a credit booked in the period

  Status check_reopen(uint64_t index, schema::PeriodReopen::Reader r) {
    const std::string where = "period reopen " + std::to_string(index);
    const std::string period = text(r.getPeriod());
    const PeriodSeen& p = periods_[period];
    const uint64_t previous = r.getPreviousSignOff().getIndex();
    const DecodedEntry* so = previous < index ? get_(previous) : nullptr;
    if (so != nullptr || complete_) {
      if (so == nullptr || !so->reader().getKind().isSignOff() || text(so->reader().getKind().getSignOff().getPeriod()) != period ||
          p.last_sign_off != previous || (p.last_reopen && *p.last_reopen > previous)) {
        return broke("R18", where + ": its previousSignOff (entry " + std::to_string(previous) + ") is not the sign-off of " + period +
                                " in force");
      }
    }
    const uint64_t cause = r.getCause().getIndex();
    const DecodedEntry* c = cause < index ? get_(cause) : nullptr;
    if (c != nullptr || complete_) {
      if (c == nullptr || !c->reader().getKind().isCredit() || text(c->reader().getKind().getCredit().getPeriod()) != period) {
        return broke("R18", where + ": its cause (entry " + std::to_string(cause) + ") is not a credit booked in " + period);
      }
    }
    return {};
  }

  // ------------------------------------------------------------------------------------
  // R19: journals and their acknowledgements

  // How many of the period's known sign-offs are at or before `signed_at`: which issue it is.
  static uint64_t sign_off_number(const PeriodSeen& p, uint64_t signed_at) {
    return static_cast<uint64_t>(std::count_if(p.sign_offs.begin(), p.sign_offs.end(), [&](uint64_t s) { return s <= signed_at; }));
  }

  // R19: how a journal converts one invoice currency into its own. Identity when they are
  // equal; else the FX lock its lines cite, checked once per journal and currency.
  struct JournalFx {
    uint64_t lock = 0;
    Decimal rate;
    bool divide = false;  // the lock is journal → invoice currency
    Result<Decimal> apply(const Decimal& amount) const {
      if (divide) return amount.div(rate, 2, Rounding::kHalfEven);
      CB_TRY(Decimal product, amount.mul(rate));
      return product.round(2, Rounding::kHalfEven);
    }
  };

  // The lock line `l` cites to convert `currency` into the journal's; nullopt when the bundle
  // does not carry it (nothing converted can then be recomputed).
  Result<std::optional<JournalFx>> journal_fx(uint64_t index, schema::JournalPosting::Reader j, schema::JournalLine::Reader l,
                                              const std::string& currency, const std::string& where) {
    const std::string to = text(j.getCurrency()), period = text(j.getPeriod());
    if (l.getFxLock().getHash().size() == 0) return broke("R19", where + " converts " + currency + " without an FX lock");
    const uint64_t at = l.getFxLock().getIndex();
    const DecodedEntry* lock = at < index ? get_(at) : nullptr;
    if (lock == nullptr) {
      if (complete_) return broke("R19", where + ": its FX lock (entry " + std::to_string(at) + ") is not an entry before it");
      return std::optional<JournalFx>();
    }
    if (!lock->reader().getKind().isFxLock()) return broke("R19", where + ": entry " + std::to_string(at) + " is not an FX lock");
    auto f = lock->reader().getKind().getFxLock();
    const std::string base = text(f.getBase()), quote = text(f.getQuote());
    JournalFx fx;
    fx.lock = at;
    fx.divide = base == to && quote == currency;
    if (text(f.getPeriod()) != period || !(fx.divide || (base == currency && quote == to))) {
      return broke("R19", where + ": its FX lock is " + base + "/" + quote + " of " + text(f.getPeriod()) + ", not " + currency + "/" +
                              to + " (or " + to + "/" + currency + ") of " + period);
    }
    const DecodedEntry* rate = get_(f.getRateRef().getIndex());
    if (rate != nullptr) {
      auto r = rate->reader().getKind();
      if (!r.isFxRate() || r.getFxRate().getRate() != f.getRate() || r.getFxRate().getBase() != f.getBase() ||
          r.getFxRate().getQuote() != f.getQuote() || r.getFxRate().getDate() != f.getRateDate()) {
        return broke("R19", where + ": its FX lock is not the lock of the FX rate it names");
      }
    } else if (complete_) {
      return broke("R19", where + ": its FX lock names no FX rate entry");
    }
    CB_TRY(fx.rate, dec("R19", f.getRate(), where + " FX rate"));
    if (fx.rate.sign() <= 0) return broke("R19", where + ": its FX rate is not positive");
    if (complete_) {
      // The period's lock: the first of its pair, and an inverse one only when the period had
      // no lock of the direct pair before the journal.
      const PeriodSeen& p = periods_[period];
      const auto first = p.first_lock.find(base + "/" + quote);
      if (first == p.first_lock.end() || first->second != at) {
        return broke("R19", where + ": entry " + std::to_string(at) + " is not the period's first " + base + "/" + quote + " lock");
      }
      if (fx.divide && p.first_lock.count(currency + "/" + to) != 0) {
        return broke("R19", where + " converts by the inverse lock " + base + "/" + quote + " while the period locks " + currency + "/" + to);
      }
    }
    return std::optional<JournalFx>(fx);
  }

  Status check_journal(uint64_t index, schema::JournalPosting::Reader j) {
    const std::string where = "journal posting " + std::to_string(index) + " (" + text(j.getJournalId()) + ")";
    const std::string period = text(j.getPeriod()), currency = text(j.getCurrency()), organisation = text(j.getOrganisation());
    // Before organisations, a journal posted the invoices of one currency, with no conversion.
    const bool of_organisation = !organisation.empty();
    const uint64_t signed_at = j.getSignOff().getIndex();
    const DecodedEntry* so = signed_at < index ? get_(signed_at) : nullptr;
    if (so == nullptr) {
      if (complete_) return broke("R19", where + ": its sign-off (entry " + std::to_string(signed_at) + ") is not an entry before it");
      return {};  // a bundle without its sign-off cannot place it
    }
    PeriodSeen& p = periods_[period];
    if (!so->reader().getKind().isSignOff() || text(so->reader().getKind().getSignOff().getPeriod()) != period ||
        p.last_sign_off != signed_at || (p.last_reopen && *p.last_reopen > signed_at)) {
      return broke("R19", where + ": it is not issued under the sign-off of " + period + " in force");
    }
    const std::string prefix = "JNL-" + period + "-" + (of_organisation ? organisation : currency);
    const uint64_t issue = issue_of(text(j.getJournalId()), prefix);
    if (issue == 0 || (of_organisation && !organisation_id(organisation))) {
      return broke("R19", where + ": its id is not " + prefix + "[-k]" + (of_organisation ? " of an organisation id of 1-16 A-Z, 0-9" : ""));
    }
    if (complete_ && issue != sign_off_number(p, signed_at)) {
      return broke("R19", where + ": issued under sign-off " + std::to_string(sign_off_number(p, signed_at)) + " of " + period +
                              ", its id says " + std::to_string(issue));
    }
    std::set<std::string> partners;
    for (auto partner : j.getPartners()) {
      const std::string id = text(partner);
      if (!partners.empty() && !(*partners.rbegin() < id)) return broke("R19", where + ": its partners are not sorted and distinct");
      partners.insert(id);
      if (p.journal_partners[signed_at].count(id) != 0) {
        return broke("R19", where + " posts partner " + id + ", whom another journal of its sign-off posts");
      }
    }
    if (of_organisation && partners.empty()) return broke("R19", where + " names no partner it posts");
    if (!of_organisation && j.getPartners().size() != 0) return broke("R19", where + " names partners but no organisation");
    CB_CHECK(check_journal_totals(j, where));
    CB_TRY(auto posted, check_journal_lines(index, j, partners, where));
    if (!posted) return {};  // a bundle that does not carry all it posts cannot recompute the lines
    if (complete_) {
      for (const auto& inv : p.invoices) {
        const bool its = of_organisation ? partners.count(inv.partner) != 0 : inv.currency == currency;
        if (inv.sign_off == signed_at && its && std::find(posted->begin(), posted->end(), inv.index) == posted->end()) {
          return broke("R19", where + " does not post invoice entry " + std::to_string(inv.index) + " of its " +
                                  (of_organisation ? "partners" : "currency") + " and sign-off");
        }
      }
    }
    return {};
  }

  static bool organisation_id(const std::string& s) {
    return !s.empty() && s.size() <= 16 &&
           std::all_of(s.begin(), s.end(), [](char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); });
  }

  // Balanced, and its totals are its lines'.
  Status check_journal_totals(schema::JournalPosting::Reader j, const std::string& where) {
    Decimal debit, credit;
    for (auto line : j.getLines()) {
      CB_TRY(Decimal amount, dec("R19", line.getAmount(), where + " line amount"));
      if (amount.sign() > 0) {
        CB_TRY(debit, debit.add(amount));
      } else {
        CB_TRY(credit, credit.sub(amount));
      }
    }
    CB_CHECK(expect("R19", debit, j.getTotalDebit(), where + " total debit"));
    CB_CHECK(expect("R19", credit, j.getTotalCredit(), where + " total credit"));
    if (!(debit == credit)) return broke("R19", where + " does not balance: debits " + debit.to_string() + ", credits " + credit.to_string());
    return {};
  }

  // The lines, recomputed from the invoices they post (docs/evidence.md R19). Returns the
  // invoices posted, or nullopt when the bundle does not carry what they need.
  Result<std::optional<std::vector<uint64_t>>> check_journal_lines(uint64_t index, schema::JournalPosting::Reader j,
                                                                    const std::set<std::string>& partners,
                                                                    const std::string& where) {
    using Posted = std::optional<std::vector<uint64_t>>;
    const std::string currency = text(j.getCurrency());
    const bool of_organisation = j.getOrganisation().size() != 0;
    const uint64_t signed_at = j.getSignOff().getIndex();
    const auto lines = j.getLines();
    JournalLines expected(*this, index, j, where);
    std::vector<uint64_t> posted;
    unsigned at = 0;
    while (at < lines.size()) {
      const auto refs = lines[at].getRefs();
      if (refs.size() != 1 || std::find(posted.begin(), posted.end(), refs[0].getIndex()) != posted.end()) break;  // the vendors' lines
      const uint64_t i = refs[0].getIndex();
      const DecodedEntry* e = i < index ? get_(i) : nullptr;
      if (e == nullptr) {
        if (complete_) return broke("R19", where + " posts entry " + std::to_string(i) + ", which is not an entry before it");
        return Posted();  // a bundle that does not carry every invoice posted cannot recompute the lines
      }
      if (!e->reader().getKind().isInvoice()) return broke("R19", where + " posts entry " + std::to_string(i) + ", not an invoice");
      auto inv = e->reader().getKind().getInvoice();
      const std::string from = text(inv.getCurrency()), partner = text(inv.getPartnerId());
      const bool its = of_organisation ? partners.count(partner) != 0 : from == currency;
      if (inv.getPeriod() != j.getPeriod() || !its || inv.getSignOff().getIndex() != signed_at) {
        return broke("R19", where + " posts invoice " + text(inv.getInvoiceId()) + " of another period, " +
                                (of_organisation ? "partner" : "currency") + " or sign-off");
      }
      if (!posted.empty() && i < posted.back()) return broke("R19", where + " posts its invoices out of ledger order");
      posted.push_back(i);
      const bool taxable = inv.getGstTreatment() == schema::Invoice::GstTreatment::TAXABLE;
      CB_TRY(Decimal total, dec("R19", inv.getTotal(), where + " invoice total"));
      CB_TRY(Decimal subtotal, dec("R19", inv.getSubtotal(), where + " invoice subtotal"));
      CB_TRY(Decimal gst, dec("R19", inv.getGst(), where + " invoice GST"));
      CB_TRY(const JournalFx* fx, expected.fx(at, from));
      if (fx == nullptr && from != currency) return Posted();
      Decimal subtotal_in = subtotal, gst_in = gst;
      if (fx != nullptr) {
        CB_TRY(subtotal_in, fx->apply(subtotal));
        CB_TRY(gst_in, fx->apply(gst));
      }
      CB_TRY(Decimal total_in, subtotal_in.add(gst_in));
      using R = JournalLines::Role;
      CB_CHECK(expected.line(at++, {R::kReceivable, taxable, total_in, total, from, partner, "", {i}}));
      CB_CHECK(expected.line(at++, {R::kRevenue, taxable, subtotal_in.negated(), subtotal.negated(), from, partner, "", {i}}));
      if (!gst.is_zero()) CB_CHECK(expected.line(at++, {R::kGst, taxable, gst_in.negated(), gst.negated(), from, partner, "", {i}}));
    }
    // Per vendor and invoice currency of the priced lines they bill: the cost, and the invoices billing it.
    struct Cost {
      Decimal amount;
      std::vector<uint64_t> invoices;
    };
    std::map<std::pair<std::string, std::string>, Cost> costs;
    for (uint64_t i : posted) {
      auto inv = get_(i)->reader().getKind().getInvoice();
      std::vector<schema::InvoiceItem::Reader> items;
      CB_TRY(bool whole, items_of(where, i, inv, items));
      if (!whole) return Posted();  // a bundle without every chunk cannot sum the costs
      for (auto item : items) {
        const DecodedEntry* e = get_(item.getLine().getIndex());
        if (e == nullptr) {
          if (complete_) return broke("R19", where + ": invoice entry " + std::to_string(i) + " bills an entry that does not exist");
          return Posted();  // a bundle without every billed line cannot sum the costs
        }
        if (!e->reader().getKind().isPricedLine()) continue;  // a credit note has no cost
        auto l = e->reader().getKind().getPricedLine();
        CB_TRY(std::optional<CostFields> fields, cost_fields(l, item.getLine().getIndex(), get_));
        if (!fields) return Posted();  // a bundle withholding a line's cost cannot sum the costs
        Cost& c = costs[{text(l.getVendor()), text(inv.getCurrency())}];
        CB_TRY(Decimal line_cost, dec("R19", fields->cost_amount, where + " line cost"));
        CB_TRY(c.amount, c.amount.add(line_cost));
        if (c.invoices.empty() || c.invoices.back() != i) c.invoices.push_back(i);
      }
    }
    for (const auto& [key, c] : costs) {
      const auto& [vendor, from] = key;
      CB_TRY(const JournalFx* fx, expected.fx(at, from));
      if (fx == nullptr && from != currency) return Posted();
      Decimal in = c.amount;
      if (fx != nullptr) {
        CB_TRY(in, fx->apply(c.amount));
      }
      using R = JournalLines::Role;
      CB_CHECK(expected.line(at++, {R::kCogs, false, in, c.amount, from, "", vendor, c.invoices}));
      CB_CHECK(expected.line(at++, {R::kPayable, false, in.negated(), c.amount.negated(), from, "", vendor, c.invoices}));
    }
    if (at != lines.size()) return broke("R19", where + " has " + std::to_string(lines.size() - at) + " lines its invoices do not give");
    return Posted(std::move(posted));
  }

  // R19: one journal's lines as they must be — each role's account and tax rate one per
  // journal, conversions at one lock per currency, cited invoices, partner or vendor.
  class JournalLines {
   public:
    enum class Role { kReceivable, kRevenue, kGst, kCogs, kPayable };
    struct Expected {
      Role role;
      bool taxable;
      Decimal amount;  // in the journal's currency
      Decimal source;  // in `from`
      std::string from, partner, vendor;
      std::vector<uint64_t> refs;
    };

    JournalLines(State& state, uint64_t index, schema::JournalPosting::Reader j, const std::string& where)
        : state_(state), index_(index), j_(j), lines_(j.getLines()), where_(where), currency_(text(j.getCurrency())),
          of_organisation_(j.getOrganisation().size() != 0) {}

    // The conversion of `from` into the journal's currency, read from line n on its first use;
    // nullptr when none is needed, or when the bundle does not carry the lock.
    Result<const JournalFx*> fx(unsigned n, const std::string& from) {
      if (from == currency_) return static_cast<const JournalFx*>(nullptr);
      if (!of_organisation_) return broke("R19", where_ + " posts a " + from + " invoice into a " + currency_ + " journal");
      if (auto it = fx_.find(from); it != fx_.end()) return &it->second;
      if (n >= lines_.size()) return broke("R19", where_ + " line " + std::to_string(n) + " is missing");
      CB_TRY(std::optional<JournalFx> found, state_.journal_fx(index_, j_, lines_[n], from, where_ + " line " + std::to_string(n)));
      if (!found) return static_cast<const JournalFx*>(nullptr);
      return &(fx_[from] = *found);
    }

    Status line(unsigned n, const Expected& x) {
      static const char* const kNames[] = {"receivable", "revenue", "GST", "COGS", "payable"};
      const int r = static_cast<int>(x.role);
      const std::string what = where_ + " " + kNames[r] + " line " + std::to_string(n);
      if (n >= lines_.size()) return broke("R19", what + " is missing");
      auto l = lines_[n];
      CB_CHECK(state_.expect("R19", x.amount, l.getAmount(), what + " amount"));
      bool same_refs = l.getRefs().size() == x.refs.size();
      for (unsigned k = 0; same_refs && k < x.refs.size(); ++k) same_refs = l.getRefs()[k].getIndex() == x.refs[k];
      if (!same_refs) return broke("R19", what + " does not cite the invoices it sums");
      CB_CHECK(check_conversion(l, x, what));
      const auto [account, fresh] = accounts_.emplace(r, text(l.getAccount()));
      if (!fresh && account->second != text(l.getAccount())) {
        return broke("R19", what + " is posted to account " + text(l.getAccount()) + "; the journal's other " + kNames[r] +
                                       " lines to " + account->second);
      }
      // Before organisations, revenue lines carried the GL's GST rates; since, every line but a
      // GST-free revenue line carries one rate, the GL's no-tax rate: GST is its own line and no
      // GL computes it again. GST-free revenue carries one rate of its own (a 0% export rate).
      std::optional<std::string>& rate = x.role != Role::kRevenue ? rate_none_
                                         : !x.taxable             ? rate_export_
                                         : of_organisation_       ? rate_none_
                                                                  : rate_taxable_;
      if (!rate) rate = text(l.getTaxRate());
      if (*rate != text(l.getTaxRate())) return broke("R19", what + ": its tax rate " + text(l.getTaxRate()) + " is not its kind's, " + *rate);
      if (!of_organisation_) return {};
      static const char* const kRoles[] = {"receivable", "revenue", "gst", "cogs", "payable"};
      const std::string role = x.role == Role::kRevenue && !x.taxable ? "revenueGstFree" : kRoles[r];
      if (text(l.getRole()) != role) return broke("R19", what + ": its role is \"" + text(l.getRole()) + "\", not " + role);
      if (text(l.getPartner()) != x.partner || text(l.getVendor()) != x.vendor) {
        return broke("R19", what + " names partner \"" + text(l.getPartner()) + "\" and vendor \"" + text(l.getVendor()) +
                                       "\", not \"" + x.partner + "\" and \"" + x.vendor + "\"");
      }
      return {};
    }

   private:
    Status check_conversion(schema::JournalLine::Reader l, const Expected& x, const std::string& what) {
      if (x.from == currency_) {
        const bool states_one = l.getSourceCurrency().size() != 0 || l.getSourceAmount().size() != 0 || l.getFxRate().size() != 0 ||
                                l.getFxLock().getHash().size() != 0;
        if (states_one) return broke("R19", what + " is in the journal's currency but states a conversion");
        return {};
      }
      const JournalFx& fx = fx_.at(x.from);
      if (text(l.getSourceCurrency()) != x.from) return broke("R19", what + ": its source currency is not " + x.from);
      CB_CHECK(state_.expect("R19", x.source, l.getSourceAmount(), what + " source amount"));
      if (l.getFxLock().getIndex() != fx.lock) return broke("R19", what + " converts " + x.from + " at another lock than its journal's");
      return state_.expect("R19", fx.rate, l.getFxRate(), what + " FX rate");
    }

    State& state_;
    const uint64_t index_;
    const schema::JournalPosting::Reader j_;
    const capnp::List<schema::JournalLine>::Reader lines_;
    const std::string where_, currency_;
    const bool of_organisation_;
    std::map<std::string, JournalFx> fx_;  // by invoice currency
    std::map<int, std::string> accounts_;  // by role
    std::optional<std::string> rate_none_, rate_taxable_, rate_export_;
  };

  Status check_ack(uint64_t index, schema::PostingAck::Reader a) {
    const uint64_t posting = a.getPosting().getIndex();
    const DecodedEntry* e = posting < index ? get_(posting) : nullptr;
    if (e == nullptr && !complete_) return {};
    if (e == nullptr || !e->reader().getKind().isJournalPosting() || e->reader().getKind().getJournalPosting().getPeriod() != a.getPeriod()) {
      return broke("R19", "posting ack " + std::to_string(index) + " acknowledges entry " + std::to_string(posting) +
                              ", not a journal posting of " + text(a.getPeriod()));
    }
    return {};
  }

  // ------------------------------------------------------------------------------------
  // R20: disputes

  Status check_dispute(uint64_t index, schema::Dispute::Reader d) {
    const std::string where = "dispute " + std::to_string(index) + " (" + text(d.getDisputeId()) + ")";
    CB_TRY(Decimal amount, dec("R20", d.getAmount(), where + " amount"));
    if (amount.sign() <= 0 || amount.scale() > 2) return broke("R20", where + ": its amount is not more than zero, in cents");
    const uint64_t line = d.getLine().getIndex();
    const DecodedEntry* e = line < index ? get_(line) : nullptr;
    if (e == nullptr && !complete_) return {};
    if (e == nullptr || !e->reader().getKind().isPricedLine()) {
      return broke("R20", where + " disputes entry " + std::to_string(line) + ", not a priced line before it");
    }
    auto l = e->reader().getKind().getPricedLine();
    if (l.getPartnerId() != d.getPartnerId() || l.getLineId() != d.getLineId() || l.getCurrency() != d.getCurrency()) {
      return broke("R20", where + " disputes line " + text(l.getLineId()) + " as another partner's, id or currency");
    }
    CB_TRY(Decimal sell, dec("R20", l.getSellAmount(), where + " line sell amount"));
    if (sell < amount) return broke("R20", where + " disputes " + amount.to_string() + " of a line that sold " + sell.to_string());
    if (!hex_id(text(d.getDisputeId()), "DSP-" + text(l.getPeriod()) + "-")) {
      return broke("R20", where + ": its id is not DSP-" + text(l.getPeriod()) + "-<32 hex digits>");
    }
    return {};
  }

  // ------------------------------------------------------------------------------------
  // R21: the exception queue

  static const char* status_name(schema::ExceptionStatus s) {
    switch (s) {
      case schema::ExceptionStatus::OPEN: return "open";
      case schema::ExceptionStatus::ACKNOWLEDGED: return "acknowledged";
      case schema::ExceptionStatus::RESOLVED: return "resolved";
      case schema::ExceptionStatus::WAIVED: return "waived";
    }
    return "unknown";
  }

  Status check_exception(uint64_t index, schema::Exception::Reader x) {
    const std::string where = "exception " + std::to_string(index) + " (" + text(x.getExceptionId()) + ")";
    CB_TRY(Period period, iso_period(x.getPeriod(), where + " period"));
    const std::string prefix = "EX-" + period.to_string() + "-" + category_name(x.getCategory()) + "-";
    if (!hex_id(text(x.getExceptionId()), prefix)) return broke("R21", where + ": its id is not " + prefix + "<32 hex digits>");
    if (x.getStatus() != schema::ExceptionStatus::OPEN) return broke("R21", where + " is raised " + status_name(x.getStatus()) + ", not open");
    if (x.getCategory() == schema::Category::CREDIT_RECOVERY) return check_recovery(index, where, x);
    if (x.getCategory() == schema::Category::MARGIN_FLOOR_BREACH) {
      auto cited = [&](unsigned n) { return n < x.getEvidence().size() && x.getEvidence()[n].getIndex() < index ? get_(x.getEvidence()[n].getIndex()) : nullptr; };
      const DecodedEntry* line = cited(1);
      std::optional<uint64_t> line_rule;
      if (line != nullptr && line->reader().getKind().isPricedLine()) {
        CB_TRY(std::optional<CostFields> fields, cost_fields(line->reader().getKind().getPricedLine(), line->reader().getIndex(), get_));
        if (fields) line_rule = fields->rule.getIndex();
      }
      return floors_.check_breach(where, x, cited(0), line, line_rule);
    }
    if (x.getCategory() != schema::Category::DISPUTE) return {};
    // R20: a DISPUTE exception says what its dispute says.
    const DecodedEntry* dispute = nullptr;
    unsigned disputes = 0;
    for (auto r : x.getEvidence()) {
      const DecodedEntry* e = r.getIndex() < index ? get_(r.getIndex()) : nullptr;
      if (e != nullptr && e->reader().getKind().isDispute()) {
        dispute = e;
        ++disputes;
      }
    }
    if (complete_ && disputes != 1) return broke("R20", where + " cites " + std::to_string(disputes) + " disputes, not one");
    if (dispute == nullptr) return {};
    auto d = dispute->reader().getKind().getDispute();
    CB_TRY(Decimal amount, dec("R20", d.getAmount(), where + " dispute amount"));
    CB_TRY(Decimal delta, dec("R20", x.getDelta(), where + " delta"));
    if (x.getPartnerId() != d.getPartnerId() || x.getCurrency() != d.getCurrency() || !(delta == amount.negated())) {
      return broke("R20", where + " is not its dispute's: partner " + text(d.getPartnerId()) + ", delta minus " + amount.to_string() + " " +
                              text(d.getCurrency()));
    }
    const DecodedEntry* line = d.getLine().getIndex() < index ? get_(d.getLine().getIndex()) : nullptr;
    if (line != nullptr && line->reader().getKind().isPricedLine()) {
      auto l = line->reader().getKind().getPricedLine();
      if (x.getVendor() != l.getVendor() || x.getTenantId() != l.getTenantId() || x.getSubscriptionId() != l.getSubscriptionId() ||
          x.getSkuId() != l.getSkuId()) {
        return broke("R20", where + " is not on its disputed line's vendor, tenant, subscription and SKU");
      }
    }
    return {};
  }

  // R16: a CREDIT_RECOVERY exception says what its credit says.
  Status check_recovery(uint64_t index, const std::string& where, schema::Exception::Reader x) {
    const DecodedEntry* credit = nullptr;
    unsigned credits = 0;
    for (auto r : x.getEvidence()) {
      const DecodedEntry* e = r.getIndex() < index ? get_(r.getIndex()) : nullptr;
      if (e != nullptr && e->reader().getKind().isCredit()) {
        credit = e;
        ++credits;
      }
    }
    if (complete_ && credits != 1) return broke("R16", where + " cites " + std::to_string(credits) + " credits, not one");
    if (credit == nullptr) return {};
    auto c = credit->reader().getKind().getCredit();
    CB_TRY(Decimal amount, dec("R16", c.getAmount(), where + " credit amount"));
    CB_TRY(Decimal delta, dec("R16", x.getDelta(), where + " delta"));
    if (x.getPartnerId() != c.getPartnerId() || x.getCurrency() != c.getCurrency() || !(delta == amount)) {
      return broke("R16", where + " is not its credit's: partner " + text(c.getPartnerId()) + ", delta " + amount.to_string() + " " +
                              text(c.getCurrency()));
    }
    if (x.getVendor().size() || x.getTenantId().size() || x.getSubscriptionId().size() || x.getSkuId().size()) {
      return broke("R16", where + " names a vendor, tenant, subscription or SKU; a credit's recovery names none");
    }
    return {};
  }

  const ExceptionSeen* exception_seen(const std::string& id) const {
    for (const auto& [period, p] : periods_) {
      if (auto it = p.exceptions.find(id); it != p.exceptions.end()) return &it->second;
    }
    return nullptr;
  }

  Status check_update(uint64_t index, schema::ExceptionUpdate::Reader u) {
    const std::string id = text(u.getExceptionId());
    const std::string where = "exception update " + std::to_string(index) + " (" + id + ")";
    const uint64_t target = u.getException().getIndex();
    const DecodedEntry* e = target < index ? get_(target) : nullptr;
    if (e == nullptr && !complete_) return {};  // a bundle without the exception cannot follow it
    if (e == nullptr || !e->reader().getKind().isException() || text(e->reader().getKind().getException().getExceptionId()) != id) {
      return broke("R21", where + " names entry " + std::to_string(target) + ", not an exception " + id + " before it");
    }
    if (auto latest = latest_exception_.find(id); latest != latest_exception_.end() && latest->second != target) {
      return broke("R21", where + " names exception entry " + std::to_string(target) + "; the latest of " + id + " is entry " +
                              std::to_string(latest->second));
    }
    const ExceptionSeen* seen = exception_seen(id);
    const schema::ExceptionStatus before = seen != nullptr ? seen->status : schema::ExceptionStatus::OPEN;
    if (before == schema::ExceptionStatus::RESOLVED || before == schema::ExceptionStatus::WAIVED) {
      return broke("R21", where + " changes an exception that is " + status_name(before) + ", which is final");
    }
    using Action = schema::ExceptionUpdate::Action;
    schema::ExceptionStatus after = before;
    switch (u.getAction()) {
      case Action::ACKNOWLEDGE:
        if (before != schema::ExceptionStatus::OPEN) return broke("R21", where + " acknowledges an exception that is " + status_name(before));
        after = schema::ExceptionStatus::ACKNOWLEDGED;
        break;
      case Action::RESOLVE: after = schema::ExceptionStatus::RESOLVED; break;
      case Action::WAIVE: after = schema::ExceptionStatus::WAIVED; break;
      case Action::REOPEN: after = schema::ExceptionStatus::OPEN; break;
      case Action::ASSIGN:
        if (u.getOwner().size() == 0) return broke("R21", where + " assigns the exception to nobody");
        break;
      case Action::COMMENT: break;
      default: return broke("R21", where + ": its action is not one of the queue's");
    }
    if (u.getStatus() != after) {
      return broke("R21", where + ": its status is " + status_name(u.getStatus()) + "; its action makes the " + status_name(before) +
                              " exception " + status_name(after));
    }
    return {};
  }

  // ------------------------------------------------------------------------------------
  // R22: loads (with the whole ledger)

  Status check_row(uint64_t index, schema::SourceRow::Reader source, schema::Ingest::Source expected) {
    const std::string where = "input row " + std::to_string(index);
    auto load = loads_.find(hash_of(source.getFileSha256()));
    if (source.getFileSha256().size() != 32 || load == loads_.end() || load->second.sources.count(expected) == 0) {
      return broke("R22", where + " names a file that no load of its kind before it loaded");
    }
    if (source.getLine() < 2) return broke("R22", where + " names line " + std::to_string(source.getLine()) + ", not a row after the header");
    if (++load->second.rows > load->second.row_count) {
      return broke("R22", where + ": more rows name its file than the " + std::to_string(load->second.row_count) + " it has");
    }
    return {};
  }

  Status check_match_inputs(uint64_t index, schema::MatchRun::Reader run) {
    const std::string where = "match run " + std::to_string(index);
    if (run.getInputs().size() != run.getInputFileSha256s().size()) {
      return broke("R22", where + " names " + std::to_string(run.getInputs().size()) + " inputs and " +
                              std::to_string(run.getInputFileSha256s().size()) + " input files");
    }
    for (unsigned n = 0; n < run.getInputs().size(); ++n) {
      const uint64_t i = run.getInputs()[n].getIndex();
      const DecodedEntry* e = i < index ? get_(i) : nullptr;
      if (e == nullptr || !e->reader().getKind().isIngest() ||
          e->reader().getKind().getIngest().getFileSha256() != run.getInputFileSha256s()[n]) {
        return broke("R22", where + ": input " + std::to_string(n) + " (entry " + std::to_string(i) + ") is not the load of its input file");
      }
    }
    return {};
  }

  // ------------------------------------------------------------------------------------
  // R23: match results, and (with the whole ledger) their run's counts and totals

  Status check_result(uint64_t index, schema::MatchResult::Reader r) {
    const std::string where = "match result " + std::to_string(index);
    const uint64_t run = r.getRun().getIndex();
    const DecodedEntry* e = run < index ? get_(run) : nullptr;
    if ((e != nullptr || complete_) &&
        (e == nullptr || !e->reader().getKind().isMatchRun() || e->reader().getKind().getMatchRun().getPeriod() != r.getPeriod())) {
      return broke("R23", where + ": its run (entry " + std::to_string(run) + ") is not a match run of " + text(r.getPeriod()));
    }
    // Every entry it cites is of its kind; a bundle may not carry them all.
    auto cited = [&](schema::EntryRef::Reader ref, K::Which kind, const char* what) -> Result<const DecodedEntry*> {
      const DecodedEntry* c = ref.getIndex() < index ? get_(ref.getIndex()) : nullptr;
      if ((c != nullptr || complete_) && (c == nullptr || c->reader().getKind().which() != kind)) {
        return broke("R23", where + " cites entry " + std::to_string(ref.getIndex()) + " as " + what);
      }
      return c;
    };
    for (auto ref : r.getInvoiceLines()) {
      CB_TRY(const DecodedEntry* line, cited(ref, K::INVOICE_LINE, "a vendor invoice line"));
      (void)line;
    }
    for (auto ref : r.getUsage()) {
      CB_TRY(const DecodedEntry* record, cited(ref, K::USAGE_RECORD, "a usage record"));
      (void)record;
    }
    Decimal quantity, cost, sell;
    std::string currency;
    bool all = true;
    for (auto ref : r.getPricedLines()) {
      CB_TRY(const DecodedEntry* c, cited(ref, K::PRICED_LINE, "a priced line"));
      if (c == nullptr) {
        all = false;
        continue;
      }
      auto l = c->reader().getKind().getPricedLine();
      if (l.getPeriod() != r.getPeriod() || l.getVendor() != r.getVendor() || l.getSubscriptionId() != r.getSubscriptionId() ||
          l.getSkuId() != r.getSkuId()) {
        return broke("R23", where + " counts priced line " + text(l.getLineId()) + " of another period, vendor, subscription or SKU");
      }
      CB_TRY(std::optional<CostFields> fields, cost_fields(l, ref.getIndex(), get_));
      if (!fields) {
        all = false;  // its cost is withheld (R34)
        continue;
      }
      CB_TRY(Decimal q, dec("R23", l.getQuantity(), where + " line quantity"));
      CB_TRY(Decimal c_amount, dec("R23", fields->cost_amount, where + " line cost"));
      CB_TRY(Decimal s_amount, dec("R23", l.getSellAmount(), where + " line sell"));
      CB_TRY(quantity, quantity.add(q));
      CB_TRY(cost, cost.add(c_amount));
      CB_TRY(sell, sell.add(s_amount));
      if (currency.empty()) currency = text(l.getCurrency());
    }
    CB_TRY(Decimal vendor_amount, dec("R23", r.getVendorAmount(), where + " vendorAmount"));
    (void)vendor_amount;
    if (all) {
      CB_CHECK(expect("R23", quantity, r.getPricedQuantity(), where + " pricedQuantity"));
      CB_CHECK(expect("R23", cost, r.getPricedCost(), where + " pricedCost"));
      CB_CHECK(expect("R23", sell, r.getPricedSell(), where + " pricedSell"));
      if (currency != text(r.getCurrency())) return broke("R23", where + ": its currency is not its priced lines'");
    }
    // Mismatched exactly when it names a finding other than TIMING.
    bool mismatched = false;
    for (auto id : r.getExceptionIds()) {
      auto latest = latest_exception_.find(text(id));
      const DecodedEntry* x = latest != latest_exception_.end() ? get_(latest->second) : nullptr;
      if (x == nullptr) {
        if (complete_) return broke("R23", where + " names exception " + text(id) + ", which is not an exception before it");
        return {};  // a bundle without the exception cannot say whether it mismatches
      }
      if (x->reader().getKind().getException().getPeriod() != r.getPeriod()) {
        return broke("R23", where + " names exception " + text(id) + " of another period");
      }
      if (x->reader().getKind().getException().getCategory() != schema::Category::TIMING) mismatched = true;
    }
    if ((r.getStatus() == schema::MatchResult::Status::MISMATCHED) != mismatched) {
      return broke("R23", where + (mismatched ? " is matched, yet names a finding other than TIMING"
                                              : " is mismatched, yet names no finding other than TIMING"));
    }
    return {};
  }

  Status check_run_totals(const std::string& where, const PeriodSeen& p) {
    if (!p.match_run) return {};  // R18 refuses a sign-off without one
    const DecodedEntry* e = get_(*p.match_run);
    if (e == nullptr || !e->reader().getKind().isMatchRun()) return broke("R23", where + ": its period's match run cannot be read");
    auto run = e->reader().getKind().getMatchRun();
    const RunSeen& seen = runs_[*p.match_run];
    const std::string of = where + ": match run " + std::to_string(*p.match_run);
    if (run.getKeyCount() != seen.results || run.getMatchedCount() != seen.matched) {
      return broke("R23", of + " counts " + std::to_string(run.getKeyCount()) + " keys, " + std::to_string(run.getMatchedCount()) +
                              " matched; its results are " + std::to_string(seen.results) + ", " + std::to_string(seen.matched) + " matched");
    }
    if (run.getTotals().size() != seen.totals.size()) return broke("R23", of + ": its totals are not one per currency of its results");
    unsigned at = 0;
    for (const auto& [currency, t] : seen.totals) {
      auto total = run.getTotals()[at++];
      if (text(total.getCurrency()) != currency) return broke("R23", of + ": its totals are not one per currency of its results, in order");
      CB_CHECK(expect("R23", t[0], total.getVendorAmount(), of + " " + currency + " vendorAmount"));
      CB_CHECK(expect("R23", t[1], total.getPricedCost(), of + " " + currency + " pricedCost"));
      CB_CHECK(expect("R23", t[2], total.getPricedSell(), of + " " + currency + " pricedSell"));
    }
    if (seen.totals.size() == 1) {
      const auto& [currency, t] = *seen.totals.begin();
      if (text(run.getCurrency()) != currency) return broke("R23", of + ": its currency is not its one total's");
      CB_CHECK(expect("R23", t[0], run.getVendorTotal(), of + " vendorTotal"));
      CB_CHECK(expect("R23", t[1], run.getPricedCostTotal(), of + " pricedCostTotal"));
      CB_CHECK(expect("R23", t[2], run.getPricedSellTotal(), of + " pricedSellTotal"));
    } else if (run.getCurrency().size() || run.getVendorTotal().size() || run.getPricedCostTotal().size() || run.getPricedSellTotal().size()) {
      return broke("R23", of + " fills the one-currency totals of a run in " + std::to_string(seen.totals.size()) + " currencies");
    }
    return {};
  }

  // ------------------------------------------------------------------------------------
  // R24: what an entry's `effective` says

  Status check_effective(uint64_t index, schema::Entry::Reader e) {
    auto kind = e.getKind();
    std::optional<std::string> expected;
    switch (kind.which()) {
      case K::INVOICE_LINE: expected = text(kind.getInvoiceLine().getPeriod()); break;
      case K::PRICED_LINE: expected = text(kind.getPricedLine().getPeriod()); break;
      case K::FX_LOCK: expected = text(kind.getFxLock().getPeriod()); break;
      case K::MATCH_RUN: expected = text(kind.getMatchRun().getPeriod()); break;
      case K::MATCH_RESULT: expected = text(kind.getMatchResult().getPeriod()); break;
      case K::EXCEPTION: expected = text(kind.getException().getPeriod()); break;
      case K::PERIOD_REOPEN: expected = text(kind.getPeriodReopen().getPeriod()); break;
      case K::CREDIT: expected = text(kind.getCredit().getPeriod()); break;
      case K::INVOICE: expected = text(kind.getInvoice().getPeriod()); break;
      case K::INVOICE_CHUNK: expected = text(kind.getInvoiceChunk().getPeriod()); break;
      case K::JOURNAL_POSTING: expected = text(kind.getJournalPosting().getPeriod()); break;
      case K::POSTING_ACK: expected = text(kind.getPostingAck().getPeriod()); break;
      case K::USAGE_RECORD: expected = text(kind.getUsageRecord().getUsageDate()); break;
      case K::FX_RATE: expected = text(kind.getFxRate().getDate()); break;
      case K::TENANT_EDGE: expected = text(kind.getTenantEdge().getValidFrom()); break;
      case K::RULE_VERSION: expected = text(kind.getRuleVersion().getEffectiveFrom()); break;
      case K::INGEST: expected = text(kind.getIngest().getPeriod()); break;
      case K::PARTNER: expected = ""; break;
      case K::LINE_COST: expected = ""; break;
      case K::SIGN_OFF_SUMMARY: expected = text(kind.getSignOffSummary().getPeriod()); break;
      case K::EXCEPTION_UPDATE: {
        auto latest = latest_exception_.find(text(kind.getExceptionUpdate().getExceptionId()));
        const DecodedEntry* x = latest != latest_exception_.end() ? get_(latest->second) : nullptr;
        if (x != nullptr) expected = text(x->reader().getKind().getException().getPeriod());
        break;
      }
      case K::DISPUTE: {
        const uint64_t line = kind.getDispute().getLine().getIndex();
        const DecodedEntry* l = line < index ? get_(line) : nullptr;
        if (l != nullptr && l->reader().getKind().isPricedLine()) expected = text(l->reader().getKind().getPricedLine().getPeriod());
        break;
      }
      default: break;  // a sign-off's is checked with its statement (R7), a key event's is not read
    }
    if (expected && text(e.getEffective()) != *expected) {
      return broke("R24", kind_name(e) + " " + std::to_string(index) + ": its effective \"" + text(e.getEffective()) +
                              "\" is not what it speaks about, \"" + *expected + "\"");
    }
    return {};
  }

  // A partner's latest Partner entry known here, or null.
  const DecodedEntry* partner(capnp::Text::Reader id) const {
    const auto it = partners_.find(text(id));
    return it == partners_.end() ? nullptr : get_(it->second);
  }

  Lookup get_;
  const bool complete_;
  std::map<std::string, std::vector<RuleSeen>> rules_;     // "vendor|sku" -> versions
  std::map<std::string, std::vector<RuleSeen>> patterns_;  // vendor -> its pattern rules' versions
  std::set<uint64_t> chunked_;                             // invoice chunks no invoice has named yet
  std::map<std::string, std::vector<EdgeSeen>> edges_;  // by edge_key: vendor, kind of id, value
  std::map<std::string, uint64_t> partners_;            // id -> its latest Partner entry
  std::vector<std::pair<std::set<uint64_t>, Decimal>> credits_;  // each credit's lines and amount
  std::map<uint64_t, uint64_t> billed_by_;              // line or credit -> the invoice billing it
  std::set<std::string> invoice_ids_;
  std::map<std::string, uint64_t> latest_exception_;    // exception id -> its latest Exception entry
  struct LoadSeen {
    std::set<schema::Ingest::Source> sources;
    uint64_t row_count = 0, rows = 0;
  };
  std::map<Hash, LoadSeen> loads_;                      // by the file's SHA-256
  struct RunSeen {
    uint64_t results = 0, matched = 0;
    std::map<std::string, std::array<Decimal, 3>> totals;  // currency -> vendor amount, priced cost, priced sell
  };
  std::map<uint64_t, RunSeen> runs_;                    // by the MatchRun's index
  std::map<std::string, PeriodSeen> periods_;
  MarginFloors floors_;  // R31
  MatchRules match_;    // R25–R30: the three-way match re-derived
};

Rules::Rules(Lookup lookup, bool complete) : state_(std::make_unique<State>(std::move(lookup), complete)) {}
Rules::~Rules() = default;
Status Rules::add(const DecodedEntry& entry) { return state_->add(entry); }
Status Rules::finish() { return state_->finish(); }
const RuleCounts& Rules::counts() const { return state_->counts; }

}  // namespace closebook::verify
