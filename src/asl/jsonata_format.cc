#include "jsonata_format.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <map>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

namespace stepd::asl::jsonata {
namespace {

// Strings are handled as code points; jsonata-js' string indexes (UTF-16
// units) agree for the Basic Multilingual Plane. Numbers are doubles with
// JavaScript's semantics: NaN stands for undefined where jsonata-js computes
// on it.
using U32 = std::u32string;
using U32View = std::u32string_view;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kMsPerDay = 86400000;

[[noreturn]] void Fail(const char* code, std::string message) {
  throw Error(code, std::move(message));
}

// ---- UTF-8 ----

U32 Decode(std::string_view s) {
  U32 out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    const auto b = static_cast<unsigned char>(s[i]);
    int len = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 0;
    char32_t c = len == 1 ? b : len == 2 ? (b & 0x1F) : len == 3 ? (b & 0x0F) : (b & 0x07);
    bool ok = len > 0 && i + len <= s.size();
    for (int k = 1; ok && k < len; ++k) {
      const auto cb = static_cast<unsigned char>(s[i + k]);
      ok = (cb & 0xC0) == 0x80;
      c = (c << 6) | (cb & 0x3F);
    }
    if (!ok) {
      out.push_back(0xFFFD);
      ++i;
      continue;
    }
    out.push_back(c);
    i += len;
  }
  return out;
}

void AppendUtf8(std::string& out, char32_t c) {
  if (c < 0x80) {
    out.push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (c >> 6)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (c >> 12)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x110000) {
    out.push_back(static_cast<char>(0xF0 | (c >> 18)));
    out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    AppendUtf8(out, 0xFFFD);
  }
}

std::string Encode(U32View s) {
  std::string out;
  out.reserve(s.size());
  for (char32_t c : s) AppendUtf8(out, c);
  return out;
}

U32 Ascii(std::string_view s) { return U32(s.begin(), s.end()); }

// A short excerpt of user text (UTF-8) for messages.
std::string Excerpt(std::string_view s) {
  if (s.size() <= 40) return std::string(s);
  size_t end = 37;
  while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) --end;
  return std::string(s.substr(0, end)) + "...";
}

// ---- JavaScript string semantics ----

bool IsJsSpace(char32_t c) {
  return (c >= 9 && c <= 13) || c == 32 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F ||
         c == 0x3000 || c == 0xFEFF;
}

char32_t AsciiUpper(char32_t c) { return c >= 'a' && c <= 'z' ? c - 32 : c; }
char32_t AsciiLower(char32_t c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }
U32 Upper(U32 s) {
  for (auto& c : s) c = AsciiUpper(c);
  return s;
}
U32 Lower(U32 s) {
  for (auto& c : s) c = AsciiLower(c);
  return s;
}
bool IsAsciiDigit(char32_t c) { return c >= '0' && c <= '9'; }
bool IsAsciiLetter(char32_t c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

double ClampIndex(double i, size_t len) {
  if (std::isnan(i) || i < 0) return 0;
  return std::min(std::trunc(i), static_cast<double>(len));
}

// String.prototype.substring.
U32 Substring(U32View s, double start, double end) {
  double a = ClampIndex(start, s.size()), b = ClampIndex(end, s.size());
  if (a > b) std::swap(a, b);
  return U32(s.substr(static_cast<size_t>(a), static_cast<size_t>(b - a)));
}
U32 Substring(U32View s, double start) { return Substring(s, start, s.size()); }

// String.prototype.substr.
U32 Substr(U32View s, double start, double length) {
  const auto len = static_cast<double>(s.size());
  double a = std::isnan(start) ? 0 : std::trunc(start);
  if (a < 0) a = std::max(len + a, 0.0);
  a = std::min(a, len);
  double n = std::isnan(length) ? 0 : std::trunc(length);
  n = std::clamp(n, 0.0, len - a);
  return U32(s.substr(static_cast<size_t>(a), static_cast<size_t>(n)));
}
U32 Substr(U32View s, double start) { return Substr(s, start, s.size()); }

// String.prototype.slice.
U32 Slice(U32View s, double start, double end) {
  const auto len = static_cast<double>(s.size());
  auto fix = [len](double i) {
    i = std::isnan(i) ? 0 : std::trunc(i);
    return i < 0 ? std::max(len + i, 0.0) : std::min(i, len);
  };
  const double a = fix(start), b = fix(end);
  return a >= b ? U32() : U32(s.substr(static_cast<size_t>(a), static_cast<size_t>(b - a)));
}
U32 Slice(U32View s, double start) { return Slice(s, start, s.size()); }

// indexOf / lastIndexOf, -1 when absent (u32string::find already treats an
// empty needle as JavaScript does).
double IndexOf(U32View s, U32View needle, double from = 0) {
  const size_t at = s.find(needle, static_cast<size_t>(ClampIndex(from, s.size())));
  return at == U32View::npos ? -1 : static_cast<double>(at);
}
double LastIndexOf(U32View s, U32View needle) {
  const size_t at = s.rfind(needle);
  return at == U32View::npos ? -1 : static_cast<double>(at);
}

// s.charAt(i) compared with a string.
bool CharAtIs(U32View s, double i, U32View what) {
  if (i < 0 || i >= static_cast<double>(s.size())) return what.empty();
  return what.size() == 1 && s[static_cast<size_t>(i)] == what[0];
}
bool CharIs(char32_t c, U32View what) { return what.size() == 1 && what[0] == c; }

// String.prototype.split with a string separator.
std::vector<U32> SplitString(U32View s, U32View sep) {
  std::vector<U32> out;
  if (sep.empty()) {
    for (char32_t c : s) out.emplace_back(1, c);
    return out;
  }
  size_t p = 0;
  for (size_t at; (at = s.find(sep, p)) != U32View::npos; p = at + sep.size()) {
    out.emplace_back(s.substr(p, at - p));
  }
  out.emplace_back(s.substr(p));
  return out;
}

U32 RemoveAll(U32View s, char32_t c) {
  U32 out;
  for (char32_t x : s) {
    if (x != c) out.push_back(x);
  }
  return out;
}

U32 Repeat(U32View s, double n) {
  U32 out;
  for (double i = 0; i < n; ++i) out += s;
  return out;
}

// ---- JavaScript number semantics ----

// Number.prototype.toString() (radix 10): the shortest round-trip digits,
// positional up to 21 integer digits, exponential beyond.
std::string JsString(double x) {
  if (std::isnan(x)) return "NaN";
  if (std::isinf(x)) return x > 0 ? "Infinity" : "-Infinity";
  if (x == 0) return "0";
  std::string sign = x < 0 ? "-" : "";
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, std::fabs(x), std::chars_format::scientific);
  const std::string_view sci(buf, r.ptr - buf);
  const size_t e = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, e)) {
    if (c != '.') digits.push_back(c);
  }
  const int k = static_cast<int>(digits.size());
  const int n = std::atoi(std::string(sci.substr(e + 1)).c_str()) + 1;
  if (k <= n && n <= 21) return sign + digits + std::string(n - k, '0');
  if (0 < n && n <= 21) return sign + digits.substr(0, n) + "." + digits.substr(n);
  if (-6 < n && n <= 0) return sign + "0." + std::string(-n, '0') + digits;
  std::string out = sign + digits.substr(0, 1);
  if (k > 1) out += "." + digits.substr(1);
  return out + "e" + (n - 1 >= 0 ? "+" : "-") + std::to_string(std::abs(n - 1));
}

// Number.prototype.toFixed(dp) of a non-negative x: the exact decimal value
// rounded half up (1100 digits hold any double's fraction exactly).
std::string JsToFixed(double x, int dp) {
  if (!(x < 1e21)) return JsString(x);
  dp = std::clamp(dp, 0, 1000);
  std::vector<char> buf(1600);
  const auto r =
      std::to_chars(buf.data(), buf.data() + buf.size(), x, std::chars_format::fixed, 1100);
  const std::string exact(buf.data(), r.ptr);
  const size_t point = exact.find('.');
  std::string digits = exact.substr(0, point) + exact.substr(point + 1, dp);
  if (exact[point + 1 + dp] >= '5') {
    int i = static_cast<int>(digits.size()) - 1;
    for (; i >= 0 && digits[i] == '9'; --i) digits[i] = '0';
    if (i < 0) {
      digits.insert(digits.begin(), '1');
    } else {
      ++digits[i];
    }
  }
  const size_t int_len = digits.size() - dp;
  return dp == 0 ? digits : digits.substr(0, int_len) + "." + digits.substr(int_len);
}

double ParseDecimal(std::string_view s) {
  double v = kNaN;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec == std::errc::result_out_of_range) {
    const size_t e = s.find('e');
    const bool tiny = e != std::string_view::npos && e + 1 < s.size() && s[e + 1] == '-';
    return tiny ? 0.0 : std::numeric_limits<double>::infinity();
  }
  return r.ec == std::errc() ? v : kNaN;
}

// jsonata-js' decimal shift: +(mantissa + 'e' + (exponent + places)) of the
// number's string form, which moves the point without binary rounding.
double ShiftDecimal(double x, int places) {
  if (!std::isfinite(x)) return x;
  std::string s = JsString(x);
  const size_t e = s.find('e');
  long exponent = e == std::string::npos ? 0 : std::atol(s.c_str() + e + 1);
  std::string t = s.substr(0, e) + "e" + std::to_string(exponent + places);
  const bool negative = t[0] == '-';
  const double v = ParseDecimal(negative ? std::string_view(t).substr(1) : t);
  return negative ? -v : v;
}

