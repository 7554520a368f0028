// The ASL compiler on arbitrary definition text, then, when it compiles, one
// execution of the machine: fake clock, every Task answered with its own
// parameters on even task ids and States.TaskFailed on odd ones, history
// bounded at 1,000 events (loops end there, as the server's limit ends them).

#include <string>

#include "fuzz_target.h"
#include "stepd/asl/compiler.h"
#include "stepd/asl/interpreter.h"
#include "stepd/base/clock.h"

namespace {

using namespace stepd;
using namespace stepd::asl;

class EchoOrFailInvoker final : public TaskInvoker {
 public:
  void Invoke(const TaskRequest& request, std::function<void(AslResult<Json>)> done) override {
    if (request.task_id % 2 == 0) {
      done(request.parameters);
    } else {
      done(AslError{"States.TaskFailed", "odd task"});
    }
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = fuzz::AsText(data, size);
  CompileResult compiled = Compile(text);
  fuzz::Check(compiled.ok() || !compiled.diagnostics.empty(), "a failed compile says why");
  if (!compiled.ok()) {
    fuzz::Check(!InvalidDefinitionMessage(compiled.diagnostics).empty(), "message");
    return 0;
  }
  ExecutionInfo info;
  info.execution_arn = "arn:aws:states:us-east-1:123456789012:execution:sm:fuzz";
  info.name = "fuzz";
  info.state_machine_arn = "arn:aws:states:us-east-1:123456789012:stateMachine:sm";
  info.state_machine_name = "sm";
  const TimePoint start(std::chrono::seconds(1'700'000'000));
  info.start_time = start;
  ExecutionOptions options;
  options.max_payload_bytes = 256 * 1024;
  FakeClock clock(start);
  EchoOrFailInvoker invoker;
  static const Json kInput =
      Json::parse(R"({"a":1,"b":"two","items":[1,2,{"c":3}],"flag":true,"n":null})");
  auto execution = Execution::Start(compiled.machine, info, kInput, clock.Now(), options);
  std::vector<HistoryEvent> history;
  RunExecution(*execution, invoker, clock, &history, /*max_events=*/1000);
  fuzz::Check(execution->status() != ExecutionStatus::kRunning, "the run ends");
  return 0;
}
