#include "stepd/runtime/scheduler.h"

#include <date/date.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <future>

#include "stepd/asl/context_object.h"
#include "stepd/base/aws_names.h"
#include "stepd/base/crypto.h"
#include "stepd/base/json.h"
#include "stepd/runtime/alias_routing.h"

namespace stepd::runtime {
namespace {

constexpr size_t kMaxInputBytes = 256 * 1024;
constexpr size_t kMaxCatchUpSteps = 1000000;
constexpr char kConfigActor[] = "stepd";
constexpr char kLeaseName[] = "scheduler";
// SyncConfig: reads a schedule again this often when another node changes
// it meanwhile.
constexpr int kSyncAttempts = 5;

int64_t Ms(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}
TimePoint AtMs(int64_t ms) { return TimePoint(std::chrono::milliseconds(ms)); }

std::string Iso(int64_t ms) { return asl::FormatIsoTimestamp(AtMs(ms)); }

bool AllDigits(std::string_view s) {
  return !s.empty() && s.size() <= 9 &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool IsScheduleName(std::string_view name) {
  return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
  });
}

Status Invalid(const std::string& schedule, std::string_view message) {
  return InvalidArgumentError("schedule '" + schedule + "': " + std::string(message));
}

FireWindow WindowOf(const store::ScheduleRecord& r) {
  FireWindow w;
  if (r.start_ms) w.start = AtMs(*r.start_ms);
  if (r.end_ms) w.end = AtMs(*r.end_ms);
  w.anchor = AtMs(r.start_ms.value_or(r.created_at_ms));
  return w;
}

// The first due time of `r` after `after`; unset when disabled or none.
std::optional<int64_t> NextDue(const store::ScheduleRecord& r, int64_t after_ms) {
  if (!r.enabled) return std::nullopt;
  StatusOr<ScheduleExpression> e = ScheduleExpression::Parse(r.expression);
  StatusOr<TimeZone> zone = TimeZone::Find(r.timezone);
  if (!e.ok() || !zone.ok()) return std::nullopt;
  std::optional<TimePoint> next = NextFireAfter(*e, *zone, AtMs(after_ms), WindowOf(r));
  if (!next) return std::nullopt;
  return Ms(*next);
}

// The fields that decide the due times.
bool SameTimes(const store::ScheduleRecord& a, const store::ScheduleRecord& b) {
  return a.expression == b.expression && a.timezone == b.timezone && a.start_ms == b.start_ms &&
         a.end_ms == b.end_ms && a.enabled == b.enabled;
}

Json DetailsOf(const std::string& json_text) {
  StatusOr<Json> parsed = ParseJson(json_text);
  if (parsed.ok() && parsed->is_object()) return std::move(parsed).value();
  return Json::object();
}

std::string Dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

}  // namespace

Status ValidateScheduleSpec(const ScheduleSpec& spec) {
  if (!IsScheduleName(spec.name)) {
    return InvalidArgumentError("schedule name '" + spec.name +
                                "' must be 1 to 64 letters, digits, '-', '_' or '.'");
  }
  if (spec.description.size() > 512) {
    return Invalid(spec.name, "the description is longer than 512 characters");
  }
  if (spec.state_machine.empty()) return Invalid(spec.name, "state_machine is required");
  if (spec.state_machine.rfind("arn:", 0) == 0) {
    const size_t at = spec.state_machine.find(":stateMachine:");
    if (at == std::string::npos ||
        spec.state_machine.find(':', at + std::string_view(":stateMachine:").size()) !=
            std::string::npos) {
      return Invalid(spec.name, "state_machine '" + spec.state_machine +
                                    "' is not an unqualified stateMachine ARN (give a version "
                                    "or alias apart)");
    }
  } else if (!IsValidAwsName(spec.state_machine)) {
    return Invalid(spec.name, "state_machine '" + spec.state_machine + "' is not a valid name");
  }
  if (!spec.qualifier.empty() && !AllDigits(spec.qualifier) && !IsValidAwsName(spec.qualifier)) {
    return Invalid(spec.name, "'" + spec.qualifier + "' is neither a version nor an alias name");
  }
  if (AllDigits(spec.qualifier) && std::stoll(spec.qualifier) < 1) {
    return Invalid(spec.name, "version must be 1 or more");
  }
  if (spec.input.size() > kMaxInputBytes) {
    return Invalid(spec.name, "the input is larger than 256 KiB");
  }
  if (StatusOr<Json> input = ParseJson(spec.input); !input.ok()) {
    return Invalid(spec.name, "the input is not JSON: " + std::string(input.status().message()));
  }
  if (StatusOr<ScheduleExpression> e = ScheduleExpression::Parse(spec.expression); !e.ok()) {
    return Invalid(spec.name, e.status().message());
  }
  if (StatusOr<TimeZone> zone = TimeZone::Find(spec.timezone); !zone.ok()) {
    return Invalid(spec.name, zone.status().message());
  }
  if (spec.start_ms && spec.end_ms && *spec.end_ms <= *spec.start_ms) {
    return Invalid(spec.name, "end (" + Iso(*spec.end_ms) + ") must be after start (" +
                                  Iso(*spec.start_ms) + ")");
  }
  return Status::OK();
}

