// Publisher-confirm bookkeeping: out-of-order and `multiple` confirms, nacks, returns matched
// to the right message, deadlines, and failing everything on a lost channel. Nothing may
// complete as success without an ack.

#include "adapters/amqp/confirm_tracker.hpp"

#include <doctest/doctest.h>

#include <map>

using namespace kemas::amqp;
using clock_type = confirm_tracker::clock;
using namespace std::chrono_literals;

namespace {

struct recorder {
  std::map<int, publish_result> results;
  confirm_tracker::completion for_message(int id) {
    return [this, id](publish_result r) { results[id] = std::move(r); };
  }
};

void run(std::vector<confirm_tracker::finished> finished) {
  for (auto& f : finished)
    f.done(std::move(f.result));
}

const auto far = clock_type::now() + 1h;

}  // namespace

TEST_CASE("tags count from 1 and restart after reset") {
  confirm_tracker t;
  recorder r;
  CHECK(t.add({"x", "k", "a"}, r.for_message(1), far) == 1);
  CHECK(t.add({"x", "k", "b"}, r.for_message(2), far) == 2);
  run(t.fail_all(publish_error::connection_lost, "gone"));
  t.reset();
  CHECK(t.add({"x", "k", "c"}, r.for_message(3), far) == 1);
  CHECK(r.results.at(1).error == publish_error::connection_lost);
  CHECK(r.results.at(2).detail == "gone");
}

TEST_CASE("out-of-order confirms and multiple ranges") {
  confirm_tracker t;
  recorder r;
  for (int i = 1; i <= 5; ++i)
    t.add({"x", "k", std::to_string(i)}, r.for_message(i), far);

  run(t.on_nack(4, false));  // a nack for 4 before the ack covering 1..3 (FACTS.md)
  CHECK(r.results.size() == 1);
  CHECK(r.results.at(4).error == publish_error::nacked);

  run(t.on_ack(3, true));
  CHECK(r.results.size() == 4);
  for (int i = 1; i <= 3; ++i)
    CHECK(r.results.at(i).ok());
  CHECK(t.size() == 1);

  run(t.on_ack(3, true));  // repeated or stale confirms change nothing
  run(t.on_ack(99, false));
  CHECK(t.size() == 1);

  run(t.on_ack(5, false));
  CHECK(r.results.at(5).ok());
  CHECK(t.empty());
}

TEST_CASE("a return marks the matching message / which then fails despite its ack") {
  confirm_tracker t;
  recorder r;
  t.add({"kemas.commands", "upload", "m1"}, r.for_message(1), far);
  t.add({"kemas.commands", "nowhere", "m2"}, r.for_message(2), far);
  t.add({"kemas.commands", "nowhere", "m3"}, r.for_message(3), far);

  t.on_return({"kemas.commands", "nowhere", "m2"}, "312 NO_ROUTE");
  run(t.on_ack(2, true));
  CHECK(r.results.at(1).ok());
  CHECK(r.results.at(2).error == publish_error::returned);
  CHECK(r.results.at(2).detail.find("NO_ROUTE") != std::string::npos);
  CHECK(t.size() == 1);
  run(t.on_ack(3, false));
  CHECK(r.results.at(3).ok());
}

TEST_CASE("deadlines expire unconfirmed messages / a late ack is ignored") {
  confirm_tracker t;
  recorder r;
  const auto now = clock_type::now();
  t.add({"x", "k", "a"}, r.for_message(1), now + 10ms);
  t.add({"x", "k", "b"}, r.for_message(2), now + 1h);
  CHECK(t.next_deadline() == now + 10ms);
  run(t.expire(now));
  CHECK(r.results.empty());
  run(t.expire(now + 20ms));
  CHECK(r.results.at(1).error == publish_error::timeout);
  run(t.on_ack(1, false));
  CHECK(r.results.at(1).error == publish_error::timeout);
  CHECK(t.next_deadline() == now + 1h);
  CHECK(t.size() == 1);
}
