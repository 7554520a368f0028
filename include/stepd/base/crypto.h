#pragma once
// The few cryptographic primitives stepd needs, over OpenSSL's libcrypto:
// digests and MACs for the audit chain, SigV4 and task tokens, a CSPRNG, a
// comparison that does not leak where two secrets differ, and the hex and
// base64 encodings keys and credentials are written in. Encryption of secrets
// at rest is secret_box.h.
//
// Thread-safety: every function may be called from any thread.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace stepd {

// The 32 raw bytes of SHA-256(data).
std::string Sha256(std::string_view data);
// Lower-case hex SHA-256 of `data` (64 characters).
std::string Sha256Hex(std::string_view data);
// SHA-256 over data given in pieces (files too large for memory).
class Sha256Hasher {
 public:
  Sha256Hasher();
  ~Sha256Hasher();
  Sha256Hasher(const Sha256Hasher&) = delete;
  Sha256Hasher& operator=(const Sha256Hasher&) = delete;
  void Update(std::string_view data);
  // Lower-case hex of the digest of everything given; the hasher is spent.
  std::string FinishHex();

 private:
  void* ctx_;  // EVP_MD_CTX
};

// The 32 raw bytes of HMAC-SHA256(key, data).
std::string HmacSha256(std::string_view key, std::string_view data);
// Lower-case hex of arbitrary bytes.
std::string HexEncode(std::string_view bytes);
// The bytes of lower- or upper-case hex text; nullopt for an odd length or a
// character that is not a hex digit.
std::optional<std::string> HexDecode(std::string_view hex);
// Standard base64 (RFC 4648, "+/" alphabet, "=" padding) of arbitrary bytes.
std::string Base64Encode(std::string_view bytes);
// The bytes of standard base64 text, padded or not; nullopt for any character
// outside the alphabet (white space included) or a malformed ending.
std::optional<std::string> Base64Decode(std::string_view text);
// `length` bytes from the operating system's CSPRNG (OpenSSL RAND_bytes).
// Aborts when no entropy is available: nothing safe can be done then.
std::string RandomBytes(size_t length);
// A random (version 4) UUID from the CSPRNG: "1b4e28ba-2fa1-41d2-883f-0016d3cca427".
std::string RandomUuid();
// A time-ordered (version 7, RFC 9562) UUID: 48 bits of Unix milliseconds,
// then 74 random bits from the CSPRNG. Successive ones sort by creation
// time, so database indexes on them grow at one end instead of at random
// pages.
std::string TimeOrderedUuid();
// True when a and b hold the same bytes. The time taken depends on their
// lengths only, never on where they differ: use it for every secret.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace stepd
