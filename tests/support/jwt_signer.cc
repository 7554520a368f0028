#include "support/jwt_signer.h"

#include <map>
#include <mutex>
#include <utility>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <cstdio>
#include <cstdlib>

#include "stepd/base/crypto.h"

namespace stepd::api::testing {
namespace {

[[noreturn]] void Die(const char* what) {
  std::fprintf(stderr, "jwt_signer: %s failed\n", what);
  std::abort();
}

std::string Bytes(const unsigned char* data, size_t size) {
  return std::string(reinterpret_cast<const char*>(data), size);
}

// A big-endian parameter of the key, left-padded with zeros to `width`
// bytes (0: its natural size).
std::string BigParam(EVP_PKEY* pkey, const char* name, int width = 0) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(pkey, name, &bn) != 1) Die(name);
  std::string out(width > 0 ? width : BN_num_bytes(bn), '\0');
  BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(out.size()));
  BN_free(bn);
  return out;
}

bool IsEcdsa(JwtAlgorithm alg) {
  return alg == JwtAlgorithm::kES256 || alg == JwtAlgorithm::kES384;
}


// DER ECDSA-Sig-Value -> R||S of 2 * width bytes.
std::string DerToRaw(const std::string& der, int width) {
  const auto* in = reinterpret_cast<const unsigned char*>(der.data());
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &in, static_cast<long>(der.size()));
  if (!sig) Die("d2i_ECDSA_SIG");
  std::string raw(2 * width, '\0');
  auto* out = reinterpret_cast<unsigned char*>(raw.data());
  BN_bn2binpad(ECDSA_SIG_get0_r(sig), out, width);
  BN_bn2binpad(ECDSA_SIG_get0_s(sig), out + width, width);
  ECDSA_SIG_free(sig);
  return raw;
}

}  // namespace

TestKey TestKey::Generate(TestKeyType type, std::string kid) {
  EVP_PKEY* pkey = nullptr;
  switch (type) {
    case TestKeyType::kRsa1024:
      pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{1024});
      break;
    case TestKeyType::kRsa2048:
      pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048});
      break;
    case TestKeyType::kRsa3072:
      pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{3072});
      break;
    case TestKeyType::kEcP256:
      pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
      break;
    case TestKeyType::kEcP384:
      pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384");
      break;
    case TestKeyType::kEd25519:
      pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
      break;
  }
  if (!pkey) Die("key generation");
  return TestKey(std::shared_ptr<EVP_PKEY>(pkey, EVP_PKEY_free), type, std::move(kid));
}

TestKey TestKey::Ed25519FromSeed(std::string_view seed, std::string kid) {
  if (seed.size() != 32) Die("an Ed25519 seed of 32 bytes");
  EVP_PKEY* pkey = EVP_PKEY_new_raw_private_key(
      EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(seed.data()), 32);
  if (!pkey) Die("Ed25519 key from a seed");
  return TestKey(std::shared_ptr<EVP_PKEY>(pkey, EVP_PKEY_free), TestKeyType::kEd25519,
                 std::move(kid));
}

TestKeyType TestKey::TypeFor(JwtAlgorithm alg) {
  switch (alg) {
    case JwtAlgorithm::kES256:
      return TestKeyType::kEcP256;
    case JwtAlgorithm::kES384:
      return TestKeyType::kEcP384;
    case JwtAlgorithm::kEdDSA:
      return TestKeyType::kEd25519;
    default:
      return TestKeyType::kRsa2048;
  }
}

