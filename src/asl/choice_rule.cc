#include "stepd/asl/choice_rule.h"

#include <algorithm>
#include <array>
#include <optional>
#include <utility>
#include <vector>

#include "choice_timestamp.h"
#include "stepd/asl/path_expr.h"

namespace stepd::asl {

namespace choice_internal {

enum class Kind { kAnd, kOr, kNot, kCompare, kTest };
enum class Type { kString, kNumeric, kBoolean, kTimestamp };
enum class Cmp { kEq, kLt, kGt, kLe, kGe, kMatches };
enum class Test { kIsPresent, kIsNull, kIsBoolean, kIsNumeric, kIsString, kIsTimestamp };

struct Node {
  Kind kind = Kind::kCompare;
  std::vector<std::shared_ptr<const Node>> children;  // kAnd, kOr, kNot
  std::optional<PathExpr> variable;                   // kCompare, kTest
  Type type = Type::kString;
  Cmp cmp = Cmp::kEq;
  Test test = Test::kIsPresent;
  bool expected = true;                         // kTest: the operator's boolean operand
  Json literal;                                 // kCompare with a literal operand
  std::optional<ChoiceTimestamp> literal_time;  // kTimestamp literal, parsed once
  std::optional<PathExpr> operand_path;         // the *Path forms
};

}  // namespace choice_internal

namespace {

using choice_internal::Cmp;
using choice_internal::Kind;
using choice_internal::Node;
using choice_internal::Test;
using choice_internal::Type;

struct Operator {
  std::string_view name;
  Kind kind;
  Type type = Type::kString;
  Cmp cmp = Cmp::kEq;
  Test test = Test::kIsPresent;
  bool path = false;
};

#define STEPD_CHOICE_CMP_(prefix, type)                                                \
  Operator{prefix "Equals", Kind::kCompare, type, Cmp::kEq},                           \
      Operator{prefix "EqualsPath", Kind::kCompare, type, Cmp::kEq, {}, true},         \
      Operator{prefix "LessThan", Kind::kCompare, type, Cmp::kLt},                     \
      Operator{prefix "LessThanPath", Kind::kCompare, type, Cmp::kLt, {}, true},       \
      Operator{prefix "GreaterThan", Kind::kCompare, type, Cmp::kGt},                  \
      Operator{prefix "GreaterThanPath", Kind::kCompare, type, Cmp::kGt, {}, true},    \
      Operator{prefix "LessThanEquals", Kind::kCompare, type, Cmp::kLe},               \
      Operator{prefix "LessThanEqualsPath", Kind::kCompare, type, Cmp::kLe, {}, true}, \
      Operator{prefix "GreaterThanEquals", Kind::kCompare, type, Cmp::kGe}, Operator { \
    prefix "GreaterThanEqualsPath", Kind::kCompare, type, Cmp::kGe, {}, true           \
  }

constexpr Operator kOperators[] = {
    STEPD_CHOICE_CMP_("String", Type::kString),
    STEPD_CHOICE_CMP_("Numeric", Type::kNumeric),
    STEPD_CHOICE_CMP_("Timestamp", Type::kTimestamp),
    Operator{"StringMatches", Kind::kCompare, Type::kString, Cmp::kMatches},
    Operator{"BooleanEquals", Kind::kCompare, Type::kBoolean, Cmp::kEq},
    Operator{"BooleanEqualsPath", Kind::kCompare, Type::kBoolean, Cmp::kEq, {}, true},
    Operator{"IsPresent", Kind::kTest, {}, {}, Test::kIsPresent},
    Operator{"IsNull", Kind::kTest, {}, {}, Test::kIsNull},
    Operator{"IsBoolean", Kind::kTest, {}, {}, Test::kIsBoolean},
    Operator{"IsNumeric", Kind::kTest, {}, {}, Test::kIsNumeric},
    Operator{"IsString", Kind::kTest, {}, {}, Test::kIsString},
    Operator{"IsTimestamp", Kind::kTest, {}, {}, Test::kIsTimestamp},
    Operator{"And", Kind::kAnd},
    Operator{"Or", Kind::kOr},
    Operator{"Not", Kind::kNot},
};

#undef STEPD_CHOICE_CMP_

const Operator* FindOperator(std::string_view name) {
  for (const Operator& op : kOperators) {
    if (op.name == name) return &op;
  }
  return nullptr;
}

std::string_view TypeName(Type type) {
  switch (type) {
    case Type::kString:
    case Type::kTimestamp:
      return "String";
    case Type::kNumeric:
      return "Number";
    case Type::kBoolean:
      return "Boolean";
  }
  return "String";
}

class RuleCompiler {
 public:
  explicit RuleCompiler(Diagnostics* diagnostics) : errors_(diagnostics) {}

