// kemas-admin dlq list|show|replay|purge: the dead-letter queue (kemas.dead-letters) as a tool.
//   list [--limit N]          the oldest N letters (20): when, type, id, source queue, reason
//   show ID                   one letter whole: properties, headers, body
//   replay ID... | --all      re-validates each letter (a command: its envelope and its type's
//                             payload; an event: a JSON object with a string id and type) and
//                             publishes a copy (same id, so consumers stay idempotent) to
//                             kemas.commands or kemas.events; the letter is removed only once
//                             the broker confirmed the copy. Letters that fail the check stay.
//   purge --yes               drops every letter (asks for --yes)
// Letters are fetched without acknowledging them (adapters/amqp/dead_letter_browser.hpp): what
// the command does not remove goes back to the queue when it exits. --scan N bounds how many
// letters show/replay look through (10,000). Exit 0, 3 when some letter was not found or not
// replayed, 1 when the broker failed.
#include "adapters/amqp/command_message.hpp"
#include "adapters/amqp/command_scheduler.hpp"
#include "adapters/amqp/dead_letter_browser.hpp"
#include "adapters/amqp/publisher.hpp"
#include "adapters/amqp/topology.hpp"
#include "app/admin/command.hpp"
#include "domain/commands/all.hpp"

#include <CLI/CLI.hpp>
#include <boost/json/parse.hpp>

#include <iostream>
#include <memory>
#include <set>

