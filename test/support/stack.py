"""An isolated kemas stack for tests written in Python: its own PostgreSQL database and
RabbitMQ vhost on the test servers (scripts/services.sh, found through $KEMAS_SVC_DIR/env or
SOURCE/.run/env), migrated, with kemas-api and the kemas-worker roles asked for, each on a free
loopback port. Everything is removed again on exit, so runs never see each other's data.

    with Stack(source, api, worker, admin, roles=["commands", "audit"]) as stack:
        stack.api_port, stack.env, stack.worker_ports["audit"], stack.log_path("api")
"""
import base64
import http.client
import json
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import urllib.parse
import urllib.request


def server_env(source):
    """The test servers' settings (KEMAS_*), as scripts/services.sh wrote them."""
    path = os.path.join(os.environ.get("KEMAS_SVC_DIR") or os.path.join(source, ".run"), "env")
    env = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                key, value = line.split("=", 1)
                env[key] = value
    return env


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(check, seconds, interval=0.2):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            if check():
                return True
        except OSError:
            pass
        time.sleep(interval)
    return False


def raw(port, method, path, headers=None, body=None, timeout=60):
    """(status, headers dict lower-cased, body bytes) of one request to a local kemas-api."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    conn.request(method, path, body=body, headers=headers or {})
    r = conn.getresponse()
    data = r.read()
    conn.close()
    return r.status, {k.lower(): v for k, v in r.getheaders()}, data


def api_call(port, method, path, body=None, headers=None, timeout=30):
    """(status, parsed JSON or None) of one request to a local kemas-api."""
    status, got, data = raw(port, method, path, headers, body, timeout)
    is_json = got.get("content-type", "").startswith("application/json")
    return status, (json.loads(data) if data and is_json else None)


def error_code(data):
    """The `code` of a kemas error body, or None."""
    try:
        return json.loads(data)["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return None


def concurrent(n, fn):
    """fn(i) for i in 0..n-1 on n threads released together: the results in order."""
    results = [None] * n
    start = threading.Barrier(n)

    def run(i):
        start.wait()
        results[i] = fn(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def sign_up(port, name):
    """Registers `name` (e-mail name@example.com, a random password) and logs in: the login
    answer (access_token, refresh_token, user)."""
    password = "pass-" + secrets.token_hex(6)
    api_call(port, "POST", "/api/v1/user/register",
             json.dumps({"email": name + "@example.com", "username": name, "password": password}),
             {"Content-Type": "application/json"})
    status, body = api_call(port, "POST", "/api/v1/user/login",
                            json.dumps({"username": name, "password": password}),
                            {"Content-Type": "application/json"})
    if status != 200:
        raise RuntimeError(f"login of {name}: {status} {body}")
    return body


class Stack:
    def __init__(self, source, api, worker, admin, roles, tag_prefix="stack", extra_env=None,
                 api_port=None, api_log_format="json"):
        self.source, self.api, self.worker, self.admin = (os.path.abspath(p) for p in
                                                          (source, api, worker, admin))
        self.roles = roles
        self.servers = server_env(source)
        self.tag = f"{tag_prefix}_{secrets.token_hex(4)}"
        self.extra_env = extra_env or {}
        self.api_log_format = api_log_format
        self.processes = []
        self.named = {}
        self.logs = {}
        self.workdir = None
        self.api_port = api_port
        self.worker_ports = {}
        self._created = False

    # ------------------------------------------------------------ RabbitMQ management API
    def _management(self, method, path, body=b"{}"):
        user = self.servers.get("KEMAS_AMQP_USER", "kemas")
        password = self.servers.get("KEMAS_AMQP_PASSWORD", "kemas")
        url = self.servers["KEMAS_AMQP_MANAGEMENT_URL"].rstrip("/") + path
        req = urllib.request.Request(url, data=body, method=method)
        req.add_header("Authorization",
                       "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode())
        req.add_header("Content-Type", "application/json")
        urllib.request.urlopen(req, timeout=10).read()

    def _psql(self, sql, check=True):
        return subprocess.run(["psql", self.servers["KEMAS_POSTGRES_URL"], "-qAtc", sql],
                              env=self.base_env, check=check, capture_output=True)

    def query(self, sql):
        """One SQL statement on the stack's own database; its rows as psql -At prints them."""
        return subprocess.run(["psql", self.env["KEMAS_POSTGRES_URL"], "-qAtc", sql],
                              env=self.base_env, check=True, capture_output=True,
                              text=True).stdout.strip()

    # ------------------------------------------------------------ lifecycle
    def __enter__(self):
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc):
        self.stop()

    def start(self):
        s = self.servers
        self.base_env = {**os.environ, **s,
                         "KEMAS_CONFIG": os.path.join(self.source, "conf/kemas.toml"),
                         "KEMAS_ENV": "development", "KEMAS_LOG_FORMAT": "text",
                         "PGPASSWORD": s.get("KEMAS_POSTGRES_PASSWORD", "")}
        db_url = s["KEMAS_POSTGRES_URL"].rsplit("/", 1)[0] + "/" + self.tag
        vhost = urllib.parse.quote(self.tag, safe="")
        self._psql(f"CREATE DATABASE {self.tag}")
        self._created = True
        self._management("PUT", f"/api/vhosts/{vhost}")
        user = urllib.parse.quote(s.get("KEMAS_AMQP_USER", "kemas"))
        self._management("PUT", f"/api/permissions/{vhost}/{user}",
                         b'{"configure":".*","write":".*","read":".*"}')
        self.env = {**self.base_env, "KEMAS_POSTGRES_URL": db_url, "KEMAS_AMQP_VHOST": self.tag,
                    **self.extra_env}
        self.workdir = tempfile.mkdtemp(prefix=f"kemas-{self.tag}-")
        migrated = self.run_admin("migrate")
        if migrated.returncode != 0:
            raise RuntimeError("kemas-admin migrate: " + migrated.stderr)
        self.api_port = self.api_port or free_port()
        self.start_api()
        for role in self.roles:
            self.worker_ports[role] = free_port()
            self._spawn(role, [self.worker, "--role", role],
                        {"KEMAS_WORKER_METRICS_HOST": "127.0.0.1",
                         "KEMAS_WORKER_METRICS_PORT": str(self.worker_ports[role])})
        if not wait_until(lambda: api_call(self.api_port, "GET", "/readyz")[0] == 200, 30):
            raise RuntimeError("kemas-api never became ready; its log: " + self.log_path("api"))

    def start_api(self):
        """Starts kemas-api on api_port (again, after stop_api: same port, log appended)."""
        self._spawn("api", [self.api], {"KEMAS_HTTP_HOST": "127.0.0.1",
                                        "KEMAS_HTTP_PORT": str(self.api_port),
                                        "KEMAS_LOG_FORMAT": self.api_log_format})

    def start_extra_api(self, name="api2"):
        """Another kemas-api on the same servers (any instance may take any request); its
        port once it answers /readyz."""
        port = free_port()
        self._spawn(name, [self.api], {"KEMAS_HTTP_HOST": "127.0.0.1",
                                       "KEMAS_HTTP_PORT": str(port),
                                       "KEMAS_LOG_FORMAT": self.api_log_format})
        if not wait_until(lambda: api_call(port, "GET", "/readyz")[0] == 200, 30):
            raise RuntimeError(f"{name} never became ready; its log: " + self.log_path(name))
        return port

    def stop_api(self):
        """Stops kemas-api (SIGTERM, then waits): the port refuses connections until start_api."""
        api = self.named.pop("api")
        api.terminate()
        api.wait(timeout=20)
        self.processes.remove(api)

    def _spawn(self, name, argv, env):
        log = self.logs.get(name) or open(os.path.join(self.workdir, f"{name}.log"), "a+")
        self.logs[name] = log
        process = subprocess.Popen(argv, env={**self.env, **env}, stdout=subprocess.DEVNULL,
                                   stderr=log, cwd=self.source)
        self.processes.append(process)
        self.named[name] = process

    def run_admin(self, *args, env=None, stdin=None):
        return subprocess.run([self.admin, *args], env={**self.env, **(env or {})},
                              cwd=self.source, capture_output=True, text=True, input=stdin)

    def access_log(self, route):
        """The api's access-log entries (JSON log lines) for `route`, oldest first."""
        entries = []
        with open(self.log_path("api")) as log:
            for line in log:
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue
                if entry.get("msg") == "http request" and entry.get("route") == route:
                    entries.append(entry)
        return entries

    def log_path(self, name):
        return os.path.join(self.workdir, f"{name}.log")

    def stop(self, keep_logs_in=None):
        for p in self.processes:
            p.terminate()
        for p in self.processes:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
        self.processes = []
        for log in self.logs.values():
            log.close()
        self.logs = {}
        if self._created:
            try:
                self._management("DELETE", f"/api/vhosts/{urllib.parse.quote(self.tag, safe='')}",
                                 None)
            except OSError:
                pass
            self._psql(f"DROP DATABASE IF EXISTS {self.tag} WITH (FORCE)", check=False)
            self._created = False
        if self.workdir:
            if keep_logs_in:
                shutil.copytree(self.workdir, keep_logs_in, dirs_exist_ok=True)
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None
