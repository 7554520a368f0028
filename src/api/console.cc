#include "stepd/api/console.h"

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

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// The text up to `separator` (all of it when absent), trimmed; `text` keeps
// what follows the separator.
std::string_view TakeUntil(std::string_view& text, char separator) {
  const size_t at = text.find(separator);
  std::string_view part = text.substr(0, at);
  text = at == std::string_view::npos ? std::string_view() : text.substr(at + 1);
  return Trim(part);
}

// The Accept header names text/html with a non-zero quality: a browser
// navigating to the page.
bool AcceptsHtml(const http::Request& request) {
  for (std::string_view accept : request.headers.GetAll("Accept")) {
    while (!accept.empty()) {
      std::string_view params = TakeUntil(accept, ',');
      if (!http::EqualsIgnoreCase(TakeUntil(params, ';'), "text/html")) continue;
      bool refused = false;  // "text/html;q=0": anything but HTML
      while (!params.empty()) {
        std::string_view param = TakeUntil(params, ';');
        if (param.size() > 2 && (param[0] == 'q' || param[0] == 'Q') && param[1] == '=') {
          refused = param.find_first_not_of("0.", 2) == std::string_view::npos;
        }
      }
      if (!refused) return true;
    }
  }
  return false;
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
  const size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return "";
  std::string origin;
  for (char c : url.substr(0, scheme_end)) {
    origin.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  if (origin != "http" && origin != "https") return "";
  std::string_view authority = url.substr(scheme_end + 3);
  authority = authority.substr(0, authority.find_first_of("/?#"));
  if (authority.empty() || authority.find('@') != std::string_view::npos) return "";
  origin += "://";
  for (char c : authority) {
    origin.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
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
        } else if (AcceptsHtml(req)) {
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
