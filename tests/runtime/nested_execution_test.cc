#include "stepd/runtime/nested_execution.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <mutex>
#include <vector>

#include "runtime/runtime_testing.h"

namespace stepd::runtime {
namespace {

using testing::AuditRows;
using ::testing::ElementsAre;
using testing::ExecutionArn;
using ::testing::HasSubstr;
using testing::History;
using testing::MachineArn;
using testing::TestEngine;
using testing::TestStore;
using testing::WaitForEnd;
using testing::WaitUntil;

constexpr char kChildPass[] = R"({"StartAt":"P","States":{
    "P":{"Type":"Pass","Result":true,"ResultPath":"$.child","End":true}}})";
constexpr char kChildWait[] = R"({"StartAt":"W","States":{
    "W":{"Type":"Wait","Seconds":3600,"Next":"P"},
    "P":{"Type":"Pass","Result":true,"ResultPath":"$.child","End":true}}})";
constexpr char kChildFail[] = R"({"StartAt":"F","States":{
    "F":{"Type":"Fail","Error":"Boom","Cause":"it broke"}}})";

// A parent whose one Task starts "child" with `suffix`, and whose Catch
// takes every error to the state "Caught" (its output: the error object).
std::string Parent(const std::string& suffix, const std::string& parameters = "") {
  const std::string p =
      parameters.empty()
          ? R"({"StateMachineArn":")" + MachineArn("child") +
                R"(","Input":{"x.$":"$.x",)"
                R"("AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$":"$$.Execution.Id"}})"
          : parameters;
  return R"({"StartAt":"T","States":{
      "T":{"Type":"Task","Resource":"arn:aws:states:::states:startExecution)" +
         suffix + R"(","Parameters":)" + p + R"(,
           "Catch":[{"ErrorEquals":["States.ALL"],"Next":"Caught"}],"End":true},
      "Caught":{"Type":"Pass","End":true}}})";
}

std::shared_ptr<spdlog::logger> QuietLogger() {
  return std::make_shared<spdlog::logger>("nested");  // no sinks
}

// An engine whose router sends states:startExecution to NestedExecutions
// (or, with `front`, to `front`, which may forward to it).
struct NestedEngine {
  explicit NestedEngine(store::Store* store, TaskExecutor* front = nullptr)
      : nested(store, QuietLogger()), t(store, {}, /*start=*/false) {
    t.router.Register(std::string(kStartExecutionResource), front ? front : &nested);
    nested.SetEngine(t.engine.get());
    t.engine->Start();
  }
  // Declared first, destroyed last: the engine stops before it goes.
  NestedExecutions nested;
  TestEngine t;
};

// Forwards calls to `target` and drops their answers: a task whose result
// never became durable, as when stepd stops (or crashes) right then.
class Unanswered final : public TaskExecutor {
 public:
  explicit Unanswered(TaskExecutor* target) : target_(target) {}
  void Invoke(const TaskCall& call, TaskDone) override {
    {
      std::lock_guard lock(mu_);
      calls_.push_back(call);
    }
    target_->Invoke(call, [](asl::AslResult<Json>) {});
  }
  void Cancel(const TaskCall& call) override { target_->Cancel(call); }
  size_t calls() {
    std::lock_guard lock(mu_);
    return calls_.size();
  }

 private:
  TaskExecutor* const target_;
  std::mutex mu_;
  std::vector<TaskCall> calls_;
};

std::vector<store::ExecutionRecord> ExecutionsOf(store::Store& store, const std::string& machine) {
  store::ExecutionFilter filter;
  filter.state_machine_arn = MachineArn(machine);
  return store.ListExecutions(filter, {}).value().items;
}

// True once the one child has parked in its Wait with a durable timer, so
// advancing the clock afterwards is sure to wake it (a child still on its
// way to the Wait would count its hour from the advanced clock).
bool ChildWaits(store::Store& store) {
  std::vector<store::ExecutionRecord> children = ExecutionsOf(store, "child");
  return children.size() == 1 && children[0].wake_at_ms.has_value();
}

