#include "app/services/delete_service.hpp"

#include "app/services/settle_wait.hpp"
#include "domain/commands/delete_file.hpp"

namespace kemas::app {
namespace asio = boost::asio;

asio::awaitable<result<deletion>> delete_service::remove(const principal& who,
                                                         std::string_view file_id,
                                                         bool respond_async,
                                                         command_origin origin) {
  const auto id = uuid::parse(file_id);
  if (!id)
    co_return make_error(errc::not_found, "no such file");
  auto file = co_await files_.find(who.user_id, *id);
  if (!file)
    co_return file.error();

  const commands::delete_file command{who.user_id, *id};  // named: GCC 12 co_await temporaries
  const auto subscription = signals_.subscribe(*id);  // before the command can be applied
  auto sent = co_await commands_.send(command, origin);
  if (!sent)
    co_return sent.error();

  const auto wait = respond_async ? std::chrono::milliseconds(0) : wait_;
  auto gone = [&]() -> asio::awaitable<bool> {
    auto current = co_await files_.find(who.user_id, *id);
    co_return !current;
  };
  const bool committed = co_await wait_until_settled(signals_, *subscription, wait, gone);
  co_return committed ? deletion::committed : deletion::pending;
}

}  // namespace kemas::app
