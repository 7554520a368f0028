#include "jsonata_regex.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <new>

#include "jsonata_error.h"

namespace stepd::asl::jsonata {
namespace {

// Class members for \s and \S (JavaScript's white space and its complement).
constexpr std::string_view kSpace =
    "\\t\\n\\x{b}\\f\\r \\x{a0}\\x{1680}\\x{2000}-\\x{200a}\\x{2028}\\x{2029}\\x{202f}\\x{205f}"
    "\\x{3000}\\x{feff}";
constexpr std::string_view kNonSpace =
    "\\x{0}-\\x{8}\\x{e}-\\x{1f}\\x{21}-\\x{9f}\\x{a1}-\\x{167f}\\x{1681}-\\x{1fff}"
    "\\x{200b}-\\x{2027}\\x{202a}-\\x{202e}\\x{2030}-\\x{205e}\\x{2060}-\\x{2fff}"
    "\\x{3001}-\\x{fefe}\\x{ff00}-\\x{10ffff}";
constexpr std::string_view kDot = "[^\\n\\r\\x{2028}\\x{2029}]";
constexpr std::string_view kLineStart = "(?<![^\\n\\r\\x{2028}\\x{2029}])";
constexpr std::string_view kLineEnd = "(?![^\\n\\r\\x{2028}\\x{2029}])";
constexpr std::string_view kNothing = "[^\\x{0}-\\x{10ffff}]";
constexpr std::string_view kAny = "[\\x{0}-\\x{10ffff}]";

bool IsSurrogate(uint32_t c) { return c >= 0xd800 && c <= 0xdfff; }
int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAsciiLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// Decodes the well-formed UTF-8 character at s[i]; its length in `len`, 0
// when ill-formed.
uint32_t Decode(std::string_view s, size_t i, size_t& len) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
  len = 0;
  unsigned char c = byte(0);
  if (c < 0x80) {
    len = 1;
    return c;
  }
  size_t n = c >= 0xc2 && c <= 0xdf   ? 2
             : c >= 0xe0 && c <= 0xef ? 3
             : c >= 0xf0 && c <= 0xf4 ? 4
                                      : 0;
  if (n == 0 || i + n > s.size()) return 0;
  uint32_t cp = c & (0x7f >> n);
  for (size_t k = 1; k < n; ++k) {
    if ((byte(k) & 0xc0) != 0x80) return 0;
    cp = cp << 6 | (byte(k) & 0x3f);
  }
  constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[n] || cp > 0x10ffff || IsSurrogate(cp)) return 0;
  len = n;
  return cp;
}

std::string Hex(uint32_t c) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "\\x{%x}", c);
  return buf;
}

// Translates a JavaScript (non-unicode, Annex B) pattern into PCRE2 syntax;
// see the header for the rules.
class Translator {
 public:
  Translator(std::string_view src, bool multiline) : s_(src), multiline_(multiline) {}

  std::string Run() {
    CountGroups();
    std::vector<bool> groups;  // open groups: quantifiable once closed?
    bool atom = false;         // the last item can take a quantifier
    while (i_ < s_.size()) {
      char c = s_[i_++];
      bool was_atom = atom;
      atom = true;
      switch (c) {
        case '|':
          out_ += c;
          atom = false;
          break;
        case '(':
          groups.push_back(OpenGroup());
          atom = false;
          break;
        case ')':
          if (groups.empty()) Fail("Unmatched ')'");
          out_ += c;
          atom = groups.back();
          groups.pop_back();
          break;
        case '*':
        case '+':
        case '?':
          Quantifier(was_atom, std::string(1, c));
          atom = false;
          break;
        case '{':
          if (auto q = BracedQuantifier()) {
            Quantifier(was_atom, *q);
            atom = false;
          } else {
            out_ += "\\{";
          }
          break;
        case '}':
        case ']':
          out_ += '\\';
          out_ += c;
          break;
        case '^':
          out_ += multiline_ ? kLineStart : "^";
          atom = false;
          break;
        case '$':
          out_ += multiline_ ? kLineEnd : "$";
          atom = false;
          break;
        case '.':
          out_ += kDot;
          break;
        case '[':
          Class();
          break;
        case '\\':
          atom = Escape();
          break;
        default:
          out_ += c;  // UTF-8 bytes pass through
      }
    }
    if (!groups.empty()) Fail("Unterminated group");
    return std::move(out_);
  }

