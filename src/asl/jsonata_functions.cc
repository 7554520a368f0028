#include "jsonata_functions.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "jsonata_format.h"

namespace stepd::asl::jsonata {
namespace {

using Args = std::vector<Value>;

const Value kUndefined;

const Value& Arg(const Args& args, size_t i) { return i < args.size() ? args[i] : kUndefined; }

Value Num(double n) { return Value::Number(n); }
Value Str(std::string s) { return Value::String(std::move(s)); }

// The items of an array argument; a non-array value counts as one item,
// undefined as none.
struct Items {
  const Value* first = nullptr;
  size_t n = 0;
  const Value* begin() const { return first; }
  const Value* end() const { return first + n; }
  size_t size() const { return n; }
  const Value& operator[](size_t i) const { return first[i]; }
};

Items ItemsOf(const Value& v) {
  if (v.is_array()) return {v.items().data(), v.items().size()};
  if (v.is_defined()) return {&v, 1};
  return {};
}

bool IsContinuation(char c) { return (static_cast<unsigned char>(c) & 0xc0) == 0x80; }

// Decodes the UTF-8 character at s[i] (well-formed: no overlong forms,
// surrogates or values past U+10FFFF); its length in `len`, 0 when
// ill-formed.
uint32_t DecodeUtf8(std::string_view s, size_t i, size_t& len) {
  auto b = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
  len = 0;
  unsigned char c = b(0);
  size_t n;
  uint32_t cp, min;
  if (c < 0x80) return len = 1, c;
  if (c >= 0xc2 && c <= 0xdf) {
    n = 2, cp = c & 0x1f, min = 0x80;
  } else if (c >= 0xe0 && c <= 0xef) {
    n = 3, cp = c & 0x0f, min = 0x800;
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4, cp = c & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((b(k) & 0xc0) != 0x80) return 0;
    cp = cp << 6 | (b(k) & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  len = n;
  return cp;
}

void AppendUtf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xc0 | cp >> 6);
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xe0 | cp >> 12);
    out += static_cast<char>(0x80 | (cp >> 6 & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | cp >> 18);
    out += static_cast<char>(0x80 | (cp >> 12 & 0x3f));
    out += static_cast<char>(0x80 | (cp >> 6 & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  }
}

// Byte offsets of the characters of `s`, plus s.size() at the end.
std::vector<size_t> CharOffsets(std::string_view s) {
  std::vector<size_t> out;
  out.reserve(s.size() + 1);
  for (size_t i = 0; i < s.size(); ++i) {
    if (!IsContinuation(s[i])) out.push_back(i);
  }
  out.push_back(s.size());
  return out;
}

// Counts characters up to increasing byte offsets of one string.
class CharCounter {
 public:
  explicit CharCounter(std::string_view s) : s_(s) {}
  size_t At(size_t byte) {
    for (; pos_ < byte && pos_ < s_.size(); ++pos_) chars_ += !IsContinuation(s_[pos_]);
    return chars_;
  }

 private:
  std::string_view s_;
  size_t pos_ = 0, chars_ = 0;
};

// JavaScript's ToIntegerOrInfinity, clamped to [0, len] as String.prototype
// .substring and Array.prototype.slice do after their own adjustments.
double ClampIndex(double x, double len) {
  if (std::isnan(x)) return 0;
  x = std::trunc(x);
  return std::clamp(x, 0.0, len);
}

[[noreturn]] void Throw(std::string code, std::string message) {
  throw Error(std::move(code), std::move(message));
}

const Value& RequireFunction(const Value& fn, std::string_view name, int index) {
  if (!fn.is_function()) {
    Throw("T0410", "Argument " + std::to_string(index) + " of function $" + std::string(name) +
                       " does not match function signature");
  }
  return fn;
}

// The arguments a higher-order function passes to `fn`: the value, then the
// index or key and the whole structure as far as fn's arity asks for them.
Args HofArgs(const Value& fn, const Value& value, const Value& key, const Value& whole) {
  size_t arity = fn.function().arity();
  Args a;
  a.reserve(3);
  a.push_back(value);
  if (arity >= 2) a.push_back(key);
  if (arity >= 3) a.push_back(whole);
  return a;
}

// JavaScript's truthiness (of a comparator's answer, $assert's condition).
bool JsTruthy(const Value& v) {
  switch (v.type()) {
    case Type::kUndefined:
    case Type::kNull:
      return false;
    case Type::kBool:
      return v.boolean();
    case Type::kNumber:
      return v.number() != 0 && !std::isnan(v.number());
    case Type::kString:
      return !v.string().empty();
    default:
      return true;
  }
}

// --- $string ---

// Number(x.toPrecision(15)) for a non-integer x, as $string renders numbers
// (jsonata-js 2.x leaves integers as they are).
double ToPrecision15(double x) {
  if (!std::isfinite(x) || std::trunc(x) == x) return x;
  char buf[40];
  auto r = std::to_chars(buf, buf + sizeof buf, x, std::chars_format::scientific);
  std::string_view shortest(buf, static_cast<size_t>(r.ptr - buf));
  size_t epos = shortest.find('e');
  size_t digits = 0;
  for (char c : shortest.substr(0, epos)) digits += c >= '0' && c <= '9';
  if (digits <= 15) return x;  // the 15-digit decimal nearest x is its shortest form
  char out[48];
  size_t n;
  if (digits == 16 && shortest[epos - 1] == '5') {
    // Possibly an exact tie, which toPrecision rounds away from zero (C's
    // rounding goes to even): x is then exactly its 16-digit shortest form.
    static thread_local char exact[800];
    auto e = std::to_chars(exact, exact + sizeof exact, x, std::chars_format::scientific, 770);
    std::string_view ex(exact, static_cast<size_t>(e.ptr - exact));
    size_t xe = ex.find('e');
    size_t start = ex[0] == '-' ? 1 : 0;
    // Digits are at start, start+2...: the 16th digit sits at start+16.
    bool tie =
        ex[start + 16] == '5' &&
        ex.substr(start + 17, xe - start - 17).find_first_not_of('0') == std::string_view::npos;
    if (tie) {
      std::string d;  // the first 15 digits, incremented
      d += ex[start];
      d.append(ex.substr(start + 2, 14));
      int exp = 0;
      std::from_chars(ex.data() + xe + 1 + (ex[xe + 1] == '+'), ex.data() + ex.size(), exp);
      int i = 14;
      while (i >= 0 && d[static_cast<size_t>(i)] == '9') d[static_cast<size_t>(i--)] = '0';
      if (i < 0) {
        d.insert(d.begin(), '1');
        d.pop_back();
        ++exp;
      } else {
        ++d[static_cast<size_t>(i)];
      }
      std::string s = (start ? "-" : "") + d + "e" + std::to_string(exp - 14);
      double v = 0;
      std::from_chars(s.data(), s.data() + s.size(), v);
      return v;
    }
  }
  auto p = std::to_chars(out, out + sizeof out, x, std::chars_format::scientific, 14);
  n = static_cast<size_t>(p.ptr - out);
  double v = x;
  std::from_chars(out, out + n, v);
  return v;
}

void AppendJsonString(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  size_t run = 0;  // start of the pending unescaped run
  for (size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    const char* esc = nullptr;
    char u[7];
    if (c == '"') {
      esc = "\\\"";
    } else if (c == '\\') {
      esc = "\\\\";
    } else if (c < 0x20) {
      switch (c) {
        case '\b':
          esc = "\\b";
          break;
        case '\f':
          esc = "\\f";
          break;
        case '\n':
          esc = "\\n";
          break;
        case '\r':
          esc = "\\r";
          break;
        case '\t':
          esc = "\\t";
          break;
        default:
          std::memcpy(u, "\\u00", 4);
          u[4] = kHex[c >> 4];
          u[5] = kHex[c & 15];
          u[6] = 0;
          esc = u;
      }
    } else if (c == 0xed && i + 2 < s.size() &&
               (static_cast<unsigned char>(s[i + 1]) & 0xe0) == 0xa0) {
      // A lone surrogate (as WTF-8): JSON.stringify writes \udxxx.
      uint32_t cp = 0xd000 | (static_cast<unsigned char>(s[i + 1]) & 0x3fu) << 6 |
                    (static_cast<unsigned char>(s[i + 2]) & 0x3fu);
      out.append(s.substr(run, i - run));
      out += "\\u";
      for (int shift = 12; shift >= 0; shift -= 4) out += kHex[cp >> shift & 15];
      i += 2;
      run = i + 1;
      continue;
    }
    if (esc) {
      out.append(s.substr(run, i - run));
      out += esc;
      run = i + 1;
    }
  }
  out.append(s.substr(run));
  out += '"';
}

void Indent(std::string& out, int depth) {
  out += '\n';
  out.append(static_cast<size_t>(depth) * 2, ' ');
}

// JSON.stringify(v, $string's replacer, pretty ? 2 : 0) for a defined value.
void Stringify(std::string& out, const Value& v, bool pretty, int depth) {
  switch (v.type()) {
    case Type::kUndefined:
    case Type::kNull:
      out += "null";
      return;
    case Type::kBool:
      out += v.boolean() ? "true" : "false";
      return;
    case Type::kNumber: {
      double n = v.number();
      if (std::isnan(n)) {
        out += "null";
      } else if (std::isinf(n)) {
        Throw("D1001", "Number out of range: " + NumberToString(n));
      } else {
        out += NumberToString(ToPrecision15(n));
      }
      return;
    }
    case Type::kString:
      AppendJsonString(out, v.string());
      return;
    case Type::kFunction:
      out += "\"\"";
      return;
    case Type::kArray: {
      const auto& items = v.items();
      if (items.empty()) {
        out += "[]";
        return;
      }
      CheckValueDepth(depth + 1);
      out += '[';
      for (size_t i = 0; i < items.size(); ++i) {
        if (i) out += ',';
        if (pretty) Indent(out, depth + 1);
        Stringify(out, items[i], pretty, depth + 1);
      }
      if (pretty) Indent(out, depth);
      out += ']';
      return;
    }
    case Type::kObject: {
      CheckValueDepth(depth + 1);
      bool any = false;
      out += '{';
      for (const auto& [k, item] : v.object().members()) {
        if (item.is_undefined()) continue;
        if (any) out += ',';
        any = true;
        if (pretty) Indent(out, depth + 1);
        AppendJsonString(out, k);
        out += pretty ? ": " : ":";
        Stringify(out, item, pretty, depth + 1);
      }
      if (any && pretty) Indent(out, depth);
      out += '}';
      return;
    }
  }
}

// A short rendering of a value for error messages (JSON text, cut).
std::string Excerpt(const Value& v) {
  std::string s;
  if (v.is_string()) {
    AppendJsonString(s, v.string());
  } else {
    try {
      s = StringOf(v);
    } catch (const Error&) {
      s = v.is_number() ? NumberToString(v.number()) : std::string(TypeName(v.type()));
    }
  }
  constexpr size_t kMax = 60;
  if (s.size() > kMax) {
    size_t cut = kMax;
    while (cut > 0 && IsContinuation(s[cut])) --cut;
    s = s.substr(0, cut) + "...";
  }
  return s;
}

// --- Case mapping (JavaScript's toUpperCase / toLowerCase: Unicode's full
// case mapping, with the final-sigma rule) ---

struct CaseRange {
  uint32_t first, last;
  int32_t delta;
  uint32_t stride;  // 1, or 2 for alternating upper/lower pairs
};
struct SpecialCase {
  uint32_t cp;
  const char* text;
};

// Generated from Unicode 14 (Python's str.upper / str.lower).
// clang-format off
constexpr CaseRange kUpperRanges[] = {
    {0xb5, 0xb5, 743, 1}, {0xe0, 0xf6, -32, 1}, {0xf8, 0xfe, -32, 1}, {0xff, 0xff, 121, 1},
    {0x101, 0x12f, -1, 2}, {0x131, 0x131, -232, 1}, {0x133, 0x137, -1, 2}, {0x13a, 0x148, -1, 2},
    {0x14b, 0x177, -1, 2}, {0x17a, 0x17e, -1, 2}, {0x17f, 0x17f, -300, 1}, {0x180, 0x180, 195, 1},
    {0x183, 0x185, -1, 2}, {0x188, 0x188, -1, 1}, {0x18c, 0x18c, -1, 1}, {0x192, 0x192, -1, 1},
    {0x195, 0x195, 97, 1}, {0x199, 0x199, -1, 1}, {0x19a, 0x19a, 163, 1}, {0x19e, 0x19e, 130, 1},
    {0x1a1, 0x1a5, -1, 2}, {0x1a8, 0x1a8, -1, 1}, {0x1ad, 0x1ad, -1, 1}, {0x1b0, 0x1b0, -1, 1},
    {0x1b4, 0x1b6, -1, 2}, {0x1b9, 0x1b9, -1, 1}, {0x1bd, 0x1bd, -1, 1}, {0x1bf, 0x1bf, 56, 1},
    {0x1c5, 0x1c5, -1, 1}, {0x1c6, 0x1c6, -2, 1}, {0x1c8, 0x1c8, -1, 1}, {0x1c9, 0x1c9, -2, 1},
    {0x1cb, 0x1cb, -1, 1}, {0x1cc, 0x1cc, -2, 1}, {0x1ce, 0x1dc, -1, 2}, {0x1dd, 0x1dd, -79, 1},
    {0x1df, 0x1ef, -1, 2}, {0x1f2, 0x1f2, -1, 1}, {0x1f3, 0x1f3, -2, 1}, {0x1f5, 0x1f5, -1, 1},
    {0x1f9, 0x21f, -1, 2}, {0x223, 0x233, -1, 2}, {0x23c, 0x23c, -1, 1}, {0x23f, 0x240, 10815, 1},
    {0x242, 0x242, -1, 1}, {0x247, 0x24f, -1, 2}, {0x250, 0x250, 10783, 1},
    {0x251, 0x251, 10780, 1}, {0x252, 0x252, 10782, 1}, {0x253, 0x253, -210, 1},
    {0x254, 0x254, -206, 1}, {0x256, 0x257, -205, 1}, {0x259, 0x259, -202, 1},
    {0x25b, 0x25b, -203, 1}, {0x25c, 0x25c, 42319, 1}, {0x260, 0x260, -205, 1},
    {0x261, 0x261, 42315, 1}, {0x263, 0x263, -207, 1}, {0x265, 0x265, 42280, 1},
    {0x266, 0x266, 42308, 1}, {0x268, 0x268, -209, 1}, {0x269, 0x269, -211, 1},
    {0x26a, 0x26a, 42308, 1}, {0x26b, 0x26b, 10743, 1}, {0x26c, 0x26c, 42305, 1},
    {0x26f, 0x26f, -211, 1}, {0x271, 0x271, 10749, 1}, {0x272, 0x272, -213, 1},
    {0x275, 0x275, -214, 1}, {0x27d, 0x27d, 10727, 1}, {0x280, 0x280, -218, 1},
    {0x282, 0x282, 42307, 1}, {0x283, 0x283, -218, 1}, {0x287, 0x287, 42282, 1},
    {0x288, 0x288, -218, 1}, {0x289, 0x289, -69, 1}, {0x28a, 0x28b, -217, 1},
    {0x28c, 0x28c, -71, 1}, {0x292, 0x292, -219, 1}, {0x29d, 0x29d, 42261, 1},
    {0x29e, 0x29e, 42258, 1}, {0x345, 0x345, 84, 1}, {0x371, 0x373, -1, 2}, {0x377, 0x377, -1, 1},
    {0x37b, 0x37d, 130, 1}, {0x3ac, 0x3ac, -38, 1}, {0x3ad, 0x3af, -37, 1},
    {0x3b1, 0x3c1, -32, 1}, {0x3c2, 0x3c2, -31, 1}, {0x3c3, 0x3cb, -32, 1},
    {0x3cc, 0x3cc, -64, 1}, {0x3cd, 0x3ce, -63, 1}, {0x3d0, 0x3d0, -62, 1},
    {0x3d1, 0x3d1, -57, 1}, {0x3d5, 0x3d5, -47, 1}, {0x3d6, 0x3d6, -54, 1}, {0x3d7, 0x3d7, -8, 1},
    {0x3d9, 0x3ef, -1, 2}, {0x3f0, 0x3f0, -86, 1}, {0x3f1, 0x3f1, -80, 1}, {0x3f2, 0x3f2, 7, 1},
    {0x3f3, 0x3f3, -116, 1}, {0x3f5, 0x3f5, -96, 1}, {0x3f8, 0x3f8, -1, 1}, {0x3fb, 0x3fb, -1, 1},
    {0x430, 0x44f, -32, 1}, {0x450, 0x45f, -80, 1}, {0x461, 0x481, -1, 2}, {0x48b, 0x4bf, -1, 2},
    {0x4c2, 0x4ce, -1, 2}, {0x4cf, 0x4cf, -15, 1}, {0x4d1, 0x52f, -1, 2}, {0x561, 0x586, -48, 1},
    {0x10d0, 0x10fa, 3008, 1}, {0x10fd, 0x10ff, 3008, 1}, {0x13f8, 0x13fd, -8, 1},
    {0x1c80, 0x1c80, -6254, 1}, {0x1c81, 0x1c81, -6253, 1}, {0x1c82, 0x1c82, -6244, 1},
    {0x1c83, 0x1c84, -6242, 1}, {0x1c85, 0x1c85, -6243, 1}, {0x1c86, 0x1c86, -6236, 1},
    {0x1c87, 0x1c87, -6181, 1}, {0x1c88, 0x1c88, 35266, 1}, {0x1d79, 0x1d79, 35332, 1},
    {0x1d7d, 0x1d7d, 3814, 1}, {0x1d8e, 0x1d8e, 35384, 1}, {0x1e01, 0x1e95, -1, 2},
    {0x1e9b, 0x1e9b, -59, 1}, {0x1ea1, 0x1eff, -1, 2}, {0x1f00, 0x1f07, 8, 1},
    {0x1f10, 0x1f15, 8, 1}, {0x1f20, 0x1f27, 8, 1}, {0x1f30, 0x1f37, 8, 1},
    {0x1f40, 0x1f45, 8, 1}, {0x1f51, 0x1f57, 8, 2}, {0x1f60, 0x1f67, 8, 1},
    {0x1f70, 0x1f71, 74, 1}, {0x1f72, 0x1f75, 86, 1}, {0x1f76, 0x1f77, 100, 1},
    {0x1f78, 0x1f79, 128, 1}, {0x1f7a, 0x1f7b, 112, 1}, {0x1f7c, 0x1f7d, 126, 1},
    {0x1fb0, 0x1fb1, 8, 1}, {0x1fbe, 0x1fbe, -7205, 1}, {0x1fd0, 0x1fd1, 8, 1},
    {0x1fe0, 0x1fe1, 8, 1}, {0x1fe5, 0x1fe5, 7, 1}, {0x214e, 0x214e, -28, 1},
    {0x2170, 0x217f, -16, 1}, {0x2184, 0x2184, -1, 1}, {0x24d0, 0x24e9, -26, 1},
    {0x2c30, 0x2c5f, -48, 1}, {0x2c61, 0x2c61, -1, 1}, {0x2c65, 0x2c65, -10795, 1},
    {0x2c66, 0x2c66, -10792, 1}, {0x2c68, 0x2c6c, -1, 2}, {0x2c73, 0x2c73, -1, 1},
    {0x2c76, 0x2c76, -1, 1}, {0x2c81, 0x2ce3, -1, 2}, {0x2cec, 0x2cee, -1, 2},
    {0x2cf3, 0x2cf3, -1, 1}, {0x2d00, 0x2d25, -7264, 1}, {0x2d27, 0x2d27, -7264, 1},
    {0x2d2d, 0x2d2d, -7264, 1}, {0xa641, 0xa66d, -1, 2}, {0xa681, 0xa69b, -1, 2},
    {0xa723, 0xa72f, -1, 2}, {0xa733, 0xa76f, -1, 2}, {0xa77a, 0xa77c, -1, 2},
    {0xa77f, 0xa787, -1, 2}, {0xa78c, 0xa78c, -1, 1}, {0xa791, 0xa793, -1, 2},
    {0xa794, 0xa794, 48, 1}, {0xa797, 0xa7a9, -1, 2}, {0xa7b5, 0xa7c3, -1, 2},
    {0xa7c8, 0xa7ca, -1, 2}, {0xa7d1, 0xa7d1, -1, 1}, {0xa7d7, 0xa7d9, -1, 2},
    {0xa7f6, 0xa7f6, -1, 1}, {0xab53, 0xab53, -928, 1}, {0xab70, 0xabbf, -38864, 1},
    {0xff41, 0xff5a, -32, 1}, {0x10428, 0x1044f, -40, 1}, {0x104d8, 0x104fb, -40, 1},
    {0x10597, 0x105a1, -39, 1}, {0x105a3, 0x105b1, -39, 1}, {0x105b3, 0x105b9, -39, 1},
    {0x105bb, 0x105bc, -39, 1}, {0x10cc0, 0x10cf2, -64, 1}, {0x118c0, 0x118df, -32, 1},
    {0x16e60, 0x16e7f, -32, 1}, {0x1e922, 0x1e943, -34, 1},
};
constexpr SpecialCase kUpperSpecial[] = {
    {0xdf, "SS"}, {0x149, "\xca\xbcN"}, {0x1f0, "J\xcc\x8c"}, {0x390, "\xce\x99\xcc\x88\xcc\x81"},
    {0x3b0, "\xce\xa5\xcc\x88\xcc\x81"}, {0x587, "\xd4\xb5\xd5\x92"}, {0x1e96, "H\xcc\xb1"},
    {0x1e97, "T\xcc\x88"}, {0x1e98, "W\xcc\x8a"}, {0x1e99, "Y\xcc\x8a"}, {0x1e9a, "A\xca\xbe"},
    {0x1f50, "\xce\xa5\xcc\x93"}, {0x1f52, "\xce\xa5\xcc\x93\xcc\x80"},
    {0x1f54, "\xce\xa5\xcc\x93\xcc\x81"}, {0x1f56, "\xce\xa5\xcc\x93\xcd\x82"},
    {0x1f80, "\xe1\xbc\x88\xce\x99"}, {0x1f81, "\xe1\xbc\x89\xce\x99"},
    {0x1f82, "\xe1\xbc\x8a\xce\x99"}, {0x1f83, "\xe1\xbc\x8b\xce\x99"},
    {0x1f84, "\xe1\xbc\x8c\xce\x99"}, {0x1f85, "\xe1\xbc\x8d\xce\x99"},
    {0x1f86, "\xe1\xbc\x8e\xce\x99"}, {0x1f87, "\xe1\xbc\x8f\xce\x99"},
    {0x1f88, "\xe1\xbc\x88\xce\x99"}, {0x1f89, "\xe1\xbc\x89\xce\x99"},
    {0x1f8a, "\xe1\xbc\x8a\xce\x99"}, {0x1f8b, "\xe1\xbc\x8b\xce\x99"},
    {0x1f8c, "\xe1\xbc\x8c\xce\x99"}, {0x1f8d, "\xe1\xbc\x8d\xce\x99"},
    {0x1f8e, "\xe1\xbc\x8e\xce\x99"}, {0x1f8f, "\xe1\xbc\x8f\xce\x99"},
    {0x1f90, "\xe1\xbc\xa8\xce\x99"}, {0x1f91, "\xe1\xbc\xa9\xce\x99"},
    {0x1f92, "\xe1\xbc\xaa\xce\x99"}, {0x1f93, "\xe1\xbc\xab\xce\x99"},
    {0x1f94, "\xe1\xbc\xac\xce\x99"}, {0x1f95, "\xe1\xbc\xad\xce\x99"},
    {0x1f96, "\xe1\xbc\xae\xce\x99"}, {0x1f97, "\xe1\xbc\xaf\xce\x99"},
    {0x1f98, "\xe1\xbc\xa8\xce\x99"}, {0x1f99, "\xe1\xbc\xa9\xce\x99"},
    {0x1f9a, "\xe1\xbc\xaa\xce\x99"}, {0x1f9b, "\xe1\xbc\xab\xce\x99"},
    {0x1f9c, "\xe1\xbc\xac\xce\x99"}, {0x1f9d, "\xe1\xbc\xad\xce\x99"},
    {0x1f9e, "\xe1\xbc\xae\xce\x99"}, {0x1f9f, "\xe1\xbc\xaf\xce\x99"},
    {0x1fa0, "\xe1\xbd\xa8\xce\x99"}, {0x1fa1, "\xe1\xbd\xa9\xce\x99"},
    {0x1fa2, "\xe1\xbd\xaa\xce\x99"}, {0x1fa3, "\xe1\xbd\xab\xce\x99"},
    {0x1fa4, "\xe1\xbd\xac\xce\x99"}, {0x1fa5, "\xe1\xbd\xad\xce\x99"},
    {0x1fa6, "\xe1\xbd\xae\xce\x99"}, {0x1fa7, "\xe1\xbd\xaf\xce\x99"},
    {0x1fa8, "\xe1\xbd\xa8\xce\x99"}, {0x1fa9, "\xe1\xbd\xa9\xce\x99"},
    {0x1faa, "\xe1\xbd\xaa\xce\x99"}, {0x1fab, "\xe1\xbd\xab\xce\x99"},
    {0x1fac, "\xe1\xbd\xac\xce\x99"}, {0x1fad, "\xe1\xbd\xad\xce\x99"},
    {0x1fae, "\xe1\xbd\xae\xce\x99"}, {0x1faf, "\xe1\xbd\xaf\xce\x99"},
    {0x1fb2, "\xe1\xbe\xba\xce\x99"}, {0x1fb3, "\xce\x91\xce\x99"}, {0x1fb4, "\xce\x86\xce\x99"},
    {0x1fb6, "\xce\x91\xcd\x82"}, {0x1fb7, "\xce\x91\xcd\x82\xce\x99"},
    {0x1fbc, "\xce\x91\xce\x99"}, {0x1fc2, "\xe1\xbf\x8a\xce\x99"}, {0x1fc3, "\xce\x97\xce\x99"},
    {0x1fc4, "\xce\x89\xce\x99"}, {0x1fc6, "\xce\x97\xcd\x82"},
    {0x1fc7, "\xce\x97\xcd\x82\xce\x99"}, {0x1fcc, "\xce\x97\xce\x99"},
    {0x1fd2, "\xce\x99\xcc\x88\xcc\x80"}, {0x1fd3, "\xce\x99\xcc\x88\xcc\x81"},
    {0x1fd6, "\xce\x99\xcd\x82"}, {0x1fd7, "\xce\x99\xcc\x88\xcd\x82"},
    {0x1fe2, "\xce\xa5\xcc\x88\xcc\x80"}, {0x1fe3, "\xce\xa5\xcc\x88\xcc\x81"},
    {0x1fe4, "\xce\xa1\xcc\x93"}, {0x1fe6, "\xce\xa5\xcd\x82"},
    {0x1fe7, "\xce\xa5\xcc\x88\xcd\x82"}, {0x1ff2, "\xe1\xbf\xba\xce\x99"},
    {0x1ff3, "\xce\xa9\xce\x99"}, {0x1ff4, "\xce\x8f\xce\x99"}, {0x1ff6, "\xce\xa9\xcd\x82"},
    {0x1ff7, "\xce\xa9\xcd\x82\xce\x99"}, {0x1ffc, "\xce\xa9\xce\x99"}, {0xfb00, "FF"},
    {0xfb01, "FI"}, {0xfb02, "FL"}, {0xfb03, "FFI"}, {0xfb04, "FFL"}, {0xfb05, "ST"},
    {0xfb06, "ST"}, {0xfb13, "\xd5\x84\xd5\x86"}, {0xfb14, "\xd5\x84\xd4\xb5"},
    {0xfb15, "\xd5\x84\xd4\xbb"}, {0xfb16, "\xd5\x8e\xd5\x86"}, {0xfb17, "\xd5\x84\xd4\xbd"},
};
constexpr CaseRange kLowerRanges[] = {
    {0xc0, 0xd6, 32, 1}, {0xd8, 0xde, 32, 1}, {0x100, 0x12e, 1, 2}, {0x132, 0x136, 1, 2},
    {0x139, 0x147, 1, 2}, {0x14a, 0x176, 1, 2}, {0x178, 0x178, -121, 1}, {0x179, 0x17d, 1, 2},
    {0x181, 0x181, 210, 1}, {0x182, 0x184, 1, 2}, {0x186, 0x186, 206, 1}, {0x187, 0x187, 1, 1},
    {0x189, 0x18a, 205, 1}, {0x18b, 0x18b, 1, 1}, {0x18e, 0x18e, 79, 1}, {0x18f, 0x18f, 202, 1},
    {0x190, 0x190, 203, 1}, {0x191, 0x191, 1, 1}, {0x193, 0x193, 205, 1}, {0x194, 0x194, 207, 1},
    {0x196, 0x196, 211, 1}, {0x197, 0x197, 209, 1}, {0x198, 0x198, 1, 1}, {0x19c, 0x19c, 211, 1},
    {0x19d, 0x19d, 213, 1}, {0x19f, 0x19f, 214, 1}, {0x1a0, 0x1a4, 1, 2}, {0x1a6, 0x1a6, 218, 1},
    {0x1a7, 0x1a7, 1, 1}, {0x1a9, 0x1a9, 218, 1}, {0x1ac, 0x1ac, 1, 1}, {0x1ae, 0x1ae, 218, 1},
    {0x1af, 0x1af, 1, 1}, {0x1b1, 0x1b2, 217, 1}, {0x1b3, 0x1b5, 1, 2}, {0x1b7, 0x1b7, 219, 1},
    {0x1b8, 0x1b8, 1, 1}, {0x1bc, 0x1bc, 1, 1}, {0x1c4, 0x1c4, 2, 1}, {0x1c5, 0x1c5, 1, 1},
    {0x1c7, 0x1c7, 2, 1}, {0x1c8, 0x1c8, 1, 1}, {0x1ca, 0x1ca, 2, 1}, {0x1cb, 0x1db, 1, 2},
    {0x1de, 0x1ee, 1, 2}, {0x1f1, 0x1f1, 2, 1}, {0x1f2, 0x1f4, 1, 2}, {0x1f6, 0x1f6, -97, 1},
    {0x1f7, 0x1f7, -56, 1}, {0x1f8, 0x21e, 1, 2}, {0x220, 0x220, -130, 1}, {0x222, 0x232, 1, 2},
    {0x23a, 0x23a, 10795, 1}, {0x23b, 0x23b, 1, 1}, {0x23d, 0x23d, -163, 1},
    {0x23e, 0x23e, 10792, 1}, {0x241, 0x241, 1, 1}, {0x243, 0x243, -195, 1},
    {0x244, 0x244, 69, 1}, {0x245, 0x245, 71, 1}, {0x246, 0x24e, 1, 2}, {0x370, 0x372, 1, 2},
    {0x376, 0x376, 1, 1}, {0x37f, 0x37f, 116, 1}, {0x386, 0x386, 38, 1}, {0x388, 0x38a, 37, 1},
    {0x38c, 0x38c, 64, 1}, {0x38e, 0x38f, 63, 1}, {0x391, 0x3a1, 32, 1}, {0x3a3, 0x3ab, 32, 1},
    {0x3cf, 0x3cf, 8, 1}, {0x3d8, 0x3ee, 1, 2}, {0x3f4, 0x3f4, -60, 1}, {0x3f7, 0x3f7, 1, 1},
    {0x3f9, 0x3f9, -7, 1}, {0x3fa, 0x3fa, 1, 1}, {0x3fd, 0x3ff, -130, 1}, {0x400, 0x40f, 80, 1},
    {0x410, 0x42f, 32, 1}, {0x460, 0x480, 1, 2}, {0x48a, 0x4be, 1, 2}, {0x4c0, 0x4c0, 15, 1},
    {0x4c1, 0x4cd, 1, 2}, {0x4d0, 0x52e, 1, 2}, {0x531, 0x556, 48, 1}, {0x10a0, 0x10c5, 7264, 1},
    {0x10c7, 0x10c7, 7264, 1}, {0x10cd, 0x10cd, 7264, 1}, {0x13a0, 0x13ef, 38864, 1},
    {0x13f0, 0x13f5, 8, 1}, {0x1c90, 0x1cba, -3008, 1}, {0x1cbd, 0x1cbf, -3008, 1},
    {0x1e00, 0x1e94, 1, 2}, {0x1e9e, 0x1e9e, -7615, 1}, {0x1ea0, 0x1efe, 1, 2},
    {0x1f08, 0x1f0f, -8, 1}, {0x1f18, 0x1f1d, -8, 1}, {0x1f28, 0x1f2f, -8, 1},
    {0x1f38, 0x1f3f, -8, 1}, {0x1f48, 0x1f4d, -8, 1}, {0x1f59, 0x1f5f, -8, 2},
    {0x1f68, 0x1f6f, -8, 1}, {0x1f88, 0x1f8f, -8, 1}, {0x1f98, 0x1f9f, -8, 1},
    {0x1fa8, 0x1faf, -8, 1}, {0x1fb8, 0x1fb9, -8, 1}, {0x1fba, 0x1fbb, -74, 1},
    {0x1fbc, 0x1fbc, -9, 1}, {0x1fc8, 0x1fcb, -86, 1}, {0x1fcc, 0x1fcc, -9, 1},
    {0x1fd8, 0x1fd9, -8, 1}, {0x1fda, 0x1fdb, -100, 1}, {0x1fe8, 0x1fe9, -8, 1},
    {0x1fea, 0x1feb, -112, 1}, {0x1fec, 0x1fec, -7, 1}, {0x1ff8, 0x1ff9, -128, 1},
    {0x1ffa, 0x1ffb, -126, 1}, {0x1ffc, 0x1ffc, -9, 1}, {0x2126, 0x2126, -7517, 1},
    {0x212a, 0x212a, -8383, 1}, {0x212b, 0x212b, -8262, 1}, {0x2132, 0x2132, 28, 1},
    {0x2160, 0x216f, 16, 1}, {0x2183, 0x2183, 1, 1}, {0x24b6, 0x24cf, 26, 1},
    {0x2c00, 0x2c2f, 48, 1}, {0x2c60, 0x2c60, 1, 1}, {0x2c62, 0x2c62, -10743, 1},
    {0x2c63, 0x2c63, -3814, 1}, {0x2c64, 0x2c64, -10727, 1}, {0x2c67, 0x2c6b, 1, 2},
    {0x2c6d, 0x2c6d, -10780, 1}, {0x2c6e, 0x2c6e, -10749, 1}, {0x2c6f, 0x2c6f, -10783, 1},
    {0x2c70, 0x2c70, -10782, 1}, {0x2c72, 0x2c72, 1, 1}, {0x2c75, 0x2c75, 1, 1},
    {0x2c7e, 0x2c7f, -10815, 1}, {0x2c80, 0x2ce2, 1, 2}, {0x2ceb, 0x2ced, 1, 2},
    {0x2cf2, 0x2cf2, 1, 1}, {0xa640, 0xa66c, 1, 2}, {0xa680, 0xa69a, 1, 2},
    {0xa722, 0xa72e, 1, 2}, {0xa732, 0xa76e, 1, 2}, {0xa779, 0xa77b, 1, 2},
    {0xa77d, 0xa77d, -35332, 1}, {0xa77e, 0xa786, 1, 2}, {0xa78b, 0xa78b, 1, 1},
    {0xa78d, 0xa78d, -42280, 1}, {0xa790, 0xa792, 1, 2}, {0xa796, 0xa7a8, 1, 2},
    {0xa7aa, 0xa7aa, -42308, 1}, {0xa7ab, 0xa7ab, -42319, 1}, {0xa7ac, 0xa7ac, -42315, 1},
    {0xa7ad, 0xa7ad, -42305, 1}, {0xa7ae, 0xa7ae, -42308, 1}, {0xa7b0, 0xa7b0, -42258, 1},
    {0xa7b1, 0xa7b1, -42282, 1}, {0xa7b2, 0xa7b2, -42261, 1}, {0xa7b3, 0xa7b3, 928, 1},
    {0xa7b4, 0xa7c2, 1, 2}, {0xa7c4, 0xa7c4, -48, 1}, {0xa7c5, 0xa7c5, -42307, 1},
    {0xa7c6, 0xa7c6, -35384, 1}, {0xa7c7, 0xa7c9, 1, 2}, {0xa7d0, 0xa7d0, 1, 1},
    {0xa7d6, 0xa7d8, 1, 2}, {0xa7f5, 0xa7f5, 1, 1}, {0xff21, 0xff3a, 32, 1},
    {0x10400, 0x10427, 40, 1}, {0x104b0, 0x104d3, 40, 1}, {0x10570, 0x1057a, 39, 1},
    {0x1057c, 0x1058a, 39, 1}, {0x1058c, 0x10592, 39, 1}, {0x10594, 0x10595, 39, 1},
    {0x10c80, 0x10cb2, 64, 1}, {0x118a0, 0x118bf, 32, 1}, {0x16e40, 0x16e5f, 32, 1},
    {0x1e900, 0x1e921, 34, 1},
};
// clang-format on

uint32_t MapRange(const CaseRange* begin, const CaseRange* end, uint32_t cp) {
  const CaseRange* r =
      std::upper_bound(begin, end, cp, [](uint32_t c, const CaseRange& x) { return c < x.first; });
  if (r == begin) return cp;
  --r;
  if (cp > r->last || (cp - r->first) % r->stride) return cp;
  return static_cast<uint32_t>(static_cast<int32_t>(cp) + r->delta);
}

uint32_t SimpleUpper(uint32_t cp) {
  if (cp < 0x80) return cp >= 'a' && cp <= 'z' ? cp - 32 : cp;
  return MapRange(std::begin(kUpperRanges), std::end(kUpperRanges), cp);
}
uint32_t SimpleLower(uint32_t cp) {
  if (cp < 0x80) return cp >= 'A' && cp <= 'Z' ? cp + 32 : cp;
  return MapRange(std::begin(kLowerRanges), std::end(kLowerRanges), cp);
}

bool IsCased(uint32_t cp) { return SimpleUpper(cp) != cp || SimpleLower(cp) != cp; }

bool IsCaseIgnorable(uint32_t cp) {
  switch (cp) {
    case 0x27:
    case 0x2e:
    case 0x3a:
    case 0x5e:
    case 0x60:
    case 0xa8:
    case 0xad:
    case 0xaf:
    case 0xb4:
    case 0xb7:
    case 0xb8:
    case 0x2018:
    case 0x2019:
    case 0x2024:
    case 0x2027:
      return true;
    default:
      return (cp >= 0x300 && cp <= 0x36f) || (cp >= 0x483 && cp <= 0x489) ||
             (cp >= 0x1ab0 && cp <= 0x1aff) || (cp >= 0x1dc0 && cp <= 0x1dff) ||
             (cp >= 0x20d0 && cp <= 0x20ff) || (cp >= 0xfe20 && cp <= 0xfe2f);
  }
}

// Σ at the end of a word lowercases to ς: preceded by a cased letter and not
// followed by one (case-ignorable characters in between are skipped).
bool IsFinalSigma(std::string_view s, size_t i, size_t len) {
  bool before = false;
  for (size_t j = i; j > 0;) {
    size_t k = j - 1;
    while (k > 0 && IsContinuation(s[k])) --k;
    size_t l;
    uint32_t cp = DecodeUtf8(s, k, l);
    if (!l) break;
    if (IsCaseIgnorable(cp)) {
      j = k;
      continue;
    }
    before = IsCased(cp);
    break;
  }
  if (!before) return false;
  for (size_t j = i + len; j < s.size();) {
    size_t l;
    uint32_t cp = DecodeUtf8(s, j, l);
    if (!l) break;
    if (IsCaseIgnorable(cp)) {
      j += l;
      continue;
    }
    return !IsCased(cp);
  }
  return true;
}

std::string MapCase(std::string_view s, bool upper) {
  std::string out(s);
  bool ascii = true;
  for (char& c : out) {
    if (static_cast<unsigned char>(c) >= 0x80) {
      ascii = false;
      break;
    }
    if (upper ? (c >= 'a' && c <= 'z') : (c >= 'A' && c <= 'Z')) c ^= 0x20;
  }
  if (ascii) return out;
  out.clear();
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    size_t len;
    uint32_t cp = DecodeUtf8(s, i, len);
    if (!len) {  // not UTF-8: keep the byte
      out += s[i++];
      continue;
    }
    if (upper) {
      const SpecialCase* sp =
          std::lower_bound(std::begin(kUpperSpecial), std::end(kUpperSpecial), cp,
                           [](const SpecialCase& x, uint32_t c) { return x.cp < c; });
      if (sp != std::end(kUpperSpecial) && sp->cp == cp) {
        out += sp->text;
      } else {
        AppendUtf8(out, SimpleUpper(cp));
      }
    } else if (cp == 0x130) {
      out += "i\xcc\x87";
    } else if (cp == 0x3a3 && IsFinalSigma(s, i, len)) {
      out += "\xcf\x82";
    } else {
      AppendUtf8(out, SimpleLower(cp));
    }
    i += len;
  }
  return out;
}

// --- Regular expressions and custom matchers ---

[[noreturn]] void ThrowZeroLength() {
  Throw("D1004", "Regular expression matches zero length string");
}

// The regex of a RegexFunction argument (not a continuation), else null.
const RegexFunction* AsRegex(const Value& v) {
  if (!v.is_function() || v.function().kind() != Function::Kind::kRegex) return nullptr;
  auto* rf = static_cast<const RegexFunction*>(&v.function());
  return rf->is_continuation() ? nullptr : rf;
}

// The matches of `re` in `s` as jsonata-js reads them from its regex
// closure: the first match, then while the previous one ended before the
// end of `s` the next one from there (D1004 when that is empty); `f` is
// called for each while fewer than `limit` were seen. The next match is
// looked for before the limit is checked, as jsonata-js does.
template <class F>
void ForEachMatch(const Regex& re, std::string_view s, double limit, F&& f) {
  std::optional<Regex::Match> m = re.Exec(s, 0);
  double count = 0;
  while (m && count < limit) {
    f(*m);
    std::optional<Regex::Match> next;
    if (m->end < s.size()) {
      next = re.Exec(s, m->end, true);
      if (next && next->empty()) ThrowZeroLength();
    }
    m = std::move(next);
    ++count;
  }
}

// Applies a custom matcher (a function value that is not a regex literal)
// and checks its answer is a match object (or undefined).
Value CallMatcher(CallContext& ctx, const Value& fn, Args args, std::string_view name) {
  if (!fn.is_function()) return Value();
  Value r = ctx.Apply(fn, std::move(args));
  if (r.is_undefined()) return r;
  if (!r.is_object() ||
      !(r.Get("start").is_number() || r.Get("groups").is_array() || r.Get("next").is_function())) {
    Throw("T1010", "The matcher function argument passed to function $" + std::string(name) +
                       " does not return the correct object structure");
  }
  return r;
}

// String.prototype.substring over character offsets.
std::string_view JsSubstring(std::string_view s, const std::vector<size_t>& offsets, double a,
                             double b) {
  double len = static_cast<double>(offsets.size() - 1);
  a = ClampIndex(a, len);
  b = ClampIndex(b, len);
  if (a > b) std::swap(a, b);
  size_t x = offsets[static_cast<size_t>(a)], y = offsets[static_cast<size_t>(b)];
  return s.substr(x, y - x);
}

double NumberOr(const Value& v, double otherwise) { return v.is_number() ? v.number() : otherwise; }

double LimitOf(const Value& v) {
  return v.is_number() ? v.number() : std::numeric_limits<double>::infinity();
}

// --- Aggregation ---

Value FnSum(CallContext&, Args& args) {
  const Value& a = Arg(args, 0);
  if (a.is_undefined()) return Value();
  double total = 0;
  for (const Value& v : ItemsOf(a)) total += v.number();
  return Num(total);
}

Value FnCount(CallContext&, Args& args) {
  return Num(static_cast<double>(ItemsOf(Arg(args, 0)).size()));
}

Value MinMax(Args& args, bool max) {
  Items items = ItemsOf(Arg(args, 0));
  if (items.size() == 0) return Value();
  double m =
      max ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
  for (const Value& v : items) {
    double n = v.number();
    if (std::isnan(n)) return Num(n);
    if (max ? (n > m || (n == 0 && m == 0 && !std::signbit(n)))
            : (n < m || (n == 0 && m == 0 && std::signbit(n)))) {
      m = n;
    }
  }
  return Num(m);
}

Value FnMax(CallContext&, Args& args) { return MinMax(args, true); }
Value FnMin(CallContext&, Args& args) { return MinMax(args, false); }

Value FnAverage(CallContext&, Args& args) {
  Items items = ItemsOf(Arg(args, 0));
  if (items.size() == 0) return Value();
  double total = 0;
  for (const Value& v : items) total += v.number();
  return Num(total / static_cast<double>(items.size()));
}

// --- Strings ---

Value FnString(CallContext&, Args& args) {
  const Value& v = Arg(args, 0);
  if (v.is_undefined()) return Value();
  if (v.is_string()) return v;
  const Value& pretty = Arg(args, 1);
  return Str(StringOf(v, pretty.is_bool() && pretty.boolean()));
}

Value FnSubstring(CallContext&, Args& args) {
  const Value& str = Arg(args, 0);
  if (!str.is_string()) return Value();
  const std::string& s = str.string();
  double start = NumberOr(Arg(args, 1), 0);
  const Value& length = Arg(args, 2);
  double len = static_cast<double>(CodePointCount(s));
  if (len + start < 0) start = 0;
  double end = len;
  if (length.is_defined()) {
    double l = length.number();
    if (!(l > 0)) return Str("");
    end = start >= 0 ? start + l : len + start + l;
  }
  // Array.prototype.slice's reading of negative offsets.
  auto rel = [&](double x) {
    if (std::isnan(x)) return 0.0;
    x = std::trunc(x);
    return x < 0 ? std::max(len + x, 0.0) : std::min(x, len);
  };
  double a = rel(start), b = rel(end);
  if (a >= b) return Str("");
  return Str(std::string(
      CodePointSubstr(s, static_cast<size_t>(a), static_cast<size_t>(b) - static_cast<size_t>(a))));
}

Value FnSubstringBefore(CallContext&, Args& args) {
  const Value& str = Arg(args, 0);
  if (!str.is_string()) return Value();
  const Value& chars = Arg(args, 1);
  if (!chars.is_string()) return str;
  size_t pos = str.string().find(chars.string());
  if (pos == std::string::npos) return str;
  return Str(str.string().substr(0, pos));
}

Value FnSubstringAfter(CallContext&, Args& args) {
  const Value& str = Arg(args, 0);
  if (!str.is_string()) return Value();
  const Value& chars = Arg(args, 1);
  if (!chars.is_string()) return str;
  size_t pos = str.string().find(chars.string());
  if (pos == std::string::npos) return str;
  return Str(str.string().substr(pos + chars.string().size()));
}

Value FnLowercase(CallContext&, Args& args) {
  const Value& str = Arg(args, 0);
  if (!str.is_string()) return Value();
  return Str(MapCase(str.string(), false));
}

Value FnUppercase(CallContext&, Args& args) {
  const Value& str = Arg(args, 0);
  if (!str.is_string()) return Value();
  return Str(MapCase(str.string(), true));
}

Value FnLength(CallContext&, Args& args) {
  const Value& str = Arg(args, 0);
  if (!str.is_string()) return Value();
  return Num(static_cast<double>(CodePointCount(str.string())));
}

Value FnTrim(CallContext&, Args& args) {
  const Value& str = Arg(args, 0);
  if (!str.is_string()) return Value();
  const std::string& s = str.string();
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    char c = s[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) ++i;
      out += ' ';
    } else {
      out += c;
      ++i;
    }
  }
  if (!out.empty() && out.front() == ' ') out.erase(0, 1);
  if (!out.empty() && out.back() == ' ') out.pop_back();
  return Str(std::move(out));
}

