#include "stepd/api/jwt.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <set>

namespace stepd::api {
namespace {

struct AlgorithmName {
  JwtAlgorithm algorithm;
  std::string_view name;
};
constexpr std::array<AlgorithmName, 9> kAlgorithmNames = {{
    {JwtAlgorithm::kRS256, "RS256"},
    {JwtAlgorithm::kRS384, "RS384"},
    {JwtAlgorithm::kRS512, "RS512"},
    {JwtAlgorithm::kPS256, "PS256"},
    {JwtAlgorithm::kPS384, "PS384"},
    {JwtAlgorithm::kPS512, "PS512"},
    {JwtAlgorithm::kES256, "ES256"},
    {JwtAlgorithm::kES384, "ES384"},
    {JwtAlgorithm::kEdDSA, "EdDSA"},
}};

// What a key is, as far as choosing algorithms goes.
enum class KeyFamily { kRsa, kEcP256, kEcP384, kEd25519 };

KeyFamily FamilyOf(JwtAlgorithm a) {
  switch (a) {
    case JwtAlgorithm::kES256:
      return KeyFamily::kEcP256;
    case JwtAlgorithm::kES384:
      return KeyFamily::kEcP384;
    case JwtAlgorithm::kEdDSA:
      return KeyFamily::kEd25519;
    default:
      return KeyFamily::kRsa;
  }
}

bool IsPss(JwtAlgorithm a) {
  return a == JwtAlgorithm::kPS256 || a == JwtAlgorithm::kPS384 || a == JwtAlgorithm::kPS512;
}

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
struct BnFree {
  void operator()(BIGNUM* p) const { BN_free(p); }
};
struct ParamBldFree {
  void operator()(OSSL_PARAM_BLD* p) const { OSSL_PARAM_BLD_free(p); }
};
struct ParamFree {
  void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
};
struct EcdsaSigFree {
  void operator()(ECDSA_SIG* p) const { ECDSA_SIG_free(p); }
};
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree>;
using BnPtr = std::unique_ptr<BIGNUM, BnFree>;

int Base64UrlValue(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

// `text` quoted for a log line: printable ASCII only, at most 64 characters.
// Kids and issuers in reasons come from tokens anyone can send.
std::string Quoted(std::string_view text) {
  constexpr size_t kMax = 64;
  std::string out = "'";
  for (size_t i = 0; i < text.size() && i < kMax; ++i) {
    const char c = text[i];
    out.push_back(c >= 0x20 && c < 0x7f && c != '\'' ? c : '?');
  }
  if (text.size() > kMax) out += "...";
  out.push_back('\'');
  return out;
}

// A JSON object with no member name repeated at any depth, nested at most
// kMaxJsonDepth levels, or nullopt.
std::optional<Json> ParseStrictObject(std::string_view text) {
  std::vector<std::set<std::string>> open_objects;
  bool duplicate = false;
  bool too_deep = false;
  Json::parser_callback_t note_names = [&](int depth, Json::parse_event_t event, Json& parsed) {
    if (depth > kMaxJsonDepth) too_deep = true;
    if (event == Json::parse_event_t::object_start) {
      open_objects.emplace_back();
    } else if (event == Json::parse_event_t::object_end) {
      open_objects.pop_back();
    } else if (event == Json::parse_event_t::key && !open_objects.empty()) {
      if (!open_objects.back().insert(parsed.get<std::string>()).second) duplicate = true;
    }
    return true;
  };
  Json value = Json::parse(text.begin(), text.end(), note_names, /*allow_exceptions=*/false);
  if (value.is_discarded() || duplicate || too_deep || !value.is_object()) return std::nullopt;
  return value;
}

// The bytes of a JWK member holding base64url, or nullopt when absent or
// not canonical base64url.
std::optional<std::string> JwkBytes(const Json& jwk, const char* member) {
  auto it = jwk.find(member);
  if (it == jwk.end() || !it->is_string()) return std::nullopt;
  return Base64UrlDecode(it->get_ref<const std::string&>());
}

BnPtr ToBignum(std::string_view bytes) {
  return BnPtr(BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()),
                         static_cast<int>(bytes.size()), nullptr));
}

std::shared_ptr<EVP_PKEY> PkeyFromParams(const char* type, OSSL_PARAM_BLD* builder) {
  std::unique_ptr<OSSL_PARAM, ParamFree> params(OSSL_PARAM_BLD_to_param(builder));
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* pkey = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &pkey, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    return nullptr;
  }
  std::shared_ptr<EVP_PKEY> owned(pkey, PkeyFree());
  PkeyCtxPtr check(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr));
  if (!check || EVP_PKEY_public_check(check.get()) != 1) return nullptr;
  return owned;
}

