// EventBridge's connection operations (AWSEvents.*Connection), over the
// Store and runtime::StoredConnections. Requests name connections by Name;
// secret values are sealed before anything is stored and never answered.

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>

#include "aws_internal.h"
#include "stepd/base/crypto.h"

namespace stepd::api::aws {
namespace {

using store::ConnectionAuthorizationType;
using store::ConnectionRecord;
using store::ConnectionState;

constexpr std::string_view kNamePattern = "[\\.\\-_A-Za-z0-9]+";
constexpr std::string_view kAuthHeaderPattern =
    "^[ \\t]*[^\\x00-\\x1F:\\x7F]+([ \\t]+[^\\x00-\\x1F:\\x7F]+)*[ \\t]*$";
constexpr std::string_view kHeaderKeyPattern = "^[!#$%&'*+-.^_`|~0-9a-zA-Z]+$";
constexpr std::string_view kHeaderValuePattern =
    "^[ \\t]*[\\x20-\\x7E]+([ \\t]+[\\x20-\\x7E]+)*[ \\t]*$";
// Writes racing with the connection's own state changes are retried this
// often before the caller gets ConcurrentModificationException.
constexpr int kWriteAttempts = 3;

bool IsConnectionName(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
  });
}

// The values kAuthHeaderPattern accepts: no control character, no ':'.
bool IsAuthHeaderValue(std::string_view value) {
  return value.find_first_not_of(" \t") != std::string_view::npos &&
         std::none_of(value.begin(), value.end(), [](char c) {
           const auto b = static_cast<unsigned char>(c);
           return b < 0x20 ? c != '\t' : b == 0x7f || c == ':';
         });
}

bool IsHeaderKey(std::string_view key) {
  static constexpr std::string_view kSpecials = "!#$%&'*+-.^_`|~";
  return !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) ||
           kSpecials.find(c) != std::string_view::npos;
  });
}

// Printable ASCII, no CR or LF: a header value cannot start another header.
bool IsHeaderValue(std::string_view value) {
  return value.find_first_not_of(" \t") != std::string_view::npos &&
         std::all_of(value.begin(), value.end(),
                     [](char c) { return c == '\t' || (c >= 0x20 && c <= 0x7e); });
}

bool HasControlCharacter(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) {
    const auto b = static_cast<unsigned char>(c);
    return b < 0x20 || b == 0x7f;
  });
}

// http:// is accepted only for a loopback host (a token server on this
// machine); anything else must be https://.
bool IsAcceptableEndpoint(std::string_view url) {
  if (url.rfind("https://", 0) == 0) return url.size() > 8;
  if (url.rfind("http://", 0) != 0) return false;
  std::string_view host = url.substr(7);
  host = host.substr(0, host.find_first_of("/?#"));
  if (!host.empty() && host.front() == '[') {
    return host.rfind("[::1]", 0) == 0;
  }
  host = host.substr(0, host.find(':'));
  return host == "localhost" || host.rfind("127.", 0) == 0;
}

struct ParsedArn {
  std::string region, account, name, uuid;
};
// arn:aws:events:REGION:ACCOUNT:connection/NAME/UUID (as stepd makes them).
ParsedArn ParseConnectionArn(std::string_view arn) {
  ParsedArn parsed;
  std::vector<std::string> parts;
  size_t start = 0;
  for (int i = 0; i < 5; ++i) {
    const size_t colon = arn.find(':', start);
    if (colon == std::string_view::npos) return parsed;
    parts.emplace_back(arn.substr(start, colon - start));
    start = colon + 1;
  }
  std::string_view resource = arn.substr(start);  // connection/NAME/UUID
  const size_t first = resource.find('/'), last = resource.rfind('/');
  if (first == std::string_view::npos || first == last) return parsed;
  parsed.region = parts[3];
  parsed.account = parts[4];
  parsed.name = std::string(resource.substr(first + 1, last - first - 1));
  parsed.uuid = std::string(resource.substr(last + 1));
  return parsed;
}

// The ARN DescribeConnection names the connection's secret with. stepd keeps
// it sealed in its own database; no Secrets Manager secret of that name
// exists.
std::string SecretArn(std::string_view connection_arn) {
  const ParsedArn arn = ParseConnectionArn(connection_arn);
  return "arn:aws:secretsmanager:" + arn.region + ":" + arn.account + ":secret:events!connection/" +
         arn.name + "/" + arn.uuid;
}

