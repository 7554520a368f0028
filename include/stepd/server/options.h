#pragma once
// ServerOptions: every knob of a stepd process, filled ONCE at start-up and
// handed to each layer by const& (its own part: `http`, `store`, `log`).
//
// Sources, highest precedence first:
//   1. command-line flags (--listen, --db, --log-format, --log-level, --insecure)
//   2. STEPD_* environment variables (STEPD_LISTEN, STEPD_DB, ...; see
//      ServerOptionTable() for the full list)
//   3. the config file (--config FILE or STEPD_CONFIG): JSON, comments allowed,
//      nested by layer: {"http": {"listen": ...}, "store": {...}, "log": {...}}
//   4. the defaults below and in each layer's options struct
// config/stepd.example.json lists every key with its default; a test keeps it
// equal to ServerOptions{}.
//
// ResolveServerOptions() is a pure function of (flags, environment, file text)
// so that precedence and error messages are testable without a process.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "stepd/api/options.h"
#include "stepd/base/json.h"
#include "stepd/base/status_or.h"
#include "stepd/http/async_client.h"
#include "stepd/http/options.h"
#include "stepd/runtime/lambda_task.h"
#include "stepd/runtime/notifier.h"
#include "stepd/runtime/options.h"
#include "stepd/runtime/scheduler.h"
#include "stepd/server/provision.h"
#include "stepd/store/options.h"

