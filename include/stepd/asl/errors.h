#pragma once
// ASL runtime errors are data: a failed state produces an AslError that flows
// to Retry/Catch, never an exception and never a Status (a Status is for
// failures of stepd itself, such as a failed disk write).
//
// Model: cel-cpp runtime/runtime.h (errors as values); the States.* names live
// in one table, as SerenityOS LibSQL/Result.h keeps its error kinds.

#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace stepd::asl {

// X(Enumerator, "States.Name"): every predefined error name of the ASL
// specification and Step Functions.
#define STEPD_ASL_STATES_ERRORS(X)                                              \
  X(kAll, "States.ALL")                                                         \
  X(kBranchFailed, "States.BranchFailed")                                       \
  X(kDataLimitExceeded, "States.DataLimitExceeded")                             \
  X(kExceedToleratedFailureThreshold, "States.ExceedToleratedFailureThreshold") \
  X(kHeartbeatTimeout, "States.HeartbeatTimeout")                               \
  X(kHttpSocket, "States.Http.Socket")                                          \
  X(kIntrinsicFailure, "States.IntrinsicFailure")                               \
  X(kItemReaderFailed, "States.ItemReaderFailed")                               \
  X(kNoChoiceMatched, "States.NoChoiceMatched")                                 \
  X(kParameterPathFailure, "States.ParameterPathFailure")                       \
  X(kPermissions, "States.Permissions")                                         \
  X(kQueryEvaluationError, "States.QueryEvaluationError")                       \
  X(kResultPathMatchFailure, "States.ResultPathMatchFailure")                   \
  X(kResultWriterFailed, "States.ResultWriterFailed")                           \
  X(kRuntime, "States.Runtime")                                                 \
  X(kTaskFailed, "States.TaskFailed")                                           \
  X(kTimeout, "States.Timeout")

enum class StatesError {
#define STEPD_ASL_ENUM_(e, name) e,
  STEPD_ASL_STATES_ERRORS(STEPD_ASL_ENUM_)
#undef STEPD_ASL_ENUM_
};

// "States.Runtime" for StatesError::kRuntime.
std::string_view StatesErrorName(StatesError e);
// True for a name of the table above (used by Retry/Catch validation).
bool IsPredefinedStatesError(std::string_view name);

// An error raised while running a state: `error` is the name matched by
// Retry/Catch ErrorEquals, `cause` the human-readable text AWS shows.
struct AslError {
  std::string error;
  std::string cause;

  static AslError Of(StatesError e, std::string cause) {
    return AslError{std::string(StatesErrorName(e)), std::move(cause)};
  }
  friend bool operator==(const AslError&, const AslError&) = default;
};

// AslResult<T>: a value of T, or the AslError a state raised instead.
template <typename T>
class [[nodiscard]] AslResult {
 public:
  AslResult(T value) : rep_(std::in_place_index<0>, std::move(value)) {}         // NOLINT
  AslResult(AslError error) : rep_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool ok() const { return rep_.index() == 0; }
  // Only when ok().
  const T& value() const& { return std::get<0>(rep_); }
  T& value() & { return std::get<0>(rep_); }
  T&& value() && { return std::get<0>(std::move(rep_)); }
  // Only when !ok().
  const AslError& error() const { return std::get<1>(rep_); }
  AslError&& take_error() && { return std::get<1>(std::move(rep_)); }

 private:
  std::variant<T, AslError> rep_;
};

}  // namespace stepd::asl

// `lhs` gets the value of `rexpr` (an AslResult<T>), or the calling function
// returns its AslError.
#define STEPD_ASL_CONCAT_INNER_(a, b) a##b
#define STEPD_ASL_CONCAT_(a, b) STEPD_ASL_CONCAT_INNER_(a, b)
#define STEPD_ASL_ASSIGN_OR_RETURN(lhs, rexpr) \
  STEPD_ASL_ASSIGN_OR_RETURN_IMPL_(STEPD_ASL_CONCAT_(_stepd_asl_result_, __LINE__), lhs, rexpr)
#define STEPD_ASL_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, rexpr) \
  auto tmp = (rexpr);                                     \
  if (!tmp.ok()) return std::move(tmp).take_error();      \
  lhs = std::move(tmp).value()
