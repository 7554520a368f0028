#pragma once
// AWS Signature Version 4, as the AWS SDKs and CLI sign requests to the JSON
// API: the `Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=...,
// Signature=...` header with `X-Amz-Date`.
//
//   canonical request = method \n canonical URI \n canonical query \n
//                       canonical headers \n signed headers \n hex(SHA-256(body))
//   string to sign    = "AWS4-HMAC-SHA256" \n amz-date \n scope \n
//                       hex(SHA-256(canonical request))
//   signing key       = HMAC chain "AWS4"+secret, date, region, service,
//                       "aws4_request"
//
// Pure functions of a request, a secret and the time; the access key ->
// secret lookup is the caller's (auth.h).

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "stepd/base/clock.h"
#include "stepd/base/status_or.h"
#include "stepd/http/message.h"

namespace stepd::api {

// The parts of an Authorization header.
struct SigV4Authorization {
  std::string access_key_id;
  std::string date;                         // "20261201" (the credential scope's date)
  std::string region;                       // "us-east-1"
  std::string service;                      // "states"
  std::vector<std::string> signed_headers;  // lower-case, as listed
  std::string signature;                    // 64 lower-case hex characters
};

// Parses `Authorization: AWS4-HMAC-SHA256 Credential=AKID/DATE/REGION/SERVICE/
// aws4_request, SignedHeaders=a;b, Signature=HEX`. INVALID_ARGUMENT naming
// what is wrong for anything else.
StatusOr<SigV4Authorization> ParseSigV4Authorization(std::string_view header);

// The canonical request of `request` for the given signed headers (names
// lower-case), with the body's hex SHA-256 as payload hash.
std::string SigV4CanonicalRequest(const http::Request& request,
                                  const std::vector<std::string>& signed_headers,
                                  std::string_view payload_hash);

// The hex signature of `canonical_request` made with `secret` at `amz_date`
// ("20261201T101500Z") in the scope of `auth` (date, region, service).
std::string SigV4Signature(std::string_view secret, const SigV4Authorization& auth,
                           std::string_view amz_date, std::string_view canonical_request);

enum class SigV4Failure {
  kMalformed,     // no or unparsable Authorization / X-Amz-Date
  kBadSignature,  // the signature does not match
  kExpired,       // X-Amz-Date further than the allowed skew from now
};

struct SigV4Error {
  SigV4Failure failure;
  std::string message;  // AWS's wording where it has one
};

// Checks the signature of `request` made with `secret` for `auth` (parsed
// from its Authorization header): the host header must be signed, X-Amz-Date
// must be within `max_skew` of `now` and agree with the scope's date, and the
// signature must match (compared in constant time). nullopt when valid.
std::optional<SigV4Error> VerifySigV4(const http::Request& request, const SigV4Authorization& auth,
                                      std::string_view secret, TimePoint now,
                                      std::chrono::seconds max_skew);

}  // namespace stepd::api
