#include "stepd/server/logging.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <sstream>

#include "stepd/base/json.h"
#include "stepd/base/log_context.h"
#include "stepd/base/thread_pool.h"

namespace stepd::server {
namespace {

using ::testing::MatchesRegex;

struct Captured {
  std::ostringstream out;
  std::shared_ptr<spdlog::logger> logger;
};

std::unique_ptr<Captured> Capture(LogFormat format, LogLevel level = LogLevel::kInfo) {
  auto captured = std::make_unique<Captured>();
  captured->logger = MakeLogger("stepd", LogOptions{format, level},
                                std::make_shared<spdlog::sinks::ostream_sink_mt>(captured->out));
  return captured;
}

TEST(JsonLog, WritesOneObjectPerLineWithTimestampLevelLoggerAndMessage) {
  auto c = Capture(LogFormat::kJson);
  c->logger->info("listening on {}", "127.0.0.1:8080");
  c->logger->warn("second");
  std::istringstream lines(c->out.str());
  std::string line;
  ASSERT_TRUE(std::getline(lines, line));
  auto record = ParseJson(line);
  ASSERT_TRUE(record.ok()) << line;
  EXPECT_THAT((*record)["ts"].get<std::string>(),
              MatchesRegex(R"(20[0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:)"
                           R"([0-9][0-9]\.[0-9][0-9][0-9]Z)"));
  EXPECT_EQ((*record)["level"], "info");
  EXPECT_EQ((*record)["logger"], "stepd");
  EXPECT_EQ((*record)["msg"], "listening on 127.0.0.1:8080");
  ASSERT_TRUE(std::getline(lines, line));
  EXPECT_EQ((*ParseJson(line))["level"], "warn");
  EXPECT_FALSE(std::getline(lines, line));
}

TEST(JsonLog, EscapesNewlinesQuotesAndInvalidUtf8SoARecordStaysOneLine) {
  auto c = Capture(LogFormat::kJson);
  c->logger->error("a \"quoted\"\nsecond line \xff end");
  std::string text = c->out.str();
  ASSERT_EQ(std::count(text.begin(), text.end(), '\n'), 1) << text;
  auto record = ParseJson(text);
  ASSERT_TRUE(record.ok()) << text;
  EXPECT_EQ((*record)["level"], "error");
  EXPECT_EQ((*record)["msg"], "a \"quoted\"\nsecond line \xEF\xBF\xBD end");
}

TEST(TextLog, WritesUtcTimestampLevelLoggerAndMessage) {
  auto c = Capture(LogFormat::kText);
  c->logger->info("hello {}", 42);
  EXPECT_THAT(c->out.str(), MatchesRegex(R"([0-9-]+T[0-9:]+\.[0-9][0-9][0-9]Z info +\[stepd\] )"
                                         "hello 42\n"));
}

TEST(JsonLog, CarriesTheRequestIdAndExecutionArnOfTheCurrentContext) {
  auto c = Capture(LogFormat::kJson);
  c->logger->info("outside");
  {
    ScopedLogContext request(LogContext::OfRequest("req-1"));
    ScopedLogContext execution(LogContext::OfExecution("arn:aws:states:r:1:execution:m:e"));
    c->logger->info("inside");
  }
  c->logger->info("after");
  std::istringstream lines(c->out.str());
  std::string line;
  std::vector<Json> records;
  while (std::getline(lines, line)) records.push_back(*ParseJson(line));
  ASSERT_EQ(records.size(), 3u);
  EXPECT_FALSE(records[0].contains("request_id"));
  EXPECT_EQ(records[1]["request_id"], "req-1");
  EXPECT_EQ(records[1]["execution_arn"], "arn:aws:states:r:1:execution:m:e");
  EXPECT_FALSE(records[2].contains("request_id"));
  EXPECT_FALSE(records[2].contains("execution_arn"));
}

TEST(TextLog, AppendsTheContextFieldsThatAreSet) {
  auto c = Capture(LogFormat::kText);
  {
    ScopedLogContext request(LogContext::OfRequest("req-2"));
    c->logger->info("hello");
  }
  c->logger->info("bye");
  EXPECT_THAT(c->out.str(), MatchesRegex(R"([0-9-]+T[0-9:]+\.[0-9]+Z info +\[stepd\] hello )"
                                         "request_id=req-2\n"
                                         R"([0-9-]+T[0-9:]+\.[0-9]+Z info +\[stepd\] bye)"
                                         "\n"));
}

TEST(LogContext, TravelsWithTasksSubmittedToAThreadPool) {
  auto c = Capture(LogFormat::kJson);
  ThreadPool pool(1, 4);
  {
    ScopedLogContext request(LogContext::OfRequest("req-3"));
    ASSERT_TRUE(pool.TrySubmit([&] { c->logger->info("on the pool"); }));
  }
  ASSERT_TRUE(pool.TrySubmit([&] { c->logger->info("no context"); }));
  pool.Shutdown();
  std::istringstream lines(c->out.str());
  std::string line;
  ASSERT_TRUE(std::getline(lines, line));
  EXPECT_EQ((*ParseJson(line))["request_id"], "req-3");
  ASSERT_TRUE(std::getline(lines, line));
  EXPECT_FALSE((*ParseJson(line)).contains("request_id"));
}

TEST(Logger, DropsRecordsBelowTheLevel) {
  auto c = Capture(LogFormat::kJson, LogLevel::kWarn);
  c->logger->info("dropped");
  c->logger->debug("dropped");
  c->logger->warn("kept");
  std::string text = c->out.str();
  EXPECT_EQ(text.find("dropped"), std::string::npos);
  EXPECT_NE(text.find("kept"), std::string::npos);
}

TEST(Logger, NamedChildSharesSinksAndLevel) {
  auto c = Capture(LogFormat::kJson, LogLevel::kWarn);
  auto http = Named(c->logger, "http");
  http->info("dropped");
  http->warn("from http");
  auto record = ParseJson(c->out.str());
  ASSERT_TRUE(record.ok()) << c->out.str();
  EXPECT_EQ((*record)["logger"], "http");
  EXPECT_EQ((*record)["msg"], "from http");
}

TEST(Logger, IsNotRegisteredGlobally) {
  auto c = Capture(LogFormat::kText);
  EXPECT_EQ(spdlog::get("stepd"), nullptr);
}

}  // namespace
}  // namespace stepd::server
