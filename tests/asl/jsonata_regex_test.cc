// The regex layer of JSONata: facts the jsonata-js suite (groups regex,
// function-replace, function-split, function-contains, function-applications)
// and the JSONata documentation rely on, checked on Regex, Exec and
// ExpandReplacement directly; plus JavaScript syntax, limits and UTF-8.
// (Private headers of src/asl, included by path: the test target does not
// have src/asl on its include path.)
#include "../../src/asl/jsonata_regex.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <climits>
#include <string>
#include <thread>
#include <vector>

#include "../../src/asl/jsonata_error.h"

namespace stepd::asl::jsonata {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Groups = std::vector<std::optional<std::string>>;

std::shared_ptr<const Regex> Re(std::string_view pattern, std::string_view flags = "") {
  return Regex::Compile(pattern, flags);
}

// jsonata-js's iteration in $match / $replace / $split: the first match,
// then a search from each match's end (right after taking it, before the
// limit is looked at) until that end reaches the end of the subject; an
// empty match found that way is D1004.
std::vector<Regex::Match> JsMatches(const Regex& re, std::string_view s, size_t limit = SIZE_MAX) {
  std::vector<Regex::Match> out;
  if (limit == 0) return out;
  std::optional<Regex::Match> m = re.Exec(s, 0);
  while (m && out.size() < limit) {
    out.push_back(*m);
    if (m->end >= s.size()) break;
    m = re.Exec(s, m->end, /*subject_is_utf8=*/true);
    if (m && m->empty()) throw Error("D1004", "Regular expression matches zero length string");
  }
  return out;
}

std::vector<std::string> Texts(const Regex& re, std::string_view s) {
  std::vector<std::string> out;
  for (const auto& m : JsMatches(re, s)) out.emplace_back(s.substr(m.start, m.end - m.start));
  return out;
}

std::vector<std::string> Split(const Regex& re, std::string_view s, size_t limit = SIZE_MAX) {
  std::vector<std::string> out;
  size_t start = 0;
  auto matches = JsMatches(re, s, limit);
  for (const auto& m : matches) out.emplace_back(s.substr(start, m.start - start)), start = m.end;
  if (out.size() < limit) out.emplace_back(s.substr(start));
  return out;
}

std::string Replace(const Regex& re, std::string_view s, std::string_view with,
                    size_t limit = SIZE_MAX) {
  std::string out;
  size_t position = 0;
  for (const auto& m : JsMatches(re, s, limit)) {
    out.append(s.substr(position, m.start - position));
    out += ExpandReplacement(with, s, m);
    position = m.end;
  }
  return out + std::string(s.substr(position));
}

bool Contains(const Regex& re, std::string_view s) { return re.Exec(s, 0).has_value(); }

// Whether `pattern` matches all of `s` (the first match from 0 spans it).
bool Whole(std::string_view pattern, std::string_view s, std::string_view flags = "") {
  auto m = Re(pattern, flags)->Exec(s, 0);
  return m && m->start == 0 && m->end == s.size();
}

std::string ErrorCode(std::string_view pattern, std::string_view flags = "") {
  try {
    Re(pattern, flags);
  } catch (const Error& e) {
    return e.code();
  }
  return "none";
}

// --- The jsonata-js suite's regex facts -------------------------------------

TEST(JsonataRegexSuite, Split) {
  EXPECT_THAT(Split(*Re("b+"), "ababbxabbcc"), ElementsAre("a", "a", "xa", "cc"));  // regex 000
  EXPECT_THAT(Split(*Re("b+"), "ababbxabbcc", 2), ElementsAre("a", "a"));           // regex 001
  EXPECT_THAT(Split(*Re("b+"), "ababbxabbcc", 0), ElementsAre());
  EXPECT_THAT(Split(*Re("[ ,.;]+"), "too much, punctuation. hard; to read"),
              ElementsAre("too", "much", "punctuation", "hard", "to", "read"));
  EXPECT_THAT(Split(*Re("💩"), "12💩345💩6"), ElementsAre("12", "345", "6"));
  EXPECT_THAT(Split(*Re("x"), "abc"), ElementsAre("abc"));
}

TEST(JsonataRegexSuite, Contains) {
  EXPECT_FALSE(Contains(*Re("ax+"), "ababbxabbcc"));  // regex 004
  EXPECT_TRUE(Contains(*Re("ab+"), "ababbxabbcc"));
  EXPECT_TRUE(Contains(*Re("a.*a"), "abracadabra"));
  EXPECT_FALSE(Contains(*Re("ar.*a"), "abracadabra"));
  EXPECT_FALSE(Contains(*Re("wo"), "Hello World"));
  EXPECT_TRUE(Contains(*Re("wo", "i"), "Hello World"));
  EXPECT_TRUE(Contains(*Re("^077"), "077 1234 5678"));
  EXPECT_FALSE(Contains(*Re("^077"), "01962 001234"));
}

TEST(JsonataRegexSuite, Replace) {
  EXPECT_EQ(Replace(*Re(R"((\w+)\s(\w+))"), "John Smith", "$2, $1"), "Smith, John");  // 011
  EXPECT_EQ(Replace(*Re("([0-9]+)USD"), "265USD", "$0$1$2"), "265USD265");            // 015
  EXPECT_EQ(Replace(*Re("([0-9]+)USD"), "265USD", "$$$1"), "$265");
  EXPECT_EQ(Replace(*Re("bra"), "abracadabra", "*"), "a*cada*");  // 017
  EXPECT_EQ(Replace(*Re("bra"), "abracadabra", "*", 1), "a*cadabra");
  EXPECT_EQ(Replace(*Re("bra"), "abracadabra", "*", 0), "abracadabra");
  EXPECT_EQ(Replace(*Re("a"), "abracadabra", ""), "brcdbr");                   // 020
  EXPECT_EQ(Replace(*Re("a(.)"), "abracadabra", "a$1$1"), "abbraccaddabbra");  // 021
  EXPECT_EQ(Replace(*Re("A+"), "AAAA", "b"), "b");                             // 023
  EXPECT_EQ(Replace(*Re("A+?"), "AAAA", "b"), "bbbb");                         // 024
  EXPECT_EQ(Replace(*Re(".*"), "abracadabra", "*"), "*");  // one match to the end, no D1004
}

TEST(JsonataRegexSuite, ReplaceGroupNumbers) {
  const std::string abc = "abcdefghijklmno", with = "$8$5$12$12$18$123";
  // 13 groups: two digits at most, one fewer when past 13.  regex 026
  EXPECT_EQ(Replace(*Re("(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)(k)(l)(m)"), abc, with), "hella8l3no");
  EXPECT_EQ(Replace(*Re("xyz"), abc, with), abc);  // no match.  027
  // No groups: one digit, naming nothing.  028
  EXPECT_EQ(Replace(*Re("ijk"), abc, with), "abcdefgh22823lmno");
}

TEST(JsonataRegexSuite, MatchObjects) {
  // $match("ababbabbcc", /a(b+)/): match, index, groups.
  auto re = Re("a(b+)");
  auto all = JsMatches(*re, "ababbabbcc");
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].start, 0u);
  EXPECT_EQ(all[0].end, 2u);
  EXPECT_EQ(all[1].start, 2u);
  EXPECT_EQ(all[1].end, 5u);
  EXPECT_EQ(all[2].start, 5u);
  EXPECT_EQ(all[2].end, 8u);
  EXPECT_EQ(all[0].groups, Groups{"b"});
  EXPECT_EQ(all[1].groups, Groups{"bb"});
  EXPECT_EQ(JsMatches(*re, "ababbabbcc", 1).size(), 1u);
  EXPECT_TRUE(JsMatches(*Re("a(xb+)"), "ababbabbcc").empty());

  // regex 033: /(h)(at)/i over product names, as a lambda replacement sees it.
  auto hat = Re("(h)(at)", "i");
  auto m = hat->Exec("Bowler Hat", 0);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->start, 7u);
  EXPECT_EQ(m->end, 10u);
  EXPECT_EQ(m->groups, (Groups{"H", "at"}));
  EXPECT_FALSE(hat->Exec("Cloak", 0));
  // function-applications 021: `"Product Name" ~> /hat/i` as a predicate.
  EXPECT_TRUE(Contains(*Re("hat", "i"), "Trilby hat"));
  EXPECT_FALSE(Contains(*Re("hat", "i"), "Cloak"));

  // regex 034: /(-?\d+(?:\.\d*)?)F\b/.
  auto f = Re(R"((-?\d+(?:\.\d*)?)F\b)")->Exec("temperature = 68F today", 0);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->start, 14u);
  EXPECT_EQ(f->end, 17u);
  EXPECT_EQ(f->groups, Groups{"68"});
  EXPECT_FALSE(Re(R"((-?\d+(?:\.\d*)?)F\b)")->Exec("68Fahrenheit", 0));
}

