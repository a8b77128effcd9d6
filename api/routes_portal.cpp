// The portal's pages (docs/portal.md): GET / is the page, GET /portal/{file} its script and
// style. They hold no data and need no token: everything they show comes from the API, which
// the page calls with the session cookie it signs in for (api/routes_session.cpp).
#include "api/portal.h"
#include "api/service.h"

namespace closebook::api {
namespace {

// Scripts and styles from closebookd only, no inline script, no framing by another site, no
// referrer leaving the page (ids in its URLs are the partner's business).
constexpr const char* kContentSecurityPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

Result<Reply> asset(std::string_view name) {
  for (const PortalAsset& a : portal_assets()) {
    if (a.name != name) continue;
    Reply r = Reply::text(200, std::string(a.content), std::string(a.media_type));
    r.headers.emplace_back("Content-Security-Policy", kContentSecurityPolicy);
    r.headers.emplace_back("X-Frame-Options", "DENY");
    r.headers.emplace_back("Referrer-Policy", "no-referrer");
    return r;
  }
  return Error::not_found("no such file of the portal: " + std::string(name.substr(0, 100)));
}

}  // namespace

std::vector<Route> portal_routes() {
  return {
      {"GET", "/", 0, [](Call&) { return asset("index.html"); }},
      {"GET", "/portal/{file}", 0, [](Call& call) { return asset(call.params[0]); }},
  };
}

}  // namespace closebook::api
