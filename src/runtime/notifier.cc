#include "stepd/runtime/notifier.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/url/parse.hpp>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <ctime>
#include <random>

#include "stepd/base/crypto.h"
#include "stepd/base/percent_encoding.h"
#include "stepd/http/async_client.h"

namespace stepd::runtime {
namespace {

using store::NotificationRecord;
using store::NotificationStatus;

constexpr int kScanBatch = 100;
constexpr char kLeaseName[] = "notifier";
constexpr size_t kMaxCauseChars = 1500;
constexpr size_t kMaxErrorChars = 300;

int64_t MillisOf(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

// The outcome a transition row stands for; empty for others.
std::string_view OutcomeOf(std::string_view action) {
  if (action == "ExecutionFailed") return "FAILED";
  if (action == "ExecutionTimedOut") return "TIMED_OUT";
  if (action == "ExecutionAborted") return "ABORTED";
  if (action == "ExecutionSucceeded") return "SUCCEEDED";
  if (action == "ExecutionRedriven") return "REDRIVEN";
  return {};
}

const std::vector<std::string>& WatchedActions() {
  static const std::vector<std::string> kActions = {"ExecutionFailed", "ExecutionTimedOut",
                                                    "ExecutionAborted", "ExecutionSucceeded",
                                                    "ExecutionRedriven"};
  return kActions;
}

bool IsAlarm(std::string_view outcome) {
  return outcome == "FAILED" || outcome == "TIMED_OUT" || outcome == "ABORTED";
}

// "...:stateMachine:NAME" (or ":execution:NAME:..." / ":express:NAME:...") -> NAME.
std::string NameAfter(std::string_view arn, std::string_view marker) {
  size_t at = arn.find(marker);
  if (at == std::string_view::npos) return {};
  std::string_view rest = arn.substr(at + marker.size());
  return std::string(rest.substr(0, rest.find(':')));
}

std::string IsoTime(int64_t ms) {
  std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[48];
  std::snprintf(out, sizeof out, "%s.%03dZ", buf, static_cast<int>(ms % 1000));
  return out;
}

// At most `max` bytes of `text`, cut at a UTF-8 character boundary, with "…"
// when cut.
std::string Truncate(std::string_view text, size_t max) {
  if (text.size() <= max) return std::string(text);
  size_t end = max;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return std::string(text.substr(0, end)) + "\xE2\x80\xA6";
}

// Slack's mrkdwn control characters in text it did not write.
std::string SlackEscape(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '&') {
      out += "&amp;";
    } else if (c == '<') {
      out += "&lt;";
    } else if (c == '>') {
      out += "&gt;";
    } else {
      out += c;
    }
  }
  return out;
}

std::string ConsoleLink(const std::string& console_url, std::string_view arn) {
  if (console_url.empty()) return {};
  std::string base = console_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base + "/console/#/executions/" + PercentEncode(arn);
}

Status Invalid(std::string_view path, std::string_view what) {
  return InvalidArgumentError(std::string(path) + ": " + std::string(what));
}

bool IsHttpUrl(std::string_view url) {
  auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed) return false;
  const auto scheme = parsed->scheme_id();
  return (scheme == boost::urls::scheme::http || scheme == boost::urls::scheme::https) &&
         !parsed->host().empty();
}

// The scheme and host of a secret URL, the rest redacted.
std::string RedactUrl(std::string_view url) {
  auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed) return "(redacted)";
  return std::string(parsed->scheme()) + "://" + std::string(parsed->encoded_host()) +
         "/\xE2\x80\xA6(redacted)";
}

std::optional<std::string> StringMember(const Json& body, const char* name, std::string_view path,
                                        Status* error) {
  if (!body.contains(name)) return std::nullopt;
  if (!body[name].is_string()) {
    *error = Invalid(path, std::string("member '") + name + "' must be a string");
    return std::nullopt;
  }
  return body[name].get<std::string>();
}

Status CheckPattern(std::string_view pattern, std::string_view path) {
  if (pattern.empty() || pattern.size() > 80) {
    return Invalid(path, "a state machine pattern must have 1 to 80 characters");
  }
  for (unsigned char c : pattern) {
    if (c <= 0x20 || c == 0x7f ||
        std::string_view("<>{}[]\"#%\\^|~`$&,;:/").find(static_cast<char>(c)) !=
            std::string_view::npos) {
      return Invalid(path, "bad state machine pattern '" + std::string(pattern) +
                               "': only name characters, '*' and '?' are allowed");
    }
  }
  return Status::OK();
}

std::optional<std::chrono::milliseconds> RetryAfter(const http::ClientResponse& response) {
  auto value = response.headers.Get("Retry-After");
  if (!value) return std::nullopt;
  int64_t seconds = 0;
  auto [end, ec] = std::from_chars(value->data(), value->data() + value->size(), seconds);
  if (ec != std::errc() || end != value->data() + value->size() || seconds < 0) {
    return std::nullopt;
  }
  return std::chrono::seconds(std::min<int64_t>(seconds, 24 * 3600));
}

bool Retryable(int status) { return status >= 500 || status == 408 || status == 429; }

}  // namespace

bool IsNotificationOutcome(std::string_view outcome) {
  return outcome == "FAILED" || outcome == "TIMED_OUT" || outcome == "ABORTED" ||
         outcome == "SUCCEEDED" || outcome == "REDRIVEN";
}

