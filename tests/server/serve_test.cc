// End-to-end tests of `stepd serve`: the real binary on 127.0.0.1 port 0 with
// a temporary SQLite file, spoken to over HTTP.
#include "stepd/server/serve.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <signal.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <filesystem>
#include <future>
#include <sstream>
#include <thread>

#include "http/http_testing.h"
#include "http/target_server_testing.h"
#include "runtime/token_server_testing.h"
#include "server/stepd_process_testing.h"
#include "stepd/api/console.h"
#include "stepd/base/crypto.h"
#include "stepd/base/json.h"
#include "stepd/http/client.h"

namespace stepd::server {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::ReadFile;
using testing::RunningServer;
using testing::RunStepd;
using testing::ScratchDir;
using testing::StepdProcess;

StatusOr<http::ClientResponse> Get(const std::string& url) {
  http::ClientRequest request;
  request.url = url;
  http::ClientOptions options;
  options.connect_timeout = std::chrono::seconds(5);
  options.timeout = std::chrono::seconds(20);
  return http::Fetch(request, options);
}

// Waits until `process`'s stderr contains `text` (at most 10 s).
bool WaitForLog(const StepdProcess& process, const std::string& text) {
  for (int i = 0; i < 1000; ++i) {
    if (process.Stderr().find(text) != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

TEST(Serve, ReadyzAndHealthzAnswerOnceStarted) {
  ScratchDir dir;
  auto server = RunningServer::Start(dir);
  ASSERT_NE(server, nullptr);

  auto ready = Get(server->base_url() + "/readyz");
  ASSERT_TRUE(ready.ok()) << ready.status();
  EXPECT_EQ(ready->status, 200);
  EXPECT_EQ(ready->body, R"({"status":"ready"})");

  auto health = Get(server->base_url() + "/healthz");
  ASSERT_TRUE(health.ok()) << health.status();
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(health->body, R"({"status":"ok"})");

  std::string log = server->process().Stderr();
  EXPECT_THAT(log, HasSubstr("listening on 127.0.0.1:" + std::to_string(server->port())));
  EXPECT_THAT(log, HasSubstr("no authentication is configured (local mode)"));
  EXPECT_TRUE(std::filesystem::exists(dir.File("stepd.db")));

  server->process().Signal(SIGTERM);
  EXPECT_EQ(server->process().Wait(std::chrono::seconds(20)), 0);
}

TEST(Serve, FlagsBeatEnvironmentBeatsConfigFile) {
  ScratchDir dir;
  // The file asks for port 1, the file database, text logs at warn level.
  std::string config = dir.Write("stepd.json", R"({
    // a comment, as config files may have
    "http": {"listen": "127.0.0.1:1"},
    "store": {"path": ")" + dir.File("file.db") + R"("},
    "log": {"format": "text", "level": "warn"}
  })");
  // The environment overrides the database and the log format...
  std::map<std::string, std::string> env = {{"STEPD_DB", dir.File("env.db")},
                                            {"STEPD_LOG_FORMAT", "json"},
                                            {"STEPD_LISTEN", "127.0.0.1:2"}};
  // ...and flags override the listen address (port 0) and the level.
  auto server = RunningServer::Start(
      dir, {"--config", config, "--listen", "127.0.0.1:0", "--log-level", "info"}, env);
  ASSERT_NE(server, nullptr);
  EXPECT_NE(server->port(), 1);
  EXPECT_NE(server->port(), 2);
  EXPECT_TRUE(std::filesystem::exists(dir.File("env.db")));
  EXPECT_FALSE(std::filesystem::exists(dir.File("file.db")));

  server->process().Signal(SIGTERM);
  ASSERT_EQ(server->process().Wait(std::chrono::seconds(20)), 0);
  // JSON lines (env over file) including info records (flag over file).
  std::istringstream lines(server->process().Stderr());
  std::string line;
  bool saw_listening = false;
  int count = 0;
  while (std::getline(lines, line)) {
    ++count;
    auto record = ParseJson(line);
    ASSERT_TRUE(record.ok()) << "not JSON: " << line;
    EXPECT_TRUE(record->contains("ts") && record->contains("level") && record->contains("msg"))
        << line;
    if ((*record)["msg"] == "listening on 127.0.0.1:" + std::to_string(server->port())) {
      saw_listening = true;
      EXPECT_EQ((*record)["level"], "info");
    }
  }
  EXPECT_GT(count, 3);
  EXPECT_TRUE(saw_listening);
}

TEST(Serve, UnknownConfigKeyExitsTwoNamingIt) {
  ScratchDir dir;
  std::string config = dir.Write("stepd.json", R"({"http": {"idle_timeot": 5}})");
  auto result = RunStepd(dir, {"serve", "--config", config, "--db", dir.File("stepd.db")});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.err, "stepd: unknown option \"http.idle_timeot\" in " + config + "\n");
  EXPECT_FALSE(std::filesystem::exists(dir.File("stepd.db")));
}

TEST(Serve, ConfigFileFromEnvironmentIsRead) {
  ScratchDir dir;
  std::string config = dir.Write("stepd.json", R"({"log": {"level": "verbose"}})");
  auto result = RunStepd(dir, {"serve"}, {{"STEPD_CONFIG", config}});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.err, "stepd: option \"log.level\" in " + config +
                            " must be one of trace, debug, info, warn, error, critical, off, "
                            "got \"verbose\"\n");
}

TEST(Serve, NonLoopbackListenIsRefusedWithoutInsecure) {
  ScratchDir dir;
  auto result = RunStepd(dir, {"serve", "--listen", "0.0.0.0:0", "--db", dir.File("stepd.db")});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.err,
            "stepd: refusing to listen on 0.0.0.0:0: no authentication is configured, so only "
            "loopback addresses are allowed; pass --insecure (or STEPD_INSECURE=true) to accept "
            "every caller as admin\n");

  auto server = RunningServer::Start(dir, {"--listen", "0.0.0.0:0", "--insecure"});
  ASSERT_NE(server, nullptr);
  EXPECT_THAT(server->process().Stderr(), HasSubstr("INSECURE"));
  server->process().Signal(SIGTERM);
  EXPECT_EQ(server->process().Wait(std::chrono::seconds(20)), 0);
}

TEST(Serve, UnknownStepdVariableIsAWarningOnly) {
  ScratchDir dir;
  auto server = RunningServer::Start(dir, {}, {{"STEPD_LISTN", "127.0.0.1:9"}});
  ASSERT_NE(server, nullptr);
  EXPECT_THAT(server->process().Stderr(),
              HasSubstr("unknown environment variable STEPD_LISTN ignored"));
  server->process().Signal(SIGINT);
  EXPECT_EQ(server->process().Wait(std::chrono::seconds(20)), 0);
}

