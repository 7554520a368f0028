#pragma once
// LambdaTaskExecutor: Task states that call AWS Lambda functions, run
// against local HTTP functions named in the configuration ("functions":
// name -> URL), so that definitions written for AWS run unchanged.
//
// Two Resource forms, as on AWS:
//   arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]
//       The effective input is the payload; the task's result is the
//       function's result.
//   arn:aws:states:::lambda:invoke  (and lambda:invoke.waitForTaskToken,
//       which the runtime wraps: the function is invoked the same way)
//       Parameters (the Task's effective Parameters or Arguments):
//         FunctionName   required: NAME, NAME:QUALIFIER, a full ARN
//                        (arn:aws:lambda:REGION:ACCOUNT:function:NAME[:Q])
//                        or a partial one (ACCOUNT:function:NAME[:Q])
//         Payload        any JSON, sent as JSON text; a string is sent as
//                        it is (it must then be JSON text, as Lambda wants)
//         InvocationType RequestResponse (default), Event (the function
//                        accepts the event and answers at once) or DryRun
//                        (the function is not called)
//         Qualifier      version or alias; may not contradict the one in
//                        FunctionName
//         ClientContext  base64 JSON, passed on as X-Amz-Client-Context
//         LogType        None or Tail (the function's X-Amz-Log-Result
//                        header becomes LogResult)
//       Another field is refused (States.Runtime naming it). The result is
//       shaped as AWS shapes it:
//         {"ExecutedVersion": "$LATEST", "Payload": <the function's result>,
//          "SdkHttpMetadata": {"AllHttpHeaders": {name: [value]},
//                              "HttpHeaders": {name: value},
//                              "HttpStatusCode": 200},
//          "SdkResponseMetadata": {"RequestId": <request id>},
//          "StatusCode": 200}
//       (an Event answers StatusCode 202 and Payload "", a DryRun 204;
//       neither has ExecutedVersion). The headers are those Lambda's API
//       answers with (Content-Type, Content-Length, Date,
//       X-Amz-Executed-Version, x-amzn-RequestId, ...), not the local
//       function's.
// Functions are found by NAME alone: the region and account of an ARN are
// not compared with stepd's (definitions keep the ARNs of the account they
// were written for).
//
// The function protocol is Lambda's Invoke API on the wire (what an emulator
// such as `sam local start-lambda` serves; untested with one):
//   POST <url>[?Qualifier=Q]  body: the payload
//     Content-Type: application/json
//     X-Amz-Invocation-Type: RequestResponse | Event
//     X-Amz-Client-Context: <ClientContext>           (when given)
//     X-Amz-Log-Type: Tail                            (when asked)
//     Lambda-Runtime-Aws-Request-Id: <request id>     (new on each call)
//     Lambda-Runtime-Invoked-Function-Arn: arn:aws:lambda:...:function:NAME[:Q]
//     Lambda-Runtime-Deadline-Ms: <Unix ms when stepd stops waiting>
//     X-Stepd-Idempotency-Token: <TaskCall::idempotency_token>: the same on
//                                every delivery of one task attempt
//   The function answers 2xx with its JSON result as the body (not JSON:
//   the result is the body as a string; empty: null), optionally
//   X-Amz-Executed-Version and X-Amz-Log-Result. It reports an error as a
//   Lambda runtime does: a 2xx answer with X-Amz-Function-Error: Unhandled
//   (or Handled) and the body {"errorType": "...", "errorMessage": "...",
//   "trace" or "stackTrace": [...]}.
//
// Errors, named as AWS names them so that Retry and Catch written for AWS
// behave the same:
//   <errorType>                    the function reported an error; the
//                                  cause is the error body as it came
//   Lambda.Unknown                 the function reported an error without
//                                  an errorType, or ran past its timeout
//                                  (cause "The cause could not be
//                                  determined because Lambda did not return
//                                  an error type. Returned payload: ...",
//                                  for a timeout {"errorMessage": "<time>
//                                  <request id> Task timed out after N.NN
//                                  seconds"})
//   Lambda.TooManyRequestsException  the endpoint answered 429
//   Lambda.ServiceException        the endpoint answered 5xx
//   Lambda.<Code>                  the endpoint answered non-2xx naming an
//                                  error code as Lambda's API does
//                                  (x-amzn-ErrorType, or "__type"/"Type"
//                                  in a JSON body)
//   Lambda.AWSLambdaException      any other non-2xx answer
//   Lambda.SdkClientException      the endpoint could not be reached
//                                  (connecting, TLS, the connection broke)
//   Lambda.InvalidRequestContentException  a string Payload that is not JSON
//   Lambda.InvalidParameterValueException  Qualifier contradicts the
//                                  FunctionName's
//   States.TaskFailed              the function is not in the configuration
//                                  (the cause names it and the option)
//   States.DataLimitExceeded       the answer is over the client's size limit
//   States.Runtime                 malformed Parameters, an unsupported
//                                  Resource (lambda:invoke.sync, ...)
// Service errors' causes read as AWS's: "<message> (Service: AWSLambda;
// Status Code: N; Error Code: <Code>; Request ID: <id>; Proxy: null)".
// TimeoutSeconds and HeartbeatSeconds are the runtime's (States.Timeout);
// when the execution stops waiting, Cancel aborts the request.
//
// The configured URLs are the operator's, so requests to them skip the
// outbound policy (ClientRequest::operator_configured_url); TLS, the CA
// file and the size limit apply.
//
// Thread-safety: Invoke and Cancel may be called from any thread. `done`
// runs on the client's I/O threads (or, for a call answered at once, on the
// caller's).

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