  struct SyntaxError {
    std::string why;
  };
  [[noreturn]] void Fail(std::string_view why) { throw SyntaxError{std::string(why)}; }

 private:
  bool More(size_t k = 0) const { return i_ + k < s_.size(); }
  char Peek(size_t k = 0) const { return More(k) ? s_[i_ + k] : '\0'; }

  void CountGroups() {
    bool in_class = false;
    for (size_t k = 0; k < s_.size(); ++k) {
      char c = s_[k];
      if (c == '\\')
        ++k;
      else if (in_class)
        in_class = c != ']';
      else if (c == '[') {
        in_class = true;
        if (k + 1 < s_.size() && s_[k + 1] == '^') ++k;
        if (k + 1 < s_.size() && s_[k + 1] == ']') {  // [] or [^]
          ++k;
          in_class = false;
        }
      } else if (c == '(' && (k + 1 >= s_.size() || s_[k + 1] != '?')) {
        ++ncaps_;
      } else if (c == '(' && s_.substr(k + 1, 2) == "?<" && k + 3 < s_.size() && s_[k + 3] != '=' &&
                 s_[k + 3] != '!') {
        ++ncaps_;
        named_ = true;
      }
    }
  }

  // After '(': emits the opener, returns whether the group is quantifiable.
  bool OpenGroup() {
    if (Peek() != '?') {
      out_ += '(';
      return true;
    }
    char k = Peek(1);
    if (k == ':' || k == '=' || k == '!') {
      out_.append(s_.substr(i_ - 1, 3));
      i_ += 2;
      return true;  // Annex B: a lookahead may be quantified
    }
    if (k == '<' && (Peek(2) == '=' || Peek(2) == '!')) {
      out_.append(s_.substr(i_ - 1, 4));
      i_ += 3;
      return false;
    }
    if (k != '<') Fail("Invalid group");
    size_t close = s_.find('>', i_ + 2);
    if (close == std::string_view::npos || close == i_ + 2) Fail("Invalid capture group name");
    out_.append(s_.substr(i_ - 1, close + 2 - i_));
    i_ = close + 1;
    return true;
  }

  // {n}, {n,}, {n,m} at i_ (after '{'); nullopt (nothing consumed) if not one.
  std::optional<std::string> BracedQuantifier() {
    size_t k = i_, lo_start = k;
    while (k < s_.size() && IsDigit(s_[k])) ++k;
    if (k == lo_start) return std::nullopt;
    std::string_view lo = s_.substr(lo_start, k - lo_start), hi = lo;
    if (k < s_.size() && s_[k] == ',') {
      size_t hi_start = ++k;
      while (k < s_.size() && IsDigit(s_[k])) ++k;
      hi = s_.substr(hi_start, k - hi_start);
    }
    if (k >= s_.size() || s_[k] != '}') return std::nullopt;
    auto value = [](std::string_view d) {
      d.remove_prefix(std::min(d.find_first_not_of('0'), d.size()));
      return d;
    };
    std::string_view l = value(lo), h = value(hi);
    if (!hi.empty() && (l.size() > h.size() || (l.size() == h.size() && l > h)))
      Fail("numbers out of order in {} quantifier");
    std::string q(s_.substr(i_ - 1, k + 2 - i_));
    i_ = k + 1;
    return q;
  }

  void Quantifier(bool atom, const std::string& q) {
    if (!atom) Fail("Nothing to repeat");
    out_ += q;
    if (Peek() == '?') {  // lazy
      out_ += '?';
      ++i_;
    }
  }

