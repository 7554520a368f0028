#pragma once
// An OAuth 2.0 token endpoint for tests: a real http::Server on 127.0.0.1
// port 0 answering client-credentials requests with tokens "token-1",
// "token-2", ... Tests script its answers (expires_in, a refusal, an outage),
// hold answers back to make requests overlap, and read what it received.
// Header-only, so that the runtime, api and server suites share it.

#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "stepd/base/json.h"
#include "stepd/http/router.h"
#include "stepd/http/server.h"

namespace stepd::testing {

class TokenServer {
 public:
  // What one request carried.
  struct Seen {
    std::string method;
    std::string target;  // path and query as sent
    std::string authorization;
    std::string content_type;
    std::string custom_header;  // X-Custom, if sent
    std::string body;
  };

  TokenServer() {
    auto router = std::make_shared<http::Router>();
    for (const char* method : {"GET", "POST", "PUT"}) {
      router->Add(method, "/oauth/token", [this](const http::Request& request, http::Responder r) {
        Answer(request, std::move(r));
      });
    }
    http::HttpOptions options;
    options.host = "127.0.0.1";
    options.port = 0;
    options.shutdown_grace = std::chrono::milliseconds(200);
    server_ = std::make_unique<http::Server>(
        options, router,
        std::make_shared<spdlog::logger>("token-server",
                                         std::make_shared<spdlog::sinks::null_sink_mt>()));
    Status started = server_->Start();
    if (!started.ok()) std::abort();
  }
  ~TokenServer() {
    Release();
    server_->Stop();
  }

  std::string Url() const {
    return "http://127.0.0.1:" + std::to_string(server_->port()) + "/oauth/token";
  }

  // The expires_in of the next tokens; nullopt: none said.
  void SetExpiresIn(std::optional<int> seconds) {
    std::lock_guard lock(mu_);
    expires_in_ = seconds;
  }
  // The next requests are answered with `status` and `body` instead of a token.
  void FailWith(int status, std::string body) {
    std::lock_guard lock(mu_);
    fail_status_ = status;
    fail_body_ = std::move(body);
  }
  void Succeed() {
    std::lock_guard lock(mu_);
    fail_status_ = 0;
  }
  // Answers wait until Release().
  void Hold() {
    std::lock_guard lock(mu_);
    holding_ = true;
  }
  void Release() {
    std::vector<std::pair<http::Responder, http::Response>> held;
    {
      std::lock_guard lock(mu_);
      holding_ = false;
      held.swap(held_);
    }
    for (auto& [responder, response] : held) responder.Send(std::move(response));
  }
  // Waits (up to 10 s) until `n` requests arrived.
  bool WaitForRequests(size_t n) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(10), [&] { return seen_.size() >= n; });
  }

  size_t requests() const {
    std::lock_guard lock(mu_);
    return seen_.size();
  }
  Seen last() const {
    std::lock_guard lock(mu_);
    return seen_.empty() ? Seen{} : seen_.back();
  }
  // The tokens it handed out, in order.
  std::vector<std::string> tokens_issued() const {
    std::lock_guard lock(mu_);
    return issued_;
  }

 private:
  void Answer(const http::Request& request, http::Responder responder) {
    http::Response response;
    {
      std::lock_guard lock(mu_);
      Seen seen;
      seen.method = request.method;
      seen.target = request.target;
      seen.authorization = std::string(request.headers.Get("Authorization").value_or(""));
      seen.content_type = std::string(request.headers.Get("Content-Type").value_or(""));
      seen.custom_header = std::string(request.headers.Get("X-Custom").value_or(""));
      seen.body = request.body;
      seen_.push_back(std::move(seen));
      if (fail_status_ != 0) {
        response = http::Response::Json(fail_status_, fail_body_);
      } else {
        const std::string token = "token-" + std::to_string(++tokens_);
        issued_.push_back(token);
        Json body = {{"access_token", token}, {"token_type", "Bearer"}};
        if (expires_in_) body["expires_in"] = *expires_in_;
        response = http::Response::Json(200, body.dump());
      }
      if (holding_) {
        held_.emplace_back(std::move(responder), std::move(response));
        cv_.notify_all();
        return;
      }
    }
    cv_.notify_all();
    responder.Send(std::move(response));
  }

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::optional<int> expires_in_ = 3600;                          // guarded by mu_
  int fail_status_ = 0;                                           // guarded by mu_
  std::string fail_body_;                                         // guarded by mu_
  bool holding_ = false;                                          // guarded by mu_
  std::vector<std::pair<http::Responder, http::Response>> held_;  // guarded by mu_
  std::vector<Seen> seen_;                                        // guarded by mu_
  std::vector<std::string> issued_;                               // guarded by mu_
  int tokens_ = 0;                                                // guarded by mu_
  std::unique_ptr<http::Server> server_;
};

}  // namespace stepd::testing
