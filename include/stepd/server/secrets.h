#pragma once
// The secrets key, which connection secrets are sealed under
// (base/secret_box.h), and `stepd keys rotate`.
//
// The key comes from, in order:
//   1. the STEPD_SECRETS_KEY variable (the key itself);
//   2. secrets.key_file (--secrets-key-file, STEPD_SECRETS_KEY_FILE), which
//      must exist;
//   3. "secrets.key" in the database file's directory, which `stepd serve`
//      creates with a random key (mode 0600) when it does not exist yet.
// A key is 32 bytes written as base64 (`openssl rand -base64 32`) or 64 hex
// digits, white space around it ignored. The key is never logged; its key id
// (16 hex digits) is.

#include <ostream>
#include <string>
#include <string_view>

#include "stepd/base/secret_box.h"
#include "stepd/base/status_or.h"
#include "stepd/server/options.h"
#include "stepd/store/store.h"

namespace stepd::server {

struct SecretsKey {
  SecretBox box;
  // Where it came from, for messages: "STEPD_SECRETS_KEY" or a file path.
  std::string source;
  bool created = false;  // a new key file was written
};

// The default key file for a database path: "<dir>/secrets.key".
std::string DefaultSecretsKeyFile(const std::string& db_path);

// Resolves the key as above. `create_default`: write the default key file
// when neither the variable nor secrets.key_file names a key and it does not
// exist. Errors: NOT_FOUND when there is no key and creating is not allowed;
// INVALID_ARGUMENT for text that is no key (naming where it came from, never
// the text); UNAVAILABLE when a file cannot be read or written.
StatusOr<SecretsKey> LoadSecretsKey(const ServerOptions& options, const EnvMap& env,
                                    bool create_default);

// FAILED_PRECONDITION unless every connection's parameters are sealed under
// `key`, naming the first connection that is not with both key ids: a server
// started with another key than the one its secrets were sealed under refuses
// to start instead of failing each request. Reads only.
Status CheckSecretsKey(store::Store& store, const SecretsKey& key);

// `stepd keys rotate [--config FILE] [--db PATH] [--secrets-key-file FILE]
// --new-key-file FILE`: re-seals every connection's parameters under the key
// in FILE (created with a fresh key, mode 0600, when it does not exist), in
// one transaction: all connections move to the new key or none does. The
// current key is loaded as `stepd serve` loads it and must open every
// secret. Pending migrations are applied first, as `stepd serve` would. Stop
// the server first: a running server keeps sealing with the old key. Prints
//   re-encrypted N connection secret(s) under key NEW (from key OLD)
// and what to configure next. Returns 0 done, 1 failure (nothing changed),
// 2 bad usage.
int RunKeysRotate(const CommandLineValues& flags, const EnvMap& env,
                  const std::string& new_key_file, std::ostream& out, std::ostream& err);

}  // namespace stepd::server
