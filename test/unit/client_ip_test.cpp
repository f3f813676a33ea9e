#include <doctest/doctest.h>

#include <stdexcept>

#include "app/server/client_ip.hpp"

using namespace kemas::http;

namespace {
std::string canonical(std::string_view text) {
  auto ip = ip_address::parse(text);
  return ip ? ip->to_string() : std::string("<invalid>");
}
}  // namespace

TEST_CASE("addresses parse and print in canonical form") {
  CHECK(canonical("1.2.3.4") == "1.2.3.4");
  CHECK(canonical("::ffff:1.2.3.4") == "1.2.3.4");  // v4-mapped is IPv4
  CHECK(canonical("::FFFF:10.0.0.1") == "10.0.0.1");
  CHECK(canonical("2001:DB8:0:0:0:0:0:1") == "2001:db8::1");
  CHECK(canonical("::1") == "::1");
  CHECK(canonical("[2001:db8::1]") == "2001:db8::1");
  CHECK(canonical("[2001:db8::1]:8443") == "2001:db8::1");
  CHECK(canonical("1.2.3.4:80") == "1.2.3.4");
  CHECK(ip_address::parse("1.2.3.4")->v4);
  CHECK_FALSE(ip_address::parse("2001:db8::1")->v4);
}

TEST_CASE("malformed addresses are refused") {
  for (const char* bad : {"", "unknown", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4x", " 1.2.3.4",
                          "1.2.3.4:", "1.2.3.4:99999", "1.2.3.4:+80", "[1.2.3.4]", "[::1", "[::1]x",
                          "[::1]:", "2001:db8::g", "fe80::1%eth0", "_hidden", "1.2.3.4/8"}) {
    CAPTURE(bad);
    CHECK_FALSE(ip_address::parse(bad).has_value());
  }
  CHECK_FALSE(ip_address::parse(std::string(100, '1')).has_value());
}

TEST_CASE("trusted proxies match addresses and networks of both families") {
  trusted_proxies proxies({"10.0.0.0/8", "192.168.1.7", "fd00::/8", "::1", "172.16.5.9/12"});
  CHECK(proxies.contains("10.1.2.3"));
  CHECK(proxies.contains("::ffff:10.200.0.1"));  // v4-mapped form of a v4 network member
  CHECK(proxies.contains("192.168.1.7"));
  CHECK_FALSE(proxies.contains("192.168.1.8"));
  CHECK_FALSE(proxies.contains("11.0.0.1"));
  CHECK(proxies.contains("fd12:3456::1"));
  CHECK_FALSE(proxies.contains("fe00::1"));
  CHECK(proxies.contains("::1"));
  CHECK_FALSE(proxies.contains("::2"));
  CHECK(proxies.contains("172.31.255.255"));  // host bits of the entry are ignored
  CHECK_FALSE(proxies.contains("172.32.0.0"));
  CHECK_FALSE(proxies.contains("not an ip"));
  CHECK_FALSE(trusted_proxies{}.contains("127.0.0.1"));
}

TEST_CASE("odd prefix lengths and the whole space") {
  trusted_proxies odd({"192.168.0.0/23", "2001:db8::/33"});
  CHECK(odd.contains("192.168.1.255"));
  CHECK_FALSE(odd.contains("192.168.2.0"));
  CHECK(odd.contains("2001:db8:7fff::1"));
  CHECK_FALSE(odd.contains("2001:db8:8000::1"));
  trusted_proxies all({"0.0.0.0/0"});
  CHECK(all.contains("203.0.113.9"));
  CHECK_FALSE(all.contains("2001:db8::1"));  // an IPv4 network holds no IPv6 address
  trusted_proxies v6all({"::/0"});
  CHECK(v6all.contains("2001:db8::1"));
  CHECK(v6all.contains("203.0.113.9"));  // mapped addresses live inside ::/0
}

TEST_CASE("a bad trusted proxy entry is a programming error") {
  CHECK_THROWS_AS(trusted_proxies({"10.0.0.0/33"}), std::invalid_argument);
  CHECK_THROWS_AS(trusted_proxies({"nope"}), std::invalid_argument);
  CHECK_THROWS_AS(trusted_proxies({"10.0.0.0/"}), std::invalid_argument);
  CHECK_THROWS_AS(trusted_proxies({"::/129"}), std::invalid_argument);
}

