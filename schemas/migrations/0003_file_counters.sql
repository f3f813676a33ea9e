-- Listing without count(*): a user's live files are counted in users.file_count, changed in
-- the same statement that changes used_bytes (the upload commit adds one, the delete removes
-- one), so the list answers its total from one row instead of scanning the user's files.
ALTER TABLE users ADD COLUMN file_count bigint NOT NULL DEFAULT 0 CHECK (file_count >= 0);
UPDATE users u
   SET file_count = (SELECT count(*) FROM files f WHERE f.owner_id = u.id AND f.state <> 'deleted')
 WHERE EXISTS (SELECT 1 FROM files f WHERE f.owner_id = u.id AND f.state <> 'deleted');

-- The list reads the page and the totals in one statement through this view.
CREATE OR REPLACE VIEW user_limits AS
SELECT u.id              AS user_id,
       p.id              AS plan_id,
       p.name            AS plan_name,
       p.quota_bytes     AS quota_bytes,
       p.max_file_bytes  AS max_file_bytes,
       (u.plan_expires_at IS NOT NULL AND u.plan_expires_at <= now()) AS expired,
       p.display_name    AS plan_display_name,
       u.used_bytes      AS used_bytes,
       u.plan_expires_at AS plan_expires_at,
       u.file_count      AS file_count
FROM users u
JOIN plans p
  ON p.id = CASE
              WHEN u.plan_expires_at IS NOT NULL AND u.plan_expires_at <= now()
                THEN (SELECT f.id FROM plans f WHERE f.name = 'free')
              ELSE u.plan_id
            END;

-- Listing by name (sort=name) walks this index in byte order from the cursor on, instead
-- of sorting all of a user's files for every page.
CREATE INDEX files_owner_name_c_idx ON files (owner_id, (name COLLATE "C"), id)
  WHERE state <> 'deleted';
