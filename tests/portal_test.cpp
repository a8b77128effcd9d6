// The portal's server side (docs/portal.md): its pages served by closebookd with a strict
// Content-Security-Policy and no token; the session cookie a page signs in for; CSRF-safe
// writes; revocation ending sessions; and the margin the ops page charts, provisional for an
// open period. The pages themselves are tested in a real browser (tests/browser/).
#include <gtest/gtest.h>

#include "match/config.h"
#include "tests/api_fixture.h"

namespace closebook::test {
namespace {

HttpRequest request(std::string method, std::string target, std::string body = "",
                    std::vector<std::pair<std::string, std::string>> headers = {}) {
  HttpRequest r;
  r.method = std::move(method);
  r.target = std::move(target);
  r.body = std::move(body);
  r.headers = std::move(headers);
  return r;
}

// The cookie's "name=value" from a Set-Cookie header.
std::string cookie_of(const HttpResponse& r) {
  const std::string set = r.header("set-cookie");
  return set.substr(0, set.find(';'));
}

TEST_F(ApiTest, PortalPagesAreServedWithoutATokenUnderAStrictContentSecurityPolicy) {
  const HttpResponse page = http(port_, request("GET", "/"));
  ASSERT_EQ(page.status, 200) << page.body;
  EXPECT_EQ(page.header("content-type"), "text/html; charset=utf-8");
  EXPECT_NE(page.body.find("/portal/app.js"), std::string::npos);
  EXPECT_NE(page.header("content-security-policy").find("script-src 'self'"), std::string::npos);
  EXPECT_NE(page.header("content-security-policy").find("frame-ancestors 'none'"), std::string::npos);
  const HttpResponse script = http(port_, request("GET", "/portal/app.js"));
  EXPECT_EQ(script.status, 200);
  EXPECT_EQ(script.header("content-type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(http(port_, request("GET", "/portal/style.css")).header("content-type"), "text/css; charset=utf-8");
  const HttpResponse missing = http(port_, request("GET", "/portal/secrets.txt"));
  EXPECT_EQ(missing.status, 404);
  EXPECT_TRUE(json(missing).contains("error"));
}

TEST_F(ApiTest, ASessionCookieSignsInAndItsWritesNeedItsCsrfTokenFromTheSameOrigin) {
  const HttpResponse signed_in = http(port_, request("POST", "/v1/session", R"({"token": ")" + token("partner:P001") + R"("})"));
  ASSERT_EQ(signed_in.status, 201) << signed_in.body;
  const std::string set = signed_in.header("set-cookie");
  for (const char* attribute : {"HttpOnly", "SameSite=Strict", "Secure", "Path=/"}) {
    EXPECT_NE(set.find(attribute), std::string::npos) << set;
  }
  EXPECT_EQ(set.find(token("partner:P001")), std::string::npos) << "the cookie is not the token";
  const std::string cookie = cookie_of(signed_in), csrf = json(signed_in)["csrf_token"];
  EXPECT_EQ(json(signed_in)["role"], "partner:P001");
  // Reads with the cookie are the token's reads: the partner's own periods only.
  const HttpResponse who = http(port_, request("GET", "/v1/session", "", {{"Cookie", "a=b; " + cookie}}));
  ASSERT_EQ(who.status, 200) << who.body;
  EXPECT_EQ(json(who)["csrf_token"], csrf);
  EXPECT_EQ(http(port_, request("GET", "/v1/exceptions?period=2026-10", "", {{"Cookie", cookie}})).status, 403);
  // A write without the CSRF token, with another session's, or from another origin, is refused
  // and writes nothing.
  const uint64_t size = ledger_size();
  const std::string dispute = R"({"line_id": "PL-2026-10-x", "reason": "r", "amount": "1.00"})";
  for (const auto& headers : std::vector<std::vector<std::pair<std::string, std::string>>>{
           {{"Cookie", cookie}},
           {{"Cookie", cookie}, {"X-CSRF-Token", std::string(csrf.size(), '0')}},
           {{"Cookie", cookie}, {"X-CSRF-Token", csrf}, {"Origin", "https://evil.example"}}}) {
    const HttpResponse r = http(port_, request("POST", "/v1/disputes", dispute, headers));
    EXPECT_EQ(r.status, 403) << r.body;
    EXPECT_EQ(json(r)["error"], "csrf");
  }
  EXPECT_EQ(ledger_size(), size);
  // With it, the write reaches its handler (which refuses the made-up line as not found).
  EXPECT_EQ(http(port_, request("POST", "/v1/disputes", dispute,
                                {{"Cookie", cookie}, {"X-CSRF-Token", csrf}, {"Origin", "http://127.0.0.1"}})).status, 404);
  // Signing out ends the session on the server, whatever the browser keeps.
  ASSERT_EQ(http(port_, request("DELETE", "/v1/session", "", {{"Cookie", cookie}, {"X-CSRF-Token", csrf}})).status, 200);
  EXPECT_EQ(http(port_, request("GET", "/v1/session", "", {{"Cookie", cookie}})).status, 401);
}

TEST_F(ApiTest, SignInRefusesABadTokenAnotherOriginAndAForm) {
  EXPECT_EQ(http(port_, request("POST", "/v1/session", R"({"token": "cbt_0000000000000000_00"})")).status, 401);
  EXPECT_EQ(http(port_, request("POST", "/v1/session", R"({"token": ")" + token("ops") + R"("})",
                                {{"Origin", "https://evil.example"}})).status, 403);
  HttpRequest form = request("POST", "/v1/session", "token=" + token("ops"));
  form.content_type = "application/x-www-form-urlencoded";
  EXPECT_EQ(http(port_, form).status, 415);
  EXPECT_EQ(http(port_, request("POST", "/v1/session", R"({"token": "x", "remember": true})")).status, 400);
  // A made-up session cookie is no credential.
  EXPECT_EQ(http(port_, request("GET", "/v1/session", "", {{"Cookie", "closebook_session=00"}})).status, 401);
}

TEST_F(ApiTest, RevokingATokenEndsItsSessionsAtTheNextRequest) {
  const HttpResponse signed_in = http(port_, request("POST", "/v1/session", R"({"token": ")" + token("ops") + R"("})"));
  ASSERT_EQ(signed_in.status, 201);
  const std::string cookie = cookie_of(signed_in);
  ASSERT_EQ(http(port_, request("GET", "/v1/exceptions?period=2026-10", "", {{"Cookie", cookie}})).status, 200);
  ASSERT_EQ(cli({"tokens", "revoke", token("ops").substr(4, 16)}).exit_code, 0);
  EXPECT_EQ(http(port_, request("GET", "/v1/exceptions?period=2026-10", "", {{"Cookie", cookie}})).status, 401);
}

// While pricing is current, the provisional margin (priced in memory) is the recorded one: an
// independent path to the same numbers. Once signed, the period answers from its record only.
TEST_F(ApiTest, MarginIsProvisionalWhileThePeriodCanBePricedAndRecordedOnceSigned) {
  for (const char* by : {"partner", "sku"}) {
    const Json provisional = json(get("ops", std::string("/v1/periods/2026-10/margin?by=") + by));
    const Json recorded = json(get("ops", std::string("/v1/periods/2026-10/margin?basis=ledger&by=") + by));
    EXPECT_EQ(provisional["basis"], "provisional");
    EXPECT_EQ(recorded["basis"], "ledger");
    ASSERT_FALSE(recorded["rows"].empty());
    EXPECT_EQ(provisional["rows"], recorded["rows"]) << by;
    EXPECT_EQ(provisional["totals"], recorded["totals"]) << by;
  }
  const uint64_t size = ledger_size();
  EXPECT_EQ(get("ops", "/v1/periods/2026-10/margin").status, 200);
  EXPECT_EQ(ledger_size(), size) << "provisional pricing writes nothing";
  EXPECT_EQ(get("partner:P001", "/v1/periods/2026-10/margin").status, 403);
  EXPECT_EQ(get("ops", "/v1/periods/2026-10/margin?by=tenant").status, 400);
  ASSERT_EQ(sign_off_over_http().status, 201);
  EXPECT_EQ(json(get("ops", "/v1/periods/2026-10/margin"))["basis"], "ledger");
  EXPECT_EQ(get("ops", "/v1/periods/2026-10/margin?basis=provisional").status, 409);
}

// The seller a printed tax invoice names: an ABN passes the ATO's check digits or is refused,
// naming the field. 51 824 753 556 is the ATO's own ABN, as published.
TEST(SellerConfigTest, AnAbnMustPassTheAtoCheckDigits) {
  EXPECT_EQ(match::parse_abn("51824753556").value(), "51 824 753 556");
  EXPECT_EQ(match::parse_abn("51 824 753 556").value(), "51 824 753 556");
  for (const char* bad : {"51 824 753 557", "61 824 753 556", "5182475355", "518247535561", "51-824-753-556", ""}) {
    EXPECT_FALSE(match::parse_abn(bad).ok()) << bad;
  }
  const auto ok = match::CloseConfig::parse("c.json", R"({"seller": {"name": "D Pty Ltd", "abn": "51824753556"}})");
  ASSERT_TRUE(ok.ok()) << ok.error().to_string();
  EXPECT_EQ(ok->seller.abn, "51 824 753 556");
  EXPECT_TRUE(match::CloseConfig::defaults().seller.name.empty());
  const std::pair<const char*, const char*> refused[] = {
      {R"({"seller": {"name": "D", "abn": "51 824 753 557"}})", "seller.abn"},
      {R"({"seller": {"abn": "51824753556"}})", "seller.name"},
      {R"({"seller": {"name": "D", "abn": "51824753556", "tax": 1}})", "seller"},
      {R"({"seller": "D"})", "seller"}};
  for (const auto& [json, field] : refused) {
    const auto c = match::CloseConfig::parse("c.json", json);
    ASSERT_FALSE(c.ok()) << json;
    EXPECT_NE(c.error().to_string().find(field), std::string::npos) << c.error().to_string();
  }
}

}  // namespace
}  // namespace closebook::test
