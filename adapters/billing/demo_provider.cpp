#include "adapters/billing/demo_provider.hpp"

#include <stdexcept>
#include <string>

namespace kemas::billing {

ports::payment_outcome demo_provider::charge(const ports::payment_request& request) {
  return ports::payment_outcome::paid("demo-" + request.order_id);
}

std::shared_ptr<ports::payment_provider> make_payment_provider(std::string_view name) {
  if (name == "demo")
    return std::make_shared<demo_provider>();
  throw std::invalid_argument("unknown payment provider \"" + std::string(name) +
                              "\" (billing.provider): the built-in one is \"demo\"");
}

}  // namespace kemas::billing
