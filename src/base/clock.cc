#include "stepd/base/clock.h"

namespace stepd {

SystemClock* SystemClock::Default() {
  static SystemClock clock;
  return &clock;
}

TimePoint FakeClock::Now() const {
  std::lock_guard lock(mu_);
  return now_;
}

void FakeClock::Advance(Duration by) {
  std::lock_guard lock(mu_);
  now_ += by;
}

void FakeClock::Set(TimePoint to) {
  std::lock_guard lock(mu_);
  now_ = to;
}

}  // namespace stepd
