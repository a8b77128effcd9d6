// closebook-verify: offline verification for auditors. See docs/ledger.md §10.
#include <sys/wait.h>
#include <unistd.h>

#include <boost/program_options.hpp>
#include <cerrno>
#include <charconv>
#include <ctime>
#include <fstream>
#include <filesystem>
#include <iostream>

#include "verify/io.h"
#include "verify/verify.h"

namespace po = boost::program_options;
using namespace closebook;

namespace {

constexpr const char* kUsage = R"(usage: closebook-verify <command> --key VKEY ...

  ledger DIR                                   replay a whole ledger directory
  checkpoint FILE                              a signed checkpoint
  inclusion --checkpoint F --proof F --entry F an entry's inclusion proof
  consistency --old F --new F --proof F        a consistency proof between two checkpoints
  bundle FILE                                  an evidence bundle: proofs, signers, and every
                                               amount recomputed (docs/evidence.md)
  tiles BASE --entry I [--old CP] [--out F]    entry I of the log published as tlog-tiles at BASE
                                               (a URL or a directory): its checkpoint, bundle and
                                               inclusion proof from the hash tiles; with --old, that
                                               the published checkpoint extends CP

  bundle refuses withheld entries unless given --allow-withheld (a partner's or the GL's bundle)
  checkpoint and bundle also take --policy FILE (a C2SP tlog-policy: the witnesses you trust
  and the quorum of their cosignatures a checkpoint needs) and --max-age SECONDS (each of
  those cosignatures at most that old: a checkpoint no quorum saw lately is refused)

VKEY is a verifier key line (name+hash+key) or a file holding one: the log key you trust,
obtained independently of the ledger being checked. Exit status: 0 verified, 1 usage,
2 bad input, 4 verification failed, 5 I/O error.
)";

int exit_code(const Error& e) {
  switch (e.code) {
    case Code::kCorruption: return 4;
    case Code::kIOError:
    case Code::kNotFound:
    case Code::kPermission:
    case Code::kBusy:
    case Code::kFull: return 5;
    default: return 2;
  }
}

int fail(const Error& e) {
  std::cout << "FAIL: " << e.to_string() << "\n";
  return exit_code(e);
}

int replay(const std::string& dir, const VerifierKey& key) {
  auto report = verify::replay_ledger(dir, key);
  if (!report.ok()) return fail(report.error());
  std::cout << "OK: ledger " << report->origin << ": " << report->entries << " entries, "
            << report->checkpoints << " checkpoints, " << report->sign_offs << " sign-offs, root " << to_hex(report->root)
            << "\n  hash chain, canonical entries, tree nodes, checkpoint roots and signatures, key registry and"
               " sign-off signatures verified\n"
            << "  recomputed by the rules of docs/evidence.md §2: " << report->lines_recomputed << " priced lines, "
            << report->credits_recomputed << " credits, " << report->invoices_recomputed << " invoices, "
            << report->statements_recomputed << " sign-off statements\n";
  if (report->subjects != 0) {
    std::cout << "  subject map rebuilt from the entries: " << report->subjects
              << " subjects, the root the latest checkpoint signs (docs/ledger.md §7.1)\n";
  }
  return 0;
}

// LMDB trusts the file it maps: a damaged copy can make it read out of bounds (SIGSEGV,
// SIGBUS) before any check of ours runs. The replay runs in a child process, so a ledger
// that crashes the reader is reported as failing verification, never as a crash.
int replay_isolated(const std::string& dir, const VerifierKey& key) {
  std::cout.flush();
  const pid_t child = ::fork();
  if (child < 0) return replay(dir, key);  // no isolation available; still verify
  if (child == 0) {
    const int code = replay(dir, key);
    std::cout.flush();
    ::_exit(code);
  }
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  std::cout << "FAIL: reading " << dir << " crashed the LMDB reader (signal "
            << (WIFSIGNALED(status) ? WTERMSIG(status) : 0)
            << "): the ledger file is truncated or corrupt\n";
  return 4;
}

