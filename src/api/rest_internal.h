#pragma once
// Private to the REST API: one request being answered (Exchange), the
// helpers its handlers share, and the handlers by resource.

#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "aws_internal.h"
#include "service.h"
#include "stepd/http/responder.h"

namespace stepd::api::rest {

// A problem detail (RFC 9457) before it is sent.
struct Problem {
  int status = 400;
  std::string code;  // "ValidationException", "InvalidQueryParameter", ...
  std::string detail;
};
// The problem an AWS operation's error becomes: its HTTP status by kind
// (not found 404, conflicts 409, overload 503, ...), its name as the code.
Problem ProblemOf(const aws::AwsError& error);
Problem BadRequest(std::string code, std::string detail);
// The problem+json answer to `request`: 401 carries `WWW-Authenticate:
// Bearer`, 503 `Retry-After`. For the console's answers too.
http::Response ProblemResponse(const Problem& problem, const http::Request& request);

// One request on a pool thread: who sent it, what it asks, and how to
// answer. Handlers answer exactly once, through Reply/Fail (possibly later,
// from another thread: keep the Exchange in a shared_ptr).
class Exchange : public std::enable_shared_from_this<Exchange> {
 public:
  Exchange(aws::Service* service, http::Request request, Principal principal,
           http::Responder responder)
      : service_(service),
        request_(std::move(request)),
        principal_(std::move(principal)),
        responder_(std::move(responder)) {}

  const http::Request& request() const { return request_; }
  const Principal& principal() const { return principal_; }
  const aws::Context& context() const { return service_->context(); }
  aws::Service& service() const { return *service_; }
  std::string Param(std::string_view name) const { return std::string(request_.PathParam(name)); }

  // --- Reading the request ---------------------------------------------------
  // Each reader answers 400 itself and returns false/nullopt when the
  // request is malformed; the handler then returns.

  // Refuses query parameters other than `allowed` (and repeated ones).
  bool AllowQuery(std::initializer_list<std::string_view> allowed);
  std::optional<std::string> Query(std::string_view name) const;
  // ?limit (1..1000, default 100) and ?cursor as a store page request.
  std::optional<store::PageRequest> Page();
  // A boolean parameter: true/false/1/0; `fallback` when absent.
  std::optional<bool> QueryBool(std::string_view name, bool fallback);
  // An RFC 3339 time (or epoch milliseconds) in milliseconds; unset when
  // absent; nullopt on error (answered).
  std::optional<std::optional<int64_t>> QueryTime(std::string_view name);
  // The body as a JSON object ({} when empty) whose members are all in
  // `allowed`.
  std::optional<Json> Body(std::initializer_list<std::string_view> allowed);
  // Member `name` of `body`, when present, is one of `types` ("string",
  // "object", "boolean", "array", "integer"); answers 400 otherwise.
  bool MemberIs(const Json& body, std::string_view name,
                std::initializer_list<std::string_view> types,
                std::string_view code = "InvalidRequestBody", std::string_view what = "Member");

  // --- Running operations ------------------------------------------------------

  // Runs an operation of the service layer as this request's principal
  // (permission check, audit rows): `then` gets its outcome on a pool
  // thread. `audit_details` join its audit rows.
  void Call(const aws::OperationInfo& op, Json input, std::function<void(aws::Outcome)> then,
            Json audit_details = Json());
  void Call(std::string_view aws_operation, Json input, std::function<void(aws::Outcome)> then);
  // A read operation (Describe*, List*, Get*History), answered at once: its
  // outcome.
  aws::Outcome Read(std::string_view aws_operation, Json input);
  // An operation's body parsed; Fail()s and returns nullopt on its error.
  std::optional<Json> Expect(const aws::Outcome& outcome);

  // --- Answering ------------------------------------------------------------------

  // How an AWS list operation pages: its members and largest page.
  struct AwsPaging {
    const char* items_member;  // "stateMachines"
    const char* limit_member = "maxResults";
    const char* token_member = "nextToken";
    int max_limit = 1000;
  };
  // Answers a page of the AWS list operation run with `input` plus ?limit
  // and ?cursor: {"items": [item(each)], "next_cursor"?}. `item` answers
  // and returns nullopt on an error of its own.
  void ReplyPage(std::string_view aws_operation, Json input, const AwsPaging& paging,
                 const std::function<std::optional<Json>(const Json&)>& item);

  void Reply(int status, const Json& body, std::string_view location = {});
  void ReplyText(int status, std::string content_type, std::string body);
  // `body` is JSON text already (application/json).
  void ReplyJsonText(int status, std::string body);
  void NoContent();
  void Fail(const Problem& problem);
  void Fail(const aws::AwsError& error) { Fail(ProblemOf(error)); }
  http::Stream StartStream(int status, std::string content_type);

