// The API's requests and replies, independent of the HTTP library: the Pistache adapter
// (api/server.cpp) fills a Request and sends a Reply, so every route, role check and error
// mapping lives in plain code.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "evidence/result.h"

namespace closebook::api {

using Json = nlohmann::ordered_json;

struct Request {
  std::string method;  // "GET", "POST", ...
  std::string path;    // percent-decoded, without the query
  std::vector<std::pair<std::string, std::string>> query;    // decoded, in order
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-case
  std::string body;
  std::string peer;  // client IP, for the access log and the auth-failure limit

  std::optional<std::string> header(std::string_view lower_name) const;
  // False when the request names an Origin other than closebookd's own (http:// or https://
  // and its Host): a browser's request from another site's page. True without an Origin.
  bool from_own_origin() const;
};

struct Reply {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  // Who asked, for the access log (never sent): the token's id and role, empty when none was valid.
  std::string token_id, role;

  static Reply json(int status, const Json& body);
  static Reply text(int status, std::string body, std::string content_type = "text/plain; charset=utf-8");
  // {"error": "<code>", "message": "..."} — what every 4xx and 5xx carries.
  static Reply error(int status, std::string_view code, std::string_view message);
  // An Error from the layers below, as the status its code means to a client.
  static Reply from(const Error& error);
};

class Metrics;

// What api::Server serves: closebookd's Service, or a witness (api/witness_service.h).
class RequestHandler {
 public:
  virtual ~RequestHandler() = default;
  // Thread-safe. Never throws: an unexpected failure is a 500 that names no internals.
  virtual Reply handle(const Request& request) = 0;
  // Names the route a request matched ("unmatched" otherwise), for metrics and the access log.
  virtual std::string route_of(const Request& request) const = 0;
  virtual Metrics& metrics() = 0;
};

// How much an Accept header wants `media_type` ("type/subtype", parameters ignored), in
// thousandths (RFC 9110 §12.5.1): the q of the most specific range that matches it
// (type/subtype, then type/*, then */*), 0 if none does, 1000 without the header. Empty list
// elements are allowed (a trailing comma); nullopt if a range or its q is malformed.
std::optional<int> accept_quality(std::string_view accept, std::string_view media_type);

// Percent-decodes a path or query component; nullopt if it is malformed or decodes to a NUL.
std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space);
// Splits "a=1&b=2" into decoded pairs; nullopt if any part is malformed.
std::optional<std::vector<std::pair<std::string, std::string>>> parse_query(std::string_view query);

}  // namespace closebook::api
