#include "stepd/runtime/notifier.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <future>
#include <utility>

#include "http/target_server_testing.h"
#include "runtime/runtime_testing.h"
#include "stepd/base/crypto.h"
#include "stepd/base/percent_encoding.h"
#include "stepd/http/async_client.h"

namespace stepd::runtime {
namespace {

using http::testing::SeenRequest;
using http::testing::TargetServer;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::TestEngine;
using testing::TestStore;
using testing::WaitForEnd;
using testing::WaitUntil;

constexpr char kSecret[] = "whsec-0123456789abcdef";
// Prepare (a Pass) then Load (a Task the scripted executor answers).
constexpr char kLoad[] = R"({"StartAt":"Prepare","States":{
    "Prepare":{"Type":"Pass","Next":"Load"},
    "Load":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:f",
            "End":true}}})";

NotifierOptions FastOptions() {
  NotifierOptions o;
  o.max_attempts = 3;
  o.initial_backoff = std::chrono::milliseconds(5);
  o.max_backoff = std::chrono::milliseconds(20);
  o.poll_interval = std::chrono::milliseconds(10);
  o.request_timeout = std::chrono::seconds(5);
  o.console_url = "https://stepd.example.com/";
  return o;
}

NotificationSink Sink(const std::string& name, const std::string& type, const std::string& url) {
  NotificationSink s;
  s.name = name;
  s.type = type;
  if (type == "pagerduty") {
    s.events_url = url;
    s.routing_key = "R0UT1NGKEY";
  } else {
    s.url = url;
  }
  if (type == "webhook") s.secret = kSecret;
  return s;
}

NotificationRule Rule(const std::string& name, std::vector<std::string> machines,
                      std::vector<std::string> outcomes, const std::string& sink) {
  return NotificationRule{name, std::move(machines), std::move(outcomes), sink, "config"};
}

std::vector<store::NotificationRecord> Outbox(store::Store& store) {
  store::PageRequest page;
  page.max_results = 1000;
  return store.ListNotifications({}, page).value().items;
}

bool AllSettled(store::Store& store, size_t n) {
  auto items = Outbox(store);
  if (items.size() != n) return false;
  for (const auto& item : items) {
    if (item.status == store::NotificationStatus::kPending) return false;
  }
  return true;
}

std::vector<SeenRequest> SeenAt(const TargetServer& server, std::string_view prefix) {
  std::vector<SeenRequest> out;
  for (SeenRequest& r : server.Seen()) {
    if (r.target.starts_with(prefix)) out.push_back(std::move(r));
  }
  return out;
}

class NotifierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto client = http::AsyncClient::Create({});
    ASSERT_TRUE(client.ok()) << client.status();
    client_ = std::move(client).value();
    box_.emplace(SecretBox::FromText(SecretBox::NewKeyText(), "test").value());
  }
  void TearDown() override {
    notifier_.reset();
    client_->Stop();
  }

  Notifier& StartNotifier(NotifierOptions options, Clock* clock = SystemClock::Default()) {
    notifier_ = std::make_unique<Notifier>(std::move(options), store_.get(), clock, client_.get(),
                                           &*box_, nullptr);
    EXPECT_EQ(notifier_->Start(), Status::OK());
    return *notifier_;
  }

  // Runs machine `machine` (kLoad) to its end, the task failing with
  // `error` (or succeeding when empty); returns the execution ARN.
  std::string Run(TestEngine& engine, const std::string& machine, const std::string& name,
                  const std::string& error = "Upstream.Down") {
    if (error.empty()) {
      engine.executor.AnswerAll(Json("ok"));
    } else {
      engine.executor.AnswerAll(asl::AslError{error, "503 from the warehouse <db-1>"});
    }
    auto started = engine.Start(machine, name);
    EXPECT_TRUE(started.ok()) << started.status();
    WaitForEnd(*store_, started->execution_arn);
    return started->execution_arn;
  }

  // The notifier has read every audit row there is.
  void WaitForCursorAtHead() {
    ASSERT_TRUE(WaitUntil([&] {
      auto cursor = store_->GetNotificationCursor();
      return cursor.ok() && cursor->value_or(-1) == store_->GetAuditHead().value().seq;
    }));
  }

  TestStore store_;
  TargetServer receiver_;
  std::unique_ptr<http::AsyncClient> client_;
  std::optional<SecretBox> box_;
  std::unique_ptr<Notifier> notifier_;
};

