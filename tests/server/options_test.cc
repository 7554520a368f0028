#include "stepd/server/options.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>
#include <utility>

namespace stepd::server {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

StatusOr<ResolvedOptions> Resolve(const CommandLineValues& flags, const EnvMap& env,
                                  const std::string* file_text) {
  if (file_text == nullptr) return ResolveServerOptions(flags, env, nullptr);
  ConfigSource source{"/etc/stepd.json", *file_text};
  return ResolveServerOptions(flags, env, &source);
}

std::string ExampleConfigText() {
  std::ifstream in(std::string(STEPD_SOURCE_DIR) + "/config/stepd.example.json");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(ServerOptions, DefaultsMatchTheContract) {
  auto resolved = Resolve({}, {}, nullptr);
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  const ServerOptions& o = resolved->options;
  EXPECT_EQ(o.http.host, "127.0.0.1");
  EXPECT_EQ(o.http.port, 8080);
  EXPECT_EQ(o.store.path, "./data/stepd.db");
  EXPECT_EQ(o.log.format, LogFormat::kText);
  EXPECT_EQ(o.log.level, LogLevel::kInfo);
  EXPECT_FALSE(o.insecure);
  EXPECT_EQ(resolved->config_file, "");
  EXPECT_THAT(resolved->warnings, IsEmpty());
}

TEST(ServerOptions, ExampleConfigListsEveryOptionWithItsDefault) {
  std::string text = ExampleConfigText();
  ASSERT_FALSE(text.empty());
  auto resolved = Resolve({}, {}, &text);
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  EXPECT_EQ(ServerOptionsToJson(resolved->options), ServerOptionsToJson(ServerOptions{}));

  // Every key of the table appears in the file (the JSON of the file, once
  // comments are stripped, is exactly the defaults' JSON, key for key).
  auto parsed = ParseJson(text, /*allow_comments=*/true);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(*parsed, ServerOptionsToJson(ServerOptions{}));
}

TEST(ServerOptions, TableNamesEveryOptionOnceInEachSource) {
  std::set<std::string> keys, envs, flags;
  for (const OptionInfo& info : ServerOptionTable()) {
    EXPECT_TRUE(keys.insert(info.key).second) << info.key;
    EXPECT_TRUE(envs.insert(info.env).second) << info.env;
    if (!info.flag.empty()) {
      EXPECT_TRUE(flags.insert(info.flag).second) << info.flag;
    }
    EXPECT_EQ(info.env.rfind("STEPD_", 0), 0u) << info.env;
    EXPECT_FALSE(info.help.empty()) << info.key;
  }
  EXPECT_TRUE(envs.count("STEPD_LISTEN"));
  EXPECT_TRUE(envs.count("STEPD_DB"));
  EXPECT_EQ(flags,
            (std::set<std::string>{"--listen", "--db", "--log-format", "--log-level", "--insecure",
                                   "--key-file", "--secrets-key-file", "--oidc-issuer",
                                   "--oidc-audience", "--oidc-jwks-file", "--oidc-jwks-uri", "--metrics-open",
                                   "--oidc-algorithms", "--oidc-clock-skew", "--no-console",
                                   "--console-oidc-client-id", "--console-oidc-scopes",
                                   "--console-oidc-audience", "--console-oidc-token", "--store-url", "--node-id"}));
}

// The number of fields of aggregate T: the most initializers T{...} accepts.
struct AnyField {
  template <typename T>
  operator T() const;  // NOLINT: only used in unevaluated contexts
};
template <typename T, typename... A>
constexpr size_t CountFields() {
  if constexpr (requires { T{std::declval<A>()..., AnyField{}}; }) {
    return CountFields<T, A..., AnyField>();
  } else {
    return sizeof...(A);
  }
}

size_t CountKeys(const std::string& prefix) {
  size_t n = 0;
  for (const OptionInfo& info : ServerOptionTable()) n += info.key.rfind(prefix, 0) == 0;
  return n;
}

// A field added to a layer's options struct must get a key in the option
// table and in config/stepd.example.json; this test fails until it does.
TEST(ServerOptions, TableCoversEveryFieldOfTheLayersOptions) {
  // host and port share "http.listen".
  EXPECT_EQ(CountFields<http::HttpOptions>(), CountKeys("http.") + 1)
      << "HttpOptions changed: update ServerOptionTable and config/stepd.example.json";
  // migrate_on_open is chosen per subcommand, not configured; audit_key is
  // loaded from audit.key_file / STEPD_AUDIT_KEY; node_id is cluster.node_id.
  EXPECT_EQ(CountFields<store::StoreOptions>(), CountKeys("store.") + 3)
      << "StoreOptions changed: update ServerOptionTable and config/stepd.example.json";
  EXPECT_EQ(CountFields<AuditOptions>(), CountKeys("audit."));
  EXPECT_EQ(CountFields<SecretsOptions>(), CountKeys("secrets."));
  // cluster's fields have keys of their own.
  EXPECT_EQ(CountFields<runtime::RuntimeOptions>(), CountKeys("runtime.") + 1)
      << "RuntimeOptions changed: update ServerOptionTable and config/stepd.example.json";
  // node_id is StoreOptions::node_id's key; address is set by `stepd serve`.
  EXPECT_EQ(CountFields<runtime::ClusterOptions>(), CountKeys("cluster.") + 1)
      << "ClusterOptions changed: update ServerOptionTable and config/stepd.example.json";
  EXPECT_EQ(CountFields<LogOptions>(), CountKeys("log."));
  // user_agent is set by `stepd serve`, io_threads unused there (the client
  // runs on the listener's pool); policy's fields have keys of their own.
  EXPECT_EQ(
      CountFields<http::AsyncClientOptions>() - 3 + CountFields<http::OutboundPolicyOptions>(),
      CountKeys("outbound."))
      << "AsyncClientOptions changed: update ServerOptionTable and config/stepd.example.json";
  EXPECT_EQ(CountFields<api::OidcOptions>(), CountKeys("auth.oidc."))
      << "OidcOptions changed: update ServerOptionTable and config/stepd.example.json";
  // node_id is set by `stepd serve` (cluster.node_id).
  EXPECT_EQ(CountFields<api::LookerOptions>(), CountKeys("looker.") + 1)
      << "LookerOptions changed: update ServerOptionTable and config/stepd.example.json";
  EXPECT_EQ(CountFields<api::ConsoleOptions>(), CountKeys("console."))
      << "ConsoleOptions changed: update ServerOptionTable and config/stepd.example.json";
  EXPECT_EQ(CountFields<runtime::NotifierOptions>(), CountKeys("notifications.") + 1)
      << "NotifierOptions changed: update ServerOptionTable and config/stepd.example.json";
  // "functions" reads and prints url and timeout_ms of each function.
  EXPECT_EQ(CountFields<runtime::LambdaFunction>(), 2u)
      << "LambdaFunction changed: update ParseFunctions and FunctionsOption in options.cc, "
         "config/stepd.example.json and the README";
}

TEST(ServerOptions, FlagBeatsEnvironmentBeatsFileBeatsDefault) {
  std::string file = R"({
    // comments are allowed
    "http": {"listen": "127.0.0.1:1001", "io_threads": 3},
    "store": {"path": "/file.db", "busy_timeout_ms": 7},
    "log": {"level": "debug"}
  })";
  CommandLineValues flags;
  flags.options["http.listen"] = "127.0.0.1:3003";
  EnvMap env = {
      {"STEPD_LISTEN", "127.0.0.1:2002"}, {"STEPD_DB", "/env.db"}, {"STEPD_HTTP_IO_THREADS", "5"}};

