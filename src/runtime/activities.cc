#include "stepd/runtime/activities.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "stepd/base/crypto.h"
#include "transitions.h"

namespace stepd::runtime {
namespace {

using SteadyClock = std::chrono::steady_clock;

std::string NewToken() { return HexEncode(RandomBytes(32)); }

// The stored form of a token: its SHA-256 (raw bytes), never the token.
std::string TokenHash(std::string_view token) { return Sha256(token); }

// The answer a task's stored record holds: SUCCEEDED or FAILED ones have
// one (sent before a restart, or just now); others none.
std::optional<asl::AslResult<Json>> StoredAnswer(const store::ActivityTaskRecord& task) {
  if (task.state == store::ActivityTaskState::kFailed) {
    return asl::AslResult<Json>(asl::AslError{task.error.value_or(""), task.cause.value_or("")});
  }
  if (task.state != store::ActivityTaskState::kSucceeded) return std::nullopt;
  StatusOr<Json> output = ParseJson(task.output.value_or("null"));
  if (!output.ok()) {
    return asl::AslResult<Json>(
        asl::AslError::Of(asl::StatesError::kTaskFailed, "the stored output is not JSON"));
  }
  return asl::AslResult<Json>(std::move(output).value());
}

}  // namespace

bool IsActivityArn(std::string_view resource) {
  return resource.rfind("arn:", 0) == 0 && resource.find(":states:") != std::string_view::npos &&
         resource.find(":activity:") != std::string_view::npos;
}

class ActivityQueue::Impl {
 public:
  Impl(store::Store* store, Clock* clock, std::shared_ptr<spdlog::logger> logger,
       const ClusterOptions& cluster)
      : store_(store), clock_(clock), log_(std::move(logger)), cluster_(cluster) {}
  ~Impl() { Stop(); }

  void SetEngine(Engine* engine) {
    std::lock_guard lock(mu_);
    engine_ = engine;
  }

  void Stop() {
    std::vector<PollDone> waiting;
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
      stopping_ = true;
      for (auto& [arn, polls] : waiters_) {
        for (Waiter& w : polls) waiting.push_back(std::move(w.done));
      }
      waiters_.clear();
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
    for (PollDone& done : waiting) done(std::optional<Handout>());
  }

  void Invoke(const TaskCall& call, TaskDone done) {
    std::lock_guard lock(mu_);
    jobs_.push_back(Job{call, std::move(done), false, nullptr, std::nullopt});
    WakeLocked();
  }

  void Cancel(const TaskCall& call) {
    std::lock_guard lock(mu_);
    jobs_.push_back(Job{call, TaskDone(), true, nullptr, std::nullopt});
    WakeLocked();
  }

  void InvokeWaiting(const TaskCall& call, TaskExecutor* integration, TaskDone done) {
    std::lock_guard lock(mu_);
    jobs_.push_back(Job{call, std::move(done), false, integration, std::nullopt});
    WakeLocked();
  }

  void CancelWaiting(const TaskCall& call, TaskExecutor* integration) {
    std::lock_guard lock(mu_);
    jobs_.push_back(Job{call, TaskDone(), true, integration, std::nullopt});
    WakeLocked();
  }

  void Release(const TaskCall& call) {
    const TaskKey key(call.execution_arn, call.request.task_id);
    std::lock_guard lock(mu_);
    dones_.erase(key);
    unclaimed_.erase(key);
  }

  void Poll(const std::string& activity_arn, const std::string& worker_name,
            std::chrono::milliseconds wait, PollDone done, std::function<bool()> abandoned) {
    if (auto activity = store_->GetActivity(activity_arn); !activity.ok()) {
      return done(activity.status());
    }
    StatusOr<std::optional<Handout>> now = Claim(activity_arn, worker_name);
    if (!now.ok() || now->has_value() || wait.count() <= 0) return done(std::move(now));
    std::lock_guard lock(mu_);
    if (stopping_) return done(UnavailableError("GetActivityTask: stepd is stopping"));
    waiters_[activity_arn].push_back(
        Waiter{worker_name, SteadyClock::now() + wait, std::move(done), std::move(abandoned)});
    // A task queued since the claim above finds this poll.
    ready_.push_back(activity_arn);
    WakeLocked();
  }