TEST(NotifierRules, GlobPatternsMatchWholeNames) {
  EXPECT_TRUE(GlobMatches("nightly-*", "nightly-load"));
  EXPECT_TRUE(GlobMatches("nightly-*", "nightly-"));
  EXPECT_FALSE(GlobMatches("nightly-*", "daily-load"));
  EXPECT_TRUE(GlobMatches("*-load", "nightly-load"));
  EXPECT_TRUE(GlobMatches("n?ghtly*load", "nightly-big-load"));
  EXPECT_FALSE(GlobMatches("nightly", "nightly-load"));
  EXPECT_TRUE(GlobMatches("*", "anything"));
}

TEST(NotifierRules, BadSinksAndRulesAreRefusedWithPreciseMessagesAndNoSecret) {
  auto bad_url = ParseNotificationSink(
      "ops", Json{{"type", "slack"}, {"url", "hooks.slack.com/T0/SECRETPART"}}, "sinks.ops");
  EXPECT_EQ(bad_url.status(),
            InvalidArgumentError("sinks.ops: member 'url' is not an http(s) URL"));
  EXPECT_EQ(
      ParseNotificationSink("ops", Json{{"type", "teams"}}, "sinks.ops").status(),
      InvalidArgumentError("sinks.ops: unknown sink type 'teams' (slack, pagerduty or webhook)"));
  EXPECT_EQ(
      ParseNotificationSink("ops", Json{{"type", "slack"}, {"url", "https://x"}, {"channel", "#a"}},
                            "sinks.ops")
          .status(),
      InvalidArgumentError("sinks.ops: unknown member 'channel' for a slack sink"));
  EXPECT_EQ(
      ParseNotificationSink(
          "ops", Json{{"type", "webhook"}, {"url", "https://x"}, {"secret", "short"}}, "sinks.ops")
          .status(),
      InvalidArgumentError("sinks.ops: member 'secret' must have at least 16 characters"));
  EXPECT_EQ(ParseNotificationRule("r", Json{{"sink", "ops"}, {"outcomes", {"FAILURE"}}}, "rules.r")
                .status(),
            InvalidArgumentError("rules.r: unknown outcome 'FAILURE' (FAILED, TIMED_OUT, ABORTED, "
                                 "SUCCEEDED, REDRIVEN)"));
  EXPECT_EQ(ParseNotificationRule(
                "r", Json{{"sink", "ops"}, {"outcomes", {"FAILED"}}, {"state_machines", {"a/b"}}},
                "rules.r")
                .status(),
            InvalidArgumentError("rules.r: bad state machine pattern 'a/b': only name characters, "
                                 "'*' and '?' are allowed"));
  auto pd = ParseNotificationSink(
      "pager", Json{{"type", "pagerduty"}, {"routing_key", "KEY123"}, {"severity", "critical"}},
      "sinks.pager");
  ASSERT_TRUE(pd.ok());
  EXPECT_EQ(pd->events_url, kDefaultPagerDutyEventsUrl);
  const std::string shown = RedactedSinkJson(*pd).dump();
  EXPECT_THAT(shown, Not(HasSubstr("KEY123")));
  auto slack = ParseNotificationSink(
      "ops", Json{{"type", "slack"}, {"url", "https://hooks.slack.com/services/T0/B0/XYZSECRET"}},
      "sinks.ops");
  ASSERT_TRUE(slack.ok());
  EXPECT_EQ(RedactedSinkJson(*slack)["url"], "https://hooks.slack.com/\xE2\x80\xA6(redacted)");
}

TEST(NotifierRules, BackoffDoublesUpToTheCapAndHonoursRetryAfter) {
  NotifierOptions o;
  o.initial_backoff = std::chrono::milliseconds(1000);
  o.max_backoff = std::chrono::milliseconds(5000);
  using std::chrono::milliseconds;
  EXPECT_EQ(NotificationBackoff(o, 1, 0.0, std::nullopt), milliseconds(1000));
  EXPECT_EQ(NotificationBackoff(o, 2, 0.0, std::nullopt), milliseconds(2000));
  EXPECT_EQ(NotificationBackoff(o, 3, 0.5, std::nullopt), milliseconds(4400));
  EXPECT_EQ(NotificationBackoff(o, 9, 0.0, std::nullopt), milliseconds(5000));
  EXPECT_EQ(NotificationBackoff(o, 1, 0.0, milliseconds(3000)), milliseconds(3000));
  EXPECT_EQ(NotificationBackoff(o, 1, 0.0, milliseconds(60000)), milliseconds(5000));
}

