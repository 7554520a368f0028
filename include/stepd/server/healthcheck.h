#pragma once
// `stepd healthcheck [--url URL]`: for container health checks without curl.
// Exit 0 when the URL answers 200, else 1 (with the status or the error on
// stderr). The default URL is the configured listener's /readyz, with a
// wildcard host (0.0.0.0, ::) replaced by loopback.

#include <optional>
#include <ostream>
#include <string>

#include "stepd/http/options.h"
#include "stepd/server/options.h"

namespace stepd::server {

// "http://127.0.0.1:8080/readyz"; https when TLS is configured.
std::string DefaultHealthcheckUrl(const http::HttpOptions& options);

// Returns 0 (200), 1 (other status or no answer within 5 s) or 2 (bad options
// when no --url was given).
int RunHealthcheck(const std::optional<std::string>& url, const CommandLineValues& flags,
                   const EnvMap& env, std::ostream& out, std::ostream& err);

}  // namespace stepd::server
