#include "store/postgres_testing.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>
#include <vector>

namespace stepd::store::testing {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// The newest /usr/lib/postgresql/<version>/bin with initdb and postgres.
std::string FindBinaries() {
  std::string best;
  int best_version = -1;
  std::error_code ec;
  for (const fs::directory_entry& entry : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    const std::string version = entry.path().filename().string();
    const fs::path bin = entry.path() / "bin";
    if (version.empty() || !std::isdigit(static_cast<unsigned char>(version[0])) ||
        !fs::exists(bin / "initdb", ec) || !fs::exists(bin / "postgres", ec)) {
      continue;
    }
    if (int v = std::atoi(version.c_str()); v > best_version) {
      best_version = v;
      best = bin.string();
    }
  }
  return best;
}

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

// A port nobody listens on now (the kernel's choice for port 0).
int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

std::string LogTail(const std::string& dir) {
  std::ifstream in(dir + "/postgres.log");
  std::stringstream all;
  all << in.rdbuf();
  std::string text = all.str();
  return text.size() > 3000 ? text.substr(text.size() - 3000) : text;
}

// Runs argv[0] with stdout and stderr appended to <dir>/postgres.log, as
// uid/gid when we are root, with a minimal environment.
pid_t Spawn(const std::vector<std::string>& args, const std::string& dir, uid_t uid, gid_t gid) {
  // Everything the child needs is built before fork(): after it, only
  // async-signal-safe calls (other threads may hold malloc's locks).
  std::vector<char*> argv;
  for (const std::string& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  const char* envp[] = {"PATH=/usr/bin:/bin", "LC_ALL=C", "TZ=UTC", nullptr};
  const std::string log = dir + "/postgres.log";
  const bool drop = geteuid() == 0;
  const pid_t parent = getpid();
  pid_t pid = fork();
  if (pid != 0) return pid;
  if (drop && (setgroups(0, nullptr) != 0 || setgid(gid) != 0 || setuid(uid) != 0)) _exit(126);
  prctl(PR_SET_PDEATHSIG, SIGINT);  // after setuid, which clears it
  if (getppid() != parent) _exit(0);
  int in = open("/dev/null", O_RDONLY);
  int out = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  if (in < 0 || out < 0) _exit(125);
  dup2(in, 0);
  dup2(out, 1);
  dup2(out, 2);
  if (syscall(SYS_close_range, 3U, ~0U, 0U) != 0) {
    for (int fd = 3; fd < 4096; ++fd) close(fd);
  }
  execve(argv[0], argv.data(), const_cast<char* const*>(envp));
  _exit(127);
}

// Waits up to `timeout` for `pid`; its wait status, or -1 if still running.
int WaitFor(pid_t pid, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (true) {
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) return status;
    if (Clock::now() > deadline) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

// `url` (URI or key=value) naming database `db` instead.
std::string WithDatabase(const std::string& url, const std::string& db) {
  size_t scheme = url.find("://");
  if (scheme == std::string::npos) return url + " dbname=" + db;
  size_t slash = url.find('/', scheme + 3);
  if (slash == std::string::npos) {
    size_t query = url.find('?', scheme + 3);
    if (query == std::string::npos) query = url.size();
    return url.substr(0, query) + "/" + db + url.substr(query);
  }
  size_t end = url.find('?', slash);
  if (end == std::string::npos) end = url.size();
  return url.substr(0, slash + 1) + db + url.substr(end);
}

// Directories of servers whose test process died (its server then shut down,
// PR_SET_PDEATHSIG, but nobody removed the directory): no postmaster.pid, and
// the log untouched for an hour.
void RemoveStaleDirectories(const fs::path& parent) {
  std::error_code ec;
  const auto now = fs::file_time_type::clock::now();
  for (const fs::directory_entry& entry : fs::directory_iterator(parent, ec)) {
    if (!entry.path().filename().string().starts_with("stepd-pg-") ||
        fs::exists(entry.path() / "data" / "postmaster.pid", ec)) {
      continue;
    }
    auto touched = fs::last_write_time(entry.path() / "postgres.log", ec);
    if (ec) touched = fs::last_write_time(entry.path(), ec);
    if (!ec && now - touched > std::chrono::hours(1)) fs::remove_all(entry.path(), ec);
  }
}

}  // namespace

StatusOr<std::unique_ptr<PostgresServer>> PostgresServer::Create() {
  std::unique_ptr<PostgresServer> server(new PostgresServer());
  server->bin_ = FindBinaries();
  if (server->bin_.empty()) {
    return FailedPreconditionError("no PostgreSQL binaries under /usr/lib/postgresql/*/bin");
  }
  const bool root = geteuid() == 0;
  server->uid_ = geteuid();
  server->gid_ = getegid();
  if (root) {  // initdb and postgres refuse to run as root
    passwd* pw = getpwnam("postgres");
    if (pw == nullptr) return FailedPreconditionError("running as root and no `postgres` user");
    server->uid_ = pw->pw_uid;
    server->gid_ = pw->pw_gid;
  }
  // As root, under /tmp: the `postgres` user must reach it (TMPDIR may not let it).
  const fs::path parent = root ? fs::path("/tmp") : fs::temp_directory_path();
  RemoveStaleDirectories(parent);
  std::string pattern = (parent / "stepd-pg-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) {
    return InternalError("mkdtemp " + pattern + ": " + std::strerror(errno));
  }
  server->dir_ = pattern;
  if (root && chown(server->dir_.c_str(), server->uid_, server->gid_) != 0) {
    return InternalError("chown " + server->dir_ + ": " + std::strerror(errno));
  }
  pid_t initdb = Spawn({server->bin_ + "/initdb", "-D", server->dir_ + "/data", "-U", "stepd",
                        "--auth=trust", "--no-sync", "--encoding=UTF8", "--locale=C"},
                       server->dir_, server->uid_, server->gid_);
  int status = WaitFor(initdb, std::chrono::seconds(120));
  if (status == -1) kill(initdb, SIGKILL), waitpid(initdb, nullptr, 0);
  if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return InternalError("initdb failed (wait status " + std::to_string(status) +
                         "):\n" + LogTail(server->dir_));
  }
  // A free port may be taken before postgres binds it: then another.
  Status started;
  for (int attempt = 0; attempt < 5; ++attempt) {
    server->port_ = FreePort();
    started = server->StartOnce();
    if (started.ok() || started.message().find("could not bind") == std::string::npos) break;
  }
  STEPD_RETURN_IF_ERROR(started);
  return server;
}

std::unique_ptr<PostgresServer> PostgresServer::External(std::string url) {
  std::unique_ptr<PostgresServer> server(new PostgresServer());
  server->external_ = true;
  server->url_ = std::move(url);
  return server;
}

PostgresServer::~PostgresServer() {
  if (external_) return;
  (void)Stop();
  std::error_code ec;
  if (!dir_.empty()) fs::remove_all(dir_, ec);
}

Status PostgresServer::Start() {
  if (external_) return FailedPreconditionError("an external PostgreSQL cannot be started");
  if (pid_ > 0) return Status::OK();
  // The same port (clients reconnect to it); retried while the old socket lingers.
  Status started;
  for (int attempt = 0; attempt < 20; ++attempt) {
    started = StartOnce();
    if (started.ok() || started.message().find("could not bind") == std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  return started;
}

Status PostgresServer::StartOnce() {
  const std::string port = std::to_string(port_);
  pid_ = Spawn({bin_ + "/postgres", "-D", dir_ + "/data", "-p", port, "-k", dir_, "-c",
                "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "synchronous_commit=off",
                "-c", "full_page_writes=off", "-c", "max_connections=200", "-c",
                "shared_buffers=32MB"},
               dir_, uid_, gid_);
  url_ = "postgres://stepd@127.0.0.1:" + port + "/postgres";
  const std::string ping = "host=127.0.0.1 port=" + port + " user=stepd dbname=postgres connect_timeout=2";
  const auto deadline = Clock::now() + std::chrono::seconds(60);
  while (true) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      std::string log = LogTail(dir_);
      return UnavailableError("postgres exited (wait status " + std::to_string(status) +
                              ") on port " + port + ":\n" + log);
    }
    if (PQping(ping.c_str()) == PQPING_OK) return Status::OK();
    if (Clock::now() > deadline) {
      (void)Stop();
      return UnavailableError("postgres did not accept connections within 60 s:\n" + LogTail(dir_));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

Status PostgresServer::Stop() {
  if (external_) return FailedPreconditionError("an external PostgreSQL cannot be stopped");
  if (pid_ <= 0) return Status::OK();
  const pid_t pid = std::exchange(pid_, -1);
  kill(pid, SIGINT);  // fast shutdown
  if (WaitFor(pid, std::chrono::seconds(60)) != -1) return Status::OK();
  kill(pid, SIGQUIT);  // immediate shutdown
  if (WaitFor(pid, std::chrono::seconds(10)) != -1) {
    return DeadlineExceededError("postgres ignored a fast shutdown for 60 s");
  }
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  return DeadlineExceededError("postgres ignored fast and immediate shutdowns; killed");
}

std::string PostgresServer::CreateDatabase() {
  static std::atomic<int> counter{0};
  static const uint32_t salt = std::random_device()();
  char name[64];
  std::snprintf(name, sizeof name, "stepd_test_%d_%d_%08x", static_cast<int>(getpid()),
                ++counter, salt);
  PGconn* conn = PQconnectdb(url_.c_str());
  std::string error;
  if (PQstatus(conn) != CONNECTION_OK) {
    error = PQerrorMessage(conn);
  } else {
    PGresult* result = PQexec(conn, (std::string("CREATE DATABASE ") + name).c_str());
    if (PQresultStatus(result) != PGRES_COMMAND_OK) error = PQresultErrorMessage(result);
    PQclear(result);
  }
  PQfinish(conn);
  if (!error.empty()) {
    ADD_FAILURE() << "cannot create a PostgreSQL database: " << error;
    return "";
  }
  return external_ ? WithDatabase(url_, name)
                   : "postgres://stepd@127.0.0.1:" + std::to_string(port_) + "/" + name;
}

// STEPD_TEST_POSTGRES_URL, or the URL in the file STEPD_TEST_POSTGRES_URL_FILE
// names (ctest's shared server: tests/support/postgres-server).
std::string ExternalUrl() {
  if (std::string url = Env("STEPD_TEST_POSTGRES_URL"); !url.empty()) return url;
  const std::string file = Env("STEPD_TEST_POSTGRES_URL_FILE");
  if (file.empty()) return {};
  std::ifstream in(file);
  std::string url;
  std::getline(in, url);
  return url;
}

bool PostgresAvailable() {
  if (!ExternalUrl().empty()) return true;
  if (FindBinaries().empty()) return false;
  return geteuid() != 0 || getpwnam("postgres") != nullptr;
}

bool PostgresRequired() {
  return Env("STEPD_REQUIRE_POSTGRES") == "1" || !Env("STEPD_TEST_POSTGRES_URL_FILE").empty();
}

PostgresServer* SharedPostgres() {
  static std::mutex mu;
  static std::unique_ptr<PostgresServer> server;  // stopped and removed at exit
  static Status failure;
  static bool tried = false;
  std::lock_guard<std::mutex> lock(mu);
  if (!tried) {
    tried = true;
    if (std::string url = ExternalUrl(); !url.empty()) {
      server = PostgresServer::External(url);
    } else if (StatusOr<std::unique_ptr<PostgresServer>> created = PostgresServer::Create();
               created.ok()) {
      server = std::move(created).value();
    } else {
      failure = created.status();
    }
  }
  if (server == nullptr) ADD_FAILURE() << "cannot start PostgreSQL: " << failure;
  return server.get();
}

}  // namespace stepd::store::testing
