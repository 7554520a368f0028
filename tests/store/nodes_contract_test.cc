// The Nodes part of the Store contract: several stepd nodes on one database,
// each a store opened with its own node_id on the same SQLite file or the same
// PostgreSQL database. Owners are stamped at creation, a commit by a node
// that does not own the execution is refused, dead nodes' executions are
// claimed once, and leases go to one holder at a time. MemStore (no node of
// its own) keeps the claim and lease rules too.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

#include "stepd/store/mem_store.h"
#include "stepd/store/postgres_store.h"
#include "stepd/store/sqlite_store.h"
#include "store/postgres_testing.h"
#include "store/store_testing.h"

namespace stepd::store {
namespace {

using testing::Event;
using testing::Execution;
using testing::ExecutionArn;
using testing::Machine;
using testing::TempDir;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

class NodesContract : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "Postgres") {
      testing::PostgresServer* server = testing::SharedPostgres();
      ASSERT_NE(server, nullptr);
      url_ = server->CreateDatabase();
    }
    a_ = Open("node-a");
    b_ = Open("node-b");
    ASSERT_NE(a_, nullptr);
    ASSERT_NE(b_, nullptr);
    ASSERT_EQ(a_->CreateStateMachine(Machine("m"), {}), Status::OK());
  }

  // Another handle on the same database, as node `node_id`.
  std::unique_ptr<Store> Open(const std::string& node_id) {
    StoreOptions options = testing::OptionsIn(dir_);
    options.node_id = node_id;
    options.url = url_;
    StatusOr<std::unique_ptr<Store>> store = OpenStore(options);
    EXPECT_EQ(store.status(), Status::OK());
    return store.ok() ? std::move(store).value() : nullptr;
  }

  static NodeRecord Node(const std::string& id, int64_t now_ms, int64_t expires_ms) {
    return NodeRecord{id, "127.0.0.1:" + id, 1, now_ms, expires_ms};
  }

  static Transition Step(const std::string& execution, int64_t event_id) {
    Transition t;
    t.execution_arn = ExecutionArn("m", execution);
    t.events = {Event(event_id)};
    t.updated_at_ms = 3000 + event_id;
    return t;
  }

  static std::vector<std::string> Arns(const std::vector<RunningExecution>& running) {
    std::vector<std::string> out;
    for (const RunningExecution& r : running) out.push_back(r.arn);
    return out;
  }

  TempDir dir_;
  std::string url_;
  std::unique_ptr<Store> a_;
  std::unique_ptr<Store> b_;
};

TEST_P(NodesContract, HeartbeatsCreateThenRefreshEachNodesRow) {
  ASSERT_EQ(a_->HeartbeatNode(Node("node-a", 1000, 6000)), Status::OK());
  ASSERT_EQ(b_->HeartbeatNode(Node("node-b", 1000, 6000)), Status::OK());
  ASSERT_EQ(a_->HeartbeatNode(Node("node-a", 2000, 7000)), Status::OK());
  std::vector<NodeRecord> nodes = b_->ListNodes().value();
  ASSERT_EQ(nodes.size(), 2u);
  EXPECT_EQ(nodes[0].node_id, "node-a");
  EXPECT_EQ(nodes[0].address, "127.0.0.1:node-a");
  EXPECT_EQ(nodes[0].heartbeat_ms, 2000);
  EXPECT_EQ(nodes[0].expires_ms, 7000);
  EXPECT_EQ(nodes[1].node_id, "node-b");
  EXPECT_EQ(a_->HeartbeatNode(Node("", 1, 2)).code(), StatusCode::kInvalidArgument);
}

TEST_P(NodesContract, AnExecutionBelongsToTheNodeThatCreatedItAndOnlyItsOwnerCommits) {
  ASSERT_EQ(a_->CreateExecution(Execution("m", "e"), {}), Status::OK());
  EXPECT_EQ(b_->GetExecutionOwner(ExecutionArn("m", "e")).value(), "node-a");
  ASSERT_TRUE(a_->CommitTransition(Step("e", 1)).ok());

  StatusOr<ExecutionRecord> refused = b_->CommitTransition(Step("e", 2));
  EXPECT_EQ(refused.status().code(), StatusCode::kAborted);
  EXPECT_THAT(refused.status().message(), ::testing::HasSubstr("is owned by node 'node-a'"));
  // Nothing of the refused step was written; the owner goes on.
  EXPECT_EQ(a_->GetExecution(ExecutionArn("m", "e")).value().last_event_id, 1);
  EXPECT_TRUE(a_->CommitTransition(Step("e", 2)).ok());
  EXPECT_EQ(b_->GetHistory(ExecutionArn("m", "e"), {}, false).value().items.size(), 2u);
}

