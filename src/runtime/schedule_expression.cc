#include "stepd/runtime/schedule_expression.h"

#include <date/date.h>
#include <date/tz.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <exception>

namespace stepd::runtime {
namespace {

using date::local_days;
using date::local_seconds;
using date::sys_seconds;

constexpr int kFirstYear = 1970;
constexpr int kLastYear = 2199;
constexpr int64_t kMaxRateValue = 1000000;

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  size_t at = 0;
  while (true) {
    size_t next = s.find(sep, at);
    parts.push_back(s.substr(at, next == std::string_view::npos ? next : next - at));
    if (next == std::string_view::npos) return parts;
    at = next + 1;
  }
}

std::optional<int64_t> Number(std::string_view s) {
  if (s.empty() || s.size() > 9) return std::nullopt;
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

// One cron field's rules, for values and messages.
struct FieldSpec {
  const char* name;  // "minutes"
  int lo;
  int hi;
  const char* range;                   // "0-59", "1-12 or JAN-DEC"
  const char* const* names = nullptr;  // names[i] is value lo + i
};

constexpr const char* kMonthNames[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                       "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr const char* kDayNames[] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

constexpr FieldSpec kMinutes{"minutes", 0, 59, "0-59"};
constexpr FieldSpec kHours{"hours", 0, 23, "0-23"};
constexpr FieldSpec kDayOfMonth{"day-of-month", 1, 31, "1-31"};
constexpr FieldSpec kMonth{"month", 1, 12, "1-12 or JAN-DEC", kMonthNames};
constexpr FieldSpec kDayOfWeek{"day-of-week", 1, 7, "1-7 or SUN-SAT", kDayNames};
constexpr FieldSpec kYear{"year", kFirstYear, kLastYear, "1970-2199"};

Status FieldError(const FieldSpec& spec, std::string_view item, std::string_view why) {
  return InvalidArgumentError("cron: " + std::string(spec.name) + " '" + std::string(item) + "' " +
                              std::string(why));
}

StatusOr<int> Value(const FieldSpec& spec, std::string_view text) {
  if (auto n = Number(text)) {
    if (*n < spec.lo || *n > spec.hi) {
      return FieldError(spec, text, "is out of range (" + std::string(spec.range) + ")");
    }
    return static_cast<int>(*n);
  }
  if (spec.names != nullptr) {
    const std::string upper = Upper(text);
    for (int i = 0; i <= spec.hi - spec.lo; ++i) {
      if (upper == spec.names[i]) return spec.lo + i;
    }
  }
  return FieldError(spec, text, "is not a value (" + std::string(spec.range) + ")");
}

// `*`, `v`, `v-w`, with an optional `/n`, into `set` (indexed value - offset).
Status ParseItem(const FieldSpec& spec, std::string_view item, std::vector<bool>& set, int offset) {
  std::string_view range = item;
  int step = 1;
  if (size_t slash = item.find('/'); slash != std::string_view::npos) {
    range = item.substr(0, slash);
    std::optional<int64_t> n = Number(item.substr(slash + 1));
    if (!n || *n < 1 || *n > spec.hi - spec.lo + 1) {
      return FieldError(spec, item,
                        "has a bad step (a whole number from 1 to " +
                            std::to_string(spec.hi - spec.lo + 1) + " after '/')");
    }
    step = static_cast<int>(*n);
  }
  int from = spec.lo;
  int to = spec.hi;
  if (range != "*") {
    if (range.empty()) return FieldError(spec, item, "is empty");
    size_t dash = range.find('-');
    STEPD_ASSIGN_OR_RETURN(from, Value(spec, range.substr(0, dash)));
    if (dash != std::string_view::npos) {
      STEPD_ASSIGN_OR_RETURN(to, Value(spec, range.substr(dash + 1)));
      if (to < from) return FieldError(spec, item, "is a range that ends before it starts");
    } else if (item.find('/') == std::string_view::npos) {
      to = from;
    }
  }
  for (int v = from; v <= to; v += step) set[v - offset] = true;
  return Status::OK();
}

Status ParseField(const FieldSpec& spec, std::string_view field, std::vector<bool>& set,
                  int offset) {
  for (std::string_view item : Split(field, ',')) {
    if (item == "?") return FieldError(spec, item, "is not allowed here ('?' only in a day field)");
    STEPD_RETURN_IF_ERROR(ParseItem(spec, item, set, offset));
  }
  return Status::OK();
}

StatusOr<ScheduleExpression::DayOfMonth> ParseDayOfMonth(std::string_view field) {
  ScheduleExpression::DayOfMonth dom;
  for (std::string_view item : Split(field, ',')) {
    const std::string upper = Upper(item);
    if (upper == "L") {
      dom.last = true;
    } else if (upper == "LW") {
      dom.last_weekday = true;
    } else if (upper.size() > 1 && upper.back() == 'W') {
      std::optional<int64_t> n = Number(std::string_view(upper).substr(0, upper.size() - 1));
      if (!n || *n < 1 || *n > 31) {
        return FieldError(kDayOfMonth, item, "needs a day from 1 to 31 before 'W'");
      }
      dom.nearest_weekday.push_back(static_cast<int>(*n));
    } else if (upper.find_first_of("LW#") != std::string::npos) {
      return FieldError(kDayOfMonth, item, "is not a value (1-31, L, LW or NW)");
    } else {
      STEPD_RETURN_IF_ERROR(ParseItem(kDayOfMonth, item, dom.days, 0));
    }
  }
  return dom;
}

StatusOr<ScheduleExpression::DayOfWeek> ParseDayOfWeek(std::string_view field) {
  ScheduleExpression::DayOfWeek dow;
  for (std::string_view item : Split(field, ',')) {
    const std::string upper = Upper(item);
    if (upper == "L") {
      dow.days[7] = true;  // Saturday, as in Quartz
    } else if (size_t hash = upper.find('#'); hash != std::string::npos) {
      StatusOr<int> day = Value(kDayOfWeek, std::string_view(upper).substr(0, hash));
      if (!day.ok()) return day.status();
      std::optional<int64_t> k = Number(std::string_view(upper).substr(hash + 1));
      if (!k || *k < 1 || *k > 5) {
        return FieldError(kDayOfWeek, item, "needs a week from 1 to 5 after '#'");
      }
      dow.nth.emplace_back(*day, static_cast<int>(*k));
    } else if (upper.size() > 1 && upper.back() == 'L') {
      StatusOr<int> day = Value(kDayOfWeek, std::string_view(upper).substr(0, upper.size() - 1));
      if (!day.ok()) return day.status();
      dow.last_of_month.push_back(*day);
    } else {
      STEPD_RETURN_IF_ERROR(ParseItem(kDayOfWeek, item, dow.days, 0));
    }
  }
  return dow;
}

unsigned LastDay(int y, unsigned m) {
  return static_cast<unsigned>((date::year(y) / date::month(m) / date::last).day());
}

// 1 = Sunday .. 7 = Saturday.
int Weekday(int y, unsigned m, unsigned d) {
  return static_cast<int>(date::weekday(local_days(date::year(y) / date::month(m) / date::day(d)))
                              .c_encoding()) +
         1;
}

bool DayMatches(const ScheduleExpression::Cron& c, int y, unsigned m, unsigned d, unsigned last) {
  if (c.day_of_month) {
    const ScheduleExpression::DayOfMonth& dom = *c.day_of_month;
    if (dom.days[d] || (dom.last && d == last)) return true;
    if (dom.last_weekday) {
      const int wd = Weekday(y, m, last);
      const unsigned lw = wd == 7 ? last - 1 : wd == 1 ? last - 2 : last;
      if (d == lw) return true;
    }
    for (int n : dom.nearest_weekday) {
      if (static_cast<unsigned>(n) > last) continue;
      unsigned target = static_cast<unsigned>(n);
      const int wd = Weekday(y, m, target);
      if (wd == 7) target = target == 1 ? 3 : target - 1;
      if (wd == 1) target = target == last ? target - 2 : target + 1;
      if (d == target) return true;
    }
    return false;
  }
  const ScheduleExpression::DayOfWeek& dow = *c.day_of_week;
  const int wd = Weekday(y, m, d);
  if (dow.days[wd]) return true;
  for (int n : dow.last_of_month) {
    if (n == wd && d + 7 > last) return true;
  }
  for (const auto& [n, k] : dow.nth) {
    if (n == wd && static_cast<int>((d - 1) / 7 + 1) == k) return true;
  }
  return false;
}

// The UTC time of a local time: its first occurrence; nullopt when the
// local time does not exist.
std::optional<sys_seconds> ToSys(const date::time_zone* zone, local_seconds local) {
  const date::local_info info = zone->get_info(local);
  if (info.result == date::local_info::nonexistent) return std::nullopt;
  return sys_seconds(local.time_since_epoch()) - info.first.offset;
}

std::optional<sys_seconds> NextCron(const ScheduleExpression::Cron& c, const date::time_zone* zone,
                                    sys_seconds lower, std::optional<sys_seconds> end) {
  const local_seconds lower_local = zone->to_local(lower);
  const date::year_month_day from(date::floor<date::days>(lower_local));
  const int y0 = static_cast<int>(from.year());
  const unsigned m0 = static_cast<unsigned>(from.month());
  const unsigned d0 = static_cast<unsigned>(from.day());
  for (int y = std::max(y0, kFirstYear); y <= kLastYear; ++y) {
    if (!c.years[y - kFirstYear]) continue;
    for (unsigned m = y == y0 ? m0 : 1; m <= 12; ++m) {
      if (!c.months[m]) continue;
      const unsigned last = LastDay(y, m);
      for (unsigned d = (y == y0 && m == m0) ? d0 : 1; d <= last; ++d) {
        if (!DayMatches(c, y, m, d, last)) continue;
        const local_days day(date::year(y) / date::month(m) / date::day(d));
        for (int h = 0; h < 24; ++h) {
          if (!c.hours[h]) continue;
          for (int mi = 0; mi < 60; ++mi) {
            if (!c.minutes[mi]) continue;
            const local_seconds candidate = day + std::chrono::hours(h) + std::chrono::minutes(mi);
            // First occurrences map local times to UTC in order: nothing at
            // or before `lower`'s local time is after `lower`.
            if (candidate <= lower_local) continue;
            std::optional<sys_seconds> t = ToSys(zone, candidate);
            if (!t || *t <= lower) continue;
            if (end && *t >= *end) return std::nullopt;
            return t;
          }
        }
      }
    }
  }
  return std::nullopt;
}

}  // namespace

StatusOr<ScheduleExpression> ScheduleExpression::Parse(std::string_view text) {
  ScheduleExpression e;
  e.text_ = std::string(text);
  const std::string_view trimmed = Trim(text);
  auto body_of = [&](std::string_view prefix) -> std::optional<std::string_view> {
    if (trimmed.size() < prefix.size() + 1 || trimmed.substr(0, prefix.size()) != prefix ||
        trimmed.back() != ')') {
      return std::nullopt;
    }
    return trimmed.substr(prefix.size(), trimmed.size() - prefix.size() - 1);
  };
  if (auto body = body_of("rate(")) {
    e.kind_ = Kind::kRate;
    std::vector<std::string_view> parts;
    for (std::string_view p : Split(Trim(*body), ' ')) {
      if (!p.empty()) parts.push_back(p);
    }
    if (parts.size() != 2) {
      return InvalidArgumentError("rate: expected rate(value unit), e.g. rate(5 minutes), not '" +
                                  std::string(text) + "'");
    }
    std::optional<int64_t> n = Number(parts[0]);
    if (!n || *n < 1 || *n > kMaxRateValue) {
      return InvalidArgumentError("rate: the value '" + std::string(parts[0]) +
                                  "' must be a whole number from 1 to " +
                                  std::to_string(kMaxRateValue));
    }
    const std::string unit(parts[1]);
    int64_t seconds = 0;
    std::string singular;
    if (unit == "minute" || unit == "minutes") {
      seconds = 60, singular = "minute";
    } else if (unit == "hour" || unit == "hours") {
      seconds = 3600, singular = "hour";
    } else if (unit == "day" || unit == "days") {
      seconds = 86400, singular = "day";
    } else {
      return InvalidArgumentError("rate: the unit '" + unit +
                                  "' must be minute(s), hour(s) or day(s)");
    }
    if (*n == 1 && unit != singular) {
      return InvalidArgumentError("rate: the unit of 1 is singular: '" + singular + "', not '" +
                                  unit + "'");
    }
    if (*n > 1 && unit == singular) {
      return InvalidArgumentError("rate: the unit of " + std::to_string(*n) + " is plural: '" +
                                  singular + "s', not '" + unit + "'");
    }
    e.interval_ = std::chrono::seconds(*n * seconds);
    return e;
  }
  if (auto body = body_of("cron(")) {
    e.kind_ = Kind::kCron;
    std::vector<std::string_view> fields;
    for (std::string_view p : Split(Trim(*body), ' ')) {
      if (!p.empty()) fields.push_back(p);
    }
    if (fields.size() != 6) {
      return InvalidArgumentError(
          "cron: expected 6 fields (minutes hours day-of-month month day-of-week year), got " +
          std::to_string(fields.size()));
    }
    Cron& c = e.cron_;
    STEPD_RETURN_IF_ERROR(ParseField(kMinutes, fields[0], c.minutes, 0));
    STEPD_RETURN_IF_ERROR(ParseField(kHours, fields[1], c.hours, 0));
    STEPD_RETURN_IF_ERROR(ParseField(kMonth, fields[3], c.months, 0));
    STEPD_RETURN_IF_ERROR(ParseField(kYear, fields[5], c.years, kFirstYear));
    const bool dom_any = fields[2] == "?";
    const bool dow_any = fields[4] == "?";
    if (dom_any && dow_any) {
      return InvalidArgumentError(
          "cron: day-of-month and day-of-week cannot both be '?'; give one of them");
    }
    if (!dom_any && !dow_any) {
      return InvalidArgumentError("cron: one of day-of-month ('" + std::string(fields[2]) +
                                  "') and day-of-week ('" + std::string(fields[4]) +
                                  "') must be '?'");
    }
    if (!dom_any) {
      STEPD_ASSIGN_OR_RETURN(DayOfMonth dom, ParseDayOfMonth(fields[2]));
      c.day_of_month = std::move(dom);
    } else {
      STEPD_ASSIGN_OR_RETURN(DayOfWeek dow, ParseDayOfWeek(fields[4]));
      c.day_of_week = std::move(dow);
    }
    return e;
  }
  if (auto body = body_of("at(")) {
    e.kind_ = Kind::kAt;
    const std::string_view t = Trim(*body);
    auto digits = [&](size_t at, size_t n) -> std::optional<int> {
      if (at + n > t.size()) return std::nullopt;
      std::optional<int64_t> v = Number(t.substr(at, n));
      if (!v || t[at] == '+' || t[at] == '-') return std::nullopt;
      return static_cast<int>(*v);
    };
    auto y = digits(0, 4), mo = digits(5, 2), d = digits(8, 2), h = digits(11, 2),
         mi = digits(14, 2), s = digits(17, 2);
    if (t.size() != 19 || !y || !mo || !d || !h || !mi || !s || t[4] != '-' || t[7] != '-' ||
        t[10] != 'T' || t[13] != ':' || t[16] != ':') {
      return InvalidArgumentError("at: expected at(yyyy-mm-ddThh:mm:ss), not '" +
                                  std::string(text) + "'");
    }
    const date::year_month_day ymd(date::year(*y), date::month(static_cast<unsigned>(*mo)),
                                   date::day(static_cast<unsigned>(*d)));
    if (!ymd.ok() || *y < kFirstYear || *y > kLastYear) {
      return InvalidArgumentError("at: '" + std::string(t) + "' is not a date from 1970 to 2199");
    }
    if (*h > 23 || *mi > 59 || *s > 59) {
      return InvalidArgumentError("at: '" + std::string(t) + "' is not a time of day");
    }
    e.at_local_seconds_ = (local_days(ymd) + std::chrono::hours(*h) + std::chrono::minutes(*mi) +
                           std::chrono::seconds(*s))
                              .time_since_epoch()
                              .count();
    return e;
  }
  return InvalidArgumentError("schedule expression must be rate(...), cron(...) or at(...), not '" +
                              std::string(text) + "'");
}

TimeZone::TimeZone() : name_("UTC"), zone_(date::locate_zone("UTC")) {}

StatusOr<TimeZone> TimeZone::Find(std::string_view name) {
  if (name.empty()) return TimeZone();
  TimeZone tz;
  try {
    tz.zone_ = date::locate_zone(name);
  } catch (const std::exception&) {
    return InvalidArgumentError("unknown time zone '" + std::string(name) +
                                "' (an IANA name such as Europe/Berlin)");
  }
  tz.name_ = std::string(name);
  return tz;
}

std::optional<TimePoint> NextFireAfter(const ScheduleExpression& expression, const TimeZone& zone,
                                       TimePoint after, const FireWindow& window) {
  using std::chrono::ceil;
  using std::chrono::floor;
  using std::chrono::seconds;
  sys_seconds lower = floor<seconds>(after);
  if (window.start) lower = std::max(lower, ceil<seconds>(*window.start) - seconds(1));
  std::optional<sys_seconds> end;
  if (window.end) end = ceil<seconds>(*window.end);
  std::optional<sys_seconds> next;
  switch (expression.kind()) {
    case ScheduleExpression::Kind::kRate: {
      const sys_seconds anchor = floor<seconds>(window.anchor);
      const int64_t interval = expression.interval().count();
      int64_t k = 0;
      if (lower >= anchor) k = (lower - anchor).count() / interval + 1;
      next = anchor + seconds(k * interval);
      break;
    }
    case ScheduleExpression::Kind::kCron:
      next = NextCron(expression.cron(), zone.zone(), lower, end);
      break;
    case ScheduleExpression::Kind::kAt: {
      next = ToSys(zone.zone(), local_seconds(seconds(expression.at_local_seconds())));
      if (next && *next <= lower) next.reset();
      break;
    }
  }
  if (!next || (end && *next >= *end)) return std::nullopt;
  return TimePoint(*next);
}

std::vector<TimePoint> NextFireTimes(const ScheduleExpression& expression, const TimeZone& zone,
                                     TimePoint after, const FireWindow& window, size_t count) {
  std::vector<TimePoint> times;
  while (times.size() < count) {
    std::optional<TimePoint> next = NextFireAfter(expression, zone, after, window);
    if (!next) break;
    times.push_back(*next);
    after = *next;
  }
  return times;
}

}  // namespace stepd::runtime
