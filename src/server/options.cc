#include "stepd/server/options.h"

#include <arpa/inet.h>
#include <date/date.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <functional>
#include <limits>
#include <optional>
#include <sstream>
#include <utility>

#include "stepd/api/console.h"
#include "stepd/base/aws_names.h"
#include "stepd/api/jwt.h"
#include "stepd/runtime/scheduler.h"
#include "stepd/store/postgres_store.h"

extern char** environ;

namespace stepd::server {
namespace {

// Why a structured value was refused: where inside it ("validate.url";
// empty: the value as a whole) and what is wrong there ("must be ..., got
// ...", "is unknown").
struct Refusal {
  std::string path;
  std::string reason;
};

// An option plus how to read and write it. Each reader returns false when the
// value does not fit; the caller names the source in the error.
struct Option {
  OptionInfo info;
  std::function<bool(const Json&, ServerOptions&)> from_json;
  std::function<bool(std::string_view, ServerOptions&)> from_text;
  std::function<Json(const ServerOptions&)> to_json;
  // Structured values only: reads `value` like from_json, or says what in it
  // is wrong, so that the error can point inside the value.
  std::function<std::optional<Refusal>(const Json&, ServerOptions&)> explain{};
};

std::string EnvNameFor(std::string_view key) {
  std::string env = "STEPD_";
  for (char c : key) env += c == '.' ? '_' : static_cast<char>(std::toupper(c));
  return env;
}

OptionInfo Info(std::string key, std::string env, std::string flag, std::string expected,
                std::string help) {
  if (env.empty()) env = EnvNameFor(key);
  return {std::move(key), std::move(env), std::move(flag), std::move(expected), std::move(help)};
}

bool ParseInt(std::string_view text, int64_t& out) {
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, out);
  return ec == std::errc() && ptr == end && !text.empty();
}

bool JsonInt(const Json& j, int64_t& out) {
  if (j.is_number_unsigned()) {
    if (j.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return false;
    }
    out = static_cast<int64_t>(j.get<uint64_t>());
    return true;
  }
  if (!j.is_number_integer()) return false;
  out = j.get<int64_t>();
  return true;
}

// Integer-valued options (counts, sizes, milliseconds) within [min, max].
template <typename Access>
Option IntOption(std::string key, std::string env, int64_t min, int64_t max, std::string help,
                 Access access) {
  std::string expected = "an integer >= " + std::to_string(min);
  if (max != std::numeric_limits<int64_t>::max() && max < (int64_t{1} << 40)) {
    expected = "an integer from " + std::to_string(min) + " to " + std::to_string(max);
  }
  auto set = [access, min, max](int64_t v, ServerOptions& o) {
    if (v < min || v > max) return false;
    access.set(o, v);
    return true;
  };
  return Option{Info(std::move(key), std::move(env), "", std::move(expected), std::move(help)),
                [set](const Json& j, ServerOptions& o) {
                  int64_t v;
                  return JsonInt(j, v) && set(v, o);
                },
                [set](std::string_view t, ServerOptions& o) {
                  int64_t v;
                  return ParseInt(t, v) && set(v, o);
                },
                [access](const ServerOptions& o) { return Json(access.get(o)); }};
}

// Accessors for IntOption: one per field type.
template <typename T>
struct IntField {
  T& (*field)(ServerOptions&);
  void set(ServerOptions& o, int64_t v) const { field(o) = static_cast<T>(v); }
  int64_t get(const ServerOptions& o) const {
    return static_cast<int64_t>(field(const_cast<ServerOptions&>(o)));
  }
};
struct MsField {
  std::chrono::milliseconds& (*field)(ServerOptions&);
  void set(ServerOptions& o, int64_t v) const { field(o) = std::chrono::milliseconds(v); }
  int64_t get(const ServerOptions& o) const { return field(const_cast<ServerOptions&>(o)).count(); }
};

struct SecondsField {
  std::chrono::seconds& (*field)(ServerOptions&);
  void set(ServerOptions& o, int64_t v) const { field(o) = std::chrono::seconds(v); }
  int64_t get(const ServerOptions& o) const { return field(const_cast<ServerOptions&>(o)).count(); }
};

Option StringOption(std::string key, std::string env, std::string flag, std::string help,
                    std::string& (*field)(ServerOptions&)) {
  return Option{
      Info(std::move(key), std::move(env), std::move(flag), "a string", std::move(help)),
      [field](const Json& j, ServerOptions& o) {
        if (!j.is_string()) return false;
        field(o) = j.get<std::string>();
        return true;
      },
      [field](std::string_view t, ServerOptions& o) {
        field(o) = std::string(t);
        return true;
      },
      [field](const ServerOptions& o) { return Json(field(const_cast<ServerOptions&>(o))); }};
}

bool ParseBool(std::string_view t, bool& out) {
  if (t == "true" || t == "1" || t == "yes" || t == "on") {
    out = true;
    return true;
  }
  if (t == "false" || t == "0" || t == "no" || t == "off") {
    out = false;
    return true;
  }
  return false;
}

Option BoolOption(std::string key, std::string env, std::string flag, std::string help,
                  bool& (*field)(ServerOptions&)) {
  return Option{
      Info(std::move(key), std::move(env), std::move(flag), "a boolean", std::move(help)),
      [field](const Json& j, ServerOptions& o) {
        if (!j.is_boolean()) return false;
        field(o) = j.get<bool>();
        return true;
      },
      [field](std::string_view t, ServerOptions& o) { return ParseBool(t, field(o)); },
      [field](const ServerOptions& o) { return Json(field(const_cast<ServerOptions&>(o))); }};
}

// Options whose value is one of a few names.
template <typename E>
Option EnumOption(std::string key, std::string env, std::string flag, std::string help,
                  std::vector<std::pair<std::string, E>> names, E& (*field)(ServerOptions&)) {
  std::string expected = "one of ";
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) expected += ", ";
    expected += names[i].first;
  }
  auto set = [names, field](std::string_view t, ServerOptions& o) {
    for (const auto& [name, value] : names) {
      if (name == t) {
        field(o) = value;
        return true;
      }
    }
    return false;
  };
  return Option{
      Info(std::move(key), std::move(env), std::move(flag), std::move(expected), std::move(help)),
      [set](const Json& j, ServerOptions& o) {
        return j.is_string() && set(j.get<std::string>(), o);
      },
      set,
      [names, field](const ServerOptions& o) {
        for (const auto& [name, value] : names) {
          if (value == field(const_cast<ServerOptions&>(o))) return Json(name);
        }
        return Json();
      }};
}

bool IsRegion(std::string_view t) {
  return !t.empty() && t.size() <= 32 && std::all_of(t.begin(), t.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

bool IsAccountId(std::string_view t) {
  return t.size() == 12 &&
         std::all_of(t.begin(), t.end(), [](char c) { return c >= '0' && c <= '9'; });
}

Option PatternOption(std::string key, std::string expected, std::string help,
                     bool (*valid)(std::string_view), std::string& (*field)(ServerOptions&)) {
  auto set = [valid, field](std::string_view t, ServerOptions& o) {
    if (!valid(t)) return false;
    field(o) = std::string(t);
    return true;
  };
  return Option{
      Info(std::move(key), "", "", std::move(expected), std::move(help)),
      [set](const Json& j, ServerOptions& o) {
        return j.is_string() && set(j.get<std::string>(), o);
      },
      set, [field](const ServerOptions& o) { return Json(field(const_cast<ServerOptions&>(o))); }};
}

// auth.access_keys: [{"access_key_id", "secret_access_key", "principal"?,
// "role"?}]; in the environment, the same array as JSON text. Printed with
// the secrets redacted.
bool ParseAccessKeys(const Json& j, std::vector<api::AccessKey>& out) {
  if (!j.is_array()) return false;
  std::vector<api::AccessKey> keys;
  for (const Json& k : j) {
    if (!k.is_object()) return false;
    for (const auto& [name, value] : k.items()) {
      if (name != "access_key_id" && name != "secret_access_key" && name != "principal" &&
          name != "role") {
        return false;
      }
      if (!value.is_string()) return false;
    }
    api::AccessKey key;
    key.access_key_id = k.value("access_key_id", "");
    key.secret_access_key = k.value("secret_access_key", "");
    key.principal = k.value("principal", "");
    if (key.access_key_id.empty() || key.access_key_id.size() > 128 ||
        !std::all_of(key.access_key_id.begin(), key.access_key_id.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)); }) ||
        key.secret_access_key.empty()) {
      return false;
    }
    if (k.contains("role")) {
      key.role = api::ParseRole(k["role"].get<std::string>());
      if (!key.role) return false;
    }
    for (const api::AccessKey& other : keys) {
      if (other.access_key_id == key.access_key_id) return false;
    }
    keys.push_back(std::move(key));
  }
  out = std::move(keys);
  return true;
}

Option AccessKeysOption() {
  return Option{
      Info("auth.access_keys", "", "",
           "a JSON array of {\"access_key_id\" (letters and digits), \"secret_access_key\", "
           "\"principal\"?, \"role\"? (viewer, trigger, operator, admin)} with unique ids",
           "SigV4 keys accepted on the AWS API; any key turns authentication on"),
      [](const Json& j, ServerOptions& o) { return ParseAccessKeys(j, o.auth.access_keys); },
      [](std::string_view t, ServerOptions& o) {
        StatusOr<Json> parsed = ParseJson(t);
        return parsed.ok() && ParseAccessKeys(*parsed, o.auth.access_keys);
      },
      [](const ServerOptions& o) {
        Json keys = Json::array();
        for (const api::AccessKey& k : o.auth.access_keys) {
          Json j = {{"access_key_id", k.access_key_id}, {"secret_access_key", "<redacted>"}};
          if (!k.principal.empty()) j["principal"] = k.principal;
          if (k.role) j["role"] = api::RoleName(*k.role);
          keys.push_back(std::move(j));
        }
        return keys;
      }};
}

bool IsLookerName(std::string_view name) {
  return !name.empty() && name.size() <= 64 &&
         std::all_of(name.begin(), name.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
         });
}

// auth.looker_tokens: [{"name", "token", "role"?}]; in the environment, the
// same array as JSON text. Printed with the tokens redacted.
std::optional<Refusal> ExplainLookerTokens(const Json& j, std::vector<api::LookerToken>& out) {
  if (!j.is_array()) return Refusal{"", "must be a JSON array of {\"name\", \"token\", \"role\"?}"};
  std::vector<api::LookerToken> tokens;
  for (size_t i = 0; i < j.size(); ++i) {
    const Json& t = j[i];
    const std::string at = "[" + std::to_string(i) + "]";
    if (!t.is_object()) return Refusal{at, "must be a JSON object"};
    api::LookerToken token;
    for (const auto& [name, value] : t.items()) {
      if (name != "name" && name != "token" && name != "role") {
        return Refusal{at + "." + name, "is unknown: a hub token has name, token and role"};
      }
      if (!value.is_string()) return Refusal{at + "." + name, "must be a string"};
    }
    token.name = t.value("name", "");
    token.token = t.value("token", "");
    if (!IsLookerName(token.name)) {
      return Refusal{at + ".name", "must be 1-64 letters, digits, '-', '_' or '.'"};
    }
    if (token.token.size() < 16 || token.token.size() > 1024 ||
        token.token.find('"') != std::string::npos) {
      // The token itself is never quoted back.
      return Refusal{at + ".token", "must be 16 to 1024 characters without '\"'"};
    }
    if (t.contains("role")) {
      token.role = api::ParseRole(t["role"].get<std::string>());
      if (!token.role) return Refusal{at + ".role", "must be viewer, trigger, operator or admin"};
    }
    for (const api::LookerToken& other : tokens) {
      if (other.name == token.name) return Refusal{at + ".name", "repeats " + Json(token.name).dump()};
    }
    tokens.push_back(std::move(token));
  }
  out = std::move(tokens);
  return std::nullopt;
}

