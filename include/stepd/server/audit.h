#pragma once
// The audit chain's key, and `stepd audit verify`.
//
// The key (StoreOptions::audit_key) comes from, in order:
//   1. the STEPD_AUDIT_KEY variable (the key itself);
//   2. audit.key_file (--key-file, STEPD_AUDIT_KEY_FILE);
//   3. "audit.key" in the database file's directory, which `stepd serve`
//      and `stepd migrate` create with 32 random bytes (hex), mode 0600,
//      when it does not exist yet.
// A key file is read whole; surrounding white space is ignored. The key is
// never logged.

#include <ostream>
#include <string>

#include "stepd/base/status_or.h"
#include "stepd/server/options.h"
#include "stepd/store/records.h"

namespace stepd::server {

struct AuditKey {
  std::string key;
  // Where it came from, for the log: "STEPD_AUDIT_KEY" or a file path.
  std::string source;
  bool created = false;  // a new key file was written
};

// The default key file for a database path: "<dir>/audit.key".
std::string DefaultAuditKeyFile(const std::string& db_path);

// Resolves the key as above. `create_default`: write the default key file
// when neither the variable nor an existing file provides a key (the
// directory is created if missing). NOT_FOUND when no key is found and
// creating is not allowed; INVALID_ARGUMENT for an empty key;
// UNAVAILABLE when a file cannot be read or written.
StatusOr<AuditKey> LoadAuditKey(const ServerOptions& options, const EnvMap& env,
                                bool create_default);

// `stepd audit verify [--db PATH] [--key-file FILE]`: recomputes the chain
// of the database without changing it and prints
//   audit chain intact: N rows, head seq N mac H
// or names the first bad row:
//   audit chain BROKEN: VerifyAuditChain: audit row 3 was altered (...)
// Returns 0 intact, 1 broken or unreadable, 2 bad options.
int RunAuditVerify(const CommandLineValues& flags, const EnvMap& env, std::ostream& out,
                   std::ostream& err);

struct AuditListArgs {
  store::AuditQuery query;  // since_ms/until_ms from the texts below
  std::string since;        // RFC 3339 ("2026-12-01T10:00:00Z") or Unix milliseconds
  std::string until;
  int limit = 100;
};

// `stepd audit list [--db PATH] [--principal ID] [--action A] [--resource ARN]
// [--since T] [--until T] [--limit N] [--newest-first]`: one JSON object per
// row on `out`: {"seq", "time" (RFC 3339), "timestamp_ms", "actor", "action",
// "target", "event_id"?, "details" (object), "hash"}. Reads without the key
// (use `audit verify` to check the chain). Returns 0, 1 when the database
// cannot be read, 2 for bad options or times.
int RunAuditList(const CommandLineValues& flags, const AuditListArgs& args, const EnvMap& env,
                 std::ostream& out, std::ostream& err);

}  // namespace stepd::server
