#include "stepd/runtime/scheduler.h"

#include <date/date.h>
#include <gtest/gtest.h>

#include <atomic>

#include "runtime/runtime_testing.h"
#include "stepd/base/json.h"

namespace stepd::runtime {
namespace {

using testing::AuditRows;
using testing::MachineArn;
using testing::TestEngine;
using testing::TestStore;

constexpr char kPass[] = R"({"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}})";

TimePoint Utc(int y, unsigned m, unsigned d, int h = 0, int mi = 0, int s = 0) {
  return TimePoint(date::sys_days(date::year(y) / date::month(m) / date::day(d)) +
                   std::chrono::hours(h) + std::chrono::minutes(mi) + std::chrono::seconds(s));
}

int64_t Ms(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

ScheduleSpec Spec(const std::string& name, const std::string& expression) {
  ScheduleSpec s;
  s.name = name;
  s.state_machine = "m";
  s.expression = expression;
  s.input = R"({"from":"schedule"})";
  return s;
}

const ScheduleCaller kAdmin{"admin", R"({"request_id":"r-1"})"};

// Forwards to the real store but cannot write a schedule: the crash window
// between a start and the advance past its due time.
class NoAdvanceStore : public store::StoreWrapper {
 public:
  using StoreWrapper::StoreWrapper;
  StatusOr<int64_t> UpdateSchedule(const store::ScheduleRecord&,
                                   const std::vector<store::AuditEntry>&) override {
    ++refused;
    return UnavailableError("UpdateSchedule: database is locked");
  }
  std::atomic<int> refused{0};
};

class SchedulerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_.CreateMachine("m", kPass);
    NewRuntime();
  }

  // A fresh engine and scheduler on the store (a restart), at the same time.
  void NewRuntime(store::Store* scheduler_store = nullptr) {
    scheduler_.reset();
    engine_.reset();
    engine_ = std::make_unique<TestEngine>(store_.get());
    engine_->clock.Set(now_);
    scheduler_ = std::make_unique<Scheduler>(scheduler_store ? scheduler_store : store_.get(),
                                             engine_->engine.get(), &engine_->clock,
                                             SchedulerOptions{}, nullptr);
  }

  void At(TimePoint t) {
    now_ = t;
    engine_->clock.Set(t);
  }

  std::vector<store::ExecutionRecord> Executions(const std::string& machine = "m") {
    store::ExecutionFilter filter;
    filter.state_machine_arn = MachineArn(machine);
    auto page = store_->ListExecutions(filter, {});
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    return page.ok() ? page->items : std::vector<store::ExecutionRecord>{};
  }

  std::vector<std::string> ExecutionNames() {
    std::vector<std::string> names;
    for (const auto& e : Executions()) names.push_back(e.name);
    std::sort(names.begin(), names.end());
    return names;
  }

  std::vector<store::AuditRecord> Rows(const std::string& action) {
    std::vector<store::AuditRecord> rows;
    for (const auto& row : AuditRows(*store_)) {
      if (row.entry.action == action) rows.push_back(row);
    }
    return rows;
  }

  store::ScheduleRecord Stored(const std::string& name) {
    return store_->GetSchedule(name).value();
  }

  TimePoint now_ = Utc(2026, 3, 28, 7);
  TestStore store_;
  std::unique_ptr<TestEngine> engine_;
  std::unique_ptr<Scheduler> scheduler_;
};

