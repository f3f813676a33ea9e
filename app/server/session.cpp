// One HTTP/1.1 connection: a coroutine on the connection's strand that reads a request
// header under a deadline, routes it, lets the handler pull the body in bounded chunks,
// writes the response and loops while keep-alive allows.

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <optional>

#include "adapters/log/logging.hpp"
#include "adapters/metrics/registry.hpp"
#include "app/server/error_response.hpp"
#include "app/server/request_guard.hpp"
#include "app/server/request_id.hpp"
#include "app/server/response_head.hpp"
#include "app/server/router.hpp"
#include "app/server/server_state.hpp"

namespace kemas::http {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using std::chrono::steady_clock;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t chunk_size = 64 * 1024;

// The body of the current request, read lazily in chunks when a handler asks.
class session_body_reader final : public body_reader {
 public:
  session_body_reader(beast::tcp_stream& stream, beast::flat_buffer& buffer,
                      bhttp::request_parser<bhttp::empty_body>& header,
                      std::array<char, chunk_size>& chunk, steady_clock::time_point deadline,
                      steady_clock::duration stall_limit)
      : stream_(stream),
        buffer_(buffer),
        header_(header),
        chunk_(chunk),
        deadline_(deadline),
        stall_limit_(stall_limit) {}

  // Uploads get a longer budget than other requests, known once the route is matched.
  void set_deadline(steady_clock::time_point deadline) noexcept { deadline_ = deadline; }

  asio::awaitable<result<std::string_view>> next_chunk(std::uint64_t limit) override {
    if (done_)
      co_return std::string_view{};
    if (!started_) {
      started_ = true;
      if (header_.is_done()) {  // no body at all
        done_ = true;
        co_return std::string_view{};
      }
      if (beast::iequals(header_.get()[bhttp::field::expect], "100-continue")) {
        static constexpr std::string_view go_on = "HTTP/1.1 100 Continue\r\n\r\n";
        stream_.expires_at(read_deadline());
        auto [ec, n] = co_await asio::async_write(stream_, asio::buffer(go_on), use_tuple);
        if (ec)
          co_return make_error(errc::bad_request, "connection lost");
      }
      if (!header_.chunked() && header_.content_length()) {
        remaining_ = *header_.content_length();
      } else {
        parser_.emplace(std::move(header_));
        parser_->body_limit(boost::none);  // the limit is the caller's, enforced below
      }
    }
    // Not `cond ? co_await a : co_await b`: GCC 12 miscompiles co_await in a conditional.
    result<std::string_view> chunk = std::string_view{};
    if (parser_)
      chunk = co_await next_parsed_chunk();
    else
      chunk = co_await next_direct_chunk();
    if (!chunk)
      co_return chunk;
    received_ += chunk->size();
    if (received_ > limit) {
      co_return make_error(errc::payload_too_large,
                           "request body exceeds " + std::to_string(limit) + " bytes");
    }
    co_return chunk;
  }

  bool complete() const noexcept override { return done_ || (!started_ && header_.is_done()); }
  // Body bytes read so far (the access log's bytes_in).
  std::uint64_t received() const noexcept { return received_; }

 private:
  // A body with a Content-Length needs no parser: what the header read left in the
  // buffer goes first, then the socket is read straight into the chunk (one copy less, and
  // reads as large as the chunk rather than the header buffer), never past the body's end
  // so a pipelined next request stays on the socket.
  asio::awaitable<result<std::string_view>> next_direct_chunk() {
    if (remaining_ == 0) {
      done_ = true;
      co_return std::string_view{};
    }
    const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, chunk_.size()));
    std::size_t n = 0;
    if (buffer_.size() > 0) {
      n = asio::buffer_copy(asio::buffer(chunk_.data(), want), buffer_.data());
      buffer_.consume(n);
    } else {
      stream_.expires_at(read_deadline());
      auto [ec, read] =
          co_await stream_.async_read_some(asio::buffer(chunk_.data(), want), use_tuple);
      if (ec == beast::error::timeout)
        co_return make_error(errc::request_timeout, "request body not received in time");
      if (ec)
        co_return make_error(errc::bad_request, "request body incomplete: " + ec.message());
      n = read;
    }
    remaining_ -= n;
    if (remaining_ == 0)
      done_ = true;
    co_return std::string_view(chunk_.data(), n);
  }

  // Chunked (or otherwise framed) bodies go through Beast's parser.
  asio::awaitable<result<std::string_view>> next_parsed_chunk() {
    for (;;) {
      if (parser_->is_done()) {
        done_ = true;
        co_return std::string_view{};
      }
      parser_->get().body().data = chunk_.data();
      parser_->get().body().size = chunk_.size();
      stream_.expires_at(read_deadline());
      auto [ec, n] = co_await bhttp::async_read(stream_, buffer_, *parser_, use_tuple);
      if (ec == bhttp::error::need_buffer)
        ec = {};
      if (ec == beast::error::timeout)
        co_return make_error(errc::request_timeout, "request body not received in time");
      if (ec)
        co_return make_error(errc::bad_request,
                             "request body incomplete or malformed: " + ec.message());
      const std::size_t produced = chunk_.size() - parser_->get().body().size;
      if (produced > 0)
        co_return std::string_view(chunk_.data(), produced);
    }
  }

  // The request's budget, but never longer than one stall: a client that stops sending
  // mid-body is cut after the idle timeout, not after an upload's hour.
  steady_clock::time_point read_deadline() const {
    return std::min(deadline_, steady_clock::now() + stall_limit_);
  }

  beast::tcp_stream& stream_;
  beast::flat_buffer& buffer_;
  bhttp::request_parser<bhttp::empty_body>& header_;
  std::array<char, chunk_size>& chunk_;
  steady_clock::time_point deadline_;
  steady_clock::duration stall_limit_;
  std::optional<bhttp::request_parser<bhttp::buffer_body>> parser_;  // chunked bodies only
  std::uint64_t remaining_ = 0;  // Content-Length bodies: bytes still on the wire
  std::uint64_t received_ = 0;
  bool started_ = false;
  bool done_ = false;
};

