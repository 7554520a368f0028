#include "stepd/http/outbound_policy.h"

#include <gtest/gtest.h>

namespace stepd::http {
namespace {

namespace ip = boost::asio::ip;

std::vector<ip::address> Addresses(std::initializer_list<const char*> texts) {
  std::vector<ip::address> out;
  for (const char* t : texts) out.push_back(ip::make_address(t));
  return out;
}

OutboundPolicy Make(OutboundPolicyOptions options) {
  auto policy = OutboundPolicy::Create(options);
  EXPECT_TRUE(policy.ok()) << policy.status();
  return policy.ok() ? *policy : OutboundPolicy();
}

TEST(OutboundPolicy, RefusesMetadataAndLinkLocalAddressesByDefault) {
  OutboundPolicy policy;
  EXPECT_EQ(policy.CheckAddresses("169.254.169.254", Addresses({"169.254.169.254"}), true),
            PermissionDeniedError("the host 169.254.169.254 (169.254.169.254) is a cloud "
                                  "metadata address, refused by the outbound policy"));
  EXPECT_EQ(policy.CheckAddresses("fd00:ec2::254", Addresses({"fd00:ec2::254"}), true),
            PermissionDeniedError("the host fd00:ec2::254 (fd00:ec2::254) is a cloud metadata "
                                  "address, refused by the outbound policy"));
  EXPECT_EQ(policy.CheckAddresses("100.100.100.200", Addresses({"100.100.100.200"}), true).code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(policy.CheckAddresses("ecs.internal", Addresses({"169.254.170.2"}), true),
            PermissionDeniedError("the host ecs.internal (169.254.170.2) is a link-local address, "
                                  "refused by the outbound policy"));
  EXPECT_EQ(policy.CheckAddresses("v6", Addresses({"fe80::1"}), true).code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(policy.CheckAddresses("zero", Addresses({"0.0.0.0"}), true),
            PermissionDeniedError("the host zero (0.0.0.0) is an unspecified address, refused by "
                                  "the outbound policy"));
}

TEST(OutboundPolicy, ANameThatResolvesToTheMetadataServiceIsRefusedLikeTheAddress) {
  OutboundPolicy policy;
  EXPECT_EQ(policy.CheckAddresses("metadata.google.internal", Addresses({"169.254.169.254"}), true),
            PermissionDeniedError("the host metadata.google.internal (169.254.169.254) is a cloud "
                                  "metadata address, refused by the outbound policy"));
  // One bad address among good ones is enough.
  EXPECT_EQ(
      policy.CheckAddresses("mixed", Addresses({"93.184.216.34", "169.254.169.254"}), true).code(),
      StatusCode::kPermissionDenied);
}

TEST(OutboundPolicy, MappedAndNat64FormsAreCheckedAsTheIpv4AddressTheyCarry) {
  OutboundPolicy policy;
  EXPECT_EQ(policy.CheckAddresses("m", Addresses({"::ffff:169.254.169.254"}), true),
            PermissionDeniedError("the host m (169.254.169.254) is a cloud metadata address, "
                                  "refused by the outbound policy"));
  EXPECT_EQ(policy.CheckAddresses("n", Addresses({"64:ff9b::a9fe:a9fe"}), true).code(),
            StatusCode::kPermissionDenied);
  EXPECT_TRUE(policy.CheckAddresses("l", Addresses({"::ffff:127.0.0.1"}), false).ok());
}

TEST(OutboundPolicy, LoopbackAndPrivateNetworksAreAllowedByDefault) {
  OutboundPolicy policy;
  EXPECT_TRUE(policy.CheckHost("localhost").ok());
  EXPECT_TRUE(policy.CheckAddresses("localhost", Addresses({"127.0.0.1", "::1"}), true).ok());
  EXPECT_TRUE(policy.CheckAddresses("db.internal", Addresses({"10.1.2.3"}), true).ok());
}

TEST(OutboundPolicy, AllowLinkLocalLetsMetadataAddressesThrough) {
  OutboundPolicy policy = Make({.allow_link_local = true});
  EXPECT_TRUE(policy.CheckAddresses("m", Addresses({"169.254.169.254"}), true).ok());
}

TEST(OutboundPolicy, PlainHttpGoesToLoopbackOnlyByDefault) {
  OutboundPolicy policy;
  EXPECT_TRUE(policy.CheckAddresses("127.0.0.1", Addresses({"127.0.0.1"}), false).ok());
  EXPECT_EQ(policy.CheckAddresses("api.example.com", Addresses({"93.184.216.34"}), false),
            PermissionDeniedError("the host api.example.com (93.184.216.34): plain http:// is "
                                  "refused by the outbound policy (use https://; http:// is "
                                  "allowed to loopback only)"));
  EXPECT_TRUE(Make({.plain_http = PlainHttp::kAlways})
                  .CheckAddresses("api.example.com", Addresses({"93.184.216.34"}), false)
                  .ok());
  EXPECT_EQ(Make({.plain_http = PlainHttp::kNever})
                .CheckAddresses("127.0.0.1", Addresses({"127.0.0.1"}), false),
            PermissionDeniedError("the host 127.0.0.1 (127.0.0.1): plain http:// is refused by "
                                  "the outbound policy (use https://)"));
}

TEST(OutboundPolicy, DenyListRefusesNamesSuffixesAddressesAndBlocks) {
  OutboundPolicy policy =
      Make({.deny_hosts = {"Evil.Example.com.", "*.internal", "10.0.0.0/8", "::1", "localhost"}});
  EXPECT_EQ(
      policy.CheckHost("evil.example.com"),
      PermissionDeniedError("the host evil.example.com is refused by the outbound deny list"));
  EXPECT_EQ(policy.CheckHost("db.corp.internal").code(), StatusCode::kPermissionDenied);
  EXPECT_TRUE(policy.CheckHost("internal").ok());  // the suffix names subdomains only
  EXPECT_EQ(policy.CheckHost("LOCALHOST").code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(policy.CheckAddresses("db", Addresses({"10.200.0.1"}), true),
            PermissionDeniedError("the host db (10.200.0.1) is refused by the outbound deny list"));
  EXPECT_EQ(policy.CheckAddresses("v6", Addresses({"::1"}), true).code(),
            StatusCode::kPermissionDenied);
  EXPECT_TRUE(policy.CheckAddresses("ok", Addresses({"11.0.0.1"}), true).ok());
}

TEST(OutboundPolicy, AllowListLetsInNamedHostsOrCoveredAddressesOnly) {
  OutboundPolicy policy =
      Make({.allow_hosts = {"api.example.com", "*.partner.net", "127.0.0.0/8"}});
  EXPECT_TRUE(policy.CheckAddresses("api.example.com", Addresses({"93.184.216.34"}), true).ok());
  EXPECT_TRUE(policy.CheckAddresses("x.partner.net", Addresses({"1.2.3.4"}), true).ok());
  EXPECT_TRUE(policy.CheckAddresses("localhost", Addresses({"127.0.0.1"}), true).ok());
  EXPECT_EQ(
      policy.CheckAddresses("other.com", Addresses({"1.2.3.4"}), true),
      PermissionDeniedError("the host other.com (1.2.3.4) is not in the outbound allow list"));
}

TEST(OutboundPolicy, AnAllowedNameStillCannotReachTheMetadataService) {
  OutboundPolicy policy = Make({.allow_hosts = {"api.example.com"}});
  EXPECT_EQ(policy.CheckAddresses("api.example.com", Addresses({"169.254.169.254"}), true).code(),
            StatusCode::kPermissionDenied);
}

TEST(OutboundPolicy, DenyWinsOverAllow) {
  OutboundPolicy policy =
      Make({.allow_hosts = {"*.example.com"}, .deny_hosts = {"bad.example.com"}});
  EXPECT_EQ(policy.CheckHost("bad.example.com").code(), StatusCode::kPermissionDenied);
}

TEST(OutboundPolicy, MalformedEntriesAreRefusedNamingThem) {
  for (const char* entry : {"10.0.0.0/33", "::/129", "bad host", "*.", "a..b", "10.0.0.0/x", ""}) {
    EXPECT_EQ(OutboundPolicy::Create({.deny_hosts = {entry}}).status(),
              InvalidArgumentError("invalid host entry \"" + std::string(entry) +
                                   "\" (want a host name, *.suffix, an IP address or a CIDR "
                                   "block)"))
        << entry;
  }
}

TEST(OutboundPolicy, MappedCidrBlocksCoverTheirIpv4Addresses) {
  OutboundPolicy policy = Make({.deny_hosts = {"::ffff:10.0.0.0/104"}});
  EXPECT_EQ(policy.CheckAddresses("db", Addresses({"10.9.9.9"}), true).code(),
            StatusCode::kPermissionDenied);
  EXPECT_TRUE(policy.CheckAddresses("ok", Addresses({"11.0.0.1"}), true).ok());
}

TEST(OutboundPolicy, AHostThatResolvedToNothingIsRefused) {
  OutboundPolicy policy;
  EXPECT_EQ(policy.CheckAddresses("void", {}, true),
            PermissionDeniedError("the host void resolved to no address"));
}

}  // namespace
}  // namespace stepd::http
