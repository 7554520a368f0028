// The secrets key (where it comes from, what a wrong one does at start-up)
// and `stepd keys rotate`, on real databases and through the real binary.

#include "stepd/server/secrets.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <filesystem>
#include <thread>

#include "runtime/token_server_testing.h"
#include "server/stepd_process_testing.h"
#include "stepd/base/crypto.h"
#include "stepd/http/client.h"
#include "stepd/runtime/stored_connections.h"
#include "stepd/server/audit.h"
#include "stepd/store/sqlite_store.h"

namespace stepd::server {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::ReadFile;
using testing::RunningServer;
using testing::RunStepd;
using testing::ScratchDir;
using ::testing::StartsWith;
using testing::StepdProcess;

// Two keys, as `openssl rand -base64 32` writes them.
const std::string kKeyA = Base64Encode(std::string(32, 'A'));
const std::string kKeyB = Base64Encode(std::string(32, 'B'));
std::string KeyId(const std::string& text) {
  return SecretBox::FromText(text, "test").value().key_id();
}

ServerOptions WithDb(const ScratchDir& dir) {
  ServerOptions options;
  options.store.path = dir.File("data/stepd.db");
  return options;
}

TEST(LoadSecretsKey, CreatesAPrivateRandomKeyFileBesideTheDatabaseOnce) {
  ScratchDir dir;
  const ServerOptions options = WithDb(dir);
  EXPECT_EQ(LoadSecretsKey(options, {}, /*create_default=*/false).status(),
            NotFoundError("no secrets key: " + dir.File("data/secrets.key") +
                          " does not exist (set secrets.key_file, --secrets-key-file or "
                          "STEPD_SECRETS_KEY)"));
  auto first = LoadSecretsKey(options, {}, /*create_default=*/true);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_TRUE(first->created);
  EXPECT_EQ(first->source, dir.File("data/secrets.key"));
  struct stat st {};
  ASSERT_EQ(::stat(first->source.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  EXPECT_EQ(ReadFile(first->source).size(), 45u);  // base64 of 32 bytes and a newline
  auto second = LoadSecretsKey(options, {}, /*create_default=*/true);
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(second->created);
  EXPECT_EQ(second->box.key_id(), first->box.key_id());
}

TEST(LoadSecretsKey, TheVariableWinsOverTheFileAndTheFileOverTheDefault) {
  ScratchDir dir;
  ServerOptions options = WithDb(dir);
  options.secrets.key_file = dir.Write("secrets.key", "  " + kKeyA + "\n");
  EXPECT_EQ(LoadSecretsKey(options, {}, true)->box.key_id(), KeyId(kKeyA));
  auto from_env =
      LoadSecretsKey(options, {{"STEPD_SECRETS_KEY", HexEncode(std::string(32, 'B'))}}, true);
  ASSERT_TRUE(from_env.ok()) << from_env.status();
  EXPECT_EQ(from_env->box.key_id(), KeyId(kKeyB));
  EXPECT_EQ(from_env->source, "STEPD_SECRETS_KEY");
  EXPECT_FALSE(std::filesystem::exists(dir.File("data/secrets.key")));
}

TEST(LoadSecretsKey, AKeyThatIsNoKeyIsAnErrorThatDoesNotQuoteIt) {
  ScratchDir dir;
  ServerOptions options = WithDb(dir);
  const Status from_env =
      LoadSecretsKey(options, {{"STEPD_SECRETS_KEY", "hunter2-is-no-key"}}, true).status();
  EXPECT_EQ(from_env.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(from_env.message(), StartsWith("STEPD_SECRETS_KEY does not hold a secrets key"));
  EXPECT_THAT(from_env.message(), Not(HasSubstr("hunter2")));
  options.secrets.key_file = dir.Write("short.key", "c2hvcnQ=\n");
  EXPECT_THAT(
      LoadSecretsKey(options, {}, true).status().message(),
      StartsWith("secrets key file " + options.secrets.key_file + " does not hold a secrets key"));
  options.secrets.key_file = dir.File("missing.key");  // a named file is never created
  EXPECT_EQ(LoadSecretsKey(options, {}, true).status().code(), StatusCode::kUnavailable);
  EXPECT_FALSE(std::filesystem::exists(options.secrets.key_file));
}

// A database with connection "c" sealed under `key_text`, its audit key
// beside it.
void MakeDatabase(const ScratchDir& dir, const std::string& key_text,
                  const std::vector<std::string>& names = {"c"}) {
  ASSERT_EQ(RunStepd(dir, {"migrate", "--db", dir.File("data/stepd.db")}).exit_code, 0);
  const std::string audit_key = ReadFile(dir.File("data/audit.key"));
  store::StoreOptions options;
  options.path = dir.File("data/stepd.db");
  options.audit_key = audit_key.substr(0, audit_key.find('\n'));
  auto db = store::OpenSqliteStore(options);
  ASSERT_TRUE(db.ok()) << db.status();
  const SecretBox box = SecretBox::FromText(key_text, "test").value();
  for (const std::string& name : names) {
    store::ConnectionRecord c;
    c.name = name;
    c.arn = "arn:aws:events:us-east-1:123456789012:connection/" + name + "/u";
    c.sealed_parameters = runtime::SealConnectionParameters(
        box, c.arn, {{"BasicAuthParameters", {{"Username", "u"}, {"Password", "pw-" + name}}}});
    ASSERT_EQ((*db)->CreateConnection(c, {}), Status::OK());
  }
}

std::unique_ptr<store::Store> OpenDatabase(const ScratchDir& dir) {
  const std::string audit_key = ReadFile(dir.File("data/audit.key"));
  store::StoreOptions options;
  options.path = dir.File("data/stepd.db");
  options.audit_key = audit_key.substr(0, audit_key.find('\n'));
  return std::move(store::OpenSqliteStore(options)).value();
}

TEST(CheckSecretsKey, NamesTheConnectionAndBothKeysWhenTheKeyIsAnother) {
  ScratchDir dir;
  MakeDatabase(dir, kKeyA);
  auto db = OpenDatabase(dir);
  SecretsKey a{SecretBox::FromText(kKeyA, "a").value(), "a.key", false};
  SecretsKey b{SecretBox::FromText(kKeyB, "b").value(), "/etc/stepd/b.key", false};
  EXPECT_EQ(CheckSecretsKey(*db, a), Status::OK());
  EXPECT_EQ(CheckSecretsKey(*db, b),
            FailedPreconditionError(
                "the secrets of connection 'c' are sealed under key " + KeyId(kKeyA) +
                ", but the configured secrets key (/etc/stepd/b.key) is key " + KeyId(kKeyB) +
                ": start stepd with the key they were sealed under (after "
                "`stepd keys rotate`, the new key file); nothing was changed"));
}

TEST(KeysRotate, ReencryptsEverySecretUnderTheNewKeyInOneGo) {
  ScratchDir dir;
  MakeDatabase(dir, kKeyA, {"one", "two", "three"});
  const std::string old_key = dir.Write("old.key", kKeyA);
  const std::string new_key = dir.File("keys/new.key");  // created by the command
  auto rotated = RunStepd(dir, {"keys", "rotate", "--db", dir.File("data/stepd.db"),
                                "--secrets-key-file", old_key, "--new-key-file", new_key});
  ASSERT_EQ(rotated.exit_code, 0) << rotated.err;
  const std::string new_id = SecretBox::FromText(ReadFile(new_key), "n").value().key_id();
  EXPECT_THAT(rotated.out, HasSubstr("created new key file " + new_key + " (mode 0600)"));
  EXPECT_THAT(rotated.out, HasSubstr("re-encrypted 3 connection secret(s) under key " + new_id +
                                     " (from key " + KeyId(kKeyA) + ")"));
  EXPECT_THAT(rotated.out, HasSubstr("secrets.key_file = " + new_key));
  struct stat st {};
  ASSERT_EQ(::stat(new_key.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);

  auto db = OpenDatabase(dir);
  const SecretBox fresh = SecretBox::FromText(ReadFile(new_key), "n").value();
  for (const std::string name : {"one", "two", "three"}) {
    const store::ConnectionRecord c = db->GetConnection(name).value();
    EXPECT_EQ(SecretEnvelopeKeyId(c.sealed_parameters).value(), new_id);
    EXPECT_EQ(
        runtime::OpenConnectionParameters(fresh, c).value()["BasicAuthParameters"]["Password"],
        "pw-" + name);
  }
  const auto audit = db->ListAudit({}).value().items;
  ASSERT_FALSE(audit.empty());
  EXPECT_EQ(audit.back().entry.action, "RotateSecretsKey");
  EXPECT_EQ(Json::parse(audit.back().entry.details_json),
            Json({{"from_key_id", KeyId(kKeyA)}, {"to_key_id", new_id}, {"connections", 3}}));
  db.reset();

  // Run again: nothing is left to do, and it says so.
  auto again = RunStepd(dir, {"keys", "rotate", "--db", dir.File("data/stepd.db"),
                              "--secrets-key-file", old_key, "--new-key-file", new_key});
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_THAT(again.out, HasSubstr("re-encrypted 0 connection secret(s)"));
  EXPECT_THAT(again.out, HasSubstr("3 were under it already"));
}

TEST(KeysRotate, AWrongCurrentKeyChangesNothing) {
  ScratchDir dir;
  MakeDatabase(dir, kKeyA, {"one", "two"});
  const std::string before = ReadFile(dir.File("data/stepd.db"));
  auto wrong = RunStepd(
      dir,
      {"keys", "rotate", "--db", dir.File("data/stepd.db"), "--new-key-file", dir.File("new.key")},
      {{"STEPD_SECRETS_KEY", kKeyB}});
  EXPECT_EQ(wrong.exit_code, 1);
  EXPECT_THAT(wrong.err, HasSubstr("connection 'arn:aws:events:us-east-1:123456789012:connection/"
                                   "one/u': the secret was sealed under key " +
                                   KeyId(kKeyA) + ", not under the configured key " + KeyId(kKeyB) +
                                   "; nothing was changed"));
  auto db = OpenDatabase(dir);
  EXPECT_EQ(SecretEnvelopeKeyId(db->GetConnection("two").value().sealed_parameters).value(),
            KeyId(kKeyA));
}

TEST(KeysRotate, RefusesTheCurrentKeyAsTheNewOneAndNeedsANewKeyFile) {
  ScratchDir dir;
  MakeDatabase(dir, kKeyA);
  const std::string key = dir.Write("a.key", kKeyA);
  auto same = RunStepd(dir, {"keys", "rotate", "--db", dir.File("data/stepd.db"),
                             "--secrets-key-file", key, "--new-key-file", key});
  EXPECT_EQ(same.exit_code, 1);
  EXPECT_THAT(same.err, HasSubstr("the new key (" + key + ") is the current key (" + key +
                                  ", key " + KeyId(kKeyA) + "); nothing was changed"));
  auto usage = RunStepd(dir, {"keys", "rotate", "--db", dir.File("data/stepd.db")});
  EXPECT_EQ(usage.exit_code, 2);
  EXPECT_THAT(usage.err, HasSubstr("--new-key-file is required"));
}

// --- Through `stepd serve` ----------------------------------------------------------

StatusOr<http::ClientResponse> Events(const RunningServer& server, const std::string& operation,
                                      const Json& input) {
  http::ClientRequest request;
  request.method = "POST";
  request.url = server.base_url() + "/";
  request.headers.Set("X-Amz-Target", "AWSEvents." + operation);
  request.headers.Set("Content-Type", "application/x-amz-json-1.1");
  request.body = input.dump();
  return http::Fetch(request);
}

Json Describe(const RunningServer& server, const std::string& name) {
  auto answer = Events(server, "DescribeConnection", {{"Name", name}});
  return answer.ok() ? ParseJson(answer->body).value_or(Json()) : Json();
}

Json WaitForState(const RunningServer& server, const std::string& name, const std::string& state) {
  Json last;
  for (int i = 0; i < 1000; ++i) {
    last = Describe(server, name);
    if (last.value("ConnectionState", "") == state) return last;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ADD_FAILURE() << name << " never became " << state << ": " << last.dump();
  return last;
}

// A server keeps its secrets across restarts, refuses to start with another
// key, and runs on after `stepd keys rotate` with the new one; the secret
// values are in no answer, no log line and not in the database file.
TEST(ServeSecrets, AWrongKeyStopsTheStartAndARotatedKeyServesTheSameSecrets) {
  ScratchDir dir;
  stepd::testing::TokenServer tokens;
  const std::string secret = "LEAKCANARY-client-secret-4e7f";
  const std::string password = "LEAKCANARY-password-9a1b";
  const std::string key_a = dir.Write("a.key", kKeyA);
  const std::vector<std::string> args = {"--log-level", "trace"};
  std::string seen;  // every answer and log line
  {
    auto server = RunningServer::Start(dir, args, {{"STEPD_SECRETS_KEY_FILE", key_a}});
    ASSERT_NE(server, nullptr);
    auto created =
        Events(*server, "CreateConnection",
               {{"Name", "oauth"},
                {"AuthorizationType", "OAUTH_CLIENT_CREDENTIALS"},
                {"AuthParameters",
                 {{"OAuthParameters",
                   {{"ClientParameters", {{"ClientID", "cid"}, {"ClientSecret", secret}}},
                    {"AuthorizationEndpoint", tokens.Url()},
                    {"HttpMethod", "POST"}}}}}});
    ASSERT_TRUE(created.ok());
    ASSERT_EQ(created->status, 200) << created->body;
    seen += created->body;
    auto basic = Events(*server, "CreateConnection",
                        {{"Name", "basic"},
                         {"AuthorizationType", "BASIC"},
                         {"AuthParameters",
                          {{"BasicAuthParameters", {{"Username", "u"}, {"Password", password}}}}}});
    ASSERT_TRUE(basic.ok());
    seen += basic->body;
    seen += WaitForState(*server, "oauth", "AUTHORIZED").dump();
    EXPECT_EQ(tokens.last().authorization, "Basic " + Base64Encode("cid:" + secret));
    server->process().Signal(SIGTERM);
    ASSERT_EQ(server->process().Wait(std::chrono::seconds(20)), 0);
    seen += server->process().Stderr();
  }
  // Another key: no start (and the rotation below still opens every
  // secret with key A: nothing was changed).
  StepdProcess wrong(dir, {"serve", "--listen", "127.0.0.1:0", "--db", dir.File("stepd.db")},
                     {{"STEPD_SECRETS_KEY", kKeyB}});
  EXPECT_EQ(wrong.Wait(std::chrono::seconds(30)), 1);
  EXPECT_THAT(wrong.Stderr(), HasSubstr("are sealed under key " + KeyId(kKeyA) +
                                        ", but the configured secrets key (STEPD_SECRETS_KEY) is "
                                        "key " +
                                        KeyId(kKeyB)));
  // Rotate to a new key, then serve with it: the secrets still work.
  const std::string key_c = dir.File("c.key");
  auto rotated = RunStepd(dir, {"keys", "rotate", "--db", dir.File("stepd.db"),
                                "--secrets-key-file", key_a, "--new-key-file", key_c});
  ASSERT_EQ(rotated.exit_code, 0) << rotated.err;
  seen += rotated.out + rotated.err;
  {
    auto server = RunningServer::Start(dir, args, {{"STEPD_SECRETS_KEY_FILE", key_c}});
    ASSERT_NE(server, nullptr);
    // Updating the description re-opens the parameters and authorizes again.
    auto updated =
        Events(*server, "UpdateConnection", {{"Name", "oauth"}, {"Description", "rotated"}});
    ASSERT_TRUE(updated.ok());
    ASSERT_EQ(updated->status, 200) << updated->body;
    seen += updated->body;
    seen += WaitForState(*server, "oauth", "AUTHORIZED").dump();
    EXPECT_EQ(tokens.last().authorization, "Basic " + Base64Encode("cid:" + secret));
    EXPECT_EQ(tokens.requests(), 2u);
    auto list = Events(*server, "ListConnections", Json::object());
    ASSERT_TRUE(list.ok());
    seen += list->body + Describe(*server, "basic").dump();
    server->process().Signal(SIGTERM);
    ASSERT_EQ(server->process().Wait(std::chrono::seconds(20)), 0);
    seen += server->process().Stderr();
  }
  ASSERT_THAT(seen, HasSubstr("cid"));  // the search can find what is not secret
  const std::string db = ReadFile(dir.File("stepd.db")) + ReadFile(dir.File("stepd.db-wal"));
  for (const std::string& value :
       {secret, password, Base64Encode("cid:" + secret), Base64Encode("u:" + password)}) {
    EXPECT_EQ(seen.find(value), std::string::npos) << value;
    EXPECT_EQ(db.find(value), std::string::npos) << value;
  }
}

}  // namespace
}  // namespace stepd::server