  auto resolved = Resolve(flags, env, &file);
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  const ServerOptions& o = resolved->options;
  EXPECT_EQ(o.http.port, 3003);                              // flag over env over file
  EXPECT_EQ(o.store.path, "/env.db");                        // env over file
  EXPECT_EQ(o.http.io_threads, 5);                           // env over file
  EXPECT_EQ(o.store.busy_timeout_ms, 7);                     // file over default
  EXPECT_EQ(o.log.level, LogLevel::kDebug);                  // file over default
  EXPECT_EQ(o.http.idle_timeout, std::chrono::seconds(60));  // default
  EXPECT_EQ(resolved->config_file, "/etc/stepd.json");
}

TEST(ServerOptions, ReadsDurationsInMilliseconds) {
  std::string file = R"({"http": {"read_timeout_ms": 1500, "shutdown_grace_ms": 0}})";
  auto resolved = Resolve({}, {{"STEPD_HTTP_IDLE_TIMEOUT_MS", "250"}}, &file);
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  EXPECT_EQ(resolved->options.http.read_timeout, std::chrono::milliseconds(1500));
  EXPECT_EQ(resolved->options.http.shutdown_grace, std::chrono::milliseconds(0));
  EXPECT_EQ(resolved->options.http.idle_timeout, std::chrono::milliseconds(250));
}

TEST(ServerOptions, UnknownFileKeyIsAnErrorNamingItsPath) {
  std::string file = R"({"http": {"idle_timeot": 5}})";
  EXPECT_EQ(Resolve({}, {}, &file).status(),
            InvalidArgumentError(R"(unknown option "http.idle_timeot" in /etc/stepd.json)"));
  file = R"({"htp": {}})";
  EXPECT_EQ(Resolve({}, {}, &file).status(),
            InvalidArgumentError(R"(unknown option "htp" in /etc/stepd.json)"));
}

TEST(ServerOptions, WrongTypeInFileNamesKeyAndExpectedType) {
  std::string file = R"({"http": {"io_threads": "two"}})";
  EXPECT_EQ(Resolve({}, {}, &file).status(),
            InvalidArgumentError(R"(option "http.io_threads" in /etc/stepd.json must be an )"
                                 R"(integer from 1 to 256, got "two")"));
  file = R"({"insecure": "yes"})";
  EXPECT_EQ(
      Resolve({}, {}, &file).status(),
      InvalidArgumentError(R"(option "insecure" in /etc/stepd.json must be a boolean, got "yes")"));
  file = R"({"log": "json"})";
  EXPECT_EQ(
      Resolve({}, {}, &file).status(),
      InvalidArgumentError(R"(option "log" in /etc/stepd.json must be an object, got "json")"));
  file = R"({"log": {"format": "xml"}})";
  EXPECT_EQ(Resolve({}, {}, &file).status(),
            InvalidArgumentError(R"(option "log.format" in /etc/stepd.json must be one of )"
                                 R"(text, json, got "xml")"));
  file = R"({"http": {"read_timeout_ms": 1.5}})";
  EXPECT_EQ(Resolve({}, {}, &file).status(),
            InvalidArgumentError(R"(option "http.read_timeout_ms" in /etc/stepd.json must be )"
                                 R"(an integer from 1 to 86400000, got 1.5)"));
}

