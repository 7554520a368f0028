#include "stepd/base/json.h"

#include <charconv>
#include <cmath>
#include <cstring>
#include <string>

namespace stepd {

namespace {

// The offset of the bracket that opens level kMaxJsonDepth + 1 (outside
// strings), or npos. A brace inside a comment counts too: only configuration
// files have comments, and they are far shallower.
size_t FindTooDeep(std::string_view text) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxJsonDepth) return i;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return std::string_view::npos;
}

}  // namespace

StatusOr<Json> ParseJson(std::string_view text, bool allow_comments) {
  if (const size_t at = FindTooDeep(text); at != std::string_view::npos) {
    return InvalidArgumentError("invalid JSON at byte " + std::to_string(at + 1) +
                                ": arrays and objects nest deeper than " +
                                std::to_string(kMaxJsonDepth) + " levels");
  }
  try {
    return Json::parse(text.begin(), text.end(), /*cb=*/nullptr, /*allow_exceptions=*/true,
                       /*ignore_comments=*/allow_comments);
  } catch (const Json::parse_error& e) {
    return InvalidArgumentError("invalid JSON at byte " + std::to_string(e.byte) + ": " +
                                std::string(e.what()));
  } catch (const Json::exception& e) {
    // A number too large for a double (1e400) is out_of_range, not a
    // parse_error. Found by tests/fuzz/intrinsics_fuzz.cc.
    return InvalidArgumentError("invalid JSON: " + std::string(e.what()));
  }
}

namespace {

// Length of the valid UTF-8 sequence starting at s[i] (a byte >= 0x80), or 0.
size_t Utf8SequenceLength(std::string_view s, size_t i) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  size_t len;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  if (b(i + 1) < lo || b(i + 1) > hi) return 0;
  for (size_t k = 2; k < len; ++k) {
    if (b(i + k) < 0x80 || b(i + k) > 0xBF) return 0;
  }
  return len;
}

// Writes JSON text; with `nested` every character that the text would need
// escaped inside a JSON string ('"' and '\') is escaped once more.
class Writer {
 public:
  Writer(std::string* out, bool nested) : out_(*out), nested_(nested) {}
  ~Writer() { Flush(); }

  void Value(const Json& v) {
    switch (v.type()) {
      case Json::value_t::object: {
        Raw('{');
        bool first = true;
        for (const auto& [k, e] : *v.get_ptr<const Json::object_t*>()) {
          if (!first) Raw(',');
          first = false;
          String(k);
          Raw(':');
          Value(e);
        }
        Raw('}');
        break;
      }
      case Json::value_t::array: {
        Raw('[');
        bool first = true;
        for (const Json& e : *v.get_ptr<const Json::array_t*>()) {
          if (!first) Raw(',');
          first = false;
          Value(e);
        }
        Raw(']');
        break;
      }
      case Json::value_t::string:
        String(*v.get_ptr<const Json::string_t*>());
        break;
      case Json::value_t::boolean:
        Plain(v.get<bool>() ? "true" : "false");
        break;
      case Json::value_t::number_integer:
        Integer(v.get<int64_t>());
        break;
      case Json::value_t::number_unsigned:
        Integer(v.get<uint64_t>());
        break;
      case Json::value_t::number_float:
        Float(v.get<double>());
        break;
      case Json::value_t::binary:  // never produced by stepd: no JSON text has it
      case Json::value_t::null:
      case Json::value_t::discarded:
        Plain("null");
        break;
    }
  }

  // The body of a string, escaped for JSON (and again when nested).
  void StringBody(std::string_view s) {
    const size_t n = s.size();
    size_t start = 0;
    size_t i = 0;
    while (i < n) {
      const unsigned char c = static_cast<unsigned char>(s[i]);
      if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
        ++i;
        continue;
      }
      if (c >= 0x80) {
        size_t len = Utf8SequenceLength(s, i);
        if (len > 0) {
          i += len;
          continue;
        }
        Plain(s.substr(start, i - start));
        Plain("\xEF\xBF\xBD");  // U+FFFD
        start = ++i;
        continue;
      }
      Plain(s.substr(start, i - start));
      start = ++i;
      switch (c) {
        case '"':
          Escaped("\\\"");
          break;
        case '\\':
          Escaped("\\\\");
          break;
        case '\n':
          Escaped("\\n");
          break;
        case '\r':
          Escaped("\\r");
          break;
        case '\t':
          Escaped("\\t");
          break;
        case '\b':
          Escaped("\\b");
          break;
        case '\f':
          Escaped("\\f");
          break;
        default: {
          static constexpr char kHex[] = "0123456789abcdef";
          char buf[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xf]};
          Escaped(std::string_view(buf, 6));
        }
      }
    }
    Plain(s.substr(start));
  }

 private:
  void String(std::string_view s) {
    Raw('"');
    StringBody(s);
    Raw('"');
  }
  template <typename T>
  void Integer(T v) {
    Reserve(24);
    auto r = std::to_chars(buf_ + used_, buf_ + sizeof buf_, v);
    used_ = static_cast<size_t>(r.ptr - buf_);
  }
  void Float(double x) {
    if (!std::isfinite(x)) return Plain("null");
    Reserve(64);
    used_ =
        static_cast<size_t>(nlohmann::detail::to_chars(buf_ + used_, buf_ + sizeof buf_, x) - buf_);
  }
  // Text that contains no '"' or '\' of its own.
  void Plain(std::string_view s) {
    if (s.empty()) return;  // s.data() may be null: no memcpy with it
    if (s.size() > sizeof buf_ / 2) {
      Flush();
      out_.append(s);
      return;
    }
    Reserve(s.size());
    std::memcpy(buf_ + used_, s.data(), s.size());
    used_ += s.size();
  }
  void Put(char c) {
    if (used_ == sizeof buf_) Flush();
    buf_[used_++] = c;
  }
  // A structural character; '"' is escaped when nested.
  void Raw(char c) {
    if (nested_ && c == '"') Put('\\');
    Put(c);
  }
  // An escape sequence such as \n or \": each '\' and '"' of it escaped again when nested.
  void Escaped(std::string_view seq) {
    if (!nested_) return Plain(seq);
    for (char c : seq) {
      if (c == '\\' || c == '"') Put('\\');
      Put(c);
    }
  }
  void Reserve(size_t n) {
    if (used_ + n > sizeof buf_) Flush();
  }
  void Flush() {
    out_.append(buf_, used_);
    used_ = 0;
  }

  std::string& out_;
  const bool nested_;
  // Output is gathered here and appended to out_ in blocks.
  char buf_[512];
  size_t used_ = 0;
};

}  // namespace

void AppendJsonText(const Json& value, std::string* out) { Writer(out, false).Value(value); }

void AppendJsonTextAsStringBody(const Json& value, std::string* out) {
  Writer(out, true).Value(value);
}

void AppendJsonStringBody(std::string_view text, std::string* out) {
  Writer(out, false).StringBody(text);
}

bool IsValidUtf8(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    if (static_cast<unsigned char>(text[i]) < 0x80) {
      ++i;
    } else if (size_t len = Utf8SequenceLength(text, i); len > 0) {
      i += len;
    } else {
      return false;
    }
  }
  return true;
}

std::string ToValidUtf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    size_t len = static_cast<unsigned char>(text[i]) < 0x80 ? 1 : Utf8SequenceLength(text, i);
    if (len == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD
      ++i;
      continue;
    }
    out.append(text.substr(i, len));
    i += len;
  }
  return out;
}

}  // namespace stepd
