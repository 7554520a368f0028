#include "stepd/runtime/outbound_calls.h"

#include <gtest/gtest.h>

namespace stepd::runtime {
namespace {

TaskCall Task(int64_t id) {
  TaskCall task;
  task.execution_arn = "arn:aws:states:us-east-1:123456789012:execution:m:e";
  task.request.task_id = id;
  return task;
}

class OutboundCallsTest : public ::testing::Test {
 protected:
  std::unique_ptr<http::AsyncClient> client_ = http::AsyncClient::Create({}).value();
  OutboundCalls calls_{client_.get()};
};

TEST_F(OutboundCallsTest, ARepeatedDispatchReplacesTheCallInFlightAndOnlyTheNewOneIsAnswered) {
  int first = 0, second = 0;
  OutboundCalls::Handle a = calls_.Start(Task(1), [&](asl::AslResult<Json>) { ++first; });
  OutboundCalls::Handle b = calls_.Start(Task(1), [&](asl::AslResult<Json>) { ++second; });
  EXPECT_EQ(calls_.size(), 1u);
  calls_.Finish(a, Json(1));
  EXPECT_EQ(first, 0);
  EXPECT_EQ(calls_.size(), 1u);
  calls_.Finish(b, Json(2));
  calls_.Finish(b, Json(3));
  EXPECT_EQ(second, 1);
  EXPECT_EQ(calls_.size(), 0u);
}

TEST_F(OutboundCallsTest, ACancelledCallIsNeverAnsweredAndOthersAreKept) {
  int answered = 0;
  OutboundCalls::Handle a = calls_.Start(Task(1), [&](asl::AslResult<Json>) { ++answered; });
  OutboundCalls::Handle b = calls_.Start(Task(2), [&](asl::AslResult<Json>) { ++answered; });
  calls_.Cancel(Task(1));
  calls_.Cancel(Task(7));  // nothing tracked: nothing happens
  EXPECT_EQ(calls_.size(), 1u);
  calls_.Finish(a, Json(1));
  EXPECT_EQ(answered, 0);
  // A cancelled call sends nothing.
  bool sent = false;
  calls_.Fetch(a, http::ClientRequest{}, [&](StatusOr<http::ClientResponse>) { sent = true; });
  EXPECT_EQ(client_->in_flight(), 0u);
  EXPECT_FALSE(sent);
  calls_.Finish(b, Json(2));
  EXPECT_EQ(answered, 1);
}

}  // namespace
}  // namespace stepd::runtime
