#pragma once
// Which address a request comes from, for rate limits, lock-outs and the audit trail.
// The socket's peer is the truth unless that peer is one of our own reverse proxies; only
// then is X-Forwarded-For believed, and only as far as the chain of trusted proxies goes
// (walked from the right, the end our proxies appended to; RFC 7239 section 5.2 practice).
// Anything to the left of the first untrusted hop was written by the client and is ignored.
//
// Addresses are parsed with inet_pton; IPv4-mapped IPv6 (::ffff:1.2.3.4, what a dual-stack
// socket reports for IPv4 clients) is treated as, and printed as, plain IPv4, so one client
// has one rate-limit key whatever the listener's address family.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kemas::http {

// An address as 16 bytes (IPv4 stored IPv4-mapped) with its canonical text form.
struct ip_address {
  std::array<std::uint8_t, 16> bytes{};
  bool v4 = false;  // true for IPv4 and IPv4-mapped IPv6

  // Accepts "1.2.3.4", "2001:db8::1", "::ffff:1.2.3.4"; also "[2001:db8::1]",
  // "[2001:db8::1]:443" and "1.2.3.4:80" as some proxies append ports. No zone ids.
  static std::optional<ip_address> parse(std::string_view text);
  // "1.2.3.4" for IPv4 (mapped or not), RFC 5952 lower-case compressed form for IPv6.
  std::string to_string() const;
};

// The configured proxies: addresses or CIDR networks, IPv4 or IPv6, e.g. "10.0.0.0/8",
// "::1", "fd00::/8". Immutable after construction; safe to share between threads.
class trusted_proxies {
 public:
  trusted_proxies() = default;
  // Entries were validated by the config loader; an entry that still does not parse is a
  // programming error: throws std::invalid_argument naming it.
  explicit trusted_proxies(const std::vector<std::string>& entries);

  // False for text that is not an address.
  bool contains(std::string_view ip) const;
  bool contains(const ip_address& ip) const noexcept;
  bool empty() const noexcept { return networks_.empty(); }

 private:
  struct network {
    std::array<std::uint8_t, 16> bytes{};
    unsigned prefix_bits = 128;
  };
  std::vector<network> networks_;
};

// The client's address (canonical text, see ip_address::to_string):
// - the peer, unless the peer is a trusted proxy;
// - else the right-most X-Forwarded-For entry that is not a trusted proxy;
// - the left-most entry when every entry is trusted (a request from inside);
// - the peer when the header is absent or empty, or when the walk meets a malformed entry
//   before an untrusted one (a broken chain proves nothing).
// A peer that is not an address (e.g. "unknown") is returned unchanged and never trusted.
// Several X-Forwarded-For header lines must be joined with ", " by the caller, in order.
std::string client_ip(std::string_view peer_ip, std::optional<std::string_view> x_forwarded_for,
                      const trusted_proxies& proxies);

// The key a client is limited under (rate limits, failed logins): an IPv4 address as it is,
// an IPv6 address by its /64 ("2001:db8:1:2::/64"), since one subscriber usually holds a
// whole /64 and could otherwise take a fresh address for every attempt. Text that is not an
// address is returned unchanged.
std::string rate_limit_source(std::string_view client_ip);

}  // namespace kemas::http
