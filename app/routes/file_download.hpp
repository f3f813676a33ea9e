#pragma once
// The answer to a GET or HEAD for a file's bytes, shared by the owner's download
// (files.cpp) and the public share link (shares.cpp). RFC 9110: strong ETag = the SHA-256,
// one Range served as 206 (several: 200 whole), If-Range, If-None-Match (304), 416 for a
// range past the end. The api computes every range itself and asks S3 for exactly those
// bytes.

#include <boost/asio/awaitable.hpp>

#include <functional>
#include <string>

#include "app/server/router.hpp"
#include "domain/model/file.hpp"

namespace kemas::app {
class file_service;
}

namespace kemas::http {

struct download_options {
  std::string cache_control = "private, no-cache";
  // Runs once the answer is known to carry the file's bytes (a GET answered 200 or 206),
  // before S3 is asked for them; an error it returns is the answer instead. Share links count
  // a download here, so a 304, a 416 or a HEAD never spends one.
  std::function<boost::asio::awaitable<result<void>>()> before_body;
};

boost::asio::awaitable<result<response>> download_response(app::file_service& files,
                                                            request_context& ctx,
                                                            const model::file& file,
                                                            const download_options& options);

}  // namespace kemas::http