Outcome NotFound(std::string_view name) {
  return Outcome::Fail(ErrorType::kResourceNotFoundException,
                       "Failed to describe the connection(s). Connection '" + std::string(name) +
                           "' does not exist.");
}

// Store errors AWS names in EventBridge's words.
Outcome Failure(const Context& context, const Status& status, std::string_view operation,
                std::string_view name) {
  switch (status.code()) {
    case StatusCode::kNotFound:
      return NotFound(name);
    case StatusCode::kAborted:
      return Outcome::Fail(
          ErrorType::kConcurrentModificationException,
          "Connection '" + std::string(name) + "' is being changed by another request; try again.");
    case StatusCode::kResourceExhausted:
      return Outcome::Fail(ErrorType::kLimitExceededException,
                           "The requested resource exceeds the maximum number allowed: " +
                               std::string(status.message()));
    default: {
      Outcome outcome = StoreFailure(context, status, operation);
      if (outcome.error->type == ErrorType::kInternalFailure) {
        outcome.error->type = ErrorType::kInternalException;
      }
      return outcome;
    }
  }
}

// --- Reading AuthParameters ------------------------------------------------------

// Reads requests' AuthParameters into the parameters document
// (runtime/stored_connections.h) and reports what does not fit, naming
// members as EventBridge does ('authParameters.basicAuthParameters.password').
class AuthReader {
 public:
  explicit AuthReader(Fields& errors) : errors_(errors) {}

  // A string member of `object` at `path`; sensitive ones are never quoted.
  std::optional<std::string> String(const Json& object, const std::string& path,
                                    std::string_view name, bool required, size_t max,
                                    bool sensitive, std::string_view pattern = {},
                                    bool (*valid)(std::string_view) = nullptr) {
    Fields f(object, path, true);
    std::optional<std::string> value = f.String(name, required, required ? 1 : 0, max, sensitive);
    if (value && valid != nullptr && !valid(*value)) {
      f.AddConstraint(name, sensitive ? "" : "'" + *value + "'",
                      "Member must satisfy regular expression pattern: " + std::string(pattern));
    }
    errors_.Merge(f);
    return value;
  }

  const Json* Object(const Json& object, const std::string& path, std::string_view name) {
    Fields f(object, path, true);
    const Json* value = f.Value(name, Json::value_t::object);
    errors_.Merge(f);
    return value;
  }

  // A ConnectionHttpParameters object, its three lists normalized.
  Json HttpParameters(const Json& http, const std::string& path) {
    Json out = Json::object();
    for (std::string_view list : {"HeaderParameters", "QueryStringParameters", "BodyParameters"}) {
      Fields f(http, path, true);
      const Json* entries = f.Value(list, Json::value_t::array);
      errors_.Merge(f);
      if (entries == nullptr) continue;
      std::string list_path = path + "." + Lower(list);
      if (entries->size() > 100) {
        Fields g(http, path, true);
        g.AddConstraint(list, "", "Member must have length less than or equal to 100");
        errors_.Merge(g);
        continue;
      }
      Json normalized = Json::array();
      int index = 0;
      for (const Json& entry : *entries) {
        const std::string at = list_path + "." + std::to_string(++index) + ".member";
        if (!entry.is_object()) {
          errors_.AddConstraint(at, "", "Member must be an object");
          continue;
        }
        std::optional<std::string> key, value;
        // A parameter needs a key to be sent; header and query values must
        // not be empty, a body value may.
        if (list == "HeaderParameters") {
          key = String(entry, at, "Key", true, 512, false, kHeaderKeyPattern, IsHeaderKey);
          value = String(entry, at, "Value", true, 512, true, kHeaderValuePattern, IsHeaderValue);
        } else if (list == "QueryStringParameters") {
          key = String(entry, at, "Key", true, 512, false, "[^\\x00-\\x1F\\x7F]+",
                       [](std::string_view t) { return !HasControlCharacter(t); });
          value = String(entry, at, "Value", true, 512, true,
                         "[^\\x00-\\x09\\x0B\\x0C\\x0E-\\x1F\\x7F]+",
                         [](std::string_view t) { return !HasControlCharacter(t); });
        } else {
          key = String(entry, at, "Key", true, SIZE_MAX, false);
          value = String(entry, at, "Value", false, SIZE_MAX, true);
        }
        Fields g(entry, at, true);
        const std::optional<bool> secret = g.Bool("IsValueSecret");
        errors_.Merge(g);
        normalized.push_back({{"Key", key.value_or("")},
                              {"Value", value.value_or("")},
                              {"IsValueSecret", secret.value_or(false)}});
      }
      out[std::string(list)] = std::move(normalized);
    }
    return out;
  }

