// Parser and evaluator of intrinsic calls. Grammar (AWS):
//   call    := "States." Name "(" [ arg { "," arg } ] ")"
//   arg     := 'string' | number | true | false | null | path | call
//   string  := single-quoted; escapes \' \{ \} \\ only
//   path    := "$" ... up to the next top-level "," or ")"
// Whitespace is allowed around arguments. At most kMaxNesting calls deep.

#include <array>
#include <cctype>
#include <utility>

#include "intrinsics_internal.h"
#include "stepd/asl/intrinsics.h"

namespace stepd::asl {

namespace {

using intrinsics_internal::Arg;
using intrinsics_internal::Node;

// "You can nest up to 10 intrinsic functions within a field."
constexpr int kMaxNesting = 10;

constexpr std::array<std::pair<std::string_view, IntrinsicFunction>, 18> kFunctions = {{
    {"States.Format", IntrinsicFunction::kFormat},
    {"States.StringToJson", IntrinsicFunction::kStringToJson},
    {"States.JsonToString", IntrinsicFunction::kJsonToString},
    {"States.Array", IntrinsicFunction::kArray},
    {"States.ArrayPartition", IntrinsicFunction::kArrayPartition},
    {"States.ArrayContains", IntrinsicFunction::kArrayContains},
    {"States.ArrayRange", IntrinsicFunction::kArrayRange},
    {"States.ArrayGetItem", IntrinsicFunction::kArrayGetItem},
    {"States.ArrayLength", IntrinsicFunction::kArrayLength},
    {"States.ArrayUnique", IntrinsicFunction::kArrayUnique},
    {"States.Base64Encode", IntrinsicFunction::kBase64Encode},
    {"States.Base64Decode", IntrinsicFunction::kBase64Decode},
    {"States.Hash", IntrinsicFunction::kHash},
    {"States.JsonMerge", IntrinsicFunction::kJsonMerge},
    {"States.MathRandom", IntrinsicFunction::kMathRandom},
    {"States.MathAdd", IntrinsicFunction::kMathAdd},
    {"States.StringSplit", IntrinsicFunction::kStringSplit},
    {"States.UUID", IntrinsicFunction::kUuid},
}};

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  StatusOr<std::unique_ptr<Node>> ParseWhole() {
    SkipSpace();
    STEPD_ASSIGN_OR_RETURN(auto node, ParseCall(1));
    SkipSpace();
    if (pos_ != text_.size()) return Error("unexpected text after the closing ')'");
    return node;
  }

 private:
  // A parsed argument plus, for a string literal, its text between the quotes
  // with escapes still in place (States.Format needs them).
  struct ParsedArg {
    Arg arg;
    std::optional<std::string_view> raw_string;
  };

  StatusOr<std::unique_ptr<Node>> ParseCall(int depth) {
    if (depth > kMaxNesting) {
      return Error("intrinsic functions nest more than " + std::to_string(kMaxNesting) + " deep");
    }
    size_t name_start = pos_;
    if (text_.substr(pos_, 7) != "States.") return Error("expected 'States.'");
    pos_ += 7;
    while (pos_ < text_.size() && std::isalnum(static_cast<unsigned char>(text_[pos_]))) ++pos_;
    std::string_view name = text_.substr(name_start, pos_ - name_start);
    auto node = std::make_unique<Node>();
    bool known = false;
    for (const auto& [fn_name, fn] : kFunctions) {
      if (fn_name == name) {
        node->function = fn;
        known = true;
        break;
      }
    }
    if (!known) return Error("unknown intrinsic function '" + std::string(name) + "'");
    if (!Consume('(')) return Error("expected '(' after " + std::string(name));
    SkipSpace();
    std::optional<std::string_view> first_raw;
    if (!Consume(')')) {
      while (true) {
        SkipSpace();
        STEPD_ASSIGN_OR_RETURN(ParsedArg parsed, ParseArg(depth));
        if (node->args.empty()) first_raw = parsed.raw_string;
        if (std::holds_alternative<std::unique_ptr<Node>>(parsed.arg) ||
            (std::holds_alternative<PathExpr>(parsed.arg) &&
             !std::get<PathExpr>(parsed.arg).IsDefinite())) {
          ++node->owned_slots;
        }
        node->args.push_back(std::move(parsed.arg));
        SkipSpace();
        if (Consume(')')) break;
        if (!Consume(',')) return Error("expected ',' or ')'");
      }
    }
    if (node->function == IntrinsicFunction::kFormat && first_raw.has_value()) {
      node->format = intrinsics_internal::CompileFormatTemplate(*first_raw, true);
    }
    return node;
  }

