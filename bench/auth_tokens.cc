// What checking a credential costs per request, with the key already cached:
// VerifyJwt for each algorithm, and the whole Authenticator (header, token,
// bindings) for an OIDC token, as medians of rounds. With --mint DIR it instead writes DIR/jwks.json and DIR/token
// (an ES256 or RS256 token valid for an hour) for bench/authenticated-start.
//
// Usage: stepd_auth_bench [ROUNDS] [ITERATIONS]
//        stepd_auth_bench --mint DIR [ES256|RS256]

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "stepd/api/auth.h"
#include "stepd/api/jwt.h"
#include "stepd/api/key_set.h"
#include "stepd/base/clock.h"
#include "support/jwt_signer.h"

namespace {

using stepd::Json;
using stepd::api::JwtAlgorithm;
using stepd::api::testing::JwksText;
using stepd::api::testing::TestKey;
using stepd::api::testing::TestKeyType;

constexpr char kIssuer[] = "https://idp.example.com";

int64_t NowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Json Claims() {
  const int64_t now = NowSeconds();
  return {{"iss", kIssuer},   {"aud", "stepd"},         {"sub", "bench-user"},
          {"iat", now},       {"exp", now + 3600},      {"email", "bench@example.com"},
          {"groups", {"ops"}}};
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

// Median over `rounds` of the mean microseconds per call of `f`.
template <typename F>
double MicrosPerCall(int rounds, int iterations, F&& f) {
  std::vector<double> per_round;
  for (int r = 0; r < rounds; ++r) {
    auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < iterations; ++i) f();
    std::chrono::duration<double, std::micro> took = std::chrono::steady_clock::now() - start;
    per_round.push_back(took.count() / iterations);
  }
  return Median(per_round);
}

int Mint(const std::string& dir, const std::string& alg_name) {
  const bool rsa = alg_name == "RS256";
  TestKey key = TestKey::Generate(rsa ? TestKeyType::kRsa2048 : TestKeyType::kEcP256, "bench");
  std::ofstream(dir + "/jwks.json") << JwksText({key.PublicJwk()});
  std::ofstream(dir + "/token") << key.Sign(rsa ? JwtAlgorithm::kRS256 : JwtAlgorithm::kES256,
                                            Claims());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 3 && std::string(argv[1]) == "--mint") {
    return Mint(argv[2], argc >= 4 ? argv[3] : "ES256");
  }
  const int rounds = argc > 1 ? std::stoi(argv[1]) : 5;
  const int iterations = argc > 2 ? std::stoi(argv[2]) : 2000;

  struct Case {
    const char* name;
    JwtAlgorithm alg;
    TestKeyType type;
  };
  const Case cases[] = {
      {"RS256 (RSA 2048)", JwtAlgorithm::kRS256, TestKeyType::kRsa2048},
      {"RS256 (RSA 3072)", JwtAlgorithm::kRS256, TestKeyType::kRsa3072},
      {"PS256 (RSA 2048)", JwtAlgorithm::kPS256, TestKeyType::kRsa2048},
      {"ES256 (P-256)", JwtAlgorithm::kES256, TestKeyType::kEcP256},
      {"ES384 (P-384)", JwtAlgorithm::kES384, TestKeyType::kEcP384},
      {"EdDSA (Ed25519)", JwtAlgorithm::kEdDSA, TestKeyType::kEd25519},
  };
  std::printf("Credential checks with a cached key: median of %d rounds x %d calls, one thread\n",
              rounds, iterations);
  stepd::api::JwtPolicy policy;
  policy.issuer = kIssuer;
  policy.audiences = {"stepd"};
  for (const Case& c : cases) {
    TestKey key = TestKey::Generate(c.type, "k");
    auto jwks = stepd::api::Jwks::Parse(JwksText({key.PublicJwk()}));
    if (!jwks.ok()) {
      std::fprintf(stderr, "%s: %s\n", c.name, jwks.status().ToString().c_str());
      return 1;
    }
    const std::string token = key.Sign(c.alg, Claims());
    const int64_t now = NowSeconds();
    bool ok = true;
    const double us = MicrosPerCall(rounds, iterations, [&] {
      ok &= std::holds_alternative<stepd::api::VerifiedJwt>(
          stepd::api::VerifyJwt(token, **jwks, policy, now));
    });
    if (!ok) {
      std::fprintf(stderr, "%s: the token was refused\n", c.name);
      return 1;
    }
    std::printf("  VerifyJwt %-18s %8.1f us/token  (%7.0f tokens/s per core)\n", c.name, us,
                1e6 / us);
  }

  // The whole Authenticator for a request: OIDC (ES256) and SigV4.
  TestKey key = TestKey::Generate(TestKeyType::kEcP256, "k");
  const std::string dir = "/tmp";
  const std::string jwks_path = dir + "/stepd-auth-bench-jwks.json";
  std::ofstream(jwks_path) << JwksText({key.PublicJwk()});
  stepd::api::KeySetOptions key_options;
  key_options.jwks_file = jwks_path;
  auto keys = stepd::api::KeySet::Create(key_options, nullptr, stepd::SystemClock::Default(),
                                         nullptr);
  if (!keys.ok() || !(*keys)->LoadNow().ok()) {
    std::fprintf(stderr, "cannot load the key set\n");
    return 1;
  }
  stepd::api::AuthOptions auth;
  auth.oidc.issuer = kIssuer;
  auth.oidc.audiences = {"stepd"};
  auth.bindings = {{stepd::api::RoleBinding::Kind::kGroup, "ops", stepd::api::Role::kOperator, {}}};
  auth.access_keys.push_back({"AKIDBENCH000000001", "bench-secret", "", std::nullopt});
  stepd::api::Authenticator authenticator(auth, stepd::SystemClock::Default(), keys->get());
  stepd::http::Request request;
  request.method = "POST";
  request.target = request.path = "/";
  request.headers.Add("Host", "127.0.0.1:8080");
  request.headers.Add("X-Amz-Target", "AWSStepFunctions.StartExecution");
  request.headers.Add("Content-Type", "application/x-amz-json-1.0");
  request.body = R"({"stateMachineArn":"arn:aws:states:us-east-1:123456789012:stateMachine:b"})";
  request.body_size = request.body.size();
  // Each request a token not seen before (the signature is checked), then
  // one token over and over (remembered after its first check).
  std::vector<stepd::http::Request> fresh;
  for (int i = 0; i < rounds * iterations; ++i) {
    Json claims = Claims();
    claims["jti"] = std::to_string(i);
    fresh.push_back(request);
    fresh.back().headers.Add("Authorization", "Bearer " + key.Sign(JwtAlgorithm::kES256, claims));
  }
  bool ok = true;
  size_t next = 0;
  const double fresh_us = MicrosPerCall(rounds, iterations, [&] {
    ok &= authenticator.Authenticate(fresh[next++]).principal.has_value();
  });
  stepd::http::Request oidc = request;
  oidc.headers.Add("Authorization", "Bearer " + key.Sign(JwtAlgorithm::kES256, Claims()));
  const double oidc_us = MicrosPerCall(rounds, iterations, [&] {
    ok &= authenticator.Authenticate(oidc).principal.has_value();
  });
  std::printf("  Authenticator, ES256, a new token each request %8.1f us/request\n", fresh_us);
  std::printf("  Authenticator, ES256, the same token again     %8.1f us/request\n", oidc_us);
  (*keys)->Stop();
  std::remove(jwks_path.c_str());
  if (!ok) {
    std::fprintf(stderr, "the OIDC request was refused\n");
    return 1;
  }
  return 0;
}
