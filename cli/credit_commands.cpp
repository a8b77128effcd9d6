// credit and lineage: correcting billed lines, and a line's whole history.
#include <iomanip>
#include <map>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/append.h"
#include "cli/options.h"
#include "ledger/files.h"
#include "close/bundle.h"
#include "close/credit.h"
#include "close/lineage.h"
#include "close/views.h"

namespace closebook::cli {
namespace {

std::vector<std::string> comma_list(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

Result<std::optional<Decimal>> optional_decimal(const std::string& text, const char* option) {
  if (text.empty()) return std::optional<Decimal>();
  auto d = Decimal::parse(text);
  if (!d.ok()) return std::move(d).error().in_field(option);
  return std::optional<Decimal>(*d);
}

}  // namespace

int cmd_credit(const Context& ctx) {
  po::options_description options("credit options");
  std::string lines, amount, qty, reason, vendor_credit, passphrase_file;
  options.add_options()
      ("lines", po::value(&lines)->required(), "priced line ids, comma-separated (one period and partner)")
      ("amount", po::value(&amount), "the credit in the partner's currency, e.g. 25.00")
      ("qty", po::value(&qty), "or a quantity per line, valued at its sell unit price")
      ("reason", po::value(&reason)->required(), "why, recorded")
      ("vendor-credit", po::value(&vendor_credit), "the vendor's credit note this passes on")
      ("passphrase-file", po::value(&passphrase_file), "the log key's passphrase");
  parse_args(ctx.args, options);
  close::CreditRequest request;
  request.line_ids = comma_list(lines);
  auto a = optional_decimal(amount, "--amount");
  if (!a.ok()) return report(ctx, a.error());
  auto q = optional_decimal(qty, "--qty");
  if (!q.ok()) return report(ctx, q.error());
  request.amount = *a;
  request.quantity = *q;
  request.reason = reason;
  request.vendor_credit_ref = vendor_credit;
  auto done = append_planned<close::CreditPlan>(
      ctx, passphrase_file, [&](const ledger::Snapshot& snapshot) { return close::plan_credit(snapshot, request); });
  if (!done.ok()) return report(ctx, done.error());
  const auto& [plan, receipt] = *done;
  if (plan.recorded_at) {
    ctx.out << "credit " << plan.credit_id << " was recorded before, at entry " << *plan.recorded_at << ": nothing new\n";
    return 0;
  }
  ctx.out << "credit " << plan.credit_id << ": " << plan.amount.to_string() << " " << plan.currency << " to "
          << plan.partner_id << " for " << plan.period << " at entry " << receipt.entries.front().index << "\n";
  if (plan.reopened) {
    ctx.out << "period " << plan.period << " was signed off: reopened at entry " << receipt.entries[1].index
            << ", CREDIT_RECOVERY exception at entry " << receipt.entries[2].index
            << "; the next sign-off covers it and the next invoice carries the credit note\n";
  }
  return 0;
}

int cmd_lineage(const Context& ctx) {
  po::options_description options("lineage options");
  std::string line, format = "table";
  options.add_options()
      ("line", po::value(&line)->required(), "priced line id, e.g. PL-2026-10-53a19bbed3e6")
      ("format", po::value(&format), "table or json");
  parse_args(ctx.args, options);
  if (format != "table" && format != "json") return report(ctx, Error::invalid("--format must be table or json"));
  auto view = open_read_view(ctx);
  if (!view.ok()) return report(ctx, view.error());
  const ledger::Snapshot& snap = **view;
  auto lineage = close::line_lineage(snap, line);
  if (!lineage.ok()) return report(ctx, lineage.error());
  if (format == "json") {
    auto json = close::lineage_json(snap, *lineage);
    if (!json.ok()) return report(ctx, json.error());
    ctx.out << json->dump(2) << "\n";
    return 0;
  }
  for (const auto& item : lineage->items) {
    auto e = snap.entry(item.ref.index);
    if (!e.ok()) return report(ctx, e.error());
    ctx.out << std::left << std::setw(20) << item.role << std::right << std::setw(8) << item.ref.index << "  "
            << to_hex(e->hash()).substr(0, 16) << "  " << kind_name(e->reader()) << "\n";
  }
  ctx.out << lineage->items.size() << " entries in the lineage of " << line << "\n";
  return 0;
}

int cmd_bundle(const Context& ctx) {
  po::options_description options("bundle options");
  std::string invoice, line, out, audience_name = "auditor";
  options.add_options()
      ("invoice", po::value(&invoice), "an invoice id: the bundle proves every line it bills")
      ("line", po::value(&line), "or a priced line id")
      ("audience", po::value(&audience_name), "auditor (everything, the default), partner (without the distributor's costs, "
                                              "totals, match and queue: docs/evidence.md §5) or gl")
      ("out", po::value(&out), "write the bundle to this new file instead of standard output");
  parse_args(ctx.args, options);
  if (invoice.empty() == line.empty()) return report(ctx, Error::invalid("give exactly one of --invoice and --line"));
  const std::map<std::string, close::Audience> audiences = {
      {"auditor", close::Audience::kStaff}, {"partner", close::Audience::kPartner}, {"gl", close::Audience::kGl}};
  const auto audience = audiences.find(audience_name);
  if (audience == audiences.end()) return report(ctx, Error::invalid("must be auditor, partner or gl").in_field("--audience"));
  auto view = open_read_view(ctx);
  if (!view.ok()) return report(ctx, view.error());
  auto bundle = close::build_bundle(**view, invoice.empty() ? close::BundleSubject::kLine : close::BundleSubject::kInvoice,
                                    invoice.empty() ? line : invoice, audience->second);
  if (!bundle.ok()) return report(ctx, bundle.error());
  if (out.empty()) {
    ctx.out << *bundle;
    return 0;
  }
  if (auto st = write_new_file(out, *bundle, 0644); !st.ok()) return report(ctx, st.error());
  ctx.out << "bundle: " << out << "\n";
  return 0;
}

}  // namespace closebook::cli
