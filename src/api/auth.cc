#include "stepd/api/auth.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "stepd/api/jwt.h"
#include "stepd/base/crypto.h"
#include "stepd/api/key_set.h"
#include "stepd/api/sigv4.h"

namespace stepd::api {

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kViewer:
      return "viewer";
    case Role::kTrigger:
      return "trigger";
    case Role::kOperator:
      return "operator";
    case Role::kAdmin:
      return "admin";
  }
  return "viewer";
}

std::optional<Role> ParseRole(std::string_view name) {
  if (name == "viewer") return Role::kViewer;
  if (name == "trigger") return Role::kTrigger;
  if (name == "operator") return Role::kOperator;
  if (name == "admin") return Role::kAdmin;
  return std::nullopt;
}

std::string_view PermissionName(Permission permission) {
  switch (permission) {
    case Permission::kRead:
      return "read";
    case Permission::kStart:
      return "start";
    case Permission::kOperate:
      return "operate";
    case Permission::kManage:
      return "manage";
  }
  return "read";
}

bool RoleGrants(Role role, Permission permission) {
  switch (role) {
    case Role::kViewer:
      return permission == Permission::kRead;
    case Role::kTrigger:
      return permission == Permission::kStart;
    case Role::kOperator:
      return permission != Permission::kManage;
    case Role::kAdmin:
      return true;
  }
  return false;
}

namespace {
constexpr std::string_view kBindingKinds[] = {"subject",    "email",     "group",  "client_id",
                                              "access_key", "principal", "looker"};
}  // namespace

std::string_view LookerModeName(LookerMode mode) {
  return mode == LookerMode::kWait ? "wait" : "async";
}

std::string_view BindingKindName(RoleBinding::Kind kind) {
  return kBindingKinds[static_cast<size_t>(kind)];
}

std::optional<RoleBinding::Kind> ParseBindingKind(std::string_view name) {
  for (size_t i = 0; i < std::size(kBindingKinds); ++i) {
    if (kBindingKinds[i] == name) return static_cast<RoleBinding::Kind>(i);
  }
  return std::nullopt;
}

bool WildcardMatch(std::string_view pattern, std::string_view text) {
  // Iterative glob with one backtrack point: linear in practice, never
  // exponential.
  size_t p = 0, t = 0, star = std::string_view::npos, resume = 0;
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == text[t])) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

Principal Principal::LocalAdmin() { return WithRole("admin", Role::kAdmin); }

Principal Principal::WithRole(std::string id, Role role) {
  Principal p;
  p.id = std::move(id);
  p.grants.push_back(Grant{role, {}});
  return p;
}

bool Principal::Can(Permission permission, std::string_view machine_name) const {
  for (const Grant& grant : grants) {
    if (!RoleGrants(grant.role, permission)) continue;
    if (grant.state_machines.empty()) return true;
    if (machine_name.empty()) continue;
    for (const std::string& pattern : grant.state_machines) {
      if (WildcardMatch(pattern, machine_name)) return true;
    }
  }
  return false;
}

bool Principal::CanOnSome(Permission permission) const {
  return std::any_of(grants.begin(), grants.end(),
                     [permission](const Grant& g) { return RoleGrants(g.role, permission); });
}

std::string Principal::DescribeGrants() const {
  if (grants.empty()) return "none";
  std::string out;
  for (const Grant& grant : grants) {
    if (!out.empty()) out += ", ";
    out += RoleName(grant.role);
    if (!grant.state_machines.empty()) {
      out += " (";
      for (size_t i = 0; i < grant.state_machines.size(); ++i) {
        if (i > 0) out += " ";
        out += grant.state_machines[i];
      }
      out += ")";
    }
  }
  return out;
}

Json Principal::AuditJson() const {
  Json j = {{"id", id}, {"kind", kind}};
  if (!issuer.empty()) j["issuer"] = issuer;
  if (!subject.empty()) j["subject"] = subject;
  if (!email.empty()) j["email"] = email;
  if (!client_id.empty()) j["client_id"] = client_id;
  return j;
}

