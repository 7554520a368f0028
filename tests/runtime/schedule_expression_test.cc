#include "stepd/runtime/schedule_expression.h"

#include <date/date.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace stepd::runtime {
namespace {

TimePoint Utc(int y, unsigned m, unsigned d, int h = 0, int mi = 0, int s = 0) {
  return TimePoint(date::sys_days(date::year(y) / date::month(m) / date::day(d)) +
                   std::chrono::hours(h) + std::chrono::minutes(mi) + std::chrono::seconds(s));
}

std::string Iso(TimePoint t) {
  return date::format("%FT%TZ", std::chrono::floor<std::chrono::seconds>(t));
}

ScheduleExpression Parsed(const std::string& text) {
  StatusOr<ScheduleExpression> e = ScheduleExpression::Parse(text);
  EXPECT_TRUE(e.ok()) << text << ": " << e.status().ToString();
  return e.ok() ? *e : ScheduleExpression::Parse("rate(1 minute)").value();
}

TimeZone Zone(const std::string& name) { return TimeZone::Find(name).value(); }

// The next `n` fire times after `after`, as ISO text.
std::vector<std::string> Next(const std::string& expression, const std::string& zone,
                              TimePoint after, size_t n, FireWindow window = {}) {
  std::vector<std::string> out;
  for (TimePoint t : NextFireTimes(Parsed(expression), Zone(zone), after, window, n)) {
    out.push_back(Iso(t));
  }
  return out;
}

std::string ParseError(const std::string& text) {
  StatusOr<ScheduleExpression> e = ScheduleExpression::Parse(text);
  EXPECT_FALSE(e.ok()) << text;
  EXPECT_EQ(e.status().code(), StatusCode::kInvalidArgument);
  return std::string(e.status().message());
}

using Times = std::vector<std::string>;

// --- rate ------------------------------------------------------------------------

TEST(ScheduleExpression, RateParsesEachUnit) {
  EXPECT_EQ(Parsed("rate(1 minute)").interval(), std::chrono::seconds(60));
  EXPECT_EQ(Parsed("rate(5 minutes)").interval(), std::chrono::seconds(300));
  EXPECT_EQ(Parsed("rate(1 hour)").interval(), std::chrono::seconds(3600));
  EXPECT_EQ(Parsed("rate(2 hours)").interval(), std::chrono::seconds(7200));
  EXPECT_EQ(Parsed("rate(1 day)").interval(), std::chrono::seconds(86400));
  EXPECT_EQ(Parsed("rate(3 days)").interval(), std::chrono::seconds(3 * 86400));
  EXPECT_EQ(Parsed("rate(3 days)").kind(), ScheduleExpression::Kind::kRate);
}

TEST(ScheduleExpression, RateRefusesWrongNumberAndUnit) {
  EXPECT_EQ(ParseError("rate(1 minutes)"),
            "rate: the unit of 1 is singular: 'minute', not 'minutes'");
  EXPECT_EQ(ParseError("rate(5 minute)"), "rate: the unit of 5 is plural: 'minutes', not 'minute'");
  EXPECT_EQ(ParseError("rate(0 minutes)"),
            "rate: the value '0' must be a whole number from 1 to 1000000");
  EXPECT_EQ(ParseError("rate(-1 minutes)"),
            "rate: the value '-1' must be a whole number from 1 to 1000000");
  EXPECT_EQ(ParseError("rate(5 weeks)"),
            "rate: the unit 'weeks' must be minute(s), hour(s) or day(s)");
  EXPECT_EQ(ParseError("rate(5)"),
            "rate: expected rate(value unit), e.g. rate(5 minutes), not 'rate(5)'");
  EXPECT_EQ(ParseError("every 5 minutes"),
            "schedule expression must be rate(...), cron(...) or at(...), not 'every 5 minutes'");
}

TEST(ScheduleExpression, RateIsAnchoredAtTheStartAndIgnoresTheTimeZone) {
  FireWindow window;
  window.anchor = Utc(2026, 3, 7, 10, 0, 7);
  EXPECT_EQ(Next("rate(5 minutes)", "UTC", Utc(2026, 3, 7, 10, 12), 2, window),
            (Times{"2026-03-07T10:15:07Z", "2026-03-07T10:20:07Z"}));
  // Across New York's spring-forward a daily rate stays 24 hours apart.
  window.anchor = Utc(2026, 3, 7, 12);
  EXPECT_EQ(Next("rate(1 day)", "America/New_York", Utc(2026, 3, 7, 12), 2, window),
            (Times{"2026-03-08T12:00:00Z", "2026-03-09T12:00:00Z"}));
  // Before the anchor, the anchor itself is the first fire time.
  window.start = Utc(2026, 4, 1);
  window.anchor = *window.start;
  EXPECT_EQ(Next("rate(1 hour)", "UTC", Utc(2026, 3, 1), 2, window),
            (Times{"2026-04-01T00:00:00Z", "2026-04-01T01:00:00Z"}));
}

// --- cron --------------------------------------------------------------------------

TEST(ScheduleExpression, CronFiresDailyAtNoonUtc) {
  EXPECT_EQ(Next("cron(0 12 * * ? *)", "UTC", Utc(2026, 1, 1, 13), 2),
            (Times{"2026-01-02T12:00:00Z", "2026-01-03T12:00:00Z"}));
  // Strictly after: a fire time equal to `after` is not repeated.
  EXPECT_EQ(Next("cron(0 12 * * ? *)", "UTC", Utc(2026, 1, 2, 12), 1),
            (Times{"2026-01-03T12:00:00Z"}));
}

TEST(ScheduleExpression, CronListsRangesAndSteps) {
  // Every 20 minutes from 9 to 10 on weekdays (2026-01-02 is a Friday).
  EXPECT_EQ(Next("cron(0/20 9-10 ? * MON-FRI *)", "UTC", Utc(2026, 1, 2, 10, 30), 3),
            (Times{"2026-01-02T10:40:00Z", "2026-01-05T09:00:00Z", "2026-01-05T09:20:00Z"}));
  EXPECT_EQ(Next("cron(*/30 8 ? * * *)", "UTC", Utc(2026, 1, 1), 2),
            (Times{"2026-01-01T08:00:00Z", "2026-01-01T08:30:00Z"}));
  EXPECT_EQ(Next("cron(5,10 3 1,15 * ? *)", "UTC", Utc(2026, 1, 1), 3),
            (Times{"2026-01-01T03:05:00Z", "2026-01-01T03:10:00Z", "2026-01-15T03:05:00Z"}));
  EXPECT_EQ(Next("cron(0 0 1 1-12/6 ? *)", "UTC", Utc(2026, 1, 2), 2),
            (Times{"2026-07-01T00:00:00Z", "2027-01-01T00:00:00Z"}));
}

TEST(ScheduleExpression, CronNamesAreCaseInsensitiveAndDayOfWeekCountsFromSunday) {
  EXPECT_EQ(Next("cron(0 6 ? mar,Sep sun *)", "UTC", Utc(2026, 1, 1), 2),
            (Times{"2026-03-01T06:00:00Z", "2026-03-08T06:00:00Z"}));
  // 1 is Sunday, 7 Saturday (2026-01-03 is a Saturday, 01-04 a Sunday).
  EXPECT_EQ(Next("cron(0 6 ? * 1,7 *)", "UTC", Utc(2026, 1, 1), 2),
            (Times{"2026-01-03T06:00:00Z", "2026-01-04T06:00:00Z"}));
}

TEST(ScheduleExpression, CronYearsLimitTheSchedule) {
  EXPECT_EQ(Next("cron(0 0 1 1 ? 2027-2028)", "UTC", Utc(2026, 5, 1), 3),
            (Times{"2027-01-01T00:00:00Z", "2028-01-01T00:00:00Z"}));
  EXPECT_EQ(Next("cron(0 0 30 2 ? *)", "UTC", Utc(2026, 5, 1), 1), Times{});
}

TEST(ScheduleExpression, CronLastDayAndWeekdaysOfTheMonth) {
  EXPECT_EQ(Next("cron(0 0 L * ? *)", "UTC", Utc(2028, 2, 1), 2),
            (Times{"2028-02-29T00:00:00Z", "2028-03-31T00:00:00Z"}));
  // LW: 2026-01-31 is a Saturday, 2026-05-31 a Sunday: the Friday before.
  EXPECT_EQ(Next("cron(0 0 LW 1,5 ? *)", "UTC", Utc(2026, 1, 1), 2),
            (Times{"2026-01-30T00:00:00Z", "2026-05-29T00:00:00Z"}));
  // 15W: 2026-08-15 is a Saturday (Friday 14th), 2026-11-15 a Sunday (Monday 16th).
  EXPECT_EQ(Next("cron(0 0 15W 8,11 ? *)", "UTC", Utc(2026, 1, 1), 2),
            (Times{"2026-08-14T00:00:00Z", "2026-11-16T00:00:00Z"}));
  // 1W on a Saturday (2026-08-01) stays in the month: Monday the 3rd.
  EXPECT_EQ(Next("cron(0 0 1W 8 ? 2026)", "UTC", Utc(2026, 1, 1), 1),
            (Times{"2026-08-03T00:00:00Z"}));
}

TEST(ScheduleExpression, CronLastAndNthWeekdayOfTheMonth) {
  // 6L: the last Friday.
  EXPECT_EQ(Next("cron(0 0 ? 1,2 6L *)", "UTC", Utc(2026, 1, 1), 2),
            (Times{"2026-01-30T00:00:00Z", "2026-02-27T00:00:00Z"}));
  // MON#1: the first Monday; 3#2 the second Tuesday.
  EXPECT_EQ(Next("cron(0 0 ? 2 MON#1 *)", "UTC", Utc(2026, 1, 1), 1),
            (Times{"2026-02-02T00:00:00Z"}));
  EXPECT_EQ(Next("cron(0 0 ? 2 3#2 *)", "UTC", Utc(2026, 1, 1), 1),
            (Times{"2026-02-10T00:00:00Z"}));
  // L alone in day-of-week: Saturday.
  EXPECT_EQ(Next("cron(0 0 ? * L *)", "UTC", Utc(2026, 1, 1), 1), (Times{"2026-01-03T00:00:00Z"}));
}

TEST(ScheduleExpression, CronErrorsNameTheField) {
  EXPECT_EQ(ParseError("cron(0 12 * * *)"),
            "cron: expected 6 fields (minutes hours day-of-month month day-of-week year), got 5");
  EXPECT_EQ(ParseError("cron(60 12 * * ? *)"), "cron: minutes '60' is out of range (0-59)");
  EXPECT_EQ(ParseError("cron(0 24 * * ? *)"), "cron: hours '24' is out of range (0-23)");
  EXPECT_EQ(ParseError("cron(0 12 32 * ? *)"), "cron: day-of-month '32' is out of range (1-31)");
  EXPECT_EQ(ParseError("cron(0 12 * 13 ? *)"),
            "cron: month '13' is out of range (1-12 or JAN-DEC)");
  EXPECT_EQ(ParseError("cron(0 12 * FOO ? *)"),
            "cron: month 'FOO' is not a value (1-12 or JAN-DEC)");
  EXPECT_EQ(ParseError("cron(0 12 ? * 8 *)"),
            "cron: day-of-week '8' is out of range (1-7 or SUN-SAT)");
  EXPECT_EQ(ParseError("cron(0 12 * * ? 1969)"), "cron: year '1969' is out of range (1970-2199)");
  EXPECT_EQ(ParseError("cron(0 12 * * * *)"),
            "cron: one of day-of-month ('*') and day-of-week ('*') must be '?'");
  EXPECT_EQ(ParseError("cron(0 12 ? * ? *)"),
            "cron: day-of-month and day-of-week cannot both be '?'; give one of them");
  EXPECT_EQ(ParseError("cron(? 12 * * ? *)"),
            "cron: minutes '?' is not allowed here ('?' only in a day field)");
  EXPECT_EQ(ParseError("cron(0/0 12 * * ? *)"),
            "cron: minutes '0/0' has a bad step (a whole number from 1 to 60 after '/')");
  EXPECT_EQ(ParseError("cron(0 12-3 * * ? *)"),
            "cron: hours '12-3' is a range that ends before it starts");
  EXPECT_EQ(ParseError("cron(0 12 32W * ? *)"),
            "cron: day-of-month '32W' needs a day from 1 to 31 before 'W'");
  EXPECT_EQ(ParseError("cron(0 12 ? * 2#6 *)"),
            "cron: day-of-week '2#6' needs a week from 1 to 5 after '#'");
  EXPECT_EQ(ParseError("cron(0 12 1,,2 * ? *)"), "cron: day-of-month '' is empty");
}

// --- time zones and daylight saving ------------------------------------------------------

TEST(ScheduleExpression, CronFollowsTheLocalClockOfItsTimeZone) {
  // Noon in Berlin is 11:00Z in winter and 10:00Z in summer.
  EXPECT_EQ(Next("cron(0 12 * * ? *)", "Europe/Berlin", Utc(2026, 3, 28, 12), 2),
            (Times{"2026-03-29T10:00:00Z", "2026-03-30T10:00:00Z"}));
}

TEST(ScheduleExpression, SpringForwardSkipsTheLocalTimeThatDoesNotExist) {
  // New York, 2026-03-08: 02:00 EST jumps to 03:00 EDT; 02:30 never happens.
  EXPECT_EQ(Next("cron(30 2 * * ? *)", "America/New_York", Utc(2026, 3, 7), 2),
            (Times{"2026-03-07T07:30:00Z", "2026-03-09T06:30:00Z"}));
  // Berlin, 2026-03-29: 02:00 CET jumps to 03:00 CEST.
  EXPECT_EQ(Next("cron(30 2 * * ? *)", "Europe/Berlin", Utc(2026, 3, 28), 2),
            (Times{"2026-03-28T01:30:00Z", "2026-03-30T00:30:00Z"}));
}

TEST(ScheduleExpression, FallBackFiresARepeatedLocalTimeOnce) {
  // New York, 2026-11-01: 02:00 EDT falls back to 01:00 EST; 01:30 happens
  // twice (05:30Z and 06:30Z) and fires at the first.
  EXPECT_EQ(Next("cron(30 1 * * ? *)", "America/New_York", Utc(2026, 10, 31, 12), 2),
            (Times{"2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z"}));
  // Hourly at :30 that day: 01:30 EDT, then 02:30 EST (not 01:30 EST).
  EXPECT_EQ(Next("cron(30 * * * ? *)", "America/New_York", Utc(2026, 11, 1, 4, 45), 3),
            (Times{"2026-11-01T05:30:00Z", "2026-11-01T07:30:00Z", "2026-11-01T08:30:00Z"}));
  // Berlin, 2026-10-25: 03:00 CEST falls back to 02:00 CET.
  EXPECT_EQ(Next("cron(30 2 * * ? *)", "Europe/Berlin", Utc(2026, 10, 24, 12), 2),
            (Times{"2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"}));
  // Asked from between the two occurrences, the next is the next day's.
  EXPECT_EQ(Next("cron(30 2 * * ? *)", "Europe/Berlin", Utc(2026, 10, 25, 1), 1),
            (Times{"2026-10-26T01:30:00Z"}));
}

TEST(ScheduleExpression, UnknownTimeZoneIsRefusedByName) {
  StatusOr<TimeZone> zone = TimeZone::Find("Mars/Olympus");
  ASSERT_FALSE(zone.ok());
  EXPECT_EQ(zone.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(zone.status().message(),
            "unknown time zone 'Mars/Olympus' (an IANA name such as Europe/Berlin)");
  EXPECT_EQ(TimeZone::Find("").value().name(), "UTC");
}

// --- at, and the window ---------------------------------------------------------------

TEST(ScheduleExpression, AtFiresOnceAtItsLocalTime) {
  EXPECT_EQ(Next("at(2026-06-01T09:00:00)", "Europe/Berlin", Utc(2026, 1, 1), 2),
            (Times{"2026-06-01T07:00:00Z"}));
  EXPECT_EQ(Next("at(2026-06-01T09:00:00)", "Europe/Berlin", Utc(2026, 6, 1, 7), 1), Times{});
  // A local time that does not exist never comes.
  EXPECT_EQ(Next("at(2026-03-29T02:30:00)", "Europe/Berlin", Utc(2026, 1, 1), 1), Times{});
  EXPECT_EQ(ParseError("at(2026-02-30T09:00:00)"),
            "at: '2026-02-30T09:00:00' is not a date from 1970 to 2199");
  EXPECT_EQ(ParseError("at(2026-06-01T24:00:00)"),
            "at: '2026-06-01T24:00:00' is not a time of day");
  EXPECT_EQ(ParseError("at(2026-06-01 09:00)"),
            "at: expected at(yyyy-mm-ddThh:mm:ss), not 'at(2026-06-01 09:00)'");
}

TEST(ScheduleExpression, StartAndEndBoundTheFireTimes) {
  FireWindow window;
  window.start = Utc(2026, 1, 3, 12);  // inclusive
  window.end = Utc(2026, 1, 5, 12);    // exclusive
  EXPECT_EQ(Next("cron(0 12 * * ? *)", "UTC", Utc(2026, 1, 1), 5, window),
            (Times{"2026-01-03T12:00:00Z", "2026-01-04T12:00:00Z"}));
}

}  // namespace
}  // namespace stepd::runtime
