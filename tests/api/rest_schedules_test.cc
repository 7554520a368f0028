// /v1/schedules: create, read (with the next due times), replace, enable
// and disable, delete, fire by hand; bad input is a 400 naming the problem;
// changes need `manage` and are audited.

#include "api/rest_testing.h"

namespace stepd::api::testing {
namespace {

class RestSchedules : public RestTest {
 protected:
  void SetUp() override { stack_->CreateMachine("m", kPassDefinition); }

  Json Schedule(const std::string& name, const std::string& expression) {
    return {{"name", name}, {"state_machine", "m"}, {"expression", expression}};
  }

  std::vector<store::AuditRecord> Rows(const std::string& action) {
    std::vector<store::AuditRecord> rows;
    const std::vector<store::AuditRecord> all =
        stack_->store()->ListAudit({1000, ""}).value().items;
    for (const auto& row : all) {
      if (row.entry.action == action) rows.push_back(row);
    }
    return rows;
  }

  // `method` `target` signed with SigV4 as access key `key_id`.
  AwsAnswer SendAs(const std::string& method, std::string_view target, const Json& body,
                   const std::string& key_id, const std::string& secret) {
    const http::Request aws = AwsStack::Request("Rest", "");
    http::Request request =
        http::MakeRequest(method, target, body.is_null() ? std::string() : body.dump(),
                          {{"Host", std::string(*aws.headers.Get("Host"))},
                           {"X-Amz-Date", std::string(*aws.headers.Get("X-Amz-Date"))},
                           {"X-Amz-Target", "rest"},
                           {"Content-Type", "application/json"}});
    AwsStack::Sign(&request, key_id, secret);
    return Checked(method, target, stack_->Send(std::move(request)));
  }
};

TEST_F(RestSchedules, CreateReadListAndDeleteAScheduleWithItsAuditRows) {
  Json body = Schedule("nightly", "cron(0 2 * * ? *)");
  body["timezone"] = "Europe/Berlin";
  body["input"] = {{"x", 1}};
  body["catch_up"] = "SKIP";
  body["description"] = "the nightly load";
  AwsAnswer created = Post("/v1/schedules", body);
  ASSERT_EQ(created.status, 201) << created.raw;
  EXPECT_EQ(created.headers.Get("Location").value_or(""), "/v1/schedules/nightly");
  EXPECT_EQ(created.body["state_machine"], "m");
  EXPECT_EQ(created.body["state_machine_arn"], MachineArn("m"));
  EXPECT_EQ(created.body["input"], Json({{"x", 1}}));
  EXPECT_EQ(created.body["timezone"], "Europe/Berlin");
  EXPECT_EQ(created.body["catch_up"], "SKIP");
  EXPECT_EQ(created.body["source"], "api");
  EXPECT_EQ(created.body["enabled"], true);
  ASSERT_TRUE(created.body.contains("next_fire"));

  AwsAnswer got = Get("/v1/schedules/nightly");
  ASSERT_EQ(got.status, 200) << got.raw;
  ASSERT_EQ(got.body["upcoming"].size(), 5u);
  EXPECT_EQ(got.body["upcoming"][0], got.body["next_fire"]);
  AwsAnswer listed = Get("/v1/schedules");
  ASSERT_EQ(listed.body["items"].size(), 1u);
  EXPECT_EQ(listed.body["items"][0]["name"], "nightly");

  const auto rows = Rows("CreateSchedule");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].entry.actor, "admin");
  EXPECT_EQ(rows[0].entry.target, "nightly");

  EXPECT_EQ(Rest("DELETE", "/v1/schedules/nightly").status, 204);
  EXPECT_EQ(ProblemOf(Get("/v1/schedules/nightly")),
            std::make_pair(404, std::string("ResourceNotFound")));
  EXPECT_EQ(Rows("DeleteSchedule").size(), 1u);
}

