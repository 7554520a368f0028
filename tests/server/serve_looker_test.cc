// `stepd serve` as a Looker Action Hub: realistic deliveries (scheduled
// queries as json, json_detail and csv; a dashboard's csv_zip in base64 with
// line breaks; a cell action; a download_url served once by a fake Looker)
// sent over HTTP to the real process, checked through the execution input
// (AWS API), the answer Looker sees, the artifact API and the audit log.

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <random>
#include <sstream>
#include <thread>

#include "server/stepd_process_testing.h"
#include "stepd/base/crypto.h"
#include "stepd/base/json.h"
#include "stepd/http/client.h"
#include "stepd/http/router.h"
#include "stepd/http/server.h"
#include "stepd/store/sqlite_store.h"
#include "support/jwt_signer.h"

namespace stepd::server {
namespace {

using api::JwtAlgorithm;
using api::testing::JwksText;
using api::testing::TestKey;
using api::testing::TestKeyType;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::RunningServer;
using testing::RunStepd;
using testing::ScratchDir;

constexpr char kIssuer[] = "https://idp.example.com";
constexpr char kHubToken[] = "hub-token-0123456789abcdef";
constexpr char kViewerHubToken[] = "viewer-token-0123456789abcdef";
constexpr char kApiKey[] = "sk-live-super-secret-value-42";
constexpr char kRoleArn[] = "arn:aws:iam::123456789012:role/stepd";
constexpr char kPass[] = R"({"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}})";

struct Answer {
  int status = 0;
  std::string body;
  Json json() const {
    auto parsed = ParseJson(body);
    return parsed.ok() ? *parsed : Json();
  }
};

// A random payload (bytes 0..255) of `size` bytes, reproducible.
std::string RandomBytesOf(size_t size, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string out(size, '\0');
  for (char& c : out) c = static_cast<char>(rng() & 0xff);
  return out;
}

// Base64 as Looker's Ruby encoder writes it: a line break every 60 characters
// and at the end.
std::string MimeBase64(std::string_view bytes) {
  const std::string flat = Base64Encode(bytes);
  std::string out;
  for (size_t i = 0; i < flat.size(); i += 60) out += flat.substr(i, 60) + "\n";
  return out;
}

