#!/usr/bin/env bash
# Runs conf/nginx/kemas.conf in a real nginx on loopback, in front of a stub kemas-api
# (nginx_stub.js), and checks what clients see: redirect, TLS proxying, X-Forwarded-For and
# X-Request-Id handling, streamed uploads, JSON errors (404, 413, 429, 431, 503), rate limits.
# Needs nginx (Debian's nginx-light is enough), node, curl, openssl. Starts nothing it does
# not stop. The config is adapted for the test only where it must be: loopback ports, the
# stub's address instead of kemas-api, and `http2 on;` dropped when nginx is older than 1.25.1.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
conf="$here/../../conf/nginx"
work=$(mktemp -d /tmp/kemas-nginx-test.XXXXXX)
chmod 755 "$work"   # nginx workers run as another user when started by root
passed=0 failed=0
check() {  # name, then a command that must succeed
  local name=$1; shift
  if "$@"; then passed=$((passed + 1)); echo "ok   $name"; else failed=$((failed + 1)); echo "FAIL $name"; fi
}
# A port nobody listens on, below Linux's ephemeral range (32768-60999 by default): a port in
# that range can be the local end of some other process's connection, which a connect() test
# does not see and nginx's bind() then fails on. Each pick differs from the ones before it.
picked=" "
free_port() {
  local p
  while :; do
    p=$((20000 + RANDOM % 12000))
    [[ $picked == *" $p "* ]] && continue
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && continue
    picked+="$p "
    port=$p
    return
  done
}
free_port; http_port=$port
free_port; https_port=$port
free_port; stub_port=$port
stub_pid=""
cleanup() {
  [[ -f $work/nginx.pid ]] && kill -QUIT "$(cat "$work/nginx.pid")" 2>/dev/null
  [[ -n $stub_pid ]] && kill "$stub_pid" 2>/dev/null
  sleep 0.3; rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/conf.d" "$work/kemas" "$work/tls" "$work/logs" "$work/acme/.well-known/acme-challenge"
echo challenge-token > "$work/acme/.well-known/acme-challenge/t1"
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost \
  -keyout "$work/tls/privkey.pem" -out "$work/tls/fullchain.pem" 2>/dev/null
drop_http2=()
nginx_version=$(nginx -v 2>&1 | sed -n 's#.*nginx/\([0-9.]*\).*#\1#p')
if [[ $(printf '%s\n1.25.1\n' "$nginx_version" | sort -V | head -1) != 1.25.1 ]]; then
  drop_http2=(-e 's#^\(\s*\)http2 on;#\1\# http2 on; (dropped: nginx '"$nginx_version"')#')
fi
adapt() {
  sed -e "s#/etc/nginx/kemas#$work/kemas#g" -e "s#/etc/nginx/tls#$work/tls#g" \
      -e "s#/var/log/nginx#$work/logs#g" -e "s#/var/www/acme#$work/acme#g" \
      -e "s#listen 8080 #listen 127.0.0.1:$http_port #" -e "s#listen 8443 #listen 127.0.0.1:$https_port #" \
      -e "s#http://kemas-api:8081#http://127.0.0.1:$stub_port#" "${drop_http2[@]}" "$1"
}
adapt "$conf/kemas.conf" > "$work/conf.d/default.conf"
for f in "$conf"/snippets/*.conf; do adapt "$f" > "$work/kemas/$(basename "$f")"; done
cat > "$work/nginx.conf" <<CONF
pid $work/nginx.pid;
error_log $work/logs/error.log notice;
worker_processes 1;
events { worker_connections 256; }
http {
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  client_body_temp_path $work/body; proxy_temp_path $work/proxy; fastcgi_temp_path $work/fcgi;
  uwsgi_temp_path $work/uwsgi; scgi_temp_path $work/scgi;
  include $work/conf.d/*.conf;
}
CONF
check "nginx -t accepts the configuration" nginx -q -t -p "$work" -c "$work/nginx.conf"
node "$here/nginx_stub.js" "$stub_port" > "$work/stub.log" 2>&1 & stub_pid=$!
nginx -p "$work" -c "$work/nginx.conf" || { echo "FAIL nginx did not start"; exit 1; }
for _ in $(seq 1 50); do grep -q 'stub up' "$work/stub.log" && [[ -s $work/nginx.pid ]] && break; sleep 0.1; done

base="https://127.0.0.1:$https_port"
c() { curl -sk -m 20 "$@"; }
json_field() { python3 -c "import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))" "$1"; }

check "HTTP redirects to HTTPS" test "$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' -H 'Host: files.example.com' \
  "http://127.0.0.1:$http_port/api/v1/x?y=1")" = "301 https://files.example.com/api/v1/x?y=1"
check "ACME challenge served over HTTP" test "$(curl -s "http://127.0.0.1:$http_port/.well-known/acme-challenge/t1")" = challenge-token

echoed=$(c -H 'X-Forwarded-For: 6.6.6.6' -H 'X-Request-Id: client-id_1.2:3' "$base/api/v1/auth/files/list")
check "client's X-Forwarded-For is replaced by its address" test "$(json_field "d['headers']['x-forwarded-for']" <<<"$echoed")" = 127.0.0.1
check "sane X-Request-Id is passed on" test "$(json_field "d['headers']['x-request-id']" <<<"$echoed")" = client-id_1.2:3
check "X-Forwarded-Proto is https" test "$(json_field "d['headers']['x-forwarded-proto']" <<<"$echoed")" = https
echoed=$(c -H 'X-Request-Id: bad id<x>' "$base/readyz")
check "insane X-Request-Id is replaced" bash -c '[[ $0 =~ ^[0-9a-f]{32}$ ]]' "$(json_field "d['headers']['x-request-id']" <<<"$echoed")"

head -c 2000000 /dev/urandom > "$work/big.bin"
code=$(c -D "$work/h413" -o "$work/b413" -w '%{http_code}' -X POST --data-binary @"$work/big.bin" "$base/api/v1/auth/billing/upgrade")
check "2 MB JSON body answered 413" test "$code" = 413
check "413 is kemas-style JSON" test "$(json_field "d['error']['code']" < "$work/b413")" = payload_too_large
check "413 carries security headers" bash -c 'grep -qi "^strict-transport-security:" "$0" && grep -qi "^x-content-type-options: nosniff" "$0"' "$work/h413"

# 2 MB at 1 MB/s: streamed, the stub sees the first byte at once and the body until the end.
up=$(c --limit-rate 1M -X POST --data-binary @"$work/big.bin" "$base/api/v1/auth/files/upload?name=a.bin")
check "upload body reaches kemas whole" test "$(json_field "d['bytes']" <<<"$up")" = 2000000
check "upload is streamed (first byte < 0.5 s, body over > 1 s)" \
  test "$(json_field "int(d['first_body_ms'] < 500 and d['total_ms'] > 1000)" <<<"$up")" = 1

check "/metrics not exposed (404 JSON)" test "$(c "$base/metrics" | json_field "d['error']['code']")" = not_found
check "internal routes not exposed" test "$(c -o /dev/null -w '%{http_code}' -X POST "$base/api/v1/internal/scheduler/check-expired-packages")" = 404
check "oversized header answered 431" test "$(c -o /dev/null -w '%{http_code}' -H "X-Big: $(head -c 20000 /dev/zero | tr '\0' a)" "$base/healthz")" = 431
check "download streams 4 MiB" test "$(c -o /dev/null -w '%{size_download}' "$base/api/v1/auth/files/download/abc")" = 4194304

codes=""
for _ in $(seq 1 15); do codes+="$(c -o /dev/null -w '%{http_code}' -X POST "$base/api/v1/user/login") "; done
check "login is rate limited per address (429 after the burst)" bash -c '[[ $0 == *"200 "* && $0 == *"429 "* ]]' "$codes"
check "429 has Retry-After" bash -c 'c() { curl -sk -m 5 "$@"; }; c -D - -o /dev/null -X POST "$0/api/v1/user/login" | grep -qi "^retry-after:"' "$base"
check "uploads are not in the login zone" test "$(c -o /dev/null -w '%{http_code}' -X POST --data x "$base/api/v1/auth/files/upload?name=x")" = 200

kill "$stub_pid"; wait "$stub_pid" 2>/dev/null; stub_pid=""
check "kemas down answers 503 JSON" test "$(c "$base/api/v1/auth/files/list" | json_field "d['error']['code']")" = backend_unavailable
check "access log lines are JSON with request_id" bash -c 'tail -1 "$0" | python3 -c "import json,sys; d=json.loads(sys.stdin.read()); assert d[\"request_id\"] and d[\"process\"] == \"nginx\""' "$work/logs/access.log"

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
