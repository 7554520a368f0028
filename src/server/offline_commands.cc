#include "stepd/server/offline_commands.h"

#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <random>
#include <sstream>
#include <variant>

#include "stepd/asl/compiler.h"
#include "stepd/asl/interpreter.h"
#include "stepd/asl/jsonata.h"
#include "stepd/asl/task_invoker.h"
#include "stepd/base/clock.h"
#include "stepd/base/json.h"

namespace stepd::server {
namespace {

constexpr std::string_view kRegionAccount = "us-east-1:123456789012";
constexpr std::string_view kRoleArn = "arn:aws:iam::123456789012:role/stepd-local";

bool ReadFile(const std::string& path, std::string* out) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return false;
  std::ostringstream ss;
  ss << f.rdbuf();
  *out = ss.str();
  return true;
}

std::string Stem(const std::string& path) {
  std::string base = path.substr(path.find_last_of('/') + 1);
  for (std::string_view ext : {".asl.json", ".json"}) {
    if (base.size() > ext.size() && base.compare(base.size() - ext.size(), ext.size(), ext) == 0) {
      return base.substr(0, base.size() - ext.size());
    }
  }
  return base;
}

std::string RandomName() {
  std::random_device rd;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  for (int i = 0; i < 32; ++i) {
    if (i == 8 || i == 12 || i == 16 || i == 20) s += '-';
    s += kHex[rd() % 16];
  }
  return s;
}

Json DiagnosticsJson(const asl::Diagnostics& diags) {
  Json a = Json::array();
  for (const asl::Diagnostic& d : diags) {
    Json j = {{"code", d.code},
              {"message", d.message},
              {"severity", d.severity == asl::Severity::kError ? "ERROR" : "WARNING"}};
    if (!d.location.empty()) j["location"] = d.location;
    a.push_back(std::move(j));
  }
  return a;
}

int Usage(std::ostream& err, const std::string& message) {
  err << "stepd: " << message << "\n";
  return 2;
}

}  // namespace

int RunValidateCommand(const ValidateArgs& args, std::ostream& out, std::ostream& err) {
  std::string text;
  if (!ReadFile(args.definition_file, &text)) {
    return Usage(err, "cannot read " + args.definition_file);
  }
  asl::CompileOptions options;
  if (!asl::ParseStateMachineType(args.type, &options.type)) {
    return Usage(err, "--type must be STANDARD or EXPRESS");
  }
  asl::CompileResult r = asl::Compile(text, options);
  Json j = {{"result", r.ok() ? "OK" : "FAIL"}, {"diagnostics", DiagnosticsJson(r.diagnostics)}};
  if (!r.ok()) j["message"] = asl::InvalidDefinitionMessage(r.diagnostics);
  out << j.dump() << "\n";
  return r.ok() ? 0 : 1;
}

