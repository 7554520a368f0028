#pragma once
// A real, private PostgreSQL server for the tests, from Debian's binaries
// (the newest /usr/lib/postgresql/<version>/bin): initdb into a fresh
// temporary directory (trust authentication, superuser `stepd`), `postgres`
// listening on 127.0.0.1 at a free port and on a unix socket in that
// directory, with fsync, synchronous_commit and full_page_writes off (speed,
// not durability). Run as root (here and in CI), the server runs as the
// `postgres` system user the Debian package creates, which owns the directory.
//
// `make test` installs the binaries (scripts/install-deps: postgresql), so a
// test skipped for want of them in CI is a bug: STEPD_REQUIRE_POSTGRES=1
// turns the skip into a failure. STEPD_TEST_POSTGRES_URL=<libpq URL of a
// superuser> makes SharedPostgres() use that server instead of starting one;
// so does STEPD_TEST_POSTGRES_URL_FILE=<a file holding it>, which ctest sets
// for its one server per run (tests/support/postgres-server, fixture
// "postgres"; a test then requires it).
//
// Each server's process gets SIGINT (fast shutdown) if the thread that
// started it exits (PR_SET_PDEATHSIG), so a crashed test leaves none behind:
// start servers from the test's main thread.

#include <sys/types.h>

#include <memory>
#include <string>

#include "stepd/base/status.h"
#include "stepd/base/status_or.h"

namespace stepd::store::testing {

class PostgresServer {
 public:
  // initdb + Start().
  static StatusOr<std::unique_ptr<PostgresServer>> Create();
  // A server someone else runs; `url` connects as a superuser. Stop() and
  // Start() fail.
  static std::unique_ptr<PostgresServer> External(std::string url);
  ~PostgresServer();  // Stop(), then removes the directory
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  // A fresh, uniquely named database; its URL
  // (postgres://stepd@127.0.0.1:<port>/<name>), or "" after an ADD_FAILURE.
  std::string CreateDatabase();
  // Fast shutdown (clients are disconnected), waiting for the process.
  Status Stop();
  // Starts again on the same directory and port; waits until it accepts
  // connections.
  Status Start();

  int port() const { return port_; }
  bool external() const { return external_; }
  // The maintenance database's URL.
  const std::string& url() const { return url_; }

 private:
  PostgresServer() = default;
  Status StartOnce();

  bool external_ = false;
  std::string url_;
  std::string bin_;  // the PostgreSQL binaries' directory
  std::string dir_;  // the temporary directory: data/, the socket, postgres.log
  int port_ = 0;
  pid_t pid_ = -1;  // the postmaster while running
  uid_t uid_ = 0;   // what the server runs as (root: `postgres`)
  gid_t gid_ = 0;
};

// Whether the tests can have a server: STEPD_TEST_POSTGRES_URL, or the
// binaries (and, as root, the `postgres` user).
bool PostgresAvailable();
// STEPD_REQUIRE_POSTGRES=1.
bool PostgresRequired();
// The binary's shared server, started on first use (one per test process;
// ctest runs each test in its own). Null, after an ADD_FAILURE, when it
// cannot start.
PostgresServer* SharedPostgres();

}  // namespace stepd::store::testing

// First in a test (or SetUp) that needs PostgreSQL: skips without it, or
// fails under STEPD_REQUIRE_POSTGRES=1.
#define STEPD_SKIP_WITHOUT_POSTGRES()                                                     \
  do {                                                                                    \
    if (!::stepd::store::testing::PostgresAvailable()) {                                  \
      if (::stepd::store::testing::PostgresRequired()) {                                  \
        FAIL() << "STEPD_REQUIRE_POSTGRES=1 but no PostgreSQL: install postgresql "       \
                  "(scripts/install-deps) or set STEPD_TEST_POSTGRES_URL";                \
      }                                                                                   \
      GTEST_SKIP() << "no PostgreSQL binaries (/usr/lib/postgresql/*/bin): install "      \
                      "postgresql (scripts/install-deps) or set STEPD_TEST_POSTGRES_URL"; \
    }                                                                                     \
  } while (0)
