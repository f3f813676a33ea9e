#pragma once
// The coroutine type of the asynchronous ports: async<T> is Boost.Asio's awaitable<T>, the
// type every coroutine of kemas-api returns. It is only declared here, not included, so
// domain/ stays free of Asio's headers (and of any I/O); code that implements a port or
// co_awaits one includes <boost/asio/awaitable.hpp>. app/composition/api_application.cpp
// checks with a static_assert that this declaration is Boost's own (Boost 1.81).

namespace boost::asio {
class any_io_executor;
template <typename T, typename Executor>
class awaitable;
}  // namespace boost::asio

namespace kemas::ports {

template <class T>
using async = boost::asio::awaitable<T, boost::asio::any_io_executor>;

}  // namespace kemas::ports