int64_t NowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class ServeLooker : public ::testing::Test {
 protected:
  // Writes, through a store of its own on the server's database, what a
  // delivery leaves when it was recorded "started" (refresh_orders, instance
  // inst-1) and its execution never began.
  void LeaveStartedDeliveryWithoutExecution(const std::string& id, const std::string& webhook,
                                            int64_t received_ms) {
    store::StoreOptions options;
    options.path = dir_.File("stepd.db");
    const std::string audit_key = testing::ReadFile(dir_.File("audit.key"));
    options.audit_key = audit_key.substr(0, audit_key.find('\n'));
    auto store = store::OpenSqliteStore(options);
    ASSERT_TRUE(store.ok()) << store.status();
    store::LookerDeliveryRecord left;
    left.id = id;
    left.received_ms = received_ms;
    left.action = "refresh_orders";
    left.instance = "inst-1";
    left.webhook_id = webhook;
    left.type = "query";
    left.execution_arn =
        "arn:aws:states:us-east-1:123456789012:execution:refresh-orders:looker-never-" + webhook;
    left.outcome = "started";
    auto recorded = (*store)->RecordLookerDelivery(left, received_ms - 3'600'000);
    ASSERT_TRUE(recorded.ok()) << recorded.status();
    ASSERT_FALSE(recorded->first.has_value());
  }

  // Looker sends the delivery of `webhook` again: it starts the one
  // execution of refresh-orders, and the next re-delivery gets that one.
  void ExpectRedeliveryStartsOnceThenIsADuplicate(const std::string& webhook) {
    Json body = ScheduledQuery({{"mimetype", "text/csv"}, {"data", "a,b\n1,2\n"}});
    Answer again = Execute("refresh_orders", body, webhook);
    ASSERT_EQ(again.status, 200) << again.body;
    EXPECT_EQ(again.json()["looker"]["success"], true) << again.body;
    EXPECT_EQ(again.json()["stepd"]["duplicate"], false) << again.body;
    EXPECT_EQ(InputOf(again)["looker"]["webhook_id"], webhook);
    Answer third = Execute("refresh_orders", body, webhook);
    EXPECT_EQ(third.json()["stepd"]["duplicate"], true) << third.body;
    EXPECT_EQ(third.json()["stepd"]["execution_arn"], again.json()["stepd"]["execution_arn"]);
    Answer executions = Aws(
        "ListExecutions",
        {{"stateMachineArn", "arn:aws:states:us-east-1:123456789012:stateMachine:refresh-orders"}});
    EXPECT_EQ(executions.json()["executions"].size(), 1u) << executions.body;
  }

  void SetUp() override {
    const std::string jwks = dir_.Write("jwks.json", JwksText({key_->PublicJwk()}));
    Json actions = Json::array();
    actions.push_back({{"name", "refresh_orders"},
                       {"label", "Refresh orders"},
                       {"description", "Validates the data and refreshes the model"},
                       {"state_machine", "refresh-orders"},
                       {"supported_action_types", {"query", "dashboard"}},
                       {"supported_formats", {"json", "json_detail", "csv", "csv_zip"}},
                       {"params",
                        {{{"name", "api_key"}, {"label", "API key"}, {"required", true}},
                         {{"name", "region"}, {"label", "Region"}, {"sensitive", false}}}},
                       {"form",
                        {{{"name", "note"}, {"label", "Note"}, {"type", "textarea"}},
                         {{"name", "target"},
                          {"label", "Target"},
                          {"type", "select"},
                          {"required", true},
                          {"options", {{{"name", "prod"}, {"label", "Production"}}}}}}}});
    actions.push_back({{"name", "notify_cell"},
                       {"state_machine", "notify"},
                       {"supported_action_types", {"cell"}}});
    actions.push_back({{"name", "export_stream"},
                       {"state_machine", "refresh-orders"},
                       {"supported_download_settings", {"url"}}});
    actions.push_back({{"name", "validate_wait"},
                       {"state_machine", "validate"},
                       {"mode", "wait"},
                       {"wait_timeout_seconds", 30}});
    actions.push_back({{"name", "fail_wait"}, {"state_machine", "fails"}, {"mode", "wait"}});
    actions.push_back({{"name", "secret_ops"}, {"state_machine", "etl-secret"}});
    Json config = {{"auth",
                    {{"oidc", {{"issuer", kIssuer}, {"audience", {"stepd"}}, {"jwks_file", jwks}}},
                     {"looker_tokens",
                      {{{"name", "looker-prod"}, {"token", kHubToken}},
                       {{"name", "looker-view"}, {"token", kViewerHubToken}, {"role", "viewer"}}}},
                     {"bindings",
                      {{{"email", "*@admins.example.com"}, {"role", "admin"}},
                       {{"looker", "looker-prod"},
                        {"role", "trigger"},
                        {"state_machines", {"refresh-*", "notify", "validate", "fails"}}}}}}},
                   {"looker",
                    {{"actions", actions},
                     {"public_url", "https://hub.example.com/"},
                     {"label", "stepd test hub"},
                     {"keepalive_seconds", 1}}}};
    server_ = RunningServer::Start(dir_, {"--config", dir_.Write("stepd.json", config.dump(2))});
    ASSERT_NE(server_, nullptr);
    CreateMachine("refresh-orders", kPass);
    CreateMachine("notify", kPass);
    CreateMachine("etl-secret", kPass);
    CreateMachine(
        "validate",
        R"({"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":2,"Next":"P"},)"
        R"("P":{"Type":"Pass","Result":{"message":"Validated 2 rows","refresh_query":true},"End":true}}})");
    CreateMachine("fails", R"({"StartAt":"F","States":{"F":{"Type":"Fail","Error":"Data.Invalid",)"
                           R"("Cause":"column orders.count is negative"}}})");
  }

  std::string Admin() const {
    const int64_t now = NowSeconds();
    return key_->Sign(JwtAlgorithm::kES256, {{"iss", kIssuer},
                                             {"aud", "stepd"},
                                             {"sub", "bob"},
                                             {"email", "bob@admins.example.com"},
                                             {"iat", now},
                                             {"exp", now + 600}});
  }

  Answer Aws(const std::string& operation, const Json& input) {
    http::ClientRequest request;
    request.method = "POST";
    request.url = server_->base_url() + "/";
    request.headers.Add("X-Amz-Target", "AWSStepFunctions." + operation);
    request.headers.Add("Content-Type", "application/x-amz-json-1.0");
    request.headers.Add("Authorization", "Bearer " + Admin());
    request.body = input.dump();
    auto response = http::Fetch(request);
    if (!response.ok()) {
      ADD_FAILURE() << operation << ": " << response.status();
      return {};
    }
    return {response->status, response->body};
  }

  void CreateMachine(const std::string& name, const std::string& definition) {
    Answer created = Aws("CreateStateMachine",
                         {{"name", name}, {"definition", definition}, {"roleArn", kRoleArn}});
    ASSERT_EQ(created.status, 200) << created.body;
  }

  // A hub request as Looker sends it.
  Answer Looker(const std::string& path, const std::string& body,
                const std::string& authorization = std::string("Token token=\"") + kHubToken + "\"",
                const std::string& webhook_id = "", const std::string& instance = "inst-1") {
    http::ClientRequest request;
    request.method = "POST";
    request.url = server_->base_url() + path;
    request.headers.Add("Content-Type", "application/json");
    request.headers.Add("User-Agent", "LookerOutgoingWebhook/7.3.0");
    request.headers.Add("X-Looker-Instance", instance);
    if (!webhook_id.empty()) request.headers.Add("X-Looker-Webhook-Id", webhook_id);
    if (!authorization.empty()) request.headers.Add("Authorization", authorization);
    request.body = body;
    http::ClientOptions options;
    options.timeout = std::chrono::seconds(60);
    options.max_response_bytes = 1 << 20;
    auto response = http::Fetch(request, options);
    if (!response.ok()) {
      ADD_FAILURE() << path << ": " << response.status();
      return {};
    }
    return {response->status, response->body};
  }

  Answer Execute(const std::string& action, const Json& body, const std::string& webhook_id = "") {
    return Looker("/looker/actions/" + action + "/execute", body.dump(),
                  std::string("Token token=\"") + kHubToken + "\"", webhook_id);
  }

  // The input of the execution an answer names.
  Json InputOf(const Answer& answer) {
    const std::string arn = answer.json()["stepd"].value("execution_arn", "");
    EXPECT_FALSE(arn.empty()) << answer.body;
    Answer described = Aws("DescribeExecution", {{"executionArn", arn}});
    EXPECT_EQ(described.status, 200) << described.body;
    return Json::parse(described.json().value("input", "{}"));
  }

  std::vector<Json> AuditRows(const std::string& action) {
    testing::CommandResult result =
        RunStepd(dir_, {"audit", "list", "--db", dir_.File("stepd.db"), "--action", action});
    EXPECT_EQ(result.exit_code, 0) << result.err;
    std::vector<Json> rows;
    std::istringstream lines(result.out);
    for (std::string line; std::getline(lines, line);) rows.push_back(Json::parse(line));
    return rows;
  }

  Json ScheduledQuery(const Json& attachment) const {
    return {{"type", "query"},
            {"scheduled_plan",
             {{"scheduled_plan_id", 42},
              {"title", "Orders by County"},
              {"type", "Look"},
              {"url", "https://mycompany.looker.com/looks/17"},
              {"query_id", "1234"},
              {"query",
               {{"id", 1234},
                {"model", "ecommerce"},
                {"view", "orders"},
                {"fields", {"orders.created_month", "orders.count"}},
                {"filters", {{"users.created_month", "12 months ago for 12 months"}}},
                {"limit", "500"}}},
              {"filters_differ_from_look", nullptr},
              {"download_url", nullptr}}},
            {"attachment", attachment},
            {"data", {{"api_key", kApiKey}, {"region", "eu-west-1"}}},
            {"form_params", {{"format", "json"}, {"target", "prod"}, {"note", nullptr}}}};
  }

  const TestKey* const key_ = &api::testing::SharedTestKey(TestKeyType::kEcP256, "k1");
  ScratchDir dir_;
  std::unique_ptr<RunningServer> server_;
};

