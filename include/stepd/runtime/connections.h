#pragma once
// What an HTTP task (arn:aws:states:::http:invoke) needs from a Connection:
// the authorization and invocation parameters to add to its request, looked
// up by the connection's ARN. The HTTP task executor depends on this
// interface only; the Connections store (EventBridge's API, secrets
// encrypted at rest, OAuth client-credentials tokens) implements it.
//
// Secrets: a ResolvedConnection holds secret values in clear, in memory,
// for the one request being built. They must never reach a log line, a
// history event, an audit row, an API answer or an error cause; parameters
// marked is_secret are the ones a caller must take care with, but the
// authorization parameters are always secret.

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "stepd/base/status_or.h"

namespace stepd::runtime {

struct ConnectionParameter {
  std::string key;
  std::string value;
  bool is_secret = false;  // IsValueSecret of an invocation parameter
};

// What a request made with the connection carries, beyond what the task's
// own fields say. For a key both name, the connection's invocation
// parameter wins over the task's own header/query/body field, as AWS
// documents; authorization headers are always the connection's.
struct ResolvedConnection {
  // Authorization first (Authorization: Basic ..., Bearer <token>, or the
  // API key's header), then the invocation HTTP header parameters.
  std::vector<ConnectionParameter> headers;
  std::vector<ConnectionParameter> query_string;
  // Merged into a JSON object body, or added to a form-encoded body.
  std::vector<ConnectionParameter> body;
};

using ConnectionDone = std::function<void(StatusOr<ResolvedConnection>)>;

class ConnectionResolver {
 public:
  virtual ~ConnectionResolver() = default;
  // Resolves `connection_arn`; `done` is called exactly once, on any thread,
  // possibly before Resolve returns. Errors: NOT_FOUND (no such
  // connection), FAILED_PRECONDITION (the connection is not AUTHORIZED, e.g.
  // deauthorized), UNAVAILABLE (its OAuth token endpoint could not be
  // reached or refused the credentials). Messages never contain secrets.
  virtual void Resolve(std::string_view connection_arn, ConnectionDone done) = 0;
  // A request made with the connection was answered 401: an OAuth token may
  // have expired early or been revoked. The next Resolve fetches a new token
  // instead of using a cached one. Default: nothing to forget.
  virtual void Invalidate(std::string_view connection_arn) { (void)connection_arn; }
};

}  // namespace stepd::runtime
