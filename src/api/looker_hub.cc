#include "stepd/api/looker_hub.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <limits>
#include <list>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "aws_internal.h"
#include "stepd/base/metrics.h"
#include "stepd/api/looker_envelope.h"
#include "stepd/asl/context_object.h"
#include "stepd/base/crypto.h"
#include "stepd/base/thread_pool.h"

namespace stepd::api {
namespace {

// AWS's payload limit: an input larger than this cannot start an execution,
// so attachments that would make it larger become artifacts.
constexpr size_t kMaxInputBytes = 262144;
// Threads reading deliveries and recording them: most of their time is spent
// waiting for the disk (a delivery's record is durable before its start), and
// the store commits the records of waiting threads together, so more threads
// mean larger group commits.
constexpr size_t kPoolThreads = 32;
// Bodies of list, definition and form requests.
constexpr size_t kSmallBodyLimit = 1024 * 1024;
const std::string kInvalidAuthorization = "Invalid 'Authorization' header.";

http::Response HubError(int status, const std::string& message) {
  return http::Response::Json(status, Json{{"success", false}, {"error", message}}.dump(
                                          -1, ' ', false, Json::error_handler_t::replace));
}

// The hub's answer when stepd cannot take the request now (CONTRACTS.md:
// 503); Looker's scheduler retries a failed delivery.
http::Response Overloaded(const std::string& message = "stepd is overloaded; try again later") {
  http::Response response = HubError(503, message);
  response.headers.Set("Retry-After", "1");
  return response;
}

std::string MachineNameOf(const LookerAction& action) {
  const std::string& ref = action.state_machine;
  if (ref.rfind("arn:", 0) != 0) return ref;
  size_t at = ref.find(":stateMachine:");
  if (at == std::string::npos) return ref;
  std::string name = ref.substr(at + 14);
  return name.substr(0, name.find(':'));
}

// A value Looker may send as a number or a string: its text; "" for null.
std::string LooseText(const Json* value) {
  if (value == nullptr || value->is_null()) return {};
  if (value->is_string()) return value->get<std::string>();
  if (value->is_number_integer() || value->is_number_unsigned()) return value->dump();
  if (value->is_number_float()) {
    double d = value->get<double>();
    if (d == static_cast<double>(static_cast<int64_t>(d))) {
      return std::to_string(static_cast<int64_t>(d));
    }
    return value->dump();
  }
  if (value->is_boolean()) return value->get<bool>() ? "true" : "false";
  return value->dump();
}

const Json* Member(const Json& object, std::string_view name) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(name);
  return it == object.end() ? nullptr : &*it;
}

// "7.3.0" from "LookerOutgoingWebhook/7.3.0"; "" for other agents.
std::string LookerVersionOf(const http::Request& request) {
  auto agent = request.headers.Get("User-Agent");
  if (!agent) return {};
  constexpr std::string_view kPrefix = "LookerOutgoingWebhook/";
  size_t at = agent->find(kPrefix);
  if (at == std::string_view::npos) return {};
  std::string_view version = agent->substr(at + kPrefix.size());
  version = version.substr(0, version.find(' '));
  return std::string(version.substr(0, 64));
}

std::string HeaderText(const http::Request& request, std::string_view name, size_t max = 256) {
  auto value = request.headers.Get(name);
  if (!value) return {};
  return std::string(value->substr(0, max));
}

bool EndsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

// A file name safe in a Content-Disposition header: letters, digits and
// "-_. " kept, anything else '_'.
std::string SafeFileName(std::string_view name) {
  std::string out;
  for (char c : name.substr(0, 120)) {
    unsigned char u = static_cast<unsigned char>(c);
    out += (std::isalnum(u) || c == '-' || c == '_' || c == '.' || c == ' ') ? c : '_';
  }
  while (!out.empty() && (out.front() == '.' || out.front() == ' ')) out.erase(out.begin());
  return out.empty() ? "attachment" : out;
}

// `text` parsed when it is a JSON array; otherwise an empty array.
Json JsonArrayOrEmpty(const std::string& text) {
  StatusOr<Json> parsed = ParseJson(text);
  return parsed.ok() && parsed->is_array() ? std::move(parsed).value() : Json::array();
}

std::string NewId(std::string_view prefix) { return std::string(prefix) + http::NewRequestId(); }

}  // namespace

Json LookerActionDefinition(const LookerAction& action, std::string_view base_url) {
  const std::string root = std::string(base_url) + "/looker/actions/" + action.name;
  Json params = Json::array();
  for (const LookerParam& p : action.params) {
    Json j = {{"name", p.name},
              {"label", p.label.empty() ? p.name : p.label},
              {"required", p.required},
              {"sensitive", p.sensitive}};
    if (!p.description.empty()) j["description"] = p.description;
    if (!p.user_attribute_name.empty()) j["user_attribute_name"] = p.user_attribute_name;
    if (p.per_user) j["per_user"] = true;
    params.push_back(std::move(j));
  }
  Json definition = {
      {"name", action.name},
      {"label", action.label.empty() ? action.name : action.label},
      {"description", action.description},
      {"url", root + "/execute"},
      {"form_url", action.form.empty() ? Json() : Json(root + "/form")},
      {"icon_data_uri", action.icon_data_uri.empty() ? Json() : Json(action.icon_data_uri)},
      {"params", std::move(params)},
      {"required_fields", JsonArrayOrEmpty(action.required_fields_json)},
      {"supported_action_types", action.supported_action_types},
      {"supported_download_settings", action.supported_download_settings},
      {"uses_oauth", false},
      {"delegate_oauth", false},
      {"token_url", ""}};
  if (!action.supported_formats.empty()) definition["supported_formats"] = action.supported_formats;
  if (!action.supported_formattings.empty()) {
    definition["supported_formattings"] = action.supported_formattings;
  }
  if (!action.supported_visualization_formattings.empty()) {
    definition["supported_visualization_formattings"] = action.supported_visualization_formattings;
  }
  return definition;
}

Json LookerActionForm(const LookerAction& action) {
  Json fields = Json::array();
  for (const LookerFormField& f : action.form) {
    Json j = {{"name", f.name}, {"label", f.label.empty() ? f.name : f.label}, {"type", f.type}};
    if (!f.description.empty()) j["description"] = f.description;
    if (!f.default_value.empty()) j["default"] = f.default_value;
    if (f.required) j["required"] = true;
    if (f.interactive) j["interactive"] = true;
    if (!f.options.empty()) {
      Json options = Json::array();
      for (const LookerFormOption& o : f.options) {
        options.push_back({{"name", o.name}, {"label", o.label.empty() ? o.name : o.label}});
      }
      j["options"] = std::move(options);
    }
    if (f.type == "message") j["value"] = f.value;
    fields.push_back(std::move(j));
  }
  return Json{{"fields", std::move(fields)}};
}

