// In-process ASL benchmark: the five workflows of ../shared/bench/workflows
// run on stepd's compiler and interpreter (no persistence, history recorded
// in memory as the peer does), with the same executions per measurement and
// the same output checks as ../shared/bench/peer.js.
//
// Usage: stepd_asl_bench WORKFLOW_DIR [--rounds N] [--only a,b] [--json]
// Prints one line per measurement and a median [min..max] table; with --json
// the last line is a JSON object {workflow: {transitions_per_sec: [..], ...}}.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "stepd/asl/compiler.h"
#include "stepd/asl/interpreter.h"
#include "stepd/asl/task_invoker.h"
#include "stepd/base/clock.h"
#include "stepd/base/json.h"

namespace {

using stepd::Json;
using namespace stepd::asl;

struct Workflow {
  std::string name;
  std::string file;
  std::function<Json(int)> input;
  int entered;  // states entered per execution
  int execs;    // executions per measurement
  bool concurrent;
  std::function<bool(const Json&)> check;
};

std::vector<Workflow> Workflows() {
  auto items = [] {
    Json a = Json::array();
    for (int k = 0; k < 10000; ++k) a.push_back(Json{{"id", k}});
    return Json{{"items", std::move(a)}};
  }();
  auto small_check = [](const Json& o) {
    return o.value("status", "") == "worked" && o.value("n", -1) == 0;
  };
  auto small_input = [](int k) { return Json{{"n", k}, {"kind", "order"}}; };
  return {
      {"pass-chain-1000", "pass-chain-1000",
       [](int) {
         return Json{{"x", 1}, {"name", "bench"}};
       },
       1000, 100, false,
       [](const Json& o) { return o.value("step", -1) == 999 && o.value("x", -1) == 1; }},
      {"loop-10k", "loop-10k", [](int) { return Json::object(); }, 20002, 5, false,
       [](const Json& o) { return o.value("i", -1) == 10000; }},
      {"map-10k", "map-10k", [items](int) { return items; }, 20001, 3, false,
       [](const Json& o) {
         return o.value("count", -1) == 10000 && o["first"]["a"].value("ok", false) &&
                o["first"]["b"].value("id", -1) == 0;
       }},
      {"parallel-10x100", "parallel-10x100",
       [](int) {
         return Json{{"x", 1}};
       },
       1001, 100, false,
       [](const Json& o) {
         if (!o.is_array() || o.size() != 10) return false;
         for (size_t b = 0; b < o.size(); ++b)
           if (o[b].value("branch", -1) != static_cast<int>(b) || o[b].value("step", -1) != 99)
             return false;
         return true;
       }},
      {"many-small", "many-small", small_input, 5, 10000, false, small_check},
      {"many-small-concurrent", "many-small", small_input, 5, 10000, true, small_check},
  };
}

std::unique_ptr<Execution> StartOne(const std::shared_ptr<const StateMachine>& machine,
                                    const Workflow& w, int k, stepd::Clock& clock) {
  ExecutionInfo info;
  info.name = "bench-" + std::to_string(k);
  info.state_machine_name = w.name;
  info.state_machine_arn = "arn:aws:states:us-east-1:123456789012:stateMachine:" + w.name;
  info.execution_arn =
      "arn:aws:states:us-east-1:123456789012:execution:" + w.name + ":" + info.name;
  info.start_time = clock.Now();
  return Execution::Start(machine, std::move(info), w.input(k), clock.Now());
}

// Runs `w.execs` executions; returns seconds taken, or -1 when an output check fails.
double Measure(const std::shared_ptr<const StateMachine>& machine, const Workflow& w) {
  stepd::SystemClock& clock = *stepd::SystemClock::Default();
  NoTaskInvoker invoker;
  std::vector<HistoryEvent> history;
  bool ok = true;
  auto t0 = std::chrono::steady_clock::now();
  if (!w.concurrent) {
    for (int k = 0; k < w.execs; ++k) {
      auto e = StartOne(machine, w, k, clock);
      history.clear();
      RunExecution(*e, invoker, clock, &history);
      if (k == 0) ok = e->status() == ExecutionStatus::kSucceeded && w.check(e->output());
    }
  } else {
    // Every execution started first, then all advanced round-robin, one step each.
    std::vector<std::unique_ptr<Execution>> all;
    all.reserve(w.execs);
    for (int k = 0; k < w.execs; ++k) all.push_back(StartOne(machine, w, k, clock));
    // Each execution's history in one allocation (a 5-state execution has 12 events).
    std::vector<std::vector<HistoryEvent>> events(all.size());
    for (auto& e : events) e.reserve(static_cast<size_t>(w.entered) * 2 + 2);
    size_t live = all.size();
    std::vector<bool> done(all.size(), false);
    while (live > 0) {
      for (size_t i = 0; i < all.size(); ++i) {
        if (done[i]) continue;
        auto r = all[i]->Step(clock.Now());
        all[i]->TakeEvents(&events[i]);
        if (r.kind == StepResult::Kind::kFinished) {
          done[i] = true;
          --live;
        }
      }
    }
    ok = all[0]->status() == ExecutionStatus::kSucceeded && w.check(all[0]->output());
  }
  double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return ok ? sec : -1;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: stepd_asl_bench WORKFLOW_DIR [--rounds N] [--only a,b] [--json]\n";
    return 2;
  }
  std::string dir = argv[1];
  int rounds = 5;
  bool json_out = false;
  std::vector<std::string> only;
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--rounds" && i + 1 < argc)
      rounds = std::stoi(argv[++i]);
    else if (a == "--json")
      json_out = true;
    else if (a == "--only" && i + 1 < argc) {
      std::stringstream ss(argv[++i]);
      for (std::string n; std::getline(ss, n, ',');) only.push_back(n);
    } else {
      std::cerr << "unknown argument " << a << "\n";
      return 2;
    }
  }
  std::vector<Workflow> workflows;
  for (auto& w : Workflows())
    if (only.empty() || std::find(only.begin(), only.end(), w.name) != only.end())
      workflows.push_back(w);

  std::map<std::string, std::shared_ptr<const StateMachine>> machines;
  std::map<std::string, double> compile_ms;
  for (auto& w : workflows) {
    std::ifstream in(dir + "/" + w.file + ".json");
    std::stringstream text;
    text << in.rdbuf();
    auto t0 = std::chrono::steady_clock::now();
    CompileResult compiled = Compile(text.str());
    compile_ms[w.name] =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    if (!compiled.ok()) {
      std::cerr << w.name << ": " << InvalidDefinitionMessage(compiled.diagnostics) << "\n";
      return 1;
    }
    machines[w.name] = compiled.machine;
    if (Measure(compiled.machine,
                Workflow{w.name, w.file, w.input, w.entered, 1, w.concurrent, w.check}) < 0) {
      std::cerr << w.name << ": warm-up output check failed\n";
      return 1;
    }
  }

  std::map<std::string, std::vector<double>> tps;
  for (int r = 1; r <= rounds; ++r) {
    for (auto& w : workflows) {
      double sec = Measure(machines[w.name], w);
      if (sec < 0) {
        std::cerr << w.name << ": output check failed\n";
        return 1;
      }
      double t = static_cast<double>(w.execs) * w.entered / sec;
      tps[w.name].push_back(t);
      std::printf("round %d %-22s %12.0f transitions/s %10.1f execs/s (%.2f s timed)\n", r,
                  w.name.c_str(), t, w.execs / sec, sec);
    }
  }
  std::printf("\nstepd in-process, %d rounds, median [min..max]\n", rounds);
  std::printf("%-24s %-36s %s\n", "workflow", "transitions/s", "compile ms");
  Json summary = Json::object();
  for (auto& w : workflows) {
    auto& v = tps[w.name];
    std::printf("%-24s %10.0f [%.0f..%.0f]%*s %.2f\n", w.name.c_str(), Median(v),
                *std::min_element(v.begin(), v.end()), *std::max_element(v.begin(), v.end()), 6, "",
                compile_ms[w.name]);
    summary[w.name] = {{"transitions_per_sec", v}, {"compile_ms", compile_ms[w.name]}};
  }
  if (json_out) std::cout << summary.dump() << "\n";
  return 0;
}
