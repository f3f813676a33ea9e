#!/usr/bin/python3
"""What operators rely on: every metric a Grafana panel or a Prometheus alert rule names is
exported by some process, and the api's access log says who, what, how much and how long.

Starts kemas-api and every kemas-worker role against the test servers (a database, RabbitMQ
vhost of their own; the reconciler with a grace no object can reach, so it only reads the
shared bucket), makes one upload so the command histograms have a series, scrapes every
process and RabbitMQ's own exporter, and checks each metric name in
conf/grafana/dashboards/kemas.json and conf/prometheus/alerts.yml against what was exported.
An exact label matcher (name{label="value"}) must match an exported series too, except the
labels Prometheus adds itself (job, instance). `up` is Prometheus's own. The upload's access
log line (JSON) must carry the uploader's user_id, bytes_in = the body's size, bytes_out and
duration_ms. Exit 1 on any miss.

usage: observability_test.py SOURCE_DIR KEMAS_API KEMAS_WORKER KEMAS_ADMIN
"""
import base64
import json
import os
import re
import secrets
import sys
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from stack import Stack, api_call, wait_until  # noqa: E402

SOURCE, API, WORKER, ADMIN = sys.argv[1:5]
ROLES = ["commands", "scheduler", "audit", "mailer", "reconciler"]
MADE_BY_PROMETHEUS = {"up"}
LABELS_BY_PROMETHEUS = {"job", "instance"}
PROMQL_WORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and",
                "or", "unless", "offset", "inf", "nan"}


def selectors(expr):
    """(metric name, {label: exact value}) of every vector selector in a PromQL expression."""
    strings = []

    def keep(m):  # string literals out of the way of the patterns below, kept for values
        strings.append(json.loads(m.group(0)))
        return f"\0{len(strings) - 1}\0"
    text = re.sub(r'"(?:[^"\\]|\\.)*"', keep, expr)
    text = re.sub(r"\[[^\]]*\]", " ", text)  # range durations
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    out = []
    for m in re.finditer(r"([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(\{[^}]*\})?\s*(\()?", text):
        name, matchers, call = m.group(1), m.group(2), m.group(3)
        if call or name.lower() in PROMQL_WORDS:
            continue  # a function or aggregation, or a keyword
        exact = {}
        for lm in re.finditer(r"([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*\0(\d+)\0", matchers or ""):
            exact[lm.group(1)] = strings[int(lm.group(2))]
        out.append((name, exact))
    return out


def names_used():
    used = []  # (where, name, exact labels)
    with open(os.path.join(SOURCE, "conf/grafana/dashboards/kemas.json")) as f:
        dashboard = json.load(f)
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            if target.get("datasource", {}).get("uid") != "kemas-prometheus":
                continue
            expr = target["expr"].replace("$__rate_interval", "1m").replace("$route", ".*")
            for name, exact in selectors(expr):
                used.append((f"panel '{panel['title']}'", name, exact))
    import yaml  # python3-yaml (scripts/deps.sh)
    with open(os.path.join(SOURCE, "conf/prometheus/alerts.yml")) as f:
        rules = yaml.safe_load(f)
    for group in rules["groups"]:
        for rule in group["rules"]:
            for name, exact in selectors(str(rule["expr"])):
                used.append((f"alert {rule['alert']}", name, exact))
    return used