  // A \uHHHH escape at i_ (after "\u"), combined with a following \uHHHH
  // low surrogate when it is a high one; nullopt when not 4 hex digits.
  std::optional<uint32_t> Unicode() {
    auto hex4 = [&](size_t at) -> int32_t {
      int32_t v = 0;
      for (size_t k = 0; k < 4; ++k) {
        int h = at + k < s_.size() ? HexValue(s_[at + k]) : -1;
        if (h < 0) return -1;
        v = v << 4 | h;
      }
      return v;
    };
    int32_t v = hex4(i_);
    if (v < 0) return std::nullopt;
    i_ += 4;
    if (v >= 0xd800 && v <= 0xdbff && Peek() == '\\' && Peek(1) == 'u') {
      int32_t low = hex4(i_ + 2);
      if (low >= 0xdc00 && low <= 0xdfff) {
        i_ += 6;
        return 0x10000 + ((v - 0xd800) << 10) + (low - 0xdc00);
      }
    }
    return static_cast<uint32_t>(v);
  }

  // A legacy octal escape whose first digit is at i_ - 1.
  uint32_t Octal() {
    uint32_t v = s_[i_ - 1] - '0';
    int more = v <= 3 ? 2 : 1;
    while (more-- > 0 && Peek() >= '0' && Peek() <= '7') v = v * 8 + (s_[i_++] - '0');
    return v;
  }

  // The code point of the (well-formed) character at i_, consumed.
  uint32_t Char() {
    size_t len;
    uint32_t c = Decode(s_, i_, len);
    if (len == 0) Fail("Invalid UTF-8");
    i_ += len;
    return c;
  }

  // A character escape shared by atoms and classes, after "\" and its first
  // character `c`; nullopt for the escapes the two treat differently.
  std::optional<uint32_t> CharacterEscape(char c) {
    switch (c) {
      case 'f':
        return 0x0c;
      case 'n':
        return 0x0a;
      case 'r':
        return 0x0d;
      case 't':
        return 0x09;
      case 'v':
        return 0x0b;
      case 'x':
        if (HexValue(Peek()) >= 0 && HexValue(Peek(1)) >= 0) {
          i_ += 2;
          return HexValue(s_[i_ - 2]) << 4 | HexValue(s_[i_ - 1]);
        }
        return 'x';
      case 'u':
        if (auto u = Unicode()) return *u;
        return 'u';
      default:
        return std::nullopt;
    }
  }

  // After '\' outside a class; returns whether the result is quantifiable.
  bool Escape() {
    if (!More()) Fail("\\ at end of pattern");
    size_t at = i_;
    char c = s_[i_++];
    if (auto cp = CharacterEscape(c)) return Literal(*cp);
    switch (c) {
      case 'b':
      case 'B':
      case 'd':
      case 'D':
      case 'w':
      case 'W':
        out_ += '\\';
        out_ += c;
        return c != 'b' && c != 'B';  // assertions take no quantifier
      case 's':
        out_ += "[" + std::string(kSpace) + "]";
        return true;
      case 'S':
        out_ += "[" + std::string(kNonSpace) + "]";
        return true;
      case 'c':
        if (IsAsciiLetter(Peek())) return Literal(s_[i_++] % 32);
        --i_;  // a backslash, then `c` as itself
        return Literal('\\');
      case 'k':
        if (named_) {
          size_t close = s_.find('>', i_);
          if (Peek() != '<' || close == std::string_view::npos || close == i_ + 1)
            Fail("Invalid named reference");
          out_ += "\\k";
          out_.append(s_.substr(i_, close + 1 - i_));
          i_ = close + 1;
          return true;
        }
        return Literal('k');
    }
    if (IsDigit(c)) {
      size_t end = at;
      while (end < s_.size() && IsDigit(s_[end])) ++end;
      std::string_view digits = s_.substr(at, end - at);
      if (c != '0' && digits.size() <= 5 && std::stoul(std::string(digits)) <= ncaps_) {
        i_ = end;
        out_ += "\\g{" + std::string(digits) + "}";
        return true;
      }
      return Literal(c >= '8' ? static_cast<uint32_t>(c) : Octal());
    }
    i_ = at;
    return Literal(Char());  // identity escape
  }

