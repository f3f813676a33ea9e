#!/bin/sh
# One-shot MinIO setup for kemas, run by the `minio-init` service (image minio/mc) after MinIO
# is healthy. Idempotent: every step may run again on each `docker compose up`.
#   - creates the bucket (private: no anonymous access);
#   - creates the application user kemas signs with (KEMAS_S3_ACCESS_KEY / KEMAS_S3_SECRET_KEY)
#     and a policy that allows that user this one bucket only, so the MinIO root credentials
#     stay with the operator.
set -eu
: "${MINIO_ROOT_USER:?}" "${MINIO_ROOT_PASSWORD:?}" "${KEMAS_S3_BUCKET:?}"
: "${KEMAS_S3_ACCESS_KEY:?}" "${KEMAS_S3_SECRET_KEY:?}"

# `mc` reads the alias from MC_HOST_<alias>: the root password stays off the command line.
# It is put into a URL, so it must be URL-safe (letters, digits, - _ .): compose/init-env.sh
# generates hex secrets.
export MC_HOST_kemas="http://${MINIO_ROOT_USER}:${MINIO_ROOT_PASSWORD}@minio:9000"

mc mb --ignore-existing "kemas/${KEMAS_S3_BUCKET}"
mc anonymous set none "kemas/${KEMAS_S3_BUCKET}"

policy=/tmp/kemas-bucket-policy.json
cat > "$policy" <<JSON
{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": ["s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"],
      "Resource": ["arn:aws:s3:::${KEMAS_S3_BUCKET}"]
    },
    {
      "Effect": "Allow",
      "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject",
                 "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
      "Resource": ["arn:aws:s3:::${KEMAS_S3_BUCKET}/*"]
    }
  ]
}
JSON
mc admin policy create kemas kemas-bucket "$policy"
# `user add` on an existing user resets its secret: a changed KEMAS_S3_SECRET_KEY takes effect.
mc admin user add kemas "$KEMAS_S3_ACCESS_KEY" "$KEMAS_S3_SECRET_KEY"
if ! out=$(mc admin policy attach kemas kemas-bucket --user "$KEMAS_S3_ACCESS_KEY" 2>&1); then
  case "$out" in
    *"already in effect"*) ;;  # attached by an earlier run
    *) echo "$out" >&2; exit 1 ;;
  esac
fi
echo "minio-init: bucket ${KEMAS_S3_BUCKET} and user ${KEMAS_S3_ACCESS_KEY} ready"
