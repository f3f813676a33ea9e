#pragma once
// The file inside an upload request, as a stream of bytes (http::body_source) for
// upload_service, whichever way the client sent it:
//   raw_file_body   the request body is the file (?name= names it);
//   form_file_body  multipart/form-data: the part named `file` is the file, its filename=
//                   names it. Other fields are skipped (bounded by the parser's part limit
//                   and the body limit). The stream ends only when the closing boundary has
//                   arrived, so a truncated form is an error, never a shorter file.
// Both read the request in the session's chunks and pass on at most `limit` body bytes
// (the session answers payload_too_large beyond it). Not thread-safe: one per request.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "app/server/http_types.hpp"
#include "domain/multipart.hpp"

namespace kemas::http {

class raw_file_body final : public body_source {
 public:
  raw_file_body(body_reader& body, std::uint64_t limit) : body_(body), limit_(limit) {}
  boost::asio::awaitable<result<std::string_view>> next() override;

 private:
  body_reader& body_;
  std::uint64_t limit_;
};

class form_file_body final : public body_source {
 public:
  form_file_body(body_reader& body, std::uint64_t limit, std::string boundary);

  // Reads up to the start of the `file` part and returns its headers: the client's file
  // name and content type. validation_failed (field "file") when the form has no such part.
  boost::asio::awaitable<result<part_headers>> open();
  boost::asio::awaitable<result<std::string_view>> next() override;
  // Raises (or lowers) the body limit once the file's limits are known.
  void set_limit(std::uint64_t limit) noexcept { limit_ = limit; }

 private:
  // The next parser event, reading more of the body when the parser needs it.
  boost::asio::awaitable<result<multipart_parser::event>> advance();

  body_reader& body_;
  std::uint64_t limit_;
  multipart_parser parser_;
  bool in_file_ = false;  // between the `file` part's begin and end
};

}  // namespace kemas::http
