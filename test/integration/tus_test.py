#!/usr/bin/python3
"""Resumable uploads (tus 1.0) against real stacks (test/support/stack.py: PostgreSQL, Redis,
RabbitMQ, S3, two kemas-api instances, the commands and audit roles):
  - the protocol: OPTIONS, 412 without Tus-Resumable, validation, creation, HEAD, PATCH at the
    right offset (409 otherwise), chunks of any size (tails kept between PATCHes), checksums
    (460 records nothing), deferred length, termination, a small creation-with-upload
    committed like a plain upload;
  - npm's tus-js-client uploads 100 MiB, is killed at half, resumes through the *second* api
    instance, and the file is byte-exact;
  - 20 concurrent creations against a quota that fits 10 reserve exactly 10;
  - a PATCH that stalls mid-body: HEAD answers while it holds the lease, a new PATCH is 423
    until the lease lapses, then takes over and completes; the stalled one's late bytes
    change nothing;
  - an abandoned upload disappears at its expiry (a stack with tus_expiry 3 s): row and
    reservation gone, its parts freed on S3, upload.expired in the audit trail.

usage: tus_test.py SOURCE_DIR KEMAS_API KEMAS_WORKER KEMAS_ADMIN
"""
import base64
import hashlib
import json
import os
import secrets
import socket
import subprocess
import sys
import time

SOURCE, API, WORKER, ADMIN = (os.path.abspath(a) for a in sys.argv[1:5])
sys.path.insert(0, os.path.join(SOURCE, "test", "support"))
from stack import (Stack, api_call, concurrent, error_code, raw, sign_up,  # noqa: E402
                   wait_until)

MiB = 1024 * 1024
TUS = "/api/v1/auth/uploads/tus"
LEASE_SECONDS = 2
failures = []


def check(condition, what):
    print(("ok   " if condition else "FAIL ") + what)
    if not condition:
        failures.append(what)






def b64(text):
    return base64.b64encode(text.encode()).decode()


class Client:
    def __init__(self, stack, name):
        self.port = stack.api_port
        body = sign_up(self.port, name)
        self.token = body["access_token"]
        self.id = body["user"]["id"]

    def headers(self, **extra):
        h = {"Authorization": "Bearer " + self.token, "Tus-Resumable": "1.0.0"}
        h.update({k.replace("_", "-"): v for k, v in extra.items()})
        return h

    def create(self, name, length=None, body=None, port=None, **extra):
        h = self.headers(**extra)
        h["Upload-Metadata"] = f"filename {b64(name)},filetype {b64('application/octet-stream')}"
        if length is None:
            h["Upload-Defer-Length"] = "1"
        else:
            h["Upload-Length"] = str(length)
        if body is not None:
            h["Content-Type"] = "application/offset+octet-stream"
        return raw(port or self.port, "POST", TUS, h, body)

    def patch(self, location, offset, body, port=None, **extra):
        h = self.headers(**extra)
        h["Upload-Offset"] = str(offset)
        h["Content-Type"] = "application/offset+octet-stream"
        return raw(port or self.port, "PATCH", location, h, body)

    def head(self, location, port=None):
        return raw(port or self.port, "HEAD", location, self.headers())

    def download(self, file_id):
        return raw(self.port, "GET", f"/api/v1/auth/files/download/{file_id}",
                   {"Authorization": "Bearer " + self.token})

    def file(self, file_id):
        return api_call(self.port, "GET", f"/api/v1/auth/files/{file_id}", None,
                        {"Authorization": "Bearer " + self.token})




