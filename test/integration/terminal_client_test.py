#!/usr/bin/python3
"""The terminal client `kemas` against a real stack (test/support/stack.py): login keeps its
session in a 0600 file, put (parallel), ls, get byte-exact, get resuming a part with a Range
(the api's access log shows the 206 and its bytes), a corrupt part refused with exit 6 and
deleted, share create|ls|revoke, mv, rm, API keys through KEMAS_API_KEY with their scopes,
logout, and the documented exit codes.

usage: terminal_client_test.py SOURCE_DIR KEMAS_API KEMAS_WORKER KEMAS_ADMIN KEMAS
"""
import hashlib
import json
import os
import secrets
import stat
import subprocess
import sys
import tempfile
import time

SOURCE, API, WORKER, ADMIN, KEMAS = (os.path.abspath(a) for a in sys.argv[1:6])
sys.path.insert(0, os.path.join(SOURCE, "test", "support"))
from stack import Stack, api_call, wait_until  # noqa: E402

failures = []


def check(condition, what):
    print(("ok   " if condition else "FAIL ") + what)
    if not condition:
        failures.append(what)


def main():
    stack = Stack(SOURCE, API, WORKER, ADMIN, ["commands"], tag_prefix="cli",
                  extra_env={"KEMAS_RATELIMIT_AUTH_LIMIT": "1000"})
    work = tempfile.mkdtemp(prefix="kemas-cli-")
    try:
        stack.start()
        server = f"http://127.0.0.1:{stack.api_port}"
        config = os.path.join(work, "config")
        env = {**os.environ, "XDG_CONFIG_HOME": config, "KEMAS_SERVER": server}
        env.pop("KEMAS_API_KEY", None)

        def kemas(*args, stdin=None, extra=None):
            r = subprocess.run([KEMAS, *args], env={**env, **(extra or {})}, cwd=work,
                               input=stdin, capture_output=True, text=True, timeout=120)
            return r

        def kemas_json(*args, **kw):
            r = kemas("--json", *args, **kw)
            try:
                return r.returncode, json.loads(r.stdout) if r.stdout.strip() else None, r
            except ValueError:
                return r.returncode, None, r

        check(kemas("ls").returncode == 2, "ls before login exits 2")
        user = "cli" + secrets.token_hex(3)
        password = "terminal-pass-1"
        api_call(stack.api_port, "POST", "/api/v1/user/register",
                 json.dumps({"email": user + "@example.com", "username": user,
                             "password": password}), {"Content-Type": "application/json"})
        r = kemas("login", "-u", user, stdin=password + "\n")
        check(r.returncode == 0, f"login reads the password from stdin ({r.stderr.strip()})")
        cred = os.path.join(config, "kemas", "credentials.json")
        check(os.path.exists(cred) and stat.S_IMODE(os.stat(cred).st_mode) == 0o600 and
              stat.S_IMODE(os.stat(os.path.dirname(cred)).st_mode) == 0o700,
              "the session file is 0600 in a 0700 folder")
        check(password not in open(cred).read(), "the password is not stored")
        code, me, _ = kemas_json("whoami")
        check(code == 0 and me and me.get("username") == user, "whoami names the account")
        # An access token about to expire is refreshed, and the rotated refresh token kept.
        saved = json.load(open(cred))
        saved["access_expires_at"] = 0
        with open(cred, "w") as f:
            json.dump(saved, f)
        code, me, _ = kemas_json("whoami")
        renewed = json.load(open(cred))
        check(code == 0 and renewed["refresh_token"] != saved["refresh_token"] and
              renewed["access_expires_at"] > time.time(),
              "an expiring access token is refreshed and the new refresh token stored")

        big = os.urandom(5 * 1024 * 1024 + 123)
        small = b"small file\n"
        with open(os.path.join(work, "big.bin"), "wb") as f:
            f.write(big)
        with open(os.path.join(work, "small.txt"), "wb") as f:
            f.write(small)
        code, put, r = kemas_json("put", "-j", "2", "big.bin", "small.txt")
        check(code == 0 and put and len(put["uploaded"]) == 2 and not put["failed"],
              f"put uploads two files in parallel ({r.stderr.strip()})")
        code, listing, _ = kemas_json("ls", "--sort", "name")
        check(code == 0 and listing and [f["name"] for f in listing["files"]] ==
              ["big.bin", "small.txt"] and listing["total"] == 2, "ls lists both")

        code, got, _ = kemas_json("get", "big.bin", "-o", "copy.bin")
        data = open(os.path.join(work, "copy.bin"), "rb").read()
        check(code == 0 and data == big and got["resumed_from"] == 0,
              "get downloads byte-exact and verifies")

        # put resumes (tus): 50 MiB, killed once the server holds about half, run again.
        mib = 1024 * 1024
        fifty = os.urandom(50 * mib)
        with open(os.path.join(work, "fifty.bin"), "wb") as f:
            f.write(fifty)
        first = subprocess.Popen([KEMAS, "--json", "put", "--limit-rate", "20M", "fifty.bin"],
                                 env=env, cwd=work, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
        held = lambda: int(stack.query(  # noqa: E731
            'SELECT coalesce(max("offset"), 0) FROM tus_uploads') or 0)
        reached = wait_until(lambda: held() >= 24 * mib, 60, interval=0.05)
        first.kill()
        first.wait()
        check(reached, f"the first put was killed with {held()} bytes held by the server")
        code, put, r = kemas_json("put", "fifty.bin")
        resumed = put["uploaded"][0].get("resumed_from", 0) if code == 0 and put else 0
        check(code == 0 and len(fifty) - resumed < 0.6 * len(fifty),
              f"run again, put resumes at {resumed} and sends {len(fifty) - resumed} bytes, "
              f"less than 60% of the file ({r.stderr.strip()})")
        code, got, _ = kemas_json("get", "fifty.bin", "-o", "fifty-copy.bin")
        data = open(os.path.join(work, "fifty-copy.bin"), "rb").read() if code == 0 else b""
        check(code == 0 and data == fifty, "the resumed file downloads byte-exact and verifies")
        check(kemas("rm", "fifty.bin").returncode == 0, "rm removes it again")

        # Resume: a part holding the first 60 % of the file, as a killed run leaves it.
        cut = len(big) * 6 // 10
        with open(os.path.join(work, "resumed.bin.part"), "wb") as f:
            f.write(big[:cut])
        code, got, r = kemas_json("get", "big.bin", "-o", "resumed.bin")
        data = open(os.path.join(work, "resumed.bin"), "rb").read() if code == 0 else b""
        check(code == 0 and data == big and got["resumed_from"] == cut and
              got["bytes_received"] == len(big) - cut,
              f"get resumes a part: {got and got['bytes_received']} of {len(big)} bytes sent "
              f"({r.stderr.strip()})")
        check(not os.path.exists(os.path.join(work, "resumed.bin.part")), "the part is renamed")
        route = "/api/v1/auth/files/download/{fileID}"
        ranged = []
        # The access line is written as the answer ends: wait for it, a few seconds at most.
        wait_until(lambda: ranged.extend(e.get("bytes_out") for e in stack.access_log(route)
                                         if e.get("status") == 206) or ranged, 5)
        check(ranged == [len(big) - cut], f"the api served one 206 with the rest only ({ranged})")

        # A corrupt part: same length, other bytes. Refused, deleted; the next run is whole.
        with open(os.path.join(work, "bad.bin.part"), "wb") as f:
            f.write(os.urandom(cut))
        code = kemas("get", "big.bin", "-o", "bad.bin").returncode
        check(code == 6 and not os.path.exists(os.path.join(work, "bad.bin.part")),
              f"a part that does not verify exits 6 and is deleted (exit {code})")
        code = kemas("get", "big.bin", "-o", "bad.bin").returncode
        check(code == 0 and hashlib.sha256(open(os.path.join(work, "bad.bin"), "rb").read())
              .digest() == hashlib.sha256(big).digest(), "the next run downloads it whole")

        # share create|ls|revoke: the printed link downloads the file; a revoked one is 410.
        r = kemas("share", "create", "small.txt", "--expires", "1h", "-n", "3", "--note", "cli")
        url = r.stdout.strip()
        token = url.rsplit("/s/", 1)[-1]
        check(r.returncode == 0 and "/s/" in url and len(token) == 43,
              f"share create prints the link ({r.stderr.strip()})")
        check(api_call(stack.api_port, "GET", "/s/" + token)[0] == 200, "the link downloads")
        code, listed, _ = kemas_json("share", "ls")
        link = listed["shares"][0] if listed and listed["shares"] else {}
        check(code == 0 and link.get("downloads") == 1 and link.get("max_downloads") == 3 and
              link.get("note") == "cli", "share ls shows the link, its download and its note")
        r = kemas("--json", "share", "create", "small.txt", "--password-stdin", stdin="pw-123\n")
        locked = json.loads(r.stdout) if r.returncode == 0 else {}
        check(r.returncode == 0 and locked["share"]["password"] and
              api_call(stack.api_port, "GET", "/s/" + locked["token"])[0] == 401 and
              api_call(stack.api_port, "GET", "/s/" + locked["token"],
                       headers={"X-Share-Password": "pw-123"})[0] == 200,
              "share create --password-stdin makes a link that asks for it")
        check(kemas("share", "revoke", link.get("id", "")).returncode == 0 and
              api_call(stack.api_port, "GET", "/s/" + token)[0] == 410,
              "share revoke stops the link (410)")
        check(kemas("share", "revoke", link.get("id", "")).returncode == 3,
              "revoking it again exits 3")

        # The api restarts while the client works: put and get ride it out (--retries).
        def across_restart(*args):
            stack.stop_api()
            p = subprocess.Popen([KEMAS, "--json", *args], env=env, cwd=work,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            time.sleep(2)  # the outage itself: the client meets a closed port for 2 s
            stack.start_api()
            out, err = p.communicate(timeout=120)
            return p.returncode, (json.loads(out) if out.strip() else None), err
        with open(os.path.join(work, "later.txt"), "wb") as f:
            f.write(b"sent while the api was down\n")
        code, put, err = across_restart("put", "later.txt")
        check(code == 0 and put and len(put["uploaded"]) == 1,
              f"put waits out an api restart ({err.strip()})")
        code, got, err = across_restart("get", "big.bin", "-o", "after-restart.bin")
        data = open(os.path.join(work, "after-restart.bin"), "rb").read() if code == 0 else b""
        check(code == 0 and data == big, f"get waits out an api restart ({err.strip()})")
        check(kemas("--retries", "0", "rm", "later.txt").returncode == 0, "rm by name")

        check(kemas("get", "no-such-file").returncode == 3, "get of a missing file exits 3")
        check(kemas("mv", "small.txt", "renamed.txt").returncode == 0, "mv renames")
        check(kemas("mv", "renamed.txt", "big.bin").returncode == 4,
              "mv onto a taken name exits 4")

        # An API key with files:read only, made through the API.
        _, login = api_call(stack.api_port, "POST", "/api/v1/user/login",
                            json.dumps({"username": user, "password": password}),
                            {"Content-Type": "application/json"})
        _, created = api_call(stack.api_port, "POST", "/api/v1/auth/keys",
                              json.dumps({"name": "cli", "scopes": ["files:read"]}),
                              {"Content-Type": "application/json",
                               "Authorization": "Bearer " + login["access_token"]})
        keyed = {"KEMAS_API_KEY": created["key"],
                 "XDG_CONFIG_HOME": os.path.join(work, "elsewhere")}
        r = kemas("--json", "ls", extra=keyed)
        check(r.returncode == 0 and json.loads(r.stdout)["total"] == 2,
              "KEMAS_API_KEY lists without a login")
        check(kemas("put", "small.txt", "--name", "x.txt", extra=keyed).returncode == 2,
              "a read-only key cannot upload (exit 2)")

        code, removed, _ = kemas_json("rm", "renamed.txt", "big.bin")
        check(code == 0 and len(removed["deleted"]) == 2, "rm deletes by name")
        code, listing, _ = kemas_json("ls")
        check(code == 0 and listing["total"] == 0, "nothing is left")
        check(kemas("logout").returncode == 0 and not os.path.exists(cred),
              "logout forgets the session")
        check(kemas("ls").returncode == 2, "after logout ls exits 2")
        check(kemas("--no-such-flag").returncode == 64, "a usage error exits 64")
    finally:
        stack.stop(keep_logs_in=os.path.join(work, "logs") if failures else None)
    print(f"{len(failures)} failed" + (f"; logs in {work}/logs" if failures else ""))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
