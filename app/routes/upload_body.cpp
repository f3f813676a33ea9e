#include "app/routes/upload_body.hpp"

namespace kemas::http {
namespace asio = boost::asio;
using event = multipart_parser::event;

asio::awaitable<result<std::string_view>> raw_file_body::next() {
  co_return co_await body_.next_chunk(limit_);
}

form_file_body::form_file_body(body_reader& body, std::uint64_t limit, std::string boundary)
    : body_(body), limit_(limit), parser_(boundary) {}

asio::awaitable<result<event>> form_file_body::advance() {
  for (;;) {
    const event e = parser_.next();
    if (e != event::need_more)
      co_return e;
    auto chunk = co_await body_.next_chunk(limit_);
    if (!chunk)
      co_return chunk.error();
    if (chunk->empty())
      parser_.finish();
    else
      parser_.feed(*chunk);
  }
}

asio::awaitable<result<part_headers>> form_file_body::open() {
  for (;;) {
    auto e = co_await advance();
    if (!e)
      co_return e.error();
    switch (*e) {
      case event::part_begin:
        if (parser_.part().name == "file" && parser_.part().filename) {
          in_file_ = true;
          co_return parser_.part();
        }
        break;  // another field: its data is skipped
      case event::failed:
        co_return parser_.failure();
      case event::done:
        co_return make_error(errc::validation_failed,
                             "the form has no file part (a field named \"file\" with a filename)",
                             "file");
      default:
        break;
    }
  }
}

asio::awaitable<result<std::string_view>> form_file_body::next() {
  for (;;) {
    auto e = co_await advance();
    if (!e)
      co_return e.error();
    switch (*e) {
      case event::data:
        if (in_file_)
          co_return parser_.data();
        break;
      case event::part_end:
        in_file_ = false;
        break;
      case event::part_begin:
        if (parser_.part().name == "file")
          co_return make_error(errc::validation_failed, "the form has more than one file part",
                               "file");
        break;
      case event::done:
        co_return std::string_view{};
      case event::failed:
        co_return parser_.failure();
      case event::need_more:
        break;
    }
  }
}

}  // namespace kemas::http