TEST_F(RestSchedules, BadSchedulesAre400sNamingTheProblem) {
  AwsAnswer cron = Post("/v1/schedules", Schedule("s", "cron(0 12 * * * *)"));
  EXPECT_EQ(ProblemOf(cron), std::make_pair(400, std::string("ValidationException")));
  EXPECT_EQ(cron.body["detail"],
            "schedule 's': cron: one of day-of-month ('*') and day-of-week ('*') must be '?'");
  Json zone = Schedule("s", "rate(1 hour)");
  zone["timezone"] = "Europe/Atlantis";
  EXPECT_EQ(Post("/v1/schedules", zone).body["detail"],
            "schedule 's': unknown time zone 'Europe/Atlantis' (an IANA name such as "
            "Europe/Berlin)");
  Json target = Schedule("s", "rate(1 hour)");
  target["state_machine"] = "nope";
  EXPECT_EQ(Post("/v1/schedules", target).body["detail"],
            "schedule 's': state machine '" + MachineArn("nope") + "' does not exist");
  Json alias = Schedule("s", "rate(1 hour)");
  alias["alias"] = "prod";
  EXPECT_EQ(ProblemOf(Post("/v1/schedules", alias)),
            std::make_pair(400, std::string("ValidationException")));
  // Bodies the OpenAPI document refuses too: sent raw.
  EXPECT_EQ(RestRaw("POST", "/v1/schedules", R"({"name":"s","state_machine":"m"})").body["detail"],
            "Member 'expression' is required");
  Json catch_up = Schedule("s", "rate(1 hour)");
  catch_up["catch_up"] = "ALL";
  EXPECT_EQ(RestRaw("POST", "/v1/schedules", catch_up.dump()).body["detail"],
            "Member 'catch_up' must be SKIP or LAST, not 'ALL'");
  EXPECT_EQ(RestRaw("POST", "/v1/schedules", R"({"name":"s","cron":"x"})").status, 400);
  EXPECT_TRUE(stack_->store()->ListSchedules().value().empty());

  ASSERT_EQ(Post("/v1/schedules", Schedule("s", "rate(1 hour)")).status, 201);
  EXPECT_EQ(ProblemOf(Post("/v1/schedules", Schedule("s", "rate(2 hours)"))),
            std::make_pair(409, std::string("ScheduleAlreadyExists")));
}

TEST_F(RestSchedules, PatchDisablesAndEnablesAndPutReplaces) {
  ASSERT_EQ(Post("/v1/schedules", Schedule("s", "rate(1 hour)")).status, 201);
  AwsAnswer disabled = Rest("PATCH", "/v1/schedules/s", Json{{"enabled", false}});
  ASSERT_EQ(disabled.status, 200) << disabled.raw;
  EXPECT_EQ(disabled.body["enabled"], false);
  EXPECT_FALSE(disabled.body.contains("next_fire"));
  EXPECT_TRUE(Get("/v1/schedules/s").body["upcoming"].empty());
  AwsAnswer enabled = Rest("PATCH", "/v1/schedules/s", Json{{"enabled", true}});
  EXPECT_TRUE(enabled.body.contains("next_fire"));
  EXPECT_EQ(ProblemOf(RestRaw("PATCH", "/v1/schedules/s", "{}")),
            std::make_pair(400, std::string("InvalidRequestBody")));
  EXPECT_EQ(Rows("DisableSchedule").size(), 1u);
  EXPECT_EQ(Rows("EnableSchedule").size(), 1u);

  Json replaced = {{"state_machine", "m"}, {"expression", "at(2199-01-01T00:00:00)"}};
  AwsAnswer put = Rest("PUT", "/v1/schedules/s", replaced);
  ASSERT_EQ(put.status, 200) << put.raw;
  EXPECT_EQ(put.body["expression"], "at(2199-01-01T00:00:00)");
  EXPECT_EQ(put.body["next_fire"], "2199-01-01T00:00:00.000Z");
  replaced["name"] = "other";
  EXPECT_EQ(ProblemOf(Rest("PUT", "/v1/schedules/s", replaced)),
            std::make_pair(400, std::string("InvalidRequestBody")));
  EXPECT_EQ(ProblemOf(Rest("PUT", "/v1/schedules/nope",
                           Json{{"state_machine", "m"}, {"expression", "rate(1 hour)"}})),
            std::make_pair(404, std::string("ResourceNotFound")));
}

