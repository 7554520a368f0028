#pragma once
// StoredConnections: the ConnectionResolver of `stepd serve`, over the
// connections the Store keeps (created through EventBridge's API,
// api/events_connections.cc).
//
// A connection's parameters document is its AuthParameters object as
// EventBridge's CreateConnection takes it, secret values included:
//   {"BasicAuthParameters": {"Username", "Password"}}
//   {"ApiKeyAuthParameters": {"ApiKeyName", "ApiKeyValue"}}
//   {"OAuthParameters": {"ClientParameters": {"ClientID", "ClientSecret"},
//                        "AuthorizationEndpoint", "HttpMethod",
//                        "OAuthHttpParameters": {...}}}
//   plus "InvocationHttpParameters": {"HeaderParameters",
//     "QueryStringParameters", "BodyParameters"}, each a list of
//     {"Key", "Value", "IsValueSecret"}.
// It is stored only sealed (SecretBox, bound to the connection's ARN); the
// Store never sees it in clear, and this class opens it for the one request
// being built.
//
// Authorization, as EventBridge does it:
//   BASIC    Authorization: Basic base64(Username:Password)
//   API_KEY  <ApiKeyName>: <ApiKeyValue>
//   OAUTH_CLIENT_CREDENTIALS  Authorization: Bearer <access token>, the token
//     obtained from AuthorizationEndpoint with HttpMethod: credentials as
//     Authorization: Basic base64(ClientID:ClientSecret), the OAuthHttpParameters'
//     headers and query parameters, its body parameters form-encoded (JSON
//     when a header parameter sets Content-Type: application/json; in the
//     query string for GET), grant_type=client_credentials added unless a
//     parameter names grant_type. A 2xx JSON answer's access_token is cached
//     until its expires_in (seconds) less a margin of 60 s, or half its
//     lifetime when that is shorter; without expires_in, until Invalidate().
//     Resolves that find no fresh token share one fetch.
//
// Connection states: BASIC and API_KEY connections are AUTHORIZED as
// created. An OAuth connection is AUTHORIZING until its first token arrives
// (AUTHORIZED, LastAuthorizedTime set) or the endpoint fails (DEAUTHORIZED,
// with a StateReason). Later, an endpoint that refuses the credentials
// (HTTP 4xx) makes it DEAUTHORIZED; one that cannot be reached (network,
// timeout, HTTP 5xx) leaves it AUTHORIZED and fails only that resolve.
// State changes are written with the revision they were decided on, so a
// change the API made meanwhile (UpdateConnection) is never overwritten.
//
// Secrets: error messages, state reasons, audit rows and log lines name the
// connection, the HTTP status and the OAuth error code, never a parameter
// value or anything the token endpoint answered beyond those.
//
// Thread-safety: every method may be called from any thread.

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "stepd/base/clock.h"
#include "stepd/base/json.h"
#include "stepd/base/secret_box.h"
#include "stepd/base/status_or.h"
#include "stepd/base/thread_pool.h"
#include "stepd/http/async_client.h"
#include "stepd/http/client.h"
#include "stepd/runtime/connections.h"
#include "stepd/store/records.h"
#include "stepd/store/store.h"

namespace spdlog {
class logger;
}

namespace stepd::runtime {

// The sealed form of a connection's parameters document, bound to its ARN.
std::string SealConnectionParameters(const SecretBox& box, std::string_view arn,
                                     const Json& parameters);
// The parameters document of `connection`. FAILED_PRECONDITION when it has
// none (deauthorized) or was sealed under another key; DATA_LOSS when the
// sealed bytes were altered or belong to another connection. The message
// names the connection, never a value.
StatusOr<Json> OpenConnectionParameters(const SecretBox& box,
                                        const store::ConnectionRecord& connection);

// How token endpoints are reached: a seam, so that an asynchronous client can
// replace the blocking one and tests can watch the requests.
class HttpFetcher {
 public:
  using Done = std::function<void(StatusOr<http::ClientResponse>)>;
  virtual ~HttpFetcher() = default;
  // Sends `request`; `done` is called exactly once, on any thread, possibly
  // before Fetch returns.
  virtual void Fetch(http::ClientRequest request, Done done) = 0;
};

// http::Fetch (blocking) on threads of its own. A request that finds
// `queue_capacity` others waiting fails UNAVAILABLE at once.
class BlockingHttpFetcher final : public HttpFetcher {
 public:
  BlockingHttpFetcher(http::ClientOptions options, size_t threads = 2,
                      size_t queue_capacity = 1000);
  ~BlockingHttpFetcher() override;  // finishes the requests queued, then joins
  void Fetch(http::ClientRequest request, Done done) override;

