#include "api/service.h"

#include <arpa/inet.h>
#include <kj/exception.h>

#include <algorithm>
#include <cctype>
#include <set>

#include "close/views.h"
#include "match/queue.h"

namespace closebook::api {
namespace {

constexpr auto kFailureWindow = std::chrono::minutes(1);
constexpr size_t kFailureBucketsMax = 100'000;

std::vector<std::string_view> segments(std::string_view path) {
  std::vector<std::string_view> out;
  size_t start = 1;  // paths start with '/'
  while (start <= path.size()) {
    const size_t slash = path.find('/', start);
    out.push_back(path.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return out;
}

bool matches(const std::string& pattern, std::string_view path, std::vector<std::string>& params) {
  const auto want = segments(pattern), got = segments(path);
  if (want.size() != got.size()) return false;
  std::vector<std::string> found;
  for (size_t i = 0; i < want.size(); ++i) {
    if (want[i].starts_with('{')) {
      if (got[i].empty()) return false;
      found.emplace_back(got[i]);
    } else if (want[i] != got[i]) {
      return false;
    }
  }
  params = std::move(found);
  return true;
}

Result<Reply> serve_healthz(Call& call) {
  auto snapshot = call.service.snapshot();
  if (!snapshot.ok()) return Reply::error(503, "unavailable", "the ledger cannot be read");
  return Reply::json(200, {{"status", "ok"}, {"size", snapshot->size()}});
}

Result<Reply> serve_metrics(Call& call) {
  auto text = call.service.metrics_text();
  if (!text.ok()) return Reply::from(text.error());
  return Reply::text(200, std::move(*text), "text/plain; version=0.0.4; charset=utf-8");
}

// The close's planners name the CLI's options in their errors ("--gl-ref"); the API names its
// own fields ("gl_ref").
std::string api_field(const std::string& field) {
  if (!field.starts_with("--")) return field;
  if (field == "--journal") return "journal_id";
  std::string out = field.substr(2);
  std::replace(out.begin(), out.end(), '-', '_');
  return out;
}

}  // namespace

std::vector<Route> all_routes() {
  std::vector<Route> routes{{"GET", "/healthz", 0, serve_healthz},
                            {"GET", "/metrics", role_bit(Role::kAdmin) | role_bit(Role::kOps), serve_metrics}};
  for (auto group : {log_routes(), close_routes(), write_routes(), session_routes(), portal_routes()}) {
    for (auto& r : group) routes.push_back(std::move(r));
  }
  return routes;
}

Service::Service(std::unique_ptr<ledger::Ledger> ledger, std::unique_ptr<TokenStore> tokens, SigningKey log_key,
                 ServiceOptions options)
    : ledger_(std::move(ledger)),
      tokens_(std::move(tokens)),
      log_key_(std::move(log_key)),
      options_(std::move(options)),
      routes_(all_routes()),
      writes_(options_.writes_per_token_per_minute),
      sessions_(options_.session_limits) {}

const Route* Service::match(const Request& request, std::vector<std::string>& params, std::string& allowed) const {
  const Route* found = nullptr;
  for (const Route& r : routes_) {
    std::vector<std::string> p;
    if (!matches(r.pattern, request.path, p)) continue;
    allowed += (allowed.empty() ? "" : ", ") + r.method;
    if (r.method == request.method && found == nullptr) {
      found = &r;
      params = std::move(p);
    }
  }
  return found;
}

std::string Service::route_of(const Request& request) const {
  std::vector<std::string> params;
  std::string allowed;
  const Route* r = match(request, params, allowed);
  return r != nullptr ? r->pattern : "unmatched";
}

// A client's address for the failure limit: an IPv4 address, or an IPv6 address's /64 (one
// host usually holds a whole /64, and would otherwise have 2^64 fresh budgets).
std::string failure_bucket(const std::string& peer) {
  in6_addr v6{};
  if (inet_pton(AF_INET6, peer.c_str(), &v6) != 1) return peer;
  return to_hex(Bytes(v6.s6_addr, 8)) + "::/64";
}

bool Service::limited(const std::string& bucket) {
  std::lock_guard lock(failures_mutex_);
  auto it = failures_.find(bucket);
  if (it == failures_.end()) return false;
  if (std::chrono::steady_clock::now() - it->second.window_start > kFailureWindow) {
    failures_.erase(it);
    return false;
  }
  return it->second.count >= options_.auth_failures_per_minute;
}

void Service::note_failure(const std::string& bucket) {
  metrics_.auth_failed();
  std::lock_guard lock(failures_mutex_);
  const auto now = std::chrono::steady_clock::now();
  if (failures_.size() >= kFailureBucketsMax && !failures_.count(bucket)) {
    // Bound the memory a spray of addresses can take: forget expired windows, never live ones.
    std::erase_if(failures_, [&](const auto& f) { return now - f.second.window_start > kFailureWindow; });
    if (failures_.size() >= kFailureBucketsMax) return;
  }
  Failures& f = failures_[bucket];
  if (f.count == 0 || now - f.window_start > kFailureWindow) f = Failures{now, 0};
  ++f.count;
}

namespace {

// A successful reply in a media type the request's Accept excludes (q=0, or no range matching
// it) is a 406 instead (RFC 9110 §12.5.1, §15.5.7); a malformed Accept a 400. Errors stay JSON
// whatever the Accept, so the client can read why.
Reply negotiated(const Request& request, Reply reply) {
  const std::optional<std::string> accept = request.header("accept");
  if (!accept || reply.status >= 300 || reply.status == 204) return reply;
  const std::optional<int> q = accept_quality(*accept, reply.content_type);
  if (!q) return Reply::error(400, "invalid", "the Accept header is malformed (a media range type/subtype, q from 0 to 1)");
  if (*q == 0) {
    const std::string type = reply.content_type.substr(0, reply.content_type.find(';'));
    return Reply::error(406, "not_acceptable", "this resource is " + type + ", which the Accept header does not accept");
  }
  return reply;
}

// The credentials of an `Authorization: Bearer <token>` header: the scheme is matched without
// regard to case and is followed by one or more spaces (RFC 7235 §2.1, RFC 6750 §2.1).
std::optional<std::string_view> bearer_credentials(std::string_view header) {
  constexpr std::string_view kScheme = "bearer";
  if (header.size() <= kScheme.size() || header[kScheme.size()] != ' ') return std::nullopt;
  for (size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(header[i])) != kScheme[i]) return std::nullopt;
  }
  const size_t token = header.find_first_not_of(' ', kScheme.size());
  if (token == std::string_view::npos) return std::nullopt;
  return header.substr(token);
}

}  // namespace

std::optional<Reply> Service::authenticate_token(std::string_view presented, const std::string& peer,
                                                TokenInfo& holder) {
  auto found = tokens_->authenticate(presented);
  // A valid token gets through even from a limited address: one bad client behind a shared
  // address must not lock out everyone else (the 256-bit secrets are not guessable anyway).
  if (found.ok()) {
    holder = std::move(*found);
    return std::nullopt;
  }
  if (found.error().code != Code::kPermission) return Reply::from(found.error());  // the store failed
  const std::string bucket = failure_bucket(peer);
  if (limited(bucket)) {
    Reply r = Reply::error(429, "too_many_requests", "too many failed authentications; try again later");
    r.headers.emplace_back("Retry-After", "60");
    return r;
  }
  note_failure(bucket);
  Reply r = Reply::error(401, "unauthorized", "unauthorized");
  r.headers.emplace_back("WWW-Authenticate", "Bearer");
  return r;
}

// A bearer token in `Authorization`, else a session cookie (docs/portal.md §2). A session's
// token is authenticated again on every request, so a revoked token's sessions end with it.
std::optional<Reply> Service::authenticate(const Request& request, TokenInfo& token,
                                           std::optional<SessionStore::Session>& session) {
  if (const std::optional<std::string> header = request.header("authorization")) {
    const std::optional<std::string_view> credentials = bearer_credentials(*header);
    return authenticate_token(credentials.value_or(std::string_view()), request.peer, token);
  }
  if (const std::optional<std::string> id = session_cookie_of(request)) session = sessions_.use(*id);
  if (!session) return authenticate_token("", request.peer, token);
  std::optional<Reply> refused = authenticate_token(session->token, request.peer, token);
  if (refused) {
    sessions_.close_token(session->token);
    session.reset();
  }
  return refused;
}

namespace {

// A write made with a session cookie must carry the session's CSRF token, and, when the
// browser names the page's origin, come from closebookd's own (docs/portal.md §2). SameSite=
// Strict already keeps the cookie off other sites' requests; this holds where it does not.
bool same_origin_write(const Request& request, const SessionStore::Session& session) {
  const std::optional<std::string> csrf = request.header("x-csrf-token");
  return csrf && equal_in_constant_time(*csrf, session.csrf) && request.from_own_origin();
}

}  // namespace

Reply Service::dispatch(const Request& request) {
  // HEAD is GET without the body (RFC 9110 §9.3.2): the same route, role and headers.
  if (request.method == "HEAD") {
    Request get = request;
    get.method = "GET";
    Reply reply = dispatch(get);
    reply.body.clear();
    return reply;
  }
  // A CORS preflight carries no credentials: it is answered without them, and grants no other
  // origin anything (no Access-Control-Allow-* headers), since closebookd serves its pages
  // from its own origin (docs/api.md §1). A client with a token learns the path's methods.
  if (request.method == "OPTIONS") return options(request);
  if (request.body.size() > options_.max_body_bytes) {
    return Reply::error(413, "payload_too_large",
                        "the body is " + std::to_string(request.body.size()) + " bytes; at most " +
                            std::to_string(options_.max_body_bytes) + " are accepted");
  }
  std::vector<std::string> params;
  std::string allowed;
  const Route* route = match(request, params, allowed);
  TokenInfo token;
  std::optional<SessionStore::Session> session;
  if (route == nullptr || route->roles != 0) {
    // Authenticate before saying whether a path exists: anonymous clients learn nothing.
    if (auto refused = authenticate(request, token, session)) return std::move(*refused);
  }
  if (route == nullptr) {
    if (allowed.empty()) return Reply::error(404, "not_found", "no such endpoint: " + request.path.substr(0, 200));
    Reply r = Reply::error(405, "method_not_allowed", request.method + " is not allowed here; use " + allowed);
    r.headers.emplace_back("Allow", allowed);
    return r;
  }
  if (route->roles != 0 && (route->roles & role_bit(token.principal.role)) == 0) {
    return Reply::error(403, "forbidden", "the role " + token.principal.role_text() + " may not " + request.method +
                                              " " + route->pattern);
  }
  const bool write = request.method != "GET" && request.method != "HEAD" && request.method != "OPTIONS";
  if (write && session && !same_origin_write(request, *session)) {
    return Reply::error(403, "csrf", "a write made with a session cookie needs the session's X-CSRF-Token header, "
                                     "from closebookd's own origin");
  }
  if (write && route->roles != 0) {
    if (std::optional<unsigned> wait = writes_.take(token.id)) {
      Reply r = Reply::error(429, "too_many_requests",
                             "this token has made " + std::to_string(options_.writes_per_token_per_minute) +
                                 " writes in the last minute; nothing was written; try again in " +
                                 std::to_string(*wait) + " s");
      r.headers.emplace_back("Retry-After", std::to_string(*wait));
      return r;
    }
  }
  Call call{request, token, std::move(params), *this, session ? &*session : nullptr};
  Result<Reply> reply = route->handler(call);
  Reply out;
  if (reply.ok()) {
    out = std::move(*reply);
  } else {
    Error error = std::move(reply).error();
    error.field = api_field(error.field);
    out = Reply::from(error);
  }
  if (!token.id.empty()) {
    out.token_id = token.id;
    out.role = token.principal.role_text();
  }
  return out;
}

Reply Service::options(const Request& request) {
  std::vector<std::string> params;
  std::string allowed;
  (void)match(request, params, allowed);
  Reply r;
  r.status = 204;
  r.headers.emplace_back("Vary", "Origin");
  TokenInfo token;
  std::optional<SessionStore::Session> session;
  if (request.header("authorization") && !authenticate(request, token, session)) {
    if (allowed.empty()) return Reply::error(404, "not_found", "no such endpoint: " + request.path.substr(0, 200));
    if (allowed.find("GET") != std::string::npos) allowed += ", HEAD";
    r.headers.emplace_back("Allow", allowed + ", OPTIONS");
  }
  return r;
}

Reply Service::handle(const Request& request) {
  try {
    return negotiated(request, dispatch(request));
  } catch (const kj::Exception&) {
    // Cap'n Proto refused to read an entry: the ledger's fault, never the client's.
    return Reply::error(500, "internal", "a ledger entry could not be read");
  } catch (const std::exception&) {
    return Reply::error(500, "internal", "internal error");
  }
}

Result<std::string> Service::metrics_text() {
  CB_TRY(ledger::Snapshot snapshot, ledger_->snapshot());
  std::string out = metrics_.text();
  out += "# HELP closebook_ledger_entries Entries in the ledger.\n# TYPE closebook_ledger_entries gauge\n";
  out += "closebook_ledger_entries " + std::to_string(snapshot.size()) + "\n";
  CB_TRY(DecodedEntry last, snapshot.entry(snapshot.size() - 1));
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch()).count();
  const double age = static_cast<double>(now_ms - last.reader().getRecordedAt()) / 1000.0;
  out += "# HELP closebook_last_checkpoint_age_seconds Time since the latest checkpoint was signed.\n";
  out += "# TYPE closebook_last_checkpoint_age_seconds gauge\n";
  out += "closebook_last_checkpoint_age_seconds " + std::to_string(age) + "\n";
  std::lock_guard lock(gauges_mutex_);
  if (gauges_at_size_ != snapshot.size()) {
    std::map<std::string, uint64_t> open;
    CB_TRY(std::vector<uint64_t> raised, snapshot.lookup("kind", "exception"));
    std::set<std::string> periods;
    for (uint64_t i : raised) {
      CB_TRY(DecodedEntry e, snapshot.entry(i));
      periods.insert(e.reader().getKind().getException().getPeriod().cStr());
    }
    for (const std::string& period : periods) {
      CB_TRY(std::vector<match::ExceptionState> list, match::list_exceptions(snapshot, {period, {}, {}, {}}));
      for (const auto& e : list) {
        if (e.status == match::ExceptionStatus::OPEN || e.status == match::ExceptionStatus::ACKNOWLEDGED) {
          ++open[match::category_name(e.category)];
        }
      }
    }
    open_by_category_ = std::move(open);
    gauges_at_size_ = snapshot.size();
  }
  out += "# HELP closebook_open_exceptions Exceptions open or acknowledged, by category.\n";
  out += "# TYPE closebook_open_exceptions gauge\n";
  for (const auto& [category, n] : open_by_category_) {
    out += "closebook_open_exceptions{category=\"" + category + "\"} " + std::to_string(n) + "\n";
  }
  return out;
}

}  // namespace closebook::api