// The RSA public key of a JWK, or why not.
std::variant<std::shared_ptr<EVP_PKEY>, std::string> RsaKey(const Json& jwk) {
  auto n = JwkBytes(jwk, "n");
  auto e = JwkBytes(jwk, "e");
  if (!n || !e) return std::string("RSA key without base64url n and e");
  BnPtr modulus = ToBignum(*n);
  BnPtr exponent = ToBignum(*e);
  if (!modulus || !exponent) return std::string("RSA key unreadable");
  const int bits = BN_num_bits(modulus.get());
  if (bits < 2048) return "RSA modulus of " + std::to_string(bits) + " bits is under 2048";
  if (bits > 16384) return "RSA modulus of " + std::to_string(bits) + " bits is over 16384";
  if (BN_num_bits(exponent.get()) > 32 || !BN_is_odd(exponent.get()) || BN_is_one(exponent.get())) {
    return std::string("RSA public exponent is not an odd number of 2 to 32 bits");
  }
  std::unique_ptr<OSSL_PARAM_BLD, ParamBldFree> builder(OSSL_PARAM_BLD_new());
  if (!builder ||
      OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_N, modulus.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_E, exponent.get()) != 1) {
    return std::string("RSA key could not be built");
  }
  auto pkey = PkeyFromParams("RSA", builder.get());
  if (!pkey) return std::string("RSA key rejected by OpenSSL");
  return pkey;
}

// The EC public key of a JWK on P-256 or P-384, or why not.
std::variant<std::shared_ptr<EVP_PKEY>, std::string> EcKey(const Json& jwk, KeyFamily* family) {
  auto crv = jwk.find("crv");
  if (crv == jwk.end() || !crv->is_string()) return std::string("EC key without crv");
  size_t coordinate_bytes;
  const char* group;
  if (*crv == "P-256") {
    *family = KeyFamily::kEcP256;
    coordinate_bytes = 32;
    group = "prime256v1";
  } else if (*crv == "P-384") {
    *family = KeyFamily::kEcP384;
    coordinate_bytes = 48;
    group = "secp384r1";
  } else {
    return "EC curve " + Quoted(crv->get_ref<const std::string&>()) + " is not supported";
  }
  auto x = JwkBytes(jwk, "x");
  auto y = JwkBytes(jwk, "y");
  if (!x || !y) return std::string("EC key without base64url x and y");
  if (x->size() != coordinate_bytes || y->size() != coordinate_bytes) {
    return std::string("EC coordinates are not of the curve's size");
  }
  const std::string point = "\x04" + *x + *y;  // uncompressed (SEC 1)
  std::unique_ptr<OSSL_PARAM_BLD, ParamBldFree> builder(OSSL_PARAM_BLD_new());
  if (!builder ||
      OSSL_PARAM_BLD_push_utf8_string(builder.get(), OSSL_PKEY_PARAM_GROUP_NAME, group, 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(builder.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                       point.size()) != 1) {
    return std::string("EC key could not be built");
  }
  auto pkey = PkeyFromParams("EC", builder.get());
  if (!pkey) return std::string("EC point is not on the curve");
  return pkey;
}

std::variant<std::shared_ptr<EVP_PKEY>, std::string> Ed25519Key(const Json& jwk) {
  auto crv = jwk.find("crv");
  if (crv == jwk.end() || !crv->is_string()) return std::string("OKP key without crv");
  if (*crv != "Ed25519") {
    return "OKP curve " + Quoted(crv->get_ref<const std::string&>()) + " is not supported";
  }
  auto x = JwkBytes(jwk, "x");
  if (!x || x->size() != 32) return std::string("Ed25519 key without a 32-byte x");
  EVP_PKEY* pkey = EVP_PKEY_new_raw_public_key(
      EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(x->data()), x->size());
  if (!pkey) return std::string("Ed25519 key rejected by OpenSSL");
  return std::shared_ptr<EVP_PKEY>(pkey, PkeyFree());
}

// Raw R||S (RFC 7518 3.4) as the DER ECDSA-Sig-Value OpenSSL verifies; ""
// when `raw` is not exactly 2 * coordinate_bytes long.
std::string EcdsaRawToDer(std::string_view raw, size_t coordinate_bytes) {
  if (raw.size() != 2 * coordinate_bytes) return "";
  std::unique_ptr<ECDSA_SIG, EcdsaSigFree> sig(ECDSA_SIG_new());
  BnPtr r = ToBignum(raw.substr(0, coordinate_bytes));
  BnPtr s = ToBignum(raw.substr(coordinate_bytes));
  if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1) return "";
  r.release();  // owned by sig now
  s.release();
  const int size = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (size <= 0) return "";
  std::string der(static_cast<size_t>(size), '\0');
  auto* out = reinterpret_cast<unsigned char*>(der.data());
  if (i2d_ECDSA_SIG(sig.get(), &out) != size) return "";
  return der;
}

