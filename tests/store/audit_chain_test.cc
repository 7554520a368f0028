#include "stepd/store/audit_chain.h"

#include <gtest/gtest.h>

namespace stepd::store {
namespace {

TEST(Sha256Hex, MatchesTheStandardTestVector) {
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(CanonicalAuditRow, IsACompactJsonArrayWithDetailsAsAString) {
  AuditEntry entry{1700000000000, "admin", "StartExecution", "arn:x", R"({"a":1})"};
  EXPECT_EQ(CanonicalAuditRow(3, entry),
            R"([3,1700000000000,"admin","StartExecution","arn:x","{\"a\":1}"])");
}

TEST(AuditRowHash, HashesPreviousHashFollowedByTheCanonicalRow) {
  AuditEntry entry{1, "a", "b", "c", "{}"};
  EXPECT_EQ(AuditRowHash(kAuditGenesisHash, 1, entry),
            Sha256Hex(std::string(kAuditGenesisHash) + CanonicalAuditRow(1, entry)));
  EXPECT_EQ(kAuditGenesisHash.size(), 64u);
}

TEST(AuditRowHash, ChangesWithAnyField) {
  AuditEntry entry{1, "a", "b", "c", "{}"};
  const std::string base = AuditRowHash(kAuditGenesisHash, 1, entry);
  EXPECT_NE(AuditRowHash(kAuditGenesisHash, 2, entry), base);
  AuditEntry other = entry;
  other.target = "d";
  EXPECT_NE(AuditRowHash(kAuditGenesisHash, 1, other), base);
  EXPECT_NE(AuditRowHash(std::string(64, '1'), 1, entry), base);
}

TEST(CanonicalAuditRow, ToleratesInvalidUtf8) {
  AuditEntry entry{1, "a\xff", "b", "c", "{}"};
  EXPECT_EQ(AuditRowHash(kAuditGenesisHash, 1, entry).size(), 64u);
}

}  // namespace
}  // namespace stepd::store
