#include "target_server_testing.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdlib>
#include <iterator>
#include <thread>

#include "http_testing.h"
#include "stepd/base/json.h"
#include "stepd/http/options.h"
#include "stepd/http/router.h"
#include "stepd/http/server.h"

namespace stepd::http::testing {

namespace net = boost::asio;

struct TargetServer::Impl {
  bool tls = false;
  net::io_context timers;
  net::executor_work_guard<net::io_context::executor_type> work = net::make_work_guard(timers);
  std::thread timer_thread{[this] { timers.run(); }};
  std::unique_ptr<Server> server;

  mutable std::mutex mu;
  std::vector<SeenRequest> seen;            // guarded by mu
  std::map<std::string, int> flaky_counts;  // guarded by mu
  std::vector<Responder> hanging;           // guarded by mu
  std::vector<Stream> open_streams;         // guarded by mu

  ~Impl() {
    if (server) server->Stop();
    {
      std::lock_guard lock(mu);
      hanging.clear();
      open_streams.clear();
    }
    work.reset();
    timers.stop();
    timer_thread.join();
  }

  void Add(Router& router, const std::string& path, Handler handler) {
    for (const char* method : {"GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"}) {
      router.Add(method, path, [this, handler](const Request& request, Responder responder) {
        {
          std::lock_guard lock(mu);
          seen.push_back({request.method, request.target, request.headers, request.body});
        }
        handler(request, std::move(responder));
      });
    }
  }

  void Routes(Router& router) {
    auto echo = [](const Request& request, Responder responder) {
      Json headers = Json::object();
      for (const auto& [name, value] : request.headers.fields()) {
        std::string lower = name;
        for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        headers[lower].push_back(value);
      }
      Json body = {{"method", request.method},
                   {"target", request.target},
                   {"headers", headers},
                   {"body", request.body}};
      responder.Send(Response::Json(200, body.dump()));
    };
    Add(router, "/echo", echo);
    Add(router, "/echo/{rest...}", echo);
    Add(router, "/status/{code}", [](const Request& request, Responder responder) {
      const int code = std::atoi(std::string(request.PathParam("code")).c_str());
      Response response =
          Response::Text(code, std::string(request.QueryParam("body").value_or("")),
                         std::string(request.QueryParam("type").value_or("text/plain")));
      if (auto extra = request.QueryParam("header"))
        response.headers.Add("X-Extra", std::string(*extra));
      responder.Send(std::move(response));
    });
    Add(router, "/delay/{ms}", [this](const Request& request, Responder responder) {
      const int ms = std::atoi(std::string(request.PathParam("ms")).c_str());
      auto timer = std::make_shared<net::steady_timer>(timers, std::chrono::milliseconds(ms));
      timer->async_wait([timer, responder, ms](const boost::system::error_code&) {
        responder.Send(Response::Json(200, "{\"delayed_ms\":" + std::to_string(ms) + "}"));
      });
    });
    Add(router, "/hang", [this](const Request&, Responder responder) {
      std::lock_guard lock(mu);
      hanging.push_back(std::move(responder));
    });
    Add(router, "/flaky/{name}/{n}", [this](const Request& request, Responder responder) {
      const int failures = std::atoi(std::string(request.PathParam("n")).c_str());
      int attempt = 0;
      {
        std::lock_guard lock(mu);
        attempt = ++flaky_counts[std::string(request.PathParam("name"))];
      }
      if (attempt <= failures) {
        responder.Send(Response::Text(503, "try again"));
      } else {
        responder.Send(Response::Json(200, "{\"attempt\":" + std::to_string(attempt) + "}"));
      }
    });
    Add(router, "/redirect/{code}", [](const Request& request, Responder responder) {
      Response response =
          Response::Text(std::atoi(std::string(request.PathParam("code")).c_str()), "moved");
      response.headers.Set("Location", std::string(request.QueryParam("to").value_or("")));
      responder.Send(std::move(response));
    });
    Add(router, "/big/{bytes}", [](const Request& request, Responder responder) {
      const size_t bytes =
          std::strtoul(std::string(request.PathParam("bytes")).c_str(), nullptr, 10);
      const int status =
          std::atoi(std::string(request.QueryParam("status").value_or("200")).c_str());
      responder.Send(Response::Text(status, std::string(bytes, 'x'), "text/plain"));
    });
    Add(router, "/bytes", [](const Request& request, Responder responder) {
      responder.Send(
          Response::Text(200, std::string("\xff\xfe\x00", 3),
                         std::string(request.QueryParam("type").value_or("text/plain"))));
    });
    Add(router, "/text", [](const Request&, Responder responder) {
      responder.Send(Response::Text(200, "plain words", "text/plain; charset=utf-8"));
    });
    PatternRoutes(router);
    FunctionRoutes(router);
  }

  // Writes `content` as chunks of varied sizes.
  static void WriteChunks(const Stream& stream, const std::string& content) {
    static constexpr size_t kSizes[] = {1000, 4096, 65536, 7, 100000, 1, 300000};
    size_t at = 0;
    for (size_t i = 0; at < content.size(); ++i) {
      const size_t n = std::min(kSizes[i % std::size(kSizes)], content.size() - at);
      stream.Write(content.substr(at, n));
      at += n;
    }
  }

