#pragma once
// byte_ring: a fixed buffer of bytes used as a FIFO, allocated once. A streamed PUT's body
// passes through it between the request's coroutine and curl's read callback (before, a
// queue held one heap string per incoming 64 KiB chunk: an allocation and a free each, and
// up to a chunk more than put_buffer). Not thread-safe: its owner locks.

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <memory>

namespace kemas::s3 {

class byte_ring {
 public:
  explicit byte_ring(std::size_t capacity)
      : data_(std::make_unique_for_overwrite<char[]>(capacity)), capacity_(capacity) {}

  std::size_t size() const noexcept { return count_; }
  std::size_t room() const noexcept { return capacity_ - count_; }
  std::size_t capacity() const noexcept { return capacity_; }

  // Appends as much of [bytes, bytes + n) as there is room for; returns how much.
  std::size_t put(const char* bytes, std::size_t n) noexcept {
    n = std::min(n, room());
    const std::size_t tail = (head_ + count_) % capacity_;
    const std::size_t first = std::min(n, capacity_ - tail);
    std::memcpy(data_.get() + tail, bytes, first);
    std::memcpy(data_.get(), bytes + first, n - first);
    count_ += n;
    return n;
  }

  // Moves up to n of the oldest bytes to `out`; returns how many.
  std::size_t take(char* out, std::size_t n) noexcept {
    n = std::min(n, count_);
    const std::size_t first = std::min(n, capacity_ - head_);
    std::memcpy(out, data_.get() + head_, first);
    std::memcpy(out + first, data_.get(), n - first);
    head_ = (head_ + n) % capacity_;
    count_ -= n;
    return n;
  }

  void clear() noexcept {
    head_ = 0;
    count_ = 0;
  }

 private:
  std::unique_ptr<char[]> data_;
  std::size_t capacity_;
  std::size_t head_ = 0;  // the oldest byte
  std::size_t count_ = 0;
};

}  // namespace kemas::s3
