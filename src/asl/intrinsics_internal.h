#pragma once
// Private to src/asl/intrinsics_*.cc: the parsed form of an intrinsic call and
// the function implementations the evaluator dispatches to.

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "stepd/asl/errors.h"
#include "stepd/asl/intrinsics.h"
#include "stepd/asl/path_expr.h"
#include "stepd/base/json.h"

namespace stepd::asl::intrinsics_internal {

// A States.Format template split at its `{}` placeholders: pieces.size() - 1
// placeholders. `valid` is false when the template has a lone `{` or `}`.
struct FormatTemplate {
  std::vector<std::string> pieces;
  bool valid = true;

  size_t placeholders() const { return pieces.size() - 1; }
};

// Splits `text`. With `honor_escapes` (a literal of the definition, still
// holding its `\{` `\}` `\\` `\'` escapes), an escaped character is literal.
FormatTemplate CompileFormatTemplate(std::string_view text, bool honor_escapes);

struct Node;

// One argument: a literal value, a path, or a nested call.
using Arg = std::variant<Json, PathExpr, std::unique_ptr<Node>>;

struct Node {
  IntrinsicFunction function;
  std::vector<Arg> args;
  // States.Format with a literal first argument: its template, split once.
  std::optional<FormatTemplate> format;
  // Arguments whose value Evaluate must own (nested calls, indefinite paths).
  size_t owned_slots = 0;
};

// Runs `node.function` on already evaluated `args` (borrowed; never null).
AslResult<Json> Invoke(const Node& node, std::span<const Json* const> args);

// "Invalid arguments in States.Xxx", the cause AWS gives for any argument
// rejected by a function (wrong count, type, or value).
AslError InvalidArguments(IntrinsicFunction f);

// Compact JSON as AWS prints payloads in causes; invalid UTF-8 is replaced.
std::string DumpForCause(const Json& value);

}  // namespace stepd::asl::intrinsics_internal
