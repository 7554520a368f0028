#include "stepd/base/status.h"

#include <cstdio>
#include <cstdlib>

#include "stepd/base/status_or.h"

namespace stepd {

std::string_view StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return "OK";
    case StatusCode::kCancelled: return "CANCELLED";
    case StatusCode::kUnknown: return "UNKNOWN";
    case StatusCode::kInvalidArgument: return "INVALID_ARGUMENT";
    case StatusCode::kDeadlineExceeded: return "DEADLINE_EXCEEDED";
    case StatusCode::kNotFound: return "NOT_FOUND";
    case StatusCode::kAlreadyExists: return "ALREADY_EXISTS";
    case StatusCode::kPermissionDenied: return "PERMISSION_DENIED";
    case StatusCode::kResourceExhausted: return "RESOURCE_EXHAUSTED";
    case StatusCode::kFailedPrecondition: return "FAILED_PRECONDITION";
    case StatusCode::kAborted: return "ABORTED";
    case StatusCode::kOutOfRange: return "OUT_OF_RANGE";
    case StatusCode::kUnimplemented: return "UNIMPLEMENTED";
    case StatusCode::kInternal: return "INTERNAL";
    case StatusCode::kUnavailable: return "UNAVAILABLE";
    case StatusCode::kDataLoss: return "DATA_LOSS";
    case StatusCode::kUnauthenticated: return "UNAUTHENTICATED";
  }
  return "UNKNOWN";
}

Status::Status(StatusCode code, std::string_view message) {
  if (code != StatusCode::kOk) rep_ = std::make_unique<Rep>(Rep{code, std::string(message)});
}

Status::Status(const Status& other)
    : rep_(other.rep_ ? std::make_unique<Rep>(*other.rep_) : nullptr) {}

Status& Status::operator=(const Status& other) {
  if (this != &other) rep_ = other.rep_ ? std::make_unique<Rep>(*other.rep_) : nullptr;
  return *this;
}

const std::string& Status::message() const {
  static const std::string kEmpty;
  return rep_ ? rep_->message : kEmpty;
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  std::string out(StatusCodeName(rep_->code));
  out += ": ";
  out += rep_->message;
  return out;
}

Status Status::WithContext(std::string_view context) const {
  if (ok()) return *this;
  std::string message(context);
  message += ": ";
  message += rep_->message;
  return Status(rep_->code, message);
}

std::ostream& operator<<(std::ostream& os, const Status& status) {
  return os << status.ToString();
}

#define STEPD_DEFINE_ERROR_CONSTRUCTOR(Name, code) \
  Status Name(std::string_view message) { return Status(StatusCode::code, message); }
STEPD_DEFINE_ERROR_CONSTRUCTOR(CancelledError, kCancelled)
STEPD_DEFINE_ERROR_CONSTRUCTOR(UnknownError, kUnknown)
STEPD_DEFINE_ERROR_CONSTRUCTOR(InvalidArgumentError, kInvalidArgument)
STEPD_DEFINE_ERROR_CONSTRUCTOR(DeadlineExceededError, kDeadlineExceeded)
STEPD_DEFINE_ERROR_CONSTRUCTOR(NotFoundError, kNotFound)
STEPD_DEFINE_ERROR_CONSTRUCTOR(AlreadyExistsError, kAlreadyExists)
STEPD_DEFINE_ERROR_CONSTRUCTOR(PermissionDeniedError, kPermissionDenied)
STEPD_DEFINE_ERROR_CONSTRUCTOR(ResourceExhaustedError, kResourceExhausted)
STEPD_DEFINE_ERROR_CONSTRUCTOR(FailedPreconditionError, kFailedPrecondition)
STEPD_DEFINE_ERROR_CONSTRUCTOR(AbortedError, kAborted)
STEPD_DEFINE_ERROR_CONSTRUCTOR(OutOfRangeError, kOutOfRange)
STEPD_DEFINE_ERROR_CONSTRUCTOR(UnimplementedError, kUnimplemented)
STEPD_DEFINE_ERROR_CONSTRUCTOR(InternalError, kInternal)
STEPD_DEFINE_ERROR_CONSTRUCTOR(UnavailableError, kUnavailable)
STEPD_DEFINE_ERROR_CONSTRUCTOR(DataLossError, kDataLoss)
STEPD_DEFINE_ERROR_CONSTRUCTOR(UnauthenticatedError, kUnauthenticated)
#undef STEPD_DEFINE_ERROR_CONSTRUCTOR

namespace internal {
void DieOnBadStatusOrAccess(const Status& status) {
  std::fprintf(stderr, "stepd: value accessed on a StatusOr holding %s\n", status.ToString().c_str());
  std::abort();
}
}  // namespace internal

}  // namespace stepd
