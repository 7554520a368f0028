#pragma once
// JSON Web Tokens as OpenID Connect providers issue them: a compact JWS
// (RFC 7515) signed with an asymmetric key (RFC 7518), its key found in a
// JSON Web Key Set (RFC 7517), its claims checked against a JwtPolicy
// (RFC 7519). Pure: no I/O, no clock of its own; key_set.h fetches and
// refreshes the keys.
//
//   auto keys = Jwks::Parse(jwks_json);            // once per key set
//   auto result = VerifyJwt(token, **keys, policy, now_seconds);
//   if (auto* error = std::get_if<JwtError>(&result)) ...  // log error->reason
//
// What is accepted, deliberately narrow:
//   - exactly three base64url segments without padding, canonical ('=',
//     '+', '/', white space and non-zero trailing bits are malformed);
//     header and payload are JSON objects without duplicate member names;
//   - "alg" one of JwtAlgorithm and in the policy's allow-list: never
//     "none", never HMAC (so a token "signed" with a public key as an HMAC
//     secret fails), names compared case-sensitively;
//   - no "crit" header at all (no extension is understood, b64=false
//     included);
//   - the key comes from the set only: "jwk", "jku", "x5u", "x5c" in the
//     header are ignored; "typ" and "cty" are ignored;
//   - the key must fit the algorithm: RSA for RS*/PS*, EC P-256 for ES256,
//     EC P-384 for ES384, OKP Ed25519 for EdDSA, and the JWK's own "alg",
//     when it has one, must equal the header's.
//
// Thread-safety: Jwks is immutable and may be shared by any number of
// threads; the functions are reentrant.

#include <openssl/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "stepd/base/json.h"
#include "stepd/base/status_or.h"

namespace stepd::api {

enum class JwtAlgorithm {
  kRS256,  // RSASSA-PKCS1-v1_5 with SHA-256
  kRS384,
  kRS512,
  kPS256,  // RSASSA-PSS, MGF1 with the same hash, salt length = hash length
  kPS384,
  kPS512,
  kES256,  // ECDSA P-256 with SHA-256; signature R||S, 64 bytes
  kES384,  // ECDSA P-384 with SHA-384; signature R||S, 96 bytes
  kEdDSA,  // Ed25519 (RFC 8037)
};

// "RS256", "PS384", "EdDSA"...: the JWA name.
std::string_view JwtAlgorithmName(JwtAlgorithm a);
// The algorithm of an exact JWA name; nullopt for "none", HS*, a name in
// another case ("rs256") and anything unknown.
std::optional<JwtAlgorithm> ParseJwtAlgorithm(std::string_view name);
// Every supported algorithm, in enum order.
std::vector<JwtAlgorithm> AllJwtAlgorithms();
// The digest `a` signs over (OpenSSL's EVP_sha256() ...); null for EdDSA,
// which hashes on its own. Shared with the test-only signer.
const EVP_MD* JwtDigest(JwtAlgorithm a);

// base64url (RFC 4648 section 5) without padding, as JOSE writes bytes.
std::string Base64UrlEncode(std::string_view bytes);
// The bytes of canonical unpadded base64url text: nullopt for '=', '+',
// '/', white space or any other character outside the alphabet, a length of
// 4k+1, or non-zero bits after the last whole byte (so each byte string has
// exactly one accepted text).
std::optional<std::string> Base64UrlDecode(std::string_view text);

// An immutable parsed JSON Web Key Set (RFC 7517) holding public keys only.
class Jwks {
 public:
  // Parses {"keys":[...]}. Keys kept: kty "RSA" (n, e; modulus of 2048 to
  // 16384 bits, odd public exponent of at most 32 bits), "EC" (crv "P-256"
  // or "P-384", x and y of the curve's full size, the point on the curve),
  // "OKP" (crv "Ed25519", x of 32 bytes); "use" absent or "sig"; "key_ops"
  // absent or holding "verify"; "alg" absent or a supported algorithm that
  // fits the key. "kid", when present, must be a string.
  // A key that cannot be used is skipped and described (index, kid, why; no
  // key bytes) in *skipped when it is non-null. INVALID_ARGUMENT for: text
  // that is not a JSON object with a "keys" array; a set with no usable key;
  // any key carrying private members ("d", "p", "q", "dp", "dq", "qi",
  // "oth", "k": a private or symmetric key is refused, never held); two kept
  // keys with the same kid.
  static StatusOr<std::shared_ptr<const Jwks>> Parse(std::string_view json,
                                                     std::vector<std::string>* skipped = nullptr);