double JsMathRound(double x) {
  if (!std::isfinite(x)) return x;
  double r = std::floor(x);
  if (x - r >= 0.5) r += 1;
  return r;
}

// jsonata-js' $round: half to even at `precision` decimal places.
double RoundHalfEven(double x, int precision) {
  if (precision != 0) x = ShiftDecimal(x, precision);
  double r = JsMathRound(x);
  if (std::fabs(r - x) == 0.5 && std::fabs(std::fmod(r, 2)) == 1) r -= 1;
  if (precision != 0) r = ShiftDecimal(r, -precision);
  return r == 0 ? 0 : r;
}

// parseInt(s) (radix detected: 0x is hexadecimal).
double JsParseInt(U32View s) {
  size_t i = 0;
  while (i < s.size() && IsJsSpace(s[i])) ++i;
  double sign = 1;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    if (s[i] == '-') sign = -1;
    ++i;
  }
  int radix = 10;
  if (i + 1 < s.size() && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X')) {
    radix = 16;
    i += 2;
  }
  std::string digits;
  double hex = 0;
  for (; i < s.size(); ++i) {
    const char32_t c = s[i];
    int d = IsAsciiDigit(c)          ? c - '0'
            : (c >= 'a' && c <= 'z') ? c - 'a' + 10
            : (c >= 'A' && c <= 'Z') ? c - 'A' + 10
                                     : 99;
    if (d >= radix) break;
    digits.push_back(static_cast<char>(c));
    hex = hex * 16 + d;
  }
  if (digits.empty()) return kNaN;
  return sign * (radix == 16 ? hex : ParseDecimal(digits));
}

// ---- JavaScript dates (proleptic Gregorian, UTC) ----

