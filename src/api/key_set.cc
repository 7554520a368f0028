#include "stepd/api/key_set.h"

#include <spdlog/logger.h>
#include <sys/stat.h>

#include <algorithm>
#include <boost/url/parse.hpp>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <fstream>
#include <future>
#include <mutex>
#include <optional>
#include <sstream>
#include <vector>

#include "stepd/http/async_client.h"

namespace stepd::api {
namespace {

enum class Source { kFile, kUri, kDiscovery };

// `url` without its query and fragment, for messages.
std::string UrlForLog(std::string_view url) {
  return std::string(url.substr(0, url.find_first_of("?#")));
}

Status CheckUrl(std::string_view url, std::string_view what) {
  const Status refused = InvalidArgumentError(
      std::string(what) +
      " must be an https:// URL, or http:// to a loopback address: " + UrlForLog(url));
  auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed || !parsed->has_authority() || parsed->encoded_host().empty()) return refused;
  if (parsed->scheme_id() == boost::urls::scheme::https) return Status::OK();
  if (parsed->scheme_id() != boost::urls::scheme::http) return refused;
  switch (parsed->host_type()) {
    case boost::urls::host_type::ipv4:
      if ((parsed->host_ipv4_address().to_uint() >> 24) == 127) return Status::OK();
      break;
    case boost::urls::host_type::ipv6:
      if (parsed->host_ipv6_address().is_loopback()) return Status::OK();
      break;
    case boost::urls::host_type::name:
      if (parsed->encoded_host() == "localhost") return Status::OK();
      break;
    default:
      break;
  }
  return refused;
}

// The seconds of a "max-age=N" directive, if any.
std::optional<std::chrono::seconds> MaxAge(const http::Headers& headers) {
  auto value = headers.Get("Cache-Control");
  if (!value) return std::nullopt;
  const size_t at = value->find("max-age=");
  if (at == std::string_view::npos) return std::nullopt;
  int64_t seconds = 0;
  size_t digits = 0;
  for (size_t i = at + 8;
       i < value->size() && std::isdigit(static_cast<unsigned char>((*value)[i])); ++i, ++digits) {
    if (seconds > 100'000'000) return std::nullopt;
    seconds = seconds * 10 + ((*value)[i] - '0');
  }
  if (digits == 0) return std::nullopt;
  return std::chrono::seconds(seconds);
}

struct Document {
  std::string body;
  std::optional<std::chrono::seconds> max_age;
};

// A file's identity and version, as far as stat() tells.
struct FileStamp {
  int64_t mtime_sec = 0, mtime_nsec = 0, size = -1;
  uint64_t inode = 0;
  bool operator==(const FileStamp&) const = default;
};

}  // namespace

class KeySet::Impl : public std::enable_shared_from_this<KeySet::Impl> {
 public:
  using Waiter = std::function<void(const Status&)>;

  Impl(KeySetOptions options, Source source, http::AsyncClient* client, Clock* clock,
       std::shared_ptr<spdlog::logger> logger)
      : options_(std::move(options)),
        source_(source),
        client_(client),
        clock_(clock),
        logger_(std::move(logger)) {}

  Status LoadNow() {
    std::promise<Status> promise;
    std::future<Status> outcome = promise.get_future();
    Join([&promise](const Status& status) { promise.set_value(status); });
    return outcome.get();
  }

