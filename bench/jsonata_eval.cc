// JSONata evaluation benchmark: the expressions of a workload file
// (bench/jsonata-workload.json) compiled once by stepd's native JSONata and
// evaluated over the workload's data for a fixed time each, with every result
// checked against the workload's `expected` (jsonata-js' answer, written by
// bench/jsonata_reference.mjs, which runs the same loop in Node).
//
// Usage: stepd_jsonata_bench WORKLOAD [--rounds N] [--seconds S] [--only a,b] [--json]
// Prints one line per measurement and a median [min..max] table; with --json
// the last line is a JSON object {expression: {evals_per_sec: [..], ...}}.
// Exits 1 when an expression fails to compile or a result differs.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <variant>
#include <vector>

#include "stepd/asl/jsonata.h"
#include "stepd/base/json.h"

namespace {

using stepd::Json;
using stepd::asl::Jsonata;
using stepd::asl::JsonataError;
using stepd::asl::JsonataInput;
using stepd::asl::JsonataResult;
using Clock = std::chrono::steady_clock;

struct Case {
  std::string name;
  std::optional<Jsonata> expr;
  const Json* input = nullptr;  // nullptr: evaluated without input (`$` undefined)
  // The same document converted once (JsonataInput), as jsonata-js holds its
  // input already parsed; null with `input`.
  const JsonataInput* prepared = nullptr;
  std::map<std::string, Json> bindings;
  Json expected;
  double compile_us = 0;
};

// JSON equality as jsonata-js' output would be compared after JSON.stringify:
// numbers by value (1 == 1.0; doubles within 1e-12 relative, as summation
// order may differ in the last bit), object members in any order.
bool SameJson(const Json& a, const Json& b) {
  if (a.is_number() && b.is_number()) {
    double x = a.get<double>(), y = b.get<double>();
    return x == y || std::fabs(x - y) <= 1e-12 * std::max(std::fabs(x), std::fabs(y));
  }
  if (a.type() != b.type()) return false;
  if (a.is_array()) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
      if (!SameJson(a[i], b[i])) return false;
    return true;
  }
  if (a.is_object()) {
    if (a.size() != b.size()) return false;
    for (const auto& [k, v] : a.items()) {
      auto it = b.find(k);
      if (it == b.end() || !SameJson(v, *it)) return false;
    }
    return true;
  }
  return a == b;
}

// One evaluation: over the prepared document, or (`from_json`) converting the
// Json document first, as Evaluate(const Json*) does every time.
JsonataResult EvaluateOnce(const Case& c, bool from_json) {
  if (c.prepared && !from_json) return c.expr->Evaluate(*c.prepared, c.bindings);
  return c.expr->Evaluate(c.input, c.bindings);
}

// One evaluation, checked. Returns an explanation when the result is wrong.
std::optional<std::string> EvaluateChecked(const Case& c, bool from_json) {
  JsonataResult r = EvaluateOnce(c, from_json);
  if (r.error) return "error " + r.error->code + ": " + r.error->message;
  if (!r.value) return std::string("undefined result");
  if (!SameJson(*r.value, c.expected))
    return "got " + r.value->dump() + "\n  expected " + c.expected.dump();
  return std::nullopt;
}

