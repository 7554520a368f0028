#pragma once
// Authenticator: who sent a request, and what they may do. One per process,
// built from AuthOptions; every surface (AWS API, REST, Looker hub) asks it.
//
// Local mode (no authentication configured): every request is the principal
// "admin" holding the admin role, whatever it carries. Otherwise a request
// must carry a valid credential:
//   - an OIDC bearer token (OidcOptions), verified against the issuer's keys
//     (jwt.h, key_set.h); the principal is "oidc:<iss>#<sub>";
//   - a SigV4 signature from a configured access key; the principal is the
//     key's name or "sigv4:<access key id>".
// Roles come from the key's own role, else from every RoleBinding that
// matches, else AuthOptions::default_role.
//
// Thread-safety: Authenticate() may be called from any thread, including
// I/O threads; it never blocks. Only a token naming a key the set does not
// hold yet waits, asynchronously, for the key set to refresh.
//
// Verified tokens are remembered (up to kTokenCacheSize, each for at most
// kTokenCacheSeconds and never past its "exp"), keyed by the whole token,
// so that a client reusing its token costs a lookup instead of a signature
// check. A remembered token is checked again once the key set changes.

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "stepd/api/options.h"
#include "stepd/base/clock.h"
#include "stepd/base/json.h"
#include "stepd/http/message.h"

namespace spdlog {
class logger;
}

namespace stepd::api {

class Jwks;
class KeySet;
struct JwtPolicy;

// A role, possibly limited to some state machines (RoleBinding::state_machines).
struct Grant {
  Role role = Role::kViewer;
  std::vector<std::string> state_machines;  // patterns; empty: everything
};

struct Principal {
  // The audit log's actor: "admin" (local mode), "oidc:<iss>#<sub>", the
  // access key's name or "sigv4:<access key id>".
  std::string id;
  // "local", "oidc", "sigv4" or "looker".
  std::string kind = "local";
  // From the token (OIDC) or the key: what bindings match and audit rows show.
  std::string issuer;
  std::string subject;
  std::string email;
  std::string client_id;
  std::vector<std::string> groups;
  std::vector<Grant> grants;

  // Local mode's principal.
  static Principal LocalAdmin();
  // One unscoped role (tests, access keys with a role).
  static Principal WithRole(std::string id, Role role);

  // May do `permission` on state machine `machine_name` ("" when the
  // operation concerns no state machine: then only unscoped grants count).
  bool Can(Permission permission, std::string_view machine_name = {}) const;
  // May do `permission` on at least one state machine (list operations that
  // filter what they show).
  bool CanOnSome(Permission permission) const;
  // "viewer", "operator (etl-*)", ... joined by ", "; "none".
  std::string DescribeGrants() const;
  // For audit rows: {"id", "kind", "issuer"?, "subject"?, "email"?, ...}.
  Json AuditJson() const;
};

enum class AuthFailure {
  kMissing,           // no credential at all
  kUnknownKey,        // a SigV4 access key that is not configured
  kInvalidSignature,  // malformed, expired or wrong SigV4 signature
  kInvalidToken,      // a bearer token that is refused
};

struct AuthError {
  AuthFailure failure;
  std::string message;  // for the client; never holds a secret or the token
  std::string log_reason;  // terser and more precise, for the server log only
};

class Authenticator {
 public:
  static constexpr size_t kTokenCacheSize = 4096;
  static constexpr int64_t kTokenCacheSeconds = 300;

  // `clock` must outlive the authenticator; so must `keys` (required when
  // options.oidc is configured; may be null otherwise) and `logger` (may be
  // null: refusals are not logged).
  Authenticator(AuthOptions options, Clock* clock, KeySet* keys = nullptr,
                std::shared_ptr<spdlog::logger> logger = nullptr);
  ~Authenticator();

  bool local_mode() const { return !options_.configured(); }
  const AuthOptions& options() const { return options_; }

  // The principal who sent `request`, or why it is refused.
  struct Result {
    std::optional<Principal> principal;
    std::optional<AuthError> error;
    // The request's bearer token names a key the set does not hold: the
    // asynchronous Authenticate refreshes the set and tries again.
    bool needs_key_refresh = false;
  };
  // Now, without refreshing keys (needs_key_refresh may be set).
  Result Authenticate(const http::Request& request) const;
  // Calls `then` with the request and the result: at once, or after
  // refreshing the key set when the token names an unknown key (then on an
  // I/O thread, with a copy of the request).
  using Then = std::function<void(const http::Request& request, Result result)>;
  void Authenticate(const http::Request& request, Then then) const;

  // The Looker hub's credential, `Authorization: Token token="<token>"`
  // (parsed as the reference hub does: "Token" or "token", the token up to
  // the last '"'), compared in constant time with every configured
  // LookerToken (all of them, whatever matches first). The principal is
  // "looker:<name>" of kind "looker". Local mode: the local admin. With
  // authentication configured but no Looker token, every hub request is
  // refused. Never refreshes keys; never blocks.
  Result AuthenticateLooker(const http::Request& request) const;
  // The OIDC token in the header auth.oidc.header (an identity-aware
  // proxy's assertion) and nothing else; like the asynchronous Authenticate,
  // refreshes the key set once for an unknown key. An error when OIDC or
  // its header is not configured.
  void AuthenticateAssertion(const http::Request& request, Then then) const;

  // Roles of a principal from its identity: `own_role` when set, else every
  // matching binding's, else the default role.
  std::vector<Grant> GrantsFor(const Principal& principal, std::optional<Role> own_role,
                               std::string_view access_key_id = {},
                               std::string_view looker_token = {}) const;

 private:
  Result AuthenticateSigV4(const http::Request& request, std::string_view header) const;
  Result AuthenticateBearer(const http::Request& request, std::string_view token) const;
  void LogRefusal(const http::Request& request, const AuthError& error) const;
  // Runs `check`; when it needs the key set refreshed, refreshes it once and
  // runs `check` again on a copy of the request; then `then`.
  void AuthenticateRefreshing(const http::Request& request,
                              std::function<Result(const http::Request&)> check, Then then) const;

  struct CachedToken {
    Principal principal;
    int64_t valid_until = 0;  // Unix seconds: min(exp + skew, verified + kTokenCacheSeconds)
    // The key set it was verified against (held, so that a new set is never
    // mistaken for it).
    std::shared_ptr<const Jwks> keys;
  };

  AuthOptions options_;
  Clock* clock_;
  KeySet* keys_;
  mutable std::mutex cache_mu_;
  mutable std::unordered_map<std::string, CachedToken> token_cache_;
  std::shared_ptr<spdlog::logger> logger_;
  std::unique_ptr<JwtPolicy> policy_;
  std::unordered_map<std::string, const AccessKey*> access_keys_;  // by access_key_id
  // SHA-256 of each LookerToken's token, in options_.looker_tokens order.
  std::vector<std::string> looker_token_digests_;
};

// The claim at a dotted `path` of `claims` ("realm_access.roles"), or null.
const Json* ClaimAt(const Json& claims, std::string_view path);

}  // namespace stepd::api
