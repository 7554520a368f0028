#include "stepd/api/rest_api.h"

#include <spdlog/spdlog.h>

#include <charconv>
#include <ctime>
#include <future>

#include "rest_internal.h"
#include "stepd/asl/context_object.h"
#include "stepd/base/percent_encoding.h"

namespace stepd::api {
namespace rest {
namespace {

struct ProblemKind {
  int status;
  std::string_view kind;   // the type URI's last part
  std::string_view title;  // the status's reason phrase
};

ProblemKind KindOf(int status) {
  switch (status) {
    case 400:
      return {400, "bad-request", "Bad Request"};
    case 401:
      return {401, "unauthorized", "Unauthorized"};
    case 403:
      return {403, "forbidden", "Forbidden"};
    case 404:
      return {404, "not-found", "Not Found"};
    case 405:
      return {405, "method-not-allowed", "Method Not Allowed"};
    case 409:
      return {409, "conflict", "Conflict"};
    case 503:
      return {503, "unavailable", "Service Unavailable"};
    default:
      return {500, "internal", "Internal Server Error"};
  }
}

constexpr aws::OperationInfo kRestart{"RestartExecution", Permission::kOperate,
                                      aws::RestartExecution};

const aws::OperationInfo* FindAnyOperation(std::string_view name) {
  if (name == kRestart.name) return &kRestart;
  if (const aws::OperationInfo* op = aws::FindOperation(name)) return op;
  return aws::FindEventsOperation(name);
}

}  // namespace

Problem ProblemOf(const aws::AwsError& error) {
  using aws::ErrorType;
  int status = 400;
  switch (error.type) {
    case ErrorType::kExecutionDoesNotExist:
    case ErrorType::kStateMachineDoesNotExist:
    case ErrorType::kActivityDoesNotExist:
    case ErrorType::kResourceNotFound:
    case ErrorType::kResourceNotFoundException:
    case ErrorType::kTaskDoesNotExist:
      status = 404;
      break;
    case ErrorType::kExecutionAlreadyExists:
    case ErrorType::kStateMachineAlreadyExists:
    case ErrorType::kActivityAlreadyExists:
    case ErrorType::kResourceAlreadyExistsException:
    case ErrorType::kConflictException:
    case ErrorType::kConcurrentModificationException:
    case ErrorType::kStateMachineDeleting:
    case ErrorType::kExecutionNotRedrivable:
    case ErrorType::kServiceQuotaExceededException:
    case ErrorType::kLimitExceededException:
    case ErrorType::kTaskTimedOut:
      status = 409;
      break;
    case ErrorType::kAccessDeniedException:
      status = 403;
      break;
    case ErrorType::kUnrecognizedClientException:
    case ErrorType::kInvalidSignatureException:
      status = 401;
      break;
    case ErrorType::kThrottlingException:
    case ErrorType::kServiceUnavailable:
      status = 503;
      break;
    case ErrorType::kInternalException:
    case ErrorType::kInternalFailure:
      status = 500;
      break;
    default:
      status = 400;
  }
  return Problem{status, std::string(aws::ErrorTypeName(error.type)), error.message};
}

Problem BadRequest(std::string code, std::string detail) {
  return Problem{400, std::move(code), std::move(detail)};
}

http::Response ProblemResponse(const Problem& problem, const http::Request& request) {
  const ProblemKind kind = KindOf(problem.status);
  Json body = {{"type", "urn:stepd:problem:" + std::string(kind.kind)},
               {"title", kind.title},
               {"status", kind.status},
               {"detail", problem.detail},
               {"instance", request.path},
               {"code", problem.code},
               {"request_id", request.request_id}};
  http::Response response;
  response.status = kind.status;
  response.headers.Set("Content-Type", "application/problem+json");
  if (kind.status == 401) response.headers.Set("WWW-Authenticate", "Bearer");
  if (kind.status == 503) response.headers.Set("Retry-After", "1");
  response.body = body.dump(-1, ' ', false, Json::error_handler_t::replace);
  return response;
}

// --- Exchange --------------------------------------------------------------------

bool Exchange::AllowQuery(std::initializer_list<std::string_view> allowed) {
  std::vector<std::string_view> seen;
  for (const auto& [key, value] : request_.query) {
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      std::string list;
      for (std::string_view a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
      Fail(BadRequest(
          "InvalidQueryParameter",
          "Unknown query parameter '" + key + "'" +
              (list.empty() ? "; this resource takes none" : "; this resource takes: " + list)));
      return false;
    }
    if (std::find(seen.begin(), seen.end(), key) != seen.end()) {
      Fail(BadRequest("InvalidQueryParameter", "Query parameter '" + key + "' is repeated"));
      return false;
    }
    seen.push_back(key);
  }
  return true;
}

std::optional<std::string> Exchange::Query(std::string_view name) const {
  auto value = request_.QueryParam(name);
  if (!value) return std::nullopt;
  return std::string(*value);
}

std::optional<store::PageRequest> Exchange::Page() {
  store::PageRequest page;
  page.max_results = 100;
  if (auto limit = Query("limit")) {
    int n = 0;
    auto [end, ec] = std::from_chars(limit->data(), limit->data() + limit->size(), n);
    if (ec != std::errc() || end != limit->data() + limit->size() || n < 1 || n > 1000) {
      Fail(BadRequest("InvalidQueryParameter",
                      "limit must be a whole number from 1 to 1000, not '" + *limit + "'"));
      return std::nullopt;
    }
    page.max_results = n;
  }
  if (auto cursor = Query("cursor")) {
    if (cursor->empty() || cursor->size() > 4096) {
      Fail(BadRequest("InvalidQueryParameter", "cursor must be a next_cursor this API gave"));
      return std::nullopt;
    }
    page.next_token = *cursor;
  }
  return page;
}

std::optional<bool> Exchange::QueryBool(std::string_view name, bool fallback) {
  auto value = Query(name);
  if (!value) return fallback;
  if (*value == "true" || *value == "1") return true;
  if (*value == "false" || *value == "0") return false;
  Fail(BadRequest("InvalidQueryParameter",
                  std::string(name) + " must be true or false, not '" + *value + "'"));
  return std::nullopt;
}

std::optional<std::optional<int64_t>> Exchange::QueryTime(std::string_view name) {
  auto value = Query(name);
  if (!value) return std::optional<int64_t>();
  std::optional<int64_t> ms = ParseTime(*value);
  if (!ms) {
    Fail(BadRequest("InvalidQueryParameter",
                    std::string(name) +
                        " must be an RFC 3339 time (2026-12-02T05:18:23Z) or epoch "
                        "milliseconds, not '" +
                        *value + "'"));
    return std::nullopt;
  }
  return std::optional<int64_t>(*ms);
}

std::optional<Json> Exchange::Body(std::initializer_list<std::string_view> allowed) {
  if (request_.body.find_first_not_of(" \t\r\n") == std::string::npos) return Json::object();
  StatusOr<Json> parsed = ParseJson(request_.body);
  if (!parsed.ok()) {
    Fail(BadRequest("InvalidRequestBody", "The request body is not valid JSON: " +
                                              std::string(parsed.status().message())));
    return std::nullopt;
  }
  if (!parsed->is_object()) {
    Fail(BadRequest("InvalidRequestBody", "The request body must be a JSON object"));
    return std::nullopt;
  }
  for (const auto& [key, value] : parsed->items()) {
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      std::string list;
      for (std::string_view a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
      Fail(BadRequest("InvalidRequestBody",
                      "Unknown member '" + key + "'" +
                          (list.empty() ? "; the body takes none" : "; the body takes: " + list)));
      return std::nullopt;
    }
  }
  return std::move(parsed).value();
}

bool Exchange::MemberIs(const Json& body, std::string_view name,
                        std::initializer_list<std::string_view> types, std::string_view code,
                        std::string_view what) {
  auto it = body.find(name);
  if (it == body.end()) return true;
  std::string expected;
  for (std::string_view type : types) {
    if ((type == "string" && it->is_string()) || (type == "object" && it->is_object()) ||
        (type == "boolean" && it->is_boolean()) || (type == "array" && it->is_array()) ||
        (type == "integer" && it->is_number_integer())) {
      return true;
    }
    expected += (expected.empty() ? "" : " or ") + std::string(type);
  }
  const bool vowel = expected[0] == 'o' || expected[0] == 'a' || expected[0] == 'i';
  Fail(BadRequest(std::string(code), std::string(what) + " '" + std::string(name) + "' must be " +
                                         (vowel ? "an " : "a ") + expected + ", not " +
                                         it->type_name()));
  return false;
}

aws::Call Exchange::NewCall(const aws::OperationInfo& op, Json input, Json audit_details) const {
  aws::Call call;
  call.input = std::move(input);
  call.principal = principal_;
  call.operation = std::string(op.name);
  call.source = request_.remote_address;
  call.request_id = request_.request_id;
  // Audit rows tell which surface a call came through.
  call.audit_details = audit_details.is_object() ? std::move(audit_details) : Json::object();
  call.audit_details["api"] = "rest";
  call.client_gone = [responder = responder_] { return responder.client_gone(); };
  return call;
}

void Exchange::Invoke(const aws::OperationInfo& op, aws::Call call) {
  service_->Invoke(op, std::move(call),
                   aws::FindEventsOperation(op.name) == &op ? "events" : "states");
}

void Exchange::Call(const aws::OperationInfo& op, Json input,
                    std::function<void(aws::Outcome)> then, Json audit_details) {
  aws::Call call = NewCall(op, std::move(input), std::move(audit_details));
  aws::Service* service = service_;
  // Continuations run on a pool thread, never on an engine thread.
  call.reply = [service, then = std::move(then)](aws::Outcome outcome) {
    if (service->OnPoolThread()) return then(std::move(outcome));
    auto shared = std::make_shared<aws::Outcome>(std::move(outcome));
    if (!service->Submit([then, shared] { then(std::move(*shared)); })) then(std::move(*shared));
  };
  Invoke(op, std::move(call));
}

void Exchange::Call(std::string_view aws_operation, Json input,
                    std::function<void(aws::Outcome)> then) {
  Call(*FindAnyOperation(aws_operation), std::move(input), std::move(then));
}

aws::Outcome Exchange::Read(std::string_view aws_operation, Json input) {
  const aws::OperationInfo& op = *FindAnyOperation(aws_operation);
  // Reads answer on the calling thread; the promise only guards against
  // one that would not.
  auto promise = std::make_shared<std::promise<aws::Outcome>>();
  std::future<aws::Outcome> answer = promise->get_future();
  aws::Call call = NewCall(op, std::move(input), Json());
  call.reply = [promise](aws::Outcome outcome) { promise->set_value(std::move(outcome)); };
  Invoke(op, std::move(call));
  return answer.get();
}

std::optional<Json> Exchange::Expect(const aws::Outcome& outcome) {
  if (outcome.error) {
    Fail(*outcome.error);
    return std::nullopt;
  }
  StatusOr<Json> parsed = ParseJson(outcome.body);
  if (!parsed.ok()) {
    Fail(Problem{500, "InternalFailure", "an operation answered text that is not JSON"});
    return std::nullopt;
  }
  return std::move(parsed).value();
}

void Exchange::ReplyPage(std::string_view aws_operation, Json input, const AwsPaging& paging,
                         const std::function<std::optional<Json>(const Json&)>& item) {
  std::optional<store::PageRequest> page = Page();
  if (!page) return;
  input[paging.limit_member] = std::min(page->max_results, paging.max_limit);
  if (!page->next_token.empty()) input[paging.token_member] = page->next_token;
  aws::Outcome outcome = Read(aws_operation, std::move(input));
  // A cursor the operation does not know is the caller's mistake, named as
  // the REST API names it whatever the operation calls it.
  if (outcome.error && !page->next_token.empty() &&
      (outcome.error->type == aws::ErrorType::kInvalidToken ||
       outcome.error->type == aws::ErrorType::kValidationException)) {
    return Fail(BadRequest("InvalidQueryParameter", "cursor is not a next_cursor of this list"));
  }
  std::optional<Json> listed = Expect(outcome);
  if (!listed) return;
  Json items = Json::array();
  for (const Json& one : listed->value(paging.items_member, Json::array())) {
    std::optional<Json> shown = item(one);
    if (!shown) return;  // answered
    items.push_back(std::move(*shown));
  }
  Json body = {{"items", std::move(items)}};
  if (listed->contains(paging.token_member)) body["next_cursor"] = (*listed)[paging.token_member];
  Reply(200, body);
}

void Exchange::Reply(int status, const Json& body, std::string_view location) {
  http::Response response;
  response.status = status;
  response.headers.Set("Content-Type", "application/json");
  if (!location.empty()) response.headers.Set("Location", std::string(location));
  AppendJsonText(body, &response.body);
  responder_.Send(std::move(response));
}

void Exchange::ReplyJsonText(int status, std::string body) {
  http::Response response;
  response.status = status;
  response.headers.Set("Content-Type", "application/json");
  response.body = std::move(body);
  responder_.Send(std::move(response));
}

void Exchange::ReplyText(int status, std::string content_type, std::string body) {
  responder_.Send(http::Response::Text(status, std::move(body), std::move(content_type)));
}

void Exchange::NoContent() {
  http::Response response;
  response.status = 204;
  responder_.Send(std::move(response));
}

void Exchange::Fail(const Problem& problem) {
  if (problem.status >= 500 && problem.status != 503) {
    service_->context().log->error("{} {}: {} {}", request_.method, request_.path, problem.code,
                                   problem.detail);
  }
  responder_.Send(ProblemResponse(problem, request_));
}

http::Stream Exchange::StartStream(int status, std::string content_type) {
  http::Headers headers;
  headers.Set("Content-Type", std::move(content_type));
  return responder_.StartStream(status, std::move(headers));
}

// --- Formats ----------------------------------------------------------------------

std::string IsoTime(int64_t ms) {
  return asl::FormatIsoTimestamp(TimePoint(std::chrono::milliseconds(ms)));
}

std::optional<int64_t> ParseTime(std::string_view text) {
  if (text.empty()) return std::nullopt;
  if (text.find_first_not_of("0123456789") == std::string_view::npos) {
    if (text.size() > 15) return std::nullopt;
    int64_t ms = 0;
    std::from_chars(text.data(), text.data() + text.size(), ms);
    return ms;
  }
  // YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)
  auto digits = [&](size_t at, size_t n) -> std::optional<int> {
    if (at + n > text.size()) return std::nullopt;
    int v = 0;
    for (size_t i = at; i < at + n; ++i) {
      if (text[i] < '0' || text[i] > '9') return std::nullopt;
      v = v * 10 + (text[i] - '0');
    }
    return v;
  };
  auto year = digits(0, 4), month = digits(5, 2), day = digits(8, 2), hour = digits(11, 2),
       minute = digits(14, 2), second = digits(17, 2);
  if (!year || !month || !day || !hour || !minute || !second || text.size() < 20 ||
      text[4] != '-' || text[7] != '-' || (text[10] != 'T' && text[10] != 't') || text[13] != ':' ||
      text[16] != ':' || *month < 1 || *month > 12 || *day < 1 || *day > 31 || *hour > 23 ||
      *minute > 59 || *second > 60) {
    return std::nullopt;
  }
  size_t at = 19;
  int millis = 0;
  if (text[at] == '.') {
    size_t start = ++at;
    while (at < text.size() && text[at] >= '0' && text[at] <= '9') {
      if (at - start < 3) millis = millis * 10 + (text[at] - '0');
      ++at;
    }
    if (at == start) return std::nullopt;
    for (size_t n = at - start; n < 3; ++n) millis *= 10;
  }
  int offset_minutes = 0;
  if (at < text.size() && (text[at] == 'Z' || text[at] == 'z')) {
    ++at;
  } else if (at < text.size() && (text[at] == '+' || text[at] == '-')) {
    auto oh = digits(at + 1, 2), om = digits(at + 4, 2);
    if (!oh || !om || at + 6 > text.size() || text[at + 3] != ':' || *oh > 23 || *om > 59) {
      return std::nullopt;
    }
    offset_minutes = (*oh * 60 + *om) * (text[at] == '+' ? 1 : -1);
    at += 6;
  } else {
    return std::nullopt;
  }
  if (at != text.size()) return std::nullopt;
  std::tm tm{};
  tm.tm_year = *year - 1900;
  tm.tm_mon = *month - 1;
  tm.tm_mday = *day;
  tm.tm_hour = *hour;
  tm.tm_min = *minute;
  tm.tm_sec = std::min(*second, 59);
  const int64_t seconds = static_cast<int64_t>(timegm(&tm)) - int64_t{offset_minutes} * 60;
  return seconds * 1000 + millis;
}

int64_t MillisOf(const Json& aws_timestamp) {
  if (!aws_timestamp.is_number()) return 0;
  return static_cast<int64_t>(std::llround(aws_timestamp.get<double>() * 1000));
}

Json JsonValueOf(std::string_view text) {
  StatusOr<Json> parsed = ParseJson(text);
  if (parsed.ok()) return std::move(parsed).value();
  return Json(std::string(text));
}

std::string PathSegment(std::string_view text) { return PercentEncode(text); }

std::string MachineArnFor(const aws::Context& context, std::string_view name_or_arn) {
  if (name_or_arn.rfind("arn:", 0) == 0) return std::string(name_or_arn);
  return aws::StateMachineArn(*context.options, name_or_arn);
}

std::string ExecutionId(std::string_view arn) {
  std::optional<aws::Arn> parsed = aws::ParseArn(arn);
  if (!parsed) return std::string(arn);
  return parsed->resource;
}

std::optional<std::string> ExecutionArnFor(const aws::Context& context, std::string_view id) {
  if (id.rfind("arn:", 0) == 0) return std::string(id);
  if (id.empty()) return std::nullopt;
  const std::string prefix =
      "arn:aws:states:" + context.options->region + ":" + context.options->account_id + ":";
  for (const char* type : {"execution:", "express:"}) {
    std::string arn = prefix + type + std::string(id);
    if (context.store->GetExecution(arn).ok()) return arn;
  }
  return std::nullopt;
}

std::string ExecutionPath(std::string_view arn) {
  return "/v1/executions/" + PathSegment(ExecutionId(arn));
}

namespace {

void AppendKey(std::string_view key, std::string* out) {
  out->push_back(',');
  out->push_back('"');
  out->append(key);
  out->append("\":");
}

void AppendString(std::string_view value, std::string* out) {
  out->push_back('"');
  AppendJsonStringBody(value, out);
  out->push_back('"');
}

}  // namespace

void AppendExecutionSummary(const store::ExecutionRecord& e, std::string* out) {
  std::optional<aws::Arn> machine = aws::ParseArn(e.state_machine_arn);
  const std::string_view machine_name =
      machine ? std::string_view(machine->resource) : std::string_view(e.state_machine_arn);
  const std::string id = ExecutionId(e.arn);
  out->append("{\"id\":");
  AppendString(id, out);
  AppendKey("arn", out);
  AppendString(e.arn, out);
  AppendKey("name", out);
  AppendString(std::string_view(e.name).substr(0, e.name.find(':')), out);
  AppendKey("state_machine", out);
  AppendString(machine_name, out);
  AppendKey("state_machine_arn", out);
  AppendString(e.state_machine_arn, out);
  AppendKey("status", out);
  AppendString(store::ExecutionStatusName(e.status), out);
  AppendKey("started_at", out);
  AppendString(IsoTime(e.start_time_ms), out);
  if (e.state_machine_version > 0) {
    AppendKey("version", out);
    out->append(std::to_string(e.state_machine_version));
  }
  if (!e.state_machine_alias.empty()) {
    AppendKey("alias", out);
    AppendString(e.state_machine_alias, out);
  }
  if (e.stop_time_ms) {
    AppendKey("stopped_at", out);
    AppendString(IsoTime(*e.stop_time_ms), out);
  }
  if (e.error) {
    AppendKey("error", out);
    AppendString(*e.error, out);
  }
  if (e.cause) {
    AppendKey("cause", out);
    AppendString(*e.cause, out);
  }
  AppendKey("redrive_count", out);
  out->append(std::to_string(e.redrive_count));
  if (e.redrive_time_ms) {
    AppendKey("redriven_at", out);
    AppendString(IsoTime(*e.redrive_time_ms), out);
  }
  if (!e.started_by.empty()) {
    AppendKey("started_by", out);
    AppendString(e.started_by, out);
  }
  if (!e.restarted_from.empty()) {
    AppendKey("restarted_from", out);
    Json from = {{"id", ExecutionId(e.restarted_from)}, {"arn", e.restarted_from}};
    Json attributes = aws::JsonObjectOrEmpty(e.attributes_json);
    if (auto it = attributes.find("restartedFromState"); it != attributes.end()) {
      from["from_state"] = *it;
    }
    AppendJsonText(from, out);
  }
  if (!e.started_by_execution_arn.empty()) {
    AppendKey("started_by_execution", out);
    AppendJsonText(
        Json{{"id", ExecutionId(e.started_by_execution_arn)}, {"arn", e.started_by_execution_arn}},
        out);
  }
  const std::string self = ExecutionPath(e.arn);
  out->append(",\"links\":{\"self\":");
  AppendString(self, out);
  out->append(",\"history\":");
  AppendString(self + "/history", out);
  out->append(",\"state_machine\":");
  AppendString("/v1/state-machines/" + PathSegment(machine_name), out);
  out->append("}}");
}

Json ExecutionJson(const store::ExecutionRecord& e, bool with_payloads) {
  std::string text;
  AppendExecutionSummary(e, &text);
  Json j = ParseJson(text).value();  // our own text: always JSON
  if (with_payloads) {
    j["input"] = JsonValueOf(e.input);
    if (e.output) j["output"] = JsonValueOf(*e.output);
  }
  return j;
}

}  // namespace rest

// --- RestApi ----------------------------------------------------------------------------

class RestApi::Impl {
 public:
  Impl(const ApiOptions& options, const Authenticator* authenticator,
       std::shared_ptr<spdlog::logger> logger)
      : authenticator_(authenticator), service_(options, std::move(logger)) {}