#include "stepd/base/clock.h"
#include "stepd/http/async_client.h"
#include "stepd/runtime/outbound_calls.h"
#include "stepd/runtime/task_executor.h"

namespace stepd::runtime {

inline constexpr std::string_view kLambdaInvokeResource = "arn:aws:states:::lambda:invoke";
inline constexpr std::string_view kLambdaFunctionArnPrefix = "arn:aws:lambda:";

// Where one function runs.
struct LambdaFunction {
  // The http:// or https:// URL invocations are POSTed to.
  std::string url;
  // How long one invocation may run, like a Lambda function's timeout
  // (beyond it: Lambda.Unknown, "Task timed out"). Zero: the default of
  // LambdaTaskOptions.
  std::chrono::milliseconds timeout{0};
};

// Function name -> where it runs.
using LambdaFunctions = std::map<std::string, LambdaFunction, std::less<>>;

struct LambdaTaskOptions {
  LambdaFunctions functions;
  // The timeout of a function without its own. Default 60 s.
  std::chrono::milliseconds default_timeout = std::chrono::seconds(60);
  // Region and account of the function ARNs stepd makes from bare names
  // (Lambda-Runtime-Invoked-Function-Arn, causes).
  std::string region = "us-east-1";
  std::string account_id = "123456789012";
};

// A Lambda function name: 1 to 64 letters, digits, hyphens and underscores.
bool IsLambdaFunctionName(std::string_view name);
// An http:// or https:// URL with a host, and neither user information nor
// a fragment.
bool IsLambdaFunctionUrl(std::string_view url);

class LambdaTaskExecutor final : public TaskExecutor {
 public:
  // `client` must outlive the executor, and be stopped (AsyncClient::Stop)
  // before the executor is destroyed: its callbacks call into the executor.
  // `clock` (for Date headers and deadlines) must outlive it too.
  LambdaTaskExecutor(http::AsyncClient* client, LambdaTaskOptions options, const Clock* clock);

  void Invoke(const TaskCall& call, TaskDone done) override;
  // Aborts the call's request; its `done` is then never called.
  void Cancel(const TaskCall& call) override;

  // Calls started and not yet answered or cancelled.
  size_t in_flight() const;

 private:
  struct Call;

  // The task's outcome from the endpoint's answer, or from why there was none.
  asl::AslResult<Json> Outcome(const Call& call, const http::ClientResponse& response) const;
  asl::AslError Failure(const Call& call, const Status& status) const;

  const LambdaTaskOptions options_;
  const Clock* const clock_;
  OutboundCalls calls_;
};

}  // namespace stepd::runtime