  // Emits code point `c`; true (quantifiable).
  bool Literal(uint32_t c) {
    out_ += IsSurrogate(c) ? std::string(kNothing) : Hex(c);
    return true;
  }

  // After '['.
  void Class() {
    bool negated = Peek() == '^';
    if (negated) ++i_;
    size_t open = out_.size();
    out_ += negated ? "[^" : "[";
    while (true) {
      if (!More()) Fail("Unterminated character class");
      if (Peek() == ']') break;
      Member first = ClassAtom();
      if (Peek() == '-' && More(1) && Peek(1) != ']') {
        ++i_;
        Member second = ClassAtom();
        if (first.set.empty() && second.set.empty()) {
          if (first.cp > second.cp) Fail("Range out of order in character class");
          Range(first.cp, second.cp);
        } else {  // Annex B: a class escape at either end makes `-` literal
          Emit(first);
          out_ += "\\-";
          Emit(second);
        }
      } else {
        Emit(first);
      }
    }
    ++i_;
    // No members ([], [^], or only surrogates): PCRE2's own empty class fails
    // even under a quantifier that allows zero ([]? never matches).
    if (out_.size() == open + 1 + negated)
      out_.replace(open, out_.npos, negated ? kAny : kNothing);
    else
      out_ += ']';
  }

  struct Member {
    uint32_t cp = 0;
    std::string_view set;  // a class escape's members, or empty
  };

  Member ClassAtom() {
    if (Peek() != '\\') return {Char(), {}};
    ++i_;
    if (!More()) Fail("\\ at end of pattern");
    char c = s_[i_++];
    if (auto cp = CharacterEscape(c)) return {*cp, {}};
    switch (c) {
      case 'b':
        return {0x08, {}};
      case 'd':
        return {0, "\\d"};
      case 'D':
        return {0, "\\D"};
      case 'w':
        return {0, "\\w"};
      case 'W':
        return {0, "\\W"};
      case 's':
        return {0, kSpace};
      case 'S':
        return {0, kNonSpace};
      case 'c':
        if (IsAsciiLetter(Peek()) || IsDigit(Peek()) || Peek() == '_')
          return {static_cast<uint32_t>(s_[i_++] % 32), {}};
        --i_;
        return {'\\', {}};
    }
    if (c >= '0' && c <= '7') return {Octal(), {}};
    --i_;
    return {Char(), {}};
  }

  void Emit(const Member& m) {
    if (!m.set.empty())
      out_ += m.set;
    else
      Range(m.cp, m.cp);
  }

  // [lo, hi] less the surrogates (no UTF-8 text contains one).
  void Range(uint32_t lo, uint32_t hi) {
    auto emit = [&](uint32_t a, uint32_t b) {
      if (a > b) return;
      out_ += Hex(a);
      if (b != a) out_ += '-' + Hex(b);
    };
    emit(lo, std::min(hi, 0xd7ffu));
    emit(std::max(lo, 0xe000u), hi);
  }

  std::string_view s_;
  bool multiline_;
  size_t i_ = 0;
  std::string out_;
  size_t ncaps_ = 0;
  bool named_ = false;
};

std::string Excerpt(std::string_view s) {
  constexpr size_t kMax = 60;
  if (s.size() <= kMax) return std::string(s);
  size_t n = kMax;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xc0) == 0x80) --n;
  return std::string(s.substr(0, n)) + "...";
}

// JavaScript's StrWhiteSpaceChar (what parseInt skips).
bool IsJsSpace(uint32_t c) {
  return (c >= 0x09 && c <= 0x0d) || c == 0x20 || c == 0xa0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 || c == 0x202f || c == 0x205f ||
         c == 0x3000 || c == 0xfeff;
}

