#include "stepd/api/key_set.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <future>
#include <mutex>
#include <thread>

#include "http/http_testing.h"
#include "stepd/http/async_client.h"
#include "stepd/http/router.h"
#include "support/jwt_signer.h"

namespace stepd::api {
namespace {

using http::testing::TempDir;
using http::testing::TestServer;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::JwksText;
using ::testing::Not;
using testing::TestKey;
using testing::TestKeyType;
using namespace std::chrono_literals;

const TestKey& KeyA() {
  static const TestKey key = TestKey::Generate(TestKeyType::kEcP256, "a");
  return key;
}
const TestKey& KeyB() {
  static const TestKey key = TestKey::Generate(TestKeyType::kEd25519, "b");
  return key;
}

// An identity provider on 127.0.0.1: /idp/.well-known/openid-configuration
// and /idp/jwks, answering what the test sets, counting requests.
class FakeIdp {
 public:
  FakeIdp() : state_(std::make_shared<State>()) {
    auto router = std::make_shared<http::Router>();
    router->Add("GET", "/idp/jwks", [state = state_](const http::Request&, http::Responder r) {
      std::lock_guard<std::mutex> lock(state->mu);
      ++state->jwks_requests;
      if (state->hang) {
        state->held.push_back(std::move(r));
        return;
      }
      http::Response response = http::Response::Json(state->jwks_status, state->jwks);
      if (!state->cache_control.empty())
        response.headers.Set("Cache-Control", state->cache_control);
      r.Send(std::move(response));
    });
    router->Add("GET", "/idp/.well-known/openid-configuration",
                [state = state_](const http::Request&, http::Responder r) {
                  std::lock_guard<std::mutex> lock(state->mu);
                  ++state->discovery_requests;
                  r.Send(http::Response::Json(200, state->discovery));
                });
    server_ = std::make_unique<TestServer>(std::move(router));
    SetJwks(JwksText({KeyA().PublicJwk()}));
    SetDiscovery(issuer(), Url("/idp/jwks"));
  }

  // Answers the requests held by Hang() (they would keep the server, and
  // through its handlers this state, alive), then stops the server.
  ~FakeIdp() {
    std::vector<http::Responder> held;
    {
      std::lock_guard<std::mutex> lock(state_->mu);
      held.swap(state_->held);
    }
    for (const http::Responder& r : held) r.Send(http::Response::Json(503, "{}"));
    held.clear();
    server_.reset();
  }

  std::string Url(std::string_view path) const { return server_->Url(path); }
  std::string issuer() const { return Url("/idp"); }

  void SetJwks(std::string body, int status = 200, std::string cache_control = "") {
    std::lock_guard<std::mutex> lock(state_->mu);
    state_->jwks = std::move(body);
    state_->jwks_status = status;
    state_->cache_control = std::move(cache_control);
  }
  void SetDiscovery(const std::string& issuer, const std::string& jwks_uri) {
    std::lock_guard<std::mutex> lock(state_->mu);
    state_->discovery = Json{{"issuer", issuer}, {"jwks_uri", jwks_uri}}.dump();
  }
  // JWKS requests are held unanswered.
  void Hang() {
    std::lock_guard<std::mutex> lock(state_->mu);
    state_->hang = true;
  }
  int jwks_requests() const {
    std::lock_guard<std::mutex> lock(state_->mu);
    return state_->jwks_requests;
  }
  int discovery_requests() const {
    std::lock_guard<std::mutex> lock(state_->mu);
    return state_->discovery_requests;
  }
  // True when no JWKS request beyond the `n` seen arrives within a moment.
  bool NoMoreJwksRequestsThan(int n) const {
    std::this_thread::sleep_for(100ms);
    return jwks_requests() == n;
  }
  // Polls until `n` JWKS requests arrived.
  bool WaitForJwksRequests(int n) const {
    for (int i = 0; i < 1000 && jwks_requests() < n; ++i) std::this_thread::sleep_for(10ms);
    return jwks_requests() >= n;
  }

