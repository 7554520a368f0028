#include "stepd/server/serve.h"

#include <unistd.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>

#include "stepd/api/auth.h"
#include "stepd/api/aws_json.h"
#include "stepd/api/console.h"
#include "stepd/api/rest_api.h"
#include "stepd/api/key_set.h"
#include "stepd/api/looker_hub.h"
#include "stepd/api/metrics_endpoint.h"
#include "stepd/base/metrics.h"
#include "stepd/base/version.h"
#include "stepd/http/async_client.h"
#include "stepd/http/io_pool.h"
#include "stepd/http/router.h"
#include "stepd/http/server.h"
#include "stepd/runtime/activities.h"
#include "stepd/runtime/engine.h"
#include "stepd/runtime/cluster.h"
#include "stepd/runtime/notifier.h"
#include "stepd/runtime/scheduler.h"
#include "stepd/runtime/http_task.h"
#include "stepd/runtime/lambda_task.h"
#include "stepd/runtime/nested_execution.h"
#include "stepd/runtime/stored_connections.h"
#include "stepd/server/audit.h"
#include "stepd/server/commands.h"
#include "stepd/server/health.h"
#include "stepd/server/logging.h"
#include "stepd/server/provision.h"
#include "stepd/server/readiness.h"
#include "stepd/server/secrets.h"
#include "stepd/store/artifact_files.h"
#include "stepd/base/crypto.h"
#include "stepd/store/postgres_store.h"
#include "stepd/store/sqlite_store.h"

namespace stepd::server {
namespace {

// A node id for a node not given one: the host name and a random suffix, new
// at every start (a restarted node then takes its old executions over once
// its old heartbeat expired; give it a stable cluster.node_id to resume them
// at once).
std::string DefaultNodeId() {
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0') std::strcpy(host, "stepd");
  return std::string(host) + "-" + HexEncode(RandomBytes(4));
}

namespace asio = boost::asio;

Status WritePortFile(const std::string& path, uint16_t port) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << port << "\n";
    out.close();
    if (!out) return UnavailableError("cannot write port file " + tmp);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return UnavailableError("cannot rename " + tmp + " to " + path + ": " + std::strerror(errno));
  }
  return Status::OK();
}

// GET /debug/delay?ms=N for shutdown tests and benchmarks (see
// ServeArgs::test_routes). The answer waits on a timer of the I/O pool, so
// no thread is held.
class DelayRoute {
 public:
  static constexpr int64_t kMaxDelayMs = 60000;

  DelayRoute(std::shared_ptr<spdlog::logger> logger, asio::io_context& io)
      : logger_(std::move(logger)), io_(io) {}

  void AddTo(http::Router& router) {
    router.Add("GET", "/debug/delay", [this](const http::Request& request, http::Responder r) {
      int64_t ms = -1;
      if (auto text = request.QueryParam("ms")) {
        try {
          size_t used = 0;
          ms = std::stoll(std::string(*text), &used);
          if (used != text->size()) ms = -1;
        } catch (const std::exception&) {
          ms = -1;
        }
      }
      if (ms < 0 || ms > kMaxDelayMs) {
        r.Send(http::ErrorResponse(400, "ms must be an integer from 0 to 60000"));
        return;
      }
      // Tests wait for this line to know the request is in flight.
      logger_->info("GET /debug/delay id={}: answering in {} ms", request.request_id, ms);
      auto timer = std::make_shared<asio::steady_timer>(io_, std::chrono::milliseconds(ms));
      timer->async_wait([timer, r, ms](const boost::system::error_code&) {
        r.Send(http::Response::Json(200, "{\"delayed_ms\":" + std::to_string(ms) + "}"));
      });
    });
  }

 private:
  std::shared_ptr<spdlog::logger> logger_;
  asio::io_context& io_;
};

void LogAuthenticationMode(spdlog::logger& logger, const ServerOptions& options) {
  std::string address = FormatListenAddress(options.http.host, options.http.port);
  if (options.auth.configured()) {
    logger.info(
        "authentication on: OIDC {}; {} SigV4 access key(s); {} role binding(s); default role {}",
        options.auth.oidc.configured() ? "tokens from " + options.auth.oidc.issuer : "off",
        options.auth.access_keys.size(), options.auth.bindings.size(),
        api::RoleName(options.auth.default_role));
  } else if (IsLoopbackHost(options.http.host)) {
    logger.warn(
        "no authentication is configured (local mode): listening on loopback {} only and "
        "treating every caller as admin",
        address);
  } else {
    logger.warn(
        "INSECURE: no authentication is configured and --insecure is set: listening on {} and "
        "treating EVERY caller as admin",
        address);
  }
}

