#pragma once
// SecretBox: authenticated encryption of secret values at rest (AES-256-GCM
// through OpenSSL's EVP interface) under one 32-byte master key.
//
// A sealed value (an "envelope") is bytes:
//   "SB1" | key id (8) | nonce (12, random per Seal) | ciphertext | GCM tag (16)
// The key id is the first 8 bytes of SHA-256("stepd secret key id\n" || key):
// it tells a value sealed under another key from an altered one (key rotation
// finds what is left to re-encrypt by it) without revealing the key. Nonces
// are random: with a 96-bit nonce, far fewer than 2^32 values may be sealed
// under one key, which secrets of connections never approach.
//
// `aad` (additional authenticated data, not secret, not stored) binds an
// envelope to its place, e.g. "connection <arn>": opening it with another aad
// fails exactly as an altered envelope does, so a sealed value copied from one
// record to another is refused.
//
// Thread-safety: immutable after construction; every method may be called
// from any thread.

#include <string>
#include <string_view>

#include "stepd/base/status_or.h"

namespace stepd {

class SecretBox {
 public:
  static constexpr size_t kKeyBytes = 32;

  // INVALID_ARGUMENT unless `key` holds exactly 32 bytes.
  static StatusOr<SecretBox> FromKey(std::string key);
  // A key written as text: 64 hex digits, or base64 (padded or not) of 32
  // bytes; white space around it is ignored. INVALID_ARGUMENT otherwise, the
  // message naming `source` (a file or variable name) and what was wrong,
  // never the text itself.
  static StatusOr<SecretBox> FromText(std::string_view text, std::string_view source);
  // A key from the CSPRNG, as FromText reads it back (base64, 44 characters).
  static std::string NewKeyText();

  SecretBox(SecretBox&& other) noexcept = default;
  SecretBox& operator=(SecretBox&& other) noexcept = default;
  SecretBox(const SecretBox&) = delete;
  SecretBox& operator=(const SecretBox&) = delete;
  ~SecretBox();  // wipes the key from memory

  // 16 lower-case hex characters naming the key (see above).
  const std::string& key_id() const { return key_id_; }

  // The envelope of `plaintext` bound to `aad`.
  std::string Seal(std::string_view plaintext, std::string_view aad) const;
  // The plaintext of an envelope Seal made with this key and the same `aad`.
  // Errors: FAILED_PRECONDITION when it was sealed under another key (the
  // message names both key ids); DATA_LOSS when it is not an envelope, or was
  // altered, or was sealed for another `aad`. Messages never hold plaintext.
  StatusOr<std::string> Open(std::string_view envelope, std::string_view aad) const;

 private:
  explicit SecretBox(std::string key);
  std::string key_;
  std::string key_id_;
};

// The key id (16 hex characters) an envelope was sealed under; DATA_LOSS when
// `envelope` is not one.
StatusOr<std::string> SecretEnvelopeKeyId(std::string_view envelope);

}  // namespace stepd
