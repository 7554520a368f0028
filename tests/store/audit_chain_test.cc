#include "stepd/store/audit_chain.h"

#include <gtest/gtest.h>
#include <openssl/hmac.h>

#include "stepd/base/crypto.h"

namespace stepd::store {
namespace {

constexpr std::string_view kKey = "test-audit-key";

AuditEntry Entry(int64_t event_id = 0) { return AuditEntry{1, "a", "b", "c", event_id, "{}"}; }

TEST(CanonicalAuditRow, IsACompactJsonArrayWithDetailsAsAString) {
  AuditEntry entry{1700000000000, "admin", "StartExecution", "arn:x", 7, R"({"a":1})"};
  EXPECT_EQ(CanonicalAuditRow(3, entry),
            R"([3,1700000000000,"admin","StartExecution","arn:x",7,"{\"a\":1}"])");
}

TEST(AuditRowHash, IsHmacSha256OfPreviousHashFollowedByTheCanonicalRow) {
  const AuditEntry entry = Entry();
  const std::string data = std::string(kAuditGenesisHash) + CanonicalAuditRow(1, entry);
  unsigned char mac[32];
  unsigned int length = 0;
  HMAC(EVP_sha256(), kKey.data(), static_cast<int>(kKey.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &length);
  std::string hex;
  for (unsigned int i = 0; i < length; ++i) {
    static constexpr char kHex[] = "0123456789abcdef";
    hex += kHex[mac[i] >> 4];
    hex += kHex[mac[i] & 15];
  }
  EXPECT_EQ(AuditRowHash(kKey, kAuditGenesisHash, 1, entry), hex);
}

TEST(AuditRowHash, ChangesWithAnyFieldAndWithTheKey) {
  const AuditEntry entry = Entry();
  const std::string base = AuditRowHash(kKey, kAuditGenesisHash, 1, entry);
  EXPECT_NE(AuditRowHash(kKey, kAuditGenesisHash, 2, entry), base);
  EXPECT_NE(AuditRowHash(kKey, kAuditGenesisHash, 1, Entry(5)), base);
  AuditEntry other = entry;
  other.actor = "mallory";
  EXPECT_NE(AuditRowHash(kKey, kAuditGenesisHash, 1, other), base);
  EXPECT_NE(AuditRowHash(kKey, std::string(64, '1'), 1, entry), base);
  // Without the key nobody recomputes the chain: another key, another MAC.
  EXPECT_NE(AuditRowHash("other-key", kAuditGenesisHash, 1, entry), base);
}

TEST(AuditMac, EqualsAuditRowHashForShortLongAndEmptyKeys) {
  const AuditEntry entry{42, "alice", "StateEntered", "arn:x", 3, R"({"to":"B"})"};
  for (const std::string& key :
       {std::string("k"), std::string(64, 'x'), std::string(200, 'y'), std::string()}) {
    AuditMac mac(key);
    const std::string prev = AuditRowHash(key, kAuditGenesisHash, 1, entry);
    EXPECT_EQ(mac.RowHash(kAuditGenesisHash, 1, entry), prev) << key.size();
    EXPECT_EQ(mac.RowHash(prev, 2, entry), AuditRowHash(key, prev, 2, entry)) << key.size();
  }
}

TEST(CanonicalAuditRow, ToleratesInvalidUtf8) {
  AuditEntry entry{1, "a\xff", "b", "c", 0, "{}"};
  EXPECT_EQ(AuditRowHash(kKey, kAuditGenesisHash, 1, entry).size(), 64u);
}

TEST(LegacyAuditRowHash, IsTheUnkeyedSha256ChainOfSchema0001) {
  AuditEntry entry{1, "a", "b", "c", 0, "{}"};
  EXPECT_EQ(LegacyAuditRowHash(kAuditGenesisHash, 1, entry),
            Sha256Hex(std::string(kAuditGenesisHash) + R"([1,1,"a","b","c","{}"])"));
}

TEST(NewAuditKey, IsSixtyFourHexCharactersAndFresh) {
  const std::string a = NewAuditKey();
  EXPECT_EQ(a.size(), 64u);
  EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_NE(a, NewAuditKey());
}

}  // namespace
}  // namespace stepd::store
