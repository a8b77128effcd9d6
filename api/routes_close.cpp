// The close's documents over HTTP: invoices (JSON, CSV, evidence bundle), line lineage,
// the exception queue, period state, the sign-off statement, the GL journal and disputes.
// A partner token sees its own partner's invoices, lines and disputes only; anything else
// answers exactly as a missing id does.
#include <algorithm>
#include <map>
#include <set>

#include "api/body.h"
#include "api/service.h"
#include "close/bundle.h"
#include "close/dispute.h"
#include "close/invoice.h"
#include "close/journal_formats.h"
#include "close/lineage.h"
#include "close/signoff.h"
#include "close/views.h"
#include "match/book.h"
#include "match/margin.h"
#include "match/period.h"
#include "evidence/date.h"
#include "match/fields.h"

namespace closebook::api {
namespace {

using match::text_of;

Result<std::string> period_param(const std::string& text, const char* name) {
  auto p = Period::parse(text);
  if (!p.ok()) return Error::invalid("must be a period YYYY-MM, not \"" + text.substr(0, 40) + "\"").in_field(name);
  return text;
}

Result<std::string> period_query(const QueryArgs& q) {
  CB_TRY(std::string text, q.required("period"));
  return period_param(text, "period");
}

// The invoice, if the caller may see it; partners get the same NotFound for another
// partner's invoice as for one that does not exist.
Result<DecodedEntry> visible_invoice(const Call& call, const ledger::Snapshot& snapshot, const std::string& id) {
  const Error missing = Error::not_found("no invoice " + id.substr(0, 100));
  auto found = close::find_invoice(snapshot, id);
  if (!found.ok()) return found.error().code == Code::kNotFound ? missing : std::move(found).error();
  if (call.is_partner() && text_of(found->reader().getKind().getInvoice().getPartnerId()) != call.partner_id()) {
    return missing;
  }
  return found;
}

close::Audience audience(const Call& call) {
  if (call.is_partner()) return close::Audience::kPartner;
  if (call.token.principal.role == Role::kGl) return close::Audience::kGl;
  return close::Audience::kStaff;
}

Result<DecodedEntry> visible_line(const Call& call, const ledger::Snapshot& snapshot, const std::string& id) {
  const Error missing = Error::not_found("no priced line " + id.substr(0, 100));
  auto found = close::current_priced_line(snapshot, id);
  if (!found.ok()) return found.error().code == Code::kNotFound ? missing : std::move(found).error();
  if (call.is_partner() && text_of(found->reader().getKind().getPricedLine().getPartnerId()) != call.partner_id()) {
    return missing;
  }
  return found;
}

// A list answer, paged (api/body.h paginate): `answer` with `list` under `name`, keyed by `key`.
Result<Reply> paged_list(const QueryArgs& q, Json answer, Json list, const char* name, const char* key) {
  CB_CHECK(paginate(q, list, key, answer));
  answer[name] = std::move(list);
  return Reply::json(200, answer);
}

Json dispute_json(const close::DisputeView& d) {
  return {{"dispute_id", d.dispute_id}, {"entry", d.entry.index}, {"partner_id", d.partner_id}, {"line_id", d.line_id},
          {"period", d.period}, {"reason", d.reason}, {"amount", d.amount}, {"currency", d.currency},
          {"raised_by", d.raised_by}, {"recorded_at_ms", d.recorded_at_ms}, {"exception_id", d.exception_id}};
}

Result<Reply> invoices(Call& call) {
  CB_TRY(QueryArgs q, QueryArgs::parse(call.request, {"period", "limit", "cursor"}));
  CB_TRY(std::string period, period_query(q));
  CB_TRY(ledger::Snapshot snapshot, call.service.snapshot());
  CB_TRY(std::vector<DecodedEntry> entries, match::entries_of_period(snapshot, "invoice", period));
  Json list = Json::array();
  for (const DecodedEntry& e : entries) {
    auto inv = e.reader().getKind().getInvoice();
    if (call.is_partner() && text_of(inv.getPartnerId()) != call.partner_id()) continue;
    list.push_back({{"invoice_id", text_of(inv.getInvoiceId())}, {"entry", e.reader().getIndex()},
                    {"partner_id", text_of(inv.getPartnerId())}, {"currency", text_of(inv.getCurrency())},
                    {"items", close::item_count(inv)}, {"subtotal", text_of(inv.getSubtotal())},
                    {"gst", text_of(inv.getGst())}, {"total", text_of(inv.getTotal())}});
  }
  return paged_list(q, Json{{"period", period}}, std::move(list), "invoices", "invoice_id");
}

Result<Reply> invoice(Call& call) {
  CB_TRY(QueryArgs q, QueryArgs::parse(call.request, {"format"}));
  // Without ?format, the Accept header chooses: CSV only when it is preferred to JSON.
  const std::string accept = call.request.header("accept").value_or("");
  const bool prefers_csv = accept_quality(accept, "text/csv").value_or(0) > accept_quality(accept, "application/json").value_or(0);
  const std::string format = q.get("format").value_or(prefers_csv ? "csv" : "json");
  if (format != "json" && format != "csv") return Error::invalid("must be json or csv").in_field("format");
  CB_TRY(ledger::Snapshot snapshot, call.service.snapshot());
  CB_TRY(DecodedEntry e, visible_invoice(call, snapshot, call.params[0]));
  if (format == "json") {
    CB_TRY(std::string body, close::invoice_json(snapshot, e, call.service.config().seller));
    return Reply::text(200, std::move(body), "application/json");
  }
  CB_TRY(std::string body, close::invoice_csv(snapshot, e));
  Reply r = Reply::text(200, std::move(body), "text/csv; charset=utf-8");
  // The id as the ledger has it, kept to characters a quoted filename cannot be broken by
  // (partner ids come from loaded files).
  std::string name = text_of(e.reader().getKind().getInvoice().getInvoiceId());
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') c = '_';
  }
  r.headers.emplace_back("Content-Disposition", "attachment; filename=\"" + name + ".csv\"");
  return r;
}

Result<Reply> bundle(Call& call, close::BundleSubject subject) {
  CB_TRY(QueryArgs q, QueryArgs::parse(call.request, {}));
  CB_TRY(ledger::Snapshot snapshot, call.service.snapshot());
  auto visible = subject == close::BundleSubject::kInvoice ? visible_invoice(call, snapshot, call.params[0])
                                                           : visible_line(call, snapshot, call.params[0]);
  if (!visible.ok()) return std::move(visible).error();
  CB_TRY(std::string text, close::build_bundle(snapshot, subject, call.params[0], audience(call)));
  return Reply::text(200, std::move(text), "application/json");
}

// The invoice that bills the priced line at `index`, directly or through one of its chunks;
// empty when none does yet.
Result<std::string> invoice_of(const ledger::Snapshot& snapshot, uint64_t index) {
  for (const char* kind : {"invoice", "invoiceChunk"}) {
    CB_TRY(std::optional<uint64_t> citing, snapshot.lookup_last("cites_kind", std::to_string(index) + "/" + kind));
    if (!citing) continue;
    CB_TRY(DecodedEntry e, snapshot.entry(*citing));
    auto k = e.reader().getKind();
    return text_of(k.isInvoice() ? k.getInvoice().getInvoiceId() : k.getInvoiceChunk().getInvoiceId());
  }
  return std::string();
}

// A period's current priced lines — for a partner, its own, across its invoices — with what
// they bill and the invoice that bills them; by line id, paged.
Result<Reply> lines(Call& call) {
  CB_TRY(QueryArgs q, QueryArgs::parse(call.request, {"period", "limit", "cursor"}));
  CB_TRY(std::string period, period_query(q));
  CB_TRY(ledger::Snapshot snapshot, call.service.snapshot());
  CB_TRY(std::vector<DecodedEntry> current, match::current_priced_lines(snapshot, period));
  Json list = Json::array();
  std::vector<uint64_t> indexes;
  for (const DecodedEntry& e : current) {
    auto l = e.reader().getKind().getPricedLine();
    if (call.is_partner() && text_of(l.getPartnerId()) != call.partner_id()) continue;
    auto quantity = match::decimal_of(l.getQuantity());
    const bool withdrawn = l.getUsage().size() == 0 && quantity.ok() && quantity->is_zero();  // re-pricing replaced it
    if (withdrawn) continue;
    list.push_back({{"line_id", text_of(l.getLineId())}, {"entry", e.reader().getIndex()}, {"partner_id", text_of(l.getPartnerId())},
                    {"vendor", text_of(l.getVendor())}, {"sku_id", text_of(l.getSkuId())},
                    {"subscription_id", text_of(l.getSubscriptionId())}, {"from", text_of(l.getFromDate())},
                    {"to", text_of(l.getToDate())}, {"quantity", text_of(l.getQuantity())},
                    {"sell_unit_price", text_of(l.getSellUnitPrice())}, {"sell_amount", text_of(l.getSellAmount())},
                    {"currency", text_of(l.getCurrency())}});
  }
  Json answer{{"period", period}};
  CB_CHECK(paginate(q, list, "line_id", answer));
  for (auto& item : list) {  // only the page's: a lookup each
    CB_TRY(std::string invoice_id, invoice_of(snapshot, item["entry"].get<uint64_t>()));
    item["invoice_id"] = invoice_id.empty() ? Json(nullptr) : Json(invoice_id);
  }
  answer["lines"] = std::move(list);
  return Reply::json(200, answer);
}

Result<Reply> lineage(Call& call) {
  CB_TRY(QueryArgs q, QueryArgs::parse(call.request, {}));
  CB_TRY(ledger::Snapshot snapshot, call.service.snapshot());
  CB_TRY(DecodedEntry line, visible_line(call, snapshot, call.params[0]));
  CB_TRY(close::Lineage found, close::line_lineage_at(snapshot, line.reader().getIndex()));
  CB_TRY(Json json, close::lineage_json(snapshot, close::for_audience(std::move(found), audience(call))));
  return Reply::json(200, json);
}

Result<Reply> exceptions(Call& call) {
  CB_TRY(QueryArgs q, QueryArgs::parse(call.request, {"period", "status", "category", "limit", "cursor"}));
  CB_TRY(std::string period, period_query(q));
  match::QueueFilter filter{period, {}, {}, {}};
  if (auto status = q.get("status")) {
    auto s = match::parse_status(*status);
    if (!s.ok()) return std::move(s).error().in_field("status");
    filter.status = *s;
  }
  if (auto category = q.get("category")) {
    auto c = match::parse_category(*category);
    if (!c.ok()) return std::move(c).error().in_field("category");
    filter.category = *c;
  }
  CB_TRY(ledger::Snapshot snapshot, call.service.snapshot());
  CB_TRY(std::vector<match::ExceptionState> found, match::list_exceptions(snapshot, filter));
  Json list = Json::array();
  for (const auto& e : found) list.push_back(close::exception_json(e));
  return paged_list(q, Json{{"period", period}}, std::move(list), "exceptions", "exception_id");
}

Result<Reply> exception(Call& call) {
  CB_TRY(QueryArgs q, QueryArgs::parse(call.request, {}));
  CB_TRY(ledger::Snapshot snapshot, call.service.snapshot());
  CB_TRY(match::ExceptionState state, match::find_exception(snapshot, call.params[0]));
  return Reply::json(200, close::exception_json(state));
}

// Every period the ledger holds a feed, a match or a sign-off for, oldest first, with its place
// in the close: read from the Ingest, MatchRun and SignOff entries (a few per period).
// A partner's periods: those it has invoices in, each with its invoices and their totals —
// nothing of the period's state beyond what its own invoices say.
Result<Reply> partner_periods(Call& call, const QueryArgs& q, const ledger::Snapshot& snapshot) {
  CB_TRY(std::vector<DecodedEntry> entries, match::entries_of_kind(snapshot, "partner", call.partner_id(), schema::Entry::Kind::INVOICE));
  std::map<std::string, Json> by_period;
  for (const DecodedEntry& e : entries) {
    auto inv = e.reader().getKind().getInvoice();
    Json& invoices = by_period[text_of(inv.getPeriod())];
    if (invoices.is_null()) invoices = Json::array();
    invoices.push_back({{"invoice_id", text_of(inv.getInvoiceId())}, {"entry", e.reader().getIndex()},
                        {"currency", text_of(inv.getCurrency())}, {"total", text_of(inv.getTotal())}});
  }
  Json list = Json::array();
  for (auto& [period, invoices] : by_period) list.push_back({{"period", period}, {"invoices", std::move(invoices)}});
  return paged_list(q, Json::object(), std::move(list), "periods", "period");
}

Result<Reply> periods(Call& call) {
  CB_TRY(QueryArgs q, QueryArgs::parse(call.request, {"limit", "cursor"}));
  CB_TRY(ledger::Snapshot snapshot, call.service.snapshot());
  if (call.is_partner()) return partner_periods(call, q, snapshot);
  std::set<std::string> found;
  for (const char* kind : {"ingest", "matchRun", "signOff"}) {
    CB_TRY(std::vector<uint64_t> entries, snapshot.lookup("kind", kind));
    for (uint64_t i : entries) {
      CB_TRY(DecodedEntry e, snapshot.entry(i));
      auto k = e.reader().getKind();
      const std::string p = k.isIngest() ? text_of(k.getIngest().getPeriod())
                            : k.isMatchRun() ? text_of(k.getMatchRun().getPeriod())
                                             : text_of(k.getSignOff().getPeriod());
      if (Period::parse(p).ok()) found.insert(p);
    }
  }
  Json list = Json::array();
  for (const std::string& p : found) {
    CB_TRY(match::PeriodState state, match::period_state(snapshot, p));
    CB_TRY(std::vector<close::JournalView> journals, close::period_journals(snapshot, p));
    list.push_back(close::period_json(p, state, journals));
  }
  return paged_list(q, Json::object(), std::move(list), "periods", "period");
}

Result<Reply> period(Call& call) {
  CB_TRY(QueryArgs q, QueryArgs::parse(call.request, {}));
  CB_TRY(std::string period, period_param(call.params[0], "period"));
  CB_TRY(ledger::Snapshot snapshot, call.service.snapshot());
  CB_TRY(match::PeriodState state, match::period_state(snapshot, period));
  CB_TRY(std::vector<close::JournalView> journals, close::period_journals(snapshot, period));
  return Reply::json(200, close::period_json(period, state, journals));
}

Result<Reply> statement(Call& call) {
  CB_TRY(QueryArgs q, QueryArgs::parse(call.request, {"override_reason", "view"}));
  CB_TRY(std::string period, period_param(call.params[0], "period"));
  const std::string view = q.get("view").value_or("statement");
  if (view != "statement" && view != "summary") return Error::invalid("must be statement or summary").in_field("view");
  CB_TRY(ledger::Snapshot snapshot, call.service.snapshot());
  CB_TRY(close::Statement s, close::build_statement(snapshot, period, q.get("override_reason").value_or("")));
  // The summary is what the statement's summary line commits to: finance reviews it, with its
  // salt, before signing the statement (docs/close.md §1).
  Reply r = Reply::text(200, view == "summary" ? s.summary_text() : s.text());
  r.headers.emplace_back("X-Closebook-Blocked", s.blocked() ? "true" : "false");
  return r;
}

Json margin_row_json(const match::MarginRow& r) {
  auto floor = [](const std::optional<Decimal>& d) { return d ? Json(d->to_string()) : Json(nullptr); };
  return {{"key", r.key},
          {"currency", r.currency},
          {"lines", r.lines},
          {"cost", r.cost.to_string()},
          {"sell", r.sell.to_string()},
          {"margin", r.margin.to_string()},
          {"margin_pct", r.margin_pct.empty() ? Json(nullptr) : Json(r.margin_pct)},
          {"floor_pct_min", floor(r.floor_pct_min)},
          {"floor_pct_max", floor(r.floor_pct_max)},
          {"floor_breaches", r.floor_breaches}};
}

// Margin by partner or SKU against the floors (docs/matching.md §6). An open period is priced
// provisionally, in memory, from the usage loaded so far (what `closebook price` would record
// now); a signed or invoiced period answers from its recorded lines. `basis` says which.
Result<Reply> margin(Call& call) {
  CB_TRY(QueryArgs q, QueryArgs::parse(call.request, {"by", "basis"}));
  CB_TRY(std::string period, period_param(call.params[0], "period"));
  const std::string by = q.get("by").value_or("partner");
  if (by != "partner" && by != "sku") return Error::invalid("must be partner or sku").in_field("by");
  CB_TRY(ledger::Snapshot snapshot, call.service.snapshot());
  const bool sealed = !match::check_period_open(snapshot, period).ok() || !match::check_period_unbilled(snapshot, period).ok();
  const std::string basis = q.get("basis").value_or(sealed ? "ledger" : "provisional");
  if (basis != "ledger" && basis != "provisional") return Error::invalid("must be ledger or provisional").in_field("basis");
  if (basis == "provisional" && sealed) {
    return Error::conflict("period " + period + " is signed off or invoiced: its recorded lines are final (basis=ledger)");
  }
  const match::MarginBy grouping = by == "sku" ? match::MarginBy::kSku : match::MarginBy::kPartner;
  CB_TRY(std::vector<match::MarginRow> rows,
         basis == "ledger" ? match::margin_report(snapshot, period, grouping)
                           : match::provisional_margin_report(snapshot, {period, call.service.config(), nullptr}, grouping));
  Json list = Json::array(), totals = Json::array();
  for (const match::MarginRow& r : rows) (r.key == "*" ? totals : list).push_back(margin_row_json(r));
  return Reply::json(200, {{"period", period}, {"by", by}, {"basis", basis}, {"tree_size", snapshot.size()},
                           {"rows", std::move(list)}, {"totals", std::move(totals)}});
}

// Every journal of the period, of every sign-off, each saying whether the GL posted it; or one
// journal as a GL's import file (?format=xero|myob|netsuite&journal_id=ID&part=N).
Result<Reply> journal(Call& call) {
  CB_TRY(QueryArgs q, QueryArgs::parse(call.request, {"period", "format", "journal_id", "part"}));
  CB_TRY(std::string period, period_query(q));
  const std::string format = q.get("format").value_or("json");
  const close::GlFormat* gl = close::find_gl_format(format);
  if (gl == nullptr) return Error::invalid("must be " + close::gl_format_names()).in_field("format");
  CB_TRY(ledger::Snapshot snapshot, call.service.snapshot());
  CB_TRY(std::vector<close::JournalView> journals, close::period_journals(snapshot, period));
  const std::string wanted = q.get("journal_id").value_or("");
  if (!wanted.empty()) {
    std::erase_if(journals, [&](const close::JournalView& j) { return j.id() != wanted; });
    if (journals.empty()) return Error::not_found("period " + period + " has no journal " + wanted.substr(0, 100));
  }
  if (journals.empty()) {
    return Error::not_found("period " + period + " has no journal yet: POST /v1/journal prepares it");
  }
  if (format == "json") {
    Json list = Json::array();
    for (const close::JournalView& j : journals) list.push_back(Json::parse(close::journal_json(j)));
    return Reply::json(200, {{"period", period}, {"journals", std::move(list)}});
  }
  if (journals.size() != 1) {
    std::string ids;
    for (const close::JournalView& j : journals) ids += (ids.empty() ? "" : ", ") + j.id();
    return Error::invalid("the period has " + std::to_string(journals.size()) + " journals (" + ids + "): name one").in_field("journal_id");
  }
  CB_TRY(std::vector<close::GlFile> files, close::write_journal(*gl, journals.front(), call.service.config().journal));
  size_t part = 1;
  if (auto p = q.get("part")) {
    const bool number = !p->empty() && p->size() <= 4 && std::all_of(p->begin(), p->end(), [](char c) { return c >= '0' && c <= '9'; });
    part = number ? std::stoul(*p) : 0;
    if (part < 1 || part > files.size()) {
      return Error::invalid("must be a file number from 1 to " + std::to_string(files.size())).in_field("part");
    }
  }
  const close::GlFile& file = files[part - 1];
  Reply r = Reply::text(200, file.content, gl->media_type);
  r.headers.emplace_back("Content-Disposition", "attachment; filename=\"" + file.name + "\"");
  r.headers.emplace_back("X-Closebook-Parts", std::to_string(files.size()));
  return r;
}

// Journals the GL has not acknowledged, of every period: what it still has to import.
Result<Reply> journals(Call& call) {
  CB_TRY(QueryArgs q, QueryArgs::parse(call.request, {"status", "limit", "cursor"}));
  CB_TRY(std::string status, q.required("status"));
  if (status != "unacknowledged") return Error::invalid("must be unacknowledged").in_field("status");
  CB_TRY(ledger::Snapshot snapshot, call.service.snapshot());
  CB_TRY(std::vector<close::JournalView> open, close::unacknowledged_journals(snapshot));
  Json list = Json::array();
  for (const close::JournalView& j : open) {
    auto p = j.posting.reader().getKind().getJournalPosting();
    list.push_back({{"journal_id", j.id()}, {"period", text_of(p.getPeriod())}, {"organisation", text_of(p.getOrganisation())},
                    {"currency", text_of(p.getCurrency())}, {"entry", j.posting.reader().getIndex()},
                    {"sign_off", p.getSignOff().getIndex()}, {"current", j.current},
                    {"total_debit", text_of(p.getTotalDebit())}, {"lines", p.getLines().size()}});
  }
  return paged_list(q, Json::object(), std::move(list), "journals", "journal_id");
}

Result<Reply> disputes(Call& call) {
  CB_TRY(QueryArgs q, QueryArgs::parse(call.request, {"period", "limit", "cursor"}));
  std::string period;
  if (q.get("period")) {
    CB_TRY(period, period_query(q));
  }
  CB_TRY(ledger::Snapshot snapshot, call.service.snapshot());
  CB_TRY(std::vector<close::DisputeView> found,
         close::list_disputes(snapshot, call.is_partner() ? call.partner_id() : "", period));
  Json list = Json::array();
  for (const auto& d : found) {
    auto state = match::find_exception(snapshot, d.exception_id);
    Json item = dispute_json(d);
    item["status"] = state.ok() ? match::status_name(state->status) : "unknown";
    list.push_back(std::move(item));
  }
  return paged_list(q, Json::object(), std::move(list), "disputes", "dispute_id");
}

// One dispute with what became of it: its exception's status and history. A partner sees each
// step's action, status and time, and the note only of the step that settled it (the
// resolution addressed to it); the queue's other notes and who worked it are the
// distributor's. Another partner's dispute is "not found", as one that does not exist.
Result<Reply> dispute_detail(Call& call) {
  CB_TRY(QueryArgs q, QueryArgs::parse(call.request, {}));
  CB_TRY(ledger::Snapshot snapshot, call.service.snapshot());
  CB_TRY(std::vector<close::DisputeView> all, close::list_disputes(snapshot, call.is_partner() ? call.partner_id() : "", ""));
  const auto found = std::find_if(all.begin(), all.end(), [&](const close::DisputeView& d) { return d.dispute_id == call.params[0]; });
  if (found == all.end()) return Error::not_found("no dispute " + call.params[0].substr(0, 100));
  const close::DisputeView& d = *found;
  CB_TRY(match::ExceptionState state, match::find_exception(snapshot, d.exception_id));
  Json history = Json::array();
  for (const match::HistoryItem& h : state.history) {
    const bool settles = h.action == "resolve" || h.action == "waive";
    Json step{{"entry", h.ref.index}, {"action", h.action}, {"recorded_at_ms", h.recorded_at_ms}};
    if (!call.is_partner() || settles) step["note"] = h.note;
    if (!call.is_partner()) step["actor"] = h.actor;
    history.push_back(std::move(step));
  }
  Json answer = dispute_json(d);
  answer["status"] = match::status_name(state.status);
  answer["history"] = std::move(history);
  return Reply::json(200, answer);
}

}  // namespace

