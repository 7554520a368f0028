#include "stepd/base/secret_box.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <cstdlib>
#include <memory>

#include "stepd/base/crypto.h"

namespace stepd {
namespace {

constexpr std::string_view kMagic = "SB1";
constexpr size_t kKeyIdBytes = 8;
constexpr size_t kNonceBytes = 12;
constexpr size_t kTagBytes = 16;
constexpr size_t kHeaderBytes = kMagic.size() + kKeyIdBytes + kNonceBytes;

struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>;

const unsigned char* Bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}
unsigned char* Bytes(std::string& s) { return reinterpret_cast<unsigned char*>(s.data()); }

std::string Trim(std::string_view s) {
  const char* ws = " \t\r\n";
  const size_t first = s.find_first_not_of(ws);
  if (first == std::string_view::npos) return "";
  return std::string(s.substr(first, s.find_last_not_of(ws) - first + 1));
}

}  // namespace

SecretBox::SecretBox(std::string key)
    : key_(std::move(key)),
      key_id_(HexEncode(Sha256("stepd secret key id\n" + key_).substr(0, kKeyIdBytes))) {}

SecretBox::~SecretBox() {
  if (!key_.empty()) OPENSSL_cleanse(key_.data(), key_.size());
}

StatusOr<SecretBox> SecretBox::FromKey(std::string key) {
  if (key.size() != kKeyBytes) {
    return InvalidArgumentError("a secrets key must be 32 bytes, got " +
                                std::to_string(key.size()));
  }
  return SecretBox(std::move(key));
}

StatusOr<SecretBox> SecretBox::FromText(std::string_view text, std::string_view source) {
  const std::string trimmed = Trim(text);
  std::optional<std::string> key;
  if (trimmed.size() == 2 * kKeyBytes) key = HexDecode(trimmed);
  if (!key) key = Base64Decode(trimmed);
  if (!key || key->size() != kKeyBytes) {
    return InvalidArgumentError(
        std::string(source) +
        " does not hold a secrets key: expected 32 bytes as 64 hex digits or base64 (e.g. the "
        "output of `openssl rand -base64 32`)");
  }
  return SecretBox(std::move(*key));
}

std::string SecretBox::NewKeyText() { return Base64Encode(RandomBytes(kKeyBytes)); }

std::string SecretBox::Seal(std::string_view plaintext, std::string_view aad) const {
  std::string out(kHeaderBytes + plaintext.size() + kTagBytes, '\0');
  out.replace(0, kMagic.size(), kMagic);
  out.replace(kMagic.size(), kKeyIdBytes, *HexDecode(key_id_));
  const std::string nonce = RandomBytes(kNonceBytes);
  out.replace(kMagic.size() + kKeyIdBytes, kNonceBytes, nonce);
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  int length = 0;
  // Each step fails only when libcrypto itself is broken: nothing sealed
  // could be trusted then.
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kNonceBytes, nullptr) != 1 ||
      EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, Bytes(key_), Bytes(nonce)) != 1 ||
      EVP_EncryptUpdate(ctx.get(), nullptr, &length, Bytes(aad), static_cast<int>(aad.size())) !=
          1 ||
      EVP_EncryptUpdate(ctx.get(), Bytes(out) + kHeaderBytes, &length, Bytes(plaintext),
                        static_cast<int>(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), Bytes(out) + kHeaderBytes + length, &length) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes,
                          Bytes(out) + kHeaderBytes + plaintext.size()) != 1) {
    std::abort();
  }
  return out;
}

StatusOr<std::string> SecretBox::Open(std::string_view envelope, std::string_view aad) const {
  STEPD_ASSIGN_OR_RETURN(std::string sealed_under, SecretEnvelopeKeyId(envelope));
  if (sealed_under != key_id_) {
    return FailedPreconditionError("the secret was sealed under key " + sealed_under +
                                   ", not under the configured key " + key_id_);
  }
  const std::string_view nonce = envelope.substr(kMagic.size() + kKeyIdBytes, kNonceBytes);
  const std::string_view ciphertext =
      envelope.substr(kHeaderBytes, envelope.size() - kHeaderBytes - kTagBytes);
  std::string tag(envelope.substr(envelope.size() - kTagBytes));
  std::string plaintext(ciphertext.size(), '\0');
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  int length = 0;
  if (!ctx || EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kNonceBytes, nullptr) != 1 ||
      EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, Bytes(key_), Bytes(nonce)) != 1 ||
      EVP_DecryptUpdate(ctx.get(), nullptr, &length, Bytes(aad), static_cast<int>(aad.size())) !=
          1 ||
      EVP_DecryptUpdate(ctx.get(), Bytes(plaintext), &length, Bytes(ciphertext),
                        static_cast<int>(ciphertext.size())) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes, Bytes(tag)) != 1) {
    std::abort();
  }
  if (EVP_DecryptFinal_ex(ctx.get(), Bytes(plaintext) + length, &length) != 1) {
    OPENSSL_cleanse(plaintext.data(), plaintext.size());
    return DataLossError(
        "the sealed secret failed authentication: it was altered, or belongs to another record");
  }
  return plaintext;
}

StatusOr<std::string> SecretEnvelopeKeyId(std::string_view envelope) {
  if (envelope.size() < kHeaderBytes + kTagBytes || envelope.substr(0, kMagic.size()) != kMagic) {
    return DataLossError("the stored value is not a sealed secret");
  }
  return HexEncode(envelope.substr(kMagic.size(), kKeyIdBytes));
}

}  // namespace stepd