TEST(JsonataRegexSuite, ZeroLengthMatches) {
  // The first match may be empty; a further one before the end is D1004.
  auto m = Re("x*")->Exec("abc", 0);
  ASSERT_TRUE(m);
  EXPECT_TRUE(m->empty());
  EXPECT_EQ(m->start, 0u);
  try {
    JsMatches(*Re("x*"), "abc");
    FAIL() << "expected D1004";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), "D1004");
  }
  EXPECT_THROW(JsMatches(*Re("x*"), "abc", 1), Error);  // the search happens before the limit
  EXPECT_THROW(JsMatches(*Re("a*"), "ab"), Error);      // "a", then "" at 1
  // An empty match at the very end ends the iteration: no error.
  auto end = JsMatches(*Re("c*$"), "ab");
  ASSERT_EQ(end.size(), 1u);
  EXPECT_EQ(end[0].start, 2u);
  EXPECT_TRUE(end[0].empty());
  EXPECT_THAT(Texts(*Re("c*$"), "abc"), ElementsAre("c"));
  EXPECT_TRUE(JsMatches(*Re("x*"), "").size() == 1);
}

// --- Exec ---------------------------------------------------------------------

TEST(JsonataRegexExec, FromOffset) {
  auto a = Re("a");
  EXPECT_EQ(a->Exec("aba", 1)->start, 2u);
  EXPECT_FALSE(a->Exec("aba", 3));
  EXPECT_FALSE(a->Exec("aba", 4));  // past the end
  // ^, \b and lookbehind still see the text before `from`.
  EXPECT_FALSE(Re("^a")->Exec("aa", 1));
  EXPECT_FALSE(Re(R"(\bb)")->Exec("ab", 1));
  EXPECT_EQ(Re("(?<=a)b")->Exec("ab", 1)->start, 1u);
  auto end = Re("$")->Exec("ab", 2);
  ASSERT_TRUE(end);
  EXPECT_EQ(end->start, 2u);
  EXPECT_TRUE(end->empty());
  EXPECT_TRUE(Re("x*")->Exec(std::string_view(), 0));  // an empty view
}