const Json* ClaimAt(const Json& claims, std::string_view path) {
  const Json* at = &claims;
  while (true) {
    if (!at->is_object()) return nullptr;
    const size_t dot = path.find('.');
    auto it = at->find(std::string(path.substr(0, dot)));
    if (it == at->end()) return nullptr;
    at = &*it;
    if (dot == std::string_view::npos) return at;
    path.remove_prefix(dot + 1);
  }
}

Authenticator::Authenticator(AuthOptions options, Clock* clock, KeySet* keys,
                             std::shared_ptr<spdlog::logger> logger)
    : options_(std::move(options)), clock_(clock), keys_(keys), logger_(std::move(logger)) {
  for (const AccessKey& key : options_.access_keys) access_keys_[key.access_key_id] = &key;
  for (const LookerToken& token : options_.looker_tokens) {
    looker_token_digests_.push_back(Sha256(token.token));
  }
  if (options_.oidc.configured()) {
    policy_ = std::make_unique<JwtPolicy>();
    policy_->issuer = options_.oidc.issuer;
    policy_->audiences = options_.oidc.audiences;
    if (!options_.oidc.algorithms.empty()) {
      policy_->algorithms.clear();
      for (const std::string& name : options_.oidc.algorithms) {
        if (auto alg = ParseJwtAlgorithm(name)) policy_->algorithms.push_back(*alg);
      }
    }
    policy_->clock_skew = options_.oidc.clock_skew;
    policy_->required_claims = options_.oidc.required_claims;
    policy_->max_token_bytes = options_.oidc.max_token_bytes;
  }
}

Authenticator::~Authenticator() = default;

std::vector<Grant> Authenticator::GrantsFor(const Principal& principal,
                                            std::optional<Role> own_role,
                                            std::string_view access_key_id,
                                            std::string_view looker_token) const {
  if (own_role) return {Grant{*own_role, {}}};
  std::vector<Grant> grants;
  for (const RoleBinding& binding : options_.bindings) {
    auto matches = [&binding](std::string_view value) {
      return !value.empty() && WildcardMatch(binding.value, value);
    };
    bool matched = false;
    switch (binding.kind) {
      case RoleBinding::Kind::kSubject:
        matched = principal.kind == "oidc" && matches(principal.subject);
        break;
      case RoleBinding::Kind::kEmail:
        matched = matches(principal.email);
        break;
      case RoleBinding::Kind::kGroup:
        matched = std::any_of(principal.groups.begin(), principal.groups.end(), matches);
        break;
      case RoleBinding::Kind::kClientId:
        matched = matches(principal.client_id);
        break;
      case RoleBinding::Kind::kAccessKey:
        matched = matches(access_key_id);
        break;
      case RoleBinding::Kind::kPrincipal:
        matched = matches(principal.id);
        break;
      case RoleBinding::Kind::kLooker:
        matched = matches(looker_token);
        break;
    }
    if (matched) grants.push_back(Grant{binding.role, binding.state_machines});
  }
  if (grants.empty()) grants.push_back(Grant{options_.default_role, {}});
  return grants;
}

Authenticator::Result Authenticator::Authenticate(const http::Request& request) const {
  Result result;
  if (local_mode()) {
    result.principal = Principal::LocalAdmin();
    return result;
  }
  if (policy_ && !options_.oidc.header.empty()) {
    auto assertion = request.headers.Get(options_.oidc.header);
    if (assertion && !assertion->empty()) return AuthenticateBearer(request, *assertion);
  }
  auto header = request.headers.Get("Authorization");
  if (!header || header->empty()) {
    result.error = AuthError{
        AuthFailure::kMissing,
        policy_ ? "Missing Authentication Token: send an OIDC bearer token"
                      + std::string(access_keys_.empty() ? "" : " or sign the request with SigV4")
                : "Missing Authentication Token: sign the request with SigV4 using a configured "
                  "access key",
        "no credential"};
    return result;
  }
  constexpr std::string_view kBearer = "Bearer ";
  if (header->size() >= kBearer.size() &&
      http::EqualsIgnoreCase(header->substr(0, kBearer.size()), kBearer)) {
    std::string_view token = header->substr(kBearer.size());
    while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
    if (!policy_) {
      result.error = AuthError{AuthFailure::kInvalidToken,
                               "Bearer tokens are not accepted here: OIDC is not configured",
                               "bearer token without OIDC configured"};
      LogRefusal(request, *result.error);
      return result;
    }
    return AuthenticateBearer(request, token);
  }
  if (access_keys_.empty() && policy_) {
    result.error = AuthError{AuthFailure::kMissing,
                             "Missing Authentication Token: send an OIDC bearer token "
                             "(Authorization: Bearer <JWT>)",
                             "authorization header is not a bearer token"};
    LogRefusal(request, *result.error);
    return result;
  }
  return AuthenticateSigV4(request, *header);
}