std::string ScheduledExecutionName(const std::string& schedule, TimePoint due) {
  const std::string stamp =
      date::format("%Y%m%dT%H%M%SZ", std::chrono::floor<std::chrono::seconds>(due));
  std::string name = schedule + "-" + stamp;
  if (name.size() <= 80) return name;
  const std::string hash = Sha256Hex(schedule).substr(0, 8);
  return schedule.substr(0, 80 - stamp.size() - hash.size() - 2) + "-" + hash + "-" + stamp;
}

// --- Impl ---------------------------------------------------------------------------------

class Scheduler::Impl {
 public:
  Impl(store::Store* store, Engine* engine, Clock* clock, SchedulerOptions options,
       std::shared_ptr<spdlog::logger> logger)
      : store_(store),
        engine_(engine),
        clock_(clock),
        options_(std::move(options)),
        log_(logger ? std::move(logger) : std::make_shared<spdlog::logger>("scheduler")) {}

  ~Impl() { Stop(); }

  void Start() {
    std::lock_guard lock(mu_);
    if (thread_.joinable() || stopping_) return;
    dirty_ = true;
    thread_ = std::thread([this] { Loop(); });
  }

  void Stop() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
    std::lock_guard fire_lock(fire_mu_);
    GiveUpLease();
  }

  void Wake() {
    {
      std::lock_guard lock(mu_);
      dirty_ = true;
    }
    cv_.notify_all();
  }

  void FireDue();

  StatusOr<store::ScheduleRecord> Create(const ScheduleSpec& spec, const ScheduleCaller& caller);
  StatusOr<store::ScheduleRecord> Replace(const ScheduleSpec& spec, const ScheduleCaller& caller);
  StatusOr<store::ScheduleRecord> SetEnabled(const std::string& name, bool enabled,
                                             const ScheduleCaller& caller);
  Status Delete(const std::string& name, const ScheduleCaller& caller);
  StatusOr<StartResult> FireNow(const std::string& name, const ScheduleCaller& caller);
  Status SyncConfig(const std::vector<ScheduleSpec>& specs);

  SchedulerStats Stats() const {
    SchedulerStats s;
    s.fires = fires_.load();
    s.missed_skipped = missed_skipped_.load();
    s.failures = failures_.load();
    std::lock_guard lock(mu_);
    s.schedules_enabled = enabled_;
    s.next_due_ms = next_due_ms_;
    return s;
  }

 private:
  enum class FireOutcome { kStarted, kAlreadyStarted, kRefused, kRetryLater };
  struct Fired {
    FireOutcome outcome = FireOutcome::kStarted;
    std::string execution_arn;
    std::string error;
  };

  void Loop();
  // With node_id: takes or renews the lease "scheduler" when due; true
  // while this node holds it with a renewal interval to spare. Without:
  // true, no store call. Under fire_mu_.
  bool KeepLease(int64_t now_ms);
  void GiveUpLease();
  int64_t LeaseRenewMs() const { return std::max<int64_t>(1, options_.lease_time.count() / 5); }
  // Handles one due schedule; false when it must be looked at again later
  // (a store error, a start refused for overload).
  bool HandleDue(store::ScheduleRecord schedule, int64_t now_ms);
  Fired Fire(const store::ScheduleRecord& schedule, int64_t due_ms);
  // Writes `updated` (read at `updated.revision`) with its audit rows.
  // kConflict: it changed or went meanwhile (the next round reads it again;
  // a due time fired already refires the same name, a no-op).
  enum class Advanced { kWritten, kConflict, kFailed };
  Advanced Advance(const store::ScheduleRecord& updated, std::vector<store::AuditEntry> audit);
  StatusOr<StartResult> StartSync(StartRequest request);
  // The target's version and alias into `request`.
  Status ResolveTarget(const store::ScheduleRecord& schedule, StartRequest* request);
  // The record `spec` makes (checked; the target against the store when
  // `check_target`), its first due time from now.
  StatusOr<store::ScheduleRecord> RecordOf(const ScheduleSpec& spec, bool check_target);
  std::string MachineArn(const std::string& name_or_arn) const;
  store::AuditEntry AuditRow(const ScheduleCaller& caller, std::string action,
                             const std::string& target, Json details) const;
  int64_t NowMs() const { return Ms(clock_->Now()); }

  store::Store* const store_;
  Engine* const engine_;
  Clock* const clock_;
  const SchedulerOptions options_;
  std::shared_ptr<spdlog::logger> log_;

  std::mutex fire_mu_;  // one FireDue() at a time

  // The lease (node_id set), guarded by fire_mu_.
  bool lease_held_ = false;
  int64_t lease_expires_ms_ = 0;  // as this node reckons it
  int64_t lease_next_try_ms_ = 0;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;               // guarded by mu_
  bool dirty_ = false;                  // guarded by mu_: a schedule changed
  size_t enabled_ = 0;                  // guarded by mu_
  std::optional<int64_t> next_due_ms_;  // guarded by mu_
  // node_id set: when FireDue() must take or renew the lease.
  std::optional<int64_t> lease_check_ms_;  // guarded by mu_
  // Schedules whose start was refused for overload: not before this time.
  std::map<std::string, int64_t> retry_at_ms_;  // guarded by mu_
  std::thread thread_;

  std::atomic<uint64_t> fires_{0};
  std::atomic<uint64_t> missed_skipped_{0};
  std::atomic<uint64_t> failures_{0};
};

