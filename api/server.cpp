#include "api/server.h"

#include <pistache/endpoint.h>
#include <pistache/http.h>
#include <pistache/peer.h>

#include <algorithm>
#include <cassert>
#include <condition_variable>
#include <mutex>
#include <ostream>
#include <sstream>
#include <thread>

#include "api/request_head.h"

namespace closebook::api {
namespace {

using namespace Pistache;

constexpr auto kFlushAllowance = std::chrono::milliseconds(200);

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A response header by name and value. Pistache 0.0.5 writes only typed headers into a
// response (addRaw ones are silently dropped), so every header we send is one of these.
class NamedHeader : public Http::Header::Header {
 public:
  NamedHeader(std::string name, std::string value) : name_(std::move(name)), value_(std::move(value)) {}
  const char* name() const override { return name_.c_str(); }
  uint64_t hash() const override { return Http::Header::detail::hash(name_.c_str()); }
  void write(std::ostream& os) const override { os << value_; }

 private:
  std::string name_, value_;
};

// What the handlers share: Pistache clones the handler for each worker thread.
struct Shared {
  std::shared_ptr<RequestHandler> service;
  std::ostream* access_log = nullptr;
  std::mutex log_mutex;
  std::atomic<bool> draining{false};
  std::mutex inflight_mutex;
  std::condition_variable inflight_done;
  int inflight = 0;
};

// Counts a request in flight for as long as it lives, whatever way its handling ends.
class InFlight {
 public:
  explicit InFlight(Shared& shared) : shared_(shared) {
    std::lock_guard lock(shared_.inflight_mutex);
    ++shared_.inflight;
  }
  ~InFlight() {
    std::lock_guard lock(shared_.inflight_mutex);
    if (--shared_.inflight == 0) shared_.inflight_done.notify_all();
  }
  InFlight(const InFlight&) = delete;
  InFlight& operator=(const InFlight&) = delete;

 private:
  Shared& shared_;
};

// The request as api::Service sees it — from the head read here (request_head.h) and the
// body Pistache framed — or the 400 for a path or query that does not decode.
std::variant<Request, Reply> convert(const RequestHead& head, const Http::Request& req) {
  Request r;
  r.method = head.method;
  const size_t question = head.target.find('?');
  auto path = percent_decode(std::string_view(head.target).substr(0, question), false);
  if (!path || path->empty() || path->front() != '/') return Reply::error(400, "invalid", "the request path is malformed");
  r.path = std::move(*path);
  auto query = parse_query(question == std::string::npos ? std::string_view() : std::string_view(head.target).substr(question + 1));
  if (!query) return Reply::error(400, "invalid", "the query string is malformed");
  r.query = std::move(*query);
  std::sort(r.query.begin(), r.query.end());  // deterministic whatever the client's order
  r.headers = head.headers;
  r.body = req.body();
  r.peer = req.address().host();
  return r;
}

// What a connection has received and not yet given Pistache (request_head.h): the start of
// the next head, or the rest of the current request's body.
struct Framing {
  static constexpr const char* kPeerData = "closebook.framing";
  std::string pending;
  std::optional<RequestHead> current;  // read, its body still arriving
  uint64_t body_left = 0;
  bool refused = false;  // answered with an error and Connection: close; the rest is ignored
};

class HttpHandler : public Http::Handler {
 public:
  HTTP_PROTOTYPE(HttpHandler)
  HttpHandler(std::shared_ptr<Shared> shared, HeadLimits limits) : shared_(std::move(shared)), limits_(limits) {}

  // Every byte a connection receives comes here first: each request head is read strictly
  // (request_head.h) and Pistache is fed only its HTTP version and Content-Length, then the
  // body, one whole request at a time (Pistache's own onInput, which this replaces, parses
  // only the first of two requests received together until more bytes arrive).
  void onInput(const char* buffer, size_t len, const std::shared_ptr<Tcp::Peer>& peer) override {
    std::shared_ptr<Framing> framing = std::static_pointer_cast<Framing>(peer->tryGetData(Framing::kPeerData));
    if (!framing) {
      framing = std::make_shared<Framing>();
      peer->putData(Framing::kPeerData, framing);
    }
    if (framing->refused) return;
    framing->pending.append(buffer, len);
    try {
      while (serve_next(*framing, peer)) {
      }
    } catch (...) {  // Pistache's parser throws on what it cannot frame: a 400, never a 500 of its own
      refuse(*framing, peer, HeadRefused{400, "the request cannot be read"});
    }
  }