// --policy and --max-age: the checkpoint must be cosigned by the policy's quorum (and lately).
Status check_policy(const po::variables_map& vm, std::string_view note, const VerifierKey& key) {
  if (!vm.count("policy")) {
    if (vm.count("max-age")) return Error::invalid("--max-age needs --policy: the witnesses whose cosignatures carry the time");
    return {};
  }
  CB_TRY(std::string policy, read_whole_file(vm["policy"].as<std::string>()));
  std::optional<uint64_t> max_age;
  if (vm.count("max-age")) {
    const std::string& text = vm["max-age"].as<std::string>();
    uint64_t seconds = 0;
    const auto parsed = std::from_chars(text.data(), text.data() + text.size(), seconds);
    if (parsed.ec != std::errc{} || parsed.ptr != text.data() + text.size()) {
      return Error::invalid("--max-age: a number of seconds, not \"" + text + "\"");
    }
    max_age = seconds;
  }
  const auto now = static_cast<uint64_t>(std::time(nullptr));
  return verify::check_witnessed(note, key, policy, now, max_age);
}

void print_witnessed(const po::variables_map& vm) {
  if (!vm.count("policy")) return;
  std::cout << "  cosigned by the quorum of " << vm["policy"].as<std::string>();
  if (vm.count("max-age")) std::cout << ", each within " << vm["max-age"].as<std::string>() << " s";
  std::cout << "\n";
}

