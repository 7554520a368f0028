#pragma once
// The stepd command line (CONTRACTS.md "Command line"), built with CLI11:
//
//   stepd [serve]      [--config FILE] [--listen HOST:PORT] [--db PATH]
//                      [--log-format text|json] [--log-level LEVEL] [--insecure]
//                      [--port-file FILE]
//   stepd migrate      [--config FILE] [--db PATH]
//   stepd audit verify [--config FILE] [--db PATH] [--key-file FILE]
//   stepd keys rotate  [--config FILE] [--db PATH] [--secrets-key-file FILE]
//                      --new-key-file FILE
//   stepd healthcheck  [--url URL] [--config FILE]
//   stepd version      (also stepd --version)
//   stepd help [SUBCOMMAND]
//
// `serve` runs when no subcommand is given. Other layers add their own
// subcommands to the same CLI::App before Run() (e.g. AddOfflineCommands).
//
// Exit codes: 0 success; 1 the command ran and failed (cannot bind, database
// error, not ready); 2 bad usage: unknown flag, bad option value, unknown
// config key, non-loopback listen without --insecure.

#include <memory>

namespace CLI {
class App;
}

namespace stepd::server {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

class ServerCommands {
 public:
  // Registers serve, migrate, healthcheck, version and help on `app`, which
  // must outlive this object.
  explicit ServerCommands(CLI::App& app);
  ~ServerCommands();
  ServerCommands(const ServerCommands&) = delete;
  ServerCommands& operator=(const ServerCommands&) = delete;

  // Parses `argv` and runs the chosen subcommand (or serve); returns the
  // process exit code. Subcommands added by others run from their CLI11
  // callbacks during parsing; a CLI::RuntimeError they throw becomes the exit
  // code it carries. Call once, from the main thread.
  int Run(int argc, char** argv);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace stepd::server
