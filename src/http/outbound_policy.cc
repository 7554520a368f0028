#include "stepd/http/outbound_policy.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>

namespace stepd::http {
namespace {

namespace ip = boost::asio::ip;

std::string Lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// "Example.COM." -> "example.com".
std::string NormalizeName(std::string_view host) {
  std::string name = Lower(host);
  if (!name.empty() && name.back() == '.') name.pop_back();
  return name;
}

bool IsHostName(std::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.' && c != '_') {
      return false;
    }
  }
  return name.front() != '.' && name.find("..") == std::string_view::npos;
}

// The IPv4 address an IPv4-mapped or NAT64 IPv6 address carries; otherwise
// the address itself.
ip::address Unmap(const ip::address& address) {
  if (!address.is_v6()) return address;
  const ip::address_v6 v6 = address.to_v6();
  if (v6.is_v4_mapped()) return ip::make_address_v4(ip::v4_mapped, v6);
  const ip::address_v6::bytes_type b = v6.to_bytes();
  static constexpr std::array<unsigned char, 12> kNat64 = {0x00, 0x64, 0xff, 0x9b};
  if (std::equal(kNat64.begin(), kNat64.end(), b.begin())) {
    return ip::address_v4(ip::address_v4::bytes_type{b[12], b[13], b[14], b[15]});
  }
  return address;
}

bool InBlock(const ip::address& address, const ip::address& network, int prefix) {
  if (address.is_v4() != network.is_v4()) return false;
  auto compare = [prefix](const auto& a, const auto& n) {
    int bits = prefix;
    for (size_t i = 0; i < a.size() && bits > 0; ++i, bits -= 8) {
      const unsigned mask = bits >= 8 ? 0xffu : (0xffu << (8 - bits)) & 0xffu;
      if ((a[i] & mask) != (n[i] & mask)) return false;
    }
    return true;
  };
  if (address.is_v4()) return compare(address.to_v4().to_bytes(), network.to_v4().to_bytes());
  return compare(address.to_v6().to_bytes(), network.to_v6().to_bytes());
}

struct Range {
  const char* network;
  int prefix;
  const char* what;
};

// Refused unless allow_link_local.
constexpr std::array<Range, 10> kLinkLocal = {{
    {"169.254.169.254", 32, "a cloud metadata address"},
    {"fd00:ec2::254", 128, "a cloud metadata address"},
    {"fd20:ce::254", 128, "a cloud metadata address"},
    {"100.100.100.200", 32, "a cloud metadata address"},
    {"192.0.0.192", 32, "a cloud metadata address"},
    {"168.63.129.16", 32, "a cloud host agent address"},
    {"169.254.0.0", 16, "a link-local address"},
    {"fe80::", 10, "a link-local address"},
    {"0.0.0.0", 8, "an unspecified address"},
    {"::", 128, "an unspecified address"},
}};

}  // namespace

bool OutboundPolicy::Rules::Names(std::string_view host) const {
  const std::string name = NormalizeName(host);
  if (std::find(names.begin(), names.end(), name) != names.end()) return true;
  return std::any_of(suffixes.begin(), suffixes.end(), [&](const std::string& s) {
    return name.size() > s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0;
  });
}

bool OutboundPolicy::Rules::Covers(const ip::address& address) const {
  const ip::address a = Unmap(address);
  return std::any_of(blocks.begin(), blocks.end(),
                     [&](const Block& b) { return InBlock(a, b.network, b.prefix); });
}

OutboundPolicy::OutboundPolicy() = default;

