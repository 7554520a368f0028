#include "stepd/api/jwt.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/jwt_signer.h"

namespace stepd::api {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::HmacToken;
using testing::JwksText;
using ::testing::Not;
using testing::RawToken;
using testing::TestKey;
using testing::TestKeyType;

constexpr int64_t kNow = 1'800'000'000;
constexpr const char* kIssuer = "https://idp.example.com/realms/stepd";

// Keys are made once: RSA generation is slow under the sanitizers.
struct Keys {
  TestKey rsa = TestKey::Generate(TestKeyType::kRsa2048, "rsa");
  TestKey rsa3072 = TestKey::Generate(TestKeyType::kRsa3072, "rsa3072");
  TestKey ec256 = TestKey::Generate(TestKeyType::kEcP256, "ec256");
  TestKey ec384 = TestKey::Generate(TestKeyType::kEcP384, "ec384");
  TestKey ed = TestKey::Generate(TestKeyType::kEd25519, "ed");
  // Not in the set: an attacker's keys, one reusing a kid of ours.
  TestKey attacker = TestKey::Generate(TestKeyType::kRsa2048, "rsa");
  TestKey attacker_ec = TestKey::Generate(TestKeyType::kEcP256, "ec256");
  std::shared_ptr<const Jwks> set =
      ParseOrDie(JwksText({rsa.PublicJwk(), rsa3072.PublicJwk(), ec256.PublicJwk(),
                           ec384.PublicJwk(), ed.PublicJwk()}));

  static std::shared_ptr<const Jwks> ParseOrDie(const std::string& text) {
    auto parsed = Jwks::Parse(text);
    if (!parsed.ok()) {
      ADD_FAILURE() << parsed.status();
      std::abort();
    }
    return *parsed;
  }
};

const Keys& K() {
  static const Keys keys;
  return keys;
}

Json Claims() {
  return Json{
      {"iss", kIssuer}, {"sub", "ada"}, {"aud", "stepd"}, {"iat", kNow - 10}, {"exp", kNow + 600}};
}

JwtPolicy Policy() {
  JwtPolicy policy;
  policy.issuer = kIssuer;
  policy.audiences = {"stepd"};
  return policy;
}

// "ok", or the failure's name: exact and readable in a failed EXPECT_EQ.
std::string Outcome(std::string_view token, const JwtPolicy& policy = Policy(),
                    const Jwks& keys = *K().set, int64_t now = kNow) {
  auto result = VerifyJwt(token, keys, policy, now);
  if (auto* error = std::get_if<JwtError>(&result)) {
    return std::string(JwtFailureName(error->failure)) + ": " + error->reason;
  }
  return "ok";
}

// Only the failure's name.
std::string Failure(std::string_view token, const JwtPolicy& policy = Policy(),
                    const Jwks& keys = *K().set, int64_t now = kNow) {
  std::string outcome = Outcome(token, policy, keys, now);
  return outcome.substr(0, outcome.find(':'));
}

std::string Payload(const Json& claims) { return claims.dump(); }

// A correctly signed token over header and payload texts as given.
std::string SignRaw(const TestKey& key, JwtAlgorithm alg, std::string_view header_text,
                    std::string_view payload_text) {
  const std::string input = Base64UrlEncode(header_text) + "." + Base64UrlEncode(payload_text);
  return input + "." + Base64UrlEncode(key.Signature(alg, input));
}

std::vector<std::string> Split(const std::string& token) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t dot = token.find('.', start);
    parts.push_back(token.substr(start, dot - start));
    if (dot == std::string::npos) return parts;
    start = dot + 1;
  }
}

std::string Join(const std::vector<std::string>& parts) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) out += (i ? "." : "") + parts[i];
  return out;
}

const TestKey& KeyFor(JwtAlgorithm alg) {
  switch (alg) {
    case JwtAlgorithm::kES256:
      return K().ec256;
    case JwtAlgorithm::kES384:
      return K().ec384;
    case JwtAlgorithm::kEdDSA:
      return K().ed;
    default:
      return K().rsa;
  }
}

// --- algorithms and encodings -------------------------------------------

TEST(JwtAlgorithm, NamesRoundTripAndNothingElseParses) {
  for (JwtAlgorithm a : AllJwtAlgorithms()) {
    EXPECT_EQ(ParseJwtAlgorithm(JwtAlgorithmName(a)), a) << JwtAlgorithmName(a);
  }
  EXPECT_EQ(AllJwtAlgorithms().size(), 9u);
  for (const char* name : {"none", "None", "NONE", "HS256", "HS384", "HS512", "rs256", "Rs256",
                           "RS256 ", " RS256", "eddsa", "ES512", "ES256K", "RSA-OAEP", ""}) {
    EXPECT_EQ(ParseJwtAlgorithm(name), std::nullopt) << "'" << name << "'";
  }
}

TEST(JwtFailure, EveryFailureHasAName) {
  EXPECT_EQ(JwtFailureName(JwtFailure::kMalformed), "malformed");
  EXPECT_EQ(JwtFailureName(JwtFailure::kTooLarge), "too_large");
  EXPECT_EQ(JwtFailureName(JwtFailure::kAlgorithmNotAllowed), "algorithm_not_allowed");
  EXPECT_EQ(JwtFailureName(JwtFailure::kCriticalHeader), "critical_header");
  EXPECT_EQ(JwtFailureName(JwtFailure::kUnknownKey), "unknown_key");
  EXPECT_EQ(JwtFailureName(JwtFailure::kBadSignature), "bad_signature");
  EXPECT_EQ(JwtFailureName(JwtFailure::kExpired), "expired");
  EXPECT_EQ(JwtFailureName(JwtFailure::kNotYetValid), "not_yet_valid");
  EXPECT_EQ(JwtFailureName(JwtFailure::kIssuedInFuture), "issued_in_future");
  EXPECT_EQ(JwtFailureName(JwtFailure::kWrongIssuer), "wrong_issuer");
  EXPECT_EQ(JwtFailureName(JwtFailure::kWrongAudience), "wrong_audience");
  EXPECT_EQ(JwtFailureName(JwtFailure::kBadClaims), "bad_claims");
}

