#include "stepd/api/console.h"

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include <cctype>

#include "rest_internal.h"
#include "stepd/base/version.h"

namespace stepd::api {
namespace {

constexpr std::string_view kPagePath = "/console/";

// JSON text that cannot end the <script> element it sits in: '<', '>' and
// '&' only occur inside JSON strings, where \u escapes mean the same.
std::string ScriptSafeJson(const Json& value) {
  std::string text;
  AppendJsonText(value, &text);
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '<':
        out += "\\u003c";
        break;
      case '>':
        out += "\\u003e";
        break;
      case '&':
        out += "\\u0026";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

Json SettingsJson(Console::Mode mode, const ConsoleOptions& options, const AuthOptions& auth) {
  Json settings = {{"mode", ConsoleModeName(mode)}};
  if (mode == Console::Mode::kOidc) {
    settings["issuer"] = auth.oidc.issuer;
    settings["client_id"] = options.oidc_client_id;
    settings["scopes"] = options.oidc_scopes;
    if (!options.oidc_audience.empty()) settings["audience"] = options.oidc_audience;
    settings["token"] = options.oidc_token;
  }
  return Json{{"version", kVersion}, {"auth", std::move(settings)}};
}

std::string ContentSecurityPolicy(const ConsolePage& page, const ConsoleOptions& options,
                                  const AuthOptions& auth) {
  std::string connect = "'self'";
  if (auth.oidc.configured()) {
    if (std::string issuer = OriginOf(auth.oidc.issuer); !issuer.empty()) connect += " " + issuer;
  }
  for (const std::string& origin : options.connect_origins) connect += " " + origin;
  return "default-src 'none'; script-src 'sha256-" + std::string(page.script_sha256) +
         "'; style-src 'sha256-" + std::string(page.style_sha256) +
         "'; img-src 'self' data:; connect-src " + connect +
         "; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
}

http::Response NotFound(const http::Request& request, std::string code, std::string detail) {
  return rest::ProblemResponse(rest::Problem{404, std::move(code), std::move(detail)}, request);
}

}  // namespace

std::string_view ConsoleModeName(Console::Mode mode) {
  switch (mode) {
    case Console::Mode::kNone:
      return "none";
    case Console::Mode::kOidc:
      return "oidc";
    case Console::Mode::kToken:
      return "token";
  }
  return "none";
}

std::string OriginOf(std::string_view url) {
  auto parsed = boost::urls::parse_uri(url);  // absolute, a #fragment allowed
  if (!parsed) return "";
  const boost::urls::url_view& u = *parsed;
  if (u.scheme_id() != boost::urls::scheme::http && u.scheme_id() != boost::urls::scheme::https) {
    return "";
  }
  if (!u.has_authority() || u.encoded_host().empty() || u.has_userinfo()) return "";
  if (u.has_port() && u.port_number() == 0) return "";
  std::string origin = std::string(u.scheme()) + "://" + std::string(u.encoded_host_and_port());
  for (char& c : origin) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return origin;
}

Console::Console(const ConsoleOptions& options, const Authenticator* authenticator,
                 const ConsolePage& page)
    : authenticator_(authenticator) {
  const AuthOptions& auth = authenticator->options();
  if (!auth.configured()) {
    mode_ = Mode::kNone;
  } else if (auth.oidc.configured() && !options.oidc_client_id.empty()) {
    mode_ = Mode::kOidc;
  } else {
    mode_ = Mode::kToken;
  }
  settings_text_ = ScriptSafeJson(SettingsJson(mode_, options, auth));
  csp_ = ContentSecurityPolicy(page, options, auth);
  if (!options.enabled) {
    unavailable_reason_ = "the web console is disabled on this stepd (console.enabled is false)";
    return;
  }
  if (page.html.empty()) {
    unavailable_reason_ = "this stepd was built without the web console (-DSTEPD_CONSOLE=OFF)";
    return;
  }
  page_ = std::string(page.html);
  if (size_t at = page_.find(kConsoleConfigPlaceholder); at != std::string::npos) {
    page_.replace(at, kConsoleConfigPlaceholder.size(), settings_text_);
  }
}

http::Response Console::PageResponse(int status) const {
  http::Response response;
  response.status = status;
  response.headers.Set("Content-Type", "text/html; charset=utf-8");
  response.headers.Set("Cache-Control", "no-store");
  response.headers.Set("X-Content-Type-Options", "nosniff");
  response.headers.Set("Referrer-Policy", "no-referrer");
  response.headers.Set("X-Frame-Options", "DENY");
  response.headers.Set("Content-Security-Policy", csp_);
  if (status == 401) response.headers.Set("WWW-Authenticate", "Bearer");
  response.body = page_;
  return response;
}

void Console::ServePage(const http::Request& request, const http::Responder& responder) const {
  if (!serving()) {
    responder.Send(NotFound(request, "ConsoleUnavailable", unavailable_reason_));
    return;
  }
  authenticator_->Authenticate(
      request, [this, responder](const http::Request& req, Authenticator::Result auth) {
        if (auth.principal) {
          responder.Send(PageResponse(200));
        } else if (http::AcceptsMediaType(req.headers, "text/html")) {
          responder.Send(PageResponse(401));
        } else {
          responder.Send(
              rest::ProblemResponse(rest::Problem{401, "Unauthorized", auth.error->message}, req));
        }
      });
}

void Console::AddRoutes(http::Router& router) {
  auto redirect = [this](const http::Request& request, http::Responder responder) {
    if (!serving()) {
      responder.Send(NotFound(request, "ConsoleUnavailable", unavailable_reason_));
      return;
    }
    http::Response response;
    response.status = 308;
    response.headers.Set("Location", std::string(kPagePath));
    responder.Send(std::move(response));
  };
  auto page = [this](const http::Request& request, http::Responder responder) {
    ServePage(request, responder);
  };
  auto unknown = [](const http::Request& request, http::Responder responder) {
    responder.Send(NotFound(request, "NotFound",
                            "The console is the single page /console/; its views are "
                            "#fragments of it (/console/#/executions)"));
  };
  for (const char* method : {"GET", "HEAD"}) {
    router.Add(method, "/console", redirect);
    router.Add(method, std::string(kPagePath), page);
  }
  for (const char* method : {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"}) {
    router.Add(method, "/console/{path...}", unknown);
  }
}

}  // namespace stepd::api