Authenticator::Result Authenticator::AuthenticateSigV4(const http::Request& request,
                                                       std::string_view header) const {
  Result result;
  auto parsed = ParseSigV4Authorization(header);
  if (!parsed.ok()) {
    result.error = AuthError{AuthFailure::kInvalidSignature, std::string(parsed.status().message()),
                             "malformed SigV4 authorization"};
    LogRefusal(request, *result.error);
    return result;
  }
  auto it = access_keys_.find(parsed->access_key_id);
  if (it == access_keys_.end()) {
    result.error = AuthError{AuthFailure::kUnknownKey,
                             "The security token included in the request is invalid.",
                             "unknown access key " + parsed->access_key_id};
    LogRefusal(request, *result.error);
    return result;
  }
  const AccessKey& key = *it->second;
  if (auto bad = VerifySigV4(request, *parsed, key.secret_access_key, clock_->Now(),
                             options_.sigv4_max_skew)) {
    result.error = AuthError{AuthFailure::kInvalidSignature, std::move(bad->message),
                             "bad SigV4 signature for access key " + key.access_key_id};
    LogRefusal(request, *result.error);
    return result;
  }
  Principal principal;
  principal.id = key.principal.empty() ? "sigv4:" + key.access_key_id : key.principal;
  principal.kind = "sigv4";
  principal.subject = key.access_key_id;
  principal.grants = GrantsFor(principal, key.role, key.access_key_id);
  result.principal = std::move(principal);
  return result;
}

namespace {

// What a client is told of a refused token: the kind of failure, nothing of
// the token itself.
std::string TokenRefusalMessage(JwtFailure failure) {
  std::string why;
  switch (failure) {
    case JwtFailure::kMalformed:
      why = "it is not a well-formed JWT";
      break;
    case JwtFailure::kTooLarge:
      why = "it is too large";
      break;
    case JwtFailure::kAlgorithmNotAllowed:
      why = "its signing algorithm is not allowed";
      break;
    case JwtFailure::kCriticalHeader:
      why = "it names critical header parameters stepd does not understand";
      break;
    case JwtFailure::kUnknownKey:
      why = "it is signed with a key the issuer does not publish";
      break;
    case JwtFailure::kBadSignature:
      why = "its signature is invalid";
      break;
    case JwtFailure::kExpired:
      why = "it has expired";
      break;
    case JwtFailure::kNotYetValid:
      why = "it is not valid yet";
      break;
    case JwtFailure::kIssuedInFuture:
      why = "it is issued in the future";
      break;
    case JwtFailure::kWrongIssuer:
      why = "it is from another issuer";
      break;
    case JwtFailure::kWrongAudience:
      why = "it is meant for another audience";
      break;
    case JwtFailure::kBadClaims:
      why = "its claims are missing or of the wrong type";
      break;
  }
  return "The bearer token is invalid: " + why + ".";
}

std::vector<std::string> StringsAt(const Json* value) {
  std::vector<std::string> out;
  if (value == nullptr) return out;
  if (value->is_string()) {
    // Some IdPs send one group as a string, or several separated by spaces
    // ("scope"-style).
    const std::string& s = value->get_ref<const std::string&>();
    size_t start = 0;
    while (start < s.size()) {
      size_t end = s.find(' ', start);
      if (end == std::string::npos) end = s.size();
      if (end > start) out.push_back(s.substr(start, end - start));
      start = end + 1;
    }
  } else if (value->is_array()) {
    for (const Json& item : *value) {
      if (item.is_string()) out.push_back(item.get<std::string>());
    }
  }
  return out;
}

std::string StringAt(const Json& claims, std::string_view path) {
  const Json* value = ClaimAt(claims, path);
  return value && value->is_string() ? value->get<std::string>() : std::string();
}

}  // namespace