Json TestKey::PublicJwk() const {
  Json jwk = Json::object();
  EVP_PKEY* pkey = pkey_.get();
  switch (type_) {
    case TestKeyType::kRsa1024:
    case TestKeyType::kRsa2048:
    case TestKeyType::kRsa3072:
      jwk["kty"] = "RSA";
      jwk["n"] = Base64UrlEncode(BigParam(pkey, OSSL_PKEY_PARAM_RSA_N));
      jwk["e"] = Base64UrlEncode(BigParam(pkey, OSSL_PKEY_PARAM_RSA_E));
      break;
    case TestKeyType::kEcP256:
    case TestKeyType::kEcP384: {
      const int width = type_ == TestKeyType::kEcP256 ? 32 : 48;
      jwk["kty"] = "EC";
      jwk["crv"] = type_ == TestKeyType::kEcP256 ? "P-256" : "P-384";
      jwk["x"] = Base64UrlEncode(BigParam(pkey, OSSL_PKEY_PARAM_EC_PUB_X, width));
      jwk["y"] = Base64UrlEncode(BigParam(pkey, OSSL_PKEY_PARAM_EC_PUB_Y, width));
      break;
    }
    case TestKeyType::kEd25519: {
      unsigned char raw[32];
      size_t size = sizeof raw;
      if (EVP_PKEY_get_raw_public_key(pkey, raw, &size) != 1) Die("EVP_PKEY_get_raw_public_key");
      jwk["kty"] = "OKP";
      jwk["crv"] = "Ed25519";
      jwk["x"] = Base64UrlEncode(Bytes(raw, size));
      break;
    }
  }
  if (!kid_.empty()) jwk["kid"] = kid_;
  return jwk;
}

std::string TestKey::PublicKeyPem() const {
  BIO* bio = BIO_new(BIO_s_mem());
  if (!bio || PEM_write_bio_PUBKEY(bio, pkey_.get()) != 1) Die("PEM_write_bio_PUBKEY");
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<size_t>(size));
  BIO_free(bio);
  return pem;
}

std::string TestKey::Signature(JwtAlgorithm alg, std::string_view signing_input,
                               bool ecdsa_der) const {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_PKEY_CTX* pctx = nullptr;
  const EVP_MD* md = JwtDigest(alg);
  if (!ctx || EVP_DigestSignInit(ctx, &pctx, md, nullptr, pkey_.get()) != 1) {
    Die("EVP_DigestSignInit");
  }
  if (alg == JwtAlgorithm::kPS256 || alg == JwtAlgorithm::kPS384 || alg == JwtAlgorithm::kPS512) {
    if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
        EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1 ||
        EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) != 1) {
      Die("RSA-PSS parameters");
    }
  }
  const auto* input = reinterpret_cast<const unsigned char*>(signing_input.data());
  size_t size = 0;
  if (EVP_DigestSign(ctx, nullptr, &size, input, signing_input.size()) != 1) Die("EVP_DigestSign");
  std::string signature(size, '\0');
  if (EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(signature.data()), &size, input,
                     signing_input.size()) != 1) {
    Die("EVP_DigestSign");
  }
  signature.resize(size);
  EVP_MD_CTX_free(ctx);
  if (IsEcdsa(alg) && !ecdsa_der) {
    return DerToRaw(signature, alg == JwtAlgorithm::kES256 ? 32 : 48);
  }
  return signature;
}

std::string TestKey::Sign(JwtAlgorithm alg, const Json& claims, Json header) const {
  if (!header.contains("alg")) header["alg"] = std::string(JwtAlgorithmName(alg));
  if (!header.contains("kid") && !kid_.empty()) header["kid"] = kid_;
  const std::string signing_input =
      Base64UrlEncode(header.dump()) + "." + Base64UrlEncode(claims.dump());
  return signing_input + "." + Base64UrlEncode(Signature(alg, signing_input));
}

std::string JwksText(std::initializer_list<Json> jwks) {
  return Json{{"keys", Json::array_t(jwks.begin(), jwks.end())}}.dump();
}

std::string RawToken(std::string_view header_text, std::string_view payload_text,
                     std::string_view signature) {
  return Base64UrlEncode(header_text) + "." + Base64UrlEncode(payload_text) + "." +
         Base64UrlEncode(signature);
}

std::string HmacToken(const Json& header, const Json& claims, std::string_view secret) {
  const std::string signing_input =
      Base64UrlEncode(header.dump()) + "." + Base64UrlEncode(claims.dump());
  return signing_input + "." + Base64UrlEncode(HmacSha256(secret, signing_input));
}

const TestKey& SharedTestKey(TestKeyType type, const std::string& kid) {
  static std::mutex mu;
  static auto* keys = new std::map<std::pair<TestKeyType, std::string>, TestKey>();
  std::lock_guard lock(mu);
  auto it = keys->find({type, kid});
  if (it == keys->end()) it = keys->emplace(std::pair{type, kid}, TestKey::Generate(type, kid)).first;
  return it->second;
}

}  // namespace stepd::api::testing