Value FnPad(CallContext&, Args& args) {
  const Value& str = Arg(args, 0);
  if (!str.is_string()) return Value();
  double width = std::trunc(NumberOr(Arg(args, 1), 0));
  const Value& ch = Arg(args, 2);
  std::string_view pad =
      ch.is_string() && !ch.string().empty() ? std::string_view(ch.string()) : " ";
  double pad_length = std::fabs(width) - static_cast<double>(CodePointCount(str.string()));
  if (!(pad_length > 0)) return str;
  auto n = static_cast<size_t>(pad_length);
  std::vector<std::string_view> chars = CodePoints(pad);
  std::string padding;
  padding.reserve(n * (pad.size() / chars.size() + 1));
  for (size_t i = 0; i < n; ++i) padding.append(chars[i % chars.size()]);
  return Str(width > 0 ? str.string() + padding : padding + str.string());
}

Value FnContains(CallContext& ctx, Args& args) {
  const Value& str = Arg(args, 0);
  const Value& token = Arg(args, 1);
  if (!str.is_string() || token.is_undefined()) return Value();
  if (token.is_string()) return Value::Bool(str.string().find(token.string()) != std::string::npos);
  if (const RegexFunction* rf = AsRegex(token)) {
    return Value::Bool(rf->regex().Exec(str.string(), 0).has_value());
  }
  return Value::Bool(CallMatcher(ctx, token, {str}, "contains").is_defined());
}

