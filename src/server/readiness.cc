#include "stepd/server/readiness.h"

#include <algorithm>
#include <utility>

namespace stepd::server {

Readiness::Readiness(std::vector<std::string> conditions)
    : conditions_(std::move(conditions)), done_(conditions_.size(), false) {}

bool Readiness::MarkDone(const std::string& condition) {
  std::lock_guard lock(mu_);
  auto it = std::find(conditions_.begin(), conditions_.end(), condition);
  if (it == conditions_.end()) return false;
  done_[it - conditions_.begin()] = true;
  return true;
}

void Readiness::MarkShuttingDown() {
  std::lock_guard lock(mu_);
  shutting_down_ = true;
}

bool Readiness::ready() const {
  std::lock_guard lock(mu_);
  return !shutting_down_ && std::all_of(done_.begin(), done_.end(), [](bool d) { return d; });
}

bool Readiness::shutting_down() const {
  std::lock_guard lock(mu_);
  return shutting_down_;
}

std::vector<std::string> Readiness::Pending() const {
  std::lock_guard lock(mu_);
  std::vector<std::string> pending;
  for (size_t i = 0; i < conditions_.size(); ++i) {
    if (!done_[i]) pending.push_back(conditions_[i]);
  }
  return pending;
}

}  // namespace stepd::server
