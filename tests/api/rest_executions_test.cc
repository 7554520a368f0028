// /v1/executions: find, count, inspect, stop, redrive, restart, one by one
// and in bulk, through the in-process stack (real SQLite file, real engine).

#include <set>

#include "api/rest_testing.h"
#include "stepd/base/percent_encoding.h"

namespace stepd::api::testing {
namespace {

// A then B (reads variable x that A assigned) then C: fails in F when the
// input says so, else ends in D.
constexpr char kRestartable[] = R"({
  "StartAt": "A",
  "States": {
    "A": {"Type": "Pass", "Assign": {"x": 1}, "Next": "B"},
    "B": {"Type": "Pass", "Parameters": {"seen.$": "$x", "fail.$": "$.fail"},
          "Assign": {"y": 2}, "Next": "C"},
    "C": {"Type": "Choice", "Choices": [{"Variable": "$.fail", "BooleanEquals": true, "Next": "F"}],
          "Default": "D"},
    "D": {"Type": "Pass", "Parameters": {"seen.$": "$.seen", "y.$": "$y"}, "End": true},
    "F": {"Type": "Fail", "Error": "Told", "Cause": "the input said fail"}
  }
})";

class RestExecutions : public RestTest {
 protected:
  std::string Start(const std::string& machine, const std::string& name, const Json& input) {
    AwsAnswer a =
        Post("/v1/state-machines/" + machine + "/executions", {{"name", name}, {"input", input}});
    EXPECT_EQ(a.status, 201) << a.raw;
    return a.body.value("id", "");
  }

  // The answer GET /v1/executions:counts should give for `query`: the items
  // GET /v1/executions lists for it, counted by status.
  Json CountsOfList(const std::string& query) {
    Json counts = {{"RUNNING", 0},   {"SUCCEEDED", 0}, {"FAILED", 0},
                   {"TIMED_OUT", 0}, {"ABORTED", 0},   {"PENDING_REDRIVE", 0}};
    AwsAnswer listed = Get("/v1/executions?limit=1000" + (query.empty() ? "" : "&" + query));
    EXPECT_EQ(listed.status, 200) << listed.raw;
    EXPECT_FALSE(listed.body.contains("next_cursor"));
    int total = 0;
    for (const Json& e : listed.body["items"]) {
      Json& n = counts[e["status"].get<std::string>()];
      n = n.get<int>() + 1;
      ++total;
    }
    return {{"counts", counts}, {"total", total}};
  }
};

// Access keys of an admin and of a viewer bound to the etl-* state machines;
// the stack's own calls sign as the admin.
constexpr char kAdminKey[] = "AKIAADMIN000000001";
constexpr char kAdminSecret[] = "admin-secret";
constexpr char kEtlViewerKey[] = "AKIAETLVIEWER00001";
constexpr char kEtlViewerSecret[] = "etl-viewer-secret";

StackOptions WithAnEtlViewer() {
  StackOptions options;
  options.auth.access_keys = {{kAdminKey, kAdminSecret, "", Role::kAdmin},
                              {kEtlViewerKey, kEtlViewerSecret, "", std::nullopt}};
  options.auth.bindings = {
      {RoleBinding::Kind::kAccessKey, kEtlViewerKey, Role::kViewer, {"etl-*"}}};
  options.sign_as = {kAdminKey, kAdminSecret};
  return options;
}

TEST_F(RestExecutions, AnExecutionIsFoundByItsShortIdOrItsEncodedArnWithPayloadsAsJson) {
  stack_->CreateMachine("m", kPassDefinition);
  const std::string id = Start("m", "run-1", {{"a", 1}});
  EXPECT_EQ(id, "m:run-1");
  Json by_id = WaitForEnd(id);
  EXPECT_EQ(by_id["status"], "SUCCEEDED");
  EXPECT_EQ(by_id["input"], Json({{"a", 1}}));
  EXPECT_EQ(by_id["output"], Json({{"a", 1}}));
  EXPECT_EQ(by_id["current_state"], "P");
  EXPECT_EQ(by_id["links"]["history"], "/v1/executions/m%3Arun-1/history");
  AwsAnswer by_arn = Get("/v1/executions/" + PercentEncode(ExecutionArn("m", "run-1")));
  ASSERT_EQ(by_arn.status, 200) << by_arn.raw;
  EXPECT_EQ(by_arn.body["arn"], ExecutionArn("m", "run-1"));
  EXPECT_EQ(ProblemOf(Get("/v1/executions/m:nope")),
            std::make_pair(404, std::string("ExecutionDoesNotExist")));
  AwsAnswer problem = Get("/v1/executions/m:nope");
  EXPECT_EQ(problem.headers.Get("Content-Type").value_or(""), "application/problem+json");
  EXPECT_EQ(problem.body["instance"], "/v1/executions/m:nope");
  EXPECT_EQ(problem.body["type"], "urn:stepd:problem:not-found");
}

