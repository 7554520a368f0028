#include "stepd/api/sigv4.h"

#include <gtest/gtest.h>

#include "stepd/base/crypto.h"

namespace stepd::api {
namespace {

// The vectors below were made by botocore 1.43 (the signer of the AWS CLI and
// boto3) with the AWS test-suite credentials at a fixed time:
//
//   import datetime; from unittest import mock; import botocore.auth
//   from botocore.auth import SigV4Auth; from botocore.awsrequest import AWSRequest
//   from botocore.credentials import Credentials
//   creds = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
//   def sign(method, url, headers, body, region="us-east-1", extra=()):
//       with mock.patch.object(botocore.auth, "get_current_datetime",
//                              return_value=datetime.datetime(2026, 3, 1, 12, 0, 0)):
//           req = AWSRequest(method=method, url=url, headers=headers, data=body)
//           for name, value in extra: req.headers[name] = value  # repeats a header
//           auth = SigV4Auth(creds, "states", region)
//           req.context["timestamp"] = "20260301T120000Z"
//           auth._modify_request_before_signing(req)
//           print(repr(auth.canonical_request(req)))
//           auth.add_auth(req); print(req.headers["Authorization"])
constexpr char kAccessKey[] = "AKIDEXAMPLE";
constexpr char kSecret[] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
constexpr char kAmzDate[] = "20260301T120000Z";

// sign("POST", "http://localhost:8083/",
//      {"X-Amz-Target": "AWSStepFunctions.ListStateMachines",
//       "Content-Type": "application/x-amz-json-1.0"}, b"{}")
constexpr char kListCanonical[] =
    "POST\n/\n\ncontent-type:application/x-amz-json-1.0\nhost:localhost:8083\n"
    "x-amz-date:20260301T120000Z\nx-amz-target:AWSStepFunctions.ListStateMachines\n\n"
    "content-type;host;x-amz-date;x-amz-target\n"
    "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";
constexpr char kListAuthorization[] =
    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260301/us-east-1/states/aws4_request, "
    "SignedHeaders=content-type;host;x-amz-date;x-amz-target, "
    "Signature=2ce0e9474f8c9792ce5984f456d62f3e56dde204dd9cc718091d46e7bff1e1b9";

// sign("GET", "http://localhost:8083/v1/state%20machines?b=2&a=x%20y&a=1&c=%2F",
//      {"X-Custom": "  spaced   out  value "}, b"")
constexpr char kQueryCanonical[] =
    "GET\n/v1/state%2520machines\na=1&a=x%20y&b=2&c=%2F\nhost:localhost:8083\n"
    "x-amz-date:20260301T120000Z\nx-custom:spaced out value\n\nhost;x-amz-date;x-custom\n"
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
constexpr char kQuerySignature[] =
    "50b1452739814c10e6d66a29ef046c4f01d4706aba9f94f56c4616c06171b136";

// sign("POST", "http://localhost:8083/", {"X-Amz-Target": "AWSStepFunctions.ListActivities"},
//      b'{"a": 1}', region="eu-west-3", extra=[("X-Multi", "a"), ("X-Multi", "  b   c ")])
constexpr char kRepeatedCanonical[] =
    "POST\n/\n\nhost:localhost:8083\nx-amz-date:20260301T120000Z\n"
    "x-amz-target:AWSStepFunctions.ListActivities\nx-multi:a,b c\n\n"
    "host;x-amz-date;x-amz-target;x-multi\n"
    "f9d86028c6e0d64e225186f96acb69338b2c59764df79162107f5c4bb34d1310";
constexpr char kRepeatedAuthorization[] =
    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260301/eu-west-3/states/aws4_request, "
    "SignedHeaders=host;x-amz-date;x-amz-target;x-multi, "
    "Signature=280fdbd50b57b431309a5723c85b8aba172f76ccd59671b47c62f679e514e7b8";

// 2026-03-01T12:00:00Z.
TimePoint SignedAt() { return std::chrono::system_clock::from_time_t(1772366400); }

// The ListStateMachines request as the AWS CLI sends it, signed by botocore.
http::Request BotocoreListRequest() {
  return http::MakeRequest("POST", "/", "{}",
                           {{"Host", "localhost:8083"},
                            {"X-Amz-Target", "AWSStepFunctions.ListStateMachines"},
                            {"Content-Type", "application/x-amz-json-1.0"},
                            {"X-Amz-Date", kAmzDate},
                            {"Authorization", kListAuthorization}});
}

SigV4Authorization MustParse(std::string_view header) {
  auto parsed = ParseSigV4Authorization(header);
  EXPECT_TRUE(parsed.ok()) << parsed.status();
  return parsed.ok() ? *parsed : SigV4Authorization{};
}

std::optional<SigV4Error> Verify(const http::Request& request, std::string_view secret = kSecret,
                                 TimePoint now = SignedAt()) {
  return VerifySigV4(request, MustParse(*request.headers.Get("Authorization")), secret, now,
                     std::chrono::seconds(300));
}

// --- ParseSigV4Authorization ----------------------------------------------------

TEST(ParseSigV4Authorization, ReadsEveryPartOfABotocoreHeader) {
  SigV4Authorization auth = MustParse(kListAuthorization);
  EXPECT_EQ(auth.access_key_id, "AKIDEXAMPLE");
  EXPECT_EQ(auth.date, "20260301");
  EXPECT_EQ(auth.region, "us-east-1");
  EXPECT_EQ(auth.service, "states");
  EXPECT_EQ(auth.signed_headers,
            (std::vector<std::string>{"content-type", "host", "x-amz-date", "x-amz-target"}));
  EXPECT_EQ(auth.signature, "2ce0e9474f8c9792ce5984f456d62f3e56dde204dd9cc718091d46e7bff1e1b9");
}

TEST(ParseSigV4Authorization, LowerCasesSignedHeadersAndToleratesSpacingAndPartOrder) {
  SigV4Authorization auth = MustParse(
      "  AWS4-HMAC-SHA256   Signature=" + std::string(64, 'a') +
      " ,SignedHeaders=Host;X-Amz-Date,   Credential=AK/20260301/eu-west-1/states/aws4_request  ");
  EXPECT_EQ(auth.access_key_id, "AK");
  EXPECT_EQ(auth.region, "eu-west-1");
  EXPECT_EQ(auth.signed_headers, (std::vector<std::string>{"host", "x-amz-date"}));
  EXPECT_EQ(auth.signature, std::string(64, 'a'));
}

TEST(ParseSigV4Authorization, RefusesAnotherAlgorithm) {
  const Status expected =
      InvalidArgumentError("Authorization header must use the AWS4-HMAC-SHA256 algorithm");
  EXPECT_EQ(ParseSigV4Authorization("Bearer abc").status(), expected);
  EXPECT_EQ(ParseSigV4Authorization("AWS4-HMAC-SHA1 Credential=a").status(), expected);
  EXPECT_EQ(ParseSigV4Authorization("AWS4-HMAC-SHA256X Credential=a").status(), expected);
  EXPECT_EQ(ParseSigV4Authorization("").status(), expected);
}

TEST(ParseSigV4Authorization, RefusesAPartWithoutValue) {
  EXPECT_EQ(ParseSigV4Authorization("AWS4-HMAC-SHA256 Credential").status(),
            InvalidArgumentError("Authorization header has a malformed part: 'Credential'"));
}

TEST(ParseSigV4Authorization, RefusesACredentialNotScopedToDateRegionAndService) {
  auto message = [](std::string_view credential) {
    return InvalidArgumentError(
        "Credential should be scoped to a valid region and service: "
        "'ACCESS_KEY/YYYYMMDD/REGION/SERVICE/aws4_request', got '" +
        std::string(credential) + "'");
  };
  const std::string rest = ", SignedHeaders=host, Signature=" + std::string(64, '0');
  for (std::string_view credential : {
           "AK/20260301/us-east-1/states",                    // no terminator
           "AK/20260301/us-east-1/states/aws4_request/more",  // one piece too many
           "AK/20260301/us-east-1/states/aws5_request",       // wrong terminator
           "AK/2026031/us-east-1/states/aws4_request",        // date of 7 digits
           "/20260301/us-east-1/states/aws4_request",         // no access key
           "AK/20260301//states/aws4_request",                // no region
           "AK/20260301/us-east-1//aws4_request",             // no service
       }) {
    EXPECT_EQ(
        ParseSigV4Authorization("AWS4-HMAC-SHA256 Credential=" + std::string(credential) + rest)
            .status(),
        message(credential))
        << credential;
  }
}

TEST(ParseSigV4Authorization, RefusesAnEmptySignedHeaderName) {
  EXPECT_EQ(ParseSigV4Authorization("AWS4-HMAC-SHA256 Credential=AK/20260301/us-east-1/states/"
                                    "aws4_request, SignedHeaders=host;;x-amz-date, Signature=" +
                                    std::string(64, '0'))
                .status(),
            InvalidArgumentError("SignedHeaders has an empty header name"));
}

TEST(ParseSigV4Authorization, RefusesASignatureThatIsNot64LowerCaseHexCharacters) {
  const Status expected = InvalidArgumentError("Signature must be 64 lower-case hex characters");
  const std::string head =
      "AWS4-HMAC-SHA256 Credential=AK/20260301/us-east-1/states/aws4_request, "
      "SignedHeaders=host, Signature=";
  EXPECT_EQ(ParseSigV4Authorization(head + std::string(63, 'a')).status(), expected);
  EXPECT_EQ(ParseSigV4Authorization(head + std::string(65, 'a')).status(), expected);
  EXPECT_EQ(ParseSigV4Authorization(head + std::string(64, 'A')).status(), expected);
  EXPECT_EQ(ParseSigV4Authorization(head + std::string(63, 'a') + "g").status(), expected);
}

TEST(ParseSigV4Authorization, NamesTheFirstMissingParameter) {
  const std::string credential = "Credential=AK/20260301/us-east-1/states/aws4_request";
  const std::string signed_headers = "SignedHeaders=host";
  const std::string signature = "Signature=" + std::string(64, '0');
  EXPECT_EQ(ParseSigV4Authorization("AWS4-HMAC-SHA256").status(),
            InvalidArgumentError("Authorization header requires 'Credential' parameter"));
  EXPECT_EQ(
      ParseSigV4Authorization("AWS4-HMAC-SHA256 " + signed_headers + ", " + signature).status(),
      InvalidArgumentError("Authorization header requires 'Credential' parameter"));
  EXPECT_EQ(ParseSigV4Authorization("AWS4-HMAC-SHA256 " + credential + ", " + signature).status(),
            InvalidArgumentError("Authorization header requires 'SignedHeaders' parameter"));
  EXPECT_EQ(
      ParseSigV4Authorization("AWS4-HMAC-SHA256 " + credential + ", " + signed_headers).status(),
      InvalidArgumentError("Authorization header requires 'Signature' parameter"));
}

// --- SigV4CanonicalRequest and SigV4Signature against botocore and AWS -----------

TEST(SigV4CanonicalRequest, MatchesBotocoreForAJsonApiCall) {
  http::Request request = BotocoreListRequest();
  SigV4Authorization auth = MustParse(kListAuthorization);
  EXPECT_EQ(SigV4CanonicalRequest(request, auth.signed_headers, Sha256Hex(request.body)),
            kListCanonical);
}

TEST(SigV4Signature, MatchesBotocoreForAJsonApiCall) {
  SigV4Authorization auth = MustParse(kListAuthorization);
  EXPECT_EQ(SigV4Signature(kSecret, auth, kAmzDate, kListCanonical), auth.signature);
}

TEST(SigV4CanonicalRequest, EncodesThePathAgainAndSortsTheEncodedQueryAsBotocore) {
  http::Request request = http::MakeRequest("GET", "/v1/state%20machines?b=2&a=x%20y&a=1&c=%2F", "",
                                            {{"Host", "localhost:8083"},
                                             {"X-Custom", "  spaced   out  value "},
                                             {"X-Amz-Date", kAmzDate}});
  const std::string canonical =
      SigV4CanonicalRequest(request, {"host", "x-amz-date", "x-custom"}, Sha256Hex(request.body));
  EXPECT_EQ(canonical, kQueryCanonical);
  SigV4Authorization auth{kAccessKey, "20260301", "us-east-1", "states", {}, {}};
  EXPECT_EQ(SigV4Signature(kSecret, auth, kAmzDate, canonical), kQuerySignature);
}

TEST(SigV4CanonicalRequest, JoinsARepeatedHeaderWithCommasAsBotocore) {
  http::Request request = http::MakeRequest("POST", "/", R"({"a": 1})",
                                            {{"Host", "localhost:8083"},
                                             {"X-Amz-Target", "AWSStepFunctions.ListActivities"},
                                             {"X-Multi", "a"},
                                             {"X-Amz-Date", kAmzDate},
                                             {"X-Multi", "  b   c "}});
  SigV4Authorization auth = MustParse(kRepeatedAuthorization);
  const std::string canonical =
      SigV4CanonicalRequest(request, auth.signed_headers, Sha256Hex(request.body));
  EXPECT_EQ(canonical, kRepeatedCanonical);
  EXPECT_EQ(SigV4Signature(kSecret, auth, kAmzDate, canonical), auth.signature);
}

// The worked example of the AWS documentation ("Create a signed AWS API
// request": IAM ListUsers, 2015-08-30), whose canonical request hashes to
// f536975d... and signs to 5d672d79...
TEST(SigV4Signature, ReproducesTheAwsDocumentationIamListUsersExample) {
  http::Request request =
      http::MakeRequest("GET", "/?Action=ListUsers&Version=2010-05-08", "",
                        {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"},
                         {"Host", "iam.amazonaws.com"},
                         {"X-Amz-Date", "20150830T123600Z"}});
  const std::string canonical = SigV4CanonicalRequest(
      request, {"content-type", "host", "x-amz-date"}, Sha256Hex(request.body));
  EXPECT_EQ(canonical,
            "GET\n/\nAction=ListUsers&Version=2010-05-08\n"
            "content-type:application/x-www-form-urlencoded; charset=utf-8\n"
            "host:iam.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
            "content-type;host;x-amz-date\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex(canonical),
            "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59");
  SigV4Authorization auth{kAccessKey, "20150830", "us-east-1", "iam", {}, {}};
  EXPECT_EQ(SigV4Signature(kSecret, auth, "20150830T123600Z", canonical),
            "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7");
}

// --- VerifySigV4 ----------------------------------------------------------------

constexpr char kMismatch[] =
    "The request signature we calculated does not match the signature you provided. Check your "
    "AWS Secret Access Key and signing method. Consult the service documentation for details.";

TEST(VerifySigV4, AcceptsARequestSignedByBotocore) {
  EXPECT_EQ(Verify(BotocoreListRequest()), std::nullopt);
}

TEST(VerifySigV4, AcceptsARepeatedHeaderSignedByBotocore) {
  http::Request request = http::MakeRequest("POST", "/", R"({"a": 1})",
                                            {{"Host", "localhost:8083"},
                                             {"X-Amz-Target", "AWSStepFunctions.ListActivities"},
                                             {"X-Multi", "a"},
                                             {"X-Amz-Date", kAmzDate},
                                             {"X-Multi", "  b   c "},
                                             {"Authorization", kRepeatedAuthorization}});
  EXPECT_EQ(Verify(request), std::nullopt);
}

TEST(VerifySigV4, RefusesTheSignatureOfAnotherSecret) {
  auto error = Verify(BotocoreListRequest(), "another-secret");
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->failure, SigV4Failure::kBadSignature);
  EXPECT_EQ(error->message, kMismatch);
}

TEST(VerifySigV4, RefusesATamperedBody) {
  http::Request request = BotocoreListRequest();
  request.body = R"({"maxResults":1})";
  auto error = Verify(request);
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->failure, SigV4Failure::kBadSignature);
  EXPECT_EQ(error->message, kMismatch);
}