TEST_F(NotifierTest, SlackMessageTellsMachineExecutionFailedStateErrorCauseAndConsoleLink) {
  store_.CreateMachine("nightly-load", kLoad);
  NotifierOptions o = FastOptions();
  o.sinks = {Sink("ops", "slack", receiver_.Url("/echo/slack"))};
  o.rules = {Rule("nightly", {"nightly-*"}, {"FAILED"}, "ops")};
  StartNotifier(o);
  TestEngine engine(store_.get());
  const std::string arn = Run(engine, "nightly-load", "run-7");
  ASSERT_TRUE(receiver_.WaitFor("/echo/slack", 1));
  const Json body = Json::parse(SeenAt(receiver_, "/echo/slack")[0].body);
  EXPECT_THAT(body["text"].get<std::string>(),
              HasSubstr("execution run-7 of nightly-load FAILED: Upstream.Down"));
  const std::string blocks = body["blocks"].dump();
  EXPECT_EQ(body["blocks"][0]["text"]["text"], "FAILED: nightly-load");
  EXPECT_THAT(blocks, HasSubstr("*Execution*\\nrun-7"));
  EXPECT_THAT(blocks, HasSubstr("*Failed state*\\nLoad"));
  EXPECT_THAT(blocks, HasSubstr("*Error*\\nUpstream.Down"));
  // Slack's control characters in the cause are escaped.
  EXPECT_THAT(blocks, HasSubstr("503 from the warehouse &lt;db-1&gt;"));
  EXPECT_THAT(blocks, HasSubstr("<https://stepd.example.com/console/#/executions/" +
                                PercentEncode(arn) + "|Open in the stepd console>"));
  ASSERT_TRUE(WaitUntil([&] { return AllSettled(*store_, 1); }));
  const store::NotificationRecord item = Outbox(*store_)[0];
  EXPECT_EQ(item.status, store::NotificationStatus::kDelivered);
  EXPECT_EQ(item.attempts, 1);
  EXPECT_EQ(item.execution_arn, arn);
  EXPECT_EQ(item.rule, "nightly");
  EXPECT_EQ(notifier_->Stats().delivered["slack"], 1);
}

TEST_F(NotifierTest, RulesMatchMachinesByPatternAndOutcomesByName) {
  store_.CreateMachine("nightly-load", kLoad);
  store_.CreateMachine("daily-load", kLoad);
  NotifierOptions o = FastOptions();
  o.sinks = {Sink("ops", "slack", receiver_.Url("/echo/slack"))};
  o.rules = {Rule("nightly", {"nightly-*"}, {"FAILED"}, "ops"),
             Rule("all-redrives-and-successes", {}, {"SUCCEEDED"}, "ops")};
  StartNotifier(o);
  TestEngine engine(store_.get());
  const std::string failed = Run(engine, "nightly-load", "a");
  Run(engine, "daily-load", "b");                             // fails; no rule for daily-*
  const std::string ok = Run(engine, "daily-load", "c", "");  // succeeds: every machine
  WaitForCursorAtHead();
  ASSERT_TRUE(WaitUntil([&] { return AllSettled(*store_, 2); }));
  auto items = Outbox(*store_);
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[1].execution_arn, failed);
  EXPECT_EQ(items[1].outcome, "FAILED");
  EXPECT_EQ(items[0].execution_arn, ok);
  EXPECT_EQ(items[0].outcome, "SUCCEEDED");
  EXPECT_EQ(receiver_.Count("/echo/slack"), 2u);
}