std::vector<header_field> copy_headers(const bhttp::request_header<>& h) {
  std::vector<header_field> out;
  for (const auto& f : h)
    out.push_back({std::string(f.name_string()), std::string(f.value())});
  return out;
}

// Runs the matched handler; maps domain errors and lost backends to responses.
asio::awaitable<response> dispatch(const route_match& match, request_context& ctx,
                                   request_guard* guard) {
  switch (match.outcome) {
    case route_match::kind::not_found:
      co_return error_response(errc::not_found, "no such route", ctx.request_id());
    case route_match::kind::method_not_allowed: {
      std::string allow;
      for (auto m : match.allowed)
        allow += (allow.empty() ? "" : ", ") + std::string(method_name(m));
      auto r = error_response(errc::method_not_allowed, "method not allowed", ctx.request_id());
      r.headers.push_back({"Allow", allow});
      co_return r;
    }
    case route_match::kind::found:
      break;
  }
  ctx.set_path_params(match.params);
  std::optional<response> failed;
  try {
    if (guard != nullptr) {
      if (auto refused = co_await guard->admit(ctx, *match.matched))
        co_return std::move(*refused);
    }
    auto answered = co_await match.matched->handle(ctx);
    if (answered)
      co_return std::move(*answered);
    failed = error_response(answered.error(), ctx.request_id());
  } catch (const error_exception& e) {
    failed = error_response(e.err(), ctx.request_id());
  } catch (const backend_unavailable& e) {
    log::warn("backend unavailable",
              {{"request_id", ctx.request_id()}, {"backend", e.backend()}, {"detail", e.what()}});
    failed = error_response(errc::backend_unavailable, e.backend() + " is unavailable",
                            ctx.request_id());
  } catch (const std::exception& e) {
    log::error(
        "handler failed",
        {{"request_id", ctx.request_id()}, {"route", match.matched->pattern}, {"error", e.what()}});
    failed = error_response(errc::internal, "internal error", ctx.request_id());
  }
  co_return std::move(*failed);
}

// Answers a request whose header could not be read, then the connection closes.
asio::awaitable<void> write_early_error(beast::tcp_stream& stream, errc code,
                                        std::string_view message, const server_state& state) {
  const auto rid = new_request_id();
  const auto r = error_response(code, message, rid);
  std::string head;
  render_head(head, r,
              {.version = 11,
               .keep_alive = false,
               .content_length = r.body.size(),
               .request_id = rid,
               .env = state.env});
  const std::array<asio::const_buffer, 2> buffers{asio::buffer(head), asio::buffer(r.body)};
  stream.expires_after(std::chrono::seconds(5));
  co_await asio::async_write(stream, buffers, use_tuple);
  log::info("http request", {{"request_id", rid},
                             {"route", "(unparsed)"},
                             {"status", static_cast<std::int64_t>(r.status)}});
}