  void Attach(const AwsBackend& backend) { service_.Attach(backend); }
  void Stop() { service_.Stop(); }

  http::Handler Route(void (*handler)(const rest::ExchangePtr&)) {
    return [this, handler](const http::Request& request, http::Responder responder) {
      authenticator_->Authenticate(request, [this, handler, responder = std::move(responder)](
                                                const http::Request& req,
                                                Authenticator::Result auth) mutable {
        if (!auth.principal) {
          responder.Send(
              rest::ProblemResponse(rest::Problem{401, "Unauthorized", auth.error->message}, req));
          return;
        }
        if (!service_.attached()) {
          responder.Send(rest::ProblemResponse(
              rest::Problem{503, "ServiceUnavailable",
                            "stepd is starting or stopping; try again shortly"},
              req));
          return;
        }
        auto exchange =
            std::make_shared<rest::Exchange>(&service_, req, std::move(*auth.principal), responder);
        if (!service_.Submit([handler, exchange] { handler(exchange); })) {
          responder.Send(rest::ProblemResponse(
              rest::Problem{503, "ThrottlingException",
                            "Rate exceeded: " + std::to_string(service_.options().queue_capacity) +
                                " requests are waiting; try again later"},
              req));
        }
      });
    };
  }

  http::Handler OpenApi() {
    return [this](const http::Request& request, http::Responder responder) {
      authenticator_->Authenticate(
          request, [responder](const http::Request& req, Authenticator::Result auth) {
            if (!auth.principal) {
              responder.Send(rest::ProblemResponse(
                  rest::Problem{401, "Unauthorized", auth.error->message}, req));
              return;
            }
            http::Response response;
            response.status = 200;
            response.headers.Set("Content-Type", "application/json");
            response.body = RestApi::OpenApiDocument();
            responder.Send(std::move(response));
          });
    };
  }

