#pragma once
// Console: the web console at /console/, one self-contained page (script
// and style inline; web/build.mjs makes it, the build compiles it in) that
// signs the user in and then calls the REST API (/v1) with the user's bearer
// token, so the user's roles apply to everything the console does.
//
// Routes:
//   GET|HEAD /console     308 to /console/
//   GET|HEAD /console/    the page, with the console's settings in it
//   /console/{anything}   404 problem+json (the page routes by #fragment)
// Disabled (ConsoleOptions::enabled false) or built without the console
// (-DSTEPD_CONSOLE=OFF): /console and /console/ answer 404 problem+json
// saying so.
//
// Sign-in mode, told to the page in its settings:
//   "none"   local mode (no authentication configured): the page is served
//            to anyone and the REST API takes requests without a credential.
//   "oidc"   OIDC is configured and ConsoleOptions::oidc_client_id is set:
//            the page signs in at the issuer (authorization code + PKCE, as
//            a public client, redirect URI "<origin>/console/").
//   "token"  authentication is on otherwise: the user pastes a bearer token.
// With authentication on, GET /console/ needs a credential like the REST
// API: a valid one gets 200 and the page; none or a bad one gets 401 with
// `WWW-Authenticate: Bearer` and, when the request's Accept names text/html
// (a browser opening the console, or coming back from the issuer with
// ?code=&state=), the page itself as the 401's body, so that the browser
// shows it and it signs the user in; otherwise the REST API's 401
// problem+json.
//
// The page's settings, in <script type="application/json" id="stepd-config">:
//   {"version": "<stepd version>",
//    "auth": {"mode": "none"|"token"}
//          | {"mode": "oidc", "issuer", "client_id", "scopes", "audience"?,
//             "token": "id_token"|"access_token"}}
// written with '<', '>' and '&' as \u003c, \u003e and \u0026 so that no
// setting can end the script element.
//
// Headers on the page: Cache-Control no-store, nosniff, no referrer,
// X-Frame-Options DENY, and a Content-Security-Policy allowing only the
// page's own inline script and style (by their SHA-256), images from stepd
// and data: URIs, and connections to stepd, the issuer's origin and
// ConsoleOptions::connect_origins.
//
// Thread-safety: the page and its headers are made once, in the
// constructor; handlers only read them (from I/O threads, never blocking).

#include <string>
#include <string_view>

#include "stepd/api/auth.h"
#include "stepd/api/options.h"
#include "stepd/http/router.h"

namespace stepd::api {

// The console's page as the build made it (web/build): the HTML with the
// placeholder __STEPD_CONSOLE_CONFIG__ once, and the base64 SHA-256 of its
// inline script and of its inline style.
struct ConsolePage {
  std::string_view html;  // empty: stepd was built without the console
  std::string_view script_sha256;
  std::string_view style_sha256;
};

// The page compiled into this binary (generated from web/build's output at
// build time); an empty `html` when built with -DSTEPD_CONSOLE=OFF.
const ConsolePage& EmbeddedConsolePage();

// The placeholder the settings replace.
inline constexpr std::string_view kConsoleConfigPlaceholder = "__STEPD_CONSOLE_CONFIG__";

class Console {
 public:
  enum class Mode { kNone, kOidc, kToken };

  // `authenticator` must outlive the console; its AuthOptions decide the
  // sign-in mode. `page`'s text must outlive it too (EmbeddedConsolePage's
  // does).
  Console(const ConsoleOptions& options, const Authenticator* authenticator,
          const ConsolePage& page = EmbeddedConsolePage());

  // The routes above. Call before the router is handed to the server.
  void AddRoutes(http::Router& router);

  Mode mode() const { return mode_; }
  // Serving the page: enabled and built in.
  bool serving() const { return !page_.empty(); }
  // Why the console is not served ("" when it is).
  const std::string& unavailable_reason() const { return unavailable_reason_; }
  // The settings JSON as written into the page (escaped).
  const std::string& settings_text() const { return settings_text_; }
  // The Content-Security-Policy header sent with the page.
  const std::string& content_security_policy() const { return csp_; }

 private:
  void ServePage(const http::Request& request, const http::Responder& responder) const;
  http::Response PageResponse(int status) const;

  const Authenticator* const authenticator_;
  Mode mode_ = Mode::kNone;
  std::string settings_text_;
  std::string csp_;
  std::string page_;  // with the settings; empty when not serving
  std::string unavailable_reason_;
};

// "none", "oidc", "token".
std::string_view ConsoleModeName(Console::Mode mode);

// The origin of an absolute http(s) URL: "scheme://host[:port]", scheme and
// host lower-cased; "" when `url` is not one.
std::string OriginOf(std::string_view url);

}  // namespace stepd::api