TEST(Serve, NoSubcommandServesOnDefaultsAndCreatesTheDataDirectory) {
  ScratchDir dir;
  // Only the port is changed (8080 may be taken); the database is the
  // default ./data/stepd.db relative to the working directory.
  StepdProcess process(dir, {}, {{"STEPD_LISTEN", "127.0.0.1:0"}}, dir.path());
  ASSERT_TRUE(WaitForLog(process, "listening on 127.0.0.1:")) << process.Stderr();
  const std::string kListening = "listening on 127.0.0.1:";
  std::string log = process.Stderr();
  size_t at = log.find(kListening) + kListening.size();
  std::string port = log.substr(at, log.find_first_not_of("0123456789", at) - at);
  ASSERT_FALSE(port.empty()) << log;
  std::string base = "http://127.0.0.1:" + port;
  bool ready = false;
  for (int i = 0; i < 500 && !ready; ++i) {
    auto r = Get(base + "/readyz");
    ready = r.ok() && r->status == 200;
    if (!ready) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(ready) << process.Stderr();
  EXPECT_TRUE(std::filesystem::exists(dir.File("data/stepd.db")));
  process.Signal(SIGTERM);
  EXPECT_EQ(process.Wait(std::chrono::seconds(20)), 0);
}

TEST(Serve, SigtermLetsTheRequestInFlightFinishThenExitsZero) {
  ScratchDir dir;
  auto server = RunningServer::Start(dir, {"--enable-test-routes"});
  ASSERT_NE(server, nullptr);

  auto started = std::chrono::steady_clock::now();
  auto in_flight = std::async(std::launch::async,
                              [&] { return Get(server->base_url() + "/debug/delay?ms=3000"); });
  // The server logs when it has read the request and parked it.
  ASSERT_TRUE(WaitForLog(server->process(), "answering in 3000 ms")) << server->process().Stderr();
  server->process().Signal(SIGTERM);
  ASSERT_TRUE(WaitForLog(server->process(), "SIGTERM received: shutting down"));

  // New connections are refused (soon after the signal) while the old
  // request is still waiting for its answer.
  bool refused = false;
  for (int i = 0; i < 100 && !refused; ++i) {
    refused = !Get(server->base_url() + "/healthz").ok();
    if (!refused) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(refused);
  EXPECT_EQ(in_flight.wait_for(std::chrono::seconds(0)), std::future_status::timeout)
      << "the delayed request finished before the listener closed";

  auto response = in_flight.get();
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, R"({"delayed_ms":3000})");
  EXPECT_GE(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(3000));

  EXPECT_EQ(server->process().Wait(std::chrono::seconds(20)), 0);
  std::string log = server->process().Stderr();
  EXPECT_THAT(log, HasSubstr("HTTP listener stopped"));
  EXPECT_THAT(log, HasSubstr("database closed; exiting"));
}

TEST(Serve, TestRoutesAreAbsentWithoutTheHiddenFlag) {
  ScratchDir dir;
  auto server = RunningServer::Start(dir);
  ASSERT_NE(server, nullptr);
  auto response = Get(server->base_url() + "/debug/delay?ms=1");
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 404);
  server->process().Signal(SIGTERM);
  EXPECT_EQ(server->process().Wait(std::chrono::seconds(20)), 0);
}

TEST(Serve, TheConsoleIsServedAtConsoleAndNoConsoleTurnsItOff) {
  if (api::EmbeddedConsolePage().html.empty()) GTEST_SKIP() << "built with -DSTEPD_CONSOLE=OFF";
  ScratchDir dir;
  auto server = RunningServer::Start(dir);
  ASSERT_NE(server, nullptr);
  auto page = Get(server->base_url() + "/console/");
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->status, 200);
  EXPECT_EQ(page->headers.Get("Content-Type").value_or(""), "text/html; charset=utf-8");
  EXPECT_THAT(std::string(page->headers.Get("Content-Security-Policy").value_or("")),
              HasSubstr("script-src 'sha256-" +
                        std::string(api::EmbeddedConsolePage().script_sha256) + "'"));
  EXPECT_THAT(page->body, HasSubstr(R"("auth":{"mode":"none"})"));
  EXPECT_THAT(server->process().Stderr(),
              HasSubstr("web console at http://127.0.0.1:" + std::to_string(server->port()) +
                        "/console/ (sign-in: none (local mode))"));
  server->process().Signal(SIGTERM);
  EXPECT_EQ(server->process().Wait(std::chrono::seconds(20)), 0);

  ScratchDir off_dir;
  auto off = RunningServer::Start(off_dir, {"--no-console"});
  ASSERT_NE(off, nullptr);
  auto missing = Get(off->base_url() + "/console/");
  ASSERT_TRUE(missing.ok()) << missing.status();
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(missing->headers.Get("Content-Type").value_or(""), "application/problem+json");
  EXPECT_THAT(off->process().Stderr(),
              HasSubstr("web console off: the web console is disabled on this stepd"));
  off->process().Signal(SIGTERM);
  EXPECT_EQ(off->process().Wait(std::chrono::seconds(20)), 0);
}

TEST(Serve, SighupRevalidatesTheConfigFileAndKeepsServing) {
  ScratchDir dir;
  std::string config = dir.Write("stepd.json", R"({"log": {"level": "info"}})");
  auto server = RunningServer::Start(dir, {"--config", config});
  ASSERT_NE(server, nullptr);

  dir.Write("stepd.json", R"({"log": {"levl": "info"}})");
  server->process().Signal(SIGHUP);
  EXPECT_TRUE(WaitForLog(server->process(),
                         "configuration is invalid, keeping the running one: unknown option "
                         "\"log.levl\" in " +
                             config))
      << server->process().Stderr();
  auto ready = Get(server->base_url() + "/readyz");
  ASSERT_TRUE(ready.ok()) << ready.status();
  EXPECT_EQ(ready->status, 200);

  dir.Write("stepd.json", R"({"log": {"level": "debug"}})");
  server->process().Signal(SIGHUP);
  EXPECT_TRUE(WaitForLog(server->process(), "configuration (" + config + ") is valid"))
      << server->process().Stderr();

  server->process().Signal(SIGTERM);
  EXPECT_EQ(server->process().Wait(std::chrono::seconds(20)), 0);
}

TEST(Serve, PortAlreadyInUseExitsOne) {
  ScratchDir dir;
  auto first = RunningServer::Start(dir);
  ASSERT_NE(first, nullptr);
  ScratchDir other;
  auto result = RunStepd(other, {"serve", "--listen", "127.0.0.1:" + std::to_string(first->port()),
                                 "--db", other.File("stepd.db")});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.err, HasSubstr("cannot listen on 127.0.0.1:" + std::to_string(first->port())));
  first->process().Signal(SIGTERM);
  EXPECT_EQ(first->process().Wait(std::chrono::seconds(20)), 0);
}

TEST(Serve, UnopenableDatabaseExitsOne) {
  ScratchDir dir;
  // A directory where the database file should be.
  std::filesystem::create_directories(dir.File("stepd.db"));
  auto result = RunStepd(dir, {"serve", "--listen", "127.0.0.1:0", "--db", dir.File("stepd.db")});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.err, HasSubstr("cannot open database " + dir.File("stepd.db")));
}

// --- HTTP tasks (arn:aws:states:::http:invoke) through the AWS API ------------