 private:
  const Authenticator* const authenticator_;
  aws::Service service_;
};

RestApi::RestApi(const ApiOptions& options, const Authenticator* authenticator,
                 std::shared_ptr<spdlog::logger> logger)
    : impl_(std::make_unique<Impl>(options, authenticator, std::move(logger))) {}

RestApi::~RestApi() { Stop(); }

void RestApi::Attach(const AwsBackend& backend) { impl_->Attach(backend); }

void RestApi::Stop() { impl_->Stop(); }

void RestApi::AddRoutes(http::Router& router) {
  Impl* impl = impl_.get();
  http::RouteOptions large;
  large.body_limit_bytes = 4 * 1024 * 1024;  // definitions, inputs
  large.overloaded = [](const http::Request& request) {
    return rest::ProblemResponse(
        rest::Problem{503, "ThrottlingException",
                      "Rate exceeded: stepd has too many connections open; try again later"},
        request);
  };
  struct Entry {
    const char* method;
    const char* path;
    void (*handler)(const rest::ExchangePtr&);
  };
  static constexpr Entry kRoutes[] = {
      {"GET", "/v1/state-machines", rest::ListStateMachines},
      {"POST", "/v1/state-machines", rest::CreateStateMachine},
      {"GET", "/v1/state-machines/{name}", rest::GetStateMachine},
      {"PUT", "/v1/state-machines/{name}", rest::PutStateMachine},
      {"DELETE", "/v1/state-machines/{name}", rest::DeleteStateMachine},
      {"GET", "/v1/state-machines/{name}/versions", rest::ListVersions},
      {"POST", "/v1/state-machines/{name}/versions", rest::PublishVersion},
      {"GET", "/v1/state-machines/{name}/versions/{version}", rest::GetVersion},
      {"DELETE", "/v1/state-machines/{name}/versions/{version}", rest::DeleteVersion},
      {"GET", "/v1/state-machines/{name}/aliases", rest::ListAliases},
      {"POST", "/v1/state-machines/{name}/aliases", rest::CreateAlias},
      {"GET", "/v1/state-machines/{name}/aliases/{alias}", rest::GetAlias},
      {"PUT", "/v1/state-machines/{name}/aliases/{alias}", rest::PutAlias},
      {"DELETE", "/v1/state-machines/{name}/aliases/{alias}", rest::DeleteAlias},
      {"POST", "/v1/state-machines/{name}/executions", rest::StartExecution},
      {"GET", "/v1/executions", rest::ListExecutions},
      {"GET", "/v1/executions:counts", rest::CountExecutions},
      {"POST", "/v1/executions:stop", rest::BulkStop},
      {"POST", "/v1/executions:redrive", rest::BulkRedrive},
      {"GET", "/v1/executions/{id}", rest::GetExecution},
      {"GET", "/v1/executions/{id}/definition", rest::GetExecutionDefinition},
      {"GET", "/v1/executions/{id}/history", rest::GetHistory},
      {"POST", "/v1/executions/{id}/stop", rest::StopExecution},
      {"POST", "/v1/executions/{id}/redrive", rest::RedriveExecution},
      {"POST", "/v1/executions/{id}/restart", rest::RestartExecution},
      {"GET", "/v1/me", rest::GetMe},
      {"GET", "/v1/activities", rest::ListActivities},
      {"GET", "/v1/activities/{name}", rest::GetActivity},
      {"GET", "/v1/activities/{name}/tasks", rest::ListActivityTasks},
      {"GET", "/v1/tasks", rest::ListTasks},
      {"GET", "/v1/connections", rest::ListConnections},
      {"GET", "/v1/connections/{name}", rest::GetConnection},
      {"GET", "/v1/audit", rest::ListAudit},
      {"GET", "/v1/audit/verify", rest::VerifyAudit},
      {"GET", "/v1/schedules", rest::ListSchedules},
      {"POST", "/v1/schedules", rest::CreateSchedule},
      {"GET", "/v1/schedules/{name}", rest::GetSchedule},
      {"PUT", "/v1/schedules/{name}", rest::PutSchedule},
      {"PATCH", "/v1/schedules/{name}", rest::PatchSchedule},
      {"DELETE", "/v1/schedules/{name}", rest::DeleteSchedule},
      {"POST", "/v1/schedules/{name}/fire", rest::FireSchedule},
      {"GET", "/v1/notification-sinks", rest::ListNotificationSinks},
      {"GET", "/v1/notification-sinks/{name}", rest::GetNotificationSink},
      {"PUT", "/v1/notification-sinks/{name}", rest::PutNotificationSink},
      {"DELETE", "/v1/notification-sinks/{name}", rest::DeleteNotificationSink},
      {"GET", "/v1/notification-rules", rest::ListNotificationRules},
      {"GET", "/v1/notification-rules/{name}", rest::GetNotificationRule},
      {"PUT", "/v1/notification-rules/{name}", rest::PutNotificationRule},
      {"DELETE", "/v1/notification-rules/{name}", rest::DeleteNotificationRule},
      {"GET", "/v1/notifications", rest::ListNotifications},
      {"GET", "/v1/notifications/{id}", rest::GetNotification},
      {"POST", "/v1/notifications/{id}/retry", rest::RetryNotification},
  };
  router.Add("GET", "/v1/openapi.json", impl->OpenApi(), large);
  for (const Entry& e : kRoutes) router.Add(e.method, e.path, impl->Route(e.handler), large);
}

}  // namespace stepd::api
