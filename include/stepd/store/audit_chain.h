#pragma once
// The audit log's chain, shared by every Store implementation and by
// offline verifiers (`stepd audit verify`). Row n carries
//   hash_n = hex(HMAC-SHA256(key, hash_{n-1} || CanonicalAuditRow(n, entry)))
// with hash_0 = kAuditGenesisHash, so altering, inserting or deleting a row
// anywhere but the end breaks every later link, and nobody without the key
// (kept outside the database) can recompute the chain after editing it.
//
// The 0001 schema's rows, chained with plain SHA-256 and no key, are kept in
// audit_log_v1 and checked with LegacyAuditRowHash.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "stepd/store/records.h"

namespace stepd::store {

// prev_hash of the first row: 64 '0' characters.
extern const std::string_view kAuditGenesisHash;

// The bytes a row's MAC covers: the compact JSON array
// [seq, timestamp_ms, actor, action, target, event_id, details_json]
// (details_json as a JSON string, byte for byte as stored). Stable across
// versions: changing it breaks every existing chain.
std::string CanonicalAuditRow(int64_t seq, const AuditEntry& entry);

// Lower-case hex HMAC-SHA256 under `key` of prev_hash followed by
// CanonicalAuditRow(seq, entry).
std::string AuditRowHash(std::string_view key, std::string_view prev_hash, int64_t seq,
                         const AuditEntry& entry);

// AuditRowHash with the key set up once: for writers that chain many rows.
// Not thread-safe; one per writer.
class AuditMac {
 public:
  explicit AuditMac(std::string_view key);
  ~AuditMac();
  AuditMac(const AuditMac&) = delete;
  AuditMac& operator=(const AuditMac&) = delete;
  // Equal to AuditRowHash(key, prev_hash, seq, entry); with `raw`, also the
  // 32 bytes that hex stands for.
  std::string RowHash(std::string_view prev_hash, int64_t seq, const AuditEntry& entry,
                      std::string* raw = nullptr);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// audit_log_v1 (schema 0001): hex(sha256(prev_hash || [seq, timestamp_ms,
// actor, action, target, details_json])).
std::string LegacyAuditRowHash(std::string_view prev_hash, int64_t seq, const AuditEntry& entry);

// A fresh random audit key: 32 bytes as 64 lower-case hex characters.
std::string NewAuditKey();

}  // namespace stepd::store
