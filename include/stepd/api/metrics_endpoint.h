#pragma once
// GET /metrics: the registry's metrics in the Prometheus text format
// (version 0.0.4), for a Prometheus server or any scraper that reads it.
//
// Who may read it: anyone in local mode or with MetricsOptions::open;
// otherwise a credential (as for the REST API) whose principal may read
// every state machine (an unscoped read grant: the metrics name them all).
// Refusals are problem+json: 401 with `WWW-Authenticate: Bearer`, 403.
// HEAD works too. The answer is never cached (Cache-Control: no-store).
//
// What it holds: whatever the layers registered (metrics::Registry), plus
// stepd_build_info{version}, stepd_start_time_seconds and, on Linux,
// process_resident_memory_bytes and process_open_fds.

#include "stepd/api/auth.h"
#include "stepd/api/options.h"
#include "stepd/base/metrics.h"
#include "stepd/http/router.h"

namespace stepd::api {

// Registers the process metrics above in `registry`.
void AddProcessMetrics(metrics::Registry& registry);

// Adds GET and HEAD /metrics. `registry` and `authenticator` must outlive
// the router's use.
void AddMetricsRoute(http::Router& router, const MetricsOptions& options,
                     const metrics::Registry* registry, const Authenticator* authenticator);

}  // namespace stepd::api