bool IsUnspecifiedHost(const std::string& host) { return host == "0.0.0.0" || host == "::"; }

void LogConsole(spdlog::logger& logger, const api::Console& console, const ServerOptions& options,
                uint16_t port) {
  if (!console.serving()) {
    logger.info("web console off: {}", console.unavailable_reason());
    return;
  }
  std::string sign_in;
  switch (console.mode()) {
    case api::Console::Mode::kNone:
      sign_in = "none (local mode)";
      break;
    case api::Console::Mode::kOidc:
      sign_in = "OIDC at " + options.auth.oidc.issuer + " as client " +
                options.console.oidc_client_id + ", sending its " + options.console.oidc_token;
      break;
    case api::Console::Mode::kToken:
      sign_in = "a pasted bearer token (no console.oidc.client_id)";
      break;
  }
  const std::string host = IsUnspecifiedHost(options.http.host) ? "127.0.0.1" : options.http.host;
  logger.info("web console at {}://{}/console/ (sign-in: {})",
              options.http.tls_cert_file.empty() ? "http" : "https",
              FormatListenAddress(host, port), sign_in);
}

// Who may do what is configuration; a change of it is an action worth an
// audit row. The row holds the auth section as `ServerOptionsToJson` prints
// it (secrets redacted) and is appended when it differs from the last one.
void AuditAuthConfiguration(store::Store& db, const ServerOptions& options,
                            spdlog::logger& logger) {
  constexpr std::string_view kAction = "AuthConfigurationChanged";
  const Json current = ServerOptionsToJson(options).value("auth", Json::object());
  store::AuditQuery query;
  query.action = std::string(kAction);
  query.newest_first = true;
  auto last = db.QueryAudit(query, store::PageRequest{1, ""});
  if (!last.ok()) {
    logger.warn("cannot read the last authentication configuration: {}", last.status().ToString());
    return;
  }
  if (!last->items.empty()) {
    StatusOr<Json> details = ParseJson(last->items.front().entry.details_json);
    if (details.ok() && details->value("configuration", Json()) == current) return;
  }
  store::AuditEntry row;
  row.timestamp_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                         SystemClock::Default()->Now().time_since_epoch())
                         .count();
  row.actor = "config";
  row.action = std::string(kAction);
  row.target = "auth";
  row.details_json = Json{{"configuration", current}, {"outcome", "ok"}}.dump();
  if (Status status = db.AppendAudit({row}); !status.ok()) {
    logger.warn("cannot audit the authentication configuration: {}", status.ToString());
  } else {
    logger.info("authentication configuration recorded in the audit log (it changed)");
  }
}

// The scheduler's Stats() in /metrics, read at each scrape. `scheduler`
// must outlive the scrapes (it is reset after the listener stops).
void AddSchedulerMetrics(metrics::Registry& registry, const runtime::Scheduler* scheduler) {
  using metrics::MetricType;
  using Samples = metrics::Registry::Samples;
  auto one = [scheduler](auto field) {
    return [scheduler, field] { return Samples{{{}, static_cast<double>(field(scheduler->Stats()))}}; };
  };
  registry.AddCallback("stepd_schedules_enabled", "Schedules enabled.", MetricType::kGauge, {},
                       one([](const runtime::SchedulerStats& s) { return s.schedules_enabled; }));
  registry.AddCallback("stepd_schedule_fires_total", "Executions started by schedules at a due time.",
                       MetricType::kCounter, {},
                       one([](const runtime::SchedulerStats& s) { return s.fires; }));
  registry.AddCallback("stepd_schedule_missed_total",
                       "Due times not run after downtime (catch-up policy SKIP, or older than "
                       "the one LAST runs).",
                       MetricType::kCounter, {},
                       one([](const runtime::SchedulerStats& s) { return s.missed_skipped; }));
  registry.AddCallback("stepd_schedule_failures_total",
                       "Fires whose start was refused (missing target, bad input, overload).",
                       MetricType::kCounter, {},
                       one([](const runtime::SchedulerStats& s) { return s.failures; }));
  registry.AddCallback("stepd_schedule_next_due_timestamp_seconds",
                       "The earliest due time of any schedule (Unix time); absent when none.",
                       MetricType::kGauge, {}, [scheduler] {
                         Samples samples;
                         if (auto next = scheduler->Stats().next_due_ms) {
                           samples.push_back({{}, static_cast<double>(*next) / 1000.0});
                         }
                         return samples;
                       });
}

