#pragma once
// The crash test's workload, shared by the driver process and the test that
// checks its results: Pass chains, loops, Waits and Maps, each with the
// output an uninterrupted run gives.

#include <string>
#include <vector>

#include "stepd/base/json.h"

namespace stepd::crash {

struct Machine {
  std::string name;
  std::string definition;
};

struct Execution {
  std::string machine;
  std::string name;
  std::string input;
  Json expected_output;
};

inline std::string MachineArn(const std::string& name) {
  return "arn:aws:states:us-east-1:123456789012:stateMachine:" + name;
}

inline std::string ExecutionArn(const Execution& e) {
  return "arn:aws:states:us-east-1:123456789012:execution:" + e.machine + ":" + e.name;
}

inline std::vector<Machine> Machines() {
  std::string chain = R"({"StartAt":"S0","States":{)";
  for (int i = 0; i < 20; ++i) {
    chain +=
        "\"S" + std::to_string(i) + R"(":{"Type":"Pass","Parameters":{"k.$":"$.k","step":)" +
        std::to_string(i) + "}," +
        (i == 19 ? std::string(R"("End":true})") : "\"Next\":\"S" + std::to_string(i + 1) + "\"},");
  }
  chain += "}}";
  return {
      {"chain", chain},
      {"loop", R"json({"StartAt":"Init","States":{
          "Init":{"Type":"Pass","Result":0,"ResultPath":"$.i","Next":"Inc"},
          "Inc":{"Type":"Pass","Parameters":{"k.$":"$.k","i.$":"States.MathAdd($.i, 1)"},"Next":"Check"},
          "Check":{"Type":"Choice","Choices":[{"Variable":"$.i","NumericLessThan":150,"Next":"Inc"}],
                   "Default":"Done"},
          "Done":{"Type":"Succeed"}}})json"},
      {"wait", R"({"StartAt":"Before","States":{
          "Before":{"Type":"Pass","Next":"W"},
          "W":{"Type":"Wait","Seconds":1,"Next":"After"},
          "After":{"Type":"Pass","Result":"waited","ResultPath":"$.w","End":true}}})"},
      {"map",
       R"json({"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.items","MaxConcurrency":5,
          "ItemProcessor":{"StartAt":"A","States":{
            "A":{"Type":"Pass","Parameters":{"v.$":"$"},"Next":"B"},
            "B":{"Type":"Pass","Result":true,"ResultPath":"$.done","End":true}}},
          "ResultSelector":{"n.$":"States.ArrayLength($)","first.$":"$[0]"},"End":true}}})json"},
  };
}

inline Execution ExecutionAt(int i) {
  const std::string k = std::to_string(i);
  switch (i % 4) {
    case 0:
      return {"chain", "chain-" + k, "{\"k\":" + k + "}", Json{{"k", i}, {"step", 19}}};
    case 1:
      return {"loop", "loop-" + k, "{\"k\":" + k + "}", Json{{"k", i}, {"i", 150}}};
    case 2:
      return {"wait", "wait-" + k, "{\"k\":" + k + "}", Json{{"k", i}, {"w", "waited"}}};
    default: {
      Json items = Json::array();
      for (int j = 0; j < 12; ++j) items.push_back(j + i);
      return {"map", "map-" + k, Json{{"items", items}}.dump(),
              Json{{"n", 12}, {"first", {{"v", i}, {"done", true}}}}};
    }
  }
}

}  // namespace stepd::crash