class LookerHub::Impl : public std::enable_shared_from_this<Impl> {
 public:
  Impl(const LookerOptions& options, const ApiOptions& api_options,
       const Authenticator* authenticator, std::shared_ptr<spdlog::logger> logger,
       metrics::Registry* metrics)
      : deliveries_(metrics == nullptr
                        ? nullptr
                        : &metrics->AddCounter("stepd_looker_deliveries_total",
                                               "Looker Action Hub deliveries, by action and "
                                               "outcome (started, duplicate, denied, refused, "
                                               "error).",
                                               {"action", "outcome"})),
        options_(options),
        api_options_(api_options),
        authenticator_(authenticator),
        logger_(logger ? std::move(logger) : spdlog::default_logger()),
        pool_(kPoolThreads, 10000) {
    for (const LookerAction& action : options_.actions) actions_[action.name] = &action;
  }

  void AddRoutes(http::Router& router) {
    std::weak_ptr<Impl> weak = weak_from_this();
    auto bind = [weak](void (Impl::*method)(const http::Request&, http::Responder)) {
      return [weak, method](const http::Request& request, http::Responder responder) {
        auto self = weak.lock();
        if (!self) return (void)responder.Send(HubError(503, "stepd is stopping"));
        ((*self).*method)(request, std::move(responder));
      };
    };
    // Over the connection limit: the hub's 503 (CONTRACTS.md), or, for
    // artifacts (a REST path), problem+json.
    auto overloaded = [](const http::Request&) { return Overloaded(); };
    http::RouteOptions small;
    small.body_limit_bytes = kSmallBodyLimit;
    small.overloaded = overloaded;
    http::RouteOptions page;
    page.overloaded = overloaded;
    router.Add("GET", "/looker", bind(&Impl::StatusPage), page);
    router.Add("POST", "/looker", bind(&Impl::List), small);
    router.Add("POST", "/looker/actions/{name}", bind(&Impl::Definition), small);
    router.Add("POST", "/looker/actions/{name}/form", bind(&Impl::Form), small);
    http::RouteOptions execute;
    execute.overloaded = overloaded;
    // Base64 grows data by 4/3, JSON escapes ("\n" line breaks) a little more.
    execute.body_limit_bytes = static_cast<size_t>(options_.max_attachment_bytes / 3 * 4 +
                                                   options_.max_attachment_bytes / 16) +
                               (16u << 20);
    execute.body_to_file = true;
    execute.read_timeout =
        std::chrono::duration_cast<std::chrono::milliseconds>(options_.download_timeout);
    router.Add("POST", "/looker/actions/{name}/execute", bind(&Impl::Execute), execute);
    http::RouteOptions artifact;
    artifact.overloaded = [](const http::Request&) {
      auto r = Problem(503, "Service Unavailable", "stepd is overloaded; try again");
      r.headers.Set("Retry-After", "1");
      return r;
    };
    router.Add("GET", "/v1/artifacts/{id}", bind(&Impl::Artifact), artifact);
    router.Add("HEAD", "/v1/artifacts/{id}", bind(&Impl::Artifact), artifact);
  }

  void Attach(const LookerBackend& backend) {
    backend_ = backend;
    context_.options = &api_options_;
    context_.store = backend.store;
    context_.engine = backend.engine;
    context_.clock = backend.clock;
    context_.log = logger_.get();
    attached_ = true;
    ticker_ = std::thread([this] { Tick(); });
  }