Value FnMatch(CallContext& ctx, Args& args) {
  const Value& str = Arg(args, 0);
  if (!str.is_string()) return Value();
  const Value& limit_arg = Arg(args, 2);
  if (limit_arg.is_number() && limit_arg.number() < 0) {
    Throw("D3040", "Third argument of match function must evaluate to a positive number");
  }
  double limit = LimitOf(limit_arg);
  Value result = Value::MakeSequence();
  if (!(limit > 0)) return result;
  const std::string& s = str.string();
  if (const RegexFunction* rf = AsRegex(Arg(args, 1))) {
    CharCounter chars(s);
    ForEachMatch(rf->regex(), s, limit, [&](const Regex::Match& m) {
      Value o = Value::MakeObject();
      ObjectData& d = o.mutable_object();
      d.Set("match", Str(s.substr(m.start, m.end - m.start)));
      d.Set("index", Num(static_cast<double>(chars.At(m.start))));
      Value groups = Value::MakeArray();
      groups.mutable_array().items.reserve(m.groups.size());
      for (const auto& g : m.groups) groups.Push(g ? Str(*g) : Value());
      d.Set("groups", std::move(groups));
      result.Push(std::move(o));
    });
    return result;
  }
  Value m = CallMatcher(ctx, Arg(args, 1), {str}, "match");
  double count = 0;
  while (m.is_defined() && count < limit) {
    Value o = Value::MakeObject();
    ObjectData& d = o.mutable_object();
    for (auto [from, to] :
         {std::pair{"match", "match"}, {"start", "index"}, {"groups", "groups"}}) {
      Value field = m.Get(from);
      if (field.is_defined()) d.Set(to, std::move(field));
    }
    result.Push(std::move(o));
    m = CallMatcher(ctx, m.Get("next"), {}, "match");
    ++count;
  }
  return result;
}