TEST_F(ServeLooker, ListsTheActionsWithAbsoluteUrlsFromThePublicUrl) {
  Answer list = Looker("/looker", "");
  ASSERT_EQ(list.status, 200) << list.body;
  Json body = list.json();
  EXPECT_EQ(body["label"], "stepd test hub");
  ASSERT_TRUE(body["integrations"].is_array());
  // looker-prod may start refresh-*, notify, validate and fails: not etl-secret.
  std::vector<std::string> names;
  for (const Json& i : body["integrations"]) names.push_back(i["name"]);
  EXPECT_THAT(names, ::testing::ElementsAre("refresh_orders", "notify_cell", "export_stream",
                                            "validate_wait", "fail_wait"));
  const Json& refresh = body["integrations"][0];
  EXPECT_EQ(refresh["url"], "https://hub.example.com/looker/actions/refresh_orders/execute");
  EXPECT_EQ(refresh["form_url"], "https://hub.example.com/looker/actions/refresh_orders/form");
  EXPECT_EQ(refresh["supported_action_types"], Json({"query", "dashboard"}));
  EXPECT_EQ(refresh["supported_download_settings"], Json({"push"}));
  EXPECT_EQ(refresh["params"][0]["sensitive"], true);
  EXPECT_EQ(refresh["params"][1]["sensitive"], false);
  EXPECT_TRUE(body["integrations"][1]["form_url"].is_null());

  Answer one = Looker("/looker/actions/notify_cell", "{}");
  ASSERT_EQ(one.status, 200) << one.body;
  EXPECT_EQ(one.json()["supported_action_types"], Json({"cell"}));

  Answer form =
      Looker("/looker/actions/refresh_orders/form", R"({"data":{"api_key":"x"},"form_params":{}})");
  ASSERT_EQ(form.status, 200) << form.body;
  EXPECT_EQ(form.json()["fields"][1]["options"][0]["name"], "prod");
  Answer no_setting = Looker("/looker/actions/refresh_orders/form", R"({"data":null})");
  EXPECT_EQ(no_setting.json(),
            Json({{"error", "Required setting \"API key\" not specified in action settings."}}));

  // GET /looker is a status page that needs no credential.
  auto page = http::Fetch({.method = "GET", .url = server_->base_url() + "/looker"});
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->status, 200);
  EXPECT_THAT(page->body, HasSubstr("operational"));
}

TEST_F(ServeLooker, AMissingOrWrongTokenGetsTheReferenceHubs403) {
  const std::string expected = R"({"success":false,"error":"Invalid 'Authorization' header."})";
  for (const std::string& authorization :
       {std::string(), std::string("foo"), std::string("Token token=\"wrong-token-0123456789\""),
        std::string("Bearer ") + Admin(), std::string("Token token=\"\"")}) {
    for (const char* path :
         {"/looker", "/looker/actions/refresh_orders", "/looker/actions/refresh_orders/form",
          "/looker/actions/refresh_orders/execute"}) {
      Answer answer = Looker(path, ScheduledQuery(nullptr).dump(), authorization);
      EXPECT_EQ(answer.status, 403) << path << " " << authorization;
      EXPECT_EQ(answer.json(), Json::parse(expected)) << answer.body;
    }
  }
  // The reference hub's lenient parse: lower-case "token token=".
  EXPECT_EQ(Looker("/looker", "", std::string("token token=\"") + kHubToken + "\"").status, 200);
  // A viewer's token sees no action and may not execute.
  Answer viewer_list =
      Looker("/looker", "", std::string("Token token=\"") + kViewerHubToken + "\"");
  EXPECT_EQ(viewer_list.json()["integrations"], Json::array());
  Answer viewer_execute =
      Looker("/looker/actions/refresh_orders/execute", ScheduledQuery(nullptr).dump(),
             std::string("Token token=\"") + kViewerHubToken + "\"");
  EXPECT_EQ(viewer_execute.status, 403);
  EXPECT_EQ(viewer_execute.json()["success"], false);
  EXPECT_THAT(viewer_execute.json()["error"].get<std::string>(),
              HasSubstr("looker:looker-view (roles: viewer) may not start state machine "
                        "'refresh-orders'"));
  // Nothing was started.
  Answer executions = Aws(
      "ListExecutions",
      {{"stateMachineArn", "arn:aws:states:us-east-1:123456789012:stateMachine:refresh-orders"}});
  EXPECT_EQ(executions.json()["executions"], Json::array());
}

