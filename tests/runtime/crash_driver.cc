// The process the crash test kills: opens a SQLite store, starts (or
// re-starts, idempotently by name) a fixed mixed workload of executions on
// the durable runtime, and exits 0 once none of them is RUNNING. Killed with
// SIGKILL at any moment and started again, it must end with every
// execution finished exactly as an uninterrupted run would.
//
// Usage: stepd_crash_driver DB_PATH KEY COUNT

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "crash_workload.h"
#include "stepd/runtime/engine.h"
#include "stepd/store/sqlite_store.h"

using namespace stepd;

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: stepd_crash_driver DB_PATH KEY COUNT\n");
    return 2;
  }
  store::StoreOptions store_options;
  store_options.path = argv[1];
  store_options.audit_key = argv[2];
  const int count = std::atoi(argv[3]);
  auto opened = store::OpenSqliteStore(store_options);
  if (!opened.ok()) {
    std::fprintf(stderr, "open: %s\n", opened.status().ToString().c_str());
    return 1;
  }
  std::unique_ptr<store::Store> db = std::move(opened).value();
  for (const crash::Machine& m : crash::Machines()) {
    store::StateMachineRecord r;
    r.arn = crash::MachineArn(m.name);
    r.name = m.name;
    r.definition = m.definition;
    r.role_arn = "arn:aws:iam::123456789012:role/stepd";
    r.revision_id = "rev-1";
    r.created_at_ms = r.updated_at_ms = 1;
    Status created = db->CreateStateMachine(r, {});
    if (!created.ok() && created.code() != StatusCode::kAlreadyExists) {
      std::fprintf(stderr, "create machine: %s\n", created.ToString().c_str());
      return 1;
    }
  }
  auto logger = std::make_shared<spdlog::logger>("runtime",
                                                 std::make_shared<spdlog::sinks::stderr_sink_mt>());
  logger->set_level(spdlog::level::warn);
  runtime::TaskRouter router;
  runtime::RuntimeOptions options;
  options.slice_max_steps = 50;  // many small commits: more moments to be killed in
  runtime::Engine engine(options, db.get(), SystemClock::Default(), &router, logger);
  if (Status s = engine.Recover(); !s.ok()) {
    std::fprintf(stderr, "recover: %s\n", s.ToString().c_str());
    return 1;
  }
  engine.Start();
  // (Re)start every execution: running ones are returned as they are,
  // finished ones are refused as existing, missing ones start now.
  std::atomic<int> answered{0};
  std::atomic<int> failed{0};
  for (int i = 0; i < count; ++i) {
    const crash::Execution e = crash::ExecutionAt(i);
    runtime::StartRequest request;
    request.state_machine_arn = crash::MachineArn(e.machine);
    request.name = e.name;
    request.input = e.input;
    request.principal = "crash-driver";
    engine.StartExecution(request, [&](StatusOr<runtime::StartResult> r) {
      if (!r.ok() && r.status().code() != StatusCode::kAlreadyExists) {
        std::fprintf(stderr, "start: %s\n", r.status().ToString().c_str());
        ++failed;
      }
      ++answered;
    });
  }
  while (answered < count) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  if (failed > 0) return 1;
  std::printf("started\n");
  std::fflush(stdout);
  while (true) {
    auto running = db->ListRunningExecutions();
    if (running.ok() && running->empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  engine.Stop();
  std::printf("done\n");
  return 0;
}
