// Durable runtime benchmark: the five workflows of ../shared/bench/workflows
// run by the Engine on a SQLite store (WAL, synchronous=FULL), every
// transition and its audit row committed, history cap off. Executions of a
// workflow are started together and the clock stops when the last one is
// durable as finished.
//
// Usage:
//   stepd_durable_bench WORKFLOW_DIR [--rounds N] [--only a,b] [--json] [--dir D]
//   stepd_durable_bench --parked N --dir D
//       starts N executions parked in a one-hour Wait and prints the
//       process's resident memory once all are parked; leaves D/stepd.db and
//       D/audit.key for a restart measurement (bench/durable-vs-peer).

#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "stepd/runtime/engine.h"
#include "stepd/store/sqlite_store.h"

namespace {

using stepd::Json;
using namespace stepd;

struct Workflow {
  std::string name;
  std::string file;
  std::function<std::string(int)> input;
  int entered;  // states entered per execution
  int execs;    // executions per measurement, started together
  std::function<bool(const Json&)> check;
};

std::vector<Workflow> Workflows() {
  const std::string items = [] {
    Json a = Json::array();
    for (int k = 0; k < 10000; ++k) a.push_back(Json{{"id", k}});
    return Json{{"items", std::move(a)}}.dump();
  }();
  auto small_check = [](const Json& o) { return o.value("status", "") == "worked"; };
  return {
      {"pass-chain-1000", "pass-chain-1000",
       [](int) { return std::string(R"({"x":1,"name":"bench"})"); }, 1000, 50,
       [](const Json& o) { return o.value("step", -1) == 999; }},
      {"loop-10k", "loop-10k", [](int) { return std::string("{}"); }, 20002, 4,
       [](const Json& o) { return o.value("i", -1) == 10000; }},
      {"map-10k", "map-10k", [items](int) { return items; }, 20001, 3,
       [](const Json& o) { return o.value("count", -1) == 10000; }},
      {"parallel-10x100", "parallel-10x100", [](int) { return std::string(R"({"x":1})"); }, 1001,
       50, [](const Json& o) { return o.is_array() && o.size() == 10; }},
      {"many-small", "many-small",
       [](int k) { return "{\"n\":" + std::to_string(k) + ",\"kind\":\"order\"}"; }, 5, 10000,
       small_check},
  };
}

int64_t ResidentKiB() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoll(line.substr(6));
  }
  return -1;
}

struct Bench {
  std::filesystem::path dir;
  std::unique_ptr<store::Store> db;
  runtime::TaskRouter router;
  std::unique_ptr<runtime::Engine> engine;
  int machines = 0;

  explicit Bench(std::filesystem::path d, runtime::RuntimeOptions options) : dir(std::move(d)) {
    std::filesystem::create_directories(dir);
    const std::string key = "bench-audit-key";
    std::ofstream(dir / "audit.key") << key << "\n";
    store::StoreOptions so;
    so.path = (dir / "stepd.db").string();
    so.audit_key = key;
    auto opened = store::OpenSqliteStore(so);
    if (!opened.ok()) {
      std::cerr << opened.status() << "\n";
      std::exit(1);
    }
    db = std::move(opened).value();
    auto logger =
        std::make_shared<spdlog::logger>("bench", std::make_shared<spdlog::sinks::null_sink_mt>());
    engine = std::make_unique<runtime::Engine>(options, db.get(), SystemClock::Default(), &router,
                                               logger);
    if (!engine->Recover().ok()) std::exit(1);
    engine->Start();
  }

  std::string CreateMachine(const std::string& base, const std::string& definition) {
    store::StateMachineRecord r;
    r.name = base + "-" + std::to_string(machines++);
    r.arn = "arn:aws:states:us-east-1:123456789012:stateMachine:" + r.name;
    r.definition = definition;
    r.role_arn = "arn:aws:iam::123456789012:role/bench";
    r.revision_id = "r1";
    if (!db->CreateStateMachine(r, {}).ok()) std::exit(1);
    return r.arn;
  }

  // Starts `n` executions, at most `window` waiting to be durably started at
  // once; returns when all starts are durable.
  std::vector<std::string> StartAll(const std::string& machine, int n,
                                    const std::function<std::string(int)>& input,
                                    int window = 2000) {
    std::vector<std::string> arns(static_cast<size_t>(n));
    std::atomic<int> outstanding{0};
    std::atomic<int> failures{0};
    for (int k = 0; k < n; ++k) {
      while (outstanding >= window) std::this_thread::sleep_for(std::chrono::microseconds(200));
      ++outstanding;
      runtime::StartRequest request;
      request.state_machine_arn = machine;
      request.name = "e" + std::to_string(k);
      request.input = input(k);
      request.principal = "bench";
      auto cb = [&, k](StatusOr<runtime::StartResult> r) {
        if (r.ok()) {
          arns[static_cast<size_t>(k)] = r->execution_arn;
        } else {
          if (failures++ == 0) std::cerr << "start failed: " << r.status() << "\n";
        }
        --outstanding;
      };
      engine->StartExecution(std::move(request), cb);
    }
    while (outstanding > 0) std::this_thread::sleep_for(std::chrono::microseconds(200));
    if (failures > 0) std::exit(1);
    return arns;
  }

