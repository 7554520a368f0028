// OIDC bearer tokens (VerifyJwt) and JSON Web Key Sets (Jwks::Parse) on
// arbitrary bytes, against a fixed key set (RSA 2048, EC P-256 and P-384,
// Ed25519) and policy made once. Three kinds of input, by their first byte:
//   '{'  a JWKS document. When it parses, a fixed token signed with the
//        harness's Ed25519 key (kid "ed") is verified against it: the seeds
//        hold that key's public JWK, so mutated sets reach key selection,
//        the signature and the claims.
//   '!'  "!<header text>\0<payload text>": the harness encodes both texts as
//        they are and signs them with its key of the family the header's
//        "alg" names, so that mutated headers and claims get past the
//        signature to the claim checks.
//   else a compact token verified as is. The Ed25519 key comes from a fixed
//        seed and signs deterministically, so the seeds hold valid tokens.
// The time is fixed (kNow), so expiry does not depend on when the fuzzer runs.

#include <openssl/err.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "fuzz_target.h"
#include "stepd/api/jwt.h"
#include "support/jwt_signer.h"

namespace {

using namespace stepd;
using api::JwtAlgorithm;
using api::testing::TestKey;
using api::testing::TestKeyType;

constexpr int64_t kNow = 1'800'000'000;
constexpr char kIssuer[] = "https://idp.example.com/realms/stepd";
constexpr char kAudience[] = "stepd";
// The Ed25519 private key: fixed, so that the seed corpus can hold tokens
// and a JWKS of this key (tests/fuzz/corpus/jwt/).
constexpr char kEd25519Seed[] = "stepd-fuzz-jwt-ed25519-seed-0001";

[[noreturn]] void Die(const char* what) {
  std::fprintf(stderr, "jwt_fuzz: %s failed\n", what);
  std::abort();
}

struct Fixture {
  TestKey rsa = TestKey::Generate(TestKeyType::kRsa2048, "rsa");
  TestKey ec256 = TestKey::Generate(TestKeyType::kEcP256, "ec256");
  TestKey ec384 = TestKey::Generate(TestKeyType::kEcP384, "ec384");
  TestKey ed = TestKey::Ed25519FromSeed(std::string_view(kEd25519Seed, 32), "ed");
  std::shared_ptr<const api::Jwks> set;
  api::JwtPolicy policy;
  // Valid under `policy` against a set holding `ed`: for the JWKS inputs.
  std::string ed_token;

  Fixture() {
    Json keys =
        Json::array({rsa.PublicJwk(), ec256.PublicJwk(), ec384.PublicJwk(), ed.PublicJwk()});
    auto parsed = api::Jwks::Parse(Json{{"keys", keys}}.dump());
    if (!parsed.ok()) Die("parsing the fixed JWKS");
    set = *parsed;
    policy.issuer = kIssuer;
    policy.audiences = {kAudience};
    const std::string header = R"({"alg":"EdDSA","kid":"ed","typ":"JWT"})";
    const std::string claims = Json{{"iss", kIssuer},
                                    {"sub", "ada"},
                                    {"aud", kAudience},
                                    {"iat", kNow - 10},
                                    {"exp", kNow + 600}}
                                   .dump();
    ed_token = SignedToken(ed, JwtAlgorithm::kEdDSA, header, claims);
    auto check = api::VerifyJwt(ed_token, *set, policy, kNow);
    if (!std::holds_alternative<api::VerifiedJwt>(check)) Die("verifying the fixed token");
  }

  const TestKey& KeyFor(JwtAlgorithm alg) const {
    switch (alg) {
      case JwtAlgorithm::kES256:
        return ec256;
      case JwtAlgorithm::kES384:
        return ec384;
      case JwtAlgorithm::kEdDSA:
        return ed;
      default:
        return rsa;
    }
  }

