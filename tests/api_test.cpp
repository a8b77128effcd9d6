// closebookd over real HTTP on 127.0.0.1: authentication and roles, partner isolation, the log
// interface, sign-off with a key the server never saw, idempotent journal acks under
// concurrent retries, disputes, bundles that closebook-verify accepts, and what bad requests
// get — always a 4xx naming the problem, and the ledger exactly as it was.
#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>

#include "evidence/checkpoint.h"
#include "close/signoff.h"
#include "evidence/merkle.h"
#include "tests/api_fixture.h"

namespace closebook::test {
namespace {

const std::string kVerify = CLOSEBOOK_VERIFY_BIN;

std::string close_sign(const std::string& statement, const SigningKey& key) {
  return close::sign_statement(statement, key).value();
}

TEST_F(ApiTest, HealthzIsOpenAndEverythingElseNeedsAValidToken) {
  EXPECT_EQ(get("", "/healthz").status, 200);
  const HttpResponse none = get("", "/v1/checkpoint");
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(none.header("www-authenticate"), "Bearer");
  EXPECT_EQ(json(none)["message"], "unauthorized");  // no detail
  // A wrong secret for a real id, a malformed token and another scheme all look the same.
  std::string wrong = token("auditor");
  wrong.back() = wrong.back() == '0' ? '1' : '0';
  for (const std::string& header : {"Bearer " + wrong, std::string("Bearer cbt_nonsense"), "Basic " + token("auditor")}) {
    const HttpResponse r = http(port_, {"GET", "/v1/checkpoint", "", "", "", {{"Authorization", header}}});
    EXPECT_EQ(r.status, 401) << header;
    EXPECT_EQ(r.body, none.body);
  }
  // The scheme is case-insensitive, and spaces may follow it (RFC 7235 §2.1).
  for (const std::string scheme : {"bearer ", "BEARER ", "Bearer   "}) {
    const HttpResponse r = http(port_, {"GET", "/v1/checkpoint", "", "", "", {{"Authorization", scheme + token("auditor")}}});
    EXPECT_EQ(r.status, 200) << scheme;
  }
  EXPECT_EQ(http(port_, {"GET", "/v1/checkpoint", "", "", "", {{"Authorization", "Bearer" + token("auditor")}}}).status, 401);
  // Unknown paths are not revealed to anonymous clients either.
  EXPECT_EQ(get("", "/v1/no-such-thing").status, 401);
  EXPECT_EQ(get("auditor", "/v1/checkpoint").status, 200);
  // Revoked with the CLI while the server runs: refused at once.
  const std::string id = token("auditor").substr(4, 16);
  ASSERT_EQ(cli({"tokens", "revoke", id}).exit_code, 0);
  EXPECT_EQ(get("auditor", "/v1/checkpoint").status, 401);
  const RunResult list = cli({"tokens", "list"});
  EXPECT_NE(list.out.find(id + "  auditor                 revoked"), std::string::npos) << list.out;
  // Only hashes are stored: no token appears in the store's file.
  const std::string store = read_text(dir_ + "/tokens.mdb");
  for (const auto& [role, t] : tokens_) EXPECT_EQ(store.find(t.substr(21)), std::string::npos) << role;
}

TEST_F(ApiTest, RepeatedAuthFailuresFromOneAddressAreRateLimited) {
  ASSERT_EQ(stop_daemon(), 0);
  start_daemon({"--auth-failures-per-minute", "3"});
  for (int i = 0; i < 3; ++i) EXPECT_EQ(http(port_, {"GET", "/v1/checkpoint", "cbt_bad", "", "", {}}).status, 401);
  const HttpResponse limited = http(port_, {"GET", "/v1/checkpoint", "cbt_bad", "", "", {}});
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(limited.header("retry-after"), "60");
  EXPECT_EQ(http(port_, {"GET", "/v1/checkpoint", "cbt_bad", "", "", {}}).status, 429) << "for the rest of the minute";
  EXPECT_EQ(get("auditor", "/v1/checkpoint").status, 200) << "a valid token from the same address still gets through";
  EXPECT_EQ(get("", "/healthz").status, 200);
}

TEST_F(ApiTest, CheckpointsAndProofsVerifyAgainstTheLogKey) {
  const HttpResponse note = get("partner:P001", "/v1/checkpoint?format=note");
  ASSERT_EQ(note.status, 200) << note.body;
  EXPECT_EQ(note.body, cli({"log", "checkpoint"}).out);
  auto head = open_checkpoint(note.body, log_key_.verifier());
  ASSERT_TRUE(head.ok()) << head.error().to_string();
  const Json cp = json(get("auditor", "/v1/checkpoint"));
  EXPECT_EQ(cp["size"], head->checkpoint.size);
  EXPECT_EQ(cp["root_hash"], to_hex(head->checkpoint.root));
  EXPECT_EQ(http(port_, {"GET", "/v1/checkpoint", token("gl"), "", "", {{"Accept", "text/plain"}}}).body, note.body);

  const uint64_t size = head->checkpoint.size, index = size / 2;
  const Json inclusion = json(get("auditor", "/v1/proof/inclusion?index=" + std::to_string(index) + "&size=" + std::to_string(size)));
  EXPECT_EQ(inclusion, Json::parse(cli({"log", "prove", "inclusion", std::to_string(index), "--size", std::to_string(size)}).out));
  std::vector<Hash> path;
  for (const auto& h : inclusion["hashes"]) path.push_back(hash_from_hex(h.get<std::string>()).value());
  const Hash leaf = hash_from_hex(inclusion["leaf_hash"].get<std::string>()).value();
  EXPECT_TRUE(verify_inclusion(leaf, index, size, path, head->checkpoint.root).ok());
  // The leaf is the entry's hash: fetch the entry and hash it.
  const HttpResponse raw = get("auditor", "/v1/entries/" + std::to_string(index) + "?format=raw");
  ASSERT_EQ(raw.status, 200);
  EXPECT_EQ(leaf_hash(as_bytes(raw.body)), leaf);
  EXPECT_EQ(raw.header("content-type"), "application/octet-stream");

  // From an earlier checkpoint (the ledger's second) to this one.
  const std::string sizes = cli({"log", "checkpoints"}).out;
  const uint64_t old_size = std::stoull(sizes.substr(sizes.find('\n') + 1));
  const Json consistency = json(get("partner:P002", "/v1/proof/consistency?old_size=" + std::to_string(old_size) +
                                                    "&size=" + std::to_string(size)));
  std::vector<Hash> cpath;
  for (const auto& h : consistency["hashes"]) cpath.push_back(hash_from_hex(h.get<std::string>()).value());
  const HttpResponse old_note = get("auditor", "/v1/checkpoint?format=note&size=" + std::to_string(old_size));
  auto old_head = open_checkpoint(old_note.body, log_key_.verifier());
  ASSERT_TRUE(old_head.ok()) << old_note.body;
  EXPECT_TRUE(verify_consistency(old_size, size, old_head->checkpoint.root, head->checkpoint.root, cpath).ok());
  EXPECT_EQ(get("auditor", "/v1/checkpoint?size=999999").status, 404);
  EXPECT_EQ(get("auditor", "/v1/proof/inclusion?index=" + std::to_string(size)).status, 400) << "not in the tree";
  EXPECT_EQ(get("auditor", "/v1/proof/inclusion?index=1&size=" + std::to_string(size + 1)).status, 404) << "no such tree";
}

TEST_F(ApiTest, EachRoleReachesOnlyItsEndpoints) {
  struct Case {
    std::string role, method, target;
    int status;
  };
  const std::vector<Case> cases = {
      {"partner:P001", "GET", "/v1/entries/1", 403},
      {"partner:P001", "GET", "/v1/exceptions?period=2026-10", 403},
      {"partner:P001", "GET", "/v1/periods/2026-10", 403},
      {"partner:P001", "GET", "/metrics", 403},
      {"gl", "GET", "/v1/exceptions?period=2026-10", 403},
      {"gl", "PATCH", "/v1/exceptions/EX-1", 403},
      {"gl", "GET", "/v1/periods/2026-10", 200},
      {"gl", "GET", "/v1/lines/PL-x/lineage", 403},
      {"auditor", "PATCH", "/v1/exceptions/EX-1", 403},
      {"auditor", "POST", "/v1/periods/2026-10/signoff", 403},
      {"auditor", "POST", "/v1/journal/ack", 403},
      {"auditor", "GET", "/v1/entries/1", 200},
      {"auditor", "GET", "/v1/exceptions?period=2026-10", 200},
      {"ops", "POST", "/v1/periods/2026-10/signoff", 403},
      {"ops", "GET", "/metrics", 200},
      {"finance", "POST", "/v1/journal/ack", 403},
      {"finance", "POST", "/v1/disputes", 403},
      {"admin", "GET", "/v1/periods/2026-10/statement", 200},
  };
  const uint64_t before = ledger_size();
  for (const Case& c : cases) {
    const HttpResponse r = send(c.role, c.method, c.target, c.method == "GET" ? "" : "{}");
    EXPECT_EQ(r.status, c.status) << c.role << " " << c.method << " " << c.target << ": " << r.body;
    if (r.status == 403) {
      EXPECT_EQ(json(r)["error"], "forbidden");
    }
  }
  EXPECT_EQ(ledger_size(), before);
}

TEST_F(ApiTest, FinanceSignsOffOverHttpWithAKeyTheServerNeverSaw) {
  const uint64_t before = ledger_size();
  // A signature by a key that is not registered, and a statement altered after signing.
  const std::string statement = get("finance", "/v1/periods/2026-10/statement").body;
  const SigningKey mallory = SigningKey::generate("mallory@finance").value();
  const std::string forged = close_sign(statement, mallory);
  HttpResponse r = send("finance", "POST", "/v1/periods/2026-10/signoff",
                        Json{{"statement", statement}, {"signatures", forged}}.dump());
  EXPECT_EQ(r.status, 400) << r.body;
  std::string altered = statement;
  altered.replace(altered.find("period 2026-10"), 14, "period 2026-11");
  r = send("finance", "POST", "/v1/periods/2026-10/signoff",
           Json{{"statement", altered}, {"signatures", close_sign(altered, alice_)}}.dump());
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(ledger_size(), before);
  // Finance reviews the summary the statement commits to before signing it.
  const std::string summary = get("finance", "/v1/periods/2026-10/statement?view=summary").body;
  EXPECT_EQ(summary.rfind("salt ", 0), 0u) << summary;
  EXPECT_NE(summary.find("\npriced AUD lines "), std::string::npos) << summary;
  EXPECT_TRUE(close::check_summary(close::parse_statement(statement).value(), summary).ok());
  EXPECT_EQ(get("finance", "/v1/periods/2026-10/statement?view=totals").status, 400);

  r = sign_off_over_http();
  ASSERT_EQ(r.status, 201) << r.body;
  const Json done = json(r);
  EXPECT_EQ(done["signers"], Json::array({"alice@finance"}));
  EXPECT_EQ(json(get("gl", "/v1/periods/2026-10"))["state"], "signed");
  // The response's checkpoint is the log's, at the new size.
  EXPECT_TRUE(open_checkpoint(done["checkpoint"].get<std::string>(), log_key_.verifier()).ok());
  // Signed twice: refused, nothing written.
  const uint64_t signed_size = ledger_size();
  r = send("finance", "POST", "/v1/periods/2026-10/signoff",
           Json{{"statement", statement}, {"signatures", close_sign(statement, alice_)}}.dump());
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(get("finance", "/v1/periods/2026-10/statement").status, 400) << "no statement for a signed period";
  EXPECT_EQ(ledger_size(), signed_size);
  // The daemon's replay check: the whole ledger verifies.
  const RunResult verified = run(kVerify, {"ledger", dir_, "--key", log_key_.verifier().to_string()});
  EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
}

TEST_F(ApiTest, PartnersSeeOnlyTheirOwnInvoicesLinesBundlesAndDisputes) {
  ASSERT_EQ(sign_off_over_http().status, 201);
  issue_invoices();
  const Json mine = json(get("partner:P001", "/v1/invoices?period=2026-10"));
  ASSERT_EQ(mine["invoices"].size(), 1u) << mine.dump();
  // Its lines across its invoices: its own only, each with the invoice that bills it.
  const Json my_lines = json(get("partner:P001", "/v1/lines?period=2026-10"));
  ASSERT_FALSE(my_lines["lines"].empty()) << my_lines.dump();
  for (const auto& l : my_lines["lines"]) {
    EXPECT_EQ(l["partner_id"], "P001");
    EXPECT_EQ(l["invoice_id"], "INV-2026-10-P001") << l.dump();
  }
  EXPECT_EQ(my_lines.dump().find("cost"), std::string::npos) << "no cost in a partner's lines";
  EXPECT_GT(json(get("auditor", "/v1/lines?period=2026-10"))["lines"].size(), my_lines["lines"].size());
  const Json my_periods = json(get("partner:P001", "/v1/periods"));
  ASSERT_EQ(my_periods["periods"].size(), 1u) << my_periods.dump();
  EXPECT_EQ(my_periods["periods"][0]["period"], "2026-10");
  ASSERT_EQ(my_periods["periods"][0]["invoices"].size(), 1u) << my_periods.dump();
  EXPECT_EQ(my_periods["periods"][0]["invoices"][0]["invoice_id"], "INV-2026-10-P001");
  EXPECT_EQ(my_periods.dump().find("P002"), std::string::npos);
  EXPECT_EQ(mine["invoices"][0]["invoice_id"], "INV-2026-10-P001");
  EXPECT_GT(json(get("gl", "/v1/invoices?period=2026-10"))["invoices"].size(), 1u);
  // Every list pages by limit and cursor: the pages, in order, are the whole list, once.
  const Json all = json(get("gl", "/v1/invoices?period=2026-10"))["invoices"];
  EXPECT_TRUE(json(get("gl", "/v1/invoices?period=2026-10"))["next_cursor"].is_null());
  Json paged = Json::array();
  std::string cursor;
  for (int pages = 0; pages < 10; ++pages) {
    const Json page = json(get("gl", "/v1/invoices?period=2026-10&limit=2" + (cursor.empty() ? "" : "&cursor=" + cursor)));
    ASSERT_LE(page["invoices"].size(), 2u);
    for (const auto& i : page["invoices"]) paged.push_back(i);
    if (page["next_cursor"].is_null()) break;
    cursor = page["next_cursor"].get<std::string>();
  }
  EXPECT_EQ(paged, all);
  EXPECT_EQ(get("gl", "/v1/invoices?period=2026-10&limit=0").status, 400);
  EXPECT_EQ(get("gl", "/v1/invoices?period=2026-10&limit=1001").status, 400);
  EXPECT_EQ(get("gl", "/v1/invoices?period=2026-10&cursor=zz").status, 400);
  EXPECT_EQ(get("gl", "/v1/invoices?period=2026-10&cursor=" + to_hex(as_bytes(std::string_view("INV-none")))).status, 400);
  EXPECT_EQ(json(get("ops", "/v1/exceptions?period=2026-10&limit=1"))["exceptions"].size(), 1u);

  const Json invoice = json(get("partner:P001", "/v1/invoices/INV-2026-10-P001"));
  const std::string my_line = invoice["items"][0]["line_id"];
  const Json theirs = json(get("auditor", "/v1/invoices/INV-2026-10-P002"));
  const std::string their_line = theirs["items"][0]["line_id"];
  // Another partner's ids answer exactly as ids that do not exist.
  const auto same_as_missing = [&](const std::string& prefix, const std::string& real, const std::string& missing,
                                   const std::string& suffix) {
    const HttpResponse a = get("partner:P001", prefix + real + suffix), b = get("partner:P001", prefix + missing + suffix);
    EXPECT_EQ(a.status, 404) << prefix << real << suffix;
    EXPECT_EQ(b.status, 404);
    std::string masked = a.body;
    ASSERT_NE(masked.find(real), std::string::npos) << masked;
    masked.replace(masked.find(real), real.size(), missing);
    EXPECT_EQ(masked, b.body);
  };
  same_as_missing("/v1/invoices/", "INV-2026-10-P002", "INV-2026-10-P999", "");
  same_as_missing("/v1/invoices/", "INV-2026-10-P002", "INV-2026-10-P999", "/bundle");
  same_as_missing("/v1/lines/", their_line, "PL-2026-10-000000000000", "/lineage");
  same_as_missing("/v1/lines/", their_line, "PL-2026-10-000000000000", "/bundle");
  EXPECT_EQ(get("partner:P002", "/v1/lines/" + their_line + "/lineage").status, 200);
  // What a partner's lineage and bundles hold: its own side of the close, nothing of another
  // partner's, nor of the vendor's invoices, the queue's notes or the GL journal.
  const auto own_side_only = [](const HttpResponse& r, const std::string& what) {
    ASSERT_EQ(r.status, 200) << what;
    for (const std::string role : {"match_result", "match_run", "vendor_invoice_line", "exception", "exception_update",
                                   "journal_posting", "posting_ack"}) {
      EXPECT_EQ(r.body.find("\"role\": \"" + role + "\""), std::string::npos) << what << " shows " << role;
    }
    for (const std::string other : {"P002", "P003", "P004", "P005"}) {
      EXPECT_EQ(r.body.find("\"" + other + "\""), std::string::npos) << what << " mentions " << other;
    }
  };
  own_side_only(get("partner:P001", "/v1/lines/" + my_line + "/lineage"), "lineage");
  own_side_only(get("partner:P001", "/v1/lines/" + my_line + "/bundle"), "line bundle");
  own_side_only(get("partner:P001", "/v1/invoices/INV-2026-10-P001/bundle"), "invoice bundle");
  const std::string staff_view = get("auditor", "/v1/lines/" + my_line + "/lineage").body;
  EXPECT_NE(staff_view.find("\"role\": \"match_result\""), std::string::npos) << "staff see the whole lineage";

  // Disputes: on its own line only; the other partner's line is a 404 and nothing is written.
  const uint64_t before = ledger_size();
  HttpResponse r = send("partner:P001", "POST", "/v1/disputes",
                        Json{{"line_id", their_line}, {"reason", "not ours"}, {"amount", "1.00"}}.dump());
  EXPECT_EQ(r.status, 404) << r.body;
  const HttpResponse missing = send("partner:P001", "POST", "/v1/disputes",
                                    Json{{"line_id", "PL-2026-10-000000000000"}, {"reason", "not ours"}, {"amount", "1.00"}}.dump());
  std::string masked = r.body;
  masked.replace(masked.find(their_line), their_line.size(), "PL-2026-10-000000000000");
  EXPECT_EQ(masked, missing.body) << "as for a line that does not exist";
  EXPECT_EQ(ledger_size(), before);
  r = send("partner:P001", "POST", "/v1/disputes",
           Json{{"line_id", my_line}, {"reason", "seat count was 4, not 5"}, {"amount", "10.00"}}.dump());
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(ledger_size(), before + 2) << "the Dispute and its exception";
  const Json dispute = json(r);
  EXPECT_EQ(json(get("partner:P001", "/v1/disputes"))["disputes"].size(), 1u);
  EXPECT_EQ(json(get("partner:P002", "/v1/disputes"))["disputes"].size(), 0u);
  EXPECT_EQ(json(get("ops", "/v1/disputes?period=2026-10"))["disputes"].size(), 1u);
  // The same dispute again is the same dispute, whatever the amount's trailing zeros.
  r = send("partner:P001", "POST", "/v1/disputes",
           Json{{"line_id", my_line}, {"reason", "seat count was 4, not 5"}, {"amount", "10.0"}}.dump());
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json(r)["dispute_id"], dispute["dispute_id"]);
  EXPECT_EQ(ledger_size(), before + 2);
  // It is in the queue as a DISPUTE exception, citing the line and the dispute.
  const Json exception = json(get("ops", "/v1/exceptions/" + dispute["exception_id"].get<std::string>()));
  EXPECT_EQ(exception["category"], "DISPUTE");
  EXPECT_EQ(exception["delta"], "-10.00");
  EXPECT_EQ(exception["partner_id"], "P001");
  // The line's lineage now holds the dispute and its exception, which cites the lineage before it.
  const Json lineage = json(get("auditor", "/v1/lines/" + my_line + "/lineage"));
  std::map<std::string, int> roles;
  for (const auto& e : lineage["entries"]) ++roles[e["role"].get<std::string>()];
  EXPECT_EQ(roles["dispute"], 1);
  // Two entries, whatever the lineage holds: the disputes of a line do not grow one another.
  ASSERT_EQ(exception["evidence"].size(), 2u);
  EXPECT_EQ(exception["evidence"][1]["index"], dispute["entry"]);
  const HttpResponse line_bundle = get("partner:P001", "/v1/lines/" + my_line + "/bundle");
  write_text(tmp_ / "line-bundle.json", line_bundle.body);
  const RunResult verified =
      run(kVerify, {"bundle", tmp_ / "line-bundle.json", "--key", log_key_.verifier().to_string(), "--allow-withheld"});
  EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
  // More than the line's sell amount, or zero: refused.
  for (const std::string amount : {"0", "-1", "99999999", "1e3", "abc", "1.005"}) {
    r = send("partner:P001", "POST", "/v1/disputes", Json{{"line_id", my_line}, {"reason", "x"}, {"amount", amount}}.dump());
    EXPECT_EQ(r.status, 400) << amount << ": " << r.body;
    EXPECT_EQ(json(r)["field"], "amount") << amount;
  }
  EXPECT_EQ(ledger_size(), before + 2);
  // Followed: the partner sees its status and the resolution addressed to it, not the queue's
  // other notes or who worked it; another partner gets "not found".
  const std::string exception_path = "/v1/exceptions/" + dispute["exception_id"].get<std::string>();
  ASSERT_EQ(send("ops", "PATCH", exception_path, Json{{"action", "assign"}, {"owner", "ar-team"}, {"note", "internal: check P001 history"}}.dump()).status, 200);
  ASSERT_EQ(send("ops", "PATCH", exception_path, Json{{"action", "resolve"}, {"note", "credit of 10.00 on the next invoice"}}.dump()).status, 200);
  const std::string detail_path = "/v1/disputes/" + dispute["dispute_id"].get<std::string>();
  const Json followed = json(get("partner:P001", detail_path));
  EXPECT_EQ(followed["status"], "resolved") << followed.dump();
  EXPECT_EQ(followed["line_id"], my_line);
  const std::string seen = followed.dump();
  EXPECT_NE(seen.find("credit of 10.00 on the next invoice"), std::string::npos) << seen;
  EXPECT_EQ(seen.find("internal: check P001 history"), std::string::npos) << seen;
  EXPECT_EQ(seen.find("\"actor\""), std::string::npos) << seen;
  EXPECT_NE(get("ops", detail_path).body.find("internal: check P001 history"), std::string::npos);
  const HttpResponse other = get("partner:P002", detail_path);
  EXPECT_EQ(other.status, 404);
  EXPECT_EQ(get("partner:P002", "/v1/disputes/DSP-none").status, 404);
}

TEST_F(ApiTest, ABundleFetchedOverHttpVerifiesWithCloseBookVerify) {
  ASSERT_EQ(sign_off_over_http().status, 201);
  issue_invoices();
  // Staff get the bundle the CLI writes; the partner its own side of it, which verifies too.
  EXPECT_TRUE(get("auditor", "/v1/invoices/INV-2026-10-P001/bundle").body == cli({"bundle", "--invoice", "INV-2026-10-P001"}).out);
  // The GL's bundle: what it posts (lines, invoices, sign-offs, the journal), not the queue or
  // the vendor's side; and it verifies.
  const HttpResponse gl = get("gl", "/v1/invoices/INV-2026-10-P001/bundle");
  ASSERT_EQ(gl.status, 200) << gl.body;
  for (const std::string role : {"exception", "exception_update", "vendor_invoice_line", "match_result", "match_run"}) {
    EXPECT_EQ(gl.body.find("\"role\": \"" + role + "\""), std::string::npos) << "the GL's bundle shows " << role;
  }
  write_text(tmp_ / "gl-bundle.json", gl.body);
  const RunResult gl_verified =
      run(kVerify, {"bundle", tmp_ / "gl-bundle.json", "--key", log_key_.verifier().to_string(), "--allow-withheld"});
  EXPECT_EQ(gl_verified.exit_code, 0) << gl_verified.out << gl_verified.err;
  const HttpResponse bundle = get("partner:P001", "/v1/invoices/INV-2026-10-P001/bundle");
  ASSERT_EQ(bundle.status, 200) << bundle.body.substr(0, 500);
  write_text(tmp_ / "bundle.json", bundle.body);
  // It withholds the match and the queue: an auditor's check refuses that unless told.
  const RunResult strict = run(kVerify, {"bundle", tmp_ / "bundle.json", "--key", log_key_.verifier().to_string()});
  EXPECT_EQ(strict.exit_code, 4) << strict.out << strict.err;
  EXPECT_NE(strict.out.find("withholds"), std::string::npos) << strict.out;
  const RunResult ok = run(kVerify, {"bundle", tmp_ / "bundle.json", "--key", log_key_.verifier().to_string(), "--allow-withheld"});
  EXPECT_EQ(ok.exit_code, 0) << ok.out << ok.err;
  std::string tampered = bundle.body;
  const size_t at = tampered.find("\"total\": \"");
  ASSERT_NE(at, std::string::npos);
  tampered[at + 10] = tampered[at + 10] == '9' ? '8' : '9';
  write_text(tmp_ / "tampered.json", tampered);
  EXPECT_NE(run(kVerify, {"bundle", tmp_ / "tampered.json", "--key", log_key_.verifier().to_string()}).exit_code, 0);
  const HttpResponse csv = http(port_, {"GET", "/v1/invoices/INV-2026-10-P001", token("gl"), "", "", {{"Accept", "text/csv"}}});
  EXPECT_EQ(csv.status, 200);
  EXPECT_EQ(csv.header("content-type"), "text/csv; charset=utf-8");
  EXPECT_EQ(csv.body, cli({"invoice", "show", "INV-2026-10-P001", "--format", "csv"}).out);
}

TEST_F(ApiTest, JournalAckIsIdempotentUnderConcurrentRetries) {
  EXPECT_EQ(get("gl", "/v1/journal?period=2026-10").status, 404) << "not signed, no journal";
  ASSERT_EQ(sign_off_over_http().status, 201);
  issue_invoices();
  HttpResponse r = send("finance", "POST", "/v1/journal", R"({"period": "2026-10"})");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(send("finance", "POST", "/v1/journal", R"({"period": "2026-10"})").status, 200) << "prepared already";
  const Json journals = json(get("gl", "/v1/journal?period=2026-10"));
  ASSERT_EQ(journals["journals"].size(), 1u) << "one GL organisation, NZD converted: " << journals.dump();
  const std::string journal_id = journals["journals"][0]["journal_id"];
  EXPECT_EQ(journal_id, "JNL-2026-10-AU");
  EXPECT_EQ(json(get("gl", "/v1/journals?status=unacknowledged"))["journals"][0]["journal_id"], journal_id);
  // The GL takes its import file over the API, as the CLI writes it.
  const HttpResponse xero = get("gl", "/v1/journal?period=2026-10&format=xero");
  ASSERT_EQ(xero.status, 200) << xero.body;
  EXPECT_EQ(xero.header("content-type"), "text/csv; charset=utf-8");
  EXPECT_EQ(xero.header("x-closebook-parts"), "1");
  EXPECT_EQ(xero.body, cli({"journal", "--period", "2026-10", "--format", "xero"}).out);
  EXPECT_EQ(json(get("gl", "/v1/journal?period=2026-10&format=sage"))["field"], "format");
  EXPECT_EQ(get("gl", "/v1/journal?period=2026-10&format=myob").status, 400) << "a Xero organisation's journal";
  EXPECT_EQ(json(get("gl", "/v1/journal?period=2026-10&format=xero&part=2"))["field"], "part");
  EXPECT_EQ(get("gl", "/v1/journal?period=2026-10&journal_id=JNL-2026-10-NZ").status, 404);
  EXPECT_EQ(get("gl", "/v1/journals?status=posted").status, 400);

  const std::string body = Json{{"period", "2026-10"}, {"journal_id", journal_id}, {"gl_ref", "XERO-MJ-1"}}.dump();
  EXPECT_EQ(send("gl", "POST", "/v1/journal/ack", body).status, 400) << "the Idempotency-Key is required";
  HttpResponse unknown = send("gl", "POST", "/v1/journal/ack", R"({"period": "2026-10", "journal_id": "JNL-X", "gl_ref": "X"})",
                              {{"Idempotency-Key", "k0"}});
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(json(unknown)["field"], "journal_id") << "the API's field, not the CLI's option";
  const uint64_t before = ledger_size();
  constexpr int kRetries = 8;
  std::vector<HttpResponse> replies(kRetries);
  std::vector<std::thread> threads;
  for (int i = 0; i < kRetries; ++i) {
    threads.emplace_back([&, i] { replies[i] = send("gl", "POST", "/v1/journal/ack", body, {{"Idempotency-Key", "ack-1"}}); });
  }
  for (auto& t : threads) t.join();
  std::set<uint64_t> entries;
  int created = 0;
  for (const HttpResponse& reply : replies) {
    ASSERT_TRUE(reply.status == 200 || reply.status == 201) << reply.status << " " << reply.body;
    created += reply.status == 201;
    entries.insert(json(reply)["entry"].get<uint64_t>());
  }
  EXPECT_EQ(created, 1);
  EXPECT_EQ(entries.size(), 1u) << "every retry names the one ack";
  EXPECT_EQ(ledger_size(), before + 1);
  // The same key for another reference, or another reference for the journal: a conflict.
  const std::string other = Json{{"period", "2026-10"}, {"journal_id", journal_id}, {"gl_ref", "XERO-MJ-2"}}.dump();
  EXPECT_EQ(send("gl", "POST", "/v1/journal/ack", other, {{"Idempotency-Key", "ack-1"}}).status, 409);
  EXPECT_EQ(send("gl", "POST", "/v1/journal/ack", other, {{"Idempotency-Key", "ack-2"}}).status, 409);
  EXPECT_EQ(ledger_size(), before + 1);
  EXPECT_EQ(json(get("gl", "/v1/periods/2026-10"))["state"], "posted");
  EXPECT_TRUE(json(get("gl", "/v1/periods/2026-10"))["journals"][0]["posted"]);
  EXPECT_TRUE(json(get("gl", "/v1/journals?status=unacknowledged"))["journals"].empty());
}

TEST_F(ApiTest, TheQueueIsWorkedOverHttpAsLedgerEntries) {
  const Json list = json(get("ops", "/v1/exceptions?period=2026-10&category=TIMING"));
  ASSERT_EQ(list["exceptions"].size(), 1u) << list.dump();
  const std::string id = list["exceptions"][0]["exception_id"];
  const std::string path = "/v1/exceptions/" + id;
  const uint64_t before = ledger_size();
  HttpResponse r = send("ops", "PATCH", path, R"({"action": "assign", "owner": "ap-team"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json(r)["owner"], "ap-team");
  EXPECT_EQ(json(r)["history"].back()["actor"], "test-ops (ops)");
  r = send("finance", "PATCH", path, R"({"action": "resolve", "note": "September's cycle covers it"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json(r)["status"], "resolved");
  EXPECT_EQ(ledger_size(), before + 2);
  // The state machine refuses a resolved exception's acknowledgement: 409, nothing written.
  EXPECT_EQ(send("ops", "PATCH", path, R"({"action": "acknowledge"})").status, 409);
  EXPECT_EQ(send("ops", "PATCH", "/v1/exceptions/EX-2026-10-TIMING-00000000", R"({"action": "acknowledge"})").status, 404);
  EXPECT_EQ(json(get("auditor", "/v1/exceptions?period=2026-10&status=resolved"))["exceptions"].size(), 1u);
  EXPECT_EQ(ledger_size(), before + 2);
}

TEST_F(ApiTest, BadRequestsGetA4xxNamingTheProblemAndChangeNothing) {
  const std::string path = "/v1/exceptions/" +
                           json(get("ops", "/v1/exceptions?period=2026-10"))["exceptions"][0]["exception_id"].get<std::string>();
  struct Case {
    std::string method, target, body, content_type;
    int status;
    std::string error, field;
  };
  const std::vector<Case> cases = {
      {"PATCH", path, "{\"action\": \"assign\", ", "application/json", 400, "malformed_json", ""},
      {"PATCH", path, "[1, 2]", "application/json", 400, "invalid", ""},
      // A number beyond a double: nlohmann throws out_of_range, not parse_error (fuzz_api_request).
      {"PATCH", path, R"({"action": 1e400})", "application/json", 400, "malformed_json", ""},
      {"PATCH", path, R"({"action": 7})", "application/json", 400, "invalid", "action"},
      {"PATCH", path, R"({"action": "assign"})", "application/json", 400, "invalid", "owner"},
      {"PATCH", path, R"({"action": "assign", "owner": "x", "ownr": "y"})", "application/json", 400, "invalid", "ownr"},
      {"PATCH", path, R"({"action": "explode"})", "application/json", 400, "invalid", "action"},
      {"PATCH", path, R"({"action": "acknowledge"})", "text/plain", 415, "unsupported_media_type", ""},
      {"PATCH", path, R"({"action": "resolve", "evidence_sha256": "zz"})", "application/json", 400, "invalid", "evidence_sha256"},
      {"GET", "/v1/entries/abc", "", "", 400, "invalid", "index"},
      {"GET", "/v1/entries/-1", "", "", 400, "invalid", "index"},
      {"GET", "/v1/entries/99999999999999999999999", "", "", 400, "invalid", "index"},
      {"GET", "/v1/entries/99999999", "", "", 404, "not_found", ""},
      {"GET", "/v1/exceptions?period=2026-13", "", "", 400, "invalid", "period"},
      {"GET", "/v1/exceptions", "", "", 400, "invalid", "period"},
      {"GET", "/v1/exceptions?period=2026-10&colour=red", "", "", 400, "invalid", "colour"},
      {"GET", "/v1/exceptions?period=2026-10&status=closed", "", "", 400, "invalid", "status"},
      {"GET", "/v1/periods/october", "", "", 400, "invalid", "period"},
      {"GET", "/v1/proof/inclusion?index=1&size=x", "", "", 400, "invalid", "size"},
      {"GET", "/v1/entries/1?format=yaml", "", "", 400, "invalid", "format"},
      {"GET", "/v1/nothing-here", "", "", 404, "not_found", ""},
      {"GET", "/v1/entries/%zz", "", "", 400, "invalid", ""},
      {"DELETE", "/v1/checkpoint", "", "", 405, "method_not_allowed", ""},
      {"POST", "/v1/journal", R"({"period": 202610})", "application/json", 400, "invalid", "period"},
      {"POST", "/v1/periods/2026-10/signoff", R"({"statement": "x", "signatures": "y"})", "application/json", 400, "invalid", ""},
  };
  const uint64_t before = ledger_size();
  for (const Case& c : cases) {
    const HttpResponse r = http(port_, {c.method, c.target, token("admin"), c.body, c.content_type, {}});
    EXPECT_EQ(r.status, c.status) << c.method << " " << c.target << " " << c.body << ": " << r.body;
    EXPECT_EQ(r.header("content-type"), "application/json") << c.target;
    const Json j = json(r);
    EXPECT_EQ(j["error"], c.error) << c.target << " " << c.body;
    if (!c.field.empty()) {
      EXPECT_EQ(j.value("field", ""), c.field) << c.target << " " << c.body << ": " << r.body;
    }
    EXPECT_FALSE(j["message"].get<std::string>().empty());
  }
  const HttpResponse wrong_method = send("admin", "DELETE", "/v1/checkpoint", "");
  EXPECT_EQ(wrong_method.header("allow"), "GET");
  EXPECT_EQ(ledger_size(), before);
}

TEST_F(ApiTest, MetricsCountRequestsAndReportTheLedger) {
  for (int i = 0; i < 3; ++i) ASSERT_EQ(get("auditor", "/v1/checkpoint").status, 200);
  EXPECT_EQ(get("auditor", "/v1/entries/abc").status, 400);
  const HttpResponse m = get("ops", "/metrics");
  ASSERT_EQ(m.status, 200);
  EXPECT_EQ(m.header("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(m.body.find("closebook_http_requests_total{route=\"/v1/checkpoint\",method=\"GET\",status=\"200\"} 3\n"),
            std::string::npos) << m.body;
  EXPECT_NE(m.body.find("closebook_http_requests_total{route=\"/v1/entries/{index}\",method=\"GET\",status=\"400\"} 1\n"),
            std::string::npos);
  EXPECT_NE(m.body.find("closebook_http_request_duration_seconds_count{route=\"/v1/checkpoint\"} 3\n"), std::string::npos);
  EXPECT_NE(m.body.find("closebook_ledger_entries " + std::to_string(ledger_size()) + "\n"), std::string::npos);
  EXPECT_NE(m.body.find("closebook_last_checkpoint_age_seconds "), std::string::npos);
  EXPECT_NE(m.body.find("closebook_open_exceptions{category=\"TIMING\"} 1\n"), std::string::npos) << m.body;
}

}  // namespace
}  // namespace closebook::test
