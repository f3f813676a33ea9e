#pragma once
// s3_client: a blocking, streaming S3 client over libcurl with AWS Signature V4 and
// path-style URLs (http[s]://endpoint/bucket/key). Written to the S3 API specification (AWS,
// MinIO) and tested against s3rver 4.0.4 with signature checking on.
//
// Threading: every call BLOCKS its thread for the whole transfer — call it from dedicated
// threads (kemas::support::blocking_pool, see async_client.hpp), never from an Asio I/O
// thread. One s3_client may be used from any number of threads at once: it holds only
// immutable settings, and each thread reuses its own curl handle (and kept-alive
// connection) across calls.
//
// Errors: every call returns s3_result<T> (error.hpp). Network faults, timeouts, 5xx and
// 429 are s3_errc::transient; a missing key is not_found; a refused signature is
// access_denied. Exceptions thrown by the caller's reader, sink or head callback propagate
// out of the call unchanged (the transfer is abandoned first).
//
// Keys are raw UTF-8 object keys ("u/42/report 2024.pdf"); the client encodes them.

#include "adapters/config/settings.hpp"
#include "adapters/s3/canonical.hpp"
#include "adapters/s3/error.hpp"
#include "adapters/s3/transport.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace kemas::s3 {

// Pulls up to `max` body bytes into `buffer` and returns how many it wrote; it is called
// until `size` bytes came. Returning 0 before that aborts the upload (s3_errc::invalid).
using body_reader = detail::body_reader;
// Receives the body in order, chunk by chunk; returning false aborts (s3_errc::aborted).
using body_sink = detail::body_sink;

struct object_info {
  std::uint64_t size = 0;
  std::string etag;  // as the server sent it, quotes included ("\"9b2c...\"")
  std::string content_type;
  std::string last_modified;  // HTTP date
};

// Inclusive byte range; no `last` means "to the end of the object".
struct byte_range {
  std::uint64_t first = 0;
  std::optional<std::uint64_t> last;
};

struct get_info {
  int http_status = 0;               // 200 (whole object) or 206 (a range)
  std::uint64_t content_length = 0;  // bytes in this answer's body
  std::string content_range;         // "bytes 0-9/100" on 206, else ""
  std::uint64_t object_size = 0;     // size of the whole object
  std::string etag;
  std::string content_type;
  std::string last_modified;
};

// Called once with the answer's metadata before the first body byte (so an HTTP front end
// can send its own headers first); returning false aborts (s3_errc::aborted).
using head_callback = std::function<bool(const get_info&)>;

struct put_info {
  std::string etag;
};

struct list_entry {
  std::string key;
  std::uint64_t size = 0;
  std::string etag;
  std::string last_modified;  // ISO 8601, as listed
};

struct list_page {
  std::vector<list_entry> objects;
  std::optional<std::string> next_continuation;  // set while more pages follow
};

struct completed_part {
  int number = 0;    // 1..10000
  std::string etag;  // as upload_part returned it
};

class s3_client {
 public:
  // Copies what it needs from settings. Throws std::invalid_argument on an empty endpoint
  // or bucket. Does not contact the server.
  explicit s3_client(const config::s3_settings& settings);

  const std::string& bucket() const noexcept { return bucket_; }

  // A copy whose calls each get `timeout` for the whole transfer instead of
  // settings.timeout: for a download streamed to a slow HTTP client (the sink blocks, so
  // the transfer lasts as long as the client takes), or a tight budget on small calls.
  s3_client with_timeout(std::chrono::milliseconds timeout) const;

  // PUT streamed from `reader`: exactly `size` bytes, never held whole in memory. The
  // payload is sent as UNSIGNED-PAYLOAD (its hash is not known before sending).
  s3_result<put_info> put_object(std::string_view key, std::string_view content_type,
                                 std::uint64_t size, const body_reader& reader);
  // PUT of bytes in memory; the signature covers the payload's SHA-256.
  s3_result<put_info> put_object(std::string_view key, std::string_view bytes,
                                 std::string_view content_type = "application/octet-stream");

