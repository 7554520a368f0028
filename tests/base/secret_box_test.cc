#include "stepd/base/secret_box.h"

#include <gtest/gtest.h>

#include "stepd/base/crypto.h"

namespace stepd {
namespace {

SecretBox Box(char fill) { return SecretBox::FromKey(std::string(32, fill)).value(); }

TEST(SecretBox, OpensWhatItSealedWithTheSameAad) {
  const SecretBox box = Box('k');
  const std::string sealed = box.Seal("hunter2", "connection arn:1");
  EXPECT_EQ(box.Open(sealed, "connection arn:1").value(), "hunter2");
  EXPECT_EQ(box.Open(box.Seal("", "a"), "a").value(), "");
}

TEST(SecretBox, SealsWithAFreshNonceSoEqualValuesLookDifferent) {
  const SecretBox box = Box('k');
  const std::string a = box.Seal("same", "aad"), b = box.Seal("same", "aad");
  EXPECT_NE(a, b);
  EXPECT_EQ(a.size(), 3 + 8 + 12 + 4 + 16u);
  EXPECT_EQ(a.find("same"), std::string::npos);
}

TEST(SecretBox, RefusesEveryAlteredByteAsDataLoss) {
  const SecretBox box = Box('k');
  const std::string sealed = box.Seal("a secret value", "aad");
  // The magic and key id bytes name the envelope and key; every later byte
  // (nonce, ciphertext, tag) is authenticated.
  for (size_t i = 3 + 8; i < sealed.size(); ++i) {
    std::string altered = sealed;
    altered[i] = static_cast<char>(altered[i] ^ 0x01);
    const Status status = box.Open(altered, "aad").status();
    EXPECT_EQ(status.code(), StatusCode::kDataLoss) << "byte " << i;
    EXPECT_EQ(status.message(),
              "the sealed secret failed authentication: it was altered, or belongs to another "
              "record");
  }
  EXPECT_EQ(box.Open(sealed.substr(0, sealed.size() - 1), "aad").status().code(),
            StatusCode::kDataLoss);
}

TEST(SecretBox, RefusesAnEnvelopeMovedToAnotherPlace) {
  const SecretBox box = Box('k');
  const std::string sealed = box.Seal("a secret value", "connection arn:1");
  EXPECT_EQ(box.Open(sealed, "connection arn:2").status().code(), StatusCode::kDataLoss);
}

TEST(SecretBox, NamesBothKeysWhenTheEnvelopeWasSealedUnderAnother) {
  const SecretBox old_box = Box('o'), new_box = Box('n');
  EXPECT_NE(old_box.key_id(), new_box.key_id());
  const std::string sealed = old_box.Seal("v", "aad");
  EXPECT_EQ(SecretEnvelopeKeyId(sealed).value(), old_box.key_id());
  EXPECT_EQ(new_box.Open(sealed, "aad").status(),
            FailedPreconditionError("the secret was sealed under key " + old_box.key_id() +
                                    ", not under the configured key " + new_box.key_id()));
}

TEST(SecretBox, RefusesWhatIsNotAnEnvelope) {
  EXPECT_EQ(Box('k').Open("plain text, long enough to look like one", "aad").status(),
            DataLossError("the stored value is not a sealed secret"));
  EXPECT_EQ(SecretEnvelopeKeyId("SB1").status().code(), StatusCode::kDataLoss);
}

TEST(SecretBox, KeyIdIsStableHexAndDependsOnTheKeyOnly) {
  EXPECT_EQ(Box('k').key_id(), Box('k').key_id());
  EXPECT_EQ(Box('k').key_id().size(), 16u);
  EXPECT_EQ(Box('k').key_id(),
            HexEncode(Sha256("stepd secret key id\n" + std::string(32, 'k')).substr(0, 8)));
}

TEST(SecretBox, ReadsKeysAsHexOrBase64AndNamesTheSourceOfABadOne) {
  const std::string key(32, 'k');
  EXPECT_EQ(SecretBox::FromText(HexEncode(key), "f").value().key_id(), Box('k').key_id());
  EXPECT_EQ(SecretBox::FromText("  " + Base64Encode(key) + "\n", "f").value().key_id(),
            Box('k').key_id());
  const std::string fresh = SecretBox::NewKeyText();
  EXPECT_EQ(fresh.size(), 44u);
  EXPECT_TRUE(SecretBox::FromText(fresh, "fresh").ok());
  EXPECT_NE(SecretBox::FromText(fresh, "a").value().key_id(),
            SecretBox::FromText(SecretBox::NewKeyText(), "b").value().key_id());
  const std::string expected =
      " does not hold a secrets key: expected 32 bytes as 64 hex digits or base64 (e.g. the output "
      "of `openssl rand -base64 32`)";
  EXPECT_EQ(SecretBox::FromText("c2hvcnQ=", "/etc/stepd/secrets.key").status(),
            InvalidArgumentError("/etc/stepd/secrets.key" + expected));
  EXPECT_EQ(SecretBox::FromText("", "STEPD_SECRETS_KEY").status(),
            InvalidArgumentError("STEPD_SECRETS_KEY" + expected));
  EXPECT_EQ(SecretBox::FromKey("short").status(),
            InvalidArgumentError("a secrets key must be 32 bytes, got 5"));
}

}  // namespace
}  // namespace stepd
