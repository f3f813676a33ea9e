#!/usr/bin/python3
"""The fault suite (issue 14): a mixed upload/delete load against a real stack while faults
are injected; afterwards the invariants are checked and printed as a table. Two plans:

  backends (scripts/faults.sh)   1 api, 2 workers: RabbitMQ, PostgreSQL, Redis and S3 are each
                                 stopped and restarted; the api and workers are killed
  cluster  (scripts/cluster.sh)  2 apis, 3 workers on a 3-node RabbitMQ cluster: node 1 and
                                 later node 2 are killed (-9) mid-load and restarted; each
                                 process starts on another node and fails over to the others

The scripts start the servers on ports of their own and build what is missing; stdlib only.

Invariants (each a row of the table; any failure exits 1):
  accepted lost        an upload answered 201/202 that did not end committed
  duplicated           files without exactly one committed upload behind them
  usage                users whose used_bytes differs from the sum of their live files
  bucket vs rows       `kemas-admin reconcile --dry-run`: orphans and missing objects
  removals pending     object_cleanup rows due and not done (the cleaner's backlog)
  stale pending        uploads pending longer than upload.abandon_after
  queues               messages left in kemas.commands.* and kemas.delay.*
  outbox               events not yet relayed to the broker
  dead letters         letters in kemas.dead-letters (reported; a fault may poison nothing)
"""
import base64
import http.client
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("KEMAS_BUILD_DIR", os.path.join(ROOT, "build"))
RUN = os.environ["KEMAS_SVC_DIR"]
PLAN = os.environ.get("KEMAS_FAULTS_PLAN", "backends")
API_PORT = int(os.environ.get("KEMAS_FAULTS_API_PORT", "22081"))
APIS = 2 if PLAN == "cluster" else 1
WORKERS = 3 if PLAN == "cluster" else 2
API_PORTS = [API_PORT + i for i in range(APIS)]
CLIENTS = int(os.environ.get("KEMAS_FAULTS_CLIENTS", "6"))
OUTAGE = float(os.environ.get("KEMAS_FAULTS_OUTAGE_SECONDS", "20" if PLAN == "cluster" else "8"))
ABANDON_AFTER = 45  # seconds: upload.abandon_after for this run (http.upload_timeout 30 s)
LOGS = os.path.join(RUN, "faults-logs")
# RabbitMQ's collect_statistics_interval (5 s by default; services.sh keeps it) plus a margin:
# how stale a queue count from the management API may be.
STATS_INTERVAL = 6

# Settings every kemas process of the run gets (on top of $KEMAS_SVC_DIR/env).
PROCESS_ENV = {
    "KEMAS_CONFIG": os.path.join(ROOT, "conf", "kemas.toml"),
    "KEMAS_HTTP_PORT": str(API_PORT),
    "KEMAS_HTTP_HOST": "127.0.0.1",
    "KEMAS_HTTP_UPLOAD_TIMEOUT": "30s",
    "KEMAS_UPLOAD_ABANDON_AFTER": f"{ABANDON_AFTER}s",
    "KEMAS_UPLOAD_WAIT": "0s",
    "KEMAS_RATELIMIT_AUTH_LIMIT": "100000",
    "KEMAS_RATELIMIT_GENERAL_LIMIT": "1000000",
    "KEMAS_WORKER_CLEANUP_IDLE": "300ms",
    "KEMAS_WORKER_CLEANUP_RETRY": "1s",
    "KEMAS_WORKER_DRAIN_TIMEOUT": "10s",
    # Retries every 5 s at most (8 attempts, ~35 s in all), well inside upload.abandon_after:
    # a command still retrying must never find its upload reaped as abandoned.
    "KEMAS_WORKER_RETRY_MAX_DELAY": "5s",
    "KEMAS_LOG_FORMAT": "text",
    "KEMAS_ENV": "development",
}


def log(text):
    print(f"faults: {text}", flush=True)


def service_env():
    env = dict(os.environ)
    with open(os.path.join(RUN, "env")) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                key, value = line.split("=", 1)
                env[key] = value.strip().strip("'\"")
    env.update(PROCESS_ENV)
    return env