TEST_CASE("an untrusted peer is the client whatever X-Forwarded-For says") {
  trusted_proxies proxies({"10.0.0.0/8"});
  CHECK(client_ip("203.0.113.5", std::string_view("1.1.1.1"), proxies) == "203.0.113.5");
  CHECK(client_ip("203.0.113.5", std::nullopt, proxies) == "203.0.113.5");
  CHECK(client_ip("::ffff:203.0.113.5", std::nullopt, proxies) == "203.0.113.5");
  CHECK(client_ip("203.0.113.5", std::string_view("10.0.0.1"), trusted_proxies{}) == "203.0.113.5");
}

TEST_CASE("behind trusted proxies the right-most untrusted hop is the client") {
  trusted_proxies proxies({"10.0.0.0/8", "2001:db8:ffff::/48"});
  // The client forged the first entry; our proxies appended the real one on the right.
  CHECK(client_ip("10.0.0.1", std::string_view("6.6.6.6, 198.51.100.7"), proxies) == "198.51.100.7");
  CHECK(client_ip("10.0.0.1", std::string_view("6.6.6.6, 198.51.100.7, 10.0.0.2"), proxies) ==
        "198.51.100.7");
  CHECK(client_ip("10.0.0.1", std::string_view("198.51.100.7,10.9.9.9,  10.0.0.2 "), proxies) ==
        "198.51.100.7");
  CHECK(client_ip("::ffff:10.0.0.1", std::string_view("2001:DB8::7"), proxies) == "2001:db8::7");
  CHECK(client_ip("2001:db8:ffff::1", std::string_view("[2001:db8::9]:5555"), proxies) == "2001:db8::9");
  CHECK(client_ip("10.0.0.1", std::string_view("::ffff:198.51.100.7"), proxies) == "198.51.100.7");
}

TEST_CASE("without a usable X-Forwarded-For a trusted peer stays the client") {
  trusted_proxies proxies({"10.0.0.0/8"});
  CHECK(client_ip("10.0.0.1", std::nullopt, proxies) == "10.0.0.1");
  CHECK(client_ip("10.0.0.1", std::string_view(""), proxies) == "10.0.0.1");
  CHECK(client_ip("10.0.0.1", std::string_view("   "), proxies) == "10.0.0.1");
}

TEST_CASE("a malformed entry stops the walk at the peer") {
  trusted_proxies proxies({"10.0.0.0/8"});
  CHECK(client_ip("10.0.0.1", std::string_view("198.51.100.7, unknown"), proxies) == "10.0.0.1");
  CHECK(client_ip("10.0.0.1", std::string_view("198.51.100.7, 10.0.0.5, garbage"), proxies) == "10.0.0.1");
  CHECK(client_ip("10.0.0.1", std::string_view("198.51.100.7,,10.0.0.5"), proxies) == "10.0.0.1");
  CHECK(client_ip("10.0.0.1", std::string_view("198.51.100.7,"), proxies) == "10.0.0.1");
  // Garbage to the left of the first untrusted hop is never looked at.
  CHECK(client_ip("10.0.0.1", std::string_view("garbage, 198.51.100.7"), proxies) == "198.51.100.7");
}

TEST_CASE("a chain of trusted hops only yields its left-most address") {
  trusted_proxies proxies({"10.0.0.0/8"});
  CHECK(client_ip("10.0.0.1", std::string_view("10.0.0.9, 10.0.0.5"), proxies) == "10.0.0.9");
}

TEST_CASE("a peer that is not an address is passed through and never trusted") {
  trusted_proxies proxies({"0.0.0.0/0", "::/0"});
  CHECK(client_ip("unknown", std::string_view("198.51.100.7"), proxies) == "unknown");
  // A zone on a link-local peer names our interface, not the client.
  CHECK(client_ip("fe80::1%2", std::nullopt, trusted_proxies{}) == "fe80::1");
}

TEST_CASE("clients are limited by IPv4 address and by IPv6 /64") {
  CHECK(rate_limit_source("203.0.113.9") == "203.0.113.9");
  CHECK(rate_limit_source("::ffff:203.0.113.9") == "203.0.113.9");
  CHECK(rate_limit_source("2001:db8:1:2::1") == "2001:db8:1:2::/64");
  CHECK(rate_limit_source("2001:db8:1:2:ffff:ffff:ffff:ffff") == "2001:db8:1:2::/64");
  CHECK(rate_limit_source("2001:DB8:1:3::1") == "2001:db8:1:3::/64");
  CHECK(rate_limit_source("::1") == "::/64");
  CHECK(rate_limit_source("unknown") == "unknown");  // not an address: as it is
}