TEST_F(NotifierTest, HistoryFromBeforeTheFirstStartIsNotNotified) {
  store_.CreateMachine("nightly-load", kLoad);
  TestEngine engine(store_.get());
  Run(engine, "nightly-load", "old");
  NotifierOptions o = FastOptions();
  o.sinks = {Sink("ops", "slack", receiver_.Url("/echo/slack"))};
  o.rules = {Rule("nightly", {}, {"FAILED"}, "ops")};
  StartNotifier(o);
  const std::string fresh = Run(engine, "nightly-load", "new");
  ASSERT_TRUE(WaitUntil([&] { return AllSettled(*store_, 1); }));
  WaitForCursorAtHead();
  auto items = Outbox(*store_);
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].execution_arn, fresh);
}

TEST_F(NotifierTest, ASignedWebhookIsRetriedWhenTheReceiverFailsThenDelivered) {
  store_.CreateMachine("nightly-load", kLoad);
  NotifierOptions o = FastOptions();
  o.sinks = {Sink("hook", "webhook", receiver_.Url("/flaky/hook/2"))};
  o.rules = {Rule("all", {}, {"FAILED"}, "hook")};
  StartNotifier(o);
  TestEngine engine(store_.get());
  const std::string arn = Run(engine, "nightly-load", "r");
  ASSERT_TRUE(WaitUntil([&] { return AllSettled(*store_, 1); }));
  const store::NotificationRecord item = Outbox(*store_)[0];
  EXPECT_EQ(item.status, store::NotificationStatus::kDelivered);
  EXPECT_EQ(item.attempts, 3);
  EXPECT_EQ(item.last_error, "HTTP 503 Service Unavailable");
  std::vector<SeenRequest> seen = SeenAt(receiver_, "/flaky/hook");
  ASSERT_EQ(seen.size(), 3u);
  for (const SeenRequest& r : seen) {
    // The receiver verifies the signature over "<timestamp>.<body>".
    const std::string timestamp(r.headers.Get("X-Stepd-Timestamp").value_or(""));
    const std::string expected =
        "sha256=" + HexEncode(HmacSha256(kSecret, timestamp + "." + r.body));
    EXPECT_TRUE(ConstantTimeEquals(r.headers.Get("X-Stepd-Signature").value_or(""), expected));
    EXPECT_EQ(r.headers.Get("X-Stepd-Delivery").value_or(""), "ntf-" + std::to_string(item.id));
  }
  const Json body = Json::parse(seen.back().body);
  EXPECT_EQ(body["schema"], "stepd.notification.v1");
  EXPECT_EQ(body["delivery_id"], "ntf-" + std::to_string(item.id));
  EXPECT_EQ(body["outcome"], "FAILED");
  EXPECT_EQ(body["state_machine"], "nightly-load");
  EXPECT_EQ(body["execution_arn"], arn);
  EXPECT_EQ(body["failed_state"], "Load");
  EXPECT_EQ(body["error"], "Upstream.Down");
  EXPECT_EQ(body["cause"], "503 from the warehouse <db-1>");
  const NotifierStats stats = notifier_->Stats();
  EXPECT_EQ(stats.failed_attempts.at("webhook"), 2);
  EXPECT_EQ(stats.delivered.at("webhook"), 1);
}

TEST_F(NotifierTest, ItemsBecomeDeadLettersAfterMaxAttemptsOrOnA4xxAndCanBeRetried) {
  store_.CreateMachine("nightly-load", kLoad);
  NotifierOptions o = FastOptions();
  o.sinks = {Sink("down", "slack", receiver_.Url("/status/500")),
             Sink("refusing", "slack", receiver_.Url("/status/400"))};
  o.rules = {Rule("a", {}, {"FAILED"}, "down"), Rule("b", {}, {"FAILED"}, "refusing")};
  StartNotifier(o);
  TestEngine engine(store_.get());
  Run(engine, "nightly-load", "r");
  ASSERT_TRUE(WaitUntil([&] { return AllSettled(*store_, 2); }));
  auto items = Outbox(*store_);
  const store::NotificationRecord& down = items[0].sink == "down" ? items[0] : items[1];
  const store::NotificationRecord& refusing = items[0].sink == "down" ? items[1] : items[0];
  EXPECT_EQ(down.status, store::NotificationStatus::kDeadLetter);
  EXPECT_EQ(down.attempts, 3);
  EXPECT_EQ(down.last_error, "HTTP 500 Internal Server Error");
  EXPECT_EQ(refusing.status, store::NotificationStatus::kDeadLetter);
  EXPECT_EQ(refusing.attempts, 1);
  EXPECT_EQ(refusing.last_error, "HTTP 400 Bad Request");
  EXPECT_EQ(receiver_.Count("/status/500"), 3u);
  EXPECT_EQ(receiver_.Count("/status/400"), 1u);
  EXPECT_EQ(notifier_->Stats().dead_lettered.at("slack"), 2);

  auto retried = notifier_->Retry(refusing.id, {});
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_EQ(retried->status, store::NotificationStatus::kPending);
  ASSERT_TRUE(receiver_.WaitFor("/status/400", 2));
  ASSERT_TRUE(WaitUntil([&] { return AllSettled(*store_, 2); }));
  EXPECT_EQ(store_->GetNotification(refusing.id).value().status,
            store::NotificationStatus::kDeadLetter);
  EXPECT_EQ(notifier_->Retry(refusing.id + 100, {}).status().code(), StatusCode::kNotFound);
}