namespace stepd::server {

enum class LogFormat {
  kText,  // one human-readable line per record
  kJson,  // one JSON object per line: {"ts", "level", "logger", "msg"}
};

// Severity names as spdlog spells them, lowest first.
enum class LogLevel { kTrace, kDebug, kInfo, kWarn, kError, kCritical, kOff };

struct LogOptions {
  // Output format of the stderr log. Default text.
  LogFormat format = LogFormat::kText;
  // Records below this severity are dropped. Default info.
  LogLevel level = LogLevel::kInfo;
};

struct AuditOptions {
  // File holding the audit chain's HMAC key (any bytes; surrounding white
  // space is ignored). Empty: "audit.key" beside the database file, created
  // with a fresh random key (mode 0600) on first start. The variable
  // STEPD_AUDIT_KEY, when set, is the key itself and wins over the file.
  // Keep the key away from the database: whoever holds both can rewrite the
  // chain.
  std::string key_file;
  // How often the chain's head (last seq and MAC) is written to the log, so
  // that a copy lives outside the database. Default 60000 ms.
  int64_t head_log_interval_ms = 60000;
};

struct SecretsOptions {
  // File holding the key that connection secrets are encrypted under
  // (AES-256-GCM): 32 bytes as base64 or 64 hex digits, e.g. from `openssl
  // rand -base64 32`. Empty: "secrets.key" beside the database file, created
  // with a fresh random key (mode 0600) on first start. The variable
  // STEPD_SECRETS_KEY, when set, is the key itself and wins over the file.
  // Keep a copy away from the database: without it no secret can be read.
  std::string key_file;
};

struct ServerOptions {
  http::HttpOptions http;
  store::StoreOptions store;
  runtime::RuntimeOptions runtime;
  api::ApiOptions api;
  api::AuthOptions auth;
  // Calls made on a workflow's behalf (HTTP tasks): timeouts, limits, CA
  // file, which hosts may be reached. user_agent is set by `stepd serve`.
  http::AsyncClientOptions outbound;
  // Lambda function name -> the local HTTP endpoint standing in for it
  // (Tasks calling arn:aws:lambda:...:function:NAME or
  // arn:aws:states:::lambda:invoke). In the file: {"NAME": {"url": URL,
  // "timeout_ms": N}} or {"NAME": URL}. A timeout of 0 is outbound.timeout.
  // Default: none.
  runtime::LambdaFunctions functions;
  // State machines created or updated at start-up (server/provision.h), by
  // name. In the file: {"NAME": {"definition_file": PATH (relative to the
  // config file's directory) | "definition": {...}, "type"?: "STANDARD" |
  // "EXPRESS", "role_arn"?}}. Default: none.
  std::vector<ConfiguredStateMachine> state_machines;
  // Schedules that start state machines (runtime/scheduler.h), by name. In
  // the file: {"NAME": {"state_machine": NAME or ARN, "expression":
  // "cron(0 2 * * ? *)", "timezone"?, "input"?, "version"? | "alias"?,
  // "start"?, "end"? (RFC 3339), "enabled"?, "catch_up"?: "SKIP"|"LAST",
  // "description"?}}. Upserted at start as source "config" (read-only
  // through the API); one removed from the file is deleted. Default: none.
  std::vector<runtime::ScheduleSpec> schedules;
  // The Looker Action Hub: its actions and limits (hub tokens are in auth).
  api::LookerOptions looker;
  // The web console at /console/: on or off, and how it signs users in.
  api::ConsoleOptions console;
  // GET /metrics: who may read it.
  api::MetricsOptions metrics;
  AuditOptions audit;
  SecretsOptions secrets;
  LogOptions log;
  // Failure/outcome notifications: sinks, rules, delivery (runtime/notifier.h).
  runtime::NotifierOptions notifications;
  // Allow a non-loopback listen address although no authentication is
  // configured (every caller is then treated as admin). Default false: such a
  // listen address is refused at start-up (CONTRACTS.md).
  bool insecure = false;
};

// One row of the option table: how an option is named in each source.
struct OptionInfo {
  std::string key;       // config file path, e.g. "http.read_timeout_ms"
  std::string env;       // environment variable, e.g. "STEPD_HTTP_READ_TIMEOUT_MS"
  // Command-line flag ("--listen") or empty when file/env only. A boolean
  // option's flag sets it true, or false when named "--no-...".
  std::string flag;
  std::string expected;  // what a value must be, e.g. "an integer >= 1"
  std::string help;      // one line for --help and the example config
};

// Every option stepd reads, in config-file order. Immutable; safe from any thread.
const std::vector<OptionInfo>& ServerOptionTable();

// The variable naming the config file when --config is not given.
inline constexpr std::string_view kConfigEnv = "STEPD_CONFIG";
// The variable holding the audit key itself (a secret: not an option, never
// printed with the others).
inline constexpr std::string_view kAuditKeyEnv = "STEPD_AUDIT_KEY";
// The same for the secrets key.
inline constexpr std::string_view kSecretsKeyEnv = "STEPD_SECRETS_KEY";

// What the command line said, as typed (parsing happens in ResolveServerOptions
// so that flags, env and file share one set of error messages).
struct CommandLineValues {
  // --config FILE.
  std::optional<std::string> config_file;
  // Option key (OptionInfo::key) -> text given to its flag. A boolean flag
  // given without a value is "true".
  std::map<std::string, std::string> options;
};

// STEPD_* variables of the environment: name -> value. Other names are ignored.
using EnvMap = std::map<std::string, std::string>;

// A config file's name (for messages) and text.
struct ConfigSource {
  std::string path;
  std::string text;
};

struct ResolvedOptions {
  ServerOptions options;
  // The file the options were read from; empty when none.
  std::string config_file;
  // Not errors, to be logged once a logger exists (e.g. an unknown STEPD_* variable).
  std::vector<std::string> warnings;
};

// Merges defaults < `file` (may be null) < `env` < `flags` and validates the
// result. Errors are INVALID_ARGUMENT one-liners naming the source and key:
//   unknown option "http.idle_timeot" in /etc/stepd.json
//   option "http.io_threads" in /etc/stepd.json must be an integer >= 1, got string
//   option "functions.validate.url" in /etc/stepd.json must be an http:// or https:// ...
//   STEPD_HTTP_IO_THREADS must be an integer >= 1, got "two"
//   --listen must be HOST:PORT, got "localhost"
//   refusing to listen on 0.0.0.0 (not loopback) without authentication; pass --insecure ...
StatusOr<ResolvedOptions> ResolveServerOptions(const CommandLineValues& flags, const EnvMap& env,
                                               const ConfigSource* file);

// Reads the config file named by flags.config_file, else env[STEPD_CONFIG] (an
// unreadable file is an error), then ResolveServerOptions().
StatusOr<ResolvedOptions> LoadServerOptions(const CommandLineValues& flags, const EnvMap& env);

// The STEPD_* variables of this process's environment.
EnvMap ProcessEnvironment();

// The options as the config file would spell them (every key of
// ServerOptionTable()), e.g. for `--print-config`-style diagnostics and tests.
Json ServerOptionsToJson(const ServerOptions& options);

// "127.0.0.1:8080", "[::1]:8080".
std::string FormatListenAddress(const std::string& host, uint16_t port);

// True for 127.0.0.0/8, ::1 and "localhost".
bool IsLoopbackHost(const std::string& host);

std::string_view LogFormatName(LogFormat format);
std::string_view LogLevelName(LogLevel level);

}  // namespace stepd::server
