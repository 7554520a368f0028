#include "stepd/server/provision.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include "server/stepd_process_testing.h"
#include "stepd/base/json.h"
#include "stepd/http/client.h"
#include "stepd/store/sqlite_store.h"

namespace stepd::server {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::RunningServer;
using testing::ScratchDir;

constexpr char kArn[] = "arn:aws:states:us-east-1:123456789012:stateMachine:";
constexpr char kPass[] = R"({"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}})";
constexpr char kTwoPasses[] =
    R"({"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"},"B":{"Type":"Pass","End":true}}})";

struct Db {
  explicit Db(const ScratchDir& dir) {
    store::StoreOptions options;
    options.path = dir.File("stepd.db");
    options.audit_key = "k";
    store = store::OpenSqliteStore(options).value();
  }
  std::unique_ptr<store::Store> store;
};

ProvisionContext Context(const ScratchDir& dir, int64_t now_ms = 1000) {
  return {"us-east-1", "123456789012", dir.path(), now_ms};
}

ConfiguredStateMachine Inline(const std::string& name, const std::string& definition) {
  ConfiguredStateMachine m;
  m.name = name;
  m.definition = definition;
  return m;
}

std::vector<std::string> AuditActions(store::Store& db) {
  std::vector<std::string> actions;
  auto rows = db.QueryAudit({}, store::PageRequest{100, ""});
  for (const auto& row : rows.value().items) {
    if (row.entry.actor == "config") actions.push_back(row.entry.action + " " + row.entry.target);
  }
  return actions;
}

TEST(ProvisionStateMachines, CreatesThenLeavesAloneThenUpdatesWithANewRevision) {
  ScratchDir dir;
  Db db(dir);
  dir.Write("machines/two.asl.json", kTwoPasses);
  ConfiguredStateMachine from_file;
  from_file.name = "two";
  from_file.definition_file = "machines/two.asl.json";  // relative to base_dir
  from_file.type = store::StateMachineType::kExpress;
  std::vector<ConfiguredStateMachine> machines = {Inline("one", kPass), from_file};

  auto first = ProvisionStateMachines(*db.store, machines, Context(dir));
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_THAT(first->created, ElementsAre("one", "two"));
  auto two = db.store->GetStateMachine(std::string(kArn) + "two");
  ASSERT_TRUE(two.ok());
  EXPECT_EQ(two->definition, kTwoPasses);
  EXPECT_EQ(two->type, store::StateMachineType::kExpress);
  EXPECT_EQ(two->role_arn, "arn:aws:iam::123456789012:role/stepd");
  EXPECT_EQ(ParseJson(two->attributes_json).value()["loggingConfiguration"]["level"], "OFF");
  const std::string revision = two->revision_id;

  // A restart with the same file changes nothing.
  auto again = ProvisionStateMachines(*db.store, machines, Context(dir, 2000));
  ASSERT_TRUE(again.ok());
  EXPECT_THAT(again->unchanged, ElementsAre("one", "two"));
  EXPECT_EQ(db.store->GetStateMachine(std::string(kArn) + "two")->revision_id, revision);

  // An edited file is a new revision; the old one stays readable.
  dir.Write("machines/two.asl.json", kPass);
  machines[0].role_arn = "arn:aws:iam::123456789012:role/other";
  auto edited = ProvisionStateMachines(*db.store, machines, Context(dir, 3000));
  ASSERT_TRUE(edited.ok());
  EXPECT_THAT(edited->updated, ElementsAre("one", "two"));
  auto updated = db.store->GetStateMachine(std::string(kArn) + "two");
  EXPECT_NE(updated->revision_id, revision);
  EXPECT_EQ(updated->definition, kPass);
  EXPECT_EQ(updated->updated_at_ms, 3000);
  EXPECT_EQ(db.store->GetStateMachineDefinition(std::string(kArn) + "two", revision).value(),
            kTwoPasses);
  EXPECT_EQ(db.store->GetStateMachine(std::string(kArn) + "one")->role_arn,
            "arn:aws:iam::123456789012:role/other");

  EXPECT_THAT(AuditActions(*db.store),
              ElementsAre(std::string("CreateStateMachine ") + kArn + "one",
                          std::string("CreateStateMachine ") + kArn + "two",
                          std::string("UpdateStateMachine ") + kArn + "one",
                          std::string("UpdateStateMachine ") + kArn + "two"));
  EXPECT_TRUE(db.store->VerifyAuditChain().ok());
}