def protocol(stack, user):
    port = stack.api_port
    status, h, _ = raw(port, "OPTIONS", TUS)
    extensions = set(h.get("tus-extension", "").split(","))
    check(status == 204 and h.get("tus-version") == "1.0.0" and h.get("tus-resumable") == "1.0.0"
          and {"creation", "creation-with-upload", "creation-defer-length", "expiration",
               "checksum", "termination"} <= extensions
          and h.get("tus-checksum-algorithm") == "sha256",
          f"OPTIONS advertises tus 1.0.0 and its extensions ({status}, {h.get('tus-extension')})")

    no_version = user.headers()
    del no_version["Tus-Resumable"]
    no_version["Upload-Length"] = "10"
    status, h, _ = raw(port, "POST", TUS, no_version)
    check(status == 412 and h.get("tus-version") == "1.0.0",
          f"a request without Tus-Resumable is 412 with Tus-Version ({status})")
    status, _, data = raw(port, "POST", TUS, user.headers(Upload_Length="10"))
    check(status == 400 and error_code(data) == "validation_failed",
          f"a creation without a filename is 400 ({status} {error_code(data)})")
    status, _, data = user.create("both.bin", 10, Upload_Defer_Length="1")
    check(status == 400, f"Upload-Length with Upload-Defer-Length is 400 ({status})")
    status, _, data = user.create("huge.bin", 200 * MiB)
    check(status == 413, f"a length over the plan's file limit is 413 ({status})")
    status, _, data = user.create("../x", 10)
    check(status == 400, f"a file name with a path is 400 ({status})")

    # A small creation-with-upload is committed like a plain upload.
    small = os.urandom(4096)
    status, h, data = user.create("small.bin", len(small), small)
    file_id = h.get("kemas-file-id")
    check(status == 201 and h.get("upload-offset") == "4096" and file_id is not None
          and h.get("location", "").startswith(TUS + "/"),
          f"a 4 KiB creation-with-upload is committed at once ({status}, {h})")
    if file_id:
        status, _, got = user.download(file_id)
        check(status == 200 and got == small, "its bytes download byte-exact")
        status, h, _ = user.head(h["location"])
        check(status == 200 and h.get("upload-offset") == "4096"
              and h.get("upload-length") == "4096" and h.get("kemas-file-id") == file_id,
              f"HEAD of a committed upload reports it whole ({status})")
    status, _, data = user.create("small.bin", 100)
    check(status == 409, f"a creation under a taken name is 409 ({status})")

    # Chunks of any size, a wrong offset, checksums, HEAD between PATCHes.
    content = os.urandom(19 * MiB + 12345)
    status, h, _ = user.create("chunks.bin", len(content))
    location = h.get("location")
    check(status == 201 and location and h.get("upload-expires", "").endswith("GMT"),
          f"a creation answers 201 with Location and Upload-Expires ({status})")
    status, h, _ = user.head(location)
    check(status == 200 and h.get("upload-offset") == "0" and
          h.get("upload-length") == str(len(content)) and h.get("cache-control") == "no-store"
          and "filename" in h.get("upload-metadata", ""),
          f"HEAD of a new upload: offset 0, its length and metadata ({status})")
    status, _, data = user.patch(location, 5, content[5:10])
    check(status == 409, f"a PATCH at the wrong offset is 409 ({status})")
    bad = "sha256 " + base64.b64encode(hashlib.sha256(b"other").digest()).decode()
    status, _, data = user.patch(location, 0, content[:3 * MiB], Upload_Checksum=bad)
    check(status == 460, f"a PATCH whose checksum does not match is 460 ({status})")
    status, h, _ = user.head(location)
    check(h.get("upload-offset") == "0", "and none of its bytes count")
    offset = 0
    pieces = [3 * MiB, 1, 6 * MiB - 1, 4 * MiB + 7, len(content)]
    answers = []
    for i, end in enumerate(pieces):
        end = min(end if i == 0 else offset + end, len(content))
        chunk = content[offset:end]
        good = "sha256 " + base64.b64encode(hashlib.sha256(chunk).digest()).decode()
        extra = {"Upload_Checksum": good} if i == 1 else {}
        status, h, _ = user.patch(location, offset, chunk, **extra)
        answers.append((status, h.get("upload-offset")))
        offset = end
        if status != 204:
            break
        if offset < len(content):
            status, hh, _ = user.head(location)
            answers.append(("head", hh.get("upload-offset")))
    check(all(a[0] in (204, "head") for a in answers) and offset == len(content)
          and answers[-1][1] == str(len(content)),
          f"PATCHes of 3 MiB, 1 byte (with a right checksum), 6 MiB-1, 4 MiB+7 and the rest: "
          f"each answered with its offset ({answers})")
    file_id = h.get("kemas-file-id")
    stored = stack.query(f"SELECT count(*) FROM tus_uploads WHERE id = '{location.rsplit('/', 1)[1]}'")
    check(file_id is not None and stored == "0",
          f"the last PATCH committed the file and its tus row is gone ({file_id}, {stored})")
    if file_id:
        status, _, got = user.download(file_id)
        check(status == 200 and got == content, "the file downloads byte-exact")
        status, meta = user.file(file_id)
        check(meta and meta.get("sha256") == hashlib.sha256(content).hexdigest(),
              "its SHA-256 (resumed across PATCHes) is the content's")

    # Deferred length, declared by the last PATCH.
    content = os.urandom(9 * MiB + 3)
    status, h, _ = user.create("deferred.bin")
    location = h.get("location")
    status, h, _ = user.head(location)
    check(h.get("upload-defer-length") == "1", "HEAD of a deferred upload says Upload-Defer-Length")
    status, h, _ = user.patch(location, 0, content[:5 * MiB])
    status2, h2, _ = user.patch(location, 5 * MiB, content[5 * MiB:],
                                Upload_Length=str(len(content)))
    file_id = h2.get("kemas-file-id")
    check(status == 204 and status2 == 204 and file_id,
          f"a deferred upload completes once a PATCH declares its length ({status}, {status2})")
    if file_id:
        check(user.download(file_id)[2] == content, "its file downloads byte-exact")

    # Termination: row and reservation gone.
    status, h, _ = user.create("ended.bin", 12 * MiB)
    location = h.get("location")
    user.patch(location, 0, os.urandom(9 * MiB))
    status, _, _ = raw(port, "DELETE", location, user.headers())
    status2, _, _ = user.head(location)
    reserved = stack.query(f"SELECT reserved_bytes FROM users WHERE id = '{user.id}'")
    check(status == 204 and status2 == 404 and reserved == "0",
          f"DELETE ends an upload: 204, then HEAD 404, nothing reserved ({status}, {status2}, "
          f"{reserved})")


