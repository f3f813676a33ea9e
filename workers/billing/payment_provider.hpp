#pragma once
// Payment for an `upgrade` (issue 5). Taking money is out of kemas' scope: the worker asks a
// payment_provider to charge an order and records what it answered on the order row.
// `billing.provider` in the settings names the provider; the only built-in one is `demo`,
// which confirms every charge at once and never touches the network.
//
// Contract for providers (a real one would call a payment service):
//  - charge() is called from the `upgrade` transaction on a worker handler thread, while the
//    buyer's users row is locked: it may block, but briefly (seconds at most).
//  - It is idempotent by order_id: the same command may run again after a crash or a failed
//    commit, and must not charge twice (real services take an idempotency key for this).
//  - paid: the money is taken. declined: it never will be for this order (the order is
//    recorded as failed with the reason). unavailable: a transient fault; the transaction is
//    rolled back and the command retried later.
//  - Implementations are shared by every handler thread: thread-safe, no unguarded state.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace kemas::worker::billing {

struct payment_request {
  std::string order_id;  // idempotency key
  std::string user_id;   // the buyer
  std::string plan;      // plan name, e.g. "premium"
  std::int64_t amount_cents = 0;
  std::string currency;  // ISO 4217, e.g. "USD"
};

struct payment_outcome {
  enum class status { paid, declined, unavailable };
  status what = status::paid;
  std::string reason;     // declined / unavailable: why, for the order and the logs
  std::string reference;  // paid: the provider's reference for the charge

  static payment_outcome paid(std::string reference) {
    return {status::paid, {}, std::move(reference)};
  }
  static payment_outcome declined(std::string why) { return {status::declined, std::move(why), {}}; }
  static payment_outcome unavailable(std::string why) {
    return {status::unavailable, std::move(why), {}};
  }
};

class payment_provider {
 public:
  virtual ~payment_provider() = default;
  virtual std::string_view name() const noexcept = 0;
  virtual payment_outcome charge(const payment_request& request) = 0;
};

// Confirms every charge at once (reference "demo-<order_id>"). For demos and tests.
class demo_provider final : public payment_provider {
 public:
  std::string_view name() const noexcept override { return "demo"; }
  payment_outcome charge(const payment_request& request) override;
};

// The provider called `name` ("demo"). Throws std::invalid_argument for an unknown name
// (the settings validate the name first, so this is a programming error).
std::shared_ptr<payment_provider> make_payment_provider(std::string_view name);

}  // namespace kemas::worker::billing
