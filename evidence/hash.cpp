#include "evidence/hash.h"

#include <openssl/evp.h>
#include <sodium.h>

#include <cassert>
#include <stdexcept>

namespace closebook {
namespace {

// One EVP context per thread, reused, with the digest fetched once: creating a context, or
// OpenSSL 3's implicit fetch of EVP_sha256() on every init, costs as much as hashing a
// 300-byte entry (docs/performance.md §2: 433 ns per leaf before, against a 228 ns bound).
class Sha256Context {
 public:
  Sha256Context() : md_(EVP_MD_fetch(nullptr, "SHA256", nullptr)), ctx_(EVP_MD_CTX_new()) {
    if (md_ == nullptr || ctx_ == nullptr) throw std::bad_alloc();
  }
  ~Sha256Context() {
    EVP_MD_CTX_free(ctx_);
    EVP_MD_free(md_);
  }
  Sha256Context(const Sha256Context&) = delete;
  Sha256Context& operator=(const Sha256Context&) = delete;

  Hash digest(std::initializer_list<Bytes> parts) {
    // EVP_sha256 failures are allocation or engine failures, not input errors.
    if (EVP_DigestInit_ex2(ctx_, md_, nullptr) != 1) throw std::runtime_error("sha256 init");
    for (Bytes part : parts) {
      if (EVP_DigestUpdate(ctx_, part.data(), part.size()) != 1) {
        throw std::runtime_error("sha256 update");
      }
    }
    Hash out;
    unsigned int size = 0;
    if (EVP_DigestFinal_ex(ctx_, out.data(), &size) != 1) throw std::runtime_error("sha256 final");
    assert(size == out.size());
    return out;
  }

 private:
  EVP_MD* md_;
  EVP_MD_CTX* ctx_;
};

Sha256Context& context() {
  thread_local Sha256Context ctx;
  return ctx;
}

}  // namespace

Hash sha256(Bytes data) { return context().digest({data}); }
Hash sha256(std::string_view data) { return sha256(as_bytes(data)); }

Hash leaf_hash(Bytes entry) {
  const uint8_t prefix = kLeafPrefix;
  return context().digest({Bytes(&prefix, 1), entry});
}

Hash node_hash(const Hash& left, const Hash& right) {
  const uint8_t prefix = kNodePrefix;
  return context().digest({Bytes(&prefix, 1), Bytes(left), Bytes(right)});
}

Hash empty_tree_root() { return sha256(Bytes()); }

Hash hmac_sha256(Bytes key, std::string_view message) {
  // libsodium's HMAC-SHA-256 takes a key of any length (hashed first when over 64 bytes).
  Hash out{};
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, key.data(), key.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(message.data()), message.size());
  crypto_auth_hmacsha256_final(&state, out.data());
  return out;
}

std::string to_hex(Bytes bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (uint8_t b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0xf]);
  }
  return out;
}

std::string to_base64(Bytes bytes) {
  const size_t size = sodium_base64_encoded_len(bytes.size(), sodium_base64_VARIANT_ORIGINAL);
  std::string out(size, '\0');
  sodium_bin2base64(out.data(), out.size(), bytes.data(), bytes.size(),
                    sodium_base64_VARIANT_ORIGINAL);
  out.resize(size - 1);  // drop the NUL terminator libsodium counts in
  return out;
}

Result<std::string> from_base64(std::string_view text) {
  std::string out(text.size() / 4 * 3 + 3, '\0');
  size_t size = 0;
  const char* end = nullptr;
  const int rc = sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(),
                                   text.data(), text.size(), nullptr, &size, &end,
                                   sodium_base64_VARIANT_ORIGINAL);
  const bool consumed_all = end == text.data() + text.size();
  if (rc != 0 || !consumed_all) return Error::invalid("not valid base64 (RFC 4648, padded)");
  out.resize(size);
  return out;
}

Result<std::string> from_hex(std::string_view text) {
  if (text.size() % 2 != 0) return Error::invalid("hex text has an odd number of digits");
  std::string out;
  out.reserve(text.size() / 2);
  auto digit = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;  // upper case is refused: our hex output is lowercase only
  };
  for (size_t i = 0; i < text.size(); i += 2) {
    const int hi = digit(text[i]);
    const int lo = digit(text[i + 1]);
    if (hi < 0 || lo < 0) return Error::invalid("not lowercase hex");
    out.push_back(static_cast<char>(hi << 4 | lo));
  }
  return out;
}

namespace {
Result<Hash> hash_from_bytes(Result<std::string> raw, const char* encoding) {
  if (!raw.ok()) return std::move(raw).error();
  if (raw->size() != 32) {
    return Error::invalid(std::string("a hash must be 32 bytes of ") + encoding + ", found " +
                          std::to_string(raw->size()));
  }
  Hash h;
  std::copy(raw->begin(), raw->end(), h.begin());
  return h;
}
}  // namespace

Result<Hash> hash_from_hex(std::string_view text) { return hash_from_bytes(from_hex(text), "hex"); }
Result<Hash> hash_from_base64(std::string_view text) {
  return hash_from_bytes(from_base64(text), "base64");
}

}  // namespace closebook