// One server for the suite: HTTP tasks against local services it reaches
// over loopback, and a TLS service whose CA the config file names.
class ServeHttpTasks : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    state_ = new State;
    if (!http::testing::MakeCertificate(state_->trusted.path(), "IP:127.0.0.1") ||
        !http::testing::MakeCertificate(state_->untrusted.path(), "IP:127.0.0.1")) {
      return;
    }
    state_->plain = std::make_unique<http::testing::TargetServer>();
    state_->tls = std::make_unique<http::testing::TargetServer>(
        (state_->trusted.path() / "cert.pem").string(),
        (state_->trusted.path() / "key.pem").string());
    state_->other_tls = std::make_unique<http::testing::TargetServer>(
        (state_->untrusted.path() / "cert.pem").string(),
        (state_->untrusted.path() / "key.pem").string());
    std::string config = state_->dir.Write(
        "stepd.json", R"({"outbound": {"ca_file": ")" +
                          (state_->trusted.path() / "cert.pem").string() + R"("}})");
    state_->server = RunningServer::Start(state_->dir, {"--config", config});
  }
  static void TearDownTestSuite() {
    if (state_->server) {
      state_->server->process().Signal(SIGTERM);
      EXPECT_EQ(state_->server->process().Wait(std::chrono::seconds(30)), 0);
    }
    delete state_;
    state_ = nullptr;
  }
  void SetUp() override {
    if (!state_->plain) GTEST_SKIP() << "openssl command unavailable";
    ASSERT_NE(state_->server, nullptr);
  }

  // An AWS JSON API call; the answer's body.
  static Json Aws(const std::string& operation, const Json& input) {
    http::ClientRequest request;
    request.method = "POST";
    request.url = state_->server->base_url() + "/";
    request.headers.Add("X-Amz-Target", "AWSStepFunctions." + operation);
    request.headers.Add("Content-Type", "application/x-amz-json-1.0");
    request.body = input.dump();
    auto response = http::Fetch(request);
    if (!response.ok()) {
      ADD_FAILURE() << operation << ": " << response.status();
      return Json();
    }
    auto body = ParseJson(response->body);
    EXPECT_EQ(response->status, 200) << operation << ": " << response->body;
    return body.ok() ? *body : Json();
  }

  // Creates a machine with `states` (its first state is "Call") and runs it
  // to its end; DescribeExecution's answer.
  static Json RunMachine(const std::string& name, const Json& states) {
    Json definition = {{"StartAt", "Call"}, {"States", states}};
    Json created = Aws("CreateStateMachine", {{"name", name},
                                              {"definition", definition.dump()},
                                              {"roleArn", "arn:aws:iam::123456789012:role/r"}});
    Json started = Aws("StartExecution", {{"stateMachineArn", created["stateMachineArn"]}});
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    Json described;
    do {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      described = Aws("DescribeExecution", {{"executionArn", started["executionArn"]}});
    } while (described["status"] == "RUNNING" && std::chrono::steady_clock::now() < deadline);
    return described;
  }

  static Json Task(const std::string& url, Json extra = Json::object()) {
    Json task = {{"Type", "Task"},
                 {"Resource", "arn:aws:states:::http:invoke"},
                 {"Parameters", {{"ApiEndpoint", url}, {"Method", "GET"}}},
                 {"End", true}};
    for (auto& [key, value] : extra.items()) task[key] = value;
    return task;
  }

  static Json Output(const Json& described) {
    auto output = ParseJson(described.value("output", "null"));
    return output.ok() ? *output : Json();
  }

  struct State {
    ScratchDir dir;
    http::testing::TempDir trusted, untrusted;
    std::unique_ptr<http::testing::TargetServer> plain, tls, other_tls;
    std::unique_ptr<RunningServer> server;
  };
  static State* state_;
};
ServeHttpTasks::State* ServeHttpTasks::state_ = nullptr;

TEST_F(ServeHttpTasks, AJsonAnswerBecomesTheTaskResult) {
  Json described =
      RunMachine("http-json", {{"Call", Task(state_->plain->Url("/echo?from=stepd"))}});
  ASSERT_EQ(described["status"], "SUCCEEDED") << described.dump();
  Json output = Output(described);
  EXPECT_EQ(output["StatusCode"], 200);
  EXPECT_EQ(output["StatusText"], "OK");
  EXPECT_EQ(output["ResponseBody"]["target"], "/echo?from=stepd");
  EXPECT_THAT(output["ResponseBody"]["headers"]["user-agent"][0].get<std::string>(),
              HasSubstr("stepd/"));
}

TEST_F(ServeHttpTasks, ATextAnswerIsAStringResponseBody) {
  Json described = RunMachine(
      "http-text", {{"Call", Task(state_->plain->Url("/text"),
                                  {{"ResultSelector", {{"text.$", "$.ResponseBody"}}}})}});
  ASSERT_EQ(described["status"], "SUCCEEDED") << described.dump();
  EXPECT_EQ(Output(described), Json({{"text", "plain words"}}));
}

TEST_F(ServeHttpTasks, RetryWithBackoffOutlastsAServiceThatFailsTwice) {
  Json retry = Json::array({{{"ErrorEquals", {"States.Http.StatusCode.503"}},
                             {"IntervalSeconds", 1},
                             {"BackoffRate", 2},
                             {"MaxAttempts", 3}}});
  Json described = RunMachine(
      "http-flaky", {{"Call", Task(state_->plain->Url("/flaky/e2e/2"), {{"Retry", retry}})}});
  ASSERT_EQ(described["status"], "SUCCEEDED") << described.dump();
  EXPECT_EQ(Output(described)["ResponseBody"], Json({{"attempt", 3}}));
  EXPECT_EQ(state_->plain->Count("/flaky/e2e/"), 3u);
}

TEST_F(ServeHttpTasks, TimeoutSecondsStopsACallThatHangs) {
  Json described = RunMachine(
      "http-hang", {{"Call", Task(state_->plain->Url("/hang"), {{"TimeoutSeconds", 1}})}});
  EXPECT_EQ(described["status"], "FAILED") << described.dump();
  EXPECT_EQ(described["error"], "States.Timeout");
  EXPECT_GE(state_->plain->Count("/hang"), 1u);
}

TEST_F(ServeHttpTasks, CatchTakesTheErrorsByTheirAwsNames) {
  const Json caught = {{"Type", "Pass"}, {"End", true}};
  const std::vector<std::pair<std::string, std::string>> cases = {
      {state_->plain->Url("/status/404?body=gone"), "States.Http.StatusCode.404"},
      {"http://169.254.169.254/latest/meta-data/", "States.Permissions"},
      {state_->other_tls->Url("/text"), "States.Http.Socket"},
  };
  int n = 0;
  for (const auto& [url, error] : cases) {
    Json catcher =
        Json::array({{{"ErrorEquals", {error}}, {"ResultPath", "$.error"}, {"Next", "Caught"}}});
    Json described = RunMachine("http-catch-" + std::to_string(n++),
                                {{"Call", Task(url, {{"Catch", catcher}})}, {"Caught", caught}});
    ASSERT_EQ(described["status"], "SUCCEEDED") << url << ": " << described.dump();
    EXPECT_EQ(Output(described)["error"]["Error"], error) << url;
  }
}

TEST_F(ServeHttpTasks, AStatusErrorsCauseCarriesTheResponse) {
  Json described =
      RunMachine("http-404", {{"Call", Task(state_->plain->Url("/status/404?body=gone"))}});
  ASSERT_EQ(described["status"], "FAILED") << described.dump();
  EXPECT_EQ(described["error"], "States.Http.StatusCode.404");
  auto cause = ParseJson(described.value("cause", ""));
  ASSERT_TRUE(cause.ok()) << described.dump();
  EXPECT_EQ((*cause)["StatusCode"], 404);
  EXPECT_EQ((*cause)["ResponseBody"], "gone");
}

TEST_F(ServeHttpTasks, TlsTrustsTheCaFileOfTheConfigAndNothingElse) {
  Json trusted = RunMachine("http-tls", {{"Call", Task(state_->tls->Url("/text"))}});
  ASSERT_EQ(trusted["status"], "SUCCEEDED") << trusted.dump();
  EXPECT_EQ(Output(trusted)["ResponseBody"], "plain words");

  Json untrusted = RunMachine("http-tls-other", {{"Call", Task(state_->other_tls->Url("/text"))}});
  ASSERT_EQ(untrusted["status"], "FAILED") << untrusted.dump();
  EXPECT_EQ(untrusted["error"], "States.Http.Socket");
  EXPECT_THAT(untrusted.value("cause", ""), HasSubstr("certificate verify failed"));
  EXPECT_EQ(state_->other_tls->Count("/"), 0u);
}