TEST_F(RestExecutions, AMapRunsChildIsFoundThroughItsLinkAndNamesItsParent) {
  stack_->CreateMachine("fan", R"({"StartAt":"Fan","States":{"Fan":{"Type":"Map",
      "Label":"Orders","ItemsPath":"$.items",
      "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},
        "StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}})");
  const std::string parent = Start("fan", "run", {{"items", {1, 2}}});
  EXPECT_EQ(WaitForEnd(parent)["status"], "SUCCEEDED");
  AwsAnswer runs = stack_->Call("ListMapRuns", {{"executionArn", ExecutionArn("fan", "run")}});
  ASSERT_EQ(runs.body["mapRuns"].size(), 1u) << runs.raw;
  AwsAnswer children =
      stack_->Call("ListExecutions", {{"mapRunArn", runs.body["mapRuns"][0]["mapRunArn"]}});
  ASSERT_EQ(children.body["executions"].size(), 2u) << children.raw;
  const std::string child = children.body["executions"][0]["executionArn"];
  // A child's id holds a '/': its link encodes it, and the link works.
  const std::string link =
      "/v1/executions/" + PercentEncode(child.substr(child.find("execution:") + 10));
  AwsAnswer got = Get(link);
  ASSERT_EQ(got.status, 200) << got.raw;
  EXPECT_EQ(got.body["links"]["self"], link);
  EXPECT_EQ(got.body["parent"]["id"], parent);
  EXPECT_EQ(got.body["map_run_arn"], runs.body["mapRuns"][0]["mapRunArn"]);
  // The list of executions holds top-level executions only; so do the counts.
  EXPECT_EQ(Get("/v1/executions").body["items"].size(), 1u);
  EXPECT_EQ(Get("/v1/executions:counts").body["total"], 1);
  // A child's definition names its Map Run.
  AwsAnswer definition = Get(got.body["links"]["definition"].get<std::string>());
  ASSERT_EQ(definition.status, 200) << definition.raw;
  EXPECT_EQ(definition.body["map_run_arn"], runs.body["mapRuns"][0]["mapRunArn"]);
  EXPECT_EQ(definition.body["state_machine"]["name"], "fan");
}

TEST_F(RestExecutions, FiltersNarrowTheListAndTheCursorWalksItOnce) {
  stack_->CreateMachine("etl", kFailDefinition);
  stack_->CreateMachine("web", kPassDefinition);
  for (int i = 0; i < 5; ++i) Start("etl", "nightly-" + std::to_string(i), Json::object());
  Start("etl", "adhoc", Json::object());
  Start("web", "nightly-web", Json::object());
  for (const char* id : {"etl:nightly-4", "etl:adhoc", "web:nightly-web"}) WaitForEnd(id);

  std::set<std::string> seen;
  std::string cursor;
  int pages = 0;
  do {
    AwsAnswer page = Get("/v1/executions?state_machine=etl&name_prefix=nightly-&limit=2" +
                         (cursor.empty() ? "" : "&cursor=" + PercentEncode(cursor)));
    ASSERT_EQ(page.status, 200) << page.raw;
    for (const Json& e : page.body["items"]) EXPECT_TRUE(seen.insert(e["id"]).second) << e["id"];
    cursor = page.body.value("next_cursor", "");
    ++pages;
  } while (!cursor.empty() && pages < 10);
  EXPECT_EQ(seen.size(), 5u);
  EXPECT_EQ(pages, 3);

  AwsAnswer failed = Get("/v1/executions?status=FAILED&error=Boom");
  EXPECT_EQ(failed.body["items"].size(), 6u) << failed.raw;
  AwsAnswer other_error = Get("/v1/executions?error=Other");
  EXPECT_TRUE(other_error.body["items"].empty());
  AwsAnswer succeeded = Get("/v1/executions?status=SUCCEEDED");
  ASSERT_EQ(succeeded.body["items"].size(), 1u);
  EXPECT_EQ(succeeded.body["items"][0]["id"], "web:nightly-web");

  const std::string third = Get("/v1/executions/etl:nightly-2").body["started_at"];
  AwsAnswer after = Get("/v1/executions?state_machine=etl&started_after=" + PercentEncode(third));
  for (const Json& e : after.body["items"]) EXPECT_GE(e["started_at"].get<std::string>(), third);
  AwsAnswer before = Get("/v1/executions?state_machine=etl&started_before=" + PercentEncode(third));
  for (const Json& e : before.body["items"]) EXPECT_LT(e["started_at"].get<std::string>(), third);
  EXPECT_EQ(after.body["items"].size() + before.body["items"].size(), 6u);
}

