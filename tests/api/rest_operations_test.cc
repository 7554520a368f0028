// Who the caller is, activities and pending tasks, connections, the audit log.

#include <sqlite3.h>

#include <sstream>

#include "api/rest_testing.h"
#include "stepd/base/percent_encoding.h"

namespace stepd::api::testing {
namespace {

class RestOperations : public RestTest {};

TEST_F(RestOperations, MeNamesTheCallerItsRolesAndWhatItMayDoOnAStateMachine) {
  StackOptions options;
  options.auth.access_keys = {{"AKIDMEADMIN00001", "admin-secret", "", Role::kAdmin},
                              {"AKIDMEVIEWER0001", "viewer-secret", "ops-viewer", std::nullopt}};
  options.auth.bindings = {
      {RoleBinding::Kind::kAccessKey, "AKIDMEVIEWER0001", Role::kOperator, {"etl-*"}}};
  options.sign_as = {"AKIDMEADMIN00001", "admin-secret"};
  stack_ = std::make_unique<AwsStack>(options);

  AwsAnswer admin = GetAs("/v1/me?state_machine=billing", "AKIDMEADMIN00001", "admin-secret");
  ASSERT_EQ(admin.status, 200) << admin.raw;
  EXPECT_EQ(admin.body["kind"], "sigv4");
  EXPECT_EQ(admin.body["roles"], "admin");
  EXPECT_EQ(admin.body["permissions"],
            Json({{"read", true}, {"start", true}, {"operate", true}, {"manage", true}}));
  EXPECT_EQ(admin.body["state_machine"]["operate"], true);

  // Scoped: an operator on etl-* only, the default viewer elsewhere.
  AwsAnswer scoped = GetAs("/v1/me?state_machine=etl-load", "AKIDMEVIEWER0001", "viewer-secret");
  ASSERT_EQ(scoped.status, 200) << scoped.raw;
  EXPECT_EQ(scoped.body["principal"], "ops-viewer");
  EXPECT_EQ(scoped.body["grants"][0], Json({{"role", "operator"}, {"state_machines", {"etl-*"}}}));
  EXPECT_EQ(scoped.body["permissions"]["operate"], false);
  EXPECT_EQ(scoped.body["state_machine"], Json({{"read", true},
                                                {"start", true},
                                                {"operate", true},
                                                {"manage", false},
                                                {"name", "etl-load"}}));
  AwsAnswer elsewhere = GetAs("/v1/me?state_machine=billing", "AKIDMEVIEWER0001", "viewer-secret");
  EXPECT_EQ(elsewhere.body["state_machine"]["operate"], false);
  EXPECT_FALSE(elsewhere.body.contains("email"));

  EXPECT_EQ(ProblemOf(GetAs("/v1/me?machine=x", "AKIDMEADMIN00001", "admin-secret")),
            std::make_pair(400, std::string("InvalidQueryParameter")));
}

TEST_F(RestOperations, PendingActivityTasksShowWhoWorksOnWhatButNeverATaskToken) {
  const std::string activity = stack_->CreateActivity("work");
  const std::string machine = stack_->CreateMachine("m", kActivityDefinition);
  stack_->StartExecution(machine, "job", R"({"n": 1})");
  ASSERT_TRUE(
      WaitUntil([&] { return Get("/v1/activities/work/tasks").body["items"].size() == 1; }));
  EXPECT_EQ(Get("/v1/activities/work").body["arn"], activity);
  AwsAnswer activities = Get("/v1/activities");
  ASSERT_EQ(activities.body["items"].size(), 1u) << activities.raw;
  EXPECT_EQ(activities.body["items"][0]["links"]["tasks"], "/v1/activities/work/tasks");

  AwsAnswer queued = Get("/v1/activities/work/tasks");
  ASSERT_EQ(queued.body["items"].size(), 1u) << queued.raw;
  EXPECT_EQ(queued.body["items"][0]["state"], "QUEUED");
  EXPECT_EQ(queued.body["items"][0]["execution"]["id"], "m:job");
  EXPECT_EQ(queued.body["items"][0]["input"], Json({{"n", 1}}));

  Json task = stack_->TakeTask(activity);
  ASSERT_TRUE(task.contains("taskToken"));
  const std::string token = task["taskToken"];
  AwsAnswer started = Get("/v1/tasks?execution=m:job");
  ASSERT_EQ(started.body["items"].size(), 1u) << started.raw;
  EXPECT_EQ(started.body["items"][0]["state"], "STARTED");
  EXPECT_EQ(started.body["items"][0]["kind"], "activity");
  EXPECT_EQ(started.raw.find(token), std::string::npos);
  EXPECT_TRUE(Get("/v1/tasks?state=QUEUED").body["items"].empty());
  EXPECT_EQ(ProblemOf(Get("/v1/tasks?state=WAITING")),
            std::make_pair(400, std::string("InvalidQueryParameter")));
  EXPECT_EQ(ProblemOf(Get("/v1/activities/nope/tasks")),
            std::make_pair(404, std::string("ActivityDoesNotExist")));
  EXPECT_EQ(ProblemOf(Get("/v1/tasks?execution=m:ghost")),
            std::make_pair(404, std::string("ExecutionDoesNotExist")));
}

TEST_F(RestOperations, ConnectionsAreListedWithoutTheirSecrets) {
  AwsAnswer created = stack_->CallEvents(
      "CreateConnection",
      {{"Name", "warehouse"},
       {"AuthorizationType", "API_KEY"},
       {"AuthParameters",
        {{"ApiKeyAuthParameters", {{"ApiKeyName", "X-Key"}, {"ApiKeyValue", "s3cr3t-value"}}}}}});
  ASSERT_EQ(created.status, 200) << created.raw;
  AwsAnswer listed = Get("/v1/connections");
  ASSERT_EQ(listed.body["items"].size(), 1u) << listed.raw;
  EXPECT_EQ(listed.body["items"][0]["authorization_type"], "API_KEY");
  AwsAnswer one = Get("/v1/connections/warehouse");
  ASSERT_EQ(one.status, 200) << one.raw;
  EXPECT_EQ(one.body["auth_parameters"]["ApiKeyAuthParameters"]["ApiKeyName"], "X-Key");
  EXPECT_EQ(one.raw.find("s3cr3t-value"), std::string::npos);
  EXPECT_EQ(listed.raw.find("s3cr3t-value"), std::string::npos);
  EXPECT_EQ(ProblemOf(Get("/v1/connections/none")).first, 404);
}

TEST_F(RestOperations, TheAuditLogFiltersPagesExportsAndVerifies) {
  const std::string machine = stack_->CreateMachine("m", kPassDefinition);
  for (int i = 0; i < 3; ++i) stack_->StartExecution(machine, "r" + std::to_string(i));
  for (int i = 0; i < 3; ++i) stack_->WaitForEnd(ExecutionArn("m", "r" + std::to_string(i)));

  AwsAnswer starts = Get("/v1/audit?action=ExecutionStarted&principal=admin");
  ASSERT_EQ(starts.status, 200) << starts.raw;
  ASSERT_EQ(starts.body["items"].size(), 3u);
  EXPECT_EQ(starts.body["items"][0]["resource"], ExecutionArn("m", "r0"));
  AwsAnswer newest = Get("/v1/audit?action=ExecutionStarted&order=desc&limit=1");
  EXPECT_EQ(newest.body["items"][0]["resource"], ExecutionArn("m", "r2"));
  ASSERT_TRUE(newest.body.contains("next_cursor"));
  AwsAnswer one = Get("/v1/audit?resource=" + PercentEncode(ExecutionArn("m", "r1")));
  for (const Json& row : one.body["items"]) EXPECT_EQ(row["resource"], ExecutionArn("m", "r1"));
  EXPECT_TRUE(Get("/v1/audit?since=2999-01-01T00:00:00Z").body["items"].empty());

  AwsAnswer lines = Get("/v1/audit?format=jsonl&limit=2");
  ASSERT_EQ(lines.status, 200);
  EXPECT_EQ(lines.headers.Get("Content-Type").value_or(""), "application/x-ndjson");
  std::istringstream in(lines.raw);
  std::string line;
  int64_t rows = 0, last_seq = 0;
  while (std::getline(in, line)) {
    StatusOr<Json> row = ParseJson(line);
    ASSERT_TRUE(row.ok()) << line;
    EXPECT_EQ((*row)["seq"], last_seq + 1);
    last_seq = (*row)["seq"];
    ++rows;
  }
  AwsAnswer verified = Get("/v1/audit/verify");
  ASSERT_EQ(verified.status, 200) << verified.raw;
  EXPECT_TRUE(verified.body["intact"].get<bool>());
  EXPECT_EQ(verified.body["rows"], rows);
  EXPECT_EQ(ProblemOf(Get("/v1/audit?order=sideways")),
            std::make_pair(400, std::string("InvalidQueryParameter")));

  // Altering a row (behind the append-only trigger's back) is found.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(stack_->db_path().c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "DROP TRIGGER audit_log_no_update; "
                         "UPDATE audit_log SET actor = 'mallory' WHERE seq = 2",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  AwsAnswer broken = Get("/v1/audit/verify");
  ASSERT_EQ(broken.status, 200);
  EXPECT_FALSE(broken.body["intact"].get<bool>());
  EXPECT_NE(broken.body["problem"].get<std::string>().find("row 2"), std::string::npos)
      << broken.raw;
}

}  // namespace
}  // namespace stepd::api::testing
