-- Downloads per day for the admins' usage statistics. Each kemas-api process counts its
-- downloads in memory and adds them here every few seconds (one statement per flush, not
-- one per download); uploads and active users per day come from audit_log instead.
CREATE TABLE usage_daily (
  day            date PRIMARY KEY,  -- UTC
  downloads      bigint NOT NULL DEFAULT 0 CHECK (downloads >= 0),
  download_bytes bigint NOT NULL DEFAULT 0 CHECK (download_bytes >= 0)
);

-- "Top users by bytes" reads the largest accounts without sorting all of them.
CREATE INDEX users_used_bytes_idx ON users (used_bytes DESC);
