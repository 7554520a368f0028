// /v1/state-machines: machines, versions, aliases and starts.

#include <set>

#include "api/rest_testing.h"
#include "stepd/base/percent_encoding.h"

namespace stepd::api::testing {
namespace {

Json PassDefinition(const std::string& result) {
  return {{"StartAt", "P"},
          {"States", {{"P", {{"Type", "Pass"}, {"Result", result}, {"End", true}}}}}};
}

class RestStateMachines : public RestTest {};

TEST_F(RestStateMachines, CreateReadUpdateAndDeleteAMachine) {
  AwsAnswer created = Post(
      "/v1/state-machines",
      {{"name", "orders"}, {"definition", PassDefinition("v1")}, {"tags", {{"team", "data"}}}});
  ASSERT_EQ(created.status, 201) << created.raw;
  EXPECT_EQ(created.headers.Get("Location").value_or(""), "/v1/state-machines/orders");
  EXPECT_EQ(created.body["definition"], PassDefinition("v1"));
  EXPECT_EQ(created.body["type"], "STANDARD");
  EXPECT_TRUE(created.body["versions"].empty());

  AwsAnswer updated = Rest(
      "PUT", "/v1/state-machines/orders",
      {{"definition", PassDefinition("v2")}, {"publish", true}, {"version_description", "second"}});
  ASSERT_EQ(updated.status, 200) << updated.raw;
  EXPECT_EQ(updated.body["definition"], PassDefinition("v2"));
  ASSERT_EQ(updated.body["versions"].size(), 1u);
  EXPECT_EQ(updated.body["versions"][0]["version"], 1);

  AwsAnswer got = Get("/v1/state-machines/orders");
  EXPECT_EQ(got.body["revision_id"], updated.body["revision_id"]);

  EXPECT_EQ(Rest("DELETE", "/v1/state-machines/orders").status, 204);
  EXPECT_EQ(ProblemOf(Get("/v1/state-machines/orders")),
            std::make_pair(404, std::string("StateMachineDoesNotExist")));
  EXPECT_EQ(ProblemOf(Rest("DELETE", "/v1/state-machines/orders")),
            std::make_pair(404, std::string("StateMachineDoesNotExist")));
}

TEST_F(RestStateMachines, PutCreatesAMissingMachineAndNeverChangesItsType) {
  AwsAnswer created = Rest("PUT", "/v1/state-machines/fast",
                           {{"definition", PassDefinition("x")}, {"type", "EXPRESS"}});
  ASSERT_EQ(created.status, 201) << created.raw;
  EXPECT_EQ(created.body["type"], "EXPRESS");
  EXPECT_EQ(Rest("PUT", "/v1/state-machines/fast", {{"definition", PassDefinition("y")}}).status,
            200);
  EXPECT_EQ(ProblemOf(Rest("PUT", "/v1/state-machines/fast",
                           {{"definition", PassDefinition("y")}, {"type", "STANDARD"}})),
            std::make_pair(409, std::string("StateMachineTypeNotSupported")));
}

TEST_F(RestStateMachines, BadMachinesAreRefusedAndNothingIsStored) {
  EXPECT_EQ(
      ProblemOf(Post("/v1/state-machines", {{"name", "bad"}, {"definition", {{"StartAt", "X"}}}})),
      std::make_pair(400, std::string("InvalidDefinition")));
  EXPECT_EQ(ProblemOf(RestRaw("POST", "/v1/state-machines", "{\"name\": \"x\"")),
            std::make_pair(400, std::string("InvalidRequestBody")));
  AwsAnswer unknown = RestRaw("POST", "/v1/state-machines", R"({"name": "x", "definiton": {}})");
  EXPECT_EQ(ProblemOf(unknown), std::make_pair(400, std::string("InvalidRequestBody")));
  EXPECT_NE(unknown.body["detail"].get<std::string>().find("'definiton'"), std::string::npos);
  EXPECT_EQ(ProblemOf(RestRaw("POST", "/v1/state-machines", R"({"definition": {}})")),
            std::make_pair(400, std::string("InvalidRequestBody")));
  EXPECT_EQ(ProblemOf(RestRaw("POST", "/v1/state-machines", R"({"name": 5, "definition": {}})")),
            std::make_pair(400, std::string("InvalidRequestBody")));
  ASSERT_EQ(
      Post("/v1/state-machines", {{"name", "dup"}, {"definition", PassDefinition("a")}}).status,
      201);
  EXPECT_EQ(
      ProblemOf(Post("/v1/state-machines", {{"name", "dup"}, {"definition", PassDefinition("b")}})),
      std::make_pair(409, std::string("StateMachineAlreadyExists")));
  AwsAnswer listed = Get("/v1/state-machines");
  ASSERT_EQ(listed.body["items"].size(), 1u) << listed.raw;
  EXPECT_EQ(Get("/v1/state-machines/dup").body["definition"], PassDefinition("a"));
}

TEST_F(RestStateMachines, TheListPagesWithACursor) {
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(Post("/v1/state-machines",
                   {{"name", "m" + std::to_string(i)}, {"definition", PassDefinition("r")}})
                  .status,
              201);
  }
  std::set<std::string> names;
  std::string cursor;
  int pages = 0;
  do {
    AwsAnswer page = Get("/v1/state-machines?limit=2" +
                         (cursor.empty() ? "" : "&cursor=" + PercentEncode(cursor)));
    ASSERT_EQ(page.status, 200) << page.raw;
    for (const Json& m : page.body["items"]) names.insert(m["name"]);
    cursor = page.body.value("next_cursor", "");
  } while (!cursor.empty() && ++pages < 10);
  EXPECT_EQ(names.size(), 5u);
}

TEST_F(RestStateMachines, VersionsAndAliasesRouteStarts) {
  ASSERT_EQ(
      Post("/v1/state-machines", {{"name", "svc"}, {"definition", PassDefinition("one")}}).status,
      201);
  AwsAnswer v1 = Post("/v1/state-machines/svc/versions", {{"description", "first"}});
  ASSERT_EQ(v1.status, 201) << v1.raw;
  EXPECT_EQ(v1.body["version"], 1);
  EXPECT_EQ(v1.body["description"], "first");
  ASSERT_EQ(Rest("PUT", "/v1/state-machines/svc", {{"definition", PassDefinition("two")}}).status,
            200);
  ASSERT_EQ(Post("/v1/state-machines/svc/versions").status, 201);
  EXPECT_EQ(Get("/v1/state-machines/svc/versions").body["items"].size(), 2u);
  EXPECT_EQ(Get("/v1/state-machines/svc/versions/1").body["definition"], PassDefinition("one"));
  EXPECT_EQ(ProblemOf(Get("/v1/state-machines/svc/versions/9")).first, 404);
  EXPECT_EQ(ProblemOf(Get("/v1/state-machines/svc/versions/x")),
            std::make_pair(400, std::string("InvalidPathParameter")));

  AwsAnswer alias = Post("/v1/state-machines/svc/aliases",
                         {{"name", "live"}, {"routing", {{{"version", 1}, {"weight", 100}}}}});
  ASSERT_EQ(alias.status, 201) << alias.raw;
  EXPECT_EQ(alias.body["routing"][0]["version"], 1);
  AwsAnswer moved = Rest("PUT", "/v1/state-machines/svc/aliases/live",
                         {{"routing", {{{"version", 2}, {"weight", 100}}}}});
  ASSERT_EQ(moved.status, 200) << moved.raw;
  EXPECT_EQ(Get("/v1/state-machines/svc/aliases").body["items"].size(), 1u);
  EXPECT_EQ(Get("/v1/state-machines/svc").body["aliases"][0]["name"], "live");

  AwsAnswer through_alias =
      Post("/v1/state-machines/svc/executions", {{"alias", "live"}, {"name", "a"}});
  ASSERT_EQ(through_alias.status, 201) << through_alias.raw;
  EXPECT_EQ(WaitForEnd("svc:a")["output"], "two");
  AwsAnswer through_version =
      Post("/v1/state-machines/svc/executions", {{"version", 1}, {"name", "v"}});
  ASSERT_EQ(through_version.status, 201) << through_version.raw;
  Json ran = WaitForEnd("svc:v");
  EXPECT_EQ(ran["output"], "one");
  EXPECT_EQ(ran["version"], 1);

  EXPECT_EQ(ProblemOf(Rest("DELETE", "/v1/state-machines/svc/versions/2")),
            std::make_pair(409, std::string("ConflictException")));
  EXPECT_EQ(Rest("DELETE", "/v1/state-machines/svc/aliases/live").status, 204);
  EXPECT_EQ(Rest("DELETE", "/v1/state-machines/svc/versions/2").status, 204);
  EXPECT_EQ(ProblemOf(Get("/v1/state-machines/svc/aliases/live")).first, 404);
}

TEST_F(RestStateMachines, StartingIsIdempotentByNameAndRefusesBadInput) {
  ASSERT_EQ(
      Post("/v1/state-machines", {{"name", "w"}, {"definition", Json::parse(kWaitDefinition)}})
          .status,
      201);
  AwsAnswer first =
      Post("/v1/state-machines/w/executions", {{"name", "once"}, {"input", {{"k", 1}}}});
  ASSERT_EQ(first.status, 201) << first.raw;
  EXPECT_EQ(first.headers.Get("Location").value_or(""), "/v1/executions/w%3Aonce");
  EXPECT_EQ(first.body["status"], "RUNNING");
  AwsAnswer repeat =
      Post("/v1/state-machines/w/executions", {{"name", "once"}, {"input", {{"k", 1}}}});
  EXPECT_EQ(repeat.status, 201);
  EXPECT_EQ(repeat.body["arn"], first.body["arn"]);
  EXPECT_EQ(
      ProblemOf(Post("/v1/state-machines/w/executions", {{"name", "once"}, {"input", {{"k", 2}}}})),
      std::make_pair(409, std::string("ExecutionAlreadyExists")));
  EXPECT_EQ(ProblemOf(Post("/v1/state-machines/ghost/executions")),
            std::make_pair(404, std::string("StateMachineDoesNotExist")));
  EXPECT_EQ(ProblemOf(Post("/v1/state-machines/w/executions", {{"name", "bad name"}})),
            std::make_pair(400, std::string("InvalidName")));
  EXPECT_EQ(ProblemOf(RestRaw("POST", "/v1/state-machines/w/executions",
                              R"({"version": 1, "alias": "a"})")),
            std::make_pair(400, std::string("InvalidRequestBody")));
}

}  // namespace
}  // namespace stepd::api::testing
