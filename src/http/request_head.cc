#include "request_head.h"

#include <string>

namespace stepd::http::internal {

void TakeRequestHead(const boost::beast::http::request_header<>& head, Request* request) {
  request->method = std::string(head.method_string());
  request->target = std::string(head.target());
  for (const auto& field : head) {
    request->headers.Add(std::string(field.name_string()), std::string(field.value()));
  }
  auto given_id = request->headers.Get("X-Request-Id");
  request->request_id =
      given_id && IsValidRequestId(*given_id) ? std::string(*given_id) : NewRequestId();
}

}  // namespace stepd::http::internal
