#pragma once
// Canonical request pieces for AWS Signature V4, as S3 defines them. libcurl 7.88 signs the
// path and query exactly as it sends them (curl/curl#9717), so the client must SEND them in
// canonical form: this file produces that form. Pure functions, no I/O
// (std::runtime_error if OpenSSL fails), besides std::bad_alloc.

#include <map>
#include <string>
#include <string_view>

namespace kemas::s3 {

// SHA-256 of the empty payload, hex: the x-amz-content-sha256 of GET/HEAD/DELETE.
inline constexpr std::string_view empty_payload_sha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
// x-amz-content-sha256 for a streamed body whose hash is not known before sending.
inline constexpr std::string_view unsigned_payload = "UNSIGNED-PAYLOAD";

// Percent-encodes every byte outside RFC 3986's unreserved set (A-Z a-z 0-9 - . _ ~) as %XX
// with upper-case hex; '/' is kept when encode_slash is false (object key paths) and
// encoded as %2F when true (query names and values).
std::string uri_encode(std::string_view text, bool encode_slash);

// "/bucket/key" for path-style addressing, each key segment encoded (slashes kept, so
// "a b/c" → "/bucket/a%20b/c"). An empty key gives "/bucket".
std::string canonical_key_path(std::string_view bucket, std::string_view key);

// Query parameters, raw (not yet encoded). A value may be empty ("uploads").
using query_params = std::map<std::string, std::string>;

// "k1=v1&k2=v2": names and values encoded (slash too), sorted by encoded name, and every
// name carries '=' even with an empty value ("uploads=") as SigV4 requires.
std::string canonical_query(const query_params& params);


}  // namespace kemas::s3