  static std::string Lower(std::string_view name) {
    std::string out(name);
    if (!out.empty()) out[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(out[0])));
    return out;
  }

 private:
  Fields& errors_;
};

constexpr std::string_view kBasic = "BasicAuthParameters";
constexpr std::string_view kApiKey = "ApiKeyAuthParameters";
constexpr std::string_view kOAuth = "OAuthParameters";
constexpr std::string_view kInvocation = "InvocationHttpParameters";

std::string_view ParametersFor(ConnectionAuthorizationType type) {
  switch (type) {
    case ConnectionAuthorizationType::kBasic:
      return kBasic;
    case ConnectionAuthorizationType::kApiKey:
      return kApiKey;
    case ConnectionAuthorizationType::kOAuthClientCredentials:
      return kOAuth;
  }
  return kBasic;
}

// Applies the AuthParameters of a request to `document` (empty for a
// create): members given replace those stored (a parameter list, e.g.
// InvocationHttpParameters, is replaced whole); parameters of another
// authorization type than `type` are refused, and dropped from `document`.
// Problems go to `errors`; CheckComplete() then says what is missing.
void ApplyAuthParameters(const Json& given, ConnectionAuthorizationType type, Fields& errors,
                         Json* document) {
  AuthReader read(errors);
  const std::string base = "authParameters";
  for (std::string_view other : {kBasic, kApiKey, kOAuth}) {
    if (other != ParametersFor(type) && given.contains(other) &&
        !given[std::string(other)].is_null()) {
      errors.AddConstraint(base + "." + AuthReader::Lower(other), "",
                           "Member must not be set for authorization type " +
                               std::string(store::ConnectionAuthorizationTypeName(type)));
    }
  }
  for (std::string_view unsupported : {"ConnectivityParameters"}) {
    if (given.contains(unsupported)) {
      errors.AddConstraint(base + "." + AuthReader::Lower(unsupported), "",
                           "Member is not supported by stepd (private APIs through VPC Lattice)");
    }
  }
  const std::string_view own = ParametersFor(type);
  Json& stored = (*document)[std::string(own)];
  if (!stored.is_object()) stored = Json::object();
  if (const Json* p = read.Object(given, base, own)) {
    const std::string path = base + "." + AuthReader::Lower(own);
    auto set = [&stored](std::string_view key, const std::optional<std::string>& value) {
      if (value) stored[std::string(key)] = *value;
    };
    if (own == kBasic) {
      set("Username", read.String(*p, path, "Username", false, 512, false, kAuthHeaderPattern,
                                  IsAuthHeaderValue));
      set("Password", read.String(*p, path, "Password", false, 512, true, kAuthHeaderPattern,
                                  IsAuthHeaderValue));
    } else if (own == kApiKey) {
      set("ApiKeyName", read.String(*p, path, "ApiKeyName", false, 512, false, kAuthHeaderPattern,
                                    IsAuthHeaderValue));
      set("ApiKeyValue", read.String(*p, path, "ApiKeyValue", false, 512, true, kAuthHeaderPattern,
                                     IsAuthHeaderValue));
    } else {
      if (const Json* client = read.Object(*p, path, "ClientParameters")) {
        const std::string client_path = path + ".clientParameters";
        Json& stored_client = stored["ClientParameters"];
        if (!stored_client.is_object()) stored_client = Json::object();
        if (auto id = read.String(*client, client_path, "ClientID", false, 512, false,
                                  kAuthHeaderPattern, IsAuthHeaderValue)) {
          stored_client["ClientID"] = *id;
        }
        if (auto secret = read.String(*client, client_path, "ClientSecret", false, 512, true,
                                      kAuthHeaderPattern, IsAuthHeaderValue)) {
          stored_client["ClientSecret"] = *secret;
        }
      }
      std::optional<std::string> endpoint =
          read.String(*p, path, "AuthorizationEndpoint", false, 2048, false);
      if (endpoint && !IsAcceptableEndpoint(*endpoint)) {
        errors.AddConstraint(path + ".authorizationEndpoint", "'" + *endpoint + "'",
                             "Member must be an https:// URL (http:// only for a loopback host)");
      }
      set("AuthorizationEndpoint", endpoint);
      Fields method_field(*p, path, true);
      set("HttpMethod", method_field.Enum("HttpMethod", false, {"GET", "POST", "PUT"}));
      errors.Merge(method_field);
      if (const Json* http = read.Object(*p, path, "OAuthHttpParameters")) {
        stored["OAuthHttpParameters"] = read.HttpParameters(*http, path + ".oAuthHttpParameters");
      }
    }
  }
  if (const Json* invocation = read.Object(given, base, kInvocation)) {
    (*document)[std::string(kInvocation)] =
        read.HttpParameters(*invocation, base + ".invocationHttpParameters");
  }
  // Members of the other types are gone once the type changed; the rest in
  // one order, whatever order the changes came in.
  Json ordered = Json::object();
  for (std::string_view member : {own, kInvocation}) {
    if (document->contains(member)) ordered[std::string(member)] = (*document)[std::string(member)];
  }
  *document = std::move(ordered);
}

