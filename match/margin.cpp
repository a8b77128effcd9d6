#include "match/margin.h"

#include <map>

#include "match/book.h"
#include "match/fields.h"
#include "match/queue.h"

namespace closebook::match {

Result<std::vector<DecodedEntry>> current_priced_lines(const ledger::Snapshot& snapshot, const std::string& period) {
  CB_TRY(std::vector<uint64_t> indexes, snapshot.lookup("period_kind", period + "/pricedLine"));
  std::map<std::string, DecodedEntry> latest;  // lineId -> entry; later indexes replace earlier
  for (uint64_t i : indexes) {
    CB_TRY(DecodedEntry e, snapshot.entry(i));
    if (!e.reader().getKind().isPricedLine()) continue;
    const std::string id = text_of(e.reader().getKind().getPricedLine().getLineId());
    latest.insert_or_assign(id, std::move(e));
  }
  std::vector<DecodedEntry> out;
  for (auto& [id, e] : latest) out.push_back(std::move(e));
  return out;
}

namespace {

// One priced line as the report needs it, wherever it was read from.
struct LineMargin {
  std::string partner, sku, currency;
  Decimal cost, sell;
  std::optional<Decimal> floor_pct;
};

struct Breach {
  std::string partner, sku, currency;
};

// The floor pricing checks a line against (match/pricing.cpp): its rule version's, else its
// partner's. Rule versions are read once each.
class Floors {
 public:
  static Result<Floors> load(const ledger::Snapshot& snapshot) {
    CB_TRY(PriceBook book, PriceBook::load(snapshot));
    return Floors(snapshot, std::move(book));
  }
  Result<std::optional<Decimal>> of(const Ref& rule, const std::string& partner) {
    auto it = rule_floors_.find(rule.index);
    if (it == rule_floors_.end()) {
      CB_TRY(DecodedEntry e, snapshot_.entry(rule.index));
      if (!e.reader().getKind().isRuleVersion()) return Error::corruption("a line's rule is not a rule version");
      const std::string text = text_of(e.reader().getKind().getRuleVersion().getMarginFloorPct());
      std::optional<Decimal> floor;
      if (!text.empty()) {
        CB_TRY(Decimal d, Decimal::parse(text));
        floor = d;
      }
      it = rule_floors_.emplace(rule.index, floor).first;
    }
    if (it->second) return it->second;
    const PartnerInfo* p = book_.partner(partner);
    return p != nullptr ? p->floor_pct : std::nullopt;
  }

