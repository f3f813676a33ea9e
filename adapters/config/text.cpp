#include "adapters/config/text.hpp"
#include "domain/hex.hpp"

#include <algorithm>
#include <cctype>

namespace kemas::config::detail {
namespace {

std::size_t edit_distance(std::string_view a, std::string_view b) {
  // Optimal string alignment: Levenshtein plus adjacent transpositions (the common typo).
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i)
    d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j)
    d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.size()][b.size()];
}

std::string percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      int hi = hex_value(text[i + 1]);
      int lo = hex_value(text[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(text[i]);
  }
  return out;
}

struct userinfo_position {
  std::size_t start = 0;  // first character of the userinfo
  std::size_t colon = 0;  // the ':' before the password
  std::size_t at = 0;     // the '@' ending the userinfo
  bool has_password = false;
};

userinfo_position find_userinfo(std::string_view url) {
  userinfo_position pos;
  auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos)
    return pos;
  pos.start = scheme_end + 3;
  auto authority_end = url.find_first_of("/?#", pos.start);
  if (authority_end == std::string_view::npos)
    authority_end = url.size();
  auto authority = url.substr(pos.start, authority_end - pos.start);
  auto at = authority.rfind('@');
  if (at == std::string_view::npos)
    return pos;
  auto colon = authority.substr(0, at).find(':');
  if (colon == std::string_view::npos)
    return pos;
  pos.colon = pos.start + colon;
  pos.at = pos.start + at;
  pos.has_password = true;
  return pos;
}

}  // namespace

std::string closest_match(std::string_view word, const std::vector<std::string_view>& candidates) {
  std::size_t limit = word.size() < 4 ? 1 : 2;
  std::string best;
  std::size_t best_distance = limit + 1;
  for (auto candidate : candidates) {
    auto distance = edit_distance(word, candidate);
    if (distance < best_distance) {
      best_distance = distance;
      best = std::string(candidate);
    }
  }
  return best;
}

std::string did_you_mean(std::string_view word, const std::vector<std::string_view>& candidates) {
  auto match = closest_match(word, candidates);
  if (match.empty())
    return {};
  return " (did you mean \"" + match + "\"?)";
}

url_without_password split_url_password(std::string_view url) {
  auto pos = find_userinfo(url);
  if (!pos.has_password)
    return {std::string(url), std::nullopt};
  std::string stripped = std::string(url.substr(0, pos.colon)) + std::string(url.substr(pos.at));
  auto password = percent_decode(url.substr(pos.colon + 1, pos.at - pos.colon - 1));
  if (password.empty())
    return {std::move(stripped), std::nullopt};
  return {std::move(stripped), std::move(password)};
}

std::string redact_url(std::string_view url) {
  auto pos = find_userinfo(url);
  if (!pos.has_password)
    return std::string(url);
  return std::string(url.substr(0, pos.colon + 1)) + "***" + std::string(url.substr(pos.at));
}

}  // namespace kemas::config::detail
