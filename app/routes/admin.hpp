#pragma once
// Admin routes for accounts and the audit trail (role admin, sessions only; plans: plans.cpp):
//   GET   /api/v1/admin/users                       list and search, paged
//   GET   /api/v1/admin/users/{id}                  one user: usage, plan, sessions, last login
//   PATCH /api/v1/admin/users/{id}                  {"role": ..., "disabled": ...}
//   POST  /api/v1/admin/users/{id}/password-reset   mail the user a reset link
//   GET   /api/v1/admin/audit                       the audit trail, filtered, paged
//   GET   /api/v1/admin/audit/export?format=        the filtered trail as NDJSON or CSV, streamed
//   GET   /api/v1/admin/stats                       usage statistics

#include "app/server/router.hpp"

namespace kemas::app {
class admin_service;
}

namespace kemas::http {

void add_admin_routes(router& routes, app::admin_service& admin);

}  // namespace kemas::http
