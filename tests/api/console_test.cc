#include "stepd/api/console.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "stepd/api/key_set.h"
#include "stepd/base/crypto.h"
#include "stepd/base/version.h"
#include "stepd/http/testing.h"
#include "support/jwt_signer.h"

namespace stepd::api {
namespace {

using http::testing::CapturedResponse;

constexpr char kIssuer[] = "https://idp.example.com:8443/realms/ops";
constexpr char kTestPage[] =
    "<!doctype html><title>t</title>"
    "<script type=\"application/json\" id=\"stepd-config\">__STEPD_CONSOLE_CONFIG__</script>"
    "<div id=\"app\"></div>";
const ConsolePage kPage{kTestPage, "c2NyaXB0LWhhc2g=", "c3R5bGUtaGFzaA=="};

// The JSON between the settings element's tags.
Json SettingsIn(const std::string& page) {
  const std::string open = "id=\"stepd-config\">";
  const size_t start = page.find(open);
  if (start == std::string::npos) return Json();
  const size_t end = page.find("</script>", start);
  return Json::parse(page.substr(start + open.size(), end - start - open.size()));
}

http::Request Get(std::string_view target, http::Headers headers = {}) {
  return http::MakeRequest("GET", target, "", std::move(headers));
}

class ConsoleLocal : public ::testing::Test {
 protected:
  CapturedResponse Dispatch(http::Request request, const ConsoleOptions& options = {}) {
    Console console(options, &authenticator_, kPage);
    http::Router router;
    console.AddRoutes(router);
    return http::testing::Dispatch(router, std::move(request));
  }

