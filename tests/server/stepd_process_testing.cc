#include "server/stepd_process_testing.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "stepd/http/client.h"

namespace stepd::server::testing {

ScratchDir::ScratchDir() {
  std::string pattern = ::testing::TempDir() + "/stepd_server_XXXXXX";
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back('\0');
  if (mkdtemp(buf.data()) == nullptr) {
    std::perror("mkdtemp");
    std::abort();
  }
  path_ = buf.data();
}

ScratchDir::~ScratchDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string ScratchDir::Write(const std::string& name, const std::string& text) const {
  std::string path = File(name);
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream out(path, std::ios::trunc);
  out << text;
  return path;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

namespace {
int counter = 0;
}  // namespace

StepdProcess::StepdProcess(const ScratchDir& dir, std::vector<std::string> args,
                           std::map<std::string, std::string> env, std::string cwd) {
  int n = ++counter;
  stdout_path_ = dir.File("stdout." + std::to_string(n));
  stderr_path_ = dir.File("stderr." + std::to_string(n));

  std::vector<std::string> argv_storage = {STEPD_BINARY};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<std::string> env_storage;
  const char* path = std::getenv("PATH");
  env_storage.push_back(std::string("PATH=") + (path ? path : "/usr/bin:/bin"));
  // Sanitizer settings pass through so a child's report fails the run the
  // same way the parent's would.
  for (const char* name : {"ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", "TSAN_OPTIONS"}) {
    if (const char* value = std::getenv(name))
      env_storage.push_back(std::string(name) + "=" + value);
  }
  for (const auto& [name, value] : env) env_storage.push_back(name + "=" + value);

  std::vector<char*> argv, envp;
  for (auto& a : argv_storage) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (auto& e : env_storage) envp.push_back(e.data());
  envp.push_back(nullptr);

  int out = open(stdout_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  int err = open(stderr_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (out < 0 || err < 0) {
    std::perror("open");
    std::abort();
  }
  pid_ = fork();
  if (pid_ < 0) {
    std::perror("fork");
    std::abort();
  }
  if (pid_ == 0) {
    dup2(out, STDOUT_FILENO);
    dup2(err, STDERR_FILENO);
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, STDIN_FILENO);
    if (!cwd.empty() && chdir(cwd.c_str()) != 0) _exit(126);
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  close(out);
  close(err);
}

StepdProcess::~StepdProcess() {
  if (!exit_code_ && pid_ > 0) {
    kill(pid_, SIGKILL);
    int status;
    waitpid(pid_, &status, 0);
  }
}

void StepdProcess::Signal(int signal_number) const {
  if (!exit_code_) kill(pid_, signal_number);
}

std::optional<int> StepdProcess::Wait(std::chrono::milliseconds timeout) {
  if (exit_code_) return exit_code_;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    int status = 0;
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
      return exit_code_;
    }
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

std::string StepdProcess::Stdout() const { return ReadFile(stdout_path_); }
std::string StepdProcess::Stderr() const { return ReadFile(stderr_path_); }

CommandResult RunStepd(const ScratchDir& dir, std::vector<std::string> args,
                       std::map<std::string, std::string> env, std::chrono::milliseconds timeout) {
  StepdProcess process(dir, std::move(args), std::move(env));
  CommandResult result;
  auto code = process.Wait(timeout);
  result.exit_code = code.value_or(-1);
  if (!code) process.Signal(SIGKILL);
  result.out = process.Stdout();
  result.err = process.Stderr();
  return result;
}

std::unique_ptr<RunningServer> RunningServer::Start(const ScratchDir& dir,
                                                    std::vector<std::string> extra_args,
                                                    std::map<std::string, std::string> env) {
  auto has = [&](const std::string& flag) {
    for (const auto& a : extra_args) {
      if (a == flag || a.rfind(flag + "=", 0) == 0) return true;
    }
    return false;
  };
  std::string port_file = dir.File("port");
  std::filesystem::remove(port_file);
  std::vector<std::string> args = {"serve"};
  if (!has("--listen") && !env.count("STEPD_LISTEN")) {
    args.insert(args.end(), {"--listen", "127.0.0.1:0"});
  }
  if (!has("--db") && !env.count("STEPD_DB"))
    args.insert(args.end(), {"--db", dir.File("stepd.db")});
  if (!has("--port-file")) args.insert(args.end(), {"--port-file", port_file});
  args.insert(args.end(), extra_args.begin(), extra_args.end());

  auto server = std::unique_ptr<RunningServer>(new RunningServer);
  server->process_ = std::make_unique<StepdProcess>(dir, args, env);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    if (server->process_->Wait(std::chrono::milliseconds(0))) {
      ADD_FAILURE() << "stepd exited with " << *server->process_->Wait({}) << ":\n"
                    << server->process_->Stderr();
      return nullptr;
    }
    if (server->port_ == 0) {
      std::string text = ReadFile(port_file);
      if (!text.empty() && text.back() == '\n') server->port_ = std::stoi(text);
    }
    if (server->port_ != 0) {
      http::ClientRequest request;
      request.url = server->base_url() + "/readyz";
      auto r = http::Fetch(request);
      if (r.ok() && r->status == 200) return server;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ADD_FAILURE() << "stepd did not become ready within 30 s:\n" << server->process_->Stderr();
  return nullptr;
}

std::string RunningServer::base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }

}  // namespace stepd::server::testing