TEST_F(RestSchedules, FireStartsOneAuditedExecutionNow) {
  Json body = Schedule("s", "rate(1 day)");
  body["input"] = {{"from", "schedule"}};
  ASSERT_EQ(Post("/v1/schedules", body).status, 201);
  AwsAnswer fired = Post("/v1/schedules/s/fire");
  ASSERT_EQ(fired.status, 201) << fired.raw;
  EXPECT_EQ(fired.body["state_machine"], "m");
  EXPECT_EQ(fired.body["started_by"], "admin");
  Json ended = WaitForEnd(fired.body["id"].get<std::string>());
  EXPECT_EQ(ended["status"], "SUCCEEDED");
  EXPECT_EQ(ended["input"], Json({{"from", "schedule"}}));
  const auto rows = Rows("ExecutionStarted");
  ASSERT_EQ(rows.size(), 1u);
  const Json details = ParseJson(rows[0].entry.details_json).value();
  EXPECT_EQ(details["schedule"], "s");
  EXPECT_EQ(details["manual"], true);
  EXPECT_EQ(details["api"], "rest");
  EXPECT_EQ(ProblemOf(Post("/v1/schedules/nope/fire")),
            std::make_pair(404, std::string("ResourceNotFound")));
}

TEST_F(RestSchedules, ViewersReadSchedulesButOnlyManagersChangeThem) {
  StackOptions options;
  options.auth.access_keys = {{"AKIDSCHEDADMIN01", "admin-secret", "boss", Role::kAdmin},
                              {"AKIDSCHEDVIEWER1", "viewer-secret", "eve", Role::kViewer}};
  options.sign_as = {"AKIDSCHEDADMIN01", "admin-secret"};
  stack_ = std::make_unique<AwsStack>(options);
  stack_->CreateMachine("m", kPassDefinition);
  ASSERT_EQ(SendAs("POST", "/v1/schedules", Schedule("s", "rate(1 hour)"), "AKIDSCHEDADMIN01",
                   "admin-secret")
                .status,
            201);
  EXPECT_EQ(GetAs("/v1/schedules/s", "AKIDSCHEDVIEWER1", "viewer-secret").status, 200);
  EXPECT_EQ(GetAs("/v1/schedules", "AKIDSCHEDVIEWER1", "viewer-secret").body["items"].size(), 1u);
  AwsAnswer refused = SendAs("POST", "/v1/schedules", Schedule("t", "rate(1 hour)"),
                             "AKIDSCHEDVIEWER1", "viewer-secret");
  EXPECT_EQ(refused.status, 403) << refused.raw;
  EXPECT_EQ(SendAs("DELETE", "/v1/schedules/s", Json(), "AKIDSCHEDVIEWER1", "viewer-secret").status,
            403);
  EXPECT_EQ(
      SendAs("POST", "/v1/schedules/s/fire", Json(), "AKIDSCHEDVIEWER1", "viewer-secret").status,
      403);
  const auto denied = Rows("CreateSchedule");
  ASSERT_EQ(denied.size(), 2u);  // the admin's, and the viewer's refusal
  EXPECT_EQ(denied[1].entry.actor, "eve");
  EXPECT_NE(denied[1].entry.details_json.find("\"outcome\":\"denied\""), std::string::npos);
  EXPECT_EQ(stack_->store()->ListSchedules().value().size(), 1u);
}

}  // namespace
}  // namespace stepd::api::testing