TEST(JwtBase64Url, RoundTripsEveryLength) {
  std::string bytes;
  for (int i = 0; i < 40; ++i) {
    const std::string text = Base64UrlEncode(bytes);
    EXPECT_EQ(text.find_first_of("=+/"), std::string::npos) << text;
    EXPECT_EQ(Base64UrlDecode(text), bytes) << text;
    bytes.push_back(static_cast<char>(0xf0 + i));  // high bytes give '-' and '_'
  }
  EXPECT_EQ(Base64UrlEncode("\xfb\xff"), "-_8");
}

TEST(JwtBase64Url, RejectsPaddingOtherAlphabetWhiteSpaceAndNonCanonicalText) {
  EXPECT_EQ(Base64UrlDecode("QQ"), "A");
  EXPECT_EQ(Base64UrlDecode("QUI"), "AB");
  EXPECT_EQ(Base64UrlDecode("QQ=="), std::nullopt);
  EXPECT_EQ(Base64UrlDecode("QUI="), std::nullopt);
  EXPECT_EQ(Base64UrlDecode("+/8"), std::nullopt);
  EXPECT_EQ(Base64UrlDecode("-_8"), "\xfb\xff");
  EXPECT_EQ(Base64UrlDecode("QU I"), std::nullopt);
  EXPECT_EQ(Base64UrlDecode("QUI\n"), std::nullopt);
  EXPECT_EQ(Base64UrlDecode("QUJDR"), std::nullopt);  // 4k+1 characters
  EXPECT_EQ(Base64UrlDecode("QR"), std::nullopt);     // "A" with a stray low bit
  EXPECT_EQ(Base64UrlDecode("QUJ"), std::nullopt);    // "AB" with a stray low bit
  EXPECT_EQ(Base64UrlDecode(""), "");
}

// --- the happy paths ------------------------------------------------------

class JwtEveryAlgorithm : public ::testing::TestWithParam<JwtAlgorithm> {};

TEST_P(JwtEveryAlgorithm, VerifiesATokenSignedWithIt) {
  const JwtAlgorithm alg = GetParam();
  const TestKey& key = KeyFor(alg);
  auto result = VerifyJwt(key.Sign(alg, Claims()), *K().set, Policy(), kNow);
  ASSERT_TRUE(std::holds_alternative<VerifiedJwt>(result)) << std::get<JwtError>(result).reason;
  const VerifiedJwt& jwt = std::get<VerifiedJwt>(result);
  EXPECT_EQ(jwt.algorithm, alg);
  EXPECT_EQ(jwt.kid, key.kid());
  EXPECT_EQ(jwt.claims, Claims());
  EXPECT_EQ(jwt.header.at("alg").get<std::string>(), JwtAlgorithmName(alg));
}

INSTANTIATE_TEST_SUITE_P(All, JwtEveryAlgorithm, ::testing::ValuesIn(AllJwtAlgorithms()),
                         [](const auto& info) {
                           return std::string(JwtAlgorithmName(info.param));
                         });

TEST(Jwt, VerifiesWithA3072BitRsaKey) {
  EXPECT_EQ(Outcome(K().rsa3072.Sign(JwtAlgorithm::kPS512, Claims())), "ok");
  EXPECT_EQ(Outcome(K().rsa3072.Sign(JwtAlgorithm::kRS256, Claims())), "ok");
}

TEST(Jwt, AcceptsATokenWithoutKidWhenExactlyOneKeyFitsItsAlgorithm) {
  const std::string token =
      SignRaw(K().ec384, JwtAlgorithm::kES384, R"({"alg":"ES384"})", Payload(Claims()));
  EXPECT_EQ(Outcome(token), "ok");
  // Two RSA keys fit RS256: which one is meant is not guessed.
  EXPECT_EQ(
      Outcome(SignRaw(K().rsa, JwtAlgorithm::kRS256, R"({"alg":"RS256"})", Payload(Claims()))),
      "unknown_key: no kid, and 2 keys fit RS256");
}

TEST(Jwt, IgnoresTypAndUnknownHeaders) {
  EXPECT_EQ(Outcome(K().ec256.Sign(JwtAlgorithm::kES256, Claims(),
                                   {{"typ", "at+jwt"}, {"cty", "x"}, {"x-custom", 1}})),
            "ok");
}

// --- algorithm attacks ----------------------------------------------------

TEST(Jwt, RefusesHmacSignedWithThePublicKeyAsSecret) {
  // The classic confusion: a verifier that trusts "alg" would HMAC with the
  // RSA public key's bytes, which the attacker knows.
  const Json header = {{"alg", "HS256"}, {"kid", "rsa"}, {"typ", "JWT"}};
  EXPECT_EQ(Outcome(HmacToken(header, Claims(), K().rsa.PublicKeyPem())),
            "algorithm_not_allowed: alg 'HS256'");
  EXPECT_EQ(Failure(HmacToken(header, Claims(), K().rsa.PublicJwk().dump())),
            "algorithm_not_allowed");
  EXPECT_EQ(Failure(HmacToken({{"alg", "HS512"}}, Claims(), K().rsa.PublicKeyPem())),
            "algorithm_not_allowed");
}

