#include "stepd/api/auth.h"

#include "stepd/api/sigv4.h"

namespace stepd::api {

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kViewer:
      return "viewer";
    case Role::kOperator:
      return "operator";
    case Role::kAdmin:
      return "admin";
  }
  return "viewer";
}

std::optional<Role> ParseRole(std::string_view name) {
  if (name == "viewer") return Role::kViewer;
  if (name == "operator") return Role::kOperator;
  if (name == "admin") return Role::kAdmin;
  return std::nullopt;
}

Authenticator::Authenticator(AuthOptions options, Clock* clock)
    : options_(std::move(options)), clock_(clock) {
  for (const AccessKey& key : options_.access_keys) keys_[key.access_key_id] = &key;
}

Authenticator::Result Authenticator::Authenticate(const http::Request& request) const {
  Result result;
  if (local_mode()) {
    result.principal = Principal{"admin", Role::kAdmin};
    return result;
  }
  auto header = request.headers.Get("Authorization");
  if (!header || header->empty()) {
    result.error = AuthError{AuthFailure::kMissing,
                             "Missing Authentication Token: sign the request with SigV4 using a "
                             "configured access key"};
    return result;
  }
  auto parsed = ParseSigV4Authorization(*header);
  if (!parsed.ok()) {
    result.error =
        AuthError{AuthFailure::kInvalidSignature, std::string(parsed.status().message())};
    return result;
  }
  auto it = keys_.find(parsed->access_key_id);
  if (it == keys_.end()) {
    result.error = AuthError{AuthFailure::kUnknownKey,
                             "The security token included in the request is invalid."};
    return result;
  }
  const AccessKey& key = *it->second;
  if (auto bad = VerifySigV4(request, *parsed, key.secret_access_key, clock_->Now(),
                             options_.sigv4_max_skew)) {
    result.error = AuthError{AuthFailure::kInvalidSignature, std::move(bad->message)};
    return result;
  }
  result.principal = Principal{key.principal.empty() ? "sigv4:" + key.access_key_id : key.principal,
                               key.role.value_or(options_.default_role)};
  return result;
}

}  // namespace stepd::api
