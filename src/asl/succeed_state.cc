// Succeed: ends its unit (the execution, a branch or an iteration) successfully.
#include "runner.h"

namespace stepd::asl {

void SucceedState::Enter(interpreter_internal::StepContext& ctx) const {
  std::optional<Json> eff = ctx.EffectiveInput(false, true);
  if (!eff) return;
  ctx.Complete(std::move(*eff), false, -1);
}

}  // namespace stepd::asl