// What `type` needs in a document, missing ones reported as AWS reports a
// null required member.
void CheckComplete(const Json& document, ConnectionAuthorizationType type, Fields& errors) {
  const std::string_view own = ParametersFor(type);
  const std::string path = "authParameters." + AuthReader::Lower(own);
  const Json& p = document.contains(own) ? document[std::string(own)] : Json::object();
  auto need = [&errors](const Json& object, const std::string& at, std::string_view key) {
    if (!object.is_object() || !object.contains(key)) {
      errors.AddConstraint(at + "." + AuthReader::Lower(key), "null", "Member must not be null");
    }
  };
  if (own == kBasic) {
    need(p, path, "Username");
    need(p, path, "Password");
  } else if (own == kApiKey) {
    need(p, path, "ApiKeyName");
    need(p, path, "ApiKeyValue");
  } else {
    need(p, path, "ClientParameters");
    if (p.is_object() && p.contains("ClientParameters")) {
      need(p["ClientParameters"], path + ".clientParameters", "ClientID");
      need(p["ClientParameters"], path + ".clientParameters", "ClientSecret");
    }
    need(p, path, "AuthorizationEndpoint");
    need(p, path, "HttpMethod");
  }
}

// The document as DescribeConnection shows it: no secret value.
Json PublicParameters(Json document) {
  if (document.contains(kBasic)) document[std::string(kBasic)].erase("Password");
  if (document.contains(kApiKey)) document[std::string(kApiKey)].erase("ApiKeyValue");
  std::vector<Json*> http;
  if (document.contains(kOAuth)) {
    Json& oauth = document[std::string(kOAuth)];
    if (oauth.contains("ClientParameters")) oauth["ClientParameters"].erase("ClientSecret");
    if (oauth.contains("OAuthHttpParameters")) http.push_back(&oauth["OAuthHttpParameters"]);
  }
  if (document.contains(kInvocation)) http.push_back(&document[std::string(kInvocation)]);
  for (Json* parameters : http) {
    for (auto& [list, entries] : parameters->items()) {
      for (Json& entry : entries) {
        if (entry.value("IsValueSecret", false)) entry.erase("Value");
      }
    }
  }
  return document;
}

// The fields every answer about one connection carries.
Json Summary(const ConnectionRecord& c, ConnectionState state) {
  Json out = {{"ConnectionArn", c.arn},
              {"ConnectionState", store::ConnectionStateName(state)},
              {"CreationTime", Timestamp(c.created_at_ms)},
              {"LastModifiedTime", Timestamp(c.updated_at_ms)}};
  if (c.authorized_at_ms) out["LastAuthorizedTime"] = Timestamp(*c.authorized_at_ms);
  return out;
}