TEST_F(ServeHttpTasks, TheMetadataAddressIsRefused) {
  Json described = RunMachine("http-metadata",
                              {{"Call", Task("http://169.254.169.254/latest/meta-data/iam/info")}});
  ASSERT_EQ(described["status"], "FAILED") << described.dump();
  EXPECT_EQ(described["error"], "States.Permissions");
  EXPECT_EQ(described["cause"],
            "the host 169.254.169.254 (169.254.169.254) is a cloud metadata address, refused by "
            "the outbound policy");
}

// --- HTTP tasks authorized by Connections (AWSEvents API) ---------------------

// Secret values distinctive enough that finding one anywhere is a leak.
const std::string kApiKeyValue = "LEAKCANARY-apikey-7c1d";
const std::string kPassword = "LEAKCANARY-password-2b9e";
const std::string kClientSecret = "LEAKCANARY-clientsecret-5f3a";
const std::string kSecretHeader = "LEAKCANARY-header-8d4c";
const std::string kSecretQuery = "LEAKCANARY-query-1e6b";
const std::string kSecretBody = "LEAKCANARY-body-9a2f";

// A fresh `stepd serve` (trace logging, its own SQLite file) per test, a
// scripted service the HTTP tasks call over loopback, and helpers for both
// APIs. Every test ends with ExpectNoSecretAnywhere().
class ServeConnections : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = RunningServer::Start(dir_, {"--log-level", "trace"});
    ASSERT_NE(server_, nullptr);
  }
  void TearDown() override {
    if (server_ && !server_->process().exited()) {
      server_->process().Signal(SIGTERM);
      server_->process().Wait(std::chrono::seconds(30));
    }
  }

  Json Call(const std::string& target, const std::string& content_type,
            const std::string& operation, const Json& input) {
    http::ClientRequest request;
    request.method = "POST";
    request.url = server_->base_url() + "/";
    request.headers.Set("X-Amz-Target", target + "." + operation);
    request.headers.Set("Content-Type", content_type);
    request.body = input.dump();
    http::ClientOptions options;
    options.timeout = std::chrono::seconds(30);
    auto response = http::Fetch(request, options);
    if (!response.ok()) {
      ADD_FAILURE() << operation << ": " << response.status();
      return Json::object();
    }
    answers_ += response->body;
    EXPECT_EQ(response->status, 200) << operation << ": " << response->body;
    auto body = ParseJson(response->body);
    return body.ok() && body->is_object() ? *body : Json::object();
  }
  Json Aws(const std::string& operation, const Json& input) {
    return Call("AWSStepFunctions", "application/x-amz-json-1.0", operation, input);
  }
  Json Events(const std::string& operation, const Json& input) {
    return Call("AWSEvents", "application/x-amz-json-1.1", operation, input);
  }

  // Creates connection `name` and waits until it is AUTHORIZED; its ARN.
  std::string CreateConnection(const std::string& name, const std::string& type,
                               Json auth_parameters) {
    names_.push_back(name);
    Json created = Events("CreateConnection", {{"Name", name},
                                               {"AuthorizationType", type},
                                               {"AuthParameters", std::move(auth_parameters)}});
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    Json described;
    do {
      described = Events("DescribeConnection", {{"Name", name}});
      if (described.value("ConnectionState", "") == "AUTHORIZED") break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    } while (std::chrono::steady_clock::now() < deadline);
    EXPECT_EQ(described.value("ConnectionState", ""), "AUTHORIZED") << described.dump();
    return created.value("ConnectionArn", "");
  }

  // Runs a one-state machine calling `url` with connection `arn` to its end;
  // DescribeExecution's answer.
  Json RunHttpTask(const std::string& url, const std::string& arn, Json extra = Json::object()) {
    Json parameters = {
        {"ApiEndpoint", url}, {"Method", "GET"}, {"Authentication", {{"ConnectionArn", arn}}}};
    for (auto& [key, value] : extra.items()) parameters[key] = value;
    Json definition = {{"StartAt", "Call"},
                       {"States",
                        {{"Call",
                          {{"Type", "Task"},
                           {"Resource", "arn:aws:states:::http:invoke"},
                           {"Parameters", parameters},
                           {"End", true}}}}}};
    Json created = Aws("CreateStateMachine", {{"name", "m" + std::to_string(machines_++)},
                                              {"definition", definition.dump()},
                                              {"roleArn", "arn:aws:iam::123456789012:role/r"}});
    Json started = Aws("StartExecution", {{"stateMachineArn", created["stateMachineArn"]}});
    executions_.push_back(started.value("executionArn", ""));
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    Json described;
    do {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      described = Aws("DescribeExecution", {{"executionArn", started["executionArn"]}});
    } while (described.value("status", "") == "RUNNING" &&
             std::chrono::steady_clock::now() < deadline);
    return described;
  }

  // The one request the service received whose target starts with `prefix`.
  http::testing::SeenRequest Received(const std::string& prefix) {
    std::vector<http::testing::SeenRequest> found;
    for (auto& seen : service_.Seen()) {
      if (seen.target.rfind(prefix, 0) == 0) found.push_back(std::move(seen));
    }
    EXPECT_EQ(found.size(), 1u) << prefix;
    return found.empty() ? http::testing::SeenRequest{} : found.front();
  }

  // The bearer token a request carried ("" when none).
  static std::string Bearer(const http::testing::SeenRequest& request) {
    const std::string authorization(request.headers.Get("Authorization").value_or(""));
    return authorization.rfind("Bearer ", 0) == 0 ? authorization.substr(7) : "";
  }

  // Every value of query parameter `key` in `target`.
  static std::vector<std::string> QueryValues(const std::string& target, const std::string& key) {
    std::vector<std::string> values;
    const size_t question = target.find('?');
    if (question == std::string::npos) return values;
    std::istringstream pairs(target.substr(question + 1));
    std::string pair;
    while (std::getline(pairs, pair, '&')) {
      const size_t equals = pair.find('=');
      if (pair.substr(0, equals) == key) {
        values.push_back(equals == std::string::npos ? "" : pair.substr(equals + 1));
      }
    }
    return values;
  }

  // The secret values, and what a request would carry made of them, are in
  // no API answer (the runs' DescribeExecution and GetExecutionHistory, the
  // connections' DescribeConnection included), no log line and neither the
  // database file nor its WAL, read while the server runs and after it stopped.
  void ExpectNoSecretAnywhere() {
    std::string answers;
    for (const std::string& arn : executions_) {
      Json history = Aws("GetExecutionHistory", {{"executionArn", arn}, {"maxResults", 1000}});
      EXPECT_FALSE(history.value("events", Json::array()).empty()) << arn;
      answers += history.dump();
      answers += Aws("DescribeExecution", {{"executionArn", arn}}).dump();
    }
    for (const std::string& name : names_) {
      answers += Events("DescribeConnection", {{"Name", name}}).dump();
    }
    answers += Events("ListConnections", Json::object()).dump();
    // What the search must find, or it could find nothing at all.
    for (const std::string& expected :
         {std::string("TaskSucceeded"), std::string("ApiEndpoint"),
          std::string("conn-header-value")}) {  // the last not secret: described
      EXPECT_NE(answers.find(expected), std::string::npos) << expected;
    }
    std::string database = ReadFile(dir_.File("stepd.db")) + ReadFile(dir_.File("stepd.db-wal"));
    server_->process().Signal(SIGTERM);
    EXPECT_EQ(server_->process().Wait(std::chrono::seconds(30)), 0);
    database += ReadFile(dir_.File("stepd.db")) + ReadFile(dir_.File("stepd.db-wal"));
    const std::string log = server_->process().Stderr() + server_->process().Stdout();
    ASSERT_FALSE(names_.empty());
    EXPECT_THAT(database, HasSubstr(names_.front()));
    EXPECT_THAT(log, HasSubstr("listening on"));
    EXPECT_THAT(log, HasSubstr("POST / 200"));  // requests are logged
    EXPECT_THAT(log, HasSubstr("OAuth access token obtained"));
    for (const std::string& value :
         {kApiKeyValue, kPassword, kClientSecret, kSecretHeader, kSecretQuery, kSecretBody,
          Base64Encode("user:" + kPassword), Base64Encode("cid:" + kClientSecret)}) {
      EXPECT_EQ(answers.find(value), std::string::npos) << value << " in an API answer";
      EXPECT_EQ(answers_.find(value), std::string::npos) << value << " in an API answer";
      EXPECT_EQ(log.find(value), std::string::npos) << value << " in the log";
      EXPECT_EQ(database.find(value), std::string::npos) << value << " in the database";
    }
  }

  // A connection's invocation parameters: one plain and one secret each of
  // header, query and body, and a key ("shared") the task sets as well.
  static Json InvocationParameters() {
    return {{"HeaderParameters",
             {{{"Key", "X-Conn-Header"}, {"Value", "conn-header-value"}, {"IsValueSecret", false}},
              {{"Key", "X-Conn-Secret"}, {"Value", kSecretHeader}, {"IsValueSecret", true}},
              {{"Key", "X-Shared"}, {"Value", "from-connection"}, {"IsValueSecret", false}}}},
            {"QueryStringParameters",
             {{{"Key", "conn_query"}, {"Value", "conn-query-value"}, {"IsValueSecret", false}},
              {{"Key", "conn_secret"}, {"Value", kSecretQuery}, {"IsValueSecret", true}},
              {{"Key", "shared"}, {"Value", "from-connection"}, {"IsValueSecret", false}}}},
            {"BodyParameters",
             {{{"Key", "conn_body"}, {"Value", "conn-body-value"}, {"IsValueSecret", false}},
              {{"Key", "conn_secret"}, {"Value", kSecretBody}, {"IsValueSecret", true}},
              {{"Key", "shared"}, {"Value", "from-connection"}, {"IsValueSecret", false}}}}};
  }

  ScratchDir dir_;
  std::unique_ptr<RunningServer> server_;
  http::testing::TargetServer service_;
  std::vector<std::string> names_;       // connections created
  std::vector<std::string> executions_;  // executions started
  std::string answers_;                  // every API answer's body
  int machines_ = 0;
};