TEST(Jwt, RefusesAlgNoneWithAndWithoutASignature) {
  const std::string unsigned_token =
      Base64UrlEncode(R"({"alg":"none"})") + "." + Base64UrlEncode(Payload(Claims())) + ".";
  EXPECT_EQ(Outcome(unsigned_token), "malformed: empty segment");
  EXPECT_EQ(Failure(RawToken(R"({"alg":"none"})", Payload(Claims()), "x")),
            "algorithm_not_allowed");
  // Signed for real, but announced as "none".
  EXPECT_EQ(Failure(K().rsa.Sign(JwtAlgorithm::kRS256, Claims(), {{"alg", "none"}})),
            "algorithm_not_allowed");
}

TEST(Jwt, ComparesAlgCaseSensitively) {
  for (const char* alg :
       {"rs256", "Rs256", "rS256", "RS256 ", "None", "NONE", "nOnE", "hs256", ""}) {
    EXPECT_EQ(Failure(K().rsa.Sign(JwtAlgorithm::kRS256, Claims(), {{"alg", alg}})),
              "algorithm_not_allowed")
        << "'" << alg << "'";
  }
}

TEST(Jwt, RequiresAlgToBeAString) {
  EXPECT_EQ(Failure(RawToken(R"({"kid":"rsa"})", Payload(Claims()), "x")), "malformed");
  EXPECT_EQ(Failure(RawToken(R"({"alg":["RS256"]})", Payload(Claims()), "x")), "malformed");
  EXPECT_EQ(Failure(RawToken(R"({"alg":null})", Payload(Claims()), "x")), "malformed");
}

TEST(Jwt, EnforcesThePolicysAllowList) {
  JwtPolicy policy = Policy();
  policy.algorithms = {JwtAlgorithm::kES256};
  EXPECT_EQ(Outcome(K().rsa.Sign(JwtAlgorithm::kRS256, Claims()), policy),
            "algorithm_not_allowed: alg 'RS256'");
  EXPECT_EQ(Outcome(K().ec256.Sign(JwtAlgorithm::kES256, Claims()), policy), "ok");
}

TEST(Jwt, RefusesAKeyOfAnotherFamilyOrCurveThanTheAlg) {
  // ES384 announced with the kid of a P-256 key (signed with P-384 elsewhere).
  EXPECT_EQ(Outcome(K().ec384.Sign(JwtAlgorithm::kES384, Claims(), {{"kid", "ec256"}})),
            "algorithm_not_allowed: kid 'ec256' cannot verify ES384");
  EXPECT_EQ(Failure(K().ec256.Sign(JwtAlgorithm::kES256, Claims(), {{"kid", "ec384"}})),
            "algorithm_not_allowed");
  EXPECT_EQ(Failure(K().rsa.Sign(JwtAlgorithm::kRS256, Claims(), {{"kid", "ec256"}})),
            "algorithm_not_allowed");
  EXPECT_EQ(Failure(K().ed.Sign(JwtAlgorithm::kEdDSA, Claims(), {{"kid", "rsa"}})),
            "algorithm_not_allowed");
  EXPECT_EQ(Failure(K().ec256.Sign(JwtAlgorithm::kES256, Claims(), {{"kid", "ed"}})),
            "algorithm_not_allowed");
}

TEST(Jwt, RefusesAnAlgOtherThanTheJwksOwn) {
  Json jwk = K().rsa.PublicJwk();
  jwk["alg"] = "PS256";
  auto set = Jwks::Parse(JwksText({jwk}));
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(Outcome(K().rsa.Sign(JwtAlgorithm::kRS256, Claims()), Policy(), **set),
            "algorithm_not_allowed: kid 'rsa' cannot verify RS256");
  EXPECT_EQ(Outcome(K().rsa.Sign(JwtAlgorithm::kPS256, Claims()), Policy(), **set), "ok");
}

// --- signatures ---------------------------------------------------------

TEST(Jwt, RefusesAForgedSignatureOrATamperedPayload) {
  for (JwtAlgorithm alg : AllJwtAlgorithms()) {
    std::vector<std::string> parts = Split(KeyFor(alg).Sign(alg, Claims()));
    std::string signature = *Base64UrlDecode(parts[2]);
    signature[signature.size() / 2] ^= 0x01;
    EXPECT_EQ(Failure(Join({parts[0], parts[1], Base64UrlEncode(signature)})), "bad_signature")
        << JwtAlgorithmName(alg);

    Json claims = Claims();
    claims["sub"] = "root";
    EXPECT_EQ(Failure(Join({parts[0], Base64UrlEncode(claims.dump()), parts[2]})), "bad_signature")
        << JwtAlgorithmName(alg);
  }
}

TEST(Jwt, RefusesATokenSignedWithAForeignKeyUnderAKnownKid) {
  EXPECT_EQ(Outcome(K().attacker.Sign(JwtAlgorithm::kRS256, Claims())),
            "bad_signature: RS256 signature, kid 'rsa'");
  EXPECT_EQ(Failure(K().attacker_ec.Sign(JwtAlgorithm::kES256, Claims())), "bad_signature");
}

TEST(Jwt, IgnoresKeysTheHeaderSupplies) {
  const TestKey& attacker = K().attacker;
  const Json attacker_jwk = attacker.PublicJwk();
  const Json headers[] = {
      {{"jwk", attacker_jwk}},
      {{"jku", "https://attacker.example/jwks.json"}},
      {{"x5u", "https://attacker.example/cert.pem"}},
      {{"x5c", Json::array({Base64UrlEncode("not a certificate")})}},
  };
  for (const Json& header : headers) {
    // Under our kid: our key is used, and the signature fails.
    EXPECT_EQ(Failure(attacker.Sign(JwtAlgorithm::kRS256, Claims(), header)), "bad_signature")
        << header.dump();
    // Under a kid of its own: no such key in the set.
    Json own_kid = header;
    own_kid["kid"] = "attacker";
    EXPECT_EQ(Failure(attacker.Sign(JwtAlgorithm::kRS256, Claims(), own_kid)), "unknown_key")
        << header.dump();
  }
  // No kid: the one ES256 key of the set is used, not the embedded one.
  const TestKey& attacker_ec = K().attacker_ec;
  Json header = {{"alg", "ES256"}, {"jwk", attacker_ec.PublicJwk()}};
  EXPECT_EQ(Failure(SignRaw(attacker_ec, JwtAlgorithm::kES256, header.dump(), Payload(Claims()))),
            "bad_signature");
}

