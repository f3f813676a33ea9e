#include "adapters/support/blocking_pool.hpp"
// Header-only today; this unit keeps the header compiling on its own.
