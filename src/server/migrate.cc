#include "stepd/server/migrate.h"

#include <memory>

#include "stepd/server/audit.h"
#include "stepd/server/commands.h"
#include "stepd/store/migrations.h"
#include "stepd/store/postgres_store.h"
#include "stepd/store/sqlite_store.h"

namespace stepd::server {

StatusOr<MigrateResult> MigrateDatabase(const store::StoreOptions& options) {
  store::StoreOptions no_auto_migrate = options;
  no_auto_migrate.migrate_on_open = false;
  STEPD_ASSIGN_OR_RETURN(std::unique_ptr<store::Store> db, store::OpenStore(no_auto_migrate));
  MigrateResult result;
  STEPD_ASSIGN_OR_RETURN(result.from_version, db->SchemaVersion());
  STEPD_RETURN_IF_ERROR(db->Migrate());
  STEPD_ASSIGN_OR_RETURN(result.to_version, db->SchemaVersion());
  for (const store::Migration& m : store::EmbeddedMigrations()) {
    if (m.version > result.from_version && m.version <= result.to_version) {
      result.applied.push_back(store::MigrationLabel(m.version, m.name));
    }
  }
  return result;
}

int RunMigrate(const CommandLineValues& flags, const EnvMap& env, std::ostream& out,
               std::ostream& err) {
  auto resolved = LoadServerOptions(flags, env);
  if (!resolved.ok()) {
    err << "stepd: " << resolved.status().message() << "\n";
    return kExitUsage;
  }
  for (const std::string& warning : resolved->warnings)
    err << "stepd: warning: " << warning << "\n";
  const std::string path = store::DescribeStore(resolved->options.store);
  auto key = LoadAuditKey(resolved->options, env, /*create_default=*/true);
  if (!key.ok()) {
    err << "stepd: " << key.status().message() << "\n";
    return kExitFailure;
  }
  store::StoreOptions store_options = resolved->options.store;
  store_options.audit_key = key->key;
  auto result = MigrateDatabase(store_options);
  if (!result.ok()) {
    err << "stepd: migrating " << path << " failed: " << result.status() << "\n";
    return kExitFailure;
  }
  for (const std::string& label : result->applied) out << "applied " << label << "\n";
  if (result->applied.empty()) {
    out << "schema version " << result->to_version << " is up to date (" << path << ")\n";
  } else {
    out << "schema version " << result->to_version << " (" << path << ")\n";
  }
  return kExitOk;
}

}  // namespace stepd::server
