#include "stepd/api/metrics_endpoint.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "stepd/api/key_set.h"
#include "stepd/http/testing.h"
#include "support/jwt_signer.h"

namespace stepd::api {
namespace {

using http::testing::CapturedResponse;
using ::testing::HasSubstr;

constexpr char kIssuer[] = "https://idp.example.com/realms/ops";

http::Request Get(http::Headers headers = {}) {
  return http::MakeRequest("GET", "/metrics", "", std::move(headers));
}

metrics::Registry& SampleRegistry() {
  static metrics::Registry* registry = [] {
    auto* r = new metrics::Registry();
    r->AddCounter("stepd_test_total", "A test counter.", {"k"}).With({"v"}).Increment(3);
    AddProcessMetrics(*r);
    return r;
  }();
  return *registry;
}

CapturedResponse Dispatch(const Authenticator& authenticator, http::Request request,
                          MetricsOptions options = {}) {
  http::Router router;
  AddMetricsRoute(router, options, &SampleRegistry(), &authenticator);
  return http::testing::Dispatch(router, std::move(request));
}

TEST(MetricsEndpoint, LocalModeServesThePrometheusTextToAnyone) {
  FakeClock clock;
  Authenticator authenticator(AuthOptions{}, &clock);
  CapturedResponse answer = Dispatch(authenticator, Get());
  EXPECT_EQ(answer.status, 200);
  EXPECT_EQ(answer.headers.Get("Content-Type").value_or(""),
            "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(answer.headers.Get("Cache-Control").value_or(""), "no-store");
  EXPECT_THAT(answer.body, HasSubstr("stepd_test_total{k=\"v\"} 3\n"));
  EXPECT_THAT(answer.body, HasSubstr("stepd_build_info{version=\""));
  EXPECT_THAT(answer.body, HasSubstr("# TYPE process_open_fds gauge\n"));
  EXPECT_EQ(Dispatch(authenticator, http::MakeRequest("HEAD", "/metrics")).status, 200);
}

class MetricsWithOidc : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device rd;
    dir_ = std::filesystem::temp_directory_path() /
           ("stepd-metrics-test-" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(dir_);
    std::ofstream(dir_ / "jwks.json") << testing::JwksText({key_->PublicJwk()});
    auth_.oidc.issuer = kIssuer;
    auth_.oidc.audiences = {"stepd"};
    RoleBinding scoped;
    scoped.kind = RoleBinding::Kind::kSubject;
    scoped.value = "scoped-bob";
    scoped.role = Role::kOperator;
    scoped.state_machines = {"etl-*"};
    auth_.bindings.push_back(scoped);
    KeySetOptions key_options;
    key_options.jwks_file = (dir_ / "jwks.json").string();
    keys_ = KeySet::Create(key_options, nullptr, &clock_, nullptr).value();
    ASSERT_TRUE(keys_->LoadNow().ok());
    authenticator_ = std::make_unique<Authenticator>(auth_, &clock_, keys_.get());
  }
  void TearDown() override {
    authenticator_.reset();
    keys_->Stop();
    std::filesystem::remove_all(dir_);
  }
  http::Headers Bearer(const std::string& subject) const {
    const int64_t now =
        std::chrono::duration_cast<std::chrono::seconds>(clock_.Now().time_since_epoch()).count();
    return {{"Authorization",
             "Bearer " + key_->Sign(JwtAlgorithm::kES256, {{"iss", kIssuer},
                                                           {"aud", "stepd"},
                                                           {"sub", subject},
                                                           {"exp", now + 600}})}};
  }

  const testing::TestKey* const key_ =
      &testing::SharedTestKey(testing::TestKeyType::kEcP256, "metrics");
  std::filesystem::path dir_;
  FakeClock clock_{std::chrono::system_clock::now()};
  AuthOptions auth_;
  std::unique_ptr<KeySet> keys_;
  std::unique_ptr<Authenticator> authenticator_;
};

TEST_F(MetricsWithOidc, WithoutACredentialItIs401WithAProblem) {
  CapturedResponse answer = Dispatch(*authenticator_, Get());
  EXPECT_EQ(answer.status, 401);
  EXPECT_EQ(answer.headers.Get("WWW-Authenticate").value_or(""), "Bearer");
  EXPECT_EQ(answer.headers.Get("Content-Type").value_or(""), "application/problem+json");
  EXPECT_THAT(answer.body, ::testing::Not(HasSubstr("stepd_test_total")));
  EXPECT_EQ(Dispatch(*authenticator_, Get({{"Authorization", "Bearer junk"}})).status, 401);
}

TEST_F(MetricsWithOidc, AReaderOfEverythingGetsThem) {
  // No binding: the default role, viewer of everything.
  CapturedResponse answer = Dispatch(*authenticator_, Get(Bearer("alice")));
  EXPECT_EQ(answer.status, 200);
  EXPECT_THAT(answer.body, HasSubstr("stepd_test_total{k=\"v\"} 3\n"));
}

TEST_F(MetricsWithOidc, ARoleLimitedToSomeStateMachinesIsRefused) {
  CapturedResponse answer = Dispatch(*authenticator_, Get(Bearer("scoped-bob")));
  EXPECT_EQ(answer.status, 403);
  EXPECT_THAT(answer.body, HasSubstr("read permission on every state machine"));
}

TEST_F(MetricsWithOidc, OpenMetricsNeedNoCredential) {
  MetricsOptions open;
  open.open = true;
  EXPECT_EQ(Dispatch(*authenticator_, Get(), open).status, 200);
}

}  // namespace
}  // namespace stepd::api