  // Waits until every execution is durable as finished; returns the last
  // one's output check.
  void WaitAll(const std::vector<std::string>& arns) {
    while (true) {
      auto running = db->ListRunningExecutions();
      if (running.ok() && running->empty()) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    (void)arns;
  }
};

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

int RunParked(int n, const std::filesystem::path& dir) {
  runtime::RuntimeOptions options;
  options.ready_queue_capacity = static_cast<size_t>(n) + 1;
  options.evict_parked_after = std::chrono::milliseconds(0);
  Bench b(dir, options);
  const std::string machine = b.CreateMachine(
      "parked", R"({"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":3600,"End":true}}})");
  const int64_t before = ResidentKiB();
  const auto t0 = std::chrono::steady_clock::now();
  b.StartAll(machine, n, [](int k) { return "{\"k\":" + std::to_string(k) + "}"; });
  // Parked: every execution durable with its wake-up, and out of memory.
  while (true) {
    runtime::EngineStats s = b.engine->Stats();
    if (s.timers >= static_cast<size_t>(n) && s.in_memory == 0 && s.ready == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const int64_t after = ResidentKiB();
  std::printf(
      "parked %d executions in %.1f s (%.0f starts/s); resident memory %.1f MiB "
      "(%.1f MiB before starting)\n",
      n, seconds, n / seconds, after / 1024.0, before / 1024.0);
  std::printf("{\"parked\":%d,\"rss_mib\":%.1f,\"seconds\":%.2f}\n", n, after / 1024.0, seconds);
  b.engine->Stop();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string workflows_dir;
  std::string dir = (std::filesystem::temp_directory_path() /
                     ("stepd-durable-bench-" + std::to_string(::getpid())))
                        .string();
  int rounds = 3;
  int parked = 0;
  bool json_out = false;
  std::vector<std::string> only;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--rounds" && i + 1 < argc)
      rounds = std::stoi(argv[++i]);
    else if (a == "--json")
      json_out = true;
    else if (a == "--dir" && i + 1 < argc)
      dir = argv[++i];
    else if (a == "--parked" && i + 1 < argc)
      parked = std::stoi(argv[++i]);
    else if (a == "--only" && i + 1 < argc) {
      std::stringstream ss(argv[++i]);
      for (std::string n; std::getline(ss, n, ',');) only.push_back(n);
    } else if (workflows_dir.empty() && a.rfind("--", 0) != 0) {
      workflows_dir = a;
    } else {
      std::cerr << "unknown argument " << a << "\n";
      return 2;
    }
  }
  if (parked > 0) return RunParked(parked, dir);
  if (workflows_dir.empty()) {
    std::cerr << "usage: stepd_durable_bench WORKFLOW_DIR [--rounds N] [--only a,b] [--json]\n";
    return 2;
  }
  std::filesystem::remove_all(dir);
  runtime::RuntimeOptions options;
  options.history_limit = 0;
  options.ready_queue_capacity = 20000;
  Bench b(dir, options);
  std::map<std::string, std::vector<double>> tps, eps;
  std::vector<Workflow> selected;
  for (const Workflow& w : Workflows()) {
    if (only.empty() || std::find(only.begin(), only.end(), w.name) != only.end())
      selected.push_back(w);
  }
  for (int r = 1; r <= rounds; ++r) {
    for (const Workflow& w : selected) {
      const std::string definition = ReadFile(workflows_dir + "/" + w.file + ".json");
      const std::string machine = b.CreateMachine(w.name, definition);
      const auto t0 = std::chrono::steady_clock::now();
      std::vector<std::string> arns = b.StartAll(machine, w.execs, w.input);
      b.WaitAll(arns);
      const double sec =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      // Every execution must have succeeded with the expected output.
      for (size_t k = 0; k < arns.size(); k += std::max<size_t>(1, arns.size() / 20)) {
        auto e = b.db->GetExecution(arns[k]);
        if (!e.ok() || e->status != store::ExecutionStatus::kSucceeded ||
            !w.check(Json::parse(*e->output))) {
          std::cerr << w.name << ": execution " << arns[k] << " did not succeed as expected\n";
          return 1;
        }
      }
      const double t = static_cast<double>(w.execs) * w.entered / sec;
      tps[w.name].push_back(t);
      eps[w.name].push_back(w.execs / sec);
      std::printf(
          "round %d %-18s %10.0f transitions/s %9.0f executions/s (%d executions, %.2f s)\n", r,
          w.name.c_str(), t, w.execs / sec, w.execs, sec);
      std::fflush(stdout);
    }
  }
  runtime::EngineStats stats = b.engine->Stats();
  b.engine->Stop();
  std::printf(
      "\nstepd durable (SQLite WAL, synchronous=FULL, audit row per transition), median of %d\n",
      rounds);
  Json summary = Json::object();
  for (const Workflow& w : selected) {
    std::printf("%-18s %10.0f transitions/s %9.0f executions/s\n", w.name.c_str(),
                Median(tps[w.name]), Median(eps[w.name]));
    summary[w.name] = {{"transitions_per_sec", tps[w.name]}, {"executions_per_sec", eps[w.name]}};
  }
  std::printf("commits %llu (groups per commit %.1f, %.2f s writing)\n",
              static_cast<unsigned long long>(stats.commits),
              stats.commits ? static_cast<double>(stats.committed_groups) / stats.commits : 0.0,
              stats.commit_seconds);
  if (json_out) std::cout << summary.dump() << "\n";
  if (std::getenv("STEPD_BENCH_KEEP") == nullptr) std::filesystem::remove_all(dir);
  return 0;
}
