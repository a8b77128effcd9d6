// price, match, margin, shadow: the period's close, written into the ledger and reported.
#include <cstdlib>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "cli/append.h"
#include "cli/csv_out.h"
#include "cli/options.h"
#include "ledger/files.h"
#include "match/config.h"
#include "match/margin.h"
#include "match/pricing.h"
#include "match/shadow.h"
#include "match/three_way.h"

namespace closebook::cli {

// --config FILE, else $CLOSEBOOK_CONFIG, else DIR/closebook.json if present, else defaults.
Result<match::CloseConfig> load_close_config(const Context& ctx, const std::string& config_file) {
  std::string path = config_file;
  if (path.empty()) {
    if (const char* env = std::getenv("CLOSEBOOK_CONFIG"); env != nullptr && *env != '\0') path = env;
  }
  if (path.empty()) {
    const auto in_ledger = std::filesystem::path(ctx.ledger_dir) / "closebook.json";
    std::error_code ec;
    if (!std::filesystem::exists(in_ledger, ec)) return match::CloseConfig::defaults();
    path = in_ledger.string();
  }
  CB_TRY(std::string text, read_file(path, 1 << 20));
  return match::CloseConfig::parse(path, text);
}

int cmd_price(const Context& ctx) {
  po::options_description options("price options");
  std::string period, config_file, passphrase_file;
  options.add_options()
      ("period", po::value(&period)->required(), "the period to price (YYYY-MM)")
      ("config", po::value(&config_file), "close configuration (JSON)")
      ("passphrase-file", po::value(&passphrase_file), "the log key's passphrase");
  parse_args(ctx.args, options);
  auto config = load_close_config(ctx, config_file);
  if (!config.ok()) return report(ctx, config.error());
  const match::PricingOptions pricing{period, *config, terminal_progress("price " + period, "usage groups")};
  auto done = append_planned<match::PricingPlan>(
      ctx, passphrase_file, [&](const ledger::Snapshot& snapshot) { return match::plan_pricing(snapshot, pricing); },
      nullptr, "price " + period + ", append");
  if (!done.ok()) return report(ctx, done.error());
  const auto& [plan, receipt] = *done;
  ctx.out << "priced " << period << ": " << plan.line_count << " lines, " << plan.exception_count
          << " exceptions, " << plan.fx_lock_count << " FX locks; " << receipt.new_entry_count
          << " new entries\n"
          << "ledger size " << receipt.tree_size << ", root " << to_hex(receipt.root) << "\n";
  return 0;
}

int cmd_match(const Context& ctx) {
  po::options_description options("match options");
  std::string period, config_file, passphrase_file;
  options.add_options()
      ("period", po::value(&period)->required(), "the period to match (YYYY-MM)")
      ("config", po::value(&config_file), "close configuration (JSON)")
      ("passphrase-file", po::value(&passphrase_file), "the log key's passphrase");
  parse_args(ctx.args, options);
  auto config = load_close_config(ctx, config_file);
  if (!config.ok()) return report(ctx, config.error());
  const match::MatchOptions matching{period, *config, terminal_progress("match " + period, "keys")};
  auto done = append_planned<match::MatchPlan>(
      ctx, passphrase_file, [&](const ledger::Snapshot& snapshot) { return match::plan_match(snapshot, matching); },
      nullptr, "match " + period + ", append");
  if (!done.ok()) return report(ctx, done.error());
  const auto& [plan, receipt] = *done;
  ctx.out << "matched " << period << ": " << plan.key_count << " keys, " << plan.matched_count << " matched, "
          << plan.exception_count << " exceptions; " << receipt.new_entry_count << " new entries\n";
  for (const auto& [category, count] : plan.exceptions_by_category) {
    ctx.out << "  " << std::left << std::setw(22) << match::category_name(category) << std::right << std::setw(5)
            << count << "\n";
  }
  ctx.out << "ledger size " << receipt.tree_size << ", root " << to_hex(receipt.root) << "\n";
  return 0;
}

namespace {

// "10" for one floor, "5-10" for a row whose lines have several, "" for none.
std::string floor_text(const match::MarginRow& r) {
  if (!r.floor_pct_max) return "";
  if (*r.floor_pct_min == *r.floor_pct_max) return r.floor_pct_max->to_string();
  return r.floor_pct_min->to_string() + "-" + r.floor_pct_max->to_string();
}

}  // namespace

int cmd_margin(const Context& ctx) {
  po::options_description options("margin options");
  std::string period, by = "partner", format = "table", config_file;
  bool provisional = false;
  options.add_options()
      ("period", po::value(&period)->required(), "YYYY-MM")
      ("by", po::value(&by), "partner or sku")
      ("format", po::value(&format), "table or csv")
      ("provisional", po::bool_switch(&provisional), "price the open period in memory from the usage loaded so far; writes nothing")
      ("config", po::value(&config_file), "close configuration (JSON), for --provisional");
  parse_args(ctx.args, options);
  if (by != "partner" && by != "sku") return report(ctx, Error::invalid("--by must be partner or sku"));
  if (format != "table" && format != "csv") return report(ctx, Error::invalid("--format must be table or csv"));
  auto view = open_read_view(ctx);
  if (!view.ok()) return report(ctx, view.error());
  const ledger::Snapshot& snap = **view;
  const match::MarginBy grouping = by == "sku" ? match::MarginBy::kSku : match::MarginBy::kPartner;
  Result<std::vector<match::MarginRow>> rows = Error::invalid("unset");
  if (provisional) {
    auto config = load_close_config(ctx, config_file);
    if (!config.ok()) return report(ctx, config.error());
    rows = match::provisional_margin_report(snap, match::PricingOptions{period, *config, nullptr}, grouping);
  } else {
    rows = match::margin_report(snap, period, grouping);
  }
  if (!rows.ok()) return report(ctx, rows.error());
  const std::string key_name = by == "sku" ? "SkuId" : "PartnerId";
  if (format == "csv") {
    ctx.out << key_name << ",Currency,Lines,Cost,Sell,Margin,MarginPct,FloorBreaches,FloorPct\n";
    for (const auto& r : *rows) {
      ctx.out << r.key << "," << r.currency << "," << r.lines << "," << r.cost.to_string() << ","
              << r.sell.to_string() << "," << r.margin.to_string() << "," << r.margin_pct << ","
              << r.floor_breaches << "," << floor_text(r) << "\n";
    }
    return 0;
  }
  if (provisional) ctx.out << "provisional: priced in memory from the usage loaded so far; nothing was written\n";
  ctx.out << std::left << std::setw(22) << (by == "sku" ? "SKU" : "PARTNER") << std::setw(5) << "CUR" << std::right
          << std::setw(7) << "LINES" << std::setw(14) << "COST" << std::setw(14) << "SELL" << std::setw(14)
          << "MARGIN" << std::setw(9) << "MARGIN%" << std::setw(9) << "FLOOR%" << std::setw(10) << "BREACHES" << "\n";
  for (const auto& r : *rows) {
    ctx.out << std::left << std::setw(22) << (r.key == "*" ? "total" : r.key) << std::setw(5) << r.currency
            << std::right << std::setw(7) << r.lines << std::setw(14) << r.cost.to_string() << std::setw(14)
            << r.sell.to_string() << std::setw(14) << r.margin.to_string() << std::setw(9) << r.margin_pct
            << std::setw(9) << floor_text(r) << std::setw(10) << r.floor_breaches << "\n";
  }
  return 0;
}

namespace {

std::string shadow_csv(const match::ShadowReport& report) {
  std::ostringstream out;
  out << "PartnerId,Vendor,SubscriptionId,SkuId,Currency,Status,LegacyLineIds,LegacyQuantity,"
         "ClosebookQuantity,LegacyAmount,ClosebookAmount,Delta\n";
  for (const auto& r : report.rows) {
    out << csv_cell(r.partner_id, true) << "," << csv_cell(r.vendor, true) << "," << csv_cell(r.subscription_id, true)
        << "," << csv_cell(r.sku_id, true) << "," << r.currency << "," << r.status << ","
        << csv_cell(r.legacy_line_ids, true) << "," << r.legacy_quantity.to_string() << ","
        << r.ours_quantity.to_string() << "," << r.legacy_amount.to_string() << "," << r.ours_amount.to_string()
        << "," << r.amount_delta.to_string() << "\n";
  }
  return out.str();
}

}  // namespace

int cmd_shadow(const Context& ctx) {
  po::options_description options("shadow options");
  std::string period, legacy, csv_out, config_file;
  options.add_options()
      ("period", po::value(&period)->required(), "YYYY-MM")
      ("legacy", po::value(&legacy)->required(), "the legacy billing output (CSV)")
      ("csv", po::value(&csv_out), "also write the line-by-line report to this new CSV file")
      ("config", po::value(&config_file), "close configuration (tolerance)");
  parse_args(ctx.args, options);
  auto config = load_close_config(ctx, config_file);
  if (!config.ok()) return report(ctx, config.error());
  auto bytes = read_file(legacy);
  if (!bytes.ok()) return report(ctx, bytes.error());
  auto view = open_read_view(ctx);
  if (!view.ok()) return report(ctx, view.error());
  const ledger::Snapshot& snap = **view;
  auto shadow = match::shadow_period(snap, period, legacy, *bytes, config->tolerance);
  if (!shadow.ok()) return report(ctx, shadow.error());
  if (!csv_out.empty()) {
    if (auto st = write_new_file(csv_out, shadow_csv(*shadow), 0644); !st.ok()) return report(ctx, st.error());
  }
  ctx.out << "shadow " << period << ": legacy " << legacy << " (sha256 " << shadow->legacy_sha256 << ")\n";
  ctx.out << std::left << std::setw(8) << "PARTNER" << std::setw(10) << "VENDOR" << std::setw(24) << "SKU"
          << std::setw(9) << "STATUS" << std::right << std::setw(12) << "LEGACY QTY" << std::setw(12) << "OUR QTY"
          << std::setw(13) << "LEGACY" << std::setw(13) << "OURS" << std::setw(12) << "DELTA" << "  SUBSCRIPTION\n";
  for (const auto& r : shadow->rows) {
    ctx.out << std::left << std::setw(8) << r.partner_id << std::setw(10) << r.vendor << std::setw(24) << r.sku_id
            << std::setw(9) << r.status << std::right << std::setw(12) << r.legacy_quantity.to_string()
            << std::setw(12) << r.ours_quantity.to_string() << std::setw(13) << r.legacy_amount.to_string()
            << std::setw(13) << r.ours_amount.to_string() << std::setw(12) << r.amount_delta.to_string() << "  "
            << r.subscription_id << "\n";
  }
  for (const auto& t : shadow->totals) {
    ctx.out << "total " << t.currency << ": " << t.rows << " lines, " << t.differing << " differ; legacy "
            << t.legacy_amount.to_string() << ", closebook " << t.ours_amount.to_string() << ", delta "
            << t.amount_delta.to_string() << "\n";
  }
  if (!csv_out.empty()) ctx.out << "report: " << csv_out << "\n";
  return 0;
}

}  // namespace closebook::cli
