#include "stepd/asl/path_expr.h"

#include <utility>

namespace stepd::asl {

namespace {

bool IsVariableStart(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}
bool IsVariableChar(char c) { return IsVariableStart(c) || (c >= '0' && c <= '9'); }

}  // namespace

StatusOr<PathExpr> PathExpr::Parse(std::string_view text) {
  if (text.empty() || text[0] != '$') {
    return InvalidArgumentError("Invalid path '" + std::string(text) + "': must start with '$'");
  }
  Root root = Root::kInput;
  std::string variable;
  std::string tail = "$";
  if (text.size() >= 2 && text[1] == '$') {
    root = Root::kContext;
    tail.append(text.substr(2));
  } else if (text.size() >= 2 && IsVariableStart(text[1])) {
    root = Root::kVariable;
    size_t end = 1;
    while (end < text.size() && IsVariableChar(text[end])) ++end;
    variable = std::string(text.substr(1, end - 1));
    tail.append(text.substr(end));
  } else {
    tail = std::string(text);
  }
  auto path = JsonPath::Parse(tail);
  if (!path.ok()) {
    return InvalidArgumentError("Invalid path '" + std::string(text) +
                                "': " + path.status().message());
  }
  return PathExpr(root, std::move(variable), std::move(path).value(), std::string(text));
}

const Json* PathExpr::RootValue(const EvalScope& scope) const {
  switch (root_) {
    case Root::kInput:
      return scope.input;
    case Root::kContext:
      return scope.context;
    case Root::kVariable:
      return scope.variables != nullptr ? scope.variables->Find(variable_) : nullptr;
  }
  return nullptr;
}

std::optional<Json> PathExpr::Evaluate(const EvalScope& scope) const {
  const Json* root = RootValue(scope);
  if (root == nullptr) return std::nullopt;
  return path_.Evaluate(*root);
}

const Json* PathExpr::Find(const EvalScope& scope) const {
  const Json* root = RootValue(scope);
  if (root == nullptr) return nullptr;
  return path_.Find(*root);
}

}  // namespace stepd::asl