  std::shared_ptr<const Node> Compile(const Json& rule, const std::string& location,
                                      bool top_level) {
    if (!rule.is_object()) {
      Report("Expected value of type Object", location);
      return nullptr;
    }
    const Operator* op = nullptr;
    std::string op_key;
    int operators = 0;
    bool ok = true;
    for (const auto& [key, value] : rule.items()) {
      if (const Operator* found = FindOperator(key)) {
        ++operators;
        if (op == nullptr) {
          op = found;
          op_key = key;
        }
        continue;
      }
      if (key == "Variable" || key == "Comment") continue;
      if (top_level && (key == "Next" || key == "Assign")) continue;
      Report("Field '" + key + "' is not supported", location);
      ok = false;
    }
    if (top_level) {
      auto next = rule.find("Next");
      if (next == rule.end()) {
        Report("These fields are required: [Next]", location);
        ok = false;
      } else if (!next->is_string()) {
        Report("Expected value of type String", location + "/Next");
        ok = false;
      }
    }
    if (auto comment = rule.find("Comment"); comment != rule.end() && !comment->is_string()) {
      Report("Expected value of type String", location + "/Comment");
      ok = false;
    }
    if (operators != 1) {
      Report("A choice rule must have exactly one comparison operator or one of And, Or, Not",
             location);
      return nullptr;
    }
    const Json& operand = rule.at(op_key);
    const std::string operand_location = location + "/" + op_key;
    auto node = std::make_shared<Node>();
    node->kind = op->kind;
    node->type = op->type;
    node->cmp = op->cmp;
    node->test = op->test;

    if (op->kind == Kind::kAnd || op->kind == Kind::kOr || op->kind == Kind::kNot) {
      if (rule.contains("Variable")) {
        Report("Field 'Variable' is not supported", location);
        ok = false;
      }
      if (op->kind == Kind::kNot) {
        auto child = Compile(operand, operand_location, false);
        if (child == nullptr) return nullptr;
        node->children.push_back(std::move(child));
      } else {
        if (!operand.is_array() || operand.empty()) {
          Report("Expected a non-empty array", operand_location);
          return nullptr;
        }
        for (size_t i = 0; i < operand.size(); ++i) {
          auto child = Compile(operand[i], operand_location + "/" + std::to_string(i), false);
          if (child == nullptr) {
            ok = false;
            continue;
          }
          node->children.push_back(std::move(child));
        }
      }
      return ok ? node : nullptr;
    }

    // Comparisons and type tests need a Variable.
    auto variable = rule.find("Variable");
    if (variable == rule.end()) {
      Report("These fields are required: [Variable]", location);
      ok = false;
    } else if (auto path = ParsePath(*variable, "Variable", location + "/Variable")) {
      node->variable = std::move(path);
    } else {
      ok = false;
    }

    if (op->kind == Kind::kTest) {
      if (!operand.is_boolean()) {
        Report("Expected value of type Boolean", operand_location);
        return nullptr;
      }
      node->expected = operand.get<bool>();
      return ok ? node : nullptr;
    }
    if (op->path) {
      auto path = ParsePath(operand, op_key, operand_location);
      if (!path.has_value()) return nullptr;
      node->operand_path = std::move(path);
      return ok ? node : nullptr;
    }
    bool type_ok = false;
    switch (op->type) {
      case Type::kString:
      case Type::kTimestamp:
        type_ok = operand.is_string();
        break;
      case Type::kNumeric:
        type_ok = operand.is_number();
        break;
      case Type::kBoolean:
        type_ok = operand.is_boolean();
        break;
    }
    if (!type_ok) {
      Report("Expected value of type " + std::string(TypeName(op->type)), operand_location);
      return nullptr;
    }
    if (op->type == Type::kTimestamp) {
      node->literal_time = ParseChoiceTimestamp(operand.get_ref<const std::string&>());
      if (!node->literal_time.has_value()) {
        Report("String does not match RFC3339 timestamp", operand_location);
        return nullptr;
      }
    }
    node->literal = operand;
    return ok ? node : nullptr;
  }

  const std::string& first_error() const { return errors_.first_error(); }

 private:
  std::optional<PathExpr> ParsePath(const Json& value, std::string_view field,
                                    const std::string& location) {
    if (value.is_string()) {
      auto path = PathExpr::Parse(value.get_ref<const std::string&>());
      if (path.ok()) return std::move(path).value();
    }
    Report("The value for the field '" + std::string(field) + "' must be a valid JSONPath",
           location);
    return std::nullopt;
  }