// The notifier's Stats() in /metrics, read at each scrape. `notifier`
// must outlive the scrapes.
void AddNotifierMetrics(metrics::Registry& registry, const runtime::Notifier* notifier) {
  using metrics::MetricType;
  using Samples = metrics::Registry::Samples;
  registry.AddCallback("stepd_notifications_pending",
                       "Notifications in the outbox not yet delivered (first try or retrying).",
                       MetricType::kGauge, {}, [notifier] {
                         return Samples{{{}, static_cast<double>(notifier->Stats().pending)}};
                       });
  auto by_sink = [notifier](std::map<std::string, int64_t> runtime::NotifierStats::*field) {
    return [notifier, field] {
      Samples samples;
      const runtime::NotifierStats stats = notifier->Stats();
      for (const auto& [sink_type, n] : stats.*field) {
        samples.push_back({{sink_type}, static_cast<double>(n)});
      }
      return samples;
    };
  };
  registry.AddCallback("stepd_notifications_delivered_total",
                       "Notifications delivered, by sink type.", MetricType::kCounter, {"sink"},
                       by_sink(&runtime::NotifierStats::delivered));
  registry.AddCallback("stepd_notification_failed_attempts_total",
                       "Delivery attempts that failed (each retried or dead-lettered), by sink "
                       "type.",
                       MetricType::kCounter, {"sink"},
                       by_sink(&runtime::NotifierStats::failed_attempts));
  registry.AddCallback("stepd_notifications_dead_lettered_total",
                       "Notifications given up on (dead letters, see GET "
                       "/v1/notifications?status=DEAD_LETTER), by sink type.",
                       MetricType::kCounter, {"sink"},
                       by_sink(&runtime::NotifierStats::dead_lettered));
}

std::string ArtifactDir(const ServerOptions& options) {
  if (!options.looker.artifact_dir.empty()) return options.looker.artifact_dir;
  const std::string& db = options.store.path;
  const size_t slash = db.rfind('/');
  return (slash == std::string::npos ? std::string(".") : db.substr(0, slash)) + "/artifacts";
}


}  // namespace

