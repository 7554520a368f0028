#pragma once
// Router: from (method, path template[, header predicate]) to a handler.
//
// Templates are literal segments and {name} segments; a final {name...}
// segment matches the rest of the path (at least one character, slashes
// included). "/v1/executions/{arn}", "/looker/actions/{name}/form",
// "/console/{file...}". Literal segments compare with the percent-decoded
// request segment; {name} values are percent-decoded.
//
// Matching: the routes whose template and predicate match the path and
// headers are candidates; the first added candidate whose method matches wins.
// No candidate: 404. Candidates but no method match: 405 with "Allow" listing
// their methods. So two routes for "POST /" told apart by predicates on
// X-Amz-Target work, and an unknown target is a 404 the api layer can shape by
// adding a predicate-less fallback route last.
//
// Routes are added before the router is shared with a Server; afterwards the
// router is immutable and Match/Dispatch are thread-safe.

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "stepd/http/message.h"
#include "stepd/http/responder.h"

namespace stepd::http {

// Runs on an I/O thread: must not block (no disk or database waits, no sleeps).
// Hand slow work to another thread together with the Responder.
using Handler = std::function<void(const Request& request, Responder responder)>;

// Decides on method-independent facts (headers, path) before the body is read.
using RoutePredicate = std::function<bool(const Request& request)>;

struct RouteOptions {
  // Largest accepted body; larger gets 413. Default 0: HttpOptions'
  // default_body_limit_bytes.
  size_t body_limit_bytes = 0;
  // Write the body to a temporary file (Request::body_file) instead of memory.
  // Chunked and Content-Length bodies alike. Default false.
  bool body_to_file = false;
  // Once the header block is read and this route chosen, the whole request
  // must arrive within this time of its first byte being awaited (the same
  // start as HttpOptions::read_timeout), longer or shorter than the server's:
  // large uploads over slow links. A request that misses it is dropped
  // without an answer. Writes of the answer still use HttpOptions::read_timeout.
  // Default 0: HttpOptions::read_timeout.
  std::chrono::milliseconds read_timeout{0};
  // Extra condition on the request's headers/path (the body is not read yet).
  // Default: none.
  RoutePredicate predicate{};
  // The answer to a request of this route that arrives on a connection over
  // HttpOptions::max_connections (the server reads its header block, answers
  // and closes): the surface's own "overloaded" answer. Default: 503
  // {"message": "too many connections"} with Retry-After: 1.
  std::function<Response(const Request&)> overloaded{};
};

// The predicate "header `name` starts with `prefix`" (names case-insensitive,
// prefix case-sensitive). For POST / with X-Amz-Target "AWSStepFunctions.".
RoutePredicate HeaderHasPrefix(std::string name, std::string prefix);

class Router {
 public:
  struct Route {
    std::string method;
    std::string path_template;
    Handler handler;
    RouteOptions options;
    // Parsed template.
    std::vector<std::string> segments;  // literal text or param name
    std::vector<bool> is_param;
    bool rest = false;  // last segment is {name...}
  };

  struct Match {
    // 200 when `route` is set; otherwise 404 or 405.
    int status = 404;
    const Route* route = nullptr;
    std::vector<std::pair<std::string, std::string>> path_params;
    // For 405: "GET, POST".
    std::string allow;
  };

  // Adds a route. Dies on a malformed template (a programming error):
  // templates start with "/", names are non-empty, "{x...}" only last.
  Router& Add(std::string method, std::string path_template, Handler handler,
              RouteOptions options = {});

  // Finds the route for `request` (method, path, headers; body unused).
  Match Find(const Request& request) const;

  // Finds the route, fills request.path_params and runs its handler; answers
  // 404 or 405 (with Allow) itself. The body limit is not checked here (the
  // server checks it while reading). For tests and in-process dispatch.
  void Dispatch(Request request, Responder responder) const;

  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
};

// The bodies the router and server answer with on their own errors: a short
// JSON {"message": "..."} with Content-Type application/json.
Response ErrorResponse(int status, std::string_view message);

}  // namespace stepd::http
