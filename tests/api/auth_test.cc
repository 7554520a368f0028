#include "stepd/api/auth.h"

#include <gtest/gtest.h>

#include "stepd/api/sigv4.h"
#include "stepd/base/crypto.h"

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
    EXPECT_EQ(result.principal->role, Role::kAdmin);
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
  Authenticator::Result result = authenticator.Authenticate(ListRequest("Bearer eyJhbGciOi"));
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
  EXPECT_EQ(result.principal->role, Role::kViewer);
}

TEST_F(AuthenticatorWithKeys, TheDefaultRoleIsConfigurable) {
  AuthOptions options = TwoKeys();
  options.default_role = Role::kAdmin;
  Authenticator authenticator(options, &clock_);
  Authenticator::Result result = authenticator.Authenticate(ListRequest(kBotocoreAuthorization));
  ASSERT_TRUE(result.principal.has_value());
  EXPECT_EQ(result.principal->role, Role::kAdmin);
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
  EXPECT_EQ(result.principal->role, Role::kOperator);
}

TEST(Principal, EachRoleAllowsItselfAndTheRolesBeforeIt) {
  const Principal viewer{"v", Role::kViewer};
  const Principal op{"o", Role::kOperator};
  const Principal admin{"a", Role::kAdmin};
  EXPECT_TRUE(viewer.Allows(Role::kViewer));
  EXPECT_FALSE(viewer.Allows(Role::kOperator));
  EXPECT_FALSE(viewer.Allows(Role::kAdmin));
  EXPECT_TRUE(op.Allows(Role::kViewer));
  EXPECT_TRUE(op.Allows(Role::kOperator));
  EXPECT_FALSE(op.Allows(Role::kAdmin));
  EXPECT_TRUE(admin.Allows(Role::kViewer));
  EXPECT_TRUE(admin.Allows(Role::kOperator));
  EXPECT_TRUE(admin.Allows(Role::kAdmin));
}

TEST(Principal, DefaultsToViewer) { EXPECT_EQ(Principal{}.role, Role::kViewer); }

TEST(RoleName, NamesEachRoleAndParseRoleReadsItBack) {
  EXPECT_EQ(RoleName(Role::kViewer), "viewer");
  EXPECT_EQ(RoleName(Role::kOperator), "operator");
  EXPECT_EQ(RoleName(Role::kAdmin), "admin");
  for (Role role : {Role::kViewer, Role::kOperator, Role::kAdmin}) {
    EXPECT_EQ(ParseRole(RoleName(role)), role);
  }
}

TEST(ParseRole, RefusesUnknownAndDifferentlyCasedNames) {
  EXPECT_EQ(ParseRole("Admin"), std::nullopt);
  EXPECT_EQ(ParseRole("root"), std::nullopt);
  EXPECT_EQ(ParseRole(""), std::nullopt);
  EXPECT_EQ(ParseRole("admin "), std::nullopt);
}

}  // namespace
}  // namespace stepd::api
