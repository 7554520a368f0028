#pragma once
// `stepd backup [--config FILE] [--db PATH] [--force] DEST`: a consistent
// online copy of the database (store/sqlite_backup.h) while the server runs
// or not. Prints
//   backed up data/stepd.db to /backups/stepd-2026-12-02.db: 1843200 bytes, schema version 14, 38
//   ms not in the copy: the audit key (data/audit.key) and the secrets key (data/secrets.key) ...
// The keys are left out on purpose: a backup kept with its keys is a backup
// anyone holding it can forge audit rows in and read secrets from.
// Returns 0, 1 (the copy failed; DEST untouched) or 2 (bad options, DEST
// exists without --force).

#include <ostream>
#include <string>

#include "stepd/server/options.h"

namespace stepd::server {

struct BackupArgs {
  std::string dest;
  bool force = false;  // replace an existing DEST
};

int RunBackup(const CommandLineValues& flags, const BackupArgs& args, const EnvMap& env,
              std::ostream& out, std::ostream& err);

}  // namespace stepd::server
