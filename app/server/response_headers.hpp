#pragma once
// Headers every response carries: X-Request-Id and the security headers.
// Internal to app/server (includes Beast).

#include <boost/beast/http/fields.hpp>
#include <boost/beast/http/message.hpp>

#include <string_view>

#include "adapters/config/settings.hpp"

namespace kemas::http {

void apply_common_headers(boost::beast::http::response_header<>& h, std::string_view request_id,
                          config::environment env);

}  // namespace kemas::http