Value FnReplace(CallContext& ctx, Args& args) {
  const Value& str = Arg(args, 0);
  if (!str.is_string()) return Value();
  const Value& pattern = Arg(args, 1);
  const Value& replacement = Arg(args, 2);
  if (pattern.is_string() && pattern.string().empty()) {
    Throw("D3010", "Second argument of replace function cannot be an empty string");
  }
  const Value& limit_arg = Arg(args, 3);
  if (limit_arg.is_number() && limit_arg.number() < 0) {
    Throw("D3011", "Fourth argument of replace function must evaluate to a positive number");
  }
  double limit = LimitOf(limit_arg);
  if (!(limit > 0)) return str;
  const std::string& s = str.string();
  auto check = [](Value v) -> std::string {
    if (!v.is_string()) {
      Throw("D3012", "Attempted to replace a matched string with a non-string value");
    }
    return v.string();
  };
  std::string result;
  result.reserve(s.size());
  if (pattern.is_string()) {
    const std::string& p = pattern.string();
    size_t position = 0;
    double count = 0;
    for (size_t index = s.find(p); index != std::string::npos && count < limit;
         index = s.find(p, position)) {
      result.append(s, position, index - position);
      if (replacement.is_string()) {
        result += replacement.string();
      } else {
        // jsonata-js concatenates the function itself; a replacer function
        // gets a match object instead.
        Value o = Value::MakeObject();
        o.mutable_object().Set("match", pattern);
        o.mutable_object().Set("groups", Value::MakeArray());
        result += check(ctx.Apply(replacement, {std::move(o)}));
      }
      position = index + p.size();
      ++count;
    }
    result.append(s, position);
    return Str(std::move(result));
  }
  if (const RegexFunction* rf = AsRegex(pattern)) {
    size_t position = 0;
    bool any = false;
    CharCounter chars(s);
    std::shared_ptr<const std::string> subject = str.shared_string();
    ForEachMatch(rf->regex(), s, limit, [&](const Regex::Match& m) {
      any = true;
      result.append(s, position, m.start - position);
      if (replacement.is_string()) {
        result += ExpandReplacement(replacement.string(), s, m);
      } else {
        size_t start = chars.At(m.start);
        Value o =
            RegexFunction::MatchObject(rf->shared_regex(), subject, m, start, chars.At(m.end));
        result += check(ctx.Apply(replacement, {std::move(o)}));
      }
      position = m.end;
    });
    if (!any) return str;
    result.append(s, position);
    return Str(std::move(result));
  }
  // A custom matcher: offsets are characters.
  Value m = CallMatcher(ctx, pattern, {str}, "replace");
  if (m.is_undefined()) return str;
  std::vector<size_t> offsets = CharOffsets(s);
  double position = 0, count = 0;
  while (m.is_defined() && count < limit) {
    double start = NumberOr(m.Get("start"), std::nan(""));
    result.append(JsSubstring(s, offsets, position, start));
    Value match = m.Get("match");
    if (replacement.is_string()) {
      Regex::Match rm;
      std::string text = match.is_string() ? match.string() : std::string();
      rm.end = text.size();
      for (const Value& g : ItemsOf(m.Get("groups"))) {
        if (g.is_undefined()) {
          rm.groups.emplace_back();
        } else {
          rm.groups.emplace_back(g.is_string() ? g.string() : StringOf(g));
        }
      }
      result += ExpandReplacement(replacement.string(), text, rm);
    } else {
      result += check(ctx.Apply(replacement, {m}));
    }
    position =
        start + (match.is_string() ? static_cast<double>(CodePointCount(match.string())) : 0);
    ++count;
    m = CallMatcher(ctx, m.Get("next"), {}, "replace");
  }
  result.append(JsSubstring(s, offsets, position, std::numeric_limits<double>::infinity()));
  return Str(std::move(result));
}