int64_t DaysFromCivil(int64_t y, int m, int d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

void CivilFromDays(int64_t z, int64_t& y, int& m, int& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  y = yoe + era * 400 + (m <= 2);
}

double TimeClip(double t) {
  if (!std::isfinite(t) || std::fabs(t) > 8.64e15) return kNaN;
  return std::trunc(t) + 0.0;
}

double MakeDay(double year, double month, double date) {
  if (!std::isfinite(year) || !std::isfinite(month) || !std::isfinite(date)) return kNaN;
  const double y = std::trunc(year), m = std::trunc(month), dt = std::trunc(date);
  const double ym = y + std::floor(m / 12);
  const double mn = m - std::floor(m / 12) * 12;
  if (std::fabs(ym) > 1e6) return kNaN;  // far beyond what TimeClip keeps
  return static_cast<double>(DaysFromCivil(static_cast<int64_t>(ym), static_cast<int>(mn) + 1, 1)) +
         dt - 1;
}

double MakeTime(double h, double m, double s, double ms) {
  if (!std::isfinite(h) || !std::isfinite(m) || !std::isfinite(s) || !std::isfinite(ms))
    return kNaN;
  return std::trunc(h) * 3600000 + std::trunc(m) * 60000 + std::trunc(s) * 1000 + std::trunc(ms);
}

// Date.UTC(year, month, ...): years 0..99 mean 1900..1999.
double DateUtc(double year, double month = 0, double date = 1, double h = 0, double m = 0,
               double s = 0, double ms = 0) {
  if (!std::isnan(year)) {
    const double y = std::trunc(year);
    if (y >= 0 && y <= 99) year = 1900 + y;
  }
  return TimeClip(MakeDay(year, month, date) * kMsPerDay + MakeTime(h, m, s, ms));
}

// A Date's UTC fields; all NaN for an invalid date.
struct JsDate {
  double time = kNaN, year = kNaN, month = kNaN, date = kNaN, day = kNaN;
  double hours = kNaN, minutes = kNaN, seconds = kNaN, millis = kNaN;
};

JsDate MakeJsDate(double t) {
  JsDate d;
  d.time = TimeClip(t);
  if (std::isnan(d.time)) return d;
  const double days = std::floor(d.time / kMsPerDay);
  const double in_day = d.time - days * kMsPerDay;
  int64_t y;
  int m, dd;
  CivilFromDays(static_cast<int64_t>(days), y, m, dd);
  d.year = static_cast<double>(y);
  d.month = m - 1;
  d.date = dd;
  d.day = static_cast<double>(((static_cast<int64_t>(days) + 4) % 7 + 7) % 7);
  d.hours = std::floor(in_day / 3600000);
  d.minutes = std::fmod(std::floor(in_day / 60000), 60);
  d.seconds = std::fmod(std::floor(in_day / 1000), 60);
  d.millis = std::fmod(in_day, 1000);
  return d;
}

// ---- integer pictures (format-integer) ----

enum class Primary { kDecimal, kLetters, kRoman, kWords, kSequence };
enum class Case { kUpper, kLower, kTitle };

struct Separator {
  double position;  // digits to its right
  char32_t ch;
};

struct IntegerFormat {
  Primary primary = Primary::kDecimal;
  Case letter_case = Case::kLower;
  bool ordinal = false;
  char32_t zero = '0';
  double mandatory_digits = kNaN;  // NaN: undefined (not a decimal pattern)
  double optional_digits = kNaN;
  bool regular = false;
  std::vector<Separator> separators;  // one (the interval) when regular
  double parse_width = kNaN;
  U32 token;
};

// The zeros of Unicode's decimal digit families (Nd) in the BMP.
constexpr std::array<char32_t, 37> kDecimalGroups = {
    0x30,   0x0660, 0x06F0, 0x07C0, 0x0966, 0x09E6, 0x0A66, 0x0AE6, 0x0B66, 0x0BE6,
    0x0C66, 0x0CE6, 0x0D66, 0x0DE6, 0x0E50, 0x0ED0, 0x0F20, 0x1040, 0x1090, 0x17E0,
    0x1810, 0x1946, 0x19D0, 0x1A80, 0x1A90, 0x1B50, 0x1BB0, 0x1C40, 0x1C50, 0xA620,
    0xA8D0, 0xA900, 0xA9D0, 0xA9F0, 0xAA50, 0xABF0, 0xFF10};

int Gcd(int a, int b) { return b == 0 ? a : Gcd(b, a % b); }

// The interval of evenly spaced separators (all one character, at every
// multiple of it), or 0.
int RegularInterval(const std::vector<int>& positions) {
  if (positions.empty()) return 0;
  int factor = positions[0];
  for (size_t i = 1; i < positions.size(); ++i) factor = Gcd(factor, positions[i]);
  for (size_t i = 1; i <= positions.size(); ++i) {
    if (std::find(positions.begin(), positions.end(), static_cast<int>(i) * factor) ==
        positions.end()) {
      return 0;
    }
  }
  return factor;
}

[[noreturn]] void FailSequence(const IntegerFormat& format) {
  Fail("D3130", "Formatting or parsing an integer as a sequence starting with " +
                    Excerpt(Encode(format.token)) + " is not supported by this implementation");
}

IntegerFormat AnalyseIntegerPicture(U32View picture) {
  IntegerFormat format;
  U32 primary(picture);
  const size_t semicolon = picture.rfind(U';');
  if (semicolon != U32View::npos) {
    primary = picture.substr(0, semicolon);
    format.ordinal = semicolon + 1 < picture.size() && picture[semicolon + 1] == 'o';
  }
  if (primary == U"A" || primary == U"a") {
    format.primary = Primary::kLetters;
    if (primary == U"A") format.letter_case = Case::kUpper;
  } else if (primary == U"I" || primary == U"i") {
    format.primary = Primary::kRoman;
    if (primary == U"I") format.letter_case = Case::kUpper;
  } else if (primary == U"W" || primary == U"Ww" || primary == U"w") {
    format.primary = Primary::kWords;
    format.letter_case = primary == U"W"    ? Case::kUpper
                         : primary == U"Ww" ? Case::kTitle
                                            : Case::kLower;
  } else {
    std::optional<char32_t> zero;
    int mandatory = 0, optional = 0, position = 0;
    std::vector<Separator> separators;
    for (auto it = primary.rbegin(); it != primary.rend(); ++it) {
      const char32_t c = *it;
      const auto group = std::find_if(kDecimalGroups.begin(), kDecimalGroups.end(),
                                      [c](char32_t g) { return c >= g && c <= g + 9; });
      if (group != kDecimalGroups.end()) {
        ++mandatory;
        ++position;
        if (!zero) {
          zero = *group;
        } else if (*zero != *group) {
          Fail("D3131",
               "In a decimal digit pattern, all digits must be from the same decimal group");
        }
      } else if (c == '#') {
        ++position;
        ++optional;
      } else {
        separators.push_back({static_cast<double>(position), c});
      }
    }
    if (mandatory == 0) {
      format.primary = Primary::kSequence;
      format.token = primary;
      return format;
    }
    format.zero = *zero;
    format.mandatory_digits = mandatory;
    format.optional_digits = optional;
    std::vector<int> positions;
    bool same = true;
    for (const Separator& s : separators) {
      positions.push_back(static_cast<int>(s.position));
      same = same && s.ch == separators[0].ch;
    }
    const int interval = same ? RegularInterval(positions) : 0;
    if (interval > 0) {
      format.regular = true;
      format.separators = {{static_cast<double>(interval), separators[0].ch}};
    } else {
      format.separators = std::move(separators);
    }
  }
  return format;
}

constexpr std::array<const char*, 20> kFew = {
    "Zero",     "One",     "Two",     "Three",     "Four",     "Five",    "Six",
    "Seven",    "Eight",   "Nine",    "Ten",       "Eleven",   "Twelve",  "Thirteen",
    "Fourteen", "Fifteen", "Sixteen", "Seventeen", "Eighteen", "Nineteen"};
constexpr std::array<const char*, 20> kOrdinals = {
    "Zeroth",     "First",     "Second",    "Third",       "Fourth",     "Fifth",     "Sixth",
    "Seventh",    "Eighth",    "Ninth",     "Tenth",       "Eleventh",   "Twelfth",   "Thirteenth",
    "Fourteenth", "Fifteenth", "Sixteenth", "Seventeenth", "Eighteenth", "Nineteenth"};
constexpr std::array<const char*, 9> kDecades = {"Twenty",  "Thirty", "Forty",  "Fifty",  "Sixty",
                                                 "Seventy", "Eighty", "Ninety", "Hundred"};
constexpr std::array<const char*, 4> kMagnitudes = {"Thousand", "Million", "Billion", "Trillion"};

// jsonata-js' English words ("One Thousand, Two Hundred and Three").
std::string NumberWords(double num, bool prev, bool ord) {
  if (!std::isfinite(num)) Fail("U1001", "Stack overflow: the number is too large to put in words");
  std::string words;
  if (num <= 19) {
    const auto i = static_cast<size_t>(num);
    words = std::string(prev ? " and " : "") + (ord ? kOrdinals[i] : kFew[i]);
  } else if (num < 100) {
    const double tens = std::floor(num / 10), remainder = std::fmod(num, 10);
    words = std::string(prev ? " and " : "") + kDecades[static_cast<size_t>(tens) - 2];
    if (remainder > 0) {
      words += "-" + NumberWords(remainder, false, ord);
    } else if (ord) {
      words = words.substr(0, words.size() - 1) + "ieth";
    }
  } else if (num < 1000) {
    const double hundreds = std::floor(num / 100), remainder = std::fmod(num, 100);
    words = std::string(prev ? ", " : "") + kFew[static_cast<size_t>(hundreds)] + " Hundred";
    if (remainder > 0) {
      words += NumberWords(remainder, true, ord);
    } else if (ord) {
      words += "th";
    }
  } else {
    int mag = 1;  // floor(log10(num) / 3), at most 4
    while (mag < 4 && num >= std::pow(10.0, 3 * (mag + 1))) ++mag;
    const double factor = std::pow(10.0, mag * 3);
    const double mant = std::floor(num / factor);
    const double remainder = num - mant * factor;
    words = std::string(prev ? ", " : "") + NumberWords(mant, false, false) + " " +
            kMagnitudes[mag - 1];
    if (remainder > 0) {
      words += NumberWords(remainder, true, ord);
    } else if (ord) {
      words += "th";
    }
  }
  return words;
}

constexpr std::array<int, 13> kRomanValues = {1000, 900, 500, 400, 100, 90, 50, 40, 10, 9, 5, 4, 1};
constexpr std::array<const char*, 13> kRomanNumerals = {"m",  "cm", "d",  "cd", "c",  "xc", "l",
                                                        "xl", "x",  "ix", "v",  "iv", "i"};

U32 Roman(double value) {
  // jsonata-js recurses once per numeral and overflows its stack long before.
  if (value > 1e7) Fail("U1001", "Stack overflow: the number is too large for roman numerals");
  U32 out;
  for (size_t i = 0; i < kRomanValues.size(); ++i) {
    for (; value >= kRomanValues[i]; value -= kRomanValues[i]) out += Ascii(kRomanNumerals[i]);
  }
  return out;
}

U32 Letters(double value, char32_t a) {
  U32 out;
  while (value > 0) {
    out.insert(out.begin(), static_cast<char32_t>(std::fmod(value - 1, 26)) + a);
    value = std::floor((value - 1) / 26);
  }
  return out;
}

// jsonata-js' _formatInteger.
U32 FormatIntegerValue(double value, const IntegerFormat& format) {
  const bool negative = value < 0;
  value = std::fabs(value);
  U32 out;
  switch (format.primary) {
    case Primary::kLetters:
      out = Letters(value, format.letter_case == Case::kUpper ? 'A' : 'a');
      break;
    case Primary::kRoman:
      out = Roman(value);
      if (format.letter_case == Case::kUpper) out = Upper(out);
      break;
    case Primary::kWords:
      out = Ascii(NumberWords(value, false, format.ordinal));
      if (format.letter_case == Case::kUpper) out = Upper(out);
      if (format.letter_case == Case::kLower) out = Lower(out);
      break;
    case Primary::kDecimal: {
      out = Ascii(JsString(value));
      const double pad = format.mandatory_digits - static_cast<double>(out.size());
      // jsonata-js fails past its longest string; a width this large is no format.
      if (pad > 1e6) Fail("U1001", "The width of an integer in a picture string is too large");
      if (pad > 0) out = Repeat(U"0", pad) + out;
      if (format.zero != '0') {
        for (auto& c : out) c = c + format.zero - '0';
      }
      if (format.regular) {
        const Separator& sep = format.separators[0];
        const double n = std::floor((static_cast<double>(out.size()) - 1) / sep.position);
        for (double i = n; i > 0; --i) {
          const double pos = static_cast<double>(out.size()) - i * sep.position;
          out = Substr(out, 0, pos) + sep.ch + Substr(out, pos);
        }
      } else {
        for (auto it = format.separators.rbegin(); it != format.separators.rend(); ++it) {
          const double pos = static_cast<double>(out.size()) - it->position;
          out = Substr(out, 0, pos) + it->ch + Substr(out, pos);
        }
      }
      if (format.ordinal) {
        const char32_t last = out.empty() ? 0 : out.back();
        U32 suffix = last == '1' ? U"st" : last == '2' ? U"nd" : last == '3' ? U"rd" : U"";
        if (suffix.empty() || (out.size() > 1 && out[out.size() - 2] == '1')) suffix = U"th";
        out += suffix;
      }
      break;
    }
    case Primary::kSequence:
      FailSequence(format);
  }
  if (negative) out.insert(out.begin(), '-');
  return out;
}

// ---- parsing integers ----

// jsonata-js' word values, in its key order (the order of its regex
// alternatives): "hundreieth" is its own misspelling, kept for fidelity.
const std::vector<std::pair<U32, double>>& WordValues() {
  static const std::vector<std::pair<U32, double>> values = [] {
    std::vector<std::pair<U32, double>> v;
    for (size_t i = 0; i < kFew.size(); ++i) v.emplace_back(Lower(Ascii(kFew[i])), i);
    for (size_t i = 0; i < kOrdinals.size(); ++i) v.emplace_back(Lower(Ascii(kOrdinals[i])), i);
    for (size_t i = 0; i < kDecades.size(); ++i) {
      const U32 word = Lower(Ascii(kDecades[i]));
      v.emplace_back(word, (i + 2) * 10.0);
      v.emplace_back(word.substr(0, word.size() - 1) + U"ieth", (i + 2) * 10.0);
    }
    v.emplace_back(U"hundredth", 100);
    for (size_t i = 0; i < kMagnitudes.size(); ++i) {
      const U32 word = Lower(Ascii(kMagnitudes[i]));
      v.emplace_back(word, std::pow(10.0, (i + 1) * 3.0));
      v.emplace_back(word + U"th", std::pow(10.0, (i + 1) * 3.0));
    }
    return v;
  }();
  return values;
}

double WordValue(U32View word) {
  for (const auto& [w, v] : WordValues()) {
    if (w == word) return v;
  }
  return kNaN;
}

double WordsToNumber(U32View text) {
  // text.split(/,\s|\sand\s|[\s\\-]/)
  std::vector<U32> parts;
  size_t p = 0, q = 0;
  while (q < text.size()) {
    size_t e = 0;
    if (text[q] == ',' && q + 1 < text.size() && IsJsSpace(text[q + 1])) {
      e = q + 2;
    } else if (IsJsSpace(text[q]) && text.substr(q + 1, 3) == U"and" && q + 4 < text.size() &&
               IsJsSpace(text[q + 4])) {
      e = q + 5;
    } else if (IsJsSpace(text[q]) || text[q] == '\\' || text[q] == '-') {
      e = q + 1;
    }
    if (e == 0) {
      ++q;
      continue;
    }
    parts.emplace_back(text.substr(p, q - p));
    p = q = e;
  }
  parts.emplace_back(text.substr(p));
  std::vector<double> segs = {0};
  for (const U32& part : parts) {
    const double value = WordValue(part);
    if (value < 100) {
      double top = segs.back();
      segs.pop_back();
      if (top >= 1000) {
        segs.push_back(top);
        top = 0;
      }
      segs.push_back(top + value);
    } else {
      segs.back() *= value;
    }
  }
  double sum = 0;
  for (double s : segs) sum += s;
  return sum;
}

double RomanToDecimal(U32View roman) {
  static constexpr std::array<double, 7> kValues = {1000, 500, 100, 50, 10, 5, 1};
  double decimal = 0, max = 1;
  for (auto it = roman.rbegin(); it != roman.rend(); ++it) {
    const size_t i = U32View(U"MDCLXVI").find(*it);
    const double value = i == U32View::npos ? kNaN : kValues[i];  // NaN poisons the sum
    if (value < max) {
      decimal -= value;
    } else {
      max = value;
      decimal += value;
    }
  }
  return decimal;
}

double LettersToDecimal(U32View letters, char32_t a) {
  double decimal = 0;
  for (size_t i = 0; i < letters.size(); ++i) {
    decimal += (static_cast<double>(letters[letters.size() - i - 1]) - a + 1) * std::pow(26.0, i);
  }
  return decimal;
}

// jsonata-js' parse of an integer picture (never checks the text's form).
double ParseIntegerValue(U32View text, const IntegerFormat& format) {
  const bool upper = format.letter_case == Case::kUpper;
  switch (format.primary) {
    case Primary::kLetters:
      return LettersToDecimal(text, upper ? 'A' : 'a');
    case Primary::kRoman:
      return RomanToDecimal(upper ? U32(text) : Upper(U32(text)));
    case Primary::kWords:
      return WordsToNumber(Lower(U32(text)));
    case Primary::kDecimal: {
      U32 digits(text);
      if (format.ordinal) digits = Substring(digits, 0, static_cast<double>(digits.size()) - 2);
      if (format.regular) {
        digits = RemoveAll(digits, ',');
      } else {
        for (const Separator& s : format.separators) digits = RemoveAll(digits, s.ch);
      }
      if (format.zero != '0') {
        for (auto& c : digits) {
          if (c >= format.zero && c <= format.zero + 9) c = c - format.zero + '0';
        }
      }
      return JsParseInt(digits);
    }
    case Primary::kSequence:
      break;
  }
  FailSequence(format);
}

// ---- date/time pictures (format-dateTime) ----

struct DatePart {
  bool literal = false;
  U32 text;                // a literal
  char32_t component = 0;  // 0: the marker was empty
  bool has_width = false;
  std::optional<double> width_min, width_max;  // NaN: not a number
  std::optional<U32> presentation1;
  char32_t presentation2 = 0;
  std::optional<Case> names;
  std::optional<IntegerFormat> integer_format;
  double n = -1;  // [Y]: the number of digits kept
};

// jsonata-js' default presentation of each component; nullptr for none.
const char* DefaultPresentation(char32_t component) {
  if (component == 0) return nullptr;
  if (U32View(U"YMDdWwXxHhf").find(component) != U32View::npos) return "1";
  if (U32View(U"FPCE").find(component) != U32View::npos) return "n";
  if (component == 'm' || component == 's') return "01";
  if (component == 'Z' || component == 'z') return "01:01";
  return nullptr;
}

bool IsIntegerComponent(char32_t c) {
  return c != 0 && U32View(U"YMDdFWwXxHhmsf").find(c) != U32View::npos;
}

std::optional<double> ParseWidth(const std::optional<U32>& text) {
  if (!text || *text == U"*") return std::nullopt;
  return JsParseInt(*text);
}

std::vector<DatePart> AnalyseDateTimePicture(U32View picture) {
  std::vector<DatePart> spec;
  auto add_literal = [&](size_t start, size_t end) {
    if (end <= start) return;
    DatePart part;
    part.literal = true;
    const U32 text(picture.substr(start, end - start));
    for (size_t i = 0; i < text.size(); ++i) {  // "]]" is "]"
      part.text.push_back(text[i]);
      if (text[i] == ']' && i + 1 < text.size() && text[i + 1] == ']') ++i;
    }
    spec.push_back(std::move(part));
  };
  size_t start = 0, pos = 0;
  while (pos < picture.size()) {
    if (picture[pos] == '[') {
      if (pos + 1 < picture.size() && picture[pos + 1] == '[') {
        add_literal(start, pos);
        DatePart bracket;
        bracket.literal = true;
        bracket.text = U"[";
        spec.push_back(std::move(bracket));
        pos += 2;
        start = pos;
        continue;
      }
      add_literal(start, pos);
      start = pos;
      pos = picture.find(U']', start);
      if (pos == U32View::npos) {
        Fail("D3135", "No matching closing bracket ']' in date/time picture string");
      }
      U32 marker;
      for (char32_t c : picture.substr(start + 1, pos - start - 1)) {
        if (!IsJsSpace(c)) marker.push_back(c);
      }
      DatePart def;
      def.component = marker.empty() ? 0 : marker[0];
      const double comma = LastIndexOf(marker, U",");
      U32 pres;
      if (comma != -1) {
        const U32 width = Substring(marker, comma + 1);
        const double dash = IndexOf(width, U"-");
        std::optional<U32> min, max;
        if (dash == -1) {
          min = width;
        } else {
          min = Substring(width, 0, dash);
          max = Substring(width, dash + 1);
        }
        def.has_width = true;
        def.width_min = ParseWidth(min);
        def.width_max = ParseWidth(max);
        pres = Substring(marker, 1, comma);
      } else {
        pres = Substring(marker, 1);
      }
      if (pres.size() == 1) {
        def.presentation1 = pres;
      } else if (pres.size() > 1) {
        const char32_t last = pres.back();
        if (last == 'a' || last == 't' || last == 'c' || last == 'o') {
          def.presentation2 = last;
          def.presentation1 = pres.substr(0, pres.size() - 1);
        } else {
          def.presentation1 = pres;
        }
      } else if (const char* d = DefaultPresentation(def.component)) {
        def.presentation1 = Ascii(d);
      }
      if (!def.presentation1) {
        Fail("D3132", "Unknown component specifier " + Encode(U32(marker.substr(0, 1))) +
                          " in date/time picture string");
      }
      const U32& p1 = *def.presentation1;
      if (!p1.empty() && p1[0] == 'n') {
        def.names = Case::kLower;
      } else if (!p1.empty() && p1[0] == 'N') {
        def.names = p1.size() > 1 && p1[1] == 'n' ? Case::kTitle : Case::kUpper;
      } else if (IsIntegerComponent(def.component)) {
        U32 pattern = p1;
        if (def.presentation2) pattern += U32(U";") + def.presentation2;
        IntegerFormat format = AnalyseIntegerPicture(pattern);
        if (def.width_min && format.mandatory_digits < *def.width_min) {
          format.mandatory_digits = *def.width_min;
        }
        if (def.component == 'Y') {
          if (def.width_max) {
            def.n = *def.width_max;
            format.mandatory_digits = def.n;
          } else {
            const double w = format.mandatory_digits + format.optional_digits;
            if (w >= 2) def.n = w;
          }
        }
        // Adjacent integers: the first must have a fixed width to parse.
        if (!spec.empty() && spec.back().integer_format) {
          spec.back().integer_format->parse_width = spec.back().integer_format->mandatory_digits;
        }
        def.integer_format = std::move(format);
      }
      if (def.component == 'Z' || def.component == 'z') {
        def.integer_format = AnalyseIntegerPicture(p1);
      }
      spec.push_back(std::move(def));
      start = pos + 1;
    }
    ++pos;
  }
  add_literal(start, picture.size());
  return spec;
}

constexpr std::array<const char*, 8> kDays = {"",         "Monday", "Tuesday",  "Wednesday",
                                              "Thursday", "Friday", "Saturday", "Sunday"};
constexpr std::array<const char*, 12> kMonths = {"January",   "February", "March",    "April",
                                                 "May",       "June",     "July",     "August",
                                                 "September", "October",  "November", "December"};

// The first week of a month (or year) is the one holding its first Thursday.
double StartOfFirstWeek(double year, double month) {
  const double first = DateUtc(year, month);
  double day = MakeJsDate(first).day;
  if (day == 0) day = 7;
  return day > 4 ? first + (8 - day) * kMsPerDay : first - (day - 1) * kMsPerDay;
}

double DeltaWeeks(double start, double end) { return (end - start) / (kMsPerDay * 7) + 1; }

// jsonata-js' getDateTimeFragment for the numeric components.
double Fragment(const JsDate& date, char32_t component) {
  switch (component) {
    case 'Y':
      return date.year;
    case 'M':
      return date.month + 1;
    case 'D':
      return date.date;
    case 'd':
      return (DateUtc(date.year, date.month, date.date) - DateUtc(date.year, 0)) / kMsPerDay + 1;
    case 'F':
      return date.day == 0 ? 7 : date.day;
    case 'W': {
      const double today = DateUtc(date.year, date.month, date.date);
      double week = DeltaWeeks(StartOfFirstWeek(date.year, 0), today);
      if (week > 52) {
        if (today >= StartOfFirstWeek(date.year + 1, 0)) week = 1;
      } else if (week < 1) {
        week = DeltaWeeks(StartOfFirstWeek(date.year - 1, 0), today);
      }
      return std::floor(week);
    }
    case 'w': {
      const double today = DateUtc(date.year, date.month, date.date);
      double week = DeltaWeeks(StartOfFirstWeek(date.year, date.month), today);
      if (week > 4) {
        const bool december = date.month == 11;
        if (today >=
            StartOfFirstWeek(december ? date.year + 1 : date.year, december ? 0 : date.month + 1)) {
          week = 1;
        }
      } else if (week < 1) {
        const bool january = date.month == 0;
        week = DeltaWeeks(
            StartOfFirstWeek(january ? date.year - 1 : date.year, january ? 11 : date.month - 1),
            today);
      }
      return std::floor(week);
    }
    case 'X':
      if (date.time < StartOfFirstWeek(date.year, 0)) return date.year - 1;
      if (date.time >= StartOfFirstWeek(date.year + 1, 0)) return date.year + 1;
      return date.year;
    case 'x': {
      const bool december = date.month == 11;
      const double next_month = december ? 0 : date.month + 1;
      if (date.time < StartOfFirstWeek(date.year, date.month)) {
        return (date.month == 0 ? 11 : date.month - 1) + 1;
      }
      if (date.time >= StartOfFirstWeek(december ? date.year + 1 : date.year, next_month)) {
        return next_month + 1;
      }
      return date.month + 1;
    }
    case 'H':
      return date.hours;
    case 'h': {
      const double h = std::fmod(date.hours, 12);
      return h == 0 ? 12 : h;
    }
    case 'm':
      return date.minutes;
    case 's':
      return date.seconds;
    case 'f':
      return date.millis;
    default:
      return kNaN;
  }
}

U32 ApplyCase(U32 s, Case c) {
  if (c == Case::kUpper) return Upper(std::move(s));
  if (c == Case::kLower) return Lower(std::move(s));
  return s;
}

U32 FormatComponent(const JsDate& date, const DatePart& part, double offset_hours,
                    double offset_minutes) {
  const char32_t c = part.component;
  if (c != 'f' && IsIntegerComponent(c)) {
    double value = Fragment(date, c);
    if (c == 'Y' && part.n != -1) value = std::fmod(value, std::pow(10.0, part.n));
    if (!part.names) return FormatIntegerValue(value, *part.integer_format);
    const char* name = nullptr;
    if (c == 'M' || c == 'x') {
      if (value >= 1 && value <= 12) name = kMonths[static_cast<size_t>(value) - 1];
    } else if (c == 'F') {
      if (value >= 0 && value <= 7) name = kDays[static_cast<size_t>(value)];
    } else {
      Fail("D3133",
           "The 'name' modifier can only be applied to months and days in the date/time "
           "picture string, not " +
               Encode(U32(1, c)));
    }
    if (!name) return U"undefined";  // an invalid date
    U32 text = ApplyCase(Ascii(name), *part.names);
    if (part.has_width && part.width_max && static_cast<double>(text.size()) > *part.width_max) {
      text = Substring(text, 0, *part.width_max);
    }
    return text;
  }
  if (c == 'f') {
    if (!part.integer_format) {
      Fail("D3133",
           "The 'name' modifier can only be applied to months and days in the date/time "
           "picture string, not f");
    }
    return FormatIntegerValue(Fragment(date, c), *part.integer_format);
  }
  if (c == 'Z' || c == 'z') {
    const IntegerFormat& format = *part.integer_format;
    const double offset = offset_hours * 100 + offset_minutes;
    U32 out;
    if (format.regular) {
      out = FormatIntegerValue(offset, format);
    } else {
      const double digits = format.mandatory_digits;
      if (digits == 1 || digits == 2) {
        out = FormatIntegerValue(offset_hours, format);
        if (offset_minutes != 0) {
          out +=
              U":" + FormatIntegerValue(std::floor(offset_minutes), AnalyseIntegerPicture(U"00"));
        }
      } else if (digits == 3 || digits == 4) {
        out = FormatIntegerValue(offset, format);
      } else {
        Fail("D3134", "The timezone integer format specifier cannot have more than four digits");
      }
    }
    if (offset >= 0) out.insert(out.begin(), '+');
    if (c == 'z') out = U"GMT" + out;
    if (offset == 0 && part.presentation2 == 't') out = U"Z";
    return out;
  }
  if (c == 'P') {
    const U32 marker = date.hours >= 12 ? U"pm" : U"am";
    return part.names == Case::kUpper ? Upper(marker) : marker;
  }
  if (c == 'C' || c == 'E') return U"ISO";
  return U"undefined";  // jsonata-js appends the undefined value of an unknown component
}

// ---- parsing date/times ----

enum class MatchKind { kLiteral, kZone, kFraction, kDecimal, kLetters, kRoman, kWords, kName };

struct Matcher {
  MatchKind kind = MatchKind::kLiteral;
  char32_t component = 0;
  U32 literal;
  std::optional<char32_t> zone_separator;
  IntegerFormat format;
  std::map<U32, double> names;
};

Matcher MakeIntegerMatcher(const IntegerFormat& format) {
  if (format.primary == Primary::kSequence) FailSequence(format);
  Matcher m;
  m.format = format;
  m.kind = format.primary == Primary::kLetters ? MatchKind::kLetters
           : format.primary == Primary::kRoman ? MatchKind::kRoman
           : format.primary == Primary::kWords ? MatchKind::kWords
                                               : MatchKind::kDecimal;
  return m;
}

// jsonata-js' generateRegex for a date/time picture.
std::vector<Matcher> MakeMatchers(const std::vector<DatePart>& spec) {
  std::vector<Matcher> out;
  for (const DatePart& part : spec) {
    Matcher m;
    if (part.literal) {
      m.literal = part.text;
    } else if (part.component == 'Z' || part.component == 'z') {
      m.kind = MatchKind::kZone;
      if (part.integer_format->primary == Primary::kDecimal && part.integer_format->regular) {
        m.zone_separator = part.integer_format->separators[0].ch;
      }
    } else if (part.component == 'f') {
      m.kind = MatchKind::kFraction;  // [0-9]+, read as a fraction of a second
    } else if (part.integer_format) {
      m = MakeIntegerMatcher(*part.integer_format);
    } else {
      m.kind = MatchKind::kName;
      const double width = part.has_width && part.width_max ? *part.width_max : kNaN;
      auto key = [width](const char* name) {
        return width != 0 && !std::isnan(width) ? Substring(Ascii(name), 0, width) : Ascii(name);
      };
      if (part.component == 'M' || part.component == 'x') {
        for (size_t i = 0; i < kMonths.size(); ++i) m.names[key(kMonths[i])] = i + 1.0;
      } else if (part.component == 'F') {
        for (size_t i = 1; i < kDays.size(); ++i) m.names[key(kDays[i])] = i;
      } else if (part.component == 'P') {
        m.names = {{U"am", 0}, {U"AM", 0}, {U"pm", 1}, {U"PM", 1}};
      } else {
        Fail("D3133",
             "The 'name' modifier can only be applied to months and days in the "
             "date/time picture string, not " +
                 Encode(U32(1, part.component)));
      }
    }
    m.component = part.component;
    out.push_back(std::move(m));
  }
  return out;
}

bool EqualsIgnoreCase(char32_t a, char32_t b) { return AsciiLower(a) == AsciiLower(b); }

bool StartsWithIgnoreCase(U32View text, size_t pos, U32View prefix) {
  if (text.size() - pos < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (!EqualsIgnoreCase(text[pos + i], prefix[i])) return false;
  }
  return true;
}

size_t RunLength(U32View text, size_t pos, const std::function<bool(char32_t)>& in_class) {
  size_t n = 0;
  while (pos + n < text.size() && in_class(text[pos + n])) ++n;
  return n;
}

bool IsRomanLetter(char32_t c) { return U32View(U"MDCLXVImdclxvi").find(c) != U32View::npos; }

// Matches the whole text against the matchers as jsonata-js' anchored,
// case-insensitive regex would (same backtracking order), recording each
// part's extent.
class DateTimeMatch {
 public:
  DateTimeMatch(const std::vector<Matcher>& matchers, U32View text)
      : matchers_(matchers), text_(text), extents_(matchers.size()) {}

  bool Run() { return From(0, 0); }
  U32 Captured(size_t i) const {
    return U32(text_.substr(extents_[i].first, extents_[i].second - extents_[i].first));
  }

 private:
  using Next = std::function<bool(size_t)>;

  bool From(size_t index, size_t pos) {
    if (index == matchers_.size()) return pos == text_.size();
    const uint64_t key = static_cast<uint64_t>(index) * (text_.size() + 1) + pos;
    if (failed_.count(key)) return false;
    const bool ok = Ends(matchers_[index], pos, [&](size_t end) {
      extents_[index] = {pos, end};
      return From(index + 1, end);
    });
    if (!ok) failed_.insert(key);
    return ok;
  }

  // Calls `next` with each end of a match of `m` at `pos`, in the regex's
  // order of preference, until it returns true.
  bool Ends(const Matcher& m, size_t pos, const Next& next) {
    switch (m.kind) {
      case MatchKind::kLiteral:
        return StartsWithIgnoreCase(text_, pos, m.literal) && next(pos + m.literal.size());
      case MatchKind::kDecimal: {
        const size_t run = RunLength(text_, pos, IsAsciiDigit);
        const double width = m.format.parse_width;
        auto with_suffix = [&](size_t end) {
          if (!m.format.ordinal) return next(end);
          for (U32View suffix : {U"th", U"st", U"nd", U"rd"}) {
            if (StartsWithIgnoreCase(text_, end, suffix)) return next(end + 2);
          }
          return false;
        };
        if (width != 0 && !std::isnan(width)) {
          return static_cast<double>(run) >= width && with_suffix(pos + static_cast<size_t>(width));
        }
        for (size_t n = run; n >= 1; --n) {
          if (with_suffix(pos + n)) return true;
        }
        return false;
      }
      case MatchKind::kFraction:
        return Greedy(pos, RunLength(text_, pos, IsAsciiDigit), next);
      case MatchKind::kLetters:
      case MatchKind::kName:
        return Greedy(pos, RunLength(text_, pos, IsAsciiLetter), next);
      case MatchKind::kRoman:
        return Greedy(pos, RunLength(text_, pos, IsRomanLetter), next);
      case MatchKind::kWords:
        return Words(pos, next);
      case MatchKind::kZone: {
        size_t p = pos;
        if (m.component == 'z') {
          if (!StartsWithIgnoreCase(text_, p, U"GMT")) return false;
          p += 3;
        }
        if (p >= text_.size() || (text_[p] != '+' && text_[p] != '-')) return false;
        ++p;
        const size_t run = RunLength(text_, p, IsAsciiDigit);
        if (!m.zone_separator) return Greedy(p, run, next);
        for (size_t n = run; n >= 1; --n) {
          const size_t q = p + n;
          if (q < text_.size() && EqualsIgnoreCase(text_[q], *m.zone_separator) &&
              Greedy(q + 1, RunLength(text_, q + 1, IsAsciiDigit), next)) {
            return true;
          }
        }
        return false;
      }
    }
    return false;
  }

  static bool Greedy(size_t pos, size_t run, const Next& next) {
    for (size_t n = run; n >= 1; --n) {
      if (next(pos + n)) return true;
    }
    return false;
  }

  // (?:word|...|and|[\-, ])+ : a depth-first search in alternative order
  // that offers a position only after every longer continuation from it.
  bool Words(size_t start, const Next& next) {
    static const std::vector<U32> alternatives = [] {
      std::vector<U32> v;
      for (const auto& [word, value] : WordValues()) v.push_back(word);
      v.insert(v.end(), {U"and", U"-", U",", U" "});
      return v;
    }();
    struct Frame {
      size_t pos;
      size_t alternative;
    };
    std::vector<Frame> stack = {{start, 0}};
    std::unordered_set<size_t> visited = {start};
    while (!stack.empty()) {
      Frame& top = stack.back();
      if (top.alternative < alternatives.size()) {
        const U32& alt = alternatives[top.alternative++];
        if (StartsWithIgnoreCase(text_, top.pos, alt)) {
          const size_t q = top.pos + alt.size();
          if (visited.insert(q).second) stack.push_back({q, 0});
        }
        continue;
      }
      const size_t pos = top.pos;
      stack.pop_back();
      if (!stack.empty() && next(pos)) return true;
    }
    return false;
  }

  const std::vector<Matcher>& matchers_;
  U32View text_;
  std::vector<std::pair<size_t, size_t>> extents_;
  std::unordered_set<uint64_t> failed_;
};

// The value of a matched part: nullopt for jsonata-js' undefined (an
// unknown name).
std::optional<double> ParsePart(const Matcher& m, U32View text) {
  switch (m.kind) {
    case MatchKind::kName: {
      const auto it = m.names.find(U32(text));
      if (it == m.names.end()) return std::nullopt;
      return it->second;
    }
    case MatchKind::kZone: {
      U32 value(text);
      if (m.component == 'z') value = Substring(value, 3);
      double hours = 0, minutes = 0;
      if (m.zone_separator) {
        const double at = IndexOf(value, U32(1, *m.zone_separator));
        hours = JsParseInt(Substring(value, 0, at));
        minutes = JsParseInt(Substring(value, at + 1));
      } else if (value.size() - 1 <= 2) {
        hours = JsParseInt(value);
      } else {
        hours = JsParseInt(Substring(value, 0, 3));
        minutes = JsParseInt(Substring(value, 3));
      }
      return hours * 60 + minutes;
    }
    case MatchKind::kFraction:
      return ParseDecimal("0." + Encode(text.substr(0, 3))) * 1000;
    default:
      return ParseIntegerValue(text, m.format);
  }
}

bool Truthy(const std::optional<double>& v) { return v && *v != 0 && !std::isnan(*v); }

std::optional<double> ParsePicture(U32View timestamp, U32View picture, double now_millis) {
  const std::vector<Matcher> matchers = MakeMatchers(AnalyseDateTimePicture(picture));
  DateTimeMatch match(matchers, timestamp);
  if (!match.Run()) return std::nullopt;
  // Present components (a value or jsonata-js' undefined), by letter.
  std::map<char32_t, std::optional<double>> components;
  for (size_t i = 0; i < matchers.size(); ++i) {
    if (matchers[i].kind != MatchKind::kLiteral) {
      components[matchers[i].component] = ParsePart(matchers[i], match.Captured(i));
    }
  }
  if (components.empty()) return std::nullopt;
  auto get = [&](char32_t c) -> std::optional<double> {
    const auto it = components.find(c);
    return it == components.end() ? std::nullopt : it->second;
  };
  auto mask_of = [&](U32View letters) {
    int mask = 0;
    for (char32_t c : letters) mask = (mask << 1) | (Truthy(get(c)) ? 1 : 0);
    return mask;
  };
  auto is_type = [](int type, int mask) { return (~type & mask) == 0 && (type & mask) != 0; };
  const int date_mask = mask_of(U"YXMxWwdD");
  const bool date_a = is_type(161, date_mask);
  const bool date_b = !date_a && is_type(130, date_mask);
  const bool date_c = is_type(84, date_mask);
  const bool date_d = !date_c && is_type(72, date_mask);
  const int time_mask = mask_of(U"PHhmsf");
  const bool time_a = is_type(23, time_mask);
  const bool time_b = !time_a && is_type(47, time_mask);

  const U32 comps = U32(date_b   ? U"YD"
                        : date_c ? U"XxwF"
                        : date_d ? U"XWF"
                                 : U"YMD") +
                    (time_b ? U"Phmsf" : U"Hmsf");
  const JsDate now = MakeJsDate(now_millis);
  bool start_specified = false, end_specified = false;
  for (char32_t c : comps) {
    if (!get(c)) {
      if (start_specified) {
        components[c] = (c == 'M' || c == 'D' || c == 'd') ? 1 : 0;
        end_specified = true;
      } else {
        components[c] = Fragment(now, c);  // P: a string in jsonata-js, never === 1
      }
    } else {
      start_specified = true;
      if (end_specified) {
        Fail("D3136",
             "The date/time picture string is missing specifiers required to parse the "
             "timestamp");
      }
    }
  }
  auto value = [&](char32_t c) { return get(c).value_or(kNaN); };
  double month = value('M') > 0 ? value('M') - 1 : 0;
  double day = value('D');
  if (date_b) {
    const JsDate derived = MakeJsDate(DateUtc(value('Y'), 0) + (value('d') - 1) * kMsPerDay);
    month = derived.month;
    day = derived.date;
  }
  if (date_c || date_d) {
    Fail("D3136",
         "The date/time picture string is missing specifiers required to parse the "
         "timestamp");
  }
  double hours = value('H');
  if (time_b) {
    hours = value('h') == 12 ? 0 : value('h');
    if (value('P') == 1) hours += 12;
  }
  double millis = DateUtc(value('Y'), month, day, hours, value('m'), value('s'), value('f'));
  const std::optional<double> zone = Truthy(get('Z')) ? get('Z') : get('z');
  if (Truthy(zone)) millis -= *zone * 60 * 1000;
  if (std::isnan(millis)) return std::nullopt;
  return millis + 0.0;
}

// jsonata-js' check of an ISO 8601 timestamp, the regex
// ^\d{4}(-[01]\d)?(-[0-3]\d)?(T[0-2]\d:[0-5]\d:[0-5]\d)?(\.\d+)?([+-][0-2]\d:?[0-5]\d|Z)?$
bool MatchesIsoPattern(U32View s) {
  const size_t n = s.size();
  auto in = [&](size_t i, char32_t lo, char32_t hi) { return i < n && s[i] >= lo && s[i] <= hi; };
  auto digit = [&](size_t i) { return in(i, '0', '9'); };
  auto is = [&](size_t i, char32_t c) { return i < n && s[i] == c; };
  if (!(digit(0) && digit(1) && digit(2) && digit(3))) return false;
  std::vector<bool> at(n + 2, false);  // where the next group may start
  at[4] = true;
  auto optional = [&](const std::function<size_t(size_t)>& group) {  // group: its end, or 0
    for (size_t p = n + 1; p-- > 0;) {
      if (!at[p]) continue;
      if (const size_t end = group(p)) at[end] = true;
    }
  };
  optional([&](size_t p) -> size_t {
    return is(p, '-') && in(p + 1, '0', '1') && digit(p + 2) ? p + 3 : 0;
  });
  optional([&](size_t p) -> size_t {
    return is(p, '-') && in(p + 1, '0', '3') && digit(p + 2) ? p + 3 : 0;
  });
  optional([&](size_t p) -> size_t {
    return is(p, 'T') && in(p + 1, '0', '2') && digit(p + 2) && is(p + 3, ':') &&
                   in(p + 4, '0', '5') && digit(p + 5) && is(p + 6, ':') && in(p + 7, '0', '5') &&
                   digit(p + 8)
               ? p + 9
               : 0;
  });
  std::vector<bool> fraction = at;  // (\.\d+)? may end at several places
  for (size_t p = 0; p < n; ++p) {
    if (at[p] && s[p] == '.') {
      for (size_t q = p + 1; digit(q); ++q) fraction[q + 1] = true;
    }
  }
  for (size_t p = 0; p <= n; ++p) {
    if (!fraction[p]) continue;
    if (p == n || (s[p] == 'Z' && p + 1 == n)) return true;
    if ((s[p] == '+' || s[p] == '-') && in(p + 1, '0', '2') && digit(p + 2)) {
      const size_t m = is(p + 3, ':') ? p + 4 : p + 3;
      if (in(m, '0', '5') && digit(m + 1) && m + 2 == n) return true;
    }
  }
  return false;
}

// Date.parse (V8) of a string that passed MatchesIsoPattern; NaN when
// invalid. A date-time without an offset is taken as UTC (V8 takes local
// time). After a date alone, V8's fallback parser reads ".N" as the next
// date field (the month after a year, the day after a month), takes a Z but
// no offset.
double ParseIso(U32View s) {
  size_t i = 0;
  auto number = [&](size_t len) {
    double v = 0;
    for (size_t k = 0; k < len; ++k) v = v * 10 + (s[i + k] - '0');
    i += len;
    return v;
  };
  const double year = number(4);
  double month = 1, day = 1, hour = 0, minute = 0, second = 0, ms = 0, offset = 0;
  bool has_month = false, has_day = false, has_time = false;
  if (i < s.size() && s[i] == '-' && i + 1 < s.size() && IsAsciiDigit(s[i + 1])) {
    ++i;
    month = number(2);
    has_month = true;
    if (i < s.size() && s[i] == '-' && i + 1 < s.size() && IsAsciiDigit(s[i + 1])) {
      ++i;
      day = number(2);
      has_day = true;
    }
  }
  if (i < s.size() && s[i] == 'T') {
    has_time = true;
    ++i;
    hour = number(2);
    ++i;
    minute = number(2);
    ++i;
    second = number(2);
  }
  if (i < s.size() && s[i] == '.') {
    ++i;
    size_t digits = 0;
    double value = 0;
    for (; i < s.size() && IsAsciiDigit(s[i]); ++i, ++digits) {
      if (digits < 3) ms = ms * 10 + (s[i] - '0');
      if (digits < 9) value = value * 10 + (s[i] - '0');
    }
    if (has_time) {
      for (; digits < 3; ++digits) ms *= 10;
    } else if (has_day) {
      return kNaN;
    } else if (has_month) {
      day = value;
      ms = 0;
    } else {
      month = value;
      ms = 0;
    }
  }
  if (i < s.size() && s[i] == 'Z') {
    ++i;
  } else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    const double sign = s[i] == '-' ? -1 : 1;
    ++i;
    const double h = number(2);
    if (s[i] == ':') ++i;
    if (!has_time || h > 23) return kNaN;
    offset = sign * (h * 60 + number(2));
  }
  if (i != s.size()) return kNaN;
  if (month < 1 || month > 12 || day < 1 || day > 31 || minute > 59 || second > 59) return kNaN;
  if (hour > 24 || (hour == 24 && (minute != 0 || second != 0 || ms != 0))) return kNaN;
  return TimeClip(MakeDay(year, month - 1, day) * kMsPerDay + MakeTime(hour, minute, second, ms) -
                  offset * 60000);
}

}  // namespace

