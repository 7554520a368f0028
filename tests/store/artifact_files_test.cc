// ArtifactFiles: a private directory of files named by artifact id, filled
// through its spool; ids never reach outside it.

#include "stepd/store/artifact_files.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "store/store_testing.h"

namespace stepd::store {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

int Mode(const std::string& path) {
  struct stat st;
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return static_cast<int>(st.st_mode & 07777);
}

void WriteFile(const std::string& path, const std::string& contents) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << contents;
  ASSERT_TRUE(out.good()) << path;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

class ArtifactFilesTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(files_.Init(), Status::OK()); }

  // A file in the spool, as a writer leaves it before Adopt.
  std::string Spooled(const std::string& name, const std::string& contents) {
    const std::string path = files_.spool_dir() + "/" + name;
    WriteFile(path, contents);
    return path;
  }

  TempDir tmp_;
  const std::string dir_ = (tmp_.path() / "data" / "artifacts").string();
  ArtifactFiles files_{dir_};
};

TEST_F(ArtifactFilesTest, InitCreatesThePrivateDirectoryWithItsSpool) {
  EXPECT_EQ(files_.dir(), dir_);
  EXPECT_EQ(files_.spool_dir(), dir_ + "/.spool");
  EXPECT_TRUE(fs::is_directory(files_.spool_dir()));
  EXPECT_EQ(Mode(dir_), 0700);
  EXPECT_EQ(Mode(files_.spool_dir()), 0700);
  // Again: nothing changes, an existing directory is made private.
  ASSERT_EQ(::chmod(dir_.c_str(), 0755), 0);
  EXPECT_EQ(files_.Init(), Status::OK());
  EXPECT_EQ(Mode(dir_), 0700);
}

TEST_F(ArtifactFilesTest, InitRefusesAnEmptyDirectoryAndReportsWhyItCannotCreateOne) {
  EXPECT_EQ(ArtifactFiles("").Init(),
            InvalidArgumentError("ArtifactFiles::Init: the directory is empty"));
  const std::string file = (tmp_.path() / "a-file").string();
  WriteFile(file, "x");
  Status under_file = ArtifactFiles(file + "/artifacts").Init();
  EXPECT_EQ(under_file.code(), StatusCode::kUnavailable);
  EXPECT_NE(under_file.message().find(file), std::string::npos) << under_file.message();
  EXPECT_EQ(ArtifactFiles(file).Init(),
            UnavailableError("ArtifactFiles::Init: '" + file + "' is not a directory"));
}

TEST_F(ArtifactFilesTest, PathOfAcceptsOnlyPlainIds) {
  EXPECT_EQ(files_.PathOf("art-0123456789abcdef0123456789abcdef"),
            dir_ + "/art-0123456789abcdef0123456789abcdef");
  EXPECT_EQ(files_.PathOf("A_z-9"), dir_ + "/A_z-9");
  EXPECT_EQ(files_.PathOf(std::string(128, 'a')), dir_ + "/" + std::string(128, 'a'));
  for (const std::string& bad :
       {std::string(), std::string(129, 'a'), std::string("."), std::string(".."),
        std::string("../x"), std::string("a/b"), std::string("/etc/passwd"), std::string(".spool"),
        std::string("a b"), std::string("a\\b"), std::string("a\0b", 3), std::string("caf\xc3\xa9"),
        std::string("a.csv")}) {
    EXPECT_EQ(files_.PathOf(bad), "") << bad;
  }
  // A trailing slash of the directory is not doubled.
  EXPECT_EQ(ArtifactFiles(dir_ + "/").PathOf("x"), dir_ + "/x");
}

TEST_F(ArtifactFilesTest, AdoptMovesASpoolFileIntoPlacePrivately) {
  const std::string spooled = Spooled("upload-1", "a,b\n1,2\n");
  ASSERT_EQ(::chmod(spooled.c_str(), 0644), 0);
  ASSERT_EQ(files_.Adopt(spooled, "art-1"), Status::OK());
  EXPECT_FALSE(fs::exists(spooled));
  EXPECT_EQ(ReadFile(files_.PathOf("art-1")), "a,b\n1,2\n");
  EXPECT_EQ(Mode(files_.PathOf("art-1")), 0600);
  // A file of the same id is replaced.
  ASSERT_EQ(files_.Adopt(Spooled("upload-2", "new"), "art-1"), Status::OK());
  EXPECT_EQ(ReadFile(files_.PathOf("art-1")), "new");
}