std::vector<std::string> Keys(const Json& object) {
  std::vector<std::string> keys;
  for (const auto& [key, value] : object.items()) keys.push_back(key);
  return keys;
}

TEST(NestedExecutions, RequestResponseAnswersWithTheStartAndTheChildKnowsItsParent) {
  TestStore store;
  store.CreateMachine("child", kChildWait);
  store.CreateMachine("parent", Parent(""));
  NestedEngine n(store.get());
  auto parent = n.t.Start("parent", "p1", R"({"x":7})");
  ASSERT_TRUE(parent.ok()) << parent.status();
  store::ExecutionRecord done = WaitForEnd(*store, parent->execution_arn);
  ASSERT_EQ(done.status, store::ExecutionStatus::kSucceeded) << done.error.value_or("");

  std::vector<store::ExecutionRecord> children = ExecutionsOf(*store, "child");
  ASSERT_EQ(children.size(), 1u);
  const store::ExecutionRecord& child = children[0];
  EXPECT_EQ(child.status, store::ExecutionStatus::kRunning);  // request-response: not waited for
  EXPECT_EQ(Json::parse(child.input),
            Json::parse(R"({"x":7,"AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID":")" +
                        parent->execution_arn + R"("})"));
  EXPECT_EQ(child.started_by_execution_arn, parent->execution_arn);
  EXPECT_EQ(child.started_by, parent->execution_arn);
  // Without a Name, the child is named after the task, UUID-shaped.
  EXPECT_EQ(child.name.size(), 36u);
  EXPECT_EQ(child.name, TaskIdempotencyToken(parent->execution_arn, 1).substr(0, 8) + "-" +
                            TaskIdempotencyToken(parent->execution_arn, 1).substr(8, 4) + "-" +
                            TaskIdempotencyToken(parent->execution_arn, 1).substr(12, 4) + "-" +
                            TaskIdempotencyToken(parent->execution_arn, 1).substr(16, 4) + "-" +
                            TaskIdempotencyToken(parent->execution_arn, 1).substr(20, 12));

  // AWS's shape: PascalCase, StartDate in epoch milliseconds, SDK metadata.
  Json output = Json::parse(*done.output);
  EXPECT_THAT(Keys(output),
              ElementsAre("ExecutionArn", "SdkHttpMetadata", "SdkResponseMetadata", "StartDate"));
  EXPECT_EQ(output["ExecutionArn"], child.arn);
  EXPECT_EQ(output["StartDate"], child.start_time_ms);
  EXPECT_TRUE(output["StartDate"].is_number_integer());
  EXPECT_EQ(output["SdkHttpMetadata"]["HttpStatusCode"], 200);
  EXPECT_EQ(output["SdkHttpMetadata"]["HttpHeaders"]["x-amzn-RequestId"],
            output["SdkResponseMetadata"]["RequestId"]);
  EXPECT_EQ(output["SdkHttpMetadata"]["HttpHeaders"]["Content-Type"], "application/x-amz-json-1.0");

  // The child's own audit rows name the execution that started it.
  bool audited = false;
  for (const store::AuditRecord& row : AuditRows(*store)) {
    if (row.entry.target == child.arn && row.entry.action == "ExecutionStarted") {
      EXPECT_EQ(row.entry.actor, parent->execution_arn);
      audited = true;
    }
  }
  EXPECT_TRUE(audited);
}

