#include "api/witness_service.h"

namespace closebook::api {

std::string WitnessService::route_of(const Request& request) const {
  if (request.path == "/add-checkpoint" || request.path == "/healthz") return request.path;
  return "unmatched";
}

Reply WitnessService::handle(const Request& request) {
  if (request.path == "/healthz" && request.method == "GET") return Reply::text(200, "ok\n");
  if (request.path != "/add-checkpoint") return Reply::text(404, "no such endpoint: a witness answers POST /add-checkpoint\n");
  if (request.method != "POST") {
    Reply r = Reply::text(405, "add-checkpoint is a POST\n");
    r.headers.emplace_back("Allow", "POST");
    return r;
  }
  const witness::Answer a = witness_->add_checkpoint(request.body);
  return Reply::text(a.status, a.body, a.content_type);
}

}  // namespace closebook::api