bool GlobMatches(std::string_view pattern, std::string_view name) {
  size_t p = 0, n = 0, star = std::string_view::npos, mark = 0;
  while (n < name.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == name[n])) {
      ++p;
      ++n;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = n;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      n = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

Status CheckNotificationName(std::string_view name, std::string_view path) {
  if (name.empty() || name.size() > 64) return Invalid(path, "a name must have 1 to 64 characters");
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') {
      return Invalid(
          path, "name '" + std::string(name) + "' may hold only letters, digits, '-', '_' and '.'");
    }
  }
  return Status::OK();
}

StatusOr<NotificationSink> ParseNotificationSink(const std::string& name, const Json& body,
                                                 std::string_view path) {
  STEPD_RETURN_IF_ERROR(CheckNotificationName(name, path));
  if (!body.is_object()) return Invalid(path, "a sink must be an object");
  NotificationSink sink;
  sink.name = name;
  Status error;
  auto type = StringMember(body, "type", path, &error);
  STEPD_RETURN_IF_ERROR(error);
  if (!type) return Invalid(path, "member 'type' is required (slack, pagerduty or webhook)");
  sink.type = *type;
  std::vector<std::string_view> allowed = {"type"};
  if (sink.type == "slack") {
    allowed.insert(allowed.end(), {"url"});
  } else if (sink.type == "pagerduty") {
    allowed.insert(allowed.end(), {"routing_key", "events_url", "severity"});
  } else if (sink.type == "webhook") {
    allowed.insert(allowed.end(), {"url", "secret"});
  } else {
    return Invalid(path, "unknown sink type '" + sink.type + "' (slack, pagerduty or webhook)");
  }
  for (const auto& [key, value] : body.items()) {
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      return Invalid(path, "unknown member '" + key + "' for a " + sink.type + " sink");
    }
  }
  if (sink.type == "slack" || sink.type == "webhook") {
    auto url = StringMember(body, "url", path, &error);
    STEPD_RETURN_IF_ERROR(error);
    if (!url) return Invalid(path, "member 'url' is required");
    if (!IsHttpUrl(*url)) return Invalid(path, "member 'url' is not an http(s) URL");
    sink.url = *url;
  }
  if (sink.type == "webhook") {
    auto secret = StringMember(body, "secret", path, &error);
    STEPD_RETURN_IF_ERROR(error);
    if (!secret) return Invalid(path, "member 'secret' (the HMAC-SHA256 key) is required");
    if (secret->size() < 16)
      return Invalid(path, "member 'secret' must have at least 16 characters");
    sink.secret = *secret;
  }
  if (sink.type == "pagerduty") {
    auto key = StringMember(body, "routing_key", path, &error);
    STEPD_RETURN_IF_ERROR(error);
    if (!key || key->empty()) return Invalid(path, "member 'routing_key' is required");
    sink.routing_key = *key;
    auto events_url = StringMember(body, "events_url", path, &error);
    STEPD_RETURN_IF_ERROR(error);
    if (events_url) {
      if (!IsHttpUrl(*events_url))
        return Invalid(path, "member 'events_url' is not an http(s) URL");
      sink.events_url = *events_url;
    }
    auto severity = StringMember(body, "severity", path, &error);
    STEPD_RETURN_IF_ERROR(error);
    if (severity) {
      if (*severity != "critical" && *severity != "error" && *severity != "warning" &&
          *severity != "info") {
        return Invalid(path,
                       "unknown severity '" + *severity + "' (critical, error, warning or info)");
      }
      sink.severity = *severity;
    }
  }
  return sink;
}

StatusOr<NotificationRule> ParseNotificationRule(const std::string& name, const Json& body,
                                                 std::string_view path) {
  STEPD_RETURN_IF_ERROR(CheckNotificationName(name, path));
  if (!body.is_object()) return Invalid(path, "a rule must be an object");
  for (const auto& [key, value] : body.items()) {
    if (key != "state_machines" && key != "outcomes" && key != "sink") {
      return Invalid(path, "unknown member '" + key + "' (state_machines, outcomes, sink)");
    }
  }
  NotificationRule rule;
  rule.name = name;
  Status error;
  auto sink = StringMember(body, "sink", path, &error);
  STEPD_RETURN_IF_ERROR(error);
  if (!sink || sink->empty()) return Invalid(path, "member 'sink' is required");
  rule.sink = *sink;
  auto strings = [&](const char* member, std::vector<std::string>* out) -> Status {
    if (!body.contains(member)) return Status::OK();
    const Json& list = body[member];
    if (!list.is_array()) {
      return Invalid(path, std::string("member '") + member + "' must be an array of strings");
    }
    for (const Json& v : list) {
      if (!v.is_string()) {
        return Invalid(path, std::string("member '") + member + "' must be an array of strings");
      }
      out->push_back(v.get<std::string>());
    }
    return Status::OK();
  };
  STEPD_RETURN_IF_ERROR(strings("state_machines", &rule.state_machines));
  STEPD_RETURN_IF_ERROR(strings("outcomes", &rule.outcomes));
  for (const std::string& pattern : rule.state_machines) {
    STEPD_RETURN_IF_ERROR(CheckPattern(pattern, path));
  }
  if (rule.outcomes.empty()) {
    return Invalid(path,
                   "member 'outcomes' needs at least one of FAILED, TIMED_OUT, ABORTED, "
                   "SUCCEEDED, REDRIVEN");
  }
  for (const std::string& outcome : rule.outcomes) {
    if (!IsNotificationOutcome(outcome)) {
      return Invalid(path, "unknown outcome '" + outcome +
                               "' (FAILED, TIMED_OUT, ABORTED, SUCCEEDED, REDRIVEN)");
    }
  }
  return rule;
}

