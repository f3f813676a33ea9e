#pragma once
// Internal to adapters/s3: turning a transport response into an s3_error, and small request
// helpers shared by the object, listing and multipart calls.

#include "adapters/s3/error.hpp"
#include "adapters/s3/transport.hpp"

#include <cstdint>
#include <optional>
#include <string_view>

namespace kemas::s3::detail {

// nullopt when the exchange completed with a 2xx status. Otherwise the error: the HTTP
// status and the S3 <Error> body when the server answered, curl's failure when not.
// Rethrows an exception a caller callback threw (reader, sink, on_head).
std::optional<s3_error> check(const response& res);

// For the 200 answers that may carry an <Error> document instead of a result (CopyObject,
// CompleteMultipartUpload): the error in the body, if any.
std::optional<s3_error> error_in_body(const response& res);

// An s3_error for a bad argument, detected before any request is sent.
s3_error invalid_argument(std::string_view message);

// Makes `req` send `bytes` (not copied: they must outlive perform) with their SHA-256 as
// the signed payload hash; the body can be replayed if curl must resend it.
void attach_bytes(request& req, std::string_view bytes);

// Decimal digits only; nullopt on anything else or overflow.
std::optional<std::uint64_t> parse_u64(std::string_view text);

}  // namespace kemas::s3::detail
