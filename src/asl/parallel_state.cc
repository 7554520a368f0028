// Parallel: runs every branch as a child unit on the same input; the result
// is the array of branch outputs. The first failing branch fails the state.
#include "runner.h"

namespace stepd::asl {

using interpreter_internal::Frame;
using interpreter_internal::Phase;

void ParallelState::Enter(interpreter_internal::StepContext& ctx) const {
  std::optional<Json> eff = ctx.EffectiveInput(true);
  if (!eff) return;
  Frame& f = ctx.frame();
  ctx.Emit("ParallelStateStarted", "", std::string());
  f.total_children = static_cast<int64_t>(branches.size());
  f.succeeded_children = 0;
  f.failed_children = 0;
  f.running_children = 0;
  f.finished_children.clear();
  f.results = Json::array();
  for (size_t i = 0; i < branches.size(); ++i) f.results.push_back(nullptr);
  f.phase = Phase::kChildren;
  for (size_t i = 0; i < branches.size(); ++i) {
    ctx.StartChild(*branches[i], *eff, static_cast<int64_t>(i));
  }
}

void ParallelState::Resume(interpreter_internal::StepContext& ctx) const {
  Frame& f = ctx.frame();
  interpreter_internal::Runner& runner = ctx.runner();
  std::vector<int64_t> finished;
  finished.swap(f.finished_children);
  for (int64_t id : finished) {
    Frame* c = runner.Find(id);
    if (c == nullptr) continue;
    --f.running_children;
    if (c->succeeded) {
      f.results[static_cast<size_t>(c->child_index)] = std::move(c->output);
      ++f.succeeded_children;
      runner.frames_.erase(id);
      continue;
    }
    AslError err = c->error;
    runner.Retire(id);
    runner.AbortChildren(f, ctx.now());
    f.resume_children = true;
    return ctx.Fail(std::move(err), "ParallelStateFailed");
  }
  if (f.succeeded_children == f.total_children) {
    Json results = std::move(f.results);
    f.results = Json();
    ctx.Complete(std::move(results), true);
  }
}

}  // namespace stepd::asl
