#include "match/book.h"

#include "match/fields.h"

namespace closebook::match {
namespace {

template <class Fn>
Status each_of_kind(const ledger::Snapshot& snapshot, const char* kind, Fn&& fn) {
  CB_TRY(std::vector<uint64_t> indexes, snapshot.lookup("kind", kind));
  for (uint64_t i : indexes) {
    CB_TRY(DecodedEntry e, snapshot.entry(i));
    CB_CHECK(fn(e, Ref{i, e.hash()}));
  }
  return {};
}

bool outranks(const RuleInfo& a, const RuleInfo& b) {
  if (a.pattern.empty() != b.pattern.empty()) return a.pattern.empty();
  const bool a_own = a.partner != "*", b_own = b.partner != "*";
  if (a_own != b_own) return a_own;
  if (a.meter_category.empty() != b.meter_category.empty()) return !a.meter_category.empty();
  if (a.from != b.from) return a.from > b.from;
  if (a.version != b.version) return a.version > b.version;
  return a.rule_id < b.rule_id;
}

}  // namespace

bool sku_matches(std::string_view pattern, std::string_view sku) {
  // Glob matching with one wildcard, by the greedy two-pointer walk (backtrack to the last "*").
  size_t p = 0, s = 0, star = std::string_view::npos, resume = 0;
  while (s < sku.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = s;
    } else if (p < pattern.size() && pattern[p] == sku[s]) {
      ++p, ++s;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      s = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

Result<std::vector<DecodedEntry>> entries_of_kind(const ledger::Snapshot& snapshot, std::string_view name,
                                                  std::string_view value, schema::Entry::Kind::Which kind) {
  CB_TRY(std::vector<uint64_t> indexes, snapshot.lookup(name, value));
  std::vector<DecodedEntry> out;
  for (uint64_t i : indexes) {
    CB_TRY(DecodedEntry e, snapshot.entry(i));
    if (e.reader().getKind().which() == kind) out.push_back(std::move(e));
  }
  return out;
}

Result<PriceBook> PriceBook::load(const ledger::Snapshot& snapshot) {
  PriceBook book;
  CB_CHECK(each_of_kind(snapshot, "partner", [&](const DecodedEntry& e, const Ref&) -> Status {
    auto p = e.reader().getKind().getPartner();
    CB_TRY(auto floor, optional_decimal_of(p.getMarginFloorPct()));
    book.partners_[text_of(p.getPartnerId())] = PartnerInfo{text_of(p.getName()), text_of(p.getCountry()),
                                                            text_of(p.getCurrency()), text_of(p.getResellerMpnId()), floor};
    return {};
  }));
  CB_CHECK(each_of_kind(snapshot, "ruleVersion", [&](const DecodedEntry& e, const Ref& ref) -> Status {
    auto r = e.reader().getKind().getRuleVersion();
    Decimal cost;
    if (!r.getCostFromVendor()) {
      CB_TRY(cost, decimal_of(r.getCostUnitPrice()));
    }
    CB_TRY(Decimal sell, decimal_of(r.getSellValue()));
    CB_TRY(auto floor, optional_decimal_of(r.getMarginFloorPct()));
    RuleInfo info{ref, text_of(r.getRuleId()), r.getVersion(), text_of(r.getPartnerId()), text_of(r.getEffectiveFrom()),
                  text_of(r.getEffectiveTo()), text_of(r.getSkuPattern()), text_of(r.getMeterCategory()),
                  r.getCostFromVendor(), cost, text_of(r.getCostCurrency()), r.getSellMethod(), sell,
                  text_of(r.getSellCurrency()), floor};
    if (info.pattern.empty()) {
      book.rules_[text_of(r.getVendor()) + "|" + text_of(r.getSkuId())].push_back(std::move(info));
    } else {
      book.patterns_[text_of(r.getVendor())].push_back(std::move(info));
    }
    return {};
  }));
  CB_CHECK(each_of_kind(snapshot, "fxRate", [&](const DecodedEntry& e, const Ref& ref) -> Status {
    auto f = e.reader().getKind().getFxRate();
    CB_TRY(Decimal rate, decimal_of(f.getRate()));
    const std::string base = text_of(f.getBase()), quote = text_of(f.getQuote());
    book.fx_[base + "/" + quote].push_back(FxInfo{ref, text_of(f.getDate()), text_of(f.getSource()), base, quote, rate});
    return {};
  }));
  return book;
}

const PartnerInfo* PriceBook::partner(const std::string& id) const {
  auto it = partners_.find(id);
  return it == partners_.end() ? nullptr : &it->second;
}

const RuleInfo* PriceBook::rule(const std::string& vendor, const std::string& sku, const std::string& partner,
                                const std::string& day, const std::string& meter_category) const {
  return candidates(vendor, sku, meter_category).best(partner, day);
}

PriceBook::Candidates PriceBook::candidates(const std::string& vendor, const std::string& sku,
                                            const std::string& meter_category) const {
  Candidates out;
  if (auto it = rules_.find(vendor + "|" + sku); it != rules_.end()) {
    for (const RuleInfo& r : it->second) out.rules_.push_back(&r);
  }
  if (auto it = patterns_.find(vendor); it != patterns_.end()) {
    for (const RuleInfo& r : it->second) {
      const bool of_meter = r.meter_category.empty() || r.meter_category == meter_category;
      if (of_meter && sku_matches(r.pattern, sku)) out.rules_.push_back(&r);
    }
  }
  return out;
}

const RuleInfo* PriceBook::Candidates::best(const std::string& partner, const std::string& day) const {
  const RuleInfo* best = nullptr;
  for (const RuleInfo* r : rules_) {
    const bool applies =
        (r->partner == partner || r->partner == "*") && r->from <= day && (r->to.empty() || day <= r->to);
    if (applies && (best == nullptr || outranks(*r, *best))) best = r;
  }
  return best;
}

const FxInfo* PriceBook::fx(const std::string& base, const std::string& quote, const Period& period) const {
  auto it = fx_.find(base + "/" + quote);
  if (it == fx_.end()) return nullptr;
  const std::string first_day = period.first_day().to_iso();
  const FxInfo* best = nullptr;
  for (const FxInfo& f : it->second) {
    if (f.date > first_day) continue;
    const bool better =
        best == nullptr || f.date > best->date || (f.date == best->date && f.source < best->source);
    if (better) best = &f;
  }
  return best;
}

ledger::Draft fx_lock_draft(const Period& period, const FxInfo& fx) {
  ledger::Draft draft;
  draft.entry().setEffective(period.to_string());
  auto lock = draft.entry().getKind().initFxLock();
  lock.setPeriod(period.to_string());
  lock.setBase(fx.base);
  lock.setQuote(fx.quote);
  lock.setRate(fx.rate.to_string());
  lock.setRateDate(fx.date);
  lock.setSource(fx.source);
  set_ref(lock.initRateRef(), fx.ref);
  lock.setPolicy(kFxPolicy);
  return draft;
}

namespace {

template <class Fields>
Result<LineCostInfo> cost_fields(Fields f) {
  LineCostInfo c;
  c.rule = ref_of(f.getRule());
  c.rule_id = text_of(f.getRuleId());
  c.rule_version = f.getRuleVersion();
  c.cost_currency = text_of(f.getCostCurrency());
  CB_TRY(c.cost_unit, decimal_of(f.getCostUnitPrice()));
  CB_TRY(c.cost_amount, decimal_of(f.getCostAmount()));
  CB_TRY(c.margin, decimal_of(f.getMarginAmount()));
  return c;
}

}  // namespace

Result<LineCostInfo> line_cost(const ledger::Snapshot& snapshot, schema::PricedLine::Reader line) {
  if (line.getCost().getHash().size() == 0) return cost_fields(line);
  CB_TRY(DecodedEntry sealed, snapshot.entry(line.getCost().getIndex()));
  auto kind = sealed.reader().getKind();
  if (!kind.isLineCost() || kind.getLineCost().getLineId() != line.getLineId() ||
      hash_of(line.getCost().getHash()) != sealed.hash()) {
    return Error::corruption("priced line " + text_of(line.getLineId()) + " cites entry " +
                             std::to_string(line.getCost().getIndex()) + ", which is not its LineCost");
  }
  return cost_fields(kind.getLineCost());
}

}  // namespace closebook::match
