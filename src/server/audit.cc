#include "stepd/server/audit.h"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <optional>

#include "key_files.h"
#include "stepd/asl/context_object.h"
#include "stepd/base/json.h"
#include "stepd/server/commands.h"
#include "stepd/store/audit_chain.h"
#include "stepd/store/postgres_store.h"
#include "stepd/store/sqlite_store.h"

namespace stepd::server {

using internal::CreateKeyFile;
using internal::ReadKeyFile;

namespace {
constexpr std::string_view kWhat = "audit key";
}  // namespace

std::string DefaultAuditKeyFile(const std::string& db_path) {
  return internal::BesideDatabase(db_path, "audit.key");
}

StatusOr<AuditKey> LoadAuditKey(const ServerOptions& options, const EnvMap& env,
                                bool create_default) {
  if (auto it = env.find(std::string(kAuditKeyEnv)); it != env.end()) {
    std::string key = internal::TrimKey(it->second);
    if (key.empty()) return InvalidArgumentError(std::string(kAuditKeyEnv) + " is empty");
    return AuditKey{std::move(key), std::string(kAuditKeyEnv), false};
  }
  if (!options.audit.key_file.empty()) {
    STEPD_ASSIGN_OR_RETURN(std::string key, ReadKeyFile(options.audit.key_file, kWhat));
    return AuditKey{std::move(key), options.audit.key_file, false};
  }
  if (!options.store.url.empty()) {
    return FailedPreconditionError(
        "no audit key: with store.url (PostgreSQL) every node must use the same key; set "
        "audit.key_file, --key-file or " +
        std::string(kAuditKeyEnv));
  }
  const std::string path = DefaultAuditKeyFile(options.store.path);
  if (std::filesystem::exists(path)) {
    STEPD_ASSIGN_OR_RETURN(std::string key, ReadKeyFile(path, kWhat));
    return AuditKey{std::move(key), path, false};
  }
  if (!create_default) {
    return NotFoundError("no audit key: " + path + " does not exist (set audit.key_file, " +
                         "--key-file or " + std::string(kAuditKeyEnv) + ")");
  }
  Status created = CreateKeyFile(path, store::NewAuditKey(), kWhat);
  if (!created.ok() && !std::filesystem::exists(path)) return created;
  STEPD_ASSIGN_OR_RETURN(std::string key, ReadKeyFile(path, kWhat));
  return AuditKey{std::move(key), path, created.ok()};
}

int RunAuditVerify(const CommandLineValues& flags, const EnvMap& env, std::ostream& out,
                   std::ostream& err) {
  auto resolved = LoadServerOptions(flags, env);
  if (!resolved.ok()) {
    err << "stepd: " << resolved.status().message() << "\n";
    return kExitUsage;
  }
  const ServerOptions& options = resolved->options;
  if (options.store.url.empty() && !std::filesystem::exists(options.store.path)) {
    err << "stepd: no database at " << options.store.path << "\n";
    return kExitFailure;
  }
  auto key = LoadAuditKey(options, env, /*create_default=*/false);
  if (!key.ok()) {
    err << "stepd: " << key.status().message() << "\n";
    return kExitFailure;
  }
  store::StoreOptions store_options = options.store;
  store_options.migrate_on_open = false;
  store_options.audit_key = key->key;
  auto db = store::OpenStore(store_options);
  if (!db.ok()) {
    err << "stepd: cannot open " << store::DescribeStore(options.store) << ": " << db.status() << "\n";
    return kExitFailure;
  }
  Status verified = (*db)->VerifyAuditChain();
  if (!verified.ok()) {
    out << "audit chain BROKEN: " << verified.message() << "\n";
    return kExitFailure;
  }
  // The head, to compare with the last one the server logged.
  int64_t rows = 0;
  std::string head;
  store::PageRequest page{1000, ""};
  while (true) {
    auto listed = (*db)->ListAudit(page);
    if (!listed.ok()) {
      err << "stepd: " << listed.status() << "\n";
      return kExitFailure;
    }
    rows += static_cast<int64_t>(listed->items.size());
    if (!listed->items.empty()) head = listed->items.back().hash;
    if (listed->next_token.empty()) break;
    page.next_token = listed->next_token;
  }
  out << "audit chain intact: " << rows << " rows";
  if (rows > 0) out << ", head seq " << rows << " mac " << head;
  out << " (" << store::DescribeStore(options.store) << ")\n";
  return kExitOk;
}

namespace {

// Unix milliseconds from "1733050000000" or "2026-12-01T10:00:00[.123]Z".
std::optional<int64_t> ParseTimeArgument(const std::string& text) {
  if (!text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
        return c >= '0' && c <= '9';
      })) {
    if (text.size() > 15) return std::nullopt;
    return std::stoll(text);
  }
  std::tm tm{};
  int millis = 0;
  char zone = 0;
  int consumed = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &consumed) != 6) {
    return std::nullopt;
  }
  std::string rest = text.substr(static_cast<size_t>(consumed));
  if (!rest.empty() && rest.front() == '.') {
    size_t digits = 1;
    while (digits < rest.size() && std::isdigit(static_cast<unsigned char>(rest[digits]))) {
      if (digits <= 3) millis = millis * 10 + (rest[digits] - '0');
      ++digits;
    }
    for (size_t d = digits; d <= 3; ++d) millis *= 10;
    rest = rest.substr(digits);
  }
  zone = rest.size() == 1 ? rest[0] : 0;
  if (zone != 'Z' && zone != 'z') return std::nullopt;
  if (tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 ||
      tm.tm_min > 59 || tm.tm_sec > 60) {
    return std::nullopt;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<int64_t>(timegm(&tm)) * 1000 + millis;
}

}  // namespace