  StatusOr<ParsedArg> ParseArg(int depth) {
    if (pos_ >= text_.size()) return Error("expected an argument");
    char c = text_[pos_];
    if (c == '\'') return ParseString();
    if (c == '$') return ParsePath();
    if (c == '-' || std::isdigit(static_cast<unsigned char>(c))) return ParseNumber();
    if (text_.substr(pos_, 7) == "States.") {
      STEPD_ASSIGN_OR_RETURN(auto call, ParseCall(depth + 1));
      return ParsedArg{Arg(std::move(call)), std::nullopt};
    }
    for (auto [word, value] : {std::pair<std::string_view, Json>{"true", Json(true)},
                               {"false", Json(false)},
                               {"null", Json(nullptr)}}) {
      if (text_.substr(pos_, word.size()) == word && AtArgEnd(pos_ + word.size())) {
        pos_ += word.size();
        return ParsedArg{Arg(std::move(value)), std::nullopt};
      }
    }
    return Error("invalid argument");
  }

  StatusOr<ParsedArg> ParseString() {
    ++pos_;  // opening quote
    size_t start = pos_;
    std::string value;
    while (true) {
      if (pos_ >= text_.size()) return Error("unterminated string literal");
      char c = text_[pos_];
      if (c == '\'') break;
      if (c == '\\') {
        if (pos_ + 1 >= text_.size()) return Error("unterminated string literal");
        char e = text_[pos_ + 1];
        if (e != '\'' && e != '{' && e != '}' && e != '\\') {
          ++pos_;
          return Error(std::string("illegal escape sequence '\\") + e + "' in string literal");
        }
        value.push_back(e);
        pos_ += 2;
        continue;
      }
      value.push_back(c);
      ++pos_;
    }
    std::string_view raw = text_.substr(start, pos_ - start);
    ++pos_;  // closing quote
    return ParsedArg{Arg(Json(std::move(value))), raw};
  }

  StatusOr<ParsedArg> ParsePath() {
    size_t start = pos_;
    int brackets = 0;
    int parens = 0;
    char quote = 0;
    for (; pos_ < text_.size(); ++pos_) {
      char c = text_[pos_];
      if (quote != 0) {
        if (c == '\\' && pos_ + 1 < text_.size()) {
          ++pos_;
        } else if (c == quote) {
          quote = 0;
        }
        continue;
      }
      if (brackets > 0 && (c == '\'' || c == '"')) {
        quote = c;
      } else if (c == '[') {
        ++brackets;
      } else if (c == ']') {
        if (brackets > 0) --brackets;
      } else if (brackets > 0 && c == '(') {
        ++parens;
      } else if (brackets > 0 && c == ')' && parens > 0) {
        --parens;
      } else if (brackets == 0 && (c == ',' || c == ')')) {
        break;
      }
    }
    size_t end = pos_;
    while (end > start && IsSpace(text_[end - 1])) --end;
    std::string_view path_text = text_.substr(start, end - start);
    auto path = PathExpr::Parse(path_text);
    if (!path.ok()) {
      pos_ = start;
      return Error("invalid path '" + std::string(path_text) + "': " + path.status().message());
    }
    return ParsedArg{Arg(std::move(path).value()), std::nullopt};
  }

  StatusOr<ParsedArg> ParseNumber() {
    // JSON number grammar: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
    size_t start = pos_;
    auto digits = [&] {
      size_t n = 0;
      while (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_]))) {
        ++pos_;
        ++n;
      }
      return n;
    };
    if (text_[pos_] == '-') ++pos_;
    if (pos_ < text_.size() && text_[pos_] == '0') {
      ++pos_;
    } else if (digits() == 0) {
      return Error("invalid number");
    }
    if (pos_ < text_.size() && text_[pos_] == '.') {
      ++pos_;
      if (digits() == 0) return Error("invalid number");
    }
    if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      ++pos_;
      if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
      if (digits() == 0) return Error("invalid number");
    }
    if (!AtArgEnd(pos_)) return Error("invalid number");
    Json number = Json::parse(text_.substr(start, pos_ - start), nullptr, false);
    if (number.is_discarded()) return Error("invalid number");
    return ParsedArg{Arg(std::move(number)), std::nullopt};
  }

  bool AtArgEnd(size_t at) const {
    while (at < text_.size() && IsSpace(text_[at])) ++at;
    return at < text_.size() && (text_[at] == ',' || text_[at] == ')');
  }
  bool Consume(char c) {
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  void SkipSpace() {
    while (pos_ < text_.size() && IsSpace(text_[pos_])) ++pos_;
  }
  Status Error(const std::string& what) const {
    return InvalidArgumentError("invalid intrinsic function call '" + std::string(text_) +
                                "': " + what + " at offset " + std::to_string(pos_));
  }

  std::string_view text_;
  size_t pos_ = 0;
};

