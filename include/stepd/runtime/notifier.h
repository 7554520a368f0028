#pragma once
// Notifier: tells people when executions fail (or time out, are aborted,
// succeed, are redriven), through Slack incoming webhooks, PagerDuty's
// Events API v2 or a generic webhook signed with HMAC-SHA256.
//
// Decoupled from the engine: every execution transition is already a row of
// the audit chain (action = the history event's type, target = the
// execution ARN, event_id > 0). The notifier tails those rows from a
// durable cursor (Store::GetNotificationCursor; on the very first start it
// begins at the chain's head, so old history is not notified). For each row
// and each matching rule it queues an outbox row, and inserting the rows
// and advancing the cursor is one store transaction: a crash neither loses
// nor repeats a notification. Each row carries what its message says
// (state machine, execution, status, the failed state, error, cause,
// redrive count, times), read from the history when it is queued.
//
// Delivery: a worker thread sends due rows through the process's outbound
// http::AsyncClient (never on an engine thread; I/O callbacks only hand the
// answer back to the worker). 2xx: DELIVERED. A connection error, a
// timeout, a 5xx, 408 or 429: tried again after an exponential backoff with
// jitter (a 429's or 503's Retry-After in seconds is honoured when longer),
// up to max_attempts. Another 4xx, an unknown sink or attempts exhausted:
// DEAD_LETTER with the last error (a status code and reason, never a URL or
// a key). PENDING rows survive a restart and are sent after it; a dead
// letter goes back to PENDING through Retry().
//
// PagerDuty: FAILED, TIMED_OUT and ABORTED "trigger" an alert whose
// dedup_key is the execution ARN; when that execution later SUCCEEDS after
// a redrive, every PagerDuty sink a trigger was queued to for it gets a
// "resolve" with the same dedup_key, whatever the rules say.
//
// Sinks and rules come from the config file (NotifierOptions, read-only,
// source "config") and from the store (made through the REST API, source
// "api"; secrets sealed with the secrets key under aad "notification-sink
// <name>"). Secrets (webhook URLs, routing keys, signing keys) never appear
// in logs, audit rows, outbox rows or API answers.
//
// Several nodes (NotifierOptions::node_id set; store/store.h "Nodes"): every
// node runs a notifier, but only the one holding the store lease "notifier"
// scans the audit chain and delivers; the others only try to take the lease
// (every lease_time / 5). The holder renews it as often, starts no delivery
// once its lease, unrenewed, has less than lease_time / 5 left or is lost
// (deliveries in flight are answered and recorded), and gives it up in
// Stop(), so that another node takes over within lease_time / 5 instead of
// lease_time. Before it queues rows the holder renews the lease and checks
// that the cursor has not moved since it read it (EnqueueNotifications
// alone accepts the same cursor twice): a row is queued twice only if this
// node pauses longer than lease_time between that check and the commit.
// Delivery is at least once, as for webhooks in general: a node that loses
// its lease (paused, or cut off from the database) while a delivery is in
// flight may see it sent again by the next holder (the later record of the
// two is refused as "not PENDING" and logged). Node clocks must agree to
// well within lease_time. With node_id empty nothing of this happens: no
// lease, no extra store call.
//
// Thread-safety: every public method may be called from any thread.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "stepd/base/clock.h"
#include "stepd/base/json.h"
#include "stepd/base/secret_box.h"
#include "stepd/base/status_or.h"
#include "stepd/store/store.h"

namespace spdlog {
class logger;
}
namespace stepd::http {
class AsyncClient;
struct ClientRequest;
}  // namespace stepd::http

