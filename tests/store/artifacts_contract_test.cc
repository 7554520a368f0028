// The artifacts part of the Store contract, run against every
// implementation: records round-trip, ids are unique, and expired ones are
// listed earliest first.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "stepd/store/store.h"
#include "store/store_testing.h"

namespace stepd::store {
namespace {

using ::testing::ElementsAre;
using testing::StoreFactory;
using testing::TempDir;

ArtifactRecord Artifact(const std::string& id, int64_t expires_ms = 100000) {
  ArtifactRecord a;
  a.id = id;
  a.created_ms = 1000;
  a.expires_ms = expires_ms;
  a.size = 5;
  a.sha256 = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";
  a.mimetype = "text/csv";
  a.extension = "csv";
  a.filename = "report.csv";
  a.source = "looker delivery dlv-1";
  a.state_machine_arn = testing::MachineArn("report");
  return a;
}

std::vector<std::string> Ids(const std::vector<ArtifactRecord>& artifacts) {
  std::vector<std::string> ids;
  for (const ArtifactRecord& a : artifacts) ids.push_back(a.id);
  return ids;
}

class ArtifactContract : public ::testing::TestWithParam<StoreFactory> {
 protected:
  void SetUp() override {
    store_ = GetParam().open(dir_);
    ASSERT_NE(store_, nullptr);
  }

  TempDir dir_;
  std::unique_ptr<Store> store_;
};

TEST_P(ArtifactContract, RoundTripsEveryField) {
  ArtifactRecord a = Artifact("art-0123456789abcdef0123456789abcdef");
  a.execution_arn = testing::ExecutionArn("report", "run-1");
  ASSERT_EQ(store_->CreateArtifact(a), Status::OK());
  EXPECT_EQ(store_->GetArtifact(a.id).value(), a);
}

TEST_P(ArtifactContract, RefusesATakenIdAndAnEmptyOne) {
  ASSERT_EQ(store_->CreateArtifact(Artifact("art-1")), Status::OK());
  ArtifactRecord other = Artifact("art-1", 5);
  other.filename = "other.csv";
  EXPECT_EQ(store_->CreateArtifact(other),
            AlreadyExistsError("CreateArtifact: artifact 'art-1' already exists"));
  EXPECT_EQ(store_->GetArtifact("art-1").value(), Artifact("art-1"));
  EXPECT_EQ(store_->CreateArtifact(Artifact("")),
            InvalidArgumentError("CreateArtifact: artifact id is empty"));
}

TEST_P(ArtifactContract, SetsTheExecutionOnceKnown) {
  ASSERT_EQ(store_->CreateArtifact(Artifact("art-1")), Status::OK());
  const std::string execution = testing::ExecutionArn("report", "run-1");
  ASSERT_EQ(store_->SetArtifactExecution("art-1", execution), Status::OK());
  ArtifactRecord expected = Artifact("art-1");
  expected.execution_arn = execution;
  EXPECT_EQ(store_->GetArtifact("art-1").value(), expected);
  EXPECT_EQ(store_->SetArtifactExecution("art-2", execution),
            NotFoundError("SetArtifactExecution: artifact 'art-2' does not exist"));
}

TEST_P(ArtifactContract, DeleteRemovesTheRecordOnce) {
  ASSERT_EQ(store_->CreateArtifact(Artifact("art-1")), Status::OK());
  ASSERT_EQ(store_->CreateArtifact(Artifact("art-2")), Status::OK());
  ASSERT_EQ(store_->DeleteArtifact("art-1"), Status::OK());
  EXPECT_EQ(store_->GetArtifact("art-1").status(),
            NotFoundError("GetArtifact: artifact 'art-1' does not exist"));
  EXPECT_EQ(store_->DeleteArtifact("art-1"),
            NotFoundError("DeleteArtifact: artifact 'art-1' does not exist"));
  EXPECT_TRUE(store_->GetArtifact("art-2").ok());
  // The id may be used again.
  EXPECT_EQ(store_->CreateArtifact(Artifact("art-1")), Status::OK());
}

TEST_P(ArtifactContract, ListsExpiredArtifactsEarliestFirstUpToTheLimit) {
  for (const auto& [id, expires] : std::vector<std::pair<std::string, int64_t>>{
           {"art-e", 300}, {"art-a", 100}, {"art-c", 200}, {"art-b", 200}, {"art-d", 900}}) {
    ASSERT_EQ(store_->CreateArtifact(Artifact(id, expires)), Status::OK());
  }
  EXPECT_THAT(Ids(store_->ListExpiredArtifacts(250, 10).value()),
              ElementsAre("art-a", "art-b", "art-c"));
  EXPECT_THAT(Ids(store_->ListExpiredArtifacts(300, 2).value()), ElementsAre("art-a", "art-b"));
  // expires_ms itself counts as expired.
  EXPECT_THAT(Ids(store_->ListExpiredArtifacts(300, 10).value()),
              ElementsAre("art-a", "art-b", "art-c", "art-e"));
  EXPECT_TRUE(store_->ListExpiredArtifacts(99, 10).value().empty());
  EXPECT_TRUE(store_->ListExpiredArtifacts(1000, 0).value().empty());
  std::vector<ArtifactRecord> all = store_->ListExpiredArtifacts(1000, SIZE_MAX).value();
  ASSERT_EQ(all.size(), 5u);
  EXPECT_EQ(all[0], Artifact("art-a", 100));
  // Deleting what was listed is how the sweeper goes on.
  const std::vector<ArtifactRecord> expired = store_->ListExpiredArtifacts(250, 10).value();
  for (const ArtifactRecord& a : expired) ASSERT_EQ(store_->DeleteArtifact(a.id), Status::OK());
  EXPECT_THAT(Ids(store_->ListExpiredArtifacts(1000, 10).value()), ElementsAre("art-e", "art-d"));
}

INSTANTIATE_TEST_SUITE_P(AllStores, ArtifactContract,
                         ::testing::ValuesIn(testing::StoreImplementations()),
                         [](const ::testing::TestParamInfo<StoreFactory>& info) {
                           return info.param.name;
                         });

}  // namespace
}  // namespace stepd::store
