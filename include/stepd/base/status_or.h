#pragma once
// StatusOr<T>: either a value of T or a non-OK Status explaining its absence.
// Accessing the value of a StatusOr that holds an error aborts the process:
// check ok() first, or use STEPD_ASSIGN_OR_RETURN.

#include <cstdlib>
#include <type_traits>
#include <utility>
#include <variant>

#include "stepd/base/status.h"

namespace stepd {

namespace internal {
[[noreturn]] void DieOnBadStatusOrAccess(const Status& status);
}  // namespace internal

template <typename T>
class [[nodiscard]] StatusOr {
  static_assert(!std::is_same_v<std::decay_t<T>, Status>, "StatusOr<Status> is not allowed");

 public:
  // Implicit so that `return value;` and `return NotFoundError(...)` both work.
  StatusOr(const T& value) : rep_(value) {}  // NOLINT
  StatusOr(T&& value) : rep_(std::move(value)) {}  // NOLINT
  template <typename U,
            typename = std::enable_if_t<std::is_constructible_v<T, U&&> &&
                                        !std::is_same_v<std::decay_t<U>, Status> &&
                                        !std::is_same_v<std::decay_t<U>, StatusOr>>>
  StatusOr(U&& value) : rep_(std::in_place_index<1>, std::forward<U>(value)) {}  // NOLINT
  // `status` must not be OK; an OK status becomes an INTERNAL error.
  StatusOr(Status status) : rep_(std::move(status)) {  // NOLINT
    if (std::get<0>(rep_).ok()) rep_ = InternalError("StatusOr constructed from an OK Status");
  }

  bool ok() const { return rep_.index() == 1; }
  // OK when a value is held.
  Status status() const { return ok() ? Status::OK() : std::get<0>(rep_); }

  const T& value() const& { Check(); return std::get<1>(rep_); }
  T& value() & { Check(); return std::get<1>(rep_); }
  T&& value() && { Check(); return std::get<1>(std::move(rep_)); }

  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }

  template <typename U>
  T value_or(U&& fallback) const& {
    return ok() ? std::get<1>(rep_) : static_cast<T>(std::forward<U>(fallback));
  }

 private:
  void Check() const {
    if (!ok()) internal::DieOnBadStatusOrAccess(std::get<0>(rep_));
  }
  std::variant<Status, T> rep_;
};

}  // namespace stepd

#define STEPD_STATUS_CONCAT_INNER_(a, b) a##b
#define STEPD_STATUS_CONCAT_(a, b) STEPD_STATUS_CONCAT_INNER_(a, b)

// Returns from the calling function when `expr` (a Status) is not OK.
#define STEPD_RETURN_IF_ERROR(expr)                   \
  do {                                                \
    ::stepd::Status _stepd_status = (expr);           \
    if (!_stepd_status.ok()) return _stepd_status;    \
  } while (false)

// `lhs` is assigned the value of `rexpr` (a StatusOr<T>), or the calling
// function returns its error. `lhs` may be a declaration: `auto x`.
#define STEPD_ASSIGN_OR_RETURN(lhs, rexpr) \
  STEPD_ASSIGN_OR_RETURN_IMPL_(STEPD_STATUS_CONCAT_(_stepd_statusor_, __LINE__), lhs, rexpr)
#define STEPD_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, rexpr) \
  auto tmp = (rexpr);                                 \
  if (!tmp.ok()) return tmp.status();                 \
  lhs = std::move(tmp).value()
