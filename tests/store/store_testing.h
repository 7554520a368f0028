#pragma once
// Test support for the store suites: a self-removing temporary directory,
// builders for plain records, and the list of Store implementations the
// contract suite runs against.

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "stepd/store/options.h"
#include "stepd/store/records.h"
#include "stepd/store/store.h"

namespace stepd::store::testing {

// A fresh directory under the system temp dir, removed with its contents on
// destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// The audit key every test store uses.
inline constexpr std::string_view kTestAuditKey = "test-audit-key";

// StoreOptions for a database file inside `dir`, with a short busy timeout
// so that a test hitting a lock fails fast.
StoreOptions OptionsIn(const TempDir& dir);

std::string MachineArn(const std::string& name);
std::string ExecutionArn(const std::string& machine, const std::string& name);
StateMachineRecord Machine(const std::string& name, int64_t created_at_ms = 1000);
ExecutionRecord Execution(const std::string& machine, const std::string& name,
                          int64_t start_time_ms = 2000);
HistoryEventRecord Event(int64_t id, const std::string& type = "PassStateEntered");
AuditEntry Audit(const std::string& action, const std::string& target);

// One Store implementation under test; `open` returns a fresh, migrated,
// empty store using `dir` for any files.
struct StoreFactory {
  std::string name;
  std::function<std::unique_ptr<Store>(const TempDir& dir)> open;
};

// Every implementation the contract suites run against: SqliteStore on a
// file in the TempDir, MemStore, and a MemStore behind a StoreWrapper (which
// proves that every method forwards).
std::vector<StoreFactory> StoreImplementations();

}  // namespace stepd::store::testing
