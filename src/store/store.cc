#include "stepd/store/store.h"

#include <algorithm>

#include "store_checks.h"

namespace stepd::store {

StatusOr<ExecutionRecord> Store::CommitTransition(const Transition& transition) {
  std::vector<TransitionGroup> groups(1);
  groups[0].push_back(transition);
  std::vector<Status> results;
  STEPD_RETURN_IF_ERROR(CommitTransitions(groups, &results));
  STEPD_RETURN_IF_ERROR(results[0]);
  return GetExecution(transition.execution_arn);
}

namespace {

bool IsActionRow(const AuditEntry& entry) {
  return entry.event_id == 0 || entry.action == "ExecutionStarted" ||
         entry.action == "ExecutionAborted" || entry.action == "ExecutionRedriven";
}

bool AuditRowMatches(const AuditQuery& query, const AuditEntry& entry) {
  return (query.actor.empty() || (entry.actor == query.actor && IsActionRow(entry))) &&
         (query.action.empty() || entry.action == query.action) &&
         (query.target.empty() || entry.target == query.target) &&
         (!query.since_ms || entry.timestamp_ms >= *query.since_ms) &&
         (!query.until_ms || entry.timestamp_ms < *query.until_ms);
}

}  // namespace

StatusOr<Page<AuditRecord>> Store::QueryAudit(const AuditQuery& query, const PageRequest& page) {
  constexpr std::string_view kOp = "QueryAudit";
  STEPD_ASSIGN_OR_RETURN(int limit, internal::PageSize(kOp, page));
  STEPD_ASSIGN_OR_RETURN(internal::PagePosition after,
                         internal::DecodePageToken(kOp, internal::TokenKind::kAudit, page));
  std::vector<AuditRecord> matching;
  PageRequest all{1000, ""};
  while (true) {
    STEPD_ASSIGN_OR_RETURN(Page<AuditRecord> chunk, ListAudit(all));
    for (AuditRecord& r : chunk.items) {
      if (!AuditRowMatches(query, r.entry)) continue;
      if (after.has_position &&
          (query.newest_first ? r.seq >= after.position : r.seq <= after.position)) {
        continue;
      }
      matching.push_back(std::move(r));
    }
    if (chunk.next_token.empty()) break;
    all.next_token = std::move(chunk.next_token);
  }
  if (query.newest_first) std::reverse(matching.begin(), matching.end());
  Page<AuditRecord> result;
  for (AuditRecord& r : matching) {
    if (static_cast<int>(result.items.size()) == limit) {
      result.next_token = internal::EncodePageToken(internal::TokenKind::kAudit, result.items.back().seq);
      break;
    }
    result.items.push_back(std::move(r));
  }
  return result;
}

}  // namespace stepd::store
