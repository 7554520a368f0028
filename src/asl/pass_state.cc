// Pass: its Result, or its effective input, becomes its result.
#include "runner.h"

namespace stepd::asl {

using interpreter_internal::StepContext;

void State::Resume(StepContext& ctx) const {
  Json eff = std::move(ctx.frame().effective);
  ctx.Complete(std::move(eff), false);
}

void PassState::Enter(StepContext& ctx) const {
  if (jsonata()) return ctx.Complete(Json(), false);  // Output reads $states.input
  if (result) {
    // Parameters are still evaluated (their errors surface) only when no Result.
    ctx.Complete(*result, false);
    return;
  }
  std::optional<Json> eff = ctx.EffectiveInput(true, true);
  if (!eff) return;
  ctx.Complete(std::move(*eff), false);
}

}  // namespace stepd::asl