std::vector<Route> close_routes() {
  constexpr Roles kPartner = role_bit(Role::kPartner), kGl = role_bit(Role::kGl);
  return {
      {"GET", "/v1/invoices", kStaff | kGl | kPartner, invoices},
      {"GET", "/v1/invoices/{id}", kStaff | kGl | kPartner, invoice},
      {"GET", "/v1/invoices/{id}/bundle", kStaff | kGl | kPartner,
       [](Call& c) { return bundle(c, close::BundleSubject::kInvoice); }},
      {"GET", "/v1/lines", kStaff | kPartner, lines},
      {"GET", "/v1/lines/{id}/lineage", kStaff | kPartner, lineage},
      {"GET", "/v1/lines/{id}/bundle", kStaff | kPartner, [](Call& c) { return bundle(c, close::BundleSubject::kLine); }},
      {"GET", "/v1/exceptions", kStaff, exceptions},
      {"GET", "/v1/exceptions/{id}", kStaff, exception},
      {"GET", "/v1/periods", kStaff | kGl | kPartner, periods},
      {"GET", "/v1/periods/{period}", kStaff | kGl, period},
      {"GET", "/v1/periods/{period}/statement", kStaff, statement},
      {"GET", "/v1/periods/{period}/margin", kStaff, margin},
      {"GET", "/v1/journal", kStaff | kGl, journal},
      {"GET", "/v1/journals", kStaff | kGl, journals},
      {"GET", "/v1/disputes", kStaff | kPartner, disputes},
      {"GET", "/v1/disputes/{id}", kStaff | kPartner, dispute_detail},
  };
}

}  // namespace closebook::api
