#include "stepd/server/audit.h"

#include <filesystem>

#include "key_files.h"
#include "stepd/server/commands.h"
#include "stepd/store/audit_chain.h"
#include "stepd/store/sqlite_store.h"

namespace stepd::server {

using internal::CreateKeyFile;
using internal::ReadKeyFile;

namespace {
constexpr std::string_view kWhat = "audit key";
}  // namespace

std::string DefaultAuditKeyFile(const std::string& db_path) {
  return internal::BesideDatabase(db_path, "audit.key");
}

StatusOr<AuditKey> LoadAuditKey(const ServerOptions& options, const EnvMap& env,
                                bool create_default) {
  if (auto it = env.find(std::string(kAuditKeyEnv)); it != env.end()) {
    std::string key = internal::TrimKey(it->second);
    if (key.empty()) return InvalidArgumentError(std::string(kAuditKeyEnv) + " is empty");
    return AuditKey{std::move(key), std::string(kAuditKeyEnv), false};
  }
  if (!options.audit.key_file.empty()) {
    STEPD_ASSIGN_OR_RETURN(std::string key, ReadKeyFile(options.audit.key_file, kWhat));
    return AuditKey{std::move(key), options.audit.key_file, false};
  }
  const std::string path = DefaultAuditKeyFile(options.store.path);
  if (std::filesystem::exists(path)) {
    STEPD_ASSIGN_OR_RETURN(std::string key, ReadKeyFile(path, kWhat));
    return AuditKey{std::move(key), path, false};
  }
  if (!create_default) {
    return NotFoundError("no audit key: " + path + " does not exist (set audit.key_file, " +
                         "--key-file or " + std::string(kAuditKeyEnv) + ")");
  }
  Status created = CreateKeyFile(path, store::NewAuditKey(), kWhat);
  if (!created.ok() && !std::filesystem::exists(path)) return created;
  STEPD_ASSIGN_OR_RETURN(std::string key, ReadKeyFile(path, kWhat));
  return AuditKey{std::move(key), path, created.ok()};
}

int RunAuditVerify(const CommandLineValues& flags, const EnvMap& env, std::ostream& out,
                   std::ostream& err) {
  auto resolved = LoadServerOptions(flags, env);
  if (!resolved.ok()) {
    err << "stepd: " << resolved.status().message() << "\n";
    return kExitUsage;
  }
  const ServerOptions& options = resolved->options;
  if (!std::filesystem::exists(options.store.path)) {
    err << "stepd: no database at " << options.store.path << "\n";
    return kExitFailure;
  }
  auto key = LoadAuditKey(options, env, /*create_default=*/false);
  if (!key.ok()) {
    err << "stepd: " << key.status().message() << "\n";
    return kExitFailure;
  }
  store::StoreOptions store_options = options.store;
  store_options.migrate_on_open = false;
  store_options.audit_key = key->key;
  auto db = store::OpenSqliteStore(store_options);
  if (!db.ok()) {
    err << "stepd: cannot open " << options.store.path << ": " << db.status() << "\n";
    return kExitFailure;
  }
  Status verified = (*db)->VerifyAuditChain();
  if (!verified.ok()) {
    out << "audit chain BROKEN: " << verified.message() << "\n";
    return kExitFailure;
  }
  // The head, to compare with the last one the server logged.
  int64_t rows = 0;
  std::string head;
  store::PageRequest page{1000, ""};
  while (true) {
    auto listed = (*db)->ListAudit(page);
    if (!listed.ok()) {
      err << "stepd: " << listed.status() << "\n";
      return kExitFailure;
    }
    rows += static_cast<int64_t>(listed->items.size());
    if (!listed->items.empty()) head = listed->items.back().hash;
    if (listed->next_token.empty()) break;
    page.next_token = listed->next_token;
  }
  out << "audit chain intact: " << rows << " rows";
  if (rows > 0) out << ", head seq " << rows << " mac " << head;
  out << " (" << options.store.path << ")\n";
  return kExitOk;
}

}  // namespace stepd::server
