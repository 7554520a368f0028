// StoreWrapper as a fault injector (its forwarding of every method is
// covered by the contract suite's WrappedMem instantiation).

#include "stepd/store/store.h"

#include <gtest/gtest.h>

#include "stepd/store/mem_store.h"
#include "store/store_testing.h"

namespace stepd::store {
namespace {

using testing::Event;
using testing::Execution;
using testing::ExecutionArn;
using testing::Machine;

// Commits for real, then reports the database unreachable: what a client
// sees when the process loses its connection after COMMIT.
class LostAckStore : public StoreWrapper {
 public:
  using StoreWrapper::StoreWrapper;
  Status CommitTransitions(std::span<const TransitionGroup> groups,
                           std::vector<Status>* results) override {
    Status committed = StoreWrapper::CommitTransitions(groups, results);
    if (!committed.ok() || !(*results)[0].ok()) return committed;
    return UnavailableError("CommitTransition: connection lost");
  }
};

TEST(StoreWrapper, AnOverrideInjectsAFaultAndARetryIsRecognisedAsDone) {
  std::unique_ptr<Store> mem = NewMemStore();
  LostAckStore store(mem.get());
  ASSERT_EQ(store.CreateStateMachine(Machine("m"), {}), Status::OK());
  ASSERT_EQ(store.CreateExecution(Execution("m", "e"), {}), Status::OK());
  Transition t;
  t.execution_arn = ExecutionArn("m", "e");
  t.events = {Event(1)};
  EXPECT_EQ(store.CommitTransition(t).status().code(), StatusCode::kUnavailable);
  // The caller retries; the store says the batch already landed.
  EXPECT_EQ(store.CommitTransition(t).status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(store.GetHistory(t.execution_arn, {}, false).value().items.size(), 1u);
  EXPECT_EQ(store.target(), mem.get());
}

}  // namespace
}  // namespace stepd::store
