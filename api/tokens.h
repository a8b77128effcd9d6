// API bearer tokens (docs/api.md). A token is shown once, at creation; the store keeps only the
// SHA-256 of its secret half, in DIR/tokens.mdb beside the ledger (not in the log: tokens are
// access control, not evidence, and revoking one must not need a log entry).
//
// A token is "cbt_<id>_<secret>": 8 random bytes of id and 32 of secret, in hex. The id finds
// the record; the secret's hash is compared in constant time (sodium_memcmp), so a lookup's
// timing tells nothing about the secret.
#pragma once

#include <lmdb.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "evidence/result.h"

namespace closebook::api {

// `bytes` random bytes from libsodium, as hex (token ids and secrets, session ids).
std::string random_hex(size_t bytes);

enum class Role { kAdmin, kOps, kFinance, kGl, kAuditor, kPartner };

struct Principal {
  Role role = Role::kAuditor;
  std::string partner_id;  // kPartner only
  // "admin", "ops", "finance", "gl", "auditor" or "partner:<id>"
  std::string role_text() const;
};

// Parses a role as `tokens create --role` takes it. A partner id is 1 to 64 of [A-Za-z0-9._-].
Result<Principal> parse_role(std::string_view text);

struct TokenInfo {
  std::string id;    // 16 hex digits: names the token in lists, logs and revocation
  std::string name;  // who or what holds it, e.g. "netsuite-gl"
  Principal principal;
  int64_t created_at_ms = 0;
  int64_t revoked_at_ms = 0;  // 0 while valid
};

struct CreatedToken {
  std::string token;  // the bearer token: shown once, never stored
  TokenInfo info;
};

class TokenStore {
 public:
  // Opens (creating when `create`) DIR/tokens.mdb, mode 0600.
  static Result<std::unique_ptr<TokenStore>> open(const std::string& ledger_dir, bool create);
  ~TokenStore();
  TokenStore(const TokenStore&) = delete;
  TokenStore& operator=(const TokenStore&) = delete;

  Result<CreatedToken> create(const Principal& principal, const std::string& name);
  Result<std::vector<TokenInfo>> list() const;
  // Revoking a revoked token changes nothing.
  Status revoke(const std::string& id);
  // A compacted copy of the store in the new file `path` (for backups), while it is in use.
  Status copy_to(const std::string& path) const;
  // The token's holder, or Permission for anything else: malformed, unknown, wrong secret or
  // revoked all fail the same way, with the same message.
  Result<TokenInfo> authenticate(std::string_view token) const;

 private:
  TokenStore() = default;
  Result<std::optional<TokenInfo>> find(MDB_txn* txn, const std::string& id, std::string* secret_hash) const;
  MDB_env* env_ = nullptr;
  MDB_dbi dbi_ = 0;
};

}  // namespace closebook::api