# ---------------------------------------------------------------- names exported
def parse_exposition(text):
    """{series name: [label dicts]}, histogram and summary families expanded."""
    series = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = re.match(r"([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s", line)
        if not m:
            continue
        labels = dict(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"', m.group(3) or ""))
        series.setdefault(m.group(1), []).append(labels)
    return series


def get(url, auth=None, timeout=10):
    req = urllib.request.Request(url)
    if auth:
        req.add_header("Authorization", "Basic " + base64.b64encode(auth.encode()).decode())
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return r.read().decode()


def check_access_log(stack, me):
    """The upload's access line: the uploader's id, 6 bytes in, a body out, a duration."""
    user_id = (me or {}).get("id") or (me or {}).get("user", {}).get("id")
    lines = []
    if not wait_until(lambda: lines.extend(stack.access_log("/api/v1/auth/files/upload")) or
                      lines, 5):
        print("FAIL access log: no line for the upload")
        return False
    entry = lines[0]
    problems = []
    if not user_id or entry.get("user_id") != user_id:
        problems.append(f"user_id {entry.get('user_id')} (want {user_id})")
    if entry.get("bytes_in") != 6:
        problems.append(f"bytes_in {entry.get('bytes_in')} (want 6)")
    if not entry.get("bytes_out", 0) > 0:
        problems.append(f"bytes_out {entry.get('bytes_out')}")
    if not entry.get("duration_ms", -1) >= 0:
        problems.append("no duration_ms")
    if problems:
        print("FAIL access log: " + "; ".join(problems) + ": " + json.dumps(entry))
        return False
    print("ok   access log: user_id, bytes_in, bytes_out, duration_ms")
    return True


def main():
    stack = Stack(SOURCE, API, WORKER, ADMIN, ROLES, tag_prefix="metricnames",
                  extra_env={"KEMAS_WORKER_RECONCILE_GRACE": "30d"})
    try:
        stack.start()
        api_port = stack.api_port
        ports = {"api": api_port, **stack.worker_ports}
        user = "m" + secrets.token_hex(4)
        api_call(api_port, "POST", "/api/v1/user/register",
                 json.dumps({"email": user + "@example.com", "username": user,
                             "password": "metric-names-1"}), {"Content-Type": "application/json"})
        _, login = api_call(api_port, "POST", "/api/v1/user/login",
                            json.dumps({"username": user, "password": "metric-names-1"}),
                            {"Content-Type": "application/json"})
        status, uploaded = api_call(api_port, "POST", "/api/v1/auth/files/upload?name=m.bin",
                                    b"metric", {"Authorization": "Bearer " + login["access_token"]})
        if status != 201:
            print(f"FAIL the upload answered {status}")
            return 1
        _, me = api_call(api_port, "GET", "/api/v1/auth/me",
                         headers={"Authorization": "Bearer " + login["access_token"]})
        access_ok = check_access_log(stack, me)

        exported = {}
        def scrape_all():
            exported.clear()
            for what, port in ports.items():
                for name, labels in parse_exposition(
                        get(f"http://127.0.0.1:{port}/metrics")).items():
                    exported.setdefault(name, []).extend(labels)
            for name, labels in parse_exposition(
                    get(stack.servers["KEMAS_SVC_RABBITMQ_METRICS_URL"])).items():
                exported.setdefault(name, []).extend(labels)
            # RabbitMQ's per-queue series appear once its statistics have seen a queue (every
            # 5 s): on a broker that started moments ago, this stack's queues are its first.
            return ("kemas_queue_messages" in exported and "kemas_reconcile_objects" in exported
                    and "kemas_command_latency_seconds_bucket" in exported
                    and "rabbitmq_queue_messages_ready" in exported)
        if not wait_until(scrape_all, 30):
            print("FAIL the workers' sampled metrics or RabbitMQ's queue metrics never appeared")
            return 1
    finally:
        stack.stop()

    used = names_used()
    failures = 0 if access_ok else 1

    def missing(name, exact):
        if name in MADE_BY_PROMETHEUS:
            return None
        if name not in exported:
            return "no process exports it"
        wanted = {k: v for k, v in exact.items() if k not in LABELS_BY_PROMETHEUS}
        if wanted and not any(all(s.get(k) == v for k, v in wanted.items())
                              for s in exported[name]):
            return f"no exported series has {wanted}"
        return None

    # The check can fail: a made-up name and a made-up label value are caught.
    assert missing("kemas_no_such_metric_total", {}) is not None
    assert missing("kemas_reconcile_objects", {"kind": "no_such_kind"}) is not None
    for where, name, exact in used:
        problem = missing(name, exact)
        if problem:
            failures += 1
            print(f"FAIL {where}: {name}{exact or ''}: {problem}")
    names = sorted({n for _, n, _ in used})
    print(f"{len(used)} selectors, {len(names)} metric names in panels and rules; "
          f"{len(exported)} series names exported; {failures} missing")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
