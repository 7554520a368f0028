#include "stepd/base/crypto.h"

#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <thread>

namespace stepd {
namespace {

TEST(Sha256Hex, MatchesTheStandardTestVectors) {
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256("abc").size(), 32u);
}

TEST(HmacSha256, MatchesRfc4231TestCase2) {
  EXPECT_EQ(HexEncode(HmacSha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(HmacSha256, AcceptsAnEmptyKeyAndMessage) {
  EXPECT_EQ(HexEncode(HmacSha256("", "")),
            "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

TEST(HexEncode, WritesLowerCaseHexOfEveryByte) {
  EXPECT_EQ(HexEncode(std::string("\x00\x7f\xff", 3)), "007fff");
}

TEST(RandomBytes, GivesTheLengthAskedAndDiffersBetweenCalls) {
  EXPECT_EQ(RandomBytes(0), "");
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) seen.insert(RandomBytes(16));
  EXPECT_EQ(seen.size(), 100u);
}

TEST(RandomUuid, IsAVersion4Uuid) {
  const std::string uuid = RandomUuid();
  ASSERT_EQ(uuid.size(), 36u);
  EXPECT_EQ(uuid[8], '-');
  EXPECT_EQ(uuid[13], '-');
  EXPECT_EQ(uuid[14], '4');
  EXPECT_EQ(uuid[18], '-');
  EXPECT_TRUE(uuid[19] == '8' || uuid[19] == '9' || uuid[19] == 'a' || uuid[19] == 'b') << uuid;
  EXPECT_EQ(uuid[23], '-');
  EXPECT_NE(RandomUuid(), uuid);
}

TEST(TimeOrderedUuid, IsAVersion7UuidThatSortsByCreationTime) {
  const std::string first = TimeOrderedUuid();
  ASSERT_EQ(first.size(), 36u);
  EXPECT_EQ(first[14], '7');
  EXPECT_TRUE(first[19] == '8' || first[19] == '9' || first[19] == 'a' || first[19] == 'b')
      << first;
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
  // The first 48 bits are the Unix time in milliseconds.
  const std::string hex = first.substr(0, 8) + first.substr(9, 4);
  const int64_t stamped = std::stoll(hex, nullptr, 16);
  EXPECT_LE(stamped, ms);
  EXPECT_GE(stamped, ms - 10000);
  std::this_thread::sleep_for(std::chrono::milliseconds(2));  // the next millisecond
  const std::string later = TimeOrderedUuid();
  EXPECT_LT(first, later);
  EXPECT_NE(TimeOrderedUuid(), TimeOrderedUuid());
}

TEST(ConstantTimeEquals, ComparesBytesAndLengths) {
  EXPECT_TRUE(ConstantTimeEquals("", ""));
  EXPECT_TRUE(ConstantTimeEquals("secret", "secret"));
  EXPECT_FALSE(ConstantTimeEquals("secret", "secreT"));
  EXPECT_FALSE(ConstantTimeEquals("secret", "secret2"));
  EXPECT_FALSE(ConstantTimeEquals("", "x"));
}

TEST(HexDecode, ReadsEitherCaseAndRefusesOddLengthsAndNonDigits) {
  EXPECT_EQ(HexDecode("007fFF"), std::string("\x00\x7f\xff", 3));
  EXPECT_EQ(HexDecode(""), "");
  EXPECT_EQ(HexDecode("abc"), std::nullopt);
  EXPECT_EQ(HexDecode("0g"), std::nullopt);
}

// RFC 4648 section 10.
TEST(Base64, MatchesTheRfc4648TestVectors) {
  const std::pair<std::string, std::string> vectors[] = {{"", ""},
                                                         {"f", "Zg=="},
                                                         {"fo", "Zm8="},
                                                         {"foo", "Zm9v"},
                                                         {"foob", "Zm9vYg=="},
                                                         {"fooba", "Zm9vYmE="},
                                                         {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(Base64Encode(plain), encoded);
    EXPECT_EQ(Base64Decode(encoded), plain) << encoded;
  }
}

TEST(Base64Decode, AcceptsMissingPaddingAndRefusesWhatIsNotBase64) {
  EXPECT_EQ(Base64Decode("Zg"), "f");
  EXPECT_EQ(Base64Decode("Zm8"), "fo");
  const std::string binary("\xff\xfe\x00", 3);
  EXPECT_EQ(Base64Decode(Base64Encode(binary)), binary);
  EXPECT_EQ(Base64Decode("Z"), std::nullopt);         // a dangling character
  EXPECT_EQ(Base64Decode("Zm9v\n"), std::nullopt);    // white space
  EXPECT_EQ(Base64Decode("Zm=v"), std::nullopt);      // padding inside
  EXPECT_EQ(Base64Decode("Zh=="), std::nullopt);      // bits an encoder leaves zero
  EXPECT_EQ(Base64Decode("Zm9v-_=="), std::nullopt);  // the URL-safe alphabet
}

}  // namespace
}  // namespace stepd
