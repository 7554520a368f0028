#pragma once
// Private to src/asl/jsonata_*.cc: JSONata's regular expressions (the
// /pattern/flags literal) with JavaScript semantics, matched by PCRE2.
//
// jsonata-js hands the pattern to `new RegExp(pattern, flags + "g")`, so the
// dialect is ECMAScript's without the `u` flag (with the web-compatibility
// grammar of Annex B). Compile translates it into an equivalent PCRE2 pattern
// rather than trusting PCRE2 to read it, so that JavaScript's meaning wins
// wherever the two dialects disagree:
//   - `.` matches any character but the line terminators \n \r U+2028 U+2029.
//   - `^` / `$` match only at the start / end of the subject; with the `m`
//     flag also after / before a line terminator (each of the four, \r\n
//     being two of them). `$` never matches before a final \n without `m`.
//   - `[^]` matches any character, `[]` none (also under a quantifier:
//     /a[]?/ matches "a"; PCRE2's own empty class would fail there, so it
//     is never used).
//   - \s \S are JavaScript's white space (\t \n \v \f \r, space, U+00A0,
//     U+1680, U+2000-U+200A, U+2028, U+2029, U+202F, U+205F, U+3000, U+FEFF);
//     \d \w \b are ASCII; \v is U+000B; \0 NUL; \cX a control character (a
//     backslash and `c` when X is not a letter); \xHH and \uHHHH code points
//     (a literal `x` / `u` when not followed by 2 / 4 hex digits; \uD83D\uDE00
//     written as a surrogate pair is the one code point U+1F600, a lone
//     surrogate matches nothing); \1..\N a back reference when the pattern
//     has that many groups (an unset group matches the empty string),
//     otherwise a legacy octal escape (\8 \9: the digit); \k<name> a named
//     back reference in a pattern with named groups, otherwise `k`; any
//     other escaped character is itself (\a is `a`, \Q is `Q`: none of
//     PCRE2's own escapes exist).
//   - Groups are ( ), (?: ), (?= ), (?! ), (?<= ), (?<! ) and (?<name> );
//     any other `(?` is a syntax error, so no PCRE2 extension ((?i), (?>,
//     (*VERB), recursion, possessive or atomic forms) is reachable. Braces
//     that do not form a quantifier ({,2}, {a}) and a lone `]` or `}` are
//     literal characters; a quantifier with nothing to repeat is an error.
// Known, accepted differences from JavaScript (the subject is UTF-8 text
// matched code point by code point, where JavaScript sees UTF-16 units):
//   - `.` and classes match an astral character (U+10000 and up) as one
//     character, JavaScript as two surrogates.
//   - With `i`, case folding is Unicode's simple folding (PCRE2), not
//     JavaScript's toUpperCase canonicalization. They differ for a few
//     characters JavaScript leaves alone: /k/i also matches U+212A KELVIN
//     SIGN, /s/i U+017F, /ß/i U+1E9E, /ω/i U+2126 OHM SIGN, /å/i U+212B,
//     /θ/i U+03F4 (JavaScript: none of these).
//   - A group inside a quantified group keeps its value from an earlier
//     iteration (/(?:(a)|b)+/ on "ab": group 1 is "a"; JavaScript resets it
//     to undefined each iteration).
//   - An iteration of a quantified group may match the empty string, where
//     JavaScript rejects an empty iteration past the minimum count and
//     backtracks: /(a*)*/ on "b" gives group 1 "" (JavaScript: undefined),
//     /(a??)?/ on "a" matches "" (JavaScript: "a"). Only groups that can
//     match empty under a quantifier are affected.
//   - Lookbehind must have a bounded length per alternative ((?<=a+) is an
//     error); a {n,m} bound is at most 65535; group names are ASCII letters,
//     digits and `_`, at most 32 long. PCRE2 rejects these with S0303.
//
// Errors (stepd::asl::jsonata::Error, position -1: the parser fills it in):
//   S0303 (kRegexSyntaxCode): the pattern or the flags are not a valid
//     JavaScript regular expression, or PCRE2 cannot compile the translation.
//     jsonata-js lets `new RegExp`'s SyntaxError escape without a code;
//     S0303 is the next free code of its regex family (S0301 empty regex,
//     S0302 unterminated, both raised by the parser before Compile is
//     called). The message reads like V8's: "Invalid regular expression:
//     /(a/: Unterminated group".
//   U1003 (kRegexLimitCode): a match ran past the limits below
//     (catastrophic backtracking such as /(a+)+$/ on "aaa...a!" fails in
//     about 0.1 s). jsonata-js has no such error (the JS engine just hangs);
//     U1xxx are stepd's limit codes (U1001 depth, U1002 time).
//   U1004 (kRegexSubjectCode): the subject is not valid UTF-8, or `from` is
//     inside a character. JSONata strings always are valid UTF-8; this is a
//     clean refusal, never undefined behaviour.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace stepd::asl::jsonata {

