// closebookd's request handling, independent of the HTTP library: routing, bearer-token
// authentication with a limit on failures, role checks, and the routes themselves, which call
// the close's operations (close/, match/) and write through the same planned append as the CLI.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "api/http.h"
#include "api/metrics.h"
#include "api/rate_limit.h"
#include "api/sessions.h"
#include "api/tokens.h"
#include "evidence/note.h"
#include "ledger/append_planned.h"
#include "ledger/ledger.h"
#include "match/config.h"

namespace closebook::api {

struct ServiceOptions {
  match::CloseConfig config = match::CloseConfig::defaults();
  // Failed authentications a client address (an IPv6 /64) may make in a minute before its
  // further failures are refused with 429 for the rest of that minute; valid tokens still pass.
  unsigned auth_failures_per_minute = 20;
  // Writes (POST, PUT, PATCH, DELETE) one token may make in a minute, in a burst or spread out;
  // more get 429 with Retry-After. Every write is an entry for ever, so a runaway client is
  // stopped here, before it reaches the ledger.
  unsigned writes_per_token_per_minute = 120;
  // The largest request body (a sign-off is a few KiB); a larger one is a 413.
  size_t max_body_bytes = size_t{1} << 20;
  // Session cookies carry `Secure` (sent over HTTPS only: closebookd behind a TLS proxy, §1).
  // Browsers treat http://127.0.0.1 and http://localhost as secure too, so loopback works.
  bool secure_cookies = true;
  SessionStore::Limits session_limits;
};

class Service;

// One routed request: who sent it and the pattern's parameters, in order.
struct Call {
  const Request& request;
  const TokenInfo& token;
  std::vector<std::string> params;
  Service& service;
  // The browser session the request came with (docs/portal.md §2), or null for a bearer token.
  const SessionStore::Session* session = nullptr;
  bool is_partner() const { return token.principal.role == Role::kPartner; }
  const std::string& partner_id() const { return token.principal.partner_id; }
  // Who made a change, as the ledger records it: "<token name> (<role>)".
  std::string actor() const { return token.name + " (" + token.principal.role_text() + ")"; }
};

// A route's work; an Error becomes the 4xx or 5xx its code means (Reply::from).
using Handler = std::function<Result<Reply>(Call&)>;

// Roles as a bit set.
using Roles = unsigned;
constexpr Roles role_bit(Role r) { return 1u << static_cast<unsigned>(r); }
inline constexpr Roles kAnyRole = ~0u;
inline constexpr Roles kStaff = role_bit(Role::kAdmin) | role_bit(Role::kOps) | role_bit(Role::kFinance) |
                                role_bit(Role::kAuditor);

struct Route {
  std::string method;
  std::string pattern;  // "/v1/invoices/{id}": a {name} segment matches one non-empty segment
  Roles roles = 0;      // 0: no authentication (healthz)
  Handler handler;
};

class Service : public RequestHandler {
 public:
  Service(std::unique_ptr<ledger::Ledger> ledger, std::unique_ptr<TokenStore> tokens, SigningKey log_key,
          ServiceOptions options);

  Reply handle(const Request& request) override;
  std::string route_of(const Request& request) const override;

  Result<ledger::Snapshot> snapshot() const { return ledger_->snapshot(); }
  const ledger::Ledger& ledger() const { return *ledger_; }
  const match::CloseConfig& config() const { return options_.config; }
  Metrics& metrics() override { return metrics_; }
  // Witness cosignatures for the checkpoint of `size` (Ledger::add_cosignatures).
  Status add_cosignatures(uint64_t size, const std::vector<NoteSignature>& cosignatures) {
    return ledger_->add_cosignatures(size, cosignatures);
  }

  SessionStore& sessions() { return sessions_; }
  const ServiceOptions& options() const { return options_; }
  // The holder of a bearer token presented by `peer`, or the 401 or 429 to send; failures count
  // towards the peer's limit (§2 of docs/api.md) wherever the token was presented.
  std::optional<Reply> authenticate_token(std::string_view token, const std::string& peer, TokenInfo& holder);

  // Appends through ledger::append_planned, one writer at a time within this server (another
  // process may still write: the planned size then catches the race and the plan is redone).
  template <class Plan>
  Result<std::pair<Plan, ledger::AppendReceipt>> write(
      const std::function<Result<Plan>(const ledger::Snapshot&)>& plan_fn,
      const std::function<void(Plan&, const SigningKey&)>& finish = nullptr) {
    // Bounded like the ledger's own writer lock: behind a stuck write, requests get 503s, not
    // an ever longer queue that ties up every worker.
    std::unique_lock lock(write_mutex_, std::defer_lock);
    if (!lock.try_lock_for(ledger::AppendOptions{}.writer_wait)) {
      return Error::busy("another request has held the ledger's writer too long; nothing was written");
    }
    CB_TRY(Plan plan, ledger::plan_on_latest(*ledger_, plan_fn));
    return ledger::append_planned(*ledger_, log_key_, std::move(plan), plan_fn, finish);
  }

  // The ledger's gauges and the request metrics, in Prometheus text format.
  Result<std::string> metrics_text();

 private:
  Reply dispatch(const Request& request);
  Reply options(const Request& request);  // OPTIONS, a CORS preflight among them
  const Route* match(const Request& request, std::vector<std::string>& params, std::string& allowed) const;
  // nullopt if the client may go on; otherwise the 401 or 429 to send.
  std::optional<Reply> authenticate(const Request& request, TokenInfo& token,
                                    std::optional<SessionStore::Session>& session);
  bool limited(const std::string& bucket);
  void note_failure(const std::string& bucket);

  std::unique_ptr<ledger::Ledger> ledger_;
  std::unique_ptr<TokenStore> tokens_;
  SigningKey log_key_;
  ServiceOptions options_;
  std::vector<Route> routes_;
  Metrics metrics_;
  std::timed_mutex write_mutex_;
  RateLimiter writes_;
  SessionStore sessions_;

  struct Failures {
    std::chrono::steady_clock::time_point window_start;
    unsigned count = 0;
  };
  std::mutex failures_mutex_;
  std::map<std::string, Failures> failures_;

  // Open exceptions by category, recomputed only when the ledger has grown.
  std::mutex gauges_mutex_;
  uint64_t gauges_at_size_ = UINT64_MAX;
  std::map<std::string, uint64_t> open_by_category_;
};

// Every route the server has (docs/api.yaml documents each).
std::vector<Route> all_routes();
// The routes, in api/routes_*.cpp.
std::vector<Route> log_routes();
std::vector<Route> close_routes();
std::vector<Route> write_routes();
std::vector<Route> session_routes();
std::vector<Route> portal_routes();

}  // namespace closebook::api