std::optional<std::string> ReadName(Fields& f, std::string_view member = "Name",
                                    bool required = true) {
  std::optional<std::string> name = f.String(member, required, 1, 64);
  if (name && !name->empty() && !IsConnectionName(*name)) {
    f.AddConstraint(member, "'" + *name + "'",
                    "Member must satisfy regular expression pattern: " + std::string(kNamePattern));
  }
  return name;
}

// Refuses the members stepd does not support, as validation errors.
void RefuseUnsupported(const Json& input, Fields& f) {
  for (std::string_view member : {"KmsKeyIdentifier", "InvocationConnectivityParameters"}) {
    if (input.contains(member) && !input[std::string(member)].is_null()) {
      f.AddConstraint(member, "",
                      "Member is not supported by stepd (it encrypts connection secrets under its "
                      "own key and calls public endpoints only)");
    }
  }
}

store::AuditEntry ConnectionAudit(const Context& context, const Call& call,
                                  std::string_view action, const ConnectionRecord& c) {
  return Audit(
      context, call, action, c.arn,
      {{"name", c.name},
       {"authorizationType", store::ConnectionAuthorizationTypeName(c.authorization_type)}});
}

bool Ready(const Context& context, Call& call) {
  if (context.connections != nullptr) return true;
  call.reply(Outcome::Fail(ErrorType::kInternalException,
                           "Connections are not available: stepd runs without a secrets key"));
  return false;
}

}  // namespace

void CreateConnection(const Context& context, Call call) {
  if (!Ready(context, call)) return;
  Fields f(call.input, "", true);
  const std::optional<std::string> name = ReadName(f);
  const std::optional<std::string> description = f.String("Description", false, 0, 512);
  const std::optional<std::string> type_name =
      f.Enum("AuthorizationType", true, {"BASIC", "OAUTH_CLIENT_CREDENTIALS", "API_KEY"});
  const Json* given = f.Value("AuthParameters", Json::value_t::object);
  if (given == nullptr) f.AddConstraint("AuthParameters", "null", "Member must not be null");
  RefuseUnsupported(call.input, f);
  Json document = Json::object();
  if (type_name && given != nullptr) {
    const ConnectionAuthorizationType type = *store::ParseConnectionAuthorizationType(*type_name);
    ApplyAuthParameters(*given, type, f, &document);
    if (f.ok()) CheckComplete(document, type, f);
  }
  if (!f.ok()) return call.reply(Outcome{{}, f.error()});

  ConnectionRecord c;
  c.name = *name;
  c.arn = "arn:aws:events:" + context.options->region + ":" + context.options->account_id +
          ":connection/" + c.name + "/" + RandomUuid();
  c.description = description.value_or("");
  c.authorization_type = *store::ParseConnectionAuthorizationType(*type_name);
  c.auth_parameters_json = PublicParameters(document).dump();
  c.sealed_parameters =
      runtime::SealConnectionParameters(context.connections->secret_box(), c.arn, document);
  c.created_at_ms = c.updated_at_ms = context.NowMs();
  const bool oauth = c.authorization_type == ConnectionAuthorizationType::kOAuthClientCredentials;
  c.state = oauth ? ConnectionState::kAuthorizing : ConnectionState::kAuthorized;
  if (!oauth) c.authorized_at_ms = c.created_at_ms;
  Status created = context.store->CreateConnection(
      c, {ConnectionAudit(context, call, "CreateConnection", c)});
  if (created.code() == StatusCode::kAlreadyExists) {
    return call.reply(Outcome::Fail(ErrorType::kResourceAlreadyExistsException,
                                    "Connection " + c.name + " already exists."));
  }
  if (!created.ok()) return call.reply(Failure(context, created, call.operation, c.name));
  if (oauth) context.connections->Authorize(c.arn);
  Json answer = Summary(c, c.state);
  answer.erase("LastAuthorizedTime");  // not in CreateConnection's answer
  call.reply(Outcome::Ok(answer));
}

