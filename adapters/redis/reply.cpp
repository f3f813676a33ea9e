#include "adapters/redis/reply.hpp"

#include "domain/hex.hpp"

#include <stdexcept>

namespace kemas::redis {

namespace {

class category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "redis"; }
  std::string message(int value) const override {
    switch (static_cast<redis_errc>(value)) {
      case redis_errc::connect_failed: return "could not connect to Redis";
      case redis_errc::connection_lost: return "connection to Redis lost";
      case redis_errc::timeout: return "Redis did not answer in time";
      case redis_errc::closed: return "Redis client closed";
      case redis_errc::invalid_command: return "Redis command not supported by this client";
    }
    return "unknown Redis client error";
  }
};

[[noreturn]] void wrong_kind(const char* wanted, redis_reply::kind actual) {
  throw std::logic_error(std::string("redis_reply: wanted ") + wanted + ", reply is " +
                         std::string(to_string(actual)));
}

}  // namespace

const std::error_category& redis_category() noexcept {
  static const category instance;
  return instance;
}

redis_reply redis_reply::make_integer(long long value) {
  redis_reply r;
  r.kind_ = kind::integer;
  r.integer_ = value;
  return r;
}

redis_reply redis_reply::make_string(std::string value) {
  return text_reply(kind::string, std::move(value));
}

redis_reply redis_reply::make_status(std::string value) {
  return text_reply(kind::status, std::move(value));
}

redis_reply redis_reply::make_error(std::string message) {
  return text_reply(kind::error, std::move(message));
}

redis_reply redis_reply::text_reply(kind k, std::string text) {
  redis_reply r;
  r.kind_ = k;
  r.str_ = std::move(text);
  return r;
}

redis_reply redis_reply::make_array(std::vector<redis_reply> elements) {
  redis_reply r;
  r.kind_ = kind::array;
  r.elements_ = std::move(elements);
  return r;
}

long long redis_reply::integer() const {
  if (kind_ != kind::integer) wrong_kind("integer", kind_);
  return integer_;
}

const std::string& redis_reply::str() const {
  if (kind_ != kind::string && kind_ != kind::status && kind_ != kind::error) {
    wrong_kind("string", kind_);
  }
  return str_;
}

const std::vector<redis_reply>& redis_reply::elements() const {
  if (kind_ != kind::array) wrong_kind("array", kind_);
  return elements_;
}

std::string_view redis_reply::error_code() const noexcept {
  if (kind_ != kind::error) return {};
  std::string_view text = str_;
  return text.substr(0, text.find(' '));
}

std::string redis_reply::describe() const {
  switch (kind_) {
    case kind::nil: return "(nil)";
    case kind::integer: return "(integer) " + std::to_string(integer_);
    case kind::string: {
      // Binary values stay readable and short in logs.
      constexpr std::size_t shown = 64;
      std::string out = "\"";
      for (std::size_t i = 0; i < str_.size() && i < shown; ++i) {
        const auto c = static_cast<unsigned char>(str_[i]);
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
          out += static_cast<char>(c);
        } else {
          out += "\\x" + hex_lower(&c, 1);
        }
      }
      out += str_.size() > shown ? "\"..." : "\"";
      return out;
    }
    case kind::status: return str_;
    case kind::error: return "(error) " + str_;
    case kind::array: {
      std::string out = "[";
      for (std::size_t i = 0; i < elements_.size(); ++i) {
        if (i != 0) out += ", ";
        out += elements_[i].describe();
      }
      return out + "]";
    }
  }
  return "?";
}

std::string_view to_string(redis_reply::kind k) noexcept {
  switch (k) {
    case redis_reply::kind::nil: return "nil";
    case redis_reply::kind::integer: return "integer";
    case redis_reply::kind::string: return "string";
    case redis_reply::kind::status: return "status";
    case redis_reply::kind::error: return "error";
    case redis_reply::kind::array: return "array";
  }
  return "?";
}

}  // namespace kemas::redis
