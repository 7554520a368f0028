#include "stepd/api/auth.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <random>

#include "stepd/api/key_set.h"
#include "stepd/api/sigv4.h"
#include "stepd/base/crypto.h"
#include "support/jwt_signer.h"

namespace stepd::api {
namespace {

// botocore 1.43's signature of ListStateMachines with the AWS test-suite key
// at 2026-03-01T12:00:00Z (how it was made: tests/api/sigv4_test.cc).
constexpr char kBotocoreAuthorization[] =
    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260301/us-east-1/states/aws4_request, "
    "SignedHeaders=content-type;host;x-amz-date;x-amz-target, "
    "Signature=2ce0e9474f8c9792ce5984f456d62f3e56dde204dd9cc718091d46e7bff1e1b9";
constexpr char kBotocoreSecret[] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

TimePoint SignedAt() { return std::chrono::system_clock::from_time_t(1772366400); }

http::Request ListRequest(std::optional<std::string> authorization) {
  http::Request request = http::MakeRequest("POST", "/", "{}",
                                            {{"Host", "localhost:8083"},
                                             {"X-Amz-Target", "AWSStepFunctions.ListStateMachines"},
                                             {"Content-Type", "application/x-amz-json-1.0"},
                                             {"X-Amz-Date", "20260301T120000Z"}});
  if (authorization) request.headers.Set("Authorization", *authorization);
  return request;
}

// Signs `request` (its X-Amz-Date, Host) with the code under test.
void Sign(http::Request* request, const std::string& key_id, const std::string& secret) {
  SigV4Authorization auth{key_id, "20260301", "us-east-1", "states", {"host", "x-amz-date"}, ""};
  auth.signature = SigV4Signature(
      secret, auth, "20260301T120000Z",
      SigV4CanonicalRequest(*request, auth.signed_headers, Sha256Hex(request->body)));
  request->headers.Set("Authorization", "AWS4-HMAC-SHA256 Credential=" + key_id +
                                            "/20260301/us-east-1/states/aws4_request, "
                                            "SignedHeaders=host;x-amz-date, Signature=" +
                                            auth.signature);
}

AuthOptions TwoKeys() {
  AuthOptions options;
  options.access_keys.push_back({"AKIDEXAMPLE", kBotocoreSecret, "", std::nullopt});
  options.access_keys.push_back(
      {"AKIAOPERATOR000001", "operator-secret", "ci-pipeline", Role::kOperator});
  return options;
}

class AuthenticatorWithKeys : public ::testing::Test {
 protected:
  FakeClock clock_{SignedAt()};
};

TEST(Authenticator, LocalModeMakesEveryCallerAdminWhateverItCarries) {
  FakeClock clock(SignedAt());
  Authenticator authenticator(AuthOptions{}, &clock);
  EXPECT_TRUE(authenticator.local_mode());
  for (std::optional<std::string> header :
       {std::optional<std::string>(), std::optional<std::string>("garbage"),
        std::optional<std::string>(std::string(kBotocoreAuthorization))}) {
    Authenticator::Result result = authenticator.Authenticate(ListRequest(header));
    ASSERT_TRUE(result.principal.has_value());
    EXPECT_EQ(result.principal->id, "admin");
    EXPECT_EQ(result.principal->DescribeGrants(), "admin");
    EXPECT_FALSE(result.error.has_value());
  }
}

TEST_F(AuthenticatorWithKeys, RefusesARequestWithoutAuthorizationAsMissing) {
  Authenticator authenticator(TwoKeys(), &clock_);
  EXPECT_FALSE(authenticator.local_mode());
  for (std::optional<std::string> header :
       {std::optional<std::string>(), std::optional<std::string>("")}) {
    Authenticator::Result result = authenticator.Authenticate(ListRequest(header));
    EXPECT_FALSE(result.principal.has_value());
    ASSERT_TRUE(result.error.has_value());
    EXPECT_EQ(result.error->failure, AuthFailure::kMissing);
    EXPECT_EQ(result.error->message,
              "Missing Authentication Token: sign the request with SigV4 using a configured "
              "access key");
  }
}

TEST_F(AuthenticatorWithKeys, RefusesAMalformedHeaderAsInvalidSignatureWithTheParseError) {
  Authenticator authenticator(TwoKeys(), &clock_);
  Authenticator::Result result = authenticator.Authenticate(ListRequest("Basic YWxhZGRpbg=="));
  ASSERT_TRUE(result.error.has_value());
  EXPECT_EQ(result.error->failure, AuthFailure::kInvalidSignature);
  EXPECT_EQ(result.error->message, "Authorization header must use the AWS4-HMAC-SHA256 algorithm");
}

TEST_F(AuthenticatorWithKeys, RefusesAnUnknownAccessKey) {
  Authenticator authenticator(TwoKeys(), &clock_);
  http::Request request = ListRequest(std::nullopt);
  Sign(&request, "AKIAUNKNOWN0000001", "whatever");
  Authenticator::Result result = authenticator.Authenticate(request);
  ASSERT_TRUE(result.error.has_value());
  EXPECT_FALSE(result.principal.has_value());
  EXPECT_EQ(result.error->failure, AuthFailure::kUnknownKey);
  EXPECT_EQ(result.error->message, "The security token included in the request is invalid.");
}

TEST_F(AuthenticatorWithKeys, RefusesASignatureMadeWithAnotherSecret) {
  Authenticator authenticator(TwoKeys(), &clock_);
  http::Request request = ListRequest(std::nullopt);
  Sign(&request, "AKIAOPERATOR000001", "not-the-operator-secret");
  Authenticator::Result result = authenticator.Authenticate(request);
  ASSERT_TRUE(result.error.has_value());
  EXPECT_FALSE(result.principal.has_value());
  EXPECT_EQ(result.error->failure, AuthFailure::kInvalidSignature);
  EXPECT_EQ(result.error->message,
            "The request signature we calculated does not match the signature you provided. "
            "Check your AWS Secret Access Key and signing method. Consult the service "
            "documentation for details.");
}

TEST_F(AuthenticatorWithKeys, RefusesAnExpiredSignatureByItsClock) {
  Authenticator authenticator(TwoKeys(), &clock_);
  clock_.Set(SignedAt() + std::chrono::minutes(6));
  Authenticator::Result result = authenticator.Authenticate(ListRequest(kBotocoreAuthorization));
  ASSERT_TRUE(result.error.has_value());
  EXPECT_EQ(result.error->failure, AuthFailure::kInvalidSignature);
  EXPECT_EQ(result.error->message,
            "Signature expired: 20260301T120000Z is now earlier than 20260301T120100Z "
            "(20260301T120600Z - 5 min.)");
}

TEST_F(AuthenticatorWithKeys, HonoursAConfiguredSkew) {
  AuthOptions options = TwoKeys();
  options.sigv4_max_skew = std::chrono::seconds(600);
  Authenticator authenticator(options, &clock_);
  clock_.Set(SignedAt() + std::chrono::minutes(6));
  EXPECT_TRUE(authenticator.Authenticate(ListRequest(kBotocoreAuthorization)).principal);
}

TEST_F(AuthenticatorWithKeys, ABotocoreSignatureIsTheKeysPrincipalWithTheDefaultRole) {
  Authenticator authenticator(TwoKeys(), &clock_);
  Authenticator::Result result = authenticator.Authenticate(ListRequest(kBotocoreAuthorization));
  ASSERT_TRUE(result.principal.has_value()) << result.error->message;
  EXPECT_FALSE(result.error.has_value());
  EXPECT_EQ(result.principal->id, "sigv4:AKIDEXAMPLE");
  EXPECT_EQ(result.principal->DescribeGrants(), "viewer");
}

TEST_F(AuthenticatorWithKeys, TheDefaultRoleIsConfigurable) {
  AuthOptions options = TwoKeys();
  options.default_role = Role::kAdmin;
  Authenticator authenticator(options, &clock_);
  Authenticator::Result result = authenticator.Authenticate(ListRequest(kBotocoreAuthorization));
  ASSERT_TRUE(result.principal.has_value());
  EXPECT_EQ(result.principal->DescribeGrants(), "admin");
}

TEST_F(AuthenticatorWithKeys, AKeyWithItsOwnNameAndRoleKeepsThem) {
  AuthOptions options = TwoKeys();
  options.default_role = Role::kAdmin;  // not used: the key has a role
  Authenticator authenticator(options, &clock_);
  http::Request request = ListRequest(std::nullopt);
  Sign(&request, "AKIAOPERATOR000001", "operator-secret");
  Authenticator::Result result = authenticator.Authenticate(request);
  ASSERT_TRUE(result.principal.has_value()) << result.error->message;
  EXPECT_EQ(result.principal->id, "ci-pipeline");
  EXPECT_EQ(result.principal->DescribeGrants(), "operator");
}

TEST(Principal, EachRoleGrantsItsPermissions) {
  struct Row {
    Role role;
    bool read, start, operate, manage;
  };
  for (const Row& row : {Row{Role::kViewer, true, false, false, false},
                         Row{Role::kTrigger, false, true, false, false},
                         Row{Role::kOperator, true, true, true, false},
                         Row{Role::kAdmin, true, true, true, true}}) {
    const Principal p = Principal::WithRole("p", row.role);
    SCOPED_TRACE(std::string(RoleName(row.role)));
    EXPECT_EQ(p.Can(Permission::kRead), row.read);
    EXPECT_EQ(p.Can(Permission::kStart), row.start);
    EXPECT_EQ(p.Can(Permission::kOperate), row.operate);
    EXPECT_EQ(p.Can(Permission::kManage), row.manage);
    EXPECT_EQ(p.Can(Permission::kStart, "any-machine"), row.start);
  }
}

TEST(Principal, AScopedGrantAppliesToMatchingStateMachinesOnly) {
  Principal p;
  p.id = "alice";
  p.grants = {Grant{Role::kOperator, {"etl-*", "report"}}, Grant{Role::kViewer, {}}};
  EXPECT_TRUE(p.Can(Permission::kStart, "etl-nightly"));
  EXPECT_TRUE(p.Can(Permission::kOperate, "report"));
  EXPECT_FALSE(p.Can(Permission::kStart, "report-2"));
  EXPECT_FALSE(p.Can(Permission::kStart, "billing"));
  // No state machine: only unscoped grants count.
  EXPECT_FALSE(p.Can(Permission::kOperate));
  EXPECT_TRUE(p.Can(Permission::kRead));
  EXPECT_TRUE(p.CanOnSome(Permission::kOperate));
  EXPECT_FALSE(p.CanOnSome(Permission::kManage));
  EXPECT_EQ(p.DescribeGrants(), "operator (etl-* report), viewer");
}

TEST(Principal, WithoutGrantsCanDoNothing) {
  EXPECT_FALSE(Principal{}.Can(Permission::kRead));
  EXPECT_EQ(Principal{}.DescribeGrants(), "none");
}

TEST(WildcardMatch, StarAndQuestionMark) {
  EXPECT_TRUE(WildcardMatch("*", ""));
  EXPECT_TRUE(WildcardMatch("etl-*", "etl-"));
  EXPECT_TRUE(WildcardMatch("*@ops.example.com", "bob@ops.example.com"));
  EXPECT_FALSE(WildcardMatch("*@ops.example.com", "bob@ops.example.com.evil"));
  EXPECT_TRUE(WildcardMatch("a?c", "abc"));
  EXPECT_FALSE(WildcardMatch("a?c", "ac"));
  EXPECT_TRUE(WildcardMatch("a*b*c", "axxbyyc"));
  EXPECT_FALSE(WildcardMatch("a*b*c", "axxbyy"));
  EXPECT_FALSE(WildcardMatch("exact", "exactly"));
  // Linear, not exponential, on a hostile pattern.
  EXPECT_FALSE(WildcardMatch(std::string(30, '*') + "b", std::string(5000, 'a')));
}

TEST(Authenticator, BindingsGiveRolesByGroupEmailSubjectAndClientId) {
  AuthOptions options;
  options.access_keys.push_back({"AKIDEXAMPLE", "s", "", std::nullopt});
  options.default_role = Role::kViewer;
  options.bindings = {
      {RoleBinding::Kind::kGroup, "data-eng", Role::kOperator, {"etl-*"}},
      {RoleBinding::Kind::kEmail, "*@ops.example.com", Role::kAdmin, {}},
      {RoleBinding::Kind::kSubject, "svc-looker", Role::kTrigger, {}},
      {RoleBinding::Kind::kClientId, "ci-*", Role::kOperator, {}},
      {RoleBinding::Kind::kAccessKey, "AKIDEXAMPLE", Role::kTrigger, {"report"}},
  };
  FakeClock clock(TimePoint{});
  Authenticator authenticator(options, &clock);
  Principal alice;
  alice.kind = "oidc";
  alice.subject = "alice";
  alice.email = "alice@example.com";
  alice.groups = {"staff", "data-eng"};
  Principal carol = alice;
  carol.email = "carol@ops.example.com";
  carol.groups = {};
  Principal looker;
  looker.kind = "oidc";
  looker.subject = "svc-looker";
  Principal ci;
  ci.kind = "oidc";
  ci.subject = "x";
  ci.client_id = "ci-pipeline";
  Principal nobody;
  nobody.kind = "oidc";
  nobody.subject = "nobody";
  auto describe = [&](const Principal& p, std::optional<Role> own = std::nullopt,
                      std::string_view key = {}) {
    Principal copy = p;
    copy.grants = authenticator.GrantsFor(p, own, key);
    return copy.DescribeGrants();
  };
  EXPECT_EQ(describe(alice), "operator (etl-*)");
  EXPECT_EQ(describe(carol), "admin");
  EXPECT_EQ(describe(looker), "trigger");
  EXPECT_EQ(describe(ci), "operator");
  EXPECT_EQ(describe(nobody), "viewer");
  // An access key's own role wins over bindings.
  Principal key;
  key.kind = "sigv4";
  EXPECT_EQ(describe(key, std::nullopt, "AKIDEXAMPLE"), "trigger (report)");
  EXPECT_EQ(describe(key, Role::kAdmin, "AKIDEXAMPLE"), "admin");
  // A subject binding matches OIDC subjects only.
  key.subject = "svc-looker";
  EXPECT_EQ(describe(key, std::nullopt, "AKIDOTHER"), "viewer");
}

TEST(ClaimAt, FollowsDottedPaths) {
  const Json claims = Json::parse(R"({"groups":["a"],"realm_access":{"roles":["x","y"]}})");
  ASSERT_NE(ClaimAt(claims, "groups"), nullptr);
  EXPECT_EQ(*ClaimAt(claims, "realm_access.roles"), Json::parse(R"(["x","y"])"));
  EXPECT_EQ(ClaimAt(claims, "realm_access.missing"), nullptr);
  EXPECT_EQ(ClaimAt(claims, "groups.0"), nullptr);
}

TEST(RoleName, NamesEachRoleAndParseRoleReadsItBack) {
  EXPECT_EQ(RoleName(Role::kViewer), "viewer");
  EXPECT_EQ(RoleName(Role::kTrigger), "trigger");
  EXPECT_EQ(RoleName(Role::kOperator), "operator");
  EXPECT_EQ(RoleName(Role::kAdmin), "admin");
  for (Role role : {Role::kViewer, Role::kTrigger, Role::kOperator, Role::kAdmin}) {
    EXPECT_EQ(ParseRole(RoleName(role)), role);
  }
}

TEST(ParseRole, RefusesUnknownAndDifferentlyCasedNames) {
  EXPECT_EQ(ParseRole("Admin"), std::nullopt);
  EXPECT_EQ(ParseRole("root"), std::nullopt);
  EXPECT_EQ(ParseRole(""), std::nullopt);
  EXPECT_EQ(ParseRole("admin "), std::nullopt);
}


// --- OIDC bearer tokens --------------------------------------------------------

using testing::JwksText;
using testing::TestKey;
using testing::TestKeyType;

constexpr char kIssuer[] = "https://idp.example.com";

class AuthenticatorWithOidc : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device rd;
    dir_ = std::filesystem::temp_directory_path() /
           ("stepd-auth-test-" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(dir_);
    WriteJwks({k1_->PublicJwk()});
    options_.oidc.issuer = kIssuer;
    options_.oidc.audiences = {"stepd"};
    options_.oidc.header = "X-Goog-IAP-JWT-Assertion";
    options_.oidc.groups_claim = "realm_access.roles";
    options_.oidc.unknown_kid_min_interval = std::chrono::seconds(0);
    options_.bindings = {{RoleBinding::Kind::kGroup, "ops", Role::kOperator, {}}};
    KeySetOptions key_options;
    key_options.jwks_file = (dir_ / "jwks.json").string();
    key_options.unknown_kid_min_interval = std::chrono::seconds(0);
    keys_ = KeySet::Create(key_options, nullptr, &clock_, nullptr).value();
    ASSERT_TRUE(keys_->LoadNow().ok());
    authenticator_ = std::make_unique<Authenticator>(options_, &clock_, keys_.get());
  }
  void TearDown() override {
    authenticator_.reset();
    keys_->Stop();
    std::filesystem::remove_all(dir_);
  }