  // The queue's thread starts with its first work: a server whose
  // workflows use no activity has no thread for them.
  void WakeLocked() {
    if (!thread_.joinable() && !stopping_) thread_ = std::thread([this] { Loop(); });
    cv_.notify_all();
  }

  Status Finish(std::string_view token, store::ActivityTaskRecord outcome) {
    STEPD_ASSIGN_OR_RETURN(store::ActivityTaskRecord task,
                           store_->FinishActivityTask(TokenHash(token), outcome));
    std::optional<asl::AslResult<Json>> answer = StoredAnswer(task);  // ended: always one
    if (!answer) return InternalError("Finish: the task did not end");
    // Another node's execution comes here, and reads the answer back with
    // its task when it resumes.
    TakeOver(task.execution_arn);
    Deliver(task.execution_arn, task.task_id, std::move(*answer));
    return Status::OK();
  }

  Status Heartbeat(std::string_view token) {
    STEPD_ASSIGN_OR_RETURN(
        store::ActivityTaskRecord task,
        store_->HeartbeatActivityTask(TokenHash(token), internal::ToMillis(clock_->Now())));
    Engine* engine = nullptr;
    {
      std::lock_guard lock(mu_);
      engine = engine_;
    }
    if (engine) engine->TaskHeartbeat(task.execution_arn, task.task_id);
    return Status::OK();
  }

 private:
  struct Job {
    TaskCall call;
    TaskDone done;
    bool cancel = false;
    // A .waitForTaskToken call (its token kept here) and its integration.
    TaskExecutor* integration = nullptr;
    // The integration failed with this: the token is spent with it.
    std::optional<asl::AslError> integration_failed;
  };
  struct Waiter {
    std::string worker_name;
    SteadyClock::time_point deadline;
    PollDone done;
    std::function<bool()> abandoned;  // may be empty
  };
  using TaskKey = std::pair<std::string, int64_t>;  // (execution ARN, task id)

  StatusOr<std::optional<Handout>> Claim(const std::string& activity_arn,
                                         const std::string& worker_name) {
    std::string token = NewToken();
    STEPD_ASSIGN_OR_RETURN(std::optional<store::ActivityTaskRecord> task,
                           store_->ClaimActivityTask(activity_arn, worker_name, TokenHash(token),
                                                     internal::ToMillis(clock_->Now())));
    if (!task) return std::optional<Handout>();
    // ActivityStarted and the heartbeat deadline belong where it runs.
    TakeOver(task->execution_arn);
    Engine* engine = nullptr;
    {
      std::lock_guard lock(mu_);
      engine = engine_;
    }
    if (engine) engine->TaskStarted(task->execution_arn, task->task_id, worker_name);
    return std::optional<Handout>(Handout{std::move(token), task->input});
  }

  // Cluster mode: the execution `arn` runs here from now on
  // (Engine::TakeOver); a failure leaves it where it is.
  void TakeOver(const std::string& arn) {
    if (!cluster_.clustered()) return;
    Engine* engine = nullptr;
    {
      std::lock_guard lock(mu_);
      engine = engine_;
    }
    if (engine == nullptr) return;
    if (Status s = engine->TakeOver(arn); !s.ok() && s.code() != StatusCode::kFailedPrecondition) {
      log_->warn("cannot take execution {} over: {}", arn, s.ToString());
    }
  }

  // Hands an outcome to the execution: through the TaskDone of its
  // dispatch when this process has one; otherwise the engine's next
  // dispatch of the task (after a restart, or on the node running it) finds
  // it stored.
  void Deliver(const std::string& execution_arn, int64_t task_id, asl::AslResult<Json> result) {
    TaskDone done;
    {
      std::lock_guard lock(mu_);
      const TaskKey key(execution_arn, task_id);
      auto it = dones_.find(key);
      if (it == dones_.end()) {
        // Answered between a dispatch's read of the task and its Await:
        // kept for the Await. Otherwise that read finds it stored.
        if (reading_.contains(key)) unclaimed_.insert_or_assign(key, std::move(result));
        return;
      }
      done = std::move(it->second);
      dones_.erase(it);
    }
    done(std::move(result));
  }

