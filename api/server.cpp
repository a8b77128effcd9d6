#include "api/server.h"

#include <pistache/endpoint.h>
#include <pistache/http.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <ostream>
#include <sstream>
#include <thread>

namespace closebook::api {
namespace {

using namespace Pistache;

constexpr auto kFlushAllowance = std::chrono::milliseconds(200);

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

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

// A request header's value as the client sent it. Pistache parses the headers it knows into
// typed objects; Accept does not write itself back, so its media ranges are rebuilt.
std::string header_value(const Http::Header::Header& header) {
  if (const auto* accept = dynamic_cast<const Http::Header::Accept*>(&header)) {
    std::string out;
    for (const auto& media : accept->media()) out += (out.empty() ? "" : ", ") + media.toString();
    return out;
  }
  std::ostringstream value;
  header.write(value);
  return value.str();
}

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

// The request as api::Service sees it, or the 400 for a path that does not decode.
std::variant<Request, Reply> convert(const Http::Request& req) {
  Request r;
  r.method = Http::methodString(req.method());
  auto path = percent_decode(req.resource(), false);
  if (!path || path->empty() || path->front() != '/') return Reply::error(400, "invalid", "the request path is malformed");
  r.path = std::move(*path);
  // Pistache splits the query but decodes nothing (and keeps the first of repeated names).
  for (auto it = req.query().parameters_begin(); it != req.query().parameters_end(); ++it) {
    auto name = percent_decode(it->first, true), value = percent_decode(it->second, true);
    if (!name || !value) return Reply::error(400, "invalid", "the query string is malformed");
    r.query.emplace_back(std::move(*name), std::move(*value));
  }
  std::sort(r.query.begin(), r.query.end());  // Pistache keeps them unordered: be deterministic
  // Pistache parses the headers it knows into typed objects and keeps the rest raw.
  for (const auto& header : req.headers().list()) r.headers.emplace_back(lower(header->name()), header_value(*header));
  for (const auto& [name, raw] : req.headers().rawList()) r.headers.emplace_back(lower(name), raw.value());
  r.body = req.body();
  r.peer = req.address().host();
  return r;
}

class HttpHandler : public Http::Handler {
 public:
  HTTP_PROTOTYPE(HttpHandler)
  explicit HttpHandler(std::shared_ptr<Shared> shared) : shared_(std::move(shared)) {}

  void onRequest(const Http::Request& req, Http::ResponseWriter response) override {
    const auto started = std::chrono::steady_clock::now();
    const InFlight in_flight(*shared_);
    Reply reply;
    std::string route = "unmatched";
    try {
      auto converted = convert(req);
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
    send(req, response, reply);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    const std::string method = Http::methodString(req.method());
    shared_->service->metrics().record(route, method, reply.status, seconds);
    log(req, method, route, reply, seconds);
  }

 private:
  static void send(const Http::Request& req, Http::ResponseWriter& response, const Reply& reply) {
    // Pistache echoes the request's Connection header and says "Close" when there is none,
    // even to HTTP/1.1 clients that keep the connection: state what HTTP/1.1 means. (It never
    // closes for "Connection: close" itself; clients that ask for it close their end.)
    const auto connection = req.headers().tryGet<Http::Header::Connection>();
    const bool close = connection ? connection->control() == Http::ConnectionControl::Close
                                  : req.version() == Http::Version::Http10;
    response.headers().remove<Http::Header::Connection>();
    response.headers().add<Http::Header::Connection>(close ? Http::ConnectionControl::Close
                                                           : Http::ConnectionControl::KeepAlive);
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

  void log(const Http::Request& req, const std::string& method, const std::string& route, const Reply& reply,
           double seconds) {
    if (shared_->access_log == nullptr) return;
    Json line{{"ts_ms", now_ms()}, {"peer", req.address().host()}, {"method", method},
              {"path", req.resource().substr(0, 300)}, {"route", route}, {"status", reply.status},
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
    impl->endpoint->setHandler(std::make_shared<HttpHandler>(impl->shared));
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
