#include "stepd/store/audit_chain.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <cstdlib>
#include <cstring>

#include "stepd/base/crypto.h"
#include "stepd/base/json.h"

namespace stepd::store {
namespace {

std::string Hex(const unsigned char* bytes, unsigned int length) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(length * 2);
  for (unsigned int i = 0; i < length; ++i) {
    hex.push_back(kHex[bytes[i] >> 4]);
    hex.push_back(kHex[bytes[i] & 0xf]);
  }
  return hex;
}

void AppendString(std::string_view s, std::string* out) {
  out->push_back('"');
  AppendJsonStringBody(s, out);
  out->push_back('"');
}

}  // namespace

const std::string_view kAuditGenesisHash =
    "0000000000000000000000000000000000000000000000000000000000000000";

std::string CanonicalAuditRow(int64_t seq, const AuditEntry& entry) {
  std::string row;
  row.reserve(96 + entry.target.size() + entry.details_json.size());
  row.push_back('[');
  row += std::to_string(seq);
  row.push_back(',');
  row += std::to_string(entry.timestamp_ms);
  row.push_back(',');
  AppendString(entry.actor, &row);
  row.push_back(',');
  AppendString(entry.action, &row);
  row.push_back(',');
  AppendString(entry.target, &row);
  row.push_back(',');
  row += std::to_string(entry.event_id);
  row.push_back(',');
  AppendString(entry.details_json, &row);
  row.push_back(']');
  return row;
}

std::string AuditRowHash(std::string_view key, std::string_view prev_hash, int64_t seq,
                         const AuditEntry& entry) {
  std::string data(prev_hash);
  data += CanonicalAuditRow(seq, entry);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  // HMAC over in-memory data fails only on allocation failure.
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &length);
  return Hex(mac, length);
}

// HMAC-SHA256 with the key's inner and outer pads absorbed once: each row
// costs two digest context copies instead of a key schedule and an
// algorithm lookup.
struct AuditMac::State {
  EVP_MD_CTX* inner = EVP_MD_CTX_new();
  EVP_MD_CTX* outer = EVP_MD_CTX_new();
  EVP_MD_CTX* work = EVP_MD_CTX_new();
  ~State() {
    EVP_MD_CTX_free(inner);
    EVP_MD_CTX_free(outer);
    EVP_MD_CTX_free(work);
  }
};

AuditMac::AuditMac(std::string_view key) : state_(std::make_unique<State>()) {
  constexpr size_t kBlock = 64;  // SHA-256 block size
  unsigned char k[kBlock] = {};
  if (key.size() > kBlock) {
    unsigned int length = 0;
    EVP_Digest(key.data(), key.size(), k, &length, EVP_sha256(), nullptr);
  } else {
    std::memcpy(k, key.data(), key.size());
  }
  unsigned char ipad[kBlock], opad[kBlock];
  for (size_t i = 0; i < kBlock; ++i) {
    ipad[i] = static_cast<unsigned char>(k[i] ^ 0x36);
    opad[i] = static_cast<unsigned char>(k[i] ^ 0x5c);
  }
  EVP_DigestInit_ex(state_->inner, EVP_sha256(), nullptr);
  EVP_DigestUpdate(state_->inner, ipad, kBlock);
  EVP_DigestInit_ex(state_->outer, EVP_sha256(), nullptr);
  EVP_DigestUpdate(state_->outer, opad, kBlock);
}

AuditMac::~AuditMac() = default;

std::string AuditMac::RowHash(std::string_view prev_hash, int64_t seq, const AuditEntry& entry,
                              std::string* raw) {
  const std::string row = CanonicalAuditRow(seq, entry);
  unsigned char inner[EVP_MAX_MD_SIZE], mac[EVP_MAX_MD_SIZE];
  unsigned int inner_length = 0, length = 0;
  EVP_MD_CTX_copy_ex(state_->work, state_->inner);
  EVP_DigestUpdate(state_->work, prev_hash.data(), prev_hash.size());
  EVP_DigestUpdate(state_->work, row.data(), row.size());
  EVP_DigestFinal_ex(state_->work, inner, &inner_length);
  EVP_MD_CTX_copy_ex(state_->work, state_->outer);
  EVP_DigestUpdate(state_->work, inner, inner_length);
  EVP_DigestFinal_ex(state_->work, mac, &length);
  if (raw) raw->assign(reinterpret_cast<const char*>(mac), length);
  return Hex(mac, length);
}

std::string LegacyAuditRowHash(std::string_view prev_hash, int64_t seq, const AuditEntry& entry) {
  Json row = Json::array(
      {seq, entry.timestamp_ms, entry.actor, entry.action, entry.target, entry.details_json});
  std::string data(prev_hash);
  data += row.dump(-1, ' ', false, Json::error_handler_t::replace);
  return Sha256Hex(data);
}

std::string NewAuditKey() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof bytes) != 1) std::abort();  // no entropy: nothing safe to do
  return Hex(bytes, sizeof bytes);
}

}  // namespace stepd::store
