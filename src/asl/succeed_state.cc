// Succeed: ends its unit (the execution, a branch or an iteration) successfully.
#include "runner.h"

namespace stepd::asl {

void SucceedState::Enter(interpreter_internal::StepContext& ctx) const {
  if (jsonata()) return ctx.Complete(Json(), false, -1);
  std::optional<Json> eff = ctx.EffectiveInput(false, true);
  if (!eff) return;
  ctx.Complete(std::move(*eff), false, -1);
}

}  // namespace stepd::asl