void Scheduler::Impl::Loop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    const int64_t now = NowMs();
    if (dirty_ || (next_due_ms_ && *next_due_ms_ <= now) ||
        (lease_check_ms_ && *lease_check_ms_ <= now)) {
      dirty_ = false;
      lock.unlock();
      FireDue();
      lock.lock();
      continue;
    }
    auto wait = options_.max_sleep;
    if (next_due_ms_) wait = std::min(wait, std::chrono::milliseconds(*next_due_ms_ - now));
    if (lease_check_ms_) wait = std::min(wait, std::chrono::milliseconds(*lease_check_ms_ - now));
    cv_.wait_for(lock, wait);
  }
}

bool Scheduler::Impl::KeepLease(int64_t now_ms) {
  if (options_.node_id.empty()) return true;
  if (now_ms >= lease_next_try_ms_) {
    lease_next_try_ms_ = now_ms + LeaseRenewMs();
    StatusOr<bool> held = store_->AcquireLease(kLeaseName, options_.node_id, now_ms,
                                               now_ms + options_.lease_time.count());
    if (!held.ok()) {
      log_->warn("schedules: cannot renew or take the lease '{}': {}", kLeaseName,
                 held.status().ToString());
    } else {
      if (*held != lease_held_) {
        if (*held) {
          log_->info("schedules: node '{}' took the lease '{}': it fires the schedules",
                     options_.node_id, kLeaseName);
        } else {
          log_->warn("schedules: node '{}' lost the lease '{}': another node fires them",
                     options_.node_id, kLeaseName);
        }
      }
      lease_held_ = *held;
      if (lease_held_) lease_expires_ms_ = now_ms + options_.lease_time.count();
    }
  }
  return lease_held_ && now_ms < lease_expires_ms_ - LeaseRenewMs();
}

void Scheduler::Impl::GiveUpLease() {
  if (options_.node_id.empty() || !lease_held_) return;
  lease_held_ = false;
  lease_next_try_ms_ = 0;
  if (Status released = store_->ReleaseLease(kLeaseName, options_.node_id); !released.ok()) {
    log_->warn("schedules: cannot give the lease '{}' up (it expires by itself): {}", kLeaseName,
               released.ToString());
  }
}