Value FnSplit(CallContext& ctx, Args& args) {
  const Value& str = Arg(args, 0);
  if (!str.is_string()) return Value();
  const Value& limit_arg = Arg(args, 2);
  if (limit_arg.is_number() && limit_arg.number() < 0) {
    Throw("D3020", "Third argument of split function must evaluate to a positive number");
  }
  double limit = LimitOf(limit_arg);
  Value result = Value::MakeArray();
  if (!(limit > 0)) return result;
  const std::string& s = str.string();
  const Value& sep = Arg(args, 1);
  if (sep.is_string()) {
    // String.prototype.split(sep, ToUint32(limit)).
    double lim = limit_arg.is_number() ? std::fmod(std::trunc(limit), 4294967296.0) : 4294967295.0;
    auto count = static_cast<size_t>(lim);
    if (count == 0) return result;
    const std::string& p = sep.string();
    if (p.empty()) {
      for (std::string_view c : CodePoints(s)) {
        if (result.items().size() >= count) break;
        result.Push(Str(std::string(c)));
      }
      return result;
    }
    size_t position = 0;
    for (size_t index = s.find(p); index != std::string::npos; index = s.find(p, position)) {
      result.Push(Str(s.substr(position, index - position)));
      if (result.items().size() >= count) return result;
      position = index + p.size();
    }
    result.Push(Str(s.substr(position)));
    return result;
  }
  if (const RegexFunction* rf = AsRegex(sep)) {
    size_t start = 0;
    double count = 0;
    bool any = false;
    ForEachMatch(rf->regex(), s, limit, [&](const Regex::Match& m) {
      any = true;
      result.Push(Str(s.substr(start, m.start - start)));
      start = m.end;
      ++count;
    });
    if (!any) {
      result.Push(str);
    } else if (count < limit) {
      result.Push(Str(s.substr(start)));
    }
    return result;
  }
  Value m = CallMatcher(ctx, sep, {str}, "split");
  if (m.is_undefined()) {
    result.Push(str);
    return result;
  }
  std::vector<size_t> offsets = CharOffsets(s);
  double start = 0, count = 0;
  while (m.is_defined() && count < limit) {
    result.Push(
        Str(std::string(JsSubstring(s, offsets, start, NumberOr(m.Get("start"), std::nan(""))))));
    start = NumberOr(m.Get("end"), std::nan(""));
    m = CallMatcher(ctx, m.Get("next"), {}, "split");
    ++count;
  }
  if (count < limit) {
    result.Push(
        Str(std::string(JsSubstring(s, offsets, start, std::numeric_limits<double>::infinity()))));
  }
  return result;
}

Value FnJoin(CallContext&, Args& args) {
  const Value& strs = Arg(args, 0);
  if (strs.is_undefined()) return Value();
  const Value& sep = Arg(args, 1);
  std::string_view separator = sep.is_string() ? std::string_view(sep.string()) : "";
  std::string out;
  bool first = true;
  for (const Value& v : ItemsOf(strs)) {
    if (!first) out += separator;
    first = false;
    if (v.is_string()) {
      out += v.string();
    } else if (v.is_defined() && !v.is_null()) {
      out += StringOf(v);
    }
  }
  return Str(std::move(out));
}

// --- Numbers ---

Value FnFormatNumber(CallContext&, Args& args) {
  const Value& value = Arg(args, 0);
  if (value.is_undefined()) return Value();
  const Value& picture = Arg(args, 1);
  DecimalFormat format;
  const Value& options = Arg(args, 2);
  if (options.is_object()) {
    for (const auto& [k, v] : options.object().members()) {
      if (v.is_defined())
        SetDecimalFormatProperty(format, k, v.is_string() ? v.string() : StringOf(v));
    }
  }
  return Str(FormatNumber(value.number(), picture.is_string() ? picture.string() : "", format));
}

Value FnFormatBase(CallContext&, Args& args) {
  const Value& value = Arg(args, 0);
  if (value.is_undefined()) return Value();
  const Value& radix = Arg(args, 1);
  return Str(FormatBase(value.number(), radix.is_number() ? radix.number() : 10));
}

Value FnFormatInteger(CallContext&, Args& args) {
  const Value& value = Arg(args, 0);
  if (value.is_undefined()) return Value();
  const Value& picture = Arg(args, 1);
  return Str(FormatInteger(value.number(), picture.is_string() ? picture.string() : ""));
}

Value FnParseInteger(CallContext&, Args& args) {
  const Value& value = Arg(args, 0);
  if (!value.is_string()) return Value();
  const Value& picture = Arg(args, 1);
  std::optional<double> n =
      ParseInteger(value.string(), picture.is_string() ? picture.string() : "");
  return n ? Num(*n) : Value();
}

bool IsJsWhiteSpace(uint32_t cp) {
  return cp == 9 || cp == 10 || cp == 11 || cp == 12 || cp == 13 || cp == 32 || cp == 0xa0 ||
         cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 || cp == 0x2029 ||
         cp == 0x202f || cp == 0x205f || cp == 0x3000 || cp == 0xfeff;
}

std::string_view TrimJs(std::string_view s) {
  while (!s.empty()) {
    size_t len;
    uint32_t cp = DecodeUtf8(s, 0, len);
    if (!len || !IsJsWhiteSpace(cp)) break;
    s.remove_prefix(len);
  }
  while (!s.empty()) {
    size_t k = s.size() - 1;
    while (k > 0 && IsContinuation(s[k])) --k;
    size_t len;
    uint32_t cp = DecodeUtf8(s, k, len);
    if (!len || !IsJsWhiteSpace(cp)) break;
    s.remove_suffix(s.size() - k);
  }
  return s;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// ^-?[0-9]+(\.[0-9]+)?([Ee][-+]?[0-9]+)?$
bool IsDecimal(std::string_view s) {
  size_t i = 0, n = s.size();
  if (i < n && s[i] == '-') ++i;
  size_t d = i;
  while (i < n && IsDigit(s[i])) ++i;
  if (i == d) return false;
  if (i < n && s[i] == '.') {
    d = ++i;
    while (i < n && IsDigit(s[i])) ++i;
    if (i == d) return false;
  }
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
    d = i;
    while (i < n && IsDigit(s[i])) ++i;
    if (i == d) return false;
  }
  return i == n;
}

int DigitValue(char c) {
  if (IsDigit(c)) return c - '0';
  if (c >= 'a' && c <= 'z') return c - 'a' + 10;
  if (c >= 'A' && c <= 'Z') return c - 'A' + 10;
  return 99;
}

// jsonata-js' test /^(0[xX][0-9A-Fa-f]+)|(0[oO][0-7]+)|(0[bB][0-1]+)$/ (its
// alternatives are anchored one at the start, one nowhere, one at the end).
bool LooksLikeRadixLiteral(std::string_view s) {
  auto run = [&](size_t i, int radix) {
    size_t j = i;
    while (j < s.size() && DigitValue(s[j]) < radix) ++j;
    return j - i;
  };
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && run(2, 16) > 0) return true;
  for (size_t i = 0; i + 2 < s.size(); ++i) {
    if (s[i] == '0' && (s[i + 1] == 'o' || s[i + 1] == 'O') && run(i + 2, 8) > 0) return true;
    if (s[i] == '0' && (s[i + 1] == 'b' || s[i + 1] == 'B') && run(i + 2, 2) == s.size() - i - 2) {
      return true;
    }
  }
  return false;
}

// JavaScript's Number(s) for a string that passed LooksLikeRadixLiteral:
// the value of a whole 0x / 0o / 0b literal (white space around it allowed),
// else NaN.
double RadixLiteralValue(std::string_view s) {
  s = TrimJs(s);
  if (s.size() < 3 || s[0] != '0') return std::nan("");
  int radix = s[1] == 'x' || s[1] == 'X'   ? 16
              : s[1] == 'o' || s[1] == 'O' ? 8
              : s[1] == 'b' || s[1] == 'B' ? 2
                                           : 0;
  if (!radix) return std::nan("");
  uint64_t v = 0;
  double big = 0;
  bool overflow = false;
  for (char c : s.substr(2)) {
    int d = DigitValue(c);
    if (d >= radix) return std::nan("");
    if (!overflow && v > (~uint64_t{0} >> 5)) {
      overflow = true;
      big = static_cast<double>(v);
    }
    if (overflow) {
      big = big * radix + d;
    } else {
      v = v * static_cast<uint64_t>(radix) + static_cast<uint64_t>(d);
    }
  }
  return overflow ? big : static_cast<double>(v);
}

