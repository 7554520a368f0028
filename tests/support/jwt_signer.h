#pragma once
// Test-only issuer of JSON Web Tokens: fresh key pairs made with OpenSSL,
// their public JWKs, and compact JWS tokens signed with any JwtAlgorithm,
// well-formed or deliberately not. For the api tests (jwt.h, key_set.h),
// the server tests, the benchmarks and the JWT fuzz harness.
//
//   auto key = TestKey::Generate(TestKeyType::kEcP256, "k1");
//   std::string jwks = JwksText({key.PublicJwk()});
//   std::string token = key.Sign(api::JwtAlgorithm::kES256, {{"sub", "ada"}, ...});
//
// Failures of OpenSSL abort: a test cannot go on without its keys.

#include <openssl/types.h>

#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>

#include "stepd/api/jwt.h"
#include "stepd/base/json.h"

namespace stepd::api::testing {

enum class TestKeyType { kRsa1024, kRsa2048, kRsa3072, kEcP256, kEcP384, kEd25519 };

class TestKey {
 public:
  // A fresh key pair; `kid` "" for a key without one. RSA keys take a while
  // to make: share them across the tests of a suite.
  static TestKey Generate(TestKeyType type, std::string kid);
  // The Ed25519 key whose private key is the 32 bytes of `seed`: the same
  // key every run (the fuzz harness's seed corpus holds tokens it signed).
  static TestKey Ed25519FromSeed(std::string_view seed, std::string kid);
  // The type an algorithm signs with (RSA 2048 for RS* and PS*).
  static TestKeyType TypeFor(JwtAlgorithm alg);

  const std::string& kid() const { return kid_; }
  // The public JWK: kty, its public parameters, and "kid" unless it is "".
  Json PublicJwk() const;
  // The public key as SubjectPublicKeyInfo PEM text (what an attacker uses
  // as the HMAC secret in an algorithm-confusion attack).
  std::string PublicKeyPem() const;
  // The raw JWS signature of `signing_input` made with `alg`: ECDSA as R||S,
  // or in DER when `ecdsa_der` (a form JWS forbids).
  std::string Signature(JwtAlgorithm alg, std::string_view signing_input,
                        bool ecdsa_der = false) const;
  // A compact JWS of `claims` signed with `alg`. "alg" (its JWA name) and
  // "kid" (unless the key has none) are added to `header` unless it already
  // has them, so a test can lie in the header ("alg": "none") and still sign.
  std::string Sign(JwtAlgorithm alg, const Json& claims, Json header = Json::object()) const;

 private:
  TestKey(std::shared_ptr<EVP_PKEY> pkey, TestKeyType type, std::string kid)
      : pkey_(std::move(pkey)), type_(type), kid_(std::move(kid)) {}
  std::shared_ptr<EVP_PKEY> pkey_;
  TestKeyType type_;
  std::string kid_;
};

// A key generated on first use with this type and kid and kept for the
// rest of the process: for suites whose tests share keys. Thread-safe.
const TestKey& SharedTestKey(TestKeyType type, const std::string& kid);

// {"keys": [...]} as JSON text.
std::string JwksText(std::initializer_list<Json> jwks);
// base64url(header_text) "." base64url(payload_text) "." base64url(signature):
// exactly the given bytes, for malformed and hand-made tokens.
std::string RawToken(std::string_view header_text, std::string_view payload_text,
                     std::string_view signature);
// A token whose signature is HMAC-SHA256 over the signing input with
// `secret`, under `header` as given (e.g. {"alg": "HS256"}).
std::string HmacToken(const Json& header, const Json& claims, std::string_view secret);

}  // namespace stepd::api::testing
