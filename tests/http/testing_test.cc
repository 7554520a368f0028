#include "stepd/http/testing.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "http_testing.h"

namespace stepd::http {
namespace {

using testing::Dispatch;

Router FileRouter(const std::filesystem::path& file) {
  Router router;
  router.Add("GET", "/file", [file](const Request&, Responder responder) {
    Response response;
    response.headers.Set("Content-Type", "application/pdf");
    response.body_file = file.string();
    responder.Send(std::move(response));
  });
  return router;
}

TEST(TestingDispatch, ReadsABodyFileAnswerIntoTheBody) {
  testing::TempDir dir;
  const std::string content = testing::PatternBytes(70000);
  testing::WriteFile(dir.path() / "report.pdf", content);
  auto r = Dispatch(FileRouter(dir.path() / "report.pdf"), MakeRequest("GET", "/file"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body_file, (dir.path() / "report.pdf").string());
  EXPECT_EQ(r.body.size(), content.size());
  EXPECT_EQ(testing::FirstDifference(r.body, content), std::string::npos);
  EXPECT_EQ(r.headers.Get("Content-Type"), "application/pdf");
}

TEST(TestingDispatch, AnUnreadableBodyFileIsCapturedAsTheServers404) {
  testing::TempDir dir;
  for (const auto& path : {dir.path() / "missing", dir.path()}) {
    auto r = Dispatch(FileRouter(path), MakeRequest("GET", "/file"));
    EXPECT_EQ(r.status, 404) << path;
    EXPECT_EQ(r.body, R"({"message":"the requested content is not available"})") << path;
    EXPECT_EQ(r.headers.Get("Content-Type"), "application/json") << path;
  }
}

}  // namespace
}  // namespace stepd::http