TEST(VerifySigV4, RefusesATamperedSignedHeader) {
  http::Request request = BotocoreListRequest();
  request.headers.Set("X-Amz-Target", "AWSStepFunctions.DeleteStateMachine");
  auto error = Verify(request);
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->failure, SigV4Failure::kBadSignature);
  EXPECT_EQ(error->message, kMismatch);
}

TEST(VerifySigV4, IgnoresAHeaderThatIsNotSigned) {
  http::Request request = BotocoreListRequest();
  request.headers.Set("User-Agent", "aws-cli/2.0 changed-by-a-proxy");
  EXPECT_EQ(Verify(request), std::nullopt);
}

TEST(VerifySigV4, RequiresTheHostHeaderToBeSigned) {
  // Correctly signed, but over x-amz-date and x-amz-target only.
  http::Request request = http::MakeRequest("POST", "/", "{}",
                                            {{"Host", "localhost:8083"},
                                             {"X-Amz-Target", "AWSStepFunctions.ListActivities"},
                                             {"X-Amz-Date", kAmzDate}});
  SigV4Authorization auth{
      kAccessKey, "20260301", "us-east-1", "states", {"x-amz-date", "x-amz-target"}, ""};
  auth.signature =
      SigV4Signature(kSecret, auth, kAmzDate,
                     SigV4CanonicalRequest(request, auth.signed_headers, Sha256Hex(request.body)));
  auto error = VerifySigV4(request, auth, kSecret, SignedAt(), std::chrono::seconds(300));
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->failure, SigV4Failure::kBadSignature);
  EXPECT_EQ(error->message,
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
}

