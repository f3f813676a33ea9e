-- Resumable uploads (tus 1.0, issue 17). kemas records the offset and the parts itself, so a
-- HEAD or a resume never asks S3 (ListParts) and survives any api restart; any api instance
-- can take the next PATCH (the PATCH holds a lease in Redis; `fence` stops a stalled one).

-- Bytes promised to unfinished tus uploads of a known length. Every quota check counts them
-- (used_bytes + reserved_bytes + the new bytes <= quota), so uploads running side by side
-- cannot together pass the quota; the commit of a tus upload moves its reservation into
-- used_bytes in the same statement.
ALTER TABLE users ADD COLUMN reserved_bytes bigint NOT NULL DEFAULT 0 CHECK (reserved_bytes >= 0);

CREATE TABLE tus_uploads (
  -- Also the id of the `uploads` row made when the last byte is in, and of its command.
  id                  uuid PRIMARY KEY,
  owner_id            uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  file_id             uuid NOT NULL,            -- the file it becomes
  object_key          text NOT NULL,            -- u/{owner}/{file_id}: generated, never the client's
  name                text NOT NULL,
  content_type        text NOT NULL,
  metadata            text NOT NULL DEFAULT '' CHECK (octet_length(metadata) <= 4096),
  length              bigint CHECK (length >= 0),  -- NULL: Upload-Defer-Length until declared
  reserved_bytes      bigint NOT NULL DEFAULT 0 CHECK (reserved_bytes >= 0),
  "offset"            bigint NOT NULL DEFAULT 0 CHECK ("offset" >= 0),
  multipart_upload_id text,                     -- S3's, once the first part is on its way
  -- The next free S3 part number. A PATCH that takes over reserves the numbers its body can
  -- fill: numbers are never handed out twice, so a stalled PATCH still sending a part can
  -- never overwrite a part a newer PATCH recorded.
  next_part           integer NOT NULL DEFAULT 1 CHECK (next_part BETWEEN 1 AND 10001),
  -- The fencing token: each PATCH that takes the upload over raises it, and every write it
  -- makes names the token it got; a stalled PATCH's late writes match no row.
  fence               bigint NOT NULL DEFAULT 0,
  -- SHA-256 midstate after `offset` bytes (the file's digest is known at the end without
  -- reading the object back) and the bytes after the last part (at most one part: S3 takes
  -- only full parts but the last).
  sha256_state        bytea,
  tail                bytea NOT NULL DEFAULT '',
  -- completing: every byte is in and the `upload` command is on its way.
  state               text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'completing')),
  expires_at          timestamptz NOT NULL,
  created_at          timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT tus_uploads_offset_within_length CHECK (length IS NULL OR "offset" <= length),
  CONSTRAINT tus_uploads_reservation_is_length CHECK (reserved_bytes = coalesce(length, 0))
);
-- An account's unfinished uploads (the upload.tus_max_open limit).
CREATE INDEX tus_uploads_owner_idx ON tus_uploads (owner_id);

-- The parts an upload stored, as S3 acknowledged them (CompleteMultipartUpload needs each
-- number and ETag).
CREATE TABLE tus_parts (
  upload_id  uuid NOT NULL REFERENCES tus_uploads (id) ON DELETE CASCADE,
  number     integer NOT NULL CHECK (number BETWEEN 1 AND 10000),
  size_bytes bigint NOT NULL CHECK (size_bytes > 0),
  etag       text NOT NULL,
  PRIMARY KEY (upload_id, number)
);

-- Admission of a plain upload reads the room left through this view: reservations count.
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
       u.file_count      AS file_count,
       u.reserved_bytes  AS reserved_bytes
FROM users u
JOIN plans p
  ON p.id = CASE
              WHEN u.plan_expires_at IS NOT NULL AND u.plan_expires_at <= now()
                THEN (SELECT f.id FROM plans f WHERE f.name = 'free')
              ELSE u.plan_id
            END;