Json RedactedSinkJson(const NotificationSink& sink) {
  Json j = {{"name", sink.name}, {"type", sink.type}};
  if (sink.type == "slack" || sink.type == "webhook") j["url"] = RedactUrl(sink.url);
  if (sink.type == "webhook") j["secret"] = "(redacted)";
  if (sink.type == "pagerduty") {
    j["routing_key"] = "(redacted)";
    j["events_url"] = sink.events_url;
    j["severity"] = sink.severity;
  }
  j["source"] = sink.source;
  return j;
}

Json RuleJson(const NotificationRule& rule) {
  return Json{{"name", rule.name},
              {"state_machines", rule.state_machines},
              {"outcomes", rule.outcomes},
              {"sink", rule.sink},
              {"source", rule.source}};
}

std::chrono::milliseconds NotificationBackoff(
    const NotifierOptions& options, int attempts, double jitter,
    std::optional<std::chrono::milliseconds> retry_after) {
  using std::chrono::milliseconds;
  const int64_t cap = std::max<int64_t>(options.max_backoff.count(), 1);
  int64_t base = std::max<int64_t>(options.initial_backoff.count(), 1);
  for (int i = 1; i < attempts && base < cap; ++i) base *= 2;
  base = std::min(base, cap);
  int64_t delay = base + static_cast<int64_t>(static_cast<double>(base) * 0.2 * jitter);
  if (retry_after && retry_after->count() > delay) delay = retry_after->count();
  return milliseconds(std::min(delay, cap));
}

http::ClientRequest BuildNotificationRequest(const NotificationRecord& item,
                                             const NotificationSink& sink,
                                             const std::string& console_url, int64_t now_ms) {
  const Json event = Json::parse(item.event_json, nullptr, false);
  auto text = [&](const char* member) {
    return event.is_object() && event.contains(member) && event[member].is_string()
               ? event[member].get<std::string>()
               : std::string();
  };
  const std::string machine = text("state_machine");
  const std::string execution = text("execution");
  const std::string failed_state = text("failed_state");
  const std::string error = text("error");
  const std::string cause = text("cause");
  const int64_t redrives = event.is_object() ? event.value("redrive_count", int64_t{0}) : 0;
  const std::string link = ConsoleLink(console_url, item.execution_arn);

  http::ClientRequest request;
  request.method = "POST";
  request.operator_configured_url = true;  // the operator's sink, not a workflow's choice
  request.headers.Set("Content-Type", "application/json");
  Json body;
  if (sink.type == "slack") {
    request.url = sink.url;
    std::string summary = "stepd: execution " + execution + " of " + machine + " " + item.outcome;
    if (!error.empty()) summary += ": " + error;
    Json fields = Json::array();
    auto field = [&](std::string_view label, const std::string& value) {
      if (value.empty()) return;
      fields.push_back(
          {{"type", "mrkdwn"}, {"text", "*" + std::string(label) + "*\n" + SlackEscape(value)}});
    };
    field("Execution", execution);
    field("Failed state", failed_state);
    field("Error", Truncate(error, kMaxErrorChars));
    field("Redrives", std::to_string(redrives));
    Json blocks = Json::array();
    blocks.push_back({{"type", "header"},
                      {"text",
                       {{"type", "plain_text"},
                        {"text", Truncate(item.outcome + ": " + machine, 140)},
                        {"emoji", true}}}});
    blocks.push_back({{"type", "section"}, {"fields", fields}});
    if (!cause.empty()) {
      blocks.push_back(
          {{"type", "section"},
           {"text",
            {{"type", "mrkdwn"},
             {"text", "*Cause*\n```" + SlackEscape(Truncate(cause, kMaxCauseChars)) + "```"}}}});
    }
    if (!link.empty()) {
      blocks.push_back(
          {{"type", "section"},
           {"text", {{"type", "mrkdwn"}, {"text", "<" + link + "|Open in the stepd console>"}}}});
    }
    body = {{"text", SlackEscape(Truncate(summary, 2000))}, {"blocks", blocks}};
  } else if (sink.type == "pagerduty") {
    request.url = sink.events_url;
    body = {{"routing_key", sink.routing_key},
            {"event_action", item.kind == "resolve" ? "resolve" : "trigger"},
            {"dedup_key", item.execution_arn}};
    if (item.kind != "resolve") {
      std::string summary = machine + "/" + execution + " " + item.outcome;
      if (!failed_state.empty()) summary += " in " + failed_state;
      if (!error.empty()) summary += ": " + error;
      Json details = event.is_object() ? event : Json::object();
      if (details.contains("cause") && details["cause"].is_string()) {
        details["cause"] = Truncate(details["cause"].get<std::string>(), kMaxCauseChars);
      }
      body["payload"] = {{"summary", Truncate(summary, 1000)},
                         {"source", "stepd"},
                         {"severity", sink.severity},
                         {"component", machine},
                         {"group", "stepd"},
                         {"class", error.empty() ? item.outcome : error},
                         {"custom_details", details}};
      body["client"] = "stepd";
      if (!link.empty()) {
        body["client_url"] = link;
        body["links"] = Json::array({{{"href", link}, {"text", "Execution in the stepd console"}}});
      }
    }
  } else {
    request.url = sink.url;
    body = {{"schema", "stepd.notification.v1"},
            {"delivery_id", "ntf-" + std::to_string(item.id)},
            {"rule", item.rule},
            {"outcome", item.outcome},
            {"kind", item.kind}};
    if (event.is_object()) {
      for (const auto& [key, value] : event.items()) body[key] = value;
    }
    if (!link.empty()) body["console_url"] = link;
  }
  request.body = body.dump(-1, ' ', false, Json::error_handler_t::replace);
  if (sink.type == "webhook") {
    const std::string timestamp = std::to_string(now_ms / 1000);
    request.headers.Set("X-Stepd-Timestamp", timestamp);
    request.headers.Set("X-Stepd-Delivery", "ntf-" + std::to_string(item.id));
    request.headers.Set(
        "X-Stepd-Signature",
        "sha256=" + HexEncode(HmacSha256(sink.secret, timestamp + "." + request.body)));
  }
  return request;
}

