#pragma once
// A base for types that own what must not be duplicated — a thread, a connection, a pool, a
// scratch database: it deletes the copy operations, and so leaves the type without implicit
// moves too (declare them where a type can move). Private inheritance costs nothing (an empty
// base).

namespace kemas {

class non_copyable {
 public:
  non_copyable(const non_copyable&) = delete;
  non_copyable& operator=(const non_copyable&) = delete;

 protected:
  non_copyable() = default;
  ~non_copyable() = default;
};

}  // namespace kemas