std::string FormatDateTime(double millis, std::optional<std::string_view> picture,
                           std::optional<std::string_view> timezone) {
  double offset_hours = 0, offset_minutes = 0;
  if (timezone) {
    const double offset = JsParseInt(Decode(*timezone));
    offset_hours = std::floor(offset / 100);
    offset_minutes = std::fmod(offset, 100);
  }
  const std::vector<DatePart> spec = AnalyseDateTimePicture(
      picture ? Decode(*picture) : U"[Y0001]-[M01]-[D01]T[H01]:[m01]:[s01].[f001][Z01:01t]");
  const JsDate date = MakeJsDate(millis + (60 * offset_hours + offset_minutes) * 60 * 1000);
  U32 out;
  for (const DatePart& part : spec) {
    out += part.literal ? part.text : FormatComponent(date, part, offset_hours, offset_minutes);
  }
  return Encode(out);
}

std::optional<double> ParseDateTime(std::string_view timestamp,
                                    std::optional<std::string_view> picture, double now_millis) {
  const U32 text = Decode(timestamp);
  if (picture) return ParsePicture(text, Decode(*picture), now_millis);
  if (!MatchesIsoPattern(text)) {
    Fail("D3110",
         "The argument of the toMillis function must be an ISO 8601 formatted timestamp. "
         "Given " +
             Excerpt(timestamp));
  }
  const double millis = ParseIso(text);
  if (std::isnan(millis)) return std::nullopt;
  return millis;
}

