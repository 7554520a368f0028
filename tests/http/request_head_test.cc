#include "../../src/http/request_head.h"

#include <gtest/gtest.h>

#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace stepd::http::internal {
namespace {

namespace bhttp = boost::beast::http;

bhttp::request<bhttp::empty_body> Head(std::string_view request_id) {
  bhttp::request<bhttp::empty_body> head{bhttp::verb::post, "/v1/state-machines?x=1", 11};
  head.set("X-Amz-Target", "AWSStepFunctions.StartExecution");
  head.insert("X-Dup", "one");
  head.insert("X-Dup", "two");
  if (!request_id.empty()) head.set("X-Request-Id", request_id);
  return head;
}

TEST(TakeRequestHead, KeepsMethodTargetAndEveryHeaderAsReceived) {
  Request request;
  TakeRequestHead(Head(""), &request);
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.target, "/v1/state-machines?x=1");
  EXPECT_EQ(request.headers.Get("x-amz-target").value_or(""), "AWSStepFunctions.StartExecution");
  EXPECT_EQ(request.headers.GetAll("X-Dup"), (std::vector<std::string_view>{"one", "two"}));
}

TEST(TakeRequestHead, KeepsAValidClientRequestIdAndReplacesAnInvalidOne) {
  Request kept;  // printable ASCII, 1..128 characters
  TakeRequestHead(Head("build-42.retry_1"), &kept);
  EXPECT_EQ(kept.request_id, "build-42.retry_1");
  const std::string too_long(129, 'a');
  for (std::string_view bad : std::initializer_list<std::string_view>{
           "", "has space", too_long, std::string_view("\xff\xfe", 2)}) {
    Request replaced;
    TakeRequestHead(Head(bad), &replaced);
    EXPECT_TRUE(IsValidRequestId(replaced.request_id)) << replaced.request_id;
    EXPECT_NE(replaced.request_id, bad);
  }
}

}  // namespace
}  // namespace stepd::http::internal
