#pragma once
// `stepd serve`: the long-running server process.
//
// Start-up, in order: resolve options (flags > env > file > defaults; a bad
// one exits 2 before anything else happens), create the logger, install the
// signal handlers, start the HTTP listener (so /healthz answers at once and
// /readyz answers 503 while starting), log "listening on HOST:PORT" and write
// the port file, open the database, apply migrations, run recovery, then mark
// ready. Each readiness condition ("database", "migrations", "recovery") is
// reported by /readyz while pending.
//
// Signals (handled on the main thread through asio::signal_set, never in a
// signal handler):
//   SIGTERM, SIGINT  graceful shutdown: /readyz turns 503, the listener stops
//                    accepting, requests in flight finish (up to
//                    http.shutdown_grace_ms), the database is closed, exit 0.
//   SIGHUP           the config file is re-read and validated and the outcome
//                    logged; nothing is applied yet (no reloadable resources).

#include <string>

#include "stepd/server/options.h"

namespace stepd::server {

struct ServeArgs {
  CommandLineValues flags;
  // When set, the bound port is written there (decimal, newline) once the
  // listener is up: how tests and scripts learn a port chosen with port 0.
  // Written atomically (temporary file + rename).
  std::string port_file;
  // Adds GET /debug/delay?ms=N, which answers {"delayed_ms":N} after N ms
  // (at most 60000) without holding an I/O thread: a request that is in
  // flight for a known time, for shutdown tests. Hidden flag
  // --enable-test-routes; never for production.
  bool test_routes = false;
};

// Runs the server until SIGTERM/SIGINT. Returns the exit code (see
// commands.h). `env` is the process's STEPD_* environment.
int RunServe(const ServeArgs& args, const EnvMap& env);

}  // namespace stepd::server