  // A dispatch reads its task from the store (answers then wait for its
  // Await) until EndRead or Await.
  void BeginRead(const TaskKey& key) {
    std::lock_guard lock(mu_);
    ++reading_[key];
  }
  void EndReadLocked(const TaskKey& key) {
    auto it = reading_.find(key);
    if (it == reading_.end()) return;
    if (--it->second == 0) {
      reading_.erase(it);
      unclaimed_.erase(key);
    }
  }
  void EndRead(const TaskKey& key) {
    std::lock_guard lock(mu_);
    EndReadLocked(key);
  }

  // Ends the read of BeginRead: `done` gets the task's answer, one
  // delivered already or the next.
  void Await(const TaskKey& key, TaskDone done) {
    std::optional<asl::AslResult<Json>> early;
    {
      std::lock_guard lock(mu_);
      auto it = unclaimed_.find(key);
      if (it == unclaimed_.end()) {
        dones_[key] = std::move(done);
        EndReadLocked(key);
        return;
      }
      early = std::move(it->second);
      unclaimed_.erase(it);
      EndReadLocked(key);
    }
    done(std::move(*early));
  }

  void Run(Job job) {
    const asl::TaskRequest& request = job.call.request;
    if (job.cancel) {
      {
        std::lock_guard lock(mu_);
        dones_.erase(TaskKey(job.call.execution_arn, request.task_id));
        unclaimed_.erase(TaskKey(job.call.execution_arn, request.task_id));
      }
      if (Status s = store_->CloseActivityTask(job.call.execution_arn, request.task_id); !s.ok()) {
        log_->warn("cannot close activity task of {}: {}", job.call.execution_arn, s.ToString());
      }
      if (job.integration) job.integration->Cancel(job.call);
      return;
    }
    if (job.integration || job.integration_failed) return RunWaiting(std::move(job));
    store::ActivityTaskRecord task;
    task.activity_arn = request.resource;
    task.execution_arn = job.call.execution_arn;
    task.task_id = request.task_id;
    task.input.clear();
    AppendJsonText(request.parameters, &task.input);
    task.created_at_ms = internal::ToMillis(clock_->Now());
    const TaskKey key(job.call.execution_arn, request.task_id);
    BeginRead(key);
    StatusOr<store::ActivityTaskRecord> queued = store_->EnqueueActivityTask(task);
    if (!queued.ok()) {
      EndRead(key);
      if (queued.status().code() == StatusCode::kNotFound) {
        job.done(asl::AslError::Of(asl::StatesError::kTaskFailed,
                                   "The activity '" + request.resource + "' does not exist"));
      } else {
        // The dispatch is repeated when the execution is read back.
        log_->error("cannot queue activity task of {}: {}", job.call.execution_arn,
                    queued.status().ToString());
      }
      return;
    }
    // Handed out by an earlier process, which may have stopped before its
    // ActivityStarted was recorded: recorded now (once: the execution
    // ignores a second one), before the answer.
    if (!queued->worker_name.empty()) {
      Engine* engine = nullptr;
      {
        std::lock_guard lock(mu_);
        engine = engine_;
      }
      if (engine) engine->TaskStarted(queued->execution_arn, queued->task_id, queued->worker_name);
    }
    if (auto answer = StoredAnswer(*queued)) {
      EndRead(key);
      return job.done(std::move(*answer));
    }
    switch (queued->state) {
      case store::ActivityTaskState::kSucceeded:
      case store::ActivityTaskState::kFailed:
      case store::ActivityTaskState::kClosed:
        EndRead(key);
        return;  // the execution stopped waiting for it
      case store::ActivityTaskState::kQueued:
      case store::ActivityTaskState::kStarted: {
        Await(key, std::move(job.done));
        if (queued->state == store::ActivityTaskState::kQueued) {
          std::lock_guard lock(mu_);
          ready_.push_back(request.resource);
        }
        return;
      }
    }
  }