void DescribeConnection(const Context& context, Call call) {
  Fields f(call.input, "", true);
  const std::optional<std::string> name = ReadName(f);
  if (!f.ok()) return call.reply(Outcome{{}, f.error()});
  StatusOr<ConnectionRecord> c = context.store->GetConnection(*name);
  if (!c.ok()) return call.reply(Failure(context, c.status(), call.operation, *name));
  Json answer = {{"ConnectionArn", c->arn}, {"Name", c->name}};
  if (!c->description.empty()) answer["Description"] = c->description;
  answer["ConnectionState"] = store::ConnectionStateName(c->state);
  if (!c->state_reason.empty()) answer["StateReason"] = c->state_reason;
  answer["AuthorizationType"] = store::ConnectionAuthorizationTypeName(c->authorization_type);
  if (!c->sealed_parameters.empty()) answer["SecretArn"] = SecretArn(c->arn);
  const Json parameters = JsonObjectOrEmpty(c->auth_parameters_json);
  if (!parameters.empty()) answer["AuthParameters"] = parameters;
  answer["CreationTime"] = Timestamp(c->created_at_ms);
  answer["LastModifiedTime"] = Timestamp(c->updated_at_ms);
  if (c->authorized_at_ms) answer["LastAuthorizedTime"] = Timestamp(*c->authorized_at_ms);
  call.reply(Outcome::Ok(answer));
}

void UpdateConnection(const Context& context, Call call) {
  if (!Ready(context, call)) return;
  Fields f(call.input, "", true);
  const std::optional<std::string> name = ReadName(f);
  const std::optional<std::string> description = f.String("Description", false, 0, 512);
  const std::optional<std::string> type_name =
      f.Enum("AuthorizationType", false, {"BASIC", "OAUTH_CLIENT_CREDENTIALS", "API_KEY"});
  const Json* given = f.Value("AuthParameters", Json::value_t::object);
  RefuseUnsupported(call.input, f);
  if (!f.ok()) return call.reply(Outcome{{}, f.error()});
  const SecretBox& box = context.connections->secret_box();
  for (int attempt = 1;; ++attempt) {
    StatusOr<ConnectionRecord> stored = context.store->GetConnection(*name);
    if (!stored.ok()) return call.reply(Failure(context, stored.status(), call.operation, *name));
    ConnectionRecord c = *std::move(stored);
    Json document = Json::object();
    if (!c.sealed_parameters.empty()) {
      StatusOr<Json> opened = runtime::OpenConnectionParameters(box, c);
      if (!opened.ok()) {
        context.log->error("UpdateConnection: {}", opened.status().ToString());
        return call.reply(Outcome::Fail(
            ErrorType::kInternalException,
            "The stored parameters of connection '" + c.name +
                "' cannot be opened with the configured secrets key; see the server log"));
      }
      document = *std::move(opened);
    }
    if (type_name) c.authorization_type = *store::ParseConnectionAuthorizationType(*type_name);
    Fields checks(call.input, "", true);
    ApplyAuthParameters(given != nullptr ? *given : Json::object(), c.authorization_type, checks,
                        &document);
    if (checks.ok()) CheckComplete(document, c.authorization_type, checks);
    if (!checks.ok()) return call.reply(Outcome{{}, checks.error()});
    if (description) c.description = *description;
    c.auth_parameters_json = PublicParameters(document).dump();
    c.sealed_parameters = runtime::SealConnectionParameters(box, c.arn, document);
    c.updated_at_ms = context.NowMs();
    const bool oauth = c.authorization_type == ConnectionAuthorizationType::kOAuthClientCredentials;
    c.state = oauth ? ConnectionState::kAuthorizing : ConnectionState::kAuthorized;
    c.state_reason.clear();
    if (!oauth) c.authorized_at_ms = c.updated_at_ms;
    StatusOr<int64_t> written = context.store->UpdateConnection(
        c, {ConnectionAudit(context, call, "UpdateConnection", c)});
    if (written.status().code() == StatusCode::kAborted && attempt < kWriteAttempts) continue;
    if (!written.ok()) return call.reply(Failure(context, written.status(), call.operation, *name));
    context.connections->Invalidate(c.arn);
    if (oauth) context.connections->Authorize(c.arn);
    return call.reply(Outcome::Ok(Summary(c, c.state)));
  }
}

