// The contract every Store implementation keeps, run against each of them:
// SqliteStore on a real file in a temp directory and MemStore.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <tuple>
#include <vector>

#include "stepd/base/json.h"
#include "stepd/store/audit_chain.h"
#include "stepd/store/mem_store.h"
#include "stepd/store/migrations.h"
#include "stepd/store/sqlite_store.h"
#include "store/store_testing.h"

namespace stepd::store {
namespace {

ExecutionFilter Filter(std::string machine_arn,
                       std::optional<ExecutionStatus> status = std::nullopt) {
  ExecutionFilter filter;
  filter.state_machine_arn = std::move(machine_arn);
  filter.status = status;
  return filter;
}

using testing::Audit;
using ::testing::ElementsAre;
using testing::Event;
using testing::Execution;
using testing::ExecutionArn;
using testing::Machine;
using testing::MachineArn;
using testing::StoreFactory;
using testing::TempDir;

class StoreContract : public ::testing::TestWithParam<StoreFactory> {
 protected:
  void SetUp() override {
    store_ = GetParam().open(dir_);
    ASSERT_NE(store_, nullptr);
  }

  // A machine "m" with one RUNNING execution "e".
  void CreateMachineAndExecution() {
    ASSERT_EQ(store_->CreateStateMachine(Machine("m"), {}), Status::OK());
    ASSERT_EQ(store_->CreateExecution(Execution("m", "e"), {}), Status::OK());
  }

  std::vector<std::string> MachineNames(const Page<StateMachineRecord>& page) {
    std::vector<std::string> names;
    for (const auto& m : page.items) names.push_back(m.name);
    return names;
  }

  TempDir dir_;
  std::unique_ptr<Store> store_;
};

TEST_P(StoreContract, FreshStoreIsAtLatestSchemaAndEmpty) {
  EXPECT_EQ(store_->SchemaVersion().value(), LatestSchemaVersion());
  EXPECT_TRUE(store_->ListStateMachines({}).value().items.empty());
  EXPECT_TRUE(store_->ListExecutions({}, {}).value().items.empty());
  EXPECT_TRUE(store_->ListAudit({}).value().items.empty());
  EXPECT_EQ(store_->VerifyAuditChain(), Status::OK());
}

TEST_P(StoreContract, MigrateTwiceIsIdempotent) {
  ASSERT_EQ(store_->CreateStateMachine(Machine("m"), {}), Status::OK());
  EXPECT_EQ(store_->Migrate(), Status::OK());
  EXPECT_EQ(store_->Migrate(), Status::OK());
  EXPECT_EQ(store_->SchemaVersion().value(), LatestSchemaVersion());
  EXPECT_TRUE(store_->GetStateMachine(MachineArn("m")).ok());
}

TEST_P(StoreContract, StateMachineRoundTripsEveryField) {
  StateMachineRecord m = Machine("m", 1234);
  m.type = StateMachineType::kExpress;
  m.attributes_json = R"({"description":"d"})";
  m.updated_at_ms = 1300;
  ASSERT_EQ(store_->CreateStateMachine(m, {}), Status::OK());
  StateMachineRecord got = store_->GetStateMachine(m.arn).value();
  EXPECT_EQ(got.arn, m.arn);
  EXPECT_EQ(got.name, "m");
  EXPECT_EQ(got.type, StateMachineType::kExpress);
  EXPECT_EQ(got.definition, m.definition);
  EXPECT_EQ(got.role_arn, m.role_arn);
  EXPECT_EQ(got.revision_id, "rev-1");
  EXPECT_EQ(got.attributes_json, R"({"description":"d"})");
  EXPECT_EQ(got.status, StateMachineStatus::kActive);
  EXPECT_EQ(got.created_at_ms, 1234);
  EXPECT_EQ(got.updated_at_ms, 1300);
}

TEST_P(StoreContract, CreateStateMachineRefusesTakenArnAndName) {
  ASSERT_EQ(store_->CreateStateMachine(Machine("m"), {}), Status::OK());
  EXPECT_EQ(store_->CreateStateMachine(Machine("m"), {}),
            AlreadyExistsError("CreateStateMachine: state machine '" + MachineArn("m") +
                               "' already exists"));
  StateMachineRecord same_name = Machine("m");
  same_name.arn = MachineArn("other");
  EXPECT_EQ(store_->CreateStateMachine(same_name, {}),
            AlreadyExistsError("CreateStateMachine: a state machine named 'm' already exists"));
}

TEST_P(StoreContract, GetUnknownStateMachineIsNotFound) {
  EXPECT_EQ(
      store_->GetStateMachine(MachineArn("nope")).status(),
      NotFoundError("GetStateMachine: state machine '" + MachineArn("nope") + "' does not exist"));
}

TEST_P(StoreContract, UpdateStateMachineReplacesDefinitionAndRevision) {
  ASSERT_EQ(store_->CreateStateMachine(Machine("m"), {}), Status::OK());
  StateMachineRecord update = Machine("m");
  update.definition = R"({"StartAt":"Q","States":{"Q":{"Type":"Succeed"}}})";
  update.revision_id = "rev-2";
  update.updated_at_ms = 9000;
  ASSERT_EQ(store_->UpdateStateMachine(update, {Audit("UpdateStateMachine", update.arn)}),
            Status::OK());
  StateMachineRecord got = store_->GetStateMachine(update.arn).value();
  EXPECT_EQ(got.definition, update.definition);
  EXPECT_EQ(got.revision_id, "rev-2");
  EXPECT_EQ(got.updated_at_ms, 9000);
  EXPECT_EQ(got.created_at_ms, 1000);
  EXPECT_EQ(store_->ListAudit({}).value().items.size(), 1u);
}

TEST_P(StoreContract, DeleteStateMachineWithRunningExecutionMarksItDeleting) {
  CreateMachineAndExecution();
  ASSERT_EQ(store_->DeleteStateMachine(MachineArn("m"), {}), Status::OK());
  EXPECT_EQ(store_->GetStateMachine(MachineArn("m")).value().status, StateMachineStatus::kDeleting);
  EXPECT_EQ(store_->CreateExecution(Execution("m", "e2"), {}),
            FailedPreconditionError("CreateExecution: state machine '" + MachineArn("m") +
                                    "' is being deleted"));
  EXPECT_TRUE(store_->GetExecution(ExecutionArn("m", "e")).ok());
}

TEST_P(StoreContract, DeleteStateMachineWithoutRunningExecutionsPurgesItButKeepsAudit) {
  CreateMachineAndExecution();
  Transition done;
  done.execution_arn = ExecutionArn("m", "e");
  done.events = {Event(1, "ExecutionStarted"), Event(2, "ExecutionSucceeded")};
  done.update.status = ExecutionStatus::kSucceeded;
  ASSERT_TRUE(store_->CommitTransition(done).ok());
  ASSERT_EQ(store_->DeleteStateMachine(MachineArn("m"), {Audit("DeleteStateMachine", "m")}),
            Status::OK());
  EXPECT_EQ(store_->GetStateMachine(MachineArn("m")).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(
      store_->GetExecution(ExecutionArn("m", "e")).status(),
      NotFoundError("GetExecution: execution '" + ExecutionArn("m", "e") + "' does not exist"));
  EXPECT_EQ(store_->GetHistory(ExecutionArn("m", "e"), {}, false).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(store_->ListAudit({}).value().items.size(), 1u);
  // The name is free again.
  EXPECT_EQ(store_->CreateStateMachine(Machine("m"), {}), Status::OK());
}

TEST_P(StoreContract, DeleteUnknownStateMachineIsNotFound) {
  EXPECT_EQ(
      store_->DeleteStateMachine(MachineArn("x"), {}),
      NotFoundError("DeleteStateMachine: state machine '" + MachineArn("x") + "' does not exist"));
}

TEST_P(StoreContract, ExecutionRoundTripsEveryField) {
  ASSERT_EQ(store_->CreateStateMachine(Machine("m"), {}), Status::OK());
  ExecutionRecord e = Execution("m", "e", 4242);
  e.attributes_json = R"({"traceHeader":"t"})";
  e.snapshot = std::string("\0\x01snap", 6);
  e.redrive_count = 2;
  e.redrive_time_ms = 4000;
  ASSERT_EQ(store_->CreateExecution(e, {}), Status::OK());
  ExecutionRecord got = store_->GetExecution(e.arn).value();
  EXPECT_EQ(got.arn, e.arn);
  EXPECT_EQ(got.state_machine_arn, MachineArn("m"));
  EXPECT_EQ(got.name, "e");
  EXPECT_EQ(got.state_machine_revision_id, "rev-1");
  EXPECT_EQ(got.status, ExecutionStatus::kRunning);
  EXPECT_EQ(got.input, R"({"n":1})");
  EXPECT_EQ(got.output, std::nullopt);
  EXPECT_EQ(got.error, std::nullopt);
  EXPECT_EQ(got.cause, std::nullopt);
  EXPECT_EQ(got.start_time_ms, 4242);
  EXPECT_EQ(got.stop_time_ms, std::nullopt);
  EXPECT_EQ(got.redrive_count, 2);
  EXPECT_EQ(got.redrive_time_ms, 4000);
  EXPECT_EQ(got.attributes_json, R"({"traceHeader":"t"})");
  EXPECT_EQ(got.snapshot, std::string("\0\x01snap", 6));
  EXPECT_EQ(got.last_event_id, 0);
  EXPECT_EQ(got.updated_at_ms, 4242);
}

TEST_P(StoreContract, CreateExecutionRefusesUnknownMachineAndTakenNames) {
  EXPECT_EQ(
      store_->CreateExecution(Execution("m", "e"), {}),
      NotFoundError("CreateExecution: state machine '" + MachineArn("m") + "' does not exist"));
  CreateMachineAndExecution();
  EXPECT_EQ(store_->CreateExecution(Execution("m", "e"), {}),
            AlreadyExistsError("CreateExecution: execution '" + ExecutionArn("m", "e") +
                               "' already exists"));
  ExecutionRecord same_name = Execution("m", "e");
  same_name.arn = ExecutionArn("m", "other");
  EXPECT_EQ(store_->CreateExecution(same_name, {}),
            AlreadyExistsError("CreateExecution: an execution named 'e' already exists for "
                               "state machine '" +
                               MachineArn("m") + "'"));
}

TEST_P(StoreContract, CommitTransitionAppendsEventsUpdatesExecutionAndAudits) {
  CreateMachineAndExecution();
  Transition t;
  t.execution_arn = ExecutionArn("m", "e");
  t.events = {Event(1, "ExecutionStarted"), Event(2, "PassStateEntered")};
  t.update.snapshot = "snap-2";
  t.audit = {Audit("ExecutionStarted", t.execution_arn)};
  t.updated_at_ms = 7000;
  ExecutionRecord committed = store_->CommitTransition(t).value();
  EXPECT_EQ(committed.last_event_id, 2);
  EXPECT_EQ(committed.snapshot, "snap-2");
  EXPECT_EQ(committed.status, ExecutionStatus::kRunning);
  EXPECT_EQ(committed.updated_at_ms, 7000);

  Transition end;
  end.execution_arn = t.execution_arn;
  end.events = {Event(3, "ExecutionSucceeded")};
  end.update.status = ExecutionStatus::kSucceeded;
  end.update.output = R"({"ok":true})";
  end.update.stop_time_ms = 8000;
  end.audit = {Audit("ExecutionSucceeded", t.execution_arn)};
  ASSERT_TRUE(store_->CommitTransition(end).ok());

  ExecutionRecord got = store_->GetExecution(t.execution_arn).value();
  EXPECT_EQ(got.status, ExecutionStatus::kSucceeded);
  EXPECT_EQ(got.output, R"({"ok":true})");
  EXPECT_EQ(got.stop_time_ms, 8000);
  EXPECT_EQ(got.snapshot, "snap-2");  // unset in the update: kept
  EXPECT_EQ(got.last_event_id, 3);
  Page<HistoryEventRecord> history = store_->GetHistory(t.execution_arn, {}, false).value();
  ASSERT_EQ(history.items.size(), 3u);
  EXPECT_EQ(history.items[0].type, "ExecutionStarted");
  EXPECT_EQ(history.items[0].details_json, R"({"name":"P"})");
  EXPECT_EQ(history.items[0].timestamp_ms, 3001);
  EXPECT_EQ(history.items[2].previous_event_id, 2);
  EXPECT_EQ(store_->ListAudit({}).value().items.size(), 2u);
  EXPECT_EQ(store_->VerifyAuditChain(), Status::OK());
}

TEST_P(StoreContract, ARedriveReopensAnEndedExecutionAndTheRedrivenFilterFindsIt) {
  CreateMachineAndExecution();
  const std::string arn = ExecutionArn("m", "e");
  Transition t;
  t.execution_arn = arn;
  t.events = {Event(1, "ExecutionStarted"), Event(2, "ExecutionFailed")};
  t.update.status = ExecutionStatus::kFailed;
  t.update.error = "Boom";
  t.update.cause = "it broke";
  t.update.stop_time_ms = 8000;
  t.update.snapshot = "kept for the redrive";
  ASSERT_TRUE(store_->CommitTransition(t).ok());

  Transition redrive;
  redrive.execution_arn = arn;
  redrive.events = {Event(3, "ExecutionRedriven")};
  redrive.update.reopen = true;
  redrive.update.status = ExecutionStatus::kRunning;
  redrive.update.redrive_count = 1;
  redrive.update.redrive_time_ms = 9000;
  ASSERT_TRUE(store_->CommitTransition(redrive).ok());
  ExecutionRecord got = store_->GetExecution(arn).value();
  EXPECT_EQ(got.status, ExecutionStatus::kRunning);
  EXPECT_EQ(got.error, std::nullopt);
  EXPECT_EQ(got.cause, std::nullopt);
  EXPECT_EQ(got.output, std::nullopt);
  EXPECT_EQ(got.stop_time_ms, std::nullopt);
  EXPECT_EQ(got.redrive_count, 1);
  EXPECT_EQ(got.redrive_time_ms, 9000);
  EXPECT_EQ(got.snapshot, "kept for the redrive");

  ExecutionFilter redriven;
  redriven.state_machine_arn = MachineArn("m");
  redriven.redriven = true;
  EXPECT_EQ(store_->ListExecutions(redriven, {}).value().items.size(), 1u);
  redriven.redriven = false;
  EXPECT_EQ(store_->ListExecutions(redriven, {}).value().items.size(), 0u);
}

TEST_P(StoreContract, RetriedCommitIsRefusedAndNothingIsDuplicated) {
  CreateMachineAndExecution();
  Transition t;
  t.execution_arn = ExecutionArn("m", "e");
  t.events = {Event(1, "ExecutionStarted"), Event(2)};
  t.update.snapshot = "first";
  t.audit = {Audit("ExecutionStarted", t.execution_arn)};
  ASSERT_TRUE(store_->CommitTransition(t).ok());

  t.update.snapshot = "second";
  EXPECT_EQ(store_->CommitTransition(t).status(),
            AlreadyExistsError("CommitTransition: event 1 of execution '" + t.execution_arn +
                               "' is already committed (last event id is 2)"));
  EXPECT_EQ(store_->GetHistory(t.execution_arn, {}, false).value().items.size(), 2u);
  EXPECT_EQ(store_->GetExecution(t.execution_arn).value().snapshot, "first");
  EXPECT_EQ(store_->ListAudit({}).value().items.size(), 1u);
}

TEST_P(StoreContract, CommitWithAGapInEventIdsIsRefused) {
  CreateMachineAndExecution();
  Transition t;
  t.execution_arn = ExecutionArn("m", "e");
  t.events = {Event(3)};
  EXPECT_EQ(store_->CommitTransition(t).status(),
            FailedPreconditionError("CommitTransition: execution '" + t.execution_arn +
                                    "' continues at event id 1, got 3"));
  t.events = {Event(1), Event(3)};
  EXPECT_EQ(store_->CommitTransition(t).status(),
            InvalidArgumentError("CommitTransition: event ids must be consecutive: 3 follows 1"));
  EXPECT_TRUE(store_->GetHistory(t.execution_arn, {}, false).value().items.empty());
  EXPECT_EQ(store_->GetExecution(t.execution_arn).value().last_event_id, 0);
}

TEST_P(StoreContract, CommitToUnknownExecutionIsNotFound) {
  Transition t;
  t.execution_arn = ExecutionArn("m", "nope");
  t.events = {Event(1)};
  EXPECT_EQ(store_->CommitTransition(t).status(),
            NotFoundError("CommitTransition: execution '" + t.execution_arn + "' does not exist"));
}

TEST_P(StoreContract, AuditRowsChainEachHashToThePrevious) {
  ASSERT_EQ(store_->AppendAudit({Audit("A", "x"), Audit("B", "y")}), Status::OK());
  ASSERT_EQ(store_->CreateStateMachine(Machine("m"), {Audit("CreateStateMachine", "m")}),
            Status::OK());
  std::vector<AuditRecord> rows = store_->ListAudit({}).value().items;
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].seq, 1);
  EXPECT_EQ(rows[0].prev_hash, kAuditGenesisHash);
  EXPECT_EQ(rows[0].hash,
            AuditRowHash(testing::kTestAuditKey, kAuditGenesisHash, 1, Audit("A", "x")));
  EXPECT_EQ(rows[1].prev_hash, rows[0].hash);
  EXPECT_EQ(rows[2].seq, 3);
  EXPECT_EQ(rows[2].entry.action, "CreateStateMachine");
  EXPECT_EQ(rows[2].entry.details_json, R"({"why":"test"})");
  EXPECT_EQ(rows[2].hash, AuditRowHash(testing::kTestAuditKey, rows[1].hash, 3, rows[2].entry));
  EXPECT_EQ(store_->VerifyAuditChain(), Status::OK());
}

TEST_P(StoreContract, AuditHeadIsTheNewestRow) {
  AuditHead empty = store_->GetAuditHead().value();
  EXPECT_EQ(empty.seq, 0);
  EXPECT_EQ(empty.hash, kAuditGenesisHash);
  ASSERT_EQ(store_->AppendAudit({Audit("A", "x"), Audit("B", "y")}), Status::OK());
  AuditHead head = store_->GetAuditHead().value();
  EXPECT_EQ(head.seq, 2);
  EXPECT_EQ(head.hash, store_->ListAudit({}).value().items[1].hash);
}

TEST_P(StoreContract, QueryAuditSelectsByActorActionTargetAndTimeBothWays) {
  auto row = [](std::string actor, std::string action, std::string target, int64_t ms) {
    AuditEntry e = Audit(action, target);
    e.actor = std::move(actor);
    e.timestamp_ms = ms;
    return e;
  };
  ASSERT_EQ(store_->AppendAudit({row("alice", "StartExecution", "arn:1", 1000),
                                 row("bob", "StopExecution", "arn:1", 2000),
                                 row("alice", "StopExecution", "arn:2", 3000),
                                 row("alice", "StartExecution", "arn:2", 4000),
                                 row("bob", "StartExecution", "arn:3", 5000)}),
            Status::OK());
  auto seqs = [&](AuditQuery query, int page_size = 100) {
    std::vector<int64_t> out;
    PageRequest page{page_size, ""};
    while (true) {
      auto listed = store_->QueryAudit(query, page);
      EXPECT_TRUE(listed.ok()) << listed.status();
      if (!listed.ok()) break;
      for (const AuditRecord& r : listed->items) out.push_back(r.seq);
      if (listed->next_token.empty()) break;
      page.next_token = listed->next_token;
    }
    return out;
  };
  AuditQuery by_alice;
  by_alice.actor = "alice";
  EXPECT_THAT(seqs(by_alice), ElementsAre(1, 3, 4));
  EXPECT_THAT(seqs(by_alice, 1), ElementsAre(1, 3, 4));
  by_alice.newest_first = true;
  EXPECT_THAT(seqs(by_alice), ElementsAre(4, 3, 1));
  EXPECT_THAT(seqs(by_alice, 2), ElementsAre(4, 3, 1));
  AuditQuery stops;
  stops.action = "StopExecution";
  EXPECT_THAT(seqs(stops), ElementsAre(2, 3));
  AuditQuery on_arn1;
  on_arn1.target = "arn:1";
  EXPECT_THAT(seqs(on_arn1), ElementsAre(1, 2));
  AuditQuery window;
  window.since_ms = 2000;
  window.until_ms = 5000;
  EXPECT_THAT(seqs(window), ElementsAre(2, 3, 4));
  AuditQuery all_of_them;
  all_of_them.actor = "bob";
  all_of_them.action = "StartExecution";
  all_of_them.target = "arn:3";
  EXPECT_THAT(seqs(all_of_them), ElementsAre(5));
  AuditQuery nobody;
  nobody.actor = "carol";
  EXPECT_TRUE(seqs(nobody).empty());
  EXPECT_EQ(store_->QueryAudit(by_alice, PageRequest{10, "not-a-token"}).status().code(),
            StatusCode::kInvalidArgument);
}

TEST_P(StoreContract, AuditEntryWithoutActorIsRefused) {
  AuditEntry anonymous = Audit("A", "x");
  anonymous.actor.clear();
  EXPECT_EQ(store_->AppendAudit({anonymous}),
            InvalidArgumentError("AppendAudit: an audit entry needs an actor and an action"));
  EXPECT_EQ(store_->CreateStateMachine(Machine("m"), {anonymous}).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->GetStateMachine(MachineArn("m")).status().code(), StatusCode::kNotFound);
}

TEST_P(StoreContract, ListStateMachinesPagesInCreationOrder) {
  for (int i = 0; i < 7; ++i) {
    ASSERT_EQ(store_->CreateStateMachine(Machine("m" + std::to_string(i)), {}), Status::OK());
  }
  Page<StateMachineRecord> first = store_->ListStateMachines({3, ""}).value();
  EXPECT_THAT(MachineNames(first), ElementsAre("m0", "m1", "m2"));
  ASSERT_FALSE(first.next_token.empty());
  Page<StateMachineRecord> second = store_->ListStateMachines({3, first.next_token}).value();
  EXPECT_THAT(MachineNames(second), ElementsAre("m3", "m4", "m5"));
  Page<StateMachineRecord> last = store_->ListStateMachines({3, second.next_token}).value();
  EXPECT_THAT(MachineNames(last), ElementsAre("m6"));
  EXPECT_EQ(last.next_token, "");
  // An exact multiple of the page size ends without an empty extra page.
  Page<StateMachineRecord> all = store_->ListStateMachines({7, ""}).value();
  EXPECT_EQ(all.items.size(), 7u);
  EXPECT_EQ(all.next_token, "");
}

TEST_P(StoreContract, ListExecutionsPagesNewestFirstAndFilters) {
  ASSERT_EQ(store_->CreateStateMachine(Machine("a"), {}), Status::OK());
  ASSERT_EQ(store_->CreateStateMachine(Machine("b"), {}), Status::OK());
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(store_->CreateExecution(Execution("a", "e" + std::to_string(i)), {}), Status::OK());
  }
  ASSERT_EQ(store_->CreateExecution(Execution("b", "other"), {}), Status::OK());
  Transition fail;
  fail.execution_arn = ExecutionArn("a", "e1");
  fail.update.status = ExecutionStatus::kFailed;
  ASSERT_TRUE(store_->CommitTransition(fail).ok());

