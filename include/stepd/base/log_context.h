#pragma once
// LogContext: what the work a thread is doing belongs to (the HTTP request,
// the execution), so that every log line written meanwhile can say so
// without each message repeating it. The server's log formatters add the
// current context's fields to each line (JSON: "request_id",
// "execution_arn"; text: "request_id=... execution_arn=...").
//
//   ScopedLogContext scope(LogContext::OfRequest(request.request_id));
//   logger->info("...");  // carries request_id
//
// The context is per thread. ThreadPool carries it with each task, from
// the thread that submitted it to the one that runs it, so a request's
// work handed to a pool still logs its request id.

#include <string>
#include <utility>

namespace stepd {

struct LogContext {
  std::string request_id;     // empty: none
  std::string execution_arn;  // empty: none

  static LogContext OfRequest(std::string request_id) { return {std::move(request_id), {}}; }
  static LogContext OfExecution(std::string execution_arn) {
    return {{}, std::move(execution_arn)};
  }
};

// This thread's context (both fields empty outside any scope).
const LogContext& CurrentLogContext();

// Sets this thread's context for its lifetime and restores the previous one
// after. Fields left empty keep the enclosing scope's value.
class ScopedLogContext {
 public:
  explicit ScopedLogContext(LogContext context);
  ~ScopedLogContext();
  ScopedLogContext(const ScopedLogContext&) = delete;
  ScopedLogContext& operator=(const ScopedLogContext&) = delete;

 private:
  LogContext saved_;
};

}  // namespace stepd