 private:
  const http::ClientOptions options_;
  ThreadPool pool_;
};

// Token requests on the shared asynchronous outbound client (its outbound
// policy applies: a token endpoint at a metadata address is refused): no
// thread of its own, none held while a token endpoint is slow. `client`
// must outlive this object.
class AsyncHttpFetcher final : public HttpFetcher {
 public:
  explicit AsyncHttpFetcher(http::AsyncClient* client) : client_(client) {}
  void Fetch(http::ClientRequest request, Done done) override;

 private:
  http::AsyncClient* client_;
};

class StoredConnections final : public ConnectionResolver {
 public:
  // Every pointer must outlive this object; `logger` must not be null.
  StoredConnections(store::Store* store, const SecretBox* box, Clock* clock, HttpFetcher* fetcher,
                    std::shared_ptr<spdlog::logger> logger);
  // Waits for the token fetches in flight (their callbacks touch this object).
  ~StoredConnections() override;
  StoredConnections(const StoredConnections&) = delete;
  StoredConnections& operator=(const StoredConnections&) = delete;

  // Reads the connection on the calling thread (one indexed read) and
  // answers there, unless an OAuth token must be fetched: `done` is then
  // called on a thread of the fetcher.
  void Resolve(std::string_view connection_arn, ConnectionDone done) override;
  // Forgets the cached token of the connection (also to be called when the
  // connection was updated, deauthorized or deleted).
  void Invalidate(std::string_view connection_arn) override;

  // For an OAuth connection the API left AUTHORIZING: fetches a token now,
  // after which the connection is AUTHORIZED or DEAUTHORIZED. Other
  // connections are left as they are.
  void Authorize(std::string_view connection_arn);
  // At start-up: Authorize() every connection left AUTHORIZING by a process
  // that stopped before its token arrived.
  Status ResumeAuthorizations();
  // Blocks until no token fetch is in flight (tests, shutdown).
  void WaitIdle();

  const SecretBox& secret_box() const { return *box_; }

 private:
  struct Waiter {
    ResolvedConnection resolved;  // all but the Authorization header
    ConnectionDone done;
  };
  // The token for one set of parameters of one connection, or the fetch
  // obtaining it.
  struct TokenSlot {
    std::string access_token;  // empty: none yet
    std::optional<TimePoint> refresh_at;
    bool fetching = false;
    std::vector<Waiter> waiters;
  };
  // A token fetch for `slot_key` ended: caches the token, answers the
  // waiters, records the connection's state.
  void OnToken(const std::string& slot_key, const store::ConnectionRecord& connection,
               const std::vector<std::string>& secrets, StatusOr<http::ClientResponse> answer);
  // Writes the connection's new state at the revision it was read at; a
  // newer write wins silently.
  void RecordState(const store::ConnectionRecord& connection, store::ConnectionState state,
                   const std::string& reason);

  store::Store* const store_;
  const SecretBox* const box_;
  Clock* const clock_;
  HttpFetcher* const fetcher_;
  std::shared_ptr<spdlog::logger> logger_;

  std::mutex mu_;
  std::condition_variable idle_;
  // "<arn>#<hash of its sealed parameters>" -> token: a connection's
  // parameters changed, its token is not reused. Slots of older parameters
  // are dropped when newer ones are resolved.
  std::map<std::string, TokenSlot, std::less<>> tokens_;  // guarded by mu_
  int in_flight_ = 0;                                     // guarded by mu_
};

}  // namespace stepd::runtime
