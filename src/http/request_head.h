#pragma once
// The step of the server's request path that turns a parsed header block
// into a Request (private to src/http/; the HTTP fuzz harness runs it too).

#include <boost/beast/http/message.hpp>

#include "stepd/http/message.h"

namespace stepd::http::internal {

// Sets request's method, target and headers from `head` as received, and its
// request id: the client's X-Request-Id when it is a valid one, else a new id.
void TakeRequestHead(const boost::beast::http::request_header<>& head, Request* request);

}  // namespace stepd::http::internal
