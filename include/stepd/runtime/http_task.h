#pragma once
// HttpTaskExecutor: Task states whose Resource is
// "arn:aws:states:::http:invoke", AWS's HTTP task, run against the network
// with an http::AsyncClient (so its outbound policy, TLS settings, timeouts
// and size limit apply).
//
// Parameters (the Task's effective Parameters or Arguments), as on AWS:
//   ApiEndpoint      string, required: the http(s) URL (plain http:// only
//                    as the outbound policy allows; AWS allows https only)
//   Method           required: GET, POST, PUT, DELETE, PATCH, OPTIONS, HEAD
//   Authentication | InvocationConfig: {"ConnectionArn": ARN}, the
//                    Connection whose credentials and parameters the
//                    request carries. Optional on stepd (AWS requires one):
//                    without it the request carries none.
//   Headers          object: name -> string, number, boolean, or an array
//                    of them (one field each). Refused (States.Runtime),
//                    as on AWS: A-IM, Accept-Charset, Accept-Datetime,
//                    Accept-Encoding, Authorization, Cache-Control,
//                    Connection, Content-Encoding, Content-MD5, Date,
//                    Expect, Forwarded, From, Host, HTTP2-Settings,
//                    If-Match, If-Modified-Since, If-None-Match, If-Range,
//                    If-Unmodified-Since, Max-Forwards, Origin, Pragma,
//                    Proxy-Authorization, Referer, Server, TE, Trailer,
//                    Transfer-Encoding, Upgrade, Via, Warning, x-forwarded-*,
//                    x-amz-*, x-amzn-*; and Content-Length and Keep-Alive
//                    (stepd manages the connection).
//   QueryParameters  object (arrays repeat the key, objects nest as
//                    key[sub]) or a string appended as it is; added to
//                    ApiEndpoint's own query.
//   RequestBody      any JSON. Sent as JSON ("Content-Type:
//                    application/json; charset=UTF-8" unless Headers set
//                    one); a string is sent as it is ("text/plain;
//                    charset=UTF-8").
//   Transform        {"RequestBodyEncoding": "NONE" | "URL_ENCODED",
//                     "RequestEncodingOptions": {"ArrayFormat": "INDICES" |
//                     "REPEAT" | "COMMAS" | "BRACKETS"}}: URL_ENCODED sends an
//                    object RequestBody as a form (RFC 3986 percent-encoding,
//                    nested objects as key[sub]; arrays a[0]=x&a[1]=y
//                    (INDICES, the default), a=x&a=y, a=x,y, a[]=x&a[]=y),
//                    "Content-Type: application/x-www-form-urlencoded"
//                    unless Headers set one.
// Another field is refused (States.Runtime naming it).
//
// A Connection's parameters are merged as on AWS: its headers and query
// parameters replace the task's of the same name (names compare
// case-insensitively for headers), its body parameters the RequestBody's
// keys (a RequestBody that is not an object cannot take them:
// States.Runtime); its authorization header is always its own. After a 401
// answer the resolver is told (Invalidate) so that the next call, e.g. a
// Retry, fetches a fresh token.
//
// Result (2xx): {"Headers": {lower-case name: [values]}, "ResponseBody":
// the body parsed as JSON when its Content-Type is JSON (application/json,
// */*+json) and it parses, else the body as a string ("" when empty),
// "StatusCode": number, "StatusText": the reason phrase}.
//
// Errors, named as AWS names them so that Retry and Catch written for AWS
// behave the same:
//   States.Http.StatusCode.<code>  any other status; the cause is the
//                                  result object above as JSON text (its
//                                  ResponseBody cut to 16 KiB when the text
//                                  would exceed 32 KiB)
//   States.Http.Socket             connecting, TLS, the connection, or the
//                                  client's timeout (60 s by default, AWS's
//                                  limit); the cause names host:port and
//                                  the reason
//   States.Permissions             stepd's outbound policy refused the host
//   States.DataLimitExceeded       the response is over the size limit
//   States.Runtime                 a malformed Parameters field, a refused
//                                  header, a Resource other than exactly
//                                  arn:aws:states:::http:invoke (AWS runs
//                                  HTTP tasks request-response only), an
//                                  unsupported response (Content-Type
//                                  application/octet-stream, image/*,
//                                  video/*, audio/*, or a body that is not
//                                  UTF-8), or a connection named while no
//                                  Connections store is configured
//   Events.ConnectionResource.ResourceNotFound / InvalidConnectionState /
//   AccessDenied / InternalError  the Connection could not be used
// TimeoutSeconds and HeartbeatSeconds are the runtime's (States.Timeout);
// when the execution stops waiting, Cancel aborts the request.
//
// Causes never contain a Connection's values: they name the host and port
// of the request, never its path, query or headers.
//
// Thread-safety: Invoke and Cancel may be called from any thread. `done`
// runs on the client's I/O threads (or, for a call refused at once, on the
// caller's).

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

#include "stepd/http/async_client.h"
#include "stepd/runtime/connections.h"
#include "stepd/runtime/outbound_calls.h"
#include "stepd/runtime/task_executor.h"

namespace stepd::runtime {

inline constexpr std::string_view kHttpInvokeResource = "arn:aws:states:::http:invoke";

class HttpTaskExecutor final : public TaskExecutor {
 public:
  // `client` must outlive the executor, and be stopped (AsyncClient::Stop)
  // before the executor is destroyed: its callbacks call into the executor.
  // `connections` may be null (no Connections store); otherwise it must
  // outlive the executor and have called every Resolve callback before the
  // executor is destroyed.
  HttpTaskExecutor(http::AsyncClient* client, ConnectionResolver* connections);

  void Invoke(const TaskCall& call, TaskDone done) override;
  // Aborts the call's request (or drops it while its connection resolves);
  // its `done` is then never called.
  void Cancel(const TaskCall& call) override;

  // Calls started and not yet answered or cancelled.
  size_t in_flight() const;

 private:
  struct Call;  // the call's checked parameters
  void Send(const OutboundCalls::Handle& tracked, const std::shared_ptr<const Call>& call,
            const ResolvedConnection* connection);

  ConnectionResolver* const connections_;
  OutboundCalls calls_;
};

}  // namespace stepd::runtime