void Scheduler::Impl::FireDue() {
  std::lock_guard fire_lock(fire_mu_);
  // With node_id, what is due is what was due when the lease was checked.
  const int64_t checked_ms = NowMs();
  if (!options_.node_id.empty()) {
    std::unique_lock lock(mu_);
    if (stopping_) return;
    lock.unlock();
    const bool held = KeepLease(checked_ms);
    lock.lock();
    lease_check_ms_ = lease_next_try_ms_;
    if (!held) {
      next_due_ms_.reset();  // the holder's business
      return;
    }
  }
  StatusOr<std::vector<store::ScheduleRecord>> listed = store_->ListSchedules();
  if (!listed.ok()) {
    log_->warn("schedules: cannot read them: {}", listed.status().ToString());
    std::lock_guard lock(mu_);
    next_due_ms_ = NowMs() + 1000;  // try again in a second, not in a busy loop
    return;
  }
  const int64_t now = options_.node_id.empty() ? NowMs() : checked_ms;
  size_t enabled = 0;
  std::optional<int64_t> earliest;
  auto consider = [&](int64_t t) { earliest = earliest ? std::min(*earliest, t) : t; };
  for (store::ScheduleRecord& schedule : *listed) {
    if (!schedule.enabled) continue;
    ++enabled;
    if (!schedule.next_fire_ms) continue;
    if (*schedule.next_fire_ms > now) {
      consider(*schedule.next_fire_ms);
      continue;
    }
    {
      std::lock_guard lock(mu_);
      auto retry = retry_at_ms_.find(schedule.name);
      if (retry != retry_at_ms_.end()) {
        if (retry->second > now) {
          consider(retry->second);
          continue;
        }
        retry_at_ms_.erase(retry);
      }
    }
    // Renewed between schedules; lost (paused, the store unreachable): the
    // next holder fires the rest.
    if (!options_.node_id.empty() && !KeepLease(NowMs())) {
      earliest.reset();
      break;
    }
    const std::string name = schedule.name;
    if (!HandleDue(std::move(schedule), now)) {
      std::lock_guard lock(mu_);
      retry_at_ms_[name] = now + 1000;
      consider(now + 1000);
      continue;
    }
    StatusOr<store::ScheduleRecord> after = store_->GetSchedule(name);
    if (after.ok() && after->enabled && after->next_fire_ms) consider(*after->next_fire_ms);
  }
  std::lock_guard lock(mu_);
  enabled_ = enabled;
  next_due_ms_ = earliest;
  if (!options_.node_id.empty()) lease_check_ms_ = lease_next_try_ms_;
}

bool Scheduler::Impl::HandleDue(store::ScheduleRecord schedule, int64_t now_ms) {
  // Late by more than the grace: missed; the catch-up policy decides.
  if (now_ms - *schedule.next_fire_ms > options_.grace.count()) {
    int64_t last_missed = *schedule.next_fire_ms;
    uint64_t missed = 1;
    for (size_t i = 0; i < kMaxCatchUpSteps; ++i) {
      std::optional<int64_t> next = NextDue(schedule, last_missed);
      if (!next || *next > now_ms) break;
      last_missed = *next;
      ++missed;
    }
    store::ScheduleRecord updated = schedule;
    updated.next_fire_ms = NextDue(schedule, now_ms);
    const std::string policy(store::ScheduleCatchUpName(schedule.catch_up));
    std::vector<store::AuditEntry> audit;
    uint64_t skipped = missed;
    if (schedule.catch_up == store::ScheduleCatchUp::kLast) {
      Fired fired = Fire(schedule, last_missed);
      if (fired.outcome == FireOutcome::kRetryLater) return false;
      --skipped;
      updated.last_fire_ms = last_missed;
      if (fired.outcome == FireOutcome::kRefused) {
        updated.last_error = fired.error;
        audit.push_back(AuditRow({"schedule:" + schedule.name, ""}, "ScheduleFireFailed",
                                 schedule.name,
                                 {{"scheduled_time", Iso(last_missed)}, {"error", fired.error}}));
      } else {
        updated.last_execution_arn = fired.execution_arn;
        updated.last_error.clear();
      }
    }
    if (skipped > 0) {
      log_->warn(
          "schedule '{}': {} due time(s) from {} to {} were missed; catch-up {}: {}", schedule.name,
          missed, Iso(*schedule.next_fire_ms), Iso(last_missed), policy,
          schedule.catch_up == store::ScheduleCatchUp::kLast ? "ran the last one" : "skipped them");
      audit.push_back(AuditRow({"schedule:" + schedule.name, ""}, "ScheduleMissed", schedule.name,
                               {{"missed", missed},
                                {"skipped", skipped},
                                {"first", Iso(*schedule.next_fire_ms)},
                                {"last", Iso(last_missed)},
                                {"catch_up", policy}}));
    }
    const Advanced advanced = Advance(updated, std::move(audit));
    if (advanced == Advanced::kFailed) return false;
    if (advanced == Advanced::kWritten) missed_skipped_ += skipped;
    return true;
  }
  // On time: fire each due time up to now (more than one only when the
  // interval is shorter than the grace).
  for (size_t i = 0;
       i < kMaxCatchUpSteps && schedule.next_fire_ms && *schedule.next_fire_ms <= now_ms; ++i) {
    const int64_t due = *schedule.next_fire_ms;
    Fired fired = Fire(schedule, due);
    if (fired.outcome == FireOutcome::kRetryLater) return false;
    store::ScheduleRecord updated = schedule;
    updated.next_fire_ms = NextDue(schedule, due);
    updated.last_fire_ms = due;
    std::vector<store::AuditEntry> audit;
    if (fired.outcome == FireOutcome::kRefused) {
      updated.last_error = fired.error;
      audit.push_back(AuditRow({"schedule:" + schedule.name, ""}, "ScheduleFireFailed",
                               schedule.name,
                               {{"scheduled_time", Iso(due)}, {"error", fired.error}}));
    } else {
      updated.last_execution_arn = fired.execution_arn;
      updated.last_error.clear();
    }
    const Advanced advanced = Advance(updated, std::move(audit));
    if (advanced == Advanced::kFailed) return false;
    if (advanced == Advanced::kConflict) return true;  // the next round reads it again
    updated.revision += 1;
    schedule = std::move(updated);
  }
  return true;
}