TEST(ServerOptions, OutboundHostListsComeAsJsonArraysOrCommaSeparated) {
  std::string file =
      R"({"outbound": {"deny_hosts": ["10.0.0.0/8", "*.internal"], "plain_http": "never"}})";
  auto resolved =
      Resolve({}, {{"STEPD_OUTBOUND_ALLOW_HOSTS", " api.example.com, ::1 ,127.0.0.0/8"}}, &file);
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  const http::OutboundPolicyOptions& policy = resolved->options.outbound.policy;
  EXPECT_THAT(policy.deny_hosts, ElementsAre("10.0.0.0/8", "*.internal"));
  EXPECT_THAT(policy.allow_hosts, ElementsAre("api.example.com", "::1", "127.0.0.0/8"));
  EXPECT_EQ(policy.plain_http, http::PlainHttp::kNever);
  resolved = Resolve({}, {{"STEPD_OUTBOUND_DENY_HOSTS", R"(["localhost"])"}}, nullptr);
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  EXPECT_THAT(resolved->options.outbound.policy.deny_hosts, ElementsAre("localhost"));
}

TEST(ServerOptions, AMalformedOutboundHostIsAnErrorNamingTheOption) {
  std::string file = R"({"outbound": {"deny_hosts": ["10.0.0.0/40"]}})";
  EXPECT_EQ(Resolve({}, {}, &file).status(),
            InvalidArgumentError(R"(option "outbound.deny_hosts" in /etc/stepd.json must be a )"
                                 R"(JSON array of host names, *.suffixes, IP addresses or CIDR )"
                                 R"(blocks (in the environment also comma-separated), got )"
                                 R"(["10.0.0.0/40"])"));
  EXPECT_EQ(Resolve({}, {{"STEPD_OUTBOUND_ALLOW_HOSTS", "a b"}}, nullptr).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(ServerOptions, FunctionsMapLambdaNamesToEndpointsWithOptionalTimeouts) {
  std::string file = R"({"functions": {
    "validate": {"url": "http://127.0.0.1:9000/validate", "timeout_ms": 30000},
    "notify_v2": "https://functions.internal:8443/notify?x=1"
  }})";
  auto resolved = Resolve({}, {}, &file);
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  const runtime::LambdaFunctions& functions = resolved->options.functions;
  ASSERT_EQ(functions.size(), 2u);
  EXPECT_EQ(functions.at("validate").url, "http://127.0.0.1:9000/validate");
  EXPECT_EQ(functions.at("validate").timeout, std::chrono::milliseconds(30000));
  EXPECT_EQ(functions.at("notify_v2").url, "https://functions.internal:8443/notify?x=1");
  EXPECT_EQ(functions.at("notify_v2").timeout, std::chrono::milliseconds(0));

  // Printed in the long form, which reads back the same.
  const Json printed = ServerOptionsToJson(resolved->options);
  EXPECT_EQ(printed["functions"],
            Json::parse(R"({"notify_v2": {"url": "https://functions.internal:8443/notify?x=1"},
                            "validate": {"url": "http://127.0.0.1:9000/validate",
                                         "timeout_ms": 30000}})"));
  std::string again = Json{{"functions", printed["functions"]}}.dump();
  auto reread = Resolve({}, {}, &again);
  ASSERT_TRUE(reread.ok()) << reread.status();
  EXPECT_EQ(ServerOptionsToJson(reread->options), printed);

  auto from_env =
      Resolve({}, {{"STEPD_FUNCTIONS", R"({"validate": "http://[::1]:9000/v"})"}}, &file);
  ASSERT_TRUE(from_env.ok()) << from_env.status();
  ASSERT_EQ(from_env->options.functions.size(), 1u);
  EXPECT_EQ(from_env->options.functions.at("validate").url, "http://[::1]:9000/v");
}

TEST(ServerOptions, SchedulesAreReadByNameAndCheckedAtStart) {
  std::string file = R"json({"schedules": {
    "nightly": {"state_machine": "etl", "alias": "prod", "expression": "cron(0 2 * * ? *)",
                "timezone": "Europe/Berlin", "input": {"mode": "full"}, "catch_up": "SKIP",
                "start": "2026-01-01T00:00:00Z", "description": "the nightly load"},
    "poll": {"state_machine": "poller", "version": 3, "expression": "rate(5 minutes)",
             "enabled": false}
  }})json";
  auto resolved = Resolve({}, {}, &file);
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  const auto& schedules = resolved->options.schedules;
  ASSERT_EQ(schedules.size(), 2u);
  EXPECT_EQ(schedules[0].name, "nightly");
  EXPECT_EQ(schedules[0].qualifier, "prod");
  EXPECT_EQ(schedules[0].timezone, "Europe/Berlin");
  EXPECT_EQ(schedules[0].input, R"({"mode":"full"})");
  EXPECT_EQ(schedules[0].catch_up, store::ScheduleCatchUp::kSkip);
  EXPECT_EQ(schedules[0].start_ms, int64_t{1767225600000});
  EXPECT_EQ(schedules[1].qualifier, "3");
  EXPECT_FALSE(schedules[1].enabled);
  // Printed as read, and read back the same.
  const Json printed = ServerOptionsToJson(resolved->options);
  std::string again = Json{{"schedules", printed["schedules"]}}.dump();
  auto reread = Resolve({}, {}, &again);
  ASSERT_TRUE(reread.ok()) << reread.status();
  EXPECT_EQ(reread->options.schedules, schedules);

  std::string bad =
      R"json({"schedules": {"s": {"state_machine": "m", "expression": "rate(1 hours)"}}})json";
  EXPECT_EQ(Resolve({}, {}, &bad).status().message(),
            "option \"schedules.s\" in /etc/stepd.json is invalid: rate: the unit of 1 is "
            "singular: 'hour', not 'hours'");
  std::string unknown = R"({"schedules": {"s": {"state_machine": "m", "cron": "x"}}})";
  EXPECT_EQ(Resolve({}, {}, &unknown).status().code(), StatusCode::kInvalidArgument);
  std::string zone = R"json({"schedules": {"s": {"state_machine": "m",
      "expression": "rate(1 hour)", "timezone": "Nowhere/City"}}})json";
  EXPECT_NE(Resolve({}, {}, &zone).status().message().find("unknown time zone 'Nowhere/City'"),
            std::string::npos);
}