TEST_F(NotifierTest, PagerDutyIsTriggeredByAFailureAndResolvedWhenTheRedriveSucceeds) {
  store_.CreateMachine("nightly-load", kLoad);
  NotifierOptions o = FastOptions();
  NotificationSink pager = Sink("pager", "pagerduty", receiver_.Url("/echo/pd"));
  pager.severity = "critical";
  o.sinks = {pager};
  o.rules = {Rule("page", {"nightly-*"}, {"FAILED", "TIMED_OUT"}, "pager")};
  StartNotifier(o);
  TestEngine engine(store_.get());
  const std::string arn = Run(engine, "nightly-load", "r");
  ASSERT_TRUE(receiver_.WaitFor("/echo/pd", 1));
  const Json trigger = Json::parse(SeenAt(receiver_, "/echo/pd")[0].body);
  EXPECT_EQ(trigger["event_action"], "trigger");
  EXPECT_EQ(trigger["routing_key"], "R0UT1NGKEY");
  EXPECT_EQ(trigger["dedup_key"], arn);
  EXPECT_EQ(trigger["payload"]["severity"], "critical");
  EXPECT_EQ(trigger["payload"]["component"], "nightly-load");
  EXPECT_EQ(trigger["payload"]["source"], "stepd");
  EXPECT_EQ(trigger["payload"]["summary"], "nightly-load/r FAILED in Load: Upstream.Down");
  EXPECT_EQ(trigger["payload"]["custom_details"]["cause"], "503 from the warehouse <db-1>");

  engine.executor.AnswerAll(Json("ok"));
  std::promise<StatusOr<RedriveResult>> redriven;
  engine.engine->RedriveExecution(
      {arn, "operator", ""}, [&](StatusOr<RedriveResult> r) { redriven.set_value(std::move(r)); });
  ASSERT_TRUE(redriven.get_future().get().ok());
  ASSERT_EQ(WaitForEnd(*store_, arn).status, store::ExecutionStatus::kSucceeded);
  ASSERT_TRUE(receiver_.WaitFor("/echo/pd", 2));
  const Json resolve = Json::parse(SeenAt(receiver_, "/echo/pd")[1].body);
  EXPECT_EQ(resolve,
            (Json{{"routing_key", "R0UT1NGKEY"}, {"event_action", "resolve"}, {"dedup_key", arn}}));
  ASSERT_TRUE(WaitUntil([&] { return AllSettled(*store_, 2); }));
  WaitForCursorAtHead();
  EXPECT_EQ(receiver_.Count("/echo/pd"), 2u);
}

TEST_F(NotifierTest, ASuccessWithoutAnEarlierTriggerResolvesNothing) {
  store_.CreateMachine("nightly-load", kLoad);
  NotifierOptions o = FastOptions();
  o.sinks = {Sink("pager", "pagerduty", receiver_.Url("/echo/pd"))};
  o.rules = {Rule("page", {"other-*"}, {"FAILED"}, "pager")};
  StartNotifier(o);
  TestEngine engine(store_.get());
  const std::string arn = Run(engine, "nightly-load", "r");  // no rule: no trigger
  engine.executor.AnswerAll(Json("ok"));
  std::promise<StatusOr<RedriveResult>> redriven;
  engine.engine->RedriveExecution(
      {arn, "operator", ""}, [&](StatusOr<RedriveResult> r) { redriven.set_value(std::move(r)); });
  ASSERT_TRUE(redriven.get_future().get().ok());
  ASSERT_EQ(WaitForEnd(*store_, arn).status, store::ExecutionStatus::kSucceeded);
  WaitForCursorAtHead();
  EXPECT_TRUE(Outbox(*store_).empty());
}