TEST(JsonataRegexExec, GroupsUnsetAndAccessors) {
  auto re = Re("(a)|(b)(c)?");
  EXPECT_EQ(re->group_count(), 3u);
  EXPECT_EQ(re->pattern(), "(a)|(b)(c)?");
  EXPECT_EQ(re->flags(), "");
  auto m = re->Exec("b", 0);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->groups, (Groups{std::nullopt, "b", std::nullopt}));
  EXPECT_EQ(Re("a", "mi")->flags(), "mi");
  EXPECT_EQ(Re("(?:x)(?=(y))")->group_count(), 1u);
  EXPECT_EQ(Re("x(?=(y))")->Exec("xy", 0)->groups, Groups{"y"});  // capture past the match
}

TEST(JsonataRegexExec, Utf8OffsetsAndCodePoints) {
  const std::string s = "12💩345💩6";
  auto m = Re("3(4)5")->Exec(s, 0);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->start, 6u);
  EXPECT_EQ(CodePointIndex(s, m->start), 3u);
  EXPECT_EQ(CodePointIndex(s, m->end), 6u);
  EXPECT_EQ(CodePointIndex(s, s.size()), 8u);
  EXPECT_EQ(CodePointIndex(s, 1000), 8u);  // clamped
  EXPECT_EQ(CodePointIndex(s, 0), 0u);
  EXPECT_EQ(CodePointIndex("héllo", 3), 2u);
  // `.` and classes take an astral character whole (JavaScript: two units).
  EXPECT_TRUE(Whole(".", "💩"));
  EXPECT_TRUE(Whole("[^a]", "💩"));
  EXPECT_TRUE(Whole("é+", "ééé"));
}

