#pragma once
// KeySet: where the keys that verify OIDC bearer tokens (jwt.h) come from,
// cached and refreshed while requests keep being served.
//
//   auto keys = KeySet::Create(options, client, clock, logger);
//   Status loaded = (*keys)->LoadNow();        // at start-up; log a failure
//   ...
//   auto set = (*keys)->Current();             // per request; never blocks
//   auto result = VerifyJwt(token, *set, policy, now);
//   if (unknown_key) (*keys)->RefreshForUnknownKey([=](bool refreshed) {
//     if (refreshed) ...verify once more against Current()...
//   });
//
// The source is one of, in this order of precedence:
//   jwks_file  a local JWKS file, read again at refresh time when its
//              modification time, size or inode changed (rotation by
//              replacing the file, no restart);
//   jwks_uri   a JWKS URL: https://, or http:// to a loopback address;
//   issuer     OpenID Connect discovery: issuer + "/.well-known/openid-
//              configuration" (a trailing "/" of the issuer dropped), whose
//              "issuer" must equal `issuer` exactly and whose "jwks_uri"
//              (same scheme rule) is then fetched. Discovery is repeated at
//              each refresh, so a moved jwks_uri is followed.
// URLs are the operator's: fetched with ClientRequest::operator_configured_url.
//
// Refreshes: one at a time. A set older than refresh_interval (or than a
// response's Cache-Control max-age, when shorter, but never shorter than
// retry_interval) is refreshed in the background when Current() is called;
// requests keep the old set meanwhile. A failed refresh keeps the previous
// keys, logs a warning (never key material) and is retried on use after
// retry_interval. A response that is not 200, is over max_document_bytes or
// is not a usable JWKS / discovery document fails the refresh.
//
// Thread-safety: every method may be called from any thread, except that
// Stop() (and the destructor) must not be called from a `done` callback.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "stepd/api/jwt.h"
#include "stepd/base/clock.h"
#include "stepd/base/status_or.h"

namespace spdlog {
class logger;
}

namespace stepd::http {
class AsyncClient;
}

namespace stepd::api {

struct KeySetOptions {
  // A local JWKS file. Default empty.
  std::string jwks_file{};
  // A JWKS URL (https, or http to loopback). Default empty.
  std::string jwks_uri{};
  // The issuer to discover the JWKS URL from when both above are empty.
  // Default empty.
  std::string issuer{};
  // A set older than this is refreshed in the background on use. Default 1 h.
  std::chrono::seconds refresh_interval{3600};
  // At most one refresh per this interval is triggered by unknown kids (a
  // flood of unknown kids cannot hammer the IdP). Default 30 s.
  std::chrono::seconds unknown_kid_min_interval{30};
  // After a failed refresh, the next one starts on use no sooner than this;
  // also the shortest refresh interval a Cache-Control max-age can ask for.
  // Default 30 s.
  std::chrono::seconds retry_interval{30};
  // Each fetch (discovery, JWKS) must finish within this. Default 10 s.
  std::chrono::milliseconds fetch_timeout{10000};
  // Largest accepted JWKS or discovery document (the client's own
  // max_response_bytes applies too). Default 1 MiB.
  size_t max_document_bytes = 1 << 20;
};

class KeySet {
 public:
  // Checks the options: exactly one source (jwks_file wins over jwks_uri,
  // which wins over issuer; INVALID_ARGUMENT when none is set), URLs of an
  // allowed scheme, a `client` for a URL source. `client` (may be null when
  // only jwks_file is used) and `clock` must outlive the set; `logger` may be
  // null (nothing is logged). Does not fetch yet.
  static StatusOr<std::unique_ptr<KeySet>> Create(KeySetOptions options, http::AsyncClient* client,
                                                  Clock* clock,
                                                  std::shared_ptr<spdlog::logger> logger);
  // Stop().
  ~KeySet();
  KeySet(const KeySet&) = delete;
  KeySet& operator=(const KeySet&) = delete;

  // Loads the keys now and waits for the outcome (joins a refresh already in
  // flight rather than starting a second); ignores the unknown-kid rate
  // limit. For start-up, from a thread that is not the client's I/O thread.
  // A failure is returned (the caller logs it and decides); the set stays
  // usable and retries on use. CANCELLED after Stop().
  Status LoadNow();

  // The current keys, or null before any successful load. Never waits on the
  // network; may start a background refresh when stale (with jwks_file, the
  // refresh is a stat() and, when the file changed, a read, done before
  // returning, so the new keys are returned at once).
  std::shared_ptr<const Jwks> Current();

  // A token named a kid the current set lacks. Starts a refresh unless one
  // started less than unknown_kid_min_interval ago (done(false) right away,
  // counted in stats().rate_limited); when a refresh is already in flight,
  // joins it instead. done(true) once that refresh has succeeded (whether or
  // not it changed the keys), done(false) when it failed or after Stop().
  // `done` runs exactly once, on an I/O thread or inline.
  void RefreshForUnknownKey(std::function<void(bool refreshed)> done);

  // Counters for logs, metrics and tests.
  struct Stats {
    uint64_t loads = 0;         // refreshes that succeeded (an unchanged file included)
    uint64_t failures = 0;      // refreshes that failed
    uint64_t rate_limited = 0;  // RefreshForUnknownKey calls refused by the rate limit
  };
  Stats stats() const;

  // Cancels the fetch in flight and waits for it to end; no `done` runs after
  // it returns and no refresh starts. Idempotent.
  void Stop();

 private:
  class Impl;
  explicit KeySet(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

}  // namespace stepd::api