Option LookerTokensOption() {
  Option option{
      Info("auth.looker_tokens", "", "",
           "a JSON array of {\"name\", \"token\" (16+ characters), \"role\"?} with unique names",
           "tokens Looker presents to the hub (Authorization: Token token=\"...\"); several for "
           "rotation; any turns authentication on"),
      [](const Json& j, ServerOptions& o) { return !ExplainLookerTokens(j, o.auth.looker_tokens); },
      [](std::string_view t, ServerOptions& o) {
        StatusOr<Json> parsed = ParseJson(t);
        return parsed.ok() && !ExplainLookerTokens(*parsed, o.auth.looker_tokens);
      },
      [](const ServerOptions& o) {
        Json tokens = Json::array();
        for (const api::LookerToken& t : o.auth.looker_tokens) {
          Json j = {{"name", t.name}, {"token", "<redacted>"}};
          if (t.role) j["role"] = api::RoleName(*t.role);
          tokens.push_back(std::move(j));
        }
        return tokens;
      }};
  option.explain = [](const Json& j, ServerOptions& o) {
    return ExplainLookerTokens(j, o.auth.looker_tokens);
  };
  return option;
}

// notifications.sinks: {"NAME": {"type", ...}} and notifications.rules:
// {"NAME": {"state_machines", "outcomes", "sink"}} (runtime::Parse*); in the
// environment, the same objects as JSON text. Sinks are printed redacted.
std::optional<Refusal> ExplainNotificationSinks(const Json& j,
                                                std::vector<runtime::NotificationSink>& out) {
  if (!j.is_object()) return Refusal{"", "must be a JSON object of sinks by name"};
  std::vector<runtime::NotificationSink> sinks;
  for (const auto& [name, body] : j.items()) {
    StatusOr<runtime::NotificationSink> sink = runtime::ParseNotificationSink(name, body, name);
    if (!sink.ok()) {
      const std::string message = sink.status().message();
      const size_t colon = message.find(": ");
      return Refusal{name, colon == std::string::npos ? message : message.substr(colon + 2)};
    }
    sinks.push_back(std::move(sink).value());
  }
  out = std::move(sinks);
  return std::nullopt;
}

std::optional<Refusal> ExplainNotificationRules(const Json& j,
                                                std::vector<runtime::NotificationRule>& out) {
  if (!j.is_object()) return Refusal{"", "must be a JSON object of rules by name"};
  std::vector<runtime::NotificationRule> rules;
  for (const auto& [name, body] : j.items()) {
    StatusOr<runtime::NotificationRule> rule = runtime::ParseNotificationRule(name, body, name);
    if (!rule.ok()) {
      const std::string message = rule.status().message();
      const size_t colon = message.find(": ");
      return Refusal{name, colon == std::string::npos ? message : message.substr(colon + 2)};
    }
    rules.push_back(std::move(rule).value());
  }
  out = std::move(rules);
  return std::nullopt;
}

template <typename T>
Option NotificationsOption(std::string key, std::string expected, std::string help,
                           std::optional<Refusal> (*explain)(const Json&, std::vector<T>&),
                           std::vector<T>& (*field)(ServerOptions&), Json (*print)(const T&)) {
  Option option{Info(std::move(key), "", "", std::move(expected), std::move(help)),
                [explain, field](const Json& j, ServerOptions& o) { return !explain(j, field(o)); },
                [explain, field](std::string_view t, ServerOptions& o) {
                  StatusOr<Json> parsed = ParseJson(t);
                  return parsed.ok() && !explain(*parsed, field(o));
                },
                [field, print](const ServerOptions& o) {
                  Json all = Json::object();
                  for (const T& item : field(const_cast<ServerOptions&>(o))) {
                    Json j = print(item);
                    j.erase("name");
                    j.erase("source");
                    all[item.name] = std::move(j);
                  }
                  return all;
                }};
  option.explain = [explain, field](const Json& j, ServerOptions& o) {
    return explain(j, field(o));
  };
  return option;
}

// looker.actions: [{"name", "state_machine", ...}] (api::LookerAction).
std::optional<Refusal> ExplainLookerActions(const Json& j, std::vector<api::LookerAction>& out) {
  if (!j.is_array()) return Refusal{"", "must be a JSON array of actions"};
  static const std::vector<std::string> kTypes = {"cell", "query", "dashboard"};
  static const std::vector<std::string> kFormats = {
      "txt",      "csv",         "inline_json", "json",          "json_label",
      "json_detail", "json_detail_lite_stream", "xlsx", "html", "wysiwyg_pdf",
      "assembled_pdf", "wysiwyg_png", "csv_zip"};
  static const std::vector<std::string> kFormattings = {"formatted", "unformatted"};
  static const std::vector<std::string> kVisual = {"apply", "noapply"};
  static const std::vector<std::string> kDownload = {"push", "url"};
  static const std::vector<std::string> kFieldTypes = {"string", "textarea", "select", "message"};
  auto strings = [](const Json& v, const std::vector<std::string>& allowed, bool non_empty,
                    std::vector<std::string>& into) -> std::optional<std::string> {
    std::string list;
    for (const std::string& a : allowed) list += (list.empty() ? "" : ", ") + a;
    if (!v.is_array() || (non_empty && v.empty())) {
      return std::string(non_empty ? "must be a non-empty array of " : "must be an array of ") +
             list;
    }
    into.clear();
    for (const Json& e : v) {
      if (!e.is_string() || std::find(allowed.begin(), allowed.end(), e.get<std::string>()) ==
                                allowed.end()) {
        return "must hold only " + list + ", got " + e.dump();
      }
      into.push_back(e.get<std::string>());
    }
    return std::nullopt;
  };
  auto text = [](const Json& v, std::string& into) {
    if (!v.is_string()) return false;
    into = v.get<std::string>();
    return true;
  };
  std::vector<api::LookerAction> actions;
  for (size_t i = 0; i < j.size(); ++i) {
    const std::string at = "[" + std::to_string(i) + "]";
    const Json& a = j[i];
    if (!a.is_object()) return Refusal{at, "must be a JSON object"};
    api::LookerAction action;
    for (const auto& [name, value] : a.items()) {
      const std::string where = at + "." + name;
      if (name == "name" || name == "label" || name == "description" || name == "icon_data_uri" ||
          name == "state_machine" || name == "qualifier") {
        std::string* field = name == "name"            ? &action.name
                             : name == "label"         ? &action.label
                             : name == "description"   ? &action.description
                             : name == "icon_data_uri" ? &action.icon_data_uri
                             : name == "state_machine" ? &action.state_machine
                                                       : &action.qualifier;
        if (!text(value, *field)) return Refusal{where, "must be a string"};
      } else if (name == "supported_action_types") {
        if (auto why = strings(value, kTypes, true, action.supported_action_types)) {
          return Refusal{where, *why};
        }
      } else if (name == "supported_formats") {
        if (auto why = strings(value, kFormats, false, action.supported_formats)) {
          return Refusal{where, *why};
        }
      } else if (name == "supported_formattings") {
        if (auto why = strings(value, kFormattings, false, action.supported_formattings)) {
          return Refusal{where, *why};
        }
      } else if (name == "supported_visualization_formattings") {
        if (auto why = strings(value, kVisual, false, action.supported_visualization_formattings)) {
          return Refusal{where, *why};
        }
      } else if (name == "supported_download_settings") {
        if (auto why = strings(value, kDownload, true, action.supported_download_settings)) {
          return Refusal{where, *why};
        }
      } else if (name == "required_fields") {
        if (!value.is_array()) return Refusal{where, "must be an array such as [{\"tag\": \"email\"}]"};
        action.required_fields_json = value.dump();
      } else if (name == "mode") {
        if (value == "async") {
          action.mode = api::LookerMode::kAsync;
        } else if (value == "wait") {
          action.mode = api::LookerMode::kWait;
        } else {
          return Refusal{where, "must be \"async\" or \"wait\""};
        }
      } else if (name == "wait_timeout_seconds") {
        int64_t seconds;
        if (!JsonInt(value, seconds) || seconds < 1 || seconds > 86400) {
          return Refusal{where, "must be an integer from 1 to 86400"};
        }
        action.wait_timeout = std::chrono::seconds(seconds);
      } else if (name == "params") {
        if (!value.is_array()) return Refusal{where, "must be an array of params"};
        for (size_t k = 0; k < value.size(); ++k) {
          const Json& p = value[k];
          const std::string pat = where + "[" + std::to_string(k) + "]";
          if (!p.is_object()) return Refusal{pat, "must be a JSON object"};
          api::LookerParam param;
          for (const auto& [pname, pvalue] : p.items()) {
            if (pname == "required" || pname == "sensitive" || pname == "per_user") {
              if (!pvalue.is_boolean()) return Refusal{pat + "." + pname, "must be true or false"};
              (pname == "required" ? param.required
               : pname == "sensitive" ? param.sensitive
                                      : param.per_user) = pvalue.get<bool>();
            } else if (pname == "name" || pname == "label" || pname == "description" ||
                       pname == "user_attribute_name") {
              std::string* field = pname == "name"          ? &param.name
                                   : pname == "label"       ? &param.label
                                   : pname == "description" ? &param.description
                                                            : &param.user_attribute_name;
              if (!text(pvalue, *field)) return Refusal{pat + "." + pname, "must be a string"};
            } else {
              return Refusal{pat + "." + pname,
                             "is unknown: a param has name, label, description, required, "
                             "sensitive, user_attribute_name, per_user"};
            }
          }
          if (!IsLookerName(param.name) || param.name.find('.') != std::string::npos) {
            return Refusal{pat + ".name", "must be 1-64 letters, digits, '-' or '_'"};
          }
          action.params.push_back(std::move(param));
        }
      } else if (name == "form") {
        if (!value.is_array()) return Refusal{where, "must be an array of form fields"};
        for (size_t k = 0; k < value.size(); ++k) {
          const Json& f = value[k];
          const std::string fat = where + "[" + std::to_string(k) + "]";
          if (!f.is_object()) return Refusal{fat, "must be a JSON object"};
          api::LookerFormField field;
          for (const auto& [fname, fvalue] : f.items()) {
            if (fname == "required" || fname == "interactive") {
              if (!fvalue.is_boolean()) return Refusal{fat + "." + fname, "must be true or false"};
              (fname == "required" ? field.required : field.interactive) = fvalue.get<bool>();
            } else if (fname == "name" || fname == "label" || fname == "description" ||
                       fname == "default" || fname == "value") {
              std::string* into = fname == "name"          ? &field.name
                                  : fname == "label"       ? &field.label
                                  : fname == "description" ? &field.description
                                  : fname == "default"     ? &field.default_value
                                                           : &field.value;
              if (!text(fvalue, *into)) return Refusal{fat + "." + fname, "must be a string"};
            } else if (fname == "type") {
              if (!fvalue.is_string() ||
                  std::find(kFieldTypes.begin(), kFieldTypes.end(), fvalue.get<std::string>()) ==
                      kFieldTypes.end()) {
                return Refusal{fat + ".type", "must be string, textarea, select or message"};
              }
              field.type = fvalue.get<std::string>();
            } else if (fname == "options") {
              if (!fvalue.is_array()) return Refusal{fat + ".options", "must be an array"};
              for (const Json& o : fvalue) {
                if (!o.is_object() || !o.contains("name") || !o["name"].is_string() ||
                    (o.contains("label") && !o["label"].is_string())) {
                  return Refusal{fat + ".options", "must hold {\"name\", \"label\"?} objects"};
                }
                field.options.push_back({o["name"].get<std::string>(), o.value("label", "")});
              }
            } else {
              return Refusal{fat + "." + fname,
                             "is unknown: a form field has name, label, description, type, "
                             "default, required, interactive, options, value"};
            }
          }
          if (!IsLookerName(field.name) || field.name.find('.') != std::string::npos) {
            return Refusal{fat + ".name", "must be 1-64 letters, digits, '-' or '_'"};
          }
          if (field.type == "select" && field.options.empty()) {
            return Refusal{fat + ".options", "are required for a select field"};
          }
          action.form.push_back(std::move(field));
        }
      } else {
        return Refusal{where, "is unknown: see config/stepd.example.json for an action's members"};
      }
    }
    if (!IsLookerName(action.name) || action.name.find('.') != std::string::npos) {
      return Refusal{at + ".name", "must be 1-64 letters, digits, '-' or '_'"};
    }
    if (action.state_machine.empty()) {
      return Refusal{at + ".state_machine", "is required: the name or ARN of the state machine"};
    }
    if (!action.icon_data_uri.empty() && action.icon_data_uri.rfind("data:", 0) != 0) {
      return Refusal{at + ".icon_data_uri", "must be a data: URI"};
    }
    for (const api::LookerAction& other : actions) {
      if (other.name == action.name) return Refusal{at + ".name", "repeats " + Json(action.name).dump()};
    }
    actions.push_back(std::move(action));
  }
  out = std::move(actions);
  return std::nullopt;
}

