// serve (closebookd) and tokens: the HTTP API and the bearer tokens that reach it.
#include <pthread.h>
#include <signal.h>

#include <charconv>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>

#include "api/server.h"
#include "api/tokens.h"
#include "api/witness_service.h"
#include "cli/options.h"
#include "evidence/policy.h"
#include "ledger/files.h"
#include "ledger/tiles.h"
#include "witness/client.h"

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

// The access log: `path`, appended to (opened into `file`), or standard error for "-".
Result<std::ostream*> open_access_log(const Context& ctx, const std::string& path, std::ofstream& file) {
  if (path == "-") return &ctx.err;
  file.open(path, std::ios::app);
  if (!file) return Error::io("cannot open " + path).in_field("--access-log");
  return static_cast<std::ostream*>(&file);
}

// --port-file: the port listened on, in a new file, for whoever started the server on port 0.
Status write_port_file(const std::string& path, uint16_t port) {
  if (path.empty()) return {};
  return write_new_file(path, std::to_string(port) + "\n", 0644);
}

uint64_t now_seconds() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

// Submits each new checkpoint to the witnesses of a policy (C2SP tlog-witness) and stores the
// cosignatures that verify under their keys beside the log's signature (docs/ledger.md §4.1).
class Witnessing {
 public:
  explicit Witnessing(WitnessPolicy policy) : policy_(std::move(policy)), known_(policy_.witnesses().size(), 0),
                                              done_(policy_.witnesses().size(), 0) {}

  // Ok once every witness with a URL has cosigned the snapshot's checkpoint; each failure is
  // named in `failures` and retried on the next call.
  void follow(api::Service& service, const ledger::Snapshot& snapshot, std::vector<std::string>& failures) {
    const uint64_t size = snapshot.size();
    for (size_t i = 0; i < policy_.witnesses().size(); ++i) {
      const PolicyWitness& w = policy_.witnesses()[i];
      if (w.url.empty() || done_[i] == size) continue;
      if (auto st = cosign(service, snapshot, i); !st.ok()) {
        failures.push_back(w.name + ": " + st.error().message);
      } else {
        done_[i] = size;
      }
    }
  }

 private:
  Status cosign(api::Service& service, const ledger::Snapshot& snapshot, size_t i) {
    const PolicyWitness& w = policy_.witnesses()[i];
    const uint64_t size = snapshot.size();
    CB_TRY(std::string checkpoint, snapshot.checkpoint(size));
    auto proof = [&](uint64_t old) { return snapshot.consistency_proof(old, size); };
    CB_TRY(std::string lines, witness::submit(w.url, checkpoint, size, known_[i], proof));
    CB_TRY(Note cosigned, parse_note(checkpoint + lines));
    CB_TRY(const uint64_t cosigned_at, cosignature_time(cosigned, w.key));
    (void)cosigned_at;  // verified; its freshness is for the verifier's policy to judge
    std::vector<NoteSignature> theirs;
    for (const NoteSignature& s : cosigned.signatures) {
      if (s.name == w.key.name && s.hash == w.key.hash) theirs.push_back(s);
    }
    return service.add_cosignatures(size, theirs);
  }

  WitnessPolicy policy_;
  std::vector<uint64_t> known_;  // the size each witness holds, as far as we know
  std::vector<uint64_t> done_;   // the size each has cosigned for us
};