TEST_F(RestExecutions, AListedExecutionShowsWhatItsOwnPageShows) {
  stack_->CreateMachine("r", kRestartable);
  ASSERT_EQ(Post("/v1/state-machines/r/versions").status, 201);
  ASSERT_EQ(Post("/v1/state-machines/r/aliases",
                 {{"name", "live"}, {"routing", {{{"version", 1}, {"weight", 100}}}}})
                .status,
            201);
  ASSERT_EQ(Post("/v1/state-machines/r/executions",
                 {{"name", "\u00e9t\u00e9-1"}, {"alias", "live"}, {"input", {{"fail", true}}}})
                .status,
            201);
  WaitForEnd("r:%C3%A9t%C3%A9-1");
  ASSERT_EQ(Post("/v1/executions/r:%C3%A9t%C3%A9-1/redrive").status, 200);
  WaitForEnd("r:%C3%A9t%C3%A9-1");
  ASSERT_EQ(
      Post("/v1/executions/r:%C3%A9t%C3%A9-1/restart", {{"from_state", "C"}, {"name", "again"}})
          .status,
      201);
  WaitForEnd("r:again");
  AwsAnswer listed = Get("/v1/executions?state_machine=r");
  ASSERT_EQ(listed.body["items"].size(), 2u) << listed.raw;
  for (const Json& item : listed.body["items"]) {
    Json own = Get(item["links"]["self"].get<std::string>()).body;
    for (const char* detail : {"input", "output", "current_state", "redrivable",
                               "not_redrivable_reason", "restarts", "map_run_arn", "parent"}) {
      own.erase(detail);
    }
    for (const char* link : {"stop", "redrive", "restart", "definition"}) {
      own["links"].erase(link);
    }
    EXPECT_EQ(item, own);
  }
  EXPECT_EQ(listed.body["items"][1]["alias"], "live");
  EXPECT_EQ(listed.body["items"][1]["version"], 1);
  EXPECT_EQ(listed.body["items"][1]["redrive_count"], 1);
  EXPECT_EQ(listed.body["items"][0]["restarted_from"]["from_state"], "C");
}

TEST_F(RestExecutions, BadFiltersAreRefusedNamingWhatIsWrong) {
  stack_->CreateMachine("m", kPassDefinition);
  EXPECT_EQ(ProblemOf(Get("/v1/executions?status=DONE")),
            std::make_pair(400, std::string("InvalidFilter")));
  EXPECT_EQ(ProblemOf(Get("/v1/executions?started_after=yesterday")),
            std::make_pair(400, std::string("InvalidFilter")));
  AwsAnswer unknown = Get("/v1/executions?stats=FAILED");
  EXPECT_EQ(ProblemOf(unknown), std::make_pair(400, std::string("InvalidQueryParameter")));
  EXPECT_NE(unknown.body["detail"].get<std::string>().find("'stats'"), std::string::npos);
  EXPECT_EQ(ProblemOf(Get("/v1/executions?limit=0")),
            std::make_pair(400, std::string("InvalidQueryParameter")));
  EXPECT_EQ(ProblemOf(Get("/v1/executions?cursor=garbage")),
            std::make_pair(400, std::string("InvalidQueryParameter")));
  EXPECT_EQ(ProblemOf(Get("/v1/executions?state_machine=ghost")),
            std::make_pair(404, std::string("StateMachineDoesNotExist")));
  EXPECT_EQ(ProblemOf(Get("/v1/executions?state_machine=m:1")),
            std::make_pair(400, std::string("InvalidFilter")));
  // The server keeps serving.
  EXPECT_EQ(Get("/v1/executions").status, 200);
}