Authenticator::Result Authenticator::AuthenticateBearer(const http::Request& request,
                                                        std::string_view token) const {
  Result result;
  std::shared_ptr<const Jwks> keys = keys_ ? keys_->Current() : nullptr;
  if (!keys) {
    result.needs_key_refresh = true;
    result.error = AuthError{AuthFailure::kInvalidToken,
                             "The bearer token cannot be checked now: the issuer's signing keys "
                             "are not loaded yet",
                             "no signing keys loaded"};
    return result;
  }
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          clock_->Now().time_since_epoch())
                          .count();
  if (token.size() <= policy_->max_token_bytes) {
    std::lock_guard lock(cache_mu_);
    auto hit = token_cache_.find(std::string(token));
    if (hit != token_cache_.end()) {
      if (hit->second.keys == keys && now < hit->second.valid_until) {
        result.principal = hit->second.principal;
        return result;
      }
      token_cache_.erase(hit);
    }
  }
  auto verified = VerifyJwt(token, *keys, *policy_, now);
  if (const JwtError* error = std::get_if<JwtError>(&verified)) {
    result.needs_key_refresh = error->failure == JwtFailure::kUnknownKey;
    result.error = AuthError{AuthFailure::kInvalidToken, TokenRefusalMessage(error->failure),
                             "oidc token refused (" + std::string(JwtFailureName(error->failure)) +
                                 "): " + error->reason};
    if (!result.needs_key_refresh) LogRefusal(request, *result.error);
    return result;
  }
  const VerifiedJwt& jwt = std::get<VerifiedJwt>(verified);
  Principal principal;
  principal.kind = "oidc";
  principal.issuer = StringAt(jwt.claims, "iss");
  principal.subject = StringAt(jwt.claims, "sub");
  principal.id = "oidc:" + principal.issuer + "#" + principal.subject;
  principal.email = StringAt(jwt.claims, options_.oidc.email_claim);
  principal.client_id = StringAt(jwt.claims, "azp");
  if (principal.client_id.empty()) principal.client_id = StringAt(jwt.claims, "client_id");
  principal.groups = StringsAt(ClaimAt(jwt.claims, options_.oidc.groups_claim));
  principal.grants = GrantsFor(principal, std::nullopt);
  const Json* exp = ClaimAt(jwt.claims, "exp");
  if (exp != nullptr && exp->is_number()) {
    const int64_t valid_until =
        std::min(static_cast<int64_t>(exp->get<double>()) + options_.oidc.clock_skew.count(),
                 now + kTokenCacheSeconds);
    std::lock_guard lock(cache_mu_);
    if (token_cache_.size() >= kTokenCacheSize) token_cache_.clear();
    token_cache_[std::string(token)] = CachedToken{principal, valid_until, keys};
  }
  result.principal = std::move(principal);
  return result;
}

void Authenticator::Authenticate(const http::Request& request, Then then) const {
  AuthenticateRefreshing(request, [this](const http::Request& r) { return Authenticate(r); },
                         std::move(then));
}

void Authenticator::AuthenticateRefreshing(const http::Request& request,
                                           std::function<Result(const http::Request&)> check,
                                           Then then) const {
  Result result = check(request);
  if (!result.needs_key_refresh || keys_ == nullptr) {
    if (result.needs_key_refresh && result.error) LogRefusal(request, *result.error);
    result.needs_key_refresh = false;
    return then(request, std::move(result));
  }
  auto copy = std::make_shared<http::Request>(request);
  keys_->RefreshForUnknownKey(
      [this, copy, check = std::move(check), then = std::move(then)](bool) {
        Result again = check(*copy);
        if (again.error) LogRefusal(*copy, *again.error);
        again.needs_key_refresh = false;
        then(*copy, std::move(again));
      });
}

