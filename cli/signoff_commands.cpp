// keys, sign, signoff: the signer key registry and the signed close of a period.
#include <sodium.h>

#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/append.h"
#include "cli/options.h"
#include "close/keys.h"
#include "close/signoff.h"
#include "evidence/keyfile.h"
#include "ledger/files.h"
#include "match/fields.h"
#include "match/period.h"

namespace closebook::cli {
namespace {

struct OneDraft {
  std::vector<ledger::Draft> drafts;
  uint64_t planned_at_size = 0;
};

// A verifier key from a FILE.pub as keygen writes it (one line).
Result<VerifierKey> read_verifier_key(const std::string& path) {
  CB_TRY(std::string text, read_file(path, 4096));
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  auto key = VerifierKey::parse(text);
  if (!key.ok()) return Error::invalid(path + ": not a verifier key: " + key.error().message).in_field("--pub");
  return key;
}

// The registered key named `name` that is active now, of any role but the log's.
Result<const RegisteredKey*> active_key(const KeyRegistry& registry, const std::string& name, uint64_t at) {
  for (KeyRole role : {KeyRole::FINANCE, KeyRole::OPERATOR, KeyRole::WITNESS}) {
    if (const RegisteredKey* k = registry.active(name, role, at)) return k;
  }
  return Error::not_found("no active key named \"" + name + "\"");
}

int append_key_change(const Context& ctx, const std::string& passphrase_file,
                      const std::function<Result<close::KeyChange>(const ledger::Snapshot&)>& change) {
  auto done = append_planned<OneDraft>(ctx, passphrase_file, [&](const ledger::Snapshot& snapshot) -> Result<OneDraft> {
    CB_TRY(close::KeyChange c, change(snapshot));
    CB_TRY(ledger::Draft draft, close::plan_key_change(snapshot, c));
    OneDraft plan;
    plan.drafts.push_back(std::move(draft));
    return plan;
  });
  if (!done.ok()) return report(ctx, done.error());
  auto e = done->first.drafts.front().reader().getKind().getKeyEvent();
  const char* action = e.getAction() == KeyAction::REGISTER ? "registered" : e.getAction() == KeyAction::ROTATE ? "rotated in" : "revoked";
  ctx.out << key_role_name(e.getRole()) << " key " << e.getName().cStr() << " " << action << " at entry "
          << done->second.entries.front().index << "\n"
          << e.getVerifierKey().cStr() << "\n";
  return 0;
}

int keys_register(const Context& ctx, const std::vector<std::string>& args) {
  po::options_description options("keys register options");
  std::string pub, name, role = "finance", reason, passphrase_file;
  options.add_options()
      ("pub", po::value(&pub)->required(), "the key's verifier key file (FILE.pub from keygen)")
      ("name", po::value(&name), "the key's name, if given must match the verifier key's")
      ("role", po::value(&role), "finance (default), operator or witness")
      ("reason", po::value(&reason), "why, recorded")
      ("passphrase-file", po::value(&passphrase_file), "the log key's passphrase");
  parse_args(args, options);
  auto key = read_verifier_key(pub);
  if (!key.ok()) return report(ctx, key.error());
  if (!name.empty() && name != key->name) {
    return report(ctx, Error::invalid("the verifier key is named \"" + key->name + "\", not \"" + name + "\"").in_field("--name"));
  }
  auto parsed_role = parse_key_role(role);
  if (!parsed_role.ok()) return report(ctx, std::move(parsed_role).error().in_field("--role"));
  return append_key_change(ctx, passphrase_file, [&](const ledger::Snapshot&) -> Result<close::KeyChange> {
    return close::KeyChange{KeyAction::REGISTER, *parsed_role, *key, {}, reason};
  });
}

int keys_rotate(const Context& ctx, const std::vector<std::string>& args) {
  po::options_description options("keys rotate options");
  std::string name, pub, reason, passphrase_file;
  options.add_options()
      ("name", po::value(&name)->required(), "the active key to replace")
      ("pub", po::value(&pub)->required(), "the new key's verifier key file")
      ("reason", po::value(&reason), "why, recorded")
      ("passphrase-file", po::value(&passphrase_file), "the log key's passphrase");
  parse_args(args, options);
  auto key = read_verifier_key(pub);
  if (!key.ok()) return report(ctx, key.error());
  return append_key_change(ctx, passphrase_file, [&](const ledger::Snapshot& snapshot) -> Result<close::KeyChange> {
    CB_TRY(KeyRegistry registry, close::load_key_registry(snapshot));
    CB_TRY(const RegisteredKey* old, active_key(registry, name, snapshot.size()));
    return close::KeyChange{KeyAction::ROTATE, old->role, *key, old->key.id(), reason};
  });
}

int keys_revoke(const Context& ctx, const std::vector<std::string>& args) {
  po::options_description options("keys revoke options");
  std::string name, reason, passphrase_file;
  options.add_options()
      ("name", po::value(&name)->required(), "the active key to revoke")
      ("reason", po::value(&reason)->required(), "why, recorded")
      ("passphrase-file", po::value(&passphrase_file), "the log key's passphrase");
  parse_args(args, options);
  return append_key_change(ctx, passphrase_file, [&](const ledger::Snapshot& snapshot) -> Result<close::KeyChange> {
    CB_TRY(KeyRegistry registry, close::load_key_registry(snapshot));
    CB_TRY(const RegisteredKey* k, active_key(registry, name, snapshot.size()));
    return close::KeyChange{KeyAction::REVOKE, k->role, k->key, {}, reason};
  });
}

int keys_list(const Context& ctx, const std::vector<std::string>& args) {
  po::options_description options("keys list options");
  std::string format = "table";
  options.add_options()("format", po::value(&format), "table or json");
  parse_args(args, options);
  if (format != "table" && format != "json") return report(ctx, Error::invalid("--format must be table or json"));
  auto view = open_read_view(ctx);
  if (!view.ok()) return report(ctx, view.error());
  auto registry = close::load_key_registry(**view);
  if (!registry.ok()) return report(ctx, registry.error());
  if (format == "json") {
    nlohmann::ordered_json all = nlohmann::ordered_json::array();
    for (const RegisteredKey* k : registry->all()) {
      all.push_back({{"name", k->key.name}, {"role", key_role_name(k->role)}, {"verifier_key", k->key.to_string()},
                     {"key_id", to_hex(k->key.id())}, {"registered_at", k->registered_at},
                     {"registered_by", to_hex(k->registered_by)},
                     {"ended_at", k->ended_at ? nlohmann::ordered_json(*k->ended_at) : nlohmann::ordered_json()},
                     {"end_reason", k->end_reason}});
    }
    ctx.out << all.dump(2) << "\n";
    return 0;
  }
  size_t width = 6;
  for (const RegisteredKey* k : registry->all()) width = std::max(width, k->key.name.size() + 2);
  const int name_width = static_cast<int>(width);
  ctx.out << std::left << std::setw(10) << "ROLE" << std::setw(name_width) << "NAME" << std::setw(12) << "FROM ENTRY"
          << std::setw(12) << "UNTIL" << "KEY ID\n";
  for (const RegisteredKey* k : registry->all()) {
    ctx.out << std::left << std::setw(10) << key_role_name(k->role) << std::setw(name_width) << k->key.name << std::setw(12)
            << k->registered_at << std::setw(12) << (k->ended_at ? std::to_string(*k->ended_at) : "-")
            << to_hex(k->key.id()).substr(0, 16) << (k->end_reason.empty() ? "" : "  (" + k->end_reason + ")") << "\n";
  }
  return 0;
}

}  // namespace

int cmd_keys(const Context& ctx) {
  if (ctx.args.empty()) return report(ctx, Error::invalid("usage: keys register|rotate|revoke|list ..."));
  const std::string verb = ctx.args[0];
  const std::vector<std::string> rest(ctx.args.begin() + 1, ctx.args.end());
  if (verb == "register") return keys_register(ctx, rest);
  if (verb == "rotate") return keys_rotate(ctx, rest);
  if (verb == "revoke") return keys_revoke(ctx, rest);
  if (verb == "list") return keys_list(ctx, rest);
  return report(ctx, Error::invalid("unknown keys command \"" + verb + "\""));
}

// The approver's side: no ledger, only the statement and their own key file.
int cmd_sign(const Context& ctx) {
  po::options_description options("sign options");
  std::string key_file, statement_file, passphrase_file, summary_file;
  options.add_options()
      ("key", po::value(&key_file)->required(), "your secret key file (from keygen)")
      ("statement", po::value(&statement_file)->required(), "the statement to sign")
      ("summary", po::value(&summary_file)->required(), "the summary shown with it (signoff statement --summary-out): "
                                                        "checked against the statement's summary line and printed before "
                                                        "signing; the statement itself shows only its hash")
      ("passphrase-file", po::value(&passphrase_file), "your key's passphrase");
  po::positional_options_description positional;
  positional.add("statement", 1);
  parse_args(ctx.args, options, positional);
  auto statement = read_file(statement_file, 1 << 20);
  if (!statement.ok()) return report(ctx, statement.error());
  // What the approver signs is a hash of the summary (docs/close.md §1): never blind, only the
  // summary they were shown, and only if it is the one the statement commits to.
  auto summary = read_file(summary_file, 1 << 20);
  if (!summary.ok()) return report(ctx, summary.error());
  auto parsed = close::parse_statement(*statement);
  if (!parsed.ok()) return report(ctx, std::move(parsed).error().at(statement_file, 0));
  if (auto st = close::check_summary(*parsed, *summary); !st.ok()) return report(ctx, std::move(st).error().at(summary_file, 0));
  ctx.err << "closebook: the summary you sign (its hash is the statement's summary line):\n" << *summary;
  auto key = open_key_file(key_file, passphrase_file);
  if (!key.ok()) return report(ctx, key.error());
  auto line = close::sign_statement(*statement, *key);
  if (!line.ok()) return report(ctx, std::move(line).error().at(statement_file, 0));
  ctx.out << *line;
  return 0;
}

namespace {

int signoff_statement(const Context& ctx, const std::vector<std::string>& args) {
  po::options_description options("signoff statement options");
  std::string period, override_reason, summary_out;
  options.add_options()
      ("period", po::value(&period)->required(), "YYYY-MM")
      ("override-reason", po::value(&override_reason), "sign off despite open blocking exceptions, because ...")
      ("summary-out", po::value(&summary_out), "write the summary the statement commits to (totals, outstanding "
                                               "exceptions, override, and its salt) for the approver to review");
  parse_args(args, options);
  auto view = open_read_view(ctx);
  if (!view.ok()) return report(ctx, view.error());
  auto s = close::build_statement(**view, period, override_reason);
  if (!s.ok()) return report(ctx, s.error());
  if (!summary_out.empty()) {
    if (auto st = write_new_file(summary_out, s->summary_text(), 0600); !st.ok()) return report(ctx, st.error());
  }
  if (s->blocked() && override_reason.empty()) {
    ctx.err << "closebook: note: open blocking exceptions: submitting this statement will be refused; "
               "resolve them or make the statement with --override-reason\n";
  }
  ctx.out << s->text();
  return 0;
}

int signoff_submit(const Context& ctx, const std::vector<std::string>& args) {
  po::options_description options("signoff submit options");
  std::string period, statement_file, signature_file, override_reason, config_file, passphrase_file;
  uint32_t required = 0;
  options.add_options()
      ("period", po::value(&period)->required(), "YYYY-MM")
      ("statement", po::value(&statement_file)->required(), "the statement, exactly as signed")
      ("signature", po::value(&signature_file)->required(), "the signature line(s), one per approver")
      ("override-reason", po::value(&override_reason), "the reason the statement was made with (its summary holds it)")
      ("required-signatures", po::value(&required), "distinct finance keys needed (default: the config's signoff_signatures, 1)")
      ("config", po::value(&config_file), "close configuration (JSON)")
      ("passphrase-file", po::value(&passphrase_file), "the log key's passphrase");
  parse_args(args, options);
  auto statement = read_file(statement_file, 1 << 20);
  if (!statement.ok()) return report(ctx, statement.error());
  auto signatures = read_file(signature_file, 1 << 20);
  if (!signatures.ok()) return report(ctx, signatures.error());
  auto config = load_close_config(ctx, config_file);
  if (!config.ok()) return report(ctx, config.error());
  if (required == 0) required = config->signoff_signatures;  // not given on the command line
  if (required < 1 || required > 100) return report(ctx, Error::invalid("must be 1 to 100").in_field("--required-signatures"));
  auto parsed = close::parse_statement(*statement);
  if (!parsed.ok()) return report(ctx, std::move(parsed).error().at(statement_file, 0));
  if (parsed->period != period) {
    return report(ctx, Error::invalid("the statement is for period " + parsed->period + ", not " + period).in_field("--period"));
  }
  auto done = append_planned<close::SignOffPlan>(
      ctx, passphrase_file,
      [&](const ledger::Snapshot& snapshot) {
        return close::plan_signoff(snapshot, *statement, *signatures, {required, override_reason});
      },
      [](close::SignOffPlan& plan, const SigningKey& log_key) { close::add_log_signature(plan, log_key); });
  if (!done.ok()) return report(ctx, done.error());
  const auto& [plan, receipt] = *done;
  ctx.out << "period " << period << " signed off at entry " << receipt.entries.back().index << " by ";
  for (size_t i = 0; i < plan.signers.size(); ++i) ctx.out << (i ? ", " : "") << plan.signers[i];
  ctx.out << (plan.statement.override_reason.empty() ? "" : " (override: " + plan.statement.override_reason + ")") << "\n"
          << "statement tree size " << plan.statement.head.size << ", root " << to_hex(plan.statement.head.root) << "\n";
  return 0;
}

// The period's checkpoint with the log's and finance's signatures: verifiable with any
// signed-note implementation and the verifier keys.
int signoff_checkpoint(const Context& ctx, const std::vector<std::string>& args) {
  po::options_description options("signoff checkpoint options");
  std::string period;
  options.add_options()("period", po::value(&period)->required(), "YYYY-MM");
  parse_args(args, options);
  auto view = open_read_view(ctx);
  if (!view.ok()) return report(ctx, view.error());
  auto state = match::period_state(**view, period);
  if (!state.ok()) return report(ctx, state.error());
  if (!state->last_sign_off) return report(ctx, Error::not_found("period " + period + " has no sign-off"));
  auto entry = (**view).entry(state->last_sign_off->index);
  if (!entry.ok()) return report(ctx, entry.error());
  auto note = close::signoff_note(*entry);
  if (!note.ok()) return report(ctx, note.error());
  ctx.out << *note;
  return 0;
}

}  // namespace

int cmd_signoff(const Context& ctx) {
  if (ctx.args.empty()) return report(ctx, Error::invalid("usage: signoff statement|submit|checkpoint --period P ..."));
  const std::string verb = ctx.args[0];
  const std::vector<std::string> rest(ctx.args.begin() + 1, ctx.args.end());
  if (verb == "statement") return signoff_statement(ctx, rest);
  if (verb == "submit") return signoff_submit(ctx, rest);
  if (verb == "checkpoint") return signoff_checkpoint(ctx, rest);
  return report(ctx, Error::invalid("unknown signoff command \"" + verb + "\""));
}

}  // namespace closebook::cli