TEST(Jwt, RefusesAnEcdsaSignatureInDerForm) {
  const std::string input = Base64UrlEncode(R"({"alg":"ES256","kid":"ec256"})") + "." +
                            Base64UrlEncode(Payload(Claims()));
  const std::string der = K().ec256.Signature(JwtAlgorithm::kES256, input, /*ecdsa_der=*/true);
  ASSERT_NE(der.size(), 64u);  // DER is 70-72 bytes: never 64
  EXPECT_EQ(Failure(input + "." + Base64UrlEncode(der)), "bad_signature");
  // The raw form of the same key and input verifies.
  EXPECT_EQ(
      Outcome(input + "." + Base64UrlEncode(K().ec256.Signature(JwtAlgorithm::kES256, input))),
      "ok");
}

TEST(Jwt, RefusesEcdsaSignaturesOfTheWrongLength) {
  for (JwtAlgorithm alg : {JwtAlgorithm::kES256, JwtAlgorithm::kES384}) {
    std::vector<std::string> parts = Split(KeyFor(alg).Sign(alg, Claims()));
    const std::string raw = *Base64UrlDecode(parts[2]);
    ASSERT_EQ(raw.size(), alg == JwtAlgorithm::kES256 ? 64u : 96u);
    for (const std::string& wrong :
         {raw.substr(0, raw.size() - 1), raw + '\0', std::string(1, '\0') + raw, raw + raw}) {
      EXPECT_EQ(Failure(Join({parts[0], parts[1], Base64UrlEncode(wrong)})), "bad_signature")
          << JwtAlgorithmName(alg) << " " << wrong.size();
    }
  }
}

TEST(Jwt, RefusesAnRsaSignatureMadeWithAnotherPadding) {
  // RS256 and PS256 share the key; each signature verifies only as itself.
  const std::string input =
      Base64UrlEncode(R"({"alg":"PS256","kid":"rsa"})") + "." + Base64UrlEncode(Payload(Claims()));
  const std::string pkcs1 = K().rsa.Signature(JwtAlgorithm::kRS256, input);
  EXPECT_EQ(Failure(input + "." + Base64UrlEncode(pkcs1)), "bad_signature");
}

TEST(Jwt, FailureReasonsNeverHoldTheTokenOrItsSignature) {
  std::vector<std::string> parts = Split(K().attacker.Sign(JwtAlgorithm::kRS256, Claims()));
  const std::string outcome = Outcome(Join(parts));
  EXPECT_THAT(outcome, HasSubstr("bad_signature"));
  for (const std::string& part : parts) {
    EXPECT_THAT(outcome, Not(HasSubstr(part.substr(0, 12))));
  }
}

// --- kid -----------------------------------------------------------------

TEST(Jwt, AnUnknownKidIsUnknownKey) {
  EXPECT_EQ(Outcome(K().rsa.Sign(JwtAlgorithm::kRS256, Claims(), {{"kid", "next-key"}})),
            "unknown_key: kid 'next-key'");
  // A kid that is no string, or empty, is malformed rather than unknown.
  EXPECT_EQ(Failure(K().rsa.Sign(JwtAlgorithm::kRS256, Claims(), {{"kid", 7}})), "malformed");
  EXPECT_EQ(Failure(K().rsa.Sign(JwtAlgorithm::kRS256, Claims(), {{"kid", ""}})), "malformed");
}

TEST(Jwt, NamesAHostileKidPrintablyAndShortly) {
  const std::string kid = "a\nb'" + std::string(200, 'x');
  const std::string outcome = Outcome(K().rsa.Sign(JwtAlgorithm::kRS256, Claims(), {{"kid", kid}}));
  EXPECT_EQ(outcome, "unknown_key: kid 'a?b?" + std::string(60, 'x') + "...'");
}

// --- shape ----------------------------------------------------------------

TEST(Jwt, RequiresExactlyThreeNonEmptySegments) {
  const std::vector<std::string> p = Split(K().rsa.Sign(JwtAlgorithm::kRS256, Claims()));
  EXPECT_EQ(Outcome(p[0] + "." + p[1]), "malformed: not three segments");
  EXPECT_EQ(Outcome(Join({p[0], p[1], p[2], p[2]})), "malformed: not three segments");
  EXPECT_EQ(Outcome(Join({p[0], p[1], p[2], p[0], p[1]})), "malformed: not three segments");
  EXPECT_EQ(Outcome(Join({p[0], p[1], p[2], ""})), "malformed: not three segments");
  EXPECT_EQ(Outcome(p[0]), "malformed: not three segments");
  EXPECT_EQ(Outcome(""), "malformed: not three segments");
  EXPECT_EQ(Outcome(".."), "malformed: empty segment");
  EXPECT_EQ(Outcome(Join({"", p[1], p[2]})), "malformed: empty segment");
  EXPECT_EQ(Outcome(Join({p[0], "", p[2]})), "malformed: empty segment");
  EXPECT_EQ(Outcome(Join({p[0], p[1], ""})), "malformed: empty segment");
}