std::optional<double> ParseDateTime(std::string_view timestamp,
                                    std::optional<std::string_view> picture) {
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::system_clock::now().time_since_epoch());
  return ParseDateTime(timestamp, picture, static_cast<double>(now.count()));
}

std::string FormatInteger(double value, std::string_view picture) {
  const double floored = std::floor(value);
  return Encode(FormatIntegerValue(floored, AnalyseIntegerPicture(Decode(picture))));
}

std::optional<double> ParseInteger(std::string_view text, std::string_view picture) {
  const IntegerFormat format = AnalyseIntegerPicture(Decode(picture));
  const double value = ParseIntegerValue(Decode(text), format);
  if (std::isnan(value)) return std::nullopt;
  return value + 0.0;
}

bool SetDecimalFormatProperty(DecimalFormat& format, std::string_view key, std::string value) {
  static const std::array<std::pair<std::string_view, std::string DecimalFormat::*>, 11> kKeys = {{
      {"decimal-separator", &DecimalFormat::decimal_separator},
      {"grouping-separator", &DecimalFormat::grouping_separator},
      {"exponent-separator", &DecimalFormat::exponent_separator},
      {"infinity", &DecimalFormat::infinity},
      {"minus-sign", &DecimalFormat::minus_sign},
      {"NaN", &DecimalFormat::nan},
      {"percent", &DecimalFormat::percent},
      {"per-mille", &DecimalFormat::per_mille},
      {"zero-digit", &DecimalFormat::zero_digit},
      {"digit", &DecimalFormat::digit},
      {"pattern-separator", &DecimalFormat::pattern_separator},
  }};
  for (const auto& [name, member] : kKeys) {
    if (name == key) {
      format.*member = std::move(value);
      return true;
    }
  }
  return false;
}