namespace {

// The token of `Authorization: Token token="<token>"`, as the reference
// hub's /[T|t]oken token="(.*)"/ finds it (the last '"' ends it); nullopt
// when the header has no such part.
std::optional<std::string_view> LookerTokenOf(std::string_view header) {
  constexpr std::string_view kMarker = "oken token=\"";
  size_t at = header.find(kMarker);
  while (at != std::string_view::npos) {
    if (at > 0 && (header[at - 1] == 'T' || header[at - 1] == 't' || header[at - 1] == '|')) {
      std::string_view rest = header.substr(at + kMarker.size());
      size_t close = rest.rfind('"');
      if (close == std::string_view::npos) return std::nullopt;
      return rest.substr(0, close);
    }
    at = header.find(kMarker, at + 1);
  }
  return std::nullopt;
}

}  // namespace

Authenticator::Result Authenticator::AuthenticateLooker(const http::Request& request) const {
  Result result;
  if (local_mode()) {
    result.principal = Principal::LocalAdmin();
    return result;
  }
  auto refuse = [&](std::string message, std::string log_reason) {
    result.error = AuthError{AuthFailure::kInvalidToken, std::move(message), std::move(log_reason)};
    LogRefusal(request, *result.error);
    return result;
  };
  auto header = request.headers.Get("Authorization");
  std::optional<std::string_view> token = header ? LookerTokenOf(*header) : std::nullopt;
  if (!token || token->empty()) {
    return refuse("Invalid 'Authorization' header.",
                  header ? "looker hub: authorization is not Token token=\"...\""
                         : "looker hub: no authorization header");
  }
  const std::string digest = Sha256(*token);
  const LookerToken* found = nullptr;
  for (size_t i = 0; i < looker_token_digests_.size(); ++i) {
    // Every configured token is compared, whatever matched before.
    if (ConstantTimeEquals(digest, looker_token_digests_[i]) && found == nullptr) {
      found = &options_.looker_tokens[i];
    }
  }
  if (found == nullptr) {
    return refuse("Invalid 'Authorization' header.",
                  looker_token_digests_.empty() ? "looker hub: no hub token is configured"
                                                : "looker hub: unknown hub token");
  }
  Principal principal;
  principal.id = "looker:" + found->name;
  principal.kind = "looker";
  principal.subject = found->name;
  principal.grants = GrantsFor(principal, found->role, {}, found->name);
  result.principal = std::move(principal);
  return result;
}

void Authenticator::AuthenticateAssertion(const http::Request& request, Then then) const {
  if (!policy_ || options_.oidc.header.empty()) {
    Result result;
    result.error = AuthError{AuthFailure::kMissing,
                             "proxy assertions are not configured (auth.oidc.header)",
                             "no OIDC assertion header configured"};
    return then(request, std::move(result));
  }
  AuthenticateRefreshing(
      request,
      [this](const http::Request& r) {
        auto assertion = r.headers.Get(options_.oidc.header);
        if (assertion && !assertion->empty()) return AuthenticateBearer(r, *assertion);
        Result missing;
        missing.error = AuthError{AuthFailure::kMissing,
                                  "the identity-aware proxy's assertion (" + options_.oidc.header +
                                      ") is missing",
                                  "no OIDC assertion"};
        LogRefusal(r, *missing.error);
        return missing;
      },
      std::move(then));
}

void Authenticator::LogRefusal(const http::Request& request, const AuthError& error) const {
  if (!logger_) return;
  logger_->info("authentication refused: {} (from {}, request {})", error.log_reason,
                request.remote_address.empty() ? "-" : request.remote_address,
                request.request_id);
}

}  // namespace stepd::api
