// invoice: issue a signed period's partner invoices, and show them (JSON or CSV).
#include <iomanip>
#include <iostream>

#include "cli/append.h"
#include "cli/options.h"
#include "close/invoice.h"
#include "match/fields.h"

namespace closebook::cli {
namespace {

int invoice_issue(const Context& ctx, const std::vector<std::string>& args) {
  po::options_description options("invoice options");
  std::string period, passphrase_file;
  options.add_options()
      ("period", po::value(&period)->required(), "the signed period to invoice (YYYY-MM)")
      ("passphrase-file", po::value(&passphrase_file), "the log key's passphrase");
  parse_args(args, options);
  auto done = append_planned<close::InvoicePlan>(
      ctx, passphrase_file, [&](const ledger::Snapshot& snapshot) { return close::plan_invoices(snapshot, period); });
  if (!done.ok()) return report(ctx, done.error());
  const auto& [plan, receipt] = *done;
  ctx.out << std::left << std::setw(22) << "INVOICE" << std::setw(6) << "CUR" << std::right << std::setw(7) << "ITEMS"
          << std::setw(14) << "SUBTOTAL" << std::setw(12) << "GST" << std::setw(14) << "TOTAL" << "  ENTRY\n";
  for (size_t i = 0; i < plan.drafts.size(); ++i) {
    auto kind = const_cast<ledger::Draft&>(plan.drafts[i]).reader().getKind();
    if (!kind.isInvoice()) continue;  // a chunk of the invoice after it
    auto inv = kind.getInvoice();
    ctx.out << std::left << std::setw(22) << inv.getInvoiceId().cStr() << std::setw(6) << inv.getCurrency().cStr()
            << std::right << std::setw(7) << close::item_count(inv) << std::setw(14) << inv.getSubtotal().cStr()
            << std::setw(12) << inv.getGst().cStr() << std::setw(14) << inv.getTotal().cStr() << "  "
            << receipt.entries[i].index << (receipt.entries[i].duplicate ? " (issued before)" : "") << "\n";
  }
  for (const auto& [id, at] : plan.already_issued) ctx.out << std::left << std::setw(22) << id << "issued before, entry " << at << "\n";
  ctx.out << plan.invoice_ids.size() + plan.already_issued.size() << " invoices for " << period << "; " << receipt.new_entry_count
          << " new entries\n";
  return 0;
}

int invoice_show(const Context& ctx, const std::vector<std::string>& args) {
  po::options_description options("invoice show options");
  std::string id, format = "json", config_file;
  options.add_options()
      ("id", po::value(&id)->required(), "invoice id, e.g. INV-2026-10-P001")
      ("format", po::value(&format), "json or csv")
      ("config", po::value(&config_file), "close configuration (JSON): the seller a tax invoice names");
  po::positional_options_description positional;
  positional.add("id", 1);
  parse_args(args, options, positional);
  if (format != "json" && format != "csv") return report(ctx, Error::invalid("--format must be json or csv"));
  auto view = open_read_view(ctx);
  if (!view.ok()) return report(ctx, view.error());
  auto entry = close::find_invoice(**view, id);
  if (!entry.ok()) return report(ctx, entry.error());
  auto config = load_close_config(ctx, config_file);
  if (!config.ok()) return report(ctx, config.error());
  auto text = format == "json" ? close::invoice_json(**view, *entry, config->seller) : close::invoice_csv(**view, *entry);
  if (!text.ok()) return report(ctx, text.error());
  ctx.out << *text;
  return 0;
}

}  // namespace

int cmd_invoice(const Context& ctx) {
  if (!ctx.args.empty() && ctx.args[0] == "show") {
    return invoice_show(ctx, std::vector<std::string>(ctx.args.begin() + 1, ctx.args.end()));
  }
  return invoice_issue(ctx, ctx.args);
}

}  // namespace closebook::cli