TEST(VerifySigV4, AcceptsADateExactlyAtEitherEdgeOfTheWindow) {
  EXPECT_EQ(Verify(BotocoreListRequest(), kSecret, SignedAt() + std::chrono::minutes(5)),
            std::nullopt);
  EXPECT_EQ(Verify(BotocoreListRequest(), kSecret, SignedAt() - std::chrono::minutes(5)),
            std::nullopt);
}

TEST(VerifySigV4, RefusesASignatureOlderThanTheWindowInAwsWords) {
  auto error = Verify(BotocoreListRequest(), kSecret,
                      SignedAt() + std::chrono::minutes(5) + std::chrono::seconds(1));
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->failure, SigV4Failure::kExpired);
  EXPECT_EQ(error->message,
            "Signature expired: 20260301T120000Z is now earlier than 20260301T120001Z "
            "(20260301T120501Z - 5 min.)");
}

TEST(VerifySigV4, RefusesASignatureFromTheFutureInAwsWords) {
  auto error = Verify(BotocoreListRequest(), kSecret,
                      SignedAt() - std::chrono::minutes(5) - std::chrono::seconds(1));
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->failure, SigV4Failure::kExpired);
  EXPECT_EQ(error->message,
            "Signature not yet current: 20260301T120000Z is still later than 20260301T115959Z "
            "(20260301T115459Z + 5 min.)");
}