// Waits for a stop signal. With a publish directory, publishes the log there now and again
// within a second of each time it grows, whichever process wrote it (docs/ledger.md §9.1);
// with witnesses, has each new checkpoint cosigned. A failure is reported and retried; it
// never stops the server: the writes are in the ledger, and readers keep the last published
// (or cosigned) checkpoint meanwhile.
int wait_following(const Context& ctx, api::Service& service, const std::string& publish_dir,
                   std::optional<Witnessing>& witnessing, const sigset_t& stop_signals) {
  std::string published;  // the checkpoint last published: republished when it grows or gains cosignatures
  std::string last_failure;
  for (;;) {
    std::vector<std::string> failures;
    if (witnessing) {
      if (auto snapshot = service.snapshot(); snapshot.ok()) witnessing->follow(service, *snapshot, failures);
    }
    auto snapshot = service.snapshot();  // after the cosignatures, so the published checkpoint carries them
    auto latest = snapshot.ok() ? snapshot->latest_checkpoint() : Result<std::string>(snapshot.error());
    if (!publish_dir.empty() && latest.ok() && *latest != published) {
      auto report = ledger::publish_tiles(*snapshot, publish_dir);
      if (report.ok()) {
        published = *latest;
      } else {
        failures.push_back("publishing to " + publish_dir + ": " + report.error().to_string());
      }
    }
    std::string failure;
    for (const std::string& f : failures) failure += f + "; ";
    if (!failure.empty() && failure != last_failure) ctx.err << "closebookd: (retrying) " << failure << "\n" << std::flush;
    last_failure = failure;
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
  std::string listen = "127.0.0.1:8080", config_file, close_config, passphrase_file, access_log = "-", port_file, publish_dir,
              witness_policy;
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
      ("witness-policy", po::value(&witness_policy), "a C2SP tlog-policy file: have each checkpoint cosigned by its witnesses' URLs")
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
  auto log_to = open_access_log(ctx, access_log, log_file);
  if (!log_to.ok()) return report(ctx, log_to.error());
  server.access_log = *log_to;

  std::optional<Witnessing> witnessing;
  if (!witness_policy.empty()) {
    auto text = read_file(witness_policy, 1 << 20);
    if (!text.ok()) return report(ctx, text.error());
    auto policy = WitnessPolicy::parse(*text);
    if (!policy.ok()) return report(ctx, std::move(policy).error().at(witness_policy, 0));
    witnessing.emplace(std::move(*policy));
  }
  auto service = open_service(ctx, close_config, passphrase_file, std::move(service_options));
  if (!service.ok()) return report(ctx, service.error());
  const sigset_t stop_signals = block_stop_signals();
  auto running = api::Server::start(*service, server);
  if (!running.ok()) return report(ctx, running.error());
  const uint16_t port = (*running)->port();
  if (auto st = write_port_file(port_file, port); !st.ok()) return report(ctx, st.error());
  ctx.err << "closebookd: serving " << ctx.ledger_dir << " on " << server.host << ":" << port << "\n" << std::flush;
  const int signal = wait_following(ctx, **service, publish_dir, witnessing, stop_signals);
  ctx.err << "closebookd: " << (signal == SIGTERM ? "SIGTERM" : "SIGINT") << ": finishing requests in flight\n" << std::flush;
  (*running)->stop();
  ctx.err << "closebookd: stopped\n";
  return 0;
}

namespace {

int witness_vkey(const Context& ctx, const std::vector<std::string>& args) {
  po::options_description options("witness vkey options");
  std::string pub;
  options.add_options()("pub", po::value(&pub)->required(), "the witness key's FILE.pub (from keygen)");
  po::positional_options_description positional;
  positional.add("pub", 1);
  parse_args(args, options, positional);
  auto text = read_file(pub, 4096);
  if (!text.ok()) return report(ctx, text.error());
  std::string line = *text;
  line.erase(line.find_last_not_of("\n") + 1);
  auto key = VerifierKey::parse(line);
  if (!key.ok()) return report(ctx, std::move(key).error().at(pub, 1));
  ctx.out << CosignerKey{key->name, cosigner_key_hash(key->name, key->key), key->key}.to_string() << "\n";
  return 0;
}

int witness_serve(const Context& ctx, const std::vector<std::string>& args) {
  po::options_description options("witness serve options");
  std::string key_file, state_dir, listen = "127.0.0.1:8090", passphrase_file, port_file, access_log = "-";
  std::vector<std::string> logs;
  options.add_options()
      ("key", po::value(&key_file)->required(), "the witness's secret key file (from keygen)")
      ("log", po::value(&logs)->required(), "a log's verifier key to witness (repeat for more)")
      ("state", po::value(&state_dir)->required(), "directory of the latest checkpoint cosigned per log")
      ("listen", po::value(&listen), "HOST:PORT (default 127.0.0.1:8090; port 0 picks a free one)")
      ("passphrase-file", po::value(&passphrase_file), "the key's passphrase")
      ("port-file", po::value(&port_file), "write the port listened on to this new file")
      ("access-log", po::value(&access_log), "access log file (JSON lines), or - for standard error");
  parse_args(args, options);
  std::vector<VerifierKey> trusted;
  for (const std::string& l : logs) {
    auto key = VerifierKey::parse(l);
    if (!key.ok()) return report(ctx, std::move(key).error().in_field("--log"));
    trusted.push_back(*key);
  }
  std::error_code ec;
  std::filesystem::create_directories(state_dir, ec);
  if (ec) return report(ctx, Error::io("cannot create " + state_dir + ": " + ec.message()).in_field("--state"));
  auto key = open_key_file(key_file, passphrase_file);
  if (!key.ok()) return report(ctx, key.error());
  for (const VerifierKey& log : trusted) {
    if (log.key == key->public_key()) return report(ctx, Error::invalid("a log cannot witness itself: use another key").in_field("--key"));
  }
  auto where = parse_listen(listen);
  if (!where.ok()) return report(ctx, where.error());
  api::ServerOptions server;
  server.host = where->host;
  server.port = where->port;
  server.max_request_bytes = witness::kAddCheckpointBytesMax + api::kHeaderBytesAllowance;
  std::ofstream log_file;
  auto log_to = open_access_log(ctx, access_log, log_file);
  if (!log_to.ok()) return report(ctx, log_to.error());
  server.access_log = *log_to;
  auto witness = std::make_unique<witness::Witness>(state_dir, std::move(*key), std::move(trusted), now_seconds);
  const std::string vkey = witness->cosigner().to_string();
  const sigset_t stop_signals = block_stop_signals();
  auto running = api::Server::start(std::make_shared<api::WitnessService>(std::move(witness)), server);
  if (!running.ok()) return report(ctx, running.error());
  const uint16_t port = (*running)->port();
  if (auto st = write_port_file(port_file, port); !st.ok()) return report(ctx, st.error());
  ctx.err << "closebook witness: " << vkey << " on " << server.host << ":" << port << "\n" << std::flush;
  int signal = 0;
  while (signal <= 0) signal = sigwaitinfo(&stop_signals, nullptr);
  (*running)->stop();
  ctx.err << "closebook witness: stopped\n";
  return 0;
}

}  // namespace

int cmd_witness(const Context& ctx) {
  const std::string verb = ctx.args.empty() ? "" : ctx.args[0];
  const std::vector<std::string> rest(ctx.args.begin() + (ctx.args.empty() ? 0 : 1), ctx.args.end());
  if (verb == "serve") return witness_serve(ctx, rest);
  if (verb == "vkey") return witness_vkey(ctx, rest);
  return report(ctx, Error::invalid("usage: witness serve --key FILE --log VKEY... --state DIR [--listen HOST:PORT] | vkey FILE.pub"));
}

}  // namespace closebook::cli
