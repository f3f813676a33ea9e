#!/usr/bin/env bash
# kemas's Grafana dashboard without Grafana (which Debian does not package):
#
#   scripts/dashboard.sh prometheus     Debian's Prometheus on 127.0.0.1:24090 (data in
#                                       .run/prometheus/), scraping what scripts/run.sh runs:
#                                       kemas-api, the five worker roles and RabbitMQ, every
#                                       5 s, with conf/prometheus/alerts.yml loaded. Foreground;
#                                       Ctrl-C stops it.
#   scripts/dashboard.sh snapshot [--prometheus URL] [--minutes N] [--out FILE.png]
#                                       Renders every panel of conf/grafana/dashboards/kemas.json
#                                       (the same queries, units, legends and layout) from that
#                                       Prometheus, or any other, over the last N minutes
#                                       (default 30) to FILE.png (default
#                                       .run/dashboard.png) with Debian's chromium: for a README,
#                                       an incident report, or a machine without Grafana.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
run_dir="${KEMAS_SVC_DIR:-$root/.run}"
prom_port="${KEMAS_DASHBOARD_PROMETHEUS_PORT:-24090}"
api_port="${KEMAS_HTTP_PORT:-8081}"

case "${1:-}" in
  prometheus)
    command -v prometheus >/dev/null || { echo "dashboard: install Debian's prometheus (scripts/deps.sh)"; exit 1; }
    [[ -f "$run_dir/env" ]] || { echo "dashboard: start scripts/run.sh first"; exit 1; }
    rabbit_metrics=$(sed -n 's|^KEMAS_SVC_RABBITMQ_METRICS_URL=http://||p' "$run_dir/env" | cut -d/ -f1)
    mkdir -p "$run_dir/prometheus"
    config="$run_dir/prometheus/prometheus.yml"
    cat > "$config" <<YAML
# Written by scripts/dashboard.sh: the run.sh stack on loopback (conf/prometheus/prometheus.yml
# is the compose bundle's, with Docker DNS). Job names match the dashboard's and the rules'.
global: {scrape_interval: 5s, evaluation_interval: 5s}
rule_files: ["$root/conf/prometheus/alerts.yml"]
scrape_configs:
  - job_name: prometheus
    static_configs: [{targets: ["127.0.0.1:$prom_port"]}]
  - job_name: kemas-api
    static_configs: [{targets: ["127.0.0.1:$api_port"], labels: {service: kemas-api}}]
  - job_name: kemas-worker
    static_configs:
      - {targets: ["127.0.0.1:9464"], labels: {service: kemas-worker}}
      - {targets: ["127.0.0.1:9465"], labels: {service: kemas-scheduler}}
      - {targets: ["127.0.0.1:9466"], labels: {service: kemas-audit}}
      - {targets: ["127.0.0.1:9467"], labels: {service: kemas-mailer}}
      - {targets: ["127.0.0.1:9468"], labels: {service: kemas-reconciler}}
  - job_name: rabbitmq
    static_configs: [{targets: ["$rabbit_metrics"]}]
YAML
    echo "dashboard: Prometheus on http://127.0.0.1:$prom_port (Ctrl-C stops it)"
    exec prometheus --config.file="$config" --storage.tsdb.path="$run_dir/prometheus/data" \
      --storage.tsdb.retention.time=7d --web.listen-address="127.0.0.1:$prom_port" \
      --log.level=warn
    ;;
  snapshot)
    shift
    url="http://127.0.0.1:$prom_port" minutes=30 out="$run_dir/dashboard.png"
    while (($#)); do
      case "$1" in
        --prometheus) url=$2; shift 2 ;;
        --minutes) minutes=$2; shift 2 ;;
        --out) out=$2; shift 2 ;;
        *) echo "dashboard: unknown option $1"; exit 2 ;;
      esac
    done
    html="$(mktemp --suffix=.html)"
    trap 'rm -f "$html"' EXIT
    height=$(node "$root/tools/dashboard/render.mjs" "$root/conf/grafana/dashboards/kemas.json" \
      "$url" "$minutes" "$html")
    mkdir -p "$(dirname "$out")"
    chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --force-device-scale-factor=1 \
      --window-size="1600,$height" --screenshot="$out" "file://$html" 2>/dev/null
    echo "dashboard: $out"
    ;;
  *)
    sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