  auto names = [](const Page<ExecutionRecord>& page) {
    std::vector<std::string> out;
    for (const auto& e : page.items) out.push_back(e.name);
    return out;
  };
  ExecutionFilter of_a = Filter(MachineArn("a"));
  Page<ExecutionRecord> first = store_->ListExecutions(of_a, {2, ""}).value();
  EXPECT_THAT(names(first), ElementsAre("e4", "e3"));
  Page<ExecutionRecord> second = store_->ListExecutions(of_a, {2, first.next_token}).value();
  EXPECT_THAT(names(second), ElementsAre("e2", "e1"));
  Page<ExecutionRecord> third = store_->ListExecutions(of_a, {2, second.next_token}).value();
  EXPECT_THAT(names(third), ElementsAre("e0"));
  EXPECT_EQ(third.next_token, "");

  EXPECT_THAT(
      names(store_->ListExecutions(Filter(MachineArn("a"), ExecutionStatus::kFailed), {}).value()),
      ElementsAre("e1"));
  EXPECT_THAT(names(store_->ListExecutions(Filter("", ExecutionStatus::kRunning), {}).value()),
              ElementsAre("other", "e4", "e3", "e2", "e0"));
  EXPECT_EQ(store_->ListExecutions({}, {}).value().items.size(), 6u);
  EXPECT_EQ(
      store_->ListExecutions(Filter(MachineArn("zz")), {}).status(),
      NotFoundError("ListExecutions: state machine '" + MachineArn("zz") + "' does not exist"));
}

TEST_P(StoreContract, GetHistoryPagesForwardAndInReverse) {
  CreateMachineAndExecution();
  Transition t;
  t.execution_arn = ExecutionArn("m", "e");
  for (int i = 1; i <= 10; ++i) t.events.push_back(Event(i));
  ASSERT_TRUE(store_->CommitTransition(t).ok());
  auto ids = [](const Page<HistoryEventRecord>& page) {
    std::vector<int64_t> out;
    for (const auto& e : page.items) out.push_back(e.event_id);
    return out;
  };
  Page<HistoryEventRecord> p1 = store_->GetHistory(t.execution_arn, {4, ""}, false).value();
  EXPECT_THAT(ids(p1), ElementsAre(1, 2, 3, 4));
  Page<HistoryEventRecord> p2 =
      store_->GetHistory(t.execution_arn, {4, p1.next_token}, false).value();
  EXPECT_THAT(ids(p2), ElementsAre(5, 6, 7, 8));
  Page<HistoryEventRecord> p3 =
      store_->GetHistory(t.execution_arn, {4, p2.next_token}, false).value();
  EXPECT_THAT(ids(p3), ElementsAre(9, 10));
  EXPECT_EQ(p3.next_token, "");

  Page<HistoryEventRecord> r1 = store_->GetHistory(t.execution_arn, {4, ""}, true).value();
  EXPECT_THAT(ids(r1), ElementsAre(10, 9, 8, 7));
  Page<HistoryEventRecord> r2 =
      store_->GetHistory(t.execution_arn, {4, r1.next_token}, true).value();
  EXPECT_THAT(ids(r2), ElementsAre(6, 5, 4, 3));
  Page<HistoryEventRecord> r3 =
      store_->GetHistory(t.execution_arn, {4, r2.next_token}, true).value();
  EXPECT_THAT(ids(r3), ElementsAre(2, 1));
  EXPECT_EQ(r3.next_token, "");
}

TEST_P(StoreContract, HistoryAcrossManyCommitsPagesAndKeepsEveryField) {
  CreateMachineAndExecution();
  const std::string arn = ExecutionArn("m", "e");
  // Commits of 1, 3 and 2 events: pages cut across commit boundaries.
  int64_t next = 1;
  for (int size : {1, 3, 2}) {
    Transition t;
    t.execution_arn = arn;
    for (int k = 0; k < size; ++k) t.events.push_back(Event(next++));
    ASSERT_TRUE(store_->CommitTransition(t).ok());
  }
  Transition bare;
  bare.execution_arn = arn;
  HistoryEventRecord no_details = Event(next++, "MapStateSucceeded");
  no_details.details_key = "";
  bare.events = {no_details};
  ASSERT_TRUE(store_->CommitTransition(bare).ok());
  auto ids = [](const Page<HistoryEventRecord>& page) {
    std::vector<int64_t> out;
    for (const auto& e : page.items) out.push_back(e.event_id);
    return out;
  };
  Page<HistoryEventRecord> p1 = store_->GetHistory(arn, {2, ""}, false).value();
  EXPECT_THAT(ids(p1), ElementsAre(1, 2));
  Page<HistoryEventRecord> p2 = store_->GetHistory(arn, {3, p1.next_token}, false).value();
  EXPECT_THAT(ids(p2), ElementsAre(3, 4, 5));
  Page<HistoryEventRecord> p3 = store_->GetHistory(arn, {3, p2.next_token}, false).value();
  EXPECT_THAT(ids(p3), ElementsAre(6, 7));
  EXPECT_EQ(p3.next_token, "");
  Page<HistoryEventRecord> r1 = store_->GetHistory(arn, {4, ""}, true).value();
  EXPECT_THAT(ids(r1), ElementsAre(7, 6, 5, 4));
  Page<HistoryEventRecord> r2 = store_->GetHistory(arn, {4, r1.next_token}, true).value();
  EXPECT_THAT(ids(r2), ElementsAre(3, 2, 1));
  const HistoryEventRecord& e3 = p2.items[0];
  EXPECT_EQ(e3.previous_event_id, 2);
  EXPECT_EQ(e3.type, "PassStateEntered");
  EXPECT_EQ(e3.timestamp_ms, 3003);
  EXPECT_EQ(e3.details_key, "stateEnteredEventDetails");
  EXPECT_EQ(Json::parse(e3.details_json), Json::parse(R"({"name":"P"})"));
  EXPECT_EQ(p3.items[1].type, "MapStateSucceeded");
  EXPECT_EQ(p3.items[1].details_key, "");
}

TEST_P(StoreContract, CommitTransitionsCreatesExecutionsAndAppliesGroupsWholeOrNotAtAll) {
  ASSERT_EQ(store_->CreateStateMachine(Machine("m"), {}), Status::OK());
  auto creating = [](const std::string& name, int64_t events) {
    Transition t;
    t.execution_arn = ExecutionArn("m", name);
    t.create = Execution("m", name);
    for (int64_t i = 1; i <= events; ++i) t.events.push_back(Event(i));
    AuditEntry a = Audit("ExecutionStarted", t.execution_arn);
    a.event_id = 1;
    t.audit = {a};
    return t;
  };
  std::vector<TransitionGroup> groups(3);
  groups[0] = {creating("a", 2)};
  // A parent with a child: the child's gap dooms the whole group.
  groups[1] = {creating("b", 1), creating("b-child", 1)};
  groups[1][1].events[0].event_id = 2;
  groups[1][1].audit[0].event_id = 2;
  groups[2] = {creating("c", 1)};
  std::vector<Status> results;
  ASSERT_EQ(store_->CommitTransitions(groups, &results), Status::OK());
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(results[0], Status::OK());
  EXPECT_EQ(results[1].code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(results[2], Status::OK());
  EXPECT_EQ(store_->GetExecution(ExecutionArn("m", "a")).value().last_event_id, 2);
  EXPECT_EQ(store_->GetExecution(ExecutionArn("m", "b")).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->GetExecution(ExecutionArn("m", "b-child")).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(store_->GetExecution(ExecutionArn("m", "c")).value().last_event_id, 1);
  // Only the committed groups' audit rows are in the chain, still intact.
  std::vector<AuditRecord> rows = store_->ListAudit({}).value().items;
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].entry.target, ExecutionArn("m", "a"));
  EXPECT_EQ(rows[1].entry.target, ExecutionArn("m", "c"));
  EXPECT_EQ(rows[1].seq, 2);
  EXPECT_EQ(store_->VerifyAuditChain(), Status::OK());
  // Creating a taken name again is ALREADY_EXISTS for that group only.
  std::vector<TransitionGroup> again = {{creating("a", 1)}};
  ASSERT_EQ(store_->CommitTransitions(again, &results), Status::OK());
  EXPECT_EQ(results[0], AlreadyExistsError("CommitTransition: execution '" +
                                           ExecutionArn("m", "a") + "' already exists"));
}

TEST_P(StoreContract, ATransitionsAuditRowIsWrittenOnlyWithItsEventSoOnlyOnce) {
  CreateMachineAndExecution();
  const std::string arn = ExecutionArn("m", "e");
  AuditEntry row = Audit("PassStateEntered", arn);
  row.event_id = 1;
  // Not on its own: only together with its event.
  EXPECT_EQ(store_->AppendAudit({row}).code(), StatusCode::kInvalidArgument);
  Transition t;
  t.execution_arn = arn;
  t.events = {Event(1)};
  t.audit = {row};
  ASSERT_TRUE(store_->CommitTransition(t).ok());
  // A replay of the commit is refused whole: the row is not written twice.
  EXPECT_EQ(store_->CommitTransition(t).status().code(), StatusCode::kAlreadyExists);
  // Nor can a later commit carry a row for an earlier event.
  Transition later;
  later.execution_arn = arn;
  later.events = {Event(2)};
  later.audit = {row};
  EXPECT_EQ(store_->CommitTransition(later).status(),
            InvalidArgumentError("CommitTransition: the audit row of event 1 of '" + arn +
                                 "' does not name an event of this commit, once and in order"));
  // Rows that are not transitions may repeat.
  AuditEntry plain = Audit("DescribeExecution", arn);
  EXPECT_EQ(store_->AppendAudit({plain}), Status::OK());
  EXPECT_EQ(store_->AppendAudit({plain}), Status::OK());
  std::vector<AuditRecord> rows = store_->ListAudit({}).value().items;
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].entry.event_id, 1);
  EXPECT_EQ(store_->VerifyAuditChain(), Status::OK());
}

