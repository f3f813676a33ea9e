#pragma once
// The one place that turns domain errors into HTTP: status code plus the JSON body
// {"error":{"code","message","request_id"[,"field"]}}.

#include <string_view>

#include "app/server/http_types.hpp"
#include "domain/result.hpp"

namespace kemas::http {

unsigned status_of(errc code) noexcept;

// JSON error body; `field` is added when not empty.
std::string error_body(std::string_view code, std::string_view message, std::string_view request_id,
                       std::string_view field = {});

response error_response(const error& e, std::string_view request_id);
response error_response(errc code, std::string_view message, std::string_view request_id);

}  // namespace kemas::http
