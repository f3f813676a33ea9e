-- The owner's users row locked FOR NO KEY UPDATE instead of FOR UPDATE (issue 11), here and
-- in every other statement that locks a users row to update it (expire and upgrade, share
-- links, role and disabled changes; adapters/postgres). None of them changes users.id, the
-- only column a foreign key can reference, and NO KEY UPDATE is the lock their UPDATE takes
-- anyway. FOR UPDATE also conflicts with FOR KEY SHARE, the lock a foreign key check takes
-- on the referenced row: while a worker's commit (or an expiry group's, for each owner of
-- the group) held it, every INSERT that names the owner — the api's pending upload row, a
-- tus upload, a share link, an API key, an order — waited for that commit.
--
-- commit_upload is 0009_commit_upload.sql's but for that lock.
CREATE OR REPLACE FUNCTION commit_upload(p_upload_id uuid, p_owner_id uuid, p_file_id uuid, p_name text,
                              p_content_type text, p_size bigint, p_sha256 text,
                              p_object_key text, p_claimed boolean, p_command_id uuid,
                              p_event jsonb, p_settle_channel text)
RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
  v_state text;
  v_owner uuid;
  v_used bigint;
  v_reserved bigint;
  v_own_reserved bigint;
  v_quota bigint;
  v_max_file bigint;
BEGIN
  -- A streamed body's claim (0006_object_cleanup.sql): locked now, removed only on commit.
  IF p_claimed THEN
    PERFORM 1 FROM object_cleanup WHERE object_key = p_object_key FOR UPDATE;
  END IF;

  SELECT state, owner_id INTO v_state, v_owner FROM uploads WHERE id = p_upload_id FOR UPDATE;
  IF NOT FOUND OR v_owner <> p_owner_id THEN
    RETURN 'no_upload';
  END IF;
  IF v_state <> 'pending' THEN
    RETURN 'already_settled';
  END IF;

  -- NO KEY UPDATE: serializes with every other writer of the row (they all take it or
  -- stronger) but not with a foreign key's check, so the api's next INSERT for this owner
  -- (an upload, a claim, a share link) does not wait for this commit.
  SELECT used_bytes, reserved_bytes INTO v_used, v_reserved
    FROM users WHERE id = p_owner_id FOR NO KEY UPDATE;
  IF NOT FOUND THEN
    RETURN 'no_upload';
  END IF;
  -- A later statement, so a fresh snapshot: the plan an expire or upgrade committed before
  -- the lock above was granted (a paid plan past due counts as free at once).
  SELECT quota_bytes, max_file_bytes INTO v_quota, v_max_file
    FROM user_limits WHERE user_id = p_owner_id;
  IF p_size > v_max_file THEN
    RETURN 'too_large';
  END IF;
  IF EXISTS (SELECT 1 FROM files WHERE owner_id = p_owner_id AND name = p_name
                                   AND state <> 'deleted') THEN
    RETURN 'name_taken';
  END IF;
  -- A tus upload's own reservation turns into use; other running ones still count.
  v_own_reserved := coalesce((SELECT reserved_bytes FROM tus_uploads WHERE id = p_upload_id), 0);
  IF v_used + v_reserved - v_own_reserved + p_size > v_quota THEN
    RETURN 'quota_exceeded';
  END IF;

  -- files_owner_name_live_key decides a name taken since the check (a rename).
  INSERT INTO files (id, owner_id, name, content_type, size_bytes, sha256, object_key)
  VALUES (p_file_id, p_owner_id, p_name, p_content_type, p_size, p_sha256, p_object_key)
  ON CONFLICT (owner_id, name) WHERE state <> 'deleted' DO NOTHING;
  IF NOT FOUND THEN
    RETURN 'name_taken';
  END IF;

  DELETE FROM tus_uploads WHERE id = p_upload_id;
  UPDATE users SET used_bytes = used_bytes + p_size, file_count = file_count + 1,
                   reserved_bytes = reserved_bytes - v_own_reserved
   WHERE id = p_owner_id;
  UPDATE uploads SET state = 'committed', reason = NULL, file_id = p_file_id
   WHERE id = p_upload_id;
  INSERT INTO processed_commands (command_id, outcome) VALUES (p_command_id, 'committed')
  ON CONFLICT (command_id) DO NOTHING;
  INSERT INTO outbox (event) VALUES (p_event);
  IF p_claimed THEN
    DELETE FROM object_cleanup WHERE object_key = p_object_key;
  END IF;
  -- Delivered at the commit only: the api waiting for this upload reads it then.
  PERFORM pg_notify(p_settle_channel, p_upload_id::text);
  RETURN 'committed';
END;
$$;
