-- Objects the bucket must lose, kept until S3 confirms (issue 14: nothing left behind).
-- A row is written in the same transaction that lets go of an object (a file deleted, an
-- upload rejected), or by the api before the first byte of a streamed upload reaches S3,
-- due when that upload would count as abandoned (upload.abandon_after); the upload's commit
-- deletes it. The commands role's object cleaner removes due objects in batches (aborting a
-- recorded multipart upload first), leasing each row while it works, so a crashed cleaner's
-- rows come due again. A row whose object a live file references is dropped, never acted on.
CREATE TABLE object_cleanup (
  object_key          text PRIMARY KEY,
  upload_id           uuid,          -- the upload that streamed it; NULL for a deleted file
  multipart_upload_id text,          -- S3's id, recorded before the first part is sent
  due_at              timestamptz NOT NULL,
  attempts            integer NOT NULL DEFAULT 0,
  last_error          text,
  created_at          timestamptz NOT NULL DEFAULT now()
);
-- The cleaner claims the earliest due rows.
CREATE INDEX object_cleanup_due_idx ON object_cleanup (due_at);

-- The reconciler (workers/reconciler.hpp) walks live files in the byte order S3 lists keys
-- in; this index serves that order whatever the database's collation.
CREATE INDEX files_object_key_bytes_idx ON files (object_key COLLATE "C") WHERE state <> 'deleted';
