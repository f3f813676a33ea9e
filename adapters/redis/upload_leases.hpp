#pragma once
// redis_upload_leases: ports::upload_leases in Redis. The lease of upload U is the key
// kemas:tus-lease:{U} holding a random holder id, set with NX and a PX ttl: acquire, renew
// and release are one script each, so a renewal or release by a PATCH whose lease lapsed and
// was taken over does nothing. Keys expire by themselves: nothing accumulates.

#include "domain/ports/upload_leases.hpp"

namespace kemas::redis {

class redis_client;

class redis_upload_leases final : public ports::upload_leases {
 public:
  explicit redis_upload_leases(redis_client& redis) noexcept : redis_(redis) {}

  ports::async<result<ports::lease_grant>> acquire(uuid upload_id,
                                                   std::chrono::milliseconds ttl) override;
  ports::async<result<bool>> renew(uuid upload_id, std::string holder,
                                   std::chrono::milliseconds ttl) override;
  ports::async<void> release(uuid upload_id, std::string holder) override;

 private:
  redis_client& redis_;
};

}  // namespace kemas::redis