  // Pistache's header and body timeouts end here (a head or body that stopped arriving).
  void onTimeout(const Http::Request&, Http::ResponseWriter response) override {
    Reply reply = Reply::error(408, "timeout", "the request did not arrive in time");
    send(response, reply, /*keep_alive=*/false);
  }

  void onRequest(const Http::Request& req, Http::ResponseWriter response) override {
    assert(serving_ != nullptr);  // only serve_next() calls it, with the head it read
    const RequestHead& head = *serving_;
    const auto started = std::chrono::steady_clock::now();
    const InFlight in_flight(*shared_);
    Reply reply;
    std::string route = "unmatched";
    try {
      auto converted = convert(head, req);
      if (auto* refused = std::get_if<Reply>(&converted)) {
        reply = std::move(*refused);
      } else if (shared_->draining) {
        reply = Reply::error(503, "unavailable", "closebookd is shutting down");
        reply.headers.emplace_back("Retry-After", "5");
      } else {
        const Request& request = std::get<Request>(converted);
        route = shared_->service->route_of(request);
        reply = shared_->service->handle(request);
      }
    } catch (...) {
      // Pistache answers an escaping std::exception with its what() (a leak) and aborts the
      // process on anything else: nothing may escape.
      reply = Reply::error(500, "internal", "internal error");
    }
    send(response, reply, head.keep_alive);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    shared_->service->metrics().record(route, head.method, reply.status, seconds);
    log(req.address().host(), head, route, reply, seconds);
  }

 private:
  // Reads the next head, or gives Pistache the next part of the current body; serves a request
  // once it is whole. True if another may follow in what has been received.
  bool serve_next(Framing& f, const std::shared_ptr<Tcp::Peer>& peer) {
    auto parser = getParser(peer);
    if (!f.current) {
      HeadRead read = read_request_head(f.pending, limits_);
      if (std::holds_alternative<std::monostate>(read)) return false;
      if (auto* refused = std::get_if<HeadRefused>(&read)) {
        refuse(f, peer, *refused);
        return false;
      }
      auto& [head, used] = std::get<std::pair<RequestHead, size_t>>(read);
      const std::string framed = framing_head(head);
      if (!parser->feed(framed.data(), framed.size())) throw std::length_error("head");
      f.pending.erase(0, used);
      f.body_left = head.content_length;
      f.current = std::move(head);
    }
    const size_t take = static_cast<size_t>(std::min<uint64_t>(f.body_left, f.pending.size()));
    if (take > 0) {
      if (!parser->feed(f.pending.data(), take)) throw std::length_error("body");  // within max_request_bytes: not reached
      f.pending.erase(0, take);
      f.body_left -= take;
    }
    if (f.body_left > 0) return false;
    if (parser->parse() != Http::Private::State::Done) throw std::runtime_error("unframed");
    Http::Request& request = parser->request;
    request.copyAddress(peer->address());
    Http::ResponseWriter response(request.version(), transport(), this, peer);
    peer->setIdle(false);
    serving_ = &*f.current;
    onRequest(request, std::move(response));
    serving_ = nullptr;
    parser->reset();
    f.current.reset();
    return !f.pending.empty();
  }

  // Answers a head refused before Pistache saw it, as JSON, and reads nothing more from the
  // connection: what follows a bad head cannot be framed.
  void refuse(Framing& f, const std::shared_ptr<Tcp::Peer>& peer, const HeadRefused& why) {
    f.refused = true;
    f.pending.clear();
    Http::ResponseWriter response(Http::Version::Http11, transport(), this, peer);
    const Reply reply = Reply::error(why.status, why.status == 413 ? "payload_too_large" : "invalid", why.message);
    send(response, reply, /*keep_alive=*/false);
    shared_->service->metrics().record("unread", "-", reply.status, 0.0);
    RequestHead none;
    none.method = "-";
    log(peer->address().host(), none, "unread", reply, 0.0);
  }

