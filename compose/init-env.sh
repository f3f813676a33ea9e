#!/usr/bin/env bash
# Creates compose/.env from compose/.env.example and fills every empty secret with a random
# hex value: 40 characters (160 bits), the longest secret key MinIO accepts and more than the
# 32 bytes kemas wants for its JWT key. Safe to run again: values already set are never
# changed, so it only fills what is still empty (e.g. a secret added to .env.example later).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
example="$here/.env.example"
env_file="$here/.env"

random_hex() {  # $1 bytes
  if command -v openssl >/dev/null; then openssl rand -hex "$1"
  else od -An -tx1 -N"$1" /dev/urandom | tr -d ' \n'; fi
}

if [[ ! -f $env_file ]]; then
  cp "$example" "$env_file"
  echo "init-env: created $env_file from .env.example"
fi
chmod 600 "$env_file"

filled=0
tmp=$(mktemp "$env_file.XXXXXX")
trap 'rm -f "$tmp"' EXIT
while IFS= read -r line || [[ -n $line ]]; do
  # NAME= with nothing after it, where NAME is a secret.
  if [[ $line =~ ^([A-Z0-9_]*(SECRET|PASSWORD|TOKEN)[A-Z0-9_]*)=$ ]]; then
    line="${BASH_REMATCH[1]}=$(random_hex 20)"
    filled=$((filled + 1))
  fi
  printf '%s\n' "$line"
done < "$env_file" > "$tmp"
chmod 600 "$tmp"
mv "$tmp" "$env_file"
trap - EXIT
echo "init-env: filled $filled empty secret(s) in $env_file"