  void PatternRoutes(Router& router) {
    auto size_of = [](const Request& request) {
      return std::strtoul(std::string(request.PathParam("bytes")).c_str(), nullptr, 10);
    };
    Add(router, "/pattern/{bytes}", [size_of](const Request& request, Responder responder) {
      std::string content = PatternBytes(size_of(request));
      if (!request.QueryParam("chunked")) {
        responder.Send(Response::Text(200, std::move(content), "application/octet-stream"));
        return;
      }
      Stream stream = responder.StartStream(200, {{"Content-Type", "application/octet-stream"}});
      WriteChunks(stream, content);
      stream.Finish();
    });
    Add(router, "/partial/{bytes}", [this, size_of](const Request& request, Responder responder) {
      Stream stream = responder.StartStream(200);
      WriteChunks(stream, PatternBytes(size_of(request)));
      std::lock_guard lock(mu);
      open_streams.push_back(std::move(stream));
    });
    Add(router, "/truncated/{bytes}", [size_of](const Request& request, Responder responder) {
      Stream stream = responder.StartStream(200);
      WriteChunks(stream, PatternBytes(size_of(request)));
    });
  }

  void FunctionRoutes(Router& router) {
    Add(router, "/fn/echo", [](const Request& request, Responder responder) {
      Json headers = Json::object();
      for (const auto& [name, value] : request.headers.fields()) {
        std::string lower = name;
        for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        headers[lower] = value;
      }
      StatusOr<Json> event = ParseJson(request.body);
      Json body = {{"event", event.ok() ? *event : Json(request.body)},
                   {"target", request.target},
                   {"headers", headers}};
      Response response = Response::Json(200, body.dump());
      if (auto version = request.QueryParam("version")) {
        response.headers.Add("X-Amz-Executed-Version", std::string(*version));
      }
      if (auto log = request.QueryParam("log")) {
        response.headers.Add("X-Amz-Log-Result", std::string(*log));
      }
      responder.Send(std::move(response));
    });
    Add(router, "/fn/error/{type}", [](const Request& request, Responder responder) {
      Json error = Json::object();
      if (request.PathParam("type") != "-") error["errorType"] = request.PathParam("type");
      error["errorMessage"] = "failed on purpose";
      error["trace"] = Json::array({"at handler (index.js:3:9)"});
      Response response = Response::Json(200, error.dump());
      response.headers.Add("X-Amz-Function-Error",
                           request.QueryParam("handled") ? "Handled" : "Unhandled");
      responder.Send(std::move(response));
    });
    Add(router, "/fn/flaky/{name}/{n}", [this](const Request& request, Responder responder) {
      const int failures = std::atoi(std::string(request.PathParam("n")).c_str());
      int attempt = 0;
      {
        std::lock_guard lock(mu);
        attempt = ++flaky_counts["fn/" + std::string(request.PathParam("name"))];
      }
      if (attempt > failures) {
        responder.Send(Response::Json(200, "{\"attempt\":" + std::to_string(attempt) + "}"));
        return;
      }
      Response response =
          Response::Json(200, R"({"errorType":"TransientError","errorMessage":"attempt )" +
                                  std::to_string(attempt) + R"( failed","trace":[]})");
      response.headers.Add("X-Amz-Function-Error", "Unhandled");
      responder.Send(std::move(response));
    });
    Add(router, "/fn/accept", [](const Request&, Responder responder) {
      responder.Send(Response::Text(202, "", "application/json"));
    });
  }
};

TargetServer::TargetServer(std::string tls_cert_file, std::string tls_key_file)
    : impl_(std::make_unique<Impl>()) {
  auto router = std::make_shared<Router>();
  impl_->Routes(*router);
  HttpOptions options;
  options.port = 0;
  options.io_threads = 1;
  options.max_connections = 4096;
  options.shutdown_grace = std::chrono::milliseconds(200);
  options.tls_cert_file = std::move(tls_cert_file);
  options.tls_key_file = std::move(tls_key_file);
  impl_->tls = !options.tls_cert_file.empty();
  auto logger =
      std::make_shared<spdlog::logger>("target", std::make_shared<spdlog::sinks::null_sink_mt>());
  impl_->server = std::make_unique<Server>(options, router, logger);
  Status started = impl_->server->Start();
  if (!started.ok()) ADD_FAILURE() << "target server: " << started;
}

TargetServer::~TargetServer() = default;

uint16_t TargetServer::port() const { return impl_->server->port(); }

std::string TargetServer::Url(std::string_view path) const {
  return std::string(impl_->tls ? "https" : "http") + "://127.0.0.1:" + std::to_string(port()) +
         std::string(path);
}

std::vector<SeenRequest> TargetServer::Seen() const {
  std::lock_guard lock(impl_->mu);
  return impl_->seen;
}

size_t TargetServer::Count(std::string_view prefix) const {
  std::lock_guard lock(impl_->mu);
  size_t n = 0;
  for (const SeenRequest& r : impl_->seen) n += r.target.rfind(prefix, 0) == 0 ? 1 : 0;
  return n;
}

bool TargetServer::WaitFor(std::string_view prefix, size_t n,
                           std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (Count(prefix) < n) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

bool MakeCertificate(const std::filesystem::path& dir, const std::string& san) {
  std::string command =
      "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=stepd-test "
      "-addext subjectAltName=" +
      san + " -keyout '" + (dir / "key.pem").string() + "' -out '" + (dir / "cert.pem").string() +
      "' >/dev/null 2>&1";
  return std::system(command.c_str()) == 0;
}

}  // namespace stepd::http::testing