TEST_F(ArtifactFilesTest, AdoptRefusesABadIdAMissingFileAndADirectory) {
  const std::string spooled = Spooled("upload-1", "x");
  EXPECT_EQ(files_.Adopt(spooled, "../escape"),
            InvalidArgumentError("ArtifactFiles::Adopt: bad artifact id '../escape'"));
  EXPECT_TRUE(fs::exists(spooled));
  EXPECT_FALSE(fs::exists(fs::path(dir_).parent_path() / "escape"));

  Status missing = files_.Adopt(files_.spool_dir() + "/nothing", "art-1");
  EXPECT_EQ(missing.code(), StatusCode::kNotFound);
  EXPECT_EQ(missing.message(), "ArtifactFiles::Adopt: cannot open '" + files_.spool_dir() +
                                   "/nothing': No such file or directory");

  const std::string directory = files_.spool_dir() + "/a-dir";
  ASSERT_TRUE(fs::create_directory(directory));
  EXPECT_EQ(
      files_.Adopt(directory, "art-1"),
      FailedPreconditionError("ArtifactFiles::Adopt: '" + directory + "' is not a regular file"));
  EXPECT_FALSE(fs::exists(files_.PathOf("art-1")));
}

TEST_F(ArtifactFilesTest, RemoveDeletesTheFileAndIsOkWhenItIsGone) {
  ASSERT_EQ(files_.Adopt(Spooled("upload-1", "x"), "art-1"), Status::OK());
  ASSERT_EQ(files_.Adopt(Spooled("upload-2", "y"), "art-2"), Status::OK());
  EXPECT_EQ(files_.Remove("art-1"), Status::OK());
  EXPECT_FALSE(fs::exists(files_.PathOf("art-1")));
  EXPECT_TRUE(fs::exists(files_.PathOf("art-2")));
  EXPECT_EQ(files_.Remove("art-1"), Status::OK());
  EXPECT_EQ(files_.Remove(".spool"),
            InvalidArgumentError("ArtifactFiles::Remove: bad artifact id '.spool'"));
  EXPECT_TRUE(fs::is_directory(files_.spool_dir()));
}

TEST_F(ArtifactFilesTest, RemoveStaleSpoolDeletesOnlyOldSpoolFiles) {
  const std::string old_file = Spooled("crashed", "partial");
  const std::string young_file = Spooled("writing", "in progress");
  ASSERT_EQ(files_.Adopt(Spooled("upload", "kept"), "art-1"), Status::OK());
  const auto two_hours_ago = fs::file_time_type::clock::now() - std::chrono::hours(2);
  fs::last_write_time(old_file, two_hours_ago);
  fs::last_write_time(files_.PathOf("art-1"), two_hours_ago);
  const std::string sub_dir = files_.spool_dir() + "/sub";
  ASSERT_TRUE(fs::create_directory(sub_dir));
  fs::last_write_time(sub_dir, two_hours_ago);

  EXPECT_EQ(files_.RemoveStaleSpool(std::chrono::hours(1)), Status::OK());
  EXPECT_FALSE(fs::exists(old_file));
  EXPECT_TRUE(fs::exists(young_file));
  EXPECT_TRUE(fs::exists(sub_dir));                 // only files are the spool's
  EXPECT_TRUE(fs::exists(files_.PathOf("art-1")));  // adopted files are not
  EXPECT_EQ(files_.RemoveStaleSpool(std::chrono::seconds(0)), Status::OK());
  EXPECT_FALSE(fs::exists(young_file));
}

TEST(ArtifactFiles, RemoveStaleSpoolWithoutASpoolIsUnavailable) {
  TempDir tmp;
  ArtifactFiles files((tmp.path() / "never-initialised").string());
  EXPECT_EQ(files.RemoveStaleSpool(std::chrono::hours(1)).code(), StatusCode::kUnavailable);
}

}  // namespace
}  // namespace stepd::store