TEST(JsonataRegexExec, InvalidUtf8IsRefused) {
  auto re = Re("a.");
  for (std::string bad : {std::string("a\xff"), std::string("a\xe2\x82"), std::string("\xc0\xaf"),
                          std::string("a\xed\xa0\x80"), std::string("\xf4\x90\x80\x80"),
                          std::string("\x80"), std::string("ok\0\xfe", 4)}) {
    try {
      re->Exec(bad, 0);
      ADD_FAILURE() << "accepted invalid UTF-8";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), kRegexSubjectCode);
    }
  }
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));
  EXPECT_TRUE(IsValidUtf8(std::string("a\0b", 3)));
  EXPECT_TRUE(IsValidUtf8("💩é"));
  // Inside a character.
  try {
    re->Exec("💩a", 1);
    ADD_FAILURE() << "started inside a character";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), kRegexSubjectCode);
  }
  EXPECT_TRUE(Re("\\0")->Exec(std::string("a\0b", 3), 0));  // NUL is fine
  EXPECT_TRUE(re->Exec("xab", 0, /*subject_is_utf8=*/true));
}

TEST(JsonataRegexExec, CatastrophicBacktrackingStops) {
  auto re = Re("(a+)+$");
  const std::string subject = std::string(49, 'a') + "!";
  auto t0 = std::chrono::steady_clock::now();
  try {
    re->Exec(subject, 0);
    FAIL() << "expected the match limit";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), kRegexLimitCode);
    EXPECT_THAT(e.message(), HasSubstr("match limit"));
  }
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(1));
  EXPECT_TRUE(re->Exec(std::string(49, 'a'), 0));  // the regex itself is fine
}

TEST(JsonataRegexExec, HeapLimitStops) {
  // A frame per iteration of a backtracking group: 512k of them exceed 64 MiB.
  try {
    Re("^(?:a|b)*\\d")->Exec(std::string(512 * 1024, 'a'), 0);
    FAIL() << "expected the heap limit";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), kRegexLimitCode);
  }
  EXPECT_FALSE(Re("^(?:a|b)*\\d")->Exec(std::string(10000, 'a'), 0));
}

TEST(JsonataRegexExec, SharedAcrossThreads) {
  auto re = Re(R"((\w+)@(\w+)\.com)", "i");
  std::string text;
  for (int i = 0; i < 200; ++i) text += "user" + std::to_string(i) + "@Example.COM; ";
  std::vector<std::thread> threads;
  std::vector<size_t> counts(4);
  for (size_t t = 0; t < counts.size(); ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 20; ++round) counts[t] += JsMatches(*re, text).size();
    });
  }
  for (auto& th : threads) th.join();
  for (size_t c : counts) EXPECT_EQ(c, 200u * 20);
}

// --- JavaScript syntax and semantics ------------------------------------------