Json LookerActionsJson(const std::vector<api::LookerAction>& actions) {
  Json out = Json::array();
  for (const api::LookerAction& a : actions) {
    Json j = {{"name", a.name}, {"state_machine", a.state_machine}};
    if (!a.label.empty()) j["label"] = a.label;
    if (!a.description.empty()) j["description"] = a.description;
    if (!a.icon_data_uri.empty()) j["icon_data_uri"] = a.icon_data_uri;
    if (!a.qualifier.empty()) j["qualifier"] = a.qualifier;
    j["supported_action_types"] = a.supported_action_types;
    if (!a.supported_formats.empty()) j["supported_formats"] = a.supported_formats;
    if (!a.supported_formattings.empty()) j["supported_formattings"] = a.supported_formattings;
    if (!a.supported_visualization_formattings.empty()) {
      j["supported_visualization_formattings"] = a.supported_visualization_formattings;
    }
    j["supported_download_settings"] = a.supported_download_settings;
    if (a.required_fields_json != "[]") j["required_fields"] = Json::parse(a.required_fields_json);
    j["mode"] = api::LookerModeName(a.mode);
    if (a.mode == api::LookerMode::kWait) j["wait_timeout_seconds"] = a.wait_timeout.count();
    Json params = Json::array();
    for (const api::LookerParam& p : a.params) {
      Json pj = {{"name", p.name}, {"required", p.required}, {"sensitive", p.sensitive}};
      if (!p.label.empty()) pj["label"] = p.label;
      if (!p.description.empty()) pj["description"] = p.description;
      if (!p.user_attribute_name.empty()) pj["user_attribute_name"] = p.user_attribute_name;
      if (p.per_user) pj["per_user"] = true;
      params.push_back(std::move(pj));
    }
    if (!params.empty()) j["params"] = std::move(params);
    Json form = Json::array();
    for (const api::LookerFormField& f : a.form) {
      Json fj = {{"name", f.name}, {"type", f.type}};
      if (!f.label.empty()) fj["label"] = f.label;
      if (!f.description.empty()) fj["description"] = f.description;
      if (!f.default_value.empty()) fj["default"] = f.default_value;
      if (f.required) fj["required"] = true;
      if (f.interactive) fj["interactive"] = true;
      if (!f.value.empty()) fj["value"] = f.value;
      if (!f.options.empty()) {
        Json options = Json::array();
        for (const api::LookerFormOption& o : f.options) {
          options.push_back({{"name", o.name}, {"label", o.label}});
        }
        fj["options"] = std::move(options);
      }
      form.push_back(std::move(fj));
    }
    if (!form.empty()) j["form"] = std::move(form);
    out.push_back(std::move(j));
  }
  return out;
}

Option LookerActionsOption() {
  Option option{
      Info("looker.actions", "", "",
           "a JSON array of actions {\"name\", \"state_machine\", \"label\"?, ...}",
           "the Looker Action Hub's actions, each starting a state machine (empty: no actions)"),
      [](const Json& j, ServerOptions& o) { return !ExplainLookerActions(j, o.looker.actions); },
      [](std::string_view t, ServerOptions& o) {
        StatusOr<Json> parsed = ParseJson(t);
        return parsed.ok() && !ExplainLookerActions(*parsed, o.looker.actions);
      },
      [](const ServerOptions& o) { return LookerActionsJson(o.looker.actions); }};
  option.explain = [](const Json& j, ServerOptions& o) {
    return ExplainLookerActions(j, o.looker.actions);
  };
  return option;
}

// A list of strings: a JSON array in the file, the same array as JSON text
// or the entries separated by commas elsewhere. `valid` checks each entry.
Option StringListOption(std::string key, std::string flag, std::string expected, std::string help,
                        bool (*valid)(std::string_view),
                        std::vector<std::string>& (*field)(ServerOptions&)) {
  auto from_json = [valid, field](const Json& j, ServerOptions& o) {
    if (!j.is_array()) return false;
    std::vector<std::string> out;
    for (const Json& e : j) {
      if (!e.is_string() || !valid(e.get_ref<const std::string&>())) return false;
      out.push_back(e.get<std::string>());
    }
    field(o) = std::move(out);
    return true;
  };
  return Option{
      Info(std::move(key), "", std::move(flag), std::move(expected), std::move(help)),
      from_json,
      [from_json](std::string_view t, ServerOptions& o) {
        if (!t.empty() && t.front() == '[') {
          StatusOr<Json> parsed = ParseJson(t);
          return parsed.ok() && from_json(*parsed, o);
        }
        Json entries = Json::array();
        size_t start = 0;
        while (start <= t.size()) {
          size_t end = t.find(',', start);
          if (end == std::string_view::npos) end = t.size();
          std::string_view entry = t.substr(start, end - start);
          while (!entry.empty() && entry.front() == ' ') entry.remove_prefix(1);
          while (!entry.empty() && entry.back() == ' ') entry.remove_suffix(1);
          if (!entry.empty()) entries.push_back(std::string(entry));
          start = end + 1;
        }
        return from_json(entries, o);
      },
      [field](const ServerOptions& o) { return Json(field(const_cast<ServerOptions&>(o))); }};
}

Option WithFlag(Option option, std::string flag) {
  option.info.flag = std::move(flag);
  return option;
}

bool NonEmpty(std::string_view t) { return !t.empty(); }
bool HasOpenIdScope(std::string_view t) {
  for (size_t start = 0; start < t.size();) {
    size_t end = std::min(t.find(' ', start), t.size());
    if (t.substr(start, end - start) == "openid") return true;
    start = end + 1;
  }
  return false;
}
// "https://host[:port]": an origin and nothing more (lower-case, no path).
bool IsOrigin(std::string_view t) { return api::OriginOf(t) == t; }
bool IsJwtAlgorithm(std::string_view t) { return api::ParseJwtAlgorithm(t).has_value(); }
bool IsClaimPath(std::string_view t) {
  return !t.empty() && t.front() != '.' && t.back() != '.' && t.find("..") == std::string::npos;
}

// auth.bindings: [{"<kind>": "value", "role": ROLE, "state_machines": [...]?}]
// with exactly one kind (subject, email, group, client_id, access_key,
// principal, looker).
std::optional<Refusal> ExplainBindings(const Json& j, std::vector<api::RoleBinding>& out) {
  if (!j.is_array()) return Refusal{"", "must be a JSON array of bindings, got " + j.dump()};
  std::vector<api::RoleBinding> bindings;
  for (size_t i = 0; i < j.size(); ++i) {
    const Json& b = j[i];
    const std::string at = "[" + std::to_string(i) + "]";
    if (!b.is_object()) return Refusal{at, "must be a JSON object"};
    api::RoleBinding binding;
    int kinds = 0;
    bool has_role = false;
    for (const auto& [name, value] : b.items()) {
      if (name == "role") {
        auto role = value.is_string() ? api::ParseRole(value.get<std::string>()) : std::nullopt;
        if (!role) return Refusal{at + ".role", "must be viewer, trigger, operator or admin"};
        binding.role = *role;
        has_role = true;
      } else if (name == "state_machines") {
        if (!value.is_array() || value.empty()) {
          return Refusal{at + ".state_machines", "must be a non-empty array of name patterns"};
        }
        for (const Json& pattern : value) {
          if (!pattern.is_string() || pattern.get_ref<const std::string&>().empty()) {
            return Refusal{at + ".state_machines", "must hold non-empty strings"};
          }
          binding.state_machines.push_back(pattern.get<std::string>());
        }
      } else if (auto kind = api::ParseBindingKind(name)) {
        if (!value.is_string() || value.get_ref<const std::string&>().empty()) {
          return Refusal{at + "." + name, "must be a non-empty string"};
        }
        binding.kind = *kind;
        binding.value = value.get<std::string>();
        ++kinds;
      } else {
        return Refusal{at + "." + name,
                       "is unknown: a binding has one of subject, email, group, client_id, "
                       "access_key, principal, looker, and role, state_machines"};
      }
    }
    if (kinds != 1) {
      return Refusal{at, "must name exactly one of subject, email, group, client_id, "
                         "access_key, principal, looker"};
    }
    if (!has_role) return Refusal{at + ".role", "is missing"};
    bindings.push_back(std::move(binding));
  }
  out = std::move(bindings);
  return std::nullopt;
}

