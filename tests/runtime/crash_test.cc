// kill -9 at several moments of a mixed workload, then a restart: every
// execution finishes with the result of an uninterrupted run, every
// transition is in history and audit exactly once, and the audit chain
// verifies (also with `stepd audit verify`).

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "crash_workload.h"
#include "runtime/runtime_testing.h"
#include "stepd/store/sqlite_store.h"

extern char** environ;

namespace stepd::runtime {
namespace {

constexpr int kExecutions = 1200;
constexpr char kKey[] = "crash-test-audit-key";

pid_t Spawn(const std::vector<std::string>& args, const std::string& out) {
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, (out + ".err").c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = -1;
  EXPECT_EQ(posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ), 0);
  posix_spawn_file_actions_destroy(&actions);
  return pid;
}

// The exit code, or -signal; waits up to `timeout`.
int Wait(pid_t pid, std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return -1000;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(CrashRecovery, KilledAtAnyMomentEveryExecutionStillFinishesExactlyOnce) {
  testing::TestStore dir;  // only for its directory
  const std::string db = (dir.dir() / "crash.db").string();
  const std::string out = (dir.dir() / "driver.out").string();
  const std::vector<std::string> driver = {STEPD_CRASH_DRIVER, db, kKey,
                                           std::to_string(kExecutions)};
  // Kill points from the driver's start: during seeding, mid-run, late.
  int kills = 0;
  for (int delay_ms : {120, 300, 500, 800, 1200, 1800}) {
    pid_t pid = Spawn(driver, out);
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    if (kill(pid, SIGKILL) == 0) ++kills;
    Wait(pid, std::chrono::seconds(10));
  }
  pid_t pid = Spawn(driver, out);
  ASSERT_EQ(Wait(pid, std::chrono::seconds(240)), 0) << Slurp(out + ".err");
  EXPECT_THAT(Slurp(out), ::testing::HasSubstr("done"));
  EXPECT_GE(kills, 3);

  store::StoreOptions options;
  options.path = db;
  options.audit_key = kKey;
  auto store = store::OpenSqliteStore(options);
  ASSERT_TRUE(store.ok());
  std::map<std::string, std::set<int64_t>> audited;
  for (const store::AuditRecord& row : testing::AuditRows(**store)) {
    EXPECT_TRUE(audited[row.entry.target].insert(row.entry.event_id).second)
        << "audited twice: " << row.entry.target << " #" << row.entry.event_id;
  }
  int checked = 0;
  for (int i = 0; i < kExecutions; ++i) {
    const crash::Execution e = crash::ExecutionAt(i);
    auto record = (*store)->GetExecution(crash::ExecutionArn(e));
    ASSERT_TRUE(record.ok()) << e.name;
    ASSERT_EQ(record->status, store::ExecutionStatus::kSucceeded)
        << e.name << " " << record->error.value_or("");
    EXPECT_EQ(Json::parse(*record->output), e.expected_output) << e.name;
    std::set<int64_t> transitions;
    std::vector<store::HistoryEventRecord> history = testing::History(**store, record->arn);
    for (size_t k = 0; k < history.size(); ++k) {
      ASSERT_EQ(history[k].event_id, static_cast<int64_t>(k + 1)) << e.name;
      const std::string& type = history[k].type;
      if (type == "ExecutionStarted" || type.ends_with("StateEntered") ||
          type == "ExecutionSucceeded") {
        transitions.insert(history[k].event_id);
      }
    }
    EXPECT_EQ(history.back().type, "ExecutionSucceeded") << e.name;
    EXPECT_EQ(audited[record->arn], transitions) << e.name;
    ++checked;
  }
  EXPECT_EQ(checked, kExecutions);
  EXPECT_EQ((*store)->VerifyAuditChain(), Status::OK());

  const std::string key_file = (dir.dir() / "key").string();
  std::ofstream(key_file) << kKey << "\n";
  pid_t verify =
      Spawn({STEPD_BINARY, "audit", "verify", "--db", db, "--key-file", key_file}, out + ".verify");
  EXPECT_EQ(Wait(verify, std::chrono::seconds(60)), 0) << Slurp(out + ".verify");
  EXPECT_THAT(Slurp(out + ".verify"), ::testing::StartsWith("audit chain intact"));
}

}  // namespace
}  // namespace stepd::runtime