TEST_F(RestExecutions, HistoryPagesForwardAndBackAndCanLeaveOutData) {
  stack_->CreateMachine("m", kPassDefinition);
  const std::string id = Start("m", "h", {{"secret-ish", "payload"}});
  WaitForEnd(id);
  AwsAnswer all = Get("/v1/executions/" + id + "/history");
  ASSERT_EQ(all.status, 200) << all.raw;
  ASSERT_EQ(all.body["items"].size(), 4u);
  EXPECT_EQ(all.body["items"][0]["type"], "ExecutionStarted");
  AwsAnswer first = Get("/v1/executions/" + id + "/history?limit=3");
  ASSERT_TRUE(first.body.contains("next_cursor"));
  AwsAnswer rest = Get("/v1/executions/" + id + "/history?limit=3&cursor=" +
                       PercentEncode(first.body["next_cursor"].get<std::string>()));
  ASSERT_EQ(rest.body["items"].size(), 1u);
  EXPECT_EQ(rest.body["items"][0]["type"], "ExecutionSucceeded");
  AwsAnswer reversed = Get("/v1/executions/" + id + "/history?reverse=true&limit=1");
  EXPECT_EQ(reversed.body["items"][0]["type"], "ExecutionSucceeded");
  AwsAnswer bare = Get("/v1/executions/" + id + "/history?include_data=false");
  EXPECT_EQ(bare.raw.find("payload"), std::string::npos) << bare.raw;
  EXPECT_EQ(ProblemOf(Get("/v1/executions/" + id + "/history?reverse=maybe")),
            std::make_pair(400, std::string("InvalidQueryParameter")));
}

TEST_F(RestExecutions, StopAbortsARunningExecutionAndLeavesAnEndedOneAsItIs) {
  stack_->CreateMachine("w", kWaitDefinition);
  const std::string id = Start("w", "long", Json::object());
  AwsAnswer stopped =
      Post("/v1/executions/" + id + "/stop", {{"error", "Ops"}, {"cause", "bad data"}});
  ASSERT_EQ(stopped.status, 200) << stopped.raw;
  EXPECT_EQ(stopped.body["status"], "ABORTED");
  EXPECT_EQ(stopped.body["error"], "Ops");
  AwsAnswer again = Post("/v1/executions/" + id + "/stop");
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(again.body["status"], "ABORTED");
  EXPECT_EQ(ProblemOf(RestRaw("POST", "/v1/executions/" + id + "/stop", "{\"error\": 5}")),
            std::make_pair(400, std::string("InvalidRequestBody")));
  EXPECT_EQ(ProblemOf(Post("/v1/executions/w:missing/stop")),
            std::make_pair(404, std::string("ExecutionDoesNotExist")));
}

TEST_F(RestExecutions, RedriveRerunsAFailedExecutionAndRefusesASucceededOne) {
  stack_->CreateMachine("f", kFailDefinition);
  stack_->CreateMachine("p", kPassDefinition);
  const std::string failed = Start("f", "once", Json::object());
  WaitForEnd(failed);
  AwsAnswer redriven = Post("/v1/executions/" + failed + "/redrive");
  ASSERT_EQ(redriven.status, 200) << redriven.raw;
  EXPECT_EQ(redriven.body["redrive_count"], 1);
  Json ended = WaitForEnd(failed);
  EXPECT_EQ(ended["status"], "FAILED");
  EXPECT_EQ(ended["redrive_count"], 1);
  const std::string ok = Start("p", "fine", Json::object());
  WaitForEnd(ok);
  EXPECT_EQ(ProblemOf(Post("/v1/executions/" + ok + "/redrive")),
            std::make_pair(409, std::string("ExecutionNotRedrivable")));
}

