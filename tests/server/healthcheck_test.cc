#include "stepd/server/healthcheck.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include "server/stepd_process_testing.h"

namespace stepd::server {
namespace {

using ::testing::HasSubstr;
using testing::RunningServer;
using testing::RunStepd;
using testing::ScratchDir;

// A loopback port nothing listens on (bound, then released).
uint16_t UnusedPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

TEST(DefaultHealthcheckUrl, ProbesReadyzOnTheListenerWithWildcardsMadeLoopback) {
  http::HttpOptions options;
  EXPECT_EQ(DefaultHealthcheckUrl(options), "http://127.0.0.1:8080/readyz");
  options.host = "0.0.0.0";
  options.port = 9000;
  EXPECT_EQ(DefaultHealthcheckUrl(options), "http://127.0.0.1:9000/readyz");
  options.host = "::";
  EXPECT_EQ(DefaultHealthcheckUrl(options), "http://[::1]:9000/readyz");
  options.host = "::1";
  options.tls_cert_file = "c.pem";
  options.tls_key_file = "k.pem";
  EXPECT_EQ(DefaultHealthcheckUrl(options), "https://[::1]:9000/readyz");
}

TEST(HealthcheckCommand, ExitsZeroAgainstARunningServer) {
  ScratchDir dir;
  auto server = RunningServer::Start(dir);
  ASSERT_NE(server, nullptr);

  auto result = RunStepd(dir, {"healthcheck", "--url", server->base_url() + "/readyz"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, server->base_url() + "/readyz answered 200: {\"status\":\"ready\"}\n");

  // Without --url: the configured listener (here from STEPD_LISTEN).
  result = RunStepd(dir, {"healthcheck"},
                    {{"STEPD_LISTEN", "127.0.0.1:" + std::to_string(server->port())}});
  EXPECT_EQ(result.exit_code, 0) << result.err;

  // A URL answering something else than 200.
  result = RunStepd(dir, {"healthcheck", "--url", server->base_url() + "/nope"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.err, HasSubstr("/nope answered 404"));

  server->process().Signal(SIGTERM);
  EXPECT_EQ(server->process().Wait(std::chrono::seconds(20)), 0);
}

TEST(HealthcheckCommand, ExitsNonZeroWhenNothingListens) {
  ScratchDir dir;
  std::string url = "http://127.0.0.1:" + std::to_string(UnusedPort()) + "/readyz";
  auto result = RunStepd(dir, {"healthcheck", "--url", url});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.err, HasSubstr("stepd: healthcheck " + url + " failed: UNAVAILABLE"));
}

TEST(HealthcheckCommand, BadOptionsWithoutUrlAreAUsageError) {
  ScratchDir dir;
  auto result = RunStepd(dir, {"healthcheck"}, {{"STEPD_LISTEN", "nonsense"}});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr("STEPD_LISTEN must be HOST:PORT"));
}

}  // namespace
}  // namespace stepd::server