namespace stepd::runtime {

inline constexpr char kDefaultPagerDutyEventsUrl[] = "https://events.pagerduty.com/v2/enqueue";

// Where a notification goes. `url`, `routing_key` and `secret` are secrets.
struct NotificationSink {
  std::string name;
  std::string type;         // "slack", "pagerduty", "webhook"
  std::string url;          // slack, webhook: where to POST (secret)
  std::string routing_key;  // pagerduty: the integration key (secret)
  std::string secret;       // webhook: the HMAC-SHA256 signing key (secret)
  // pagerduty: the Events API URL (not secret) and the alerts' severity
  // ("critical", "error", "warning", "info").
  std::string events_url = kDefaultPagerDutyEventsUrl;
  std::string severity = "error";
  std::string source = "config";  // "config" (read-only) or "api"
};

// Which transitions go to which sink.
struct NotificationRule {
  std::string name;
  // Glob patterns of state machine names ('*' any run of characters, '?'
  // one); empty: every machine.
  std::vector<std::string> state_machines;
  // "FAILED", "TIMED_OUT", "ABORTED", "SUCCEEDED", "REDRIVEN"; at least one.
  std::vector<std::string> outcomes;
  std::string sink;
  std::string source = "config";
};

struct NotifierOptions {
  // Sinks and rules of the config file (`notifications.sinks`, `.rules`).
  std::vector<NotificationSink> sinks{};
  std::vector<NotificationRule> rules{};
  // The public base URL of stepd ("https://stepd.example.com"): messages
  // link to <console_url>/console/#/executions/<url-encoded ARN>. Empty: no
  // link.
  std::string console_url{};
  // Delivery attempts before a row becomes a dead letter. Default 8.
  int max_attempts = 8;
  // Backoff before attempt n+1: initial_backoff * 2^(n-1), capped at
  // max_backoff, with up to 20% random jitter. Defaults 1 s and 5 min.
  std::chrono::milliseconds initial_backoff = std::chrono::seconds(1);
  std::chrono::milliseconds max_backoff = std::chrono::minutes(5);
  // How often the audit chain and the outbox are looked at when nothing
  // wakes the worker. Default 500 ms.
  std::chrono::milliseconds poll_interval = std::chrono::milliseconds(500);
  // One delivery must be answered within this. Default 10 s.
  std::chrono::milliseconds request_timeout = std::chrono::seconds(10);
  // Deliveries in flight at once. Default 8.
  int max_in_flight = 8;
  // Several nodes on one database: this node's id (StoreOptions::node_id).
  // Empty (the default): one node, no lease. Set: the notifier works only
  // while this node holds the store lease "notifier" (see above).
  std::string node_id{};
  // The lease lasts this long unless renewed; it is renewed (or, by nodes
  // not holding it, tried) every lease_time / 5. Default 10 s.
  std::chrono::milliseconds lease_time = std::chrono::seconds(10);
};

// The outcomes a rule may name.
bool IsNotificationOutcome(std::string_view outcome);
// True when `name` matches glob `pattern` ('*', '?').
bool GlobMatches(std::string_view pattern, std::string_view name);
// A sink or rule as the config file and the REST API give it (members:
// sink "type", "url", "routing_key", "secret", "events_url", "severity";
// rule "state_machines", "outcomes", "sink"). INVALID_ARGUMENT naming `path`
// and the member for an unknown member, a wrong type, a bad URL, an unknown
// type, severity or outcome, a bad pattern. Messages never quote a secret.
StatusOr<NotificationSink> ParseNotificationSink(const std::string& name, const Json& body,
                                                 std::string_view path);
StatusOr<NotificationRule> ParseNotificationRule(const std::string& name, const Json& body,
                                                 std::string_view path);
// A sink or rule name: 1..64 of [A-Za-z0-9_.-]. INVALID_ARGUMENT otherwise.
Status CheckNotificationName(std::string_view name, std::string_view path);
// The sink as API answers show it: secrets replaced by "<scheme>://<host>/…
// (redacted)" or "(redacted)".
Json RedactedSinkJson(const NotificationSink& sink);
Json RuleJson(const NotificationRule& rule);
// Delay before the next attempt after `attempts` failed ones (>= 1), with
// `jitter` in [0, 1) scaling the random part; `retry_after` (a server's
// Retry-After) is honoured when longer, still capped at max_backoff.
std::chrono::milliseconds NotificationBackoff(const NotifierOptions& options, int attempts,
                                              double jitter,
                                              std::optional<std::chrono::milliseconds> retry_after);
// The request a notification becomes for `sink` (with its secrets), sent
// at `now_ms`: Slack Block Kit, PagerDuty Events v2 or the signed webhook
// body (see README "Notifications").
http::ClientRequest BuildNotificationRequest(const store::NotificationRecord& item,
                                             const NotificationSink& sink,
                                             const std::string& console_url, int64_t now_ms);

// What the notifier did since it started; for /metrics.
struct NotifierStats {
  int64_t pending = 0;  // outbox rows PENDING (as of the worker's last look)
  // By sink type ("slack", "pagerduty", "webhook").
  std::map<std::string, int64_t> delivered;
  std::map<std::string, int64_t> failed_attempts;  // every attempt that did not deliver
  std::map<std::string, int64_t> dead_lettered;
  // Milliseconds from the newest delivered row's queueing to its delivery.
  int64_t last_delivery_latency_ms = 0;
};

class Notifier {
 public:
  // `client` and `store` must outlive the notifier; `secrets` may be null
  // (then stored sinks cannot be made or used). Nothing runs before Start().
  Notifier(NotifierOptions options, store::Store* store, Clock* clock, http::AsyncClient* client,
           const SecretBox* secrets, std::shared_ptr<spdlog::logger> logger);
  ~Notifier();  // Stop()
  Notifier(const Notifier&) = delete;
  Notifier& operator=(const Notifier&) = delete;

