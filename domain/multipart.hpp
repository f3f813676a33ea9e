#pragma once
// Streaming multipart/form-data (RFC 7578 over RFC 2046 section 5.1.1), for uploads whose
// body must never be held whole: the parser is fed the body in chunks of any size (a
// boundary may be split anywhere, even byte by byte) and hands back the bytes of each part
// as views into those chunks. Memory stays bounded: one part's header block (<= 8 KiB by
// default) and fewer than 75 bytes held back where a chunk ends in what may be the start of
// a boundary. Nothing is buffered per part, however large.
//
// Pull API, so a coroutine can co_await between events (stream a part to S3, then parse on):
//
//   auto boundary = multipart_boundary(content_type);   // error -> 415 / 400
//   multipart_parser parser(*boundary);
//   for each chunk read from the socket (then once more with no chunk, after finish()):
//     parser.feed(chunk);                  // or parser.finish() when the body has ended
//     for (;;) switch (parser.next()) {
//       case event::part_begin: parser.part() has name, filename, content_type ...
//       case event::data:       parser.data() is the next bytes of that part ...
//       case event::part_end:   ...
//       case event::need_more:  read the next chunk (the previous one may be released)
//       case event::done:       closing boundary seen; anything after it is epilogue
//       case event::failed:     parser.failure() says why (bad_request); the parser is dead
//     }
//
// Preamble and epilogue are ignored. Errors: a body that ends before the closing boundary
// -> bad_request "multipart body truncated"; a malformed boundary line or part header, a
// part that is not `form-data` or has no name, duplicate Content-Disposition/Content-Type
// or duplicate parameters (different readers would pick different ones), too many parts, a
// header block over the limit -> bad_request with a message naming the problem.
// Not thread-safe; one parser per request.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "domain/result.hpp"

namespace kemas {

struct multipart_limits {
  std::size_t header_block_max = 8 * 1024;  // one part's header lines incl. the blank line
  std::size_t max_parts = 64;               // a form for one upload needs a handful
};

struct part_headers {
  std::string name;  // Content-Disposition name= (required, may be empty: name="")
  // filename* (RFC 8187, UTF-8 or ISO-8859-1, decoded to UTF-8) when present and valid,
  // else filename= as sent (bytes unchecked; browsers send raw UTF-8 and may percent-encode
  // '"' CR LF as %22 %0D %0A, which is left as is). Absent for plain fields; present but
  // empty when a browser form had no file chosen. May hold a client path: pass it through
  // client_file_name() and validate_file_name() (domain/file_name.hpp).
  std::optional<std::string> filename;
  std::string content_type;  // trimmed, as sent; empty when the part has none

  friend bool operator==(const part_headers&, const part_headers&) = default;
};

// The boundary from a request's Content-Type. Media type other than multipart/form-data ->
// unsupported_media_type; a missing, empty, over-70-character boundary, or one with control
// or non-ASCII characters (or ending in a space) -> bad_request. Quoted and token forms are
// both accepted; the media type and parameter names are case-insensitive.
result<std::string> multipart_boundary(std::string_view content_type);

class multipart_parser {
 public:
  enum class event { need_more, part_begin, data, part_end, done, failed };

  // An invalid boundary (see multipart_boundary) makes the parser fail on the first next().
  explicit multipart_parser(std::string_view boundary, multipart_limits limits = {});

  // Gives the next chunk of the body. The chunk must stay alive and unchanged until next()
  // returns need_more (or done/failed). Call only after next() has returned need_more, done
  // or failed (after done/failed the chunk is ignored: epilogue); feeding while input is
  // pending, or after finish(), is a bug and throws std::logic_error.
  void feed(std::string_view chunk);
  // The body has ended: from now on, running out of input before the closing boundary is
  // reported as failed ("multipart body truncated") instead of need_more.
  void finish() noexcept;

  // Advances to the next event. After done or failed it keeps returning the same event.
  event next();

  // The current part's headers: valid from part_begin until the next part_begin.
  const part_headers& part() const noexcept { return part_; }
  // After event::data: a non-empty view into the fed chunk (or into the parser), valid until
  // the next call to next() or feed().
  std::string_view data() const noexcept { return data_; }
  // After event::failed: why (errc::bad_request).
  const kemas::error& failure() const noexcept { return failure_; }
  // Parts begun so far.
  std::size_t parts() const noexcept { return parts_; }

 private:
  enum class state { preamble, after_delimiter, close_dash, padding, expect_lf, headers, body, epilogue, failed };

  event scan_for_delimiter();
  event read_headers();
  event fail(std::string message);
  event out_of_input();

  multipart_limits limits_;
  std::string delimiter_;  // CRLF "--" boundary
  state state_ = state::preamble;
  std::string_view input_;
  std::size_t pos_ = 0;
  bool finished_ = false;
  std::string carry_;  // end of the previous chunk that is a proper prefix of delimiter_
  std::string held_;   // carried bytes released as part data (data_ may view them)
  std::string header_block_;
  std::size_t padding_ = 0;
  part_headers part_;
  std::string_view data_;
  kemas::error failure_;
  std::size_t parts_ = 0;
};

}  // namespace kemas
