-- 0002_plans_billing: step 4 — the plan in force now, billing history details, sweep slots.

-- The plan IN FORCE NOW for every account. A paid plan whose plan_expires_at has passed is
-- treated as the fallback plan 'free' at once, before any worker has downgraded the row:
-- this view is the real-time enforcement. Every quota and limit check reads it (the api's
-- upload admission and download lock check, the worker's upload commit, the subscription).
-- `expired` is true while an account is past due but not swept yet; plan_expires_at is the
-- stored value (kept until the `expire` command clears it).
-- now() is the transaction's start: one transaction sees one consistent answer.
CREATE VIEW user_limits AS
SELECT u.id              AS user_id,
       p.id              AS plan_id,
       p.name            AS plan_name,
       p.quota_bytes     AS quota_bytes,
       p.max_file_bytes  AS max_file_bytes,
       (u.plan_expires_at IS NOT NULL AND u.plan_expires_at <= now()) AS expired,
       p.display_name    AS plan_display_name,
       u.used_bytes      AS used_bytes,
       u.plan_expires_at AS plan_expires_at
FROM users u
JOIN plans p
  ON p.id = CASE
              WHEN u.plan_expires_at IS NOT NULL AND u.plan_expires_at <= now()
                THEN (SELECT f.id FROM plans f WHERE f.name = 'free')
              ELSE u.plan_id
            END;

-- 'free' is the fallback of user_limits and of expiry: it must always exist under that name
-- and never expire. The api refuses these changes first; this keeps a bug or a hand-written
-- UPDATE from leaving past-due accounts without any plan in force.
CREATE FUNCTION plans_keep_free() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' AND OLD.name = 'free' THEN
    RAISE EXCEPTION 'the plan free is the fallback plan and cannot be deleted'
      USING ERRCODE = 'check_violation', CONSTRAINT = 'plans_keep_free';
  END IF;
  IF TG_OP = 'UPDATE' AND OLD.name = 'free'
     AND (NEW.name <> 'free' OR NEW.duration_seconds IS NOT NULL) THEN
    RAISE EXCEPTION 'the plan free must keep its name and never expire'
      USING ERRCODE = 'check_violation', CONSTRAINT = 'plans_keep_free';
  END IF;
  IF TG_OP = 'DELETE' THEN
    RETURN OLD;
  END IF;
  RETURN NEW;
END;
$$;
CREATE TRIGGER plans_keep_free BEFORE UPDATE OR DELETE ON plans
  FOR EACH ROW EXECUTE FUNCTION plans_keep_free();

-- Orders are written by the worker's `upgrade` transaction with the id the api generated
-- (the api polls for that row). expires_at: the subscription end this order bought (NULL
-- for a failed order). reason: why a failed order failed (plan_not_purchasable,
-- payment_declined, ...); a failed order without one would leave its buyer guessing.
ALTER TABLE orders
  ADD COLUMN expires_at timestamptz,
  ADD COLUMN reason     text,
  ADD CONSTRAINT orders_failed_has_reason CHECK (state <> 'failed' OR reason IS NOT NULL);

-- The billing history lists newest first with a keyset cursor (created_at, id).
DROP INDEX orders_user_created_idx;
CREATE INDEX orders_user_created_idx ON orders (user_id, created_at DESC, id DESC);

-- The expiry sweep pages through due accounts in (plan_expires_at, id) order:
--   WHERE plan_expires_at <= now() AND (plan_expires_at, id) > (:after, :id)
--   ORDER BY plan_expires_at, id LIMIT n
-- The id makes the keyset exact when many accounts share one expiry time. Free accounts
-- (NULL) stay out of the index, as in 0001.
DROP INDEX users_plan_expires_at_idx;
CREATE INDEX users_plan_expires_at_idx ON users (plan_expires_at, id)
  WHERE plan_expires_at IS NOT NULL;

-- One expiry sweep per interval however many schedulers run: each claims
--   slot = floor(epoch seconds / sweep_interval seconds)
-- with INSERT ... ON CONFLICT DO NOTHING; only the one whose row was inserted publishes.
CREATE TABLE sweep_slots (
  slot       bigint PRIMARY KEY,
  claimed_at timestamptz NOT NULL DEFAULT now(),
  claimed_by text   -- host/pid of the winning scheduler, for operators
);
