#include "stepd/http/message.h"

#include <openssl/rand.h>

#include <atomic>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>
#include <cstdio>
#include <cstdlib>

namespace stepd::http {

namespace {
char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
}  // namespace

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (Lower(a[i]) != Lower(b[i])) return false;
  }
  return true;
}

namespace {

std::string_view TrimBlanks(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// The text up to `separator` (all of it when absent), trimmed; `text` keeps
// what follows the separator.
std::string_view TakeUntil(std::string_view& text, char separator) {
  const size_t at = text.find(separator);
  std::string_view part = text.substr(0, at);
  text = at == std::string_view::npos ? std::string_view() : text.substr(at + 1);
  return TrimBlanks(part);
}

}  // namespace

bool AcceptsMediaType(const Headers& headers, std::string_view media_type) {
  for (std::string_view accept : headers.GetAll("Accept")) {
    while (!accept.empty()) {
      std::string_view params = TakeUntil(accept, ',');
      if (!EqualsIgnoreCase(TakeUntil(params, ';'), media_type)) continue;
      bool refused = false;  // q=0 (0, 0.0, 0.000): anything but this type
      while (!params.empty()) {
        std::string_view param = TakeUntil(params, ';');
        if (param.size() > 2 && (param[0] == 'q' || param[0] == 'Q') && param[1] == '=') {
          refused = param.find_first_not_of("0.", 2) == std::string_view::npos;
        }
      }
      if (!refused) return true;
    }
  }
  return false;
}

Headers::Headers(std::initializer_list<Field> fields) : fields_(fields) {}

std::optional<std::string_view> Headers::Get(std::string_view name) const {
  for (const auto& [n, v] : fields_) {
    if (EqualsIgnoreCase(n, name)) return std::string_view(v);
  }
  return std::nullopt;
}

std::vector<std::string_view> Headers::GetAll(std::string_view name) const {
  std::vector<std::string_view> out;
  for (const auto& [n, v] : fields_) {
    if (EqualsIgnoreCase(n, name)) out.emplace_back(v);
  }
  return out;
}

void Headers::Add(std::string name, std::string value) {
  fields_.emplace_back(std::move(name), std::move(value));
}

void Headers::Set(std::string name, std::string value) {
  Remove(name);
  Add(std::move(name), std::move(value));
}

void Headers::Remove(std::string_view name) {
  std::erase_if(fields_, [&](const Field& f) { return EqualsIgnoreCase(f.first, name); });
}

std::string_view Request::PathParam(std::string_view name) const {
  for (const auto& [k, v] : path_params) {
    if (k == name) return v;
  }
  return {};
}

std::optional<std::string_view> Request::QueryParam(std::string_view name) const {
  for (const auto& [k, v] : query) {
    if (k == name) return std::string_view(v);
  }
  return std::nullopt;
}

Status ParseTarget(std::string_view target, Request* request) {
  auto parsed = boost::urls::parse_origin_form(target);
  if (!parsed) return InvalidArgumentError("malformed request target");
  const boost::urls::url_view& url = *parsed;
  request->path = std::string(url.encoded_path());
  request->query.clear();
  if (url.has_query()) {
    for (auto param : url.params()) {
      request->query.emplace_back(std::move(param.key), std::move(param.value));
    }
  }
  return Status::OK();
}

Request MakeRequest(std::string method, std::string_view target, std::string body,
                    Headers headers) {
  Request request;
  request.method = std::move(method);
  request.target = std::string(target);
  if (Status s = ParseTarget(target, &request); !s.ok()) {
    std::fprintf(stderr, "MakeRequest: invalid target '%.*s'\n", static_cast<int>(target.size()),
                 target.data());
    std::abort();
  }
  request.body_size = body.size();
  request.body = std::move(body);
  request.headers = std::move(headers);
  request.request_id = NewRequestId();
  return request;
}

Response Response::Text(int status, std::string body, std::string content_type) {
  Response r;
  r.status = status;
  r.headers.Set("Content-Type", std::move(content_type));
  r.body = std::move(body);
  return r;
}

Response Response::Json(int status, std::string body) {
  return Text(status, std::move(body), "application/json");
}

std::string_view ReasonPhrase(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 206:
      return "Partial Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 303:
      return "See Other";
    case 304:
      return "Not Modified";
    case 307:
      return "Temporary Redirect";
    case 308:
      return "Permanent Redirect";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 406:
      return "Not Acceptable";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 411:
      return "Length Required";
    case 412:
      return "Precondition Failed";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 415:
      return "Unsupported Media Type";
    case 422:
      return "Unprocessable Content";
    case 425:
      return "Too Early";
    case 428:
      return "Precondition Required";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "";
  }
}

bool IsValidRequestId(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

std::string NewRequestId() {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) {
    // The CSPRNG failing is not worth failing a request over: ids need only be unique-ish.
    static std::atomic<uint64_t> counter{0};
    uint64_t n = ++counter;
    for (size_t i = 0; i < sizeof(bytes); ++i)
      bytes[i] = static_cast<unsigned char>(n >> (i % 8 * 8));
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(32, '0');
  for (size_t i = 0; i < sizeof(bytes); ++i) {
    id[2 * i] = kHex[bytes[i] >> 4];
    id[2 * i + 1] = kHex[bytes[i] & 0xf];
  }
  return id;
}

}  // namespace stepd::http