TEST(VerifySigV4, TheWindowFollowsMaxSkew) {
  http::Request request = BotocoreListRequest();
  auto error = VerifySigV4(request, MustParse(kListAuthorization), kSecret,
                           SignedAt() + std::chrono::minutes(2) + std::chrono::seconds(1),
                           std::chrono::seconds(120));
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->message,
            "Signature expired: 20260301T120000Z is now earlier than 20260301T120001Z "
            "(20260301T120201Z - 2 min.)");
}

TEST(VerifySigV4, RefusesACredentialScopeOfAnotherDay) {
  http::Request request = BotocoreListRequest();
  SigV4Authorization auth = MustParse(kListAuthorization);
  auth.date = "20260302";
  auto error = VerifySigV4(request, auth, kSecret, SignedAt(), std::chrono::seconds(300));
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->failure, SigV4Failure::kBadSignature);
  EXPECT_EQ(error->message,
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from "
            "HTTP: '20260302' != '20260301'");
}

TEST(VerifySigV4, RequiresAnXAmzDateInBasicIsoFormat) {
  const std::string expected =
      "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header in "
      "the form YYYYMMDD'T'HHMMSS'Z'";
  http::Request missing = BotocoreListRequest();
  missing.headers.Remove("X-Amz-Date");
  for (const char* date : {"", "2026-03-01T12:00:00Z", "20260301T120000", "20261301T120000Z",
                           "20260301T250000Z", "2026030xT120000Z"}) {
    http::Request request = BotocoreListRequest();
    request.headers.Set("X-Amz-Date", date);
    auto error = Verify(request);
    ASSERT_TRUE(error.has_value()) << date;
    EXPECT_EQ(error->failure, SigV4Failure::kMalformed) << date;
    EXPECT_EQ(error->message, expected) << date;
  }
  auto error = Verify(missing);
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->failure, SigV4Failure::kMalformed);
  EXPECT_EQ(error->message, expected);
}

}  // namespace
}  // namespace stepd::api
