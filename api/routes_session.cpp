// Signing a browser in and out (docs/portal.md §2): POST /v1/session exchanges an API token for
// a session cookie, GET /v1/session says who the session is and gives the page its CSRF token,
// DELETE /v1/session ends it.
#include <chrono>

#include "api/body.h"
#include "api/service.h"

namespace closebook::api {
namespace {


std::string session_cookie(const Service& service, const std::string& value, bool expire) {
  std::string cookie = std::string(kSessionCookie) + "=" + value + "; Path=/; HttpOnly; SameSite=Strict";
  if (service.options().secure_cookies) cookie += "; Secure";
  if (expire) cookie += "; Max-Age=0";
  return cookie;
}

Json who(const TokenInfo& token) {
  Json out{{"token_id", token.id}, {"name", token.name}, {"role", token.principal.role_text()}};
  if (token.principal.role == Role::kPartner) out["partner_id"] = token.principal.partner_id;
  return out;
}

Result<Reply> sign_in(Call& call) {
  // A cross-site request must not sign the victim's browser in as someone else.
  if (!call.request.from_own_origin()) return Reply::error(403, "csrf", "sign in from closebookd's own pages");
  API_BODY(body, call.request);
  CB_TRY(std::string presented, body.string("token", true, 200));
  CB_CHECK(body.finish());
  TokenInfo holder;
  if (auto refused = call.service.authenticate_token(presented, call.request.peer, holder)) return std::move(*refused);
  const SessionStore::Opened opened = call.service.sessions().open(presented);
  const auto& limits = call.service.options().session_limits;
  Json out = who(holder);
  out["csrf_token"] = opened.csrf;
  out["idle_seconds"] = limits.idle.count();
  out["lifetime_seconds"] = limits.lifetime.count();
  Reply r = Reply::json(201, out);
  r.headers.emplace_back("Set-Cookie", session_cookie(call.service, opened.id, false));
  r.token_id = holder.id;
  r.role = holder.principal.role_text();
  return r;
}

Result<Reply> session(Call& call) {
  Json out = who(call.token);
  out["csrf_token"] = call.session ? Json(call.session->csrf) : Json(nullptr);
  return Reply::json(200, out);
}

Result<Reply> sign_out(Call& call) {
  if (const auto id = session_cookie_of(call.request)) call.service.sessions().close(*id);
  Reply r = Reply::json(200, {{"signed_out", call.session != nullptr}});
  r.headers.emplace_back("Set-Cookie", session_cookie(call.service, "", true));
  return r;
}

}  // namespace

std::vector<Route> session_routes() {
  return {
      {"POST", "/v1/session", 0, sign_in},  // the body's token is the credential
      {"GET", "/v1/session", kAnyRole, session},
      {"DELETE", "/v1/session", kAnyRole, sign_out},
  };
}

}  // namespace closebook::api
