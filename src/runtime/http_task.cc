#include "stepd/runtime/http_task.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <optional>
#include <vector>

#include "stepd/base/percent_encoding.h"

namespace stepd::runtime {
namespace {

using asl::AslError;
using asl::AslResult;
using asl::StatesError;

enum class ArrayFormat { kIndices, kRepeat, kCommas, kBrackets };

// The Parameters of one call, checked.
struct HttpTaskParameters {
  std::string endpoint;
  std::string method;
  std::string connection_arn;
  std::vector<std::pair<std::string, std::string>> headers;
  Json query;  // null, an object or a string
  std::optional<Json> body;
  bool url_encoded = false;
  ArrayFormat array_format = ArrayFormat::kIndices;
};

// Largest cause of a status error before its ResponseBody is cut (AWS keeps
// causes to 32768 characters).
constexpr size_t kMaxCause = 32 * 1024;
constexpr size_t kCutBody = 16 * 1024;

AslError Runtime(std::string cause) {
  return AslError::Of(StatesError::kRuntime, std::move(cause));
}

std::string Lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool IsTokenChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool IsForbiddenHeader(std::string_view name) {
  static constexpr std::array<std::string_view, 34> kForbidden = {"a-im",
                                                                  "accept-charset",
                                                                  "accept-datetime",
                                                                  "accept-encoding",
                                                                  "authorization",
                                                                  "cache-control",
                                                                  "connection",
                                                                  "content-encoding",
                                                                  "content-md5",
                                                                  "date",
                                                                  "expect",
                                                                  "forwarded",
                                                                  "from",
                                                                  "host",
                                                                  "http2-settings",
                                                                  "if-match",
                                                                  "if-modified-since",
                                                                  "if-none-match",
                                                                  "if-range",
                                                                  "if-unmodified-since",
                                                                  "max-forwards",
                                                                  "origin",
                                                                  "pragma",
                                                                  "proxy-authorization",
                                                                  "referer",
                                                                  "server",
                                                                  "te",
                                                                  "trailer",
                                                                  "transfer-encoding",
                                                                  "upgrade",
                                                                  "via",
                                                                  "warning",
                                                                  "content-length",
                                                                  "keep-alive"};
  const std::string lower = Lower(name);
  if (std::find(kForbidden.begin(), kForbidden.end(), lower) != kForbidden.end()) return true;
  for (std::string_view prefix : {"x-forwarded-", "x-amz-", "x-amzn-"}) {
    if (lower.rfind(prefix, 0) == 0) return true;
  }
  return false;
}

// The text a scalar stands for in a header, query or form.
std::string ScalarText(const Json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_null()) return "";
  return value.dump();
}

bool IsScalar(const Json& value) { return !value.is_object() && !value.is_array(); }

// "key=value" pairs of `value` under `key` (already percent-encoded), each
// with the top-level key it came from (for merging a Connection's keys).
void Flatten(const std::string& top, const std::string& key, const Json& value, ArrayFormat format,
             std::vector<std::pair<std::string, std::string>>* out) {
  if (value.is_object()) {
    for (const auto& [name, item] : value.items()) {
      Flatten(top.empty() ? name : top, key.empty() ? name : key + "[" + name + "]", item, format,
              out);
    }
    return;
  }
  if (!value.is_array()) {
    out->emplace_back(top, PercentEncode(key) + "=" + PercentEncode(ScalarText(value)));
    return;
  }
  if (format == ArrayFormat::kCommas && !value.empty() &&
      std::all_of(value.begin(), value.end(), IsScalar)) {
    std::string joined;
    for (const Json& item : value) {
      if (!joined.empty()) joined += ',';
      joined += PercentEncode(ScalarText(item));
    }
    out->emplace_back(top, PercentEncode(key) + "=" + joined);
    return;
  }
  for (size_t i = 0; i < value.size(); ++i) {
    const Json& item = value[i];
    std::string item_key = key + "[" + std::to_string(i) + "]";
    if (IsScalar(item) && format == ArrayFormat::kRepeat) item_key = key;
    if (IsScalar(item) && format == ArrayFormat::kBrackets) item_key = key + "[]";
    Flatten(top, item_key, item, format, out);
  }
}

std::string Join(const std::vector<std::pair<std::string, std::string>>& pairs) {
  std::string out;
  for (const auto& [top, pair] : pairs) {
    if (!out.empty()) out += '&';
    out += pair;
  }
  return out;
}

const Json* Field(const Json& parameters, std::string_view name) {
  auto it = parameters.find(name);
  return it == parameters.end() ? nullptr : &*it;
}

AslResult<std::string> ConnectionArnOf(const Json& parameters) {
  const Json* authentication = Field(parameters, "Authentication");
  const Json* invocation = Field(parameters, "InvocationConfig");
  if (authentication && invocation) {
    return Runtime(
        "The HTTP task takes its connection from Authentication or InvocationConfig, "
        "not both");
  }
  const Json* config = authentication ? authentication : invocation;
  if (config == nullptr) return std::string();
  const char* name = authentication ? "Authentication" : "InvocationConfig";
  if (!config->is_object() || config->size() != 1 || !config->contains("ConnectionArn") ||
      !(*config)["ConnectionArn"].is_string() ||
      (*config)["ConnectionArn"].get_ref<const std::string&>().empty()) {
    return Runtime(std::string("The HTTP task's ") + name +
                   " must be an object with one field, ConnectionArn, a non-empty string");
  }
  return (*config)["ConnectionArn"].get<std::string>();
}

AslResult<HttpTaskParameters> ParseParameters(const Json& parameters) {
  if (!parameters.is_object()) return Runtime("The HTTP task's parameters must be a JSON object");
  static constexpr std::array<std::string_view, 8> kFields = {
      "ApiEndpoint", "Method",          "Authentication", "InvocationConfig",
      "Headers",     "QueryParameters", "RequestBody",    "Transform"};
  for (const auto& [name, value] : parameters.items()) {
    if (std::find(kFields.begin(), kFields.end(), name) == kFields.end()) {
      return Runtime("The field '" + name + "' is not supported by the HTTP task (" +
                     std::string(kHttpInvokeResource) + ")");
    }
  }
  HttpTaskParameters p;
  const Json* endpoint = Field(parameters, "ApiEndpoint");
  if (endpoint == nullptr || !endpoint->is_string() ||
      endpoint->get_ref<const std::string&>().empty()) {
    return Runtime("The HTTP task's ApiEndpoint is required and must be a non-empty string");
  }
  p.endpoint = endpoint->get<std::string>();
  const std::string_view lower_endpoint = p.endpoint;
  if (Lower(lower_endpoint.substr(0, 8)) != "https://" &&
      Lower(lower_endpoint.substr(0, 7)) != "http://") {
    return Runtime(
        "The HTTP task's ApiEndpoint must be an https:// URL (or http:// where the "
        "outbound policy allows it)");
  }
  const Json* method = Field(parameters, "Method");
  static constexpr std::array<std::string_view, 7> kMethods = {"GET",   "POST",    "PUT", "DELETE",
                                                               "PATCH", "OPTIONS", "HEAD"};
  if (method == nullptr || !method->is_string() ||
      std::find(kMethods.begin(), kMethods.end(), method->get_ref<const std::string&>()) ==
          kMethods.end()) {
    return Runtime(
        "The HTTP task's Method is required and must be one of GET, POST, PUT, "
        "DELETE, PATCH, OPTIONS, HEAD");
  }
  p.method = method->get<std::string>();
  STEPD_ASL_ASSIGN_OR_RETURN(p.connection_arn, ConnectionArnOf(parameters));

  if (const Json* headers = Field(parameters, "Headers")) {
    if (!headers->is_object()) return Runtime("The HTTP task's Headers must be a JSON object");
    for (const auto& [name, value] : headers->items()) {
      if (name.empty() || !std::all_of(name.begin(), name.end(), IsTokenChar)) {
        return Runtime("The header name '" + name + "' is not a valid HTTP field name");
      }
      if (IsForbiddenHeader(name)) {
        return Runtime("The header '" + name + "' is not allowed in an HTTP task");
      }
      std::vector<const Json*> values;
      if (value.is_array()) {
        for (const Json& item : value) values.push_back(&item);
      } else {
        values.push_back(&value);
      }
      for (const Json* v : values) {
        if (!IsScalar(*v) || v->is_null()) {
          return Runtime("The header '" + name +
                         "' must be a string, number or boolean, or an array of them");
        }
        std::string text = ScalarText(*v);
        if (text.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
          return Runtime("The value of the header '" + name + "' contains a line break");
        }
        p.headers.emplace_back(name, std::move(text));
      }
    }
  }
  if (const Json* query = Field(parameters, "QueryParameters")) {
    if (query->is_string()) {
      const std::string& text = query->get_ref<const std::string&>();
      if (std::any_of(text.begin(), text.end(),
                      [](unsigned char c) { return c <= ' ' || c == '#' || c == 0x7f; })) {
        return Runtime(
            "The HTTP task's QueryParameters string must be URL-encoded (no spaces, "
            "control characters or '#')");
      }
    } else if (!query->is_object()) {
      return Runtime("The HTTP task's QueryParameters must be a JSON object or a string");
    }
    p.query = *query;
  }
  if (const Json* body = Field(parameters, "RequestBody")) p.body = *body;
  if (const Json* transform = Field(parameters, "Transform")) {
    if (!transform->is_object()) return Runtime("The HTTP task's Transform must be a JSON object");
    for (const auto& [name, value] : transform->items()) {
      if (name == "RequestBodyEncoding") {
        if (value == "URL_ENCODED") {
          p.url_encoded = true;
        } else if (value != "NONE") {
          return Runtime("Transform.RequestBodyEncoding must be NONE or URL_ENCODED");
        }
      } else if (name == "RequestEncodingOptions") {
        if (!value.is_object() || value.size() > 1 ||
            (value.size() == 1 && !value.contains("ArrayFormat"))) {
          return Runtime(
              "Transform.RequestEncodingOptions must be an object with the one field "
              "ArrayFormat");
        }
        if (value.contains("ArrayFormat")) {
          const Json& format = value["ArrayFormat"];
          if (format == "INDICES") {
            p.array_format = ArrayFormat::kIndices;
          } else if (format == "REPEAT") {
            p.array_format = ArrayFormat::kRepeat;
          } else if (format == "COMMAS") {
            p.array_format = ArrayFormat::kCommas;
          } else if (format == "BRACKETS") {
            p.array_format = ArrayFormat::kBrackets;
          } else {
            return Runtime(
                "Transform.RequestEncodingOptions.ArrayFormat must be INDICES, REPEAT, "
                "COMMAS or BRACKETS");
          }
        }
      } else {
        return Runtime("The field 'Transform." + name + "' is not supported by the HTTP task");
      }
    }
  }
  return p;
}

bool HasKey(const std::vector<ConnectionParameter>& params, std::string_view key,
            bool ignore_case) {
  return std::any_of(params.begin(), params.end(), [&](const ConnectionParameter& p) {
    return ignore_case ? http::EqualsIgnoreCase(p.key, key) : p.key == key;
  });
}

AslResult<http::ClientRequest> BuildRequest(const HttpTaskParameters& p,
                                            const ResolvedConnection* connection) {
  http::ClientRequest request;
  request.method = p.method;

  std::string url = p.endpoint.substr(0, p.endpoint.find('#'));
  std::string query;
  if (p.query.is_string()) {
    query = p.query.get<std::string>();
  } else if (p.query.is_object()) {
    std::vector<std::pair<std::string, std::string>> pairs;
    Flatten("", "", p.query, ArrayFormat::kRepeat, &pairs);
    if (connection) {
      std::erase_if(pairs, [&](const auto& pair) {
        return HasKey(connection->query_string, pair.first, false);
      });
    }
    query = Join(pairs);
  }
  if (connection) {
    for (const ConnectionParameter& param : connection->query_string) {
      if (!query.empty()) query += '&';
      query += PercentEncode(param.key) + "=" + PercentEncode(param.value);
    }
  }
  if (!query.empty()) url += (url.find('?') == std::string::npos ? "?" : "&") + query;
  request.url = std::move(url);

  for (const auto& [name, value] : p.headers) {
    if (connection && HasKey(connection->headers, name, true)) continue;
    request.headers.Add(name, value);
  }
  if (connection) {
    for (const ConnectionParameter& param : connection->headers) {
      request.headers.Add(param.key, param.value);
      request.private_headers.push_back(param.key);
    }
  }

  std::optional<Json> body = p.body;
  if (connection && !connection->body.empty()) {
    if (!body) body = Json::object();
    if (!body->is_object()) {
      return Runtime(
          "The RequestBody is not a JSON object, so the connection's body parameters "
          "cannot be merged into it");
    }
    for (const ConnectionParameter& param : connection->body) (*body)[param.key] = param.value;
  }
  if (body) {
    std::string content_type;
    if (p.url_encoded) {
      if (!body->is_object()) {
        return Runtime(
            "Transform.RequestBodyEncoding URL_ENCODED needs a RequestBody that is a "
            "JSON object");
      }
      std::vector<std::pair<std::string, std::string>> pairs;
      Flatten("", "", *body, p.array_format, &pairs);
      request.body = Join(pairs);
      content_type = "application/x-www-form-urlencoded";
    } else if (body->is_string()) {
      request.body = body->get<std::string>();
      content_type = "text/plain; charset=UTF-8";
    } else {
      AppendJsonText(*body, &request.body);
      content_type = "application/json; charset=UTF-8";
    }
    if (!request.headers.Has("Content-Type")) request.headers.Add("Content-Type", content_type);
  }
  return request;
}

// "application/json" of "Application/JSON; charset=utf-8".
std::string MediaType(const http::Headers& headers) {
  std::string type = Lower(headers.Get("Content-Type").value_or(""));
  type = type.substr(0, type.find(';'));
  while (!type.empty() && std::isspace(static_cast<unsigned char>(type.back()))) type.pop_back();
  size_t start = 0;
  while (start < type.size() && std::isspace(static_cast<unsigned char>(type[start]))) ++start;
  return type.substr(start);
}

// Header values are bytes; JSON strings must be UTF-8.
std::string Utf8Text(std::string text) {
  if (!IsValidUtf8(text)) {
    for (char& c : text) c = static_cast<unsigned char>(c) < 0x80 ? c : '?';
  }
  return text;
}

Json ResultObject(const http::ClientResponse& response, Json body) {
  Json headers = Json::object();
  for (const auto& [name, value] : response.headers.fields()) {
    headers[Lower(Utf8Text(name))].push_back(Utf8Text(value));
  }
  Json result = Json::object();
  result["Headers"] = std::move(headers);
  result["ResponseBody"] = std::move(body);
  result["StatusCode"] = response.status;
  result["StatusText"] = response.reason.empty() ? std::string(http::ReasonPhrase(response.status))
                                                 : Utf8Text(response.reason);
  return result;
}

AslResult<Json> ResultOf(const http::ClientResponse& response) {
  const std::string type = MediaType(response.headers);
  if (type == "application/octet-stream" || type.rfind("image/", 0) == 0 ||
      type.rfind("video/", 0) == 0 || type.rfind("audio/", 0) == 0) {
    return Runtime("The response has Content-Type " + type + ", which HTTP tasks do not support");
  }
  if (!IsValidUtf8(response.body)) {
    return Runtime("The response body is not valid UTF-8 text, which HTTP tasks do not support");
  }
  Json body = response.body;
  const bool json = type == "application/json" ||
                    (type.size() > 5 && type.compare(type.size() - 5, 5, "+json") == 0);
  if (json) {
    if (StatusOr<Json> parsed = ParseJson(response.body); parsed.ok()) body = std::move(*parsed);
  }
  Json result = ResultObject(response, std::move(body));
  if (response.status >= 200 && response.status < 300) return result;

  std::string cause;
  AppendJsonText(result, &cause);
  if (cause.size() > kMaxCause) {
    std::string cut = response.body.substr(0, kCutBody);
    while (!cut.empty() && !IsValidUtf8(cut)) cut.pop_back();
    result["ResponseBody"] = cut + "...";
    cause.clear();
    AppendJsonText(result, &cause);
  }
  return AslError{"States.Http.StatusCode." + std::to_string(response.status), std::move(cause)};
}

AslError ClientFailure(const Status& status) {
  switch (status.code()) {
    case StatusCode::kPermissionDenied:
      return AslError::Of(StatesError::kPermissions, std::string(status.message()));
    case StatusCode::kDeadlineExceeded:
    case StatusCode::kUnavailable:
      return AslError::Of(StatesError::kHttpSocket, std::string(status.message()));
    case StatusCode::kResourceExhausted:
      return AslError::Of(StatesError::kDataLimitExceeded, std::string(status.message()));
    case StatusCode::kInvalidArgument:
      return Runtime("The HTTP task's request is invalid: " + std::string(status.message()));
    default:
      return AslError::Of(StatesError::kTaskFailed, std::string(status.message()));
  }
}

AslError ConnectionFailure(const std::string& arn, const Status& status) {
  std::string name = "InternalError";
  switch (status.code()) {
    case StatusCode::kNotFound:
      name = "ResourceNotFound";
      break;
    case StatusCode::kFailedPrecondition:
      name = "InvalidConnectionState";
      break;
    case StatusCode::kPermissionDenied:
      name = "AccessDenied";
      break;
    default:
      break;
  }
  std::string why(status.message());
  // The store's messages name the connection already.
  std::string cause = why.find(arn) != std::string::npos
                          ? "The connection cannot be used: " + why
                          : "The connection '" + arn + "' cannot be used: " + why;
  return AslError{"Events.ConnectionResource." + name, std::move(cause)};
}

}  // namespace