Scheduler::Impl::Advanced Scheduler::Impl::Advance(const store::ScheduleRecord& updated,
                                                   std::vector<store::AuditEntry> audit) {
  StatusOr<int64_t> written = store_->UpdateSchedule(updated, audit);
  if (written.ok()) return Advanced::kWritten;
  if (written.status().code() == StatusCode::kAborted ||
      written.status().code() == StatusCode::kNotFound) {
    log_->info("schedule '{}': changed while firing: {}", updated.name,
               written.status().ToString());
    return Advanced::kConflict;
  }
  log_->warn("schedule '{}': cannot record its next due time: {}", updated.name,
             written.status().ToString());
  return Advanced::kFailed;
}

Scheduler::Impl::Fired Scheduler::Impl::Fire(const store::ScheduleRecord& schedule,
                                             int64_t due_ms) {
  Fired fired;
  StartRequest request;
  request.state_machine_arn = schedule.state_machine_arn;
  request.name = ScheduledExecutionName(schedule.name, AtMs(due_ms));
  request.input = schedule.input;
  request.principal = "schedule:" + schedule.name;
  request.origin_json =
      Dump({{"source", "schedule"}, {"schedule", schedule.name}, {"scheduled_time", Iso(due_ms)}});
  Status resolved = ResolveTarget(schedule, &request);
  StatusOr<StartResult> started =
      resolved.ok() ? StartSync(request) : StatusOr<StartResult>(resolved);
  if (started.ok()) {
    fired.execution_arn = started->execution_arn;
    if (started->existing) {
      fired.outcome = FireOutcome::kAlreadyStarted;
      log_->info("schedule '{}': {} was started before a restart", schedule.name, request.name);
    } else {
      ++fires_;
      log_->info("schedule '{}': started {} for {}", schedule.name, started->execution_arn,
                 Iso(due_ms));
    }
    return fired;
  }
  switch (started.status().code()) {
    case StatusCode::kAlreadyExists: {
      // Fired before a crash, and finished since: nothing to do again.
      fired.outcome = FireOutcome::kAlreadyStarted;
      std::string arn = schedule.state_machine_arn;
      if (size_t at = arn.find(":stateMachine:"); at != std::string::npos) {
        arn.replace(at, std::string_view(":stateMachine:").size(), ":execution:");
      }
      fired.execution_arn = arn + ":" + request.name;
      log_->info("schedule '{}': {} exists already; not started again", schedule.name,
                 request.name);
      return fired;
    }
    case StatusCode::kResourceExhausted:
    case StatusCode::kUnavailable:
      fired.outcome = FireOutcome::kRetryLater;
      log_->warn("schedule '{}': the start for {} must wait: {}", schedule.name, Iso(due_ms),
                 started.status().ToString());
      return fired;
    default:
      fired.outcome = FireOutcome::kRefused;
      fired.error = std::string(started.status().message());
      ++failures_;
      log_->warn("schedule '{}': the start for {} failed: {}", schedule.name, Iso(due_ms),
                 started.status().ToString());
      return fired;
  }
}

StatusOr<StartResult> Scheduler::Impl::StartSync(StartRequest request) {
  auto promise = std::make_shared<std::promise<StatusOr<StartResult>>>();
  std::future<StatusOr<StartResult>> answer = promise->get_future();
  engine_->StartExecution(std::move(request), [promise](StatusOr<StartResult> result) {
    promise->set_value(std::move(result));
  });
  return answer.get();
}

Status Scheduler::Impl::ResolveTarget(const store::ScheduleRecord& schedule,
                                      StartRequest* request) {
  if (schedule.qualifier.empty()) return Status::OK();
  int64_t version = 0;
  if (AllDigits(schedule.qualifier)) {
    version = std::stoll(schedule.qualifier);
  } else {
    StatusOr<store::StateMachineAliasRecord> alias =
        store_->GetStateMachineAlias(schedule.state_machine_arn, schedule.qualifier);
    if (!alias.ok()) {
      if (alias.status().code() == StatusCode::kNotFound) {
        return NotFoundError("alias '" + schedule.qualifier + "' of state machine '" +
                             schedule.state_machine_arn + "' does not exist");
      }
      return alias.status();
    }
    // Weighted routing, as the API's StartExecution through an alias.
    version = PickAliasVersion(*alias);
    request->alias = schedule.qualifier;
  }
  StatusOr<store::StateMachineVersionRecord> record =
      store_->GetStateMachineVersion(schedule.state_machine_arn, version);
  if (!record.ok()) {
    if (record.status().code() == StatusCode::kNotFound) {
      return NotFoundError("version " + std::to_string(version) + " of state machine '" +
                           schedule.state_machine_arn + "' does not exist");
    }
    return record.status();
  }
  request->version = version;
  request->version_revision_id = record->revision_id;
  request->version_role_arn = record->role_arn;
  return Status::OK();
}

