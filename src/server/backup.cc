#include "stepd/server/backup.h"

#include <chrono>

#include "stepd/server/audit.h"
#include "stepd/server/commands.h"
#include "stepd/server/secrets.h"
#include "stepd/store/sqlite_backup.h"

namespace stepd::server {

int RunBackup(const CommandLineValues& flags, const BackupArgs& args, const EnvMap& env,
              std::ostream& out, std::ostream& err) {
  auto resolved = LoadServerOptions(flags, env);
  if (!resolved.ok()) {
    err << "stepd: " << resolved.status().message() << "\n";
    return kExitUsage;
  }
  for (const std::string& warning : resolved->warnings) {
    err << "stepd: warning: " << warning << "\n";
  }
  const ServerOptions& options = resolved->options;
  const auto started = std::chrono::steady_clock::now();
  auto result = store::BackupSqliteDatabase(options.store.path, args.dest, args.force,
                                            options.store.busy_timeout_ms);
  if (!result.ok()) {
    err << "stepd: " << result.status().message() << "\n";
    return result.status().code() == StatusCode::kAlreadyExists ||
                   result.status().code() == StatusCode::kInvalidArgument
               ? kExitUsage
               : kExitFailure;
  }
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - started)
                      .count();
  out << "backed up " << options.store.path << " to " << args.dest << ": " << result->bytes
      << " bytes, schema version " << result->schema_version << ", " << ms << " ms\n";
  const bool audit_from_env = env.count(std::string(kAuditKeyEnv)) > 0;
  const bool secrets_from_env = env.count(std::string(kSecretsKeyEnv)) > 0;
  const std::string audit_key =
      audit_from_env ? "variable " + std::string(kAuditKeyEnv)
                     : (options.audit.key_file.empty() ? DefaultAuditKeyFile(options.store.path)
                                                       : options.audit.key_file);
  const std::string secrets_key =
      secrets_from_env
          ? "variable " + std::string(kSecretsKeyEnv)
          : (options.secrets.key_file.empty() ? DefaultSecretsKeyFile(options.store.path)
                                              : options.secrets.key_file);
  out << "not in the copy: the audit key (" << audit_key << ") and the secrets key (" << secrets_key
      << "); keep copies of them apart from the backup: without the secrets key the "
         "connection secrets in it cannot be read\n";
  return kExitOk;
}

}  // namespace stepd::server