TEST(ServerOptions, OidcComesFromTheContractsFlagsOrTheFile) {
  CommandLineValues flags{std::nullopt,
                          {{"auth.oidc.issuer", "https://idp.example.com"},
                           {"auth.oidc.audience", "stepd,looker"},
                           {"auth.oidc.jwks_file", "/etc/stepd/jwks.json"},
                           {"auth.oidc.algorithms", "RS256,EdDSA"},
                           {"auth.oidc.clock_skew", "30"}}};
  auto resolved = Resolve(flags, {}, nullptr);
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  const api::OidcOptions& oidc = resolved->options.auth.oidc;
  EXPECT_EQ(oidc.issuer, "https://idp.example.com");
  EXPECT_THAT(oidc.audiences, ElementsAre("stepd", "looker"));
  EXPECT_EQ(oidc.jwks_file, "/etc/stepd/jwks.json");
  EXPECT_THAT(oidc.algorithms, ElementsAre("RS256", "EdDSA"));
  EXPECT_EQ(oidc.clock_skew, std::chrono::seconds(30));
  EXPECT_TRUE(resolved->options.auth.configured());

  std::string file = R"({"auth": {"oidc": {"issuer": "https://idp.example.com",
      "audience": ["stepd"], "groups_claim": "realm_access.roles", "header": "X-Goog-IAP-JWT-Assertion"}}})";
  resolved = Resolve({}, {}, &file);
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  EXPECT_EQ(resolved->options.auth.oidc.groups_claim, "realm_access.roles");
  EXPECT_EQ(resolved->options.auth.oidc.header, "X-Goog-IAP-JWT-Assertion");
}

TEST(ServerOptions, OidcRefusesNoneHmacAndAnIssuerWithoutAudience) {
  for (const char* alg : {"none", "HS256", "rs256"}) {
    auto resolved = Resolve(CommandLineValues{std::nullopt,
                                              {{"auth.oidc.issuer", "https://idp.example.com"},
                                               {"auth.oidc.audience", "stepd"},
                                               {"auth.oidc.algorithms", alg}}},
                            {}, nullptr);
    EXPECT_EQ(resolved.status().code(), StatusCode::kInvalidArgument) << alg;
  }
  EXPECT_EQ(Resolve(CommandLineValues{std::nullopt, {{"auth.oidc.issuer", "https://idp.example.com"}}},
                    {}, nullptr)
                .status(),
            InvalidArgumentError("auth.oidc.audience (--oidc-audience) is required with "
                                 "auth.oidc.issuer: a token meant for another service of the "
                                 "same issuer must not be accepted"));
  EXPECT_EQ(Resolve(CommandLineValues{std::nullopt, {{"auth.oidc.audience", "stepd"}}}, {}, nullptr)
                .status()
                .code(),
            StatusCode::kInvalidArgument);
}

// OIDC with the console's client, whose id_token the API must accept.
CommandLineValues ConsoleFlags() {
  return CommandLineValues{std::nullopt,
                           {{"auth.oidc.issuer", "https://idp.example.com"},
                            {"auth.oidc.audience", "stepd,stepd-console"},
                            {"console.oidc.client_id", "stepd-console"}}};
}

TEST(ServerOptions, TheConsoleIsOnByDefaultAndSignsInAsItsClient) {
  auto resolved = Resolve({}, {}, nullptr);
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  EXPECT_TRUE(resolved->options.console.enabled);
  EXPECT_EQ(resolved->options.console.oidc_scopes, "openid profile email");
  EXPECT_EQ(resolved->options.console.oidc_token, "id_token");

  CommandLineValues flags = ConsoleFlags();
  flags.options["console.oidc.scopes"] = "openid groups";
  flags.options["console.oidc.audience"] = "https://stepd.example.com";
  flags.options["console.oidc.token"] = "access_token";
  resolved =
      Resolve(flags, {{"STEPD_CONSOLE_CONNECT_ORIGINS", "https://oauth2.example.com"}}, nullptr);
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  const api::ConsoleOptions& console = resolved->options.console;
  EXPECT_EQ(console.oidc_client_id, "stepd-console");
  EXPECT_EQ(console.oidc_scopes, "openid groups");
  EXPECT_EQ(console.oidc_audience, "https://stepd.example.com");
  EXPECT_EQ(console.oidc_token, "access_token");
  EXPECT_THAT(console.connect_origins, ElementsAre("https://oauth2.example.com"));

  std::string file =
      R"({"console": {"enabled": false, "connect_origins": ["http://127.0.0.1:9000"]}})";
  resolved = Resolve({}, {}, &file);
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  EXPECT_FALSE(resolved->options.console.enabled);
  EXPECT_THAT(resolved->options.console.connect_origins, ElementsAre("http://127.0.0.1:9000"));
  // --no-console arrives as "false"; the environment says it like any boolean.
  EXPECT_FALSE(Resolve(CommandLineValues{std::nullopt, {{"console.enabled", "false"}}}, {}, nullptr)
                   ->options.console.enabled);
  EXPECT_FALSE(Resolve({}, {{"STEPD_CONSOLE_ENABLED", "false"}}, nullptr)->options.console.enabled);
}

