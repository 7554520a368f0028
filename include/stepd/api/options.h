#pragma once
// Options of the api layer: the AWS JSON API's identity (region, account),
// the threads its blocking work runs on, and authentication.

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace stepd::api {

// What a principal may do, each a set of permissions (RoleGrants):
//   viewer    read
//   trigger   start                      (start executions, nothing else)
//   operator  read, start, operate       (stop, redrive, answer tasks)
//   admin     read, start, operate, manage
enum class Role {
  kViewer,
  kTrigger,
  kOperator,
  kAdmin,
};
// "viewer", "trigger", "operator", "admin".
std::string_view RoleName(Role role);
std::optional<Role> ParseRole(std::string_view name);

enum class Permission {
  kRead,     // Describe*, List*, GetExecutionHistory, Validate*
  kStart,    // StartExecution, StartSyncExecution
  kOperate,  // StopExecution, RedriveExecution, SendTask*, GetActivityTask, UpdateMapRun, TestState
  kManage,   // create, update and delete state machines, versions, aliases,
             // activities, connections; tags
};
// "read", "start", "operate", "manage".
std::string_view PermissionName(Permission permission);
bool RoleGrants(Role role, Permission permission);

// A SigV4 access key (the AWS SDKs' aws_access_key_id/aws_secret_access_key)
// and who signs with it.
struct AccessKey {
  std::string access_key_id;      // 16..128 characters
  std::string secret_access_key;  // a secret: never logged
  // The principal's name in audit rows; empty: "sigv4:<access_key_id>".
  std::string principal;
  // Unset: the role bindings decide (then AuthOptions::default_role).
  std::optional<Role> role;
};

// Gives a role to the principals it matches. A principal matched by several
// bindings holds every role they give; one matched by none (and without a
// role of its own) holds AuthOptions::default_role.
struct RoleBinding {
  enum class Kind {
    kSubject,    // the token's "sub"
    kEmail,      // the token's email claim (OidcOptions::email_claim)
    kGroup,      // one of the token's groups (OidcOptions::groups_claim)
    kClientId,   // the token's "azp", else "client_id"
    kAccessKey,  // a SigV4 access key id
    kPrincipal,  // the principal's id as audit rows name it
    kLooker,     // a Looker hub token's name
  };
  Kind kind = Kind::kSubject;
  // Compared with the principal's value; '*' matches any run of characters
  // and '?' one character ("*@ops.example.com").
  std::string value;
  Role role = Role::kViewer;
  // Names of the state machines the role applies to, with the same wildcards;
  // empty: every state machine, and everything that is not one (activities,
  // connections).
  std::vector<std::string> state_machines;
};
// "subject", "email", "group", "client_id", "access_key", "principal", "looker".
std::string_view BindingKindName(RoleBinding::Kind kind);
std::optional<RoleBinding::Kind> ParseBindingKind(std::string_view name);

// True when `text` matches `pattern` whose '*' matches any run of
// characters (none included) and '?' any one character.
bool WildcardMatch(std::string_view pattern, std::string_view text);

// OpenID Connect bearer tokens (JWTs) from one issuer.
struct OidcOptions {
  // The exact "iss" of accepted tokens. Empty: OIDC is off.
  std::string issuer;
  // Accepted "aud" values; a token must name one. Required with an issuer.
  std::vector<std::string> audiences;
  // Where the signing keys come from: a JWKS file, a JWKS URL, or (both
  // empty) the issuer's discovery document.
  std::string jwks_file;
  std::string jwks_uri;
  // Allowed "alg" values: RS256/384/512, PS256/384/512, ES256/384, EdDSA.
  // Empty: all of them. "none" and HMAC are never accepted.
  std::vector<std::string> algorithms;
  std::chrono::seconds clock_skew{60};
  // Empty: "Authorization: Bearer <JWT>". Else the header that carries the
  // JWT itself, as identity-aware proxies send it (X-Goog-IAP-JWT-Assertion);
  // the Authorization header is then still accepted too.
  std::string header;
  // Where the groups and the email are in the claims: a member name, or a
  // dotted path ("realm_access.roles").
  std::string groups_claim = "groups";
  std::string email_claim = "email";
  // Claims a token must carry besides "exp" (and "iss", "aud").
  std::vector<std::string> required_claims = {"sub"};
  std::chrono::seconds jwks_refresh_interval{3600};
  // A token naming a key the set lacks refreshes it at most this often.
  std::chrono::seconds unknown_kid_min_interval{30};
  size_t max_token_bytes = 16 * 1024;

  bool configured() const { return !issuer.empty(); }
};

// A Looker Action Hub token: Looker sends it on every hub request as
// `Authorization: Token token="<token>"` (the admin types it in Admin ->
// Actions). Accepted on the Looker hub only.
struct LookerToken {
  // The principal is "looker:<name>"; bindings of kind `looker` match
  // `name`. 1-64 letters, digits, '-', '_' and '.'.
  std::string name;
  // A secret, at least 16 characters: never logged or printed.
  std::string token;
  // Unset: the role bindings decide (then AuthOptions::default_role).
  std::optional<Role> role;
};

struct AuthOptions {
  // SigV4 keys accepted on the AWS API.
  std::vector<AccessKey> access_keys;
  // Tokens accepted on the Looker hub (several at once, for rotation).
  std::vector<LookerToken> looker_tokens;
  OidcOptions oidc;
  std::vector<RoleBinding> bindings;
  // The role of an authenticated principal with no role of its own.
  // Default viewer (CONTRACTS.md).
  Role default_role = Role::kViewer;
  // How far a signature's X-Amz-Date may be from now. Default 5 minutes, as AWS.
  std::chrono::seconds sigv4_max_skew{300};

  // Some authentication is configured: every request must carry a
  // credential. Otherwise local mode (loopback only, every caller is admin,
  // any credential or none is accepted).
  bool configured() const {
    return !access_keys.empty() || oidc.configured() || !looker_tokens.empty();
  }
};

struct ApiOptions {
  // Region and account of the ARNs stepd makes
  // (arn:aws:states:REGION:ACCOUNT:stateMachine:NAME). Defaults as AWS's
  // local emulators: us-east-1, 123456789012.
  std::string region = "us-east-1";
  std::string account_id = "123456789012";
  // Threads for API work that reads or writes the database; a request that
  // finds `queue_capacity` others waiting is answered ThrottlingException.
  // 0 (the default): one per hardware thread, at least 2.
  int threads = 0;
  size_t queue_capacity = 10000;
};

// GET /metrics (metrics_endpoint.h).
struct MetricsOptions {
  // Serve /metrics without a credential even when authentication is
  // configured (for a scraper on a trusted network). Default false: a
  // credential with the read permission on everything is needed (local
  // mode needs none).
  bool open = false;
};

// The web console at /console/ (console.h): one page that calls the REST
// API with the signed-in user's credential, so the user's roles apply to
// everything it does.
struct ConsoleOptions {
  // Serve the console. Default true; false: /console/ answers 404.
  bool enabled = true;
  // The console's OAuth client at the OIDC issuer (AuthOptions::oidc): a
  // public client (no secret) using the authorization code flow with PKCE,
  // whose redirect URI is "<stepd's origin>/console/". Empty: with
  // authentication on, the user pastes a bearer token instead of signing in.
  std::string oidc_client_id;
  // Scopes the console asks for. Default "openid profile email".
  std::string oidc_scopes = "openid profile email";
  // Sent as `audience` and `resource` in the authorization request, for
  // issuers that mint access tokens per API (Auth0, Okta). Default empty.
  std::string oidc_audience;
  // The token sent to the API as the bearer: "id_token" (its "aud" is
  // oidc_client_id, which AuthOptions::oidc::audiences must then hold) or
  // "access_token" (a JWT the issuer makes for oidc_audience). Default
  // "id_token".
  std::string oidc_token = "id_token";
  // Origins the page may call besides stepd and the issuer (the CSP's
  // connect-src), e.g. a token endpoint on another host than the issuer:
  // "https://oauth2.example.com". Default none.
  std::vector<std::string> connect_origins;
};

// --- Looker Action Hub -------------------------------------------------------
//
// The actions stepd offers Looker: each starts one state machine. Field names
// and defaults follow Looker's action definition (see the README's "Looker"
// section and ../shared/research/looker-action-hub.md).

// An admin setting of an action (Looker stores it, encrypted when sensitive,
// and sends it back in every request's `data`).
struct LookerParam {
  std::string name;  // 1-64 letters, digits, '_' and '-'
  std::string label;
  std::string description;
  bool required = false;
  // Sensitive values never reach the execution input in clear (they are
  // sealed under the secrets key). Default true, as Looker's.
  bool sensitive = true;
  // The value comes from this Looker user attribute.
  std::string user_attribute_name;
  bool per_user = false;
};

struct LookerFormOption {
  std::string name;
  std::string label;
};

// A field of the form Looker shows before a delivery; answers arrive as
// strings in `form_params`.
struct LookerFormField {
  std::string name;  // 1-64 letters, digits, '_' and '-'
  std::string label;
  std::string description;
  // "string", "textarea", "select" (with options) or "message" (read-only
  // `value`). Default "string".
  std::string type = "string";
  std::string default_value;
  bool required = false;
  bool interactive = false;
  std::vector<LookerFormOption> options;
  std::string value;
};

enum class LookerMode {
  kAsync,  // answer once the execution is started
  kWait,   // wait for its end (up to wait_timeout), keeping the request alive
};
// "async", "wait".
std::string_view LookerModeName(LookerMode mode);

struct LookerAction {
  std::string name;  // 1-64 letters, digits, '_' and '-'; unique
  std::string label;
  std::string description;
  // An RFC 2397 data URI ("data:image/svg+xml;base64,..."), or empty.
  std::string icon_data_uri;
  // "cell", "query", "dashboard". Default {"query"}.
  std::vector<std::string> supported_action_types = {"query"};
  // Empty: not sent, Looker offers every one.
  std::vector<std::string> supported_formats;
  std::vector<std::string> supported_formattings;
  std::vector<std::string> supported_visualization_formattings;
  // "push" (data in the request) and/or "url" (a one-time download_url that
  // stepd fetches). Default {"push"}.
  std::vector<std::string> supported_download_settings = {"push"};
  std::vector<LookerParam> params;
  // Empty: the action has no form.
  std::vector<LookerFormField> form;
  // Looker's tag matching, as JSON text of an array: [{"tag": "email"}].
  std::string required_fields_json = "[]";
  // The state machine to start: a name or an ARN.
  std::string state_machine;
  // A version number or an alias name to start instead of the current
  // revision; empty: the current revision.
  std::string qualifier;
  LookerMode mode = LookerMode::kAsync;
  // kWait: how long the answer waits for the execution's end before it
  // reports that it is still running. Default 5 minutes.
  std::chrono::seconds wait_timeout{300};
};

struct LookerOptions {
  // Empty: the hub is off (its routes answer 404 with the hub's error shape).
  std::vector<LookerAction> actions;
  // The hub's public base URL, as Looker reaches it ("https://stepd.example.com"):
  // action URLs are "<public_url>/looker/actions/<name>/execute". Empty: taken
  // from each request's Host header (and scheme).
  std::string public_url;
  // The hub's label in Looker's list.
  std::string label = "stepd";
  // Largest attachment accepted (decoded), pushed or downloaded. Default 250 MiB.
  uint64_t max_attachment_bytes = 250ull * 1024 * 1024;
  // A re-delivery (same instance, webhook id and action) within this window
  // returns the first delivery's execution. Default 7 days.
  std::chrono::seconds dedup_window{7 * 24 * 3600};
  // How often a waiting answer sends "\n" so that proxies keep it open.
  // Default 30 s.
  std::chrono::seconds keepalive_interval{30};
  // A download_url fetch must finish within this. Default 13 minutes.
  std::chrono::seconds download_timeout{13 * 60};
  // Where artifacts are kept. Empty: "artifacts" beside the database file.
  std::string artifact_dir;
  // Artifacts are deleted this long after they were stored. Default 7 days.
  std::chrono::seconds artifact_retention{7 * 24 * 3600};
  // How workflows reach stepd's API to read artifacts ("http://127.0.0.1:8080").
  // Empty: http:// and the listen address.
  std::string artifact_base_url;
  // Behind an identity-aware proxy: a hub request must also carry a valid
  // OIDC token in auth.oidc.header (the proxy's assertion). Default false.
  bool require_proxy_assertion = false;
  // Several nodes on one database: this node's id (StoreOptions::node_id,
  // given by the server). Empty (the default): one node. See LookerHub
  // (looker_hub.h) for what changes.
  std::string node_id;
  // Several nodes: a re-delivery whose first delivery has no execution yet
  // and is not being handled by this process starts it again (takes over)
  // only once the first was received this long ago; before, it is answered
  // 503 with Retry-After. Must be longer than a delivery can take from its
  // record to its start (a download: download_timeout). 0 (the default):
  // download_timeout + 2 minutes (15 minutes with the defaults).
  std::chrono::seconds takeover_after{0};

  bool enabled() const { return !actions.empty(); }
};

}  // namespace stepd::api