TEST_F(ServeLooker, AScheduledJsonQueryStartsTheStateMachineWithTheDeliveryAsInput) {
  Json attachment = {{"mimetype", "application/json"},
                     {"extension", "json"},
                     {"data", R"([{"orders.created_month":"2017-07","orders.count":773},)"
                              R"({"orders.created_month":"2017-06","orders.count":922}])"}};
  Answer answer = Execute("refresh_orders", ScheduledQuery(attachment), "wh-1001");
  ASSERT_EQ(answer.status, 200) << answer.body;
  Json looker = answer.json()["looker"];
  EXPECT_EQ(looker["success"], true) << answer.body;
  EXPECT_THAT(looker["message"].get<std::string>(), HasSubstr("of state machine refresh-orders"));
  EXPECT_EQ(looker["webhookId"], "wh-1001");
  EXPECT_EQ(looker["validation_errors"], Json::object());

  Json input = InputOf(answer);
  EXPECT_EQ(input["action"], "refresh_orders");
  EXPECT_EQ(input["type"], "query");
  EXPECT_EQ(input["looker"],
            Json({{"instance", "inst-1"}, {"webhook_id", "wh-1001"}, {"version", "7.3.0"}}));
  EXPECT_EQ(input["scheduled_plan"]["scheduled_plan_id"], 42);
  EXPECT_FALSE(input["scheduled_plan"].contains("download_url"));
  EXPECT_EQ(input["query"]["model"], "ecommerce");
  EXPECT_EQ(input["form_params"]["target"], "prod");
  EXPECT_EQ(input["params"]["region"], "eu-west-1");
  EXPECT_EQ(input["params"]["api_key"]["sensitive"], true);
  EXPECT_FALSE(input["params"]["api_key"]["sealed"].get<std::string>().empty());
  EXPECT_EQ(input["attachment"]["inline"], true);
  EXPECT_EQ(input["attachment"]["format"], "json");
  EXPECT_EQ(input["attachment"]["data"][1]["orders.count"], 922);
  EXPECT_TRUE(input["delivery"]["id"].get<std::string>().starts_with("dlv-"));

  // The secret reaches neither the input nor the history nor the audit log.
  EXPECT_THAT(input.dump(), Not(HasSubstr(kApiKey)));
  Answer history =
      Aws("GetExecutionHistory", {{"executionArn", answer.json()["stepd"]["execution_arn"]}});
  EXPECT_THAT(history.body, Not(HasSubstr(kApiKey)));
  testing::CommandResult audit = RunStepd(dir_, {"audit", "list", "--db", dir_.File("stepd.db")});
  EXPECT_THAT(audit.out, Not(HasSubstr(kApiKey)));
  EXPECT_THAT(audit.out, Not(HasSubstr(kHubToken)));

  // A start is audited by its ExecutionStarted row, which carries the delivery.
  EXPECT_THAT(AuditRows("LookerDelivery"), ::testing::IsEmpty());
  std::vector<Json> started = AuditRows("ExecutionStarted");
  ASSERT_FALSE(started.empty());
  EXPECT_EQ(started.back()["actor"], "looker:looker-prod");
  EXPECT_EQ(started.back()["details"]["looker"]["delivery_id"], input["delivery"]["id"]);
  EXPECT_EQ(started.back()["target"], answer.json()["stepd"]["execution_arn"]);
  EXPECT_EQ(started.back()["details"]["looker"]["webhook_id"], "wh-1001");
  EXPECT_EQ(started.back()["details"]["looker"]["scheduled_plan_id"], "42");
  EXPECT_EQ(started.back()["details"]["looker"]["looker_version"], "7.3.0");
}

TEST_F(ServeLooker, JsonDetailInlineAndCsvTextArriveAsTheyWereSent) {
  Json detail = {{"status", "complete"},
                 {"fields", {{"measures", {{{"name", "orders.count"}}}}}},
                 {"data", {{{"orders.count", {{"value", 773}}}}}}};
  Json body =
      ScheduledQuery({{"mimetype", "application/json"}, {"extension", "json"}, {"data", detail}});
  body["form_params"]["format"] = "json_detail";
  Answer inline_json = Execute("refresh_orders", body);
  ASSERT_EQ(inline_json.json()["looker"]["success"], true) << inline_json.body;
  EXPECT_EQ(InputOf(inline_json)["attachment"]["data"], detail);

  const std::string csv = "Orders Created Month,Orders Count\n2017-07,773\n2017-06,922\n";
  body = ScheduledQuery({{"mimetype", "text/csv"}, {"extension", "csv"}, {"data", csv}});
  body["form_params"]["format"] = "csv";
  Answer text = Execute("refresh_orders", body);
  ASSERT_EQ(text.json()["looker"]["success"], true) << text.body;
  Json input = InputOf(text);
  EXPECT_EQ(input["attachment"]["data"], csv);
  EXPECT_EQ(input["attachment"]["mimetype"], "text/csv");
  EXPECT_EQ(input["attachment"]["sha256"], Sha256Hex(csv));
}