  FakeClock clock_{std::chrono::system_clock::now()};
  Authenticator authenticator_{AuthOptions{}, &clock_};
};

TEST_F(ConsoleLocal, ServesThePageWithItsSettingsToAnyone) {
  CapturedResponse answer = Dispatch(Get("/console/"));
  ASSERT_EQ(answer.status, 200);
  EXPECT_EQ(answer.headers.Get("Content-Type").value_or(""), "text/html; charset=utf-8");
  EXPECT_EQ(answer.body.find("__STEPD_CONSOLE_CONFIG__"), std::string::npos);
  EXPECT_EQ(SettingsIn(answer.body), Json::parse(std::string(R"({"version":")") + kVersion +
                                                 R"(","auth":{"mode":"none"}})"));
  EXPECT_EQ(answer.body.substr(0, 30), std::string(kTestPage).substr(0, 30));
}

TEST_F(ConsoleLocal, SendsHeadersThatKeepThePageToItself) {
  CapturedResponse answer = Dispatch(Get("/console/"));
  ASSERT_EQ(answer.status, 200);
  EXPECT_EQ(answer.headers.Get("Cache-Control").value_or(""), "no-store");
  EXPECT_EQ(answer.headers.Get("X-Content-Type-Options").value_or(""), "nosniff");
  EXPECT_EQ(answer.headers.Get("Referrer-Policy").value_or(""), "no-referrer");
  EXPECT_EQ(answer.headers.Get("X-Frame-Options").value_or(""), "DENY");
  EXPECT_EQ(answer.headers.Get("Content-Security-Policy").value_or(""),
            "default-src 'none'; script-src 'sha256-c2NyaXB0LWhhc2g='; "
            "style-src 'sha256-c3R5bGUtaGFzaA=='; img-src 'self' data:; connect-src 'self'; "
            "base-uri 'none'; form-action 'self'; frame-ancestors 'none'");
  EXPECT_FALSE(answer.headers.Has("WWW-Authenticate"));
}

TEST_F(ConsoleLocal, HeadAnswersLikeGet) {
  CapturedResponse answer = Dispatch(http::MakeRequest("HEAD", "/console/"));
  EXPECT_EQ(answer.status, 200);
  EXPECT_EQ(answer.headers.Get("Content-Type").value_or(""), "text/html; charset=utf-8");
  // The server leaves the body out of a HEAD answer, keeping its length.
  EXPECT_NE(answer.body.find("\"mode\":\"none\""), std::string::npos);
  EXPECT_EQ(Dispatch(http::MakeRequest("HEAD", "/console")).status, 308);
}

TEST_F(ConsoleLocal, TheFolderWithoutItsSlashRedirectsToIt) {
  CapturedResponse answer = Dispatch(Get("/console"));
  EXPECT_EQ(answer.status, 308);
  EXPECT_EQ(answer.headers.Get("Location").value_or(""), "/console/");
}

TEST_F(ConsoleLocal, AnyOtherPathUnderTheConsoleIsANotFoundProblem) {
  for (const char* target : {"/console/x", "/console/assets/app.js", "/console/index.html"}) {
    CapturedResponse answer = Dispatch(Get(target));
    EXPECT_EQ(answer.status, 404) << target;
    EXPECT_EQ(answer.headers.Get("Content-Type").value_or(""), "application/problem+json");
    Json problem = Json::parse(answer.body);
    EXPECT_EQ(problem["type"], "urn:stepd:problem:not-found");
    EXPECT_EQ(problem["instance"], target);
  }
  EXPECT_EQ(Dispatch(http::MakeRequest("POST", "/console/x", "{}")).status, 404);
  CapturedResponse post = Dispatch(http::MakeRequest("POST", "/console/", "{}"));
  EXPECT_EQ(post.status, 405);
  EXPECT_EQ(post.headers.Get("Allow").value_or(""), "GET, HEAD");
}

TEST_F(ConsoleLocal, DisabledItIsANotFoundProblemSayingSo) {
  ConsoleOptions options;
  options.enabled = false;
  for (const char* target : {"/console/", "/console"}) {
    CapturedResponse answer = Dispatch(Get(target), options);
    EXPECT_EQ(answer.status, 404) << target;
    EXPECT_EQ(answer.headers.Get("Content-Type").value_or(""), "application/problem+json");
    EXPECT_EQ(Json::parse(answer.body)["detail"],
              "the web console is disabled on this stepd (console.enabled is false)");
  }
}

TEST_F(ConsoleLocal, BuiltWithoutThePageItIsANotFoundProblemSayingSo) {
  Console console(ConsoleOptions{}, &authenticator_, ConsolePage{});
  EXPECT_FALSE(console.serving());
  http::Router router;
  console.AddRoutes(router);
  CapturedResponse answer = http::testing::Dispatch(router, Get("/console/"));
  EXPECT_EQ(answer.status, 404);
  EXPECT_EQ(Json::parse(answer.body)["detail"],
            "this stepd was built without the web console (-DSTEPD_CONSOLE=OFF)");
}

// --- With authentication ---------------------------------------------------------

class ConsoleWithOidc : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device rd;
    dir_ = std::filesystem::temp_directory_path() /
           ("stepd-console-test-" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(dir_);
    std::ofstream(dir_ / "jwks.json") << testing::JwksText({key_->PublicJwk()});
    auth_.oidc.issuer = kIssuer;
    auth_.oidc.audiences = {"stepd-console"};
    KeySetOptions key_options;
    key_options.jwks_file = (dir_ / "jwks.json").string();
    keys_ = KeySet::Create(key_options, nullptr, &clock_, nullptr).value();
    ASSERT_TRUE(keys_->LoadNow().ok());
    authenticator_ = std::make_unique<Authenticator>(auth_, &clock_, keys_.get());
    options_.oidc_client_id = "stepd-console";
  }
  void TearDown() override {
    authenticator_.reset();
    keys_->Stop();
    std::filesystem::remove_all(dir_);
  }

  std::string Token() const {
    const int64_t now =
        std::chrono::duration_cast<std::chrono::seconds>(clock_.Now().time_since_epoch()).count();
    return key_->Sign(
        JwtAlgorithm::kES256,
        {{"iss", kIssuer}, {"aud", "stepd-console"}, {"sub", "alice"}, {"exp", now + 600}});
  }
  CapturedResponse Dispatch(http::Request request) {
    Console console(options_, authenticator_.get(), kPage);
    http::Router router;
    console.AddRoutes(router);
    return http::testing::Dispatch(router, std::move(request));
  }