void DeleteConnection(const Context& context, Call call) {
  Fields f(call.input, "", true);
  const std::optional<std::string> name = ReadName(f);
  if (!f.ok()) return call.reply(Outcome{{}, f.error()});
  StatusOr<ConnectionRecord> c = context.store->GetConnection(*name);
  if (!c.ok()) return call.reply(Failure(context, c.status(), call.operation, *name));
  Status deleted = context.store->DeleteConnection(
      c->arn, {ConnectionAudit(context, call, "DeleteConnection", *c)});
  if (!deleted.ok()) return call.reply(Failure(context, deleted, call.operation, *name));
  if (context.connections != nullptr) context.connections->Invalidate(c->arn);
  call.reply(Outcome::Ok(Summary(*c, ConnectionState::kDeleting)));
}

void DeauthorizeConnection(const Context& context, Call call) {
  Fields f(call.input, "", true);
  const std::optional<std::string> name = ReadName(f);
  if (!f.ok()) return call.reply(Outcome{{}, f.error()});
  for (int attempt = 1;; ++attempt) {
    StatusOr<ConnectionRecord> stored = context.store->GetConnection(*name);
    if (!stored.ok()) return call.reply(Failure(context, stored.status(), call.operation, *name));
    ConnectionRecord c = *std::move(stored);
    // Every authorization parameter goes, secret and not: the connection
    // keeps its name and ARN, and UpdateConnection gives it new ones.
    c.state = ConnectionState::kDeauthorized;
    c.state_reason.clear();
    c.auth_parameters_json = "{}";
    c.sealed_parameters.clear();
    c.updated_at_ms = context.NowMs();
    StatusOr<int64_t> written = context.store->UpdateConnection(
        c, {ConnectionAudit(context, call, "DeauthorizeConnection", c)});
    if (written.status().code() == StatusCode::kAborted && attempt < kWriteAttempts) continue;
    if (!written.ok()) return call.reply(Failure(context, written.status(), call.operation, *name));
    if (context.connections != nullptr) context.connections->Invalidate(c.arn);
    return call.reply(Outcome::Ok(Summary(c, ConnectionState::kDeauthorizing)));
  }
}

void ListConnections(const Context& context, Call call) {
  Fields f(call.input, "", true);
  store::ConnectionFilter filter;
  if (auto prefix = ReadName(f, "NamePrefix", false)) filter.name_prefix = *prefix;
  const std::optional<std::string> state =
      f.Enum("ConnectionState", false,
             {"CREATING", "UPDATING", "DELETING", "AUTHORIZED", "DEAUTHORIZED", "AUTHORIZING",
              "DEAUTHORIZING", "ACTIVE", "FAILED_CONNECTIVITY"});
  store::PageRequest page;
  if (auto token = f.String("NextToken", false, 1, 2048)) page.next_token = *token;
  if (auto limit = f.Int("Limit", false, 1, 100)) page.max_results = static_cast<int>(*limit);
  if (!f.ok()) return call.reply(Outcome{{}, f.error()});
  Json connections = Json::array();
  std::string next_token;
  // ACTIVE and FAILED_CONNECTIVITY are states of private-API connections,
  // which stepd does not have: nothing matches them.
  if (!state || store::ParseConnectionState(*state)) {
    if (state) filter.state = store::ParseConnectionState(*state);
    auto listed = context.store->ListConnections(filter, page);
    if (listed.status().code() == StatusCode::kInvalidArgument) {
      return call.reply(Outcome::Fail(ErrorType::kValidationException,
                                      "Invalid NextToken: it was not issued by this listing"));
    }
    if (!listed.ok()) return call.reply(Failure(context, listed.status(), call.operation, ""));
    for (const ConnectionRecord& c : listed->items) {
      Json item = {{"ConnectionArn", c.arn},
                   {"Name", c.name},
                   {"ConnectionState", store::ConnectionStateName(c.state)}};
      if (!c.state_reason.empty()) item["StateReason"] = c.state_reason;
      item["AuthorizationType"] = store::ConnectionAuthorizationTypeName(c.authorization_type);
      item["CreationTime"] = Timestamp(c.created_at_ms);
      item["LastModifiedTime"] = Timestamp(c.updated_at_ms);
      if (c.authorized_at_ms) item["LastAuthorizedTime"] = Timestamp(*c.authorized_at_ms);
      connections.push_back(std::move(item));
    }
    next_token = listed->next_token;
  }
  Json answer = {{"Connections", std::move(connections)}};
  if (!next_token.empty()) answer["NextToken"] = next_token;
  call.reply(Outcome::Ok(answer));
}

}  // namespace stepd::api::aws