// Changes the last character of an unpadded segment so that its unused low
// bits are no longer zero: it decodes to the same bytes in a lax decoder.
std::string NonCanonical(std::string segment) {
  static const std::string kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  EXPECT_NE(segment.size() % 4, 0u);
  segment.back() = kAlphabet[kAlphabet.find(segment.back()) + 1];
  return segment;
}

TEST(Jwt, RequiresCanonicalUnpaddedBase64UrlInEverySegment) {
  // A header and payload whose encodings end mid-group, to make room for
  // padding and stray bits; RS256 2048-bit signatures end mid-group too.
  std::string header = R"({"alg":"RS256","kid":"rsa"})";
  std::string payload = Payload(Claims());
  while (header.size() % 3 == 0) header += ' ';
  while (payload.size() % 3 == 0) payload += ' ';
  const std::string token = SignRaw(K().rsa, JwtAlgorithm::kRS256, header, payload);
  std::vector<std::string> p = Split(token);
  ASSERT_EQ(Outcome(token), "ok");
  for (int i = 0; i < 3; ++i) {
    ASSERT_NE(p[i].size() % 4, 0u) << i;
    auto with = [&](std::string segment) {
      std::vector<std::string> q = p;
      q[i] = std::move(segment);
      return Outcome(Join(q));
    };
    const std::string padded = p[i] + std::string(4 - p[i].size() % 4, '=');
    EXPECT_EQ(with(padded), "malformed: a segment is not canonical base64url") << i;
    EXPECT_EQ(with(NonCanonical(p[i])), "malformed: a segment is not canonical base64url") << i;
    EXPECT_EQ(with(p[i].substr(0, 4) + " " + p[i].substr(4)),
              "malformed: a segment is not canonical base64url")
        << i;
    EXPECT_EQ(with(p[i] + "\n"), "malformed: a segment is not canonical base64url") << i;
    std::string standard_alphabet = p[i];
    standard_alphabet[1] = '+';
    EXPECT_EQ(with(standard_alphabet), "malformed: a segment is not canonical base64url") << i;
    standard_alphabet[1] = '/';
    EXPECT_EQ(with(standard_alphabet), "malformed: a segment is not canonical base64url") << i;
  }
}

TEST(Jwt, RequiresHeaderAndPayloadToBeJsonObjects) {
  const std::string payload = Payload(Claims());
  for (const char* header : {"not json", "[]", R"("RS256")", "1", "null", R"({"alg":"RS256")"}) {
    EXPECT_EQ(Outcome(RawToken(header, payload, "sig")), "malformed: header is not a JSON object")
        << header;
  }
  for (const char* bad_payload : {"not json", "[]", R"("ada")", "{", "{} {}"}) {
    EXPECT_EQ(Outcome(SignRaw(K().rsa, JwtAlgorithm::kRS256, R"({"alg":"RS256","kid":"rsa"})",
                              bad_payload)),
              "malformed: payload is not a JSON object")
        << bad_payload;
  }
  // Invalid UTF-8 is not JSON.
  EXPECT_EQ(Failure(RawToken("{\"alg\":\"RS256\",\"x\":\"\xff\"}", payload, "sig")), "malformed");
}

TEST(Jwt, RefusesDuplicateMembersEvenWhenSigned) {
  const std::string payload = Payload(Claims());
  // Parsers disagree on which duplicate wins: a signed token that means
  // "RS256" to us could mean "none" to another.
  EXPECT_EQ(Outcome(SignRaw(K().rsa, JwtAlgorithm::kRS256,
                            R"({"alg":"none","alg":"RS256","kid":"rsa"})", payload)),
            "malformed: header is not a JSON object");
  EXPECT_EQ(Failure(SignRaw(K().rsa, JwtAlgorithm::kRS256,
                            R"({"alg":"RS256","kid":"other","kid":"rsa"})", payload)),
            "malformed");
  EXPECT_EQ(Failure(SignRaw(K().rsa, JwtAlgorithm::kRS256,
                            R"({"alg":"RS256","kid":"rsa","crit":[],"crit":[]})", payload)),
            "malformed");
  EXPECT_EQ(Outcome(SignRaw(K().rsa, JwtAlgorithm::kRS256, R"({"alg":"RS256","kid":"rsa"})",
                            R"({"sub":"ada","sub":"root","exp":1900000000})")),
            "malformed: payload is not a JSON object");
  // Nested objects too; the same name in sibling objects is fine.
  EXPECT_EQ(Failure(SignRaw(K().rsa, JwtAlgorithm::kRS256, R"({"alg":"RS256","kid":"rsa"})",
                            R"({"sub":"ada","x":{"a":1,"a":2}})")),
            "malformed");
  Json claims = Claims();
  claims["x"] = {{"a", 1}};
  claims["y"] = Json::array({Json{{"a", 1}}, Json{{"a", 2}}});
  EXPECT_EQ(Outcome(K().rsa.Sign(JwtAlgorithm::kRS256, claims)), "ok");
}

TEST(Jwt, RefusesHeadersAndPayloadsNestedPastTheJsonLimitOrWithNumbersBeyondADouble) {
  auto nested = [](int levels) {
    return std::string(levels, '[') + std::string(levels, ']');
  };
  const std::string payload = Payload(Claims());
  EXPECT_EQ(Outcome(SignRaw(K().rsa, JwtAlgorithm::kRS256,
                            R"({"alg":"RS256","kid":"rsa","x":)" + nested(600) + "}", payload)),
            "malformed: header is not a JSON object");
  EXPECT_EQ(Outcome(SignRaw(K().rsa, JwtAlgorithm::kRS256,
                            R"({"alg":"RS256","kid":"rsa","x":)" + nested(500) + "}", payload)),
            "ok");
  Json claims = Claims();
  std::string text = claims.dump();
  text.insert(1, R"("deep":)" + nested(600) + ",");
  EXPECT_EQ(Outcome(SignRaw(K().rsa, JwtAlgorithm::kRS256, R"({"alg":"RS256","kid":"rsa"})", text)),
            "malformed: payload is not a JSON object");
  text = claims.dump();
  text.insert(1, R"("big":1e400,)");
  EXPECT_EQ(Outcome(SignRaw(K().rsa, JwtAlgorithm::kRS256, R"({"alg":"RS256","kid":"rsa"})", text)),
            "malformed: payload is not a JSON object");
}