namespace {

// One analysed sub-picture of format-number (F&O 4.7.4).
struct SubPicture {
  U32 prefix, suffix, picture;
  std::vector<double> integer_grouping, fractional_grouping;
  double regular_grouping = 0;
  double min_integer = 0, scaling = 0, min_fraction = 0, max_fraction = 0, min_exponent = 0;
};

class NumberFormatter {
 public:
  explicit NumberFormatter(const DecimalFormat& f)
      : decimal_(Decode(f.decimal_separator)),
        grouping_(Decode(f.grouping_separator)),
        exponent_(Decode(f.exponent_separator)),
        infinity_(Decode(f.infinity)),
        minus_(Decode(f.minus_sign)),
        nan_(Decode(f.nan)),
        percent_(Decode(f.percent)),
        per_mille_(Decode(f.per_mille)),
        zero_(Decode(f.zero_digit)),
        digit_(Decode(f.digit)),
        pattern_(Decode(f.pattern_separator)) {
    if (!zero_.empty()) {
      for (char32_t c = zero_[0]; c < zero_[0] + 10; ++c) family_.push_back(c);
    }
  }

  std::string Format(double value, U32View picture) const {
    const std::vector<U32> subs = SplitString(picture, pattern_);
    if (subs.size() > 2) {
      Fail("D3080", "The picture string must only contain a maximum of two sub-pictures");
    }
    std::vector<SubPicture> pics;
    for (const U32& sub : subs) pics.push_back(Analyse(sub));
    if (pics.empty()) Fail("D3085", kNoDigitMessage);
    if (pics.size() == 1) {
      pics.push_back(pics[0]);
      pics[1].prefix = minus_ + pics[1].prefix;
    }
    if (std::isnan(value)) return Encode(nan_);
    const SubPicture& pic = value >= 0 ? pics[0] : pics[1];
    double adjusted = value;
    if (IndexOf(pic.picture, percent_) != -1) {
      adjusted = value * 100;
    } else if (IndexOf(pic.picture, per_mille_) != -1) {
      adjusted = value * 1000;
    }
    if (std::isinf(adjusted)) return Encode(pic.prefix + infinity_ + pic.suffix);
    // Scaled by magnitude; zero keeps exponent 0.
    double mantissa = std::fabs(adjusted), exponent = 0;
    if (pic.min_exponent != 0 && mantissa != 0) {
      const double max = std::pow(10.0, pic.scaling), min = std::pow(10.0, pic.scaling - 1);
      while (mantissa < min) {
        mantissa *= 10;
        exponent -= 1;
      }
      while (mantissa > max) {
        mantissa /= 10;
        exponent += 1;
      }
    }
    const double rounded = RoundHalfEven(mantissa, static_cast<int>(pic.max_fraction));
    U32 s = MakeString(rounded, static_cast<int>(pic.max_fraction));
    const double point = IndexOf(s, U".");
    if (point == -1) {
      s += decimal_;
    } else {
      s = s.substr(0, static_cast<size_t>(point)) + decimal_ +
          s.substr(static_cast<size_t>(point) + 1);
    }
    while (CharAtIs(s, 0, zero_) && !s.empty()) s.erase(0, 1);
    while (!s.empty() && CharAtIs(s, static_cast<double>(s.size()) - 1, zero_)) s.pop_back();
    double dpos = IndexOf(s, decimal_);
    const double pad_left = pic.min_integer - dpos;
    const double pad_right = pic.min_fraction - (static_cast<double>(s.size()) - dpos - 1);
    if (pad_left > 0) s = Repeat(zero_, pad_left) + s;
    if (pad_right > 0) s += Repeat(zero_, pad_right);
    dpos = IndexOf(s, decimal_);
    if (pic.regular_grouping > 0) {
      const double groups = std::floor((dpos - 1) / pic.regular_grouping);
      for (double g = 1; g <= groups; ++g) {
        const double at = dpos - g * pic.regular_grouping;
        s = Slice(s, 0, at) + grouping_ + Slice(s, at);
      }
    } else {
      for (double pos : pic.integer_grouping) {
        s = Slice(s, 0, dpos - pos) + grouping_ + Slice(s, dpos - pos);
        ++dpos;
      }
    }
    dpos = IndexOf(s, decimal_);
    for (double pos : pic.fractional_grouping) {
      s = Slice(s, 0, pos + dpos + 1) + grouping_ + Slice(s, pos + dpos + 1);
    }
    dpos = IndexOf(s, decimal_);
    if (IndexOf(pic.picture, decimal_) == -1 || dpos == static_cast<double>(s.size()) - 1) {
      s = Substring(s, 0, static_cast<double>(s.size()) - 1);
    }
    if (pic.min_exponent != 0) {
      U32 e = MakeString(exponent, 0);
      const double pad = pic.min_exponent - static_cast<double>(e.size());
      if (pad > 0) e = Repeat(zero_, pad) + e;
      s += exponent_ + (exponent < 0 ? minus_ : U32()) + e;
    }
    return Encode(pic.prefix + s + pic.suffix);
  }