int RunRunCommand(const RunArgs& args, std::istream& in, std::ostream& out, std::ostream& err) {
  std::string text;
  if (!ReadFile(args.definition_file, &text)) {
    return Usage(err, "cannot read " + args.definition_file);
  }
  asl::CompileOptions options;
  if (!asl::ParseStateMachineType(args.type, &options.type)) {
    return Usage(err, "--type must be STANDARD or EXPRESS");
  }
  asl::CompileResult compiled = asl::Compile(text, options);
  if (!compiled.ok()) {
    out << Json{{"error", "InvalidDefinition"},
                {"message", asl::InvalidDefinitionMessage(compiled.diagnostics)}}
               .dump()
        << "\n";
    return 2;
  }
  std::string input_text = "{}";
  if (args.input_file == "-") {
    std::ostringstream ss;
    ss << in.rdbuf();
    input_text = ss.str();
  } else if (!args.input_file.empty() && !ReadFile(args.input_file, &input_text)) {
    return Usage(err, "cannot read " + args.input_file);
  }
  auto input = ParseJson(input_text);
  if (!input.ok()) return Usage(err, "the input is not JSON: " + input.status().message());

  std::unique_ptr<asl::TaskInvoker> invoker;
  const std::string sm_name =
      args.state_machine_name.empty() ? Stem(args.definition_file) : args.state_machine_name;
  if (!args.mocks_file.empty()) {
    if (args.state_machine_name.empty() || args.test_case.empty()) {
      return Usage(err, "--mocks needs --state-machine-name and --test-case");
    }
    std::string mocks_text;
    if (!ReadFile(args.mocks_file, &mocks_text))
      return Usage(err, "cannot read " + args.mocks_file);
    auto mocks = ParseJson(mocks_text);
    if (!mocks.ok()) return Usage(err, "the mock file is not JSON: " + mocks.status().message());
    auto mock =
        asl::MockTaskInvoker::Create(mocks.value(), args.state_machine_name, args.test_case);
    if (!mock.ok()) return Usage(err, mock.status().message());
    invoker = std::move(mock).value();
  } else {
    invoker = std::make_unique<asl::NoTaskInvoker>();
  }

  std::unique_ptr<Clock> owned_clock;
  Clock* clock = SystemClock::Default();
  if (args.fast_forward) {
    owned_clock = std::make_unique<FakeClock>(SystemClock::Default()->Now());
    clock = owned_clock.get();
  }
  asl::ExecutionInfo info;
  info.name = args.name.empty() ? RandomName() : args.name;
  info.state_machine_name = sm_name;
  info.state_machine_arn =
      "arn:aws:states:" + std::string(kRegionAccount) + ":stateMachine:" + sm_name;
  info.execution_arn =
      "arn:aws:states:" + std::string(kRegionAccount) +
      (options.type == asl::StateMachineType::kExpress ? ":express:" : ":execution:") + sm_name +
      ":" + info.name;
  info.role_arn = std::string(kRoleArn);
  info.start_time = clock->Now();
  asl::ExecutionOptions exec_options;
  exec_options.max_payload_bytes =
      static_cast<size_t>(std::max<int64_t>(0, args.max_payload_bytes));
  exec_options.record_history = args.history || args.max_history_events > 0;
  auto execution = asl::Execution::Start(compiled.machine, info, std::move(input).value(),
                                         clock->Now(), exec_options);
  std::vector<asl::HistoryEvent> history;
  asl::RunExecution(*execution, *invoker, *clock, args.history ? &history : nullptr,
                    args.max_history_events);

  Json j = {{"executionArn", info.execution_arn},
            {"stateMachineArn", info.state_machine_arn},
            {"name", info.name},
            {"status", asl::ExecutionStatusName(execution->status())}};
  if (execution->status() == asl::ExecutionStatus::kSucceeded) {
    j["output"] = execution->output().dump();
  } else {
    // AWS omits an empty error or cause (a Fail state without Error/Cause).
    if (!execution->error().error.empty()) j["error"] = execution->error().error;
    if (!execution->error().cause.empty()) j["cause"] = execution->error().cause;
  }
  if (args.history) {
    Json h = Json::array();
    for (const asl::HistoryEvent& e : history) h.push_back(e.ToAwsJson());
    j["history"] = std::move(h);
  }
  out << j.dump() << "\n";
  return execution->status() == asl::ExecutionStatus::kSucceeded ? 0 : 1;
}

int RunJsonataCommand(const JsonataArgs& args, std::istream& in, std::ostream& out,
                      std::ostream& err) {
  std::map<std::string, Json> bindings;
  if (!args.bindings.empty()) {
    StatusOr<Json> parsed = ParseJson(args.bindings);
    if (!parsed.ok() || !parsed->is_object()) {
      err << "stepd jsonata: --bindings must be a JSON object"
          << (parsed.ok() ? "" : ": " + parsed.status().message()) << "\n";
      return 2;
    }
    for (auto it = parsed->begin(); it != parsed->end(); ++it) bindings[it.key()] = it.value();
  }
  std::stringstream text;
  text << in.rdbuf();
  std::optional<Json> input;
  if (text.str().find_first_not_of(" \t\r\n") != std::string::npos) {
    StatusOr<Json> parsed = ParseJson(text.str());
    if (!parsed.ok()) {
      err << "stepd jsonata: standard input is not JSON: " << parsed.status().message() << "\n";
      return 2;
    }
    input = std::move(*parsed);
  }
  asl::JsonataOptions options;
  options.time_limit_ms = args.time_limit_ms;
  options.max_depth = args.depth;
  auto compiled = asl::Jsonata::Compile(args.expression);
  asl::JsonataResult result;
  if (auto* error = std::get_if<asl::JsonataError>(&compiled)) {
    result.error = *error;
  } else {
    result =
        std::get<asl::Jsonata>(compiled).Evaluate(input ? &*input : nullptr, bindings, {}, options);
  }
  if (result.error) {
    out << Json{{"error", result.error->ToJson()}}.dump() << "\n";
    return 1;
  }
  if (!result.value) {
    out << R"({"undefined":true})"
        << "\n";
    return 0;
  }
  out << Json{{"result", *result.value}}.dump() << "\n";
  return 0;
}

