#include "stepd/server/audit.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <filesystem>

#include "server/stepd_process_testing.h"
#include "stepd/store/sqlite_store.h"

namespace stepd::server {
namespace {

using ::testing::HasSubstr;
using testing::ReadFile;
using testing::RunStepd;
using testing::ScratchDir;
using ::testing::StartsWith;

ServerOptions WithDb(const ScratchDir& dir) {
  ServerOptions options;
  options.store.path = dir.File("data/stepd.db");
  return options;
}

TEST(LoadAuditKey, CreatesAPrivateRandomKeyFileBesideTheDatabaseOnce) {
  ScratchDir dir;
  const ServerOptions options = WithDb(dir);
  auto first = LoadAuditKey(options, {}, /*create_default=*/true);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_TRUE(first->created);
  EXPECT_EQ(first->source, dir.File("data/audit.key"));
  EXPECT_EQ(first->key.size(), 64u);
  struct stat st {};
  ASSERT_EQ(::stat(first->source.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  auto second = LoadAuditKey(options, {}, /*create_default=*/true);
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(second->created);
  EXPECT_EQ(second->key, first->key);
}

TEST(LoadAuditKey, TheVariableWinsOverTheFileAndTheFileOverTheDefault) {
  ScratchDir dir;
  ServerOptions options = WithDb(dir);
  options.audit.key_file = dir.Write("key", "  from-file\n");
  EXPECT_EQ(LoadAuditKey(options, {}, true)->key, "from-file");
  auto from_env = LoadAuditKey(options, {{"STEPD_AUDIT_KEY", "from-env"}}, true);
  EXPECT_EQ(from_env->key, "from-env");
  EXPECT_EQ(from_env->source, "STEPD_AUDIT_KEY");
  EXPECT_FALSE(std::filesystem::exists(dir.File("data/audit.key")));
}

TEST(LoadAuditKey, MissingOrEmptyKeysAreErrorsNotSilentDefaults) {
  ScratchDir dir;
  ServerOptions options = WithDb(dir);
  EXPECT_EQ(LoadAuditKey(options, {}, /*create_default=*/false).status().code(),
            StatusCode::kNotFound);
  options.audit.key_file = dir.Write("empty", " \n");
  EXPECT_EQ(LoadAuditKey(options, {}, true).status(),
            InvalidArgumentError("audit key file " + options.audit.key_file + " is empty"));
  options.audit.key_file = dir.File("missing");
  EXPECT_EQ(LoadAuditKey(options, {}, true).status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(LoadAuditKey(options, {{"STEPD_AUDIT_KEY", ""}}, true).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(AuditVerifyCommand, ReportsAnIntactChainAndNamesTheFirstBrokenRow) {
  ScratchDir dir;
  const std::string db = dir.File("data/stepd.db");
  ASSERT_EQ(RunStepd(dir, {"migrate", "--db", db}).exit_code, 0);
  const std::string key = ReadFile(dir.File("data/audit.key"));
  {
    store::StoreOptions options;
    options.path = db;
    options.audit_key = key.substr(0, key.find('\n'));
    auto store = store::OpenSqliteStore(options);
    ASSERT_TRUE(store.ok());
    ASSERT_EQ(
        (*store)->AppendAudit({{1, "admin", "A", "x", 0, "{}"}, {2, "admin", "B", "y", 0, "{}"}}),
        Status::OK());
  }
  auto ok = RunStepd(dir, {"audit", "verify", "--db", db});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_THAT(ok.out, StartsWith("audit chain intact: 2 rows, head seq 2 mac "));

  auto wrong_key = RunStepd(
      dir, {"audit", "verify", "--db", db, "--key-file", dir.Write("other.key", "not-the-key")});
  EXPECT_EQ(wrong_key.exit_code, 1);
  EXPECT_THAT(wrong_key.out, HasSubstr("audit chain BROKEN: VerifyAuditChain: audit row 1 was "
                                       "altered"));

  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(db.c_str(), &raw), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(raw,
                         "DROP TRIGGER audit_log_no_update; UPDATE audit_log SET actor = "
                         "'mallory' WHERE seq = 2",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(raw);
  auto broken = RunStepd(dir, {"audit", "verify", "--db", db});
  EXPECT_EQ(broken.exit_code, 1);
  EXPECT_THAT(broken.out, HasSubstr("audit row 2 was altered"));
}

TEST(AuditVerifyCommand, WithoutADatabaseOrKeyItFailsClearly) {
  ScratchDir dir;
  auto no_db = RunStepd(dir, {"audit", "verify", "--db", dir.File("none.db")});
  EXPECT_EQ(no_db.exit_code, 1);
  EXPECT_THAT(no_db.err, HasSubstr("no database at"));
}

}  // namespace
}  // namespace stepd::server
