#include "stepd/server/provision.h"

#include <fstream>
#include <sstream>

#include "stepd/asl/compiler.h"
#include "stepd/base/crypto.h"
#include "stepd/base/json.h"

namespace stepd::server {
namespace {

StatusOr<std::string> ReadDefinition(const ConfiguredStateMachine& m, const ProvisionContext& c) {
  if (m.definition_file.empty()) return m.definition;
  std::filesystem::path path(m.definition_file);
  if (path.is_relative()) path = c.base_dir / path;
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  if (in) text << in.rdbuf();
  if (!in || in.bad()) {
    return InvalidArgumentError("state machine '" + m.name + "': cannot read definition_file " +
                                path.string());
  }
  return text.str();
}

store::AuditEntry ConfigAudit(const ProvisionContext& c, std::string action, const std::string& arn,
                              Json details) {
  store::AuditEntry row;
  row.timestamp_ms = c.now_ms;
  row.actor = "config";
  row.action = std::move(action);
  row.target = arn;
  details["outcome"] = "ok";
  row.details_json = details.dump();
  return row;
}

}  // namespace

StatusOr<ProvisionReport> ProvisionStateMachines(
    store::Store& db, const std::vector<ConfiguredStateMachine>& machines,
    const ProvisionContext& context) {
  ProvisionReport report;
  for (const ConfiguredStateMachine& m : machines) {
    STEPD_ASSIGN_OR_RETURN(std::string definition, ReadDefinition(m, context));
    asl::CompileOptions compile;
    compile.type = m.type == store::StateMachineType::kExpress ? asl::StateMachineType::kExpress
                                                               : asl::StateMachineType::kStandard;
    asl::CompileResult compiled = asl::Compile(definition, compile);
    if (!compiled.ok()) {
      return InvalidArgumentError("state machine '" + m.name +
                                  "': " + asl::InvalidDefinitionMessage(compiled.diagnostics));
    }
    const std::string arn =
        "arn:aws:states:" + context.region + ":" + context.account_id + ":stateMachine:" + m.name;
    const std::string role =
        m.role_arn.empty() ? "arn:aws:iam::" + context.account_id + ":role/stepd" : m.role_arn;
    const std::string type(store::StateMachineTypeName(m.type));

    auto stored = db.GetStateMachine(arn);
    if (stored.status().code() == StatusCode::kNotFound) {
      store::StateMachineRecord record;
      record.arn = arn;
      record.name = m.name;
      record.type = m.type;
      record.definition = definition;
      record.role_arn = role;
      record.revision_id = RandomUuid();
      record.attributes_json = Json{
          {"loggingConfiguration", {{"level", "OFF"}, {"includeExecutionData", false}}},
          {"tracingConfiguration",
           {{"enabled", false}}}}.dump();
      record.created_at_ms = record.updated_at_ms = context.now_ms;
      STEPD_RETURN_IF_ERROR(db.CreateStateMachine(
          record, {ConfigAudit(context, "CreateStateMachine", arn,
                               {{"type", type}, {"revisionId", record.revision_id}})}));
      report.created.push_back(m.name);
      continue;
    }
    if (!stored.ok()) return stored.status();
    store::StateMachineRecord record = std::move(stored).value();
    if (record.status == store::StateMachineStatus::kDeleting) {
      return FailedPreconditionError("state machine '" + m.name +
                                     "' is being deleted (executions still run); start again "
                                     "once they ended");
    }
    if (record.type != m.type) {
      return InvalidArgumentError("state machine '" + m.name + "' is " +
                                  std::string(store::StateMachineTypeName(record.type)) +
                                  " in the database and " + type +
                                  " in the config file; a type cannot change (delete the "
                                  "machine, or give the new one another name)");
    }
    if (record.definition == definition && record.role_arn == role) {
      report.unchanged.push_back(m.name);
      continue;
    }
    record.definition = definition;
    record.role_arn = role;
    record.revision_id = RandomUuid();
    record.updated_at_ms = context.now_ms;
    STEPD_RETURN_IF_ERROR(db.UpdateStateMachine(
        record,
        {ConfigAudit(context, "UpdateStateMachine", arn, {{"revisionId", record.revision_id}})}));
    report.updated.push_back(m.name);
  }
  return report;
}

}  // namespace stepd::server
