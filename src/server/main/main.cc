// The stepd binary. Subcommands are defined in src/server/ (and other layers).
#include <CLI/CLI.hpp>

#include "stepd/server/commands.h"
#include "stepd/server/offline_commands.h"

int main(int argc, char** argv) {
  CLI::App app{"stepd: workflow orchestration server for Amazon States Language"};
  stepd::server::ServerCommands commands(app);
  stepd::server::AddOfflineCommands(app);
  return commands.Run(argc, argv);
}