TEST_P(StoreContract, WakeAtIsSetAndClearedAndRecoveryListsRunningTopLevelExecutions) {
  CreateMachineAndExecution();
  ExecutionRecord child = Execution("m", "child");
  child.parent_arn = ExecutionArn("m", "e");
  child.map_run_arn = "arn:aws:states:us-east-1:123456789012:mapRun:m/l:1";
  ASSERT_EQ(store_->CreateExecution(child, {}), Status::OK());
  ASSERT_EQ(store_->CreateExecution(Execution("m", "done"), {}), Status::OK());
  Transition finish;
  finish.execution_arn = ExecutionArn("m", "done");
  finish.update.status = ExecutionStatus::kSucceeded;
  ASSERT_TRUE(store_->CommitTransition(finish).ok());

  Transition park;
  park.execution_arn = ExecutionArn("m", "e");
  park.update.wake_at_ms = std::optional<int64_t>(99000);
  ASSERT_EQ(store_->CommitTransition(park).value().wake_at_ms, 99000);
  std::vector<RunningExecution> running = store_->ListRunningExecutions().value();
  ASSERT_EQ(running.size(), 1u);
  EXPECT_EQ(running[0].arn, ExecutionArn("m", "e"));
  EXPECT_EQ(running[0].wake_at_ms, 99000);

  Transition wake;
  wake.execution_arn = ExecutionArn("m", "e");
  wake.update.wake_at_ms = std::optional<int64_t>();
  EXPECT_EQ(store_->CommitTransition(wake).value().wake_at_ms, std::nullopt);
  // An update that does not mention wake_at leaves it alone.
  ASSERT_TRUE(store_->CommitTransition(park).ok());
  Transition other;
  other.execution_arn = ExecutionArn("m", "e");
  other.update.snapshot = "s";
  EXPECT_EQ(store_->CommitTransition(other).value().wake_at_ms, 99000);
}

TEST_P(StoreContract, MapRunChildrenAreListedOnlyByTheirMapRun) {
  CreateMachineAndExecution();
  const std::string run = "arn:aws:states:us-east-1:123456789012:mapRun:m/l:1";
  for (const char* name : {"c1", "c2"}) {
    ExecutionRecord child = Execution("m", name);
    child.parent_arn = ExecutionArn("m", "e");
    child.map_run_arn = run;
    child.started_by = "admin";
    ASSERT_EQ(store_->CreateExecution(child, {}), Status::OK());
  }
  auto names = [](const Page<ExecutionRecord>& page) {
    std::vector<std::string> out;
    for (const auto& e : page.items) out.push_back(e.name);
    return out;
  };
  EXPECT_THAT(names(store_->ListExecutions(Filter(MachineArn("m")), {}).value()), ElementsAre("e"));
  ExecutionFilter by_run;
  by_run.map_run_arn = run;
  Page<ExecutionRecord> children = store_->ListExecutions(by_run, {}).value();
  EXPECT_THAT(names(children), ElementsAre("c2", "c1"));
  EXPECT_EQ(children.items[0].parent_arn, ExecutionArn("m", "e"));
  EXPECT_EQ(children.items[0].map_run_arn, run);
  EXPECT_EQ(children.items[0].started_by, "admin");
}

TEST_P(StoreContract, ANestedExecutionKeepsWhoStartedItAndIsATopLevelExecution) {
  CreateMachineAndExecution();
  ExecutionRecord nested = Execution("m", "nested");
  nested.started_by_execution_arn = ExecutionArn("m", "e");
  nested.started_by = ExecutionArn("m", "e");
  ASSERT_EQ(store_->CreateExecution(nested, {}), Status::OK());
  // Through the create of a commit as well (the engine starts it so).
  Transition t;
  t.execution_arn = ExecutionArn("m", "committed");
  t.create = Execution("m", "committed");
  t.create->started_by_execution_arn = ExecutionArn("m", "nested");
  ASSERT_TRUE(store_->CommitTransition(t).ok());

  EXPECT_EQ(store_->GetExecution(ExecutionArn("m", "nested"))->started_by_execution_arn,
            ExecutionArn("m", "e"));
  EXPECT_EQ(store_->GetExecution(ExecutionArn("m", "committed"))->started_by_execution_arn,
            ExecutionArn("m", "nested"));
  EXPECT_EQ(store_->GetExecution(ExecutionArn("m", "e"))->started_by_execution_arn, "");
  // Unlike a Map Run's child, it is listed and recovered by itself.
  StatusOr<Page<ExecutionRecord>> page = store_->ListExecutions(Filter(MachineArn("m")), {});
  ASSERT_TRUE(page.ok()) << page.status();
  std::vector<std::string> listed;
  for (const ExecutionRecord& e : page->items) {
    listed.push_back(e.name);
    if (e.name == "nested") {
      EXPECT_EQ(e.started_by_execution_arn, ExecutionArn("m", "e"));
    }
  }
  EXPECT_THAT(listed, ElementsAre("committed", "nested", "e"));
  StatusOr<std::vector<RunningExecution>> recovered = store_->ListRunningExecutions();
  ASSERT_TRUE(recovered.ok()) << recovered.status();
  std::vector<std::string> running;
  for (const RunningExecution& r : *recovered) running.push_back(r.arn);
  EXPECT_THAT(running,
              ::testing::UnorderedElementsAre(ExecutionArn("m", "e"), ExecutionArn("m", "nested"),
                                              ExecutionArn("m", "committed")));
}

