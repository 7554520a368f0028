// The Connections part of the Store contract, run against every
// implementation: records round-trip, names and ARNs are unique, listings go
// by name with prefix and state filters, and every write names the revision
// it read.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "stepd/store/mem_store.h"
#include "stepd/store/store.h"
#include "store/store_testing.h"

namespace stepd::store {
namespace {

using ::testing::ElementsAre;
using testing::StoreFactory;
using testing::TempDir;

std::string ConnectionArn(const std::string& name, const std::string& uuid = "u-1") {
  return "arn:aws:events:us-east-1:123456789012:connection/" + name + "/" + uuid;
}

ConnectionRecord Connection(const std::string& name, const std::string& uuid = "u-1") {
  ConnectionRecord c;
  c.arn = ConnectionArn(name, uuid);
  c.name = name;
  c.authorization_type = ConnectionAuthorizationType::kApiKey;
  c.state = ConnectionState::kAuthorized;
  c.auth_parameters_json = R"({"ApiKeyAuthParameters":{"ApiKeyName":"x-api-key"}})";
  c.sealed_parameters = std::string("SB1\x00\x01sealed bytes\xff", 17);
  c.created_at_ms = 1000;
  c.updated_at_ms = 1000;
  c.authorized_at_ms = 1000;
  return c;
}

std::vector<std::string> Names(const Page<ConnectionRecord>& page) {
  std::vector<std::string> names;
  for (const ConnectionRecord& c : page.items) names.push_back(c.name);
  return names;
}

class ConnectionContract : public ::testing::TestWithParam<StoreFactory> {
 protected:
  void SetUp() override {
    store_ = GetParam().open(dir_);
    ASSERT_NE(store_, nullptr);
  }

