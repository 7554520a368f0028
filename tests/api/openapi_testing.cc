#include "api/openapi_testing.h"

#include <algorithm>
#include <cctype>
#include <climits>
#include <cmath>
#include <functional>
#include <map>
#include <regex>
#include <set>
#include <span>
#include <tuple>

namespace stepd::api::testing {
namespace {

constexpr std::string_view kMethods[] = {"get",  "put",     "post",  "delete",
                                         "head", "options", "patch", "trace"};
constexpr size_t kShownViolations = 10;
constexpr size_t kExcerptLength = 60;

using Patterns = std::map<std::string, std::regex, std::less<>>;

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

std::string Child(std::string_view pointer, std::string_view token) {
  std::string out(pointer);
  out += '/';
  for (char c : token) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

std::string Child(std::string_view pointer, size_t index) {
  return std::string(pointer) + "/" + std::to_string(index);
}

int HexDigit(char c) {
  if (IsDigit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// %XX decoded; a '%' without two hex digits after it stays as it is.
std::string PercentDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && HexDigit(s[i + 1]) >= 0 && HexDigit(s[i + 2]) >= 0) {
      out += static_cast<char>(HexDigit(s[i + 1]) * 16 + HexDigit(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// The value the local reference `ref` ("#/components/...") names in `root`;
// null when it names none.
const Json* Resolve(const Json& root, std::string_view ref) {
  if (!ref.starts_with("#/components/")) return nullptr;
  const Json* node = &root;
  std::string_view rest = ref.substr(1);
  while (!rest.empty()) {
    rest.remove_prefix(1);
    const size_t slash = rest.find('/');
    const std::string raw = PercentDecode(rest.substr(0, slash));
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
    std::string token;
    for (size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] == '~' && i + 1 < raw.size() && (raw[i + 1] == '0' || raw[i + 1] == '1')) {
        token += raw[++i] == '0' ? '~' : '/';
      } else {
        token += raw[i];
      }
    }
    if (node->is_object()) {
      auto it = node->find(token);
      if (it == node->end()) return nullptr;
      node = &*it;
    } else if (node->is_array() && !token.empty() && token.size() < 10 &&
               std::all_of(token.begin(), token.end(), IsDigit) &&
               std::stoul(token) < node->size()) {
      node = &(*node)[std::stoul(token)];
    } else {
      return nullptr;
    }
  }
  return node;
}

const std::string* RefOf(const Json& node) {
  if (!node.is_object()) return nullptr;
  auto it = node.find("$ref");
  return it != node.end() && it->is_string() ? it->get_ptr<const std::string*>() : nullptr;
}

// `node` with its chain of $refs followed, `pointer` moved along; null when
// the chain dangles or loops.
const Json* Follow(const Json& root, const Json& node, std::string* pointer) {
  const Json* at = &node;
  for (int hops = 0; const std::string* ref = RefOf(*at); ++hops) {
    at = hops < 64 ? Resolve(root, *ref) : nullptr;
    if (!at) return nullptr;
    *pointer = ref->substr(1);
  }
  return at;
}

// Compact JSON text of `value`, cut to about kExcerptLength characters.
std::string Excerpt(const Json& value) {
  std::string text = value.dump(-1, ' ', false, Json::error_handler_t::replace);
  if (text.size() > kExcerptLength) text = text.substr(0, kExcerptLength) + "...";
  return text;
}

std::string Describe(const Json& value) {
  switch (value.type()) {
    case Json::value_t::null:
      return "null";
    case Json::value_t::boolean:
      return "boolean " + Excerpt(value);
    case Json::value_t::string:
      return "string " + Excerpt(value);
    case Json::value_t::object:
      return "object " + Excerpt(value);
    case Json::value_t::array:
      return "array " + Excerpt(value);
    default:
      return "number " + Excerpt(value);
  }
}

// Member order does not matter, unlike ordered_json's operator==.
bool JsonEqual(const Json& a, const Json& b) {
  if (a.is_object() && b.is_object()) {
    if (a.size() != b.size()) return false;
    for (const auto& [key, value] : a.items()) {
      auto it = b.find(key);
      if (it == b.end() || !JsonEqual(value, *it)) return false;
    }
    return true;
  }
  if (a.is_array() && b.is_array()) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), JsonEqual);
  }
  return a == b;
}

// --- Paths ---

struct Piece {
  bool param = false;
  std::string text;  // percent-decoded literal text, or the parameter's name
};
using Segment = std::vector<Piece>;

struct Operation {
  std::string method;         // "GET"
  std::string path_template;  // "/v1/executions/{id}"
  std::string pointer;        // of the operation object, past a path item's $ref
  const Json* node = nullptr;
  std::vector<Segment> segments;
  std::vector<int> rank;  // per segment: INT_MAX when literal, else its literal characters
};

std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> out;
  path.remove_prefix(1);
  for (size_t slash; (slash = path.find('/')) != std::string_view::npos;) {
    out.push_back(path.substr(0, slash));
    path.remove_prefix(slash + 1);
  }
  out.push_back(path);
  return out;
}

StatusOr<Segment> ParseSegment(std::string_view text) {
  Segment segment;
  while (!text.empty()) {
    const size_t open = text.find('{');
    const size_t close = text.find('}');
    if (close < open) return InvalidArgumentError("a '}' without its '{'");
    if (open > 0) segment.push_back({false, PercentDecode(text.substr(0, open))});
    if (open == std::string_view::npos) break;
    if (close == std::string_view::npos) return InvalidArgumentError("a '{' without its '}'");
    if (close == open + 1) return InvalidArgumentError("a parameter without a name");
    segment.push_back({true, std::string(text.substr(open + 1, close - open - 1))});
    text.remove_prefix(close + 1);
  }
  return segment;
}

// True when `text` (decoded) is an instance of `pieces`, each parameter
// standing for one or more characters.
bool Matches(std::span<const Piece> pieces, std::string_view text) {
  if (pieces.empty()) return text.empty();
  const Piece& first = pieces.front();
  if (!first.param) {
    return text.starts_with(first.text) &&
           Matches(pieces.subspan(1), text.substr(first.text.size()));
  }
  for (size_t n = 1; n <= text.size(); ++n) {
    if (Matches(pieces.subspan(1), text.substr(n))) return true;
  }
  return false;
}

// --- Parse ---

// Keys whose values map names to things, so that a name such as "enum" or
// "$ref" there is not a keyword.
bool IsNameMap(std::string_view key) {
  return key == "properties" || key == "patternProperties" || key == "responses" ||
         key == "schemas" || key == "$defs" || key == "definitions";
}

bool IsDataKeyword(std::string_view key) {
  return key == "example" || key == "examples" || key == "enum" || key == "const" ||
         key == "default" || key.starts_with("x-");
}

Status CheckRefsAndPatterns(const Json& root, const Json& node, const std::string& pointer,
                            bool name_map, Patterns* patterns) {
  if (node.is_array()) {
    for (size_t i = 0; i < node.size(); ++i) {
      STEPD_RETURN_IF_ERROR(
          CheckRefsAndPatterns(root, node[i], Child(pointer, i), false, patterns));
    }
    return Status::OK();
  }
  if (!node.is_object()) return Status::OK();
  for (const auto& [key, value] : node.items()) {
    const std::string at = Child(pointer, key);
    if (!name_map && key == "$ref" && value.is_string()) {
      std::set<std::string> seen;
      for (const std::string* ref = value.get_ptr<const std::string*>(); ref;) {
        if (!ref->starts_with("#/components/")) {
          return InvalidArgumentError(at + ": \"" + *ref +
                                      "\" is not a local reference to \"#/components/...\"");
        }
        if (!seen.insert(*ref).second) {
          return InvalidArgumentError(at + ": the chain of $refs loops at \"" + *ref + "\"");
        }
        const Json* target = Resolve(root, *ref);
        if (!target) return InvalidArgumentError(at + ": \"" + *ref + "\" does not resolve");
        ref = RefOf(*target);
      }
    } else if (!name_map && key == "pattern" && value.is_string()) {
      const std::string& text = value.get_ref<const std::string&>();
      try {
        patterns->try_emplace(text, text, std::regex::ECMAScript);
      } catch (const std::regex_error& e) {
        return InvalidArgumentError(at + ": \"" + text +
                                    "\" is not an ECMAScript regular expression: " + e.what());
      }
    } else if (name_map || !IsDataKeyword(key)) {
      STEPD_RETURN_IF_ERROR(
          CheckRefsAndPatterns(root, value, at, !name_map && IsNameMap(key), patterns));
    }
  }
  return Status::OK();
}

// "200", "2XX" (any case) or "default".
bool IsResponseKey(std::string_view key) {
  if (key == "default") return true;
  if (key.size() != 3 || key[0] < '1' || key[0] > '5') return false;
  const bool code = IsDigit(key[1]) && IsDigit(key[2]);
  const bool range = (key[1] == 'X' || key[1] == 'x') && (key[2] == 'X' || key[2] == 'x');
  return code || range;
}

// A response or request body: an object whose "content", if any, maps media
// types to objects whose "schema", if any, is a schema.
Status CheckMessage(const Json& root, const Json& node, std::string pointer) {
  const Json* message = Follow(root, node, &pointer);
  if (!message || !message->is_object()) return InvalidArgumentError(pointer + ": not an object");
  auto content = message->find("content");
  if (content == message->end()) return Status::OK();
  if (!content->is_object()) return InvalidArgumentError(pointer + "/content: not an object");
  for (const auto& [type, media] : content->items()) {
    const std::string at = Child(pointer + "/content", type);
    if (!media.is_object()) return InvalidArgumentError(at + ": not an object");
    auto schema = media.find("schema");
    if (schema != media.end() && !schema->is_object() && !schema->is_boolean()) {
      return InvalidArgumentError(at + "/schema: not a schema");
    }
  }
  return Status::OK();
}

StatusOr<std::vector<Operation>> ParsePaths(const Json& root) {
  auto paths = root.find("paths");
  if (paths == root.end()) return InvalidArgumentError("/paths: missing");
  if (!paths->is_object()) return InvalidArgumentError("/paths: not an object");
  std::vector<Operation> operations;
  for (const auto& [path_template, node] : paths->items()) {
    std::string pointer = Child("/paths", path_template);
    if (!path_template.starts_with("/")) {
      return InvalidArgumentError(pointer + ": a path template must start with '/'");
    }
    std::vector<Segment> segments;
    std::vector<int> rank;
    for (std::string_view text : SplitPath(path_template)) {
      StatusOr<Segment> segment = ParseSegment(text);
      if (!segment.ok()) return segment.status().WithContext(pointer);
      int literal = 0;
      bool has_param = false;
      for (const Piece& piece : *segment) {
        has_param |= piece.param;
        if (!piece.param) literal += static_cast<int>(piece.text.size());
      }
      rank.push_back(has_param ? literal : INT_MAX);
      segments.push_back(*std::move(segment));
    }
    const Json* item = Follow(root, node, &pointer);
    if (!item || !item->is_object()) return InvalidArgumentError(pointer + ": not an object");
    for (std::string_view method : kMethods) {
      auto op = item->find(method);
      if (op == item->end()) continue;
      const std::string at = Child(pointer, method);
      if (!op->is_object()) return InvalidArgumentError(at + ": not an object");
      auto responses = op->find("responses");
      if (responses == op->end() || !responses->is_object() || responses->empty()) {
        return InvalidArgumentError(at + "/responses: missing, or not an object of responses");
      }
      for (const auto& [key, response] : responses->items()) {
        if (!IsResponseKey(key)) {
          return InvalidArgumentError(Child(at + "/responses", key) +
                                      ": not a status code, a range like \"4XX\" or \"default\"");
        }
        STEPD_RETURN_IF_ERROR(CheckMessage(root, response, Child(at + "/responses", key)));
      }
      if (auto body = op->find("requestBody"); body != op->end()) {
        STEPD_RETURN_IF_ERROR(CheckMessage(root, *body, at + "/requestBody"));
      }
      operations.push_back({Upper(method), path_template, at, &*op, segments, rank});
    }
  }
  std::sort(operations.begin(), operations.end(), [](const Operation& a, const Operation& b) {
    return std::tie(a.method, a.path_template) < std::tie(b.method, b.path_template);
  });
  return operations;
}

// --- Formats ---

int DaysInMonth(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

// RFC 3339 section 5.6 date-time.
bool IsDateTime(std::string_view s) {
  auto number = [&](size_t pos, size_t n, int* out) {
    if (pos + n > s.size()) return false;
    *out = 0;
    for (size_t i = pos; i < pos + n; ++i) {
      if (!IsDigit(s[i])) return false;
      *out = *out * 10 + (s[i] - '0');
    }
    return true;
  };
  auto is = [&](size_t pos, char c) { return pos < s.size() && s[pos] == c; };
  int year, month, day, hour, minute, second;
  if (!number(0, 4, &year) || !is(4, '-') || !number(5, 2, &month) || !is(7, '-') ||
      !number(8, 2, &day) || !(is(10, 'T') || is(10, 't')) || !number(11, 2, &hour) ||
      !is(13, ':') || !number(14, 2, &minute) || !is(16, ':') || !number(17, 2, &second)) {
    return false;
  }
  size_t i = 19;
  if (is(i, '.')) {
    const size_t start = ++i;
    while (i < s.size() && IsDigit(s[i])) ++i;
    if (i == start) return false;
  }
  if (is(i, 'Z') || is(i, 'z')) {
    ++i;
  } else if (is(i, '+') || is(i, '-')) {
    int offset_hour, offset_minute;
    if (!number(i + 1, 2, &offset_hour) || !is(i + 3, ':') || !number(i + 4, 2, &offset_minute) ||
        offset_hour > 23 || offset_minute > 59) {
      return false;
    }
    i += 6;
  } else {
    return false;
  }
  return i == s.size() && month >= 1 && month <= 12 && day >= 1 &&
         day <= DaysInMonth(year, month) && hour <= 23 && minute <= 59 && second <= 60;
}

bool IsUriReference(std::string_view s) {
  return !s.empty() && std::none_of(s.begin(), s.end(), [](char c) {
    return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f;
  });
}

size_t CodePoints(std::string_view s) {
  return static_cast<size_t>(
      std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

// --- Schemas ---

struct Violation {
  std::string at;  // JSON pointer in the body
  std::string what;
  std::string schema_at;  // JSON pointer in the document
};

std::string ToString(const Violation& v) {
  return (v.at.empty() ? "(root)" : v.at) + ": " + v.what + " (#" + v.schema_at + ")";
}

std::string Join(const std::vector<Violation>& violations) {
  std::string out;
  for (size_t i = 0; i < violations.size() && i < kShownViolations; ++i) {
    if (i > 0) out += "; ";
    out += ToString(violations[i]);
  }
  if (violations.size() > kShownViolations) {
    out += "; and " + std::to_string(violations.size() - kShownViolations) + " more";
  }
  return out;
}

class Validator {
 public:
  // `request`: the body is a request's (readOnly properties are not
  // required), else an answer's (writeOnly properties are not).
  Validator(const Json& root, const Patterns& patterns, bool request)
      : root_(root), patterns_(patterns), request_(request) {}

  // Appends to `out` every way `value` (at `at` in the body) breaks `schema`
  // (at `schema_at` in the document). `refs` are the $refs followed since
  // the last step into the value: meeting one again is a loop.
  void Check(const Json& value, const std::string& at, const Json& schema,
             const std::string& schema_at, std::vector<std::string> refs,
             std::vector<Violation>* out) const {
    auto fail = [&](std::string what) { out->push_back({at, std::move(what), schema_at}); };
    if (schema.is_boolean()) {
      if (!schema.get<bool>()) fail("no value is allowed here");
      return;
    }
    if (!schema.is_object()) return fail("the schema is not an object");
    if (value.is_null() && Flag(schema, "nullable")) return;
    if (const std::string* ref = RefOf(schema)) {
      if (std::find(refs.begin(), refs.end(), *ref) != refs.end()) {
        return fail("$ref " + *ref + " loops back to itself without reaching into the value");
      }
      const Json* target = Resolve(root_, *ref);
      if (!target) return fail("$ref " + *ref + " does not resolve");
      refs.push_back(*ref);
      Check(value, at, *target, ref->substr(1), refs, out);
    }
    if (!CheckType(value, schema, fail)) return;
    if (auto e = schema.find("enum"); e != schema.end() && e->is_array()) {
      if (std::none_of(e->begin(), e->end(), [&](const Json& v) { return JsonEqual(v, value); })) {
        std::string list;
        for (const Json& v : *e) {
          if (!list.empty()) list += ", ";
          list += v.is_string() ? v.get<std::string>() : Excerpt(v);
        }
        fail(Excerpt(value) + " is not one of [" + list + "]");
      }
    }
    if (auto c = schema.find("const"); c != schema.end() && !JsonEqual(*c, value)) {
      fail(Excerpt(value) + " is not the constant " + Excerpt(*c));
    }
    if (value.is_string()) CheckString(value.get_ref<const std::string&>(), schema, fail);
    if (value.is_number()) CheckNumber(value, schema, fail);
    if (value.is_array()) CheckArray(value, at, schema, schema_at, out);
    if (value.is_object()) CheckObject(value, at, schema, schema_at, out);
    CheckCombinations(value, at, schema, schema_at, refs, out);
  }

 private:
  using Fail = std::function<void(std::string)>;

  // True when `schema` (or the chain of $refs it is) says `key`: true.
  bool Flag(const Json& schema, const char* key) const {
    std::string ignored;
    for (const Json* s = &schema; s; s = RefOf(*s) ? Follow(root_, *s, &ignored) : nullptr) {
      auto it = s->find(key);
      if (it != s->end() && it->is_boolean() && it->get<bool>()) return true;
    }
    return false;
  }

  static bool HasType(const Json& value, std::string_view type) {
    if (type == "integer") {
      if (value.is_number_integer() || value.is_number_unsigned()) return true;
      if (!value.is_number_float()) return false;
      const double x = value.get<double>();
      return std::isfinite(x) && std::floor(x) == x;
    }
    return (type == "string" && value.is_string()) || (type == "number" && value.is_number()) ||
           (type == "boolean" && value.is_boolean()) || (type == "array" && value.is_array()) ||
           (type == "object" && value.is_object()) || (type == "null" && value.is_null());
  }

  static bool CheckType(const Json& value, const Json& schema, const Fail& fail) {
    auto type = schema.find("type");
    if (type == schema.end()) return true;
    std::vector<std::string> names;
    if (type->is_string()) names.push_back(type->get<std::string>());
    if (type->is_array()) {
      for (const Json& name : *type)
        names.push_back(name.is_string() ? name.get<std::string>() : "");
    }
    std::string expected;
    for (const std::string& name : names) {
      static const std::set<std::string, std::less<>> kTypes = {
          "string", "number", "integer", "boolean", "array", "object", "null"};
      if (!kTypes.contains(name)) {
        fail("the schema's type " + Excerpt(*type) + " is not a JSON Schema type");
        return false;
      }
      if (HasType(value, name)) return true;
      expected += (expected.empty() ? "" : " or ") + name;
    }
    if (names.empty()) {
      fail("the schema's type " + Excerpt(*type) + " is not a JSON Schema type");
      return false;
    }
    fail("expected " + expected + ", got " + Describe(value));
    return false;
  }

  static const Json* NumberAt(const Json& schema, const char* key) {
    auto it = schema.find(key);
    return it != schema.end() && it->is_number() ? &*it : nullptr;
  }

  void CheckString(const std::string& s, const Json& schema, const Fail& fail) const {
    const std::string shown = Excerpt(Json(s));
    const size_t length = CodePoints(s);
    if (const Json* min = NumberAt(schema, "minLength"); min && length < min->get<double>()) {
      fail(shown + " is shorter than the minimum length " + Excerpt(*min));
    }
    if (const Json* max = NumberAt(schema, "maxLength"); max && length > max->get<double>()) {
      fail(shown + " is longer than the maximum length " + Excerpt(*max));
    }
    if (auto p = schema.find("pattern"); p != schema.end() && p->is_string()) {
      const std::string& text = p->get_ref<const std::string&>();
      try {
        std::optional<std::regex> uncompiled;  // Parse() compiled every pattern it found
        auto compiled = patterns_.find(text);
        const std::regex& re =
            compiled != patterns_.end() ? compiled->second : uncompiled.emplace(text);
        if (!std::regex_search(s, re)) fail(shown + " does not match the pattern " + text);
      } catch (const std::regex_error& e) {
        fail("the pattern " + text + " failed: " + e.what());
      }
    }
    if (auto f = schema.find("format"); f != schema.end() && f->is_string()) {
      if (*f == "date-time" && !IsDateTime(s)) fail(shown + " is not an RFC 3339 date-time");
      if (*f == "uri-reference" && !IsUriReference(s)) fail(shown + " is not a URI reference");
    }
  }

  static void CheckNumber(const Json& value, const Json& schema, const Fail& fail) {
    const double x = value.get<double>();
    const std::string shown = Excerpt(value);
    auto exclusive = [&](const char* key) {
      auto it = schema.find(key);
      return it != schema.end() && it->is_boolean() && it->get<bool>();
    };
    if (const Json* min = NumberAt(schema, "minimum")) {
      if (exclusive("exclusiveMinimum") && x <= min->get<double>()) {
        fail(shown + " is not greater than the exclusive minimum " + Excerpt(*min));
      } else if (x < min->get<double>()) {
        fail(shown + " is less than the minimum " + Excerpt(*min));
      }
    }
    if (const Json* max = NumberAt(schema, "maximum")) {
      if (exclusive("exclusiveMaximum") && x >= max->get<double>()) {
        fail(shown + " is not less than the exclusive maximum " + Excerpt(*max));
      } else if (x > max->get<double>()) {
        fail(shown + " is greater than the maximum " + Excerpt(*max));
      }
    }
    if (const Json* min = NumberAt(schema, "exclusiveMinimum"); min && x <= min->get<double>()) {
      fail(shown + " is not greater than the exclusive minimum " + Excerpt(*min));
    }
    if (const Json* max = NumberAt(schema, "exclusiveMaximum"); max && x >= max->get<double>()) {
      fail(shown + " is not less than the exclusive maximum " + Excerpt(*max));
    }
  }

  void CheckArray(const Json& value, const std::string& at, const Json& schema,
                  const std::string& schema_at, std::vector<Violation>* out) const {
    const std::string count = std::to_string(value.size()) + " item(s)";
    if (const Json* min = NumberAt(schema, "minItems"); min && value.size() < min->get<double>()) {
      out->push_back({at, "has " + count + ", fewer than the minimum " + Excerpt(*min), schema_at});
    }
    if (const Json* max = NumberAt(schema, "maxItems"); max && value.size() > max->get<double>()) {
      out->push_back({at, "has " + count + ", more than the maximum " + Excerpt(*max), schema_at});
    }
    auto items = schema.find("items");
    if (items == schema.end() || !(items->is_object() || items->is_boolean())) return;
    for (size_t i = 0; i < value.size(); ++i) {
      Check(value[i], Child(at, i), *items, schema_at + "/items", {}, out);
    }
  }

  void CheckObject(const Json& value, const std::string& at, const Json& schema,
                   const std::string& schema_at, std::vector<Violation>* out) const {
    static const Json kNone = Json::object();
    auto p = schema.find("properties");
    const Json& properties = p != schema.end() && p->is_object() ? *p : kNone;
    if (auto required = schema.find("required"); required != schema.end() && required->is_array()) {
      for (const Json& name : *required) {
        if (!name.is_string() || value.contains(name.get_ref<const std::string&>())) continue;
        auto property = properties.find(name.get_ref<const std::string&>());
        if (property != properties.end() && Flag(*property, request_ ? "readOnly" : "writeOnly")) {
          continue;
        }
        out->push_back({at, "missing required property " + Excerpt(name), schema_at});
      }
    }
    auto additional = schema.find("additionalProperties");
    for (const auto& [key, member] : value.items()) {
      if (auto property = properties.find(key); property != properties.end()) {
        Check(member, Child(at, key), *property, Child(schema_at + "/properties", key), {}, out);
      } else if (additional != schema.end() && *additional == false) {
        out->push_back(
            {Child(at, key), "property is not allowed (additionalProperties is false)", schema_at});
      } else if (additional != schema.end() && additional->is_object()) {
        Check(member, Child(at, key), *additional, schema_at + "/additionalProperties", {}, out);
      }
    }
  }

  // The first violation of each of `schemas` that `value` breaks, as
  // "[i] <violation>"; `matched` gets the indexes of those it satisfies.
  std::string Branches(const Json& value, const std::string& at, const Json& schemas,
                       const std::string& schema_at, const std::vector<std::string>& refs,
                       std::vector<size_t>* matched) const {
    std::string failures;
    for (size_t i = 0; i < schemas.size(); ++i) {
      std::vector<Violation> violations;
      Check(value, at, schemas[i], Child(schema_at, i), refs, &violations);
      if (violations.empty()) {
        matched->push_back(i);
        continue;
      }
      if (!failures.empty()) failures += "; ";
      failures += "[" + std::to_string(i) + "] " + ToString(violations.front());
    }
    return failures;
  }

  void CheckCombinations(const Json& value, const std::string& at, const Json& schema,
                         const std::string& schema_at, const std::vector<std::string>& refs,
                         std::vector<Violation>* out) const {
    auto fail = [&](std::string what) { out->push_back({at, std::move(what), schema_at}); };
    if (auto all = schema.find("allOf"); all != schema.end() && all->is_array()) {
      for (size_t i = 0; i < all->size(); ++i) {
        Check(value, at, (*all)[i], Child(schema_at + "/allOf", i), refs, out);
      }
    }
    if (auto any = schema.find("anyOf"); any != schema.end() && any->is_array()) {
      std::vector<size_t> matched;
      std::string failures = Branches(value, at, *any, schema_at + "/anyOf", refs, &matched);
      if (matched.empty()) fail("matches none of anyOf: " + failures);
    }
    if (auto one = schema.find("oneOf"); one != schema.end() && one->is_array()) {
      std::vector<size_t> matched;
      std::string failures = Branches(value, at, *one, schema_at + "/oneOf", refs, &matched);
      if (matched.empty()) fail("matches none of oneOf: " + failures);
      if (matched.size() > 1) {
        std::string which;
        for (size_t i : matched) which += (which.empty() ? "[" : ", [") + std::to_string(i) + "]";
        fail("matches more than one of oneOf (" + which + "); exactly one must match");
      }
    }
    if (auto n = schema.find("not"); n != schema.end()) {
      std::vector<Violation> violations;
      Check(value, at, *n, schema_at + "/not", refs, &violations);
      if (violations.empty()) fail("matches the schema under \"not\"");
    }
  }

  const Json& root_;
  const Patterns& patterns_;
  const bool request_;
};

// "application/json" from "Application/JSON; charset=utf-8".
std::string MediaType(std::string_view content_type) {
  content_type = content_type.substr(0, content_type.find(';'));
  while (!content_type.empty() && content_type.back() == ' ') content_type.remove_suffix(1);
  while (!content_type.empty() && content_type.front() == ' ') content_type.remove_prefix(1);
  return Lower(content_type);
}

}  // namespace

struct OpenApiDocument::Parsed {
  const Operation* Find(std::string_view method, std::string_view path) const {
    path = path.substr(0, path.find_first_of("?#"));
    if (!path.starts_with('/')) return nullptr;
    std::vector<std::string> segments;
    for (std::string_view segment : SplitPath(path)) segments.push_back(PercentDecode(segment));
    const std::string upper = Upper(method);
    const Operation* best = nullptr;
    for (const Operation& op : operations) {
      if (op.method != upper || op.segments.size() != segments.size()) continue;
      bool all = true;
      for (size_t i = 0; all && i < segments.size(); ++i)
        all = Matches(op.segments[i], segments[i]);
      if (all && (!best || op.rank > best->rank)) best = &op;
    }
    return best;
  }

  // Checks `body` of `content_type` against the content of `message` (a
  // response or request body object at `pointer`).
  ::testing::AssertionResult CheckContent(const std::string& label, const Json& message,
                                          const std::string& pointer, std::string_view content_type,
                                          const Json& body, bool request) const {
    auto content = message.find("content");
    if (content == message.end() || content->empty()) return ::testing::AssertionSuccess();
    std::map<std::string, std::string> declared;  // media type -> key in content
    for (const auto& [key, media] : content->items()) declared.emplace(MediaType(key), key);
    const std::string type = MediaType(content_type);
    const std::string candidates[] = {type,
                                      type == "application/problem+json" ? "application/json" : "",
                                      type.substr(0, type.find('/')) + "/*", "*/*"};
    auto found = declared.end();
    for (const std::string& candidate : candidates) {
      if (found == declared.end() && !candidate.empty()) found = declared.find(candidate);
    }
    if (found == declared.end()) {
      std::string list;
      for (const auto& [key, media] : content->items()) list += (list.empty() ? "" : ", ") + key;
      return ::testing::AssertionFailure() << label << ": content type \"" << content_type
                                           << "\" is not declared (declared: " << list << ")";
    }
    const Json& media = (*content)[found->second];
    auto schema = media.find("schema");
    if (schema == media.end()) return ::testing::AssertionSuccess();
    std::vector<Violation> violations;
    Validator(document, patterns, request)
        .Check(body, "", *schema, Child(Child(pointer, "content"), found->second) + "/schema", {},
               &violations);
    if (violations.empty()) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << label << ": " << Join(violations);
  }

  Json document;
  std::vector<Operation> operations;  // sorted by (method, path_template)
  Patterns patterns;                  // every "pattern" of the document, compiled
};

OpenApiDocument::OpenApiDocument(std::shared_ptr<const Parsed> parsed)
    : parsed_(std::move(parsed)) {}

StatusOr<OpenApiDocument> OpenApiDocument::Parse(const Json& document) {
  auto parsed = std::make_shared<Parsed>();
  parsed->document = document;
  const Json& root = parsed->document;
  if (!root.is_object()) return InvalidArgumentError("(root): not an object");
  auto version = root.find("openapi");
  if (version == root.end()) return InvalidArgumentError("/openapi: missing");
  static const std::regex kVersion(R"(3\.[01]\.\d+(-.*)?)");
  if (!version->is_string() ||
      !std::regex_match(version->get_ref<const std::string&>(), kVersion)) {
    return InvalidArgumentError("/openapi: " + Excerpt(*version) + " is not 3.0.x or 3.1.x");
  }
  STEPD_RETURN_IF_ERROR(CheckRefsAndPatterns(root, root, "", false, &parsed->patterns));
  STEPD_ASSIGN_OR_RETURN(parsed->operations, ParsePaths(root));
  return OpenApiDocument(std::move(parsed));
}

std::vector<std::pair<std::string, std::string>> OpenApiDocument::Operations() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const Operation& op : parsed_->operations) out.emplace_back(op.method, op.path_template);
  return out;
}

std::optional<std::pair<std::string, std::string>> OpenApiDocument::FindOperation(
    std::string_view method, std::string_view path) const {
  const Operation* op = parsed_->Find(method, path);
  if (!op) return std::nullopt;
  return std::make_pair(op->method, op->path_template);
}

::testing::AssertionResult OpenApiDocument::CheckAnswer(std::string_view method,
                                                        std::string_view path, int status,
                                                        std::string_view content_type,
                                                        const Json* body) const {
  const Operation* op = parsed_->Find(method, path);
  if (!op) {
    return ::testing::AssertionFailure()
           << method << " " << path << ": the document declares no such operation";
  }
  const std::string label = op->method + " " + op->path_template + " " + std::to_string(status);
  const Json& responses = op->node->at("responses");
  const std::string code = std::to_string(status);
  std::string key = responses.contains(code) ? code : "";
  for (const auto& [declared, response] : responses.items()) {
    if (key.empty() && declared.size() == 3 && declared[0] == code[0] &&
        Upper(declared.substr(1)) == "XX") {
      key = declared;
    }
  }
  if (key.empty() && responses.contains("default")) key = "default";
  if (key.empty()) {
    std::string list;
    for (const auto& [declared, response] : responses.items()) {
      list += (list.empty() ? "" : ", ") + declared;
    }
    return ::testing::AssertionFailure()
           << label << ": status " << status << " is not declared (declared: " << list << ")";
  }
  if (!body) return ::testing::AssertionSuccess();
  std::string pointer = Child(op->pointer + "/responses", key);
  const Json* response = Follow(parsed_->document, responses.at(key), &pointer);
  return parsed_->CheckContent(label, *response, pointer, content_type, *body, false);
}

::testing::AssertionResult OpenApiDocument::CheckRequest(std::string_view method,
                                                         std::string_view path,
                                                         std::string_view content_type,
                                                         const Json& body) const {
  const Operation* op = parsed_->Find(method, path);
  if (!op) {
    return ::testing::AssertionFailure()
           << method << " " << path << ": the document declares no such operation";
  }
  const std::string label = op->method + " " + op->path_template + " request";
  auto request_body = op->node->find("requestBody");
  if (request_body == op->node->end()) {
    return ::testing::AssertionFailure() << label << ": the operation declares no request body";
  }
  std::string pointer = op->pointer + "/requestBody";
  const Json* message = Follow(parsed_->document, *request_body, &pointer);
  return parsed_->CheckContent(label, *message, pointer, content_type, body, true);
}

}  // namespace stepd::api::testing
