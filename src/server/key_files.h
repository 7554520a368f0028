#pragma once
// Key files, as the audit and secrets keys are kept: read whole (white space
// around the key ignored), created once with mode 0600. Private to the
// server layer.

#include <string>
#include <string_view>

#include "stepd/base/status_or.h"

namespace stepd::server::internal {

// The trimmed contents of `path`. UNAVAILABLE when it cannot be read,
// INVALID_ARGUMENT when it is empty; `what` names the key in messages
// ("audit key" -> "cannot read audit key file /x: ...").
StatusOr<std::string> ReadKeyFile(const std::string& path, std::string_view what);

// Writes `key` and a newline to a new file `path` (mode 0600, fsynced),
// creating its directory. Fails (UNAVAILABLE) if the file exists, so that of
// two processes racing to create it, the first one's key stays.
Status CreateKeyFile(const std::string& path, const std::string& key, std::string_view what);

// `text` without the white space around it.
std::string TrimKey(std::string text);

// "<directory of db_path>/<name>".
std::string BesideDatabase(const std::string& db_path, std::string_view name);

}  // namespace stepd::server::internal
