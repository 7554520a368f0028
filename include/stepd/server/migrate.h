#pragma once
// `stepd migrate`: applies the schema migrations this binary carries to the
// configured database and reports which ones it applied.

#include <ostream>
#include <string>
#include <vector>

#include "stepd/base/status_or.h"
#include "stepd/server/options.h"
#include "stepd/store/options.h"

namespace stepd::server {

struct MigrateResult {
  int from_version = 0;
  int to_version = 0;
  // Labels ("0001_initial") of the migrations applied now, in order; empty
  // when the schema was already current.
  std::vector<std::string> applied;
};

// Opens the database at options.path (creating it and its directory), applies
// pending migrations and closes it. FAILED_PRECONDITION for a database whose
// schema is newer than this binary or whose applied migrations differ.
StatusOr<MigrateResult> MigrateDatabase(const store::StoreOptions& options);

// The subcommand: resolves options, runs MigrateDatabase, prints
//   applied 0001_initial
//   schema version 1
// (or "schema version N is up to date") to `out`; errors to `err`.
// Returns 0, 1 (database error) or 2 (bad options).
int RunMigrate(const CommandLineValues& flags, const EnvMap& env, std::ostream& out,
               std::ostream& err);

}  // namespace stepd::server
