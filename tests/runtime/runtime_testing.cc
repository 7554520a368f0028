#include "runtime/runtime_testing.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <random>
#include <thread>

#include "stepd/store/sqlite_store.h"

namespace stepd::runtime::testing {
namespace {

store::StoreOptions OptionsIn(const std::filesystem::path& dir) {
  store::StoreOptions options;
  options.path = (dir / "stepd.db").string();
  options.busy_timeout_ms = 2000;
  options.audit_key = "runtime-test-key";
  return options;
}

}  // namespace

// Keeps what is logged; readable from any thread while the engine logs.
class CapturingSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  std::string Text() {
    std::lock_guard lock(mutex_);
    return text_;
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t formatted;
    formatter_->format(msg, formatted);
    text_.append(formatted.data(), formatted.size());
  }
  void flush_() override {}

 private:
  std::string text_;
};

namespace {

std::shared_ptr<spdlog::logger> TestLogger(std::shared_ptr<CapturingSink> sink) {
  auto logger = std::make_shared<spdlog::logger>("runtime", std::move(sink));
  logger->set_level(spdlog::level::warn);
  return logger;
}

}  // namespace

std::shared_ptr<spdlog::logger> CapturingLogger(std::shared_ptr<CapturingSink> sink) {
  return TestLogger(std::move(sink));
}

std::string MachineArn(const std::string& name) {
  return std::string(kRegionAccount) + "stateMachine:" + name;
}

std::string ExecutionArn(const std::string& machine, const std::string& name) {
  return std::string(kRegionAccount) + "execution:" + machine + ":" + name;
}

TestStore::TestStore() {
  std::random_device rd;
  dir_ = std::filesystem::temp_directory_path() /
         ("stepd-runtime-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
  std::filesystem::create_directories(dir_);
  Reopen();
}

TestStore::~TestStore() {
  store_.reset();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

void TestStore::Reopen() {
  store_.reset();
  auto opened = store::OpenSqliteStore(OptionsIn(dir_));
  EXPECT_TRUE(opened.ok()) << opened.status();
  store_ = std::move(opened).value();
}

std::unique_ptr<store::Store> TestStore::OpenNode(const std::string& node_id) {
  store::StoreOptions options = OptionsIn(dir_);
  options.node_id = node_id;
  auto opened = store::OpenSqliteStore(options);
  EXPECT_TRUE(opened.ok()) << opened.status();
  return opened.ok() ? std::move(opened).value() : nullptr;
}

void TestStore::CreateMachine(const std::string& name, const std::string& definition,
                              store::StateMachineType type) {
  store::StateMachineRecord m;
  m.arn = MachineArn(name);
  m.name = name;
  m.type = type;
  m.definition = definition;
  m.role_arn = "arn:aws:iam::123456789012:role/stepd";
  m.revision_id = "rev-1";
  m.created_at_ms = m.updated_at_ms = 1;
  ASSERT_EQ(store_->CreateStateMachine(m, {}), Status::OK());
}

void ScriptedExecutor::Invoke(const TaskCall& call, TaskDone done) {
  std::optional<asl::AslResult<Json>> answer;
  {
    std::lock_guard lock(mu_);
    calls_.push_back(call);
    answer = auto_answer_;
    dones_.push_back(answer ? TaskDone() : std::move(done));
  }
  cv_.notify_all();
  if (answer) done(std::move(*answer));
}

void ScriptedExecutor::Cancel(const TaskCall&) { ++cancelled_; }

std::vector<TaskCall> ScriptedExecutor::WaitForCalls(size_t n) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, std::chrono::seconds(10), [&] { return calls_.size() >= n; });
  return calls_;
}

void ScriptedExecutor::Answer(size_t i, asl::AslResult<Json> result) {
  TaskDone done;
  {
    std::lock_guard lock(mu_);
    ASSERT_LT(i, dones_.size());
    done = std::move(dones_[i]);
  }
  ASSERT_TRUE(done) << "call " << i << " was answered already";
  done(std::move(result));
}