Json BindingsJson(const std::vector<api::RoleBinding>& bindings) {
  Json out = Json::array();
  for (const api::RoleBinding& b : bindings) {
    Json j = {{std::string(api::BindingKindName(b.kind)), b.value},
              {"role", api::RoleName(b.role)}};
    if (!b.state_machines.empty()) j["state_machines"] = b.state_machines;
    out.push_back(std::move(j));
  }
  return out;
}

Option BindingsOption() {
  Option option{
      Info("auth.bindings", "", "",
           "a JSON array of {\"subject\"|\"email\"|\"group\"|\"client_id\"|\"access_key\"|"
           "\"principal\"|\"looker\": pattern, \"role\": viewer|trigger|operator|admin, "
           "\"state_machines\"?: [name patterns]}",
           "roles given to the principals each binding matches ('*' and '?' are wildcards)"),
      [](const Json& j, ServerOptions& o) { return !ExplainBindings(j, o.auth.bindings); },
      [](std::string_view t, ServerOptions& o) {
        StatusOr<Json> parsed = ParseJson(t);
        return parsed.ok() && !ExplainBindings(*parsed, o.auth.bindings);
      },
      [](const ServerOptions& o) { return BindingsJson(o.auth.bindings); }};
  option.explain = [](const Json& j, ServerOptions& o) { return ExplainBindings(j, o.auth.bindings); };
  return option;
}

// outbound.allow_hosts / deny_hosts: a JSON array of entries; in the
// environment or on a flag, the same array as JSON text or the entries
// separated by commas.
bool ParseHostList(const Json& j, std::vector<std::string>& out) {
  if (!j.is_array()) return false;
  std::vector<std::string> entries;
  for (const Json& e : j) {
    if (!e.is_string()) return false;
    http::OutboundPolicyOptions one;
    one.deny_hosts = {e.get<std::string>()};
    if (!http::OutboundPolicy::Create(one).ok()) return false;
    entries.push_back(e.get<std::string>());
  }
  out = std::move(entries);
  return true;
}

Option HostListOption(std::string key, std::string help,
                      std::vector<std::string>& (*field)(ServerOptions&)) {
  return Option{Info(std::move(key), "", "",
                     "a JSON array of host names, *.suffixes, IP addresses or CIDR blocks (in the "
                     "environment also comma-separated)",
                     std::move(help)),
                [field](const Json& j, ServerOptions& o) { return ParseHostList(j, field(o)); },
                [field](std::string_view t, ServerOptions& o) {
                  if (!t.empty() && t.front() == '[') {
                    StatusOr<Json> parsed = ParseJson(t);
                    return parsed.ok() && ParseHostList(*parsed, field(o));
                  }
                  Json entries = Json::array();
                  while (!t.empty()) {
                    size_t comma = t.find(',');
                    std::string_view entry = t.substr(0, comma);
                    while (!entry.empty() && entry.front() == ' ') entry.remove_prefix(1);
                    while (!entry.empty() && entry.back() == ' ') entry.remove_suffix(1);
                    if (!entry.empty()) entries.push_back(std::string(entry));
                    t = comma == std::string_view::npos ? std::string_view() : t.substr(comma + 1);
                  }
                  return ParseHostList(entries, field(o));
                },
                [field](const ServerOptions& o) {
                  Json entries = Json::array();
                  for (const std::string& e : field(const_cast<ServerOptions&>(o)))
                    entries.push_back(e);
                  return entries;
                }};
}

// A function's timeout may not exceed Lambda's: 15 minutes.
constexpr int64_t kMaxFunctionTimeoutMs = 900000;

// functions: {"NAME": {"url": URL, "timeout_ms": N} or URL}.
std::optional<Refusal> ParseFunctions(const Json& j, runtime::LambdaFunctions& out) {
  if (!j.is_object()) {
    return Refusal{"", "must be a JSON object of Lambda function names, got " + j.dump()};
  }
  runtime::LambdaFunctions functions;
  for (const auto& [name, entry] : j.items()) {
    if (!runtime::IsLambdaFunctionName(name)) {
      return Refusal{name,
                     "is not a Lambda function name (1 to 64 letters, digits, hyphens and "
                     "underscores)"};
    }
    runtime::LambdaFunction function;
    const Json* url = &entry;
    std::string url_path = name;
    if (entry.is_object()) {
      url = nullptr;
      url_path = name + ".url";
      for (const auto& [field, value] : entry.items()) {
        int64_t ms = 0;
        if (field == "url") {
          url = &value;
        } else if (field != "timeout_ms") {
          return Refusal{name + "." + field,
                         "is unknown: a function has \"url\" and \"timeout_ms\""};
        } else if (!JsonInt(value, ms) || ms < 1 || ms > kMaxFunctionTimeoutMs) {
          return Refusal{name + ".timeout_ms",
                         "must be an integer from 1 to " + std::to_string(kMaxFunctionTimeoutMs) +
                             " (Lambda's limit, 15 minutes), got " + value.dump()};
        } else {
          function.timeout = std::chrono::milliseconds(ms);
        }
      }
      if (url == nullptr) return Refusal{url_path, "is required"};
    } else if (!entry.is_string()) {
      return Refusal{
          name,
          "must be the function's URL or an object {\"url\", \"timeout_ms\"}, got " + entry.dump()};
    }
    if (!url->is_string() || !runtime::IsLambdaFunctionUrl(url->get_ref<const std::string&>())) {
      return Refusal{url_path,
                     "must be an http:// or https:// URL with a host (and no user "
                     "information or fragment), got " +
                         url->dump()};
    }
    function.url = url->get<std::string>();
    functions.emplace(name, std::move(function));
  }
  out = std::move(functions);
  return std::nullopt;
}

Option FunctionsOption() {
  auto explain = [](const Json& j, ServerOptions& o) { return ParseFunctions(j, o.functions); };
  return Option{
      Info("functions", "", "",
           "a JSON object of Lambda function name -> {\"url\": http(s) URL, \"timeout_ms\": 1 "
           "to " +
               std::to_string(kMaxFunctionTimeoutMs) + "} or the URL alone",
           "local HTTP endpoints standing in for Lambda functions"),
      [explain](const Json& j, ServerOptions& o) { return !explain(j, o); },
      [explain](std::string_view t, ServerOptions& o) {
        StatusOr<Json> parsed = ParseJson(t);
        return parsed.ok() && !explain(*parsed, o);
      },
      [](const ServerOptions& o) {
        Json functions = Json::object();
        for (const auto& [name, function] : o.functions) {
          Json entry = {{"url", function.url}};
          if (function.timeout.count() > 0) entry["timeout_ms"] = function.timeout.count();
          functions[name] = std::move(entry);
        }
        return functions;
      },
      explain};
}

// schedules: {"NAME": {"state_machine", "expression", ...}} (runtime::ScheduleSpec).
std::optional<int64_t> ParseScheduleTime(const std::string& text) {
  for (const char* format : {"%FT%TZ", "%FT%T%Ez"}) {
    std::istringstream in(text);
    date::sys_time<std::chrono::milliseconds> t;
    in >> date::parse(format, t);
    if (!in.fail() && in.peek() == std::char_traits<char>::eof()) {
      return t.time_since_epoch().count();
    }
  }
  return std::nullopt;
}

std::optional<Refusal> ParseSchedules(const Json& j, std::vector<runtime::ScheduleSpec>& out) {
  if (!j.is_object()) {
    return Refusal{"", "must be a JSON object of schedule names, got " + j.dump()};
  }
  std::vector<runtime::ScheduleSpec> schedules;
  for (const auto& [name, entry] : j.items()) {
    if (!entry.is_object()) {
      return Refusal{
          name, "must be an object {\"state_machine\", \"expression\", ...}, got " + entry.dump()};
    }
    runtime::ScheduleSpec spec;
    spec.name = name;
    for (const auto& [field, value] : entry.items()) {
      const std::string path = name + "." + field;
      auto text = [&](std::string& to) -> std::optional<Refusal> {
        if (!value.is_string()) return Refusal{path, "must be a string, got " + value.dump()};
        to = value.get<std::string>();
        return std::nullopt;
      };
      std::optional<Refusal> refused;
      if (field == "state_machine") {
        refused = text(spec.state_machine);
      } else if (field == "expression") {
        refused = text(spec.expression);
      } else if (field == "timezone") {
        refused = text(spec.timezone);
      } else if (field == "description") {
        refused = text(spec.description);
      } else if (field == "alias") {
        refused = text(spec.qualifier);
      } else if (field == "version") {
        int64_t version = 0;
        if (!JsonInt(value, version) || version < 1 || version > 999999999) {
          return Refusal{path, "must be a version number from 1 to 999999999, got " + value.dump()};
        }
        spec.qualifier = std::to_string(version);
      } else if (field == "input") {
        spec.input = value.dump();
      } else if (field == "enabled") {
        if (!value.is_boolean()) return Refusal{path, "must be true or false, got " + value.dump()};
        spec.enabled = value.get<bool>();
      } else if (field == "catch_up") {
        std::optional<store::ScheduleCatchUp> catch_up;
        if (value.is_string()) catch_up = store::ParseScheduleCatchUp(value.get<std::string>());
        if (!catch_up) return Refusal{path, "must be \"SKIP\" or \"LAST\", got " + value.dump()};
        spec.catch_up = *catch_up;
      } else if (field == "start" || field == "end") {
        std::optional<int64_t> ms;
        if (value.is_string()) ms = ParseScheduleTime(value.get<std::string>());
        if (!ms) {
          return Refusal{path, "must be an RFC 3339 time such as \"2026-12-02T05:00:00Z\", got " +
                                   value.dump()};
        }
        (field == "start" ? spec.start_ms : spec.end_ms) = *ms;
      } else {
        return Refusal{path,
                       "is unknown: a schedule has \"state_machine\", \"version\" or "
                       "\"alias\", \"input\", \"expression\", \"timezone\", \"start\", "
                       "\"end\", \"enabled\", \"catch_up\" and \"description\""};
      }
      if (refused) return refused;
    }
    if (entry.contains("version") && entry.contains("alias")) {
      return Refusal{name, "has both \"version\" and \"alias\"; give one"};
    }
    for (const char* required : {"state_machine", "expression"}) {
      if (!entry.contains(required)) return Refusal{name + "." + required, "is required"};
    }
    if (Status valid = runtime::ValidateScheduleSpec(spec); !valid.ok()) {
      std::string reason(valid.message());
      const std::string prefix = "schedule '" + name + "': ";
      if (reason.rfind(prefix, 0) == 0) reason.erase(0, prefix.size());
      return Refusal{name, "is invalid: " + reason};
    }
    schedules.push_back(std::move(spec));
  }
  out = std::move(schedules);
  return std::nullopt;
}

