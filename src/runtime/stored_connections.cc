#include "stepd/runtime/stored_connections.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <cmath>

#include "stepd/base/crypto.h"
#include "stepd/base/percent_encoding.h"

namespace stepd::runtime {
namespace {

using store::ConnectionAuthorizationType;
using store::ConnectionRecord;
using store::ConnectionState;

std::string Aad(std::string_view arn) { return "stepd connection parameters\n" + std::string(arn); }

const Json& Member(const Json& object, std::string_view key) {
  static const Json kNull;
  if (!object.is_object()) return kNull;
  auto it = object.find(key);
  return it == object.end() ? kNull : *it;
}

std::string Text(const Json& object, std::string_view key) {
  const Json& value = Member(object, key);
  return value.is_string() ? value.get<std::string>() : std::string();
}

// The {Key, Value, IsValueSecret} entries of list `list` of `http_parameters`.
std::vector<ConnectionParameter> Parameters(const Json& http_parameters, std::string_view list) {
  std::vector<ConnectionParameter> out;
  const Json& entries = Member(http_parameters, list);
  if (!entries.is_array()) return out;
  for (const Json& entry : entries) {
    const Json& secret = Member(entry, "IsValueSecret");
    out.push_back(
        {Text(entry, "Key"), Text(entry, "Value"), secret.is_boolean() && secret.get<bool>()});
  }
  return out;
}

// Every secret value of a parameters document, and the forms they travel in,
// so that text which came from outside (an HTTP client error) can be
// scrubbed of them before it goes anywhere.
std::vector<std::string> SecretValues(const Json& parameters) {
  std::vector<std::string> secrets;
  const Json& basic = Member(parameters, "BasicAuthParameters");
  if (basic.is_object()) {
    secrets.push_back(Text(basic, "Password"));
    secrets.push_back(Base64Encode(Text(basic, "Username") + ":" + Text(basic, "Password")));
  }
  secrets.push_back(Text(Member(parameters, "ApiKeyAuthParameters"), "ApiKeyValue"));
  const Json& oauth = Member(parameters, "OAuthParameters");
  const Json& client = Member(oauth, "ClientParameters");
  if (client.is_object()) {
    secrets.push_back(Text(client, "ClientSecret"));
    secrets.push_back(Base64Encode(Text(client, "ClientID") + ":" + Text(client, "ClientSecret")));
  }
  for (const Json* http :
       {&Member(parameters, "InvocationHttpParameters"), &Member(oauth, "OAuthHttpParameters")}) {
    for (std::string_view list : {"HeaderParameters", "QueryStringParameters", "BodyParameters"}) {
      for (const ConnectionParameter& p : Parameters(*http, list)) {
        if (p.is_secret) secrets.push_back(p.value);
      }
    }
  }
  std::erase_if(secrets, [](const std::string& s) { return s.size() < 4; });
  return secrets;
}

std::string Scrub(std::string text, const std::vector<std::string>& secrets) {
  for (const std::string& secret : secrets) {
    for (size_t at; (at = text.find(secret)) != std::string::npos;)
      text.replace(at, secret.size(), "***");
  }
  return text;
}

std::string FormEncode(const std::vector<ConnectionParameter>& parameters) {
  std::string out;
  for (const ConnectionParameter& p : parameters) {
    if (!out.empty()) out += '&';
    out += PercentEncode(p.key) + "=" + PercentEncode(p.value);
  }
  return out;
}

bool StartsWithIgnoreCase(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() &&
         http::EqualsIgnoreCase(text.substr(0, prefix.size()), prefix);
}

// The request that obtains an access token for `parameters` (an OAuth
// connection's document).
http::ClientRequest TokenRequest(const Json& parameters) {
  const Json& oauth = Member(parameters, "OAuthParameters");
  const Json& client = Member(oauth, "ClientParameters");
  const Json& http_parameters = Member(oauth, "OAuthHttpParameters");
  http::ClientRequest request;
  request.method = Text(oauth, "HttpMethod").empty() ? "POST" : Text(oauth, "HttpMethod");
  request.headers.Set("Authorization", "Basic " + Base64Encode(Text(client, "ClientID") + ":" +
                                                               Text(client, "ClientSecret")));
  request.headers.Set("Accept", "application/json");
  bool json_body = false;
  for (const ConnectionParameter& h : Parameters(http_parameters, "HeaderParameters")) {
    request.headers.Set(h.key, h.value);
    if (http::EqualsIgnoreCase(h.key, "Content-Type")) {
      json_body = StartsWithIgnoreCase(h.value, "application/json");
    }
  }
  std::vector<ConnectionParameter> query = Parameters(http_parameters, "QueryStringParameters");
  std::vector<ConnectionParameter> body = Parameters(http_parameters, "BodyParameters");
  const auto names_grant = [](const ConnectionParameter& p) { return p.key == "grant_type"; };
  const bool has_grant_type = std::any_of(query.begin(), query.end(), names_grant) ||
                              std::any_of(body.begin(), body.end(), names_grant);
  if (request.method == "GET") {
    query.insert(query.end(), body.begin(), body.end());
    body.clear();
    if (!has_grant_type) query.push_back({"grant_type", "client_credentials", false});
  } else {
    if (!has_grant_type) body.push_back({"grant_type", "client_credentials", false});
    if (json_body) {
      Json object = Json::object();
      for (const ConnectionParameter& p : body) object[p.key] = p.value;
      request.body = object.dump();
    } else {
      request.body = FormEncode(body);
      if (!request.headers.Has("Content-Type")) {
        request.headers.Set("Content-Type", "application/x-www-form-urlencoded");
      }
    }
  }
  request.url = Text(oauth, "AuthorizationEndpoint");
  if (!query.empty()) {
    request.url += (request.url.find('?') == std::string::npos ? "?" : "&") + FormEncode(query);
  }
  return request;
}

// What the caller must not see of a connection's failure: the ARN and our
// own words only.
std::string Named(std::string_view arn) { return "connection '" + std::string(arn) + "'"; }

// A token endpoint's answer, read.
struct TokenAnswer {
  std::string access_token;                  // empty: failed
  std::optional<double> expires_in_seconds;  // as the endpoint said
  bool refused = false;  // the endpoint refused the credentials (not unreachable)
  std::string reason;    // why it failed, for StateReason and errors
};

// Reads `answer` as RFC 6749 section 5 describes it.
TokenAnswer ReadTokenAnswer(const StatusOr<http::ClientResponse>& answer,
                            const std::vector<std::string>& secrets) {
  TokenAnswer token;
  if (!answer.ok()) {
    token.reason = "the authorization endpoint could not be reached: " +
                   Scrub(std::string(answer.status().message()), secrets);
    return token;
  }
  const int status = answer->status;
  StatusOr<Json> body = ParseJson(answer->body);
  const Json json = body.ok() && body->is_object() ? *body : Json::object();
  if (status < 200 || status > 299) {
    token.refused = status < 500;
    token.reason = "the authorization endpoint answered HTTP " + std::to_string(status);
    // RFC 6749's error codes are a few lower-case words; anything else the
    // endpoint said (error_description, the body) might quote a credential.
    const std::string code = Text(json, "error");
    if (!code.empty() && code.size() <= 64 && std::all_of(code.begin(), code.end(), [](char c) {
          return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
        })) {
      token.reason += " (" + code + ")";
    }
    return token;
  }
  token.access_token = Text(json, "access_token");
  if (token.access_token.empty()) {
    token.refused = true;
    token.reason = "the authorization endpoint answered HTTP " + std::to_string(status) +
                   " without an access_token";
    return token;
  }
  const Json& expires_in = Member(json, "expires_in");
  if (expires_in.is_number()) {
    token.expires_in_seconds = expires_in.get<double>();
  } else if (expires_in.is_string()) {
    try {
      token.expires_in_seconds = std::stod(expires_in.get<std::string>());
    } catch (const std::exception&) {
      // Not a number: treated as absent.
    }
  }
  return token;
}

}  // namespace

std::string SealConnectionParameters(const SecretBox& box, std::string_view arn,
                                     const Json& parameters) {
  return box.Seal(parameters.dump(), Aad(arn));
}

StatusOr<Json> OpenConnectionParameters(const SecretBox& box, const ConnectionRecord& connection) {
  if (connection.sealed_parameters.empty()) {
    return FailedPreconditionError(Named(connection.arn) +
                                   " has no authorization parameters (it was deauthorized)");
  }
  StatusOr<std::string> opened = box.Open(connection.sealed_parameters, Aad(connection.arn));
  if (!opened.ok()) return opened.status().WithContext(Named(connection.arn));
  StatusOr<Json> parsed = ParseJson(*opened);
  if (!parsed.ok() || !parsed->is_object()) {
    return DataLossError(Named(connection.arn) + ": its opened parameters are not a JSON object");
  }
  return std::move(parsed).value();
}

// --- BlockingHttpFetcher ----------------------------------------------------------

BlockingHttpFetcher::BlockingHttpFetcher(http::ClientOptions options, size_t threads,
                                         size_t queue_capacity)
    : options_(std::move(options)), pool_(threads, queue_capacity) {}

BlockingHttpFetcher::~BlockingHttpFetcher() { pool_.Shutdown(); }

void BlockingHttpFetcher::Fetch(http::ClientRequest request, Done done) {
  auto shared_done = std::make_shared<Done>(std::move(done));
  if (!pool_.TrySubmit([this, request = std::move(request), shared_done] {
        (*shared_done)(http::Fetch(request, options_));
      })) {
    (*shared_done)(UnavailableError("too many HTTP requests are waiting; try again later"));
  }
}

void AsyncHttpFetcher::Fetch(http::ClientRequest request, Done done) {
  client_->Fetch(std::move(request), std::move(done));
}

// --- StoredConnections ------------------------------------------------------------

StoredConnections::StoredConnections(store::Store* store, const SecretBox* box, Clock* clock,
                                     HttpFetcher* fetcher, std::shared_ptr<spdlog::logger> logger)
    : store_(store), box_(box), clock_(clock), fetcher_(fetcher), logger_(std::move(logger)) {}

StoredConnections::~StoredConnections() { WaitIdle(); }

void StoredConnections::WaitIdle() {
  std::unique_lock lock(mu_);
  idle_.wait(lock, [this] { return in_flight_ == 0; });
}

void StoredConnections::Resolve(std::string_view connection_arn, ConnectionDone done) {
  StatusOr<ConnectionRecord> record = store_->GetConnectionByArn(connection_arn);
  if (!record.ok()) {
    if (record.status().code() == StatusCode::kNotFound) {
      done(NotFoundError(Named(connection_arn) + " does not exist"));
    } else {
      done(UnavailableError(Named(connection_arn) +
                            ": cannot read it: " + std::string(record.status().message())));
    }
    return;
  }
  const ConnectionRecord& connection = *record;
  if (connection.state != ConnectionState::kAuthorized &&
      connection.state != ConnectionState::kAuthorizing) {
    std::string message =
        Named(connection_arn) + " is " + std::string(store::ConnectionStateName(connection.state));
    if (!connection.state_reason.empty()) message += ": " + connection.state_reason;
    done(FailedPreconditionError(message));
    return;
  }
  StatusOr<Json> parameters = OpenConnectionParameters(*box_, connection);
  if (!parameters.ok()) {
    done(parameters.status());
    return;
  }
  Waiter waiter;
  const Json& invocation = Member(*parameters, "InvocationHttpParameters");
  waiter.resolved.headers = Parameters(invocation, "HeaderParameters");
  waiter.resolved.query_string = Parameters(invocation, "QueryStringParameters");
  waiter.resolved.body = Parameters(invocation, "BodyParameters");
  auto& headers = waiter.resolved.headers;
  switch (connection.authorization_type) {
    case ConnectionAuthorizationType::kBasic: {
      const Json& basic = Member(*parameters, "BasicAuthParameters");
      headers.insert(
          headers.begin(),
          {"Authorization",
           "Basic " + Base64Encode(Text(basic, "Username") + ":" + Text(basic, "Password")), true});
      done(std::move(waiter.resolved));
      return;
    }
    case ConnectionAuthorizationType::kApiKey: {
      const Json& key = Member(*parameters, "ApiKeyAuthParameters");
      headers.insert(headers.begin(), {Text(key, "ApiKeyName"), Text(key, "ApiKeyValue"), true});
      done(std::move(waiter.resolved));
      return;
    }
    case ConnectionAuthorizationType::kOAuthClientCredentials:
      break;
  }
  waiter.done = std::move(done);
  const std::string arn(connection_arn);
  // Keyed by the sealed bytes: they change exactly when the parameters do
  // (a state change bumps the revision but keeps the token).
  const std::string key = arn + "#" + Sha256Hex(connection.sealed_parameters).substr(0, 16);
  std::unique_lock lock(mu_);
  for (auto it = tokens_.lower_bound(arn + "#");
       it != tokens_.end() && it->first.compare(0, arn.size() + 1, arn + "#") == 0;) {
    it = it->first != key && !it->second.fetching ? tokens_.erase(it) : std::next(it);
  }
  TokenSlot& slot = tokens_[key];
  if (!slot.access_token.empty() && (!slot.refresh_at || clock_->Now() < *slot.refresh_at)) {
    headers.insert(headers.begin(), {"Authorization", "Bearer " + slot.access_token, true});
    lock.unlock();
    waiter.done(std::move(waiter.resolved));
    return;
  }
  slot.waiters.push_back(std::move(waiter));
  if (slot.fetching) return;
  slot.fetching = true;
  ++in_flight_;
  lock.unlock();
  fetcher_->Fetch(TokenRequest(*parameters),
                  [this, key, connection,
                   secrets = SecretValues(*parameters)](StatusOr<http::ClientResponse> answer) {
                    OnToken(key, connection, secrets, std::move(answer));
                  });
}

void StoredConnections::Authorize(std::string_view connection_arn) {
  StatusOr<ConnectionRecord> record = store_->GetConnectionByArn(connection_arn);
  if (!record.ok()) {
    logger_->warn("cannot authorize {}: {}", Named(connection_arn), record.status().ToString());
    return;
  }
  if (record->authorization_type != ConnectionAuthorizationType::kOAuthClientCredentials ||
      record->state != ConnectionState::kAuthorizing) {
    return;
  }
  // A resolve obtains the token and records the state; nobody waits for it.
  Resolve(connection_arn,
          [this, arn = std::string(connection_arn)](StatusOr<ResolvedConnection> resolved) {
            if (resolved.ok()) return;
            // Failures before any token request (its parameters cannot be opened)
            // leave the connection AUTHORIZING: say so.
            if (resolved.status().code() == StatusCode::kDataLoss ||
                resolved.status().code() == StatusCode::kFailedPrecondition) {
              logger_->error("cannot authorize {}: {}", Named(arn), resolved.status().ToString());
            }
          });
}

Status StoredConnections::ResumeAuthorizations() {
  store::PageRequest page{1000, ""};
  while (true) {
    STEPD_ASSIGN_OR_RETURN(auto listed,
                           store_->ListConnections({"", ConnectionState::kAuthorizing}, page));
    for (const ConnectionRecord& c : listed.items) Authorize(c.arn);
    if (listed.next_token.empty()) return Status::OK();
    page.next_token = listed.next_token;
  }
}

void StoredConnections::Invalidate(std::string_view connection_arn) {
  const std::string prefix = std::string(connection_arn) + "#";
  std::lock_guard lock(mu_);
  for (auto it = tokens_.lower_bound(prefix);
       it != tokens_.end() && it->first.compare(0, prefix.size(), prefix) == 0;) {
    if (!it->second.fetching) {
      it = tokens_.erase(it);
      continue;
    }
    it->second.access_token.clear();  // a fetch started before stays useful
    it->second.refresh_at.reset();
    ++it;
  }
}

void StoredConnections::OnToken(const std::string& key, const ConnectionRecord& connection,
                                const std::vector<std::string>& secrets,
                                StatusOr<http::ClientResponse> answer) {
  const TokenAnswer token = ReadTokenAnswer(answer, secrets);
  std::vector<Waiter> waiters;
  {
    std::lock_guard lock(mu_);
    TokenSlot& slot = tokens_[key];
    slot.fetching = false;
    waiters = std::move(slot.waiters);
    slot.waiters.clear();
    slot.access_token = token.access_token;
    slot.refresh_at.reset();
    if (!token.access_token.empty() && token.expires_in_seconds) {
      const double lifetime = std::max(0.0, *token.expires_in_seconds);
      const double margin = std::min(60.0, lifetime / 2);
      slot.refresh_at = clock_->Now() + std::chrono::duration_cast<Duration>(
                                            std::chrono::duration<double>(lifetime - margin));
    }
  }
  if (!token.access_token.empty()) {
    logger_->info(
        "{}: OAuth access token obtained{}", Named(connection.arn),
        token.expires_in_seconds
            ? " (expires in " + std::to_string(std::llround(*token.expires_in_seconds)) + " s)"
            : std::string());
    if (connection.state == ConnectionState::kAuthorizing) {
      RecordState(connection, ConnectionState::kAuthorized, "");
    }
  } else {
    logger_->warn("{}: no OAuth access token: {}", Named(connection.arn), token.reason);
    if (connection.state == ConnectionState::kAuthorizing || token.refused) {
      RecordState(connection, ConnectionState::kDeauthorized, token.reason);
    }
  }
  for (Waiter& waiter : waiters) {
    if (token.access_token.empty()) {
      waiter.done(UnavailableError(Named(connection.arn) + ": " + token.reason));
      continue;
    }
    auto& headers = waiter.resolved.headers;
    headers.insert(headers.begin(), {"Authorization", "Bearer " + token.access_token, true});
    waiter.done(std::move(waiter.resolved));
  }
  std::lock_guard lock(mu_);
  if (--in_flight_ == 0) idle_.notify_all();
}

void StoredConnections::RecordState(const ConnectionRecord& connection, ConnectionState state,
                                    const std::string& reason) {
  ConnectionRecord changed = connection;
  changed.state = state;
  changed.state_reason = reason;
  if (state == ConnectionState::kAuthorized) {
    changed.authorized_at_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(clock_->Now().time_since_epoch())
            .count();
  }
  store::AuditEntry audit;
  audit.timestamp_ms = changed.authorized_at_ms.value_or(
      std::chrono::duration_cast<std::chrono::milliseconds>(clock_->Now().time_since_epoch())
          .count());
  audit.actor = "stepd";
  audit.action =
      state == ConnectionState::kAuthorized ? "ConnectionAuthorized" : "ConnectionDeauthorized";
  audit.target = connection.arn;
  audit.details_json = Json{{"reason", reason}}.dump();
  StatusOr<int64_t> written = store_->UpdateConnection(changed, {audit});
  if (written.ok()) {
    logger_->info("{} is {}{}", Named(connection.arn), store::ConnectionStateName(state),
                  reason.empty() ? "" : ": " + reason);
  } else if (written.status().code() != StatusCode::kAborted &&
             written.status().code() != StatusCode::kNotFound) {
    logger_->warn("cannot record that {} is {}: {}", Named(connection.arn),
                  store::ConnectionStateName(state), written.status().ToString());
  }
  // ABORTED / NOT_FOUND: the connection was changed or deleted meanwhile;
  // that change decides its state.
}

}  // namespace stepd::runtime
