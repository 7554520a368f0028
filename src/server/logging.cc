#include "stepd/server/logging.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <chrono>
#include <ctime>

#include "stepd/base/json.h"
#include "stepd/base/log_context.h"

namespace stepd::server {
namespace {

std::string_view LevelName(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace:
      return "trace";
    case spdlog::level::debug:
      return "debug";
    case spdlog::level::info:
      return "info";
    case spdlog::level::warn:
      return "warn";
    case spdlog::level::err:
      return "error";
    case spdlog::level::critical:
      return "critical";
    default:
      return "off";
  }
}

std::string Rfc3339Millis(spdlog::log_clock::time_point time) {
  auto since_epoch = time.time_since_epoch();
  auto seconds = std::chrono::duration_cast<std::chrono::seconds>(since_epoch);
  auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch - seconds);
  std::time_t t = seconds.count();
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  size_t n = std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof(buf) - n, ".%03dZ", static_cast<int>(millis.count()));
  return buf;
}

// %* in the text pattern: " request_id=... execution_arn=..." for the
// fields of the current LogContext that are set.
class ContextFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg&, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    const LogContext& context = CurrentLogContext();
    auto append = [&dest](std::string_view text) {
      dest.append(text.data(), text.data() + text.size());
    };
    if (!context.request_id.empty()) {
      append(" request_id=");
      append(context.request_id);
    }
    if (!context.execution_arn.empty()) {
      append(" execution_arn=");
      append(context.execution_arn);
    }
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<ContextFlag>();
  }
};

}  // namespace

void JsonLogFormatter::format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) {
  Json record = Json::object();
  record["ts"] = Rfc3339Millis(msg.time);
  record["level"] = LevelName(msg.level);
  record["logger"] = std::string(msg.logger_name.data(), msg.logger_name.size());
  record["msg"] = std::string(msg.payload.data(), msg.payload.size());
  const LogContext& context = CurrentLogContext();
  if (!context.request_id.empty()) record["request_id"] = context.request_id;
  if (!context.execution_arn.empty()) record["execution_arn"] = context.execution_arn;
  std::string line =
      record.dump(-1, ' ', /*ensure_ascii=*/false, nlohmann::json::error_handler_t::replace);
  line += '\n';
  dest.append(line.data(), line.data() + line.size());
}

std::unique_ptr<spdlog::formatter> JsonLogFormatter::clone() const {
  return std::make_unique<JsonLogFormatter>();
}

spdlog::level::level_enum ToSpdlogLevel(LogLevel level) {
  switch (level) {
    case LogLevel::kTrace:
      return spdlog::level::trace;
    case LogLevel::kDebug:
      return spdlog::level::debug;
    case LogLevel::kInfo:
      return spdlog::level::info;
    case LogLevel::kWarn:
      return spdlog::level::warn;
    case LogLevel::kError:
      return spdlog::level::err;
    case LogLevel::kCritical:
      return spdlog::level::critical;
    case LogLevel::kOff:
      return spdlog::level::off;
  }
  return spdlog::level::info;
}

std::shared_ptr<spdlog::logger> MakeLogger(const std::string& name, const LogOptions& options,
                                           spdlog::sink_ptr sink) {
  if (sink == nullptr) sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  if (options.format == LogFormat::kJson) {
    sink->set_formatter(std::make_unique<JsonLogFormatter>());
  } else {
    auto formatter = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
    formatter->add_flag<ContextFlag>('*').set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %-8l [%n] %v%*");
    sink->set_formatter(std::move(formatter));
  }
  auto logger = std::make_shared<spdlog::logger>(name, std::move(sink));
  logger->set_level(ToSpdlogLevel(options.level));
  logger->flush_on(spdlog::level::warn);
  return logger;
}

std::shared_ptr<spdlog::logger> Named(const std::shared_ptr<spdlog::logger>& parent,
                                      const std::string& name) {
  return parent->clone(name);
}

}  // namespace stepd::server