// Writes a response held in memory: head and body in one gather write.
asio::awaitable<boost::system::error_code> write_plain(beast::tcp_stream& stream,
                                                       const response& r, std::string& head,
                                                       head_facts facts, bool send_body,
                                                       steady_clock::duration timeout) {
  const bool no_body = status_has_no_body(r.status);
  facts.framing = no_body ? body_framing::none : body_framing::length;
  facts.content_length = r.body.size();
  head.clear();
  render_head(head, r, facts);
  const std::array<asio::const_buffer, 2> buffers{
      asio::buffer(head), asio::buffer(send_body && !no_body ? std::string_view(r.body) : "")};
  stream.expires_after(timeout);
  auto [ec, written] = co_await asio::async_write(stream, buffers, use_tuple);
  co_return ec;
}

// Writes a response whose body comes from a body_source: the head first, then each chunk as
// it arrives (framed as a chunk when the length is unknown), each write under the idle
// timeout so a client that stops reading is cut. A source failing midway, or giving other
// than the promised length, ends the connection.
asio::awaitable<boost::system::error_code> write_streamed(beast::tcp_stream& stream, response& r,
                                                          method verb, head_facts facts,
                                                          std::string& head, bool& keep_alive,
                                                          const server_state& state,
                                                          std::uint64_t& sent) {
  if (r.stream_chunked && facts.version < 11)
    keep_alive = false;  // HTTP/1.0 has no chunks: the end of the body is the end of the stream
  facts.keep_alive = keep_alive;
  facts.framing = !r.stream_chunked        ? body_framing::length
                  : facts.version >= 11    ? body_framing::chunked
                                           : body_framing::until_close;
  facts.content_length = r.stream_length;
  head.clear();
  render_head(head, r, facts);
  stream.expires_after(state.settings.idle_timeout);
  auto [ec, n] = co_await asio::async_write(stream, asio::buffer(head), use_tuple);
  const bool has_body = verb != method::head && (r.stream_chunked || r.stream_length > 0);
  if (ec || !has_body)
    co_return ec;
  const bool chunked = facts.framing == body_framing::chunked;
  std::array<char, 20> size_line{};
  for (;;) {
    auto chunk = co_await r.stream->next();
    const bool ended = chunk && chunk->empty();
    if (!chunk || (!r.stream_chunked && (ended ? sent != r.stream_length
                                               : chunk->size() > r.stream_length - sent))) {
      keep_alive = false;  // the client got a short body: it must see the connection end
      co_return chunk ? make_error_code(bhttp::error::partial_message)
                      : make_error_code(asio::error::broken_pipe);
    }
    if (ended && !chunked)
      co_return boost::system::error_code{};
    std::array<asio::const_buffer, 3> buffers{};
    if (ended) {
      buffers[0] = asio::buffer(std::string_view("0\r\n\r\n"));
    } else if (chunked) {
      auto* end = std::to_chars(size_line.data(), size_line.data() + 16, chunk->size(), 16).ptr;
      *end++ = '\r';
      *end++ = '\n';
      buffers[0] = asio::buffer(size_line.data(), static_cast<std::size_t>(end - size_line.data()));
      buffers[1] = asio::buffer(*chunk);
      buffers[2] = asio::buffer(std::string_view("\r\n"));
    } else {
      buffers[0] = asio::buffer(*chunk);
    }
    if (!ended)
      sent += chunk->size();
    stream.expires_after(state.settings.idle_timeout);
    auto [wec, written] = co_await asio::async_write(stream, buffers, use_tuple);
    if (wec)
      co_return wec;
    if (ended || (!chunked && sent == r.stream_length))
      co_return boost::system::error_code{};
  }
}

}  // namespace