TEST_P(StoreContract, EveryRevisionsDefinitionIsKept) {
  StateMachineRecord m = Machine("m");
  ASSERT_EQ(store_->CreateStateMachine(m, {}), Status::OK());
  StateMachineRecord updated = m;
  updated.definition = R"({"StartAt":"B","States":{"B":{"Type":"Succeed"}}})";
  updated.revision_id = "rev-2";
  ASSERT_EQ(store_->UpdateStateMachine(updated, {}), Status::OK());
  EXPECT_EQ(store_->GetStateMachineDefinition(m.arn, "rev-1").value(), m.definition);
  EXPECT_EQ(store_->GetStateMachineDefinition(m.arn, "rev-2").value(), updated.definition);
  EXPECT_EQ(store_->GetStateMachineDefinition(m.arn, "rev-9").status(),
            NotFoundError("GetStateMachineDefinition: state machine '" + m.arn +
                          "' has no revision 'rev-9'"));
  EXPECT_EQ(store_->GetStateMachineDefinition(MachineArn("x"), "rev-1").status().code(),
            StatusCode::kNotFound);
}

ActivityRecord Activity(const std::string& name) {
  return ActivityRecord{"arn:aws:states:us-east-1:123456789012:activity:" + name, name, "{}", 10};
}

ActivityTaskRecord TaskFor(const std::string& activity, int64_t task_id) {
  ActivityTaskRecord t;
  t.activity_arn = Activity(activity).arn;
  t.execution_arn = ExecutionArn("m", "e");
  t.task_id = task_id;
  t.input = R"({"n":)" + std::to_string(task_id) + "}";
  t.created_at_ms = 100 + task_id;
  return t;
}

TEST_P(StoreContract, ActivitiesAreCreatedListedAndDeleted) {
  ASSERT_EQ(store_->CreateActivity(Activity("a1"), {}), Status::OK());
  ASSERT_EQ(store_->CreateActivity(Activity("a2"), {Audit("CreateActivity", "a2")}), Status::OK());
  EXPECT_EQ(store_->CreateActivity(Activity("a1"), {}).code(), StatusCode::kAlreadyExists);
  ActivityRecord renamed = Activity("a1");
  renamed.arn += "-other";
  EXPECT_EQ(store_->CreateActivity(renamed, {}),
            AlreadyExistsError("CreateActivity: an activity named 'a1' already exists"));
  EXPECT_EQ(store_->GetActivity(Activity("a2").arn).value().created_at_ms, 10);
  Page<ActivityRecord> p1 = store_->ListActivities({1, ""}).value();
  ASSERT_EQ(p1.items.size(), 1u);
  EXPECT_EQ(p1.items[0].name, "a1");
  Page<ActivityRecord> p2 = store_->ListActivities({1, p1.next_token}).value();
  EXPECT_EQ(p2.items[0].name, "a2");
  EXPECT_EQ(p2.next_token, "");
  ASSERT_EQ(store_->DeleteActivity(Activity("a1").arn, {}), Status::OK());
  EXPECT_EQ(store_->GetActivity(Activity("a1").arn).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->DeleteActivity(Activity("a1").arn, {}).code(), StatusCode::kNotFound);
}

TEST_P(StoreContract, AttributesOfMachinesAndActivitiesChangeAlone) {
  ASSERT_EQ(store_->CreateStateMachine(Machine("m"), {}), Status::OK());
  ASSERT_EQ(store_->CreateActivity(Activity("a"), {}), Status::OK());
  ASSERT_EQ(store_->UpdateAttributes(MachineArn("m"), R"({"tags":{"k":"v"}})", {}), Status::OK());
  ASSERT_EQ(store_->UpdateAttributes(Activity("a").arn, R"({"tags":{}})", {}), Status::OK());
  StateMachineRecord m = store_->GetStateMachine(MachineArn("m")).value();
  EXPECT_EQ(m.attributes_json, R"({"tags":{"k":"v"}})");
  EXPECT_EQ(m.revision_id, "rev-1");
  EXPECT_EQ(store_->GetActivity(Activity("a").arn).value().attributes_json, R"({"tags":{}})");
  EXPECT_EQ(store_->UpdateAttributes("arn:nope", "{}", {}).code(), StatusCode::kNotFound);
}

TEST_P(StoreContract, ActivityTasksAreQueuedClaimedOnceAndFinishedOnce) {
  ASSERT_EQ(store_->CreateActivity(Activity("a"), {}), Status::OK());
  EXPECT_EQ(store_->EnqueueActivityTask(TaskFor("missing", 1)).status().code(),
            StatusCode::kNotFound);
  ASSERT_TRUE(store_->EnqueueActivityTask(TaskFor("a", 1)).ok());
  ASSERT_TRUE(store_->EnqueueActivityTask(TaskFor("a", 2)).ok());
  // A repeated dispatch finds the task as it is.
  EXPECT_EQ(store_->EnqueueActivityTask(TaskFor("a", 1)).value().state, ActivityTaskState::kQueued);

  auto first = store_->ClaimActivityTask(Activity("a").arn, "w1", "hash-1", 500).value();
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->task_id, 1);  // oldest first
  EXPECT_EQ(first->state, ActivityTaskState::kStarted);
  EXPECT_EQ(first->worker_name, "w1");
  EXPECT_EQ(first->started_at_ms, 500);
  EXPECT_EQ(first->input, R"({"n":1})");
  auto second = store_->ClaimActivityTask(Activity("a").arn, "w2", "hash-2", 501).value();
  EXPECT_EQ(second->task_id, 2);
  EXPECT_FALSE(store_->ClaimActivityTask(Activity("a").arn, "w3", "hash-3", 502).value());
  EXPECT_EQ(store_->EnqueueActivityTask(TaskFor("a", 1)).value().state,
            ActivityTaskState::kStarted);

  EXPECT_EQ(store_->HeartbeatActivityTask("hash-1", 600).value().heartbeat_at_ms, 600);
  ActivityTaskRecord ok;
  ok.state = ActivityTaskState::kSucceeded;
  ok.output = R"({"done":true})";
  ActivityTaskRecord finished = store_->FinishActivityTask("hash-1", ok).value();
  EXPECT_EQ(finished.state, ActivityTaskState::kSucceeded);
  EXPECT_EQ(finished.execution_arn, ExecutionArn("m", "e"));
  // Spent: a second answer or heartbeat is refused, naming the state.
  EXPECT_EQ(store_->FinishActivityTask("hash-1", ok).status(),
            FailedPreconditionError("FinishActivityTask: the task is SUCCEEDED, not STARTED"));
  EXPECT_EQ(store_->HeartbeatActivityTask("hash-1", 700).status().code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(store_->FinishActivityTask("no-such", ok).status(),
            NotFoundError("FinishActivityTask: no task was handed out with this token"));
  // A re-dispatch after a restart sees the stored outcome.
  ActivityTaskRecord again = store_->EnqueueActivityTask(TaskFor("a", 1)).value();
  EXPECT_EQ(again.state, ActivityTaskState::kSucceeded);
  EXPECT_EQ(again.output, R"({"done":true})");

  ASSERT_EQ(store_->CloseActivityTask(ExecutionArn("m", "e"), 2), Status::OK());
  EXPECT_EQ(store_->GetActivityTaskByToken("hash-2").value().state, ActivityTaskState::kClosed);
  ActivityTaskRecord failed;
  failed.state = ActivityTaskState::kFailed;
  failed.error = "E";
  EXPECT_EQ(store_->FinishActivityTask("hash-2", failed).status().code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(store_->CloseActivityTask("arn:unknown", 9), Status::OK());
}

TEST_P(StoreContract, ACommitClosesTheActivityTasksItsExecutionGaveUpOnOnlyIfItLands) {
  CreateMachineAndExecution();
  ASSERT_EQ(store_->CreateActivity(Activity("a"), {}), Status::OK());
  ASSERT_TRUE(store_->EnqueueActivityTask(TaskFor("a", 1)).ok());
  ASSERT_TRUE(store_->EnqueueActivityTask(TaskFor("a", 2)).ok());
  ASSERT_TRUE(store_->ClaimActivityTask(Activity("a").arn, "w", "hash-1", 500).value());
  Transition gap;  // refused: its first event does not follow the last one
  gap.execution_arn = ExecutionArn("m", "e");
  gap.events = {Event(5)};
  gap.closed_tasks = {1};
  EXPECT_EQ(store_->CommitTransition(gap).status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(store_->GetActivityTaskByToken("hash-1").value().state, ActivityTaskState::kStarted);

  Transition stop;
  stop.execution_arn = ExecutionArn("m", "e");
  stop.events = {Event(1)};
  stop.update.status = ExecutionStatus::kAborted;
  stop.closed_tasks = {1, 7};  // 7: not an activity task, nothing to close
  ASSERT_TRUE(store_->CommitTransition(stop).ok());
  EXPECT_EQ(store_->GetActivityTaskByToken("hash-1").value().state, ActivityTaskState::kClosed);
  EXPECT_EQ(store_->HeartbeatActivityTask("hash-1", 600).status().code(),
            StatusCode::kFailedPrecondition);
  // Task 2 was not given up on: still queued for a worker.
  auto next = store_->ClaimActivityTask(Activity("a").arn, "w", "hash-2", 700).value();
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->task_id, 2);
}

TEST_P(StoreContract, TaskTokensAreRecordedOnceAnsweredOnceAndClosedWithTheirStep) {
  CreateMachineAndExecution();
  ActivityTaskRecord token;
  token.activity_arn = "arn:aws:states:::lambda:invoke.waitForTaskToken";
  token.execution_arn = ExecutionArn("m", "e");
  token.task_id = 1;
  token.created_at_ms = 400;
  bool now = false;
  ActivityTaskRecord recorded = store_->RegisterTaskToken(token, "token-1", &now).value();
  EXPECT_TRUE(now);
  EXPECT_EQ(recorded.state, ActivityTaskState::kStarted);
  EXPECT_EQ(recorded.started_at_ms, 400);
  EXPECT_EQ(recorded.heartbeat_at_ms, 400);
  // A repeated dispatch finds it as it is, whatever hash it brings.
  EXPECT_EQ(store_->RegisterTaskToken(token, "token-other", &now).value().state,
            ActivityTaskState::kStarted);
  EXPECT_FALSE(now);
  EXPECT_EQ(store_->GetActivityTaskByToken("token-other").status().code(), StatusCode::kNotFound);
  // One hash, one task.
  ActivityTaskRecord second = token;
  second.task_id = 2;
  EXPECT_EQ(store_->RegisterTaskToken(second, "token-1").status().code(),
            StatusCode::kAlreadyExists);
  ASSERT_TRUE(store_->RegisterTaskToken(second, "token-2").ok());

  // The activity-task calls take these tokens too.
  EXPECT_EQ(store_->GetActivityTaskByToken("token-1").value().activity_arn, token.activity_arn);
  EXPECT_EQ(store_->HeartbeatActivityTask("token-1", 450).value().heartbeat_at_ms, 450);
  ActivityTaskRecord ok;
  ok.state = ActivityTaskState::kSucceeded;
  ok.output = R"({"approved":true})";
  ActivityTaskRecord answered = store_->FinishActivityTask("token-1", ok).value();
  EXPECT_EQ(answered.task_id, 1);
  EXPECT_EQ(answered.execution_arn, ExecutionArn("m", "e"));
  EXPECT_EQ(store_->FinishActivityTask("token-1", ok).status(),
            FailedPreconditionError("FinishActivityTask: the task is SUCCEEDED, not STARTED"));
  // A re-dispatch after a restart sees the answer.
  EXPECT_EQ(store_->RegisterTaskToken(token, "token-1").value().output, R"({"approved":true})");

  // The step that gives up on task 2 spends its token.
  Transition stop;
  stop.execution_arn = ExecutionArn("m", "e");
  stop.events = {Event(1)};
  stop.update.status = ExecutionStatus::kAborted;
  stop.closed_tasks = {2};
  ASSERT_TRUE(store_->CommitTransition(stop).ok());
  EXPECT_EQ(store_->GetActivityTaskByToken("token-2").value().state, ActivityTaskState::kClosed);
  EXPECT_EQ(store_->HeartbeatActivityTask("token-2", 600).status().code(),
            StatusCode::kFailedPrecondition);
}

TEST_P(StoreContract, BadPageRequestsAreInvalidArgument) {
  EXPECT_EQ(store_->ListStateMachines({1001, ""}).status(),
            InvalidArgumentError("ListStateMachines: max_results must be between 1 and 1000, "
                                 "got 1001"));
  EXPECT_EQ(store_->ListStateMachines({0, "garbage"}).status(),
            InvalidArgumentError("ListStateMachines: invalid pagination token 'garbage'"));
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(store_->AppendAudit({Audit("A", "x")}), Status::OK());
  }
  // A token of one listing is refused by another.
  std::string audit_token = store_->ListAudit({1, ""}).value().next_token;
  ASSERT_FALSE(audit_token.empty());
  EXPECT_EQ(
      store_->ListStateMachines({1, audit_token}).status(),
      InvalidArgumentError("ListStateMachines: invalid pagination token '" + audit_token + "'"));
}