bool VerifySignature(EVP_PKEY* pkey, JwtAlgorithm alg, std::string_view signing_input,
                     std::string_view signature) {
  std::string der;
  if (alg == JwtAlgorithm::kES256 || alg == JwtAlgorithm::kES384) {
    der = EcdsaRawToDer(signature, alg == JwtAlgorithm::kES256 ? 32 : 48);
    if (der.empty()) return false;
    signature = der;
  }
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;  // owned by ctx
  const EVP_MD* md = JwtDigest(alg);
  bool ok = ctx && EVP_DigestVerifyInit(ctx.get(), &pctx, md, nullptr, pkey) == 1;
  if (ok && FamilyOf(alg) == KeyFamily::kRsa) {
    ok = IsPss(alg) ? EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
                          EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1 &&
                          EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) == 1
                    : EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) == 1;
  }
  ok = ok && EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                              signature.size(),
                              reinterpret_cast<const unsigned char*>(signing_input.data()),
                              signing_input.size()) == 1;
  ERR_clear_error();  // a failed verification leaves entries on this thread's queue
  return ok;
}

JwtError Fail(JwtFailure failure, std::string reason) {
  return JwtError{failure, std::move(reason)};
}

// A NumericDate claim: nullopt when absent; *error set when not a finite number.
std::optional<double> NumericDate(const Json& claims, const char* name,
                                  std::optional<JwtError>* error) {
  auto it = claims.find(name);
  if (it == claims.end()) return std::nullopt;
  if (!it->is_number() || !std::isfinite(it->get<double>())) {
    *error = Fail(JwtFailure::kBadClaims, std::string(name) + " is not a number");
    return std::nullopt;
  }
  return it->get<double>();
}

std::optional<JwtError> CheckClaims(const Json& claims, const JwtPolicy& policy,
                                    int64_t now_seconds) {
  std::optional<JwtError> error;
  const std::optional<double> exp = NumericDate(claims, "exp", &error);
  const std::optional<double> nbf = NumericDate(claims, "nbf", &error);
  const std::optional<double> iat = NumericDate(claims, "iat", &error);
  if (error) return error;
  if (!exp) return Fail(JwtFailure::kBadClaims, "exp is missing");
  for (const std::string& name : policy.required_claims) {
    if (!claims.contains(name)) return Fail(JwtFailure::kBadClaims, Quoted(name) + " is missing");
  }
  if (auto sub = claims.find("sub"); sub != claims.end() && !sub->is_string()) {
    return Fail(JwtFailure::kBadClaims, "sub is not a string");
  }

  auto iss = claims.find("iss");
  if (iss == claims.end() || !iss->is_string()) {
    return Fail(JwtFailure::kWrongIssuer, "iss is missing or not a string");
  }
  if (policy.issuer.empty() || *iss != policy.issuer) {
    return Fail(JwtFailure::kWrongIssuer, "iss " + Quoted(iss->get_ref<const std::string&>()));
  }

  if (!policy.audiences.empty()) {
    auto aud = claims.find("aud");
    if (aud == claims.end()) return Fail(JwtFailure::kWrongAudience, "aud is missing");
    std::vector<const std::string*> audiences;
    if (aud->is_string()) {
      audiences.push_back(&aud->get_ref<const std::string&>());
    } else if (aud->is_array()) {
      for (const Json& entry : *aud) {
        if (!entry.is_string()) return Fail(JwtFailure::kBadClaims, "aud holds a non-string");
        audiences.push_back(&entry.get_ref<const std::string&>());
      }
    } else {
      return Fail(JwtFailure::kBadClaims, "aud is neither a string nor an array");
    }
    const bool ours = std::any_of(audiences.begin(), audiences.end(), [&](const std::string* a) {
      return std::find(policy.audiences.begin(), policy.audiences.end(), *a) !=
             policy.audiences.end();
    });
    if (!ours) return Fail(JwtFailure::kWrongAudience, "aud holds none of ours");
  }

  const double now = static_cast<double>(now_seconds);
  const double skew = static_cast<double>(policy.clock_skew.count());
  if (now >= *exp + skew) return Fail(JwtFailure::kExpired, "expired");
  if (nbf && now < *nbf - skew) return Fail(JwtFailure::kNotYetValid, "nbf is in the future");
  if (iat && *iat > now + skew) return Fail(JwtFailure::kIssuedInFuture, "iat is in the future");
  return std::nullopt;
}

}  // namespace

