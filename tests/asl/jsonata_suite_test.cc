// The reference implementation's test suite (../shared/jsonata-suite, half of
// jsonata-js' test/test-suite; format in its TESTSUITE.md) through
// Jsonata::Compile and Evaluate. Every case passes except those named in
// tests/asl/jsonata-suite-skips.txt, each with its reason; a skipped case that
// passes fails the run too, so the list only shrinks.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "stepd/asl/jsonata.h"

namespace stepd::asl {
namespace {

namespace fs = std::filesystem;

fs::path SuiteDir() {
  return fs::path(STEPD_SOURCE_DIR).parent_path() / "shared" / "jsonata-suite";
}

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Deep equality as chai's deep.equal sees two JSON values: numbers by value,
// objects regardless of member order.
bool SameJson(const Json& a, const Json& b) {
  if (a.is_number() && b.is_number()) {
    const double x = a.get<double>(), y = b.get<double>();
    return x == y || std::fabs(x - y) <= 1e-12 * std::max(std::fabs(x), std::fabs(y));
  }
  if (a.type() != b.type()) return false;
  if (a.is_array()) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
      if (!SameJson(a[i], b[i])) return false;
    }
    return true;
  }
  if (a.is_object()) {
    if (a.size() != b.size()) return false;
    for (auto it = a.begin(); it != a.end(); ++it) {
      auto other = b.find(it.key());
      if (other == b.end() || !SameJson(it.value(), *other)) return false;
    }
    return true;
  }
  return a == b;
}

struct Case {
  std::string name;  // group/file or group/file#index
  fs::path dir;
  Json spec;
};

std::vector<Case> LoadCases() {
  std::vector<Case> cases;
  const fs::path groups = SuiteDir() / "groups";
  std::vector<fs::path> files;
  for (const auto& group : fs::directory_iterator(groups)) {
    for (const auto& f : fs::directory_iterator(group.path())) {
      if (f.path().extension() == ".json") files.push_back(f.path());
    }
  }
  std::sort(files.begin(), files.end());
  for (const fs::path& f : files) {
    const std::string base = f.parent_path().filename().string() + "/" + f.stem().string();
    Json spec;
    try {
      spec = Json::parse(ReadFile(f));
    } catch (const Json::parse_error& e) {
      // e.g. a lone surrogate escape, which nlohmann::json refuses.
      spec = {{"unreadable", e.what()}};
    }
    if (spec.is_array()) {
      for (size_t i = 0; i < spec.size(); ++i) {
        cases.push_back({base + "#" + std::to_string(i), f.parent_path(), spec[i]});
      }
    } else {
      cases.push_back({base, f.parent_path(), spec});
    }
  }
  return cases;
}

std::map<std::string, std::string> LoadSkips() {
  std::map<std::string, std::string> skips;
  std::ifstream in(fs::path(STEPD_SOURCE_DIR) / "tests" / "asl" / "jsonata-suite-skips.txt");
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const size_t space = line.find(' ');
    skips[line.substr(0, space)] = space == std::string::npos ? "" : line.substr(space + 1);
  }
  return skips;
}