TEST_P(NodesContract, ARefusedGroupLeavesTheOtherGroupsOfTheCommit) {
  ASSERT_EQ(a_->CreateExecution(Execution("m", "mine"), {}), Status::OK());
  ASSERT_EQ(b_->CreateExecution(Execution("m", "theirs"), {}), Status::OK());
  std::vector<TransitionGroup> groups = {{Step("mine", 1)}, {Step("theirs", 1)}};
  std::vector<Status> results;
  ASSERT_EQ(a_->CommitTransitions(groups, &results), Status::OK());
  EXPECT_EQ(results[0], Status::OK());
  EXPECT_EQ(results[1].code(), StatusCode::kAborted);
  EXPECT_EQ(b_->GetExecution(ExecutionArn("m", "theirs")).value().last_event_id, 0);
  EXPECT_EQ(a_->GetExecution(ExecutionArn("m", "mine")).value().last_event_id, 1);
}

TEST_P(NodesContract, ADeadNodesExecutionsAreClaimedOnceThenItsCommitsAreRefused) {
  ASSERT_EQ(a_->HeartbeatNode(Node("node-a", 1000, 6000)), Status::OK());
  ASSERT_EQ(b_->HeartbeatNode(Node("node-b", 1000, 6000)), Status::OK());
  for (const char* name : {"e1", "e2", "e3"}) {
    ASSERT_EQ(a_->CreateExecution(Execution("m", name), {}), Status::OK());
  }
  ASSERT_EQ(b_->CreateExecution(Execution("m", "b1"), {}), Status::OK());
  // node-a is alive until 6000: nothing to claim.
  EXPECT_THAT(b_->ClaimExecutions("node-b", 5999, 10, false).value(), IsEmpty());
  // Dead at 6000: node-b takes its executions over, oldest first, in batches.
  EXPECT_THAT(Arns(b_->ClaimExecutions("node-b", 6000, 2, false).value()),
              ElementsAre(ExecutionArn("m", "e1"), ExecutionArn("m", "e2")));
  EXPECT_THAT(Arns(b_->ClaimExecutions("node-b", 6000, 2, false).value()),
              ElementsAre(ExecutionArn("m", "e3")));
  EXPECT_THAT(b_->ClaimExecutions("node-b", 6000, 2, false).value(), IsEmpty());
  EXPECT_EQ(a_->GetExecutionOwner(ExecutionArn("m", "e1")).value(), "node-b");
  // The old owner, back from a pause, can no longer write.
  EXPECT_EQ(a_->CommitTransition(Step("e1", 1)).status().code(), StatusCode::kAborted);
  EXPECT_TRUE(b_->CommitTransition(Step("e1", 1)).ok());
}

TEST_P(NodesContract, ARestartedNodeReclaimsItsOwnExecutionsOnlyWhenAsked) {
  ASSERT_EQ(a_->HeartbeatNode(Node("node-a", 1000, 6000)), Status::OK());
  ASSERT_EQ(a_->CreateExecution(Execution("m", "e"), {}), Status::OK());
  EXPECT_THAT(a_->ClaimExecutions("node-a", 2000, 10, false).value(), IsEmpty());
  EXPECT_THAT(Arns(a_->ClaimExecutions("node-a", 2000, 10, true).value()),
              ElementsAre(ExecutionArn("m", "e")));
}