TEST(JsonataRegexSyntax, AnchorsAndMultiline) {
  EXPECT_FALSE(Contains(*Re("a$"), "a\n"));  // DOLLAR_ENDONLY
  EXPECT_TRUE(Contains(*Re("a$", "m"), "a\n"));
  EXPECT_FALSE(Contains(*Re("^b"), "a\nb"));
  EXPECT_EQ(Re("^b", "m")->Exec("a\nb", 0)->start, 2u);
  for (std::string_view nl : {"\r", "\n", "\u2028", "\u2029"}) {
    std::string s = "a" + std::string(nl) + "b";
    EXPECT_TRUE(Contains(*Re("a$", "m"), s)) << s;
    EXPECT_TRUE(Contains(*Re("^b", "m"), s)) << s;
    EXPECT_FALSE(Contains(*Re("a.b"), s)) << s;  // `.` stops at line terminators
  }
  EXPECT_FALSE(Contains(*Re("^b", "m"),
                        "a\x0b"
                        "b"));  // \v is no line terminator
  EXPECT_EQ(Re("^", "m")->Exec("\r\n", 1)->start, 1u);
  EXPECT_EQ(Re("^", "m")->Exec("\r\n", 2)->start, 2u);
  EXPECT_THROW(JsMatches(*Re("^", "m"), "\r\n"), Error);  // D1004
  auto m = Re("^$", "m")->Exec("\r\n", 1);                // \r\n is two terminators
  ASSERT_TRUE(m);
  EXPECT_EQ(m->start, 1u);
  EXPECT_TRUE(Whole("a.b",
                    "a\x0b"
                    "b"));
  EXPECT_TRUE(Whole("a.b", "a\u0085b"));
  EXPECT_TRUE(Whole("a[^]b", "a\nb"));
  EXPECT_FALSE(Contains(*Re("a[]"), "a"));
  EXPECT_FALSE(Contains(*Re("[]"), ""));
  EXPECT_TRUE(Whole("[^]*", "x\n\r\u2028y"));
}

TEST(JsonataRegexSyntax, EmptyClassesUnderQuantifiers) {
  EXPECT_TRUE(Whole("a[]?", "a"));  // PCRE2's own [] would fail here
  EXPECT_TRUE(Whole("a[]*b", "ab"));
  EXPECT_TRUE(Whole("a(?:[]|b)?", "a"));
  EXPECT_TRUE(Whole("a[^]?", "a"));
  EXPECT_TRUE(Whole("a[^]?", "ab"));
  EXPECT_TRUE(Whole(R"(a[\uD800]?)", "a"));  // only a surrogate: empty
  EXPECT_TRUE(Whole(R"([^\uD800])", "x"));
}

TEST(JsonataRegexSyntax, Escapes) {
  EXPECT_TRUE(Whole(R"(\u0041\x42)", "AB"));
  EXPECT_TRUE(Whole(R"([\u0041-\u0043]+)", "ABC"));
  EXPECT_TRUE(Whole(R"(\u{2})", "uu"));  // no \u{...} without the u flag
  EXPECT_TRUE(Whole(R"(\u12)", "u12"));
  EXPECT_TRUE(Whole(R"(\xg)", "xg"));
  EXPECT_TRUE(Whole(R"(\uD83D\uDE00)", "😀"));
  EXPECT_TRUE(Whole(R"([\uD83D\uDE00])", "😀"));
  EXPECT_FALSE(Contains(*Re(R"(\uD83D)"), "😀"));  // a lone surrogate matches nothing
  EXPECT_FALSE(Contains(*Re(R"([\uD800-\uDFFF])"), "😀\uFFFD"));
  EXPECT_TRUE(Whole(R"([\u0000-\uFFFF]+)", "a\uD7FF\uE000\uFFFF"));
  EXPECT_TRUE(Whole(R"(\t\n\v\f\r)", "\t\n\x0b\f\r"));
  EXPECT_FALSE(Contains(*Re(R"(\v)"), "\n"));  // PCRE2's \v would be any vertical space
  EXPECT_TRUE(Whole(R"(\cJ\cj)", "\n\n"));
  EXPECT_TRUE(Whole(R"(\c1)", "\\c1"));    // not a control letter: backslash, c
  EXPECT_TRUE(Whole(R"([\c1])", "\x11"));  // in a class digits count
  EXPECT_TRUE(Whole(R"([\b])", "\b"));
  EXPECT_TRUE(Whole(R"(\0)", std::string(1, '\0')));
  EXPECT_TRUE(Whole(R"(\101)", "A"));  // legacy octal
  EXPECT_TRUE(Whole(R"(\8\9)", "89"));
  // Identity escapes: PCRE2's own escapes mean the plain letter.
  EXPECT_TRUE(Whole(R"(\a\e\z\A\Q\E\G\K\h\H\R\N\X\C\g\o\i)", "aezAQEGKhHRNXCgoi"));
  EXPECT_TRUE(Whole(R"(\p{L})", "p{L}"));
  EXPECT_TRUE(Whole(R"(\k)", "k"));  // no named groups
  EXPECT_TRUE(Whole(R"(\/\.\*\\)", "/.*\\"));
  EXPECT_TRUE(Whole(R"(\é)", "é"));
}