TEST_F(ServeLooker, ADashboardCsvZipInBase64BecomesAnArtifactReadableThroughTheApi) {
  const std::string zip = RandomBytesOf(700 * 1024 + 13, 7);
  Json body = {
      {"type", "dashboard"},
      {"scheduled_plan",
       {{"scheduled_plan_id", 2324},
        {"title", "Acquisition"},
        {"type", "LookMLDashboard"},
        {"url", nullptr},
        {"query_id", nullptr},
        {"query", nullptr},
        {"filters_differ_from_look", nullptr},
        {"download_url", nullptr}}},
      {"attachment",
       {{"mimetype", "application/zip;base64"}, {"extension", "zip"}, {"data", MimeBase64(zip)}}},
      {"data", {{"api_key", kApiKey}}},
      {"form_params", {{"target", "prod"}}}};
  Answer answer = Execute("refresh_orders", body);
  ASSERT_EQ(answer.json()["looker"]["success"], true) << answer.body;
  Json attachment = InputOf(answer)["attachment"];
  EXPECT_EQ(attachment["inline"], false);
  EXPECT_EQ(attachment["mimetype"], "application/zip");
  EXPECT_EQ(attachment["size"], zip.size());
  EXPECT_EQ(attachment["sha256"], Sha256Hex(zip));
  EXPECT_EQ(attachment["artifact"]["filename"], "Acquisition.zip");
  const std::string url = attachment["artifact"]["url"];
  EXPECT_EQ(url, server_->base_url() + "/v1/artifacts/" +
                     attachment["artifact"]["id"].get<std::string>());

  http::ClientOptions big;
  big.max_response_bytes = 4 << 20;
  http::ClientRequest get{.method = "GET", .url = url};
  get.headers.Add("Authorization", "Bearer " + Admin());
  auto read = http::Fetch(get, big);
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_EQ(read->status, 200) << read->body;
  EXPECT_EQ(read->body.size(), zip.size());
  EXPECT_TRUE(read->body == zip);
  EXPECT_EQ(read->headers.Get("Content-Type").value_or(""), "application/zip");
  EXPECT_THAT(std::string(read->headers.Get("Content-Disposition").value_or("")),
              HasSubstr("Acquisition.zip"));
  // Without a credential: 401 problem details; an unknown artifact: 404.
  auto anonymous = http::Fetch({.method = "GET", .url = url});
  ASSERT_TRUE(anonymous.ok());
  EXPECT_EQ(anonymous->status, 401);
  EXPECT_EQ(anonymous->headers.Get("Content-Type").value_or(""), "application/problem+json");
  http::ClientRequest missing{.method = "GET",
                              .url = server_->base_url() + "/v1/artifacts/art-nope"};
  missing.headers.Add("Authorization", "Bearer " + Admin());
  auto not_found = http::Fetch(missing);
  ASSERT_TRUE(not_found.ok());
  EXPECT_EQ(not_found->status, 404);
}

TEST_F(ServeLooker, ACellActionCarriesTheClickedValue) {
  Json body = {{"type", "cell"},
               {"scheduled_plan", nullptr},
               {"attachment", nullptr},
               {"data", {{"value", "+15555550123"}}},
               {"form_params", {{"message", "Your order shipped"}}}};
  Answer answer = Execute("notify_cell", body);
  ASSERT_EQ(answer.json()["looker"]["success"], true) << answer.body;
  Json input = InputOf(answer);
  EXPECT_EQ(input["value"], "+15555550123");
  EXPECT_EQ(input["type"], "cell");
  EXPECT_TRUE(input["attachment"].is_null());
  EXPECT_EQ(input["form_params"]["message"], "Your order shipped");
  // A type the action does not take: the reference hub's 404.
  body["type"] = "query";
  Answer wrong_type = Execute("notify_cell", body);
  EXPECT_EQ(wrong_type.status, 404);
  EXPECT_EQ(wrong_type.json(),
            Json({{"success", false},
                  {"error",
                   "This action does not support requests of type \"query\". The "
                   "request must be of type: \"cell\"."}}));
}

TEST_F(ServeLooker, ADownloadUrlIsFetchedOnceIntoAnArtifact) {
  // A fake Looker that serves its results once, as Looker's one-time URLs do.
  const std::string results = RandomBytesOf(3 * 1024 * 1024 + 5, 11);
  std::atomic<int> served{0};
  auto router = std::make_shared<http::Router>();
  router->Add("GET", "/results/{id}", [&](const http::Request&, http::Responder r) {
    if (served.fetch_add(1) > 0) return (void)r.Send(http::ErrorResponse(404, "already used"));
    http::Response response = http::Response::Text(200, results, "text/csv");
    r.Send(std::move(response));
  });
  http::HttpOptions options;
  options.port = 0;
  http::Server looker(options, router,
                      std::make_shared<spdlog::logger>(
                          "fake-looker", std::make_shared<spdlog::sinks::null_sink_mt>()));
  ASSERT_TRUE(looker.Start().ok());
  Json body = ScheduledQuery(nullptr);
  body["scheduled_plan"]["download_url"] =
      "http://127.0.0.1:" + std::to_string(looker.port()) + "/results/abc";
  body["form_params"]["format"] = "csv";
  Answer answer = Execute("export_stream", body, "wh-stream-1");
  ASSERT_EQ(answer.json()["looker"]["success"], true) << answer.body;
  Json attachment = InputOf(answer)["attachment"];
  EXPECT_EQ(attachment["downloaded"], true);
  EXPECT_EQ(attachment["size"], results.size());
  EXPECT_EQ(attachment["sha256"], Sha256Hex(results));
  EXPECT_EQ(served.load(), 1);
  // A re-delivery does not fetch again (and starts nothing).
  Answer again = Execute("export_stream", body, "wh-stream-1");
  EXPECT_EQ(again.json()["stepd"]["duplicate"], true) << again.body;
  EXPECT_EQ(served.load(), 1);
  // A push-only action refuses a download_url delivery in Looker's words.
  Answer push_only = Execute("refresh_orders", body);
  EXPECT_EQ(push_only.json()["looker"]["success"], false);
  EXPECT_THAT(push_only.json()["looker"]["message"].get<std::string>(),
              HasSubstr("does not take download_url deliveries"));
  // A URL that fails is reported, with its status, on a 200.
  body["scheduled_plan"]["download_url"] =
      "http://127.0.0.1:" + std::to_string(looker.port()) + "/results/abc";
  Answer used = Execute("export_stream", body, "wh-stream-2");
  EXPECT_EQ(used.status, 200);
  EXPECT_EQ(used.json()["looker"]["success"], false);
  EXPECT_THAT(used.json()["looker"]["message"].get<std::string>(), HasSubstr("status code: 404"));
  looker.Stop();
}