TEST_F(SchedulerTest, RateStartsOneAuditedExecutionPerDueTime) {
  ASSERT_TRUE(scheduler_->Create(Spec("every5", "rate(5 minutes)"), kAdmin).ok());
  scheduler_->FireDue();
  EXPECT_TRUE(Executions().empty());

  At(Utc(2026, 3, 28, 7, 5));
  scheduler_->FireDue();
  scheduler_->FireDue();  // the same due time again: nothing new
  ASSERT_EQ(ExecutionNames(), (std::vector<std::string>{"every5-20260328T070500Z"}));
  const store::ExecutionRecord e = Executions()[0];
  EXPECT_EQ(e.started_by, "schedule:every5");
  EXPECT_EQ(e.input, R"({"from":"schedule"})");
  const auto started = Rows("ExecutionStarted");
  ASSERT_EQ(started.size(), 1u);
  EXPECT_EQ(started[0].entry.actor, "schedule:every5");
  const Json details = ParseJson(started[0].entry.details_json).value();
  EXPECT_EQ(details["source"], "schedule");
  EXPECT_EQ(details["schedule"], "every5");
  EXPECT_EQ(details["scheduled_time"], "2026-03-28T07:05:00.000Z");

  const store::ScheduleRecord s = Stored("every5");
  EXPECT_EQ(s.last_fire_ms, Ms(Utc(2026, 3, 28, 7, 5)));
  EXPECT_EQ(s.next_fire_ms, Ms(Utc(2026, 3, 28, 7, 10)));
  EXPECT_EQ(s.last_execution_arn, e.arn);

  At(Utc(2026, 3, 28, 7, 10, 30));
  scheduler_->FireDue();
  EXPECT_EQ(ExecutionNames(),
            (std::vector<std::string>{"every5-20260328T070500Z", "every5-20260328T071000Z"}));
  EXPECT_EQ(scheduler_->Stats().fires, 2u);
  EXPECT_EQ(scheduler_->Stats().schedules_enabled, 1u);
  EXPECT_EQ(scheduler_->Stats().next_due_ms, Ms(Utc(2026, 3, 28, 7, 15)));
}

TEST_F(SchedulerTest, CronFiresAtLocalTimeAcrossTheSpringForward) {
  ScheduleSpec spec = Spec("morning", "cron(0 9 * * ? *)");
  spec.timezone = "Europe/Berlin";
  ASSERT_TRUE(scheduler_->Create(spec, kAdmin).ok());
  EXPECT_EQ(Stored("morning").next_fire_ms, Ms(Utc(2026, 3, 28, 8)));  // 09:00 CET
  At(Utc(2026, 3, 28, 8, 0, 20));
  scheduler_->FireDue();
  EXPECT_EQ(ExecutionNames(), (std::vector<std::string>{"morning-20260328T080000Z"}));
  // The clocks spring forward overnight: 09:00 CEST is 07:00Z.
  EXPECT_EQ(Stored("morning").next_fire_ms, Ms(Utc(2026, 3, 29, 7)));
  const auto upcoming = scheduler_->Upcoming(Stored("morning"), 2);
  ASSERT_EQ(upcoming.size(), 2u);
  EXPECT_EQ(upcoming[1], Utc(2026, 3, 30, 7));
}

TEST_F(SchedulerTest, RestartDoesNotFireADueTimeTwice) {
  ASSERT_TRUE(scheduler_->Create(Spec("s", "rate(1 hour)"), kAdmin).ok());
  At(Utc(2026, 3, 28, 8));
  scheduler_->FireDue();
  ASSERT_EQ(Executions().size(), 1u);
  scheduler_.reset();
  engine_.reset();
  store_.Reopen();
  NewRuntime();
  scheduler_->FireDue();
  EXPECT_EQ(Executions().size(), 1u);
  EXPECT_EQ(Stored("s").next_fire_ms, Ms(Utc(2026, 3, 28, 9)));
}

TEST_F(SchedulerTest, CrashBetweenStartAndAdvanceRefiresTheSameNameAsANoOp) {
  ASSERT_TRUE(scheduler_->Create(Spec("s", "rate(1 hour)"), kAdmin).ok());
  At(Utc(2026, 3, 28, 8));
  NoAdvanceStore no_advance(store_.get());
  NewRuntime(&no_advance);
  scheduler_->FireDue();  // starts, then cannot record the advance
  EXPECT_GE(no_advance.refused.load(), 1);
  ASSERT_EQ(ExecutionNames(), (std::vector<std::string>{"s-20260328T080000Z"}));
  EXPECT_EQ(Stored("s").next_fire_ms, Ms(Utc(2026, 3, 28, 8)));  // still due

  // "Crash" and restart; the start is durable, the advance never was.
  scheduler_.reset();
  engine_.reset();
  store_.Reopen();
  NewRuntime();
  testing::WaitForEnd(*store_, Executions()[0].arn);
  scheduler_->FireDue();
  EXPECT_EQ(ExecutionNames(), (std::vector<std::string>{"s-20260328T080000Z"}));
  const store::ScheduleRecord s = Stored("s");
  EXPECT_EQ(s.next_fire_ms, Ms(Utc(2026, 3, 28, 9)));
  EXPECT_EQ(s.last_fire_ms, Ms(Utc(2026, 3, 28, 8)));
  EXPECT_EQ(s.last_execution_arn, Executions()[0].arn);
  EXPECT_EQ(s.last_error, "");
  EXPECT_EQ(scheduler_->Stats().fires, 0u);  // this process started nothing
}