TEST(JsonataRegexSyntax, ClassesAndWhiteSpace) {
  for (std::string_view sp : {" ", "\t", "\x0b", "\u00a0", "\u1680", "\u2000", "\u200a", "\u2028",
                              "\u202f", "\u205f", "\u3000", "\ufeff"}) {
    EXPECT_TRUE(Whole(R"(\s)", sp)) << sp;
    EXPECT_TRUE(Whole(R"([\s])", sp)) << sp;
    EXPECT_FALSE(Contains(*Re(R"(\S)"), sp)) << sp;
    EXPECT_FALSE(Contains(*Re(R"([^\s])"), sp)) << sp;
    EXPECT_FALSE(Contains(*Re(R"([\S])"), sp)) << sp;
    EXPECT_TRUE(Whole(R"([^\S])", sp)) << sp;
  }
  for (std::string_view ns : {"a", "\u0085", "\u180e", "\u200b", "💩", "\x1f"}) {
    EXPECT_FALSE(Contains(*Re(R"(\s)"), ns)) << ns;
    EXPECT_TRUE(Whole(R"(\S)", ns)) << ns;
    EXPECT_TRUE(Whole(R"([x\S])", ns)) << ns;
  }
  EXPECT_FALSE(Contains(*Re(R"(\w)"), "é"));  // ASCII \w, \d
  EXPECT_FALSE(Contains(*Re(R"(\d)"), "٣"));
  EXPECT_FALSE(Contains(*Re(R"(\bé)"), "é"));
  EXPECT_TRUE(Whole(R"([\d-z]+)", "1-z"));  // a class escape makes `-` literal
  EXPECT_FALSE(Contains(*Re(R"([\d-z])"), "b"));
  EXPECT_TRUE(Whole(R"([a-]+)", "a-"));
  EXPECT_TRUE(Whole(R"([-a]+)", "-a"));
  EXPECT_TRUE(Whole(R"([[:alpha:]]+)", "a]]"));  // no POSIX classes: [[:alph] then ]+
  EXPECT_TRUE(Whole(R"([\]\\]+)", "]\\"));
  EXPECT_TRUE(Whole(R"([^]a])", "\na]"));  // [^], a, ]
  EXPECT_FALSE(Whole(R"([^]a]+)", "xa"));
  EXPECT_TRUE(Whole(R"([\-])", "-"));
  EXPECT_TRUE(Whole("[é-ë]+", "éêë"));
}

TEST(JsonataRegexSyntax, BackReferences) {
  EXPECT_TRUE(Whole(R"((a)\1)", "aa"));
  EXPECT_TRUE(Whole(R"((a)?b\1)", "b"));   // unset group: empty
  EXPECT_TRUE(Whole(R"(\1(a))", "a"));     // forward reference: empty
  EXPECT_TRUE(Whole(R"((a)\10)", "a\b"));  // \10 with one group: octal
  EXPECT_TRUE(Whole(R"((a)\12)", "a\n"));
  EXPECT_TRUE(Whole(R"((a)(b)(c)(d)(e)(f)(g)(h)(i)(j)\10)", "abcdefghijj"));
  EXPECT_TRUE(Whole(R"((a)\1)", "aA", "i"));
  EXPECT_TRUE(Whole(R"((?<year>\d{4})-\k<year>)", "2024-2024"));
  EXPECT_EQ(Re(R"((?<y>\d+)-(\d+))")->Exec("12-34", 0)->groups, (Groups{"12", "34"}));
  EXPECT_EQ(ErrorCode(R"((?<y>a)\k)"), "S0303");  // \k must name a group then
  EXPECT_EQ(ErrorCode(R"((?<y>a)\k<z>)"), "S0303");
}