TEST_F(ServeLooker, ARepeatedDeliveryReturnsTheSameExecutionAndStartsNothing) {
  Json body = ScheduledQuery({{"mimetype", "text/csv"}, {"data", "a,b\n1,2\n"}});
  Answer first = Execute("refresh_orders", body, "wh-dup");
  ASSERT_EQ(first.json()["looker"]["success"], true) << first.body;
  Answer second = Execute("refresh_orders", body, "wh-dup");
  ASSERT_EQ(second.status, 200);
  EXPECT_EQ(second.json()["looker"]["success"], true);
  EXPECT_EQ(second.json()["stepd"]["duplicate"], true);
  EXPECT_EQ(second.json()["stepd"]["execution_arn"], first.json()["stepd"]["execution_arn"]);
  EXPECT_THAT(second.json()["looker"]["message"].get<std::string>(),
              HasSubstr("Already delivered"));
  // Another instance, or no webhook id, is a new delivery.
  Answer other = Looker("/looker/actions/refresh_orders/execute", body.dump(),
                        std::string("Token token=\"") + kHubToken + "\"", "wh-dup", "inst-2");
  EXPECT_EQ(other.json()["stepd"]["duplicate"], false) << other.body;
  Answer anonymous = Execute("refresh_orders", body);
  EXPECT_EQ(anonymous.json()["stepd"]["duplicate"], false);
  Answer executions = Aws(
      "ListExecutions",
      {{"stateMachineArn", "arn:aws:states:us-east-1:123456789012:stateMachine:refresh-orders"}});
  EXPECT_EQ(executions.json()["executions"].size(), 3u);
  // The re-delivery's own audit row; the three starts are their ExecutionStarted rows.
  std::vector<Json> deliveries = AuditRows("LookerDelivery");
  ASSERT_EQ(deliveries.size(), 1u);
  EXPECT_EQ(deliveries[0]["details"]["outcome"], "duplicate");
  EXPECT_EQ(deliveries[0]["target"], first.json()["stepd"]["execution_arn"]);
  std::vector<Json> started = AuditRows("ExecutionStarted");
  EXPECT_EQ(started.size(), 3u);
  // The hub's outcomes in /metrics, read with an admin's token (a hub
  // token may not read them).
  http::ClientRequest scrape{.method = "GET", .url = server_->base_url() + "/metrics"};
  scrape.headers.Add("Authorization", "Bearer " + Admin());
  auto metrics = http::Fetch(scrape);
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  ASSERT_EQ(metrics->status, 200) << metrics->body;
  EXPECT_THAT(metrics->body, HasSubstr("stepd_looker_deliveries_total{action=\"refresh_orders\","
                                       "outcome=\"started\"} 3\n"));
  EXPECT_THAT(metrics->body, HasSubstr("stepd_looker_deliveries_total{action=\"refresh_orders\","
                                       "outcome=\"duplicate\"} 1\n"));
  http::ClientRequest as_hub{.method = "GET", .url = server_->base_url() + "/metrics"};
  as_hub.headers.Add("Authorization", std::string("Token token=\"") + kHubToken + "\"");
  auto refused = http::Fetch(as_hub);
  ASSERT_TRUE(refused.ok());
  EXPECT_EQ(refused->status, 401);
}

TEST_F(ServeLooker, ADeliveryRecordedByAStepdThatDiedBeforeStartingItIsStartedWhenRedelivered) {
  // What a stepd killed between recording a delivery and starting its
  // execution leaves behind: the delivery, "started", naming an execution
  // that does not exist. Looker sends it again seconds later.
  server_.reset();
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  LeaveStartedDeliveryWithoutExecution("dlv-0000000000000000died", "wh-crash", now_ms - 5000);
  server_ = RunningServer::Start(dir_, {"--config", dir_.File("stepd.json")});
  ASSERT_NE(server_, nullptr);

  ExpectRedeliveryStartsOnceThenIsADuplicate("wh-crash");
}