std::string Scheduler::Impl::MachineArn(const std::string& name_or_arn) const {
  if (name_or_arn.rfind("arn:", 0) == 0) return name_or_arn;
  return "arn:aws:states:" + options_.region + ":" + options_.account_id +
         ":stateMachine:" + name_or_arn;
}

store::AuditEntry Scheduler::Impl::AuditRow(const ScheduleCaller& caller, std::string action,
                                            const std::string& target, Json details) const {
  store::AuditEntry row;
  row.timestamp_ms = NowMs();
  row.actor = caller.principal;
  row.action = std::move(action);
  row.target = target;
  Json merged = DetailsOf(caller.details_json);
  for (auto& [key, value] : details.items()) merged[key] = value;
  row.details_json = Dump(merged);
  return row;
}

StatusOr<store::ScheduleRecord> Scheduler::Impl::RecordOf(const ScheduleSpec& spec,
                                                          bool check_target) {
  STEPD_RETURN_IF_ERROR(ValidateScheduleSpec(spec));
  store::ScheduleRecord r;
  r.name = spec.name;
  r.description = spec.description;
  r.state_machine_arn = MachineArn(spec.state_machine);
  r.qualifier = spec.qualifier;
  r.input = spec.input;
  r.expression = spec.expression;
  r.timezone = spec.timezone.empty() ? "UTC" : spec.timezone;
  r.start_ms = spec.start_ms;
  r.end_ms = spec.end_ms;
  r.enabled = spec.enabled;
  r.catch_up = spec.catch_up;
  const int64_t now = NowMs();
  r.created_at_ms = now;
  r.updated_at_ms = now;
  r.next_fire_ms = NextDue(r, now);
  if (check_target) {
    StatusOr<store::StateMachineRecord> machine = store_->GetStateMachine(r.state_machine_arn);
    if (machine.status().code() == StatusCode::kNotFound) {
      return Invalid(spec.name, "state machine '" + r.state_machine_arn + "' does not exist");
    }
    STEPD_RETURN_IF_ERROR(machine.status());
    StartRequest probe;
    Status target = ResolveTarget(r, &probe);
    if (target.code() == StatusCode::kNotFound) return Invalid(spec.name, target.message());
    STEPD_RETURN_IF_ERROR(target);
  }
  return r;
}

StatusOr<store::ScheduleRecord> Scheduler::Impl::Create(const ScheduleSpec& spec,
                                                        const ScheduleCaller& caller) {
  STEPD_ASSIGN_OR_RETURN(store::ScheduleRecord r, RecordOf(spec, true));
  r.source = "api";
  STEPD_RETURN_IF_ERROR(store_->CreateSchedule(
      r, {AuditRow(caller, "CreateSchedule", r.name,
                   {{"expression", r.expression}, {"state_machine", r.state_machine_arn}})}));
  Wake();
  return store_->GetSchedule(r.name);
}

StatusOr<store::ScheduleRecord> Scheduler::Impl::Replace(const ScheduleSpec& spec,
                                                         const ScheduleCaller& caller) {
  STEPD_ASSIGN_OR_RETURN(store::ScheduleRecord wanted, RecordOf(spec, true));
  // The scheduler's advances bump the revision too: read, change, retry.
  for (int attempt = 0;; ++attempt) {
    STEPD_ASSIGN_OR_RETURN(store::ScheduleRecord stored, store_->GetSchedule(spec.name));
    if (stored.source == "config") {
      return FailedPreconditionError("schedule '" + spec.name +
                                     "' comes from the config file; change it there");
    }
    store::ScheduleRecord updated = wanted;
    updated.source = stored.source;
    updated.created_at_ms = stored.created_at_ms;
    updated.revision = stored.revision;
    updated.last_fire_ms = stored.last_fire_ms;
    updated.last_execution_arn = stored.last_execution_arn;
    updated.last_error = stored.last_error;
    updated.next_fire_ms =
        SameTimes(stored, updated) ? stored.next_fire_ms : NextDue(updated, NowMs());
    StatusOr<int64_t> written =
        store_->UpdateSchedule(updated, {AuditRow(caller, "UpdateSchedule", spec.name,
                                                  {{"expression", updated.expression},
                                                   {"enabled", updated.enabled},
                                                   {"state_machine", updated.state_machine_arn}})});
    if (written.status().code() == StatusCode::kAborted && attempt < 5) continue;
    STEPD_RETURN_IF_ERROR(written.status());
    Wake();
    return store_->GetSchedule(spec.name);
  }
}