inline constexpr std::string_view kRegexSyntaxCode = "S0303";
inline constexpr std::string_view kRegexLimitCode = "U1003";
inline constexpr std::string_view kRegexSubjectCode = "U1004";

// A compiled regular expression. Immutable: one instance may be used by many
// threads at once (match data is per call).
class Regex {
 public:
  // Limits of one Exec call (pcre2_set_match_limit / _depth_limit /
  // _heap_limit). The match limit (PCRE2's default) bounds backtracking
  // steps, about 0.1 s of work; the heap limit bounds PCRE2's backtracking
  // frames (a nested repetition such as (?:a|b)* holds a frame per
  // iteration: roughly 100k iterations fit); the depth limit is a backstop.
  static constexpr uint32_t kMatchLimit = 10'000'000;
  static constexpr uint32_t kDepthLimit = 1'000'000;
  static constexpr uint32_t kHeapLimitKiB = 64 * 1024;

  // `flags`: any of `i` (ignore case) and `m` (multiline), each at most
  // once, as jsonata-js's tokenizer accepts them (it adds `g` itself).
  // An empty pattern compiles (it matches the empty string); the parser
  // rejects it with S0301 before calling. Throws Error S0303.
  static std::shared_ptr<const Regex> Compile(std::string_view pattern, std::string_view flags);

  struct Match {
    size_t start = 0, end = 0;  // byte offsets into the subject
    // Capture groups 1..n (all of them, group_count() entries); nullopt for
    // a group that did not take part in the match (JavaScript: undefined).
    std::vector<std::optional<std::string>> groups;
    // The empty-match rule is the caller's: jsonata-js's $match, $replace
    // and $split take the first match (which may be empty), then search
    // again from the previous match's end, stopping when that end is at or
    // past the end of the subject, and raise D1004 ("Regular expression
    // matches zero length string") when such a further match is empty().
    // jsonata-js makes that further search right after taking a match,
    // before it looks at the limit argument: $match("abc", /x*/, 1) raises
    // D1004 too (the search from the empty match's end finds it again).
    // $contains only asks whether there is a first match.
    bool empty() const { return start == end; }
  };

  // The first match starting at or after byte offset `from` (JavaScript's
  // exec with lastIndex = from: `^`, \b and lookbehind still see the text
  // before `from`). nullopt when there is none or `from` > subject.size().
  // The whole subject is checked to be UTF-8 first, unless the caller
  // already knows (`subject_is_utf8`: e.g. IsValidUtf8 once, then every Exec
  // over the same subject; passing true for invalid UTF-8 is undefined
  // behaviour). Throws Error U1003 past the limits, U1004 (see above).
  std::optional<Match> Exec(std::string_view subject, size_t from,
                            bool subject_is_utf8 = false) const;

  const std::string& pattern() const { return pattern_; }  // as written
  const std::string& flags() const { return flags_; }      // as given
  size_t group_count() const { return group_count_; }

  ~Regex();
  Regex(const Regex&) = delete;
  Regex& operator=(const Regex&) = delete;

 private:
  struct Impl;
  Regex(std::string pattern, std::string flags);

  std::string pattern_;
  std::string flags_;
  size_t group_count_ = 0;
  std::unique_ptr<Impl> impl_;
};

// Whether `s` is well-formed UTF-8 (no overlong forms, surrogates or code
// points past U+10FFFF).
bool IsValidUtf8(std::string_view s);

// The code-point index of byte offset `byte_offset` in UTF-8 `s`: the
// number of characters that start before it (clamped to s.size()). JSONata
// reports positions in characters. (jsonata-js's $match `index` counts
// UTF-16 units; the two differ after an astral character.)
size_t CodePointIndex(std::string_view s, size_t byte_offset);

// $replace's replacement text for `match` in `subject`, by jsonata-js's
// rule: "$$" is "$"; "$0" the whole match; otherwise "$" followed by digits
// names a group, reading at most as many digits as the group count has
// (one when there are no groups) and one digit fewer when that number is
// past the group count: with 13 groups "$18" is group 1 then "8", "$123"
// group 12 then "3"; with 3 groups "$12" is group 1 then "2". A group that
// does not exist or did not take part adds nothing; "$" followed by no
// digit is a literal "$". (The digits are read with JavaScript's parseInt,
// so white space and a sign before them count too: with 10+ groups "$ 1"
// is group 1 in place of the space, then "1". Kept for fidelity.)
std::string ExpandReplacement(std::string_view replacement, std::string_view subject,
                              const Regex::Match& match);

}  // namespace stepd::asl::jsonata
