#include "adapters/redis/script.hpp"

#include "adapters/crypto/tokens.hpp"

namespace kemas::redis {


redis_script::redis_script(std::string source)
    : source_(std::move(source)), sha1_(crypto::sha1_hex(source_)) {}

}  // namespace kemas::redis
