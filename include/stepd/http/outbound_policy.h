#pragma once
// OutboundPolicy: which hosts and addresses stepd's outbound HTTP client may
// reach (HTTP tasks, and any other call the server makes on a workflow's
// behalf). A workflow author chooses the URL, so without a policy any
// definition could read the cloud metadata service or probe the network
// stepd runs in.
//
// The rules, checked in this order:
//   1. The host as written in the URL: a deny_hosts entry naming it refuses
//      the request; with a non-empty allow_hosts, a host that no entry names
//      must be let in by its addresses (rule 3).
//   2. The host is resolved, and every address it resolves to is checked
//      (so a name that resolves to 169.254.169.254 is refused like the
//      literal): an address deny_hosts covers is refused; link-local
//      (169.254.0.0/16, fe80::/10), cloud metadata (169.254.169.254,
//      fd00:ec2::254, 100.100.100.200, 192.0.0.192) and unspecified
//      (0.0.0.0/8, ::) addresses are refused unless allow_link_local.
//   3. With a non-empty allow_hosts, a host not named by it passes only when
//      every address is covered by an address entry.
//   4. Plain http:// is allowed to loopback addresses only (plain_http).
// The client connects only to the addresses it checked, so a name whose DNS
// answer changes in between cannot slip past (no second resolution).
// IPv4-mapped (::ffff:a.b.c.d) and NAT64 (64:ff9b::a.b.c.d) addresses are
// checked as the IPv4 address they carry.
//
// Entries of allow_hosts and deny_hosts:
//   "api.example.com"   that host name exactly (case-insensitive)
//   "*.example.com"     any name ending in ".example.com" (not the apex)
//   "10.1.2.3", "::1"   that address
//   "10.0.0.0/8"        the addresses of a CIDR block (IPv4 or IPv6)
//
// Loopback and private networks are allowed by default: stepd is
// self-hosted and usually calls services beside it. Refuse them with
// deny_hosts, e.g. ["127.0.0.0/8", "::1", "localhost", "10.0.0.0/8"].
//
// Thread-safety: a built policy is immutable; its checks may run on any
// thread at once.

#include <boost/asio/ip/address.hpp>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "stepd/base/status_or.h"

namespace stepd::http {

// When plain http:// (no TLS) may be used.
enum class PlainHttp {
  kNever,     // https:// only, as on AWS
  kLoopback,  // http:// to loopback addresses (127.0.0.0/8, ::1) only
  kAlways,    // http:// anywhere the policy allows
};

struct OutboundPolicyOptions {
  // Hosts requests may go to (see the entry forms above). Default empty:
  // every host the other rules allow.
  std::vector<std::string> allow_hosts{};
  // Hosts and addresses requests may never go to. Wins over allow_hosts.
  // Default empty.
  std::vector<std::string> deny_hosts{};
  // Let requests reach link-local, cloud metadata and unspecified addresses.
  // Default false.
  bool allow_link_local = false;
  // Default kLoopback.
  PlainHttp plain_http = PlainHttp::kLoopback;
};

class OutboundPolicy {
 public:
  // A policy that refuses only what the defaults refuse.
  OutboundPolicy();
  // INVALID_ARGUMENT naming the first entry that is neither a host name, a
  // "*.suffix", an address nor a CIDR block.
  static StatusOr<OutboundPolicy> Create(const OutboundPolicyOptions& options);

  // Rule 1, before resolving `host` (a name or an address literal, without
  // brackets). PERMISSION_DENIED with the reason.
  Status CheckHost(std::string_view host) const;
  // Rules 2 to 4 for the addresses `host` resolved to (an address literal
  // resolves to itself). `tls`: the request uses https://. PERMISSION_DENIED
  // naming the host, the refused address and the rule.
  Status CheckAddresses(std::string_view host,
                        const std::vector<boost::asio::ip::address>& addresses, bool tls) const;

  // True for 127.0.0.0/8, ::1, and their IPv4-mapped forms.
  static bool IsLoopback(const boost::asio::ip::address& address);

 private:
  struct Block {
    boost::asio::ip::address network;  // IPv4 or IPv6 (never mapped)
    int prefix = 0;                    // bits
  };
  struct Rules {
    std::vector<std::string> names;     // lower-case, exact
    std::vector<std::string> suffixes;  // lower-case, with the leading '.'
    std::vector<Block> blocks;
    bool Names(std::string_view host) const;
    bool Covers(const boost::asio::ip::address& address) const;
  };
  static Status AddEntry(const std::string& entry, Rules* rules);

  Rules allow_;
  Rules deny_;
  bool allow_all_ = true;  // allow_hosts was empty
  bool allow_link_local_ = false;
  PlainHttp plain_http_ = PlainHttp::kLoopback;
};

}  // namespace stepd::http
