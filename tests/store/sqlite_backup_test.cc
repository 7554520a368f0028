#include "stepd/store/sqlite_backup.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "stepd/store/migrations.h"
#include "stepd/store/sqlite_store.h"
#include "store/store_testing.h"

namespace stepd::store {
namespace {

using testing::Audit;
using ::testing::HasSubstr;
using testing::Machine;
using testing::OptionsIn;
using testing::TempDir;

std::unique_ptr<Store> OpenAt(const std::string& path) {
  StoreOptions options;
  options.path = path;
  options.audit_key = std::string(testing::kTestAuditKey);
  auto store = OpenSqliteStore(options);
  EXPECT_TRUE(store.ok()) << store.status();
  return store.ok() ? std::move(store).value() : nullptr;
}

TEST(SqliteBackup, TheCopyIsADatabaseOfItsOwnWithEveryRowAndAnIntactAuditChain) {
  TempDir dir;
  StoreOptions options = OptionsIn(dir);
  auto db = OpenSqliteStore(options);
  ASSERT_TRUE(db.ok()) << db.status();
  ASSERT_TRUE((*db)->CreateStateMachine(Machine("m"), {Audit("CreateStateMachine", "m")}).ok());
  ASSERT_TRUE((*db)->AppendAudit({Audit("Something", "x")}).ok());

  const std::string copy = (dir.path() / "copy.db").string();
  auto result = BackupSqliteDatabase(options.path, copy, /*overwrite=*/false);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->schema_version, LatestSchemaVersion());
  EXPECT_EQ(result->bytes, static_cast<int64_t>(std::filesystem::file_size(copy)));
  EXPECT_GT(result->pages, 0);
  // Nothing but the copy is left in the directory (no temporary file).
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    if (entry.path().filename().string().rfind(".copy.db", 0) == 0) ++files;
  }
  EXPECT_EQ(files, 0);

  std::unique_ptr<Store> restored = OpenAt(copy);
  ASSERT_NE(restored, nullptr);
  EXPECT_TRUE(restored->GetStateMachine(testing::MachineArn("m")).ok());
  EXPECT_TRUE(restored->VerifyAuditChain().ok());
  // The source is still in use and unchanged.
  EXPECT_TRUE((*db)->AppendAudit({Audit("After", "x")}).ok());
  EXPECT_TRUE((*db)->VerifyAuditChain().ok());
}

TEST(SqliteBackup, ACopyTakenWhileAnotherConnectionWritesIsOneConsistentSnapshot) {
  TempDir dir;
  StoreOptions options = OptionsIn(dir);
  auto db = OpenSqliteStore(options);
  ASSERT_TRUE(db.ok());
  std::atomic<bool> stop{false};
  std::atomic<int> written{0};
  std::thread writer([&] {
    while (!stop) {
      if ((*db)->AppendAudit({Audit("Tick", "t" + std::to_string(written.load()))}).ok()) {
        ++written;
      }
    }
  });
  while (written < 50) std::this_thread::yield();
  std::vector<std::string> copies;
  for (int i = 0; i < 5; ++i) {
    copies.push_back((dir.path() / ("copy" + std::to_string(i) + ".db")).string());
    auto result = BackupSqliteDatabase(options.path, copies.back(), false);
    ASSERT_TRUE(result.ok()) << result.status();
  }
  stop = true;
  writer.join();
  int64_t last_seq = 0;
  for (const std::string& copy : copies) {
    std::unique_ptr<Store> restored = OpenAt(copy);
    ASSERT_NE(restored, nullptr);
    // A torn copy would break the chain (a row without its predecessor).
    EXPECT_TRUE(restored->VerifyAuditChain().ok()) << copy;
    auto head = restored->GetAuditHead();
    ASSERT_TRUE(head.ok());
    EXPECT_GE(head->seq, last_seq);  // later copies hold at least as much
    last_seq = head->seq;
  }
  EXPECT_GT(last_seq, 50);
}

TEST(SqliteBackup, RefusesToReplaceAFileUnlessAskedAndNeverTheDatabaseItself) {
  TempDir dir;
  StoreOptions options = OptionsIn(dir);
  ASSERT_TRUE(OpenSqliteStore(options).ok());
  const std::string copy = (dir.path() / "copy.db").string();
  { std::ofstream(copy) << "precious"; }
  auto refused = BackupSqliteDatabase(options.path, copy, false);
  EXPECT_EQ(refused.status().code(), StatusCode::kAlreadyExists);
  EXPECT_THAT(refused.status().message(), HasSubstr("--force"));
  std::ifstream in(copy);
  std::string text;
  in >> text;
  EXPECT_EQ(text, "precious");

  EXPECT_TRUE(BackupSqliteDatabase(options.path, copy, /*overwrite=*/true).ok());
  EXPECT_NE(OpenAt(copy), nullptr);

  auto itself = BackupSqliteDatabase(options.path, options.path, true);
  EXPECT_EQ(itself.status().code(), StatusCode::kInvalidArgument);
}

TEST(SqliteBackup, AMissingSourceOrDirectoryIsNotFoundAndNothingIsCreated) {
  TempDir dir;
  const std::string missing = (dir.path() / "none.db").string();
  auto result = BackupSqliteDatabase(missing, (dir.path() / "copy.db").string(), false);
  EXPECT_EQ(result.status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(std::filesystem::exists(missing));
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "copy.db"));

  StoreOptions options = OptionsIn(dir);
  ASSERT_TRUE(OpenSqliteStore(options).ok());
  auto no_dir =
      BackupSqliteDatabase(options.path, (dir.path() / "no/such/copy.db").string(), false);
  EXPECT_EQ(no_dir.status().code(), StatusCode::kNotFound);
}

TEST(SqliteBackup, AFileThatIsNoDatabaseFailsAndLeavesNoCopy) {
  TempDir dir;
  const std::string junk = (dir.path() / "junk.db").string();
  { std::ofstream(junk) << std::string(8192, 'x'); }
  const std::string copy = (dir.path() / "copy.db").string();
  auto result = BackupSqliteDatabase(junk, copy, false);
  EXPECT_FALSE(result.ok());
  EXPECT_FALSE(std::filesystem::exists(copy));
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    EXPECT_EQ(entry.path().filename().string().find(".tmp-"), std::string::npos) << entry.path();
  }
}

}  // namespace
}  // namespace stepd::store
