#include "stepd/store/audit_chain.h"

#include <openssl/evp.h>

#include "stepd/base/json.h"

namespace stepd::store {

const std::string_view kAuditGenesisHash =
    "0000000000000000000000000000000000000000000000000000000000000000";

std::string CanonicalAuditRow(int64_t seq, const AuditEntry& entry) {
  Json row = Json::array(
      {seq, entry.timestamp_ms, entry.actor, entry.action, entry.target, entry.details_json});
  // Replace invalid UTF-8 rather than throw: the hash must be total.
  return row.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  // EVP_Digest cannot fail for SHA-256 on in-memory data short of allocation
  // failure, which would abort elsewhere first.
  EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(length * 2);
  for (unsigned int i = 0; i < length; ++i) {
    hex.push_back(kHex[digest[i] >> 4]);
    hex.push_back(kHex[digest[i] & 0xf]);
  }
  return hex;
}

std::string AuditRowHash(std::string_view prev_hash, int64_t seq, const AuditEntry& entry) {
  std::string data(prev_hash);
  data += CanonicalAuditRow(seq, entry);
  return Sha256Hex(data);
}

}  // namespace stepd::store
