#pragma once
// ClusterMember: this node's place among several stepd nodes sharing one
// database (PostgreSQL; store.h, "Nodes").
//
// Each execution has one owner node, the only one that runs it and writes
// it: the store refuses a commit of an execution another node owns
// (ABORTED), and the engine then forgets it (nothing durable is lost; the
// owner goes on from the last commit). A node shows it is alive with a
// heartbeat row that expires lease_ms later; the executions of a node whose
// row expired are claimed by the others (oldest first, claim_batch at a
// time) and resume there from their last commit, their tasks dispatched
// again (at-least-once, with the same idempotency token). A request for an
// execution another node owns (StopExecution, UpdateMapRun, a task answer
// or handout) takes it over where it arrives (Engine::TakeOver).
//
// Nodes compare their clocks (a heartbeat's expiry is the owner's time, the
// claim the claimer's): they must agree to well within lease_ms.
//
// How the server runs a node (ClusterOptions::node_id set, and the same id in
// StoreOptions::node_id and RuntimeOptions::cluster):
//   1. open the store, build the engine and the ActivityQueue (with these
//      options), SetEngine;
//   2. engine.Start()  (not Recover(): it refuses in cluster mode);
//   3. member.Start()  (claims this node's and dead nodes' executions);
//   ... serve ...
//   4. activities.Stop(), stop the listener, engine.Stop() (its last commits
//      are written while the heartbeat still runs);
//   5. member.Stop()   (the last heartbeat expires at once: the other nodes
//      take the executions over on their next claim).
//
// Thread-safety: Start and Stop from one thread; the member's own thread
// heartbeats and claims.

#include <memory>
#include <string>

#include "stepd/base/clock.h"
#include "stepd/base/status.h"

namespace spdlog {
class logger;
}

namespace stepd::store {
class Store;
}

namespace stepd::runtime {

class Engine;

// A node's cluster settings, filled once by the server layer and handed by
// const& to the engine (RuntimeOptions::cluster), the ActivityQueue and the
// ClusterMember.
struct ClusterOptions {
  // This node's id among the nodes sharing the database, equal to
  // StoreOptions::node_id. Unique per node and stable across its restarts
  // (a node restarting under its id takes its executions back at once).
  // Empty (the default): one node; nothing else here applies and the
  // runtime makes no cluster call to the store.
  std::string node_id;
  // Where this node's API listens, recorded with its heartbeat for
  // operators (Store::ListNodes). May be empty.
  std::string address;
  // How often the node renews its heartbeat. Well under lease_ms.
  // Default 1000.
  int heartbeat_interval_ms = 1000;
  // A node whose last heartbeat is older than this is dead: the other nodes
  // claim its executions. Longer tolerates stalls (a slow disk, a pause);
  // shorter takes over sooner after a crash. Default 5000.
  int lease_ms = 5000;
  // How often the node looks for dead nodes' executions to claim.
  // Default 1000.
  int claim_interval_ms = 1000;
  // Most executions claimed in one store call (a dead node's are taken
  // batch by batch). Default 100.
  int claim_batch = 100;
  // How often what another node may have done is read from the store: a
  // waiting GetActivityTask tries to take a task (others queue them), and
  // WhenFinished checks an execution another node runs. Default 250.
  int poll_interval_ms = 250;
  // A node learns that another took an execution over when its next commit
  // of it is refused. An execution held in memory without committing (a
  // task out) is checked against the store this often, so that one moved
  // away leaves memory within it. Default 30000.
  int idle_check_interval_ms = 30000;

  bool clustered() const { return !node_id.empty(); }
};

class ClusterMember {
 public:
  // `store` (opened with StoreOptions::node_id == options.node_id), `clock`
  // and `engine` must outlive the member.
  ClusterMember(const ClusterOptions& options, store::Store* store, Clock* clock, Engine* engine,
                std::shared_ptr<spdlog::logger> logger);
  ~ClusterMember();  // Stop()
  ClusterMember(const ClusterMember&) = delete;
  ClusterMember& operator=(const ClusterMember&) = delete;

  // Joins: writes the heartbeat (alive until now + lease_ms), claims every
  // RUNNING execution this node owned (a restart) or a dead node owned, and
  // hands each to Engine::Adopt; then starts the thread that heartbeats and
  // claims dead nodes' executions. INVALID_ARGUMENT for an empty node id or
  // an interval that is not positive; otherwise the store's errors (nothing
  // started then). Heartbeats that keep failing past lease_ms are logged
  // as errors (the node may have lost its executions; the store's refusal
  // of its commits keeps the data right).
  Status Start();
  // Leaves: stops the thread and writes a last heartbeat that expires now,
  // so that the other nodes claim this node's executions at once. Call it
  // after Engine::Stop() (a commit after it would be refused). Idempotent.
  void Stop();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace stepd::runtime
