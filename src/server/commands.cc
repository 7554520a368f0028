#include "stepd/server/commands.h"

#include <CLI/CLI.hpp>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "stepd/base/version.h"
#include "stepd/server/audit.h"
#include "stepd/server/backup.h"
#include "stepd/server/healthcheck.h"
#include "stepd/server/migrate.h"
#include "stepd/server/options.h"
#include "stepd/server/secrets.h"
#include "stepd/server/serve.h"

namespace stepd::server {
namespace {

// What --help shows after a flag: "HOST:PORT", "text|json", "PATH", "N".
std::string ValueName(const OptionInfo& info) {
  if (info.expected.rfind("HOST:PORT", 0) == 0) return "HOST:PORT";
  if (info.expected.rfind("one of ", 0) == 0) {
    std::string names = info.expected.substr(7);
    for (size_t i; (i = names.find(", ")) != std::string::npos;) names.replace(i, 2, "|");
    return names;
  }
  if (info.expected == "a string") return "PATH";
  return "N";
}

// The option flags of one subcommand, bound to CLI11 and turned into
// CommandLineValues after parsing (only the flags actually given).
class OptionFlags {
 public:
  // Adds --config and the flags of the options in `keys` (ServerOptionTable).
  void AddTo(CLI::App* command, const std::set<std::string>& keys) {
    config_ = command
                  ->add_option("--config", config_file_,
                               "JSON config file (comments allowed); env STEPD_CONFIG")
                  ->type_name("FILE");
    for (const OptionInfo& info : ServerOptionTable()) {
      if (info.flag.empty() || keys.count(info.key) == 0) continue;
      std::string help = info.help + "; env " + info.env;
      if (info.expected == "a boolean") {
        options_[info.key] = command->add_flag(info.flag, bools_[info.key], help);
        if (info.flag.rfind("--no-", 0) == 0) negated_.insert(info.key);
      } else {
        options_[info.key] =
            command->add_option(info.flag, texts_[info.key], help)->type_name(ValueName(info));
      }
    }
  }

  CommandLineValues Collect() const {
    CommandLineValues values;
    if (config_->count() > 0) values.config_file = config_file_;
    for (const auto& [key, option] : options_) {
      if (option->count() == 0) continue;
      auto b = bools_.find(key);
      if (b == bools_.end()) {
        values.options[key] = texts_.at(key);
      } else {
        // "--no-console" given: console.enabled is false.
        const bool negated = negated_.count(key) > 0;
        values.options[key] = b->second != negated ? "true" : "false";
      }
    }
    return values;
  }

 private:
  CLI::Option* config_ = nullptr;
  std::string config_file_;
  std::map<std::string, CLI::Option*> options_;
  // Storage CLI11 writes into; std::map keeps element addresses stable.
  std::map<std::string, std::string> texts_;
  std::map<std::string, bool> bools_;
  // Boolean options whose flag ("--no-console") sets them false.
  std::set<std::string> negated_;
};

}  // namespace

struct ServerCommands::Impl {
  CLI::App& app;
  CLI::App* serve = nullptr;
  CLI::App* migrate = nullptr;
  CLI::App* healthcheck = nullptr;
  CLI::App* version = nullptr;
  CLI::App* help = nullptr;

  OptionFlags serve_flags;
  std::string port_file;
  bool test_routes = false;

  OptionFlags migrate_flags;

  OptionFlags healthcheck_flags;
  CLI::App* audit = nullptr;
  CLI::App* audit_verify = nullptr;
  OptionFlags audit_verify_flags;
  CLI::App* audit_list = nullptr;
  OptionFlags audit_list_flags;
  AuditListArgs audit_list_args;
  CLI::App* keys = nullptr;
  CLI::App* keys_rotate = nullptr;
  OptionFlags keys_rotate_flags;
  std::string new_key_file;
  CLI::App* backup = nullptr;
  OptionFlags backup_flags;
  BackupArgs backup_args;
  CLI::Option* url_option = nullptr;
  std::string url;

  std::vector<std::string> help_topic;