TEST_F(RestExecutions, RestartBeginsAtTheStateWithTheVariablesTheOldRunHadThere) {
  stack_->CreateMachine("r", kRestartable);
  const std::string old_id = Start("r", "first", {{"fail", true}});
  Json old_run = WaitForEnd(old_id);
  ASSERT_EQ(old_run["status"], "FAILED");
  EXPECT_EQ(old_run["current_state"], "F");

  // From B with a new input: B reads $x, which only A assigned.
  AwsAnswer restarted =
      Post("/v1/executions/" + old_id + "/restart",
           {{"from_state", "B"}, {"input", {{"fail", false}}}, {"name", "second"}});
  ASSERT_EQ(restarted.status, 201) << restarted.raw;
  EXPECT_EQ(restarted.headers.Get("Location").value_or(""), "/v1/executions/r%3Asecond");
  EXPECT_EQ(restarted.body["restarted_from"]["id"], old_id);
  EXPECT_EQ(restarted.body["restarted_from"]["from_state"], "B");
  Json new_run = WaitForEnd("r:second");
  EXPECT_EQ(new_run["status"], "SUCCEEDED") << new_run.dump();
  EXPECT_EQ(new_run["output"], Json({{"seen", 1}, {"y", 2}}));
  AwsAnswer history = Get("/v1/executions/r:second/history");
  ASSERT_GE(history.body["items"].size(), 2u);
  EXPECT_EQ(history.body["items"][1]["details"]["name"], "B");

  // From C without an input: the input C had (fail true), so it fails again,
  // and y (assigned in B) is in scope.
  AwsAnswer again = Post("/v1/executions/" + old_id + "/restart", {{"from_state", "C"}});
  ASSERT_EQ(again.status, 201) << again.raw;
  EXPECT_EQ(WaitForEnd(again.body["id"].get<std::string>())["status"], "FAILED");

  // Linked both ways.
  AwsAnswer old_now = Get("/v1/executions/" + old_id);
  ASSERT_EQ(old_now.body["restarts"].size(), 2u) << old_now.raw;
  // Audited: the ExecutionStarted row names the old execution and the state.
  AwsAnswer audit = Get("/v1/audit?action=ExecutionStarted&resource=" +
                        PercentEncode(ExecutionArn("r", "second")));
  ASSERT_EQ(audit.body["items"].size(), 1u) << audit.raw;
  EXPECT_EQ(audit.body["items"][0]["details"]["restarted_from"], ExecutionArn("r", "first"));
  EXPECT_EQ(audit.body["items"][0]["details"]["from_state"], "B");
  EXPECT_EQ(audit.body["items"][0]["details"]["api"], "rest");
}

TEST_F(RestExecutions, RestartRefusesWhatItCannotDo) {
  stack_->CreateMachine("r", kRestartable);
  stack_->CreateMachine("w", kWaitDefinition);
  const std::string old_id = Start("r", "first", {{"fail", true}});
  WaitForEnd(old_id);
  EXPECT_EQ(ProblemOf(Post("/v1/executions/" + old_id + "/restart", {{"from_state", "Nowhere"}})),
            std::make_pair(400, std::string("ValidationException")));
  EXPECT_EQ(ProblemOf(Post("/v1/executions/" + old_id + "/restart", {{"from_state", "D"}})),
            std::make_pair(400, std::string("ValidationException")));  // never entered, no input
  EXPECT_EQ(ProblemOf(RestRaw("POST", "/v1/executions/" + old_id + "/restart", "{}")),
            std::make_pair(400, std::string("InvalidRequestBody")));
  EXPECT_EQ(ProblemOf(Post("/v1/executions/" + old_id + "/restart",
                           {{"from_state", "B"}, {"name", "first"}})),
            std::make_pair(409, std::string("ExecutionAlreadyExists")));
  const std::string running = Start("w", "long", Json::object());
  EXPECT_EQ(ProblemOf(Post("/v1/executions/" + running + "/restart", {{"from_state", "W"}})),
            std::make_pair(409, std::string("ConflictException")));
  // A state never entered restarts when an input is given.
  AwsAnswer from_d = Post("/v1/executions/" + old_id + "/restart",
                          {{"from_state", "D"}, {"input", {{"seen", 7}}}});
  ASSERT_EQ(from_d.status, 201) << from_d.raw;
  EXPECT_EQ(WaitForEnd(from_d.body["id"].get<std::string>())["output"],
            Json({{"seen", 7}, {"y", 2}}));
}

