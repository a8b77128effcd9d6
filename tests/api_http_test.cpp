// closebookd against Pistache 0.0.5's known pitfalls (docs/api.md §6): request size limits,
// header and body timeouts, keep-alive and its Connection header, headers Pistache itself
// rejects, and a SIGTERM that lets requests in flight finish.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <thread>

#include "tests/api_fixture.h"

namespace closebook::test {
namespace {

TEST_F(ApiTest, ABodyOverTheLimitIsA413AndChangesNothing) {
  ASSERT_EQ(stop_daemon(), 0);
  start_daemon({"--max-body-bytes", "4096"});
  const uint64_t before = ledger_size();
  const std::string path = "/v1/exceptions/" +
                           json(get("ops", "/v1/exceptions?period=2026-10"))["exceptions"][0]["exception_id"].get<std::string>();
  // Over the limit: the JSON 413 that names it, from the Content-Length alone (docs/api.md §6).
  const std::string big = Json{{"action", "resolve"}, {"note", std::string(5000, 'x')}}.dump();
  HttpResponse r = send("ops", "PATCH", path, big);
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(json(r)["error"], "payload_too_large");
  EXPECT_NE(json(r)["message"].get<std::string>().find("at most 4096"), std::string::npos);
  // Far over it: the same, before a byte of the body is read.
  r = send("ops", "PATCH", path, Json{{"action", "resolve"}, {"note", std::string(200'000, 'x')}}.dump());
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(json(r)["error"], "payload_too_large");
  // Headers over their limit (16 KiB): 431, in JSON.
  r = http(port_, {"GET", "/v1/checkpoint", token("ops"), "", "", {{"X-Padding", std::string(80'000, 'p')}}});
  EXPECT_EQ(r.status, 431);
  EXPECT_EQ(json(r)["error"], "invalid");
  EXPECT_EQ(ledger_size(), before);
  EXPECT_EQ(get("ops", "/healthz").status, 200) << "still serving";
}

TEST_F(ApiTest, SlowClientsGetA408AndTheirConnectionIsClosed) {
  ASSERT_EQ(stop_daemon(), 0);
  start_daemon({"--header-timeout", "1", "--body-timeout", "1"});
  {
    Connection c(port_);
    ASSERT_TRUE(c.send_all("GET /v1/checkpoint HTTP/1.1\r\nHost: x\r\n"));  // headers never finish
    const HttpResponse r = c.read_response(std::chrono::seconds(5));
    EXPECT_EQ(r.status, 408);
    EXPECT_TRUE(c.closed_by_peer(std::chrono::seconds(3)));
  }
  {
    Connection c(port_);
    ASSERT_TRUE(c.send_all("POST /v1/journal HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                           "Content-Length: 100\r\n\r\n{\"period\""));  // the body never finishes
    EXPECT_EQ(c.read_response(std::chrono::seconds(5)).status, 408);
  }
  EXPECT_EQ(get("auditor", "/v1/checkpoint").status, 200) << "other clients are unaffected";
}

TEST_F(ApiTest, KeepAliveServesSequentialRequestsOnOneConnectionAndSaysSo) {
  Connection c(port_);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(c.send_all(request_bytes({"GET", "/v1/checkpoint", token("auditor"), "", "", {}}, nullptr)));
    const HttpResponse r = c.read_response();
    ASSERT_EQ(r.status, 200) << "request " << i;
    // HTTP/1.1 without a Connection header keeps the connection: the reply must not say Close.
    EXPECT_EQ(r.header("connection"), "Keep-Alive");
  }
  const HttpResponse closing = http(port_, {"GET", "/healthz", "", "", "", {}});
  EXPECT_EQ(closing.header("connection"), "Close") << "a client that asks to close is told so";
}

// What Pistache 0.0.5 answered itself, in plain text or a 500 (a std::bad_alloc for a
// Content-Length sized by the client), or waited on until its timeout: each is now refused by
// closebookd's own reading of the head (api/request_head.h) with a JSON 4xx before any
// allocation the client sizes, or, for headers closebookd does not read, ignored.
TEST_F(ApiTest, MalformedHeadsGetAJson4xxAndTheServerKeepsServing) {
  const std::string auth = "Authorization: Bearer " + token("auditor") + "\r\n";
  struct Case {
    std::string head;  // after the request line
    int status;        // 0: served (the header is not one closebookd reads)
  };
  const std::vector<Case> cases = {
      {"Host: x\r\nContent-Length: 30000000000\r\n", 413},
      {"Host: x\r\nContent-Length: -1\r\n", 400},
      {"Host: x\r\nContent-Length: 12\r\nContent-Length: 12\r\n", 400},
      {"Host: x\r\nContent-Length: 1e3\r\n", 400},
      {"Host: x:99999\r\n", 400},
      {"Host: x:http\r\n", 400},
      {"Host: a\r\nHost: b\r\n", 400},
      {"", 400},  // HTTP/1.1 without Host
      {"Host: x\r\nThis line has no colon\r\n", 400},
      {"Host: x\r\nX-Folded: a\r\n b\r\n", 400},
      {"Host: x\r\nX-Name : v\r\n", 400},
      {"Host: x\r\nTransfer-Encoding: chunked\r\n", 411},
      {"Host: x\r\nDate: yesterday\r\n", 0},
      {"Host: x\r\nCache-Control: max-age=banana\r\n", 0},
      {"Host: x\r\nAccept: text/html,\r\n", 406},  // parsed by closebookd now: HTML only, which it does not serve
      {"Host: x\r\nAccept: text/html;q=abc\r\n", 400},
      {"Host: x\r\nAccept: application/json;q=0\r\n", 406},
      {"Host: x\r\nAccept: text/html, application/*;q=0.2\r\n", 0},
      {"Host: x\r\nAccept: application/json;q=0.5, */*;q=0\r\n", 0},
      {"Host: x\r\nContent-Type: bogus\r\n", 0},
      {"Host: [::1]:8080\r\n", 0},
  };
  for (const Case& c : cases) {
    Connection conn(port_);
    const std::string request = "GET /v1/checkpoint HTTP/1.1\r\n" + auth + c.head + "\r\n";
    ASSERT_TRUE(conn.send_all(request));
    const HttpResponse r = conn.read_response(std::chrono::seconds(3));
    if (c.status == 0) {
      EXPECT_EQ(r.status, 200) << c.head << r.body;
    } else {
      EXPECT_EQ(r.status, c.status) << c.head << r.body;
      EXPECT_EQ(r.header("content-type"), "application/json") << c.head;
      if (c.status != 406 && !(c.status == 400 && c.head.find("Accept") != std::string::npos)) {
        EXPECT_EQ(r.header("connection"), "Close") << c.head;  // refused before the service: nothing more is read
      }
      EXPECT_FALSE(json(r)["message"].get<std::string>().empty()) << c.head;
    }
  }
  // Malformed request lines, and an HTTP version it does not speak.
  const std::vector<std::pair<std::string, int>> lines = {{"GET /v1/checkpoint\r\n\r\n", 400},
                                                          {"GET /v1/checkpoint HTTP/2.0\r\nHost: x\r\n\r\n", 505},
                                                          {"GET /v1/che ckpoint HTTP/1.1\r\nHost: x\r\n\r\n", 400},
                                                          {"GET /v1/checkpoint HTTP/1.1\nHost: x\n\n", 400},
                                                          // a method Pistache has no name for reaches the service (no token: 401)
                                                          {"BREW /v1/checkpoint HTTP/1.1\r\nHost: x\r\n\r\n", 401}};
  for (const auto& [line, status] : lines) {
    Connection conn(port_);
    ASSERT_TRUE(conn.send_all(line));
    const HttpResponse r = conn.read_response(std::chrono::seconds(3));
    EXPECT_EQ(r.status, status) << line << r.body;
    EXPECT_EQ(r.header("content-type"), "application/json") << line;
  }
  // Two requests sent together are both answered, in order.
  Connection pipelined(port_);
  const std::string one = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_TRUE(pipelined.send_all(one + one));
  EXPECT_EQ(pipelined.read_response(std::chrono::seconds(3)).status, 200);
  EXPECT_EQ(pipelined.read_response(std::chrono::seconds(3)).status, 200);
  // A line without a colon is answered at once, not after the header timeout (10 s).
  Connection waiting(port_);
  ASSERT_TRUE(waiting.send_all("GET /v1/checkpoint HTTP/1.1\r\nHost: x\r\nno colon here\r\n"));
  EXPECT_EQ(waiting.read_response(std::chrono::seconds(3)).status, 400);
  EXPECT_EQ(get("auditor", "/v1/checkpoint").status, 200) << "still serving";
}

TEST_F(ApiTest, SigtermFinishesRequestsInFlightAndStopsCleanly) {
  ASSERT_EQ(sign_off_over_http().status, 201);
  issue_invoices();
  // Readers hammer bundles (the slowest read) while the daemon is told to stop. A request
  // sent before the signal is in flight when it lands, or was answered before: it must get a
  // whole reply (or a 503 if it reached the server as draining began). After the signal, a
  // reply is a 503 or nothing (the listener is closing).
  std::atomic<bool> stop{false}, signalled{false};
  std::atomic<int> complete{0}, refused{0}, broken{0};
  const uint16_t port = port_;  // stop_daemon() resets port_ while the readers run
  const HttpRequest bundle{"GET", "/v1/invoices/INV-2026-10-P001/bundle", token("auditor"), "", "", {}};
  std::vector<std::thread> readers;
  for (int t = 0; t < 4; ++t) {
    readers.emplace_back([&] {
      while (!stop) {
        const bool before_signal = !signalled;
        HttpResponse r;
        try {
          r = http(port, bundle);
        } catch (const std::exception&) {
          if (before_signal) ++broken;  // refused while it should still listen
          continue;
        }
        if (r.status == 200 && Json::parse(r.body, nullptr, false).is_object()) {
          ++complete;
        } else if (r.status == 503) {  // sent as the signal landed, or after: draining
          ++refused;
        } else if (r.status != 0 || before_signal) {
          ++broken;
        }
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  signalled = true;
  EXPECT_EQ(stop_daemon(), 0);
  stop = true;
  for (auto& t : readers) t.join();
  EXPECT_GT(complete.load(), 0);
  EXPECT_EQ(broken.load(), 0);
  EXPECT_THROW(Connection{port}, std::runtime_error) << "nothing listens after the stop";
  const std::string log = read_text(tmp_ / "daemon-1.err");
  EXPECT_NE(log.find("closebookd: SIGTERM: finishing requests in flight"), std::string::npos) << log;
  EXPECT_NE(log.find("closebookd: stopped"), std::string::npos);
}

}  // namespace
}  // namespace closebook::test

namespace closebook::test {
namespace {

TEST_F(ApiTest, SettingsComeFromAConfigFileAndTheCommandLineWins) {
  ASSERT_EQ(stop_daemon(), 0);
  write_text(tmp_ / "closebookd.conf", "# closebookd settings\nauth-failures-per-minute = 2\nthreads = 3\n"
                                       "access-log = " + tmp_ / "access.log" + "\n");
  start_daemon({"--config", tmp_ / "closebookd.conf"});  // the fixture's --threads 4 wins over the file's 3
  for (int i = 0; i < 2; ++i) EXPECT_EQ(http(port_, {"GET", "/v1/checkpoint", "cbt_x", "", "", {}}).status, 401);
  EXPECT_EQ(http(port_, {"GET", "/v1/checkpoint", "cbt_x", "", "", {}}).status, 429) << "the file's limit applies";
  EXPECT_EQ(get("auditor", "/v1/checkpoint").status, 200) << "a valid token still gets through";
  // The access log: one JSON object per request, by route pattern, naming the token by its id
  // and role when one was valid, never its secret.
  const std::string log = read_text(tmp_ / "access.log");
  size_t lines = 0;
  for (size_t at = 0, next; (next = log.find('\n', at)) != std::string::npos; at = next + 1, ++lines) {
    const Json line = Json::parse(log.substr(at, next - at), nullptr, false);
    ASSERT_TRUE(line.is_object()) << log;
    EXPECT_EQ(line["route"], "/v1/checkpoint");
    EXPECT_EQ(line["peer"], "127.0.0.1");
    EXPECT_TRUE(line.contains("ms") && line.contains("status") && line.contains("ts_ms"));
    if (line["status"] == 200) {
      EXPECT_EQ(line["token"], token("auditor").substr(4, 16));
      EXPECT_EQ(line["role"], "auditor");
    } else {
      EXPECT_FALSE(line.contains("token")) << "no valid token, none named";
    }
  }
  EXPECT_EQ(lines, 4u);
  EXPECT_EQ(log.find("cbt_"), std::string::npos);
  EXPECT_EQ(log.find(token("auditor").substr(21)), std::string::npos) << "never the secret";
}

TEST(ApiStart, BadSettingsAreClearErrorsAndNothingListens) {
  TempDir tmp;
  const std::string daemon = CLOSEBOOKD_BIN;
  RunResult r = run(daemon, {"--ledger", tmp / "none", "--listen", "127.0.0.1:99999"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("--listen"), std::string::npos) << r.err;
  r = run(daemon, {"--ledger", tmp / "none", "--threads", "0"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--threads"), std::string::npos) << r.err;
  r = run(daemon, {"--ledger", tmp / "none", "--listen", "127.0.0.1:0"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find(tmp / "none"), std::string::npos) << "names the missing ledger: " << r.err;
  write_text(tmp / "bad.conf", "threads = many\n");
  r = run(daemon, {"--ledger", tmp / "none", "--config", tmp / "bad.conf"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("threads"), std::string::npos) << r.err;
}


// HEAD is GET without the body; a CORS preflight is answered (204) without credentials and
// grants other origins nothing, since closebookd's pages are same-origin (docs/api.md §1).
TEST_F(ApiTest, HeadIsGetWithoutItsBodyAndAPreflightIsAnsweredButGrantsNoOrigin) {
  const HttpResponse got = get("auditor", "/v1/checkpoint");
  const HttpResponse head = http(port_, {"HEAD", "/v1/checkpoint", token("auditor"), "", "", {}});
  EXPECT_EQ(head.status, 200);
  EXPECT_TRUE(head.body.empty());
  EXPECT_EQ(head.header("content-type"), got.header("content-type"));
  EXPECT_EQ(http(port_, {"HEAD", "/v1/checkpoint", "", "", "", {}}).status, 401) << "the same authentication as GET";
  const HttpResponse preflight = http(port_, {"OPTIONS", "/v1/checkpoint", "", "", "",
                                              {{"Origin", "https://elsewhere.example"}, {"Access-Control-Request-Method", "GET"}}});
  EXPECT_EQ(preflight.status, 204);
  EXPECT_EQ(preflight.header("access-control-allow-origin"), "");
  EXPECT_EQ(preflight.header("allow"), "") << "an anonymous client learns nothing of the path";
  const HttpResponse options = http(port_, {"OPTIONS", "/v1/checkpoint", token("auditor"), "", "", {}});
  EXPECT_EQ(options.status, 204);
  EXPECT_EQ(options.header("allow"), "GET, HEAD, OPTIONS");
  EXPECT_EQ(http(port_, {"OPTIONS", "/v1/no-such-thing", token("auditor"), "", "", {}}).status, 404);
}


TEST_F(ApiTest, PeriodsListsEveryPeriodWithItsState) {
  const HttpResponse r = get("ops", "/v1/periods");
  ASSERT_EQ(r.status, 200) << r.body;
  const Json periods = json(r)["periods"];
  ASSERT_EQ(periods.size(), 1u) << r.body;
  EXPECT_EQ(periods[0]["period"], "2026-10");
  EXPECT_EQ(periods[0]["state"], json(get("ops", "/v1/periods/2026-10"))["state"]);
  // A partner's: only the periods it has invoices in (none yet), with its invoices only.
  const HttpResponse partner = get("partner:P001", "/v1/periods");
  EXPECT_EQ(partner.status, 200) << partner.body;
  EXPECT_TRUE(json(partner)["periods"].empty()) << partner.body;
}

}  // namespace
}  // namespace closebook::test