  // The header and payload texts exactly as given, signed with `alg`.
  static std::string SignedToken(const TestKey& key, JwtAlgorithm alg, std::string_view header,
                                 std::string_view payload) {
    const std::string input = api::Base64UrlEncode(header) + "." + api::Base64UrlEncode(payload);
    return input + "." + api::Base64UrlEncode(key.Signature(alg, input));
  }
};

const Fixture& F() {
  static const Fixture* fixture = new Fixture();  // never destroyed: no exit-time races
  return *fixture;
}

bool Printable(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
}

// What a result promises, whichever way it came.
void CheckResult(const std::variant<api::VerifiedJwt, api::JwtError>& result,
                 std::string_view token, const api::Jwks& keys) {
  if (const auto* error = std::get_if<api::JwtError>(&result)) {
    fuzz::Check(api::JwtFailureName(error->failure) != "unknown", "every failure has a name");
    fuzz::Check(!error->reason.empty(), "a refusal says why");
    fuzz::Check(Printable(error->reason), "a reason is printable ASCII for the log");
    // Kids and issuers are quoted from the header and claims: unless those
    // hold the signature's text themselves, a reason never shows it.
    const size_t first_dot = token.find('.');
    const size_t last_dot = token.rfind('.');
    if (first_dot != last_dot && token.size() - last_dot > 16) {
      const std::string_view signature = token.substr(last_dot + 1);
      const std::string signed_text =
          api::Base64UrlDecode(token.substr(0, first_dot)).value_or("") +
          api::Base64UrlDecode(token.substr(first_dot + 1, last_dot - first_dot - 1)).value_or("");
      if (signed_text.find(signature) == std::string::npos) {
        fuzz::Check(error->reason.find(signature) == std::string::npos,
                    "a reason never holds the signature");
      }
    }
    if (token.size() > F().policy.max_token_bytes) {
      fuzz::Check(error->failure == api::JwtFailure::kTooLarge, "size is checked first");
    }
    return;
  }
  const auto& ok = std::get<api::VerifiedJwt>(result);
  fuzz::Check(token.size() <= F().policy.max_token_bytes, "a verified token is within the size");
  fuzz::Check(ok.header.is_object() && ok.claims.is_object(), "header and claims are objects");
  auto alg = ok.header.find("alg");
  fuzz::Check(alg != ok.header.end() && *alg == std::string(api::JwtAlgorithmName(ok.algorithm)),
              "the algorithm is the header's alg");
  fuzz::Check(!ok.header.contains("crit"), "no crit header is accepted");
  if (auto kid = ok.header.find("kid"); kid != ok.header.end()) {
    fuzz::Check(kid->is_string() && *kid == ok.kid, "the key is the one the header names");
  }
  fuzz::Check(ok.kid.empty() || keys.contains(ok.kid), "the key is in the set");
  auto iss = ok.claims.find("iss");
  fuzz::Check(iss != ok.claims.end() && *iss == kIssuer, "a verified token has our issuer");
  auto aud = ok.claims.find("aud");
  fuzz::Check(aud != ok.claims.end(), "a verified token has an audience");
  const bool ours = aud->is_string()
                        ? *aud == kAudience
                        : aud->is_array() && std::find(aud->begin(), aud->end(), Json(kAudience)) !=
                                                 aud->end();
  fuzz::Check(ours, "a verified token is for our audience");
  auto exp = ok.claims.find("exp");
  fuzz::Check(exp != ok.claims.end() && exp->is_number(), "a verified token has a numeric exp");
  fuzz::Check(static_cast<double>(kNow) < exp->get<double>() + 60, "a verified token is not expired");
  auto sub = ok.claims.find("sub");
  fuzz::Check(sub != ok.claims.end() && sub->is_string(), "a verified token has a string sub");
}

void FuzzJwks(std::string_view text) {
  std::vector<std::string> skipped;
  auto parsed = api::Jwks::Parse(text, &skipped);
  for (const std::string& why : skipped) {
    fuzz::Check(Printable(why), "a skipped key is described in printable ASCII");
  }
  if (!parsed.ok()) {
    fuzz::Check(parsed.status().code() == StatusCode::kInvalidArgument,
                "a refused JWKS is INVALID_ARGUMENT");
    fuzz::Check(!parsed.status().message().empty(), "a refused JWKS says why");
    return;
  }
  const api::Jwks& keys = **parsed;
  fuzz::Check(keys.size() > 0, "a parsed set holds a key");
  const std::vector<std::string> kids = keys.kids();
  fuzz::Check(kids.size() == keys.size(), "one kid per key");
  std::set<std::string> seen;
  for (const std::string& kid : kids) {
    if (kid.empty()) continue;
    fuzz::Check(seen.insert(kid).second, "kids are unique");
    fuzz::Check(keys.contains(kid), "the set holds its own kids");
  }
  fuzz::Check(!keys.contains(""), "no key is found by an empty kid");
  const std::string& token = F().ed_token;
  CheckResult(api::VerifyJwt(token, keys, F().policy, kNow), token, keys);
}

void FuzzSigned(std::string_view text) {
  const auto [header, payload] = fuzz::SplitAtNul(text);
  std::optional<JwtAlgorithm> alg;
  if (std::optional<Json> h = fuzz::JsonOrNothing(header); h && h->is_object()) {
    if (auto a = h->find("alg"); a != h->end() && a->is_string()) {
      alg = api::ParseJwtAlgorithm(a->get_ref<const std::string&>());
    }
  }
  const JwtAlgorithm signing = alg.value_or(JwtAlgorithm::kEdDSA);
  const std::string token =
      Fixture::SignedToken(F().KeyFor(signing), signing, header, payload);
  const auto result = api::VerifyJwt(token, *F().set, F().policy, kNow);
  CheckResult(result, token, *F().set);
  if (const auto* ok = std::get_if<api::VerifiedJwt>(&result)) {
    // What the strict parser read is what the bounded one reads, when that
    // one accepts the text at all (it refuses deeper nesting).
    if (std::optional<Json> h = fuzz::JsonOrNothing(header)) {
      fuzz::Check(*h == ok->header, "the header is the text signed");
    }
    if (std::optional<Json> c = fuzz::JsonOrNothing(payload)) {
      fuzz::Check(*c == ok->claims, "the claims are the text signed");
    }
  }
}

void FuzzToken(std::string_view token) {
  CheckResult(api::VerifyJwt(token, *F().set, F().policy, kNow), token, *F().set);
  // base64url: canonical text round-trips, and so does any byte string.
  if (std::optional<std::string> bytes = api::Base64UrlDecode(token)) {
    fuzz::Check(api::Base64UrlEncode(*bytes) == token, "canonical base64url round-trips");
  }
  const std::optional<std::string> back = api::Base64UrlDecode(api::Base64UrlEncode(token));
  fuzz::Check(back && *back == token, "bytes round-trip through base64url");
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  F();  // RSA key generation takes a moment: not inside the first input
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = stepd::fuzz::AsText(data, size);
  if (!text.empty() && text[0] == '{') {
    FuzzJwks(text);
  } else if (!text.empty() && text[0] == '!') {
    FuzzSigned(text.substr(1));
  } else {
    FuzzToken(text);
  }
  ERR_clear_error();
  return 0;
}
