#include "test/support/amqp_fixture.hpp"

#include "test/support/test_settings.hpp"

#include "adapters/amqp/connection.hpp"
#include "adapters/amqp/properties.hpp"
#include "adapters/support/random.hpp"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <stdexcept>

namespace kemas::test {
namespace {

}  // namespace

config::amqp_settings amqp_settings_from_env() {
  auto settings = test_settings().amqp;
  settings.reconnect_min = std::chrono::milliseconds(50);  // tests force reconnects: be quick
  settings.reconnect_max = std::chrono::milliseconds(500);
  return settings;
}

std::vector<std::pair<std::string, std::string>> run_env_file() { return run_env_entries(); }

std::string unique_id(std::string_view tag) {
  return std::string(tag) + "-" + support::random_hex(16);
}

std::vector<amqp::delivery> take_matching(const config::amqp_settings& settings,
                                          const std::string& queue,
                                          const std::function<bool(const amqp::delivery&)>& match,
                                          std::size_t count, std::chrono::milliseconds timeout) {
  amqp::connection conn(amqp::make_connection_options(settings, "kemas test reader"));
  constexpr amqp_channel_t channel = 1;
  conn.open_channel(channel);
  amqp_basic_consume(conn.state(), channel, amqp::as_bytes(queue), amqp_empty_bytes, 0, 0, 0,
                     amqp_empty_table);
  conn.check(amqp_get_rpc_reply(conn.state()), channel, "consume " + queue);

  std::vector<amqp::delivery> taken;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (taken.size() < count && std::chrono::steady_clock::now() < deadline) {
    amqp_maybe_release_buffers(conn.state());
    amqp_envelope_t envelope;
    const timeval wait{0, 100'000};
    const amqp_rpc_reply_t reply = amqp_consume_message(conn.state(), &envelope, &wait, 0);
    if (reply.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION &&
        reply.library_error == AMQP_STATUS_TIMEOUT) {
      continue;
    }
    conn.check(reply, channel, "consume from " + queue);
    amqp::delivery d = amqp::to_delivery(envelope, queue);
    const std::uint64_t tag = envelope.delivery_tag;
    amqp_destroy_envelope(&envelope);
    if (match(d)) {
      conn.check_status(amqp_basic_ack(conn.state(), channel, tag, 0), "ack");
      taken.push_back(std::move(d));
    }
  }
  return taken;
}

std::uint32_t queue_depth(const config::amqp_settings& settings, const std::string& queue) {
  amqp::connection conn(amqp::make_connection_options(settings, "kemas test probe"));
  conn.open_channel(1);
  const auto* ok = amqp_queue_declare(conn.state(), 1, amqp::as_bytes(queue), /*passive=*/1, 0, 0,
                                      0, amqp_empty_table);
  conn.check(amqp_get_rpc_reply(conn.state()), 1, "passive declare " + queue);
  return ok->message_count;
}

std::function<bool(const amqp::delivery&)> message_id_in(std::vector<std::string> ids) {
  return [ids = std::move(ids)](const amqp::delivery& d) {
    return std::find(ids.begin(), ids.end(), d.message_id) != ids.end();
  };
}

std::string header_text(const amqp::header_map& headers, std::string_view key) {
  const auto found = headers.find(key);
  if (found == headers.end())
    return "<absent>";
  if (const auto* text = std::get_if<std::string>(&found->second))
    return *text;
  return std::to_string(std::get<std::int64_t>(found->second));
}

}  // namespace kemas::test
