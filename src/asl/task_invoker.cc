#include "stepd/asl/task_invoker.h"

#include <cstdlib>

namespace stepd::asl {

StatusOr<std::unique_ptr<MockTaskInvoker>> MockTaskInvoker::Create(
    const Json& config, std::string_view state_machine_name, std::string_view test_case) {
  if (!config.is_object()) return InvalidArgumentError("mock file: not a JSON object");
  const auto machines = config.find("StateMachines");
  if (machines == config.end() || !machines->is_object()) {
    return InvalidArgumentError("mock file: missing \"StateMachines\"");
  }
  const auto sm = machines->find(std::string(state_machine_name));
  if (sm == machines->end()) {
    return InvalidArgumentError("mock file: no state machine \"" + std::string(state_machine_name) +
                                "\"");
  }
  const auto cases = sm->find("TestCases");
  if (cases == sm->end() || !cases->is_object()) {
    return InvalidArgumentError("mock file: state machine \"" + std::string(state_machine_name) +
                                "\" has no \"TestCases\"");
  }
  const auto tc = cases->find(std::string(test_case));
  if (tc == cases->end() || !tc->is_object()) {
    return InvalidArgumentError("mock file: no test case \"" + std::string(test_case) + "\"");
  }
  const auto responses = config.find("MockedResponses");
  auto out = std::unique_ptr<MockTaskInvoker>(new MockTaskInvoker());
  for (const auto& [state, response_name] : tc->items()) {
    if (!response_name.is_string()) {
      return InvalidArgumentError("mock file: test case \"" + std::string(test_case) +
                                  "\" state \"" + state + "\" must name a response");
    }
    const std::string rn = response_name.get<std::string>();
    if (responses == config.end() || !responses->contains(rn) || !(*responses)[rn].is_object()) {
      return InvalidArgumentError("mock file: no mocked response \"" + rn + "\"");
    }
    std::vector<Entry> entries;
    for (const auto& [key, value] : (*responses)[rn].items()) {
      Entry e;
      const size_t dash = key.find('-');
      char* end = nullptr;
      e.first = std::strtoll(key.c_str(), &end, 10);
      e.last = dash == std::string::npos ? e.first : std::strtoll(key.c_str() + dash + 1, &end, 10);
      if (e.first < 0 || e.last < e.first || !value.is_object() ||
          (!value.contains("Return") && !value.contains("Throw"))) {
        return InvalidArgumentError("mock file: response \"" + rn + "\" has a bad entry \"" + key +
                                    "\"");
      }
      e.response = value;
      entries.push_back(std::move(e));
    }
    if (entries.empty()) return InvalidArgumentError("mock file: response \"" + rn + "\" is empty");
    out->by_state_[state] = std::move(entries);
  }
  return out;
}

void MockTaskInvoker::Invoke(const TaskRequest& request,
                             std::function<void(AslResult<Json>)> done) {
  auto it = by_state_.find(request.state_name);
  if (it == by_state_.end()) {
    done(AslError::Of(StatesError::kTaskFailed, "No mocked response for state '" +
                                                    request.state_name + "' (resource " +
                                                    request.resource + ")"));
    return;
  }
  int64_t n;
  {
    std::lock_guard<std::mutex> lock(mu_);
    n = calls_[request.state_name]++;
  }
  const Entry* chosen = &it->second.back();
  for (const Entry& e : it->second) {
    if (n >= e.first && n <= e.last) {
      chosen = &e;
      break;
    }
  }
  if (chosen->response.contains("Return")) {
    done(chosen->response["Return"]);
    return;
  }
  const Json& t = chosen->response["Throw"];
  AslError err;
  err.error = t.value("Error", std::string("States.TaskFailed"));
  err.cause = t.value("Cause", std::string());
  done(std::move(err));
}

void NoTaskInvoker::Invoke(const TaskRequest& request, std::function<void(AslResult<Json>)> done) {
  done(AslError::Of(StatesError::kTaskFailed,
                    "stepd run cannot call '" + request.resource + "' for state '" +
                        request.state_name +
                        "': no task executor offline; give a mock with --mocks"));
}

}  // namespace stepd::asl
