#pragma once
// The audit log's hash chain, shared by every Store implementation and by
// offline verifiers. Row n carries
//   hash_n = hex(sha256(hash_{n-1} || CanonicalAuditRow(n, entry)))
// with hash_0 = kAuditGenesisHash, so altering, inserting or deleting a row
// anywhere but the end breaks every later link.

#include <cstdint>
#include <string>
#include <string_view>

#include "stepd/store/records.h"

namespace stepd::store {

// prev_hash of the first row: 64 '0' characters.
extern const std::string_view kAuditGenesisHash;

// The bytes hashed for a row: the compact JSON array
// [seq, timestamp_ms, actor, action, target, details_json] (details_json as a
// JSON string, byte for byte as stored). Stable across versions: changing it
// breaks every existing chain.
std::string CanonicalAuditRow(int64_t seq, const AuditEntry& entry);

// Lower-case hex SHA-256 of prev_hash followed by CanonicalAuditRow(seq, entry).
std::string AuditRowHash(std::string_view prev_hash, int64_t seq, const AuditEntry& entry);

// Lower-case hex SHA-256 of `data`.
std::string Sha256Hex(std::string_view data);

}  // namespace stepd::store