 private:
  // A call of `op` as this request's principal, from its address, with its
  // request id; no reply yet.
  aws::Call NewCall(const aws::OperationInfo& op, Json input, Json audit_details) const;
  void Invoke(const aws::OperationInfo& op, aws::Call call);

  aws::Service* service_;
  http::Request request_;
  Principal principal_;
  http::Responder responder_;
};
using ExchangePtr = std::shared_ptr<Exchange>;

// --- Shared formats ------------------------------------------------------------------

// "2026-12-02T05:18:23.120Z".
std::string IsoTime(int64_t ms);
// RFC 3339 ("2026-12-02T05:18:23Z", fractions and offsets allowed) or epoch
// milliseconds; nullopt when neither.
std::optional<int64_t> ParseTime(std::string_view text);
// AWS epoch seconds (a JSON number) as milliseconds.
int64_t MillisOf(const Json& aws_timestamp);
// JSON text as a value; a string holding the text when it is not JSON.
Json JsonValueOf(std::string_view text);
// "%3A"-style encoding of one path segment.
std::string PathSegment(std::string_view text);

// The state machine ARN for {name} (a name, or an ARN as is).
std::string MachineArnFor(const aws::Context& context, std::string_view name_or_arn);
// An execution's short id ("<machine>:<name>"), from its ARN.
std::string ExecutionId(std::string_view arn);
// The execution ARN for {id}: an ARN as is; a short id resolved against the
// store (STANDARD, then EXPRESS); nullopt when no execution has that id.
std::optional<std::string> ExecutionArnFor(const aws::Context& context, std::string_view id);
std::string ExecutionPath(std::string_view arn);

// The REST form of a stored execution without its payloads, as JSON text
// (lists write it straight into their answer).
void AppendExecutionSummary(const store::ExecutionRecord& e, std::string* out);
// The same as a value, with input and output when `with_payloads`.
Json ExecutionJson(const store::ExecutionRecord& e, bool with_payloads);

// --- Handlers, by resource -------------------------------------------------------------

void ListStateMachines(const ExchangePtr& x);
void CreateStateMachine(const ExchangePtr& x);
void GetStateMachine(const ExchangePtr& x);
void PutStateMachine(const ExchangePtr& x);
void DeleteStateMachine(const ExchangePtr& x);
void ListVersions(const ExchangePtr& x);
void PublishVersion(const ExchangePtr& x);
void GetVersion(const ExchangePtr& x);
void DeleteVersion(const ExchangePtr& x);
void ListAliases(const ExchangePtr& x);
void CreateAlias(const ExchangePtr& x);
void GetAlias(const ExchangePtr& x);
void PutAlias(const ExchangePtr& x);
void DeleteAlias(const ExchangePtr& x);
void StartExecution(const ExchangePtr& x);

void ListExecutions(const ExchangePtr& x);
void CountExecutions(const ExchangePtr& x);
void GetExecution(const ExchangePtr& x);
void GetExecutionDefinition(const ExchangePtr& x);
void GetHistory(const ExchangePtr& x);
void StopExecution(const ExchangePtr& x);
void RedriveExecution(const ExchangePtr& x);
void RestartExecution(const ExchangePtr& x);
void BulkStop(const ExchangePtr& x);
void BulkRedrive(const ExchangePtr& x);

void GetMe(const ExchangePtr& x);
void ListActivities(const ExchangePtr& x);
void GetActivity(const ExchangePtr& x);
void ListActivityTasks(const ExchangePtr& x);
void ListTasks(const ExchangePtr& x);
void ListConnections(const ExchangePtr& x);
void GetConnection(const ExchangePtr& x);
void ListAudit(const ExchangePtr& x);
void VerifyAudit(const ExchangePtr& x);

void ListSchedules(const ExchangePtr& x);
void CreateSchedule(const ExchangePtr& x);
void GetSchedule(const ExchangePtr& x);
void PutSchedule(const ExchangePtr& x);
void PatchSchedule(const ExchangePtr& x);
void DeleteSchedule(const ExchangePtr& x);
void FireSchedule(const ExchangePtr& x);
void ListNotificationSinks(const ExchangePtr& x);
void GetNotificationSink(const ExchangePtr& x);
void PutNotificationSink(const ExchangePtr& x);
void DeleteNotificationSink(const ExchangePtr& x);
void ListNotificationRules(const ExchangePtr& x);
void GetNotificationRule(const ExchangePtr& x);
void PutNotificationRule(const ExchangePtr& x);
void DeleteNotificationRule(const ExchangePtr& x);
void ListNotifications(const ExchangePtr& x);
void GetNotification(const ExchangePtr& x);
void RetryNotification(const ExchangePtr& x);

}  // namespace stepd::api::rest