TEST_F(SchedulerTest, CatchUpSkipAdvancesPastMissedTimesWithoutStarting) {
  ScheduleSpec spec = Spec("hourly", "rate(1 hour)");
  spec.catch_up = store::ScheduleCatchUp::kSkip;
  ASSERT_TRUE(scheduler_->Create(spec, kAdmin).ok());
  At(Utc(2026, 3, 28, 12, 10));  // down from before 08:00 to 12:10: five missed
  scheduler_->FireDue();
  EXPECT_TRUE(Executions().empty());
  EXPECT_EQ(Stored("hourly").next_fire_ms, Ms(Utc(2026, 3, 28, 13)));
  EXPECT_EQ(scheduler_->Stats().missed_skipped, 5u);
  const auto missed = Rows("ScheduleMissed");
  ASSERT_EQ(missed.size(), 1u);
  EXPECT_EQ(missed[0].entry.actor, "schedule:hourly");
  const Json details = ParseJson(missed[0].entry.details_json).value();
  EXPECT_EQ(details["missed"], 5);
  EXPECT_EQ(details["first"], "2026-03-28T08:00:00.000Z");
  EXPECT_EQ(details["last"], "2026-03-28T12:00:00.000Z");
  EXPECT_EQ(details["catch_up"], "SKIP");
}

TEST_F(SchedulerTest, CatchUpLastRunsTheMostRecentMissedTimeOnce) {
  ASSERT_TRUE(scheduler_->Create(Spec("hourly", "rate(1 hour)"), kAdmin).ok());  // LAST
  At(Utc(2026, 3, 28, 12, 10));
  scheduler_->FireDue();
  scheduler_->FireDue();
  EXPECT_EQ(ExecutionNames(), (std::vector<std::string>{"hourly-20260328T120000Z"}));
  EXPECT_EQ(Stored("hourly").next_fire_ms, Ms(Utc(2026, 3, 28, 13)));
  EXPECT_EQ(Stored("hourly").last_fire_ms, Ms(Utc(2026, 3, 28, 12)));
  EXPECT_EQ(scheduler_->Stats().missed_skipped, 4u);
  EXPECT_EQ(scheduler_->Stats().fires, 1u);
}

TEST_F(SchedulerTest, ALateDueTimeWithinTheGraceStillFires) {
  ScheduleSpec spec = Spec("hourly", "rate(1 hour)");
  spec.catch_up = store::ScheduleCatchUp::kSkip;
  ASSERT_TRUE(scheduler_->Create(spec, kAdmin).ok());
  At(Utc(2026, 3, 28, 8, 0, 59));
  scheduler_->FireDue();
  EXPECT_EQ(ExecutionNames(), (std::vector<std::string>{"hourly-20260328T080000Z"}));
  EXPECT_EQ(scheduler_->Stats().missed_skipped, 0u);
}

TEST_F(SchedulerTest, StartAndEndBoundTheFires) {
  ScheduleSpec spec = Spec("window", "rate(1 hour)");
  spec.start_ms = Ms(Utc(2026, 3, 28, 9, 30));
  spec.end_ms = Ms(Utc(2026, 3, 28, 11, 30));
  ASSERT_TRUE(scheduler_->Create(spec, kAdmin).ok());
  // Anchored at its start: 09:30 and 10:30; 11:30 is the (exclusive) end.
  EXPECT_EQ(Stored("window").next_fire_ms, Ms(Utc(2026, 3, 28, 9, 30)));
  for (TimePoint t :
       {Utc(2026, 3, 28, 9, 30), Utc(2026, 3, 28, 10, 30), Utc(2026, 3, 28, 11, 30)}) {
    At(t);
    scheduler_->FireDue();
  }
  EXPECT_EQ(ExecutionNames(),
            (std::vector<std::string>{"window-20260328T093000Z", "window-20260328T103000Z"}));
  EXPECT_EQ(Stored("window").next_fire_ms, std::nullopt);
}