  std::shared_ptr<const Jwks> Current() {
    bool start = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      const TimePoint now = clock_->Now();
      if (!stopped_ && !in_flight_ && now >= next_refresh_) {
        StartLocked(now);
        start = true;
      }
    }
    if (start) Run();
    std::lock_guard<std::mutex> lock(mu_);
    return current_;
  }

  void RefreshForUnknownKey(std::function<void(bool)> done) {
    Waiter waiter = [done](const Status& status) { done(status.ok()); };
    bool start = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      const TimePoint now = clock_->Now();
      if (!stopped_ && in_flight_) {
        waiters_.push_back(std::move(waiter));
        return;
      }
      if (!stopped_ &&
          !(last_started_ && now - *last_started_ < options_.unknown_kid_min_interval)) {
        waiters_.push_back(std::move(waiter));
        StartLocked(now);
        start = true;
      } else if (!stopped_) {
        ++stats_.rate_limited;
      }
    }
    if (start) {
      Run();
    } else {
      done(false);
    }
  }

  Stats stats() const {
    std::lock_guard<std::mutex> lock(mu_);
    return stats_;
  }

  void Stop() {
    std::vector<uint64_t> fetches;
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopped_ = true;
      fetches = fetch_ids_;
    }
    for (uint64_t id : fetches) client_->Cancel(id);
    std::unique_lock<std::mutex> lock(mu_);
    idle_.wait(lock, [&] { return !in_flight_ && delivering_ == 0; });
  }

 private:
  // Joins the refresh in flight, or starts one; `waiter` gets its outcome.
  void Join(Waiter waiter) {
    bool start = false;
    bool stopped = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopped = stopped_;
      if (!stopped) {
        waiters_.push_back(std::move(waiter));
        if (!in_flight_) {
          StartLocked(clock_->Now());
          start = true;
        }
      }
    }
    if (stopped) {
      waiter(CancelledError("the key set is stopped"));
    } else if (start) {
      Run();
    }
  }

  // Marks a refresh started; the caller then Run()s it outside the lock.
  void StartLocked(TimePoint now) {
    in_flight_ = true;
    last_started_ = now;
  }

  // Performs the refresh marked in flight; ends in Finish().
  void Run() {
    switch (source_) {
      case Source::kFile:
        Finish(ReadFile(), std::nullopt);
        return;
      case Source::kUri:
        Fetch(options_.jwks_uri, [self = shared_from_this()](StatusOr<Document> document) {
          self->FinishWithJwks(self->options_.jwks_uri, std::move(document));
        });
        return;
      case Source::kDiscovery:
        Fetch(DiscoveryUrl(), [self = shared_from_this()](StatusOr<Document> document) {
          StatusOr<std::string> jwks_uri = document.ok() ? self->JwksUriOf(document->body)
                                                         : StatusOr<std::string>(document.status());
          if (!jwks_uri.ok()) {
            self->Finish(jwks_uri.status(), std::nullopt);
            return;
          }
          self->Fetch(*jwks_uri, [self, uri = *jwks_uri](StatusOr<Document> jwks) {
            self->FinishWithJwks(uri, std::move(jwks));
          });
        });
        return;
    }
  }

  std::string DiscoveryUrl() const {
    std::string base = options_.issuer;
    if (!base.empty() && base.back() == '/') base.pop_back();
    return base + "/.well-known/openid-configuration";
  }

  StatusOr<std::string> JwksUriOf(const std::string& body) const {
    const std::string where = "discovery document from " + UrlForLog(DiscoveryUrl());
    auto document = ParseJson(body);
    if (!document.ok()) return document.status().WithContext(where);
    if (!document->is_object()) return InvalidArgumentError(where + " is not a JSON object");
    auto issuer = document->find("issuer");
    if (issuer == document->end() || !issuer->is_string() || *issuer != options_.issuer) {
      return InvalidArgumentError(where + " does not name the configured issuer exactly");
    }
    auto jwks_uri = document->find("jwks_uri");
    if (jwks_uri == document->end() || !jwks_uri->is_string()) {
      return InvalidArgumentError(where + " has no jwks_uri");
    }
    const std::string& uri = jwks_uri->get_ref<const std::string&>();
    STEPD_RETURN_IF_ERROR(CheckUrl(uri, "the discovered jwks_uri"));
    return uri;
  }

  // GETs `url` and hands `then` its 200 body, or why not.
  void Fetch(const std::string& url, std::function<void(StatusOr<Document>)> then) {
    bool stopped = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopped = stopped_;
    }
    if (stopped) return then(CancelledError("the key set is stopped"));
    http::ClientRequest request;
    request.url = url;
    request.headers.Set("Accept", "application/json");
    request.timeout = options_.fetch_timeout;
    request.operator_configured_url = true;
    const size_t limit = options_.max_document_bytes;
    const uint64_t id = client_->Fetch(std::move(request), [url, limit, then = std::move(then)](
                                                               StatusOr<http::ClientResponse> r) {
      const std::string where = "fetching " + UrlForLog(url);
      if (!r.ok()) return then(r.status().WithContext(where));
      if (r->status != 200) {
        return then(UnavailableError(where + ": HTTP status " + std::to_string(r->status)));
      }
      if (r->body.size() > limit) {
        return then(ResourceExhaustedError(where + ": " + std::to_string(r->body.size()) +
                                           " bytes, over the limit of " + std::to_string(limit)));
      }
      then(Document{std::move(r->body), MaxAge(r->headers)});
    });
    bool cancel = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      fetch_ids_.push_back(id);
      cancel = stopped_;
    }
    if (cancel) client_->Cancel(id);
  }

  void FinishWithJwks(const std::string& url, StatusOr<Document> document) {
    if (!document.ok()) return Finish(document.status(), std::nullopt);
    auto parsed = ParseJwks(document->body, "JWKS from " + UrlForLog(url));
    Finish(std::move(parsed), document->max_age);
  }

  StatusOr<std::shared_ptr<const Jwks>> ParseJwks(std::string_view text, const std::string& where) {
    std::vector<std::string> skipped;
    auto parsed = Jwks::Parse(text, &skipped);
    if (!parsed.ok()) return parsed.status().WithContext(where);
    for (const std::string& why : skipped) logger_->warn("OIDC key skipped in {}: {}", where, why);
    return parsed;
  }

  // The file's keys; null when it is unchanged since the last good read.
  StatusOr<std::shared_ptr<const Jwks>> ReadFile() {
    const std::string where = "jwks_file " + options_.jwks_file;
    struct stat info {};
    if (::stat(options_.jwks_file.c_str(), &info) != 0) {
      return UnavailableError(where + ": " + std::strerror(errno));
    }
    const FileStamp stamp{info.st_mtim.tv_sec, info.st_mtim.tv_nsec, info.st_size,
                          static_cast<uint64_t>(info.st_ino)};
    if (stamp == file_stamp_) return std::shared_ptr<const Jwks>();
    if (static_cast<uint64_t>(info.st_size) > options_.max_document_bytes) {
      return ResourceExhaustedError(where + ": " + std::to_string(info.st_size) +
                                    " bytes, over the limit of " +
                                    std::to_string(options_.max_document_bytes));
    }
    std::ifstream in(options_.jwks_file, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    if (!in) return UnavailableError(where + ": cannot be read");
    STEPD_ASSIGN_OR_RETURN(auto keys, ParseJwks(text.str(), where));
    file_stamp_ = stamp;
    return keys;
  }

  std::string SourceName() const {
    switch (source_) {
      case Source::kFile:
        return "jwks_file " + options_.jwks_file;
      case Source::kUri:
        return "jwks_uri " + UrlForLog(options_.jwks_uri);
      case Source::kDiscovery:
        return "issuer " + options_.issuer;
    }
    return "";
  }

  // Ends the refresh in flight: installs `keys` (null: unchanged) or keeps
  // the old ones, schedules the next refresh, and tells the waiters.
  void Finish(StatusOr<std::shared_ptr<const Jwks>> keys,
              std::optional<std::chrono::seconds> max_age) {
    std::vector<Waiter> waiters;
    size_t held = 0;
    {
      std::lock_guard<std::mutex> lock(mu_);
      const TimePoint now = clock_->Now();
      if (keys.ok()) {
        if (*keys) current_ = *keys;
        ++stats_.loads;
        std::chrono::seconds interval = options_.refresh_interval;
        if (max_age) interval = std::min(std::max(*max_age, options_.retry_interval), interval);
        next_refresh_ = now + interval;
      } else {
        ++stats_.failures;
        next_refresh_ = now + options_.retry_interval;
      }
      held = current_ ? current_->size() : 0;
      in_flight_ = false;
      fetch_ids_.clear();
      waiters.swap(waiters_);
      ++delivering_;
    }
    if (!keys.ok()) {
      logger_->warn("OIDC key refresh from {} failed, keeping {} keys: {}", SourceName(), held,
                    keys.status().ToString());
    } else if (*keys) {
      logger_->info("OIDC keys loaded from {}: {} keys", SourceName(), (*keys)->size());
    }
    for (Waiter& waiter : waiters) waiter(keys.status());
    std::lock_guard<std::mutex> lock(mu_);
    --delivering_;
    idle_.notify_all();
  }

  const KeySetOptions options_;
  const Source source_;
  http::AsyncClient* const client_;
  Clock* const clock_;
  const std::shared_ptr<spdlog::logger> logger_;

  // Touched only by the refresh in flight (one at a time).
  FileStamp file_stamp_;

  mutable std::mutex mu_;
  std::condition_variable idle_;               // in_flight_ or delivering_ went down
  std::shared_ptr<const Jwks> current_;        // guarded by mu_
  bool in_flight_ = false;                     // guarded by mu_
  std::optional<TimePoint> last_started_;      // guarded by mu_
  TimePoint next_refresh_ = TimePoint::min();  // guarded by mu_
  std::vector<Waiter> waiters_;                // guarded by mu_: of the refresh in flight
  std::vector<uint64_t> fetch_ids_;            // guarded by mu_: of the refresh in flight
  int delivering_ = 0;                         // guarded by mu_: Finish calls telling waiters
  bool stopped_ = false;                       // guarded by mu_
  Stats stats_;                                // guarded by mu_
};