 private:
  Floors(const ledger::Snapshot& snapshot, PriceBook book) : snapshot_(snapshot), book_(std::move(book)) {}
  const ledger::Snapshot& snapshot_;
  PriceBook book_;
  std::map<uint64_t, std::optional<Decimal>> rule_floors_;
};

Status add_line(MarginRow& row, const LineMargin& line) {
  CB_TRY(row.cost, row.cost.add(line.cost));
  CB_TRY(row.sell, row.sell.add(line.sell));
  CB_TRY(row.margin, row.sell.sub(row.cost));
  ++row.lines;
  return {};
}

void add_floor(MarginRow& row, const std::optional<Decimal>& floor) {
  if (!floor) return;
  if (!row.floor_pct_max || *row.floor_pct_max < *floor) row.floor_pct_max = floor;
  if (!row.floor_pct_min || *floor < *row.floor_pct_min) row.floor_pct_min = floor;
}

Status finish(MarginRow& row) {
  if (row.sell.is_zero()) return {};
  CB_TRY(Decimal scaled, row.margin.mul(Decimal::from_int(100)));
  CB_TRY(Decimal pct, scaled.div(row.sell, 2, Rounding::kHalfEven));
  row.margin_pct = pct.to_string();
  return {};
}

Result<std::vector<MarginRow>> rows_of(const std::vector<LineMargin>& lines, const std::vector<Breach>& breaches,
                                       MarginBy by) {
  std::map<std::pair<std::string, std::string>, MarginRow> rows;  // (key, currency)
  std::map<std::string, MarginRow> totals;                          // currency
  auto key_of = [by](const std::string& partner, const std::string& sku) { return by == MarginBy::kPartner ? partner : sku; };
  for (const LineMargin& l : lines) {
    const std::string key = key_of(l.partner, l.sku);
    MarginRow& row = rows[{key, l.currency}];
    row.key = key;
    row.currency = l.currency;
    CB_CHECK(add_line(row, l));
    add_floor(row, l.floor_pct);
    MarginRow& total = totals.try_emplace(l.currency, MarginRow{std::string(1, '*'), l.currency}).first->second;
    CB_CHECK(add_line(total, l));
  }
  for (const Breach& b : breaches) {
    if (auto it = rows.find({key_of(b.partner, b.sku), b.currency}); it != rows.end()) ++it->second.floor_breaches;
    if (auto it = totals.find(b.currency); it != totals.end()) ++it->second.floor_breaches;
  }
  std::vector<MarginRow> out;
  for (auto& [k, row] : rows) {
    CB_CHECK(finish(row));
    out.push_back(row);
  }
  for (auto& [currency, total] : totals) {
    CB_CHECK(finish(total));
    out.push_back(total);
  }
  return out;
}

Result<LineMargin> line_margin(schema::PricedLine::Reader l, const LineCostInfo& cost, Floors& floors) {
  LineMargin out{text_of(l.getPartnerId()), text_of(l.getSkuId()), text_of(l.getCurrency()), cost.cost_amount, {}, {}};
  CB_TRY(out.sell, Decimal::parse(text_of(l.getSellAmount())));
  CB_TRY(out.floor_pct, floors.of(cost.rule, out.partner));
  return out;
}

}  // namespace

Result<std::vector<MarginRow>> margin_report(const ledger::Snapshot& snapshot, const std::string& period, MarginBy by) {
  CB_TRY(std::vector<DecodedEntry> entries, current_priced_lines(snapshot, period));
  CB_TRY(Floors floors, Floors::load(snapshot));
  std::vector<LineMargin> lines;
  for (const DecodedEntry& e : entries) {
    auto l = e.reader().getKind().getPricedLine();
    CB_TRY(LineCostInfo cost, line_cost(snapshot, l));
    CB_TRY(LineMargin m, line_margin(l, cost, floors));
    lines.push_back(std::move(m));
  }
  CB_TRY(auto raised, list_exceptions(snapshot, {period, std::nullopt, Category::MARGIN_FLOOR_BREACH}));
  std::vector<Breach> breaches;
  for (const ExceptionState& b : raised) breaches.push_back({b.partner_id, b.sku_id, b.currency});
  return rows_of(lines, breaches, by);
}

Result<std::vector<MarginRow>> provisional_margin_report(const ledger::Snapshot& snapshot,
                                                         const PricingOptions& options, MarginBy by) {
  CB_TRY(PricingPlan plan, plan_pricing(snapshot, options));
  CB_TRY(Floors floors, Floors::load(snapshot));
  std::vector<LineMargin> lines;
  std::vector<Breach> breaches;
  // Each sealed line's LineCost is drafted just before the line (match/pricing.cpp).
  std::optional<LineCostInfo> cost;
  for (ledger::Draft& d : plan.drafts) {
    auto kind = d.reader().getKind();
    if (kind.isLineCost()) {
      auto c = kind.getLineCost();
      LineCostInfo info;
      info.rule = ref_of(c.getRule());
      CB_TRY(info.cost_amount, Decimal::parse(text_of(c.getCostAmount())));
      cost = std::move(info);
    } else if (kind.isPricedLine()) {
      if (!cost) return Error::corruption("pricing drafted a line without its cost");
      CB_TRY(LineMargin m, line_margin(kind.getPricedLine(), *cost, floors));
      lines.push_back(std::move(m));
      cost.reset();
    } else if (kind.isException() && kind.getException().getCategory() == Category::MARGIN_FLOOR_BREACH) {
      auto x = kind.getException();
      breaches.push_back({text_of(x.getPartnerId()), text_of(x.getSkuId()), text_of(x.getCurrency())});
    }
  }
  return rows_of(lines, breaches, by);
}

}  // namespace closebook::match
