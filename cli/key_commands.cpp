// init and keygen: the commands that create keys.
#include <sodium.h>

#include <filesystem>
#include <iostream>

#include "cli/options.h"
#include "evidence/keyfile.h"
#include "ledger/files.h"
#include "ledger/ledger.h"

namespace closebook::cli {
namespace {

struct SealedKey {
  SigningKey key;
  std::string sealed;  // the key file text
};

// A fresh key named `name`, sealed with a passphrase asked for twice.
Result<SealedKey> new_sealed_key(const std::string& name, const std::string& passphrase_file,
                                 const char* name_option) {
  auto key = SigningKey::generate(name);
  if (!key.ok()) return std::move(key).error().in_field(name_option);
  CB_TRY(std::string passphrase, read_passphrase(passphrase_file, /*confirm=*/true));
  auto sealed = seal_signing_key(*key, passphrase);
  sodium_memzero(passphrase.data(), passphrase.size());
  if (!sealed.ok()) return std::move(sealed).error();
  return SealedKey{std::move(*key), std::move(*sealed)};
}

}  // namespace

int cmd_keygen(const Context& ctx) {
  po::options_description options("keygen options");
  std::string out, name, passphrase_file;
  options.add_options()
      ("out", po::value(&out)->required(), "secret key file to create (FILE.pub gets the verifier key)")
      ("name", po::value(&name)->required(), "key name, e.g. alice@finance")
      ("passphrase-file", po::value(&passphrase_file), "read the passphrase from this file");
  parse_args(ctx.args, options);

  auto made = new_sealed_key(name, passphrase_file, "--name");
  if (!made.ok()) return report(ctx, made.error());
  const std::string vkey = made->key.verifier().to_string();
  // The public half first: if it cannot be written, no orphan secret is left behind.
  if (auto st = write_new_file(out + ".pub", vkey + "\n", 0644); !st.ok()) return report(ctx, st.error());
  if (auto st = write_new_file(out, made->sealed, 0600); !st.ok()) {
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
  const bool map_size_ok = map_size_gib >= 1 && map_size_gib <= (ledger::kMapSizeMax >> 30);
  if (!map_size_ok) {
    return report(ctx, Error::invalid("--map-size-gib must be between 1 and " +
                                      std::to_string(ledger::kMapSizeMax >> 30)));
  }
  auto made = new_sealed_key(origin, passphrase_file, "--origin");
  if (!made.ok()) return report(ctx, made.error());
  ledger::InitOptions init{origin, made->sealed, map_size_gib << 30, 0};
  if (auto st = ledger::Ledger::init(ctx.ledger_dir, made->key, init); !st.ok()) return report(ctx, st.error());
  ctx.out << "ledger: " << ctx.ledger_dir << "\n"
          << "origin: " << origin << "\n"
          << "log key: " << (std::filesystem::path(ctx.ledger_dir) / "log.key").string()
          << " (passphrase-encrypted)\n"
          << "verifier key: " << made->key.verifier().to_string() << "\n";
  return 0;
}

}  // namespace closebook::cli