 private:
  static constexpr const char* kNoDigitMessage =
      "The mantissa part of a sub-picture must contain at least one character that is either an "
      "'optional digit character' or a member of the 'decimal digit family'";

  bool IsFamily(char32_t c) const {
    return std::find(family_.begin(), family_.end(), c) != family_.end();
  }
  bool IsActive(char32_t c) const {
    return IsFamily(c) || CharIs(c, decimal_) || CharIs(c, exponent_) || CharIs(c, grouping_) ||
           CharIs(c, digit_) || CharIs(c, pattern_);
  }
  double CountIf(U32View s, bool with_optional) const {
    double n = 0;
    for (char32_t c : s) n += IsFamily(c) || (with_optional && CharIs(c, digit_));
    return n;
  }

  U32 MakeString(double value, int dp) const {
    const std::string fixed = JsToFixed(std::fabs(value), dp);
    U32 out;
    for (char c : fixed) {
      if (c >= '0' && c <= '9' && zero_ != U"0") {
        if (family_.empty()) {
          out += U"undefined";
        } else {
          out.push_back(family_[c - '0']);
        }
      } else {
        out.push_back(static_cast<unsigned char>(c));
      }
    }
    return out;
  }

  // Where the grouping separators of `part` stand: digits to their right in
  // the integer part, to their left in the fractional part. Like jsonata-js
  // it looks for each separator after the first in the integer part.
  std::vector<double> GroupingPositions(U32View part, U32View integer_part, bool to_left) const {
    std::vector<double> positions;
    if (grouping_.empty()) return positions;  // jsonata-js loops forever
    for (double at = IndexOf(part, grouping_); at != -1;
         at = IndexOf(integer_part, grouping_, at + 1)) {
      positions.push_back(CountIf(to_left ? Substring(part, 0, at) : Substring(part, at), true));
    }
    return positions;
  }

