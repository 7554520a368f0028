#include "stepd/server/audit.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "stepd/server/commands.h"
#include "stepd/store/audit_chain.h"
#include "stepd/store/sqlite_store.h"

namespace stepd::server {
namespace {

std::string Trim(std::string s) {
  const char* ws = " \t\r\n";
  s.erase(s.find_last_not_of(ws) + 1);
  s.erase(0, s.find_first_not_of(ws));
  return s;
}

StatusOr<std::string> ReadKeyFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return UnavailableError("cannot read audit key file " + path + ": " + std::strerror(errno));
  std::stringstream text;
  text << in.rdbuf();
  std::string key = Trim(text.str());
  if (key.empty()) return InvalidArgumentError("audit key file " + path + " is empty");
  return key;
}

// Writes a fresh key to `path`, failing if it exists (two processes racing
// to create it keep the first one's key).
Status CreateKeyFile(const std::string& path, const std::string& key) {
  std::error_code ec;
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    return UnavailableError("cannot create audit key file " + path + ": " + std::strerror(errno));
  }
  const std::string line = key + "\n";
  const bool written = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) &&
                       ::fsync(fd) == 0;
  ::close(fd);
  if (!written) return UnavailableError("cannot write audit key file " + path);
  return Status::OK();
}

}  // namespace

std::string DefaultAuditKeyFile(const std::string& db_path) {
  std::filesystem::path dir = std::filesystem::path(db_path).parent_path();
  return (dir.empty() ? std::filesystem::path("audit.key") : dir / "audit.key").string();
}

StatusOr<AuditKey> LoadAuditKey(const ServerOptions& options, const EnvMap& env,
                                bool create_default) {
  if (auto it = env.find(std::string(kAuditKeyEnv)); it != env.end()) {
    std::string key = Trim(it->second);
    if (key.empty()) return InvalidArgumentError(std::string(kAuditKeyEnv) + " is empty");
    return AuditKey{std::move(key), std::string(kAuditKeyEnv), false};
  }
  if (!options.audit.key_file.empty()) {
    STEPD_ASSIGN_OR_RETURN(std::string key, ReadKeyFile(options.audit.key_file));
    return AuditKey{std::move(key), options.audit.key_file, false};
  }
  const std::string path = DefaultAuditKeyFile(options.store.path);
  if (std::filesystem::exists(path)) {
    STEPD_ASSIGN_OR_RETURN(std::string key, ReadKeyFile(path));
    return AuditKey{std::move(key), path, false};
  }
  if (!create_default) {
    return NotFoundError("no audit key: " + path + " does not exist (set audit.key_file, " +
                         "--key-file or " + std::string(kAuditKeyEnv) + ")");
  }
  Status created = CreateKeyFile(path, store::NewAuditKey());
  if (!created.ok() && !std::filesystem::exists(path)) return created;
  STEPD_ASSIGN_OR_RETURN(std::string key, ReadKeyFile(path));
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
