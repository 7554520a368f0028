#pragma once
// State machines declared in the config file ("state_machines"), applied at
// start-up before recovery: a deployment (a container, a compose file, a
// GitOps repository) brings its workflows with it instead of creating them
// through the API afterwards.
//
//   "state_machines": {
//     "refresh-orders": {"definition_file": "state-machines/refresh-orders.asl.json",
//                        "type": "STANDARD", "role_arn": "arn:aws:iam::123456789012:role/etl"},
//     "hello": {"definition": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}}}
//
// Each one is created when missing and updated (a new revision, as
// UpdateStateMachine) when its definition or role differ from the stored
// ones; an unchanged one is left alone, so a restart changes nothing. One
// removed from the file is kept (its executions and history stay). Every
// change is an audit row by principal "config".

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "stepd/base/status_or.h"
#include "stepd/store/records.h"
#include "stepd/store/store.h"

namespace stepd::server {

struct ConfiguredStateMachine {
  std::string name;
  // Exactly one of the two: a file with the ASL JSON (relative paths are
  // read from the config file's directory), or the definition itself.
  std::string definition_file;
  std::string definition;  // JSON text
  store::StateMachineType type = store::StateMachineType::kStandard;
  // Empty: arn:aws:iam::<account>:role/stepd.
  std::string role_arn;
};

struct ProvisionContext {
  std::string region;
  std::string account_id;
  // Where relative definition_file paths are read from.
  std::filesystem::path base_dir;
  int64_t now_ms = 0;
};

struct ProvisionReport {
  std::vector<std::string> created;    // names
  std::vector<std::string> updated;    // names
  std::vector<std::string> unchanged;  // names
};

// Applies `machines` to `db`. Stops at the first problem, naming the
// machine: an unreadable file, a definition that does not compile
// (InvalidDefinition's message), a type that differs from the stored
// machine's (INVALID_ARGUMENT: a type cannot change), a machine being
// deleted. What was applied before the problem stays applied.
StatusOr<ProvisionReport> ProvisionStateMachines(
    store::Store& db, const std::vector<ConfiguredStateMachine>& machines,
    const ProvisionContext& context);

}  // namespace stepd::server