TEST(ServerOptions, TheConsolesTokenIsAnIdTokenOrAnAccessToken) {
  CommandLineValues flags = ConsoleFlags();
  flags.options["console.oidc.token"] = "refresh_token";
  EXPECT_EQ(
      Resolve(flags, {}, nullptr).status(),
      InvalidArgumentError(
          R"(--console-oidc-token must be one of id_token, access_token, got "refresh_token")"));
  EXPECT_EQ(
      Resolve({}, {{"STEPD_CONSOLE_OIDC_TOKEN", "ID_TOKEN"}}, nullptr).status(),
      InvalidArgumentError(
          R"(STEPD_CONSOLE_OIDC_TOKEN must be one of id_token, access_token, got "ID_TOKEN")"));
}

TEST(ServerOptions, AConsoleMistakeIsRefusedAtStartNotAtSignIn) {
  // Nowhere to sign in.
  EXPECT_EQ(Resolve(CommandLineValues{std::nullopt, {{"console.oidc.client_id", "stepd-console"}}},
                    {}, nullptr)
                .status(),
            InvalidArgumentError("console.oidc.client_id (--console-oidc-client-id) needs "
                                 "auth.oidc.issuer (--oidc-issuer): the console signs in there"));
  // The id_token's aud is the client id: the API would refuse every sign-in.
  CommandLineValues flags = ConsoleFlags();
  flags.options["auth.oidc.audience"] = "stepd";
  EXPECT_EQ(Resolve(flags, {}, nullptr).status(),
            InvalidArgumentError("auth.oidc.audience (--oidc-audience) must list the console's "
                                 "client id \"stepd-console\": the console sends its id_token, "
                                 "whose aud is that id (or set console.oidc.token to "
                                 "access_token)"));
  flags.options["console.oidc.token"] = "access_token";
  EXPECT_TRUE(Resolve(flags, {}, nullptr).ok());
  // No openid scope: no id_token to show who signed in.
  flags = ConsoleFlags();
  flags.options["console.oidc.scopes"] = "profile openidx";
  EXPECT_EQ(Resolve(flags, {}, nullptr).status().code(), StatusCode::kInvalidArgument);
  // An origin is scheme://host[:port] and nothing more.
  for (const char* origin : {"https://oauth2.example.com/token", "oauth2.example.com",
                             "https://OAuth2.example.com", "*"}) {
    std::string file = std::string(R"({"console": {"connect_origins": [")") + origin + R"("]}})";
    EXPECT_EQ(Resolve({}, {}, &file).status().code(), StatusCode::kInvalidArgument) << origin;
  }
}

TEST(ServerOptions, BindingsNameOneIdentityARoleAndOptionalStateMachines) {
  std::string file = R"({"auth": {"default_role": "trigger", "bindings": [
      {"group": "data-eng", "role": "operator", "state_machines": ["etl-*"]},
      {"email": "*@ops.example.com", "role": "admin"}]}})";
  auto resolved = Resolve({}, {}, &file);
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  const auto& bindings = resolved->options.auth.bindings;
  ASSERT_EQ(bindings.size(), 2u);
  EXPECT_EQ(bindings[0].kind, api::RoleBinding::Kind::kGroup);
  EXPECT_EQ(bindings[0].value, "data-eng");
  EXPECT_EQ(bindings[0].role, api::Role::kOperator);
  EXPECT_THAT(bindings[0].state_machines, ElementsAre("etl-*"));
  EXPECT_EQ(bindings[1].kind, api::RoleBinding::Kind::kEmail);
  EXPECT_EQ(resolved->options.auth.default_role, api::Role::kTrigger);
  EXPECT_EQ(ServerOptionsToJson(resolved->options)["auth"]["bindings"][0],
            Json::parse(R"({"group":"data-eng","role":"operator","state_machines":["etl-*"]})"));

  const std::vector<std::pair<std::string, std::string>> bad = {
      {R"([{"group": "g"}])", "[0].role"},
      {R"([{"group": "g", "email": "e", "role": "admin"}])", "[0]"},
      {R"([{"role": "admin"}])", "[0]"},
      {R"([{"team": "g", "role": "admin"}])", "[0].team"},
      {R"([{"group": "g", "role": "root"}])", "[0].role"},
      {R"([{"group": "g", "role": "admin", "state_machines": []}])", "[0].state_machines"},
  };
  for (const auto& [bindings_text, where] : bad) {
    std::string bad_file = R"({"auth": {"bindings": )" + bindings_text + "}}";
    auto refused = Resolve({}, {}, &bad_file);
    ASSERT_EQ(refused.status().code(), StatusCode::kInvalidArgument) << bindings_text;
    EXPECT_NE(std::string(refused.status().message()).find("auth.bindings" + where),
              std::string::npos)
        << refused.status();
  }
}