TEST_F(SchedulerTest, AtFiresOnceAndThenHasNoNextTime) {
  ASSERT_TRUE(scheduler_->Create(Spec("once", "at(2026-03-28T08:15:00)"), kAdmin).ok());
  At(Utc(2026, 3, 28, 8, 15));
  scheduler_->FireDue();
  At(Utc(2026, 3, 29));
  scheduler_->FireDue();
  EXPECT_EQ(ExecutionNames(), (std::vector<std::string>{"once-20260328T081500Z"}));
  EXPECT_EQ(Stored("once").next_fire_ms, std::nullopt);
}

TEST_F(SchedulerTest, DisabledSchedulesDoNotFireAndResumeFromNow) {
  ASSERT_TRUE(scheduler_->Create(Spec("s", "rate(1 hour)"), kAdmin).ok());
  ASSERT_TRUE(scheduler_->SetEnabled("s", false, kAdmin).ok());
  EXPECT_EQ(Stored("s").next_fire_ms, std::nullopt);
  At(Utc(2026, 3, 28, 10, 10));
  scheduler_->FireDue();
  EXPECT_TRUE(Executions().empty());
  EXPECT_EQ(scheduler_->Stats().schedules_enabled, 0u);
  ASSERT_TRUE(scheduler_->SetEnabled("s", true, kAdmin).ok());
  // Anchored at its creation (07:00): the next hour after now, nothing caught up.
  EXPECT_EQ(Stored("s").next_fire_ms, Ms(Utc(2026, 3, 28, 11)));
  scheduler_->FireDue();
  EXPECT_TRUE(Executions().empty());
  EXPECT_EQ(Rows("DisableSchedule").size(), 1u);
  EXPECT_EQ(Rows("EnableSchedule").size(), 1u);
}

TEST_F(SchedulerTest, AFireWhoseTargetIsGoneIsRecordedAndTheScheduleMovesOn) {
  ASSERT_TRUE(scheduler_->Create(Spec("s", "rate(1 hour)"), kAdmin).ok());
  ASSERT_EQ(store_->DeleteStateMachine(MachineArn("m"), {}), Status::OK());
  At(Utc(2026, 3, 28, 8));
  scheduler_->FireDue();
  const store::ScheduleRecord s = Stored("s");
  EXPECT_NE(s.last_error, "");
  EXPECT_EQ(s.next_fire_ms, Ms(Utc(2026, 3, 28, 9)));
  EXPECT_EQ(scheduler_->Stats().failures, 1u);
  const auto failed = Rows("ScheduleFireFailed");
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].entry.target, "s");
}

TEST_F(SchedulerTest, AVersionQualifierRunsThatVersion) {
  ASSERT_TRUE(store_->PublishStateMachineVersion(MachineArn("m"), "", "", 0, {}).ok());
  ScheduleSpec spec = Spec("v", "rate(1 hour)");
  spec.qualifier = "1";
  ASSERT_TRUE(scheduler_->Create(spec, kAdmin).ok());
  At(Utc(2026, 3, 28, 8));
  scheduler_->FireDue();
  ASSERT_EQ(Executions().size(), 1u);
  EXPECT_EQ(Executions()[0].state_machine_version, 1);
}

