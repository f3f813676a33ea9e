-- Share links (issue 17): a public, expiring link to one file. The token is shown to its
-- owner once; only its SHA-256 is stored, so a database dump cannot be used to download.
CREATE TABLE share_links (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  -- The owner is kept beside the file so every owner-scoped query needs no join, and the
  -- plan's link limit can count the owner's links from one index.
  owner_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  file_id        uuid NOT NULL REFERENCES files (id) ON DELETE CASCADE,
  token_hash     text NOT NULL UNIQUE CHECK (token_hash ~ '^[0-9a-f]{64}$'),
  note           text NOT NULL DEFAULT '' CHECK (char_length(note) <= 500),
  password_hash  text,                -- Argon2id (PHC string); NULL: no password
  -- NULL: unlimited. downloads never passes it: the counting UPDATE is conditional.
  max_downloads  integer CHECK (max_downloads BETWEEN 1 AND 1000000),
  downloads      integer NOT NULL DEFAULT 0,
  expires_at     timestamptz NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  revoked_at     timestamptz,
  CONSTRAINT share_links_downloads_within_max
    CHECK (downloads >= 0 AND (max_downloads IS NULL OR downloads <= max_downloads)),
  CONSTRAINT share_links_expiry_after_creation CHECK (expires_at > created_at)
);
-- The owner's list (newest first) and the plan's limit (live links of one owner).
CREATE INDEX share_links_owner_idx ON share_links (owner_id, created_at DESC, id DESC);
-- Deleting or locking a file disables its links; deleting one revokes them through this index.
CREATE INDEX share_links_file_idx ON share_links (file_id) WHERE revoked_at IS NULL;

-- How many live share links (not revoked, not expired) an account of the plan may hold.
ALTER TABLE plans ADD COLUMN max_share_links integer NOT NULL DEFAULT 20
  CHECK (max_share_links BETWEEN 0 AND 1000000);
UPDATE plans SET max_share_links = 1000 WHERE name = 'premium';
