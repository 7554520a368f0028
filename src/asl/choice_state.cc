// Choice: the first rule that matches names the next state; else Default.
#include "runner.h"

namespace stepd::asl {

void ChoiceState::Enter(interpreter_internal::StepContext& ctx) const {
  if (jsonata()) {
    // The first rule whose Condition is true; its Output and Assign apply.
    JsonataScope view = ctx.JsonataView(&ctx.frame().raw_input);
    for (const ChoiceBranch& b : choices) {
      std::optional<Json> c = ctx.EvaluateJsonata(*b.condition, view);
      if (!c) return;
      if (!c->is_boolean()) {
        return ctx.Fail(ctx.EvaluationFailed(b.condition->UnexpectedType("boolean", *c)));
      }
      if (c->get<bool>()) return ctx.Complete(Json(), false, b.next, nullptr, false, &b);
    }
    if (default_next >= 0) return ctx.Complete(Json(), false, default_next);
    return ctx.Fail(
        AslError::Of(StatesError::kNoChoiceMatched, "No Matches! at state '" + name + "'"));
  }
  std::optional<Json> eff = ctx.EffectiveInput(false, true);
  if (!eff) return;
  EvalScope scope = ctx.Scope(&*eff);
  for (const ChoiceBranch& b : choices) {
    AslResult<bool> r = b.rule.Evaluate(scope);
    if (!r.ok()) return ctx.Fail(ctx.Contextualize(std::move(r).take_error()));
    if (r.value()) {
      return ctx.Complete(std::move(*eff), false, b.next, b.assign ? &*b.assign : nullptr, false);
    }
  }
  if (default_next >= 0) return ctx.Complete(std::move(*eff), false, default_next);
  ctx.Fail(AslError::Of(StatesError::kNoChoiceMatched, "No Matches! at state '" + name + "'"));
}

}  // namespace stepd::asl
