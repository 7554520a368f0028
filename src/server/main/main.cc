// The stepd binary. Subcommands are wired in src/server.
#include <CLI/CLI.hpp>
#include <iostream>

#include "stepd/base/version.h"

int main(int argc, char** argv) {
  CLI::App app{"stepd: workflow orchestration server for Amazon States Language"};
  app.require_subcommand(0, 1);
  auto* version = app.add_subcommand("version", "Print the version and exit");
  CLI11_PARSE(app, argc, argv);
  if (version->parsed()) {
    std::cout << "stepd " << stepd::kVersion << "\n";
  }
  return 0;
}
