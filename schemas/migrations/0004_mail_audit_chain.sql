-- The mailer role and a tamper-evident audit trail.

-- One row per message sent: a redelivered event finds its row and sends nothing again.
-- `kind` tells apart the messages of one event (a plan upgrade sends its receipt now and
-- its "ends soon" reminder days later).
CREATE TABLE mail_deliveries (
  event_id   uuid NOT NULL,
  kind       text NOT NULL CHECK (char_length(kind) BETWEEN 1 AND 64),
  user_id    uuid REFERENCES users (id) ON DELETE SET NULL,
  sent_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (event_id, kind)
);
-- Pruning (like processed_commands) and "what did we send this user".
CREATE INDEX mail_deliveries_sent_at_idx ON mail_deliveries (sent_at);

-- Addresses a user has logged in from, for "new login from a new address" mail. The event
-- that first saw an address is kept, so a redelivered auth.login decides the same way.
CREATE TABLE login_addresses (
  user_id        uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  ip             inet NOT NULL,
  first_event_id uuid NOT NULL,
  first_seen_at  timestamptz NOT NULL DEFAULT now(),
  last_seen_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, ip)
);

-- Hash chain over audit_log: row n stores sha256(hash of row n-1 || canonical text of row n),
-- where the canonical text covers every column but id and the hash itself, and chain_seq
-- (1, 2, 3, ... in insert order) is part of it. Changing a row breaks its own link;
-- removing or reordering rows breaks the next one. `kemas-admin audit verify` recomputes
-- the chain with this same function and names the first broken link.
-- The canonical text is PostgreSQL's own rendering (jsonb is normalised, times are whole
-- microseconds since the epoch), so it does not depend on the session's time zone or on
-- how a client formatted the values it inserted.
ALTER TABLE audit_log ADD COLUMN chain_seq bigint, ADD COLUMN chain_hash bytea;

CREATE FUNCTION audit_link_hash(previous bytea, r audit_log) RETURNS bytea
LANGUAGE sql IMMUTABLE AS $$
  SELECT sha256(coalesce(previous, '\x'::bytea) || convert_to(json_build_array(
           r.chain_seq, r.event_id,
           (extract(epoch FROM r.occurred_at) * 1000000)::bigint,
           r.actor_id, r.actor_ip::text, r.action, r.target_type, r.target_id,
           r.before, r.after, r.request_id)::text, 'UTF8'))
$$;

-- Rows written before this migration join the chain in id order.
DO $$
DECLARE
  r audit_log;
  previous bytea;
  n bigint := 0;
BEGIN
  FOR r IN SELECT * FROM audit_log ORDER BY id LOOP
    n := n + 1;
    r.chain_seq := n;
    UPDATE audit_log SET chain_seq = n, chain_hash = audit_link_hash(previous, r)
     WHERE id = r.id RETURNING chain_hash INTO previous;
  END LOOP;
END $$;

ALTER TABLE audit_log ALTER COLUMN chain_seq SET NOT NULL,
                      ALTER COLUMN chain_hash SET NOT NULL;
-- The next link reads the last one through this index.
CREATE UNIQUE INDEX audit_log_chain_seq_idx ON audit_log (chain_seq);

-- Every insert links itself to the last row. The advisory lock (held to commit) makes
-- concurrent writers take turns, and the function's queries see the row the previous holder
-- committed (a volatile function takes a fresh snapshot per query). An insert that ON
-- CONFLICT skips takes the lock and computes a link it never stores: no gap follows.
CREATE FUNCTION audit_log_link() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  last_seq bigint;
  last_hash bytea;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('kemas.audit_log.chain'));
  SELECT chain_seq, chain_hash INTO last_seq, last_hash
    FROM audit_log ORDER BY chain_seq DESC LIMIT 1;
  NEW.chain_seq := coalesce(last_seq, 0) + 1;
  NEW.chain_hash := audit_link_hash(last_hash, NEW);
  RETURN NEW;
END;
$$;
CREATE TRIGGER audit_log_link BEFORE INSERT ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_link();

-- Admin filters of the audit trail: by action and by request id.
CREATE INDEX audit_log_action_occurred_idx ON audit_log (action, occurred_at DESC);
CREATE INDEX audit_log_request_idx ON audit_log (request_id) WHERE request_id IS NOT NULL;
