// docs/api.yaml matches the server: every documented operation exists with the documented
// roles, every route is documented, and a walk of every operation against a live closebookd
// gets only responses the document lists.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <set>

#include "api/service.h"
#include "tests/api_fixture.h"

namespace closebook::test {
namespace {

const char* const kMethods[] = {"get", "post", "patch", "put", "delete"};

YAML::Node spec() { return YAML::LoadFile(source_dir() + "/docs/api.yaml"); }

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::set<std::string> documented_roles(const YAML::Node& operation) {
  std::set<std::string> roles;
  for (const auto& r : operation["x-roles"]) roles.insert(r.as<std::string>());
  return roles;
}

std::set<std::string> route_roles(api::Roles roles) {
  const std::pair<api::Role, const char*> names[] = {{api::Role::kAdmin, "admin"}, {api::Role::kOps, "ops"},
                                                     {api::Role::kFinance, "finance"}, {api::Role::kGl, "gl"},
                                                     {api::Role::kAuditor, "auditor"}, {api::Role::kPartner, "partner"}};
  std::set<std::string> out;
  for (const auto& [role, name] : names) {
    if (roles & api::role_bit(role)) out.insert(name);
  }
  return out;
}

TEST(ApiSpec, EveryRouteIsDocumentedWithItsRolesAndNothingElseIs) {
  const YAML::Node doc = spec();
  EXPECT_EQ(doc["openapi"].as<std::string>().substr(0, 2), "3.");
  std::set<std::string> documented;
  for (const auto& path : doc["paths"]) {
    for (const char* method : kMethods) {
      if (path.second[method]) documented.insert(upper(method) + " " + path.first.as<std::string>());
    }
  }
  std::set<std::string> served;
  for (const api::Route& route : api::all_routes()) {
    const std::string key = route.method + " " + route.pattern;
    served.insert(key);
    ASSERT_TRUE(documented.count(key)) << key << " is served but not in docs/api.yaml";
    std::string lower = route.method;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const YAML::Node operation = doc["paths"][route.pattern][lower];
    EXPECT_EQ(documented_roles(operation), route_roles(route.roles)) << key;
  }
  for (const std::string& key : documented) EXPECT_TRUE(served.count(key)) << key << " is documented but not served";
}

// Every operation has an operationId, unique, in lowerCamelCase (what client generators name
// methods by), and tags from the document's own list (what they group them by).
TEST(ApiSpec, EveryOperationHasAUniqueOperationIdAndDeclaredTags) {
  const YAML::Node doc = spec();
  std::set<std::string> declared, ids;
  for (const auto& tag : doc["tags"]) declared.insert(tag["name"].as<std::string>());
  ASSERT_FALSE(declared.empty());
  std::set<std::string> used;
  for (const auto& path : doc["paths"]) {
    for (const char* method : kMethods) {
      const YAML::Node operation = path.second[method];
      if (!operation) continue;
      const std::string key = upper(method) + " " + path.first.as<std::string>();
      ASSERT_TRUE(operation["operationId"]) << key << " has no operationId";
      const std::string id = operation["operationId"].as<std::string>();
      EXPECT_TRUE(!id.empty() && std::islower(static_cast<unsigned char>(id[0])) &&
                  std::all_of(id.begin(), id.end(), [](unsigned char c) { return std::isalnum(c); }))
          << key << ": " << id;
      EXPECT_TRUE(ids.insert(id).second) << key << ": operationId " << id << " is used twice";
      ASSERT_TRUE(operation["tags"] && operation["tags"].size() > 0) << key << " has no tags";
      for (const auto& tag : operation["tags"]) {
        EXPECT_TRUE(declared.count(tag.as<std::string>())) << key << ": tag " << tag.as<std::string>() << " is not declared";
        used.insert(tag.as<std::string>());
      }
    }
  }
  EXPECT_EQ(used, declared) << "every declared tag is used";
}

// A request for the operation from its examples: path parameters, required query parameters
// and headers, and the body.
HttpRequest example_request(const std::string& method, std::string path, const YAML::Node& operation) {
  HttpRequest request;
  request.method = upper(method);
  std::string query;
  for (const auto& p : operation["parameters"]) {
    const std::string name = p["name"].as<std::string>(), in = p["in"].as<std::string>();
    const bool required = p["required"] && p["required"].as<bool>();
    if (!p["example"] || (!required && in != "path")) continue;
    const std::string value = p["example"].as<std::string>();
    if (in == "path") path.replace(path.find("{" + name + "}"), name.size() + 2, value);
    if (in == "query") query += (query.empty() ? "?" : "&") + name + "=" + value;
    if (in == "header") request.headers.emplace_back(name, value);
  }
  request.target = path + query;
  if (const YAML::Node body = operation["requestBody"]) {
    YAML::Emitter out;
    out << YAML::DoubleQuoted << YAML::Flow << body["content"]["application/json"]["example"];
    request.body = out.c_str();
    request.content_type = "application/json";
  }
  return request;
}

void replace_all(std::string& text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
}

TEST_F(ApiTest, EveryDocumentedOperationAnswersOnlyAsDocumented) {
  ASSERT_EQ(sign_off_over_http().status, 201);
  issue_invoices();
  // The examples' placeholder ids stand for a real line of P001 and a real exception.
  const std::string line = json(get("auditor", "/v1/invoices/INV-2026-10-P001"))["items"][0]["line_id"];
  const std::string exception =
      json(get("auditor", "/v1/exceptions?period=2026-10&category=TIMING"))["exceptions"][0]["exception_id"];
  ASSERT_EQ(send("finance", "POST", "/v1/journal", R"({"period": "2026-10"})").status, 201);
  // With its example, every operation succeeds but the sign-off and its statement: the period
  // is signed already.
  const std::set<std::string> fails_by_design = {"POST /v1/periods/{period}/signoff",
                                                 "GET /v1/periods/{period}/statement",
                                                 "GET /v1/disputes/{id}"};  // the walk's ledger holds no dispute
  const YAML::Node doc = spec();
  int walked = 0;
  for (const auto& path : doc["paths"]) {
    for (const char* method : kMethods) {
      const YAML::Node operation = path.second[method];
      if (!operation) continue;
      HttpRequest request = example_request(method, path.first.as<std::string>(), operation);
      for (std::string* text : {&request.target, &request.body}) {
        replace_all(*text, "PL-2026-10-000000000000", line);
        replace_all(*text, "EX-2026-10-TIMING-00000000", exception);
        replace_all(*text, "cbt_EXAMPLE", token("partner:P001"));
      }
      const std::string operation_name = upper(method) + " " + path.first.as<std::string>();
      const std::set<std::string> roles = documented_roles(operation);
      if (!roles.empty()) request.token = token(roles.count("admin") ? "admin" : "partner:P001");
      if (!request.body.empty()) {
        EXPECT_FALSE(Json::parse(request.body, nullptr, false).is_discarded()) << "example is not JSON: " << request.body;
      }
      const HttpResponse r = http(port_, request);
      const std::string what = request.method + " " + request.target + " " + request.body;
      ASSERT_NE(r.status, 0) << what;
      EXPECT_TRUE(operation["responses"][std::to_string(r.status)]) << what << " answered " << r.status << ": " << r.body;
      if (r.status >= 400) {
        const Json error = json(r);
        EXPECT_TRUE(error.contains("error") && error.contains("message")) << what << ": " << r.body;
      } else if (r.header("content-type") == "application/json") {
        EXPECT_FALSE(Json::parse(r.body, nullptr, false).is_discarded()) << what;
      }
      if (fails_by_design.count(operation_name)) {
        EXPECT_GE(r.status, 400) << what;
      } else {
        EXPECT_LT(r.status, 300) << what << " answered " << r.status << ": " << r.body.substr(0, 300);
      }
      ++walked;
    }
  }
  EXPECT_EQ(walked, static_cast<int>(api::all_routes().size()));
}

}  // namespace
}  // namespace closebook::test