struct Jwks::Key {
  std::string kid;  // "" when the JWK has none
  KeyFamily family;
  std::optional<JwtAlgorithm> alg;  // the JWK's own "alg"
  std::shared_ptr<EVP_PKEY> pkey;

  bool Fits(JwtAlgorithm a) const { return family == FamilyOf(a) && (!alg || *alg == a); }
};

// What VerifyJwt and Parse need of a Jwks's private keys.
struct JwksAccess {
  static std::variant<Jwks::Key, std::string> ParseKey(const Json& jwk);
  // The key to verify a token of `alg` naming `kid` ("" for none) with.
  static std::variant<const Jwks::Key*, JwtError> Select(const Jwks& set, const std::string& kid,
                                                         JwtAlgorithm alg);
};

std::variant<Jwks::Key, std::string> JwksAccess::ParseKey(const Json& jwk) {
  if (!jwk.is_object()) return std::string("not a JSON object");
  Jwks::Key key;
  if (auto kid = jwk.find("kid"); kid != jwk.end()) {
    if (!kid->is_string()) return std::string("kid is not a string");
    key.kid = kid->get<std::string>();
  }
  if (auto use = jwk.find("use"); use != jwk.end() && *use != "sig") {
    return std::string("use is not \"sig\"");
  }
  if (auto ops = jwk.find("key_ops"); ops != jwk.end()) {
    if (!ops->is_array() || std::find(ops->begin(), ops->end(), "verify") == ops->end()) {
      return std::string("key_ops lacks \"verify\"");
    }
  }
  auto kty = jwk.find("kty");
  if (kty == jwk.end() || !kty->is_string()) return std::string("kty missing");
  std::variant<std::shared_ptr<EVP_PKEY>, std::string> pkey;
  if (*kty == "RSA") {
    key.family = KeyFamily::kRsa;
    pkey = RsaKey(jwk);
  } else if (*kty == "EC") {
    pkey = EcKey(jwk, &key.family);
  } else if (*kty == "OKP") {
    key.family = KeyFamily::kEd25519;
    pkey = Ed25519Key(jwk);
  } else {
    return "kty " + Quoted(kty->get_ref<const std::string&>()) + " is not supported";
  }
  if (auto* why = std::get_if<std::string>(&pkey)) return *why;
  key.pkey = std::get<std::shared_ptr<EVP_PKEY>>(std::move(pkey));
  if (auto alg = jwk.find("alg"); alg != jwk.end()) {
    std::optional<JwtAlgorithm> parsed =
        alg->is_string() ? ParseJwtAlgorithm(alg->get_ref<const std::string&>()) : std::nullopt;
    if (!parsed) return std::string("alg is not a supported signature algorithm");
    if (FamilyOf(*parsed) != key.family)
      return "alg " + Quoted(alg->get_ref<const std::string&>()) + " does not fit the key";
    key.alg = parsed;
  }
  return key;
}

std::variant<const Jwks::Key*, JwtError> JwksAccess::Select(const Jwks& set, const std::string& kid,
                                                            JwtAlgorithm alg) {
  const std::string alg_name(JwtAlgorithmName(alg));
  if (!kid.empty()) {
    for (const Jwks::Key& key : set.keys_) {
      if (key.kid != kid) continue;
      if (!key.Fits(alg)) {
        return Fail(JwtFailure::kAlgorithmNotAllowed,
                    "kid " + Quoted(kid) + " cannot verify " + alg_name);
      }
      return &key;
    }
    return Fail(JwtFailure::kUnknownKey, "kid " + Quoted(kid));
  }
  const Jwks::Key* found = nullptr;
  size_t fitting = 0;
  for (const Jwks::Key& key : set.keys_) {
    if (key.Fits(alg)) {
      found = &key;
      ++fitting;
    }
  }
  if (fitting != 1) {
    return Fail(JwtFailure::kUnknownKey,
                "no kid, and " + std::to_string(fitting) + " keys fit " + alg_name);
  }
  return found;
}

