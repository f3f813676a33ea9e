#include "app/services/paging.hpp"

#include <charconv>

namespace kemas::app {

result<unsigned> parse_page_limit(const std::optional<std::string>& text, unsigned default_limit,
                                  unsigned max_limit) {
  if (!text)
    return default_limit;
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc{} || end != text->data() + text->size() || value < 1 ||
      value > max_limit) {
    return make_error(errc::validation_failed,
                      "limit must be an integer from 1 to " + std::to_string(max_limit), "limit");
  }
  return value;
}

std::string format_time_position(std::int64_t created_us, const uuid& id) {
  return std::to_string(created_us) + ":" + id.to_string();
}

std::optional<time_position> parse_time_position(std::string_view text) {
  const auto colon = text.find(':');
  if (colon == std::string_view::npos)
    return std::nullopt;
  time_position pos;
  const auto us = text.substr(0, colon);
  auto [end, ec] = std::from_chars(us.data(), us.data() + us.size(), pos.created_us);
  auto id = uuid::parse(text.substr(colon + 1));
  // PostgreSQL's timestamptz reaches year 294276; a cursor only ever holds times kemas wrote,
  // so anything outside 1970..9999 was made up and is refused here rather than by the server.
  constexpr std::int64_t year_10000_us = 253'402'300'800'000'000;
  if (ec != std::errc{} || end != us.data() + us.size() || !id || pos.created_us < 0 ||
      pos.created_us >= year_10000_us)
    return std::nullopt;
  pos.id = *id;
  return pos;
}

}  // namespace kemas::app