  // Gives queued tasks of `activity_arn` to the polls waiting for them.
  void Serve(const std::string& activity_arn) {
    while (true) {
      Waiter waiter;
      {
        std::lock_guard lock(mu_);
        auto it = waiters_.find(activity_arn);
        if (it == waiters_.end() || it->second.empty()) return;
        waiter = std::move(it->second.front());
        it->second.pop_front();
        if (it->second.empty()) waiters_.erase(it);
      }
      if (waiter.abandoned && waiter.abandoned()) {
        waiter.done(std::optional<Handout>());
        continue;
      }
      StatusOr<std::optional<Handout>> got = Claim(activity_arn, waiter.worker_name);
      if (got.ok() && !got->has_value()) {
        // Nothing left: the poll goes back to the head of the line, unless
        // Stop() ran meanwhile (it answered the polls it found waiting, not
        // this one).
        {
          std::lock_guard lock(mu_);
          if (!stopping_) {
            waiters_[activity_arn].push_front(std::move(waiter));
            return;
          }
        }
        waiter.done(std::optional<Handout>());
        return;
      }
      waiter.done(std::move(got));
    }
  }

  // A .waitForTaskToken call: the token is recorded before the integration
  // is called, so that an answer can never arrive for a token stepd does
  // not know; after a restart the integration is not called again.
  void RunWaiting(Job job) {
    const asl::TaskRequest& request = job.call.request;
    const std::string& arn = job.call.execution_arn;
    const std::string hash = TokenHash(request.task_token);
    if (job.integration_failed) {
      store::ActivityTaskRecord failed;
      failed.state = store::ActivityTaskState::kFailed;
      failed.error = job.integration_failed->error;
      failed.cause = job.integration_failed->cause;
      // Refused when the token was answered or closed meanwhile: that wins.
      if (store_->FinishActivityTask(hash, failed).ok()) {
        Deliver(arn, request.task_id, std::move(*job.integration_failed));
      }
      return;
    }
    store::ActivityTaskRecord token;
    token.activity_arn = request.resource;
    token.execution_arn = arn;
    token.task_id = request.task_id;
    token.created_at_ms = internal::ToMillis(clock_->Now());
    bool fresh = false;
    const TaskKey key(arn, request.task_id);
    BeginRead(key);
    StatusOr<store::ActivityTaskRecord> kept = store_->RegisterTaskToken(token, hash, &fresh);
    if (!kept.ok()) {
      EndRead(key);
      // The dispatch is repeated when the execution is read back.
      log_->error("cannot record the task token of {}: {}", arn, kept.status().ToString());
      return;
    }
    if (auto answer = StoredAnswer(*kept)) {
      EndRead(key);
      return job.done(std::move(*answer));
    }
    if (kept->state != store::ActivityTaskState::kStarted) {
      EndRead(key);
      return;  // closed
    }
    Await(key, std::move(job.done));
    if (!fresh) return;  // its integration was called before a restart
    job.integration->Invoke(job.call, [this, call = job.call](asl::AslResult<Json> result) {
      if (result.ok()) {
        Engine* engine = nullptr;
        {
          std::lock_guard lock(mu_);
          engine = engine_;
        }
        if (engine) engine->TaskSubmitted(call.execution_arn, call.request.task_id, result.value());
        return;
      }
      // Spending the token writes to the store: on this queue's thread.
      std::lock_guard lock(mu_);
      if (stopping_) return;
      Job failed{call, TaskDone(), false, nullptr, std::nullopt};
      failed.integration_failed = std::move(result).take_error();
      jobs_.push_back(std::move(failed));
      WakeLocked();
    });
  }