  const testing::TestKey* const key_ =
      &testing::SharedTestKey(testing::TestKeyType::kEcP256, "console");
  std::filesystem::path dir_;
  FakeClock clock_{std::chrono::system_clock::now()};
  AuthOptions auth_;
  ConsoleOptions options_;
  std::unique_ptr<KeySet> keys_;
  std::unique_ptr<Authenticator> authenticator_;
};

TEST_F(ConsoleWithOidc, WithoutACredentialAToolGetsTheRestApisProblem) {
  for (const char* accept : {"", "application/json", "*/*", "text/html;q=0"}) {
    http::Headers headers;
    if (*accept) headers.Set("Accept", accept);
    CapturedResponse answer = Dispatch(Get("/console/", headers));
    EXPECT_EQ(answer.status, 401) << accept;
    EXPECT_EQ(answer.headers.Get("WWW-Authenticate").value_or(""), "Bearer");
    EXPECT_EQ(answer.headers.Get("Content-Type").value_or(""), "application/problem+json")
        << accept;
    EXPECT_EQ(Json::parse(answer.body).value("type", ""), "urn:stepd:problem:unauthorized");
  }
}

TEST_F(ConsoleWithOidc, WithoutACredentialABrowserGetsThePageToSignInWith) {
  // Chromium's Accept when navigating, and the issuer sending the browser back.
  for (const char* target : {"/console/", "/console/?code=abc&state=xyz"}) {
    CapturedResponse answer =
        Dispatch(Get(target, {{"Accept",
                               "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,"
                               "image/webp,image/apng,*/*;q=0.8"}}));
    EXPECT_EQ(answer.status, 401) << target;
    EXPECT_EQ(answer.headers.Get("WWW-Authenticate").value_or(""), "Bearer");
    EXPECT_EQ(answer.headers.Get("Content-Type").value_or(""), "text/html; charset=utf-8");
    EXPECT_TRUE(answer.headers.Has("Content-Security-Policy"));
    EXPECT_EQ(SettingsIn(answer.body)["auth"]["mode"], "oidc") << target;
  }
  CapturedResponse bad = Dispatch(
      Get("/console/", {{"Accept", "TEXT/HTML; q=0.5"}, {"Authorization", "Bearer nonsense"}}));
  EXPECT_EQ(bad.status, 401);
  EXPECT_EQ(bad.headers.Get("Content-Type").value_or(""), "text/html; charset=utf-8");
}

TEST_F(ConsoleWithOidc, AValidTokenGetsThePage) {
  CapturedResponse answer = Dispatch(Get("/console/", {{"Authorization", "Bearer " + Token()}}));
  EXPECT_EQ(answer.status, 200);
  EXPECT_EQ(answer.headers.Get("Content-Type").value_or(""), "text/html; charset=utf-8");
  EXPECT_FALSE(answer.headers.Has("WWW-Authenticate"));
}

TEST_F(ConsoleWithOidc, TheSettingsTellThePageHowToSignInEscapedForTheScriptElement) {
  options_.oidc_scopes = "openid </script><script>alert(1)</script> & more";
  options_.oidc_audience = "https://api.example.com";
  options_.oidc_token = "access_token";
  CapturedResponse answer = Dispatch(Get("/console/", {{"Authorization", "Bearer " + Token()}}));
  ASSERT_EQ(answer.status, 200);
  EXPECT_EQ(answer.body.find("</script><script>"), std::string::npos);
  EXPECT_NE(answer.body.find("openid \\u003c/script\\u003e\\u003cscript\\u003ealert(1)"
                             "\\u003c/script\\u003e \\u0026 more"),
            std::string::npos);
  EXPECT_EQ(SettingsIn(answer.body)["auth"], Json::parse(R"({"mode": "oidc",
      "issuer": "https://idp.example.com:8443/realms/ops", "client_id": "stepd-console",
      "scopes": "openid </script><script>alert(1)</script> & more",
      "audience": "https://api.example.com", "token": "access_token"})"));
}

TEST_F(ConsoleWithOidc, ThePageMayConnectToTheIssuersOriginAndTheConfiguredOnes) {
  options_.connect_origins = {"https://oauth2.example.com"};
  CapturedResponse answer = Dispatch(Get("/console/", {{"Authorization", "Bearer " + Token()}}));
  const std::string csp(answer.headers.Get("Content-Security-Policy").value_or(""));
  EXPECT_NE(csp.find("; connect-src 'self' https://idp.example.com:8443 "
                     "https://oauth2.example.com; "),
            std::string::npos)
      << csp;
}

TEST_F(ConsoleWithOidc, WithoutAConsoleClientTheUserPastesAToken) {
  options_.oidc_client_id.clear();
  Console console(options_, authenticator_.get(), kPage);
  EXPECT_EQ(console.mode(), Console::Mode::kToken);
  EXPECT_EQ(Json::parse(console.settings_text())["auth"], Json::parse(R"({"mode": "token"})"));
}

TEST(ConsoleMode, AccessKeysAloneMeanPastedTokens) {
  FakeClock clock(std::chrono::system_clock::now());
  AuthOptions auth;
  auth.access_keys.push_back({"AKIDEXAMPLE000001", "secret-secret-secret", "ops", Role::kAdmin});
  Authenticator authenticator(auth, &clock);
  ConsoleOptions options;
  options.oidc_client_id = "stepd-console";  // no issuer: nowhere to sign in
  Console console(options, &authenticator, kPage);
  EXPECT_EQ(console.mode(), Console::Mode::kToken);
  EXPECT_EQ(console.content_security_policy().find("connect-src 'self';") != std::string::npos,
            true);
}

TEST(ConsoleOrigin, IsSchemeHostAndPortOfAnHttpUrl) {
  EXPECT_EQ(OriginOf("https://IdP.Example.com/realms/x?y#z"), "https://idp.example.com");
  EXPECT_EQ(OriginOf("http://127.0.0.1:5556"), "http://127.0.0.1:5556");
  EXPECT_EQ(OriginOf("https://[::1]:8443/a"), "https://[::1]:8443");
  EXPECT_EQ(OriginOf("ftp://example.com"), "");
  EXPECT_EQ(OriginOf("https://user@example.com/"), "");
  EXPECT_EQ(OriginOf("example.com"), "");
  EXPECT_EQ(OriginOf("HTTPS://idp.example.com:443"), "https://idp.example.com:443");
  EXPECT_EQ(OriginOf("https://idp.example.com:port/"), "");
  EXPECT_EQ(OriginOf("https://idp.example.com:0/"), "");
  EXPECT_EQ(OriginOf("https:///path"), "");
  EXPECT_EQ(OriginOf("https://idp example.com/"), "");
}

// The page the build compiled in: its settings placeholder appears once, and
// the hashes the CSP allows are those of its inline script and style (a
// mismatch would leave the console blank in every browser).
TEST(EmbeddedConsole, HashesMatchThePagesInlineScriptAndStyle) {
  const ConsolePage& page = EmbeddedConsolePage();
  if (page.html.empty()) GTEST_SKIP() << "built with -DSTEPD_CONSOLE=OFF";
  const std::string html(page.html);
  const size_t placeholder = html.find(kConsoleConfigPlaceholder);
  ASSERT_NE(placeholder, std::string::npos);
  EXPECT_EQ(html.find(kConsoleConfigPlaceholder, placeholder + 1), std::string::npos);
  auto inline_text = [&](const std::string& open, const std::string& close) {
    const size_t start = html.rfind(open);
    if (start == std::string::npos) return std::string();
    const size_t end = html.find(close, start);
    return html.substr(start + open.size(), end - start - open.size());
  };
  EXPECT_EQ(Base64Encode(Sha256(inline_text("<script>", "</script>"))), page.script_sha256);
  EXPECT_EQ(Base64Encode(Sha256(inline_text("<style>", "</style>"))), page.style_sha256);
}

}  // namespace
}  // namespace stepd::api
