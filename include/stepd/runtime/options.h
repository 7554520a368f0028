#pragma once
// RuntimeOptions: the scheduler's knobs, filled once by the server layer
// (flags > environment > config file > these defaults) and handed to the
// Engine by const&.

#include <chrono>
#include <cstddef>
#include <cstdint>

#include "stepd/runtime/cluster.h"

namespace stepd::runtime {

struct RuntimeOptions {
  // Worker threads stepping executions. 0: one per hardware thread (at
  // least 2). Steps of one execution never run on two workers at once.
  int workers = 0;

  // Executions waiting for a worker. A StartExecution beyond it is refused
  // (RESOURCE_EXHAUSTED: the API answers "overloaded") instead of memory
  // growing without bound. Wake-ups, task results and recovery are never
  // refused. Default 10000.
  size_t ready_queue_capacity = 10000;

  // A worker runs one execution for at most this many steps or this long,
  // then puts it back at the end of the queue: one execution looping
  // forever cannot starve the others.
  int slice_max_steps = 10000;
  std::chrono::milliseconds slice_max_time{5};

  // Largest history of one execution, in events; beyond it the execution
  // fails with States.Runtime, as on AWS. 0: no limit. Default 25000 (AWS).
  int64_t history_limit = 25000;

  // Largest state input/output in bytes (States.DataLimitExceeded beyond
  // it), and largest execution input (refused at start). Default 256 KiB,
  // AWS's limit. 0: no limit.
  size_t max_payload_bytes = 256 * 1024;

  // Most execution commits written in one database transaction (group
  // commit). Default 512.
  size_t commit_max_groups = 512;

  // A failed commit (busy database, full disk) is retried this many times,
  // the pause doubling from commit_retry_backoff, before the steps it held
  // are given up (their executions resume from their last durable step).
  int commit_retries = 5;
  std::chrono::milliseconds commit_retry_backoff{50};

  // An execution parked (a Wait, a retry back-off) until later than this
  // leaves memory once its state is durable, and is read back when its time
  // comes: hundreds of thousands of parked executions cost only a timer
  // each. Default 2000 ms.
  std::chrono::milliseconds evict_parked_after{2000};

  // Several nodes sharing the database (cluster.h). With cluster.node_id
  // empty (the default) the engine runs alone and makes no cluster call to
  // the store.
  ClusterOptions cluster;
  bool clustered() const { return cluster.clustered(); }
};

}  // namespace stepd::runtime