TEST(Jwt, ChecksTheSizeBeforeDecodingAnything) {
  JwtPolicy policy = Policy();
  const std::string token = K().ec256.Sign(JwtAlgorithm::kES256, Claims());
  policy.max_token_bytes = token.size();
  EXPECT_EQ(Outcome(token, policy), "ok");
  policy.max_token_bytes = token.size() - 1;
  EXPECT_EQ(Outcome(token, policy), "too_large: " + std::to_string(token.size()) + " bytes");
  // The default: 16 KiB; junk beyond it is too large, not malformed.
  EXPECT_EQ(Failure(std::string(16 * 1024 + 1, '.')), "too_large");
  EXPECT_EQ(Failure(std::string(16 * 1024, '.')), "malformed");
}

TEST(Jwt, RefusesAnyCritHeader) {
  for (const Json& header : {Json{{"crit", Json::array({"exp"})}, {"exp", kNow}},
                             Json{{"b64", false}, {"crit", Json::array({"b64"})}},
                             Json{{"crit", Json::array()}}, Json{{"crit", nullptr}}}) {
    EXPECT_EQ(Outcome(K().rsa.Sign(JwtAlgorithm::kRS256, Claims(), header)),
              "critical_header: crit header")
        << header.dump();
  }
}

// --- claims ---------------------------------------------------------------

TEST(Jwt, RequiresTheIssuerExactly) {
  Json claims = Claims();
  claims["iss"] = "https://evil.example.com/realms/stepd";
  EXPECT_EQ(Outcome(K().ed.Sign(JwtAlgorithm::kEdDSA, claims)),
            "wrong_issuer: iss 'https://evil.example.com/realms/stepd'");
  claims["iss"] = std::string(kIssuer) + "/";
  EXPECT_EQ(Failure(K().ed.Sign(JwtAlgorithm::kEdDSA, claims)), "wrong_issuer");
  claims["iss"] = Json::array({kIssuer});
  EXPECT_EQ(Failure(K().ed.Sign(JwtAlgorithm::kEdDSA, claims)), "wrong_issuer");
  claims.erase("iss");
  EXPECT_EQ(Failure(K().ed.Sign(JwtAlgorithm::kEdDSA, claims)), "wrong_issuer");
  // A policy without an issuer matches nothing.
  JwtPolicy policy = Policy();
  policy.issuer = "";
  claims["iss"] = "";
  EXPECT_EQ(Failure(K().ed.Sign(JwtAlgorithm::kEdDSA, claims), policy), "wrong_issuer");
}

TEST(Jwt, RequiresOneOfOurAudiences) {
  const TestKey& key = K().ec256;
  auto with_aud = [&](Json aud) {
    Json claims = Claims();
    claims["aud"] = std::move(aud);
    return Outcome(key.Sign(JwtAlgorithm::kES256, claims));
  };
  EXPECT_EQ(with_aud("stepd"), "ok");
  EXPECT_EQ(with_aud(Json::array({"other", "stepd"})), "ok");
  EXPECT_EQ(with_aud("other"), "wrong_audience: aud holds none of ours");
  EXPECT_EQ(with_aud("Stepd"), "wrong_audience: aud holds none of ours");
  EXPECT_EQ(with_aud(Json::array({"other", "another"})), "wrong_audience: aud holds none of ours");
  EXPECT_EQ(with_aud(Json::array()), "wrong_audience: aud holds none of ours");
  Json no_aud = Claims();
  no_aud.erase("aud");
  EXPECT_EQ(Outcome(key.Sign(JwtAlgorithm::kES256, no_aud)), "wrong_audience: aud is missing");
  EXPECT_EQ(with_aud(7), "bad_claims: aud is neither a string nor an array");
  EXPECT_EQ(with_aud(Json{{"stepd", true}}), "bad_claims: aud is neither a string nor an array");
  EXPECT_EQ(with_aud(Json::array({"stepd", 7})), "bad_claims: aud holds a non-string");

  JwtPolicy any_audience = Policy();
  any_audience.audiences.clear();
  Json claims = Claims();
  claims["aud"] = 7;
  EXPECT_EQ(Outcome(key.Sign(JwtAlgorithm::kES256, claims), any_audience), "ok");
  claims.erase("aud");
  EXPECT_EQ(Outcome(key.Sign(JwtAlgorithm::kES256, claims), any_audience), "ok");

  JwtPolicy two = Policy();
  two.audiences = {"a", "b"};
  claims["aud"] = Json::array({"c", "b"});
  EXPECT_EQ(Outcome(key.Sign(JwtAlgorithm::kES256, claims), two), "ok");
}

class JwtTimes : public ::testing::Test {
 protected:
  std::string With(const char* claim, Json value, int64_t now = kNow) {
    Json claims = Claims();
    claims[claim] = std::move(value);
    return Outcome(K().ec256.Sign(JwtAlgorithm::kES256, claims), Policy(), *K().set, now);
  }
};

TEST_F(JwtTimes, ExpiresAtExpPlusTheSkew) {
  EXPECT_EQ(With("exp", kNow + 1), "ok");
  EXPECT_EQ(With("exp", kNow - 59), "ok");
  EXPECT_EQ(With("exp", kNow - 60), "expired: expired");
  EXPECT_EQ(With("exp", kNow - 3600), "expired: expired");
  EXPECT_EQ(With("exp", kNow - 59.5), "ok");
  EXPECT_EQ(With("exp", kNow - 60.5), "expired: expired");
}