  // Places the cursor at the audit head on the very first start, then
  // starts the worker. Errors of the store. With node_id: only when the
  // lease can be had (the holder's worker does it otherwise).
  Status Start();
  // Stops the worker and waits for deliveries in flight (they stay
  // PENDING if unanswered); with node_id, then gives the lease up.
  // Idempotent. Call before the client stops.
  void Stop();
  // Looks at the audit chain and the outbox now (after a transition or a
  // clock change in tests).
  void Wake();

  // Sinks and rules, config ones first, then stored ones, each by name.
  StatusOr<std::vector<NotificationSink>> Sinks() const;
  StatusOr<std::vector<NotificationRule>> Rules() const;
  const NotifierOptions& options() const { return options_; }

  // Creates or replaces a stored sink (secrets sealed); true when created.
  // FAILED_PRECONDITION for a config sink's name or without a secrets key.
  StatusOr<bool> PutSink(const NotificationSink& sink, const std::vector<store::AuditEntry>& audit);
  // NOT_FOUND; FAILED_PRECONDITION for a config sink or one rules use.
  Status DeleteSink(std::string_view name, const std::vector<store::AuditEntry>& audit);
  // Creates or replaces a stored rule; INVALID_ARGUMENT for an unknown sink;
  // FAILED_PRECONDITION for a config rule's name.
  StatusOr<bool> PutRule(const NotificationRule& rule, const std::vector<store::AuditEntry>& audit);
  Status DeleteRule(std::string_view name, const std::vector<store::AuditEntry>& audit);
  // A dead letter back to PENDING, sent soon.
  StatusOr<store::NotificationRecord> Retry(int64_t id,
                                            const std::vector<store::AuditEntry>& audit);

  // Cheap (a copy under a lock).
  NotifierStats Stats() const;

 private:
  struct Answer {
    store::NotificationRecord item;
    std::string sink_type;
    StatusOr<int> status_code;  // or the transport error
    std::string reason;
    std::optional<std::chrono::milliseconds> retry_after;
  };

  void Run();
  // With node_id: takes or renews the lease "notifier" when due (`force`:
  // now); true while this node holds it with a renewal interval to spare.
  // Without node_id: true, no store call. The worker's only (and Start's,
  // Stop's while it does not run).
  bool KeepLease(int64_t now_ms, bool force = false);
  bool HoldsLease(int64_t now_ms) const;
  void GiveUpLease();
  int64_t LeaseRenewMs() const;
  // Queues outbox rows for new audit rows; true when it read any.
  StatusOr<bool> ScanAudit();
  Status DeliverDue();
  void Record(const Answer& answer);
  StatusOr<std::vector<NotificationSink>> StoredSinks() const;
  StatusOr<std::optional<NotificationSink>> FindSink(std::string_view name) const;
  // The outbox rows of one audit row.
  StatusOr<std::vector<store::NotificationRecord>> ItemsFor(
      const store::AuditRecord& row, const std::vector<NotificationRule>& rules,
      const std::vector<NotificationSink>& sinks);
  StatusOr<Json> DescribeEvent(const store::AuditRecord& row, const std::string& outcome);

  const NotifierOptions options_;
  store::Store* const store_;
  Clock* const clock_;
  http::AsyncClient* const client_;
  const SecretBox* const secrets_;
  std::shared_ptr<spdlog::logger> log_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;                  // guarded by mu_
  bool woken_ = false;                     // guarded by mu_
  std::set<int64_t> in_flight_;            // guarded by mu_
  std::deque<Answer> answers_;             // guarded by mu_
  std::map<int64_t, uint64_t> fetch_ids_;  // notification id -> fetch id, guarded by mu_
  std::thread worker_;

  // The lease (node_id set); see KeepLease.
  bool lease_held_ = false;
  int64_t lease_expires_ms_ = 0;  // as this node reckons it
  int64_t lease_next_try_ms_ = 0;

  mutable std::mutex stats_mu_;
  NotifierStats stats_;  // guarded by stats_mu_
};

}  // namespace stepd::runtime
