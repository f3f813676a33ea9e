#include "app/server/client_ip.hpp"
#include "domain/text.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <stdexcept>

namespace kemas::http {
namespace {

constexpr std::size_t max_address_text = 64;  // longest IPv6 text is 45 characters

// Plain address text only (no brackets, port or zone), through inet_pton.
std::optional<ip_address> parse_plain(std::string_view text) {
  if (text.empty() || text.size() > max_address_text)
    return std::nullopt;
  const std::string z(text);  // inet_pton wants a terminated string
  ip_address out;
  if (text.find(':') == std::string_view::npos) {
    if (inet_pton(AF_INET, z.c_str(), out.bytes.data() + 12) != 1)
      return std::nullopt;
    out.bytes[10] = 0xff;
    out.bytes[11] = 0xff;
    out.v4 = true;
    return out;
  }
  if (inet_pton(AF_INET6, z.c_str(), out.bytes.data()) != 1)
    return std::nullopt;
  out.v4 = std::all_of(out.bytes.begin(), out.bytes.begin() + 10, [](auto b) { return b == 0; }) &&
           out.bytes[10] == 0xff && out.bytes[11] == 0xff;
  return out;
}

bool is_port(std::string_view text) {
  unsigned port = 0;
  const auto* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, port);
  return !text.empty() && text.size() <= 5 && ec == std::errc{} && ptr == end && port <= 65535 &&
         text.front() != '+';
}

}  // namespace

std::optional<ip_address> ip_address::parse(std::string_view text) {
  if (text.size() > max_address_text)
    return std::nullopt;
  if (text.starts_with('[')) {  // [v6] or [v6]:port
    const auto close = text.find(']');
    if (close == std::string_view::npos)
      return std::nullopt;
    const auto rest = text.substr(close + 1);
    if (!rest.empty() && !(rest.front() == ':' && is_port(rest.substr(1))))
      return std::nullopt;
    const auto inner = text.substr(1, close - 1);
    if (inner.find(':') == std::string_view::npos)
      return std::nullopt;  // [1.2.3.4] is not a form
    return parse_plain(inner);
  }
  if (std::count(text.begin(), text.end(), ':') == 1) {  // v4:port
    const auto colon = text.find(':');
    if (!is_port(text.substr(colon + 1)))
      return std::nullopt;
    const auto host = text.substr(0, colon);
    if (host.find(':') != std::string_view::npos)
      return std::nullopt;
    return parse_plain(host);
  }
  return parse_plain(text);
}

std::string ip_address::to_string() const {
  char buffer[INET6_ADDRSTRLEN] = {};
  const char* ok = v4 ? inet_ntop(AF_INET, bytes.data() + 12, buffer, sizeof buffer)
                      : inet_ntop(AF_INET6, bytes.data(), buffer, sizeof buffer);
  return ok ? std::string(buffer) : std::string();
}

std::string rate_limit_source(std::string_view client_ip) {
  const auto parsed = ip_address::parse(client_ip);
  if (!parsed)
    return std::string(client_ip);
  if (parsed->v4)
    return parsed->to_string();
  ip_address network = *parsed;
  std::fill(network.bytes.begin() + 8, network.bytes.end(), std::uint8_t{0});
  return network.to_string() + "/64";
}

trusted_proxies::trusted_proxies(const std::vector<std::string>& entries) {
  for (const auto& entry : entries) {
    const std::string_view text = entry;
    const auto slash = text.find('/');
    const auto address = text.substr(0, slash);
    const auto parsed = parse_plain(address);
    // A v4 prefix counts bits of the last 32; a prefix written on a v6 literal (even a
    // v4-mapped one) counts all 128.
    const bool v4_text = address.find(':') == std::string_view::npos;
    unsigned prefix = v4_text ? 32 : 128;
    bool valid = parsed.has_value();
    if (valid && slash != std::string_view::npos) {
      const auto digits = text.substr(slash + 1);
      auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
      valid = !digits.empty() && ec == std::errc{} && ptr == digits.data() + digits.size() &&
              prefix <= (v4_text ? 32u : 128u);
    }
    if (!valid)
      throw std::invalid_argument("trusted proxy is not an address or network: " + entry);
    network n;
    n.bytes = parsed->bytes;
    n.prefix_bits = v4_text ? prefix + 96 : prefix;
    // Clear host bits so "10.1.2.3/8" means 10.0.0.0/8.
    for (unsigned bit = n.prefix_bits; bit < 128; ++bit) {
      n.bytes[bit / 8] = static_cast<std::uint8_t>(n.bytes[bit / 8] & ~(0x80u >> (bit % 8)));
    }
    networks_.push_back(n);
  }
}

bool trusted_proxies::contains(const ip_address& ip) const noexcept {
  return std::any_of(networks_.begin(), networks_.end(), [&ip](const network& n) {
    const unsigned whole = n.prefix_bits / 8;
    if (!std::equal(n.bytes.begin(), n.bytes.begin() + whole, ip.bytes.begin()))
      return false;
    const unsigned rest = n.prefix_bits % 8;
    if (rest == 0)
      return true;
    const auto mask = static_cast<std::uint8_t>(0xffu << (8 - rest));
    return (ip.bytes[whole] & mask) == n.bytes[whole];
  });
}

bool trusted_proxies::contains(std::string_view ip) const {
  const auto parsed = ip_address::parse(ip);
  return parsed && contains(*parsed);
}

std::string client_ip(std::string_view peer_ip, std::optional<std::string_view> x_forwarded_for,
                      const trusted_proxies& proxies) {
  // Asio prints a link-local peer with its zone ("fe80::1%2"); the zone names our interface,
  // not the client.
  const auto peer = ip_address::parse(peer_ip.substr(0, peer_ip.find('%')));
  if (!peer)
    return std::string(peer_ip);
  if (!proxies.contains(*peer) || !x_forwarded_for)
    return peer->to_string();

  std::string_view rest = *x_forwarded_for;
  std::optional<ip_address> leftmost;
  while (!trim_ows(rest).empty()) {
    const auto comma = rest.rfind(',');
    const auto entry = trim_ows(comma == std::string_view::npos ? rest : rest.substr(comma + 1));
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(0, comma);
    const auto hop = ip_address::parse(entry);
    if (!hop)
      return peer->to_string();
    if (!proxies.contains(*hop))
      return hop->to_string();
    leftmost = hop;
  }
  return leftmost ? leftmost->to_string() : peer->to_string();
}

}  // namespace kemas::http