TEST(NestedExecutions, SyncWaitsForTheChildAndAnswersItsDescriptionWithPayloadsAsText) {
  TestStore store;
  store.CreateMachine("child", kChildWait);
  store.CreateMachine("parent", Parent(".sync"));
  NestedEngine n(store.get());
  auto parent = n.t.Start("parent", "p1", R"({"x":7})");
  ASSERT_TRUE(parent.ok());
  ASSERT_TRUE(WaitUntil([&] { return ChildWaits(*store); }));
  // The parent waits as long as the child runs.
  EXPECT_EQ(store->GetExecution(parent->execution_arn)->status, store::ExecutionStatus::kRunning);
  n.t.clock.Advance(std::chrono::hours(1));
  store::ExecutionRecord done = WaitForEnd(*store, parent->execution_arn);
  ASSERT_EQ(done.status, store::ExecutionStatus::kSucceeded) << done.error.value_or("");
  store::ExecutionRecord child = ExecutionsOf(*store, "child")[0];
  ASSERT_EQ(child.status, store::ExecutionStatus::kSucceeded);

  Json output = Json::parse(*done.output);
  EXPECT_THAT(Keys(output),
              ElementsAre("ExecutionArn", "Input", "InputDetails", "Name", "Output",
                          "OutputDetails", "RedriveCount", "RedriveStatus", "RedriveStatusReason",
                          "StartDate", "StateMachineArn", "Status", "StopDate"));
  EXPECT_EQ(output["ExecutionArn"], child.arn);
  EXPECT_EQ(output["Input"], child.input);  // JSON text
  EXPECT_EQ(output["Output"], *child.output);
  EXPECT_TRUE(output["Output"].is_string());
  EXPECT_EQ(Json::parse(output["Output"].get<std::string>())["child"], true);
  EXPECT_EQ(output["InputDetails"], Json::parse(R"({"Included":true})"));
  EXPECT_EQ(output["Name"], child.name);
  EXPECT_EQ(output["Status"], "SUCCEEDED");
  EXPECT_EQ(output["StartDate"], child.start_time_ms);
  EXPECT_EQ(output["StopDate"], *child.stop_time_ms);
  EXPECT_EQ(output["RedriveStatus"], "NOT_REDRIVABLE");
  EXPECT_EQ(output["StateMachineArn"], MachineArn("child"));
}

TEST(NestedExecutions, Sync2AnswersThePayloadsAsJson) {
  TestStore store;
  store.CreateMachine("child", kChildPass);
  store.CreateMachine("parent", Parent(".sync:2", R"({"StateMachineArn":")" + MachineArn("child") +
                                                      R"(","Name":"given","Input.$":"$"})"));
  NestedEngine n(store.get());
  auto parent = n.t.Start("parent", "p1", R"({"x":7})");
  ASSERT_TRUE(parent.ok());
  store::ExecutionRecord done = WaitForEnd(*store, parent->execution_arn);
  ASSERT_EQ(done.status, store::ExecutionStatus::kSucceeded) << done.error.value_or("");
  Json output = Json::parse(*done.output);
  EXPECT_EQ(output["ExecutionArn"], ExecutionArn("child", "given"));
  EXPECT_EQ(output["Name"], "given");
  EXPECT_EQ(output["Input"], Json::parse(R"({"x":7})"));
  EXPECT_EQ(output["Output"], Json::parse(R"({"x":7,"child":true})"));
  EXPECT_EQ(output["Status"], "SUCCEEDED");
}

