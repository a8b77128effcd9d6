// exceptions: the queue — list, show, and the changes that are ExceptionUpdate entries.
#include <cstdlib>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/append.h"
#include "cli/csv_out.h"
#include "cli/options.h"
#include "close/views.h"
#include "ledger/files.h"
#include "match/queue.h"

namespace closebook::cli {
namespace {

using match::ExceptionState;

constexpr const char* kCsvHeader =
    "ExceptionId,Period,Category,Severity,Vendor,PartnerId,TenantId,SubscriptionId,SkuId,Delta,"
    "Currency,Owner,DueDate,Status,Summary";

void print_csv(std::ostream& out, const std::vector<ExceptionState>& list) {
  out << kCsvHeader << "\n";
  for (const ExceptionState& e : list) {
    const std::pair<std::string, bool> cells[] = {
        {e.id, true}, {e.period, true}, {match::category_name(e.category), true},
        {match::severity_name(e.severity), true}, {e.vendor, true}, {e.partner_id, true},
        {e.tenant_id, true}, {e.subscription_id, true}, {e.sku_id, true}, {e.delta, false},
        {e.currency, true}, {e.owner, true}, {e.due_date, true}, {match::status_name(e.status), true},
        {e.summary, true}};
    bool first = true;
    for (const auto& [value, text] : cells) {
      out << (first ? "" : ",") << csv_cell(value, text);
      first = false;
    }
    out << "\n";
  }
}

void print_table(std::ostream& out, const std::vector<ExceptionState>& list) {
  out << std::left << std::setw(40) << "EXCEPTION" << std::setw(10) << "SEVERITY" << std::setw(8) << "PARTNER"
      << std::setw(8) << "TENANT" << std::right << std::setw(12) << "DELTA" << "  " << std::left << std::setw(20)
      << "OWNER" << std::setw(12) << "DUE" << std::setw(14) << "STATUS" << "SUMMARY\n";
  for (const ExceptionState& e : list) {
    const std::string delta = e.delta.empty() ? "-" : e.delta + " " + e.currency;
    out << std::left << std::setw(40) << e.id << std::setw(10) << match::severity_name(e.severity)
        << std::setw(8) << e.partner_id << std::setw(8) << e.tenant_id << std::right << std::setw(12) << delta
        << "  " << std::left << std::setw(20) << e.owner << std::setw(12) << e.due_date << std::setw(14)
        << match::status_name(e.status) << e.summary.substr(0, 80) << "\n";
  }
  out << list.size() << " exception" << (list.size() == 1 ? "" : "s") << "\n";
}

int list(const Context& ctx, const std::vector<std::string>& args) {
  po::options_description options("exceptions list options");
  std::string period, status, category, format = "table";
  options.add_options()
      ("period", po::value(&period)->required(), "YYYY-MM")
      ("status", po::value(&status), "open, acknowledged, resolved or waived")
      ("category", po::value(&category), "e.g. NO_PRICING_RULE")
      ("format", po::value(&format), "table, csv or json");
  parse_args(args, options);
  match::QueueFilter filter{period, {}, {}};
  if (!status.empty()) {
    auto s = match::parse_status(status);
    if (!s.ok()) return report(ctx, std::move(s).error().in_field("--status"));
    filter.status = *s;
  }
  if (!category.empty()) {
    auto c = match::parse_category(category);
    if (!c.ok()) return report(ctx, std::move(c).error().in_field("--category"));
    filter.category = *c;
  }
  if (format != "table" && format != "csv" && format != "json") {
    return report(ctx, Error::invalid("--format must be table, csv or json"));
  }
  auto view = open_read_view(ctx);
  if (!view.ok()) return report(ctx, view.error());
  const ledger::Snapshot& snap = **view;
  auto found = match::list_exceptions(snap, filter);
  if (!found.ok()) return report(ctx, found.error());
  if (format == "csv") {
    print_csv(ctx.out, *found);
  } else if (format == "json") {
    nlohmann::ordered_json all = nlohmann::ordered_json::array();
    for (const auto& e : *found) all.push_back(close::exception_json(e));
    ctx.out << all.dump(2) << "\n";
  } else {
    print_table(ctx.out, *found);
  }
  return 0;
}

// Counts and amounts by category (and currency): the queue at a glance.
int summary(const Context& ctx, const std::vector<std::string>& args) {
  po::options_description options("exceptions summary options");
  std::string period, format = "table";
  options.add_options()
      ("period", po::value(&period)->required(), "YYYY-MM")
      ("format", po::value(&format), "table or csv");
  parse_args(args, options);
  if (format != "table" && format != "csv") return report(ctx, Error::invalid("--format must be table or csv"));
  auto view = open_read_view(ctx);
  if (!view.ok()) return report(ctx, view.error());
  const ledger::Snapshot& snap = **view;
  auto found = match::list_exceptions(snap, {period, {}, {}});
  if (!found.ok()) return report(ctx, found.error());
  auto rows = match::summarize(*found);
  if (!rows.ok()) return report(ctx, rows.error());
  if (format == "csv") {
    ctx.out << "Category,Currency,Count,Open,BlockingOpen,Amount\n";
    for (const auto& r : *rows) {
      ctx.out << match::category_name(r.category) << "," << r.currency << "," << r.count << "," << r.open << ","
              << r.blocking_open << "," << r.amount.to_string() << "\n";
    }
    return 0;
  }
  ctx.out << std::left << std::setw(24) << "CATEGORY" << std::setw(5) << "CUR" << std::right << std::setw(7) << "COUNT"
          << std::setw(7) << "OPEN" << std::setw(10) << "BLOCKING" << std::setw(14) << "AMOUNT" << "\n";
  for (const auto& r : *rows) {
    ctx.out << std::left << std::setw(24) << match::category_name(r.category) << std::setw(5)
            << (r.currency.empty() ? "-" : r.currency) << std::right << std::setw(7) << r.count << std::setw(7) << r.open
            << std::setw(10) << r.blocking_open << std::setw(14) << r.amount.to_string() << "\n";
  }
  ctx.out << found->size() << " exception" << (found->size() == 1 ? "" : "s") << " in " << period << "\n";
  return 0;
}

int show(const Context& ctx, const std::string& id) {
  auto view = open_read_view(ctx);
  if (!view.ok()) return report(ctx, view.error());
  const ledger::Snapshot& snap = **view;
  auto state = match::find_exception(snap, id);
  if (!state.ok()) return report(ctx, state.error());
  ctx.out << close::exception_json(*state).dump(2) << "\n";
  return 0;
}

int update(const Context& ctx, const std::string& verb, const std::vector<std::string>& args) {
  po::options_description options("exceptions " + verb + " options");
  std::string id, owner, note, reason, evidence, actor, passphrase_file;
  options.add_options()
      ("id", po::value(&id)->required(), "exception id")
      ("owner", po::value(&owner), "assign: the new owner")
      ("note", po::value(&note), "resolve: what was done")
      ("reason", po::value(&reason), "waive: why")
      ("evidence", po::value(&evidence), "resolve: a file whose SHA-256 is recorded")
      ("actor", po::value(&actor), "who makes the change (default $USER)")
      ("passphrase-file", po::value(&passphrase_file), "the log key's passphrase");
  po::positional_options_description positional;
  positional.add("id", 1);
  parse_args(args, options, positional);
  match::UpdateRequest request;
  request.action = verb == "assign" ? match::UpdateAction::ASSIGN
                   : verb == "ack"  ? match::UpdateAction::ACKNOWLEDGE
                   : verb == "resolve" ? match::UpdateAction::RESOLVE
                                       : match::UpdateAction::WAIVE;
  request.owner = owner;
  request.note = verb == "waive" ? reason : note;
  const char* user = std::getenv("USER");
  request.actor = !actor.empty() ? actor : (user != nullptr ? user : "unknown");
  if (!evidence.empty()) {
    auto bytes = read_file(evidence);
    if (!bytes.ok()) return report(ctx, bytes.error());
    request.evidence_sha256 = sha256(*bytes);
    request.evidence_name = std::filesystem::path(evidence).filename().string();
  }
  struct Plan {
    std::vector<ledger::Draft> drafts;
    uint64_t planned_at_size = 0;
  };
  auto done = append_planned<Plan>(ctx, passphrase_file, [&](const ledger::Snapshot& snapshot) -> Result<Plan> {
    CB_TRY(ExceptionState state, match::find_exception(snapshot, id));
    CB_TRY(ledger::Draft draft, match::plan_update(state, request));
    Plan plan;
    plan.drafts.push_back(std::move(draft));
    return plan;
  });
  if (!done.ok()) return report(ctx, done.error());
  ctx.out << id << ": " << verb << " recorded as entry " << done->second.entries[0].index << "\n";
  return 0;
}

}  // namespace

int cmd_exceptions(const Context& ctx) {
  if (ctx.args.empty()) {
    return report(ctx, Error::invalid("usage: exceptions list|summary|show|assign|ack|resolve|waive ..."));
  }
  const std::string verb = ctx.args[0];
  const std::vector<std::string> rest(ctx.args.begin() + 1, ctx.args.end());
  if (verb == "list") return list(ctx, rest);
  if (verb == "summary") return summary(ctx, rest);
  if (verb == "show") {
    if (rest.size() != 1) return report(ctx, Error::invalid("usage: exceptions show ID"));
    return show(ctx, rest[0]);
  }
  if (verb == "assign" || verb == "ack" || verb == "resolve" || verb == "waive") return update(ctx, verb, rest);
  return report(ctx, Error::invalid("unknown exceptions command \"" + verb + "\""));
}

}  // namespace closebook::cli