void AddOfflineCommands(CLI::App& app) {
  auto validate_args = std::make_shared<ValidateArgs>();
  CLI::App* validate =
      app.add_subcommand("validate", "Validate a state machine definition (offline)");
  validate->add_option("definition", validate_args->definition_file, "definition file (JSON)")
      ->required();
  validate->add_option("--type", validate_args->type, "STANDARD or EXPRESS");
  validate->callback([validate_args] {
    const int code = RunValidateCommand(*validate_args, std::cout, std::cerr);
    std::cout.flush();
    if (code != 0) throw CLI::RuntimeError(code);
  });

  auto run_args = std::make_shared<RunArgs>();
  CLI::App* run = app.add_subcommand("run", "Run a state machine once, offline");
  run->add_option("definition", run_args->definition_file, "definition file (JSON)")->required();
  run->add_option("--input", run_args->input_file, "execution input file, or - for stdin");
  run->add_option("--name", run_args->name, "execution name");
  run->add_option("--type", run_args->type, "STANDARD or EXPRESS");
  run->add_flag("--history", run_args->history, "include the execution history");
  run->add_flag("--fast-forward", run_args->fast_forward,
                "virtual clock: Wait states and retry delays end at once");
  run->add_option("--mocks", run_args->mocks_file, "Step Functions Local mock configuration file");
  run->add_option("--state-machine-name", run_args->state_machine_name,
                  "state machine name (in the mock file and in ARNs)");
  run->add_option("--test-case", run_args->test_case, "test case of the mock file");
  run->add_option("--max-history-events", run_args->max_history_events,
                  "fail the execution beyond this many history events (0: no cap)");
  run->add_option("--max-payload-bytes", run_args->max_payload_bytes,
                  "largest state input/output in bytes (0: no limit)");
  run->callback([run_args] {
    const int code = RunRunCommand(*run_args, std::cin, std::cout, std::cerr);
    std::cout.flush();
    if (code != 0) throw CLI::RuntimeError(code);
  });

  auto jsonata_args = std::make_shared<JsonataArgs>();
  CLI::App* jsonata = app.add_subcommand(
      "jsonata", "Evaluate a JSONata expression against the JSON on standard input (offline)");
  jsonata->add_option("expression", jsonata_args->expression, "the JSONata expression")->required();
  jsonata
      ->add_option("--bindings", jsonata_args->bindings,
                   "variables as a JSON object ({\"name\": value})")
      ->type_name("JSON");
  jsonata
      ->add_option("--time-limit-ms", jsonata_args->time_limit_ms,
                   "fail with U1002 past this many milliseconds (0: none; default 10000)")
      ->type_name("N")
      ->check(CLI::Range(int64_t{0}, int64_t{3'600'000}));
  jsonata
      ->add_option("--depth", jsonata_args->depth,
                   "fail with U1001 when evaluation nests deeper (default 1000)")
      ->type_name("N")
      ->check(CLI::Range(1, 100'000));
  jsonata->callback([jsonata_args] {
    const int code = RunJsonataCommand(*jsonata_args, std::cin, std::cout, std::cerr);
    std::cout.flush();
    if (code != 0) throw CLI::RuntimeError(code);
  });
}

}  // namespace stepd::server
