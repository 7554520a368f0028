// Runs the real stepd binary's `validate` and `run` subcommands.
#include "stepd/server/offline_commands.h"

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "stepd/base/json.h"

namespace stepd::server {
namespace {

namespace fs = std::filesystem;

struct Result {
  int exit_code = -1;
  std::string out;
};

Result Stepd(const std::string& args) {
  Result r;
  const std::string cmd = std::string(STEPD_BINARY) + " " + args + " 2>/dev/null";
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return r;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  const int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

class OfflineCommands : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("stepd-offline-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& text) {
    const fs::path p = dir_ / name;
    std::ofstream(p) << text;
    return p.string();
  }
  fs::path dir_;
};

TEST_F(OfflineCommands, ValidateAcceptsAGoodDefinition) {
  auto def = Write("ok.json", R"({"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}})");
  Result r = Stepd("validate " + def);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(Json::parse(r.out), (Json{{"result", "OK"}, {"diagnostics", Json::array()}}));
}

TEST_F(OfflineCommands, ValidateReportsDiagnosticsAndTheCreateMessage) {
  auto def = Write("bad.json", R"({"StartAt":"A"})");
  Result r = Stepd("validate " + def + " --type EXPRESS");
  EXPECT_EQ(r.exit_code, 1);
  Json j = Json::parse(r.out);
  EXPECT_EQ(j["result"], "FAIL");
  EXPECT_EQ(j["diagnostics"][0], (Json{{"code", "SCHEMA_VALIDATION_FAILED"},
                                       {"message", "These fields are required: [States]"},
                                       {"severity", "ERROR"},
                                       {"location", "/"}}));
  EXPECT_EQ(j["message"],
            "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: These fields are "
            "required: [States] at /'");
}

TEST_F(OfflineCommands, RunPrintsOutputAndHistory) {
  auto def = Write("sm.asl.json", R"({"StartAt":"A","States":{"A":{"Type":"Pass",
      "Parameters":{"n.$":"$$.Execution.Name","v.$":"$.v"},"End":true}}})");
  auto in = Write("in.json", R"({"v":3})");
  Result r = Stepd("run " + def + " --input " + in + " --name e1 --history");
  EXPECT_EQ(r.exit_code, 0);
  Json j = Json::parse(r.out);
  EXPECT_EQ(j["status"], "SUCCEEDED");
  EXPECT_EQ(j["name"], "e1");
  EXPECT_EQ(j["executionArn"], "arn:aws:states:us-east-1:123456789012:execution:sm:e1");
  EXPECT_EQ(j["stateMachineArn"], "arn:aws:states:us-east-1:123456789012:stateMachine:sm");
  EXPECT_EQ(Json::parse(j["output"].get<std::string>()), (Json{{"n", "e1"}, {"v", 3}}));
  ASSERT_EQ(j["history"].size(), 4u);
  EXPECT_EQ(j["history"][3]["type"], "ExecutionSucceeded");
}

TEST_F(OfflineCommands, RunExitsOneOnFailureAndTwoOnRejection) {
  auto fail =
      Write("f.json", R"({"StartAt":"F","States":{"F":{"Type":"Fail","Error":"E","Cause":"C"}}})");
  Result r = Stepd("run " + fail);
  EXPECT_EQ(r.exit_code, 1);
  Json j = Json::parse(r.out);
  EXPECT_EQ(j["status"], "FAILED");
  EXPECT_EQ(j["error"], "E");
  EXPECT_EQ(j["cause"], "C");
  EXPECT_FALSE(j.contains("history"));

  auto bad = Write("b.json", R"({"StartAt":"X","States":{"A":{"Type":"Pass","End":true}}})");
  r = Stepd("run " + bad);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(Json::parse(r.out)["error"], "InvalidDefinition");
}

TEST_F(OfflineCommands, FastForwardSkipsWaitsAndMocksAnswerTasks) {
  auto def =
      Write("m.json", R"({"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":3600,"Next":"T"},
      "T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
           "Retry":[{"ErrorEquals":["E"],"IntervalSeconds":600}],"End":true}}})");
  auto mocks = Write("mocks.json", R"({"StateMachines":{"sm":{"TestCases":{"t":{"T":"R"}}}},
      "MockedResponses":{"R":{"0":{"Throw":{"Error":"E","Cause":"x"}},"1":{"Return":{"ok":1}}}}})");
  const auto t0 = std::chrono::steady_clock::now();
  Result r = Stepd("run " + def + " --fast-forward --mocks " + mocks +
                   " --state-machine-name sm --test-case t");
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(20));
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(Json::parse(r.out)["output"], "{\"ok\":1}");
}

TEST_F(OfflineCommands, TaskWithoutMockFailsNamingTheResource) {
  auto def = Write("t.json", R"({"StartAt":"T","States":{"T":{"Type":"Task",
      "Resource":"arn:aws:states:::sns:publish","End":true}}})");
  Result r = Stepd("run " + def);
  EXPECT_EQ(r.exit_code, 1);
  Json j = Json::parse(r.out);
  EXPECT_EQ(j["error"], "States.TaskFailed");
  EXPECT_EQ(j["cause"],
            "stepd run cannot call 'arn:aws:states:::sns:publish' for state 'T': no task "
            "executor offline; give a mock with --mocks");
}

TEST_F(OfflineCommands, MissingDefinitionFileIsAUsageError) {
  Result r = Stepd("validate " + (dir_ / "nope.json").string());
  EXPECT_EQ(r.exit_code, 2);
}

TEST_F(OfflineCommands, JsonataPrintsTheResultUndefinedOrTheError) {
  auto data = Write("d.json", R"({"orders":[{"qty":2,"price":3.5},{"qty":1,"price":10}]})");
  Result r = Stepd(
      "jsonata '$sum(orders.(qty * price)) & \" for \" & $who' --bindings "
      "'{\"who\":\"ops\"}' < " +
      data);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(Json::parse(r.out), Json::parse(R"({"result":"17 for ops"})"));

  r = Stepd("jsonata 'missing.field' < " + data);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(Json::parse(r.out), Json::parse(R"({"undefined":true})"));

  r = Stepd("jsonata '1 + \"a\"' < /dev/null");
  EXPECT_EQ(r.exit_code, 1);
  Json error = Json::parse(r.out)["error"];
  EXPECT_EQ(error["code"], "T2002");
  EXPECT_EQ(error["token"], "+");

  r = Stepd("jsonata '(1' < /dev/null");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(Json::parse(r.out)["error"]["code"], "S0203");
}

TEST_F(OfflineCommands, JsonataStopsRunawayExpressionsAndRefusesBadInput) {
  Result r = Stepd(
      "jsonata --time-limit-ms 200 '($f := function($n){$f($n + 1)}; $f(0))' "
      "< /dev/null");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(Json::parse(r.out)["error"]["code"], "U1002");

  r = Stepd(
      "jsonata --depth 50 '($f := function($n){$n = 0 ? 0 : 1 + $f($n - 1)}; $f(100))' "
      "< /dev/null");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(Json::parse(r.out)["error"]["code"], "U1001");

  auto bad = Write("bad.json", "{not json");
  EXPECT_EQ(Stepd("jsonata 'a' < " + bad).exit_code, 2);
  EXPECT_EQ(Stepd("jsonata --bindings '[1]' 'a' < /dev/null").exit_code, 2);
}

}  // namespace
}  // namespace stepd::server