ENV = service_env()


def brokers():
    """The RabbitMQ nodes ("host:port"), node 1 first."""
    more = [b for b in ENV.get("KEMAS_AMQP_MORE_BROKERS", "").split(",") if b]
    return [f"{ENV['KEMAS_AMQP_HOST']}:{ENV['KEMAS_AMQP_PORT']}"] + more


def broker_env(n):
    """Process n starts on node n (mod the cluster's size), the others its failover list."""
    nodes = brokers()
    first = nodes[n % len(nodes)]
    host, port = first.rsplit(":", 1)
    rest = nodes[n % len(nodes) + 1:] + nodes[:n % len(nodes)]
    return {"KEMAS_AMQP_HOST": host, "KEMAS_AMQP_PORT": port,
            "KEMAS_AMQP_MORE_BROKERS": ",".join(rest)}


class Process:
    """One kemas process, restartable; its output appended to a log of its own."""

    def __init__(self, name, argv, env=None):
        self.name, self.argv, self.proc = name, argv, None
        self.env = {**ENV, **(env or {})}

    def start(self):
        out = open(os.path.join(LOGS, self.name + ".log"), "ab")
        self.proc = subprocess.Popen(self.argv, env=self.env, stdout=out,
                                     stderr=subprocess.STDOUT)

    def kill(self, sig):
        self.proc.send_signal(sig)
        self.proc.wait(timeout=60)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def services(*args):
    subprocess.run([os.path.join(ROOT, "scripts", "services.sh"), *args], check=True,
                   stdout=subprocess.DEVNULL)


