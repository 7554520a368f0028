#pragma once
// `stepd validate` and `stepd run`: the ASL engine on the command line, with
// no server and no database (CONTRACTS.md, conformance/README.md).
//
//   stepd validate DEF.json [--type STANDARD|EXPRESS]
//     stdout {"result":"OK"|"FAIL","diagnostics":[{code,message,severity,location}],
//             "message": InvalidDefinition text (FAIL only)}; exit 0 OK, 1 FAIL.
//   stepd run DEF.json [--input FILE|-] [--name NAME] [--type T] [--history]
//             [--fast-forward] [--mocks FILE --state-machine-name NAME --test-case CASE]
//             [--max-history-events N] [--max-payload-bytes N]
//     stdout {"executionArn","stateMachineArn","name","status",
//             "output" (JSON text, SUCCEEDED) | "error","cause", ["history": [...]]};
//     exit 0 SUCCEEDED, 1 any other final status, 2 definition rejected
//     ({"error":"InvalidDefinition","message":...}) or bad usage/files.
//
//   stepd jsonata [--bindings JSON] [--time-limit-ms N] [--depth N] EXPR
//     evaluates the JSONata expression EXPR against the JSON document on
//     standard input (empty input: undefined) with variables from --bindings
//     (an object: {"name": value}, names without `$`); stdout {"result": ...},
//     {"undefined": true} or {"error": {"code","message","position","token"}};
//     exit 0 a result or undefined, 1 an error, 2 bad usage or input that is
//     not JSON.
//
// Task states: with --mocks, answered from the Step Functions Local mock
// file; without, every Task fails with States.TaskFailed naming its resource
// (`stepd run` never calls AWS).

#include <iosfwd>
#include <optional>
#include <string>

namespace CLI {
class App;
}

namespace stepd::server {

struct ValidateArgs {
  std::string definition_file;
  std::string type = "STANDARD";
};

struct RunArgs {
  std::string definition_file;
  std::string input_file;  // empty: "{}"; "-": standard input
  std::string name;        // empty: a generated name
  std::string type = "STANDARD";
  bool history = false;
  bool fast_forward = false;
  std::string mocks_file;
  std::string state_machine_name;  // also names the state machine in ARNs
  std::string test_case;
  int64_t max_history_events = 0;  // 0: no cap
  int64_t max_payload_bytes = 0;   // 0: no limit
};

struct JsonataArgs {
  std::string expression;
  std::string bindings;  // a JSON object, empty: none
  int64_t time_limit_ms = 10'000;
  int depth = 1000;
};

// All return the process exit code and write JSON to `out`, problems with
// files or flags to `err`.
int RunValidateCommand(const ValidateArgs& args, std::ostream& out, std::ostream& err);
int RunRunCommand(const RunArgs& args, std::istream& in, std::ostream& out, std::ostream& err);
int RunJsonataCommand(const JsonataArgs& args, std::istream& in, std::ostream& out,
                      std::ostream& err);

// Registers `validate`, `run` and `jsonata` on `app`; their callbacks run the commands
// and throw CLI::RuntimeError(code) for a non-zero exit code.
void AddOfflineCommands(CLI::App& app);

}  // namespace stepd::server
