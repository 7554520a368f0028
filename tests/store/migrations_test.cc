#include "stepd/store/migrations.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

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

TEST(MigrationLabel, PadsTheVersionToFourDigits) {
  EXPECT_EQ(MigrationLabel(1, "initial"), "0001_initial");
  EXPECT_EQ(MigrationLabel(12, "timers"), "0012_timers");
}

}  // namespace
}  // namespace stepd::store