Json SchedulesJson(const std::vector<runtime::ScheduleSpec>& schedules) {
  Json all = Json::object();
  auto iso = [](int64_t ms) {
    return date::format("%FT%TZ",
                        date::sys_time<std::chrono::milliseconds>(std::chrono::milliseconds(ms)));
  };
  for (const runtime::ScheduleSpec& s : schedules) {
    Json j = {{"state_machine", s.state_machine}};
    if (!s.qualifier.empty()) {
      if (s.qualifier.find_first_not_of("0123456789") == std::string::npos) {
        j["version"] = std::stoll(s.qualifier);
      } else {
        j["alias"] = s.qualifier;
      }
    }
    j["input"] = ParseJson(s.input).value_or(Json::object());
    j["expression"] = s.expression;
    j["timezone"] = s.timezone;
    if (s.start_ms) j["start"] = iso(*s.start_ms);
    if (s.end_ms) j["end"] = iso(*s.end_ms);
    j["enabled"] = s.enabled;
    j["catch_up"] = store::ScheduleCatchUpName(s.catch_up);
    if (!s.description.empty()) j["description"] = s.description;
    all[s.name] = std::move(j);
  }
  return all;
}

Option SchedulesOption() {
  auto explain = [](const Json& j, ServerOptions& o) { return ParseSchedules(j, o.schedules); };
  return Option{Info("schedules", "", "",
                     "a JSON object of schedule name -> {\"state_machine\", \"expression\", "
                     "\"timezone\"?, \"input\"?, \"version\"|\"alias\"?, \"start\"?, "
                     "\"end\"?, \"enabled\"?, \"catch_up\"?: SKIP|LAST, \"description\"?}",
                     "schedules that start state machines (read-only through the API)"),
                [explain](const Json& j, ServerOptions& o) { return !explain(j, o); },
                [explain](std::string_view t, ServerOptions& o) {
                  StatusOr<Json> parsed = ParseJson(t);
                  return parsed.ok() && !explain(*parsed, o);
                },
                [](const ServerOptions& o) { return SchedulesJson(o.schedules); }, explain};
}

// state_machines: {"NAME": {"definition_file" | "definition", "type"?, "role_arn"?}}.
std::optional<Refusal> ParseStateMachines(const Json& j, std::vector<ConfiguredStateMachine>& out) {
  if (!j.is_object()) {
    return Refusal{"", "must be a JSON object of state machine names, got " + j.dump()};
  }
  std::vector<ConfiguredStateMachine> machines;
  for (const auto& [name, entry] : j.items()) {
    if (!IsValidAwsName(name)) {
      return Refusal{name, "is not a valid state machine name (1-80 letters, digits, - and _)"};
    }
    if (!entry.is_object()) {
      return Refusal{name, "must be an object {\"definition_file\" or \"definition\", \"type\"?, "
                           "\"role_arn\"?}, got " + entry.dump()};
    }
    ConfiguredStateMachine m;
    m.name = name;
    for (const auto& [field, value] : entry.items()) {
      const std::string path = name + "." + field;
      if (field == "definition_file" || field == "role_arn") {
        if (!value.is_string() || value.get<std::string>().empty()) {
          return Refusal{path, "must be a non-empty string, got " + value.dump()};
        }
        (field == "role_arn" ? m.role_arn : m.definition_file) = value.get<std::string>();
      } else if (field == "definition") {
        if (!value.is_object()) {
          return Refusal{path, "must be the ASL definition as a JSON object, got " + value.dump()};
        }
        m.definition = value.dump();
      } else if (field == "type") {
        std::optional<store::StateMachineType> type;
        if (value.is_string()) type = store::ParseStateMachineType(value.get<std::string>());
        if (!type) return Refusal{path, "must be \"STANDARD\" or \"EXPRESS\", got " + value.dump()};
        m.type = *type;
      } else {
        return Refusal{path,
                       "is unknown: a state machine has \"definition_file\" or \"definition\", "
                       "\"type\" and \"role_arn\""};
      }
    }
    if (m.definition.empty() == m.definition_file.empty()) {
      return Refusal{name, "needs exactly one of \"definition_file\" and \"definition\""};
    }
    machines.push_back(std::move(m));
  }
  out = std::move(machines);
  return std::nullopt;
}

Json StateMachinesJson(const std::vector<ConfiguredStateMachine>& machines) {
  Json all = Json::object();
  for (const ConfiguredStateMachine& m : machines) {
    Json j = Json::object();
    if (!m.definition_file.empty()) {
      j["definition_file"] = m.definition_file;
    } else {
      j["definition"] = ParseJson(m.definition).value_or(Json::object());
    }
    j["type"] = store::StateMachineTypeName(m.type);
    if (!m.role_arn.empty()) j["role_arn"] = m.role_arn;
    all[m.name] = std::move(j);
  }
  return all;
}

Option StateMachinesOption() {
  auto explain = [](const Json& j, ServerOptions& o) {
    return ParseStateMachines(j, o.state_machines);
  };
  return Option{Info("state_machines", "", "",
                     "a JSON object of state machine name -> {\"definition_file\": PATH | "
                     "\"definition\": {...}, \"type\"?: STANDARD|EXPRESS, \"role_arn\"?}",
                     "state machines created or updated at start-up"),
                [explain](const Json& j, ServerOptions& o) { return !explain(j, o); },
                [explain](std::string_view t, ServerOptions& o) {
                  StatusOr<Json> parsed = ParseJson(t);
                  return parsed.ok() && !explain(*parsed, o);
                },
                [](const ServerOptions& o) { return StateMachinesJson(o.state_machines); },
                explain};
}

bool IsIpLiteral(const std::string& host) {
  unsigned char buf[16];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

// "HOST:PORT" or "[V6]:PORT"; HOST an IP literal or "localhost".
bool ParseListen(std::string_view text, std::string& host, uint16_t& port) {
  std::string_view h, p;
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find("]:");
    if (close == std::string_view::npos) return false;
    h = text.substr(1, close - 1);
    p = text.substr(close + 2);
    if (h.find(':') == std::string_view::npos) return false;  // brackets are for IPv6 only
  } else {
    size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return false;
    h = text.substr(0, colon);
    p = text.substr(colon + 1);
    if (h.find(':') != std::string_view::npos) return false;  // IPv6 needs brackets
  }
  int64_t n;
  if (h.empty() || !ParseInt(p, n) || n < 0 || n > 65535) return false;
  std::string parsed_host(h);
  if (parsed_host != "localhost" && !IsIpLiteral(parsed_host)) return false;
  host = std::move(parsed_host);
  port = static_cast<uint16_t>(n);
  return true;
}

Option ListenOption() {
  auto set = [](std::string_view t, ServerOptions& o) {
    return ParseListen(t, o.http.host, o.http.port);
  };
  return Option{
      Info("http.listen", "STEPD_LISTEN", "--listen",
           "HOST:PORT (HOST an IP address or localhost; [::1]:PORT for IPv6)",
           "address to listen on; port 0 picks a free port"),
      [set](const Json& j, ServerOptions& o) {
        return j.is_string() && set(j.get<std::string>(), o);
      },
      set,
      [](const ServerOptions& o) { return Json(FormatListenAddress(o.http.host, o.http.port)); }};
}

constexpr int64_t kMaxInt = std::numeric_limits<int>::max();
constexpr int64_t kMaxSize = int64_t{1} << 40;
// A day: a timeout beyond that is a typo (seconds given as milliseconds twice over).
constexpr int64_t kMaxMs = int64_t{24} * 3600 * 1000;