  void WriteJwks(std::initializer_list<Json> keys) {
    // A new file (new inode and mtime) replaces the old one at once.
    const auto tmp = dir_ / "jwks.json.tmp";
    std::ofstream(tmp) << JwksText(keys);
    std::filesystem::last_write_time(
        tmp, std::filesystem::file_time_type::clock::now() + std::chrono::seconds(++generation_));
    std::filesystem::rename(tmp, dir_ / "jwks.json");
  }

  int64_t Now() const {
    return std::chrono::duration_cast<std::chrono::seconds>(clock_.Now().time_since_epoch())
        .count();
  }
  std::string Token(const TestKey& key, Json extra = Json::object()) const {
    Json claims = {{"iss", kIssuer},
                   {"aud", "stepd"},
                   {"sub", "alice"},
                   {"email", "alice@example.com"},
                   {"azp", "looker-prod"},
                   {"realm_access", {{"roles", {"ops"}}}},
                   {"exp", Now() + 600}};
    for (auto& [k, v] : extra.items()) claims[k] = v;
    return key.Sign(&key == k1_ ? JwtAlgorithm::kES256 : JwtAlgorithm::kEdDSA, claims);
  }
  static http::Request Bearer(const std::string& token) {
    return ListRequest("Bearer " + token);
  }
  // The asynchronous Authenticate, waited for.
  Authenticator::Result AuthenticateAsync(const http::Request& request) {
    std::promise<Authenticator::Result> done;
    authenticator_->Authenticate(request, [&done](const http::Request&, Authenticator::Result r) {
      done.set_value(std::move(r));
    });
    auto future = done.get_future();
    EXPECT_EQ(future.wait_for(std::chrono::seconds(10)), std::future_status::ready);
    return future.get();
  }