TEST(NestedExecutions, AFailedChildFailsTheTaskWithTaskFailedAndItsDescriptionAsCause) {
  TestStore store;
  store.CreateMachine("child", kChildFail);
  store.CreateMachine("parent", Parent(".sync"));
  NestedEngine n(store.get());
  auto parent = n.t.Start("parent", "p1", R"({"x":7})");
  ASSERT_TRUE(parent.ok());
  store::ExecutionRecord done = WaitForEnd(*store, parent->execution_arn);
  ASSERT_EQ(done.status, store::ExecutionStatus::kSucceeded);  // the Catch took it
  Json caught = Json::parse(*done.output);
  EXPECT_EQ(caught["Error"], "States.TaskFailed");
  Json cause = Json::parse(caught["Cause"].get<std::string>());
  EXPECT_EQ(cause["Status"], "FAILED");
  EXPECT_EQ(cause["Error"], "Boom");
  EXPECT_EQ(cause["Cause"], "it broke");
  EXPECT_EQ(cause["ExecutionArn"], ExecutionsOf(*store, "child")[0].arn);
  EXPECT_EQ(cause["RedriveStatus"], "REDRIVABLE");
  EXPECT_FALSE(cause.contains("Output"));
  EXPECT_THAT(Keys(cause), ElementsAre("Cause", "Error", "ExecutionArn", "Input", "InputDetails",
                                       "Name", "RedriveCount", "RedriveStatus", "StartDate",
                                       "StateMachineArn", "Status", "StopDate"));
  std::vector<std::string> types;
  for (const auto& e : History(*store, parent->execution_arn)) types.push_back(e.type);
  EXPECT_THAT(types, ::testing::Contains("TaskFailed"));
}

TEST(NestedExecutions, RefusedStartsCarryAwsErrorNamesThatCatchSees) {
  TestStore store;
  store.CreateMachine("child", kChildWait);
  const auto run = [&](const std::string& parameters, const std::string& name) {
    store.CreateMachine("parent-" + name, Parent("", parameters));
    NestedEngine n(store.get());
    auto parent = n.t.Start("parent-" + name, "p");
    EXPECT_TRUE(parent.ok());
    store::ExecutionRecord done = WaitForEnd(*store, parent->execution_arn);
    EXPECT_EQ(done.status, store::ExecutionStatus::kSucceeded);
    return Json::parse(done.output.value_or("{}"));
  };
  Json missing = run(R"({"StateMachineArn":")" + MachineArn("nope") + R"("})", "missing");
  EXPECT_EQ(missing["Error"], "StepFunctions.StateMachineDoesNotExistException");
  EXPECT_THAT(missing["Cause"].get<std::string>(),
              ::testing::StartsWith("State Machine Does Not Exist: '" + MachineArn("nope") +
                                    "' (Service: AWSStepFunctions; Status Code: 400; Error Code: "
                                    "StateMachineDoesNotExist; Request ID: "));
  EXPECT_EQ(run(R"({"StateMachineArn":"not-an-arn"})", "arn")["Error"],
            "StepFunctions.InvalidArnException");
  EXPECT_EQ(
      run(R"({"StateMachineArn":")" + MachineArn("child") + R"(","Name":"a:b"})", "name")["Error"],
      "StepFunctions.InvalidNameException");
  EXPECT_EQ(run(R"({"StateMachineArn":")" + MachineArn("child") + R"(","Input":"{not json"})",
                "input")["Error"],
            "StepFunctions.InvalidExecutionInputException");
  EXPECT_EQ(run(R"({"StateMachineArn":")" + MachineArn("child") + R"(:7"})", "version")["Error"],
            "StepFunctions.StateMachineDoesNotExistException");
}

TEST(NestedExecutions, MalformedParametersAreARuntimeErrorThatCatchCannotTake) {
  TestStore store;
  store.CreateMachine("child", kChildPass);
  store.CreateMachine("parent", Parent("", R"({"StateMachineArn":")" + MachineArn("child") +
                                               R"(","TraceHeader":"t"})"));
  NestedEngine n(store.get());
  auto parent = n.t.Start("parent", "p");
  ASSERT_TRUE(parent.ok());
  store::ExecutionRecord done = WaitForEnd(*store, parent->execution_arn);
  EXPECT_EQ(done.status, store::ExecutionStatus::kFailed);
  EXPECT_EQ(done.error, "States.Runtime");
  EXPECT_THAT(done.cause.value_or(""), HasSubstr("'TraceHeader' is not supported"));
  // The validator refuses other suffixes; a call that has one anyway is
  // refused as well.
  TaskCall call;
  call.execution_arn = ExecutionArn("parent", "p2");
  call.request.resource = std::string(kStartExecutionResource) + ".sync:3";
  call.request.parameters = Json{{"StateMachineArn", MachineArn("child")}};
  std::optional<asl::AslResult<Json>> answer;
  n.nested.Invoke(call, [&](asl::AslResult<Json> r) { answer = std::move(r); });
  ASSERT_TRUE(answer.has_value());
  ASSERT_FALSE(answer->ok());
  EXPECT_EQ(answer->error().error, "States.Runtime");
  EXPECT_THAT(answer->error().cause, HasSubstr("startExecution.sync:3"));
  EXPECT_TRUE(ExecutionsOf(*store, "child").empty());
}