def reference_client(stack, user, second_port):
    """npm's tus-js-client: 100 MiB, killed at half, resumed through the second api."""
    node = os.path.join(SOURCE, "test", "tus", "upload.mjs")
    path = os.path.join(stack.workdir, "hundred.bin")
    content = os.urandom(100 * MiB)
    with open(path, "wb") as f:
        f.write(content)
    endpoint = f"http://127.0.0.1:{stack.api_port}{TUS}"
    first = subprocess.run(["node", node, endpoint, path, user.token, "hundred.bin",
                            "--stop-at", "0.5"], capture_output=True, text=True, timeout=300)
    events = [json.loads(line) for line in first.stdout.splitlines() if line.startswith("{")]
    url = next((e["url"] for e in events if "url" in e), None)
    check(first.returncode == 3 and url, f"tus-js-client stopped at half ({first.returncode}, "
          f"{first.stdout.strip()[-300:]} {first.stderr.strip()[-300:]})")
    if not url:
        return
    location = url.split(str(stack.api_port), 1)[1]

    def kept():
        status, h, _ = user.head(location, port=second_port)
        return status == 200 and int(h.get("upload-offset", "0")) > 0
    wait_until(kept, 10)
    status, h, _ = user.head(location, port=second_port)
    offset = int(h.get("upload-offset", "0"))
    # What the first api made durable: the parts S3 acknowledged and the tail of what arrived
    # (bytes still in the killed client's socket buffers never arrived).
    check(status == 200 and offset >= 0.25 * len(content),
          f"the second api reports what the first kept: {offset} of {len(content)} bytes")
    resumed_url = f"http://127.0.0.1:{second_port}{location}"
    second = subprocess.run(["node", node, f"http://127.0.0.1:{second_port}{TUS}", path,
                             user.token, "hundred.bin", "--upload-url", resumed_url],
                            capture_output=True, text=True, timeout=300)
    check(second.returncode == 0, f"tus-js-client resumes through the second api "
          f"({second.returncode}, {second.stdout.strip()[-300:]} {second.stderr.strip()[-300:]})")
    check(len(content) - offset < len(content),
          f"the resumed run sent {len(content) - offset} bytes, not the whole file")
    files = api_call(stack.api_port, "GET", "/api/v1/auth/files/list?limit=100", None,
                     {"Authorization": "Bearer " + user.token})[1]
    found = [f for f in (files or {}).get("files", []) if f["name"] == "hundred.bin"]
    check(len(found) == 1, "the upload became one file")
    if found:
        status, _, got = user.download(found[0]["id"])
        check(status == 200 and got == content, "the 100 MiB file is byte-exact")


