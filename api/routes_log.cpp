// The log interface over HTTP (docs/ledger.md §9): checkpoints, entries and RFC 9162 proofs, in the
// same documents as `closebook log` (docs/ledger.md §9).
#include "api/body.h"
#include "api/service.h"
#include "close/views.h"
#include "evidence/checkpoint.h"

namespace closebook::api {
namespace {

bool wants(const Request& request, std::string_view media) {
  return request.header("accept").value_or("").find(media) != std::string::npos;
}

Result<Reply> checkpoint(Call& call) {
  CB_TRY(QueryArgs q, QueryArgs::parse(call.request, {"size", "format"}));
  CB_TRY(std::optional<uint64_t> size, q.number("size"));
  const std::string format = q.get("format").value_or(wants(call.request, "text/plain") ? "note" : "json");
  if (format != "json" && format != "note") return Error::invalid("must be json or note").in_field("format");
  CB_TRY(ledger::Snapshot snapshot, call.service.snapshot());
  CB_TRY(std::string note, snapshot.checkpoint(size.value_or(snapshot.size())));
  if (format == "note") return Reply::text(200, note);
  CB_TRY(Checkpoint head, Checkpoint::parse(note.substr(0, note.find("\n\n") + 1)));
  return Reply::json(200, {{"origin", head.origin}, {"size", head.size}, {"root_hash", to_hex(head.root)},
                           {"note", note}});
}

Result<Reply> entry(Call& call) {
  CB_TRY(QueryArgs q, QueryArgs::parse(call.request, {"format"}));
  const std::string format = q.get("format").value_or("json");
  if (format != "json" && format != "raw") return Error::invalid("must be json or raw").in_field("format");
  CB_TRY(uint64_t index, parse_number(call.params[0], "index"));
  CB_TRY(ledger::Snapshot snapshot, call.service.snapshot());
  CB_TRY(DecodedEntry e, snapshot.entry(index));
  if (format == "raw") return Reply::text(200, std::string(e.bytes()), "application/octet-stream");
  return Reply::json(200, {{"index", index}, {"hash", to_hex(e.hash())}, {"kind", kind_name(e.reader())},
                           {"base64", to_base64(as_bytes(e.bytes()))},
                           {"entry", Json::parse(entry_json(e.reader()))}});
}

Result<Reply> inclusion(Call& call) {
  CB_TRY(QueryArgs q, QueryArgs::parse(call.request, {"index", "size"}));
  CB_TRY(uint64_t index, q.required_number("index"));
  CB_TRY(std::optional<uint64_t> size, q.number("size"));
  CB_TRY(ledger::Snapshot snapshot, call.service.snapshot());
  CB_TRY(Json proof, close::inclusion_proof_json(snapshot, index, size.value_or(snapshot.size())));
  return Reply::json(200, proof);
}

Result<Reply> consistency(Call& call) {
  CB_TRY(QueryArgs q, QueryArgs::parse(call.request, {"old_size", "size"}));
  CB_TRY(uint64_t old_size, q.required_number("old_size"));
  CB_TRY(std::optional<uint64_t> size, q.number("size"));
  CB_TRY(ledger::Snapshot snapshot, call.service.snapshot());
  CB_TRY(Json proof, close::consistency_proof_json(snapshot, old_size, size.value_or(snapshot.size())));
  return Reply::json(200, proof);
}

}  // namespace

std::vector<Route> log_routes() {
  // Checkpoints and proofs are hashes only: every role may have them, partners included, to
  // check what they were given. Entries carry other partners' data: staff only.
  return {
      {"GET", "/v1/checkpoint", kAnyRole, checkpoint},
      {"GET", "/v1/entries/{index}", kStaff, entry},
      {"GET", "/v1/proof/inclusion", kAnyRole, inclusion},
      {"GET", "/v1/proof/consistency", kAnyRole, consistency},
  };
}

}  // namespace closebook::api