TEST_F(ServeConnections, EachAuthorizationTypeAndTheInvocationParametersReachTheService) {
  stepd::testing::TokenServer tokens;
  Json oauth = {{"ClientParameters", {{"ClientID", "cid"}, {"ClientSecret", kClientSecret}}},
                {"AuthorizationEndpoint", tokens.Url()},
                {"HttpMethod", "POST"}};
  struct Case {
    std::string name, type;
    Json auth;
  };
  const std::vector<Case> cases = {
      {"e2e-apikey",
       "API_KEY",
       {{"ApiKeyAuthParameters", {{"ApiKeyName", "X-Api-Key"}, {"ApiKeyValue", kApiKeyValue}}}}},
      {"e2e-basic",
       "BASIC",
       {{"BasicAuthParameters", {{"Username", "user"}, {"Password", kPassword}}}}},
      {"e2e-oauth", "OAUTH_CLIENT_CREDENTIALS", {{"OAuthParameters", oauth}}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.type);
    Json auth = c.auth;
    auth["InvocationHttpParameters"] = InvocationParameters();
    const std::string arn = CreateConnection(c.name, c.type, auth);
    ASSERT_THAT(arn, HasSubstr(":connection/" + c.name + "/"));
    const std::string path = "/status/200?run=" + c.name;
    Json described =
        RunHttpTask(service_.Url(path), arn,
                    {{"Method", "POST"},
                     {"Headers", {{"X-Shared", "from-task"}, {"X-Task", "task-header"}}},
                     {"QueryParameters", {{"shared", "from-task"}, {"task_query", "tq"}}},
                     {"RequestBody", {{"shared", "from-task"}, {"task_body", "tb"}}}});
    ASSERT_EQ(described.value("status", ""), "SUCCEEDED") << described.dump();

    const http::testing::SeenRequest got = Received(path + "&");
    EXPECT_EQ(got.method, "POST");
    // The authorization of the connection's type, and only that.
    const auto authorization = got.headers.GetAll("Authorization");
    if (c.type == "API_KEY") {
      EXPECT_THAT(got.headers.GetAll("X-Api-Key"), ::testing::ElementsAre(kApiKeyValue));
      EXPECT_TRUE(authorization.empty());
    } else if (c.type == "BASIC") {
      EXPECT_THAT(authorization,
                  ::testing::ElementsAre("Basic " + Base64Encode("user:" + kPassword)));
    } else {
      ASSERT_FALSE(tokens.tokens_issued().empty());
      EXPECT_THAT(authorization, ::testing::ElementsAre("Bearer " + tokens.tokens_issued().back()));
      EXPECT_EQ(tokens.last().authorization, "Basic " + Base64Encode("cid:" + kClientSecret));
    }
    // The connection's invocation parameters, secret or not.
    EXPECT_THAT(got.headers.GetAll("X-Conn-Header"), ::testing::ElementsAre("conn-header-value"));
    EXPECT_THAT(got.headers.GetAll("X-Conn-Secret"), ::testing::ElementsAre(kSecretHeader));
    EXPECT_THAT(QueryValues(got.target, "conn_query"), ::testing::ElementsAre("conn-query-value"));
    EXPECT_THAT(QueryValues(got.target, "conn_secret"), ::testing::ElementsAre(kSecretQuery));
    auto body = ParseJson(got.body);
    ASSERT_TRUE(body.ok()) << got.body;
    EXPECT_EQ(body->value("conn_body", ""), "conn-body-value");
    EXPECT_EQ(body->value("conn_secret", ""), kSecretBody);
    // The task's own fields are kept beside them...
    EXPECT_THAT(got.headers.GetAll("X-Task"), ::testing::ElementsAre("task-header"));
    EXPECT_THAT(QueryValues(got.target, "task_query"), ::testing::ElementsAre("tq"));
    EXPECT_EQ(body->value("task_body", ""), "tb");
    // ...but a key both set is sent once, with the connection's value, as
    // AWS merges them ("overwrites the values in the HTTP Task with the
    // values in the connection").
    EXPECT_THAT(got.headers.GetAll("X-Shared"), ::testing::ElementsAre("from-connection"));
    EXPECT_THAT(QueryValues(got.target, "shared"), ::testing::ElementsAre("from-connection"));
    EXPECT_EQ(body->value("shared", ""), "from-connection");
  }
  EXPECT_EQ(service_.Count("/status/200"), cases.size());
  ExpectNoSecretAnywhere();
}

