#include "match/reference.h"

#include <algorithm>
#include <cassert>
#include <filesystem>
#include <map>
#include <optional>
#include <set>

#include "evidence/date.h"
#include "evidence/decimal.h"
#include "ledger/indexes.h"
#include "match/book.h"
#include "match/csv.h"
#include "match/fields.h"

namespace closebook::match {
namespace {

using csv::ColumnSpec;
using csv::RowReader;


// ---------------------------------------------------------------------------------------
// What the ledger already holds.

// What the ledger already holds, read at most once per kind and load: checking n rows costs
// O(n + existing entries of that kind), not O(n × existing).
class Known {
 public:
  explicit Known(const ledger::Snapshot& snapshot) : snapshot_(snapshot) {}
  const ledger::Snapshot& snapshot() const { return snapshot_; }

  Result<bool> partner_exists(std::string_view partner_id) {
    if (!partners_) {
      partners_.emplace();
      CB_TRY(std::vector<uint64_t> indexes, snapshot_.lookup("kind", "partner"));
      for (uint64_t i : indexes) {
        CB_TRY(DecodedEntry e, snapshot_.entry(i));
        partners_->insert(text_of(e.reader().getKind().getPartner().getPartnerId()));
      }
    }
    return partners_->count(std::string(partner_id)) != 0;
  }

  struct RecordedRate {
    std::string rate;
    uint64_t index;
  };
  // Recorded FX rates of one pair, by "date|source".
  Result<const std::map<std::string, RecordedRate>*> fx_rates(const std::string& pair) {
    auto it = fx_rates_.find(pair);
    if (it == fx_rates_.end()) {
      std::map<std::string, RecordedRate> rates;
      CB_TRY(auto existing, entries_of_kind(snapshot_, "fx", pair, schema::Entry::Kind::FX_RATE));
      for (const DecodedEntry& e : existing) {
        auto r = e.reader().getKind().getFxRate();
        rates[text_of(r.getDate()) + "|" + text_of(r.getSource())] = {text_of(r.getRate()), e.reader().getIndex()};
      }
      it = fx_rates_.emplace(pair, std::move(rates)).first;
    }
    return &it->second;
  }