TEST_P(StoreContract, ReadersSeeOnlyCommittedTransitionsWhileAWriterRuns) {
  CreateMachineAndExecution();
  const std::string arn = ExecutionArn("m", "e");
  std::atomic<bool> stop{false};
  std::atomic<int> reads{0};
  std::atomic<int> inconsistent{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 2; ++r) {
    readers.emplace_back([&] {
      while (!stop.load()) {
        StatusOr<ExecutionRecord> e = store_->GetExecution(arn);
        StatusOr<Page<HistoryEventRecord>> h = store_->GetHistory(arn, {1000, ""}, false);
        ++reads;
        if (!e.ok() || !h.ok()) {
          ++inconsistent;
          continue;
        }
        // A transition's events and its snapshot land together.
        if (e->snapshot != (e->last_event_id == 0 ? "" : "s" + std::to_string(e->last_event_id))) {
          ++inconsistent;
        }
        for (size_t i = 0; i < h->items.size(); ++i) {
          if (h->items[i].event_id != static_cast<int64_t>(i) + 1) ++inconsistent;
        }
        if (h->items.size() % 3 != 0) ++inconsistent;  // batches of three, never half
      }
    });
  }
  for (int64_t next = 1; next <= 60 * 3; next += 3) {
    Transition t;
    t.execution_arn = arn;
    t.events = {Event(next), Event(next + 1), Event(next + 2)};
    t.update.snapshot = "s" + std::to_string(next + 2);
    ASSERT_TRUE(store_->CommitTransition(t).ok());
  }
  while (reads.load() < 20) std::this_thread::yield();
  stop = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(inconsistent.load(), 0);
  EXPECT_EQ(store_->GetExecution(arn).value().last_event_id, 180);
}

TEST_P(StoreContract, ConcurrentWritersAllLand) {
  ASSERT_EQ(store_->CreateStateMachine(Machine("m"), {}), Status::OK());
  constexpr int kThreads = 6;
  constexpr int kSteps = 15;
  std::atomic<int> failures{0};
  std::vector<std::thread> writers;
  for (int w = 0; w < kThreads; ++w) {
    writers.emplace_back([&, w] {
      const std::string name = "e" + std::to_string(w);
      if (!store_->CreateExecution(Execution("m", name), {Audit("StartExecution", name)}).ok()) {
        ++failures;
        return;
      }
      for (int step = 1; step <= kSteps; ++step) {
        Transition t;
        t.execution_arn = ExecutionArn("m", name);
        t.events = {Event(step)};
        t.audit = {Audit("Step", name)};
        if (!store_->CommitTransition(t).ok()) ++failures;
      }
    });
  }
  for (auto& t : writers) t.join();
  EXPECT_EQ(failures.load(), 0);
  for (int w = 0; w < kThreads; ++w) {
    const std::string arn = ExecutionArn("m", "e" + std::to_string(w));
    EXPECT_EQ(store_->GetExecution(arn).value().last_event_id, kSteps);
    EXPECT_EQ(store_->GetHistory(arn, {}, false).value().items.size(), size_t{kSteps});
  }
  EXPECT_EQ(store_->ListExecutions({}, {}).value().items.size(), size_t{kThreads});
  EXPECT_EQ(store_->ListAudit({1000, ""}).value().items.size(), size_t{kThreads * (kSteps + 1)});
  EXPECT_EQ(store_->VerifyAuditChain(), Status::OK());
}

// --- Versions and aliases ------------------------------------------------------------

// Makes `revision` the current revision of `machine` (another definition,
// role and attributes each time).
Status Revise(Store& store, const std::string& machine, const std::string& revision) {
  StateMachineRecord update = Machine(machine);
  update.revision_id = revision;
  update.definition =
      R"({"StartAt":")" + revision + R"(","States":{")" + revision + R"(":{"Type":"Succeed"}}})";
  update.role_arn = "arn:aws:iam::123456789012:role/" + revision;
  update.attributes_json = R"({"tracingConfiguration":{"enabled":")" + revision + R"("}})";
  return store.UpdateStateMachine(update, {});
}

StateMachineAliasRecord Alias(const std::string& machine, const std::string& name,
                              std::vector<AliasRoute> routing) {
  StateMachineAliasRecord alias;
  alias.state_machine_arn = MachineArn(machine);
  alias.name = name;
  alias.description = "alias " + name;
  alias.routing = std::move(routing);
  alias.created_at_ms = 700;
  alias.updated_at_ms = 700;
  return alias;
}

std::vector<int64_t> Versions(const Page<StateMachineVersionRecord>& page) {
  std::vector<int64_t> out;
  for (const auto& v : page.items) out.push_back(v.version);
  return out;
}

std::vector<std::string> AliasNames(const Page<StateMachineAliasRecord>& page) {
  std::vector<std::string> out;
  for (const auto& a : page.items) out.push_back(a.name);
  return out;
}

std::vector<std::string> ExecutionNames(const Page<ExecutionRecord>& page) {
  std::vector<std::string> out;
  for (const auto& e : page.items) out.push_back(e.name);
  return out;
}

TEST_P(StoreContract, VersionsAreNumberedFromOneAndNeverReused) {
  const std::string arn = MachineArn("m");
  ASSERT_EQ(store_->CreateStateMachine(Machine("m"), {}), Status::OK());
  EXPECT_EQ(store_->PublishStateMachineVersion(arn, "", "", 100, {}).value().version, 1);
  ASSERT_EQ(Revise(*store_, "m", "rev-2"), Status::OK());
  EXPECT_EQ(store_->PublishStateMachineVersion(arn, "", "", 200, {}).value().version, 2);
  ASSERT_EQ(store_->DeleteStateMachineVersion(arn, 2, {}), Status::OK());
  ASSERT_EQ(Revise(*store_, "m", "rev-3"), Status::OK());
  // The audit row without a target names the new version; one with a target keeps it.
  StateMachineVersionRecord third =
      store_
          ->PublishStateMachineVersion(arn, "", "", 300,
                                       {Audit("PublishStateMachineVersion", ""),
                                        Audit("PublishStateMachineVersion", "elsewhere")})
          .value();
  EXPECT_EQ(third.version, 3);
  EXPECT_EQ(third.state_machine_arn, arn);
  EXPECT_EQ(third.revision_id, "rev-3");
  EXPECT_THAT(Versions(store_->ListStateMachineVersions(arn, {}).value()), ElementsAre(3, 1));
  std::vector<AuditRecord> rows = store_->ListAudit({}).value().items;
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].entry.target, arn + ":3");
  EXPECT_EQ(rows[1].entry.target, "elsewhere");
  EXPECT_EQ(store_->VerifyAuditChain(), Status::OK());
}

TEST_P(StoreContract, PublishingTheSameRevisionTwiceReturnsTheFirstVersion) {
  const std::string arn = MachineArn("m");
  ASSERT_EQ(store_->CreateStateMachine(Machine("m"), {}), Status::OK());
  StateMachineVersionRecord first =
      store_->PublishStateMachineVersion(arn, "", "first", 100, {Audit("Publish", "")}).value();
  StateMachineVersionRecord again =
      store_->PublishStateMachineVersion(arn, "rev-1", "second", 200, {Audit("Publish", "")})
          .value();
  EXPECT_EQ(again.version, 1);
  EXPECT_EQ(again.description, "first");
  EXPECT_EQ(again.created_at_ms, 100);
  EXPECT_EQ(again.revision_id, first.revision_id);
  // Nothing written, the audit row included.
  EXPECT_EQ(store_->ListStateMachineVersions(arn, {}).value().items.size(), 1u);
  EXPECT_EQ(store_->ListAudit({}).value().items.size(), 1u);
  ASSERT_EQ(Revise(*store_, "m", "rev-2"), Status::OK());
  EXPECT_EQ(store_->PublishStateMachineVersion(arn, "", "", 300, {}).value().version, 2);
}

TEST_P(StoreContract, PublishRefusesAStaleExpectedRevision) {
  const std::string arn = MachineArn("m");
  EXPECT_EQ(
      store_->PublishStateMachineVersion(arn, "", "", 100, {}).status(),
      NotFoundError("PublishStateMachineVersion: state machine '" + arn + "' does not exist"));
  ASSERT_EQ(store_->CreateStateMachine(Machine("m"), {}), Status::OK());
  ASSERT_EQ(Revise(*store_, "m", "rev-2"), Status::OK());
  EXPECT_EQ(
      store_->PublishStateMachineVersion(arn, "rev-1", "", 100, {Audit("Publish", "")}).status(),
      FailedPreconditionError("PublishStateMachineVersion: the current revision of '" + arn +
                              "' is rev-2, not rev-1"));
  EXPECT_TRUE(store_->ListStateMachineVersions(arn, {}).value().items.empty());
  EXPECT_TRUE(store_->ListAudit({}).value().items.empty());
  EXPECT_EQ(store_->PublishStateMachineVersion(arn, "rev-2", "", 100, {}).value().version, 1);
}

TEST_P(StoreContract, NothingIsPublishedOrAliasedForAMachineBeingDeleted) {
  CreateMachineAndExecution();  // RUNNING: the delete leaves the machine DELETING
  const std::string arn = MachineArn("m");
  ASSERT_EQ(store_->PublishStateMachineVersion(arn, "", "", 100, {}).status(), Status::OK());
  ASSERT_EQ(store_->CreateStateMachineAlias(Alias("m", "prod", {{1, 100}}), {}), Status::OK());
  ASSERT_EQ(store_->DeleteStateMachine(arn, {}), Status::OK());
  EXPECT_EQ(store_->PublishStateMachineVersion(arn, "", "", 100, {}).status(),
            FailedPreconditionError("PublishStateMachineVersion: state machine '" + arn +
                                    "' is being deleted"));
  EXPECT_EQ(store_->CreateStateMachineAlias(Alias("m", "beta", {{1, 100}}), {}),
            FailedPreconditionError("CreateStateMachineAlias: state machine '" + arn +
                                    "' is being deleted"));
  EXPECT_EQ(store_->UpdateStateMachineAlias(Alias("m", "prod", {{1, 100}}), {}),
            FailedPreconditionError("UpdateStateMachineAlias: state machine '" + arn +
                                    "' is being deleted"));
  // Until the purge they are still there.
  EXPECT_EQ(store_->GetStateMachineVersion(arn, 1).value().version, 1);
  EXPECT_EQ(store_->GetStateMachineAlias(arn, "prod").value().routing,
            (std::vector<AliasRoute>{{1, 100}}));
}

TEST_P(StoreContract, AVersionKeepsTheDefinitionRoleAndAttributesItWasPublishedWith) {
  const std::string arn = MachineArn("m");
  StateMachineRecord m = Machine("m");
  m.attributes_json = R"({"loggingConfiguration":{"level":"OFF"}})";
  ASSERT_EQ(store_->CreateStateMachine(m, {}), Status::OK());
  ASSERT_TRUE(store_->PublishStateMachineVersion(arn, "", "the first", 1500, {}).ok());
  ASSERT_EQ(Revise(*store_, "m", "rev-2"), Status::OK());
  StateMachineVersionRecord v1 = store_->GetStateMachineVersion(arn, 1).value();
  EXPECT_EQ(v1.state_machine_arn, arn);
  EXPECT_EQ(v1.version, 1);
  EXPECT_EQ(v1.revision_id, "rev-1");
  EXPECT_EQ(v1.definition, m.definition);
  EXPECT_EQ(v1.role_arn, m.role_arn);
  EXPECT_EQ(v1.attributes_json, m.attributes_json);
  EXPECT_EQ(v1.description, "the first");
  EXPECT_EQ(v1.created_at_ms, 1500);

  ASSERT_TRUE(store_->PublishStateMachineVersion(arn, "", "", 1600, {}).ok());
  const StateMachineRecord now = store_->GetStateMachine(arn).value();
  StateMachineVersionRecord v2 = store_->GetStateMachineVersion(arn, 2).value();
  EXPECT_EQ(v2.revision_id, "rev-2");
  EXPECT_EQ(v2.definition, now.definition);
  EXPECT_EQ(v2.role_arn, now.role_arn);
  EXPECT_EQ(v2.attributes_json, now.attributes_json);
  EXPECT_NE(v2.definition, v1.definition);
  // Listed without their definitions.
  const Page<StateMachineVersionRecord> listed = store_->ListStateMachineVersions(arn, {}).value();
  ASSERT_EQ(listed.items.size(), 2u);
  for (const auto& v : listed.items) {
    EXPECT_EQ(v.definition, "");
    EXPECT_FALSE(v.role_arn.empty());
  }
  EXPECT_EQ(store_->GetStateMachineVersion(arn, 3).status(),
            NotFoundError("GetStateMachineVersion: state machine '" + arn + "' has no version 3"));
  EXPECT_EQ(store_->GetStateMachineVersion(MachineArn("x"), 1).status(),
            NotFoundError("GetStateMachineVersion: state machine '" + MachineArn("x") +
                          "' does not exist"));
}