TestEngine::TestEngine(store::Store* store, RuntimeOptions options, bool start,
                       metrics::Registry* metrics) {
  router.Register("arn:aws:lambda:", &executor);
  router.Register("arn:aws:states:::lambda:invoke", &executor);
  log = std::make_shared<CapturingSink>();
  engine = std::make_unique<Engine>(options, store, &clock, &router, TestLogger(log), metrics);
  if (!options.clustered()) {
    EXPECT_EQ(engine->Recover(), Status::OK());
  }
  if (start) engine->Start();
}

TestEngine::~TestEngine() { engine->Stop(); }

std::string TestEngine::Log() const { return log->Text(); }

Status FaultyStore::CommitTransitions(std::span<const store::TransitionGroup> groups,
                                      std::vector<Status>* results) {
  if (fail_commits > 0) {
    --fail_commits;
    ++failed;
    return fault;
  }
  return StoreWrapper::CommitTransitions(groups, results);
}

StatusOr<StartResult> TestEngine::Start(const std::string& machine, const std::string& name,
                                        const std::string& input) {
  StartRequest request;
  request.input = input;
  return Start(machine, name, std::move(request));
}

StatusOr<StartResult> TestEngine::Start(const std::string& machine, const std::string& name,
                                        StartRequest request) {
  std::mutex mu;
  std::condition_variable cv;
  std::optional<StatusOr<StartResult>> out;
  request.state_machine_arn = MachineArn(machine);
  request.name = name;
  request.principal = "tester";
  engine->StartExecution(std::move(request), [&](StatusOr<StartResult> r) {
    std::lock_guard lock(mu);
    out = std::move(r);
    cv.notify_all();
  });
  std::unique_lock lock(mu);
  cv.wait_for(lock, std::chrono::seconds(20), [&] { return out.has_value(); });
  if (!out) return DeadlineExceededError("StartExecution did not answer");
  return std::move(*out);
}

StatusOr<StopResult> TestEngine::Stop(const std::string& arn, const std::string& error,
                                      const std::string& cause) {
  std::mutex mu;
  std::condition_variable cv;
  std::optional<StatusOr<StopResult>> out;
  engine->StopExecution(StopRequest{arn, error, cause, "operator", ""},
                        [&](StatusOr<StopResult> r) {
                          std::lock_guard lock(mu);
                          out = std::move(r);
                          cv.notify_all();
                        });
  std::unique_lock lock(mu);
  cv.wait_for(lock, std::chrono::seconds(20), [&] { return out.has_value(); });
  if (!out) return DeadlineExceededError("StopExecution did not answer");
  return std::move(*out);
}

bool WaitUntil(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

store::ExecutionRecord WaitForEnd(store::Store& store, const std::string& arn,
                                  std::chrono::milliseconds timeout) {
  store::ExecutionRecord last;
  WaitUntil(
      [&] {
        auto r = store.GetExecution(arn);
        if (!r.ok()) return false;
        last = *r;
        return r->status != store::ExecutionStatus::kRunning;
      },
      timeout);
  return last;
}

std::vector<store::HistoryEventRecord> History(store::Store& store, const std::string& arn) {
  std::vector<store::HistoryEventRecord> out;
  store::PageRequest page{1000, ""};
  while (true) {
    auto p = store.GetHistory(arn, page, false);
    EXPECT_TRUE(p.ok()) << p.status();
    if (!p.ok()) break;
    for (auto& e : p->items) out.push_back(std::move(e));
    if (p->next_token.empty()) break;
    page.next_token = p->next_token;
  }
  return out;
}

std::vector<store::AuditRecord> AuditRows(store::Store& store) {
  std::vector<store::AuditRecord> out;
  store::PageRequest page{1000, ""};
  while (true) {
    auto p = store.ListAudit(page);
    EXPECT_TRUE(p.ok()) << p.status();
    if (!p.ok()) break;
    for (auto& e : p->items) out.push_back(std::move(e));
    if (p->next_token.empty()) break;
    page.next_token = p->next_token;
  }
  return out;
}

}  // namespace stepd::runtime::testing