// --- Notifier ------------------------------------------------------------------------

Notifier::Notifier(NotifierOptions options, store::Store* store, Clock* clock,
                   http::AsyncClient* client, const SecretBox* secrets,
                   std::shared_ptr<spdlog::logger> logger)
    : options_(std::move(options)),
      store_(store),
      clock_(clock),
      client_(client),
      secrets_(secrets),
      log_(logger ? std::move(logger) : spdlog::default_logger()) {}

Notifier::~Notifier() { Stop(); }

Status Notifier::Start() {
  if (!options_.node_id.empty()) {
    std::lock_guard lock(mu_);
    if (worker_.joinable()) return Status::OK();  // the lease is the worker's
  }
  STEPD_ASSIGN_OR_RETURN(std::optional<int64_t> cursor, store_->GetNotificationCursor());
  if (!cursor && KeepLease(MillisOf(clock_->Now()))) {
    // The very first start: what happened before is not news.
    STEPD_ASSIGN_OR_RETURN(store::AuditHead head, store_->GetAuditHead());
    Status placed = store_->EnqueueNotifications(head.seq, {}).status();
    // Another node placed it (further on) since it was read: so be it.
    if (!options_.node_id.empty() && placed.code() == StatusCode::kFailedPrecondition) {
      placed = Status::OK();
    }
    STEPD_RETURN_IF_ERROR(placed);
  }
  std::lock_guard lock(mu_);
  if (worker_.joinable()) return Status::OK();
  stopping_ = false;
  worker_ = std::thread([this] { Run(); });
  return Status::OK();
}

void Notifier::Stop() {
  bool running;
  {
    std::lock_guard lock(mu_);
    running = worker_.joinable();
    if (running) stopping_ = true;
  }
  if (running) {
    cv_.notify_all();
    worker_.join();
  }
  GiveUpLease();
}

int64_t Notifier::LeaseRenewMs() const {
  return std::max<int64_t>(1, options_.lease_time.count() / 5);
}

bool Notifier::HoldsLease(int64_t now_ms) const {
  if (options_.node_id.empty()) return true;
  return lease_held_ && now_ms < lease_expires_ms_ - LeaseRenewMs();
}

bool Notifier::KeepLease(int64_t now_ms, bool force) {
  if (options_.node_id.empty()) return true;
  if (!force && now_ms < lease_next_try_ms_) return HoldsLease(now_ms);
  lease_next_try_ms_ = now_ms + LeaseRenewMs();
  StatusOr<bool> held = store_->AcquireLease(kLeaseName, options_.node_id, now_ms,
                                             now_ms + options_.lease_time.count());
  if (!held.ok()) {
    log_->warn("notifications: cannot renew or take the lease '{}': {}", kLeaseName,
               held.status().ToString());
    return !force && HoldsLease(now_ms);
  }
  if (*held != lease_held_) {
    if (*held) {
      log_->info("notifications: node '{}' took the lease '{}': it queues and delivers them",
                 options_.node_id, kLeaseName);
    } else {
      log_->warn("notifications: node '{}' lost the lease '{}': another node delivers them",
                 options_.node_id, kLeaseName);
    }
  }
  lease_held_ = *held;
  if (lease_held_) lease_expires_ms_ = now_ms + options_.lease_time.count();
  return lease_held_;
}

void Notifier::GiveUpLease() {
  if (options_.node_id.empty() || !lease_held_) return;
  lease_held_ = false;
  lease_next_try_ms_ = 0;
  if (Status released = store_->ReleaseLease(kLeaseName, options_.node_id); !released.ok()) {
    log_->warn("notifications: cannot give the lease '{}' up (it expires by itself): {}",
               kLeaseName, released.ToString());
  }
}

void Notifier::Wake() {
  {
    std::lock_guard lock(mu_);
    woken_ = true;
  }
  cv_.notify_all();
}