TEST_P(StoreContract, VersionsAreListedNewestFirstAcrossPages) {
  const std::string arn = MachineArn("m");
  ASSERT_EQ(store_->CreateStateMachine(Machine("m"), {}), Status::OK());
  ASSERT_EQ(store_->CreateStateMachine(Machine("other"), {}), Status::OK());
  ASSERT_TRUE(store_->PublishStateMachineVersion(MachineArn("other"), "", "", 1, {}).ok());
  for (int i = 1; i <= 5; ++i) {
    ASSERT_EQ(Revise(*store_, "m", "rev-" + std::to_string(i + 1)), Status::OK());
    ASSERT_EQ(store_->PublishStateMachineVersion(arn, "", "", i, {}).value().version, i);
  }
  Page<StateMachineVersionRecord> p1 = store_->ListStateMachineVersions(arn, {2, ""}).value();
  EXPECT_THAT(Versions(p1), ElementsAre(5, 4));
  Page<StateMachineVersionRecord> p2 =
      store_->ListStateMachineVersions(arn, {2, p1.next_token}).value();
  EXPECT_THAT(Versions(p2), ElementsAre(3, 2));
  Page<StateMachineVersionRecord> p3 =
      store_->ListStateMachineVersions(arn, {2, p2.next_token}).value();
  EXPECT_THAT(Versions(p3), ElementsAre(1));
  EXPECT_EQ(p3.next_token, "");
  Page<StateMachineVersionRecord> all = store_->ListStateMachineVersions(arn, {5, ""}).value();
  EXPECT_EQ(all.items.size(), 5u);
  EXPECT_EQ(all.next_token, "");
  EXPECT_EQ(store_->ListStateMachineVersions(MachineArn("x"), {}).status(),
            NotFoundError("ListStateMachineVersions: state machine '" + MachineArn("x") +
                          "' does not exist"));
  EXPECT_EQ(store_->ListStateMachineVersions(arn, {0, "e.5"}).status(),
            InvalidArgumentError("ListStateMachineVersions: invalid pagination token 'e.5'"));
}

TEST_P(StoreContract, AVersionRoutedToByAnAliasCannotBeDeleted) {
  const std::string arn = MachineArn("m");
  ASSERT_EQ(store_->CreateStateMachine(Machine("m"), {}), Status::OK());
  ASSERT_TRUE(store_->PublishStateMachineVersion(arn, "", "", 1, {}).ok());
  ASSERT_EQ(Revise(*store_, "m", "rev-2"), Status::OK());
  ASSERT_TRUE(store_->PublishStateMachineVersion(arn, "", "", 2, {}).ok());
  ASSERT_EQ(store_->CreateStateMachineAlias(Alias("m", "b", {{2, 100}}), {}), Status::OK());
  ASSERT_EQ(store_->CreateStateMachineAlias(Alias("m", "a", {{1, 40}, {2, 60}}), {}), Status::OK());
  EXPECT_EQ(store_->DeleteStateMachineVersion(arn, 2, {Audit("DeleteVersion", "v2")}),
            FailedPreconditionError("DeleteStateMachineVersion: aliases [a, b] route to version "
                                    "2 of '" +
                                    arn + "'"));
  EXPECT_EQ(store_->DeleteStateMachineVersion(arn, 1, {}),
            FailedPreconditionError(
                "DeleteStateMachineVersion: aliases [a] route to version 1 of '" + arn + "'"));
  EXPECT_TRUE(store_->ListAudit({}).value().items.empty());
  EXPECT_EQ(store_->ListStateMachineVersions(arn, {}).value().items.size(), 2u);
  // Once no alias routes to it, it goes.
  ASSERT_EQ(store_->UpdateStateMachineAlias(Alias("m", "a", {{2, 100}}), {}), Status::OK());
  EXPECT_EQ(store_->DeleteStateMachineVersion(arn, 1, {Audit("DeleteVersion", "v1")}),
            Status::OK());
  EXPECT_EQ(store_->ListAudit({}).value().items.size(), 1u);
  EXPECT_EQ(
      store_->DeleteStateMachineVersion(arn, 1, {}),
      NotFoundError("DeleteStateMachineVersion: state machine '" + arn + "' has no version 1"));
  EXPECT_EQ(store_->DeleteStateMachineVersion(MachineArn("x"), 1, {}).code(),
            StatusCode::kNotFound);
  ASSERT_EQ(store_->DeleteStateMachineAlias(arn, "a", {}), Status::OK());
  ASSERT_EQ(store_->DeleteStateMachineAlias(arn, "b", {}), Status::OK());
  EXPECT_EQ(store_->DeleteStateMachineVersion(arn, 2, {}), Status::OK());
  EXPECT_TRUE(store_->ListStateMachineVersions(arn, {}).value().items.empty());
}