TEST(ServerOptions, AMalformedFunctionIsAnErrorPointingInsideTheOption) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"functions": []})",
       R"(option "functions" in /etc/stepd.json must be a JSON object of Lambda function )"
       R"(names, got [])"},
      {R"({"functions": {"bad name": "http://127.0.0.1:9000/"}})",
       R"(option "functions.bad name" in /etc/stepd.json is not a Lambda function name (1 to )"
       R"(64 letters, digits, hyphens and underscores))"},
      {R"({"functions": {")" + std::string(65, 'f') + R"(": "http://127.0.0.1:9000/"}})",
       R"(option "functions.)" + std::string(65, 'f') +
           R"(" in /etc/stepd.json is not a Lambda function name (1 to 64 letters, digits, )"
           R"(hyphens and underscores))"},
      {R"({"functions": {"validate": "ftp://127.0.0.1/v"}})",
       R"(option "functions.validate" in /etc/stepd.json must be an http:// or https:// URL )"
       R"(with a host (and no user information or fragment), got "ftp://127.0.0.1/v")"},
      {R"({"functions": {"validate": {"url": "http://user:pw@127.0.0.1/v"}}})",
       R"(option "functions.validate.url" in /etc/stepd.json must be an http:// or https:// )"
       R"(URL with a host (and no user information or fragment), got )"
       R"("http://user:pw@127.0.0.1/v")"},
      {R"({"functions": {"validate": {"url": "/relative"}}})",
       R"(option "functions.validate.url" in /etc/stepd.json must be an http:// or https:// )"
       R"(URL with a host (and no user information or fragment), got "/relative")"},
      {R"({"functions": {"validate": {"timeout_ms": 5}}})",
       R"(option "functions.validate.url" in /etc/stepd.json is required)"},
      {R"({"functions": {"validate": {"url": "http://127.0.0.1/v", "tmeout_ms": 5}}})",
       R"(option "functions.validate.tmeout_ms" in /etc/stepd.json is unknown: a function )"
       R"(has "url" and "timeout_ms")"},
      {R"({"functions": {"validate": {"url": "http://127.0.0.1/v", "timeout_ms": 900001}}})",
       R"(option "functions.validate.timeout_ms" in /etc/stepd.json must be an integer from )"
       R"(1 to 900000 (Lambda's limit, 15 minutes), got 900001)"},
      {R"({"functions": {"validate": 9000}})",
       R"(option "functions.validate" in /etc/stepd.json must be the function's URL or an )"
       R"(object {"url", "timeout_ms"}, got 9000)"},
  };
  for (const auto& [file, message] : cases) {
    EXPECT_EQ(Resolve({}, {}, &file).status(), InvalidArgumentError(message)) << file;
  }
  EXPECT_EQ(Resolve({}, {{"STEPD_FUNCTIONS", R"({"validate": {"url": "gopher://x"}})"}}, nullptr)
                .status(),
            InvalidArgumentError(R"(STEPD_FUNCTIONS (functions.validate.url) must be an http:// )"
                                 R"(or https:// URL with a host (and no user information or )"
                                 R"(fragment), got "gopher://x")"));
  EXPECT_EQ(Resolve({}, {{"STEPD_FUNCTIONS", "validate=http://x"}}, nullptr).status(),
            InvalidArgumentError(
                R"(STEPD_FUNCTIONS must be a JSON object of Lambda function name -> {"url": )"
                R"(http(s) URL, "timeout_ms": 1 to 900000} or the URL alone, got )"
                R"("validate=http://x")"));
}

TEST(ServerOptions, FileThatIsNotAnObjectOrNotJsonIsAnError) {
  std::string file = "[1]";
  EXPECT_EQ(Resolve({}, {}, &file).status(),
            InvalidArgumentError("config file /etc/stepd.json must hold a JSON object"));
  file = "{\"http\": ";
  auto status = Resolve({}, {}, &file).status();
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message().rfind("config file /etc/stepd.json: invalid JSON at byte", 0), 0u)
      << status;
}

TEST(ServerOptions, UnknownEnvironmentVariableIsOnlyAWarning) {
  auto resolved = Resolve({}, {{"STEPD_LISTN", "1.2.3.4:5"}, {"STEPD_CONFIG", "/x.json"}}, nullptr);
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  EXPECT_THAT(resolved->warnings, ElementsAre("unknown environment variable STEPD_LISTN ignored"));
  EXPECT_EQ(resolved->options.http.port, 8080);
}

TEST(ServerOptions, TheKeyVariablesAreNoOptionsAndNoUnknownVariables) {
  auto resolved = Resolve({}, {{"STEPD_AUDIT_KEY", "a"}, {"STEPD_SECRETS_KEY", "s"}}, nullptr);
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  EXPECT_THAT(resolved->warnings, IsEmpty());
  const std::string printed = ServerOptionsToJson(resolved->options).dump();
  EXPECT_EQ(printed.find("\"s\""), std::string::npos);
}

TEST(ServerOptions, SecretsKeyFileComesFromFlagEnvironmentOrFile) {
  std::string file = R"({"secrets": {"key_file": "/file.key"}})";
  EXPECT_EQ(Resolve({}, {}, &file)->options.secrets.key_file, "/file.key");
  EXPECT_EQ(Resolve({}, {{"STEPD_SECRETS_KEY_FILE", "/env.key"}}, &file)->options.secrets.key_file,
            "/env.key");
  CommandLineValues flags;
  flags.options["secrets.key_file"] = "/flag.key";
  EXPECT_EQ(
      Resolve(flags, {{"STEPD_SECRETS_KEY_FILE", "/env.key"}}, &file)->options.secrets.key_file,
      "/flag.key");
}

TEST(ServerOptions, BadEnvironmentValueIsAnErrorNamingTheVariable) {
  EXPECT_EQ(
      Resolve({}, {{"STEPD_HTTP_IO_THREADS", "0"}}, nullptr).status(),
      InvalidArgumentError(R"(STEPD_HTTP_IO_THREADS must be an integer from 1 to 256, got "0")"));
  EXPECT_EQ(Resolve({}, {{"STEPD_INSECURE", "maybe"}}, nullptr).status(),
            InvalidArgumentError(R"(STEPD_INSECURE must be a boolean, got "maybe")"));
}

TEST(ServerOptions, BadFlagValueIsAnErrorNamingTheFlag) {
  CommandLineValues flags;
  flags.options["http.listen"] = "localhost";
  EXPECT_EQ(Resolve(flags, {}, nullptr).status(),
            InvalidArgumentError(R"(--listen must be HOST:PORT (HOST an IP address or )"
                                 R"(localhost; [::1]:PORT for IPv6), got "localhost")"));
  flags.options["http.listen"] = "127.0.0.1:65536";
  EXPECT_FALSE(Resolve(flags, {}, nullptr).ok());
  flags.options["http.listen"] = "example.com:80";
  EXPECT_FALSE(Resolve(flags, {}, nullptr).ok());
  flags.options["http.listen"] = "::1:80";
  EXPECT_FALSE(Resolve(flags, {}, nullptr).ok());
}

TEST(ServerOptions, ParsesIpv6AndLocalhostListenAddresses) {
  CommandLineValues flags;
  flags.options["http.listen"] = "[::1]:0";
  auto resolved = Resolve(flags, {}, nullptr);
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  EXPECT_EQ(resolved->options.http.host, "::1");
  EXPECT_EQ(resolved->options.http.port, 0);
  EXPECT_EQ(ServerOptionsToJson(resolved->options)["http"]["listen"], "[::1]:0");

  flags.options["http.listen"] = "localhost:9000";
  resolved = Resolve(flags, {}, nullptr);
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  EXPECT_EQ(resolved->options.http.host, "localhost");
  EXPECT_EQ(resolved->options.http.port, 9000);
}

TEST(ServerOptions, NonLoopbackListenIsRefusedWithoutInsecure) {
  CommandLineValues flags;
  flags.options["http.listen"] = "0.0.0.0:8080";
  EXPECT_EQ(Resolve(flags, {}, nullptr).status(),
            InvalidArgumentError(
                "refusing to listen on 0.0.0.0:8080: no authentication is configured, so only "
                "loopback addresses are allowed; pass --insecure (or STEPD_INSECURE=true) to "
                "accept every caller as admin"));
  flags.options["insecure"] = "true";
  auto resolved = Resolve(flags, {}, nullptr);
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  EXPECT_TRUE(resolved->options.insecure);
}

TEST(ServerOptions, TlsCertificateAndKeyGoTogether) {
  std::string file = R"({"http": {"tls_cert_file": "/c.pem"}})";
  EXPECT_EQ(
      Resolve({}, {}, &file).status(),
      InvalidArgumentError("http.tls_cert_file and http.tls_key_file must be given together"));
}

TEST(ServerOptions, EmptyDatabasePathIsRefused) {
  EXPECT_EQ(Resolve({}, {{"STEPD_DB", ""}}, nullptr).status(),
            InvalidArgumentError("store.path (--db) must not be empty"));
}

TEST(ServerOptions, LoadReadsTheFileNamedByFlagOrEnvironment) {
  std::string path = ::testing::TempDir() + "/stepd_options_test.json";
  {
    std::ofstream out(path);
    out << R"({"store": {"path": "/from-file.db"}})";
  }
  CommandLineValues flags;
  flags.config_file = path;
  auto resolved = LoadServerOptions(flags, {});
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  EXPECT_EQ(resolved->options.store.path, "/from-file.db");
  EXPECT_EQ(resolved->config_file, path);

  resolved = LoadServerOptions({}, {{"STEPD_CONFIG", path}});
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  EXPECT_EQ(resolved->options.store.path, "/from-file.db");

  flags.config_file = path + ".missing";
  EXPECT_EQ(LoadServerOptions(flags, {}).status(),
            InvalidArgumentError("cannot read config file " + path +
                                 ".missing: No such file or directory"));
}

TEST(IsLoopbackHost, AcceptsOnlyLoopback) {
  EXPECT_TRUE(IsLoopbackHost("127.0.0.1"));
  EXPECT_TRUE(IsLoopbackHost("127.1.2.3"));
  EXPECT_TRUE(IsLoopbackHost("::1"));
  EXPECT_TRUE(IsLoopbackHost("::ffff:127.0.0.1"));
  EXPECT_TRUE(IsLoopbackHost("localhost"));
  EXPECT_FALSE(IsLoopbackHost("0.0.0.0"));
  EXPECT_FALSE(IsLoopbackHost("::"));
  EXPECT_FALSE(IsLoopbackHost("10.0.0.1"));
  EXPECT_FALSE(IsLoopbackHost("128.0.0.1"));
}

TEST(ServerOptions, ReadsLookerActionsAndHubTokens) {
  std::string file = R"({"auth": {"looker_tokens": [{"name": "looker-prod",
      "token": "0123456789abcdef0123", "role": "trigger"}]},
    "looker": {"public_url": "https://hub.example.com", "actions": [
      {"name": "refresh", "state_machine": "refresh-orders", "qualifier": "prod",
       "supported_action_types": ["query", "dashboard"], "mode": "wait",
       "wait_timeout_seconds": 60,
       "params": [{"name": "api_key", "required": true},
                  {"name": "region", "sensitive": false}],
       "form": [{"name": "target", "type": "select",
                 "options": [{"name": "prod", "label": "Production"}]}]}]}})";
  auto resolved = Resolve({}, {}, &file);
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  const ServerOptions& o = resolved->options;
  ASSERT_EQ(o.auth.looker_tokens.size(), 1u);
  EXPECT_EQ(o.auth.looker_tokens[0].role, api::Role::kTrigger);
  EXPECT_TRUE(o.auth.configured());
  ASSERT_EQ(o.looker.actions.size(), 1u);
  const api::LookerAction& a = o.looker.actions[0];
  EXPECT_EQ(a.qualifier, "prod");
  EXPECT_EQ(a.mode, api::LookerMode::kWait);
  EXPECT_EQ(a.wait_timeout, std::chrono::seconds(60));
  EXPECT_TRUE(a.params[0].required && a.params[0].sensitive);
  EXPECT_FALSE(a.params[1].sensitive);
  EXPECT_EQ(a.form[0].options[0].label, "Production");
  // Printed back with the token redacted, and read again to the same.
  Json printed = ServerOptionsToJson(o);
  EXPECT_EQ(printed["auth"]["looker_tokens"][0]["token"], "<redacted>");
  EXPECT_EQ(printed["looker"]["actions"][0]["form"][0]["options"][0]["name"], "prod");
}

TEST(ServerOptions, ALookerMistakeIsNamedWhereItIs) {
  auto error = [](const std::string& file) {
    return std::string(Resolve({}, {}, &file).status().message());
  };
  EXPECT_EQ(error(R"({"looker": {"actions": [{"name": "a"}]}})"),
            "option \"looker.actions[0].state_machine\" in /etc/stepd.json is required: the name "
            "or ARN of the state machine");
  EXPECT_EQ(error(R"({"looker": {"actions": [{"name": "a", "state_machine": "m",
                     "supported_action_types": ["row"]}]}})"),
            "option \"looker.actions[0].supported_action_types\" in /etc/stepd.json must hold "
            "only cell, query, dashboard, got \"row\"");
  EXPECT_EQ(error(R"({"looker": {"actions": [{"name": "a", "state_machine": "m"},
                     {"name": "a", "state_machine": "n"}]}})"),
            "option \"looker.actions[1].name\" in /etc/stepd.json repeats \"a\"");
  const std::string short_token = error(R"({"auth": {"looker_tokens": [{"name": "l",
      "token": "short-secret"}]}})");
  EXPECT_EQ(short_token, "option \"auth.looker_tokens[0].token\" in /etc/stepd.json must be 16 "
                         "to 1024 characters without '\"'");
  EXPECT_EQ(short_token.find("short-secret"), std::string::npos);
  EXPECT_THAT(error(R"({"looker": {"require_proxy_assertion": true}})"),
              ::testing::HasSubstr("looker.require_proxy_assertion needs auth.oidc.issuer"));
}

