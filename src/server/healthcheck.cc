#include "stepd/server/healthcheck.h"

#include <chrono>

#include "stepd/http/client.h"
#include "stepd/server/commands.h"

namespace stepd::server {

std::string DefaultHealthcheckUrl(const http::HttpOptions& options) {
  std::string host = options.host;
  if (host == "0.0.0.0") host = "127.0.0.1";
  if (host == "::") host = "::1";
  std::string scheme = options.tls_cert_file.empty() ? "http://" : "https://";
  return scheme + FormatListenAddress(host, options.port) + "/readyz";
}

int RunHealthcheck(const std::optional<std::string>& url, const CommandLineValues& flags,
                   const EnvMap& env, std::ostream& out, std::ostream& err) {
  http::ClientRequest request;
  if (url) {
    request.url = *url;
  } else {
    auto resolved = LoadServerOptions(flags, env);
    if (!resolved.ok()) {
      err << "stepd: " << resolved.status().message() << "\n";
      return kExitUsage;
    }
    request.url = DefaultHealthcheckUrl(resolved->options.http);
  }
  http::ClientOptions options;
  options.connect_timeout = std::chrono::seconds(5);
  options.timeout = std::chrono::seconds(5);
  options.max_response_bytes = 64 * 1024;
  auto response = http::Fetch(request, options);
  if (!response.ok()) {
    err << "stepd: healthcheck " << request.url << " failed: " << response.status() << "\n";
    return kExitFailure;
  }
  if (response->status != 200) {
    err << "stepd: healthcheck " << request.url << " answered " << response->status << ": "
        << response->body << "\n";
    return kExitFailure;
  }
  out << request.url << " answered 200: " << response->body << "\n";
  return kExitOk;
}

}  // namespace stepd::server