void Notifier::Run() {
  std::unique_lock lock(mu_);
  auto record_answers = [&] {
    while (!answers_.empty()) {
      Answer answer = std::move(answers_.front());
      answers_.pop_front();
      in_flight_.erase(answer.item.id);
      fetch_ids_.erase(answer.item.id);
      lock.unlock();
      Record(answer);
      lock.lock();
    }
  };
  while (true) {
    record_answers();
    if (stopping_) {
      // Deliveries in flight are cancelled (they stay PENDING); their
      // callbacks must have run before the notifier goes.
      std::vector<uint64_t> fetches;
      for (const auto& [id, fetch] : fetch_ids_) fetches.push_back(fetch);
      lock.unlock();
      for (uint64_t fetch : fetches) client_->Cancel(fetch);
      lock.lock();
      cv_.wait(lock, [this] { return in_flight_.size() == answers_.size(); });
      record_answers();
      return;
    }
    woken_ = false;
    lock.unlock();
    bool more = false;
    // With node_id: only while this node holds the lease.
    if (KeepLease(MillisOf(clock_->Now()))) {
      if (auto scanned = ScanAudit(); !scanned.ok()) {
        log_->warn("notifications: cannot read the audit chain: {}", scanned.status().ToString());
      } else {
        more = *scanned;
      }
      if (Status delivered = DeliverDue(); !delivered.ok()) {
        log_->warn("notifications: cannot read the outbox: {}", delivered.ToString());
      }
    }
    if (auto pending = store_->CountNotifications(NotificationStatus::kPending); pending.ok()) {
      std::lock_guard stats_lock(stats_mu_);
      stats_.pending = *pending;
    }
    lock.lock();
    if (more) continue;
    auto wait = options_.poll_interval;
    if (!options_.node_id.empty()) wait = std::min(wait, std::chrono::milliseconds(LeaseRenewMs()));
    cv_.wait_for(lock, wait, [this] { return stopping_ || woken_ || !answers_.empty(); });
  }
}

StatusOr<bool> Notifier::ScanAudit() {
  STEPD_ASSIGN_OR_RETURN(std::optional<int64_t> stored, store_->GetNotificationCursor());
  if (!stored && !options_.node_id.empty()) {
    // Start() did not hold the lease, and no holder placed the cursor yet:
    // from the head on, as on a first start.
    STEPD_ASSIGN_OR_RETURN(store::AuditHead head, store_->GetAuditHead());
    STEPD_RETURN_IF_ERROR(store_->EnqueueNotifications(head.seq, {}).status());
    return false;
  }
  const int64_t cursor = stored.value_or(0);
  STEPD_ASSIGN_OR_RETURN(store::AuditHead head, store_->GetAuditHead());
  if (head.seq <= cursor) return false;
  STEPD_ASSIGN_OR_RETURN(std::vector<store::AuditRecord> rows,
                         store_->ListAuditTransitionsAfter(cursor, WatchedActions(), kScanBatch));
  // Rows past the head read first wait for the next round; with a full
  // batch, the cursor stops at its last row.
  int64_t next = head.seq;
  bool more = false;
  if (static_cast<int>(rows.size()) == kScanBatch && rows.back().seq <= head.seq) {
    next = rows.back().seq;
    more = true;
  }
  std::vector<NotificationRecord> items;
  bool loaded = false;
  std::vector<NotificationRule> rules;
  std::vector<NotificationSink> sinks;
  for (const store::AuditRecord& row : rows) {
    if (row.seq > next) break;
    if (!loaded) {
      STEPD_ASSIGN_OR_RETURN(rules, Rules());
      STEPD_ASSIGN_OR_RETURN(sinks, Sinks());
      loaded = true;
    }
    STEPD_ASSIGN_OR_RETURN(std::vector<NotificationRecord> for_row, ItemsFor(row, rules, sinks));
    // A resolve queued in this batch for a trigger of the same batch.
    for (NotificationRecord& item : for_row) items.push_back(std::move(item));
  }
  if (!options_.node_id.empty() && !items.empty()) {
    // EnqueueNotifications takes the same cursor twice: a node that lost
    // the lease while it scanned (paused) must not queue these again.
    // Renewed, the lease is ours for lease_time from here on.
    if (!KeepLease(MillisOf(clock_->Now()), /*force=*/true)) return false;
    STEPD_ASSIGN_OR_RETURN(std::optional<int64_t> again, store_->GetNotificationCursor());
    if (again.value_or(0) != cursor) return true;  // queued by another node meanwhile: read again
  }
  STEPD_RETURN_IF_ERROR(store_->EnqueueNotifications(next, items).status());
  if (!items.empty()) {
    log_->info("notifications: queued {} for audit rows up to seq {}", items.size(), next);
  }
  return more;
}

