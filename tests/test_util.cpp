#include "tests/test_util.h"

#include "match/feeds.h"
#include "match/pricing.h"
#include "match/reference.h"
#include "match/three_way.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <sodium.h>

#include "evidence/keyfile.h"
#include "ledger/layout.h"

extern char** environ;

namespace closebook::test {

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "closebook-test-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

void fill_big_invoice(schema::Entry::Builder entry, unsigned items) {
  entry.setEffective("2026-10");
  auto invoice = entry.initKind().initInvoice();
  invoice.setInvoiceId("INV-2026-10-P001");
  invoice.setPeriod("2026-10");
  auto list = invoice.initItems(items);
  const Hash h = sha256(std::string_view("line"));
  for (unsigned i = 0; i < items; ++i) {
    list[i].initLine().setIndex(0);
    list[i].getLine().setHash(capnp::Data::Reader(h.data(), h.size()));
    list[i].setLineId("PL-2026-10-" + std::to_string(100000 + i));
    list[i].setDescription("microsoft CFQ7TTC0LCHC:0002 for T" + std::to_string(i) + ", 31/31 days");
    list[i].setQuantity("12");
    list[i].setUnitPrice("31.900000000000");
    list[i].setAmount("382.80");
    list[i].setGst("38.28");
  }
}

std::string cheap_seal(const SigningKey& key) {
  return seal_signing_key(key, "test-passphrase", {crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN}).value();
}

std::unique_ptr<ledger::Ledger> new_ledger(const std::string& dir, const SigningKey& key) {
  auto created = ledger::Ledger::init(dir, key, {key.name(), cheap_seal(key)});
  if (!created.ok()) throw std::runtime_error(created.error().to_string());
  auto opened = ledger::Ledger::open(dir, {});
  if (!opened.ok()) throw std::runtime_error(opened.error().to_string());
  return std::move(opened).value();
}

std::string source_dir() { return CLOSEBOOK_SOURCE_DIR; }

void edit_behind_its_back(const std::string& dir, const std::function<void(MDB_txn*)>& edit) {
  // Throws rather than asserting: this file is also linked into fuzz targets, without gtest.
  auto check = [](int rc, const char* what) {
    if (rc != 0) throw std::runtime_error(std::string(what) + ": " + mdb_strerror(rc));
  };
  MDB_env* env = nullptr;
  check(mdb_env_create(&env), "mdb_env_create");
  mdb_env_set_maxdbs(env, ledger::kDbCountMax);
  mdb_env_set_mapsize(env, ledger::kMapSizeDefault);
  check(mdb_env_open(env, dir.c_str(), 0, 0600), "mdb_env_open");
  MDB_txn* txn = nullptr;
  check(mdb_txn_begin(env, nullptr, 0, &txn), "mdb_txn_begin");
  edit(txn);
  check(mdb_txn_commit(txn), "mdb_txn_commit");
  mdb_env_close(env);
}

ledger::Draft fx_rate_draft(int i, size_t source_bytes) {
  ledger::Draft d;
  d.entry().setEffective("2026-10-01");
  auto f = d.entry().getKind().initFxRate();
  f.setDate("2026-10-01");
  f.setBase("USD");
  f.setQuote("AUD");
  f.setRate("1." + std::to_string(100000 + i));
  f.setSource(std::string(source_bytes, 's'));
  return d;
}

namespace {

template <class Plan>
void append_or_throw(ledger::Ledger& ledger, const SigningKey& key, Result<Plan> plan) {
  if (!plan.ok()) throw std::runtime_error(plan.error().to_string());
  auto receipt = ledger.append(plan->drafts, key);
  if (!receipt.ok()) throw std::runtime_error(receipt.error().to_string());
}

}  // namespace

std::map<std::string, std::string> bundled_sample() {
  std::map<std::string, std::string> files;
  for (const char* name : {"partners.csv", "tenants.csv", "rules.csv", "fx.csv", "invoice-microsoft-nce.csv",
                           "invoice-generic.csv", "usage.csv"}) {
    files[name] = read_text(source_dir() + "/data/sample/" + name);
  }
  return files;
}

void load_period(ledger::Ledger& ledger, const SigningKey& key, const std::map<std::string, std::string>& files,
                 const std::string& period) {
  using match::ReferenceKind;
  const std::pair<ReferenceKind, const char*> refs[] = {{ReferenceKind::kPartners, "partners.csv"},
                                                        {ReferenceKind::kTenants, "tenants.csv"},
                                                        {ReferenceKind::kRules, "rules.csv"},
                                                        {ReferenceKind::kFx, "fx.csv"}};
  for (const auto& [kind, name] : refs) {
    auto snap = ledger.snapshot().value();
    append_or_throw(ledger, key, match::plan_reference_load(kind, name, files.at(name), snap));
  }
  const std::pair<const match::Format&, const char*> feeds[] = {
      {match::format("microsoft-nce"), "invoice-microsoft-nce.csv"},
      {match::format("generic"), "invoice-generic.csv"},
      {match::format("closebook-usage-v1"), "usage.csv"}};
  for (const auto& [format, name] : feeds) {
    append_or_throw(ledger, key, match::plan_feed_load(format, name, files.at(name), {period, nullptr}));
  }
}

void price_and_match(ledger::Ledger& ledger, const SigningKey& key, const std::string& period) {
  append_or_throw(ledger, key, match::plan_pricing(ledger.snapshot().value(), {period}));
  append_or_throw(ledger, key, match::plan_match(ledger.snapshot().value(), {period}));
}

pid_t spawn(const std::string& program, const std::vector<std::string>& args, const std::vector<std::string>& env,
            const std::string& out_path, const std::string& err_path) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  std::vector<std::string> argv_strings{program};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_strings) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) env_strings.emplace_back(*e);
  env_strings.insert(env_strings.end(), env.begin(), env.end());
  std::vector<char*> envp;
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, program.c_str(), &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  return rc == 0 ? pid : -1;
}

int wait_exit(pid_t pid) {
  int status = 0;
  if (::waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

RunResult run(const std::string& program, const std::vector<std::string>& args,
              const std::vector<std::string>& env) {
  TempDir io;
  const std::string out_path = io / "out", err_path = io / "err";
  RunResult result;
  const pid_t pid = spawn(program, args, env, out_path, err_path);
  if (pid < 0) return result;
  result.exit_code = wait_exit(pid);
  result.out = read_text(out_path);
  result.err = read_text(err_path);
  return result;
}

}  // namespace closebook::test
