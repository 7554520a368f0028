#include "stepd/api/sigv4.h"

#include <algorithm>
#include <cstdio>
#include <ctime>

#include "stepd/base/crypto.h"
#include "stepd/base/percent_encoding.h"

namespace stepd::api {
namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Trimmed, with runs of spaces inside collapsed to one.
std::string CanonicalHeaderValue(std::string_view value) {
  value = Trim(value);
  std::string out;
  out.reserve(value.size());
  bool space = false;
  for (char c : value) {
    if (c == ' ' || c == '\t') {
      space = true;
      continue;
    }
    if (space && !out.empty()) out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  return out;
}

// "20261201T101500Z" -> time point; false when malformed.
bool ParseAmzDate(std::string_view text, TimePoint* out) {
  if (text.size() != 16 || text[8] != 'T' || text[15] != 'Z') return false;
  for (size_t i = 0; i < 15; ++i) {
    if (i != 8 && !std::isdigit(static_cast<unsigned char>(text[i]))) return false;
  }
  auto num = [&](size_t at, size_t n) {
    int v = 0;
    for (size_t i = at; i < at + n; ++i) v = v * 10 + (text[i] - '0');
    return v;
  };
  std::tm tm{};
  tm.tm_year = num(0, 4) - 1900;
  tm.tm_mon = num(4, 2) - 1;
  tm.tm_mday = num(6, 2);
  tm.tm_hour = num(9, 2);
  tm.tm_min = num(11, 2);
  tm.tm_sec = num(13, 2);
  if (tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 ||
      tm.tm_sec > 60) {
    return false;
  }
  *out = std::chrono::system_clock::from_time_t(timegm(&tm));
  return true;
}

std::string FormatAmzDate(TimePoint t) {
  std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

}  // namespace

StatusOr<SigV4Authorization> ParseSigV4Authorization(std::string_view header) {
  header = Trim(header);
  if (header.substr(0, kAlgorithm.size()) != kAlgorithm ||
      (header.size() > kAlgorithm.size() && header[kAlgorithm.size()] != ' ')) {
    return InvalidArgumentError("Authorization header must use the AWS4-HMAC-SHA256 algorithm");
  }
  header.remove_prefix(kAlgorithm.size());
  SigV4Authorization auth;
  bool have_credential = false, have_signed = false, have_signature = false;
  while (!header.empty()) {
    size_t comma = header.find(',');
    std::string_view part = Trim(header.substr(0, comma));
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    if (part.empty()) continue;
    size_t eq = part.find('=');
    if (eq == std::string_view::npos) {
      return InvalidArgumentError("Authorization header has a malformed part: '" +
                                  std::string(part) + "'");
    }
    std::string_view key = part.substr(0, eq), value = part.substr(eq + 1);
    if (key == "Credential") {
      // AKID/DATE/REGION/SERVICE/aws4_request
      std::vector<std::string_view> pieces;
      size_t start = 0;
      for (;;) {
        size_t slash = value.find('/', start);
        pieces.push_back(value.substr(start, slash - start));
        if (slash == std::string_view::npos) break;
        start = slash + 1;
      }
      if (pieces.size() != 5 || pieces[4] != "aws4_request" || pieces[0].empty() ||
          pieces[1].size() != 8 || pieces[2].empty() || pieces[3].empty()) {
        return InvalidArgumentError(
            "Credential should be scoped to a valid region and service: "
            "'ACCESS_KEY/YYYYMMDD/REGION/SERVICE/aws4_request', got '" +
            std::string(value) + "'");
      }
      auth.access_key_id = pieces[0];
      auth.date = pieces[1];
      auth.region = pieces[2];
      auth.service = pieces[3];
      have_credential = true;
    } else if (key == "SignedHeaders") {
      size_t start = 0;
      for (;;) {
        size_t semi = value.find(';', start);
        std::string name = Lower(value.substr(start, semi - start));
        if (name.empty()) return InvalidArgumentError("SignedHeaders has an empty header name");
        auth.signed_headers.push_back(std::move(name));
        if (semi == std::string_view::npos) break;
        start = semi + 1;
      }
      have_signed = true;
    } else if (key == "Signature") {
      if (value.size() != 64 || !std::all_of(value.begin(), value.end(), [](char c) {
            return std::isdigit(static_cast<unsigned char>(c)) || (c >= 'a' && c <= 'f');
          })) {
        return InvalidArgumentError("Signature must be 64 lower-case hex characters");
      }
      auth.signature = value;
      have_signature = true;
    }
  }
  if (!have_credential) {
    return InvalidArgumentError("Authorization header requires 'Credential' parameter");
  }
  if (!have_signed) {
    return InvalidArgumentError("Authorization header requires 'SignedHeaders' parameter");
  }
  if (!have_signature) {
    return InvalidArgumentError("Authorization header requires 'Signature' parameter");
  }
  return auth;
}

std::string SigV4CanonicalRequest(const http::Request& request,
                                  const std::vector<std::string>& signed_headers,
                                  std::string_view payload_hash) {
  std::string out = request.method;
  out += '\n';
  out += request.path.empty() ? "/" : PercentEncode(request.path, /*keep_slash=*/true);
  out += '\n';
  std::vector<std::pair<std::string, std::string>> query;
  query.reserve(request.query.size());
  for (const auto& [k, v] : request.query) {
    query.emplace_back(PercentEncode(k), PercentEncode(v));
  }
  std::sort(query.begin(), query.end());
  for (size_t i = 0; i < query.size(); ++i) {
    if (i) out += '&';
    out += query[i].first;
    out += '=';
    out += query[i].second;
  }
  out += '\n';
  for (const std::string& name : signed_headers) {
    out += name;
    out += ':';
    bool first = true;
    for (std::string_view value : request.headers.GetAll(name)) {
      if (!first) out += ',';
      first = false;
      out += CanonicalHeaderValue(value);
    }
    out += '\n';
  }
  out += '\n';
  for (size_t i = 0; i < signed_headers.size(); ++i) {
    if (i) out += ';';
    out += signed_headers[i];
  }
  out += '\n';
  out += payload_hash;
  return out;
}

std::string SigV4Signature(std::string_view secret, const SigV4Authorization& auth,
                           std::string_view amz_date, std::string_view canonical_request) {
  const std::string scope = auth.date + "/" + auth.region + "/" + auth.service + "/aws4_request";
  std::string to_sign(kAlgorithm);
  to_sign += '\n';
  to_sign += amz_date;
  to_sign += '\n';
  to_sign += scope;
  to_sign += '\n';
  to_sign += Sha256Hex(canonical_request);
  std::string key = HmacSha256("AWS4" + std::string(secret), auth.date);
  key = HmacSha256(key, auth.region);
  key = HmacSha256(key, auth.service);
  key = HmacSha256(key, "aws4_request");
  return HexEncode(HmacSha256(key, to_sign));
}

std::optional<SigV4Error> VerifySigV4(const http::Request& request, const SigV4Authorization& auth,
                                      std::string_view secret, TimePoint now,
                                      std::chrono::seconds max_skew) {
  auto amz_date = request.headers.Get("X-Amz-Date");
  TimePoint signed_at;
  if (!amz_date || !ParseAmzDate(*amz_date, &signed_at)) {
    return SigV4Error{SigV4Failure::kMalformed,
                      "Authorization header requires existence of either a 'X-Amz-Date' or a "
                      "'Date' header in the form YYYYMMDD'T'HHMMSS'Z'"};
  }
  if (amz_date->substr(0, 8) != auth.date) {
    return SigV4Error{SigV4Failure::kBadSignature,
                      "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of "
                      "date from HTTP: '" +
                          auth.date + "' != '" + std::string(amz_date->substr(0, 8)) + "'"};
  }
  if (std::find(auth.signed_headers.begin(), auth.signed_headers.end(), "host") ==
      auth.signed_headers.end()) {
    return SigV4Error{SigV4Failure::kBadSignature,
                      "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."};
  }
  const auto skew_minutes = std::to_string(max_skew.count() / 60);
  if (signed_at < now - max_skew) {
    return SigV4Error{SigV4Failure::kExpired,
                      "Signature expired: " + std::string(*amz_date) + " is now earlier than " +
                          FormatAmzDate(now - max_skew) + " (" + FormatAmzDate(now) + " - " +
                          skew_minutes + " min.)"};
  }
  if (signed_at > now + max_skew) {
    return SigV4Error{SigV4Failure::kExpired,
                      "Signature not yet current: " + std::string(*amz_date) +
                          " is still later than " + FormatAmzDate(now + max_skew) + " (" +
                          FormatAmzDate(now) + " + " + skew_minutes + " min.)"};
  }
  const std::string canonical =
      SigV4CanonicalRequest(request, auth.signed_headers, Sha256Hex(request.body));
  const std::string expected = SigV4Signature(secret, auth, *amz_date, canonical);
  if (!ConstantTimeEquals(expected, auth.signature)) {
    return SigV4Error{SigV4Failure::kBadSignature,
                      "The request signature we calculated does not match the signature you "
                      "provided. Check your AWS Secret Access Key and signing method. Consult "
                      "the service documentation for details."};
  }
  return std::nullopt;
}

}  // namespace stepd::api