TEST_F(ServeLooker, ADeliveryWhoseStartFailedUnrecordedIsStartedWhenRedeliveredAtOnce) {
  // What a start refused by a full disk leaves when marking the delivery
  // failed could not be written either: a delivery the running stepd
  // recorded seconds ago, "started", naming an execution that does not
  // exist, and no longer in its hands. Looker's retry must start it, not be
  // told it was delivered.
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  LeaveStartedDeliveryWithoutExecution("dlv-00000000000000refused", "wh-full", now_ms);
  ExpectRedeliveryStartsOnceThenIsADuplicate("wh-full");
}

TEST_F(ServeLooker, BadDeliveriesGetAClearAnswerAndTheServerKeepsServing) {
  Answer malformed = Looker("/looker/actions/refresh_orders/execute", R"({"type":"query",)");
  EXPECT_EQ(malformed.status, 400);
  EXPECT_EQ(malformed.json()["success"], false);
  EXPECT_THAT(malformed.json()["error"].get<std::string>(), HasSubstr("not valid JSON"));
  Answer not_object = Looker("/looker/actions/refresh_orders/execute", "[1,2]");
  EXPECT_EQ(not_object.status, 400);
  Answer bad_base64 =
      Execute("refresh_orders",
              ScheduledQuery({{"mimetype", "application/zip;base64"}, {"data", "UEsDB!!!"}}));
  EXPECT_EQ(bad_base64.status, 400);
  EXPECT_THAT(bad_base64.json()["error"].get<std::string>(), HasSubstr("base64"));
  Answer unknown = Execute("no_such_action", ScheduledQuery(nullptr));
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(unknown.json(),
            Json({{"success", false}, {"error", "No action found with name no_such_action."}}));
  Json untyped = ScheduledQuery(nullptr);
  untyped["type"] = nullptr;
  EXPECT_EQ(Execute("refresh_orders", untyped).json()["error"],
            "Action did not specify a \"type\".");
  // Missing settings and form fields: 200, success false, said in Looker's words.
  Json no_key = ScheduledQuery(nullptr);
  no_key["data"] = nullptr;
  Answer missing = Execute("refresh_orders", no_key);
  EXPECT_EQ(missing.status, 200);
  EXPECT_EQ(missing.json()["looker"]["success"], false);
  EXPECT_EQ(missing.json()["looker"]["message"],
            "Required setting \"API key\" not specified in action settings.");
  Json no_target = ScheduledQuery(nullptr);
  no_target["form_params"].erase("target");
  Answer invalid = Execute("refresh_orders", no_target);
  EXPECT_EQ(invalid.json()["looker"]["validation_errors"],
            Json({{"target", "Target is required."}}));
  // Nothing was started, and the server still answers.
  Answer executions = Aws(
      "ListExecutions",
      {{"stateMachineArn", "arn:aws:states:us-east-1:123456789012:stateMachine:refresh-orders"}});
  EXPECT_EQ(executions.json()["executions"], Json::array());
  EXPECT_EQ(Looker("/looker", "").status, 200);
}

TEST_F(ServeLooker, AWaitActionKeepsTheAnswerAliveAndReportsTheOutcome) {
  Json body = {
      {"type", "query"}, {"attachment", nullptr}, {"data", nullptr}, {"form_params", nullptr}};
  Answer ok = Execute("validate_wait", body);
  ASSERT_EQ(ok.status, 200);
  // The execution waits 2 s; newlines kept the answer alive every second.
  EXPECT_EQ(ok.body.substr(0, 1), "\n") << ok.body;
  Json looker = ok.json()["looker"];
  EXPECT_EQ(looker["success"], true) << ok.body;
  EXPECT_EQ(looker["message"], "Validated 2 rows");
  EXPECT_EQ(looker["refresh_query"], true);
  EXPECT_EQ(ok.json()["stepd"]["status"], "SUCCEEDED");

  Answer failed = Execute("fail_wait", body);
  ASSERT_EQ(failed.status, 200);
  EXPECT_EQ(failed.json()["looker"]["success"], false) << failed.body;
  EXPECT_THAT(failed.json()["looker"]["message"].get<std::string>(),
              HasSubstr("ended FAILED: Data.Invalid: column orders.count is negative"));
  EXPECT_THAT(failed.json()["looker"]["error"]["message"].get<std::string>(),
              HasSubstr("Data.Invalid"));
}

// Looker sends every body with Transfer-Encoding: chunked.
TEST_F(ServeLooker, AChunkedDeliveryIsReadWhole) {
  const std::string body =
      ScheduledQuery({{"mimetype", "text/csv"}, {"data", std::string(300000, 'x') + "\n"}}).dump();
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(server_->port());
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  std::string request =
      "POST /looker/actions/refresh_orders/execute HTTP/1.1\r\nHost: hub\r\n"
      "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n"
      "Authorization: Token token=\"" +
      std::string(kHubToken) + "\"\r\n\r\n";
  for (size_t at = 0; at < body.size(); at += 8191) {
    std::string chunk = body.substr(at, 8191);
    char size[16];
    std::snprintf(size, sizeof size, "%zx\r\n", chunk.size());
    request += size + chunk + "\r\n";
  }
  request += "0\r\n\r\n";
  ASSERT_EQ(::send(fd, request.data(), request.size(), 0), static_cast<ssize_t>(request.size()));
  std::string response;
  char buffer[4096];
  for (ssize_t n; (n = ::recv(fd, buffer, sizeof buffer, 0)) > 0;) response.append(buffer, n);
  ::close(fd);
  ASSERT_THAT(response, HasSubstr("HTTP/1.1 200"));
  const std::string json = response.substr(response.find("\r\n\r\n") + 4);
  Answer answer{200, json};
  ASSERT_EQ(answer.json()["looker"]["success"], true) << response;
  Json attachment = InputOf(answer)["attachment"];
  EXPECT_EQ(attachment["size"], 300001u);
  // Too large for the input (AWS's 256 KiB): an artifact.
  EXPECT_EQ(attachment["inline"], false);
}

}  // namespace
}  // namespace stepd::server

