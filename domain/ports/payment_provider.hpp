#pragma once
// payment_provider: charges an order for an `upgrade` (DESIGN.md, issue 5). Taking money is
// out of kemas' scope: the worker asks a provider and records its answer on the order row.
// `billing.provider` names the provider (adapters/billing: the built-in `demo`).
//
// Contract for providers (a real one would call a payment service):
//  - charge() is called by the upgrade handler on a worker handler thread, OUTSIDE any
//    database transaction: it may block for a while (seconds) without holding a lock.
//  - It is idempotent by order_id: the same command may run again after a crash or a failed
//    commit, and must not charge twice (real services take an idempotency key for this).
//  - paid: the money is taken. declined: it never will be for this order (the order is
//    recorded as failed with the reason). unavailable: a transient fault; nothing is
//    recorded and the command is retried later.
//  - Implementations are shared by every handler thread: thread-safe, no unguarded state.

#include <cstdint>
#include <string>
#include <string_view>

namespace kemas::ports {

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
  static payment_outcome declined(std::string why) {
    return {status::declined, std::move(why), {}};
  }
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

}  // namespace kemas::ports