// A token whose expires_in has passed (on the real clock) is not sent
// again: the next call fetches a new one.
TEST_F(ServeConnections, AnExpiredOauthTokenIsFetchedAnewForTheNextCall) {
  stepd::testing::TokenServer tokens;
  tokens.SetExpiresIn(2);  // cached for half of it: 1 s
  const std::string arn = CreateConnection(
      "e2e-expiring", "OAUTH_CLIENT_CREDENTIALS",
      {{"OAuthParameters",
        {{"ClientParameters", {{"ClientID", "cid"}, {"ClientSecret", kClientSecret}}},
         {"AuthorizationEndpoint", tokens.Url()},
         {"HttpMethod", "POST"}}},
       {"InvocationHttpParameters", InvocationParameters()}});

  Json first = RunHttpTask(service_.Url("/status/200?run=first"), arn);
  ASSERT_EQ(first.value("status", ""), "SUCCEEDED") << first.dump();
  const std::string first_token = Bearer(Received("/status/200?run=first"));
  ASSERT_FALSE(first_token.empty());
  const size_t fetched = tokens.requests();
  EXPECT_GE(fetched, 1u);

  // Past the token's whole lifetime, let alone its cache time.
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  Json second = RunHttpTask(service_.Url("/status/200?run=second"), arn);
  ASSERT_EQ(second.value("status", ""), "SUCCEEDED") << second.dump();
  const std::string second_token = Bearer(Received("/status/200?run=second"));
  EXPECT_NE(second_token, first_token);
  ASSERT_FALSE(tokens.tokens_issued().empty());
  EXPECT_EQ(second_token, tokens.tokens_issued().back());
  EXPECT_GT(tokens.requests(), fetched);
  EXPECT_GE(tokens.requests(), 2u);
  EXPECT_EQ(tokens.last().authorization, "Basic " + Base64Encode("cid:" + kClientSecret));
  ExpectNoSecretAnywhere();
}

// A service answering 401 fails that task (States.Http.StatusCode.401) and
// drops the token, so the next call carries a fresh one although the old
// one had an hour left.
TEST_F(ServeConnections, A401MakesTheNextCallFetchAFreshToken) {
  stepd::testing::TokenServer tokens;  // expires_in 3600
  const std::string arn = CreateConnection(
      "e2e-refused", "OAUTH_CLIENT_CREDENTIALS",
      {{"OAuthParameters",
        {{"ClientParameters", {{"ClientID", "cid"}, {"ClientSecret", kClientSecret}}},
         {"AuthorizationEndpoint", tokens.Url()},
         {"HttpMethod", "POST"}}},
       {"InvocationHttpParameters", InvocationParameters()}});
  ASSERT_EQ(tokens.requests(), 1u);

  Json ok = RunHttpTask(service_.Url("/status/200?run=before"), arn);
  ASSERT_EQ(ok.value("status", ""), "SUCCEEDED") << ok.dump();
  EXPECT_EQ(Bearer(Received("/status/200?run=before")), "token-1");
  EXPECT_EQ(tokens.requests(), 1u);  // the cached token served

  Json refused = RunHttpTask(service_.Url("/status/401?run=refused"), arn);
  ASSERT_EQ(refused.value("status", ""), "FAILED") << refused.dump();
  EXPECT_EQ(refused.value("error", ""), "States.Http.StatusCode.401");
  EXPECT_EQ(Bearer(Received("/status/401?run=refused")), "token-1");

  Json after = RunHttpTask(service_.Url("/status/200?run=after"), arn);
  ASSERT_EQ(after.value("status", ""), "SUCCEEDED") << after.dump();
  EXPECT_EQ(Bearer(Received("/status/200?run=after")), "token-2");
  EXPECT_EQ(tokens.requests(), 2u);
  EXPECT_EQ(tokens.tokens_issued(), (std::vector<std::string>{"token-1", "token-2"}));
  ExpectNoSecretAnywhere();
}

TEST(Serve, AnUnreadableOutboundCaFileExitsTwo) {
  ScratchDir dir;
  std::string config =
      dir.Write("stepd.json", R"({"outbound": {"ca_file": ")" + dir.File("missing.pem") + R"("}})");
  auto result = RunStepd(dir, {"serve", "--config", config, "--db", dir.File("stepd.db")});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr("stepd: outbound HTTP client: cannot load CA file '" +
                                    dir.File("missing.pem") + "'"));
}

// --- Lambda-style functions (arn:aws:lambda:..., arn:aws:states:::lambda:invoke)

// One server for the suite, its "functions" mapping Lambda names to local
// functions this test process serves.
class ServeLambdaFunctions : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    state_ = new State;
    uint16_t closed_port = 0;
    {
      boost::asio::io_context ioc;
      boost::asio::ip::tcp::acceptor acceptor(ioc, {boost::asio::ip::make_address("127.0.0.1"), 0});
      closed_port = acceptor.local_endpoint().port();
    }
    const Json functions = {
        {"echo", state_->functions.Url("/fn/echo")},
        {"reject-order", {{"url", state_->functions.Url("/fn/error/OrderInvalid")}}},
        {"flaky", {{"url", state_->functions.Url("/fn/flaky/e2e/2")}, {"timeout_ms", 5000}}},
        {"stopped", "http://127.0.0.1:" + std::to_string(closed_port) + "/"},
    };
    std::string config = state_->dir.Write("stepd.json", Json{{"functions", functions}}.dump());
    state_->server = RunningServer::Start(state_->dir, {"--config", config});
  }
  static void TearDownTestSuite() {
    if (state_->server) {
      state_->server->process().Signal(SIGTERM);
      EXPECT_EQ(state_->server->process().Wait(std::chrono::seconds(30)), 0);
    }
    delete state_;
    state_ = nullptr;
  }
  void SetUp() override { ASSERT_NE(state_->server, nullptr); }

  static Json Aws(const std::string& operation, const Json& input) {
    http::ClientRequest request;
    request.method = "POST";
    request.url = state_->server->base_url() + "/";
    request.headers.Add("X-Amz-Target", "AWSStepFunctions." + operation);
    request.headers.Add("Content-Type", "application/x-amz-json-1.0");
    request.body = input.dump();
    auto response = http::Fetch(request);
    if (!response.ok()) {
      ADD_FAILURE() << operation << ": " << response.status();
      return Json();
    }
    auto body = ParseJson(response->body);
    EXPECT_EQ(response->status, 200) << operation << ": " << response->body;
    return body.ok() ? *body : Json();
  }

  // Runs a machine whose first state is "Call" on `input` to its end.
  static Json RunMachine(const std::string& name, const Json& states,
                         const Json& input = Json::object()) {
    return WaitForEnd(Start(name, states, input));
  }

  // Creates the machine and starts it; the execution's ARN.
  static std::string Start(const std::string& name, const Json& states, const Json& input) {
    Json definition = {{"StartAt", "Call"}, {"States", states}};
    Json created = Aws("CreateStateMachine", {{"name", name},
                                              {"definition", definition.dump()},
                                              {"roleArn", "arn:aws:iam::123456789012:role/r"}});
    Json started = Aws("StartExecution",
                       {{"stateMachineArn", created["stateMachineArn"]}, {"input", input.dump()}});
    return started.value("executionArn", "");
  }

  // DescribeExecution's answer once the execution ended, with "history":
  // the types of its events.
  static Json WaitForEnd(const std::string& execution_arn) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    Json described;
    do {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      described = Aws("DescribeExecution", {{"executionArn", execution_arn}});
    } while (described["status"] == "RUNNING" && std::chrono::steady_clock::now() < deadline);
    Json history = Aws("GetExecutionHistory", {{"executionArn", execution_arn}});
    described["history"] = Json::array();
    for (const Json& event : history.value("events", Json::array())) {
      described["history"].push_back(event["type"]);
    }
    return described;
  }

  static Json Output(const Json& described) {
    auto output = ParseJson(described.value("output", "null"));
    return output.ok() ? *output : Json();
  }

  static std::vector<std::string> History(const Json& described) {
    std::vector<std::string> types;
    for (const Json& type : described.value("history", Json::array())) {
      types.push_back(type.get<std::string>());
    }
    return types;
  }

  static Json LegacyTask(const std::string& function, Json extra = Json::object()) {
    Json task = {{"Type", "Task"},
                 {"Resource", "arn:aws:lambda:us-east-1:123456789012:function:" + function},
                 {"End", true}};
    for (auto& [key, value] : extra.items()) task[key] = value;
    return task;
  }

  static Json InvokeTask(const std::string& function, Json extra = Json::object()) {
    Json task = {{"Type", "Task"},
                 {"Resource", "arn:aws:states:::lambda:invoke"},
                 {"Parameters", {{"FunctionName", function}, {"Payload.$", "$"}}},
                 {"End", true}};
    for (auto& [key, value] : extra.items()) task[key] = value;
    return task;
  }

  struct State {
    ScratchDir dir;
    http::testing::TargetServer functions;
    std::unique_ptr<RunningServer> server;
  };
  static State* state_;
};
ServeLambdaFunctions::State* ServeLambdaFunctions::state_ = nullptr;

