#pragma once
// Schedule expressions in EventBridge Scheduler's syntax, and when they fire.
// Pure: no I/O beyond reading the system's time zone database (tzdata,
// /usr/share/zoneinfo) on first use; never downloads one.
//
//   rate(N unit)        every N minutes, hours or days (N >= 1; the unit is
//                       singular for 1 and plural otherwise: rate(1 hour),
//                       rate(5 minutes)), anchored at the schedule's start
//                       (or its creation): fires at anchor + k*N, whatever
//                       the time zone.
//   cron(min hour day-of-month month day-of-week year)
//                       min 0-59, hour 0-23, day-of-month 1-31, month 1-12 or
//                       JAN-DEC, day-of-week 1-7 (1 = SUN) or SUN-SAT, year
//                       1970-2199. Every field takes `*`, values, ranges
//                       `a-b`, lists `a,b` and steps `a/n`, `a-b/n`, `*/n`.
//                       One of day-of-month and day-of-week must be `?` (not
//                       both). Day-of-month also takes `L` (last day), `LW`
//                       (last weekday) and `NW` (the weekday nearest day N,
//                       within the month); day-of-week `L` (Saturday), `NL`
//                       (the last day N of the month) and `N#k` (the k-th day
//                       N of the month, k 1-5). Names are case-insensitive.
//   at(yyyy-mm-ddThh:mm:ss)
//                       once, at that local time.
//
// cron and at are read in the schedule's IANA time zone (default UTC), as
// EventBridge does across daylight-saving changes: a local time that does
// not exist (the hour skipped when clocks spring forward) is skipped; a
// local time that occurs twice (clocks fall back) fires once, at its first
// occurrence.
//
// Thread-safety: values are immutable; every function may be called from
// any thread.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "stepd/base/clock.h"
#include "stepd/base/status_or.h"

namespace date {
class time_zone;
}

namespace stepd::runtime {

class ScheduleExpression {
 public:
  enum class Kind { kRate, kCron, kAt };

  // INVALID_ARGUMENT naming the part that is wrong, e.g.
  //   "cron: day-of-week '8' is out of range (1-7 or SUN-SAT)"
  //   "rate: the unit of 1 is singular: 'minute', not 'minutes'"
  //   "schedule expression must be rate(...), cron(...) or at(...), not 'every 5m'"
  static StatusOr<ScheduleExpression> Parse(std::string_view text);

  Kind kind() const { return kind_; }
  // The expression as given.
  const std::string& text() const { return text_; }
  // rate: the interval.
  std::chrono::seconds interval() const { return interval_; }

  // --- The parsed form (for NextFireAfter) -----------------------------------
  struct DayOfMonth {
    std::vector<bool> days = std::vector<bool>(32);  // [1..31]
    bool last = false;                               // L
    bool last_weekday = false;                       // LW
    std::vector<int> nearest_weekday;                // NW
  };
  struct DayOfWeek {
    std::vector<bool> days = std::vector<bool>(8);  // [1..7], 1 = Sunday
    std::vector<int> last_of_month;                 // NL
    std::vector<std::pair<int, int>> nth;           // N#k: (N, k)
  };
  struct Cron {
    std::vector<bool> minutes = std::vector<bool>(60);
    std::vector<bool> hours = std::vector<bool>(24);
    std::vector<bool> months = std::vector<bool>(13);          // [1..12]
    std::vector<bool> years = std::vector<bool>(2200 - 1970);  // year - 1970
    // Exactly one is set (the other field was '?').
    std::optional<DayOfMonth> day_of_month;
    std::optional<DayOfWeek> day_of_week;
  };
  const Cron& cron() const { return cron_; }
  // at: the local date and time, seconds since 1970-01-01T00:00:00 local.
  int64_t at_local_seconds() const { return at_local_seconds_; }

 private:
  Kind kind_ = Kind::kRate;
  std::string text_;
  std::chrono::seconds interval_{0};
  Cron cron_;
  int64_t at_local_seconds_ = 0;
};

// An IANA time zone of the system's database.
class TimeZone {
 public:
  // UTC.
  TimeZone();
  // "America/New_York", "Europe/Berlin", "UTC"... (empty: UTC).
  // INVALID_ARGUMENT "unknown time zone 'Mars/Olympus' (an IANA name such as
  // Europe/Berlin)".
  static StatusOr<TimeZone> Find(std::string_view name);
  const std::string& name() const { return name_; }
  const date::time_zone* zone() const { return zone_; }

 private:
  std::string name_;
  const date::time_zone* zone_ = nullptr;
};

// Bounds of a schedule's fire times.
struct FireWindow {
  // Fire times are >= start and < end, when set.
  std::optional<TimePoint> start;
  std::optional<TimePoint> end;
  // rate: fire times are anchor + k * interval (k >= 0). The schedule's
  // start, or its creation time.
  TimePoint anchor;
};

// The first fire time strictly after `after` inside `window` (whole
// seconds); nullopt when there is none (past the end, an at() already past,
// a cron that matches no later date up to 2199).
std::optional<TimePoint> NextFireAfter(const ScheduleExpression& expression, const TimeZone& zone,
                                       TimePoint after, const FireWindow& window);

// The fire times after `after`, at most `count` of them.
std::vector<TimePoint> NextFireTimes(const ScheduleExpression& expression, const TimeZone& zone,
                                     TimePoint after, const FireWindow& window, size_t count);

}  // namespace stepd::runtime
