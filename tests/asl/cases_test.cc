// Data-driven ASL cases: every tests/asl/cases/*.json holds
//   {"definition": {...}, "input": ..., "status": "SUCCEEDED"|"FAILED",
//    "output": ... | "error": "...", "cause": "...", "event_types": [...] (optional)}
// and is run with a fake clock; tasks are answered by "tasks": {"State": [answers]},
// each answer {"Return": v} or {"Throw": {"Error","Cause"}}.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "asl/asl_run_testing.h"

namespace stepd::asl {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> CaseFiles() {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(fs::path(STEPD_SOURCE_DIR) / "tests/asl/cases")) {
    if (e.path().extension() == ".json") out.push_back(e.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

class AslCase : public ::testing::TestWithParam<std::string> {};

TEST_P(AslCase, MatchesItsExpectation) {
  std::ifstream f(GetParam());
  std::stringstream ss;
  ss << f.rdbuf();
  Json c = Json::parse(ss.str());
  testing::ScriptedInvoker inv;
  if (c.contains("tasks")) {
    for (auto& [state, answers] : c["tasks"].items()) {
      std::vector<AslResult<Json>> list;
      for (const Json& a : answers) {
        if (a.contains("Return")) {
          list.emplace_back(a["Return"]);
        } else {
          list.emplace_back(AslError{a["Throw"].value("Error", ""), a["Throw"].value("Cause", "")});
        }
      }
      inv.Answer(state, std::move(list));
    }
  }
  auto r = testing::RunDefinition(c["definition"].dump(), c.value("input", Json::object()), &inv);
  EXPECT_EQ(ExecutionStatusName(r.status), c["status"].get<std::string>());
  if (c.contains("output")) {
    EXPECT_EQ(r.output, c["output"]);
  }
  if (c.contains("error")) {
    EXPECT_EQ(r.error.error, c["error"].get<std::string>());
  }
  if (c.contains("cause")) {
    EXPECT_EQ(r.error.cause, c["cause"].get<std::string>());
  }
  if (c.contains("event_types")) {
    EXPECT_EQ(Json(r.types), c["event_types"]);
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, AslCase, ::testing::ValuesIn(CaseFiles()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string n = fs::path(info.param).stem().string();
                           for (char& ch : n) {
                             if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           }
                           return n;
                         });

}  // namespace
}  // namespace stepd::asl
