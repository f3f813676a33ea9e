#pragma once
// The PostgreSQL notification channel of settle_signals (domain/ports/settle_signals.hpp):
// a worker transaction that settles a row the api may wait for runs
// pg_notify(KEMAS_SETTLE_CHANNEL, <the row's id>); PostgreSQL delivers it when (and only if)
// that transaction commits. settle_listener LISTENs on it in every api process. A macro, so
// SQL text can be built from it at compile time.
#define KEMAS_SETTLE_CHANNEL "kemas_settled"