// The decimal exponent of the leading significant digit of a string that
// IsDecimal accepts (not all zeros): about log10 of its magnitude.
int64_t DecimalMagnitude(std::string_view s) {
  size_t e = s.find_first_of("eE");
  std::string_view mantissa = s.substr(0, e);
  int64_t exp = 0;
  if (e != std::string_view::npos) {
    std::string_view x = s.substr(e + 1);
    bool negative = !x.empty() && x[0] == '-';
    if (!x.empty() && (x[0] == '-' || x[0] == '+')) x.remove_prefix(1);
    for (char c : x) exp = std::min<int64_t>(exp * 10 + (c - '0'), 1'000'000'000);
    if (negative) exp = -exp;
  }
  if (!mantissa.empty() && mantissa[0] == '-') mantissa.remove_prefix(1);
  size_t dot = mantissa.find('.');
  std::string_view whole = mantissa.substr(0, dot);
  size_t nz = whole.find_first_not_of('0');
  if (nz != std::string_view::npos) return exp + static_cast<int64_t>(whole.size() - nz - 1);
  std::string_view frac = dot == std::string_view::npos ? "" : mantissa.substr(dot + 1);
  nz = frac.find_first_not_of('0');
  return exp - static_cast<int64_t>(nz == std::string_view::npos ? 0 : nz + 1);
}

Value FnNumber(CallContext&, Args& args) {
  const Value& arg = Arg(args, 0);
  switch (arg.type()) {
    case Type::kUndefined:
      return Value();
    case Type::kNumber:
      return arg;
    case Type::kBool:
      return Num(arg.boolean() ? 1 : 0);
    case Type::kString: {
      const std::string& s = arg.string();
      if (IsDecimal(s)) {
        double v = 0;
        auto r = std::from_chars(s.data(), s.data() + s.size(), v);
        if (r.ec == std::errc()) return Num(v);
        // Out of range: an overflow is not finite (D3030 below), an underflow is 0.
        if (DecimalMagnitude(s) < 0) return Num(s[0] == '-' ? -0.0 : 0.0);
      } else if (LooksLikeRadixLiteral(s)) {
        return Num(RadixLiteralValue(s));  // NaN where JavaScript's Number() gives NaN
      }
      break;
    }
    default:
      break;
  }
  Throw("D3030", "Unable to cast value to a number: " + Excerpt(arg));
}

Value FnAbs(CallContext&, Args& args) {
  const Value& v = Arg(args, 0);
  return v.is_undefined() ? Value() : Num(std::fabs(v.number()));
}

Value FnFloor(CallContext&, Args& args) {
  const Value& v = Arg(args, 0);
  return v.is_undefined() ? Value() : Num(std::floor(v.number()));
}

Value FnCeil(CallContext&, Args& args) {
  const Value& v = Arg(args, 0);
  return v.is_undefined() ? Value() : Num(std::ceil(v.number()));
}

// +(x.toString() with `shift` added to its exponent), as jsonata-js shifts
// the decimal point (multiplying would add binary rounding errors).
double ShiftDecimal(double x, double shift) {
  if (!std::isfinite(x)) return std::nan("");  // "Infinitye2" is NaN
  std::string text = NumberToString(x);
  size_t e = text.find('e');
  double exp = shift;
  if (e != std::string::npos) {
    int e10 = 0;
    std::from_chars(text.data() + e + 1 + (text[e + 1] == '+'), text.data() + text.size(), e10);
    exp += e10;
    text.resize(e);
  }
  text += 'e';
  text += NumberToString(exp);
  double v = 0;
  auto r = std::from_chars(text.data(), text.data() + text.size(), v);
  if (r.ec == std::errc::result_out_of_range) {
    bool negative = text[0] == '-';
    if (DecimalMagnitude(text) > 0) return negative ? -HUGE_VAL : HUGE_VAL;
    return negative ? -0.0 : 0.0;
  }
  if (r.ec != std::errc() || r.ptr != text.data() + text.size()) return std::nan("");
  return v;
}

Value FnRound(CallContext&, Args& args) {
  const Value& v = Arg(args, 0);
  if (v.is_undefined()) return Value();
  double x = v.number();
  double precision = NumberOr(Arg(args, 1), 0);
  if (std::isnan(precision)) precision = 0;  // falsy: no shift
  // A fractional precision makes jsonata-js' shifted text ("1.5e0.5") NaN.
  if (std::trunc(precision) != precision) return Num(std::nan(""));
  if (precision != 0) x = ShiftDecimal(x, precision);
  // Math.round, then half to even.
  double r = std::floor(x);
  if (x - r >= 0.5) r += 1;
  if (std::fabs(r - x) == 0.5 && std::fabs(std::fmod(r, 2)) == 1) r -= 1;
  if (precision != 0) r = ShiftDecimal(r, -precision);
  if (r == 0) r = 0;  // no -0
  return Num(r);
}

Value FnSqrt(CallContext&, Args& args) {
  const Value& v = Arg(args, 0);
  if (v.is_undefined()) return Value();
  if (v.number() < 0) {
    Throw("D3060", "The sqrt function cannot be applied to a negative number: " + Excerpt(v));
  }
  return Num(std::sqrt(v.number()));
}

Value FnPower(CallContext&, Args& args) {
  const Value& base = Arg(args, 0);
  if (base.is_undefined()) return Value();
  double b = base.number(), e = NumberOr(Arg(args, 1), std::nan(""));
  double r = std::pow(b, e);
  if (std::fabs(b) == 1 && std::isinf(e)) r = std::nan("");  // Math.pow's answer
  if (!std::isfinite(r)) {
    Throw("D3061",
          "The power function has resulted in a value that cannot be represented as a JSON "
          "number: base=" +
              Excerpt(base) + ", exponent=" + Excerpt(Arg(args, 1)));
  }
  return Num(r);
}

Value FnRandom(CallContext& ctx, Args&) { return Num(ctx.Random()); }

// --- Booleans ---

Value FnBoolean(CallContext&, Args& args) {
  const Value& v = Arg(args, 0);
  return v.is_undefined() ? Value() : Value::Bool(Truthy(v));
}

Value FnNot(CallContext&, Args& args) {
  const Value& v = Arg(args, 0);
  return v.is_undefined() ? Value() : Value::Bool(!Truthy(v));
}

Value FnExists(CallContext&, Args& args) { return Value::Bool(Arg(args, 0).is_defined()); }

// --- Higher-order functions ---

Value FnMap(CallContext& ctx, Args& args) {
  const Value& arr = Arg(args, 0);
  if (arr.is_undefined()) return Value();
  const Value& fn = RequireFunction(Arg(args, 1), "map", 2);
  Items items = ItemsOf(arr);
  Value result = Value::MakeSequence();
  result.mutable_array().items.reserve(items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    Value r = ctx.Apply(fn, HofArgs(fn, items[i], Num(static_cast<double>(i)), arr));
    if (r.is_defined()) result.Push(std::move(r));
  }
  return result;
}

Value FnFilter(CallContext& ctx, Args& args) {
  const Value& arr = Arg(args, 0);
  if (arr.is_undefined()) return Value();
  const Value& fn = RequireFunction(Arg(args, 1), "filter", 2);
  Items items = ItemsOf(arr);
  Value result = Value::MakeSequence();
  for (size_t i = 0; i < items.size(); ++i) {
    if (Truthy(ctx.Apply(fn, HofArgs(fn, items[i], Num(static_cast<double>(i)), arr)))) {
      result.Push(items[i]);
    }
  }
  return result;
}

Value FnSingle(CallContext& ctx, Args& args) {
  const Value& arr = Arg(args, 0);
  if (arr.is_undefined()) return Value();
  const Value& fn = Arg(args, 1);
  Items items = ItemsOf(arr);
  const Value* found = nullptr;
  for (size_t i = 0; i < items.size(); ++i) {
    bool match = true;
    if (fn.is_function()) {
      match = Truthy(ctx.Apply(fn, HofArgs(fn, items[i], Num(static_cast<double>(i)), arr)));
    }
    if (!match) continue;
    if (found) {
      Throw("D3138",
            "The $single() function expected exactly 1 matching result.  Instead it matched more.");
    }
    found = &items[i];
  }
  if (!found) {
    Throw("D3139",
          "The $single() function expected exactly 1 matching result.  Instead it matched 0.");
  }
  return *found;
}

Value FnZip(CallContext&, Args& args) {
  Value result = Value::MakeArray();
  if (args.empty()) return result;
  size_t length = std::numeric_limits<size_t>::max();
  for (const Value& a : args) length = std::min(length, a.is_array() ? a.items().size() : 0);
  result.mutable_array().items.reserve(length);
  for (size_t i = 0; i < length; ++i) {
    Value tuple = Value::MakeArray();
    tuple.mutable_array().items.reserve(args.size());
    for (const Value& a : args) tuple.Push(a.items()[i]);
    result.Push(std::move(tuple));
  }
  return result;
}

Value FnReduce(CallContext& ctx, Args& args) {
  const Value& seq = Arg(args, 0);
  if (seq.is_undefined()) return Value();
  const Value& fn = RequireFunction(Arg(args, 1), "reduce", 2);
  size_t arity = fn.function().arity();
  if (arity < 2) {
    Throw("D3050",
          "The second argument of reduce function must be a function with at least two arguments");
  }
  Items items = ItemsOf(seq);
  const Value& init = Arg(args, 2);
  Value result;
  size_t i = 0;
  if (init.is_undefined() && items.size() > 0) {
    result = items[0];
    i = 1;
  } else {
    result = init;
  }
  for (; i < items.size(); ++i) {
    Args call{std::move(result), items[i]};
    if (arity >= 3) call.push_back(Num(static_cast<double>(i)));
    if (arity >= 4) call.push_back(seq);
    result = ctx.Apply(fn, std::move(call));
  }
  return result;
}

Value FnSift(CallContext& ctx, Args& args) {
  const Value& obj = Arg(args, 0);
  const Value& fn = RequireFunction(Arg(args, 1), "sift", 2);
  if (!obj.is_object()) return Value();
  Value result = Value::MakeObject();
  ObjectData& out = result.mutable_object();
  for (const auto& [k, v] : obj.object().members()) {
    if (Truthy(ctx.Apply(fn, HofArgs(fn, v, Str(k), obj)))) out.Set(k, v);
  }
  return out.empty() ? Value() : result;
}

Value FnEach(CallContext& ctx, Args& args) {
  const Value& obj = Arg(args, 0);
  const Value& fn = RequireFunction(Arg(args, 1), "each", 2);
  Value result = Value::MakeSequence();
  if (!obj.is_object()) return result;
  for (const auto& [k, v] : obj.object().members()) {
    Value r = ctx.Apply(fn, HofArgs(fn, v, Str(k), obj));
    if (r.is_defined()) result.Push(std::move(r));
  }
  return result;
}

// --- Objects and arrays ---

// `depth`: the level of `v` if it is an array.
void CollectKeys(const Value& v, std::vector<std::string_view>& keys,
                 std::unordered_set<std::string_view>& seen, int depth) {
  if (v.is_array()) {
    CheckValueDepth(depth);
    for (const Value& item : v.items()) CollectKeys(item, keys, seen, depth + 1);
  } else if (v.is_object()) {
    for (const auto& [k, _] : v.object().members()) {
      if (seen.insert(k).second) keys.push_back(k);
    }
  }
}

Value FnKeys(CallContext&, Args& args) {
  const Value& arg = Arg(args, 0);
  Value result = Value::MakeSequence();
  if (arg.is_object()) {
    result.mutable_array().items.reserve(arg.object().size());
    for (const auto& [k, _] : arg.object().members()) result.Push(Str(k));
  } else if (arg.is_array()) {
    std::vector<std::string_view> keys;
    std::unordered_set<std::string_view> seen;
    for (const Value& item : arg.items()) {
      // An item's own keys: those of an object, or (recursively) an array's.
      CollectKeys(item, keys, seen, 2);
    }
    for (std::string_view k : keys) result.Push(Str(std::string(k)));
  }
  return result;
}

// `depth`: the level of `input` if it is an array.
Value Lookup(const Value& input, std::string_view key, int depth = 1) {
  if (input.is_array()) {
    CheckValueDepth(depth);
    Value result = Value::MakeSequence();
    for (const Value& item : input.items()) {
      Value r = Lookup(item, key, depth + 1);
      if (r.is_array()) {
        for (const Value& x : r.items()) result.Push(x);
      } else if (r.is_defined()) {
        result.Push(std::move(r));
      }
    }
    return result;
  }
  return input.Get(key);
}

Value FnLookup(CallContext&, Args& args) {
  const Value& key = Arg(args, 1);
  return Lookup(Arg(args, 0), key.is_string() ? std::string_view(key.string()) : "undefined");
}

Value FnAppend(CallContext&, Args& args) { return Append(Arg(args, 0), Arg(args, 1)); }

// `depth`: the level of `arg` if it is an array.
Value Spread(const Value& arg, int depth = 1) {
  if (arg.is_array()) {
    CheckValueDepth(depth);
    Value result = Value::MakeSequence();
    for (const Value& item : arg.items()) result = Append(result, Spread(item, depth + 1));
    return result;
  }
  if (arg.is_object()) {
    Value result = Value::MakeSequence();
    for (const auto& [k, v] : arg.object().members()) {
      Value o = Value::MakeObject();
      o.mutable_object().Set(k, v);
      result.Push(std::move(o));
    }
    return result;
  }
  return arg;
}

Value FnSpread(CallContext&, Args& args) { return Spread(Arg(args, 0)); }

Value FnMerge(CallContext&, Args& args) {
  const Value& arg = Arg(args, 0);
  if (arg.is_undefined()) return Value();
  Value result = Value::MakeObject();
  ObjectData& out = result.mutable_object();
  for (const Value& obj : ItemsOf(arg)) {
    if (!obj.is_object()) continue;
    for (const auto& [k, v] : obj.object().members()) out.Set(k, v);
  }
  return result;
}

Value FnReverse(CallContext&, Args& args) {
  const Value& arr = Arg(args, 0);
  if (arr.is_undefined()) return Value();
  if (!arr.is_array() || arr.items().size() <= 1) return arr;
  Value result = Value::MakeArray();
  result.mutable_array().items.assign(arr.items().rbegin(), arr.items().rend());
  return result;
}

Value FnError(CallContext&, Args& args) {
  const Value& message = Arg(args, 0);
  bool given = message.is_string() && !message.string().empty();
  Throw("D3137", given ? message.string() : "$error() function evaluated");
}

Value FnAssert(CallContext&, Args& args) {
  if (!JsTruthy(Arg(args, 0))) {
    const Value& message = Arg(args, 1);
    bool given = message.is_string() && !message.string().empty();
    Throw("D3141", given ? message.string() : "$assert() statement failed");
  }
  return Value();
}

Value FnType(CallContext&, Args& args) {
  const Value& v = Arg(args, 0);
  if (v.is_undefined()) return Value();
  return Str(std::string(TypeName(v.type())));
}

// jsonata-js' merge sort: split at the middle, sort each half, merge taking
// the right item first when `after(left, right)`.
template <class After>
void MergeSort(std::vector<Value>& v, size_t lo, size_t hi, std::vector<Value>& tmp, After& after) {
  if (hi - lo <= 1) return;
  size_t mid = lo + (hi - lo) / 2;
  MergeSort(v, lo, mid, tmp, after);
  MergeSort(v, mid, hi, tmp, after);
  tmp.clear();
  size_t i = lo, j = mid;
  while (i < mid && j < hi) {
    if (after(v[i], v[j])) {
      tmp.push_back(std::move(v[j++]));
    } else {
      tmp.push_back(std::move(v[i++]));
    }
  }
  while (i < mid) tmp.push_back(std::move(v[i++]));
  while (j < hi) tmp.push_back(std::move(v[j++]));
  std::move(tmp.begin(), tmp.end(), v.begin() + static_cast<ptrdiff_t>(lo));
}

Value FnSort(CallContext& ctx, Args& args) {
  const Value& arr = Arg(args, 0);
  if (arr.is_undefined()) return Value();
  if (!arr.is_array() || arr.items().size() <= 1) return arr;
  const Value& fn = Arg(args, 1);
  std::vector<Value> items = arr.items();
  std::vector<Value> tmp;
  tmp.reserve(items.size());
  if (fn.is_function()) {
    auto after = [&](const Value& a, const Value& b) { return JsTruthy(ctx.Apply(fn, {a, b})); };
    MergeSort(items, 0, items.size(), tmp, after);
  } else {
    bool numbers = std::all_of(items.begin(), items.end(), [](const Value& v) {
      return v.is_number() && !std::isnan(v.number());
    });
    bool strings = !numbers && std::all_of(items.begin(), items.end(),
                                           [](const Value& v) { return v.is_string(); });
    if (!numbers && !strings) {
      Throw("D3070",
            "The single argument form of the sort function can only be applied to an array of "
            "strings or an array of numbers.  Use the second argument to specify a comparison "
            "function");
    }
    if (numbers) {
      auto after = [](const Value& a, const Value& b) { return a.number() > b.number(); };
      MergeSort(items, 0, items.size(), tmp, after);
    } else {
      auto after = [](const Value& a, const Value& b) {
        return CompareStrings(a.string(), b.string()) > 0;
      };
      MergeSort(items, 0, items.size(), tmp, after);
    }
  }
  Value result = Value::MakeArray();
  result.mutable_array().items = std::move(items);
  return result;
}

Value FnShuffle(CallContext& ctx, Args& args) {
  const Value& arr = Arg(args, 0);
  if (arr.is_undefined()) return Value();
  if (!arr.is_array() || arr.items().size() <= 1) return arr;
  const auto& in = arr.items();
  // The inside-out Fisher-Yates shuffle.
  std::vector<Value> out(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    auto j = static_cast<size_t>(std::floor(ctx.Random() * static_cast<double>(i + 1)));
    if (j > i) j = i;
    if (i != j) out[i] = out[j];
    out[j] = in[i];
  }
  Value result = Value::MakeArray();
  result.mutable_array().items = std::move(out);
  return result;
}

// A hash consistent with DeepEqual (containers hash by type and size only).
size_t ShallowHash(const Value& v) {
  switch (v.type()) {
    case Type::kBool:
      return v.boolean() ? 1 : 2;
    case Type::kNumber:
      return std::hash<double>()(v.number() == 0 ? 0.0 : v.number());
    case Type::kString:
      return std::hash<std::string_view>()(v.string());
    case Type::kArray:
      return 0x9e3779b9u ^ v.items().size();
    case Type::kObject:
      return 0x85ebca6bu ^ v.object().size();
    case Type::kFunction:
      return std::hash<const void*>()(v.heap());
    default:
      return 3;
  }
}

Value FnDistinct(CallContext& ctx, Args& args) {
  const Value& arr = Arg(args, 0);
  if (arr.is_undefined()) return Value();
  if (!arr.is_array() || arr.items().size() <= 1) return arr;
  Value result = Value::MakeArray(arr.is_sequence());
  std::unordered_multimap<size_t, size_t> seen;  // hash -> index in result
  seen.reserve(arr.items().size());
  size_t n = 0;
  for (const Value& v : arr.items()) {
    if ((++n & 4095) == 0) ctx.CheckLimits();
    size_t h = ShallowHash(v);
    auto [b, e] = seen.equal_range(h);
    bool dup =
        std::any_of(b, e, [&](const auto& p) { return DeepEqual(v, result.items()[p.second]); });
    if (dup) continue;
    seen.emplace(h, result.items().size());
    result.Push(v);
  }
  return result;
}

// --- Encodings ---

Value FnBase64Encode(CallContext&, Args& args) {
  const Value& str = Arg(args, 0);
  if (!str.is_string()) return Value();
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const std::string& s = str.string();
  std::string out;
  out.reserve((s.size() + 2) / 3 * 4);
  size_t i = 0;
  auto byte = [&](size_t k) { return static_cast<uint32_t>(static_cast<unsigned char>(s[k])); };
  for (; i + 2 < s.size(); i += 3) {
    uint32_t n = byte(i) << 16 | byte(i + 1) << 8 | byte(i + 2);
    for (int shift = 18; shift >= 0; shift -= 6) out += kAlphabet[n >> shift & 63];
  }
  if (i + 1 == s.size()) {
    uint32_t n = byte(i) << 16;
    out += kAlphabet[n >> 18 & 63];
    out += kAlphabet[n >> 12 & 63];
    out += "==";
  } else if (i + 2 == s.size()) {
    uint32_t n = byte(i) << 16 | byte(i + 1) << 8;
    out += kAlphabet[n >> 18 & 63];
    out += kAlphabet[n >> 12 & 63];
    out += kAlphabet[n >> 6 & 63];
    out += '=';
  }
  return Str(std::move(out));
}

// `bytes` as UTF-8 text, each ill-formed byte replaced by U+FFFD.
std::string ToUtf8Text(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  for (size_t i = 0; i < bytes.size();) {
    size_t len;
    DecodeUtf8(bytes, i, len);
    if (len) {
      out.append(bytes.substr(i, len));
      i += len;
    } else {
      out += "\xef\xbf\xbd";
      ++i;
    }
  }
  return out;
}

Value FnBase64Decode(CallContext&, Args& args) {
  const Value& str = Arg(args, 0);
  if (!str.is_string()) return Value();
  // As Node's Buffer.from(s, "base64"): both alphabets, other characters
  // skipped, the first '=' ends the data.
  std::string bytes;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : str.string()) {
    int v;
    if (c >= 'A' && c <= 'Z') {
      v = c - 'A';
    } else if (c >= 'a' && c <= 'z') {
      v = c - 'a' + 26;
    } else if (c >= '0' && c <= '9') {
      v = c - '0' + 52;
    } else if (c == '+' || c == '-') {
      v = 62;
    } else if (c == '/' || c == '_') {
      v = 63;
    } else if (c == '=') {
      break;
    } else {
      continue;
    }
    acc = acc << 6 | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes += static_cast<char>(acc >> bits & 0xff);
    }
  }
  return Str(ToUtf8Text(bytes));
}

