#pragma once
// The probe endpoints (CONTRACTS.md): GET /healthz and GET /readyz. Plain
// functions of the process state, testable without sockets; both answer at
// once on the I/O thread (no blocking) with Cache-Control: no-store.
//
//   /healthz  200 {"status":"ok"} while the process runs.
//   /readyz   200 {"status":"ready"} when every start-up condition is done;
//             503 {"status":"starting","waiting_for":["migrations","recovery"]}
//             before, 503 {"status":"shutting down"} once shutdown began.

#include <memory>

#include "stepd/http/message.h"
#include "stepd/http/router.h"
#include "stepd/server/readiness.h"

namespace stepd::server {

http::Response HealthzResponse();
http::Response ReadyzResponse(const Readiness& readiness);

// Adds GET /healthz and GET /readyz to `router`. `readiness` must outlive the
// router's use.
void AddHealthRoutes(http::Router& router, std::shared_ptr<const Readiness> readiness);

}  // namespace stepd::server
