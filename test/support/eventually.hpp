#pragma once
// Waiting for asynchronous effects in tests: poll a condition until it holds or a deadline
// passes (never a bare sleep standing in for "long enough").

#include <chrono>
#include <functional>

namespace kemas::test {

// True as soon as `done()` holds; false if it still does not after `limit`.
bool eventually(const std::function<bool()>& done, std::chrono::milliseconds limit = std::chrono::seconds(5),
                std::chrono::milliseconds interval = std::chrono::milliseconds(20));

}  // namespace kemas::test
