#include "key_files.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace stepd::server::internal {
std::string TrimKey(std::string s) {
  const char* ws = " \t\r\n";
  s.erase(s.find_last_not_of(ws) + 1);
  s.erase(0, s.find_first_not_of(ws));
  return s;
}

StatusOr<std::string> ReadKeyFile(const std::string& path, std::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return UnavailableError("cannot read " + std::string(what) + " file " + path + ": " +
                            std::strerror(errno));
  }
  std::stringstream text;
  text << in.rdbuf();
  std::string key = TrimKey(text.str());
  if (key.empty()) return InvalidArgumentError(std::string(what) + " file " + path + " is empty");
  return key;
}

Status CreateKeyFile(const std::string& path, const std::string& key, std::string_view what) {
  std::error_code ec;
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    return UnavailableError("cannot create " + std::string(what) + " file " + path + ": " +
                            std::strerror(errno));
  }
  const std::string line = key + "\n";
  const bool written = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) &&
                       ::fsync(fd) == 0;
  ::close(fd);
  if (!written) return UnavailableError("cannot write " + std::string(what) + " file " + path);
  return Status::OK();
}

std::string BesideDatabase(const std::string& db_path, std::string_view name) {
  std::filesystem::path dir = std::filesystem::path(db_path).parent_path();
  return (dir.empty() ? std::filesystem::path(name) : dir / name).string();
}

}  // namespace stepd::server::internal