TEST_F(RestExecutions, BulkStopActsOnWhatTheFilterMatchesAndADryRunOnlyLists) {
  stack_->CreateMachine("w", kWaitDefinition);
  stack_->CreateMachine("keep", kWaitDefinition);
  for (int i = 0; i < 3; ++i) Start("w", "job-" + std::to_string(i), Json::object());
  Start("keep", "job-x", Json::object());

  AwsAnswer dry =
      Post("/v1/executions:stop", {{"filter", {{"state_machine", "w"}}}, {"dry_run", true}});
  ASSERT_EQ(dry.status, 200) << dry.raw;
  EXPECT_EQ(dry.body["matched"], 3);
  EXPECT_EQ(dry.body["results"][0]["outcome"], "would_be_stopped");
  EXPECT_EQ(Get("/v1/executions/w:job-0").body["status"], "RUNNING");

  AwsAnswer done =
      Post("/v1/executions:stop", {{"filter", {{"state_machine", "w"}}}, {"error", "Cleanup"}});
  ASSERT_EQ(done.status, 200) << done.raw;
  EXPECT_EQ(done.body["matched"], 3);
  EXPECT_EQ(done.body["succeeded"], 3);
  for (const Json& r : done.body["results"]) EXPECT_EQ(r["outcome"], "stopped") << r;
  EXPECT_EQ(Get("/v1/executions/w:job-1").body["status"], "ABORTED");
  EXPECT_EQ(Get("/v1/executions/keep:job-x").body["status"], "RUNNING");

  EXPECT_EQ(ProblemOf(Post("/v1/executions:stop", Json::object())),
            std::make_pair(400, std::string("FilterRequired")));
  EXPECT_EQ(ProblemOf(Post("/v1/executions:stop", {{"filter", {{"status", "FAILED"}}}})),
            std::make_pair(400, std::string("InvalidFilter")));
  EXPECT_EQ(
      ProblemOf(RestRaw("POST", "/v1/executions:stop", "{\"filter\": {\"colour\": \"red\"}}")),
      std::make_pair(400, std::string("InvalidFilter")));
  AwsAnswer all = Post("/v1/executions:stop", {{"all", true}, {"limit", 5}});
  EXPECT_EQ(all.body["succeeded"], 1);
}

TEST_F(RestExecutions, BulkRedriveRerunsTheFailedOnes) {
  stack_->CreateMachine("f", kFailDefinition);
  for (int i = 0; i < 2; ++i) WaitForEnd(Start("f", "b-" + std::to_string(i), Json::object()));
  AwsAnswer redriven = Post("/v1/executions:redrive", {{"filter", {{"state_machine", "f"}}}});
  ASSERT_EQ(redriven.status, 200) << redriven.raw;
  EXPECT_EQ(redriven.body["succeeded"], 2);
  EXPECT_EQ(WaitForEnd("f:b-0")["redrive_count"], 1);
  EXPECT_EQ(ProblemOf(Post("/v1/executions:redrive", {{"filter", {{"status", "RUNNING"}}}})),
            std::make_pair(400, std::string("InvalidFilter")));
}

TEST_F(RestExecutions, CountsByStatusAreWhatTheListOfTheSameFilterHolds) {
  stack_->CreateMachine("etl", kFailDefinition);
  stack_->CreateMachine("web", kPassDefinition);
  stack_->CreateMachine("slow", kWaitDefinition);
  for (int i = 0; i < 5; ++i) Start("etl", "nightly-" + std::to_string(i), Json::object());
  Start("etl", "adhoc", Json::object());
  Start("web", "nightly-web", Json::object());
  Start("slow", "parked", Json::object());
  Start("slow", "stopped", Json::object());
  ASSERT_EQ(Post("/v1/executions/slow:stopped/stop").status, 200);
  for (const char* id : {"etl:nightly-4", "etl:adhoc", "web:nightly-web"}) WaitForEnd(id);

  AwsAnswer all = Get("/v1/executions:counts");
  ASSERT_EQ(all.status, 200) << all.raw;
  EXPECT_EQ(all.body, Json({{"counts",
                             {{"RUNNING", 1},
                              {"SUCCEEDED", 1},
                              {"FAILED", 6},
                              {"TIMED_OUT", 0},
                              {"ABORTED", 1},
                              {"PENDING_REDRIVE", 0}}},
                            {"total", 9}}));
  const std::string third = Get("/v1/executions/etl:nightly-2").body["started_at"];
  for (const std::string& query :
       {std::string(), std::string("state_machine=etl"), std::string("state_machine=slow"),
        std::string("name_prefix=nightly-"), std::string("error=Boom"), std::string("error=Other"),
        "started_after=" + PercentEncode(third),
        "state_machine=etl&name_prefix=nightly-&started_before=" + PercentEncode(third),
        "state_machine=" + PercentEncode(MachineArn("web"))}) {
    AwsAnswer counted = Get("/v1/executions:counts" + (query.empty() ? "" : "?" + query));
    ASSERT_EQ(counted.status, 200) << query << ": " << counted.raw;
    EXPECT_EQ(counted.body, CountsOfList(query)) << query;
  }
  EXPECT_EQ(Get("/v1/executions:counts?name_prefix=nightly-").body["total"], 6);
  // A time splits a machine's executions in two.
  const Json after =
      Get("/v1/executions:counts?state_machine=etl&started_after=" + PercentEncode(third)).body;
  const Json before =
      Get("/v1/executions:counts?state_machine=etl&started_before=" + PercentEncode(third)).body;
  EXPECT_GE(after["total"], 1);
  EXPECT_EQ(after["total"].get<int>() + before["total"].get<int>(), 6);
}