  SubPicture Analyse(const U32& sub) const {
    // splitParts
    size_t first = sub.size(), last = sub.size();  // no active character: all of it is active
    for (size_t i = 0; i < sub.size(); ++i) {
      if (IsActive(sub[i]) && !CharIs(sub[i], exponent_)) {
        if (first == sub.size()) first = i;
        last = i;
      }
    }
    SubPicture pic;
    pic.picture = sub;
    if (first < sub.size()) {
      pic.prefix = sub.substr(0, first);
      pic.suffix = sub.substr(last + 1);
    }
    const U32 active =
        sub.substr(pic.prefix.size(), sub.size() - pic.prefix.size() - pic.suffix.size());
    U32 mantissa = active, integer, fraction;
    std::optional<U32> exponent;
    const double epos = IndexOf(sub, exponent_, static_cast<double>(pic.prefix.size()));
    if (epos != -1 && epos <= static_cast<double>(sub.size() - pic.suffix.size())) {
      mantissa = Substring(active, 0, epos);
      exponent = Substring(active, epos + 1);
    }
    const double dot = IndexOf(mantissa, decimal_);
    if (dot == -1) {
      integer = mantissa;
      fraction = pic.suffix;
    } else {
      integer = Substring(mantissa, 0, dot);
      fraction = Substring(mantissa, dot + 1);
    }

    // validate (F&O 4.7.3): the last rule broken names the error
    const char* error = nullptr;
    const char* message = nullptr;
    auto broken = [&](const char* code, const char* text) {
      error = code;
      message = text;
    };
    const double decimal_pos = IndexOf(sub, decimal_);
    if (decimal_pos != LastIndexOf(sub, decimal_)) {
      broken("D3081",
             "The sub-picture must not contain more than one instance of the "
             "'decimal-separator' character");
    }
    if (IndexOf(sub, percent_) != LastIndexOf(sub, percent_)) {
      broken("D3082",
             "The sub-picture must not contain more than one instance of the 'percent' "
             "character");
    }
    if (IndexOf(sub, per_mille_) != LastIndexOf(sub, per_mille_)) {
      broken("D3083",
             "The sub-picture must not contain more than one instance of the "
             "'per-mille' character");
    }
    if (IndexOf(sub, percent_) != -1 && IndexOf(sub, per_mille_) != -1) {
      broken("D3084",
             "The sub-picture must not contain both a 'percent' and a 'per-mille' "
             "character");
    }
    if (CountIf(mantissa, true) == 0) broken("D3085", kNoDigitMessage);
    if (std::any_of(active.begin(), active.end(), [&](char32_t c) { return !IsActive(c); })) {
      broken("D3086",
             "The sub-picture must not contain a passive character that is preceded by "
             "an active character and that is followed by another active character");
    }
    if (decimal_pos != -1) {
      if (CharAtIs(sub, decimal_pos - 1, grouping_) || CharAtIs(sub, decimal_pos + 1, grouping_)) {
        broken("D3087",
               "The sub-picture must not contain a 'grouping-separator' character that "
               "appears adjacent to a 'decimal-separator' character");
      }
    } else if (CharAtIs(integer, static_cast<double>(integer.size()) - 1, grouping_)) {
      broken("D3088",
             "The sub-picture must not contain a 'grouping-separator' at the end of the "
             "integer part");
    }
    if (IndexOf(sub, grouping_ + grouping_) != -1) {
      broken("D3089",
             "The sub-picture must not contain two adjacent instances of the "
             "'grouping-separator' character");
    }
    const double optional_int = IndexOf(integer, digit_);
    if (optional_int != -1 && CountIf(Substring(integer, 0, optional_int), false) > 0) {
      broken("D3090",
             "The integer part of the sub-picture must not contain a member of the "
             "'decimal digit family' that is followed by an instance of the 'optional "
             "digit character'");
    }
    const double optional_frac = LastIndexOf(fraction, digit_);
    if (optional_frac != -1 && CountIf(Substring(fraction, optional_frac), false) > 0) {
      broken("D3091",
             "The fractional part of the sub-picture must not contain an instance of the "
             "'optional digit character' that is followed by a member of the 'decimal "
             "digit family'");
    }
    if (exponent && !exponent->empty() &&
        (IndexOf(sub, percent_) != -1 || IndexOf(sub, per_mille_) != -1)) {
      broken("D3092",
             "A sub-picture that contains a 'percent' or 'per-mille' character must not "
             "contain a character treated as an 'exponent-separator'");
    }
    if (exponent &&
        (exponent->empty() || CountIf(*exponent, false) != static_cast<double>(exponent->size()))) {
      broken("D3093",
             "The exponent part of the sub-picture must comprise only of one or more "
             "characters that are members of the 'decimal digit family'");
    }
    if (error) Fail(error, message);

    // analyse (F&O 4.7.4)
    pic.integer_grouping = GroupingPositions(integer, integer, false);
    std::vector<int> positions;
    for (double p : pic.integer_grouping) positions.push_back(static_cast<int>(p));
    pic.regular_grouping = RegularInterval(positions);
    pic.fractional_grouping = GroupingPositions(fraction, integer, true);
    pic.min_integer = CountIf(integer, false);
    pic.scaling = pic.min_integer;
    pic.min_fraction = CountIf(fraction, false);
    pic.max_fraction = CountIf(fraction, true);
    if (pic.min_integer == 0 && pic.max_fraction == 0) {
      if (exponent) {
        pic.min_fraction = pic.max_fraction = 1;
      } else {
        pic.min_integer = 1;
      }
    }
    if (exponent && pic.min_integer == 0 && IndexOf(integer, digit_) != -1) pic.min_integer = 1;
    if (pic.min_integer == 0 && pic.min_fraction == 0) pic.min_fraction = 1;
    if (exponent) pic.min_exponent = CountIf(*exponent, false);
    return pic;
  }

  U32 decimal_, grouping_, exponent_, infinity_, minus_, nan_, percent_, per_mille_, zero_, digit_,
      pattern_;
  std::vector<char32_t> family_;
};

// Number.prototype.toString(radix) of an integer, as V8 writes it: digits
// past a double's precision come out as zeros.
std::string RadixString(double value, int radix) {
  if (!std::isfinite(value)) return JsString(value);
  const bool negative = value < 0;
  double integer = std::fabs(value);
  std::string digits;
  auto exponent = [](double d) {  // V8's Double::Exponent: d = significand * 2^exponent
    uint64_t bits;
    std::memcpy(&bits, &d, sizeof bits);
    const int biased = static_cast<int>((bits >> 52) & 0x7FF);
    return biased == 0 ? -1074 : biased - 1075;
  };
  while (exponent(integer / radix) > 0) {
    integer /= radix;
    digits.push_back('0');
  }
  do {
    const double remainder = std::fmod(integer, radix);
    digits.push_back("0123456789abcdefghijklmnopqrstuvwxyz"[static_cast<int>(remainder)]);
    integer = (integer - remainder) / radix;
  } while (integer > 0);
  if (negative) digits.push_back('-');
  std::reverse(digits.begin(), digits.end());
  return digits;
}

}  // namespace

std::string FormatNumber(double value, std::string_view picture, const DecimalFormat& format) {
  return NumberFormatter(format).Format(value, Decode(picture));
}

std::string FormatBase(double value, double radix) {
  value = RoundHalfEven(value, 0);
  radix = RoundHalfEven(radix, 0);
  if (!(radix >= 2 && radix <= 36)) {
    Fail("D3100", "The radix of the formatBase function must be between 2 and 36. It was given " +
                      JsString(radix));
  }
  if (radix == 10) return JsString(value);
  return RadixString(value, static_cast<int>(radix));
}

}  // namespace stepd::asl::jsonata