TEST_F(NotifierTest, PendingItemsResumeAfterARestartWithoutDuplicates) {
  store_.CreateMachine("nightly-load", kLoad);
  FakeClock clock{std::chrono::system_clock::time_point(std::chrono::seconds(1800000000))};
  NotifierOptions o = FastOptions();
  o.initial_backoff = std::chrono::minutes(1);  // the next attempt waits for the clock
  o.max_backoff = std::chrono::minutes(1);
  o.sinks = {Sink("ops", "slack", receiver_.Url("/status/503"))};
  o.rules = {Rule("all", {}, {"FAILED"}, "ops")};
  StartNotifier(o, &clock);
  std::string first, second;
  {
    TestEngine engine(store_.get());
    first = Run(engine, "nightly-load", "a");
    ASSERT_TRUE(receiver_.WaitFor("/status/503", 1));
    ASSERT_TRUE(WaitUntil([&] {
      auto items = Outbox(*store_);
      return items.size() == 1 && items[0].attempts == 1;
    }));
    notifier_.reset();                          // stopped with the item PENDING
    second = Run(engine, "nightly-load", "b");  // fails while no notifier runs
  }
  store_.Reopen();
  // The same sink, answering now.
  o.sinks = {Sink("ops", "slack", receiver_.Url("/echo/slack"))};
  StartNotifier(o, &clock);
  clock.Advance(std::chrono::minutes(2));
  notifier_->Wake();
  ASSERT_TRUE(WaitUntil([&] { return AllSettled(*store_, 2); }));
  WaitForCursorAtHead();
  auto items = Outbox(*store_);
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[1].execution_arn, first);
  EXPECT_EQ(items[1].attempts, 2);
  EXPECT_EQ(items[0].execution_arn, second);
  EXPECT_EQ(items[0].attempts, 1);
  for (const auto& item : items) EXPECT_EQ(item.status, store::NotificationStatus::kDelivered);
  EXPECT_EQ(receiver_.Count("/echo/slack"), 2u);
  EXPECT_EQ(receiver_.Count("/status/503"), 1u);
  notifier_.reset();  // before `clock` goes
}

TEST_F(NotifierTest, StoredSinksAreSealedAndRulesMustNameAKnownSink) {
  StartNotifier(FastOptions());
  NotificationSink hook = Sink("hook", "webhook", receiver_.Url("/echo/SECRETPATH"));
  EXPECT_TRUE(notifier_->PutSink(hook, {}).value());
  auto stored = store_->ListNotificationSinks().value();
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_THAT(stored[0].sealed_secrets, Not(HasSubstr("SECRETPATH")));
  EXPECT_THAT(stored[0].sealed_secrets, Not(HasSubstr(kSecret)));
  auto sinks = notifier_->Sinks().value();
  ASSERT_EQ(sinks.size(), 1u);
  EXPECT_EQ(sinks[0].url, hook.url);
  EXPECT_EQ(sinks[0].secret, kSecret);
  EXPECT_EQ(sinks[0].source, "api");
  EXPECT_EQ(notifier_->PutRule(Rule("r", {}, {"FAILED"}, "nope"), {}).status(),
            InvalidArgumentError("unknown sink 'nope'"));
  EXPECT_TRUE(notifier_->PutRule(Rule("r", {}, {"FAILED"}, "hook"), {}).value());
  EXPECT_EQ(notifier_->Rules().value().at(0).source, "api");
}