  void Stop() {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
      stopping_ = true;
    }
    cv_.notify_all();
    if (ticker_.joinable()) ticker_.join();
    pool_.Shutdown();
    // Whatever still waits is told the execution goes on.
    std::list<std::shared_ptr<Waiter>> left;
    {
      std::lock_guard lock(mu_);
      left.swap(waiters_);
    }
    for (auto& w : left) FinishWaiter(w, StillRunning(*w, "stepd is stopping"));
  }

  size_t SweepExpired() {
    if (!attached_) return 0;
    const int64_t now = NowMs();
    size_t removed = 0;
    auto expired = backend_.store->ListExpiredArtifacts(now, 500);
    if (expired.ok()) {
      for (const store::ArtifactRecord& a : *expired) {
        if (Status s = backend_.artifacts->Remove(a.id); !s.ok()) {
          logger_->warn("cannot remove artifact file {}: {}", a.id, s.ToString());
          continue;
        }
        if (backend_.store->DeleteArtifact(a.id).ok()) ++removed;
      }
    } else {
      logger_->warn("cannot list expired artifacts: {}", expired.status().ToString());
    }
    // Delivery records outlive the dedup window and the artifacts they name.
    const int64_t keep_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::max(options_.dedup_window, options_.artifact_retention))
                                .count();
    auto deleted = backend_.store->DeleteLookerDeliveriesBefore(now - keep_ms);
    if (!deleted.ok()) {
      logger_->warn("cannot delete old Looker deliveries: {}", deleted.status().ToString());
    }
    if (removed > 0) logger_->info("deleted {} expired artifact(s)", removed);
    return removed;
  }

 private:
  // An answer of a `wait` action in progress.
  struct Waiter {
    http::Stream stream;
    std::string execution_arn;
    std::string execution_name;
    std::string machine_name;
    std::string webhook_id;
    std::string delivery_id;
    std::chrono::steady_clock::time_point next_keepalive;
    std::chrono::steady_clock::time_point deadline;
    int64_t wait_seconds = 0;
    std::atomic<bool> done{false};
  };

  // What one delivery carries through its steps.
  struct Delivery {
    explicit Delivery(http::Responder r) : responder(std::move(r)) {}
    http::Request request;
    http::Responder responder;
    Principal principal;
    Json proxy;  // the proxy assertion's principal, when required
    const LookerAction* action = nullptr;
    std::string id;
    int64_t received_ms = 0;
    std::string instance, webhook_id, looker_version;
    LookerEnvelope envelope;
    std::string machine_arn;  // unqualified
    std::string start_arn;    // with the qualifier, as StartExecution takes it
    std::string execution_name;
    std::string artifact_id;
    Json attachment_json;  // the input's "attachment"
    std::string input;     // the execution input, once built

    ~Delivery() {
      if (!envelope.attachment.file.empty()) std::remove(envelope.attachment.file.c_str());
    }
  };
  using DeliveryPtr = std::shared_ptr<Delivery>;

  int64_t NowMs() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               backend_.clock->Now().time_since_epoch())
        .count();
  }

  std::string BaseUrl(const http::Request& request) const {
    if (!options_.public_url.empty()) {
      std::string url = options_.public_url;
      while (!url.empty() && url.back() == '/') url.pop_back();
      return url;
    }
    return (request.secure ? "https://" : "http://") + HeaderText(request, "Host");
  }

  const LookerAction* FindAction(const http::Request& request) const {
    auto it = actions_.find(std::string(request.PathParam("name")));
    return it == actions_.end() ? nullptr : it->second;
  }

  // Authenticates a hub request and calls `then` with its principal (and
  // the proxy's, when required); answers 503/403 itself.
  void WithPrincipal(
      const http::Request& request, http::Responder responder,
      std::function<void(const http::Request&, http::Responder, Principal, Json)> then) {
    if (!attached_) return (void)responder.Send(HubError(503, "stepd is starting; try again"));
    Authenticator::Result result = authenticator_->AuthenticateLooker(request);
    if (!result.principal) {
      return (void)responder.Send(HubError(403, kInvalidAuthorization));
    }
    Principal principal = std::move(*result.principal);
    if (!options_.require_proxy_assertion) {
      return then(request, std::move(responder), std::move(principal), Json());
    }
    authenticator_->AuthenticateAssertion(
        request, [responder, principal, then](const http::Request& req,
                                              Authenticator::Result proxy) mutable {
          if (!proxy.principal) {
            return (void)responder.Send(
                HubError(403, "Invalid proxy assertion: " + proxy.error->message));
          }
          then(req, std::move(responder), std::move(principal), proxy.principal->AuditJson());
        });
  }

  bool MayStart(const Principal& principal, const LookerAction& action) const {
    return principal.Can(Permission::kStart, MachineNameOf(action));
  }

  std::string NotAllowed(const Principal& principal, const LookerAction& action) const {
    return principal.id + " (roles: " + principal.DescribeGrants() +
           ") may not start state machine '" + MachineNameOf(action) + "' of action '" +
           action.name + "': the start permission is needed";
  }

  // --- list, definition, form ----------------------------------------------

  void StatusPage(const http::Request&, http::Responder responder) {
    std::string html =
        "<!doctype html><html><head><title>stepd Looker Action Hub</title></head><body>"
        "<h1>The stepd Looker Action Hub is operational.</h1><p>" +
        std::to_string(options_.actions.size()) +
        " action(s) configured. Add this URL (with POST) under Looker's Admin &rarr; Actions.</p>"
        "</body></html>";
    responder.Send(http::Response::Text(200, std::move(html), "text/html; charset=utf-8"));
  }

  void List(const http::Request& request, http::Responder responder) {
    WithPrincipal(
        request, std::move(responder),
        [this](const http::Request& req, http::Responder r, Principal principal, Json) {
          Json integrations = Json::array();
          const std::string base = BaseUrl(req);
          for (const LookerAction& action : options_.actions) {
            if (MayStart(principal, action)) {
              integrations.push_back(LookerActionDefinition(action, base));
            }
          }
          r.Send(http::Response::Json(
              200,
              Json{{"integrations", std::move(integrations)}, {"label", options_.label}}.dump(
                  -1, ' ', false, Json::error_handler_t::replace)));
        });
  }

  // WithPrincipal, then the action the path names, which the principal
  // must be allowed to start (404 and 403 answered here).
  void WithAction(
      const http::Request& request, http::Responder responder,
      std::function<void(const http::Request&, http::Responder, const LookerAction&)> then) {
    WithPrincipal(request, std::move(responder),
                  [this, then = std::move(then)](const http::Request& req, http::Responder r,
                                                 Principal principal, Json) {
                    const LookerAction* action = FindAction(req);
                    if (action == nullptr) return NoSuchAction(req, r);
                    if (!MayStart(principal, *action)) {
                      return (void)r.Send(HubError(403, NotAllowed(principal, *action)));
                    }
                    then(req, std::move(r), *action);
                  });
  }

  void Definition(const http::Request& request, http::Responder responder) {
    WithAction(
        request, std::move(responder),
        [this](const http::Request& req, http::Responder r, const LookerAction& action) {
          r.Send(http::Response::Json(200, LookerActionDefinition(action, BaseUrl(req))
                                               .dump(-1, ' ', false,
                                                     Json::error_handler_t::replace)));
        });
  }

  void NoSuchAction(const http::Request& request, const http::Responder& responder) {
    responder.Send(
        HubError(404, "No action found with name " + std::string(request.PathParam("name")) + "."));
  }

  // The first required param the request's `data` lacks, as the reference
  // hub words it; "" when none is missing.
  static std::string MissingSetting(const LookerAction& action, const Json& body) {
    const Json* data = Member(body, "data");
    for (const LookerParam& p : action.params) {
      if (!p.required) continue;
      if (LooseText(data ? Member(*data, p.name) : nullptr).empty()) {
        return "Required setting \"" + (p.label.empty() ? p.name : p.label) +
               "\" not specified in action settings.";
      }
    }
    return {};
  }

  void Form(const http::Request& request, http::Responder responder) {
    WithAction(request, std::move(responder),
               [](const http::Request& req, http::Responder r, const LookerAction& found) {
                 const LookerAction* action = &found;
                 LookerEnvelopeLimits limits;
                 limits.max_envelope_bytes = kSmallBodyLimit;
                 limits.inline_attachment_bytes = kSmallBodyLimit;
                 limits.max_attachment_bytes = kSmallBodyLimit;
                 auto body = ReadLookerEnvelope(req.body, limits);
                 if (!body.ok()) {
                   return (void)r.Send(HubError(400, std::string(body.status().message())));
                 }
                 if (action->form.empty()) {
                   return (void)r.Send(HubError(404, "No form defined for action."));
                 }
                 if (std::string missing = MissingSetting(*action, body->body); !missing.empty()) {
                   return (void)r.Send(http::Response::Json(200, Json{{"error", missing}}.dump()));
                 }
                 r.Send(http::Response::Json(200, LookerActionForm(*action).dump()));
               });
  }

  // --- execute -----------------------------------------------------------------

  void Execute(const http::Request& request, http::Responder responder) {
    WithPrincipal(
        request, std::move(responder),
        [this](const http::Request& req, http::Responder r, Principal principal, Json proxy) {
          const LookerAction* action = FindAction(req);
          if (action == nullptr) return NoSuchAction(req, r);
          auto delivery = std::make_shared<Delivery>(r);
          delivery->request = req;
          delivery->principal = std::move(principal);
          delivery->proxy = std::move(proxy);
          delivery->action = action;
          delivery->id = NewId("dlv-");
          delivery->received_ms = NowMs();
          delivery->instance = HeaderText(req, "X-Looker-Instance");
          delivery->webhook_id = HeaderText(req, "X-Looker-Webhook-Id");
          delivery->looker_version = LookerVersionOf(req);
          auto self = shared_from_this();
          if (!MayStart(delivery->principal, *action)) {
            // The refusal is audited off the I/O thread, then answered.
            const std::string why = NotAllowed(delivery->principal, *action);
            auto refuse = [self, delivery, why] {
              self->AuditDelivery(*delivery, "", "denied", {{"reason", why}});
              delivery->responder.Send(HubError(403, why));
            };
            if (!pool_.TrySubmit(refuse)) r.Send(HubError(403, why));
            return;
          }
          if (!pool_.TrySubmit([self, delivery] { self->ReadDelivery(delivery); })) {
            r.Send(Overloaded());
          }
        });
  }

  // On the pool: reads and checks the body, then records the delivery.
  void ReadDelivery(const DeliveryPtr& d) {
    LookerEnvelopeLimits limits;
    limits.max_attachment_bytes = options_.max_attachment_bytes;
    limits.inline_attachment_bytes = kMaxInputBytes;
    limits.spool_dir = backend_.artifacts->spool_dir();
    auto envelope = d->request.body_file.empty()
                        ? ReadLookerEnvelope(d->request.body, limits)
                        : ReadLookerEnvelopeFile(d->request.body_file, limits);
    if (!envelope.ok()) {
      const bool too_large = envelope.status().code() == StatusCode::kResourceExhausted;
      AuditDelivery(*d, "", "error", {{"reason", std::string(envelope.status().message())}});
      return (void)d->responder.Send(
          HubError(too_large ? 413 : 400, std::string(envelope.status().message())));
    }
    d->envelope = std::move(envelope).value();
    const Json& body = d->envelope.body;
    const LookerAction& action = *d->action;
    const Json* type = Member(body, "type");
    if (type == nullptr || !type->is_string()) {
      return (void)d->responder.Send(HubError(404, "Action did not specify a \"type\"."));
    }
    const std::string type_name = type->get<std::string>();
    if (std::find(action.supported_action_types.begin(), action.supported_action_types.end(),
                  type_name) == action.supported_action_types.end()) {
      std::string supported;
      for (const std::string& t : action.supported_action_types) {
        supported += (supported.empty() ? "\"" : ", \"") + t + "\"";
      }
      return (void)d->responder.Send(
          HubError(404, "This action does not support requests of type \"" + type_name +
                            "\". The request must be of type: " + supported + "."));
    }
    if (std::string missing = MissingSetting(action, body); !missing.empty()) {
      AuditDelivery(*d, "", "refused", {{"reason", missing}});
      return Reply(*d, false, missing, Json::object(), {});
    }
    Json validation = Json::object();
    const Json* form = Member(body, "form_params");
    for (const LookerFormField& field : action.form) {
      if (field.required && LooseText(form ? Member(*form, field.name) : nullptr).empty()) {
        validation[field.name] = (field.label.empty() ? field.name : field.label) + " is required.";
      }
    }
    if (!validation.empty()) {
      std::string message = "Missing required form field(s):";
      for (const auto& [name, why] : validation.items()) message += " " + name;
      AuditDelivery(*d, "", "refused", {{"reason", message}});
      return Reply(*d, false, message, validation, {});
    }
    if (!ResolveMachine(*d)) return;
    Record(d);
  }

  // Fills the machine's ARNs and the execution's name; answers on failure.
  bool ResolveMachine(Delivery& d) {
    const LookerAction& action = *d.action;
    std::string arn = action.state_machine;
    if (arn.rfind("arn:", 0) != 0) {
      arn = "arn:aws:states:" + api_options_.region + ":" + api_options_.account_id +
            ":stateMachine:" + arn;
    }
    std::optional<aws::MachineRef> ref = aws::ParseMachineRef(arn);
    if (!ref) {
      Reply(d, false, "The action's state machine '" + action.state_machine + "' is not valid.",
            Json::object(), {});
      return false;
    }
    d.machine_arn = ref->machine_arn;
    d.start_arn = ref->machine_arn;
    if (!action.qualifier.empty()) d.start_arn += ":" + action.qualifier;
    d.execution_name = "looker-" + d.id.substr(4);
    return true;
  }

  // Deliveries from just before their record to their last word (started,
  // failed or answered): a re-delivery of one of them is a duplicate even
  // before its execution exists. Held by weak pointer, so a delivery leaves
  // when its last holder (a callback, a waiter) lets it go.
  void HoldInFlight(const DeliveryPtr& d) {
    std::lock_guard lock(in_flight_mu_);
    if (in_flight_.size() >= in_flight_swept_at_ * 2 + 64) {
      std::erase_if(in_flight_, [](const auto& entry) { return entry.second.expired(); });
      in_flight_swept_at_ = in_flight_.size();
    }
    in_flight_[d->id] = d;
  }

  bool InFlight(const std::string& delivery_id) {
    std::lock_guard lock(in_flight_mu_);
    auto it = in_flight_.find(delivery_id);
    return it != in_flight_.end() && !it->second.expired();
  }

  std::string PredictedExecutionArn(const Delivery& d) const {
    const size_t at = d.machine_arn.find(":stateMachine:");
    return d.machine_arn.substr(0, at) + ":execution:" + d.machine_arn.substr(at + 14) + ":" +
           d.execution_name;
  }

  store::LookerDeliveryRecord RecordOf(const Delivery& d, std::string outcome) const {
    store::LookerDeliveryRecord record;
    record.id = d.id;
    record.received_ms = d.received_ms;
    record.action = d.action->name;
    record.instance = d.instance;
    record.webhook_id = d.webhook_id;
    record.looker_version = d.looker_version;
    const Json* plan = Member(d.envelope.body, "scheduled_plan");
    record.scheduled_plan_id = LooseText(plan ? Member(*plan, "scheduled_plan_id") : nullptr);
    record.type = LooseText(Member(d.envelope.body, "type"));
    record.principal = d.principal.id;
    record.execution_arn = PredictedExecutionArn(d);
    record.outcome = std::move(outcome);
    return record;
  }

  // Records the delivery; a re-delivery is answered with the first one's
  // execution, a first one goes on to its attachment and start.
  void Record(const DeliveryPtr& d) {
    // A zero window turns deduplication off.
    const int64_t since =
        options_.dedup_window.count() == 0
            ? std::numeric_limits<int64_t>::max()
            : d->received_ms -
                  std::chrono::duration_cast<std::chrono::milliseconds>(options_.dedup_window)
                      .count();
    // Held before it is recorded: a re-delivery racing this one must find
    // it held as soon as it can find its record.
    HoldInFlight(d);
    auto recorded = backend_.store->RecordLookerDelivery(RecordOf(*d, "started"), since);
    if (!recorded.ok()) {
      logger_->error("cannot record Looker delivery {}: {}", d->id, recorded.status().ToString());
      const std::string message = "stepd could not record the delivery (" +
                                  std::string(recorded.status().message()) + "); send it again.";
      const StatusCode code = recorded.status().code();
      if (code == StatusCode::kUnavailable || code == StatusCode::kResourceExhausted) {
        // The store cannot take writes now (busy, a full disk): not this
        // delivery's fault, and Looker retries a 503.
        CountDelivery(*d, "error");
        d->responder.Send(Overloaded(message));
        return;
      }
      return Reply(*d, false, message, Json::object(), {});
    }
    if (recorded->first) {
      const store::LookerDeliveryRecord& first = *recorded->first;
      // A first delivery this process is not holding, still without its
      // execution, never will have one: stepd stopped before starting it,
      // or its start failed when the failure could not be written either
      // (a full disk). This one takes over.
      if (!InFlight(first.id) && backend_.store->GetExecution(first.execution_arn).status().code() ==
                                     StatusCode::kNotFound) {
        // Several nodes: another one may be handling it still.
        if (!options_.node_id.empty()) {
          const int64_t left_ms = first.received_ms + TakeoverAfterMs() - NowMs();
          if (left_ms > 0) return InProgressElsewhere(*d, first, left_ms);
        }
        (void)backend_.store->UpdateLookerDelivery(first.id, "failed", first.execution_arn,
                                                   "abandoned: stepd stopped before starting it");
        (void)backend_.store->UpdateLookerDelivery(d->id, "failed", first.execution_arn,
                                                   "superseded by " + d->id + "-retry");
        d->id += "-retry";
        return Record(d);
      }
      AuditDelivery(*d, first.execution_arn, "duplicate", {{"duplicate_of", first.id}});
      return Reply(*d, true,
                   "Already delivered (" + first.id + "): execution " +
                       first.execution_arn.substr(first.execution_arn.rfind(':') + 1) +
                       " was started for it; nothing new was started.",
                   Json::object(),
                   {{"execution_arn", first.execution_arn},
                    {"delivery_id", d->id},
                    {"duplicate_of", first.id},
                    {"duplicate", true}});
    }
    const Json* plan = Member(d->envelope.body, "scheduled_plan");
    const std::string download = LooseText(plan ? Member(*plan, "download_url") : nullptr);
    if (!d->envelope.attachment.present && !download.empty()) return Download(d, download);
    if (Status s = PrepareAttachment(*d); !s.ok()) return Failed(*d, std::string(s.message()));
    Start(d);
  }

  // LookerOptions::takeover_after, or its default.
  int64_t TakeoverAfterMs() const {
    const std::chrono::seconds after = options_.takeover_after.count() > 0
                                           ? options_.takeover_after
                                           : options_.download_timeout + std::chrono::minutes(2);
    return std::chrono::duration_cast<std::chrono::milliseconds>(after).count();
  }

  // A re-delivery of `first`, which may be in progress on another node
  // (`left_ms` before it may be taken over): nothing starts, Looker is told
  // to come back.
  void InProgressElsewhere(const Delivery& d, const store::LookerDeliveryRecord& first,
                           int64_t left_ms) {
    AuditDelivery(d, first.execution_arn, "duplicate",
                  {{"duplicate_of", first.id}, {"in_progress", true}});
    http::Response response =
        HubError(503, "Delivery " + first.id +
                          " of this webhook is still being processed (it may be on another "
                          "stepd node); nothing new was started. Send it again later.");
    const int64_t seconds = std::clamp<int64_t>((left_ms + 999) / 1000, 1, 30);
    response.headers.Set("Retry-After", std::to_string(seconds));
    d.responder.Send(std::move(response));
  }

  // Fetches a download_url (once) into the spool, then goes on.
  void Download(const DeliveryPtr& d, const std::string& url) {
    if (std::find(d->action->supported_download_settings.begin(),
                  d->action->supported_download_settings.end(),
                  "url") == d->action->supported_download_settings.end()) {
      return Failed(*d,
                    "The action does not take download_url deliveries (its download settings "
                    "do not include \"url\").");
    }
    http::ClientRequest get;
    get.method = "GET";
    get.url = url;
    get.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(options_.download_timeout);
    get.max_response_bytes = options_.max_attachment_bytes;
    get.response_body_file = backend_.artifacts->spool_dir() + "/" + d->id + ".download";
    const std::string file = get.response_body_file;
    auto self = shared_from_this();
    backend_.downloads->Fetch(std::move(get), [self, d, file](StatusOr<http::ClientResponse> got) {
      self->pool_.TrySubmit([self, d, file, got = std::move(got)]() mutable {
        self->Downloaded(d, file, std::move(got));
      });
    });
  }

  void Downloaded(const DeliveryPtr& d, const std::string& file,
                  StatusOr<http::ClientResponse> got) {
    if (!got.ok()) {
      std::remove(file.c_str());
      return Failed(*d, "There was an error with Action Hub calling back to Looker: " +
                            std::string(got.status().message()));
    }
    if (got->status != 200) {
      std::remove(file.c_str());
      return Failed(*d, "There was an error with Action Hub calling back to Looker, status code: " +
                            std::to_string(got->status));
    }
    LookerAttachment& a = d->envelope.attachment;
    a.present = true;
    a.file = file;
    a.size = got->body_size;
    a.sha256_hex = FileSha256Hex(file);
    std::string type(got->headers.Get("Content-Type").value_or("application/octet-stream"));
    a.mimetype = type.substr(0, type.find(';'));
    const Json* form = Member(d->envelope.body, "form_params");
    a.extension = LooseText(form ? Member(*form, "format") : nullptr);
    if (Status s = StoreArtifact(*d, /*downloaded=*/true); !s.ok()) {
      return Failed(*d, std::string(s.message()));
    }
    Start(d);
  }

  static std::string FileSha256Hex(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    Sha256Hasher hasher;
    std::string buffer(1 << 16, '\0');
    while (in) {
      in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
      hasher.Update(std::string_view(buffer.data(), static_cast<size_t>(in.gcount())));
    }
    return hasher.FinishHex();
  }

  // Decides where the pushed attachment goes: into the input (which is then
  // built), or an artifact. Text reached here as valid UTF-8 (the envelope
  // reader refuses anything else).
  Status PrepareAttachment(Delivery& d) {
    LookerAttachment& a = d.envelope.attachment;
    if (!a.present) return Status::OK();
    if (a.base64 || !a.file.empty()) return StoreArtifact(d, false);
    Json described = DescribeAttachment(d);
    described["inline"] = true;
    StatusOr<Json> parsed = a.json_value || a.mimetype == "application/json"
                                ? ParseJson(a.data)
                                : StatusOr<Json>(InvalidArgumentError("text"));
    described["data"] = parsed.ok() ? std::move(parsed).value() : Json(a.data);
    d.attachment_json = std::move(described);
    d.input = BuildInput(d);
    if (d.input.size() <= kMaxInputBytes) return Status::OK();
    d.input.clear();
    return StoreArtifact(d, false);
  }

  Json DescribeAttachment(const Delivery& d) const {
    const LookerAttachment& a = d.envelope.attachment;
    Json j = {{"mimetype", a.mimetype},
              {"extension", a.extension},
              {"size", a.size},
              {"sha256", a.sha256_hex}};
    const Json* form = Member(d.envelope.body, "form_params");
    if (std::string format = LooseText(form ? Member(*form, "format") : nullptr); !format.empty()) {
      j["format"] = format;
    }
    return j;
  }

  // Moves the attachment (spooled file or memory) into an artifact.
  Status StoreArtifact(Delivery& d, bool downloaded) {
    LookerAttachment& a = d.envelope.attachment;
    const std::string id = NewId("art-");
    if (a.file.empty()) {
      const std::string path = backend_.artifacts->spool_dir() + "/" + id + ".tmp";
      std::ofstream out(path, std::ios::binary | std::ios::trunc);
      out.write(a.data.data(), static_cast<std::streamsize>(a.data.size()));
      out.close();
      if (!out) {
        std::remove(path.c_str());
        return UnavailableError("stepd could not store the attachment (disk full?)");
      }
      a.file = path;
      a.data.clear();
    }
    if (Status s = backend_.artifacts->Adopt(a.file, id); !s.ok()) {
      return UnavailableError("stepd could not store the attachment: " + std::string(s.message()));
    }
    a.file.clear();
    store::ArtifactRecord record;
    record.id = id;
    record.created_ms = NowMs();
    record.expires_ms =
        record.created_ms +
        std::chrono::duration_cast<std::chrono::milliseconds>(options_.artifact_retention).count();
    record.size = static_cast<int64_t>(a.size);
    record.sha256 = a.sha256_hex;
    record.mimetype = a.mimetype.empty() ? "application/octet-stream" : a.mimetype;
    record.extension = a.extension;
    const Json* plan = Member(d.envelope.body, "scheduled_plan");
    const Json* form = Member(d.envelope.body, "form_params");
    std::string base = LooseText(form ? Member(*form, "filename") : nullptr);
    if (base.empty()) base = LooseText(plan ? Member(*plan, "title") : nullptr);
    if (base.empty()) base = d.action->name;
    record.filename = SafeFileName(
        a.extension.empty() || EndsWith(base, "." + a.extension) ? base : base + "." + a.extension);
    record.source = "looker delivery " + d.id;
    record.state_machine_arn = d.machine_arn;
    if (Status s = backend_.store->CreateArtifact(record); !s.ok()) {
      (void)backend_.artifacts->Remove(id);
      return UnavailableError("stepd could not record the attachment: " + std::string(s.message()));
    }
    d.artifact_id = id;
    Json described = DescribeAttachment(d);
    described["inline"] = false;
    if (downloaded) described["downloaded"] = true;
    described["artifact"] = {{"id", id},
                             {"url", backend_.api_base_url + "/v1/artifacts/" + id},
                             {"filename", record.filename}};
    d.attachment_json = std::move(described);
    return Status::OK();
  }

  // The execution input (README, "Looker Action Hub").
  std::string BuildInput(const Delivery& d) const {
    const Json& body = d.envelope.body;
    const LookerAction& action = *d.action;
    Json plan = Json();
    Json query = Json();
    if (const Json* p = Member(body, "scheduled_plan"); p && p->is_object()) {
      plan = *p;
      plan.erase("download_url");  // one-time, already used
      if (const Json* q = Member(*p, "query")) query = *q;
    }
    Json params = Json::object();
    Json value = Json();
    if (const Json* data = Member(body, "data"); data && data->is_object()) {
      for (const auto& item : data->items()) {
        // Named, not a structured binding: clang 14 (make fuzz) cannot
        // capture one in the lambda below.
        const std::string& name = item.key();
        const Json& v = item.value();
        if (name == "value") {
          value = v;
          continue;
        }
        if (name == "state_json" || name == "state_url" || name == "state_redir_url") continue;
        auto declared = std::find_if(action.params.begin(), action.params.end(),
                                     [&name](const LookerParam& p) { return p.name == name; });
        if (declared != action.params.end() && !declared->sensitive) {
          params[name] = v;
        } else if (!v.is_null()) {
          params[name] = {
              {"sensitive", true},
              {"sealed", Base64Encode(backend_.secrets->Seal(
                             LooseText(&v), "looker param " + action.name + "." + name))}};
        }
      }
    }
    Json form = Json::object();
    if (const Json* f = Member(body, "form_params"); f && f->is_object()) form = *f;
    Json input = {
        {"action", action.name},
        {"type", LooseText(Member(body, "type"))},
        {"delivery",
         {{"id", d.id},
          {"received_at",
           asl::FormatIsoTimestamp(TimePoint(std::chrono::milliseconds(d.received_ms)))}}},
        {"looker",
         {{"instance", d.instance}, {"webhook_id", d.webhook_id}, {"version", d.looker_version}}},
        {"scheduled_plan", std::move(plan)},
        {"query", std::move(query)},
        {"form_params", std::move(form)},
        {"params", std::move(params)},
        {"attachment", d.attachment_json}};
    if (!value.is_null()) input["value"] = std::move(value);
    return input.dump(-1, ' ', false, Json::error_handler_t::replace);
  }

  void Start(const DeliveryPtr& d) {
    aws::Call call;
    call.operation = "StartExecution";
    call.principal = d->principal;
    call.source = d->request.remote_address;
    call.request_id = d->request.request_id;
    call.audit_details = {{"looker", DeliveryAudit(*d)}};
    if (!d->proxy.is_null()) call.audit_details["proxy"] = d->proxy;
    call.input = {{"stateMachineArn", d->start_arn},
                  {"name", d->execution_name},
                  {"input", d->input.empty() ? BuildInput(*d) : d->input}};
    call.client_gone = [] { return false; };
    auto self = shared_from_this();
    call.reply = [self, d](aws::Outcome outcome) {
      if (!self->pool_.TrySubmit([self, d, outcome]() mutable { self->Started(d, outcome); })) {
        self->Started(d, outcome);
      }
    };
    aws::StartExecution(context_, std::move(call));
  }

  Json DeliveryAudit(const Delivery& d) const {
    Json j = {{"delivery_id", d.id},
              {"action", d.action->name},
              {"instance", d.instance},
              {"webhook_id", d.webhook_id},
              {"looker_version", d.looker_version}};
    const Json* plan = Member(d.envelope.body, "scheduled_plan");
    if (std::string id = LooseText(plan ? Member(*plan, "scheduled_plan_id") : nullptr);
        !id.empty()) {
      j["scheduled_plan_id"] = id;
    }
    if (const Json* type = Member(d.envelope.body, "type"); type && type->is_string()) {
      j["type"] = *type;
    }
    if (!d.artifact_id.empty()) j["artifact_id"] = d.artifact_id;
    if (d.envelope.attachment.present) {
      j["attachment"] = {{"size", d.envelope.attachment.size},
                         {"sha256", d.envelope.attachment.sha256_hex}};
    }
    return j;
  }

  void Started(const DeliveryPtr& d, const aws::Outcome& outcome) {
    if (outcome.error && (outcome.error->type == aws::ErrorType::kThrottlingException ||
                          outcome.error->type == aws::ErrorType::kServiceUnavailable)) {
      // Not this delivery's fault: it fails (so that the same delivery sent
      // again is not a duplicate of it) and Looker is told to come back.
      const std::string message = "stepd is overloaded; try again later (" +
                                  std::string(aws::ErrorTypeName(outcome.error->type)) + ": " +
                                  outcome.error->message + ")";
      Discard(*d, message);
      d->responder.Send(Overloaded(message));
      return;
    }
    if (outcome.error) {
      return Failed(*d, "The execution could not be started: " +
                            std::string(aws::ErrorTypeName(outcome.error->type)) + ": " +
                            outcome.error->message);
    }
    StatusOr<Json> body = ParseJson(outcome.body);
    const std::string arn = body.ok() ? body->value("executionArn", "") : "";
    // The delivery was recorded "started" with the ARN a start gets, so
    // that a started delivery costs one write besides the start (whose
    // ExecutionStarted audit row carries the delivery); only an EXPRESS
    // execution's ARN differs.
    if (arn != PredictedExecutionArn(*d)) {
      (void)backend_.store->UpdateLookerDelivery(d->id, "started", arn, "");
    }
    if (!d->artifact_id.empty()) (void)backend_.store->SetArtifactExecution(d->artifact_id, arn);
    CountDelivery(*d, "started");
    const std::string name = arn.substr(arn.rfind(':') + 1);
    Json extra = {{"execution_arn", arn}, {"delivery_id", d->id}, {"duplicate", false}};
    if (d->action->mode == LookerMode::kAsync) {
      return Reply(
          *d, true,
          "Started execution " + name + " of state machine " + MachineNameOf(*d->action) + ".",
          Json::object(), extra);
    }
    Wait(d, arn, name);
  }

  void Failed(Delivery& d, const std::string& message) {
    Discard(d, message);
    Reply(d, false, message, Json::object(), {{"delivery_id", d.id}});
  }

  // Records the delivery failed, removes its artifact and audits the error.
  void Discard(Delivery& d, const std::string& message) {
    (void)backend_.store->UpdateLookerDelivery(d.id, "failed", "", message);
    if (!d.artifact_id.empty()) {
      (void)backend_.artifacts->Remove(d.artifact_id);
      (void)backend_.store->DeleteArtifact(d.artifact_id);
      d.artifact_id.clear();
    }
    AuditDelivery(d, "", "error", {{"reason", message}});
  }

  // The answer Looker shows: {"looker": {...}, "stepd": {...}}.
  static Json Answer(bool success, const std::string& message, const Json& validation,
                     const std::string& webhook_id, const Json& extra) {
    Json looker = {{"success", success},
                   {"message", message},
                   {"refresh_query", false},
                   {"validation_errors", validation}};
    if (!webhook_id.empty()) looker["webhookId"] = webhook_id;
    if (!success) {
      looker["error"] = {{"http_code", 400},
                         {"status_code", "BAD_REQUEST"},
                         {"message", message},
                         {"location", "stepd"}};
    }
    Json answer = {{"looker", std::move(looker)}};
    if (extra.is_object() && !extra.empty()) answer["stepd"] = extra;
    return answer;
  }

  void Reply(const Delivery& d, bool success, const std::string& message, const Json& validation,
             const Json& extra) {
    d.responder.Send(
        http::Response::Json(200, Answer(success, message, validation, d.webhook_id, extra)
                                      .dump(-1, ' ', false, Json::error_handler_t::replace)));
  }

  void CountDelivery(const Delivery& d, const std::string& outcome) {
    if (deliveries_ != nullptr) deliveries_->With({d.action->name, outcome}).Increment();
  }

  void AuditDelivery(const Delivery& d, const std::string& execution_arn,
                     const std::string& outcome, Json details) {
    CountDelivery(d, outcome);
    aws::Call call;
    call.principal = d.principal;
    call.source = d.request.remote_address;
    call.request_id = d.request.request_id;
    details["looker"] = DeliveryAudit(d);
    if (!d.proxy.is_null()) details["proxy"] = d.proxy;
    details["outcome"] = outcome;
    store::AuditEntry row =
        aws::Audit(context_, call, "LookerDelivery",
                   execution_arn.empty() ? "looker action " + d.action->name : execution_arn,
                   std::move(details));
    if (Status s = backend_.store->AppendAudit({row}); !s.ok()) {
      logger_->error("cannot audit Looker delivery {}: {}", d.id, s.ToString());
    }
  }

  // --- wait mode -----------------------------------------------------------------

  void Wait(const DeliveryPtr& d, const std::string& arn, const std::string& name) {
    auto waiter = std::make_shared<Waiter>();
    waiter->execution_arn = arn;
    waiter->execution_name = name;
    waiter->machine_name = MachineNameOf(*d->action);
    waiter->webhook_id = d->webhook_id;
    waiter->delivery_id = d->id;
    const auto now = std::chrono::steady_clock::now();
    waiter->next_keepalive = now + options_.keepalive_interval;
    waiter->deadline = now + d->action->wait_timeout;
    waiter->wait_seconds = d->action->wait_timeout.count();
    http::Headers headers;
    headers.Set("Content-Type", "application/json");
    waiter->stream = d->responder.StartStream(200, std::move(headers));
    bool stopping;
    {
      std::lock_guard lock(mu_);
      stopping = stopping_;
      if (!stopping) waiters_.push_back(waiter);
    }
    if (stopping) return FinishWaiter(waiter, StillRunning(*waiter, "stepd is stopping"));
    cv_.notify_all();
    auto self = shared_from_this();
    backend_.engine->WhenFinished(arn, [self, waiter](Status ended) {
      auto finish = [self, waiter, ended] {
        if (!ended.ok()) {
          return self->FinishWaiter(waiter, self->StillRunning(*waiter, "stepd is stopping"));
        }
        self->FinishWaiter(waiter, self->Outcome(*waiter));
      };
      if (!self->pool_.TrySubmit(finish)) finish();
    });
  }

  Json StillRunning(const Waiter& w, const std::string& why) const {
    return Answer(true,
                  "Execution " + w.execution_name + " of state machine " + w.machine_name +
                      " is still running (" + why + "); it goes on.",
                  Json::object(), w.webhook_id,
                  {{"execution_arn", w.execution_arn},
                   {"delivery_id", w.delivery_id},
                   {"status", "RUNNING"}});
  }

  Json Outcome(const Waiter& w) const {
    auto execution = backend_.store->GetExecution(w.execution_arn);
    if (!execution.ok()) return StillRunning(w, "its state cannot be read now");
    const store::ExecutionRecord& e = *execution;
    const std::string status(store::ExecutionStatusName(e.status));
    Json extra = {
        {"execution_arn", w.execution_arn}, {"delivery_id", w.delivery_id}, {"status", status}};
    if (e.status == store::ExecutionStatus::kSucceeded) {
      std::string message =
          "Execution " + w.execution_name + " of state machine " + w.machine_name + " succeeded.";
      bool refresh = false;
      if (e.output) {
        StatusOr<Json> output = ParseJson(*e.output);
        if (output.ok() && output->is_object()) {
          if (auto m = output->find("message"); m != output->end() && m->is_string()) {
            message = m->get<std::string>();
          }
          if (auto r = output->find("refresh_query"); r != output->end() && r->is_boolean()) {
            refresh = r->get<bool>();
          }
        }
      }
      Json answer = Answer(true, message, Json::object(), w.webhook_id, extra);
      answer["looker"]["refresh_query"] = refresh;
      return answer;
    }
    if (e.status == store::ExecutionStatus::kRunning) return StillRunning(w, "it was redriven");
    std::string message = "Execution " + w.execution_name + " of state machine " + w.machine_name +
                          " ended " + status;
    if (e.error) message += ": " + *e.error;
    if (e.cause && !e.cause->empty()) message += ": " + *e.cause;
    return Answer(false, message, Json::object(), w.webhook_id, extra);
  }

  void FinishWaiter(const std::shared_ptr<Waiter>& w, const Json& answer) {
    if (w->done.exchange(true)) return;
    w->stream.Write(answer.dump(-1, ' ', false, Json::error_handler_t::replace));
    w->stream.Finish();
    std::lock_guard lock(mu_);
    waiters_.remove(w);
  }

  // Every minute, or more often when artifacts live less than two minutes.
  std::chrono::steady_clock::duration SweepInterval() const {
    return std::clamp<std::chrono::steady_clock::duration>(
        options_.artifact_retention / 2, std::chrono::seconds(1), std::chrono::seconds(60));
  }

  // The background thread: keep-alives, wait deadlines, and the sweep.
  void Tick() {
    auto next_sweep =
        std::chrono::steady_clock::now() +
        std::min<std::chrono::steady_clock::duration>(std::chrono::seconds(5), SweepInterval());
    std::unique_lock lock(mu_);
    while (!stopping_) {
      const auto now = std::chrono::steady_clock::now();
      auto wake = next_sweep;
      std::vector<std::shared_ptr<Waiter>> due, expired;
      for (auto it = waiters_.begin(); it != waiters_.end();) {
        const auto& w = *it;
        if (w->done || w->stream.client_gone()) {
          w->done = true;
          it = waiters_.erase(it);
          continue;
        }
        if (now >= w->deadline) {
          expired.push_back(w);
        } else if (now >= w->next_keepalive) {
          due.push_back(w);
          w->next_keepalive = now + options_.keepalive_interval;
        }
        wake = std::min({wake, w->deadline, w->next_keepalive});
        ++it;
      }
      lock.unlock();
      for (auto& w : due) w->stream.Write("\n");
      for (auto& w : expired) {
        FinishWaiter(w, StillRunning(*w, "the action waits at most " +
                                             std::to_string(w->wait_seconds) + " s"));
      }
      if (now >= next_sweep) {
        SweepExpired();
        next_sweep = std::chrono::steady_clock::now() + SweepInterval();
      }
      lock.lock();
      if (!due.empty() || !expired.empty()) continue;
      cv_.wait_until(lock, std::max(wake, now + std::chrono::milliseconds(20)));
    }
  }

  // --- artifacts ---------------------------------------------------------------

  static http::Response Problem(int status, const std::string& title, const std::string& detail) {
    http::Response response;
    response.status = status;
    response.headers.Set("Content-Type", "application/problem+json");
    response.body =
        Json{{"type", "about:blank"}, {"title", title}, {"status", status}, {"detail", detail}}
            .dump(-1, ' ', false, Json::error_handler_t::replace);
    return response;
  }

  void Artifact(const http::Request& request, http::Responder responder) {
    if (!attached_) {
      auto r = Problem(503, "Service Unavailable", "stepd is starting; try again");
      r.headers.Set("Retry-After", "1");
      return (void)responder.Send(std::move(r));
    }
    auto self = shared_from_this();
    authenticator_->Authenticate(
        request, [self, responder](const http::Request& req, Authenticator::Result result) {
          if (!result.principal) {
            auto r = Problem(401, "Unauthorized", result.error->message);
            r.headers.Set("WWW-Authenticate", "Bearer");
            return (void)responder.Send(std::move(r));
          }
          const std::string id(req.PathParam("id"));
          const bool head = req.method == "HEAD";
          Principal principal = std::move(*result.principal);
          if (!self->pool_.TrySubmit([self, responder, id, head, principal] {
                self->ServeArtifact(responder, id, head, principal);
              })) {
            auto r = Problem(503, "Service Unavailable", "stepd is overloaded; try again");
            r.headers.Set("Retry-After", "1");
            responder.Send(std::move(r));
          }
        });
  }

  void ServeArtifact(const http::Responder& responder, const std::string& id, bool head,
                     const Principal& principal) {
    const std::string path = backend_.artifacts->PathOf(id);
    auto record = path.empty() ? StatusOr<store::ArtifactRecord>(NotFoundError(""))
                               : backend_.store->GetArtifact(id);
    auto not_found = [&] { responder.Send(Problem(404, "Not Found", "no artifact '" + id + "'")); };
    if (!record.ok()) {
      if (record.status().code() == StatusCode::kNotFound) return not_found();
      return (void)responder.Send(
          Problem(503, "Service Unavailable", "the artifact cannot be read now; try again"));
    }
    const size_t at = record->state_machine_arn.find(":stateMachine:");
    const std::string machine =
        at == std::string::npos ? "" : record->state_machine_arn.substr(at + 14);
    if (!principal.Can(Permission::kRead, machine)) {
      return (void)responder.Send(Problem(403, "Forbidden",
                                          principal.id + " (roles: " + principal.DescribeGrants() +
                                              ") may not read artifacts of state machine '" +
                                              machine + "': the read permission is needed"));
    }
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return not_found();
    http::Response response;
    response.status = 200;
    response.headers.Set("Content-Type", record->mimetype);
    response.headers.Set("Content-Disposition",
                         "attachment; filename=\"" + record->filename + "\"");
    response.headers.Set("ETag", "\"" + record->sha256 + "\"");
    response.headers.Set("Cache-Control", "private, no-store");
    response.headers.Set("X-Content-Type-Options", "nosniff");
    response.body_file = path;
    (void)head;  // the server leaves the body out of a HEAD answer
    responder.Send(std::move(response));
  }

  metrics::Family<metrics::Counter>* const deliveries_;  // null: not counted
  const LookerOptions options_;
  const ApiOptions api_options_;
  const Authenticator* authenticator_;
  std::shared_ptr<spdlog::logger> logger_;
  std::unordered_map<std::string, const LookerAction*> actions_;
  LookerBackend backend_;
  aws::Context context_;
  std::atomic<bool> attached_{false};
  std::mutex in_flight_mu_;
  std::unordered_map<std::string, std::weak_ptr<Delivery>> in_flight_;  // by in_flight_mu_
  size_t in_flight_swept_at_ = 0;                                       // by in_flight_mu_
  ThreadPool pool_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;                       // guarded by mu_
  std::list<std::shared_ptr<Waiter>> waiters_;  // guarded by mu_
  std::thread ticker_;
};

LookerHub::LookerHub(const LookerOptions& options, const ApiOptions& api_options,
                     const Authenticator* authenticator, std::shared_ptr<spdlog::logger> logger,
                     metrics::Registry* metrics)
    : impl_(std::make_shared<Impl>(options, api_options, authenticator, std::move(logger),
                                   metrics)) {}

LookerHub::~LookerHub() { Stop(); }

void LookerHub::AddRoutes(http::Router& router) { impl_->AddRoutes(router); }
void LookerHub::Attach(const LookerBackend& backend) { impl_->Attach(backend); }
void LookerHub::Stop() { impl_->Stop(); }
size_t LookerHub::SweepExpired() { return impl_->SweepExpired(); }

}  // namespace stepd::api
