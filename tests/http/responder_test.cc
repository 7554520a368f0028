#include "stepd/http/responder.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "stepd/http/testing.h"

namespace stepd::http {
namespace {

using testing::CapturingSink;

TEST(Responder, CopiesShareOneAnswer) {
  auto sink = std::make_shared<CapturingSink>();
  Responder a(sink);
  Responder b = a;
  EXPECT_TRUE(b.Send(Response::Text(200, "b")));
  EXPECT_TRUE(a.answered());
  EXPECT_FALSE(a.Send(Response::Text(200, "a")));
  EXPECT_EQ(sink->Get().body, "b");
}

TEST(Responder, LastCopyDroppedWithoutAnswerIsAbandoned) {
  auto sink = std::make_shared<CapturingSink>();
  {
    Responder a(sink);
    Responder b = a;
    { Responder c = std::move(a); }
    EXPECT_FALSE(sink->WaitDone(std::chrono::milliseconds(0)));
  }
  ASSERT_TRUE(sink->WaitDone(std::chrono::milliseconds(0)));
  EXPECT_TRUE(sink->Get().abandoned);
  EXPECT_EQ(sink->Get().status, 500);
}

TEST(Responder, AnsweredResponderIsNotAbandonedWhenDropped) {
  auto sink = std::make_shared<CapturingSink>();
  { Responder(sink).Send(Response::Text(204, "")); }
  EXPECT_FALSE(sink->Get().abandoned);
  EXPECT_EQ(sink->Get().status, 204);
}

TEST(Stream, DroppedWithoutFinishIsAborted) {
  auto sink = std::make_shared<CapturingSink>();
  {
    Responder responder(sink);
    Stream stream = responder.StartStream(200);
    EXPECT_TRUE(stream.Write("partial"));
  }
  ASSERT_TRUE(sink->WaitDone(std::chrono::milliseconds(0)));
  EXPECT_TRUE(sink->Get().streamed);
  EXPECT_FALSE(sink->Get().stream_finished);
  EXPECT_FALSE(sink->Get().abandoned);
  EXPECT_EQ(sink->Get().body, "partial");
}

TEST(Stream, WritesStopOnceTheClientIsGone) {
  auto sink = std::make_shared<CapturingSink>();
  Responder responder(sink);
  Stream stream = responder.StartStream(200);
  EXPECT_TRUE(stream.Write("1"));
  sink->Disconnect();
  EXPECT_TRUE(responder.client_gone());
  EXPECT_TRUE(stream.client_gone());
  EXPECT_FALSE(stream.Write("2"));
  stream.Finish();
  EXPECT_EQ(sink->Get().body, "1");
}

TEST(Stream, InvalidStreamRefusesWrites) {
  Stream stream;
  EXPECT_FALSE(stream.valid());
  EXPECT_FALSE(stream.Write("x"));
  stream.Finish();
  EXPECT_TRUE(stream.client_gone());
}

}  // namespace
}  // namespace stepd::http