TEST_F(NotifierTest, ConfigSinksAndRulesCannotBeChangedThroughTheApi) {
  NotifierOptions o = FastOptions();
  o.sinks = {Sink("ops", "slack", receiver_.Url("/echo/slack"))};
  o.rules = {Rule("all", {}, {"FAILED"}, "ops")};
  StartNotifier(o);
  EXPECT_EQ(notifier_->PutSink(Sink("ops", "slack", "https://x.example"), {}).status().code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(notifier_->DeleteSink("ops", {}).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(notifier_->DeleteRule("all", {}).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(notifier_->Sinks().value().at(0).source, "config");
}

// --- Several nodes ----------------------------------------------------------------

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int64_t Delivered(const Notifier& notifier, const std::string& type) {
  const NotifierStats stats = notifier.Stats();
  auto it = stats.delivered.find(type);
  return it == stats.delivered.end() ? 0 : it->second;
}

// Forwards to the real store and counts lease calls. The first time the
// notifier reads audit rows that hold a transition, runs `meanwhile` (what
// another node does while this one scans); then counts the cursor reads
// and lease calls that follow.
class InterleavingStore : public store::StoreWrapper {
 public:
  using StoreWrapper::StoreWrapper;
  StatusOr<std::vector<store::AuditRecord>> ListAuditTransitionsAfter(
      int64_t after_seq, const std::vector<std::string>& actions, int limit) override {
    auto rows = StoreWrapper::ListAuditTransitionsAfter(after_seq, actions, limit);
    std::function<void()> run;
    {
      std::lock_guard lock(mu_);
      if (rows.ok() && !rows->empty() && meanwhile_) run = std::exchange(meanwhile_, nullptr);
    }
    if (run) {
      run();
      ran = true;
    }
    return rows;
  }
  StatusOr<std::optional<int64_t>> GetNotificationCursor() override {
    if (ran) ++cursor_reads_after;
    return StoreWrapper::GetNotificationCursor();
  }
  StatusOr<bool> AcquireLease(std::string_view name, std::string_view holder, int64_t now_ms,
                              int64_t expires_ms) override {
    ++lease_calls;
    if (ran) ++acquires_after;
    return StoreWrapper::AcquireLease(name, holder, now_ms, expires_ms);
  }
  Status ReleaseLease(std::string_view name, std::string_view holder) override {
    ++lease_calls;
    return StoreWrapper::ReleaseLease(name, holder);
  }
  void Meanwhile(std::function<void()> f) {
    std::lock_guard lock(mu_);
    meanwhile_ = std::move(f);
  }
  std::atomic<bool> ran{false};
  std::atomic<int> cursor_reads_after{0};
  std::atomic<int> acquires_after{0};
  std::atomic<int> lease_calls{0};

 private:
  std::mutex mu_;
  std::function<void()> meanwhile_;
};

NotifierOptions NodeOptions(const TargetServer& receiver, const std::string& node_id) {
  NotifierOptions o = FastOptions();
  o.sinks = {Sink("ops", "slack", receiver.Url("/echo/slack"))};
  o.rules = {Rule("all", {}, {"FAILED"}, "ops")};
  o.node_id = node_id;
  return o;
}

TEST_F(NotifierTest, WithoutANodeIdNoLeaseIsTakenOrGivenUp) {
  store_.CreateMachine("nightly-load", kLoad);
  InterleavingStore counting(store_.get());
  auto notifier =
      std::make_unique<Notifier>(NodeOptions(receiver_, ""), &counting, SystemClock::Default(),
                                 client_.get(), &*box_, nullptr);
  ASSERT_EQ(notifier->Start(), Status::OK());
  TestEngine engine(store_.get());
  Run(engine, "nightly-load", "a");
  ASSERT_TRUE(WaitUntil([&] { return AllSettled(*store_, 1); }));
  notifier->Stop();
  EXPECT_EQ(counting.lease_calls, 0);
}

TEST_F(NotifierTest, OnSeveralNodesTheLeaseHolderQueuesAndDeliversEachOnceAndHandsOverOnStop) {
  store_.CreateMachine("nightly-load", kLoad);
  // Renewed (and tried by the other node) every 2 s; it would run out 10 s
  // after the holder's last renewal.
  auto a = std::make_unique<Notifier>(NodeOptions(receiver_, "node-a"), store_.get(),
                                      SystemClock::Default(), client_.get(), &*box_, nullptr);
  auto b = std::make_unique<Notifier>(NodeOptions(receiver_, "node-b"), store_.get(),
                                      SystemClock::Default(), client_.get(), &*box_, nullptr);
  ASSERT_EQ(a->Start(), Status::OK());
  ASSERT_EQ(b->Start(), Status::OK());
  TestEngine engine(store_.get());
  for (int i = 0; i < 5; ++i) Run(engine, "nightly-load", "run-" + std::to_string(i));
  ASSERT_TRUE(WaitUntil([&] { return AllSettled(*store_, 5); }));
  WaitForCursorAtHead();
  EXPECT_EQ(Outbox(*store_).size(), 5u);
  EXPECT_EQ(receiver_.Count("/echo/slack"), 5u);
  const int64_t by_a = Delivered(*a, "slack");
  const int64_t by_b = Delivered(*b, "slack");
  EXPECT_EQ(by_a + by_b, 5);
  EXPECT_TRUE(by_a == 0 || by_b == 0) << by_a << " and " << by_b;  // one holder throughout

  // The holder stops and gives the lease up: the other node takes it at
  // its next try (2 s), not once it would have run out (8 s or more).
  Notifier& holder = by_a > 0 ? *a : *b;
  Notifier& other = by_a > 0 ? *b : *a;
  holder.Stop();
  Run(engine, "nightly-load", "after");
  EXPECT_TRUE(WaitUntil([&] { return AllSettled(*store_, 6); }, std::chrono::seconds(6)));
  EXPECT_EQ(Delivered(other, "slack"), 1);
  EXPECT_EQ(receiver_.Count("/echo/slack"), 6u);
  a.reset();
  b.reset();
}

TEST_F(NotifierTest, OnSeveralNodesRowsAnotherNodeQueuedWhileThisOneScannedAreNotQueuedAgain) {
  store_.CreateMachine("nightly-load", kLoad);
  InterleavingStore racing(store_.get());
  auto notifier =
      std::make_unique<Notifier>(NodeOptions(receiver_, "node-a"), &racing, SystemClock::Default(),
                                 client_.get(), &*box_, nullptr);
  ASSERT_EQ(notifier->Start(), Status::OK());
  // Another node (which held the lease before this one's pause, say)
  // commits its scan of the same rows from the same cursor; it queued
  // nothing here, so that a duplicate would show.
  racing.Meanwhile([&] {
    const int64_t head = store_->GetAuditHead().value().seq;
    EXPECT_TRUE(store_->EnqueueNotifications(head, {}).ok());
  });
  TestEngine engine(store_.get());
  Run(engine, "nightly-load", "a");
  // The check, the next scan and one more pass.
  ASSERT_TRUE(WaitUntil([&] { return racing.cursor_reads_after >= 3; }));
  WaitForCursorAtHead();
  EXPECT_TRUE(Outbox(*store_).empty());
  EXPECT_EQ(receiver_.Count("/echo/slack"), 0u);
}

TEST_F(NotifierTest, OnSeveralNodesAHolderThatLostTheLeaseWhileScanningQueuesNothing) {
  store_.CreateMachine("nightly-load", kLoad);
  InterleavingStore racing(store_.get());
  NotifierOptions o = NodeOptions(receiver_, "node-a");
  o.lease_time = std::chrono::seconds(1);  // tried every 200 ms
  auto notifier = std::make_unique<Notifier>(o, &racing, SystemClock::Default(), client_.get(),
                                             &*box_, nullptr);
  ASSERT_EQ(notifier->Start(), Status::OK());
  // node-a stalls past its lease while it scans: node-b takes the lease.
  racing.Meanwhile([&] {
    const int64_t later = NowMs() + 60000;
    EXPECT_EQ(store_->AcquireLease("notifier", "node-b", later, later + 60000).value(), true);
  });
  TestEngine engine(store_.get());
  Run(engine, "nightly-load", "a");
  // The renewal before queueing, and two tries after it.
  ASSERT_TRUE(WaitUntil([&] { return racing.acquires_after >= 3; }));
  EXPECT_TRUE(Outbox(*store_).empty());
  // node-b stops (without having queued anything, to show who does):
  // node-a takes the lease back and queues the row once.
  ASSERT_EQ(store_->ReleaseLease("notifier", "node-b"), Status::OK());
  ASSERT_TRUE(WaitUntil([&] { return AllSettled(*store_, 1); }));
  EXPECT_EQ(receiver_.Count("/echo/slack"), 1u);
}

}  // namespace
}  // namespace stepd::runtime
