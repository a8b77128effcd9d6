// serve (closebookd) and tokens: the HTTP API and the bearer tokens that reach it.
#include <pthread.h>
#include <signal.h>

#include <charconv>
#include <fstream>
#include <iomanip>
#include <iostream>

#include "api/server.h"
#include "api/tokens.h"
#include "cli/options.h"
#include "ledger/files.h"
#include "ledger/tiles.h"

namespace closebook::cli {
namespace {

struct Listen {
  std::string host;
  uint16_t port = 0;
};

Result<Listen> parse_listen(const std::string& text) {
  const size_t colon = text.rfind(':');
  Listen out;
  unsigned port = 0;
  const char* end = text.data() + text.size();
  if (colon == std::string::npos || colon == 0 ||
      std::from_chars(text.data() + colon + 1, end, port).ptr != end || colon + 1 == text.size() || port > 65535) {
    return Error::invalid("must be HOST:PORT, e.g. 127.0.0.1:8080, not \"" + text + "\"").in_field("--listen");
  }
  out.host = text.substr(0, colon);
  out.port = static_cast<uint16_t>(port);
  return out;
}

// SIGTERM and SIGINT are taken by sigwait() on the main thread: block them before any server
// thread starts, so every thread inherits the mask and none is interrupted mid-request.
sigset_t block_stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

Result<std::shared_ptr<api::Service>> open_service(const Context& ctx, const std::string& close_config,
                                                   const std::string& passphrase_file, api::ServiceOptions options) {
  CB_TRY(options.config, load_close_config(ctx, close_config));
  CB_TRY(auto ledger, ledger::Ledger::open(ctx.ledger_dir, {}));
  CB_TRY(auto tokens, api::TokenStore::open(ctx.ledger_dir, /*create=*/true));
  CB_TRY(SigningKey log_key, unlock_log_key(*ledger, passphrase_file));
  return std::make_shared<api::Service>(std::move(ledger), std::move(tokens), std::move(log_key), std::move(options));
}

int tokens_create(const Context& ctx, const std::vector<std::string>& args) {
  po::options_description options("tokens create options");
  std::string role, name;
  options.add_options()
      ("role", po::value(&role)->required(), "admin, ops, finance, gl, auditor or partner:<id>")
      ("name", po::value(&name), "who holds it (default: the role)");
  parse_args(args, options);
  auto principal = api::parse_role(role);
  if (!principal.ok()) return report(ctx, principal.error());
  auto store = api::TokenStore::open(ctx.ledger_dir, /*create=*/true);
  if (!store.ok()) return report(ctx, store.error());
  auto created = (*store)->create(*principal, name.empty() ? role : name);
  if (!created.ok()) return report(ctx, created.error());
  ctx.out << created->token << "\n";
  ctx.err << "closebook: token " << created->info.id << " (" << role << ") created; it is shown only this once\n";
  return 0;
}

int tokens_list(const Context& ctx) {
  auto store = api::TokenStore::open(ctx.ledger_dir, /*create=*/false);
  if (!store.ok()) return report(ctx, store.error());
  auto list = (*store)->list();
  if (!list.ok()) return report(ctx, list.error());
  ctx.out << std::left << std::setw(18) << "ID" << std::setw(24) << "ROLE" << std::setw(10) << "STATE" << "NAME\n";
  for (const auto& t : *list) {
    ctx.out << std::left << std::setw(18) << t.id << std::setw(24) << t.principal.role_text() << std::setw(10)
            << (t.revoked_at_ms != 0 ? "revoked" : "active") << t.name << "\n";
  }
  return 0;
}

int tokens_revoke(const Context& ctx, const std::vector<std::string>& args) {
  if (args.size() != 1) return report(ctx, Error::invalid("usage: tokens revoke ID"));
  auto store = api::TokenStore::open(ctx.ledger_dir, /*create=*/false);
  if (!store.ok()) return report(ctx, store.error());
  if (auto st = (*store)->revoke(args[0]); !st.ok()) return report(ctx, st.error());
  ctx.out << "token " << args[0] << " revoked\n";
  return 0;
}

// Waits for a stop signal. With a publish directory, publishes the log there now and again
// within a second of each time it grows, whichever process wrote it (docs/ledger.md §9.1).
// A failed publish is reported and retried; it never stops the server: the writes are in the
// ledger, and readers keep the last published checkpoint meanwhile.
int wait_publishing(const Context& ctx, const api::Service& service, const std::string& publish_dir,
                    const sigset_t& stop_signals) {
  uint64_t published = UINT64_MAX;
  std::string last_failure;
  for (;;) {
    if (!publish_dir.empty()) {
      auto snapshot = service.snapshot();
      if (snapshot.ok() && snapshot->size() != published) {
        auto report = ledger::publish_tiles(*snapshot, publish_dir);
        if (report.ok()) {
          published = snapshot->size();
          last_failure.clear();
        } else if (report.error().to_string() != last_failure) {
          last_failure = report.error().to_string();
          ctx.err << "closebookd: publishing to " << publish_dir << " failed (retrying): " << last_failure << "\n"
                  << std::flush;
        }
      }
    }
    const timespec one_second{1, 0};
    const int signal = sigtimedwait(&stop_signals, nullptr, &one_second);
    if (signal > 0) return signal;
  }
}

}  // namespace

int cmd_tokens(const Context& ctx) {
  const std::string verb = ctx.args.empty() ? "" : ctx.args[0];
  const std::vector<std::string> rest(ctx.args.begin() + (ctx.args.empty() ? 0 : 1), ctx.args.end());
  if (verb == "create") return tokens_create(ctx, rest);
  if (verb == "list") return tokens_list(ctx);
  if (verb == "revoke") return tokens_revoke(ctx, rest);
  return report(ctx, Error::invalid("usage: tokens create --role R [--name N] | list | revoke ID"));
}

int cmd_serve(const Context& ctx_in) {
  po::options_description options("serve options");
  Context ctx = ctx_in;
  std::string listen = "127.0.0.1:8080", config_file, close_config, passphrase_file, access_log = "-", port_file, publish_dir;
  api::ServerOptions server;
  api::ServiceOptions service_options;
  unsigned header_timeout = 10, body_timeout = 30, drain_timeout = 30;
  options.add_options()
      ("ledger", po::value(&ctx.ledger_dir), "the ledger directory")
      ("listen", po::value(&listen), "HOST:PORT (default 127.0.0.1:8080; port 0 picks a free one)")
      ("threads", po::value(&server.threads), "worker threads (default 2)")
      ("config", po::value(&config_file), "closebookd settings: a file of name = value lines, these options' names")
      ("close-config", po::value(&close_config), "close configuration (JSON), as for the CLI")
      ("passphrase-file", po::value(&passphrase_file), "the log key's passphrase")
      ("access-log", po::value(&access_log), "access log file (JSON lines), or - for standard error")
      ("port-file", po::value(&port_file), "write the port listened on to this new file")
      ("publish", po::value(&publish_dir), "keep DIR the log as tlog-tiles static files (closebook publish)")
      ("max-body-bytes", po::value(&service_options.max_body_bytes), "largest request body (default 1 MiB)")
      ("header-timeout", po::value(&header_timeout), "seconds to receive a request's headers (default 10)")
      ("body-timeout", po::value(&body_timeout), "seconds to receive its body (default 30)")
      ("drain-timeout", po::value(&drain_timeout), "seconds a stop waits for requests in flight (default 30)")
      ("auth-failures-per-minute", po::value(&service_options.auth_failures_per_minute),
       "failed authentications from one address before 429 (default 20)")
      ("writes-per-token-per-minute", po::value(&service_options.writes_per_token_per_minute),
       "writes one token may make in a minute before 429 (default 120)");
  po::variables_map vm;
  po::store(po::command_line_parser(ctx.args).options(options).run(), vm);
  if (vm.count("config")) {
    // Command-line values win: po::store keeps the first value it is given.
    std::ifstream file(vm["config"].as<std::string>());
    if (!file) return report(ctx, Error::not_found("cannot read " + vm["config"].as<std::string>()).in_field("--config"));
    po::store(po::parse_config_file(file, options), vm);
  }
  po::notify(vm);
  if (server.threads < 1 || server.threads > 256) return report(ctx, Error::invalid("must be 1 to 256").in_field("--threads"));
  if (service_options.auth_failures_per_minute < 1) {
    return report(ctx, Error::invalid("must be at least 1").in_field("--auth-failures-per-minute"));
  }
  if (service_options.writes_per_token_per_minute < 1) {
    return report(ctx, Error::invalid("must be at least 1").in_field("--writes-per-token-per-minute"));
  }
  if (service_options.max_body_bytes < 1024 || service_options.max_body_bytes > (size_t{1} << 30)) {
    return report(ctx, Error::invalid("must be 1 KiB to 1 GiB").in_field("--max-body-bytes"));
  }
  server.max_request_bytes = service_options.max_body_bytes + api::kHeaderBytesAllowance;
  auto where = parse_listen(listen);
  if (!where.ok()) return report(ctx, where.error());
  server.host = where->host;
  server.port = where->port;
  server.header_timeout = std::chrono::seconds(header_timeout);
  server.body_timeout = std::chrono::seconds(body_timeout);
  server.drain_timeout = std::chrono::seconds(drain_timeout);
  std::ofstream log_file;
  if (access_log != "-") {
    log_file.open(access_log, std::ios::app);
    if (!log_file) return report(ctx, Error::io("cannot open " + access_log).in_field("--access-log"));
  }
  server.access_log = access_log == "-" ? &ctx.err : &log_file;

  auto service = open_service(ctx, close_config, passphrase_file, std::move(service_options));
  if (!service.ok()) return report(ctx, service.error());
  const sigset_t stop_signals = block_stop_signals();
  auto running = api::Server::start(*service, server);
  if (!running.ok()) return report(ctx, running.error());
  const uint16_t port = (*running)->port();
  if (!port_file.empty()) {
    if (auto st = write_new_file(port_file, std::to_string(port) + "\n", 0644); !st.ok()) return report(ctx, st.error());
  }
  ctx.err << "closebookd: serving " << ctx.ledger_dir << " on " << server.host << ":" << port << "\n" << std::flush;
  const int signal = wait_publishing(ctx, **service, publish_dir, stop_signals);
  ctx.err << "closebookd: " << (signal == SIGTERM ? "SIGTERM" : "SIGINT") << ": finishing requests in flight\n" << std::flush;
  (*running)->stop();
  ctx.err << "closebookd: stopped\n";
  return 0;
}

}  // namespace closebook::cli