  void Report(std::string message, const std::string& location) {
    errors_.Report(std::move(message), location);
  }

  SchemaErrorCollector errors_;
};

// ---- evaluation

// Java's String.compareTo order (UTF-16 code units), which differs from
// UTF-8 byte order only when characters above U+FFFF meet U+E000..U+FFFF.
int CompareStrings(const std::string& a, const std::string& b) {
  auto needs_utf16 = [](const std::string& s) {
    return std::any_of(s.begin(), s.end(),
                       [](char c) { return static_cast<unsigned char>(c) >= 0xEE; });
  };
  if (!needs_utf16(a) || !needs_utf16(b)) {
    int c = a.compare(b);
    return c < 0 ? -1 : c > 0 ? 1 : 0;
  }
  auto to_utf16 = [](const std::string& s) {
    std::u16string out;
    for (size_t i = 0; i < s.size();) {
      unsigned char c = static_cast<unsigned char>(s[i]);
      uint32_t cp = c;
      size_t len = 1;
      if (c >= 0xF0 && i + 3 < s.size()) {
        cp = ((c & 0x07u) << 18) | ((s[i + 1] & 0x3Fu) << 12) | ((s[i + 2] & 0x3Fu) << 6) |
             (s[i + 3] & 0x3Fu);
        len = 4;
      } else if (c >= 0xE0 && i + 2 < s.size()) {
        cp = ((c & 0x0Fu) << 12) | ((s[i + 1] & 0x3Fu) << 6) | (s[i + 2] & 0x3Fu);
        len = 3;
      } else if (c >= 0xC0 && i + 1 < s.size()) {
        cp = ((c & 0x1Fu) << 6) | (s[i + 1] & 0x3Fu);
        len = 2;
      }
      if (cp >= 0x10000) {
        cp -= 0x10000;
        out.push_back(static_cast<char16_t>(0xD800 + (cp >> 10)));
        out.push_back(static_cast<char16_t>(0xDC00 + (cp & 0x3FF)));
      } else {
        out.push_back(static_cast<char16_t>(cp));
      }
      i += len;
    }
    return out;
  };
  int c = to_utf16(a).compare(to_utf16(b));
  return c < 0 ? -1 : c > 0 ? 1 : 0;
}

int CompareNumbers(const Json& a, const Json& b) {
  if (a.is_number_integer() && b.is_number_integer() && !a.is_number_unsigned() &&
      !b.is_number_unsigned()) {
    auto x = a.get<int64_t>(), y = b.get<int64_t>();
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (a.is_number_unsigned() && b.is_number_unsigned()) {
    auto x = a.get<uint64_t>(), y = b.get<uint64_t>();
    return x < y ? -1 : x > y ? 1 : 0;
  }
  double x = a.get<double>(), y = b.get<double>();
  return x < y ? -1 : x > y ? 1 : 0;
}

// '*' matches any run of characters; "\*" is a literal '*', "\\" a literal '\'.
bool Matches(std::string_view text, std::string_view pattern) {
  size_t t = 0, p = 0;
  size_t star_p = std::string_view::npos, star_t = 0;
  while (t < text.size()) {
    if (p < pattern.size()) {
      char pc = pattern[p];
      size_t width = 1;
      bool literal = false;
      if (pc == '\\' && p + 1 < pattern.size()) {
        pc = pattern[p + 1];
        width = 2;
        literal = true;
      }
      if (!literal && pc == '*') {
        star_p = ++p;
        star_t = t;
        continue;
      }
      if (pc == text[t]) {
        p += width;
        ++t;
        continue;
      }
    }
    if (star_p == std::string_view::npos) return false;
    p = star_p;
    t = ++star_t;
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

bool Ordered(int c, Cmp cmp) {
  switch (cmp) {
    case Cmp::kEq:
      return c == 0;
    case Cmp::kLt:
      return c < 0;
    case Cmp::kGt:
      return c > 0;
    case Cmp::kLe:
      return c <= 0;
    case Cmp::kGe:
      return c >= 0;
    case Cmp::kMatches:
      return false;
  }
  return false;
}

bool Compare(const Node& n, const Json& value, const Json& operand) {
  switch (n.type) {
    case Type::kString:
      if (!value.is_string() || !operand.is_string()) return false;
      if (n.cmp == Cmp::kMatches) {
        return Matches(value.get_ref<const std::string&>(), operand.get_ref<const std::string&>());
      }
      return Ordered(CompareStrings(value.get_ref<const std::string&>(),
                                    operand.get_ref<const std::string&>()),
                     n.cmp);
    case Type::kNumeric:
      if (!value.is_number() || !operand.is_number()) return false;
      return Ordered(CompareNumbers(value, operand), n.cmp);
    case Type::kBoolean:
      return value.is_boolean() && operand.is_boolean() && value.get<bool>() == operand.get<bool>();
    case Type::kTimestamp: {
      if (!value.is_string()) return false;
      std::optional<ChoiceTimestamp> left =
          ParseChoiceTimestamp(value.get_ref<const std::string&>());
      if (!left.has_value()) return false;
      std::optional<ChoiceTimestamp> right = n.literal_time;
      if (n.operand_path.has_value()) {
        if (!operand.is_string()) return false;
        right = ParseChoiceTimestamp(operand.get_ref<const std::string&>());
      }
      if (!right.has_value()) return false;
      return Ordered(left->Compare(*right), n.cmp);
    }
  }
  return false;
}

AslError InvalidPath(const PathExpr& path) {
  return AslError::Of(StatesError::kRuntime,
                      "Invalid path '" + path.text() +
                          "': The choice state's condition path references an invalid value.");
}

// The value `path` selects: a borrowed pointer for definite paths; indefinite
// ones materialise their match array in `storage`.
const Json* Resolve(const PathExpr& path, const EvalScope& scope, std::optional<Json>* storage) {
  if (path.IsDefinite()) return path.Find(scope);
  *storage = path.Evaluate(scope);
  return storage->has_value() ? &**storage : nullptr;
}

AslResult<bool> Evaluate(const Node& n, const EvalScope& scope) {
  switch (n.kind) {
    case Kind::kAnd:
      for (const auto& child : n.children) {
        STEPD_ASL_ASSIGN_OR_RETURN(bool v, Evaluate(*child, scope));
        if (!v) return false;
      }
      return true;
    case Kind::kOr:
      for (const auto& child : n.children) {
        STEPD_ASL_ASSIGN_OR_RETURN(bool v, Evaluate(*child, scope));
        if (v) return true;
      }
      return false;
    case Kind::kNot: {
      STEPD_ASL_ASSIGN_OR_RETURN(bool v, Evaluate(*n.children.front(), scope));
      return !v;
    }
    case Kind::kTest:
    case Kind::kCompare:
      break;
  }
  std::optional<Json> storage;
  const Json* value = Resolve(*n.variable, scope, &storage);
  if (n.kind == Kind::kTest) {
    if (n.test == Test::kIsPresent) return (value != nullptr) == n.expected;
    if (value == nullptr) return InvalidPath(*n.variable);
    bool is = false;
    switch (n.test) {
      case Test::kIsPresent:
        break;
      case Test::kIsNull:
        is = value->is_null();
        break;
      case Test::kIsBoolean:
        is = value->is_boolean();
        break;
      case Test::kIsNumeric:
        is = value->is_number();
        break;
      case Test::kIsString:
        is = value->is_string();
        break;
      case Test::kIsTimestamp:
        is = value->is_string() &&
             ParseChoiceTimestamp(value->get_ref<const std::string&>()).has_value();
        break;
    }
    return is == n.expected;
  }
  if (value == nullptr) return InvalidPath(*n.variable);
  if (!n.operand_path.has_value()) return Compare(n, *value, n.literal);
  std::optional<Json> operand_storage;
  const Json* operand = Resolve(*n.operand_path, scope, &operand_storage);
  if (operand == nullptr) return InvalidPath(*n.operand_path);
  return Compare(n, *value, *operand);
}

}  // namespace

StatusOr<ChoiceRule> ChoiceRule::Compile(const Json& rule, std::string_view location,
                                         bool top_level, Diagnostics* diagnostics) {
  RuleCompiler compiler(diagnostics);
  std::shared_ptr<const Node> node = compiler.Compile(rule, std::string(location), top_level);
  if (node == nullptr || !compiler.first_error().empty()) {
    return InvalidArgumentError(compiler.first_error());
  }
  ChoiceRule out;
  out.node_ = std::move(node);
  if (top_level) {
    out.next_ = rule.at("Next").get<std::string>();
    if (auto assign = rule.find("Assign"); assign != rule.end()) out.assign_ = *assign;
  }
  return out;
}

AslResult<bool> ChoiceRule::Evaluate(const EvalScope& scope) const {
  if (node_ == nullptr) return false;
  return asl::Evaluate(*node_, scope);
}

}  // namespace stepd::asl