std::string_view JwtAlgorithmName(JwtAlgorithm a) {
  for (const auto& entry : kAlgorithmNames) {
    if (entry.algorithm == a) return entry.name;
  }
  return "unknown";
}

std::optional<JwtAlgorithm> ParseJwtAlgorithm(std::string_view name) {
  for (const auto& entry : kAlgorithmNames) {
    if (entry.name == name) return entry.algorithm;
  }
  return std::nullopt;
}

std::vector<JwtAlgorithm> AllJwtAlgorithms() {
  std::vector<JwtAlgorithm> all;
  for (const auto& entry : kAlgorithmNames) all.push_back(entry.algorithm);
  return all;
}

const EVP_MD* JwtDigest(JwtAlgorithm a) {
  switch (a) {
    case JwtAlgorithm::kRS256:
    case JwtAlgorithm::kPS256:
    case JwtAlgorithm::kES256:
      return EVP_sha256();
    case JwtAlgorithm::kRS384:
    case JwtAlgorithm::kPS384:
    case JwtAlgorithm::kES384:
      return EVP_sha384();
    case JwtAlgorithm::kRS512:
    case JwtAlgorithm::kPS512:
      return EVP_sha512();
    case JwtAlgorithm::kEdDSA:
      return nullptr;
  }
  return nullptr;
}

std::string Base64UrlEncode(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  out.reserve((bytes.size() * 4 + 2) / 3);
  uint32_t acc = 0;
  int bits = 0;
  for (unsigned char byte : bytes) {
    acc = (acc << 8) | byte;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kAlphabet[(acc >> bits) & 0x3f]);
    }
    acc &= (1u << bits) - 1;
  }
  if (bits > 0) out.push_back(kAlphabet[(acc << (6 - bits)) & 0x3f]);
  return out;
}

std::optional<std::string> Base64UrlDecode(std::string_view text) {
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(text.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    const int value = Base64UrlValue(c);
    if (value < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
      acc &= (1u << bits) - 1;
    }
  }
  if (acc != 0) return std::nullopt;  // non-zero padding bits: not canonical
  return out;
}

Jwks::Jwks() = default;
Jwks::~Jwks() = default;

StatusOr<std::shared_ptr<const Jwks>> Jwks::Parse(std::string_view json,
                                                  std::vector<std::string>* skipped) {
  STEPD_ASSIGN_OR_RETURN(Json document, ParseJson(json));
  if (!document.is_object() || !document.contains("keys") || !document["keys"].is_array()) {
    return InvalidArgumentError("a JWKS is a JSON object with a \"keys\" array");
  }
  static constexpr const char* kPrivateMembers[] = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"};
  std::shared_ptr<Jwks> set(new Jwks());
  std::set<std::string> kids;
  const Json& keys = document["keys"];
  for (size_t i = 0; i < keys.size(); ++i) {
    const Json& jwk = keys[i];
    const std::string name = "key " + std::to_string(i);
    if (jwk.is_object()) {
      for (const char* member : kPrivateMembers) {
        if (jwk.contains(member)) {
          return InvalidArgumentError(name + " holds private or secret key material (\"" + member +
                                      "\"): a JWKS must hold public keys only");
        }
      }
    }
    auto parsed = JwksAccess::ParseKey(jwk);
    if (auto* why = std::get_if<std::string>(&parsed)) {
      if (skipped) {
        std::string kid;
        if (jwk.is_object() && jwk.contains("kid") && jwk["kid"].is_string()) {
          kid = " (kid " + Quoted(jwk["kid"].get_ref<const std::string&>()) + ")";
        }
        skipped->push_back(name + kid + ": " + *why);
      }
      continue;
    }
    Key& key = std::get<Key>(parsed);
    if (!key.kid.empty() && !kids.insert(key.kid).second) {
      return InvalidArgumentError(name + ": kid " + Quoted(key.kid) + " appears twice");
    }
    set->keys_.push_back(std::move(key));
  }
  if (set->keys_.empty()) return InvalidArgumentError("the JWKS holds no usable signing key");
  return std::shared_ptr<const Jwks>(std::move(set));
}

size_t Jwks::size() const { return keys_.size(); }

std::vector<std::string> Jwks::kids() const {
  std::vector<std::string> out;
  for (const Key& key : keys_) out.push_back(key.kid);
  return out;
}

bool Jwks::contains(std::string_view kid) const {
  return !kid.empty() &&
         std::any_of(keys_.begin(), keys_.end(), [&](const Key& key) { return key.kid == kid; });
}

