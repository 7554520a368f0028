#include "stepd/api/looker_hub.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <random>
#include <string>

#include "api/aws_testing.h"
#include "http/target_server_testing.h"
#include "stepd/http/async_client.h"
#include "stepd/http/testing.h"

// The hub's deliveries when several stepd nodes share one database: each
// "node" is a LookerHub of its own (its own router, in-flight registry and
// node id) on one store and engine. The hub's other behaviour is tested end
// to end in tests/server/serve_looker_test.cc.

namespace stepd::api {
namespace {

using http::testing::CapturedResponse;
using http::testing::CapturingSink;
using http::testing::TargetServer;
using testing::AwsStack;
using testing::WaitUntil;

constexpr char kInstance[] = "looker-1.example.com";

int64_t Ms(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

// One node's hub: local mode (every caller may start), on the stack's
// store and engine, with `clock` for received times.
class HubNode {
 public:
  HubNode(AwsStack& stack, Clock* clock, http::AsyncClient* downloads,
          store::ArtifactFiles* artifacts, LookerOptions options)
      : options_(std::move(options)), authenticator_(AuthOptions{}, SystemClock::Default()) {
    auto quiet =
        std::make_shared<spdlog::logger>("looker", std::make_shared<spdlog::sinks::null_sink_mt>());
    hub_ = std::make_unique<LookerHub>(options_, api_options_, &authenticator_, quiet);
    hub_->AddRoutes(router_);
    LookerBackend backend;
    backend.store = stack.store();
    backend.engine = &stack.engine();
    backend.clock = clock;
    backend.downloads = downloads;
    backend.artifacts = artifacts;
    backend.api_base_url = "http://127.0.0.1:8080";
    hub_->Attach(backend);
  }
  ~HubNode() { hub_->Stop(); }

  std::shared_ptr<CapturingSink> SendAsync(http::Request request) const {
    auto sink = std::make_shared<CapturingSink>();
    router_.Dispatch(std::move(request), http::Responder(sink));
    return sink;
  }
  CapturedResponse Send(http::Request request) const {
    return http::testing::Dispatch(router_, std::move(request));
  }

 private:
  const LookerOptions options_;
  const ApiOptions api_options_;
  Authenticator authenticator_;
  http::Router router_;
  std::unique_ptr<LookerHub> hub_;
};

Json Body(const CapturedResponse& r) {
  auto parsed = ParseJson(r.body);
  return parsed.ok() ? *parsed : Json();
}

class LookerHubNodesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    stack_.CreateMachine("m", testing::kPassDefinition);
    auto client = http::AsyncClient::Create({});
    ASSERT_TRUE(client.ok()) << client.status();
    downloads_ = std::move(client).value();
    std::random_device rd;
    dir_ = std::filesystem::temp_directory_path() /
           ("stepd-looker-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
    artifacts_ = std::make_unique<store::ArtifactFiles>((dir_ / "artifacts").string());
    ASSERT_EQ(artifacts_->Init(), Status::OK());
  }
  void TearDown() override {
    nodes_.clear();
    downloads_->Stop();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  // A node's hub with action "run" (state machine "m", pushed data or a
  // download_url); `node_id` empty: one node.
  HubNode& Node(const std::string& node_id, std::chrono::seconds takeover_after = {},
                std::chrono::seconds download_timeout = std::chrono::seconds(60)) {
    LookerOptions options;
    LookerAction action;
    action.name = "run";
    action.state_machine = "m";
    action.supported_download_settings = {"push", "url"};
    options.actions = {action};
    options.download_timeout = download_timeout;
    options.node_id = node_id;
    options.takeover_after = takeover_after;
    nodes_.push_back(std::make_unique<HubNode>(stack_, &clock_, downloads_.get(), artifacts_.get(),
                                               std::move(options)));
    return *nodes_.back();
  }

  // Looker's POST of webhook `webhook_id`; with `download_url`, the data is
  // to be fetched from there.
  static http::Request Delivery(const std::string& webhook_id,
                                const std::string& download_url = "") {
    Json plan = {{"scheduled_plan_id", 7}, {"title", "Daily numbers"}};
    if (!download_url.empty()) plan["download_url"] = download_url;
    Json body = {{"type", "query"}, {"scheduled_plan", plan}, {"data", Json::object()}};
    http::Headers headers;
    headers.Set("Content-Type", "application/json");
    headers.Set("User-Agent", "LookerOutgoingWebhook/24.6.0");
    headers.Set("X-Looker-Instance", kInstance);
    headers.Set("X-Looker-Webhook-Id", webhook_id);
    return http::MakeRequest("POST", "/looker/actions/run/execute", body.dump(), headers);
  }

  // A first delivery recorded at `received` by a node that died before
  // starting its execution.
  store::LookerDeliveryRecord Abandoned(const std::string& webhook_id, TimePoint received) {
    store::LookerDeliveryRecord first;
    first.id = "dlv-abandoned" + webhook_id;
    first.received_ms = Ms(received);
    first.action = "run";
    first.instance = kInstance;
    first.webhook_id = webhook_id;
    first.type = "query";
    first.principal = "local";
    first.execution_arn = testing::ExecutionArn("m", "looker-abandoned" + webhook_id);
    first.outcome = "started";
    auto recorded = stack_.store()->RecordLookerDelivery(first, 0);
    EXPECT_TRUE(recorded.ok()) << recorded.status();
    EXPECT_FALSE(recorded.ok() && recorded->first);
    return first;
  }

  std::vector<store::ExecutionRecord> Executions() {
    store::ExecutionFilter filter;
    filter.state_machine_arn = testing::MachineArn("m");
    auto page = stack_.store()->ListExecutions(filter, {});
    EXPECT_TRUE(page.ok()) << page.status();
    return page.ok() ? page->items : std::vector<store::ExecutionRecord>{};
  }

  size_t Recorded(const std::string& webhook_id) {
    store::LookerDeliveryFilter filter;
    filter.webhook_id = webhook_id;
    auto page = stack_.store()->ListLookerDeliveries(filter, {});
    return page.ok() ? page->items.size() : 0;
  }

  AwsStack stack_;
  FakeClock clock_{std::chrono::system_clock::now()};
  TargetServer looker_;  // serves the download_url
  std::unique_ptr<http::AsyncClient> downloads_;
  std::filesystem::path dir_;
  std::unique_ptr<store::ArtifactFiles> artifacts_;
  std::vector<std::unique_ptr<HubNode>> nodes_;
};

TEST_F(LookerHubNodesTest, OneNodeTakesOverAnAbandonedDeliveryAtOnce) {
  HubNode& hub = Node("");
  const store::LookerDeliveryRecord first = Abandoned("wh-1", clock_.Now());
  CapturedResponse r = hub.Send(Delivery("wh-1"));
  ASSERT_EQ(r.status, 200) << r.body;
  const Json body = Body(r);
  EXPECT_EQ(body["looker"]["success"], true) << r.body;
  EXPECT_EQ(body["stepd"]["duplicate"], false);
  EXPECT_TRUE(body["stepd"]["delivery_id"].get<std::string>().ends_with("-retry")) << r.body;
  ASSERT_EQ(Executions().size(), 1u);
  EXPECT_EQ(Executions()[0].arn, body["stepd"]["execution_arn"]);
  EXPECT_EQ(stack_.store()->GetLookerDelivery(first.id)->outcome, "failed");
}

TEST_F(LookerHubNodesTest, ARedeliveryAtAnotherNodeWhileTheFirstIsInFlightStartsNothing) {
  HubNode& a = Node("node-a");
  HubNode& b = Node("node-b");
  // a's delivery waits for its download (3 s) between its record and its start.
  auto first = a.SendAsync(Delivery("wh-2", looker_.Url("/delay/3000")));
  ASSERT_TRUE(WaitUntil([&] { return Recorded("wh-2") == 1; }));
  ASSERT_TRUE(looker_.WaitFor("/delay/", 1));

  // b cannot tell a is alive: Looker is told to come back, nothing starts.
  CapturedResponse again = b.Send(Delivery("wh-2"));
  EXPECT_EQ(again.status, 503) << again.body;
  EXPECT_EQ(Body(again)["success"], false);
  EXPECT_NE(Body(again)["error"].get<std::string>().find("still being processed"),
            std::string::npos)
      << again.body;
  ASSERT_TRUE(again.headers.Get("Retry-After").has_value());
  const int retry_after = std::stoi(std::string(*again.headers.Get("Retry-After")));
  EXPECT_GE(retry_after, 1);
  EXPECT_LE(retry_after, 30);
  EXPECT_TRUE(Executions().empty());

  ASSERT_TRUE(first->WaitDone(std::chrono::seconds(20)));
  const CapturedResponse started = first->Get();
  ASSERT_EQ(started.status, 200) << started.body;
  const Json answer = Body(started);
  EXPECT_EQ(answer["looker"]["success"], true) << started.body;
  const std::string arn = answer["stepd"]["execution_arn"].get<std::string>();

  // Once it has its execution, a re-delivery anywhere is a duplicate of it.
  CapturedResponse later = b.Send(Delivery("wh-2"));
  ASSERT_EQ(later.status, 200) << later.body;
  EXPECT_EQ(Body(later)["stepd"]["duplicate"], true);
  EXPECT_EQ(Body(later)["stepd"]["execution_arn"], arn);
  ASSERT_EQ(Executions().size(), 1u);
  EXPECT_EQ(Executions()[0].arn, arn);
}

TEST_F(LookerHubNodesTest, AnotherNodeTakesOverAnAbandonedDeliveryAfterTakeoverAfter) {
  // takeover_after unset: download_timeout (60 s) + 2 minutes.
  HubNode& b = Node("node-b");
  const store::LookerDeliveryRecord first = Abandoned("wh-3", clock_.Now());
  clock_.Advance(std::chrono::seconds(179));
  CapturedResponse early = b.Send(Delivery("wh-3"));
  EXPECT_EQ(early.status, 503) << early.body;
  EXPECT_EQ(early.headers.Get("Retry-After"), std::optional<std::string_view>("1"));
  EXPECT_TRUE(Executions().empty());
  EXPECT_EQ(stack_.store()->GetLookerDelivery(first.id)->outcome, "started");

  clock_.Advance(std::chrono::seconds(2));
  CapturedResponse taken = b.Send(Delivery("wh-3"));
  ASSERT_EQ(taken.status, 200) << taken.body;
  EXPECT_EQ(Body(taken)["looker"]["success"], true) << taken.body;
  EXPECT_EQ(Body(taken)["stepd"]["duplicate"], false);
  EXPECT_TRUE(Body(taken)["stepd"]["delivery_id"].get<std::string>().ends_with("-retry"))
      << taken.body;
  ASSERT_EQ(Executions().size(), 1u);
  EXPECT_EQ(Executions()[0].arn, Body(taken)["stepd"]["execution_arn"]);
  const auto abandoned = stack_.store()->GetLookerDelivery(first.id);
  ASSERT_TRUE(abandoned.ok());
  EXPECT_EQ(abandoned->outcome, "failed");

  // An explicit takeover_after is used as given.
  HubNode& c = Node("node-c", std::chrono::seconds(10));
  Abandoned("wh-4", clock_.Now());
  clock_.Advance(std::chrono::seconds(5));
  CapturedResponse wait = c.Send(Delivery("wh-4"));
  EXPECT_EQ(wait.status, 503) << wait.body;
  EXPECT_EQ(wait.headers.Get("Retry-After"), std::optional<std::string_view>("5"));
  clock_.Advance(std::chrono::seconds(6));
  EXPECT_EQ(c.Send(Delivery("wh-4")).status, 200);
  EXPECT_EQ(Executions().size(), 2u);
}

}  // namespace
}  // namespace stepd::api
