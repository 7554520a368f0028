#pragma once
// Test support: runs the real stepd binary (STEPD_BINARY) as a child process
// with a clean environment (no inherited STEPD_* variables), its stdout and
// stderr captured in files of a scratch directory.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace stepd::server::testing {

// A fresh directory under the test temp dir, removed with its contents on
// destruction.
class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }
  // Writes `text` to File(name) (creating its directories) and returns its path.
  std::string Write(const std::string& name, const std::string& text) const;

 private:
  std::string path_;
};

std::string ReadFile(const std::string& path);

class StepdProcess {
 public:
  // Starts `stepd args...` with exactly `env` (plus PATH and sanitizer
  // settings) in working directory `cwd` (default: this process's). Output
  // goes to files in `dir`. Aborts the test binary if fork/exec fails.
  StepdProcess(const ScratchDir& dir, std::vector<std::string> args,
               std::map<std::string, std::string> env = {}, std::string cwd = "");
  // Kills the process (SIGKILL) if it still runs.
  ~StepdProcess();
  StepdProcess(const StepdProcess&) = delete;
  StepdProcess& operator=(const StepdProcess&) = delete;

  pid_t pid() const { return pid_; }
  void Signal(int signal_number) const;
  // The exit code once the process ended within `timeout`; nullopt if it is
  // still running (or was killed by a signal: then -signal).
  std::optional<int> Wait(std::chrono::milliseconds timeout);
  bool exited() const { return exit_code_.has_value(); }

  std::string Stdout() const;
  std::string Stderr() const;

 private:
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
  std::string stdout_path_;
  std::string stderr_path_;
};

struct CommandResult {
  int exit_code = -1;  // -1: timed out (killed)
  std::string out;
  std::string err;
};

// Runs `stepd args...` to completion (at most `timeout`).
CommandResult RunStepd(const ScratchDir& dir, std::vector<std::string> args,
                       std::map<std::string, std::string> env = {},
                       std::chrono::milliseconds timeout = std::chrono::seconds(30));

// `stepd serve` on 127.0.0.1 port 0 with a database in `dir`, waited for
// until /readyz answers 200.
class RunningServer {
 public:
  // `extra_args` follow "serve"; --listen, --db and --port-file are added
  // unless `extra_args` gives them (a config or env test may pass its own).
  // Fails the current test (ADD_FAILURE) and returns null when the server
  // does not become ready within 30 s.
  static std::unique_ptr<RunningServer> Start(const ScratchDir& dir,
                                              std::vector<std::string> extra_args = {},
                                              std::map<std::string, std::string> env = {});

  StepdProcess& process() { return *process_; }
  uint16_t port() const { return port_; }
  // "http://127.0.0.1:PORT".
  std::string base_url() const;

 private:
  std::unique_ptr<StepdProcess> process_;
  uint16_t port_ = 0;
};

}  // namespace stepd::server::testing