StatusOr<std::vector<NotificationRecord>> Notifier::ItemsFor(
    const store::AuditRecord& row, const std::vector<NotificationRule>& rules,
    const std::vector<NotificationSink>& sinks) {
  std::vector<NotificationRecord> items;
  const std::string outcome(OutcomeOf(row.entry.action));
  if (outcome.empty()) return items;
  const std::string& arn = row.entry.target;
  auto execution = store_->GetExecution(arn);
  if (execution.status().code() == StatusCode::kNotFound) return items;  // purged since
  STEPD_RETURN_IF_ERROR(execution.status());
  // A Map Run's children are reported through their parent.
  if (!execution->map_run_arn.empty()) return items;
  const std::string machine = NameAfter(execution->state_machine_arn, ":stateMachine:");
  auto sink_of = [&](const std::string& name) -> const NotificationSink* {
    for (const NotificationSink& s : sinks) {
      if (s.name == name) return &s;
    }
    return nullptr;
  };
  std::optional<Json> event;
  const int64_t now = MillisOf(clock_->Now());
  auto add = [&](const std::string& rule, const NotificationSink& sink,
                 const std::string& kind) -> Status {
    for (const NotificationRecord& queued : items) {
      if (queued.sink == sink.name && queued.kind == kind) return Status::OK();
    }
    if (!event) {
      STEPD_ASSIGN_OR_RETURN(Json described, DescribeEvent(row, outcome));
      event = std::move(described);
    }
    NotificationRecord item;
    item.audit_seq = row.seq;
    item.rule = rule;
    item.sink = sink.name;
    item.sink_type = sink.type;
    item.kind = kind;
    item.outcome = outcome;
    item.execution_arn = arn;
    item.event_json = event->dump(-1, ' ', false, Json::error_handler_t::replace);
    item.created_ms = now;
    item.next_attempt_ms = now;
    item.updated_ms = now;
    items.push_back(std::move(item));
    return Status::OK();
  };
  // Resolves first: a PagerDuty sink that got a trigger for this execution
  // hears that it succeeded after a redrive, whatever the rules say.
  std::set<std::string> resolved;
  if (outcome == "SUCCEEDED" && execution->redrive_count > 0) {
    store::NotificationFilter filter;
    filter.execution_arn = arn;
    store::PageRequest page;
    page.max_results = 1000;
    STEPD_ASSIGN_OR_RETURN(auto earlier, store_->ListNotifications(filter, page));
    for (const NotificationRecord& n : earlier.items) {
      if (n.sink_type != "pagerduty" || n.kind != "trigger" || resolved.count(n.sink)) continue;
      const NotificationSink* sink = sink_of(n.sink);
      if (sink == nullptr || sink->type != "pagerduty") continue;
      resolved.insert(n.sink);
      STEPD_RETURN_IF_ERROR(add("", *sink, "resolve"));
    }
  }
  for (const NotificationRule& rule : rules) {
    if (std::find(rule.outcomes.begin(), rule.outcomes.end(), outcome) == rule.outcomes.end()) {
      continue;
    }
    if (!rule.state_machines.empty() &&
        std::none_of(rule.state_machines.begin(), rule.state_machines.end(),
                     [&](const std::string& p) { return GlobMatches(p, machine); })) {
      continue;
    }
    const NotificationSink* sink = sink_of(rule.sink);
    if (sink == nullptr) {
      log_->warn("notifications: rule '{}' names sink '{}', which does not exist", rule.name,
                 rule.sink);
      continue;
    }
    if (sink->type == "pagerduty") {
      // PagerDuty alerts: triggered by failures, resolved (above) by a
      // success after a redrive; other outcomes are not alerts.
      if (!IsAlarm(outcome)) continue;
      STEPD_RETURN_IF_ERROR(add(rule.name, *sink, "trigger"));
    } else {
      STEPD_RETURN_IF_ERROR(add(rule.name, *sink, "message"));
    }
  }
  return items;
}

StatusOr<Json> Notifier::DescribeEvent(const store::AuditRecord& row, const std::string& outcome) {
  const std::string& arn = row.entry.target;
  STEPD_ASSIGN_OR_RETURN(store::ExecutionRecord e, store_->GetExecution(arn));
  Json j = {{"outcome", outcome},
            {"state_machine", NameAfter(e.state_machine_arn, ":stateMachine:")},
            {"state_machine_arn", e.state_machine_arn},
            {"execution", e.name},
            {"execution_arn", arn},
            {"status", outcome == "REDRIVEN" ? "RUNNING" : outcome},
            {"timestamp", IsoTime(row.entry.timestamp_ms)},
            {"start_time", IsoTime(e.start_time_ms)},
            {"redrive_count", e.redrive_count}};
  if (outcome != "REDRIVEN") j["stop_time"] = IsoTime(row.entry.timestamp_ms);
  // The end event's details (error, cause) and the last state entered
  // before it, newest first from the history.
  std::string error, cause, failed_state;
  bool found_end = false;
  store::PageRequest page;
  page.max_results = 200;
  for (int pages = 0; pages < 10; ++pages) {
    STEPD_ASSIGN_OR_RETURN(auto history, store_->GetHistory(arn, page, /*reverse=*/true));
    for (const store::HistoryEventRecord& ev : history.items) {
      if (ev.event_id > row.entry.event_id) continue;
      if (ev.event_id == row.entry.event_id) {
        found_end = true;
        const Json details = Json::parse(ev.details_json, nullptr, false);
        if (details.is_object()) {
          if (details.contains("error") && details["error"].is_string()) {
            error = details["error"].get<std::string>();
          }
          if (details.contains("cause") && details["cause"].is_string()) {
            cause = details["cause"].get<std::string>();
          }
        }
        continue;
      }
      if (found_end && ev.type.ends_with("StateEntered")) {
        const Json details = Json::parse(ev.details_json, nullptr, false);
        if (details.is_object() && details.contains("name") && details["name"].is_string()) {
          failed_state = details["name"].get<std::string>();
        }
        break;
      }
    }
    if (!failed_state.empty() || history.next_token.empty()) break;
    page.next_token = history.next_token;
  }
  if (IsAlarm(outcome)) {
    if (error.empty() && e.error) error = *e.error;
    if (cause.empty() && e.cause) cause = *e.cause;
    if (!failed_state.empty()) j["failed_state"] = failed_state;
    if (!error.empty()) j["error"] = error;
    if (!cause.empty()) j["cause"] = cause;
  }
  return j;
}

