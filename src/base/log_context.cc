#include "stepd/base/log_context.h"

#include <utility>

namespace stepd {
namespace {
thread_local LogContext current;
}  // namespace

const LogContext& CurrentLogContext() { return current; }

ScopedLogContext::ScopedLogContext(LogContext context) : saved_(current) {
  if (!context.request_id.empty()) current.request_id = std::move(context.request_id);
  if (!context.execution_arn.empty()) current.execution_arn = std::move(context.execution_arn);
}

ScopedLogContext::~ScopedLogContext() { current = std::move(saved_); }

}  // namespace stepd