TEST_F(RestExecutions, CountsRefuseWhatTheyDoNotTakeAsTheListDoes) {
  stack_->CreateMachine("m", kPassDefinition);
  for (const char* query : {"status=FAILED", "limit=10", "cursor=abc", "stats=FAILED"}) {
    AwsAnswer refused = Get(std::string("/v1/executions:counts?") + query);
    EXPECT_EQ(ProblemOf(refused), std::make_pair(400, std::string("InvalidQueryParameter")))
        << query;
    const std::string name(query, std::string_view(query).find('='));
    EXPECT_NE(refused.body.value("detail", "").find("'" + name + "'"), std::string::npos)
        << refused.raw;
  }
  EXPECT_EQ(ProblemOf(Get("/v1/executions:counts?started_after=yesterday")),
            std::make_pair(400, std::string("InvalidFilter")));
  EXPECT_EQ(ProblemOf(Get("/v1/executions:counts?state_machine=m:1")),
            std::make_pair(400, std::string("InvalidFilter")));
  EXPECT_EQ(ProblemOf(Get("/v1/executions:counts?state_machine=ghost")),
            std::make_pair(404, std::string("StateMachineDoesNotExist")));
  EXPECT_EQ(Get("/v1/executions:counts?state_machine=m").body["total"], 0);
}

TEST_F(RestExecutions, AReaderOfSomeStateMachinesCountsAndReadsDefinitionsOfThoseOnly) {
  stack_ = std::make_unique<AwsStack>(WithAnEtlViewer());
  const std::string etl_a = stack_->CreateMachine("etl-a", kPassDefinition);
  const std::string etl_b = stack_->CreateMachine("etl-b", kFailDefinition);
  const std::string billing = stack_->CreateMachine("billing", kPassDefinition);
  std::vector<std::string> runs = {
      stack_->StartExecution(etl_a, "a1"),   stack_->StartExecution(etl_a, "a2"),
      stack_->StartExecution(etl_b, "b1"),   stack_->StartExecution(billing, "x1"),
      stack_->StartExecution(billing, "x2"), stack_->StartExecution(billing, "x3")};
  for (const std::string& run : runs) stack_->WaitForEnd(run);

  AwsAnswer viewer = GetAs("/v1/executions:counts", kEtlViewerKey, kEtlViewerSecret);
  ASSERT_EQ(viewer.status, 200) << viewer.raw;
  EXPECT_EQ(viewer.body["total"], 3);
  EXPECT_EQ(viewer.body["counts"]["SUCCEEDED"], 2);
  EXPECT_EQ(viewer.body["counts"]["FAILED"], 1);
  // As many as the viewer's list shows.
  AwsAnswer listed = GetAs("/v1/executions", kEtlViewerKey, kEtlViewerSecret);
  EXPECT_EQ(listed.body["items"].size(), 3u) << listed.raw;
  AwsAnswer admin = GetAs("/v1/executions:counts", kAdminKey, kAdminSecret);
  EXPECT_EQ(admin.body["total"], 6) << admin.raw;
  EXPECT_EQ(admin.body["counts"]["SUCCEEDED"], 5);
  // A machine it may not read is refused, not counted as empty.
  EXPECT_EQ(ProblemOf(GetAs("/v1/executions:counts?state_machine=billing", kEtlViewerKey,
                            kEtlViewerSecret)),
            std::make_pair(403, std::string("AccessDeniedException")));
  EXPECT_EQ(GetAs("/v1/executions:counts?state_machine=etl-b", kEtlViewerKey, kEtlViewerSecret)
                .body["total"],
            1);

  EXPECT_EQ(GetAs("/v1/executions/etl-a:a1/definition", kEtlViewerKey, kEtlViewerSecret).status,
            200);
  EXPECT_EQ(
      ProblemOf(GetAs("/v1/executions/billing:x1/definition", kEtlViewerKey, kEtlViewerSecret)),
      std::make_pair(403, std::string("AccessDeniedException")));
}