TEST_P(StoreContract, AliasesAreCreatedUpdatedListedByNameAndDeleted) {
  const std::string arn = MachineArn("m");
  ASSERT_EQ(store_->CreateStateMachine(Machine("m"), {}), Status::OK());
  ASSERT_EQ(store_->CreateStateMachine(Machine("other"), {}), Status::OK());
  ASSERT_TRUE(store_->PublishStateMachineVersion(arn, "", "", 1, {}).ok());
  ASSERT_EQ(Revise(*store_, "m", "rev-2"), Status::OK());
  ASSERT_TRUE(store_->PublishStateMachineVersion(arn, "", "", 2, {}).ok());
  ASSERT_TRUE(store_->PublishStateMachineVersion(MachineArn("other"), "", "", 3, {}).ok());
  ASSERT_EQ(store_->CreateStateMachineAlias(Alias("other", "alpha", {{1, 100}}), {}), Status::OK());
  for (const char* name : {"prod", "beta", "canary"}) {
    ASSERT_EQ(store_->CreateStateMachineAlias(Alias("m", name, {{1, 100}}),
                                              {Audit("CreateStateMachineAlias", name)}),
              Status::OK());
  }
  EXPECT_EQ(store_->CreateStateMachineAlias(Alias("m", "prod", {{2, 100}}), {}),
            AlreadyExistsError("CreateStateMachineAlias: state machine '" + arn +
                               "' already has an alias named 'prod'"));
  StateMachineAliasRecord prod = store_->GetStateMachineAlias(arn, "prod").value();
  EXPECT_EQ(prod.state_machine_arn, arn);
  EXPECT_EQ(prod.name, "prod");
  EXPECT_EQ(prod.description, "alias prod");
  EXPECT_EQ(prod.routing, (std::vector<AliasRoute>{{1, 100}}));
  EXPECT_EQ(prod.created_at_ms, 700);
  EXPECT_EQ(prod.updated_at_ms, 700);

  Page<StateMachineAliasRecord> p1 = store_->ListStateMachineAliases(arn, {2, ""}).value();
  EXPECT_THAT(AliasNames(p1), ElementsAre("beta", "canary"));
  Page<StateMachineAliasRecord> p2 =
      store_->ListStateMachineAliases(arn, {2, p1.next_token}).value();
  EXPECT_THAT(AliasNames(p2), ElementsAre("prod"));
  EXPECT_EQ(p2.next_token, "");
  EXPECT_EQ(p2.items[0].routing, (std::vector<AliasRoute>{{1, 100}}));
  EXPECT_EQ(store_->ListStateMachineAliases(arn, {0, "v.1"}).status(),
            InvalidArgumentError("ListStateMachineAliases: invalid pagination token 'v.1'"));

  StateMachineAliasRecord change = Alias("m", "prod", {{1, 10}, {2, 90}});
  change.description = "shifting";
  change.created_at_ms = 1;  // ignored
  change.updated_at_ms = 900;
  ASSERT_EQ(store_->UpdateStateMachineAlias(change, {Audit("UpdateStateMachineAlias", "prod")}),
            Status::OK());
  prod = store_->GetStateMachineAlias(arn, "prod").value();
  EXPECT_EQ(prod.description, "shifting");
  EXPECT_EQ(prod.routing, (std::vector<AliasRoute>{{1, 10}, {2, 90}}));
  EXPECT_EQ(prod.created_at_ms, 700);
  EXPECT_EQ(prod.updated_at_ms, 900);
  EXPECT_EQ(
      store_->UpdateStateMachineAlias(Alias("m", "nope", {{1, 100}}), {}),
      NotFoundError("UpdateStateMachineAlias: state machine '" + arn + "' has no alias 'nope'"));

  ASSERT_EQ(store_->DeleteStateMachineAlias(arn, "canary", {Audit("DeleteAlias", "canary")}),
            Status::OK());
  EXPECT_EQ(
      store_->GetStateMachineAlias(arn, "canary").status(),
      NotFoundError("GetStateMachineAlias: state machine '" + arn + "' has no alias 'canary'"));
  EXPECT_EQ(
      store_->DeleteStateMachineAlias(arn, "canary", {}),
      NotFoundError("DeleteStateMachineAlias: state machine '" + arn + "' has no alias 'canary'"));
  EXPECT_THAT(AliasNames(store_->ListStateMachineAliases(arn, {}).value()),
              ElementsAre("beta", "prod"));
  EXPECT_THAT(AliasNames(store_->ListStateMachineAliases(MachineArn("other"), {}).value()),
              ElementsAre("alpha"));
  EXPECT_EQ(store_->ListStateMachineAliases(MachineArn("x"), {}).status(),
            NotFoundError("ListStateMachineAliases: state machine '" + MachineArn("x") +
                          "' does not exist"));
  EXPECT_EQ(store_->GetStateMachineAlias(MachineArn("x"), "prod").status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(store_->ListAudit({}).value().items.size(), 5u);
  EXPECT_EQ(store_->VerifyAuditChain(), Status::OK());
}

TEST_P(StoreContract, AnAliasMustRouteToExistingVersions) {
  const std::string arn = MachineArn("m");
  EXPECT_EQ(store_->CreateStateMachineAlias(Alias("m", "prod", {{1, 100}}), {}),
            NotFoundError("CreateStateMachineAlias: state machine '" + arn + "' does not exist"));
  ASSERT_EQ(store_->CreateStateMachine(Machine("m"), {}), Status::OK());
  ASSERT_TRUE(store_->PublishStateMachineVersion(arn, "", "", 1, {}).ok());
  EXPECT_EQ(store_->CreateStateMachineAlias(Alias("m", "prod", {{1, 50}, {7, 50}}),
                                            {Audit("CreateStateMachineAlias", "prod")}),
            NotFoundError("CreateStateMachineAlias: state machine '" + arn + "' has no version 7"));
  EXPECT_EQ(store_->GetStateMachineAlias(arn, "prod").status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(store_->ListAudit({}).value().items.empty());
  ASSERT_EQ(store_->CreateStateMachineAlias(Alias("m", "prod", {{1, 100}}), {}), Status::OK());
  EXPECT_EQ(store_->UpdateStateMachineAlias(Alias("m", "prod", {{9, 100}}), {}),
            NotFoundError("UpdateStateMachineAlias: state machine '" + arn + "' has no version 9"));
  EXPECT_EQ(store_->GetStateMachineAlias(arn, "prod").value().routing,
            (std::vector<AliasRoute>{{1, 100}}));
  StateMachineAliasRecord unnamed = Alias("m", "", {{1, 100}});
  EXPECT_EQ(store_->CreateStateMachineAlias(unnamed, {}),
            InvalidArgumentError("CreateStateMachineAlias: alias name is empty"));
}

TEST_P(StoreContract, ExecutionsRememberTheirVersionAndAliasAndAreListedByThem) {
  const std::string arn = MachineArn("m");
  ASSERT_EQ(store_->CreateStateMachine(Machine("m"), {}), Status::OK());
  ASSERT_TRUE(store_->PublishStateMachineVersion(arn, "", "", 1, {}).ok());
  ASSERT_EQ(Revise(*store_, "m", "rev-2"), Status::OK());
  ASSERT_TRUE(store_->PublishStateMachineVersion(arn, "", "", 2, {}).ok());
  ASSERT_EQ(store_->CreateStateMachineAlias(Alias("m", "prod", {{2, 100}}), {}), Status::OK());
  auto started = [](const std::string& name, int64_t version, const std::string& alias) {
    ExecutionRecord e = Execution("m", name);
    e.state_machine_version = version;
    e.state_machine_alias = alias;
    return e;
  };
  ASSERT_EQ(store_->CreateExecution(started("e1", 1, ""), {}), Status::OK());
  ASSERT_EQ(store_->CreateExecution(started("e2", 2, "prod"), {}), Status::OK());
  ASSERT_EQ(store_->CreateExecution(started("e3", 0, ""), {}), Status::OK());
  std::vector<TransitionGroup> groups(2);
  for (const auto& [i, e] :
       {std::pair{0, started("e4", 2, "prod")}, std::pair{1, started("e5", 1, "")}}) {
    Transition t;
    t.execution_arn = e.arn;
    t.create = e;
    t.events = {Event(1, "ExecutionStarted")};
    groups[static_cast<size_t>(i)] = {t};
  }
  std::vector<Status> results;
  ASSERT_EQ(store_->CommitTransitions(groups, &results), Status::OK());
  ASSERT_THAT(results, ElementsAre(Status::OK(), Status::OK()));

  for (const auto& [name, version, alias] :
       {std::tuple{"e1", 1, ""}, std::tuple{"e2", 2, "prod"}, std::tuple{"e3", 0, ""},
        std::tuple{"e4", 2, "prod"}, std::tuple{"e5", 1, ""}}) {
    ExecutionRecord got = store_->GetExecution(ExecutionArn("m", name)).value();
    EXPECT_EQ(got.state_machine_version, version) << name;
    EXPECT_EQ(got.state_machine_alias, alias) << name;
  }
  auto list = [&](int64_t version, const std::string& alias, PageRequest page = {}) {
    ExecutionFilter filter = Filter(arn);
    filter.version = version;
    filter.alias = alias;
    return store_->ListExecutions(filter, page).value();
  };
  EXPECT_THAT(ExecutionNames(list(2, "")), ElementsAre("e4", "e2"));
  EXPECT_THAT(ExecutionNames(list(1, "")), ElementsAre("e5", "e1"));
  EXPECT_THAT(ExecutionNames(list(0, "prod")), ElementsAre("e4", "e2"));
  EXPECT_THAT(ExecutionNames(list(1, "prod")), ElementsAre());
  EXPECT_THAT(ExecutionNames(list(0, "")), ElementsAre("e5", "e4", "e3", "e2", "e1"));
  Page<ExecutionRecord> first = list(2, "", {1, ""});
  EXPECT_THAT(ExecutionNames(first), ElementsAre("e4"));
  EXPECT_THAT(ExecutionNames(list(2, "", {1, first.next_token})), ElementsAre("e2"));
  ExecutionFilter without_machine;
  without_machine.version = 1;
  EXPECT_EQ(store_->ListExecutions(without_machine, {}).status(),
            InvalidArgumentError("ListExecutions: a version or alias filter needs a state "
                                 "machine arn"));

  // Executions outlive the alias and the version they ran.
  ASSERT_EQ(store_->DeleteStateMachineAlias(arn, "prod", {}), Status::OK());
  ASSERT_EQ(store_->DeleteStateMachineVersion(arn, 2, {}), Status::OK());
  EXPECT_EQ(store_->GetExecution(ExecutionArn("m", "e2")).value().state_machine_alias, "prod");
  EXPECT_THAT(ExecutionNames(list(2, "prod")), ElementsAre("e4", "e2"));
}

TEST_P(StoreContract, DeletingAMachineRemovesItsVersionsAndAliases) {
  const std::string arn = MachineArn("m");
  ASSERT_EQ(store_->CreateStateMachine(Machine("m"), {}), Status::OK());
  ASSERT_EQ(store_->CreateStateMachine(Machine("other"), {}), Status::OK());
  for (const std::string machine : {"m", "other"}) {
    ASSERT_TRUE(store_->PublishStateMachineVersion(MachineArn(machine), "", "", 1, {}).ok());
    ASSERT_EQ(Revise(*store_, machine, "rev-2"), Status::OK());
    ASSERT_TRUE(store_->PublishStateMachineVersion(MachineArn(machine), "", "", 2, {}).ok());
    ASSERT_EQ(store_->CreateStateMachineAlias(Alias(machine, "prod", {{2, 100}}), {}),
              Status::OK());
  }
  ExecutionRecord e = Execution("m", "e");
  e.state_machine_version = 2;
  e.state_machine_alias = "prod";
  ASSERT_EQ(store_->CreateExecution(e, {}), Status::OK());
  Transition done;
  done.execution_arn = e.arn;
  done.update.status = ExecutionStatus::kSucceeded;
  ASSERT_TRUE(store_->CommitTransition(done).ok());
  ASSERT_EQ(store_->DeleteStateMachine(arn, {}), Status::OK());
  EXPECT_EQ(store_->ListStateMachineVersions(arn, {}).status().code(), StatusCode::kNotFound);

  // A new machine of the same name has none of them, and numbers its
  // versions from 1 again (as AWS does for a new machine).
  ASSERT_EQ(store_->CreateStateMachine(Machine("m"), {}), Status::OK());
  EXPECT_TRUE(store_->ListStateMachineVersions(arn, {}).value().items.empty());
  EXPECT_TRUE(store_->ListStateMachineAliases(arn, {}).value().items.empty());
  EXPECT_EQ(store_->GetStateMachineVersion(arn, 2).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->GetStateMachineAlias(arn, "prod").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->PublishStateMachineVersion(arn, "", "", 9, {}).value().version, 1);
  // The other machine keeps its own.
  EXPECT_THAT(Versions(store_->ListStateMachineVersions(MachineArn("other"), {}).value()),
              ElementsAre(2, 1));
  EXPECT_THAT(AliasNames(store_->ListStateMachineAliases(MachineArn("other"), {}).value()),
              ElementsAre("prod"));
}

TEST_P(StoreContract, ThousandthVersionIsTheLast) {
  if (GetParam().name == "Sqlite") {
    // Two thousand fsync'ed commits take seconds; the quota has nothing to
    // do with durability.
    StoreOptions options = testing::OptionsIn(dir_);
    options.synchronous = SyncMode::kNormal;
    store_.reset();
    store_ = OpenSqliteStore(options).value();
  }
  const std::string arn = MachineArn("m");
  ASSERT_EQ(store_->CreateStateMachine(Machine("m"), {}), Status::OK());
  for (int64_t i = 1; i <= 1000; ++i) {
    if (i > 1) {
      ASSERT_EQ(Revise(*store_, "m", "rev-" + std::to_string(i)), Status::OK());
    }
    ASSERT_EQ(store_->PublishStateMachineVersion(arn, "", "", i, {}).value().version, i);
  }
  ASSERT_EQ(Revise(*store_, "m", "rev-1001"), Status::OK());
  EXPECT_EQ(store_->PublishStateMachineVersion(arn, "", "", 2000, {Audit("Publish", "")}).status(),
            ResourceExhaustedError("PublishStateMachineVersion: state machine '" + arn +
                                   "' has 1000 versions, the most it may have; delete one first"));
  EXPECT_TRUE(store_->ListAudit({}).value().items.empty());
  // Deleting one makes room; the number is still new.
  ASSERT_EQ(store_->DeleteStateMachineVersion(arn, 1, {}), Status::OK());
  EXPECT_EQ(store_->PublishStateMachineVersion(arn, "", "", 2001, {}).value().version, 1001);
  EXPECT_EQ(store_->ListStateMachineVersions(arn, {1000, ""}).value().items.size(), 1000u);
}

// --- Map Runs ------------------------------------------------------------------------

std::string MapRunArn(const std::string& label) {
  return "arn:aws:states:us-east-1:123456789012:mapRun:m/" + label + ":0f1e";
}

// A RUNNING Map Run of execution m/`execution`, every field set.
MapRunRecord MapRun(const std::string& label, const std::string& execution = "e") {
  MapRunRecord run;
  run.arn = MapRunArn(label);
  run.execution_arn = ExecutionArn("m", execution);
  run.max_concurrency = 10;
  run.tolerated_failure_count = 2;
  run.tolerated_failure_percentage = 12.5;
  run.total_items = 40;
  run.total_executions = 20;
  run.start_time_ms = 6000;
  return run;
}

// The next transition of m/`execution`, carrying `runs`.
Transition WithMapRuns(const std::string& execution, int64_t event_id,
                       std::vector<MapRunRecord> runs) {
  Transition t;
  t.execution_arn = ExecutionArn("m", execution);
  t.events = {Event(event_id)};
  t.map_runs = std::move(runs);
  return t;
}

std::vector<std::string> MapRunLabels(const Page<MapRunRecord>& page) {
  std::vector<std::string> out;
  for (const MapRunRecord& run : page.items) {
    const std::string prefix = MapRunArn("");
    out.push_back(run.arn.substr(prefix.size() - 5, run.arn.size() - prefix.size()));
  }
  return out;
}

TEST_P(StoreContract, AMapRunIsWrittenWithTheTransitionThatStartsItAndUpdatedByLaterOnes) {
  CreateMachineAndExecution();
  ASSERT_TRUE(store_->CommitTransition(WithMapRuns("e", 1, {MapRun("l")})).ok());
  ASSERT_EQ(store_->GetMapRun(MapRunArn("l")).status(), Status::OK());
  MapRunRecord got = store_->GetMapRun(MapRunArn("l")).value();
  EXPECT_EQ(got.arn, MapRunArn("l"));
  EXPECT_EQ(got.execution_arn, ExecutionArn("m", "e"));
  EXPECT_EQ(got.status, MapRunStatus::kRunning);
  EXPECT_EQ(got.max_concurrency, 10);
  EXPECT_EQ(got.tolerated_failure_count, 2);
  EXPECT_EQ(got.tolerated_failure_percentage, 12.5);
  EXPECT_EQ(got.total_items, 40);
  EXPECT_EQ(got.total_executions, 20);
  EXPECT_EQ(got.start_time_ms, 6000);
  EXPECT_EQ(got.stop_time_ms, std::nullopt);

  // UpdateMapRun's limits, then the end of the run.
  MapRunRecord limited = MapRun("l");
  limited.max_concurrency = 3;
  limited.tolerated_failure_count = 5;
  limited.tolerated_failure_percentage = 50;
  ASSERT_TRUE(store_->CommitTransition(WithMapRuns("e", 2, {limited})).ok());
  got = store_->GetMapRun(MapRunArn("l")).value();
  EXPECT_EQ(got.max_concurrency, 3);
  EXPECT_EQ(got.tolerated_failure_count, 5);
  EXPECT_EQ(got.tolerated_failure_percentage, 50);
  MapRunRecord ended = limited;
  ended.status = MapRunStatus::kFailed;
  ended.total_items = 41;
  ended.total_executions = 21;
  ended.start_time_ms = 9999;  // a run starts once: ignored
  ended.stop_time_ms = 7000;
  ASSERT_TRUE(store_->CommitTransition(WithMapRuns("e", 3, {ended})).ok());
  got = store_->GetMapRun(MapRunArn("l")).value();
  EXPECT_EQ(got.status, MapRunStatus::kFailed);
  EXPECT_EQ(got.max_concurrency, 3);
  EXPECT_EQ(got.total_items, 41);
  EXPECT_EQ(got.total_executions, 21);
  EXPECT_EQ(got.start_time_ms, 6000);
  EXPECT_EQ(got.stop_time_ms, 7000);
  EXPECT_EQ(got.redrive_count, 0);
  // A redrive of the parent restarts the run.
  MapRunRecord again = ended;
  again.status = MapRunStatus::kRunning;
  again.stop_time_ms.reset();
  again.redrive_count = 1;
  again.redrive_time_ms = 7500;
  ASSERT_TRUE(store_->CommitTransition(WithMapRuns("e", 4, {again})).ok());
  got = store_->GetMapRun(MapRunArn("l")).value();
  EXPECT_EQ(got.status, MapRunStatus::kRunning);
  EXPECT_EQ(got.stop_time_ms, std::nullopt);
  EXPECT_EQ(got.redrive_count, 1);
  EXPECT_EQ(got.redrive_time_ms, 7500);
  EXPECT_THAT(MapRunLabels(store_->ListMapRuns(ExecutionArn("m", "e"), {}).value()),
              ElementsAre("l"));

  // The transition that creates an execution may start a run of it too.
  Transition first = WithMapRuns("e2", 1, {MapRun("l2", "e2")});
  first.create = Execution("m", "e2");
  ASSERT_TRUE(store_->CommitTransition(first).ok());
  StatusOr<MapRunRecord> second = store_->GetMapRun(MapRunArn("l2"));
  ASSERT_EQ(second.status(), Status::OK());
  EXPECT_EQ(second->execution_arn, ExecutionArn("m", "e2"));
}

TEST_P(StoreContract, AMapRunOfAFailedGroupIsNotWritten) {
  CreateMachineAndExecution();
  ASSERT_EQ(store_->CreateExecution(Execution("m", "child"), {}), Status::OK());
  ASSERT_TRUE(store_->CommitTransition(WithMapRuns("e", 1, {MapRun("l")})).ok());
  MapRunRecord stopped = MapRun("l");
  stopped.status = MapRunStatus::kAborted;
  stopped.max_concurrency = 1;
  stopped.stop_time_ms = 8000;
  std::vector<TransitionGroup> groups(1);
  // The parent's step writes both runs; its child's gap dooms the group.
  groups[0] = {WithMapRuns("e", 2, {stopped, MapRun("new")}), WithMapRuns("child", 5, {})};
  std::vector<Status> results;
  ASSERT_EQ(store_->CommitTransitions(groups, &results), Status::OK());
  EXPECT_EQ(results[0].code(), StatusCode::kFailedPrecondition);
  MapRunRecord got = store_->GetMapRun(MapRunArn("l")).value();
  EXPECT_EQ(got.status, MapRunStatus::kRunning);
  EXPECT_EQ(got.max_concurrency, 10);
  EXPECT_EQ(got.stop_time_ms, std::nullopt);
  EXPECT_EQ(store_->GetMapRun(MapRunArn("new")).status().code(), StatusCode::kNotFound);
  EXPECT_THAT(MapRunLabels(store_->ListMapRuns(ExecutionArn("m", "e"), {}).value()),
              ElementsAre("l"));
  // The same step retried without the gap lands whole.
  groups[0][1] = WithMapRuns("child", 1, {});
  ASSERT_EQ(store_->CommitTransitions(groups, &results), Status::OK());
  EXPECT_EQ(results[0], Status::OK());
  EXPECT_EQ(store_->GetMapRun(MapRunArn("l")).value().status, MapRunStatus::kAborted);
  EXPECT_THAT(MapRunLabels(store_->ListMapRuns(ExecutionArn("m", "e"), {}).value()),
              ElementsAre("new", "l"));
}

TEST_P(StoreContract, MapRunsAreListedNewestFirstPageByPage) {
  CreateMachineAndExecution();
  ASSERT_EQ(store_->CreateExecution(Execution("m", "other"), {}), Status::OK());
  const std::string arn = ExecutionArn("m", "e");
  ASSERT_TRUE(store_->CommitTransition(WithMapRuns("e", 1, {MapRun("r1"), MapRun("r2")})).ok());
  ASSERT_TRUE(store_->CommitTransition(WithMapRuns("other", 1, {MapRun("x", "other")})).ok());
  ASSERT_TRUE(store_->CommitTransition(WithMapRuns("e", 2, {MapRun("r3")})).ok());
  // Updating a run does not make it newer.
  ASSERT_TRUE(store_->CommitTransition(WithMapRuns("e", 3, {MapRun("r4"), MapRun("r1")})).ok());
  ASSERT_TRUE(store_->CommitTransition(WithMapRuns("e", 4, {MapRun("r5")})).ok());
  Page<MapRunRecord> p1 = store_->ListMapRuns(arn, {2, ""}).value();
  EXPECT_THAT(MapRunLabels(p1), ElementsAre("r5", "r4"));
  Page<MapRunRecord> p2 = store_->ListMapRuns(arn, {2, p1.next_token}).value();
  EXPECT_THAT(MapRunLabels(p2), ElementsAre("r3", "r2"));
  Page<MapRunRecord> p3 = store_->ListMapRuns(arn, {2, p2.next_token}).value();
  EXPECT_THAT(MapRunLabels(p3), ElementsAre("r1"));
  EXPECT_EQ(p3.next_token, "");
  Page<MapRunRecord> all = store_->ListMapRuns(arn, {5, ""}).value();
  EXPECT_EQ(all.items.size(), 5u);
  EXPECT_EQ(all.next_token, "");
  EXPECT_THAT(MapRunLabels(store_->ListMapRuns(ExecutionArn("m", "other"), {}).value()),
              ElementsAre("x"));
  ASSERT_EQ(store_->CreateExecution(Execution("m", "none"), {}), Status::OK());
  EXPECT_TRUE(store_->ListMapRuns(ExecutionArn("m", "none"), {}).value().items.empty());
  EXPECT_EQ(store_->ListMapRuns(arn, {0, "e.5"}).status(),
            InvalidArgumentError("ListMapRuns: invalid pagination token 'e.5'"));
  EXPECT_EQ(store_->ListMapRuns(arn, {1001, ""}).status().code(), StatusCode::kInvalidArgument);
  // Nor is a Map Run token any other listing's.
  EXPECT_EQ(
      store_->ListExecutions({}, {0, p1.next_token}).status(),
      InvalidArgumentError("ListExecutions: invalid pagination token '" + p1.next_token + "'"));
}

TEST_P(StoreContract, AMapRunMustBelongToItsTransitionsExecution) {
  CreateMachineAndExecution();
  ASSERT_EQ(store_->CreateExecution(Execution("m", "e2"), {}), Status::OK());
  // A record naming another execution than its transition's.
  EXPECT_EQ(
      store_->CommitTransition(WithMapRuns("e", 1, {MapRun("l", "e2")})).status(),
      InvalidArgumentError("CommitTransition: map run '" + MapRunArn("l") + "' is of execution '" +
                           ExecutionArn("m", "e2") + "', not '" + ExecutionArn("m", "e") + "'"));
  MapRunRecord unnamed = MapRun("l");
  unnamed.arn.clear();
  EXPECT_EQ(store_->CommitTransition(WithMapRuns("e", 1, {unnamed})).status(),
            InvalidArgumentError("CommitTransition: map run arn is empty"));
  EXPECT_EQ(store_->GetMapRun(MapRunArn("l")).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->GetExecution(ExecutionArn("m", "e")).value().last_event_id, 0);

  // A run stored for one execution cannot be taken over by another.
  ASSERT_TRUE(store_->CommitTransition(WithMapRuns("e", 1, {MapRun("l")})).ok());
  MapRunRecord taken = MapRun("l", "e2");
  taken.status = MapRunStatus::kSucceeded;
  EXPECT_EQ(store_->CommitTransition(WithMapRuns("e2", 1, {taken})).status(),
            FailedPreconditionError("CommitTransition: map run '" + MapRunArn("l") +
                                    "' belongs to execution '" + ExecutionArn("m", "e") +
                                    "', not '" + ExecutionArn("m", "e2") + "'"));
  MapRunRecord got = store_->GetMapRun(MapRunArn("l")).value();
  EXPECT_EQ(got.execution_arn, ExecutionArn("m", "e"));
  EXPECT_EQ(got.status, MapRunStatus::kRunning);
  EXPECT_EQ(store_->GetExecution(ExecutionArn("m", "e2")).value().last_event_id, 0);
  EXPECT_TRUE(store_->ListMapRuns(ExecutionArn("m", "e2"), {}).value().items.empty());
}

TEST_P(StoreContract, ChildExecutionsOfAMapRunAreCountedByStatus) {
  CreateMachineAndExecution();
  ASSERT_TRUE(
      store_->CommitTransition(WithMapRuns("e", 1, {MapRun("l"), MapRun("other"), MapRun("empty")}))
          .ok());
  auto child = [](const std::string& name, const std::string& run,
                  std::optional<ExecutionStatus> status) {
    Transition t;
    t.execution_arn = ExecutionArn("m", name);
    t.create = Execution("m", name);
    t.create->parent_arn = ExecutionArn("m", "e");
    t.create->map_run_arn = MapRunArn(run);
    t.events = {Event(1)};
    t.update.status = status;
    return t;
  };
  // The parent's step starts its children, as a DISTRIBUTED Map does.
  TransitionGroup step = {WithMapRuns("e", 2, {})};
  step.push_back(child("r1", "l", std::nullopt));
  step.push_back(child("r2", "l", ExecutionStatus::kRunning));
  for (const char* name : {"s1", "s2", "s3"}) {
    step.push_back(child(name, "l", ExecutionStatus::kSucceeded));
  }
  step.push_back(child("f1", "l", ExecutionStatus::kFailed));
  step.push_back(child("p1", "l", ExecutionStatus::kPendingRedrive));  // counted as failed
  step.push_back(child("t1", "l", ExecutionStatus::kTimedOut));
  step.push_back(child("a1", "l", ExecutionStatus::kAborted));
  step.push_back(child("a2", "l", ExecutionStatus::kAborted));
  step.push_back(child("o1", "other", ExecutionStatus::kRunning));
  std::vector<Status> results;
  ASSERT_EQ(store_->CommitTransitions(std::vector<TransitionGroup>{step}, &results), Status::OK());
  ASSERT_EQ(results[0], Status::OK());
  MapRunExecutionCounts counts = store_->CountMapRunExecutions(MapRunArn("l")).value();
  EXPECT_EQ(counts.running, 2);
  EXPECT_EQ(counts.succeeded, 3);
  EXPECT_EQ(counts.failed, 2);
  EXPECT_EQ(counts.timed_out, 1);
  EXPECT_EQ(counts.aborted, 2);
  EXPECT_EQ(store_->CountMapRunExecutions(MapRunArn("other")).value().running, 1);
  MapRunExecutionCounts none = store_->CountMapRunExecutions(MapRunArn("empty")).value();
  EXPECT_EQ(none.running + none.succeeded + none.failed + none.timed_out + none.aborted, 0);
  // A child that ends moves from one count to another.
  Transition done;
  done.execution_arn = ExecutionArn("m", "r1");
  done.events = {Event(2)};
  done.update.status = ExecutionStatus::kSucceeded;
  ASSERT_TRUE(store_->CommitTransition(done).ok());
  counts = store_->CountMapRunExecutions(MapRunArn("l")).value();
  EXPECT_EQ(counts.running, 1);
  EXPECT_EQ(counts.succeeded, 4);
}

TEST_P(StoreContract, UnknownMapRunsAndExecutionsAreNotFound) {
  CreateMachineAndExecution();
  // Children alone do not make a Map Run: they cannot tell an empty run
  // from none.
  ExecutionRecord orphan = Execution("m", "orphan");
  orphan.parent_arn = ExecutionArn("m", "e");
  orphan.map_run_arn = MapRunArn("ghost");
  ASSERT_EQ(store_->CreateExecution(orphan, {}), Status::OK());
  EXPECT_EQ(store_->GetMapRun(MapRunArn("ghost")).status(),
            NotFoundError("GetMapRun: map run '" + MapRunArn("ghost") + "' does not exist"));
  EXPECT_EQ(
      store_->CountMapRunExecutions(MapRunArn("ghost")).status(),
      NotFoundError("CountMapRunExecutions: map run '" + MapRunArn("ghost") + "' does not exist"));
  EXPECT_EQ(
      store_->ListMapRuns(ExecutionArn("m", "nope"), {}).status(),
      NotFoundError("ListMapRuns: execution '" + ExecutionArn("m", "nope") + "' does not exist"));
}

TEST_P(StoreContract, DeletingTheMachineRemovesItsMapRuns) {
  CreateMachineAndExecution();
  ASSERT_EQ(store_->CreateStateMachine(Machine("other"), {}), Status::OK());
  ExecutionRecord kept = Execution("other", "k");
  ASSERT_EQ(store_->CreateExecution(kept, {}), Status::OK());
  Transition other_step;
  other_step.execution_arn = kept.arn;
  other_step.events = {Event(1)};
  MapRunRecord kept_run = MapRun("kept");
  kept_run.execution_arn = kept.arn;
  other_step.map_runs = {kept_run};
  ASSERT_TRUE(store_->CommitTransition(other_step).ok());
  ASSERT_TRUE(store_->CommitTransition(WithMapRuns("e", 1, {MapRun("l")})).ok());
  // While its execution runs the machine is only DELETING: the run stays.
  ASSERT_EQ(store_->DeleteStateMachine(MachineArn("m"), {}), Status::OK());
  EXPECT_TRUE(store_->GetMapRun(MapRunArn("l")).ok());
  Transition done = WithMapRuns("e", 2, {});
  done.update.status = ExecutionStatus::kSucceeded;
  ASSERT_TRUE(store_->CommitTransition(done).ok());
  ASSERT_EQ(store_->DeleteStateMachine(MachineArn("m"), {}), Status::OK());
  EXPECT_EQ(store_->GetMapRun(MapRunArn("l")).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->CountMapRunExecutions(MapRunArn("l")).status().code(), StatusCode::kNotFound);
  // A new execution of the same ARN starts without runs.
  CreateMachineAndExecution();
  EXPECT_TRUE(store_->ListMapRuns(ExecutionArn("m", "e"), {}).value().items.empty());
  // The other machine's run is untouched.
  EXPECT_EQ(store_->GetMapRun(MapRunArn("kept")).value().execution_arn, kept.arn);
}

INSTANTIATE_TEST_SUITE_P(AllStores, StoreContract,
                         ::testing::ValuesIn(testing::StoreImplementations()),
                         [](const ::testing::TestParamInfo<StoreFactory>& info) {
                           return info.param.name;
                         });

}  // namespace
}  // namespace stepd::store
