#include "stepd/api/metrics_endpoint.h"

#include <dirent.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>

#include "rest_internal.h"
#include "stepd/base/version.h"

namespace stepd::api {
namespace {

double ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  long pages = 0, resident = 0;
  if (!(statm >> pages >> resident)) return 0;
  return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE));
}

double OpenFds() {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return 0;
  double n = 0;
  while (dirent* entry = readdir(dir)) {
    if (entry->d_name[0] != '.') ++n;
  }
  closedir(dir);
  return n - 1;  // the directory being read
}

http::Response MetricsResponse(const metrics::Registry& registry) {
  http::Response response;
  response.status = 200;
  response.headers.Set("Content-Type", std::string(metrics::Registry::kContentType));
  response.headers.Set("Cache-Control", "no-store");
  response.body = registry.Render();
  return response;
}

}  // namespace

void AddProcessMetrics(metrics::Registry& registry) {
  registry.AddCallback("stepd_build_info", "stepd's version (the value is always 1).",
                       metrics::MetricType::kGauge, {"version"}, [] {
                         return metrics::Registry::Samples{{{std::string(kVersion)}, 1}};
                       });
  const double start = std::chrono::duration<double>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
  registry.AddCallback("stepd_start_time_seconds", "When the process started (Unix time).",
                       metrics::MetricType::kGauge, {},
                       [start] { return metrics::Registry::Samples{{{}, start}}; });
  registry.AddCallback("process_resident_memory_bytes", "Resident memory size in bytes.",
                       metrics::MetricType::kGauge, {},
                       [] { return metrics::Registry::Samples{{{}, ResidentBytes()}}; });
  registry.AddCallback("process_open_fds", "Open file descriptors.", metrics::MetricType::kGauge,
                       {}, [] { return metrics::Registry::Samples{{{}, OpenFds()}}; });
}

void AddMetricsRoute(http::Router& router, const MetricsOptions& options,
                     const metrics::Registry* registry, const Authenticator* authenticator) {
  const bool open = options.open || authenticator->local_mode();
  auto handler = [open, registry, authenticator](const http::Request& request,
                                                 http::Responder responder) {
    if (open) {
      responder.Send(MetricsResponse(*registry));
      return;
    }
    authenticator->Authenticate(
        request, [registry, responder](const http::Request& req, Authenticator::Result auth) {
          if (!auth.principal) {
            responder.Send(rest::ProblemResponse(
                rest::Problem{401, "Unauthorized", auth.error->message}, req));
          } else if (!auth.principal->Can(Permission::kRead)) {
            responder.Send(rest::ProblemResponse(
                rest::Problem{403, "AccessDeniedException",
                              "reading /metrics needs the read permission on every state "
                              "machine; " +
                                  auth.principal->id + " has " +
                                  auth.principal->DescribeGrants()},
                req));
          } else {
            responder.Send(MetricsResponse(*registry));
          }
        });
  };
  router.Add("GET", "/metrics", handler);
  router.Add("HEAD", "/metrics", handler);
}

}  // namespace stepd::api