TEST_F(JwtTimes, IsNotValidBeforeNbfMinusTheSkew) {
  EXPECT_EQ(With("nbf", kNow + 60), "ok");
  EXPECT_EQ(With("nbf", kNow + 61), "not_yet_valid: nbf is in the future");
  EXPECT_EQ(With("nbf", kNow + 60.5), "not_yet_valid: nbf is in the future");
  EXPECT_EQ(With("nbf", kNow - 1000), "ok");
}

TEST_F(JwtTimes, RefusesIatBeyondTheSkewInTheFuture) {
  EXPECT_EQ(With("iat", kNow + 60), "ok");
  EXPECT_EQ(With("iat", kNow + 61), "issued_in_future: iat is in the future");
  EXPECT_EQ(With("iat", 0), "ok");
}

TEST_F(JwtTimes, HonoursTheConfiguredSkew) {
  JwtPolicy policy = Policy();
  policy.clock_skew = std::chrono::seconds(0);
  Json claims = Claims();
  claims["exp"] = kNow;
  EXPECT_EQ(Failure(K().ec256.Sign(JwtAlgorithm::kES256, claims), policy), "expired");
  claims["exp"] = kNow + 1;
  EXPECT_EQ(Outcome(K().ec256.Sign(JwtAlgorithm::kES256, claims), policy), "ok");
}

TEST_F(JwtTimes, RequiresNumbers) {
  EXPECT_EQ(With("exp", std::to_string(kNow + 600)), "bad_claims: exp is not a number");
  EXPECT_EQ(With("exp", true), "bad_claims: exp is not a number");
  EXPECT_EQ(With("exp", nullptr), "bad_claims: exp is not a number");
  EXPECT_EQ(With("nbf", "0"), "bad_claims: nbf is not a number");
  EXPECT_EQ(With("iat", Json::array({kNow})), "bad_claims: iat is not a number");
}

TEST(Jwt, RequiresExpAndTheRequiredClaims) {
  Json claims = Claims();
  claims.erase("exp");
  EXPECT_EQ(Outcome(K().ec256.Sign(JwtAlgorithm::kES256, claims)), "bad_claims: exp is missing");
  JwtPolicy no_required = Policy();
  no_required.required_claims.clear();
  EXPECT_EQ(Failure(K().ec256.Sign(JwtAlgorithm::kES256, claims), no_required), "bad_claims");

  claims = Claims();
  claims.erase("sub");
  EXPECT_EQ(Outcome(K().ec256.Sign(JwtAlgorithm::kES256, claims)), "bad_claims: 'sub' is missing");
  EXPECT_EQ(Outcome(K().ec256.Sign(JwtAlgorithm::kES256, claims), no_required), "ok");

  JwtPolicy email = Policy();
  email.required_claims = {"sub", "email"};
  EXPECT_EQ(Outcome(K().ec256.Sign(JwtAlgorithm::kES256, Claims()), email),
            "bad_claims: 'email' is missing");
  claims = Claims();
  claims["email"] = "ada@example.com";
  EXPECT_EQ(Outcome(K().ec256.Sign(JwtAlgorithm::kES256, claims), email), "ok");
}

TEST(Jwt, RequiresSubToBeAString) {
  JwtPolicy no_required = Policy();
  no_required.required_claims.clear();
  for (const Json& sub : {Json(42), Json(nullptr), Json::array({"ada"}), Json{{"id", "ada"}}}) {
    Json claims = Claims();
    claims["sub"] = sub;
    EXPECT_EQ(Outcome(K().ec256.Sign(JwtAlgorithm::kES256, claims), no_required),
              "bad_claims: sub is not a string")
        << sub.dump();
  }
}

TEST(Jwt, ChecksClaimsOnlyAfterTheSignature) {
  Json claims = Claims();
  claims["iss"] = "https://evil.example.com";
  claims["exp"] = kNow - 3600;
  EXPECT_EQ(Failure(K().attacker.Sign(JwtAlgorithm::kRS256, claims)), "bad_signature");
}

// --- key sets -------------------------------------------------------------

std::string ParseError(const std::string& text) {
  auto parsed = Jwks::Parse(text);
  return parsed.ok() ? "ok" : parsed.status().ToString();
}

TEST(Jwks, HoldsEveryUsableKeyInOrder) {
  EXPECT_EQ(K().set->size(), 5u);
  EXPECT_THAT(K().set->kids(), ElementsAre("rsa", "rsa3072", "ec256", "ec384", "ed"));
  EXPECT_TRUE(K().set->contains("ec384"));
  EXPECT_FALSE(K().set->contains("nope"));
  EXPECT_FALSE(K().set->contains(""));
}