def request(method, path, body=None, headers=None, timeout=30, port=API_PORT):
    """(status, parsed JSON or None); status 0 when the connection failed."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        data = r.read()
        try:
            return r.status, json.loads(data) if data else None
        except ValueError:
            return r.status, None
    except (OSError, http.client.HTTPException):
        return 0, None
    finally:
        conn.close()


def wait_ready(seconds=60, ports=API_PORTS):
    deadline = time.time() + seconds
    for port in ports:
        while request("GET", "/readyz", timeout=3, port=port)[0] != 200:
            if time.time() > deadline:
                return False
            time.sleep(0.2)
    return True


class Ledger:
    """What the clients were told: the uploads and deletes the service accepted."""

    def __init__(self):
        self.lock = threading.Lock()
        self.accepted = {}  # upload id -> token: answered 202, to end committed
        self.committed = {}  # file id -> token: answered 201 (committed within the request)
        self.refused = 0
        self.deletes_accepted = 0
        self.deleted = set()  # file ids whose delete was answered 202/204
        self.deletes_refused = 0
        self.errors = 0
        self.relogins = 0
        self.answers = []  # (time, accepted?) of every upload, for the gaps a fault made

    def upload_answered(self, accepted):
        self.answers.append((time.time(), accepted))

    def window(self, start, end):
        """Uploads accepted and refused in [start, end), and the longest time without an
        accepted one from start on (how long the fault kept uploads from being accepted)."""
        inside = [(t, ok) for t, ok in self.answers if start <= t < end]
        accepted = [t for t, ok in inside if ok]
        marks = [start, *accepted, end]
        gap = max(b - a for a, b in zip(marks, marks[1:]))
        return len(accepted), len(inside) - len(accepted), gap


class Client(threading.Thread):
    def __init__(self, n, ledger, stop):
        super().__init__(daemon=True)
        self.n, self.ledger, self.stop, self.token = n, ledger, stop, None
        self.rand = random.Random(n)
        self.port = API_PORTS[n % len(API_PORTS)]  # clients spread over the apis

    def call(self, method, path, body=None, headers=None):
        return request(method, path, body, headers, port=self.port)

    def auth(self):
        return {"Authorization": "Bearer " + self.token}

    def sign_in(self):
        tag = f"f{self.n}{int(time.time() * 1000) % 10**9}"
        body = json.dumps({"email": tag + "@example.com", "username": tag,
                           "password": "faults-password-1"})
        while not self.stop.is_set():
            status, _ = self.call("POST", "/api/v1/user/register", body,
                                {"Content-Type": "application/json"})
            if status in (200, 201, 409):
                break
            time.sleep(0.5)
        while not self.stop.is_set():
            status, reply = self.call("POST", "/api/v1/user/login",
                                    json.dumps({"username": tag, "password": "faults-password-1"}),
                                    {"Content-Type": "application/json"})
            if status == 200:
                self.token = reply["access_token"]
                self.login_at = time.time()
                return
            time.sleep(0.5)

    def upload(self, i):
        size = 4096 if self.rand.random() < 0.8 else self.rand.randint(1, 3) * 1024 * 1024
        body = self.rand.randbytes(size)
        status, reply = self.call(
            "POST", f"/api/v1/auth/files/upload?name=c{self.n}-{i}.bin", body,
            {**self.auth(), "Content-Type": "application/octet-stream",
             "Prefer": "respond-async"})
        with self.ledger.lock:
            self.ledger.upload_answered(status in (201, 202))
            if status == 201:
                self.ledger.committed[reply["id"]] = self.token
            elif status == 202:
                self.ledger.accepted[reply["id"]] = self.token
            elif status in (0, 503, 429):
                self.ledger.refused += 1
            elif status == 401:  # the session is gone (a Redis without persistence restarted)
                self.ledger.relogins += 1
            else:
                self.ledger.errors += 1
                log(f"client {self.n}: upload answered {status} {reply}")
        if status == 401:
            self.sign_in()

    def delete_one(self):
        # A file of ours that is committed: answered 201, or a 202 whose upload committed since.
        with self.ledger.lock:
            files = [f for f, t in self.ledger.committed.items() if t == self.token]
            uploads = [u for u, t in self.ledger.accepted.items() if t == self.token]
        if files and (not uploads or self.rand.random() < 0.5):
            file_id = self.rand.choice(files)
        elif uploads:
            status, reply = self.call("GET", "/api/v1/auth/uploads/" + self.rand.choice(uploads),
                                      headers=self.auth())
            if status != 200 or not reply or reply.get("state") != "committed":
                return
            file_id = reply["file_id"]
            with self.ledger.lock:
                if file_id in self.ledger.deleted:  # deleted already (a 404 would say nothing)
                    return
        else:
            return
        status, _ = self.call("DELETE", "/api/v1/auth/files/" + file_id,
                              headers={**self.auth(), "Prefer": "respond-async"})
        with self.ledger.lock:
            if status in (202, 204):
                self.ledger.deletes_accepted += 1
                self.ledger.deleted.add(file_id)
                self.ledger.committed.pop(file_id, None)
            else:
                self.ledger.deletes_refused += 1

    def run(self):
        self.sign_in()
        i = 0
        while not self.stop.is_set():
            if time.time() - self.login_at > 600:  # the access token lives 15 minutes
                self.sign_in()
            i += 1
            self.upload(i)
            if i % 5 == 0:
                self.delete_one()


def psql(query):
    # On stdin: the id lists of a run are longer than a command line may be.
    out = subprocess.run(["psql", ENV["KEMAS_POSTGRES_URL"], "-At", "-v", "ON_ERROR_STOP=1"],
                         input=query, env=ENV, check=True, capture_output=True, text=True)
    return out.stdout.strip()


def management(path, body=None):
    import urllib.request
    url = ENV["KEMAS_AMQP_MANAGEMENT_URL"].rstrip("/") + path
    req = urllib.request.Request(url, data=None if body is None else json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    user = ENV.get("KEMAS_AMQP_USER", "kemas")
    password = ENV.get("KEMAS_AMQP_PASSWORD", "kemas")
    req.add_header("Authorization",
                   "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode())
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


def queue_counts():
    counts = {}
    for q in management("/api/queues/%2F?columns=name,messages"):
        counts[q["name"]] = q.get("messages", 0) or 0
    return counts


def dead_letters(limit=20):
    """The first letters of kemas.dead-letters, left in place: why each was given up."""
    letters = management("/api/queues/%2F/kemas.dead-letters/get",
                         {"count": limit, "ackmode": "ack_requeue_true", "encoding": "auto"})
    out = []
    for letter in letters:
        props = letter.get("properties", {})
        headers = props.get("headers", {}) or {}
        death = (headers.get("x-death") or [{}])[0]
        reason = headers.get("x-kemas-reason") or f"broker: {death.get('reason', '?')}"
        out.append((f"{props.get('type', '?')} {props.get('message_id', '?')} "
                    f"(from {letter.get('routing_key', '?')}): {reason}",
                    props.get("message_id", "")))
    return out


def log_lines(needles, limit=40):
    """Lines of this run's process logs that name any of needles (ids), oldest first."""
    found = []
    for name in sorted(os.listdir(LOGS)):
        with open(os.path.join(LOGS, name), errors="replace") as f:
            for line in f:
                if any(n in line for n in needles):
                    found.append(f"{name}: {line.rstrip()[:400]}")
    return found[:limit]