struct HttpTaskExecutor::Call {
  HttpTaskParameters parameters;
};

HttpTaskExecutor::HttpTaskExecutor(http::AsyncClient* client, ConnectionResolver* connections)
    : connections_(connections), calls_(client) {}

void HttpTaskExecutor::Invoke(const TaskCall& task, TaskDone done) {
  const std::string& resource = task.request.resource;
  if (resource != kHttpInvokeResource) {
    return done(Runtime("The resource '" + resource +
                        "' is not supported: HTTP tasks run "
                        "request-response only (" +
                        std::string(kHttpInvokeResource) + ")"));
  }
  AslResult<HttpTaskParameters> parameters = ParseParameters(task.request.parameters);
  if (!parameters.ok()) return done(std::move(parameters).take_error());
  if (!parameters.value().connection_arn.empty() && connections_ == nullptr) {
    return done(Runtime("The connection '" + parameters.value().connection_arn +
                        "' cannot be used: this stepd has no Connections store"));
  }

  auto call = std::make_shared<const Call>(Call{std::move(parameters).value()});
  OutboundCalls::Handle tracked = calls_.Start(task, std::move(done));
  const std::string& arn = call->parameters.connection_arn;
  if (arn.empty()) return Send(tracked, call, nullptr);
  connections_->Resolve(arn, [this, tracked, call](StatusOr<ResolvedConnection> resolved) {
    if (!resolved.ok()) {
      return calls_.Finish(tracked,
                           ConnectionFailure(call->parameters.connection_arn, resolved.status()));
    }
    Send(tracked, call, &*resolved);
  });
}

void HttpTaskExecutor::Send(const OutboundCalls::Handle& tracked,
                            const std::shared_ptr<const Call>& call,
                            const ResolvedConnection* connection) {
  AslResult<http::ClientRequest> request = BuildRequest(call->parameters, connection);
  if (!request.ok()) return calls_.Finish(tracked, std::move(request).take_error());
  calls_.Fetch(tracked, std::move(request).value(),
               [this, tracked, call](StatusOr<http::ClientResponse> response) {
                 if (!response.ok()) return calls_.Finish(tracked, ClientFailure(response.status()));
                 const std::string& arn = call->parameters.connection_arn;
                 if (response->status == 401 && !arn.empty()) connections_->Invalidate(arn);
                 calls_.Finish(tracked, ResultOf(*response));
               });
}

void HttpTaskExecutor::Cancel(const TaskCall& task) { calls_.Cancel(task); }

size_t HttpTaskExecutor::in_flight() const { return calls_.size(); }

}  // namespace stepd::runtime
