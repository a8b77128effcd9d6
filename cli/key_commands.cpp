// init and keygen: the commands that create keys.
#include <filesystem>
#include <iostream>

#include "cli/options.h"
#include "evidence/keyfile.h"
#include "ledger/files.h"
#include "ledger/ledger.h"

namespace closebook::cli {

int cmd_keygen(const Context& ctx) {
  po::options_description options("keygen options");
  std::string out, name, passphrase_file;
  options.add_options()
      ("out", po::value(&out)->required(), "secret key file to create (FILE.pub gets the verifier key)")
      ("name", po::value(&name)->required(), "key name, e.g. alice@finance")
      ("passphrase-file", po::value(&passphrase_file), "read the passphrase from this file");
  parse_args(ctx.args, options);

  auto key = SigningKey::generate(name);
  if (!key.ok()) return report(ctx, std::move(key).error().in_field("--name"));
  auto passphrase = read_passphrase(passphrase_file, /*confirm=*/true);
  if (!passphrase.ok()) return report(ctx, passphrase.error());
  auto sealed = seal_signing_key(*key, *passphrase);
  if (!sealed.ok()) return report(ctx, sealed.error());
  const std::string vkey = key->verifier().to_string();
  // The public half first: if it cannot be written, no orphan secret is left behind.
  if (auto st = write_new_file(out + ".pub", vkey + "\n", 0644); !st.ok()) return report(ctx, st.error());
  if (auto st = write_new_file(out, *sealed, 0600); !st.ok()) {
    std::filesystem::remove(out + ".pub");
    return report(ctx, st.error());
  }
  ctx.out << "secret key: " << out << " (mode 0600, passphrase-encrypted)\n"
          << "verifier key: " << out << ".pub\n"
          << vkey << "\n";
  return 0;
}

int cmd_init(const Context& ctx) {
  po::options_description options("init options");
  std::string origin, passphrase_file;
  uint64_t map_size_gib = ledger::kMapSizeDefault >> 30;
  options.add_options()
      ("origin", po::value(&origin), "log name (C2SP origin), default closebook.local/<directory name>")
      ("passphrase-file", po::value(&passphrase_file), "read the log key's passphrase from this file")
      ("map-size-gib", po::value(&map_size_gib), "LMDB map size in GiB (grows when full)");
  parse_args(ctx.args, options);
  if (origin.empty()) {
    const auto dir_name = std::filesystem::absolute(ctx.ledger_dir).lexically_normal().filename();
    origin = "closebook.local/" + (dir_name.empty() ? std::string("ledger") : dir_name.string());
  }
  auto key = SigningKey::generate(origin);
  if (!key.ok()) return report(ctx, std::move(key).error().in_field("--origin"));
  auto passphrase = read_passphrase(passphrase_file, /*confirm=*/true);
  if (!passphrase.ok()) return report(ctx, passphrase.error());
  auto sealed = seal_signing_key(*key, *passphrase);
  if (!sealed.ok()) return report(ctx, sealed.error());
  ledger::InitOptions init{origin, *sealed, map_size_gib << 30, 0};
  if (auto st = ledger::Ledger::init(ctx.ledger_dir, *key, init); !st.ok()) return report(ctx, st.error());
  ctx.out << "ledger: " << ctx.ledger_dir << "\n"
          << "origin: " << origin << "\n"
          << "log key: " << (std::filesystem::path(ctx.ledger_dir) / "log.key").string()
          << " (passphrase-encrypted)\n"
          << "verifier key: " << key->verifier().to_string() << "\n";
  return 0;
}

}  // namespace closebook::cli