TEST(NestedExecutions, ANameTakenByAnotherExecutionIsExecutionAlreadyExists) {
  TestStore store;
  store.CreateMachine("child", kChildPass);
  store.CreateMachine("parent", Parent(".sync", R"({"StateMachineArn":")" + MachineArn("child") +
                                                    R"(","Name":"taken"})"));
  NestedEngine n(store.get());
  ASSERT_TRUE(n.t.Start("child", "taken").ok());
  ASSERT_EQ(WaitForEnd(*store, ExecutionArn("child", "taken")).status,
            store::ExecutionStatus::kSucceeded);
  auto parent = n.t.Start("parent", "p");
  ASSERT_TRUE(parent.ok());
  store::ExecutionRecord done = WaitForEnd(*store, parent->execution_arn);
  EXPECT_EQ(Json::parse(*done.output)["Error"], "StepFunctions.ExecutionAlreadyExistsException");
  EXPECT_EQ(ExecutionsOf(*store, "child").size(), 1u);
}

TEST(NestedExecutions, AVersionArnRunsThatVersion) {
  TestStore store;
  store.CreateMachine("child", kChildPass);
  ASSERT_TRUE(store->PublishStateMachineVersion(MachineArn("child"), "", "v1", 1, {}).ok());
  store.CreateMachine(
      "parent", Parent(".sync:2", R"({"StateMachineArn":")" + MachineArn("child") + R"(:1"})"));
  NestedEngine n(store.get());
  auto parent = n.t.Start("parent", "p");
  ASSERT_TRUE(parent.ok());
  store::ExecutionRecord done = WaitForEnd(*store, parent->execution_arn);
  ASSERT_EQ(done.status, store::ExecutionStatus::kSucceeded);
  Json output = Json::parse(*done.output);
  EXPECT_EQ(output["StateMachineVersionArn"], MachineArn("child") + ":1");
  EXPECT_EQ(output["StateMachineArn"], MachineArn("child"));
  EXPECT_EQ(ExecutionsOf(*store, "child")[0].state_machine_version, 1);
}

TEST(NestedExecutions, StoppingTheParentStopsTheChildItWaitsFor) {
  TestStore store;
  store.CreateMachine("child", kChildWait);
  store.CreateMachine("parent", Parent(".sync"));
  store.CreateMachine("rr", Parent(""));
  NestedEngine n(store.get());
  auto parent = n.t.Start("parent", "p1", R"({"x":1})");
  ASSERT_TRUE(parent.ok());
  ASSERT_TRUE(WaitUntil([&] { return ExecutionsOf(*store, "child").size() == 1; }));
  const std::string child = ExecutionsOf(*store, "child")[0].arn;
  ASSERT_TRUE(n.t.Stop(parent->execution_arn).ok());
  store::ExecutionRecord stopped = WaitForEnd(*store, child);
  EXPECT_EQ(stopped.status, store::ExecutionStatus::kAborted);
  EXPECT_THAT(stopped.cause.value_or(""), HasSubstr(parent->execution_arn));
  EXPECT_EQ(AuditRows(*store).back().entry.actor, parent->execution_arn);

  // A request-response child is not the parent's to stop, as on AWS.
  auto rr = n.t.Start("rr", "r1", R"({"x":2})");
  ASSERT_TRUE(rr.ok());
  ASSERT_TRUE(WaitUntil([&] { return ExecutionsOf(*store, "child").size() == 2; }));
  ASSERT_EQ(WaitForEnd(*store, rr->execution_arn).status, store::ExecutionStatus::kSucceeded);
  EXPECT_EQ(ExecutionsOf(*store, "child")[0].status, store::ExecutionStatus::kRunning);
}