TEST(JsonataRegexSyntax, QuantifiersAndBraces) {
  EXPECT_TRUE(Whole("a{2}", "aa"));
  EXPECT_TRUE(Whole("a{2,}", "aaaa"));
  EXPECT_TRUE(Whole("a{1,2}b", "aab"));
  EXPECT_EQ(Texts(*Re("a{1,2}?"), "aaa"), (std::vector<std::string>{"a", "a", "a"}));
  EXPECT_TRUE(Whole("a{,2}", "a{,2}"));  // not a quantifier in JavaScript
  EXPECT_TRUE(Whole("a{", "a{"));
  EXPECT_TRUE(Whole("{a}", "{a}"));
  EXPECT_TRUE(Whole("a{1,x}", "a{1,x}"));
  EXPECT_TRUE(Whole("]}", "]}"));
  EXPECT_TRUE(Whole("(?=a)*a", "a"));  // Annex B: a quantified lookahead
  EXPECT_TRUE(Whole("(?:ab)+", "abab"));
  EXPECT_TRUE(Whole("a|", "a"));
  EXPECT_TRUE(Whole("#x y", "#x y"));
}

TEST(JsonataRegexSyntax, CaseInsensitive) {
  EXPECT_TRUE(Whole("ABC", "abc", "i"));
  EXPECT_TRUE(Whole("[a-z]+", "QxZ", "i"));
  EXPECT_TRUE(Whole("é", "É", "i"));
  EXPECT_FALSE(Contains(*Re("ABC"), "abc"));
  EXPECT_TRUE(Whole(R"(\u0041)", "a", "i"));
}

// The header's list of accepted differences from JavaScript, pinned so that
// a change of behaviour is noticed.
TEST(JsonataRegexSyntax, KnownDifferencesFromJavaScript) {
  EXPECT_EQ(Re("(?:(a)|b)+")->Exec("ab", 0)->groups, Groups{"a"});  // JS: undefined
  EXPECT_EQ(Re("(a*)*")->Exec("b", 0)->groups, Groups{""});         // JS: undefined
  EXPECT_EQ(Re("(a?"
               "?)?")
                ->Exec("a", 0)
                ->end,
            0u);                                   // (a??)? JS: 1
  EXPECT_TRUE(Contains(*Re("k", "i"), "\u212a"));  // JS: false
  EXPECT_TRUE(Whole("^.$", "💩"));                  // JS: false (two units)
  EXPECT_EQ(ErrorCode("(?<=a+)b"), "S0303");       // JS: fine
}

TEST(JsonataRegexSyntax, Errors) {
  for (std::string_view bad :
       {"(",        "a)",      "(?i)a",     "(?>a)", "(?|a)",    "(?#x)",
        "(?P<n>a)", "(*UCP)a", "(?R)",      "*a",    "a**",      "a*+",
        "a?+",      "a{2}+",   "a*??",      "+",     "|*",       "^*",
        "$+",       "\\b*",    "(?<=a)*",   "{1}",   "a{2,1}",   "[z-a]",
        "[a",       "[",       "a\\",       "[\\",   "(?<=a+)b", "(?<n>a)(?<n>b)",
        "(?<>a)",   "(?<n",    "a{1,70000}"}) {
    EXPECT_EQ(ErrorCode(bad), "S0303") << bad;
  }
  for (std::string_view flags : {"g", "ii", "mm", "s", "u", "y", "I"}) {
    EXPECT_EQ(ErrorCode("a", flags), "S0303") << flags;
  }
  EXPECT_EQ(ErrorCode("a", "im"), "none");
  EXPECT_EQ(ErrorCode("", ""), "none");  // the parser rejects // itself (S0301)
  try {
    Re("(a", "i");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), "S0303");
    EXPECT_EQ(e.message(), "Invalid regular expression: /(a/i: Unterminated group");
    EXPECT_EQ(e.position(), -1);
  }
  try {
    Re("(?<=a+)b");
    FAIL();
  } catch (const Error& e) {
    EXPECT_THAT(e.message(), HasSubstr("lookbehind"));
  }
  try {
    Re(std::string(200, 'x') + "(");
    FAIL();
  } catch (const Error& e) {
    EXPECT_LT(e.message().size(), 150u);  // the pattern is shortened
  }
  EXPECT_EQ(ErrorCode("a\xff"), "S0303");
}

