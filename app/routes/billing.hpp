#pragma once
// Route groups of step 4 (plans, billing, the scheduler's internal route):
//   plans.cpp     GET /api/v1/plans                                   public, cacheable 60 s
//                 GET|POST /api/v1/admin/plans, GET|PATCH|DELETE /api/v1/admin/plans/{id}
//                                                                     role admin, no API keys
//   billing.cpp   POST /api/v1/auth/billing/upgrade {"package"}       session
//                 GET /api/v1/auth/billing/subscription, /orders, /orders/{id}
//   internal.cpp  POST /api/v1/internal/scheduler/check-expired-packages
//                 internal token (X-Internal-Token or Authorization: Bearer), no account

#include <boost/json/object.hpp>

#include "adapters/config/settings.hpp"
#include "domain/model/order.hpp"
#include "domain/model/plan.hpp"
#include "app/server/router.hpp"

namespace kemas::app {
class plan_service;
class billing_service;
}  // namespace kemas::app

namespace kemas::http {

void add_plan_routes(router& routes, app::plan_service& plans);
void add_billing_routes(router& routes, app::billing_service& billing);
// `internal` is read per request (the token); it must outlive the router.
void add_internal_routes(router& routes, app::billing_service& billing,
                         const config::internal_settings& internal);

// {"id","name","display_name","quota_bytes","max_file_bytes","price_cents","currency",
//  "duration_seconds"}; with_admin_fields adds "public", "created_at", "updated_at".
boost::json::object plan_json(const model::plan& plan, bool with_admin_fields);
// {"plan","plan_display_name","expires_at","used_bytes","quota_bytes","max_file_bytes","expired"}
boost::json::object subscription_json(const model::subscription& s);
// {"id","plan","amount_cents","currency","state","reason","expires_at","created_at"}
boost::json::object order_json(const model::order& order);

}  // namespace kemas::http