TEST_F(ServeLambdaFunctions, AFunctionArnRunsTheLocalFunctionOnTheStateInput) {
  Json described = RunMachine("lambda-legacy", {{"Call", LegacyTask("echo")}}, {{"order", 42}});
  ASSERT_EQ(described["status"], "SUCCEEDED") << described.dump();
  Json output = Output(described);
  // The function's own result, as AWS gives it for this form.
  EXPECT_EQ(output["event"], Json({{"order", 42}}));
  EXPECT_EQ(output["target"], "/fn/echo");
  EXPECT_EQ(output["headers"]["lambda-runtime-invoked-function-arn"],
            "arn:aws:lambda:us-east-1:123456789012:function:echo");
  EXPECT_EQ(output["headers"]["x-stepd-idempotency-token"].get<std::string>().size(), 64u);
  EXPECT_THAT(
      History(described),
      ::testing::ElementsAre("ExecutionStarted", "TaskStateEntered", "LambdaFunctionScheduled",
                             "LambdaFunctionStarted", "LambdaFunctionSucceeded", "TaskStateExited",
                             "ExecutionSucceeded"));
}

TEST_F(ServeLambdaFunctions, LambdaInvokeAnswersWithAwssOutputShape) {
  Json described =
      RunMachine("lambda-invoke",
                 {{"Call", InvokeTask("arn:aws:lambda:us-west-2:111122223333:function:echo:prod")}},
                 {{"order", 42}});
  ASSERT_EQ(described["status"], "SUCCEEDED") << described.dump();
  Json output = Output(described);
  std::vector<std::string> keys;
  for (const auto& [key, value] : output.items()) keys.push_back(key);
  EXPECT_THAT(keys, ::testing::ElementsAre("ExecutedVersion", "Payload", "SdkHttpMetadata",
                                           "SdkResponseMetadata", "StatusCode"));
  EXPECT_EQ(output["StatusCode"], 200);
  EXPECT_EQ(output["ExecutedVersion"], "$LATEST");
  EXPECT_EQ(output["Payload"]["event"], Json({{"order", 42}}));
  EXPECT_EQ(output["Payload"]["target"], "/fn/echo?Qualifier=prod");
  EXPECT_EQ(output["SdkHttpMetadata"]["HttpStatusCode"], 200);
  EXPECT_EQ(output["SdkHttpMetadata"]["HttpHeaders"]["Content-Type"], "application/json");
  EXPECT_EQ(output["SdkHttpMetadata"]["HttpHeaders"]["x-amzn-RequestId"],
            output["SdkResponseMetadata"]["RequestId"]);
  EXPECT_EQ(output["SdkResponseMetadata"]["RequestId"],
            output["Payload"]["headers"]["lambda-runtime-aws-request-id"]);
  EXPECT_THAT(
      History(described),
      ::testing::ElementsAre("ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted",
                             "TaskSucceeded", "TaskStateExited", "ExecutionSucceeded"));
}