  void Loop() {
    std::unique_lock lock(mu_);
    while (!stopping_) {
      if (!jobs_.empty()) {
        Job job = std::move(jobs_.front());
        jobs_.pop_front();
        lock.unlock();
        Run(std::move(job));
        lock.lock();
        continue;
      }
      if (!ready_.empty()) {
        std::string arn = std::move(ready_.front());
        ready_.pop_front();
        lock.unlock();
        Serve(arn);
        lock.lock();
        continue;
      }
      // Expired polls get "no task".
      const auto now = SteadyClock::now();
      std::optional<SteadyClock::time_point> next;
      std::vector<PollDone> expired;
      for (auto it = waiters_.begin(); it != waiters_.end();) {
        auto& polls = it->second;
        for (auto w = polls.begin(); w != polls.end();) {
          if (w->deadline <= now) {
            expired.push_back(std::move(w->done));
            w = polls.erase(w);
          } else {
            if (!next || w->deadline < *next) next = w->deadline;
            ++w;
          }
        }
        it = polls.empty() ? waiters_.erase(it) : std::next(it);
      }
      if (!expired.empty()) {
        lock.unlock();
        for (PollDone& done : expired) done(std::optional<Handout>());
        lock.lock();
        continue;
      }
      // Other nodes queue tasks too, without waking the polls here.
      if (cluster_.clustered() && !waiters_.empty()) {
        if (now >= retry_at_) {
          for (const auto& [arn, polls] : waiters_) ready_.push_back(arn);
          retry_at_ = now + std::chrono::milliseconds(std::max(1, cluster_.poll_interval_ms));
          continue;
        }
        if (!next || retry_at_ < *next) next = retry_at_;
      }
      if (next) {
        cv_.wait_until(lock, *next);
      } else {
        cv_.wait(lock);
      }
    }
  }

  store::Store* const store_;
  Clock* const clock_;
  std::shared_ptr<spdlog::logger> log_;
  const ClusterOptions cluster_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;                              // guarded by mu_
  Engine* engine_ = nullptr;                           // guarded by mu_
  std::deque<Job> jobs_;                               // guarded by mu_
  std::deque<std::string> ready_;                      // activities with new tasks; mu_
  std::map<std::string, std::deque<Waiter>> waiters_;  // polls by activity; guarded by mu_
  std::map<TaskKey, TaskDone> dones_;                  // guarded by mu_
  std::map<TaskKey, asl::AslResult<Json>> unclaimed_;  // answers before Await; mu_
  std::map<TaskKey, int> reading_;  // dispatches between their read and Await; mu_
  // Cluster mode: when waiting polls next try to take a task; mu_.
  SteadyClock::time_point retry_at_{};
  std::thread thread_;
};

ActivityQueue::ActivityQueue(store::Store* store, Clock* clock,
                             std::shared_ptr<spdlog::logger> logger, const ClusterOptions& cluster)
    : impl_(std::make_unique<Impl>(store, clock, std::move(logger), cluster)) {}
ActivityQueue::~ActivityQueue() = default;
void ActivityQueue::SetEngine(Engine* engine) { impl_->SetEngine(engine); }
void ActivityQueue::Stop() { impl_->Stop(); }
void ActivityQueue::Invoke(const TaskCall& call, TaskDone done) {
  impl_->Invoke(call, std::move(done));
}
void ActivityQueue::Cancel(const TaskCall& call) { impl_->Cancel(call); }
void ActivityQueue::Release(const TaskCall& call) { impl_->Release(call); }
void ActivityQueue::ReleaseWaiting(const TaskCall& call) { impl_->Release(call); }
void ActivityQueue::InvokeWaiting(const TaskCall& call, TaskExecutor* integration, TaskDone done) {
  impl_->InvokeWaiting(call, integration, std::move(done));
}
void ActivityQueue::CancelWaiting(const TaskCall& call, TaskExecutor* integration) {
  impl_->CancelWaiting(call, integration);
}
void ActivityQueue::Poll(const std::string& activity_arn, const std::string& worker_name,
                         std::chrono::milliseconds wait, PollDone done,
                         std::function<bool()> abandoned) {
  impl_->Poll(activity_arn, worker_name, wait, std::move(done), std::move(abandoned));
}
Status ActivityQueue::Succeed(std::string_view token, const std::string& output) {
  store::ActivityTaskRecord outcome;
  outcome.state = store::ActivityTaskState::kSucceeded;
  outcome.output = output;
  return impl_->Finish(token, std::move(outcome));
}
Status ActivityQueue::Fail(std::string_view token, const std::string& error,
                           const std::string& cause) {
  store::ActivityTaskRecord outcome;
  outcome.state = store::ActivityTaskState::kFailed;
  outcome.error = error;
  outcome.cause = cause;
  return impl_->Finish(token, std::move(outcome));
}
Status ActivityQueue::Heartbeat(std::string_view token) { return impl_->Heartbeat(token); }

}  // namespace stepd::runtime