StatusOr<store::ScheduleRecord> Scheduler::Impl::SetEnabled(const std::string& name, bool enabled,
                                                            const ScheduleCaller& caller) {
  for (int attempt = 0;; ++attempt) {
    STEPD_ASSIGN_OR_RETURN(store::ScheduleRecord stored, store_->GetSchedule(name));
    if (stored.source == "config") {
      return FailedPreconditionError("schedule '" + name +
                                     "' comes from the config file; change it there");
    }
    if (stored.enabled == enabled) return stored;
    store::ScheduleRecord updated = stored;
    updated.enabled = enabled;
    updated.updated_at_ms = NowMs();
    updated.next_fire_ms = NextDue(updated, NowMs());
    StatusOr<int64_t> written = store_->UpdateSchedule(
        updated,
        {AuditRow(caller, enabled ? "EnableSchedule" : "DisableSchedule", name, Json::object())});
    if (written.status().code() == StatusCode::kAborted && attempt < 5) continue;
    STEPD_RETURN_IF_ERROR(written.status());
    Wake();
    return store_->GetSchedule(name);
  }
}

Status Scheduler::Impl::Delete(const std::string& name, const ScheduleCaller& caller) {
  STEPD_ASSIGN_OR_RETURN(store::ScheduleRecord stored, store_->GetSchedule(name));
  if (stored.source == "config") {
    return FailedPreconditionError("schedule '" + name +
                                   "' comes from the config file; remove it there");
  }
  STEPD_RETURN_IF_ERROR(
      store_->DeleteSchedule(name, {AuditRow(caller, "DeleteSchedule", name, Json::object())}));
  Wake();
  return Status::OK();
}

StatusOr<StartResult> Scheduler::Impl::FireNow(const std::string& name,
                                               const ScheduleCaller& caller) {
  STEPD_ASSIGN_OR_RETURN(store::ScheduleRecord schedule, store_->GetSchedule(name));
  StartRequest request;
  request.state_machine_arn = schedule.state_machine_arn;
  request.input = schedule.input;
  request.principal = caller.principal;
  Json origin = DetailsOf(caller.details_json);  // "source" stays the caller's address
  origin["schedule"] = name;
  origin["manual"] = true;
  request.origin_json = Dump(origin);
  STEPD_RETURN_IF_ERROR(ResolveTarget(schedule, &request));
  StatusOr<StartResult> started = StartSync(std::move(request));
  if (started.ok()) {
    log_->info("schedule '{}': fired by hand by {}: {}", name, caller.principal,
               started->execution_arn);
  }
  return started;
}