TEST(ServerOptions, NotificationsSectionReadsSinksAndRulesAndPrintsSecretsRedacted) {
  std::string file = R"({"notifications": {
    "sinks": {"ops": {"type": "slack", "url": "https://hooks.slack.com/services/T0/B0/SECRET"}},
    "rules": {"nightly": {"state_machines": ["nightly-*"], "outcomes": ["FAILED"], "sink": "ops"}},
    "max_attempts": 3, "initial_backoff_ms": 200}})";
  auto resolved = Resolve({}, {}, &file);
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  const runtime::NotifierOptions& n = resolved->options.notifications;
  ASSERT_EQ(n.sinks.size(), 1u);
  EXPECT_EQ(n.sinks[0].url, "https://hooks.slack.com/services/T0/B0/SECRET");
  ASSERT_EQ(n.rules.size(), 1u);
  EXPECT_EQ(n.rules[0].state_machines, std::vector<std::string>{"nightly-*"});
  EXPECT_EQ(n.max_attempts, 3);
  EXPECT_EQ(n.initial_backoff, std::chrono::milliseconds(200));
  const std::string printed = ServerOptionsToJson(resolved->options).dump();
  EXPECT_THAT(printed, ::testing::Not(::testing::HasSubstr("SECRET")));
}

TEST(ServerOptions, NotificationsSectionRefusesUnknownKeysSinksAndOutcomes) {
  std::string unknown_key = R"({"notifications": {"retries": 3}})";
  EXPECT_EQ(Resolve({}, {}, &unknown_key).status(),
            InvalidArgumentError(R"(unknown option "notifications.retries" in /etc/stepd.json)"));
  std::string bad_url = R"({"notifications": {"sinks": {"ops": {"type": "slack", "url": "x"}}}})";
  EXPECT_EQ(Resolve({}, {}, &bad_url).status(),
            InvalidArgumentError(R"(option "notifications.sinks.ops" in /etc/stepd.json )"
                                 "member 'url' is not an http(s) URL"));
  std::string bad_outcome =
      R"({"notifications": {"rules": {"r": {"outcomes": ["LOST"], "sink": "ops"}}}})";
  EXPECT_EQ(Resolve({}, {}, &bad_outcome).status(),
            InvalidArgumentError(R"(option "notifications.rules.r" in /etc/stepd.json unknown )"
                                 "outcome 'LOST' (FAILED, TIMED_OUT, ABORTED, SUCCEEDED, "
                                 "REDRIVEN)"));
  std::string unknown_sink =
      R"({"notifications": {"rules": {"r": {"outcomes": ["FAILED"], "sink": "nope"}}}})";
  EXPECT_EQ(Resolve({}, {}, &unknown_sink).status(),
            InvalidArgumentError("notifications.rules.r: unknown sink 'nope' "
                                 "(notifications.sinks names 0 sink(s))"));
}

}  // namespace
}  // namespace stepd::server