const std::vector<Option>& Options() {
  static const auto* options = new std::vector<Option>{
      ListenOption(),
      IntOption("http.io_threads", "", 1, 256, "threads running the HTTP I/O loop",
                IntField<int>{[](ServerOptions& o) -> int& { return o.http.io_threads; }}),
      IntOption(
          "http.max_connections", "", 1, kMaxInt,
          "connections open at once; one more is answered 503 and closed",
          IntField<size_t>{[](ServerOptions& o) -> size_t& { return o.http.max_connections; }}),
      IntOption(
          "http.header_limit_bytes", "", 1024, kMaxSize, "request line plus headers; beyond it 431",
          IntField<size_t>{[](ServerOptions& o) -> size_t& { return o.http.header_limit_bytes; }}),
      IntOption("http.default_body_limit_bytes", "", 0, kMaxSize,
                "request body limit for routes without their own; beyond it 413",
                IntField<size_t>{
                    [](ServerOptions& o) -> size_t& { return o.http.default_body_limit_bytes; }}),
      IntOption("http.read_timeout_ms", "", 1, kMaxMs,
                "a whole request must arrive within this time",
                MsField{[](ServerOptions& o) -> std::chrono::milliseconds& {
                  return o.http.read_timeout;
                }}),
      IntOption("http.idle_timeout_ms", "", 1, kMaxMs,
                "an idle keep-alive connection is closed after this long",
                MsField{[](ServerOptions& o) -> std::chrono::milliseconds& {
                  return o.http.idle_timeout;
                }}),
      IntOption("http.shutdown_grace_ms", "", 0, kMaxMs,
                "on shutdown, how long in-flight requests may take to finish",
                MsField{[](ServerOptions& o) -> std::chrono::milliseconds& {
                  return o.http.shutdown_grace;
                }}),
      StringOption("http.temp_dir", "", "",
                   "directory for uploads streamed to files; empty: the system temp directory",
                   [](ServerOptions& o) -> std::string& { return o.http.temp_dir; }),
      StringOption("http.tls_cert_file", "", "",
                   "PEM certificate chain; with tls_key_file the listener speaks HTTPS only",
                   [](ServerOptions& o) -> std::string& { return o.http.tls_cert_file; }),
      StringOption("http.tls_key_file", "", "", "PEM private key for tls_cert_file",
                   [](ServerOptions& o) -> std::string& { return o.http.tls_key_file; }),
      StringOption("store.path", "STEPD_DB", "--db",
                   "SQLite database file; its directory is created if missing",
                   [](ServerOptions& o) -> std::string& { return o.store.path; }),
      [] {
        Option url = StringOption(
            "store.url", "", "--store-url",
            "PostgreSQL instead of the SQLite file: a libpq URL "
            "(postgres://user:password@host:port/database); several stepd nodes may share the "
            "database. Shown with its password redacted",
            [](ServerOptions& o) -> std::string& { return o.store.url; });
        url.to_json = [](const ServerOptions& o) {
          return Json(store::RedactStoreUrl(o.store.url));
        };
        return url;
      }(),
      StringOption("cluster.node_id", "", "--node-id",
                   "this node's id among the stepd nodes sharing a PostgreSQL database (unique "
                   "per node); empty: the host name and a random suffix, new at every start",
                   [](ServerOptions& o) -> std::string& { return o.store.node_id; }),
      IntOption("cluster.heartbeat_interval_ms", "", 1, kMaxMs,
                "several nodes: how often this node renews its heartbeat (well under lease_ms)",
                IntField<int>{[](ServerOptions& o) -> int& {
                  return o.runtime.cluster.heartbeat_interval_ms;
                }}),
      IntOption("cluster.lease_ms", "", 1, kMaxMs,
                "several nodes: a node whose heartbeat is older than this is dead and the others "
                "take its executions over",
                IntField<int>{[](ServerOptions& o) -> int& { return o.runtime.cluster.lease_ms; }}),
      IntOption("cluster.claim_interval_ms", "", 1, kMaxMs,
                "several nodes: how often a node looks for dead nodes' executions",
                IntField<int>{
                    [](ServerOptions& o) -> int& { return o.runtime.cluster.claim_interval_ms; }}),
      IntOption("cluster.claim_batch", "", 1, 100000,
                "several nodes: most executions taken over in one claim",
                IntField<int>{[](ServerOptions& o) -> int& { return o.runtime.cluster.claim_batch; }}),
      IntOption("cluster.poll_interval_ms", "", 1, kMaxMs,
                "several nodes: how often waiting polls and waits for another node's execution "
                "read the database",
                IntField<int>{
                    [](ServerOptions& o) -> int& { return o.runtime.cluster.poll_interval_ms; }}),
      IntOption("cluster.idle_check_interval_ms", "", 1, kMaxMs,
                "several nodes: how often an execution held here without committing is checked "
                "for having moved to another node",
                IntField<int>{[](ServerOptions& o) -> int& {
                  return o.runtime.cluster.idle_check_interval_ms;
                }}),
      IntOption("store.busy_timeout_ms", "", 0, kMaxMs,
                "how long to wait for a lock held by another process",
                IntField<int>{[](ServerOptions& o) -> int& { return o.store.busy_timeout_ms; }}),
      IntOption("store.reader_connections", "", 1, 256,
                "read-only connections for concurrent reads",
                IntField<int>{[](ServerOptions& o) -> int& { return o.store.reader_connections; }}),
      EnumOption<store::SyncMode>(
          "store.synchronous", "", "",
          "full: commits survive power loss (fsync per commit); normal: survive a process crash",
          {{"full", store::SyncMode::kFull}, {"normal", store::SyncMode::kNormal}},
          [](ServerOptions& o) -> store::SyncMode& { return o.store.synchronous; }),
      IntOption(
          "store.statement_cache_size", "", 1, 100000, "prepared statements kept per connection",
          IntField<int>{[](ServerOptions& o) -> int& { return o.store.statement_cache_size; }}),
      IntOption(
          "store.wal_limit_bytes", "", 65536, kMaxSize,
          "size the write-ahead log may reach before it is made to start over (and its "
          "file is cut back to)",
          IntField<int64_t>{[](ServerOptions& o) -> int64_t& { return o.store.wal_limit_bytes; }}),
      IntOption("runtime.workers", "", 0, 1024,
                "threads stepping executions; 0: one per hardware thread (at least 2)",
                IntField<int>{[](ServerOptions& o) -> int& { return o.runtime.workers; }}),
      IntOption("runtime.ready_queue_capacity", "", 1, kMaxInt,
                "executions waiting for a worker; a start beyond it is refused as overloaded",
                IntField<size_t>{
                    [](ServerOptions& o) -> size_t& { return o.runtime.ready_queue_capacity; }}),
      IntOption("runtime.slice_max_steps", "", 1, kMaxInt,
                "steps a worker runs of one execution before it takes the next one",
                IntField<int>{[](ServerOptions& o) -> int& { return o.runtime.slice_max_steps; }}),
      IntOption("runtime.slice_max_time_ms", "", 1, kMaxMs,
                "time a worker spends on one execution before it takes the next one",
                MsField{[](ServerOptions& o) -> std::chrono::milliseconds& {
                  return o.runtime.slice_max_time;
                }}),
      IntOption(
          "runtime.history_limit", "", 0, std::numeric_limits<int64_t>::max(),
          "most history events of one execution (AWS: 25000); 0: no limit",
          IntField<int64_t>{[](ServerOptions& o) -> int64_t& { return o.runtime.history_limit; }}),
      IntOption("runtime.max_payload_bytes", "", 0, kMaxSize,
                "largest execution input and state input/output (AWS: 262144); 0: no limit",
                IntField<size_t>{
                    [](ServerOptions& o) -> size_t& { return o.runtime.max_payload_bytes; }}),
      IntOption("runtime.commit_max_groups", "", 1, 100000,
                "execution commits written in one database transaction (group commit)",
                IntField<size_t>{
                    [](ServerOptions& o) -> size_t& { return o.runtime.commit_max_groups; }}),
      IntOption("runtime.commit_retries", "", 0, 100,
                "retries of a failed commit before its steps are redone from the last durable one",
                IntField<int>{[](ServerOptions& o) -> int& { return o.runtime.commit_retries; }}),
      IntOption("runtime.commit_retry_backoff_ms", "", 1, kMaxMs,
                "first pause before retrying a failed commit (doubles each time)",
                MsField{[](ServerOptions& o) -> std::chrono::milliseconds& {
                  return o.runtime.commit_retry_backoff;
                }}),
      IntOption("runtime.evict_parked_after_ms", "", 0, kMaxMs,
                "an execution parked until later than this leaves memory until its time",
                MsField{[](ServerOptions& o) -> std::chrono::milliseconds& {
                  return o.runtime.evict_parked_after;
                }}),
      PatternOption("api.region", "a region name (lower-case letters, digits and -)",
                    "region in the ARNs stepd makes (arn:aws:states:REGION:...)", IsRegion,
                    [](ServerOptions& o) -> std::string& { return o.api.region; }),
      PatternOption("api.account_id", "12 digits", "account in the ARNs stepd makes", IsAccountId,
                    [](ServerOptions& o) -> std::string& { return o.api.account_id; }),
      IntOption("api.threads", "", 0, 256,
                "threads running API requests that read or write the database (0: one per core, "
                "at least 2)",
                IntField<int>{[](ServerOptions& o) -> int& { return o.api.threads; }}),
      IntOption("api.queue_capacity", "", 1, kMaxInt,
                "API requests waiting for a thread; one more is answered ThrottlingException",
                IntField<size_t>{[](ServerOptions& o) -> size_t& { return o.api.queue_capacity; }}),
      IntOption("outbound.connect_timeout_ms", "", 1, kMaxMs,
                "resolving, connecting and the TLS handshake of an outbound request",
                MsField{[](ServerOptions& o) -> std::chrono::milliseconds& {
                  return o.outbound.connect_timeout;
                }}),
      IntOption("outbound.timeout_ms", "", 1, kMaxMs,
                "a whole outbound request (AWS: 60000); beyond it States.Http.Socket",
                MsField{[](ServerOptions& o) -> std::chrono::milliseconds& {
                  return o.outbound.timeout;
                }}),
      IntOption("outbound.max_response_bytes", "", 1, kMaxSize,
                "largest outbound response body (AWS: 262144)",
                IntField<size_t>{
                    [](ServerOptions& o) -> size_t& { return o.outbound.max_response_bytes; }}),
      IntOption("outbound.max_redirects", "", 0, 20,
                "redirects an outbound request follows; 0: a 3xx is the answer",
                IntField<int>{[](ServerOptions& o) -> int& { return o.outbound.max_redirects; }}),
      StringOption("outbound.ca_file", "", "",
                   "PEM file of CA certificates trusted besides the system store",
                   [](ServerOptions& o) -> std::string& { return o.outbound.ca_file; }),
      HostListOption("outbound.allow_hosts",
                     "hosts outbound requests may reach; empty: every host not refused",
                     [](ServerOptions& o) -> std::vector<std::string>& {
                       return o.outbound.policy.allow_hosts;
                     }),
      HostListOption("outbound.deny_hosts", "hosts and addresses outbound requests never reach",
                     [](ServerOptions& o) -> std::vector<std::string>& {
                       return o.outbound.policy.deny_hosts;
                     }),
      BoolOption("outbound.allow_link_local", "", "",
                 "let outbound requests reach link-local and cloud metadata addresses",
                 [](ServerOptions& o) -> bool& { return o.outbound.policy.allow_link_local; }),
      EnumOption<http::PlainHttp>(
          "outbound.plain_http", "", "", "where plain http:// may go: never, loopback or always",
          {{"never", http::PlainHttp::kNever},
           {"loopback", http::PlainHttp::kLoopback},
           {"always", http::PlainHttp::kAlways}},
          [](ServerOptions& o) -> http::PlainHttp& { return o.outbound.policy.plain_http; }),
      FunctionsOption(),
      StateMachinesOption(),
      SchedulesOption(),
      AccessKeysOption(),
      EnumOption<api::Role>("auth.default_role", "", "",
                            "role of an authenticated principal that no binding matches",
                            {{"viewer", api::Role::kViewer},
                             {"trigger", api::Role::kTrigger},
                             {"operator", api::Role::kOperator},
                             {"admin", api::Role::kAdmin}},
                            [](ServerOptions& o) -> api::Role& { return o.auth.default_role; }),
      BindingsOption(),
      LookerTokensOption(),
      WithFlag(PatternOption("auth.oidc.issuer", "an https:// or http:// URL (empty: OIDC off)",
                             "the exact \"iss\" of accepted OIDC tokens; setting it turns OIDC on",
                             [](std::string_view t) {
                               return t.empty() || t.starts_with("https://") ||
                                      t.starts_with("http://");
                             },
                             [](ServerOptions& o) -> std::string& { return o.auth.oidc.issuer; }),
               "--oidc-issuer"),
      StringListOption("auth.oidc.audience", "--oidc-audience",
                       "a JSON array of strings (elsewhere also comma-separated)",
                       "accepted \"aud\" values; a token must name one (required with an issuer)",
                       NonEmpty,
                       [](ServerOptions& o) -> std::vector<std::string>& {
                         return o.auth.oidc.audiences;
                       }),
      StringOption("auth.oidc.jwks_file", "", "--oidc-jwks-file",
                   "a JWKS file with the issuer's signing keys (re-read when it changes)",
                   [](ServerOptions& o) -> std::string& { return o.auth.oidc.jwks_file; }),
      StringOption("auth.oidc.jwks_uri", "", "--oidc-jwks-uri",
                   "the issuer's JWKS URL; neither this nor jwks_file: the issuer's discovery "
                   "document names it",
                   [](ServerOptions& o) -> std::string& { return o.auth.oidc.jwks_uri; }),
      StringListOption("auth.oidc.algorithms", "--oidc-algorithms",
                       "a JSON array of RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, "
                       "EdDSA (elsewhere also comma-separated)",
                       "signature algorithms accepted; empty: all of these (never none or HMAC)",
                       IsJwtAlgorithm,
                       [](ServerOptions& o) -> std::vector<std::string>& {
                         return o.auth.oidc.algorithms;
                       }),
      WithFlag(IntOption("auth.oidc.clock_skew", "", 0, 3600,
                         "seconds of clock difference allowed for exp, nbf and iat",
                         SecondsField{[](ServerOptions& o) -> std::chrono::seconds& {
                           return o.auth.oidc.clock_skew;
                         }}),
               "--oidc-clock-skew"),
      StringOption("auth.oidc.header", "", "",
                   "a header carrying the JWT itself (X-Goog-IAP-JWT-Assertion) besides "
                   "Authorization: Bearer",
                   [](ServerOptions& o) -> std::string& { return o.auth.oidc.header; }),
      PatternOption("auth.oidc.groups_claim", "a claim name or dotted path",
                    "where the groups bindings match are in the token (\"realm_access.roles\")",
                    IsClaimPath,
                    [](ServerOptions& o) -> std::string& { return o.auth.oidc.groups_claim; }),
      PatternOption("auth.oidc.email_claim", "a claim name or dotted path",
                    "where the email bindings match is in the token", IsClaimPath,
                    [](ServerOptions& o) -> std::string& { return o.auth.oidc.email_claim; }),
      StringListOption("auth.oidc.required_claims", "",
                       "a JSON array of claim names (elsewhere also comma-separated)",
                       "claims a token must carry besides exp, iss and aud", NonEmpty,
                       [](ServerOptions& o) -> std::vector<std::string>& {
                         return o.auth.oidc.required_claims;
                       }),
      IntOption("auth.oidc.jwks_refresh_seconds", "", 10, 86400 * 7,
                "how old the signing keys may get before they are fetched again",
                SecondsField{[](ServerOptions& o) -> std::chrono::seconds& {
                  return o.auth.oidc.jwks_refresh_interval;
                }}),
      IntOption("auth.oidc.unknown_kid_refresh_seconds", "", 1, 86400,
                "a token signed with an unknown key refetches the keys at most this often",
                SecondsField{[](ServerOptions& o) -> std::chrono::seconds& {
                  return o.auth.oidc.unknown_kid_min_interval;
                }}),
      IntOption("auth.oidc.max_token_bytes", "", 256, 1 << 20, "largest bearer token accepted",
                IntField<size_t>{
                    [](ServerOptions& o) -> size_t& { return o.auth.oidc.max_token_bytes; }}),
      IntOption("auth.sigv4_max_skew_seconds", "", 1, 86400,
                "how far a SigV4 signature's X-Amz-Date may be from the server's clock",
                SecondsField{[](ServerOptions& o) -> std::chrono::seconds& {
                  return o.auth.sigv4_max_skew;
                }}),
      StringOption("audit.key_file", "", "--key-file",
                   "file with the audit chain's HMAC key; empty: audit.key beside the database "
                   "(created on first start). STEPD_AUDIT_KEY, when set, is the key itself",
                   [](ServerOptions& o) -> std::string& { return o.audit.key_file; }),
      IntOption("audit.head_log_interval_ms", "", 1000, kMaxMs,
                "how often the audit chain's head is written to the log",
                IntField<int64_t>{
                    [](ServerOptions& o) -> int64_t& { return o.audit.head_log_interval_ms; }}),
      StringOption("secrets.key_file", "", "--secrets-key-file",
                   "file with the key connection secrets are encrypted under (32 bytes, base64 "
                   "or hex); empty: secrets.key beside the database (created on first start). "
                   "STEPD_SECRETS_KEY, when set, is the key itself",
                   [](ServerOptions& o) -> std::string& { return o.secrets.key_file; }),
      EnumOption<LogFormat>("log.format", "", "--log-format",
                            "text, or json: one JSON object per line",
                            {{"text", LogFormat::kText}, {"json", LogFormat::kJson}},
                            [](ServerOptions& o) -> LogFormat& { return o.log.format; }),
      EnumOption<LogLevel>("log.level", "", "--log-level", "records below this level are dropped",
                           {{"trace", LogLevel::kTrace},
                            {"debug", LogLevel::kDebug},
                            {"info", LogLevel::kInfo},
                            {"warn", LogLevel::kWarn},
                            {"error", LogLevel::kError},
                            {"critical", LogLevel::kCritical},
                            {"off", LogLevel::kOff}},
                           [](ServerOptions& o) -> LogLevel& { return o.log.level; }),
      LookerActionsOption(),
      PatternOption("looker.public_url", "an https:// or http:// URL (empty: from the Host header)",
                    "the hub's base URL as Looker reaches it; action URLs are built from it",
                    [](std::string_view t) {
                      return t.empty() || t.starts_with("https://") || t.starts_with("http://");
                    },
                    [](ServerOptions& o) -> std::string& { return o.looker.public_url; }),
      StringOption("looker.label", "", "", "the hub's label in Looker's list of actions",
                   [](ServerOptions& o) -> std::string& { return o.looker.label; }),
      IntOption("looker.max_attachment_bytes", "", 1024, int64_t{4} << 30,
                "largest attachment a delivery may carry or download (decoded)",
                IntField<uint64_t>{
                    [](ServerOptions& o) -> uint64_t& { return o.looker.max_attachment_bytes; }}),
      IntOption("looker.dedup_window_seconds", "", 0, 90 * 86400,
                "a re-delivery (same instance, webhook id, action) within this returns the first "
                "one's execution",
                SecondsField{[](ServerOptions& o) -> std::chrono::seconds& {
                  return o.looker.dedup_window;
                }}),
      IntOption("looker.keepalive_seconds", "", 1, 300,
                "how often a waiting answer sends a newline to keep proxies from closing it",
                SecondsField{[](ServerOptions& o) -> std::chrono::seconds& {
                  return o.looker.keepalive_interval;
                }}),
      IntOption("looker.download_timeout_seconds", "", 1, 86400,
                "a download_url fetch (and a delivery's upload) must finish within this",
                SecondsField{[](ServerOptions& o) -> std::chrono::seconds& {
                  return o.looker.download_timeout;
                }}),
      IntOption("looker.takeover_after_seconds", "", 0, 86400,
                "several nodes: a re-delivery of a delivery another node may still be handling "
                "starts it again only after this; 0: download_timeout_seconds + 120",
                SecondsField{[](ServerOptions& o) -> std::chrono::seconds& {
                  return o.looker.takeover_after;
                }}),
      StringOption("looker.artifact_dir", "", "",
                   "where artifacts are kept (empty: \"artifacts\" beside the database)",
                   [](ServerOptions& o) -> std::string& { return o.looker.artifact_dir; }),
      IntOption("looker.artifact_retention_seconds", "", 1, 3650 * 86400,
                "artifacts are deleted this long after they were stored",
                SecondsField{[](ServerOptions& o) -> std::chrono::seconds& {
                  return o.looker.artifact_retention;
                }}),
      PatternOption("looker.artifact_base_url",
                    "an https:// or http:// URL (empty: http:// and the listen address)",
                    "how workflows reach stepd's API: artifact URLs in inputs start with it",
                    [](std::string_view t) {
                      return t.empty() || t.starts_with("https://") || t.starts_with("http://");
                    },
                    [](ServerOptions& o) -> std::string& { return o.looker.artifact_base_url; }),
      BoolOption("looker.require_proxy_assertion", "", "",
                 "hub requests must also carry the identity-aware proxy's OIDC assertion "
                 "(auth.oidc.header)",
                 [](ServerOptions& o) -> bool& { return o.looker.require_proxy_assertion; }),
      BoolOption("console.enabled", "", "--no-console",
                 "serve the web console at /console/; --no-console turns it off (404 there)",
                 [](ServerOptions& o) -> bool& { return o.console.enabled; }),
      StringOption("console.oidc.client_id", "", "--console-oidc-client-id",
                   "the console's public OAuth client at auth.oidc.issuer (code flow with PKCE, "
                   "redirect URI <stepd origin>/console/); empty: users paste a bearer token",
                   [](ServerOptions& o) -> std::string& { return o.console.oidc_client_id; }),
      WithFlag(
          PatternOption("console.oidc.scopes", "space-separated scopes including openid",
                        "scopes the console asks the issuer for", HasOpenIdScope,
                        [](ServerOptions& o) -> std::string& { return o.console.oidc_scopes; }),
          "--console-oidc-scopes"),
      StringOption("console.oidc.audience", "", "--console-oidc-audience",
                   "sent as audience and resource when the console signs in, for issuers that "
                   "mint access tokens per API; empty: not sent",
                   [](ServerOptions& o) -> std::string& { return o.console.oidc_audience; }),
      EnumOption<std::string>(
          "console.oidc.token", "", "--console-oidc-token",
          "the token the console sends as its bearer: id_token (its aud is the client id, "
          "which auth.oidc.audience must list) or access_token",
          {{"id_token", "id_token"}, {"access_token", "access_token"}},
          [](ServerOptions& o) -> std::string& { return o.console.oidc_token; }),
      StringListOption(
          "console.connect_origins", "",
          "a JSON array of origins, scheme://host[:port] (elsewhere also comma-separated)",
          "origins the console may call besides stepd and the issuer (its CSP connect-src), e.g. "
          "a token endpoint on another host",
          IsOrigin,
          [](ServerOptions& o) -> std::vector<std::string>& { return o.console.connect_origins; }),
      BoolOption("metrics.open", "", "--metrics-open",
                 "serve GET /metrics without a credential even when authentication is "
                 "configured (a scraper on a trusted network); default: a credential with the "
                 "read permission on every state machine",
                 [](ServerOptions& o) -> bool& { return o.metrics.open; }),
      NotificationsOption<runtime::NotificationSink>(
          "notifications.sinks",
          "a JSON object of sinks by name: {\"type\": \"slack\"|\"pagerduty\"|\"webhook\", ...}",
          "where notifications go (Slack webhook, PagerDuty Events v2, signed webhook); URLs and "
          "keys are secrets",
          ExplainNotificationSinks,
          [](ServerOptions& o) -> std::vector<runtime::NotificationSink>& {
            return o.notifications.sinks;
          },
          runtime::RedactedSinkJson),
      NotificationsOption<runtime::NotificationRule>(
          "notifications.rules",
          "a JSON object of rules by name: {\"state_machines\": [patterns], \"outcomes\": "
          "[...], \"sink\": NAME}",
          "which executions' outcomes (FAILED, TIMED_OUT, ABORTED, SUCCEEDED, REDRIVEN) go to "
          "which sink",
          ExplainNotificationRules,
          [](ServerOptions& o) -> std::vector<runtime::NotificationRule>& {
            return o.notifications.rules;
          },
          runtime::RuleJson),
      PatternOption("notifications.console_url",
                    "an https:// or http:// URL (empty: messages carry no console link)",
                    "stepd's public base URL: messages link to the execution in its console",
                    [](std::string_view t) {
                      return t.empty() || t.starts_with("https://") || t.starts_with("http://");
                    },
                    [](ServerOptions& o) -> std::string& { return o.notifications.console_url; }),
      IntOption("notifications.max_attempts", "", 1, 100,
                "delivery attempts before a notification becomes a dead letter",
                IntField<int>{
                    [](ServerOptions& o) -> int& { return o.notifications.max_attempts; }}),
      IntOption("notifications.initial_backoff_ms", "", 1, 3600000,
                "wait before the second attempt; doubles with each attempt (with jitter)",
                MsField{[](ServerOptions& o) -> std::chrono::milliseconds& {
                  return o.notifications.initial_backoff;
                }}),
      IntOption("notifications.max_backoff_ms", "", 1, 86400000,
                "the longest wait between two attempts",
                MsField{[](ServerOptions& o) -> std::chrono::milliseconds& {
                  return o.notifications.max_backoff;
                }}),
      IntOption("notifications.poll_interval_ms", "", 10, 60000,
                "how often the audit chain and the outbox are looked at",
                MsField{[](ServerOptions& o) -> std::chrono::milliseconds& {
                  return o.notifications.poll_interval;
                }}),
      IntOption("notifications.request_timeout_ms", "", 100, 600000,
                "a delivery must be answered within this",
                MsField{[](ServerOptions& o) -> std::chrono::milliseconds& {
                  return o.notifications.request_timeout;
                }}),
      IntOption("notifications.lease_ms", "", 1000, kMaxMs,
                "several nodes: one node at a time delivers, holding a lease this long (renewed "
                "every fifth of it)",
                MsField{[](ServerOptions& o) -> std::chrono::milliseconds& {
                  return o.notifications.lease_time;
                }}),
      IntOption("notifications.max_in_flight", "", 1, 1000, "deliveries in flight at once",
                IntField<int>{
                    [](ServerOptions& o) -> int& { return o.notifications.max_in_flight; }}),
      BoolOption("insecure", "", "--insecure",
                 "allow a non-loopback listen address without authentication (callers are admin)",
                 [](ServerOptions& o) -> bool& { return o.insecure; }),
  };
  return *options;
}