  TempDir dir_;
  std::unique_ptr<Store> store_;
};

TEST_P(ConnectionContract, RoundTripsEveryFieldAndStartsAtRevisionOne) {
  ConnectionRecord c = Connection("c");
  c.description = "a connection";
  c.authorization_type = ConnectionAuthorizationType::kOAuthClientCredentials;
  c.state = ConnectionState::kAuthorizing;
  c.state_reason = "waiting";
  c.revision = 42;  // ignored: the store counts
  c.authorized_at_ms = std::nullopt;
  ASSERT_EQ(store_->CreateConnection(c, {testing::Audit("CreateConnection", c.arn)}), Status::OK());
  for (const ConnectionRecord& got :
       {store_->GetConnection("c").value(), store_->GetConnectionByArn(c.arn).value()}) {
    EXPECT_EQ(got.arn, c.arn);
    EXPECT_EQ(got.name, "c");
    EXPECT_EQ(got.description, "a connection");
    EXPECT_EQ(got.authorization_type, ConnectionAuthorizationType::kOAuthClientCredentials);
    EXPECT_EQ(got.state, ConnectionState::kAuthorizing);
    EXPECT_EQ(got.state_reason, "waiting");
    EXPECT_EQ(got.auth_parameters_json, c.auth_parameters_json);
    EXPECT_EQ(got.sealed_parameters, c.sealed_parameters);  // bytes, NULs included
    EXPECT_EQ(got.revision, 1);
    EXPECT_EQ(got.created_at_ms, 1000);
    EXPECT_EQ(got.updated_at_ms, 1000);
    EXPECT_EQ(got.authorized_at_ms, std::nullopt);
  }
  const auto audit = store_->ListAudit({}).value().items;
  ASSERT_EQ(audit.size(), 1u);
  EXPECT_EQ(audit[0].entry.action, "CreateConnection");
}

TEST_P(ConnectionContract, RefusesATakenNameOrArn) {
  ASSERT_EQ(store_->CreateConnection(Connection("c"), {}), Status::OK());
  EXPECT_EQ(store_->CreateConnection(Connection("c", "u-2"), {}),
            AlreadyExistsError("CreateConnection: a connection named 'c' already exists"));
  ConnectionRecord same_arn = Connection("c");
  same_arn.name = "other";
  EXPECT_EQ(store_->CreateConnection(same_arn, {}),
            AlreadyExistsError("CreateConnection: connection '" + ConnectionArn("c") +
                               "' already exists"));
  EXPECT_EQ(store_->ListAudit({}).value().items.size(), 0u);
}

TEST_P(ConnectionContract, NamesWhatIsMissing) {
  EXPECT_EQ(store_->GetConnection("nope").status(),
            NotFoundError("GetConnection: connection 'nope' does not exist"));
  EXPECT_EQ(store_->GetConnectionByArn(ConnectionArn("nope")).status(),
            NotFoundError("GetConnectionByArn: connection '" + ConnectionArn("nope") +
                          "' does not exist"));
  ConnectionRecord c = Connection("nope");
  c.revision = 1;
  EXPECT_EQ(
      store_->UpdateConnection(c, {}).status(),
      NotFoundError("UpdateConnection: connection '" + ConnectionArn("nope") + "' does not exist"));
  EXPECT_EQ(
      store_->DeleteConnection(ConnectionArn("nope"), {}),
      NotFoundError("DeleteConnection: connection '" + ConnectionArn("nope") + "' does not exist"));
}

TEST_P(ConnectionContract, AnArnOfADeletedAndRecreatedNameIsNotFound) {
  ASSERT_EQ(store_->CreateConnection(Connection("c", "u-1"), {}), Status::OK());
  ASSERT_EQ(store_->DeleteConnection(ConnectionArn("c", "u-1"), {}), Status::OK());
  ASSERT_EQ(store_->CreateConnection(Connection("c", "u-2"), {}), Status::OK());
  EXPECT_EQ(store_->GetConnectionByArn(ConnectionArn("c", "u-1")).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(store_->GetConnection("c").value().arn, ConnectionArn("c", "u-2"));
}

TEST_P(ConnectionContract, UpdateReplacesTheMutableFieldsAtTheRevisionItRead) {
  ASSERT_EQ(store_->CreateConnection(Connection("c"), {}), Status::OK());
  ConnectionRecord c = store_->GetConnection("c").value();
  c.description = "changed";
  c.authorization_type = ConnectionAuthorizationType::kBasic;
  c.state = ConnectionState::kDeauthorized;
  c.state_reason = "the endpoint refused the credentials";
  c.auth_parameters_json = "{}";
  c.sealed_parameters.clear();  // deauthorized: no secret kept
  c.updated_at_ms = 2000;
  c.authorized_at_ms = std::nullopt;
  c.created_at_ms = 9999;  // not mutable
  EXPECT_EQ(store_->UpdateConnection(c, {testing::Audit("DeauthorizeConnection", c.arn)}).value(),
            2);
  const ConnectionRecord got = store_->GetConnection("c").value();
  EXPECT_EQ(got.description, "changed");
  EXPECT_EQ(got.authorization_type, ConnectionAuthorizationType::kBasic);
  EXPECT_EQ(got.state, ConnectionState::kDeauthorized);
  EXPECT_EQ(got.state_reason, "the endpoint refused the credentials");
  EXPECT_EQ(got.auth_parameters_json, "{}");
  EXPECT_EQ(got.sealed_parameters, "");
  EXPECT_EQ(got.updated_at_ms, 2000);
  EXPECT_EQ(got.authorized_at_ms, std::nullopt);
  EXPECT_EQ(got.created_at_ms, 1000);
  EXPECT_EQ(got.revision, 2);
  EXPECT_EQ(store_->ListAudit({}).value().items.size(), 1u);
}

TEST_P(ConnectionContract, AnUpdateOfAStaleRevisionIsAbortedAndChangesNothing) {
  ASSERT_EQ(store_->CreateConnection(Connection("c"), {}), Status::OK());
  ConnectionRecord first = store_->GetConnection("c").value();
  ConnectionRecord second = first;
  first.description = "first";
  ASSERT_TRUE(store_->UpdateConnection(first, {}).ok());
  second.description = "second";
  EXPECT_EQ(store_->UpdateConnection(second, {testing::Audit("UpdateConnection", "x")}).status(),
            AbortedError("UpdateConnection: connection '" + ConnectionArn("c") +
                         "' is at revision 2, not 1"));
  EXPECT_EQ(store_->GetConnection("c").value().description, "first");
  EXPECT_TRUE(store_->ListAudit({}).value().items.empty());
}

TEST_P(ConnectionContract, ListsByNameWithPrefixAndStateFiltersAcrossPages) {
  for (const char* name : {"b-2", "a-1", "b-1", "c", "b-3"}) {
    ConnectionRecord c = Connection(name, std::string("u-") + name);
    if (std::string(name) == "b-2") c.state = ConnectionState::kDeauthorized;
    ASSERT_EQ(store_->CreateConnection(c, {}), Status::OK());
  }
  EXPECT_THAT(Names(store_->ListConnections({}, {}).value()),
              ElementsAre("a-1", "b-1", "b-2", "b-3", "c"));
  ConnectionFilter prefix{"b-", std::nullopt};
  const auto page1 = store_->ListConnections(prefix, {2, ""}).value();
  EXPECT_THAT(Names(page1), ElementsAre("b-1", "b-2"));
  ASSERT_FALSE(page1.next_token.empty());
  const auto page2 = store_->ListConnections(prefix, {2, page1.next_token}).value();
  EXPECT_THAT(Names(page2), ElementsAre("b-3"));
  EXPECT_EQ(page2.next_token, "");
  EXPECT_THAT(Names(store_->ListConnections({"", ConnectionState::kDeauthorized}, {}).value()),
              ElementsAre("b-2"));
  EXPECT_THAT(Names(store_->ListConnections({"b-", ConnectionState::kAuthorized}, {}).value()),
              ElementsAre("b-1", "b-3"));
  EXPECT_TRUE(store_->ListConnections({"zz", std::nullopt}, {}).value().items.empty());
  EXPECT_EQ(store_->ListConnections({}, {0, "m.00"}).status().code(),
            StatusCode::kInvalidArgument);  // another listing's token
}

TEST_P(ConnectionContract, DeleteRemovesTheConnectionAndKeepsItsAuditRows) {
  ASSERT_EQ(store_->CreateConnection(Connection("c"), {testing::Audit("CreateConnection", "c")}),
            Status::OK());
  ASSERT_EQ(store_->DeleteConnection(ConnectionArn("c"), {testing::Audit("DeleteConnection", "c")}),
            Status::OK());
  EXPECT_EQ(store_->GetConnection("c").status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(store_->ListConnections({}, {}).value().items.empty());
  EXPECT_EQ(store_->ListAudit({}).value().items.size(), 2u);
  EXPECT_EQ(store_->VerifyAuditChain(), Status::OK());
}

TEST_P(ConnectionContract, ReplacesSealedParametersAllOrNothing) {
  ASSERT_EQ(store_->CreateConnection(Connection("a", "u-a"), {}), Status::OK());
  ASSERT_EQ(store_->CreateConnection(Connection("b", "u-b"), {}), Status::OK());
  ConnectionRecord b = store_->GetConnection("b").value();
  b.description = "moved on";
  ASSERT_TRUE(store_->UpdateConnection(b, {}).ok());  // b is at revision 2 now

  const std::vector<SealedParametersUpdate> stale = {{ConnectionArn("a", "u-a"), 1, "new-a"},
                                                     {ConnectionArn("b", "u-b"), 1, "new-b"}};
  EXPECT_EQ(store_->ReplaceSealedParameters(stale, {testing::Audit("RotateSecretsKey", "")}),
            AbortedError("ReplaceSealedParameters: connection '" + ConnectionArn("b", "u-b") +
                         "' is at revision 2, not 1"));
  EXPECT_EQ(store_->GetConnection("a").value().sealed_parameters,
            Connection("a").sealed_parameters);
  EXPECT_TRUE(store_->ListAudit({}).value().items.empty());

  const std::vector<SealedParametersUpdate> current = {{ConnectionArn("a", "u-a"), 1, "new-a"},
                                                       {ConnectionArn("b", "u-b"), 2, "new-b"}};
  ASSERT_EQ(store_->ReplaceSealedParameters(current, {testing::Audit("RotateSecretsKey", "")}),
            Status::OK());
  const ConnectionRecord a = store_->GetConnection("a").value();
  EXPECT_EQ(a.sealed_parameters, "new-a");
  EXPECT_EQ(a.revision, 2);
  EXPECT_EQ(a.updated_at_ms, 1000);  // nothing a user sees changed
  EXPECT_EQ(store_->GetConnection("b").value().sealed_parameters, "new-b");
  EXPECT_EQ(store_->GetConnection("b").value().revision, 3);
  EXPECT_EQ(store_->ListAudit({}).value().items.size(), 1u);

  // The same connection twice: the second sees the first's revision.
  EXPECT_EQ(store_
                ->ReplaceSealedParameters(
                    {{ConnectionArn("a", "u-a"), 2, "x"}, {ConnectionArn("a", "u-a"), 2, "y"}}, {})
                .code(),
            StatusCode::kAborted);
  EXPECT_EQ(store_->GetConnection("a").value().sealed_parameters, "new-a");
  EXPECT_EQ(store_->ReplaceSealedParameters({{ConnectionArn("gone"), 1, "x"}}, {}).code(),
            StatusCode::kNotFound);
}

// AWS's quota, checked on MemStore only: SQLite's answer comes from the same
// shared check, and 3000 durable commits would make the suite slow.
TEST(MemStoreConnections, RefusesTheConnectionBeyondTheQuota) {
  std::unique_ptr<Store> store = NewMemStore();
  for (int i = 0; i < 3000; ++i) {
    ASSERT_EQ(store->CreateConnection(Connection("c" + std::to_string(i)), {}), Status::OK());
  }
  EXPECT_EQ(store->CreateConnection(Connection("one-more"), {}),
            ResourceExhaustedError("CreateConnection: 3000 connections exist, the most there may "
                                   "be; delete one first"));
  ASSERT_EQ(store->DeleteConnection(ConnectionArn("c0"), {}), Status::OK());
  EXPECT_EQ(store->CreateConnection(Connection("one-more"), {}), Status::OK());
}

INSTANTIATE_TEST_SUITE_P(AllStores, ConnectionContract,
                         ::testing::ValuesIn(testing::StoreImplementations()),
                         [](const ::testing::TestParamInfo<StoreFactory>& info) {
                           return info.param.name;
                         });

}  // namespace
}  // namespace stepd::store