  explicit Impl(CLI::App& a) : app(a) {}
};

ServerCommands::ServerCommands(CLI::App& app) : impl_(std::make_unique<Impl>(app)) {
  Impl& s = *impl_;
  app.name("stepd");
  app.require_subcommand(0, 1);
  app.set_version_flag("--version", std::string("stepd ") + kVersion);
  app.footer("With no subcommand, stepd serves. Exit codes: 0 ok, 1 failure, 2 bad usage.");

  s.serve = app.add_subcommand("serve", "Run the server (the default)");
  s.serve_flags.AddTo(
      s.serve,
      {"http.listen", "store.path", "store.url", "cluster.node_id", "log.format", "log.level", "insecure", "auth.oidc.issuer",
       "auth.oidc.audience", "auth.oidc.jwks_file", "auth.oidc.jwks_uri", "auth.oidc.algorithms",
       "auth.oidc.clock_skew", "console.enabled", "console.oidc.client_id", "console.oidc.scopes",
       "console.oidc.audience", "console.oidc.token", "metrics.open"});
  s.serve
      ->add_option("--port-file", s.port_file,
                   "write the bound port to FILE once listening (for --listen HOST:0)")
      ->type_name("FILE");
  s.serve
      ->add_flag("--enable-test-routes", s.test_routes,
                 "add GET /debug/delay?ms=N (shutdown tests only)")
      ->group("");  // hidden

  s.migrate = app.add_subcommand("migrate", "Apply pending database migrations and exit");
  s.migrate_flags.AddTo(s.migrate, {"store.path", "store.url"});

  s.audit = app.add_subcommand("audit", "Audit log tools");
  s.audit->require_subcommand(1);
  s.audit_verify = s.audit->add_subcommand(
      "verify", "Recompute the audit chain (offline); exit 0 intact, 1 broken");
  s.audit_verify_flags.AddTo(s.audit_verify, {"store.path", "store.url", "audit.key_file"});
  s.audit_list = s.audit->add_subcommand(
      "list", "Print audit rows as JSON lines (offline; the server may be running)");
  s.audit_list_flags.AddTo(s.audit_list, {"store.path", "store.url"});
  AuditListArgs& al = s.audit_list_args;
  s.audit_list->add_option("--principal", al.query.actor, "rows by this principal id")
      ->type_name("ID");
  s.audit_list->add_option("--action", al.query.action, "rows of this action (StartExecution)")
      ->type_name("ACTION");
  s.audit_list->add_option("--resource", al.query.target, "rows acting on this ARN or name")
      ->type_name("ARN");
  s.audit_list->add_option("--since", al.since, "rows at or after this time (RFC 3339 or epoch ms)")
      ->type_name("TIME");
  s.audit_list->add_option("--until", al.until, "rows before this time (RFC 3339 or epoch ms)")
      ->type_name("TIME");
  s.audit_list->add_option("--limit", al.limit, "at most N rows (default 100)")
      ->type_name("N")
      ->check(CLI::Range(1, 1000000));
  s.audit_list->add_flag("--newest-first", al.query.newest_first, "newest rows first");

  s.keys = app.add_subcommand("keys", "Secrets key tools");
  s.keys->require_subcommand(1);
  s.keys_rotate = s.keys->add_subcommand(
      "rotate",
      "Re-encrypt every connection secret under a new key (one transaction; stop the server "
      "first)");
  s.keys_rotate_flags.AddTo(s.keys_rotate, {"store.path", "store.url", "secrets.key_file"});
  s.keys_rotate
      ->add_option("--new-key-file", s.new_key_file,
                   "the new key (32 bytes, base64 or hex); created with a random key if missing")
      ->type_name("FILE")
      ->required();

  s.backup = app.add_subcommand(
      "backup",
      "Write a consistent copy of the database to DEST (online: the server may be running)");
  s.backup_flags.AddTo(s.backup, {"store.path"});
  s.backup->add_option("dest", s.backup_args.dest, "the copy's file (must not exist)")
      ->type_name("DEST")
      ->required();
  s.backup->add_flag("--force", s.backup_args.force, "replace DEST if it exists");

  s.healthcheck = app.add_subcommand("healthcheck", "Exit 0 when the server's /readyz answers 200");
  s.url_option =
      s.healthcheck
          ->add_option("--url", s.url, "URL to probe (default: the configured listener's /readyz)")
          ->type_name("URL");
  s.healthcheck_flags.AddTo(s.healthcheck, {"http.listen"});

  s.version = app.add_subcommand("version", "Print the version and exit");

  s.help = app.add_subcommand("help", "Print help for stepd or one subcommand");
  s.help->add_option("subcommand", s.help_topic, "subcommand to describe");
}

ServerCommands::~ServerCommands() = default;

int ServerCommands::Run(int argc, char** argv) {
  Impl& s = *impl_;
  try {
    s.app.parse(argc, argv);
  } catch (const CLI::RuntimeError& e) {
    return e.get_exit_code();
  } catch (const CLI::ParseError& e) {
    return s.app.exit(e) == 0 ? kExitOk : kExitUsage;
  }

  if (s.version->parsed()) {
    std::cout << "stepd " << kVersion << "\n";
    return kExitOk;
  }
  if (s.help->parsed()) {
    if (s.help_topic.empty()) {
      // app.help() would describe the selected subcommand, i.e. `help` itself.
      std::cout << s.app.get_formatter()->make_help(&s.app, s.app.get_name(),
                                                    CLI::AppFormatMode::Normal);
      return kExitOk;
    }
    try {
      std::cout << s.app.get_subcommand(s.help_topic.front())->help(s.app.get_name());
      return kExitOk;
    } catch (const CLI::OptionNotFound&) {
      std::cerr << "stepd: no subcommand named \"" << s.help_topic.front() << "\"\n";
      return kExitUsage;
    }
  }
  if (s.migrate->parsed()) {
    return RunMigrate(s.migrate_flags.Collect(), ProcessEnvironment(), std::cout, std::cerr);
  }
  if (s.audit_verify->parsed()) {
    return RunAuditVerify(s.audit_verify_flags.Collect(), ProcessEnvironment(), std::cout,
                          std::cerr);
  }
  if (s.audit_list->parsed()) {
    return RunAuditList(s.audit_list_flags.Collect(), s.audit_list_args, ProcessEnvironment(),
                        std::cout, std::cerr);
  }
  if (s.keys_rotate->parsed()) {
    return RunKeysRotate(s.keys_rotate_flags.Collect(), ProcessEnvironment(), s.new_key_file,
                         std::cout, std::cerr);
  }
  if (s.backup->parsed()) {
    return RunBackup(s.backup_flags.Collect(), s.backup_args, ProcessEnvironment(), std::cout,
                     std::cerr);
  }
  if (s.healthcheck->parsed()) {
    std::optional<std::string> url;
    if (s.url_option->count() > 0) url = s.url;
    return RunHealthcheck(url, s.healthcheck_flags.Collect(), ProcessEnvironment(), std::cout,
                          std::cerr);
  }
  if (s.serve->parsed() || s.app.get_subcommands().empty()) {
    ServeArgs args;
    args.flags = s.serve_flags.Collect();
    args.port_file = s.port_file;
    args.test_routes = s.test_routes;
    return RunServe(args, ProcessEnvironment());
  }
  // Another layer's subcommand ran from its callback during parsing.
  return kExitOk;
}

}  // namespace stepd::server
