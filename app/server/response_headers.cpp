#include "app/server/response_headers.hpp"

namespace kemas::http {
namespace bhttp = boost::beast::http;

void apply_common_headers(bhttp::response_header<>& h, std::string_view request_id,
                          config::environment env) {
  h.set("X-Request-Id", request_id);
  h.set("X-Content-Type-Options", "nosniff");
  h.set("X-Frame-Options", "DENY");
  h.set("Referrer-Policy", "no-referrer");
  // API answers are data, never a document to render; the web app's pages set their own.
  if (h.find("Content-Security-Policy") == h.end())
    h.set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
  h.set("Cross-Origin-Resource-Policy", "same-origin");
  if (h.find(bhttp::field::cache_control) == h.end())
    h.set(bhttp::field::cache_control, "no-store");
  // HSTS only means something over TLS, which production terminates in front of kemas.
  if (env == config::environment::production) {
    h.set(bhttp::field::strict_transport_security, "max-age=31536000; includeSubDomains");
  }
}

}  // namespace kemas::http
