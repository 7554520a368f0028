#include "stepd/runtime/cluster.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <condition_variable>
#include <limits>
#include <mutex>
#include <set>
#include <thread>

#include "stepd/runtime/engine.h"
#include "stepd/store/store.h"
#include "transitions.h"

namespace stepd::runtime {

using SteadyClock = std::chrono::steady_clock;

class ClusterMember::Impl {
 public:
  Impl(const ClusterOptions& options, store::Store* store, Clock* clock, Engine* engine,
       std::shared_ptr<spdlog::logger> logger)
      : options_(options), store_(store), clock_(clock), engine_(engine), log_(std::move(logger)) {}
  ~Impl() { Stop(); }

  Status Start() {
    if (options_.node_id.empty()) return InvalidArgumentError("cluster: the node id is empty");
    if (options_.heartbeat_interval_ms <= 0 || options_.lease_ms <= 0 ||
        options_.claim_interval_ms <= 0 || options_.claim_batch <= 0 ||
        options_.poll_interval_ms <= 0 || options_.idle_check_interval_ms <= 0) {
      return InvalidArgumentError(
          "cluster: heartbeat_interval_ms, lease_ms, claim_interval_ms, claim_batch, "
          "poll_interval_ms and idle_check_interval_ms must be positive");
    }
    if (thread_.joinable()) return Status::OK();
    const int64_t now = NowMs();
    started_ms_ = now;
    STEPD_RETURN_IF_ERROR(store_->HeartbeatNode(Record(now, now + options_.lease_ms)));
    expires_ms_ = now + options_.lease_ms;
    // Its own executions keep matching include_own once claimed, so they
    // cannot be taken batch by batch: all at once, as a single node's
    // recovery reads them all.
    STEPD_ASSIGN_OR_RETURN(
        std::vector<store::RunningExecution> claimed,
        store_->ClaimExecutions(options_.node_id, now, std::numeric_limits<int>::max(), true));
    for (const store::RunningExecution& r : claimed) engine_->Adopt(r);
    log_->info("node '{}' joined the cluster: {} running executions adopted", options_.node_id,
               claimed.size());
    thread_ = std::thread([this] { Loop(); });
    return Status::OK();
  }

  void Stop() {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
      stopping_ = true;
    }
    cv_.notify_all();
    if (!thread_.joinable()) return;  // never started
    thread_.join();
    const int64_t now = NowMs();
    if (Status s = store_->HeartbeatNode(Record(now, now)); !s.ok()) {
      log_->warn(
          "node '{}' left the cluster without its last heartbeat ({}): the other nodes "
          "take its executions over once its lease ends",
          options_.node_id, s.ToString());
      return;
    }
    log_->info("node '{}' left the cluster", options_.node_id);
  }

 private:
  int64_t NowMs() const { return internal::ToMillis(clock_->Now()); }

  store::NodeRecord Record(int64_t now_ms, int64_t expires_ms) const {
    return store::NodeRecord{options_.node_id, options_.address, started_ms_, now_ms, expires_ms};
  }

  void Loop() {
    const auto beat_every = std::chrono::milliseconds(options_.heartbeat_interval_ms);
    const auto claim_every = std::chrono::milliseconds(options_.claim_interval_ms);
    auto next_beat = SteadyClock::now() + beat_every;
    auto next_claim = SteadyClock::now() + claim_every;
    std::unique_lock lock(mu_);
    while (!stopping_) {
      cv_.wait_until(lock, std::min(next_beat, next_claim));
      if (stopping_) break;
      lock.unlock();
      const auto now = SteadyClock::now();
      if (now >= next_beat) {
        Heartbeat();
        next_beat = now + beat_every;
      }
      if (now >= next_claim) {
        ClaimDeadNodes();
        next_claim = now + claim_every;
      }
      lock.lock();
    }
  }

  void Heartbeat() {
    const int64_t now = NowMs();
    Status s = store_->HeartbeatNode(Record(now, now + options_.lease_ms));
    if (s.ok()) {
      if (lapsed_) {
        log_->warn(
            "node '{}' heartbeats again; executions other nodes took over meanwhile "
            "stay with them",
            options_.node_id);
      }
      lapsed_ = false;
      expires_ms_ = now + options_.lease_ms;
      return;
    }
    if (now < expires_ms_) {
      log_->warn("node '{}' cannot renew its heartbeat: {}", options_.node_id, s.ToString());
      return;
    }
    if (!lapsed_) {
      log_->error(
          "node '{}' has not renewed its heartbeat for over {} ms (its lease): the other nodes "
          "may take its executions over (the store refuses its commits to them): {}",
          options_.node_id, options_.lease_ms, s.ToString());
    }
    lapsed_ = true;
  }

  // Adopts the executions of nodes whose lease ended, a batch at a time.
  void ClaimDeadNodes() {
    const int64_t now = NowMs();
    // Without a live heartbeat this node counts as dead itself: its own
    // executions would match every claim.
    if (now >= expires_ms_) return;
    std::set<std::string> seen;
    while (true) {
      StatusOr<std::vector<store::RunningExecution>> batch =
          store_->ClaimExecutions(options_.node_id, now, options_.claim_batch, false);
      if (!batch.ok()) {
        log_->warn("node '{}' cannot claim dead nodes' executions: {}", options_.node_id,
                   batch.status().ToString());
        break;
      }
      bool fresh = false;
      for (const store::RunningExecution& r : *batch) {
        if (!seen.insert(r.arn).second) continue;
        fresh = true;
        engine_->Adopt(r);
      }
      if (static_cast<int>(batch->size()) < options_.claim_batch || !fresh) break;
    }
    if (!seen.empty()) {
      log_->info("node '{}' took over {} running executions of dead nodes", options_.node_id,
                 seen.size());
    }
  }

  const ClusterOptions options_;
  store::Store* const store_;
  Clock* const clock_;
  Engine* const engine_;
  std::shared_ptr<spdlog::logger> log_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;  // guarded by mu_
  std::thread thread_;

  // Written by Start() before the thread starts, then by the thread only.
  int64_t started_ms_ = 0;
  int64_t expires_ms_ = 0;  // what the last heartbeat written promised
  bool lapsed_ = false;     // heartbeats failed past the lease (logged)
};

ClusterMember::ClusterMember(const ClusterOptions& options, store::Store* store, Clock* clock,
                             Engine* engine, std::shared_ptr<spdlog::logger> logger)
    : impl_(std::make_unique<Impl>(options, store, clock, engine, std::move(logger))) {}
ClusterMember::~ClusterMember() = default;
Status ClusterMember::Start() { return impl_->Start(); }
void ClusterMember::Stop() { impl_->Stop(); }

}  // namespace stepd::runtime