TEST_F(SchedulerTest, CreateRefusesBadSchedulesByName) {
  EXPECT_EQ(scheduler_->Create(Spec("s", "cron(0 24 * * ? *)"), kAdmin).status(),
            InvalidArgumentError("schedule 's': cron: hours '24' is out of range (0-23)"));
  ScheduleSpec zone = Spec("s", "rate(1 hour)");
  zone.timezone = "Mars/Olympus";
  EXPECT_EQ(scheduler_->Create(zone, kAdmin).status(),
            InvalidArgumentError("schedule 's': unknown time zone 'Mars/Olympus' (an IANA name "
                                 "such as Europe/Berlin)"));
  ScheduleSpec target = Spec("s", "rate(1 hour)");
  target.state_machine = "nope";
  EXPECT_EQ(scheduler_->Create(target, kAdmin).status(),
            InvalidArgumentError("schedule 's': state machine "
                                 "'arn:aws:states:us-east-1:123456789012:stateMachine:nope' does "
                                 "not exist"));
  ScheduleSpec version = Spec("s", "rate(1 hour)");
  version.qualifier = "7";
  EXPECT_EQ(scheduler_->Create(version, kAdmin).status(),
            InvalidArgumentError("schedule 's': version 7 of state machine "
                                 "'arn:aws:states:us-east-1:123456789012:stateMachine:m' does not "
                                 "exist"));
  ScheduleSpec input = Spec("s", "rate(1 hour)");
  input.input = "{nope";
  EXPECT_EQ(scheduler_->Create(input, kAdmin).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(scheduler_->Create(Spec("bad name", "rate(1 hour)"), kAdmin).status(),
            InvalidArgumentError(
                "schedule name 'bad name' must be 1 to 64 letters, digits, '-', '_' or '.'"));
  EXPECT_TRUE(store_->ListSchedules().value().empty());
}

TEST_F(SchedulerTest, ConfigSchedulesAreUpsertedReadOnlyAndRemovedWithTheConfig) {
  ScheduleSpec spec = Spec("nightly", "cron(0 2 * * ? *)");
  ASSERT_EQ(scheduler_->SyncConfig({spec}), Status::OK());
  store::ScheduleRecord first = Stored("nightly");
  EXPECT_EQ(first.source, "config");
  EXPECT_EQ(scheduler_->Replace(spec, kAdmin).status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(scheduler_->Delete("nightly", kAdmin).code(), StatusCode::kFailedPrecondition);
  // The same config again changes nothing.
  ASSERT_EQ(scheduler_->SyncConfig({spec}), Status::OK());
  EXPECT_EQ(Stored("nightly").revision, first.revision);
  spec.expression = "cron(0 3 * * ? *)";
  ASSERT_EQ(scheduler_->SyncConfig({spec}), Status::OK());
  EXPECT_EQ(Stored("nightly").next_fire_ms, Ms(Utc(2026, 3, 29, 3)));
  ASSERT_EQ(scheduler_->SyncConfig({}), Status::OK());
  EXPECT_EQ(store_->GetSchedule("nightly").status().code(), StatusCode::kNotFound);
}

TEST_F(SchedulerTest, FireNowStartsTheTargetAsTheCaller) {
  ASSERT_TRUE(scheduler_->Create(Spec("s", "rate(1 day)"), kAdmin).ok());
  StatusOr<StartResult> started = scheduler_->FireNow("s", kAdmin);
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  ASSERT_EQ(Executions().size(), 1u);
  EXPECT_EQ(Executions()[0].started_by, "admin");
  const auto rows = Rows("ExecutionStarted");
  ASSERT_EQ(rows.size(), 1u);
  const Json details = ParseJson(rows[0].entry.details_json).value();
  EXPECT_EQ(details["schedule"], "s");
  EXPECT_EQ(details["manual"], true);
  EXPECT_EQ(Stored("s").last_fire_ms, std::nullopt);  // its due times are unchanged
  EXPECT_EQ(scheduler_->FireNow("nope", kAdmin).status().code(), StatusCode::kNotFound);
}

TEST_F(SchedulerTest, TheThreadFiresWhatIsDueWhenTheClockGetsThere) {
  SchedulerOptions options;
  options.max_sleep = std::chrono::milliseconds(5);  // notices the fake clock's jumps quickly
  scheduler_ = std::make_unique<Scheduler>(store_.get(), engine_->engine.get(), &engine_->clock,
                                           options, nullptr);
  ASSERT_TRUE(scheduler_->Create(Spec("s", "rate(1 minute)"), kAdmin).ok());
  scheduler_->Start();
  At(Utc(2026, 3, 28, 7, 1));
  EXPECT_TRUE(testing::WaitUntil([&] { return Executions().size() == 1; }));
  At(Utc(2026, 3, 28, 7, 2));
  EXPECT_TRUE(testing::WaitUntil([&] { return Executions().size() == 2; }));
  scheduler_->Stop();
  EXPECT_EQ(ExecutionNames(),
            (std::vector<std::string>{"s-20260328T070100Z", "s-20260328T070200Z"}));
}

// --- Several nodes -------------------------------------------------------------------

// A scheduler of node `node_id` on `store` (the fixture's engine and clock).
std::unique_ptr<Scheduler> NodeScheduler(
    store::Store* store, TestEngine& engine, const std::string& node_id,
    std::chrono::milliseconds max_sleep = std::chrono::seconds(1)) {
  SchedulerOptions options;
  options.node_id = node_id;
  options.lease_time = std::chrono::seconds(10);  // renewed (or tried) every 2 s
  options.max_sleep = max_sleep;
  return std::make_unique<Scheduler>(store, engine.engine.get(), &engine.clock, options, nullptr);
}

TEST_F(SchedulerTest, OnSeveralNodesOnlyTheLeaseHolderFiresAndAReleasedLeaseIsTakenAtOnce) {
  // EXPRESS: a due time fired on two nodes would start two executions.
  store_.CreateMachine("x", kPass, store::StateMachineType::kExpress);
  auto a = NodeScheduler(store_.get(), *engine_, "node-a");
  auto b = NodeScheduler(store_.get(), *engine_, "node-b");
  ScheduleSpec every5 = Spec("every5", "rate(5 minutes)");
  every5.state_machine = "x";
  ASSERT_TRUE(a->Create(every5, kAdmin).ok());
  ScheduleSpec once = Spec("once", "at(2026-03-28T07:10:05)");
  once.state_machine = "x";
  ASSERT_TRUE(a->Create(once, kAdmin).ok());

  // 07:05: a takes the lease; b, asking while a holds it, fires nothing.
  At(Utc(2026, 3, 28, 7, 5));
  a->FireDue();
  b->FireDue();
  a->FireDue();
  b->FireDue();
  EXPECT_EQ(Executions("x").size(), 1u);
  EXPECT_EQ(a->Stats().fires, 1u);
  EXPECT_EQ(b->Stats().fires, 0u);
  EXPECT_EQ(b->Stats().next_due_ms, std::nullopt);  // the holder's business

  // 07:10: a's lease ran out at 07:05:10 (the clock jumped): whoever asks
  // first holds it; the other fires nothing.
  At(Utc(2026, 3, 28, 7, 10));
  b->FireDue();
  a->FireDue();
  b->FireDue();
  EXPECT_EQ(Executions("x").size(), 2u);
  EXPECT_EQ(b->Stats().fires, 1u);
  EXPECT_EQ(a->Stats().fires, 1u);

  // b stops and gives the lease up: a takes it at its next try (every
  // 2 s), long before b's lease would have run out (07:10:10).
  b->Stop();
  At(Utc(2026, 3, 28, 7, 10, 6));
  a->FireDue();
  EXPECT_EQ(a->Stats().fires, 2u);
  EXPECT_EQ(Executions("x").size(), 3u);
  EXPECT_EQ(Stored("once").last_fire_ms, Ms(Utc(2026, 3, 28, 7, 10, 5)));
  // A stopped node does not take it back.
  At(Utc(2026, 3, 28, 7, 15));
  b->FireDue();
  a->FireDue();
  EXPECT_EQ(Executions("x").size(), 4u);
  EXPECT_EQ(a->Stats().fires, 3u);
  EXPECT_EQ(b->Stats().fires, 1u);
}

TEST_F(SchedulerTest, OnSeveralNodesTheThreadsFireEachDueTimeOnce) {
  store_.CreateMachine("x", kPass, store::StateMachineType::kExpress);
  auto a = NodeScheduler(store_.get(), *engine_, "node-a", std::chrono::milliseconds(5));
  auto b = NodeScheduler(store_.get(), *engine_, "node-b", std::chrono::milliseconds(5));
  ScheduleSpec spec = Spec("s", "rate(1 minute)");
  spec.state_machine = "x";
  ASSERT_TRUE(a->Create(spec, kAdmin).ok());
  a->Start();
  b->Start();
  for (int minute = 1; minute <= 3; ++minute) {
    // Each jump outlasts the lease: whichever thread asks first takes it.
    At(Utc(2026, 3, 28, 7, minute));
    EXPECT_TRUE(testing::WaitUntil([&] { return Executions("x").size() == size_t(minute); }));
    // Advanced before the clock moves on (a jump between a start and its
    // advance is a node paused past its lease mid-fire: out of the lease's
    // reach).
    EXPECT_TRUE(testing::WaitUntil(
        [&] { return Stored("s").next_fire_ms == Ms(Utc(2026, 3, 28, 7, minute + 1)); }));
  }
  a->Stop();
  b->Stop();
  EXPECT_EQ(Executions("x").size(), 3u);
  EXPECT_EQ(a->Stats().fires + b->Stats().fires, 3u);
}

// Forwards to the real store; GetSchedule answers NOT_FOUND `stale_reads`
// times (another node creates it right after this one looked), and the
// first UpdateSchedule is preceded by another node's write of the same
// schedule (its revision moves on).
class RacingStore : public store::StoreWrapper {
 public:
  using StoreWrapper::StoreWrapper;
  StatusOr<store::ScheduleRecord> GetSchedule(std::string_view name) override {
    if (stale_reads > 0) {
      --stale_reads;
      return NotFoundError("GetSchedule: schedule '" + std::string(name) + "' does not exist");
    }
    return StoreWrapper::GetSchedule(name);
  }
  StatusOr<int64_t> UpdateSchedule(const store::ScheduleRecord& schedule,
                                   const std::vector<store::AuditEntry>& audit) override {
    if (interfere) {
      interfere = false;
      store::ScheduleRecord theirs = target()->GetSchedule(schedule.name).value();
      theirs.last_error = "another node's advance";
      EXPECT_TRUE(target()->UpdateSchedule(theirs, {}).ok());
    }
    return StoreWrapper::UpdateSchedule(schedule, audit);
  }
  StatusOr<std::vector<store::ScheduleRecord>> ListSchedules() override {
    if (stale_list) {
      std::vector<store::ScheduleRecord> list = std::move(*stale_list);
      stale_list.reset();
      return list;
    }
    return StoreWrapper::ListSchedules();
  }
  int stale_reads = 0;
  bool interfere = false;
  // Answered once by ListSchedules (what another node changed since).
  std::optional<std::vector<store::ScheduleRecord>> stale_list;
};

TEST_F(SchedulerTest, SyncConfigOnSeveralNodesIsIdempotentAndTheLastStartWins) {
  ScheduleSpec spec = Spec("nightly", "cron(0 2 * * ? *)");
  auto a = NodeScheduler(store_.get(), *engine_, "node-a");
  ASSERT_EQ(a->SyncConfig({spec}), Status::OK());
  const store::ScheduleRecord first = Stored("nightly");

  // b starts with the same config, having looked before a created it.
  RacingStore racing(store_.get());
  racing.stale_reads = 1;
  auto b = NodeScheduler(&racing, *engine_, "node-b");
  ASSERT_EQ(b->SyncConfig({spec}), Status::OK());
  EXPECT_EQ(Stored("nightly").revision, first.revision);
  EXPECT_EQ(Stored("nightly").next_fire_ms, first.next_fire_ms);
  EXPECT_EQ(Rows("CreateSchedule").size(), 1u);
  EXPECT_TRUE(Rows("UpdateSchedule").empty());

  // b's config differs, and a's write comes between b's read and b's
  // write: b reads again and its config is the store's.
  ScheduleSpec changed = spec;
  changed.expression = "cron(0 3 * * ? *)";
  racing.interfere = true;
  ASSERT_EQ(b->SyncConfig({changed}), Status::OK());
  EXPECT_EQ(Stored("nightly").expression, "cron(0 3 * * ? *)");
  EXPECT_EQ(Stored("nightly").next_fire_ms, Ms(Utc(2026, 3, 29, 3)));
  // a restarts with its own config: the last start wins.
  ASSERT_EQ(a->SyncConfig({spec}), Status::OK());
  EXPECT_EQ(Stored("nightly").expression, "cron(0 2 * * ? *)");
  // A schedule another node's start deletes meanwhile is no error.
  racing.stale_list = store_->ListSchedules().value();
  ASSERT_EQ(a->SyncConfig({}), Status::OK());
  ASSERT_EQ(b->SyncConfig({}), Status::OK());
  EXPECT_EQ(Rows("DeleteSchedule").size(), 1u);
  EXPECT_EQ(store_->GetSchedule("nightly").status().code(), StatusCode::kNotFound);
}

TEST(ScheduledExecutionName, StaysWithinEightyCharacters) {
  EXPECT_EQ(ScheduledExecutionName("nightly", Utc(2026, 3, 28, 8, 5, 9)),
            "nightly-20260328T080509Z");
  const std::string long_name(64, 'a');
  const std::string name = ScheduledExecutionName(long_name, Utc(2026, 3, 28));
  EXPECT_EQ(name.size(), 80u);
  EXPECT_TRUE(name.ends_with("-20260328T000000Z"));
  EXPECT_NE(name, ScheduledExecutionName(std::string(63, 'a') + "b", Utc(2026, 3, 28)));
}

}  // namespace
}  // namespace stepd::runtime