  static void send(Http::ResponseWriter& response, const Reply& reply, bool keep_alive) {
    // State what the request asked for (RFC 9112 §9.3): Pistache would say "Close" to an
    // HTTP/1.1 client that keeps the connection. (It never closes for "Connection: close"
    // itself; clients that ask for it close their end.)
    response.headers().remove<Http::Header::Connection>();
    response.headers().add<Http::Header::Connection>(keep_alive ? Http::ConnectionControl::KeepAlive
                                                                : Http::ConnectionControl::Close);
    response.headers().add<Http::Header::ContentType>(Http::Mime::MediaType::fromString(reply.content_type));
    for (const auto& [name, value] : reply.headers) {
      // A value with a line break would split the response: never send one.
      if (std::any_of(value.begin(), value.end(), [](unsigned char c) { return c < 0x20 || c == 0x7f; })) continue;
      response.headers().add(std::make_shared<NamedHeader>(name, value));
    }
    response.headers().add(std::make_shared<NamedHeader>("Cache-Control", "no-store"));
    response.headers().add(std::make_shared<NamedHeader>("X-Content-Type-Options", "nosniff"));
    // The promise settles when the bytes are written; nothing here waits on it.
    response.send(static_cast<Http::Code>(reply.status), reply.body);
  }

  void log(const std::string& peer, const RequestHead& head, const std::string& route, const Reply& reply, double seconds) {
    if (shared_->access_log == nullptr) return;
    const std::string path = head.target.substr(0, head.target.find('?'));
    Json line{{"ts_ms", now_ms()}, {"peer", peer}, {"method", head.method},
              {"path", path.substr(0, 300)}, {"route", route}, {"status", reply.status},
              {"bytes", reply.body.size()}, {"ms", seconds * 1000.0}};
    if (!reply.token_id.empty()) {  // the token's id, never its secret
      line["token"] = reply.token_id;
      line["role"] = reply.role;
    }
    const std::string text = line.dump(-1, ' ', false, Json::error_handler_t::replace);
    std::lock_guard lock(shared_->log_mutex);
    *shared_->access_log << text << "\n" << std::flush;
  }

  std::shared_ptr<Shared> shared_;
  HeadLimits limits_;
  const RequestHead* serving_ = nullptr;  // the head of the request onRequest is serving
};

}  // namespace

struct Server::Impl {
  std::shared_ptr<Shared> shared;
  std::unique_ptr<Http::Endpoint> endpoint;
  ServerOptions options;
  bool stopped = false;
};

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Server::~Server() { stop(); }

Result<std::unique_ptr<Server>> Server::start(std::shared_ptr<RequestHandler> service, const ServerOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->shared = std::make_shared<Shared>();
  impl->shared->service = std::move(service);
  impl->shared->access_log = options.access_log;
  try {
    const Address address(options.host, Port(options.port));
    impl->endpoint = std::make_unique<Http::Endpoint>(address);
    auto opts = Http::Endpoint::options()
                    .threads(options.threads)
                    .flags(Tcp::Options::ReuseAddr)
                    .maxRequestSize(options.max_request_bytes)
                    .headerTimeout(options.header_timeout)
                    .bodyTimeout(options.body_timeout);
    impl->endpoint->init(opts);
    HeadLimits limits;
    limits.max_body_bytes = options.max_request_bytes > kHeaderBytesAllowance ? options.max_request_bytes - kHeaderBytesAllowance : 0;
    impl->endpoint->setHandler(std::make_shared<HttpHandler>(impl->shared, limits));
    impl->endpoint->serveThreaded();
  } catch (const std::exception& e) {
    return Error::io("cannot listen on " + options.host + ":" + std::to_string(options.port) + ": " + e.what());
  }
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

uint16_t Server::port() const { return static_cast<uint16_t>(impl_->endpoint->getPort()); }

void Server::stop() {
  if (impl_ == nullptr || impl_->stopped) return;
  impl_->stopped = true;
  impl_->shared->draining = true;
  {
    std::unique_lock lock(impl_->shared->inflight_mutex);
    impl_->shared->inflight_done.wait_for(lock, impl_->options.drain_timeout,
                                          [&] { return impl_->shared->inflight == 0; });
  }
  // send() only queues the reply; Pistache's shutdown() drops queued writes, so give the
  // workers a moment to put the last replies on the wire.
  std::this_thread::sleep_for(kFlushAllowance);
  impl_->endpoint->shutdown();
}

}  // namespace closebook::api