// --- ExpandReplacement ---------------------------------------------------------

Regex::Match MatchOf(size_t start, size_t end, Groups groups) {
  Regex::Match m;
  m.start = start, m.end = end, m.groups = std::move(groups);
  return m;
}

TEST(JsonataRegexReplacement, Dollars) {
  const std::string s = "xx265USDyy";
  auto m = MatchOf(2, 8, {"265"});
  EXPECT_EQ(ExpandReplacement("$0|$1|$$|$", s, m), "265USD|265|$|$");
  EXPECT_EQ(ExpandReplacement("", s, m), "");
  EXPECT_EQ(ExpandReplacement("plain", s, m), "plain");
  EXPECT_EQ(ExpandReplacement("$x$", s, m), "$x$");
  EXPECT_EQ(ExpandReplacement("$$1", s, m), "$1");
  EXPECT_EQ(ExpandReplacement("$2", s, m), "");       // no such group
  EXPECT_EQ(ExpandReplacement("$12", s, m), "2652");  // one digit with 1..9 groups
  EXPECT_EQ(ExpandReplacement("$01", s, m), "265USD1");
  EXPECT_EQ(ExpandReplacement("$1", s, MatchOf(0, 0, {std::nullopt})), "");  // unset
  EXPECT_EQ(ExpandReplacement("$1$2", s, MatchOf(2, 8, {})), "");            // no groups: one digit
  EXPECT_EQ(ExpandReplacement("é$1ü", s, m), "é265ü");
}

TEST(JsonataRegexReplacement, ParseIntQuirks) {
  Groups ten;
  for (char c = 'a'; c < 'a' + 10; ++c) ten.emplace_back(std::string(1, c));
  auto m = MatchOf(0, 0, ten);
  EXPECT_EQ(ExpandReplacement("$10$11$9", "", m), "ja1i");
  EXPECT_EQ(ExpandReplacement("$ 1", "", m), "a1");  // parseInt(" 1"): 1, one character stepped
  EXPECT_EQ(ExpandReplacement("$+1", "", m), "a1");
  EXPECT_EQ(ExpandReplacement("$-1", "", m), "");  // group -1: nothing, two characters
  EXPECT_EQ(ExpandReplacement("$ x", "", m), "$ x");
  EXPECT_EQ(ExpandReplacement("$\u00a01", "", m), "a1");  // a two-byte space, stepped whole
  EXPECT_EQ(ExpandReplacement("$1", "", m), "a");
  // 1000 groups: four digits (Math.log(1000) * Math.LOG10E is exactly 3).
  Groups many(1000, std::string("g"));
  many[99] = "hundred";
  many[999] = "thousand";
  EXPECT_EQ(ExpandReplacement("$1000", "", MatchOf(0, 0, many)), "thousand");
  EXPECT_EQ(ExpandReplacement("$1001", "", MatchOf(0, 0, many)), "hundred1");
  EXPECT_EQ(ExpandReplacement("$9999", "", MatchOf(0, 0, Groups(999, "n"))), "n9");  // 3 digits
}

}  // namespace
}  // namespace stepd::asl::jsonata