// Evaluates `c` for about `seconds`, checking the clock once per batch (a
// batch lasts about a millisecond); returns evaluations per second.
double Measure(const Case& c, double seconds, bool from_json) {
  long n = 0;
  long batch = 1;
  auto t0 = Clock::now();
  double elapsed = 0;
  while (elapsed < seconds) {
    for (long k = 0; k < batch; ++k) {
      JsonataResult r = EvaluateOnce(c, from_json);
      if (!r.ok()) return -1;
    }
    n += batch;
    elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
    batch = std::max(1L, static_cast<long>(n / elapsed * 1e-3));
  }
  return n / elapsed;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: stepd_jsonata_bench WORKLOAD [--rounds N] [--seconds S] [--only a,b] "
                 "[--json]\n";
    return 2;
  }
  int rounds = 3;
  double seconds = 0.5;
  bool json_out = false;
  std::vector<std::string> only;
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--rounds" && i + 1 < argc)
      rounds = std::stoi(argv[++i]);
    else if (a == "--seconds" && i + 1 < argc)
      seconds = std::stod(argv[++i]);
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

  std::ifstream in(argv[1]);
  std::stringstream text;
  text << in.rdbuf();
  auto parsed = stepd::ParseJson(text.str());
  if (!parsed.ok()) {
    std::cerr << argv[1] << ": " << parsed.status().ToString() << "\n";
    return 1;
  }
  const Json workload = std::move(parsed).value();
  const Json& data = workload.at("data");
  const JsonataInput prepared(data);

  std::vector<Case> cases;
  for (const Json& e : workload.at("expressions")) {
    Case c;
    c.name = e.at("name").get<std::string>();
    if (!only.empty() && std::find(only.begin(), only.end(), c.name) == only.end()) continue;
    if (!e.contains("expected")) {
      std::cerr << c.name
                << ": no expected result in the workload (run jsonata_reference.mjs "
                   "--write-expected)\n";
      return 1;
    }
    c.input = e.value("input", true) ? &data : nullptr;
    c.prepared = c.input ? &prepared : nullptr;
    if (e.contains("bindings"))
      for (const auto& [k, v] : e.at("bindings").items()) c.bindings[k] = v;
    c.expected = e.at("expected");
    auto t0 = Clock::now();
    auto compiled = Jsonata::Compile(e.at("expr").get<std::string>());
    c.compile_us = std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
    if (auto* err = std::get_if<JsonataError>(&compiled)) {
      std::cerr << c.name << ": compile error " << err->code << ": " << err->message << "\n";
      return 1;
    }
    c.expr.emplace(std::get<Jsonata>(std::move(compiled)));
    for (bool from_json : {false, true}) {
      if (auto wrong = EvaluateChecked(c, from_json)) {
        std::cerr << c.name << ": result differs from the reference: " << *wrong << "\n";
        return 1;
      }
    }
    cases.push_back(std::move(c));
  }
  // Warm-up (caches, allocator), as the reference warms its JIT.
  for (const Case& c : cases) Measure(c, std::min(seconds, 0.2), false);

  std::map<std::string, std::vector<double>> eps, eps_json;
  for (int r = 1; r <= rounds; ++r) {
    for (const Case& c : cases) {
      for (bool from_json : {false, true}) {
        double e = Measure(c, seconds, from_json);
        if (e < 0) {
          std::cerr << c.name << ": evaluation failed\n";
          return 1;
        }
        if (auto wrong = EvaluateChecked(c, from_json)) {
          std::cerr << c.name << ": result differs from the reference: " << *wrong << "\n";
          return 1;
        }
        (from_json ? eps_json : eps)[c.name].push_back(e);
        std::printf("round %d %-22s %-9s %12.0f evals/s %10.2f us/eval\n", r, c.name.c_str(),
                    from_json ? "from-json" : "prepared", e, 1e6 / e);
      }
    }
  }
  std::printf("\nstepd JSONata, %d rounds of %.2f s, median [min..max]\n", rounds, seconds);
  std::printf("%-24s %-36s %s\n", "expression", "evals/s", "compile us");
  Json summary = Json::object();
  for (const Case& c : cases) {
    auto& v = eps[c.name];
    std::printf("%-24s %10.0f [%.0f..%.0f]%*s %.1f\n", c.name.c_str(), Median(v),
                *std::min_element(v.begin(), v.end()), *std::max_element(v.begin(), v.end()), 6, "",
                c.compile_us);
    summary[c.name] = {
        {"evals_per_sec", v}, {"evals_per_sec_json", eps_json[c.name]}, {"compile_us", c.compile_us}};
  }
  if (json_out) std::cout << summary.dump() << "\n";
  return 0;
}
