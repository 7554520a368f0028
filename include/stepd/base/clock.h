#pragma once
// Clock: the one way stepd reads time, so that tests and `stepd run
// --fast-forward` can drive time by hand. Library code never calls
// std::chrono::system_clock::now() directly; it is handed a Clock.

#include <chrono>
#include <mutex>

namespace stepd {

using TimePoint = std::chrono::system_clock::time_point;
using Duration = std::chrono::system_clock::duration;

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time (timestamps in history and audit rows, Wait deadlines).
  virtual TimePoint Now() const = 0;
};

// Real time. Thread-safe; the shared instance lives for the whole process.
class SystemClock final : public Clock {
 public:
  TimePoint Now() const override { return std::chrono::system_clock::now(); }
  static SystemClock* Default();
};

// Time that moves only when told to. Thread-safe.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(TimePoint start = TimePoint{}) : now_(start) {}
  TimePoint Now() const override;
  void Advance(Duration by);
  // `to` may be earlier than Now(): tests of clock skew need that.
  void Set(TimePoint to);

 private:
  mutable std::mutex mu_;
  TimePoint now_;  // guarded by mu_
};

}  // namespace stepd