const Option* FindByKey(std::string_view key) {
  for (const Option& o : Options()) {
    if (o.info.key == key) return &o;
  }
  return nullptr;
}

const Option* FindByEnv(std::string_view env) {
  for (const Option& o : Options()) {
    if (o.info.env == env) return &o;
  }
  return nullptr;
}

bool IsSection(std::string_view path) {
  std::string prefix = std::string(path) + ".";
  for (const Option& o : Options()) {
    if (o.info.key.compare(0, prefix.size(), prefix) == 0) return true;
  }
  return false;
}

std::string Quoted(std::string_view text) { return Json(std::string(text)).dump(); }

Status ApplyFile(const ConfigSource& file, const Json& node, const std::string& prefix,
                 ServerOptions& options) {
  for (const auto& [name, value] : node.items()) {
    std::string path = prefix.empty() ? name : prefix + "." + name;
    if (const Option* option = FindByKey(path)) {
      if (option->explain) {
        if (std::optional<Refusal> refusal = option->explain(value, options)) {
          std::string where = refusal->path.empty()          ? path
                              : refusal->path.front() == '[' ? path + refusal->path
                                                             : path + "." + refusal->path;
          return InvalidArgumentError("option " + Quoted(where) + " in " + file.path + " " +
                                      refusal->reason);
        }
      } else if (!option->from_json(value, options)) {
        return InvalidArgumentError("option " + Quoted(path) + " in " + file.path + " must be " +
                                    option->info.expected + ", got " + value.dump());
      }
    } else if (IsSection(path)) {
      if (!value.is_object()) {
        return InvalidArgumentError("option " + Quoted(path) + " in " + file.path +
                                    " must be an object, got " + value.dump());
      }
      STEPD_RETURN_IF_ERROR(ApplyFile(file, value, path, options));
    } else {
      return InvalidArgumentError("unknown option " + Quoted(path) + " in " + file.path);
    }
  }
  return Status::OK();
}