std::string_view JwtFailureName(JwtFailure f) {
  switch (f) {
    case JwtFailure::kMalformed:
      return "malformed";
    case JwtFailure::kTooLarge:
      return "too_large";
    case JwtFailure::kAlgorithmNotAllowed:
      return "algorithm_not_allowed";
    case JwtFailure::kCriticalHeader:
      return "critical_header";
    case JwtFailure::kUnknownKey:
      return "unknown_key";
    case JwtFailure::kBadSignature:
      return "bad_signature";
    case JwtFailure::kExpired:
      return "expired";
    case JwtFailure::kNotYetValid:
      return "not_yet_valid";
    case JwtFailure::kIssuedInFuture:
      return "issued_in_future";
    case JwtFailure::kWrongIssuer:
      return "wrong_issuer";
    case JwtFailure::kWrongAudience:
      return "wrong_audience";
    case JwtFailure::kBadClaims:
      return "bad_claims";
  }
  return "unknown";
}

std::variant<VerifiedJwt, JwtError> VerifyJwt(std::string_view token, const Jwks& keys,
                                              const JwtPolicy& policy, int64_t now_seconds) {
  if (token.size() > policy.max_token_bytes) {
    return Fail(JwtFailure::kTooLarge, std::to_string(token.size()) + " bytes");
  }
  const size_t first_dot = token.find('.');
  const size_t second_dot = first_dot == token.npos ? token.npos : token.find('.', first_dot + 1);
  if (second_dot == token.npos || token.find('.', second_dot + 1) != token.npos) {
    return Fail(JwtFailure::kMalformed, "not three segments");
  }
  const std::string_view header_text = token.substr(0, first_dot);
  const std::string_view payload_text = token.substr(first_dot + 1, second_dot - first_dot - 1);
  const std::string_view signature_text = token.substr(second_dot + 1);
  if (header_text.empty() || payload_text.empty() || signature_text.empty()) {
    return Fail(JwtFailure::kMalformed, "empty segment");
  }
  const auto header_bytes = Base64UrlDecode(header_text);
  const auto payload_bytes = Base64UrlDecode(payload_text);
  const auto signature = Base64UrlDecode(signature_text);
  if (!header_bytes || !payload_bytes || !signature) {
    return Fail(JwtFailure::kMalformed, "a segment is not canonical base64url");
  }
  std::optional<Json> header = ParseStrictObject(*header_bytes);
  if (!header) return Fail(JwtFailure::kMalformed, "header is not a JSON object");

  auto alg_member = header->find("alg");
  if (alg_member == header->end() || !alg_member->is_string()) {
    return Fail(JwtFailure::kMalformed, "alg is missing or not a string");
  }
  const std::string& alg_name = alg_member->get_ref<const std::string&>();
  const std::optional<JwtAlgorithm> alg = ParseJwtAlgorithm(alg_name);
  if (!alg || std::find(policy.algorithms.begin(), policy.algorithms.end(), *alg) ==
                  policy.algorithms.end()) {
    return Fail(JwtFailure::kAlgorithmNotAllowed, "alg " + Quoted(alg_name));
  }
  if (header->contains("crit")) return Fail(JwtFailure::kCriticalHeader, "crit header");
  std::string kid;
  if (auto kid_member = header->find("kid"); kid_member != header->end()) {
    if (!kid_member->is_string() || kid_member->get_ref<const std::string&>().empty()) {
      return Fail(JwtFailure::kMalformed, "kid is not a non-empty string");
    }
    kid = kid_member->get<std::string>();
  }
  std::optional<Json> claims = ParseStrictObject(*payload_bytes);
  if (!claims) return Fail(JwtFailure::kMalformed, "payload is not a JSON object");

  auto selected = JwksAccess::Select(keys, kid, *alg);
  if (auto* error = std::get_if<JwtError>(&selected)) return *std::move(error);
  const auto* key = std::get<0>(selected);

  const std::string_view signing_input = token.substr(0, second_dot);
  if (!VerifySignature(key->pkey.get(), *alg, signing_input, *signature)) {
    return Fail(JwtFailure::kBadSignature,
                std::string(JwtAlgorithmName(*alg)) + " signature, kid " + Quoted(key->kid));
  }
  if (auto error = CheckClaims(*claims, policy, now_seconds)) return *std::move(error);
  return VerifiedJwt{.header = *std::move(header),
                     .claims = *std::move(claims),
                     .kid = key->kid,
                     .algorithm = *alg};
}

}  // namespace stepd::api