 private:
  struct State {
    std::mutex mu;
    std::string jwks, discovery, cache_control;
    int jwks_status = 200;
    bool hang = false;
    std::vector<http::Responder> held;
    int jwks_requests = 0, discovery_requests = 0;
  };
  std::shared_ptr<State> state_;
  std::unique_ptr<TestServer> server_;
};

class KeySetTest : public ::testing::Test {
 protected:
  KeySetTest()
      : clock_(TimePoint(std::chrono::hours(24 * 365 * 50))),
        log_(std::make_shared<std::ostringstream>()) {
    auto client = http::AsyncClient::Create({});
    EXPECT_TRUE(client.ok()) << client.status();
    client_ = std::move(client).value();
  }

  std::unique_ptr<KeySet> Make(KeySetOptions options) {
    auto keys = KeySet::Create(std::move(options), client_.get(), &clock_,
                               http::testing::MakeCapturingLogger(log_));
    EXPECT_TRUE(keys.ok()) << keys.status();
    return keys.ok() ? std::move(keys).value() : nullptr;
  }

  KeySetOptions FromUri() {
    KeySetOptions options;
    options.jwks_uri = idp_.Url("/idp/jwks");
    return options;
  }

  // RefreshForUnknownKey, waited for.
  bool RefreshForUnknownKey(KeySet& keys) {
    std::promise<bool> refreshed;
    keys.RefreshForUnknownKey([&refreshed](bool r) { refreshed.set_value(r); });
    auto future = refreshed.get_future();
    if (future.wait_for(30s) != std::future_status::ready) {
      ADD_FAILURE() << "RefreshForUnknownKey never called back";
      return false;
    }
    return future.get();
  }