Status Validate(const ServerOptions& o) {
  for (const runtime::NotificationRule& rule : o.notifications.rules) {
    if (std::none_of(o.notifications.sinks.begin(), o.notifications.sinks.end(),
                     [&](const runtime::NotificationSink& s) { return s.name == rule.sink; })) {
      return InvalidArgumentError("notifications.rules." + rule.name + ": unknown sink '" +
                                  rule.sink + "' (notifications.sinks names " +
                                  std::to_string(o.notifications.sinks.size()) + " sink(s))");
    }
  }
  if (o.store.path.empty() && o.store.url.empty()) {
    return InvalidArgumentError("store.path (--db) must not be empty");
  }
  if (!o.store.node_id.empty() && o.store.url.empty()) {
    return InvalidArgumentError(
        "cluster.node_id is set but store.url is not: several nodes share a PostgreSQL "
        "database, not the SQLite file");
  }
  if (o.http.tls_cert_file.empty() != o.http.tls_key_file.empty()) {
    return InvalidArgumentError("http.tls_cert_file and http.tls_key_file must be given together");
  }
  if (o.auth.oidc.configured() && o.auth.oidc.audiences.empty()) {
    return InvalidArgumentError(
        "auth.oidc.audience (--oidc-audience) is required with auth.oidc.issuer: a token meant "
        "for another service of the same issuer must not be accepted");
  }
  if (!o.auth.oidc.configured() && (!o.auth.oidc.jwks_file.empty() ||
                                    !o.auth.oidc.jwks_uri.empty() ||
                                    !o.auth.oidc.audiences.empty())) {
    return InvalidArgumentError(
        "auth.oidc.issuer (--oidc-issuer) is required with the other auth.oidc options");
  }
  if (!o.auth.oidc.jwks_file.empty() && !o.auth.oidc.jwks_uri.empty()) {
    return InvalidArgumentError(
        "give auth.oidc.jwks_file or auth.oidc.jwks_uri, not both");
  }
  if (o.looker.require_proxy_assertion &&
      (!o.auth.oidc.configured() || o.auth.oidc.header.empty())) {
    return InvalidArgumentError(
        "looker.require_proxy_assertion needs auth.oidc.issuer and auth.oidc.header (the header "
        "the proxy puts its assertion in)");
  }
  if (o.console.enabled && !o.console.oidc_client_id.empty()) {
    if (!o.auth.oidc.configured()) {
      return InvalidArgumentError(
          "console.oidc.client_id (--console-oidc-client-id) needs auth.oidc.issuer "
          "(--oidc-issuer): the console signs in there");
    }
    const std::vector<std::string>& audiences = o.auth.oidc.audiences;
    if (o.console.oidc_token == "id_token" &&
        std::find(audiences.begin(), audiences.end(), o.console.oidc_client_id) ==
            audiences.end()) {
      return InvalidArgumentError(
          "auth.oidc.audience (--oidc-audience) must list the console's client id " +
          Quoted(o.console.oidc_client_id) +
          ": the console sends its id_token, whose aud is that id (or set console.oidc.token "
          "to access_token)");
    }
  }
  if (!o.insecure && !o.auth.configured() && !IsLoopbackHost(o.http.host)) {
    return InvalidArgumentError(
        "refusing to listen on " + FormatListenAddress(o.http.host, o.http.port) +
        ": no authentication is configured, so only loopback addresses are allowed; pass "
        "--insecure (or STEPD_INSECURE=true) to accept every caller as admin");
  }
  return Status::OK();
}

}  // namespace

const std::vector<OptionInfo>& ServerOptionTable() {
  static const auto* table = [] {
    auto* t = new std::vector<OptionInfo>;
    for (const Option& o : Options()) t->push_back(o.info);
    return t;
  }();
  return *table;
}

StatusOr<ResolvedOptions> ResolveServerOptions(const CommandLineValues& flags, const EnvMap& env,
                                               const ConfigSource* file) {
  ResolvedOptions resolved;
  ServerOptions& options = resolved.options;

  if (file != nullptr) {
    resolved.config_file = file->path;
    auto parsed = ParseJson(file->text, /*allow_comments=*/true);
    if (!parsed.ok()) return parsed.status().WithContext("config file " + file->path);
    if (!parsed->is_object()) {
      return InvalidArgumentError("config file " + file->path + " must hold a JSON object");
    }
    STEPD_RETURN_IF_ERROR(ApplyFile(*file, *parsed, "", options));
  }

  for (const auto& [name, value] : env) {
    if (name.rfind("STEPD_", 0) != 0 || name == kConfigEnv || name == kAuditKeyEnv ||
        name == kSecretsKeyEnv) {
      continue;
    }
    const Option* option = FindByEnv(name);
    if (option == nullptr) {
      resolved.warnings.push_back("unknown environment variable " + name + " ignored");
      continue;
    }
    if (option->explain) {
      if (StatusOr<Json> parsed = ParseJson(value); parsed.ok()) {
        if (std::optional<Refusal> refusal = option->explain(*parsed, options)) {
          std::string where = refusal->path.empty()
                                  ? name
                                  : name + " (" + option->info.key +
                                        (refusal->path.front() == '[' ? "" : ".") +
                                        refusal->path + ")";
          return InvalidArgumentError(where + " " + refusal->reason);
        }
        continue;
      }
    }
    if (!option->from_text(value, options)) {
      return InvalidArgumentError(name + " must be " + option->info.expected + ", got " +
                                  Quoted(value));
    }
  }

  for (const auto& [key, value] : flags.options) {
    const Option* option = FindByKey(key);
    if (option == nullptr) return InternalError("no option named " + Quoted(key));
    if (!option->from_text(value, options)) {
      std::string name = option->info.flag.empty() ? key : option->info.flag;
      return InvalidArgumentError(name + " must be " + option->info.expected + ", got " +
                                  Quoted(value));
    }
  }

  STEPD_RETURN_IF_ERROR(Validate(options));
  return resolved;
}

StatusOr<ResolvedOptions> LoadServerOptions(const CommandLineValues& flags, const EnvMap& env) {
  std::optional<std::string> path = flags.config_file;
  if (!path) {
    auto it = env.find(std::string(kConfigEnv));
    if (it != env.end() && !it->second.empty()) path = it->second;
  }
  if (!path) return ResolveServerOptions(flags, env, nullptr);

  std::ifstream in(*path, std::ios::binary);
  if (!in) {
    return InvalidArgumentError("cannot read config file " + *path + ": " + std::strerror(errno));
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return InvalidArgumentError("cannot read config file " + *path);
  ConfigSource source{*path, text.str()};
  return ResolveServerOptions(flags, env, &source);
}

EnvMap ProcessEnvironment() {
  EnvMap env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view entry(*e);
    if (entry.rfind("STEPD_", 0) != 0) continue;
    size_t eq = entry.find('=');
    if (eq == std::string_view::npos) continue;
    env.emplace(std::string(entry.substr(0, eq)), std::string(entry.substr(eq + 1)));
  }
  return env;
}

Json ServerOptionsToJson(const ServerOptions& options) {
  Json out = Json::object();
  for (const Option& o : Options()) {
    Json* node = &out;
    std::string_view key = o.info.key;
    for (size_t dot; (dot = key.find('.')) != std::string_view::npos; key.remove_prefix(dot + 1)) {
      node = &(*node)[std::string(key.substr(0, dot))];
    }
    (*node)[std::string(key)] = o.to_json(options);
  }
  return out;
}

std::string FormatListenAddress(const std::string& host, uint16_t port) {
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

bool IsLoopbackHost(const std::string& host) {
  if (host == "localhost") return true;
  unsigned char v4[4];
  if (inet_pton(AF_INET, host.c_str(), v4) == 1) return v4[0] == 127;
  unsigned char v6[16];
  if (inet_pton(AF_INET6, host.c_str(), v6) == 1) {
    static constexpr unsigned char kLoopback[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    static constexpr unsigned char kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(v6, kLoopback, 16) == 0) return true;
    return std::memcmp(v6, kMappedPrefix, 12) == 0 && v6[12] == 127;
  }
  return false;
}

std::string_view LogFormatName(LogFormat format) {
  return format == LogFormat::kJson ? "json" : "text";
}

std::string_view LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kTrace:
      return "trace";
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      return "error";
    case LogLevel::kCritical:
      return "critical";
    case LogLevel::kOff:
      return "off";
  }
  return "info";
}

}  // namespace stepd::server
