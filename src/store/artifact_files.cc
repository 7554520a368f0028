#include "stepd/store/artifact_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <utility>

#include "stepd/base/status_or.h"

namespace stepd::store {
namespace {

namespace fs = std::filesystem;

bool IsArtifactId(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string Quote(std::string_view s) { return "'" + std::string(s) + "'"; }

std::string Reason(int error) { return std::strerror(error); }

// mkdir -m 0700 (an existing directory is set to 0700).
Status MakePrivateDir(const std::string& path, std::string_view op) {
  if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) {
    return UnavailableError(std::string(op) + ": cannot create directory " + Quote(path) + ": " +
                            Reason(errno));
  }
  struct stat st;
  if (::stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return UnavailableError(std::string(op) + ": " + Quote(path) + " is not a directory");
  }
  if (::chmod(path.c_str(), 0700) != 0) {
    return UnavailableError(std::string(op) + ": cannot set the mode of " + Quote(path) + ": " +
                            Reason(errno));
  }
  return Status::OK();
}

// A rename is durable once the directory holding the new name is synced.
Status SyncDir(const std::string& dir, std::string_view op) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    return UnavailableError(std::string(op) + ": cannot open " + Quote(dir) + ": " + Reason(errno));
  }
  const int error = ::fsync(fd) == 0 ? 0 : errno;
  ::close(fd);
  if (error != 0) {
    return UnavailableError(std::string(op) + ": cannot sync " + Quote(dir) + ": " + Reason(error));
  }
  return Status::OK();
}

}  // namespace

ArtifactFiles::ArtifactFiles(std::string dir) : dir_(std::move(dir)) {
  while (dir_.size() > 1 && dir_.back() == '/') dir_.pop_back();
}

std::string ArtifactFiles::spool_dir() const { return dir_ + "/.spool"; }

std::string ArtifactFiles::PathOf(std::string_view id) const {
  if (!IsArtifactId(id)) return "";
  return dir_ + "/" + std::string(id);
}

Status ArtifactFiles::Init() {
  constexpr std::string_view kOp = "ArtifactFiles::Init";
  if (dir_.empty()) return InvalidArgumentError(std::string(kOp) + ": the directory is empty");
  const fs::path parent = fs::path(dir_).parent_path();
  if (!parent.empty()) {
    std::error_code ec;
    fs::create_directories(parent, ec);
    if (ec) {
      return UnavailableError(std::string(kOp) + ": cannot create directory " +
                              Quote(parent.string()) + ": " + ec.message());
    }
  }
  STEPD_RETURN_IF_ERROR(MakePrivateDir(dir_, kOp));
  return MakePrivateDir(spool_dir(), kOp);
}

Status ArtifactFiles::Adopt(const std::string& file, std::string_view id) {
  constexpr std::string_view kOp = "ArtifactFiles::Adopt";
  const std::string target = PathOf(id);
  if (target.empty()) {
    return InvalidArgumentError(std::string(kOp) + ": bad artifact id " + Quote(id));
  }
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    const int error = errno;
    const std::string message =
        std::string(kOp) + ": cannot open " + Quote(file) + ": " + Reason(error);
    return error == ENOENT ? NotFoundError(message) : UnavailableError(message);
  }
  // The data reaches the disk before the name does: after a crash the id
  // names the whole file or nothing.
  struct stat st;
  Status prepared = Status::OK();
  if (::fstat(fd, &st) != 0) {
    prepared =
        UnavailableError(std::string(kOp) + ": cannot stat " + Quote(file) + ": " + Reason(errno));
  } else if (!S_ISREG(st.st_mode)) {
    prepared =
        FailedPreconditionError(std::string(kOp) + ": " + Quote(file) + " is not a regular file");
  } else if (::fchmod(fd, 0600) != 0 || ::fsync(fd) != 0) {
    prepared = UnavailableError(std::string(kOp) + ": cannot set the mode of or sync " +
                                Quote(file) + ": " + Reason(errno));
  }
  ::close(fd);
  STEPD_RETURN_IF_ERROR(prepared);
  if (::rename(file.c_str(), target.c_str()) != 0) {
    const int error = errno;
    const std::string message = std::string(kOp) + ": cannot move " + Quote(file) + " to " +
                                Quote(target) + ": " + Reason(error);
    return error == EXDEV ? FailedPreconditionError(message) : UnavailableError(message);
  }
  return SyncDir(dir_, kOp);
}

Status ArtifactFiles::Remove(std::string_view id) {
  constexpr std::string_view kOp = "ArtifactFiles::Remove";
  const std::string path = PathOf(id);
  if (path.empty()) {
    return InvalidArgumentError(std::string(kOp) + ": bad artifact id " + Quote(id));
  }
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return UnavailableError(std::string(kOp) + ": cannot delete " + Quote(path) + ": " +
                            Reason(errno));
  }
  return Status::OK();
}

Status ArtifactFiles::RemoveStaleSpool(std::chrono::seconds older_than) {
  constexpr std::string_view kOp = "ArtifactFiles::RemoveStaleSpool";
  const fs::file_time_type cutoff = fs::file_time_type::clock::now() - older_than;
  std::error_code ec;
  fs::directory_iterator it(spool_dir(), ec);
  for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
    std::error_code entry_ec;
    if (!it->is_regular_file(entry_ec)) continue;  // a vanished file is skipped too
    const fs::file_time_type modified = it->last_write_time(entry_ec);
    if (entry_ec || modified >= cutoff) continue;
    fs::remove(it->path(), entry_ec);
    if (entry_ec) {
      return UnavailableError(std::string(kOp) + ": cannot delete " + Quote(it->path().string()) +
                              ": " + entry_ec.message());
    }
  }
  if (ec) {
    return UnavailableError(std::string(kOp) + ": cannot read " + Quote(spool_dir()) + ": " +
                            ec.message());
  }
  return Status::OK();
}

}  // namespace stepd::store
