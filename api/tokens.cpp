#include "api/tokens.h"

#include <sodium.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "evidence/hash.h"
#include "ledger/files.h"
#include "ledger/ledger.h"

namespace closebook::api {
namespace {

constexpr std::string_view kPrefix = "cbt_";
constexpr size_t kIdBytes = 8, kSecretBytes = 32;
constexpr size_t kTokenChars = kPrefix.size() + 2 * kIdBytes + 1 + 2 * kSecretBytes;
constexpr size_t kNameBytesMax = 200;
constexpr size_t kMapSize = size_t{64} << 20;  // ~100k tokens; tokens are few

bool is_hex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace

std::string random_hex(size_t bytes) {
  std::vector<uint8_t> buf(bytes);
  randombytes_buf(buf.data(), buf.size());
  std::string hex = to_hex(Bytes(buf.data(), buf.size()));
  sodium_memzero(buf.data(), buf.size());
  return hex;
}

namespace {

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

MDB_val as_val(std::string_view s) { return MDB_val{s.size(), const_cast<char*>(s.data())}; }

// One read or write transaction, aborted unless committed.
class Txn {
 public:
  static Result<Txn> begin(MDB_env* env, unsigned flags) {
    MDB_txn* txn = nullptr;
    if (int rc = mdb_txn_begin(env, nullptr, flags, &txn); rc != 0) return ledger::lmdb_error(rc, "begin tokens transaction");
    return Txn(txn);
  }
  Txn(Txn&& o) noexcept : txn_(std::exchange(o.txn_, nullptr)) {}
  ~Txn() {
    if (txn_ != nullptr) mdb_txn_abort(txn_);
  }
  MDB_txn* get() const { return txn_; }
  Status commit() {
    const int rc = mdb_txn_commit(std::exchange(txn_, nullptr));
    if (rc != 0) return ledger::lmdb_error(rc, "commit tokens");
    return {};
  }

 private:
  explicit Txn(MDB_txn* txn) : txn_(txn) {}
  MDB_txn* txn_;
};

std::string encode(const TokenInfo& info, const std::string& secret_hash) {
  return nlohmann::json{{"name", info.name}, {"role", info.principal.role_text()}, {"secret_sha256", secret_hash},
                        {"created_at_ms", info.created_at_ms}, {"revoked_at_ms", info.revoked_at_ms}}
      .dump();
}

Result<TokenInfo> decode(const std::string& id, std::string_view value, std::string* secret_hash) {
  const auto j = nlohmann::json::parse(value, nullptr, /*allow_exceptions=*/false);
  const auto bad = [&] { return Error::corruption("tokens.mdb: the record of token " + id + " is unreadable"); };
  if (!j.is_object() || !j.contains("role") || !j["role"].is_string() || !j.contains("secret_sha256")) return bad();
  TokenInfo info;
  info.id = id;
  auto principal = parse_role(j["role"].get<std::string>());
  if (!principal.ok()) return bad();
  info.principal = *principal;
  info.name = j.value("name", "");
  info.created_at_ms = j.value("created_at_ms", int64_t{0});
  info.revoked_at_ms = j.value("revoked_at_ms", int64_t{0});
  if (secret_hash != nullptr) *secret_hash = j["secret_sha256"].get<std::string>();
  return info;
}

}  // namespace

std::string Principal::role_text() const {
  switch (role) {
    case Role::kAdmin: return "admin";
    case Role::kOps: return "ops";
    case Role::kFinance: return "finance";
    case Role::kGl: return "gl";
    case Role::kAuditor: return "auditor";
    case Role::kPartner: return "partner:" + partner_id;
  }
  return "?";
}

Result<Principal> parse_role(std::string_view text) {
  if (text == "admin") return Principal{Role::kAdmin, {}};
  if (text == "ops") return Principal{Role::kOps, {}};
  if (text == "finance") return Principal{Role::kFinance, {}};
  if (text == "gl") return Principal{Role::kGl, {}};
  if (text == "auditor") return Principal{Role::kAuditor, {}};
  if (text.starts_with("partner:")) {
    const std::string_view id = text.substr(8);
    bool ok = !id.empty() && id.size() <= 64;
    for (char c : id) ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-');
    if (ok) return Principal{Role::kPartner, std::string(id)};
  }
  return Error::invalid("a role is admin, ops, finance, gl, auditor or partner:<id>, not \"" + std::string(text) + "\"")
      .in_field("--role");
}

Result<std::unique_ptr<TokenStore>> TokenStore::open(const std::string& ledger_dir, bool create) {
  if (sodium_init() < 0) return Error::io("libsodium failed to initialise");
  const std::string path = (std::filesystem::path(ledger_dir) / "tokens.mdb").string();
  std::error_code ec;
  if (!std::filesystem::is_directory(ledger_dir, ec)) return Error::not_found("no ledger directory " + ledger_dir);
  if (!create && !std::filesystem::exists(path, ec)) {
    return Error::not_found("no API tokens yet (" + path + "): create one with `closebook tokens create`");
  }
  std::unique_ptr<TokenStore> store(new TokenStore());
  if (int rc = mdb_env_create(&store->env_); rc != 0) return ledger::lmdb_error(rc, "create tokens environment");
  mdb_env_set_mapsize(store->env_, kMapSize);
  if (int rc = mdb_env_open(store->env_, path.c_str(), MDB_NOSUBDIR, 0600); rc != 0) {
    return ledger::lmdb_error(rc, "open " + path);
  }
  CB_TRY(Txn txn, Txn::begin(store->env_, 0));
  if (int rc = mdb_dbi_open(txn.get(), nullptr, 0, &store->dbi_); rc != 0) return ledger::lmdb_error(rc, "open tokens");
  CB_CHECK(txn.commit());
  return store;
}

TokenStore::~TokenStore() {
  if (env_ != nullptr) mdb_env_close(env_);
}

Result<CreatedToken> TokenStore::create(const Principal& principal, const std::string& name) {
  if (name.empty() || name.size() > kNameBytesMax) return Error::invalid("must be 1 to 200 bytes").in_field("--name");
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7f) return Error::invalid("must not hold control characters").in_field("--name");
  }
  CreatedToken out;
  out.info = TokenInfo{random_hex(kIdBytes), name, principal, now_ms(), 0};
  std::string secret = random_hex(kSecretBytes);
  out.token = std::string(kPrefix) + out.info.id + "_" + secret;
  const std::string secret_hash = to_hex(sha256(secret));
  sodium_memzero(secret.data(), secret.size());
  CB_TRY(Txn txn, Txn::begin(env_, 0));
  const std::string value = encode(out.info, secret_hash);
  MDB_val k = as_val(out.info.id), v = as_val(value);
  if (int rc = mdb_put(txn.get(), dbi_, &k, &v, MDB_NOOVERWRITE); rc != 0) return ledger::lmdb_error(rc, "store token");
  CB_CHECK(txn.commit());
  return out;
}

