// The request head closebookd reads before Pistache (api/request_head.h): each rule of RFC 9112
// it enforces, the limits, and what an incomplete head waits for.
#include <gtest/gtest.h>

#include "api/http.h"
#include "api/request_head.h"

namespace closebook::api {
namespace {

HeadRead read(const std::string& head, HeadLimits limits = {}) { return read_request_head(head, limits); }

int refused(const std::string& head, HeadLimits limits = {}) {
  const HeadRead r = read(head, limits);
  if (auto* why = std::get_if<HeadRefused>(&r)) return why->status;
  return 0;
}

TEST(RequestHead, AWellFormedHeadIsReadWithItsLengthAndFramedForPistacheWithNothingElse) {
  const std::string head = "\r\nPOST /v1/journal?period=2026-10 HTTP/1.1\r\nHost: closebook.example:8443\r\n"
                           "Authorization:  Bearer abc \r\nContent-Length: 17\r\nDate: yesterday\r\n\r\n";
  const HeadRead r = read(head + "{\"period\":\"x\"}...");
  const auto* done = std::get_if<std::pair<RequestHead, size_t>>(&r);
  ASSERT_NE(done, nullptr);
  const RequestHead& h = done->first;
  EXPECT_EQ(done->second, head.size());
  EXPECT_EQ(h.method, "POST");
  EXPECT_EQ(h.target, "/v1/journal?period=2026-10");
  EXPECT_EQ(h.content_length, 17u);
  EXPECT_TRUE(h.keep_alive);
  ASSERT_EQ(h.headers.size(), 4u);
  EXPECT_EQ(h.headers[1], (std::pair<std::string, std::string>{"authorization", "Bearer abc"}));
  EXPECT_EQ(framing_head(h), "POST / HTTP/1.1\r\nContent-Length: 17\r\n\r\n");
}

TEST(RequestHead, AnIncompleteHeadWaitsUnlessALineAlreadyArrivedIsRefused) {
  EXPECT_TRUE(std::holds_alternative<std::monostate>(read("GET /v1/checkpoint HTTP/1.1\r\nHost: x\r\n")));
  EXPECT_TRUE(std::holds_alternative<std::monostate>(read("GET /v1/chec")));
  EXPECT_EQ(refused("GET /v1/checkpoint HTTP/1.1\r\nHost: x\r\nno colon\r\n"), 400);
  HeadLimits small;
  small.max_head_bytes = 64;
  EXPECT_EQ(refused("GET /v1/checkpoint HTTP/1.1\r\nX-Padding: " + std::string(100, 'p'), small), 431);
}

TEST(RequestHead, ContentLengthIsOnePlainNumberWithinTheLimitAndNeverWithTransferEncoding) {
  const std::string get = "GET / HTTP/1.1\r\nHost: x\r\n";
  EXPECT_EQ(refused(get + "Content-Length: 30000000000\r\n\r\n"), 413);
  EXPECT_EQ(refused(get + "Content-Length: 99999999999999999999999\r\n\r\n"), 400);
  EXPECT_EQ(refused(get + "Content-Length: -1\r\n\r\n"), 400);
  EXPECT_EQ(refused(get + "Content-Length: +5\r\n\r\n"), 400);
  EXPECT_EQ(refused(get + "Content-Length: \r\n\r\n"), 400);
  EXPECT_EQ(refused(get + "Content-Length: 5\r\nContent-Length: 5\r\n\r\n"), 400);
  EXPECT_EQ(refused(get + "Transfer-Encoding: chunked\r\n\r\n"), 411);
  EXPECT_EQ(refused(get + "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n"), 400);
  EXPECT_EQ(refused(get + "Content-Length: 1048576\r\n\r\n"), 0);
  EXPECT_EQ(refused(get + "Content-Length: 1048577\r\n\r\n"), 413);
}

TEST(RequestHead, HostIsOneHostWithAPortOfAtMost65535) {
  for (const char* ok : {"x", "closebook.example", "10.0.0.1:8080", "[::1]", "[::1]:443", "x:65535"}) {
    EXPECT_EQ(refused(std::string("GET / HTTP/1.1\r\nHost: ") + ok + "\r\n\r\n"), 0) << ok;
  }
  for (const char* bad : {"x:65536", "x:http", "x:", "a b", "[::1", "[::1]x", "", "x:-1"}) {
    EXPECT_EQ(refused(std::string("GET / HTTP/1.1\r\nHost: ") + bad + "\r\n\r\n"), 400) << bad;
  }
  EXPECT_EQ(refused("GET / HTTP/1.1\r\n\r\n"), 400) << "HTTP/1.1 needs a Host";
  EXPECT_EQ(refused("GET / HTTP/1.0\r\n\r\n"), 0) << "HTTP/1.0 does not";
  EXPECT_EQ(refused("GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n"), 400);
}

TEST(RequestHead, FieldLinesAreNameColonValueWithoutFoldsSpacesOrControls) {
  const std::string get = "GET / HTTP/1.1\r\nHost: x\r\n";
  EXPECT_EQ(refused(get + "X-Name : v\r\n\r\n"), 400);
  EXPECT_EQ(refused(get + "X-A: a\r\n  folded\r\n\r\n"), 400);
  EXPECT_EQ(refused(get + "X-A: a\x01\r\n\r\n"), 400);
  EXPECT_EQ(refused(get + "X(A): a\r\n\r\n"), 400);
  EXPECT_EQ(refused(get + ": no name\r\n\r\n"), 400);
  EXPECT_EQ(refused("GET / HTTP/1.1\nHost: x\n\n"), 400) << "bare LF";
  EXPECT_EQ(refused("GET / HTTP/1.1\r\nHost: x\rX: y\r\n\r\n"), 400) << "bare CR";
  EXPECT_EQ(refused(get + "Accept: text/html,\r\nCache-Control: max-age=banana\r\n\r\n"), 0) << "values it does not read";
  EXPECT_EQ(refused(get + "X-Empty:\r\n\r\n"), 0);
}

TEST(RequestHead, TheRequestLineIsMethodTargetAndVersion) {
  EXPECT_EQ(refused("GET /\r\n\r\n"), 400);
  EXPECT_EQ(refused("GET  / HTTP/1.1\r\nHost: x\r\n\r\n"), 400);
  EXPECT_EQ(refused("G(T / HTTP/1.1\r\nHost: x\r\n\r\n"), 400);
  EXPECT_EQ(refused("GET / HTTP/2.0\r\nHost: x\r\n\r\n"), 505);
  EXPECT_EQ(refused("GET / HTTQ/1.1\r\nHost: x\r\n\r\n"), 400);
  EXPECT_EQ(refused("GET *  HTTP/1.1\r\nHost: x\r\n\r\n"), 400);
  EXPECT_EQ(refused("OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n"), 400);
  HeadLimits small;
  small.max_target_bytes = 16;
  EXPECT_EQ(refused("GET /" + std::string(20, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n", small), 414);
  // The absolute-form a server must accept, taken back to the path and query.
  const HeadRead r = read("GET http://closebook.example:8080/v1/checkpoint?x=1 HTTP/1.1\r\nHost: closebook.example\r\n\r\n");
  const auto* done = std::get_if<std::pair<RequestHead, size_t>>(&r);
  ASSERT_NE(done, nullptr);
  EXPECT_EQ(done->first.target, "/v1/checkpoint?x=1");
  EXPECT_EQ(refused("GET ftp://x/ HTTP/1.1\r\nHost: x\r\n\r\n"), 400);
}

TEST(RequestHead, KeepAliveFollowsTheVersionAndConnectionHeader) {
  auto keep = [](const std::string& head) {
    const HeadRead r = read_request_head(head, {});
    return std::get<std::pair<RequestHead, size_t>>(r).first.keep_alive;
  };
  EXPECT_TRUE(keep("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_FALSE(keep("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  EXPECT_FALSE(keep("GET / HTTP/1.0\r\n\r\n"));
  EXPECT_TRUE(keep("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"));
}

TEST(AcceptQuality, TheMostSpecificRangeDecidesWithQValuesInThousandths) {
  EXPECT_EQ(accept_quality("", "application/json"), 1000);
  EXPECT_EQ(accept_quality("*/*", "application/json"), 1000);
  EXPECT_EQ(accept_quality("text/csv", "application/json"), 0);
  EXPECT_EQ(accept_quality("text/csv, application/json;q=0.5", "application/json"), 500);
  EXPECT_EQ(accept_quality("application/*;q=0.2, application/json;q=0", "application/json"), 0);
  EXPECT_EQ(accept_quality("application/*;q=0.2, */*;q=0.9", "application/json; charset=utf-8"), 200);
  EXPECT_EQ(accept_quality("Application/JSON;Q=0.75", "application/json"), 750);
  EXPECT_EQ(accept_quality("text/html,", "text/html"), 1000) << "an empty list element is allowed";
  EXPECT_EQ(accept_quality("text/html;q=abc", "text/html"), std::nullopt);
  EXPECT_EQ(accept_quality("text/html;q=1.5", "text/html"), std::nullopt);
  EXPECT_EQ(accept_quality("text/html;q=0.1234", "text/html"), std::nullopt);
  EXPECT_EQ(accept_quality("html", "text/html"), std::nullopt);
}

}  // namespace
}  // namespace closebook::api
