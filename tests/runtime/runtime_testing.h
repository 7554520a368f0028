#pragma once
// Test support for the runtime: a real SQLite store in a temporary
// directory, an engine on a FakeClock, a scripted task executor, and waits
// on what the store shows (never on time).

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include "stepd/base/clock.h"
#include "stepd/base/metrics.h"
#include "stepd/runtime/engine.h"
#include "stepd/runtime/task_executor.h"
#include "stepd/store/store.h"

namespace spdlog {
class logger;
}

namespace stepd::runtime::testing {

inline constexpr char kRegionAccount[] = "arn:aws:states:us-east-1:123456789012:";

std::string MachineArn(const std::string& name);
std::string ExecutionArn(const std::string& machine, const std::string& name);

// A temporary directory with a SQLite store in it; removed afterwards.
class TestStore {
 public:
  TestStore();
  ~TestStore();
  store::Store& operator*() { return *store_; }
  store::Store* operator->() { return store_.get(); }
  store::Store* get() { return store_.get(); }
  // Closes and reopens the database file (a restart).
  void Reopen();
  // Another store on the same file, as node `node_id` of a cluster
  // (StoreOptions::node_id): what a second stepd process sharing the
  // database would open.
  std::unique_ptr<store::Store> OpenNode(const std::string& node_id);
  const std::filesystem::path& dir() const { return dir_; }
  // Creates state machine `name` with `definition`.
  void CreateMachine(const std::string& name, const std::string& definition,
                     store::StateMachineType type = store::StateMachineType::kStandard);

 private:
  std::filesystem::path dir_;
  std::unique_ptr<store::Store> store_;
};

class CapturingSink;
// A logger keeping its warnings and errors in `sink` (TestEngine::log).
std::shared_ptr<spdlog::logger> CapturingLogger(std::shared_ptr<CapturingSink> sink);

// Records every call and lets the test answer it.
class ScriptedExecutor final : public TaskExecutor {
 public:
  // With `auto_answer`, every call is answered at once with it.
  void Invoke(const TaskCall& call, TaskDone done) override;
  void Cancel(const TaskCall& call) override;
  void AnswerAll(asl::AslResult<Json> result) { auto_answer_ = std::move(result); }
  // Waits (up to 10 s) until `n` calls arrived; returns them.
  std::vector<TaskCall> WaitForCalls(size_t n);
  // Answers the i-th call.
  void Answer(size_t i, asl::AslResult<Json> result);
  size_t cancelled() const { return cancelled_; }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<TaskCall> calls_;
  std::vector<TaskDone> dones_;
  std::optional<asl::AslResult<Json>> auto_answer_;
  std::atomic<size_t> cancelled_{0};
};

// An engine on `store`, with a fake clock, test executors under
// "arn:aws:lambda:" and the given options; recovered unless in cluster mode
// (options.cluster.node_id: a ClusterMember adopts its executions).
struct TestEngine {
  // `metrics`, when given, must outlive the engine.
  TestEngine(store::Store* store, RuntimeOptions options = {}, bool start = true,
             metrics::Registry* metrics = nullptr);
  // What the engine logged (warnings and errors).
  std::string Log() const;
  std::shared_ptr<CapturingSink> log;
  ~TestEngine();
  FakeClock clock{std::chrono::system_clock::time_point(std::chrono::seconds(1700000000))};
  ScriptedExecutor executor;
  TaskRouter router;
  std::unique_ptr<Engine> engine;

  // Starts an execution and waits for the durable start.
  StatusOr<StartResult> Start(const std::string& machine, const std::string& name,
                              const std::string& input = "{}");
  // The same with every field of `request` the caller set (the machine's
  // ARN, name and principal are filled in).
  StatusOr<StartResult> Start(const std::string& machine, const std::string& name,
                              StartRequest request);
  StatusOr<StopResult> Stop(const std::string& arn, const std::string& error = "",
                            const std::string& cause = "");
};

// Forwards to a real store, failing the next `fail_commits` commits with
// `fault` (as a full disk or a busy database would).
class FaultyStore : public store::StoreWrapper {
 public:
  using StoreWrapper::StoreWrapper;
  Status CommitTransitions(std::span<const store::TransitionGroup> groups,
                           std::vector<Status>* results) override;
  std::atomic<int> fail_commits{0};
  std::atomic<int> failed{0};
  Status fault =
      ResourceExhaustedError("CommitTransition: database or disk is full (sqlite SQLITE_FULL)");
};

// Waits (real time, up to `timeout`) until the store shows `arn` not
// RUNNING; returns its record (or the last one seen).
store::ExecutionRecord WaitForEnd(store::Store& store, const std::string& arn,
                                  std::chrono::milliseconds timeout = std::chrono::seconds(20));
// Waits until `condition` holds (checked every millisecond), up to `timeout`.
bool WaitUntil(const std::function<bool()>& condition,
               std::chrono::milliseconds timeout = std::chrono::seconds(20));

// Every event of an execution's history, in order.
std::vector<store::HistoryEventRecord> History(store::Store& store, const std::string& arn);
// Every audit row.
std::vector<store::AuditRecord> AuditRows(store::Store& store);

}  // namespace stepd::runtime::testing