TEST(Jwks, SkipsWhatItCannotUseAndSaysWhy) {
  static const TestKey small = TestKey::Generate(TestKeyType::kRsa1024, "small");
  Json not_on_curve = K().ec256.PublicJwk();
  not_on_curve["kid"] = "bent";
  std::string y = *Base64UrlDecode(not_on_curve["y"].get<std::string>());
  y[31] ^= 0x01;
  not_on_curve["y"] = Base64UrlEncode(y);
  Json short_x = K().ec256.PublicJwk();
  short_x["kid"] = "short";
  short_x["x"] = Base64UrlEncode(Base64UrlDecode(short_x["x"].get<std::string>())->substr(1));
  Json encryption = K().rsa3072.PublicJwk();
  encryption["use"] = "enc";
  Json wrap_only = K().rsa3072.PublicJwk();
  wrap_only["kid"] = "wrap";
  wrap_only["key_ops"] = Json::array({"wrapKey"});
  Json ed448 = {{"kty", "OKP"}, {"crv", "Ed448"}, {"x", "AAAA"}, {"kid", "ed448"}};
  Json x25519 = K().ed.PublicJwk();
  x25519["crv"] = "X25519";
  Json p521 = K().ec256.PublicJwk();
  p521["crv"] = "P-521";
  Json hmac_alg = K().rsa3072.PublicJwk();
  hmac_alg["kid"] = "hs";
  hmac_alg["alg"] = "HS256";
  Json misfit_alg = K().rsa3072.PublicJwk();
  misfit_alg["kid"] = "misfit";
  misfit_alg["alg"] = "ES256";
  Json numeric_kid = K().ed.PublicJwk();
  numeric_kid["kid"] = 5;
  Json padded = K().rsa3072.PublicJwk();
  padded["kid"] = "padded";
  padded["e"] = "AQAB=";
  Json even_exponent = K().rsa3072.PublicJwk();
  even_exponent["kid"] = "even";
  even_exponent["e"] = Base64UrlEncode(std::string("\x01\x00\x00", 3));  // 65536

  std::vector<std::string> skipped;
  auto set =
      Jwks::Parse(JwksText({small.PublicJwk(), not_on_curve, short_x, encryption, wrap_only, ed448,
                            x25519, p521, hmac_alg, misfit_alg, numeric_kid, padded, even_exponent,
                            Json("text"), Json{{"kty", "oct"}}, K().rsa.PublicJwk()}),
                  &skipped);
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_THAT((*set)->kids(), ElementsAre("rsa"));
  const std::vector<std::string> expected = {
      "key 0 (kid 'small'): RSA modulus of 1024 bits is under 2048",
      "key 1 (kid 'bent'): EC point is not on the curve",
      "key 2 (kid 'short'): EC coordinates are not of the curve's size",
      "key 3 (kid 'rsa3072'): use is not \"sig\"",
      "key 4 (kid 'wrap'): key_ops lacks \"verify\"",
      "key 5 (kid 'ed448'): OKP curve 'Ed448' is not supported",
      "key 6 (kid 'ed'): OKP curve 'X25519' is not supported",
      "key 7 (kid 'ec256'): EC curve 'P-521' is not supported",
      "key 8 (kid 'hs'): alg is not a supported signature algorithm",
      "key 9 (kid 'misfit'): alg 'ES256' does not fit the key",
      "key 10: kid is not a string",
      "key 11 (kid 'padded'): RSA key without base64url n and e",
      "key 12 (kid 'even'): RSA public exponent is not an odd number of 2 to "
      "32 bits",
      "key 13: not a JSON object",
      "key 14: kty 'oct' is not supported"};
  EXPECT_EQ(skipped, expected);
}

TEST(Jwks, ATokenOfASkippedKeyIsUnknown) {
  static const TestKey small = TestKey::Generate(TestKeyType::kRsa1024, "small");
  auto set = Jwks::Parse(JwksText({small.PublicJwk(), K().ec256.PublicJwk()}));
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(Outcome(small.Sign(JwtAlgorithm::kRS256, Claims()), Policy(), **set),
            "unknown_key: kid 'small'");
}

TEST(Jwks, RefusesPrivateAndSymmetricKeys) {
  for (const char* member : {"d", "p", "q", "dp", "dq", "qi", "oth"}) {
    Json jwk = K().rsa.PublicJwk();
    jwk[member] = "AQAB";
    EXPECT_EQ(ParseError(JwksText({K().ec256.PublicJwk(), jwk})),
              std::string("INVALID_ARGUMENT: key 1 holds private or secret key material (\"") +
                  member + "\"): a JWKS must hold public keys only");
  }
  Json ec_private = K().ec256.PublicJwk();
  ec_private["d"] = "AQAB";
  EXPECT_THAT(ParseError(JwksText({ec_private})), HasSubstr("private or secret key material"));
  const Json oct = {{"kty", "oct"}, {"k", "c2VjcmV0"}, {"kid", "hmac"}};
  EXPECT_THAT(ParseError(JwksText({K().rsa.PublicJwk(), oct})), HasSubstr("(\"k\")"));
}

TEST(Jwks, RefusesDuplicateKids) {
  Json again = K().ec256.PublicJwk();
  again["kid"] = "rsa";
  EXPECT_EQ(ParseError(JwksText({K().rsa.PublicJwk(), again})),
            "INVALID_ARGUMENT: key 1: kid 'rsa' appears twice");
  // Keys without kid may be several.
  Json a = K().ec256.PublicJwk();
  a.erase("kid");
  Json b = K().rsa.PublicJwk();
  b.erase("kid");
  EXPECT_EQ(ParseError(JwksText({a, b})), "ok");
}

TEST(Jwks, RefusesASetWithoutUsableKeysOrNotShapedLikeOne) {
  EXPECT_EQ(ParseError(JwksText({})), "INVALID_ARGUMENT: the JWKS holds no usable signing key");
  Json encryption = K().rsa.PublicJwk();
  encryption["use"] = "enc";
  EXPECT_EQ(ParseError(JwksText({encryption})),
            "INVALID_ARGUMENT: the JWKS holds no usable signing key");
  for (const char* text : {"[]", "{}", R"({"keys":{}})", R"({"keys":"x"})"}) {
    EXPECT_EQ(ParseError(text), "INVALID_ARGUMENT: a JWKS is a JSON object with a \"keys\" array")
        << text;
  }
  EXPECT_THAT(ParseError("<html>"), HasSubstr("INVALID_ARGUMENT: invalid JSON"));
}

}  // namespace
}  // namespace stepd::api