int run(const std::string& command, const po::variables_map& vm) {
  auto key = load_verifier_key(vm["key"].as<std::string>());
  if (!key.ok()) return fail(key.error());
  auto file = [&](const char* option) -> Result<std::string> {
    if (!vm.count(option)) return Error::invalid(std::string("--") + option + " is required");
    return read_whole_file(vm[option].as<std::string>());
  };
  if (command == "ledger") {
    if (!vm.count("target")) return fail(Error::invalid("ledger: give the ledger directory"));
    return replay_isolated(vm["target"].as<std::string>(), *key);
  }
  if (command == "checkpoint") {
    if (!vm.count("target")) return fail(Error::invalid("checkpoint: give the checkpoint file"));
    auto note = read_whole_file(vm["target"].as<std::string>());
    if (!note.ok()) return fail(note.error());
    auto cp = verify::check_checkpoint(*note, *key);
    if (!cp.ok()) return fail(cp.error());
    if (auto st = check_policy(vm, *note, *key); !st.ok()) return fail(st.error());
    std::cout << "OK: checkpoint " << cp->origin << " size " << cp->size << " root " << to_hex(cp->root) << "\n";
    print_witnessed(vm);
    return 0;
  }
  if (command == "inclusion") {
    auto cp = file("checkpoint"), proof = file("proof"), entry = file("entry");
    for (auto* r : {&cp, &proof, &entry}) if (!r->ok()) return fail(r->error());
    auto report = verify::check_inclusion(*cp, *proof, *entry, *key);
    if (!report.ok()) return fail(report.error());
    std::cout << "OK: the entry is included in " << report->origin << " at size " << report->size << "\n";
    return 0;
  }
  if (command == "consistency") {
    auto old_cp = file("old"), new_cp = file("new"), proof = file("proof");
    for (auto* r : {&old_cp, &new_cp, &proof}) if (!r->ok()) return fail(r->error());
    auto report = verify::check_consistency(*old_cp, *new_cp, *proof, *key);
    if (!report.ok()) return fail(report.error());
    std::cout << "OK: size " << report->size << " of " << report->origin << " extends the older checkpoint\n";
    return 0;
  }
  if (command == "tiles") {
    if (!vm.count("target") || !vm.count("entry")) return fail(Error::invalid("tiles: give BASE and --entry I"));
    std::optional<std::string> old_note;
    if (vm.count("old")) {
      auto text = file("old");
      if (!text.ok()) return fail(text.error());
      old_note = *text;
    }
    const std::string& index_text = vm["entry"].as<std::string>();
    uint64_t index = 0;
    const auto parsed = std::from_chars(index_text.data(), index_text.data() + index_text.size(), index);
    if (parsed.ec != std::errc{} || parsed.ptr != index_text.data() + index_text.size()) {
      return fail(Error::invalid("--entry: an entry index (0, 1, ...) for tiles, not \"" + index_text + "\""));
    }
    auto r = verify::check_tiles_entry(file_reader(vm["target"].as<std::string>()), index, *key,
                                       old_note ? std::optional<std::string_view>(*old_note) : std::nullopt);
    if (!r.ok()) return fail(r.error());
    if (vm.count("out")) {
      std::ofstream out(vm["out"].as<std::string>(), std::ios::binary);
      out << r->entry;
      if (!out) return fail(Error::io("cannot write " + vm["out"].as<std::string>()));
    }
    std::cout << "OK: entry " << r->index << " (" << r->kind << ") is included in " << r->checkpoint.origin << " at size "
              << r->checkpoint.size << ", proven from " << r->tiles_fetched << " published tiles\n";
    if (vm.count("old")) std::cout << "  the published checkpoint extends the given one of size " << r->old_size << "\n";
    return 0;
  }
  if (command == "bundle") {
    if (!vm.count("target")) return fail(Error::invalid("bundle: give the bundle file"));
    auto text = read_whole_file(vm["target"].as<std::string>());
    if (!text.ok()) return fail(text.error());
    auto r = verify::check_bundle(*text, *key);
    if (!r.ok()) return fail(r.error());
    if (r->withheld != 0 && !vm.count("allow-withheld")) {
      return fail(Error::corruption("R33: the bundle withholds " + std::to_string(r->withheld) +
                                    " entries (hash and inclusion only): an auditor's bundle carries everything; "
                                    "a partner's or the GL's may withhold the match and the exception queue, "
                                    "and a partner's the distributor's costs and totals (--allow-withheld)"));
    }
    if (auto st = check_policy(vm, r->checkpoint, *key); !st.ok()) return fail(st.error());
    std::cout << "OK: bundle for " << r->subject_kind << " " << r->subject_id << "\n"
              << "  " << r->entries << " entries, each included in " << r->origin << " at size " << r->tree_size
              << " (signed checkpoint verified)\n"
              << "  " << r->references << " references between them match their hashes\n"
              << "  " << r->sign_offs << " sign-offs consistent with the checkpoint, signed by";
    for (const std::string& name : r->signers) std::cout << " " << name;
    std::cout << " (keys registered and active when they signed)\n"
              << "  amounts recomputed: " << r->lines_recomputed << " priced lines, " << r->invoices_recomputed
              << " invoices (quantity from usage, rule version, FX lock, rounding, GST, totals)\n";
    if (r->lines_cost_withheld != 0 || r->lines_usage_withheld != 0 || r->summaries_withheld != 0) {
      std::cout << "  not checked here, withheld from this audience (R34): the cost, margin and rule choice of "
                << r->lines_cost_withheld + r->lines_usage_withheld << " priced lines (their sell amounts were recomputed), "
                << "the quantity of " << r->lines_usage_withheld << " of them (their rated usage carries the vendor's price), "
                << "and the summaries of " << r->summaries_withheld << " sign-offs (their signatures and tree heads were "
                   "verified); an auditor's bundle or `closebook-verify ledger` checks them\n";
    }
    std::cout
              << "  complete against the subject map the checkpoint signs: every entry filed under its "
              << r->subjects_proven << " subjects is in the bundle";
    if (r->withheld != 0) std::cout << ", " << r->withheld << " of them withheld from this audience (hash and inclusion only)";
    std::cout << "\n";
    print_witnessed(vm);
    return 0;
  }
  std::cerr << "closebook-verify: unknown command \"" << command << "\"\n" << kUsage;
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  po::options_description options;
  options.add_options()("help,h", "")("key", po::value<std::string>())("checkpoint", po::value<std::string>())(
      "proof", po::value<std::string>())("entry", po::value<std::string>())("old", po::value<std::string>())(
      "new", po::value<std::string>())("out", po::value<std::string>())("policy", po::value<std::string>())("allow-withheld", "")("max-age", po::value<std::string>())("command", po::value<std::string>())("target", po::value<std::string>());
  po::positional_options_description positional;
  positional.add("command", 1).add("target", 1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(options).positional(positional).run(), vm);
  } catch (const po::error& e) {
    std::cerr << "closebook-verify: " << e.what() << "\n" << kUsage;
    return 1;
  }
  if (vm.count("help") || !vm.count("command")) {
    (vm.count("help") ? std::cout : std::cerr) << kUsage;
    return vm.count("help") ? 0 : 1;
  }
  if (!vm.count("key")) {
    std::cerr << "closebook-verify: --key is required: the log's verifier key, obtained out of band\n";
    return 1;
  }
  return run(vm["command"].as<std::string>(), vm);
}
