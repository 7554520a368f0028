#include "stepd/http/router.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "stepd/base/json.h"

namespace stepd::http {

namespace {

[[noreturn]] void DieBadTemplate(const std::string& path_template) {
  std::fprintf(stderr, "Router::Add: malformed path template '%s'\n", path_template.c_str());
  std::abort();
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decodes one path segment; a malformed escape is kept literally
// (targets from the wire were validated by ParseTarget already).
std::string DecodeSegment(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      int hi = HexValue(s[i + 1]), lo = HexValue(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> parts;
  if (path.empty() || path[0] != '/') return parts;
  path.remove_prefix(1);
  for (;;) {
    size_t slash = path.find('/');
    parts.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return parts;
}

bool MatchTemplate(const Router::Route& route, const std::vector<std::string_view>& parts,
                   std::vector<std::pair<std::string, std::string>>* params) {
  const size_t k = route.segments.size();
  if (route.rest ? parts.size() < k : parts.size() != k) return false;
  params->clear();
  for (size_t i = 0; i < k; ++i) {
    if (route.rest && i + 1 == k) {
      std::string value;
      for (size_t j = i; j < parts.size(); ++j) {
        if (j > i) value.push_back('/');
        value += DecodeSegment(parts[j]);
      }
      if (value.empty()) return false;
      params->emplace_back(route.segments[i], std::move(value));
      break;
    }
    std::string decoded = DecodeSegment(parts[i]);
    if (route.is_param[i]) {
      if (decoded.empty()) return false;
      params->emplace_back(route.segments[i], std::move(decoded));
    } else if (decoded != route.segments[i]) {
      return false;
    }
  }
  return true;
}

}  // namespace

RoutePredicate HeaderHasPrefix(std::string name, std::string prefix) {
  return [name = std::move(name), prefix = std::move(prefix)](const Request& request) {
    auto value = request.headers.Get(name);
    return value.has_value() && value->starts_with(prefix);
  };
}

Router& Router::Add(std::string method, std::string path_template, Handler handler,
                    RouteOptions options) {
  Route route;
  auto parts = SplitPath(path_template);
  if (parts.empty() || method.empty() || !handler) DieBadTemplate(path_template);
  for (size_t i = 0; i < parts.size(); ++i) {
    std::string_view part = parts[i];
    if (part.size() >= 2 && part.front() == '{' && part.back() == '}') {
      std::string_view name = part.substr(1, part.size() - 2);
      if (name.ends_with("...")) {
        if (i + 1 != parts.size()) DieBadTemplate(path_template);
        name.remove_suffix(3);
        route.rest = true;
      }
      if (name.empty() || name.find_first_of("{}/") != std::string_view::npos) {
        DieBadTemplate(path_template);
      }
      route.segments.emplace_back(name);
      route.is_param.push_back(true);
    } else {
      if (part.find_first_of("{}") != std::string_view::npos) DieBadTemplate(path_template);
      route.segments.emplace_back(part);
      route.is_param.push_back(false);
    }
  }
  route.method = std::move(method);
  route.path_template = std::move(path_template);
  route.handler = std::move(handler);
  route.options = std::move(options);
  routes_.push_back(std::move(route));
  return *this;
}

Router::Match Router::Find(const Request& request) const {
  Match match;
  auto parts = SplitPath(request.path);
  std::vector<std::pair<std::string, std::string>> params;
  std::vector<std::string_view> allowed;
  for (const Route& route : routes_) {
    if (!MatchTemplate(route, parts, &params)) continue;
    if (route.options.predicate && !route.options.predicate(request)) continue;
    if (route.method == request.method) {
      match.status = 200;
      match.route = &route;
      match.path_params = std::move(params);
      return match;
    }
    if (std::find(allowed.begin(), allowed.end(), route.method) == allowed.end()) {
      allowed.push_back(route.method);
    }
  }
  if (!allowed.empty()) {
    match.status = 405;
    for (size_t i = 0; i < allowed.size(); ++i) {
      if (i > 0) match.allow += ", ";
      match.allow += allowed[i];
    }
  }
  return match;
}

void Router::Dispatch(Request request, Responder responder) const {
  Match match = Find(request);
  if (match.status == 404) {
    responder.Send(ErrorResponse(404, "no route for " + request.path));
    return;
  }
  if (match.status == 405) {
    Response response = ErrorResponse(405, "method " + request.method + " not allowed");
    response.headers.Set("Allow", match.allow);
    responder.Send(std::move(response));
    return;
  }
  request.path_params = std::move(match.path_params);
  try {
    match.route->handler(request, responder);
  } catch (...) {  // exceptions stop at this edge
    responder.Send(ErrorResponse(500, "internal error"));
  }
}

Response ErrorResponse(int status, std::string_view message) {
  Json body = Json::object();
  body["message"] = std::string(message);
  return Response::Json(status, body.dump(-1, ' ', false, Json::error_handler_t::replace));
}

}  // namespace stepd::http