TEST_P(NodesContract, OnlyRunningTopLevelExecutionsAreClaimed) {
  ASSERT_EQ(a_->CreateExecution(Execution("m", "done"), {}), Status::OK());
  Transition end = Step("done", 1);
  end.update.status = ExecutionStatus::kSucceeded;
  ASSERT_TRUE(a_->CommitTransition(end).ok());
  // node-a never heartbeat: it counts as dead.
  EXPECT_THAT(b_->ClaimExecutions("node-b", 1000, 10, false).value(), IsEmpty());
  EXPECT_EQ(b_->ClaimExecution(ExecutionArn("m", "done"), "node-b").status().code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(b_->ClaimExecution(ExecutionArn("m", "nope"), "node-b").status().code(),
            StatusCode::kNotFound);
}

TEST_P(NodesContract, ClaimingOneExecutionTakesItFromALiveOwner) {
  ASSERT_EQ(a_->HeartbeatNode(Node("node-a", 1000, 1000000)), Status::OK());
  ASSERT_EQ(a_->CreateExecution(Execution("m", "e"), {}), Status::OK());
  StatusOr<RunningExecution> claimed = b_->ClaimExecution(ExecutionArn("m", "e"), "node-b");
  ASSERT_EQ(claimed.status(), Status::OK());
  EXPECT_EQ(claimed->arn, ExecutionArn("m", "e"));
  EXPECT_EQ(a_->CommitTransition(Step("e", 1)).status().code(), StatusCode::kAborted);
  EXPECT_TRUE(b_->CommitTransition(Step("e", 1)).ok());
}

TEST_P(NodesContract, ALeaseHasOneHolderUntilItExpiresOrIsReleased) {
  EXPECT_TRUE(a_->AcquireLease("scheduler", "node-a", 1000, 5000).value());
  EXPECT_FALSE(b_->AcquireLease("scheduler", "node-b", 4999, 9999).value());
  EXPECT_TRUE(a_->AcquireLease("scheduler", "node-a", 4000, 8000).value());  // renewed
  EXPECT_FALSE(b_->AcquireLease("scheduler", "node-b", 7999, 9999).value());
  EXPECT_TRUE(b_->AcquireLease("scheduler", "node-b", 8000, 12000).value());  // expired
  EXPECT_FALSE(a_->AcquireLease("scheduler", "node-a", 9000, 13000).value());
  EXPECT_TRUE(a_->AcquireLease("notifier", "node-a", 9000, 13000).value());  // another lease
  EXPECT_EQ(a_->ReleaseLease("scheduler", "node-a"), Status::OK());  // not its: no effect
  EXPECT_FALSE(a_->AcquireLease("scheduler", "node-a", 9000, 13000).value());
  EXPECT_EQ(b_->ReleaseLease("scheduler", "node-b"), Status::OK());
  EXPECT_TRUE(a_->AcquireLease("scheduler", "node-a", 9000, 13000).value());
  EXPECT_EQ(a_->AcquireLease("", "node-a", 1, 2).status().code(), StatusCode::kInvalidArgument);
}

INSTANTIATE_TEST_SUITE_P(Engines, NodesContract, ::testing::Values("Sqlite", "Postgres"),
                         [](const auto& info) { return info.param; });

TEST(MemStoreNodes, ClaimsAndLeasesFollowTheContract) {
  std::unique_ptr<Store> store = NewMemStore();
  ASSERT_EQ(store->CreateStateMachine(Machine("m"), {}), Status::OK());
  ASSERT_EQ(store->CreateExecution(Execution("m", "e"), {}), Status::OK());
  ASSERT_EQ(store->HeartbeatNode({"n1", "", 1, 1, 5000}), Status::OK());
  EXPECT_EQ(store->ListNodes().value().size(), 1u);
  EXPECT_EQ(store->GetExecutionOwner(ExecutionArn("m", "e")).value(), "");
  EXPECT_EQ(store->ClaimExecutions("n1", 1000, 10, false).value().size(), 1u);
  EXPECT_EQ(store->GetExecutionOwner(ExecutionArn("m", "e")).value(), "n1");
  EXPECT_THAT(store->ClaimExecutions("n2", 4999, 10, false).value(), IsEmpty());
  EXPECT_EQ(store->ClaimExecutions("n2", 5000, 10, false).value().size(), 1u);
  EXPECT_EQ(store->ClaimExecution(ExecutionArn("m", "e"), "n1").value().arn,
            ExecutionArn("m", "e"));
  EXPECT_TRUE(store->AcquireLease("l", "n1", 0, 10).value());
  EXPECT_FALSE(store->AcquireLease("l", "n2", 5, 10).value());
  EXPECT_TRUE(store->AcquireLease("l", "n2", 10, 20).value());
}

}  // namespace
}  // namespace stepd::store
