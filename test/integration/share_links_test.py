#!/usr/bin/python3
"""Share links against a real stack (test/support/stack.py: PostgreSQL, Redis, RabbitMQ, S3,
kemas-api and the commands and audit roles): the token stored only as its hash, a link with
max 5 downloads hit by 20 concurrent GETs serving exactly 5, HEAD/304/416 not counted, Range,
a 3-second link answering 410 at 3 s and its row removed by the expire-share command through
the delay queues, passwords (Basic and X-Share-Password; wrong ones counted until every try
is 429), revoke, a deleted file's links, the plan's limit of live links exact under 10
concurrent creations, validation, and the audit trail.

usage: share_links_test.py SOURCE_DIR KEMAS_API KEMAS_WORKER KEMAS_ADMIN
"""
import base64
import hashlib
import json
import os
import secrets
import sys
import time

SOURCE, API, WORKER, ADMIN = (os.path.abspath(a) for a in sys.argv[1:5])
sys.path.insert(0, os.path.join(SOURCE, "test", "support"))
from stack import (Stack, api_call, concurrent, error_code, raw, sign_up,  # noqa: E402
                   wait_until)

failures = []
PASSWORD_LIMIT = 3


def check(condition, what):
    print(("ok   " if condition else "FAIL ") + what)
    if not condition:
        failures.append(what)






class Client:
    def __init__(self, stack, name):
        self.port = stack.api_port
        body = sign_up(self.port, name)
        self.auth = {"Authorization": "Bearer " + body["access_token"]}
        self.id = body["user"]["id"]

    def call(self, method, path, body=None):
        headers = dict(self.auth)
        if body is not None:
            headers["Content-Type"] = "application/json"
            body = json.dumps(body)
        return api_call(self.port, method, path, body, headers)

    def upload(self, name, data):
        status, body = api_call(self.port, "POST", f"/api/v1/auth/files/upload?name={name}",
                                data, {**self.auth, "Content-Type": "application/octet-stream"})
        if status != 201:
            raise RuntimeError(f"upload {name}: {status} {body}")
        return body["id"]

    def share(self, **fields):
        return self.call("POST", "/api/v1/auth/shares", fields)




def main():
    extra = {"KEMAS_RATELIMIT_AUTH_LIMIT": "1000", "KEMAS_RATELIMIT_GENERAL_LIMIT": "1000",
             "KEMAS_SHARE_PASSWORD_FAILURE_LIMIT": str(PASSWORD_LIMIT),
             "KEMAS_SHARE_IP_LIMIT": "1000", "KEMAS_SHARE_LINK_LIMIT": "1000"}
    stack = Stack(SOURCE, API, WORKER, ADMIN, ["commands", "audit"], tag_prefix="shares",
                  extra_env=extra)
    logs = os.path.join(os.getcwd(), "share-links-logs")
    try:
        stack.start()
        run(stack)
    except Exception as e:  # reported as a failure; the logs are kept for the reader
        failures.append(f"{type(e).__name__}: {e}")
        raise
    finally:
        stack.stop(keep_logs_in=logs if failures else None)
        if failures:
            print(f"logs of the stack kept in {logs}")
    print(f"{'FAILED' if failures else 'passed'}: {len(failures)} failure(s)")
    return 1 if failures else 0


