#include "stepd/server/backup.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>

#include "server/stepd_process_testing.h"
#include "stepd/base/json.h"
#include "stepd/http/client.h"

namespace stepd::server {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using testing::ReadFile;
using testing::RunningServer;
using testing::RunStepd;
using testing::ScratchDir;

constexpr char kMachine[] = "arn:aws:states:us-east-1:123456789012:stateMachine:nightly";

int Aws(const RunningServer& server, const std::string& operation, const Json& input,
        Json* out = nullptr) {
  http::ClientRequest request;
  request.method = "POST";
  request.url = server.base_url() + "/";
  request.headers.Add("X-Amz-Target", "AWSStepFunctions." + operation);
  request.headers.Add("Content-Type", "application/x-amz-json-1.0");
  request.body = input.dump();
  auto response = http::Fetch(request);
  if (!response.ok()) return -1;
  if (out) *out = ParseJson(response->body).value_or(Json());
  return response->status;
}

TEST(BackupCommand, CopiesARunningServersDatabaseThatOpensVerifiesAndHoldsTheExecutions) {
  ScratchDir dir;
  auto server = RunningServer::Start(dir);
  ASSERT_NE(server, nullptr);
  Json definition = {{"StartAt", "P"}, {"States", {{"P", {{"Type", "Pass"}, {"End", true}}}}}};
  ASSERT_EQ(Aws(*server, "CreateStateMachine",
                {{"name", "nightly"},
                 {"definition", definition.dump()},
                 {"roleArn", "arn:aws:iam::123456789012:role/r"}}),
            200);
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(Aws(*server, "StartExecution",
                  {{"stateMachineArn", kMachine}, {"name", "run-" + std::to_string(i)}}),
              200);
  }

  const std::string copy = dir.File("backups/stepd-copy.db");
  std::filesystem::create_directories(dir.File("backups"));
  auto result = RunStepd(dir, {"backup", "--db", dir.File("stepd.db"), copy});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("backed up " + dir.File("stepd.db") + " to " + copy + ": "));
  EXPECT_THAT(result.out, HasSubstr("not in the copy: the audit key (" + dir.File("audit.key") +
                                    ") and the secrets key (" + dir.File("secrets.key") + ")"));

  // The server goes on serving while and after the copy is taken.
  EXPECT_EQ(Aws(*server, "StartExecution", {{"stateMachineArn", kMachine}, {"name", "after"}}),
            200);
  server->process().Signal(SIGTERM);
  ASSERT_EQ(server->process().Wait(std::chrono::seconds(30)), 0);

  // The copy verifies with the original's audit key, and a server started
  // on it (with the keys restored beside it) finds the executions.
  auto verified =
      RunStepd(dir, {"audit", "verify", "--db", copy, "--key-file", dir.File("audit.key")});
  EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
  EXPECT_THAT(verified.out, HasSubstr("audit chain intact"));
  std::filesystem::copy_file(dir.File("audit.key"), dir.File("backups/audit.key"));
  std::filesystem::copy_file(dir.File("secrets.key"), dir.File("backups/secrets.key"));
  auto restored = RunningServer::Start(dir, {"--db", copy});
  ASSERT_NE(restored, nullptr);
  Json listed;
  ASSERT_EQ(Aws(*restored, "ListExecutions", {{"stateMachineArn", kMachine}}, &listed), 200);
  EXPECT_GE(listed["executions"].size(), 5u);
  EXPECT_LE(listed["executions"].size(), 6u);
}

TEST(BackupCommand, AnExistingDestinationIsRefusedUnlessForcedAndMissingArgumentsAreUsage) {
  ScratchDir dir;
  ASSERT_EQ(RunStepd(dir, {"migrate", "--db", dir.File("stepd.db")}).exit_code, 0);
  const std::string copy = dir.Write("copy.db", "keep me");
  auto refused = RunStepd(dir, {"backup", "--db", dir.File("stepd.db"), copy});
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_THAT(refused.err, HasSubstr("exists; choose another name or pass --force"));
  EXPECT_EQ(ReadFile(copy), "keep me");

  auto forced = RunStepd(dir, {"backup", "--force", "--db", dir.File("stepd.db"), copy});
  EXPECT_EQ(forced.exit_code, 0) << forced.err;
  EXPECT_NE(ReadFile(copy), "keep me");

  EXPECT_EQ(RunStepd(dir, {"backup", "--db", dir.File("stepd.db")}).exit_code, 2);
  auto missing = RunStepd(dir, {"backup", "--db", dir.File("none.db"), dir.File("c.db")});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(missing.err, HasSubstr("no database file at " + dir.File("none.db")));
  EXPECT_FALSE(std::filesystem::exists(dir.File("none.db")));
}

}  // namespace
}  // namespace stepd::server
