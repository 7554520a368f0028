#pragma once
// Readiness: what /readyz reports. Start-up declares the conditions it must
// meet ("database", "migrations", "recovery") and marks each one done as it
// completes; the process is ready when all are done and it is not shutting
// down. Thread-safe: any thread may mark or read.

#include <mutex>
#include <string>
#include <vector>

namespace stepd::server {

class Readiness {
 public:
  // Conditions, in the order they are expected to complete.
  explicit Readiness(std::vector<std::string> conditions);

  // Marks `condition` done. Unknown names are ignored (returns false).
  bool MarkDone(const std::string& condition);
  // From now on not ready, whatever the conditions (graceful shutdown).
  void MarkShuttingDown();

  bool ready() const;
  bool shutting_down() const;
  // Conditions not yet done, in declaration order.
  std::vector<std::string> Pending() const;

 private:
  mutable std::mutex mu_;
  std::vector<std::string> conditions_;  // guarded by mu_
  std::vector<bool> done_;               // guarded by mu_
  bool shutting_down_ = false;           // guarded by mu_
};

}  // namespace stepd::server