  // Made once per process: key generation is slow.
  const TestKey* const k1_ = &testing::SharedTestKey(TestKeyType::kEcP256, "k1");
  const TestKey* const k2_ = &testing::SharedTestKey(TestKeyType::kEd25519, "k2");
  std::filesystem::path dir_;
  int generation_ = 0;
  FakeClock clock_{std::chrono::system_clock::now()};
  AuthOptions options_;
  std::unique_ptr<KeySet> keys_;
  std::unique_ptr<Authenticator> authenticator_;
};

TEST_F(AuthenticatorWithOidc, AValidTokenIsItsSubjectWithTheRolesOfItsClaims) {
  Authenticator::Result result = authenticator_->Authenticate(Bearer(Token(*k1_)));
  ASSERT_TRUE(result.principal.has_value()) << result.error->log_reason;
  const Principal& p = *result.principal;
  EXPECT_EQ(p.id, std::string("oidc:") + kIssuer + "#alice");
  EXPECT_EQ(p.kind, "oidc");
  EXPECT_EQ(p.issuer, kIssuer);
  EXPECT_EQ(p.subject, "alice");
  EXPECT_EQ(p.email, "alice@example.com");
  EXPECT_EQ(p.client_id, "looker-prod");
  EXPECT_EQ(p.groups, std::vector<std::string>{"ops"});
  EXPECT_EQ(p.DescribeGrants(), "operator");
  EXPECT_EQ(p.AuditJson(), Json::parse(R"({"id":"oidc:https://idp.example.com#alice",
      "kind":"oidc","issuer":"https://idp.example.com","subject":"alice",
      "email":"alice@example.com","client_id":"looker-prod"})"));
  // Without a matching binding: the default role.
  result = authenticator_->Authenticate(Bearer(Token(*k1_, {{"realm_access", Json::object()}})));
  ASSERT_TRUE(result.principal.has_value());
  EXPECT_EQ(result.principal->DescribeGrants(), "viewer");
}

TEST_F(AuthenticatorWithOidc, ARefusedTokenSaysWhyToTheClientAndMoreToTheLog) {
  Authenticator::Result result =
      authenticator_->Authenticate(Bearer(Token(*k1_, {{"exp", Now() - 3600}})));
  ASSERT_FALSE(result.principal.has_value());
  EXPECT_EQ(result.error->failure, AuthFailure::kInvalidToken);
  EXPECT_EQ(result.error->message, "The bearer token is invalid: it has expired.");
  EXPECT_NE(result.error->log_reason.find("(expired)"), std::string::npos)
      << result.error->log_reason;
  result = authenticator_->Authenticate(Bearer(Token(*k1_, {{"aud", {"a", "b"}}})));
  EXPECT_EQ(result.error->message, "The bearer token is invalid: it is meant for another audience.");
  result = authenticator_->Authenticate(ListRequest("Bearer"));
  ASSERT_TRUE(result.error.has_value());
  EXPECT_EQ(result.error->failure, AuthFailure::kMissing);
  // A SigV4 signature with no access key configured is no credential here.
  result = authenticator_->Authenticate(ListRequest(std::string(kBotocoreAuthorization)));
  ASSERT_TRUE(result.error.has_value());
  EXPECT_EQ(result.error->failure, AuthFailure::kMissing);
}

TEST_F(AuthenticatorWithOidc, AProxyAssertionIsCheckedFromItsHeaderAlone) {
  // Looker's hub token takes the Authorization header; the proxy's assertion
  // comes in its own header.
  http::Request request = ListRequest("Token token=\"hub-token-0123456789\"");
  std::optional<Authenticator::Result> got;
  authenticator_->AuthenticateAssertion(
      request, [&got](const http::Request&, Authenticator::Result r) { got = std::move(r); });
  ASSERT_TRUE(got && got->error);
  EXPECT_EQ(got->error->failure, AuthFailure::kMissing);
  EXPECT_EQ(got->error->message,
            "the identity-aware proxy's assertion (X-Goog-IAP-JWT-Assertion) is missing");
  request.headers.Set("X-Goog-IAP-JWT-Assertion", Token(*k1_, {{"exp", Now() - 3600}}));
  got.reset();
  authenticator_->AuthenticateAssertion(
      request, [&got](const http::Request&, Authenticator::Result r) { got = std::move(r); });
  ASSERT_TRUE(got && got->error);
  EXPECT_EQ(got->error->failure, AuthFailure::kInvalidToken);
  request.headers.Set("X-Goog-IAP-JWT-Assertion", Token(*k1_));
  got.reset();
  authenticator_->AuthenticateAssertion(
      request, [&got](const http::Request&, Authenticator::Result r) { got = std::move(r); });
  ASSERT_TRUE(got && got->principal) << got->error->log_reason;
  EXPECT_EQ(got->principal->subject, "alice");
}

TEST_F(AuthenticatorWithOidc, TheProxysHeaderCarriesTheTokenItself) {
  http::Request request = ListRequest(std::nullopt);
  request.headers.Set("X-Goog-IAP-JWT-Assertion", Token(*k1_));
  Authenticator::Result result = authenticator_->Authenticate(request);
  ASSERT_TRUE(result.principal.has_value()) << result.error->log_reason;
  EXPECT_EQ(result.principal->subject, "alice");
}

TEST_F(AuthenticatorWithOidc, AVerifiedTokenIsRememberedUntilItExpires) {
  const std::string token = Token(*k1_, {{"exp", Now() + 100}});
  ASSERT_TRUE(authenticator_->Authenticate(Bearer(token)).principal.has_value());
  ASSERT_TRUE(authenticator_->Authenticate(Bearer(token)).principal.has_value());
  // Past exp + skew: refused although remembered.
  clock_.Advance(std::chrono::seconds(100 + 61));
  Authenticator::Result late = authenticator_->Authenticate(Bearer(token));
  ASSERT_FALSE(late.principal.has_value());
  EXPECT_EQ(late.error->message, "The bearer token is invalid: it has expired.");
  // A tampered copy of a remembered token is not the token.
  const std::string fresh = Token(*k1_);
  ASSERT_TRUE(authenticator_->Authenticate(Bearer(fresh)).principal.has_value());
  std::string tampered = fresh;
  tampered.back() = tampered.back() == 'A' ? 'B' : 'A';
  EXPECT_FALSE(authenticator_->Authenticate(Bearer(tampered)).principal.has_value());
}

TEST_F(AuthenticatorWithOidc, AnUnknownKeyRefreshesTheSetAndARemovedKeyStopsRememberedTokens) {
  const std::string old_token = Token(*k1_);
  ASSERT_TRUE(authenticator_->Authenticate(Bearer(old_token)).principal.has_value());
  const std::string new_token = Token(*k2_);
  Authenticator::Result now = authenticator_->Authenticate(Bearer(new_token));
  EXPECT_TRUE(now.needs_key_refresh);
  // The issuer rotates: k2 in, k1 out.
  WriteJwks({k2_->PublicJwk()});
  Authenticator::Result after = AuthenticateAsync(Bearer(new_token));
  ASSERT_TRUE(after.principal.has_value()) << after.error->log_reason;
  EXPECT_FALSE(after.needs_key_refresh);
  // The token of the retired key was remembered; the set changed, so it is
  // checked again and refused.
  Authenticator::Result retired = authenticator_->Authenticate(Bearer(old_token));
  EXPECT_FALSE(retired.principal.has_value());
}

TEST_F(AuthenticatorWithOidc, AnUnknownKeyThatStaysUnknownIsRefusedAfterTheRefresh) {
  TestKey stranger = TestKey::Generate(TestKeyType::kEcP256, "k9");
  Authenticator::Result result = AuthenticateAsync(Bearer(stranger.Sign(
      JwtAlgorithm::kES256, {{"iss", kIssuer}, {"aud", "stepd"}, {"sub", "x"}, {"exp", Now() + 60}})));
  ASSERT_FALSE(result.principal.has_value());
  EXPECT_EQ(result.error->message,
            "The bearer token is invalid: it is signed with a key the issuer does not publish.");
  EXPECT_FALSE(result.needs_key_refresh);
}

TEST(Authenticator, ABearerTokenWithoutOidcConfiguredIsRefused) {
  FakeClock clock(SignedAt());
  Authenticator authenticator(TwoKeys(), &clock);
  Authenticator::Result result = authenticator.Authenticate(ListRequest("Bearer abc.def.ghi"));
  ASSERT_FALSE(result.principal.has_value());
  EXPECT_EQ(result.error->message, "Bearer tokens are not accepted here: OIDC is not configured");
}

}  // namespace
}  // namespace stepd::api