namespace kemas::admin {
namespace {

constexpr int exit_findings = 3;

struct dlq_flags {
  std::size_t limit = 20;
  std::size_t scan = 10'000;
  bool all = false;
  bool yes = false;
  std::vector<std::string> ids;
  CLI::App* list = nullptr;
  CLI::App* show = nullptr;
  CLI::App* replay = nullptr;
  CLI::App* purge = nullptr;
};

template <class Command>
std::optional<std::string> problem_of(const commands::envelope& e) {
  auto decoded = commands::decode_as<Command>(e);
  return decoded ? std::nullopt : std::optional<std::string>(decoded.error().reason);
}

// Why the type's codec refuses the payload; nullopt when it accepts it.
std::optional<std::string> payload_problem(const commands::envelope& e) {
  using commands::command_type;
  switch (e.type) {
    case command_type::upload:
      return problem_of<commands::upload>(e);
    case command_type::delete_file:
      return problem_of<commands::delete_file>(e);
    case command_type::upgrade:
      return problem_of<commands::upgrade>(e);
    case command_type::expire:
      return problem_of<commands::expire>(e);
    case command_type::expire_sweep:
      return problem_of<commands::expire_sweep>(e);
    case command_type::assign_plan:
      return problem_of<commands::assign_plan>(e);
    case command_type::expire_share:
      return problem_of<commands::expire_share>(e);
    case command_type::expire_upload:
      return problem_of<commands::expire_upload>(e);
  }
  return "unknown command type";
}

bool from_events(const amqp::dead_letter& letter) {
  return letter.source_queue.starts_with("kemas.events.");
}

// The copy to publish, or why the letter cannot be replayed.
std::variant<amqp::outgoing_message, std::string> replay_message(const amqp::dead_letter& letter) {
  if (from_events(letter)) {
    boost::system::error_code ec;
    const auto parsed = boost::json::parse(letter.body, ec);
    const auto* event = parsed.if_object();
    const auto* id = event != nullptr ? event->if_contains("id") : nullptr;
    const auto* type = event != nullptr ? event->if_contains("type") : nullptr;
    if (ec || id == nullptr || type == nullptr || !id->is_string() || !type->is_string())
      return std::string("not an event: a JSON object with a string id and type is needed");
    amqp::outgoing_message out;
    out.exchange = std::string(amqp::names::events_exchange);
    out.routing_key = std::string(type->as_string());
    out.type = out.routing_key;
    out.message_id = std::string(id->as_string());
    out.correlation_id = letter.correlation_id;
    out.body = letter.body;
    return out;
  }
  auto envelope = commands::decode_envelope(letter.body);
  if (!envelope)
    return "not a command envelope: " + envelope.error().message;
  if (auto problem = payload_problem(*envelope))
    return "payload refused: " + *problem;
  return amqp::command_message(std::move(*envelope));
}

std::string one_line(std::string text) {
  for (char& c : text)
    if (c == '\n' || c == '\r' || c == '\t')
      c = ' ';
  return text;
}

void print_row(const amqp::dead_letter& l) {
  std::cout << (l.dead_lettered_at.empty() ? "-" : l.dead_lettered_at) << "  "
            << (l.type.empty() ? "-" : l.type) << "  " << (l.message_id.empty() ? "-" : l.message_id)
            << "  " << (l.source_queue.empty() ? "-" : l.source_queue) << "  "
            << one_line(l.reason.substr(0, 160)) << "\n";
}

int run_list(amqp::dead_letter_browser& browser, const dlq_flags& flags) {
  const auto letters = browser.take(std::min<std::size_t>(flags.limit, 1000));
  std::cout << "dead-lettered at  type  id  source queue  reason\n";
  for (const auto& letter : letters)
    print_row(letter);
  std::cout << letters.size() << " letter(s) shown; they stay in the queue\n";
  return exit_ok;
}

int run_show(amqp::dead_letter_browser& browser, const dlq_flags& flags) {
  const std::set<std::string> wanted(flags.ids.begin(), flags.ids.end());
  std::size_t shown = 0;
  for (const auto& l : browser.take(flags.scan)) {
    if (wanted.count(l.message_id) == 0)
      continue;
    ++shown;
    std::cout << "id: " << l.message_id << "\ntype: " << l.type << "\nrouting key: " << l.routing_key
              << "\nsource queue: " << l.source_queue << "\nreason: " << l.reason
              << "\ndead-lettered at: " << l.dead_lettered_at
              << "\ncorrelation id: " << l.correlation_id << "\nheaders:\n";
    for (const auto& [key, value] : l.headers) {
      std::cout << "  " << key << ": ";
      if (const auto* text = std::get_if<std::string>(&value))
        std::cout << *text << "\n";
      else
        std::cout << std::get<std::int64_t>(value) << "\n";
    }
    std::cout << "body (" << l.body.size() << " bytes):\n" << l.body << "\n\n";
  }
  if (shown < wanted.size()) {
    std::cout << (wanted.size() - shown) << " id(s) not found among the first " << flags.scan
              << " letters\n";
    return exit_findings;
  }
  return exit_ok;
}

int run_replay(const config::settings& settings, amqp::dead_letter_browser& browser,
               const dlq_flags& flags) {
  if (!flags.all && flags.ids.empty()) {
    std::cerr << "kemas-admin dlq replay: name the letters' ids, or --all\n";
    return exit_usage;
  }
  const std::set<std::string> wanted(flags.ids.begin(), flags.ids.end());
  amqp::amqp_publisher publisher(
      settings.amqp, amqp::publisher_options{"kemas-admin dlq replay",
                                             amqp::kemas_topology(settings.amqp.delivery_limit)});
  std::size_t replayed = 0;
  std::size_t refused = 0;
  std::set<std::string> found;
  for (const auto& letter : browser.take(flags.scan)) {
    if (!flags.all && wanted.count(letter.message_id) == 0)
      continue;
    found.insert(letter.message_id);
    auto copy = replay_message(letter);
    if (auto* why = std::get_if<std::string>(&copy)) {
      ++refused;
      std::cout << "refused " << letter.message_id << ": " << *why << "\n";
      continue;  // stays in the queue
    }
    const auto published = publisher.publish_sync(std::get<amqp::outgoing_message>(std::move(copy)));
    if (!published.ok()) {
      ++refused;
      std::cout << "not replayed " << letter.message_id << ": " << amqp::describe(published)
                << "\n";
      continue;
    }
    browser.acknowledge(letter);
    ++replayed;
    std::cout << "replayed " << letter.message_id << " (" << letter.type << ")\n";
  }
  publisher.stop();
  std::size_t missing = 0;
  for (const auto& id : wanted)
    missing += found.count(id) == 0 ? 1 : 0;
  std::cout << replayed << " replayed, " << refused << " refused";
  if (missing > 0)
    std::cout << ", " << missing << " id(s) not found";
  std::cout << "\n";
  return refused + missing == 0 ? exit_ok : exit_findings;
}

int run_dlq(const global_options& options, const dlq_flags& flags) {
  if (flags.purge->parsed() && !flags.yes) {
    std::cerr << "kemas-admin dlq purge drops every dead letter for good; add --yes\n";
    return exit_usage;
  }
  auto settings = load_admin_settings(options);
  if (!settings)
    return exit_failure;
  try {
    amqp::dead_letter_browser browser(settings->amqp);
    if (flags.list->parsed())
      return run_list(browser, flags);
    if (flags.show->parsed())
      return run_show(browser, flags);
    if (flags.replay->parsed())
      return run_replay(*settings, browser, flags);
    const std::size_t purged = browser.purge();
    std::cout << "purged " << purged << " dead letter(s)\n";
    return exit_ok;
  } catch (const std::exception& e) {
    std::cerr << "kemas-admin dlq: " << e.what() << "\n";
    return exit_failure;
  }
}

}  // namespace

command add_dlq_command(CLI::App& app) {
  auto flags = std::make_shared<dlq_flags>();
  auto* sub = app.add_subcommand("dlq", "inspect, replay or purge the dead-letter queue");
  sub->require_subcommand(1);
  flags->list = sub->add_subcommand("list", "show the oldest dead letters; they stay queued");
  flags->list->add_option("--limit", flags->limit, "how many (20, at most 1000)")
      ->check(CLI::Range(1, 1000));
  flags->show = sub->add_subcommand("show", "print letters whole, by message id");
  flags->show->add_option("ids", flags->ids, "message ids")->required();
  flags->replay = sub->add_subcommand(
      "replay", "re-validate letters and publish them again; removed once confirmed");
  flags->replay->add_option("ids", flags->ids, "message ids");
  flags->replay->add_flag("--all", flags->all, "every letter (up to --scan)");
  for (auto* scanning : {flags->show, flags->replay})
    scanning->add_option("--scan", flags->scan, "letters to look through (10000)")
        ->check(CLI::Range(1, 1'000'000));
  flags->purge = sub->add_subcommand("purge", "drop every dead letter");
  flags->purge->add_flag("--yes", flags->yes, "really");
  return {sub, [flags](const global_options& options) { return run_dlq(options, *flags); }};
}

}  // namespace kemas::admin
