// The command line of the real binary: subcommands, help, usage errors.
#include "stepd/server/commands.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "server/stepd_process_testing.h"
#include "stepd/base/version.h"

namespace stepd::server {
namespace {

using ::testing::HasSubstr;
using testing::RunStepd;
using testing::ScratchDir;

TEST(Commands, VersionPrintsTheVersion) {
  ScratchDir dir;
  auto result = RunStepd(dir, {"version"});
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(result.out, std::string("stepd ") + kVersion + "\n");
  result = RunStepd(dir, {"--version"});
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(result.out, std::string("stepd ") + kVersion + "\n");
}

TEST(Commands, HelpListsSubcommandsAndDescribesOne) {
  ScratchDir dir;
  auto result = RunStepd(dir, {"help"});
  EXPECT_EQ(result.exit_code, 0);
  for (const char* name : {"serve", "migrate", "healthcheck", "version", "help"}) {
    EXPECT_THAT(result.out, HasSubstr(name));
  }
  result = RunStepd(dir, {"help", "serve"});
  EXPECT_EQ(result.exit_code, 0);
  for (const char* flag : {"--config", "--listen", "--db", "--log-format", "--log-level",
                           "--insecure", "--port-file", "STEPD_LISTEN", "STEPD_DB"}) {
    EXPECT_THAT(result.out, HasSubstr(flag));
  }
  EXPECT_THAT(result.out, ::testing::Not(HasSubstr("--enable-test-routes")));
  result = RunStepd(dir, {"help", "nonsense"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.err, "stepd: no subcommand named \"nonsense\"\n");
}

TEST(Commands, UnknownFlagIsAUsageError) {
  ScratchDir dir;
  auto result = RunStepd(dir, {"serve", "--lisen", "127.0.0.1:0"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr("--lisen"));
}

TEST(Commands, BadFlagValueIsAOneLineUsageError) {
  ScratchDir dir;
  auto result = RunStepd(dir, {"serve", "--log-format", "xml"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.err, "stepd: --log-format must be one of text, json, got \"xml\"\n");
}

TEST(Commands, MissingConfigFileIsAUsageError) {
  ScratchDir dir;
  auto result = RunStepd(dir, {"serve", "--config", dir.File("absent.json")});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.err, "stepd: cannot read config file " + dir.File("absent.json") +
                            ": No such file or directory\n");
}

}  // namespace
}  // namespace stepd::server