StatusOr<std::unique_ptr<KeySet>> KeySet::Create(KeySetOptions options, http::AsyncClient* client,
                                                 Clock* clock,
                                                 std::shared_ptr<spdlog::logger> logger) {
  if (clock == nullptr) return InvalidArgumentError("a key set needs a clock");
  if (options.refresh_interval <= std::chrono::seconds(0) ||
      options.retry_interval <= std::chrono::seconds(0)) {
    return InvalidArgumentError("key set refresh and retry intervals must be positive");
  }
  Source source;
  if (!options.jwks_file.empty()) {
    source = Source::kFile;
  } else if (!options.jwks_uri.empty()) {
    source = Source::kUri;
    STEPD_RETURN_IF_ERROR(CheckUrl(options.jwks_uri, "jwks_uri"));
  } else if (!options.issuer.empty()) {
    source = Source::kDiscovery;
    STEPD_RETURN_IF_ERROR(CheckUrl(options.issuer, "the issuer (for discovery)"));
  } else {
    return InvalidArgumentError("a key set needs a jwks_file, a jwks_uri or an issuer");
  }
  if (source != Source::kFile && client == nullptr) {
    return InvalidArgumentError("a key set fetched over HTTP needs a client");
  }
  if (!logger) logger = std::make_shared<spdlog::logger>("stepd.key_set");
  return std::unique_ptr<KeySet>(new KeySet(
      std::make_shared<Impl>(std::move(options), source, client, clock, std::move(logger))));
}

KeySet::KeySet(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
KeySet::~KeySet() { Stop(); }
Status KeySet::LoadNow() { return impl_->LoadNow(); }
std::shared_ptr<const Jwks> KeySet::Current() { return impl_->Current(); }
void KeySet::RefreshForUnknownKey(std::function<void(bool refreshed)> done) {
  impl_->RefreshForUnknownKey(std::move(done));
}
KeySet::Stats KeySet::stats() const { return impl_->stats(); }
void KeySet::Stop() { impl_->Stop(); }

}  // namespace stepd::api