// lambda:invoke.waitForTaskToken: the function gets the token in its payload
// and the task waits for the answer sent on it.
TEST_F(ServeLambdaFunctions, WaitForTaskTokenInvokesTheFunctionThenWaitsForTheToken) {
  Json task = {{"Type", "Task"},
               {"Resource", "arn:aws:states:::lambda:invoke.waitForTaskToken"},
               {"Parameters",
                {{"FunctionName", "echo"},
                 {"Payload", {{"token.$", "$$.Task.Token"}, {"order.$", "$.order"}}}}},
               {"End", true}};
  const size_t before = state_->functions.Count("/fn/echo");
  const std::string arn = Start("lambda-token", {{"Call", task}}, {{"order", 42}});
  ASSERT_TRUE(state_->functions.WaitFor("/fn/echo", before + 1));
  auto payload = ParseJson(state_->functions.Seen().back().body);
  ASSERT_TRUE(payload.ok());
  EXPECT_EQ((*payload)["order"], 42);
  const std::string token = payload->value("token", "");
  ASSERT_EQ(token.size(), 64u) << payload->dump();
  // Waits for the function's answer to be recorded (TaskSubmitted): a token
  // sent before it ends the task first, and the late answer is then dropped
  // like any answer to a task no longer awaited.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  bool submitted = false;
  while (!submitted && std::chrono::steady_clock::now() < deadline) {
    for (const Json& event : Aws("GetExecutionHistory", {{"executionArn", arn}})
                                 .value("events", Json::array())) {
      submitted = submitted || event["type"] == "TaskSubmitted";
    }
    if (!submitted) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_TRUE(submitted);
  Aws("SendTaskSuccess", {{"taskToken", token}, {"output", R"({"approved": true})"}});
  Json described = WaitForEnd(arn);
  ASSERT_EQ(described["status"], "SUCCEEDED") << described.dump();
  EXPECT_EQ(Output(described), Json({{"approved", true}}));
  EXPECT_THAT(History(described),
              ::testing::ElementsAre("ExecutionStarted", "TaskStateEntered", "TaskScheduled",
                                     "TaskStarted", "TaskSubmitted", "TaskSucceeded",
                                     "TaskStateExited", "ExecutionSucceeded"));

  // A function that fails fails the task at once, by its errorType.
  task["Parameters"]["FunctionName"] = "reject-order";
  Json failed = RunMachine("lambda-token-fails", {{"Call", task}}, {{"order", 42}});
  ASSERT_EQ(failed["status"], "FAILED") << failed.dump();
  EXPECT_EQ(failed["error"], "OrderInvalid");
}

// A human approval: the token reaches the function, and another process
// (the AWS CLI) sends the approval through the API.
TEST_F(ServeLambdaFunctions, AnApprovalSentByAnotherProcessEndsTheWait) {
  Json task = {{"Type", "Task"},
               {"Resource", "arn:aws:states:::lambda:invoke.waitForTaskToken"},
               {"Parameters",
                {{"FunctionName", "echo"},
                 {"Payload", {{"token.$", "$$.Task.Token"}, {"report.$", "$.report"}}}}},
               {"HeartbeatSeconds", 600},
               {"End", true}};
  const size_t before = state_->functions.Count("/fn/echo");
  const std::string arn = Start("approval", {{"Call", task}}, {{"report", "q3"}});
  ASSERT_TRUE(state_->functions.WaitFor("/fn/echo", before + 1));
  auto payload = ParseJson(state_->functions.Seen().back().body);
  ASSERT_TRUE(payload.ok());
  const std::string token = payload->value("token", "");
  ASSERT_EQ(token.size(), 64u);
  const std::string aws = "AWS_ACCESS_KEY_ID=approver AWS_SECRET_ACCESS_KEY=unused "
                          "AWS_DEFAULT_REGION=us-east-1 AWS_CONFIG_FILE=/dev/null "
                          "aws stepfunctions --endpoint-url " +
                          state_->server->base_url() + " ";
  ASSERT_EQ(std::system((aws + "send-task-heartbeat --task-token " + token).c_str()), 0);
  ASSERT_EQ(std::system((aws + "send-task-success --task-token " + token +
                         " --task-output '{\"approved\":true,\"by\":\"cli\"}' > /dev/null")
                            .c_str()),
            0);
  Json described = WaitForEnd(arn);
  ASSERT_EQ(described["status"], "SUCCEEDED") << described.dump();
  EXPECT_EQ(Output(described), Json({{"approved", true}, {"by", "cli"}}));
  // The token is spent: a second answer is refused with AWS's error.
  EXPECT_NE(std::system((aws + "send-task-success --task-token " + token +
                         " --task-output '{}' 2> " + state_->dir.path() + "/again.err")
                            .c_str()),
            0);
  std::ifstream err(state_->dir.path() + "/again.err");
  std::string text((std::istreambuf_iterator<char>(err)), std::istreambuf_iterator<char>());
  EXPECT_THAT(text, ::testing::HasSubstr("TaskTimedOut"));
}

// Nobody answers: the heartbeat runs out, the task times out, and the
// token is spent.
TEST_F(ServeLambdaFunctions, ATokenNobodyAnswersTimesOut) {
  Json task = {{"Type", "Task"},
               {"Resource", "arn:aws:states:::lambda:invoke.waitForTaskToken"},
               {"Parameters", {{"FunctionName", "echo"}, {"Payload", {{"token.$", "$$.Task.Token"}}}}},
               {"HeartbeatSeconds", 1},
               {"TimeoutSeconds", 60},
               {"End", true}};
  const size_t before = state_->functions.Count("/fn/echo");
  const std::string arn = Start("approval-times-out", {{"Call", task}}, Json::object());
  ASSERT_TRUE(state_->functions.WaitFor("/fn/echo", before + 1));
  auto payload = ParseJson(state_->functions.Seen().back().body);
  ASSERT_TRUE(payload.ok());
  const std::string token = payload->value("token", "");
  Json described = WaitForEnd(arn);
  ASSERT_EQ(described["status"], "FAILED") << described.dump();
  EXPECT_EQ(described["error"], "States.Timeout");
  EXPECT_THAT(History(described), ::testing::Contains("TaskTimedOut"));
  http::ClientRequest late;
  late.method = "POST";
  late.url = state_->server->base_url() + "/";
  late.headers.Add("X-Amz-Target", "AWSStepFunctions.SendTaskSuccess");
  late.headers.Add("Content-Type", "application/x-amz-json-1.0");
  late.body = Json({{"taskToken", token}, {"output", "{}"}}).dump();
  auto answer = http::Fetch(late);
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_EQ(answer->status, 400);
  EXPECT_THAT(answer->body, ::testing::HasSubstr("TaskTimedOut"));
}

TEST_F(ServeLambdaFunctions, CatchTakesAFunctionErrorByItsErrorType) {
  const Json caught = {{"Type", "Pass"}, {"End", true}};
  const Json catcher = Json::array(
      {{{"ErrorEquals", {"OrderInvalid"}}, {"ResultPath", "$.error"}, {"Next", "Caught"}}});
  int n = 0;
  for (const Json& task : {LegacyTask("reject-order", {{"Catch", catcher}}),
                           InvokeTask("reject-order", {{"Catch", catcher}})}) {
    Json described = RunMachine("lambda-catch-" + std::to_string(n++),
                                {{"Call", task}, {"Caught", caught}}, {{"order", 42}});
    ASSERT_EQ(described["status"], "SUCCEEDED") << described.dump();
    Json output = Output(described);
    EXPECT_EQ(output["order"], 42);
    EXPECT_EQ(output["error"]["Error"], "OrderInvalid") << task.dump();
    auto cause = ParseJson(output["error"].value("Cause", ""));
    ASSERT_TRUE(cause.ok()) << output.dump();
    EXPECT_EQ((*cause)["errorMessage"], "failed on purpose");
    EXPECT_EQ((*cause)["errorType"], "OrderInvalid");
  }
}

TEST_F(ServeLambdaFunctions, RetryOutlastsAFunctionThatFailsTwice) {
  Json retry = Json::array({{{"ErrorEquals", {"TransientError"}},
                             {"IntervalSeconds", 1},
                             {"BackoffRate", 1},
                             {"MaxAttempts", 3}}});
  Json described = RunMachine("lambda-flaky", {{"Call", InvokeTask("flaky", {{"Retry", retry}})}});
  ASSERT_EQ(described["status"], "SUCCEEDED") << described.dump();
  EXPECT_EQ(Output(described)["Payload"], Json({{"attempt", 3}}));
  EXPECT_EQ(state_->functions.Count("/fn/flaky/e2e/"), 3u);
  const std::vector<std::string> history = History(described);
  EXPECT_EQ(std::count(history.begin(), history.end(), "TaskFailed"), 2);
}

TEST_F(ServeLambdaFunctions, AFunctionThatIsNotRunningIsLambdaSdkClientException) {
  Json described = RunMachine("lambda-stopped", {{"Call", InvokeTask("stopped")}});
  ASSERT_EQ(described["status"], "FAILED") << described.dump();
  EXPECT_EQ(described["error"], "Lambda.SdkClientException");
  EXPECT_THAT(described.value("cause", ""), HasSubstr("Unable to execute HTTP request: "));
}

TEST_F(ServeLambdaFunctions, AnUnmappedFunctionFailsNamingIt) {
  for (const Json& task : {LegacyTask("ghost"), InvokeTask("ghost")}) {
    Json described =
        RunMachine(std::string("lambda-ghost-") +
                       (task["Resource"] == "arn:aws:states:::lambda:invoke" ? "invoke" : "arn"),
                   {{"Call", task}});
    ASSERT_EQ(described["status"], "FAILED") << described.dump();
    EXPECT_EQ(described["error"], "States.TaskFailed");
    EXPECT_EQ(described["cause"],
              "The Lambda function 'ghost' has no endpoint: stepd's option \"functions\" does not "
              "name it");
  }
}

TEST(Serve, AMalformedFunctionMappingExitsTwoNamingIt) {
  ScratchDir dir;
  std::string config =
      dir.Write("stepd.json", R"({"functions": {"validate": {"url": "tcp://127.0.0.1:9"}}})");
  auto result = RunStepd(dir, {"serve", "--config", config, "--db", dir.File("stepd.db")});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.err, "stepd: option \"functions.validate.url\" in " + config +
                            " must be an http:// or https:// URL with a host (and no user "
                            "information or fragment), got \"tcp://127.0.0.1:9\"\n");
  EXPECT_FALSE(std::filesystem::exists(dir.File("stepd.db")));
}

}  // namespace
}  // namespace stepd::server