def run(stack):
    if True:
        port = stack.api_port
        owner = Client(stack, "sh" + secrets.token_hex(3))
        other = Client(stack, "sx" + secrets.token_hex(3))
        content = os.urandom(300_000)
        file_id = owner.upload("report.bin", content)

        # --- creation, and the token kept only as its hash
        status, created = owner.share(file_id=file_id, max_downloads=5, note="for the team")
        check(status == 201 and len(created["token"]) == 43 and
              created["share"]["url"].endswith("/s/" + created["token"]) and
              created["share"]["max_downloads"] == 5 and created["share"]["state"] == "active",
              f"a link is created with its token once ({status})")
        token = created["token"]
        stored = stack.query("SELECT token_hash FROM share_links").split()
        check(stored == [hashlib.sha256(token.encode()).hexdigest()],
              "the database holds the token's SHA-256, not the token")

        # --- HEAD, 304 and 416 spend nothing; 20 concurrent GETs get exactly 5 bodies
        status, headers, _ = raw(port, "HEAD", "/s/" + token)
        check(status == 200 and headers.get("content-length") == str(len(content)) and
              "no-store" in headers.get("cache-control", ""), "HEAD answers the headers")
        etag = headers.get("etag")
        status, _, _ = raw(port, "GET", "/s/" + token, {"If-None-Match": etag})
        check(status == 304, "If-None-Match gives 304")
        status, _, _ = raw(port, "GET", "/s/" + token, {"Range": "bytes=999999999-"})
        check(status == 416, "a range past the end gives 416")
        answers = concurrent(20, lambda i: raw(port, "GET", "/s/" + token))
        served = [a for a in answers if a[0] == 200]
        refused = [a for a in answers if a[0] == 410 and error_code(a[2]) == "gone"]
        check(len(served) == 5 and len(refused) == 15,
              f"20 concurrent downloads of a max-5 link: {len(served)} served, "
              f"{len(refused)} gone")
        check(all(a[2] == content for a in served), "every served body is the file, byte-exact")
        status, listed = owner.call("GET", "/api/v1/auth/shares")
        mine = [s for s in listed["shares"] if s["id"] == created["share"]["id"]]
        check(status == 200 and mine and mine[0]["downloads"] == 5 and
              mine[0]["state"] == "used_up", "the owner's list says 5 downloads, used_up")

        # --- Range on an unlimited link
        status, unlimited = owner.share(file_id=file_id)
        status, headers, body = raw(port, "GET", "/s/" + unlimited["token"],
                                    {"Range": "bytes=1000-1999"})
        check(status == 206 and body == content[1000:2000] and
              headers.get("content-range") == f"bytes 1000-1999/{len(content)}",
              "a Range request gets 206 with those bytes")

        # --- unknown and malformed tokens
        check(raw(port, "GET", "/s/" + secrets.token_urlsafe(32))[0] == 404,
              "an unknown token is 404")
        check(raw(port, "GET", "/s/not-a-token")[0] == 404, "a malformed token is 404")

        # --- passwords
        status, locked = owner.share(file_id=file_id, password="open sesame")
        check(status == 201 and locked["share"]["password"] is True, "a password link is made")
        path = "/s/" + locked["token"]
        status, headers, body = raw(port, "GET", path)
        check(status == 401 and headers.get("www-authenticate", "").startswith("Basic"),
              "without the password: 401 with WWW-Authenticate Basic")

        def basic(pw):
            return {"Authorization": "Basic " + base64.b64encode(f"x:{pw}".encode()).decode()}

        wrong = [raw(port, "GET", path, basic("guess%d" % i))[0] for i in range(PASSWORD_LIMIT)]
        check(wrong == [401] * PASSWORD_LIMIT, f"wrong passwords are 401 ({wrong})")
        status, headers, _ = raw(port, "GET", path, basic("open sesame"))
        check(status == 429 and "retry-after" in headers,
              "after the limit of wrong passwords even the right one is 429")
        status, again = owner.share(file_id=file_id, password="open sesame")
        status, _, body = raw(port, "GET", "/s/" + again["token"], basic("open sesame"))
        check(status == 200 and body == content, "the right password as Basic credentials works")
        status, _, body = raw(port, "GET", "/s/" + again["token"],
                              {"X-Share-Password": "open sesame"})
        check(status == 200 and body == content, "X-Share-Password works too")
        hashes = stack.query("SELECT password_hash FROM share_links WHERE password_hash "
                             "IS NOT NULL").split()
        check(hashes and all(h.startswith("$argon2id$") for h in hashes) and
              not any("open sesame" in h for h in hashes), "passwords are stored as Argon2id")

        # --- a 3-second link: 410 at its due second, then its row goes by the delay queues
        status, brief = owner.share(file_id=file_id, expires_in=3)
        born = time.time()
        check(raw(port, "GET", "/s/" + brief["token"])[0] == 200, "a 3-second link works at once")
        wait_until(lambda: time.time() - born >= 3.05, 5, 0.02)
        status, _, body = raw(port, "GET", "/s/" + brief["token"])
        # 410 while the row is there; 404 once expire-share removed it (it may be that quick).
        check(status == 410 and error_code(body) == "gone" or status == 404,
              f"at 3 s it no longer works ({status} after {time.time() - born:.2f} s)")
        brief_id = brief["share"]["id"]
        removed = wait_until(lambda: stack.query(
            f"SELECT count(*) FROM share_links WHERE id = '{brief_id}'") == "0", 30)
        check(removed, f"its row is removed by expire-share ({time.time() - born:.1f} s after)")

        # --- revoke; owner scoping
        link_id = unlimited["share"]["id"]
        check(other.call("DELETE", f"/api/v1/auth/shares/{link_id}")[0] == 404,
              "another user cannot revoke the link (404)")
        check(owner.call("DELETE", f"/api/v1/auth/shares/{link_id}")[0] == 204, "revoke is 204")
        check(raw(port, "GET", "/s/" + unlimited["token"])[0] == 410, "a revoked link is 410")
        check(owner.call("DELETE", f"/api/v1/auth/shares/{link_id}")[0] == 404,
              "revoking again is 404")
        check(other.share(file_id=file_id)[0] == 404, "another user's file cannot be shared")

        # --- validation changes nothing
        before = stack.query("SELECT count(*) FROM share_links")
        bad = [owner.share(file_id=file_id, expires_in=0)[0],
               owner.share(file_id=file_id, expires_in=60, expires_at="2099-01-01T00:00:00Z")[0],
               owner.share(file_id=file_id, max_downloads=0)[0],
               owner.share(file_id=file_id, note="x" * 501)[0],
               owner.share(file_id=file_id, expires_at="yesterday")[0],
               owner.share(file_id=file_id, password="")[0]]
        check(bad == [400] * 6 and
              stack.query("SELECT count(*) FROM share_links") == before,
              f"bad input is 400 and stores nothing ({bad})")

        # --- a deleted file's links stop
        doomed = owner.upload("doomed.bin", b"short-lived")
        status, doomed_link = owner.share(file_id=doomed)
        check(raw(port, "GET", "/s/" + doomed_link["token"])[0] == 200, "a link to a new file works")
        status, _ = owner.call("DELETE", f"/api/v1/auth/files/{doomed}")
        check(status in (200, 202, 204), f"the file is deleted ({status})")
        gone_after = wait_until(lambda: raw(port, "GET", "/s/" + doomed_link["token"])[0] == 410, 10)
        revoked_too = stack.query("SELECT revoked_at IS NOT NULL FROM share_links WHERE id = '"
                                  + doomed_link["share"]["id"] + "'") == "t"
        check(gone_after and revoked_too, "its link answers 410 and is revoked with the file")

        # --- the plan's limit of live links, exact under concurrency
        stack.query("UPDATE plans SET max_share_links = 4 WHERE name = 'free'")
        fresh = Client(stack, "sl" + secrets.token_hex(3))
        fresh_file = fresh.upload("mine.txt", b"hello")
        results = concurrent(10, lambda i: fresh.share(file_id=fresh_file))
        made = [r for r in results if r[0] == 201]
        capped = [r for r in results if r[0] == 403 and r[1]["error"]["code"] == "share_limit_reached"]
        live = stack.query(f"SELECT count(*) FROM share_links WHERE owner_id = '{fresh.id}'")
        check(len(made) == 4 and len(capped) == 6 and live == "4",
              f"10 concurrent creations under a limit of 4: {len(made)} made, {len(capped)} refused")
        fresh.call("DELETE", f"/api/v1/auth/shares/{made[0][1]['share']['id']}")
        check(fresh.share(file_id=fresh_file)[0] == 201, "a revoked link frees its place")

        # --- the audit trail
        def types():
            out = stack.query("SELECT action, count(*) FROM audit_log WHERE action LIKE 'share.%' "
                              "GROUP BY action").split()
            return dict(line.split("|") for line in out)
        def all_seen(seen):
            return (int(seen.get("share.created", 0)) >= 9 and
                    int(seen.get("share.revoked", 0)) >= 2 and
                    int(seen.get("share.downloaded", 0)) >= 10 and
                    int(seen.get("share.expired", 0)) >= 1)
        # The audit role stores events as the relay publishes them: wait for all of them.
        wait_until(lambda: all_seen(types()), 30)
        seen = types()
        check(all_seen(seen),
              f"created, revoked, downloaded and expired reach the audit log ({seen})")


if __name__ == "__main__":
    sys.exit(main())
