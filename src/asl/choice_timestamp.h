#pragma once
// RFC 3339 timestamps as Choice rules compare them ("2016-03-14T01:59:00Z",
// "2016-03-14T01:59:00.123456789+01:00"): an uppercase 'T' between date and
// time and an uppercase 'Z' or a numeric offset, as the ASL specification
// requires. Compared at nanosecond precision in UTC.

#include <cstdint>
#include <optional>
#include <string_view>

namespace stepd::asl {

struct ChoiceTimestamp {
  int64_t seconds = 0;  // since the Unix epoch, UTC
  int32_t nanos = 0;    // 0..999'999'999

  // <0, 0, >0.
  int Compare(const ChoiceTimestamp& other) const {
    if (seconds != other.seconds) return seconds < other.seconds ? -1 : 1;
    if (nanos != other.nanos) return nanos < other.nanos ? -1 : 1;
    return 0;
  }
};

// nullopt when `text` is not such a timestamp (bad shape, month 13, Feb 30...).
std::optional<ChoiceTimestamp> ParseChoiceTimestamp(std::string_view text);

}  // namespace stepd::asl
