#pragma once
// Authenticator: who sent a request. One per process, built from AuthOptions;
// every surface (AWS API, REST, Looker hub) asks it.
//
// Local mode (no authentication configured): every request is the principal
// "admin" with Role::kAdmin, whatever it carries. Otherwise a request must
// carry a valid credential; today a SigV4 signature from a configured access
// key (OIDC bearer tokens join with the identity work).
//
// Thread-safety: immutable after construction; Authenticate() may be called
// from any thread, including I/O threads (it never blocks).

#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "stepd/api/options.h"
#include "stepd/base/clock.h"
#include "stepd/http/message.h"

namespace stepd::api {

struct Principal {
  std::string id;  // "admin" in local mode, else the access key's principal
  Role role = Role::kViewer;
  bool Allows(Role needed) const { return static_cast<int>(role) >= static_cast<int>(needed); }
};

enum class AuthFailure {
  kMissing,           // no credential at all
  kUnknownKey,        // a SigV4 access key that is not configured
  kInvalidSignature,  // malformed, expired or wrong signature
};

struct AuthError {
  AuthFailure failure;
  std::string message;  // for the client; never holds a secret
};

class Authenticator {
 public:
  // `clock` must outlive the authenticator.
  Authenticator(AuthOptions options, Clock* clock);

  bool local_mode() const { return !options_.configured(); }

  // The principal who sent `request`, or why it is refused.
  struct Result {
    std::optional<Principal> principal;
    std::optional<AuthError> error;
  };
  Result Authenticate(const http::Request& request) const;

 private:
  AuthOptions options_;
  Clock* clock_;
  std::unordered_map<std::string, const AccessKey*> keys_;  // by access_key_id
};

}  // namespace stepd::api