def quota_race(stack):
    user = Client(stack, "tq" + secrets.token_hex(3))
    stack.query("INSERT INTO plans (name, display_name, quota_bytes, max_file_bytes, "
                "price_cents, currency, duration_seconds, public) VALUES "
                f"('tusquota', 'Tus quota', {10 * MiB}, {10 * MiB}, 0, 'USD', NULL, false) "
                "ON CONFLICT (name) DO NOTHING")
    stack.query(f"UPDATE users SET plan_id = (SELECT id FROM plans WHERE name = 'tusquota') "
                f"WHERE id = '{user.id}'")
    results = concurrent(20, lambda i: user.create(f"part-{i}.bin", MiB)[0])
    created = results.count(201)
    refused = results.count(507)
    reserved = stack.query(f"SELECT reserved_bytes FROM users WHERE id = '{user.id}'")
    rows = stack.query(f"SELECT count(*) FROM tus_uploads WHERE owner_id = '{user.id}'")
    check(created == 10 and refused == 10 and reserved == str(10 * MiB) and rows == "10",
          f"20 concurrent creations under a quota for 10: {created} created, {refused} refused "
          f"507, {reserved} bytes reserved in {rows} uploads")
    status, _ = api_call(stack.api_port, "POST", "/api/v1/auth/files/upload?name=one.bin", b"x",
                         {"Authorization": "Bearer " + user.token,
                          "Content-Type": "application/octet-stream"})
    check(status == 507, f"a plain upload counts the reservations too: 507 ({status})")


def resumed_chunked_patches(stack, user):
    """PATCHes without Content-Length reserve the part numbers a body up to the plan's max file
    size could fill; each gives back what it did not use, so an upload resumed many times does
    not run out of S3's 10,000 part numbers."""
    status, h, _ = user.create("resumed.bin")  # deferred length
    location = h["location"]
    upload_id = location.rsplit("/", 1)[1]
    content = os.urandom(6 * 1000)
    for i in range(6):
        piece = content[i * 1000:(i + 1) * 1000]
        status, _, data = user.patch(location, i * 1000, iter([piece]))  # chunked
        check(status == 204, f"chunked PATCH {i} is taken ({status} {data[:120]})")
    row = stack.query(f"SELECT \"offset\", next_part FROM tus_uploads WHERE id = '{upload_id}'")
    check(row == "6000|1",
          f"six small chunked PATCHes used no part number and kept none ({row}; offset|next_part)")
    status, _, _ = raw(stack.api_port, "DELETE", location, user.headers())
    check(status == 204, f"the upload is terminated ({status})")


def stalled_patch(stack, user):
    """A PATCH that stalls mid-body loses its lease; another connection takes over."""
    port = stack.api_port
    content = os.urandom(20 * MiB)
    status, h, _ = user.create("stalled.bin", len(content))
    location = h["location"]
    sent = 10 * MiB
    stalled = socket.create_connection(("127.0.0.1", port))
    head = (f"PATCH {location} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: Bearer {user.token}\r\nTus-Resumable: 1.0.0\r\n"
            f"Upload-Offset: 0\r\nContent-Type: application/offset+octet-stream\r\n"
            f"Content-Length: {len(content)}\r\n\r\n").encode()
    stalled.sendall(head + content[:sent])
    # The first part (upload.part_size, 8 MiB) is recorded while the PATCH still holds on.
    started = time.time()
    status, h, _ = user.head(location)
    head_seconds = time.time() - started
    check(status == 200 and head_seconds < 1.0,
          f"HEAD answers while the stalled PATCH holds the lease ({status}, {head_seconds:.3f} s)")
    check(wait_until(lambda: user.head(location)[1].get("upload-offset") == str(8 * MiB), 10),
          "and reports the part S3 acknowledged (8 MiB)")
    # (A small body: the api answers 423 before reading it, and a large one would meet a
    # closed connection.)
    status, _, data = user.patch(location, 8 * MiB, content[8 * MiB:8 * MiB + 1024])
    check(status == 423 and error_code(data) == "locked",
          f"a new PATCH while the lease is held is 423 ({status} {error_code(data)})")
    time.sleep(LEASE_SECONDS + 0.5)
    status, h, _ = user.head(location)
    offset = int(h.get("upload-offset", "-1"))
    status, h, _ = user.patch(location, offset, content[offset:])
    file_id = h.get("kemas-file-id")
    check(status == 204 and file_id,
          f"after the lease a PATCH from another connection takes over and completes ({status})")
    # The stalled client wakes up and sends the rest: fenced out, nothing changes.
    try:
        stalled.sendall(content[sent:])
        stalled.settimeout(10)
        answer = stalled.recv(4096).decode(errors="replace").split("\r\n", 1)[0]
    except OSError as e:
        answer = f"connection ended ({e})"
    stalled.close()
    check("204" not in answer, f"the stalled PATCH's late bytes are refused ({answer})")
    if file_id:
        status, _, got = user.download(file_id)
        check(status == 200 and got == content, "the file is byte-exact")