[[noreturn]] void ThrowMalformedUrl(std::string_view fn, const Value& str) {
  Throw("D3140", "Malformed URL passed to $" + std::string(fn) + "(): " + Excerpt(str));
}

Value EncodeUri(const Value& str, std::string_view keep, std::string_view fn) {
  if (!str.is_string()) return Value();
  static constexpr char kHex[] = "0123456789ABCDEF";
  const std::string& s = str.string();
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
          (c && std::strchr("-_.!~*'()", c)) ||
          (c && keep.find(static_cast<char>(c)) != keep.npos)) {
        out += static_cast<char>(c);
      } else {
        out += '%';
        out += kHex[c >> 4];
        out += kHex[c & 15];
      }
      ++i;
      continue;
    }
    size_t len;
    DecodeUtf8(s, i, len);
    if (!len) ThrowMalformedUrl(fn, str);  // a lone surrogate: URIError
    for (size_t k = 0; k < len; ++k) {
      auto b = static_cast<unsigned char>(s[i + k]);
      out += '%';
      out += kHex[b >> 4];
      out += kHex[b & 15];
    }
    i += len;
  }
  return Str(std::move(out));
}

Value DecodeUri(const Value& str, std::string_view reserved, std::string_view fn) {
  if (!str.is_string()) return Value();
  const std::string& s = str.string();
  std::string out;
  out.reserve(s.size());
  auto hex_byte = [&](size_t k) -> int {  // the byte of "%XX" at k, -1 if none
    if (k + 2 >= s.size() || s[k] != '%') return -1;
    int h = DigitValue(s[k + 1]), l = DigitValue(s[k + 2]);
    return h > 15 || l > 15 ? -1 : h << 4 | l;
  };
  for (size_t i = 0; i < s.size();) {
    if (s[i] != '%') {
      out += s[i++];
      continue;
    }
    int b = hex_byte(i);
    if (b < 0) ThrowMalformedUrl(fn, str);
    if (b < 0x80) {
      if (b && reserved.find(static_cast<char>(b)) != reserved.npos) {
        out.append(s, i, 3);
      } else {
        out += static_cast<char>(b);
      }
      i += 3;
      continue;
    }
    size_t n = (b & 0xe0) == 0xc0 ? 2 : (b & 0xf0) == 0xe0 ? 3 : (b & 0xf8) == 0xf0 ? 4 : 0;
    if (!n) ThrowMalformedUrl(fn, str);
    std::string seq(1, static_cast<char>(b));
    for (size_t k = 1; k < n; ++k) {
      int c = hex_byte(i + 3 * k);
      if (c < 0 || (c & 0xc0) != 0x80) ThrowMalformedUrl(fn, str);
      seq += static_cast<char>(c);
    }
    size_t len;
    DecodeUtf8(seq, 0, len);
    if (len != n) ThrowMalformedUrl(fn, str);
    out += seq;
    i += 3 * n;
  }
  return Str(std::move(out));
}

Value FnEncodeUrlComponent(CallContext&, Args& args) {
  return EncodeUri(Arg(args, 0), "", "encodeUrlComponent");
}
Value FnEncodeUrl(CallContext&, Args& args) {
  return EncodeUri(Arg(args, 0), ";/?:@&=+$,#", "encodeUrl");
}
Value FnDecodeUrlComponent(CallContext&, Args& args) {
  return DecodeUri(Arg(args, 0), "", "decodeUrlComponent");
}
Value FnDecodeUrl(CallContext&, Args& args) {
  return DecodeUri(Arg(args, 0), ";/?:@&=+$,#", "decodeUrl");
}

// --- Evaluation, time, cloning ---