Status Notifier::DeliverDue() {
  const int64_t now = MillisOf(clock_->Now());
  STEPD_ASSIGN_OR_RETURN(
      std::vector<NotificationRecord> due,
      store_->ListDueNotifications(now, std::max(options_.max_in_flight, 1) * 2));
  if (due.empty()) return Status::OK();
  // One read (and unsealing) of the sinks per pass, not one per item.
  STEPD_ASSIGN_OR_RETURN(std::vector<NotificationSink> sinks, Sinks());
  auto find_sink = [&sinks](const std::string& name) -> const NotificationSink* {
    for (const NotificationSink& s : sinks) {
      if (s.name == name) return &s;
    }
    return nullptr;
  };
  for (NotificationRecord& item : due) {
    // The lease lost or not renewed in time: the next holder sends the rest.
    if (!options_.node_id.empty() && !HoldsLease(MillisOf(clock_->Now()))) break;
    {
      std::lock_guard lock(mu_);
      if (stopping_ || static_cast<int>(in_flight_.size()) >= options_.max_in_flight) break;
      if (in_flight_.count(item.id)) continue;
    }
    const NotificationSink* sink = find_sink(item.sink);
    if (sink == nullptr) {
      Answer gone{item,
                  item.sink_type,
                  NotFoundError("sink '" + item.sink + "' no longer exists"),
                  {},
                  std::nullopt};
      Record(gone);
      continue;
    }
    http::ClientRequest request = BuildNotificationRequest(item, *sink, options_.console_url, now);
    request.timeout = options_.request_timeout;
    {
      std::lock_guard lock(mu_);
      in_flight_.insert(item.id);
    }
    const int64_t id = item.id;
    // Not under mu_: a stopped client calls back inside Fetch. The callback
    // only hands the answer to the worker (it runs on an I/O thread).
    const uint64_t fetch =
        client_->Fetch(std::move(request),
                       [this, item, type = sink->type](StatusOr<http::ClientResponse> response) {
                         Answer answer{item, type, 0, {}, std::nullopt};
                         if (response.ok()) {
                           answer.status_code = response->status;
                           answer.reason = response->reason;
                           answer.retry_after = RetryAfter(*response);
                         } else {
                           answer.status_code = response.status();
                         }
                         // Notified under mu_: once Stop() sees the answer the
                         // notifier may be destroyed, cv_ with it (ThreadSanitizer).
                         std::lock_guard answered(mu_);
                         answers_.push_back(std::move(answer));
                         cv_.notify_all();
                       });
    std::lock_guard lock(mu_);
    fetch_ids_[id] = fetch;  // erased when its answer is taken
  }
  return Status::OK();
}

void Notifier::Record(const Answer& answer) {
  const NotificationRecord& item = answer.item;
  if (!answer.status_code.ok() && answer.status_code.status().code() == StatusCode::kCancelled) {
    return;  // stopping: stays PENDING, sent after the restart
  }
  const int64_t now = MillisOf(clock_->Now());
  store::NotificationAttempt attempt;
  attempt.attempts = item.attempts + 1;
  attempt.now_ms = now;
  attempt.next_attempt_ms = item.next_attempt_ms;
  bool retry = false;
  if (answer.status_code.ok() && *answer.status_code >= 200 && *answer.status_code < 300) {
    attempt.status = NotificationStatus::kDelivered;
  } else {
    if (answer.status_code.ok()) {
      const int code = *answer.status_code;
      attempt.last_error = "HTTP " + std::to_string(code);
      if (!answer.reason.empty()) attempt.last_error += " " + Truncate(answer.reason, 100);
      retry = Retryable(code);
    } else {
      const Status& s = answer.status_code.status();
      attempt.last_error = std::string(StatusCodeName(s.code())) + ": " + s.message();
      retry = s.code() != StatusCode::kNotFound && s.code() != StatusCode::kInvalidArgument &&
              s.code() != StatusCode::kPermissionDenied;
    }
    if (retry && attempt.attempts < options_.max_attempts) {
      static thread_local std::mt19937 random{std::random_device{}()};
      const double jitter = std::uniform_real_distribution<double>(0.0, 1.0)(random);
      attempt.status = NotificationStatus::kPending;
      attempt.next_attempt_ms =
          now + NotificationBackoff(options_, attempt.attempts, jitter, answer.retry_after).count();
    } else {
      attempt.status = NotificationStatus::kDeadLetter;
    }
  }
  // stats_mu_ is held across the write, so that whoever sees the attempt in
  // the store and then asks for Stats() sees it counted.
  std::lock_guard lock(stats_mu_);
  if (Status recorded = store_->RecordNotificationAttempt(item.id, attempt); !recorded.ok()) {
    log_->warn("notifications: cannot record the delivery of notification {}: {}", item.id,
               recorded.ToString());
    return;
  }
  if (attempt.status == NotificationStatus::kDelivered) {
    ++stats_.delivered[answer.sink_type];
    stats_.last_delivery_latency_ms = now - item.created_ms;
    return;
  }
  ++stats_.failed_attempts[answer.sink_type];
  if (attempt.status == NotificationStatus::kDeadLetter) {
    ++stats_.dead_lettered[answer.sink_type];
    log_->warn(
        "notifications: notification {} to sink '{}' is a dead letter after {} attempt(s): {}",
        item.id, item.sink, attempt.attempts, attempt.last_error);
  } else {
    log_->info("notifications: notification {} to sink '{}' failed ({}), attempt {} of {}", item.id,
               item.sink, attempt.last_error, attempt.attempts, options_.max_attempts);
  }
}

// --- Sinks and rules ---------------------------------------------------------------

namespace {
std::string SinkAad(std::string_view name) { return "notification-sink " + std::string(name); }
}  // namespace

