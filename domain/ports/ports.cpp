// Out-of-line pieces of the port headers (the ports themselves are interfaces).
#include <stdexcept>

#include "domain/ports/object_store.hpp"

namespace kemas::ports {

void throw_exception_from_error(const object_fault& fault, const boost::source_location&) {
  throw std::runtime_error(fault.detail);
}

}  // namespace kemas::ports
