#include "url_target.h"

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

namespace stepd::http::internal {

StatusOr<UrlTarget> ParseUrlTarget(std::string_view url) {
  auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed) return InvalidArgumentError("invalid URL");
  const boost::urls::url_view& u = *parsed;
  UrlTarget t;
  if (u.scheme_id() == boost::urls::scheme::https) {
    t.tls = true;
  } else if (u.scheme_id() != boost::urls::scheme::http) {
    return InvalidArgumentError("unsupported URL scheme '" + std::string(u.scheme()) +
                                "' (want http or https)");
  }
  if (!u.has_authority() || u.encoded_host().empty()) {
    return InvalidArgumentError("URL has no host");
  }
  t.host = u.host_address();
  t.port = u.has_port() ? u.port_number() : (t.tls ? 443 : 80);
  if (u.has_port() && t.port == 0) return InvalidArgumentError("invalid port in URL");
  std::string bracketed =
      u.host_type() == boost::urls::host_type::ipv6 ? "[" + t.host + "]" : t.host;
  t.host_header = (u.has_port() && t.port != (t.tls ? 443 : 80))
                      ? bracketed + ":" + std::to_string(t.port)
                      : bracketed;
  t.path = std::string(u.encoded_target());
  if (t.path.empty()) t.path = "/";
  if (t.path[0] != '/') return InvalidArgumentError("invalid URL path");
  return t;
}

Status CheckRequestFields(const ClientRequest& request) {
  for (const auto& [name, value] : request.headers.fields()) {
    if (name.empty() || name.find_first_of(":\r\n") != std::string::npos ||
        value.find_first_of("\r\n") != std::string::npos) {
      return InvalidArgumentError("invalid request header field '" + name + "'");
    }
  }
  if (request.method.empty() || request.method.find_first_of(" \t\r\n") != std::string::npos) {
    return InvalidArgumentError("invalid request method");
  }
  return Status::OK();
}

}  // namespace stepd::http::internal
