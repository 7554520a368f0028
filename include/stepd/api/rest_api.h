#pragma once
// RestApi: the REST API for operators under /v1, for scripts and tools that
// speak plain HTTP and JSON rather than AWS's RPC protocol. It runs the same
// operations as the AWS JSON API (one service layer: permissions, audit rows
// and behaviour are the AWS operations'), and adds what operators need
// beyond AWS: finding and counting executions across state machines by
// time, name prefix and error; stopping and redriving them in bulk;
// restarting an ended execution from a top-level state; pending tasks; the
// audit log.
//
// Resources (the OpenAPI 3 document at GET /v1/openapi.json is the
// reference; a test checks every route and answer against it):
//   /v1/state-machines[/{name}[/versions[/{n}]|/aliases[/{alias}]|/executions]]
//   /v1/executions[/{id}[/history|/definition|/stop|/redrive|/restart]]
//   /v1/executions:counts                              (by status, by filter)
//   /v1/executions:stop, /v1/executions:redrive        (bulk, by filter)
//   /v1/activities[/{name}[/tasks]], /v1/tasks, /v1/connections[/{name}]
//   /v1/audit, /v1/audit/verify
//   /v1/me                          (the caller, its roles and permissions)
// An execution's {id} is its ARN (URL-encoded) or its short id
// "<machine>:<name>" (for an EXPRESS execution "<machine>:<name>:<uuid>").
//
// JSON in and out; names are snake_case; times are RFC 3339 UTC strings
// with milliseconds ("2026-12-02T05:18:23.120Z"); payloads (input, output)
// are JSON values, not strings. Lists page with ?limit (1..1000, default
// 100) and ?cursor, answering "next_cursor" while more remain. An unknown
// query parameter or body member is refused, naming it.
//
// Errors are RFC 9457 problem details (application/problem+json):
// {"type": "urn:stepd:problem:<kind>", "title", "status", "detail",
//  "instance": <path>, "code": <the AWS exception or stepd's name>,
//  "request_id"}. Statuses per CONTRACTS.md: 400 bad input, 401 (with
// WWW-Authenticate: Bearer) no or bad credential, 403 not allowed, 404
// unknown resource, 409 a conflict with its state (already exists, not
// redrivable, running), 503 with Retry-After when overloaded or not ready.
//
// Life cycle and threads as AwsJsonApi: routes before the server starts,
// 503 until Attach(), handlers on the API's own pool, never on I/O threads.

#include <memory>
#include <string>

#include "stepd/api/auth.h"
#include "stepd/api/aws_json.h"
#include "stepd/api/options.h"
#include "stepd/http/router.h"

namespace spdlog {
class logger;
}

namespace stepd::api {

class RestApi {
 public:
  // `authenticator` must outlive the API.
  RestApi(const ApiOptions& options, const Authenticator* authenticator,
          std::shared_ptr<spdlog::logger> logger);
  ~RestApi();  // Stop()
  RestApi(const RestApi&) = delete;
  RestApi& operator=(const RestApi&) = delete;

  // Every /v1 route of the REST API. Call before the router is handed to
  // the server.
  void AddRoutes(http::Router& router);
  // Makes the resources available (the same backend as AwsJsonApi's).
  void Attach(const AwsBackend& backend);
  // Lets the requests in progress finish and stops the pool; later
  // requests get 503. Call after the HTTP server stopped taking requests.
  void Stop();

  // The OpenAPI 3 document served at GET /v1/openapi.json (JSON text).
  static const std::string& OpenApiDocument();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace stepd::api
