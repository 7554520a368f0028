#pragma once
// The process's loggers. The server layer creates one logger at start-up and
// hands it (or a Named() child sharing its sinks) down to every layer by
// std::shared_ptr; nothing registers with spdlog's global registry or uses
// its default logger.
//
// Formats (LogOptions::format):
//   text  2026-11-24T08:15:02.114Z info     [http] GET /v1/executions 200 ... request_id=7f3a...
//   json  {"ts":"2026-11-24T08:15:02.114Z","level":"info","logger":"http","msg":"GET ...",
//          "request_id":"7f3a...","execution_arn":"arn:aws:states:..."}
// request_id and execution_arn are the writing thread's LogContext
// (base/log_context.h), present only when set: the HTTP request being
// served (also in the pools its work is handed to) and the execution a
// runtime worker is stepping.
// Timestamps are UTC with milliseconds. Messages are JSON-escaped (invalid
// UTF-8 replaced by U+FFFD), so each JSON record is exactly one line.

#include <spdlog/common.h>
#include <spdlog/formatter.h>
#include <spdlog/logger.h>

#include <memory>
#include <string>

#include "stepd/server/options.h"

namespace stepd::server {

// A logger named `name` writing to `sink` (stderr when null) in `options`'
// format and level. The logger flushes on warn and above.
std::shared_ptr<spdlog::logger> MakeLogger(const std::string& name, const LogOptions& options,
                                           spdlog::sink_ptr sink = nullptr);

// A child of `parent` named `name`, sharing its sinks and level (the logger
// handed to a layer, e.g. Named(logger, "http")).
std::shared_ptr<spdlog::logger> Named(const std::shared_ptr<spdlog::logger>& parent,
                                      const std::string& name);

// The formatter behind LogFormat::kJson, exposed for tests.
class JsonLogFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override;
  std::unique_ptr<spdlog::formatter> clone() const override;
};

spdlog::level::level_enum ToSpdlogLevel(LogLevel level);

}  // namespace stepd::server
