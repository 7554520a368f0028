#include "stepd/server/health.h"

#include <utility>

#include "stepd/base/json.h"

namespace stepd::server {
namespace {

http::Response NoStore(http::Response response) {
  response.headers.Set("Cache-Control", "no-store");
  return response;
}

}  // namespace

http::Response HealthzResponse() {
  return NoStore(http::Response::Json(200, R"({"status":"ok"})"));
}

http::Response ReadyzResponse(const Readiness& readiness) {
  if (readiness.ready()) return NoStore(http::Response::Json(200, R"({"status":"ready"})"));
  Json body = Json::object();
  if (readiness.shutting_down()) {
    body["status"] = "shutting down";
  } else {
    body["status"] = "starting";
    body["waiting_for"] = readiness.Pending();
  }
  return NoStore(http::Response::Json(503, body.dump()));
}

void AddHealthRoutes(http::Router& router, std::shared_ptr<const Readiness> readiness) {
  router.Add("GET", "/healthz", [](const http::Request&, http::Responder responder) {
    responder.Send(HealthzResponse());
  });
  router.Add("GET", "/readyz",
             [readiness = std::move(readiness)](const http::Request&, http::Responder responder) {
               responder.Send(ReadyzResponse(*readiness));
             });
}

}  // namespace stepd::server