namespace stepd::api {
namespace {

AuthOptions TwoLookerTokens() {
  AuthOptions options;
  options.looker_tokens.push_back({"looker-prod", "prod-token-0123456789", std::nullopt});
  options.looker_tokens.push_back({"looker-next", "next-token-0123456789", Role::kOperator});
  options.bindings.push_back({RoleBinding::Kind::kLooker, "looker-prod", Role::kTrigger, {"etl-*"}});
  return options;
}

http::Request HubRequest(std::optional<std::string> authorization) {
  http::Request request = http::MakeRequest("POST", "/looker", "{}");
  if (authorization) request.headers.Set("Authorization", *authorization);
  return request;
}

TEST(AuthenticateLooker, EitherConfiguredTokenIsItsPrincipalWithItsRoles) {
  FakeClock clock{SignedAt()};
  Authenticator auth(TwoLookerTokens(), &clock);
  EXPECT_FALSE(auth.local_mode());
  auto prod = auth.AuthenticateLooker(HubRequest("Token token=\"prod-token-0123456789\""));
  ASSERT_TRUE(prod.principal);
  EXPECT_EQ(prod.principal->id, "looker:looker-prod");
  EXPECT_EQ(prod.principal->kind, "looker");
  EXPECT_TRUE(prod.principal->Can(Permission::kStart, "etl-daily"));
  EXPECT_FALSE(prod.principal->Can(Permission::kStart, "billing"));
  EXPECT_FALSE(prod.principal->Can(Permission::kRead, "etl-daily"));
  // The second token (rotation) has a role of its own; "token token=" as the
  // reference hub accepts it.
  auto next = auth.AuthenticateLooker(HubRequest("token token=\"next-token-0123456789\""));
  ASSERT_TRUE(next.principal);
  EXPECT_EQ(next.principal->id, "looker:looker-next");
  EXPECT_TRUE(next.principal->Can(Permission::kOperate, "billing"));
}

TEST(AuthenticateLooker, RefusesAnythingButAConfiguredToken) {
  FakeClock clock{SignedAt()};
  Authenticator auth(TwoLookerTokens(), &clock);
  for (std::optional<std::string> header :
       {std::optional<std::string>(), std::optional<std::string>("foo"),
        std::optional<std::string>("Token token=\"prod-token-012345678\""),
        std::optional<std::string>("Token token=\"prod-token-01234567890\""),
        std::optional<std::string>("Token token=prod-token-0123456789"),
        std::optional<std::string>("Xoken token=\"prod-token-0123456789\""),
        std::optional<std::string>("Bearer prod-token-0123456789")}) {
    auto result = auth.AuthenticateLooker(HubRequest(header));
    EXPECT_FALSE(result.principal) << header.value_or("(none)");
    ASSERT_TRUE(result.error);
    EXPECT_EQ(result.error->message, "Invalid 'Authorization' header.");
  }
}

TEST(AuthenticateLooker, WithOtherAuthenticationButNoHubTokenEveryHubRequestIsRefused) {
  FakeClock clock{SignedAt()};
  Authenticator auth(TwoKeys(), &clock);
  EXPECT_FALSE(auth.AuthenticateLooker(HubRequest("Token token=\"anything-at-all-123\"")).principal);
  Authenticator local(AuthOptions{}, &clock);
  auto anyone = local.AuthenticateLooker(HubRequest(std::nullopt));
  ASSERT_TRUE(anyone.principal);
  EXPECT_EQ(anyone.principal->id, "admin");
}

TEST(AuthenticateLooker, LookerTokensAloneTurnAuthenticationOn) {
  AuthOptions options;
  EXPECT_FALSE(options.configured());
  options.looker_tokens.push_back({"l", "0123456789abcdef", std::nullopt});
  EXPECT_TRUE(options.configured());
}

}  // namespace
}  // namespace stepd::api