namespace stepd::server {
namespace {

// Behind an identity-aware proxy: the hub token and the proxy's OIDC
// assertion are both required.
TEST(ServeLookerBehindAProxy, AHubRequestNeedsTheProxysAssertionToo) {
  const TestKey& key = api::testing::SharedTestKey(TestKeyType::kEcP256, "k1");
  ScratchDir dir;
  const std::string jwks = dir.Write("jwks.json", JwksText({key.PublicJwk()}));
  Json config = {
      {"auth",
       {{"oidc",
         {{"issuer", kIssuer},
          {"audience", {"stepd"}},
          {"jwks_file", jwks},
          {"header", "X-Goog-IAP-JWT-Assertion"}}},
        {"looker_tokens", {{{"name", "looker-prod"}, {"token", kHubToken}, {"role", "trigger"}}}}}},
      {"looker",
       {{"actions", {{{"name", "refresh"}, {"state_machine", "refresh"}}}},
        {"require_proxy_assertion", true}}}};
  auto server = RunningServer::Start(dir, {"--config", dir.Write("stepd.json", config.dump())});
  ASSERT_NE(server, nullptr);
  const int64_t now = NowSeconds();
  auto list = [&](const std::string& assertion) {
    http::ClientRequest request{.method = "POST", .url = server->base_url() + "/looker"};
    request.headers.Add("Authorization", std::string("Token token=\"") + kHubToken + "\"");
    if (!assertion.empty()) request.headers.Add("X-Goog-IAP-JWT-Assertion", assertion);
    auto response = http::Fetch(request);
    EXPECT_TRUE(response.ok());
    return response.ok() ? Answer{response->status, response->body} : Answer{};
  };
  Answer without = list("");
  EXPECT_EQ(without.status, 403);
  EXPECT_EQ(without.json()["error"],
            "Invalid proxy assertion: the identity-aware proxy's assertion "
            "(X-Goog-IAP-JWT-Assertion) is missing");
  Answer expired = list(key.Sign(JwtAlgorithm::kES256, {{"iss", kIssuer},
                                                        {"aud", "stepd"},
                                                        {"sub", "iap"},
                                                        {"exp", now - 3600}}));
  EXPECT_EQ(expired.status, 403);
  EXPECT_THAT(expired.json()["error"].get<std::string>(), HasSubstr("it has expired"));
  Answer valid = list(key.Sign(JwtAlgorithm::kES256, {{"iss", kIssuer},
                                                      {"aud", "stepd"},
                                                      {"sub", "iap"},
                                                      {"iat", now},
                                                      {"exp", now + 600}}));
  EXPECT_EQ(valid.status, 200) << valid.body;
  EXPECT_EQ(valid.json()["integrations"][0]["name"], "refresh");
}

// Artifacts are deleted once their retention has passed: files and records.
TEST(ServeLookerArtifacts, AnExpiredArtifactIsDeleted) {
  ScratchDir dir;
  Json config = {{"looker",
                  {{"actions", {{{"name", "big"}, {"state_machine", "big"},
                                 {"supported_action_types", {"dashboard"}}}}},
                   {"artifact_retention_seconds", 1}}}};
  auto server = RunningServer::Start(dir, {"--config", dir.Write("stepd.json", config.dump())});
  ASSERT_NE(server, nullptr);
  auto call = [&](const std::string& path, const std::string& body, const std::string& target) {
    http::ClientRequest request{.method = "POST", .url = server->base_url() + path};
    if (!target.empty()) request.headers.Add("X-Amz-Target", "AWSStepFunctions." + target);
    request.body = body;
    auto response = http::Fetch(request);
    EXPECT_TRUE(response.ok());
    return response.ok() ? Answer{response->status, response->body} : Answer{};
  };
  ASSERT_EQ(call("/",
                 Json({{"name", "big"}, {"definition", kPass}, {"roleArn", kRoleArn}}).dump(),
                 "CreateStateMachine")
                .status,
            200);
  Json body = {{"type", "dashboard"},
               {"attachment",
                {{"mimetype", "application/pdf;base64"},
                 {"extension", "pdf"},
                 {"data", MimeBase64(RandomBytesOf(1000, 3))}}}};
  Answer answer = call("/looker/actions/big/execute", body.dump(), "");
  ASSERT_EQ(answer.json()["looker"]["success"], true) << answer.body;
  Json input = Json::parse(
      call("/", Json({{"executionArn", answer.json()["stepd"]["execution_arn"]}}).dump(),
           "DescribeExecution")
          .json()
          .value("input", "{}"));
  const std::string id = input["attachment"]["artifact"]["id"];
  const std::string file = dir.File("artifacts/" + id);
  int status = 200;
  for (int i = 0; i < 100 && status == 200; ++i) {
    auto got = http::Fetch({.method = "GET", .url = server->base_url() + "/v1/artifacts/" + id});
    ASSERT_TRUE(got.ok());
    status = got->status;
    if (status == 200) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(status, 404);
  EXPECT_FALSE(std::filesystem::exists(file));
}

}  // namespace
}  // namespace stepd::server