StatusOr<std::vector<NotificationSink>> Notifier::StoredSinks() const {
  STEPD_ASSIGN_OR_RETURN(std::vector<store::NotificationSinkRecord> records,
                         store_->ListNotificationSinks());
  std::vector<NotificationSink> sinks;
  for (const store::NotificationSinkRecord& r : records) {
    if (secrets_ == nullptr) {
      return FailedPreconditionError("notification sink '" + r.name +
                                     "' is sealed, and no secrets key is loaded");
    }
    StatusOr<std::string> opened = secrets_->Open(r.sealed_secrets, SinkAad(r.name));
    if (!opened.ok()) return opened.status().WithContext("notification sink '" + r.name + "'");
    Json secrets = Json::parse(*opened, nullptr, false);
    Json settings = Json::parse(r.settings_json, nullptr, false);
    if (!secrets.is_object()) secrets = Json::object();
    if (!settings.is_object()) settings = Json::object();
    NotificationSink s;
    s.name = r.name;
    s.type = r.type;
    s.url = secrets.value("url", std::string());
    s.routing_key = secrets.value("routing_key", std::string());
    s.secret = secrets.value("secret", std::string());
    s.events_url = settings.value("events_url", std::string(kDefaultPagerDutyEventsUrl));
    s.severity = settings.value("severity", std::string("error"));
    s.source = "api";
    sinks.push_back(std::move(s));
  }
  return sinks;
}

StatusOr<std::vector<NotificationSink>> Notifier::Sinks() const {
  std::vector<NotificationSink> sinks = options_.sinks;
  for (NotificationSink& s : sinks) s.source = "config";
  STEPD_ASSIGN_OR_RETURN(std::vector<NotificationSink> stored, StoredSinks());
  for (NotificationSink& s : stored) sinks.push_back(std::move(s));
  return sinks;
}

StatusOr<std::optional<NotificationSink>> Notifier::FindSink(std::string_view name) const {
  STEPD_ASSIGN_OR_RETURN(std::vector<NotificationSink> sinks, Sinks());
  for (NotificationSink& s : sinks) {
    if (s.name == name) return std::optional<NotificationSink>(std::move(s));
  }
  return std::optional<NotificationSink>();
}

StatusOr<std::vector<NotificationRule>> Notifier::Rules() const {
  std::vector<NotificationRule> rules = options_.rules;
  for (NotificationRule& r : rules) r.source = "config";
  STEPD_ASSIGN_OR_RETURN(std::vector<store::NotificationRuleRecord> records,
                         store_->ListNotificationRules());
  for (const store::NotificationRuleRecord& r : records) {
    rules.push_back(NotificationRule{r.name, r.state_machines, r.outcomes, r.sink, "api"});
  }
  return rules;
}

StatusOr<bool> Notifier::PutSink(const NotificationSink& sink,
                                 const std::vector<store::AuditEntry>& audit) {
  for (const NotificationSink& s : options_.sinks) {
    if (s.name == sink.name) {
      return FailedPreconditionError("sink '" + sink.name +
                                     "' is defined in the config file and cannot be changed "
                                     "through the API");
    }
  }
  if (secrets_ == nullptr) {
    return FailedPreconditionError("no secrets key is loaded: sinks cannot be stored");
  }
  Json secrets = Json::object();
  if (!sink.url.empty()) secrets["url"] = sink.url;
  if (!sink.routing_key.empty()) secrets["routing_key"] = sink.routing_key;
  if (!sink.secret.empty()) secrets["secret"] = sink.secret;
  Json settings = Json::object();
  if (sink.type == "pagerduty") {
    settings["events_url"] = sink.events_url;
    settings["severity"] = sink.severity;
  }
  const int64_t now = MillisOf(clock_->Now());
  store::NotificationSinkRecord record{
      sink.name, sink.type, settings.dump(), secrets_->Seal(secrets.dump(), SinkAad(sink.name)),
      now,       now};
  return store_->PutNotificationSink(record, audit);
}

Status Notifier::DeleteSink(std::string_view name, const std::vector<store::AuditEntry>& audit) {
  for (const NotificationSink& s : options_.sinks) {
    if (s.name == name) {
      return FailedPreconditionError("sink '" + std::string(name) +
                                     "' is defined in the config file and cannot be deleted "
                                     "through the API");
    }
  }
  return store_->DeleteNotificationSink(name, audit);
}

StatusOr<bool> Notifier::PutRule(const NotificationRule& rule,
                                 const std::vector<store::AuditEntry>& audit) {
  for (const NotificationRule& r : options_.rules) {
    if (r.name == rule.name) {
      return FailedPreconditionError("rule '" + rule.name +
                                     "' is defined in the config file and cannot be changed "
                                     "through the API");
    }
  }
  STEPD_ASSIGN_OR_RETURN(std::optional<NotificationSink> sink, FindSink(rule.sink));
  if (!sink) return InvalidArgumentError("unknown sink '" + rule.sink + "'");
  const int64_t now = MillisOf(clock_->Now());
  return store_->PutNotificationRule(
      store::NotificationRuleRecord{rule.name, rule.sink, rule.state_machines, rule.outcomes, now,
                                    now},
      audit);
}

Status Notifier::DeleteRule(std::string_view name, const std::vector<store::AuditEntry>& audit) {
  for (const NotificationRule& r : options_.rules) {
    if (r.name == name) {
      return FailedPreconditionError("rule '" + std::string(name) +
                                     "' is defined in the config file and cannot be deleted "
                                     "through the API");
    }
  }
  return store_->DeleteNotificationRule(name, audit);
}

StatusOr<NotificationRecord> Notifier::Retry(int64_t id,
                                             const std::vector<store::AuditEntry>& audit) {
  STEPD_ASSIGN_OR_RETURN(NotificationRecord item,
                         store_->RetryNotification(id, MillisOf(clock_->Now()), audit));
  Wake();
  return item;
}

NotifierStats Notifier::Stats() const {
  std::lock_guard lock(stats_mu_);
  return stats_;
}

}  // namespace stepd::runtime