// Runs one case; empty when it passed, else what went wrong.
std::string RunCase(const Case& c, std::map<std::string, Json>* datasets) {
  const Json& spec = c.spec;
  if (spec.contains("unreadable"))
    return "the case file cannot be read: " + spec["unreadable"].get<std::string>();
  std::string expr = spec.contains("expr") ? spec["expr"].get<std::string>() : "";
  if (spec.contains("expr-file")) expr = ReadFile(c.dir / spec["expr-file"].get<std::string>());
  std::optional<Json> input;
  if (spec.contains("data")) {
    input = spec["data"];
  } else if (spec.contains("dataset") && spec["dataset"].is_string()) {
    const std::string name = spec["dataset"];
    auto it = datasets->find(name);
    if (it == datasets->end()) {
      it =
          datasets->emplace(name, Json::parse(ReadFile(SuiteDir() / "datasets" / (name + ".json"))))
              .first;
    }
    input = it->second;
  }
  std::map<std::string, Json> bindings;
  if (spec.contains("bindings") && spec["bindings"].is_object()) {
    for (auto it = spec["bindings"].begin(); it != spec["bindings"].end(); ++it) {
      bindings[it.key()] = it.value();
    }
  }
  JsonataOptions options;
  options.time_limit_ms = spec.contains("timelimit") ? spec["timelimit"].get<int64_t>() : 20'000;
  if (spec.contains("depth")) options.max_depth = spec["depth"].get<int>();

  auto compiled = Jsonata::Compile(expr);
  JsonataResult result;
  if (auto* error = std::get_if<JsonataError>(&compiled)) {
    result.error = *error;
  } else {
    result = std::get<Jsonata>(compiled).Evaluate(input ? &*input : nullptr, bindings, {}, options);
  }
  auto got = [&] {
    if (result.error) return "error " + result.error->code + " (" + result.error->message + ")";
    if (!result.value) return std::string("undefined");
    return result.value->dump();
  };
  if (spec.contains("error") && spec["error"].is_object() && spec["error"].contains("code")) {
    Json copy = spec;
    copy["code"] = spec["error"]["code"];
    copy.erase("error");
    return RunCase(Case{c.name, c.dir, copy}, datasets);
  }
  if (spec.contains("code")) {
    if (!result.error)
      return "expected error " + spec["code"].get<std::string>() + ", got " + got();
    if (result.error->code != spec["code"]) {
      return "expected error " + spec["code"].get<std::string>() + ", got " + got();
    }
    if (spec.contains("token") && spec["token"].is_string() &&
        result.error->token != spec["token"]) {
      return "expected token " + spec["token"].dump() + ", got " + result.error->token;
    }
    return "";
  }
  if (spec.value("undefinedResult", false)) {
    return result.undefined() ? "" : "expected undefined, got " + got();
  }
  if (spec.contains("result")) {
    if (result.error || !result.value || !SameJson(*result.value, spec["result"])) {
      return "expected " + spec["result"].dump() + ", got " + got();
    }
    return "";
  }
  return result.undefined() ? "" : "expected undefined (no result given), got " + got();
}

TEST(JsonataSuite, EveryCaseOutsideTheSkipListPassesAndEverySkippedOneStillFails) {
  if (!fs::exists(SuiteDir())) GTEST_SKIP() << SuiteDir() << " not found";
  const std::vector<Case> cases = LoadCases();
  const std::map<std::string, std::string> skips = LoadSkips();
  ASSERT_GT(cases.size(), 600u);
  std::map<std::string, Json> datasets;
  size_t passed = 0, skipped = 0;
  std::vector<std::string> failures, stale;
  std::set<std::string> seen;
  for (const Case& c : cases) {
    seen.insert(c.name);
    std::string problem;
    try {
      problem = RunCase(c, &datasets);
    } catch (const std::exception& e) {
      problem = std::string("exception: ") + e.what();
    }
    const bool skip = skips.contains(c.name);
    if (problem.empty()) {
      ++passed;
      if (skip) stale.push_back(c.name);
    } else if (skip) {
      ++skipped;
    } else {
      failures.push_back(c.name + ": " + problem);
    }
  }
  for (const auto& [name, reason] : skips) {
    if (!seen.contains(name)) stale.push_back(name + " (no such case)");
  }
  std::cout << "jsonata suite: " << cases.size() << " cases, " << passed << " passed, " << skipped
            << " skipped, " << failures.size() << " failed\n";
  for (const std::string& f : failures) ADD_FAILURE() << f;
  for (const std::string& s : stale) {
    ADD_FAILURE() << s << " is in jsonata-suite-skips.txt but passes: remove it";
  }
}

}  // namespace
}  // namespace stepd::asl
