#include "workers/billing/payment_provider.hpp"

#include <stdexcept>

namespace kemas::worker::billing {

payment_outcome demo_provider::charge(const payment_request& request) {
  return payment_outcome::paid("demo-" + request.order_id);
}

std::shared_ptr<payment_provider> make_payment_provider(std::string_view name) {
  if (name == "demo")
    return std::make_shared<demo_provider>();
  throw std::invalid_argument("unknown payment provider \"" + std::string(name) +
                              "\" (billing.provider): the built-in one is \"demo\"");
}

}  // namespace kemas::worker::billing