 private:
  const ledger::Snapshot& snapshot_;
  std::optional<std::set<std::string>> partners_;
  std::map<std::string, std::map<std::string, RecordedRate>> fx_rates_;
};

Status require_partner(Known& known, const RowReader& row, std::string_view column,
                       std::string_view partner_id) {
  CB_TRY(bool exists, known.partner_exists(partner_id));
  if (!exists) {
    return row.error(column, "partner \"" + std::string(partner_id) +
                                 "\" is not in the ledger (load partners first)");
  }
  return {};
}

// Inclusive date ranges given as ISO text; an empty end is open.
bool ranges_overlap(const std::string& from_a, const std::string& to_a, const std::string& from_b,
                    const std::string& to_b) {
  const bool a_ends_before_b = !to_a.empty() && to_a < from_b;
  const bool b_ends_before_a = !to_b.empty() && to_b < from_a;
  return !a_ends_before_b && !b_ends_before_a;
}

// One vendor identity resolves to one canonical tenant at any date: an edge that maps it to
// another tenant (or partner) over an overlapping range would make resolution ambiguous.
Status check_identity_unique(const RowReader& row, const ledger::Snapshot& snapshot,
                             schema::TenantEdge::Reader edge) {
  const std::string key = ledger::identity_key(edge.getVendor().cStr(), static_cast<uint16_t>(edge.getIdType()),
                                               edge.getIdValue().cStr());
  CB_TRY(auto existing, entries_of_kind(snapshot, "identity", key, schema::Entry::Kind::TENANT_EDGE));
  for (const DecodedEntry& e : existing) {
    auto old = e.reader().getKind().getTenantEdge();
    const bool same_target = old.getTenantId() == edge.getTenantId() &&
                             old.getPartnerId() == edge.getPartnerId();
    const bool overlap = ranges_overlap(text_of(old.getValidFrom()), text_of(old.getValidTo()),
                                        text_of(edge.getValidFrom()), text_of(edge.getValidTo()));
    if (overlap && !same_target) {
      return row.error("IdValue", "identity \"" + text_of(edge.getIdValue()) +
                                      "\" already maps to tenant " + text_of(old.getTenantId()) +
                                      " of partner " + text_of(old.getPartnerId()) +
                                      " over an overlapping range (entry " +
                                      std::to_string(e.reader().getIndex()) + ")");
    }
  }
  return {};
}

// ---------------------------------------------------------------------------------------
// One builder per kind: binds columns, turns a row into a draft, checks cross-row rules.

Status build_partner(const RowReader& row, Known&, ledger::Draft& draft) {
  auto p = draft.entry().getKind().initPartner();
  CB_TRY(std::string_view id, row.text("PartnerId"));
  CB_TRY(std::string_view name, row.text("Name"));
  CB_TRY(std::string country, field_code(row, "Country", 2));
  CB_TRY(std::string currency, field_code(row, "Currency", 3));
  CB_TRY(auto floor, field_optional_percent(row, "MarginFloorPct"));
  p.setPartnerId(std::string(id));
  p.setName(std::string(name));
  p.setCountry(country);
  p.setCurrency(currency);
  p.setResellerMpnId(std::string(row.optional_text("ResellerMpnId")));
  if (floor) p.setMarginFloorPct(floor->to_string());
  return {};
}

Status build_tenant_edge(const RowReader& row, Known& known, ledger::Draft& draft) {
  using IdType = schema::TenantEdge::IdType;
  CB_TRY(std::string_view tenant, row.text("TenantId"));
  CB_TRY(std::string_view partner, row.text("PartnerId"));
  CB_TRY(std::string_view vendor, row.text("Vendor"));
  CB_TRY(IdType id_type, field_enum<IdType>(row, "IdType",
                                            {{"customer_id", IdType::CUSTOMER_ID},
                                             {"domain", IdType::DOMAIN},
                                             {"org_id", IdType::ORG_ID},
                                             {"name", IdType::NAME}}));
  CB_TRY(std::string_view id_value, row.text("IdValue"));
  CB_TRY(Date from, field_date(row, "ValidFrom"));
  CB_TRY(auto to, field_optional_date(row, "ValidTo"));
  CB_CHECK(check_range(row, "ValidTo", from, to));
  CB_CHECK(require_partner(known, row, "PartnerId", partner));
  draft.entry().setEffective(from.to_iso());
  auto e = draft.entry().getKind().initTenantEdge();
  e.setTenantId(std::string(tenant));
  e.setPartnerId(std::string(partner));
  e.setVendor(lower(vendor));
  e.setIdType(id_type);
  // Identities compare case-insensitively (domains, GUIDs); names keep their spelling.
  e.setIdValue(id_type == IdType::NAME ? std::string(id_value) : lower(id_value));
  e.setValidFrom(from.to_iso());
  if (to) e.setValidTo(to->to_iso());
  return check_identity_unique(row, known.snapshot(), e.asReader());
}

Status build_rule_version(const RowReader& row, Known& known, ledger::Draft& draft) {
  using Method = schema::RuleVersion::SellMethod;
  CB_TRY(std::string_view rule_id, row.text("RuleId"));
  CB_TRY(std::string_view version_text, row.text("Version"));
  uint32_t version = 0;
  const bool digits = !version_text.empty() && version_text.size() <= 9 &&
                      std::all_of(version_text.begin(), version_text.end(),
                                  [](char c) { return c >= '0' && c <= '9'; });
  if (digits) version = static_cast<uint32_t>(std::stoul(std::string(version_text)));
  if (version == 0) return row.error("Version", "\"" + std::string(version_text) + "\" is not a positive whole number");
  CB_TRY(std::string_view vendor, row.text("Vendor"));
  CB_TRY(std::string_view sku, row.text("SkuId"));
  CB_TRY(std::string_view partner, row.text("PartnerId"));
  CB_TRY(Date from, field_date(row, "EffectiveFrom"));
  CB_TRY(auto to, field_optional_date(row, "EffectiveTo"));
  CB_CHECK(check_range(row, "EffectiveTo", from, to));
  // docs/matching.md §3.1: a SkuId with "*" is a pattern; CostSource "vendor" prices cost-plus
  // on each usage record's own price, so the rule states no cost.
  const bool pattern = sku.find('*') != std::string_view::npos;
  const std::string_view meter_category = row.optional_text("MeterCategory");
  if (!meter_category.empty() && !pattern) {
    return row.error("MeterCategory", "a meter category narrows a SKU pattern; SkuId \"" + std::string(sku) + "\" is one SKU");
  }
  bool cost_from_vendor = false;
  if (!row.optional_text("CostSource").empty()) {
    CB_TRY(cost_from_vendor, field_enum<bool>(row, "CostSource", {{"rule", false}, {"vendor", true}}));
  }
  Decimal cost;
  std::string cost_currency;
  if (cost_from_vendor) {
    if (!row.optional_text("CostUnitPrice").empty() || !row.optional_text("CostCurrency").empty()) {
      return row.error(row.optional_text("CostUnitPrice").empty() ? "CostCurrency" : "CostUnitPrice",
                       "a rule costed from the vendor's price (CostSource vendor) states no cost of its own");
    }
  } else {
    CB_TRY(cost, field_non_negative(row, "CostUnitPrice"));
    CB_TRY(cost_currency, field_code(row, "CostCurrency", 3));
  }
  CB_TRY(Method method, field_enum<Method>(row, "SellMethod", {{"markup_pct", Method::MARKUP_PCT},
                                                               {"fixed", Method::FIXED}}));
  if (cost_from_vendor && method != Method::MARKUP_PCT) {
    return row.error("SellMethod", "a rule costed from the vendor's price sells cost-plus: markup_pct");
  }
  CB_TRY(Decimal sell_value, field_decimal(row, "SellValue"));
  if (method == Method::FIXED && sell_value.sign() < 0) {
    return row.error("SellValue", "a fixed sell price cannot be negative");
  }
  CB_TRY(std::string sell_currency, field_code(row, "SellCurrency", 3));
  CB_TRY(std::string_view unit, row.text("Unit"));
  CB_TRY(auto floor, field_optional_percent(row, "MarginFloorPct"));
  if (partner != "*") CB_CHECK(require_partner(known, row, "PartnerId", partner));

  draft.entry().setEffective(from.to_iso());
  auto r = draft.entry().getKind().initRuleVersion();
  r.setRuleId(std::string(rule_id));
  r.setVersion(version);
  r.setVendor(lower(vendor));
  if (pattern) {
    r.setSkuPattern(std::string(sku));
    r.setMeterCategory(std::string(meter_category));
  } else {
    r.setSkuId(std::string(sku));
  }
  r.setPartnerId(std::string(partner));
  r.setEffectiveFrom(from.to_iso());
  if (to) r.setEffectiveTo(to->to_iso());
  r.setCostFromVendor(cost_from_vendor);
  if (!cost_from_vendor) {
    r.setCostUnitPrice(cost.to_string());
    r.setCostCurrency(cost_currency);
  }
  r.setSellMethod(method);
  r.setSellValue(sell_value.to_string());
  r.setSellCurrency(sell_currency);
  r.setUnit(std::string(unit));
  if (floor) r.setMarginFloorPct(floor->to_string());

  // A published rule version is immutable: a change of terms is a new version.
  CB_TRY(auto existing, entries_of_kind(known.snapshot(), "rule", rule_id, schema::Entry::Kind::RULE_VERSION));
  const Hash mine = content_hash(draft.reader());
  for (const DecodedEntry& e : existing) {
    const bool same_version = e.reader().getKind().getRuleVersion().getVersion() == version;
    if (same_version && content_hash(e.reader()) != mine) {
      return row.error("Version", "rule " + std::string(rule_id) + " version " +
                                      std::to_string(version) + " is already in the ledger (entry " +
                                      std::to_string(e.reader().getIndex()) +
                                      ") with other terms; publish a new version instead");
    }
  }
  return {};
}

Status build_fx_rate(const RowReader& row, Known& known, ledger::Draft& draft) {
  CB_TRY(Date date, field_date(row, "Date"));
  CB_TRY(std::string base, field_code(row, "Base", 3));
  CB_TRY(std::string quote, field_code(row, "Quote", 3));
  CB_TRY(Decimal rate, field_rate(row, "Rate"));
  CB_TRY(std::string_view source, row.text("Source"));
  if (base == quote) return row.error("Quote", "base and quote are both " + base);
  draft.entry().setEffective(date.to_iso());
  auto f = draft.entry().getKind().initFxRate();
  f.setDate(date.to_iso());
  f.setBase(base);
  f.setQuote(quote);
  f.setRate(rate.to_string());
  f.setSource(std::string(source));

  // A recorded rate is never restated: FX locks point at it.
  CB_TRY(auto recorded, known.fx_rates(base + "/" + quote));
  auto it = recorded->find(date.to_iso() + "|" + std::string(source));
  if (it != recorded->end() && it->second.rate != rate.to_string()) {
    return row.error("Rate", base + "/" + quote + " on " + date.to_iso() + " from " +
                                 std::string(source) + " is already recorded as " + it->second.rate +
                                 " (entry " + std::to_string(it->second.index) + ")");
  }
  return {};
}

using BuildRow = Status (*)(const RowReader&, Known&, ledger::Draft&);

struct KindSpec {
  const char* name;
  const char* format;
  schema::Ingest::Source source;
  std::vector<ColumnSpec> columns;
  BuildRow build;
  // The columns that identify a row: a second row with the same key in one file is an error.
  std::vector<std::string_view> key_columns;
};

const KindSpec& spec_of(ReferenceKind kind) {
  using S = schema::Ingest::Source;
  static const KindSpec kPartners{
      "partners", "closebook-partners-v1", S::PARTNERS,
      {{"PartnerId"}, {"Name"}, {"Country"}, {"Currency"},
       {"ResellerMpnId", false, {"Tier2MpnId"}}, {"MarginFloorPct", false}},
      build_partner, {"PartnerId"}};
  static const KindSpec kTenants{
      "tenants", "closebook-tenants-v1", S::TENANTS,
      {{"TenantId"}, {"PartnerId"}, {"Vendor"}, {"IdType"}, {"IdValue"}, {"ValidFrom"},
       {"ValidTo", false}},
      build_tenant_edge, {"Vendor", "IdType", "IdValue", "ValidFrom"}};
  static const KindSpec kRules{
      "rules", "closebook-rules-v1", S::RULES,
      {{"RuleId"}, {"Version"}, {"Vendor"}, {"SkuId"}, {"PartnerId"}, {"EffectiveFrom"},
       {"EffectiveTo", false}, {"CostUnitPrice"}, {"CostCurrency"}, {"SellMethod"},
       {"SellValue"}, {"SellCurrency"}, {"Unit"}, {"MarginFloorPct", false}, {"MeterCategory", false},
       {"CostSource", false}},
      build_rule_version, {"RuleId", "Version"}};
  static const KindSpec kFx{
      "fx", "closebook-fx-v1", S::FX,
      {{"Date"}, {"Base"}, {"Quote"}, {"Rate"}, {"Source"}},
      build_fx_rate, {"Date", "Base", "Quote", "Source"}};
  switch (kind) {
    case ReferenceKind::kPartners: return kPartners;
    case ReferenceKind::kTenants: return kTenants;
    case ReferenceKind::kRules: return kRules;
    case ReferenceKind::kFx: return kFx;
  }
  assert(false);
  return kFx;
}

// Within one file, the same identity rule as check_identity_unique applies between rows.
Status check_file_identities(const csv::Document& doc, const csv::Columns& columns,
                             std::vector<ledger::Draft>& drafts) {
  std::map<std::string, std::vector<size_t>> rows_of_identity;  // key -> row positions
  for (size_t i = 0; i < doc.rows.size(); ++i) {
    auto edge = drafts[i + 1].reader().getKind().getTenantEdge();
    auto& seen = rows_of_identity[ledger::identity_key(
        edge.getVendor().cStr(), static_cast<uint16_t>(edge.getIdType()), edge.getIdValue().cStr())];
    for (size_t j : seen) {
      auto other = drafts[j + 1].reader().getKind().getTenantEdge();
      const bool same_target = other.getTenantId() == edge.getTenantId() &&
                               other.getPartnerId() == edge.getPartnerId();
      const bool overlap = ranges_overlap(text_of(other.getValidFrom()), text_of(other.getValidTo()),
                                          text_of(edge.getValidFrom()), text_of(edge.getValidTo()));
      if (overlap && !same_target) {
        return RowReader(doc, columns, doc.rows[i])
            .error("IdValue", "identity \"" + text_of(edge.getIdValue()) + "\" maps to tenant " +
                                  text_of(other.getTenantId()) + " on line " +
                                  std::to_string(doc.rows[j].line) +
                                  " over an overlapping range; one identity must resolve to one tenant");
      }
    }
    seen.push_back(i);
  }
  return {};
}

std::string row_key(const RowReader& row, const KindSpec& spec) {
  std::string key;
  for (std::string_view column : spec.key_columns) key += lower(row.optional_text(column)) + '\x1f';
  return key;
}

}  // namespace

Result<ReferenceKind> parse_reference_kind(std::string_view name) {
  for (ReferenceKind k : {ReferenceKind::kPartners, ReferenceKind::kTenants, ReferenceKind::kRules,
                          ReferenceKind::kFx}) {
    if (name == spec_of(k).name) return k;
  }
  return Error::invalid("unknown reference data \"" + std::string(name) +
                        "\" (expected partners, tenants, rules or fx)");
}

const char* reference_kind_name(ReferenceKind kind) { return spec_of(kind).name; }

Result<LoadPlan> plan_reference_load(ReferenceKind kind, const std::string& file_name,
                                     std::string_view bytes, const ledger::Snapshot& snapshot) {
  const KindSpec& spec = spec_of(kind);
  CB_TRY(csv::Document doc, csv::Document::parse(file_name, bytes));
  if (doc.rows.empty()) return Error::invalid("the file has a header but no rows").at(file_name, doc.header_line);
  CB_TRY(csv::Columns columns, csv::Columns::bind(doc, spec.columns));
  LoadPlan plan;
  plan.row_count = doc.rows.size();
  plan.drafts.reserve(doc.rows.size() + 1);
  plan.drafts.push_back(ingest_draft(spec.source, spec.format, file_name, bytes, doc.rows.size(), ""));
  std::map<std::string, uint64_t> first_line_of_key;
  Known known(snapshot);
  for (const csv::Row& r : doc.rows) {
    RowReader row(doc, columns, r);
    const auto [it, fresh] = first_line_of_key.emplace(row_key(row, spec), r.line);
    if (!fresh) {
      return row.error(spec.key_columns.front(),
                       "duplicates line " + std::to_string(it->second) + " (same " +
                           std::string(spec.key_columns.front()) + ")");
    }
    ledger::Draft draft;
    CB_CHECK(spec.build(row, known, draft));
    draft.shrink_to_fit();
    plan.drafts.push_back(std::move(draft));
  }
  assert(plan.drafts.size() == plan.row_count + 1);
  if (kind == ReferenceKind::kTenants) CB_CHECK(check_file_identities(doc, columns, plan.drafts));
  return plan;
}

}  // namespace closebook::match
