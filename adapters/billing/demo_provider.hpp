#pragma once
// The payment providers kemas ships (ports::payment_provider), chosen by billing.provider.
// The only built-in one is `demo`: it confirms every charge at once and never touches the
// network (for demos and tests). A real provider is one more class here.

#include <memory>
#include <string_view>

#include "domain/ports/payment_provider.hpp"

namespace kemas::billing {

// Confirms every charge at once (reference "demo-<order_id>").
class demo_provider final : public ports::payment_provider {
 public:
  std::string_view name() const noexcept override { return "demo"; }
  ports::payment_outcome charge(const ports::payment_request& request) override;
};

// The provider called `name` ("demo"). Throws std::invalid_argument for an unknown name
// (the settings validate the name first, so this is a programming error).
std::shared_ptr<ports::payment_provider> make_payment_provider(std::string_view name);

}  // namespace kemas::billing