Status OutboundPolicy::AddEntry(const std::string& entry, Rules* rules) {
  const auto invalid = [&entry] {
    return InvalidArgumentError("invalid host entry \"" + entry +
                                "\" (want a host name, *.suffix, an IP address or a CIDR block)");
  };
  std::string_view text = entry;
  boost::system::error_code ec;
  if (size_t slash = text.find('/'); slash != std::string_view::npos) {
    ip::address network = ip::make_address(std::string(text.substr(0, slash)), ec);
    std::string_view bits = text.substr(slash + 1);
    int prefix = -1;
    auto [end, parse_ec] = std::from_chars(bits.data(), bits.data() + bits.size(), prefix);
    const int max = network.is_v4() ? 32 : 128;
    if (ec || parse_ec != std::errc() || end != bits.data() + bits.size() || prefix < 0 ||
        prefix > max) {
      return invalid();
    }
    const ip::address unmapped = Unmap(network);
    if (unmapped.is_v4() && network.is_v6()) {  // ::ffff:10.0.0.0/104 is 10.0.0.0/8
      if (prefix < 96) return invalid();
      prefix -= 96;
    }
    rules->blocks.push_back({unmapped, prefix});
    return Status::OK();
  }
  ip::address address = ip::make_address(entry, ec);
  if (!ec) {
    const ip::address unmapped = Unmap(address);
    rules->blocks.push_back({unmapped, unmapped.is_v4() ? 32 : 128});
    return Status::OK();
  }
  if (text.rfind("*.", 0) == 0) {
    std::string parent = NormalizeName(text.substr(2));
    if (!IsHostName(parent)) return invalid();
    rules->suffixes.push_back("." + parent);
    return Status::OK();
  }
  std::string name = NormalizeName(text);
  if (!IsHostName(name)) return invalid();
  rules->names.push_back(std::move(name));
  return Status::OK();
}

StatusOr<OutboundPolicy> OutboundPolicy::Create(const OutboundPolicyOptions& options) {
  OutboundPolicy policy;
  for (const std::string& entry : options.allow_hosts) {
    STEPD_RETURN_IF_ERROR(AddEntry(entry, &policy.allow_));
  }
  for (const std::string& entry : options.deny_hosts) {
    STEPD_RETURN_IF_ERROR(AddEntry(entry, &policy.deny_));
  }
  policy.allow_all_ = options.allow_hosts.empty();
  policy.allow_link_local_ = options.allow_link_local;
  policy.plain_http_ = options.plain_http;
  return policy;
}

Status OutboundPolicy::CheckHost(std::string_view host) const {
  if (deny_.Names(host)) {
    return PermissionDeniedError("the host " + std::string(host) +
                                 " is refused by the outbound deny list");
  }
  return Status::OK();
}

Status OutboundPolicy::CheckAddresses(std::string_view host,
                                      const std::vector<ip::address>& addresses, bool tls) const {
  const std::string who = "the host " + std::string(host);
  if (addresses.empty()) return PermissionDeniedError(who + " resolved to no address");
  for (const ip::address& address : addresses) {
    const ip::address a = Unmap(address);
    const std::string at = who + " (" + a.to_string() + ")";
    if (deny_.Covers(a)) return PermissionDeniedError(at + " is refused by the outbound deny list");
    if (!allow_link_local_) {
      for (const Range& range : kLinkLocal) {
        if (InBlock(a, ip::make_address(range.network), range.prefix)) {
          return PermissionDeniedError(at + " is " + range.what +
                                       ", refused by the outbound policy");
        }
      }
    }
    if (!allow_all_ && !allow_.Names(host) && !allow_.Covers(a)) {
      return PermissionDeniedError(at + " is not in the outbound allow list");
    }
    if (!tls && plain_http_ != PlainHttp::kAlways &&
        !(plain_http_ == PlainHttp::kLoopback && IsLoopback(a))) {
      return PermissionDeniedError(
          at + ": plain http:// is refused by the outbound policy (use https://" +
          (plain_http_ == PlainHttp::kLoopback ? "; http:// is allowed to loopback only)" : ")"));
    }
  }
  return Status::OK();
}

bool OutboundPolicy::IsLoopback(const ip::address& address) { return Unmap(address).is_loopback(); }

}  // namespace stepd::http
