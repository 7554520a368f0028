// Fail: ends its unit with Error/Cause (or ErrorPath/CausePath).
#include "runner.h"

namespace stepd::asl {
namespace {

// The field's text, or a States.Runtime error worded as AWS.
AslResult<std::optional<std::string>> Resolve(interpreter_internal::StepContext& ctx,
                                              const std::optional<std::string>& literal,
                                              const std::optional<PathExpr>& path,
                                              const std::optional<IntrinsicCall>& call,
                                              const std::string& path_text,
                                              std::string_view field) {
  if (literal) return std::optional<std::string>(*literal);
  if (!path && !call) return std::optional<std::string>();
  const Json& input = ctx.frame().raw_input;
  EvalScope scope = ctx.Scope(&input);
  Json value;
  if (call) {
    auto r = call->Evaluate(scope);
    if (!r.ok()) return ctx.Contextualize(std::move(r).take_error());
    value = std::move(r).value();
  } else {
    std::optional<Json> v = path->Evaluate(scope);
    if (!v) {
      return ctx.RuntimeError("The JSONPath '" + path_text + "' specified for the field '" +
                              std::string(field) + "' could not be found in the input '" +
                              input.dump() + "'");
    }
    value = std::move(*v);
  }
  return std::optional<std::string>(value.is_string() ? value.get<std::string>() : value.dump());
}

}  // namespace

void FailState::Enter(interpreter_internal::StepContext& ctx) const {
  auto e = Resolve(ctx, error, error_path, error_call, error_path_text, "ErrorPath");
  if (!e.ok()) return ctx.FailUnit(std::move(e).take_error());
  auto c = Resolve(ctx, cause, cause_path, cause_call, cause_path_text, "CausePath");
  if (!c.ok()) return ctx.FailUnit(std::move(c).take_error());
  ctx.FailUnit(AslError{e.value().value_or(""), c.value().value_or("")});
}

}  // namespace stepd::asl
