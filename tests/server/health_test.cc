#include "stepd/server/health.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "stepd/http/testing.h"

namespace stepd::server {
namespace {

struct Fixture {
  std::shared_ptr<Readiness> readiness =
      std::make_shared<Readiness>(std::vector<std::string>{"database", "migrations", "recovery"});
  http::Router router;
  Fixture() { AddHealthRoutes(router, readiness); }
  http::testing::CapturedResponse Get(std::string_view path) {
    return http::testing::Dispatch(router, http::MakeRequest("GET", path));
  }
};

TEST(Healthz, AnswersOkEvenBeforeReady) {
  Fixture f;
  auto r = f.Get("/healthz");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"status":"ok"})");
  EXPECT_EQ(r.headers.Get("Content-Type"), "application/json");
  EXPECT_EQ(r.headers.Get("Cache-Control"), "no-store");
}

TEST(Readyz, Answers503NamingWhatIsPendingDuringStartUp) {
  Fixture f;
  f.readiness->MarkDone("database");
  auto r = f.Get("/readyz");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.body, R"({"status":"starting","waiting_for":["migrations","recovery"]})");
}

TEST(Readyz, Answers200OnceEveryConditionIsDone) {
  Fixture f;
  for (const char* c : {"database", "migrations", "recovery"}) f.readiness->MarkDone(c);
  auto r = f.Get("/readyz");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"status":"ready"})");
}

TEST(Readyz, Answers503WhileShuttingDown) {
  Fixture f;
  for (const char* c : {"database", "migrations", "recovery"}) f.readiness->MarkDone(c);
  f.readiness->MarkShuttingDown();
  auto r = f.Get("/readyz");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.body, R"({"status":"shutting down"})");
}

TEST(Healthz, OnlyGetIsAllowed) {
  Fixture f;
  auto r = http::testing::Dispatch(f.router, http::MakeRequest("POST", "/healthz"));
  EXPECT_EQ(r.status, 405);
}

}  // namespace
}  // namespace stepd::server