// JavaScript's parseInt(s.substring(pos, pos + units), 10) over UTF-8 `s`.
std::optional<int64_t> ParseInt(std::string_view s, size_t pos, size_t units) {
  size_t end = pos;
  while (units > 0 && end < s.size()) {  // the substring, in UTF-16 units
    size_t len;
    uint32_t c = Decode(s, end, len);
    if (len == 0) len = 1;
    if (c > 0xffff) break;  // half of it would be a non-digit anyway
    end += len;
    --units;
  }
  size_t k = pos;
  while (k < end) {
    size_t len;
    uint32_t c = Decode(s, k, len);
    if (len == 0 || !IsJsSpace(c)) break;
    k += len;
  }
  bool negative = k < end && s[k] == '-';
  if (k < end && (s[k] == '-' || s[k] == '+')) ++k;
  if (k >= end || !IsDigit(s[k])) return std::nullopt;
  int64_t v = 0;
  while (k < end && IsDigit(s[k])) v = v * 10 + (s[k++] - '0');
  return negative ? -v : v;
}

}  // namespace

struct Regex::Impl {
  pcre2_code* code = nullptr;
  pcre2_match_context* context = nullptr;
  ~Impl() {
    pcre2_match_context_free(context);
    pcre2_code_free(code);
  }
};

Regex::Regex(std::string pattern, std::string flags)
    : pattern_(std::move(pattern)), flags_(std::move(flags)), impl_(std::make_unique<Impl>()) {}

Regex::~Regex() = default;

std::shared_ptr<const Regex> Regex::Compile(std::string_view pattern, std::string_view flags) {
  auto fail = [&](std::string_view why) -> Error {
    return Error(std::string(kRegexSyntaxCode), "Invalid regular expression: /" + Excerpt(pattern) +
                                                    "/" + Excerpt(flags) + ": " + std::string(why));
  };
  bool ignore_case = false, multiline = false;
  for (char f : flags) {
    bool& flag = f == 'i' ? ignore_case : multiline;
    if ((f != 'i' && f != 'm') || flag) throw fail("Invalid flags");
    flag = true;
  }
  std::string translated;
  try {
    translated = Translator(pattern, multiline).Run();
  } catch (const Translator::SyntaxError& e) {
    throw fail(e.why);
  }
  std::shared_ptr<Regex> re(new Regex(std::string(pattern), std::string(flags)));
  uint32_t options = PCRE2_UTF | PCRE2_DOLLAR_ENDONLY | PCRE2_MATCH_UNSET_BACKREF |
                     PCRE2_NEVER_UCP | PCRE2_NEVER_BACKSLASH_C;
  if (ignore_case) options |= PCRE2_CASELESS;
  int error;
  PCRE2_SIZE offset;
  re->impl_->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(translated.data()),
                                  translated.size(), options, &error, &offset, nullptr);
  if (!re->impl_->code) {
    PCRE2_UCHAR message[256];
    pcre2_get_error_message(error, message, sizeof message);
    throw fail(reinterpret_cast<const char*>(message));
  }
  uint32_t count = 0;
  pcre2_pattern_info(re->impl_->code, PCRE2_INFO_CAPTURECOUNT, &count);
  re->group_count_ = count;
  re->impl_->context = pcre2_match_context_create(nullptr);
  if (!re->impl_->context) throw std::bad_alloc();
  pcre2_set_match_limit(re->impl_->context, kMatchLimit);
  pcre2_set_depth_limit(re->impl_->context, kDepthLimit);
  pcre2_set_heap_limit(re->impl_->context, kHeapLimitKiB);
  return re;
}