def queue_detail(name):
    """Ready and unacknowledged messages of one queue, its consumers, and the head message."""
    q = management("/api/queues/%2F/" + name)
    text = (f"{q.get('messages_ready', 0)} ready, {q.get('messages_unacknowledged', 0)} unacked, "
            f"{q.get('consumers', 0)} consumers" +
            "".join(f", {k} {v}" for k, v in sorted(q.items()) if "dlx" in k and v))
    head = management(f"/api/queues/%2F/{name}/get",
                      {"count": 1, "ackmode": "ack_requeue_true", "encoding": "auto"})
    for message in head:
        props = message.get("properties", {})
        text += (f", head: {props.get('type', '?')} {props.get('message_id', '?')} "
                 f"headers {json.dumps(props.get('headers', {}))[:300]}")
    return text


def eventually(check, seconds, step=1.0):
    deadline = time.time() + seconds
    while True:
        value = check()
        if value or time.time() > deadline:
            return value
        time.sleep(step)


def main():
    os.makedirs(LOGS, exist_ok=True)
    processes = []
    try:
        return run(processes)
    finally:  # whatever happened, no kemas process outlives the run
        for p in processes:
            p.stop()


def run(everything):
    if "KEMAS_POSTGRES_PASSWORD" in ENV:
        ENV["PGPASSWORD"] = ENV["KEMAS_POSTGRES_PASSWORD"]
    # Process k starts on broker node k: in a cluster the clients are spread over the nodes.
    apis = [Process(f"api{i + 1}" if APIS > 1 else "api", [os.path.join(BUILD, "app", "kemas-api")],
                    {"KEMAS_HTTP_PORT": str(port), **broker_env(i)})
            for i, port in enumerate(API_PORTS)]
    workers = [Process(f"worker{i + 1}", [os.path.join(BUILD, "workers", "kemas-worker"), "--role",
                                           "commands"], broker_env(APIS + i))
               for i in range(WORKERS)]
    api = apis[0]
    everything.extend([*apis, *workers])
    for p in everything:
        p.start()
    if not wait_ready():
        log("the api never became ready; see " + LOGS)
        return 2

    ledger, stop = Ledger(), threading.Event()
    clients = [Client(n, ledger, stop) for n in range(CLIENTS)]
    for c in clients:
        c.start()
    time.sleep(5)

    faults = []
    windows = []  # (label, start, end): the figures of the cluster plan

    def node_crash(k):
        """kill -9 RabbitMQ node k mid-load, leave it down OUTAGE seconds, restart it."""
        started = time.time()
        services("kill", "rabbitmq", str(k))
        time.sleep(OUTAGE)
        down_until = time.time()
        services("start", "rabbitmq", str(k))
        faults.append((f"rabbitmq node {k} killed (-9), {OUTAGE:.0f} s down, restarted",
                       time.time() - started))
        windows.append((f"node {k} down", started, down_until))
        time.sleep(10)
        windows.append((f"node {k} back", down_until, time.time()))

    def outage(name):
        started = time.time()
        services("stop", name)
        time.sleep(OUTAGE)
        services("start", name)
        faults.append((f"{name} stopped {OUTAGE:.0f} s, restarted", time.time() - started))
        time.sleep(5)

    def kill(process, sig, label):
        started = time.time()
        process.kill(sig)
        process.start()
        if process is api:
            wait_ready()
        faults.append((label, time.time() - started))
        time.sleep(5)

    try:
        if PLAN == "cluster":
            windows.append(("before", time.time() - 5, time.time()))
            for k in (1, 2):
                log(f"kill -9 rabbitmq node {k}")
                node_crash(k)
        else:
            for name in ("rabbitmq", "postgres", "redis", "s3"):
                log(f"outage: {name}")
                outage(name)
            log("kill -9 kemas-api")
            kill(api, signal.SIGKILL, "kemas-api killed (-9), restarted")
            log("kill -9 a worker")
            kill(workers[0], signal.SIGKILL, "worker killed (-9), restarted")
            log("SIGTERM a worker")
            kill(workers[1], signal.SIGTERM, "worker stopped (SIGTERM), restarted")
    finally:
        stop.set()
        for c in clients:
            c.join(timeout=60)

    log(f"load stopped: {len(ledger.accepted) + len(ledger.committed)} uploads accepted, {ledger.refused} refused "
        f"while a backend was away, {ledger.deletes_accepted} deletes accepted; settling")

    ids = list(ledger.accepted)
    files_201 = list(ledger.committed)

    def states():
        rows = psql("SELECT state, count(*) FROM uploads WHERE id IN (" +
                    ",".join(f"'{u}'" for u in ids) + ") GROUP BY state") if ids else ""
        return dict(line.split("|") for line in rows.splitlines() if line)

    eventually(lambda: "pending" not in states(), 180, 2)
    final = states()
    stale_sql = (f"SELECT count(*) FROM uploads WHERE state = 'pending' AND created_at < "
                 f"now() - interval '{ABANDON_AFTER} seconds'")
    eventually(lambda: psql(stale_sql) == "0" and
               psql("SELECT count(*) FROM uploads WHERE state = 'pending'") == "0",
               ABANDON_AFTER + 60, 2)
    due_sql = "SELECT count(*) FROM object_cleanup WHERE due_at <= now()"
    eventually(lambda: psql(due_sql) == "0", 60, 1)

    def commands_left(counts):
        return sum(n for q, n in counts.items()
                   if q.startswith("kemas.commands.") or q.startswith("kemas.delay."))

    # The management API's counts are samples each queue emits every statistics interval: a
    # zero (or a leftover) counts only once it held across a whole interval. Two rounds read
    # "1 unacked" in kemas.commands.delete taken just before the last delete's ack.
    def settled_counts():
        first = queue_counts()
        time.sleep(STATS_INTERVAL)
        second = queue_counts()
        return second if commands_left(first) == commands_left(second) == 0 else None
    counts = eventually(settled_counts, 120, 0) or queue_counts()
    eventually(lambda: psql("SELECT count(*) FROM outbox WHERE published_at IS NULL") == "0",
               60, 1)

    reconcile = subprocess.run(
        [os.path.join(BUILD, "app", "admin", "kemas-admin"), "reconcile", "--dry-run"],
        env={**ENV, "KEMAS_WORKER_RECONCILE_GRACE": "0s"}, capture_output=True, text=True)
    committed = int(final.get("committed", "0"))
    files_found = int(psql("SELECT count(*) FROM files WHERE id IN (" +
                           ",".join(f"'{f}'" for f in files_201) + ")")) if files_201 else 0
    accepted = len(ids) + len(files_201)
    lost_deletes = set(ledger.deleted) - set(psql(
        "SELECT id FROM files WHERE state = 'deleted' AND id IN (" +
        ",".join(f"'{f}'" for f in ledger.deleted) + ")").split()) if ledger.deleted else set()
    rows = [
        ("accepted lost", accepted - committed - files_found, 0,
         f"{accepted} accepted: {len(files_201)} answered 201 ({files_found} found), "
         f"{len(ids)} answered 202 (states {final})"),
        ("deletes lost", len(lost_deletes), 0,
         f"of {len(ledger.deleted)} deletes answered 202/204, files not deleted"),
        ("duplicated", int(psql(
            "SELECT count(*) FROM files f WHERE (SELECT count(*) FROM uploads u "
            "WHERE u.file_id = f.id AND u.state = 'committed') <> 1")), 0,
         "files without exactly one committed upload"),
        ("usage", int(psql(
            "SELECT count(*) FROM users u WHERE used_bytes <> (SELECT coalesce(sum(size_bytes), 0) "
            "FROM files f WHERE f.owner_id = u.id AND f.state <> 'deleted')")), 0,
         "users whose used_bytes is not the sum of their live files"),
        ("bucket vs rows", reconcile.returncode, 0,
         " / ".join(l for l in reconcile.stdout.splitlines() if not l.startswith("  "))),
        ("removals pending", int(psql(due_sql)), 0, "object_cleanup rows due"),
        ("stale pending", int(psql(stale_sql)), 0,
         f"uploads pending > {ABANDON_AFTER} s (abandoned ones are rejected by the cleaner)"),
        ("queues", commands_left(counts), 0,
         "messages in kemas.commands.* and kemas.delay.*" + "".join(
             f"; {q}: {queue_detail(q)}" for q, n in sorted(counts.items())
             if n and (q.startswith("kemas.commands.") or q.startswith("kemas.delay.")))),
        ("outbox", int(psql("SELECT count(*) FROM outbox WHERE published_at IS NULL")), 0,
         "events not relayed"),
    ]
    dead = counts.get("kemas.dead-letters", 0)

    print()
    print(f"{'fault':<44} {'took':>8}")
    for label, took in faults:
        print(f"{label:<44} {took:>7.1f}s")
    if windows:
        print()
        print(f"{'window':<16} {'seconds':>8} {'accepted':>9} {'per s':>7} {'refused':>8} "
              f"{'longest without an accepted upload':>36}")
        for label, start, end in windows:
            ok, refused, gap = ledger.window(start, end)
            print(f"{label:<16} {end - start:>8.1f} {ok:>9} {ok / (end - start):>7.1f} "
                  f"{refused:>8} {gap:>35.2f}s")
    print()
    print(f"load: {CLIENTS} clients on {APIS} api(s), {WORKERS} workers, {accepted} uploads accepted, {ledger.refused} refused "
          f"(503 or no connection while a backend was away), {ledger.deletes_accepted} deletes "
          f"accepted, {ledger.deletes_refused} refused, {ledger.relogins} sessions lost, "
          f"{ledger.errors} unexpected answers")
    print()
    print(f"{'invariant':<18} {'found':>6} {'want':>5}  detail")
    failed = ledger.errors > 0
    for name, found, want, detail in rows:
        ok = found == want
        failed |= not ok
        print(f"{name:<18} {found:>6} {want:>5}  {'ok  ' if ok else 'FAIL'} {detail}")
    print(f"{'dead letters':<18} {dead:>6} {'-':>5}  info kemas.dead-letters")
    # What a failed run needs to be understood without its servers: why letters were given up,
    # and what the logs say about the deletes that did not happen.
    if dead:
        for letter, command_id in dead_letters():
            print(f"  dead letter: {letter}")
            for line in log_lines([command_id] if command_id else [], 12):
                print(f"    {line}")
    if lost_deletes:
        print(f"  deletes lost (files): {', '.join(sorted(lost_deletes)[:10])}")
        for line in log_lines(sorted(lost_deletes)[:10]):
            print(f"    {line}")
    if PLAN == "cluster":
        # Where the command queues live: a replica on every node, a leader re-elected.
        for q in management("/api/queues/%2F?columns=name,type,leader,members,online"):
            if q["name"] == "kemas.commands.upload":
                print(f"{'replicas':<18} {len(q.get('online', [])):>6} {len(brokers()):>5}  "
                      f"info {q['name']} ({q.get('type')}): leader {q.get('leader')}, "
                      f"online {', '.join(sorted(q.get('online', [])))}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
