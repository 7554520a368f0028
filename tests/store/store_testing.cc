#include "store/store_testing.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <stdexcept>

#include "stepd/store/mem_store.h"
#include "stepd/store/postgres_store.h"
#include "stepd/store/sqlite_store.h"
#include "store/postgres_testing.h"

namespace stepd::store::testing {

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "stepd-store-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

StoreOptions OptionsIn(const TempDir& dir) {
  StoreOptions options;
  options.path = (dir.path() / "db" / "stepd.db").string();
  options.busy_timeout_ms = 200;
  options.reader_connections = 3;
  options.audit_key = std::string(kTestAuditKey);
  return options;
}

std::string MachineArn(const std::string& name) {
  return "arn:aws:states:us-east-1:123456789012:stateMachine:" + name;
}

std::string ExecutionArn(const std::string& machine, const std::string& name) {
  return "arn:aws:states:us-east-1:123456789012:execution:" + machine + ":" + name;
}

StateMachineRecord Machine(const std::string& name, int64_t created_at_ms) {
  StateMachineRecord m;
  m.arn = MachineArn(name);
  m.name = name;
  m.definition = R"({"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}})";
  m.role_arn = "arn:aws:iam::123456789012:role/stepd";
  m.revision_id = "rev-1";
  m.created_at_ms = created_at_ms;
  m.updated_at_ms = created_at_ms;
  return m;
}

ExecutionRecord Execution(const std::string& machine, const std::string& name,
                          int64_t start_time_ms) {
  ExecutionRecord e;
  e.arn = ExecutionArn(machine, name);
  e.state_machine_arn = MachineArn(machine);
  e.name = name;
  e.state_machine_revision_id = "rev-1";
  e.input = R"({"n":1})";
  e.start_time_ms = start_time_ms;
  return e;
}

HistoryEventRecord Event(int64_t id, const std::string& type) {
  HistoryEventRecord event;
  event.event_id = id;
  event.previous_event_id = id - 1;
  event.type = type;
  event.timestamp_ms = 3000 + id;
  event.details_key = "stateEnteredEventDetails";
  event.details_json = R"({"name":"P"})";
  return event;
}

AuditEntry Audit(const std::string& action, const std::string& target) {
  return AuditEntry{5000, "admin", action, target, 0, R"({"why":"test"})"};
}

namespace {
// A StoreWrapper owning its target.
class OwningWrapper : public StoreWrapper {
 public:
  explicit OwningWrapper(std::unique_ptr<Store> target)
      : StoreWrapper(target.get()), owned_(std::move(target)) {}

 private:
  std::unique_ptr<Store> owned_;
};
}  // namespace

std::vector<StoreFactory> StoreImplementations() {
  return {
      {"Sqlite",
       [](const TempDir& dir) -> std::unique_ptr<Store> {
         StatusOr<std::unique_ptr<Store>> store = OpenSqliteStore(OptionsIn(dir));
         EXPECT_EQ(store.status(), Status::OK());
         return store.ok() ? std::move(store).value() : nullptr;
       }},
      {"Postgres",
       [](const TempDir& dir) -> std::unique_ptr<Store> {
         PostgresServer* server = SharedPostgres();
         if (server == nullptr) return nullptr;
         StoreOptions options = OptionsIn(dir);
         options.url = server->CreateDatabase();
         StatusOr<std::unique_ptr<Store>> store = OpenPostgresStore(options);
         EXPECT_EQ(store.status(), Status::OK());
         return store.ok() ? std::move(store).value() : nullptr;
       }},
      {"Mem", [](const TempDir&) { return NewMemStore(std::string(kTestAuditKey)); }},
      {"WrappedMem",
       [](const TempDir&) -> std::unique_ptr<Store> {
         return std::make_unique<OwningWrapper>(NewMemStore(std::string(kTestAuditKey)));
       }},
  };
}

}  // namespace stepd::store::testing