  // The keys held.
  size_t size() const;
  // Their kids in set order; "" for a key without one.
  std::vector<std::string> kids() const;
  // True when a key with this kid is held.
  bool contains(std::string_view kid) const;

  ~Jwks();
  Jwks(const Jwks&) = delete;
  Jwks& operator=(const Jwks&) = delete;

 private:
  struct Key;  // a JWK's kid, type, allowed algorithm and OpenSSL public key
  friend struct JwksAccess;
  Jwks();
  std::vector<Key> keys_;
};

struct JwtPolicy {
  // "iss" must be a string equal to this, byte for byte. Required: an empty
  // issuer matches no token.
  std::string issuer{};
  // "aud" (a string, or an array of strings) must hold one of these. Empty:
  // "aud" is not checked at all.
  std::vector<std::string> audiences{};
  // The algorithms accepted; a token with another "alg" fails with
  // kAlgorithmNotAllowed.
  std::vector<JwtAlgorithm> algorithms = AllJwtAlgorithms();
  // Tolerance for "exp", "nbf" and "iat" against now. Default 60 s.
  std::chrono::seconds clock_skew{60};
  // Claims that must be present (any type, null included). "exp" is always
  // required whatever this says. Default {"sub"}.
  std::vector<std::string> required_claims = {"sub"};
  // A longer token fails with kTooLarge before anything is decoded.
  size_t max_token_bytes = 16 * 1024;
};

struct VerifiedJwt {
  Json header;      // the JOSE header as sent
  Json claims;      // the payload
  std::string kid;  // the kid of the key that verified it ("" when it has none)
  JwtAlgorithm algorithm;
};

enum class JwtFailure {
  kMalformed,            // not three canonical base64url segments of JSON
                         // objects; duplicate member; "alg" or "kid" not a string
  kTooLarge,             // longer than max_token_bytes
  kAlgorithmNotAllowed,  // "alg" unsupported or not in the allow-list, or the
                         // key named cannot verify it (wrong kty, curve, JWK alg)
  kCriticalHeader,       // a "crit" header
  kUnknownKey,           // see VerifyJwt
  kBadSignature,         // the signature does not verify (or has the wrong size)
  kExpired,              // now >= exp + skew
  kNotYetValid,          // now < nbf - skew
  kIssuedInFuture,       // iat > now + skew
  kWrongIssuer,          // "iss" missing, not a string or not the policy's
  kWrongAudience,        // "aud" missing or holding none of the policy's
  kBadClaims,            // "exp" missing; exp/nbf/iat not numbers; "aud" not a
                         // string or array of strings; "sub" not a string; a
                         // required claim missing
};
// "malformed", "too_large", "algorithm_not_allowed", "critical_header",
// "unknown_key", "bad_signature", "expired", "not_yet_valid",
// "issued_in_future", "wrong_issuer", "wrong_audience", "bad_claims": for
// logs and metrics.
std::string_view JwtFailureName(JwtFailure f);

struct JwtError {
  JwtFailure failure;
  // Terse, for the server log: never the token, a signature or key bytes;
  // may name the kid, alg or iss.
  std::string reason;
};

// Verifies a compact JWS against `keys` and `policy` at `now_seconds` (Unix
// time) and returns its header and claims, or why not. Checks run in this
// order: size, segments and JSON, alg, crit, key, signature, claims (so no
// claim is looked at before the signature holds).
// kUnknownKey means: the token is otherwise well-formed and allowed, but the
// set holds no key for it: it names a kid the set does not hold, or it names
// none and not exactly one key of the set fits its alg. The caller may
// refresh the key set (KeySet::RefreshForUnknownKey) and retry once.
std::variant<VerifiedJwt, JwtError> VerifyJwt(std::string_view token, const Jwks& keys,
                                              const JwtPolicy& policy, int64_t now_seconds);

}  // namespace stepd::api