def expiry(source_stack_env):
    """An abandoned upload ends at Upload-Expires (tus_expiry 3 s)."""
    extra = dict(source_stack_env)
    extra["KEMAS_UPLOAD_TUS_EXPIRY"] = "3s"
    with Stack(SOURCE, API, WORKER, ADMIN, ["commands", "audit"], tag_prefix="tusexp",
               extra_env=extra) as stack:
        user = Client(stack, "te" + secrets.token_hex(3))
        status, h, _ = user.create("abandoned.bin", 12 * MiB)
        location = h["location"]
        upload_id = location.rsplit("/", 1)[1]
        status, h, _ = user.patch(location, 0, os.urandom(9 * MiB))
        multipart = stack.query(
            f"SELECT multipart_upload_id FROM tus_uploads WHERE id = '{upload_id}'")
        reserved = stack.query(f"SELECT reserved_bytes FROM users WHERE id = '{user.id}'")
        check(status == 204 and h.get("upload-offset") == str(9 * MiB) and multipart
              and reserved == str(12 * MiB),
              f"an upload with a part and a tail, 12 MiB reserved ({status}, {reserved})")
        svc = os.environ.get("KEMAS_SVC_DIR") or os.path.join(SOURCE, ".run")
        parts_dir = os.path.join(svc, "s3", "data", stack.servers["KEMAS_S3_BUCKET"],
                                 "._S3rver_uploads", multipart)
        check(os.path.isdir(parts_dir), f"S3 holds its parts ({parts_dir})")
        created = time.time()
        gone = wait_until(lambda: stack.query(
            f"SELECT count(*) FROM tus_uploads WHERE id = '{upload_id}'") == "0", 20)
        check(gone, f"the upload is gone {time.time() - created:.1f} s after its creation "
                    "(expiry 3 s)")
        reserved = stack.query(f"SELECT reserved_bytes FROM users WHERE id = '{user.id}'")
        check(reserved == "0", f"its reservation is released ({reserved})")
        check(wait_until(lambda: not os.path.exists(parts_dir), 10),
              "its parts are gone from S3")
        status, _, _ = user.head(location)
        check(status == 404, f"HEAD of it is 404 ({status})")
        check(wait_until(lambda: stack.query(
            f"SELECT count(*) FROM audit_log WHERE action = 'upload.expired' "
            f"AND target_id = '{upload_id}'") == "1", 15),
              "upload.expired reaches the audit trail")


def main():
    extra = {"KEMAS_RATELIMIT_AUTH_LIMIT": "1000", "KEMAS_RATELIMIT_GENERAL_LIMIT": "1000",
             "KEMAS_UPLOAD_TUS_LEASE": f"{LEASE_SECONDS}s"}
    stack = Stack(SOURCE, API, WORKER, ADMIN, ["commands", "audit"], tag_prefix="tus",
                  extra_env=extra)
    logs = os.path.join(os.getcwd(), "tus-logs")
    try:
        stack.start()
        second_port = stack.start_extra_api()
        user = Client(stack, "tu" + secrets.token_hex(3))
        protocol(stack, user)
        quota_race(stack)
        resumed_chunked_patches(stack, user)
        stalled_patch(stack, user)
        reference_client(stack, user, second_port)
        expiry(extra)
    except Exception as e:  # reported as a failure; the logs are kept for the reader
        failures.append(f"{type(e).__name__}: {e}")
        raise
    finally:
        stack.stop(keep_logs_in=logs if failures else None)
        if failures:
            print(f"logs of the stack kept in {logs}")
    print(f"{'FAILED' if failures else 'passed'}: {len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
