#include "stepd/server/migrate.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include "server/stepd_process_testing.h"
#include "stepd/store/migrations.h"

namespace stepd::server {
namespace {

using ::testing::HasSubstr;
using testing::RunStepd;
using testing::ScratchDir;

std::vector<std::string> AllLabels() {
  std::vector<std::string> labels;
  for (const store::Migration& m : store::EmbeddedMigrations()) {
    labels.push_back(store::MigrationLabel(m.version, m.name));
  }
  return labels;
}

void Exec(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* error = nullptr;
  EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error), SQLITE_OK) << error;
  sqlite3_free(error);
  sqlite3_close(db);
}

TEST(MigrateDatabase, AppliesEveryMigrationToAFreshDatabaseThenNothing) {
  ScratchDir dir;
  store::StoreOptions options;
  options.path = dir.File("sub/dir/stepd.db");
  options.audit_key = "k";
  auto first = MigrateDatabase(options);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->from_version, 0);
  EXPECT_EQ(first->to_version, store::LatestSchemaVersion());
  EXPECT_EQ(first->applied, AllLabels());

  auto second = MigrateDatabase(options);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->from_version, store::LatestSchemaVersion());
  EXPECT_EQ(second->to_version, store::LatestSchemaVersion());
  EXPECT_TRUE(second->applied.empty());
}

TEST(MigrateCommand, PrintsWhatItAppliedAndIsIdempotent) {
  ScratchDir dir;
  std::string db = dir.File("stepd.db");
  std::string latest = std::to_string(store::LatestSchemaVersion());
  auto result = RunStepd(dir, {"migrate", "--db", db});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  std::string expected;
  for (const std::string& label : AllLabels()) expected += "applied " + label + "\n";
  expected += "schema version " + latest + " (" + db + ")\n";
  EXPECT_EQ(result.out, expected);

  result = RunStepd(dir, {"migrate"}, {{"STEPD_DB", db}});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "schema version " + latest + " is up to date (" + db + ")\n");
}

TEST(MigrateCommand, RefusesADatabaseNewerThanThisBinary) {
  ScratchDir dir;
  std::string db = dir.File("stepd.db");
  ASSERT_EQ(RunStepd(dir, {"migrate", "--db", db}).exit_code, 0);
  int future = store::LatestSchemaVersion() + 1;
  Exec(db, "INSERT INTO schema_migrations (version, name, applied_at, checksum) VALUES (" +
               std::to_string(future) + ", 'future', 0, 'x')");

  auto result = RunStepd(dir, {"migrate", "--db", db});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(result.out, "");
  EXPECT_EQ(result.err, "stepd: migrating " + db +
                            " failed: FAILED_PRECONDITION: Migrate: database schema version " +
                            std::to_string(future) + " is newer than this stepd (knows up to " +
                            std::to_string(future - 1) + "); upgrade stepd\n");

  // serve refuses it too, before becoming ready.
  result = RunStepd(dir, {"serve", "--listen", "127.0.0.1:0", "--db", db});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.err, HasSubstr("cannot migrate database " + db));
}

TEST(MigrateCommand, ReadsTheDatabaseFromTheConfigFile) {
  ScratchDir dir;
  std::string db = dir.File("from-config.db");
  std::string config = dir.Write("stepd.json", R"({"store": {"path": ")" + db + R"("}})");
  auto result = RunStepd(dir, {"migrate", "--config", config});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("(" + db + ")"));
}

TEST(MigrateCommand, BadOptionsAreAUsageError) {
  ScratchDir dir;
  auto result = RunStepd(dir, {"migrate"}, {{"STEPD_STORE_READER_CONNECTIONS", "0"}});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.err,
            "stepd: STEPD_STORE_READER_CONNECTIONS must be an integer from 1 to 256, got \"0\"\n");
}

}  // namespace
}  // namespace stepd::server