AslResult<Json> EvaluateNode(const Node& node, const EvalScope& scope) {
  // Arguments are borrowed where they already exist (literals, values in the
  // input); only nested results and indefinite-path matches are owned here.
  constexpr size_t kInlineArgs = 8;
  std::array<const Json*, kInlineArgs> inline_values;
  std::vector<const Json*> heap_values;
  const Json** values = inline_values.data();
  if (node.args.size() > kInlineArgs) {
    heap_values.resize(node.args.size());
    values = heap_values.data();
  }
  size_t count = 0;
  std::vector<Json> owned;
  if (node.owned_slots > 0)
    owned.reserve(node.owned_slots);  // never reallocates: `values` points into it
  for (const Arg& arg : node.args) {
    if (const Json* literal = std::get_if<Json>(&arg)) {
      values[count++] = literal;
    } else if (const PathExpr* path = std::get_if<PathExpr>(&arg)) {
      const Json* found = nullptr;
      if (path->IsDefinite()) {
        found = path->Find(scope);
      } else if (std::optional<Json> matches = path->Evaluate(scope)) {
        found = &owned.emplace_back(std::move(*matches));
      }
      if (found == nullptr) {
        return AslError::Of(
            StatesError::kRuntime,
            "The JsonPath argument for the field '" + path->text() +
                "' could not be found in the input '" +
                (scope.input != nullptr ? intrinsics_internal::DumpForCause(*scope.input)
                                        : std::string("null")) +
                "'");
      }
      values[count++] = found;
    } else {
      STEPD_ASL_ASSIGN_OR_RETURN(Json nested,
                                 EvaluateNode(*std::get<std::unique_ptr<Node>>(arg), scope));
      values[count++] = &owned.emplace_back(std::move(nested));
    }
  }
  return intrinsics_internal::Invoke(node, std::span<const Json* const>(values, count));
}

}  // namespace

namespace intrinsics_internal {

FormatTemplate CompileFormatTemplate(std::string_view text, bool honor_escapes) {
  FormatTemplate result;
  result.pieces.emplace_back();
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (honor_escapes && c == '\\' && i + 1 < text.size()) {
      result.pieces.back().push_back(text[++i]);
    } else if (c == '{' && i + 1 < text.size() && text[i + 1] == '}') {
      result.pieces.emplace_back();
      ++i;
    } else if (c == '{' || c == '}') {
      result.valid = false;
      result.pieces.back().push_back(c);
    } else {
      result.pieces.back().push_back(c);
    }
  }
  return result;
}

std::string DumpForCause(const Json& value) {
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace intrinsics_internal

std::string_view IntrinsicFunctionName(IntrinsicFunction f) {
  for (const auto& [name, fn] : kFunctions) {
    if (fn == f) return name;
  }
  return "States.Unknown";
}

bool LooksLikeIntrinsic(std::string_view text) {
  return text.substr(0, 7) == "States." && text.find('(') != std::string_view::npos;
}

StatusOr<IntrinsicCall> IntrinsicCall::Parse(std::string_view text) {
  STEPD_ASSIGN_OR_RETURN(std::unique_ptr<Node> root, Parser(text).ParseWhole());
  return IntrinsicCall(std::string(text), std::shared_ptr<const Node>(std::move(root)));
}

IntrinsicCall::IntrinsicCall(std::string text, std::shared_ptr<const Node> root)
    : text_(std::move(text)), root_(std::move(root)) {}

IntrinsicCall::~IntrinsicCall() = default;

AslResult<Json> IntrinsicCall::Evaluate(const EvalScope& scope) const {
  return EvaluateNode(*root_, scope);
}

const std::string& IntrinsicCall::text() const { return text_; }

IntrinsicFunction IntrinsicCall::function() const { return root_->function; }

}  // namespace stepd::asl