TEST_F(RestExecutions, ADefinitionIsTheRevisionTheExecutionRanNotTheCurrentOne) {
  const std::string machine = stack_->CreateMachine("m", kWaitDefinition);
  const std::string old_id = Start("m", "old", Json::object());
  AwsAnswer updated = stack_->Call("UpdateStateMachine",
                                   {{"stateMachineArn", machine}, {"definition", kPassDefinition}});
  ASSERT_EQ(updated.status, 200) << updated.raw;
  const std::string new_id = Start("m", "new", Json::object());
  WaitForEnd(new_id);

  AwsAnswer old_run = Get("/v1/executions/" + old_id + "/definition");
  ASSERT_EQ(old_run.status, 200) << old_run.raw;
  EXPECT_EQ(old_run.body["definition"], ParseJson(kWaitDefinition).value());
  EXPECT_EQ(old_run.body["state_machine"], Json({{"name", "m"}, {"arn", machine}}));
  EXPECT_NE(old_run.body["revision_id"], updated.body["revisionId"]);
  EXPECT_NE(old_run.body["revision_id"], "");
  EXPECT_FALSE(old_run.body.contains("version"));
  EXPECT_FALSE(old_run.body.contains("map_run_arn"));
  const AwsAnswer current = Get("/v1/state-machines/m");
  EXPECT_EQ(current.body["definition"], ParseJson(kPassDefinition).value());

  AwsAnswer new_run = Get("/v1/executions/" + new_id + "/definition");
  ASSERT_EQ(new_run.status, 200) << new_run.raw;
  EXPECT_EQ(new_run.body["definition"], ParseJson(kPassDefinition).value());
  EXPECT_EQ(new_run.body["revision_id"], updated.body["revisionId"]);
  EXPECT_EQ(new_run.body["revision_id"], current.body["revision_id"]);
  // updated_at is the state machine's (AWS's updateDate), whichever revision ran.
  EXPECT_EQ(new_run.body["updated_at"], old_run.body["updated_at"]);
  EXPECT_GE(old_run.body["updated_at"].get<std::string>(),
            current.body["created_at"].get<std::string>());

  // The execution's own page links to it.
  EXPECT_EQ(Get("/v1/executions/" + old_id).body["links"]["definition"],
            "/v1/executions/m%3Aold/definition");

  // An execution of a version says which.
  ASSERT_EQ(Post("/v1/state-machines/m/versions").status, 201);
  ASSERT_EQ(Post("/v1/state-machines/m/executions", {{"name", "pinned"}, {"version", 1}}).status,
            201);
  AwsAnswer pinned = Get("/v1/executions/m:pinned/definition");
  ASSERT_EQ(pinned.status, 200) << pinned.raw;
  EXPECT_EQ(pinned.body["version"], 1);
  EXPECT_EQ(pinned.body["definition"], ParseJson(kPassDefinition).value());
}

TEST_F(RestExecutions, TheDefinitionOfAnUnknownExecutionIsNotFound) {
  stack_->CreateMachine("m", kPassDefinition);
  EXPECT_EQ(ProblemOf(Get("/v1/executions/m:nope/definition")),
            std::make_pair(404, std::string("ExecutionDoesNotExist")));
  EXPECT_EQ(
      ProblemOf(Get("/v1/executions/" + PercentEncode(ExecutionArn("m", "nope")) + "/definition")),
      std::make_pair(404, std::string("ExecutionDoesNotExist")));
  const std::string id = Start("m", "here", Json::object());
  EXPECT_EQ(ProblemOf(Get("/v1/executions/" + id + "/definition?full=true")),
            std::make_pair(400, std::string("InvalidQueryParameter")));
}

}  // namespace
}  // namespace stepd::api::testing