std::optional<Regex::Match> Regex::Exec(std::string_view subject, size_t from,
                                        bool subject_is_utf8) const {
  if (from > subject.size()) return std::nullopt;
  if (!subject_is_utf8 && !IsValidUtf8(subject))
    throw Error(std::string(kRegexSubjectCode),
                "Regular expression subject is not valid UTF-8 text");
  if (from < subject.size() && (static_cast<unsigned char>(subject[from]) & 0xc0) == 0x80)
    throw Error(std::string(kRegexSubjectCode),
                "Regular expression search starts inside a character");
  std::unique_ptr<pcre2_match_data, void (*)(pcre2_match_data*)> data(
      pcre2_match_data_create_from_pattern(impl_->code, nullptr), pcre2_match_data_free);
  if (!data) throw std::bad_alloc();
  const char* text = subject.data() ? subject.data() : "";
  int rc = pcre2_match(impl_->code, reinterpret_cast<PCRE2_SPTR>(text), subject.size(), from,
                       PCRE2_NO_UTF_CHECK, data.get(), impl_->context);
  if (rc == PCRE2_ERROR_NOMATCH) return std::nullopt;
  if (rc < 0) {  // a limit (PCRE2_ERROR_MATCHLIMIT, _DEPTHLIMIT, _HEAPLIMIT, _NOMEMORY)
    PCRE2_UCHAR message[256];
    pcre2_get_error_message(rc, message, sizeof message);
    throw Error(std::string(kRegexLimitCode),
                "Regular expression /" + Excerpt(pattern_) +
                    "/ could not be matched: " + reinterpret_cast<const char*>(message));
  }
  const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(data.get());
  Match m;
  m.start = ov[0];
  m.end = ov[1];
  m.groups.reserve(group_count_);
  for (size_t g = 1; g <= group_count_; ++g) {
    if (ov[2 * g] == PCRE2_UNSET)
      m.groups.emplace_back();
    else
      m.groups.emplace_back(subject.substr(ov[2 * g], ov[2 * g + 1] - ov[2 * g]));
  }
  return m;
}

bool IsValidUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    Decode(s, i, len);
    if (len == 0) return false;
    i += len;
  }
  return true;
}

size_t CodePointIndex(std::string_view s, size_t byte_offset) {
  size_t n = 0;
  for (size_t i = 0; i < std::min(byte_offset, s.size()); ++i)
    n += (static_cast<unsigned char>(s[i]) & 0xc0) != 0x80;
  return n;
}

std::string ExpandReplacement(std::string_view replacement, std::string_view subject,
                              const Regex::Match& match) {
  const auto& groups = match.groups;
  const int64_t ngroups = static_cast<int64_t>(groups.size());
  const size_t max_digits =
      groups.empty() ? 1
                     : static_cast<size_t>(std::floor(std::log(static_cast<double>(ngroups)) *
                                                      0.4342944819032518)) +
                           1;  // as jsonata-js: Math.floor(Math.log(n) * Math.LOG10E) + 1
  std::string out;
  size_t position = 0;
  size_t dollar = replacement.find('$');
  while (dollar != std::string_view::npos && position < replacement.size()) {
    out.append(replacement.substr(position, dollar - position));
    position = dollar + 1;
    char next = position < replacement.size() ? replacement[position] : '\0';
    if (next == '$') {
      out += '$';
      ++position;
    } else if (next == '0') {
      out.append(subject.substr(match.start, match.end - match.start));
      ++position;
    } else {
      std::optional<int64_t> index = ParseInt(replacement, position, max_digits);
      if (index && max_digits > 1 && *index > ngroups)
        index = ParseInt(replacement, position, max_digits - 1);
      if (!index) {
        out += '$';
      } else {
        if (*index >= 1 && *index <= ngroups && groups[*index - 1]) out += *groups[*index - 1];
        // jsonata-js steps over String(index).length characters (all of them
        // single-byte or BMP white space here).
        size_t step = std::to_string(*index).size();
        while (step-- > 0 && position < replacement.size()) {
          size_t len;
          Decode(replacement, position, len);
          position += len ? len : 1;
        }
      }
    }
    dollar = replacement.find('$', position);
  }
  if (position < replacement.size()) out.append(replacement.substr(position));
  return out;
}

}  // namespace stepd::asl::jsonata