  // Polls Current() until `pred` holds for it.
  template <typename Pred>
  bool WaitForCurrent(KeySet& keys, Pred pred) {
    for (int i = 0; i < 1000; ++i) {
      auto set = keys.Current();
      if (set && pred(*set)) return true;
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }

  std::string Log() const { return log_->str(); }

  FakeClock clock_;
  std::shared_ptr<std::ostringstream> log_;
  FakeIdp idp_;
  std::unique_ptr<http::AsyncClient> client_;
};

std::string Failure(StatusOr<std::unique_ptr<KeySet>> created) {
  return created.ok() ? "ok" : created.status().ToString();
}

// --- configuration ---------------------------------------------------------

TEST_F(KeySetTest, CreateNeedsOneSourceOfAnAllowedSchemeAndAClientForUrls) {
  FakeClock clock;
  auto create = [&](KeySetOptions options, http::AsyncClient* client) {
    return Failure(KeySet::Create(std::move(options), client, &clock, nullptr));
  };
  EXPECT_EQ(create({}, client_.get()),
            "INVALID_ARGUMENT: a key set needs a jwks_file, a jwks_uri or an issuer");
  EXPECT_EQ(create({.jwks_uri = "http://idp.example.com/jwks"}, client_.get()),
            "INVALID_ARGUMENT: jwks_uri must be an https:// URL, or http:// to a loopback "
            "address: http://idp.example.com/jwks");
  EXPECT_EQ(create({.jwks_uri = "ftp://127.0.0.1/jwks"}, client_.get()),
            "INVALID_ARGUMENT: jwks_uri must be an https:// URL, or http:// to a loopback "
            "address: ftp://127.0.0.1/jwks");
  EXPECT_EQ(create({.issuer = "http://10.0.0.1/realms/x"}, client_.get()),
            "INVALID_ARGUMENT: the issuer (for discovery) must be an https:// URL, or http:// to "
            "a loopback address: http://10.0.0.1/realms/x");
  EXPECT_EQ(create({.jwks_uri = "https://idp.example.com/jwks"}, nullptr),
            "INVALID_ARGUMENT: a key set fetched over HTTP needs a client");
  EXPECT_EQ(create({.jwks_uri = "https://idp.example.com/jwks"}, client_.get()), "ok");
  EXPECT_EQ(create({.jwks_uri = "http://localhost:8080/jwks"}, client_.get()), "ok");
  EXPECT_EQ(create({.jwks_uri = "http://127.0.0.2/jwks"}, client_.get()), "ok");
  EXPECT_EQ(create({.jwks_uri = "http://[::1]:9/jwks"}, client_.get()), "ok");
  EXPECT_EQ(create({.jwks_file = "/nonexistent/jwks.json"}, nullptr), "ok");
  EXPECT_EQ(Failure(KeySet::Create({.jwks_file = "x"}, nullptr, nullptr, nullptr)),
            "INVALID_ARGUMENT: a key set needs a clock");
}

TEST_F(KeySetTest, HoldsNothingBeforeTheFirstLoad) {
  auto keys = Make(FromUri());
  EXPECT_EQ(idp_.jwks_requests(), 0);  // Create does not fetch
  EXPECT_EQ(keys->stats().loads, 0u);
}

// --- a local file ----------------------------------------------------------

void WriteFile(const std::filesystem::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

TEST_F(KeySetTest, LoadsAFileAndRotatesWhenItChangesWithoutRestart) {
  TempDir dir;
  const auto path = dir.path() / "jwks.json";
  WriteFile(path, JwksText({KeyA().PublicJwk()}));
  auto keys = Make({.jwks_file = path.string()});
  ASSERT_EQ(keys->LoadNow(), Status::OK());
  auto first = keys->Current();
  ASSERT_NE(first, nullptr);
  EXPECT_THAT(first->kids(), ElementsAre("a"));

  // Unchanged file: the same set, not parsed again.
  clock_.Advance(3601s);
  EXPECT_EQ(keys->Current(), first);
  EXPECT_EQ(keys->stats().loads, 2u);

  // Replaced: the next refresh reads it; no fetch in flight to wait for.
  WriteFile(path, JwksText({KeyA().PublicJwk(), KeyB().PublicJwk()}));
  EXPECT_EQ(keys->Current(), first);  // not stale yet
  clock_.Advance(3601s);
  EXPECT_THAT(keys->Current()->kids(), ElementsAre("a", "b"));

  // An unknown kid refreshes it too (inline).
  WriteFile(path, JwksText({KeyB().PublicJwk()}));
  clock_.Advance(31s);
  EXPECT_TRUE(RefreshForUnknownKey(*keys));
  EXPECT_THAT(keys->Current()->kids(), ElementsAre("b"));
  EXPECT_EQ(keys->stats().failures, 0u);
}

TEST_F(KeySetTest, ABrokenFileKeepsTheKeysItHad) {
  TempDir dir;
  const auto path = dir.path() / "jwks.json";
  WriteFile(path, JwksText({KeyA().PublicJwk()}));
  auto keys = Make({.jwks_file = path.string()});
  ASSERT_EQ(keys->LoadNow(), Status::OK());
  WriteFile(path, "{\"keys\": [");
  clock_.Advance(3601s);
  EXPECT_THAT(keys->Current()->kids(), ElementsAre("a"));
  EXPECT_EQ(keys->stats().failures, 1u);
  EXPECT_THAT(Log(), HasSubstr("keeping 1 keys"));
  std::filesystem::remove(path);
  EXPECT_THAT(keys->LoadNow().ToString(), HasSubstr("UNAVAILABLE: jwks_file "));
}

// --- a JWKS URL ------------------------------------------------------------

TEST_F(KeySetTest, LoadsFromAUrl) {
  auto keys = Make(FromUri());
  ASSERT_EQ(keys->LoadNow(), Status::OK());
  ASSERT_NE(keys->Current(), nullptr);
  EXPECT_THAT(keys->Current()->kids(), ElementsAre("a"));
  EXPECT_EQ(idp_.jwks_requests(), 1);
  EXPECT_EQ(keys->stats().loads, 1u);
  EXPECT_THAT(Log(),
              HasSubstr("OIDC keys loaded from jwks_uri " + idp_.Url("/idp/jwks") + ": 1 keys"));
}

TEST_F(KeySetTest, RefusesANon200AnOversizeOrANonJsonAnswer) {
  idp_.SetJwks("{\"message\": \"no\"}", 404);
  auto keys = Make(FromUri());
  EXPECT_EQ(keys->LoadNow().ToString(),
            "UNAVAILABLE: fetching " + idp_.Url("/idp/jwks") + ": HTTP status 404");

  idp_.SetJwks("<html>not json</html>");
  EXPECT_THAT(keys->LoadNow().ToString(),
              HasSubstr("INVALID_ARGUMENT: JWKS from " + idp_.Url("/idp/jwks") + ": invalid JSON"));

  idp_.SetJwks(R"({"keys": []})");
  EXPECT_EQ(keys->LoadNow().ToString(), "INVALID_ARGUMENT: JWKS from " + idp_.Url("/idp/jwks") +
                                            ": the JWKS holds no usable signing key");

  const std::string jwks = JwksText({KeyA().PublicJwk()});
  idp_.SetJwks(jwks);
  KeySetOptions small = FromUri();
  small.max_document_bytes = jwks.size() - 1;
  auto small_keys = Make(small);
  EXPECT_EQ(small_keys->LoadNow().ToString(),
            "RESOURCE_EXHAUSTED: fetching " + idp_.Url("/idp/jwks") + ": " +
                std::to_string(jwks.size()) + " bytes, over the limit of " +
                std::to_string(jwks.size() - 1));
  EXPECT_EQ(small_keys->Current(), nullptr);
  EXPECT_EQ(keys->stats().failures, 3u);
  EXPECT_EQ(keys->Current(), nullptr);  // retried later, not now
}

TEST_F(KeySetTest, AFailedRefreshKeepsTheOldKeysAndRetriesLater) {
  auto keys = Make(FromUri());
  ASSERT_EQ(keys->LoadNow(), Status::OK());
  auto first = keys->Current();
  idp_.SetJwks("oops", 500);
  clock_.Advance(3601s);
  EXPECT_EQ(keys->Current(), first);
  ASSERT_TRUE(idp_.WaitForJwksRequests(2));
  for (int i = 0; i < 1000 && keys->stats().failures == 0; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(keys->stats().failures, 1u);
  EXPECT_EQ(keys->Current(), first);
  EXPECT_THAT(Log(), HasSubstr("OIDC key refresh from jwks_uri " + idp_.Url("/idp/jwks") +
                               " failed, keeping 1 keys: UNAVAILABLE"));
  EXPECT_THAT(Log(), Not(HasSubstr(KeyA().PublicJwk()["x"].get<std::string>())));

  // Not again before retry_interval; then again.
  clock_.Advance(29s);
  keys->Current();
  EXPECT_TRUE(idp_.NoMoreJwksRequestsThan(2));
  idp_.SetJwks(JwksText({KeyB().PublicJwk()}));
  clock_.Advance(2s);
  keys->Current();
  EXPECT_TRUE(WaitForCurrent(*keys, [](const Jwks& set) { return set.contains("b"); }));
  EXPECT_EQ(idp_.jwks_requests(), 3);
}

TEST_F(KeySetTest, RefreshesAStaleSetInTheBackground) {
  auto keys = Make(FromUri());
  ASSERT_EQ(keys->LoadNow(), Status::OK());
  auto first = keys->Current();
  idp_.SetJwks(JwksText({KeyB().PublicJwk()}));
  clock_.Advance(3599s);
  EXPECT_EQ(keys->Current(), first);
  EXPECT_TRUE(idp_.NoMoreJwksRequestsThan(1));
  clock_.Advance(1s);
  EXPECT_EQ(keys->Current(), first);  // the old set meanwhile
  EXPECT_TRUE(WaitForCurrent(*keys, [](const Jwks& set) { return set.contains("b"); }));
  EXPECT_EQ(idp_.jwks_requests(), 2);
  EXPECT_EQ(keys->stats().loads, 2u);
}

TEST_F(KeySetTest, HonoursAShorterMaxAgeButNotAShorterThanTheRetryInterval) {
  idp_.SetJwks(JwksText({KeyA().PublicJwk()}), 200, "public, max-age=120");
  auto keys = Make(FromUri());
  ASSERT_EQ(keys->LoadNow(), Status::OK());
  clock_.Advance(119s);
  keys->Current();
  EXPECT_TRUE(idp_.NoMoreJwksRequestsThan(1));
  idp_.SetJwks(JwksText({KeyA().PublicJwk()}), 200, "max-age=0");
  clock_.Advance(1s);
  keys->Current();
  ASSERT_TRUE(idp_.WaitForJwksRequests(2));
  for (int i = 0; i < 1000 && keys->stats().loads < 2; ++i) std::this_thread::sleep_for(10ms);
  // max-age=0: the retry interval (30 s) is the floor.
  clock_.Advance(29s);
  keys->Current();
  EXPECT_TRUE(idp_.NoMoreJwksRequestsThan(2));
  idp_.SetJwks(JwksText({KeyA().PublicJwk()}), 200, "max-age=999999");
  clock_.Advance(1s);
  keys->Current();
  ASSERT_TRUE(idp_.WaitForJwksRequests(3));
  for (int i = 0; i < 1000 && keys->stats().loads < 3; ++i) std::this_thread::sleep_for(10ms);
  // A longer max-age does not stretch the refresh interval.
  clock_.Advance(3600s);
  keys->Current();
  EXPECT_TRUE(idp_.WaitForJwksRequests(4));
}

// --- unknown kids ----------------------------------------------------------

TEST_F(KeySetTest, ANewKidAtTheIdpIsAcceptedAfterRefreshForUnknownKey) {
  auto keys = Make(FromUri());
  ASSERT_EQ(keys->LoadNow(), Status::OK());
  JwtPolicy policy;
  policy.issuer = "https://idp.example.com";
  const int64_t now =
      std::chrono::duration_cast<std::chrono::seconds>(clock_.Now().time_since_epoch()).count();
  const std::string token = KeyB().Sign(
      JwtAlgorithm::kEdDSA, {{"iss", policy.issuer}, {"sub", "ada"}, {"exp", now + 600}});
  auto before = VerifyJwt(token, *keys->Current(), policy, now);
  ASSERT_TRUE(std::holds_alternative<JwtError>(before));
  EXPECT_EQ(std::get<JwtError>(before).failure, JwtFailure::kUnknownKey);

  idp_.SetJwks(JwksText({KeyA().PublicJwk(), KeyB().PublicJwk()}));
  clock_.Advance(30s);
  EXPECT_TRUE(RefreshForUnknownKey(*keys));
  auto after = VerifyJwt(token, *keys->Current(), policy, now);
  EXPECT_TRUE(std::holds_alternative<VerifiedJwt>(after));
  EXPECT_EQ(idp_.jwks_requests(), 2);
}

TEST_F(KeySetTest, RefreshForUnknownKeyIsRateLimitedIncludingRightAfterALoad) {
  auto keys = Make(FromUri());
  ASSERT_EQ(keys->LoadNow(), Status::OK());
  clock_.Advance(29s);
  EXPECT_FALSE(RefreshForUnknownKey(*keys));
  EXPECT_EQ(keys->stats().rate_limited, 1u);
  EXPECT_TRUE(idp_.NoMoreJwksRequestsThan(1));
}

TEST_F(KeySetTest, AFloodOfUnknownKidsFetchesOnce) {
  auto keys = Make(FromUri());
  ASSERT_EQ(keys->LoadNow(), Status::OK());
  clock_.Advance(31s);

  constexpr int kCalls = 1000;
  std::atomic<int> refreshed{0}, refused{0};
  std::promise<void> all_done;
  std::atomic<int> remaining{kCalls};
  auto done = [&](bool r) {
    (r ? refreshed : refused)++;
    if (--remaining == 0) all_done.set_value();
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kCalls / 4; ++i) keys->RefreshForUnknownKey(done);
    });
  }
  for (auto& thread : threads) thread.join();
  ASSERT_EQ(all_done.get_future().wait_for(30s), std::future_status::ready);

