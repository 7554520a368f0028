#pragma once
// Private to src/asl/jsonata_*.cc: the picture-string formatting and parsing
// behind JSONata's $fromMillis, $toMillis, $formatInteger, $parseInteger,
// $formatNumber and $formatBase (XPath F&O 3.1 format-dateTime,
// format-integer and format-number, as jsonata-js 2.x implements them).
//
// The results are jsonata-js' own, its quirks included (AWS Step Functions
// runs jsonata-js: a workflow must format the same here), except where
// jsonata-js hangs or crashes; there these functions give the XPath result
// or throw. Strings are UTF-8 and a character is a code point. Failures throw
// Error with jsonata-js' code (U1001 where jsonata-js runs out of stack or
// string length: roman numerals above 10 million, widths above a million
// digits). Pure functions of their arguments: no I/O, no shared state,
// thread-safe. Undefined arguments are the caller's business
// (jsonata-js returns undefined for an undefined first argument).

#include <optional>
#include <string>
#include <string_view>

#include "jsonata_error.h"

namespace stepd::asl::jsonata {

// $fromMillis(millis, picture?, timezone?). `picture` absent: ISO 8601 with
// milliseconds, "1970-01-01T00:00:00.001Z" (an empty picture gives "", as in
// jsonata-js). `timezone` is read as jsonata-js reads it, an integer +hhmm
// ("+0100", "-0500"; parseInt semantics, so "+01:00" is one minute); absent
// means UTC. Picture: XPath format-dateTime variable markers [Y] [M] [D] [d]
// [F] [W] [w] [X] [x] [H] [h] [P] [m] [s] [f] [Z] [z] [C] [E] with
// presentation modifiers (1 01 001 # i I a A w W Ww N n Nn, then o/c/t),
// width modifiers ",min-max" (* for none), grouping separators, literal
// text, and [[ ]] for brackets. Whitespace inside a marker is ignored.
// Throws D3130 (unsupported numbering sequence), D3131 (mixed digit
// families), D3132 (unknown component without presentation), D3133 (names
// for a component that has none), D3134 (timezone of more than 4 digits),
// D3135 (no closing bracket).
std::string FormatDateTime(double millis, std::optional<std::string_view> picture,
                           std::optional<std::string_view> timezone);

// $toMillis(timestamp, picture?). Without a picture: a timestamp matching
// jsonata-js' ISO 8601 pattern YYYY[-MM][-DD][Thh:mm:ss][.d+][Z|±hh[:]mm],
// else D3110; then read as V8's Date.parse reads it (nullopt where that
// gives NaN, e.g. month 13), except that no offset means UTC, not local
// time. With a picture (as for FormatDateTime): the timestamp must match it
// entirely (letters case-insensitively), else nullopt; [f] reads a fraction
// of a second; components left of the most significant one given default to
// `now_millis` (jsonata-js' evaluation timestamp, $now), those right of the
// least significant to their minimum; a gap between given components, or a
// date given by week (X/W/x/w/F), is D3136; names for a component without
// names D3133. Also nullopt where jsonata-js yields NaN (an out-of-range
// date, an unknown name or numeral), which no JSON value can carry.
std::optional<double> ParseDateTime(std::string_view timestamp,
                                    std::optional<std::string_view> picture, double now_millis);
// As above, with now_millis read from the system clock.
std::optional<double> ParseDateTime(std::string_view timestamp,
                                    std::optional<std::string_view> picture);

// $formatInteger(number, picture): the number rounded down, then a
// decimal-digit pattern ("0", "001", "#,##0", any Unicode decimal digit
// family, irregular grouping), "a"/"A" (a..z, aa..), "i"/"I" (roman), "w",
// "W", "Ww" (English words), each optionally followed by ";o" (ordinal:
// 1st, first). Throws D3130 for another picture, D3131 for mixed digit
// families.
std::string FormatInteger(double value, std::string_view picture);

// $parseInteger(string, picture): the inverse of FormatInteger, as lenient
// as jsonata-js (a decimal picture reads the leading integer and ignores the
// rest). nullopt where jsonata-js gives NaN (nothing readable). Throws as
// FormatInteger does.
std::optional<double> ParseInteger(std::string_view text, std::string_view picture);

// The decimal format of $formatNumber: XPath's properties with their default
// values, each a string (UTF-8; one character, though jsonata-js does not
// check). jsonata-js' options object overrides them by name.
struct DecimalFormat {
  std::string decimal_separator = ".";
  std::string grouping_separator = ",";
  std::string exponent_separator = "e";
  std::string infinity = "Infinity";
  std::string minus_sign = "-";
  std::string nan = "NaN";
  std::string percent = "%";
  std::string per_mille = "\xE2\x80\xB0";  // U+2030
  std::string zero_digit = "0";
  std::string digit = "#";
  std::string pattern_separator = ";";
};

// Sets the property named `key` as in $formatNumber's options
// ("decimal-separator", "grouping-separator", "exponent-separator",
// "infinity", "minus-sign", "NaN", "percent", "per-mille", "zero-digit",
// "digit", "pattern-separator"). Returns false for any other key, which
// jsonata-js ignores without an error.
bool SetDecimalFormatProperty(DecimalFormat& format, std::string_view key, std::string value);

// $formatNumber(number, picture, options?): XPath format-number. Throws
// D3080 (more than two sub-pictures) and D3081-D3093 for an invalid
// sub-picture, with jsonata-js' precedence (the last rule broken wins).
std::string FormatNumber(double value, std::string_view picture, const DecimalFormat& format);

// $formatBase(number, radix?): both rounded half to even; radix 10 when
// absent. Throws D3100 unless 2 <= radix <= 36. Digits beyond a double's
// precision are zeros, as in JavaScript's Number.prototype.toString(radix).
std::string FormatBase(double value, double radix = 10);

}  // namespace stepd::asl::jsonata