int RunAuditList(const CommandLineValues& flags, const AuditListArgs& args, const EnvMap& env,
                 std::ostream& out, std::ostream& err) {
  auto resolved = LoadServerOptions(flags, env);
  if (!resolved.ok()) {
    err << "stepd: " << resolved.status().message() << "\n";
    return kExitUsage;
  }
  store::AuditQuery query = args.query;
  for (auto [text, field, name] :
       {std::tuple{&args.since, &query.since_ms, "--since"},
        std::tuple{&args.until, &query.until_ms, "--until"}}) {
    if (text->empty()) continue;
    *field = ParseTimeArgument(*text);
    if (!*field) {
      err << "stepd: " << name << " \"" << *text
          << "\" is neither RFC 3339 UTC (2026-12-01T10:00:00Z) nor Unix milliseconds\n";
      return kExitUsage;
    }
  }
  const ServerOptions& options = resolved->options;
  if (options.store.url.empty() && !std::filesystem::exists(options.store.path)) {
    err << "stepd: no database at " << options.store.path << "\n";
    return kExitFailure;
  }
  store::StoreOptions store_options = options.store;
  store_options.migrate_on_open = false;
  store_options.audit_key = "listing: not used to write";
  auto db = store::OpenStore(store_options);
  if (!db.ok()) {
    err << "stepd: cannot open " << store::DescribeStore(options.store) << ": " << db.status() << "\n";
    return kExitFailure;
  }
  int remaining = args.limit;
  store::PageRequest page{std::min(remaining, 1000), ""};
  while (remaining > 0) {
    page.max_results = std::min(remaining, 1000);
    auto listed = (*db)->QueryAudit(query, page);
    if (!listed.ok()) {
      err << "stepd: " << listed.status() << "\n";
      return kExitFailure;
    }
    for (const store::AuditRecord& r : listed->items) {
      Json row = {{"seq", r.seq},
                  {"time", asl::FormatIsoTimestamp(TimePoint(std::chrono::milliseconds(
                               r.entry.timestamp_ms)))},
                  {"timestamp_ms", r.entry.timestamp_ms},
                  {"actor", r.entry.actor},
                  {"action", r.entry.action},
                  {"target", r.entry.target}};
      if (r.entry.event_id != 0) row["event_id"] = r.entry.event_id;
      StatusOr<Json> details = ParseJson(r.entry.details_json);
      row["details"] = details.ok() ? std::move(details).value() : Json(r.entry.details_json);
      row["hash"] = r.hash;
      out << row.dump(-1, ' ', false, Json::error_handler_t::replace) << "\n";
    }
    remaining -= static_cast<int>(listed->items.size());
    if (listed->next_token.empty()) break;
    page.next_token = listed->next_token;
  }
  return kExitOk;
}

}  // namespace stepd::server
