#pragma once
// LookerHub: stepd as a Looker Action Hub. A Looker admin adds
// "<public url>/looker" under Admin -> Actions; Looker lists the configured
// actions, shows their forms, and delivers data to them (a schedule, or a
// user's "Send"); each delivery starts the action's state machine.
//
// Routes (LookerOptions; protocol notes in ../shared/research/looker-action-hub.md):
//   GET  /looker                          a short status page (no credential)
//   POST /looker                          {"label", "integrations": [action...]}
//   POST /looker/actions/{name}           one action's definition
//   POST /looker/actions/{name}/form      {"fields": [...]} or {"error": "..."}
//   POST /looker/actions/{name}/execute   a delivery: {"looker": {...}}
//   GET  /v1/artifacts/{id}               an artifact's bytes (HEAD too)
//
// Credentials: hub routes take Looker's `Authorization: Token token="..."`
// (Authenticator::AuthenticateLooker) and, with require_proxy_assertion,
// also the proxy's OIDC assertion. Refusals are the reference hub's 403
// {"success": false, "error": "Invalid 'Authorization' header."}; a token
// whose roles do not allow starting the action's state machine gets 403 with
// the reason in "error", and sees only the actions it may start. Artifacts
// take the API's credentials (OIDC, SigV4) and need read permission on the
// state machine whose execution they belong to; errors are problem+json.
//
// A delivery (execute):
//   - The body goes to a file and is read with bounded memory
//     (looker_envelope.h): ids as numbers or strings, nulls anywhere, JSON
//     attachments inline or as a JSON string, base64 with line breaks.
//     Malformed JSON: 400 {"success": false, "error": ...}; over the limits:
//     413. An unknown action or a type the action does not support: the
//     reference hub's 404 {"success": false, "error": ...}.
//   - Missing required settings or form fields: 200 with looker.success
//     false, the reason in looker.message and looker.validation_errors.
//   - Deduplicated: a delivery with the same (X-Looker-Instance,
//     X-Looker-Webhook-Id, action) within dedup_window returns the first
//     one's execution and starts nothing. Every delivery is recorded
//     (store: looker_deliveries) and audited: a start by its ExecutionStarted
//     row (which carries the delivery), anything else by a "LookerDelivery"
//     row (outcome duplicate, refused, denied or error).
//   - A re-delivery whose first delivery has no execution yet: while this
//     process handles the first (reading, downloading, starting it), the
//     duplicate answer above; otherwise the first was abandoned (stepd
//     stopped before starting it) and this one takes over: the first is
//     recorded failed and this one starts, as "<id>-retry". Several nodes
//     (LookerOptions::node_id set): another node may be handling the first,
//     which the store does not tell, so it is taken over only once it was
//     received LookerOptions::takeover_after ago (default download_timeout
//     + 2 minutes); until then the re-delivery starts nothing and is
//     answered 503 {"success": false, "error": "... still being processed
//     ..."} with Retry-After (the seconds left, at most 30), the hub's
//     "come back later", audited as a duplicate with "in_progress": true.
//     A node that stalls longer than takeover_after mid-delivery may see
//     the delivery started twice.
//   - The attachment: JSON and text go into the input when the input stays
//     within AWS's 256 KiB payload limit; binary formats and larger ones
//     become artifacts (artifact_dir, streamed, never whole in memory) that
//     the input names with a URL on /v1/artifacts. A download_url is fetched
//     once into an artifact.
//   - Sensitive params are sealed under the secrets key: they never reach
//     the input, the history or the audit in clear.
//   - mode async: answered once the start is durable. mode wait: 200 is sent
//     at once, then "\n" every keepalive_interval until the execution ends
//     (success, or its error and cause) or wait_timeout passes.
//   The answer: {"looker": {"success", "message", "refresh_query",
//   "validation_errors", "webhookId"?}, "stepd": {"execution_arn",
//   "delivery_id", "duplicate"}}.
//
// Life cycle: AddRoutes before the server starts; requests before Attach are
// answered 503. Stop() after the HTTP server stopped: waiting answers are
// finished ("still running"), the pool drained.

#include <memory>

#include "stepd/api/auth.h"
#include "stepd/api/options.h"
#include "stepd/base/clock.h"
#include "stepd/base/json.h"
#include "stepd/base/secret_box.h"
#include "stepd/http/async_client.h"
#include "stepd/http/router.h"
#include "stepd/runtime/engine.h"
#include "stepd/store/artifact_files.h"
#include "stepd/store/store.h"

namespace spdlog {
class logger;
}

namespace stepd::metrics {
class Registry;
}

namespace stepd::api {

// What the hub works with; every pointer must outlive the hub.
struct LookerBackend {
  store::Store* store = nullptr;
  runtime::Engine* engine = nullptr;
  Clock* clock = nullptr;
  // Seals sensitive params.
  const SecretBox* secrets = nullptr;
  // Fetches download_url deliveries.
  http::AsyncClient* downloads = nullptr;
  // Where artifacts' files live (initialised).
  store::ArtifactFiles* artifacts = nullptr;
  // How workflows reach stepd's API ("http://127.0.0.1:8080"): artifact URLs
  // start with it.
  std::string api_base_url;
};

// The definition of `action` as Looker lists it, with absolute URLs under
// `base_url` ("https://stepd.example.com").
Json LookerActionDefinition(const LookerAction& action, std::string_view base_url);

// The form of `action` ({"fields": [...]}).
Json LookerActionForm(const LookerAction& action);

class LookerHub {
 public:
  // `authenticator` (and `metrics`, when given) must outlive the hub. With
  // `metrics`, deliveries are counted in
  // stepd_looker_deliveries_total{action,outcome}: started, duplicate,
  // denied, refused, error.
  LookerHub(const LookerOptions& options, const ApiOptions& api_options,
            const Authenticator* authenticator, std::shared_ptr<spdlog::logger> logger,
            metrics::Registry* metrics = nullptr);
  ~LookerHub();  // Stop()
  LookerHub(const LookerHub&) = delete;
  LookerHub& operator=(const LookerHub&) = delete;

  void AddRoutes(http::Router& router);
  void Attach(const LookerBackend& backend);
  void Stop();

  // Deletes expired artifacts and delivery records now (a background
  // thread also does, every minute, or every half retention when that is
  // shorter). Returns the number of artifacts deleted.
  size_t SweepExpired();

 private:
  class Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace stepd::api
