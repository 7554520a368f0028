#pragma once
// What the clients need from an absolute http(s) URL, and the checks both
// apply to a request before it reaches the wire (private to src/http/).

#include <cstdint>
#include <string>
#include <string_view>

#include "stepd/base/status_or.h"
#include "stepd/http/client.h"

namespace stepd::http::internal {

struct UrlTarget {
  bool tls = false;
  std::string host;         // without brackets
  std::string host_header;  // "host", "host:port", "[v6]:port"
  uint16_t port = 0;
  std::string path;  // origin form: "/path?query"
};

// INVALID_ARGUMENT: "invalid URL", "unsupported URL scheme 'ftp' (want http
// or https)", "URL has no host", "invalid port in URL", "invalid URL path".
StatusOr<UrlTarget> ParseUrlTarget(std::string_view url);

// INVALID_ARGUMENT for a method that is empty or holds white space, or a
// header field whose name is empty or holds ':', CR or LF, or whose value
// holds CR or LF (no header injection).
Status CheckRequestFields(const ClientRequest& request);

}  // namespace stepd::http::internal