TEST(NestedExecutions, ATaskTimeoutStopsTheChild) {
  TestStore store;
  store.CreateMachine("child", kChildWait);
  store.CreateMachine("parent", R"({"StartAt":"T","States":{"T":{"Type":"Task",
      "Resource":"arn:aws:states:::states:startExecution.sync:2","TimeoutSeconds":60,
      "Parameters":{"StateMachineArn":")" +
                                    MachineArn("child") + R"("},"End":true}}})");
  NestedEngine n(store.get());
  auto parent = n.t.Start("parent", "p1");
  ASSERT_TRUE(parent.ok());
  ASSERT_TRUE(WaitUntil([&] { return ExecutionsOf(*store, "child").size() == 1; }));
  n.t.clock.Advance(std::chrono::seconds(61));
  EXPECT_EQ(WaitForEnd(*store, parent->execution_arn).error, "States.Timeout");
  EXPECT_EQ(WaitForEnd(*store, ExecutionsOf(*store, "child")[0].arn).status,
            store::ExecutionStatus::kAborted);
}

TEST(NestedExecutions, CancelStopsTheChildWhetherItsStartIsInFlightOrFromAnEarlierProcess) {
  TestStore store;
  store.CreateMachine("child", kChildWait);
  // Another executor, as the one of an earlier process was; it outlives
  // the engine (declared before it).
  NestedExecutions earlier(store.get(), QuietLogger());
  NestedEngine n(store.get());
  earlier.SetEngine(n.t.engine.get());
  TaskCall call;
  call.execution_arn = ExecutionArn("parent", "p1");
  call.request.task_id = 1;
  call.request.resource = std::string(kStartExecutionResource) + ".sync";
  call.request.parameters = Json{{"StateMachineArn", MachineArn("child")}};
  call.idempotency_token = TaskIdempotencyToken(call.execution_arn, 1);
  std::atomic<int> answered{0};
  // Cancelled at once: the start may not be durable yet; the child is
  // stopped as soon as it is, and the task is never answered.
  n.nested.Invoke(call, [&](asl::AslResult<Json>) { ++answered; });
  n.nested.Cancel(call);
  ASSERT_TRUE(WaitUntil([&] { return ExecutionsOf(*store, "child").size() == 1; }));
  EXPECT_EQ(WaitForEnd(*store, ExecutionsOf(*store, "child")[0].arn).status,
            store::ExecutionStatus::kAborted);

  // A child started by an executor that is gone (a restart) is found by
  // its name; another task's child of the same machine is left alone.
  TaskCall second = call;
  second.request.task_id = 2;
  second.idempotency_token = TaskIdempotencyToken(call.execution_arn, 2);
  TaskCall other = call;
  other.execution_arn = ExecutionArn("parent", "p2");
  other.idempotency_token = TaskIdempotencyToken(other.execution_arn, 1);
  earlier.Invoke(second, [](asl::AslResult<Json>) {});
  earlier.Invoke(other, [](asl::AslResult<Json>) {});
  ASSERT_TRUE(WaitUntil([&] { return ExecutionsOf(*store, "child").size() == 3; }));
  n.nested.Cancel(second);
  std::vector<store::ExecutionRecord> children = ExecutionsOf(*store, "child");
  ASSERT_EQ(children.size(), 3u);
  EXPECT_EQ(WaitForEnd(*store, children[1].arn).status, store::ExecutionStatus::kAborted);
  EXPECT_EQ(store->GetExecution(children[0].arn)->status, store::ExecutionStatus::kRunning);
  EXPECT_EQ(children[0].started_by_execution_arn, other.execution_arn);
  EXPECT_EQ(answered, 0);

  // A task naming an execution it did not start never stops it.
  ASSERT_TRUE(n.t.Start("child", "bystander").ok());
  TaskCall naming = call;
  naming.request.parameters["Name"] = "bystander";
  n.nested.Cancel(naming);
  WaitUntil([&] { return false; }, std::chrono::milliseconds(200));
  EXPECT_EQ(store->GetExecution(ExecutionArn("child", "bystander"))->status,
            store::ExecutionStatus::kRunning);
}

