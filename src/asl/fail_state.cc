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
  if (jsonata()) {
    std::string texts[2] = {error.value_or(""), cause.value_or("")};
    const std::optional<JsonataTemplate>* fields[2] = {&error_expression, &cause_expression};
    for (int i = 0; i < 2; ++i) {
      if (!*fields[i]) continue;
      const JsonataTemplate& t = **fields[i];
      auto r = t.Evaluate(ctx.JsonataView(&ctx.frame().raw_input));
      if (auto* f = std::get_if<JsonataFailure>(&r)) {
        return ctx.FailUnit(ctx.EvaluationFailed(std::move(*f)));
      }
      Json v = std::get<Json>(std::move(r));
      if (!v.is_string()) return ctx.FailUnit(ctx.EvaluationFailed(t.UnexpectedType("string", v)));
      texts[i] = v.get<std::string>();
    }
    return ctx.FailUnit(AslError{std::move(texts[0]), std::move(texts[1])});
  }
  auto e = Resolve(ctx, error, error_path, error_call, error_path_text, "ErrorPath");
  if (!e.ok()) return ctx.FailUnit(std::move(e).take_error());
  auto c = Resolve(ctx, cause, cause_path, cause_call, cause_path_text, "CausePath");
  if (!c.ok()) return ctx.FailUnit(std::move(c).take_error());
  ctx.FailUnit(AslError{e.value().value_or(""), c.value().value_or("")});
}

}  // namespace stepd::asl