Result<std::optional<TokenInfo>> TokenStore::find(MDB_txn* txn, const std::string& id, std::string* secret_hash) const {
  MDB_val k = as_val(id), v;
  const int rc = mdb_get(txn, dbi_, &k, &v);
  if (rc == MDB_NOTFOUND) return std::optional<TokenInfo>();
  if (rc != 0) return ledger::lmdb_error(rc, "read token");
  CB_TRY(TokenInfo info, decode(id, std::string_view(static_cast<const char*>(v.mv_data), v.mv_size), secret_hash));
  return std::optional<TokenInfo>(std::move(info));
}

Result<std::vector<TokenInfo>> TokenStore::list() const {
  CB_TRY(Txn txn, Txn::begin(env_, MDB_RDONLY));
  MDB_cursor* cursor = nullptr;
  if (int rc = mdb_cursor_open(txn.get(), dbi_, &cursor); rc != 0) return ledger::lmdb_error(rc, "list tokens");
  std::vector<TokenInfo> out;
  MDB_val k, v;
  int rc = mdb_cursor_get(cursor, &k, &v, MDB_FIRST);
  for (; rc == 0; rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT)) {
    auto info = decode(std::string(static_cast<const char*>(k.mv_data), k.mv_size),
                       std::string_view(static_cast<const char*>(v.mv_data), v.mv_size), nullptr);
    if (!info.ok()) {
      mdb_cursor_close(cursor);
      return std::move(info).error();
    }
    out.push_back(std::move(*info));
  }
  mdb_cursor_close(cursor);
  if (rc != MDB_NOTFOUND) return ledger::lmdb_error(rc, "list tokens");
  return out;
}

Status TokenStore::revoke(const std::string& id) {
  CB_TRY(Txn txn, Txn::begin(env_, 0));
  std::string secret_hash;
  CB_TRY(std::optional<TokenInfo> info, find(txn.get(), id, &secret_hash));
  if (!info) return Error::not_found("no token " + id);
  if (info->revoked_at_ms != 0) return {};
  info->revoked_at_ms = now_ms();
  const std::string value = encode(*info, secret_hash);
  MDB_val k = as_val(id), v = as_val(value);
  if (int rc = mdb_put(txn.get(), dbi_, &k, &v, 0); rc != 0) return ledger::lmdb_error(rc, "revoke token");
  return txn.commit();
}

Status TokenStore::copy_to(const std::string& path) const {
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) return Error::conflict(path + " exists; refusing to overwrite it");
  if (int rc = mdb_env_copy2(env_, path.c_str(), MDB_CP_COMPACT); rc != 0) return ledger::lmdb_error(rc, "copy tokens to " + path);
  std::filesystem::remove(path + "-lock", ec);  // LMDB's lock file, if the copy made one
  return fsync_path(path);
}

Result<TokenInfo> TokenStore::authenticate(std::string_view token) const {
  const Error denied = Error::permission("not authenticated");
  if (token.size() != kTokenChars || !token.starts_with(kPrefix) || token[kPrefix.size() + 2 * kIdBytes] != '_') {
    return denied;
  }
  const std::string id(token.substr(kPrefix.size(), 2 * kIdBytes));
  const std::string_view secret = token.substr(kPrefix.size() + 2 * kIdBytes + 1);
  if (!is_hex(id) || !is_hex(secret)) return denied;
  CB_TRY(Txn txn, Txn::begin(env_, MDB_RDONLY));
  std::string stored;
  CB_TRY(std::optional<TokenInfo> info, find(txn.get(), id, &stored));
  const std::string presented = to_hex(sha256(secret));
  // Compared whether or not the id was found, in constant time.
  if (stored.size() != presented.size()) stored.assign(presented.size(), 'x');
  const bool equal = sodium_memcmp(stored.data(), presented.data(), presented.size()) == 0;
  if (!info || !equal || info->revoked_at_ms != 0) return denied;
  return std::move(*info);
}

}  // namespace closebook::api