int RunServe(const ServeArgs& args, const EnvMap& env) {
  auto resolved = LoadServerOptions(args.flags, env);
  if (!resolved.ok()) {
    std::cerr << "stepd: " << resolved.status().message() << "\n";
    return kExitUsage;
  }
  const ServerOptions& options = resolved->options;
  std::shared_ptr<spdlog::logger> logger = MakeLogger("stepd", options.log);
  for (const std::string& warning : resolved->warnings) logger->warn("{}", warning);
  logger->info("stepd starting (config file: {})",
               resolved->config_file.empty() ? "none" : resolved->config_file);
  LogAuthenticationMode(*logger, options);

  // One I/O pool for everything that waits on sockets and timers: the
  // listener, HTTP tasks' calls, signals. The main thread is one of its
  // threads until shutdown begins (it would otherwise only wait).
  http::IoPool io_pool(std::max(1, options.http.io_threads - 1));

  // HTTP tasks call out through this client; a bad CA file or host entry is
  // a configuration error, reported before anything listens.
  http::AsyncClientOptions outbound = options.outbound;
  outbound.user_agent = std::string("stepd/") + kVersion;
  auto outbound_client = http::AsyncClient::Create(outbound, &io_pool);
  if (!outbound_client.ok()) {
    std::cerr << "stepd: outbound HTTP client: " << outbound_client.status().message() << "\n";
    return kExitUsage;
  }

  // Installed before anything else can take time, so that a SIGTERM during
  // start-up is handled (once the wait below begins) rather than fatal.
  asio::signal_set signals(io_pool.context(), SIGTERM, SIGINT, SIGHUP);
  // A file size limit (ulimit -f, a quota) then fails the write that passes
  // it with EFBIG, which the store reports like a full disk, instead of
  // killing the server with SIGXFSZ.
  std::signal(SIGXFSZ, SIG_IGN);

  // Every layer counts into one registry, read by GET /metrics. Declared
  // before everything that registers with it, so it outlives them.
  metrics::Registry metrics_registry;
  api::AddProcessMetrics(metrics_registry);

  auto readiness =
      std::make_shared<Readiness>(std::vector<std::string>{"database", "migrations", "recovery"});
  auto router = std::make_shared<http::Router>();
  AddHealthRoutes(*router, readiness);
  // OIDC tokens are checked against the issuer's keys, fetched on the
  // outbound client; a failed first load is retried as tokens arrive.
  std::unique_ptr<api::KeySet> oidc_keys;
  if (options.auth.oidc.configured()) {
    api::KeySetOptions key_options;
    key_options.jwks_file = options.auth.oidc.jwks_file;
    key_options.jwks_uri = options.auth.oidc.jwks_uri;
    key_options.issuer = options.auth.oidc.issuer;
    key_options.refresh_interval = options.auth.oidc.jwks_refresh_interval;
    key_options.unknown_kid_min_interval = options.auth.oidc.unknown_kid_min_interval;
    auto created = api::KeySet::Create(key_options, outbound_client->get(),
                                       SystemClock::Default(), Named(logger, "oidc"));
    if (!created.ok()) {
      std::cerr << "stepd: OIDC keys: " << created.status().message() << "\n";
      return kExitUsage;
    }
    oidc_keys = std::move(created).value();
    if (Status loaded = oidc_keys->LoadNow(); !loaded.ok()) {
      logger->warn(
          "OIDC signing keys could not be loaded yet ({}); bearer tokens are refused until they "
          "are, and loading is retried as tokens arrive",
          loaded.message());
    }
  }
  api::Authenticator authenticator(options.auth, SystemClock::Default(), oidc_keys.get(),
                                   Named(logger, "auth"));
  api::AwsJsonApi aws_api(options.api, &authenticator, Named(logger, "api"), &metrics_registry);
  aws_api.AddRoutes(*router);
  api::RestApi rest_api(options.api, &authenticator, Named(logger, "rest"));
  rest_api.AddRoutes(*router);
  api::Console console(options.console, &authenticator);
  console.AddRoutes(*router);
  // With store.url this node shares the database with others: its id.
  const std::string node_id = options.store.url.empty()         ? std::string()
                              : !options.store.node_id.empty() ? options.store.node_id
                                                               : DefaultNodeId();
  api::LookerOptions looker_options = options.looker;
  looker_options.node_id = node_id;
  api::LookerHub looker_hub(looker_options, options.api, &authenticator, Named(logger, "looker"),
                            &metrics_registry);
  looker_hub.AddRoutes(*router);
  api::AddMetricsRoute(*router, options.metrics, &metrics_registry, &authenticator);
  std::unique_ptr<DelayRoute> delay_route;
  if (args.test_routes) {
    delay_route = std::make_unique<DelayRoute>(logger, io_pool.context());
    delay_route->AddTo(*router);
    logger->warn("test routes enabled (GET /debug/delay): not for production");
  }

  http::Server server(options.http, router, Named(logger, "http"), &io_pool, &metrics_registry);
  if (Status status = server.Start(); !status.ok()) {
    logger->error("cannot listen on {}: {}",
                  FormatListenAddress(options.http.host, options.http.port), status.ToString());
    return kExitFailure;
  }
  logger->info("listening on {}", FormatListenAddress(options.http.host, server.port()));
  LogConsole(*logger, console, options, server.port());
  if (!args.port_file.empty()) {
    if (Status status = WritePortFile(args.port_file, server.port()); !status.ok()) {
      logger->error("{}", status.ToString());
      server.Stop();
      return kExitFailure;
    }
  }

  auto audit_key = LoadAuditKey(options, env, /*create_default=*/true);
  if (!audit_key.ok()) {
    logger->error("{}", audit_key.status().message());
    server.Stop();
    return kExitFailure;
  }
  if (audit_key->created) {
    logger->warn(
        "created audit key file {}: keep a copy away from the database host; "
        "`stepd audit verify` needs it to check the chain",
        audit_key->source);
  } else {
    logger->info("audit key from {}", audit_key->source);
  }
  store::StoreOptions store_options = options.store;
  store_options.migrate_on_open = false;
  store_options.audit_key = audit_key->key;
  store_options.node_id = node_id;
  if (!store_options.node_id.empty()) {
    logger->info("node {} on {}", store_options.node_id, store::DescribeStore(store_options));
  }
  auto opened = store::OpenStore(store_options);
  if (!opened.ok()) {
    logger->error("cannot open database {}: {}", store::DescribeStore(options.store), opened.status().ToString());
    server.Stop();
    return kExitFailure;
  }
  std::unique_ptr<store::Store> db = std::move(opened).value();
  readiness->MarkDone("database");
  if (Status status = db->Migrate(); !status.ok()) {
    logger->error("cannot migrate database {}: {}", store::DescribeStore(options.store), status.ToString());
    server.Stop();
    return kExitFailure;
  }
  auto version = db->SchemaVersion();
  logger->info("database {} open, schema version {}", store::DescribeStore(store_options),
               version.ok() ? std::to_string(*version) : version.status().ToString());
  readiness->MarkDone("migrations");
  AuditAuthConfiguration(*db, options, *logger);
  // The config file's state machines exist, as written, before recovery
  // and before any schedule or delivery can name them.
  ProvisionContext provision;
  provision.region = options.api.region;
  provision.account_id = options.api.account_id;
  provision.base_dir = resolved->config_file.empty()
                           ? std::filesystem::current_path()
                           : std::filesystem::absolute(resolved->config_file).parent_path();
  provision.now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                         SystemClock::Default()->Now().time_since_epoch())
                         .count();
  auto provisioned = ProvisionStateMachines(*db, options.state_machines, provision);
  if (!provisioned.ok()) {
    logger->error("state_machines of the config file: {}", provisioned.status().message());
    server.Stop();
    return kExitFailure;
  }
  if (!options.state_machines.empty()) {
    logger->info("{} state machine(s) in the config file: {} created, {} updated, {} unchanged",
                 options.state_machines.size(), provisioned->created.size(),
                 provisioned->updated.size(), provisioned->unchanged.size());
  }

  // Connection secrets are sealed under the secrets key; a key other than
  // the one they were sealed under stops the start, changing nothing.
  auto secrets_key = LoadSecretsKey(options, env, /*create_default=*/true);
  if (!secrets_key.ok()) {
    logger->error("{}", secrets_key.status().message());
    server.Stop();
    return kExitFailure;
  }
  if (secrets_key->created) {
    logger->warn(
        "created secrets key file {} (key {}): connection secrets are encrypted under it; keep "
        "a copy away from the database host, without it they cannot be read",
        secrets_key->source, secrets_key->box.key_id());
  } else {
    logger->info("secrets key {} from {}", secrets_key->box.key_id(), secrets_key->source);
  }
  if (Status status = CheckSecretsKey(*db, *secrets_key); !status.ok()) {
    logger->error("{}", status.message());
    server.Stop();
    return kExitFailure;
  }
  // OAuth tokens are fetched on the outbound client HTTP tasks use.
  runtime::AsyncHttpFetcher token_fetcher(outbound_client->get());
  auto connections = std::make_unique<runtime::StoredConnections>(
      db.get(), &secrets_key->box, SystemClock::Default(), &token_fetcher,
      Named(logger, "connections"));

  // Executors register their Resource prefixes here as task types arrive.
  runtime::TaskRouter task_router;
  // Several nodes on one PostgreSQL database: this node's id everywhere
  // work is shared (runtime/cluster.h). Empty: one node.
  runtime::RuntimeOptions runtime_options = options.runtime;
  runtime_options.cluster.node_id = store_options.node_id;
  runtime_options.cluster.address = FormatListenAddress(
      IsUnspecifiedHost(options.http.host) ? std::string("127.0.0.1") : options.http.host,
      server.port());
  const runtime::ClusterOptions& cluster = runtime_options.cluster;
  runtime::ActivityQueue activities(db.get(), SystemClock::Default(), Named(logger, "activities"),
                                    cluster);
  task_router.Register(
      "arn:aws:states:" + options.api.region + ":" + options.api.account_id + ":activity:",
      &activities);
  // .waitForTaskToken tasks keep their tokens with the activity tasks'.
  task_router.SetTokenKeeper(&activities);
  // HTTP tasks authorize their requests with the stored connections.
  runtime::HttpTaskExecutor http_tasks(outbound_client->get(), connections.get());
  task_router.Register(std::string(runtime::kHttpInvokeResource), &http_tasks);
  // Lambda functions are the local endpoints named in "functions".
  runtime::LambdaTaskExecutor lambda_tasks(
      outbound_client->get(),
      {options.functions, options.outbound.timeout, options.api.region, options.api.account_id},
      SystemClock::Default());
  task_router.Register(std::string(runtime::kLambdaInvokeResource), &lambda_tasks);
  task_router.Register(std::string(runtime::kLambdaFunctionArnPrefix), &lambda_tasks);
  logger->info("{} Lambda function(s) mapped to local endpoints", options.functions.size());
  // Task states that start other executions (states:startExecution, with
  // any integration pattern: the prefix covers the suffixes).
  runtime::NestedExecutions nested_executions(db.get(), Named(logger, "nested"));
  task_router.Register(std::string(runtime::kStartExecutionResource), &nested_executions);
  auto engine = std::make_unique<runtime::Engine>(runtime_options, db.get(), SystemClock::Default(),
                                                  &task_router, Named(logger, "runtime"),
                                                  &metrics_registry);
  activities.SetEngine(engine.get());
  nested_executions.SetEngine(engine.get());
  // One node recovers every RUNNING execution; a node among several claims
  // its own and dead nodes' executions once the engine runs.
  std::unique_ptr<runtime::ClusterMember> member;
  if (!cluster.clustered()) {
    if (Status status = engine->Recover(); !status.ok()) {
      logger->error("recovery failed: {}", status.ToString());
      server.Stop();
      (*outbound_client)->Stop();
      return kExitFailure;
    }
  }
  engine->Start();
  if (cluster.clustered()) {
    member = std::make_unique<runtime::ClusterMember>(cluster, db.get(), SystemClock::Default(),
                                                      engine.get(), Named(logger, "cluster"));
    if (Status status = member->Start(); !status.ok()) {
      logger->error("cannot join the nodes on {}: {}", store::DescribeStore(store_options),
                    status.ToString());
      server.Stop();
      engine->Stop();
      (*outbound_client)->Stop();
      return kExitFailure;
    }
    logger->info("node {} joined (lease {} ms)", cluster.node_id, cluster.lease_ms);
  }
  // Schedules: the config file's replace the stored config ones, then the
  // thread fires what is due (catching up what was missed while down).
  runtime::SchedulerOptions scheduler_options;
  scheduler_options.region = options.api.region;
  scheduler_options.account_id = options.api.account_id;
  scheduler_options.node_id = cluster.node_id;
  auto scheduler =
      std::make_unique<runtime::Scheduler>(db.get(), engine.get(), SystemClock::Default(),
                                           scheduler_options, Named(logger, "schedules"));
  if (Status status = scheduler->SyncConfig(options.schedules); !status.ok()) {
    logger->error("schedules of the config file: {}", status.ToString());
    server.Stop();
    engine->Stop();
    (*outbound_client)->Stop();
    return kExitFailure;
  }
  // Notifications tail the audit chain from their cursor, after recovery,
  // and deliver on the outbound client (never on an engine thread).
  runtime::NotifierOptions notifier_options = options.notifications;
  notifier_options.node_id = cluster.node_id;
  runtime::Notifier notifier(notifier_options, db.get(), SystemClock::Default(),
                             outbound_client->get(), &secrets_key->box,
                             Named(logger, "notifications"));
  if (Status status = notifier.Start(); !status.ok()) {
    logger->error("notifications: {}", status.ToString());
    server.Stop();
    engine->Stop();
    (*outbound_client)->Stop();
    return kExitFailure;
  }
  scheduler->Start();
  AddSchedulerMetrics(metrics_registry, scheduler.get());
  AddNotifierMetrics(metrics_registry, &notifier);
  logger->info("{} schedule(s) in the config file", options.schedules.size());
  logger->info("notifications: {} sink(s) and {} rule(s) in the config file",
               options.notifications.sinks.size(), options.notifications.rules.size());
  aws_api.Attach({db.get(), engine.get(), &activities, SystemClock::Default(), connections.get(),
                  scheduler.get(), &notifier});
  rest_api.Attach({db.get(), engine.get(), &activities, SystemClock::Default(), connections.get(),
                   scheduler.get(), &notifier});
  // Looker deliveries keep large attachments as artifacts, beside the
  // database unless configured elsewhere.
  store::ArtifactFiles artifact_files(ArtifactDir(options));
  if (Status status = artifact_files.Init(); !status.ok()) {
    logger->error("artifacts: {}", status.ToString());
    server.Stop();
    scheduler->Stop();
    engine->Stop();
    (*outbound_client)->Stop();
    return kExitFailure;
  }
  (void)artifact_files.RemoveStaleSpool(std::chrono::hours(1));
  api::LookerBackend looker_backend;
  looker_backend.store = db.get();
  looker_backend.engine = engine.get();
  looker_backend.clock = SystemClock::Default();
  looker_backend.secrets = &secrets_key->box;
  looker_backend.downloads = outbound_client->get();
  looker_backend.artifacts = &artifact_files;
  looker_backend.api_base_url =
      !options.looker.artifact_base_url.empty()
          ? options.looker.artifact_base_url
          : "http://" + FormatListenAddress(IsUnspecifiedHost(options.http.host)
                                                ? std::string("127.0.0.1")
                                                : options.http.host,
                                            server.port());
  while (!looker_backend.api_base_url.empty() && looker_backend.api_base_url.back() == '/') {
    looker_backend.api_base_url.pop_back();
  }
  looker_hub.Attach(looker_backend);
  if (options.looker.enabled()) {
    logger->info("Looker Action Hub: {} action(s) at /looker, {} hub token(s); artifacts in {}",
                 options.looker.actions.size(), options.auth.looker_tokens.size(),
                 artifact_files.dir());
  }
  // OAuth connections a stopped process left AUTHORIZING get their token now.
  if (Status status = connections->ResumeAuthorizations(); !status.ok()) {
    logger->warn("cannot resume the authorization of connections: {}", status.ToString());
  }
  readiness->MarkDone("recovery");
  logger->info("ready");

  // The audit chain's head goes to the log now and then, so that a copy of
  // it lives outside the database (compare with `stepd audit verify`).
  asio::steady_timer audit_timer(io_pool.context());
  int64_t logged_seq = -1;
  std::function<void()> log_audit_head = [&] {
    auto head = db->GetAuditHead();
    if (!head.ok()) {
      logger->warn("cannot read the audit chain head: {}", head.status().ToString());
    } else if (head->seq != logged_seq) {
      logger->info("audit chain head: seq {} mac {}", head->seq, head->hash);
      logged_seq = head->seq;
    }
    audit_timer.expires_after(std::chrono::milliseconds(options.audit.head_log_interval_ms));
    audit_timer.async_wait([&](const boost::system::error_code& ec) {
      if (!ec) log_audit_head();
    });
  };
  log_audit_head();

  std::atomic<bool> shutting_down{false};
  std::function<void()> await_signal = [&] {
    signals.async_wait([&](const boost::system::error_code& ec, int signal_number) {
      if (ec) return;
      if (signal_number == SIGHUP) {
        logger->info("SIGHUP received: re-validating configuration");
        auto reread = LoadServerOptions(args.flags, env);
        if (reread.ok()) {
          logger->info(
              "configuration ({}) is valid; nothing is reloadable yet, keeping the "
              "running configuration",
              reread->config_file.empty() ? "no config file" : reread->config_file);
        } else {
          logger->error("configuration is invalid, keeping the running one: {}",
                        reread.status().message());
        }
        await_signal();
        return;
      }
      logger->info("{} received: shutting down", signal_number == SIGTERM ? "SIGTERM" : "SIGINT");
      readiness->MarkShuttingDown();
      shutting_down = true;  // not re-armed: the main thread leaves the pool
    });
  };
  await_signal();
  io_pool.Lend([&] { return shutting_down.load(); });

  // Long polls answer "no task" at once, so that the listener's grace period
  // is not spent waiting for them.
  activities.Stop();
  server.Stop();
  logger->info("HTTP listener stopped");
  delay_route.reset();
  aws_api.Stop();
  rest_api.Stop();
  looker_hub.Stop();
  if (oidc_keys) oidc_keys->Stop();
  scheduler->Stop();  // before the engine: it starts executions
  scheduler.reset();
  notifier.Stop();  // before the outbound client: deliveries in flight are cancelled
  engine->Stop();
  // After the engine's last commits: the other nodes take this node's
  // executions over at once.
  if (member) member->Stop();
  engine.reset();
  (*outbound_client)->Stop();  // before the task executors go: its callbacks call into them
  connections.reset();  // waits for token requests in flight
  io_pool.Stop();       // the audit timer's handler reads the database
  logger->info("runtime stopped; running executions resume on the next start");
  if (auto head = db->GetAuditHead(); head.ok()) {
    logger->info("audit chain head: seq {} mac {}", head->seq, head->hash);
  }
  db.reset();
  logger->info("database closed; exiting");
  logger->flush();
  return kExitOk;
}

}  // namespace stepd::server
