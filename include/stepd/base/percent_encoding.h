#pragma once
// RFC 3986 percent-encoding, as SigV4's canonical request, URL-encoded
// request bodies and query strings need it.

#include <string>
#include <string_view>

namespace stepd {

// Every byte but the unreserved characters (A-Z a-z 0-9 - . _ ~), and '/'
// when `keep_slash`, as %XX with upper-case hex digits.
std::string PercentEncode(std::string_view text, bool keep_slash = false);

}  // namespace stepd