  // Several PUTs of bytes in memory at once (transport's perform_all), result i object i's:
  // each as put_object(key, bytes, content_type) would answer.
  struct object_bytes {
    std::string_view key;
    std::string_view bytes;
    std::string_view content_type;
  };
  std::vector<s3_result<put_info>> put_objects(std::span<const object_bytes> objects);

  // GET, whole or a range, streamed into `sink`. A range outside the object is
  // invalid_range. On an error after some bytes reached the sink (a dropped connection),
  // the sink has seen a prefix of the object only.
  s3_result<get_info> get_object(std::string_view key, std::optional<byte_range> range,
                                 const body_sink& sink, const head_callback& on_head = {});

  s3_result<object_info> head_object(std::string_view key);
  // Idempotent: deleting a missing key succeeds.
  s3_result<void> delete_object(std::string_view key);
  // Server-side copy within the bucket (objects up to 5 GiB).
  s3_result<put_info> copy_object(std::string_view source_key, std::string_view destination_key);

  // HEAD of the bucket: is the server up, the bucket there and our key accepted? `timeout`
  // (0: settings' timeout) bounds the whole call, for readiness probes.
  s3_result<void> head_bucket(std::chrono::milliseconds timeout = {});
  // Creates the bucket; an existing bucket of ours (BucketAlreadyOwnedByYou) counts as
  // success. conflict: the name is taken — s3rver says so even for a bucket we created.
  s3_result<void> create_bucket();

  // ListObjectsV2: up to max_keys (1..1000) keys starting with `prefix`, in key order.
  // Pass the previous page's next_continuation to get the next page.
  s3_result<list_page> list_objects(std::string_view prefix, std::string_view continuation = {},
                                    unsigned max_keys = 1000);

  // Multipart upload: create → upload parts (each ≥ 5 MiB except the last, on AWS/MinIO) →
  // complete with the parts in ascending number order, or abort.
  s3_result<std::string> create_multipart_upload(
      std::string_view key, std::string_view content_type = "application/octet-stream");
  // Returns the part's ETag.
  s3_result<std::string> upload_part(std::string_view key, std::string_view upload_id,
                                     int part_number, std::string_view bytes);
  s3_result<std::string> upload_part(std::string_view key, std::string_view upload_id,
                                     int part_number, std::uint64_t size,
                                     const body_reader& reader);
  s3_result<put_info> complete_multipart_upload(std::string_view key, std::string_view upload_id,
                                                const std::vector<completed_part>& parts);
  // Frees the parts. A missing upload counts as success. s3rver answers 405 (unsupported).
  s3_result<void> abort_multipart_upload(std::string_view key, std::string_view upload_id);

  // get_object's halves for a caller that runs the exchange itself (object_stream on
  // transfer_engine): the request, ready to send with transport(), and the answer's head
  // read as get_info.
  s3_result<detail::request> get_request(std::string_view key,
                                         std::optional<byte_range> range) const;
  // put_object's request for a caller that runs the exchange itself (streamed_put): exactly
  // `size` bytes, UNSIGNED-PAYLOAD; the caller sets the request's reader.
  s3_result<detail::request> put_request(std::string_view key, std::string_view content_type,
                                         std::uint64_t size) const;
  const detail::transport_config& transport() const noexcept { return config_; }
  static get_info get_info_of(const detail::response_head& head);

 private:
  detail::response perform(detail::request& req) const;
  std::string path(std::string_view key) const;
  // A request of `method` for `key` (and the query, canonical: canonical.hpp), unsigned yet.
  detail::request request_for(std::string method, std::string_view key,
                              const query_params& query = {}) const;

  detail::transport_config config_;
  std::string bucket_;
  std::string region_;
};

}  // namespace kemas::s3