TEST(ProvisionStateMachines, ABadDefinitionAMissingFileOrAChangedTypeIsRefusedNamingTheMachine) {
  ScratchDir dir;
  Db db(dir);
  auto bad = ProvisionStateMachines(
      *db.store, {Inline("bad", R"({"StartAt":"Nowhere","States":{}})")}, Context(dir));
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(), HasSubstr("state machine 'bad'"));
  EXPECT_THAT(bad.status().message(), HasSubstr("Invalid State Machine Definition"));
  EXPECT_EQ(db.store->GetStateMachine(std::string(kArn) + "bad").status().code(),
            StatusCode::kNotFound);

  ConfiguredStateMachine missing;
  missing.name = "missing";
  missing.definition_file = "nope.json";
  auto unread = ProvisionStateMachines(*db.store, {missing}, Context(dir));
  EXPECT_EQ(unread.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(unread.status().message(), HasSubstr(dir.File("nope.json")));

  ASSERT_TRUE(ProvisionStateMachines(*db.store, {Inline("m", kPass)}, Context(dir)).ok());
  ConfiguredStateMachine express = Inline("m", kPass);
  express.type = store::StateMachineType::kExpress;
  auto changed = ProvisionStateMachines(*db.store, {express}, Context(dir));
  EXPECT_EQ(changed.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(changed.status().message(), HasSubstr("STANDARD in the database and EXPRESS"));
  EXPECT_EQ(db.store->GetStateMachine(std::string(kArn) + "m")->type,
            store::StateMachineType::kStandard);
}

Json Aws(const RunningServer& server, const std::string& operation, const Json& input) {
  http::ClientRequest request;
  request.method = "POST";
  request.url = server.base_url() + "/";
  request.headers.Add("X-Amz-Target", "AWSStepFunctions." + operation);
  request.headers.Add("Content-Type", "application/x-amz-json-1.0");
  request.body = input.dump();
  auto response = http::Fetch(request);
  EXPECT_TRUE(response.ok()) << response.status();
  if (!response.ok()) return Json();
  EXPECT_EQ(response->status, 200) << response->body;
  return ParseJson(response->body).value_or(Json());
}

TEST(ServeStateMachinesFromConfig, TheConfigFilesMachinesExistWhenTheServerIsReady) {
  ScratchDir dir;
  dir.Write("conf/machines/hello.asl.json", kTwoPasses);
  const std::string config = dir.Write("conf/stepd.json", R"({
    // read from the config file's directory
    "state_machines": {
      "hello": {"definition_file": "machines/hello.asl.json"},
      "inline": {"definition": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}},
                 "type": "EXPRESS"}}})");
  auto server = RunningServer::Start(dir, {"--config", config});
  ASSERT_NE(server, nullptr);
  Json described =
      Aws(*server, "DescribeStateMachine", {{"stateMachineArn", std::string(kArn) + "hello"}});
  EXPECT_EQ(ParseJson(described.value("definition", "")).value_or(Json()),
            ParseJson(kTwoPasses).value());
  EXPECT_EQ(
      Aws(*server, "DescribeStateMachine", {{"stateMachineArn", std::string(kArn) + "inline"}})
          .value("type", ""),
      "EXPRESS");
  server->process().Signal(SIGTERM);
  ASSERT_EQ(server->process().Wait(std::chrono::seconds(30)), 0);
  EXPECT_THAT(server->process().Stderr(),
              HasSubstr("2 state machine(s) in the config file: 2 created, 0 updated"));
}

TEST(ServeStateMachinesFromConfig, ADefinitionThatDoesNotCompileStopsTheStartNamingIt) {
  ScratchDir dir;
  const std::string config = dir.Write("stepd.json", R"({"state_machines": {
      "broken": {"definition": {"StartAt": "X", "States": {}}}}})");
  auto result = testing::RunStepd(
      dir, {"serve", "--config", config, "--listen", "127.0.0.1:0", "--db", dir.File("stepd.db")});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.err, HasSubstr("state machine 'broken'"));
  EXPECT_THAT(result.err, HasSubstr("Invalid State Machine Definition"));
}

TEST(ServeStateMachinesFromConfig, AMalformedEntryIsABadOptionNamingItsKey) {
  ScratchDir dir;
  const std::string config = dir.Write("stepd.json", R"({"state_machines": {
      "both": {"definition": {"StartAt": "P", "States": {}}, "definition_file": "x.json"}}})");
  auto result = testing::RunStepd(
      dir, {"serve", "--config", config, "--listen", "127.0.0.1:0", "--db", dir.File("stepd.db")});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr("state_machines.both"));
  EXPECT_THAT(result.err, HasSubstr("exactly one of"));
}

}  // namespace
}  // namespace stepd::server