asio::awaitable<void> serve_connection(asio::ip::tcp::socket socket,
                                       std::shared_ptr<server_state> state) {
  const auto& limits = state->settings;
  beast::tcp_stream stream(std::move(socket));
  boost::system::error_code peer_ec;
  const auto peer = stream.socket().remote_endpoint(peer_ec);
  const std::string peer_ip = peer_ec ? std::string("unknown") : peer.address().to_string();

  bool idle = false;  // waiting for the next request; shutdown closes such connections at once
  const auto id = state->connections.add(co_await asio::this_coro::executor, &stream, &idle);
  state->metrics.connection_opened();
  struct cleanup {
    server_state& s;
    std::uint64_t id;
    ~cleanup() {
      s.metrics.connection_closed();
      s.connections.remove(id);
    }
  } on_exit{*state, id};

  // The read buffer holds at most one header (plus what pipelined clients send after it).
  beast::flat_buffer buffer(limits.header_limit + 4096);
  std::array<char, chunk_size> chunk;
  std::string head;  // each response's head, rendered into the same buffer
  head.reserve(1024);
  bool first = true;

  for (;;) {
    if (state->connections.draining())
      break;
    if (buffer.size() == 0) {
      // Wait for the next request: the first one gets the header timeout, later ones the
      // keep-alive idle timeout. Shutdown closes connections parked here at once.
      idle = true;
      stream.expires_after(first ? limits.header_timeout : limits.idle_timeout);
      auto [ec, n] = co_await stream.async_read_some(buffer.prepare(4096), use_tuple);
      idle = false;
      if (ec)
        break;
      buffer.commit(n);
    }
    first = false;

    bhttp::request_parser<bhttp::empty_body> header;
    header.header_limit(static_cast<std::uint32_t>(limits.header_limit));
    // Beast refuses a Content-Length over its default 1 MB body limit while parsing the
    // header; body limits are ours (per route, checked below and while reading).
    header.body_limit(boost::none);
    stream.expires_after(limits.header_timeout);
    auto [ec, n] = co_await bhttp::async_read_header(stream, buffer, header, use_tuple);
    if (ec) {
      if (ec == bhttp::error::header_limit || ec == bhttp::error::buffer_overflow) {
        co_await write_early_error(stream, errc::header_too_large, "request header too large",
                                   *state);
      } else if (ec != beast::error::timeout && ec != bhttp::error::end_of_stream &&
                 ec != asio::error::operation_aborted && ec != asio::error::eof &&
                 ec != asio::error::connection_reset && ec != asio::error::bad_descriptor) {
        co_await write_early_error(stream, errc::bad_request, "malformed request: " + ec.message(),
                                   *state);
      }
      break;  // slow or broken clients are cut here
    }

    const auto started = steady_clock::now();
    const auto& req = header.get();
    const auto verb = parse_method(req.method_string());
    const std::string request_id = request_id_for(req["X-Request-Id"]);
    const bool client_keep_alive = req.keep_alive();
    const unsigned version = req.version();
    session_body_reader body(stream, buffer, header, chunk, started + limits.request_timeout,
                             limits.idle_timeout);
    request_context ctx(verb, std::string(req.method_string()), std::string(req.target()),
                        copy_headers(req), request_id, peer_ip, body);

    const auto match = state->routes.match(verb, ctx.path());
    std::string_view route_label =
        match.matched ? std::string_view(match.matched->pattern) : "(unmatched)";
    response r;
    ctx.set_body_limit(limits.body_limit);
    const bool streams_body = match.matched && match.matched->options.streams_body;
    if (streams_body)
      body.set_deadline(started + limits.upload_timeout);
    std::optional<response> preflight;
    if (state->guard != nullptr)
      preflight = state->guard->preflight(ctx);
    if (preflight) {
      r = std::move(*preflight);
      route_label = "(preflight)";
    } else if (auto length = ctx.content_length();
               length && *length > limits.body_limit && !streams_body) {
      r = error_response(errc::payload_too_large, "request body too large", request_id);
    } else {
      r = co_await dispatch(match, ctx, state->guard);
    }
    if (state->guard != nullptr)
      state->guard->finish(ctx, r);

    // A body the handler did not read leaves the stream mid-request: close after answering.
    bool keep_alive = client_keep_alive && body.complete() && !r.close_connection &&
                      !state->connections.draining();
    std::uint64_t bytes_out = 0;  // body bytes sent
    const head_facts facts{.version = version,
                           .keep_alive = keep_alive,
                           .request_id = request_id,
                           .env = state->env};
    boost::system::error_code write_ec;
    if (r.stream) {
      write_ec = co_await write_streamed(stream, r, verb, facts, head, keep_alive, *state,
                                         bytes_out);
    } else {
      const bool send_body = verb != method::head;
      write_ec = co_await write_plain(stream, r, head, facts, send_body, limits.request_timeout);
      if (!write_ec && send_body && !status_has_no_body(r.status))
        bytes_out = r.body.size();
    }

    const double seconds = std::chrono::duration<double>(steady_clock::now() - started).count();
    // Labels from bounded sets only: the route pattern and the method from a fixed list.
    state->metrics.observe(route_label, method_name(verb), r.status, seconds);
    const bool probe = match.matched && match.matched->options.probe;
    // The access log: who (user_id when authenticated, never a credential), what, how much.
    log::emit(probe ? log::level::debug : log::level::info, "http request",
              {{"request_id", request_id},
               {"method", method_name(verb)},
               {"route", route_label},
               {"status", static_cast<std::int64_t>(r.status)},
               {"duration_ms", seconds * 1000.0},
               {"bytes_in", static_cast<std::int64_t>(body.received())},
               {"bytes_out", static_cast<std::int64_t>(bytes_out)},
               {"user_id", ctx.caller() ? ctx.caller()->user_id.to_string() : std::string("-")},
               {"peer", peer_ip}});
    if (write_ec || !keep_alive)
      break;
  }

  boost::system::error_code ignored;
  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
  stream.close();
}

}  // namespace kemas::http