TEST(NestedExecutions, ARestartReattachesTheSyncTaskToTheChildItStartedInsteadOfStartingAnother) {
  TestStore store;
  store.CreateMachine("child", kChildWait);
  store.CreateMachine("parent", Parent(".sync"));
  std::string parent_arn;
  {
    NestedEngine n(store.get());
    auto parent = n.t.Start("parent", "p1", R"({"x":1})");
    ASSERT_TRUE(parent.ok());
    parent_arn = parent->execution_arn;
    ASSERT_TRUE(WaitUntil([&] { return ChildWaits(*store); }));
  }  // stepd stops while the child runs and the parent waits
  store.Reopen();
  NestedEngine again(store.get());
  again.t.clock.Advance(std::chrono::hours(1));
  store::ExecutionRecord done = WaitForEnd(*store, parent_arn);
  ASSERT_EQ(done.status, store::ExecutionStatus::kSucceeded) << done.error.value_or("");
  std::vector<store::ExecutionRecord> children = ExecutionsOf(*store, "child");
  ASSERT_EQ(children.size(), 1u);
  EXPECT_EQ(Json::parse(*done.output)["ExecutionArn"], children[0].arn);
  EXPECT_EQ(Json::parse(*done.output)["Status"], "SUCCEEDED");
}

TEST(NestedExecutions, ARestartAnswersWithTheChildThatEndedBeforeTheResultWasDurable) {
  for (const std::string suffix : {"", ".sync:2"}) {
    SCOPED_TRACE("suffix '" + suffix + "'");
    TestStore store;
    store.CreateMachine("child", kChildPass);
    store.CreateMachine("parent", Parent(suffix));
    std::string parent_arn;
    {
      NestedExecutions nested(store.get(), QuietLogger());
      Unanswered lost(&nested);
      NestedEngine n(store.get(), &lost);
      nested.SetEngine(n.t.engine.get());
      auto parent = n.t.Start("parent", "p1", R"({"x":1})");
      ASSERT_TRUE(parent.ok());
      parent_arn = parent->execution_arn;
      ASSERT_TRUE(WaitUntil([&] {
        auto children = ExecutionsOf(*store, "child");
        return children.size() == 1 && children[0].status == store::ExecutionStatus::kSucceeded;
      }));
      EXPECT_EQ(lost.calls(), 1u);
      EXPECT_EQ(store->GetExecution(parent_arn)->status, store::ExecutionStatus::kRunning);
    }
    store.Reopen();
    NestedEngine again(store.get());
    store::ExecutionRecord done = WaitForEnd(*store, parent_arn);
    ASSERT_EQ(done.status, store::ExecutionStatus::kSucceeded) << done.error.value_or("");
    std::vector<store::ExecutionRecord> children = ExecutionsOf(*store, "child");
    ASSERT_EQ(children.size(), 1u);
    Json output = Json::parse(*done.output);
    EXPECT_EQ(output["ExecutionArn"], children[0].arn);
    EXPECT_EQ(output["StartDate"], children[0].start_time_ms);
    if (suffix == ".sync:2") {
      EXPECT_EQ(output["Output"], Json::parse(*children[0].output));
    }
  }
}

}  // namespace
}  // namespace stepd::runtime