Status Scheduler::Impl::SyncConfig(const std::vector<ScheduleSpec>& specs) {
  const ScheduleCaller config{kConfigActor, Dump({{"source", "config"}})};
  std::vector<std::string> listed;
  for (const ScheduleSpec& spec : specs) {
    listed.push_back(spec.name);
    STEPD_ASSIGN_OR_RETURN(store::ScheduleRecord wanted, RecordOf(spec, false));
    wanted.source = "config";
    StartRequest probe;
    if (!store_->GetStateMachine(wanted.state_machine_arn).ok() ||
        !ResolveTarget(wanted, &probe).ok()) {
      log_->warn("schedule '{}' of the config file: its target {}{}{} does not exist (yet)",
                 spec.name, wanted.state_machine_arn, wanted.qualifier.empty() ? "" : ":",
                 wanted.qualifier);
    }
    // Another node (several on one database) may create, advance or
    // replace it meanwhile: then it is read again.
    for (int attempt = 1;; ++attempt) {
      StatusOr<store::ScheduleRecord> stored = store_->GetSchedule(spec.name);
      if (stored.status().code() == StatusCode::kNotFound) {
        Status created = store_->CreateSchedule(
            wanted, {AuditRow(config, "CreateSchedule", spec.name,
                              {{"expression", wanted.expression},
                               {"state_machine", wanted.state_machine_arn}})});
        if (created.code() == StatusCode::kAlreadyExists && attempt < kSyncAttempts) continue;
        STEPD_RETURN_IF_ERROR(created);
        break;
      }
      STEPD_RETURN_IF_ERROR(stored.status());
      ScheduleSpec stored_spec = SpecOf(*stored);
      ScheduleSpec wanted_spec = SpecOf(wanted);
      if (stored->source == "config" && stored_spec == wanted_spec) break;
      store::ScheduleRecord updated = wanted;
      updated.created_at_ms = stored->created_at_ms;
      updated.revision = stored->revision;
      updated.last_fire_ms = stored->last_fire_ms;
      updated.last_execution_arn = stored->last_execution_arn;
      updated.last_error = stored->last_error;
      updated.next_fire_ms = SameTimes(*stored, updated) && stored->source == "config"
                                 ? stored->next_fire_ms
                                 : NextDue(updated, NowMs());
      if (stored->source != "config") {
        log_->warn("schedule '{}' of the config file replaces the API's schedule of that name",
                   spec.name);
      }
      StatusOr<int64_t> written = store_->UpdateSchedule(
          updated, {AuditRow(config, "UpdateSchedule", spec.name,
                             {{"expression", updated.expression},
                              {"state_machine", updated.state_machine_arn}})});
      const StatusCode code = written.status().code();
      if ((code == StatusCode::kAborted || code == StatusCode::kNotFound) &&
          attempt < kSyncAttempts) {
        continue;
      }
      STEPD_RETURN_IF_ERROR(written.status());
      break;
    }
  }
  STEPD_ASSIGN_OR_RETURN(std::vector<store::ScheduleRecord> all, store_->ListSchedules());
  for (const store::ScheduleRecord& r : all) {
    if (r.source != "config" || std::find(listed.begin(), listed.end(), r.name) != listed.end()) {
      continue;
    }
    log_->info("schedule '{}' left the config file: deleted", r.name);
    Status deleted = store_->DeleteSchedule(
        r.name, {AuditRow(config, "DeleteSchedule", r.name, Json::object())});
    if (deleted.code() == StatusCode::kNotFound) continue;  // another node's start deleted it
    STEPD_RETURN_IF_ERROR(deleted);
  }
  Wake();
  return Status::OK();
}

// --- Scheduler ------------------------------------------------------------------------------

Scheduler::Scheduler(store::Store* store, Engine* engine, Clock* clock, SchedulerOptions options,
                     std::shared_ptr<spdlog::logger> logger)
    : impl_(std::make_unique<Impl>(store, engine, clock, std::move(options), std::move(logger))) {}

Scheduler::~Scheduler() = default;

void Scheduler::Start() { impl_->Start(); }
void Scheduler::Stop() { impl_->Stop(); }
void Scheduler::FireDue() { impl_->FireDue(); }

StatusOr<store::ScheduleRecord> Scheduler::Create(const ScheduleSpec& spec,
                                                  const ScheduleCaller& caller) {
  return impl_->Create(spec, caller);
}
StatusOr<store::ScheduleRecord> Scheduler::Replace(const ScheduleSpec& spec,
                                                   const ScheduleCaller& caller) {
  return impl_->Replace(spec, caller);
}
StatusOr<store::ScheduleRecord> Scheduler::SetEnabled(const std::string& name, bool enabled,
                                                      const ScheduleCaller& caller) {
  return impl_->SetEnabled(name, enabled, caller);
}
Status Scheduler::Delete(const std::string& name, const ScheduleCaller& caller) {
  return impl_->Delete(name, caller);
}
StatusOr<StartResult> Scheduler::FireNow(const std::string& name, const ScheduleCaller& caller) {
  return impl_->FireNow(name, caller);
}
Status Scheduler::SyncConfig(const std::vector<ScheduleSpec>& specs) {
  return impl_->SyncConfig(specs);
}

std::vector<TimePoint> Scheduler::Upcoming(const store::ScheduleRecord& schedule,
                                           size_t count) const {
  std::vector<TimePoint> times;
  if (!schedule.enabled || !schedule.next_fire_ms || count == 0) return times;
  times.push_back(AtMs(*schedule.next_fire_ms));
  while (times.size() < count) {
    std::optional<int64_t> next = NextDue(schedule, Ms(times.back()));
    if (!next) break;
    times.push_back(AtMs(*next));
  }
  return times;
}

ScheduleSpec Scheduler::SpecOf(const store::ScheduleRecord& r) {
  ScheduleSpec s;
  s.name = r.name;
  s.description = r.description;
  s.state_machine = r.state_machine_arn;
  s.qualifier = r.qualifier;
  s.input = r.input;
  s.expression = r.expression;
  s.timezone = r.timezone;
  s.start_ms = r.start_ms;
  s.end_ms = r.end_ms;
  s.enabled = r.enabled;
  s.catch_up = r.catch_up;
  return s;
}

SchedulerStats Scheduler::Stats() const { return impl_->Stats(); }

}  // namespace stepd::runtime