Value FnEval(CallContext& ctx, Args& args) {
  const Value& expr = Arg(args, 0);
  if (!expr.is_string()) return Value();
  const Value& focus = Arg(args, 1);
  if (focus.is_undefined()) return ctx.Eval(expr.string(), ctx.input());
  if (focus.is_array() && !focus.is_sequence()) {
    // As the input of an evaluation: wrapped in an outer sequence.
    Value wrapper = Value::MakeSequence();
    wrapper.mutable_array().outer_wrapper = true;
    wrapper.Push(focus);
    return ctx.Eval(expr.string(), wrapper);
  }
  return ctx.Eval(expr.string(), focus);
}

std::optional<std::string_view> OptionalString(const Value& v) {
  if (v.is_string()) return std::string_view(v.string());
  return std::nullopt;
}

Value FnToMillis(CallContext& ctx, Args& args) {
  const Value& ts = Arg(args, 0);
  if (!ts.is_string()) return Value();
  std::optional<double> ms =
      ParseDateTime(ts.string(), OptionalString(Arg(args, 1)), ctx.NowMillis());
  return ms ? Num(*ms) : Value();
}

Value FnFromMillis(CallContext&, Args& args) {
  const Value& ms = Arg(args, 0);
  if (!ms.is_number()) return Value();
  return Str(
      FormatDateTime(ms.number(), OptionalString(Arg(args, 1)), OptionalString(Arg(args, 2))));
}

Value FnNow(CallContext& ctx, Args& args) {
  return Str(
      FormatDateTime(ctx.NowMillis(), OptionalString(Arg(args, 0)), OptionalString(Arg(args, 1))));
}

Value FnMillis(CallContext& ctx, Args&) { return Num(ctx.NowMillis()); }

// JSON.parse($string(v)): a deep copy with $string's number rounding,
// functions as "", undefined members left out. `depth`: the level of `v` if
// it is an array or object.
Value Clone(const Value& v, int depth = 1) {
  switch (v.type()) {
    case Type::kNumber:
      if (!std::isfinite(v.number())) {
        if (std::isnan(v.number())) return Value::Null();
        Throw("D1001", "Number out of range: " + NumberToString(v.number()));
      }
      return Num(ToPrecision15(v.number()) == 0 ? 0 : ToPrecision15(v.number()));
    case Type::kFunction:
      return Str("");
    case Type::kUndefined:
      return Value::Null();
    case Type::kArray: {
      CheckValueDepth(depth);
      Value out = Value::MakeArray();
      out.mutable_array().items.reserve(v.items().size());
      for (const Value& item : v.items()) out.Push(Clone(item, depth + 1));
      return out;
    }
    case Type::kObject: {
      CheckValueDepth(depth);
      Value out = Value::MakeObject();
      ObjectData& d = out.mutable_object();
      d.Reserve(v.object().size());
      for (const auto& [k, item] : v.object().members()) {
        if (item.is_defined()) d.Set(k, Clone(item, depth + 1));
      }
      return out;
    }
    default:
      return v;
  }
}

Value FnClone(CallContext&, Args& args) {
  const Value& v = Arg(args, 0);
  if (v.is_undefined()) return Value();
  if (v.is_array() && v.array().outer_wrapper && !v.items().empty()) return Clone(v.items()[0]);
  if (v.is_string()) return v;
  return Clone(v);
}

}  // namespace

// --- RegexFunction ---

RegexFunction::RegexFunction(std::shared_ptr<const Regex> regex) : regex_(std::move(regex)) {}

RegexFunction::RegexFunction(std::shared_ptr<const Regex> regex,
                             std::shared_ptr<const std::string> subject, size_t from,
                             size_t from_chars)
    : regex_(std::move(regex)),
      subject_(std::move(subject)),
      from_(from),
      from_chars_(from_chars) {}

Value RegexFunction::MatchObject(const std::shared_ptr<const Regex>& regex,
                                 const std::shared_ptr<const std::string>& subject,
                                 const Regex::Match& match, size_t start, size_t end) {
  Value o = Value::MakeObject();
  ObjectData& d = o.mutable_object();
  d.Reserve(5);
  d.Set("match", Str(subject->substr(match.start, match.end - match.start)));
  d.Set("start", Num(static_cast<double>(start)));
  d.Set("end", Num(static_cast<double>(end)));
  Value groups = Value::MakeArray();
  groups.mutable_array().items.reserve(match.groups.size());
  for (const auto& g : match.groups) groups.Push(g ? Str(*g) : Value());
  d.Set("groups", std::move(groups));
  d.Set("next", Value::Func(std::shared_ptr<const RegexFunction>(
                    new RegexFunction(regex, subject, match.end, end))));
  return o;
}

Value RegexFunction::Call(const std::vector<Value>& args) const {
  if (subject_) {
    // jsonata-js' next(): nothing once the last match reached the end.
    if (from_ >= subject_->size()) return Value();
    std::optional<Regex::Match> m = regex_->Exec(*subject_, from_, true);
    if (!m) return Value();
    if (m->empty()) ThrowZeroLength();
    std::string_view s(*subject_);
    size_t start = from_chars_ + CodePointCount(s.substr(from_, m->start - from_));
    size_t end = start + CodePointCount(s.substr(m->start, m->end - m->start));
    return MatchObject(regex_, subject_, *m, start, end);
  }
  const Value& str = Arg(args, 0);
  if (!str.is_string()) return Value();
  std::shared_ptr<const std::string> subject = str.shared_string();
  std::string_view s(*subject);
  // lastIndex = fromIndex (in characters here).
  double from = NumberOr(Arg(args, 1), 0);
  from = std::isnan(from) || from < 0 ? 0 : std::trunc(from);
  size_t byte = 0, chars = 0;
  while (chars < from && byte < s.size()) {
    ++byte;
    while (byte < s.size() && IsContinuation(s[byte])) ++byte;
    ++chars;
  }
  if (chars < from) return Value();  // past the end
  std::optional<Regex::Match> m = regex_->Exec(s, byte);
  if (!m) return Value();
  size_t start = chars + CodePointCount(s.substr(byte, m->start - byte));
  size_t end = start + CodePointCount(s.substr(m->start, m->end - m->start));
  return MatchObject(regex_, subject, *m, start, end);
}

// --- Public helpers ---

std::string StringOf(const Value& v, bool pretty) {
  switch (v.type()) {
    case Type::kString:
      return v.string();
    case Type::kFunction:
    case Type::kUndefined:
      return "";
    case Type::kNumber:
      if (!std::isfinite(v.number())) {
        Throw("D3001", "Attempting to invoke string function on Infinity or NaN");
      }
      return NumberToString(ToPrecision15(v.number()));
    default:
      break;
  }
  std::string out;
  const Value* target = &v;
  if (v.is_array() && v.array().outer_wrapper && !v.items().empty()) target = &v.items()[0];
  Stringify(out, *target, pretty, 0);
  return out;
}

namespace {

// `depth`: the level of `v` if it is an array.
bool TruthyAt(const Value& v, int depth) {
  switch (v.type()) {
    case Type::kUndefined:
    case Type::kNull:
    case Type::kFunction:
      return false;
    case Type::kBool:
      return v.boolean();
    case Type::kNumber:
      return v.number() != 0 && !std::isnan(v.number());
    case Type::kString:
      return !v.string().empty();
    case Type::kObject:
      return !v.object().empty();
    case Type::kArray: {
      CheckValueDepth(depth);
      const auto& items = v.items();
      if (items.size() == 1) return TruthyAt(items[0], depth + 1);
      return std::any_of(items.begin(), items.end(),
                         [depth](const Value& x) { return TruthyAt(x, depth + 1); });
    }
  }
  return false;
}

}  // namespace

bool Truthy(const Value& v) { return TruthyAt(v, 1); }

Value Append(const Value& a, const Value& b) {
  if (a.is_undefined()) return b;
  if (b.is_undefined()) return a;
  const ArrayData* ad = a.is_array() ? &a.array() : nullptr;
  bool plain = ad && !ad->sequence && !ad->keep_singleton && !ad->cons && !ad->outer_wrapper &&
               !ad->tuple_stream;
  // A plain array nobody else holds grows in place (what concat would make).
  Value result = plain && a.is_unique() && a.heap() != b.heap() ? a : Value::MakeArray();
  auto& items = result.mutable_array().items;
  if (result.heap() != a.heap()) {
    items.reserve((ad ? ad->items.size() : 1) + (b.is_array() ? b.items().size() : 1));
    if (ad) {
      items.insert(items.end(), ad->items.begin(), ad->items.end());
    } else {
      items.push_back(a);
    }
  }
  if (b.is_array()) {
    items.insert(items.end(), b.items().begin(), b.items().end());
  } else {
    items.push_back(b);
  }
  return result;
}

const std::vector<BuiltinSpec>& StandardLibrary() {
  static const std::vector<BuiltinSpec> kLibrary = {
      {"sum", "<a<n>:n>", FnSum, 1},
      {"count", "<a:n>", FnCount, 1},
      {"max", "<a<n>:n>", FnMax, 1},
      {"min", "<a<n>:n>", FnMin, 1},
      {"average", "<a<n>:n>", FnAverage, 1},
      {"string", "<x-b?:s>", FnString, 1},
      {"substring", "<s-nn?:s>", FnSubstring, 3},
      {"substringBefore", "<s-s:s>", FnSubstringBefore, 2},
      {"substringAfter", "<s-s:s>", FnSubstringAfter, 2},
      {"lowercase", "<s-:s>", FnLowercase, 1},
      {"uppercase", "<s-:s>", FnUppercase, 1},
      {"length", "<s-:n>", FnLength, 1},
      {"trim", "<s-:s>", FnTrim, 1},
      {"pad", "<s-ns?:s>", FnPad, 3},
      {"match", "<s-f<s:o>n?:a<o>>", FnMatch, 3},
      {"contains", "<s-(sf):b>", FnContains, 2},
      {"replace", "<s-(sf)(sf)n?:s>", FnReplace, 4},
      {"split", "<s-(sf)n?:a<s>>", FnSplit, 3},
      {"join", "<a<s>s?:s>", FnJoin, 2},
      {"formatNumber", "<n-so?:s>", FnFormatNumber, 3},
      {"formatBase", "<n-n?:s>", FnFormatBase, 2},
      {"formatInteger", "<n-s:s>", FnFormatInteger, 2},
      {"parseInteger", "<s-s:n>", FnParseInteger, 2},
      {"number", "<(nsb)-:n>", FnNumber, 1},
      {"floor", "<n-:n>", FnFloor, 1},
      {"ceil", "<n-:n>", FnCeil, 1},
      {"round", "<n-n?:n>", FnRound, 2},
      {"abs", "<n-:n>", FnAbs, 1},
      {"sqrt", "<n-:n>", FnSqrt, 1},
      {"power", "<n-n:n>", FnPower, 2},
      {"random", "<:n>", FnRandom, 0},
      {"boolean", "<x-:b>", FnBoolean, 1},
      {"not", "<x-:b>", FnNot, 1},
      {"map", "<af>", FnMap, 2},
      {"zip", "<a+>", FnZip, 0},
      {"filter", "<af>", FnFilter, 2},
      {"single", "<af?>", FnSingle, 2},
      {"reduce", "<afj?:j>", FnReduce, 3},
      {"sift", "<o-f?:o>", FnSift, 2},
      {"keys", "<x-:a<s>>", FnKeys, 1},
      {"lookup", "<x-s:x>", FnLookup, 2},
      {"append", "<xx:a>", FnAppend, 2},
      {"exists", "<x:b>", FnExists, 1},
      {"spread", "<x-:a<o>>", FnSpread, 1},
      {"merge", "<a<o>:o>", FnMerge, 1},
      {"reverse", "<a:a>", FnReverse, 1},
      {"each", "<o-f:a>", FnEach, 2},
      {"error", "<s?:x>", FnError, 1},
      {"assert", "<bs?:x>", FnAssert, 2},
      {"type", "<x:s>", FnType, 1},
      {"sort", "<af?:a>", FnSort, 2},
      {"shuffle", "<a:a>", FnShuffle, 1},
      {"distinct", "<x:x>", FnDistinct, 1},
      {"base64encode", "<s-:s>", FnBase64Encode, 1},
      {"base64decode", "<s-:s>", FnBase64Decode, 1},
      {"encodeUrlComponent", "<s-:s>", FnEncodeUrlComponent, 1},
      {"encodeUrl", "<s-:s>", FnEncodeUrl, 1},
      {"decodeUrlComponent", "<s-:s>", FnDecodeUrlComponent, 1},
      {"decodeUrl", "<s-:s>", FnDecodeUrl, 1},
      {"eval", "<sx?:x>", FnEval, 2},
      {"toMillis", "<s-s?:n>", FnToMillis, 2},
      {"fromMillis", "<n-s?s?:s>", FnFromMillis, 3},
      {"clone", "<(oa)-:o>", FnClone, 1},
      {"now", "<s?s?:s>", FnNow, 2},
      {"millis", "<:n>", FnMillis, 0},
  };
  return kLibrary;
}

}  // namespace stepd::asl::jsonata
