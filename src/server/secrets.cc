#include "stepd/server/secrets.h"

#include <filesystem>

#include "key_files.h"
#include "stepd/runtime/stored_connections.h"
#include "stepd/server/audit.h"
#include "stepd/server/commands.h"
#include "stepd/store/postgres_store.h"
#include "stepd/store/sqlite_store.h"

namespace stepd::server {
namespace {

constexpr std::string_view kWhat = "secrets key";

// Every connection, all pages.
StatusOr<std::vector<store::ConnectionRecord>> AllConnections(store::Store& store) {
  std::vector<store::ConnectionRecord> all;
  store::PageRequest page{1000, ""};
  while (true) {
    STEPD_ASSIGN_OR_RETURN(auto listed, store.ListConnections({}, page));
    for (store::ConnectionRecord& c : listed.items) all.push_back(std::move(c));
    if (listed.next_token.empty()) return all;
    page.next_token = listed.next_token;
  }
}

StatusOr<SecretsKey> FromFile(const std::string& path, bool created) {
  STEPD_ASSIGN_OR_RETURN(std::string text, internal::ReadKeyFile(path, kWhat));
  STEPD_ASSIGN_OR_RETURN(SecretBox box, SecretBox::FromText(text, "secrets key file " + path));
  return SecretsKey{std::move(box), path, created};
}

}  // namespace

std::string DefaultSecretsKeyFile(const std::string& db_path) {
  return internal::BesideDatabase(db_path, "secrets.key");
}

StatusOr<SecretsKey> LoadSecretsKey(const ServerOptions& options, const EnvMap& env,
                                    bool create_default) {
  if (auto it = env.find(std::string(kSecretsKeyEnv)); it != env.end()) {
    STEPD_ASSIGN_OR_RETURN(SecretBox box, SecretBox::FromText(it->second, kSecretsKeyEnv));
    return SecretsKey{std::move(box), std::string(kSecretsKeyEnv), false};
  }
  if (!options.secrets.key_file.empty()) return FromFile(options.secrets.key_file, false);
  if (!options.store.url.empty()) {
    return FailedPreconditionError(
        "no secrets key: with store.url (PostgreSQL) every node must use the same key; set "
        "secrets.key_file, --secrets-key-file or " +
        std::string(kSecretsKeyEnv));
  }
  const std::string path = DefaultSecretsKeyFile(options.store.path);
  if (std::filesystem::exists(path)) return FromFile(path, false);
  if (!create_default) {
    return NotFoundError("no secrets key: " + path + " does not exist (set secrets.key_file, " +
                         "--secrets-key-file or " + std::string(kSecretsKeyEnv) + ")");
  }
  Status created = internal::CreateKeyFile(path, SecretBox::NewKeyText(), kWhat);
  if (!created.ok() && !std::filesystem::exists(path)) return created;
  return FromFile(path, created.ok());
}

Status CheckSecretsKey(store::Store& store, const SecretsKey& key) {
  STEPD_ASSIGN_OR_RETURN(std::vector<store::ConnectionRecord> connections, AllConnections(store));
  for (const store::ConnectionRecord& c : connections) {
    if (c.sealed_parameters.empty()) continue;
    StatusOr<std::string> sealed_under = SecretEnvelopeKeyId(c.sealed_parameters);
    if (!sealed_under.ok()) {
      return sealed_under.status().WithContext("connection '" + c.name + "'");
    }
    if (*sealed_under != key.box.key_id()) {
      return FailedPreconditionError(
          "the secrets of connection '" + c.name + "' are sealed under key " + *sealed_under +
          ", but the configured secrets key (" + key.source + ") is key " + key.box.key_id() +
          ": start stepd with the key they were sealed under (after `stepd keys rotate`, the "
          "new key file); nothing was changed");
    }
  }
  return Status::OK();
}

int RunKeysRotate(const CommandLineValues& flags, const EnvMap& env,
                  const std::string& new_key_file, std::ostream& out, std::ostream& err) {
  auto resolved = LoadServerOptions(flags, env);
  if (!resolved.ok()) {
    err << "stepd: " << resolved.status().message() << "\n";
    return kExitUsage;
  }
  if (new_key_file.empty()) {
    err << "stepd: keys rotate needs --new-key-file FILE\n";
    return kExitUsage;
  }
  const ServerOptions& options = resolved->options;
  auto fail = [&err](const Status& status) {
    err << "stepd: " << status.message() << "; nothing was changed\n";
    return kExitFailure;
  };
  if (options.store.url.empty() && !std::filesystem::exists(options.store.path)) {
    err << "stepd: no database at " << options.store.path << "\n";
    return kExitFailure;
  }
  StatusOr<SecretsKey> current = LoadSecretsKey(options, env, /*create_default=*/false);
  if (!current.ok()) return fail(current.status());
  bool created = false;
  if (!std::filesystem::exists(new_key_file)) {
    if (Status made = internal::CreateKeyFile(new_key_file, SecretBox::NewKeyText(), kWhat);
        !made.ok()) {
      return fail(made);
    }
    created = true;
  }
  StatusOr<SecretsKey> next = FromFile(new_key_file, created);
  if (!next.ok()) return fail(next.status());
  if (next->box.key_id() == current->box.key_id()) {
    return fail(InvalidArgumentError("the new key (" + new_key_file + ") is the current key (" +
                                     current->source + ", key " + current->box.key_id() + ")"));
  }
  StatusOr<AuditKey> audit_key = LoadAuditKey(options, env, /*create_default=*/false);
  if (!audit_key.ok()) return fail(audit_key.status());
  store::StoreOptions store_options = options.store;
  store_options.migrate_on_open = true;
  store_options.audit_key = audit_key->key;
  auto db = store::OpenStore(store_options);
  if (!db.ok()) return fail(db.status().WithContext("cannot open " + store::DescribeStore(options.store)));

  auto connections = AllConnections(**db);
  if (!connections.ok()) return fail(connections.status());
  std::vector<store::SealedParametersUpdate> updates;
  int64_t already = 0;
  for (const store::ConnectionRecord& c : *connections) {
    if (c.sealed_parameters.empty()) continue;
    if (SecretEnvelopeKeyId(c.sealed_parameters).value_or("") == next->box.key_id()) {
      ++already;  // a rotation to this key ran before
      continue;
    }
    StatusOr<Json> parameters = runtime::OpenConnectionParameters(current->box, c);
    if (!parameters.ok()) return fail(parameters.status());
    updates.push_back(
        {c.arn, c.revision, runtime::SealConnectionParameters(next->box, c.arn, *parameters)});
  }
  store::AuditEntry audit;
  audit.timestamp_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
  audit.actor = "stepd keys rotate";
  audit.action = "RotateSecretsKey";
  audit.target = "secrets key " + next->box.key_id();
  audit.details_json = Json{
      {"from_key_id", current->box.key_id()},
      {"to_key_id", next->box.key_id()},
      {"connections",
       updates.size()}}.dump();
  Status replaced = (*db)->ReplaceSealedParameters(updates, {audit});
  if (replaced.code() == StatusCode::kAborted) {
    return fail(
        AbortedError("a connection changed while its secrets were re-encrypted (is stepd "
                     "serve running? stop it first, then run this again)"));
  }
  if (!replaced.ok()) return fail(replaced);
  if (created) out << "created new key file " << new_key_file << " (mode 0600)\n";
  out << "re-encrypted " << updates.size() << " connection secret(s) under key "
      << next->box.key_id() << " (from key " << current->box.key_id() << ")";
  if (already > 0) out << "; " << already << " were under it already";
  out << "\nnow start stepd with the new key: secrets.key_file = " << new_key_file
      << " (or STEPD_SECRETS_KEY_FILE; STEPD_SECRETS_KEY, if set, wins over both). "
      << "Keep the old key (" << current->source << ") until stepd runs with the new one.\n";
  return kExitOk;
}

}  // namespace stepd::server