  EXPECT_TRUE(idp_.NoMoreJwksRequestsThan(2));  // the load, and one refresh
  EXPECT_GE(refreshed.load(), 1);               // the one that started it, and those that joined
  EXPECT_EQ(refreshed + refused, kCalls);
  EXPECT_EQ(keys->stats().rate_limited, static_cast<uint64_t>(refused.load()));
  EXPECT_EQ(keys->stats().loads, 2u);

  // The next interval allows exactly one more.
  clock_.Advance(30s);
  EXPECT_TRUE(RefreshForUnknownKey(*keys));
  EXPECT_FALSE(RefreshForUnknownKey(*keys));
  EXPECT_TRUE(idp_.NoMoreJwksRequestsThan(3));
}

// --- discovery -------------------------------------------------------------

TEST_F(KeySetTest, DiscoversTheJwksUriFromTheIssuer) {
  auto keys = Make({.issuer = idp_.issuer()});
  ASSERT_EQ(keys->LoadNow(), Status::OK());
  EXPECT_THAT(keys->Current()->kids(), ElementsAre("a"));
  EXPECT_EQ(idp_.discovery_requests(), 1);
  EXPECT_EQ(idp_.jwks_requests(), 1);

  auto trailing_slash = Make({.issuer = idp_.issuer() + "/"});
  // The document names the issuer without the slash: not the same issuer.
  EXPECT_EQ(trailing_slash->LoadNow().ToString(),
            "INVALID_ARGUMENT: discovery document from " + idp_.issuer() +
                "/.well-known/openid-configuration does not name the configured issuer exactly");
  EXPECT_EQ(idp_.discovery_requests(), 2);
  EXPECT_EQ(idp_.jwks_requests(), 1);
}

TEST_F(KeySetTest, RefusesADiscoveryDocumentOfAnotherIssuerOrAnUnsafeJwksUri) {
  auto keys = Make({.issuer = idp_.issuer()});
  idp_.SetDiscovery("https://evil.example.com/idp", idp_.Url("/idp/jwks"));
  EXPECT_EQ(keys->LoadNow().ToString(),
            "INVALID_ARGUMENT: discovery document from " + idp_.issuer() +
                "/.well-known/openid-configuration does not name the configured issuer exactly");
  idp_.SetDiscovery(idp_.issuer(), "http://evil.example.com/jwks");
  EXPECT_EQ(keys->LoadNow().ToString(),
            "INVALID_ARGUMENT: the discovered jwks_uri must be an https:// URL, or http:// to a "
            "loopback address: http://evil.example.com/jwks");
  EXPECT_EQ(idp_.jwks_requests(), 0);
  EXPECT_EQ(keys->Current(), nullptr);
}

// --- stopping --------------------------------------------------------------

TEST_F(KeySetTest, StopCancelsAFetchInFlightAndRefusesLaterWork) {
  idp_.Hang();
  auto keys = Make(FromUri());
  auto load = std::async(std::launch::async, [&] { return keys->LoadNow(); });
  ASSERT_TRUE(idp_.WaitForJwksRequests(1));
  keys->Stop();
  ASSERT_EQ(load.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(load.get().code(), StatusCode::kCancelled);
  EXPECT_EQ(keys->LoadNow().code(), StatusCode::kCancelled);
  bool called = false, refreshed = true;
  keys->RefreshForUnknownKey([&](bool r) {
    called = true;
    refreshed = r;
  });
  EXPECT_TRUE(called);
  EXPECT_FALSE(refreshed);
  EXPECT_EQ(keys->Current(), nullptr);
  EXPECT_EQ(idp_.jwks_requests(), 1);
}

}  // namespace
}  // namespace stepd::api
