#include "stepd/store/store.h"

namespace stepd::store {

StatusOr<ExecutionRecord> Store::CommitTransition(const Transition& transition) {
  std::vector<TransitionGroup> groups(1);
  groups[0].push_back(transition);
  std::vector<Status> results;
  STEPD_RETURN_IF_ERROR(CommitTransitions(groups, &results));
  STEPD_RETURN_IF_ERROR(results[0]);
  return GetExecution(transition.execution_arn);
}

}  // namespace stepd::store
