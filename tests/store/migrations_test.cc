#include "stepd/store/migrations.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#include "stepd/base/crypto.h"
#include "stepd/store/audit_chain.h"

namespace stepd::store {
namespace {

TEST(EmbeddedMigrations, AreNumberedFromOneWithoutGaps) {
  std::span<const Migration> all = EmbeddedMigrations();
  ASSERT_FALSE(all.empty());
  for (size_t i = 0; i < all.size(); ++i) EXPECT_EQ(all[i].version, static_cast<int>(i) + 1);
  EXPECT_EQ(LatestSchemaVersion(), all.back().version);
}

TEST(EmbeddedMigrations, AreTheSqlFilesOfTheSourceTreeByteForByte) {
  const std::filesystem::path dir = std::filesystem::path(STEPD_SOURCE_DIR) / "migrations";
  for (const Migration& m : EmbeddedMigrations()) {
    std::ifstream file(dir / (MigrationLabel(m.version, m.name) + ".sql"), std::ios::binary);
    ASSERT_TRUE(file) << MigrationLabel(m.version, m.name);
    std::stringstream contents;
    contents << file.rdbuf();
    EXPECT_EQ(contents.str(), m.sql);
    EXPECT_EQ(MigrationChecksum(m), Sha256Hex(contents.str()));
  }
}

TEST(EmbeddedPostgresMigrations, HaveTheVersionsAndNamesOfTheSqliteSetInOrder) {
  std::span<const Migration> sqlite = EmbeddedMigrations();
  std::span<const Migration> postgres = EmbeddedPostgresMigrations();
  ASSERT_EQ(postgres.size(), sqlite.size());
  for (size_t i = 0; i < postgres.size(); ++i) {
    EXPECT_EQ(postgres[i].version, static_cast<int>(i) + 1);
    EXPECT_EQ(postgres[i].version, sqlite[i].version);
    EXPECT_EQ(postgres[i].name, sqlite[i].name)
        << MigrationLabel(sqlite[i].version, sqlite[i].name);
    EXPECT_FALSE(postgres[i].sql.empty());
  }
  EXPECT_EQ(LatestSchemaVersion(), postgres.back().version);
}

TEST(EmbeddedPostgresMigrations, AreTheSqlFilesOfTheSourceTreeByteForByte) {
  const std::filesystem::path dir =
      std::filesystem::path(STEPD_SOURCE_DIR) / "migrations" / "postgres";
  for (const Migration& m : EmbeddedPostgresMigrations()) {
    std::ifstream file(dir / (MigrationLabel(m.version, m.name) + ".sql"), std::ios::binary);
    ASSERT_TRUE(file) << MigrationLabel(m.version, m.name);
    std::stringstream contents;
    contents << file.rdbuf();
    EXPECT_EQ(contents.str(), m.sql);
    EXPECT_EQ(MigrationChecksum(m), Sha256Hex(contents.str()));
  }
}

// `sql` without its "--" comments (none of the migrations has "--" in a
// string literal).
std::string WithoutComments(std::string_view sql) {
  std::string out;
  while (!sql.empty()) {
    const size_t end = sql.find('\n');
    std::string_view line = sql.substr(0, end);
    out += line.substr(0, line.find("--"));
    out += '\n';
    if (end == std::string_view::npos) break;
    sql.remove_prefix(end + 1);
  }
  return out;
}

TEST(EmbeddedPostgresMigrations, KeepNoSqliteOnlySyntax) {
  for (const Migration& m : EmbeddedPostgresMigrations()) {
    const std::string code = WithoutComments(m.sql);
    for (std::string_view sqlite_only :
         {"WITHOUT ROWID", "AUTOINCREMENT", "RAISE(ABORT", "BLOB", " REAL", "INTEGER", "x''",
          "json_array(", "json_extract(", "PRAGMA", "BEGIN;", "COMMIT"}) {
      EXPECT_EQ(code.find(sqlite_only), std::string::npos)
          << MigrationLabel(m.version, m.name) << " has " << sqlite_only;
    }
  }
}

TEST(MigrationLabel, PadsTheVersionToFourDigits) {
  EXPECT_EQ(MigrationLabel(1, "initial"), "0001_initial");
  EXPECT_EQ(MigrationLabel(12, "timers"), "0012_timers");
}

}  // namespace
}  // namespace stepd::store
