#include "stepd/store/migrations.h"

#include <cstdio>

#include "stepd/base/crypto.h"
#include "stepd/store/audit_chain.h"

namespace stepd::store {

int LatestSchemaVersion() {
  std::span<const Migration> all = EmbeddedMigrations();
  return all.empty() ? 0 : all.back().version;
}

std::string MigrationChecksum(const Migration& migration) { return Sha256Hex(migration.sql); }

std::string MigrationLabel(int version, std::string_view name) {
  char digits[16];
  std::snprintf(digits, sizeof digits, "%04d", version);
  return std::string(digits) + "_" + std::string(name);
}

}  // namespace stepd::store
